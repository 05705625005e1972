/*
 * First-fit heap with an address-ordered, coalescing free list. Every
 * block, used or free, starts with a 16-byte header; a free block keeps
 * its list link in the first payload word. Blocks are multiples of 16
 * bytes and start 16-aligned, so payloads are 16-aligned too.
 */
#include "mm/heap.h"

#define HEAP_MAGIC_USED 0xa110c8edu
#define HEAP_MAGIC_FREE 0xf4eeb10cu
#define HEAP_CHECK_SALT 0x5bd1e995u

struct heap_hdr {
	size_t size; /* whole block, header included */
	u32 magic;
	u32 check;   /* ties a used header to its size and address */
};

struct heap_free_block {
	struct heap_hdr hdr;
	struct heap_free_block *next;
};

#define HEAP_HDR       sizeof(struct heap_hdr)
#define HEAP_MIN_BLOCK ((size_t)32) /* header + link, rounded to 16 */

STATIC_ASSERT(sizeof(struct heap_hdr) == 16, "header keeps payloads 16-aligned");
STATIC_ASSERT(sizeof(struct heap_free_block) <= HEAP_MIN_BLOCK,
	      "a free block must hold its header and link");

static u32 heap_check(uintptr_t blk, size_t size)
{
	return (u32)size ^ (u32)(blk >> 4) ^ HEAP_CHECK_SALT;
}

void heap_init(struct heap *h, void *base, size_t size)
{
	uintptr_t s = ALIGN_UP((uintptr_t)base, HEAP_MIN_ALIGN);
	uintptr_t e = ALIGN_DOWN((uintptr_t)base + size, HEAP_MIN_ALIGN);
	struct heap_free_block *b = (struct heap_free_block *)s;

	h->start = h->end = (u8 *)s;
	h->free_list = NULL;
	h->free_bytes = 0;
	h->bad_frees = 0;
	if (e <= s || e - s < HEAP_MIN_BLOCK)
		return;
	h->end = (u8 *)e;
	b->hdr.size = e - s;
	b->hdr.magic = HEAP_MAGIC_FREE;
	b->next = NULL;
	h->free_list = b;
	h->free_bytes = e - s;
}

/*
 * Where a block carved from a free block at s would start so that its
 * payload is aligned; the gap in front must be empty or a whole free block.
 */
static uintptr_t heap_block_at(uintptr_t s, size_t align)
{
	uintptr_t blk = ALIGN_UP(s + HEAP_HDR, align) - HEAP_HDR;

	while (blk != s && blk - s < HEAP_MIN_BLOCK)
		blk += align;
	return blk;
}

/*
 * Take [blk, blk + need) out of free block b (linked from *link): what is
 * left in front stays as b, what is left behind becomes a new free block,
 * unless it is too small to be one and is handed out with the rest.
 */
static void *heap_carve(struct heap *h, struct heap_free_block **link,
			struct heap_free_block *b, uintptr_t blk, size_t need)
{
	uintptr_t s = (uintptr_t)b, e = s + b->hdr.size;
	struct heap_free_block *next = b->next;
	struct heap_hdr *used = (struct heap_hdr *)blk;

	if (blk > s) {
		b->hdr.size = blk - s;
		link = &b->next;
	}
	if (e - blk - need >= HEAP_MIN_BLOCK) {
		struct heap_free_block *tail = (struct heap_free_block *)(blk + need);

		tail->hdr.size = e - (blk + need);
		tail->hdr.magic = HEAP_MAGIC_FREE;
		tail->next = next;
		*link = tail;
	} else {
		need = e - blk;
		*link = next;
	}
	used->size = need;
	used->magic = HEAP_MAGIC_USED;
	used->check = heap_check(blk, need);
	h->free_bytes -= need;
	return (void *)(blk + HEAP_HDR);
}

void *heap_alloc(struct heap *h, size_t size, size_t align)
{
	struct heap_free_block **link, *b;
	size_t need;

	if (size == 0 || size > (size_t)(h->end - h->start))
		return NULL;
	if (align > HEAP_MAX_ALIGN || (align & (align - 1)))
		return NULL;
	if (align < HEAP_MIN_ALIGN)
		align = HEAP_MIN_ALIGN;
	need = MAX(ALIGN_UP(size, HEAP_MIN_ALIGN) + HEAP_HDR, HEAP_MIN_BLOCK);
	for (link = &h->free_list; (b = *link); link = &b->next) {
		uintptr_t e = (uintptr_t)b + b->hdr.size;
		uintptr_t blk = heap_block_at((uintptr_t)b, align);

		if (blk < e && need <= e - blk)
			return heap_carve(h, link, b, blk, need);
	}
	return NULL;
}

/* The header of a pointer heap_alloc returned and nobody freed, or NULL. */
static struct heap_hdr *heap_hdr_of(const struct heap *h, void *p)
{
	uintptr_t a = (uintptr_t)p, blk = a - HEAP_HDR;
	struct heap_hdr *hdr = (struct heap_hdr *)blk;

	if (a < (uintptr_t)h->start + HEAP_HDR || a >= (uintptr_t)h->end ||
	    a % HEAP_MIN_ALIGN)
		return NULL;
	if (hdr->magic != HEAP_MAGIC_USED || hdr->check != heap_check(blk, hdr->size))
		return NULL;
	if (hdr->size < HEAP_MIN_BLOCK || hdr->size % HEAP_MIN_ALIGN ||
	    hdr->size > (uintptr_t)h->end - blk)
		return NULL;
	return hdr;
}

/*
 * Insert the block in address order, refusing it if it overlaps a free
 * block (a stale header left behind by a double free that was merged),
 * then merge it with the free neighbours it touches.
 */
void heap_free(struct heap *h, void *p)
{
	struct heap_hdr *hdr;
	struct heap_free_block **link = &h->free_list, *before = NULL, *b, *blk;
	uintptr_t s, e;

	if (!p)
		return;
	hdr = heap_hdr_of(h, p);
	if (!hdr) {
		h->bad_frees++;
		return;
	}
	s = (uintptr_t)hdr;
	e = s + hdr->size;
	for (; (b = *link) && (uintptr_t)b < s; link = &b->next) {
		if ((uintptr_t)b + b->hdr.size > s)
			break;
		before = b;
	}
	if (b && (uintptr_t)b < e) {
		h->bad_frees++;
		return;
	}
	blk = (struct heap_free_block *)hdr;
	blk->hdr.magic = HEAP_MAGIC_FREE;
	blk->next = b;
	*link = blk;
	h->free_bytes += hdr->size;
	if (b && e == (uintptr_t)b) {
		blk->hdr.size += b->hdr.size;
		blk->next = b->next;
		b->hdr.magic = 0;
	}
	if (before && (uintptr_t)before + before->hdr.size == s) {
		before->hdr.size += blk->hdr.size;
		before->next = blk->next;
		blk->hdr.magic = 0;
	}
}

size_t heap_free_bytes(const struct heap *h)
{
	return h->free_bytes;
}

/* Debug check of the free list; see heap.h. */
int heap_validate(const struct heap *h)
{
	uintptr_t prev_end = 0;
	size_t sum = 0;

	for (const struct heap_free_block *b = h->free_list; b; b = b->next) {
		uintptr_t s = (uintptr_t)b, size = b->hdr.size;

		if (s < (uintptr_t)h->start || s % HEAP_MIN_ALIGN || s <= prev_end ||
		    b->hdr.magic != HEAP_MAGIC_FREE || size < HEAP_MIN_BLOCK ||
		    size % HEAP_MIN_ALIGN || size > (uintptr_t)h->end - s)
			return -EINVAL;
		prev_end = s + size;
		sum += size;
	}
	return sum == h->free_bytes ? 0 : -EINVAL;
}
