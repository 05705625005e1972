/*
 * Physical frame allocator: one bit per 4 KiB frame, set = in use. The
 * core API works on a caller-owned struct frame_alloc and bitmap, so it
 * holds no global state and runs unchanged in host tests.
 */
#ifndef KEEL_MM_FRAME_H
#define KEEL_MM_FRAME_H

#include "types.h"
#include "mm/mem_region.h"

struct frame_alloc {
	u64 *bitmap;    /* ALIGN_UP(nframes, 64) / 64 words */
	u64 nframes;    /* frames [0, nframes) are managed */
	u64 free_count;
	u64 next_hint;  /* next-fit: where the next search starts */
};

/* Words of bitmap needed to manage nframes frames. */
#define FRAME_BITMAP_WORDS(nframes) (((nframes) + 63) / 64)

/* Start with every frame in use; memory becomes free through add_free. */
void frame_alloc_init(struct frame_alloc *fa, u64 *bitmap, u64 nframes);

/* Mark the whole frames inside [base, base + len) free (clipped to nframes). */
void frame_alloc_add_free(struct frame_alloc *fa, u64 base, u64 len);

/* Mark every frame touching [base, base + len) in use. */
void frame_alloc_reserve(struct frame_alloc *fa, u64 base, u64 len);

/*
 * Allocate count contiguous frames whose first frame number is a multiple
 * of align_pages (0 means 1). Returns the physical address, 0 on failure;
 * frame 0 is never handed out.
 */
u64 frame_alloc_pages(struct frame_alloc *fa, u64 count, u64 align_pages);

/*
 * Free count frames at phys. -EINVAL (and nothing changed) when phys is
 * unaligned, the range is out of bounds, or any frame in it is already free.
 */
int frame_free_pages(struct frame_alloc *fa, u64 phys, u64 count);

u64 frame_alloc_free_count(const struct frame_alloc *fa);

/*
 * Fill an initialised allocator from a memory map: free the usable
 * regions, then reserve every non-usable region (so an unsanitised map
 * with overlaps is still safe) and each of the nreserved ranges (the
 * kernel image, the boot information, modules).
 */
void frame_alloc_from_map(struct frame_alloc *fa, const struct mem_region *map, unsigned n,
			  const struct mem_region *reserved, unsigned nreserved);

#endif
