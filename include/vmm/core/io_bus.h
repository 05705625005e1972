/*
 * Port-I/O and MMIO buses: sorted tables of registered, non-overlapping
 * ranges. A device model sees offsets into its own range, never absolute
 * ports or guest-physical addresses.
 */
#ifndef KEEL_VMM_IO_BUS_H
#define KEEL_VMM_IO_BUS_H

#include "types.h"
#include "devices/io_ops.h"

/*
 * What an access to a range may have changed besides the device's
 * registers, for its VM to look at after the access: a timer deadline
 * (recomputed before the next entry), interrupt-controller state
 * (something unmasked or retired: every vCPU looks before its next entry).
 */
#define IO_TOUCHES_TIMER BIT(0)
#define IO_TOUCHES_IRQ   BIT(1)

struct io_range {
	u64 base;
	u64 len;
	const struct io_ops *ops;
	void *dev;
	const char *name;
	u8 flags;		/* IO_TOUCHES_* */
};

#define IO_BUS_MAX_RANGES 32

struct io_bus {
	unsigned count;
	struct io_range ranges[IO_BUS_MAX_RANGES];
};

/* Returns 0, -EINVAL (empty or wrapping range), -EEXIST (overlap) or -ENOSPC. */
int io_bus_add(struct io_bus *bus, u64 base, u64 len, const struct io_ops *ops,
	       void *dev, const char *name);
/* The same, for a device whose accesses have effects the VM must look at. */
int io_bus_add_flags(struct io_bus *bus, u64 base, u64 len, const struct io_ops *ops,
		     void *dev, const char *name, u8 flags);
int io_bus_remove(struct io_bus *bus, u64 base);
/* The range holding all of [addr, addr+size), or NULL. */
const struct io_range *io_bus_find(const struct io_bus *bus, u64 addr, unsigned size);
/* Dispatch; -ENOENT when no device claims the access (the caller decides
 * what an unclaimed access means: all-ones for port reads, a guest error
 * for MMIO), -EINVAL for a size other than 1, 2, 4 or 8. The range's flags
 * are the caller's to act on (vm_bus_read/write in include/vmm/core/vm.h
 * do). */
int io_bus_read(const struct io_bus *bus, u64 addr, unsigned size, u64 *val);
int io_bus_write(const struct io_bus *bus, u64 addr, unsigned size, u64 val);

/*
 * One access to a range found for it (size 1, 2, 4 or 8): the model sees
 * the offset. A read is cut to size bytes, so a model returning stray high
 * bits cannot leak them into a guest register; a range without ops reads
 * all ones and ignores writes.
 */
static inline u64 io_range_read(const struct io_range *r, u64 addr, unsigned size)
{
	if (r->ops && r->ops->read)
		return r->ops->read(r->dev, addr - r->base, size) & bytes_mask(size);
	return bytes_mask(size);
}

static inline void io_range_write(const struct io_range *r, u64 addr, unsigned size, u64 val)
{
	if (r->ops && r->ops->write)
		r->ops->write(r->dev, addr - r->base, size, val & bytes_mask(size));
}

#endif
