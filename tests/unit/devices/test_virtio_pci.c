/*
 * Host tests for devices/virtio_pci.c against virtio 1.2 section 4.1, and
 * of how it wires in the MSI-X model (whose own rules, PCI 3.0 6.8.2, are
 * test_pci_msix.c's): a fake device records what the transport asks of it,
 * a fake guest RAM backs the rings, and the tests play the driver the way
 * Linux's virtio_pci_modern does, then a hostile one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "fake_kernel.h"
#include "devices/virtio_pci.h"
#include "snap_test.h"

#define RAM_BASE	0x100000ull
#define RAM_SIZE	0x40000u
#define BAR0		0xfebf8000ull
#define NQUEUES		2
#define QMAX		256
#define CFG_LEN		16
#define DEV_FEATURES	(BIT(1) | BIT(9) | BIT(28))

/* Common config offsets (4.1.4.3), as a driver knows them. */
enum {
	DFSELECT = 0x00, DF = 0x04, GFSELECT = 0x08, GF = 0x0c, MSIX_CONFIG = 0x10,
	NUMQ = 0x12, STATUS = 0x14, CFGGEN = 0x15, Q_SELECT = 0x16, Q_SIZE = 0x18,
	Q_MSIX = 0x1a, Q_ENABLE = 0x1c, Q_NOFF = 0x1e, Q_DESC = 0x20, Q_DRIVER = 0x28,
	Q_DEVICE = 0x30,
};
enum { CAP_COMMON = 1, CAP_NOTIFY = 2, CAP_ISR = 3, CAP_DEVICE = 4, CAP_PCI_CFG = 5 };

#define ACK		VIRTIO_STATUS_ACKNOWLEDGE
#define DRV		VIRTIO_STATUS_DRIVER
#define DRV_OK		VIRTIO_STATUS_DRIVER_OK
#define FEAT_OK		VIRTIO_STATUS_FEATURES_OK
#define NEEDS_RESET	VIRTIO_STATUS_NEEDS_RESET

struct msi { u64 addr; u32 data; };
struct bar_event { u64 base; bool enabled; };

struct world {
	struct virtio_pci vp;
	struct virtio_dev_ops ops;
	struct guest_mem_ops mem;
	u8 ram[RAM_SIZE];
	u8 devcfg[CFG_LEN];
	unsigned notified[VIRTIO_PCI_MAX_QUEUES], resets, driver_oks;
	u64 negotiated;
	unsigned cfg_reads, cfg_writes, last_cfg_off, last_cfg_size;
	u32 last_cfg_val;
	bool consume;			/* notify pops and pushes every chain */
	struct msi msi[64];
	unsigned nmsi;
	bool intx;
	unsigned nintx;
	struct bar_event bar[16];
	unsigned nbar;
	bool restoring;			/* a load drives INTx whatever it was */
	/* Where the driver found the regions (from the capabilities). */
	u32 common, notify, isr, device, notify_mult;
};

/* ---- fakes ---------------------------------------------------------------- */

static bool ram_range(u64 gpa, size_t len)
{
	return gpa >= RAM_BASE && len <= RAM_SIZE && gpa - RAM_BASE <= RAM_SIZE - len;
}

static int ram_read(void *ctx, u64 gpa, void *buf, size_t len)
{
	struct world *w = ctx;

	if (!ram_range(gpa, len))
		return -EFAULT;
	memcpy(buf, w->ram + (gpa - RAM_BASE), len);
	return 0;
}

static int ram_write(void *ctx, u64 gpa, const void *buf, size_t len)
{
	struct world *w = ctx;

	if (!ram_range(gpa, len))
		return -EFAULT;
	memcpy(w->ram + (gpa - RAM_BASE), buf, len);
	return 0;
}

static u8 *ram(struct world *w, u64 gpa)
{
	assert_true(ram_range(gpa, 1));
	return w->ram + (gpa - RAM_BASE);
}

static u32 dev_cfg_read(void *dev, unsigned off, unsigned size)
{
	struct world *w = dev;
	u32 v = 0;

	w->cfg_reads++;
	assert_true(off + size <= CFG_LEN);
	memcpy(&v, w->devcfg + off, size);
	return v;
}

static void dev_cfg_write(void *dev, unsigned off, unsigned size, u32 val)
{
	struct world *w = dev;

	w->cfg_writes++;
	assert_true(off + size <= CFG_LEN);
	w->last_cfg_off = off;
	w->last_cfg_size = size;
	w->last_cfg_val = val;
}

static void dev_notify(void *dev, unsigned q)
{
	struct world *w = dev;
	struct vq_chain c;
	const char *why;
	struct vq *vq;

	assert_true(q < NQUEUES);
	w->notified[q]++;
	if (!w->consume)
		return;
	vq = virtio_pci_queue(&w->vp, q);
	assert_non_null(vq);
	while (vq_pop(vq, &c, &why) == 1) {
		assert_int_equal(vq_push(vq, c.head, c.in_bytes, &why), 0);
		virtio_pci_used(&w->vp, q);
	}
}

static void dev_reset(void *dev)
{
	struct world *w = dev;

	w->resets++;
	/* The transport is reset first: no queue is usable any more. */
	assert_null(virtio_pci_queue(&w->vp, 0));
}

static void dev_driver_ok(void *dev, u64 negotiated)
{
	struct world *w = dev;

	w->driver_oks++;
	w->negotiated = negotiated;
}

static void world_msi(void *ctx, u64 addr, u32 data)
{
	struct world *w = ctx;

	assert_true(w->nmsi < ARRAY_SIZE(w->msi));
	w->msi[w->nmsi++] = (struct msi){ addr, data };
}

static void world_intx(void *ctx, unsigned line, bool level)
{
	struct world *w = ctx;

	assert_int_equal(line, 11);
	assert_true(level != w->intx || w->restoring);	/* only changes are signalled */
	w->intx = level;
	w->nintx++;
}

static void world_bar(void *ctx, u64 base, bool enabled)
{
	struct world *w = ctx;

	assert_true(w->nbar < ARRAY_SIZE(w->bar));
	w->bar[w->nbar++] = (struct bar_event){ base, enabled };
}

static void world_init(struct world *w, u16 device_id, unsigned nqueues)
{
	struct virtio_pci_wiring wiring = {
		.mem = &w->mem, .msi = world_msi, .bar_changed = world_bar, .ctx = w,
		.intx = { .set = world_intx, .ctx = w, .line = 11 }, .name = "vm1 vblk0",
	};

	w->mem = (struct guest_mem_ops){ .read = ram_read, .write = ram_write, .ctx = w };
	w->ops = (struct virtio_dev_ops){
		.device_id = device_id, .features = DEV_FEATURES, .nqueues = nqueues,
		.queue_max = QMAX, .cfg_len = CFG_LEN, .cfg_read = dev_cfg_read,
		.cfg_write = dev_cfg_write, .notify = dev_notify, .reset = dev_reset,
		.driver_ok = dev_driver_ok,
	};
	for (unsigned i = 0; i < CFG_LEN; i++)
		w->devcfg[i] = 0xa0 + i;
	virtio_pci_init(&w->vp, &w->ops, w, BAR0, &wiring);
}

static int world_setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	world_init(w, 2, NQUEUES);
	fake_console_reset();
	*state = w;
	return 0;
}

static int world_teardown(void **state)
{
	free(*state);
	return 0;
}

/* ---- driver-side accessors ---------------------------------------------- */

/* Configuration space through the host bridge's interface: dword + lanes. */
static u32 cfg_rd(struct world *w, unsigned off, unsigned size)
{
	u32 dword = virtio_pci_cfg_ops.cfg_read(&w->vp, off & ~3u);

	return (dword >> (8 * (off & 3))) & (u32)bytes_mask(size);
}

static void cfg_wr(struct world *w, unsigned off, unsigned size, u32 val)
{
	unsigned shift = 8 * (off & 3);
	u32 mask = (u32)(bytes_mask(size) << shift);

	virtio_pci_cfg_ops.cfg_write(&w->vp, off & ~3u, (val << shift) & mask, mask);
}

static u64 bar_rd(struct world *w, u64 off, unsigned size)
{
	return virtio_pci_bar_ops.read(&w->vp, off, size);
}

static void bar_wr(struct world *w, u64 off, unsigned size, u64 val)
{
	virtio_pci_bar_ops.write(&w->vp, off, size, val);
}

static u32 cc_rd(struct world *w, unsigned off, unsigned size)
{
	return bar_rd(w, w->common + off, size);
}

static void cc_wr(struct world *w, unsigned off, unsigned size, u32 val)
{
	bar_wr(w, w->common + off, size, val);
}

static u8 status(struct world *w)
{
	return cc_rd(w, STATUS, 1);
}

/* Walk the capability list like virtio_pci_find_capability(): the first
 * vendor capability of cfg_type, 0 if none. Bounded against loops. */
static unsigned find_vcap(struct world *w, u8 type)
{
	unsigned pos = cfg_rd(w, PCI_CAPABILITY_LIST, 1), ttl = 48;

	assert_true(cfg_rd(w, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	for (; pos && ttl; ttl--, pos = cfg_rd(w, pos + 1, 1)) {
		assert_int_equal(pos & 3, 0);
		assert_true(pos >= 0x40);
		if (cfg_rd(w, pos, 1) == 0x09 && cfg_rd(w, pos + 3, 1) == type)
			return pos;
	}
	assert_true(ttl > 0);
	return 0;
}

static unsigned find_cap_id(struct world *w, u8 id)
{
	unsigned pos = cfg_rd(w, PCI_CAPABILITY_LIST, 1), ttl = 48;

	for (; pos && ttl; ttl--, pos = cfg_rd(w, pos + 1, 1))
		if (cfg_rd(w, pos, 1) == id)
			return pos;
	return 0;
}

/* The BAR offset of one region, checked like vp_modern_map_capability(). */
static u32 map_vcap(struct world *w, u8 type, u32 minlen)
{
	unsigned cap = find_vcap(w, type);

	assert_int_not_equal(cap, 0);
	assert_int_equal(cfg_rd(w, cap + 4, 1), 0);			/* bar */
	assert_true(cfg_rd(w, cap + 12, 4) >= minlen);			/* length */
	assert_true(cfg_rd(w, cap + 8, 4) + cfg_rd(w, cap + 12, 4) <= VIRTIO_PCI_BAR_SIZE);
	return cfg_rd(w, cap + 8, 4);
}

static void driver_find_regions(struct world *w)
{
	unsigned notify = find_vcap(w, CAP_NOTIFY);

	w->common = map_vcap(w, CAP_COMMON, 0x38);
	w->notify = map_vcap(w, CAP_NOTIFY, 2);
	w->isr = map_vcap(w, CAP_ISR, 1);
	w->device = map_vcap(w, CAP_DEVICE, 0);
	w->notify_mult = cfg_rd(w, notify + 16, 4);
}

static u64 ring_desc(unsigned q) { return RAM_BASE + q * 0x10000ull; }
static u64 ring_avail(unsigned q) { return ring_desc(q) + 0x4000; }
static u64 ring_used(unsigned q) { return ring_desc(q) + 0x8000; }

/* Program MSI-X entry v to send vector 0x40+v to APIC ID 2, unmasked. */
static void msix_program(struct world *w, unsigned v)
{
	u64 e = VIRTIO_PCI_MSIX_TABLE + 16 * v;

	bar_wr(w, e, 4, 0xfee02000);
	bar_wr(w, e + 4, 4, 0);
	bar_wr(w, e + 8, 4, 0x40 + v);
	bar_wr(w, e + 12, 4, 0);
}

static void msix_enable(struct world *w, bool on)
{
	unsigned cap = find_cap_id(w, 0x11);
	u16 ctrl = cfg_rd(w, cap + 2, 2);

	cfg_wr(w, cap + 2, 2, on ? ctrl | 0x8000 : ctrl & ~0x8000);
}

/* One queue as vp_modern's setup_vq() does it. */
static void driver_setup_queue(struct world *w, unsigned q, u16 size, u16 vector)
{
	cc_wr(w, Q_SELECT, 2, q);
	assert_int_equal(cc_rd(w, Q_SIZE, 2), QMAX);
	assert_int_equal(cc_rd(w, Q_ENABLE, 2), 0);
	cc_wr(w, Q_SIZE, 2, size);
	cc_wr(w, Q_DESC, 4, (u32)ring_desc(q));
	cc_wr(w, Q_DESC + 4, 4, ring_desc(q) >> 32);
	cc_wr(w, Q_DRIVER, 4, (u32)ring_avail(q));
	cc_wr(w, Q_DRIVER + 4, 4, 0);
	cc_wr(w, Q_DEVICE, 4, (u32)ring_used(q));
	cc_wr(w, Q_DEVICE + 4, 4, 0);
	assert_int_equal(cc_rd(w, Q_NOFF, 2), q);
	if (vector != VIRTIO_MSI_NO_VECTOR) {
		cc_wr(w, Q_MSIX, 2, vector);
		assert_int_equal(cc_rd(w, Q_MSIX, 2), vector);
	}
	cc_wr(w, Q_ENABLE, 2, 1);
	assert_int_equal(cc_rd(w, Q_ENABLE, 2), 1);
}

/* Feature negotiation up to FEATURES_OK; returns the status read back. */
static u8 driver_negotiate(struct world *w, u64 features)
{
	cc_wr(w, STATUS, 1, 0);
	assert_int_equal(status(w), 0);
	cc_wr(w, STATUS, 1, ACK);
	cc_wr(w, STATUS, 1, ACK | DRV);
	cc_wr(w, GFSELECT, 4, 0);
	cc_wr(w, GF, 4, (u32)features);
	cc_wr(w, GFSELECT, 4, 1);
	cc_wr(w, GF, 4, features >> 32);
	cc_wr(w, STATUS, 1, ACK | DRV | FEAT_OK);
	return status(w);
}

/*
 * The whole of 3.1.1 with MSI-X as Linux sets it up: vector 0 for config,
 * q+1 for queue q. msix false leaves MSI-X off (the INTx fallback).
 */
static void driver_init(struct world *w, bool msix)
{
	cfg_wr(w, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	driver_find_regions(w);
	assert_int_equal(driver_negotiate(w, VIRTIO_F_VERSION_1 | BIT(9)), ACK | DRV | FEAT_OK);
	if (msix) {
		for (unsigned v = 0; v <= NQUEUES; v++)
			msix_program(w, v);
		msix_enable(w, true);
		cc_wr(w, MSIX_CONFIG, 2, 0);
		assert_int_equal(cc_rd(w, MSIX_CONFIG, 2), 0);
	}
	for (unsigned q = 0; q < NQUEUES; q++)
		driver_setup_queue(w, q, 128, msix ? q + 1 : VIRTIO_MSI_NO_VECTOR);
	cc_wr(w, STATUS, 1, ACK | DRV | FEAT_OK | DRV_OK);
	assert_int_equal(status(w), ACK | DRV | FEAT_OK | DRV_OK);
}

static void kick(struct world *w, unsigned q)
{
	bar_wr(w, w->notify + q * w->notify_mult, 2, q);
}

/* ---- tests: configuration space ------------------------------------------ */

static void test_header(void **state)
{
	struct world *w = *state;

	assert_int_equal(cfg_rd(w, PCI_VENDOR_ID, 2), 0x1af4);
	assert_int_equal(cfg_rd(w, PCI_DEVICE_ID, 2), 0x1042);
	assert_int_equal(cfg_rd(w, PCI_REVISION_ID, 1), 1);
	assert_int_equal(cfg_rd(w, PCI_CLASS_CODE, 4) & 0xffffff, 0x018000);
	assert_int_equal(cfg_rd(w, PCI_HEADER_TYPE, 1), 0);
	assert_int_equal(cfg_rd(w, PCI_SUBSYSTEM_VENDOR_ID, 2), 0x1af4);
	assert_int_equal(cfg_rd(w, PCI_INTERRUPT_PIN, 1), 1);
	assert_true(cfg_rd(w, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	/* 64-bit non-prefetchable memory BAR at the VM's address, decoding on. */
	assert_int_equal(cfg_rd(w, PCI_BAR0, 4), (u32)BAR0 | 4);
	assert_int_equal(cfg_rd(w, PCI_BAR0 + 4, 4), 0);
	assert_int_equal(cfg_rd(w, PCI_BAR0 + 8, 4), 0);	/* BAR2 absent */
	assert_int_equal(cfg_rd(w, PCI_COMMAND, 2), PCI_COMMAND_MEMORY);
	assert_true(virtio_pci_bar_enabled(&w->vp));
	assert_int_equal(virtio_pci_bar_base(&w->vp), BAR0);
	/* Read-only IDs stay put; the interrupt line register is scratch. */
	cfg_wr(w, PCI_VENDOR_ID, 4, 0x12345678);
	assert_int_equal(cfg_rd(w, PCI_VENDOR_ID, 2), 0x1af4);
	cfg_wr(w, PCI_INTERRUPT_LINE, 1, 11);
	assert_int_equal(cfg_rd(w, PCI_INTERRUPT_LINE, 1), 11);
	assert_int_equal(w->resets, 0);	/* init does not call the device */
}

static void test_net_identity(void **state)
{
	struct world *w = *state;

	world_init(w, 1, NQUEUES);
	assert_int_equal(cfg_rd(w, PCI_DEVICE_ID, 2), 0x1041);
	assert_int_equal(cfg_rd(w, PCI_CLASS_CODE, 4) & 0xffffff, 0x020000);
}

static void test_capability_chain(void **state)
{
	struct world *w = *state;
	unsigned msix = find_cap_id(w, 0x11), cap;

	driver_find_regions(w);
	assert_int_equal(w->common, VIRTIO_PCI_COMMON);
	assert_int_equal(w->isr, VIRTIO_PCI_ISR);
	assert_int_equal(w->device, VIRTIO_PCI_DEVICE_CFG);
	assert_int_equal(w->notify, VIRTIO_PCI_NOTIFY);
	assert_int_equal(w->notify_mult, 4);
	cap = find_vcap(w, CAP_DEVICE);
	assert_int_equal(cfg_rd(w, cap + 12, 4), CFG_LEN);
	cap = find_vcap(w, CAP_NOTIFY);
	assert_int_equal(cfg_rd(w, cap + 2, 1), 20);		/* cap_len with multiplier */
	assert_true(cfg_rd(w, cap + 12, 4) >= NQUEUES * 4);
	cap = find_vcap(w, CAP_PCI_CFG);
	assert_int_not_equal(cap, 0);
	assert_int_equal(cfg_rd(w, cap + 2, 1), 20);
	/* MSI-X: N-1 in the table size, table and PBA in BAR0. */
	assert_int_not_equal(msix, 0);
	assert_int_equal(cfg_rd(w, msix + 2, 2), NQUEUES);
	assert_int_equal(cfg_rd(w, msix + 4, 4), VIRTIO_PCI_MSIX_TABLE | 0);
	assert_int_equal(cfg_rd(w, msix + 8, 4), VIRTIO_PCI_MSIX_PBA | 0);
	/* The capability bytes themselves are read-only. */
	cfg_wr(w, cap + 3, 1, CAP_COMMON);
	cfg_wr(w, msix + 1, 1, 0);
	assert_int_equal(find_vcap(w, CAP_PCI_CFG), cap);
	assert_int_equal(cfg_rd(w, msix + 2, 2) & 0x7ff, NQUEUES);
}

static void test_bar_sizing_and_move(void **state)
{
	struct world *w = *state;
	u64 moved = 0x2c0000000ull;

	/* Linux: decoding off, size each dword with all ones, restore. */
	cfg_wr(w, PCI_COMMAND, 2, 0);
	assert_int_equal(w->nbar, 1);
	assert_false(w->bar[0].enabled);
	cfg_wr(w, PCI_BAR0, 4, 0xffffffff);
	cfg_wr(w, PCI_BAR0 + 4, 4, 0xffffffff);
	assert_int_equal(cfg_rd(w, PCI_BAR0, 4), 0xffff8004);	/* 32 KiB, 64-bit */
	assert_int_equal(cfg_rd(w, PCI_BAR0 + 4, 4), 0xffffffff);
	assert_int_equal(w->nbar, 1);		/* nothing decoded: nothing to say */
	cfg_wr(w, PCI_BAR0, 4, (u32)moved);
	cfg_wr(w, PCI_BAR0 + 4, 4, moved >> 32);
	assert_int_equal(virtio_pci_bar_base(&w->vp), moved);
	cfg_wr(w, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(w->nbar, 2);
	assert_true(w->bar[1].enabled);
	assert_int_equal(w->bar[1].base, moved);
	/* Moving with decoding on reports each new address; rewrites do not. */
	cfg_wr(w, PCI_BAR0, 4, 0x8000);
	assert_int_equal(w->nbar, 3);
	assert_int_equal(w->bar[2].base, 0x200008000ull);
	cfg_wr(w, PCI_BAR0, 4, 0x8000);
	cfg_wr(w, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(w->nbar, 3);
	/* Byte writes to the BAR's low bits do not move it. */
	cfg_wr(w, PCI_BAR0, 1, 0xff);
	assert_int_equal(cfg_rd(w, PCI_BAR0, 4), 0x8004);
	assert_int_equal(w->nbar, 3);
	/* I/O space cannot be enabled: there is no I/O BAR. */
	cfg_wr(w, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	assert_int_equal(cfg_rd(w, PCI_COMMAND, 2), PCI_COMMAND_MEMORY);
}

static void test_unaligned_bar0_rounded(void **state)
{
	struct world *w = *state;

	struct virtio_pci_wiring mem_only = { .mem = &w->mem };

	virtio_pci_init(&w->vp, &w->ops, w, 0xfebf8123ull, &mem_only);
	assert_int_equal(virtio_pci_bar_base(&w->vp), 0xfebf8000ull);
	/* No wiring at all: interrupts and BAR moves go nowhere, quietly. */
	driver_init(w, true);
	virtio_pci_used(&w->vp, 0);
	cfg_wr(w, PCI_BAR0, 4, 0x10000);
	msix_enable(w, false);
	virtio_pci_used(&w->vp, 0);
	assert_int_equal(bar_rd(w, VIRTIO_PCI_ISR, 1), 1);
}

/* ---- tests: the driver's initialisation ---------------------------------- */

static void test_linux_init_sequence(void **state)
{
	struct world *w = *state;
	struct vq *vq;

	driver_init(w, true);
	assert_int_equal(w->driver_oks, 1);
	assert_int_equal(w->negotiated, VIRTIO_F_VERSION_1 | BIT(9));
	assert_int_equal(cc_rd(w, NUMQ, 2), NQUEUES);
	for (unsigned q = 0; q < NQUEUES; q++) {
		vq = virtio_pci_queue(&w->vp, q);
		assert_non_null(vq);
		assert_true(vq->s.ready);
		assert_int_equal(vq->s.size, 128);
		assert_int_equal(vq->s.desc, ring_desc(q));
		assert_int_equal(vq->s.driver, ring_avail(q));
		assert_int_equal(vq->s.device, ring_used(q));
		assert_ptr_equal(vq->mem, &w->mem);
		cc_wr(w, Q_SELECT, 2, q);
		assert_int_equal(cc_rd(w, Q_DESC, 4), (u32)ring_desc(q));
		assert_int_equal(bar_rd(w, w->common + Q_DEVICE, 8), ring_used(q));
	}
	assert_null(virtio_pci_queue(&w->vp, NQUEUES));
	assert_null(virtio_pci_queue(&w->vp, 1000));
	assert_int_equal(w->nmsi, 0);
	assert_int_equal(fake_console_count("needs reset"), 0);
}

static void test_feature_negotiation(void **state)
{
	struct world *w = *state;

	driver_find_regions(w);
	cc_wr(w, DFSELECT, 4, 0);
	assert_int_equal(cc_rd(w, DF, 4), (u32)DEV_FEATURES);
	cc_wr(w, DFSELECT, 4, 1);
	assert_int_equal(cc_rd(w, DF, 4), 1);		/* VERSION_1, bit 32 */
	cc_wr(w, DFSELECT, 4, 2);
	assert_int_equal(cc_rd(w, DF, 4), 0);
	cc_wr(w, DFSELECT, 4, 0xffffffff);
	assert_int_equal(cc_rd(w, DF, 4), 0);
	assert_int_equal(cc_rd(w, DFSELECT, 4), 0xffffffff);
	/* A legacy driver (no VERSION_1) and a greedy one are refused. */
	assert_int_equal(driver_negotiate(w, BIT(1)), ACK | DRV);
	assert_int_equal(driver_negotiate(w, VIRTIO_F_VERSION_1 | BIT(2)), ACK | DRV);
	assert_int_equal(driver_negotiate(w, VIRTIO_F_VERSION_1 | BIT(40)), ACK | DRV);
	/* A subset is fine; afterwards the features are frozen. */
	assert_int_equal(driver_negotiate(w, VIRTIO_F_VERSION_1 | BIT(28)),
			 ACK | DRV | FEAT_OK);
	cc_wr(w, GFSELECT, 4, 0);
	cc_wr(w, GF, 4, 0xffffffff);
	assert_int_equal(cc_rd(w, GF, 4), (u32)BIT(28));
	cc_wr(w, GFSELECT, 4, 1);
	assert_int_equal(cc_rd(w, GF, 4), 1);
	cc_wr(w, GFSELECT, 4, 7);
	assert_int_equal(cc_rd(w, GF, 4), 0);
}

static void test_status_rules(void **state)
{
	struct world *w = *state;

	driver_find_regions(w);
	cc_wr(w, STATUS, 1, ACK | DRV);
	cc_wr(w, STATUS, 1, ACK);			/* the driver cannot clear bits */
	assert_int_equal(status(w), ACK | DRV);
	cc_wr(w, STATUS, 1, ACK | DRV | NEEDS_RESET);	/* nor set the device's bit */
	assert_int_equal(status(w), ACK | DRV);
	/* DRIVER_OK before FEATURES_OK: a protocol break, the device is not started. */
	cc_wr(w, STATUS, 1, ACK | DRV | DRV_OK);
	assert_int_equal(status(w), ACK | DRV | NEEDS_RESET);
	assert_int_equal(w->driver_oks, 0);
	assert_int_equal(fake_console_count("vm1 vblk0: device needs reset: DRIVER_OK"), 1);
	/* FAILED is the driver's to set. */
	cc_wr(w, STATUS, 1, ACK | DRV | VIRTIO_STATUS_FAILED);
	assert_true(status(w) & VIRTIO_STATUS_FAILED);
	cc_wr(w, STATUS, 1, 0);
	assert_int_equal(status(w), 0);
	assert_int_equal(w->resets, 1);
}

static void test_reset_clears_state(void **state)
{
	struct world *w = *state;

	driver_init(w, true);
	kick(w, 0);
	bar_wr(w, VIRTIO_PCI_MSIX_TABLE + 16 + 12, 4, 1);	/* queue 0's vector pending */
	virtio_pci_used(&w->vp, 0);
	assert_int_equal(bar_rd(w, VIRTIO_PCI_MSIX_PBA, 8), BIT(1));
	w->resets = 0;
	cc_wr(w, STATUS, 1, 0);
	assert_int_equal(w->resets, 1);
	assert_int_equal(status(w), 0);
	assert_null(virtio_pci_queue(&w->vp, 0));
	assert_int_equal(cc_rd(w, MSIX_CONFIG, 2), VIRTIO_MSI_NO_VECTOR);
	assert_int_equal(cc_rd(w, Q_SELECT, 2), 0);
	for (unsigned q = 0; q < NQUEUES; q++) {
		cc_wr(w, Q_SELECT, 2, q);
		assert_int_equal(cc_rd(w, Q_SIZE, 2), QMAX);
		assert_int_equal(cc_rd(w, Q_ENABLE, 2), 0);
		assert_int_equal(cc_rd(w, Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
		assert_int_equal(cc_rd(w, Q_DESC, 4), 0);
		assert_false(w->vp.vq[q].s.ready);
	}
	cc_wr(w, GFSELECT, 4, 1);
	assert_int_equal(cc_rd(w, GF, 4), 0);
	/* A kick after reset reaches nobody; the MSI-X table survives (PCI
	 * state), what the device had pending does not. */
	kick(w, 0);
	assert_int_equal(w->notified[0], 1);
	assert_int_equal(bar_rd(w, VIRTIO_PCI_MSIX_TABLE + 8, 4), 0x40);
	assert_int_equal(bar_rd(w, VIRTIO_PCI_MSIX_TABLE + 16 + 12, 4), 1);
	assert_int_equal(bar_rd(w, VIRTIO_PCI_MSIX_PBA, 8), 0);
	bar_wr(w, VIRTIO_PCI_MSIX_TABLE + 16 + 12, 4, 0);
	assert_int_equal(w->nmsi, 0);
	/* And the driver can start over. */
	driver_init(w, true);
	assert_int_equal(w->driver_oks, 2);
	assert_non_null(virtio_pci_queue(&w->vp, 0));
}

/* ---- tests: notifications and interrupts --------------------------------- */

static void test_notify(void **state)
{
	struct world *w = *state;

	driver_find_regions(w);
	kick(w, 0);				/* before DRIVER_OK: not yet */
	driver_init(w, true);
	kick(w, 0);
	kick(w, 1);
	kick(w, 1);
	assert_int_equal(w->notified[0], 1);
	assert_int_equal(w->notified[1], 2);
	bar_wr(w, w->notify + 4, 4, 0x12345);	/* NOTIFICATION_DATA-style dword */
	assert_int_equal(w->notified[1], 3);
	bar_wr(w, w->notify + 2, 2, 0);		/* not a queue's address */
	bar_wr(w, w->notify + 4 * NQUEUES, 2, NQUEUES);	/* no such queue */
	bar_wr(w, w->notify + 0xffc, 4, 0);
	assert_int_equal(w->notified[0] + w->notified[1], 4);
	/* Bus mastering off: the device may not touch memory, kicks are dropped. */
	cfg_wr(w, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	kick(w, 0);
	assert_null(virtio_pci_queue(&w->vp, 0));
	assert_int_equal(w->notified[0], 1);
	/* Reading the notify region has no effect. */
	assert_int_equal(bar_rd(w, w->notify, 2), 0);
}

static void test_notify_disabled_queue(void **state)
{
	struct world *w = *state;

	cfg_wr(w, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	driver_find_regions(w);
	driver_negotiate(w, VIRTIO_F_VERSION_1);
	driver_setup_queue(w, 0, 64, VIRTIO_MSI_NO_VECTOR);	/* queue 1 left off */
	cc_wr(w, STATUS, 1, ACK | DRV | FEAT_OK | DRV_OK);
	kick(w, 1);
	assert_int_equal(w->notified[1], 0);
	assert_null(virtio_pci_queue(&w->vp, 1));
	kick(w, 0);
	assert_int_equal(w->notified[0], 1);
}

static void test_used_sends_msi(void **state)
{
	struct world *w = *state;

	driver_init(w, true);
	virtio_pci_used(&w->vp, 1);
	assert_int_equal(w->nmsi, 1);
	assert_int_equal(w->msi[0].addr, 0xfee02000ull);	/* entry 2's, as programmed */
	assert_int_equal(w->msi[0].data, 0x42);
	/* MSI-X on: the queue bit stays out of ISR, INTx stays low. */
	assert_int_equal(bar_rd(w, w->isr, 1), 0);
	assert_int_equal(w->nintx, 0);
	/* The driver asked for no interrupts on queue 0 (2.7.7). */
	ram(w, ring_avail(0))[0] = VIRTQ_AVAIL_F_NO_INTERRUPT;
	virtio_pci_used(&w->vp, 0);
	assert_int_equal(w->nmsi, 1);
	ram(w, ring_avail(0))[0] = 0;
	virtio_pci_used(&w->vp, 0);
	assert_int_equal(w->nmsi, 2);
	assert_int_equal(w->msi[1].data, 0x41);
	/* NO_VECTOR for a queue: no interrupt at all. */
	cc_wr(w, Q_SELECT, 2, 0);
	cc_wr(w, Q_MSIX, 2, VIRTIO_MSI_NO_VECTOR);
	virtio_pci_used(&w->vp, 0);
	assert_int_equal(w->nmsi, 2);
	/* Out-of-range queues are ignored. */
	virtio_pci_used(&w->vp, NQUEUES);
	virtio_pci_used(&w->vp, ~0u);
	assert_int_equal(w->nmsi, 2);
}

static void test_end_to_end_request(void **state)
{
	struct world *w = *state;
	u8 *desc, *avail, *used;

	driver_init(w, true);
	w->consume = true;
	/* One device-writable 512-byte buffer, head 0, published in avail. */
	desc = ram(w, ring_desc(0));
	memset(desc, 0, 16);
	desc[0] = 0x00; desc[1] = 0x30; desc[2] = 0x13;	/* addr 0x133000 */
	desc[9] = 0x02;					/* len 512 */
	desc[12] = VIRTQ_DESC_F_WRITE;
	avail = ram(w, ring_avail(0));
	avail[4] = 0; avail[5] = 0;			/* ring[0] = head 0 */
	avail[2] = 1;					/* idx = 1 */
	kick(w, 0);
	used = ram(w, ring_used(0));
	assert_int_equal(used[2], 1);			/* used idx */
	assert_int_equal(used[8] | used[9] << 8, 512);	/* used len */
	assert_int_equal(w->nmsi, 1);
	assert_int_equal(w->msi[0].data, 0x41);
}

static void test_msix_mask_and_pba(void **state)
{
	struct world *w = *state;
	unsigned cap;

	driver_init(w, true);
	cap = find_cap_id(w, 0x11);
	/* Entry 2 (queue 1) masked in BAR0: the message waits in BAR0's PBA. */
	bar_wr(w, VIRTIO_PCI_MSIX_TABLE + 2 * 16 + 12, 4, 1);
	virtio_pci_used(&w->vp, 1);
	assert_int_equal(w->nmsi, 0);
	assert_int_equal(bar_rd(w, VIRTIO_PCI_MSIX_PBA, 8), BIT(2));
	assert_int_equal(bar_rd(w, VIRTIO_PCI_MSIX_PBA, 4), BIT(2));
	bar_wr(w, VIRTIO_PCI_MSIX_PBA, 8, 0);			/* PBA is read-only */
	bar_wr(w, VIRTIO_PCI_MSIX_PBA, 4, 0);
	assert_int_equal(bar_rd(w, VIRTIO_PCI_MSIX_PBA, 8), BIT(2));
	bar_wr(w, VIRTIO_PCI_MSIX_TABLE + 2 * 16 + 12, 4, 0);
	assert_int_equal(w->nmsi, 1);
	assert_int_equal(w->msi[0].data, 0x42);
	assert_int_equal(bar_rd(w, VIRTIO_PCI_MSIX_PBA, 8), 0);
	/* Function mask, set and cleared through config space, holds every
	 * vector and then releases them: queue 0's and config's. */
	cfg_wr(w, cap + 2, 2, 0xc000);
	virtio_pci_used(&w->vp, 0);
	virtio_pci_config_changed(&w->vp);
	assert_int_equal(w->nmsi, 1);
	assert_int_equal(bar_rd(w, VIRTIO_PCI_MSIX_PBA, 8), BIT(0) | BIT(1));
	cfg_wr(w, cap + 2, 2, 0x8000);
	assert_int_equal(w->nmsi, 3);
	assert_int_equal(w->msi[1].data, 0x40);
	assert_int_equal(w->msi[2].data, 0x41);
	assert_int_equal(bar_rd(w, VIRTIO_PCI_MSIX_PBA, 8), 0);
}

/* The table in BAR0's MSI-X region: one entry per queue plus config, all
 * masked from init, with the model's access rules (test_pci_msix.c). */
static void test_msix_table_in_bar0(void **state)
{
	struct world *w = *state;
	u64 t = VIRTIO_PCI_MSIX_TABLE;

	for (unsigned v = 0; v <= NQUEUES; v++) {
		assert_int_equal(bar_rd(w, t + 16 * v + 12, 4), 1);
		assert_int_equal(bar_rd(w, t + 16 * v, 4), 0);
	}
	bar_wr(w, t + 16 * NQUEUES, 4, 0xfee0300f);
	assert_int_equal(bar_rd(w, t + 16 * NQUEUES, 4), 0xfee0300c);
	bar_wr(w, t + 16 + 8, 8, 0x0000000100000055ull);
	assert_int_equal(bar_rd(w, t + 16 + 8, 8), 0x0000000100000055ull);
	bar_wr(w, t + 8, 2, 0x99);
	assert_int_equal(bar_rd(w, t + 8, 4), 0);
	/* Entries past the table (3 vectors) read 0 and keep nothing. */
	bar_wr(w, t + 16 * 3, 4, 0xfee00000);
	assert_int_equal(bar_rd(w, t + 16 * 3, 4), 0);
	/* The PBA sits in its own region, one qword. */
	assert_int_equal(bar_rd(w, VIRTIO_PCI_MSIX_PBA, 8), 0);
	assert_int_equal(bar_rd(w, VIRTIO_PCI_MSIX_PBA + 8, 8), 0);
}

static void test_msix_bad_vectors(void **state)
{
	struct world *w = *state;

	driver_init(w, true);
	cc_wr(w, MSIX_CONFIG, 2, 3);			/* vectors 0-2 exist */
	assert_int_equal(cc_rd(w, MSIX_CONFIG, 2), VIRTIO_MSI_NO_VECTOR);
	cc_wr(w, Q_SELECT, 2, 1);
	cc_wr(w, Q_MSIX, 2, 0x8000);
	assert_int_equal(cc_rd(w, Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	cc_wr(w, Q_MSIX, 2, 0);				/* sharing vector 0 is fine */
	assert_int_equal(cc_rd(w, Q_MSIX, 2), 0);
	virtio_pci_used(&w->vp, 1);
	assert_int_equal(w->nmsi, 1);
	assert_int_equal(w->msi[0].data, 0x40);
	virtio_pci_config_changed(&w->vp);		/* config vector is NO_VECTOR */
	assert_int_equal(w->nmsi, 1);
}

static void test_intx_path(void **state)
{
	struct world *w = *state;

	driver_init(w, false);
	virtio_pci_used(&w->vp, 0);
	assert_true(w->intx);
	assert_int_equal(w->nmsi, 0);
	assert_true(cfg_rd(w, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	virtio_pci_used(&w->vp, 1);			/* already high: no new edge */
	assert_int_equal(w->nintx, 1);
	/* ISR reads and clears; only byte reads at offset 0 count. */
	assert_int_equal(bar_rd(w, w->isr, 4), 0);
	assert_int_equal(bar_rd(w, w->isr + 1, 1), 0);
	assert_true(w->intx);
	assert_int_equal(bar_rd(w, w->isr, 1), VIRTIO_ISR_QUEUE);
	assert_false(w->intx);
	assert_false(cfg_rd(w, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	assert_int_equal(bar_rd(w, w->isr, 1), 0);
	bar_wr(w, w->isr, 1, 0xff);			/* read-only */
	assert_int_equal(bar_rd(w, w->isr, 1), 0);
	/* Config changes set bit 1 and bump the generation. */
	assert_int_equal(cc_rd(w, CFGGEN, 1), 0);
	virtio_pci_config_changed(&w->vp);
	assert_int_equal(cc_rd(w, CFGGEN, 1), 1);
	assert_true(w->intx);
	assert_int_equal(bar_rd(w, w->isr, 1), VIRTIO_ISR_CONFIG);
	assert_false(w->intx);
	/* INTx disable keeps the pin quiet; status still shows the interrupt. */
	cfg_wr(w, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
	       PCI_COMMAND_INTX_DISABLE);
	virtio_pci_used(&w->vp, 0);
	assert_false(w->intx);
	assert_true(cfg_rd(w, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	cfg_wr(w, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_true(w->intx);
	/* Enabling MSI-X takes the pin away. */
	msix_enable(w, true);
	assert_false(w->intx);
	msix_enable(w, false);
	assert_true(w->intx);
	bar_rd(w, w->isr, 1);
	assert_false(w->intx);
}

static void test_config_changed_msix(void **state)
{
	struct world *w = *state;

	driver_init(w, true);
	virtio_pci_config_changed(&w->vp);
	assert_int_equal(w->nmsi, 1);
	assert_int_equal(w->msi[0].data, 0x40);
	assert_int_equal(cc_rd(w, CFGGEN, 1), 1);
	/* The config bit is set in ISR even with MSI-X (4.1.4.5.1). */
	assert_int_equal(bar_rd(w, w->isr, 1), VIRTIO_ISR_CONFIG);
	assert_false(w->intx);
	/* Before DRIVER_OK only the generation moves. */
	cc_wr(w, STATUS, 1, 0);
	virtio_pci_config_changed(&w->vp);
	assert_int_equal(cc_rd(w, CFGGEN, 1), 2);
	assert_int_equal(w->nmsi, 1);
	/* The generation wraps as a u8. */
	for (unsigned i = 0; i < 254; i++)
		virtio_pci_config_changed(&w->vp);
	assert_int_equal(cc_rd(w, CFGGEN, 1), 0);
}

static void test_bus_master_gates_msi(void **state)
{
	struct world *w = *state;

	driver_init(w, true);
	cfg_wr(w, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	virtio_pci_used(&w->vp, 0);
	virtio_pci_config_changed(&w->vp);
	assert_int_equal(w->nmsi, 0);
	cfg_wr(w, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(w->nmsi, 0);		/* dropped, not pending */
	virtio_pci_used(&w->vp, 0);
	assert_int_equal(w->nmsi, 1);
}

/* ---- tests: failure and hostile drivers ---------------------------------- */

static void test_fail_once(void **state)
{
	struct world *w = *state;

	driver_init(w, true);
	virtio_pci_fail(&w->vp, "descriptor loop");
	virtio_pci_fail(&w->vp, "second problem");
	assert_int_equal(fake_console_count("vm1 vblk0: device needs reset: descriptor loop"), 1);
	assert_int_equal(fake_console_count("needs reset"), 1);
	assert_true(status(w) & NEEDS_RESET);
	assert_int_equal(w->nmsi, 1);			/* one config interrupt */
	assert_int_equal(w->msi[0].data, 0x40);
	assert_null(virtio_pci_queue(&w->vp, 0));
	kick(w, 0);
	assert_int_equal(w->notified[0], 0);
	virtio_pci_used(&w->vp, 0);
	assert_int_equal(w->nmsi, 1);
	/* The driver cannot clear NEEDS_RESET except by resetting. */
	cc_wr(w, STATUS, 1, ACK | DRV | FEAT_OK | DRV_OK);
	assert_true(status(w) & NEEDS_RESET);
	driver_init(w, true);
	assert_int_equal(status(w), ACK | DRV | FEAT_OK | DRV_OK);
	virtio_pci_fail(&w->vp, "again");
	assert_int_equal(fake_console_count("needs reset"), 2);
}

static void test_fail_during_setup(void **state)
{
	struct world *w = *state;

	/* Failing before DRIVER_OK: no interrupt until the driver sets it, and
	 * then the device is not started. */
	cfg_wr(w, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	driver_find_regions(w);
	driver_negotiate(w, VIRTIO_F_VERSION_1);
	msix_program(w, 0);
	msix_enable(w, true);
	cc_wr(w, MSIX_CONFIG, 2, 0);
	cc_wr(w, Q_SELECT, 2, 0);
	cc_wr(w, Q_SIZE, 2, 100);
	assert_true(status(w) & NEEDS_RESET);
	assert_int_equal(w->nmsi, 0);
	cc_wr(w, STATUS, 1, ACK | DRV | FEAT_OK | DRV_OK);
	assert_int_equal(w->driver_oks, 0);
	assert_int_equal(w->nmsi, 1);
	assert_int_equal(fake_console_count("queue_size"), 1);
}

/* Set up queue 0 with the given layout and try to enable it. */
static void enable_queue0(struct world *w, u16 size, u64 desc, u64 avail, u64 used)
{
	cc_wr(w, STATUS, 1, 0);
	cc_wr(w, STATUS, 1, ACK | DRV);
	cc_wr(w, Q_SELECT, 2, 0);
	cc_wr(w, Q_SIZE, 2, size);
	bar_wr(w, w->common + Q_DESC, 8, desc);
	bar_wr(w, w->common + Q_DRIVER, 8, avail);
	bar_wr(w, w->common + Q_DEVICE, 8, used);
	cc_wr(w, Q_ENABLE, 2, 1);
}

static void test_hostile_queue_layout(void **state)
{
	struct world *w = *state;
	static const struct { u64 desc, avail, used; const char *msg; } bad[] = {
		{ RAM_BASE + 8, RAM_BASE + 0x4000, RAM_BASE + 0x8000, "16-byte aligned" },
		{ RAM_BASE, RAM_BASE + 0x4001, RAM_BASE + 0x8000, "2-byte aligned" },
		{ RAM_BASE, RAM_BASE + 0x4000, RAM_BASE + 0x8002, "4-byte aligned" },
		{ 0, RAM_BASE + 0x4000, RAM_BASE + 0x8000, "not in guest RAM" },
		{ RAM_BASE + RAM_SIZE - 0x10, RAM_BASE, RAM_BASE + 0x8000, "not in guest RAM" },
		{ RAM_BASE, ~0ull - 1, RAM_BASE + 0x8000, "not in guest RAM" },
		{ RAM_BASE, RAM_BASE + 0x4000, 0xfffffffffffffff0ull, "not in guest RAM" },
	};

	driver_find_regions(w);
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		fake_console_reset();
		enable_queue0(w, 64, bad[i].desc, bad[i].avail, bad[i].used);
		assert_true(status(w) & NEEDS_RESET);
		assert_int_equal(cc_rd(w, Q_ENABLE, 2), 0);
		assert_false(w->vp.vq[0].s.ready);
		assert_int_equal(fake_console_count(bad[i].msg), 1);
	}
	/* The same steps with a good layout work. */
	enable_queue0(w, 64, ring_desc(0), ring_avail(0), ring_used(0));
	assert_int_equal(status(w), ACK | DRV);
	assert_int_equal(cc_rd(w, Q_ENABLE, 2), 1);
	/* An enabled queue's layout is frozen; queue_enable 0 is ignored. */
	cc_wr(w, Q_SIZE, 2, 32);
	cc_wr(w, Q_DESC, 4, 0x1000);
	cc_wr(w, Q_ENABLE, 2, 0);
	assert_int_equal(cc_rd(w, Q_SIZE, 2), 64);
	assert_int_equal(cc_rd(w, Q_DESC, 4), (u32)ring_desc(0));
	assert_int_equal(cc_rd(w, Q_ENABLE, 2), 1);
	assert_int_equal(w->vp.vq[0].s.size, 64);
}

static void test_hostile_queue_size(void **state)
{
	struct world *w = *state;
	static const u32 bad[] = { 0, 3, 100, QMAX * 2, 0x8000, 0xffff };

	driver_find_regions(w);
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		cc_wr(w, STATUS, 1, 0);
		cc_wr(w, Q_SELECT, 2, 1);
		cc_wr(w, Q_SIZE, 2, bad[i]);
		assert_int_equal(cc_rd(w, Q_SIZE, 2), QMAX);
		assert_true(status(w) & NEEDS_RESET);
	}
	cc_wr(w, STATUS, 1, 0);
	cc_wr(w, Q_SIZE, 2, 1);
	assert_int_equal(cc_rd(w, Q_SIZE, 2), 1);
	assert_int_equal(status(w), 0);
}

static void test_hostile_queue_select(void **state)
{
	struct world *w = *state;

	driver_find_regions(w);
	cc_wr(w, Q_SELECT, 2, NQUEUES);
	assert_int_equal(cc_rd(w, Q_SELECT, 2), NQUEUES);
	assert_int_equal(cc_rd(w, Q_SIZE, 2), 0);	/* "not available" */
	assert_int_equal(cc_rd(w, Q_ENABLE, 2), 0);
	assert_int_equal(cc_rd(w, Q_NOFF, 2), 0);
	cc_wr(w, Q_SELECT, 2, 0xffff);
	cc_wr(w, Q_SIZE, 2, 3);
	cc_wr(w, Q_MSIX, 2, 0);
	cc_wr(w, Q_DESC, 4, 0x1234);
	cc_wr(w, Q_ENABLE, 2, 1);
	assert_int_equal(cc_rd(w, Q_DESC, 4), 0);
	assert_int_equal(cc_rd(w, Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	assert_int_equal(status(w), 0);
	for (unsigned q = 0; q < VIRTIO_PCI_MAX_QUEUES; q++)
		assert_false(w->vp.state.q[q].enable);
}

static void test_hostile_widths(void **state)
{
	struct world *w = *state;
	static const struct { unsigned off, size; } bad[] = {
		{ STATUS, 2 }, { STATUS, 4 }, { Q_SELECT, 1 }, { Q_SELECT, 4 }, { DF, 2 },
		{ GFSELECT, 1 }, { 0x01, 1 }, { 0x03, 1 }, { Q_DESC + 2, 2 }, { Q_DESC + 4, 8 },
		{ Q_DESC, 2 }, { NUMQ, 4 }, { 0x38, 4 }, { 0x3a, 2 }, { 0x100, 4 }, { 0xffc, 4 },
		{ STATUS, 3 }, { STATUS, 0 }, { STATUS, 16 },
	};

	driver_find_regions(w);
	cc_wr(w, STATUS, 1, ACK);
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(cc_rd(w, bad[i].off, bad[i].size), 0);
		cc_wr(w, bad[i].off, bad[i].size, 0);
		cc_wr(w, bad[i].off, bad[i].size, 0xffffffff);
	}
	assert_int_equal(w->resets, 0);
	assert_int_equal(status(w), ACK);
	assert_int_equal(cc_rd(w, Q_SELECT, 2), 0);
	assert_int_equal(cc_rd(w, GFSELECT, 4), 0);
	/* Read-only fields ignore writes. */
	cc_wr(w, NUMQ, 2, 7);
	cc_wr(w, CFGGEN, 1, 7);
	cc_wr(w, DF, 4, 0);
	cc_wr(w, Q_NOFF, 2, 9);
	assert_int_equal(cc_rd(w, NUMQ, 2), NQUEUES);
	assert_int_equal(cc_rd(w, CFGGEN, 1), 0);
	cc_wr(w, DFSELECT, 4, 0);
	assert_int_equal(cc_rd(w, DF, 4), (u32)DEV_FEATURES);
	assert_int_equal(cc_rd(w, Q_NOFF, 2), 0);
	/* Across a region end, past the BAR, or odd sizes anywhere. */
	bar_wr(w, 0x0ffe, 4, ~0u);
	assert_int_equal(bar_rd(w, 0x0ffe, 4), 0);
	assert_int_equal(bar_rd(w, VIRTIO_PCI_BAR_SIZE, 4), 0);
	assert_int_equal(bar_rd(w, ~0ull - 3, 4), 0);
	bar_wr(w, ~0ull - 3, 4, 0);
	bar_wr(w, VIRTIO_PCI_BAR_SIZE - 4, 4, 0);
	assert_int_equal(bar_rd(w, 0x6000, 8), 0);
	assert_int_equal(bar_rd(w, VIRTIO_PCI_DEVICE_CFG, 3), 0);
	assert_int_equal(w->cfg_reads, 0);
}

static void test_device_config(void **state)
{
	struct world *w = *state;

	driver_find_regions(w);
	assert_int_equal(bar_rd(w, w->device, 1), 0xa0);
	assert_int_equal(bar_rd(w, w->device + 2, 2), 0xa3a2);
	assert_int_equal(bar_rd(w, w->device + 12, 4), 0xafaeadac);
	assert_int_equal(bar_rd(w, w->device + 8, 8), 0xafaeadacabaaa9a8ull);
	assert_int_equal(w->cfg_reads, 5);
	/* Past cfg_len: 0 and the device is not asked. */
	assert_int_equal(bar_rd(w, w->device + 14, 4), 0);
	assert_int_equal(bar_rd(w, w->device + CFG_LEN, 1), 0);
	assert_int_equal(bar_rd(w, w->device + 0xff8, 8), 0);
	assert_int_equal(w->cfg_reads, 5);
	bar_wr(w, w->device + 4, 2, 0xbeef);
	assert_int_equal(w->cfg_writes, 1);
	assert_int_equal(w->last_cfg_off, 4);
	assert_int_equal(w->last_cfg_size, 2);
	assert_int_equal(w->last_cfg_val, 0xbeef);
	bar_wr(w, w->device + 8, 8, 0x1122334455667788ull);
	assert_int_equal(w->cfg_writes, 3);
	assert_int_equal(w->last_cfg_off, 12);
	assert_int_equal(w->last_cfg_val, 0x11223344);
	bar_wr(w, w->device + 15, 2, 0);
	assert_int_equal(w->cfg_writes, 3);
}

static void test_pci_cfg_window(void **state)
{
	struct world *w = *state;
	unsigned cap;

	/* Works with memory decoding off: that is what it is for. */
	cfg_wr(w, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	cap = find_vcap(w, CAP_PCI_CFG);
	cfg_wr(w, cap + 4, 1, 0);				/* bar */
	cfg_wr(w, cap + 8, 4, VIRTIO_PCI_COMMON + NUMQ);	/* offset */
	cfg_wr(w, cap + 12, 4, 2);				/* length */
	assert_int_equal(cfg_rd(w, cap + 16, 2), NQUEUES);
	assert_int_equal(cfg_rd(w, cap + 8, 4), NUMQ);
	/* Write device_status = ACKNOWLEDGE through the window. */
	cfg_wr(w, cap + 8, 4, VIRTIO_PCI_COMMON + STATUS);
	cfg_wr(w, cap + 12, 4, 1);
	cfg_wr(w, cap + 16, 1, ACK);
	w->common = VIRTIO_PCI_COMMON;
	assert_int_equal(status(w), ACK);
	assert_int_equal(cfg_rd(w, cap + 16, 1), ACK);
	/* A dword: device_feature with select 1 reads VERSION_1. */
	cfg_wr(w, cap + 8, 4, VIRTIO_PCI_COMMON + DFSELECT);
	cfg_wr(w, cap + 12, 4, 4);
	cfg_wr(w, cap + 16, 4, 1);
	cfg_wr(w, cap + 8, 4, VIRTIO_PCI_COMMON + DF);
	assert_int_equal(cfg_rd(w, cap + 16, 4), 1);
	/* Device config through the window. */
	cfg_wr(w, cap + 8, 4, VIRTIO_PCI_DEVICE_CFG + 4);
	assert_int_equal(cfg_rd(w, cap + 16, 4), 0xa7a6a5a4);
	/* Invalid: length 3, misaligned, another BAR, past the BAR. The data
	 * register then just holds what was last there. */
	cfg_wr(w, cap + 12, 4, 3);
	cfg_wr(w, cap + 16, 4, 0x5a5a5a5a);
	assert_int_equal(cfg_rd(w, cap + 16, 4), 0x5a5a5a5a);
	cfg_wr(w, cap + 12, 4, 4);
	cfg_wr(w, cap + 8, 4, VIRTIO_PCI_COMMON + 2);
	assert_int_equal(cfg_rd(w, cap + 16, 4), 0x5a5a5a5a);
	cfg_wr(w, cap + 8, 4, VIRTIO_PCI_COMMON + DF);
	cfg_wr(w, cap + 4, 1, 2);
	assert_int_equal(cfg_rd(w, cap + 16, 4), 0x5a5a5a5a);
	cfg_wr(w, cap + 4, 1, 0);
	cfg_wr(w, cap + 8, 4, VIRTIO_PCI_BAR_SIZE);
	assert_int_equal(cfg_rd(w, cap + 16, 4), 0x5a5a5a5a);
	cfg_wr(w, cap + 8, 4, 0xfffffffc);
	cfg_wr(w, cap + 16, 4, 0);
	assert_int_equal(status(w), ACK);
	assert_int_equal(w->cfg_writes, 0);
	/* The capability header itself stays read-only. */
	cfg_wr(w, cap, 4, 0);
	assert_int_equal(cfg_rd(w, cap, 1), 0x09);
	assert_int_equal(cfg_rd(w, cap + 3, 1), CAP_PCI_CFG);
}

static void test_pci_cfg_window_isr_and_notify(void **state)
{
	struct world *w = *state;
	unsigned cap;

	driver_init(w, false);
	cap = find_vcap(w, CAP_PCI_CFG);
	virtio_pci_used(&w->vp, 0);
	assert_true(w->intx);
	cfg_wr(w, cap + 8, 4, VIRTIO_PCI_ISR);
	cfg_wr(w, cap + 12, 4, 1);
	assert_int_equal(cfg_rd(w, cap + 16, 1), VIRTIO_ISR_QUEUE);
	assert_false(w->intx);
	cfg_wr(w, cap + 8, 4, VIRTIO_PCI_NOTIFY + 4);
	cfg_wr(w, cap + 12, 4, 2);
	cfg_wr(w, cap + 16, 2, 1);
	assert_int_equal(w->notified[1], 1);
}

static void test_init_clamps(void **state)
{
	struct world *w = *state;

	w->ops.nqueues = 20;
	w->ops.queue_max = 300;
	virtio_pci_init(&w->vp, &w->ops, w, BAR0, NULL);
	assert_int_equal(fake_console_count("clamped to 8 of 256"), 1);
	w->common = VIRTIO_PCI_COMMON;
	assert_int_equal(cc_rd(w, NUMQ, 2), VIRTIO_PCI_MAX_QUEUES);
	assert_int_equal(cc_rd(w, Q_SIZE, 2), 256);
	assert_int_equal(cfg_rd(w, find_cap_id(w, 0x11) + 2, 2), VIRTIO_PCI_MAX_QUEUES);
	/* No device config: no DEVICE capability. */
	w->ops.nqueues = 1;
	w->ops.queue_max = 1;
	w->ops.cfg_len = 0;
	virtio_pci_init(&w->vp, &w->ops, w, BAR0, NULL);
	assert_int_equal(find_vcap(w, CAP_DEVICE), 0);
	assert_int_equal(cc_rd(w, Q_SIZE, 2), 1);
	assert_int_equal(bar_rd(w, VIRTIO_PCI_DEVICE_CFG, 4), 0);
}

/* ---- tests: the state record --------------------------------------------- */

#define REC_MAX		(4 * KiB)
#define BUF_BASE	(RAM_BASE + 0x30000)	/* request buffers, past the rings */
/* What a record holds: the state, the queues and MSI-X, not the wiring. */
#define VP_STATE_SIZE	offsetof(struct virtio_pci, wiring)

static int vp_load(void *dev, const void *buf, size_t len, bool apply, const char **why)
{
	return virtio_pci_load(dev, buf, len, apply, why);
}

static void put_le(u8 *p, u64 v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (u8)(v >> (8 * i));
}

static u16 get_le16(const u8 *p)
{
	return (u16)(p[0] | p[1] << 8);
}

/* The driver offers chain head on queue q (of 128): one device-writable
 * buffer of len bytes, published as the next available entry. */
static void offer(struct world *w, unsigned q, u16 head, u32 len)
{
	u8 *d = ram(w, ring_desc(q) + 16u * head), *avail = ram(w, ring_avail(q));
	u16 idx = get_le16(avail + 2);

	put_le(d, BUF_BASE + q * 0x1000 + head * 0x40u, 8);
	put_le(d + 8, len, 4);
	put_le(d + 12, VIRTQ_DESC_F_WRITE, 2);
	put_le(d + 14, 0, 2);
	put_le(avail + 4 + 2 * (idx % 128), head, 2);
	put_le(avail + 2, (u16)(idx + 1), 2);
}

static u16 used_idx(struct world *w, unsigned q)
{
	return get_le16(ram(w, ring_used(q)) + 2);
}

/*
 * A driver that went somewhere: features negotiated, both queues enabled
 * with MSI-X vectors, three requests done on queue 0 and one on queue 1,
 * then queue 1's vector masked with its next message pending.
 */
static void busy(struct world *w)
{
	driver_init(w, true);
	w->consume = true;
	for (u16 head = 0; head < 3; head++)
		offer(w, 0, head, 32);
	kick(w, 0);
	offer(w, 1, 0, 16);
	kick(w, 1);
	assert_int_equal(used_idx(w, 0), 3);
	assert_int_equal(used_idx(w, 1), 1);
	bar_wr(w, VIRTIO_PCI_MSIX_TABLE + 2 * 16 + 12, 4, 1);
	virtio_pci_used(&w->vp, 1);
	assert_int_equal(bar_rd(w, VIRTIO_PCI_MSIX_PBA, 8), BIT(2));
	cc_wr(w, Q_SELECT, 2, 1);
	cc_wr(w, DFSELECT, 4, 1);
	virtio_pci_config_changed(&w->vp);
	w->nmsi = 0;
	w->consume = false;
}

/* A device built as w's, over a copy of w's guest RAM (the memory half of
 * a snapshot, which is not the device's), its driver's view of BAR0 found. */
static struct world *twin(const struct world *w)
{
	struct world *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	world_init(t, w->ops.device_id, w->ops.nqueues);
	memcpy(t->ram, w->ram, sizeof(t->ram));
	t->restoring = true;
	driver_find_regions(t);
	return t;
}

static int save(const struct world *w, u8 *buf)
{
	int n = virtio_pci_save(&w->vp, buf, REC_MAX);

	assert_true(n > SNAP_HDR_LEN);
	return n;
}

static void load_ok(struct world *t, const u8 *rec, int n)
{
	const char *why = "unset";

	assert_int_equal(virtio_pci_load(&t->vp, rec, (size_t)n, true, &why), 0);
	assert_null(why);
}

/* Saved, loaded into a twin, saved again: the same bytes, and the twin's
 * registers read as the driver left them. */
static void test_record_round_trip(void **state)
{
	struct world *w = *state, *t;
	u8 *a = malloc(REC_MAX), *b = malloc(REC_MAX);
	int n;

	busy(w);
	n = save(w, a);
	t = twin(w);
	load_ok(t, a, n);
	assert_int_equal(save(t, b), n);
	assert_memory_equal(a, b, (size_t)n);
	assert_int_equal(status(t), ACK | DRV | FEAT_OK | DRV_OK);
	assert_int_equal(cc_rd(t, Q_SELECT, 2), 1);
	assert_int_equal(cc_rd(t, DFSELECT, 4), 1);
	assert_int_equal(cc_rd(t, CFGGEN, 1), 1);
	cc_wr(t, GFSELECT, 4, 0);
	assert_int_equal(cc_rd(t, GF, 4), (u32)BIT(9));
	assert_int_equal(cc_rd(t, Q_MSIX, 2), 2);
	assert_int_equal(t->vp.vq[0].s.last_avail, 3);
	assert_int_equal(t->vp.vq[0].s.used_idx, 3);
	assert_int_equal(bar_rd(t, VIRTIO_PCI_MSIX_PBA, 8), BIT(2));
	assert_int_equal(t->nmsi, 0);			/* still masked: it waits */
	assert_int_equal(t->driver_oks + t->resets, 0);	/* the device is not called */
	bar_wr(t, VIRTIO_PCI_MSIX_TABLE + 2 * 16 + 12, 4, 0);
	assert_int_equal(t->nmsi, 1);
	assert_int_equal(t->msi[0].data, 0x42);
	free(a);
	free(b);
	free(t);
}

/* The next request on a restored queue is taken from the available entry
 * after the last one served and completes into the next used entry. */
static void test_record_queue_goes_on(void **state)
{
	struct world *w = *state, *t;
	u8 *rec = malloc(REC_MAX), *elem;
	int n;

	busy(w);
	n = save(w, rec);
	t = twin(w);
	load_ok(t, rec, n);
	t->consume = true;
	offer(t, 0, 5, 48);
	kick(t, 0);
	assert_int_equal(t->notified[0], 1);
	assert_int_equal(used_idx(t, 0), 4);
	elem = ram(t, ring_used(0)) + 4 + 8 * 3;		/* used ring entry 3 */
	assert_int_equal(elem[0], 5);				/* id: head 5 */
	assert_int_equal(elem[4], 48);				/* len */
	assert_int_equal(t->nmsi, 1);
	assert_int_equal(t->msi[0].data, 0x41);		/* queue 0's vector */
	assert_int_equal(used_idx(w, 0), 3);			/* the original is untouched */
	free(rec);
	free(t);
}

/* What a driver may leave in the registers, however odd, loads: a
 * queue_select past the queues, any feature selector, features written
 * but not accepted yet, ring indices anywhere in their u16 range. */
static void test_record_takes_driver_leftovers(void **state)
{
	struct world *w = *state, *t = twin(w);
	u8 *a = malloc(REC_MAX), *b = malloc(REC_MAX);
	int n;

	driver_init(w, false);
	w->vp.vq[1].s.last_avail = w->vp.vq[1].s.used_idx = 0xfffe;
	cc_wr(w, Q_SELECT, 2, 0xffff);
	cc_wr(w, DFSELECT, 4, 0x12345678);
	cc_wr(w, GFSELECT, 4, 9);
	n = save(w, a);
	load_ok(t, a, n);
	assert_int_equal(save(t, b), n);
	assert_memory_equal(a, b, (size_t)n);
	cc_wr(w, STATUS, 1, 0);
	cc_wr(w, STATUS, 1, ACK | DRV);
	cc_wr(w, GFSELECT, 4, 1);
	cc_wr(w, GF, 4, 0xffffffff);			/* not offered: FEATURES_OK would fail */
	n = save(w, a);
	load_ok(t, a, n);
	assert_int_equal(cc_rd(t, GF, 4), 0xffffffff);
	free(a);
	free(b);
	free(t);
}

/* A pending message on an unmasked vector (a device never saves one: it
 * sends at the unmask) is sent by the load, once; a check sends nothing. */
static void test_record_sends_pending(void **state)
{
	struct world *w = *state, *t;
	u8 *rec = malloc(REC_MAX);
	const char *why;
	int n;

	busy(w);
	w->vp.msix.state.table[2].ctrl = 0;
	n = save(w, rec);
	t = twin(w);
	assert_int_equal(virtio_pci_load(&t->vp, rec, (size_t)n, false, &why), 0);
	assert_int_equal(t->nmsi, 0);
	load_ok(t, rec, n);
	assert_int_equal(t->nmsi, 1);
	assert_int_equal(t->msi[0].addr, 0xfee02000ull);
	assert_int_equal(t->msi[0].data, 0x42);
	assert_int_equal(bar_rd(t, VIRTIO_PCI_MSIX_PBA, 8), 0);
	free(rec);
	free(t);
}

/* The load drives INTx to the record's level, up or down, whatever the
 * line was. */
static void test_record_drives_intx(void **state)
{
	struct world *w = *state, *t = twin(w);
	u8 *high = malloc(REC_MAX), *low = malloc(REC_MAX);
	int n_high, n_low;

	n_low = save(w, low);
	driver_init(w, false);
	virtio_pci_used(&w->vp, 0);
	assert_true(w->intx);
	n_high = save(w, high);
	load_ok(t, high, n_high);
	assert_true(t->intx);
	assert_int_equal(t->nintx, 1);
	assert_true(cfg_rd(t, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	assert_int_equal(bar_rd(t, t->isr, 1), VIRTIO_ISR_QUEUE);
	assert_false(t->intx);
	load_ok(t, high, n_high);
	assert_true(t->intx);
	load_ok(t, low, n_low);
	assert_false(t->intx);
	assert_int_equal(t->nintx, 4);
	free(high);
	free(low);
	free(t);
}

/* BAR0 where the guest put it, decoding as it left it: the VM is told. */
static void test_record_moves_bar(void **state)
{
	struct world *w = *state, *t = twin(w);
	u8 *rec = malloc(REC_MAX);
	int n;

	cfg_wr(w, PCI_BAR0, 4, 0x40008000);
	cfg_wr(w, PCI_BAR0 + 4, 4, 0x3);
	n = save(w, rec);
	t->nbar = 0;
	load_ok(t, rec, n);
	assert_int_equal(t->nbar, 1);
	assert_int_equal(t->bar[0].base, 0x340008000ull);
	assert_true(t->bar[0].enabled);
	assert_int_equal(virtio_pci_bar_base(&t->vp), 0x340008000ull);
	cfg_wr(w, PCI_COMMAND, 2, 0);
	n = save(w, rec);
	load_ok(t, rec, n);
	assert_int_equal(t->nbar, 2);
	assert_false(t->bar[1].enabled);
	free(rec);
	free(t);
}

/*
 * One bad thing done to a copy of a busy transport, the reason its record
 * is refused for; NULL past the last. Each breaks one check of
 * devices/virtio_pci_state.c.
 */
static const char *poke(struct virtio_pci *c, unsigned i)
{
	struct virtio_pci_state *s = &c->state;

	switch (i) {
	case 0: s->cfg.wmask[PCI_COMMAND] |= PCI_COMMAND_IO; return "write masks";
	case 1: s->cfg.w1cmask[PCI_STATUS + 1] = 0; return "write masks";
	case 2: s->cfg.bytes[PCI_DEVICE_ID] ^= 3; return "read-only bit";
	case 3: s->cfg.bytes[0x40 + 2]++; return "read-only bit";	/* MSI-X table size */
	case 4: s->cfg.bytes[PCI_BAR0] &= ~PCI_BAR_MEM64; return "read-only bit";
	case 5: s->num_queues = 1; return "number of queues";
	case 6: s->queue_max = QMAX / 2; return "queue size limit";
	case 7: s->device_features |= BIT(5); return "offers other features";
	case 8: s->status |= BIT(4); return "undefined bits";
	case 9: s->status &= ~FEAT_OK; return "DRIVER_OK without FEATURES_OK";
	case 10: s->driver_features |= BIT(40); return "FEATURES_OK";
	case 11: s->driver_features &= ~VIRTIO_F_VERSION_1; return "FEATURES_OK";
	case 12: s->isr = 4; return "ISR status";
	case 13: s->config_msix_vector = NQUEUES + 1; return "config_msix_vector";
	case 14: s->intx_level = true; return "INTx";
	case 15: s->cfg.bytes[PCI_STATUS] |= PCI_STATUS_INTERRUPT; return "INTx";
	case 16: s->q[0].size = 100; return "power of two";
	case 17: s->q[1].size = QMAX * 2; return "power of two";
	case 18: s->q[1].msix_vector = NQUEUES + 1; return "queue's MSI-X vector";
	case 19: s->q[1].enable = false; return "has not enabled has ring state";
	case 20: c->vq[0].s.desc += 0x1000; return "registers' layout";
	case 21: c->vq[1].s.ready = false; return "registers' layout";
	case 22: c->vq[0].s.driver = s->q[0].driver += 1; return "not aligned";
	case 23: s->q[NQUEUES].size = 4; return "past num_queues";
	case 24: c->vq[NQUEUES].s.used_idx = 1; return "past num_queues";
	case 25: c->msix.state.nvectors = NQUEUES; return "table size";
	case 26: c->msix.state.pba |= BIT(NQUEUES + 1); return "past the table";
	case 27: c->msix.state.table[0].ctrl = 2; return "reserved bits";
	}
	return NULL;
}

/* Cut, another tag, another version: refused; each check refuses, with
 * the device left as it was. */
static void test_record_refusals(void **state)
{
	struct world *w = *state, *t = twin(w);
	struct virtio_pci *c = malloc(sizeof(*c));
	u8 *rec = malloc(REC_MAX), *bad = malloc(REC_MAX);
	const char *want, *why;
	int n, m;

	busy(w);
	n = save(w, rec);
	snap_test_framing(vp_load, &t->vp, &t->vp, VP_STATE_SIZE, rec, (size_t)n);
	for (unsigned i = 0;; i++) {
		memcpy(c, &w->vp, sizeof(*c));
		want = poke(c, i);
		if (!want)
			break;
		m = virtio_pci_save(c, bad, REC_MAX);
		assert_int_equal(m, n);
		why = snap_test_refused(vp_load, &t->vp, &t->vp, VP_STATE_SIZE, bad, (size_t)m,
					-EINVAL);
		if (!strstr(why, want))
			fail_msg("poke %u: refused for \"%s\", not \"%s\"", i, why, want);
	}
	/* A net function's record into a blk function. */
	world_init(w, 1, NQUEUES);
	n = save(w, rec);
	why = snap_test_refused(vp_load, &t->vp, &t->vp, VP_STATE_SIZE, rec, (size_t)n, -EINVAL);
	assert_non_null(strstr(why, "read-only bit"));
	free(rec);
	free(bad);
	free(c);
	free(t);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, world_setup, world_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_header),
		T(test_net_identity),
		T(test_capability_chain),
		T(test_bar_sizing_and_move),
		T(test_unaligned_bar0_rounded),
		T(test_linux_init_sequence),
		T(test_feature_negotiation),
		T(test_status_rules),
		T(test_reset_clears_state),
		T(test_notify),
		T(test_notify_disabled_queue),
		T(test_used_sends_msi),
		T(test_end_to_end_request),
		T(test_msix_mask_and_pba),
		T(test_msix_table_in_bar0),
		T(test_msix_bad_vectors),
		T(test_intx_path),
		T(test_config_changed_msix),
		T(test_bus_master_gates_msi),
		T(test_fail_once),
		T(test_fail_during_setup),
		T(test_hostile_queue_layout),
		T(test_hostile_queue_size),
		T(test_hostile_queue_select),
		T(test_hostile_widths),
		T(test_device_config),
		T(test_pci_cfg_window),
		T(test_pci_cfg_window_isr_and_notify),
		T(test_init_clamps),
		T(test_record_round_trip),
		T(test_record_queue_goes_on),
		T(test_record_takes_driver_leftovers),
		T(test_record_sends_pending),
		T(test_record_drives_intx),
		T(test_record_moves_bar),
		T(test_record_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
