UNIT_SRCS_linux_boot := vmm/linux_boot.c lib/printf.c
