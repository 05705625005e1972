/*
 * AML encoders (ACPI 6.5 chapter 20) and _CRS resource descriptors (6.4)
 * for the DSDT that vmm/machine/acpi_build.c writes, over a bounded byte sink.
 * Only what a VM's DSDT uses is here: integers, names, Name, Scope,
 * Device, Package, Buffer, and four resource descriptors.
 */
#include "vmm/machine/aml.h"
#include "lib/acpi_spec.h"
#include "lib/string.h"

/* --- The sink --------------------------------------------------------------- */

u8 *aml_out_reserve(struct aml_out *o, size_t n)
{
	u8 *p;

	if (!o->full && n > o->len - o->pos)
		o->full = true;
	o->pos += n;
	if (o->full)
		return NULL;
	p = o->buf + o->pos - n;
	memset(p, 0, n);
	return p;
}

void aml_out_bytes(struct aml_out *o, const void *src, size_t n)
{
	u8 *p = aml_out_reserve(o, n);

	if (p)
		memcpy(p, src, n);
}

void aml_out_le(struct aml_out *o, u64 val, unsigned size)
{
	u8 *p = aml_out_reserve(o, size);

	for (unsigned i = 0; p && i < size; i++)
		p[i] = val >> (8 * i);
}

void aml_out_align(struct aml_out *o, u64 align)
{
	u64 here = o->addr + o->pos;

	aml_out_reserve(o, ALIGN_UP(here, align) - here);
}

/* Insert n bytes at offset at, moving what follows up: a package's
 * PkgLength is only known once its body has been written. */
static void aml_out_insert(struct aml_out *o, size_t at, const u8 *src, size_t n)
{
	if (!o->full && n > o->len - o->pos)
		o->full = true;
	if (!o->full) {
		memmove(o->buf + at + n, o->buf + at, o->pos - at);
		memcpy(o->buf + at, src, n);
	}
	o->pos += n;
}

/* --- AML terms (20.2) ------------------------------------------------------- */


#define AML_PKGLEN_MAX		0xfffffff	/* 28 bits (20.2.4) */

/*
 * The lead byte's bits 7:6 count the bytes that follow; with none, bits
 * 5:0 are the length, else bits 3:0 are its low nibble and each following
 * byte 8 more bits. The length counts its own bytes, so the encoding's
 * size depends on the body plus itself.
 */
unsigned aml_pkglen(size_t body, u8 enc[4])
{
	unsigned n;
	size_t total;

	if (body > AML_PKGLEN_MAX - 4)
		return 0;
	n = body + 1 <= 0x3f ? 1 : body + 2 <= 0xfff ? 2 : body + 3 <= 0xfffff ? 3 : 4;
	total = body + n;
	if (n == 1) {
		enc[0] = total;
		return 1;
	}
	enc[0] = (n - 1) << 6 | (total & 0xf);
	for (unsigned i = 1; i < n; i++)
		enc[i] = total >> (4 + 8 * (i - 1));
	return n;
}

void aml_pkg_close(struct aml_out *o, size_t start)
{
	u8 enc[4];
	unsigned n = aml_pkglen(o->pos - start, enc);

	if (!n) {
		o->full = true;		/* unencodable; far beyond any buffer */
		return;
	}
	aml_out_insert(o, start, enc, n);
}

void aml_integer(struct aml_out *o, u64 v)
{
	if (v <= 1) {
		aml_out_u8(o, v ? AML_ONE_OP : AML_ZERO_OP);
	} else if (v <= 0xff) {
		aml_out_u8(o, AML_BYTE_PREFIX);
		aml_out_u8(o, v);
	} else if (v <= 0xffff) {
		aml_out_u8(o, AML_WORD_PREFIX);
		aml_out_u16(o, v);
	} else if (v <= 0xffffffff) {
		aml_out_u8(o, AML_DWORD_PREFIX);
		aml_out_u32(o, v);
	} else {
		aml_out_u8(o, AML_QWORD_PREFIX);
		aml_out_le(o, v, 8);
	}
}

/* One NameSeg (20.2.2): up to 4 characters, padded with '_'; returns its length in path. */
static size_t aml_nameseg(struct aml_out *o, const char *seg)
{
	size_t n = 0;

	while (n < 4 && seg[n] && seg[n] != '.')
		n++;
	for (size_t i = 0; i < 4; i++)
		aml_out_u8(o, i < n ? seg[i] : '_');
	return n;
}

/* Prefixes first; then two segments take a DualNamePrefix, more a
 * MultiNamePrefix and a count. */
void aml_name(struct aml_out *o, const char *path)
{
	unsigned nsegs = 1;

	while (*path == AML_ROOT_CHAR || *path == AML_PARENT_CHAR)
		aml_out_u8(o, *path++);
	for (const char *p = path; *p; p++)
		nsegs += *p == '.';
	if (nsegs == 2)
		aml_out_u8(o, AML_DUAL_NAME_PREFIX);
	if (nsegs > 2) {
		aml_out_u8(o, AML_MULTI_NAME_PREFIX);
		aml_out_u8(o, nsegs);
	}
	for (unsigned i = 0; i < nsegs; i++) {
		path += aml_nameseg(o, path);
		if (*path == '.')
			path++;
	}
}

void aml_name_decl(struct aml_out *o, const char *path)
{
	aml_out_u8(o, AML_NAME_OP);
	aml_name(o, path);
}

/* Three letters of 5 bits each (A = 1) and four hex digits, stored
 * big-endian in the DWord. */
void aml_eisaid(struct aml_out *o, const char *id)
{
	u32 v = (u32)(id[0] & 0x1f) << 26 | (u32)(id[1] & 0x1f) << 21 | (u32)(id[2] & 0x1f) << 16;

	for (unsigned i = 3; i < 7; i++) {
		char c = id[i];

		v |= (u32)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10) << (4 * (6 - i));
	}
	aml_out_u8(o, AML_DWORD_PREFIX);
	aml_out_u32(o, __builtin_bswap32(v));
}

size_t aml_scope_open(struct aml_out *o, const char *path)
{
	size_t start;

	aml_out_u8(o, AML_SCOPE_OP);
	start = o->pos;
	aml_name(o, path);
	return start;
}

size_t aml_device_open(struct aml_out *o, const char *path)
{
	size_t start;

	aml_out_u8(o, AML_EXT_OP_PREFIX);
	aml_out_u8(o, AML_DEVICE_OP);
	start = o->pos;
	aml_name(o, path);
	return start;
}

/* NumElements is a byte, inside the package (20.2.5.4). */
size_t aml_package_open(struct aml_out *o, u8 nelems)
{
	size_t start;

	aml_out_u8(o, AML_PACKAGE_OP);
	start = o->pos;
	aml_out_u8(o, nelems);
	return start;
}

size_t aml_buffer_open(struct aml_out *o)
{
	aml_out_u8(o, AML_BUFFER_OP);
	return o->pos;
}

/* A Buffer's BufferSize integer comes before its bytes: insert it, then the PkgLength. */
void aml_buffer_close(struct aml_out *o, size_t start)
{
	u8 enc[9];
	struct aml_out t = { .buf = enc, .len = sizeof(enc) };

	aml_integer(&t, o->pos - start);
	aml_out_insert(o, start, enc, t.pos);
	aml_pkg_close(o, start);
}

/* --- Resource descriptors (6.4) --------------------------------------------- */

#define RES_IO			0x47	/* small item 8, length 7 (6.4.2.5) */
#define RES_IO_DECODE16		BIT(0)
#define RES_DWORD_ADDR		0x87	/* large item 7 (6.4.3.5.2) */
#define RES_WORD_ADDR		0x88	/* large item 8 (6.4.3.5.3) */
#define RES_END_TAG		0x79	/* small item 0xf, length 1 (6.4.2.9) */
#define RES_WORD_ADDR_LEN	13	/* bytes after the length field */
#define RES_DWORD_ADDR_LEN	23
/* General flags: a producer (bit 0 clear), positive decode, fixed min and max. */
#define RES_FLAGS_FIXED_WINDOW	(BIT(3) | BIT(2))

void aml_res_io(struct aml_out *o, u16 base, u8 len)
{
	aml_out_u8(o, RES_IO);
	aml_out_u8(o, RES_IO_DECODE16);
	aml_out_u16(o, base);	/* minimum and maximum base */
	aml_out_u16(o, base);
	aml_out_u8(o, 1);	/* alignment */
	aml_out_u8(o, len);
}

void aml_res_word_window(struct aml_out *o, u8 type, u8 type_flags, u16 min, u16 max)
{
	aml_out_u8(o, RES_WORD_ADDR);
	aml_out_u16(o, RES_WORD_ADDR_LEN);
	aml_out_u8(o, type);
	aml_out_u8(o, RES_FLAGS_FIXED_WINDOW);
	aml_out_u8(o, type_flags);
	aml_out_u16(o, 0);	/* granularity */
	aml_out_u16(o, min);
	aml_out_u16(o, max);
	aml_out_u16(o, 0);	/* translation offset */
	aml_out_u16(o, max - min + 1);
}

void aml_res_dword_mem_window(struct aml_out *o, u8 type_flags, u32 min, u32 max)
{
	aml_out_u8(o, RES_DWORD_ADDR);
	aml_out_u16(o, RES_DWORD_ADDR_LEN);
	aml_out_u8(o, AML_RES_TYPE_MEM);
	aml_out_u8(o, RES_FLAGS_FIXED_WINDOW);
	aml_out_u8(o, type_flags);
	aml_out_u32(o, 0);	/* granularity */
	aml_out_u32(o, min);
	aml_out_u32(o, max);
	aml_out_u32(o, 0);	/* translation offset */
	aml_out_u32(o, max - min + 1);
}

void aml_res_end(struct aml_out *o)
{
	aml_out_u8(o, RES_END_TAG);
	aml_out_u8(o, 0);	/* checksum 0: "treat as correct" */
}
