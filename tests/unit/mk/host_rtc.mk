# Host CMOS clock reader over scripted fake ports.
UNIT_SRCS_host_rtc := drivers/host_rtc.c lib/date.c
