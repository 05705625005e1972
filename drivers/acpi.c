/*
 * Host ACPI tables: RSDP -> RSDT/XSDT -> FADT and DSDT (ACPI 6.5 chapter 5),
 * and soft-off through PM1x_CNT with the \_S5_ values (7.4.2, 16.1).
 * acpi_aml.c finds \_S5_; acpi_madt.c reads the MADT. Every length comes
 * from firmware, so every read is bounded by the table it lies in.
 */
#include "drivers/acpi.h"
#include "arch/hw.h"
#include "lib/string.h"

/* Keel reaches physical memory through its identity map of the low 4 GiB. */
#define ACPI_PHYS_LIMIT (4 * GiB)
/* Larger than any real table: a longer length field is corruption. */
#define ACPI_TABLE_MAX  (16 * MiB)
/* Pauses to wait for SCI_EN, and for the power to go, before giving up. */
#define ACPI_SPIN_LIMIT (1u << 20)


/* The FADT fields Keel uses, at their offsets in the 5.2.9 table. */
struct acpi_fadt {
	struct acpi_header hdr;
	u32 firmware_ctrl;
	u32 dsdt;                       /* 40 */
	u8 unused0[4];                  /* reserved, PM profile, SCI_INT */
	u32 smi_cmd;                    /* 48 */
	u8 acpi_enable;                 /* 52 */
	u8 unused1[11];                 /* ACPI_DISABLE .. PM1b_EVT_BLK */
	u32 pm1a_cnt_blk;               /* 64 */
	u32 pm1b_cnt_blk;               /* 68 */
	u8 unused2[68];                 /* PM2_CNT_BLK .. X_FIRMWARE_CTRL */
	u64 x_dsdt;                     /* 140 */
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk; /* 172 */
	struct acpi_gas x_pm1b_cnt_blk; /* 184 */
} __packed;

STATIC_ASSERT(offsetof(struct acpi_fadt, pm1a_cnt_blk) == 64, "ACPI 6.5 5.2.9");
STATIC_ASSERT(offsetof(struct acpi_fadt, x_dsdt) == 140, "ACPI 6.5 5.2.9");
STATIC_ASSERT(offsetof(struct acpi_fadt, x_pm1b_cnt_blk) == 184, "ACPI 6.5 5.2.9");

/* Does this FADT (whose length tells its revision) contain the field? */
#define FADT_HAS(f, field) \
	(offsetof(struct acpi_fadt, field) + sizeof((f)->field) <= (f)->hdr.length)

/* PM1 Control Register bits (4.8.3.2.1). */
#define PM1_CNT_SCI_EN          BIT(0)  /* ACPI mode: events go to SCI */
#define PM1_CNT_BM_RLD          BIT(1)
#define PM1_CNT_SLP_TYP_SHIFT   10      /* 3-bit sleep type, from \_Sx */
#define PM1_CNT_SLP_TYP_MAX     7
#define PM1_CNT_SLP_EN          BIT(13) /* write-only: enter SLP_TYP */

/* The root table acpi_init() chose; its entries are 4 (RSDT) or 8 (XSDT) bytes. */
static struct {
	const u8 *entries;
	unsigned count;
	unsigned entry_size;
} acpi;

void acpi_reset(void)
{
	memset(&acpi, 0, sizeof(acpi));
}


/*
 * The header at physical address pa, or NULL when there is none to read:
 * a zero address, or one outside what Keel maps.
 */
static const struct acpi_header *table_header(u64 pa)
{
	if (pa == 0 || pa > ACPI_PHYS_LIMIT - sizeof(struct acpi_header))
		return NULL;
	return phys_to_virt(pa);
}

/* A table's length is sane and mapped, and its bytes sum to 0 (5.2.6). */
static bool table_valid(const struct acpi_header *h, u64 pa)
{
	if (h->length < sizeof(*h) || h->length > ACPI_TABLE_MAX ||
	    h->length > ACPI_PHYS_LIMIT - pa)
		return false;
	return acpi_sum(h, h->length) == 0;
}

/* The table at pa if it has signature sig and is valid, else NULL. */
static const struct acpi_header *table_get(u64 pa, const char *sig)
{
	const struct acpi_header *h = table_header(pa);

	if (!h || memcmp(h->signature, sig, 4) != 0 || !table_valid(h, pa))
		return NULL;
	return h;
}

static u64 root_entry(unsigned i)
{
	const u8 *e = acpi.entries + (size_t)i * acpi.entry_size;
	u32 v32;
	u64 v64;

	if (acpi.entry_size == 8) {
		memcpy(&v64, e, 8);     /* XSDT entries are not 8-aligned */
		return v64;
	}
	memcpy(&v32, e, 4);
	return v32;
}

/* Make the RSDT (5.2.7) or XSDT (5.2.8) at pa the root table. */
static int root_set(u64 pa, const char *sig, unsigned entry_size)
{
	const struct acpi_header *h = table_get(pa, sig);

	if (!h)
		return -EINVAL;
	acpi.entries = (const u8 *)(h + 1);
	acpi.count = (h->length - sizeof(*h)) / entry_size;
	acpi.entry_size = entry_size;
	return 0;
}

/*
 * ACPI 1.0 RSDPs are 20 bytes under one checksum; revision 2 adds a length,
 * the XSDT address and an extended checksum over all of it (5.2.5.3).
 * An XSDT that fails validation falls back to the RSDT, if there is one.
 */
int acpi_init(const void *rsdp, unsigned rsdp_len)
{
	const struct acpi_rsdp *r = rsdp;

	acpi_reset();
	if (!r || rsdp_len < ACPI_RSDP_V1_LEN ||
	    memcmp(r->signature, "RSD PTR ", 8) != 0 ||
	    acpi_sum(r, ACPI_RSDP_V1_LEN) != 0)
		return -EINVAL;
	if (r->revision >= 2) {
		if (rsdp_len < sizeof(*r) || r->length < sizeof(*r) ||
		    r->length > rsdp_len || acpi_sum(r, r->length) != 0)
			return -EINVAL;
		if (r->xsdt_address && root_set(r->xsdt_address, "XSDT", 8) == 0)
			return 0;
	}
	return root_set(r->rsdt_address, "RSDT", 4);
}

static const struct acpi_fadt *fadt(void)
{
	const struct acpi_header *h = acpi_find_table("FACP", 0);

	if (!h || h->length < offsetof(struct acpi_fadt, pm1b_cnt_blk) + 4)
		return NULL;
	return (const struct acpi_fadt *)h;
}

/* The DSDT is not in the root table: the FADT points to it, X_DSDT first (5.2.9). */
static const struct acpi_header *dsdt(void)
{
	const struct acpi_fadt *f = fadt();

	if (!f)
		return NULL;
	if (FADT_HAS(f, x_dsdt) && f->x_dsdt)
		return table_get(f->x_dsdt, "DSDT");
	return table_get(f->dsdt, "DSDT");
}

/*
 * Tables with the same signature (SSDTs) are counted in root table order;
 * a bad instance is reported as NULL rather than skipped, so instance
 * numbers stay stable.
 */
const struct acpi_header *acpi_find_table(const char sig[4], unsigned instance)
{
	if (!acpi.entries)
		return NULL;
	if (memcmp(sig, "DSDT", 4) == 0)
		return instance == 0 ? dsdt() : NULL;
	for (unsigned i = 0; i < acpi.count; i++) {
		u64 pa = root_entry(i);
		const struct acpi_header *h = table_header(pa);

		if (!h || memcmp(h->signature, sig, 4) != 0)
			continue;
		if (instance-- == 0)
			return table_valid(h, pa) ? h : NULL;
	}
	return NULL;
}

/* --- S5 soft-off (7.4.2, 16.1) ---------------------------------------------- */

/*
 * A PM1x_CNT port: the X_ GAS when it names System I/O space and a non-zero
 * address (5.2.9 prefers X_ fields), else the 32-bit block address. 0 = none.
 */
static int pm1_cnt_port(const struct acpi_gas *x, u32 blk, u16 *port)
{
	u64 addr = blk;

	if (x && x->space_id == ACPI_GAS_SYSTEM_IO && x->address)
		addr = x->address;
	if (addr > 0xffff)
		return -EINVAL;
	*port = (u16)addr;
	return 0;
}

static int s5_ports(const struct acpi_fadt *f, struct acpi_s5 *s5)
{
	const struct acpi_gas *xa = FADT_HAS(f, x_pm1a_cnt_blk) ? &f->x_pm1a_cnt_blk : NULL;
	const struct acpi_gas *xb = FADT_HAS(f, x_pm1b_cnt_blk) ? &f->x_pm1b_cnt_blk : NULL;

	if (pm1_cnt_port(xa, f->pm1a_cnt_blk, &s5->pm1a_cnt) != 0 ||
	    pm1_cnt_port(xb, f->pm1b_cnt_blk, &s5->pm1b_cnt) != 0)
		return -EINVAL;
	return s5->pm1a_cnt ? 0 : -ENODEV;
}

int acpi_get_s5(struct acpi_s5 *out)
{
	const struct acpi_fadt *f = fadt();
	const struct acpi_header *d;
	struct acpi_s5 s5 = { 0 };
	int err;

	memset(out, 0, sizeof(*out));
	if (!f)
		return -ENODEV;
	err = s5_ports(f, &s5);
	if (err)
		return err;
	d = dsdt();
	if (!d)
		return -EINVAL;
	err = acpi_aml_find_s5((const u8 *)(d + 1), d->length - sizeof(*d),
			       &s5.slp_typa, &s5.slp_typb);
	if (err)
		return err;
	if (s5.slp_typa > PM1_CNT_SLP_TYP_MAX || s5.slp_typb > PM1_CNT_SLP_TYP_MAX)
		return -EINVAL;
	s5.valid = true;
	*out = s5;
	return 0;
}

/*
 * Firmware may leave the machine in legacy mode (SCI_EN clear), where some
 * chipsets ignore SLP_EN. Ask it for ACPI mode by writing ACPI_ENABLE to
 * SMI_CMD (5.2.9) and wait, boundedly, for SCI_EN.
 */
static void acpi_enable_mode(u16 pm1a_cnt)
{
	const struct acpi_fadt *f = fadt();

	if (inw(pm1a_cnt) & PM1_CNT_SCI_EN)
		return;
	if (!f || !f->smi_cmd || f->smi_cmd > 0xffff || !f->acpi_enable)
		return;
	outb((u16)f->smi_cmd, f->acpi_enable);
	for (unsigned i = 0; i < ACPI_SPIN_LIMIT; i++) {
		if (inw(pm1a_cnt) & PM1_CNT_SCI_EN)
			return;
		cpu_relax();
	}
}

/* PM1x_CNT with the sleep type set: SCI_EN and BM_RLD kept, the rest clear. */
static u16 pm1_cnt_sleep_value(u16 port, u16 slp_typ)
{
	u16 keep = inw(port) & (PM1_CNT_SCI_EN | PM1_CNT_BM_RLD);

	return keep | (u16)(slp_typ << PM1_CNT_SLP_TYP_SHIFT);
}

/*
 * Enter S5 (16.1): write SLP_TYPx with SLP_EN to PM1a_CNT and, when
 * present, PM1b_CNT. SLP_TYP goes in first on its own and SLP_EN follows
 * in a second write, as ACPICA does, for chipsets that mishandle both
 * arriving together.
 */
void acpi_poweroff(void)
{
	struct acpi_s5 s5;
	u16 a, b = 0;

	if (acpi_get_s5(&s5) != 0)
		return;
	acpi_enable_mode(s5.pm1a_cnt);
	a = pm1_cnt_sleep_value(s5.pm1a_cnt, s5.slp_typa);
	if (s5.pm1b_cnt)
		b = pm1_cnt_sleep_value(s5.pm1b_cnt, s5.slp_typb);
	outw(s5.pm1a_cnt, a);
	if (s5.pm1b_cnt)
		outw(s5.pm1b_cnt, b);
	outw(s5.pm1a_cnt, a | PM1_CNT_SLP_EN);
	if (s5.pm1b_cnt)
		outw(s5.pm1b_cnt, b | PM1_CNT_SLP_EN);
	for (unsigned i = 0; i < ACPI_SPIN_LIMIT; i++)
		cpu_relax();
}
