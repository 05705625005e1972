/*
 * Virtual Ethernet switches (devices/backend/vswitch.c): named learning switches that
 * connect VMs' NICs and, later, a bridge to a physical NIC. A backend
 * joins a switch through a struct net_port; the switch learns which port
 * each source MAC lives behind, sends unicast there and floods the rest
 * (IEEE 802.1D transparent bridging, without spanning tree).
 *
 * Each switch has a lock: sends, attaches and detaches come from any CPU.
 * A port's deliver callback runs under it and must not block (Keel's NICs
 * queue the frame when the receiving VM is busy: vmm/machine/virtio_vm.c).
 */
#ifndef KEEL_VMM_VSWITCH_H
#define KEEL_VMM_VSWITCH_H

#include "types.h"

#define ETH_ALEN          6
#define ETH_HLEN          14		/* destination, source, EtherType */
#define ETH_FRAME_MAX     (1514 + 4)	/* MTU 1500 plus one 802.1Q tag, no FCS */

#define VSWITCH_MAX       8		/* switches Keel can hold */
#define VSWITCH_NAME_MAX  16		/* name length, NUL included */
#define VSWITCH_MAX_PORTS 32		/* ports per switch */
#define VSWITCH_FDB_SIZE  256		/* learnt addresses per switch */
#define VSWITCH_FDB_PER_PORT 64		/* one port cannot crowd out the others */
#define VSWITCH_AGE_NS    (300ull * 1000000000ull) /* 802.1D default ageing time */

/* Per-port counters, seen from the port's side: tx is what the port handed
 * to the switch, rx what the switch handed to the port. */
struct net_port_stats {
	u64 tx_frames, tx_bytes;
	u64 tx_bad_size;	/* dropped: shorter than ETH_HLEN or longer than ETH_FRAME_MAX */
	u64 tx_filtered;	/* dropped: destination learnt behind the sender itself */
	u64 rx_frames, rx_bytes;
};

/*
 * A backend's connection to a switch. The backend fills deliver, ctx and
 * mac (its own address, learnt at attach so the first frame to it is not
 * flooded) and keeps the struct alive while attached; the switch owns sw
 * and stats. deliver() must not call back into the same switch.
 */
struct net_port {
	void (*deliver)(void *ctx, const u8 *frame, size_t len);
	void *ctx;
	u8 mac[ETH_ALEN];
	struct vswitch *sw;		/* the switch it is attached to, or NULL */
	struct net_port_stats stats;	/* zeroed at attach */
};

struct vswitch;

/* The switch called name, created on first use; NULL if name is empty or
 * too long, or VSWITCH_MAX switches exist already. */
struct vswitch *vswitch_get(const char *name);
const char *vswitch_name(const struct vswitch *sw);
/* 0, -EINVAL (no deliver callback), -EBUSY (already attached) or -ENOSPC. */
int vswitch_attach(struct vswitch *sw, struct net_port *port);
/* Unplug a port and forget the addresses learnt behind it; no-op if it is
 * not attached. */
void vswitch_detach(struct net_port *port);
/* Forward one frame (destination MAC first, no FCS) that from sent. */
void vswitch_send(struct vswitch *sw, struct net_port *from, const u8 *frame, size_t len);
unsigned vswitch_port_count(const struct vswitch *sw);

#endif
