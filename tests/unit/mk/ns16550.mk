UNIT_SRCS_ns16550 := devices/ns16550.c
