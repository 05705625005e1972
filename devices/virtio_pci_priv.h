/*
 * What the two halves of the virtio PCI transport share: devices/virtio_pci.c
 * (the registers, virtio 1.2 4.1) and devices/virtio_pci_state.c (its
 * state record). Internal to the model: nothing outside devices/ uses it.
 */
#ifndef KEEL_DEVICES_VIRTIO_PCI_PRIV_H
#define KEEL_DEVICES_VIRTIO_PCI_PRIV_H

#include "devices/virtio_pci.h"

/* Where the MSI-X capability sits in configuration space (the first). */
#define VP_CAP_MSIX	0x40

/* The device_status bits a driver may set (2.1); NEEDS_RESET is the device's. */
#define VP_DRIVER_BITS	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | \
			 VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_FAILED)

/*
 * The configuration space virtio_pci_init() builds for the device behind
 * ops with num_queues queues (the clamped count), BAR0 at address 0:
 * header, BAR, capability list with MSI-X, every write mask.
 */
void vp_cfg_build(struct pci_cfg_space *cs, const struct virtio_dev_ops *ops, u16 num_queues);

/* An interrupt is pending on INTx: ISR status is set and MSI-X is off
 * (4.1.4.5.1). The PCI status Interrupt bit shows it. */
static inline bool vp_intx_pending(const struct virtio_pci_state *s)
{
	u16 ctrl = pci_cfg_get(&s->cfg, VP_CAP_MSIX + PCI_MSIX_CTRL, 2);

	return s->isr && !(ctrl & PCI_MSIX_CTRL_ENABLE);
}

/* The level INTA# is driven to: pending, unless COMMAND's INTx disable
 * keeps the pin quiet (PCI 3.0 6.2.2). */
static inline bool vp_intx_level(const struct virtio_pci_state *s)
{
	return vp_intx_pending(s) &&
	       !(pci_cfg_get(&s->cfg, PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE);
}

#endif
