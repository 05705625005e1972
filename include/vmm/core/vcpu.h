/* A virtual CPU: its registers outside the VMCS, its VMCS, its state. */
#ifndef KEEL_VMM_VCPU_H
#define KEEL_VMM_VCPU_H

#include "types.h"
#include "arch/vmx_exits.h"
#include "devices/vlapic.h"
#include "sched/sched.h"

/* General registers in hardware order (rsp's slot unused: the VMCS has
 * it), then CR2 (kept in the register while the vCPU owns the CPU).
 * vmx_entry.S depends on this layout. */
enum gpr { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

struct vcpu_regs {
	u64 gpr[16];
	u64 cr2;
};

/*
 * Only VCPU_RUNNABLE runs. HALTED wakes for an interrupt (vcpu_kick), PARKED
 * (HLT with interrupts off) only for an NMI or INIT, WAIT_SIPI (after INIT;
 * every AP from creation) only for a SIPI (vmm/core/vcpu_state.c).
 */
enum vcpu_state {
	VCPU_RUNNABLE,
	VCPU_HALTED,	/* HLT: waits for an interrupt */
	VCPU_STOPPED,
	VCPU_WAIT_SIPI,	/* INIT received: a SIPI starts it in real mode */
	VCPU_PARKED,	/* HLT with IF = 0: an NMI or INIT wakes it */
};

struct vm;
struct vcpu_boot_state;

struct vcpu {
	struct vcpu_regs regs;		/* first: vmx_run() takes &regs */
	struct vm *vm;
	unsigned id;
	enum vcpu_state state;
	bool launched;
	bool yield;			/* give the CPU back to the scheduler */
	bool irq_check;			/* an interrupt may be pending: look before entry */
	bool rearm;			/* run due timers and re-arm the preemption timer */
	bool nmi_pending;		/* an NMI waits to be injected (vmm/core/intr.c) */
	bool sipi_pending;		/* start at sipi_vector before the next entry */
	u8 sipi_vector;
	void *vmcs;
	u64 vmcs_phys;
	u16 vpid;
	int running_cpu;		/* the CPU in vcpu_run() with it, or -1 */
	int resident_cpu;		/* the CPU whose current VMCS it is, or -1 */
	int host_cpu;			/* the CPU its VMCS host state describes, or -1 */
	u32 cpus_ran;			/* host CPUs it has run on (bit n = CPU n) */
	struct vcpu_boot_state *boot_pending;	/* loaded at its next run (vcpu_start_at) */

	/* Cached control words, written to the VMCS when they change. */
	u32 proc_controls;
	u32 entry_controls;

	/* State Keel switches itself when another vCPU takes the CPU. */
	u64 xcr0;
	void *fpu_area;
	u64 dr[4], dr6;
	u64 msr_star, msr_lstar, msr_cstar, msr_fmask, msr_kernel_gs_base, msr_tsc_aux;

	struct vlapic lapic;
	struct sched_thread thread;	/* the scheduler's view: home CPU, lag (sched/sched.h) */
	u64 slice_end_tsc;		/* when this run's time slice ends */
	u64 intr_injected;		/* interrupts delivered, for statistics */
	u64 hv_tsc;			/* TSC ticks spent handling this vCPU's exits */

	u64 exit_counts[EXIT_REASON_MAX];
};

/*
 * What other local APICs (or the IO-APIC) send a vCPU, and the start a
 * SIPI asks for (vmm/core/vcpu_state.c, SDM Vol 3 9.4 "Multiple-processor
 * initialization", 11.6.1 delivery modes). Each sets the vCPU's state,
 * then calls vcpu_kick().
 */
void vcpu_signal_init(struct vcpu *v);
void vcpu_signal_sipi(struct vcpu *v, u8 vector);
void vcpu_signal_nmi(struct vcpu *v);
/* Before entry, on the CPU about to run v (its VMCS current): load the
 * state a received SIPI starts it in. 0 or the error of the state load. */
int vcpu_sipi_start(struct vcpu *v);
/* That state: real mode at vector << 8 : 0, the rest as after INIT. */
void vcpu_sipi_state(struct vcpu_boot_state *s, u8 vector);

#endif
