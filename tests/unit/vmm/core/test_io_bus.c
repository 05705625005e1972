/* Host tests for vmm/core/io_bus.c: registration rules, lookup, dispatch. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vmm/core/io_bus.h"

/* A fake device that records its last access and reads back a pattern. */
struct fake_dev {
	u64 offset;
	unsigned size;
	u64 val;
	int reads, writes;
	u64 read_value;
};

static u64 fake_read(void *dev, u64 offset, unsigned size)
{
	struct fake_dev *d = dev;

	d->offset = offset;
	d->size = size;
	d->reads++;
	return d->read_value;
}

static void fake_write(void *dev, u64 offset, unsigned size, u64 val)
{
	struct fake_dev *d = dev;

	d->offset = offset;
	d->size = size;
	d->val = val;
	d->writes++;
}

static const struct io_ops fake_ops = { .read = fake_read, .write = fake_write };
static const struct io_ops no_ops = { 0 };

static int bus_setup(void **state)
{
	static struct io_bus bus;

	bus = (struct io_bus){ 0 };
	*state = &bus;
	return 0;
}

static void test_add_rejects_bad_ranges(void **state)
{
	struct io_bus *bus = *state;

	assert_int_equal(io_bus_add(bus, 0x100, 0, &fake_ops, NULL, "empty"), -EINVAL);
	assert_int_equal(io_bus_add(bus, UINT64_MAX, 2, &fake_ops, NULL, "wrap"), -EINVAL);
	assert_int_equal(io_bus_add(bus, 2, UINT64_MAX, &fake_ops, NULL, "wrap"), -EINVAL);
	assert_int_equal(bus->count, 0);
	/* Ending exactly at the top of the space does not wrap. */
	assert_int_equal(io_bus_add(bus, UINT64_MAX - 0xfff, 0x1000, &fake_ops, NULL, "top"), 0);
	assert_int_equal(io_bus_add(bus, 0, 1, &fake_ops, NULL, "zero"), 0);
	assert_int_equal(bus->count, 2);
}

static void test_add_overlap_and_adjacency(void **state)
{
	struct io_bus *bus = *state;

	assert_int_equal(io_bus_add(bus, 0x3f8, 8, &fake_ops, NULL, "com1"), 0);
	/* Every kind of overlap with [0x3f8, 0x400). */
	assert_int_equal(io_bus_add(bus, 0x3f8, 8, &fake_ops, NULL, "same"), -EEXIST);
	assert_int_equal(io_bus_add(bus, 0x3f8, 1, &fake_ops, NULL, "head"), -EEXIST);
	assert_int_equal(io_bus_add(bus, 0x3ff, 1, &fake_ops, NULL, "tail"), -EEXIST);
	assert_int_equal(io_bus_add(bus, 0x3f0, 9, &fake_ops, NULL, "left"), -EEXIST);
	assert_int_equal(io_bus_add(bus, 0x3ff, 4, &fake_ops, NULL, "right"), -EEXIST);
	assert_int_equal(io_bus_add(bus, 0x3fa, 2, &fake_ops, NULL, "inside"), -EEXIST);
	assert_int_equal(io_bus_add(bus, 0x300, 0x200, &fake_ops, NULL, "around"), -EEXIST);
	assert_int_equal(bus->count, 1);
	/* Touching on either side is fine. */
	assert_int_equal(io_bus_add(bus, 0x3f0, 8, &fake_ops, NULL, "below"), 0);
	assert_int_equal(io_bus_add(bus, 0x400, 8, &fake_ops, NULL, "above"), 0);
	assert_int_equal(bus->count, 3);
	/* A range bridging the gap between two others overlaps both. */
	assert_int_equal(io_bus_add(bus, 0x3f7, 0x12, &fake_ops, NULL, "bridge"), -EEXIST);
}

static void test_sorted_and_full(void **state)
{
	struct io_bus *bus = *state;
	unsigned i;

	/* Insert in a scrambled order: 7 is coprime with 32. */
	for (i = 0; i < IO_BUS_MAX_RANGES; i++) {
		u64 base = ((i * 7) % IO_BUS_MAX_RANGES) * 0x10;

		assert_int_equal(io_bus_add(bus, base, 0x10, &fake_ops, NULL, "r"), 0);
	}
	for (i = 0; i < IO_BUS_MAX_RANGES; i++)
		assert_int_equal(bus->ranges[i].base, i * 0x10);
	assert_int_equal(io_bus_add(bus, 0x1000, 1, &fake_ops, NULL, "full"), -ENOSPC);
	/* An overlap is reported as such even on a full bus. */
	assert_int_equal(io_bus_add(bus, 0x20, 1, &fake_ops, NULL, "dup"), -EEXIST);
	for (i = 0; i < IO_BUS_MAX_RANGES; i++) {
		const struct io_range *r = io_bus_find(bus, i * 0x10 + 0xf, 1);

		assert_non_null(r);
		assert_int_equal(r->base, i * 0x10);
	}
}

static void test_find_straddle(void **state)
{
	struct io_bus *bus = *state;
	const struct io_range *r;

	assert_int_equal(io_bus_add(bus, 0x100, 4, &fake_ops, NULL, "a"), 0);
	assert_int_equal(io_bus_add(bus, 0x104, 4, &fake_ops, NULL, "b"), 0);
	r = io_bus_find(bus, 0x100, 4);
	assert_non_null(r);
	assert_string_equal(r->name, "a");
	r = io_bus_find(bus, 0x103, 1);
	assert_non_null(r);
	assert_string_equal(r->name, "a");
	r = io_bus_find(bus, 0x104, 4);
	assert_non_null(r);
	assert_string_equal(r->name, "b");
	assert_null(io_bus_find(bus, 0x102, 4));	/* straddles a and b */
	assert_null(io_bus_find(bus, 0x106, 4));	/* runs off b's end */
	assert_null(io_bus_find(bus, 0x0ff, 2));	/* starts below a */
	assert_null(io_bus_find(bus, 0x0ff, 1));
	assert_null(io_bus_find(bus, 0x108, 1));
	assert_null(io_bus_find(bus, 0x100, 0));
	assert_null(io_bus_find(bus, UINT64_MAX, 2));	/* wraps */
}

static void test_find_top_of_space(void **state)
{
	struct io_bus *bus = *state;

	assert_int_equal(io_bus_add(bus, UINT64_MAX - 7, 8, &fake_ops, NULL, "top"), 0);
	assert_non_null(io_bus_find(bus, UINT64_MAX - 7, 8));
	assert_non_null(io_bus_find(bus, UINT64_MAX, 1));
	assert_null(io_bus_find(bus, UINT64_MAX - 1, 4));
}

static void test_remove(void **state)
{
	struct io_bus *bus = *state;

	assert_int_equal(io_bus_add(bus, 0x10, 8, &fake_ops, NULL, "a"), 0);
	assert_int_equal(io_bus_add(bus, 0x20, 8, &fake_ops, NULL, "b"), 0);
	assert_int_equal(io_bus_add(bus, 0x30, 8, &fake_ops, NULL, "c"), 0);
	assert_int_equal(io_bus_remove(bus, 0x21), -ENOENT);	/* not a base */
	assert_int_equal(io_bus_remove(bus, 0x08), -ENOENT);
	assert_int_equal(io_bus_remove(bus, 0x20), 0);
	assert_int_equal(bus->count, 2);
	assert_null(io_bus_find(bus, 0x20, 1));
	assert_string_equal(bus->ranges[1].name, "c");
	assert_int_equal(io_bus_remove(bus, 0x20), -ENOENT);
	/* The freed space can be claimed again. */
	assert_int_equal(io_bus_add(bus, 0x18, 0x18, &fake_ops, NULL, "d"), 0);
	assert_string_equal(io_bus_find(bus, 0x2f, 1)->name, "d");
}

static void test_dispatch_offsets(void **state)
{
	struct io_bus *bus = *state;
	struct fake_dev dev = { .read_value = 0x1122334455667788ull };
	u64 val = 0;

	assert_int_equal(io_bus_add(bus, 0xcf8, 8, &fake_ops, &dev, "pci"), 0);
	assert_int_equal(io_bus_write(bus, 0xcfc, 2, 0xabcd), 0);
	assert_int_equal(dev.writes, 1);
	assert_int_equal(dev.offset, 4);
	assert_int_equal(dev.size, 2);
	assert_int_equal(dev.val, 0xabcd);
	assert_int_equal(io_bus_read(bus, 0xcf8, 4, &val), 0);
	assert_int_equal(dev.reads, 1);
	assert_int_equal(dev.offset, 0);
	assert_int_equal(dev.size, 4);
	assert_int_equal(val, 0x55667788);	/* cut to the access size */
	assert_int_equal(io_bus_read(bus, 0xcf8, 8, &val), 0);
	assert_true(val == 0x1122334455667788ull);
	/* A write's value is cut to its size too. */
	assert_int_equal(io_bus_write(bus, 0xcf9, 1, 0x1ff), 0);
	assert_int_equal(dev.val, 0xff);
	assert_int_equal(dev.offset, 1);
}

static void test_dispatch_unclaimed(void **state)
{
	struct io_bus *bus = *state;
	struct fake_dev dev = { 0 };
	u64 val = 0x5a;

	assert_int_equal(io_bus_add(bus, 0x60, 1, &fake_ops, &dev, "kbd"), 0);
	assert_int_equal(io_bus_read(bus, 0x61, 1, &val), -ENOENT);
	assert_int_equal(val, 0x5a);
	assert_int_equal(io_bus_write(bus, 0x61, 1, 0), -ENOENT);
	assert_int_equal(io_bus_read(bus, 0x60, 2, &val), -ENOENT);	/* runs past */
	assert_int_equal(io_bus_read(bus, 0x60, 3, &val), -EINVAL);
	assert_int_equal(io_bus_write(bus, 0x60, 0, 0), -EINVAL);
	assert_int_equal(dev.reads + dev.writes, 0);
}

static void test_dispatch_null_ops(void **state)
{
	struct io_bus *bus = *state;
	u64 val = 0;

	assert_int_equal(io_bus_add(bus, 0x80, 1, &no_ops, NULL, "post"), 0);
	assert_int_equal(io_bus_add(bus, 0x1000, 0x10, NULL, NULL, "hole"), 0);
	assert_int_equal(io_bus_read(bus, 0x80, 1, &val), 0);
	assert_int_equal(val, 0xff);
	assert_int_equal(io_bus_write(bus, 0x80, 1, 0x12), 0);
	assert_int_equal(io_bus_read(bus, 0x1000, 2, &val), 0);
	assert_int_equal(val, 0xffff);
	assert_int_equal(io_bus_read(bus, 0x1000, 4, &val), 0);
	assert_int_equal(val, 0xffffffffu);
	assert_int_equal(io_bus_read(bus, 0x1008, 8, &val), 0);
	assert_true(val == UINT64_MAX);
}

#define BUS_TEST(f) cmocka_unit_test_setup(f, bus_setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BUS_TEST(test_add_rejects_bad_ranges),
		BUS_TEST(test_add_overlap_and_adjacency),
		BUS_TEST(test_sorted_and_full),
		BUS_TEST(test_find_straddle),
		BUS_TEST(test_find_top_of_space),
		BUS_TEST(test_remove),
		BUS_TEST(test_dispatch_offsets),
		BUS_TEST(test_dispatch_unclaimed),
		BUS_TEST(test_dispatch_null_ops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
