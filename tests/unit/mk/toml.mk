UNIT_SRCS_toml := lib/toml.c lib/toml_value.c lib/printf.c lib/string.c
