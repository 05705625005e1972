/*
 * Host tests for devices/virtio_blk.c and devices/backend/blk_ram.c against virtio
 * 1.2 section 5.2: requests built the way a driver builds them, in a fake
 * guest RAM, over the real split virtqueue (devices/virtqueue.c). The PCI
 * transport is faked here: it hands out the queue and counts the
 * used-buffer and needs-reset calls.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio_blk.h"
#include "snap_test.h"

#define RAM_SIZE	(256 * 1024)
#define QSIZE		128
#define DESC_GPA	0x1000		/* QSIZE * 16 bytes */
#define AVAIL_GPA	0x2000
#define USED_GPA	0x3000
#define BUF_GPA		0x8000		/* request buffers from here on */
#define DISK_SECTORS	64
#define DISK_TAIL	100		/* a partial sector the disk must leave out */
#define SECT		512

struct seg {
	u64 gpa;
	u32 len;
	bool writes;			/* device-writable */
};

struct world {
	u8 ram[RAM_SIZE];
	struct guest_mem_ops mem;
	struct vq q;
	bool queue_on;
	struct virtio_pci vp;		/* only its address is used */
	unsigned used_calls, fail_calls;
	const char *fail_why;

	u8 disk[DISK_SECTORS * SECT + DISK_TAIL];
	struct blk_ram ram_disk;
	struct blk_backend be;
	struct blk_backend fault_be;	/* be with errors injected */
	int read_err, write_err, flush_err;
	unsigned flush_calls, io_calls;
	struct virtio_blk blk;

	u16 next_desc, avail_idx;
	u64 next_buf;
	u64 write_fault_gpa;		/* a guest write covering it fails (0: none) */
	struct { u64 gpa; size_t len; } wlog[1024];	/* guest writes, in order */
	unsigned nwlog;
};

static struct world *W;

/* --- the fake transport --------------------------------------------------- */

struct vq *virtio_pci_queue(struct virtio_pci *vp, unsigned q)
{
	assert_ptr_equal(vp, &W->vp);
	return q == 0 && W->queue_on ? &W->q : NULL;
}

void virtio_pci_used(struct virtio_pci *vp, unsigned q)
{
	assert_ptr_equal(vp, &W->vp);
	assert_int_equal(q, 0);
	W->used_calls++;
}

void virtio_pci_fail(struct virtio_pci *vp, const char *why)
{
	assert_ptr_equal(vp, &W->vp);
	assert_non_null(why);
	W->fail_calls++;
	W->fail_why = why;
}

void virtio_pci_config_changed(struct virtio_pci *vp)
{
	fail_msg("virtio-blk has no config change to report");
}

/* --- fake guest RAM --------------------------------------------------------- */

static bool ram_range_ok(u64 gpa, size_t len)
{
	return gpa <= RAM_SIZE && len <= RAM_SIZE - gpa;
}

static int ram_read(void *ctx, u64 gpa, void *buf, size_t len)
{
	struct world *w = ctx;

	if (!ram_range_ok(gpa, len))
		return -EFAULT;
	memcpy(buf, w->ram + gpa, len);
	return 0;
}

static int ram_write(void *ctx, u64 gpa, const void *buf, size_t len)
{
	struct world *w = ctx;

	if (!ram_range_ok(gpa, len))
		return -EFAULT;
	if (w->write_fault_gpa && gpa <= w->write_fault_gpa && w->write_fault_gpa < gpa + len)
		return -EFAULT;
	memcpy(w->ram + gpa, buf, len);
	if (w->nwlog < ARRAY_SIZE(w->wlog))
		w->wlog[w->nwlog++] = (typeof(w->wlog[0])){ gpa, len };
	return 0;
}

static u8 rd8(struct world *w, u64 gpa) { return w->ram[gpa]; }
static u16 rd16(struct world *w, u64 gpa) { u16 v; memcpy(&v, w->ram + gpa, 2); return v; }
static u32 rd32(struct world *w, u64 gpa) { u32 v; memcpy(&v, w->ram + gpa, 4); return v; }
static void wr16(struct world *w, u64 gpa, u16 v) { memcpy(w->ram + gpa, &v, 2); }
static void wr32(struct world *w, u64 gpa, u32 v) { memcpy(w->ram + gpa, &v, 4); }
static void wr64(struct world *w, u64 gpa, u64 v) { memcpy(w->ram + gpa, &v, 8); }

/* --- the backend the device sees ----------------------------------------------
 * fault_be wraps the RAM disk: it checks that the device keeps the backend
 * contract (whole sectors inside the disk, segments adding up), whatever the
 * RAM disk would have caught itself, and injects errors on demand.
 */

static void check_io(struct world *w, const struct blk_io *io)
{
	u64 total = 0;
	unsigned i;

	assert_int_equal(io->bytes % SECT, 0);
	assert_true(io->sector <= w->fault_be.sectors);
	assert_true(io->bytes / SECT <= w->fault_be.sectors - io->sector);
	assert_true(io->nsegs <= VQ_MAX_SEGS);
	assert_ptr_equal(io->mem, &w->mem);
	for (i = 0; i < io->nsegs; i++) {
		assert_true(io->seg[i].len > 0);
		total += io->seg[i].len;
	}
	assert_int_equal(total, io->bytes);
	w->io_calls++;
}

static int fault_read(void *ctx, const struct blk_io *io)
{
	struct world *w = ctx;

	check_io(w, io);
	return w->read_err ? w->read_err : w->be.read(w->be.ctx, io);
}

static int fault_write(void *ctx, const struct blk_io *io)
{
	struct world *w = ctx;

	check_io(w, io);
	assert_false(w->fault_be.readonly);
	return w->write_err ? w->write_err : w->be.write(w->be.ctx, io);
}

static int fault_flush(void *ctx)
{
	struct world *w = ctx;

	w->flush_calls++;
	return w->flush_err ? w->flush_err : w->be.flush(w->be.ctx);
}

/* --- setup ---------------------------------------------------------------- */

static void attach(struct world *w, struct blk_backend *be, const char *serial)
{
	virtio_blk_init(&w->blk, be, serial);
	virtio_blk_attach(&w->blk, &w->vp);
	virtio_blk_ops(&w->blk)->driver_ok(&w->blk, virtio_blk_ops(&w->blk)->features);
}

static void world_open(struct world *w, bool readonly)
{
	unsigned i;

	w->mem = (struct guest_mem_ops){ .read = ram_read, .write = ram_write, .ctx = w };
	w->q.mem = &w->mem;
	w->q.s = (struct vq_state){ .size = QSIZE, .ready = true, .desc = DESC_GPA,
				    .driver = AVAIL_GPA, .device = USED_GPA };
	w->queue_on = true;
	w->next_buf = BUF_GPA;
	for (i = 0; i < sizeof(w->disk); i++)
		w->disk[i] = (u8)(i * 7 + i / SECT);
	assert_int_equal(blk_ram_init(&w->ram_disk, &w->be, w->disk, sizeof(w->disk), readonly), 0);
	w->fault_be = (struct blk_backend){ .sectors = w->be.sectors, .readonly = readonly,
					    .read = fault_read, .write = fault_write,
					    .flush = fault_flush, .ctx = w };
	attach(w, &w->fault_be, "keel-web-0");
	W = w;
}

static int world_setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	world_open(w, false);
	*state = w;
	return 0;
}

static int world_setup_ro(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	world_open(w, true);
	*state = w;
	return 0;
}

static int world_teardown(void **state)
{
	free(*state);
	W = NULL;
	return 0;
}

/* --- the driver side ---------------------------------------------------------- */

/* A fresh guest buffer of len bytes, filled with fill. */
static u64 buf(struct world *w, u32 len, u8 fill)
{
	u64 gpa = w->next_buf;

	w->next_buf = ALIGN_UP(gpa + len, 16);
	assert_true(w->next_buf <= RAM_SIZE);
	memset(w->ram + gpa, fill, len);
	return gpa;
}

/* Put a chain in the descriptor table and offer it on the available ring. */
static u16 add_chain(struct world *w, const struct seg *s, unsigned n)
{
	u16 head = w->next_desc;
	unsigned i;

	for (i = 0; i < n; i++) {
		u16 idx = (head + i) % QSIZE;
		u64 d = DESC_GPA + 16ull * idx;

		wr64(w, d, s[i].gpa);
		wr32(w, d + 8, s[i].len);
		wr16(w, d + 12, (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0) |
				(s[i].writes ? VIRTQ_DESC_F_WRITE : 0));
		wr16(w, d + 14, (idx + 1) % QSIZE);
	}
	w->next_desc = (head + n) % QSIZE;
	wr16(w, AVAIL_GPA + 4 + 2 * (w->avail_idx % QSIZE), head);
	w->avail_idx++;
	wr16(w, AVAIL_GPA + 2, w->avail_idx);
	return head;
}

/* The request header in a guest buffer of its own. */
static u64 header(struct world *w, u32 type, u64 sector)
{
	u64 h = buf(w, VIRTIO_BLK_HDR_LEN, 0);

	wr32(w, h, type);
	wr64(w, h + 8, sector);
	return h;
}

/*
 * Queue header, data segments and a status byte (preset to 0xee), one
 * descriptor each, as Linux does; returns the status byte's address.
 */
static u64 queue_req(struct world *w, u32 type, u64 sector, const struct seg *data, unsigned n)
{
	struct seg s[QSIZE];
	u64 status = buf(w, 1, 0xee);
	unsigned i;

	assert_true(n + 2 <= QSIZE);
	s[0] = (struct seg){ header(w, type, sector), VIRTIO_BLK_HDR_LEN, false };
	for (i = 0; i < n; i++)
		s[i + 1] = data[i];
	s[n + 1] = (struct seg){ status, 1, true };
	add_chain(w, s, n + 2);
	return status;
}

static void kick(struct world *w)
{
	virtio_blk_ops(&w->blk)->notify(&w->blk, 0);
}

static u16 used_idx(struct world *w)
{
	return rd16(w, USED_GPA + 2);
}

static u32 used_id(struct world *w, unsigned i)
{
	return rd32(w, USED_GPA + 4 + 8 * (i % QSIZE));
}

static u32 used_len(struct world *w, unsigned i)
{
	return rd32(w, USED_GPA + 8 + 8 * (i % QSIZE));
}

static u32 cfg(struct world *w, unsigned off, unsigned size)
{
	return virtio_blk_ops(&w->blk)->cfg_read(&w->blk, off, size);
}

/* Queue one request, kick, and check it completed alone; returns its status. */
static u8 run_one(struct world *w, u32 type, u64 sector, const struct seg *data, unsigned n,
		  u32 want_used_len)
{
	u16 before = used_idx(w);
	u64 status = queue_req(w, type, sector, data, n);

	kick(w);
	assert_int_equal(w->fail_calls, 0);
	assert_int_equal(used_idx(w), (u16)(before + 1));
	assert_int_equal(used_len(w, before), want_used_len);
	return rd8(w, status);
}

/* --- tests ------------------------------------------------------------------- */

static void test_ops_and_config(void **state)
{
	struct world *w = *state;
	const struct virtio_dev_ops *ops = virtio_blk_ops(&w->blk);

	assert_int_equal(ops->device_id, 2);
	assert_int_equal(ops->nqueues, 1);
	assert_true(ops->queue_max && ops->queue_max <= VQ_MAX_SIZE);
	assert_int_equal(ops->queue_max & (ops->queue_max - 1), 0);
	assert_int_equal(ops->features, VIRTIO_BLK_F_SIZE_MAX | VIRTIO_BLK_F_SEG_MAX |
					VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH |
					BIT(28) /* VIRTIO_F_INDIRECT_DESC */);
	assert_int_equal(ops->cfg_len, 0x24);

	/* The partial last sector of the image is not part of the disk. */
	assert_int_equal(w->be.sectors, DISK_SECTORS);
	assert_int_equal(cfg(w, 0, 4), DISK_SECTORS);
	assert_int_equal(cfg(w, 4, 4), 0);
	assert_int_equal(cfg(w, 0, 1), DISK_SECTORS);
	assert_int_equal(cfg(w, 8, 4), 32 * 1024);		/* size_max */
	assert_int_equal(cfg(w, 12, 4), VQ_MAX_SEGS - 2);	/* seg_max */
	assert_int_equal(cfg(w, 16, 4), 0);			/* geometry: not offered */
	assert_int_equal(cfg(w, 20, 4), 512);			/* blk_size */
	assert_int_equal(cfg(w, 21, 2), 2);			/* unaligned: bytes 21, 22 */
	assert_int_equal(cfg(w, 0x22, 2), 1);			/* num_queues */
	/* Beyond the fields, or wider than 4 bytes: 0. */
	assert_int_equal(cfg(w, 0x23, 4), 0);
	assert_int_equal(cfg(w, 0x24, 1), 0);
	assert_int_equal(cfg(w, 0xffffffffu, 4), 0);
	assert_int_equal(cfg(w, 0, 8), 0);
	/* Nothing is writable. */
	ops->cfg_write(&w->blk, 0, 4, 0x12345678);
	ops->cfg_write(&w->blk, 0x20, 1, 1);
	assert_int_equal(cfg(w, 0, 4), DISK_SECTORS);
	assert_int_equal(cfg(w, 0x20, 1), 0);
}

static void test_large_capacity(void **state)
{
	struct world *w = *state;
	struct blk_backend big = w->be;

	big.sectors = 0x123456789abull;
	attach(w, &big, NULL);
	assert_int_equal(cfg(w, 0, 4), 0x456789ab);
	assert_int_equal(cfg(w, 4, 4), 0x123);
	assert_int_equal(cfg(w, 2, 4), 0x01234567);
}

static void test_write_read_round_trip(void **state)
{
	struct world *w = *state;
	u64 src = buf(w, 2 * SECT, 0);
	u64 dst = buf(w, 2 * SECT, 0x55);
	struct seg out = { src, 2 * SECT, false };
	struct seg in = { dst, 2 * SECT, true };
	unsigned i;

	for (i = 0; i < 2 * SECT; i++)
		w->ram[src + i] = (u8)(i ^ 0xa5);
	assert_int_equal(run_one(w, VIRTIO_BLK_T_OUT, 5, &out, 1, 1), VIRTIO_BLK_S_OK);
	assert_memory_equal(w->disk + 5 * SECT, w->ram + src, 2 * SECT);
	/* The neighbouring sectors are untouched. */
	assert_int_equal(w->disk[5 * SECT - 1], (u8)((5 * SECT - 1) * 7 + 4));
	assert_int_equal(w->disk[7 * SECT], (u8)(7 * SECT * 7 + 7));

	assert_int_equal(run_one(w, VIRTIO_BLK_T_IN, 5, &in, 1, 2 * SECT + 1), VIRTIO_BLK_S_OK);
	assert_memory_equal(w->ram + dst, w->ram + src, 2 * SECT);

	/* The last sector of the disk reads too. */
	in.len = SECT;
	assert_int_equal(run_one(w, VIRTIO_BLK_T_IN, DISK_SECTORS - 1, &in, 1, SECT + 1),
			 VIRTIO_BLK_S_OK);
	assert_memory_equal(w->ram + dst, w->disk + (DISK_SECTORS - 1) * SECT, SECT);

	assert_int_equal(w->blk.state.requests, 3);
	assert_int_equal(w->blk.state.sectors_written, 2);
	assert_int_equal(w->blk.state.sectors_read, 3);
	assert_int_equal(w->blk.state.errors, 0);
	assert_int_equal(w->used_calls, 3);
}

/*
 * The driver may frame a request any way it likes (2.6.4): header and data
 * in one descriptor, data and status in one, a header cut in two, sectors
 * cut across descriptors.
 */
static void test_any_framing(void **state)
{
	struct world *w = *state;
	u64 a = buf(w, VIRTIO_BLK_HDR_LEN + SECT, 0);
	u64 h2 = buf(w, 16, 0);
	u64 b1 = buf(w, 100, 0), b2 = buf(w, 412, 0), b3 = buf(w, SECT + 1, 0xee);
	struct seg s[5];
	unsigned i;

	/* OUT: header and one sector in a single readable descriptor. */
	wr32(w, a, VIRTIO_BLK_T_OUT);
	wr64(w, a + 8, 9);
	for (i = 0; i < SECT; i++)
		w->ram[a + 16 + i] = (u8)(0x30 + i);
	s[0] = (struct seg){ a, VIRTIO_BLK_HDR_LEN + SECT, false };
	s[1] = (struct seg){ h2, 1, true };
	w->ram[h2] = 0xee;
	add_chain(w, s, 2);
	kick(w);
	assert_int_equal(rd8(w, h2), VIRTIO_BLK_S_OK);
	assert_int_equal(used_len(w, 0), 1);
	assert_memory_equal(w->disk + 9 * SECT, w->ram + a + 16, SECT);

	/* IN of two sectors: header cut 5 + 11, data over 100 + 412 + 512 with
	 * the status byte sharing the last descriptor. */
	wr32(w, a, VIRTIO_BLK_T_IN);
	wr64(w, a + 8, 8);
	s[0] = (struct seg){ a, 5, false };
	s[1] = (struct seg){ a + 5, 11, false };
	s[2] = (struct seg){ b1, 100, true };
	s[3] = (struct seg){ b2, 412, true };
	s[4] = (struct seg){ b3, SECT + 1, true };
	add_chain(w, s, 5);
	kick(w);
	assert_int_equal(w->fail_calls, 0);
	assert_int_equal(used_idx(w), 2);
	assert_int_equal(used_len(w, 1), 2 * SECT + 1);
	assert_int_equal(rd8(w, b3 + SECT), VIRTIO_BLK_S_OK);
	assert_memory_equal(w->ram + b1, w->disk + 8 * SECT, 100);
	assert_memory_equal(w->ram + b2, w->disk + 8 * SECT + 100, 412);
	assert_memory_equal(w->ram + b3, w->disk + 9 * SECT, SECT);
}

/* The most segments the config allows: seg_max data descriptors. */
static void test_seg_max_request(void **state)
{
	struct world *w = *state;
	struct seg d[VQ_MAX_SEGS - 2];
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(d); i++)
		d[i] = (struct seg){ buf(w, SECT / 4, 0x11), SECT / 4, true };
	/* 126 quarter sectors are not whole sectors: cut to 124. */
	assert_int_equal(run_one(w, VIRTIO_BLK_T_IN, 0, d, ARRAY_SIZE(d), 1), VIRTIO_BLK_S_IOERR);
	assert_int_equal(run_one(w, VIRTIO_BLK_T_IN, 1, d, 124, 31 * SECT + 1), VIRTIO_BLK_S_OK);
	for (i = 0; i < 124; i++)
		assert_memory_equal(w->ram + d[i].gpa, w->disk + SECT + i * SECT / 4, SECT / 4);
	assert_int_equal(w->ram[d[124].gpa], 0x11);
}

/* A request in an indirect descriptor table, as Linux sends them. */
static void test_indirect_request(void **state)
{
	struct world *w = *state;
	u64 table = buf(w, 3 * 16, 0);
	u64 h = header(w, VIRTIO_BLK_T_IN, 6);
	u64 d = buf(w, SECT, 0), st = buf(w, 1, 0xee);
	struct seg s = { table, 3 * 16, false };
	const struct seg in[3] = { { h, 16, false }, { d, SECT, true }, { st, 1, true } };
	unsigned i;

	for (i = 0; i < 3; i++) {
		wr64(w, table + 16 * i, in[i].gpa);
		wr32(w, table + 16 * i + 8, in[i].len);
		wr16(w, table + 16 * i + 12, (i < 2 ? VIRTQ_DESC_F_NEXT : 0) |
					     (in[i].writes ? VIRTQ_DESC_F_WRITE : 0));
		wr16(w, table + 16 * i + 14, i + 1);
	}
	add_chain(w, &s, 1);
	wr16(w, DESC_GPA + 12, VIRTQ_DESC_F_INDIRECT);
	kick(w);
	assert_int_equal(w->fail_calls, 0);
	assert_int_equal(used_idx(w), 1);
	assert_int_equal(used_len(w, 0), SECT + 1);
	assert_int_equal(rd8(w, st), VIRTIO_BLK_S_OK);
	assert_memory_equal(w->ram + d, w->disk + 6 * SECT, SECT);
}

static void test_flush(void **state)
{
	struct world *w = *state;
	struct seg d = { buf(w, SECT, 0), SECT, false };

	assert_int_equal(run_one(w, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, 1), VIRTIO_BLK_S_OK);
	assert_int_equal(w->blk.state.flushes, 1);
	/* The sector field of a flush means nothing. */
	assert_int_equal(run_one(w, VIRTIO_BLK_T_FLUSH, ~0ull, NULL, 0, 1), VIRTIO_BLK_S_OK);
	/* A flush carries no data. */
	assert_int_equal(run_one(w, VIRTIO_BLK_T_FLUSH, 0, &d, 1, 1), VIRTIO_BLK_S_IOERR);
	d.writes = true;
	assert_int_equal(run_one(w, VIRTIO_BLK_T_FLUSH, 0, &d, 1, 1), VIRTIO_BLK_S_IOERR);
	assert_int_equal(w->blk.state.errors, 2);

	/* Only the two good flushes reached the backend; a failing one is an I/O error. */
	assert_int_equal(w->flush_calls, 2);
	w->flush_err = -EIO;
	assert_int_equal(run_one(w, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, 1), VIRTIO_BLK_S_IOERR);
	assert_int_equal(w->flush_calls, 3);
	assert_int_equal(w->blk.state.flushes, 3);
}

static void test_get_id(void **state)
{
	struct world *w = *state;
	struct seg d = { buf(w, 24, 0xcc), 20, true };
	char want[20] = "keel-web-0";

	assert_int_equal(run_one(w, VIRTIO_BLK_T_GET_ID, 0, &d, 1, 21), VIRTIO_BLK_S_OK);
	assert_memory_equal(w->ram + d.gpa, want, 20);	/* NUL-padded */
	assert_int_equal(w->ram[d.gpa + 20], 0xcc);

	/* Exactly 20 characters: no NUL; longer: cut to 20. */
	attach(w, &w->fault_be, "0123456789abcdefghijKLM");
	assert_int_equal(run_one(w, VIRTIO_BLK_T_GET_ID, 0, &d, 1, 21), VIRTIO_BLK_S_OK);
	assert_memory_equal(w->ram + d.gpa, "0123456789abcdefghij", 20);
	assert_int_equal(w->ram[d.gpa + 20], 0xcc);

	/* A short buffer gets a cut serial; a long one only 20 bytes. */
	memset(w->ram + d.gpa, 0xcc, 24);
	d.len = 6;
	assert_int_equal(run_one(w, VIRTIO_BLK_T_GET_ID, 0, &d, 1, 7), VIRTIO_BLK_S_OK);
	assert_memory_equal(w->ram + d.gpa, "012345\xcc", 7);
	d.len = 24;
	assert_int_equal(run_one(w, VIRTIO_BLK_T_GET_ID, 0, &d, 1, 21), VIRTIO_BLK_S_OK);
	assert_int_equal(w->ram[d.gpa + 20], 0xcc);

	/* No serial: 20 NULs. GET_ID with readable data: I/O error. */
	attach(w, &w->fault_be, NULL);
	d.len = 20;
	assert_int_equal(run_one(w, VIRTIO_BLK_T_GET_ID, 0, &d, 1, 21), VIRTIO_BLK_S_OK);
	assert_memory_equal(w->ram + d.gpa, (char[20]){ 0 }, 20);
	d.writes = false;
	assert_int_equal(run_one(w, VIRTIO_BLK_T_GET_ID, 0, &d, 1, 1), VIRTIO_BLK_S_IOERR);
}

static void test_out_of_range(void **state)
{
	struct world *w = *state;
	u64 dst = buf(w, 2 * SECT, 0x77);
	struct seg in = { dst, SECT, true };
	struct seg out = { dst, 2 * SECT, false };
	u8 disk[sizeof(w->disk)];

	memcpy(disk, w->disk, sizeof(disk));
	assert_int_equal(run_one(w, VIRTIO_BLK_T_IN, DISK_SECTORS, &in, 1, 1), VIRTIO_BLK_S_IOERR);
	/* Nothing of the partial tail sector leaks out. */
	assert_int_equal(w->ram[dst], 0x77);
	assert_int_equal(run_one(w, VIRTIO_BLK_T_OUT, DISK_SECTORS - 1, &out, 1, 1),
			 VIRTIO_BLK_S_IOERR);
	/* sector + count wrapping around 2^64 */
	in.len = 2 * SECT;
	assert_int_equal(run_one(w, VIRTIO_BLK_T_IN, ~0ull, &in, 1, 1), VIRTIO_BLK_S_IOERR);
	assert_int_equal(run_one(w, VIRTIO_BLK_T_OUT, ~0ull - 1, &out, 1, 1), VIRTIO_BLK_S_IOERR);
	assert_int_equal(run_one(w, VIRTIO_BLK_T_OUT, 1ull << 55, &out, 1, 1), VIRTIO_BLK_S_IOERR);
	assert_memory_equal(w->disk, disk, sizeof(disk));
	assert_int_equal(w->ram[dst + SECT], 0x77);
	assert_int_equal(w->blk.state.errors, 5);
	assert_int_equal(w->blk.state.sectors_read + w->blk.state.sectors_written, 0);
	assert_int_equal(w->io_calls, 0);	/* refused before the backend */

	/* A transfer of no sectors at the very end is in range. */
	assert_int_equal(run_one(w, VIRTIO_BLK_T_IN, DISK_SECTORS, NULL, 0, 1), VIRTIO_BLK_S_OK);
	assert_int_equal(run_one(w, VIRTIO_BLK_T_IN, DISK_SECTORS + 1, NULL, 0, 1),
			 VIRTIO_BLK_S_IOERR);
}

static void test_read_only(void **state)
{
	struct world *w = *state;
	u64 src = buf(w, SECT, 0x99);
	struct seg out = { src, SECT, false };
	struct seg in = { src, SECT, true };
	u8 disk[sizeof(w->disk)];

	assert_true(virtio_blk_ops(&w->blk)->features & VIRTIO_BLK_F_RO);
	memcpy(disk, w->disk, sizeof(disk));
	assert_int_equal(run_one(w, VIRTIO_BLK_T_OUT, 0, &out, 1, 1), VIRTIO_BLK_S_IOERR);
	assert_memory_equal(w->disk, disk, sizeof(disk));
	assert_int_equal(w->blk.state.sectors_written, 0);
	assert_int_equal(w->io_calls, 0);
	/* Reads and flushes still work. */
	assert_int_equal(run_one(w, VIRTIO_BLK_T_IN, 3, &in, 1, SECT + 1), VIRTIO_BLK_S_OK);
	assert_memory_equal(w->ram + src, disk + 3 * SECT, SECT);
	assert_int_equal(run_one(w, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, 1), VIRTIO_BLK_S_OK);
	/* blk_ram gives a read-only disk no write function at all. */
	assert_null(w->be.write);
}

static void test_bad_lengths(void **state)
{
	struct world *w = *state;
	u64 b = buf(w, 2 * SECT, 0x44);
	struct seg d = { b, SECT - 1, true };
	struct seg two[2] = { { b, SECT, true }, { b + SECT, 1, true } };
	u8 disk[sizeof(w->disk)];

	memcpy(disk, w->disk, sizeof(disk));
	assert_int_equal(run_one(w, VIRTIO_BLK_T_IN, 0, &d, 1, 1), VIRTIO_BLK_S_IOERR);
	assert_int_equal(run_one(w, VIRTIO_BLK_T_IN, 0, two, 2, 1), VIRTIO_BLK_S_IOERR);
	assert_int_equal(w->ram[b], 0x44);
	d = (struct seg){ b, SECT + 1, false };
	assert_int_equal(run_one(w, VIRTIO_BLK_T_OUT, 0, &d, 1, 1), VIRTIO_BLK_S_IOERR);
	d.len = 1;
	assert_int_equal(run_one(w, VIRTIO_BLK_T_OUT, 0, &d, 1, 1), VIRTIO_BLK_S_IOERR);
	assert_memory_equal(w->disk, disk, sizeof(disk));
	assert_int_equal(w->blk.state.errors, 4);
	assert_int_equal(w->io_calls, 0);
}

/* Data in the direction the type does not call for is an I/O error. */
static void test_wrong_directions(void **state)
{
	struct world *w = *state;
	u64 b = buf(w, 2 * SECT, 0x44);
	struct seg in_with_out[2] = { { b, SECT, false }, { b + SECT, SECT, true } };
	struct seg out_with_in[2] = { { b, SECT, false }, { b + SECT, SECT, true } };
	struct seg readable = { b, SECT, false };
	u8 disk[sizeof(w->disk)];

	memcpy(disk, w->disk, sizeof(disk));
	assert_int_equal(run_one(w, VIRTIO_BLK_T_IN, 0, in_with_out, 2, 1), VIRTIO_BLK_S_IOERR);
	assert_int_equal(run_one(w, VIRTIO_BLK_T_IN, 0, &readable, 1, 1), VIRTIO_BLK_S_IOERR);
	assert_int_equal(w->ram[b + SECT], 0x44);
	assert_int_equal(run_one(w, VIRTIO_BLK_T_OUT, 0, out_with_in, 2, 1), VIRTIO_BLK_S_IOERR);
	assert_memory_equal(w->disk, disk, sizeof(disk));
	assert_int_equal(w->io_calls, 0);
}

static void test_unsupported_types(void **state)
{
	struct world *w = *state;
	static const u32 types[] = {
		VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_T_WRITE_ZEROES, VIRTIO_BLK_T_SECURE_ERASE,
		VIRTIO_BLK_T_GET_LIFETIME, 2, 0x80000001u, 0xffffffffu,
	};
	struct seg d = { buf(w, SECT, 0), SECT, false };
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(types); i++)
		assert_int_equal(run_one(w, types[i], 0, &d, 1, 1), VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(w->blk.state.errors, ARRAY_SIZE(types));
	assert_int_equal(w->blk.state.requests, ARRAY_SIZE(types));
}

/*
 * The status byte is written after the data, and the used ring after the
 * status: a driver polling the status never sees it before its data.
 */
static void test_status_written_last(void **state)
{
	struct world *w = *state;
	u64 d1 = buf(w, SECT, 0), d2 = buf(w, SECT, 0);
	struct seg d[2] = { { d1, SECT, true }, { d2, SECT, true } };
	u64 status = queue_req(w, VIRTIO_BLK_T_IN, 2, d, 2);
	unsigned i, st = ~0u, data_last = 0, entry = ~0u, idx = ~0u;

	w->nwlog = 0;
	kick(w);
	assert_int_equal(rd8(w, status), VIRTIO_BLK_S_OK);
	for (i = 0; i < w->nwlog; i++) {
		u64 gpa = w->wlog[i].gpa, end = gpa + w->wlog[i].len;

		if (gpa == status)
			st = i;
		else if (gpa >= d1 && gpa < d2 + SECT)
			data_last = i;
		if (gpa <= USED_GPA + 4 && USED_GPA + 4 < end)
			entry = i;	/* used->ring[0] */
		if (gpa <= USED_GPA + 2 && USED_GPA + 2 < end)
			idx = i;	/* used->idx */
	}
	assert_int_not_equal(st, ~0u);
	assert_true(data_last < st);
	assert_true(entry != ~0u && st < entry);
	assert_true(idx != ~0u && st < idx);
}

static void test_many_requests_one_kick(void **state)
{
	struct world *w = *state;
	u64 b = buf(w, 3 * SECT, 0);
	struct seg out = { b, SECT, false };
	struct seg in = { b + SECT, 2 * SECT, true };
	u64 s1, s2, s3;

	memset(w->ram + b, 0x5a, SECT);
	s1 = queue_req(w, VIRTIO_BLK_T_OUT, 4, &out, 1);
	s2 = queue_req(w, VIRTIO_BLK_T_IN, 3, &in, 1);
	s3 = queue_req(w, 99, 0, NULL, 0);
	kick(w);
	assert_int_equal(w->used_calls, 1);
	assert_int_equal(used_idx(w), 3);
	assert_int_equal(used_id(w, 0), 0);
	assert_int_equal(used_id(w, 1), 3);
	assert_int_equal(used_id(w, 2), 6);
	assert_int_equal(used_len(w, 0), 1);
	assert_int_equal(used_len(w, 1), 2 * SECT + 1);
	assert_int_equal(used_len(w, 2), 1);
	assert_int_equal(rd8(w, s1), VIRTIO_BLK_S_OK);
	assert_int_equal(rd8(w, s2), VIRTIO_BLK_S_OK);
	assert_int_equal(rd8(w, s3), VIRTIO_BLK_S_UNSUPP);
	/* The read after the write in the same kick sees the written sector. */
	assert_memory_equal(w->ram + b + 2 * SECT, w->ram + b, SECT);

	/* A kick with nothing new neither pushes nor interrupts. */
	kick(w);
	assert_int_equal(w->used_calls, 1);
	assert_int_equal(used_idx(w), 3);
}

/* Kicks the device must ignore: another queue, a queue not running. */
static void test_ignored_kicks(void **state)
{
	struct world *w = *state;
	u64 status = queue_req(w, VIRTIO_BLK_T_FLUSH, 0, NULL, 0);

	virtio_blk_ops(&w->blk)->notify(&w->blk, 1);
	virtio_blk_ops(&w->blk)->notify(&w->blk, 0xffffffffu);
	w->queue_on = false;
	kick(w);
	assert_int_equal(used_idx(w), 0);
	assert_int_equal(rd8(w, status), 0xee);
	w->queue_on = true;
	kick(w);
	assert_int_equal(used_idx(w), 1);
	assert_int_equal(rd8(w, status), VIRTIO_BLK_S_OK);
}

/* Queue a chain that breaks the framing, kick, and expect needs-reset. */
static void expect_fail(struct world *w, const struct seg *s, unsigned n)
{
	u16 before = used_idx(w);

	add_chain(w, s, n);
	kick(w);
	assert_int_equal(w->fail_calls, 1);
	assert_int_equal(used_idx(w), before);
	assert_int_equal(w->used_calls, 0);
	assert_true(w->blk.state.failed);
}

static void test_malformed_short_header(void **state)
{
	struct world *w = *state;
	u64 h = header(w, VIRTIO_BLK_T_IN, 0);
	u64 st = buf(w, 1, 0xee);
	struct seg s[2] = { { h, 15, false }, { st, 1, true } };

	expect_fail(w, s, 2);
	assert_int_equal(rd8(w, st), 0xee);
	assert_int_equal(w->blk.state.requests, 0);
}

static void test_malformed_no_status(void **state)
{
	struct world *w = *state;
	u64 h = header(w, VIRTIO_BLK_T_OUT, 0);
	u64 d = buf(w, SECT, 0x12);
	struct seg s[2] = { { h, 16, false }, { d, SECT, false } };
	u8 disk[sizeof(w->disk)];

	memcpy(disk, w->disk, sizeof(disk));
	expect_fail(w, s, 2);
	assert_memory_equal(w->disk, disk, sizeof(disk));
}

/* A chain the virtqueue rejects: a buffer outside guest RAM. */
static void test_malformed_chain(void **state)
{
	struct world *w = *state;
	u64 h = header(w, VIRTIO_BLK_T_IN, 0);
	u64 st = buf(w, 1, 0xee);
	struct seg s[3] = { { h, 16, false }, { RAM_SIZE - 256, SECT, true }, { st, 1, true } };

	expect_fail(w, s, 3);
	assert_int_equal(rd8(w, st), 0xee);
}

/*
 * After needs-reset the device leaves the queue alone, even with good
 * requests on it, until the driver resets it; then it works again.
 */
static void test_fail_until_reset(void **state)
{
	struct world *w = *state;
	u64 h = header(w, VIRTIO_BLK_T_IN, 0);
	struct seg bad = { h, 8, false };
	u64 st;

	expect_fail(w, &bad, 1);
	st = queue_req(w, VIRTIO_BLK_T_FLUSH, 0, NULL, 0);
	kick(w);
	assert_int_equal(w->fail_calls, 1);
	assert_int_equal(rd8(w, st), 0xee);
	assert_int_equal(used_idx(w), 0);

	/* The transport resets the device and the driver sets the queue up afresh. */
	virtio_blk_ops(&w->blk)->reset(&w->blk);
	assert_false(w->blk.state.failed);
	assert_int_equal(w->blk.state.negotiated, 0);
	memset(w->ram + AVAIL_GPA, 0, 0x2000);
	w->q.s.last_avail = w->q.s.used_idx = 0;
	w->avail_idx = 0;
	w->fail_calls = 0;
	virtio_blk_ops(&w->blk)->driver_ok(&w->blk, VIRTIO_BLK_F_FLUSH | VIRTIO_F_VERSION_1);
	assert_int_equal(w->blk.state.negotiated, VIRTIO_BLK_F_FLUSH | VIRTIO_F_VERSION_1);
	assert_int_equal(run_one(w, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, 1), VIRTIO_BLK_S_OK);
}

/* Requests done before the broken one in the same kick still complete. */
static void test_fail_after_good_requests(void **state)
{
	struct world *w = *state;
	u64 st = queue_req(w, VIRTIO_BLK_T_FLUSH, 0, NULL, 0);
	struct seg bad = { header(w, VIRTIO_BLK_T_FLUSH, 0), 16, false };

	add_chain(w, &bad, 1);
	kick(w);
	assert_int_equal(rd8(w, st), VIRTIO_BLK_S_OK);
	assert_int_equal(used_idx(w), 1);
	assert_int_equal(w->used_calls, 1);
	assert_int_equal(w->fail_calls, 1);
}

/* Guest memory that stops being RAM under a request: needs-reset. */
static void test_status_byte_fault(void **state)
{
	struct world *w = *state;
	u64 st = queue_req(w, VIRTIO_BLK_T_FLUSH, 0, NULL, 0);

	w->write_fault_gpa = st;
	kick(w);
	assert_int_equal(w->fail_calls, 1);
	assert_int_equal(used_idx(w), 0);
}

static void test_backend_errors(void **state)
{
	struct world *w = *state;
	u64 b = buf(w, SECT, 0x66);
	struct seg in = { b, SECT, true }, out = { b, SECT, false };

	assert_int_equal(run_one(w, VIRTIO_BLK_T_IN, 1, &in, 1, SECT + 1), VIRTIO_BLK_S_OK);
	/* A disk error is the guest's I/O error ... */
	w->read_err = -EIO;
	w->write_err = -ENOSPC;
	assert_int_equal(run_one(w, VIRTIO_BLK_T_IN, 1, &in, 1, 1), VIRTIO_BLK_S_IOERR);
	assert_int_equal(run_one(w, VIRTIO_BLK_T_OUT, 1, &out, 1, 1), VIRTIO_BLK_S_IOERR);
	assert_int_equal(w->blk.state.errors, 2);
	assert_int_equal(w->blk.state.sectors_read, 1);
	assert_int_equal(w->blk.state.sectors_written, 0);
	/* ... a buffer the backend could not reach is a broken driver. */
	w->read_err = -EFAULT;
	queue_req(w, VIRTIO_BLK_T_IN, 1, &in, 1);
	kick(w);
	assert_int_equal(w->fail_calls, 1);
}

/* The RAM backend on its own: geometry and its own range checks. */
static void test_blk_ram(void **state)
{
	struct world *w = *state;
	struct blk_ram r;
	struct blk_backend be;
	u8 img[3 * SECT];
	struct blk_seg seg = { BUF_GPA, SECT };
	struct blk_io io = { .sector = 2, .bytes = SECT, .nsegs = 1, .seg = &seg, .mem = &w->mem };

	assert_int_equal(blk_ram_init(&r, &be, NULL, SECT, false), -EINVAL);
	assert_int_equal(blk_ram_init(&r, &be, img, SECT - 1, false), 0);
	assert_int_equal(be.sectors, 0);
	assert_int_equal(blk_ram_init(&r, &be, img, sizeof(img), false), 0);
	assert_int_equal(be.sectors, 3);
	assert_false(be.readonly);
	assert_non_null(be.write);

	memset(img, 0xab, sizeof(img));
	assert_int_equal(be.read(be.ctx, &io), 0);
	assert_int_equal(w->ram[BUF_GPA + SECT - 1], 0xab);
	io.sector = 3;
	assert_int_equal(be.read(be.ctx, &io), -EIO);
	io.sector = ~0ull;
	assert_int_equal(be.write(be.ctx, &io), -EIO);
	/* Segments that do not add up to the byte count. */
	io.sector = 0;
	seg.len = SECT + 1;
	assert_int_equal(be.write(be.ctx, &io), -EIO);
	seg.len = SECT - 1;
	assert_int_equal(be.write(be.ctx, &io), -EIO);
	io.bytes = SECT - 1;
	assert_int_equal(be.write(be.ctx, &io), -EIO);
	/* A segment outside guest RAM. */
	seg = (struct blk_seg){ RAM_SIZE - 1, SECT };
	io.bytes = SECT;
	assert_int_equal(be.read(be.ctx, &io), -EFAULT);
	assert_int_equal(be.flush(be.ctx), 0);
}

/* --- the state record --------------------------------------------------------- */

#define REC_MAX 256

static int blk_load(void *dev, const void *buf, size_t len, bool apply, const char **why)
{
	return virtio_blk_load(dev, buf, len, apply, why);
}

/* A disk that has served a write, a read, a flush and one out of range. */
static void busy(struct world *w)
{
	u64 d = buf(w, SECT, 0x77);
	struct seg out = { d, SECT, false }, in = { d, SECT, true };

	assert_int_equal(run_one(w, VIRTIO_BLK_T_OUT, 3, &out, 1, 1), VIRTIO_BLK_S_OK);
	assert_int_equal(run_one(w, VIRTIO_BLK_T_IN, 3, &in, 1, SECT + 1), VIRTIO_BLK_S_OK);
	assert_int_equal(run_one(w, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, 1), VIRTIO_BLK_S_OK);
	assert_int_equal(run_one(w, VIRTIO_BLK_T_IN, DISK_SECTORS, &in, 1, 1), VIRTIO_BLK_S_IOERR);
}

/*
 * Another disk like w's, where a restore would put w's device: the guest
 * RAM copied (the memory half of a snapshot), the queue as the transport's
 * record restores it, the driver's bookkeeping of the ring carried over.
 * The fake transport answers for it from now on.
 */
static struct world *twin(struct world *w, bool readonly)
{
	struct world *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	world_open(t, readonly);
	memcpy(t->ram, w->ram, sizeof(t->ram));
	t->q.s = w->q.s;
	t->next_desc = w->next_desc;
	t->avail_idx = w->avail_idx;
	t->next_buf = w->next_buf;
	return t;
}

static int save(const struct world *w, u8 *rec)
{
	int n = virtio_blk_save(&w->blk, rec, REC_MAX);

	assert_true(n > SNAP_HDR_LEN);
	return n;
}

/* Saved, loaded into another disk, saved again: the same bytes. */
static void test_record_round_trip(void **state)
{
	struct world *w = *state, *t;
	u8 a[REC_MAX], b[REC_MAX];
	const char *why = "unset";
	int n;

	busy(w);
	n = save(w, a);
	assert_int_equal(virtio_blk_save(&w->blk, a, (size_t)n - 1), -ENOSPC);
	t = twin(w, false);
	assert_int_equal(virtio_blk_load(&t->blk, a, (size_t)n, true, &why), 0);
	assert_null(why);
	assert_int_equal(save(t, b), n);
	assert_memory_equal(a, b, (size_t)n);
	assert_memory_equal(&t->blk.state, &w->blk.state, sizeof(w->blk.state));
	free(t);
}

/* The restored disk serves the next request from the next available
 * entry into the next used one, and its counters go on from the saved. */
static void test_record_queue_goes_on(void **state)
{
	struct world *w = *state, *t;
	u8 rec[REC_MAX];
	u64 d;
	struct seg in;
	int n;

	busy(w);
	n = save(w, rec);
	t = twin(w, false);
	assert_int_equal(virtio_blk_load(&t->blk, rec, (size_t)n, true, &(const char *){ NULL }), 0);
	d = buf(t, SECT, 0);
	in = (struct seg){ d, SECT, true };
	assert_int_equal(run_one(t, VIRTIO_BLK_T_IN, 10, &in, 1, SECT + 1), VIRTIO_BLK_S_OK);
	assert_int_equal(used_idx(t), 5);
	assert_int_equal(used_id(t, 4), t->next_desc - 3);	/* the request's head */
	assert_memory_equal(t->ram + d, t->disk + 10 * SECT, SECT);
	assert_int_equal(t->blk.state.requests, 5);
	assert_int_equal(t->blk.state.sectors_read, 2);
	assert_int_equal(t->blk.state.errors, 1);
	free(t);
}

/* A disk saved after it gave up on its driver waits for the reset too. */
static void test_record_failed_waits_for_reset(void **state)
{
	struct world *w = *state, *t;
	struct seg bad = { header(w, VIRTIO_BLK_T_IN, 0), 8, false };
	u8 rec[REC_MAX];
	u64 st;
	int n;

	expect_fail(w, &bad, 1);
	n = save(w, rec);
	t = twin(w, false);
	assert_int_equal(virtio_blk_load(&t->blk, rec, (size_t)n, true, &(const char *){ NULL }), 0);
	st = queue_req(t, VIRTIO_BLK_T_FLUSH, 0, NULL, 0);
	kick(t);
	assert_int_equal(rd8(t, st), 0xee);
	assert_int_equal(t->fail_calls + t->used_calls, 0);
	/* Reset, the queue set up afresh, as in test_fail_until_reset. */
	virtio_blk_ops(&t->blk)->reset(&t->blk);
	memset(t->ram + AVAIL_GPA, 0, 0x2000);
	t->q.s.last_avail = t->q.s.used_idx = 0;
	t->avail_idx = 0;
	virtio_blk_ops(&t->blk)->driver_ok(&t->blk, VIRTIO_F_VERSION_1);
	assert_int_equal(run_one(t, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, 1), VIRTIO_BLK_S_OK);
	free(t);
}

/* Cut, another tag or version, features this disk does not offer: refused,
 * the disk as it was. */
static void test_record_refusals(void **state)
{
	struct world *w = *state, *t, *ro;
	struct virtio_blk *c = malloc(sizeof(*c));
	u8 rec[REC_MAX];
	int n;

	busy(w);
	n = save(w, rec);
	t = twin(w, false);
	snap_test_framing(blk_load, &t->blk, &t->blk.state, sizeof(t->blk.state), rec, (size_t)n);
	memcpy(c, &w->blk, sizeof(*c));
	c->state.negotiated |= BIT(40);
	n = virtio_blk_save(c, rec, REC_MAX);
	assert_non_null(strstr(snap_test_refused(blk_load, &t->blk, &t->blk.state,
						 sizeof(t->blk.state), rec, (size_t)n, -EINVAL),
			       "ones this disk offers"));
	/* A read-only disk's driver took VIRTIO_BLK_F_RO: not for a writable disk. */
	ro = twin(w, true);
	assert_true(ro->blk.state.negotiated & VIRTIO_BLK_F_RO);
	n = save(ro, rec);
	W = t;
	assert_non_null(strstr(snap_test_refused(blk_load, &t->blk, &t->blk.state,
						 sizeof(t->blk.state), rec, (size_t)n, -EINVAL),
			       "ones this disk offers"));
	/* A bool that is neither 0 nor 1. */
	n = save(w, rec);
	rec[n - 1] = 2;
	snap_test_refused(blk_load, &t->blk, &t->blk.state, sizeof(t->blk.state), rec, (size_t)n,
			  -EINVAL);
	free(ro);
	free(c);
	free(t);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, world_setup, world_teardown)
#define T_RO(fn) cmocka_unit_test_setup_teardown(fn, world_setup_ro, world_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ops_and_config),
		T(test_large_capacity),
		T(test_write_read_round_trip),
		T(test_any_framing),
		T(test_seg_max_request),
		T(test_indirect_request),
		T(test_flush),
		T(test_get_id),
		T(test_out_of_range),
		T_RO(test_read_only),
		T(test_bad_lengths),
		T(test_wrong_directions),
		T(test_unsupported_types),
		T(test_status_written_last),
		T(test_many_requests_one_kick),
		T(test_ignored_kicks),
		T(test_malformed_short_header),
		T(test_malformed_no_status),
		T(test_malformed_chain),
		T(test_fail_until_reset),
		T(test_fail_after_good_requests),
		T(test_status_byte_fault),
		T(test_backend_errors),
		T(test_blk_ram),
		T(test_record_round_trip),
		T(test_record_queue_goes_on),
		T(test_record_failed_waits_for_reset),
		T(test_record_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
