/* Host tests for devices/vioapic.c against the 82093AA datasheet. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "devices/vioapic.h"
#include "devices/vlapic.h"
#include "snap_test.h"

enum { IOREGSEL = 0x00, IOWIN = 0x10 };
enum { IOAPICID = 0x00, IOAPICVER = 0x01, IOAPICARB = 0x02, IOREDTBL = 0x10 };

#define MASKED		(1ull << 16)
#define LEVEL		(1ull << 15)
#define REMOTE_IRR	(1ull << 14)
#define ACTIVE_LOW	(1ull << 13)
#define DS		(1ull << 12)
#define LOGICAL		(1ull << 11)
#define DM(m)		((u64)(m) << 8)
#define DEST(d)		((u64)(d) << 56)

struct msg {
	u32 dest;
	bool logical;
	u8 mode, vector;
	bool level;
};

/* The IO-APIC under test and every message it sent. */
struct world {
	struct vioapic io;
	struct msg msgs[32];
	unsigned n;
};

static void world_deliver(void *ctx, u32 dest, bool logical, u8 mode, u8 vector, bool level)
{
	struct world *w = ctx;

	assert_true(w->n < ARRAY_SIZE(w->msgs));
	w->msgs[w->n++] = (struct msg){ dest, logical, mode, vector, level };
}

static struct world *world_new(void)
{
	struct world *w = calloc(1, sizeof(*w));
	struct vioapic_wiring wiring = { .deliver = world_deliver, .ctx = w };

	assert_non_null(w);
	vioapic_init(&w->io, &wiring);
	return w;
}

static int world_setup(void **state)
{
	*state = world_new();
	return 0;
}

static int world_teardown(void **state)
{
	free(*state);
	return 0;
}

static u32 reg_rd(struct world *w, u32 reg)
{
	vioapic_mmio_write(&w->io, IOREGSEL, 4, reg);
	return (u32)vioapic_mmio_read(&w->io, IOWIN, 4);
}

static void reg_wr(struct world *w, u32 reg, u32 val)
{
	vioapic_mmio_write(&w->io, IOREGSEL, 4, reg);
	vioapic_mmio_write(&w->io, IOWIN, 4, val);
}

/* Program an entry the way Linux does: high word first, then low. */
static void redir_wr(struct world *w, unsigned pin, u64 e)
{
	reg_wr(w, IOREDTBL + 2 * pin + 1, (u32)(e >> 32));
	reg_wr(w, IOREDTBL + 2 * pin, (u32)e);
}

static u64 redir_rd(struct world *w, unsigned pin)
{
	return (u64)reg_rd(w, IOREDTBL + 2 * pin + 1) << 32 | reg_rd(w, IOREDTBL + 2 * pin);
}

static void test_reset_values(void **state)
{
	struct world *w = *state;

	assert_int_equal(reg_rd(w, IOAPICID), 0);
	assert_int_equal(reg_rd(w, IOAPICVER), 0x00170011);
	assert_int_equal(reg_rd(w, IOAPICARB), 0);
	for (unsigned pin = 0; pin < VIOAPIC_NR_PINS; pin++)
		assert_true(redir_rd(w, pin) == MASKED);
	vioapic_mmio_write(&w->io, IOREGSEL, 4, 0x2f);
	assert_int_equal(vioapic_mmio_read(&w->io, IOREGSEL, 4), 0x2f);
}

static void test_register_map(void **state)
{
	struct world *w = *state;

	reg_wr(w, IOAPICID, 0xffffffff);
	assert_int_equal(reg_rd(w, IOAPICID), 0x0f000000);
	assert_int_equal(reg_rd(w, IOAPICARB), 0x0f000000);	/* loaded from the ID */
	reg_wr(w, IOAPICVER, 0);
	reg_wr(w, IOAPICARB, 0);
	assert_int_equal(reg_rd(w, IOAPICVER), 0x00170011);
	assert_int_equal(reg_rd(w, IOAPICARB), 0x0f000000);
	/* Redirection entries: delivery status and remote IRR are read-only,
	 * bits 55:17 reserved. */
	reg_wr(w, IOREDTBL + 2 * 23 + 1, 0xffffffff);
	reg_wr(w, IOREDTBL + 2 * 23, 0xffffffff);
	assert_true(redir_rd(w, 23) == (0xff00000000000000ull | 0x1afff));
	/* Neighbours untouched. */
	assert_true(redir_rd(w, 22) == MASKED);
	/* IOREGSEL holds 8 bits; indexes past the table read 0, swallow writes. */
	vioapic_mmio_write(&w->io, IOREGSEL, 4, 0xffffff40);
	assert_int_equal(vioapic_mmio_read(&w->io, IOREGSEL, 4), 0x40);
	for (u32 reg = 0x03; reg < 0x100; reg++) {
		if (reg >= IOREDTBL && reg < IOREDTBL + 48)
			continue;
		reg_wr(w, reg, 0xffffffff);
		assert_int_equal(reg_rd(w, reg), 0);
	}
	assert_int_equal(w->n, 0);
}

static void test_hostile_accesses(void **state)
{
	struct world *w = *state;

	reg_wr(w, IOAPICID, 0x05000000);
	vioapic_mmio_write(&w->io, IOREGSEL, 4, IOAPICID);
	assert_int_equal(vioapic_mmio_read(&w->io, IOWIN, 1), 0);
	assert_int_equal(vioapic_mmio_read(&w->io, IOWIN, 2), 0);
	assert_int_equal(vioapic_mmio_read(&w->io, IOWIN, 8), 0);
	assert_int_equal(vioapic_mmio_read(&w->io, IOWIN + 4, 4), 0);
	assert_int_equal(vioapic_mmio_read(&w->io, 0x40, 4), 0);	/* no EOI register in v0x11 */
	vioapic_mmio_write(&w->io, IOWIN, 1, 0);
	vioapic_mmio_write(&w->io, IOWIN, 8, 0);
	vioapic_mmio_write(&w->io, IOWIN + 1, 4, 0);
	vioapic_mmio_write(&w->io, IOREGSEL, 2, 0x10);
	assert_int_equal(vioapic_mmio_read(&w->io, IOREGSEL, 4), IOAPICID);
	assert_int_equal(vioapic_mmio_read(&w->io, IOWIN, 4), 0x05000000);
	vioapic_mmio_write(&w->io, 0x40, 4, 0x31);
	/* Every offset and size with all ones: nothing may crash or deliver. */
	for (u64 off = 0; off < 0x1000; off++)
		for (unsigned size = 1; size <= 8; size <<= 1)
			if (off != IOWIN || size != 4) {
				vioapic_mmio_write(&w->io, off, size, ~0ull);
				(void)vioapic_mmio_read(&w->io, off, size);
			}
	assert_int_equal(w->n, 0);
	assert_true(vioapic_mmio_ops.read(&w->io, IOREGSEL, 4) == 0xff);
}

static void test_edge_delivery(void **state)
{
	struct world *w = *state;

	redir_wr(w, 1, DEST(0x02) | LOGICAL | DM(VLAPIC_DM_FIXED) | 0x31);
	assert_int_equal(w->n, 0);
	vioapic_set_irq(&w->io, 1, true);
	assert_int_equal(w->n, 1);
	assert_int_equal(w->msgs[0].dest, 2);
	assert_true(w->msgs[0].logical);
	assert_int_equal(w->msgs[0].mode, VLAPIC_DM_FIXED);
	assert_int_equal(w->msgs[0].vector, 0x31);
	assert_false(w->msgs[0].level);
	/* Only the rising edge sends. */
	vioapic_set_irq(&w->io, 1, true);
	vioapic_set_irq(&w->io, 1, false);
	assert_int_equal(w->n, 1);
	vioapic_set_irq(&w->io, 1, true);
	assert_int_equal(w->n, 2);
	/* Delivery status reads idle, remote IRR stays clear. */
	assert_true((redir_rd(w, 1) & (DS | REMOTE_IRR)) == 0);
	/* An EOI for an edge vector changes nothing. */
	vioapic_eoi(&w->io, 0x31);
	assert_int_equal(w->n, 2);
}

/* Edges on a masked pin are lost, not held (IOREDTBL "Interrupt Mask"). */
static void test_edge_masked_is_lost(void **state)
{
	struct world *w = *state;

	redir_wr(w, 4, MASKED | 0x34);
	vioapic_set_irq(&w->io, 4, true);
	redir_wr(w, 4, 0x34);
	assert_int_equal(w->n, 0);
	vioapic_set_irq(&w->io, 4, false);
	vioapic_set_irq(&w->io, 4, true);
	assert_int_equal(w->n, 1);
}

static void test_level_remote_irr(void **state)
{
	struct world *w = *state;

	redir_wr(w, 9, DEST(0) | LEVEL | 0x41);
	vioapic_set_irq(&w->io, 9, true);
	assert_int_equal(w->n, 1);
	assert_true(w->msgs[0].level);
	assert_true(redir_rd(w, 9) & REMOTE_IRR);
	/* Still asserted, not yet EOIed: silent. */
	vioapic_set_irq(&w->io, 9, true);
	assert_int_equal(w->n, 1);
	/* EOI while the line is still high: sent again. */
	vioapic_eoi(&w->io, 0x41);
	assert_int_equal(w->n, 2);
	assert_true(redir_rd(w, 9) & REMOTE_IRR);
	/* Line drops, then EOI: remote IRR clears, nothing sent. */
	vioapic_set_irq(&w->io, 9, false);
	vioapic_eoi(&w->io, 0x41);
	assert_int_equal(w->n, 2);
	assert_false(redir_rd(w, 9) & REMOTE_IRR);
	vioapic_set_irq(&w->io, 9, true);
	assert_int_equal(w->n, 3);
	/* EOI of another vector leaves it alone; remote IRR ignores writes. */
	vioapic_eoi(&w->io, 0x42);
	assert_true(redir_rd(w, 9) & REMOTE_IRR);
	reg_wr(w, IOREDTBL + 18, (u32)(LEVEL | 0x41));
	assert_true(redir_rd(w, 9) & REMOTE_IRR);
	assert_int_equal(w->n, 3);
}

static void test_level_unmask_delivers(void **state)
{
	struct world *w = *state;

	redir_wr(w, 16, MASKED | LEVEL | 0x51);
	vioapic_set_irq(&w->io, 16, true);
	assert_int_equal(w->n, 0);
	redir_wr(w, 16, LEVEL | 0x51);
	assert_int_equal(w->n, 1);
	assert_int_equal(w->msgs[0].vector, 0x51);
	/* Masked while in service: the EOI clears remote IRR but sends nothing. */
	redir_wr(w, 16, MASKED | LEVEL | 0x51);
	vioapic_eoi(&w->io, 0x51);
	assert_int_equal(w->n, 1);
	assert_false(redir_rd(w, 16) & REMOTE_IRR);
	redir_wr(w, 16, LEVEL | 0x51);
	assert_int_equal(w->n, 2);
}

/* Pin polarity applies to the electrical level (IOREDTBL bit 13). */
static void test_polarity(void **state)
{
	struct world *w = *state;

	redir_wr(w, 20, MASKED | ACTIVE_LOW | LEVEL | 0x60);
	vioapic_set_irq(&w->io, 20, true);		/* idle high */
	redir_wr(w, 20, ACTIVE_LOW | LEVEL | 0x60);
	assert_int_equal(w->n, 0);
	vioapic_set_irq(&w->io, 20, false);		/* pulled low: asserted */
	assert_int_equal(w->n, 1);
	vioapic_set_irq(&w->io, 20, true);
	vioapic_eoi(&w->io, 0x60);
	assert_int_equal(w->n, 1);
	/* Active-low edge: the falling edge sends. */
	vioapic_set_irq(&w->io, 3, true);
	redir_wr(w, 3, ACTIVE_LOW | 0x33);
	vioapic_set_irq(&w->io, 3, false);
	assert_int_equal(w->n, 2);
	vioapic_set_irq(&w->io, 3, true);
	assert_int_equal(w->n, 2);
	/* An active-low level pin never driven high is asserted at unmask. */
	redir_wr(w, 21, ACTIVE_LOW | LEVEL | 0x61);
	assert_int_equal(w->n, 3);
}

/*
 * Linux clears remote IRR on version 0x11 IO-APICs by making the entry
 * edge-triggered and back (arch/x86/kernel/apic/io_apic.c,
 * __eoi_ioapic_pin); if the line is still up, it sends again.
 */
static void test_edge_toggle_clears_remote_irr(void **state)
{
	struct world *w = *state;
	u64 e = LEVEL | 0x45;

	redir_wr(w, 10, e);
	vioapic_set_irq(&w->io, 10, true);
	assert_int_equal(w->n, 1);
	redir_wr(w, 10, (e | MASKED) & ~LEVEL);
	assert_false(redir_rd(w, 10) & REMOTE_IRR);
	redir_wr(w, 10, e);
	assert_int_equal(w->n, 2);
	assert_true(redir_rd(w, 10) & REMOTE_IRR);
	/* Rewriting the same level entry while in service sends nothing. */
	redir_wr(w, 10, e);
	assert_int_equal(w->n, 2);
}

/* One EOI clears every entry with that vector. */
static void test_eoi_shared_vector(void **state)
{
	struct world *w = *state;

	redir_wr(w, 5, LEVEL | 0x70);
	redir_wr(w, 6, LEVEL | 0x70);
	vioapic_set_irq(&w->io, 5, true);
	vioapic_set_irq(&w->io, 6, true);
	assert_int_equal(w->n, 2);
	vioapic_set_irq(&w->io, 5, false);
	vioapic_eoi(&w->io, 0x70);
	assert_int_equal(w->n, 3);	/* pin 6 still high */
	assert_false(redir_rd(w, 5) & REMOTE_IRR);
	assert_true(redir_rd(w, 6) & REMOTE_IRR);
}

/* NMI, SMI, INIT and ExtINT are edge-only, whatever the trigger bit says. */
static void test_non_fixed_modes_are_edge(void **state)
{
	struct world *w = *state;

	redir_wr(w, 0, LEVEL | DM(VLAPIC_DM_EXTINT));
	vioapic_set_irq(&w->io, 0, true);
	assert_int_equal(w->n, 1);
	assert_int_equal(w->msgs[0].mode, VLAPIC_DM_EXTINT);
	assert_false(w->msgs[0].level);
	assert_false(redir_rd(w, 0) & REMOTE_IRR);
	vioapic_set_irq(&w->io, 0, false);
	vioapic_set_irq(&w->io, 0, true);
	assert_int_equal(w->n, 2);
	redir_wr(w, 2, LEVEL | DM(VLAPIC_DM_NMI) | DEST(7));
	vioapic_set_irq(&w->io, 2, true);
	assert_int_equal(w->msgs[2].mode, VLAPIC_DM_NMI);
	assert_int_equal(w->msgs[2].dest, 7);
	/* Lowest priority keeps level semantics. */
	redir_wr(w, 11, LEVEL | DM(VLAPIC_DM_LOWEST) | 0x80);
	vioapic_set_irq(&w->io, 11, true);
	assert_true(w->msgs[3].level);
	assert_true(redir_rd(w, 11) & REMOTE_IRR);
}

static void test_pins_out_of_range(void **state)
{
	struct world *w = *state;
	struct vioapic_state before;

	for (unsigned pin = 0; pin < VIOAPIC_NR_PINS; pin++)
		redir_wr(w, pin, 0x20 + pin);
	before = w->io.state;
	vioapic_set_irq(&w->io, VIOAPIC_NR_PINS, true);
	vioapic_set_irq(&w->io, 31, true);
	vioapic_set_irq(&w->io, 32, true);
	vioapic_set_irq(&w->io, ~0u, true);
	vioapic_eoi(&w->io, 0);
	vioapic_eoi(&w->io, 0xff);
	assert_int_equal(w->n, 0);
	assert_memory_equal(&before, &w->io.state, sizeof(before));
	/* The last pin works. */
	vioapic_set_irq(&w->io, 23, true);
	assert_int_equal(w->n, 1);
	assert_int_equal(w->msgs[0].vector, 0x20 + 23);
}

static void test_unwired(void **state)
{
	struct vioapic io;

	vioapic_init(&io, NULL);
	vioapic_mmio_write(&io, IOREGSEL, 4, IOREDTBL + 2);
	vioapic_mmio_write(&io, IOWIN, 4, (u32)(LEVEL | 0x30));
	vioapic_set_irq(&io, 1, true);
	assert_true(io.state.redir[1] & REMOTE_IRR);
	vioapic_eoi(&io, 0x30);
}

static void test_snapshot_restore(void **state)
{
	struct world *w = *state;
	struct vioapic_state snap;
	struct vioapic_wiring wiring = w->io.wiring;

	redir_wr(w, 9, LEVEL | 0x41);
	vioapic_set_irq(&w->io, 9, true);
	snap = w->io.state;
	vioapic_init(&w->io, &wiring);
	assert_true(redir_rd(w, 9) == MASKED);
	w->io.state = snap;
	vioapic_eoi(&w->io, 0x41);	/* line still high after restore: resent */
	assert_int_equal(w->n, 2);
}

/* --- state records ------------------------------------------------------- */

static int ioapic_load(void *dev, const void *buf, size_t len, bool apply, const char **why)
{
	return vioapic_load(dev, buf, len, apply, why);
}

static int save(const struct world *w, u8 *buf, size_t len)
{
	int n = vioapic_save(&w->io, buf, len);

	assert_true(n > SNAP_HDR_LEN);
	return n;
}

/*
 * ID 10; pin 1 edge to logical 0x03; pin 4 NMI; pin 9 level, active low,
 * asserted and sent (remote IRR set); pin 10 level, asserted but masked;
 * pin 12's line high on an edge entry; IOREGSEL left on pin 9's high word.
 */
static void busy_ioapic(struct world *w)
{
	reg_wr(w, IOAPICID, 0x0a000000);
	redir_wr(w, 1, DEST(0x03) | LOGICAL | 0x31);
	redir_wr(w, 4, DEST(0) | DM(VLAPIC_DM_NMI) | 0x02);
	vioapic_set_irq(&w->io, 9, true);
	redir_wr(w, 9, DEST(1) | LEVEL | ACTIVE_LOW | 0x49);
	vioapic_set_irq(&w->io, 9, false);
	redir_wr(w, 10, DEST(2) | MASKED | LEVEL | DM(VLAPIC_DM_LOWEST) | 0x4a);
	vioapic_set_irq(&w->io, 10, true);
	vioapic_set_irq(&w->io, 12, true);
	vioapic_mmio_write(&w->io, IOREGSEL, 4, IOREDTBL + 19);
	assert_int_equal(w->n, 1);
	assert_true(w->io.state.redir[9] & REMOTE_IRR);
}

static void test_record_round_trip(void **state)
{
	struct world *w = *state, *copy = world_new();
	u8 a[256], b[256];
	const char *why = "unset";
	int n;

	busy_ioapic(w);
	n = save(w, a, sizeof(a));
	assert_int_equal(vioapic_load(&copy->io, a, (size_t)n, true, &why), 0);
	assert_null(why);
	assert_int_equal(save(copy, b, sizeof(b)), n);
	assert_memory_equal(a, b, (size_t)n);
	assert_memory_equal(&copy->io.state, &w->io.state, sizeof(w->io.state));
	assert_int_equal(vioapic_save(&w->io, a, (size_t)n - 1), -ENOSPC);
	free(copy);
}

/* EOIs, an unmask, edges and register reads, as a guest and its devices do. */
static void script(struct world *w, u32 out[4])
{
	out[0] = (u32)vioapic_mmio_read(&w->io, IOWIN, 4);
	vioapic_eoi(&w->io, 0x49);		/* pin 9 still asserted: sent again */
	redir_wr(w, 10, DEST(2) | LEVEL | DM(VLAPIC_DM_LOWEST) | 0x4a);
	vioapic_set_irq(&w->io, 1, true);
	vioapic_set_irq(&w->io, 4, true);
	vioapic_set_irq(&w->io, 12, false);
	out[1] = reg_rd(w, IOAPICID);
	out[2] = (u32)redir_rd(w, 10);
	out[3] = (u32)redir_rd(w, 9);
}

/*
 * A loaded IO-APIC sends nothing by itself, then behaves as the original:
 * the same messages for the same EOIs, unmasks and edges.
 */
static void test_record_restore_behaves(void **state)
{
	struct world *w = *state, *copy = world_new();
	u32 want[4], got[4];
	u8 rec[256];
	int n;

	busy_ioapic(w);
	n = save(w, rec, sizeof(rec));
	assert_int_equal(vioapic_load(&copy->io, rec, (size_t)n, true, &(const char *){ 0 }), 0);
	assert_int_equal(copy->n, 0);
	w->n = 0;
	script(w, want);
	script(copy, got);
	assert_memory_equal(got, want, sizeof(want));
	assert_int_equal(copy->n, 4);
	assert_int_equal(copy->n, w->n);
	assert_memory_equal(copy->msgs, w->msgs, copy->n * sizeof(copy->msgs[0]));
	assert_int_equal(copy->msgs[0].vector, 0x49);
	free(copy);
}

/* The state bad holds, saved and loaded into a fresh IO-APIC: refused for why. */
static void refused(const struct vioapic_state *bad, const char *why)
{
	struct world *src = world_new(), *dst = world_new();
	u8 rec[256];
	int n;

	src->io.state = *bad;
	n = save(src, rec, sizeof(rec));
	assert_string_equal(snap_test_refused(ioapic_load, &dst->io, &dst->io.state,
					      sizeof(dst->io.state), rec, (size_t)n, -EINVAL), why);
	assert_int_equal(dst->n, 0);
	free(src);
	free(dst);
}

static void test_record_refusals(void **state)
{
	struct world *w = *state, *dst = world_new();
	struct vioapic_state good, bad;
	u8 rec[256];
	int n;

	busy_ioapic(w);
	good = w->io.state;
	n = save(w, rec, sizeof(rec));
	snap_test_framing(ioapic_load, &dst->io, &dst->io.state, sizeof(dst->io.state), rec,
			  (size_t)n);
	rec[SNAP_HDR_LEN + 1] = 1;	/* IOREGSEL bit 8 */
	assert_string_equal(snap_test_refused(ioapic_load, &dst->io, &dst->io.state,
					      sizeof(dst->io.state), rec, (size_t)n, -EINVAL),
			    "IOREGSEL has bits above 7 set");
	free(dst);

	bad = good, bad.regsel = 0x100;
	refused(&bad, "IOREGSEL has bits above 7 set");
	bad = good, bad.id = 0x10000000;
	refused(&bad, "IOAPICID has bits outside 27:24 set");
	bad = good, bad.lines |= 1u << 24;
	refused(&bad, "an IO-APIC line above pin 23 is high");
	bad = good, bad.redir[3] |= DS;
	refused(&bad, "an IO-APIC entry has reserved or delivery status bits set");
	bad = good, bad.redir[23] |= 1ull << 17;
	refused(&bad, "an IO-APIC entry has reserved or delivery status bits set");
	bad = good, bad.redir[1] |= REMOTE_IRR;
	refused(&bad, "an edge-triggered IO-APIC entry has remote IRR set");
	bad = good, bad.redir[9] &= ~REMOTE_IRR;
	refused(&bad, "an asserted level-triggered IO-APIC pin has sent nothing");
	bad = good, bad.redir[10] &= ~MASKED;
	refused(&bad, "an asserted level-triggered IO-APIC pin has sent nothing");
}

/*
 * A random guest and random devices: register writes (mostly to the
 * redirection table), line changes and EOIs. Every state loads back
 * unchanged (no check refuses a reachable state) and saves to the same
 * bytes.
 */
static void test_record_random_states(void **state)
{
	struct world *w = *state, *copy = world_new();
	u64 seed = 0x82093;
	u8 a[256], b[256];

	for (unsigned i = 0; i < 20000; i++) {
		u32 r, r2;
		int n;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		r = (u32)(seed >> 32);
		r2 = (u32)seed;
		switch (r % 4) {
		case 0: reg_wr(w, r2 % 4 ? IOREDTBL + (r >> 8) % 48 : (r >> 8) % 3, r2); break;
		case 1: vioapic_set_irq(&w->io, (r >> 8) % 25, (r >> 16) & 1); break;
		case 2: vioapic_eoi(&w->io, (u8)w->io.state.redir[(r >> 8) % 24]); break;
		default: vioapic_mmio_write(&w->io, IOREGSEL, 4, r2); break;
		}
		w->n = copy->n = 0;
		n = save(w, a, sizeof(a));
		assert_int_equal(vioapic_load(&copy->io, a, (size_t)n, true, &(const char *){ 0 }), 0);
		assert_memory_equal(&copy->io.state, &w->io.state, sizeof(w->io.state));
		assert_int_equal(save(copy, b, sizeof(b)), n);
		assert_memory_equal(a, b, (size_t)n);
	}
	free(copy);
}

#define IOAPIC_TEST(f) cmocka_unit_test_setup_teardown(f, world_setup, world_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		IOAPIC_TEST(test_reset_values),
		IOAPIC_TEST(test_register_map),
		IOAPIC_TEST(test_hostile_accesses),
		IOAPIC_TEST(test_edge_delivery),
		IOAPIC_TEST(test_edge_masked_is_lost),
		IOAPIC_TEST(test_level_remote_irr),
		IOAPIC_TEST(test_level_unmask_delivers),
		IOAPIC_TEST(test_polarity),
		IOAPIC_TEST(test_edge_toggle_clears_remote_irr),
		IOAPIC_TEST(test_eoi_shared_vector),
		IOAPIC_TEST(test_non_fixed_modes_are_edge),
		IOAPIC_TEST(test_pins_out_of_range),
		IOAPIC_TEST(test_snapshot_restore),
		IOAPIC_TEST(test_record_round_trip),
		IOAPIC_TEST(test_record_restore_behaves),
		IOAPIC_TEST(test_record_refusals),
		IOAPIC_TEST(test_record_random_states),
		cmocka_unit_test(test_unwired),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
