/*
 * How a device model is reached: read and write at an offset into its own
 * range (port I/O or MMIO). The model never sees the absolute port or
 * guest-physical address; the VM's I/O buses (include/vmm/core/io_bus.h)
 * hold the ranges and call these.
 */
#ifndef KEEL_DEVICES_IO_OPS_H
#define KEEL_DEVICES_IO_OPS_H

#include "types.h"

struct io_ops {
	/* size is 1, 2, 4 or 8; offset is relative to the range base. */
	u64 (*read)(void *dev, u64 offset, unsigned size);
	void (*write)(void *dev, u64 offset, unsigned size, u64 val);
};

#endif
