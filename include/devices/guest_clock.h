/*
 * A VM's clock, as its device models read time: nanoseconds on the VM's
 * own scale, handed to each model in its wiring (like an irq_line). Models
 * keep their deadlines as absolute values of this clock, never of the
 * host's, so a VM that is restored, or moved to another host, has its
 * timers continue where they stopped: the restore sets the clock to read
 * on from the saved time (guest_clock_set), and every deadline keeps its
 * meaning.
 *
 * Today the clock is the host's time_now_ns() plus a per-VM offset (0 for
 * a VM started fresh), and the guest's TSC is the host's: the conversions
 * below are the one place that changes when a VM gets a TSC offset.
 */
#ifndef KEEL_DEVICES_GUEST_CLOCK_H
#define KEEL_DEVICES_GUEST_CLOCK_H

#include "types.h"
#include "lib/time.h"

struct guest_clock {
	u64 offset_ns;		/* guest time - host time, mod 2^64 */
};

/* Now, on the VM's clock. */
static inline u64 guest_clock_now(const struct guest_clock *c)
{
	return time_now_ns() + c->offset_ns;
}

/* Make the clock read t now (a restored VM's saved time). */
static inline void guest_clock_set(struct guest_clock *c, u64 t)
{
	c->offset_ns = t - time_now_ns();
}

/* The host time (time_now_ns() scale) at which the clock reads t; for
 * arming the host's timers. UINT64_MAX (never) stays never. */
static inline u64 guest_clock_to_host(const struct guest_clock *c, u64 t)
{
	return t == UINT64_MAX ? UINT64_MAX : t - c->offset_ns;
}

/* The clock's reading when the guest's TSC reads tsc (a TSC-deadline). */
static inline u64 guest_clock_from_tsc(const struct guest_clock *c, u64 tsc)
{
	return time_tsc_to_ns(tsc) + c->offset_ns;
}

#endif
