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

/*
 * Random register traffic: after advance(now) the deadline is never in
 * the past, and the line always equals register C's IRQF.
 */
static void test_random(void **state)
{
	u64 seed = 146818;
	unsigned i;

	for (i = 0; i < 20000; i++) {
		u32 r;
		u8 idx;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		r = (u32)(seed >> 32);
		fake_time_ns += r % 8 == 0 ? (r >> 4) % (3000 * MS) : (r >> 4) % (2 * MS);
		idx = (u8)((r >> 8) % 16);
		if (idx == 14)
			idx = CENTURY;
		if ((r >> 16) & 1)
			wr(idx, (u8)(r >> 20));
		else
			rd(idx);
		advance();
		assert_true(mc146818_next_deadline(&rtc) > fake_time_ns);
		assert_int_equal(line, !!(rtc.state.cmos[REG_C] & 0x80));
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
