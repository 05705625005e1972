/* Host tests for devices/vioapic.c against the 82093AA datasheet. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "devices/vioapic.h"
#include "devices/vlapic.h"

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

static int world_setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	struct vioapic_wiring wiring = { .deliver = world_deliver, .ctx = w };

	vioapic_init(&w->io, &wiring);
	*state = w;
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
		cmocka_unit_test(test_unwired),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
