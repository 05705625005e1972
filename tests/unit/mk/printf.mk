UNIT_SRCS_printf := lib/printf.c lib/string.c
