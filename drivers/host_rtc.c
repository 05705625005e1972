/*
 * Read the host's MC146818-compatible CMOS clock (MC146818A datasheet,
 * "Registers", "Update Cycle"; the PC puts the century at CMOS 0x32, as
 * the ACPI FADT CENTURY field usually says).
 *
 * The time bytes are undefined while an update is in progress, so the
 * reader waits for UIP to clear, reads everything, and repeats until two
 * readings agree: an update between them shows as a difference.
 */
#include "drivers/host_rtc.h"
#include "arch/hw.h"
#include "lib/date.h"
#include "lib/string.h"

#define CMOS_INDEX	0x70	/* bit 7 left clear: NMI stays enabled, as Linux leaves it */
#define CMOS_DATA	0x71

enum {
	RTC_SEC = 0, RTC_MIN = 2, RTC_HOUR = 4, RTC_MDAY = 7, RTC_MONTH = 8,
	RTC_YEAR = 9, RTC_REG_A = 0x0a, RTC_REG_B = 0x0b, RTC_CENTURY = 0x32,
};

#define REG_A_UIP	BIT(7)		/* update in progress */
#define REG_B_DM	BIT(2)		/* binary (else BCD) */
#define REG_B_24H	BIT(1)		/* 24-hour (else 12-hour, PM in bit 7) */
#define HOUR_PM		BIT(7)

/* Polls of UIP before giving up: far more than the ~2 ms an update takes. */
#define UIP_POLLS	1000000
/* Readings tried for two that agree. */
#define READ_TRIES	10

/* One reading of the time bytes, raw. */
struct rtc_raw {
	u8 sec, min, hour, mday, month, year, century, reg_b;
};

static u8 cmos_read(u8 index)
{
	outb(CMOS_INDEX, index);
	return inb(CMOS_DATA);
}

static bool rtc_wait_uip_clear(void)
{
	unsigned i;

	for (i = 0; i < UIP_POLLS; i++) {
		if (!(cmos_read(RTC_REG_A) & REG_A_UIP))
			return true;
		cpu_relax();
	}
	return false;
}

static void rtc_read_raw(struct rtc_raw *r)
{
	r->sec = cmos_read(RTC_SEC);
	r->min = cmos_read(RTC_MIN);
	r->hour = cmos_read(RTC_HOUR);
	r->mday = cmos_read(RTC_MDAY);
	r->month = cmos_read(RTC_MONTH);
	r->year = cmos_read(RTC_YEAR);
	r->century = cmos_read(RTC_CENTURY);
	r->reg_b = cmos_read(RTC_REG_B);
}

/* A time byte as a number; false for a BCD byte with a digit above 9. */
static bool rtc_decode(u8 raw, bool binary, unsigned *out)
{
	if (binary) {
		*out = raw;
		return true;
	}
	*out = (raw >> 4) * 10 + (raw & 0x0f);
	return (raw >> 4) <= 9 && (raw & 0x0f) <= 9;
}

/* The hour byte as 0-23 in either 12- or 24-hour mode. */
static bool rtc_decode_hour(u8 raw, u8 reg_b, unsigned *hour)
{
	bool binary = reg_b & REG_B_DM;

	if (reg_b & REG_B_24H)
		return rtc_decode(raw, binary, hour) && *hour < 24;
	if (!rtc_decode(raw & ~HOUR_PM, binary, hour) || *hour < 1 || *hour > 12)
		return false;
	*hour = *hour % 12 + ((raw & HOUR_PM) ? 12 : 0);
	return true;
}

/* The year, with the century byte when it holds a plausible one, else 20xx. */
static u32 rtc_year(const struct rtc_raw *r, unsigned yy)
{
	unsigned century;

	if (rtc_decode(r->century, r->reg_b & REG_B_DM, &century) &&
	    century >= 19 && century <= 99)
		return century * 100 + yy;
	return 2000 + yy;
}

static int rtc_convert(const struct rtc_raw *r, u64 *epoch_secs)
{
	bool binary = r->reg_b & REG_B_DM;
	unsigned sec, min, hour, mday, month, yy;
	struct date d;

	if (!rtc_decode(r->sec, binary, &sec) || sec > 59 ||
	    !rtc_decode(r->min, binary, &min) || min > 59 ||
	    !rtc_decode_hour(r->hour, r->reg_b, &hour) ||
	    !rtc_decode(r->year, binary, &yy) || yy > 99 ||
	    !rtc_decode(r->month, binary, &month) || month < 1 || month > 12 ||
	    !rtc_decode(r->mday, binary, &mday) || mday < 1)
		return -EINVAL;
	d = (struct date){ .year = rtc_year(r, yy), .month = (u8)month, .day = (u8)mday,
			   .hour = (u8)hour, .min = (u8)min, .sec = (u8)sec };
	if (mday > date_days_in_month(d.year, month) || d.year < DATE_EPOCH_YEAR)
		return -EINVAL;
	*epoch_secs = date_to_epoch(&d);
	return 0;
}

int host_rtc_read(u64 *epoch_secs)
{
	struct rtc_raw a, b;
	unsigned i;

	if (cmos_read(RTC_REG_A) == 0xff)
		return -ENODEV;		/* floating bus: no clock there */
	if (!rtc_wait_uip_clear())
		return -EIO;
	rtc_read_raw(&a);
	for (i = 0; i < READ_TRIES; i++) {
		if (!rtc_wait_uip_clear())
			return -EIO;
		rtc_read_raw(&b);
		if (!memcmp(&a, &b, sizeof(a)))
			return rtc_convert(&a, epoch_secs);
		a = b;
	}
	return -EIO;
}
