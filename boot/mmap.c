/*
 * The boot memory map in struct boot_info: appending regions and turning
 * the firmware's list (it may come unsorted, overlapping and fragmented)
 * into a sorted list of disjoint regions. The range types are those of
 * ACPI 6.5 chapter 15 "System Address Map Interfaces".
 */
#include "boot/multiboot2.h"
#include "lib/string.h"

/*
 * Append [base, base + len) of the given type. A region that would wrap
 * past 2^64 is clipped; an empty one is dropped; one that continues the
 * last region with the same type extends it instead of using a slot.
 */
void boot_mmap_add(struct boot_info *bi, u64 base, u64 len, u32 type)
{
	struct mem_region *last;

	if (len > ~0ull - base)
		len = ~0ull - base;
	if (len == 0)
		return;
	last = bi->mmap_count ? &bi->mmap[bi->mmap_count - 1] : NULL;
	if (last && last->type == type && last->base + last->len == base) {
		last->len += len;
		return;
	}
	if (bi->mmap_count == BOOT_MAX_MMAP) {
		bi->truncated = true;
		return;
	}
	bi->mmap[bi->mmap_count++] = (struct mem_region){ base, len, type };
}

/*
 * How restrictive a type is: where regions overlap, the highest rank wins.
 * Anything beats usable RAM; reclaimable ACPI memory is the mildest of the
 * rest, defective RAM the strongest. Unknown types count as reserved.
 */
static unsigned mmap_rank(u32 type)
{
	switch (type) {
	case MEM_USABLE:       return 0;
	case MEM_ACPI_RECLAIM: return 1;
	case MEM_ACPI_NVS:     return 3;
	case MEM_BAD:          return 4;
	default:               return 2;
	}
}

static u64 mmap_end(const struct mem_region *r)
{
	return r->len > ~0ull - r->base ? ~0ull : r->base + r->len;
}

/* The smallest region boundary strictly above p; false when there is none. */
static bool mmap_next_point(const struct mem_region *r, unsigned n, u64 p, u64 *q)
{
	bool found = false;

	for (unsigned i = 0; i < n; i++) {
		u64 b = r[i].base, e = mmap_end(&r[i]);

		if (b > p && (!found || b < *q))
			*q = b, found = true;
		if (e > p && (!found || e < *q))
			*q = e, found = true;
	}
	return found;
}

/* The winning type of the regions covering address p; false if none does. */
static bool mmap_type_at(const struct mem_region *r, unsigned n, u64 p, u32 *type)
{
	bool found = false;

	for (unsigned i = 0; i < n; i++) {
		if (r[i].base > p || mmap_end(&r[i]) <= p)
			continue;
		if (!found || mmap_rank(r[i].type) > mmap_rank(*type))
			*type = r[i].type;
		found = true;
	}
	return found;
}

/*
 * Sweep the boundaries in increasing order: between two consecutive
 * boundaries the covering set of regions is constant, so each such piece
 * gets one type, and boot_mmap_add() merges equal neighbours. O(n^2) on at
 * most BOOT_MAX_MMAP entries; the copy of the input costs ~3 KiB of stack.
 * The result can have more pieces than the input (a reserved hole splits
 * a usable region in two); past BOOT_MAX_MMAP the tail is dropped and
 * truncated is set, which only ever loses memory, since a missing range
 * is never handed out.
 */
void boot_mmap_sanitize(struct boot_info *bi)
{
	struct mem_region in[BOOT_MAX_MMAP];
	unsigned n = MIN(bi->mmap_count, (unsigned)BOOT_MAX_MMAP);
	u64 p = ~0ull, q = 0;
	u32 type = MEM_RESERVED;

	memcpy(in, bi->mmap, n * sizeof(in[0]));
	bi->mmap_count = 0;
	for (unsigned i = 0; i < n; i++)
		if (in[i].len && in[i].base < p)
			p = in[i].base;
	while (mmap_next_point(in, n, p, &q)) {
		if (mmap_type_at(in, n, p, &type))
			boot_mmap_add(bi, p, q - p, type);
		p = q;
	}
}

static unsigned reserved_add(struct mem_region *out, unsigned n, unsigned max, u64 base, u64 end)
{
	if (n < max && end > base)
		out[n++] = (struct mem_region){ .base = base, .len = end - base, .type = MEM_RESERVED };
	return n;
}

unsigned boot_reserved_regions(const struct boot_info *bi, u64 reserve_below,
			       struct mem_region *out, unsigned max)
{
	unsigned n = 0;

	n = reserved_add(out, n, max, 0, reserve_below);
	n = reserved_add(out, n, max, bi->info_start, bi->info_end);
	for (unsigned i = 0; i < bi->module_count; i++)
		n = reserved_add(out, n, max, bi->modules[i].start, bi->modules[i].end);
	return n;
}

static bool overlaps(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

u64 boot_free_low_page(const struct boot_info *bi)
{
	for (u64 p = BOOT_LOW_PAGE_MIN; p <= BOOT_LOW_PAGE_MAX; p += PAGE_SIZE) {
		bool usable = false;

		for (unsigned i = 0; i < bi->mmap_count; i++)
			if (bi->mmap[i].type == MEM_USABLE && p >= bi->mmap[i].base &&
			    p + PAGE_SIZE <= bi->mmap[i].base + bi->mmap[i].len)
				usable = true;
		if (!usable || overlaps(p, PAGE_SIZE, bi->info_start, bi->info_end - bi->info_start))
			continue;
		for (unsigned i = 0; i < bi->module_count; i++)
			if (overlaps(p, PAGE_SIZE, bi->modules[i].start,
				     bi->modules[i].end - bi->modules[i].start))
				usable = false;
		if (usable)
			return p;
	}
	return 0;
}
