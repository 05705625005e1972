UNIT_SRCS_boot_mmap := boot/mmap.c
