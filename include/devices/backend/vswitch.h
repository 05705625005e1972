/*
 * Virtual Ethernet switches (devices/backend/vswitch.c): named learning switches that
 * connect VMs' NICs and, later, a bridge to a physical NIC. A device
 * joins a switch through a struct net_port (include/devices/net_backend.h); the switch learns which port
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
#include "devices/net_backend.h"

#define VSWITCH_MAX       8		/* switches Keel can hold */
#define VSWITCH_NAME_MAX  16		/* name length, NUL included */
#define VSWITCH_MAX_PORTS 32		/* ports per switch */
#define VSWITCH_FDB_SIZE  256		/* learnt addresses per switch */
#define VSWITCH_FDB_PER_PORT 64		/* one port cannot crowd out the others */
#define VSWITCH_AGE_NS    (300ull * 1000000000ull) /* 802.1D default ageing time */

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
