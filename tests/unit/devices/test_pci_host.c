/* Host tests for devices/pci_host.c: configuration mechanism #1 (PCI 3.0
 * 3.2.2.3.2), the host bridge's header (chapter 6) and the config space helper. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "devices/pci_host.h"
#include "snap_test.h"

/* Port offsets in the 0xcf8 range. */
enum { ADDR = 0, DATA = 4 };

/* CONFIG_ADDRESS as the spec lays it out (Figure 3-1), enable bit set. */
static u32 cfg_addr(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
	return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | reg;
}

/* A function that records what reaches it and reads back a fixed dword. */
struct probe {
	u32 value;
	unsigned reads, writes;
	unsigned reg;
	u32 val, mask;
};

static u32 probe_read(void *dev, unsigned reg)
{
	struct probe *p = dev;

	p->reads++;
	p->reg = reg;
	return p->value;
}

static void probe_write(void *dev, unsigned reg, u32 val, u32 mask)
{
	struct probe *p = dev;

	p->writes++;
	p->reg = reg;
	p->val = val;
	p->mask = mask;
}

static const struct pci_fn_ops probe_ops = { probe_read, probe_write };

static int host_setup(void **state)
{
	struct pci_host *host = malloc(sizeof(*host));

	memset(host, 0xa5, sizeof(*host));	/* init must not rely on zeroed memory */
	pci_host_init(host);
	*state = host;
	return 0;
}

static int host_teardown(void **state)
{
	free(*state);
	return 0;
}

static u64 in(struct pci_host *h, unsigned off, unsigned size)
{
	return pci_host_io_ops.read(h, off, size);
}

static void out(struct pci_host *h, unsigned off, unsigned size, u64 val)
{
	pci_host_io_ops.write(h, off, size, val);
}

/* One dword of bus 0 config space through the ports, as Linux's
 * pci_conf1_read does it. */
static u32 cfg_read32(struct pci_host *h, unsigned dev, unsigned fn, unsigned reg)
{
	out(h, ADDR, 4, cfg_addr(0, dev, fn, reg));
	return (u32)in(h, DATA, 4);
}

static void test_config_address_latch(void **state)
{
	struct pci_host *h = *state;

	assert_int_equal(in(h, ADDR, 4), 0);
	out(h, ADDR, 4, 0xffffffff);
	assert_int_equal(in(h, ADDR, 4), 0x80fffffc);	/* 30:24 and 1:0 read 0 */
	out(h, ADDR, 4, 0x12345678);
	assert_int_equal(in(h, ADDR, 4), 0x00345678);
	/* Byte and word accesses to 0xcf8-0xcfb are not CONFIG_ADDRESS. */
	out(h, ADDR, 1, 0xff);
	out(h, ADDR + 1, 1, 0xff);
	out(h, ADDR, 2, 0xffff);
	out(h, ADDR + 2, 2, 0xffff);
	out(h, ADDR + 1, 4, 0xffffffff);
	assert_int_equal(in(h, ADDR, 4), 0x00345678);
	assert_int_equal(in(h, ADDR, 1), 0xff);
	assert_int_equal(in(h, ADDR + 3, 1), 0xff);
	assert_int_equal(in(h, ADDR, 2), 0xffff);
	assert_int_equal(in(h, ADDR + 2, 2), 0xffff);
	assert_int_equal(in(h, ADDR + 1, 4), 0xffffffff);
	assert_int_equal(in(h, ADDR + 3, 2), 0xffff);	/* straddles into CONFIG_DATA */
}

static void test_host_bridge_ids(void **state)
{
	struct pci_host *h = *state;

	assert_int_equal(cfg_read32(h, 0, 0, 0x00), 0x12378086);
	assert_int_equal(cfg_read32(h, 0, 0, 0x04), 0x02800006);	/* status, command */
	assert_int_equal(cfg_read32(h, 0, 0, 0x08), 0x06000002);	/* class 060000, rev 2 */
	assert_int_equal(cfg_read32(h, 0, 0, 0x0c), 0x00000000);	/* header type 0 */
	for (unsigned reg = 0x10; reg < 0x100; reg += 4)
		assert_int_equal(cfg_read32(h, 0, 0, reg), 0);	/* no BARs, no caps */
}

static void test_data_byte_lanes_read(void **state)
{
	struct pci_host *h = *state;

	out(h, ADDR, 4, cfg_addr(0, 0, 0, 0));
	assert_int_equal(in(h, DATA, 1), 0x86);
	assert_int_equal(in(h, DATA + 1, 1), 0x80);
	assert_int_equal(in(h, DATA + 2, 1), 0x37);
	assert_int_equal(in(h, DATA + 3, 1), 0x12);
	assert_int_equal(in(h, DATA, 2), 0x8086);
	assert_int_equal(in(h, DATA + 1, 2), 0x3780);
	assert_int_equal(in(h, DATA + 2, 2), 0x1237);
	/* Linux reads the header type as a byte at reg 0x0e: lane 2 of dword 0x0c. */
	out(h, ADDR, 4, cfg_addr(0, 0, 0, 0x0c));
	assert_int_equal(in(h, DATA + 2, 1), 0x00);
	/* Accesses past the data dword read all ones. */
	assert_int_equal(in(h, DATA + 2, 4), 0xffffffff);
	assert_int_equal(in(h, DATA + 3, 2), 0xffff);
}

static void test_data_byte_lanes_write(void **state)
{
	struct pci_host *h = *state;
	struct probe p = { .value = 0xddccbbaa };

	assert_int_equal(pci_host_add(h, PCI_DEVFN(3, 0), &probe_ops, &p), 0);
	out(h, ADDR, 4, cfg_addr(0, 3, 0, 0x3c));
	out(h, DATA + 2, 1, 0x1ff);		/* only the low byte of val counts */
	assert_int_equal(p.reg, 0x3c);
	assert_int_equal(p.val, 0x00ff0000);
	assert_int_equal(p.mask, 0x00ff0000);
	out(h, DATA + 1, 2, 0xbeef);
	assert_int_equal(p.val, 0x00beef00);
	assert_int_equal(p.mask, 0x00ffff00);
	out(h, DATA, 4, 0x12345678);
	assert_int_equal(p.val, 0x12345678);
	assert_int_equal(p.mask, 0xffffffff);
	out(h, DATA + 3, 1, 0x9a);
	assert_int_equal(p.val, 0x9a000000);
	assert_int_equal(p.mask, 0xff000000);
	assert_int_equal(p.writes, 4);
	assert_int_equal(in(h, DATA + 3, 1), 0xdd);
	assert_int_equal(in(h, DATA + 1, 2), 0xccbb);
	/* Register bits 1:0 are not part of the address. */
	out(h, ADDR, 4, cfg_addr(0, 3, 0, 0x3f));
	in(h, DATA, 4);
	assert_int_equal(p.reg, 0x3c);
}

static void test_enable_bit(void **state)
{
	struct pci_host *h = *state;
	struct probe p = { .value = 0x11111111 };

	assert_int_equal(pci_host_add(h, PCI_DEVFN(1, 0), &probe_ops, &p), 0);
	out(h, ADDR, 4, cfg_addr(0, 1, 0, 0) & ~0x80000000u);
	assert_int_equal(in(h, DATA, 4), 0xffffffff);
	assert_int_equal(in(h, DATA, 1), 0xff);
	out(h, DATA, 4, 0);
	assert_int_equal(p.reads + p.writes, 0);
	out(h, ADDR, 4, cfg_addr(0, 0, 0, 4) & ~0x80000000u);
	out(h, DATA, 2, 0);			/* would clear the bridge's command */
	assert_int_equal(cfg_read32(h, 0, 0, 4) & 0xffff, 0x0006);
}

static void test_absent_functions(void **state)
{
	struct pci_host *h = *state;
	struct probe p = { .value = 0 };

	assert_int_equal(cfg_read32(h, 1, 0, 0), 0xffffffff);
	assert_int_equal(cfg_read32(h, 0, 1, 0), 0xffffffff);
	assert_int_equal(cfg_read32(h, 31, 7, 0xfc), 0xffffffff);
	assert_int_equal(pci_host_add(h, PCI_DEVFN(31, 7), &probe_ops, &p), 0);
	assert_int_equal(cfg_read32(h, 31, 7, 0xfc), 0);
	assert_int_equal(p.reg, 0xfc);
	/* Bus 1 does not exist, even at a devfn that does on bus 0. */
	out(h, ADDR, 4, cfg_addr(1, 0, 0, 0));
	assert_int_equal(in(h, DATA, 4), 0xffffffff);
	out(h, ADDR, 4, cfg_addr(255, 31, 7, 0));
	assert_int_equal(in(h, DATA, 2), 0xffff);
	out(h, DATA, 4, 0);
	assert_int_equal(p.writes, 0);
}

static void test_register_rules(void **state)
{
	struct pci_host *h = *state;
	struct probe p = { 0 };
	const struct pci_fn_ops no_write = { probe_read, NULL }, no_read = { NULL, probe_write };

	assert_int_equal(pci_host_add(h, PCI_DEVFN(0, 0), &probe_ops, &p), -EEXIST);
	assert_int_equal(pci_host_add(h, PCI_DEVFN(2, 0), NULL, &p), -EINVAL);
	assert_int_equal(pci_host_add(h, PCI_DEVFN(2, 0), &no_write, &p), -EINVAL);
	assert_int_equal(pci_host_add(h, PCI_DEVFN(2, 0), &no_read, &p), -EINVAL);
	assert_int_equal(pci_host_add(h, PCI_DEVFN(2, 0), &probe_ops, &p), 0);
	assert_int_equal(pci_host_add(h, PCI_DEVFN(2, 0), &probe_ops, &p), -EEXIST);
	assert_int_equal(pci_host_add(h, PCI_DEVFN(2, 1), &probe_ops, &p), 0);
	assert_int_equal(cfg_read32(h, 0, 0, 0), 0x12378086);	/* bridge untouched */
}

static void test_bridge_write_masks(void **state)
{
	struct pci_host *h = *state;

	out(h, ADDR, 4, cfg_addr(0, 0, 0, 0x04));
	out(h, DATA, 2, 0xffff);
	/* IO, MEMORY, MASTER, PARITY, SERR; status unchanged (no error bits set). */
	assert_int_equal(in(h, DATA, 4), 0x02800147);
	out(h, DATA, 4, 0xffff0000);
	assert_int_equal(in(h, DATA, 4), 0x02800000);
	/* An error the bridge latched clears by writing 1, not 0. */
	pci_cfg_set(&h->state.bridge, PCI_STATUS, 2, 0x0280 | 0x2000);	/* master abort */
	out(h, DATA + 2, 2, 0x0000);
	assert_int_equal(in(h, DATA + 2, 2), 0x2280);
	out(h, DATA + 2, 2, 0x2000);
	assert_int_equal(in(h, DATA + 2, 2), 0x0280);
	/* Read-only: IDs, class, header type, BARs, interrupt line. */
	for (unsigned reg = 0; reg < 0x100; reg += 4) {
		if (reg == 0x04)
			continue;
		u32 before = cfg_read32(h, 0, 0, reg);

		out(h, DATA, 4, ~before);
		assert_int_equal(cfg_read32(h, 0, 0, reg), before);
	}
}

static void test_cfg_space_masks(void **state)
{
	struct pci_cfg_space cs;

	pci_cfg_init(&cs, 0x1af4, 0x1042, 0x010000, 1);
	assert_int_equal(pci_cfg_read(&cs, 0x00), 0x10421af4);
	assert_int_equal(pci_cfg_read(&cs, 0x08), 0x01000001);
	pci_cfg_set_wmask(&cs, PCI_INTERRUPT_LINE, 1, 0xff);
	pci_cfg_set(&cs, PCI_INTERRUPT_PIN, 1, 1);
	pci_cfg_write(&cs, 0x3c, 0xffffffff, 0xffffffff);
	assert_int_equal(pci_cfg_read(&cs, 0x3c), 0x000001ff);	/* pin read-only */
	pci_cfg_write(&cs, 0x3c, 0x0000000b, 0x0000ff00);	/* byte 1 only: no change */
	assert_int_equal(pci_cfg_read(&cs, 0x3c), 0x000001ff);
	pci_cfg_write(&cs, 0x3c, 0x0000000b, 0x000000ff);
	assert_int_equal(pci_cfg_get(&cs, PCI_INTERRUPT_LINE, 1), 0x0b);
	/* A partial mask inside a byte writes just those bits. */
	pci_cfg_write(&cs, 0x3c, 0x000000f0, 0x000000f0);
	assert_int_equal(pci_cfg_get(&cs, PCI_INTERRUPT_LINE, 1), 0xfb);
	/* W1C: only written-and-enabled ones clear. */
	pci_cfg_set(&cs, PCI_STATUS, 2, 0xf900);
	pci_cfg_write(&cs, 0x04, 0x80000000, 0x00ff0000);	/* bit 15 not enabled */
	assert_int_equal(pci_cfg_get(&cs, PCI_STATUS, 2), 0xf900);
	pci_cfg_write(&cs, 0x04, 0x81000000, 0xffff0000);
	assert_int_equal(pci_cfg_get(&cs, PCI_STATUS, 2), 0x7800);
	/* Helpers stop at the end of the space. */
	pci_cfg_set(&cs, 0xfe, 4, 0xaabbccdd);
	assert_int_equal(pci_cfg_get(&cs, 0xfe, 4), 0xccdd);
	assert_int_equal(pci_cfg_get(&cs, 0x100, 4), 0);
	assert_int_equal(pci_cfg_read(&cs, 0x1fc), pci_cfg_read(&cs, 0xfc));
	pci_cfg_write(&cs, 0x1ff, ~0u, ~0u);	/* masked to 0xfc, read-only there */
}

static u32 bar_size_probe(struct pci_cfg_space *cs, unsigned index)
{
	pci_cfg_write(cs, PCI_BAR0 + 4 * index, 0xffffffff, 0xffffffff);
	return pci_cfg_read(cs, PCI_BAR0 + 4 * index);
}

static void test_bar_sizing(void **state)
{
	struct pci_cfg_space cs;

	pci_cfg_init(&cs, 0x1af4, 0x1000, 0x020000, 0);
	assert_int_equal(pci_cfg_init_bar(&cs, 0, 4096, 0), 0);
	assert_int_equal(pci_cfg_init_bar(&cs, 1, 32, PCI_BAR_IO), 0);
	assert_int_equal(pci_cfg_init_bar(&cs, 2, 8 * GiB, PCI_BAR_MEM64 | PCI_BAR_PREFETCH), 0);
	assert_int_equal(pci_cfg_init_bar(&cs, 4, 16 * KiB, PCI_BAR_MEM64), 0);

	assert_int_equal(bar_size_probe(&cs, 0), 0xfffff000);
	assert_int_equal(bar_size_probe(&cs, 1), 0x0000ffe1);
	assert_int_equal(bar_size_probe(&cs, 2), 0x0000000c);	/* 64-bit, prefetchable */
	assert_int_equal(bar_size_probe(&cs, 3), 0xfffffffe);	/* upper half: 8 GiB */
	assert_int_equal(bar_size_probe(&cs, 4), 0xffffc004);
	assert_int_equal(bar_size_probe(&cs, 5), 0xffffffff);

	pci_cfg_write(&cs, 0x10, 0xfebf1234, 0xffffffff);
	assert_int_equal(pci_cfg_read(&cs, 0x10), 0xfebf1000);
	assert_int_equal(pci_cfg_bar_addr(&cs, 0), 0xfebf1000);
	pci_cfg_write(&cs, 0x14, 0xc0a3, 0xffffffff);
	assert_int_equal(pci_cfg_bar_addr(&cs, 1), 0xc0a0);
	pci_cfg_write(&cs, 0x18, 0, 0xffffffff);
	pci_cfg_write(&cs, 0x1c, 0x4, 0xffffffff);
	assert_int_equal(pci_cfg_bar_addr(&cs, 2), 0x400000000ull);
	pci_cfg_write(&cs, 0x20, 0x80004000, 0xffffffff);
	pci_cfg_write(&cs, 0x24, 0x1, 0xffffffff);
	assert_int_equal(pci_cfg_bar_addr(&cs, 4), 0x180004000ull);
	assert_int_equal(pci_cfg_bar_addr(&cs, 6), 0);
}

static void test_bar_rejects(void **state)
{
	struct pci_cfg_space cs;

	pci_cfg_init(&cs, 1, 2, 0, 0);
	assert_int_equal(pci_cfg_init_bar(&cs, 0, 0, 0), -EINVAL);
	assert_int_equal(pci_cfg_init_bar(&cs, 0, 8, 0), -EINVAL);		/* < 16 */
	assert_int_equal(pci_cfg_init_bar(&cs, 0, 4096 + 16, 0), -EINVAL);
	assert_int_equal(pci_cfg_init_bar(&cs, 0, 4 * GiB, 0), -EINVAL);	/* 32-bit */
	assert_int_equal(pci_cfg_init_bar(&cs, 0, 2, PCI_BAR_IO), -EINVAL);
	assert_int_equal(pci_cfg_init_bar(&cs, 0, 512, PCI_BAR_IO), -EINVAL);
	assert_int_equal(pci_cfg_init_bar(&cs, 0, 16, PCI_BAR_IO | PCI_BAR_PREFETCH), -EINVAL);
	assert_int_equal(pci_cfg_init_bar(&cs, 0, 16, BIT(1)), -EINVAL);
	assert_int_equal(pci_cfg_init_bar(&cs, 6, 16, 0), -EINVAL);
	assert_int_equal(pci_cfg_init_bar(&cs, 5, 16, PCI_BAR_MEM64), -EINVAL);
	assert_int_equal(pci_cfg_init_bar(&cs, 0, ~0ull, PCI_BAR_MEM64), -EINVAL);
	assert_int_equal(pci_cfg_init_bar(&cs, 0, BIT(63), PCI_BAR_MEM64), 0);
	for (unsigned i = 0x10; i < 0x28; i += 4)	/* nothing else was touched */
		assert_int_equal(pci_cfg_read(&cs, i), i == 0x10 ? 4 : 0);
}

/* Widths and offsets a guest cannot produce through the io_bus, all the same. */
static void test_hostile_port_accesses(void **state)
{
	struct pci_host *h = *state;

	out(h, ADDR, 4, cfg_addr(0, 0, 0, 0));
	assert_int_equal(in(h, ADDR, 8), ~0ull);
	assert_int_equal(in(h, DATA, 8), ~0ull);
	assert_int_equal(in(h, 100, 1), 0xff);
	out(h, ADDR, 8, 0);
	out(h, 100, 4, 0);
	out(h, DATA, 8, 0);
	assert_int_equal(in(h, ADDR, 4), 0x80000000);
	assert_int_equal(cfg_read32(h, 0, 0, 0), 0x12378086);
}

static void test_snapshot(void **state)
{
	struct pci_host *h = *state, *h2 = malloc(sizeof(*h2));
	struct pci_host_state saved;

	out(h, ADDR, 4, cfg_addr(0, 0, 0, 4));
	out(h, DATA, 2, 0x0001);
	saved = h->state;
	pci_host_init(h2);
	h2->state = saved;
	assert_int_equal(in(h2, ADDR, 4), cfg_addr(0, 0, 0, 4));
	assert_int_equal(in(h2, DATA, 2), 0x0001);
	free(h2);
}

/* --- state records ------------------------------------------------------- */

static int host_load(void *dev, const void *buf, size_t len, bool apply, const char **why)
{
	return pci_host_load(dev, buf, len, apply, why);
}

static struct pci_host *host_new(void)
{
	struct pci_host *h = malloc(sizeof(*h));

	assert_non_null(h);
	pci_host_init(h);
	return h;
}

static int save(const struct pci_host *h, u8 *buf, size_t len)
{
	int n = pci_host_save(h, buf, len);

	assert_true(n > SNAP_HDR_LEN);
	return n;
}

/*
 * The bridge's command register written (I/O, bus master, SERR), a
 * master abort latched in its status, a probe function at 03.1 and
 * CONFIG_ADDRESS left pointing at its interrupt line register.
 */
static void busy_host(struct pci_host *h, struct probe *p)
{
	assert_int_equal(pci_host_add(h, PCI_DEVFN(3, 1), &probe_ops, p), 0);
	out(h, ADDR, 4, cfg_addr(0, 0, 0, PCI_COMMAND));
	out(h, DATA, 2, PCI_COMMAND_IO | PCI_COMMAND_MASTER | PCI_COMMAND_SERR);
	pci_cfg_set(&h->state.bridge, PCI_STATUS, 2, 0x0280 | 0x2000);
	out(h, ADDR, 4, cfg_addr(0, 3, 1, PCI_INTERRUPT_LINE));
}

static void test_record_round_trip(void **state)
{
	struct pci_host *h = *state, *copy = host_new();
	struct probe p = { 0 };
	u8 a[1024], b[1024];
	const char *why = "unset";
	int n;

	busy_host(h, &p);
	n = save(h, a, sizeof(a));
	assert_int_equal(pci_host_load(copy, a, (size_t)n, true, &why), 0);
	assert_null(why);
	assert_int_equal(save(copy, b, sizeof(b)), n);
	assert_memory_equal(a, b, (size_t)n);
	assert_memory_equal(&copy->state, &h->state, sizeof(h->state));
	assert_int_equal(pci_host_save(h, a, (size_t)n - 1), -ENOSPC);
	free(copy);
}

/*
 * A loaded host reads and writes as the original, through its own
 * functions: the wiring is not in the record, so CONFIG_DATA reaches the
 * copy's probe at 03.1, and a function only the original has is absent.
 */
static void test_record_restore_behaves(void **state)
{
	struct pci_host *h = *state, *copy = host_new();
	struct probe p = { .value = 0x0100010b }, mine = { .value = 0x0100010b }, other = { 0 };
	u8 rec[1024];
	int n;

	busy_host(h, &p);
	assert_int_equal(pci_host_add(h, PCI_DEVFN(5, 0), &probe_ops, &other), 0);
	n = save(h, rec, sizeof(rec));
	assert_int_equal(pci_host_add(copy, PCI_DEVFN(3, 1), &probe_ops, &mine), 0);
	assert_int_equal(pci_host_load(copy, rec, (size_t)n, true, &(const char *){ 0 }), 0);
	assert_int_equal(in(copy, ADDR, 4), in(h, ADDR, 4));
	assert_int_equal(in(copy, DATA + 1, 1), 0x01);	/* interrupt pin, from the probe */
	assert_int_equal(mine.reads, 1);
	assert_int_equal(mine.reg, PCI_INTERRUPT_LINE);
	out(copy, DATA, 1, 11);
	assert_int_equal(mine.writes, 1);
	assert_int_equal(p.writes, 0);
	assert_int_equal(cfg_read32(copy, 0, 0, PCI_COMMAND), cfg_read32(h, 0, 0, PCI_COMMAND));
	assert_int_equal(cfg_read32(copy, 0, 0, PCI_COMMAND) >> 16, 0x2280);
	out(copy, DATA + 2, 2, 0x2000);			/* the latched error clears */
	assert_int_equal(cfg_read32(copy, 0, 0, PCI_COMMAND) >> 16, 0x0280);
	assert_int_equal(cfg_read32(copy, 0, 0, 0), 0x12378086);
	assert_int_equal(cfg_read32(copy, 5, 0, 0), 0xffffffff);
	assert_int_equal(other.reads, 0);
	free(copy);
}

/* The state bad holds, saved and loaded into a fresh host: refused for why. */
static void refused(const struct pci_host_state *bad, const char *why)
{
	struct pci_host *src = host_new(), *dst = host_new();
	u8 rec[1024];
	int n;

	src->state = *bad;
	n = save(src, rec, sizeof(rec));
	assert_string_equal(snap_test_refused(host_load, dst, &dst->state, sizeof(dst->state), rec,
					      (size_t)n, -EINVAL), why);
	free(src);
	free(dst);
}

static void test_record_refusals(void **state)
{
	struct pci_host *h = *state, *dst = host_new();
	struct pci_host_state good, bad;
	struct probe p = { 0 };
	u8 rec[1024];
	int n;

	busy_host(h, &p);
	good = h->state;
	n = save(h, rec, sizeof(rec));
	snap_test_framing(host_load, dst, &dst->state, sizeof(dst->state), rec, (size_t)n);
	rec[SNAP_HDR_LEN + 4] = 0x86 ^ 1;	/* the vendor ID's low byte */
	assert_string_equal(snap_test_refused(host_load, dst, &dst->state, sizeof(dst->state), rec,
					      (size_t)n, -EINVAL),
			    "a read-only bit of the bridge's configuration space differs");
	free(dst);

	bad = good, bad.config_address |= 0x01;
	refused(&bad, "CONFIG_ADDRESS has reserved bits set");
	bad = good, bad.config_address |= 0x40000000;
	refused(&bad, "CONFIG_ADDRESS has reserved bits set");
	bad = good, bad.bridge.wmask[PCI_VENDOR_ID] = 0xff;
	refused(&bad, "the bridge's write masks are not this bridge's");
	bad = good, bad.bridge.w1cmask[PCI_STATUS + 1] = 0;
	refused(&bad, "the bridge's write masks are not this bridge's");
	bad = good, bad.bridge.bytes[PCI_CLASS_CODE + 2] = 0x02;
	refused(&bad, "a read-only bit of the bridge's configuration space differs");
	bad = good, bad.bridge.bytes[PCI_COMMAND] |= 0x08;	/* special cycles: read-only */
	refused(&bad, "a read-only bit of the bridge's configuration space differs");
	bad = good, bad.bridge.bytes[PCI_BAR0 + 1] = 0x10;
	refused(&bad, "a read-only bit of the bridge's configuration space differs");
}

/* Random port traffic: every state loads back unchanged (no check refuses
 * a reachable state) and saves to the same bytes. */
static void test_record_random_states(void **state)
{
	static const unsigned sizes[] = { 1, 2, 4 };
	struct pci_host *h = *state, *copy = host_new();
	u64 seed = 0xcf8;
	u8 a[1024], b[1024];

	for (unsigned i = 0; i < 20000; i++) {
		u32 r, v;
		int n;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		r = (u32)(seed >> 32);
		v = (u32)seed;
		switch (r % 3) {
		case 0: out(h, ADDR, 4, r % 8 ? cfg_addr(0, 0, 0, (r >> 8) & 0xfc) : v); break;
		case 1: out(h, DATA + (r >> 4) % 4, sizes[(r >> 8) % 3], v); break;
		default: in(h, (r >> 4) % 8, sizes[(r >> 8) % 3]); break;
		}
		n = save(h, a, sizeof(a));
		assert_int_equal(pci_host_load(copy, a, (size_t)n, true, &(const char *){ 0 }), 0);
		assert_memory_equal(&copy->state, &h->state, sizeof(h->state));
		assert_int_equal(save(copy, b, sizeof(b)), n);
		assert_memory_equal(a, b, (size_t)n);
	}
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, host_setup, host_teardown)
		T(test_config_address_latch),
		T(test_host_bridge_ids),
		T(test_data_byte_lanes_read),
		T(test_data_byte_lanes_write),
		T(test_enable_bit),
		T(test_absent_functions),
		T(test_register_rules),
		T(test_bridge_write_masks),
		cmocka_unit_test(test_cfg_space_masks),
		cmocka_unit_test(test_bar_sizing),
		cmocka_unit_test(test_bar_rejects),
		T(test_hostile_port_accesses),
		T(test_snapshot),
		T(test_record_round_trip),
		T(test_record_restore_behaves),
		T(test_record_refusals),
		T(test_record_random_states),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
