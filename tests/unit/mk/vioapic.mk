UNIT_SRCS_vioapic := devices/vioapic.c
