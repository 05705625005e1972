/*
 * ACPI fixed hardware for guests (devices/acpi_pm.c), ACPI 6.5 section 4.8:
 * the PM1a event and control registers, the 32-bit power management timer
 * and the reset register, in one 16-port I/O block. The FADT that
 * vmm/machine/acpi_build.c writes describes exactly this layout.
 *
 * The model takes no lock: the VM serialises its accesses.
 */
#ifndef KEEL_DEVICES_ACPI_PM_H
#define KEEL_DEVICES_ACPI_PM_H

#include "types.h"
#include "devices/irq.h"
#include "devices/guest_clock.h"
#include "devices/io_ops.h"
#include "devices/device.h"
#include "devices/snapshot.h"

#define ACPI_PM_BASE        0x600	/* default I/O base of the block */
#define ACPI_PM_LEN         16		/* ports in the block */

/* Offsets in the block, and the lengths the FADT declares for them. */
#define ACPI_PM_EVT         0x00	/* PM1a_EVT_BLK: PM1_STS at +0, PM1_EN at +2 */
#define ACPI_PM_EVT_LEN     4
#define ACPI_PM_CNT         0x04	/* PM1a_CNT_BLK: PM1_CNT */
#define ACPI_PM_CNT_LEN     2
#define ACPI_PM_TMR         0x08	/* PM_TMR_BLK: 32-bit timer (TMR_VAL_EXT) */
#define ACPI_PM_TMR_LEN     4
#define ACPI_PM_RESET       0x0c	/* RESET_REG, one byte */
#define ACPI_PM_RESET_VALUE 0x01	/* the FADT's RESET_VALUE */

#define ACPI_PM_TMR_HZ      3579545	/* PM timer frequency (4.8.3.3) */
#define ACPI_PM_SCI_IRQ     9		/* ISA IRQ of the SCI (FADT SCI_INT) */
/* SLP_TYP that means S5 (soft off): must equal the DSDT's \_S5 value. */
#define ACPI_PM_S5_SLP_TYP  5

/*
 * Guest-visible state: plain values with no pointers. acpi_pm_save()
 * writes it as a record, acpi_pm_load() reads one back and runs
 * acpi_pm_irq_sync().
 */
struct acpi_pm_state {
	u16 sts;		/* PM1_STS sticky bits (TMR_STS, PWRBTN_STS, WAK_STS) */
	u16 en;			/* PM1_EN */
	u16 cnt;		/* PM1_CNT readable bits other than SCI_EN */
	u64 tmr_epoch_ns;	/* guest clock time at which the timer read 0 */
	u64 tmr_halves;		/* timer ticks >> 31 when TMR_STS was last updated */
	bool sci_level;		/* level last driven onto the SCI line */
};

/* Wiring: where the model's outputs go. Set once by acpi_pm_init(), never saved. */
struct acpi_pm_wiring {
	void (*power_off)(void *ctx);	/* SLP_EN with the S5 sleep type; may be NULL */
	void (*reset)(void *ctx);	/* ACPI_PM_RESET_VALUE written to RESET_REG; may be NULL */
	void *ctx;
	struct irq_line sci;		/* ISA IRQ 9, level-triggered, active high */
	const struct guest_clock *clock;	/* the VM's time */
};

struct acpi_pm {
	struct acpi_pm_state state;
	struct acpi_pm_wiring wiring;
	bool sleep_warned;		/* host side: unsupported sleep type logged once */
};

/* Power-on state (timer at 0 now, SCI_EN set) and wiring (copied; a clock
 * is required); drives the SCI low. */
void acpi_pm_init(struct acpi_pm *pm, const struct acpi_pm_wiring *wiring);
/* Press the power button: PWRBTN_STS, and an SCI if the guest enabled it. */
void acpi_pm_power_button(struct acpi_pm *pm);
/* The timer's carry (TMR_STS) as of now_ns; raises the SCI if TMR_EN. */
void acpi_pm_advance(struct acpi_pm *pm, u64 now_ns);
/* When acpi_pm_advance() must next run (guest clock), or UINT64_MAX:
 * only while TMR_EN is set and TMR_STS clear is an SCI due at a known time. */
u64 acpi_pm_next_deadline(const struct acpi_pm *pm);
/* Drive the SCI to the level the state calls for (after a restore). */
void acpi_pm_irq_sync(struct acpi_pm *pm);

/* The state record (include/devices/snapshot.h): tag "ACPM". The host-side
 * sleep_warned is not in it. */
#define ACPI_PM_SNAP_TAG	SNAP_TAG('A', 'C', 'P', 'M')
#define ACPI_PM_SNAP_VERSION	1
/* Write the state as one record into buf[0, len): bytes written, or -ENOSPC. */
int acpi_pm_save(const struct acpi_pm *pm, void *buf, size_t len);
/*
 * Read a record back. With apply false only check it; with apply true
 * check it and, when it is good, replace the state with it (the wiring is
 * kept) and drive the SCI to the level it calls for. 0, or a negative
 * error with *why saying what is wrong; a refused record changes nothing.
 */
int acpi_pm_load(struct acpi_pm *pm, const void *buf, size_t len, bool apply, const char **why);

/* io_bus callbacks over the ACPI_PM_LEN ports; dev is the struct acpi_pm.
 * Byte, word and dword accesses reach any bytes of any register. */
extern const struct io_ops acpi_pm_io_ops;

/* Its hooks for the VM's device table (include/devices/device.h); dev is the struct acpi_pm. */
extern const struct dev_ops acpi_pm_dev_ops;

#endif
