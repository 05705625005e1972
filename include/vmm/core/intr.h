/* Interrupt delivery to vCPUs (vmm/core/intr.c) and the VM's interrupt routing
 * and device timers (vmm/machine/platform.c). */
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
 * guest and looks. True when v was running (vmm/machine/platform.c). */
bool vcpu_interrupt(struct vcpu *v);

/* Platform (vmm/machine/platform.c). */
int vm_platform_init(struct vm *vm);
void vm_vcpu_platform_init(struct vcpu *v);
/* An ISA interrupt line (0-15) of a device changed: to the 8259 pair and
 * the IO-APIC (ISA IRQ 0 is IO-APIC pin 2, as the MADT says). */
void vm_isa_irq_set(void *vm, unsigned irq, bool level);
/* An interrupt message (IO-APIC redirection entry or MSI) to the local
 * APICs the destination names (SDM Vol 3 11.6.2). */
void vm_apic_deliver(void *vm, u32 dest, bool logical, u8 mode, u8 vector, bool level);
/* A PCI device's INTx line, routed to IO-APIC input gsi (16-23). */
void vm_pci_intx_set(void *vm, unsigned gsi, bool asserted);
/* Run the device timers that are due and recompute the VM's next deadline. */
void vm_timers_run(struct vm *vm);

#endif
