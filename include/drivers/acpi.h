/*
 * Host ACPI table reader (ACPI 6.5 chapter 5): finds the RSDT/XSDT from the
 * RSDP, looks up checksum-validated tables, reads the S5 (soft-off) sleep
 * values for power-off and the MADT for SMP bring-up. No AML interpreter:
 * \_S5_ is found by a bounded byte scan of the DSDT.
 */
#ifndef KEEL_DRIVERS_ACPI_H
#define KEEL_DRIVERS_ACPI_H

#include "types.h"
#include "lib/acpi_spec.h"


STATIC_ASSERT(sizeof(struct acpi_header) == 36, "ACPI 6.5 5.2.6");

/* What acpi_poweroff() writes: PM1x_CNT ports and the \_S5_ SLP_TYP values. */
struct acpi_s5 {
	u16 pm1a_cnt, pm1b_cnt;     /* I/O ports; pm1b_cnt is 0 when absent */
	u16 slp_typa, slp_typb;
	bool valid;
};

#define ACPI_MADT_MAX_CPUS    64
#define ACPI_MADT_MAX_IOAPICS 8

/* The MADT as SMP and interrupt bring-up need it. */
struct acpi_madt_info {
	u64 lapic_base;                          /* after any type 5 override */
	unsigned ncpus;                          /* entries used in the arrays */
	u32 apic_ids[ACPI_MADT_MAX_CPUS];
	bool enabled[ACPI_MADT_MAX_CPUS];        /* false: online-capable only */
	unsigned nioapic;
	u32 ioapic_base[ACPI_MADT_MAX_IOAPICS];
	u32 ioapic_gsi_base[ACPI_MADT_MAX_IOAPICS];
};

/*
 * Validate the RSDP (rsdp_len bytes readable at rsdp, e.g. the copy in a
 * multiboot2 tag) and choose the root table: the XSDT when the revision is
 * >= 2 and its address is non-zero, else the RSDT. -EINVAL on bad input.
 */
int acpi_init(const void *rsdp, unsigned rsdp_len);

/* Forget the chosen root table (for tests). */
void acpi_reset(void);

/*
 * The instance'th table (0 = first) whose signature is sig, checksum
 * validated; NULL if absent or bad. "DSDT" is found through the FADT.
 */
const struct acpi_header *acpi_find_table(const char sig[4], unsigned instance);

/*
 * Fill *out from the FADT's PM1a/PM1b_CNT_BLK and the DSDT's \_S5_ package.
 * 0, -ENODEV (no ACPI or no FADT/PM1a_CNT), -EINVAL (bad table or
 * malformed \_S5_), -ENOENT (no \_S5_).
 */
int acpi_get_s5(struct acpi_s5 *out);

/* Enter S5 (soft off). Returns only if the machine is still running. */
void acpi_poweroff(void);

/*
 * Fill *out from the MADT: CPUs (local APIC and x2APIC structures) that are
 * enabled or online-capable, I/O APICs, and the local APIC address after any
 * override. CPUs and I/O APICs beyond the arrays are ignored.
 * 0, -ENODEV if there is no valid MADT, -EINVAL if it is malformed.
 */
int acpi_get_madt(struct acpi_madt_info *out);

/*
 * Scan AML bytes (a DSDT body) for Name(\_S5_, Package(){a, b, ...}) and
 * return its first two integers. 0, -ENOENT (none), -EINVAL (malformed).
 * Never reads outside aml[0..len).
 */
int acpi_aml_find_s5(const u8 *aml, size_t len, u16 *typa, u16 *typb);

#endif
