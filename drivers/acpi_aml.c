/*
 * The one piece of AML Keel reads: Name(\_S5_, Package(){SLP_TYPa, SLP_TYPb, ...})
 * in the DSDT (ACPI 6.5 7.4.2), found by a bounded byte scan rather than an
 * interpreter. Encodings follow ACPI 6.5 chapter 20 (AML Specification).
 * The input is firmware data: nothing outside aml[0..len) is ever read.
 */
#include "drivers/acpi.h"
#include "lib/string.h"


/*
 * PkgLength (20.2.4): bits 7:6 of the lead byte count the bytes that follow
 * (0-3). With none, bits 5:0 are the length; otherwise bits 3:0 are its low
 * nibble, bits 5:4 are zero, and each following byte adds 8 more bits.
 * The length counts its own encoding. Advances *pos past the encoding.
 */
static int aml_pkg_length(const u8 *aml, size_t len, size_t *pos, size_t *out)
{
	size_t p = *pos;
	unsigned follow;
	size_t v;

	if (p >= len)
		return -EINVAL;
	follow = aml[p] >> 6;
	if (len - p - 1 < follow)
		return -EINVAL;
	if (follow == 0) {
		v = aml[p] & 0x3f;
	} else {
		if (aml[p] & 0x30)
			return -EINVAL;
		v = aml[p] & 0x0f;
		for (unsigned i = 0; i < follow; i++)
			v |= (size_t)aml[p + 1 + i] << (4 + 8 * i);
	}
	*pos = p + 1 + follow;
	*out = v;
	return 0;
}

/*
 * One integer package element (20.2.3, Data Objects Encoding): ZeroOp, OneOp,
 * OnesOp or a Byte/Word/DWord/QWord prefix and its little-endian data,
 * all before end. Anything else (a name, a nested package) is refused.
 */
static int aml_integer(const u8 *aml, size_t end, size_t *pos, u64 *out)
{
	size_t p = *pos;
	unsigned n;
	u64 v = 0;

	if (p >= end)
		return -EINVAL;
	switch (aml[p]) {
	case AML_ZERO_OP:      n = 0; break;
	case AML_ONE_OP:       n = 0; v = 1; break;
	case AML_ONES_OP:      n = 0; v = ~0ull; break;
	case AML_BYTE_PREFIX:  n = 1; break;
	case AML_WORD_PREFIX:  n = 2; break;
	case AML_DWORD_PREFIX: n = 4; break;
	case AML_QWORD_PREFIX: n = 8; break;
	default:               return -EINVAL;
	}
	if (end - p - 1 < n)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		v |= (u64)aml[p + 1 + i] << (8 * i);
	*pos = p + 1 + n;
	*out = v;
	return 0;
}

/*
 * The package after "_S5_" PackageOp, at aml[pos]: PkgLength, NumElements,
 * then SLP_TYPa and SLP_TYPb (7.4.2). Some old firmware gives a single
 * integer holding SLP_TYPa in byte 0 and SLP_TYPb in byte 1.
 */
static int aml_s5_package(const u8 *aml, size_t len, size_t pos,
			  u16 *typa, u16 *typb)
{
	size_t start = pos, plen, end;
	unsigned count;
	u64 a, b;

	if (aml_pkg_length(aml, len, &pos, &plen) != 0 ||
	    plen < pos - start || plen > len - start)
		return -EINVAL;
	end = start + plen;
	if (pos >= end)
		return -EINVAL;
	count = aml[pos++];
	if (count == 0 || aml_integer(aml, end, &pos, &a) != 0 || a > 0xffff)
		return -EINVAL;
	if (count == 1) {
		*typa = a & 0xff;
		*typb = (a >> 8) & 0xff;
		return 0;
	}
	if (aml_integer(aml, end, &pos, &b) != 0 || b > 0xffff)
		return -EINVAL;
	*typa = a;
	*typb = b;
	return 0;
}

/*
 * Look for NameOp, an optional root prefix, the NameSeg "_S5_" and
 * PackageOp. A byte scan can match inside unrelated data, so a candidate
 * whose package does not decode is skipped; -EINVAL only says that no
 * candidate decoded.
 */
int acpi_aml_find_s5(const u8 *aml, size_t len, u16 *typa, u16 *typb)
{
	int err = -ENOENT;

	for (size_t i = 0; i < len; i++) {
		size_t p = i + 1;

		if (aml[i] != AML_NAME_OP)
			continue;
		if (p < len && aml[p] == AML_ROOT_CHAR)
			p++;
		if (len - p < 5 || memcmp(aml + p, "_S5_", 4) != 0 ||
		    aml[p + 4] != AML_PACKAGE_OP)
			continue;
		if (aml_s5_package(aml, len, p + 5, typa, typb) == 0)
			return 0;
		err = -EINVAL;
	}
	return err;
}
