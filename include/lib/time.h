/*
 * Keel's clock: the host TSC, calibrated once at boot against the PIT
 * (arch/x86_64/tsc.c). Device models take their time from here, so a host
 * test can drive them with a fake clock (tests/unit/fake_hw.c).
 *
 * Guests see the host TSC unchanged (TSC pass-through, no offset): their
 * TSC, the device models' clocks and Keel's own all tick together.
 */
#ifndef KEEL_LIB_TIME_H
#define KEEL_LIB_TIME_H

#include "types.h"

#define NSEC_PER_SEC 1000000000ull

/* Nanoseconds since Keel started; never goes backwards. */
u64 time_now_ns(void);
/* The TSC frequency measured at boot, in Hz. */
u64 time_tsc_hz(void);
/* Points in time: the time_now_ns() value at which the TSC reads tsc
 * (0 for a TSC value before Keel started), and the TSC value at time ns.
 * A guest's TSC-deadline is turned into a device deadline this way. */
u64 time_tsc_to_ns(u64 tsc);
u64 time_ns_to_tsc(u64 ns);

#endif
