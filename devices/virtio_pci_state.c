/*
 * The virtio PCI transport's state record (include/devices/snapshot.h):
 * its registers (virtio 1.2 4.1.4.3) and configuration space, each
 * queue's ring state, and the MSI-X table (PCI 3.0 6.8.2), checked
 * against the function this device was built as before any of it is
 * taken. Apart from devices/virtio_pci.c, which owns the registers: the
 * checks are most of this and would take that file well past 900 lines.
 */
#include "devices/virtio_pci.h"
#include "virtio_pci_priv.h"
#include "lib/string.h"

/*
 * The parts of a transport a record holds, wherever they are: the device
 * itself when saving, its load scratch when reading. vp is the device
 * the record is for, ref (reading only) the configuration space it was
 * built with.
 */
struct vp_parts {
	struct virtio_pci_state *st;
	struct vq_state *vq[VIRTIO_PCI_MAX_QUEUES];
	struct pci_msix_state *msix;
	const struct virtio_pci *vp;
	const struct pci_cfg_space *ref;
};

/* --- checks --------------------------------------------------------------- */

static bool vp_vector_ok(const struct virtio_pci *vp, u16 v)
{
	return v == VIRTIO_MSI_NO_VECTOR || v < pci_msix_vectors(&vp->msix);
}

/*
 * The function a record holds must be this one: the same write masks as
 * virtio_pci_init builds, and every bit a guest cannot write (IDs, class,
 * capabilities, BAR type, MSI-X table size; PCI 3.0 6.2, 6.8.2) as built.
 * Only the writable bits, the error bits a guest clears by writing 1, and
 * the status Interrupt bit, which the device drives (checked with ISR),
 * may differ. The device ID covers the kind: a blk record is not a net one.
 */
static void vp_check_cfg(struct snap *s, const struct pci_cfg_space *cs,
			 const struct pci_cfg_space *ref)
{
	bool same = true;

	snap_check(s, !memcmp(cs->wmask, ref->wmask, PCI_CFG_SIZE) &&
		   !memcmp(cs->w1cmask, ref->w1cmask, PCI_CFG_SIZE),
		   "the function's write masks are not this device's");
	for (unsigned i = 0; i < PCI_CFG_SIZE; i++) {
		u8 writable = ref->wmask[i] | ref->w1cmask[i];

		if (i == PCI_STATUS)
			writable |= (u8)PCI_STATUS_INTERRUPT;	/* bit 3: in the low byte */
		same = same && !((cs->bytes[i] ^ ref->bytes[i]) & ~writable);
	}
	snap_check(s, same, "a read-only bit of the function's configuration space is not this device's");
}

/*
 * What the device is, not what the driver did with it: queues, their
 * size limit and the features offered. A record from a read-only disk
 * offers VIRTIO_BLK_F_RO and does not load into a writable one, nor the
 * other way round.
 */
static void vp_check_identity(struct snap *s, const struct virtio_pci_state *st,
			      const struct virtio_pci *vp)
{
	snap_check(s, st->num_queues == vp->state.num_queues,
		   "the record's device has another number of queues");
	snap_check(s, st->queue_max == vp->state.queue_max,
		   "the record's device has another queue size limit");
	snap_check(s, st->device_features == (vp->ops->features | VIRTIO_F_VERSION_1),
		   "the record's device offers other features");
}

/*
 * The registers, as the register writes leave them. device_status holds
 * only defined bits; DRIVER_OK only after FEATURES_OK, which holds only
 * for offered features including VERSION_1 (3.1.1, 6.1). Before
 * FEATURES_OK driver_feature may hold anything the driver wrote, as it
 * may in a running device. The feature and queue selectors are any value
 * a driver can write: each use is bounded (a queue_select past num_queues
 * reads as "no queue", 4.1.4.3.1), so none is refused. INTx and the
 * status Interrupt bit must be what ISR, MSI-X Enable and INTx disable
 * make them (4.1.4.5.1).
 */
static void vp_check_regs(struct snap *s, const struct virtio_pci_state *st,
			  const struct virtio_pci *vp)
{
	bool features_ok = !(st->driver_features & ~st->device_features) &&
			   (st->driver_features & VIRTIO_F_VERSION_1);
	bool interrupt = pci_cfg_get(&st->cfg, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT;

	snap_check(s, !(st->status & ~(VP_DRIVER_BITS | VIRTIO_STATUS_NEEDS_RESET)),
		   "device_status has undefined bits set");
	snap_check(s, !(st->status & VIRTIO_STATUS_DRIVER_OK) ||
			      (st->status & VIRTIO_STATUS_FEATURES_OK),
		   "device_status has DRIVER_OK without FEATURES_OK");
	snap_check(s, !(st->status & VIRTIO_STATUS_FEATURES_OK) || features_ok,
		   "FEATURES_OK is set for features the device does not offer or without VERSION_1");
	snap_check(s, !(st->isr & ~(VIRTIO_ISR_QUEUE | VIRTIO_ISR_CONFIG)),
		   "ISR status has undefined bits set");
	snap_check(s, vp_vector_ok(vp, st->config_msix_vector),
		   "config_msix_vector is past the MSI-X table");
	snap_check(s, interrupt == vp_intx_pending(st) && st->intx_level == vp_intx_level(st),
		   "the INTx level or the status Interrupt bit is not what ISR calls for");
}

static bool vq_state_zero(const struct vq_state *q)
{
	return !q->size && !q->ready && !q->desc && !q->driver && !q->device &&
	       !q->last_avail && !q->used_idx;
}

/*
 * One of the device's queues. Its size is a power of two up to
 * queue_max (2.7; queue_max <= VQ_MAX_SIZE), its vector in the table or
 * NO_VECTOR. A queue the driver has not enabled has no ring state; an
 * enabled one holds the layout its registers give, aligned. That its
 * rings are guest RAM cannot be checked here, the guest's memory is not
 * part of the record and may not be back yet: vq_pop and vq_push check
 * it on every use (vq_validate), and a ring that is not RAM fails the
 * device as it would had the guest moved its memory away. The ring
 * indices are free-running u16 (2.7.6, 2.7.8): any value is one a queue
 * reaches.
 */
static void vp_check_queue(struct snap *s, const struct virtio_pci_queue_regs *r,
			   const struct vq_state *q, const struct virtio_pci *vp)
{
	const char *why = NULL;
	bool same = q->ready && q->size == r->size && q->desc == r->desc &&
		    q->driver == r->driver && q->device == r->device;

	snap_check(s, r->size && r->size <= vp->state.queue_max && !(r->size & (r->size - 1)),
		   "a queue's size is not a power of two up to the device's maximum");
	snap_check(s, vp_vector_ok(vp, r->msix_vector), "a queue's MSI-X vector is past the table");
	if (!r->enable) {
		snap_check(s, vq_state_zero(q), "a queue the driver has not enabled has ring state");
		return;
	}
	snap_check(s, same, "an enabled queue's ring state is not its registers' layout");
	snap_check(s, !vq_validate_layout(q, &why), "an enabled queue's rings are not aligned");
}

/* The queues past num_queues: as every reset leaves them. */
static void vp_check_absent_queue(struct snap *s, const struct virtio_pci_queue_regs *r,
				  const struct vq_state *q)
{
	snap_check(s, !r->size && r->msix_vector == VIRTIO_MSI_NO_VECTOR && !r->enable &&
			      !r->desc && !r->driver && !r->device && vq_state_zero(q),
		   "a queue past num_queues has registers or ring state");
}

/* Everything the fields read, once all are in (reading only). */
static void vp_check(struct snap *s, const struct vp_parts *p)
{
	const struct virtio_pci *vp = p->vp;

	vp_check_cfg(s, &p->st->cfg, p->ref);
	vp_check_identity(s, p->st, vp);
	vp_check_regs(s, p->st, vp);
	for (unsigned q = 0; q < VIRTIO_PCI_MAX_QUEUES; q++) {
		if (q < vp->state.num_queues)
			vp_check_queue(s, &p->st->q[q], p->vq[q], vp);
		else
			vp_check_absent_queue(s, &p->st->q[q], p->vq[q]);
	}
}

/* --- fields ----------------------------------------------------------------- */

/*
 * Every field of the transport, in record order: struct virtio_pci_state,
 * then each queue's struct vq_state, then the MSI-X state. All
 * VIRTIO_PCI_MAX_QUEUES queues are in it, used or not, so the layout does
 * not depend on the device. The asserts fail when a struct changes size:
 * a field added to the state must be added here too, and
 * VIRTIO_PCI_SNAP_VERSION bumped.
 */
STATIC_ASSERT(sizeof(struct virtio_pci_queue_regs) == 32,
	      "struct virtio_pci_queue_regs changed: update vp_queue_regs_fields() and VIRTIO_PCI_SNAP_VERSION");
STATIC_ASSERT(sizeof(struct virtio_pci_state) == 3 * PCI_CFG_SIZE + 40 + 32 * VIRTIO_PCI_MAX_QUEUES,
	      "struct virtio_pci_state changed: update vp_regs_fields() and VIRTIO_PCI_SNAP_VERSION");
STATIC_ASSERT(sizeof(struct vq_state) == 40,
	      "struct vq_state changed: update vq_state_fields() and VIRTIO_PCI_SNAP_VERSION");

static void vp_queue_regs_fields(struct snap *s, struct virtio_pci_queue_regs *r)
{
	snap_u16(s, &r->size);
	snap_u16(s, &r->msix_vector);
	snap_bool(s, &r->enable);
	snap_u64(s, &r->desc);
	snap_u64(s, &r->driver);
	snap_u64(s, &r->device);
}

static void vp_regs_fields(struct snap *s, struct virtio_pci_state *st)
{
	snap_bytes(s, st->cfg.bytes, PCI_CFG_SIZE);
	snap_bytes(s, st->cfg.wmask, PCI_CFG_SIZE);
	snap_bytes(s, st->cfg.w1cmask, PCI_CFG_SIZE);
	snap_u8(s, &st->status);
	snap_u8(s, &st->isr);
	snap_u8(s, &st->config_generation);
	snap_bool(s, &st->intx_level);
	snap_u16(s, &st->num_queues);
	snap_u16(s, &st->queue_max);
	snap_u16(s, &st->queue_select);
	snap_u16(s, &st->config_msix_vector);
	snap_u32(s, &st->device_feature_select);
	snap_u32(s, &st->driver_feature_select);
	snap_u64(s, &st->device_features);
	snap_u64(s, &st->driver_features);
	for (unsigned q = 0; q < VIRTIO_PCI_MAX_QUEUES; q++)
		vp_queue_regs_fields(s, &st->q[q]);
}

static void vq_state_fields(struct snap *s, struct vq_state *q)
{
	snap_u16(s, &q->size);
	snap_bool(s, &q->ready);
	snap_u64(s, &q->desc);
	snap_u64(s, &q->driver);
	snap_u64(s, &q->device);
	snap_u16(s, &q->last_avail);
	snap_u16(s, &q->used_idx);
}

static void vp_fields(struct snap *s, void *p)
{
	struct vp_parts *parts = p;

	vp_regs_fields(s, parts->st);
	for (unsigned q = 0; q < VIRTIO_PCI_MAX_QUEUES; q++)
		vq_state_fields(s, parts->vq[q]);
	pci_msix_fields(s, parts->msix, &parts->vp->msix);
	if (s->reading)
		vp_check(s, parts);
}

/* --- save and load ---------------------------------------------------------- */

int virtio_pci_save(const struct virtio_pci *vp, void *buf, size_t len)
{
	/* The writer only reads the state: the parts may point into a const device. */
	struct virtio_pci *live = (struct virtio_pci *)vp;
	struct vp_parts p = { .st = &live->state, .msix = &live->msix.state, .vp = vp };

	for (unsigned q = 0; q < VIRTIO_PCI_MAX_QUEUES; q++)
		p.vq[q] = &live->vq[q].s;
	return snap_save(buf, len, VIRTIO_PCI_SNAP_TAG, VIRTIO_PCI_SNAP_VERSION, vp_fields, &p, NULL);
}

/*
 * Take a checked record and drive the outputs as it says: the INTx line
 * (whatever it was: the interrupt controller's input follows this
 * device), the MSI-X messages pending on vectors unmasked now, and BAR0's
 * place and decoding, which the guest may have moved.
 */
static void vp_apply(struct virtio_pci *vp, const struct virtio_pci_scratch *sc)
{
	vp->state = sc->state;
	for (unsigned q = 0; q < VIRTIO_PCI_MAX_QUEUES; q++)
		vp->vq[q].s = sc->vq[q];
	irq_line_set(&vp->wiring.intx, vp->state.intx_level);
	pci_msix_restore(&vp->msix, &sc->msix);
	if (vp->wiring.bar_changed)
		vp->wiring.bar_changed(vp->wiring.ctx, virtio_pci_bar_base(vp),
				       virtio_pci_bar_enabled(vp));
}

/* The record goes into the device's scratch; only a good one replaces the state. */
int virtio_pci_load(struct virtio_pci *vp, const void *buf, size_t len, bool apply,
		    const char **why)
{
	struct virtio_pci_scratch *sc = &vp->scratch;
	struct vp_parts p = { .st = &sc->state, .msix = &sc->msix, .vp = vp, .ref = &sc->ref };
	int err;

	memset(sc, 0, sizeof(*sc));
	vp_cfg_build(&sc->ref, vp->ops, vp->state.num_queues);
	for (unsigned q = 0; q < VIRTIO_PCI_MAX_QUEUES; q++)
		p.vq[q] = &sc->vq[q];
	err = snap_load(buf, len, VIRTIO_PCI_SNAP_TAG, VIRTIO_PCI_SNAP_VERSION, vp_fields, &p, why);
	if (err || !apply)
		return err;
	vp_apply(vp, sc);
	return 0;
}
