UNIT_SRCS_vswitch := vmm/vswitch.c
