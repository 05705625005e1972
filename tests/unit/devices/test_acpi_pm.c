/* Host tests for devices/acpi_pm.c against ACPI 6.5 section 4.8 (fixed hardware). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "fake_hw.h"
#include "devices/acpi_pm.h"
#include "lib/log.h"
#include "snap_test.h"

/* The console lib/log.c writes to: the last lines, kept to count warnings.
 * (Defined here rather than taken from fake_kernel.c, which drags in the
 * whole VM headers.) */
static char console[4096];
static size_t console_len;

void console_write(const char *s, size_t len)
{
	size_t n = MIN(len, sizeof(console) - 1 - console_len);

	memcpy(console + console_len, s, n);
	console_len += n;
	console[console_len] = 0;
}

static unsigned console_count(const char *needle)
{
	unsigned n = 0;

	for (const char *p = console; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* Register offsets and bits, written out from the spec tables, not the model. */
enum { STS = 0, EN = 2, CNT = 4, TMR = 8, RST = 12 };
#define TMR_STS    0x0001
#define PWRBTN_STS 0x0100
#define WAK_STS    0x8000
#define TMR_EN     0x0001
#define PWRBTN_EN  0x0100
#define SCI_EN     0x0001
#define SLP_EN     0x2000
#define SLP_TYP(t) ((t) << 10)

#define T0 1000000000000ull	/* the fake clock at power-on: 1000 s */

struct world {
	struct acpi_pm pm;
	unsigned power_offs, resets;
	bool levels[64];	/* every SCI level driven, in order */
	unsigned nlevels;
	unsigned line_seen;
};

static void world_power_off(void *ctx) { ((struct world *)ctx)->power_offs++; }
static void world_reset(void *ctx) { ((struct world *)ctx)->resets++; }

static void world_sci(void *ctx, unsigned line, bool level)
{
	struct world *w = ctx;

	assert_true(w->nlevels < ARRAY_SIZE(w->levels));
	w->levels[w->nlevels++] = level;
	w->line_seen = line;
}

static const struct guest_clock clock;

/* A fresh block on the VM clock c, wired to its own world; its SCI
 * levels are counted from after the init. */
static struct world *world_new(const struct guest_clock *c)
{
	struct world *w = calloc(1, sizeof(*w));
	struct acpi_pm_wiring wiring = {
		.power_off = world_power_off, .reset = world_reset, .ctx = w,
		.sci = { .set = world_sci, .ctx = w, .line = ACPI_PM_SCI_IRQ },
		.clock = c,
	};

	assert_non_null(w);
	acpi_pm_init(&w->pm, &wiring);
	return w;
}

static int world_setup(void **state)
{
	struct world *w;

	fake_time_ns = T0;
	console_len = 0;
	console[0] = 0;
	w = world_new(&clock);
	*state = w;
	return 0;
}

static int world_teardown(void **state)
{
	free(*state);
	return 0;
}

static u64 rd(struct world *w, unsigned off, unsigned size)
{
	return acpi_pm_io_ops.read(&w->pm, off, size);
}

static void wr(struct world *w, unsigned off, unsigned size, u64 val)
{
	acpi_pm_io_ops.write(&w->pm, off, size, val);
}

static bool sci_now(const struct world *w)
{
	return w->nlevels && w->levels[w->nlevels - 1];
}

/* The first nanosecond after power-on at which the timer has counted `ticks`:
 * ceil(ticks * 10^9 / 3579545), computed wide here, independently of the model. */
static u64 ns_for_ticks(u64 ticks)
{
	unsigned __int128 num = (unsigned __int128)ticks * 1000000000u;

	return (u64)((num + 3579545 - 1) / 3579545);
}

static void test_power_on_values(void **state)
{
	struct world *w = *state;

	assert_int_equal(rd(w, STS, 2), 0);
	assert_int_equal(rd(w, EN, 2), 0);
	assert_int_equal(rd(w, CNT, 2), SCI_EN);
	assert_int_equal(rd(w, TMR, 4), 0);
	assert_int_equal(rd(w, RST, 1), 0);
	assert_false(sci_now(w));
	assert_int_equal(w->line_seen, 9);
	assert_int_equal(ACPI_PM_BASE, 0x600);
	assert_int_equal(ACPI_PM_LEN, 16);
}

static void test_sci_en_always_set(void **state)
{
	struct world *w = *state;

	wr(w, CNT, 2, 0);
	assert_int_equal(rd(w, CNT, 2), SCI_EN);
	wr(w, CNT, 1, 0xfe);
	assert_int_equal(rd(w, CNT, 1), 0x03);	/* SCI_EN | BM_RLD */
	wr(w, CNT, 2, 0xffff & ~SLP_EN);
	/* SCI_EN, BM_RLD and SLP_TYP stick; GBL_RLS, SLP_EN and reserved bits do not. */
	assert_int_equal(rd(w, CNT, 2), 0x1c03);
	assert_int_equal(w->power_offs, 0);
}

static void test_timer_frequency(void **state)
{
	struct world *w = *state;

	fake_time_ns = T0 + 279;	/* one tick is 279.37 ns */
	assert_int_equal(rd(w, TMR, 4), 0);
	fake_time_ns = T0 + 280;
	assert_int_equal(rd(w, TMR, 4), 1);
	fake_time_ns = T0 + 1000000000;
	assert_int_equal(rd(w, TMR, 4), 3579545);
	fake_time_ns = T0 + 3600ull * 1000000000;	/* an hour: 12886362000 ticks, wrapped */
	assert_int_equal(rd(w, TMR, 4), (u32)12886362000ull);
}

static void test_timer_wraps_at_32_bits(void **state)
{
	struct world *w = *state;

	fake_time_ns = T0 + ns_for_ticks(0xffffffffull);
	assert_int_equal(rd(w, TMR, 4), 0xffffffff);
	fake_time_ns = T0 + ns_for_ticks(0x100000005ull);
	assert_int_equal(rd(w, TMR, 4), 5);
	/* Long uptimes: ten days of ticks, no overflow in the conversion. */
	fake_time_ns = T0 + ns_for_ticks(3579545ull * 864000 + 7);
	assert_int_equal(rd(w, TMR, 4), (u32)(3579545ull * 864000 + 7));
}

static void test_timer_narrow_reads(void **state)
{
	struct world *w = *state;

	fake_time_ns = T0 + ns_for_ticks(0xa1b2c3d4);
	assert_int_equal(rd(w, TMR, 1), 0xd4);
	assert_int_equal(rd(w, TMR + 1, 1), 0xc3);
	assert_int_equal(rd(w, TMR + 2, 1), 0xb2);
	assert_int_equal(rd(w, TMR + 3, 1), 0xa1);
	assert_int_equal(rd(w, TMR, 2), 0xc3d4);
	assert_int_equal(rd(w, TMR + 2, 2), 0xa1b2);
	assert_int_equal(rd(w, TMR + 1, 2), 0xb2c3);
}

static void test_timer_read_only(void **state)
{
	struct world *w = *state;

	fake_time_ns = T0 + 1000000000;
	wr(w, TMR, 4, 0x12345678);
	wr(w, TMR + 2, 2, 0xffff);
	assert_int_equal(rd(w, TMR, 4), 3579545);
}

static void test_tmr_sts_on_bit31_change(void **state)
{
	struct world *w = *state;

	fake_time_ns = T0 + ns_for_ticks(0x80000000ull) - 1;
	assert_int_equal(rd(w, STS, 2) & TMR_STS, 0);
	fake_time_ns++;
	assert_int_equal(rd(w, STS, 2), TMR_STS);	/* 0 -> 1 */
	wr(w, STS, 2, TMR_STS);
	assert_int_equal(rd(w, STS, 2), 0);
	fake_time_ns = T0 + ns_for_ticks(0xffffffffull);
	assert_int_equal(rd(w, STS, 2), 0);
	fake_time_ns = T0 + ns_for_ticks(0x100000000ull);
	assert_int_equal(rd(w, STS, 2), TMR_STS);	/* 1 -> 0 counts too */
	assert_false(sci_now(w));			/* TMR_EN is clear */
}

static void test_tmr_en_deadline_and_sci(void **state)
{
	struct world *w = *state;
	u64 first = T0 + ns_for_ticks(0x80000000ull);

	assert_int_equal(acpi_pm_next_deadline(&w->pm), UINT64_MAX);
	wr(w, EN, 2, TMR_EN);
	assert_int_equal(acpi_pm_next_deadline(&w->pm), first);
	acpi_pm_advance(&w->pm, first - 1);
	assert_false(sci_now(w));
	acpi_pm_advance(&w->pm, first);
	assert_true(sci_now(w));
	assert_int_equal(acpi_pm_next_deadline(&w->pm), UINT64_MAX);	/* level held */

	fake_time_ns = first + 5;
	wr(w, STS, 2, TMR_STS);
	assert_false(sci_now(w));
	assert_int_equal(acpi_pm_next_deadline(&w->pm), T0 + ns_for_ticks(0x100000000ull));
	wr(w, EN, 2, 0);
	assert_int_equal(acpi_pm_next_deadline(&w->pm), UINT64_MAX);
}

/* A late advance still sets TMR_STS once; the carry seen by a read needs no advance. */
static void test_tmr_sts_seen_late(void **state)
{
	struct world *w = *state;

	wr(w, EN, 2, TMR_EN);
	fake_time_ns = T0 + ns_for_ticks(0x180000000ull);	/* three carries missed */
	assert_int_equal(rd(w, STS, 2), TMR_STS);
	assert_true(sci_now(w));
	wr(w, STS, 2, TMR_STS);
	assert_false(sci_now(w));
	assert_int_equal(acpi_pm_next_deadline(&w->pm), T0 + ns_for_ticks(0x200000000ull));
}

static void test_power_button(void **state)
{
	struct world *w = *state;

	acpi_pm_power_button(&w->pm);
	assert_int_equal(rd(w, STS, 2), PWRBTN_STS);
	assert_false(sci_now(w));		/* not enabled */
	wr(w, EN, 2, PWRBTN_EN);
	assert_true(sci_now(w));
	assert_int_equal(w->line_seen, 9);
	wr(w, STS, 2, 0);			/* zeros clear nothing */
	assert_true(sci_now(w));
	wr(w, STS, 2, PWRBTN_STS);
	assert_int_equal(rd(w, STS, 2), 0);
	assert_false(sci_now(w));
	acpi_pm_power_button(&w->pm);
	assert_true(sci_now(w));
}

static void test_enable_mask(void **state)
{
	struct world *w = *state;

	wr(w, EN, 2, 0xffff);
	/* TMR_EN, GBL_EN, PWRBTN_EN, SLPBTN_EN, RTC_EN; reserved bits read 0. */
	assert_int_equal(rd(w, EN, 2), 0x0721);
	wr(w, STS, 2, 0xffff);			/* nothing to clear, nothing set */
	assert_int_equal(rd(w, STS, 2), 0);
	assert_false(sci_now(w));
}

/* A dword write at the event block writes PM1_STS (W1C) and PM1_EN at once. */
static void test_dword_event_block(void **state)
{
	struct world *w = *state;

	acpi_pm_power_button(&w->pm);
	wr(w, STS, 4, (u32)PWRBTN_EN << 16 | PWRBTN_STS);
	assert_int_equal(rd(w, STS, 4), (u32)PWRBTN_EN << 16);
	assert_false(sci_now(w));
	acpi_pm_power_button(&w->pm);
	assert_int_equal(rd(w, STS, 4), (u32)PWRBTN_EN << 16 | PWRBTN_STS);
}

static void test_byte_lanes(void **state)
{
	struct world *w = *state;

	wr(w, EN, 2, TMR_EN);
	wr(w, EN + 1, 1, 0x01);			/* high byte only: PWRBTN_EN */
	assert_int_equal(rd(w, EN, 2), PWRBTN_EN | TMR_EN);
	wr(w, EN, 1, 0x00);			/* low byte only: TMR_EN off */
	assert_int_equal(rd(w, EN, 2), PWRBTN_EN);
	acpi_pm_power_button(&w->pm);
	assert_int_equal(rd(w, STS + 1, 1), 0x01);
	assert_int_equal(rd(w, STS, 1), 0x00);
	wr(w, STS, 1, 0xff);			/* the low byte cannot clear bit 8 */
	assert_int_equal(rd(w, STS, 2), PWRBTN_STS);
	wr(w, STS + 1, 1, 0x01);
	assert_int_equal(rd(w, STS, 2), 0);
	/* A word across PM1_EN's high byte and PM1_CNT's low byte. */
	assert_int_equal(rd(w, EN + 1, 2), SCI_EN << 8 | 0x01);
}

static void test_s5_power_off(void **state)
{
	struct world *w = *state;

	/* What ACPICA does: SLP_TYP first, then SLP_TYP | SLP_EN. */
	wr(w, CNT, 2, SLP_TYP(ACPI_PM_S5_SLP_TYP) | SCI_EN);
	assert_int_equal(w->power_offs, 0);
	assert_int_equal(rd(w, CNT, 2), SLP_TYP(ACPI_PM_S5_SLP_TYP) | SCI_EN);
	wr(w, CNT, 2, SLP_TYP(ACPI_PM_S5_SLP_TYP) | SLP_EN | SCI_EN);
	assert_int_equal(w->power_offs, 1);
	assert_int_equal(rd(w, CNT, 2) & SLP_EN, 0);	/* write-only */
}

static void test_s5_by_byte_write(void **state)
{
	struct world *w = *state;

	wr(w, CNT + 1, 1, (SLP_TYP(ACPI_PM_S5_SLP_TYP) | SLP_EN) >> 8);
	assert_int_equal(w->power_offs, 1);
	/* SLP_EN alone in the high byte keeps the SLP_TYP already there. */
	wr(w, CNT + 1, 1, (SLP_TYP(ACPI_PM_S5_SLP_TYP) | SLP_EN) >> 8);
	assert_int_equal(w->power_offs, 2);
	/* A dword write from offset 4 reaches PM1_CNT too. */
	wr(w, CNT, 4, SLP_TYP(ACPI_PM_S5_SLP_TYP) | SLP_EN);
	assert_int_equal(w->power_offs, 3);
}

static void test_other_sleep_types_ignored(void **state)
{
	struct world *w = *state;

	for (unsigned typ = 0; typ < 8; typ++) {
		if (typ == ACPI_PM_S5_SLP_TYP)
			continue;
		wr(w, CNT, 2, SLP_TYP(typ) | SLP_EN);
	}
	assert_int_equal(w->power_offs, 0);
	assert_int_equal(rd(w, STS, 2), WAK_STS);	/* "woke" at once */
	assert_false(sci_now(w));			/* WAK_STS has no enable */
	assert_int_equal(console_count("sleep type"), 1);	/* logged once */
	wr(w, STS, 2, WAK_STS);
	assert_int_equal(rd(w, STS, 2), 0);
}

static void test_reset_register(void **state)
{
	struct world *w = *state;

	wr(w, RST, 1, 0x02);
	wr(w, RST, 1, 0x00);
	wr(w, RST, 1, 0xff);
	assert_int_equal(w->resets, 0);
	wr(w, RST, 1, ACPI_PM_RESET_VALUE);
	assert_int_equal(w->resets, 1);
	wr(w, RST, 2, 0xff01);			/* the byte at 0x0c is what counts */
	assert_int_equal(w->resets, 2);
	wr(w, TMR, 4, 0x01010101);		/* the timer bytes are not the reset register */
	wr(w, RST + 1, 1, ACPI_PM_RESET_VALUE);
	assert_int_equal(w->resets, 2);
	assert_int_equal(rd(w, RST, 4), 0);
}

/* Offsets past the block, 8-byte accesses, callbacks left NULL. */
static void test_hostile_accesses(void **state)
{
	struct world *w = *state;
	struct acpi_pm bare;

	assert_int_equal(rd(w, 14, 4), 0xffff0000);	/* bytes 16, 17 absent */
	assert_int_equal(rd(w, 200, 1), 0xff);
	wr(w, 15, 4, ~0ull);
	wr(w, 1000, 8, ~0ull);
	/* All ones over STS, EN and CNT: SLP_EN with SLP_TYP 7, which is not S5. */
	wr(w, 0, 8, ~0ull);
	assert_int_equal(w->power_offs, 0);
	assert_int_equal(rd(w, 0, 8), 0x00001c0307218000ull);	/* WAK_STS, EN, CNT */

	acpi_pm_init(&bare, &(struct acpi_pm_wiring){ .clock = &clock });
	acpi_pm_io_ops.write(&bare, CNT, 2, SLP_TYP(ACPI_PM_S5_SLP_TYP) | SLP_EN);
	acpi_pm_io_ops.write(&bare, RST, 1, ACPI_PM_RESET_VALUE);
	acpi_pm_power_button(&bare);
}

static void test_snapshot_restore(void **state)
{
	struct world *w = *state;
	struct acpi_pm_state saved;
	struct world *w2;

	wr(w, EN, 2, PWRBTN_EN);
	acpi_pm_power_button(&w->pm);
	fake_time_ns = T0 + 1000000000;
	saved = w->pm.state;

	world_setup((void **)&w2);
	w2->pm.state = saved;
	acpi_pm_irq_sync(&w2->pm);
	assert_true(sci_now(w2));
	assert_int_equal(rd(w2, STS, 2), PWRBTN_STS);
	fake_time_ns = T0 + 2000000000;
	assert_int_equal(rd(w2, TMR, 4), 2 * 3579545);
	world_teardown((void **)&w2);
}

/* --- state records ------------------------------------------------------- */

static int pm_load(void *dev, const void *buf, size_t len, bool apply, const char **why)
{
	return acpi_pm_load(dev, buf, len, apply, why);
}

static int save(const struct world *w, u8 *buf, size_t len)
{
	int n = acpi_pm_save(&w->pm, buf, len);

	assert_true(n > SNAP_HDR_LEN);
	return n;
}

/*
 * 700 s on (one carry of the timer's bit 31), TMR_EN and PWRBTN_EN set,
 * the power button pressed (SCI up), a refused sleep (WAK_STS), BM_RLD
 * and SLP_TYP 3 left in PM1_CNT, the carry acknowledged.
 */
static void busy_pm(struct world *w)
{
	wr(w, EN, 2, TMR_EN | PWRBTN_EN);
	wr(w, CNT, 2, SLP_TYP(3) | SLP_EN | 0x2);
	fake_time_ns = T0 + 700 * NSEC_PER_SEC;
	acpi_pm_advance(&w->pm, fake_time_ns);
	wr(w, STS, 2, TMR_STS);
	acpi_pm_power_button(&w->pm);
	assert_int_equal(rd(w, STS, 2), PWRBTN_STS | WAK_STS);
	assert_true(sci_now(w));
	assert_int_equal(w->pm.state.tmr_halves, 1);
}

static void test_record_round_trip(void **state)
{
	struct world *w = *state, *copy = world_new(&clock);
	u8 a[128], b[128];
	const char *why = "unset";
	int n;

	busy_pm(w);
	n = save(w, a, sizeof(a));
	assert_int_equal(acpi_pm_load(&copy->pm, a, (size_t)n, true, &why), 0);
	assert_null(why);
	assert_int_equal(save(copy, b, sizeof(b)), n);
	assert_memory_equal(a, b, (size_t)n);
	assert_memory_equal(&copy->pm.state, &w->pm.state, sizeof(w->pm.state));
	assert_int_equal(acpi_pm_save(&w->pm, a, (size_t)n - 1), -ENOSPC);
	/* 570 years of uptime: the carry count near the largest the clock allows. */
	fake_time_ns = 18000000000000000000ull;
	acpi_pm_advance(&w->pm, fake_time_ns);
	assert_true(w->pm.state.tmr_halves > 30000000);
	n = save(w, a, sizeof(a));
	assert_int_equal(acpi_pm_load(&copy->pm, a, (size_t)n, true, &why), 0);
	assert_memory_equal(&copy->pm.state, &w->pm.state, sizeof(w->pm.state));
	free(copy);
}

/*
 * A block restored into a VM whose clock was set to the saved time, an
 * hour of host time later: the SCI is up at once (acpi_pm_irq_sync ran),
 * the registers and the timer read as the original's, and the next carry
 * of bit 31 comes at the original's deadline with an SCI.
 */
static void test_record_restore_behaves(void **state)
{
	struct guest_clock later = { 0 };
	struct world *w = *state, *copy;
	u64 saved_at, due, block, timer;
	u8 rec[128];
	int n;

	busy_pm(w);
	n = save(w, rec, sizeof(rec));
	saved_at = fake_time_ns;
	fake_time_ns += 3600 * NSEC_PER_SEC;
	guest_clock_set(&later, saved_at);
	copy = world_new(&later);
	copy->nlevels = 0;
	assert_int_equal(acpi_pm_load(&copy->pm, rec, (size_t)n, true, &(const char *){ 0 }), 0);
	assert_int_equal(copy->nlevels, 1);
	assert_true(copy->levels[0]);
	assert_int_equal(copy->line_seen, ACPI_PM_SCI_IRQ);
	fake_time_ns = guest_clock_to_host(&later, saved_at + 12345);
	block = rd(copy, 0, 8);
	timer = rd(copy, TMR, 4);
	fake_time_ns = saved_at + 12345;	/* the original's clock: offset 0 */
	assert_int_equal(block, rd(w, 0, 8));
	assert_int_equal(timer, rd(w, TMR, 4));
	fake_time_ns = guest_clock_to_host(&later, saved_at);
	wr(copy, STS, 2, PWRBTN_STS | WAK_STS);
	assert_false(sci_now(copy));
	fake_time_ns = saved_at;
	wr(w, STS, 2, PWRBTN_STS | WAK_STS);
	due = acpi_pm_next_deadline(&w->pm);
	assert_true(due != UINT64_MAX);
	assert_true(acpi_pm_next_deadline(&copy->pm) == due);
	acpi_pm_advance(&copy->pm, due - 1);
	assert_false(sci_now(copy));
	acpi_pm_advance(&copy->pm, due);
	acpi_pm_advance(&w->pm, due);
	assert_true(sci_now(copy));
	assert_int_equal(copy->pm.state.sts, w->pm.state.sts);
	free(copy);
}

/* The state bad holds, saved and loaded into a fresh block: refused for
 * why, and the SCI not driven. */
static void refused(const struct acpi_pm_state *bad, const char *why)
{
	struct world *src = world_new(&clock), *dst = world_new(&clock);
	u8 rec[128];
	int n;

	src->pm.state = *bad;
	n = save(src, rec, sizeof(rec));
	dst->nlevels = 0;
	assert_string_equal(snap_test_refused(pm_load, &dst->pm, &dst->pm.state,
					      sizeof(dst->pm.state), rec, (size_t)n, -EINVAL), why);
	assert_int_equal(dst->nlevels, 0);
	free(src);
	free(dst);
}

static void test_record_refusals(void **state)
{
	struct world *w = *state, *dst = world_new(&clock);
	struct acpi_pm_state good, bad;
	u8 rec[128];
	int n;

	busy_pm(w);
	good = w->pm.state;
	n = save(w, rec, sizeof(rec));
	dst->nlevels = 0;
	snap_test_framing(pm_load, &dst->pm, &dst->pm.state, sizeof(dst->pm.state), rec,
			  (size_t)n);
	assert_int_equal(dst->nlevels, 0);
	rec[n - 1] = 2;		/* sci_level, the last byte */
	assert_string_equal(snap_test_refused(pm_load, &dst->pm, &dst->pm.state,
					      sizeof(dst->pm.state), rec, (size_t)n, -EINVAL),
			    "a boolean field is neither 0 nor 1");
	free(dst);

	bad = good, bad.sts |= 0x0002;
	refused(&bad, "PM1_STS has bits this hardware never sets");
	bad = good, bad.en |= 0x0002;
	refused(&bad, "PM1_EN has reserved bits set");
	bad = good, bad.cnt |= SCI_EN;
	refused(&bad, "PM1_CNT has bits other than BM_RLD and SLP_TYP");
	bad = good, bad.cnt |= SLP_EN;
	refused(&bad, "PM1_CNT has bits other than BM_RLD and SLP_TYP");
	bad = good, bad.tmr_halves = UINT64_MAX >> 31;
	refused(&bad, "the PM timer's carry count is beyond the guest clock's range");
}

/*
 * A random guest (accesses of any width anywhere in the block), the power
 * button and time, sometimes hours at a time: every state loads back
 * unchanged (no check refuses a reachable state), saves to the same bytes
 * and has the same deadline.
 */
static void test_record_random_states(void **state)
{
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	struct world *w = *state, *copy = world_new(&clock);
	u64 seed = 0xac91;
	u8 a[128], b[128];

	for (unsigned i = 0; i < 20000; i++) {
		u32 r, v;
		int n;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		r = (u32)(seed >> 32);
		v = (u32)seed & ~(u32)(SLP_EN | SLP_TYP(ACPI_PM_S5_SLP_TYP));
		fake_time_ns += r % 16 == 0 ? (r >> 8) % 7200 * NSEC_PER_SEC : (r >> 8) % 1000;
		switch (r % 4) {
		case 0: wr(w, (r >> 4) % 16, sizes[(r >> 8) % 4], v); break;
		case 1: rd(w, (r >> 4) % 16, sizes[(r >> 8) % 4]); break;
		case 2: acpi_pm_power_button(&w->pm); break;
		default: acpi_pm_advance(&w->pm, fake_time_ns); break;
		}
		w->nlevels = copy->nlevels = 0;
		n = save(w, a, sizeof(a));
		assert_int_equal(acpi_pm_load(&copy->pm, a, (size_t)n, true, &(const char *){ 0 }), 0);
		assert_memory_equal(&copy->pm.state, &w->pm.state, sizeof(w->pm.state));
		assert_int_equal(save(copy, b, sizeof(b)), n);
		assert_memory_equal(a, b, (size_t)n);
		assert_true(acpi_pm_next_deadline(&copy->pm) == acpi_pm_next_deadline(&w->pm));
	}
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, world_setup, world_teardown)
		T(test_power_on_values),
		T(test_sci_en_always_set),
		T(test_timer_frequency),
		T(test_timer_wraps_at_32_bits),
		T(test_timer_narrow_reads),
		T(test_timer_read_only),
		T(test_tmr_sts_on_bit31_change),
		T(test_tmr_en_deadline_and_sci),
		T(test_tmr_sts_seen_late),
		T(test_power_button),
		T(test_enable_mask),
		T(test_dword_event_block),
		T(test_byte_lanes),
		T(test_s5_power_off),
		T(test_s5_by_byte_write),
		T(test_other_sleep_types_ignored),
		T(test_reset_register),
		T(test_hostile_accesses),
		T(test_snapshot_restore),
		T(test_record_round_trip),
		T(test_record_restore_behaves),
		T(test_record_refusals),
		T(test_record_random_states),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
