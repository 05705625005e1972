UNIT_SRCS_console := vmm/console.c devices/ns16550.c lib/log.c lib/printf.c lib/string.c tests/unit/fake_kernel.c
