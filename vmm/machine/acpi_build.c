/*
 * A VM's ACPI tables, after ACPI 6.5: RSDP (5.2.5), RSDT (5.2.7), XSDT
 * (5.2.8), FADT revision 6.5 (5.2.9), FACS (5.2.10), DSDT (5.2.11.1) and
 * MADT (5.2.12). The DSDT's AML (chapter 20) and its _CRS resource
 * template (6.4) are written with the encoders of vmm/machine/aml.c.
 *
 * Layout in the buffer: the RSDP first (the guest scans for it), then
 * the FACS (64-byte aligned, 5.2.10), then every table before the tables
 * that point to it, each 16-byte aligned: DSDT, FADT, MADT, RSDT, XSDT.
 * So an address is known when it is written and each table is summed once.
 */
#include "vmm/machine/acpi_build.h"
#include "vmm/machine/aml.h"
#include "devices/pci_host.h"
#include "lib/acpi_spec.h"
#include "lib/string.h"

/* The checksum byte that makes p[0, n) sum to 0. */
static u8 acpi_checksum(const u8 *p, size_t n)
{
	return (u8)-acpi_sum(p, n);
}

/* --- DSDT (5.2.11.1) ------------------------------------------------------- */

/*
 * What the PCI root bridge decodes: bus 0-0xff, all ports but its own
 * configuration ports (claimed as an I/O descriptor), the legacy VGA
 * window and the 32-bit MMIO window below the IO-APIC.
 */
static void dsdt_pci0_crs(struct aml_out *o, const struct acpi_build_cfg *cfg)
{
	size_t buf;

	aml_name_decl(o, "_CRS");
	buf = aml_buffer_open(o);
	aml_res_word_window(o, AML_RES_TYPE_BUS, 0, 0x00, 0xff);
	aml_res_io(o, PC_PORT_PCI_CONFIG, PCI_HOST_LEN);
	aml_res_word_window(o, AML_RES_TYPE_IO, AML_RES_IO_ENTIRE_RANGE, 0x0000, PC_PORT_PCI_CONFIG - 1);
	aml_res_word_window(o, AML_RES_TYPE_IO, AML_RES_IO_ENTIRE_RANGE,
			    PC_PORT_PCI_CONFIG + PCI_HOST_LEN, 0xffff);
	aml_res_dword_mem_window(o, AML_RES_MEM_RW | AML_RES_MEM_CACHEABLE, PC_VGA_BASE, PC_VGA_END - 1);
	aml_res_dword_mem_window(o, AML_RES_MEM_RW, cfg->pci_mmio_base, cfg->pci_mmio_end);
	aml_res_end(o);
	aml_buffer_close(o, buf);
}

/* The DSDT's definition block: \_S5 (7.4.2) and the PCI root bridge \_SB.PCI0. */
/* _PRT (ACPI 6.x 6.2.13): for every slot and pin, Package { address
 * (slot << 16 | 0xffff: any function), pin, source 0 (a GSI, not a link
 * device), GSI }. */
static void dsdt_pci0_prt(struct aml_out *o)
{
	size_t prt;

	aml_name_decl(o, "_PRT");
	prt = aml_package_open(o, ACPI_PCI_PRT_SLOTS * 4);
	for (unsigned slot = 0; slot < ACPI_PCI_PRT_SLOTS; slot++) {
		for (unsigned pin = 0; pin < 4; pin++) {
			size_t e = aml_package_open(o, 4);
			aml_integer(o, ((u64)slot << 16) | 0xffff);
			aml_integer(o, pin);
			aml_integer(o, 0);
			aml_integer(o, acpi_pci_intx_gsi(slot, pin));
			aml_pkg_close(o, e);
		}
	}
	aml_pkg_close(o, prt);
}

static void dsdt_body(struct aml_out *o, const struct acpi_build_cfg *cfg)
{
	size_t pkg, sb, pci0;

	aml_name_decl(o, "\\_S5");
	pkg = aml_package_open(o, 4);
	aml_integer(o, cfg->s5_slp_typ);	/* SLP_TYPa */
	aml_integer(o, cfg->s5_slp_typ);	/* SLP_TYPb: no PM1b block, same value */
	aml_integer(o, 0);			/* reserved */
	aml_integer(o, 0);
	aml_pkg_close(o, pkg);

	sb = aml_scope_open(o, "\\_SB");
	pci0 = aml_device_open(o, "PCI0");
	aml_name_decl(o, "_HID");
	aml_eisaid(o, "PNP0A03");		/* PCI bus */
	aml_name_decl(o, "_UID");
	aml_integer(o, 0);
	aml_name_decl(o, "_BBN");
	aml_integer(o, 0);
	aml_name_decl(o, "_SEG");
	aml_integer(o, 0);
	dsdt_pci0_crs(o, cfg);
	dsdt_pci0_prt(o);
	aml_pkg_close(o, pci0);
	aml_pkg_close(o, sb);
}

/* --- Tables (ACPI 6.5 chapter 5) ------------------------------------------ */

#define ACPI_OEM_ID		"KEEL  "
#define ACPI_OEM_TABLE_ID	"KEELVM  "
#define ACPI_CREATOR_ID		"KEEL"
#define ACPI_OEM_REVISION	1
#define ACPI_CREATOR_REVISION	1
#define ACPI_TABLE_ALIGN	16
#define ACPI_FACS_ALIGN		64	/* 5.2.10 */

/* Table revisions in ACPI 6.5. */
#define RSDP_REVISION		2
#define RSDT_REVISION		1
#define XSDT_REVISION		1
#define FADT_REVISION		6
#define FADT_MINOR_VERSION	5
#define FACS_VERSION		2
#define DSDT_REVISION		2	/* 2 and up: AML integers are 64 bits */
#define MADT_REVISION		6

/* The FADT after its 36-byte header (Table 5.9); offsets from the table start. */
struct acpi_fadt_body {
	u32 firmware_ctrl;		/* 36 */
	u32 dsdt;			/* 40 */
	u8 reserved0;
	u8 preferred_pm_profile;	/* 45 */
	u16 sci_int;			/* 46 */
	u32 smi_cmd;			/* 48 */
	u8 acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	u32 pm1a_evt_blk, pm1b_evt_blk;	/* 56 */
	u32 pm1a_cnt_blk, pm1b_cnt_blk;	/* 64 */
	u32 pm2_cnt_blk, pm_tmr_blk;	/* 72 */
	u32 gpe0_blk, gpe1_blk;
	u8 pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;	/* 88 */
	u8 gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
	u16 p_lvl2_lat, p_lvl3_lat;	/* 96 */
	u16 flush_size, flush_stride;
	u8 duty_offset, duty_width, day_alrm, mon_alrm, century;
	u16 iapc_boot_arch;		/* 109 */
	u8 reserved1;
	u32 flags;			/* 112 */
	struct acpi_gas reset_reg;	/* 116 */
	u8 reset_value;			/* 128 */
	u16 arm_boot_arch;
	u8 minor_version;		/* 131 */
	u64 x_firmware_ctrl;		/* 132 */
	u64 x_dsdt;			/* 140 */
	struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk;	/* 148 */
	struct acpi_gas x_pm1a_cnt_blk, x_pm1b_cnt_blk;	/* 172 */
	struct acpi_gas x_pm2_cnt_blk, x_pm_tmr_blk;	/* 196 */
	struct acpi_gas x_gpe0_blk, x_gpe1_blk;
	struct acpi_gas sleep_control_reg, sleep_status_reg;
	u64 hypervisor_vendor_id;	/* 268 */
} __packed;

#define FADT_OFF(field)	(36 + offsetof(struct acpi_fadt_body, field))
STATIC_ASSERT(FADT_OFF(sci_int) == 46, "ACPI 6.5 Table 5.9");
STATIC_ASSERT(FADT_OFF(iapc_boot_arch) == 109, "ACPI 6.5 Table 5.9");
STATIC_ASSERT(FADT_OFF(reset_reg) == 116, "ACPI 6.5 Table 5.9");
STATIC_ASSERT(FADT_OFF(x_dsdt) == 140, "ACPI 6.5 Table 5.9");
STATIC_ASSERT(FADT_OFF(x_pm_tmr_blk) == 208, "ACPI 6.5 Table 5.9");
STATIC_ASSERT(36 + sizeof(struct acpi_fadt_body) == 276, "ACPI 6.5 Table 5.9");

#define FADT_PM_PROFILE_UNSPECIFIED 0
#define FADT_NO_C2		101	/* P_LVL2_LAT > 100: C2 not supported */
#define FADT_NO_C3		1001	/* P_LVL3_LAT > 1000: C3 not supported */

/* IA-PC boot architecture flags (Table 5.11): no 8042 (bit 1 clear), CMOS RTC present. */
#define IAPC_LEGACY_DEVICES	BIT(0)
#define IAPC_VGA_NOT_PRESENT	BIT(2)

/* Fixed feature flags (Table 5.10). */
#define FADT_WBINVD		BIT(0)
#define FADT_PROC_C1		BIT(2)
#define FADT_SLP_BUTTON		BIT(5)	/* no sleep button */
#define FADT_FIX_RTC		BIT(6)	/* no RTC_STS in PM1_STS */
#define FADT_TMR_VAL_EXT	BIT(8)	/* 32-bit PM timer */
#define FADT_RESET_REG_SUP	BIT(10)

/* Firmware ACPI Control Structure (5.2.10). */
struct acpi_facs {
	char signature[4];
	u32 length;
	u32 hardware_signature;
	u32 firmware_waking_vector;
	u32 global_lock;
	u32 flags;
	u64 x_firmware_waking_vector;
	u8 version;
	u8 reserved0[3];
	u32 ospm_flags;
	u8 reserved1[24];
} __packed;

STATIC_ASSERT(sizeof(struct acpi_facs) == 64, "ACPI 6.5 5.2.10");

/* MADT (5.2.12): flags, structure types and MPS INTI flags (5.2.12.5). */
#define MADT_PCAT_COMPAT	BIT(0)	/* dual 8259s present */
#define MADT_LAPIC		0
#define MADT_IOAPIC		1
#define MADT_INT_OVERRIDE	2
#define MADT_LAPIC_NMI		4
#define MADT_LAPIC_ENABLED	BIT(0)
#define MADT_ALL_PROCESSORS	0xff
#define MPS_ACTIVE_HIGH		1	/* polarity, bits 1:0 */
#define MPS_EDGE		(1 << 2)	/* trigger mode, bits 3:2 */
#define MPS_LEVEL		(3 << 2)
#define ISA_IRQ_PIT		0
#define GSI_PIT			2
#define LAPIC_LINT1		1

/* System Description Table Header (5.2.6); table_end() fills length and checksum. */
static size_t table_begin(struct aml_out *o, const char sig[4], u8 revision)
{
	size_t start;

	aml_out_align(o, ACPI_TABLE_ALIGN);
	start = o->pos;
	aml_out_bytes(o, sig, 4);
	aml_out_u32(o, 0);
	aml_out_u8(o, revision);
	aml_out_u8(o, 0);
	aml_out_bytes(o, ACPI_OEM_ID, 6);
	aml_out_bytes(o, ACPI_OEM_TABLE_ID, 8);
	aml_out_u32(o, ACPI_OEM_REVISION);
	aml_out_bytes(o, ACPI_CREATOR_ID, 4);
	aml_out_u32(o, ACPI_CREATOR_REVISION);
	return start;
}

/* Finish the table begun at start; returns its guest-physical address. */
static u64 table_end(struct aml_out *o, size_t start)
{
	size_t len = o->pos - start;

	if (!o->full) {
		u8 *t = o->buf + start;

		for (unsigned i = 0; i < 4; i++)
			t[4 + i] = (u32)len >> (8 * i);
		t[9] = acpi_checksum(t, len);
	}
	return o->addr + start;
}

static u64 build_facs(struct aml_out *o)
{
	struct acpi_facs facs = {
		.signature = "FACS",
		.length = sizeof(facs),
		.version = FACS_VERSION,
	};
	u64 at;

	aml_out_align(o, ACPI_FACS_ALIGN);
	at = o->addr + o->pos;
	aml_out_bytes(o, &facs, sizeof(facs));
	return at;
}

static u64 build_dsdt(struct aml_out *o, const struct acpi_build_cfg *cfg)
{
	size_t start = table_begin(o, "DSDT", DSDT_REVISION);

	dsdt_body(o, cfg);
	return table_end(o, start);
}

static struct acpi_gas gas_io(u16 port, u8 bytes, u8 access_size)
{
	return (struct acpi_gas){
		.space_id = ACPI_GAS_SYSTEM_IO,
		.bit_width = 8 * bytes,
		.access_size = access_size,
		.address = port,
	};
}

/*
 * The FADT (5.2.9): the acpi_pm block, no SMI_CMD (zero: there is no
 * legacy mode to leave, SCI_EN is always set), every address both in its
 * 32-bit field and in the X_ field, which must agree.
 */
static u64 build_fadt(struct aml_out *o, const struct acpi_build_cfg *cfg, u64 facs, u64 dsdt)
{
	u16 pm = cfg->pm_base;
	struct acpi_fadt_body f = {
		.firmware_ctrl = facs,
		.dsdt = dsdt,
		.preferred_pm_profile = FADT_PM_PROFILE_UNSPECIFIED,
		.sci_int = ACPI_PM_SCI_IRQ,
		.pm1a_evt_blk = pm + ACPI_PM_EVT,
		.pm1a_cnt_blk = pm + ACPI_PM_CNT,
		.pm_tmr_blk = pm + ACPI_PM_TMR,
		.pm1_evt_len = ACPI_PM_EVT_LEN,
		.pm1_cnt_len = ACPI_PM_CNT_LEN,
		.pm_tmr_len = ACPI_PM_TMR_LEN,
		.p_lvl2_lat = FADT_NO_C2,
		.p_lvl3_lat = FADT_NO_C3,
		.iapc_boot_arch = IAPC_LEGACY_DEVICES | IAPC_VGA_NOT_PRESENT,
		.flags = FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON | FADT_FIX_RTC |
			 FADT_TMR_VAL_EXT | FADT_RESET_REG_SUP,
		.reset_reg = gas_io(pm + ACPI_PM_RESET, 1, ACPI_GAS_ACCESS_BYTE),
		.reset_value = ACPI_PM_RESET_VALUE,
		.minor_version = FADT_MINOR_VERSION,
		.x_firmware_ctrl = facs,
		.x_dsdt = dsdt,
		.x_pm1a_evt_blk = gas_io(pm + ACPI_PM_EVT, ACPI_PM_EVT_LEN, ACPI_GAS_ACCESS_WORD),
		.x_pm1a_cnt_blk = gas_io(pm + ACPI_PM_CNT, ACPI_PM_CNT_LEN, ACPI_GAS_ACCESS_WORD),
		.x_pm_tmr_blk = gas_io(pm + ACPI_PM_TMR, ACPI_PM_TMR_LEN, ACPI_GAS_ACCESS_DWORD),
	};
	size_t start = table_begin(o, "FACP", FADT_REVISION);

	aml_out_bytes(o, &f, sizeof(f));
	return table_end(o, start);
}

/* Interrupt Source Override (5.2.12.5): ISA IRQ irq is GSI gsi. */
static void madt_override(struct aml_out *o, u8 irq, u32 gsi, u16 inti_flags)
{
	aml_out_u8(o, MADT_INT_OVERRIDE);
	aml_out_u8(o, 10);
	aml_out_u8(o, 0);	/* bus: ISA */
	aml_out_u8(o, irq);
	aml_out_u32(o, gsi);
	aml_out_u16(o, inti_flags);
}

/*
 * The MADT: a Processor Local APIC structure per vCPU (5.2.12.2), the
 * IO-APIC (5.2.12.3), the two ISA overrides the platform has, and NMI on
 * LINT1 of every processor (5.2.12.7).
 */
static u64 build_madt(struct aml_out *o, const struct acpi_build_cfg *cfg)
{
	size_t start = table_begin(o, "APIC", MADT_REVISION);

	aml_out_u32(o, cfg->lapic_base);
	aml_out_u32(o, MADT_PCAT_COMPAT);
	for (unsigned i = 0; i < cfg->ncpus; i++) {
		aml_out_u8(o, MADT_LAPIC);
		aml_out_u8(o, 8);
		aml_out_u8(o, i);		/* ACPI processor UID */
		aml_out_u8(o, i);		/* APIC ID */
		aml_out_u32(o, MADT_LAPIC_ENABLED);
	}
	aml_out_u8(o, MADT_IOAPIC);
	aml_out_u8(o, 12);
	aml_out_u8(o, cfg->ncpus);		/* IO-APIC ID, after the CPUs' */
	aml_out_u8(o, 0);
	aml_out_u32(o, cfg->ioapic_base);
	aml_out_u32(o, 0);			/* GSI base */
	madt_override(o, ISA_IRQ_PIT, GSI_PIT, MPS_EDGE | MPS_ACTIVE_HIGH);
	madt_override(o, ACPI_PM_SCI_IRQ, ACPI_PM_SCI_IRQ, MPS_LEVEL | MPS_ACTIVE_HIGH);
	aml_out_u8(o, MADT_LAPIC_NMI);
	aml_out_u8(o, 6);
	aml_out_u8(o, MADT_ALL_PROCESSORS);
	aml_out_u16(o, MPS_EDGE | MPS_ACTIVE_HIGH);
	aml_out_u8(o, LAPIC_LINT1);
	return table_end(o, start);
}

/* RSDT (5.2.7) and XSDT (5.2.8): the same tables, 4- and 8-byte pointers. */
static u64 build_root(struct aml_out *o, const char sig[4], unsigned entry_size,
		      const u64 *tables, unsigned n)
{
	size_t start = table_begin(o, sig, entry_size == 4 ? RSDT_REVISION : XSDT_REVISION);

	for (unsigned i = 0; i < n; i++)
		aml_out_le(o, tables[i], entry_size);
	return table_end(o, start);
}

static void write_rsdp(u8 *at, u64 rsdt, u64 xsdt)
{
	struct acpi_rsdp r = {
		.signature = "RSD PTR ",
		.oem_id = ACPI_OEM_ID,
		.revision = RSDP_REVISION,
		.rsdt_address = rsdt,
		.length = sizeof(r),
		.xsdt_address = xsdt,
	};

	r.checksum = acpi_checksum((const u8 *)&r, ACPI_RSDP_V1_LEN);
	r.ext_checksum = acpi_checksum((const u8 *)&r, sizeof(r));
	memcpy(at, &r, sizeof(r));
}

static int acpi_build_check(const struct acpi_build_cfg *cfg, u64 gpa)
{
	if (!cfg || cfg->ncpus < 1 || cfg->ncpus > ACPI_BUILD_MAX_CPUS || cfg->s5_slp_typ > 7)
		return -EINVAL;
	if (cfg->pm_base == 0 || cfg->pm_base > 0x10000 - ACPI_PM_LEN)
		return -EINVAL;
	if (cfg->pci_mmio_base < 1 * MiB || cfg->pci_mmio_base > cfg->pci_mmio_end ||
	    cfg->pci_mmio_end >= cfg->ioapic_base)
		return -EINVAL;
	if (!cfg->lapic_base || !cfg->ioapic_base || (gpa & 15) || gpa >= 4 * GiB)
		return -EINVAL;
	return 0;
}

int acpi_build(const struct acpi_build_cfg *cfg, u8 *buf, size_t len, u64 gpa, size_t *used)
{
	struct aml_out o = { .buf = buf, .len = buf ? len : 0, .addr = gpa };
	u64 facs, dsdt, tables[2], rsdt, xsdt;
	u8 *rsdp;
	int err = acpi_build_check(cfg, gpa);

	if (err)
		return err;
	rsdp = aml_out_reserve(&o, sizeof(struct acpi_rsdp));
	facs = build_facs(&o);
	dsdt = build_dsdt(&o, cfg);
	tables[0] = build_fadt(&o, cfg, facs, dsdt);
	tables[1] = build_madt(&o, cfg);
	rsdt = build_root(&o, "RSDT", 4, tables, ARRAY_SIZE(tables));
	xsdt = build_root(&o, "XSDT", 8, tables, ARRAY_SIZE(tables));
	if (used)
		*used = o.pos;
	if (o.full)
		return -ENOSPC;
	if (o.pos > 4 * GiB - gpa)
		return -EINVAL;
	write_rsdp(rsdp, rsdt, xsdt);
	return 0;
}
