/*
 * The MADT, Multiple APIC Description Table (ACPI 6.5 5.2.12): local APIC
 * address, the processors' (x2)APIC IDs and the I/O APICs, for SMP and
 * interrupt bring-up.
 */
#include "drivers/acpi.h"
#include "lib/string.h"

struct acpi_madt {
	struct acpi_header hdr;
	u32 lapic_address;
	u32 flags;
} __packed;                     /* interrupt controller structures follow */

/* Interrupt Controller Structure types (5.2.12). */
enum {
	MADT_LAPIC = 0,
	MADT_IOAPIC = 1,
	MADT_LAPIC_OVERRIDE = 5,
	MADT_X2APIC = 9,
};

/* Local APIC Flags (5.2.12.2), shared by the x2APIC structure. */
#define MADT_CPU_ENABLED        BIT(0)
#define MADT_CPU_ONLINE_CAPABLE BIT(1)

struct madt_lapic {             /* Processor Local APIC Structure */
	u8 type, length;
	u8 acpi_uid;
	u8 apic_id;
	u32 flags;
} __packed;

struct madt_ioapic {            /* I/O APIC Structure */
	u8 type, length;
	u8 ioapic_id;
	u8 reserved;
	u32 address;
	u32 gsi_base;
} __packed;

struct madt_lapic_override {    /* Local APIC Address Override Structure */
	u8 type, length;
	u16 reserved;
	u64 address;
} __packed;

struct madt_x2apic {            /* Processor Local x2APIC Structure */
	u8 type, length;
	u16 reserved;
	u32 x2apic_id;
	u32 flags;
	u32 acpi_uid;
} __packed;

/*
 * Record a CPU that is enabled or can be brought online; others are absent.
 * A CPU listed twice (as xAPIC and x2APIC) is kept once; CPUs beyond the
 * array are ignored.
 */
static void madt_add_cpu(struct acpi_madt_info *out, u32 apic_id, u32 flags)
{
	if (!(flags & (MADT_CPU_ENABLED | MADT_CPU_ONLINE_CAPABLE)))
		return;
	for (unsigned i = 0; i < out->ncpus; i++)
		if (out->apic_ids[i] == apic_id)
			return;
	if (out->ncpus == ACPI_MADT_MAX_CPUS)
		return;
	out->apic_ids[out->ncpus] = apic_id;
	out->enabled[out->ncpus++] = flags & MADT_CPU_ENABLED;
}

/* One interrupt controller structure, whose length is known to fit the table. */
static int madt_entry(struct acpi_madt_info *out, const u8 *e)
{
	const struct madt_lapic *l = (const void *)e;
	const struct madt_ioapic *io = (const void *)e;
	const struct madt_lapic_override *o = (const void *)e;
	const struct madt_x2apic *x = (const void *)e;

	switch (e[0]) {
	case MADT_LAPIC:
		if (e[1] < sizeof(*l))
			return -EINVAL;
		madt_add_cpu(out, l->apic_id, l->flags);
		break;
	case MADT_X2APIC:
		if (e[1] < sizeof(*x))
			return -EINVAL;
		madt_add_cpu(out, x->x2apic_id, x->flags);
		break;
	case MADT_IOAPIC:
		if (e[1] < sizeof(*io))
			return -EINVAL;
		if (out->nioapic < ACPI_MADT_MAX_IOAPICS) {
			out->ioapic_base[out->nioapic] = io->address;
			out->ioapic_gsi_base[out->nioapic++] = io->gsi_base;
		}
		break;
	case MADT_LAPIC_OVERRIDE:
		if (e[1] < sizeof(*o))
			return -EINVAL;
		out->lapic_base = o->address;
		break;
	}
	return 0;
}

/* Walk the structures after the MADT header; each must fit the table. */
static int madt_walk(struct acpi_madt_info *out, const struct acpi_madt *m)
{
	const u8 *p = (const u8 *)(m + 1);
	const u8 *end = (const u8 *)m + m->hdr.length;
	int err;

	out->lapic_base = m->lapic_address;
	while (p < end) {
		if (end - p < 2 || p[1] < 2 || p[1] > end - p)
			return -EINVAL;
		err = madt_entry(out, p);
		if (err)
			return err;
		p += p[1];
	}
	return 0;
}

int acpi_get_madt(struct acpi_madt_info *out)
{
	const struct acpi_header *h = acpi_find_table("APIC", 0);
	int err;

	memset(out, 0, sizeof(*out));
	if (!h)
		return -ENODEV;
	if (h->length < sizeof(struct acpi_madt))
		return -EINVAL;
	err = madt_walk(out, (const struct acpi_madt *)h);
	if (err)
		memset(out, 0, sizeof(*out));
	return err;
}
