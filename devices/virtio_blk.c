/*
 * virtio block device, virtio 1.2 section 5.2: one request queue served
 * synchronously from the queue notify, sectors from a struct blk_backend.
 *
 * A request (5.2.6) is a 16-byte device-readable header {le32 type, le32
 * reserved, le64 sector}, then data, then one device-writable status byte.
 * The driver may cut that into descriptors any way it likes (2.6.4,
 * message framing), so the device never looks at descriptor boundaries:
 * the header is the first 16 readable bytes, the status the last writable
 * byte, and the data whatever lies between, in the direction the type
 * calls for.
 *
 * Two kinds of bad request:
 *  - a well-framed request the device cannot serve (unknown type, sectors
 *    beyond the disk, a length that is not whole sectors, data in the wrong
 *    direction, a write to a read-only disk) is answered with
 *    VIRTIO_BLK_S_UNSUPP or VIRTIO_BLK_S_IOERR, as 5.2.6.1 asks;
 *  - a chain with no room for the header or the status byte has no place
 *    for an answer, and a chain vq_pop() rejects (buffers outside guest RAM,
 *    loops, ...) is no request at all. The driver is broken; the device
 *    says so through the transport's needs-reset (virtio_pci_fail, 2.1.2)
 *    and leaves the queue alone until reset. So does a buffer that stopped
 *    being guest RAM between the pop and the copy.
 *
 * Offered limits: seg_max is VQ_MAX_SEGS - 2 (the header and status take
 * the other two descriptors), and size_max is 32 KiB so that a request
 * within both, 16 + 126 * 32 KiB + 1 bytes, stays under VQ_MAX_BYTES:
 * a driver that obeys the config never trips the virtqueue's byte limit.
 */
#include "devices/virtio_blk.h"
#include "lib/string.h"

/*
 * Ring feature (6): the virtqueue follows indirect descriptor tables, and
 * offering them lets a driver put a request of seg_max segments in one
 * ring slot instead of 128. The transport adds only VERSION_1 itself.
 */
#ifndef VIRTIO_F_INDIRECT_DESC
#define VIRTIO_F_INDIRECT_DESC	BIT(28)
#endif

STATIC_ASSERT(VIRTIO_BLK_HDR_LEN + VIRTIO_BLK_SEG_MAX * (u64)VIRTIO_BLK_SIZE_MAX + 1 <= VQ_MAX_BYTES,
	      "a request within seg_max and size_max must fit in a chain");
STATIC_ASSERT(VIRTIO_BLK_QUEUE_MAX <= VQ_MAX_SIZE, "queue size beyond the virtqueue's");

/* The request header as it lies in guest memory (little-endian, as is x86). */
struct virtio_blk_hdr {
	u32 type;
	u32 reserved;
	u64 sector;
} __packed;

STATIC_ASSERT(sizeof(struct virtio_blk_hdr) == VIRTIO_BLK_HDR_LEN, "header layout");

/* The request in hand, decoded from the chain. */
struct blk_req {
	struct virtio_blk_hdr hdr;
	u32 rd;			/* readable data bytes after the header */
	u32 wr;			/* writable data bytes before the status byte */
	u32 written;		/* data bytes put into guest memory */
};

/*
 * Describe bytes [off, off + len) of the chain's device-readable part (or
 * its writable part) as guest segments in out, skipping the bytes before
 * off; returns how many. The caller keeps the range within the part, so
 * out never needs more entries than the chain has segments.
 */
static unsigned chain_slice(const struct vq_chain *c, bool writable, u32 off, u32 len,
			    struct blk_seg *out)
{
	unsigned i, n = 0;

	for (i = 0; i < c->nsegs && len; i++) {
		const struct vq_seg *s = &c->seg[i];
		u32 take;

		if (s->device_writes != writable)
			continue;
		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		take = MIN(s->len - off, len);
		out[n++] = (struct blk_seg){ .gpa = s->gpa + off, .len = take };
		off = 0;
		len -= take;
	}
	return n;
}

/* Whether len bytes from sector on are whole sectors inside the disk. */
static bool virtio_blk_range_ok(const struct blk_backend *be, u64 sector, u32 len)
{
	u64 count = len >> BLK_SECTOR_SHIFT;

	return len % BLK_SECTOR_SIZE == 0 && sector <= be->sectors &&
	       count <= be->sectors - sector;
}

/* Map a backend error: -EFAULT is the guest's (bad buffer), others the disk's. */
static int virtio_blk_io_status(int err)
{
	if (err == -EFAULT)
		return -EFAULT;
	return err ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

/* VIRTIO_BLK_T_IN: disk to the writable data bytes. */
static int virtio_blk_in(struct virtio_blk *b, const struct guest_mem_ops *m, struct blk_req *r)
{
	struct blk_backend *be = b->wiring.be;
	struct blk_io io = { .sector = r->hdr.sector, .bytes = r->wr, .seg = b->data, .mem = m };
	int st;

	if (r->rd || !virtio_blk_range_ok(be, io.sector, io.bytes))
		return VIRTIO_BLK_S_IOERR;
	io.nsegs = chain_slice(&b->chain, true, 0, io.bytes, b->data);
	st = virtio_blk_io_status(be->read(be->ctx, &io));
	if (st == VIRTIO_BLK_S_OK) {
		r->written = io.bytes;
		b->state.sectors_read += io.bytes >> BLK_SECTOR_SHIFT;
	}
	return st;
}

/* VIRTIO_BLK_T_OUT: the readable data bytes after the header to disk. */
static int virtio_blk_out(struct virtio_blk *b, const struct guest_mem_ops *m, struct blk_req *r)
{
	struct blk_backend *be = b->wiring.be;
	struct blk_io io = { .sector = r->hdr.sector, .bytes = r->rd, .seg = b->data, .mem = m };
	int st;

	if (be->readonly || !be->write)
		return VIRTIO_BLK_S_IOERR;
	if (r->wr || !virtio_blk_range_ok(be, io.sector, io.bytes))
		return VIRTIO_BLK_S_IOERR;
	io.nsegs = chain_slice(&b->chain, false, VIRTIO_BLK_HDR_LEN, io.bytes, b->data);
	st = virtio_blk_io_status(be->write(be->ctx, &io));
	if (st == VIRTIO_BLK_S_OK)
		b->state.sectors_written += io.bytes >> BLK_SECTOR_SHIFT;
	return st;
}

/* VIRTIO_BLK_T_FLUSH: no data either way; the sector field is ignored. */
static int virtio_blk_flush(struct virtio_blk *b, struct blk_req *r)
{
	struct blk_backend *be = b->wiring.be;

	if (r->rd || r->wr)
		return VIRTIO_BLK_S_IOERR;
	b->state.flushes++;
	if (be->flush && be->flush(be->ctx))
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}

/*
 * VIRTIO_BLK_T_GET_ID: the 20-byte serial into the writable data bytes.
 * The spec sizes the buffer at 20 bytes but says nothing of other sizes;
 * a shorter buffer gets a cut serial, a longer one only 20 bytes.
 */
static int virtio_blk_get_id(struct virtio_blk *b, const struct vq *q, struct blk_req *r)
{
	u32 len = MIN(r->wr, (u32)VIRTIO_BLK_ID_BYTES);

	if (r->rd)
		return VIRTIO_BLK_S_IOERR;
	if (vq_chain_write(q, &b->chain, 0, b->wiring.serial, len))
		return -EFAULT;
	r->written = len;
	return VIRTIO_BLK_S_OK;
}

/* Carry out a decoded request: a VIRTIO_BLK_S_* status, or -EFAULT. */
static int virtio_blk_execute(struct virtio_blk *b, const struct vq *q, struct blk_req *r)
{
	switch (r->hdr.type) {
	case VIRTIO_BLK_T_IN:
		return virtio_blk_in(b, q->mem, r);
	case VIRTIO_BLK_T_OUT:
		return virtio_blk_out(b, q->mem, r);
	case VIRTIO_BLK_T_FLUSH:
		return virtio_blk_flush(b, r);
	case VIRTIO_BLK_T_GET_ID:
		return virtio_blk_get_id(b, q, r);
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

/*
 * Serve the chain in b->chain: read the header, execute, then write the
 * status byte, last, so that the driver never sees a status before the
 * data. Returns 0 with *used set to the bytes written to the guest, or a
 * negative code with *why set when the chain cannot be answered.
 */
static int virtio_blk_serve(struct virtio_blk *b, const struct vq *q, u32 *used,
			    const char **why)
{
	const struct vq_chain *c = &b->chain;
	struct blk_req r = { 0 };
	int st;
	u8 status;

	if (c->out_bytes < VIRTIO_BLK_HDR_LEN || c->in_bytes < 1) {
		*why = "request without a 16-byte header or a status byte";
		return -EINVAL;
	}
	r.rd = c->out_bytes - VIRTIO_BLK_HDR_LEN;
	r.wr = c->in_bytes - 1;
	st = vq_chain_read(q, c, 0, &r.hdr, VIRTIO_BLK_HDR_LEN);
	if (st == 0)
		st = virtio_blk_execute(b, q, &r);
	if (st < 0) {
		*why = "request buffer no longer guest RAM";
		return st;
	}
	status = (u8)st;
	if (vq_chain_write(q, c, r.wr, &status, 1)) {
		*why = "status byte no longer guest RAM";
		return -EFAULT;
	}
	b->state.requests++;
	if (status != VIRTIO_BLK_S_OK)
		b->state.errors++;
	*used = r.written + 1;
	return 0;
}

/*
 * The driver kicked the request queue: serve every available request, then
 * interrupt once. At most a queue's worth per kick, so a driver that keeps
 * adding requests from another vCPU cannot hold this one here forever; it
 * kicks again for the rest (the device never sets VIRTQ_USED_F_NO_NOTIFY).
 */
static void virtio_blk_notify(void *dev, unsigned queue)
{
	struct virtio_blk *b = dev;
	const char *why = NULL;
	unsigned budget, done = 0;
	struct vq *q;
	int r;

	if (queue != 0 || b->state.failed || !b->wiring.vp)
		return;
	q = virtio_pci_queue(b->wiring.vp, 0);
	if (!q)
		return;
	for (budget = q->s.size; budget; budget--) {
		u32 used = 0;

		r = vq_pop(q, &b->chain, &why);
		if (r == 0)
			break;
		if (r < 0 || virtio_blk_serve(b, q, &used, &why) < 0 ||
		    vq_push(q, b->chain.head, used, &why) < 0) {
			b->state.failed = true;
			break;
		}
		done++;
	}
	if (done)
		virtio_pci_used(b->wiring.vp, 0);
	if (b->state.failed)
		virtio_pci_fail(b->wiring.vp, why ? why : "broken request");
}

static void put_le(u8 *p, u64 val, unsigned bytes)
{
	unsigned i;

	for (i = 0; i < bytes; i++)
		p[i] = (u8)(val >> (8 * i));
}

/*
 * Device configuration reads (5.2.4): any aligned or unaligned access of
 * 1, 2 or 4 bytes within the fields; beyond them, 0. The fields never
 * change (no resize), so config_generation never needs to move.
 */
static u32 virtio_blk_cfg_read(void *dev, unsigned off, unsigned size)
{
	struct virtio_blk *b = dev;
	u8 cfg[VIRTIO_BLK_CFG_LEN] = { 0 };

	put_le(cfg + VIRTIO_BLK_CFG_CAPACITY, b->wiring.be->sectors, 8);
	put_le(cfg + VIRTIO_BLK_CFG_SIZE_MAX, VIRTIO_BLK_SIZE_MAX, 4);
	put_le(cfg + VIRTIO_BLK_CFG_SEG_MAX, VIRTIO_BLK_SEG_MAX, 4);
	put_le(cfg + VIRTIO_BLK_CFG_BLK_SIZE, BLK_SECTOR_SIZE, 4);
	put_le(cfg + VIRTIO_BLK_CFG_NUM_QUEUES, 1, 2);
	return virtio_cfg_image_read(cfg, sizeof(cfg), off, size);
}

/* The only writable field, writeback, needs VIRTIO_BLK_F_CONFIG_WCE: not offered. */
static void virtio_blk_cfg_write(void *dev, unsigned off, unsigned size, u32 val)
{
}

/* Device reset: forget the failure and the features; statistics stay. */
static void virtio_blk_reset(void *dev)
{
	struct virtio_blk *b = dev;

	b->state.failed = false;
	b->state.negotiated = 0;
}

static void virtio_blk_driver_ok(void *dev, u64 negotiated)
{
	struct virtio_blk *b = dev;

	b->state.negotiated = negotiated;
}

void virtio_blk_init(struct virtio_blk *b, struct blk_backend *be, const char *serial)
{
	u64 features = VIRTIO_BLK_F_SIZE_MAX | VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE |
		       VIRTIO_BLK_F_FLUSH | VIRTIO_F_INDIRECT_DESC;

	memset(b, 0, sizeof(*b));
	b->wiring.be = be;
	if (serial)
		memcpy(b->wiring.serial, serial, strnlen(serial, VIRTIO_BLK_ID_BYTES));
	if (be->readonly || !be->write)
		features |= VIRTIO_BLK_F_RO;
	b->wiring.ops = (struct virtio_dev_ops){
		.device_id = VIRTIO_ID_BLOCK,
		.features = features,
		.nqueues = 1,
		.queue_max = VIRTIO_BLK_QUEUE_MAX,
		.cfg_len = VIRTIO_BLK_CFG_LEN,
		.cfg_read = virtio_blk_cfg_read,
		.cfg_write = virtio_blk_cfg_write,
		.notify = virtio_blk_notify,
		.reset = virtio_blk_reset,
		.driver_ok = virtio_blk_driver_ok,
	};
}

const struct virtio_dev_ops *virtio_blk_ops(const struct virtio_blk *b)
{
	return &b->wiring.ops;
}

void virtio_blk_attach(struct virtio_blk *b, struct virtio_pci *vp)
{
	b->wiring.vp = vp;
}

/* --- state records (include/devices/snapshot.h) ---------------------------- */

/* A record being written or read, and the features this disk offers (the
 * transport adds VERSION_1), which a record's negotiated ones must be among. */
struct virtio_blk_parts {
	struct virtio_blk_state *st;
	u64 offered;
};

/*
 * Every field of struct virtio_blk_state, in record order. The counters
 * are statistics and failed only makes kicks wait for a reset: any value
 * is safe. The features negotiated must be ones this disk offers, so a
 * record that negotiated VIRTIO_BLK_F_RO does not load into a writable
 * disk. The assert fails when the struct changes size: a field added to
 * the state must be added here too, and VIRTIO_BLK_SNAP_VERSION bumped.
 */
STATIC_ASSERT(sizeof(struct virtio_blk_state) == 56,
	      "struct virtio_blk_state changed: update virtio_blk_fields() and VIRTIO_BLK_SNAP_VERSION");

static void virtio_blk_fields(struct snap *s, void *p)
{
	struct virtio_blk_parts *parts = p;
	struct virtio_blk_state *st = parts->st;

	snap_u64(s, &st->requests);
	snap_u64(s, &st->sectors_read);
	snap_u64(s, &st->sectors_written);
	snap_u64(s, &st->flushes);
	snap_u64(s, &st->errors);
	snap_u64(s, &st->negotiated);
	snap_check(s, !(st->negotiated & ~parts->offered),
		   "the features negotiated are not all ones this disk offers");
	snap_bool(s, &st->failed);
}

static u64 virtio_blk_offered(const struct virtio_blk *b)
{
	return b->wiring.ops.features | VIRTIO_F_VERSION_1;
}

int virtio_blk_save(const struct virtio_blk *b, void *buf, size_t len)
{
	/* The writer only reads the state. */
	struct virtio_blk_parts p = { (struct virtio_blk_state *)&b->state, virtio_blk_offered(b) };

	return snap_save(buf, len, VIRTIO_BLK_SNAP_TAG, VIRTIO_BLK_SNAP_VERSION, virtio_blk_fields,
			 &p, NULL);
}

/* The record goes into a scratch copy; only a good one replaces the state. */
int virtio_blk_load(struct virtio_blk *b, const void *buf, size_t len, bool apply,
		    const char **why)
{
	struct virtio_blk_state st = { 0 };
	struct virtio_blk_parts p = { &st, virtio_blk_offered(b) };
	int err = snap_load(buf, len, VIRTIO_BLK_SNAP_TAG, VIRTIO_BLK_SNAP_VERSION,
			    virtio_blk_fields, &p, why);

	if (err || !apply)
		return err;
	b->state = st;
	return 0;
}
