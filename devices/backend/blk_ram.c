/*
 * The RAM block backend (include/devices/blk_backend.h): a disk image in
 * host memory, such as one GRUB loaded as a multiboot2 module. Reads and
 * writes copy straight between the image and guest memory; flush has
 * nothing to do, since the image is the only copy and does not outlive
 * Keel anyway.
 */
#include "devices/blk_backend.h"

/*
 * Check that io lies within the image. The device already did; this keeps
 * a device bug from turning into a host memory overrun.
 */
static bool blk_ram_io_ok(const struct blk_ram *ram, const struct blk_io *io)
{
	u64 sectors = ram->bytes >> BLK_SECTOR_SHIFT;
	u64 count = io->bytes >> BLK_SECTOR_SHIFT;

	return io->bytes % BLK_SECTOR_SIZE == 0 && io->sector <= sectors &&
	       count <= sectors - io->sector;
}

/*
 * Walk the segments, moving each between the image and guest memory. The
 * segment lengths must add up to io->bytes; a mismatch is a device bug
 * and gets -EIO rather than a copy past the range that was checked.
 */
static int blk_ram_xfer(struct blk_ram *ram, const struct blk_io *io, bool to_guest)
{
	u64 pos = io->sector << BLK_SECTOR_SHIFT;
	u32 left = io->bytes;
	unsigned i;
	int err;

	if (!blk_ram_io_ok(ram, io))
		return -EIO;
	for (i = 0; i < io->nsegs; i++) {
		const struct blk_seg *s = &io->seg[i];

		if (s->len > left)
			return -EIO;
		if (to_guest)
			err = io->mem->write(io->mem->ctx, s->gpa, ram->data + pos, s->len);
		else
			err = io->mem->read(io->mem->ctx, s->gpa, ram->data + pos, s->len);
		if (err)
			return err;
		pos += s->len;
		left -= s->len;
	}
	return left ? -EIO : 0;
}

static int blk_ram_read(void *ctx, const struct blk_io *io)
{
	return blk_ram_xfer(ctx, io, true);
}

static int blk_ram_write(void *ctx, const struct blk_io *io)
{
	return blk_ram_xfer(ctx, io, false);
}

static int blk_ram_flush(void *ctx)
{
	return 0;
}

int blk_ram_init(struct blk_ram *ram, struct blk_backend *be, void *data, u64 bytes,
		 bool readonly)
{
	if (!data)
		return -EINVAL;
	ram->data = data;
	ram->bytes = ALIGN_DOWN(bytes, BLK_SECTOR_SIZE);
	*be = (struct blk_backend){
		.sectors = ram->bytes >> BLK_SECTOR_SHIFT,
		.readonly = readonly,
		.read = blk_ram_read,
		.write = readonly ? NULL : blk_ram_write,
		.flush = blk_ram_flush,
		.ctx = ram,
	};
	return 0;
}
