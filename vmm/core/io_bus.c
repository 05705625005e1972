/*
 * Port-I/O and MMIO buses (include/vmm/core/io_bus.h): a table of
 * non-overlapping ranges sorted by base, searched by bisection, and the
 * dispatch of one guest access to the model that owns it.
 *
 * Ranges are stored with an inclusive last address (base + len - 1) in
 * mind, so a range may end at the very top of the address space without
 * any sum wrapping to zero.
 */
#include "vmm/core/io_bus.h"

static u64 io_range_last(const struct io_range *r)
{
	return r->base + (r->len - 1);
}

/* The index of the first range whose base is above addr (count if none). */
static unsigned io_bus_upper_bound(const struct io_bus *bus, u64 addr)
{
	unsigned lo = 0, hi = bus->count;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (bus->ranges[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Register [base, base+len). The new range may touch its neighbours but
 * not share a single address with them. ops may be NULL, or have NULL
 * members: the range is then claimed but reads as all ones and ignores
 * writes, which is how a VM hides a port from the guest.
 */
int io_bus_add(struct io_bus *bus, u64 base, u64 len, const struct io_ops *ops,
	       void *dev, const char *name)
{
	return io_bus_add_flags(bus, base, len, ops, dev, name, 0);
}

int io_bus_add_flags(struct io_bus *bus, u64 base, u64 len, const struct io_ops *ops,
		     void *dev, const char *name, u8 flags)
{
	u64 last = base + (len - 1);
	unsigned i;

	if (len == 0 || len - 1 > UINT64_MAX - base)
		return -EINVAL;
	i = io_bus_upper_bound(bus, base);
	if (i > 0 && io_range_last(&bus->ranges[i - 1]) >= base)
		return -EEXIST;
	if (i < bus->count && bus->ranges[i].base <= last)
		return -EEXIST;
	if (bus->count == IO_BUS_MAX_RANGES)
		return -ENOSPC;
	for (unsigned j = bus->count; j > i; j--)
		bus->ranges[j] = bus->ranges[j - 1];
	bus->ranges[i] = (struct io_range){
		.base = base, .len = len, .ops = ops, .dev = dev, .name = name, .flags = flags,
	};
	bus->count++;
	return 0;
}

/* Unregister the range that starts exactly at base; -ENOENT if none does. */
int io_bus_remove(struct io_bus *bus, u64 base)
{
	unsigned i = io_bus_upper_bound(bus, base);

	if (i == 0 || bus->ranges[i - 1].base != base)
		return -ENOENT;
	for (i--; i + 1 < bus->count; i++)
		bus->ranges[i] = bus->ranges[i + 1];
	bus->count--;
	return 0;
}

/*
 * The range holding every byte of [addr, addr+size). Only the last range
 * starting at or below addr can hold addr, since ranges do not overlap;
 * an access running past its end (into a neighbour or into nothing) is
 * not claimed by anyone.
 */
const struct io_range *io_bus_find(const struct io_bus *bus, u64 addr, unsigned size)
{
	const struct io_range *r;
	unsigned i;

	if (size == 0 || size - 1 > UINT64_MAX - addr)
		return NULL;
	i = io_bus_upper_bound(bus, addr);
	if (i == 0)
		return NULL;
	r = &bus->ranges[i - 1];
	if (addr + (size - 1) > io_range_last(r))
		return NULL;
	return r;
}

/* All ones in the low size bytes: what an access of that width can carry. */
static bool io_size_valid(unsigned size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

/*
 * Read size bytes at addr from the model owning them. The result is cut to
 * size bytes, so a model returning stray high bits cannot leak them into a
 * guest register.
 */
int io_bus_read(const struct io_bus *bus, u64 addr, unsigned size, u64 *val)
{
	const struct io_range *r;

	if (!io_size_valid(size))
		return -EINVAL;
	r = io_bus_find(bus, addr, size);
	if (!r)
		return -ENOENT;
	*val = io_range_read(r, addr, size);
	return 0;
}

/* Write the low size bytes of val to the model owning [addr, addr+size). */
int io_bus_write(const struct io_bus *bus, u64 addr, unsigned size, u64 val)
{
	const struct io_range *r;

	if (!io_size_valid(size))
		return -EINVAL;
	r = io_bus_find(bus, addr, size);
	if (!r)
		return -ENOENT;
	io_range_write(r, addr, size, val);
	return 0;
}
