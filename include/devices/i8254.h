/*
 * Intel 8254 programmable interval timer for guests (devices/i8254.c), as
 * wired in a PC: 1193182 Hz input clock, channel 0 OUT on ISA IRQ 0,
 * channel 1 free (once DRAM refresh), channel 2 gated and read back
 * through port 0x61.
 *
 * Counters are computed from elapsed time, never ticked. The model takes
 * no lock: the VM serialises accesses, advance() and next_deadline().
 */
#ifndef KEEL_DEVICES_I8254_H
#define KEEL_DEVICES_I8254_H

#include "types.h"
#include "devices/irq.h"
#include "devices/guest_clock.h"
#include "devices/io_ops.h"
#include "devices/device.h"
#include "devices/snapshot.h"

#define I8254_HZ	1193182u	/* PIT input clock */
#define I8254_NR_PORTS	4		/* 0x40-0x43: channels 0-2 data, control */
#define I8254_PORT61	0x61		/* NMI status and control (separate range of 1) */

/*
 * One counter. Times are PIT clock ticks on the absolute scale
 * tick = (guest clock ns) * I8254_HZ / 10^9, so the state is plain numbers.
 */
struct i8254_channel {
	u8 ctrl;		/* control word bits 5:0: RW1 RW0 M2 M1 M0 BCD */
	u32 reload;		/* initial count last written, 1-65536 (0 means 65536) */
	u32 period;		/* modes 2/3: the count of the running cycle */
	u32 start;		/* count held at load_tick */
	u64 load_tick;		/* counting (re)started with `start` in the counter */
	u64 switch_tick;	/* modes 2/3: when a pending count replaces period */
	bool pending;		/* modes 2/3: reload waits for the end of the (half-)cycle */
	bool counting;		/* false: the counter holds `start`, OUT holds out_held */
	bool out_held;		/* OUT while not counting */
	bool tc_passed;		/* modes 0/1/4/5: terminal count already reached */
	bool phase_low;		/* mode 3: the cycle at load_tick starts in its low half */
	bool load_edge;		/* modes 2/3: OUT rose at load_tick (a cycle switch) */
	bool armed;		/* a complete count was written since the control word */
	bool gate;		/* GATE input; always high on channels 0 and 1 */
	bool null_count;	/* count written but not yet in the counter */
	bool write_msb;		/* RW=3: next count byte written is the MSB */
	u8 write_lsb;		/* RW=3: the LSB waiting for its MSB */
	bool read_msb;		/* RW=3: next byte read is the MSB */
	bool count_latched;	/* latch holds a count not yet fully read */
	bool status_latched;	/* status holds a read-back status not yet read */
	u16 latch;
	u8 status;
};

/* Guest-visible state: no pointers; saved and loaded as a record
 * (i8254_save, i8254_load). */
struct i8254_state {
	struct i8254_channel ch[3];
	u8 port61;		/* port 0x61 bits 3:0 as written */
	bool refresh;		/* port 0x61 bit 4, flips on each read */
	u64 irq_tick;		/* the last channel 0 OUT rising edge delivered */
};

/* Wiring: set once by i8254_init(), never saved. */
struct i8254_wiring {
	struct irq_line irq0;			/* channel 0 OUT; set may be NULL */
	const struct guest_clock *clock;	/* the VM's time */
};

struct i8254 {
	struct i8254_state state;
	struct i8254_wiring wiring;
};

/* Reset: no counter running, gate 2 low; the wiring is copied (a clock is required). */
void i8254_init(struct i8254 *pit, const struct i8254_wiring *w);
/* Ports 0x40-0x43 as reg 0-3; reads of the control port return 0xff. */
u8 i8254_read(struct i8254 *pit, unsigned reg);
void i8254_write(struct i8254 *pit, unsigned reg, u8 val);
u8 i8254_port61_read(struct i8254 *pit);
void i8254_port61_write(struct i8254 *pit, u8 val);
/*
 * Deliver channel 0's OUT rising edges due by now_ns as pulses on irq0
 * (raise, then lower). Edges missed since the last call coalesce into one.
 * A guest access to channel 0 delivers the edges due by then itself, so
 * reprogramming never drops one.
 */
void i8254_advance(struct i8254 *pit, u64 now_ns);
/* When advance() next has an edge to deliver (guest clock), or
 * UINT64_MAX when channel 0 will not rise again on its own. */
u64 i8254_next_deadline(const struct i8254 *pit);

/* The state record (include/devices/snapshot.h): tag "PIT0". */
#define I8254_SNAP_TAG		SNAP_TAG('P', 'I', 'T', '0')
#define I8254_SNAP_VERSION	1
/* Write the state as one record into buf[0, len): bytes written, or -ENOSPC. */
int i8254_save(const struct i8254 *pit, void *buf, size_t len);
/*
 * Read a record back. With apply false only check it; with apply true
 * check it and, when it is good, replace the state with it (the wiring is
 * kept). IRQ 0 needs no driving: it is only ever pulsed, never held. 0,
 * or a negative error with *why saying what is wrong; a refused record
 * changes nothing.
 */
int i8254_load(struct i8254 *pit, const void *buf, size_t len, bool apply, const char **why);

/* io_bus callbacks; dev is the struct i8254. */
extern const struct io_ops i8254_io_ops;	/* 0x40, 4 ports */
extern const struct io_ops i8254_port61_ops;	/* 0x61, 1 port */

/* Its hooks for the VM's device table (include/devices/device.h); dev is the struct i8254. */
extern const struct dev_ops i8254_dev_ops;

#endif
