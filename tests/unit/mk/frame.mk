UNIT_SRCS_frame := mm/frame.c boot/multiboot2.c boot/mmap.c
