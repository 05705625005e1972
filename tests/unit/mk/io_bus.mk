UNIT_SRCS_io_bus := vmm/io_bus.c
