/* Host tests for devices/vlapic.c against the SDM Vol 3 chapter 11 rules. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "devices/vlapic.h"
#include "arch/msr.h"
#include "fake_hw.h"
#include "fake_kernel.h"
#include "snap_test.h"

/* xAPIC register offsets (SDM Table 11-1). */
enum {
	ID = 0x20, VER = 0x30, TPR = 0x80, APR = 0x90, PPR = 0xa0, EOI = 0xb0, RRD = 0xc0,
	LDR = 0xd0, DFR = 0xe0, SVR = 0xf0, ISR = 0x100, TMR = 0x180, IRR = 0x200,
	ESR = 0x280, LVT_CMCI = 0x2f0, ICR_LO = 0x300, ICR_HI = 0x310, LVT_TIMER = 0x320,
	LVT_THERMAL = 0x330, LVT_PERF = 0x340, LVT_LINT0 = 0x350, LVT_LINT1 = 0x360,
	LVT_ERROR = 0x370, TMICT = 0x380, TMCCT = 0x390, TDCR = 0x3e0, SELF_IPI = 0x3f0,
};

#define X2(off)		(0x800u + ((off) >> 4))	/* x2APIC MSR of an xAPIC offset */
#define EN		(1ull << 11)
#define EXTD		(1ull << 10)
#define BSP		(1ull << 8)
#define MASKED		0x10000u
#define PERIODIC	(1u << 17)
#define TSC_DEADLINE	(2u << 17)
#define T0		1000000ull	/* the fake clock at the start of each test */

struct ipi {
	u32 dest;
	bool logical;
	u8 shorthand, mode, vector;
};

/* The APIC under test and what it did to the outside. */
struct world {
	struct vlapic lapic;
	u8 eois[16];
	unsigned neoi;
	struct ipi ipis[16];
	unsigned nipi;
};

static void world_eoi(void *ctx, u8 vector)
{
	struct world *w = ctx;

	assert_true(w->neoi < ARRAY_SIZE(w->eois));
	w->eois[w->neoi++] = vector;
}

static void world_ipi(void *ctx, u32 dest, bool logical, u8 shorthand, u8 mode, u8 vector)
{
	struct world *w = ctx;

	assert_true(w->nipi < ARRAY_SIZE(w->ipis));
	w->ipis[w->nipi++] = (struct ipi){ dest, logical, shorthand, mode, vector };
}

static const struct guest_clock clock;
/* An APIC wired to nothing but the clock. */
static const struct vlapic_wiring bare = { .clock = &clock };

/* A fresh APIC, ID id, on the VM clock c, wired to its own world. */
static struct world *world_new(u32 id, bool bsp, const struct guest_clock *c)
{
	struct world *w = calloc(1, sizeof(*w));
	struct vlapic_wiring wiring = { .eoi = world_eoi, .ipi = world_ipi, .ctx = w, .clock = c };

	assert_non_null(w);
	vlapic_init(&w->lapic, id, bsp, &wiring);
	return w;
}

static int world_setup(void **state)
{
	fake_time_ns = T0;
	*state = world_new(3, true, &clock);
	return 0;
}

static int world_teardown(void **state)
{
	free(*state);
	return 0;
}

static u32 rd(struct world *w, unsigned off)
{
	return (u32)vlapic_mmio_read(&w->lapic, off, 4);
}

static void wr(struct world *w, unsigned off, u32 val)
{
	vlapic_mmio_write(&w->lapic, off, 4, val);
}

static bool irr_has(struct world *w, u8 vec)
{
	return w->lapic.state.irr[vec / 32] & (1u << (vec % 32));
}

static bool reg_bit(struct world *w, unsigned base, u8 vec)
{
	return rd(w, base + 0x10 * (vec / 32)) & (1u << (vec % 32));
}

/* Software-enable the APIC with spurious vector 0xff. */
static void enable(struct world *w)
{
	wr(w, SVR, 0x1ff);
}

static void to_x2apic(struct world *w)
{
	assert_int_equal(vlapic_apic_base_write(&w->lapic, VLAPIC_BASE | EN | EXTD), 0);
}

/* Take the pending vector as the VMM would; returns it. */
static int take(struct world *w)
{
	int vec = vlapic_pending(&w->lapic);

	if (vec >= 0)
		vlapic_ack(&w->lapic, (u8)vec);
	return vec;
}

/* --- reset and register map ---------------------------------------------- */

static void test_reset_state(void **state)
{
	struct world *w = *state;
	static const unsigned lvts[] = { LVT_CMCI, LVT_TIMER, LVT_THERMAL, LVT_PERF,
					 LVT_LINT0, LVT_LINT1, LVT_ERROR };

	assert_int_equal(vlapic_apic_base_read(&w->lapic), 0xfee00900);
	assert_int_equal(rd(w, ID), 0x03000000);
	assert_int_equal(rd(w, VER), 0x00060014);
	assert_int_equal(rd(w, TPR), 0);
	assert_int_equal(rd(w, PPR), 0);
	assert_int_equal(rd(w, APR), 0);
	assert_int_equal(rd(w, LDR), 0);
	assert_int_equal(rd(w, DFR), 0xffffffff);
	assert_int_equal(rd(w, SVR), 0xff);
	assert_int_equal(rd(w, ESR), 0);
	assert_int_equal(rd(w, ICR_LO), 0);
	assert_int_equal(rd(w, ICR_HI), 0);
	for (unsigned i = 0; i < ARRAY_SIZE(lvts); i++)
		assert_int_equal(rd(w, lvts[i]), MASKED);
	for (unsigned i = 0; i < 8; i++) {
		assert_int_equal(rd(w, ISR + 0x10 * i), 0);
		assert_int_equal(rd(w, TMR + 0x10 * i), 0);
		assert_int_equal(rd(w, IRR + 0x10 * i), 0);
	}
	assert_int_equal(rd(w, TMICT), 0);
	assert_int_equal(rd(w, TMCCT), 0);
	assert_int_equal(rd(w, TDCR), 0);
	assert_int_equal(vlapic_pending(&w->lapic), -1);
	assert_true(vlapic_next_deadline(&w->lapic) == UINT64_MAX);
}

static void test_ap_reset(void **state)
{
	struct vlapic ap;

	vlapic_init(&ap, 0x21, false, &bare);
	assert_int_equal(vlapic_apic_base_read(&ap), 0xfee00800);
	assert_int_equal(vlapic_mmio_read(&ap, ID, 4), 0x21000000);
}

/* Bits outside each register's defined fields read 0 (SDM Figures 11-7..11-12). */
static void test_reserved_bits_masked(void **state)
{
	struct world *w = *state;

	enable(w);
	wr(w, TPR, 0xffffffff);
	assert_int_equal(rd(w, TPR), 0xff);
	wr(w, TPR, 0);
	wr(w, LDR, 0xffffffff);
	assert_int_equal(rd(w, LDR), 0xff000000);
	wr(w, DFR, 0);
	assert_int_equal(rd(w, DFR), 0x0fffffff);
	wr(w, DFR, 0xffffffff);
	assert_int_equal(rd(w, DFR), 0xffffffff);
	wr(w, LVT_TIMER, 0xffffffff);
	assert_int_equal(rd(w, LVT_TIMER), 0x000700ff);
	wr(w, LVT_LINT0, 0xffffffff);
	assert_int_equal(rd(w, LVT_LINT0), 0x0001a7ff);
	wr(w, LVT_LINT1, 0xffffffff);
	assert_int_equal(rd(w, LVT_LINT1), 0x0001a7ff);
	wr(w, LVT_ERROR, 0xffffffff);
	assert_int_equal(rd(w, LVT_ERROR), 0x000100ff);
	wr(w, LVT_THERMAL, 0xffffffff);
	assert_int_equal(rd(w, LVT_THERMAL), 0x000107ff);
	wr(w, LVT_PERF, 0xffffffff);
	assert_int_equal(rd(w, LVT_PERF), 0x000107ff);
	wr(w, LVT_CMCI, 0xffffffff);
	assert_int_equal(rd(w, LVT_CMCI), 0x000107ff);
	wr(w, TDCR, 0xffffffff);
	assert_int_equal(rd(w, TDCR), 0xb);
	wr(w, ICR_HI, 0xffffffff);
	assert_int_equal(rd(w, ICR_HI), 0xff000000);
	/* SVR keeps vector, enable and focus; bit 12 is reserved without
	 * EOI-broadcast suppression (version bit 24 clear). */
	wr(w, SVR, 0xffffffff);
	assert_int_equal(rd(w, SVR), 0x3ff);
}

static void test_readonly_registers(void **state)
{
	struct world *w = *state;

	enable(w);
	vlapic_set_irq(&w->lapic, 0x40, true);
	wr(w, ID, 0x7f000000);
	wr(w, VER, 0);
	wr(w, PPR, 0xff);
	wr(w, APR, 0xff);
	wr(w, RRD, 0xff);
	wr(w, ISR + 0x20, 0xffffffff);
	wr(w, TMR + 0x20, 0);
	wr(w, IRR + 0x20, 0);
	wr(w, TMCCT, 1234);
	assert_int_equal(rd(w, ID), 0x03000000);
	assert_int_equal(rd(w, VER), 0x00060014);
	assert_int_equal(rd(w, PPR), 0);
	assert_int_equal(rd(w, RRD), 0);
	assert_int_equal(rd(w, ISR + 0x20), 0);
	assert_int_equal(rd(w, TMR + 0x20), 1);
	assert_int_equal(rd(w, IRR + 0x20), 1);
	assert_int_equal(rd(w, TMCCT), 0);
	assert_int_equal(rd(w, EOI), 0);	/* write-only */
}

/* Only 32-bit accesses at 16-byte boundaries reach a register. */
static void test_mmio_hostile_accesses(void **state)
{
	struct world *w = *state;
	struct vlapic_state before;

	wr(w, TPR, 0x20);
	assert_int_equal(vlapic_mmio_read(&w->lapic, TPR, 1), 0);
	assert_int_equal(vlapic_mmio_read(&w->lapic, TPR, 2), 0);
	assert_int_equal(vlapic_mmio_read(&w->lapic, TPR, 8), 0);
	assert_int_equal(vlapic_mmio_read(&w->lapic, TPR + 4, 4), 0);
	assert_int_equal(vlapic_mmio_read(&w->lapic, TPR + 1, 4), 0);
	assert_int_equal(vlapic_mmio_read(&w->lapic, 0x1000, 4), 0);
	assert_int_equal(vlapic_mmio_read(&w->lapic, UINT64_MAX - 15, 4), 0);
	vlapic_mmio_write(&w->lapic, TPR, 1, 0x50);
	vlapic_mmio_write(&w->lapic, TPR, 8, 0x50);
	vlapic_mmio_write(&w->lapic, TPR + 4, 4, 0x50);
	vlapic_mmio_write(&w->lapic, TPR + 0x1000, 4, 0x50);
	assert_int_equal(rd(w, TPR), 0x20);

	/* Holes (and SELF IPI, x2APIC only) read 0 and swallow writes. */
	before = w->lapic.state;
	for (unsigned off = 0; off < 0x1000; off += 0x10) {
		static const unsigned holes[] = { 0x00, 0x10, 0x40, 0x70, 0x290, 0x2e0, 0x3a0, 0x3f0 };
		bool hole = off >= 0x400;

		for (unsigned i = 0; i < ARRAY_SIZE(holes); i++)
			hole = hole || off == holes[i];
		if (!hole)
			continue;
		assert_int_equal(rd(w, off), 0);
		wr(w, off, 0xffffffff);
	}
	assert_memory_equal(&before, &w->lapic.state, sizeof(before));
	/* Every offset and size, all-ones: nothing may crash. */
	for (u64 off = 0; off < 0x1010; off++)
		for (unsigned size = 1; size <= 8; size <<= 1) {
			vlapic_mmio_write(&w->lapic, off, size, ~0ull);
			(void)vlapic_mmio_read(&w->lapic, off, size);
		}
	assert_true(vlapic_pending(&w->lapic) >= -1 && vlapic_pending(&w->lapic) < 256);
}

static void test_mmio_ops(void **state)
{
	struct world *w = *state;

	vlapic_mmio_ops.write(&w->lapic, TPR, 4, 0x31);
	assert_int_equal(vlapic_mmio_ops.read(&w->lapic, TPR, 4), 0x31);
}

/* --- acceptance, priority, EOI ------------------------------------------- */

static void test_software_disabled(void **state)
{
	struct world *w = *state;

	/* Out of reset the APIC is software-disabled: LVT masks stick. */
	wr(w, LVT_TIMER, 0x30);
	assert_int_equal(rd(w, LVT_TIMER), MASKED | 0x30);
	vlapic_set_irq(&w->lapic, 0x40, false);
	assert_false(irr_has(w, 0x40));
	enable(w);
	wr(w, LVT_TIMER, 0x30);
	wr(w, LVT_LINT0, 0x700);
	assert_int_equal(rd(w, LVT_TIMER), 0x30);
	vlapic_set_irq(&w->lapic, 0x40, false);
	assert_int_equal(vlapic_pending(&w->lapic), 0x40);
	/* Clearing SVR bit 8 masks every LVT; held IRR bits stay pending. */
	wr(w, SVR, 0xff);
	assert_int_equal(rd(w, LVT_TIMER), MASKED | 0x30);
	assert_int_equal(rd(w, LVT_LINT0), MASKED | 0x700);
	assert_int_equal(vlapic_pending(&w->lapic), 0x40);
	vlapic_set_irq(&w->lapic, 0x50, false);
	assert_false(irr_has(w, 0x50));
	/* Re-enabling does not unmask. */
	enable(w);
	assert_int_equal(rd(w, LVT_TIMER), MASKED | 0x30);
}

static void test_priority_and_tpr(void **state)
{
	struct world *w = *state;

	enable(w);
	vlapic_set_irq(&w->lapic, 0x31, false);
	assert_int_equal(vlapic_pending(&w->lapic), 0x31);
	vlapic_set_irq(&w->lapic, 0x45, false);
	assert_int_equal(vlapic_pending(&w->lapic), 0x45);
	assert_true(reg_bit(w, IRR, 0x31) && reg_bit(w, IRR, 0x45));
	/* Only a class above PPR's is delivered (SDM 11.8.3.1). */
	wr(w, TPR, 0x40);
	assert_int_equal(rd(w, PPR), 0x40);
	assert_int_equal(vlapic_pending(&w->lapic), -1);
	wr(w, TPR, 0x3f);
	assert_int_equal(vlapic_pending(&w->lapic), 0x45);
	wr(w, TPR, 0xff);
	assert_int_equal(vlapic_pending(&w->lapic), -1);
	wr(w, TPR, 0);
	/* APR: the highest of TPR, IRRV and ISRV classes unless TPR dominates. */
	assert_int_equal(rd(w, APR), 0x40);
	wr(w, TPR, 0x52);
	assert_int_equal(rd(w, APR), 0x52);
}

static void test_isr_nesting_and_eoi_order(void **state)
{
	struct world *w = *state;

	enable(w);
	vlapic_set_irq(&w->lapic, 0x31, false);
	assert_int_equal(take(w), 0x31);
	assert_false(irr_has(w, 0x31));
	assert_true(reg_bit(w, ISR, 0x31));
	assert_int_equal(rd(w, PPR), 0x30);
	/* Same class waits; a higher class nests. */
	vlapic_set_irq(&w->lapic, 0x35, false);
	assert_int_equal(vlapic_pending(&w->lapic), -1);
	vlapic_set_irq(&w->lapic, 0x51, false);
	assert_int_equal(take(w), 0x51);
	assert_int_equal(rd(w, PPR), 0x50);
	/* TPR above the ISR class wins in PPR. */
	wr(w, TPR, 0x62);
	assert_int_equal(rd(w, PPR), 0x62);
	wr(w, TPR, 0x25);
	assert_int_equal(rd(w, PPR), 0x50);
	/* EOI retires the highest in-service vector first. */
	wr(w, EOI, 0);
	assert_false(reg_bit(w, ISR, 0x51));
	assert_true(reg_bit(w, ISR, 0x31));
	assert_int_equal(rd(w, PPR), 0x30);
	assert_int_equal(vlapic_pending(&w->lapic), -1);
	wr(w, EOI, 0xdead);	/* any value in xAPIC mode */
	assert_int_equal(rd(w, PPR), 0x25);
	assert_int_equal(take(w), 0x35);
	wr(w, EOI, 0);
	wr(w, EOI, 0);	/* nothing in service: no effect */
	assert_int_equal(w->neoi, 0);
	assert_int_equal(vlapic_pending(&w->lapic), -1);
}

static void test_ack_needs_irr(void **state)
{
	struct world *w = *state;

	enable(w);
	vlapic_ack(&w->lapic, 0x50);
	assert_false(reg_bit(w, ISR, 0x50));
	assert_int_equal(rd(w, PPR), 0);
}

static void test_level_triggered_eoi(void **state)
{
	struct world *w = *state;

	enable(w);
	vlapic_set_irq(&w->lapic, 0x41, true);
	assert_true(reg_bit(w, TMR, 0x41));
	assert_int_equal(take(w), 0x41);
	wr(w, EOI, 0);
	assert_int_equal(w->neoi, 1);
	assert_int_equal(w->eois[0], 0x41);
	/* Edge acceptance of the same vector clears TMR: no EOI message. */
	vlapic_set_irq(&w->lapic, 0x41, false);
	assert_false(reg_bit(w, TMR, 0x41));
	assert_int_equal(take(w), 0x41);
	wr(w, EOI, 0);
	assert_int_equal(w->neoi, 1);
	/* Highest vector: bit 31 of the last register. */
	vlapic_set_irq(&w->lapic, 0xff, true);
	assert_int_equal(rd(w, TMR + 0x70), 0x80000000);
	assert_int_equal(take(w), 0xff);
	wr(w, EOI, 0);
	assert_int_equal(w->eois[1], 0xff);
}

static void test_illegal_vectors_and_esr(void **state)
{
	struct world *w = *state;

	enable(w);
	for (unsigned v = 0; v < 16; v++)
		vlapic_set_irq(&w->lapic, (u8)v, false);
	assert_int_equal(w->lapic.state.irr[0], 0);
	/* ESR shows errors only after a write latches them (SDM 11.5.3). */
	assert_int_equal(rd(w, ESR), 0);
	wr(w, ESR, 0);
	assert_int_equal(rd(w, ESR), 0x40);
	wr(w, ESR, 0);
	assert_int_equal(rd(w, ESR), 0);
	/* An unmasked error LVT raises its vector. */
	wr(w, LVT_ERROR, 0xfe);
	vlapic_set_irq(&w->lapic, 3, false);
	assert_true(irr_has(w, 0xfe));
	/* An illegal error vector is logged, not raised, and does not recurse. */
	vlapic_ack(&w->lapic, 0xfe);
	wr(w, EOI, 0);
	wr(w, LVT_ERROR, 0x05);
	wr(w, ESR, 0);
	vlapic_set_irq(&w->lapic, 3, false);
	assert_int_equal(vlapic_pending(&w->lapic), -1);
	wr(w, ESR, 0);
	assert_int_equal(rd(w, ESR), 0x40);
}

/* --- timer ------------------------------------------------------------------ */

static void test_timer_one_shot(void **state)
{
	struct world *w = *state;

	enable(w);
	wr(w, TDCR, 0xb);		/* divide by 1: one count per ns */
	wr(w, LVT_TIMER, 0x30);
	wr(w, TMICT, 1000);
	assert_int_equal(rd(w, TMICT), 1000);
	assert_int_equal(rd(w, TMCCT), 1000);
	assert_true(vlapic_next_deadline(&w->lapic) == T0 + 1000);
	fake_time_ns = T0 + 400;
	assert_int_equal(rd(w, TMCCT), 600);
	vlapic_advance(&w->lapic, T0 + 999);
	assert_false(irr_has(w, 0x30));
	fake_time_ns = T0 + 1000;
	assert_int_equal(rd(w, TMCCT), 0);
	vlapic_advance(&w->lapic, T0 + 1000);
	assert_true(irr_has(w, 0x30));
	assert_true(vlapic_next_deadline(&w->lapic) == UINT64_MAX);
	assert_int_equal(take(w), 0x30);
	wr(w, EOI, 0);
	vlapic_advance(&w->lapic, T0 + 5000);
	assert_false(irr_has(w, 0x30));
	assert_int_equal(rd(w, TMICT), 1000);	/* initial count is kept */
	/* A new initial count restarts; 0 stops. */
	fake_time_ns = T0 + 6000;
	wr(w, TMICT, 10);
	assert_true(vlapic_next_deadline(&w->lapic) == T0 + 6010);
	wr(w, TMICT, 0);
	assert_true(vlapic_next_deadline(&w->lapic) == UINT64_MAX);
	assert_int_equal(rd(w, TMCCT), 0);
}

/* DCR codes (SDM Figure 11-10) and the divide each means. */
static void test_timer_divide_values(void **state)
{
	struct world *w = *state;
	static const struct { u32 dcr; u64 div; } table[] = {
		{ 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
		{ 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 },
		{ 0x4, 2 },	/* bit 2 is not part of the code */
	};

	enable(w);
	wr(w, LVT_TIMER, 0x30);
	for (unsigned i = 0; i < ARRAY_SIZE(table); i++) {
		u64 now = T0 + i * 1000000;

		fake_time_ns = now;
		wr(w, TDCR, table[i].dcr);
		wr(w, TMICT, 100);
		assert_true(vlapic_next_deadline(&w->lapic) == now + 100 * table[i].div);
		fake_time_ns = now + 10 * table[i].div;
		assert_int_equal(rd(w, TMCCT), 90);
		/* Mid-tick the count has not yet dropped (it rounds up). */
		fake_time_ns = now + 10 * table[i].div + table[i].div / 2;
		assert_int_equal(rd(w, TMCCT), 90);
	}
}

static void test_timer_periodic_without_drift(void **state)
{
	struct world *w = *state;

	enable(w);
	wr(w, TDCR, 0xb);
	wr(w, LVT_TIMER, PERIODIC | 0x31);
	wr(w, TMICT, 1000);
	fake_time_ns = T0 + 1250;		/* not advanced: the count still runs */
	assert_int_equal(rd(w, TMCCT), 750);
	vlapic_advance(&w->lapic, T0 + 1000);
	assert_true(irr_has(w, 0x31));
	assert_true(vlapic_next_deadline(&w->lapic) == T0 + 2000);
	take(w);
	wr(w, EOI, 0);
	/* Serviced late: the next period still ends on the grid. */
	vlapic_advance(&w->lapic, T0 + 2300);
	assert_true(irr_has(w, 0x31));
	assert_true(vlapic_next_deadline(&w->lapic) == T0 + 3000);
	take(w);
	wr(w, EOI, 0);
	/* Three periods missed: one interrupt, then back on the grid. */
	vlapic_advance(&w->lapic, T0 + 5500);
	assert_int_equal(take(w), 0x31);
	assert_int_equal(vlapic_pending(&w->lapic), -1);
	assert_true(vlapic_next_deadline(&w->lapic) == T0 + 6000);
	fake_time_ns = T0 + 5750;
	assert_int_equal(rd(w, TMCCT), 250);
	fake_time_ns = T0 + 6000;
	assert_int_equal(rd(w, TMCCT), 1000);	/* reloaded, not zero */
}

static void test_timer_masked_and_mode_change(void **state)
{
	struct world *w = *state;

	enable(w);
	wr(w, TDCR, 0xb);
	wr(w, LVT_TIMER, MASKED | 0x32);
	wr(w, TMICT, 100);
	vlapic_advance(&w->lapic, T0 + 100);
	assert_false(irr_has(w, 0x32));		/* counted down, no interrupt */
	assert_int_equal(rd(w, TMCCT), 0);
	/* Periodic, then a mode change: disarmed (SDM 11.5.4.1). */
	wr(w, LVT_TIMER, PERIODIC | 0x32);
	wr(w, TMICT, 100);
	assert_true(vlapic_next_deadline(&w->lapic) != UINT64_MAX);
	wr(w, LVT_TIMER, 0x32);
	assert_true(vlapic_next_deadline(&w->lapic) == UINT64_MAX);
	assert_int_equal(rd(w, TMCCT), 0);
	/* Same mode rewritten (vector, mask): keeps running. */
	wr(w, TMICT, 100);
	wr(w, LVT_TIMER, 0x33);
	assert_true(vlapic_next_deadline(&w->lapic) == T0 + 100);
	vlapic_advance(&w->lapic, T0 + 100);
	assert_true(irr_has(w, 0x33));
	/* Reserved mode 11b counts like one-shot. */
	wr(w, LVT_TIMER, (3u << 17) | 0x34);
	wr(w, TMICT, 10);
	vlapic_advance(&w->lapic, T0 + 110);
	assert_true(irr_has(w, 0x34));
	assert_true(vlapic_next_deadline(&w->lapic) == UINT64_MAX);
}

/* A divider change applies to the counts left. */
static void test_timer_divide_change_mid_count(void **state)
{
	struct world *w = *state;

	enable(w);
	wr(w, TDCR, 0xb);
	wr(w, LVT_TIMER, 0x30);
	wr(w, TMICT, 1000);
	fake_time_ns = T0 + 400;
	wr(w, TDCR, 0x0);		/* divide by 2 */
	assert_int_equal(rd(w, TMCCT), 600);
	assert_true(vlapic_next_deadline(&w->lapic) == T0 + 400 + 1200);
	fake_time_ns = T0 + 1000;
	assert_int_equal(rd(w, TMCCT), 300);
}

/* An expiry already due fires under the settings it was armed with. */
static void test_timer_due_before_write(void **state)
{
	struct world *w = *state;

	enable(w);
	wr(w, TDCR, 0xb);
	wr(w, LVT_TIMER, 0x30);
	wr(w, TMICT, 100);
	fake_time_ns = T0 + 200;	/* no advance called yet */
	wr(w, LVT_TIMER, MASKED | 0x30);
	assert_true(irr_has(w, 0x30));
}

static void test_timer_tsc_deadline(void **state)
{
	struct world *w = *state;

	enable(w);
	/* Outside TSC-deadline mode the MSR reads 0 and ignores writes. */
	vlapic_tsc_deadline_write(&w->lapic, T0 + 500);
	assert_true(vlapic_tsc_deadline_read(&w->lapic) == 0);
	assert_true(vlapic_next_deadline(&w->lapic) == UINT64_MAX);

	wr(w, LVT_TIMER, TSC_DEADLINE | 0x40);
	vlapic_tsc_deadline_write(&w->lapic, T0 + 500);	/* fake TSC: 1 tick = 1 ns */
	assert_true(vlapic_tsc_deadline_read(&w->lapic) == T0 + 500);
	assert_true(vlapic_next_deadline(&w->lapic) == T0 + 500);
	/* Initial count is ignored, current count reads 0. */
	wr(w, TMICT, 5);
	assert_int_equal(rd(w, TMICT), 0);
	assert_int_equal(rd(w, TMCCT), 0);
	vlapic_advance(&w->lapic, T0 + 499);
	assert_false(irr_has(w, 0x40));
	vlapic_advance(&w->lapic, T0 + 500);
	assert_true(irr_has(w, 0x40));
	fake_time_ns = T0 + 500;
	assert_true(vlapic_tsc_deadline_read(&w->lapic) == 0);	/* cleared on expiry */
	assert_true(vlapic_next_deadline(&w->lapic) == UINT64_MAX);
	take(w);
	wr(w, EOI, 0);
	/* A deadline in the past fires at once. */
	vlapic_tsc_deadline_write(&w->lapic, 1);
	assert_true(irr_has(w, 0x40));
	take(w);
	wr(w, EOI, 0);
	/* 0 disarms. */
	vlapic_tsc_deadline_write(&w->lapic, T0 + 9000);
	vlapic_tsc_deadline_write(&w->lapic, 0);
	assert_true(vlapic_next_deadline(&w->lapic) == UINT64_MAX);
	vlapic_advance(&w->lapic, T0 + 10000);
	assert_false(irr_has(w, 0x40));
	/* Leaving TSC-deadline mode disarms and clears the MSR. */
	vlapic_tsc_deadline_write(&w->lapic, T0 + 9000);
	wr(w, LVT_TIMER, 0x40);
	assert_true(vlapic_next_deadline(&w->lapic) == UINT64_MAX);
	wr(w, LVT_TIMER, TSC_DEADLINE | 0x40);
	assert_true(vlapic_tsc_deadline_read(&w->lapic) == 0);
	/* A huge deadline is simply far away. */
	vlapic_tsc_deadline_write(&w->lapic, UINT64_MAX);
	vlapic_advance(&w->lapic, T0 + 100000);
	assert_false(irr_has(w, 0x40));
}

/* --- IPIs ------------------------------------------------------------------ */

static void send(struct world *w, u32 hi, u32 lo)
{
	wr(w, ICR_HI, hi);
	wr(w, ICR_LO, lo);
}

static void test_icr_self_and_shorthands(void **state)
{
	struct world *w = *state;

	enable(w);
	wr(w, ICR_HI, 0x05000000);
	assert_int_equal(w->nipi, 0);		/* the high word alone sends nothing */
	send(w, 0, (1u << 18) | 0x50);	/* self */
	assert_true(irr_has(w, 0x50));
	assert_false(reg_bit(w, TMR, 0x50));
	assert_int_equal(w->nipi, 0);
	assert_int_equal(rd(w, ICR_LO) & (1u << 12), 0);	/* delivery status idle */
	assert_int_equal(rd(w, ICR_LO), (1u << 18) | 0x50);

	send(w, 0, (2u << 18) | 0x51);	/* all including self */
	assert_true(irr_has(w, 0x51));
	assert_int_equal(w->nipi, 1);
	assert_int_equal(w->ipis[0].shorthand, VLAPIC_SH_OTHERS);
	assert_int_equal(w->ipis[0].vector, 0x51);

	send(w, 0, (3u << 18) | 0x52);	/* all excluding self */
	assert_false(irr_has(w, 0x52));
	assert_int_equal(w->nipi, 2);
	assert_int_equal(w->ipis[1].shorthand, VLAPIC_SH_OTHERS);
}

static void test_icr_destinations(void **state)
{
	struct world *w = *state;

	enable(w);
	send(w, 0x03000000, 0x60);		/* physical, own ID */
	assert_true(irr_has(w, 0x60));
	assert_int_equal(w->nipi, 0);
	send(w, 0x04000000, 0x61);		/* physical, another CPU */
	assert_false(irr_has(w, 0x61));
	assert_int_equal(w->nipi, 1);
	assert_int_equal(w->ipis[0].dest, 4);
	assert_false(w->ipis[0].logical);
	send(w, 0xff000000, 0x62);		/* physical broadcast */
	assert_true(irr_has(w, 0x62));
	assert_int_equal(w->nipi, 2);
	assert_int_equal(w->ipis[1].dest, 0xff);
	wr(w, LDR, 0x01000000);			/* flat model, logical ID bit 0 */
	send(w, 0x03000000, (1u << 11) | 0x63);
	assert_true(irr_has(w, 0x63));
	assert_int_equal(w->nipi, 3);
	assert_true(w->ipis[2].logical);
	assert_int_equal(w->ipis[2].dest, 3);
	send(w, 0x02000000, (1u << 11) | 0x64);	/* logical, not us */
	assert_false(irr_has(w, 0x64));
	assert_int_equal(w->nipi, 4);
}

static void test_icr_other_modes(void **state)
{
	struct world *w = *state;

	enable(w);
	send(w, 0, (1u << 18) | (4u << 8));	/* NMI to self: the VMM's job */
	assert_int_equal(w->nipi, 1);
	assert_int_equal(w->ipis[0].mode, VLAPIC_DM_NMI);
	assert_int_equal(w->ipis[0].shorthand, VLAPIC_SH_SELF);
	assert_int_equal(vlapic_pending(&w->lapic), -1);
	send(w, 0x01000000, (1u << 15) | (1u << 14) | (5u << 8));	/* INIT assert */
	assert_int_equal(w->nipi, 2);
	assert_int_equal(w->ipis[1].mode, VLAPIC_DM_INIT);
	assert_int_equal(w->ipis[1].dest, 1);
	send(w, 0x01000000, (1u << 15) | (5u << 8));	/* INIT level de-assert: dropped */
	assert_int_equal(w->nipi, 2);
	send(w, 0x01000000, (6u << 8) | 0x9a);		/* SIPI, page 0x9a */
	assert_int_equal(w->nipi, 3);
	assert_int_equal(w->ipis[2].mode, VLAPIC_DM_STARTUP);
	assert_int_equal(w->ipis[2].vector, 0x9a);
	send(w, 0x03000000, (1u << 8) | 0x70);		/* lowest priority: arbitrated outside */
	assert_int_equal(w->nipi, 4);
	assert_false(irr_has(w, 0x70));
	/* An illegal vector is not sent: ESR "send illegal vector". */
	send(w, 0x03000000, 0x07);
	assert_int_equal(w->nipi, 4);
	assert_int_equal(w->lapic.state.irr[0], 0);
	wr(w, ESR, 0);
	assert_int_equal(rd(w, ESR), 0x20);
}

/* Without an ipi callback (one vCPU), lowest priority to us acts as fixed. */
static void test_icr_unwired(void **state)
{
	struct vlapic l;

	fake_time_ns = T0;
	vlapic_init(&l, 0, true, &bare);
	vlapic_mmio_write(&l, SVR, 4, 0x1ff);
	vlapic_mmio_write(&l, ICR_HI, 4, 0);
	vlapic_mmio_write(&l, ICR_LO, 4, (1u << 8) | 0x70);
	assert_int_equal(vlapic_pending(&l), 0x70);
	vlapic_mmio_write(&l, ICR_LO, 4, (3u << 18) | 0x71);	/* to no one */
	vlapic_set_irq(&l, 0x72, true);
	vlapic_ack(&l, 0x72);
	vlapic_mmio_write(&l, EOI, 4, 0);	/* no eoi callback: no crash */
	assert_int_equal(vlapic_pending(&l), 0x70);
}

/* --- destinations, LINT ---------------------------------------------------- */

static void test_match_dest_xapic(void **state)
{
	struct world *w = *state;
	struct vlapic *l = &w->lapic;

	assert_true(vlapic_match_dest(l, 3, false));
	assert_true(vlapic_match_dest(l, 0xff, false));
	assert_false(vlapic_match_dest(l, 4, false));
	/* Flat model: any common bit. */
	wr(w, LDR, 0x0c000000);
	assert_true(vlapic_match_dest(l, 0x04, true));
	assert_true(vlapic_match_dest(l, 0x08, true));
	assert_true(vlapic_match_dest(l, 0xff, true));
	assert_false(vlapic_match_dest(l, 0x01, true));
	assert_false(vlapic_match_dest(l, 0x00, true));
	/* Cluster model: cluster 2, member bit 0. */
	wr(w, DFR, 0x0fffffff);
	wr(w, LDR, 0x21000000);
	assert_true(vlapic_match_dest(l, 0x21, true));
	assert_true(vlapic_match_dest(l, 0x23, true));
	assert_true(vlapic_match_dest(l, 0xf1, true));
	assert_false(vlapic_match_dest(l, 0x11, true));
	assert_false(vlapic_match_dest(l, 0x22, true));
	/* Globally disabled: nothing matches. */
	assert_int_equal(vlapic_apic_base_write(l, VLAPIC_BASE), 0);
	assert_false(vlapic_match_dest(l, 0xff, false));
}

static void test_lint_queries(void **state)
{
	struct world *w = *state;

	assert_false(vlapic_accepts_pic(&w->lapic));	/* reset: LINT0 masked */
	assert_false(vlapic_nmi_on_lint1(&w->lapic));
	vlapic_virtual_wire(&w->lapic);
	assert_int_equal(rd(w, SVR), 0x1ff);
	assert_int_equal(rd(w, LVT_LINT0), 0x700);
	assert_int_equal(rd(w, LVT_LINT1), 0x400);
	assert_true(vlapic_accepts_pic(&w->lapic));
	assert_true(vlapic_nmi_on_lint1(&w->lapic));
	wr(w, LVT_LINT0, MASKED | 0x700);
	assert_false(vlapic_accepts_pic(&w->lapic));
	wr(w, LVT_LINT0, 0x30);			/* fixed: not the PIC's INTR */
	assert_false(vlapic_accepts_pic(&w->lapic));
	wr(w, LVT_LINT1, 0x30);
	assert_false(vlapic_nmi_on_lint1(&w->lapic));
	/* A globally disabled APIC passes INTR and NMI straight through. */
	assert_int_equal(vlapic_apic_base_write(&w->lapic, VLAPIC_BASE | BSP), 0);
	assert_true(vlapic_accepts_pic(&w->lapic));
	assert_true(vlapic_nmi_on_lint1(&w->lapic));
}

/* --- IA32_APIC_BASE and x2APIC ------------------------------------------- */

static void test_apic_base_transitions(void **state)
{
	struct world *w = *state;
	struct vlapic *l = &w->lapic;

	/* Reserved bits: 7:0, 9, 63:52. */
	assert_int_equal(vlapic_apic_base_write(l, VLAPIC_BASE | EN | 1), -EINVAL);
	assert_int_equal(vlapic_apic_base_write(l, VLAPIC_BASE | EN | (1u << 9)), -EINVAL);
	assert_int_equal(vlapic_apic_base_write(l, VLAPIC_BASE | EN | (1ull << 63)), -EINVAL);
	/* EN=0 with EXTD=1 is invalid from anywhere. */
	assert_int_equal(vlapic_apic_base_write(l, VLAPIC_BASE | EXTD), -EINVAL);
	/* xAPIC -> x2APIC -> (not xAPIC) -> disabled -> (not x2APIC) -> xAPIC. */
	to_x2apic(w);
	assert_true(vlapic_apic_base_read(l) == (VLAPIC_BASE | BSP | EN | EXTD));
	assert_int_equal(vlapic_apic_base_write(l, VLAPIC_BASE | EN), -EINVAL);
	assert_int_equal(vlapic_apic_base_write(l, VLAPIC_BASE | EXTD), -EINVAL);
	assert_int_equal(vlapic_apic_base_write(l, VLAPIC_BASE), 0);
	assert_int_equal(vlapic_apic_base_write(l, VLAPIC_BASE | EN | EXTD), -EINVAL);
	assert_true(vlapic_apic_base_read(l) == (VLAPIC_BASE | BSP));
	assert_int_equal(vlapic_apic_base_write(l, VLAPIC_BASE | EN), 0);
	assert_true(vlapic_apic_base_read(l) == (VLAPIC_BASE | BSP | EN));
	/* Writing the same state again is fine; BSP is not the guest's to change. */
	assert_int_equal(vlapic_apic_base_write(l, VLAPIC_BASE | EN), 0);
	assert_true(vlapic_apic_base_read(l) == (VLAPIC_BASE | BSP | EN));
}

static void test_apic_base_relocation_ignored(void **state)
{
	struct world *w = *state;

	fake_console_reset();
	assert_int_equal(vlapic_apic_base_write(&w->lapic, 0xfed00000ull | EN | BSP), 0);
	assert_true(vlapic_apic_base_read(&w->lapic) == (VLAPIC_BASE | EN | BSP));
	assert_int_equal(fake_console_count("relocation"), 1);
	assert_int_equal(rd(w, VER), 0x00060014);	/* still at the old page */
}

/* Disabling resets every register but the ID (SDM 11.12.5.1). */
static void test_disable_resets(void **state)
{
	struct world *w = *state;

	enable(w);
	wr(w, TPR, 0x20);
	wr(w, TDCR, 0xb);
	wr(w, LVT_TIMER, 0x30);
	wr(w, TMICT, 100);
	vlapic_set_irq(&w->lapic, 0x40, false);
	assert_int_equal(vlapic_apic_base_write(&w->lapic, VLAPIC_BASE | BSP), 0);
	assert_int_equal(vlapic_pending(&w->lapic), -1);
	assert_int_equal(vlapic_mmio_read(&w->lapic, VER, 4), 0);	/* no APIC there */
	vlapic_mmio_write(&w->lapic, TPR, 4, 0x80);
	vlapic_set_irq(&w->lapic, 0x41, false);
	assert_true(vlapic_next_deadline(&w->lapic) == UINT64_MAX);
	assert_int_equal(vlapic_apic_base_write(&w->lapic, VLAPIC_BASE | BSP | EN), 0);
	assert_int_equal(rd(w, ID), 0x03000000);
	assert_int_equal(rd(w, TPR), 0);
	assert_int_equal(rd(w, SVR), 0xff);
	assert_int_equal(rd(w, LVT_TIMER), MASKED);
	assert_int_equal(rd(w, TMICT), 0);
	assert_int_equal(rd(w, IRR + 0x20), 0);
}

static void test_x2apic_registers(void **state)
{
	struct world *w = *state;
	struct vlapic l;
	u64 v;

	/* xAPIC mode: the MSRs do not exist. */
	assert_int_equal(vlapic_msr_read(&w->lapic, X2(TPR), &v), -EINVAL);
	assert_int_equal(vlapic_msr_write(&w->lapic, X2(TPR), 0), -EINVAL);

	vlapic_init(&l, 0x1234, false, &bare);
	assert_int_equal(vlapic_apic_base_write(&l, VLAPIC_BASE | EN | EXTD), 0);
	assert_int_equal(vlapic_msr_read(&l, X2(ID), &v), 0);
	assert_true(v == 0x1234);
	assert_int_equal(vlapic_msr_read(&l, X2(VER), &v), 0);
	assert_true(v == 0x00060014);
	/* Logical ID: cluster 0x123 in 31:16, bit 4 for ID[3:0] = 4. */
	assert_int_equal(vlapic_msr_read(&l, X2(LDR), &v), 0);
	assert_true(v == 0x01230010);
	assert_int_equal(vlapic_msr_write(&l, X2(SVR), 0x1ff), 0);
	assert_int_equal(vlapic_msr_write(&l, X2(TPR), 0x40), 0);
	assert_int_equal(vlapic_msr_read(&l, X2(TPR), &v), 0);
	assert_true(v == 0x40);
	assert_int_equal(vlapic_msr_read(&l, X2(PPR), &v), 0);
	assert_true(v == 0x40);
	/* The xAPIC page is gone. */
	assert_int_equal(vlapic_mmio_read(&l, TPR, 4), 0);
	vlapic_mmio_write(&l, TPR, 4, 0x80);
	assert_int_equal(vlapic_msr_read(&l, X2(TPR), &v), 0);
	assert_true(v == 0x40);
	/* Interrupt flow over MSRs, EOI must be 0. */
	vlapic_set_irq(&l, 0x55, false);
	assert_int_equal(vlapic_pending(&l), 0x55);
	vlapic_ack(&l, 0x55);
	assert_int_equal(vlapic_msr_read(&l, X2(ISR + 0x20), &v), 0);
	assert_true(v == 1u << 0x15);
	assert_int_equal(vlapic_msr_write(&l, X2(EOI), 1), -EINVAL);
	assert_int_equal(vlapic_msr_write(&l, X2(EOI), 0), 0);
	assert_int_equal(vlapic_msr_read(&l, X2(ISR + 0x20), &v), 0);
	assert_true(v == 0);
}

/* Every #GP case of SDM 11.12.1.2/11.12.1.3. */
static void test_x2apic_faults(void **state)
{
	struct world *w = *state;
	struct vlapic *l = &w->lapic;
	static const unsigned no_read[] = { EOI, SELF_IPI, APR, RRD, DFR, ICR_HI, 0x000, 0x010,
					    0x040, 0x290, 0x3a0, 0x3d0 };
	static const unsigned no_write[] = { ID, VER, LDR, PPR, ISR, TMR + 0x70, IRR, TMCCT, APR,
					     DFR, ICR_HI, 0x000, 0x3a0 };
	u64 v;

	to_x2apic(w);
	for (unsigned i = 0; i < ARRAY_SIZE(no_read); i++)
		assert_int_equal(vlapic_msr_read(l, X2(no_read[i]), &v), -EINVAL);
	for (unsigned i = 0; i < ARRAY_SIZE(no_write); i++)
		assert_int_equal(vlapic_msr_write(l, X2(no_write[i]), 0), -EINVAL);
	assert_int_equal(vlapic_msr_read(l, 0x7ff, &v), -EINVAL);
	assert_int_equal(vlapic_msr_read(l, 0x840, &v), -EINVAL);
	assert_int_equal(vlapic_msr_read(l, 0x8ff, &v), -EINVAL);
	assert_int_equal(vlapic_msr_read(l, 0x900, &v), -EINVAL);
	assert_int_equal(vlapic_msr_read(l, 0xffffffff, &v), -EINVAL);
	assert_int_equal(vlapic_msr_write(l, 0x900, 0), -EINVAL);
	/* Reserved bits. */
	assert_int_equal(vlapic_msr_write(l, X2(TPR), 0x100), -EINVAL);
	assert_int_equal(vlapic_msr_write(l, X2(TPR), 1ull << 32), -EINVAL);
	assert_int_equal(vlapic_msr_write(l, X2(SVR), 0x11ff), -EINVAL);
	assert_int_equal(vlapic_msr_write(l, X2(ESR), 1), -EINVAL);
	assert_int_equal(vlapic_msr_write(l, X2(LVT_TIMER), 1u << 19), -EINVAL);
	assert_int_equal(vlapic_msr_write(l, X2(LVT_ERROR), 0x700), -EINVAL);
	assert_int_equal(vlapic_msr_write(l, X2(LVT_TIMER), 1u << 13), -EINVAL);
	assert_int_equal(vlapic_msr_write(l, X2(TDCR), 0x4), -EINVAL);
	assert_int_equal(vlapic_msr_write(l, X2(SELF_IPI), 0x100), -EINVAL);
	assert_int_equal(vlapic_msr_write(l, X2(ICR_LO), 1u << 12), -EINVAL);
	assert_int_equal(vlapic_msr_write(l, X2(ICR_LO), 1u << 13), -EINVAL);
	assert_int_equal(vlapic_msr_write(l, X2(ICR_LO), 1u << 20), -EINVAL);
	assert_int_equal(w->nipi, 0);
	/* Read-only status bits an OS writes back are tolerated. */
	assert_int_equal(vlapic_msr_write(l, X2(SVR), 0x1ff), 0);
	assert_int_equal(vlapic_msr_write(l, X2(LVT_LINT0), (1u << 14) | (1u << 12) | 0x700), 0);
	assert_int_equal(vlapic_msr_read(l, X2(LVT_LINT0), &v), 0);
	assert_true(v == 0x700);
	assert_int_equal(vlapic_msr_write(l, X2(ESR), 0), 0);
	assert_int_equal(vlapic_msr_write(l, X2(TMICT), 0xffffffff), 0);
	/* A hostile sweep: every MSR, all ones, then zero. */
	for (u32 msr = 0x800; msr <= 0x8ff; msr++) {
		(void)vlapic_msr_write(l, msr, ~0ull);
		(void)vlapic_msr_write(l, msr, 0);
		(void)vlapic_msr_read(l, msr, &v);
	}
}

static void test_x2apic_icr_and_self_ipi(void **state)
{
	struct world *w = *state;
	struct vlapic *l = &w->lapic;
	u64 v;

	to_x2apic(w);
	assert_int_equal(vlapic_msr_write(l, X2(SVR), 0x1ff), 0);
	assert_int_equal(vlapic_msr_write(l, X2(ICR_LO), (3ull << 32) | 0x55), 0);	/* self by ID */
	assert_true(irr_has(w, 0x55));
	assert_int_equal(w->nipi, 0);
	assert_int_equal(vlapic_msr_read(l, X2(ICR_LO), &v), 0);
	assert_true(v == ((3ull << 32) | 0x55));
	assert_int_equal(vlapic_msr_write(l, X2(ICR_LO), (0x10005ull << 32) | 0x56), 0);
	assert_int_equal(w->nipi, 1);
	assert_int_equal(w->ipis[0].dest, 0x10005);	/* 32-bit destination */
	assert_false(irr_has(w, 0x56));
	/* 0xffffffff is the x2APIC broadcast. */
	assert_int_equal(vlapic_msr_write(l, X2(ICR_LO), (0xffffffffull << 32) | 0x57), 0);
	assert_true(irr_has(w, 0x57));
	assert_int_equal(w->nipi, 2);
	/* SELF IPI: fixed, edge, to us. */
	vlapic_set_irq(l, 0x66, true);
	assert_int_equal(vlapic_msr_write(l, X2(SELF_IPI), 0x66), 0);
	assert_true(irr_has(w, 0x66));
	assert_false(w->lapic.state.tmr[0x66 / 32] & (1u << (0x66 % 32)));
	assert_int_equal(vlapic_msr_write(l, X2(SELF_IPI), 0x05), 0);
	assert_int_equal(vlapic_msr_write(l, X2(ESR), 0), 0);
	assert_int_equal(vlapic_msr_read(l, X2(ESR), &v), 0);
	assert_true(v == 0x20);
	assert_int_equal(w->nipi, 2);
}

static void test_match_dest_x2apic(void **state)
{
	struct vlapic l;

	vlapic_init(&l, 0x21, false, &bare);
	assert_int_equal(vlapic_apic_base_write(&l, VLAPIC_BASE | EN | EXTD), 0);
	assert_true(vlapic_match_dest(&l, 0x21, false));
	assert_false(vlapic_match_dest(&l, 0x121, false));
	assert_false(vlapic_match_dest(&l, 0xff, false));	/* 0xff is an ID, not broadcast */
	assert_true(vlapic_match_dest(&l, 0xffffffff, false));
	assert_true(vlapic_match_dest(&l, 0x00020002, true));
	assert_true(vlapic_match_dest(&l, 0x00020003, true));
	assert_false(vlapic_match_dest(&l, 0x00020001, true));
	assert_false(vlapic_match_dest(&l, 0x00030002, true));
	assert_true(vlapic_match_dest(&l, 0xffffffff, true));
}

/* INIT keeps the ID and the mode, resets the rest (SDM 11.12.5.1). */
static void test_init_reset(void **state)
{
	struct world *w = *state;
	u64 v;

	to_x2apic(w);
	assert_int_equal(vlapic_msr_write(&w->lapic, X2(SVR), 0x1ff), 0);
	assert_int_equal(vlapic_msr_write(&w->lapic, X2(TPR), 0x30), 0);
	vlapic_set_irq(&w->lapic, 0x80, false);
	vlapic_reset_init(&w->lapic);
	assert_true(vlapic_apic_base_read(&w->lapic) == (VLAPIC_BASE | BSP | EN | EXTD));
	assert_int_equal(vlapic_msr_read(&w->lapic, X2(ID), &v), 0);
	assert_true(v == 3);
	assert_int_equal(vlapic_msr_read(&w->lapic, X2(TPR), &v), 0);
	assert_true(v == 0);
	assert_int_equal(vlapic_msr_read(&w->lapic, X2(SVR), &v), 0);
	assert_true(v == 0xff);
	assert_int_equal(vlapic_pending(&w->lapic), -1);
}

/* A snapshot is a struct copy; a restore brings back the same behaviour. */
static void test_snapshot_restore(void **state)
{
	struct world *w = *state;
	struct vlapic_state snap;
	struct vlapic_wiring wiring;

	enable(w);
	wr(w, TDCR, 0xb);
	wr(w, LVT_TIMER, PERIODIC | 0x31);
	wr(w, TMICT, 1000);
	vlapic_set_irq(&w->lapic, 0x90, true);
	snap = w->lapic.state;
	wiring = w->lapic.wiring;
	vlapic_init(&w->lapic, 3, true, &wiring);
	assert_int_equal(vlapic_pending(&w->lapic), -1);
	w->lapic.state = snap;
	assert_int_equal(take(w), 0x90);
	assert_true(vlapic_next_deadline(&w->lapic) == T0 + 1000);
	wr(w, EOI, 0);
	assert_int_equal(w->neoi, 1);
}

/* --- state records ------------------------------------------------------- */

static int lapic_load(void *dev, const void *buf, size_t len, bool apply, const char **why)
{
	return vlapic_load(dev, buf, len, apply, why);
}

static int save(const struct world *w, u8 *buf, size_t len)
{
	int n = vlapic_save(&w->lapic, buf, len);

	assert_true(n > SNAP_HDR_LEN);
	return n;
}

static void msr_wr(struct world *w, unsigned off, u64 val)
{
	assert_int_equal(vlapic_msr_write(&w->lapic, X2(off), val), 0);
}

/*
 * x2APIC mode, TPR 0x20; 0x45 (level) and 0x81 requested, 0x90 in
 * service; an illegal self IPI logged; an NMI sent through the ICR; a
 * periodic timer (vector 0xec, 1000 counts divided by 4) that has fired
 * twice; LINT0 ExtINT, LINT1 NMI.
 */
static void busy_lapic(struct world *w)
{
	to_x2apic(w);
	msr_wr(w, SVR, 0x1ff);
	msr_wr(w, TPR, 0x20);
	msr_wr(w, LVT_LINT0, VLAPIC_DM_EXTINT << 8);
	msr_wr(w, LVT_LINT1, VLAPIC_DM_NMI << 8);
	msr_wr(w, TDCR, 0x1);
	msr_wr(w, LVT_TIMER, PERIODIC | 0xec);
	msr_wr(w, TMICT, 1000);
	vlapic_set_irq(&w->lapic, 0x90, false);
	assert_int_equal(take(w), 0x90);
	vlapic_set_irq(&w->lapic, 0x45, true);
	vlapic_set_irq(&w->lapic, 0x81, false);
	msr_wr(w, SELF_IPI, 0x05);
	msr_wr(w, ICR_LO, (0x10007ull << 32) | VLAPIC_DM_NMI << 8);
	fake_time_ns = T0 + 9000;
	vlapic_advance(&w->lapic, fake_time_ns);
	assert_true(vlapic_next_deadline(&w->lapic) == T0 + 12000);
	assert_int_equal(w->nipi, 1);
}

/* xAPIC mode, a TSC-deadline timer armed, flat logical ID 0x08. */
static void busy_xapic_deadline(struct world *w)
{
	enable(w);
	wr(w, LDR, 0x08000000);
	wr(w, ICR_HI, 0x05000000);
	wr(w, LVT_TIMER, TSC_DEADLINE | 0x40);
	vlapic_tsc_deadline_write(&w->lapic, fake_time_ns + 777);
	assert_true(vlapic_next_deadline(&w->lapic) == fake_time_ns + 777);
}

/* Saved, loaded into a fresh APIC with the same ID, saved again. */
static void round_trip(struct world *w)
{
	struct world *copy = world_new(3, true, &clock);
	u8 a[512], b[512];
	const char *why = "unset";
	int n;

	n = save(w, a, sizeof(a));
	assert_int_equal(vlapic_load(&copy->lapic, a, (size_t)n, true, &why), 0);
	assert_null(why);
	assert_int_equal(save(copy, b, sizeof(b)), n);
	assert_memory_equal(a, b, (size_t)n);
	assert_memory_equal(&copy->lapic.state, &w->lapic.state, sizeof(w->lapic.state));
	assert_true(vlapic_next_deadline(&copy->lapic) == vlapic_next_deadline(&w->lapic));
	assert_int_equal(vlapic_save(&w->lapic, a, (size_t)n - 1), -ENOSPC);
	free(copy);
}

static void test_record_round_trip(void **state)
{
	struct world *w = *state, *x = world_new(3, true, &clock);

	busy_lapic(w);
	round_trip(w);
	busy_xapic_deadline(x);
	round_trip(x);
	free(x);
}

/* What the guest and the VMM see: a timer tick, the vectors taken in
 * order, EOIs (the level one reaches the IO-APIC), the registers. */
static void script(struct world *w, u64 now, u32 out[8])
{
	u64 v = 0;

	vlapic_advance(&w->lapic, now);
	out[0] = (u32)take(w);		/* 0xec: the timer's, coalesced */
	msr_wr(w, EOI, 0);
	msr_wr(w, EOI, 0);		/* 0x90's EOI lets 0x81 in */
	out[1] = (u32)take(w);
	msr_wr(w, EOI, 0);
	out[2] = (u32)take(w);		/* 0x45, level-triggered */
	msr_wr(w, EOI, 0);
	out[3] = w->neoi ? w->eois[w->neoi - 1] : 0;
	vlapic_msr_read(&w->lapic, X2(TMCCT), &v);
	out[4] = (u32)v;
	msr_wr(w, ESR, 0);
	vlapic_msr_read(&w->lapic, X2(ESR), &v);
	out[5] = (u32)v;
	vlapic_msr_read(&w->lapic, X2(ICR_LO), &v);
	out[6] = (u32)(v >> 32);
	out[7] = vlapic_accepts_pic(&w->lapic) | vlapic_nmi_on_lint1(&w->lapic) << 1;
}

/*
 * An APIC restored into a VM whose clock was set to the saved time, a
 * second of host time later: its timer is due at the original's deadline
 * and fires there, its pending and in-service vectors come out in the
 * same order, the level-triggered EOI reaches the IO-APIC, and the
 * registers read the same.
 */
static void test_record_restore_behaves(void **state)
{
	struct guest_clock later = { 0 };
	struct world *w = *state, *copy;
	u32 want[8], got[8];
	u64 saved_at, due;
	u8 rec[512];
	int n;

	busy_lapic(w);
	n = save(w, rec, sizeof(rec));
	saved_at = fake_time_ns;
	fake_time_ns += NSEC_PER_SEC;
	guest_clock_set(&later, saved_at);
	copy = world_new(3, true, &later);
	assert_int_equal(vlapic_load(&copy->lapic, rec, (size_t)n, true, &(const char *){ 0 }), 0);
	due = vlapic_next_deadline(&w->lapic);
	assert_true(vlapic_next_deadline(&copy->lapic) == due);
	assert_int_equal(vlapic_pending(&copy->lapic), 0xec);
	assert_true(vlapic_next_deadline(&copy->lapic) == due);
	fake_time_ns = due + 100;
	script(w, due, want);
	fake_time_ns = guest_clock_to_host(&later, due + 100);
	script(copy, due, got);
	assert_int_equal(got[0], 0xec);
	assert_int_equal(got[1], 0x81);
	assert_int_equal(got[2], 0x45);
	assert_int_equal(got[3], 0x45);
	assert_memory_equal(got, want, sizeof(want));
	assert_int_equal(copy->neoi, 1);
	free(copy);
}

/* The state bad holds, saved and loaded into a fresh APIC with ID 3: refused for why. */
static void refused(const struct vlapic_state *bad, const char *why)
{
	struct world *src = world_new(3, true, &clock), *dst = world_new(3, true, &clock);
	u8 rec[512];
	int n;

	src->lapic.state = *bad;
	n = save(src, rec, sizeof(rec));
	assert_string_equal(snap_test_refused(lapic_load, &dst->lapic, &dst->lapic.state,
					      sizeof(dst->lapic.state), rec, (size_t)n, -EINVAL), why);
	free(src);
	free(dst);
}

static void test_record_refusals(void **state)
{
	struct world *w = *state, *x = world_new(3, true, &clock), *dst;
	struct vlapic_state good, xgood, bad;
	u8 rec[512];
	int n;

	busy_lapic(w);
	good = w->lapic.state;
	busy_xapic_deadline(x);
	xgood = x->lapic.state;
	n = save(w, rec, sizeof(rec));
	dst = world_new(3, true, &clock);
	snap_test_framing(lapic_load, &dst->lapic, &dst->lapic.state, sizeof(dst->lapic.state),
			  rec, (size_t)n);
	rec[SNAP_HDR_LEN + 184] = 2;	/* timer_armed: 8 bytes from the end */
	assert_int_equal(n, SNAP_HDR_LEN + 184 + 1 + 8);
	assert_string_equal(snap_test_refused(lapic_load, &dst->lapic, &dst->lapic.state,
					      sizeof(dst->lapic.state), rec, (size_t)n, -EINVAL),
			    "a boolean field is neither 0 nor 1");
	free(dst);
	free(x);

	bad = good, bad.id = 4;
	refused(&bad, "the record is another vCPU's APIC");
	bad = good, bad.apic_base &= ~BSP;
	refused(&bad, "the record is another vCPU's APIC");
	bad = good, bad.apic_base |= 1ull << 9;
	refused(&bad, "IA32_APIC_BASE has reserved bits set or another base");
	bad = good, bad.apic_base += 0x1000;
	refused(&bad, "IA32_APIC_BASE has reserved bits set or another base");
	bad = good, bad.apic_base &= ~EN;
	refused(&bad, "IA32_APIC_BASE has EXTD without EN");
	bad = good, bad.tpr = 0x100;
	refused(&bad, "the TPR has bits above 7 set");
	bad = good, bad.ldr = 0x01000001;
	refused(&bad, "the LDR has bits below 24 set");
	bad = good, bad.dfr = 0xf0000000;
	refused(&bad, "DFR bits 27:0 are not all ones");
	bad = good, bad.svr |= 1u << 12;
	refused(&bad, "the SVR has reserved bits set");
	bad = good, bad.irr[0] |= 1u << 2;
	refused(&bad, "an APIC vector 0-15 is requested or in service");
	bad = good, bad.isr[0] |= 1u << 15;
	refused(&bad, "an APIC vector 0-15 is requested or in service");
	bad = good, bad.tmr[0] |= 1u;
	refused(&bad, "an APIC vector 0-15 is requested or in service");
	bad = good, bad.esr_pending |= 1u << 7;
	refused(&bad, "the ESR holds an error this APIC never reports");
	bad = good, bad.esr = 1u;
	refused(&bad, "the ESR holds an error this APIC never reports");
	bad = good, bad.icr |= 1u << 12;
	refused(&bad, "the ICR has bits the APIC does not keep");
	bad = xgood, bad.icr |= 1ull << 32;	/* xAPIC: the destination is 8 bits */
	refused(&bad, "the ICR has bits the APIC does not keep");
	bad = good, bad.lvt[VLAPIC_LVT_TIMER] |= 1u << 13;
	refused(&bad, "an LVT entry has reserved bits set");
	bad = good, bad.svr &= ~0x100u;
	refused(&bad, "an LVT entry is unmasked while the APIC is software-disabled");
	bad = good, bad.timer_dcr = 0x4;
	refused(&bad, "the APIC timer's divide configuration has reserved bits set");
	bad = good, bad.timer_initial = 0;
	refused(&bad, "an APIC timer counts down from an initial count of 0");
	bad = good, bad.tsc_deadline = 5;
	refused(&bad, "the TSC deadline does not match the APIC timer's state");
	bad = xgood, bad.tsc_deadline = 0;
	refused(&bad, "the TSC deadline does not match the APIC timer's state");
}

/* One random thing a guest, the platform or time does to the APIC. */
static void random_step(struct world *w, u64 *seed)
{
	static const unsigned offs[] = { TPR, EOI, LDR, DFR, SVR, ESR, LVT_CMCI, ICR_LO, ICR_HI,
					 LVT_TIMER, LVT_THERMAL, LVT_LINT0, LVT_LINT1, LVT_ERROR,
					 TMICT, TDCR, SELF_IPI };
	static const u64 bases[] = { VLAPIC_BASE | EN, VLAPIC_BASE | EN | EXTD, VLAPIC_BASE };
	u32 r, v;

	*seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
	r = (u32)(*seed >> 32);
	v = (u32)*seed;
	fake_time_ns += (r >> 24) * 37;
	switch (r % 8) {
	case 0: wr(w, offs[(r >> 8) % ARRAY_SIZE(offs)], v); break;
	case 1: vlapic_msr_write(&w->lapic, X2(offs[(r >> 8) % ARRAY_SIZE(offs)]),
				 (r >> 12) & 1 ? v & 0x1fff : v); break;
	case 2: vlapic_set_irq(&w->lapic, (u8)v, (r >> 8) & 1); break;
	case 3: take(w); break;
	case 4: vlapic_tsc_deadline_write(&w->lapic, fake_time_ns + (v & 0xffff) * ((r >> 8) & 1)); break;
	case 5: if ((r >> 8) % 16 == 0) vlapic_apic_base_write(&w->lapic, bases[(r >> 12) % 3]); break;
	case 6: vlapic_tpr_write(&w->lapic, (u8)v); break;
	default: vlapic_advance(&w->lapic, fake_time_ns); break;
	}
}

/* Every state a random guest reaches loads back unchanged (no check
 * refuses a reachable state), saves to the same bytes and has the same
 * deadline. */
static void test_record_random_states(void **state)
{
	struct world *w = *state, *copy = world_new(3, true, &clock);
	u64 seed = 0xa91c;
	u8 a[512], b[512];

	enable(w);
	for (unsigned i = 0; i < 30000; i++) {
		int n;

		random_step(w, &seed);
		w->neoi = w->nipi = 0;
		n = save(w, a, sizeof(a));
		assert_int_equal(vlapic_load(&copy->lapic, a, (size_t)n, true, &(const char *){ 0 }), 0);
		assert_memory_equal(&copy->lapic.state, &w->lapic.state, sizeof(w->lapic.state));
		assert_int_equal(save(copy, b, sizeof(b)), n);
		assert_memory_equal(a, b, (size_t)n);
		assert_true(vlapic_next_deadline(&copy->lapic) == vlapic_next_deadline(&w->lapic));
	}
	free(copy);
}

#define LAPIC_TEST(f) cmocka_unit_test_setup_teardown(f, world_setup, world_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		LAPIC_TEST(test_reset_state),
		LAPIC_TEST(test_ap_reset),
		LAPIC_TEST(test_reserved_bits_masked),
		LAPIC_TEST(test_readonly_registers),
		LAPIC_TEST(test_mmio_hostile_accesses),
		LAPIC_TEST(test_mmio_ops),
		LAPIC_TEST(test_software_disabled),
		LAPIC_TEST(test_priority_and_tpr),
		LAPIC_TEST(test_isr_nesting_and_eoi_order),
		LAPIC_TEST(test_ack_needs_irr),
		LAPIC_TEST(test_level_triggered_eoi),
		LAPIC_TEST(test_illegal_vectors_and_esr),
		LAPIC_TEST(test_timer_one_shot),
		LAPIC_TEST(test_timer_divide_values),
		LAPIC_TEST(test_timer_periodic_without_drift),
		LAPIC_TEST(test_timer_masked_and_mode_change),
		LAPIC_TEST(test_timer_divide_change_mid_count),
		LAPIC_TEST(test_timer_due_before_write),
		LAPIC_TEST(test_timer_tsc_deadline),
		LAPIC_TEST(test_icr_self_and_shorthands),
		LAPIC_TEST(test_icr_destinations),
		LAPIC_TEST(test_icr_other_modes),
		LAPIC_TEST(test_icr_unwired),
		LAPIC_TEST(test_match_dest_xapic),
		LAPIC_TEST(test_lint_queries),
		LAPIC_TEST(test_apic_base_transitions),
		LAPIC_TEST(test_apic_base_relocation_ignored),
		LAPIC_TEST(test_disable_resets),
		LAPIC_TEST(test_x2apic_registers),
		LAPIC_TEST(test_x2apic_faults),
		LAPIC_TEST(test_x2apic_icr_and_self_ipi),
		LAPIC_TEST(test_match_dest_x2apic),
		LAPIC_TEST(test_init_reset),
		LAPIC_TEST(test_snapshot_restore),
		LAPIC_TEST(test_record_round_trip),
		LAPIC_TEST(test_record_restore_behaves),
		LAPIC_TEST(test_record_refusals),
		LAPIC_TEST(test_record_random_states),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
