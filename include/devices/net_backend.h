/*
 * How a network device model reaches the network: a struct net_port, the
 * device's end of a cable, plugged into a backend (Keel's virtual switch,
 * include/devices/backend/vswitch.h; later a host NIC). The device sends
 * through the port and receives through its deliver callback; it never
 * knows what the other end is, as virtio-blk never knows its disk
 * (include/devices/blk_backend.h).
 */
#ifndef KEEL_DEVICES_NET_BACKEND_H
#define KEEL_DEVICES_NET_BACKEND_H

#include "types.h"

#define ETH_ALEN          6
#define ETH_HLEN          14		/* destination, source, EtherType */
#define ETH_FRAME_MAX     (1514 + 4)	/* MTU 1500 plus one 802.1Q tag, no FCS */

struct net_port;

/* What a backend does for the ports plugged into it; be is its own context. */
struct net_backend_ops {
	/* Forward one frame (destination MAC first, no FCS) the port sent. */
	void (*send)(void *be, struct net_port *from, const u8 *frame, size_t len);
	/* Unplug the port: no frame reaches it once this returns. */
	void (*detach)(void *be, struct net_port *port);
};

/* Per-port counters, seen from the port's side: tx is what the port handed
 * to the backend, rx what the backend handed to the port. */
struct net_port_stats {
	u64 tx_frames, tx_bytes;
	u64 tx_bad_size;	/* dropped: shorter than ETH_HLEN or longer than ETH_FRAME_MAX */
	u64 tx_filtered;	/* dropped: destination learnt behind the sender itself */
	u64 rx_frames, rx_bytes;
};

/*
 * The device fills deliver, ctx and mac (its own address, which a switch
 * learns at attach so the first frame to it is not flooded) and keeps the
 * struct alive while plugged in; the backend sets backend and backend_ctx
 * at attach, clears them at detach, and owns stats. deliver() must not
 * call back into the same backend.
 */
struct net_port {
	void (*deliver)(void *ctx, const u8 *frame, size_t len);
	void *ctx;
	u8 mac[ETH_ALEN];
	const struct net_backend_ops *backend;	/* NULL: no cable */
	void *backend_ctx;
	struct net_port_stats stats;		/* zeroed at attach */
};

static inline bool net_port_plugged(const struct net_port *p)
{
	return p->backend != NULL;
}

static inline void net_port_send(struct net_port *p, const u8 *frame, size_t len)
{
	if (p->backend)
		p->backend->send(p->backend_ctx, p, frame, len);
}

/* Safe on a port that is not plugged in. */
static inline void net_port_detach(struct net_port *p)
{
	if (p->backend)
		p->backend->detach(p->backend_ctx, p);
}

#endif
