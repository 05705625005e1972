/*
 * 16550A UART model for guests (devices/ns16550.c), after the National
 * Semiconductor PC16550D datasheet. Transmission is instant; receive goes
 * through a 16-byte FIFO the console backend fills with ns16550_rx_push().
 *
 * The model takes no lock: the VM serialises register accesses and
 * rx_push calls for one UART.
 */
#ifndef KEEL_DEVICES_NS16550_H
#define KEEL_DEVICES_NS16550_H

#include "types.h"
#include "devices/irq.h"
#include "devices/io_ops.h"
#include "devices/device.h"
#include "devices/snapshot.h"

#define NS16550_NR_REGS   8	/* an I/O range of 8 ports, e.g. 0x3f8 for COM1 */
#define NS16550_FIFO_SIZE 16

/*
 * Guest-visible state: plain values with no pointers. ns16550_save() writes
 * it as a record, ns16550_load() reads one back and runs ns16550_irq_sync().
 */
struct ns16550_state {
	u8 ier;			/* interrupt enable, bits 3:0 */
	u8 lcr;			/* line control; bit 7 is DLAB */
	u8 mcr;			/* modem control, bits 4:0 */
	u8 msr;			/* modem status: lines in 7:4, deltas in 3:0 */
	u8 fcr;			/* FIFO control as last programmed (bits 0, 3, 7:6) */
	u8 scr;			/* scratch */
	u8 dll, dlm;		/* divisor latch */
	u8 lsr_err;		/* sticky LSR error bits (overrun), cleared by reading LSR */
	bool thre_pending;	/* THR-empty interrupt armed, not yet acknowledged */
	bool irq_level;		/* level last driven onto the irq line */
	u8 rx_head;		/* index of the oldest byte in rx_fifo */
	u8 rx_count;		/* bytes in rx_fifo */
	u8 rx_fifo[NS16550_FIFO_SIZE];
};

/* Wiring: where the model's outputs go. Set once by ns16550_init(), never saved. */
struct ns16550_wiring {
	void (*tx)(void *ctx, u8 ch);	/* each transmitted byte; may be NULL */
	void *tx_ctx;
	struct irq_line irq;		/* a copy of the line given at init */
};

struct ns16550 {
	struct ns16550_state state;
	struct ns16550_wiring wiring;
};

/* Reset the UART and wire it; irq may be NULL for a UART without interrupt. */
void ns16550_init(struct ns16550 *uart, void (*tx)(void *ctx, u8 ch), void *tx_ctx,
		  const struct irq_line *irq);
/* One guest register access; reg is 0..7, other offsets read 0xff. */
u8 ns16550_read(struct ns16550 *uart, unsigned reg);
void ns16550_write(struct ns16550 *uart, unsigned reg, u8 val);
/* Feed a received byte; false (and LSR overrun set) when the FIFO was full. */
bool ns16550_rx_push(struct ns16550 *uart, u8 ch);
/* Free RX FIFO slots, so a backend can hold input back instead of overrunning. */
unsigned ns16550_rx_room(const struct ns16550 *uart);
/* Drive the irq line to the level the state calls for (after a restore). */
void ns16550_irq_sync(struct ns16550 *uart);

/* The state record (include/devices/snapshot.h): tag "UART". */
#define NS16550_SNAP_TAG	SNAP_TAG('U', 'A', 'R', 'T')
#define NS16550_SNAP_VERSION	1
/* Write the state as one record into buf[0, len): bytes written, or -ENOSPC. */
int ns16550_save(const struct ns16550 *uart, void *buf, size_t len);
/*
 * Read a record back. With apply false only check it; with apply true
 * check it and, when it is good, replace the state with it (the wiring is
 * kept) and drive the irq line to the level it calls for. 0, or a negative
 * error with *why saying what is wrong; a refused record changes nothing.
 */
int ns16550_load(struct ns16550 *uart, const void *buf, size_t len, bool apply,
		 const char **why);

/* io_bus callbacks; dev is the struct ns16550. */
extern const struct io_ops ns16550_io_ops;

/* Its hooks for the VM's device table (include/devices/device.h); dev is the struct ns16550. */
extern const struct dev_ops ns16550_dev_ops;

#endif
