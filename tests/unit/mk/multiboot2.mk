UNIT_SRCS_multiboot2 := boot/multiboot2.c boot/mmap.c
