/*
 * A small first-fit heap over one region given at init, with an
 * address-ordered free list that coalesces neighbours on free. Pure logic:
 * the kernel wrapper adds locking and panics on bad frees.
 */
#ifndef KEEL_MM_HEAP_H
#define KEEL_MM_HEAP_H

#include "types.h"

#define HEAP_MIN_ALIGN 16
#define HEAP_MAX_ALIGN 4096

struct heap_free_block;

struct heap {
	u8 *start, *end;                   /* the managed region, 16-aligned */
	struct heap_free_block *free_list; /* sorted by address */
	size_t free_bytes;                 /* sum of free blocks, headers included */
	u64 bad_frees;                     /* frees that were refused */
};

/* Manage [base, base + size); the edges are trimmed to 16-byte alignment. */
void heap_init(struct heap *h, void *base, size_t size);

/*
 * size bytes aligned to align: 0 or a power of two up to 4096, anything
 * below 16 giving 16. NULL for size 0, any other align, or no room.
 */
void *heap_alloc(struct heap *h, size_t size, size_t align);

/*
 * Give p back. NULL is ignored. A pointer heap_alloc did not return, or
 * one already freed, is refused: nothing changes but h->bad_frees.
 */
void heap_free(struct heap *h, void *p);

/* Bytes in free blocks, headers included: equals the heap size when empty. */
size_t heap_free_bytes(const struct heap *h);

/*
 * Walk the free list and check it: blocks inside the heap, sorted, not
 * touching (coalesced), well formed, summing to free_bytes. 0 or -EINVAL.
 */
int heap_validate(const struct heap *h);

#endif
