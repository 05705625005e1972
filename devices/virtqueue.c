/*
 * Split virtqueue, device side (virtio 1.2 section 2.7): take descriptor
 * chains from the available ring, give them back through the used ring.
 *
 * The guest writes the rings while we read them, so nothing read from guest
 * memory is trusted: each value is copied out once, checked, then used.
 * A chain walk is bounded by counting (never by believing NEXT), which
 * also makes it loop-free.
 *
 * Guest RAM checks: guest_mem_ops only copies, so a range is probed by
 * reading one byte at its start, its end and the start of each page in
 * between. That is exact for RAM that is present or absent page by page
 * (mm/gpa_map.c) and ends anywhere. Buffers are probed at pop time, so a
 * device only ever sees segments in RAM; if RAM vanished later (not done in
 * Keel today), vq_chain_read/write still fail cleanly with -EFAULT.
 *
 * Memory ordering (2.7.13.3, 2.7.14): the driver writes ring entries, then a
 * barrier, then avail->idx; we read avail->idx once per pop, then the
 * entries. We write a used element, then used->idx. The host is x86 (TSO:
 * loads are not reordered with loads, nor stores with stores), so those two
 * need only a compiler barrier. The check for NO_INTERRUPT is a load after
 * the used->idx store, which x86 may reorder, so it gets a full fence.
 */
#include "devices/virtqueue.h"

#define VQ_PROBE_GRAIN	PAGE_SIZE	/* RAM is present or absent per page */

/* Field offsets in the available and used rings (2.7.6, 2.7.8). */
#define AVAIL_FLAGS	0
#define AVAIL_IDX	2
#define AVAIL_RING	4
#define USED_IDX	2
#define USED_RING	4
#define USED_ELEM_SIZE	8		/* le32 id, le32 len */
#define RING_EXTRA	6		/* flags, idx and the event word */

/* A descriptor as decoded from its 16 little-endian bytes (2.7.5). */
struct vq_desc {
	u64 addr;
	u32 len;
	u16 flags;
	u16 next;
};

/* Where a chain walk stands: which table it reads and what it has counted. */
struct vq_walk {
	u64 table;		/* guest address of the table being followed */
	u32 entries;		/* its length in descriptors */
	bool indirect;		/* inside the (single) indirect table */
	unsigned direct;	/* descriptors read from the ring's own table */
	unsigned buffers;	/* buffer descriptors, zero-length ones included */
	bool seen_write;	/* a device-writable descriptor came already */
};

static inline void vq_compiler_barrier(void)
{
	__asm__ __volatile__("" ::: "memory");
}

static u16 get_le16(const u8 *p)
{
	return (u16)(p[0] | p[1] << 8);
}

static u32 get_le32(const u8 *p)
{
	return (u32)get_le16(p) | (u32)get_le16(p + 2) << 16;
}

static void put_le16(u8 *p, u16 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
}

static void put_le32(u8 *p, u32 v)
{
	put_le16(p, (u16)v);
	put_le16(p + 2, (u16)(v >> 16));
}

/* The guest broke a rule: -EIO, and why for the transport's log line. */
static int vq_fail(const char **why, const char *msg)
{
	if (why)
		*why = msg;
	return -EIO;
}

/* The device model misused the queue: a host bug, not the guest's. */
static int vq_misuse(const char **why, const char *msg)
{
	if (why)
		*why = msg;
	return -EINVAL;
}

/* Is every byte of [gpa, gpa + len) guest RAM? See the file comment. */
static bool vq_probe(const struct guest_mem_ops *mem, u64 gpa, u64 len)
{
	u64 last = gpa + len - 1;
	u64 page, last_page;
	u8 byte;

	if (len == 0)
		return true;
	if (last < gpa)
		return false;	/* wraps past 2^64 */
	if (mem->read(mem->ctx, gpa, &byte, 1) || mem->read(mem->ctx, last, &byte, 1))
		return false;
	/* Pages strictly between the first and the last; page never passes
	 * last_page, so this cannot overflow at the top of the address space. */
	page = ALIGN_DOWN(gpa, VQ_PROBE_GRAIN);
	last_page = ALIGN_DOWN(last, VQ_PROBE_GRAIN);
	while (page != last_page) {
		page += VQ_PROBE_GRAIN;
		if (page != last_page && mem->read(mem->ctx, page, &byte, 1))
			return false;
	}
	return true;
}

static int vq_read16(const struct vq *q, u64 gpa, u16 *val)
{
	u8 b[2];
	int err = q->mem->read(q->mem->ctx, gpa, b, sizeof(b));

	*val = err ? 0 : get_le16(b);
	return err;
}

void vq_reset(struct vq *q)
{
	q->s = (struct vq_state){ 0 };
}

int vq_validate_layout(const struct vq_state *s, const char **why)
{
	u64 n = s->size;

	if (n == 0 || n > VQ_MAX_SIZE || (n & (n - 1)))
		return vq_fail(why, "queue size is not a power of two up to VQ_MAX_SIZE");
	if (s->desc % VIRTQ_DESC_ALIGN)
		return vq_fail(why, "descriptor table is not 16-byte aligned");
	if (s->driver % VIRTQ_AVAIL_ALIGN)
		return vq_fail(why, "available ring is not 2-byte aligned");
	if (s->device % VIRTQ_USED_ALIGN)
		return vq_fail(why, "used ring is not 4-byte aligned");
	return 0;
}

int vq_validate(const struct vq *q, const char **why)
{
	const struct vq_state *s = &q->s;
	u64 n = s->size;
	int err = vq_validate_layout(s, why);

	if (err)
		return err;
	if (!vq_probe(q->mem, s->desc, VIRTQ_DESC_SIZE * n))
		return vq_fail(why, "descriptor table is not in guest RAM");
	if (!vq_probe(q->mem, s->driver, RING_EXTRA + 2 * n))
		return vq_fail(why, "available ring is not in guest RAM");
	if (!vq_probe(q->mem, s->device, RING_EXTRA + USED_ELEM_SIZE * n))
		return vq_fail(why, "used ring is not in guest RAM");
	return 0;
}

/* Entry idx of the table the walk is in; idx < w->entries. */
static int vq_read_desc(const struct vq *q, const struct vq_walk *w, u16 idx, struct vq_desc *d)
{
	u8 b[VIRTQ_DESC_SIZE];

	if (q->mem->read(q->mem->ctx, w->table + (u64)idx * VIRTQ_DESC_SIZE, b, sizeof(b)))
		return -EFAULT;
	d->addr = get_le32(b) | (u64)get_le32(b + 4) << 32;
	d->len = get_le32(b + 8);
	d->flags = get_le16(b + 12);
	d->next = get_le16(b + 14);
	return 0;
}

/*
 * Switch the walk to the indirect table d names (2.7.5.3). Its WRITE flag
 * is ignored, as 2.7.5.3.2 requires. A table longer than VQ_MAX_SEGS could
 * only be used in part, so it is refused; that also bounds the RAM probe.
 */
static int vq_enter_indirect(const struct vq *q, struct vq_walk *w, const struct vq_desc *d,
			     const char **why)
{
	if (w->indirect)
		return vq_fail(why, "indirect descriptor inside an indirect table");
	if (d->flags & VIRTQ_DESC_F_NEXT)
		return vq_fail(why, "indirect descriptor has NEXT set");
	if (d->len == 0 || d->len % VIRTQ_DESC_SIZE)
		return vq_fail(why, "indirect table length is not a non-zero multiple of 16");
	if (d->len / VIRTQ_DESC_SIZE > VQ_MAX_SEGS)
		return vq_fail(why, "indirect table has more than VQ_MAX_SEGS entries");
	if (!vq_probe(q->mem, d->addr, d->len))
		return vq_fail(why, "indirect table is not in guest RAM");
	w->table = d->addr;
	w->entries = d->len / VIRTQ_DESC_SIZE;
	w->indirect = true;
	return 0;
}

/*
 * Account for buffer descriptor d and append it to c. Zero-length buffers
 * are legal but carry nothing: they count against the limits and the
 * ordering rule, and are left out of c so that every segment a device sees
 * has been checked to be RAM.
 */
static int vq_add_buffer(const struct vq *q, struct vq_chain *c, struct vq_walk *w,
			 const struct vq_desc *d, const char **why)
{
	bool writes = d->flags & VIRTQ_DESC_F_WRITE;

	if (++w->buffers > VQ_MAX_SEGS)
		return vq_fail(why, "chain has more than VQ_MAX_SEGS descriptors");
	if (w->seen_write && !writes)	/* 2.7.4.2 */
		return vq_fail(why, "device-readable descriptor after a device-writable one");
	w->seen_write |= writes;
	if ((u64)c->out_bytes + c->in_bytes + d->len > VQ_MAX_BYTES)
		return vq_fail(why, "chain describes more than VQ_MAX_BYTES");
	if (d->len == 0)
		return 0;
	if (!vq_probe(q->mem, d->addr, d->len))
		return vq_fail(why, "buffer is not in guest RAM");
	c->seg[c->nsegs++] = (struct vq_seg){ .gpa = d->addr, .len = d->len,
					      .device_writes = writes };
	if (writes)
		c->in_bytes += d->len;
	else
		c->out_bytes += d->len;
	return 0;
}

/*
 * Follow the chain from c->head: zero or more descriptors of the ring's
 * table, possibly ending in one indirect descriptor whose table is followed
 * in turn (2.7.5.3.2). Every pass either reads a ring descriptor (at most
 * size of them: a longer chain must loop) or adds a buffer (at most
 * VQ_MAX_SEGS), so the walk ends whatever NEXT says.
 */
static int vq_walk_chain(const struct vq *q, struct vq_chain *c, const char **why)
{
	struct vq_walk w = { .table = q->s.desc, .entries = q->s.size };
	struct vq_desc d;
	u16 idx = c->head;
	int err;

	c->nsegs = 0;
	c->out_bytes = c->in_bytes = 0;
	for (;;) {
		if (!w.indirect && ++w.direct > q->s.size)
			return vq_fail(why, "chain is longer than the queue size (NEXT loop)");
		if (vq_read_desc(q, &w, idx, &d))
			return vq_fail(why, "descriptor is not in guest RAM");
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			err = vq_enter_indirect(q, &w, &d, why);
			if (err)
				return err;
			idx = 0;
			continue;
		}
		err = vq_add_buffer(q, c, &w, &d, why);
		if (err)
			return err;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		if (d.next >= w.entries)
			return vq_fail(why, w.indirect ? "next index is past the indirect table"
						       : "next index is past the queue size");
		idx = d.next;
	}
}

int vq_pop(struct vq *q, struct vq_chain *c, const char **why)
{
	const struct vq_state *s = &q->s;
	u16 avail_idx, pending, head;
	int err;

	if (!s->ready)
		return 0;
	err = vq_validate(q, why);
	if (err)
		return err;
	if (vq_read16(q, s->driver + AVAIL_IDX, &avail_idx))
		return vq_fail(why, "available ring is not in guest RAM");
	pending = (u16)(avail_idx - s->last_avail);
	if (pending == 0)
		return 0;
	if (pending > s->size)
		return vq_fail(why, "available idx is more than the queue size ahead of the device");
	/* The entries below idx are only meaningful once idx has been read. */
	vq_compiler_barrier();
	if (vq_read16(q, s->driver + AVAIL_RING + 2u * (s->last_avail % s->size), &head))
		return vq_fail(why, "available ring is not in guest RAM");
	if (head >= s->size)
		return vq_fail(why, "available ring names a descriptor past the queue size");
	c->head = head;
	err = vq_walk_chain(q, c, why);
	if (err)
		return err;
	q->s.last_avail++;
	return 1;
}

int vq_push(struct vq *q, u16 head, u32 written, const char **why)
{
	struct vq_state *s = &q->s;
	u8 elem[USED_ELEM_SIZE], idx[2];
	u64 slot;
	int err;

	if (!s->ready)
		return vq_misuse(why, "push to a queue that is not ready");
	err = vq_validate(q, why);
	if (err)
		return err;
	if (head >= s->size || s->last_avail == s->used_idx)
		return vq_misuse(why, "push of a chain that was not popped");
	put_le32(elem, head);
	put_le32(elem + 4, written);
	slot = s->device + USED_RING + (u64)(s->used_idx % s->size) * USED_ELEM_SIZE;
	if (q->mem->write(q->mem->ctx, slot, elem, sizeof(elem)))
		return vq_fail(why, "used ring is not in guest RAM");
	/* 2.7.8.2: the element (len included) is visible before idx moves. */
	vq_compiler_barrier();
	put_le16(idx, (u16)(s->used_idx + 1));
	if (q->mem->write(q->mem->ctx, s->device + USED_IDX, idx, sizeof(idx)))
		return vq_fail(why, "used ring is not in guest RAM");
	s->used_idx++;
	return 0;
}

bool vq_should_interrupt(const struct vq *q)
{
	u16 flags;

	/*
	 * Store (used->idx) then load (avail->flags): a driver that clears
	 * NO_INTERRUPT, fences, then rereads used->idx (2.7.14) relies on us
	 * not seeing the old flag after it has missed our new idx.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq_read16(q, q->s.driver + AVAIL_FLAGS, &flags))
		return true;
	return !(flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

/* Copy between buf and the chain's readable (writable = false) or writable
 * segments, starting off bytes into that part. */
static int vq_chain_copy(const struct vq *q, const struct vq_chain *c, bool writable, u32 off,
			 u8 *buf, u32 len)
{
	unsigned nsegs = MIN(c->nsegs, (unsigned)VQ_MAX_SEGS);

	if ((u64)off + len > (writable ? c->in_bytes : c->out_bytes))
		return -EINVAL;
	for (unsigned i = 0; i < nsegs && len; i++) {
		const struct vq_seg *sg = &c->seg[i];
		u32 n;
		int err;

		if (sg->device_writes != writable)
			continue;
		if (off >= sg->len) {
			off -= sg->len;
			continue;
		}
		n = MIN(sg->len - off, len);
		if (writable)
			err = q->mem->write(q->mem->ctx, sg->gpa + off, buf, n);
		else
			err = q->mem->read(q->mem->ctx, sg->gpa + off, buf, n);
		if (err)
			return -EFAULT;
		buf += n;
		len -= n;
		off = 0;
	}
	return 0;
}

int vq_chain_read(const struct vq *q, const struct vq_chain *c, u32 off, void *buf, u32 len)
{
	return vq_chain_copy(q, c, false, off, buf, len);
}

/* The copy only reads buf in this direction; the cast serves the shared loop. */
int vq_chain_write(const struct vq *q, const struct vq_chain *c, u32 off, const void *buf,
		   u32 len)
{
	return vq_chain_copy(q, c, true, off, (u8 *)buf, len);
}
