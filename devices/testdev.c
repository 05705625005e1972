/*
 * The test device used by test guests and the exit benchmark: offset 0 is
 * a 64-bit scratch register (accesses of 1-8 bytes at offsets 0-7 reach
 * its bytes), offset 8 a read-only 32-bit magic. The state is the scratch
 * value alone (the dev pointer), so it saves and restores by copying.
 */
#include "devices/testdev.h"

static u64 testdev_read(void *dev, u64 offset, unsigned size)
{
	u64 *scratch = dev;

	if (offset < 8)
		return *scratch >> (8 * offset);
	if (offset == 8)
		return TESTDEV_MAGIC;
	return 0;
}

static void testdev_write(void *dev, u64 offset, unsigned size, u64 val)
{
	u64 *scratch = dev;
	u64 mask;

	if (offset >= 8 || offset + size > 8)
		return;
	mask = (size == 8 ? ~0ull : (1ull << (8 * size)) - 1) << (8 * offset);
	*scratch = (*scratch & ~mask) | ((val << (8 * offset)) & mask);
}

const struct io_ops testdev_ops = { testdev_read, testdev_write };
