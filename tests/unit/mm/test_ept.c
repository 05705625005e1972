/*
 * Host tests for mm/ept.c over the fake physical arena: the hardware format
 * of every level bit by bit (SDM Vol 3 29.3.2, tables 29-1 to 29-6), the
 * EPTP (25.6.11), argument checks, overlaps, splitting a 2 MiB leaf,
 * permissions, table accounting and running out of pages.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "mm/ept.h"
#include "fake_hw.h"
#include "fake_mm.h"

#define ARENA (4 * MiB)
#define NONE (~0ull)

/* A guest-physical address from its four table indexes and page offset. */
#define GPA(l4, l3, l2, l1, off) \
	(((u64)(l4) << 39) | ((u64)(l3) << 30) | ((u64)(l2) << 21) | ((u64)(l1) << 12) | (off))

/* Addresses with a different index at every level, and host addresses
 * using every address bit up to 51. */
#define GPA_4K   GPA(0x0ff, 0x101, 0x1a3, 0x0c5, 0)
#define HPA_4K   0x000fedcba9876000ull
#define GPA_2M   GPA(0x0ff, 0x101, 0x1a4, 0, 0)
#define HPA_2M   0x000fedcba9800000ull

static struct ept ept;

static int setup(void **state)
{
	fake_mm_reset(ARENA);
	/* Garbage everywhere: tables must come back zeroed. */
	memset(fake_mem(), 0xa5, ARENA);
	fake_invept_count = 0;
	assert_int_equal(ept_init(&ept), 0);
	return 0;
}

static int teardown(void **state)
{
	ept_destroy(&ept);
	fake_mem_free();
	return 0;
}

static unsigned idx(u64 gpa, int level)
{
	return (gpa >> (12 + 9 * level)) & 511;
}

static u64 *table_of(u64 ent)
{
	return phys_to_virt(ent & EPT_ADDR_MASK);
}

/* The raw entry for gpa at `level` (3 = PML4E ... 0 = PTE), walking the
 * tables by hand; the walk must stay inside the fake arena. */
static u64 raw_entry(u64 gpa, int level)
{
	u64 *table = ept.pml4;

	for (int l = 3; l > level; l--) {
		u64 ent = table[idx(gpa, l)];
		assert_true(ent & EPT_RWX);
		assert_true((ent & EPT_ADDR_MASK) >= FAKE_PHYS_BASE);
		assert_true((ent & EPT_ADDR_MASK) < FAKE_PHYS_BASE + ARENA);
		table = table_of(ent);
	}
	return table[idx(gpa, level)];
}

/* A non-leaf entry: R, W and X set, memory type and bit 7 clear, the next
 * table's address, nothing else (table 29-2/29-3/29-5). */
static void assert_nonleaf(u64 ent)
{
	assert_int_equal(ent & 0xfff, EPT_RWX);
	assert_int_equal(ent >> 52, 0);
	assert_true((ent & EPT_ADDR_MASK) >= FAKE_PHYS_BASE);
	assert_true((ent & EPT_ADDR_MASK) < FAKE_PHYS_BASE + ARENA);
}

/* Every other entry of a table is zero. */
static void assert_only_entry(const u64 *table, unsigned keep)
{
	for (unsigned i = 0; i < 512; i++)
		if (i != keep)
			assert_int_equal(table[i], 0);
}

static void test_init_eptp(void **state)
{
	u64 eptp = ept_eptp(&ept);

	assert_int_equal(ept.table_pages, 1);
	assert_int_equal(fake_pages_allocated, 1);
	assert_ptr_equal(phys_to_virt(ept.pml4_phys), ept.pml4);
	assert_int_equal(ept.pml4_phys & 0xfff, 0);
	assert_only_entry(ept.pml4, 512);
	/* SDM Vol 3 25.6.11: bits 2:0 memory type (6 = WB), bits 5:3 walk
	 * length minus one, bit 6 A/D flags (off), bits 11:7 reserved. */
	assert_int_equal(eptp & 7, 6);
	assert_int_equal((eptp >> 3) & 7, 3);
	assert_int_equal(eptp & 0xfc0, 0);
	assert_int_equal(eptp & ~0xfffull, ept.pml4_phys);
	assert_int_equal(eptp, ept.pml4_phys | 0x1e);
}

static void test_map_4k_format(void **state)
{
	u64 *pml4 = ept.pml4, *pdpt, *pd, *pt, leaf = 0;

	assert_int_equal(ept_map(&ept, GPA_4K, HPA_4K, PAGE_SIZE, EPT_RWX | EPT_MT_WB), 0);
	assert_nonleaf(pml4[0x0ff]);
	assert_only_entry(pml4, 0x0ff);
	pdpt = table_of(pml4[0x0ff]);
	assert_nonleaf(pdpt[0x101]);
	assert_only_entry(pdpt, 0x101);
	pd = table_of(pdpt[0x101]);
	assert_nonleaf(pd[0x1a3]);
	assert_only_entry(pd, 0x1a3);
	pt = table_of(pd[0x1a3]);
	assert_only_entry(pt, 0x0c5);
	/* PTE (table 29-6): RWX = 7 in bits 2:0, WB = 6 in bits 5:3, bit 6
	 * ignore-PAT clear, bit 7 ignored (clear), address in 51:12. */
	assert_int_equal(pt[0x0c5] & 7, 7);
	assert_int_equal((pt[0x0c5] >> 3) & 7, 6);
	assert_int_equal(pt[0x0c5] & (BIT(6) | BIT(7) | BIT(8) | BIT(9)), 0);
	assert_int_equal(pt[0x0c5] & EPT_ADDR_MASK, HPA_4K);
	assert_int_equal(pt[0x0c5], HPA_4K | 0x37);
	assert_int_equal(ept.table_pages, 4);
	assert_int_equal(fake_pages_allocated, 4);

	assert_int_equal(ept_translate(&ept, GPA_4K, &leaf), HPA_4K);
	assert_int_equal(leaf, HPA_4K | 0x37);
	assert_int_equal(ept_translate(&ept, GPA_4K + 0xabc, NULL), HPA_4K + 0xabc);
	assert_int_equal(ept_translate(&ept, GPA_4K + 0xfff, NULL), HPA_4K + 0xfff);
	assert_int_equal(ept_translate(&ept, GPA_4K + PAGE_SIZE, NULL), NONE);
	assert_int_equal(ept_translate(&ept, GPA_4K - 1, NULL), NONE);
	assert_int_equal(ept_translate(&ept, 0, NULL), NONE);
	assert_int_equal(fake_invept_count, 0);	/* a new mapping needs no flush */
}

static void test_map_2m_format(void **state)
{
	u64 leaf = 0, pde;

	assert_int_equal(ept_map(&ept, GPA_2M, HPA_2M, LARGE_PAGE_SIZE,
				 EPT_READ | EPT_EXEC | EPT_MT_WB), 0);
	assert_int_equal(ept.table_pages, 3);	/* PML4, PDPT, PD: no PT */
	assert_nonleaf(raw_entry(GPA_2M, 3));
	assert_nonleaf(raw_entry(GPA_2M, 2));
	pde = raw_entry(GPA_2M, 1);
	/* 2 MiB PDE (table 29-4): R and X but not W, WB, bit 7 set, address
	 * in 51:21 with bits 20:12 reserved (zero). */
	assert_int_equal(pde & 7, EPT_READ | EPT_EXEC);
	assert_int_equal((pde >> 3) & 7, 6);
	assert_true(pde & BIT(7));
	assert_int_equal(pde & 0x1ff000, 0);
	assert_int_equal(pde & EPT_ADDR_MASK, HPA_2M);
	assert_int_equal(pde, HPA_2M | 0x80 | 0x30 | 0x5);

	assert_int_equal(ept_translate(&ept, GPA_2M, &leaf), HPA_2M);
	assert_int_equal(leaf, pde);
	assert_int_equal(ept_translate(&ept, GPA_2M + 0x12345, NULL), HPA_2M + 0x12345);
	assert_int_equal(ept_translate(&ept, GPA_2M + LARGE_PAGE_SIZE - 1, NULL),
			 HPA_2M + LARGE_PAGE_SIZE - 1);
	assert_int_equal(ept_translate(&ept, GPA_2M + LARGE_PAGE_SIZE, NULL), NONE);
}

/* Only permission, memory type and ignore-PAT come from flags; bits a
 * caller passes by mistake (large page, accessed, dirty, address) do not
 * reach the entry. */
static void test_map_flags_filtered(void **state)
{
	static const u64 types[] = { EPT_MT_UC, EPT_MT_WC, EPT_MT_WT, EPT_MT_WP, EPT_MT_WB };
	u64 leaf;

	for (unsigned i = 0; i < ARRAY_SIZE(types); i++) {
		u64 gpa = 0x10000 + i * PAGE_SIZE, hpa = 0x200000 + i * PAGE_SIZE;

		assert_int_equal(ept_map(&ept, gpa, hpa, PAGE_SIZE, EPT_READ | types[i]), 0);
		assert_int_equal(ept_translate(&ept, gpa, &leaf), hpa);
		assert_int_equal(leaf, hpa | EPT_READ | types[i]);
	}
	assert_int_equal(ept_map(&ept, 0x20000, 0x300000, PAGE_SIZE,
				 EPT_RWX | EPT_MT_WB | EPT_IGNORE_PAT | EPT_LEAF_2M |
				 EPT_ACCESSED | EPT_DIRTY | 0x0000123456789000ull), 0);
	assert_int_equal(ept_translate(&ept, 0x20000, &leaf), 0x300000);
	assert_int_equal(leaf, 0x300000 | 0x77);
	assert_int_equal(ept_map(&ept, 0x400000, 0x600000, LARGE_PAGE_SIZE,
				 EPT_READ | EPT_WRITE | EPT_MT_UC | EPT_ACCESSED), 0);
	assert_int_equal(ept_translate(&ept, 0x400000, &leaf), 0x600000);
	assert_int_equal(leaf, 0x600000 | 0x80 | 0x3);
}

/* Write without read is an EPT misconfiguration (SDM Vol 3 29.3.3.1), and
 * so are the reserved memory types 2, 3 and 7; host addresses beyond bit 51
 * would land in the entry's flag bits. */
static void test_map_rejects_misconfig(void **state)
{
	assert_int_equal(ept_map(&ept, 0, 0, PAGE_SIZE, EPT_WRITE | EPT_MT_WB), -EINVAL);
	assert_int_equal(ept_map(&ept, 0, 0, PAGE_SIZE, EPT_WRITE | EPT_EXEC | EPT_MT_WB), -EINVAL);
	assert_int_equal(ept_map(&ept, 0, 0, PAGE_SIZE, EPT_RWX | (2ull << 3)), -EINVAL);
	assert_int_equal(ept_map(&ept, 0, 0, PAGE_SIZE, EPT_RWX | (3ull << 3)), -EINVAL);
	assert_int_equal(ept_map(&ept, 0, 0, PAGE_SIZE, EPT_RWX | (7ull << 3)), -EINVAL);
	assert_int_equal(ept_map(&ept, 0, BIT(52), PAGE_SIZE, EPT_RWX | EPT_MT_WB), -EINVAL);
	assert_int_equal(ept_map(&ept, 0, BIT(63), PAGE_SIZE, EPT_RWX | EPT_MT_WB), -EINVAL);
	assert_int_equal(ept.table_pages, 1);
	assert_int_equal(ept_translate(&ept, 0, NULL), NONE);
	/* Execute-only and read-only are fine. */
	assert_int_equal(ept_map(&ept, 0, 0x1000, PAGE_SIZE, EPT_EXEC | EPT_MT_WB), 0);
	assert_int_equal(ept_map(&ept, 0x1000, 0x2000, PAGE_SIZE, EPT_READ | EPT_MT_WB), 0);
	assert_int_equal(ept_protect(&ept, 0, PAGE_SIZE, EPT_WRITE), -EINVAL);
	assert_int_equal(ept_protect(&ept, 0, PAGE_SIZE, EPT_WRITE | EPT_EXEC), -EINVAL);
}

static void test_map_einval(void **state)
{
	u64 f = EPT_RWX | EPT_MT_WB;

	assert_int_equal(ept_map(&ept, 0, 0, 0, f), -EINVAL);
	assert_int_equal(ept_map(&ept, 0, 0, 2 * PAGE_SIZE, f), -EINVAL);
	assert_int_equal(ept_map(&ept, 0, 0, 1 * GiB, f), -EINVAL);	/* no 1 GiB leaves */
	assert_int_equal(ept_map(&ept, 0x1001, 0, PAGE_SIZE, f), -EINVAL);
	assert_int_equal(ept_map(&ept, 0x1000, 0x800, PAGE_SIZE, f), -EINVAL);
	assert_int_equal(ept_map(&ept, 0x1000, 0, LARGE_PAGE_SIZE, f), -EINVAL);
	assert_int_equal(ept_map(&ept, 0, 0x1000, LARGE_PAGE_SIZE, f), -EINVAL);
	assert_int_equal(ept_map(&ept, EPT_MAX_GPA, 0, PAGE_SIZE, f), -EINVAL);
	assert_int_equal(ept_map(&ept, EPT_MAX_GPA, 0, LARGE_PAGE_SIZE, f), -EINVAL);
	assert_int_equal(ept_map(&ept, ~0ull & ~0xfffull, 0, PAGE_SIZE, f), -EINVAL);
	assert_int_equal(ept_map(&ept, 0, 0, PAGE_SIZE, EPT_MT_WB), -EINVAL);	/* no access */
	assert_int_equal(ept.table_pages, 1);
	assert_int_equal(fake_pages_allocated, 1);
	assert_only_entry(ept.pml4, 512);
	assert_int_equal(ept_translate(&ept, EPT_MAX_GPA, NULL), NONE);
	assert_int_equal(ept_translate(&ept, ~0ull, NULL), NONE);
}

/* The last page and the last 2 MiB below 2^48 are mappable. */
static void test_top_of_space(void **state)
{
	u64 f = EPT_RWX | EPT_MT_WB;

	assert_int_equal(ept_map(&ept, EPT_MAX_GPA - PAGE_SIZE, 0x5000, PAGE_SIZE, f), 0);
	assert_int_equal(ept_map(&ept, EPT_MAX_GPA - 2 * LARGE_PAGE_SIZE, 0x400000,
				 LARGE_PAGE_SIZE, f), 0);
	assert_int_equal(ept_translate(&ept, EPT_MAX_GPA - 1, NULL), 0x5fff);
	assert_int_equal(ept_translate(&ept, EPT_MAX_GPA - LARGE_PAGE_SIZE - 1, NULL), 0x5fffff);
	assert_nonleaf(ept.pml4[511]);
	assert_int_equal(raw_entry(EPT_MAX_GPA - PAGE_SIZE, 0), 0x5000 | 0x37);
	assert_int_equal(ept.table_pages, 4);
}

static void test_overlap_eexist(void **state)
{
	u64 f = EPT_RWX | EPT_MT_WB, leaf;

	assert_int_equal(ept_map(&ept, 0x200000, 0x40000000, LARGE_PAGE_SIZE, f), 0);
	/* 4 KiB anywhere inside an existing 2 MiB leaf. */
	assert_int_equal(ept_map(&ept, 0x200000, 0x1000, PAGE_SIZE, f), -EEXIST);
	assert_int_equal(ept_map(&ept, 0x2ff000, 0x1000, PAGE_SIZE, f), -EEXIST);
	assert_int_equal(ept_map(&ept, 0x3ff000, 0x1000, PAGE_SIZE, f), -EEXIST);
	assert_int_equal(ept_map(&ept, 0x200000, 0x80000000, LARGE_PAGE_SIZE, f), -EEXIST);
	/* 2 MiB over a range holding one 4 KiB leaf, even at its end. */
	assert_int_equal(ept_map(&ept, 0x5ff000, 0x2000, PAGE_SIZE, f), 0);
	assert_int_equal(ept_map(&ept, 0x400000, 0x40200000, LARGE_PAGE_SIZE, f), -EEXIST);
	/* The same 4 KiB page twice. */
	assert_int_equal(ept_map(&ept, 0x5ff000, 0x3000, PAGE_SIZE, f), -EEXIST);
	/* Nothing changed. */
	assert_int_equal(ept_translate(&ept, 0x2ff000, &leaf), 0x400ff000);
	assert_true(leaf & EPT_LEAF_2M);
	assert_int_equal(ept_translate(&ept, 0x5ff000, &leaf), 0x2000);
	assert_false(leaf & EPT_LEAF_2M);
	assert_int_equal(ept_translate(&ept, 0x400000, NULL), NONE);
	assert_nonleaf(raw_entry(0x400000, 1));
	/* Neighbours are free: 4 KiB beside the 2 MiB leaf, 2 MiB beside the PT. */
	assert_int_equal(ept_map(&ept, 0x1ff000, 0x4000, PAGE_SIZE, f), 0);
	assert_int_equal(ept_map(&ept, 0x600000, 0x40400000, LARGE_PAGE_SIZE, f), 0);
	assert_int_equal(ept.table_pages, 5);	/* PML4, PDPT, PD, 2 PTs */
}

static void test_table_pages_accounting(void **state)
{
	u64 f = EPT_RWX | EPT_MT_WB;

	assert_int_equal(ept_map(&ept, 0x1000, 0x1000, PAGE_SIZE, f), 0);
	assert_int_equal(ept.table_pages, 4);
	assert_int_equal(ept_map(&ept, 0x2000, 0x2000, PAGE_SIZE, f), 0);	/* same PT */
	assert_int_equal(ept.table_pages, 4);
	assert_int_equal(ept_map(&ept, 0x200000, 0x200000, PAGE_SIZE, f), 0);	/* new PT */
	assert_int_equal(ept.table_pages, 5);
	assert_int_equal(ept_map(&ept, 0x40000000, 0x200000, LARGE_PAGE_SIZE, f), 0);	/* new PD */
	assert_int_equal(ept.table_pages, 6);
	assert_int_equal(ept_map(&ept, GPA(1, 0, 0, 0, 0), 0, PAGE_SIZE, f), 0);	/* PDPT+PD+PT */
	assert_int_equal(ept.table_pages, 9);
	assert_int_equal(fake_pages_allocated, ept.table_pages);
	/* A split adds one PT; an unmap frees nothing. */
	assert_int_equal(ept_unmap(&ept, 0x40001000, PAGE_SIZE), 0);
	assert_int_equal(ept.table_pages, 10);
	assert_int_equal(ept_unmap(&ept, 0x1000, PAGE_SIZE), 0);
	assert_int_equal(ept.table_pages, 10);
	assert_int_equal(fake_pages_allocated, ept.table_pages);
}

static void test_unmap_splits_2m(void **state)
{
	u64 flags = EPT_READ | EPT_WRITE | EPT_MT_WB | EPT_IGNORE_PAT;
	u64 base = 0x8000000, *pt, pde;
	unsigned gone = 0xff;

	assert_int_equal(ept_map(&ept, 0x600000, base, LARGE_PAGE_SIZE, flags), 0);
	assert_int_equal(ept_unmap(&ept, 0x600000 + gone * PAGE_SIZE, PAGE_SIZE), 0);
	assert_int_equal(fake_invept_count, 1);
	assert_int_equal(ept.table_pages, 4);
	pde = raw_entry(0x600000, 1);
	assert_nonleaf(pde);
	assert_false(pde & EPT_LEAF_2M);
	pt = table_of(pde);
	for (unsigned i = 0; i < 512; i++) {
		if (i == gone)
			assert_int_equal(pt[i], 0);
		else
			assert_int_equal(pt[i], (base + i * PAGE_SIZE) | 0x73);
	}
	assert_int_equal(ept_translate(&ept, 0x600000 + gone * PAGE_SIZE, NULL), NONE);
	assert_int_equal(ept_translate(&ept, 0x600000 + gone * PAGE_SIZE + 0xfff, NULL), NONE);
	assert_int_equal(ept_translate(&ept, 0x600000, NULL), base);
	assert_int_equal(ept_translate(&ept, 0x600000 + (gone + 1) * PAGE_SIZE + 5, NULL),
			 base + (gone + 1) * PAGE_SIZE + 5);
	assert_int_equal(ept_translate(&ept, 0x7fffff, NULL), base + 0x1fffff);
	/* A second 4 KiB unmap uses the PT already there. */
	assert_int_equal(ept_unmap(&ept, 0x600000, PAGE_SIZE), 0);
	assert_int_equal(ept.table_pages, 4);
	assert_int_equal(pt[0], 0);
	assert_int_equal(pt[1], (base + PAGE_SIZE) | 0x73);
	/* The hole can be mapped again, to somewhere else. */
	assert_int_equal(ept_map(&ept, 0x600000 + gone * PAGE_SIZE, 0x1234000, PAGE_SIZE,
				 EPT_RWX | EPT_MT_UC), 0);
	assert_int_equal(pt[gone], 0x1234000 | 0x7);
}

static void test_unmap_errors(void **state)
{
	u64 f = EPT_RWX | EPT_MT_WB;

	assert_int_equal(ept_unmap(&ept, 0x1000, PAGE_SIZE), -ENOENT);
	assert_int_equal(ept_unmap(&ept, 0x200000, LARGE_PAGE_SIZE), -ENOENT);
	assert_int_equal(ept_unmap(&ept, 0x1001, PAGE_SIZE), -EINVAL);
	assert_int_equal(ept_unmap(&ept, 0x1000, LARGE_PAGE_SIZE), -EINVAL);
	assert_int_equal(ept_unmap(&ept, 0x1000, 3 * PAGE_SIZE), -EINVAL);
	assert_int_equal(ept_unmap(&ept, EPT_MAX_GPA, PAGE_SIZE), -EINVAL);
	assert_int_equal(ept_map(&ept, 0x1000, 0x1000, PAGE_SIZE, f), 0);
	/* A 2 MiB unmap over a PT of 4 KiB leaves is not a 2 MiB leaf. */
	assert_int_equal(ept_unmap(&ept, 0, LARGE_PAGE_SIZE), -ENOENT);
	assert_int_equal(ept_unmap(&ept, 0x2000, PAGE_SIZE), -ENOENT);
	assert_int_equal(ept_unmap(&ept, 0x1000, PAGE_SIZE), 0);
	assert_int_equal(ept_unmap(&ept, 0x1000, PAGE_SIZE), -ENOENT);
	assert_int_equal(ept_translate(&ept, 0x1000, NULL), NONE);
	/* A whole 2 MiB leaf goes in one piece, without a split. */
	assert_int_equal(ept_map(&ept, 0x400000, 0x400000, LARGE_PAGE_SIZE, f), 0);
	assert_int_equal(ept_unmap(&ept, 0x400000, LARGE_PAGE_SIZE), 0);
	assert_int_equal(raw_entry(0x400000, 1), 0);
	assert_int_equal(ept.table_pages, 4);
	assert_int_equal(fake_invept_count, 2);
}

static void test_protect(void **state)
{
	u64 *pt, pde, base = 0x10000000;

	assert_int_equal(ept_map(&ept, 0, base, LARGE_PAGE_SIZE, EPT_RWX | EPT_MT_WB), 0);
	assert_int_equal(ept_map(&ept, 0x200000, 0x5000, PAGE_SIZE, EPT_RWX | EPT_MT_WB), 0);
	/* A 2 MiB leaf changes as a whole: address, type and bit 7 stay. */
	assert_int_equal(ept_protect(&ept, 0, LARGE_PAGE_SIZE, EPT_READ), 0);
	assert_int_equal(raw_entry(0, 1), base | 0x80 | 0x30 | EPT_READ);
	assert_int_equal(fake_invept_count, 1);
	/* A 4 KiB protect inside it splits, and only that page changes. */
	assert_int_equal(ept_protect(&ept, 0x3000, PAGE_SIZE, EPT_READ | EPT_EXEC), 0);
	pde = raw_entry(0, 1);
	assert_nonleaf(pde);
	pt = table_of(pde);
	for (unsigned i = 0; i < 512; i++)
		assert_int_equal(pt[i], (base + i * PAGE_SIZE) | 0x30 |
				 (i == 3 ? EPT_READ | EPT_EXEC : EPT_READ));
	assert_int_equal(ept.table_pages, 5);
	/* A 4 KiB leaf. */
	assert_int_equal(ept_protect(&ept, 0x200000, PAGE_SIZE, EPT_READ | EPT_WRITE), 0);
	assert_int_equal(raw_entry(0x200000, 0), 0x5000 | 0x30 | 0x3);
	assert_int_equal(ept_translate(&ept, 0x200010, NULL), 0x5010);
	/* Errors leave entries alone. */
	assert_int_equal(ept_protect(&ept, 0x200000, PAGE_SIZE, 0), -EINVAL);
	assert_int_equal(ept_protect(&ept, 0x200000, PAGE_SIZE, EPT_READ | EPT_MT_WB), -EINVAL);
	assert_int_equal(ept_protect(&ept, 0x200000, PAGE_SIZE, BIT(7) | EPT_READ), -EINVAL);
	assert_int_equal(ept_protect(&ept, 0x200800, PAGE_SIZE, EPT_READ), -EINVAL);
	assert_int_equal(ept_protect(&ept, 0x201000, PAGE_SIZE, EPT_READ), -ENOENT);
	assert_int_equal(ept_protect(&ept, 0x200000, LARGE_PAGE_SIZE, EPT_READ), -ENOENT);
	assert_int_equal(ept_protect(&ept, 0x40000000, PAGE_SIZE, EPT_READ), -ENOENT);
	assert_int_equal(raw_entry(0x200000, 0), 0x5000 | 0x30 | 0x3);
	assert_int_equal(fake_invept_count, 3);
}

static void test_destroy_frees_everything(void **state)
{
	u64 f = EPT_RWX | EPT_MT_WB;

	for (unsigned i = 0; i < 8; i++) {
		u64 gpa = GPA(i * 37 % 512, i * 11 % 512, i * 5 % 512, 0, 0);

		assert_int_equal(ept_map(&ept, gpa + PAGE_SIZE, 0x1000, PAGE_SIZE, f), 0);
		assert_int_equal(ept_map(&ept, gpa + LARGE_PAGE_SIZE, 0x200000,
					 LARGE_PAGE_SIZE, f), 0);
	}
	assert_int_equal(ept_unmap(&ept, LARGE_PAGE_SIZE + PAGE_SIZE, PAGE_SIZE), 0);	/* split */
	assert_true(fake_pages_allocated > 8);
	assert_int_equal(fake_pages_allocated, ept.table_pages);
	ept_destroy(&ept);
	assert_int_equal(fake_pages_allocated, 0);
	assert_int_equal(ept.table_pages, 0);
	assert_null(ept.pml4);
	assert_int_equal(ept.pml4_phys, 0);
	ept_destroy(&ept);	/* twice is harmless */
	assert_int_equal(fake_pages_allocated, 0);
}

/* Running out of table pages half-way through a walk: -ENOMEM, no leaf,
 * the tables already linked stay valid and counted, and a retry with
 * memory succeeds. */
static void test_oom_during_map(void **state)
{
	u64 f = EPT_RWX | EPT_MT_WB, pages;

	assert_int_equal(ept_map(&ept, 0x1000, 0x7000, PAGE_SIZE, f), 0);
	pages = fake_pages_allocated;
	for (u64 extra = 0; extra < 3; extra++) {
		fake_page_fail_after = pages + extra;
		assert_int_equal(ept_map(&ept, GPA_4K, HPA_4K, PAGE_SIZE, f), -ENOMEM);
		assert_int_equal(ept_translate(&ept, GPA_4K, NULL), NONE);
		assert_int_equal(ept.table_pages, fake_pages_allocated);
		assert_int_equal(ept_translate(&ept, 0x1000, NULL), 0x7000);
	}
	assert_int_equal(fake_pages_allocated, pages + 2);	/* PDPT and PD linked */
	fake_page_fail_after = ~0ull;
	assert_int_equal(ept_map(&ept, GPA_4K, HPA_4K, PAGE_SIZE, f), 0);
	assert_int_equal(fake_pages_allocated, pages + 3);
	assert_int_equal(ept_translate(&ept, GPA_4K + 1, NULL), HPA_4K + 1);
	assert_int_equal(ept_translate(&ept, 0x1000, NULL), 0x7000);
	ept_destroy(&ept);
	assert_int_equal(fake_pages_allocated, 0);
}

/* A split that cannot get its page table must say so, not claim that the
 * page is unmapped, and must leave the 2 MiB leaf as it was. */
static void test_oom_during_split(void **state)
{
	u64 pde;

	assert_int_equal(ept_map(&ept, 0, 0x200000, LARGE_PAGE_SIZE, EPT_RWX | EPT_MT_WB), 0);
	pde = raw_entry(0, 1);
	fake_page_fail_after = fake_pages_allocated;
	assert_int_equal(ept_unmap(&ept, 0x5000, PAGE_SIZE), -ENOMEM);
	assert_int_equal(ept_protect(&ept, 0x5000, PAGE_SIZE, EPT_READ), -ENOMEM);
	assert_int_equal(raw_entry(0, 1), pde);
	assert_int_equal(ept_translate(&ept, 0x5000, NULL), 0x205000);
	assert_int_equal(ept.table_pages, 3);
	assert_int_equal(fake_invept_count, 0);
	/* Whole-leaf operations need no page. */
	assert_int_equal(ept_protect(&ept, 0, LARGE_PAGE_SIZE, EPT_READ), 0);
	assert_int_equal(ept_unmap(&ept, 0, LARGE_PAGE_SIZE), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_init_eptp),
		T(test_map_4k_format),
		T(test_map_2m_format),
		T(test_map_flags_filtered),
		T(test_map_rejects_misconfig),
		T(test_map_einval),
		T(test_top_of_space),
		T(test_overlap_eexist),
		T(test_table_pages_accounting),
		T(test_unmap_splits_2m),
		T(test_unmap_errors),
		T(test_protect),
		T(test_destroy_frees_everything),
		T(test_oom_during_map),
		T(test_oom_during_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
