/*
 * Host tests for mm/gpa_map.c over the fake page allocator: every guest
 * page backed, zeroed and mapped by the EPT where pages[] says, 2 MiB
 * chunks where the host has them, copies across pages, faults beyond RAM,
 * and no page left behind by destroy or by a failed init.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <stdlib.h>

#include "mm/gpa_map.h"
#include "fake_hw.h"
#include "fake_mm.h"

#define ARENA (12 * MiB)
#define NONE (~0ull)

static struct gpa_map map;

static int setup(void **state)
{
	fake_mm_reset(ARENA);
	memset(fake_mem(), 0xa5, ARENA);	/* guest RAM must come back zeroed */
	memset(&map, 0x5a, sizeof(map));	/* and init must not trust the struct */
	return 0;
}

static int teardown(void **state)
{
	if (map.pages)
		gpa_map_destroy(&map);
	fake_mem_free();
	return 0;
}

static u64 array_pages(u64 ram_size)
{
	return ALIGN_UP(ram_size / PAGE_SIZE * sizeof(u64), PAGE_SIZE) / PAGE_SIZE;
}

/* Every page is backed by its own arena page, zeroed, mapped RWX WB in the
 * EPT at exactly pages[i], and the allocator holds nothing else. */
static void check_map(u64 ram_size, u64 large)
{
	static const u8 zero[PAGE_SIZE];
	u64 arena_pages = fake_mem_size() / PAGE_SIZE;
	bool *seen = calloc(arena_pages, 1);

	assert_int_equal(map.ram_size, ram_size);
	assert_int_equal(map.npages, ram_size / PAGE_SIZE);
	assert_int_equal(map.large_pages, large);
	seen[(virt_to_phys(map.pages) - FAKE_PHYS_BASE) / PAGE_SIZE] = true;
	for (u64 i = 0; i < map.npages; i++) {
		u64 hpa = map.pages[i], leaf = 0;
		u64 slot = (hpa - FAKE_PHYS_BASE) / PAGE_SIZE;

		assert_int_equal(hpa & 0xfff, 0);
		assert_true(hpa >= FAKE_PHYS_BASE && slot < arena_pages);
		assert_false(seen[slot]);
		seen[slot] = true;
		assert_int_equal(ept_translate(&map.ept, i * PAGE_SIZE, &leaf), hpa);
		assert_int_equal(ept_translate(&map.ept, i * PAGE_SIZE + 0xffc, NULL), hpa + 0xffc);
		assert_int_equal(leaf & 0x7f, EPT_RWX | EPT_MT_WB);
		assert_ptr_equal(gpa_to_hva(&map, i * PAGE_SIZE), phys_to_virt(hpa));
		assert_memory_equal(phys_to_virt(hpa), zero, PAGE_SIZE);
	}
	assert_int_equal(ept_translate(&map.ept, ram_size, NULL), NONE);
	assert_null(gpa_to_hva(&map, ram_size));
	assert_int_equal(fake_pages_allocated,
			 map.npages + array_pages(ram_size) + map.ept.table_pages);
	free(seen);
}

static void test_init_2m(void **state)
{
	u64 leaf = 0;

	assert_int_equal(gpa_map_init(&map, 2 * MiB), 0);
	check_map(2 * MiB, 1);
	/* One 2 MiB leaf over 512 contiguous host pages. */
	assert_int_equal(ept_translate(&map.ept, 0x1234, &leaf), map.pages[0] + 0x1234);
	assert_true(leaf & EPT_LEAF_2M);
	assert_int_equal(map.pages[0] & (LARGE_PAGE_SIZE - 1), 0);
	for (u64 i = 0; i < 512; i++)
		assert_int_equal(map.pages[i], map.pages[0] + i * PAGE_SIZE);
	assert_int_equal(map.ept.table_pages, 3);
}

static void test_init_3m(void **state)
{
	u64 leaf = 0;

	assert_int_equal(gpa_map_init(&map, 3 * MiB), 0);
	check_map(3 * MiB, 1);
	assert_int_equal(ept_translate(&map.ept, 0x1ff000, &leaf), map.pages[0x1ff]);
	assert_true(leaf & EPT_LEAF_2M);
	assert_int_equal(ept_translate(&map.ept, 0x200000, &leaf), map.pages[0x200]);
	assert_false(leaf & EPT_LEAF_2M);
	assert_int_equal(ept_translate(&map.ept, 0x2ff000, &leaf), map.pages[0x2ff]);
	assert_false(leaf & EPT_LEAF_2M);
	assert_int_equal(map.ept.table_pages, 4);
}

static void test_init_64k(void **state)
{
	assert_int_equal(gpa_map_init(&map, 64 * KiB), 0);
	check_map(64 * KiB, 0);
	assert_int_equal(map.ept.table_pages, 4);
	assert_int_equal(fake_pages_allocated, 16 + 1 + 4);
}

/* A host without a free 2 MiB-aligned chunk still gets its RAM, in 4 KiB
 * pages. */
static void test_init_fragmented_host(void **state)
{
	u64 leaf = 0;

	fake_mm_reset(3 * MiB);
	memset(fake_mem(), 0xa5, 3 * MiB);
	assert_int_equal(gpa_map_init(&map, 2 * MiB), 0);
	check_map(2 * MiB, 0);
	assert_int_equal(ept_translate(&map.ept, 0, &leaf), map.pages[0]);
	assert_false(leaf & EPT_LEAF_2M);
}

static void test_init_einval(void **state)
{
	assert_int_equal(gpa_map_init(&map, 0), -EINVAL);
	assert_int_equal(gpa_map_init(&map, PAGE_SIZE + 1), -EINVAL);
	assert_int_equal(gpa_map_init(&map, 0x800), -EINVAL);
	assert_int_equal(gpa_map_init(&map, EPT_MAX_GPA + PAGE_SIZE), -EINVAL);
	assert_int_equal(fake_pages_allocated, 0);
	assert_null(map.pages);
	assert_null(map.ept.pml4);
	assert_int_equal(map.ram_size, 0);
}

/* Guest RAM as the EPT maps it and as gpa_read sees it are the same bytes. */
static void test_rw_across_pages(void **state)
{
	u8 out[4100], in[4100];
	u64 at = 0x201000 - 3;		/* from page 0x200 to 0x202 */

	assert_int_equal(gpa_map_init(&map, 3 * MiB), 0);
	/* The 4 KiB pages are not host-contiguous here (a page table sits
	 * between the first two), so a copy must go piece by piece. */
	assert_int_not_equal(map.pages[0x201], map.pages[0x200] + PAGE_SIZE);
	for (unsigned i = 0; i < sizeof(out); i++)
		out[i] = (u8)(i * 7 + 1);
	assert_int_equal(gpa_write(&map, at, out, sizeof(out)), 0);
	for (unsigned i = 0; i < sizeof(out); i++) {
		u64 gpa = at + i;
		u8 *h = (u8 *)phys_to_virt(ept_translate(&map.ept, gpa, NULL));

		assert_int_equal(*h, out[i]);
	}
	assert_int_equal(*(u8 *)gpa_to_hva(&map, at - 1), 0);
	assert_int_equal(*(u8 *)gpa_to_hva(&map, at + sizeof(out)), 0);
	memset(in, 0, sizeof(in));
	assert_int_equal(gpa_read(&map, at, in, sizeof(in)), 0);
	assert_memory_equal(in, out, sizeof(out));

	/* Across the end of the 2 MiB chunk into the first 4 KiB page. */
	assert_int_equal(gpa_write(&map, 0x200000 - 50, out, 100), 0);
	assert_memory_equal(phys_to_virt(map.pages[0x1ff] + 0xfce), out, 50);
	assert_memory_equal(phys_to_virt(map.pages[0x200]), out + 50, 50);
	memset(in, 0, sizeof(in));
	assert_int_equal(gpa_read(&map, 0x200000 - 50, in, 100), 0);
	assert_memory_equal(in, out, 100);

	/* Up to the last byte of RAM. */
	assert_int_equal(gpa_write(&map, 3 * MiB - 8, out, 8), 0);
	assert_int_equal(gpa_read(&map, 3 * MiB - 8, in, 8), 0);
	assert_memory_equal(in, out, 8);
	assert_int_equal(gpa_read(&map, 0, in, 0), 0);
}

static void test_beyond_ram_efault(void **state)
{
	u8 buf[16], keep[16];
	u8 *last;

	assert_int_equal(gpa_map_init(&map, 64 * KiB), 0);
	last = gpa_to_hva(&map, 64 * KiB - 4);
	memset(buf, 0x5a, sizeof(buf));
	memcpy(keep, buf, sizeof(buf));
	/* Straddling the end: nothing written, nothing read. */
	assert_int_equal(gpa_write(&map, 64 * KiB - 4, buf, 8), -EFAULT);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(last[i], 0);
	last[0] = 0x77;
	assert_int_equal(gpa_read(&map, 64 * KiB - 4, buf, 8), -EFAULT);
	assert_memory_equal(buf, keep, sizeof(buf));
	assert_int_equal(gpa_read(&map, 64 * KiB, buf, 1), -EFAULT);
	assert_int_equal(gpa_write(&map, 64 * KiB, buf, 1), -EFAULT);
	assert_int_equal(gpa_read(&map, 1 * GiB, buf, 4), -EFAULT);
	assert_int_equal(gpa_read(&map, ~0ull - 3, buf, 8), -EFAULT);	/* wraps */
	assert_int_equal(gpa_read(&map, 16, buf, ~(size_t)0 - 8), -EFAULT);
	assert_memory_equal(buf, keep, sizeof(buf));
	assert_false(gpa_is_ram(&map, 64 * KiB - 4, 8));
	assert_true(gpa_is_ram(&map, 64 * KiB - 4, 4));
	assert_true(gpa_is_ram(&map, 0, 64 * KiB));
	assert_false(gpa_is_ram(&map, 0, 64 * KiB + 1));
	assert_null(gpa_to_hva(&map, 64 * KiB));
	assert_null(gpa_to_hva(&map, ~0ull));
}

static void test_destroy_frees_everything(void **state)
{
	assert_int_equal(gpa_map_init(&map, 3 * MiB), 0);
	assert_true(fake_pages_allocated > 768);
	gpa_map_destroy(&map);
	assert_int_equal(fake_pages_allocated, 0);
	assert_null(map.pages);
	assert_null(map.ept.pml4);
	assert_int_equal(map.ram_size, 0);
	assert_int_equal(map.npages, 0);
	gpa_map_destroy(&map);		/* a zeroed map is fine to destroy */
	assert_int_equal(fake_pages_allocated, 0);
}

/* Fail the allocator after every possible number of pages: each failed
 * init returns -ENOMEM with nothing left allocated and a zeroed map. */
static void test_init_oom_cleans_up(void **state)
{
	u64 ram = 3 * MiB, needed;

	assert_int_equal(gpa_map_init(&map, ram), 0);
	needed = fake_pages_allocated;
	gpa_map_destroy(&map);
	for (u64 k = 0; k < needed; k += (k < 40 || k + 40 > needed) ? 1 : 13) {
		fake_mm_reset(ARENA);
		fake_page_fail_after = k;
		assert_int_equal(gpa_map_init(&map, ram), -ENOMEM);
		assert_int_equal(fake_pages_allocated, 0);
		assert_null(map.pages);
		assert_null(map.ept.pml4);
		assert_int_equal(map.ram_size, 0);
	}
	fake_mm_reset(ARENA);
	fake_page_fail_after = needed;
	assert_int_equal(gpa_map_init(&map, ram), 0);
	check_map(ram, 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_init_2m),
		T(test_init_3m),
		T(test_init_64k),
		T(test_init_fragmented_host),
		T(test_init_einval),
		T(test_rw_across_pages),
		T(test_beyond_ram_efault),
		T(test_destroy_frees_everything),
		T(test_init_oom_cleans_up),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
