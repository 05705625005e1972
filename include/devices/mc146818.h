/*
 * Motorola MC146818A real-time clock and CMOS RAM for guests
 * (devices/mc146818.c), as in a PC: index port 0x70 (bit 7 disables NMI),
 * data port 0x71, 128 bytes, century at 0x32, IRQ on ISA IRQ 8.
 *
 * The clock is a count of seconds since 1970 fixed to an instant of the
 * VM's clock (include/devices/guest_clock.h), so nothing ticks. The model takes no lock: the VM
 * serialises register accesses, advance() and next_deadline().
 */
#ifndef KEEL_DEVICES_MC146818_H
#define KEEL_DEVICES_MC146818_H

#include "types.h"
#include "devices/irq.h"
#include "devices/guest_clock.h"
#include "devices/io_ops.h"
#include "devices/device.h"
#include "devices/snapshot.h"

#define MC146818_NR_PORTS	2	/* 0x70 index, 0x71 data */
#define MC146818_CMOS_SIZE	128
#define MC146818_CENTURY	0x32	/* CMOS byte holding the century (ACPI FADT) */

/* Guest-visible state: no pointers; saved and loaded as a record
 * (mc146818_save, mc146818_load). */
struct mc146818_state {
	/*
	 * Registers and RAM by index. Bytes 0-9 and 0x32 hold the guest's
	 * own time values only while SET is 1; otherwise reads compute them.
	 */
	u8 cmos[MC146818_CMOS_SIZE];
	u8 index;		/* register selected through port 0x70 */
	bool nmi_disabled;	/* port 0x70 bit 7 */
	u64 div_ns;		/* divider chain left reset: updates at +0.5 s, +1.5 s, ... */
	u64 base_secs;		/* time shown before the first update (mod 2^64) */
	u64 flags_ns;		/* register C flags are accounted up to here */
	bool irq_level;		/* level last driven onto the irq line */
};

struct mc146818_wiring {
	struct irq_line irq;			/* IRQ 8; set may be NULL */
	const struct guest_clock *clock;	/* the VM's time */
};

struct mc146818 {
	struct mc146818_state state;
	struct mc146818_wiring wiring;
};

/*
 * Reset as a PC BIOS leaves the chip: 32.768 kHz divider running, 1024 Hz
 * rate, BCD, 24-hour, no interrupts enabled; the clock shows epoch_secs
 * (seconds since 1970 UTC, e.g. from host_rtc_read()) now. The wiring is
 * copied (a clock is required).
 */
void mc146818_init(struct mc146818 *rtc, u64 epoch_secs, const struct mc146818_wiring *w);
/* One port access: 0 is the index port (0x70), 1 the data port (0x71). */
u8 mc146818_read(struct mc146818 *rtc, unsigned port);
void mc146818_write(struct mc146818 *rtc, unsigned port, u8 val);
/* Raise IRQ 8 for the periodic, alarm and update-ended events due by now_ns. */
void mc146818_advance(struct mc146818 *rtc, u64 now_ns);
/* When advance() next has an interrupt to raise (guest clock), or
 * UINT64_MAX: none enabled, or IRQ 8 is already up until register C is read. */
u64 mc146818_next_deadline(const struct mc146818 *rtc);
bool mc146818_nmi_disabled(const struct mc146818 *rtc);
/* Set a CMOS RAM byte from the VM (0x0e-0x7f, not the century); -EINVAL otherwise. */
int mc146818_cmos_set(struct mc146818 *rtc, unsigned index, u8 val);
/*
 * Fill the memory-size bytes a BIOS would (base 640 KiB at 0x15, memory
 * above 1 MiB at 0x17 and 0x30, above 16 MiB at 0x34, above 4 GiB at
 * 0x5b) and the checksum at 0x2e.
 */
void mc146818_set_mem_size(struct mc146818 *rtc, u64 ram_below_4g, u64 ram_above_4g);
/* Drive the irq line to the level the state calls for (after a restore). */
void mc146818_irq_sync(struct mc146818 *rtc);

/* The state record (include/devices/snapshot.h): tag "RTC0". */
#define MC146818_SNAP_TAG	SNAP_TAG('R', 'T', 'C', '0')
#define MC146818_SNAP_VERSION	1
/* Write the state as one record into buf[0, len): bytes written, or -ENOSPC. */
int mc146818_save(const struct mc146818 *rtc, void *buf, size_t len);
/*
 * Read a record back. With apply false only check it; with apply true
 * check it and, when it is good, replace the state with it (the wiring is
 * kept) and drive IRQ 8 to the level it calls for (mc146818_irq_sync). 0,
 * or a negative error with *why saying what is wrong; a refused record
 * changes nothing.
 */
int mc146818_load(struct mc146818 *rtc, const void *buf, size_t len, bool apply,
		  const char **why);

/* io_bus callbacks; dev is the struct mc146818. */
extern const struct io_ops mc146818_io_ops;

/* Its hooks for the VM's device table (include/devices/device.h); dev is the struct mc146818. */
extern const struct dev_ops mc146818_dev_ops;

#endif
