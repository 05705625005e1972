/*
 * MC146818A real-time clock and CMOS RAM model. Registers and timing
 * follow the Motorola MC146818A datasheet: "Address Map" (Figure 3),
 * "Time, Calendar and Alarm Data Modes" (Table 3), "Registers" A-D,
 * "Update Cycle" (Table 6, 244 us UIP lead) and "Interrupts" (Table 5,
 * periodic rates for a 32.768 kHz time base).
 *
 * Time is kept as seconds since 1970 at an instant, and every register
 * read computes the date. The divider chain starts when register A's
 * DV bits become 010; the first update is half a second later, then one
 * per second, and periodic interrupts are taps of the same chain, so
 * all events derive from div_ns. Register C flags are accumulated
 * lazily: any register change first accounts for the time before it.
 *
 * Simplifications: the update cycle takes no time (UIP rises 244 us
 * before the registers change and falls as they do); the day of the
 * week is computed from the date, so a written weekday is not kept;
 * changing DM or 24/12 while SET is 0 re-encodes the time at once
 * instead of corrupting it; DSE and SQWE are stored only; dates run from
 * 1970 to 9999 and out-of-range values written by a guest saturate.
 */
#include "devices/mc146818.h"
#include "lib/date.h"

/* Register indices (Figure 3). */
enum {
	RTC_SEC = 0, RTC_SEC_ALARM = 1, RTC_MIN = 2, RTC_MIN_ALARM = 3,
	RTC_HOUR = 4, RTC_HOUR_ALARM = 5, RTC_WDAY = 6, RTC_MDAY = 7,
	RTC_MONTH = 8, RTC_YEAR = 9, RTC_REG_A = 0x0a, RTC_REG_B = 0x0b,
	RTC_REG_C = 0x0c, RTC_REG_D = 0x0d,
};

#define REG_A_UIP	BIT(7)		/* update in progress (read-only) */
#define REG_A_DV	0x70		/* divider select, bits 6:4 */
#define REG_A_DV_32K	0x20		/* 010: 32.768 kHz time base, running */
#define REG_A_RS	0x0f		/* rate select */
#define REG_B_SET	BIT(7)		/* updates inhibited, time being set */
#define REG_B_PIE	BIT(6)		/* periodic interrupt enable */
#define REG_B_AIE	BIT(5)		/* alarm interrupt enable */
#define REG_B_UIE	BIT(4)		/* update-ended interrupt enable */
#define REG_B_DM	BIT(2)		/* binary (else BCD) data */
#define REG_B_24H	BIT(1)		/* 24-hour (else 12-hour) mode */
#define REG_C_IRQF	BIT(7)		/* an enabled flag below is set */
#define REG_C_PF	BIT(6)		/* periodic; same bit as PIE in B */
#define REG_C_AF	BIT(5)		/* alarm; same bit as AIE */
#define REG_C_UF	BIT(4)		/* update ended; same bit as UIE */
#define REG_C_FLAGS	(REG_C_PF | REG_C_AF | REG_C_UF)
#define REG_D_VRT	BIT(7)		/* valid RAM and time: the battery is good */
#define HOUR_PM		BIT(7)		/* 12-hour mode: afternoon */
#define ALARM_ANY	0xc0		/* alarm bytes 0xc0-0xff match every value */
#define INDEX_NMI_OFF	BIT(7)		/* port 0x70 bit 7 */

#define REG_A_RATE_1024 6		/* the BIOS default periodic rate */
#define RTC_HZ		32768u		/* the time base */
#define UIP_LEAD_NS	244000u		/* UIP is set this long before an update */
#define HALF_SEC_NS	(NSEC_PER_SEC / 2)
#define NO_ALARM	UINT64_MAX

/* CMOS RAM bytes of the IBM AT BIOS layout (little-endian unless noted). */
enum {
	CMOS_BASE_KB = 0x15,		/* memory below 1 MiB, KiB */
	CMOS_EXT_KB = 0x17,		/* memory above 1 MiB, KiB (max 0xffff) */
	CMOS_CSUM_FIRST = 0x10,		/* checksummed range: 0x10-0x2d */
	CMOS_CSUM_LAST = 0x2d,
	CMOS_CSUM = 0x2e,		/* 16-bit sum, big-endian */
	CMOS_EXT_KB2 = 0x30,		/* copy of 0x17 */
	CMOS_HIGH_64K = 0x34,		/* memory above 16 MiB, 64 KiB units */
	CMOS_ABOVE_4G = 0x5b,		/* memory above 4 GiB, 64 KiB units, 3 bytes */
};

static bool rtc_running(const struct mc146818_state *s)
{
	return (s->cmos[RTC_REG_A] & REG_A_DV) == REG_A_DV_32K;
}

static bool rtc_setting(const struct mc146818_state *s)
{
	return s->cmos[RTC_REG_B] & REG_B_SET;
}

static u64 rtc_elapsed(const struct mc146818_state *s, u64 now)
{
	return now > s->div_ns ? now - s->div_ns : 0;
}

/* Updates that have happened by `now` since the divider started. */
static u64 rtc_updates(const struct mc146818_state *s, u64 now)
{
	return (rtc_elapsed(s, now) + HALF_SEC_NS) / NSEC_PER_SEC;
}

/* The instant of update number k (k >= 1). */
static u64 rtc_update_ns(const struct mc146818_state *s, u64 k)
{
	return s->div_ns + k * NSEC_PER_SEC - HALF_SEC_NS;
}

/* The clock's seconds since 1970 at `now` (frozen while the divider is stopped). */
static u64 rtc_secs(const struct mc146818_state *s, u64 now)
{
	return rtc_running(s) ? s->base_secs + rtc_updates(s, now) : s->base_secs;
}

/* Periodic interrupt period in 32.768 kHz clocks (Table 5), 0 for none. */
static u64 rtc_period(const struct mc146818_state *s)
{
	unsigned rate = s->cmos[RTC_REG_A] & REG_A_RS;

	if (!rate)
		return 0;
	return 1ull << (rate >= 3 ? rate - 1 : rate + 6);	/* rates 1, 2: 256, 128 Hz */
}

static u64 rtc_clocks(const struct mc146818_state *s, u64 now)
{
	u64 e = rtc_elapsed(s, now);

	return e / NSEC_PER_SEC * RTC_HZ + e % NSEC_PER_SEC * RTC_HZ / NSEC_PER_SEC;
}

/* The first nanosecond at which the chain has counted n clocks. */
static u64 rtc_clock_ns(const struct mc146818_state *s, u64 n)
{
	return s->div_ns + n / RTC_HZ * NSEC_PER_SEC +
	       (n % RTC_HZ * NSEC_PER_SEC + RTC_HZ - 1) / RTC_HZ;
}

/* Data mode (Table 3): binary or BCD, as register B's DM bit says. */
static u8 rtc_to_reg(const struct mc146818_state *s, unsigned v)
{
	if (s->cmos[RTC_REG_B] & REG_B_DM)
		return (u8)v;
	return (u8)((v / 10) << 4 | v % 10);
}

/* Lenient decode of a written time byte: bad BCD digits count as values. */
static unsigned rtc_from_reg(const struct mc146818_state *s, u8 raw)
{
	if (s->cmos[RTC_REG_B] & REG_B_DM)
		return raw;
	return (raw >> 4) * 10 + (raw & 0x0f);
}

/* Strict decode for alarm bytes, which must match exactly; -1 if not a value. */
static int rtc_from_reg_strict(const struct mc146818_state *s, u8 raw)
{
	if (!(s->cmos[RTC_REG_B] & REG_B_DM) && ((raw >> 4) > 9 || (raw & 0x0f) > 9))
		return -1;
	return (int)rtc_from_reg(s, raw);
}

static u8 rtc_hour_to_reg(const struct mc146818_state *s, unsigned hour)
{
	unsigned h12 = hour % 12 ? hour % 12 : 12;

	if (s->cmos[RTC_REG_B] & REG_B_24H)
		return rtc_to_reg(s, hour);
	return rtc_to_reg(s, h12) | (hour >= 12 ? HOUR_PM : 0);
}

/* An hour byte as 0-23, or -1 if it is no valid hour in the current mode. */
static int rtc_hour_from_reg(const struct mc146818_state *s, u8 raw)
{
	int h;

	if (s->cmos[RTC_REG_B] & REG_B_24H) {
		h = rtc_from_reg_strict(s, raw);
		return h < 24 ? h : -1;
	}
	h = rtc_from_reg_strict(s, raw & ~HOUR_PM);
	if (h < 1 || h > 12)
		return -1;
	return h % 12 + ((raw & HOUR_PM) ? 12 : 0);
}

static bool rtc_is_time_reg(unsigned idx)
{
	switch (idx) {
	case RTC_SEC: case RTC_MIN: case RTC_HOUR: case RTC_WDAY: case RTC_MDAY:
	case RTC_MONTH: case RTC_YEAR: case MC146818_CENTURY:
		return true;
	default:
		return false;
	}
}

/* A time register's value at `now`, encoded as the guest reads it. */
static u8 rtc_time_reg(const struct mc146818_state *s, unsigned idx, u64 now)
{
	struct date d;

	date_from_epoch(rtc_secs(s, now), &d);
	switch (idx) {
	case RTC_SEC: return rtc_to_reg(s, d.sec);
	case RTC_MIN: return rtc_to_reg(s, d.min);
	case RTC_HOUR: return rtc_hour_to_reg(s, d.hour);
	case RTC_WDAY: return rtc_to_reg(s, d.wday + 1u);	/* Sunday is 1 */
	case RTC_MDAY: return rtc_to_reg(s, d.day);
	case RTC_MONTH: return rtc_to_reg(s, d.month);
	case RTC_YEAR: return rtc_to_reg(s, d.year % 100);
	default: return rtc_to_reg(s, d.year / 100);		/* century */
	}
}

/* Copy the current time into the time registers, for SET or a write. */
static void rtc_materialize(struct mc146818_state *s, u64 now)
{
	static const u8 regs[] = { RTC_SEC, RTC_MIN, RTC_HOUR, RTC_WDAY, RTC_MDAY,
				   RTC_MONTH, RTC_YEAR, MC146818_CENTURY };
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(regs); i++)
		s->cmos[regs[i]] = rtc_time_reg(s, regs[i], now);
}

/*
 * The time registers as seconds since 1970. Out-of-range fields
 * saturate; a missing or implausible century means 19xx, and a year
 * before 1970 is taken as 20xx, the convention Linux reads it with.
 */
static u64 rtc_parse_time(const struct mc146818_state *s)
{
	unsigned century = rtc_from_reg(s, s->cmos[MC146818_CENTURY]);
	int hour = rtc_hour_from_reg(s, s->cmos[RTC_HOUR]);
	struct date d = {
		.sec = (u8)MIN(rtc_from_reg(s, s->cmos[RTC_SEC]), 59u),
		.min = (u8)MIN(rtc_from_reg(s, s->cmos[RTC_MIN]), 59u),
		.hour = (u8)(hour < 0 ? 0 : hour),
		.day = (u8)MIN(rtc_from_reg(s, s->cmos[RTC_MDAY]), 31u),
		.month = (u8)MIN(rtc_from_reg(s, s->cmos[RTC_MONTH]), 12u),
		.year = MIN(rtc_from_reg(s, s->cmos[RTC_YEAR]), 99u),
	};

	d.year += (century >= 19 && century <= 99 ? century : 19) * 100;
	if (d.year < DATE_EPOCH_YEAR)
		d.year += 100;
	return date_to_epoch(&d);
}

/* Make the clock show the time registers' value now, keeping the divider phase. */
static void rtc_rebase(struct mc146818_state *s, u64 now)
{
	u64 secs = rtc_parse_time(s);

	s->base_secs = rtc_running(s) ? secs - rtc_updates(s, now) : secs;
}

/*
 * The alarm bytes as hour, minute and second to match, -1 for "don't
 * care" (0xc0-0xff). False if a byte can never match.
 */
static bool rtc_alarm_fields(const struct mc146818_state *s, int want[3])
{
	static const u8 regs[3] = { RTC_HOUR_ALARM, RTC_MIN_ALARM, RTC_SEC_ALARM };
	unsigned i;

	for (i = 0; i < 3; i++) {
		u8 raw = s->cmos[regs[i]];
		int v = i == 0 ? rtc_hour_from_reg(s, raw) : rtc_from_reg_strict(s, raw);

		if ((raw & ALARM_ANY) == ALARM_ANY)
			want[i] = -1;
		else if (v < 0 || v >= 60)
			return false;
		else
			want[i] = v;
	}
	return true;
}

/* The smallest value >= from and < limit that `want` accepts. */
static bool alarm_field_next(int want, unsigned from, unsigned limit, unsigned *out)
{
	if (want < 0)
		*out = from;
	else if ((unsigned)want >= from)
		*out = (unsigned)want;
	else
		return false;
	return *out < limit;
}

/* The first second of a day at or after second `tod` that matches, or -1. */
static s64 alarm_in_day(const int want[3], unsigned tod)
{
	unsigned h0 = tod / 3600, m0 = tod / 60 % 60, h, m, sec;

	for (h = h0; alarm_field_next(want[0], h, 24, &h); h++) {
		for (m = h == h0 ? m0 : 0; alarm_field_next(want[1], m, 60, &m); m++) {
			unsigned from = h == h0 && m == m0 ? tod % 60 : 0;

			if (alarm_field_next(want[2], from, 60, &sec))
				return (s64)(h * 3600 + m * 60 + sec);
		}
	}
	return -1;
}

/* The first clock value >= secs whose time of day matches the alarm. */
static u64 rtc_alarm_next(const struct mc146818_state *s, u64 secs)
{
	u64 tod = secs % SECS_PER_DAY, day = secs - tod;
	int want[3];
	s64 hit;

	if (!rtc_alarm_fields(s, want))
		return NO_ALARM;
	hit = alarm_in_day(want, (unsigned)tod);
	if (hit >= 0)
		return day + (u64)hit;
	return day + SECS_PER_DAY + (u64)alarm_in_day(want, 0);
}

/* IRQF and the line follow the flags and their enables ("Register C"). */
static void rtc_irq_update(struct mc146818 *rtc)
{
	struct mc146818_state *s = &rtc->state;
	bool irqf = s->cmos[RTC_REG_C] & s->cmos[RTC_REG_B] & REG_C_FLAGS;

	s->cmos[RTC_REG_C] = (s->cmos[RTC_REG_C] & REG_C_FLAGS) | (irqf ? REG_C_IRQF : 0);
	if (irqf == s->irq_level)
		return;
	s->irq_level = irqf;
	irq_line_set(&rtc->wiring.irq, irqf);
}

/*
 * Set the flags of everything that happened in (flags_ns, now]: a
 * periodic tap, updates (none while SET) and an alarm matched by one.
 */
static void rtc_catch_up(struct mc146818 *rtc, u64 now)
{
	struct mc146818_state *s = &rtc->state;
	u64 from = s->flags_ns, period = rtc_period(s), ua, ub;
	u8 flags = 0;

	if (now <= from)
		return;
	s->flags_ns = now;
	if (!rtc_running(s))
		return;
	if (period && rtc_clocks(s, now) / period > rtc_clocks(s, from) / period)
		flags |= REG_C_PF;
	ua = rtc_updates(s, from);
	ub = rtc_updates(s, now);
	if (!rtc_setting(s) && ub > ua) {
		flags |= REG_C_UF;
		if (rtc_alarm_next(s, s->base_secs + ua + 1) <= s->base_secs + ub)
			flags |= REG_C_AF;
	}
	s->cmos[RTC_REG_C] |= flags;
	rtc_irq_update(rtc);
}

void mc146818_advance(struct mc146818 *rtc, u64 now_ns)
{
	rtc_catch_up(rtc, now_ns);
}

u64 mc146818_next_deadline(const struct mc146818 *rtc)
{
	const struct mc146818_state *s = &rtc->state;
	u8 enabled = s->cmos[RTC_REG_B];
	u64 t = s->flags_ns, period = rtc_period(s), best = UINT64_MAX, alarm;

	if ((s->cmos[RTC_REG_C] & REG_C_IRQF) || !rtc_running(s))
		return UINT64_MAX;
	if ((enabled & REG_B_PIE) && period)
		best = rtc_clock_ns(s, (rtc_clocks(s, t) / period + 1) * period);
	if (rtc_setting(s))
		return best;
	if (enabled & REG_B_UIE)
		best = MIN(best, rtc_update_ns(s, rtc_updates(s, t) + 1));
	if (enabled & REG_B_AIE) {
		alarm = rtc_alarm_next(s, rtc_secs(s, t) + 1);
		if (alarm != NO_ALARM)
			best = MIN(best, rtc_update_ns(s, alarm - s->base_secs));
	}
	return best;
}

/* Register A: leaving DV=010 freezes the clock; returning restarts the chain. */
static void rtc_write_a(struct mc146818_state *s, u8 val, u64 now)
{
	bool was = rtc_running(s), is;
	u64 secs = rtc_secs(s, now);

	s->cmos[RTC_REG_A] = val & ~REG_A_UIP;
	is = rtc_running(s);
	if (was && !is)
		s->base_secs = secs;
	else if (!was && is)
		s->div_ns = now;	/* base_secs shows until the first update */
}

/*
 * Register B: SET going to 1 captures the time for the guest to edit and
 * clears UIE; SET going to 0 starts the clock from what was written.
 */
static void rtc_write_b(struct mc146818_state *s, u8 val, u64 now)
{
	bool was_set = rtc_setting(s);

	if (!was_set && (val & REG_B_SET)) {
		rtc_materialize(s, now);
		val &= ~REG_B_UIE;
	}
	s->cmos[RTC_REG_B] = val;
	if (was_set && !(val & REG_B_SET))
		rtc_rebase(s, now);
}

/* A time register written with SET clear takes effect at once. */
static void rtc_write_time(struct mc146818_state *s, unsigned idx, u8 val, u64 now)
{
	if (rtc_setting(s)) {
		s->cmos[idx] = val;
		return;
	}
	rtc_materialize(s, now);
	s->cmos[idx] = val;
	rtc_rebase(s, now);
}

static u8 rtc_read_data(struct mc146818 *rtc, u64 now)
{
	struct mc146818_state *s = &rtc->state;
	unsigned idx = s->index;
	u64 next;
	u8 val;

	if (rtc_is_time_reg(idx))
		return rtc_setting(s) ? s->cmos[idx] : rtc_time_reg(s, idx, now);
	switch (idx) {
	case RTC_REG_A:
		next = rtc_update_ns(s, rtc_updates(s, now) + 1);
		val = s->cmos[RTC_REG_A];
		if (rtc_running(s) && !rtc_setting(s) && next - now <= UIP_LEAD_NS)
			val |= REG_A_UIP;
		return val;
	case RTC_REG_C:
		rtc_catch_up(rtc, now);
		val = s->cmos[RTC_REG_C];
		s->cmos[RTC_REG_C] = 0;
		rtc_irq_update(rtc);
		return val;
	case RTC_REG_D:
		return REG_D_VRT;
	default:
		return s->cmos[idx];
	}
}

static void rtc_write_data(struct mc146818 *rtc, u8 val, u64 now)
{
	struct mc146818_state *s = &rtc->state;
	unsigned idx = s->index;

	rtc_catch_up(rtc, now);
	if (rtc_is_time_reg(idx))
		rtc_write_time(s, idx, val, now);
	else if (idx == RTC_REG_A)
		rtc_write_a(s, val, now);
	else if (idx == RTC_REG_B)
		rtc_write_b(s, val, now);
	else if (idx != RTC_REG_C && idx != RTC_REG_D)
		s->cmos[idx] = val;
	rtc_irq_update(rtc);
}

void mc146818_init(struct mc146818 *rtc, u64 epoch_secs, const struct mc146818_wiring *w)
{
	struct mc146818_state *s = &rtc->state;
	u64 now = guest_clock_now(w->clock);

	*s = (struct mc146818_state){ .div_ns = now, .base_secs = epoch_secs, .flags_ns = now };
	s->cmos[RTC_REG_A] = REG_A_DV_32K | REG_A_RATE_1024;
	s->cmos[RTC_REG_B] = REG_B_24H;
	rtc->wiring = *w;
}

void mc146818_irq_sync(struct mc146818 *rtc)
{
	rtc->state.irq_level = rtc->state.cmos[RTC_REG_C] & REG_C_IRQF;
	irq_line_set(&rtc->wiring.irq, rtc->state.irq_level);
}

/* Port 0x70 is write-only on the AT; it reads back here as last written. */
u8 mc146818_read(struct mc146818 *rtc, unsigned port)
{
	if (port == 0)
		return rtc->state.index | (rtc->state.nmi_disabled ? INDEX_NMI_OFF : 0);
	if (port == 1)
		return rtc_read_data(rtc, guest_clock_now(rtc->wiring.clock));
	return 0xff;
}

void mc146818_write(struct mc146818 *rtc, unsigned port, u8 val)
{
	if (port == 0) {
		rtc->state.index = val & ~INDEX_NMI_OFF;
		rtc->state.nmi_disabled = val & INDEX_NMI_OFF;
	} else if (port == 1) {
		rtc_write_data(rtc, val, guest_clock_now(rtc->wiring.clock));
	}
}

bool mc146818_nmi_disabled(const struct mc146818 *rtc)
{
	return rtc->state.nmi_disabled;
}

int mc146818_cmos_set(struct mc146818 *rtc, unsigned index, u8 val)
{
	if (index <= RTC_REG_D || index >= MC146818_CMOS_SIZE || index == MC146818_CENTURY)
		return -EINVAL;
	rtc->state.cmos[index] = val;
	return 0;
}

static void cmos_put16(struct mc146818_state *s, unsigned index, u64 val)
{
	val = MIN(val, 0xffffu);
	s->cmos[index] = (u8)val;
	s->cmos[index + 1] = (u8)(val >> 8);
}

/* The IBM AT layout that BIOSes and bootloaders still read. */
void mc146818_set_mem_size(struct mc146818 *rtc, u64 ram_below_4g, u64 ram_above_4g)
{
	struct mc146818_state *s = &rtc->state;
	u64 above_1m = ram_below_4g > MiB ? (ram_below_4g - MiB) / KiB : 0;
	u64 above_16m = ram_below_4g > 16 * MiB ? (ram_below_4g - 16 * MiB) / (64 * KiB) : 0;
	u64 high = MIN(ram_above_4g / (64 * KiB), 0xffffffull);
	unsigned i, sum = 0;

	cmos_put16(s, CMOS_BASE_KB, 640);
	cmos_put16(s, CMOS_EXT_KB, above_1m);
	cmos_put16(s, CMOS_EXT_KB2, above_1m);
	cmos_put16(s, CMOS_HIGH_64K, above_16m);
	s->cmos[CMOS_ABOVE_4G] = (u8)high;
	s->cmos[CMOS_ABOVE_4G + 1] = (u8)(high >> 8);
	s->cmos[CMOS_ABOVE_4G + 2] = (u8)(high >> 16);
	for (i = CMOS_CSUM_FIRST; i <= CMOS_CSUM_LAST; i++)
		sum += s->cmos[i];
	s->cmos[CMOS_CSUM] = (u8)(sum >> 8);
	s->cmos[CMOS_CSUM + 1] = (u8)sum;
}

/* Accesses wider than a byte act as a byte access to the first port. */
static u64 mc146818_io_read(void *dev, u64 offset, unsigned size)
{
	return offset < MC146818_NR_PORTS ? mc146818_read(dev, (unsigned)offset) : 0xff;
}

static void mc146818_io_write(void *dev, u64 offset, unsigned size, u64 val)
{
	if (offset < MC146818_NR_PORTS)
		mc146818_write(dev, (unsigned)offset, (u8)val);
}

const struct io_ops mc146818_io_ops = {
	.read = mc146818_io_read,
	.write = mc146818_io_write,
};

static u64 mc146818_dev_advance(void *dev, u64 now)
{
	mc146818_advance(dev, now);
	return mc146818_next_deadline(dev);
}

/* --- state records (include/devices/snapshot.h) ---------------------------- */

/*
 * What the register rules guarantee and a record could break. UIP is
 * computed on each read of register A, never stored (a stored one would
 * read as an update that never ends). Register C holds only its flags and
 * IRQF, which is set exactly when an enabled flag is ("Register C"):
 * the line, the deadline and the flags' next reset all follow IRQF.
 */
static void mc146818_check(struct snap *s, const struct mc146818_state *st)
{
	u8 c = st->cmos[RTC_REG_C];
	bool irqf = c & st->cmos[RTC_REG_B] & REG_C_FLAGS;

	snap_check(s, !(st->cmos[RTC_REG_A] & REG_A_UIP), "RTC register A holds UIP");
	snap_check(s, !(c & ~(REG_C_IRQF | REG_C_FLAGS)), "RTC register C has bits 3:0 set");
	snap_check(s, !(c & REG_C_IRQF) == !irqf, "RTC register C's IRQF does not follow its flags");
}

/*
 * Every field of struct mc146818_state, in record order; the register
 * index is checked next to it, since every data port access indexes cmos[]
 * with it. The assert fails when the struct changes size: a field added
 * to the state must be added here too, and MC146818_SNAP_VERSION bumped.
 */
STATIC_ASSERT(sizeof(struct mc146818_state) == 168,
	      "struct mc146818_state changed: update mc146818_fields() and MC146818_SNAP_VERSION");

static void mc146818_fields(struct snap *s, void *p)
{
	struct mc146818_state *st = p;

	snap_bytes(s, st->cmos, sizeof(st->cmos));
	snap_u8(s, &st->index);
	snap_check(s, st->index < MC146818_CMOS_SIZE, "the RTC's index is outside its 128 bytes");
	snap_bool(s, &st->nmi_disabled);
	snap_u64(s, &st->div_ns);
	snap_u64(s, &st->base_secs);
	snap_u64(s, &st->flags_ns);
	snap_bool(s, &st->irq_level);
	mc146818_check(s, st);
}

int mc146818_save(const struct mc146818 *rtc, void *buf, size_t len)
{
	return snap_save(buf, len, MC146818_SNAP_TAG, MC146818_SNAP_VERSION, mc146818_fields,
			 &rtc->state, NULL);
}

/* The record goes into a scratch copy; only a good one replaces the state. */
int mc146818_load(struct mc146818 *rtc, const void *buf, size_t len, bool apply,
		  const char **why)
{
	struct mc146818_state st = { 0 };
	int err = snap_load(buf, len, MC146818_SNAP_TAG, MC146818_SNAP_VERSION, mc146818_fields,
			    &st, why);

	if (err || !apply)
		return err;
	rtc->state = st;
	mc146818_irq_sync(rtc);
	return 0;
}

static int mc146818_dev_save(const void *dev, void *buf, size_t len)
{
	return mc146818_save(dev, buf, len);
}

static int mc146818_dev_load(void *dev, const void *buf, size_t len, bool apply, const char **why)
{
	return mc146818_load(dev, buf, len, apply, why);
}

const struct dev_ops mc146818_dev_ops = {
	.advance = mc146818_dev_advance,
	.save = mc146818_dev_save,
	.load = mc146818_dev_load,
};
