# Host ACPI table reader: RSDP/RSDT/XSDT, FADT and S5, the \_S5_ AML scan, MADT.
UNIT_SRCS_acpi := drivers/acpi.c drivers/acpi_aml.c drivers/acpi_madt.c
