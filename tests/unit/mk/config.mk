# keel.toml: the schema over the TOML parser.
UNIT_SRCS_config := vmm/config.c vmm/config_keys.c lib/toml.c lib/toml_value.c lib/printf.c lib/string.c
