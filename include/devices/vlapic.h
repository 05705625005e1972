/*
 * Local APIC model for guests, one per vCPU (devices/vlapic.c, its timer in
 * devices/vlapic_timer.c), after the
 * Intel SDM Vol 3 chapter 11 "Advanced Programmable Interrupt Controller"
 * (chapter 10 in editions before 2023): the xAPIC page at 0xfee00000,
 * the x2APIC MSRs 0x800-0x8ff, IA32_APIC_BASE, the APIC timer with its
 * TSC-deadline mode, interrupt priority, EOI and IPIs.
 *
 * The VMM drives delivery: before each VM entry it calls vlapic_advance()
 * (timer), then vlapic_pending() and, when it injects that vector,
 * vlapic_ack(). The model takes no lock: the VM serialises calls for one
 * APIC.
 */
#ifndef KEEL_DEVICES_VLAPIC_H
#define KEEL_DEVICES_VLAPIC_H

#include "types.h"
#include "devices/io_ops.h"
#include "devices/device.h"
#include "devices/guest_clock.h"
#include "devices/snapshot.h"

#define VLAPIC_BASE	0xfee00000ull	/* IA32_APIC_BASE at reset (SDM 11.4.4); relocation is refused */
#define VLAPIC_SIZE	0x1000ull

/*
 * The virtual APIC bus clock the timer counts (before the divider). 1 GHz
 * makes one bus cycle one nanosecond: counts convert to time exactly, and
 * the longest period (2^32 - 1 cycles divided by 128) is about 550 s.
 * Linux measures it against the PIT, or skips it when it uses TSC-deadline.
 */
#define VLAPIC_BUS_HZ	1000000000ull

/* Local vector table entries, in register order (SDM Figure 11-8). */
enum vlapic_lvt {
	VLAPIC_LVT_CMCI, VLAPIC_LVT_TIMER, VLAPIC_LVT_THERMAL, VLAPIC_LVT_PERF,
	VLAPIC_LVT_LINT0, VLAPIC_LVT_LINT1, VLAPIC_LVT_ERROR, VLAPIC_NR_LVT
};

/* ICR destination shorthand, bits 19:18 (SDM 11.6.1). */
enum vlapic_shorthand {
	VLAPIC_SH_NONE = 0, VLAPIC_SH_SELF = 1, VLAPIC_SH_ALL = 2, VLAPIC_SH_OTHERS = 3,
};

/* Delivery modes of the ICR, LVT and IO-APIC entries, bits 10:8 (SDM 11.6.1). */
enum vlapic_delivery_mode {
	VLAPIC_DM_FIXED = 0, VLAPIC_DM_LOWEST = 1, VLAPIC_DM_SMI = 2, VLAPIC_DM_NMI = 4,
	VLAPIC_DM_INIT = 5, VLAPIC_DM_STARTUP = 6, VLAPIC_DM_EXTINT = 7,
};

/*
 * Guest-visible state: plain values with no pointers; saved and loaded as
 * a record (vlapic_save, vlapic_load). Times are absolute values of the
 * VM's clock (include/devices/guest_clock.h), as for the other device
 * models.
 */
struct vlapic_state {
	u32 id;			/* x2APIC ID; xAPIC shows bits 7:0 in ID[31:24] */
	u64 apic_base;		/* IA32_APIC_BASE: EN bit 11, EXTD bit 10, BSP bit 8 */
	u32 tpr;		/* task priority, bits 7:0 */
	u32 ldr;		/* xAPIC logical destination, bits 31:24 (x2APIC: derived) */
	u32 dfr;		/* xAPIC destination format, model in bits 31:28 */
	u32 svr;		/* spurious vector 7:0, APIC enable 8, focus check off 9 */
	u32 isr[8];		/* in service: bit n of word i is vector 32*i + n */
	u32 tmr[8];		/* trigger mode of the accepted interrupt: 1 = level */
	u32 irr[8];		/* requested */
	u32 esr;		/* error status as latched by the last ESR write */
	u32 esr_pending;	/* errors seen since that write */
	u64 icr;		/* interrupt command: low word, high word << 32 */
	u32 lvt[VLAPIC_NR_LVT];
	u32 timer_initial;	/* initial count */
	u32 timer_dcr;		/* divide configuration, bits 3 and 1:0 */
	u64 tsc_deadline;	/* IA32_TSC_DEADLINE; 0 = disarmed */
	bool timer_armed;	/* a count or deadline is running */
	u64 timer_due_ns;	/* when it next reaches zero (guest clock) */
};

/* Wiring: where the model's outputs go. Set once by vlapic_init(), never saved. */
struct vlapic_wiring {
	/* EOI of a level-triggered vector: the IO-APIC clears remote IRR. May be NULL. */
	void (*eoi)(void *ctx, u8 vector);
	/*
	 * An IPI this APIC cannot deliver alone. dest is the ICR destination
	 * (8 bits in xAPIC mode, 32 in x2APIC mode), shorthand a
	 * vlapic_shorthand, mode a vlapic_delivery_mode. Fixed interrupts for
	 * this APIC itself are already delivered: the callback must not hand
	 * a Fixed message back to the sender (an "all including self" Fixed
	 * IPI arrives as VLAPIC_SH_OTHERS). Other modes (NMI, INIT, SIPI,
	 * SMI, lowest priority) arrive whole, the sender included. INIT
	 * level de-assert is dropped here. May be NULL (one vCPU): then
	 * lowest priority acts as Fixed and the rest is lost.
	 */
	void (*ipi)(void *ctx, u32 dest, bool logical, u8 shorthand, u8 mode, u8 vector);
	void *ctx;
	const struct guest_clock *clock;	/* the VM's time; required */
};

struct vlapic {
	struct vlapic_state state;
	struct vlapic_wiring wiring;
};

/* Power-on reset (SDM 11.4.7.1): xAPIC mode, software-disabled, LVTs masked.
 * The wiring is copied; its clock is required, the callbacks may be NULL. */
void vlapic_init(struct vlapic *lapic, u32 apic_id, bool bsp, const struct vlapic_wiring *w);
/* INIT (SDM 11.4.7.3): registers reset; ID and IA32_APIC_BASE (mode) kept. */
void vlapic_reset_init(struct vlapic *lapic);
/*
 * What a PC BIOS leaves behind (MP spec 1.4 section 3.6.2.2, virtual wire
 * mode): APIC software-enabled with spurious vector 0xff, LINT0 ExtINT,
 * LINT1 NMI. For guests booted without firmware.
 */
void vlapic_virtual_wire(struct vlapic *lapic);

/* The state record (include/devices/snapshot.h): tag "APIC". */
#define VLAPIC_SNAP_TAG		SNAP_TAG('A', 'P', 'I', 'C')
#define VLAPIC_SNAP_VERSION	1
/* Write the state as one record into buf[0, len): bytes written, or -ENOSPC. */
int vlapic_save(const struct vlapic *lapic, void *buf, size_t len);
/*
 * Read a record back. With apply false only check it; with apply true
 * check it and, when it is good, replace the state with it (the wiring is
 * kept). The record must be this APIC's: the APIC ID and the BSP flag are
 * the VM's to say (CPUID and the MADT report them), so a record with
 * others is refused. Nothing is driven: the VMM polls vlapic_pending()
 * and vlapic_next_deadline(). 0, or a negative error with *why saying
 * what is wrong; a refused record changes nothing.
 */
int vlapic_load(struct vlapic *lapic, const void *buf, size_t len, bool apply, const char **why);

/* xAPIC page: 32-bit accesses at 16-byte-aligned offsets 0..0xff0; others
 * read 0 and are ignored, as is everything outside xAPIC mode. */
u64 vlapic_mmio_read(struct vlapic *lapic, u64 offset, unsigned size);
void vlapic_mmio_write(struct vlapic *lapic, u64 offset, unsigned size, u64 val);
/* io_bus callbacks; dev is the struct vlapic. */
extern const struct io_ops vlapic_mmio_ops;

/* x2APIC MSRs 0x800-0x8ff: -EINVAL wherever the SDM raises #GP (not in
 * x2APIC mode, no such register, read-only, write-only, reserved bits). */
int vlapic_msr_read(struct vlapic *lapic, u32 msr, u64 *val);
int vlapic_msr_write(struct vlapic *lapic, u32 msr, u64 val);
/* IA32_APIC_BASE (MSR 0x1b); a write returns -EINVAL for #GP. */
u64 vlapic_apic_base_read(const struct vlapic *lapic);
int vlapic_apic_base_write(struct vlapic *lapic, u64 val);
/* IA32_TSC_DEADLINE (MSR 0x6e0): reads 0 and ignores writes outside
 * TSC-deadline mode. Never faults. */
u64 vlapic_tsc_deadline_read(struct vlapic *lapic);
void vlapic_tsc_deadline_write(struct vlapic *lapic, u64 val);

/* An interrupt message arrives (IO-APIC, MSI, IPI): IRR and TMR set. */
void vlapic_set_irq(struct vlapic *lapic, u8 vector, bool level_triggered);
/* The vector to inject next, or -1 (SDM 11.8.3.1). */
int vlapic_pending(const struct vlapic *lapic);
/* The VMM injected vector: it moves from IRR to ISR. */
void vlapic_ack(struct vlapic *lapic, u8 vector);

/* Fire due timer interrupts; the next time that needs a call, or UINT64_MAX. */
void vlapic_advance(struct vlapic *lapic, u64 now_ns);
u64 vlapic_next_deadline(const struct vlapic *lapic);

/* The 8259's INTR reaches the CPU: APIC globally disabled, or LINT0 unmasked ExtINT. */
bool vlapic_accepts_pic(const struct vlapic *lapic);
/* LINT1 unmasked with delivery mode NMI: the platform's NMI line gets through. */
bool vlapic_nmi_on_lint1(const struct vlapic *lapic);
/* This APIC is among those a message's destination names (SDM 11.6.2). */
bool vlapic_match_dest(const struct vlapic *lapic, u32 dest, bool logical);

/* CR8 and the TPR are one register (SDM Vol 3 11.8.6.1); PPR follows from
 * the state, so a write needs nothing else. */
static inline u8 vlapic_tpr_read(const struct vlapic *l)
{
	return (u8)l->state.tpr;
}

static inline void vlapic_tpr_write(struct vlapic *l, u8 tpr)
{
	l->state.tpr = tpr;
}

/* Its hooks for the VM's device table (include/devices/device.h); dev is the struct vlapic. */
extern const struct dev_ops vlapic_dev_ops;

#endif
