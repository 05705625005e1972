# Per-VM ACPI tables, cross-checked with Keel's host ACPI reader.
UNIT_SRCS_acpi_build := vmm/acpi_build.c vmm/aml.c drivers/acpi.c drivers/acpi_aml.c drivers/acpi_madt.c
