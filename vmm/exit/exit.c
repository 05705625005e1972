/*
 * The exit dispatcher and the handlers too small for a file of their own
 * (triple fault, interrupts, HLT, the NMI window, preemption timer). An
 * unhandled exit or a failed VM entry stops that VM, never the host.
 */
#include "arch/hw.h"
#include "arch/vmx.h"
#include "arch/cpu.h"
#include "vmm/exit/exit.h"
#include "vmm/core/vm.h"
#include "vmm/core/intr.h"
#include "lib/time.h"
#include "lib/log.h"
#include "lib/spinlock.h"

static const char *const exit_names[EXIT_REASON_MAX] = {
#define EXIT_NAME(code, name) [code] = #name,
	VMX_EXIT_REASONS(EXIT_NAME)
#undef EXIT_NAME
};

const char *vmx_exit_reason_name(u32 reason)
{
	if (reason < EXIT_REASON_MAX && exit_names[reason])
		return exit_names[reason];
	return "UNKNOWN";
}

void vcpu_inject_exception(struct vcpu *v, u8 vector, bool has_error, u32 error)
{
	u32 info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | vector;

	/* In real mode no error code is pushed, and an unrestricted guest
	 * with CR0.PE = 0 must not ask for one (SDM Vol 3 27.2.1.3). */
	if (has_error && (vmcs_readnat(GUEST_CR0) & CR0_PE)) {
		info |= INTR_INFO_DELIVER_ERROR;
		vmcs_write32(ENTRY_EXCEPTION_ERROR, error);
	}
	vmcs_write32(ENTRY_INTR_INFO, info);
}

u64 vcpu_gpr_read(struct vcpu *v, unsigned idx)
{
	return idx == RSP ? vmcs_readnat(GUEST_RSP) : v->regs.gpr[idx & 15];
}

void vcpu_gpr_write(struct vcpu *v, unsigned idx, u64 val)
{
	if (idx == RSP)
		vmcs_writenat(GUEST_RSP, val);
	else
		v->regs.gpr[idx & 15] = val;
}

/* CPL is SS.DPL (SDM Vol 3 25.4.1: "CPL is the DPL of SS"). */
unsigned vcpu_cpl(void)
{
	return (vmcs_read32(GUEST_SS_AR) >> 5) & 3;
}

static enum exit_result exit_triple_fault(struct vcpu *v, struct vm_exit *e)
{
	vm_stop(v->vm, "triple fault at RIP 0x%llx", (unsigned long long)e->rip);
	vmcs_dump_guest();
	return KILL_VM;
}

/* A host interrupt arrived while the guest ran. Keel does not acknowledge
 * it on exit, so it is still pending: open an interrupt window in the host
 * for the IDT handler to take it, then go back. */
static enum exit_result exit_external_interrupt(struct vcpu *v, struct vm_exit *e)
{
	cpu_irq_window();
	return RESUME;
}

/* Exception bitmap is empty, so this is an NMI meant for the host
 * (SDM Vol 3 27.2.2): hand it to the host's NMI vector. */
static enum exit_result exit_exception_nmi(struct vcpu *v, struct vm_exit *e)
{
	u32 info = vmcs_read32(EXIT_INTR_INFO);

	if ((info & INTR_INFO_TYPE_MASK) == INTR_TYPE_NMI) {
		cpu_nmi_to_host();
		return RESUME;
	}
	vm_stop(v->vm, "unexpected exception exit, interruption info 0x%x", info);
	return KILL_VM;
}

/* No vCPU of the VM is left that could send an NMI or INIT (Keel's
 * devices send none): each is parked, waits for a SIPI or is stopped. */
static bool vm_all_parked(const struct vm *vm)
{
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		enum vcpu_state s = vm->vcpus[i]->state;

		if (s != VCPU_PARKED && s != VCPU_WAIT_SIPI && s != VCPU_STOPPED)
			return false;
	}
	return true;
}

/*
 * HLT with interrupts disabled: only an NMI or INIT wakes the processor
 * (SDM Vol 2, HLT), and only another vCPU can send one. The vCPU is parked
 * past its HLT (an NMI resumes it there); once every vCPU is parked or
 * waits for a SIPI, the VM is finished and stopped.
 */
static enum exit_result exit_hlt_parked(struct vcpu *v)
{
	struct vm *vm = v->vm;

	if (v->nmi_pending)
		return RESUME_SKIP_INSN;
	v->state = VCPU_PARKED;
	if (!vm_all_parked(vm))
		return RESUME_SKIP_INSN;
	if (vm->nvcpus == 1)
		vm_stop(vm, "halted with interrupts disabled");
	else
		vm_stop(vm, "all vCPUs halted with interrupts disabled or wait for a SIPI");
	return KILL_VM;
}

/* HLT: the vCPU sleeps until an interrupt is pending, unless one (or an
 * NMI) already is. */
static enum exit_result exit_hlt(struct vcpu *v, struct vm_exit *e)
{
	if (!(vmcs_readnat(GUEST_RFLAGS) & RFLAGS_IF))
		return exit_hlt_parked(v);
	if (vcpu_pending_vector(v) < 0 && !v->nmi_pending)
		v->state = VCPU_HALTED;
	return RESUME_SKIP_INSN;
}

/* The guest's NMI blocking ended (the IRET of its NMI handler, SDM Vol 3
 * 26.7.6): the NMI that waited goes in before the next entry (vmm/core/intr.c). */
static enum exit_result exit_nmi_window(struct vcpu *v, struct vm_exit *e)
{
	v->irq_check = true;
	return RESUME;
}

/* The timer armed before entry expired: a device deadline (handled on the
 * way back in) or the end of the slice. */
static enum exit_result exit_preemption_timer(struct vcpu *v, struct vm_exit *e)
{
	if (rdtsc() >= v->slice_end_tsc)
		v->yield = true;
	v->rearm = true;
	return RESUME;
}

/* The qualification comes from the VMCS, not e->qual: the decoder reads
 * it only for the reasons Keel decodes, and the processor clears it for
 * exits that have none (SDM Vol 3 28.2.1). */
static enum exit_result exit_unhandled(struct vcpu *v, struct vm_exit *e)
{
	vm_stop(v->vm, "unhandled exit %s (%u) at RIP 0x%llx, qualification 0x%llx",
		vmx_exit_reason_name(e->reason), e->reason, (unsigned long long)e->rip,
		(unsigned long long)vmcs_readnat(EXIT_QUALIFICATION));
	vmcs_dump_guest();
	return KILL_VM;
}

/*
 * Handlers that touch the VM's devices, its other vCPUs or its state run
 * under the VM's lock (other CPUs run its other vCPUs, deliver into its
 * devices, serve its timers): a wrapper per handler, so the dispatcher has
 * no lock decision to make and the exits that touch only their own vCPU
 * (CPUID, the preemption timer, XSETBV, the interrupt windows) take no
 * lock at all. The hot device exits (port I/O, MMIO) and VMCALL's calls
 * lock inside, sparing the wrapper's call.
 */
#define EXIT_LOCKED(h)								\
	static enum exit_result h##_locked(struct vcpu *v, struct vm_exit *e)	\
	{									\
		enum exit_result r;						\
										\
		spin_lock(&v->vm->lock);					\
		r = h(v, e);							\
		spin_unlock(&v->vm->lock);					\
		return r;							\
	}
EXIT_LOCKED(exit_exception_nmi)
EXIT_LOCKED(exit_triple_fault)
EXIT_LOCKED(exit_hlt)
EXIT_LOCKED(exit_cr_access)
EXIT_LOCKED(exit_rdmsr)
EXIT_LOCKED(exit_wrmsr)
EXIT_LOCKED(exit_ept_misconfig)
EXIT_LOCKED(exit_unhandled)

static exit_handler_t *const exit_handlers[EXIT_REASON_MAX] = {
	[EXIT_EXCEPTION_NMI] = exit_exception_nmi_locked,
	[EXIT_EXTERNAL_INTERRUPT] = exit_external_interrupt,
	[EXIT_TRIPLE_FAULT] = exit_triple_fault_locked,
	[EXIT_CPUID] = exit_cpuid,
	[EXIT_HLT] = exit_hlt_locked,
	[EXIT_VMCALL] = exit_vmcall,
	[EXIT_CR_ACCESS] = exit_cr_access_locked,
	[EXIT_IO_INSTRUCTION] = exit_io,			/* locks itself */
	[EXIT_RDMSR] = exit_rdmsr_locked,
	[EXIT_WRMSR] = exit_wrmsr_locked,
	[EXIT_EPT_VIOLATION] = exit_ept_violation,		/* locks itself */
	[EXIT_EPT_MISCONFIG] = exit_ept_misconfig_locked,
	[EXIT_PREEMPTION_TIMER] = exit_preemption_timer,
	[EXIT_XSETBV] = exit_xsetbv,
	[EXIT_INTERRUPT_WINDOW] = exit_intr_window,
	[EXIT_NMI_WINDOW] = exit_nmi_window,
};

/* Advance RIP past the instruction that exited; an emulated instruction
 * also ends blocking by STI or MOV SS (SDM Vol 3 25.4.2). */
static void vcpu_skip_insn(const struct vm_exit *e)
{
	u32 intr;

	vmcs_writenat(GUEST_RIP, e->rip + e->insn_len);
	intr = vmcs_read32(GUEST_INTERRUPTIBILITY);
	if (unlikely(intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS)))
		vmcs_write32(GUEST_INTERRUPTIBILITY, intr & ~(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
}

/* A VM entry that failed after loading guest state exits with bit 31 of
 * the reason set (SDM Vol 3 27.8): the guest state is bad. */
static void vcpu_entry_failure(struct vcpu *v, u32 raw)
{
	vm_lock_and_stop(v->vm, "VM-entry failure, reason %s (%u), qualification 0x%llx",
			 vmx_exit_reason_name(raw & 0xffff), raw & 0xffff,
			 (unsigned long long)vmcs_readnat(EXIT_QUALIFICATION));
	vmcs_dump_guest();
}

void vcpu_handle_exit(struct vcpu *v)
{
	u32 raw = vmcs_read32(EXIT_REASON);
	struct vm_exit e;
	exit_handler_t *h;

	if (unlikely(raw & EXIT_REASON_ENTRY_FAILURE)) {
		vcpu_entry_failure(v, raw);
		return;
	}
	vmx_exit_decode(&e, raw);
	vcpu_reinject_vectoring(v);
	h = exit_unhandled_locked;
	if (likely(e.reason < EXIT_REASON_MAX)) {
		v->exit_counts[e.reason]++;
		if (likely(exit_handlers[e.reason]))
			h = exit_handlers[e.reason];
	}
	switch (h(v, &e)) {
	case RESUME_SKIP_INSN:
		vcpu_skip_insn(&e);
		break;
	case RESUME:
	case KILL_VM:
		break;
	}
}
