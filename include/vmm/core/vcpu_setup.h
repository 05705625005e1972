/* Creating vCPUs and setting their architectural state (vmm/core/vcpu.c, vmm/exit/cr.c). */
#ifndef KEEL_VMM_VCPU_SETUP_H
#define KEEL_VMM_VCPU_SETUP_H

#include "types.h"
#include "vmm/core/vcpu.h"

enum guest_mode { GUEST_REAL, GUEST_PROT32, GUEST_LONG };

struct seg_state {
	u16 sel;
	u64 base;
	u32 limit;
	u32 ar;		/* VMX access-rights format (SDM Vol 3 25.4.1, table 25-2) */
};

enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR, SEG_COUNT };

/* The architectural state a loader asks a vCPU to start in. */
struct vcpu_boot_state {
	u64 rip, rsp, rflags;
	u64 cr0, cr3, cr4, efer;
	struct seg_state seg[SEG_COUNT];
	u64 gdtr_base, idtr_base;
	u32 gdtr_limit, idtr_limit;
	u64 gpr[16];
};

struct vm;
struct vcpu *vcpu_create(struct vm *vm, unsigned id);
void vcpu_destroy(struct vcpu *v);
/* Load the boot state into the vCPU's VMCS (which must be current). */
int vcpu_set_boot_state(struct vcpu *v, const struct vcpu_boot_state *s);
/* The vCPU starts in state s at its next run, on whichever CPU runs it
 * (boot, INIT-SIPI): nothing touches its VMCS before. -ENOMEM or 0. */
int vcpu_start_at(struct vcpu *v, const struct vcpu_boot_state *s);
void vcpu_boot_state_init(struct vcpu_boot_state *s, enum guest_mode mode, u64 rip, u64 rsp);

/* vmm/exit/cr.c */
u64 vcpu_cr0_mask(void);
u64 vcpu_cr4_mask(void);
int vcpu_set_cr0(struct vcpu *v, u64 val);
int vcpu_set_cr4(struct vcpu *v, u64 val);

/* Make v the vCPU loaded on this CPU (VMCS, FPU, switched MSRs) and run it
 * until it halts, stops or has used slice_tsc TSC ticks (vmm/core/vcpu_run.c). */
void vcpu_run(struct vcpu *v, u64 slice_tsc);
/* This CPU lets go of the vCPU whose state it holds (saved, VMCS cleared). */
void vcpu_release_current(void);
/* Time every exit's handling into vcpu->hv_tsc (Keel's measure=exits). */
extern bool vcpu_measure_exits;

#endif
