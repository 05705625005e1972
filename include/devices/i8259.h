/*
 * The PC's pair of Intel 8259A interrupt controllers for guests
 * (devices/i8259.c): the master at ports 0x20-0x21 with the slave
 * cascaded on its IR2 at 0xa0-0xa1, and the edge/level control
 * registers (ELCR) at 0x4d0-0x4d1. ISA IRQs 0-7 enter the master, 8-15
 * the slave.
 *
 * The model takes no lock: the VM serialises register accesses,
 * set_irq() and ack() for one pair.
 */
#ifndef KEEL_DEVICES_I8259_H
#define KEEL_DEVICES_I8259_H

#include "types.h"
#include "devices/io_ops.h"
#include "devices/device.h"
#include "devices/snapshot.h"

#define I8259_NR_IRQS	16
#define I8259_CASCADE	2	/* the master input the slave's INT drives */

/* One 8259A. */
struct i8259_chip {
	u8 irr;			/* interrupt request register */
	u8 isr;			/* in-service register */
	u8 imr;			/* interrupt mask register (OCW1) */
	u8 lines;		/* input levels, for edge detection */
	u8 elcr;		/* level-triggered inputs (ELCR) */
	u8 elcr_mask;		/* ELCR bits that may be set */
	u8 icw1, icw2, icw3, icw4;
	u8 init_step;		/* next ICW expected: 0 = initialised, 2-4 */
	u8 lowest;		/* the input with the lowest priority (rotation) */
	bool read_isr;		/* OCW3 RIS: even-port reads return ISR, else IRR */
	bool poll;		/* OCW3 P: the next even-port read is a poll */
	bool special_mask;	/* OCW3 special mask mode */
	bool rotate_aeoi;	/* OCW2: rotate on automatic EOI */
	bool int_out;		/* INT output level */
};

/* Guest-visible state: no pointers; saved and loaded as a record
 * (i8259_save, i8259_load). */
struct i8259_state {
	struct i8259_chip chip[2];	/* 0 master, 1 slave */
};

struct i8259_wiring {
	/* Called when the master's INT output changes (may be NULL), so the
	 * VM can inject an external interrupt or wake a halted vCPU. */
	void (*intr_changed)(void *ctx, bool level);
	void *ctx;
};

struct i8259 {
	struct i8259_state state;
	struct i8259_wiring wiring;
};

/* Power-on state: uninitialised, all inputs masked (IMR 0xff), edge mode. */
void i8259_init(struct i8259 *pic, void (*intr_changed)(void *ctx, bool level), void *ctx);
/* Drive ISA input irq (0-15; 2 is the cascade and is ignored). */
void i8259_set_irq(struct i8259 *pic, unsigned irq, bool level);
/* The same, shaped as an irq_line callback: ctx is the struct i8259. */
void i8259_irq_line_set(void *ctx, unsigned irq, bool level);
/* The master's INT output: an interrupt is waiting for an INTA cycle. */
bool i8259_intr(const struct i8259 *pic);
/*
 * The INTA cycle: the vector to deliver. Moves the request from IRR to
 * ISR (or not, with automatic EOI) on the master and, for IR2, the slave.
 * When the request went away since INT rose, returns the spurious IR7
 * vector of the chip that lost it, with no ISR bit set on that chip.
 */
int i8259_ack(struct i8259 *pic);
/* One register access; chip 0 master, 1 slave; port 0 or 1 within it. */
u8 i8259_read(struct i8259 *pic, unsigned chip, unsigned port);
void i8259_write(struct i8259 *pic, unsigned chip, unsigned port, u8 val);
/* Drive the INT callback to the state's level (after a restore). */
void i8259_sync(struct i8259 *pic);

/* The state record (include/devices/snapshot.h): tag "PIC0". */
#define I8259_SNAP_TAG		SNAP_TAG('P', 'I', 'C', '0')
#define I8259_SNAP_VERSION	1
/* Write the state as one record into buf[0, len): bytes written, or -ENOSPC. */
int i8259_save(const struct i8259 *pic, void *buf, size_t len);
/*
 * Read a record back. With apply false only check it; with apply true
 * check it and, when it is good, replace the state with it (the wiring is
 * kept) and drive the INT callback to its level (i8259_sync). 0, or a
 * negative error with *why saying what is wrong; a refused record changes
 * nothing.
 */
int i8259_load(struct i8259 *pic, const void *buf, size_t len, bool apply, const char **why);

/* io_bus callbacks; dev is the struct i8259. */
extern const struct io_ops i8259_master_ops;	/* 0x20, 2 ports */
extern const struct io_ops i8259_slave_ops;	/* 0xa0, 2 ports */
extern const struct io_ops i8259_elcr_ops;	/* 0x4d0, 2 ports */

/* Its hooks for the VM's device table (include/devices/device.h); dev is the struct i8259. */
extern const struct dev_ops i8259_dev_ops;

#endif
