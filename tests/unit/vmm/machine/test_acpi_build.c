/*
 * Host tests for vmm/machine/acpi_build.c; the AML encoders it uses (vmm/machine/aml.c)
 * have their own in test_aml.c. The tables are checked two ways: byte
 * offsets written out from the ACPI 6.5 tables (5.2.5 RSDP, 5.2.9 FADT,
 * 5.2.10 FACS, 5.2.12 MADT, 6.4 resource descriptors, 20.2 AML), and
 * Keel's own host-side reader (drivers/acpi*.c) run over them in the fake
 * physical arena, as the kernel would read firmware tables.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "fake_hw.h"
#include "drivers/acpi.h"
#include "vmm/machine/acpi_build.h"

#define GPA	0xe0000ull
#define BUFLEN	(64 * 1024)

/* The tables of a 256 MiB VM with ncpus vCPUs, as the Linux loader builds them. */
static struct acpi_build_cfg cfg_for(unsigned ncpus)
{
	struct machine_layout m;

	machine_layout(256 * MiB, &m);
	return acpi_build_cfg_for(&m, ncpus);
}

static u8 buf[BUFLEN];
static size_t used;

static u8 rd8(const u8 *p, size_t off) { return p[off]; }
static u16 rd16(const u8 *p, size_t off) { return p[off] | p[off + 1] << 8; }
static u32 rd32(const u8 *p, size_t off) { return rd16(p, off) | (u32)rd16(p, off + 2) << 16; }
static u64 rd64(const u8 *p, size_t off) { return rd32(p, off) | (u64)rd32(p, off + 4) << 32; }

static u8 sum(const u8 *p, size_t n)
{
	u8 s = 0;

	while (n--)
		s += *p++;
	return s;
}

static void build(const struct acpi_build_cfg *cfg)
{
	memset(buf, 0xcc, sizeof(buf));
	assert_int_equal(acpi_build(cfg, buf, sizeof(buf), GPA, &used), 0);
	assert_true(used > 36 && used <= 4096);
}

/* The table at guest address addr: inside the tables, standard header
 * (5.2.6) with our IDs, length in bounds, bytes summing to 0. */
static const u8 *table(u64 addr, const char *sig)
{
	const u8 *t;

	assert_true(addr >= GPA + 36 && addr + 36 <= GPA + used);
	assert_int_equal(addr % 16, 0);
	t = buf + (addr - GPA);
	assert_memory_equal(t, sig, 4);
	assert_true(rd32(t, 4) >= 36 && addr + rd32(t, 4) <= GPA + used);
	assert_int_equal(sum(t, rd32(t, 4)), 0);
	assert_memory_equal(t + 10, "KEEL  ", 6);
	assert_memory_equal(t + 16, "KEELVM  ", 8);
	assert_memory_equal(t + 28, "KEEL", 4);
	return t;
}

/* The XSDT entry whose table has signature sig. */
static const u8 *xsdt_find(const char *sig)
{
	const u8 *x = table(rd64(buf, 24), "XSDT");

	for (u32 off = 36; off + 8 <= rd32(x, 4); off += 8) {
		u64 addr = rd64(x, off);

		if (addr >= GPA && addr < GPA + used && !memcmp(buf + (addr - GPA), sig, 4))
			return table(addr, sig);
	}
	fail_msg("no %s in the XSDT", sig);
	return NULL;
}

static void test_rsdp(void **state)
{
	struct acpi_build_cfg cfg = cfg_for(2);

	build(&cfg);
	assert_memory_equal(buf, "RSD PTR ", 8);
	assert_int_equal(sum(buf, 20), 0);		/* ACPI 1.0 checksum */
	assert_int_equal(rd8(buf, 15), 2);		/* revision */
	assert_int_equal(rd32(buf, 20), 36);		/* length */
	assert_int_equal(sum(buf, 36), 0);		/* extended checksum */
	assert_memory_equal(buf + 9, "KEEL  ", 6);
	assert_int_equal(rd8(buf, 33) | rd8(buf, 34) | rd8(buf, 35), 0);
	assert_int_equal(ACPI_BUILD_GPA % 16, 0);
}

static void test_root_tables(void **state)
{
	struct acpi_build_cfg cfg = cfg_for(2);
	const u8 *rsdt, *xsdt;

	build(&cfg);
	rsdt = table(rd32(buf, 16), "RSDT");
	xsdt = table(rd64(buf, 24), "XSDT");
	assert_int_equal(rd32(rsdt, 4), 36 + 2 * 4);
	assert_int_equal(rd32(xsdt, 4), 36 + 2 * 8);
	/* The same tables in both, FADT and MADT. */
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(rd32(rsdt, 36 + 4 * i), rd64(xsdt, 36 + 8 * i));
	xsdt_find("FACP");
	xsdt_find("APIC");
}

static void test_fadt(void **state)
{
	struct acpi_build_cfg cfg = cfg_for(2);
	const u8 *f;
	u32 flags;

	build(&cfg);
	f = xsdt_find("FACP");
	assert_int_equal(rd32(f, 4), 276);		/* the 6.x layout */
	assert_int_equal(rd8(f, 8), 6);
	assert_int_equal(rd32(f, 36), rd64(f, 132));	/* FIRMWARE_CTRL == X_ */
	assert_int_equal(rd32(f, 40), rd64(f, 140));	/* DSDT == X_DSDT */
	table(rd64(f, 140), "DSDT");
	assert_true(rd8(f, 45) == 0 || rd8(f, 45) == 4);
	assert_int_equal(rd16(f, 46), 9);		/* SCI_INT */
	assert_int_equal(rd32(f, 48), 0);		/* no SMI_CMD */
	assert_int_equal(rd32(f, 56), 0x600);		/* PM1a_EVT_BLK */
	assert_int_equal(rd32(f, 60), 0);
	assert_int_equal(rd32(f, 64), 0x604);		/* PM1a_CNT_BLK */
	assert_int_equal(rd32(f, 68), 0);
	assert_int_equal(rd32(f, 72), 0);		/* no PM2 */
	assert_int_equal(rd32(f, 76), 0x608);		/* PM_TMR_BLK */
	assert_int_equal(rd32(f, 80), 0);		/* no GPE0 */
	assert_int_equal(rd8(f, 88), 4);		/* PM1_EVT_LEN */
	assert_int_equal(rd8(f, 89), 2);		/* PM1_CNT_LEN */
	assert_int_equal(rd8(f, 91), 4);		/* PM_TMR_LEN */
	assert_int_equal(rd8(f, 92), 0);		/* GPE0_BLK_LEN */
	assert_true(rd16(f, 96) > 100 && rd16(f, 98) > 1000);	/* no C2, C3 */
	/* IAPC_BOOT_ARCH: legacy devices, no 8042, no VGA, CMOS RTC present. */
	assert_int_equal(rd16(f, 109) & 0x27, 0x05);
	flags = rd32(f, 112);
	assert_int_equal(flags & 0x525, 0x525);	/* WBINVD PROC_C1 SLP_BUTTON TMR_VAL_EXT RESET_REG_SUP */
	assert_int_equal(flags & (1u << 4), 0);	/* the power button is fixed hardware */
	assert_int_equal(flags & (1u << 20), 0);	/* not hardware-reduced */
	/* RESET_REG: System I/O, 8 bits at offset 0, port 0x60c; value 1. */
	assert_int_equal(rd8(f, 116), 1);
	assert_int_equal(rd8(f, 117), 8);
	assert_int_equal(rd8(f, 118), 0);
	assert_int_equal(rd64(f, 120), 0x60c);
	assert_int_equal(rd8(f, 128), 1);
	/* X_PM1a_EVT_BLK, X_PM1a_CNT_BLK, X_PM_TMR_BLK agree with the 32-bit ones. */
	assert_int_equal(rd8(f, 148), 1);
	assert_int_equal(rd8(f, 149), 32);
	assert_int_equal(rd64(f, 152), 0x600);
	assert_int_equal(rd8(f, 172), 1);
	assert_int_equal(rd8(f, 173), 16);
	assert_int_equal(rd64(f, 176), 0x604);
	assert_int_equal(rd8(f, 208), 1);
	assert_int_equal(rd8(f, 209), 32);
	assert_int_equal(rd64(f, 212), 0x608);
	for (unsigned off = 160; off < 172; off++)	/* no PM1b */
		assert_int_equal(f[off], 0);
}

static void test_fadt_other_pm_base(void **state)
{
	struct acpi_build_cfg cfg = cfg_for(1);
	const u8 *f;

	cfg.pm_base = 0xb000;
	build(&cfg);
	f = xsdt_find("FACP");
	assert_int_equal(rd32(f, 56), 0xb000);
	assert_int_equal(rd32(f, 64), 0xb004);
	assert_int_equal(rd32(f, 76), 0xb008);
	assert_int_equal(rd64(f, 120), 0xb00c);
	assert_int_equal(rd64(f, 176), 0xb004);
}

static void test_facs(void **state)
{
	struct acpi_build_cfg cfg = cfg_for(2);
	u64 gpas[] = { GPA, GPA + 16, GPA + 48 };

	for (unsigned i = 0; i < ARRAY_SIZE(gpas); i++) {
		const u8 *facs;
		u32 addr;

		memset(buf, 0xcc, sizeof(buf));
		assert_int_equal(acpi_build(&cfg, buf, sizeof(buf), gpas[i], &used), 0);
		addr = rd32(buf + (rd32(buf, 16) - gpas[i]), 36 + 0);	/* RSDT entry 0 */
		facs = buf + (rd32(buf + (addr - gpas[i]), 36) - gpas[i]);
		assert_int_equal((facs - buf + gpas[i]) % 64, 0);
		assert_memory_equal(facs, "FACS", 4);
		assert_int_equal(rd32(facs, 4), 64);
		assert_int_equal(rd8(facs, 32), 2);	/* version */
		assert_int_equal(rd32(facs, 16), 0);	/* global lock free */
	}
}

/* The MADT's structures for ncpus vCPUs, against 5.2.12. */
static void check_madt(unsigned ncpus)
{
	struct acpi_build_cfg cfg = cfg_for(ncpus);
	const u8 *m;
	unsigned lapics = 0, ioapics = 0, overrides = 0, nmis = 0;
	u32 off;

	build(&cfg);
	m = xsdt_find("APIC");
	assert_int_equal(rd32(m, 36), 0xfee00000);
	assert_int_equal(rd32(m, 40), 1);		/* PCAT_COMPAT */
	for (off = 44; off < rd32(m, 4); off += m[off + 1]) {
		const u8 *e = m + off;

		assert_true(e[1] >= 2 && off + e[1] <= rd32(m, 4));
		switch (e[0]) {
		case 0:
			assert_int_equal(e[1], 8);
			assert_int_equal(e[2], lapics);	/* UID i */
			assert_int_equal(e[3], lapics);	/* APIC ID i */
			assert_int_equal(rd32(e, 4), 1);	/* enabled */
			lapics++;
			break;
		case 1:
			assert_int_equal(e[1], 12);
			assert_int_equal(e[2], ncpus);
			assert_int_equal(rd32(e, 4), 0xfec00000);
			assert_int_equal(rd32(e, 8), 0);
			ioapics++;
			break;
		case 2:
			assert_int_equal(e[1], 10);
			assert_int_equal(e[2], 0);		/* ISA */
			if (e[3] == 0) {
				assert_int_equal(rd32(e, 4), 2);
				assert_int_equal(rd16(e, 8), 0x5);	/* edge, high */
			} else {
				assert_int_equal(e[3], 9);
				assert_int_equal(rd32(e, 4), 9);
				assert_int_equal(rd16(e, 8), 0xd);	/* level, high */
			}
			overrides++;
			break;
		case 4:
			assert_int_equal(e[1], 6);
			assert_int_equal(e[2], 0xff);	/* all processors */
			assert_int_equal(e[5], 1);		/* LINT1 */
			nmis++;
			break;
		default:
			fail_msg("unexpected MADT structure %u", e[0]);
		}
	}
	assert_int_equal(off, rd32(m, 4));
	assert_int_equal(lapics, ncpus);
	assert_int_equal(ioapics, 1);
	assert_int_equal(overrides, 2);
	assert_int_equal(nmis, 1);
}

static void test_madt(void **state)
{
	check_madt(1);
	check_madt(2);
	check_madt(ACPI_BUILD_MAX_CPUS);
}

/* PkgLength (20.2.4) at p: the length and how many bytes encode it. */
static size_t pkglen(const u8 *p, unsigned *nbytes)
{
	unsigned follow = p[0] >> 6;
	size_t v = follow ? p[0] & 0x0f : p[0] & 0x3f;

	for (unsigned i = 0; i < follow; i++)
		v |= (size_t)p[1 + i] << (4 + 8 * i);
	*nbytes = 1 + follow;
	return v;
}

static const u8 *find_bytes(const u8 *hay, size_t n, const void *needle, size_t m)
{
	for (size_t i = 0; i + m <= n; i++)
		if (!memcmp(hay + i, needle, m))
			return hay + i;
	return NULL;
}

static void test_dsdt_s5(void **state)
{
	/* Name(\_S5_, Package(4){5, 5, 0, 0}) in AML (20.2.5.1, 20.2.5.4). */
	static const u8 s5[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x08, 0x04,
				 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00 };
	struct acpi_build_cfg cfg = cfg_for(2);
	const u8 *d;
	u16 a, b;

	build(&cfg);
	d = table(rd64(xsdt_find("FACP"), 140), "DSDT");
	assert_int_equal(rd8(d, 8), 2);
	assert_non_null(find_bytes(d + 36, rd32(d, 4) - 36, s5, sizeof(s5)));
	assert_int_equal(acpi_aml_find_s5(d + 36, rd32(d, 4) - 36, &a, &b), 0);
	assert_int_equal(a, 5);
	assert_int_equal(b, 5);
	for (u8 typ = 0; typ < 8; typ++) {
		cfg.s5_slp_typ = typ;
		build(&cfg);
		d = table(rd64(xsdt_find("FACP"), 140), "DSDT");
		assert_int_equal(acpi_aml_find_s5(d + 36, rd32(d, 4) - 36, &a, &b), 0);
		assert_int_equal(a, typ);
		assert_int_equal(b, typ);
	}
}

/* Walk the _CRS resource template (6.4) and check each descriptor. */
static void check_crs(const u8 *r, size_t n, u32 mmio_base)
{
	static const struct { u8 tag; u32 min, max; } want[] = {
		{ 0x88, 0x00, 0xff },		/* WordBusNumber */
		{ 0x47, 0xcf8, 0xcf8 },		/* IO, 8 ports */
		{ 0x88, 0x0000, 0x0cf7 },	/* WordIO */
		{ 0x88, 0x0d00, 0xffff },
		{ 0x87, 0xa0000, 0xbffff },	/* DWordMemory */
		{ 0x87, 0, 0xfebfffff },	/* min is mmio_base */
		{ 0x79, 0, 0 },			/* End Tag */
	};
	size_t off = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
		const u8 *e = r + off;
		u32 min = 0, max = 0;

		assert_true(off < n);
		assert_int_equal(e[0], want[i].tag);
		if (e[0] == 0x88) {		/* 6.4.3.5.3 */
			assert_int_equal(rd16(e, 1), 13);
			assert_int_equal(e[3], i == 0 ? 2 : 1);	/* bus, then I/O */
			assert_int_equal(e[4] & 0x0f, 0x0c);	/* producer, fixed window */
			min = rd16(e, 8);
			max = rd16(e, 10);
			assert_int_equal(rd16(e, 14), max - min + 1);
			off += 16;
		} else if (e[0] == 0x87) {	/* 6.4.3.5.2 */
			assert_int_equal(rd16(e, 1), 23);
			assert_int_equal(e[3], 0);		/* memory */
			min = rd32(e, 10);
			max = rd32(e, 14);
			assert_int_equal(rd32(e, 22), max - min + 1);
			off += 26;
		} else if (e[0] == 0x47) {	/* 6.4.2.5 */
			min = rd16(e, 2);
			max = rd16(e, 4);
			assert_int_equal(e[7], 8);
			off += 8;
		} else {
			off += 2;
		}
		assert_int_equal(min, i == 5 ? mmio_base : want[i].min);
		assert_int_equal(max, want[i].max);
	}
	assert_int_equal(off, n);
}

static void test_dsdt_pci0(void **state)
{
	static const u8 hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x03 };
	static const u8 crs[] = { 0x08, '_', 'C', 'R', 'S', 0x11 };
	static const u8 sb[] = { '\\', '_', 'S', 'B', '_', 0x5b, 0x82 };
	struct acpi_build_cfg cfg = cfg_for(2);
	const u8 *d, *body, *p;
	size_t blen, len;
	unsigned nb;

	cfg.pci_mmio_base = 0x80000000;
	build(&cfg);
	d = table(rd64(xsdt_find("FACP"), 140), "DSDT");
	body = d + 36;
	blen = rd32(d, 4) - 36;
	/* Scope(\_SB_) { Device(PCI0) { ... } } runs to the end of the table. */
	p = find_bytes(body, blen, sb, sizeof(sb));
	assert_non_null(p);
	assert_int_equal(p[-3], 0x10);			/* ScopeOp, two-byte PkgLength */
	len = pkglen(p - 2, &nb);
	assert_int_equal(nb, 2);
	assert_int_equal(p - 2 + len, d + rd32(d, 4));
	len = pkglen(p + 7, &nb);
	assert_memory_equal(p + 7 + nb, "PCI0", 4);
	assert_int_equal(p + 7 + len, d + rd32(d, 4));
	assert_non_null(find_bytes(body, blen, hid, sizeof(hid)));	/* EISAID("PNP0A03") */
	/* _UID, _BBN, _SEG: Zero. */
	assert_non_null(find_bytes(body, blen, "\x08_UID\x00", 6));
	assert_non_null(find_bytes(body, blen, "\x08_BBN\x00", 6));
	assert_non_null(find_bytes(body, blen, "\x08_SEG\x00", 6));
	/* Name(_CRS, Buffer(size){...}), then Name(_PRT, Package{...}), which
	 * ends the device. */
	p = find_bytes(body, blen, crs, sizeof(crs));
	assert_non_null(p);
	len = pkglen(p + 6, &nb);
	assert_int_equal(p[6 + nb], 0x0a);		/* BytePrefix buffer size */
	assert_int_equal(p[7 + nb], len - nb - 2);
	check_crs(p + 8 + nb, p[7 + nb], cfg.pci_mmio_base);
	p += 6 + len;
	assert_memory_equal(p, "\x08_PRT\x12", 6);	/* NameOp _PRT PackageOp */
	len = pkglen(p + 6, &nb);
	assert_int_equal(p + 6 + len, d + rd32(d, 4));
	assert_int_equal(p[6 + nb], ACPI_PCI_PRT_SLOTS * 4);	/* NumElements */
}

/* _PRT entry for slot 1, INTA#: Package(4) { 0x1ffff, Zero, Zero, GSI 17 }
 * (DWordPrefix address, ZeroOp pin and source, BytePrefix GSI). */
static void test_dsdt_prt_entry(void **state)
{
	static const u8 entry[] = { 0x12, 0x0b, 0x04, 0x0c, 0xff, 0xff, 0x01, 0x00,
				    0x00, 0x00, 0x0a, 0x11 };
	struct acpi_build_cfg cfg = cfg_for(1);
	const u8 *d;

	build(&cfg);
	d = table(rd64(xsdt_find("FACP"), 140), "DSDT");
	assert_int_equal(acpi_pci_intx_gsi(1, 0), 17);
	assert_int_equal(acpi_pci_intx_gsi(7, 3), 18);	/* swizzled, wraps within 16-23 */
	assert_non_null(find_bytes(d + 36, rd32(d, 4) - 36, entry, sizeof(entry)));
}

/* Keel's host ACPI reader, over the tables placed in the fake arena. */
static void test_host_reader_agrees(void **state)
{
	struct acpi_build_cfg cfg = cfg_for(4);
	struct acpi_madt_info madt;
	struct acpi_s5 s5;

	fake_mem_init(BUFLEN);
	assert_int_equal(acpi_build(&cfg, fake_mem(), BUFLEN, FAKE_PHYS_BASE, &used), 0);
	assert_int_equal(acpi_init(fake_mem(), 36), 0);
	assert_non_null(acpi_find_table("FACP", 0));
	assert_non_null(acpi_find_table("APIC", 0));
	assert_non_null(acpi_find_table("DSDT", 0));
	assert_int_equal(acpi_get_s5(&s5), 0);
	assert_int_equal(s5.pm1a_cnt, 0x604);
	assert_int_equal(s5.pm1b_cnt, 0);
	assert_int_equal(s5.slp_typa, ACPI_PM_S5_SLP_TYP);
	assert_int_equal(s5.slp_typb, ACPI_PM_S5_SLP_TYP);
	assert_int_equal(acpi_get_madt(&madt), 0);
	assert_int_equal(madt.lapic_base, 0xfee00000);
	assert_int_equal(madt.ncpus, 4);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(madt.apic_ids[i], i);
		assert_true(madt.enabled[i]);
	}
	assert_int_equal(madt.nioapic, 1);
	assert_int_equal(madt.ioapic_base[0], 0xfec00000);
	assert_int_equal(madt.ioapic_gsi_base[0], 0);
	acpi_reset();
	fake_mem_free();
}

/* Every length short of the tables fails, and nothing at or past len changes. */
static void test_too_small(void **state)
{
	struct acpi_build_cfg cfg = cfg_for(ACPI_BUILD_MAX_CPUS);
	size_t need, got;
	u8 *b;

	assert_int_equal(acpi_build(&cfg, NULL, 0, GPA, &need), -ENOSPC);
	assert_true(need > 36);
	b = malloc(need + 64);
	for (size_t len = 0; len < need; len++) {
		memset(b, 0xcc, need + 64);
		got = 0;
		assert_int_equal(acpi_build(&cfg, b, len, GPA, &got), -ENOSPC);
		assert_int_equal(got, need);
		for (size_t i = len; i < need + 64; i++)
			assert_int_equal(b[i], 0xcc);
	}
	memset(b, 0xcc, need + 64);
	assert_int_equal(acpi_build(&cfg, b, need, GPA, &got), 0);
	assert_int_equal(got, need);
	for (size_t i = need; i < need + 64; i++)
		assert_int_equal(b[i], 0xcc);
	assert_true(need <= ACPI_BUILD_MAX_LEN);
	free(b);
}

static void test_bad_config(void **state)
{
	struct acpi_build_cfg ok = cfg_for(2), cfg;

#define BAD(field, value) do { \
		cfg = ok; cfg.field = value; \
		assert_int_equal(acpi_build(&cfg, buf, sizeof(buf), GPA, &used), -EINVAL); \
	} while (0)
	BAD(ncpus, 0);
	BAD(ncpus, ACPI_BUILD_MAX_CPUS + 1);
	BAD(ncpus, ~0u);
	BAD(s5_slp_typ, 8);
	BAD(pm_base, 0);
	BAD(pm_base, 0xfff1);
	BAD(pci_mmio_base, 0);
	BAD(pci_mmio_base, 0xfec00000);
	BAD(pci_mmio_end, 0xfec00000);		/* into the IO-APIC */
	BAD(pci_mmio_end, 0xbfffffff);		/* ends before it starts */
	BAD(lapic_base, 0);
	BAD(ioapic_base, 0);
#undef BAD
	assert_int_equal(acpi_build(NULL, buf, sizeof(buf), GPA, &used), -EINVAL);
	assert_int_equal(acpi_build(&ok, buf, sizeof(buf), GPA + 8, &used), -EINVAL);
	assert_int_equal(acpi_build(&ok, buf, sizeof(buf), 4 * GiB, &used), -EINVAL);
	/* Tables that would cross 4 GiB cannot be pointed at by 32-bit fields. */
	assert_int_equal(acpi_build(&ok, buf, sizeof(buf), 4 * GiB - 256, &used), -EINVAL);
	cfg = ok;
	cfg.pm_base = 0xfff0;
	cfg.pci_mmio_base = cfg.pci_mmio_end;
	assert_int_equal(acpi_build(&cfg, buf, sizeof(buf), GPA, &used), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsdp),
		cmocka_unit_test(test_root_tables),
		cmocka_unit_test(test_fadt),
		cmocka_unit_test(test_fadt_other_pm_base),
		cmocka_unit_test(test_facs),
		cmocka_unit_test(test_madt),
		cmocka_unit_test(test_dsdt_s5),
		cmocka_unit_test(test_dsdt_pci0),
		cmocka_unit_test(test_dsdt_prt_entry),
		cmocka_unit_test(test_host_reader_agrees),
		cmocka_unit_test(test_too_small),
		cmocka_unit_test(test_bad_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
