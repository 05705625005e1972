UNIT_SRCS_shell := vmm/shell.c lib/printf.c lib/string.c
