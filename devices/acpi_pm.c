/*
 * ACPI fixed hardware (ACPI 6.5 section 4.8): the PM1a event registers
 * PM1_STS and PM1_EN (4.8.3.1), the PM1a control register (4.8.3.2), the
 * power management timer (4.8.3.3) and the reset register (4.8.3.6), laid
 * out in one I/O block as include/devices/acpi_pm.h lists.
 *
 * The system is always in ACPI mode (the FADT has no SMI_CMD), so SCI_EN
 * reads 1 and cannot be cleared. Only S5 exists as a sleep state. There is
 * no sleep button, no RTC wake status (the FADT sets FIX_RTC) and no GPE
 * block. The timer is computed from the VM's clock when read, never ticked;
 * its carry bit TMR_STS is brought up to date on each access and by
 * acpi_pm_advance(), which the VM's timer code runs at the deadline
 * acpi_pm_next_deadline() gives while the guest has TMR_EN set.
 */
#include "devices/acpi_pm.h"
#include "lib/log.h"
#include "lib/string.h"

/* PM1 Status register bits (4.8.3.1.1). */
#define PM1_TMR_STS		BIT(0)	/* timer bit 31 changed */
#define PM1_PWRBTN_STS		BIT(8)	/* power button pressed */
#define PM1_WAK_STS		BIT(15)	/* woke from a sleep state */
#define PM1_STS_W1C		(PM1_TMR_STS | PM1_PWRBTN_STS | PM1_WAK_STS)

/* PM1 Enable register bits (4.8.3.1.2): same positions as the
 * status bits they enable. Kept even where the event never happens. */
#define PM1_TMR_EN		BIT(0)
#define PM1_GBL_EN		BIT(5)
#define PM1_PWRBTN_EN		BIT(8)
#define PM1_SLPBTN_EN		BIT(9)
#define PM1_RTC_EN		BIT(10)
#define PM1_EN_MASK		(PM1_TMR_EN | PM1_GBL_EN | PM1_PWRBTN_EN | PM1_SLPBTN_EN | PM1_RTC_EN)

/* PM1 Control register bits (4.8.3.2.1). */
#define PM1_SCI_EN		BIT(0)	/* ACPI mode; read-only 1 here */
#define PM1_BM_RLD		BIT(1)
#define PM1_SLP_TYP_SHIFT	10
#define PM1_SLP_TYP		(7u << PM1_SLP_TYP_SHIFT)	/* bits 12:10 */
#define PM1_SLP_EN		BIT(13)	/* write-only: enter SLP_TYP */
#define PM1_CNT_RW		(PM1_BM_RLD | PM1_SLP_TYP)

/* Byte offsets of the two PM1 event registers inside the event block. */
#define PM1_STS_OFF		(ACPI_PM_EVT + 0)
#define PM1_EN_OFF		(ACPI_PM_EVT + 2)

/* The timer sets TMR_STS each time its bit 31 changes, i.e. every 2^31 ticks. */
#define TMR_CARRY_SHIFT		31

/*
 * Timer ticks in ns nanoseconds, rounded down. Split at whole seconds so
 * nothing overflows for the next few thousand years of uptime.
 */
static u64 acpi_pm_ticks(u64 ns)
{
	return ns / NSEC_PER_SEC * ACPI_PM_TMR_HZ +
	       ns % NSEC_PER_SEC * ACPI_PM_TMR_HZ / NSEC_PER_SEC;
}

/* The first nanosecond at which acpi_pm_ticks() reaches ticks; saturates. */
static u64 acpi_pm_ticks_to_ns(u64 ticks)
{
	u64 secs = ticks / ACPI_PM_TMR_HZ, rest = ticks % ACPI_PM_TMR_HZ;

	if (secs > (UINT64_MAX - NSEC_PER_SEC) / NSEC_PER_SEC)
		return UINT64_MAX;
	return secs * NSEC_PER_SEC + (rest * NSEC_PER_SEC + ACPI_PM_TMR_HZ - 1) / ACPI_PM_TMR_HZ;
}

/* Ticks since power-on as of now_ns; a clock before the epoch counts as 0. */
static u64 acpi_pm_ticks_at(const struct acpi_pm_state *s, u64 now_ns)
{
	return now_ns > s->tmr_epoch_ns ? acpi_pm_ticks(now_ns - s->tmr_epoch_ns) : 0;
}

/* Latch TMR_STS if bit 31 of the counter changed since we last looked. */
static void acpi_pm_tmr_carry(struct acpi_pm_state *s, u64 now_ns)
{
	u64 halves = acpi_pm_ticks_at(s, now_ns) >> TMR_CARRY_SHIFT;

	if (halves != s->tmr_halves) {
		s->sts |= PM1_TMR_STS;
		s->tmr_halves = halves;
	}
}

/* The SCI is a level: high while an enabled status bit is set (4.8.3.1). */
static bool acpi_pm_sci_wanted(const struct acpi_pm_state *s)
{
	return (s->sts & s->en) != 0;
}

static void acpi_pm_irq_update(struct acpi_pm *pm)
{
	bool level = acpi_pm_sci_wanted(&pm->state);

	if (level == pm->state.sci_level)
		return;
	pm->state.sci_level = level;
	irq_line_set(&pm->wiring.sci, level);
}

void acpi_pm_irq_sync(struct acpi_pm *pm)
{
	pm->state.sci_level = acpi_pm_sci_wanted(&pm->state);
	irq_line_set(&pm->wiring.sci, pm->state.sci_level);
}

void acpi_pm_init(struct acpi_pm *pm, const struct acpi_pm_wiring *wiring)
{
	pm->state = (struct acpi_pm_state){ .tmr_epoch_ns = guest_clock_now(wiring->clock) };
	pm->wiring = *wiring;
	pm->sleep_warned = false;
	acpi_pm_irq_sync(pm);
}

void acpi_pm_power_button(struct acpi_pm *pm)
{
	pm->state.sts |= PM1_PWRBTN_STS;
	acpi_pm_irq_update(pm);
}

void acpi_pm_advance(struct acpi_pm *pm, u64 now_ns)
{
	acpi_pm_tmr_carry(&pm->state, now_ns);
	acpi_pm_irq_update(pm);
}

u64 acpi_pm_next_deadline(const struct acpi_pm *pm)
{
	const struct acpi_pm_state *s = &pm->state;
	u64 at;

	if (!(s->en & PM1_TMR_EN) || (s->sts & PM1_TMR_STS))
		return UINT64_MAX;
	if (s->tmr_halves >= UINT64_MAX >> TMR_CARRY_SHIFT)
		return UINT64_MAX;
	at = acpi_pm_ticks_to_ns((s->tmr_halves + 1) << TMR_CARRY_SHIFT);
	return at > UINT64_MAX - s->tmr_epoch_ns ? UINT64_MAX : s->tmr_epoch_ns + at;
}

static void put16(u8 *p, u16 v)
{
	p[0] = v;
	p[1] = v >> 8;
}

/*
 * The whole block as the guest would read it at now_ns, little-endian, so
 * an access of any width at any offset is a slice of it. The timer is
 * sampled once per access: a dword read sees one coherent value.
 */
static void acpi_pm_image(const struct acpi_pm_state *s, u64 now_ns, u8 img[ACPI_PM_LEN])
{
	u32 tmr = (u32)acpi_pm_ticks_at(s, now_ns);

	memset(img, 0, ACPI_PM_LEN);
	put16(img + PM1_STS_OFF, s->sts);
	put16(img + PM1_EN_OFF, s->en);
	put16(img + ACPI_PM_CNT, s->cnt | PM1_SCI_EN);
	put16(img + ACPI_PM_TMR, (u16)tmr);
	put16(img + ACPI_PM_TMR + 2, (u16)(tmr >> 16));
}

static u64 acpi_pm_io_read(void *dev, u64 offset, unsigned size)
{
	struct acpi_pm *pm = dev;
	u64 now = guest_clock_now(pm->wiring.clock), val = 0;
	u8 img[ACPI_PM_LEN];

	acpi_pm_tmr_carry(&pm->state, now);
	acpi_pm_irq_update(pm);
	acpi_pm_image(&pm->state, now, img);
	for (unsigned i = 0; i < size && i < 8; i++) {
		u64 byte = offset + i < ACPI_PM_LEN ? img[offset + i] : 0xff;

		val |= byte << (8 * i);
	}
	return val;
}

/*
 * SLP_EN (4.8.3.2.1): enter the sleep state SLP_TYP names. S5 is the only
 * one this platform has (the DSDT lists no other \_Sx). For another type
 * the write is logged and the machine "wakes" at once: WAK_STS set, since
 * an OS that tried anyway spins on it.
 */
static void acpi_pm_sleep(struct acpi_pm *pm, unsigned slp_typ)
{
	if (slp_typ == ACPI_PM_S5_SLP_TYP) {
		if (pm->wiring.power_off)
			pm->wiring.power_off(pm->wiring.ctx);
		return;
	}
	if (!pm->sleep_warned)
		log_warn("acpi_pm: guest asked for sleep type %u: only S5 (type %u) is supported",
			 slp_typ, ACPI_PM_S5_SLP_TYP);
	pm->sleep_warned = true;
	pm->state.sts |= PM1_WAK_STS;
}

/* A 16-bit register's bytes from a write: its value and which bits were written. */
static u16 field16(const u8 *data, unsigned off)
{
	return data[off] | (u16)data[off + 1] << 8;
}

static void acpi_pm_io_write(void *dev, u64 offset, unsigned size, u64 val)
{
	struct acpi_pm *pm = dev;
	struct acpi_pm_state *s = &pm->state;
	u8 data[ACPI_PM_LEN] = { 0 }, mask[ACPI_PM_LEN] = { 0 };
	u16 v, m;

	for (unsigned i = 0; i < size && i < 8 && offset + i < ACPI_PM_LEN; i++) {
		data[offset + i] = val >> (8 * i);
		mask[offset + i] = 0xff;
	}
	acpi_pm_tmr_carry(s, guest_clock_now(pm->wiring.clock));
	/* PM1_STS: write 1 to clear; zero bits and unwritten bytes keep theirs. */
	s->sts &= ~(field16(data, PM1_STS_OFF) & PM1_STS_W1C);
	m = field16(mask, PM1_EN_OFF) & PM1_EN_MASK;
	s->en = (s->en & ~m) | (field16(data, PM1_EN_OFF) & m);
	m = field16(mask, ACPI_PM_CNT);
	v = field16(data, ACPI_PM_CNT);
	s->cnt = (s->cnt & ~(m & PM1_CNT_RW)) | (v & m & PM1_CNT_RW);
	acpi_pm_irq_update(pm);

	/* Actions last: power-off and reset may tear the VM down. */
	if (v & m & PM1_SLP_EN)
		acpi_pm_sleep(pm, (s->cnt & PM1_SLP_TYP) >> PM1_SLP_TYP_SHIFT);
	if (mask[ACPI_PM_RESET] && data[ACPI_PM_RESET] == ACPI_PM_RESET_VALUE &&
	    pm->wiring.reset)
		pm->wiring.reset(pm->wiring.ctx);
}

const struct io_ops acpi_pm_io_ops = {
	.read = acpi_pm_io_read,
	.write = acpi_pm_io_write,
};

static u64 acpi_pm_dev_advance(void *dev, u64 now)
{
	acpi_pm_advance(dev, now);
	return acpi_pm_next_deadline(dev);
}

/* --- state records (include/devices/snapshot.h) ---------------------------- */

/*
 * Every field of struct acpi_pm_state, in record order, with what the
 * register writes guarantee: PM1_STS holds only the three status bits
 * this hardware sets, PM1_EN and PM1_CNT only their writable bits (SCI_EN
 * reads 1 and SLP_EN is write-only, so neither is stored; 4.8.3.2.1), and
 * the timer's carry count is one the VM's clock can reach. The assert
 * fails when the struct changes size: a field added to the state must be
 * added here too, and ACPI_PM_SNAP_VERSION bumped.
 */
STATIC_ASSERT(sizeof(struct acpi_pm_state) == 32,
	      "struct acpi_pm_state changed: update acpi_pm_fields() and ACPI_PM_SNAP_VERSION");

static void acpi_pm_fields(struct snap *s, void *p)
{
	struct acpi_pm_state *st = p;

	snap_u16(s, &st->sts);
	snap_check(s, !(st->sts & ~PM1_STS_W1C), "PM1_STS has bits this hardware never sets");
	snap_u16(s, &st->en);
	snap_check(s, !(st->en & ~PM1_EN_MASK), "PM1_EN has reserved bits set");
	snap_u16(s, &st->cnt);
	snap_check(s, !(st->cnt & ~PM1_CNT_RW), "PM1_CNT has bits other than BM_RLD and SLP_TYP");
	snap_u64(s, &st->tmr_epoch_ns);
	snap_u64(s, &st->tmr_halves);
	snap_check(s, st->tmr_halves <= acpi_pm_ticks(UINT64_MAX) >> TMR_CARRY_SHIFT,
		   "the PM timer's carry count is beyond the guest clock's range");
	snap_bool(s, &st->sci_level);
}

int acpi_pm_save(const struct acpi_pm *pm, void *buf, size_t len)
{
	return snap_save(buf, len, ACPI_PM_SNAP_TAG, ACPI_PM_SNAP_VERSION, acpi_pm_fields,
			 &pm->state, NULL);
}

/* The record goes into a scratch copy; only a good one replaces the state. */
int acpi_pm_load(struct acpi_pm *pm, const void *buf, size_t len, bool apply, const char **why)
{
	struct acpi_pm_state st = { 0 };
	int err = snap_load(buf, len, ACPI_PM_SNAP_TAG, ACPI_PM_SNAP_VERSION, acpi_pm_fields, &st,
			    why);

	if (err || !apply)
		return err;
	pm->state = st;
	acpi_pm_irq_sync(pm);
	return 0;
}

static int acpi_pm_dev_save(const void *dev, void *buf, size_t len)
{
	return acpi_pm_save(dev, buf, len);
}

static int acpi_pm_dev_load(void *dev, const void *buf, size_t len, bool apply, const char **why)
{
	return acpi_pm_load(dev, buf, len, apply, why);
}

const struct dev_ops acpi_pm_dev_ops = {
	.advance = acpi_pm_dev_advance,
	.save = acpi_pm_dev_save,
	.load = acpi_pm_dev_load,
};
