/* A virtual CPU: its registers outside the VMCS, its VMCS, its state. */
#ifndef KEEL_VMM_VCPU_H
#define KEEL_VMM_VCPU_H

#include "types.h"
#include "arch/vmx_exits.h"
#include "devices/vlapic.h"
#include "sched/policy.h"

/* General registers in hardware order (rsp's slot unused: the VMCS has
 * it), then CR2 (kept in the register while the vCPU owns the CPU).
 * vmx_entry.S depends on this layout. */
enum gpr { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

struct vcpu_regs {
	u64 gpr[16];
	u64 cr2;
};

enum vcpu_state {
	VCPU_RUNNABLE,
	VCPU_HALTED,	/* HLT: waits for an interrupt */
	VCPU_STOPPED,
};

struct vm;

struct vcpu {
	struct vcpu_regs regs;		/* first: vmx_run() takes &regs */
	struct vm *vm;
	unsigned id;
	enum vcpu_state state;
	bool launched;
	bool yield;			/* give the CPU back to the scheduler */
	bool irq_check;			/* an interrupt may be pending: look before entry */
	bool rearm;			/* run due timers and re-arm the preemption timer */
	void *vmcs;
	u64 vmcs_phys;
	u16 vpid;

	/* Cached control words, written to the VMCS when they change. */
	u32 proc_controls;
	u32 entry_controls;

	/* State Keel switches itself when another vCPU takes the CPU. */
	u64 xcr0;
	void *fpu_area;
	u64 dr[4], dr6;
	u64 msr_star, msr_lstar, msr_cstar, msr_fmask, msr_kernel_gs_base, msr_tsc_aux;

	struct vlapic lapic;
	struct sched_entity se;		/* the scheduler's view (sched/policy_eevdf.c) */
	u64 slice_end_tsc;		/* when this run's time slice ends */
	u64 intr_injected;		/* interrupts delivered, for statistics */
	u64 hv_tsc;			/* TSC ticks spent handling this vCPU's exits */

	u64 exit_counts[EXIT_REASON_MAX];
};

#endif
