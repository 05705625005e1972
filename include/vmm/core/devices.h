/*
 * A VM's device table (vmm/core/devices.c): every device model the VM
 * holds, by name, with the model's struct dev_ops (include/devices/device.h).
 * The timer service, the statistics and save/restore walk it, so a
 * new model is one line where the VM's machine is wired
 * (vmm/machine/platform.c), not an edit of each of those.
 *
 * Called with the VM's lock held (or before the VM runs).
 */
#ifndef KEEL_VMM_CORE_DEVICES_H
#define KEEL_VMM_CORE_DEVICES_H

#include "types.h"
#include "devices/device.h"

#define VM_DEVICE_NAME_MAX 16	/* "lapic15", "vd3": NUL included */
#define VM_MAX_DEVICES	   48	/* the PC's chips, a local APIC per vCPU, virtio functions */

struct vm;

struct vm_device {
	char name[VM_DEVICE_NAME_MAX];
	const struct dev_ops *ops;
	void *dev;
};

/* A device with a timer, as the timer service walks them: its hook and
 * model, kept apart from the table so each pass touches only these. */
struct vm_timed_device {
	u64 (*advance)(void *dev, u64 now);
	void *dev;
};

struct vm_devices {
	struct vm_device dev[VM_MAX_DEVICES];
	unsigned count;
	struct vm_timed_device timed[VM_MAX_DEVICES];
	unsigned ntimed;
};

/* 0, -EINVAL (empty or too long a name), -EEXIST (the name is taken), -ENOSPC. */
int vm_device_add(struct vm *vm, const char *name, const struct dev_ops *ops, void *dev);
const struct vm_device *vm_device_find(const struct vm *vm, const char *name);

/* Run every device's timers due by now (the VM's clock); returns the
 * earliest next deadline, UINT64_MAX for none. */
u64 vm_devices_advance(struct vm *vm, u64 now);
/* One log line per device that keeps counters: "VM NAME: counters". */
void vm_devices_report(const struct vm *vm);

/*
 * The VM's clock and every device's state, in table order, as one byte
 * stream: a clock record, then per device its name and its record (devices
 * without a save hook are left out, on both sides). Returns the bytes
 * written or -ENOSPC.
 */
int vm_devices_save(const struct vm *vm, void *buf, size_t len);
/*
 * Restore what vm_devices_save wrote (for a VM with the same devices):
 * every record is checked before any is applied; then the clock reads on
 * from the saved time and each device takes its state and drives its
 * outputs. 0, or a negative error with why (a line naming the device and
 * the reason) and nothing changed.
 */
int vm_devices_load(struct vm *vm, const void *buf, size_t len, char *why, size_t why_size);

#endif
