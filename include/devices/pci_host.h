/*
 * PCI host bridge for guests (devices/pci_host.c): configuration mechanism
 * #1 on ports 0xcf8-0xcff (PCI Local Bus 3.0, 3.2.2.3.2) over one bus 0,
 * a built-in host bridge at 00.0, and a 256-byte configuration space
 * helper (struct pci_cfg_space) for the functions devices add.
 *
 * The model takes no lock: the VM serialises its accesses.
 */
#ifndef KEEL_DEVICES_PCI_HOST_H
#define KEEL_DEVICES_PCI_HOST_H

#include "types.h"
#include "devices/io_ops.h"
#include "devices/device.h"
#include "devices/snapshot.h"

#define PCI_HOST_BASE	0xcf8	/* CONFIG_ADDRESS at +0, CONFIG_DATA at +4 */
#define PCI_HOST_LEN	8
#define PCI_CFG_SIZE	256	/* conventional configuration space */
#define PCI_DEVFN(slot, fn)	((u8)(((slot) << 3) | (fn)))	/* slot 0-31, fn 0-7 */

/* Type 0 configuration header offsets (PCI 3.0 6.1, Figure 6-1). */
#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_REVISION_ID		0x08
#define PCI_CLASS_CODE		0x09	/* 3 bytes: prog-if, sub-class, base class */
#define PCI_CACHE_LINE_SIZE	0x0c
#define PCI_LATENCY_TIMER	0x0d
#define PCI_HEADER_TYPE		0x0e	/* bit 7: multi-function device */
#define PCI_BAR0		0x10	/* six BARs, 4 bytes apart */
#define PCI_SUBSYSTEM_VENDOR_ID	0x2c
#define PCI_SUBSYSTEM_ID	0x2e
#define PCI_CAPABILITY_LIST	0x34
#define PCI_INTERRUPT_LINE	0x3c
#define PCI_INTERRUPT_PIN	0x3d

#define PCI_HEADER_MULTI_FN	BIT(7)	/* Linux scans fn 1-7 only when fn 0 sets it */

/* Command register (6.2.2). */
#define PCI_COMMAND_IO		BIT(0)
#define PCI_COMMAND_MEMORY	BIT(1)
#define PCI_COMMAND_MASTER	BIT(2)
#define PCI_COMMAND_PARITY	BIT(6)
#define PCI_COMMAND_SERR	BIT(8)
#define PCI_COMMAND_INTX_DISABLE BIT(10)

/* Status register (6.2.3); the error bits are write-1-to-clear. */
#define PCI_STATUS_INTERRUPT	BIT(3)
#define PCI_STATUS_CAP_LIST	BIT(4)
#define PCI_STATUS_FAST_B2B	BIT(7)
#define PCI_STATUS_DEVSEL_MEDIUM (1u << 9)	/* DEVSEL timing, bits 10:9 */
#define PCI_STATUS_ERRORS	0xf900	/* bits 8, 11-15 */

/* BAR low bits (6.2.5.1), also the flags of pci_cfg_init_bar(). */
#define PCI_BAR_IO		BIT(0)	/* I/O space; else memory */
#define PCI_BAR_MEM64		BIT(2)	/* memory type 10b: 64-bit, takes two BARs */
#define PCI_BAR_PREFETCH	BIT(3)

/*
 * A function's configuration space as the guest sees it: the bytes, which
 * bits a guest write may change (wmask) and which are write-1-to-clear
 * (w1cmask; disjoint from wmask). Plain data, so it can live in a device's
 * saved state. BAR sizing falls out of wmask: the address bits below the
 * BAR's size are read-only 0, so writing all ones reads back the size.
 */
struct pci_cfg_space {
	u8 bytes[PCI_CFG_SIZE];
	u8 wmask[PCI_CFG_SIZE];
	u8 w1cmask[PCI_CFG_SIZE];
};

/* How the host bridge reaches one function. reg is dword-aligned (0..0xfc).
 * For cfg_write, val holds the data in its byte lanes and byte_enable_mask
 * has 0xff in each lane the guest wrote (e.g. 0x00ff0000 for a byte at reg+2). */
struct pci_fn_ops {
	u32 (*cfg_read)(void *dev, unsigned reg);
	void (*cfg_write)(void *dev, unsigned reg, u32 val, u32 byte_enable_mask);
};

/* Zero the space, then IDs, 24-bit class code, revision, header type 0, and
 * status error bits W1C. Everything else is read-only until set writable. */
void pci_cfg_init(struct pci_cfg_space *cs, u16 vendor, u16 device, u32 class_code, u8 revision);
/* Device-side access to size (1, 2 or 4) bytes at off, ignoring the masks;
 * bytes past the end of the space are dropped or read 0. */
void pci_cfg_set(struct pci_cfg_space *cs, unsigned off, unsigned size, u32 val);
u32 pci_cfg_get(const struct pci_cfg_space *cs, unsigned off, unsigned size);
void pci_cfg_set_wmask(struct pci_cfg_space *cs, unsigned off, unsigned size, u32 mask);
void pci_cfg_set_w1c(struct pci_cfg_space *cs, unsigned off, unsigned size, u32 mask);
/*
 * Make BAR index (0-5) a BAR of size bytes (a power of two: 16 bytes to
 * 2 GiB for 32-bit memory, to 2^63 for PCI_BAR_MEM64, which also takes
 * BAR index+1; 4 to 256 bytes for PCI_BAR_IO), address 0.
 * -EINVAL for any other combination.
 */
int pci_cfg_init_bar(struct pci_cfg_space *cs, unsigned index, u64 size, unsigned flags);
/* The address a BAR holds now, low flag bits cleared (64-bit BARs combined). */
u64 pci_cfg_bar_addr(const struct pci_cfg_space *cs, unsigned index);
/* Guest accesses through the host bridge, with the masks applied. */
u32 pci_cfg_read(const struct pci_cfg_space *cs, unsigned reg);
void pci_cfg_write(struct pci_cfg_space *cs, unsigned reg, u32 val, u32 byte_enable_mask);
/* pci_fn_ops whose dev is a bare struct pci_cfg_space (no side effects). */
extern const struct pci_fn_ops pci_cfg_space_ops;

/* Guest-visible state: pointer-free; saved and loaded as a record
 * (pci_host_save, pci_host_load). */
struct pci_host_state {
	u32 config_address;		/* CONFIG_ADDRESS as last written (dword) */
	struct pci_cfg_space bridge;	/* the host bridge at 00.0 */
};

/* One registered function; ops NULL where none. Wiring, never saved. */
struct pci_host_fn {
	const struct pci_fn_ops *ops;
	void *dev;
};

struct pci_host {
	struct pci_host_state state;
	struct pci_host_fn fns[256];	/* bus 0, indexed by devfn */
};

/* Empty bus 0 plus the host bridge (8086:1237 rev 2, class 060000) at 00.0. */
void pci_host_init(struct pci_host *host);
/* Put a function at devfn on bus 0: 0, -EINVAL (no ops or callbacks), -EEXIST. */
int pci_host_add(struct pci_host *host, u8 devfn, const struct pci_fn_ops *ops, void *dev);

/* The state record (include/devices/snapshot.h): tag "PCIH". The functions
 * (fns[]) are wiring and are not in it; each saves its own state. */
#define PCI_HOST_SNAP_TAG	SNAP_TAG('P', 'C', 'I', 'H')
#define PCI_HOST_SNAP_VERSION	1
/* Write the state as one record into buf[0, len): bytes written, or -ENOSPC. */
int pci_host_save(const struct pci_host *host, void *buf, size_t len);
/*
 * Read a record back. With apply false only check it; with apply true
 * check it and, when it is good, replace the state with it (the functions
 * are kept). There is no interrupt to drive. 0, or a negative error with
 * *why saying what is wrong; a refused record changes nothing.
 */
int pci_host_load(struct pci_host *host, const void *buf, size_t len, bool apply,
		  const char **why);

/* io_bus callbacks over ports 0xcf8-0xcff; dev is the struct pci_host. */
extern const struct io_ops pci_host_io_ops;

/* Its hooks for the VM's device table (include/devices/device.h); dev is the struct pci_host. */
extern const struct dev_ops pci_host_dev_ops;

#endif
