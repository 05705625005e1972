/*
 * Split virtqueues, the device side (virtio 1.2 section 2.7), shared by every
 * virtio device model. The rings live in guest memory and are reached only
 * through a struct guest_mem_ops; every value read from them is untrusted.
 *
 * vq_pop() hands the device one descriptor chain, already checked: each
 * segment lies in guest RAM, readable segments come before writable ones,
 * and the chain is bounded in length and bytes. When the guest breaks a rule
 * it returns -EIO with a static string saying which; the transport then puts
 * the device into DEVICE_NEEDS_RESET. Only VIRTIO_F_INDIRECT_DESC is
 * supported among the ring features (no EVENT_IDX, no IN_ORDER, no packed).
 *
 * No locking: the device serialises calls on one queue.
 */
#ifndef KEEL_DEVICES_VIRTQUEUE_H
#define KEEL_DEVICES_VIRTQUEUE_H

#include "types.h"
#include "devices/guest_mem_ops.h"

#define VQ_MAX_SIZE   1024	/* queue size limit Keel offers (power of 2) */
#define VQ_MAX_SEGS   128	/* descriptors per chain, indirect ones included */
#define VQ_MAX_BYTES  (4u << 20) /* total bytes a chain may describe */

/* Ring layout and flags (2.7.5, 2.7.6, 2.7.8). */
#define VIRTQ_DESC_SIZE			16
#define VIRTQ_DESC_F_NEXT		BIT(0)	/* chain continues at next */
#define VIRTQ_DESC_F_WRITE		BIT(1)	/* device-writable buffer */
#define VIRTQ_DESC_F_INDIRECT		BIT(2)	/* addr/len name a descriptor table */
#define VIRTQ_AVAIL_F_NO_INTERRUPT	BIT(0)	/* driver: no used-buffer interrupt wanted */
#define VIRTQ_USED_F_NO_NOTIFY		BIT(0)	/* device: no kick wanted */
#define VIRTQ_DESC_ALIGN		16
#define VIRTQ_AVAIL_ALIGN		2
#define VIRTQ_USED_ALIGN		4

/* One guest buffer of a chain. */
struct vq_seg {
	u64 gpa;
	u32 len;
	bool device_writes;
};

/* A descriptor chain as vq_pop() found it: readable segments first. */
struct vq_chain {
	u16 head;		/* give it back to vq_push() */
	unsigned nsegs;
	struct vq_seg seg[VQ_MAX_SEGS];
	u32 out_bytes, in_bytes; /* device-readable / device-writable totals */
};

/*
 * Guest-visible state, pointer-free: a snapshot is a struct copy. The
 * transport fills size and the three ring addresses from the common config
 * and sets ready when the driver enables the queue.
 */
struct vq_state {
	u16 size;
	bool ready;
	u64 desc, driver, device;	/* descriptor table, available ring, used ring */
	u16 last_avail;			/* next available-ring entry to pop */
	u16 used_idx;			/* our copy of used->idx */
};

struct vq {
	struct vq_state s;
	const struct guest_mem_ops *mem;
};

/* Back to the reset state (not ready, no rings); mem is kept. */
void vq_reset(struct vq *q);
/* Check the layout: size a power of two <= VQ_MAX_SIZE, rings aligned and
 * wholly in guest RAM. 0 or -EIO with *why set. vq_pop/vq_push check it too;
 * a transport may call it when the driver enables the queue to fail early. */
int vq_validate(const struct vq *q, const char **why);
/* The half of vq_validate() that needs no guest memory: the size and the
 * rings' alignment. For a state record, checked before the memory is there. */
int vq_validate_layout(const struct vq_state *s, const char **why);
/* Take the next available chain: 1 and *c filled; 0 when none (or the queue
 * is not ready); -EIO when the guest broke a rule (*why says which; nothing
 * was consumed). */
int vq_pop(struct vq *q, struct vq_chain *c, const char **why);
/* Return chain head with `written` bytes written to it: fill a used-ring
 * entry, then publish used->idx. -EIO if the used ring is not usable,
 * -EINVAL for a caller bug (queue not ready, head out of range, nothing
 * outstanding). */
int vq_push(struct vq *q, u16 head, u32 written, const char **why);
/* After vq_push(): does the driver want a used-buffer interrupt? True unless
 * VIRTQ_AVAIL_F_NO_INTERRUPT is set (2.7.7, without EVENT_IDX); true too if
 * the flags cannot be read, since a spurious interrupt is harmless. */
bool vq_should_interrupt(const struct vq *q);

/*
 * Copy len bytes at byte offset off of the chain's readable part into buf,
 * or from buf into its writable part at offset off. -EINVAL if the range
 * goes past out_bytes / in_bytes, -EFAULT if guest memory vanished since the
 * pop (nothing sensible is left to do but fail the request).
 */
int vq_chain_read(const struct vq *q, const struct vq_chain *c, u32 off, void *buf, u32 len);
int vq_chain_write(const struct vq *q, const struct vq_chain *c, u32 off, const void *buf,
		   u32 len);

#endif
