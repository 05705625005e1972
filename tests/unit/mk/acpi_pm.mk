# ACPI fixed hardware: PM1 event/control registers, PM timer, reset register.
UNIT_SRCS_acpi_pm := devices/acpi_pm.c lib/log.c lib/printf.c lib/string.c
