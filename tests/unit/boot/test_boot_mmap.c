/* Host tests for boot/mmap.c: appending to and sanitising the boot memory map. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>

#include "boot/multiboot2.h"
#include "lib/string.h"

static void assert_region(const struct mem_region *r, u64 base, u64 len, u32 type)
{
	assert_true(r->base == base);
	assert_true(r->len == len);
	assert_int_equal(r->type, type);
}

/* Appending merges continuations, drops empty regions, clips at 2^64. */
static void test_add(void **state)
{
	static struct boot_info bi;

	boot_mmap_add(&bi, 0x1000, 0x1000, MEM_USABLE);
	boot_mmap_add(&bi, 0x2000, 0x3000, MEM_USABLE);  /* continues: merged */
	boot_mmap_add(&bi, 0x5000, 0x1000, MEM_RESERVED);
	boot_mmap_add(&bi, 0x6000, 0, MEM_USABLE);       /* empty: dropped */
	boot_mmap_add(&bi, 0x7000, 0x1000, MEM_RESERVED); /* gap: not merged */
	boot_mmap_add(&bi, 0xfffffffffffff000ull, 0x2000, MEM_RESERVED);
	assert_int_equal(bi.mmap_count, 4);
	assert_region(&bi.mmap[0], 0x1000, 0x4000, MEM_USABLE);
	assert_region(&bi.mmap[1], 0x5000, 0x1000, MEM_RESERVED);
	assert_region(&bi.mmap[2], 0x7000, 0x1000, MEM_RESERVED);
	assert_region(&bi.mmap[3], 0xfffffffffffff000ull, 0xfff, MEM_RESERVED);
	assert_false(bi.truncated);
	for (u64 i = 0; i < 200; i++)
		boot_mmap_add(&bi, 0x100000 * (i + 1), 0x1000, MEM_USABLE);
	assert_int_equal(bi.mmap_count, BOOT_MAX_MMAP);
	assert_true(bi.truncated);
}

/* Build a boot_info whose map is exactly the given regions. */
static void set_map(struct boot_info *bi, const struct mem_region *r, unsigned n)
{
	memset(bi, 0, sizeof(*bi));
	memcpy(bi->mmap, r, n * sizeof(*r));
	bi->mmap_count = n;
}

/* Unsorted, overlapping, adjacent: the stricter type wins, neighbours merge. */
static void test_sanitize(void **state)
{
	static struct boot_info bi;
	const struct mem_region in[] = {
		{ 0x100000, 0xf00000, MEM_USABLE },      /* 1 MiB .. 16 MiB */
		{ 0x0, 0xa0000, MEM_USABLE },
		{ 0x9fc00, 0x60400, MEM_RESERVED },     /* overlaps the one above */
		{ 0x800000, 0x8000, MEM_ACPI_NVS },     /* hole inside usable */
		{ 0x1000000, 0x1000000, MEM_USABLE },   /* adjacent to 1..16 MiB */
		{ 0x1800000, 0x1000, MEM_BAD },
		{ 0x1800000, 0x2000, MEM_RESERVED },    /* bad beats reserved */
		{ 0x5000000, 0, MEM_RESERVED },         /* empty: dropped */
		{ 0x3000000, 0x100000, MEM_ACPI_RECLAIM },
		{ 0x3080000, 0x100000, MEM_ACPI_NVS },  /* NVS beats reclaim */
	};

	set_map(&bi, in, ARRAY_SIZE(in));
	boot_mmap_sanitize(&bi);
	assert_int_equal(bi.mmap_count, 10);
	assert_region(&bi.mmap[0], 0x0, 0x9fc00, MEM_USABLE);
	assert_region(&bi.mmap[1], 0x9fc00, 0x60400, MEM_RESERVED);
	assert_region(&bi.mmap[2], 0x100000, 0x700000, MEM_USABLE);
	assert_region(&bi.mmap[3], 0x800000, 0x8000, MEM_ACPI_NVS);
	assert_region(&bi.mmap[4], 0x808000, 0x1800000 - 0x808000, MEM_USABLE);
	assert_region(&bi.mmap[5], 0x1800000, 0x1000, MEM_BAD);
	assert_region(&bi.mmap[6], 0x1801000, 0x1000, MEM_RESERVED);
	assert_region(&bi.mmap[7], 0x1802000, 0x2000000 - 0x1802000, MEM_USABLE);
	assert_region(&bi.mmap[8], 0x3000000, 0x80000, MEM_ACPI_RECLAIM);
	assert_region(&bi.mmap[9], 0x3080000, 0x100000, MEM_ACPI_NVS);
	assert_false(bi.truncated);
}

/* A region ending at the top of the address space does not wrap. */
static void test_sanitize_top(void **state)
{
	static struct boot_info bi;
	const struct mem_region in[] = {
		{ 0xfffffffffffff000ull, 0x10000, MEM_RESERVED },
		{ 0x1000, 0x1000, MEM_USABLE },
	};

	set_map(&bi, in, 2);
	boot_mmap_sanitize(&bi);
	assert_int_equal(bi.mmap_count, 2);
	assert_region(&bi.mmap[0], 0x1000, 0x1000, MEM_USABLE);
	assert_region(&bi.mmap[1], 0xfffffffffffff000ull, 0xfff, MEM_RESERVED);
}

/* Resolving overlaps can need more slots than exist: the tail is dropped. */
static void test_sanitize_overflow(void **state)
{
	static struct boot_info bi;
	struct mem_region in[100];

	in[0] = (struct mem_region){ 0, 0x10000000, MEM_USABLE };
	for (unsigned i = 1; i < 100; i++)
		in[i] = (struct mem_region){ 0x100000ull * i, 0x1000, MEM_RESERVED };
	set_map(&bi, in, 100);
	boot_mmap_sanitize(&bi);
	assert_true(bi.truncated);
	assert_int_equal(bi.mmap_count, BOOT_MAX_MMAP);
	for (unsigned i = 1; i < bi.mmap_count; i++) {
		assert_true(bi.mmap[i - 1].base + bi.mmap[i - 1].len <= bi.mmap[i].base);
		assert_int_equal(bi.mmap[i].type, i % 2 ? MEM_RESERVED : MEM_USABLE);
	}
}

/* Which type a unit of a small model address space has; 0 = none. */
static u32 model_type(const struct mem_region *r, unsigned n, u64 a)
{
	static const unsigned rank[] = { [MEM_USABLE] = 0, [MEM_ACPI_RECLAIM] = 1,
		[MEM_RESERVED] = 2, [MEM_ACPI_NVS] = 3, [MEM_BAD] = 4 };
	u32 t = 0;

	for (unsigned i = 0; i < n; i++)
		if (a >= r[i].base && a < r[i].base + r[i].len &&
		    (t == 0 || rank[r[i].type] > rank[t]))
			t = r[i].type;
	return t;
}

/* Random maps against a unit-by-unit model of the result. */
static void test_sanitize_random(void **state)
{
	static struct boot_info bi;
	struct mem_region in[24];

	srand(42);
	for (int round = 0; round < 500; round++) {
		unsigned n = 1 + rand() % 24;

		for (unsigned i = 0; i < n; i++)
			in[i] = (struct mem_region){ rand() % 200, rand() % 40, 1 + rand() % 5 };
		set_map(&bi, in, n);
		boot_mmap_sanitize(&bi);
		for (unsigned i = 0; i < bi.mmap_count; i++) {
			const struct mem_region *r = &bi.mmap[i];

			assert_true(r->len > 0);
			if (i > 0) {
				const struct mem_region *p = &bi.mmap[i - 1];

				assert_true(p->base + p->len <= r->base);
				/* Equal neighbours that touch must have been merged. */
				assert_false(p->base + p->len == r->base && p->type == r->type);
			}
		}
		for (u64 a = 0; a < 240; a++) {
			u32 want = model_type(in, n, a);
			u32 got = model_type(bi.mmap, bi.mmap_count, a);

			assert_int_equal(got, want);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_sanitize_top),
		cmocka_unit_test(test_sanitize_overflow),
		cmocka_unit_test(test_sanitize_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
