/*
 * virtio network device (devices/virtio_net.c), virtio 1.2 section 5.1, on
 * the PCI transport (devices/virtio_pci.c): one receive and one transmit
 * queue, no control queue, no offloads. Frames go to and come from a
 * network backend (a virtual switch, say) through a struct net_port
 * (include/devices/net_backend.h).
 *
 * The model takes no lock: the VM serialises transport accesses for one
 * device, and the backend delivers frames under the VM's lock.
 */
#ifndef KEEL_DEVICES_VIRTIO_NET_H
#define KEEL_DEVICES_VIRTIO_NET_H

#include "types.h"
#include "devices/virtqueue.h"
#include "devices/virtio_pci.h"
#include "devices/net_backend.h"

#define VIRTIO_ID_NET		1

/* Feature bits (5.1.3); only these two are offered. */
#define VIRTIO_NET_F_MAC	BIT(5)	/* config mac is valid */
#define VIRTIO_NET_F_STATUS	BIT(16)	/* config status is valid */

/* Device configuration layout (5.1.4), byte offsets; little-endian fields. */
#define VIRTIO_NET_CFG_MAC	0x00	/* u8[6] */
#define VIRTIO_NET_CFG_STATUS	0x06	/* u16 */
#define VIRTIO_NET_CFG_LEN	0x08	/* max_virtqueue_pairs and on need F_MQ etc. */
#define VIRTIO_NET_S_LINK_UP	BIT(0)
#define VIRTIO_NET_S_ANNOUNCE	BIT(1)	/* needs F_GUEST_ANNOUNCE: never set */

/* Queues (5.1.2): receiveq1 and transmitq1 only. */
#define VIRTIO_NET_RXQ		0
#define VIRTIO_NET_TXQ		1
#define VIRTIO_NET_QUEUE_MAX	256

/* struct virtio_net_hdr (5.1.6): 12 bytes, num_buffers included under VERSION_1. */
#define VIRTIO_NET_HDR_LEN	12
#define VIRTIO_NET_FRAME_MAX	ETH_FRAME_MAX	/* 1514 + an 802.1Q tag, no FCS */
#define VIRTIO_NET_BACKLOG	16	/* received frames held while the driver has no buffers */

/* Counters; statistics only. */
struct virtio_net_stats {
	u64 tx_frames, tx_bytes;	/* handed to the switch */
	u64 tx_dropped;			/* too long, offload flags set, or link down */
	u64 rx_frames, rx_bytes;	/* put into guest buffers */
	u64 rx_dropped;			/* not started, backlog full, or buffer too small */
};

/*
 * Device state beyond the transport's: plain values, no pointers, saved
 * as a record (virtio_net_save).
 */
struct virtio_net_state {
	u8 mac[ETH_ALEN];
	u16 status;			/* config status: VIRTIO_NET_S_LINK_UP */
	bool running;			/* DRIVER_OK seen since the last reset */
	bool failed;			/* needs-reset raised: ignore kicks until reset */
	u64 negotiated;			/* features the driver accepted */
	struct virtio_net_stats stats;
};

/*
 * Frames the switch delivered while the receive queue was empty, oldest
 * at head; retried when the driver kicks the receive queue. Pointer-free
 * too, but left out of a snapshot on purpose: frames in flight may be
 * lost like on a wire, and 24 KiB need not be copied.
 */
struct virtio_net_backlog {
	u16 head, count;
	u16 len[VIRTIO_NET_BACKLOG];
	u8 frame[VIRTIO_NET_BACKLOG][VIRTIO_NET_FRAME_MAX];
};

/* Wiring: set at init and attach, never saved. */
struct virtio_net_wiring {
	struct virtio_pci *vp;		/* the transport the device sits on */
	struct net_port port;		/* our connection to the switch */
};

struct virtio_net {
	struct virtio_net_state state;
	struct virtio_net_wiring wiring;
	struct virtio_net_backlog backlog;
	/* Scratch for the chain and frame in hand; too big for a kernel stack.
	 * Receive and transmit have their own, as a send may deliver. */
	struct vq_chain tx_chain, rx_chain;
	u8 tx_buf[VIRTIO_NET_HDR_LEN + VIRTIO_NET_FRAME_MAX];
};

/*
 * Set the device up with address mac (see virtio_net_mac_from_name), link
 * down and no cable: the VM plugs n->wiring.port into a backend (e.g.
 * vswitch_attach) and calls virtio_net_set_link(n, true). Then hand
 * virtio_net_ops(n) and n to the transport and call virtio_net_attach().
 */
void virtio_net_init(struct virtio_net *n, const u8 mac[ETH_ALEN]);
const struct virtio_dev_ops *virtio_net_ops(const struct virtio_net *n);
/* Tell the device which transport it is on (for queues, interrupts, failure). */
void virtio_net_attach(struct virtio_net *n, struct virtio_pci *vp);
/* Unplug from the backend (the VM is going away); safe to call twice. */
void virtio_net_destroy(struct virtio_net *n);
/* Cable in or out: sets LINK_UP and raises a config interrupt. While the
 * link is down, frames both ways are dropped. */
void virtio_net_set_link(struct virtio_net *n, bool up);

/* The state record (include/devices/snapshot.h): tag "VNET", struct
 * virtio_net_state; not the backlog (see struct virtio_net_backlog). The
 * queues and their ring indices are the transport's record. */
#define VIRTIO_NET_SNAP_TAG	SNAP_TAG('V', 'N', 'E', 'T')
#define VIRTIO_NET_SNAP_VERSION	1
/* Write the state as one record into buf[0, len): bytes written, or -ENOSPC. */
int virtio_net_save(const struct virtio_net *n, void *buf, size_t len);
/*
 * Read a record back: only one of a NIC with this MAC. With apply false
 * only check it; with apply true check it and, when it is good, replace
 * the state with it (the wiring is kept, the switch port stays as
 * plugged) and drop the backlog. 0, or a negative error with *why saying
 * what is wrong; a refused record changes nothing.
 */
int virtio_net_load(struct virtio_net *n, const void *buf, size_t len, bool apply,
		    const char **why);

/* A stable locally administered unicast address 52:54:00:xx:xx:xx from a
 * hash of name (a VM name, say with the NIC index appended). */
void virtio_net_mac_from_name(const char *name, u8 mac[ETH_ALEN]);

#endif
