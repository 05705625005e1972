/*
 * The host clock: the TSC, measured once at boot against the 8254 PIT's
 * channel 2 (1193182 Hz, Intel 8254 datasheet, mode 0 "interrupt on
 * terminal count"; the gate and OUT2 are bits 0 and 5 of port 0x61 on a
 * PC). Conversions use a 32.32 fixed-point factor so no division happens
 * after boot.
 */
#include "arch/hw.h"
#include "lib/log.h"
#include "lib/time.h"

#define PIT_HZ        1193182ull
#define PIT_CH2       0x42
#define PIT_CMD       0x43
#define PORT_61       0x61
#define P61_GATE2     BIT(0)	/* channel 2 gate */
#define P61_SPEAKER   BIT(1)	/* speaker data: keep it off */
#define P61_OUT2      BIT(5)	/* channel 2 output */
#define CAL_TICKS     23864u	/* 20 ms of PIT input clock */

static u64 tsc_hz = 1000000000ull;	/* until calibrated: a guess */
static u64 tsc_base;
static u64 ns_per_tsc_32;		/* ns per tick, 32.32 */
static u64 tsc_per_ns_32;		/* ticks per ns, 32.32 */

static inline u64 mul_shift32(u64 a, u64 b)
{
	return (u64)(((unsigned __int128)a * b) >> 32);
}

/* Count TSC ticks while channel 2 counts CAL_TICKS down in mode 0. */
static u64 tsc_measure_pit(void)
{
	u8 p61 = (inb(PORT_61) & ~(P61_SPEAKER | P61_GATE2));
	u64 start, end, spins = 0;

	outb(PORT_61, p61);			/* gate low: hold the counter */
	outb(PIT_CMD, 0xb0);			/* channel 2, lobyte/hibyte, mode 0, binary */
	outb(PIT_CH2, CAL_TICKS & 0xff);
	outb(PIT_CH2, CAL_TICKS >> 8);
	outb(PORT_61, p61 | P61_GATE2);		/* gate high: start counting */
	start = rdtsc();
	while (!(inb(PORT_61) & P61_OUT2) && ++spins < 100000000ull)
		;
	end = rdtsc();
	outb(PORT_61, p61);
	return spins >= 100000000ull ? 0 : end - start;
}

void tsc_init(void)
{
	u64 ticks = tsc_measure_pit();

	if (ticks < 1000) {
		log_warn("tsc: PIT calibration failed; assuming %llu MHz", (unsigned long long)(tsc_hz / 1000000));
	} else {
		tsc_hz = ticks * PIT_HZ / CAL_TICKS;
	}
	ns_per_tsc_32 = (NSEC_PER_SEC << 32) / tsc_hz;
	tsc_per_ns_32 = (tsc_hz << 32) / NSEC_PER_SEC;
	tsc_base = rdtsc();
	log_info("tsc: %llu.%03llu MHz (calibrated against the PIT)",
		 (unsigned long long)(tsc_hz / 1000000), (unsigned long long)(tsc_hz / 1000 % 1000));
}

u64 time_tsc_hz(void)
{
	return tsc_hz;
}

u64 time_tsc_to_ns(u64 tsc)
{
	return tsc > tsc_base ? mul_shift32(tsc - tsc_base, ns_per_tsc_32) : 0;
}

u64 time_ns_to_tsc(u64 ns)
{
	return tsc_base + mul_shift32(ns, tsc_per_ns_32);
}

u64 time_now_ns(void)
{
	return time_tsc_to_ns(rdtsc());
}
