UNIT_SRCS_i8259 := devices/i8259.c
