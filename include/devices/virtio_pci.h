/*
 * virtio over PCI, the modern (virtio 1.x, non-transitional) transport
 * (devices/virtio_pci.c), virtio 1.2 section 4.1. One PCI function per
 * virtio device: configuration space with the virtio capabilities and
 * MSI-X (devices/pci_msix.c), and one 64-bit memory BAR holding every
 * register region.
 *
 * The device model (virtio_blk, virtio_net) sits behind struct
 * virtio_dev_ops; the VM reaches the transport through virtio_pci_cfg_ops
 * (registered with pci_host_add) and virtio_pci_bar_ops (registered on the
 * MMIO bus at the BAR's address). No locking: the VM serialises all calls
 * for one device.
 */
#ifndef KEEL_DEVICES_VIRTIO_PCI_H
#define KEEL_DEVICES_VIRTIO_PCI_H

#include "types.h"
#include "devices/guest_mem_ops.h"
#include "devices/irq.h"
#include "devices/pci_host.h"
#include "devices/pci_msix.h"
#include "devices/virtqueue.h"
#include "devices/io_ops.h"
#include "devices/snapshot.h"

#define VIRTIO_PCI_VENDOR	0x1af4
#define VIRTIO_PCI_DEVICE_BASE	0x1040	/* + virtio device ID (4.1.2.1) */
#define VIRTIO_PCI_REVISION	1	/* modern-only device */

/* BAR0 layout: one region per capability, 4 KiB apart. */
#define VIRTIO_PCI_BAR_SIZE	0x8000
#define VIRTIO_PCI_COMMON	0x0000
#define VIRTIO_PCI_ISR		0x1000
#define VIRTIO_PCI_DEVICE_CFG	0x2000
#define VIRTIO_PCI_NOTIFY	0x3000	/* queue q at + q * VIRTIO_PCI_NOTIFY_MULT */
#define VIRTIO_PCI_NOTIFY_MULT	4
#define VIRTIO_PCI_MSIX_TABLE	0x4000
#define VIRTIO_PCI_MSIX_PBA	0x5000
#define VIRTIO_PCI_REGION_SIZE	0x1000

#define VIRTIO_PCI_MAX_QUEUES	8	/* MSI-X vectors: one per queue plus config */
#define VIRTIO_PCI_MAX_VECTORS	(VIRTIO_PCI_MAX_QUEUES + 1)
#define VIRTIO_MSI_NO_VECTOR	0xffff

/* Device status (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE	BIT(0)
#define VIRTIO_STATUS_DRIVER		BIT(1)
#define VIRTIO_STATUS_DRIVER_OK		BIT(2)
#define VIRTIO_STATUS_FEATURES_OK	BIT(3)
#define VIRTIO_STATUS_NEEDS_RESET	BIT(6)	/* set by the device only */
#define VIRTIO_STATUS_FAILED		BIT(7)

#define VIRTIO_F_VERSION_1	BIT(32)	/* always offered and required (6.1) */

/* ISR status bits (4.1.4.5). */
#define VIRTIO_ISR_QUEUE	BIT(0)
#define VIRTIO_ISR_CONFIG	BIT(1)

/* What a virtio device model gives the transport. */
struct virtio_dev_ops {
	u16 device_id;			/* 1 net, 2 blk */
	u64 features;			/* device feature bits; VIRTIO_F_VERSION_1 is added */
	unsigned nqueues;		/* 1..VIRTIO_PCI_MAX_QUEUES */
	u16 queue_max;			/* power of 2, <= VQ_MAX_SIZE */
	u32 cfg_len;			/* device-specific config length, <= 4 KiB */
	u32  (*cfg_read)(void *dev, unsigned off, unsigned size);
	void (*cfg_write)(void *dev, unsigned off, unsigned size, u32 val);
	void (*notify)(void *dev, unsigned queue);	/* the driver kicked a queue */
	void (*reset)(void *dev);			/* device reset (status 0 written) */
	void (*driver_ok)(void *dev, u64 negotiated);	/* DRIVER_OK set: start */
};

/* The common-config registers of one queue, as the driver wrote them. */
struct virtio_pci_queue_regs {
	u16 size;
	u16 msix_vector;
	bool enable;
	u64 desc, driver, device;
};

/*
 * Guest-visible transport state, pointer-free. Together with each
 * vq[q].s of struct virtio_pci (also pointer-free: the live ring
 * indices) and its msix.state (the MSI-X table and pending bits) it is
 * what virtio_pci_save() writes.
 */
struct virtio_pci_state {
	struct pci_cfg_space cfg;	/* config header, capabilities, MSI-X control */
	u8 status;			/* device_status */
	u8 isr;
	u8 config_generation;
	bool intx_level;		/* what the INTx line was last driven to */
	u16 num_queues;			/* ops->nqueues, clamped */
	u16 queue_max;
	u16 queue_select;
	u16 config_msix_vector;
	u32 device_feature_select;
	u32 driver_feature_select;
	u64 device_features;		/* offered: ops->features | VERSION_1 */
	u64 driver_features;		/* accepted by the driver */
	struct virtio_pci_queue_regs q[VIRTIO_PCI_MAX_QUEUES];
};

/* How the transport reaches the outside. Set at init, never saved. */
struct virtio_pci_wiring {
	const struct guest_mem_ops *mem;	/* guest RAM, for the virtqueues */
	/* Send one MSI: the VM decodes it (pci_msi.h) and routes it to its APICs. */
	void (*msi)(void *ctx, u64 addr, u32 data);
	/* BAR0 moved or memory decoding toggled: re-register
	 * [new_base, new_base + VIRTIO_PCI_BAR_SIZE) on the MMIO bus when
	 * enabled, remove the old range either way. */
	void (*bar_changed)(void *ctx, u64 new_base, bool enabled);
	void *ctx;				/* for msi and bar_changed */
	struct irq_line intx;			/* INTA#, level */
	const char *name;			/* for log lines, e.g. "vm1 virtio-blk0" */
};

/*
 * A transport record as read, before its checks let it in: no part of the
 * device's state (devices/virtio_pci_state.c). In the device because it
 * is too big for a kernel stack.
 */
struct virtio_pci_scratch {
	struct virtio_pci_state state;
	struct vq_state vq[VIRTIO_PCI_MAX_QUEUES];
	struct pci_msix_state msix;
	struct pci_cfg_space ref;	/* the configuration space the function is built with */
};

struct virtio_pci {
	struct virtio_pci_state state;
	struct vq vq[VIRTIO_PCI_MAX_QUEUES];	/* vq[q].s is live once enabled */
	struct pci_msix msix;			/* over state.cfg; msix.state is saved */
	struct virtio_pci_wiring wiring;
	const struct virtio_dev_ops *ops;
	void *dev;
	struct virtio_pci_scratch scratch;	/* virtio_pci_load's, last: not state */
};

/*
 * Set up the function for device dev behind ops (both kept, not copied),
 * with BAR0 at bar0 (aligned down to VIRTIO_PCI_BAR_SIZE) and memory
 * decoding already on, as firmware would leave it: the VM registers
 * [bar0, bar0 + VIRTIO_PCI_BAR_SIZE) with virtio_pci_bar_ops itself.
 * Bus mastering starts off; the guest driver turns it on.
 */
void virtio_pci_init(struct virtio_pci *vp, const struct virtio_dev_ops *ops, void *dev,
		     u64 bar0, const struct virtio_pci_wiring *w);

/* PCI configuration space (dev is the struct virtio_pci). */
extern const struct pci_fn_ops virtio_pci_cfg_ops;
/* BAR0 MMIO, offsets relative to the BAR (dev is the struct virtio_pci). */
extern const struct io_ops virtio_pci_bar_ops;

/* Where BAR0 is now and whether memory decoding is on. */
u64 virtio_pci_bar_base(const struct virtio_pci *vp);
bool virtio_pci_bar_enabled(const struct virtio_pci *vp);

/*
 * The device side. virtio_pci_queue() is NULL unless queue q is enabled,
 * DRIVER_OK is set, DEVICE_NEEDS_RESET is not, and bus mastering is on
 * (a device may touch guest memory only then).
 */
struct vq *virtio_pci_queue(struct virtio_pci *vp, unsigned q);
/* Used buffers were added to queue q: interrupt unless the driver set
 * VIRTQ_AVAIL_F_NO_INTERRUPT. */
void virtio_pci_used(struct virtio_pci *vp, unsigned q);
/* The guest broke a rule: DEVICE_NEEDS_RESET, a config interrupt and one
 * log line "NAME: device needs reset: why" (until the next reset). */
void virtio_pci_fail(struct virtio_pci *vp, const char *why);
/* The device-specific config changed: new generation, config interrupt. */
void virtio_pci_config_changed(struct virtio_pci *vp);

/*
 * The state record (include/devices/snapshot.h): tag "VPCI", the
 * transport's registers and configuration space, each vq[q].s and the
 * MSI-X state (devices/virtio_pci_state.c). The device behind the
 * transport saves its own.
 */
#define VIRTIO_PCI_SNAP_TAG	SNAP_TAG('V', 'P', 'C', 'I')
#define VIRTIO_PCI_SNAP_VERSION	1
/* Write the state as one record into buf[0, len): bytes written, or -ENOSPC. */
int virtio_pci_save(const struct virtio_pci *vp, void *buf, size_t len);
/*
 * Read a record back. With apply false only check it; with apply true
 * check it and, when it is good, replace the state with it (the wiring,
 * the device and the guest's memory are kept), then drive the outputs as
 * it says: the INTx level, the MSI-X messages pending on unmasked vectors,
 * and BAR0's place and decoding through the wiring's bar_changed. 0, or a
 * negative error with *why saying what is wrong; a refused record changes
 * nothing.
 */
int virtio_pci_load(struct virtio_pci *vp, const void *buf, size_t len, bool apply,
		    const char **why);

/*
 * A device's config read served from an image of its config space,
 * cfg[0, len): size (1-4) bytes at off, little-endian (virtio is
 * little-endian, 2.4); an access not wholly inside the image reads 0.
 */
static inline u32 virtio_cfg_image_read(const u8 *cfg, unsigned len, unsigned off, unsigned size)
{
	u32 val = 0;

	if (size > 4 || off >= len || size > len - off)
		return 0;
	for (unsigned i = 0; i < size; i++)
		val |= (u32)cfg[off + i] << (8 * i);
	return val;
}

#endif
