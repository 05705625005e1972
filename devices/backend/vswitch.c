/*
 * Virtual Ethernet switches: a learning bridge after IEEE 802.1D-2004
 * section 7 (forwarding process, 7.7; learning process, 7.8; filtering
 * database, 7.9), without spanning tree since nothing can form a loop.
 *
 * The filtering database maps a source MAC to the port it was last seen
 * on. Unicast to a known address goes to that port only; unknown unicast,
 * broadcast and multicast go to every port but the sender. A frame is
 * never sent back where it came from. Entries age out after
 * VSWITCH_AGE_NS, and each port holds at most VSWITCH_FDB_PER_PORT of
 * them, so a guest sending from random addresses only recycles its own.
 */
#include "devices/backend/vswitch.h"
#include "lib/string.h"
#include "lib/spinlock.h"
#include "lib/time.h"

#define ETH_DEST     0		/* offset of the destination address */
#define ETH_SOURCE   6		/* offset of the source address */
#define ETH_GROUP    BIT(0)	/* I/G bit of the first address byte: multicast */

struct fdb_entry {
	u8 mac[ETH_ALEN];
	bool used;
	u8 port;		/* index into ports[] */
	u64 seen_ns;		/* last time a frame came from mac */
};

struct vswitch {
	struct spinlock lock;		/* ports, addresses, port statistics */
	char name[VSWITCH_NAME_MAX];	/* "" while the slot is free */
	struct net_port *ports[VSWITCH_MAX_PORTS];
	struct fdb_entry fdb[VSWITCH_FDB_SIZE];
};

static struct vswitch switches[VSWITCH_MAX];

static void vswitch_be_send(void *sw, struct net_port *from, const u8 *frame, size_t len)
{
	vswitch_send(sw, from, frame, len);
}

static void vswitch_be_detach(void *sw, struct net_port *port)
{
	vswitch_detach(port);
}

/* The switch as a net backend: what a plugged-in port's sends reach. */
static const struct net_backend_ops vswitch_backend_ops = {
	.send = vswitch_be_send,
	.detach = vswitch_be_detach,
};

struct vswitch *vswitch_get(const char *name)
{
	struct vswitch *free_slot = NULL;
	size_t len = name ? strnlen(name, VSWITCH_NAME_MAX) : 0;

	if (len == 0 || len == VSWITCH_NAME_MAX)
		return NULL;
	for (unsigned i = 0; i < VSWITCH_MAX; i++) {
		if (!switches[i].name[0]) {
			if (!free_slot)
				free_slot = &switches[i];
		} else if (!strcmp(switches[i].name, name)) {
			return &switches[i];
		}
	}
	if (free_slot)
		memcpy(free_slot->name, name, len + 1);
	return free_slot;
}

const char *vswitch_name(const struct vswitch *sw)
{
	return sw->name;
}

unsigned vswitch_port_count(const struct vswitch *sw)
{
	unsigned n = 0;

	for (unsigned i = 0; i < VSWITCH_MAX_PORTS; i++)
		n += sw->ports[i] != NULL;
	return n;
}

/* An address a station can own: not group, not all zeroes. */
static bool mac_is_station(const u8 *mac)
{
	static const u8 zero[ETH_ALEN];

	return !(mac[0] & ETH_GROUP) && memcmp(mac, zero, ETH_ALEN);
}

static bool fdb_live(const struct fdb_entry *e, u64 now)
{
	return e->used && now - e->seen_ns < VSWITCH_AGE_NS;
}

static struct fdb_entry *fdb_lookup(struct vswitch *sw, const u8 *mac, u64 now)
{
	for (unsigned i = 0; i < VSWITCH_FDB_SIZE; i++) {
		struct fdb_entry *e = &sw->fdb[i];

		if (fdb_live(e, now) && !memcmp(e->mac, mac, ETH_ALEN))
			return e;
	}
	return NULL;
}

/*
 * The slot a new address for port goes into: the port's own oldest entry
 * once it holds its quota, else a free or aged slot, else the oldest
 * entry of all.
 */
static struct fdb_entry *fdb_victim(struct vswitch *sw, unsigned port, u64 now)
{
	struct fdb_entry *own_oldest = NULL, *oldest = &sw->fdb[0];
	unsigned own = 0;

	for (unsigned i = 0; i < VSWITCH_FDB_SIZE; i++) {
		struct fdb_entry *e = &sw->fdb[i];

		if (!fdb_live(e, now))
			continue;
		if (e->port == port) {
			own++;
			if (!own_oldest || e->seen_ns < own_oldest->seen_ns)
				own_oldest = e;
		}
		if (e->seen_ns < oldest->seen_ns)
			oldest = e;
	}
	if (own >= VSWITCH_FDB_PER_PORT)
		return own_oldest;
	for (unsigned i = 0; i < VSWITCH_FDB_SIZE; i++)
		if (!fdb_live(&sw->fdb[i], now))
			return &sw->fdb[i];
	return oldest;
}

/* Remember that mac lives behind port (802.1D 7.8); a station that moved
 * to another port is followed at once. */
static void fdb_learn(struct vswitch *sw, const u8 *mac, unsigned port, u64 now)
{
	struct fdb_entry *e;

	if (!mac_is_station(mac))
		return;
	e = fdb_lookup(sw, mac, now);
	if (!e) {
		e = fdb_victim(sw, port, now);
		memcpy(e->mac, mac, ETH_ALEN);
		e->used = true;
	}
	e->port = (u8)port;
	e->seen_ns = now;
}

static void fdb_forget_port(struct vswitch *sw, unsigned port)
{
	for (unsigned i = 0; i < VSWITCH_FDB_SIZE; i++)
		if (sw->fdb[i].used && sw->fdb[i].port == port)
			sw->fdb[i].used = false;
}

static int port_index(const struct vswitch *sw, const struct net_port *port)
{
	for (unsigned i = 0; i < VSWITCH_MAX_PORTS; i++)
		if (sw->ports[i] == port)
			return (int)i;
	return -1;
}

int vswitch_attach(struct vswitch *sw, struct net_port *port)
{
	int idx;

	if (!sw || !port || !port->deliver)
		return -EINVAL;
	if (port->backend)
		return -EBUSY;
	spin_lock(&sw->lock);
	idx = port_index(sw, NULL);
	if (idx >= 0) {
		sw->ports[idx] = port;
		port->backend = &vswitch_backend_ops;
		port->backend_ctx = sw;
		memset(&port->stats, 0, sizeof(port->stats));
		fdb_learn(sw, port->mac, (unsigned)idx, time_now_ns());
	}
	spin_unlock(&sw->lock);
	return idx < 0 ? -ENOSPC : 0;
}

void vswitch_detach(struct net_port *port)
{
	struct vswitch *sw = port && port->backend == &vswitch_backend_ops ? port->backend_ctx : NULL;
	int idx;

	if (!sw)
		return;
	spin_lock(&sw->lock);
	idx = port_index(sw, port);
	if (idx >= 0) {
		fdb_forget_port(sw, (unsigned)idx);
		sw->ports[idx] = NULL;
	}
	port->backend = NULL;
	port->backend_ctx = NULL;
	spin_unlock(&sw->lock);
}

static void port_deliver(struct net_port *to, const u8 *frame, size_t len)
{
	to->stats.rx_frames++;
	to->stats.rx_bytes += len;
	to->deliver(to->ctx, frame, len);
}

/* The forwarding process (802.1D 7.7): learn the source, then filter,
 * forward or flood by destination. Under the switch's lock, which the
 * ports' deliver callbacks must not block in (they run with the sending
 * VM's lock held and may target any VM). */
static void vswitch_forward(struct vswitch *sw, struct net_port *from, const u8 *frame, size_t len)
{
	u64 now = time_now_ns();
	struct fdb_entry *dest;
	int src;

	if (sw)
		spin_assert_held(&sw->lock);
	if (!sw || !from || from->backend_ctx != sw || (src = port_index(sw, from)) < 0)
		return;
	if (len < ETH_HLEN || len > ETH_FRAME_MAX) {
		from->stats.tx_bad_size++;
		return;
	}
	from->stats.tx_frames++;
	from->stats.tx_bytes += len;
	fdb_learn(sw, frame + ETH_SOURCE, (unsigned)src, now);

	dest = (frame[ETH_DEST] & ETH_GROUP) ? NULL : fdb_lookup(sw, frame + ETH_DEST, now);
	if (dest) {
		if (dest->port == src)
			from->stats.tx_filtered++;
		else
			port_deliver(sw->ports[dest->port], frame, len);
		return;
	}
	for (unsigned i = 0; i < VSWITCH_MAX_PORTS; i++)
		if (sw->ports[i] && (int)i != src)
			port_deliver(sw->ports[i], frame, len);
}

void vswitch_send(struct vswitch *sw, struct net_port *from, const u8 *frame, size_t len)
{
	if (!sw)
		return;
	spin_lock(&sw->lock);
	vswitch_forward(sw, from, frame, len);
	spin_unlock(&sw->lock);
}
