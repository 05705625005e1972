# keel.toml: the schema over the TOML parser.
UNIT_SRCS_config := vmm/config.c lib/toml.c lib/printf.c lib/string.c
