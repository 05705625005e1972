/*
 * The local APIC timer (one-shot, periodic, TSC-deadline) and its divide
 * configuration, after the Intel SDM Vol 3 11.5.4 (chapter 10 in editions
 * before 2023). The registers reach it through devices/vlapic.c; the VMM
 * drives expiry with vlapic_advance() and vlapic_next_deadline().
 *
 * The count is not stored: it is worked out from the due time and the
 * clock when read, so nothing runs between reads. Timer mode 11b (reserved)
 * counts like one-shot.
 */
#include "devices/vlapic.h"
#include "vlapic_priv.h"

enum { TIMER_ONESHOT = 0, TIMER_PERIODIC = 1, TIMER_TSC_DEADLINE = 2 };

#define VLAPIC_CYCLE_NS		(NSEC_PER_SEC / VLAPIC_BUS_HZ)
STATIC_ASSERT(NSEC_PER_SEC % VLAPIC_BUS_HZ == 0, "APIC bus cycle must be whole nanoseconds");

static unsigned vlapic_timer_mode(const struct vlapic_state *s)
{
	return (s->lvt[VLAPIC_LVT_TIMER] & LVT_TIMER_MODE) >> LVT_TIMER_SHIFT;
}

/* Nanoseconds per count: the bus cycle times the divider, whose code
 * 0-6 in DCR bits 3,1:0 means 2^(code+1) and 7 means 1 (Figure 11-10). */
static u64 vlapic_tick_ns(const struct vlapic_state *s)
{
	unsigned code = (s->timer_dcr & 3) | ((s->timer_dcr & 8) >> 1);

	return VLAPIC_CYCLE_NS << ((code + 1) & 7);
}

/* The current count: ticks left before the count reaches zero, rounded up. */
u32 vlapic_timer_count(const struct vlapic_state *s, u64 now)
{
	u64 tick = vlapic_tick_ns(s), left;

	if (!s->timer_armed || vlapic_timer_mode(s) == TIMER_TSC_DEADLINE)
		return 0;
	if (now < s->timer_due_ns) {
		left = s->timer_due_ns - now;
	} else if (vlapic_timer_mode(s) == TIMER_PERIODIC) {
		u64 period = s->timer_initial * tick;
		left = period - (now - s->timer_due_ns) % period;
	} else {
		return 0;
	}
	return (u32)((left + tick - 1) / tick);
}

/*
 * Periodic mode reloads from the previous due time, not from now, so
 * periods do not drift; periods missed while no one called are one
 * interrupt (IRR holds one bit per vector anyway).
 */
void vlapic_advance(struct vlapic *lapic, u64 now_ns)
{
	struct vlapic_state *s = &lapic->state;
	u64 period;

	if (!s->timer_armed || now_ns < s->timer_due_ns)
		return;
	switch (vlapic_timer_mode(s)) {
	case TIMER_PERIODIC:
		period = s->timer_initial * vlapic_tick_ns(s);
		s->timer_due_ns += ((now_ns - s->timer_due_ns) / period + 1) * period;
		break;
	case TIMER_TSC_DEADLINE:
		s->tsc_deadline = 0;	/* it disarms and clears itself */
		s->timer_armed = false;
		break;
	default:
		s->timer_armed = false;
		break;
	}
	vlapic_lvt_fire(lapic, VLAPIC_LVT_TIMER);
}

u64 vlapic_next_deadline(const struct vlapic *lapic)
{
	return lapic->state.timer_armed ? lapic->state.timer_due_ns : UINT64_MAX;
}

/* Writing the initial count (re)starts the count; 0 stops it. Ignored in
 * TSC-deadline mode (11.5.4.1). */
void vlapic_timer_initial_write(struct vlapic_state *s, u32 val, u64 now)
{
	if (vlapic_timer_mode(s) == TIMER_TSC_DEADLINE)
		return;
	s->timer_initial = val;
	s->timer_armed = val != 0;
	s->timer_due_ns = now + val * vlapic_tick_ns(s);
}

/* A new divider applies to the counts still to go. */
void vlapic_timer_dcr_write(struct vlapic_state *s, u32 val, u64 now)
{
	u32 left = vlapic_timer_count(s, now);

	s->timer_dcr = val & DCR_MASK;
	if (s->timer_armed && vlapic_timer_mode(s) != TIMER_TSC_DEADLINE)
		s->timer_due_ns = now + left * vlapic_tick_ns(s);
}

/* A new timer mode in the LVT disarms the timer and clears the initial
 * count and the deadline (11.5.4.1). */
void vlapic_timer_disarm(struct vlapic_state *s)
{
	s->timer_armed = false;
	s->timer_initial = 0;
	s->tsc_deadline = 0;
}

u64 vlapic_tsc_deadline_read(struct vlapic *lapic)
{
	vlapic_advance(lapic, guest_clock_now(lapic->wiring.clock));
	if (vlapic_timer_mode(&lapic->state) != TIMER_TSC_DEADLINE)
		return 0;
	return lapic->state.tsc_deadline;
}

/* The guest TSC is the host's, so the deadline converts straight to our
 * clock. A deadline already past fires at once; 0 disarms. */
void vlapic_tsc_deadline_write(struct vlapic *lapic, u64 val)
{
	struct vlapic_state *s = &lapic->state;
	u64 now = guest_clock_now(lapic->wiring.clock);

	vlapic_advance(lapic, now);
	if (!vlapic_hw_enabled(s) || vlapic_timer_mode(s) != TIMER_TSC_DEADLINE)
		return;
	s->tsc_deadline = val;
	s->timer_armed = val != 0;
	s->timer_due_ns = guest_clock_from_tsc(lapic->wiring.clock, val);
	vlapic_advance(lapic, now);
}

static u64 vlapic_dev_advance(void *dev, u64 now)
{
	vlapic_advance(dev, now);
	return vlapic_next_deadline(dev);
}

/*
 * What the timer's rules guarantee and a record could break (11.5.4):
 * the divide configuration keeps bits 3 and 1:0; a count-down timer runs
 * only from a non-zero initial count (periodic mode divides by it); and
 * IA32_TSC_DEADLINE is non-zero exactly while a TSC-deadline timer is
 * armed (it clears on expiry, and leaving the mode clears it, 11.5.4.1).
 */
void vlapic_timer_check(struct snap *sn, const struct vlapic_state *s)
{
	bool tsc_mode = vlapic_timer_mode(s) == TIMER_TSC_DEADLINE;

	snap_check(sn, !(s->timer_dcr & ~DCR_MASK),
		   "the APIC timer's divide configuration has reserved bits set");
	snap_check(sn, !s->timer_armed || tsc_mode || s->timer_initial,
		   "an APIC timer counts down from an initial count of 0");
	snap_check(sn, !s->tsc_deadline == !(s->timer_armed && tsc_mode),
		   "the TSC deadline does not match the APIC timer's state");
}

static int vlapic_dev_save(const void *dev, void *buf, size_t len)
{
	return vlapic_save(dev, buf, len);
}

static int vlapic_dev_load(void *dev, const void *buf, size_t len, bool apply, const char **why)
{
	return vlapic_load(dev, buf, len, apply, why);
}

const struct dev_ops vlapic_dev_ops = {
	.advance = vlapic_dev_advance,
	.save = vlapic_dev_save,
	.load = vlapic_dev_load,
};
