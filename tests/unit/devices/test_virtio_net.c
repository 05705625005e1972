/*
 * Host tests for devices/virtio_net.c (virtio 1.2 section 5.1) with the real
 * virtqueue code over a fake guest RAM, a fake PCI transport (defined here:
 * virtio_pci_queue/used/fail/config_changed) and the real virtual switch.
 * The test plays the guest driver: it fills descriptor tables and rings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio_net.h"
#include "devices/backend/vswitch.h"
#include "snap_test.h"

#define RAM_SIZE	(256u * 1024)
#define QSIZE		32
#define RING(q)		(0x1000u + (q) * 0x2000u)	/* descriptor table */
#define AVAIL(q)	(RING(q) + 0x400u)
#define USED(q)		(RING(q) + 0x800u)
#define BUF_BASE	0x10000u
#define RXQ		VIRTIO_NET_RXQ
#define TXQ		VIRTIO_NET_TXQ
#define HDR		VIRTIO_NET_HDR_LEN
#define SWITCH		"net-test"

/* One guest with one NIC; the transport is the fake below. */
struct world {
	struct virtio_pci vp;		/* first: the fake transport finds its world by it */
	struct virtio_net net;
	struct guest_mem_ops mem;
	u8 ram[RAM_SIZE];
	u16 next_desc[2], avail_idx[2], used_seen[2];
	u32 next_buf;			/* bump allocator for buffers */
	bool failed;			/* needs-reset raised */
	const char *why;
	unsigned used_calls[2], cfg_changes;
};

/* --- the fake transport ----------------------------------------------------- */

static struct world *world_of(struct virtio_pci *vp)
{
	return (struct world *)vp;
}

struct vq *virtio_pci_queue(struct virtio_pci *vp, unsigned q)
{
	struct world *w = world_of(vp);

	if (q >= 2 || w->failed || !vp->vq[q].s.ready)
		return NULL;
	return &vp->vq[q];
}

void virtio_pci_used(struct virtio_pci *vp, unsigned q)
{
	assert_true(q < 2);
	world_of(vp)->used_calls[q]++;
}

void virtio_pci_fail(struct virtio_pci *vp, const char *why)
{
	struct world *w = world_of(vp);

	assert_false(w->failed);	/* once until reset */
	w->failed = true;
	w->why = why;
}

void virtio_pci_config_changed(struct virtio_pci *vp)
{
	world_of(vp)->cfg_changes++;
}

/* --- guest RAM ------------------------------------------------------------------ */

static int ram_read(void *ctx, u64 gpa, void *buf, size_t len)
{
	struct world *w = ctx;

	if (gpa > RAM_SIZE || len > RAM_SIZE - gpa)
		return -EFAULT;
	memcpy(buf, w->ram + gpa, len);
	return 0;
}

static int ram_write(void *ctx, u64 gpa, const void *buf, size_t len)
{
	struct world *w = ctx;

	if (gpa > RAM_SIZE || len > RAM_SIZE - gpa)
		return -EFAULT;
	memcpy(w->ram + gpa, buf, len);
	return 0;
}

static void put16(struct world *w, u64 gpa, u16 v)
{
	w->ram[gpa] = (u8)v;
	w->ram[gpa + 1] = (u8)(v >> 8);
}

static u32 get32(const struct world *w, u64 gpa)
{
	return w->ram[gpa] | w->ram[gpa + 1] << 8 | w->ram[gpa + 2] << 16 | (u32)w->ram[gpa + 3] << 24;
}

/* --- the driver side --------------------------------------------------------------- */

struct dseg {
	u64 gpa;
	u32 len;
	bool write;
};

static struct world *world_new(const u8 *mac, const char *sw_name)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	w->mem = (struct guest_mem_ops){ ram_read, ram_write, w };
	w->next_buf = BUF_BASE;
	virtio_net_init(&w->net, mac);
	if (sw_name) {
		assert_int_equal(vswitch_attach(vswitch_get(sw_name), &w->net.wiring.port), 0);
		virtio_net_set_link(&w->net, true);
	}
	virtio_net_attach(&w->net, &w->vp);
	return w;
}

static void world_free(struct world *w)
{
	virtio_net_destroy(&w->net);
	free(w);
}

/* What the transport does at DRIVER_OK: rings live, features accepted. */
static void driver_start(struct world *w)
{
	const struct virtio_dev_ops *ops = virtio_net_ops(&w->net);

	for (unsigned q = 0; q < 2; q++) {
		w->vp.vq[q].mem = &w->mem;
		w->vp.vq[q].s = (struct vq_state){ .size = QSIZE, .ready = true, .desc = RING(q),
						   .driver = AVAIL(q), .device = USED(q) };
		w->next_desc[q] = w->avail_idx[q] = w->used_seen[q] = 0;
	}
	ops->driver_ok(&w->net, VIRTIO_F_VERSION_1 | VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS);
}

/* What the transport does when the driver writes status 0. */
static void driver_reset(struct world *w)
{
	virtio_net_ops(&w->net)->reset(&w->net);
	for (unsigned q = 0; q < 2; q++)
		w->vp.vq[q].s = (struct vq_state){ 0 };
	w->failed = false;
}

static void kick(struct world *w, unsigned q)
{
	virtio_net_ops(&w->net)->notify(&w->net, q);
}

static u32 buf_alloc(struct world *w, u32 len)
{
	u32 gpa = w->next_buf;

	w->next_buf += (len + 15) & ~15u;
	assert_true(w->next_buf <= RAM_SIZE);
	return gpa;
}

/* Make segs a chain in queue q's table and offer it; returns the head. */
static u16 drv_post(struct world *w, unsigned q, const struct dseg *segs, unsigned n)
{
	u16 head = w->next_desc[q];

	for (unsigned i = 0; i < n; i++) {
		u16 idx = (u16)((head + i) % QSIZE);
		u64 d = RING(q) + 16u * idx;
		u16 flags = (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0) | (segs[i].write ? VIRTQ_DESC_F_WRITE : 0);

		memcpy(w->ram + d, &segs[i].gpa, 8);
		memcpy(w->ram + d + 8, &segs[i].len, 4);
		put16(w, d + 12, flags);
		put16(w, d + 14, (u16)((idx + 1) % QSIZE));
	}
	w->next_desc[q] = (u16)((head + n) % QSIZE);
	put16(w, AVAIL(q) + 4 + 2u * (w->avail_idx[q] % QSIZE), head);
	put16(w, AVAIL(q) + 2, ++w->avail_idx[q]);
	return head;
}

/* The next used element of queue q, if the device added one. */
static bool drv_used(struct world *w, unsigned q, u32 *id, u32 *len)
{
	u16 idx = (u16)(w->ram[USED(q) + 2] | w->ram[USED(q) + 3] << 8);
	u64 e = USED(q) + 4 + 8u * (w->used_seen[q] % QSIZE);

	if (idx == w->used_seen[q])
		return false;
	*id = get32(w, e);
	*len = get32(w, e + 4);
	w->used_seen[q]++;
	return true;
}

/* Post hdr + frame for transmit, cut into descriptors at the given offsets. */
static u16 drv_tx(struct world *w, const u8 *hdr, const u8 *frame, u32 len, const u32 *cuts,
		  unsigned ncuts)
{
	u32 total = HDR + len, gpa = buf_alloc(w, total), from = 0;
	struct dseg segs[8];
	unsigned n = 0;

	memcpy(w->ram + gpa, hdr, HDR);
	memcpy(w->ram + gpa + HDR, frame, len);
	for (unsigned i = 0; i <= ncuts; i++) {
		u32 to = i < ncuts ? cuts[i] : total;

		segs[n++] = (struct dseg){ gpa + from, to - from, false };
		from = to;
	}
	return drv_post(w, TXQ, segs, n);
}

/* Post one device-writable receive buffer of size bytes; *gpa says where. */
static u16 drv_rx(struct world *w, u32 size, u32 *gpa)
{
	struct dseg s = { buf_alloc(w, size), size, true };

	if (gpa)
		*gpa = (u32)s.gpa;
	return drv_post(w, RXQ, &s, 1);
}

/* --- a plain station on the switch ------------------------------------------------ */

struct station {
	struct net_port port;
	unsigned nframes;
	u8 last[ETH_FRAME_MAX];
	size_t last_len;
};

static void station_deliver(void *ctx, const u8 *frame, size_t len)
{
	struct station *s = ctx;

	s->nframes++;
	memcpy(s->last, frame, len);
	s->last_len = len;
}

static void station_plug(struct station *s, u8 last_mac_byte)
{
	const u8 mac[ETH_ALEN] = { 0x02, 0, 0, 0, 0, last_mac_byte };

	memset(s, 0, sizeof(*s));
	s->port.deliver = station_deliver;
	s->port.ctx = s;
	memcpy(s->port.mac, mac, ETH_ALEN);
	assert_int_equal(vswitch_attach(vswitch_get(SWITCH), &s->port), 0);
}

static const u8 MAC_A[ETH_ALEN] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0a };
static const u8 MAC_B[ETH_ALEN] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0b };
static const u8 BCAST[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const u8 ZERO_HDR[HDR];

/* A frame dst <- src of len bytes, payload tagged with seed. */
static void make_frame(u8 *f, const u8 *dst, const u8 *src, u32 len, u8 seed)
{
	for (u32 i = 0; i < len; i++)
		f[i] = (u8)(seed + i * 7);
	memcpy(f, dst, ETH_ALEN);
	memcpy(f + ETH_ALEN, src, ETH_ALEN);
	f[12] = 0x08;
	f[13] = 0x06;
}

/* Fixture: NIC A on SWITCH, started, with a station (02:..:01) beside it. */
struct fixture {
	struct world *a;
	struct station st;
};

static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->a = world_new(MAC_A, SWITCH);
	driver_start(f->a);
	station_plug(&f->st, 1);
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	vswitch_detach(&f->st.port);
	world_free(f->a);
	assert_int_equal(vswitch_port_count(vswitch_get(SWITCH)), 0);
	free(f);
	return 0;
}

/* --- tests ---------------------------------------------------------------------------- */

static void test_ops_and_config(void **state)
{
	struct fixture *f = *state;
	const struct virtio_dev_ops *ops = virtio_net_ops(&f->a->net);
	void *dev = &f->a->net;

	assert_int_equal(ops->device_id, 1);
	assert_int_equal(ops->features, VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS);
	assert_int_equal(ops->nqueues, 2);
	assert_true(ops->queue_max >= 2 && ops->queue_max <= VQ_MAX_SIZE);
	assert_int_equal(ops->queue_max & (ops->queue_max - 1), 0);
	assert_int_equal(ops->cfg_len, 8);
	for (unsigned i = 0; i < ETH_ALEN; i++)
		assert_int_equal(ops->cfg_read(dev, i, 1), MAC_A[i]);
	assert_int_equal(ops->cfg_read(dev, 0, 4), 0x00005452);
	assert_int_equal(ops->cfg_read(dev, 4, 2), 0x0a00);
	assert_int_equal(ops->cfg_read(dev, 4, 4), 0x00010a00);	/* mac[4..5], status */
	assert_int_equal(ops->cfg_read(dev, 6, 2), VIRTIO_NET_S_LINK_UP);
	assert_int_equal(ops->cfg_read(dev, 7, 1), 0);
	/* Past the fields, or straddling their end: 0, never a host read. */
	assert_int_equal(ops->cfg_read(dev, 8, 1), 0);
	assert_int_equal(ops->cfg_read(dev, 6, 4), 0);
	assert_int_equal(ops->cfg_read(dev, 0xffffffffu, 4), 0);
	assert_int_equal(ops->cfg_read(dev, 0, 8), 0);
	/* A modern driver cannot rewrite the address. */
	ops->cfg_write(dev, 0, 4, 0xdeadbeef);
	assert_int_equal(ops->cfg_read(dev, 0, 1), 0x52);
}

static void test_mac_from_name(void **state)
{
	u8 a[ETH_ALEN], b[ETH_ALEN], c[ETH_ALEN];

	(void)state;
	virtio_net_mac_from_name("web", a);
	virtio_net_mac_from_name("web", b);
	virtio_net_mac_from_name("db", c);
	assert_memory_equal(a, b, ETH_ALEN);
	assert_memory_not_equal(a, c, ETH_ALEN);
	assert_memory_equal(a, "\x52\x54\x00", 3);
	assert_int_equal(a[0] & 0x03, 0x02);	/* locally administered, unicast */
	virtio_net_mac_from_name("web1", b);
	assert_memory_not_equal(a, b, ETH_ALEN);
	virtio_net_mac_from_name("", b);	/* no crash on empty names */
	assert_memory_equal(b, "\x52\x54\x00", 3);
}

/* Transmit strips the header, whatever the descriptor cuts (2.6.4). */
static void test_tx_strips_header(void **state)
{
	struct fixture *f = *state;
	struct world *a = f->a;
	u8 frame[100];
	const u32 cuts[] = { 5, 20, 21 };	/* header in two pieces, frame in three */
	u32 id, len;
	u16 head;

	make_frame(frame, BCAST, MAC_A, sizeof(frame), 1);
	head = drv_tx(a, ZERO_HDR, frame, sizeof(frame), cuts, 3);
	kick(a, TXQ);
	assert_int_equal(f->st.nframes, 1);
	assert_int_equal(f->st.last_len, sizeof(frame));
	assert_memory_equal(f->st.last, frame, sizeof(frame));
	assert_true(drv_used(a, TXQ, &id, &len));
	assert_int_equal(id, head);
	assert_int_equal(len, 0);
	assert_int_equal(a->used_calls[TXQ], 1);
	assert_int_equal(a->net.state.stats.tx_frames, 1);
	assert_int_equal(a->net.state.stats.tx_bytes, sizeof(frame));
	assert_false(a->failed);

	/* Several packets, one kick: all sent in order, one interrupt. */
	for (u8 i = 0; i < 3; i++) {
		make_frame(frame, BCAST, MAC_A, 60, (u8)(10 + i));
		drv_tx(a, ZERO_HDR, frame, 60, NULL, 0);
	}
	kick(a, TXQ);
	assert_int_equal(f->st.nframes, 4);
	assert_memory_equal(f->st.last, frame, 60);
	assert_int_equal(a->used_calls[TXQ], 2);
	for (unsigned i = 0; i < 3; i++)
		assert_true(drv_used(a, TXQ, &id, &len));
	assert_false(drv_used(a, TXQ, &id, &len));
}

static void test_tx_oversize_and_offloads_dropped(void **state)
{
	struct fixture *f = *state;
	struct world *a = f->a;
	static u8 frame[VIRTIO_NET_FRAME_MAX + 1];
	u8 hdr[HDR] = { 0 };
	u32 id, len;

	make_frame(frame, BCAST, MAC_A, sizeof(frame), 3);
	drv_tx(a, ZERO_HDR, frame, VIRTIO_NET_FRAME_MAX + 1, NULL, 0);
	hdr[0] = 1;					/* NEEDS_CSUM: never offered */
	drv_tx(a, hdr, frame, 60, NULL, 0);
	hdr[0] = 0;
	hdr[1] = 1;					/* GSO_TCPV4: never offered */
	drv_tx(a, hdr, frame, 60, NULL, 0);
	kick(a, TXQ);
	assert_int_equal(f->st.nframes, 0);
	assert_int_equal(a->net.state.stats.tx_dropped, 3);
	for (unsigned i = 0; i < 3; i++) {	/* the buffers still come back */
		assert_true(drv_used(a, TXQ, &id, &len));
		assert_int_equal(len, 0);
	}
	assert_false(a->failed);
	/* The longest frame allowed (1514 + a VLAN tag) goes through. */
	drv_tx(a, ZERO_HDR, frame, VIRTIO_NET_FRAME_MAX, NULL, 0);
	kick(a, TXQ);
	assert_int_equal(f->st.nframes, 1);
	assert_int_equal(f->st.last_len, VIRTIO_NET_FRAME_MAX);
}

/* Hostile transmit chains put the device into needs-reset, once. */
static void test_tx_malformed_fails(void **state)
{
	struct fixture *f = *state;
	struct world *a = f->a;
	u32 gpa = buf_alloc(a, 64), id, len;
	const struct dseg writable[2] = { { gpa, HDR, false }, { gpa + HDR, 60, true } };
	const struct dseg short_hdr = { gpa, HDR - 1, false };
	const struct dseg outside = { RAM_SIZE - 8, 64, false };
	u8 frame[60];

	drv_post(a, TXQ, writable, 2);
	kick(a, TXQ);
	assert_true(a->failed);
	assert_non_null(strstr(a->why, "virtio-net"));
	kick(a, TXQ);				/* ignored until reset */
	assert_int_equal(f->st.nframes, 0);

	driver_reset(a);
	driver_start(a);
	drv_post(a, TXQ, &short_hdr, 1);
	kick(a, TXQ);
	assert_true(a->failed);

	driver_reset(a);
	driver_start(a);
	drv_post(a, TXQ, &outside, 1);
	kick(a, TXQ);
	assert_true(a->failed);
	assert_false(drv_used(a, TXQ, &id, &len));

	/* After a reset a good driver works again. */
	driver_reset(a);
	driver_start(a);
	make_frame(frame, BCAST, MAC_A, sizeof(frame), 4);
	drv_tx(a, ZERO_HDR, frame, sizeof(frame), NULL, 0);
	kick(a, TXQ);
	assert_false(a->failed);
	assert_int_equal(f->st.nframes, 1);
}

/* Receive: zeroed header with num_buffers = 1, then the frame. */
static void test_rx_header_and_frame(void **state)
{
	struct fixture *f = *state;
	struct world *a = f->a;
	u8 frame[200], hdr[HDR] = { [10] = 1 };
	u32 gpa, id, len;
	u16 head;

	memset(a->ram + BUF_BASE, 0xee, 0x1000);	/* stale bytes the header must overwrite */
	head = drv_rx(a, HDR + ETH_FRAME_MAX, &gpa);
	kick(a, RXQ);					/* nothing waiting: no interrupt */
	assert_int_equal(a->used_calls[RXQ], 0);
	make_frame(frame, MAC_A, f->st.port.mac, sizeof(frame), 5);
	vswitch_send(f->st.port.backend_ctx, &f->st.port, frame, sizeof(frame));
	assert_true(drv_used(a, RXQ, &id, &len));
	assert_int_equal(id, head);
	assert_int_equal(len, HDR + sizeof(frame));
	assert_memory_equal(a->ram + gpa, hdr, HDR);
	assert_memory_equal(a->ram + gpa + HDR, frame, sizeof(frame));
	assert_int_equal(a->ram[gpa + HDR + sizeof(frame)], 0xee);	/* nothing past it */
	assert_int_equal(a->used_calls[RXQ], 1);
	assert_int_equal(a->net.state.stats.rx_frames, 1);
	assert_int_equal(a->net.state.stats.rx_bytes, sizeof(frame));
}

/* The header may straddle descriptors too. */
static void test_rx_split_buffer(void **state)
{
	struct fixture *f = *state;
	struct world *a = f->a;
	u32 g1 = buf_alloc(a, 5), g2 = buf_alloc(a, 2000), id, len;
	const struct dseg segs[2] = { { g1, 5, true }, { g2, 2000, true } };
	u8 frame[64];

	drv_post(a, RXQ, segs, 2);
	make_frame(frame, BCAST, f->st.port.mac, sizeof(frame), 6);
	vswitch_send(f->st.port.backend_ctx, &f->st.port, frame, sizeof(frame));
	assert_true(drv_used(a, RXQ, &id, &len));
	assert_int_equal(len, HDR + sizeof(frame));
	assert_memory_equal(a->ram + g1, ZERO_HDR, 5);
	assert_int_equal(a->ram[g2 + 10 - 5], 1);		/* num_buffers, low byte */
	assert_memory_equal(a->ram + g2 + HDR - 5, frame, sizeof(frame));
}

/* No buffers: frames wait (up to the backlog), the rest are dropped; a
 * kick of the receive queue delivers the waiting ones in order. */
static void test_rx_backlog_then_drop(void **state)
{
	struct fixture *f = *state;
	struct world *a = f->a;
	u32 gpa[VIRTIO_NET_BACKLOG + 4], id, len;
	u8 frame[80];

	for (unsigned i = 0; i < VIRTIO_NET_BACKLOG + 3; i++) {
		make_frame(frame, MAC_A, f->st.port.mac, sizeof(frame), (u8)(i * 16));
		vswitch_send(f->st.port.backend_ctx, &f->st.port, frame, sizeof(frame));
	}
	assert_int_equal(a->net.backlog.count, VIRTIO_NET_BACKLOG);
	assert_int_equal(a->net.state.stats.rx_dropped, 3);
	assert_int_equal(a->used_calls[RXQ], 0);
	for (unsigned i = 0; i < VIRTIO_NET_BACKLOG + 4; i++)
		drv_rx(a, 1526, &gpa[i]);
	kick(a, RXQ);
	assert_int_equal(a->used_calls[RXQ], 1);		/* one interrupt for all */
	assert_int_equal(a->net.backlog.count, 0);
	for (unsigned i = 0; i < VIRTIO_NET_BACKLOG; i++) {
		assert_true(drv_used(a, RXQ, &id, &len));
		assert_int_equal(len, HDR + sizeof(frame));
		assert_int_equal(a->ram[gpa[i] + HDR + ETH_HLEN], (u8)(i * 16 + ETH_HLEN * 7));
	}
	assert_false(drv_used(a, RXQ, &id, &len));
	/* With buffers left, the next frame goes straight in. */
	vswitch_send(f->st.port.backend_ctx, &f->st.port, frame, sizeof(frame));
	assert_true(drv_used(a, RXQ, &id, &len));
	assert_int_equal(a->used_calls[RXQ], 2);
	assert_int_equal(a->net.state.stats.rx_frames, VIRTIO_NET_BACKLOG + 1);
}

/* A buffer too small for the frame goes back empty; the frame is lost. */
static void test_rx_small_buffer(void **state)
{
	struct fixture *f = *state;
	struct world *a = f->a;
	u32 id, len, gpa;
	u8 frame[300];

	drv_rx(a, 100, NULL);
	drv_rx(a, 1526, &gpa);
	make_frame(frame, MAC_A, f->st.port.mac, sizeof(frame), 7);
	vswitch_send(f->st.port.backend_ctx, &f->st.port, frame, sizeof(frame));
	assert_true(drv_used(a, RXQ, &id, &len));
	assert_int_equal(len, 0);
	assert_int_equal(a->net.state.stats.rx_dropped, 1);
	assert_false(a->failed);
	vswitch_send(f->st.port.backend_ctx, &f->st.port, frame, sizeof(frame));
	assert_true(drv_used(a, RXQ, &id, &len));
	assert_int_equal(len, HDR + sizeof(frame));
	assert_memory_equal(a->ram + gpa + HDR, frame, sizeof(frame));
}

static void test_rx_readable_buffer_fails(void **state)
{
	struct fixture *f = *state;
	struct world *a = f->a;
	const struct dseg bad = { buf_alloc(a, 1526), 1526, false };
	u8 frame[60];

	drv_post(a, RXQ, &bad, 1);
	make_frame(frame, MAC_A, f->st.port.mac, sizeof(frame), 8);
	vswitch_send(f->st.port.backend_ctx, &f->st.port, frame, sizeof(frame));
	assert_true(a->failed);
	assert_int_equal(a->net.state.stats.rx_frames, 0);
	/* Failed: later frames are dropped, not queued. */
	vswitch_send(f->st.port.backend_ctx, &f->st.port, frame, sizeof(frame));
	assert_int_equal(a->net.backlog.count, 0);
}

/* Before DRIVER_OK, after a reset, or with the link down, frames are dropped. */
static void test_rx_when_not_running(void **state)
{
	struct fixture *f = *state;
	struct world *a = f->a;
	u8 frame[60];
	u32 id, len;

	make_frame(frame, MAC_A, f->st.port.mac, sizeof(frame), 9);
	vswitch_send(f->st.port.backend_ctx, &f->st.port, frame, sizeof(frame));	/* backlogged */
	assert_int_equal(a->net.state.stats.rx_dropped, 0);
	driver_reset(a);					/* the waiting frame is lost */
	assert_int_equal(a->net.backlog.count, 0);
	assert_int_equal(a->net.state.stats.rx_dropped, 1);
	vswitch_send(f->st.port.backend_ctx, &f->st.port, frame, sizeof(frame));
	assert_int_equal(a->net.backlog.count, 0);
	assert_int_equal(a->net.state.stats.rx_dropped, 2);

	driver_start(a);
	drv_rx(a, 1526, NULL);
	virtio_net_set_link(&a->net, false);
	assert_int_equal(a->cfg_changes, 1);
	assert_int_equal(virtio_net_ops(&a->net)->cfg_read(&a->net, 6, 2), 0);
	vswitch_send(f->st.port.backend_ctx, &f->st.port, frame, sizeof(frame));
	assert_false(drv_used(a, RXQ, &id, &len));
	assert_int_equal(a->net.state.stats.rx_dropped, 3);
	drv_tx(a, ZERO_HDR, frame, sizeof(frame), NULL, 0);	/* tx with no carrier */
	kick(a, TXQ);
	assert_int_equal(f->st.nframes, 0);
	assert_int_equal(a->net.state.stats.tx_dropped, 1);
	assert_true(drv_used(a, TXQ, &id, &len));

	virtio_net_set_link(&a->net, true);
	virtio_net_set_link(&a->net, true);			/* no change, no interrupt */
	assert_int_equal(a->cfg_changes, 2);
	vswitch_send(f->st.port.backend_ctx, &f->st.port, frame, sizeof(frame));
	assert_true(drv_used(a, RXQ, &id, &len));
}

/* Two VMs on one switch: a broadcast one way, a unicast reply the other
 * way that the third station on the switch does not see. */
static void test_two_devices_end_to_end(void **state)
{
	struct fixture *f = *state;
	struct world *a = f->a, *b = world_new(MAC_B, SWITCH);
	u8 frame[98], reply[98];
	u32 gpa_a, gpa_b, id, len;

	driver_start(b);
	drv_rx(a, 1526, &gpa_a);
	drv_rx(b, 1526, &gpa_b);

	make_frame(frame, BCAST, MAC_A, sizeof(frame), 11);
	drv_tx(a, ZERO_HDR, frame, sizeof(frame), NULL, 0);
	kick(a, TXQ);
	assert_true(drv_used(b, RXQ, &id, &len));
	assert_int_equal(len, HDR + sizeof(frame));
	assert_memory_equal(b->ram + gpa_b + HDR, frame, sizeof(frame));
	assert_int_equal(f->st.nframes, 1);
	assert_false(drv_used(a, RXQ, &id, &len));		/* not echoed */

	make_frame(reply, MAC_A, MAC_B, sizeof(reply), 12);
	drv_tx(b, ZERO_HDR, reply, sizeof(reply), NULL, 0);
	kick(b, TXQ);
	assert_true(drv_used(a, RXQ, &id, &len));
	assert_memory_equal(a->ram + gpa_a + HDR, reply, sizeof(reply));
	assert_int_equal(f->st.nframes, 1);			/* unicast: A only */
	assert_int_equal(a->used_calls[RXQ], 1);
	assert_int_equal(b->used_calls[RXQ], 1);
	assert_int_equal(b->used_calls[TXQ], 1);
	assert_int_equal(b->net.wiring.port.stats.tx_frames, 1);
	assert_int_equal(a->net.wiring.port.stats.rx_frames, 1);

	/* B goes away: its address is forgotten, frames to it flood. */
	world_free(b);
	make_frame(frame, MAC_B, MAC_A, sizeof(frame), 13);
	drv_tx(a, ZERO_HDR, frame, sizeof(frame), NULL, 0);
	kick(a, TXQ);
	assert_int_equal(f->st.nframes, 2);
	assert_memory_equal(f->st.last, frame, sizeof(frame));
}

static void test_no_switch_no_link(void **state)
{
	struct world *w = world_new(MAC_A, NULL);
	u8 frame[60];
	u32 id, len;

	(void)state;
	assert_int_equal(virtio_net_ops(&w->net)->cfg_read(&w->net, 6, 2), 0);
	driver_start(w);
	make_frame(frame, BCAST, MAC_A, sizeof(frame), 14);
	drv_tx(w, ZERO_HDR, frame, sizeof(frame), NULL, 0);
	kick(w, TXQ);
	assert_true(drv_used(w, TXQ, &id, &len));
	assert_int_equal(w->net.state.stats.tx_dropped, 1);
	world_free(w);
}

static void test_destroy_detaches(void **state)
{
	struct world *w = world_new(MAC_B, SWITCH);
	struct vswitch *sw = vswitch_get(SWITCH);

	(void)state;
	assert_int_equal(vswitch_port_count(sw), 1);
	virtio_net_destroy(&w->net);
	assert_int_equal(vswitch_port_count(sw), 0);
	virtio_net_destroy(&w->net);		/* twice is harmless */
	free(w);
}

/* --- the state record ----------------------------------------------------------------- */

#define REC_MAX 256

static int net_load(void *dev, const void *buf, size_t len, bool apply, const char **why)
{
	return virtio_net_load(dev, buf, len, apply, why);
}

static int save(const struct world *w, u8 *rec)
{
	int n = virtio_net_save(&w->net, rec, REC_MAX);

	assert_true(n > SNAP_HDR_LEN);
	return n;
}

/* NIC A after some traffic: a frame sent, one too long dropped, one
 * received into a posted buffer. */
static void traffic(struct fixture *f)
{
	struct world *a = f->a;
	u8 frame[ETH_FRAME_MAX + 1];
	u32 id, len;

	make_frame(frame, f->st.port.mac, MAC_A, 90, 3);
	drv_tx(a, ZERO_HDR, frame, 90, NULL, 0);
	drv_tx(a, ZERO_HDR, frame, sizeof(frame), NULL, 0);
	kick(a, TXQ);
	assert_true(drv_used(a, TXQ, &id, &len));
	assert_true(drv_used(a, TXQ, &id, &len));
	drv_rx(a, HDR + ETH_FRAME_MAX, NULL);
	make_frame(frame, MAC_A, f->st.port.mac, 70, 4);
	vswitch_send(f->st.port.backend_ctx, &f->st.port, frame, 70);
	assert_true(drv_used(a, RXQ, &id, &len));
	assert_int_equal(f->st.nframes, 1);
	assert_int_equal(a->net.state.stats.tx_dropped, 1);
}

/*
 * Where a restore would put A's device: another NIC with A's address on
 * the switch (taking A's place there), over a copy of A's guest RAM, its
 * queues as the transport's record restores them.
 */
static struct world *twin(const struct world *a)
{
	struct world *t = world_new(MAC_A, SWITCH);

	memcpy(t->ram, a->ram, sizeof(t->ram));
	for (unsigned q = 0; q < 2; q++) {
		t->vp.vq[q].mem = &t->mem;
		t->vp.vq[q].s = a->vp.vq[q].s;
		t->next_desc[q] = a->next_desc[q];
		t->avail_idx[q] = a->avail_idx[q];
		t->used_seen[q] = a->used_seen[q];
	}
	t->next_buf = a->next_buf;
	return t;
}

/* Saved, loaded into the twin, saved again: the same bytes; the restored
 * NIC sends the next frame and counts it on from the saved counters. */
static void test_record_round_trip(void **state)
{
	struct fixture *f = *state;
	struct world *t;
	u8 a[REC_MAX], b[REC_MAX], frame[64];
	const char *why = "unset";
	u32 id, len;
	int n;

	traffic(f);
	n = save(f->a, a);
	t = twin(f->a);
	assert_int_equal(virtio_net_load(&t->net, a, (size_t)n, true, &why), 0);
	assert_null(why);
	assert_int_equal(save(t, b), n);
	assert_memory_equal(a, b, (size_t)n);
	assert_memory_equal(&t->net.state, &f->a->net.state, sizeof(t->net.state));
	make_frame(frame, f->st.port.mac, MAC_A, sizeof(frame), 9);
	drv_tx(t, ZERO_HDR, frame, sizeof(frame), NULL, 0);
	kick(t, TXQ);
	assert_int_equal(f->st.nframes, 2);
	assert_memory_equal(f->st.last, frame, sizeof(frame));
	assert_true(drv_used(t, TXQ, &id, &len));
	assert_false(drv_used(t, TXQ, &id, &len));
	assert_int_equal(t->net.state.stats.tx_frames, 2);
	world_free(t);
}

/* The backlog is not in the record: the loaded NIC's own is dropped,
 * uncounted; its counters are the record's. */
static void test_record_drops_backlog(void **state)
{
	struct fixture *f = *state;
	struct world *t;
	u8 rec[REC_MAX], frame[64];
	u32 id, len;
	int n;

	make_frame(frame, MAC_A, f->st.port.mac, sizeof(frame), 1);
	vswitch_send(f->st.port.backend_ctx, &f->st.port, frame, sizeof(frame));
	assert_int_equal(f->a->net.backlog.count, 1);
	n = save(f->a, rec);
	t = twin(f->a);
	driver_start(t);
	for (unsigned i = 0; i < 3; i++)
		vswitch_send(f->st.port.backend_ctx, &f->st.port, frame, sizeof(frame));
	assert_int_equal(t->net.backlog.count, 3);
	assert_int_equal(virtio_net_load(&t->net, rec, (size_t)n, true, &(const char *){ NULL }), 0);
	assert_int_equal(t->net.backlog.count, 0);
	assert_int_equal(t->net.state.stats.rx_dropped, f->a->net.state.stats.rx_dropped);
	drv_rx(t, HDR + ETH_FRAME_MAX, NULL);
	kick(t, RXQ);
	assert_false(drv_used(t, RXQ, &id, &len));
	world_free(t);
}

/* Cut, another tag or version, another NIC's address, a status bit or a
 * feature never offered: refused, the NIC as it was. */
static void test_record_refusals(void **state)
{
	struct fixture *f = *state;
	struct world *t = world_new(MAC_A, NULL), *b = world_new(MAC_B, NULL);
	struct virtio_net *c = malloc(sizeof(*c));
	u8 rec[REC_MAX];
	int n;

	traffic(f);
	n = save(f->a, rec);
	snap_test_framing(net_load, &t->net, &t->net.state, sizeof(t->net.state), rec, (size_t)n);
	assert_non_null(strstr(snap_test_refused(net_load, &b->net, &b->net.state,
						 sizeof(b->net.state), rec, (size_t)n, -EINVAL),
			       "MAC"));
	memcpy(c, &f->a->net, sizeof(*c));
	c->state.status |= VIRTIO_NET_S_ANNOUNCE;
	n = virtio_net_save(c, rec, REC_MAX);
	assert_non_null(strstr(snap_test_refused(net_load, &t->net, &t->net.state,
						 sizeof(t->net.state), rec, (size_t)n, -EINVAL),
			       "LINK_UP"));
	memcpy(c, &f->a->net, sizeof(*c));
	c->state.negotiated |= BIT(0);			/* VIRTIO_NET_F_CSUM */
	n = virtio_net_save(c, rec, REC_MAX);
	assert_non_null(strstr(snap_test_refused(net_load, &t->net, &t->net.state,
						 sizeof(t->net.state), rec, (size_t)n, -EINVAL),
			       "ones this NIC offers"));
	free(c);
	world_free(b);
	world_free(t);
}

#define NET_TEST(t) cmocka_unit_test_setup_teardown(t, fixture_setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		NET_TEST(test_ops_and_config),
		cmocka_unit_test(test_mac_from_name),
		NET_TEST(test_tx_strips_header),
		NET_TEST(test_tx_oversize_and_offloads_dropped),
		NET_TEST(test_tx_malformed_fails),
		NET_TEST(test_rx_header_and_frame),
		NET_TEST(test_rx_split_buffer),
		NET_TEST(test_rx_backlog_then_drop),
		NET_TEST(test_rx_small_buffer),
		NET_TEST(test_rx_readable_buffer_fails),
		NET_TEST(test_rx_when_not_running),
		NET_TEST(test_two_devices_end_to_end),
		cmocka_unit_test(test_no_switch_no_link),
		cmocka_unit_test(test_destroy_detaches),
		NET_TEST(test_record_round_trip),
		NET_TEST(test_record_drops_backlog),
		NET_TEST(test_record_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
