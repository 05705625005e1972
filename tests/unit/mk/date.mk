# Civil dates <-> Unix time.
UNIT_SRCS_date := lib/date.c
