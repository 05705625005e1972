/*
 * virtio block device (devices/virtio_blk.c), virtio 1.2 section 5.2, on the
 * PCI transport (devices/virtio_pci.c) with one request queue. Sectors come
 * from a struct blk_backend (include/devices/blk_backend.h).
 *
 * Requests are served synchronously inside the queue notify, so a VM exit
 * that kicks the queue returns with the requests completed. The model takes
 * no lock: the VM serialises transport accesses for one device.
 */
#ifndef KEEL_DEVICES_VIRTIO_BLK_H
#define KEEL_DEVICES_VIRTIO_BLK_H

#include "types.h"
#include "devices/blk_backend.h"
#include "devices/virtqueue.h"
#include "devices/virtio_pci.h"

#define VIRTIO_ID_BLOCK		2

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX	BIT(1)	/* size_max is valid */
#define VIRTIO_BLK_F_SEG_MAX	BIT(2)	/* seg_max is valid */
#define VIRTIO_BLK_F_GEOMETRY	BIT(4)
#define VIRTIO_BLK_F_RO		BIT(5)	/* the disk is read-only */
#define VIRTIO_BLK_F_BLK_SIZE	BIT(6)	/* blk_size is valid */
#define VIRTIO_BLK_F_FLUSH	BIT(9)	/* VIRTIO_BLK_T_FLUSH supported */
#define VIRTIO_BLK_F_TOPOLOGY	BIT(10)
#define VIRTIO_BLK_F_CONFIG_WCE	BIT(11)
#define VIRTIO_BLK_F_MQ		BIT(12)
#define VIRTIO_BLK_F_DISCARD	BIT(13)
#define VIRTIO_BLK_F_WRITE_ZEROES BIT(14)

/* Device configuration layout (5.2.4), byte offsets; little-endian fields. */
#define VIRTIO_BLK_CFG_CAPACITY		0x00	/* u64, 512-byte sectors */
#define VIRTIO_BLK_CFG_SIZE_MAX		0x08	/* u32, bytes per segment */
#define VIRTIO_BLK_CFG_SEG_MAX		0x0c	/* u32, data segments per request */
#define VIRTIO_BLK_CFG_GEOMETRY		0x10	/* u16 cylinders, u8 heads, u8 sectors */
#define VIRTIO_BLK_CFG_BLK_SIZE		0x14	/* u32 */
#define VIRTIO_BLK_CFG_TOPOLOGY		0x18	/* 8 bytes */
#define VIRTIO_BLK_CFG_WRITEBACK	0x20	/* u8 */
#define VIRTIO_BLK_CFG_NUM_QUEUES	0x22	/* u16 */
#define VIRTIO_BLK_CFG_LEN		0x24	/* the fields up to num_queues */

/* Request types (5.2.6) and status values. */
#define VIRTIO_BLK_T_IN		0
#define VIRTIO_BLK_T_OUT	1
#define VIRTIO_BLK_T_FLUSH	4
#define VIRTIO_BLK_T_GET_ID	8
#define VIRTIO_BLK_T_GET_LIFETIME 10
#define VIRTIO_BLK_T_DISCARD	11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_T_SECURE_ERASE 14

#define VIRTIO_BLK_S_OK		0
#define VIRTIO_BLK_S_IOERR	1
#define VIRTIO_BLK_S_UNSUPP	2

#define VIRTIO_BLK_HDR_LEN	16	/* le32 type, le32 reserved, le64 sector */
#define VIRTIO_BLK_ID_BYTES	20	/* GET_ID answer: NUL-padded serial */

/* Limits offered in the configuration space (see virtio_blk.c). */
#define VIRTIO_BLK_SEG_MAX	(VQ_MAX_SEGS - 2)	/* header and status take two */
#define VIRTIO_BLK_SIZE_MAX	(32u * 1024)
#define VIRTIO_BLK_QUEUE_MAX	256

/*
 * Device state beyond the transport's: plain values, no pointers, saved
 * as a record (virtio_blk_save). The counters are statistics only.
 */
struct virtio_blk_state {
	u64 requests;		/* requests completed, any status */
	u64 sectors_read;
	u64 sectors_written;
	u64 flushes;
	u64 errors;		/* requests answered IOERR or UNSUPP */
	u64 negotiated;		/* features the driver accepted at DRIVER_OK */
	bool failed;		/* needs-reset raised: ignore kicks until reset */
};

/* Wiring: set at init and attach, never saved. */
struct virtio_blk_wiring {
	struct virtio_pci *vp;		/* the transport the device sits on */
	struct blk_backend *be;
	char serial[VIRTIO_BLK_ID_BYTES];	/* GET_ID answer, NUL-padded */
	struct virtio_dev_ops ops;	/* what the transport is given */
};

struct virtio_blk {
	struct virtio_blk_state state;
	struct virtio_blk_wiring wiring;
	/* Scratch for the request in hand; too big for a kernel stack. */
	struct vq_chain chain;
	struct blk_seg data[VQ_MAX_SEGS];
};

/*
 * Set the device up over backend be (kept, not copied) with the serial
 * number GET_ID reports (truncated to 20 bytes). Then hand
 * virtio_blk_ops(b) and b to the transport and call virtio_blk_attach().
 */
void virtio_blk_init(struct virtio_blk *b, struct blk_backend *be, const char *serial);
/* The transport callbacks; features include VIRTIO_BLK_F_RO for a read-only backend. */
const struct virtio_dev_ops *virtio_blk_ops(const struct virtio_blk *b);
/* Tell the device which transport it is on (for queues, interrupts, failure). */
void virtio_blk_attach(struct virtio_blk *b, struct virtio_pci *vp);

/* The state record (include/devices/snapshot.h): tag "VBLK", struct
 * virtio_blk_state. The queue and its ring indices are the transport's
 * record; the disk's contents are the backend's business. */
#define VIRTIO_BLK_SNAP_TAG	SNAP_TAG('V', 'B', 'L', 'K')
#define VIRTIO_BLK_SNAP_VERSION	1
/* Write the state as one record into buf[0, len): bytes written, or -ENOSPC. */
int virtio_blk_save(const struct virtio_blk *b, void *buf, size_t len);
/*
 * Read a record back. With apply false only check it; with apply true
 * check it and, when it is good, replace the state with it (the wiring is
 * kept). There is nothing to drive: the transport holds the interrupts.
 * 0, or a negative error with *why saying what is wrong; a refused record
 * changes nothing.
 */
int virtio_blk_load(struct virtio_blk *b, const void *buf, size_t len, bool apply,
		    const char **why);

#endif
