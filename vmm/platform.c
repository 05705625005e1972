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
#include "vmm/intr.h"
#include "vmm/acpi_build.h"
#include "vmm/vm.h"
#include "devices/testdev.h"
#include "drivers/host_rtc.h"
#include "lib/log.h"
#include "lib/time.h"

#define COM1_BASE 0x3f8
#define COM1_IRQ  4

/* Wake v for an interrupt: look before its next entry; a halted vCPU
 * becomes runnable when something is really deliverable. */
void vcpu_kick(struct vcpu *v)
{
	v->irq_check = true;
	if (v->state == VCPU_HALTED && vcpu_pending_vector(v) >= 0)
		v->state = VCPU_RUNNABLE;
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

/* IO-APIC (and later MSI) delivery to the local APICs the destination
 * names (SDM Vol 3 11.6.2). Lowest priority goes to the first match. */
void vm_apic_deliver(void *ctx, u32 dest, bool logical, u8 mode, u8 vector, bool level)
{
	struct vm *vm = ctx;

	for (unsigned i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = vm->vcpus[i];
		if (!vlapic_match_dest(&v->lapic, dest, logical))
			continue;
		switch (mode) {
		case 0: case 1:		/* fixed, lowest priority */
			vlapic_set_irq(&v->lapic, vector, level);
			vcpu_kick(v);
			if (mode == 1)
				return;
			break;
		case 7:			/* ExtINT: the 8259 answers INTA */
			vcpu_kick(v);
			break;
		default:
			log_debug("vm %s: IO-APIC delivery mode %u not supported", vm->name, mode);
			break;
		}
	}
}

static void vm_lapic_eoi(void *ctx, u8 vector)
{
	struct vcpu *v = ctx;

	vioapic_eoi(&v->vm->ioapic, vector);
}

static void vm_lapic_ipi(void *ctx, u32 dest, bool logical, u8 shorthand, u8 mode, u8 vector)
{
	struct vcpu *v = ctx;

	log_debug("vm %s: vCPU %u: IPI (mode %u, vector 0x%x) to 0x%x: no other vCPUs", v->vm->name,
		  v->id, mode, vector, dest);
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
	struct vlapic_wiring w = { .eoi = vm_lapic_eoi, .ipi = vm_lapic_ipi, .ctx = v };

	vlapic_init(&v->lapic, v->id, v->id == 0, &w);
}

int vm_platform_init(struct vm *vm)
{
	struct irq_line com1 = { vm_isa_irq_set, vm, COM1_IRQ }, irq0 = { vm_isa_irq_set, vm, 0 },
			irq8 = { vm_isa_irq_set, vm, 8 }, sci = { vm_isa_irq_set, vm, 9 };
	struct vioapic_wiring iow = { .deliver = vm_apic_deliver, .ctx = vm };
	struct acpi_pm_wiring pmw = { .power_off = vm_power_off, .reset = vm_reset, .ctx = vm, .sci = sci };
	int err;
	/* Interrupt controllers first: the others drive their lines at init. */
	i8259_init(&vm->pic, vm_pic_intr_changed, vm);
	vioapic_init(&vm->ioapic, &iow);
	for (unsigned gsi = ACPI_PCI_INTX_GSI_BASE; gsi < ACPI_PCI_INTX_GSI_BASE + 8; gsi++)
		vm_pci_intx_set(vm, gsi, false);	/* idle PCI lines are high */
	i8254_init(&vm->pit, &irq0);
	mc146818_init(&vm->rtc, host_wall_clock(), &irq8);
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
	u64 now = time_now_ns(), next;

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
	vm->timer_deadline_tsc = next == UINT64_MAX ? UINT64_MAX : time_ns_to_tsc(next);
	vm->timers_dirty = false;
}
