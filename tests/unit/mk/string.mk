UNIT_SRCS_string := lib/string.c
