UNIT_SRCS_i8254 := devices/i8254.c
