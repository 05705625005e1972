/* Host-test fake of include/mm/mm.h: pages come from the fake physical
 * arena (so EPT tables have "physical" addresses), small objects from libc. */
#include <stdlib.h>
#include <string.h>
#include "fake_hw.h"
#include "fake_mm.h"
#include "mm/mm.h"

static u64 next_page;
u64 fake_pages_allocated;
u64 fake_page_fail_after = ~0ull;

void fake_mm_reset(size_t arena_bytes)
{
	fake_mem_init(arena_bytes);
	next_page = 0;
	fake_pages_allocated = 0;
	fake_page_fail_after = ~0ull;
}

void *page_alloc(u64 count, u64 align_pages)
{
	u64 align = (align_pages ? align_pages : 1) * PAGE_SIZE;
	u64 off = ALIGN_UP(next_page, align);

	if (fake_pages_allocated + count > fake_page_fail_after)
		return NULL;
	if (off + count * PAGE_SIZE > fake_mem_size())
		return NULL;
	next_page = off + count * PAGE_SIZE;
	fake_pages_allocated += count;
	return fake_mem() + off;
}

void *page_alloc_zero(u64 count)
{
	void *p = page_alloc(count, 1);

	if (p)
		memset(p, 0, count * PAGE_SIZE);
	return p;
}

void page_free(void *p, u64 count)
{
	if (p)
		fake_pages_allocated -= count;
}

u64 mm_free_pages(void) { return (fake_mem_size() - next_page) / PAGE_SIZE; }
void *kmalloc(size_t size) { return malloc(size); }
void *kzalloc(size_t size) { return calloc(1, size); }
void kfree(void *p) { free(p); }
