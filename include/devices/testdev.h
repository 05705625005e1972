/* Keel's test device: a page of MMIO for test guests (devices/testdev.c),
 * at PC_TESTDEV_BASE (include/vmm/machine/layout.h). */
#ifndef KEEL_DEVICES_TESTDEV_H
#define KEEL_DEVICES_TESTDEV_H

#include "devices/io_ops.h"

#define TESTDEV_SIZE  0x1000ull
#define TESTDEV_MAGIC 0x4b45454cu	/* "LEEK" in memory: bytes 'L','E','E','K' read as "KEEL" backwards */

extern const struct io_ops testdev_ops;

#endif
