/*
 * A VM's PC platform (vmm/machine/platform.c): its chips wired together
 * and into the VM's buses and device table, their interrupt lines, and
 * the interrupt messages between its APICs (vmm/machine/apic_bus.c).
 */
#ifndef KEEL_VMM_MACHINE_PLATFORM_H
#define KEEL_VMM_MACHINE_PLATFORM_H

#include "types.h"

struct vm;
struct vcpu;

/* The chips of the machine (include/vmm/machine/layout.h), on the VM's
 * buses and in its device table; 0 or an error. */
int vm_platform_init(struct vm *vm);
/* A vCPU's local APIC, wired and in the device table as "lapicN". */
int vm_vcpu_platform_init(struct vcpu *v);
/* An ISA interrupt line (0-15) of a device changed: to the 8259 pair and
 * the IO-APIC (ISA IRQ 0 is IO-APIC pin 2, as the MADT says). */
void vm_isa_irq_set(void *vm, unsigned irq, bool level);
/* A PCI device's INTx line, routed to IO-APIC input gsi (16-23). */
void vm_pci_intx_set(void *vm, unsigned gsi, bool asserted);
/* Run the device timers that are due and recompute the VM's next deadline.
 * With the VM's lock held. */
void vm_timers_run(struct vm *vm);

/* Interrupt messages (vmm/machine/apic_bus.c). An IO-APIC redirection
 * entry or an MSI, to the local APICs the destination names (SDM Vol 3
 * 11.6.2); ctx is the VM. */
void vm_apic_deliver(void *vm, u32 dest, bool logical, u8 mode, u8 vector, bool level);
/* A local APIC's level-triggered EOI and its IPIs (struct vlapic_wiring);
 * ctx is the vCPU. */
void vm_lapic_eoi(void *vcpu, u8 vector);
void vm_lapic_ipi(void *vcpu, u32 dest, bool logical, u8 shorthand, u8 mode, u8 vector);

#endif
