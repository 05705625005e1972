/* A VM's virtio devices: disks and NICs from its config, as virtio-pci
 * functions on bus 0 (vmm/machine/virtio_vm.c). */
#ifndef KEEL_VMM_VIRTIO_VM_H
#define KEEL_VMM_VIRTIO_VM_H

#include "types.h"
#include "devices/guest_mem_ops.h"
#include "devices/virtio_pci.h"
#include "devices/virtio_blk.h"
#include "devices/blk_backend.h"
#include "devices/virtio_net.h"
#include "devices/backend/vswitch.h"

struct vm;

enum virtio_kind { VIRTIO_BLK, VIRTIO_NET };

/* One virtio function of a VM: the transport, the device behind it, and
 * where its BAR0 currently sits on the VM's MMIO bus. */
struct virtio_slot {
	struct vm *vm;
	enum virtio_kind kind;
	u8 devfn;
	char name[48];
	struct guest_mem_ops mem;
	struct virtio_pci vp;
	union {
		struct { struct blk_ram ram; struct blk_backend be; struct virtio_blk dev; } blk;
		struct virtio_net net;
	};
	u64 bar_base;
	bool bar_mapped;
	/* NICs: frames the switch brought while the VM's lock was taken. */
	struct nic_inbox *inbox;
	void (*net_rx)(void *net, const u8 *frame, size_t len);	/* the device's own */
};

/* A disk backed by image[0, size) in host memory (a boot module): writes
 * land in it. idx numbers the VM's disks (vda, vdb, ...). */
int vm_add_disk(struct vm *vm, void *image, u64 size, bool readonly, unsigned idx);
/* A NIC on the named virtual switch, with this MAC. */
int vm_add_nic(struct vm *vm, const char *switch_name, const u8 mac[6], unsigned idx);
/* Unplug everything (the VM is being destroyed). */
void vm_virtio_destroy(struct vm *vm);
/* Move frames queued for the VM's NICs into them; with the VM's lock (the
 * timer service does it for each NIC through the device table). */
void vm_virtio_drain(struct vm *vm);

#endif
