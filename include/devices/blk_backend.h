/*
 * Block backends: where a virtual disk's sectors live (a RAM image now, a
 * host disk later). The device model (devices/virtio_blk.c) checks each
 * request against the geometry and hands the backend whole requests.
 *
 * Data moves between the disk and guest memory directly, through the
 * guest_mem_ops the device passes in, rather than through a buffer of the
 * device's: a RAM disk then costs one copy per byte, and a backend that
 * does need a bounce buffer (a host disk whose DMA cannot reach guest
 * frames) owns and sizes it itself. A request arrives whole, as a list of
 * guest-memory segments, because the virtio driver may split a sector
 * across descriptors (virtio 1.2, 2.6.4): only the request as a whole is
 * sector-aligned, so a disk backend must see all of it to issue aligned I/O.
 */
#ifndef KEEL_DEVICES_BLK_BACKEND_H
#define KEEL_DEVICES_BLK_BACKEND_H

#include "types.h"
#include "devices/guest_mem_ops.h"

#define BLK_SECTOR_SIZE  512u
#define BLK_SECTOR_SHIFT 9

/* One stretch of guest-physical memory taking part in a transfer. */
struct blk_seg {
	u64 gpa;
	u32 len;
};

/*
 * One data transfer: the disk bytes from sector * 512 on, scattered over
 * nsegs guest segments of total length bytes (a multiple of 512, the
 * range within the disk: the caller checked both).
 */
struct blk_io {
	u64 sector;
	u32 bytes;
	unsigned nsegs;
	const struct blk_seg *seg;
	const struct guest_mem_ops *mem;
};

/*
 * A backend. read and write return 0, -EFAULT when a guest segment is not
 * guest RAM (the guest's fault: the device treats it as a broken driver)
 * or another negative code when the disk failed (the guest sees an I/O
 * error). A failed transfer may have moved part of the data.
 */
struct blk_backend {
	u64 sectors;		/* capacity in 512-byte sectors */
	bool readonly;
	int (*read)(void *ctx, const struct blk_io *io);	/* disk -> guest */
	int (*write)(void *ctx, const struct blk_io *io);	/* guest -> disk */
	int (*flush)(void *ctx);	/* make written data durable; may be NULL */
	void *ctx;
};

/* A disk image held in host memory, e.g. a multiboot2 module. */
struct blk_ram {
	u8 *data;
	u64 bytes;		/* sectors * 512: a partial last sector is left out */
};

/*
 * Make be a backend over the bytes bytes at data (kept, not copied; written
 * in place unless readonly). A trailing partial sector is not part of the
 * disk. -EINVAL when data is NULL.
 */
int blk_ram_init(struct blk_ram *ram, struct blk_backend *be, void *data, u64 bytes,
		 bool readonly);

#endif
