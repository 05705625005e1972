/*
 * Physical frame allocator over a bitmap, one bit per 4 KiB frame (set =
 * in use). Searches are next-fit from a hint and skip whole 64-frame words
 * at a time, so a mostly full bitmap costs one load per 256 KiB.
 */
#include "mm/frame.h"
#include "lib/string.h"

#define FRAME_WORD_BITS 64

/*
 * Bit count without __builtin_popcountll, which needs libgcc's
 * __popcountdi2 when the POPCNT instruction is not enabled.
 */
static u64 frame_popcount(u64 x)
{
	x = x - ((x >> 1) & 0x5555555555555555ull);
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (x * 0x0101010101010101ull) >> 56;
}

/* Bits [lo, hi) of a word, 0 <= lo < hi <= 64. */
static u64 frame_mask(unsigned lo, unsigned hi)
{
	u64 upto = hi == FRAME_WORD_BITS ? ~0ull : BIT(hi) - 1;

	return upto & ~(BIT(lo) - 1);
}

/* Mark frames [start, end) used or free; returns how many bits changed. */
static u64 frame_range_set(struct frame_alloc *fa, u64 start, u64 end, bool used)
{
	u64 changed = 0;

	while (start < end) {
		u64 w = start / FRAME_WORD_BITS, first = w * FRAME_WORD_BITS;
		unsigned hi = end - first >= FRAME_WORD_BITS ? FRAME_WORD_BITS : end - first;
		u64 m = frame_mask(start - first, hi);
		u64 old = fa->bitmap[w];
		u64 now = used ? old | m : old & ~m;

		changed += frame_popcount(old ^ now);
		fa->bitmap[w] = now;
		start = first + hi;
	}
	return changed;
}

/* The first frame in [from, limit) that is used (or free); limit if none. */
static u64 frame_find(const struct frame_alloc *fa, u64 from, u64 limit, bool used)
{
	while (from < limit) {
		u64 w = from / FRAME_WORD_BITS;
		u64 bits = used ? fa->bitmap[w] : ~fa->bitmap[w];

		bits &= ~(BIT(from % FRAME_WORD_BITS) - 1);
		if (bits) {
			u64 f = w * FRAME_WORD_BITS + (u64)__builtin_ctzll(bits);
			return f < limit ? f : limit;
		}
		from = (w + 1) * FRAME_WORD_BITS;
	}
	return limit;
}

static u64 frame_round_up(u64 x, u64 align)
{
	return (x + align - 1) / align * align;
}

/*
 * First-fit in [from, limit): the first aligned run of count free frames
 * that ends by limit. Returns its first frame, or 0 (never a valid answer).
 */
static u64 frame_search(const struct frame_alloc *fa, u64 from, u64 limit,
			u64 count, u64 align)
{
	u64 i = frame_round_up(MAX(from, 1), align);

	while (i < limit && count <= limit - i) {
		u64 used = frame_find(fa, i, i + count, true);

		if (used == i + count)
			return i;
		i = frame_round_up(frame_find(fa, used + 1, limit, false), align);
	}
	return 0;
}

void frame_alloc_init(struct frame_alloc *fa, u64 *bitmap, u64 nframes)
{
	fa->bitmap = bitmap;
	fa->nframes = nframes;
	fa->free_count = 0;
	fa->next_hint = 1;
	/* Bits past nframes in the last word stay set, so they never look free. */
	memset(bitmap, 0xff, FRAME_BITMAP_WORDS(nframes) * sizeof(u64));
}

/* Only whole frames inside the range become free; frame 0 never does. */
void frame_alloc_add_free(struct frame_alloc *fa, u64 base, u64 len)
{
	u64 end = len > ~0ull - base ? ~0ull : base + len;
	u64 start, stop;

	if (base > ~0ull - (PAGE_SIZE - 1))
		return;
	start = MAX(ALIGN_UP(base, PAGE_SIZE) >> PAGE_SHIFT, 1);
	stop = MIN(end >> PAGE_SHIFT, fa->nframes);
	if (start < stop)
		fa->free_count += frame_range_set(fa, start, stop, false);
}

/* Every frame the range touches becomes used, even partly covered ones. */
void frame_alloc_reserve(struct frame_alloc *fa, u64 base, u64 len)
{
	u64 end = len > ~0ull - base ? ~0ull : base + len;
	u64 start = base >> PAGE_SHIFT;
	u64 stop = (end >> PAGE_SHIFT) + ((end & (PAGE_SIZE - 1)) != 0);

	if (len == 0)
		return;
	stop = MIN(stop, fa->nframes);
	if (start < stop)
		fa->free_count -= frame_range_set(fa, start, stop, true);
}

/*
 * Next-fit: search from the hint to the end, then from frame 1 up to where
 * a run starting before the hint could end.
 */
u64 frame_alloc_pages(struct frame_alloc *fa, u64 count, u64 align_pages)
{
	u64 align = align_pages ? align_pages : 1;
	u64 hint = fa->next_hint < fa->nframes ? fa->next_hint : 1;
	u64 f;

	if (count == 0 || count > fa->free_count || align > fa->nframes)
		return 0;
	f = frame_search(fa, hint, fa->nframes, count, align);
	if (!f)
		f = frame_search(fa, 1, MIN(fa->nframes, hint + count - 1), count, align);
	if (!f)
		return 0;
	frame_range_set(fa, f, f + count, true);
	fa->free_count -= count;
	fa->next_hint = f + count;
	return f << PAGE_SHIFT;
}

int frame_free_pages(struct frame_alloc *fa, u64 phys, u64 count)
{
	u64 f = phys >> PAGE_SHIFT;

	if ((phys & (PAGE_SIZE - 1)) || count == 0)
		return -EINVAL;
	if (f == 0 || f >= fa->nframes || count > fa->nframes - f)
		return -EINVAL;
	if (frame_find(fa, f, f + count, false) != f + count)
		return -EINVAL; /* part of it is already free */
	frame_range_set(fa, f, f + count, false);
	fa->free_count += count;
	return 0;
}

u64 frame_alloc_free_count(const struct frame_alloc *fa)
{
	return fa->free_count;
}

/*
 * Free first, reserve after: a frame both listed usable and covered by
 * any reservation (or by a non-usable region overlapping it) ends up used.
 */
void frame_alloc_from_map(struct frame_alloc *fa, const struct mem_region *map, unsigned n,
			  const struct mem_region *reserved, unsigned nreserved)
{
	for (unsigned i = 0; i < n; i++)
		if (map[i].type == MEM_USABLE)
			frame_alloc_add_free(fa, map[i].base, map[i].len);
	for (unsigned i = 0; i < n; i++)
		if (map[i].type != MEM_USABLE)
			frame_alloc_reserve(fa, map[i].base, map[i].len);
	for (unsigned i = 0; i < nreserved; i++)
		frame_alloc_reserve(fa, reserved[i].base, reserved[i].len);
}
