/*
 * Civil dates and Unix time (lib/date.c): the proleptic Gregorian calendar,
 * UTC, no leap seconds, from 1970-01-01 on. Shared by the guest RTC model
 * (devices/mc146818.c) and the host RTC reader (drivers/host_rtc.c).
 */
#ifndef KEEL_LIB_DATE_H
#define KEEL_LIB_DATE_H

#include "types.h"

#define DATE_EPOCH_YEAR	1970
#define SECS_PER_DAY	86400u

/* A broken-down UTC time; month and day count from 1, wday 0 is Sunday. */
struct date {
	u32 year;
	u8 month, day;
	u8 hour, min, sec;
	u8 wday;
};

bool date_is_leap(u32 year);
/* Days in a month (1-12) of a year; 0 for a month out of range. */
unsigned date_days_in_month(u32 year, unsigned month);
/*
 * Days from 1970-01-01 to year-month-day. A day past the month's end
 * counts on into the next month; a date before 1970 counts as 1970-01-01,
 * a month outside 1-12 and day 0 saturate to the nearest valid value.
 */
u64 date_days_from_civil(u32 year, unsigned month, unsigned day);
/* The inverse: the date that lies days after 1970-01-01 (saturating at
 * 9999-12-31). Sets year, month, day and wday. */
void date_civil_from_days(u64 days, struct date *d);
/* Seconds since 1970-01-01 00:00:00 UTC; hour, min and sec may overflow
 * into the next unit, as in days_from_civil. */
u64 date_to_epoch(const struct date *d);
void date_from_epoch(u64 secs, struct date *d);

#endif
