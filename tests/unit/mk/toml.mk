UNIT_SRCS_toml := lib/toml.c lib/printf.c lib/string.c
