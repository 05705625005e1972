/*
 * VM exits: decoded once into a struct vm_exit, dispatched through a table
 * indexed by basic exit reason (SDM Vol 3 chapter 28, appendix C).
 */
#ifndef KEEL_VMM_EXIT_H
#define KEEL_VMM_EXIT_H

#include "types.h"
#include "arch/vm_exit.h"
#include "vmm/core/vcpu.h"

enum exit_result {
	RESUME,			/* re-enter at the same RIP */
	RESUME_SKIP_INSN,	/* the instruction is done: advance RIP past it */
	KILL_VM,		/* the handler stopped the VM */
};

typedef enum exit_result exit_handler_t(struct vcpu *v, struct vm_exit *e);

/* Handle the exit that just happened on v (its VMCS is current). */
void vcpu_handle_exit(struct vcpu *v);

/* Handlers, one per file under vmm/. */
exit_handler_t exit_cpuid, exit_io, exit_rdmsr, exit_wrmsr, exit_cr_access,
	exit_xsetbv, exit_ept_violation, exit_ept_misconfig, exit_vmcall;

/* Helpers for handlers. */
void vcpu_inject_exception(struct vcpu *v, u8 vector, bool has_error, u32 error);
#define vcpu_inject_gp(v) vcpu_inject_exception(v, 13, true, 0)
#define vcpu_inject_ud(v) vcpu_inject_exception(v, 6, false, 0)
u64 vcpu_gpr_read(struct vcpu *v, unsigned idx);
void vcpu_gpr_write(struct vcpu *v, unsigned idx, u64 val);
unsigned vcpu_cpl(void);

#endif
