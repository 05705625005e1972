/* Host tests for lib/date.c: Gregorian leap rules, round trips, saturation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lib/date.h"

static void check(u64 secs, u32 year, unsigned month, unsigned day,
		  unsigned hour, unsigned min, unsigned sec, unsigned wday)
{
	struct date d;

	date_from_epoch(secs, &d);
	assert_int_equal(d.year, year);
	assert_int_equal(d.month, month);
	assert_int_equal(d.day, day);
	assert_int_equal(d.hour, hour);
	assert_int_equal(d.min, min);
	assert_int_equal(d.sec, sec);
	assert_int_equal(d.wday, wday);
	assert_true(date_to_epoch(&d) == secs);
}

/* Values checked against an independent calendar (Python's calendar.timegm). */
static void test_known_dates(void **state)
{
	check(0, 1970, 1, 1, 0, 0, 0, 4);			/* a Thursday */
	check(946684799, 1999, 12, 31, 23, 59, 59, 5);
	check(951782400, 2000, 2, 29, 0, 0, 0, 2);		/* 2000 is leap (400) */
	check(951868800, 2000, 3, 1, 0, 0, 0, 3);
	check(1709251198, 2024, 2, 29, 23, 59, 58, 4);
	check(1767225600, 2026, 1, 1, 0, 0, 0, 4);
	check(3124224000, 2069, 1, 1, 0, 0, 0, 2);
	check(4107499200, 2100, 2, 28, 12, 0, 0, 0);		/* 2100 is not (100) */
	check(4107542400, 2100, 3, 1, 0, 0, 0, 1);
	check(253402300799, 9999, 12, 31, 23, 59, 59, 5);
}

static void test_leap_rules(void **state)
{
	assert_true(date_is_leap(1972));
	assert_false(date_is_leap(1900));
	assert_true(date_is_leap(2000));
	assert_false(date_is_leap(2023));
	assert_true(date_is_leap(2024));
	assert_false(date_is_leap(2100));
	assert_true(date_is_leap(2400));
	assert_int_equal(date_days_in_month(2024, 2), 29);
	assert_int_equal(date_days_in_month(2023, 2), 28);
	assert_int_equal(date_days_in_month(2100, 2), 28);
	assert_int_equal(date_days_in_month(2023, 4), 30);
	assert_int_equal(date_days_in_month(2023, 12), 31);
	assert_int_equal(date_days_in_month(2023, 0), 0);
	assert_int_equal(date_days_in_month(2023, 13), 0);
}

/* Every day from 1970 to 2400 converts both ways, one day apart each. */
static void test_round_trip_every_day(void **state)
{
	u64 days, last = date_days_from_civil(2400, 12, 31);
	struct date d, prev = { 0 };

	for (days = 0; days <= last; days++) {
		date_civil_from_days(days, &d);
		assert_true(date_days_from_civil(d.year, d.month, d.day) == days);
		assert_true(d.day >= 1 && d.day <= date_days_in_month(d.year, d.month));
		if (days) {
			assert_int_equal(d.wday, (prev.wday + 1) % 7);
			if (d.day != 1)
				assert_int_equal(d.day, prev.day + 1);
			else if (d.month != 1)
				assert_int_equal(d.month, prev.month + 1);
			else
				assert_int_equal(d.year, prev.year + 1);
		}
		prev = d;
	}
	assert_int_equal(prev.year, 2400);
}

/* Guest-written nonsense saturates instead of indexing past a table. */
static void test_saturation(void **state)
{
	struct date d;

	assert_int_equal(date_days_from_civil(1969, 12, 31), 0);
	assert_int_equal(date_days_from_civil(1970, 0, 0), 0);
	assert_int_equal(date_days_from_civil(1970, 13, 1), 334);
	assert_int_equal(date_days_from_civil(1970, 1, 32), 31);	/* Feb 1st */
	assert_int_equal(date_days_from_civil(2023, 2, 29), date_days_from_civil(2023, 3, 1));
	date_from_epoch(UINT64_MAX, &d);
	assert_int_equal(d.year, 9999);
	assert_int_equal(d.month, 12);
	assert_int_equal(d.day, 31);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_dates),
		cmocka_unit_test(test_leap_rules),
		cmocka_unit_test(test_round_trip_every_day),
		cmocka_unit_test(test_saturation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
