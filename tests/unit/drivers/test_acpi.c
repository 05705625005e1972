/* Host tests for the ACPI table reader: synthetic tables in the fake arena. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "fake_hw.h"
#include "drivers/acpi.h"

#define ARENA_SIZE (64 * 1024)

/* Where each synthetic table lives in the arena. */
enum {
	RSDP_OFF = 0x0000,
	RSDT_OFF = 0x0100,
	XSDT_OFF = 0x0200,
	FADT_OFF = 0x0400,
	DSDT_OFF = 0x0800,
	MADT_OFF = 0x1000,
	SSDT_OFF = 0x2000,
	ALT_OFF  = 0x3000,
};

#define PM1A_CNT_BOCHS 0xb004
#define FADT_LEN       276      /* ACPI 6.x FADT */

static u8 *at(size_t off) { return fake_mem() + off; }
static u64 pa(size_t off) { return FAKE_PHYS_BASE + off; }
static void put8(size_t off, u8 v) { *at(off) = v; }
static void put32(size_t off, u32 v) { memcpy(at(off), &v, 4); }
static void put64(size_t off, u64 v) { memcpy(at(off), &v, 8); }

static u8 sum(const u8 *p, size_t n)
{
	u8 s = 0;
	while (n--)
		s += *p++;
	return s;
}

/* Set the header checksum (byte 9) so the table's `length` bytes sum to 0. */
static void finish(size_t off)
{
	u32 len;
	memcpy(&len, at(off + 4), 4);
	put8(off + 9, 0);
	put8(off + 9, (u8)-sum(at(off), len));
}

static void header(size_t off, const char *sig, u32 len)
{
	memset(at(off), 0, len);
	memcpy(at(off), sig, 4);
	put32(off + 4, len);
	put8(off + 8, 1);
	memcpy(at(off + 10), "KEELTS", 6);
}

static void rsdp(u8 rev, u64 rsdt, u64 xsdt)
{
	u8 *r = at(RSDP_OFF);

	memset(r, 0, 36);
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, "KEELTS", 6);
	r[15] = rev;
	put32(RSDP_OFF + 16, (u32)rsdt);
	r[8] = (u8)-sum(r, 20);
	if (rev >= 2) {
		put32(RSDP_OFF + 20, 36);
		put64(RSDP_OFF + 24, xsdt);
		r[32] = (u8)-sum(r, 36);
	}
}

static void root(size_t off, const char *sig, unsigned esize, const u64 *pas, unsigned n)
{
	header(off, sig, 36 + esize * n);
	for (unsigned i = 0; i < n; i++) {
		if (esize == 8)
			put64(off + 36 + 8 * i, pas[i]);
		else
			put32(off + 36 + 4 * i, (u32)pas[i]);
	}
	finish(off);
}

static void fadt(size_t off, u64 dsdt, u32 pm1a, u32 pm1b)
{
	header(off, "FACP", FADT_LEN);
	put32(off + 40, (u32)dsdt);
	put32(off + 64, pm1a);
	put32(off + 68, pm1b);
	finish(off);
}

static void set_gas(size_t off, u8 space, u64 addr)
{
	put8(off, space);
	put8(off + 1, 16);
	put64(off + 4, addr);
}

static void dsdt(size_t off, const u8 *aml, size_t n)
{
	header(off, "DSDT", 36 + n);
	memcpy(at(off + 36), aml, n);
	finish(off);
}

/* Name(PICF, Zero) then Name(_S5_, Package(4){Zero, Zero, Zero, Zero}), as Bochs has. */
static const u8 aml_s5_zero[] = {
	0x08, 'P', 'I', 'C', 'F', 0x00,
	0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00,
};

/* Name(\_S5_, Package(4){5, 5, 0, 0}) with ByteConst. */
static const u8 aml_s5_byte[] = {
	0x08, 0x5c, '_', 'S', '5', '_', 0x12, 0x08, 0x04,
	0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00,
};

/* The standard machine: RSDT (v1) or XSDT (v2) listing FADT and MADT. */
static void madt_basic(void);

static void tables(u8 rev, const u8 *aml, size_t n)
{
	u64 list[] = { pa(FADT_OFF), pa(MADT_OFF) };

	fadt(FADT_OFF, pa(DSDT_OFF), PM1A_CNT_BOCHS, 0);
	dsdt(DSDT_OFF, aml, n);
	madt_basic();
	root(RSDT_OFF, "RSDT", 4, list, 2);
	root(XSDT_OFF, "XSDT", 8, list, 2);
	rsdp(rev, pa(RSDT_OFF), rev >= 2 ? pa(XSDT_OFF) : 0);
}

static int init(u8 rev)
{
	return acpi_init(at(RSDP_OFF), rev >= 2 ? 36 : 20);
}

static int setup(void **state)
{
	(void)state;
	fake_mem_init(ARENA_SIZE);
	acpi_reset();
	fake_port_in_value = 0;
	fake_port_last_out_port = 0;
	fake_port_last_out_value = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	acpi_reset();
	fake_mem_free();
	return 0;
}

/* --- RSDP and root table ------------------------------------------------- */

static void test_rsdp_v1_uses_rsdt(void **state)
{
	(void)state;
	tables(0, aml_s5_zero, sizeof(aml_s5_zero));
	assert_int_equal(init(0), 0);
	assert_ptr_equal(acpi_find_table("FACP", 0), at(FADT_OFF));
	assert_ptr_equal(acpi_find_table("APIC", 0), at(MADT_OFF));
	assert_ptr_equal(acpi_find_table("DSDT", 0), at(DSDT_OFF));
	assert_null(acpi_find_table("FACP", 1));
	assert_null(acpi_find_table("HPET", 0));
}

static void test_rsdp_v2_uses_xsdt(void **state)
{
	u64 rsdt_list[] = { pa(ALT_OFF) };

	(void)state;
	tables(2, aml_s5_zero, sizeof(aml_s5_zero));
	/* The RSDT points to a different FADT: the XSDT one must win. */
	fadt(ALT_OFF, pa(DSDT_OFF), 0x604, 0);
	root(RSDT_OFF, "RSDT", 4, rsdt_list, 1);
	rsdp(2, pa(RSDT_OFF), pa(XSDT_OFF));
	assert_int_equal(init(2), 0);
	assert_ptr_equal(acpi_find_table("FACP", 0), at(FADT_OFF));
}

static void test_rsdp_v2_zero_xsdt_uses_rsdt(void **state)
{
	u64 rsdt_list[] = { pa(ALT_OFF) };

	(void)state;
	tables(2, aml_s5_zero, sizeof(aml_s5_zero));
	fadt(ALT_OFF, pa(DSDT_OFF), 0x604, 0);
	root(RSDT_OFF, "RSDT", 4, rsdt_list, 1);
	rsdp(2, pa(RSDT_OFF), 0);
	assert_int_equal(init(2), 0);
	assert_ptr_equal(acpi_find_table("FACP", 0), at(ALT_OFF));
}

static void test_rsdp_v2_bad_xsdt_falls_back(void **state)
{
	(void)state;
	tables(2, aml_s5_zero, sizeof(aml_s5_zero));
	at(XSDT_OFF)[40] ^= 0xff;       /* XSDT checksum now wrong */
	assert_int_equal(init(2), 0);
	assert_ptr_equal(acpi_find_table("FACP", 0), at(FADT_OFF));

	/* ... but not when there is no RSDT to fall back to. */
	rsdp(2, 0, pa(XSDT_OFF));
	assert_int_equal(init(2), -EINVAL);
	assert_null(acpi_find_table("FACP", 0));
}

static void test_rsdp_rejected(void **state)
{
	(void)state;
	tables(2, aml_s5_zero, sizeof(aml_s5_zero));
	assert_int_equal(acpi_init(NULL, 36), -EINVAL);
	assert_int_equal(acpi_init(at(RSDP_OFF), 19), -EINVAL);
	/* A v2 RSDP needs its 36 bytes. */
	assert_int_equal(acpi_init(at(RSDP_OFF), 20), -EINVAL);

	at(RSDP_OFF)[33] = 1;           /* reserved byte: only the extended checksum sees it */
	assert_int_equal(init(2), -EINVAL);
	rsdp(2, pa(RSDT_OFF), pa(XSDT_OFF));
	put32(RSDP_OFF + 20, 64);       /* length beyond what the caller gave */
	assert_int_equal(init(2), -EINVAL);

	rsdp(0, pa(RSDT_OFF), 0);
	at(RSDP_OFF)[10] ^= 1;          /* v1 checksum */
	assert_int_equal(init(0), -EINVAL);
	rsdp(0, pa(RSDT_OFF), 0);
	at(RSDP_OFF)[0] = 'X';
	at(RSDP_OFF)[8] -= 'X' - 'R';   /* checksum still right, signature wrong */
	assert_int_equal(init(0), -EINVAL);
	assert_null(acpi_find_table("FACP", 0));
}

static void test_root_table_rejected(void **state)
{
	(void)state;
	tables(0, aml_s5_zero, sizeof(aml_s5_zero));
	at(RSDT_OFF)[36] ^= 1;
	assert_int_equal(init(0), -EINVAL);

	tables(0, aml_s5_zero, sizeof(aml_s5_zero));
	memcpy(at(RSDT_OFF), "XSDT", 4); /* wrong signature */
	finish(RSDT_OFF);
	assert_int_equal(init(0), -EINVAL);

	tables(0, aml_s5_zero, sizeof(aml_s5_zero));
	rsdp(0, 0, 0);
	assert_int_equal(init(0), -EINVAL);
}

/* --- acpi_find_table ------------------------------------------------------ */

static void test_find_table_instances_and_checksums(void **state)
{
	u64 list[] = { pa(FADT_OFF), 0, pa(SSDT_OFF), pa(MADT_OFF), pa(SSDT_OFF + 0x100) };

	(void)state;
	tables(2, aml_s5_zero, sizeof(aml_s5_zero));
	header(SSDT_OFF, "SSDT", 40);
	finish(SSDT_OFF);
	header(SSDT_OFF + 0x100, "SSDT", 48);
	finish(SSDT_OFF + 0x100);
	root(XSDT_OFF, "XSDT", 8, list, 5);
	rsdp(2, pa(RSDT_OFF), pa(XSDT_OFF));
	assert_int_equal(init(2), 0);

	assert_ptr_equal(acpi_find_table("SSDT", 0), at(SSDT_OFF));
	assert_ptr_equal(acpi_find_table("SSDT", 1), at(SSDT_OFF + 0x100));
	assert_null(acpi_find_table("SSDT", 2));
	assert_ptr_equal(acpi_find_table("APIC", 0), at(MADT_OFF));

	/* A bad first SSDT is reported, not skipped. */
	at(SSDT_OFF)[38] = 1;
	assert_null(acpi_find_table("SSDT", 0));
	assert_ptr_equal(acpi_find_table("SSDT", 1), at(SSDT_OFF + 0x100));
}

static void test_find_table_bad_lengths(void **state)
{
	(void)state;
	tables(0, aml_s5_zero, sizeof(aml_s5_zero));
	assert_int_equal(init(0), 0);

	/* A length past the table limit is refused before anything is summed. */
	put32(MADT_OFF + 4, 0xffffffff);
	assert_null(acpi_find_table("APIC", 0));
	put32(MADT_OFF + 4, 20);        /* shorter than a header */
	assert_null(acpi_find_table("APIC", 0));
	assert_null(acpi_find_table("FACP", 1));
}

static void test_find_table_before_init(void **state)
{
	struct acpi_s5 s5;
	struct acpi_madt_info m;

	(void)state;
	assert_null(acpi_find_table("FACP", 0));
	assert_null(acpi_find_table("DSDT", 0));
	assert_int_equal(acpi_get_s5(&s5), -ENODEV);
	assert_false(s5.valid);
	assert_int_equal(acpi_get_madt(&m), -ENODEV);
}

/* --- \_S5_ through the tables --------------------------------------------- */

static void test_s5_bochs_zero_package(void **state)
{
	struct acpi_s5 s5;

	(void)state;
	tables(0, aml_s5_zero, sizeof(aml_s5_zero));
	assert_int_equal(init(0), 0);
	assert_int_equal(acpi_get_s5(&s5), 0);
	assert_true(s5.valid);
	assert_int_equal(s5.pm1a_cnt, PM1A_CNT_BOCHS);
	assert_int_equal(s5.pm1b_cnt, 0);
	assert_int_equal(s5.slp_typa, 0);
	assert_int_equal(s5.slp_typb, 0);
}

static void test_s5_byteconst_via_xsdt(void **state)
{
	struct acpi_s5 s5;

	(void)state;
	tables(2, aml_s5_byte, sizeof(aml_s5_byte));
	assert_int_equal(init(2), 0);
	assert_int_equal(acpi_get_s5(&s5), 0);
	assert_int_equal(s5.slp_typa, 5);
	assert_int_equal(s5.slp_typb, 5);
}

static void test_s5_x_fields_preferred(void **state)
{
	static const u8 other[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x01, 0x0a, 0x07 };
	struct acpi_s5 s5;

	(void)state;
	tables(2, aml_s5_zero, sizeof(aml_s5_zero));
	/* X_DSDT wins over DSDT; X_PM1a_CNT_BLK wins when it is System I/O. */
	dsdt(ALT_OFF, other, sizeof(other));
	put64(FADT_OFF + 140, pa(ALT_OFF));
	set_gas(FADT_OFF + 172, 1, 0x1804);
	set_gas(FADT_OFF + 184, 0, 0xfed00000); /* memory space: ignored */
	put32(FADT_OFF + 68, 0x1806);
	finish(FADT_OFF);
	assert_int_equal(init(2), 0);
	assert_int_equal(acpi_get_s5(&s5), 0);
	assert_int_equal(s5.pm1a_cnt, 0x1804);
	assert_int_equal(s5.pm1b_cnt, 0x1806);
	assert_int_equal(s5.slp_typa, 1);
	assert_int_equal(s5.slp_typb, 7);
}

static void test_s5_acpi1_short_fadt(void **state)
{
	struct acpi_s5 s5;

	(void)state;
	tables(0, aml_s5_byte, sizeof(aml_s5_byte));
	/* An ACPI 1.0 FADT is 116 bytes: no X_ fields may be read. */
	put32(FADT_OFF + 4, 116);
	finish(FADT_OFF);
	assert_int_equal(init(0), 0);
	assert_int_equal(acpi_get_s5(&s5), 0);
	assert_int_equal(s5.pm1a_cnt, PM1A_CNT_BOCHS);
	assert_int_equal(s5.slp_typa, 5);
}

static void test_s5_errors(void **state)
{
	static const u8 none[] = { 0x08, 'P', 'I', 'C', 'F', 0x00, 0x14, 0x06, '_', 'S', '5', '_', 0x00 };
	static const u8 big[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0a, 0x08, 0x00 };
	struct acpi_s5 s5;

	(void)state;
	tables(0, none, sizeof(none));
	assert_int_equal(init(0), 0);
	assert_int_equal(acpi_get_s5(&s5), -ENOENT);
	assert_false(s5.valid);

	/* SLP_TYP is a 3-bit field. */
	dsdt(DSDT_OFF, big, sizeof(big));
	assert_int_equal(acpi_get_s5(&s5), -EINVAL);

	/* Bad DSDT checksum. */
	dsdt(DSDT_OFF, aml_s5_zero, sizeof(aml_s5_zero));
	at(DSDT_OFF)[40] ^= 1;
	assert_int_equal(acpi_get_s5(&s5), -EINVAL);

	/* No PM1a_CNT_BLK (a hardware-reduced platform). */
	dsdt(DSDT_OFF, aml_s5_zero, sizeof(aml_s5_zero));
	fadt(FADT_OFF, pa(DSDT_OFF), 0, 0);
	assert_int_equal(acpi_get_s5(&s5), -ENODEV);

	/* A port that does not fit 16 bits. */
	fadt(FADT_OFF, pa(DSDT_OFF), 0x10000, 0);
	assert_int_equal(acpi_get_s5(&s5), -EINVAL);
}

/*
 * The DSDT is placed at the very end of the arena and ends in the middle
 * of the \_S5_ package, so any read past it is an ASan error.
 */
static void test_s5_truncated_dsdt_at_arena_end(void **state)
{
	static const u8 cut[] = { 0x08, 'P', 'I', 'C', 'F', 0x00,
				  0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00 };
	size_t off = ARENA_SIZE - (36 + sizeof(cut));
	struct acpi_s5 s5;

	(void)state;
	tables(0, aml_s5_zero, sizeof(aml_s5_zero));
	fadt(FADT_OFF, pa(off), PM1A_CNT_BOCHS, 0);
	dsdt(off, cut, sizeof(cut));
	assert_int_equal(init(0), 0);
	assert_ptr_equal(acpi_find_table("DSDT", 0), at(off));
	assert_int_equal(acpi_get_s5(&s5), -EINVAL);
	assert_false(s5.valid);

	/* Cut right after PackageOp, then right after the NameSeg. */
	dsdt(off + 3, cut, sizeof(cut) - 3);
	fadt(FADT_OFF, pa(off + 3), PM1A_CNT_BOCHS, 0);
	assert_int_equal(acpi_get_s5(&s5), -EINVAL);
	dsdt(off + 4, cut, sizeof(cut) - 4);
	fadt(FADT_OFF, pa(off + 4), PM1A_CNT_BOCHS, 0);
	assert_int_equal(acpi_get_s5(&s5), -ENOENT);
}

/* --- the AML scanner on exact-size heap buffers ---------------------------- */

static int scan(const u8 *aml, size_t n, u16 *a, u16 *b)
{
	u8 *copy = malloc(n ? n : 1);
	int err;

	if (n)
		memcpy(copy, aml, n);
	err = acpi_aml_find_s5(copy, n, a, b);
	free(copy);
	return err;
}

static void test_aml_encodings(void **state)
{
	static const u8 one_word[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x07, 0x03, 0x01, 0x0b, 0x06, 0x00, 0x00 };
	static const u8 dword[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x0c, 0x02,
				    0x0c, 0x03, 0, 0, 0, 0x0c, 0x04, 0, 0, 0 };
	static const u8 packed[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x01, 0x0b, 0x05, 0x07 };
	static const u8 ref[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x07, 0x02, 'A', 'B', 'C', 'D', 0x00 };
	u16 a = 99, b = 99;

	(void)state;
	assert_int_equal(scan(aml_s5_zero, sizeof(aml_s5_zero), &a, &b), 0);
	assert_int_equal(a, 0);
	assert_int_equal(scan(aml_s5_byte, sizeof(aml_s5_byte), &a, &b), 0);
	assert_int_equal(a, 5);
	assert_int_equal(b, 5);
	assert_int_equal(scan(one_word, sizeof(one_word), &a, &b), 0);
	assert_int_equal(a, 1);
	assert_int_equal(b, 6);
	assert_int_equal(scan(dword, sizeof(dword), &a, &b), 0);
	assert_int_equal(a, 3);
	assert_int_equal(b, 4);
	/* One integer: SLP_TYPa in byte 0, SLP_TYPb in byte 1. */
	assert_int_equal(scan(packed, sizeof(packed), &a, &b), 0);
	assert_int_equal(a, 5);
	assert_int_equal(b, 7);
	/* Elements that are not integers are not decoded. */
	assert_int_equal(scan(ref, sizeof(ref), &a, &b), -EINVAL);
	assert_int_equal(scan(NULL, 0, &a, &b), -ENOENT);
}

/* PkgLength with one following byte (ACPI 6.5 20.2.4): 70 = 0x46 -> 46 04. */
static void test_aml_two_byte_pkglength(void **state)
{
	u8 aml[5 + 1 + 70];
	u16 a, b;

	(void)state;
	memset(aml, 0, sizeof(aml));
	memcpy(aml, "\x08_S5_\x12", 6);
	aml[6] = 0x40 | (70 & 0xf);
	aml[7] = 70 >> 4;
	aml[8] = 65;                    /* 2 ByteConst + 63 ZeroOp = 67 bytes */
	aml[9] = 0x0a;
	aml[10] = 0x02;
	aml[11] = 0x0a;
	aml[12] = 0x03;
	assert_int_equal(scan(aml, sizeof(aml), &a, &b), 0);
	assert_int_equal(a, 2);
	assert_int_equal(b, 3);

	/* Bits 5:4 of a multi-byte lead must be zero. */
	aml[6] |= 0x10;
	assert_int_equal(scan(aml, sizeof(aml), &a, &b), -EINVAL);
	/* A length one byte past the end. */
	aml[6] = 0x40 | (71 & 0xf);
	aml[7] = 71 >> 4;
	assert_int_equal(scan(aml, sizeof(aml), &a, &b), -EINVAL);
	/* A four-byte PkgLength cut short by the end of the data. */
	assert_int_equal(scan((const u8 *)"\x08_S5_\x12\xc0\x01", 8, &a, &b), -EINVAL);
}

static void test_aml_skips_bad_candidates(void **state)
{
	static const u8 aml[] = {
		0x08, '_', 'S', '5', '_', 0x0a, 0x05,                   /* not a package */
		0x08, '_', 'S', '5', '_', 0x12, 0x03, 0x02, 0x0a, 0x01,   /* ends inside element 1 */
		0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0a, 0x05, 0x0a, 0x06,
	};
	u16 a, b;

	(void)state;
	assert_int_equal(scan(aml, sizeof(aml), &a, &b), 0);
	assert_int_equal(a, 5);
	assert_int_equal(b, 6);
}

/* Every prefix of a valid stream is safe to scan and none but the whole decodes. */
static void test_aml_every_prefix(void **state)
{
	u16 a, b;

	(void)state;
	for (size_t n = 0; n < sizeof(aml_s5_byte); n++) {
		int err = scan(aml_s5_byte, n, &a, &b);
		assert_true(err == -ENOENT || err == -EINVAL);
	}
	assert_int_equal(scan(aml_s5_byte, sizeof(aml_s5_byte), &a, &b), 0);
}

/* --- power-off ------------------------------------------------------------- */

static void test_poweroff_writes_pm1a(void **state)
{
	(void)state;
	tables(2, aml_s5_byte, sizeof(aml_s5_byte));
	assert_int_equal(init(2), 0);
	acpi_poweroff();                /* the fake machine stays on: it returns */
	assert_int_equal(fake_port_last_out_port, PM1A_CNT_BOCHS);
	assert_int_equal(fake_port_last_out_value, (5 << 10) | (1 << 13));
}

static void test_poweroff_keeps_sci_en(void **state)
{
	(void)state;
	tables(0, aml_s5_zero, sizeof(aml_s5_zero));
	assert_int_equal(init(0), 0);
	fake_port_in_value = 0xffff;    /* SCI_EN, BM_RLD and junk */
	acpi_poweroff();
	assert_int_equal(fake_port_last_out_port, PM1A_CNT_BOCHS);
	assert_int_equal(fake_port_last_out_value, (1 << 13) | 3);
}

static void test_poweroff_writes_pm1b_last(void **state)
{
	static const u8 aml[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0a, 0x05, 0x0a, 0x06 };

	(void)state;
	tables(0, aml, sizeof(aml));
	fadt(FADT_OFF, pa(DSDT_OFF), PM1A_CNT_BOCHS, 0xb104);
	assert_int_equal(init(0), 0);
	acpi_poweroff();
	assert_int_equal(fake_port_last_out_port, 0xb104);
	assert_int_equal(fake_port_last_out_value, (6 << 10) | (1 << 13));
}

static void test_poweroff_without_s5_writes_nothing(void **state)
{
	(void)state;
	acpi_poweroff();                /* no ACPI at all */
	assert_int_equal(fake_port_last_out_port, 0);

	tables(0, aml_s5_zero, 6);      /* a DSDT without \_S5_ */
	assert_int_equal(init(0), 0);
	acpi_poweroff();
	assert_int_equal(fake_port_last_out_port, 0);
}

/* --- MADT ------------------------------------------------------------------ */

static size_t madt_pos;

static void madt_begin(u32 lapic)
{
	header(MADT_OFF, "APIC", 44);
	put32(MADT_OFF + 36, lapic);
	put32(MADT_OFF + 40, 1);        /* PCAT_COMPAT */
	madt_pos = MADT_OFF + 44;
}

static void madt_end(void)
{
	put32(MADT_OFF + 4, (u32)(madt_pos - MADT_OFF));
	finish(MADT_OFF);
}

static void madt_lapic(u8 uid, u8 id, u32 flags)
{
	put8(madt_pos, 0);
	put8(madt_pos + 1, 8);
	put8(madt_pos + 2, uid);
	put8(madt_pos + 3, id);
	put32(madt_pos + 4, flags);
	madt_pos += 8;
}

static void madt_ioapic(u8 id, u32 addr, u32 gsi)
{
	put8(madt_pos, 1);
	put8(madt_pos + 1, 12);
	put8(madt_pos + 2, id);
	put32(madt_pos + 4, addr);
	put32(madt_pos + 8, gsi);
	madt_pos += 12;
}

/* Two LAPICs, the second disabled, an IO-APIC and an ISO (type 2, ignored). */
static void madt_basic(void)
{
	madt_begin(0xfee00000);
	madt_lapic(0, 0, 1);
	madt_lapic(1, 1, 0);
	madt_ioapic(0, 0xfec00000, 0);
	put8(madt_pos, 2);
	put8(madt_pos + 1, 10);
	madt_pos += 10;
	madt_end();
}

static void test_madt_basic(void **state)
{
	struct acpi_madt_info m;

	(void)state;
	tables(2, aml_s5_zero, sizeof(aml_s5_zero));
	assert_int_equal(init(2), 0);
	assert_int_equal(acpi_get_madt(&m), 0);
	assert_int_equal(m.lapic_base, 0xfee00000);
	assert_int_equal(m.ncpus, 1);
	assert_int_equal(m.apic_ids[0], 0);
	assert_true(m.enabled[0]);
	assert_int_equal(m.nioapic, 1);
	assert_int_equal(m.ioapic_base[0], 0xfec00000);
	assert_int_equal(m.ioapic_gsi_base[0], 0);
}

static void test_madt_x2apic_override_online_capable(void **state)
{
	struct acpi_madt_info m;

	(void)state;
	tables(0, aml_s5_zero, sizeof(aml_s5_zero));
	madt_begin(0xfee00000);
	madt_lapic(0, 0, 1);
	madt_lapic(1, 2, 2);            /* online capable, not enabled */
	/* Processor Local x2APIC: id 0x100, enabled. */
	put8(madt_pos, 9);
	put8(madt_pos + 1, 16);
	put32(madt_pos + 4, 0x100);
	put32(madt_pos + 8, 1);
	put32(madt_pos + 12, 7);
	madt_pos += 16;
	/* x2APIC entry for APIC ID 0 again: listed once. */
	put8(madt_pos, 9);
	put8(madt_pos + 1, 16);
	put32(madt_pos + 8, 1);
	madt_pos += 16;
	/* Local APIC Address Override. */
	put8(madt_pos, 5);
	put8(madt_pos + 1, 12);
	put64(madt_pos + 4, 0x1fee00000ull);
	madt_pos += 12;
	madt_ioapic(1, 0xfec00000, 0);
	madt_ioapic(2, 0xfec01000, 24);
	madt_end();
	assert_int_equal(init(0), 0);
	assert_int_equal(acpi_get_madt(&m), 0);
	assert_int_equal(m.lapic_base, 0x1fee00000ull);
	assert_int_equal(m.ncpus, 3);
	assert_int_equal(m.apic_ids[1], 2);
	assert_false(m.enabled[1]);
	assert_int_equal(m.apic_ids[2], 0x100);
	assert_true(m.enabled[2]);
	assert_int_equal(m.nioapic, 2);
	assert_int_equal(m.ioapic_base[1], 0xfec01000);
	assert_int_equal(m.ioapic_gsi_base[1], 24);
}

static void test_madt_malformed(void **state)
{
	struct acpi_madt_info m;

	(void)state;
	tables(0, aml_s5_zero, sizeof(aml_s5_zero));
	assert_int_equal(init(0), 0);

	/* A zero-length structure would loop forever. */
	madt_begin(0xfee00000);
	madt_lapic(0, 0, 1);
	put8(madt_pos + 1, 0);
	madt_pos += 4;
	madt_end();
	assert_int_equal(acpi_get_madt(&m), -EINVAL);
	assert_int_equal(m.ncpus, 0);

	/* A structure running past the table. */
	madt_begin(0xfee00000);
	madt_lapic(0, 0, 1);
	madt_pos -= 2;
	madt_end();
	assert_int_equal(acpi_get_madt(&m), -EINVAL);

	/* An IO-APIC structure too short for its fields. */
	madt_begin(0xfee00000);
	put8(madt_pos, 1);
	put8(madt_pos + 1, 8);
	madt_pos += 8;
	madt_end();
	assert_int_equal(acpi_get_madt(&m), -EINVAL);
}

static void test_madt_caps_cpu_count(void **state)
{
	struct acpi_madt_info m;

	(void)state;
	tables(0, aml_s5_zero, sizeof(aml_s5_zero));
	madt_begin(0xfee00000);
	for (unsigned i = 0; i < ACPI_MADT_MAX_CPUS + 6; i++)
		madt_lapic((u8)i, (u8)i, 1);
	madt_end();
	assert_int_equal(init(0), 0);
	assert_int_equal(acpi_get_madt(&m), 0);
	assert_int_equal(m.ncpus, ACPI_MADT_MAX_CPUS);
	assert_int_equal(m.apic_ids[ACPI_MADT_MAX_CPUS - 1], ACPI_MADT_MAX_CPUS - 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_rsdp_v1_uses_rsdt),
		T(test_rsdp_v2_uses_xsdt),
		T(test_rsdp_v2_zero_xsdt_uses_rsdt),
		T(test_rsdp_v2_bad_xsdt_falls_back),
		T(test_rsdp_rejected),
		T(test_root_table_rejected),
		T(test_find_table_instances_and_checksums),
		T(test_find_table_bad_lengths),
		T(test_find_table_before_init),
		T(test_s5_bochs_zero_package),
		T(test_s5_byteconst_via_xsdt),
		T(test_s5_x_fields_preferred),
		T(test_s5_acpi1_short_fadt),
		T(test_s5_errors),
		T(test_s5_truncated_dsdt_at_arena_end),
		T(test_aml_encodings),
		T(test_aml_two_byte_pkglength),
		T(test_aml_skips_bad_candidates),
		T(test_aml_every_prefix),
		T(test_poweroff_writes_pm1a),
		T(test_poweroff_keeps_sci_en),
		T(test_poweroff_writes_pm1b_last),
		T(test_poweroff_without_s5_writes_nothing),
		T(test_madt_basic),
		T(test_madt_x2apic_override_online_capable),
		T(test_madt_malformed),
		T(test_madt_caps_cpu_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
