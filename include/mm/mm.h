/*
 * Hypervisor memory: whole pages from the frame allocator and a small heap.
 * Host unit tests link tests/unit/fake_mm.c instead of mm/mm.c.
 */
#ifndef KEEL_MM_MM_H
#define KEEL_MM_MM_H

#include "types.h"

struct mem_region;

/* The frame allocator over the map's usable RAM less the reserved ranges
 * (and Keel's own image), then the heap. 0 or -ENOMEM. */
int mm_init(const struct mem_region *map, unsigned n, const struct mem_region *reserved,
	    unsigned nreserved);
/* Physically contiguous, page-aligned pages; NULL when memory is short.
 * align_pages is a power of two (1 for any page). */
void *page_alloc(u64 count, u64 align_pages);
void *page_alloc_zero(u64 count);
void page_free(void *p, u64 count);
u64 mm_free_pages(void);

void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);

#endif
