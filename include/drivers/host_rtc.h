/*
 * The host machine's real-time clock (drivers/host_rtc.c): the PC CMOS
 * clock at ports 0x70/0x71, read once to give guests' RTCs the wall time.
 */
#ifndef KEEL_DRIVERS_HOST_RTC_H
#define KEEL_DRIVERS_HOST_RTC_H

#include "types.h"

/*
 * Seconds since 1970-01-01 00:00:00 as the host clock shows them (PCs
 * usually keep UTC; some keep local time, which Keel cannot tell).
 * Returns 0, -ENODEV (no clock answers), -EIO (no stable reading: the
 * update flag never cleared or the values kept changing) or -EINVAL (the
 * clock holds no valid date, e.g. after a dead battery).
 */
int host_rtc_read(u64 *epoch_secs);

#endif
