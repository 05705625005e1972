/* Host tests for devices/virtqueue.c against virtio 1.2 section 2.7 (split rings). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtqueue.h"

#define RAM_SIZE	0x10000ull	/* 64 KiB of guest RAM at gpa 0 */
#define HOLE		0xc000ull	/* one page that is not RAM */
#define DESC		0x1000ull	/* default ring layout, queue size 16 */
#define AVAIL		0x2000ull
#define USED		0x3000ull
#define TABLE		0x6000ull	/* an indirect table */
#define BUF		0x8000ull	/* buffers */

#define F_NEXT	VIRTQ_DESC_F_NEXT
#define F_WRITE	VIRTQ_DESC_F_WRITE
#define F_IND	VIRTQ_DESC_F_INDIRECT

/* Guest RAM with an optional hole, behind guest_mem_ops. */
struct world {
	u8 ram[RAM_SIZE];
	bool hole;			/* page HOLE is not RAM */
	bool everywhere;		/* every non-wrapping range reads as RAM (zeros) */
	unsigned desc_reads;		/* 16-byte reads: descriptors */
	struct guest_mem_ops ops;
	struct vq q;
	struct vq_chain c;
	u16 avail_idx;			/* the driver's avail->idx */
	const char *why;
};

static bool is_ram(struct world *w, u64 gpa, size_t len)
{
	if (w->everywhere)
		return len == 0 || gpa + len - 1 >= gpa;
	if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
		return false;
	return !w->hole || gpa + len <= HOLE || gpa >= HOLE + PAGE_SIZE;
}

static int fake_read(void *ctx, u64 gpa, void *buf, size_t len)
{
	struct world *w = ctx;

	if (!is_ram(w, gpa, len))
		return -EFAULT;
	w->desc_reads += len == VIRTQ_DESC_SIZE;
	if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
		memset(buf, 0, len);	/* only when everywhere */
	else
		memcpy(buf, w->ram + gpa, len);
	return 0;
}

static int fake_write(void *ctx, u64 gpa, const void *buf, size_t len)
{
	struct world *w = ctx;

	if (!is_ram(w, gpa, len))
		return -EFAULT;
	memcpy(w->ram + gpa, buf, len);
	return 0;
}

static void layout(struct world *w, u16 size, u64 desc, u64 avail, u64 used)
{
	w->q.s = (struct vq_state){ .size = size, .ready = true,
				    .desc = desc, .driver = avail, .device = used };
}

static int world_setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	w->ops = (struct guest_mem_ops){ .read = fake_read, .write = fake_write, .ctx = w };
	w->q.mem = &w->ops;
	layout(w, 16, DESC, AVAIL, USED);
	*state = w;
	return 0;
}

static int world_teardown(void **state)
{
	free(*state);
	return 0;
}

static void put16(struct world *w, u64 gpa, u16 v)
{
	w->ram[gpa] = (u8)v;
	w->ram[gpa + 1] = (u8)(v >> 8);
}

static u16 get16(struct world *w, u64 gpa)
{
	return (u16)(w->ram[gpa] | w->ram[gpa + 1] << 8);
}

static u32 get32(struct world *w, u64 gpa)
{
	return get16(w, gpa) | (u32)get16(w, gpa + 2) << 16;
}

/* Write descriptor i of the table at gpa table, little-endian (2.7.5). */
static void desc_at(struct world *w, u64 table, unsigned i, u64 addr, u32 len, u16 flags, u16 next)
{
	u8 *d = w->ram + table + 16ull * i;

	for (int b = 0; b < 8; b++)
		d[b] = (u8)(addr >> (8 * b));
	for (int b = 0; b < 4; b++)
		d[8 + b] = (u8)(len >> (8 * b));
	d[12] = (u8)flags;
	d[13] = (u8)(flags >> 8);
	d[14] = (u8)next;
	d[15] = (u8)(next >> 8);
}

static void desc(struct world *w, unsigned i, u64 addr, u32 len, u16 flags, u16 next)
{
	desc_at(w, w->q.s.desc, i, addr, len, flags, next);
}

/* The driver offers chain head: ring entry first, then idx (2.7.13). */
static void offer(struct world *w, u16 head)
{
	put16(w, w->q.s.driver + 4 + 2ull * (w->avail_idx % w->q.s.size), head);
	w->avail_idx++;
	put16(w, w->q.s.driver + 2, w->avail_idx);
}

static int pop(struct world *w)
{
	w->why = NULL;
	return vq_pop(&w->q, &w->c, &w->why);
}

/* Pop must fail with -EIO, give a reason and consume nothing. */
static void pop_fails(struct world *w)
{
	u16 last = w->q.s.last_avail;

	assert_int_equal(pop(w), -EIO);
	assert_non_null(w->why);
	assert_int_equal(w->q.s.last_avail, last);
}

static void assert_seg(struct world *w, unsigned i, u64 gpa, u32 len, bool writes)
{
	assert_true(i < w->c.nsegs);
	assert_int_equal(w->c.seg[i].gpa, gpa);
	assert_int_equal(w->c.seg[i].len, len);
	assert_int_equal(w->c.seg[i].device_writes, writes);
}

static void test_empty_and_not_ready(void **state)
{
	struct world *w = *state;

	assert_int_equal(pop(w), 0);
	desc(w, 0, BUF, 8, 0, 0);
	offer(w, 0);
	w->q.s.ready = false;
	w->q.s.size = 3;		/* garbage is not looked at before ready */
	assert_int_equal(pop(w), 0);
	assert_int_equal(w->q.s.last_avail, 0);
}

static void test_single_readable(void **state)
{
	struct world *w = *state;

	desc(w, 5, BUF, 100, 0, 0);
	offer(w, 5);
	assert_int_equal(pop(w), 1);
	assert_int_equal(w->c.head, 5);
	assert_int_equal(w->c.nsegs, 1);
	assert_seg(w, 0, BUF, 100, false);
	assert_int_equal(w->c.out_bytes, 100);
	assert_int_equal(w->c.in_bytes, 0);
	assert_int_equal(w->q.s.last_avail, 1);
	assert_int_equal(pop(w), 0);
}

static void test_mixed_chain(void **state)
{
	struct world *w = *state;

	desc(w, 3, BUF, 16, F_NEXT, 7);
	desc(w, 7, BUF + 0x100, 512, F_NEXT, 1);
	desc(w, 1, BUF + 0x400, 1, F_WRITE, 0);
	offer(w, 3);
	assert_int_equal(pop(w), 1);
	assert_int_equal(w->c.head, 3);
	assert_int_equal(w->c.nsegs, 3);
	assert_seg(w, 0, BUF, 16, false);
	assert_seg(w, 1, BUF + 0x100, 512, false);
	assert_seg(w, 2, BUF + 0x400, 1, true);
	assert_int_equal(w->c.out_bytes, 528);
	assert_int_equal(w->c.in_bytes, 1);
}

static void test_chains_in_ring_order(void **state)
{
	struct world *w = *state;

	desc(w, 9, BUF, 4, F_WRITE, 0);
	desc(w, 2, BUF + 4, 8, 0, 0);
	offer(w, 9);
	offer(w, 2);
	assert_int_equal(pop(w), 1);
	assert_int_equal(w->c.head, 9);
	assert_int_equal(w->c.in_bytes, 4);
	assert_int_equal(pop(w), 1);
	assert_int_equal(w->c.head, 2);
	assert_int_equal(w->c.out_bytes, 8);
	assert_int_equal(pop(w), 0);
}

/* An indirect head; its WRITE flag must be ignored (2.7.5.3.2). */
static void test_indirect(void **state)
{
	struct world *w = *state;

	desc(w, 0, TABLE, 3 * 16, F_IND | F_WRITE, 0);
	desc_at(w, TABLE, 0, BUF, 12, F_NEXT, 2);
	desc_at(w, TABLE, 2, BUF + 0x100, 200, F_NEXT | F_WRITE, 1);
	desc_at(w, TABLE, 1, BUF + 0x200, 1, F_WRITE, 0);
	offer(w, 0);
	assert_int_equal(pop(w), 1);
	assert_int_equal(w->c.head, 0);
	assert_int_equal(w->c.nsegs, 3);
	assert_seg(w, 0, BUF, 12, false);
	assert_seg(w, 1, BUF + 0x100, 200, true);
	assert_seg(w, 2, BUF + 0x200, 1, true);
	assert_int_equal(w->c.out_bytes, 12);
	assert_int_equal(w->c.in_bytes, 201);
}

/* Normal descriptors followed by one indirect one: valid (2.7.5.3.2). */
static void test_direct_then_indirect(void **state)
{
	struct world *w = *state;

	desc(w, 4, BUF, 10, F_NEXT, 6);
	desc(w, 6, TABLE, 2 * 16, F_IND, 0);
	desc_at(w, TABLE, 0, BUF + 0x10, 20, F_NEXT, 1);
	desc_at(w, TABLE, 1, BUF + 0x40, 30, F_WRITE, 0);
	offer(w, 4);
	assert_int_equal(pop(w), 1);
	assert_int_equal(w->c.nsegs, 3);
	assert_seg(w, 0, BUF, 10, false);
	assert_seg(w, 1, BUF + 0x10, 20, false);
	assert_seg(w, 2, BUF + 0x40, 30, true);
}

static void test_queue_size_rules(void **state)
{
	struct world *w = *state;
	static const u16 bad[] = { 0, 3, 24, 1023, 2048, 32768 };

	desc(w, 0, BUF, 8, 0, 0);
	offer(w, 0);
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		w->q.s.size = bad[i];
		pop_fails(w);
		assert_int_equal(vq_validate(&w->q, NULL), -EIO);
		assert_int_equal(vq_validate_layout(&w->q.s, NULL), -EIO);
	}
	/* Size 1: every entry lands in slot 0. */
	layout(w, 1, DESC, AVAIL, USED);
	w->avail_idx = 0;
	offer(w, 0);
	assert_int_equal(pop(w), 1);
	assert_int_equal(vq_validate(&w->q, &w->why), 0);
}

static void test_largest_queue(void **state)
{
	struct world *w = *state;
	u16 n = VQ_MAX_SIZE;

	layout(w, n, 0x8000, 0x1000, 0x2000);	/* 16 KiB table, 8 KiB used ring */
	for (unsigned i = 0; i < n; i++) {
		desc(w, i, 0xd000 + i, 1, F_WRITE, 0);
		offer(w, (u16)(n - 1 - i));
	}
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(pop(w), 1);
		assert_int_equal(w->c.head, n - 1 - i);
		assert_seg(w, 0, 0xd000 + n - 1 - i, 1, true);
		assert_int_equal(vq_push(&w->q, w->c.head, 1, &w->why), 0);
	}
	assert_int_equal(pop(w), 0);
	assert_int_equal(get16(w, 0x2000 + 2), n);
	assert_int_equal(get32(w, 0x2000 + 4 + 8 * 17), n - 1 - 17);
	w->q.s.size = 2 * VQ_MAX_SIZE;
	pop_fails(w);
}

static void test_ring_alignment(void **state)
{
	struct world *w = *state;

	desc(w, 0, BUF, 8, 0, 0);
	offer(w, 0);
	w->q.s.desc = DESC + 8;
	pop_fails(w);
	w->q.s.desc = DESC;
	w->q.s.driver = AVAIL + 1;
	pop_fails(w);
	w->q.s.driver = AVAIL;
	w->q.s.device = USED + 2;
	pop_fails(w);
	assert_int_equal(vq_push(&w->q, 0, 0, &w->why), -EIO);
	assert_int_equal(vq_validate_layout(&w->q.s, &w->why), -EIO);
	assert_string_equal(w->why, "used ring is not 4-byte aligned");
	w->q.s.device = USED;
	assert_int_equal(pop(w), 1);
}

/* Each ring must lie wholly in RAM, even the parts not used yet. */
static void test_rings_in_ram(void **state)
{
	struct world *w = *state;

	desc(w, 0, BUF, 8, 0, 0);
	offer(w, 0);
	w->q.s.desc = RAM_SIZE - 16 * 16 + 16;		/* last entry past the end */
	pop_fails(w);
	w->q.s.desc = DESC;
	w->q.s.driver = RAM_SIZE - (6 + 2 * 16) + 2;	/* event word past the end */
	pop_fails(w);
	w->q.s.driver = AVAIL;
	w->q.s.device = RAM_SIZE - (6 + 8 * 16) + 4;
	pop_fails(w);
	w->q.s.device = ~0ull & ~3ull;			/* wraps */
	pop_fails(w);
	w->q.s.device = USED;
	w->hole = true;					/* used ring's end in the hole */
	w->q.s.device = HOLE - 8 * 16;
	pop_fails(w);
	w->q.s.device = USED;
	assert_int_equal(pop(w), 1);
}

/* A 16 KiB table whose first and last bytes are RAM but a middle page is not. */
static void test_ring_hole_in_middle(void **state)
{
	struct world *w = *state;

	layout(w, 1024, HOLE - PAGE_SIZE, AVAIL, USED);	/* table 0xb000..0xf000 */
	assert_int_equal(vq_validate(&w->q, &w->why), 0);
	w->hole = true;
	assert_int_equal(vq_validate(&w->q, &w->why), -EIO);
	assert_string_equal(w->why, "descriptor table is not in guest RAM");
	/* The layout half looks at no memory. */
	assert_int_equal(vq_validate_layout(&w->q.s, &w->why), 0);
}

static void test_avail_idx_too_far(void **state)
{
	struct world *w = *state;

	for (unsigned i = 0; i < 16; i++)
		desc(w, i, BUF + i, 1, 0, 0);
	for (unsigned i = 0; i < 16; i++)
		offer(w, (u16)i);
	put16(w, AVAIL + 2, 17);		/* one more than could be queued */
	pop_fails(w);
	put16(w, AVAIL + 2, 0xffff);		/* "behind": also too far ahead */
	pop_fails(w);
	put16(w, AVAIL + 2, 16);		/* a full ring is fine */
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(pop(w), 1);
	assert_int_equal(pop(w), 0);
}

static void test_head_out_of_range(void **state)
{
	struct world *w = *state;

	offer(w, 16);
	pop_fails(w);
	assert_string_equal(w->why, "available ring names a descriptor past the queue size");
	put16(w, AVAIL + 4, 0xffff);
	pop_fails(w);
}

static void test_next_out_of_range(void **state)
{
	struct world *w = *state;

	desc(w, 0, BUF, 8, F_NEXT, 16);
	offer(w, 0);
	pop_fails(w);
	assert_string_equal(w->why, "next index is past the queue size");
}

static void test_loops(void **state)
{
	struct world *w = *state;

	desc(w, 0, BUF, 8, F_NEXT, 0);		/* itself */
	offer(w, 0);
	pop_fails(w);
	assert_string_equal(w->why, "chain is longer than the queue size (NEXT loop)");
	assert_int_equal(w->desc_reads, 16);	/* stopped at the 17th */
	desc(w, 0, BUF, 8, F_NEXT, 1);		/* 0 -> 1 -> 0 */
	desc(w, 1, BUF, 8, F_NEXT, 0);
	pop_fails(w);
	/* All 16 descriptors in one chain is the longest legal one. */
	for (unsigned i = 0; i < 16; i++)
		desc(w, i, BUF, 8, i < 15 ? F_NEXT : 0, (u16)(i + 1));
	assert_int_equal(pop(w), 1);
	assert_int_equal(w->c.nsegs, 16);
}

static void test_indirect_loop(void **state)
{
	struct world *w = *state;

	desc(w, 0, TABLE, 2 * 16, F_IND, 0);
	desc_at(w, TABLE, 0, BUF, 8, F_NEXT, 1);
	desc_at(w, TABLE, 1, BUF, 8, F_NEXT, 0);
	offer(w, 0);
	pop_fails(w);
	assert_string_equal(w->why, "chain has more than VQ_MAX_SEGS descriptors");
}

static void test_max_segs(void **state)
{
	struct world *w = *state;

	desc(w, 0, TABLE, VQ_MAX_SEGS * 16, F_IND, 0);
	for (unsigned i = 0; i < VQ_MAX_SEGS; i++)
		desc_at(w, TABLE, i, BUF + i, 1, i + 1 < VQ_MAX_SEGS ? F_NEXT : 0, (u16)(i + 1));
	offer(w, 0);
	assert_int_equal(pop(w), 1);
	assert_int_equal(w->c.nsegs, VQ_MAX_SEGS);
	assert_int_equal(w->c.out_bytes, VQ_MAX_SEGS);
	/* A table one entry longer is refused even if the chain is short. */
	desc(w, 0, TABLE, (VQ_MAX_SEGS + 1) * 16, F_IND, 0);
	offer(w, 0);
	pop_fails(w);
	/* A direct chain of VQ_MAX_SEGS + 1 in a 256-entry queue. */
	layout(w, 256, 0x4000, AVAIL, USED);
	w->avail_idx = 0;
	for (unsigned i = 0; i <= VQ_MAX_SEGS; i++)
		desc(w, i, BUF, 1, i < VQ_MAX_SEGS ? F_NEXT : 0, (u16)(i + 1));
	offer(w, 0);
	pop_fails(w);
	assert_string_equal(w->why, "chain has more than VQ_MAX_SEGS descriptors");
	desc(w, 1, BUF, 1, 0, 0);		/* cut it short: fine */
	assert_int_equal(pop(w), 1);
}

/* Segments may overlap, so 4 MiB fits in 64 KiB of RAM. */
static void test_max_bytes(void **state)
{
	struct world *w = *state;
	const u32 piece = VQ_MAX_BYTES / 128;	/* 32 KiB */

	desc(w, 0, TABLE, 128 * 16, F_IND, 0);
	for (unsigned i = 0; i < 128; i++)
		desc_at(w, TABLE, i, 0x8000, piece, i < 127 ? F_NEXT : 0, (u16)(i + 1));
	offer(w, 0);
	assert_int_equal(pop(w), 1);
	assert_int_equal(w->c.out_bytes, VQ_MAX_BYTES);
	desc_at(w, TABLE, 127, 0x8000 - 1, piece + 1, 0, 0);
	offer(w, 0);
	pop_fails(w);
	assert_string_equal(w->why, "chain describes more than VQ_MAX_BYTES");
	/* Two halves of 2^32: a u32 sum would wrap to 0. */
	desc(w, 1, BUF, 0x80000000u, F_NEXT, 2);
	desc(w, 2, BUF, 0x80000000u, 0, 0);
	w->avail_idx--;				/* replace the refused entry */
	offer(w, 1);
	pop_fails(w);
	desc(w, 1, BUF, 0xffffffffu, 0, 0);
	pop_fails(w);
}

static void test_zero_length(void **state)
{
	struct world *w = *state;

	/* Accepted, wherever it points, and left out of the chain. */
	desc(w, 0, 0xdead00000000ull, 0, F_NEXT, 1);
	desc(w, 1, BUF, 4, F_NEXT, 2);
	desc(w, 2, ~0ull, 0, F_WRITE, 0);
	offer(w, 0);
	assert_int_equal(pop(w), 1);
	assert_int_equal(w->c.nsegs, 1);
	assert_seg(w, 0, BUF, 4, false);
	assert_int_equal(w->c.out_bytes, 4);
	assert_int_equal(w->c.in_bytes, 0);
	/* It still counts for the order rule. */
	desc(w, 0, BUF, 0, F_WRITE | F_NEXT, 1);
	offer(w, 0);
	pop_fails(w);
	assert_string_equal(w->why, "device-readable descriptor after a device-writable one");
}

static void test_buffer_not_in_ram(void **state)
{
	struct world *w = *state;
	static const struct { u64 gpa; u32 len; } bad[] = {
		{ RAM_SIZE - 4, 8 },			/* runs off the end */
		{ RAM_SIZE, 1 },
		{ HOLE + 0x10, 4 },			/* inside the hole */
		{ HOLE - 4, 8 },			/* into the hole */
		{ HOLE - PAGE_SIZE, 3 * PAGE_SIZE },	/* ends in RAM, hole in the middle */
		{ ~0ull - 2, 8 },			/* wraps */
	};

	w->hole = true;
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		desc(w, 0, bad[i].gpa, bad[i].len, F_WRITE, 0);
		offer(w, 0);
		pop_fails(w);
		assert_string_equal(w->why, "buffer is not in guest RAM");
		w->avail_idx--;
	}
	desc(w, 0, RAM_SIZE - 8, 8, 0, 0);	/* ends exactly at the end of RAM */
	offer(w, 0);
	assert_int_equal(pop(w), 1);
}

/* Even where every byte probed one at a time is RAM, a range that wraps
 * past 2^64 is not. */
static void test_buffer_wraps(void **state)
{
	struct world *w = *state;

	w->everywhere = true;
	desc(w, 0, ~0ull - 2, 8, 0, 0);
	offer(w, 0);
	pop_fails(w);
	assert_string_equal(w->why, "buffer is not in guest RAM");
	desc(w, 0, ~0ull - 7, 8, 0, 0);		/* ends at the very top: fine */
	assert_int_equal(pop(w), 1);
}

static void test_indirect_rules(void **state)
{
	struct world *w = *state;
	static const u32 bad_len[] = { 0, 8, 24, 0xfffffff0u };

	offer(w, 0);
	for (unsigned i = 0; i < ARRAY_SIZE(bad_len); i++) {
		desc(w, 0, TABLE, bad_len[i], F_IND, 0);
		pop_fails(w);
	}
	desc(w, 0, RAM_SIZE - 16, 32, F_IND, 0);		/* table off the end */
	pop_fails(w);
	assert_string_equal(w->why, "indirect table is not in guest RAM");
	desc(w, 0, TABLE, 32, F_IND | F_NEXT, 1);		/* INDIRECT with NEXT */
	desc(w, 1, BUF, 1, 0, 0);
	pop_fails(w);
	desc(w, 0, TABLE, 32, F_IND, 0);
	desc_at(w, TABLE, 0, BUF, 1, F_NEXT, 1);
	desc_at(w, TABLE, 1, TABLE, 32, F_IND, 0);		/* nested */
	pop_fails(w);
	assert_string_equal(w->why, "indirect descriptor inside an indirect table");
	desc_at(w, TABLE, 1, BUF, 1, F_NEXT, 2);		/* next past the table */
	pop_fails(w);
	assert_string_equal(w->why, "next index is past the indirect table");
	desc_at(w, TABLE, 0, BUF, 1, F_WRITE | F_NEXT, 1);	/* W then R */
	desc_at(w, TABLE, 1, BUF, 1, 0, 0);
	pop_fails(w);
	desc_at(w, TABLE, 1, BUF, 1, F_WRITE, 0);
	assert_int_equal(pop(w), 1);
}

static void test_readable_after_writable(void **state)
{
	struct world *w = *state;

	desc(w, 0, BUF, 4, F_WRITE | F_NEXT, 1);
	desc(w, 1, BUF, 4, 0, 0);
	offer(w, 0);
	pop_fails(w);
	assert_string_equal(w->why, "device-readable descriptor after a device-writable one");
	/* A writable direct descriptor, then a readable one in the table. */
	desc(w, 1, TABLE, 16, F_IND, 0);
	desc_at(w, TABLE, 0, BUF, 4, 0, 0);
	pop_fails(w);
	desc_at(w, TABLE, 0, BUF, 4, F_WRITE, 0);
	assert_int_equal(pop(w), 1);
	assert_int_equal(w->c.in_bytes, 8);
}

/* Unknown flag bits are not ours to judge; only NEXT/WRITE/INDIRECT count. */
static void test_unknown_flags_ignored(void **state)
{
	struct world *w = *state;

	desc(w, 0, BUF, 4, 0xfff8, 0);
	offer(w, 0);
	assert_int_equal(pop(w), 1);
	assert_seg(w, 0, BUF, 4, false);
}

/* Free-running 16-bit indices wrap at 65536 on both rings (2.7.13.3). */
static void test_index_wraparound(void **state)
{
	struct world *w = *state;

	w->q.s.last_avail = w->q.s.used_idx = 0xfffe;
	w->avail_idx = 0xfffe;
	put16(w, USED + 2, 0xfffe);
	for (unsigned i = 0; i < 3; i++) {
		desc(w, i, BUF + 0x10 * i, 4, F_WRITE, 0);
		offer(w, (u16)i);
	}
	assert_int_equal(get16(w, AVAIL + 2), 1);
	assert_int_equal(get16(w, AVAIL + 4 + 2 * 14), 0);	/* 0xfffe % 16 */
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(pop(w), 1);
		assert_int_equal(w->c.head, i);
		assert_int_equal(vq_push(&w->q, w->c.head, 10 + i, &w->why), 0);
	}
	assert_int_equal(pop(w), 0);
	assert_int_equal(w->q.s.last_avail, 1);
	assert_int_equal(w->q.s.used_idx, 1);
	assert_int_equal(get16(w, USED + 2), 1);
	assert_int_equal(get32(w, USED + 4 + 8 * 14), 0);
	assert_int_equal(get32(w, USED + 4 + 8 * 14 + 4), 10);
	assert_int_equal(get32(w, USED + 4 + 8 * 15), 1);
	assert_int_equal(get32(w, USED + 4 + 8 * 0), 2);
	assert_int_equal(get32(w, USED + 4 + 8 * 0 + 4), 12);
}

static void test_used_ring_contents(void **state)
{
	struct world *w = *state;
	static const u16 heads[] = { 4, 9, 2 };

	put16(w, USED, 0);			/* used->flags, the driver's init */
	for (unsigned i = 0; i < 3; i++) {
		desc(w, heads[i], BUF, 64, F_WRITE, 0);
		offer(w, heads[i]);
		assert_int_equal(pop(w), 1);
	}
	/* Completion order is the device's: 9, 4, 2. */
	assert_int_equal(vq_push(&w->q, 9, 7, &w->why), 0);
	assert_int_equal(get16(w, USED + 2), 1);
	assert_int_equal(vq_push(&w->q, 4, 0, &w->why), 0);
	assert_int_equal(vq_push(&w->q, 2, 64, &w->why), 0);
	assert_int_equal(get16(w, USED + 2), 3);
	assert_int_equal(get32(w, USED + 4), 9);
	assert_int_equal(get32(w, USED + 8), 7);
	assert_int_equal(get32(w, USED + 12), 4);
	assert_int_equal(get32(w, USED + 16), 0);
	assert_int_equal(get32(w, USED + 20), 2);
	assert_int_equal(get32(w, USED + 24), 64);
	assert_int_equal(get32(w, USED + 28), 0);	/* nothing past it */
	assert_int_equal(get16(w, USED), 0);		/* flags untouched */
	assert_int_equal(get16(w, AVAIL + 2), 3);	/* avail ring untouched */
}

static void test_push_misuse(void **state)
{
	struct world *w = *state;

	assert_int_equal(vq_push(&w->q, 0, 0, &w->why), -EINVAL);	/* nothing popped */
	desc(w, 0, BUF, 4, 0, 0);
	offer(w, 0);
	assert_int_equal(pop(w), 1);
	assert_int_equal(vq_push(&w->q, 16, 0, &w->why), -EINVAL);
	w->q.s.ready = false;
	assert_int_equal(vq_push(&w->q, 0, 0, &w->why), -EINVAL);
	w->q.s.ready = true;
	w->q.s.device = RAM_SIZE - 8;		/* the guest moved it off RAM */
	assert_int_equal(vq_push(&w->q, 0, 0, &w->why), -EIO);
	assert_string_equal(w->why, "used ring is not in guest RAM");
	assert_int_equal(w->q.s.used_idx, 0);
	w->q.s.device = USED;
	assert_int_equal(vq_push(&w->q, 0, 0, NULL), 0);
	assert_int_equal(vq_push(&w->q, 0, 0, NULL), -EINVAL);	/* twice */
}

static void test_no_interrupt(void **state)
{
	struct world *w = *state;

	assert_true(vq_should_interrupt(&w->q));
	put16(w, AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	assert_false(vq_should_interrupt(&w->q));
	put16(w, AVAIL, 2);			/* other bits mean nothing */
	assert_true(vq_should_interrupt(&w->q));
	put16(w, AVAIL, 0xffff);
	assert_false(vq_should_interrupt(&w->q));
	w->q.s.driver = RAM_SIZE;		/* unreadable: interrupt anyway */
	assert_true(vq_should_interrupt(&w->q));
}

/* Readable 3 + (0) + 5 bytes, then writable 4 + 6 bytes. */
static void chain_for_copy(struct world *w)
{
	desc(w, 0, 0x8000, 3, F_NEXT, 1);
	desc(w, 1, 0x9000, 0, F_NEXT, 2);
	desc(w, 2, 0x8100, 5, F_NEXT, 3);
	desc(w, 3, 0x8200, 4, F_WRITE | F_NEXT, 4);
	desc(w, 4, 0x8300, 6, F_WRITE, 0);
	memcpy(w->ram + 0x8000, "abc", 3);
	memcpy(w->ram + 0x8100, "defgh", 5);
	offer(w, 0);
	assert_int_equal(pop(w), 1);
	assert_int_equal(w->c.out_bytes, 8);
	assert_int_equal(w->c.in_bytes, 10);
}

static void test_chain_read(void **state)
{
	struct world *w = *state;
	char buf[16] = { 0 };

	chain_for_copy(w);
	assert_int_equal(vq_chain_read(&w->q, &w->c, 0, buf, 8), 0);
	assert_memory_equal(buf, "abcdefgh", 8);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(vq_chain_read(&w->q, &w->c, 2, buf, 4), 0);
	assert_memory_equal(buf, "cdef", 4);
	assert_int_equal(vq_chain_read(&w->q, &w->c, 5, buf, 4), -EINVAL);
	assert_int_equal(vq_chain_read(&w->q, &w->c, 8, buf, 0), 0);
	assert_int_equal(vq_chain_read(&w->q, &w->c, 0xffffffffu, buf, 2), -EINVAL);
}

static void test_chain_write(void **state)
{
	struct world *w = *state;

	chain_for_copy(w);
	assert_int_equal(vq_chain_write(&w->q, &w->c, 2, "WXYZuv", 6), 0);
	assert_memory_equal(w->ram + 0x8202, "WX", 2);
	assert_memory_equal(w->ram + 0x8300, "YZuv", 4);
	assert_int_equal(w->ram[0x8201], 0);
	assert_int_equal(w->ram[0x8304], 0);
	assert_memory_equal(w->ram + 0x8000, "abc", 3);		/* readable part untouched */
	assert_int_equal(vq_chain_write(&w->q, &w->c, 5, "0123456", 6), -EINVAL);
	assert_int_equal(w->ram[0x8305], 0);
	/* RAM gone since the pop: -EFAULT, not a crash. */
	w->c.seg[3].gpa = RAM_SIZE;
	assert_int_equal(vq_chain_write(&w->q, &w->c, 4, "x", 1), -EFAULT);
}

static void test_reset(void **state)
{
	struct world *w = *state;

	desc(w, 0, BUF, 4, 0, 0);
	offer(w, 0);
	assert_int_equal(pop(w), 1);
	vq_reset(&w->q);
	assert_false(w->q.s.ready);
	assert_int_equal(w->q.s.size, 0);
	assert_int_equal(w->q.s.last_avail, 0);
	assert_int_equal(w->q.s.used_idx, 0);
	assert_ptr_equal(w->q.mem, &w->ops);
	assert_int_equal(pop(w), 0);
}

/* The state is pointer-free: saving and restoring it is a struct copy. */
static void test_snapshot_is_struct_copy(void **state)
{
	struct world *w = *state;
	struct vq_state saved;

	desc(w, 0, BUF, 4, 0, 0);
	desc(w, 1, BUF, 4, 0, 0);
	offer(w, 0);
	offer(w, 1);
	assert_int_equal(pop(w), 1);
	saved = w->q.s;
	assert_int_equal(pop(w), 1);
	w->q.s = saved;				/* restore: the second chain again */
	assert_int_equal(pop(w), 1);
	assert_int_equal(w->c.head, 1);
}

#define VQ_TEST(f) cmocka_unit_test_setup_teardown(f, world_setup, world_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		VQ_TEST(test_empty_and_not_ready),
		VQ_TEST(test_single_readable),
		VQ_TEST(test_mixed_chain),
		VQ_TEST(test_chains_in_ring_order),
		VQ_TEST(test_indirect),
		VQ_TEST(test_direct_then_indirect),
		VQ_TEST(test_queue_size_rules),
		VQ_TEST(test_largest_queue),
		VQ_TEST(test_ring_alignment),
		VQ_TEST(test_rings_in_ram),
		VQ_TEST(test_ring_hole_in_middle),
		VQ_TEST(test_avail_idx_too_far),
		VQ_TEST(test_head_out_of_range),
		VQ_TEST(test_next_out_of_range),
		VQ_TEST(test_loops),
		VQ_TEST(test_indirect_loop),
		VQ_TEST(test_max_segs),
		VQ_TEST(test_max_bytes),
		VQ_TEST(test_zero_length),
		VQ_TEST(test_buffer_not_in_ram),
		VQ_TEST(test_buffer_wraps),
		VQ_TEST(test_indirect_rules),
		VQ_TEST(test_readable_after_writable),
		VQ_TEST(test_unknown_flags_ignored),
		VQ_TEST(test_index_wraparound),
		VQ_TEST(test_used_ring_contents),
		VQ_TEST(test_push_misuse),
		VQ_TEST(test_no_interrupt),
		VQ_TEST(test_chain_read),
		VQ_TEST(test_chain_write),
		VQ_TEST(test_reset),
		VQ_TEST(test_snapshot_is_struct_copy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
