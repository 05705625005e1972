/*
 * Host tests for drivers/host_rtc.c over a scripted CMOS behind the fake
 * ports: formats, century, waiting out UIP, re-reading across an update.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "drivers/host_rtc.h"
#include "fake_hw.h"

enum { SEC = 0, MIN = 2, HOUR = 4, MDAY = 7, MONTH = 8, YEAR = 9, REG_A = 0x0a,
       REG_B = 0x0b, CENTURY = 0x32 };

/* The scripted clock: register bytes, plus what changes as it is read. */
static struct {
	u8 reg[128];
	unsigned uip_reads;	/* register A reads that still show UIP */
	unsigned reads;		/* data port reads so far */
	unsigned tick_at;	/* at this many reads, seconds become tick_sec (0: never) */
	u8 tick_sec;
	bool always_changing;	/* seconds change on every read */
	bool bad_index;		/* a read without port 0x70 selecting an index */
} cmos;

static u64 cmos_in(u16 port, unsigned size)
{
	u8 idx = (u8)fake_port_last_out_value;

	if (port != 0x71 || fake_port_last_out_port != 0x70 || idx > 0x7f) {
		cmos.bad_index = true;
		return 0xff;
	}
	cmos.reads++;
	if (cmos.tick_at && cmos.reads == cmos.tick_at)
		cmos.reg[SEC] = cmos.tick_sec;
	if (idx == REG_A && cmos.uip_reads) {
		cmos.uip_reads--;
		return cmos.reg[REG_A] | 0x80;
	}
	if (idx == SEC && cmos.always_changing)
		return cmos.reg[SEC]++ & 0x0f;
	return cmos.reg[idx];
}

/* 2024-02-29 23:59:58, BCD, 24-hour, century 20. */
static int setup(void **state)
{
	memset(&cmos, 0, sizeof(cmos));
	cmos.reg[SEC] = 0x58;
	cmos.reg[MIN] = 0x59;
	cmos.reg[HOUR] = 0x23;
	cmos.reg[MDAY] = 0x29;
	cmos.reg[MONTH] = 0x02;
	cmos.reg[YEAR] = 0x24;
	cmos.reg[CENTURY] = 0x20;
	cmos.reg[REG_A] = 0x26;
	cmos.reg[REG_B] = 0x02;
	fake_port_in_fn = cmos_in;
	fake_port_last_out_port = 0;
	return 0;
}

static int teardown(void **state)
{
	fake_port_in_fn = NULL;
	assert_false(cmos.bad_index);
	return 0;
}

static void expect(u64 want)
{
	u64 got = 0;

	assert_int_equal(host_rtc_read(&got), 0);
	assert_true(got == want);
}

static void expect_error(int err)
{
	u64 got = 0xdead;

	assert_int_equal(host_rtc_read(&got), err);
	assert_true(got == 0xdead);
}

static void test_bcd_24h(void **state)
{
	expect(1709251198);
}

static void test_binary(void **state)
{
	cmos.reg[REG_B] = 0x06;
	cmos.reg[SEC] = 58;
	cmos.reg[MIN] = 59;
	cmos.reg[HOUR] = 23;
	cmos.reg[MDAY] = 29;
	cmos.reg[MONTH] = 2;
	cmos.reg[YEAR] = 24;
	cmos.reg[CENTURY] = 20;
	expect(1709251198);
}

static void test_12_hour(void **state)
{
	cmos.reg[REG_B] = 0x00;
	cmos.reg[HOUR] = 0x91;			/* 11 PM */
	expect(1709251198);
	cmos.reg[HOUR] = 0x12;			/* 12 AM */
	expect(1709251198 - 23 * 3600);
	cmos.reg[HOUR] = 0x92;			/* 12 PM */
	expect(1709251198 - 11 * 3600);
	cmos.reg[REG_B] = 0x04;			/* binary 12-hour */
	cmos.reg[HOUR] = 0x80 | 11;
	cmos.reg[SEC] = 58;
	cmos.reg[MIN] = 59;
	cmos.reg[MDAY] = 29;
	cmos.reg[MONTH] = 2;
	cmos.reg[YEAR] = 24;
	cmos.reg[CENTURY] = 20;
	expect(1709251198);
	cmos.reg[HOUR] = 0;			/* no hour 0 in 12-hour mode */
	expect_error(-EINVAL);
}

static void test_century(void **state)
{
	cmos.reg[CENTURY] = 0x19;
	cmos.reg[YEAR] = 0x99;
	cmos.reg[MONTH] = 0x12;
	cmos.reg[MDAY] = 0x31;
	cmos.reg[SEC] = 0x59;
	expect(946684799);			/* 1999-12-31 23:59:59 */
	cmos.reg[CENTURY] = 0x00;		/* never set: assume 20xx */
	cmos.reg[YEAR] = 0x26;
	cmos.reg[MONTH] = 0x01;
	cmos.reg[MDAY] = 0x01;
	cmos.reg[HOUR] = 0x00;
	cmos.reg[MIN] = 0x00;
	cmos.reg[SEC] = 0x00;
	expect(1767225600);
	cmos.reg[CENTURY] = 0xff;
	expect(1767225600);
	cmos.reg[CENTURY] = 0x21;
	cmos.reg[YEAR] = 0x05;
	cmos.reg[MONTH] = 0x06;
	cmos.reg[MDAY] = 0x15;
	cmos.reg[HOUR] = 0x12;
	cmos.reg[MIN] = 0x30;
	cmos.reg[SEC] = 0x45;
	expect(4274512245);			/* 2105-06-15 12:30:45 */
	cmos.reg[CENTURY] = 0x19;		/* 1969: before Unix time */
	cmos.reg[YEAR] = 0x69;
	expect_error(-EINVAL);
}

/* UIP set: the reader polls register A until it clears. */
static void test_waits_for_uip(void **state)
{
	cmos.uip_reads = 500;
	expect(1709251198);
	assert_int_equal(cmos.uip_reads, 0);
}

static void test_uip_stuck(void **state)
{
	cmos.uip_reads = ~0u;
	expect_error(-EIO);
}

/* An update between the two readings: the reader reads again. */
static void test_update_between_reads(void **state)
{
	cmos.tick_at = 5;			/* during the first reading */
	cmos.tick_sec = 0x59;
	expect(1709251199);
}

static void test_never_stable(void **state)
{
	cmos.always_changing = true;
	expect_error(-EIO);
}

static void test_invalid_values(void **state)
{
	static const struct { u8 idx, val; } bad[] = {
		{ MONTH, 0x13 }, { MONTH, 0x00 }, { MDAY, 0x00 },
		{ MDAY, 0x30 },				/* February 30th */
		{ SEC, 0x60 }, { MIN, 0x5a }, { HOUR, 0x24 }, { YEAR, 0xa0 },
	};
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		u8 keep = cmos.reg[bad[i].idx];

		cmos.reg[bad[i].idx] = bad[i].val;
		expect_error(-EINVAL);
		cmos.reg[bad[i].idx] = keep;
	}
	cmos.reg[YEAR] = 0x23;			/* 2023 is no leap year */
	expect_error(-EINVAL);
	cmos.reg[MDAY] = 0x28;
	expect(1709251198 - 366 * 86400);	/* 2023-02-28 */
}

static void test_no_clock(void **state)
{
	memset(cmos.reg, 0xff, sizeof(cmos.reg));
	expect_error(-ENODEV);
}

#define RTC_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		RTC_TEST(test_bcd_24h),
		RTC_TEST(test_binary),
		RTC_TEST(test_12_hour),
		RTC_TEST(test_century),
		RTC_TEST(test_waits_for_uip),
		RTC_TEST(test_uip_stuck),
		RTC_TEST(test_update_between_reads),
		RTC_TEST(test_never_stable),
		RTC_TEST(test_invalid_values),
		RTC_TEST(test_no_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
