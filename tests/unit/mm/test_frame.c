/*
 * Host tests for mm/frame.c: alignment of added and reserved ranges, run
 * allocation, refused frees, filling from a boot map with OVMF-style holes,
 * and a random alloc/free stress test against a shadow ownership map.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>

#include "mm/frame.h"
#include "boot/multiboot2.h"
#include "lib/string.h"

#define NFRAMES 16384 /* 64 MiB */

static u64 bitmap[FRAME_BITMAP_WORDS(NFRAMES)];
static struct frame_alloc fa;

static bool frame_is_used(u64 f)
{
	return bitmap[f / 64] & BIT(f % 64);
}

/* Free frames counted from the bitmap itself. */
static u64 count_free_bits(void)
{
	u64 n = 0;

	for (u64 f = 0; f < fa.nframes; f++)
		n += !frame_is_used(f);
	return n;
}

static void test_init_all_used(void **state)
{
	frame_alloc_init(&fa, bitmap, 100); /* not a multiple of 64 */
	assert_true(frame_alloc_free_count(&fa) == 0);
	assert_true(frame_alloc_pages(&fa, 1, 1) == 0);
	frame_alloc_add_free(&fa, 0, 100 * PAGE_SIZE);
	/* Frame 0 is never made free. */
	assert_true(frame_alloc_free_count(&fa) == 99);
	assert_true(frame_is_used(0));
	/* Bits past nframes stay set. */
	assert_true(bitmap[1] == ~0ull << 36);
	for (u64 f = 100; f < 128; f++)
		assert_true(frame_is_used(f));
}

/* add_free rounds inward, reserve rounds outward, both clip to nframes. */
static void test_add_free_and_reserve_alignment(void **state)
{
	frame_alloc_init(&fa, bitmap, NFRAMES);
	frame_alloc_add_free(&fa, 0x1800, 0x3000); /* [0x1800, 0x4800): frames 2, 3 */
	assert_true(frame_alloc_free_count(&fa) == 2);
	assert_true(frame_is_used(1) && !frame_is_used(2) && !frame_is_used(3) &&
		    frame_is_used(4));
	frame_alloc_add_free(&fa, 0x10000, 0xfff); /* less than a frame */
	assert_true(frame_alloc_free_count(&fa) == 2);
	frame_alloc_reserve(&fa, 0x2fff, 2); /* straddles frames 2 and 3 */
	assert_true(frame_alloc_free_count(&fa) == 0);

	frame_alloc_add_free(&fa, (NFRAMES - 10) * PAGE_SIZE, 1ull << 40);
	assert_true(frame_alloc_free_count(&fa) == 10);
	frame_alloc_add_free(&fa, ~0ull - 0x800, 0x1000); /* wraps: ignored */
	frame_alloc_add_free(&fa, 0x100000, ~0ull);       /* clipped */
	assert_true(frame_alloc_free_count(&fa) == NFRAMES - 256);
	frame_alloc_reserve(&fa, 0x100000, 0); /* empty: nothing */
	assert_true(frame_alloc_free_count(&fa) == NFRAMES - 256);
	frame_alloc_reserve(&fa, 0x100001, 0x1000);
	assert_true(frame_alloc_free_count(&fa) == NFRAMES - 258);
	frame_alloc_reserve(&fa, 0, ~0ull);
	assert_true(frame_alloc_free_count(&fa) == 0);
	assert_true(count_free_bits() == 0);
}

/* Runs are contiguous, aligned and never start at frame 0. */
static void test_alloc_runs(void **state)
{
	u64 a, b, c;

	frame_alloc_init(&fa, bitmap, NFRAMES);
	frame_alloc_add_free(&fa, 0, NFRAMES * PAGE_SIZE);
	a = frame_alloc_pages(&fa, 1, 0);
	assert_true(a == 0x1000);
	b = frame_alloc_pages(&fa, 3, 1);
	assert_true(b == 0x2000);
	c = frame_alloc_pages(&fa, 512, 512); /* a 2 MiB page */
	assert_true(c == 2 * MiB);
	assert_true(frame_alloc_free_count(&fa) == NFRAMES - 1 - 1 - 3 - 512);
	for (u64 f = c >> 12; f < (c >> 12) + 512; f++)
		assert_true(frame_is_used(f));
	assert_true(frame_alloc_pages(&fa, 0, 1) == 0);
	assert_true(frame_alloc_pages(&fa, NFRAMES, 1) == 0);
	assert_true(frame_alloc_pages(&fa, 1, NFRAMES * 2) == 0);
	/* Next-fit goes on after c; the gap below c is found after wrapping. */
	assert_int_equal(frame_free_pages(&fa, a, 1), 0);
	assert_int_equal(frame_free_pages(&fa, b, 3), 0);
	assert_true(frame_alloc_pages(&fa, 1, 1) == c + 2 * MiB);
	assert_true(frame_alloc_pages(&fa, NFRAMES - 1025, 1) == c + 2 * MiB + PAGE_SIZE);
	assert_true(frame_alloc_free_count(&fa) == 511);
	assert_true(frame_alloc_pages(&fa, 512, 1) == 0); /* frames 1..511 only */
	assert_true(frame_alloc_pages(&fa, 511, 1) == 0x1000);
	assert_true(frame_alloc_free_count(&fa) == 0);
	assert_true(count_free_bits() == 0);
}

/* Bad frees return -EINVAL and leave the bitmap untouched. */
static void test_free_refused(void **state)
{
	static u64 before[FRAME_BITMAP_WORDS(NFRAMES)];
	u64 p, count;

	frame_alloc_init(&fa, bitmap, NFRAMES);
	frame_alloc_add_free(&fa, 0, NFRAMES * PAGE_SIZE);
	p = frame_alloc_pages(&fa, 4, 1);
	assert_true(p != 0);
	assert_int_equal(frame_free_pages(&fa, p + 4 * PAGE_SIZE, 1), -EINVAL); /* never allocated */
	memcpy(before, bitmap, sizeof(bitmap));
	count = frame_alloc_free_count(&fa);
	assert_int_equal(frame_free_pages(&fa, p + 1, 1), -EINVAL);
	assert_int_equal(frame_free_pages(&fa, p, 0), -EINVAL);
	assert_int_equal(frame_free_pages(&fa, 0, 1), -EINVAL);
	assert_int_equal(frame_free_pages(&fa, NFRAMES * PAGE_SIZE, 1), -EINVAL);
	assert_int_equal(frame_free_pages(&fa, (NFRAMES - 1) * PAGE_SIZE, 2), -EINVAL);
	assert_int_equal(frame_free_pages(&fa, p, ~0ull), -EINVAL);
	assert_int_equal(frame_free_pages(&fa, p, 5), -EINVAL); /* last one is free */
	assert_memory_equal(before, bitmap, sizeof(bitmap));
	assert_true(frame_alloc_free_count(&fa) == count);

	assert_int_equal(frame_free_pages(&fa, p + PAGE_SIZE, 2), 0);
	assert_int_equal(frame_free_pages(&fa, p + PAGE_SIZE, 1), -EINVAL); /* double */
	assert_int_equal(frame_free_pages(&fa, p, 4), -EINVAL); /* partly free */
	assert_int_equal(frame_free_pages(&fa, p, 1), 0);
	assert_int_equal(frame_free_pages(&fa, p + 3 * PAGE_SIZE, 1), 0);
	assert_true(frame_alloc_free_count(&fa) == NFRAMES - 1);
}

/*
 * OVMF-style map with holes: ACPI NVS at 8 MiB inside RAM, unaligned
 * region edges, an overlapping NVS entry that was never sanitised, plus
 * the info block, a module and the kernel image.
 */
static const struct mem_region ovmf_map[] = {
	{ 0x0, 0xa0000, MEM_USABLE },
	{ 0x100000, 0x700000, MEM_USABLE },
	{ 0x800000, 0x8000, MEM_ACPI_NVS },
	{ 0x808000, 0x8000, MEM_USABLE },
	{ 0x810000, 0xf0000, MEM_ACPI_NVS },
	{ 0x900000, 0x2700000, MEM_USABLE },      /* up to 48 MiB */
	{ 0x2000000, 0x3000, MEM_ACPI_NVS },      /* overlaps the usable one */
	{ 0x3000000, 0x10000, MEM_ACPI_RECLAIM },
	{ 0x3010800, 0x3ff000, MEM_USABLE },      /* unaligned edges */
	{ 0x3500000, 0x1000, MEM_BAD },
	{ 0x3600000, 0x4000000, MEM_USABLE },     /* runs past nframes */
};

#define INFO_START   0x1800000ull
#define INFO_END     0x1800420ull
#define MOD_START    0x1a00000ull
#define MOD_END      0x1a80123ull
#define KERNEL_START 0x200000ull
#define KERNEL_END   0x400000ull

/* The model: may frame f be handed out? */
static bool ovmf_allowed(u64 f)
{
	u64 a = f << PAGE_SHIFT, e = a + PAGE_SIZE;
	bool usable = false;

	if (a < 0x100000)
		return false; /* reserve_below */
	for (unsigned i = 0; i < ARRAY_SIZE(ovmf_map); i++) {
		const struct mem_region *r = &ovmf_map[i];
		bool touches = a < r->base + r->len && e > r->base;

		if (r->type != MEM_USABLE && touches)
			return false;
		if (r->type == MEM_USABLE && a >= r->base && e <= r->base + r->len)
			usable = true;
	}
	if ((a < INFO_END && e > INFO_START) || (a < MOD_END && e > MOD_START) ||
	    (a < KERNEL_END && e > KERNEL_START))
		return false;
	return usable;
}

/* As boot/main.c does: the map, less what the boot code reserves and extra. */
static void fill_from_boot(const struct boot_info *bi, u64 below, const struct mem_region *extra,
			   unsigned nextra)
{
	struct mem_region reserved[BOOT_MAX_MODULES + 2];
	unsigned n = boot_reserved_regions(bi, below, reserved, ARRAY_SIZE(reserved));

	frame_alloc_from_map(&fa, bi->mmap, bi->mmap_count, reserved, n);
	frame_alloc_from_map(&fa, NULL, 0, extra, nextra);
}

static void fill_from_ovmf(void)
{
	static struct boot_info bi;
	const struct mem_region kernel = { KERNEL_START, KERNEL_END - KERNEL_START, MEM_RESERVED };

	memset(&bi, 0, sizeof(bi));
	memcpy(bi.mmap, ovmf_map, sizeof(ovmf_map));
	bi.mmap_count = ARRAY_SIZE(ovmf_map);
	bi.info_start = INFO_START;
	bi.info_end = INFO_END;
	bi.modules[0] = (struct boot_module){ MOD_START, MOD_END, "guest" };
	bi.module_count = 1;
	frame_alloc_init(&fa, bitmap, NFRAMES);
	fill_from_boot(&bi, 0x100000, &kernel, 1);
}

/* Drain the allocator page by page: every page must be one the map allows. */
static void test_from_boot_never_hands_out_holes(void **state)
{
	static bool got[NFRAMES];
	u64 expected = 0, n = 0, p;

	fill_from_ovmf();
	for (u64 f = 0; f < NFRAMES; f++)
		expected += ovmf_allowed(f);
	assert_true(frame_alloc_free_count(&fa) == expected);
	assert_true(count_free_bits() == expected);
	/* The hole at 8 MiB and its neighbours. */
	assert_true(frame_is_used(0x800) && frame_is_used(0x807) && !frame_is_used(0x808));
	assert_true(frame_is_used(0x7ff) == false);
	/* The unsanitised NVS entry inside usable RAM. */
	assert_true(frame_is_used(0x2000) && frame_is_used(0x2002) && !frame_is_used(0x2003));

	memset(got, 0, sizeof(got));
	while ((p = frame_alloc_pages(&fa, 1, 1)) != 0) {
		u64 f = p >> PAGE_SHIFT;

		assert_true(f < NFRAMES);
		assert_true(ovmf_allowed(f));
		assert_false(got[f]);
		got[f] = true;
		n++;
	}
	assert_true(n == expected);
	assert_true(frame_alloc_free_count(&fa) == 0);
}

/* Large runs must not span a hole either. */
static void test_from_boot_runs_avoid_holes(void **state)
{
	u64 p;

	fill_from_ovmf();
	while ((p = frame_alloc_pages(&fa, 16, 1)) != 0)
		for (u64 f = p >> PAGE_SHIFT; f < (p >> PAGE_SHIFT) + 16; f++)
			assert_true(ovmf_allowed(f));
	fill_from_ovmf();
	while ((p = frame_alloc_pages(&fa, 512, 512)) != 0) {
		assert_true(p % (2 * MiB) == 0);
		for (u64 f = p >> PAGE_SHIFT; f < (p >> PAGE_SHIFT) + 512; f++)
			assert_true(ovmf_allowed(f));
	}
}

/*
 * The boot path end to end: a multiboot2 block with an e820-style map,
 * parsed, sanitised, fed to the allocator. Only frames of the two usable
 * regions outside the NVS hole, the module and reserve_below come out.
 */
static void test_from_multiboot2(void **state)
{
	static u64 block[64];
	static struct boot_info bi;
	static const u32 tags[] = {
		/* type, size, entry_size, entry_version */
		MB2_TAG_MMAP, 16 + 3 * 24, 24, 0,
		/* base lo, hi, len lo, hi, type, reserved */
		0x100000, 0, 0x1f00000, 0, MEM_USABLE, 0,  /* 1 MiB .. 32 MiB */
		0x800000, 0, 0x8000, 0, MEM_ACPI_NVS, 0,   /* hole inside it */
		0x2000000, 0, 0x100000, 0, 9, 0,           /* unknown type */
		MB2_TAG_MODULE, 16 + 2, 0x1000000, 0x1001800, 'm', 0,
		MB2_TAG_END, 8,
	};
	u64 n = 0, p;

	memcpy((u8 *)block + 8, tags, sizeof(tags));
	block[0] = 8 + sizeof(tags);
	assert_int_equal(mb2_parse(0x7000, block, &bi), 0);
	boot_mmap_sanitize(&bi);
	assert_int_equal(bi.mmap_count, 4);
	frame_alloc_init(&fa, bitmap, NFRAMES);
	fill_from_boot(&bi, 2 * MiB, NULL, 0);
	/* [2 MiB, 32 MiB) less the 8 NVS frames and the 2 module frames */
	assert_true(frame_alloc_free_count(&fa) == (30 * MiB / PAGE_SIZE) - 8 - 2);
	while ((p = frame_alloc_pages(&fa, 1, 1)) != 0) {
		assert_true(p >= 2 * MiB && p < 32 * MiB);
		assert_false(p >= 0x800000 && p < 0x808000);
		assert_false(p >= 0x1000000 && p < 0x1002000);
		n++;
	}
	assert_true(n == (30 * MiB / PAGE_SIZE) - 8 - 2);
}

/* Random alloc/free against a shadow owner map. */
static void test_stress(void **state)
{
	static u32 owner[NFRAMES];
	static struct { u64 phys, count; } live[512];
	unsigned nlive = 0;
	u64 initial;

	fill_from_ovmf();
	initial = frame_alloc_free_count(&fa);
	memset(owner, 0, sizeof(owner));
	srand(7);
	for (u32 step = 1; step < 40000; step++) {
		if (nlive < ARRAY_SIZE(live) && (nlive == 0 || rand() % 3)) {
			u64 count = 1 + rand() % (rand() % 8 ? 8 : 300);
			u64 align = 1ull << (rand() % 5);
			u64 p = frame_alloc_pages(&fa, count, align);

			if (!p)
				continue;
			assert_true((p >> PAGE_SHIFT) % align == 0);
			for (u64 f = p >> PAGE_SHIFT; f < (p >> PAGE_SHIFT) + count; f++) {
				assert_true(ovmf_allowed(f));
				assert_int_equal(owner[f], 0);
				owner[f] = step;
			}
			live[nlive].phys = p;
			live[nlive++].count = count;
		} else {
			unsigned i = rand() % nlive;
			u64 f0 = live[i].phys >> PAGE_SHIFT;

			for (u64 f = f0; f < f0 + live[i].count; f++)
				owner[f] = 0;
			assert_int_equal(frame_free_pages(&fa, live[i].phys, live[i].count), 0);
			assert_int_equal(frame_free_pages(&fa, live[i].phys, 1), -EINVAL);
			live[i] = live[--nlive];
		}
		if (step % 4096 == 0) {
			u64 owned = 0;

			for (u64 f = 0; f < NFRAMES; f++)
				owned += owner[f] != 0;
			assert_true(frame_alloc_free_count(&fa) == initial - owned);
			assert_true(count_free_bits() == initial - owned);
		}
	}
	while (nlive) {
		nlive--;
		assert_int_equal(frame_free_pages(&fa, live[nlive].phys, live[nlive].count), 0);
	}
	assert_true(frame_alloc_free_count(&fa) == initial);
	assert_true(count_free_bits() == initial);
}

/* 16 GiB worth of frames: draining it one page at a time stays linear. */
static void test_large_drain(void **state)
{
	const u64 n = 4ull << 20;
	u64 *big = malloc(FRAME_BITMAP_WORDS(n) * sizeof(u64));
	struct frame_alloc b;
	u64 got = 0, prev = 0, p;

	assert_non_null(big);
	frame_alloc_init(&b, big, n);
	frame_alloc_add_free(&b, 0, n * PAGE_SIZE);
	frame_alloc_reserve(&b, 0, 8 * GiB); /* the search skips used words */
	while ((p = frame_alloc_pages(&b, 1, 1)) != 0) {
		assert_true(p > prev);
		prev = p;
		got++;
	}
	assert_true(got == n / 2);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_all_used),
		cmocka_unit_test(test_add_free_and_reserve_alignment),
		cmocka_unit_test(test_alloc_runs),
		cmocka_unit_test(test_free_refused),
		cmocka_unit_test(test_from_boot_never_hands_out_holes),
		cmocka_unit_test(test_from_boot_runs_avoid_holes),
		cmocka_unit_test(test_from_multiboot2),
		cmocka_unit_test(test_stress),
		cmocka_unit_test(test_large_drain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
