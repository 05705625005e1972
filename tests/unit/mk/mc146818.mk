# Guest RTC/CMOS over the fake clock; dates from lib/date.c.
UNIT_SRCS_mc146818 := devices/mc146818.c lib/date.c
