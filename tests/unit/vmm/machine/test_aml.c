/*
 * Host tests for vmm/machine/aml.c: each encoder's bytes against the encodings
 * written out from ACPI 6.5 (20.2.2 NameString, 20.2.3 integers, 20.2.4
 * PkgLength, 20.2.5 Name/Scope/Device/Package/Buffer, 6.4 resource
 * descriptors), and the sink's bounds when the output does not fit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "fake_hw.h"
#include "vmm/machine/aml.h"

#define CANARY	0xcc

static u8 buf[4096];
static struct aml_out out;

static struct aml_out *sink(void)
{
	memset(buf, CANARY, sizeof(buf));
	out = (struct aml_out){ .buf = buf, .len = sizeof(buf) };
	return &out;
}

/* The sink holds exactly want[0..n), and nothing past it was touched. */
static void expect(const u8 *want, size_t n)
{
	assert_false(out.full);
	assert_int_equal(out.pos, n);
	assert_memory_equal(buf, want, n);
	assert_int_equal(buf[n], CANARY);
}

#define EXPECT(...) do { \
		static const u8 want_[] = { __VA_ARGS__ }; \
		expect(want_, sizeof(want_)); \
	} while (0)

/* PkgLength (20.2.4) at p, decoded by the spec's rules: the length and
 * how many bytes encode it. */
static size_t pkglen_decode(const u8 *p, unsigned *nbytes)
{
	unsigned follow = p[0] >> 6;
	size_t v = follow ? p[0] & 0x0f : p[0] & 0x3f;

	for (unsigned i = 0; i < follow; i++)
		v |= (size_t)p[1 + i] << (4 + 8 * i);
	*nbytes = 1 + follow;
	return v;
}

/* The encoder at each size boundary, decoded back. */
static void test_pkglen_boundaries(void **state)
{
	static const struct { size_t body; unsigned n; } cases[] = {
		{ 0, 1 }, { 62, 1 }, { 63, 2 }, { 0xffd, 2 }, { 0xffe, 3 },
		{ 0xffffc, 3 }, { 0xffffd, 4 }, { 0xffffffb, 4 },
	};
	u8 enc[4];
	unsigned nb;

	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(aml_pkglen(cases[i].body, enc), cases[i].n);
		assert_int_equal(pkglen_decode(enc, &nb), cases[i].body + cases[i].n);
		assert_int_equal(nb, cases[i].n);
		if (nb > 1)
			assert_int_equal(enc[0] & 0x30, 0);	/* bits 5:4 reserved */
	}
	assert_int_equal(aml_pkglen(0xffffffc, enc), 0);	/* over 2^28 - 1 */
	assert_int_equal(aml_pkglen(SIZE_MAX, enc), 0);
}

/* Every body up to past the 3-byte boundary: it decodes back, and no
 * shorter encoding could have held the length. */
static void test_pkglen_every_small_body(void **state)
{
	static const size_t max_for[] = { 0, 0x3f, 0xfff, 0xfffff, 0xfffffff };
	u8 enc[4];
	unsigned n, nb;

	for (size_t body = 0; body < 0x1010; body++) {
		n = aml_pkglen(body, enc);
		assert_true(n >= 1 && n <= 4);
		assert_int_equal(pkglen_decode(enc, &nb), body + n);
		assert_int_equal(nb, n);
		assert_true(body + n <= max_for[n]);
		if (n > 1)
			assert_true(body + n - 1 > max_for[n - 1]);
	}
}

static void test_integer(void **state)
{
	aml_integer(sink(), 0);
	EXPECT(0x00);				/* ZeroOp */
	aml_integer(sink(), 1);
	EXPECT(0x01);				/* OneOp */
	aml_integer(sink(), 2);
	EXPECT(0x0a, 0x02);
	aml_integer(sink(), 0xff);
	EXPECT(0x0a, 0xff);
	aml_integer(sink(), 0x100);
	EXPECT(0x0b, 0x00, 0x01);
	aml_integer(sink(), 0xffff);
	EXPECT(0x0b, 0xff, 0xff);
	aml_integer(sink(), 0x10000);
	EXPECT(0x0c, 0x00, 0x00, 0x01, 0x00);
	aml_integer(sink(), 0xffffffff);
	EXPECT(0x0c, 0xff, 0xff, 0xff, 0xff);
	aml_integer(sink(), 0x100000000ull);
	EXPECT(0x0e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00);
	aml_integer(sink(), 0x0123456789abcdefull);
	EXPECT(0x0e, 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01);
	aml_integer(sink(), UINT64_MAX);
	EXPECT(0x0e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
}

static void test_names(void **state)
{
	aml_name(sink(), "_HID");
	EXPECT('_', 'H', 'I', 'D');
	aml_name(sink(), "\\_SB");			/* short segments pad with '_' */
	EXPECT('\\', '_', 'S', 'B', '_');
	aml_name(sink(), "^^X");
	EXPECT('^', '^', 'X', '_', '_', '_');
	aml_name(sink(), "\\_SB.PCI0");		/* DualNamePrefix */
	EXPECT('\\', 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0');
	aml_name(sink(), "_SB.PCI0.ISA");		/* MultiNamePrefix, count */
	EXPECT(0x2f, 3, '_', 'S', 'B', '_', 'P', 'C', 'I', '0', 'I', 'S', 'A', '_');
	aml_name_decl(sink(), "_UID");
	EXPECT(0x08, '_', 'U', 'I', 'D');		/* NameOp */
}

/* EISAID: 5-bit letters (A = 1) then four hex digits, big-endian. */
static void test_eisaid(void **state)
{
	aml_eisaid(sink(), "PNP0A03");
	EXPECT(0x0c, 0x41, 0xd0, 0x0a, 0x03);
	aml_eisaid(sink(), "PNP0c0a");			/* lower-case hex digits */
	EXPECT(0x0c, 0x41, 0xd0, 0x0c, 0x0a);
	aml_eisaid(sink(), "ABC1234");			/* 00001 00010 00011 */
	EXPECT(0x0c, 0x04, 0x43, 0x12, 0x34);
	aml_eisaid(sink(), "ZZZFFFF");			/* every bit but bit 31 */
	EXPECT(0x0c, 0x6b, 0x5a, 0xff, 0xff);
}

/* Name(\_S5, Package(4){5, 5, Zero, Zero}), as a DSDT writes it. */
static void test_package(void **state)
{
	struct aml_out *o = sink();
	size_t pkg;

	aml_name_decl(o, "\\_S5");
	pkg = aml_package_open(o, 4);
	aml_integer(o, 5);
	aml_integer(o, 5);
	aml_integer(o, 0);
	aml_integer(o, 0);
	aml_pkg_close(o, pkg);
	EXPECT(0x08, '\\', '_', 'S', '5', '_', 0x12, 0x08, 0x04,
	       0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00);
}

/* Scope(\_SB) { Device(PCI0) { Name(_UID, Zero) } }: each PkgLength
 * counts itself, the name and the body, and nested ones add up. */
static void test_scope_device(void **state)
{
	struct aml_out *o = sink();
	size_t sb, dev;

	sb = aml_scope_open(o, "\\_SB");
	dev = aml_device_open(o, "PCI0");
	aml_name_decl(o, "_UID");
	aml_integer(o, 0);
	aml_pkg_close(o, dev);
	aml_pkg_close(o, sb);
	EXPECT(0x10, 0x13, '\\', '_', 'S', 'B', '_',
	       0x5b, 0x82, 0x0b, 'P', 'C', 'I', '0', 0x08, '_', 'U', 'I', 'D', 0x00);
}

/* A body of 63 bytes needs a 2-byte PkgLength; inserting it moves the
 * body up intact. */
static void test_pkg_two_byte_length(void **state)
{
	struct aml_out *o = sink();
	size_t dev = aml_device_open(o, "DEVX");

	for (unsigned i = 0; i < 59; i++)
		aml_out_u8(o, 0x80 + i);
	aml_pkg_close(o, dev);
	assert_int_equal(o->pos, 2 + 2 + 63);
	assert_int_equal(buf[2], 0x41);			/* 1 byte follows; 65 & 0xf */
	assert_int_equal(buf[3], 65 >> 4);
	assert_memory_equal(buf + 4, "DEVX", 4);
	for (unsigned i = 0; i < 59; i++)
		assert_int_equal(buf[8 + i], 0x80 + i);
	assert_int_equal(buf[o->pos], CANARY);
}

static void test_buffer(void **state)
{
	struct aml_out *o = sink();
	size_t b = aml_buffer_open(o);

	aml_out_u8(o, 1);
	aml_out_u8(o, 2);
	aml_out_u8(o, 3);
	aml_buffer_close(o, b);
	EXPECT(0x11, 0x06, 0x0a, 0x03, 1, 2, 3);	/* BufferOp PkgLength BufferSize */

	/* 256 bytes: a Word BufferSize, and a 2-byte PkgLength over it. */
	o = sink();
	b = aml_buffer_open(o);
	for (unsigned i = 0; i < 256; i++)
		aml_out_u8(o, i);
	aml_buffer_close(o, b);
	assert_int_equal(o->pos, 1 + 2 + 3 + 256);
	assert_int_equal(buf[0], 0x11);
	assert_int_equal(buf[1], 0x40 | (261 & 0xf));
	assert_int_equal(buf[2], 261 >> 4);
	assert_int_equal(buf[3], 0x0b);
	assert_int_equal(buf[4] | buf[5] << 8, 256);
	for (unsigned i = 0; i < 256; i++)
		assert_int_equal(buf[6 + i], i);
}

/* A descriptor's own header gives its size (6.4.1): small items hold it
 * in bits 2:0 of the tag, large items in the 16 bits after it. */
static size_t res_size(const u8 *d)
{
	if (d[0] & 0x80)
		return 3 + (d[1] | d[2] << 8);
	return 1 + (d[0] & 7);
}

static void test_res_io(void **state)
{
	aml_res_io(sink(), 0xcf8, 8);
	EXPECT(0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08);
	assert_int_equal(res_size(buf), out.pos);
}

static void test_res_word_window(void **state)
{
	aml_res_word_window(sink(), AML_RES_TYPE_BUS, 0, 0x00, 0xff);
	EXPECT(0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00,
	       0x00, 0x00, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x01);
	assert_int_equal(res_size(buf), out.pos);
	aml_res_word_window(sink(), AML_RES_TYPE_IO, AML_RES_IO_ENTIRE_RANGE, 0x0d00, 0xffff);
	EXPECT(0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03,
	       0x00, 0x00, 0x00, 0x0d, 0xff, 0xff, 0x00, 0x00, 0x00, 0xf3);
}

static void test_res_dword_mem_window(void **state)
{
	aml_res_dword_mem_window(sink(), AML_RES_MEM_RW | AML_RES_MEM_CACHEABLE, 0xa0000, 0xbffff);
	EXPECT(0x87, 0x17, 0x00, 0x00, 0x0c, 0x03,
	       0x00, 0x00, 0x00, 0x00,		/* granularity */
	       0x00, 0x00, 0x0a, 0x00,		/* min */
	       0xff, 0xff, 0x0b, 0x00,		/* max */
	       0x00, 0x00, 0x00, 0x00,		/* translation */
	       0x00, 0x00, 0x02, 0x00);		/* length */
	assert_int_equal(res_size(buf), out.pos);
	aml_res_end(sink());
	EXPECT(0x79, 0x00);
	assert_int_equal(res_size(buf), out.pos);
}

static void test_out_align(void **state)
{
	struct aml_out *o = sink();

	o->addr = 0xe0004;
	aml_out_u8(o, 0xaa);
	aml_out_align(o, 16);
	assert_int_equal(o->pos, 12);
	for (unsigned i = 1; i < 12; i++)
		assert_int_equal(buf[i], 0);
	aml_out_align(o, 16);				/* already aligned */
	assert_int_equal(o->pos, 12);
	aml_out_align(o, 64);
	assert_int_equal(o->addr + o->pos, 0xe0040);
	aml_out_le(o, 0x1122334455667788ull, 8);
	assert_int_equal(buf[60], 0x88);
	assert_int_equal(buf[67], 0x11);
}

/* Scope { Device { Buffer { resources } } } into a given sink. */
static void write_sample(struct aml_out *o)
{
	size_t sb = aml_scope_open(o, "\\_SB");
	size_t dev = aml_device_open(o, "PCI0");
	size_t b;

	aml_name_decl(o, "_HID");
	aml_eisaid(o, "PNP0A03");
	aml_name_decl(o, "_CRS");
	b = aml_buffer_open(o);
	aml_res_io(o, 0xcf8, 8);
	for (unsigned i = 0; i < 4; i++)
		aml_res_word_window(o, AML_RES_TYPE_IO, 0, 0x1000 * i, 0x1000 * i + 0xff);
	aml_res_end(o);
	aml_buffer_close(o, b);
	aml_pkg_close(o, dev);
	aml_pkg_close(o, sb);
}

/* Every sink too small: full, pos still the size needed, and not a byte
 * written at or past len, however the inserts fall. */
static void test_too_small(void **state)
{
	u8 whole[256], part[sizeof(whole) + 16];
	struct aml_out o = { .buf = whole, .len = sizeof(whole) };
	size_t need;

	write_sample(&o);
	assert_false(o.full);
	need = o.pos;
	assert_true(need > 64 && need < sizeof(whole));
	for (size_t len = 0; len < need; len++) {
		memset(part, CANARY, sizeof(part));
		o = (struct aml_out){ .buf = part, .len = len };
		write_sample(&o);
		assert_true(o.full);
		assert_int_equal(o.pos, need);
		for (size_t i = len; i < sizeof(part); i++)
			assert_int_equal(part[i], CANARY);
	}
	memset(part, CANARY, sizeof(part));
	o = (struct aml_out){ .buf = part, .len = need };
	write_sample(&o);
	assert_false(o.full);
	assert_memory_equal(part, whole, need);
	assert_int_equal(part[need], CANARY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkglen_boundaries),
		cmocka_unit_test(test_pkglen_every_small_body),
		cmocka_unit_test(test_integer),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_eisaid),
		cmocka_unit_test(test_package),
		cmocka_unit_test(test_scope_device),
		cmocka_unit_test(test_pkg_two_byte_length),
		cmocka_unit_test(test_buffer),
		cmocka_unit_test(test_res_io),
		cmocka_unit_test(test_res_word_window),
		cmocka_unit_test(test_res_dword_mem_window),
		cmocka_unit_test(test_out_align),
		cmocka_unit_test(test_too_small),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
