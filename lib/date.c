/*
 * Civil dates <-> days and seconds since 1970-01-01 UTC, in the
 * proleptic Gregorian calendar (a year is leap when divisible by 4, except
 * centuries not divisible by 400). No leap seconds, as in Unix time.
 */
#include "lib/date.h"

/* The last year date_civil_from_days() reports; later days saturate. */
#define DATE_MAX_YEAR	9999u

/* Days before the first of each month in a common year. */
static const u16 days_before_month[12] = {
	0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334,
};

bool date_is_leap(u32 year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

unsigned date_days_in_month(u32 year, unsigned month)
{
	static const u8 len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (month < 1 || month > 12)
		return 0;
	return len[month - 1] + (month == 2 && date_is_leap(year));
}

/* Leap years among years 1 .. year-1. */
static u64 leaps_before(u64 year)
{
	u64 y = year - 1;

	return y / 4 - y / 100 + y / 400;
}

/* Days from 1970-01-01 to January 1st of year (year >= 1970). */
static u64 days_before_year(u64 year)
{
	return 365 * (year - DATE_EPOCH_YEAR) + leaps_before(year) - leaps_before(DATE_EPOCH_YEAR);
}

/* Out-of-range inputs saturate (a date before 1970 to 1970-01-01, month
 * to 1-12, day 0 to 1), so values from a guest never index past a table. */
u64 date_days_from_civil(u32 year, unsigned month, unsigned day)
{
	u64 days;

	if (year < DATE_EPOCH_YEAR)
		return 0;
	month = MIN(MAX(month, 1u), 12u);
	day = MAX(day, 1u);
	days = days_before_year(year) + days_before_month[month - 1];

	if (month > 2 && date_is_leap(year))
		days++;
	return days + day - 1;
}

/*
 * Guess the year from the mean Gregorian year (146097 days in 400 years),
 * which is off by at most one, then step to the year that holds the day.
 */
void date_civil_from_days(u64 days, struct date *d)
{
	u64 year, max_days = days_before_year(DATE_MAX_YEAR + 1) - 1;
	unsigned month = 1, len;

	days = MIN(days, max_days);
	d->wday = (u8)((days + 4) % 7);	/* 1970-01-01 was a Thursday */
	year = DATE_EPOCH_YEAR + days * 400 / 146097;
	while (days_before_year(year) > days)
		year--;
	while (days_before_year(year + 1) <= days)
		year++;
	days -= days_before_year(year);
	while (days >= (len = date_days_in_month((u32)year, month))) {
		days -= len;
		month++;
	}
	d->year = (u32)year;
	d->month = (u8)month;
	d->day = (u8)(days + 1);
}

u64 date_to_epoch(const struct date *d)
{
	u64 days = date_days_from_civil(d->year, d->month, d->day);

	return days * SECS_PER_DAY + (u64)d->hour * 3600 + (u64)d->min * 60 + d->sec;
}

void date_from_epoch(u64 secs, struct date *d)
{
	u64 tod = secs % SECS_PER_DAY;

	date_civil_from_days(secs / SECS_PER_DAY, d);
	d->hour = (u8)(tod / 3600);
	d->min = (u8)(tod / 60 % 60);
	d->sec = (u8)(tod % 60);
}
