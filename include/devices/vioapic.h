/*
 * I/O APIC model for guests, one per VM (devices/vioapic.c), after the
 * Intel 82093AA I/O Advanced Programmable Interrupt Controller datasheet
 * (May 1996): 24 input pins, an indirect register window (the VM maps it),
 * version 0x11 (no EOI register: Linux clears remote IRR by toggling the
 * trigger mode, which the model honours).
 *
 * The model takes no lock: the VM serialises calls for one IO-APIC.
 */
#ifndef KEEL_DEVICES_VIOAPIC_H
#define KEEL_DEVICES_VIOAPIC_H

#include "types.h"
#include "devices/io_ops.h"
#include "devices/device.h"
#include "devices/snapshot.h"

#define VIOAPIC_SIZE	0x1000ull
#define VIOAPIC_NR_PINS	24

/*
 * Guest-visible state: plain values with no pointers; saved and loaded as
 * a record (vioapic_save, vioapic_load). Remote IRR lives in bit 14 of
 * each redirection entry.
 */
struct vioapic_state {
	u32 regsel;			/* IOREGSEL: register index, bits 7:0 */
	u32 id;				/* IOAPICID: ID in bits 27:24 */
	u32 lines;			/* bit n: electrical level on pin n */
	u64 redir[VIOAPIC_NR_PINS];	/* redirection table */
};

/* Wiring: where the model's messages go. Set once by vioapic_init(), never saved. */
struct vioapic_wiring {
	/*
	 * One interrupt message for the local APICs: dest is the 8-bit
	 * destination field, mode a vlapic_delivery_mode (fixed, lowest
	 * priority, SMI, NMI, INIT or ExtINT), level_triggered the trigger
	 * mode the local APIC records in TMR.
	 */
	void (*deliver)(void *ctx, u32 dest, bool logical, u8 mode, u8 vector, bool level_triggered);
	void *ctx;
};

struct vioapic {
	struct vioapic_state state;
	struct vioapic_wiring wiring;
};

/* Reset (datasheet 3.2): ID 0, every entry masked; every line low. w may be NULL. */
void vioapic_init(struct vioapic *ioapic, const struct vioapic_wiring *w);
/*
 * Drive input pin's electrical level. The entry's polarity decides what
 * "asserted" means: an active-low pin (bit 13) is asserted while level is
 * false, so a line the ACPI tables call active-low must idle high. Pins
 * out of range are ignored.
 */
void vioapic_set_irq(struct vioapic *ioapic, unsigned pin, bool level);
/* A local APIC's EOI of a level-triggered vector (its TMR bit was set). */
void vioapic_eoi(struct vioapic *ioapic, u8 vector);

/* The state record (include/devices/snapshot.h): tag "IOAP". */
#define VIOAPIC_SNAP_TAG	SNAP_TAG('I', 'O', 'A', 'P')
#define VIOAPIC_SNAP_VERSION	1
/* Write the state as one record into buf[0, len): bytes written, or -ENOSPC. */
int vioapic_save(const struct vioapic *ioapic, void *buf, size_t len);
/*
 * Read a record back. With apply false only check it; with apply true
 * check it and, when it is good, replace the state with it (the wiring is
 * kept). Nothing is sent: a level-triggered message in flight is in the
 * local APICs' own records, and a good record has no asserted pin left
 * waiting to send. 0, or a negative error with *why saying what is wrong;
 * a refused record changes nothing.
 */
int vioapic_load(struct vioapic *ioapic, const void *buf, size_t len, bool apply,
		 const char **why);

/* IOREGSEL at offset 0x00 and IOWIN at 0x10, 32-bit accesses; others read 0. */
u64 vioapic_mmio_read(struct vioapic *ioapic, u64 offset, unsigned size);
void vioapic_mmio_write(struct vioapic *ioapic, u64 offset, unsigned size, u64 val);
/* io_bus callbacks; dev is the struct vioapic. */
extern const struct io_ops vioapic_mmio_ops;

/* Its hooks for the VM's device table (include/devices/device.h); dev is the struct vioapic. */
extern const struct dev_ops vioapic_dev_ops;

#endif
