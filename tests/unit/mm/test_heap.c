/*
 * Host tests for mm/heap.c: alignment, first fit, coalescing, refused
 * frees that must leave the heap intact, and a random stress test that
 * checks contents, overlap and the free list after every step.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>

#include "mm/heap.h"
#include "lib/string.h"

#define HEAP_SIZE (256 * 1024)

static u8 arena[HEAP_SIZE] __aligned(4096);
static struct heap h;

/* A new heap over a zeroed arena, so stale headers of earlier tests cannot matter. */
static void fresh(void)
{
	memset(arena, 0, sizeof(arena));
	heap_init(&h, arena, sizeof(arena));
	assert_int_equal(heap_validate(&h), 0);
}

static void test_init(void **state)
{
	static u8 odd[1000] __aligned(16);

	fresh();
	assert_true(heap_free_bytes(&h) == HEAP_SIZE);
	assert_true(h.bad_frees == 0);
	/* Unaligned edges are trimmed to 16 bytes. */
	heap_init(&h, odd + 3, 990);
	assert_true(heap_free_bytes(&h) == 976);
	assert_true((uintptr_t)h.start == (uintptr_t)odd + 16);
	/* Too small to hold a block: every allocation fails. */
	heap_init(&h, odd, 20);
	assert_true(heap_free_bytes(&h) == 0);
	assert_null(heap_alloc(&h, 1, 16));
	assert_int_equal(heap_validate(&h), 0);
}

static void test_alloc_sizes_and_align(void **state)
{
	fresh();
	assert_null(heap_alloc(&h, 0, 16));
	assert_null(heap_alloc(&h, 8, 3));     /* not a power of two */
	assert_null(heap_alloc(&h, 8, 8192));  /* above the maximum */
	assert_null(heap_alloc(&h, HEAP_SIZE, 16));
	assert_null(heap_alloc(&h, (size_t)-1, 16));
	assert_true(heap_free_bytes(&h) == HEAP_SIZE);

	for (size_t align = 0; align <= 4096; align = align ? align * 2 : 1) {
		u8 *p = heap_alloc(&h, 24, align);

		assert_non_null(p);
		assert_true((uintptr_t)p % MAX(align, 16) == 0);
		memset(p, 0x5a, 24);
	}
	assert_int_equal(heap_validate(&h), 0);
}

/* Block sizes: header plus payload rounded to 16, at least 32 bytes. */
static void test_block_cost(void **state)
{
	void *p;

	fresh();
	p = heap_alloc(&h, 1, 1);
	assert_true(heap_free_bytes(&h) == HEAP_SIZE - 32);
	heap_free(&h, p);
	p = heap_alloc(&h, 17, 16);
	assert_true(heap_free_bytes(&h) == HEAP_SIZE - 48);
	heap_free(&h, p);
	/* Leaving less than a block behind hands out the remainder too. */
	p = heap_alloc(&h, HEAP_SIZE - 32, 16); /* 16 bytes would be left */
	assert_true(heap_free_bytes(&h) == 0);
	heap_free(&h, p);
	assert_true(heap_free_bytes(&h) == HEAP_SIZE);
}

/* The first block that fits is used; freed neighbours merge both ways. */
static void test_first_fit_and_coalesce(void **state)
{
	void *a, *b, *c, *d, *all;

	fresh();
	a = heap_alloc(&h, 100, 16);
	b = heap_alloc(&h, 100, 16);
	c = heap_alloc(&h, 100, 16);
	assert_true((u8 *)b - (u8 *)a == 128 && (u8 *)c - (u8 *)b == 128);
	heap_free(&h, b);
	d = heap_alloc(&h, 50, 16);
	assert_ptr_equal(d, b);
	heap_free(&h, d);
	heap_free(&h, a);
	assert_int_equal(heap_validate(&h), 0);
	heap_free(&h, c); /* merges with a+b in front and the rest behind */
	assert_int_equal(heap_validate(&h), 0);
	assert_true(heap_free_bytes(&h) == HEAP_SIZE);
	all = heap_alloc(&h, HEAP_SIZE - 16, 16);
	assert_ptr_equal(all, arena + 16);
	assert_true(heap_free_bytes(&h) == 0);
	assert_null(heap_alloc(&h, 1, 16));
	heap_free(&h, all);
	assert_true(heap_free_bytes(&h) == HEAP_SIZE);
}

/* An aligned allocation leaves the gap in front as a usable free block. */
static void test_align_gap_reused(void **state)
{
	u8 *small, *big, *gap;

	fresh();
	small = heap_alloc(&h, 16, 16);  /* arena + 16 */
	big = heap_alloc(&h, 64, 4096);  /* arena + 4096 */
	assert_ptr_equal(small, arena + 16);
	assert_ptr_equal(big, arena + 4096);
	gap = heap_alloc(&h, 3000, 16);
	assert_true(gap > small && gap + 3000 <= big - 16);
	heap_free(&h, small);
	heap_free(&h, big);
	heap_free(&h, gap);
	assert_int_equal(heap_validate(&h), 0);
	assert_true(heap_free_bytes(&h) == HEAP_SIZE);
}

/* Refused frees: counted, and the heap is exactly as before. */
static void test_bad_frees(void **state)
{
	u8 *a, *b, *c;
	int local;
	size_t before;

	fresh();
	a = heap_alloc(&h, 64, 16);
	b = heap_alloc(&h, 64, 16);
	c = heap_alloc(&h, 64, 16);
	before = heap_free_bytes(&h);

	heap_free(&h, NULL); /* allowed, not an error */
	assert_true(h.bad_frees == 0);
	heap_free(&h, &local);
	heap_free(&h, arena + HEAP_SIZE + 32);
	heap_free(&h, a + 8);   /* misaligned */
	heap_free(&h, a + 16);  /* inside a block: no header there */
	heap_free(&h, arena);   /* before the first payload */
	assert_true(h.bad_frees == 5);
	assert_true(heap_free_bytes(&h) == before);
	assert_int_equal(heap_validate(&h), 0);

	/* A corrupted header is refused too. */
	((u32 *)(b - 16))[2] ^= 1;
	heap_free(&h, b);
	assert_true(h.bad_frees == 6);
	((u32 *)(b - 16))[2] ^= 1;

	heap_free(&h, b);
	heap_free(&h, b);       /* plain double free */
	assert_true(h.bad_frees == 7);
	heap_free(&h, a);       /* merges with b's block */
	heap_free(&h, b);       /* double free of a merged-away block */
	heap_free(&h, a);
	assert_true(h.bad_frees == 9);
	assert_int_equal(heap_validate(&h), 0);
	heap_free(&h, c);
	assert_true(h.bad_frees == 9);
	assert_true(heap_free_bytes(&h) == HEAP_SIZE);
	assert_non_null(heap_alloc(&h, HEAP_SIZE - 16, 16));
}

/* A header copied elsewhere does not validate: the check binds it to its address. */
static void test_forged_header(void **state)
{
	u8 *a, *b;

	fresh();
	a = heap_alloc(&h, 256, 16);
	b = heap_alloc(&h, 32, 16);
	memcpy(a + 64, b - 16, 16); /* b's header inside a's payload */
	heap_free(&h, a + 80);
	assert_true(h.bad_frees == 1);
	assert_int_equal(heap_validate(&h), 0);
}

/* Allocate until full, free in random order: everything comes back. */
static void test_exhaust(void **state)
{
	static void *p[HEAP_SIZE / 32 + 1];
	unsigned n = 0;

	fresh();
	while ((p[n] = heap_alloc(&h, 1 + n % 100, 16)) != NULL)
		n++;
	assert_true(n > HEAP_SIZE / 128);
	assert_true(heap_free_bytes(&h) < 128);
	srand(3);
	for (unsigned i = n; i > 1; i--) {
		unsigned j = rand() % i;
		void *t = p[j];

		p[j] = p[i - 1];
		p[i - 1] = t;
	}
	for (unsigned i = 0; i < n; i++)
		heap_free(&h, p[i]);
	assert_true(h.bad_frees == 0);
	assert_true(heap_free_bytes(&h) == HEAP_SIZE);
	assert_int_equal(heap_validate(&h), 0);
}

struct live {
	u8 *p;
	size_t size;
	u8 fill;
};

static int live_cmp(const void *x, const void *y)
{
	const struct live *a = x, *b = y;

	return a->p < b->p ? -1 : a->p > b->p;
}

/* Live allocations lie inside the heap and do not overlap; contents intact. */
static void check_live(struct live *l, unsigned n)
{
	static struct live sorted[1024];

	memcpy(sorted, l, n * sizeof(*l));
	qsort(sorted, n, sizeof(*l), live_cmp);
	for (unsigned i = 0; i < n; i++) {
		assert_true(sorted[i].p >= h.start && sorted[i].p + sorted[i].size <= h.end);
		if (i > 0)
			assert_true(sorted[i - 1].p + sorted[i - 1].size + 16 <= sorted[i].p);
		for (size_t k = 0; k < sorted[i].size; k++)
			assert_int_equal(sorted[i].p[k], sorted[i].fill);
	}
}

static void test_stress(void **state)
{
	static struct live l[1024];
	unsigned n = 0;

	fresh();
	srand(99);
	for (unsigned step = 0; step < 20000; step++) {
		if (n < ARRAY_SIZE(l) && (n == 0 || rand() % 5 < 3)) {
			size_t size = 1 + rand() % (rand() % 10 ? 200 : 3000);
			size_t align = (size_t)1 << (rand() % 13);
			u8 *p = heap_alloc(&h, size, align);

			if (!p)
				continue;
			assert_true((uintptr_t)p % MAX(align, 16) == 0);
			l[n] = (struct live){ p, size, (u8)(step | 1) };
			memset(p, l[n].fill, size);
			n++;
		} else {
			unsigned i = rand() % n;

			heap_free(&h, l[i].p);
			l[i] = l[--n];
		}
		assert_int_equal(heap_validate(&h), 0);
		if (step % 500 == 0)
			check_live(l, n);
	}
	check_live(l, n);
	while (n)
		heap_free(&h, l[--n].p);
	assert_true(h.bad_frees == 0);
	assert_true(heap_free_bytes(&h) == HEAP_SIZE);
	assert_non_null(heap_alloc(&h, HEAP_SIZE - 16, 16));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_alloc_sizes_and_align),
		cmocka_unit_test(test_block_cost),
		cmocka_unit_test(test_first_fit_and_coalesce),
		cmocka_unit_test(test_align_gap_reused),
		cmocka_unit_test(test_bad_frees),
		cmocka_unit_test(test_forged_header),
		cmocka_unit_test(test_exhaust),
		cmocka_unit_test(test_stress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
