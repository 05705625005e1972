/*
 * What a device model offers the VM that holds it, besides its I/O ops
 * (include/devices/io_ops.h): the VM keeps a table of its devices
 * (include/vmm/core/devices.h) and walks it to run their timers, save and
 * restore them and report them. Each model exports one const struct
 * dev_ops; a hook is NULL where the model has nothing to do.
 *
 * There is no reset hook yet: resetting a machine means every model back
 * to power-on and then every interrupt line driven again in order (the
 * IO-APIC keeps the input levels other devices drive), which comes with
 * guest reboot.
 */
#ifndef KEEL_DEVICES_DEVICE_H
#define KEEL_DEVICES_DEVICE_H

#include "types.h"

struct dev_ops {
	/* Do what is due by now (the VM's clock, include/devices/guest_clock.h)
	 * and return when next: UINT64_MAX for never. One hook, not two: the
	 * timer service calls it on every pass. */
	u64 (*advance)(void *dev, u64 now);
	/* One state record (include/devices/snapshot.h): bytes or -ENOSPC;
	 * load checks it, and with apply replaces the state (0 or an error
	 * with *why; a refused record changes nothing). */
	int (*save)(const void *dev, void *buf, size_t len);
	int (*load)(void *dev, const void *buf, size_t len, bool apply, const char **why);
	/* Its counters, one line (no newline) into buf: the length written. */
	size_t (*stats)(const void *dev, char *buf, size_t len);
};

#endif
