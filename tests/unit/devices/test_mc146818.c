/*
 * Host tests for devices/mc146818.c against the MC146818A datasheet, over
 * the fake clock, and for the sequences of Linux's mc146818-lib
 * (mc146818_get_time with mc146818_avoid_UIP, mc146818_set_time) and
 * rtc-cmos interrupt handling (read register C in the handler).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "devices/mc146818.h"
#include "fake_hw.h"
#include "snap_test.h"

enum { SEC = 0, SEC_ALARM = 1, MIN = 2, MIN_ALARM = 3, HOUR = 4, HOUR_ALARM = 5,
       WDAY = 6, MDAY = 7, MONTH = 8, YEAR = 9, REG_A = 0x0a, REG_B = 0x0b,
       REG_C = 0x0c, REG_D = 0x0d, CENTURY = 0x32 };

#define T0	1000000000000ull	/* init time: 1000 s */
#define MS	1000000ull
#define LEAP_EVE 1709251198ull		/* 2024-02-29 23:59:58 UTC, a Thursday */

static struct mc146818 rtc;
static bool line;
static unsigned raises;

static void irq8_set(void *ctx, unsigned l, bool level)
{
	assert_int_equal(l, 8);
	assert_true(level != line);	/* the model only reports changes */
	raises += level;
	line = level;
}

static struct guest_clock clock;

static int setup(void **state)
{
	struct mc146818_wiring w = { .irq = { .set = irq8_set, .ctx = NULL, .line = 8 }, .clock = &clock };

	fake_time_ns = T0;
	line = false;
	raises = 0;
	mc146818_init(&rtc, LEAP_EVE, &w);
	return 0;
}

static u8 rd(unsigned idx)
{
	mc146818_write(&rtc, 0, (u8)idx);
	return mc146818_read(&rtc, 1);
}

static void wr(unsigned idx, u8 val)
{
	mc146818_write(&rtc, 0, (u8)idx);
	mc146818_write(&rtc, 1, val);
}

static void at(u64 ns_after_init)
{
	fake_time_ns = T0 + ns_after_init;
}

static void advance(void)
{
	mc146818_advance(&rtc, fake_time_ns);
}

/* Instant of the k-th update after init: the chain started at T0. */
static u64 update(u64 k)
{
	return k * 1000 * MS - 500 * MS;
}

static void expect_time(u8 year, u8 month, u8 mday, u8 wday, u8 hour, u8 min, u8 sec)
{
	assert_int_equal(rd(SEC), sec);
	assert_int_equal(rd(MIN), min);
	assert_int_equal(rd(HOUR), hour);
	assert_int_equal(rd(WDAY), wday);
	assert_int_equal(rd(MDAY), mday);
	assert_int_equal(rd(MONTH), month);
	assert_int_equal(rd(YEAR), year);
}

static void test_reset_state(void **state)
{
	expect_time(0x24, 0x02, 0x29, 5, 0x23, 0x59, 0x58);	/* Thursday is 5 */
	assert_int_equal(rd(CENTURY), 0x20);
	assert_int_equal(rd(REG_A), 0x26);
	assert_int_equal(rd(REG_B), 0x02);		/* BCD, 24-hour */
	assert_int_equal(rd(REG_C), 0x00);
	assert_int_equal(rd(REG_D), 0x80);		/* VRT */
	assert_int_equal(mc146818_next_deadline(&rtc), UINT64_MAX);
	assert_false(line);
}

/* The first update is half a second after the divider starts. */
static void test_updates_and_rollover(void **state)
{
	at(update(1) - 1);
	assert_int_equal(rd(SEC), 0x58);
	at(update(1));
	assert_int_equal(rd(SEC), 0x59);
	at(update(2));				/* into March 1st, a Friday */
	expect_time(0x24, 0x03, 0x01, 6, 0x00, 0x00, 0x00);
	at(update(2) + 999 * MS);
	assert_int_equal(rd(SEC), 0x00);
	at(update(3));
	assert_int_equal(rd(SEC), 0x01);
	at(update(3 + 86400 * 366));		/* a leap year later */
	expect_time(0x25, 0x03, 0x02, 1, 0x00, 0x00, 0x01);
}

static void test_uip_window(void **state)
{
	at(update(1) - 245000);
	assert_int_equal(rd(REG_A) & 0x80, 0);
	at(update(1) - 244000);
	assert_int_equal(rd(REG_A), 0xa6);
	at(update(1) - 1);
	assert_int_equal(rd(REG_A) & 0x80, 0x80);
	assert_int_equal(rd(SEC), 0x58);	/* not yet updated */
	at(update(1));
	assert_int_equal(rd(REG_A) & 0x80, 0);
	at(update(5) - 100000);
	assert_int_equal(rd(REG_A) & 0x80, 0x80);
	wr(REG_B, 0x82);			/* SET clears UIP */
	assert_int_equal(rd(REG_A) & 0x80, 0);
	wr(REG_A, 0xa6);			/* UIP is read-only */
	wr(REG_B, 0x02);
	at(update(6) - 300000);
	assert_int_equal(rd(REG_A), 0x26);
}

/*
 * mc146818_avoid_UIP(): poll UIP, read seconds, read the rest, check UIP
 * and seconds again. Started anywhere in a second it must get a
 * consistent time within its 10 tries, 1 ms apart.
 */
static void test_linux_get_time(void **state)
{
	u64 start;

	for (start = 0; start < 2000 * MS; start += 37 * MS / 10) {
		unsigned tries;
		bool ok = false;

		at(update(3) + start);
		for (tries = 0; tries < 10 && !ok; tries++) {
			u8 sec, min;

			if (rd(REG_A) & 0x80) {
				fake_time_ns += MS;
				continue;
			}
			sec = rd(SEC);
			fake_time_ns += 20000;
			min = rd(MIN);
			if (rd(REG_A) & 0x80 || sec != rd(SEC)) {
				fake_time_ns += MS;
				continue;
			}
			ok = true;
			assert_true(min == 0x00);
		}
		assert_true(ok);
	}
}

static void test_binary_mode(void **state)
{
	wr(REG_B, 0x06);
	expect_time(24, 2, 29, 5, 23, 59, 58);
	assert_int_equal(rd(CENTURY), 20);
	wr(REG_B, 0x02);
	assert_int_equal(rd(SEC), 0x58);
}

/* 12-hour mode: hours 1-12 with bit 7 for PM. */
static void test_12_hour_mode(void **state)
{
	static const struct { u8 bcd24, bcd12, bin12; } map[] = {
		{ 0x00, 0x12, 12 }, { 0x01, 0x01, 1 }, { 0x11, 0x11, 11 },
		{ 0x12, 0x92, 0x80 | 12 }, { 0x13, 0x81, 0x80 | 1 }, { 0x23, 0x91, 0x80 | 11 },
	};
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(map); i++) {
		wr(REG_B, 0x82);
		wr(HOUR, map[i].bcd24);
		wr(REG_B, 0x02);
		wr(REG_B, 0x00);
		assert_int_equal(rd(HOUR), map[i].bcd12);
		wr(REG_B, 0x04);
		assert_int_equal(rd(HOUR), map[i].bin12);
		/* And written in 12-hour form, read back in 24. */
		wr(REG_B, 0x00);
		wr(REG_B, 0x80);
		wr(HOUR, map[i].bcd12);
		wr(REG_B, 0x00);
		wr(REG_B, 0x02);
		assert_int_equal(rd(HOUR), map[i].bcd24);
	}
}

/*
 * mc146818_set_time(): SET, divider reset, write the fields, clear SET,
 * restart the divider. The clock shows the written time until the first
 * update half a second later.
 */
static void test_linux_set_time(void **state)
{
	u8 ctrl, freq;

	at(3700 * MS);
	ctrl = rd(REG_B);
	wr(REG_B, ctrl | 0x80);
	freq = rd(REG_A);
	wr(REG_A, freq | 0x70);
	wr(YEAR, 0x26);
	wr(MONTH, 0x01);
	wr(MDAY, 0x01);
	wr(HOUR, 0x00);
	wr(MIN, 0x00);
	wr(SEC, 0x00);
	assert_int_equal(rd(SEC), 0x00);	/* the written bytes while SET */
	at(9000 * MS);
	assert_int_equal(rd(SEC), 0x00);	/* no updates while SET */
	wr(REG_B, ctrl);
	at(9100 * MS);
	expect_time(0x26, 0x01, 0x01, 5, 0x00, 0x00, 0x00);	/* frozen: divider reset */
	wr(REG_A, freq);			/* chain restarts at 9.1 s */
	at(9599 * MS);
	assert_int_equal(rd(SEC), 0x00);
	at(9600 * MS);
	assert_int_equal(rd(SEC), 0x01);
	assert_int_equal(rd(CENTURY), 0x20);
	at(9600 * MS + 86400ull * 1000 * MS);
	expect_time(0x26, 0x01, 0x02, 6, 0x00, 0x00, 0x01);
}

/* With the divider running, a SET cycle keeps its phase. */
static void test_set_keeps_phase(void **state)
{
	at(update(2) + 300 * MS);
	wr(REG_B, 0x82);
	wr(SEC, 0x30);
	wr(MIN, 0x15);
	wr(HOUR, 0x10);
	at(update(4) + 100 * MS);
	wr(REG_B, 0x02);
	assert_int_equal(rd(SEC), 0x30);
	at(update(5) - 1);
	assert_int_equal(rd(SEC), 0x30);
	at(update(5));
	assert_int_equal(rd(SEC), 0x31);
	assert_int_equal(rd(MIN), 0x15);
	assert_int_equal(rd(HOUR), 0x10);
	assert_int_equal(rd(MDAY), 0x01);	/* the date came from the clock */
}

/* A time byte written with SET clear takes effect at once. */
static void test_write_without_set(void **state)
{
	at(update(1) + 10 * MS);
	wr(MIN, 0x30);
	assert_int_equal(rd(MIN), 0x30);
	assert_int_equal(rd(SEC), 0x59);
	assert_int_equal(rd(HOUR), 0x23);
	at(update(2));
	assert_int_equal(rd(MIN), 0x31);
	assert_int_equal(rd(SEC), 0x00);
}

static void test_century(void **state)
{
	wr(REG_B, 0x82);
	wr(CENTURY, 0x21);
	wr(YEAR, 0x05);
	wr(REG_B, 0x02);
	assert_int_equal(rd(YEAR), 0x05);
	assert_int_equal(rd(CENTURY), 0x21);
	/* Century 19 with year 69 is taken as 2069, as Linux reads it. */
	wr(REG_B, 0x82);
	wr(CENTURY, 0x19);
	wr(YEAR, 0x69);
	wr(REG_B, 0x02);
	assert_int_equal(rd(CENTURY), 0x20);
	assert_int_equal(rd(YEAR), 0x69);
	wr(REG_B, 0x82);
	wr(CENTURY, 0x19);
	wr(YEAR, 0x99);
	wr(REG_B, 0x02);
	assert_int_equal(rd(CENTURY), 0x19);
	/* A century byte of garbage means 19xx/20xx from the year alone. */
	wr(REG_B, 0x82);
	wr(CENTURY, 0x00);
	wr(YEAR, 0x24);
	wr(REG_B, 0x02);
	assert_int_equal(rd(CENTURY), 0x20);
	assert_int_equal(rd(YEAR), 0x24);
}

/* Hostile time bytes: the clock keeps running on saturated values. */
static void test_garbage_time(void **state)
{
	wr(REG_B, 0x82);
	wr(SEC, 0xff);
	wr(MIN, 0xaa);
	wr(HOUR, 0x99);
	wr(MDAY, 0x00);
	wr(MONTH, 0x13);
	wr(YEAR, 0xfa);
	assert_int_equal(rd(MONTH), 0x13);	/* raw while SET */
	wr(REG_B, 0x02);
	expect_time(0x99, 0x12, 0x01, 3, 0x00, 0x59, 0x59);	/* a Tuesday */
	at(update(1));
	expect_time(0x99, 0x12, 0x01, 3, 0x01, 0x00, 0x00);
}

/* Periodic interrupt at 1024 Hz (rate 6), IRQ held until register C is read. */
static void test_periodic(void **state)
{
	u64 deadline;

	wr(REG_B, 0x42);
	deadline = mc146818_next_deadline(&rtc);
	assert_true(deadline == T0 + 976563);		/* 1/1024 s, rounded up */
	fake_time_ns = deadline - 1;
	advance();
	assert_false(line);
	fake_time_ns = deadline;
	advance();
	assert_true(line);
	assert_int_equal(raises, 1);
	assert_int_equal(mc146818_next_deadline(&rtc), UINT64_MAX);	/* until C is read */
	at(50 * MS);				/* many periods late: still one interrupt */
	advance();
	assert_int_equal(raises, 1);
	assert_int_equal(rd(REG_C), 0xc0);	/* IRQF | PF */
	assert_false(line);
	assert_int_equal(rd(REG_C), 0x00);
	deadline = mc146818_next_deadline(&rtc);
	assert_true(deadline == T0 + 50781250);	/* 52nd period, in phase */
	fake_time_ns = deadline;
	advance();
	assert_int_equal(raises, 2);
}

static void test_periodic_rates(void **state)
{
	static const struct { u8 rate; u64 period_ns; } rates[] = {
		{ 1, 3906250 }, { 2, 7812500 }, { 3, 122071 }, { 7, 1953125 },
		{ 13, 125000000 }, { 15, 500000000 },
	};
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(rates); i++) {
		wr(REG_A, 0x70);
		at(0);
		wr(REG_A, 0x20 | rates[i].rate);	/* restart the chain at T0 */
		wr(REG_B, 0x42);
		assert_true(mc146818_next_deadline(&rtc) == T0 + rates[i].period_ns);
		wr(REG_B, 0x02);
	}
	wr(REG_A, 0x20);			/* rate 0: none */
	wr(REG_B, 0x42);
	assert_int_equal(mc146818_next_deadline(&rtc), UINT64_MAX);
}

/* Flags set without their enable show in C but raise nothing. */
static void test_flags_without_enable(void **state)
{
	at(update(1) + 1);
	advance();
	assert_false(line);
	assert_int_equal(rd(REG_C), 0x50);	/* PF | UF, no IRQF */
	assert_int_equal(rd(REG_C), 0x00);
	/* Enabling a source with its flag set raises IRQF at once. */
	at(update(2) + 1);
	wr(REG_B, 0x12);
	assert_true(line);
	assert_int_equal(rd(REG_C), 0xf0);	/* AF too: alarm bytes 0 matched midnight */
	assert_false(line);
	/* Disabling the source drops IRQF and the line, as IRQF is combinational. */
	at(update(3) + 1);
	advance();
	assert_true(line);
	wr(REG_B, 0x02);
	assert_false(line);
	assert_int_equal(rd(REG_C), 0x50);
}

static void test_update_interrupt(void **state)
{
	wr(REG_B, 0x12);
	assert_true(mc146818_next_deadline(&rtc) == T0 + update(1));
	at(update(1));
	advance();
	assert_true(line);
	assert_int_equal(rd(REG_C), 0x90 | 0x40);	/* PF was set too */
	assert_true(mc146818_next_deadline(&rtc) == T0 + update(2));
	/* SET stops updates and clears UIE. */
	wr(REG_B, 0x92);
	assert_int_equal(rd(REG_B), 0x82);
	at(update(5));
	advance();
	assert_int_equal(rd(REG_C) & 0x10, 0);
}

/* Alarm at 00:00:05: seven updates after 23:59:58. */
static void test_alarm(void **state)
{
	wr(HOUR_ALARM, 0x00);
	wr(MIN_ALARM, 0x00);
	wr(SEC_ALARM, 0x05);
	wr(REG_B, 0x22);
	assert_true(mc146818_next_deadline(&rtc) == T0 + update(7));
	at(update(7) - 1);
	advance();
	assert_false(line);
	at(update(7));
	advance();
	assert_true(line);
	assert_int_equal(rd(REG_C), 0xa0 | 0x50);
	/* Next match a day later. */
	assert_true(mc146818_next_deadline(&rtc) == T0 + update(7 + 86400));
	/* A missed alarm is still flagged when the guest catches up. */
	at(update(9 + 86400));
	assert_int_equal(rd(REG_C) & 0x20, 0x20);
}

static void test_alarm_dont_care(void **state)
{
	wr(HOUR_ALARM, 0xc0);
	wr(MIN_ALARM, 0xff);
	wr(SEC_ALARM, 0x00);			/* every minute at :00 */
	wr(REG_B, 0x22);
	assert_true(mc146818_next_deadline(&rtc) == T0 + update(2));
	at(update(2));
	advance();
	assert_int_equal(rd(REG_C) & 0xa0, 0xa0);
	assert_true(mc146818_next_deadline(&rtc) == T0 + update(62));
	wr(SEC_ALARM, 0xc0);			/* every second */
	assert_true(mc146818_next_deadline(&rtc) == T0 + update(3));
	wr(MIN_ALARM, 0x30);			/* every second of minute 30 */
	wr(HOUR_ALARM, 0x00);
	assert_true(mc146818_next_deadline(&rtc) == T0 + update(2 + 30 * 60));
	/* 12-hour alarm hour 12 PM matches 12:xx. */
	wr(REG_B, 0x20);
	wr(HOUR_ALARM, 0x92);
	wr(MIN_ALARM, 0x00);
	wr(SEC_ALARM, 0x00);
	assert_true(mc146818_next_deadline(&rtc) == T0 + update(2 + 12 * 3600));
}

/* Alarm bytes that can never match arm nothing. */
static void test_alarm_impossible(void **state)
{
	static const u8 bad[][3] = {
		{ 0x24, 0x00, 0x00 }, { 0x00, 0x60, 0x00 }, { 0x00, 0x00, 0x5a },
		{ 0x1a, 0x00, 0x00 }, { 0x99, 0x99, 0x99 },
	};
	unsigned i;

	wr(REG_B, 0x22);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		wr(HOUR_ALARM, bad[i][0]);
		wr(MIN_ALARM, bad[i][1]);
		wr(SEC_ALARM, bad[i][2]);
		assert_int_equal(mc146818_next_deadline(&rtc), UINT64_MAX);
	}
	at(update(100000));
	advance();
	assert_false(line);
	wr(REG_B, 0x20);			/* hour 0 does not exist in 12-hour mode */
	wr(HOUR_ALARM, 0x00);
	wr(MIN_ALARM, 0xc0);
	wr(SEC_ALARM, 0xc0);
	assert_int_equal(mc146818_next_deadline(&rtc), UINT64_MAX);
}

/* Divider stopped (DV != 010): the clock freezes and nothing fires. */
static void test_divider_stopped(void **state)
{
	wr(REG_B, 0x72);
	wr(REG_A, 0x06);			/* DV 000: not a PC time base */
	assert_int_equal(mc146818_next_deadline(&rtc), UINT64_MAX);
	at(30000 * MS);
	advance();
	assert_false(line);
	assert_int_equal(rd(SEC), 0x58);
	assert_int_equal(rd(REG_A) & 0x80, 0);
	wr(REG_A, 0x26);			/* restart: first update 0.5 s later */
	assert_true(mc146818_next_deadline(&rtc) == T0 + 30000 * MS + 976563);
	at(30499 * MS);
	assert_int_equal(rd(SEC), 0x58);
	at(30500 * MS);
	assert_int_equal(rd(SEC), 0x59);
}

static void test_index_and_ram(void **state)
{
	unsigned i;

	mc146818_write(&rtc, 0, 0x8f);
	assert_true(mc146818_nmi_disabled(&rtc));
	assert_int_equal(mc146818_read(&rtc, 0), 0x8f);
	mc146818_write(&rtc, 0, 0x0f);
	assert_false(mc146818_nmi_disabled(&rtc));
	for (i = 0x0e; i < 0x80; i++)
		if (i != CENTURY)
			wr(i, (u8)(i ^ 0x5a));
	for (i = 0x0e; i < 0x80; i++)
		if (i != CENTURY)
			assert_int_equal(rd(i), (u8)(i ^ 0x5a));
	wr(REG_C, 0xff);			/* read-only */
	wr(REG_D, 0x00);
	assert_int_equal(rd(REG_C), 0x00);
	assert_int_equal(rd(REG_D), 0x80);
	assert_int_equal(mc146818_read(&rtc, 2), 0xff);
	assert_int_equal(mc146818_cmos_set(&rtc, 0x10, 0x40), 0);
	assert_int_equal(rd(0x10), 0x40);
	assert_int_equal(mc146818_cmos_set(&rtc, 0x0b, 0), -EINVAL);
	assert_int_equal(mc146818_cmos_set(&rtc, CENTURY, 0), -EINVAL);
	assert_int_equal(mc146818_cmos_set(&rtc, 0x80, 0), -EINVAL);
}

static void test_mem_size(void **state)
{
	unsigned i, sum = 0;

	mc146818_set_mem_size(&rtc, 1 * GiB, 2 * GiB);
	assert_int_equal(rd(0x15) | rd(0x16) << 8, 640);
	assert_int_equal(rd(0x17) | rd(0x18) << 8, 0xffff);
	assert_int_equal(rd(0x30) | rd(0x31) << 8, 0xffff);
	assert_int_equal(rd(0x34) | rd(0x35) << 8, (1 * GiB - 16 * MiB) / (64 * KiB));
	assert_int_equal(rd(0x5b) | rd(0x5c) << 8 | rd(0x5d) << 16, 2 * GiB / (64 * KiB));
	for (i = 0x10; i <= 0x2d; i++)
		sum += rd(i);
	assert_int_equal(rd(0x2e) << 8 | rd(0x2f), sum);
	mc146818_set_mem_size(&rtc, 8 * MiB, 0);
	assert_int_equal(rd(0x17) | rd(0x18) << 8, 7 * 1024);
	assert_int_equal(rd(0x34) | rd(0x35) << 8, 0);
}

static void test_snapshot_restore(void **state)
{
	struct mc146818_state saved;

	wr(REG_B, 0x42);
	at(10 * MS);
	advance();
	assert_true(line);
	saved = rtc.state;
	assert_int_equal(rd(REG_C), 0xc0);
	rtc.state = saved;
	mc146818_irq_sync(&rtc);
	assert_true(line);
	assert_int_equal(rd(REG_C), 0xc0);
}

static void test_io_ops(void **state)
{
	mc146818_io_ops.write(&rtc, 0, 1, REG_D);
	assert_int_equal(mc146818_io_ops.read(&rtc, 1, 1), 0x80);
	assert_int_equal(mc146818_io_ops.read(&rtc, 2, 1), 0xff);
	mc146818_io_ops.write(&rtc, 7, 1, 0x00);
	assert_int_equal(mc146818_io_ops.read(&rtc, 0, 1), REG_D);
}

/* One random register access, some time after the last. */
static void random_step(u64 *seed)
{
	u32 r;
	u8 idx;

	*seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
	r = (u32)(*seed >> 32);
	fake_time_ns += r % 8 == 0 ? (r >> 4) % (3000 * MS) : (r >> 4) % (2 * MS);
	idx = (u8)((r >> 8) % 16);
	if (idx == 14)
		idx = CENTURY;
	if ((r >> 16) & 1)
		wr(idx, (u8)(r >> 20));
	else
		rd(idx);
}

/*
 * Random register traffic: after advance(now) the deadline is never in
 * the past, and the line always equals register C's IRQF.
 */
static void test_random(void **state)
{
	u64 seed = 146818;
	unsigned i;

	for (i = 0; i < 20000; i++) {
		random_step(&seed);
		advance();
		assert_true(mc146818_next_deadline(&rtc) > fake_time_ns);
		assert_int_equal(line, !!(rtc.state.cmos[REG_C] & 0x80));
	}
}

/* --- state records ------------------------------------------------------- */

static struct mc146818 copy;	/* an RTC loaded from a record of rtc */
static bool copy_line;
static unsigned copy_sets;

static void copy_irq_set(void *ctx, unsigned l, bool level)
{
	assert_int_equal(l, 8);
	copy_sets++;
	copy_line = level;
}

/* A fresh RTC (showing another time) in a VM whose clock is *c. */
static void copy_init(const struct guest_clock *c)
{
	struct mc146818_wiring w = { .irq = { .set = copy_irq_set, .line = 8 }, .clock = c };

	copy_line = false;
	copy_sets = 0;
	mc146818_init(&copy, 86400, &w);
}

static int rtc_load(void *dev, const void *buf, size_t len, bool apply, const char **why)
{
	return mc146818_load(dev, buf, len, apply, why);
}

static int save(const struct mc146818 *r, u8 *buf, size_t len)
{
	int n = mc146818_save(r, buf, len);

	assert_true(n > SNAP_HDR_LEN);
	return n;
}

/*
 * Periodic (2 Hz), alarm (00:00:05) and update interrupts enabled, a
 * periodic flag up (IRQ 8 high), CMOS RAM filled, register 0x40 selected
 * with NMI disabled.
 */
static void busy_rtc(void)
{
	wr(SEC_ALARM, 0x05);
	wr(MIN_ALARM, 0x00);
	wr(HOUR_ALARM, 0x00);
	wr(REG_A, 0x2f);
	wr(REG_B, 0x72);
	mc146818_set_mem_size(&rtc, 1 * GiB, 2 * GiB);
	assert_int_equal(mc146818_cmos_set(&rtc, 0x40, 0x99), 0);
	at(600 * MS);
	advance();
	assert_true(line);
	mc146818_write(&rtc, 0, 0x80 | 0x40);
}

static void test_record_round_trip(void **state)
{
	u8 a[256], b[256];
	const char *why = "unset";
	int n;

	busy_rtc();
	n = save(&rtc, a, sizeof(a));
	copy_init(&clock);
	assert_int_equal(mc146818_load(&copy, a, (size_t)n, true, &why), 0);
	assert_null(why);
	assert_int_equal(save(&copy, b, sizeof(b)), n);
	assert_memory_equal(a, b, (size_t)n);
	assert_memory_equal(&copy.state, &rtc.state, sizeof(rtc.state));
	assert_int_equal(mc146818_save(&rtc, a, (size_t)n - 1), -ENOSPC);
}

/* Every register a guest reads (0x00-0x0d, the century, RAM at 0x40),
 * then the index port. Reading C acknowledges. */
static void read_all(struct mc146818 *r, u8 out[17])
{
	for (unsigned i = 0; i <= REG_D; i++) {
		mc146818_write(r, 0, (u8)i);
		out[i] = mc146818_read(r, 1);
	}
	mc146818_write(r, 0, CENTURY);
	out[14] = mc146818_read(r, 1);
	mc146818_write(r, 0, 0xc0);
	out[15] = mc146818_read(r, 1);
	out[16] = mc146818_read(r, 0);
}

/*
 * An RTC restored into a VM whose clock was set to the saved time, a
 * minute of host time later: IRQ 8 is up at once (mc146818_irq_sync
 * ran), it shows the original's time, and its periodic, update and
 * alarm interrupts come at the original's deadlines with the same flags.
 */
static void test_record_restore_behaves(void **state)
{
	struct guest_clock later = { 0 };
	u8 rec[256], want[17], got[17];
	u64 saved_at, due;
	unsigned alarms = 0;
	int n;

	busy_rtc();
	n = save(&rtc, rec, sizeof(rec));
	saved_at = fake_time_ns;
	fake_time_ns += 60 * NSEC_PER_SEC;
	guest_clock_set(&later, saved_at);
	copy_init(&later);
	assert_int_equal(mc146818_load(&copy, rec, (size_t)n, true, &(const char *){ 0 }), 0);
	assert_int_equal(copy_sets, 1);
	assert_true(copy_line);
	assert_int_equal(mc146818_read(&copy, 0), 0xc0);
	due = saved_at;
	for (unsigned k = 0; k < 24; k++) {
		fake_time_ns = due;			/* the original's clock: offset 0 */
		read_all(&rtc, want);
		fake_time_ns = guest_clock_to_host(&later, due);
		read_all(&copy, got);
		assert_memory_equal(got, want, sizeof(want));
		assert_false(copy_line);		/* register C was read */
		due = mc146818_next_deadline(&rtc);
		assert_true(due != UINT64_MAX);
		assert_true(mc146818_next_deadline(&copy) == due);
		mc146818_advance(&rtc, due);
		mc146818_advance(&copy, due);
		assert_true(line);
		assert_true(copy_line);
		alarms += !!(rtc.state.cmos[REG_C] & 0x20);
	}
	assert_true(alarms > 0);
}

/* The state bad holds, saved and loaded into a fresh RTC: refused for why. */
static void refused(const struct mc146818_state *bad, const char *why)
{
	struct mc146818 src = rtc;
	u8 rec[256];
	int n;

	src.state = *bad;
	n = save(&src, rec, sizeof(rec));
	copy_init(&clock);
	assert_string_equal(snap_test_refused(rtc_load, &copy, &copy.state, sizeof(copy.state),
					      rec, (size_t)n, -EINVAL), why);
	assert_int_equal(copy_sets, 0);
}

static void test_record_refusals(void **state)
{
	struct mc146818_state good, bad;
	u8 rec[256];
	int n;

	busy_rtc();
	good = rtc.state;
	n = save(&rtc, rec, sizeof(rec));
	copy_init(&clock);
	snap_test_framing(rtc_load, &copy, &copy.state, sizeof(copy.state), rec, (size_t)n);
	assert_int_equal(copy_sets, 0);
	rec[SNAP_HDR_LEN + 128] = 0x80;	/* the index */
	assert_string_equal(snap_test_refused(rtc_load, &copy, &copy.state, sizeof(copy.state),
					      rec, (size_t)n, -EINVAL),
			    "the RTC's index is outside its 128 bytes");
	rec[SNAP_HDR_LEN + 128] = 0x40;
	rec[SNAP_HDR_LEN + 129] = 2;	/* nmi_disabled */
	assert_string_equal(snap_test_refused(rtc_load, &copy, &copy.state, sizeof(copy.state),
					      rec, (size_t)n, -EINVAL),
			    "a boolean field is neither 0 nor 1");

	bad = good, bad.index = 0xff;
	refused(&bad, "the RTC's index is outside its 128 bytes");
	bad = good, bad.cmos[REG_A] |= 0x80;
	refused(&bad, "RTC register A holds UIP");
	bad = good, bad.cmos[REG_C] |= 0x01;
	refused(&bad, "RTC register C has bits 3:0 set");
	bad = good, bad.cmos[REG_C] &= ~0x80;		/* PF with PIE: IRQF must be up */
	refused(&bad, "RTC register C's IRQF does not follow its flags");
	bad = good, bad.cmos[REG_C] = 0x80;		/* IRQF with no flag */
	refused(&bad, "RTC register C's IRQF does not follow its flags");
}

/* Every state of test_random's guest loads back unchanged, saves to the
 * same bytes and has the same deadline and line. */
static void test_record_random_states(void **state)
{
	u64 seed = 146818;
	u8 a[256], b[256];

	copy_init(&clock);
	for (unsigned i = 0; i < 20000; i++) {
		int n;

		random_step(&seed);
		advance();
		n = save(&rtc, a, sizeof(a));
		assert_int_equal(mc146818_load(&copy, a, (size_t)n, true, &(const char *){ 0 }), 0);
		assert_memory_equal(&copy.state, &rtc.state, sizeof(rtc.state));
		assert_int_equal(save(&copy, b, sizeof(b)), n);
		assert_memory_equal(a, b, (size_t)n);
		assert_true(mc146818_next_deadline(&copy) == mc146818_next_deadline(&rtc));
		assert_int_equal(copy_line, line);
	}
}

#define RTC_TEST(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		RTC_TEST(test_reset_state),
		RTC_TEST(test_updates_and_rollover),
		RTC_TEST(test_uip_window),
		RTC_TEST(test_linux_get_time),
		RTC_TEST(test_binary_mode),
		RTC_TEST(test_12_hour_mode),
		RTC_TEST(test_linux_set_time),
		RTC_TEST(test_set_keeps_phase),
		RTC_TEST(test_write_without_set),
		RTC_TEST(test_century),
		RTC_TEST(test_garbage_time),
		RTC_TEST(test_periodic),
		RTC_TEST(test_periodic_rates),
		RTC_TEST(test_flags_without_enable),
		RTC_TEST(test_update_interrupt),
		RTC_TEST(test_alarm),
		RTC_TEST(test_alarm_dont_care),
		RTC_TEST(test_alarm_impossible),
		RTC_TEST(test_divider_stopped),
		RTC_TEST(test_index_and_ram),
		RTC_TEST(test_mem_size),
		RTC_TEST(test_snapshot_restore),
		RTC_TEST(test_io_ops),
		RTC_TEST(test_random),
		RTC_TEST(test_record_round_trip),
		RTC_TEST(test_record_restore_behaves),
		RTC_TEST(test_record_refusals),
		RTC_TEST(test_record_random_states),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
