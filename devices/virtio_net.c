/*
 * virtio network device, virtio 1.2 section 5.1: receiveq1 and transmitq1
 * on the PCI transport, frames to and from a virtual switch port.
 *
 * Offered: VIRTIO_NET_F_MAC and VIRTIO_NET_F_STATUS (link always up unless
 * the VM pulls the cable), nothing else. Without checksum, GSO or
 * mergeable-buffer features every packet is one whole Ethernet frame of at
 * most VIRTIO_NET_FRAME_MAX bytes behind a 12-byte struct virtio_net_hdr
 * (5.1.6; VERSION_1 always includes num_buffers).
 *
 * Transmit (5.1.6.2) runs inside the queue kick: each chain is read whole,
 * its header checked and dropped, the frame sent to the switch, and the
 * chain returned with nothing written. Receive (5.1.6.3) runs when the
 * switch delivers: the frame goes into the next receive chain behind a
 * zeroed header with num_buffers = 1. With no receive buffer posted the
 * frame waits in a short backlog, retried when the driver kicks the
 * receive queue; beyond that it is dropped, as a busy NIC would.
 *
 * As with virtio-blk, the driver may cut header and frame into
 * descriptors any way it likes (2.6.4), so the device never looks at
 * descriptor boundaries. A chain in the wrong direction, or one shorter
 * than the transmit header, is a broken driver: the device asks for a
 * reset (virtio_pci_fail, 2.1.2) and ignores its queues until it gets one.
 */
#include "devices/virtio_net.h"
#include "lib/string.h"

#define VIRTIO_NET_HDR_F_NEEDS_CSUM	BIT(0)	/* needs VIRTIO_NET_F_CSUM */
#define VIRTIO_NET_HDR_GSO_NONE		0

STATIC_ASSERT(VIRTIO_NET_QUEUE_MAX <= VQ_MAX_SIZE, "queue size beyond the virtqueue's");
STATIC_ASSERT(VIRTIO_NET_HDR_LEN + VIRTIO_NET_FRAME_MAX <= VQ_MAX_BYTES, "a packet fits a chain");

/* The packet header as it lies in guest memory (little-endian, as is x86). */
struct virtio_net_hdr {
	u8 flags;
	u8 gso_type;
	u16 hdr_len;
	u16 gso_size;
	u16 csum_start;
	u16 csum_offset;
	u16 num_buffers;
} __packed;

STATIC_ASSERT(sizeof(struct virtio_net_hdr) == VIRTIO_NET_HDR_LEN, "header layout");

/* Drop the frames waiting for receive buffers (reset, failure, link down). */
static void virtio_net_backlog_flush(struct virtio_net *n)
{
	n->state.stats.rx_dropped += n->backlog.count;
	n->backlog.head = 0;
	n->backlog.count = 0;
}

/* Give up on the driver: remember it, drop what waits, and tell the transport. */
static void virtio_net_fail(struct virtio_net *n, const char *why)
{
	n->state.failed = true;
	virtio_net_backlog_flush(n);
	virtio_pci_fail(n->wiring.vp, why ? why : "virtio-net: broken buffer");
}

/* A queue the device may use now, or NULL (not started, failed, disabled). */
static struct vq *virtio_net_queue(struct virtio_net *n, unsigned q)
{
	if (!n->state.running || n->state.failed || !n->wiring.vp)
		return NULL;
	return virtio_pci_queue(n->wiring.vp, q);
}

/*
 * Send the packet in n->tx_chain. A well-formed packet the device will
 * not carry (too long, offloads the driver was never offered, link down)
 * is dropped and counted; the driver still gets its buffer back.
 */
static int virtio_net_tx_one(struct virtio_net *n, const struct vq *q, const char **why)
{
	const struct vq_chain *c = &n->tx_chain;
	const struct virtio_net_hdr *hdr = (const void *)n->tx_buf;
	u32 len;

	if (c->in_bytes || c->out_bytes < VIRTIO_NET_HDR_LEN) {
		*why = "virtio-net: transmit chain not a readable header and frame";
		return -EINVAL;
	}
	len = c->out_bytes - VIRTIO_NET_HDR_LEN;
	if (len > VIRTIO_NET_FRAME_MAX || !(n->state.status & VIRTIO_NET_S_LINK_UP)) {
		n->state.stats.tx_dropped++;
		return 0;
	}
	if (vq_chain_read(q, c, 0, n->tx_buf, c->out_bytes)) {
		*why = "virtio-net: transmit buffer no longer guest RAM";
		return -EFAULT;
	}
	if ((hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || hdr->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		n->state.stats.tx_dropped++;
		return 0;
	}
	n->state.stats.tx_frames++;
	n->state.stats.tx_bytes += len;
	net_port_send(&n->wiring.port, n->tx_buf + VIRTIO_NET_HDR_LEN, len);
	return 0;
}

/*
 * The driver kicked the transmit queue: send every available packet, then
 * interrupt once. At most a queue's worth per kick, so a driver adding
 * packets from another vCPU cannot hold this one here; it kicks again.
 */
static void virtio_net_tx(struct virtio_net *n)
{
	struct vq *q = virtio_net_queue(n, VIRTIO_NET_TXQ);
	const char *why = NULL;
	unsigned budget, done = 0;
	int r;

	if (!q)
		return;
	for (budget = q->s.size; budget; budget--) {
		r = vq_pop(q, &n->tx_chain, &why);
		if (r == 0)
			break;
		if (r < 0 || virtio_net_tx_one(n, q, &why) < 0 ||
		    vq_push(q, n->tx_chain.head, 0, &why) < 0) {
			virtio_net_fail(n, why);
			return;
		}
		done++;
	}
	if (done)
		virtio_pci_used(n->wiring.vp, VIRTIO_NET_TXQ);
}

/*
 * Put one frame into the next receive chain. 1: the chain was used (the
 * frame is in it, or it was too small and went back empty: a driver that
 * posts buffers under 1526 bytes only SHOULD NOT, 5.1.6.3.1); 0: no chain
 * available; negative: the driver broke a rule, with *why set.
 */
static int virtio_net_rx_one(struct virtio_net *n, struct vq *q, const u8 *frame, u32 len,
			     const char **why)
{
	const struct vq_chain *c = &n->rx_chain;
	struct virtio_net_hdr hdr = { .gso_type = VIRTIO_NET_HDR_GSO_NONE, .num_buffers = 1 };
	u32 written = 0;
	int r;

	r = vq_pop(q, &n->rx_chain, why);
	if (r <= 0)
		return r;
	if (c->out_bytes) {
		*why = "virtio-net: receive chain has device-readable buffers";
		return -EINVAL;
	}
	if (c->in_bytes < VIRTIO_NET_HDR_LEN + len) {
		n->state.stats.rx_dropped++;
	} else if (vq_chain_write(q, c, 0, &hdr, VIRTIO_NET_HDR_LEN) ||
		   vq_chain_write(q, c, VIRTIO_NET_HDR_LEN, frame, len)) {
		*why = "virtio-net: receive buffer no longer guest RAM";
		return -EFAULT;
	} else {
		written = VIRTIO_NET_HDR_LEN + len;
		n->state.stats.rx_frames++;
		n->state.stats.rx_bytes += len;
	}
	if (vq_push(q, c->head, written, why) < 0)
		return -EIO;
	return 1;
}

/* Move backlogged frames into receive buffers while both last; then one
 * interrupt. */
static void virtio_net_rx_drain(struct virtio_net *n, struct vq *q)
{
	struct virtio_net_backlog *b = &n->backlog;
	const char *why = NULL;
	unsigned done = 0;
	int r = 1;

	while (b->count) {
		r = virtio_net_rx_one(n, q, b->frame[b->head], b->len[b->head], &why);
		if (r <= 0)
			break;
		b->head = (u16)((b->head + 1) % VIRTIO_NET_BACKLOG);
		b->count--;
		done++;
	}
	if (done)
		virtio_pci_used(n->wiring.vp, VIRTIO_NET_RXQ);
	if (r < 0)
		virtio_net_fail(n, why);
}

static void virtio_net_backlog_add(struct virtio_net *n, const u8 *frame, u32 len)
{
	struct virtio_net_backlog *b = &n->backlog;
	unsigned tail = (b->head + b->count) % VIRTIO_NET_BACKLOG;

	if (b->count == VIRTIO_NET_BACKLOG) {
		n->state.stats.rx_dropped++;
		return;
	}
	memcpy(b->frame[tail], frame, len);
	b->len[tail] = (u16)len;
	b->count++;
}

/*
 * The switch's delivery: a frame for this NIC. It joins the backlog, so
 * that frames stay in order, and the backlog is drained at once. A full
 * backlog means the driver posted no buffers since, or it would have
 * kicked (the device never sets VIRTQ_USED_F_NO_NOTIFY): drop the frame.
 */
static void virtio_net_deliver(void *ctx, const u8 *frame, size_t len)
{
	struct virtio_net *n = ctx;
	struct vq *q = virtio_net_queue(n, VIRTIO_NET_RXQ);

	if (!q || !(n->state.status & VIRTIO_NET_S_LINK_UP) || len > VIRTIO_NET_FRAME_MAX) {
		n->state.stats.rx_dropped++;
		return;
	}
	virtio_net_backlog_add(n, frame, (u32)len);
	virtio_net_rx_drain(n, q);
}

static void virtio_net_notify(void *dev, unsigned queue)
{
	struct virtio_net *n = dev;
	struct vq *q;

	if (queue == VIRTIO_NET_TXQ) {
		virtio_net_tx(n);
	} else if (queue == VIRTIO_NET_RXQ) {
		q = virtio_net_queue(n, VIRTIO_NET_RXQ);
		if (q)
			virtio_net_rx_drain(n, q);
	}
}

/* Device configuration reads (5.1.4): mac, then status; beyond them, 0. */
static u32 virtio_net_cfg_read(void *dev, unsigned off, unsigned size)
{
	struct virtio_net *n = dev;
	u8 cfg[VIRTIO_NET_CFG_LEN];

	memcpy(cfg + VIRTIO_NET_CFG_MAC, n->state.mac, ETH_ALEN);
	cfg[VIRTIO_NET_CFG_STATUS] = (u8)n->state.status;
	cfg[VIRTIO_NET_CFG_STATUS + 1] = (u8)(n->state.status >> 8);
	return virtio_cfg_image_read(cfg, sizeof(cfg), off, size);
}

/* Only legacy drivers may write mac (5.1.4.2); a modern one gets nothing. */
static void virtio_net_cfg_write(void *dev, unsigned off, unsigned size, u32 val)
{
}

/* Device reset: stop, forget the failure, features and waiting frames;
 * statistics stay. */
static void virtio_net_reset(void *dev)
{
	struct virtio_net *n = dev;

	n->state.running = false;
	n->state.failed = false;
	n->state.negotiated = 0;
	virtio_net_backlog_flush(n);
}

static void virtio_net_driver_ok(void *dev, u64 negotiated)
{
	struct virtio_net *n = dev;

	n->state.negotiated = negotiated;
	n->state.running = true;
}

static const struct virtio_dev_ops virtio_net_dev_ops = {
	.device_id = VIRTIO_ID_NET,
	.features = VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS,
	.nqueues = 2,
	.queue_max = VIRTIO_NET_QUEUE_MAX,
	.cfg_len = VIRTIO_NET_CFG_LEN,
	.cfg_read = virtio_net_cfg_read,
	.cfg_write = virtio_net_cfg_write,
	.notify = virtio_net_notify,
	.reset = virtio_net_reset,
	.driver_ok = virtio_net_driver_ok,
};

void virtio_net_init(struct virtio_net *n, const u8 mac[ETH_ALEN])
{
	memset(n, 0, sizeof(*n));
	memcpy(n->state.mac, mac, ETH_ALEN);
	n->wiring.port.deliver = virtio_net_deliver;
	n->wiring.port.ctx = n;
	memcpy(n->wiring.port.mac, mac, ETH_ALEN);
}

const struct virtio_dev_ops *virtio_net_ops(const struct virtio_net *n)
{
	return &virtio_net_dev_ops;
}

void virtio_net_attach(struct virtio_net *n, struct virtio_pci *vp)
{
	n->wiring.vp = vp;
}

void virtio_net_destroy(struct virtio_net *n)
{
	net_port_detach(&n->wiring.port);
	virtio_net_backlog_flush(n);
}

void virtio_net_set_link(struct virtio_net *n, bool up)
{
	u16 status = up ? VIRTIO_NET_S_LINK_UP : 0;

	if (status == n->state.status)
		return;
	n->state.status = status;
	if (!up)
		virtio_net_backlog_flush(n);
	if (n->wiring.vp)
		virtio_pci_config_changed(n->wiring.vp);
}

/* FNV-1a (32-bit) of the name; its low 24 bits follow the 52:54:00 prefix,
 * whose 0x52 has the locally administered bit set and the group bit clear. */
void virtio_net_mac_from_name(const char *name, u8 mac[ETH_ALEN])
{
	u32 h = 2166136261u;

	for (const char *p = name; p && *p; p++)
		h = (h ^ (u8)*p) * 16777619u;
	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = 0x00;
	mac[3] = (u8)(h >> 16);
	mac[4] = (u8)(h >> 8);
	mac[5] = (u8)h;
}

/* --- state records (include/devices/snapshot.h) ---------------------------- */

/* A record being written or read, and the NIC it is for. */
struct virtio_net_parts {
	struct virtio_net_state *st;
	const struct virtio_net *n;
};

/*
 * What the record must agree with. The address is the NIC's configuration,
 * like a disk's size: the switch learnt it when the NIC was plugged in and
 * the guest's driver read it at probe, so a record with another one is
 * another NIC's. The status has only LINK_UP (ANNOUNCE needs a feature
 * never offered, 5.1.4.2), the features negotiated are among those
 * offered. running and failed only gate the queues, which the transport
 * gates again, and the counters are statistics: any value is safe.
 */
static void virtio_net_check(struct snap *s, const struct virtio_net_state *st,
			     const struct virtio_net *n)
{
	u64 offered = virtio_net_dev_ops.features | VIRTIO_F_VERSION_1;

	snap_check(s, !memcmp(st->mac, n->state.mac, ETH_ALEN), "the record's MAC is not this NIC's");
	snap_check(s, !(st->status & ~VIRTIO_NET_S_LINK_UP), "the config status has bits other than LINK_UP");
	snap_check(s, !(st->negotiated & ~offered),
		   "the features negotiated are not all ones this NIC offers");
}

/*
 * Every field of struct virtio_net_state, in record order. The assert
 * fails when the struct changes size: a field added to the state must be
 * added here too, and VIRTIO_NET_SNAP_VERSION bumped.
 */
STATIC_ASSERT(sizeof(struct virtio_net_state) == 24 + sizeof(struct virtio_net_stats) &&
		      sizeof(struct virtio_net_stats) == 6 * 8,
	      "struct virtio_net_state changed: update virtio_net_fields() and VIRTIO_NET_SNAP_VERSION");

static void virtio_net_fields(struct snap *s, void *p)
{
	struct virtio_net_parts *parts = p;
	struct virtio_net_state *st = parts->st;

	snap_bytes(s, st->mac, ETH_ALEN);
	snap_u16(s, &st->status);
	snap_bool(s, &st->running);
	snap_bool(s, &st->failed);
	snap_u64(s, &st->negotiated);
	snap_u64(s, &st->stats.tx_frames);
	snap_u64(s, &st->stats.tx_bytes);
	snap_u64(s, &st->stats.tx_dropped);
	snap_u64(s, &st->stats.rx_frames);
	snap_u64(s, &st->stats.rx_bytes);
	snap_u64(s, &st->stats.rx_dropped);
	if (s->reading)
		virtio_net_check(s, st, parts->n);
}

int virtio_net_save(const struct virtio_net *n, void *buf, size_t len)
{
	/* The writer only reads the state. */
	struct virtio_net_parts p = { (struct virtio_net_state *)&n->state, n };

	return snap_save(buf, len, VIRTIO_NET_SNAP_TAG, VIRTIO_NET_SNAP_VERSION, virtio_net_fields,
			 &p, NULL);
}

/*
 * The record goes into a scratch copy; only a good one replaces the state.
 * The frames waiting for receive buffers were for the guest as it was
 * before the load, and are not in the record: they are dropped, as frames
 * on a wire may be, and not counted (the counters are the record's).
 */
int virtio_net_load(struct virtio_net *n, const void *buf, size_t len, bool apply,
		    const char **why)
{
	struct virtio_net_state st = { 0 };
	struct virtio_net_parts p = { &st, n };
	int err = snap_load(buf, len, VIRTIO_NET_SNAP_TAG, VIRTIO_NET_SNAP_VERSION,
			    virtio_net_fields, &p, why);

	if (err || !apply)
		return err;
	n->state = st;
	n->backlog.head = 0;
	n->backlog.count = 0;
	return 0;
}
