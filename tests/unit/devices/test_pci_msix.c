/*
 * Host tests for devices/pci_msix.c against PCI Local Bus 3.0 6.8.2 (the
 * capability, table and PBA) and 6.8.3.4 (masking), and for the message
 * format of pci_msi.h (Intel SDM Vol 3 11.11), which is what the model's
 * messages carry. A fake PCI function owns the config space and forwards
 * guest accesses the way a device model must; the MSI-X offsets and bits
 * are spelled out as the spec gives them, not taken from pci_msix.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "devices/pci_msix.h"
#include "devices/pci_msi.h"
#include "snap_test.h"

#define CAP		0x50	/* not virtio's 0x40: the offset is the function's */
#define NVEC		5
#define TABLE_BIR	2
#define TABLE_OFF	0x2000
#define PBA_BIR		4
#define PBA_OFF		0x3800

/* Message Control bits and one entry's dwords (6.8.2.3, 6.8.2.6-6.8.2.9). */
#define ENABLE		0x8000
#define FMASK		0x4000
enum { ADDR_LO = 0, ADDR_HI = 4, DATA = 8, VCTRL = 12 };

struct msg { u64 addr; u32 data; };

struct fn {
	struct pci_cfg_space cfg;
	struct pci_msix m;
	struct msg msg[64];
	unsigned nmsg;
};

static void fn_send(void *ctx, u64 addr, u32 data)
{
	struct fn *f = ctx;

	assert_true(f->nmsg < ARRAY_SIZE(f->msg));
	f->msg[f->nmsg++] = (struct msg){ addr, data };
}

static void fn_init(struct fn *f, u16 nvectors)
{
	struct pci_msix_layout l = {
		.cap = CAP, .nvectors = nvectors, .table_bir = TABLE_BIR, .table_offset = TABLE_OFF,
		.pba_bir = PBA_BIR, .pba_offset = PBA_OFF,
	};
	struct pci_msix_wiring w = { .cfg = &f->cfg, .send = fn_send, .ctx = f };

	memset(f, 0x5a, sizeof(*f));		/* init must not rely on zeroed memory */
	f->nmsg = 0;
	pci_cfg_init(&f->cfg, 0x8086, 0x1234, 0xff0000, 0);
	pci_cfg_set_wmask(&f->cfg, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	pci_msix_init(&f->m, &l, &w);
}

static int fn_setup(void **state)
{
	struct fn *f = malloc(sizeof(*f));

	fn_init(f, NVEC);
	*state = f;
	return 0;
}

static int fn_teardown(void **state)
{
	free(*state);
	return 0;
}

/* ---- the guest's side --------------------------------------------------- */

static u32 cfg_rd(struct fn *f, unsigned off, unsigned size)
{
	return (pci_cfg_read(&f->cfg, off & ~3u) >> (8 * (off & 3))) & (u32)bytes_mask(size);
}

/* A config write as the function handles it: store through the masks,
 * then let the model send what may go now. */
static void cfg_wr(struct fn *f, unsigned off, unsigned size, u32 val)
{
	unsigned shift = 8 * (off & 3);
	u32 mask = (u32)(bytes_mask(size) << shift);

	pci_cfg_write(&f->cfg, off & ~3u, (val << shift) & mask, mask);
	pci_msix_flush(&f->m);
}

static void set_ctrl(struct fn *f, u16 bits)
{
	cfg_wr(f, CAP + 2, 2, bits);
}

static void set_master(struct fn *f, bool on)
{
	cfg_wr(f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | (on ? PCI_COMMAND_MASTER : 0));
}

static u32 tbl_rd(struct fn *f, unsigned v, unsigned reg)
{
	return pci_msix_table_read(&f->m, 16 * v + reg, 4);
}

static void tbl_wr(struct fn *f, unsigned v, unsigned reg, u32 val)
{
	pci_msix_table_write(&f->m, 16 * v + reg, 4, val);
}

static u64 pba(struct fn *f)
{
	return pci_msix_pba_read(&f->m, 0, 8);
}

/* Entry v sends vector 0x30+v to APIC ID v; masked as asked. */
static void program(struct fn *f, unsigned v, bool masked)
{
	tbl_wr(f, v, ADDR_LO, 0xfee00000 | v << 12);
	tbl_wr(f, v, ADDR_HI, 0);
	tbl_wr(f, v, DATA, 0x30 + v);
	tbl_wr(f, v, VCTRL, masked);
}

/* What a driver does: program every entry, bus master on, MSI-X on. */
static void driver_on(struct fn *f, bool masked)
{
	for (unsigned v = 0; v < NVEC; v++)
		program(f, v, masked);
	set_master(f, true);
	set_ctrl(f, ENABLE);
}

/* ---- tests: configuration space ----------------------------------------- */

static void test_capability_bytes(void **state)
{
	struct fn *f = *state;

	assert_int_equal(cfg_rd(f, CAP, 1), 0x11);
	assert_int_equal(cfg_rd(f, CAP + 1, 1), 0);		/* next: the function's */
	assert_int_equal(cfg_rd(f, CAP + 2, 2), NVEC - 1);	/* N-1, off, unmasked */
	assert_int_equal(cfg_rd(f, CAP + 4, 4), TABLE_OFF | TABLE_BIR);
	assert_int_equal(cfg_rd(f, CAP + 8, 4), PBA_OFF | PBA_BIR);
	assert_int_equal(cfg_rd(f, CAP - 4, 4), 0);		/* nothing around it */
	assert_int_equal(cfg_rd(f, CAP + 12, 4), 0);
	assert_false(pci_msix_enabled(&f->m));
	assert_int_equal(pci_msix_vectors(&f->m), NVEC);
	/* Only Enable and Function Mask are writable. */
	cfg_wr(f, CAP, 4, 0xffffffff);
	cfg_wr(f, CAP + 4, 4, 0xffffffff);
	cfg_wr(f, CAP + 8, 4, 0);
	assert_int_equal(cfg_rd(f, CAP, 4), (u32)(ENABLE | FMASK | (NVEC - 1)) << 16 | 0x11);
	assert_int_equal(cfg_rd(f, CAP + 4, 4), TABLE_OFF | TABLE_BIR);
	assert_int_equal(cfg_rd(f, CAP + 8, 4), PBA_OFF | PBA_BIR);
	assert_true(pci_msix_enabled(&f->m));
	cfg_wr(f, CAP + 2, 2, 0);
	assert_int_equal(cfg_rd(f, CAP + 2, 2), NVEC - 1);
	assert_false(pci_msix_enabled(&f->m));
}

static void test_capability_layout_limits(void **state)
{
	struct fn *f = *state;
	struct pci_msix_layout l = {
		.cap = CAP, .nvectors = 0, .table_bir = 9, .table_offset = 0x1007,
		.pba_bir = 1, .pba_offset = 0x800,
	};
	struct pci_msix_wiring w = { .cfg = &f->cfg, .send = fn_send, .ctx = f };

	/* Table size 1 at least; the offsets' low bits never reach the BIR. */
	pci_msix_init(&f->m, &l, &w);
	assert_int_equal(cfg_rd(f, CAP + 2, 2), 0);
	assert_int_equal(cfg_rd(f, CAP + 4, 4), 0x1000 | 1);
	assert_int_equal(cfg_rd(f, CAP + 8, 4), 0x800 | 1);
	assert_int_equal(pci_msix_vectors(&f->m), 1);
	/* And at most the model's 64, all of them in the table. */
	l.nvectors = 2048;
	pci_msix_init(&f->m, &l, &w);
	assert_int_equal(cfg_rd(f, CAP + 2, 2), 63);
	assert_int_equal(tbl_rd(f, 63, VCTRL), 1);
	assert_int_equal(tbl_rd(f, 64, VCTRL), 0);
}

/* ---- tests: table and PBA ------------------------------------------------ */

static void test_table_after_reset(void **state)
{
	struct fn *f = *state;

	for (unsigned v = 0; v < NVEC; v++) {
		assert_int_equal(tbl_rd(f, v, ADDR_LO), 0);
		assert_int_equal(tbl_rd(f, v, ADDR_HI), 0);
		assert_int_equal(tbl_rd(f, v, DATA), 0);
		assert_int_equal(tbl_rd(f, v, VCTRL), 1);	/* masked (6.8.2.9) */
	}
	assert_int_equal(pba(f), 0);
}

static void test_table_fields(void **state)
{
	struct fn *f = *state;

	tbl_wr(f, 1, ADDR_LO, 0xfee0300f);
	tbl_wr(f, 1, ADDR_HI, 0x12345678);
	tbl_wr(f, 1, DATA, 0xffffffff);
	tbl_wr(f, 1, VCTRL, 0xfffffffe);
	/* Address bits 1:0 and vector control bits 31:1 are read-only 0. */
	assert_int_equal(tbl_rd(f, 1, ADDR_LO), 0xfee0300c);
	assert_int_equal(tbl_rd(f, 1, ADDR_HI), 0x12345678);
	assert_int_equal(tbl_rd(f, 1, DATA), 0xffffffff);
	assert_int_equal(tbl_rd(f, 1, VCTRL), 0);
	tbl_wr(f, 1, VCTRL, 0xffffffff);
	assert_int_equal(tbl_rd(f, 1, VCTRL), 1);
	/* The neighbours are untouched. */
	assert_int_equal(tbl_rd(f, 0, DATA), 0);
	assert_int_equal(tbl_rd(f, 2, ADDR_LO), 0);
	assert_int_equal(tbl_rd(f, 0, VCTRL), 1);
	assert_int_equal(tbl_rd(f, 2, VCTRL), 1);
}

static void test_table_access_sizes(void **state)
{
	struct fn *f = *state;
	struct pci_msix *m = &f->m;

	/* Aligned qwords are two dwords, low first, at +0 and at +8. */
	pci_msix_table_write(m, 16 + ADDR_LO, 8, 0x00000001fee05004ull);
	pci_msix_table_write(m, 16 + DATA, 8, 0x0000000000000055ull);
	assert_int_equal(tbl_rd(f, 1, ADDR_LO), 0xfee05004);
	assert_int_equal(tbl_rd(f, 1, ADDR_HI), 1);
	assert_int_equal(tbl_rd(f, 1, DATA), 0x55);
	assert_int_equal(tbl_rd(f, 1, VCTRL), 0);
	assert_int_equal(pci_msix_table_read(m, 16 + ADDR_LO, 8), 0x00000001fee05004ull);
	assert_int_equal(pci_msix_table_read(m, 16 + DATA, 8), 0x55);
	/* Bytes, words, misaligned dwords and qwords, odd sizes: nothing (6.8.2). */
	static const struct { unsigned off, size; } bad[] = {
		{ DATA, 1 }, { DATA + 1, 1 }, { DATA, 2 }, { DATA + 2, 2 }, { DATA + 2, 4 },
		{ ADDR_HI, 8 }, { VCTRL, 8 }, { DATA, 3 }, { DATA, 0 }, { DATA, 16 },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		pci_msix_table_write(m, 16 + bad[i].off, bad[i].size, 0x9999999999999999ull);
		assert_int_equal(pci_msix_table_read(m, 16 + bad[i].off, bad[i].size), 0);
	}
	assert_int_equal(pci_msix_table_read(m, 16 + ADDR_LO, 8), 0x00000001fee05004ull);
	assert_int_equal(pci_msix_table_read(m, 16 + DATA, 8), 0x55);
}

static void test_table_out_of_range(void **state)
{
	struct fn *f = *state;
	struct pci_msix *m = &f->m;
	static const u64 past[] = {
		16 * NVEC, 16 * NVEC + 8, 16 * 64, 0xff0, 0x7ffffff8, 0xfffffffffffffff8ull,
	};
	struct pci_msix_state before;

	memcpy(&before, &m->state, sizeof(before));

	for (unsigned i = 0; i < ARRAY_SIZE(past); i++) {
		pci_msix_table_write(m, past[i], 8, 0);
		pci_msix_table_write(m, past[i], 4, 0);
		assert_int_equal(pci_msix_table_read(m, past[i], 8), 0);
		assert_int_equal(pci_msix_table_read(m, past[i], 4), 0);
	}
	assert_memory_equal(&m->state, &before, sizeof(before));
	assert_int_equal(tbl_rd(f, NVEC - 1, VCTRL), 1);	/* the last one is there */
}

static void test_pba_access(void **state)
{
	struct fn *f = *state;
	struct pci_msix *m = &f->m;

	driver_on(f, true);
	pci_msix_notify(m, 0);
	pci_msix_notify(m, 4);
	assert_int_equal(pci_msix_pba_read(m, 0, 8), BIT(0) | BIT(4));
	assert_int_equal(pci_msix_pba_read(m, 0, 4), BIT(0) | BIT(4));
	assert_int_equal(pci_msix_pba_read(m, 4, 4), 0);
	/* Only aligned dwords and qwords, and only the one qword. */
	assert_int_equal(pci_msix_pba_read(m, 0, 1), 0);
	assert_int_equal(pci_msix_pba_read(m, 0, 2), 0);
	assert_int_equal(pci_msix_pba_read(m, 2, 4), 0);
	assert_int_equal(pci_msix_pba_read(m, 4, 8), 0);
	assert_int_equal(pci_msix_pba_read(m, 8, 8), 0);
	assert_int_equal(pci_msix_pba_read(m, 8, 4), 0);
	assert_int_equal(pci_msix_pba_read(m, 0xfffffffffffffff8ull, 8), 0);
	/* With 64 vectors the high dword holds vectors 32-63. */
	fn_init(f, 64);
	program(f, 40, true);
	set_master(f, true);
	set_ctrl(f, ENABLE);
	pci_msix_notify(&f->m, 40);
	assert_int_equal(pci_msix_pba_read(&f->m, 4, 4), BIT(8));
	assert_int_equal(pci_msix_pba_read(&f->m, 0, 8), BIT(40));
}

/* ---- tests: sending, masking, pending ------------------------------------ */

static void test_notify_sends(void **state)
{
	struct fn *f = *state;

	driver_on(f, false);
	pci_msix_notify(&f->m, 3);
	assert_int_equal(f->nmsg, 1);
	assert_int_equal(f->msg[0].addr, 0xfee03000ull);
	assert_int_equal(f->msg[0].data, 0x33);
	/* Address high and low as written: the model does not interpret them. */
	tbl_wr(f, 2, ADDR_HI, 0xabcd);
	tbl_wr(f, 2, ADDR_LO, 0x1000);
	tbl_wr(f, 2, DATA, 0xdeadbeef);
	pci_msix_notify(&f->m, 2);
	pci_msix_notify(&f->m, 2);			/* unmasked: one message each */
	assert_int_equal(f->nmsg, 3);
	assert_int_equal(f->msg[1].addr, 0xabcd00001000ull);
	assert_int_equal(f->msg[1].data, 0xdeadbeef);
	assert_int_equal(f->msg[2].data, 0xdeadbeef);
	assert_int_equal(pba(f), 0);
}

static void test_mask_pends_unmask_sends(void **state)
{
	struct fn *f = *state;

	driver_on(f, false);
	tbl_wr(f, 1, VCTRL, 1);
	pci_msix_notify(&f->m, 1);
	pci_msix_notify(&f->m, 1);			/* one pending bit, not a count */
	assert_int_equal(f->nmsg, 0);
	assert_int_equal(pba(f), BIT(1));
	/* Retargeted while masked: the message goes where the entry says now. */
	tbl_wr(f, 1, DATA, 0x77);
	tbl_wr(f, 1, VCTRL, 1);				/* still masked: nothing */
	assert_int_equal(f->nmsg, 0);
	tbl_wr(f, 1, VCTRL, 0);
	assert_int_equal(f->nmsg, 1);
	assert_int_equal(f->msg[0].addr, 0xfee01000ull);
	assert_int_equal(f->msg[0].data, 0x77);
	assert_int_equal(pba(f), 0);
	/* Unmasking again with nothing pending sends nothing. */
	tbl_wr(f, 1, VCTRL, 0);
	assert_int_equal(f->nmsg, 1);
	/* A qword write of data and control unmasks with the new data. */
	tbl_wr(f, 4, VCTRL, 1);
	pci_msix_notify(&f->m, 4);
	pci_msix_table_write(&f->m, 16 * 4 + DATA, 8, 0x99);
	assert_int_equal(f->nmsg, 2);
	assert_int_equal(f->msg[1].data, 0x99);
}

static void test_function_mask(void **state)
{
	struct fn *f = *state;

	driver_on(f, false);
	tbl_wr(f, 3, VCTRL, 1);
	set_ctrl(f, ENABLE | FMASK);
	for (unsigned v = 0; v < NVEC; v++)
		pci_msix_notify(&f->m, v);
	assert_int_equal(f->nmsg, 0);
	assert_int_equal(pba(f), 0x1f);
	/* The function mask leaves the vectors' own bits alone (6.8.2.3)... */
	assert_int_equal(tbl_rd(f, 0, VCTRL), 0);
	assert_int_equal(tbl_rd(f, 3, VCTRL), 1);
	/* ...and holds a vector its own bit releases. */
	tbl_wr(f, 3, VCTRL, 0);
	tbl_wr(f, 3, VCTRL, 1);
	assert_int_equal(f->nmsg, 0);
	/* Clearing it sends the pending unmasked vectors, lowest first. */
	set_ctrl(f, ENABLE);
	assert_int_equal(f->nmsg, 4);
	assert_int_equal(f->msg[0].data, 0x30);
	assert_int_equal(f->msg[1].data, 0x31);
	assert_int_equal(f->msg[2].data, 0x32);
	assert_int_equal(f->msg[3].data, 0x34);
	assert_int_equal(pba(f), BIT(3));
	tbl_wr(f, 3, VCTRL, 0);
	assert_int_equal(f->nmsg, 5);
	assert_int_equal(f->msg[4].data, 0x33);
	assert_int_equal(pba(f), 0);
}

static void test_disabled_sends_nothing(void **state)
{
	struct fn *f = *state;

	for (unsigned v = 0; v < NVEC; v++)
		program(f, v, false);
	set_master(f, true);
	/* MSI-X off: no message and nothing pending, masked or not. */
	pci_msix_notify(&f->m, 0);
	tbl_wr(f, 1, VCTRL, 1);
	pci_msix_notify(&f->m, 1);
	set_ctrl(f, FMASK);
	pci_msix_notify(&f->m, 2);
	assert_int_equal(f->nmsg, 0);
	assert_int_equal(pba(f), 0);
	set_ctrl(f, ENABLE);
	tbl_wr(f, 1, VCTRL, 0);
	assert_int_equal(f->nmsg, 0);
	/* A bit that was pending when MSI-X went off waits for it to come back. */
	tbl_wr(f, 1, VCTRL, 1);
	pci_msix_notify(&f->m, 1);
	set_ctrl(f, 0);
	tbl_wr(f, 1, VCTRL, 0);
	assert_int_equal(f->nmsg, 0);
	assert_int_equal(pba(f), BIT(1));
	set_ctrl(f, ENABLE);
	assert_int_equal(f->nmsg, 1);
	assert_int_equal(f->msg[0].data, 0x31);
}

static void test_bus_master_off(void **state)
{
	struct fn *f = *state;

	driver_on(f, false);
	set_master(f, false);
	/* No memory writes without bus mastering: dropped, not pending. */
	pci_msix_notify(&f->m, 0);
	tbl_wr(f, 1, VCTRL, 1);
	pci_msix_notify(&f->m, 1);
	assert_int_equal(pba(f), 0);
	set_master(f, true);
	assert_int_equal(f->nmsg, 0);
	/* What was pending before stays pending until mastering is back. */
	pci_msix_notify(&f->m, 1);
	set_master(f, false);
	tbl_wr(f, 1, VCTRL, 0);
	assert_int_equal(f->nmsg, 0);
	assert_int_equal(pba(f), BIT(1));
	set_master(f, true);
	assert_int_equal(f->nmsg, 1);
	assert_int_equal(f->msg[0].data, 0x31);
}

static void test_bad_vectors(void **state)
{
	struct fn *f = *state;
	static const unsigned bad[] = { NVEC, 63, 64, 1000, 0xffff, ~0u };

	driver_on(f, true);
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++)
		pci_msix_notify(&f->m, bad[i]);
	assert_int_equal(pba(f), 0);
	set_ctrl(f, ENABLE | FMASK);
	for (unsigned v = 0; v < NVEC; v++)
		tbl_wr(f, v, VCTRL, 0);
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++)
		pci_msix_notify(&f->m, bad[i]);
	set_ctrl(f, ENABLE);
	assert_int_equal(f->nmsg, 0);
	assert_int_equal(pba(f), 0);
}

static void test_clear_pending(void **state)
{
	struct fn *f = *state;

	driver_on(f, true);
	pci_msix_notify(&f->m, 0);
	pci_msix_notify(&f->m, 2);
	assert_int_equal(pba(f), BIT(0) | BIT(2));
	pci_msix_clear_pending(&f->m);
	assert_int_equal(pba(f), 0);
	tbl_wr(f, 0, VCTRL, 0);
	tbl_wr(f, 2, VCTRL, 0);
	assert_int_equal(f->nmsg, 0);
	assert_int_equal(tbl_rd(f, 2, DATA), 0x32);	/* the table stays */
}

static void test_no_send_callback(void **state)
{
	struct fn *f = *state;
	struct pci_msix_layout l = { .cap = CAP, .nvectors = 2 };
	struct pci_msix_wiring w = { .cfg = &f->cfg };

	pci_msix_init(&f->m, &l, &w);
	program(f, 0, false);
	set_master(f, true);
	set_ctrl(f, ENABLE);
	pci_msix_notify(&f->m, 0);			/* goes nowhere, quietly */
	assert_int_equal(pba(f), 0);
	assert_int_equal(f->nmsg, 0);
}

/* The state and the config space, copied by value, are the whole device. */
static void test_snapshot(void **state)
{
	struct fn *f = *state, *g = malloc(sizeof(*g));

	driver_on(f, false);
	tbl_wr(f, 2, VCTRL, 1);
	pci_msix_notify(&f->m, 2);
	fn_init(g, NVEC);
	g->cfg = f->cfg;
	g->m.state = f->m.state;
	assert_int_equal(pba(g), BIT(2));
	assert_true(pci_msix_enabled(&g->m));
	tbl_wr(g, 2, VCTRL, 0);
	assert_int_equal(g->nmsg, 1);
	assert_int_equal(g->msg[0].data, 0x32);
	assert_int_equal(f->nmsg, 0);
	free(g);
}

/* ---- tests: the state in a record --------------------------------------- */

/*
 * MSI-X has no record of its own: a function's record holds its fields.
 * This one holds nothing else, as a function would call pci_msix_fields()
 * among its own fields, and applies with pci_msix_restore().
 */
#define REC_TAG		SNAP_TAG('M', 'S', 'X', 'T')
#define REC_ENTRY(v)	(SNAP_HDR_LEN + 3 + 16 * (v))	/* entry v's first byte */
#define REC_PBA		REC_ENTRY(PCI_MSIX_MAX_VECTORS)

struct rec {
	struct pci_msix_state st;
	const struct pci_msix *m;
};

static void rec_fields(struct snap *s, void *p)
{
	struct rec *r = p;

	pci_msix_fields(s, &r->st, r->m);
}

static int rec_save(const struct fn *f, u8 *buf, size_t len)
{
	struct rec r = { .st = f->m.state, .m = &f->m };

	return snap_save(buf, len, REC_TAG, 1, rec_fields, &r, NULL);
}

static int rec_load(void *dev, const void *buf, size_t len, bool apply, const char **why)
{
	struct fn *f = dev;
	struct rec r = { .m = &f->m };
	int err = snap_load(buf, len, REC_TAG, 1, rec_fields, &r, why);

	if (!err && apply)
		pci_msix_restore(&f->m, &r.st);
	return err;
}

/* Vectors programmed, MSI-X on, vector 2 masked with its message pending. */
static int busy_record(struct fn *f, u8 *buf, size_t len)
{
	driver_on(f, false);
	tbl_wr(f, 2, VCTRL, 1);
	pci_msix_notify(&f->m, 2);
	assert_int_equal(pba(f), BIT(2));
	return rec_save(f, buf, len);
}

/* Saved, loaded into another function with the same config space, saved
 * again: the same bytes; the pending message waits for the unmask there. */
static void test_record_round_trip(void **state)
{
	struct fn *f = *state, *g = malloc(sizeof(*g));
	u8 a[2048], b[2048];
	const char *why = "unset";
	int n = busy_record(f, a, sizeof(a));

	assert_true(n > 0);
	fn_init(g, NVEC);
	g->cfg = f->cfg;
	assert_int_equal(rec_load(g, a, (size_t)n, true, &why), 0);
	assert_null(why);
	assert_int_equal(rec_save(g, b, sizeof(b)), n);
	assert_memory_equal(a, b, (size_t)n);
	assert_int_equal(g->nmsg, 0);
	assert_int_equal(pba(g), BIT(2));
	assert_int_equal(tbl_rd(g, 3, DATA), 0x33);
	tbl_wr(g, 2, VCTRL, 0);
	assert_int_equal(g->nmsg, 1);
	assert_int_equal(g->msg[0].addr, 0xfee02000ull);
	assert_int_equal(g->msg[0].data, 0x32);
	free(g);
}

/*
 * A message pending on an unmasked vector: left so when bus mastering was
 * off at the unmask. Restored where it may go, it goes at once, and only
 * once; restored where it may not, it waits.
 */
static void test_record_sends_unmasked_pending(void **state)
{
	struct fn *f = *state, *g = malloc(sizeof(*g));
	u8 rec[2048];
	int n;

	n = busy_record(f, rec, sizeof(rec));
	set_master(f, false);
	tbl_wr(f, 2, VCTRL, 0);
	assert_int_equal(pba(f), BIT(2));
	n = rec_save(f, rec, sizeof(rec));
	assert_int_equal(f->nmsg, 0);

	fn_init(g, NVEC);
	g->cfg = f->cfg;				/* master off */
	assert_int_equal(rec_load(g, rec, (size_t)n, true, &(const char *){ NULL }), 0);
	assert_int_equal(g->nmsg, 0);
	assert_int_equal(pba(g), BIT(2));
	fn_init(g, NVEC);
	g->cfg = f->cfg;
	pci_cfg_set(&g->cfg, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(rec_load(g, rec, (size_t)n, true, &(const char *){ NULL }), 0);
	assert_int_equal(g->nmsg, 1);
	assert_int_equal(g->msg[0].data, 0x32);
	assert_int_equal(pba(g), 0);
	free(g);
}

/* Each check refuses, with the state left as it was. */
static void test_record_refusals(void **state)
{
	struct fn *f = *state, *g = malloc(sizeof(*g));
	u8 rec[2048], bad[2048];
	struct pci_msix_layout other_cap = {
		.cap = CAP + 4, .nvectors = NVEC, .table_bir = TABLE_BIR, .table_offset = TABLE_OFF,
		.pba_bir = PBA_BIR, .pba_offset = PBA_OFF,
	};
	struct pci_msix_wiring w;
	static const struct { unsigned at; u8 val; const char *why; } pokes[] = {
		{ REC_ENTRY(1), 0x01, "bits 1:0" },
		{ REC_ENTRY(0) + 12, 0x03, "reserved bits" },
		{ REC_ENTRY(0) + 13, 0x01, "reserved bits" },
		{ REC_ENTRY(NVEC) + 8, 0x40, "past the table is not as at reset" },
		{ REC_ENTRY(PCI_MSIX_MAX_VECTORS - 1) + 12, 0x00, "past the table is not as at reset" },
		{ REC_PBA, 1u << NVEC, "pending bit is set for a vector past the table" },
		{ REC_PBA + 7, 0x80, "pending bit is set for a vector past the table" },
	};
	int n = busy_record(f, rec, sizeof(rec));

	fn_init(g, NVEC);
	snap_test_framing(rec_load, g, &g->m.state, sizeof(g->m.state), rec, (size_t)n);
	for (unsigned i = 0; i < ARRAY_SIZE(pokes); i++) {
		memcpy(bad, rec, (size_t)n);
		bad[pokes[i].at] = pokes[i].val;
		assert_non_null(strstr(snap_test_refused(rec_load, g, &g->m.state, sizeof(g->m.state),
							 bad, (size_t)n, -EINVAL), pokes[i].why));
	}
	/* A function built with another table size, or the capability elsewhere. */
	fn_init(g, NVEC + 1);
	assert_non_null(strstr(snap_test_refused(rec_load, g, &g->m.state, sizeof(g->m.state), rec,
						 (size_t)n, -EINVAL), "table size"));
	fn_init(g, NVEC);
	w = g->m.wiring;
	pci_msix_init(&g->m, &other_cap, &w);
	assert_non_null(strstr(snap_test_refused(rec_load, g, &g->m.state, sizeof(g->m.state), rec,
						 (size_t)n, -EINVAL), "capability"));
	free(g);
}

/* ---- tests: the message format (pci_msi.h) -------------------------------- */

static void test_msi_decode(void **state)
{
	u32 dest;
	u8 mode, vector;
	bool logical, level;

	(void)state;
	msi_decode(0xfeeff00cull, 0xc531, &dest, &logical, &mode, &vector, &level);
	assert_int_equal(dest, 0xff);
	assert_true(logical);
	assert_int_equal(mode, 5);		/* INIT */
	assert_int_equal(vector, 0x31);
	assert_true(level);
	msi_decode(0xfee01000ull, 0x0420, &dest, &logical, &mode, &vector, &level);
	assert_int_equal(dest, 1);
	assert_false(logical);
	assert_int_equal(mode, 4);		/* NMI */
	assert_int_equal(vector, 0x20);
	assert_false(level);
}

/* Each field from its own bits only: the neighbours all ones, the field 0. */
static void test_msi_decode_fields(void **state)
{
	u32 dest;
	u8 mode, vector;
	bool logical, level;

	(void)state;
	/* Address: bits 11:4 and RH (3) and 1:0 are not the destination. */
	msi_decode(0xfee00ffbull, 0, &dest, &logical, &mode, &vector, &level);
	assert_int_equal(dest, 0);
	assert_false(logical);
	msi_decode(0xfee00004ull, 0, &dest, &logical, &mode, &vector, &level);
	assert_int_equal(dest, 0);
	assert_true(logical);
	msi_decode(0xfee5a000ull, 0, &dest, &logical, &mode, &vector, &level);
	assert_int_equal(dest, 0x5a);
	/* Data: vector 7:0, mode 10:8 (bit 11 is reserved), trigger 15. */
	msi_decode(MSI_ADDR_BASE, 0xffffffff & ~0x8700u, &dest, &logical, &mode, &vector, &level);
	assert_int_equal(vector, 0xff);
	assert_int_equal(mode, 0);
	assert_false(level);				/* Level (14) is not trigger mode */
	msi_decode(MSI_ADDR_BASE, 0x0700, &dest, &logical, &mode, &vector, &level);
	assert_int_equal(vector, 0);
	assert_int_equal(mode, 7);			/* ExtINT */
	msi_decode(MSI_ADDR_BASE, 0x8100, &dest, &logical, &mode, &vector, &level);
	assert_int_equal(mode, 1);			/* lowest priority */
	assert_true(level);
}

static void test_msi_addr_valid(void **state)
{
	(void)state;
	assert_true(msi_addr_valid(0xfee00000ull));
	assert_true(msi_addr_valid(0xfeefffffull));
	assert_false(msi_addr_valid(0xfedfffffull));
	assert_false(msi_addr_valid(0xfef00000ull));
	assert_false(msi_addr_valid(0x1fee00000ull));
	assert_false(msi_addr_valid(0xfee0000000000000ull));
	assert_false(msi_addr_valid(0));
}

/* What the model sends is what the VM decodes: entry fields end to end. */
static void test_message_end_to_end(void **state)
{
	struct fn *f = *state;
	u32 dest;
	u8 mode, vector;
	bool logical, level;

	driver_on(f, false);
	tbl_wr(f, 4, ADDR_LO, 0xfee07004);		/* APIC 7, logical */
	tbl_wr(f, 4, DATA, 0x0141);			/* lowest priority, vector 0x41, edge */
	pci_msix_notify(&f->m, 4);
	assert_int_equal(f->nmsg, 1);
	assert_true(msi_addr_valid(f->msg[0].addr));
	msi_decode(f->msg[0].addr, f->msg[0].data, &dest, &logical, &mode, &vector, &level);
	assert_int_equal(dest, 7);
	assert_true(logical);
	assert_int_equal(mode, 1);
	assert_int_equal(vector, 0x41);
	assert_false(level);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fn_setup, fn_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_capability_bytes),
		T(test_capability_layout_limits),
		T(test_table_after_reset),
		T(test_table_fields),
		T(test_table_access_sizes),
		T(test_table_out_of_range),
		T(test_pba_access),
		T(test_notify_sends),
		T(test_mask_pends_unmask_sends),
		T(test_function_mask),
		T(test_disabled_sends_nothing),
		T(test_bus_master_off),
		T(test_bad_vectors),
		T(test_clear_pending),
		T(test_no_send_callback),
		T(test_snapshot),
		T(test_record_round_trip),
		T(test_record_sends_unmasked_pending),
		T(test_record_refusals),
		cmocka_unit_test(test_msi_decode),
		cmocka_unit_test(test_msi_decode_fields),
		cmocka_unit_test(test_msi_addr_valid),
		T(test_message_end_to_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
