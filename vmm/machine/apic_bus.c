/*
 * A VM's interrupt messages: IPIs between its local APICs, and what the
 * IO-APIC and MSIs send them (SDM Vol 3 11.6 "Issuing Interprocessor
 * Interrupts", 11.11 "Message Signalled Interrupts"). The models raise
 * messages through their wiring; this turns a message's destination into
 * a set of vCPUs and acts on each by delivery mode.
 */
#include "vmm/machine/platform.h"
#include "vmm/core/intr.h"
#include "vmm/core/vm.h"
#include "lib/log.h"

/*
 * A message's destination is turned into a set of vCPUs (bit i: vCPU i),
 * then each delivery mode acts on every vCPU of the set; lowest priority
 * first narrows it to one. A vCPU whose APIC is globally disabled
 * (IA32_APIC_BASE.EN = 0) takes no message at all (11.4.3).
 */
#define APIC_BASE_EN BIT(11)	/* IA32_APIC_BASE: APIC global enable */
STATIC_ASSERT(VM_MAX_VCPUS <= 32, "a set of vCPUs is a u32");

/* The vCPUs whose local APIC the destination names (11.6.2). */
static u32 vm_dest_set(struct vm *vm, u32 dest, bool logical)
{
	u32 set = 0;

	for (unsigned i = 0; i < vm->nvcpus; i++)
		if (vlapic_match_dest(&vm->vcpus[i]->lapic, dest, logical))
			set |= (u32)BIT(i);
	return set;
}

/* The vCPUs an IPI from src reaches: its destination, or the shorthand
 * (11.6.1: self, all including self, all excluding self). */
static u32 vm_ipi_set(struct vcpu *src, u32 dest, bool logical, u8 shorthand)
{
	struct vm *vm = src->vm;
	u32 all = 0;

	for (unsigned i = 0; i < vm->nvcpus; i++)
		if (vlapic_apic_base_read(&vm->vcpus[i]->lapic) & APIC_BASE_EN)
			all |= (u32)BIT(i);
	switch (shorthand) {
	case VLAPIC_SH_SELF: return all & (u32)BIT(src->id);
	case VLAPIC_SH_ALL: return all;
	case VLAPIC_SH_OTHERS: return all & ~(u32)BIT(src->id);
	default: return vm_dest_set(vm, dest, logical);
	}
}

/*
 * Lowest-priority arbitration (11.6.2.4) picks one vCPU of the set: the one
 * whose task priority class (TPR[7:4]) is lowest; among equals, round robin
 * from the one after the last winner, so that idle vCPUs (Linux keeps every
 * TPR at 0) share the interrupts. The arbitration priority, focus processor
 * and ISR contents are not modelled. Returns the set with that one vCPU.
 */
static u32 vm_lowest_priority(struct vm *vm, u32 set)
{
	unsigned best = 0, best_class = 16;

	for (unsigned k = 0; k < vm->nvcpus; k++) {
		unsigned i = (vm->lowest_prio_next + k) % vm->nvcpus;
		unsigned cls = vlapic_tpr_read(&vm->vcpus[i]->lapic) >> 4;

		if ((set & BIT(i)) && cls < best_class) {
			best = i;
			best_class = cls;
		}
	}
	if (best_class == 16)
		return 0;
	vm->lowest_prio_next = (best + 1) % vm->nvcpus;
	return (u32)BIT(best);
}

/* One message to every vCPU of set, by delivery mode (11.6.1, Figure 11-12). */
static void vm_msg_send(struct vm *vm, u32 set, u8 mode, u8 vector, bool level)
{
	if (mode == VLAPIC_DM_LOWEST)
		set = vm_lowest_priority(vm, set);
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = vm->vcpus[i];

		if (!(set & BIT(i)))
			continue;
		switch (mode) {
		case VLAPIC_DM_FIXED:
		case VLAPIC_DM_LOWEST:
			vlapic_set_irq(&v->lapic, vector, level);
			vcpu_kick(v);
			break;
		case VLAPIC_DM_NMI: vcpu_signal_nmi(v); break;
		case VLAPIC_DM_INIT: vcpu_signal_init(v); break;
		case VLAPIC_DM_STARTUP: vcpu_signal_sipi(v, vector); break;
		case VLAPIC_DM_EXTINT: vcpu_kick(v); break;	/* the 8259 answers INTA */
		default:
			log_debug("vm %s: delivery mode %u to vCPU %u ignored", vm->name, mode, i);
			break;
		}
	}
}

/* IO-APIC and MSI delivery. STARTUP is no IO-APIC delivery mode (82093AA
 * 3.2.4: 110b is reserved). */
void vm_apic_deliver(void *ctx, u32 dest, bool logical, u8 mode, u8 vector, bool level)
{
	struct vm *vm = ctx;

	if (mode == VLAPIC_DM_STARTUP) {
		log_debug("vm %s: IO-APIC/MSI delivery mode STARTUP ignored", vm->name);
		return;
	}
	vm_msg_send(vm, vm_dest_set(vm, dest, logical), mode, vector, level);
}

void vm_lapic_eoi(void *ctx, u8 vector)
{
	struct vcpu *v = ctx;

	vioapic_eoi(&v->vm->ioapic, vector);
}

/*
 * An IPI from src's local APIC (see struct vlapic_wiring): the sender has
 * taken its own Fixed interrupt already, and checked the vector (0-15 is an
 * illegal vector for Fixed and lowest priority: ESR, no message). ExtINT
 * is no ICR delivery mode (111b is reserved there).
 */
void vm_lapic_ipi(void *ctx, u32 dest, bool logical, u8 shorthand, u8 mode, u8 vector)
{
	struct vcpu *src = ctx;
	u32 set;

	if (mode == VLAPIC_DM_EXTINT)
		return;
	set = vm_ipi_set(src, dest, logical, shorthand);
	if (mode == VLAPIC_DM_FIXED)
		set &= ~(u32)BIT(src->id);
	vm_msg_send(src->vm, set, mode, vector, false);
}
