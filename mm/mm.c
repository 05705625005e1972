/*
 * The hypervisor's memory: one frame allocator over the RAM the boot
 * loader's map lists as usable (never anything else: OVMF's map has holes),
 * and a heap carved from it for small objects.
 */
#include "mm/mm.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "mm/mem_region.h"
#include "arch/hw.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/spinlock.h"

#define MAX_PHYS   (4 * GiB)			/* Keel maps the low 4 GiB (boot/entry.S) */
#define HEAP_PAGES 1024				/* 4 MiB */

static u64 frame_bitmap[MAX_PHYS / PAGE_SIZE / 64];
static struct frame_alloc frames;
static struct heap heap;
/* Page and heap allocations may come from any CPU (VMs are created on the
 * boot CPU, but destroyed and served wherever they run). */
static struct spinlock frames_lock, heap_lock;

int mm_init(const struct mem_region *map, unsigned n, const struct mem_region *reserved,
	    unsigned nreserved)
{
	extern u8 __kernel_start[], __kernel_end[];
	struct mem_region kernel = {
		.base = virt_to_phys(__kernel_start),
		.len = (u64)(__kernel_end - __kernel_start),
		.type = MEM_RESERVED,
	};
	void *h;

	frame_alloc_init(&frames, frame_bitmap, MAX_PHYS / PAGE_SIZE);
	frame_alloc_from_map(&frames, map, n, reserved, nreserved);
	frame_alloc_from_map(&frames, NULL, 0, &kernel, 1);
	h = page_alloc(HEAP_PAGES, 1);
	if (!h)
		return -ENOMEM;
	heap_init(&heap, h, HEAP_PAGES * PAGE_SIZE);
	return 0;
}

void *page_alloc(u64 count, u64 align_pages)
{
	u64 pa;

	spin_lock(&frames_lock);
	pa = frame_alloc_pages(&frames, count, align_pages);
	spin_unlock(&frames_lock);
	return pa ? phys_to_virt(pa) : NULL;
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
	int err;

	if (!p)
		return;
	spin_lock(&frames_lock);
	err = frame_free_pages(&frames, virt_to_phys(p), count);
	spin_unlock(&frames_lock);
	if (err)
		panic("page_free: bad free of %p (%llu pages)", p, (unsigned long long)count);
}

u64 mm_free_pages(void)
{
	return frame_alloc_free_count(&frames);
}

void *kmalloc(size_t size)
{
	void *p;

	spin_lock(&heap_lock);
	p = heap_alloc(&heap, size, 16);
	spin_unlock(&heap_lock);
	return p;
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	if (p)
		memset(p, 0, size);
	return p;
}

void kfree(void *p)
{
	if (!p)
		return;
	spin_lock(&heap_lock);
	heap_free(&heap, p);
	spin_unlock(&heap_lock);
	if (heap.bad_frees)
		panic("kfree: bad free of %p", p);
}
