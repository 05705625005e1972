/*
 * Port-I/O and MMIO buses: sorted tables of registered, non-overlapping
 * ranges. A device model sees offsets into its own range, never absolute
 * ports or guest-physical addresses.
 */
#ifndef KEEL_VMM_IO_BUS_H
#define KEEL_VMM_IO_BUS_H

#include "types.h"
#include "devices/io_ops.h"

struct io_range {
	u64 base;
	u64 len;
	const struct io_ops *ops;
	void *dev;
	const char *name;
};

#define IO_BUS_MAX_RANGES 32

struct io_bus {
	unsigned count;
	struct io_range ranges[IO_BUS_MAX_RANGES];
};

/* Returns 0, -EINVAL (empty or wrapping range), -EEXIST (overlap) or -ENOSPC. */
int io_bus_add(struct io_bus *bus, u64 base, u64 len, const struct io_ops *ops,
	       void *dev, const char *name);
int io_bus_remove(struct io_bus *bus, u64 base);
/* The range holding all of [addr, addr+size), or NULL. */
const struct io_range *io_bus_find(const struct io_bus *bus, u64 addr, unsigned size);
/* Dispatch; -ENOENT when no device claims the access (the caller decides
 * what an unclaimed access means: all-ones for port reads, a guest error
 * for MMIO). */
int io_bus_read(const struct io_bus *bus, u64 addr, unsigned size, u64 *val);
int io_bus_write(const struct io_bus *bus, u64 addr, unsigned size, u64 val);

#endif
