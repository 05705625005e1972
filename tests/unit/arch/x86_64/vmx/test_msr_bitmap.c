/*
 * The MSR bitmap's layout (arch/x86_64/vmx/msr_bitmap.c, SDM Vol 3
 * 25.6.9): which bit of which quarter each MSR and direction is.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "arch/vmx.h"

static u8 bitmap[4096];

static unsigned bits_set(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < sizeof(bitmap); i++)
		n += (unsigned)__builtin_popcount(bitmap[i]);
	return n;
}

/* Each quarter at its offset: read-low 0, read-high 1024, write-low 2048,
 * write-high 3072; bit msr % 8 of byte (msr & 0x1fff) / 8. */
static void test_quarters(void **state)
{
	memset(bitmap, 0, sizeof(bitmap));
	vmx_msr_bitmap_set(bitmap, 0x1b, true, false);		/* IA32_APIC_BASE */
	assert_int_equal(bitmap[3], 1u << 3);
	vmx_msr_bitmap_set(bitmap, 0x1b, false, true);
	assert_int_equal(bitmap[3], 0);
	assert_int_equal(bitmap[2048 + 3], 1u << 3);
	vmx_msr_bitmap_set(bitmap, 0xc0000080, true, true);	/* IA32_EFER */
	assert_int_equal(bitmap[1024 + 16], 1);
	assert_int_equal(bitmap[3072 + 16], 1);
	vmx_msr_bitmap_set(bitmap, 0x1fff, true, false);
	assert_int_equal(bitmap[1023], 0x80);
	vmx_msr_bitmap_set(bitmap, 0xc0001fff, false, true);
	assert_int_equal(bitmap[4095], 0x80);
	assert_int_equal(bits_set(), 5);
}

static void test_exits(void **state)
{
	memset(bitmap, 0xff, sizeof(bitmap));
	vmx_msr_bitmap_set(bitmap, 0xc0000100, false, false);	/* FS_BASE passes through */
	assert_false(vmx_msr_bitmap_exits(bitmap, 0xc0000100, false));
	assert_false(vmx_msr_bitmap_exits(bitmap, 0xc0000100, true));
	assert_true(vmx_msr_bitmap_exits(bitmap, 0xc0000101, false));
	assert_true(vmx_msr_bitmap_exits(bitmap, 0xc0000101, true));
	assert_int_equal(bits_set(), 4096 * 8 - 2);
}

/* MSRs the bitmap cannot name always exit, and setting them changes nothing. */
static void test_outside(void **state)
{
	static const u32 outside[] = { 0x2000, 0x40000000, 0xbfffffff, 0xc0002000, 0xffffffff };

	memset(bitmap, 0, sizeof(bitmap));
	for (unsigned i = 0; i < ARRAY_SIZE(outside); i++) {
		vmx_msr_bitmap_set(bitmap, outside[i], true, true);
		assert_true(vmx_msr_bitmap_exits(bitmap, outside[i], false));
		assert_true(vmx_msr_bitmap_exits(bitmap, outside[i], true));
	}
	assert_int_equal(bits_set(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quarters),
		cmocka_unit_test(test_exits),
		cmocka_unit_test(test_outside),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
