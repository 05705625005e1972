/* Interrupt delivery to vCPUs (vmm/core/intr.c): injection before entry,
 * and waking a vCPU that may have something pending. */
#ifndef KEEL_VMM_INTR_H
#define KEEL_VMM_INTR_H

#include "types.h"
#include "vmm/exit/exit.h"

struct vcpu;
struct vm;

#include "arch/vmx.h"

void vcpu_reinject(struct vcpu *v, u32 idt_vectoring_info);

/* After every exit, before its handler: an event whose delivery the exit
 * cut short is delivered again on the next entry (SDM Vol 3 28.2.4). */
static inline void vcpu_reinject_vectoring(struct vcpu *v)
{
	u32 info = vmcs_read32(IDT_VECTORING_INFO);

	if (unlikely(info & INTR_INFO_VALID))
		vcpu_reinject(v, info);
}
void vcpu_deliver_interrupts(struct vcpu *v);
/* The vector the vCPU would take next (256: the 8259's, known at INTA), or -1. */
int vcpu_pending_vector(const struct vcpu *v);
exit_handler_t exit_intr_window;

/* Something may now be pending for v: re-evaluate before its next entry,
 * and wake it if it is halted. */
void vcpu_kick(struct vcpu *v);
/* After a store v's CPU must see before it enters again (irq_check, its
 * state, yield): kick the CPU running v, if one does, so it leaves the
 * guest and looks. True when v was running. */
bool vcpu_interrupt(struct vcpu *v);

#endif
