/*
 * A VM's PC platform: the chips Linux expects on a PC and how they are
 * wired. ISA devices raise lines that reach both the 8259 pair and the
 * IO-APIC (ISA IRQ 0 on IO-APIC pin 2, the override the MADT declares);
 * the IO-APIC delivers to local APICs; level-triggered EOIs go back to
 * the IO-APIC. Device timers run from one per-VM deadline that is checked
 * on every VM entry and arms the VMX-preemption timer.
 *
 * Port map: 0x20 PIC master, 0x40 PIT, 0x61 PIT gate/speaker, 0x70 RTC,
 * 0x80 POST sink, 0xa0 PIC slave, 0x3f8 COM1, 0x4d0 ELCR, 0x600 ACPI PM,
 * 0xcf8 PCI. MMIO: 0xfec00000 IO-APIC, 0xfee00000 local APIC (per vCPU).
 */
#include "arch/cpu.h"
#include "arch/hw.h"
#include "vmm/core/intr.h"
#include "vmm/machine/acpi_build.h"
#include "vmm/core/vm.h"
#include "devices/testdev.h"
#include "drivers/host_rtc.h"
#include "lib/log.h"
#include "lib/time.h"
#include "lib/spinlock.h"
#include "arch/cpu.h"
#include "arch/smp.h"

#define COM1_BASE 0x3f8
#define COM1_IRQ  4

/* Wake v for an interrupt: look before its next entry; a halted vCPU
 * becomes runnable when something is really deliverable. Another CPU is
 * kicked when it runs v (to leave the guest and look) or sleeps with v
 * homed on it (to wake up and run it). Called with the VM's lock held. */
void vcpu_kick(struct vcpu *v)
{
	v->irq_check = true;
	if (v->state == VCPU_HALTED && vcpu_pending_vector(v) >= 0)
		v->state = VCPU_RUNNABLE;
	if (!vcpu_interrupt(v) && v->state == VCPU_RUNNABLE && percpus[v->home_cpu].idle)
		smp_kick(v->home_cpu);
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

/* The host's wall clock, seconds since 1970: its RTC read once, then
 * carried forward by Keel's clock, so every VM's RTC starts from the same
 * time base its TSC and timers run on. */
static u64 host_wall_clock(void)
{
	static u64 epoch_secs, epoch_ns;
	static bool read;

	if (!read) {
		read = true;
		epoch_ns = time_now_ns();
		if (host_rtc_read(&epoch_secs))
			log_warn("host RTC unreadable: guest clocks start at 1970");
	}
	return epoch_secs + (time_now_ns() - epoch_ns) / NSEC_PER_SEC;
}

void vm_isa_irq_set(void *ctx, unsigned irq, bool level)
{
	struct vm *vm = ctx;

	i8259_set_irq(&vm->pic, irq, level);
	vioapic_set_irq(&vm->ioapic, irq == 0 ? 2 : irq, level);
}

/* A PCI INTx line: asserted means electrically low (PCI interrupts are
 * active low, and _PRT routes them to IO-APIC inputs 16-23 as such). */
void vm_pci_intx_set(void *ctx, unsigned gsi, bool asserted)
{
	struct vm *vm = ctx;

	vioapic_set_irq(&vm->ioapic, gsi, !asserted);
}

static void vm_pic_intr_changed(void *ctx, bool level)
{
	struct vm *vm = ctx;

	if (level)
		vcpu_kick(vm->vcpus[0]);
}

/*
 * Interrupt messages between local APICs (IPIs) and from the IO-APIC or MSI
 * (SDM Vol 3 11.6). A message's destination is turned into a set of vCPUs
 * (bit i: vCPU i), then each delivery mode acts on every vCPU of the set;
 * lowest priority first narrows it to one. A vCPU whose APIC is globally
 * disabled (IA32_APIC_BASE.EN = 0) takes no message at all (11.4.3).
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

static void vm_lapic_eoi(void *ctx, u8 vector)
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
static void vm_lapic_ipi(void *ctx, u32 dest, bool logical, u8 shorthand, u8 mode, u8 vector)
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

static void vm_power_off(void *ctx)
{
	vm_stop(ctx, "powered off (ACPI S5)");
}

static void vm_reset(void *ctx)
{
	vm_stop(ctx, "reset requested (ACPI reset register); reboot is not supported yet");
}

static void vm_uart_tx(void *ctx, u8 ch)
{
	vm_console_putc(ctx, ch);
}

/* The local APIC page: the access goes to the APIC of the vCPU that made
 * it. Any access may move its timer or unblock an interrupt (EOI, TPR). */
static u64 vm_lapic_read(void *dev, u64 off, unsigned size)
{
	struct vcpu *v = this_cpu()->current_vcpu;

	v->vm->timers_dirty = true;
	return vlapic_mmio_read(&v->lapic, off, size);
}

static void vm_lapic_write(void *dev, u64 off, unsigned size, u64 val)
{
	struct vcpu *v = this_cpu()->current_vcpu;

	vlapic_mmio_write(&v->lapic, off, size, val);
	v->vm->timers_dirty = true;
	v->irq_check = true;
}

/*
 * Devices with timers or interrupt-controller state sit behind a wrapper
 * that tells the VM after each access: a timer device may have moved its
 * deadline (recomputed before the next entry), an interrupt controller may
 * have unmasked or retired something (looked at before the next entry).
 * Other devices (the UART, port 0x80) pay nothing for this.
 */
static void vm_dev_touched(const struct vm_dev_ref *r)
{
	if (r->flags & VM_DEV_TIMER)
		r->vm->timers_dirty = true;
	if (r->flags & VM_DEV_IRQ)
		for (unsigned i = 0; i < r->vm->nvcpus; i++)
			r->vm->vcpus[i]->irq_check = true;
}

static u64 vm_dev_read(void *p, u64 off, unsigned size)
{
	const struct vm_dev_ref *r = p;
	u64 val = r->ops->read(r->dev, off, size);

	vm_dev_touched(r);
	return val;
}

static void vm_dev_write(void *p, u64 off, unsigned size, u64 val)
{
	const struct vm_dev_ref *r = p;

	r->ops->write(r->dev, off, size, val);
	vm_dev_touched(r);
}

static const struct io_ops vm_dev_ops = { vm_dev_read, vm_dev_write };

static int vm_add_dev(struct vm *vm, struct io_bus *bus, u64 base, u64 len,
		      const struct io_ops *ops, void *dev, const char *name, u8 flags)
{
	struct vm_dev_ref *r;

	if (vm->ndev_refs == ARRAY_SIZE(vm->dev_refs))
		return -ENOSPC;
	r = &vm->dev_refs[vm->ndev_refs++];
	*r = (struct vm_dev_ref){ .ops = ops, .dev = dev, .vm = vm, .flags = flags };
	return io_bus_add(bus, base, len, &vm_dev_ops, r, name);
}

static int vm_add_pio(struct vm *vm, u64 base, u64 len, const struct io_ops *ops, void *dev,
		      const char *name, u8 flags)
{
	return vm_add_dev(vm, &vm->pio, base, len, ops, dev, name, flags);
}

static const struct io_ops vm_lapic_ops = { vm_lapic_read, vm_lapic_write };

void vm_vcpu_platform_init(struct vcpu *v)
{
	struct vlapic_wiring w = { .eoi = vm_lapic_eoi, .ipi = vm_lapic_ipi, .ctx = v,
				   .clock = &v->vm->clock };

	vlapic_init(&v->lapic, v->id, v->id == 0, &w);
}

int vm_platform_init(struct vm *vm)
{
	struct irq_line com1 = { vm_isa_irq_set, vm, COM1_IRQ }, sci = { vm_isa_irq_set, vm, 9 };
	struct vioapic_wiring iow = { .deliver = vm_apic_deliver, .ctx = vm };
	struct acpi_pm_wiring pmw = { .power_off = vm_power_off, .reset = vm_reset, .ctx = vm, .sci = sci,
				      .clock = &vm->clock };
	struct i8254_wiring pitw = { .irq0 = { vm_isa_irq_set, vm, 0 }, .clock = &vm->clock };
	struct mc146818_wiring rtcw = { .irq = { vm_isa_irq_set, vm, 8 }, .clock = &vm->clock };
	int err;
	/* Interrupt controllers first: the others drive their lines at init. */
	i8259_init(&vm->pic, vm_pic_intr_changed, vm);
	vioapic_init(&vm->ioapic, &iow);
	for (unsigned gsi = ACPI_PCI_INTX_GSI_BASE; gsi < ACPI_PCI_INTX_GSI_BASE + 8; gsi++)
		vm_pci_intx_set(vm, gsi, false);	/* idle PCI lines are high */
	i8254_init(&vm->pit, &pitw);
	mc146818_init(&vm->rtc, host_wall_clock(), &rtcw);
	acpi_pm_init(&vm->pm, &pmw);
	pci_host_init(&vm->pci);
	ns16550_init(&vm->uart, vm_uart_tx, vm, &com1);

	err = io_bus_add(&vm->pio, COM1_BASE, NS16550_NR_REGS, &ns16550_io_ops, &vm->uart, "ns16550");
	err = err ?: vm_add_pio(vm, 0x20, 2, &i8259_master_ops, &vm->pic, "8259-master", VM_DEV_IRQ);
	err = err ?: vm_add_pio(vm, 0xa0, 2, &i8259_slave_ops, &vm->pic, "8259-slave", VM_DEV_IRQ);
	err = err ?: vm_add_pio(vm, 0x4d0, 2, &i8259_elcr_ops, &vm->pic, "elcr", VM_DEV_IRQ);
	err = err ?: vm_add_pio(vm, 0x40, 4, &i8254_io_ops, &vm->pit, "8254", VM_DEV_TIMER);
	err = err ?: vm_add_pio(vm, 0x61, 1, &i8254_port61_ops, &vm->pit, "port61", VM_DEV_TIMER);
	err = err ?: vm_add_pio(vm, 0x70, 2, &mc146818_io_ops, &vm->rtc, "mc146818", VM_DEV_TIMER);
	err = err ?: vm_add_pio(vm, ACPI_PM_BASE, ACPI_PM_LEN, &acpi_pm_io_ops, &vm->pm, "acpi-pm",
				VM_DEV_TIMER);
	err = err ?: io_bus_add(&vm->pio, 0xcf8, 8, &pci_host_io_ops, &vm->pci, "pci");
	/* Port 0x80 (POST codes): claimed with no ops, so it reads all ones
	 * and ignores writes without being logged as unclaimed. */
	err = err ?: io_bus_add(&vm->pio, 0x80, 1, NULL, NULL, "post");
	err = err ?: vm_add_dev(vm, &vm->mmio, VIOAPIC_BASE, 0x1000, &vioapic_mmio_ops, &vm->ioapic,
				"ioapic", VM_DEV_IRQ);
	err = err ?: io_bus_add(&vm->mmio, VLAPIC_BASE, 0x1000, &vm_lapic_ops, vm, "lapic");
	err = err ?: io_bus_add(&vm->mmio, TESTDEV_BASE, TESTDEV_SIZE, &testdev_ops, &vm->scratch, "testdev");
	vm->timers_dirty = true;
	return err;
}

/* Every device timer of the VM, due ones fired, the next deadline kept in
 * TSC units so the entry path compares it with one RDTSC. */
void vm_timers_run(struct vm *vm)
{
	u64 now = guest_clock_now(&vm->clock), next;

	vm_virtio_drain(vm);		/* frames that came while the VM was busy */
	i8254_advance(&vm->pit, now);
	mc146818_advance(&vm->rtc, now);
	acpi_pm_advance(&vm->pm, now);
	next = MIN(i8254_next_deadline(&vm->pit), mc146818_next_deadline(&vm->rtc));
	next = MIN(next, acpi_pm_next_deadline(&vm->pm));
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = vm->vcpus[i];
		vlapic_advance(&v->lapic, now);
		next = MIN(next, vlapic_next_deadline(&v->lapic));
		if (vcpu_pending_vector(v) >= 0)
			vcpu_kick(v);
	}
	next = guest_clock_to_host(&vm->clock, next);
	vm->timer_deadline_tsc = next == UINT64_MAX ? UINT64_MAX : time_ns_to_tsc(next);
	vm->timers_dirty = false;
}
