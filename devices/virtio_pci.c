/*
 * The virtio 1.x PCI transport (virtio 1.2 section 4.1, modern interface
 * only): configuration space with the virtio vendor capabilities (4.1.4)
 * and MSI-X (PCI Local Bus 3.0, 6.8.2), and BAR0 with the common config
 * (4.1.4.3), ISR status (4.1.4.5), device config (4.1.4.6), notification
 * (4.1.4.4) and MSI-X table/PBA regions; the MSI-X capability, table and
 * PBA themselves are devices/pci_msix.c's, the state record is
 * devices/virtio_pci_state.c's. The device behind the transport only sees
 * struct virtio_dev_ops and the virtio_pci_* calls of the header.
 *
 * The guest owns every register write, so each one is checked: accesses of
 * the wrong width or offset read 0 and are dropped (4.1.3.1 fixes the
 * widths), and rule breaks that would corrupt a ring put the device into
 * DEVICE_NEEDS_RESET (2.1.2) instead of going on.
 */
#include "devices/virtio_pci.h"
#include "virtio_pci_priv.h"
#include "lib/log.h"
#include "lib/string.h"

#define PCI_CAP_ID_VNDR		0x09

/* struct virtio_pci_cap (4.1.4) field offsets inside one capability. */
#define VCAP_CFG_TYPE		3
#define VCAP_BAR		4
#define VCAP_OFFSET		8
#define VCAP_LENGTH		12
#define VCAP_EXTRA		16	/* notify_off_multiplier, or pci_cfg_data */
#define VCAP_LEN		16
#define VCAP_LEN_EXTRA		20

/* cfg_type values (4.1.4). */
#define VIRTIO_PCI_CAP_COMMON_CFG	1
#define VIRTIO_PCI_CAP_NOTIFY_CFG	2
#define VIRTIO_PCI_CAP_ISR_CFG		3
#define VIRTIO_PCI_CAP_DEVICE_CFG	4
#define VIRTIO_PCI_CAP_PCI_CFG		5

/* Where each capability sits in configuration space. */
#define CAP_MSIX		VP_CAP_MSIX
#define CAP_PCI_CFG		(CAP_MSIX + PCI_MSIX_CAP_LEN)
#define CAP_COMMON		(CAP_PCI_CFG + VCAP_LEN_EXTRA)
#define CAP_NOTIFY		(CAP_COMMON + VCAP_LEN)
#define CAP_ISR			(CAP_NOTIFY + VCAP_LEN_EXTRA)
#define CAP_DEVICE		(CAP_ISR + VCAP_LEN)
#define PCI_CFG_DATA		(CAP_PCI_CFG + VCAP_EXTRA)

/* struct virtio_pci_common_cfg (4.1.4.3); the 64-bit fields as lo/hi halves. */
enum {
	CC_DEVICE_FEATURE_SELECT = 0x00, CC_DEVICE_FEATURE = 0x04,
	CC_DRIVER_FEATURE_SELECT = 0x08, CC_DRIVER_FEATURE = 0x0c,
	CC_CONFIG_MSIX_VECTOR = 0x10, CC_NUM_QUEUES = 0x12,
	CC_DEVICE_STATUS = 0x14, CC_CONFIG_GENERATION = 0x15,
	CC_QUEUE_SELECT = 0x16, CC_QUEUE_SIZE = 0x18, CC_QUEUE_MSIX_VECTOR = 0x1a,
	CC_QUEUE_ENABLE = 0x1c, CC_QUEUE_NOTIFY_OFF = 0x1e,
	CC_QUEUE_DESC = 0x20, CC_QUEUE_DRIVER = 0x28, CC_QUEUE_DEVICE = 0x30,
	CC_LEN = 0x38,
};

STATIC_ASSERT(VIRTIO_PCI_MAX_VECTORS <= PCI_MSIX_MAX_VECTORS, "a vector per queue plus config");

#define VP_COMMAND_RW	(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE)

static u16 vp_command(const struct virtio_pci *vp)
{
	return pci_cfg_get(&vp->state.cfg, PCI_COMMAND, 2);
}

static const char *vp_name(const struct virtio_pci *vp)
{
	return vp->wiring.name ? vp->wiring.name : "virtio-pci";
}

/* ---- interrupts --------------------------------------------------------- */

/*
 * INTx follows ISR status while MSI-X is off (4.1.4.5.1), and the PCI
 * status Interrupt bit shows it even when COMMAND.INTx-disable keeps the
 * pin quiet (PCI 3.0 6.2.2/6.2.3).
 */
static void vp_intx_update(struct virtio_pci *vp)
{
	struct virtio_pci_state *s = &vp->state;
	bool pending = vp_intx_pending(s), level = vp_intx_level(s);
	u16 status = pci_cfg_get(&s->cfg, PCI_STATUS, 2) & ~PCI_STATUS_INTERRUPT;

	pci_cfg_set(&s->cfg, PCI_STATUS, 2, status | (pending ? PCI_STATUS_INTERRUPT : 0));
	if (level == s->intx_level)
		return;
	s->intx_level = level;
	irq_line_set(&vp->wiring.intx, level);
}

/*
 * A queue or config interrupt: MSI-X vector if enabled, else ISR + INTx.
 * The config bit is set in ISR either way (4.1.4.5.1). NO_VECTOR is past
 * the table, so it sends nothing: no interrupt (4.1.5.1.2).
 */
static void vp_interrupt(struct virtio_pci *vp, u16 vector, u8 isr_bit)
{
	if (pci_msix_enabled(&vp->msix)) {
		vp->state.isr |= isr_bit & VIRTIO_ISR_CONFIG;
		pci_msix_notify(&vp->msix, vector);
		return;
	}
	vp->state.isr |= isr_bit;
	vp_intx_update(vp);
}

static void vp_config_interrupt(struct virtio_pci *vp)
{
	vp_interrupt(vp, vp->state.config_msix_vector, VIRTIO_ISR_CONFIG);
}

/* ---- device side -------------------------------------------------------- */

/* May queue q move data: enabled, device started, not failed, bus master. */
static bool vp_queue_live(const struct virtio_pci *vp, unsigned q)
{
	const struct virtio_pci_state *s = &vp->state;

	return q < s->num_queues && s->q[q].enable &&
	       (s->status & (VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_NEEDS_RESET)) ==
		       VIRTIO_STATUS_DRIVER_OK &&
	       (vp_command(vp) & PCI_COMMAND_MASTER);
}

struct vq *virtio_pci_queue(struct virtio_pci *vp, unsigned q)
{
	return vp_queue_live(vp, q) ? &vp->vq[q] : NULL;
}

void virtio_pci_used(struct virtio_pci *vp, unsigned q)
{
	if (!vp_queue_live(vp, q) || !vq_should_interrupt(&vp->vq[q]))
		return;
	vp_interrupt(vp, vp->state.q[q].msix_vector, VIRTIO_ISR_QUEUE);
}

void virtio_pci_fail(struct virtio_pci *vp, const char *why)
{
	if (vp->state.status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	vp->state.status |= VIRTIO_STATUS_NEEDS_RESET;
	log_warn("%s: device needs reset: %s", vp_name(vp), why);
	/* 2.1.2: with DRIVER_OK set, tell the driver through a config change. */
	if (vp->state.status & VIRTIO_STATUS_DRIVER_OK)
		vp_config_interrupt(vp);
}

void virtio_pci_config_changed(struct virtio_pci *vp)
{
	vp->state.config_generation++;
	if (vp->state.status & VIRTIO_STATUS_DRIVER_OK)
		vp_config_interrupt(vp);
}

/* ---- common configuration (4.1.4.3) ------------------------------------- */

/* Back to the state after power-on, except PCI configuration space and
 * the MSI-X table, which belong to the PCI function, not to virtio; the
 * interrupts the device had pending go with the device. */
static void vp_reset_regs(struct virtio_pci *vp)
{
	struct virtio_pci_state *s = &vp->state;

	s->status = 0;
	s->isr = 0;
	s->device_feature_select = 0;
	s->driver_feature_select = 0;
	s->driver_features = 0;
	s->queue_select = 0;
	s->config_msix_vector = VIRTIO_MSI_NO_VECTOR;
	pci_msix_clear_pending(&vp->msix);
	for (unsigned q = 0; q < VIRTIO_PCI_MAX_QUEUES; q++) {
		s->q[q] = (struct virtio_pci_queue_regs){
			.size = q < s->num_queues ? s->queue_max : 0,
			.msix_vector = VIRTIO_MSI_NO_VECTOR,
		};
		vq_reset(&vp->vq[q]);
	}
	vp_intx_update(vp);
}

/* Device reset (2.4): the transport first, so that a device looking at its
 * queues from its reset callback finds none. */
static void vp_reset(struct virtio_pci *vp)
{
	vp_reset_regs(vp);
	if (vp->ops->reset)
		vp->ops->reset(vp->dev);
}

/* FEATURES_OK holds only for a subset of what we offered that includes
 * VERSION_1 (3.1.1 step 5; 6.1: a modern device needs VERSION_1). */
static bool vp_features_ok(const struct virtio_pci_state *s)
{
	return !(s->driver_features & ~s->device_features) &&
	       (s->driver_features & VIRTIO_F_VERSION_1);
}

/*
 * device_status: 0 resets; otherwise the driver may only add bits (2.1.1).
 * FEATURES_OK stays clear when the features are unacceptable, which is how
 * the driver learns it (3.1.1 step 6); DRIVER_OK before FEATURES_OK is a
 * protocol break.
 */
static void vp_status_write(struct virtio_pci *vp, u8 val)
{
	struct virtio_pci_state *s = &vp->state;
	u8 set = val & VP_DRIVER_BITS & ~s->status;

	if (!val) {
		vp_reset(vp);
		return;
	}
	if ((set & VIRTIO_STATUS_FEATURES_OK) && !vp_features_ok(s))
		set &= ~VIRTIO_STATUS_FEATURES_OK;
	if ((set & VIRTIO_STATUS_DRIVER_OK) && !((s->status | set) & VIRTIO_STATUS_FEATURES_OK)) {
		s->status |= set & ~VIRTIO_STATUS_DRIVER_OK;
		virtio_pci_fail(vp, "DRIVER_OK without FEATURES_OK");
		return;
	}
	s->status |= set;
	if (!(set & VIRTIO_STATUS_DRIVER_OK))
		return;
	if (s->status & VIRTIO_STATUS_NEEDS_RESET)
		vp_config_interrupt(vp);	/* failed during setup: say so now */
	else if (vp->ops->driver_ok)
		vp->ops->driver_ok(vp->dev, s->driver_features);
}

/* An MSI-X vector the driver asks for: NO_VECTOR unless it is in the
 * table, which the driver reads back to see the mapping failed (4.1.4.3.2). */
static u16 vp_vector_accept(const struct virtio_pci *vp, u32 v)
{
	return v < pci_msix_vectors(&vp->msix) ? v : VIRTIO_MSI_NO_VECTOR;
}

static struct virtio_pci_queue_regs *vp_selected(struct virtio_pci *vp)
{
	u16 q = vp->state.queue_select;

	return q < vp->state.num_queues ? &vp->state.q[q] : NULL;
}

/* queue_enable = 1: load the ring layout into the virtqueue and check it. */
static void vp_queue_enable(struct virtio_pci *vp, unsigned q)
{
	struct virtio_pci_queue_regs *r = &vp->state.q[q];
	struct vq *vq = &vp->vq[q];
	const char *why = "bad queue layout";

	if (!vq->mem) {
		virtio_pci_fail(vp, "no guest memory wired to the transport");
		return;
	}
	vq_reset(vq);
	vq->s.size = r->size;
	vq->s.desc = r->desc;
	vq->s.driver = r->driver;
	vq->s.device = r->device;
	if (vq_validate(vq, &why) < 0) {
		vq_reset(vq);
		virtio_pci_fail(vp, why);
		return;
	}
	vq->s.ready = true;
	r->enable = true;
}

/* queue_size: a power of 2 from 1 to the maximum (2.7: split rings). */
static void vp_queue_size_write(struct virtio_pci *vp, struct virtio_pci_queue_regs *r, u32 val)
{
	if (!val || val > vp->state.queue_max || (val & (val - 1))) {
		virtio_pci_fail(vp, "queue_size not a power of 2 up to the maximum");
		return;
	}
	r->size = val;
}

/* The width of the field starting at off, 0 where none starts. */
static unsigned cc_width(unsigned off)
{
	if (off >= CC_QUEUE_DESC && off < CC_LEN)
		return off % 4 ? 0 : 4;	/* 64-bit fields as two dwords */
	switch (off) {
	case CC_DEVICE_FEATURE_SELECT: case CC_DEVICE_FEATURE:
	case CC_DRIVER_FEATURE_SELECT: case CC_DRIVER_FEATURE:
		return 4;
	case CC_DEVICE_STATUS: case CC_CONFIG_GENERATION:
		return 1;
	case CC_CONFIG_MSIX_VECTOR: case CC_NUM_QUEUES: case CC_QUEUE_SELECT:
	case CC_QUEUE_SIZE: case CC_QUEUE_MSIX_VECTOR: case CC_QUEUE_ENABLE:
	case CC_QUEUE_NOTIFY_OFF:
		return 2;
	}
	return 0;
}

/* The queue address dword at off (a lo or hi half of desc/driver/device). */
static u64 *cc_queue_addr(struct virtio_pci_queue_regs *r, unsigned off)
{
	if (off < CC_QUEUE_DRIVER)
		return &r->desc;
	return off < CC_QUEUE_DEVICE ? &r->driver : &r->device;
}

static u32 cc_feature_half(u64 features, u32 select)
{
	return select < 2 ? (u32)(features >> (32 * select)) : 0;
}

static u32 vp_common_read(struct virtio_pci *vp, unsigned off)
{
	struct virtio_pci_state *s = &vp->state;
	struct virtio_pci_queue_regs *r = vp_selected(vp);

	if (off >= CC_QUEUE_DESC && off < CC_LEN)
		return r ? (u32)(*cc_queue_addr(r, off) >> (off % 8 ? 32 : 0)) : 0;
	switch (off) {
	case CC_DEVICE_FEATURE_SELECT:	return s->device_feature_select;
	case CC_DEVICE_FEATURE:
		return cc_feature_half(s->device_features, s->device_feature_select);
	case CC_DRIVER_FEATURE_SELECT:	return s->driver_feature_select;
	case CC_DRIVER_FEATURE:
		return cc_feature_half(s->driver_features, s->driver_feature_select);
	case CC_CONFIG_MSIX_VECTOR:	return s->config_msix_vector;
	case CC_NUM_QUEUES:		return s->num_queues;
	case CC_DEVICE_STATUS:		return s->status;
	case CC_CONFIG_GENERATION:	return s->config_generation;
	case CC_QUEUE_SELECT:		return s->queue_select;
	case CC_QUEUE_SIZE:		return r ? r->size : 0;
	case CC_QUEUE_MSIX_VECTOR:	return r ? r->msix_vector : VIRTIO_MSI_NO_VECTOR;
	case CC_QUEUE_ENABLE:		return r ? r->enable : 0;
	case CC_QUEUE_NOTIFY_OFF:	return r ? s->queue_select : 0;
	}
	return 0;
}

/* driver_feature: only before FEATURES_OK, and only the two defined halves. */
static void vp_driver_feature_write(struct virtio_pci_state *s, u32 val)
{
	unsigned shift = 32 * s->driver_feature_select;

	if (s->driver_feature_select >= 2 || (s->status & VIRTIO_STATUS_FEATURES_OK))
		return;
	s->driver_features = (s->driver_features & ~(0xffffffffull << shift)) | (u64)val << shift;
}

/* Queue fields; layout ones are frozen once the queue is enabled (4.1.4.3.2). */
static void vp_queue_write(struct virtio_pci *vp, unsigned off, u32 val)
{
	struct virtio_pci_queue_regs *r = vp_selected(vp);
	unsigned shift = off % 8 ? 32 : 0;
	u64 *addr;

	if (!r)
		return;
	if (off == CC_QUEUE_MSIX_VECTOR) {
		r->msix_vector = vp_vector_accept(vp, val);
		return;
	}
	if (r->enable)
		return;	/* also: queue_enable 0 is not the driver's to write */
	if (off == CC_QUEUE_SIZE) {
		vp_queue_size_write(vp, r, val);
	} else if (off == CC_QUEUE_ENABLE) {
		if (val == 1)
			vp_queue_enable(vp, r - vp->state.q);
	} else if (off >= CC_QUEUE_DESC) {
		addr = cc_queue_addr(r, off);
		*addr = (*addr & ~(0xffffffffull << shift)) | (u64)val << shift;
	}
}

static void vp_common_write(struct virtio_pci *vp, unsigned off, u32 val)
{
	struct virtio_pci_state *s = &vp->state;

	switch (off) {
	case CC_DEVICE_FEATURE_SELECT:	s->device_feature_select = val; return;
	case CC_DRIVER_FEATURE_SELECT:	s->driver_feature_select = val; return;
	case CC_DRIVER_FEATURE:		vp_driver_feature_write(s, val); return;
	case CC_CONFIG_MSIX_VECTOR:	s->config_msix_vector = vp_vector_accept(vp, val); return;
	case CC_DEVICE_STATUS:		vp_status_write(vp, val); return;
	case CC_QUEUE_SELECT:		s->queue_select = val; return;
	case CC_QUEUE_SIZE: case CC_QUEUE_MSIX_VECTOR: case CC_QUEUE_ENABLE:
		vp_queue_write(vp, off, val);
		return;
	}
	if (off >= CC_QUEUE_DESC && off < CC_LEN)
		vp_queue_write(vp, off, val);
}

/* ---- BAR0 ---------------------------------------------------------------- */

static u8 vp_isr_read(struct virtio_pci *vp)
{
	u8 isr = vp->state.isr;

	vp->state.isr = 0;	/* read to clear (4.1.4.5) */
	vp_intx_update(vp);
	return isr;
}

static u64 vp_device_cfg_read(struct virtio_pci *vp, unsigned off, unsigned size)
{
	if (!vp->ops->cfg_read || off + size > vp->ops->cfg_len)
		return 0;
	if (size == 8)
		return vp->ops->cfg_read(vp->dev, off, 4) |
		       (u64)vp->ops->cfg_read(vp->dev, off + 4, 4) << 32;
	return vp->ops->cfg_read(vp->dev, off, size);
}

static void vp_device_cfg_write(struct virtio_pci *vp, unsigned off, unsigned size, u64 val)
{
	if (!vp->ops->cfg_write || off + size > vp->ops->cfg_len)
		return;
	if (size == 8) {
		vp->ops->cfg_write(vp->dev, off, 4, (u32)val);
		vp->ops->cfg_write(vp->dev, off + 4, 4, (u32)(val >> 32));
		return;
	}
	vp->ops->cfg_write(vp->dev, off, size, (u32)val);
}

/* Is [off, off+size) a sane access inside one region? */
static bool vp_bar_access_ok(u64 off, unsigned size)
{
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return false;
	return off < VIRTIO_PCI_BAR_SIZE &&
	       off % VIRTIO_PCI_REGION_SIZE + size <= VIRTIO_PCI_REGION_SIZE;
}

static u64 vp_bar_read(void *dev, u64 offset, unsigned size)
{
	struct virtio_pci *vp = dev;
	unsigned off = offset % VIRTIO_PCI_REGION_SIZE;

	if (!vp_bar_access_ok(offset, size))
		return 0;
	switch (offset - off) {
	case VIRTIO_PCI_COMMON:
		if (size == 8 && off >= CC_QUEUE_DESC && off < CC_LEN && off % 8 == 0)
			return vp_common_read(vp, off) | (u64)vp_common_read(vp, off + 4) << 32;
		return cc_width(off) == size ? vp_common_read(vp, off) : 0;
	case VIRTIO_PCI_ISR:
		return off == 0 && size == 1 ? vp_isr_read(vp) : 0;
	case VIRTIO_PCI_DEVICE_CFG:
		return vp_device_cfg_read(vp, off, size);
	case VIRTIO_PCI_MSIX_TABLE:
		return pci_msix_table_read(&vp->msix, off, size);
	case VIRTIO_PCI_MSIX_PBA:
		return pci_msix_pba_read(&vp->msix, off, size);
	}
	return 0;	/* notify region and the unused rest read 0 */
}

/* A write anywhere in queue q's notify address kicks it (4.1.4.4); the
 * value (the queue index, or notification data) carries nothing we need. */
static void vp_notify_write(struct virtio_pci *vp, unsigned off)
{
	unsigned q = off / VIRTIO_PCI_NOTIFY_MULT;

	if (off % VIRTIO_PCI_NOTIFY_MULT == 0 && vp_queue_live(vp, q) && vp->ops->notify)
		vp->ops->notify(vp->dev, q);
}

static void vp_bar_write(void *dev, u64 offset, unsigned size, u64 val)
{
	struct virtio_pci *vp = dev;
	unsigned off = offset % VIRTIO_PCI_REGION_SIZE;

	if (!vp_bar_access_ok(offset, size))
		return;
	switch (offset - off) {
	case VIRTIO_PCI_COMMON:
		if (size == 8 && off >= CC_QUEUE_DESC && off < CC_LEN && off % 8 == 0) {
			vp_common_write(vp, off, (u32)val);
			vp_common_write(vp, off + 4, (u32)(val >> 32));
		} else if (cc_width(off) == size) {
			vp_common_write(vp, off, (u32)val);
		}
		return;
	case VIRTIO_PCI_DEVICE_CFG:
		vp_device_cfg_write(vp, off, size, val);
		return;
	case VIRTIO_PCI_NOTIFY:
		vp_notify_write(vp, off);
		return;
	case VIRTIO_PCI_MSIX_TABLE:
		pci_msix_table_write(&vp->msix, off, size, val);
		return;
	}
	/* ISR, PBA and the unused rest are read-only. */
}

const struct io_ops virtio_pci_bar_ops = {
	.read = vp_bar_read,
	.write = vp_bar_write,
};

/* ---- PCI configuration space -------------------------------------------- */

u64 virtio_pci_bar_base(const struct virtio_pci *vp)
{
	return pci_cfg_bar_addr(&vp->state.cfg, 0);
}

bool virtio_pci_bar_enabled(const struct virtio_pci *vp)
{
	return vp_command(vp) & PCI_COMMAND_MEMORY;
}

/*
 * The VIRTIO_PCI_CAP_PCI_CFG window (4.1.4.9): cap.bar, cap.offset and
 * cap.length pick a BAR access that reading or writing pci_cfg_data
 * performs. Only BAR0 exists; the length must be 1, 2 or 4 and the offset
 * aligned to it (4.1.4.9.1); anything else does nothing.
 */
static bool vp_window(const struct virtio_pci *vp, u32 *off, unsigned *len)
{
	const struct pci_cfg_space *cs = &vp->state.cfg;

	*off = pci_cfg_get(cs, CAP_PCI_CFG + VCAP_OFFSET, 4);
	*len = pci_cfg_get(cs, CAP_PCI_CFG + VCAP_LENGTH, 4);
	return pci_cfg_get(cs, CAP_PCI_CFG + VCAP_BAR, 1) == 0 &&
	       (*len == 1 || *len == 2 || *len == 4) && *off % *len == 0 &&
	       *off < VIRTIO_PCI_BAR_SIZE;
}

static u32 vp_cfg_read(void *dev, unsigned reg)
{
	struct virtio_pci *vp = dev;
	unsigned len;
	u32 off;

	reg &= 0xfc;
	if (reg == PCI_CFG_DATA && vp_window(vp, &off, &len))
		pci_cfg_set(&vp->state.cfg, PCI_CFG_DATA, len, (u32)vp_bar_read(vp, off, len));
	return pci_cfg_read(&vp->state.cfg, reg);
}

/* Tell the VM when the decoded range appears, moves or disappears. */
static void vp_bar_check(struct virtio_pci *vp, u64 old_base, bool old_enabled)
{
	u64 base = virtio_pci_bar_base(vp);
	bool enabled = virtio_pci_bar_enabled(vp);

	if (enabled == old_enabled && (!enabled || base == old_base))
		return;
	if (vp->wiring.bar_changed)
		vp->wiring.bar_changed(vp->wiring.ctx, base, enabled);
}

static void vp_cfg_write(void *dev, unsigned reg, u32 val, u32 byte_enable_mask)
{
	struct virtio_pci *vp = dev;
	u64 old_base = virtio_pci_bar_base(vp);
	bool old_enabled = virtio_pci_bar_enabled(vp);
	unsigned len;
	u32 off;

	reg &= 0xfc;
	pci_cfg_write(&vp->state.cfg, reg, val, byte_enable_mask);
	if (reg == PCI_CFG_DATA && vp_window(vp, &off, &len))
		vp_bar_write(vp, off, len, pci_cfg_get(&vp->state.cfg, PCI_CFG_DATA, len));
	/* COMMAND or MSI-X control may have changed where interrupts go. */
	vp_intx_update(vp);
	pci_msix_flush(&vp->msix);
	vp_bar_check(vp, old_base, old_enabled);
}

const struct pci_fn_ops virtio_pci_cfg_ops = {
	.cfg_read = vp_cfg_read,
	.cfg_write = vp_cfg_write,
};

/* Chain a capability in: the list head or the previous one points at it. */
static void vp_cap_link(struct pci_cfg_space *cs, unsigned *prev, unsigned at)
{
	pci_cfg_set(cs, *prev ? *prev + 1 : PCI_CAPABILITY_LIST, 1, at);
	*prev = at;
}

static void vp_vcap(struct pci_cfg_space *cs, unsigned *prev, unsigned at, u8 type,
		    u32 offset, u32 length)
{
	bool extra = type == VIRTIO_PCI_CAP_NOTIFY_CFG || type == VIRTIO_PCI_CAP_PCI_CFG;

	vp_cap_link(cs, prev, at);
	pci_cfg_set(cs, at, 1, PCI_CAP_ID_VNDR);
	pci_cfg_set(cs, at + 2, 1, extra ? VCAP_LEN_EXTRA : VCAP_LEN);
	pci_cfg_set(cs, at + VCAP_CFG_TYPE, 1, type);
	pci_cfg_set(cs, at + VCAP_OFFSET, 4, offset);
	pci_cfg_set(cs, at + VCAP_LENGTH, 4, length);
}

/* MSI-X: a vector per queue plus one for config changes (4.1.5.1.2),
 * the table and the PBA in their regions of BAR0. */
static struct pci_msix_layout vp_msix_layout(u16 num_queues)
{
	return (struct pci_msix_layout){
		.cap = CAP_MSIX, .nvectors = num_queues + 1,
		.table_bir = 0, .table_offset = VIRTIO_PCI_MSIX_TABLE,
		.pba_bir = 0, .pba_offset = VIRTIO_PCI_MSIX_PBA,
	};
}

/* The capability list (4.1.4): MSI-X first, then the virtio structures. */
static void vp_cfg_caps(struct pci_cfg_space *cs, const struct virtio_dev_ops *ops,
			u16 num_queues)
{
	struct pci_msix_layout msix = vp_msix_layout(num_queues);
	unsigned prev = 0;

	pci_msix_cap_init(cs, &msix);
	vp_cap_link(cs, &prev, CAP_MSIX);

	/* The window's bar, offset, length and data are the driver's to write. */
	vp_vcap(cs, &prev, CAP_PCI_CFG, VIRTIO_PCI_CAP_PCI_CFG, 0, 0);
	pci_cfg_set_wmask(cs, CAP_PCI_CFG + VCAP_BAR, 1, 0xff);
	pci_cfg_set_wmask(cs, CAP_PCI_CFG + VCAP_OFFSET, 4, 0xffffffff);
	pci_cfg_set_wmask(cs, CAP_PCI_CFG + VCAP_LENGTH, 4, 0xffffffff);
	pci_cfg_set_wmask(cs, PCI_CFG_DATA, 4, 0xffffffff);

	vp_vcap(cs, &prev, CAP_COMMON, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON, CC_LEN);
	vp_vcap(cs, &prev, CAP_NOTIFY, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY,
		num_queues * VIRTIO_PCI_NOTIFY_MULT);
	pci_cfg_set(cs, CAP_NOTIFY + VCAP_EXTRA, 4, VIRTIO_PCI_NOTIFY_MULT);
	vp_vcap(cs, &prev, CAP_ISR, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR, 1);
	if (ops->cfg_len)
		vp_vcap(cs, &prev, CAP_DEVICE, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVICE_CFG,
			MIN(ops->cfg_len, VIRTIO_PCI_REGION_SIZE));
}

static u32 vp_class(u16 device_id)
{
	switch (device_id) {
	case 1:		return 0x020000;	/* network, Ethernet */
	case 2:		return 0x018000;	/* mass storage, other */
	default:	return 0xff0000;	/* no defined class */
	}
}

/* A power of 2 in [1, VQ_MAX_SIZE], at most what the device asked for. */
static u16 vp_queue_max(u16 want)
{
	u16 max = VQ_MAX_SIZE;

	while (max > 1 && max > want)
		max >>= 1;
	return max;
}

void vp_cfg_build(struct pci_cfg_space *cs, const struct virtio_dev_ops *ops, u16 num_queues)
{
	pci_cfg_init(cs, VIRTIO_PCI_VENDOR, VIRTIO_PCI_DEVICE_BASE + ops->device_id,
		     vp_class(ops->device_id), VIRTIO_PCI_REVISION);
	pci_cfg_set(cs, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	pci_cfg_set_wmask(cs, PCI_COMMAND, 2, VP_COMMAND_RW);
	pci_cfg_set(cs, PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
	pci_cfg_set(cs, PCI_SUBSYSTEM_VENDOR_ID, 2, VIRTIO_PCI_VENDOR);
	pci_cfg_set(cs, PCI_SUBSYSTEM_ID, 2, ops->device_id);
	pci_cfg_set(cs, PCI_INTERRUPT_PIN, 1, 1);	/* INTA# */
	pci_cfg_set_wmask(cs, PCI_INTERRUPT_LINE, 1, 0xff);
	pci_cfg_init_bar(cs, 0, VIRTIO_PCI_BAR_SIZE, PCI_BAR_MEM64);
	vp_cfg_caps(cs, ops, num_queues);
}

/* The configuration space with BAR0 at bar0, and the MSI-X model over it
 * (which writes its capability again, the same bytes). Every vector masked. */
static void vp_cfg_init(struct virtio_pci *vp, u64 bar0)
{
	struct pci_cfg_space *cs = &vp->state.cfg;
	struct pci_msix_layout layout = vp_msix_layout(vp->state.num_queues);
	struct pci_msix_wiring w = {
		.cfg = cs, .send = vp->wiring.msi, .ctx = vp->wiring.ctx,
	};

	vp_cfg_build(cs, vp->ops, vp->state.num_queues);
	bar0 &= ~(u64)(VIRTIO_PCI_BAR_SIZE - 1);
	pci_cfg_set(cs, PCI_BAR0, 4, (u32)bar0 | PCI_BAR_MEM64);
	pci_cfg_set(cs, PCI_BAR0 + 4, 4, (u32)(bar0 >> 32));
	pci_msix_init(&vp->msix, &layout, &w);
}

void virtio_pci_init(struct virtio_pci *vp, const struct virtio_dev_ops *ops, void *dev,
		     u64 bar0, const struct virtio_pci_wiring *w)
{
	struct virtio_pci_state *s = &vp->state;

	memset(vp, 0, sizeof(*vp));
	vp->ops = ops;
	vp->dev = dev;
	if (w)
		vp->wiring = *w;
	if (ops->nqueues > VIRTIO_PCI_MAX_QUEUES || ops->queue_max != vp_queue_max(ops->queue_max))
		log_err("%s: %u queues of %u: clamped to %u of %u", vp_name(vp), ops->nqueues,
			ops->queue_max, MIN(ops->nqueues, VIRTIO_PCI_MAX_QUEUES),
			vp_queue_max(ops->queue_max));
	s->num_queues = MIN(ops->nqueues, VIRTIO_PCI_MAX_QUEUES);
	s->queue_max = vp_queue_max(ops->queue_max);
	s->device_features = ops->features | VIRTIO_F_VERSION_1;
	for (unsigned q = 0; q < VIRTIO_PCI_MAX_QUEUES; q++)
		vp->vq[q].mem = vp->wiring.mem;
	vp_cfg_init(vp, bar0);
	/* Everything else as after a device reset; the device starts reset. */
	vp_reset_regs(vp);
}
