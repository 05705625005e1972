/*
 * Interrupt delivery to a vCPU (SDM Vol 3 27.6 "Event injection", 26.7.5
 * "Interrupt-window exiting"). Before each VM entry the highest-priority
 * pending interrupt, from the vCPU's local APIC or (through LINT0 in
 * ExtINT mode) the 8259 pair, is injected when the guest can take it;
 * otherwise interrupt-window exiting is turned on and the exit that
 * follows the guest's STI or IRET brings us back here.
 *
 * Events whose delivery an exit interrupted (IDT-vectoring information,
 * SDM Vol 3 28.2.4) are re-injected first, unchanged. Before interrupts
 * come the events other vCPUs send: a SIPI starts the vCPU (its state is
 * loaded here, where its VMCS is current), and an NMI is injected unless
 * the guest blocks NMIs, when NMI-window exiting (26.7.6, with virtual
 * NMIs) brings it back as soon as it can take one.
 */
#include "arch/cpu.h"
#include "arch/hw.h"
#include "arch/vmx.h"
#include "vmm/exit/exit.h"
#include "vmm/core/intr.h"
#include "vmm/core/vm.h"
#include "arch/smp.h"
#include "lib/spinlock.h"

#define NMI_VECTOR 2

/* Called after every exit, before the handler: an event the exit cut short
 * is delivered again on the next entry (SDM Vol 3 28.2.4, 27.6). */
void vcpu_reinject(struct vcpu *v, u32 info)
{
	if (info & INTR_INFO_DELIVER_ERROR)
		vmcs_write32(ENTRY_EXCEPTION_ERROR, vmcs_read32(IDT_VECTORING_ERROR));
	if (intr_info_needs_insn_len(info))
		vmcs_write32(ENTRY_INSTRUCTION_LEN, vmcs_read32(EXIT_INSTRUCTION_LEN));
	vmcs_write32(ENTRY_INTR_INFO, info & ~INTR_INFO_NMI_UNBLOCK);
	v->irq_check = true;
}

/* Turn an exiting control (interrupt or NMI window) on or off. */
static void vcpu_set_window(struct vcpu *v, u32 control, bool on)
{
	u32 want = on ? (v->proc_controls | control) : (v->proc_controls & ~control);

	if (want != v->proc_controls) {
		v->proc_controls = want;
		vmcs_write32(PROC_BASED_CONTROLS, want);
	}
}

static void vcpu_set_intr_window(struct vcpu *v, bool on)
{
	vcpu_set_window(v, PROC_INTR_WINDOW_EXITING, on);
}

/*
 * A pending NMI goes in unless NMIs are blocked (after one was delivered,
 * until the guest's IRET), a MOV SS or STI shadow is on (an NMI may not be
 * injected there, 27.3.1.5), or another event is being injected. Then the
 * NMI window, where the processor has it (virtual NMIs), exits when the
 * guest can take it; without it the NMI waits for the vCPU's next exit.
 */
static void vcpu_deliver_nmi(struct vcpu *v)
{
	u32 blocked = vmcs_read32(GUEST_INTERRUPTIBILITY) &
		      (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS | INTERRUPTIBILITY_NMI);

	if (blocked || (vmcs_read32(ENTRY_INTR_INFO) & INTR_INFO_VALID)) {
		if (vmx_caps.pin & PIN_VIRTUAL_NMIS)
			vcpu_set_window(v, PROC_NMI_WINDOW_EXITING, true);
		return;
	}
	vmcs_write32(ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_NMI | NMI_VECTOR);
	v->nmi_pending = false;
	vcpu_set_window(v, PROC_NMI_WINDOW_EXITING, false);
}

/* What other vCPUs sent: a SIPI's start first (it resets everything,
 * event injection included), then an NMI. */
static void vcpu_deliver_signals(struct vcpu *v)
{
	int err;

	if (v->sipi_pending && (err = vcpu_sipi_start(v))) {
		vm_stop(v->vm, "vCPU %u: the SIPI's start state was refused (error %d)", v->id, err);
		return;
	}
	if (v->nmi_pending)
		vcpu_deliver_nmi(v);
}

/* The vector the vCPU would take next, or -1: the local APIC first; the
 * 8259's INTR when LINT0 passes it (virtual-wire mode or APIC disabled). */
int vcpu_pending_vector(const struct vcpu *v)
{
	int vec = vlapic_pending(&v->lapic);

	if (vec >= 0)
		return vec;
	if (v->id == 0 && i8259_intr(&v->vm->pic) && vlapic_accepts_pic(&v->lapic))
		return 256;	/* from the PIC: the vector is known only at INTA */
	return -1;
}

/* Acknowledge the pending interrupt in its controller and return its vector. */
static int vcpu_ack_vector(struct vcpu *v, int pending)
{
	if (pending < 256) {
		vlapic_ack(&v->lapic, (u8)pending);
		return pending;
	}
	return i8259_ack(&v->vm->pic);
}

/* Deliver what is pending, or arrange to be told when the guest can take it. */
void vcpu_deliver_interrupts(struct vcpu *v)
{
	int pending;
	u32 blocked;

	spin_assert_held(&v->vm->lock);
	if (unlikely(v->sipi_pending || v->nmi_pending))
		vcpu_deliver_signals(v);
	pending = vcpu_pending_vector(v);
	if (pending < 0) {
		vcpu_set_intr_window(v, false);
		v->irq_check = v->nmi_pending;	/* an NMI still waits: look again */
		return;
	}
	blocked = vmcs_read32(GUEST_INTERRUPTIBILITY) & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS);
	if ((vmcs_read32(ENTRY_INTR_INFO) & INTR_INFO_VALID) || blocked ||
	    !(vmcs_readnat(GUEST_RFLAGS) & RFLAGS_IF)) {
		vcpu_set_intr_window(v, true);
		return;
	}
	vmcs_write32(ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_EXT_INTR | (u8)vcpu_ack_vector(v, pending));
	v->intr_injected++;
	/* Another one deliverable now: take it when the guest can (after this
	 * one's handler re-enables interrupts). Otherwise wait for a kick, an
	 * EOI or a TPR write, which set irq_check. */
	v->irq_check = vcpu_pending_vector(v) >= 0;
	vcpu_set_intr_window(v, v->irq_check);
	v->irq_check |= v->nmi_pending;
}

/* The guest opened its interrupt window (SDM Vol 3 26.7.5). */
enum exit_result exit_intr_window(struct vcpu *v, struct vm_exit *e)
{
	v->irq_check = true;
	return RESUME;
}

/* Wake v for an interrupt: look before its next entry; a halted vCPU
 * becomes runnable when something is really deliverable. Another CPU is
 * kicked when it runs v (to leave the guest and look) or sleeps with v
 * homed on it (to wake up and run it). Called with the VM's lock held. */
void vcpu_kick(struct vcpu *v)
{
	spin_assert_held(&v->vm->lock);
	v->irq_check = true;
	if (v->state == VCPU_HALTED && vcpu_pending_vector(v) >= 0)
		v->state = VCPU_RUNNABLE;
	if (!vcpu_interrupt(v) && v->state == VCPU_RUNNABLE)
		sched_wake(&v->thread);
}

bool vcpu_interrupt(struct vcpu *v)
{
	int cpu;

	smp_mb();		/* the caller's store before running_cpu (vcpu_run: the reverse) */
	cpu = __atomic_load_n(&v->running_cpu, __ATOMIC_RELAXED);
	if (cpu < 0)
		return false;
	smp_kick((unsigned)cpu);
	return true;
}
