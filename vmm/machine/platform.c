/*
 * A VM's PC platform: the chips Linux expects on a PC, at the places the
 * machine layout gives (include/vmm/machine/layout.h), wired together.
 * ISA devices raise lines that reach both the 8259 pair and the IO-APIC
 * (ISA IRQ 0 on IO-APIC pin 2, the override the MADT declares); the
 * IO-APIC delivers to local APICs (vmm/machine/apic_bus.c); level-triggered
 * EOIs go back to the IO-APIC. Every chip is in the VM's device table, so
 * the timer service, statistics and snapshots find it; device timers run
 * from one per-VM deadline that is checked on every VM entry and arms the
 * VMX-preemption timer.
 */
#include "vmm/machine/platform.h"
#include "vmm/machine/acpi_build.h"
#include "vmm/machine/layout.h"
#include "vmm/core/intr.h"
#include "vmm/core/vm.h"
#include "arch/cpu.h"
#include "devices/testdev.h"
#include "drivers/host_rtc.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/time.h"

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
	vioapic_set_irq(&vm->ioapic, irq == PC_IRQ_PIT ? PC_IOAPIC_PIN_PIT : irq, level);
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

static const struct io_ops vm_lapic_ops = { vm_lapic_read, vm_lapic_write };

int vm_vcpu_platform_init(struct vcpu *v)
{
	struct vlapic_wiring w = { .eoi = vm_lapic_eoi, .ipi = vm_lapic_ipi, .ctx = v,
				   .clock = &v->vm->clock };
	char name[VM_DEVICE_NAME_MAX];

	vlapic_init(&v->lapic, v->id, v->id == 0, &w);
	keel_snprintf(name, sizeof(name), "lapic%u", v->id);
	return vm_device_add(v->vm, name, &vlapic_dev_ops, &v->lapic);
}

/* Interrupt controllers first: the others drive their lines at init. */
static void vm_wire_chips(struct vm *vm)
{
	struct vioapic_wiring iow = { .deliver = vm_apic_deliver, .ctx = vm };
	struct irq_line com1 = { vm_isa_irq_set, vm, PC_IRQ_COM1 };
	struct acpi_pm_wiring pmw = {
		.power_off = vm_power_off, .reset = vm_reset, .ctx = vm,
		.sci = { vm_isa_irq_set, vm, PC_IRQ_SCI }, .clock = &vm->clock,
	};
	struct i8254_wiring pitw = { .irq0 = { vm_isa_irq_set, vm, PC_IRQ_PIT }, .clock = &vm->clock };
	struct mc146818_wiring rtcw = { .irq = { vm_isa_irq_set, vm, PC_IRQ_RTC }, .clock = &vm->clock };

	i8259_init(&vm->pic, vm_pic_intr_changed, vm);
	vioapic_init(&vm->ioapic, &iow);
	for (unsigned gsi = PC_PCI_INTX_GSI_BASE; gsi < PC_PCI_INTX_GSI_BASE + PC_PCI_INTX_GSIS; gsi++)
		vm_pci_intx_set(vm, gsi, false);	/* idle PCI lines are high */
	i8254_init(&vm->pit, &pitw);
	mc146818_init(&vm->rtc, host_wall_clock(), &rtcw);
	mc146818_set_mem_size(&vm->rtc, vm->layout.low_ram_end, vm->layout.high_ram_end - PC_4G);
	acpi_pm_init(&vm->pm, &pmw);
	pci_host_init(&vm->pci);
	ns16550_init(&vm->uart, vm_uart_tx, vm, &com1);
}

/* Where each chip's registers are; accesses to the interrupt controllers
 * and the timers say so after them (IO_TOUCHES_*), the rest pay nothing. */
static int vm_map_chips(struct vm *vm)
{
	struct io_bus *pio = &vm->pio, *mmio = &vm->mmio;
	int err;

	err = io_bus_add(pio, PC_PORT_COM1, NS16550_NR_REGS, &ns16550_io_ops, &vm->uart, "ns16550");
	err = err ?: io_bus_add_flags(pio, PC_PORT_PIC_MASTER, 2, &i8259_master_ops, &vm->pic,
				      "8259-master", IO_TOUCHES_IRQ);
	err = err ?: io_bus_add_flags(pio, PC_PORT_PIC_SLAVE, 2, &i8259_slave_ops, &vm->pic,
				      "8259-slave", IO_TOUCHES_IRQ);
	err = err ?: io_bus_add_flags(pio, PC_PORT_ELCR, 2, &i8259_elcr_ops, &vm->pic, "elcr",
				      IO_TOUCHES_IRQ);
	err = err ?: io_bus_add_flags(pio, PC_PORT_PIT, I8254_NR_PORTS, &i8254_io_ops, &vm->pit,
				      "8254", IO_TOUCHES_TIMER);
	err = err ?: io_bus_add_flags(pio, PC_PORT_61, 1, &i8254_port61_ops, &vm->pit, "port61",
				      IO_TOUCHES_TIMER);
	err = err ?: io_bus_add_flags(pio, PC_PORT_RTC, MC146818_NR_PORTS, &mc146818_io_ops, &vm->rtc,
				      "mc146818", IO_TOUCHES_TIMER);
	err = err ?: io_bus_add_flags(pio, PC_PORT_ACPI_PM, ACPI_PM_LEN, &acpi_pm_io_ops, &vm->pm,
				      "acpi-pm", IO_TOUCHES_TIMER);
	err = err ?: io_bus_add(pio, PC_PORT_PCI_CONFIG, PCI_HOST_LEN, &pci_host_io_ops, &vm->pci, "pci");
	/* POST codes: claimed with no ops, so the port reads all ones and
	 * ignores writes without being logged as unclaimed. */
	err = err ?: io_bus_add(pio, PC_PORT_POST, 1, NULL, NULL, "post");
	err = err ?: io_bus_add_flags(mmio, PC_IOAPIC_BASE, PAGE_SIZE, &vioapic_mmio_ops, &vm->ioapic,
				      "ioapic", IO_TOUCHES_IRQ);
	err = err ?: io_bus_add(mmio, PC_LAPIC_BASE, VLAPIC_SIZE, &vm_lapic_ops, vm, "lapic");
	err = err ?: io_bus_add(mmio, PC_TESTDEV_BASE, TESTDEV_SIZE, &testdev_ops, &vm->scratch, "testdev");
	return err;
}

int vm_platform_init(struct vm *vm)
{
	int err;

	vm_wire_chips(vm);
	err = vm_map_chips(vm);
	err = err ?: vm_device_add(vm, "pic", &i8259_dev_ops, &vm->pic);
	err = err ?: vm_device_add(vm, "ioapic", &vioapic_dev_ops, &vm->ioapic);
	err = err ?: vm_device_add(vm, "pit", &i8254_dev_ops, &vm->pit);
	err = err ?: vm_device_add(vm, "rtc", &mc146818_dev_ops, &vm->rtc);
	err = err ?: vm_device_add(vm, "acpi-pm", &acpi_pm_dev_ops, &vm->pm);
	err = err ?: vm_device_add(vm, "pci", &pci_host_dev_ops, &vm->pci);
	err = err ?: vm_device_add(vm, "com1", &ns16550_dev_ops, &vm->uart);
	vm->timers_dirty = true;
	return err;
}

/* Every device timer of the VM, due ones fired, the next deadline kept in
 * TSC units so the entry path compares it with one RDTSC. */
void vm_timers_run(struct vm *vm)
{
	u64 next;

	spin_assert_held(&vm->lock);
	next = vm_devices_advance(vm, guest_clock_now(&vm->clock));
	for (unsigned i = 0; i < vm->nvcpus; i++)
		if (vcpu_pending_vector(vm->vcpus[i]) >= 0)
			vcpu_kick(vm->vcpus[i]);
	next = guest_clock_to_host(&vm->clock, next);
	vm->timer_deadline_tsc = next == UINT64_MAX ? UINT64_MAX : time_ns_to_tsc(next);
	vm->timers_dirty = false;
}
