/*
 * Host tests for interrupt delivery (vmm/core/intr.c), the PC platform's
 * wiring and device timers (vmm/machine/platform.c) and the exit handlers that
 * take part in them (vmm/exit/exit.c: HLT, the preemption timer, the interrupt
 * window, re-injection of IDT-vectoring information).
 *
 * The VM is a real vm_create() with every platform device. The guest is
 * played through its buses (ports, the IO-APIC at 0xfec00000, the local
 * APIC at 0xfee00000) and the fake VMCS; the processor's side is what
 * Keel leaves in ENTRY_INTR_INFO and the primary processor-based controls
 * (SDM Vol 3 27.6 "Event injection", 26.7.5 "Interrupt-window exiting",
 * 28.2.4 "Information for VM exits that occur during event delivery").
 * The fake clock is fake_time_ns, with a 1 GHz TSC: TSC values are ns.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "vmm/exit/exit.h"
#include "vmm/core/intr.h"
#include "vmm/core/vm.h"
#include "vmm/machine/platform.h"
#include "lib/log.h"
#include "lib/time.h"
#include "arch/vmx.h"
#include "arch/cpu.h"
#include "arch/msr.h"
#include "fake_hw.h"
#include "fake_mm.h"
#include "fake_kernel.h"

/* As the VMM makes these calls: with the VM's lock held (the lock checks
 * of include/lib/spinlock.h hold the tests to it). */
#define LOCKED(call) do { spin_lock(&vm->lock); call; spin_unlock(&vm->lock); } while (0)

extern struct percpu fake_percpu;	/* tests/unit/fake_kernel.c */

#define VMCS(f)		fake_vmcs[VMCS_##f]
#define T0_NS		1000000000ull	/* the clock at VM creation: a whole PIT tick */
#define START_RIP	0x1000
#define CS_AR_32	0xc09bu		/* present code, D = 1, G = 1 */
#define RFLAGS_FIXED	0x2ull		/* bit 1 always reads 1 */
#define RFLAGS_GUEST_IF	(RFLAGS_FIXED | RFLAGS_IF)
/* Controls the interrupt-window bit shares its word with. */
#define PROC_BASE	(PROC_HLT_EXITING | PROC_USE_IO_BITMAPS | PROC_USE_MSR_BITMAPS)
#define EXT_INTR(vec)	(INTR_INFO_VALID | INTR_TYPE_EXT_INTR | (vec))
#define SENTINEL	0x5a5a5a5au

/* Local APIC registers, offsets in its page (SDM Vol 3 table 11-1). */
#define APIC_TPR	0x080
#define APIC_EOI	0x0b0
#define APIC_LDR	0x0d0
#define APIC_SVR	0x0f0
#define APIC_ISR	0x100
#define APIC_TMR	0x180
#define APIC_IRR	0x200
#define APIC_LVT_TIMER	0x320
#define APIC_LVT_LINT0	0x350
#define APIC_TIMER_ICR	0x380
#define APIC_TIMER_DCR	0x3e0
#define SVR_ENABLE	BIT(8)		/* APIC software enable */
#define LVT_MASKED	BIT(16)
#define LVT_EXTINT	(7u << 8)	/* delivery mode ExtINT */
#define LVT_TSC_DEADLINE (2u << 17)	/* timer mode 10b */
#define DCR_DIV1	0xb		/* divide by 1 */

/* IO-APIC (82093AA datasheet section 3). */
#define IOREGSEL	0x00
#define IOWIN		0x10
#define IOAPICVER	0x01
#define IOREDTBL(pin)	(0x10 + 2 * (pin))
#define REDIR_DM_LOWEST	(1u << 8)
#define REDIR_DM_NMI	(4u << 8)
#define REDIR_DM_EXTINT	(7u << 8)
#define REDIR_LOGICAL	BIT(11)
#define REDIR_REMOTE_IRR BIT(14)
#define REDIR_LEVEL	BIT(15)
#define REDIR_MASKED	BIT(16)

/* The 8259 pair, programmed with Linux's vector bases. */
#define PIC_MASTER	0x20
#define PIC_SLAVE	0xa0
#define PIC_MASTER_BASE	0x30
#define PIC_SLAVE_BASE	0x38
#define OCW2_EOI	0x20		/* non-specific EOI */
#define OCW3_READ_IRR	0x0a
#define OCW3_READ_ISR	0x0b

/* 8254: channel 0, LSB then MSB, mode 2 (rate generator), binary. */
#define PIT_CH0		0x40
#define PIT_CTRL	0x43
#define PIT_CH0_MODE2	0x34
#define PIT_CH0_MODE0	0x30		/* one-shot; stops the count until one is written */
#define PIT_COUNT	1193		/* ~1 ms */
/* ticks of the 1.193182 MHz clock in ns, rounded down */
#define PIT_NS(ticks)	((u64)(ticks) * 1000000000ull / I8254_HZ)

/* MC146818. */
#define RTC_INDEX	0x70
#define RTC_DATA	0x71
#define RTC_REG_A	0x0a
#define RTC_REG_B	0x0b
#define RTC_REG_C	0x0c
#define RTC_A_8192HZ	0x23		/* 32.768 kHz divider, rate 3: 122.07 us */
#define RTC_B_PIE	BIT(6)

/* ACPI PM1 event block (ACPI 6.5 4.8.3.1). */
#define PM1_STS		(ACPI_PM_BASE + 0)
#define PM1_EN		(ACPI_PM_BASE + 2)
#define PM_TMR		(ACPI_PM_BASE + 8)
#define PM1_TMR_EN	BIT(0)
#define PM1_PWRBTN	BIT(8)		/* PWRBTN_STS / PWRBTN_EN */

/* COM1 (ns16550). */
#define COM1		0x3f8
#define UART_IER	(COM1 + 1)
#define UART_IIR	(COM1 + 2)
#define UART_LSR	(COM1 + 5)
#define IER_ETBEI	BIT(1)		/* THR empty interrupt */
#define IIR_THRE	0x02

static struct vm *vm;
static struct vcpu *v;

static int setup(void **state)
{
	fake_mm_reset(16 * MiB);
	memset(fake_vmcs, 0, sizeof(fake_vmcs));
	fake_console_reset();
	log_threshold = LOG_INFO;
	fake_time_ns = T0_NS;
	fake_tsc = 0;
	vm = vm_create("t", 2 * MiB, 1);
	assert_non_null(vm);
	v = vm->vcpus[0];
	vm->state = VM_RUNNING;
	fake_percpu.current_vcpu = v;
	v->proc_controls = PROC_BASE;
	VMCS(PROC_BASED_CONTROLS) = PROC_BASE;
	VMCS(GUEST_CR0) = CR0_NE | CR0_ET | CR0_PE;
	VMCS(GUEST_CS_AR) = CS_AR_32;
	VMCS(GUEST_SS_AR) = 0x93;
	VMCS(GUEST_RFLAGS) = RFLAGS_GUEST_IF;
	VMCS(GUEST_RIP) = START_RIP;
	return 0;
}

static int teardown(void **state)
{
	fake_percpu.current_vcpu = NULL;
	vm_destroy(vm);
	assert_int_equal(fake_pages_allocated, 0);
	assert_int_equal(fake_vcpus_live, 0);
	fake_mem_free();
	return 0;
}

/* --- the guest's side: ports and MMIO as its instructions would reach them */

static void out(u16 port, unsigned size, u32 val)
{
	int err;

	LOCKED(err = vm_bus_write(vm, &vm->pio, port, size, val));
	assert_int_equal(err, 0);
}

static u32 in(u16 port, unsigned size)
{
	u64 val = 0;
	int err;

	LOCKED(err = vm_bus_read(vm, &vm->pio, port, size, &val));
	assert_int_equal(err, 0);
	return (u32)val;
}

static void mmio_write(u64 gpa, u32 val)
{
	int err;

	LOCKED(err = vm_bus_write(vm, &vm->mmio, gpa, 4, val));
	assert_int_equal(err, 0);
}

static u32 mmio_read(u64 gpa)
{
	u64 val = 0;
	int err;

	LOCKED(err = vm_bus_read(vm, &vm->mmio, gpa, 4, &val));
	assert_int_equal(err, 0);
	return (u32)val;
}

static void lapic_write(u32 off, u32 val)
{
	mmio_write(VLAPIC_BASE + off, val);
}

static u32 lapic_read(u32 off)
{
	return mmio_read(VLAPIC_BASE + off);
}

/* Bit `vec` of one of the 256-bit ISR, TMR or IRR registers. */
static bool lapic_bit(u32 reg, u8 vec)
{
	return lapic_read(reg + (vec / 32) * 0x10) & (1u << (vec % 32));
}

static void lapic_enable(void)
{
	lapic_write(APIC_SVR, SVR_ENABLE | 0xff);
}

/* What a BIOS leaves (MP spec virtual wire mode): LINT0 passes the 8259. */
static void lapic_virtual_wire(void)
{
	lapic_enable();
	lapic_write(APIC_LVT_LINT0, LVT_EXTINT);
}

static void ioapic_write(u32 reg, u32 val)
{
	mmio_write(PC_IOAPIC_BASE + IOREGSEL, reg);
	mmio_write(PC_IOAPIC_BASE + IOWIN, val);
}

static u32 ioapic_read(u32 reg)
{
	mmio_write(PC_IOAPIC_BASE + IOREGSEL, reg);
	return mmio_read(PC_IOAPIC_BASE + IOWIN);
}

/* A redirection entry to APIC ID dest; low holds vector and flags. */
static void ioapic_route_to(unsigned pin, u8 dest, u32 low)
{
	ioapic_write(IOREDTBL(pin) + 1, (u32)dest << 24);
	ioapic_write(IOREDTBL(pin), low);
}

static void ioapic_route(unsigned pin, u32 low)
{
	ioapic_route_to(pin, 0, low);
}

/* The initialisation Linux does: edge, cascade on IR2, 8086 mode. */
static void pic_init(u8 master_imr, u8 slave_imr)
{
	out(PIC_MASTER, 1, 0x11);
	out(PIC_MASTER + 1, 1, PIC_MASTER_BASE);
	out(PIC_MASTER + 1, 1, 0x04);
	out(PIC_MASTER + 1, 1, 0x01);
	out(PIC_SLAVE, 1, 0x11);
	out(PIC_SLAVE + 1, 1, PIC_SLAVE_BASE);
	out(PIC_SLAVE + 1, 1, 0x02);
	out(PIC_SLAVE + 1, 1, 0x01);
	out(PIC_MASTER + 1, 1, master_imr);
	out(PIC_SLAVE + 1, 1, slave_imr);
}

static u8 pic_reg(u16 chip, u8 ocw3)
{
	out(chip, 1, ocw3);
	return (u8)in(chip, 1);
}

static void pit_periodic(u16 count)
{
	out(PIT_CTRL, 1, PIT_CH0_MODE2);
	out(PIT_CH0, 1, count & 0xff);
	out(PIT_CH0, 1, count >> 8);
}

static void rtc_write(u8 reg, u8 val)
{
	out(RTC_INDEX, 1, reg);
	out(RTC_DATA, 1, val);
}

static u8 rtc_read(u8 reg)
{
	out(RTC_INDEX, 1, reg);
	return (u8)in(RTC_DATA, 1);
}

/* --- the processor's side ------------------------------------------------ */

/* Time passes to t; then the timers that are due run, as before an entry. */
static void run_timers_at(u64 t)
{
	fake_time_ns = t;
	LOCKED(vm_timers_run(vm));
}

/*
 * One VM entry as far as interrupts go: Keel picks what to inject, the
 * processor delivers it, and the next exit clears the valid bit (SDM Vol 3
 * 25.8.3). Returns the external interrupt's vector, or -1.
 */
static int enter_guest(void)
{
	u32 info;

	LOCKED(vcpu_deliver_interrupts(v));
	info = (u32)VMCS(ENTRY_INTR_INFO);
	if (!(info & INTR_INFO_VALID))
		return -1;
	/* valid, type external interrupt, no error code, reserved bits clear */
	assert_int_equal(info & ~0xffu, INTR_INFO_VALID | INTR_TYPE_EXT_INTR);
	VMCS(ENTRY_INTR_INFO) = 0;
	return (int)(info & 0xff);
}

/* The processor's side of a VM exit, then Keel's handling of it. */
static void vm_exit(u32 reason, u32 insn_len)
{
	VMCS(EXIT_REASON) = reason;
	VMCS(EXIT_QUALIFICATION) = 0;
	VMCS(EXIT_INSTRUCTION_LEN) = insn_len;
	vcpu_handle_exit(v);
}

/* An exit that can interrupt event delivery: a task switch (which Keel
 * does not emulate, so it stops the VM; the test puts it back running). */
static void vm_exit_during_delivery(u32 insn_len)
{
	vm_exit(EXIT_TASK_SWITCH, insn_len);
	vm->state = VM_RUNNING;
	v->state = VCPU_RUNNABLE;
}

static void wrmsr_exit(u32 msr, u64 val)
{
	v->regs.gpr[RCX] = msr;
	v->regs.gpr[RAX] = (u32)val;
	v->regs.gpr[RDX] = val >> 32;
	vm_exit(EXIT_WRMSR, 2);
	assert_int_equal(VMCS(ENTRY_INTR_INFO), 0);	/* no #GP */
}

static void assert_window(bool on)
{
	u32 want = PROC_BASE | (on ? PROC_INTR_WINDOW_EXITING : 0);

	assert_int_equal(v->proc_controls, want);
	assert_int_equal(VMCS(PROC_BASED_CONTROLS), want);
}

/* --- platform wiring ---------------------------------------------------- */

/* Every chip at its PC address, and the power-on state: nothing pending,
 * nothing armed. */
static void test_platform_init(void **state)
{
	static const struct { u16 port; const char *name; } ports[] = {
		{ 0x20, "8259-master" }, { 0x21, "8259-master" }, { 0xa0, "8259-slave" },
		{ 0xa1, "8259-slave" }, { 0x4d0, "elcr" }, { 0x4d1, "elcr" }, { 0x40, "8254" },
		{ 0x43, "8254" }, { 0x61, "port61" }, { 0x70, "mc146818" }, { 0x71, "mc146818" },
		{ 0x600, "acpi-pm" }, { 0x60f, "acpi-pm" }, { 0x3f8, "ns16550" }, { 0x3ff, "ns16550" },
		{ 0xcf8, "pci" }, { 0xcff, "pci" }, { 0x80, "post" },
	};
	static const u16 unclaimed[] = { 0x22, 0x44, 0x60, 0x62, 0x72, 0x81, 0x5ff, 0x610, 0x3f7 };
	const struct { const char *name; void *dev; } chips[] = {
		{ "pic", &vm->pic }, { "ioapic", &vm->ioapic }, { "pit", &vm->pit },
		{ "rtc", &vm->rtc }, { "acpi-pm", &vm->pm }, { "pci", &vm->pci }, { "com1", &vm->uart },
	};
	const struct io_range *r;
	const struct vm_device *d;
	u64 val;

	for (unsigned i = 0; i < ARRAY_SIZE(ports); i++) {
		r = io_bus_find(&vm->pio, ports[i].port, 1);
		assert_non_null(r);
		assert_string_equal(r->name, ports[i].name);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(unclaimed); i++)
		assert_int_equal(io_bus_read(&vm->pio, unclaimed[i], 1, &val), -ENOENT);
	/* Port 0x80 is claimed: reads all ones, takes writes. */
	assert_int_equal(in(0x80, 1), 0xff);
	out(0x80, 1, 0x55);

	r = io_bus_find(&vm->mmio, PC_IOAPIC_BASE + 0xffc, 4);
	assert_non_null(r);
	assert_string_equal(r->name, "ioapic");
	/* The IO-APIC's accesses say they touch interrupt state. */
	assert_ptr_equal(r->dev, &vm->ioapic);
	assert_int_equal(r->flags, IO_TOUCHES_IRQ);
	assert_int_equal(io_bus_find(&vm->pio, 0x40, 1)->flags, IO_TOUCHES_TIMER);
	assert_int_equal(io_bus_find(&vm->pio, 0x3f8, 1)->flags, 0);
	/* Every chip is in the device table, each vCPU's APIC too. */
	for (unsigned i = 0; i < ARRAY_SIZE(chips); i++) {
		d = vm_device_find(vm, chips[i].name);
		assert_non_null(d);
		assert_ptr_equal(d->dev, chips[i].dev);
	}
	assert_ptr_equal(vm_device_find(vm, "lapic0")->dev, &v->lapic);
	assert_null(vm_device_find(vm, "lapic1"));
	r = io_bus_find(&vm->mmio, VLAPIC_BASE, 4);
	assert_non_null(r);
	assert_string_equal(r->name, "lapic");

	/* 24 pins, version 0x11, all masked; the 8259s masked; nothing pending. */
	assert_int_equal(ioapic_read(IOAPICVER), 0x170011);
	for (unsigned pin = 0; pin < VIOAPIC_NR_PINS; pin++)
		assert_true(ioapic_read(IOREDTBL(pin)) & REDIR_MASKED);
	assert_int_equal(in(0x21, 1), 0xff);
	assert_int_equal(in(0xa1, 1), 0xff);
	assert_int_equal(vcpu_pending_vector(v), -1);

	/* The timers were never run: the entry path must look once. Nothing
	 * is due or pending, so no one is kicked. */
	assert_true(vm->timers_dirty);
	v->irq_check = false;
	LOCKED(vm_timers_run(vm));
	assert_false(vm->timers_dirty);
	assert_int_equal(vm->timer_deadline_tsc, UINT64_MAX);
	assert_false(v->irq_check);
	assert_int_equal(v->state, VCPU_RUNNABLE);
}

/* ISA IRQ 0 is IO-APIC pin 2 (the MADT's override), the others pin = IRQ;
 * each reaches the 8259 pair too. */
static void test_isa_irq_routing(void **state)
{
	lapic_enable();
	pic_init(0x00, 0x00);
	ioapic_route(0, 0x40);
	ioapic_route(2, 0x42);
	ioapic_route(9, 0x49);

	LOCKED(vm_isa_irq_set(vm, 0, true));
	LOCKED(vm_isa_irq_set(vm, 0, false));
	assert_true(lapic_bit(APIC_IRR, 0x42));
	assert_false(lapic_bit(APIC_IRR, 0x40));
	assert_int_equal(pic_reg(PIC_MASTER, OCW3_READ_IRR), 0x01);

	LOCKED(vm_isa_irq_set(vm, 9, true));
	LOCKED(vm_isa_irq_set(vm, 9, false));
	assert_true(lapic_bit(APIC_IRR, 0x49));
	assert_int_equal(pic_reg(PIC_SLAVE, OCW3_READ_IRR), 0x02);
	assert_int_equal(pic_reg(PIC_MASTER, OCW3_READ_IRR), 0x05);	/* IR0, cascade */
}

/* --- the PIT's tick, two ways ------------------------------------------- */

/* (a) Through the 8259 with the local APIC in virtual-wire mode. */
static void test_pit_through_8259(void **state)
{
	u64 first, second;

	lapic_virtual_wire();
	pic_init(0xfe, 0xff);
	pit_periodic(PIT_COUNT);
	assert_true(vm->timers_dirty);
	LOCKED(vm_timers_run(vm));
	first = vm->timer_deadline_tsc;
	/* the count loads on the next clock, OUT rises N clocks later */
	assert_true(first > T0_NS + PIT_NS(PIT_COUNT) && first <= T0_NS + PIT_NS(PIT_COUNT + 2));
	assert_int_equal(vcpu_pending_vector(v), -1);

	v->irq_check = false;
	run_timers_at(first - 1);
	assert_false(i8259_intr(&vm->pic));
	assert_false(v->irq_check);
	run_timers_at(first);
	assert_true(i8259_intr(&vm->pic));
	assert_true(v->irq_check);
	assert_int_equal(vcpu_pending_vector(v), 256);
	assert_int_equal(vlapic_pending(&v->lapic), -1);	/* IO-APIC pin 2 masked */

	LOCKED(vcpu_deliver_interrupts(v));
	assert_int_equal(VMCS(ENTRY_INTR_INFO), EXT_INTR(PIC_MASTER_BASE + 0));
	assert_int_equal(v->intr_injected, 1);
	assert_int_equal(pic_reg(PIC_MASTER, OCW3_READ_ISR), 0x01);	/* INTA done */
	assert_false(i8259_intr(&vm->pic));
	VMCS(ENTRY_INTR_INFO) = 0;

	/* The next tick waits behind IR0 in service until the EOI. */
	second = vm->timer_deadline_tsc;
	assert_true(second > first + PIT_NS(PIT_COUNT - 1) && second <= first + PIT_NS(PIT_COUNT + 1));
	run_timers_at(second);
	assert_int_equal(pic_reg(PIC_MASTER, OCW3_READ_IRR), 0x01);
	assert_int_equal(vcpu_pending_vector(v), -1);
	assert_int_equal(enter_guest(), -1);
	assert_false(v->irq_check);
	out(PIC_MASTER, 1, OCW2_EOI);
	assert_true(v->irq_check);
	assert_int_equal(enter_guest(), PIC_MASTER_BASE);
	assert_int_equal(v->intr_injected, 2);
}

/* The 8259's INTR reaches the vCPU only through LINT0 in ExtINT mode or
 * with the APIC globally disabled; the TPR does not hold it back. */
static void test_pic_needs_lint0(void **state)
{
	pic_init(0xfe, 0xff);
	LOCKED(vm_isa_irq_set(vm, 0, true));
	LOCKED(vm_isa_irq_set(vm, 0, false));
	assert_true(i8259_intr(&vm->pic));

	/* Power-on: APIC software-disabled, LINT0 masked. */
	assert_int_equal(vcpu_pending_vector(v), -1);
	lapic_enable();
	assert_int_equal(vcpu_pending_vector(v), -1);
	lapic_write(APIC_LVT_LINT0, LVT_EXTINT | LVT_MASKED);
	assert_int_equal(vcpu_pending_vector(v), -1);
	lapic_write(APIC_LVT_LINT0, 0);		/* fixed, vector 0: not ExtINT */
	assert_int_equal(vcpu_pending_vector(v), -1);
	lapic_write(APIC_LVT_LINT0, LVT_EXTINT);
	assert_int_equal(vcpu_pending_vector(v), 256);
	lapic_write(APIC_TPR, 0xff);
	assert_int_equal(vcpu_pending_vector(v), 256);

	/* Globally disabled (IA32_APIC_BASE.EN = 0): LINT0 is INTR again. */
	lapic_write(APIC_LVT_LINT0, LVT_MASKED);
	assert_int_equal(vcpu_pending_vector(v), -1);
	v->irq_check = false;
	wrmsr_exit(MSR_IA32_APIC_BASE, VLAPIC_BASE);
	assert_true(v->irq_check);
	assert_int_equal(vcpu_pending_vector(v), 256);
	assert_int_equal(enter_guest(), PIC_MASTER_BASE);
}

/* (b) Through IO-APIC pin 2, programmed by the guest, to a vector; the
 * EOI at 0xfee000b0 retires it. */
static void test_pit_through_ioapic(void **state)
{
	lapic_enable();
	ioapic_route(2, 0x31);
	pit_periodic(PIT_COUNT);
	LOCKED(vm_timers_run(vm));
	run_timers_at(vm->timer_deadline_tsc);
	assert_true(lapic_bit(APIC_IRR, 0x31));
	assert_false(lapic_bit(APIC_TMR, 0x31));	/* edge */
	assert_true(v->irq_check);
	assert_false(i8259_intr(&vm->pic));		/* never initialised: all masked */
	assert_int_equal(vcpu_pending_vector(v), 0x31);

	assert_int_equal(enter_guest(), 0x31);
	assert_true(lapic_bit(APIC_ISR, 0x31));
	assert_false(lapic_bit(APIC_IRR, 0x31));
	/* Nothing else deliverable: no window exit, no look before entry. */
	assert_window(false);
	assert_false(v->irq_check);

	vm->timers_dirty = false;
	lapic_write(APIC_EOI, 0);
	assert_false(lapic_bit(APIC_ISR, 0x31));
	assert_true(v->irq_check);
	assert_true(vm->timers_dirty);
	assert_int_equal(enter_guest(), -1);
	assert_window(false);

	/* Periodic: the next tick comes the same way. */
	run_timers_at(vm->timer_deadline_tsc);
	assert_int_equal(enter_guest(), 0x31);
	lapic_write(APIC_EOI, 0);

	/* A masked pin loses its ticks. */
	ioapic_write(IOREDTBL(2), 0x31 | REDIR_MASKED);
	run_timers_at(vm->timer_deadline_tsc);
	assert_false(lapic_bit(APIC_IRR, 0x31));
	assert_int_equal(enter_guest(), -1);
}

/* --- when the guest cannot take an interrupt ---------------------------- */

/*
 * External interrupts wait while RFLAGS.IF = 0, in an STI or MOV SS
 * shadow, or behind an event Keel already injects (SDM Vol 3 27.3.1.5
 * forbids the injection): interrupt-window exiting is turned on instead,
 * and the exit it brings leads to the injection.
 */
static void test_blocked_opens_window(void **state)
{
	static const struct { u64 rflags; u32 intr; u32 entry; } cases[] = {
		{ RFLAGS_FIXED, 0, 0 },				/* CLI */
		{ RFLAGS_GUEST_IF, INTERRUPTIBILITY_STI, 0 },	/* STI shadow */
		{ RFLAGS_GUEST_IF, INTERRUPTIBILITY_MOV_SS, 0 },/* MOV SS shadow */
		{ RFLAGS_GUEST_IF, 0, 0x80000b0eu },		/* a #PF being injected */
	};

	lapic_enable();
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		vlapic_set_irq(&v->lapic, 0x51, false);
		LOCKED(vcpu_kick(v));
		VMCS(GUEST_RFLAGS) = cases[i].rflags;
		VMCS(GUEST_INTERRUPTIBILITY) = cases[i].intr;
		VMCS(ENTRY_INTR_INFO) = cases[i].entry;
		LOCKED(vcpu_deliver_interrupts(v));
		assert_int_equal(VMCS(ENTRY_INTR_INFO), cases[i].entry);
		assert_window(true);
		assert_true(v->irq_check);
		assert_true(lapic_bit(APIC_IRR, 0x51));		/* not acknowledged */
		assert_false(lapic_bit(APIC_ISR, 0x51));
		assert_int_equal(v->intr_injected, i);

		/* The guest can take it now: the window exit, then the injection. */
		VMCS(GUEST_RFLAGS) = RFLAGS_GUEST_IF;
		VMCS(GUEST_INTERRUPTIBILITY) = 0;
		VMCS(ENTRY_INTR_INFO) = 0;
		v->irq_check = false;
		vm_exit(EXIT_INTERRUPT_WINDOW, 0);
		assert_true(v->irq_check);
		assert_int_equal(VMCS(GUEST_RIP), START_RIP);
		assert_int_equal(enter_guest(), 0x51);
		assert_int_equal(v->intr_injected, i + 1);

		/* Nothing left: the window closes and Keel stops looking. */
		lapic_write(APIC_EOI, 0);
		assert_int_equal(enter_guest(), -1);
		assert_window(false);
		assert_false(v->irq_check);
	}
	assert_int_equal(v->exit_counts[EXIT_INTERRUPT_WINDOW], ARRAY_SIZE(cases));
}

/* The same for the 8259: no INTA cycle while the guest cannot take it. */
static void test_blocked_pic_not_acknowledged(void **state)
{
	lapic_virtual_wire();
	pic_init(0xfe, 0xff);
	LOCKED(vm_isa_irq_set(vm, 0, true));
	LOCKED(vm_isa_irq_set(vm, 0, false));
	VMCS(GUEST_RFLAGS) = RFLAGS_FIXED;
	assert_int_equal(enter_guest(), -1);
	assert_window(true);
	assert_int_equal(pic_reg(PIC_MASTER, OCW3_READ_ISR), 0);
	assert_int_equal(pic_reg(PIC_MASTER, OCW3_READ_IRR), 0x01);
	VMCS(GUEST_RFLAGS) = RFLAGS_GUEST_IF;
	vm_exit(EXIT_INTERRUPT_WINDOW, 0);
	assert_int_equal(enter_guest(), PIC_MASTER_BASE);
	assert_int_equal(pic_reg(PIC_MASTER, OCW3_READ_ISR), 0x01);
}

/* Nothing pending: the window is closed whatever the guest's state, and
 * the cached control word spares the VMCS write when it already is. */
static void test_nothing_pending_closes_window(void **state)
{
	v->proc_controls = PROC_BASE | PROC_INTR_WINDOW_EXITING;
	VMCS(PROC_BASED_CONTROLS) = PROC_BASE | PROC_INTR_WINDOW_EXITING;
	v->irq_check = true;
	VMCS(GUEST_RFLAGS) = RFLAGS_FIXED;		/* even with IF = 0 */
	LOCKED(vcpu_deliver_interrupts(v));
	assert_window(false);
	assert_false(v->irq_check);
	assert_int_equal(VMCS(ENTRY_INTR_INFO), 0);
	assert_int_equal(v->intr_injected, 0);

	VMCS(PROC_BASED_CONTROLS) = SENTINEL;
	LOCKED(vcpu_deliver_interrupts(v));
	assert_int_equal(VMCS(PROC_BASED_CONTROLS), SENTINEL);
	assert_int_equal(v->proc_controls, PROC_BASE);
}

/* --- priority (SDM Vol 3 11.8.3) ---------------------------------------- */

/* The higher vector first; a lower class waits for the EOI of a higher
 * one in service, and so does one of the same class. */
static void test_priority_order(void **state)
{
	lapic_enable();
	vlapic_set_irq(&v->lapic, 0x41, false);
	vlapic_set_irq(&v->lapic, 0x62, false);
	LOCKED(vcpu_kick(v));
	assert_int_equal(enter_guest(), 0x62);
	assert_int_equal(enter_guest(), -1);
	assert_false(v->irq_check);
	lapic_write(APIC_EOI, 0);
	assert_true(v->irq_check);
	assert_int_equal(enter_guest(), 0x41);
	lapic_write(APIC_EOI, 0);

	vlapic_set_irq(&v->lapic, 0x45, false);
	vlapic_set_irq(&v->lapic, 0x4a, false);
	assert_int_equal(enter_guest(), 0x4a);
	assert_int_equal(enter_guest(), -1);
	lapic_write(APIC_EOI, 0);
	assert_int_equal(enter_guest(), 0x45);
	lapic_write(APIC_EOI, 0);
	assert_int_equal(enter_guest(), -1);
}

/* TPR at 0xfee00080 masks its class and those below. */
static void test_tpr_masks_class(void **state)
{
	lapic_enable();
	lapic_write(APIC_TPR, 0x50);
	vlapic_set_irq(&v->lapic, 0x55, false);
	vlapic_set_irq(&v->lapic, 0x45, false);
	LOCKED(vcpu_kick(v));
	assert_int_equal(vcpu_pending_vector(v), -1);
	assert_int_equal(enter_guest(), -1);
	assert_window(false);
	assert_false(v->irq_check);

	vlapic_set_irq(&v->lapic, 0x61, false);
	LOCKED(vcpu_kick(v));
	assert_int_equal(enter_guest(), 0x61);
	lapic_write(APIC_EOI, 0);
	assert_int_equal(enter_guest(), -1);

	v->irq_check = false;
	lapic_write(APIC_TPR, 0x40);
	assert_true(v->irq_check);
	assert_int_equal(enter_guest(), 0x55);
	lapic_write(APIC_EOI, 0);
	assert_int_equal(enter_guest(), -1);		/* 0x45: class 4 <= TPR class 4 */
	lapic_write(APIC_TPR, 0);
	assert_int_equal(enter_guest(), 0x45);
}

/* --- level-triggered: the SCI through an IO-APIC level entry ------------ */

/*
 * Remote IRR is set when the IO-APIC sends; the local APIC records the
 * vector as level (TMR) and its EOI goes back to the IO-APIC, which sends
 * again only while the line is still asserted (82093AA IOREDTBL bit 14).
 */
static void test_level_sci(void **state)
{
	lapic_enable();
	ioapic_route(9, 0x39 | REDIR_LEVEL);
	out(PM1_EN, 2, PM1_PWRBTN);
	assert_false(lapic_bit(APIC_IRR, 0x39));
	assert_false(ioapic_read(IOREDTBL(9)) & REDIR_REMOTE_IRR);

	v->irq_check = false;
	LOCKED(acpi_pm_power_button(&vm->pm));
	assert_true(ioapic_read(IOREDTBL(9)) & REDIR_REMOTE_IRR);
	assert_true(lapic_bit(APIC_IRR, 0x39));
	assert_true(lapic_bit(APIC_TMR, 0x39));
	assert_true(v->irq_check);
	assert_int_equal(enter_guest(), 0x39);

	/* EOI while PWRBTN_STS still holds the line up: delivered again. */
	lapic_write(APIC_EOI, 0);
	assert_true(ioapic_read(IOREDTBL(9)) & REDIR_REMOTE_IRR);
	assert_true(lapic_bit(APIC_IRR, 0x39));
	assert_int_equal(enter_guest(), 0x39);

	/* The handler clears the status (write 1 to clear), then EOIs. */
	out(PM1_STS, 2, PM1_PWRBTN);
	assert_false(lapic_bit(APIC_IRR, 0x39));
	lapic_write(APIC_EOI, 0);
	assert_false(ioapic_read(IOREDTBL(9)) & REDIR_REMOTE_IRR);
	assert_false(lapic_bit(APIC_IRR, 0x39));
	assert_false(lapic_bit(APIC_ISR, 0x39));
	assert_int_equal(enter_guest(), -1);

	/* A new press is a new interrupt. */
	LOCKED(acpi_pm_power_button(&vm->pm));
	assert_int_equal(enter_guest(), 0x39);
}

/* The same rules driven straight through vm_isa_irq_set(). */
static void test_level_isa_line(void **state)
{
	lapic_enable();
	ioapic_route(10, 0x3a | REDIR_LEVEL);
	LOCKED(vm_isa_irq_set(vm, 10, true));
	assert_int_equal(enter_guest(), 0x3a);
	/* While remote IRR is set, the line bouncing sends nothing. */
	LOCKED(vm_isa_irq_set(vm, 10, false));
	LOCKED(vm_isa_irq_set(vm, 10, true));
	assert_false(lapic_bit(APIC_IRR, 0x3a));
	lapic_write(APIC_EOI, 0);
	assert_true(lapic_bit(APIC_IRR, 0x3a));		/* still asserted: again */
	assert_int_equal(enter_guest(), 0x3a);
	LOCKED(vm_isa_irq_set(vm, 10, false));
	lapic_write(APIC_EOI, 0);
	assert_false(ioapic_read(IOREDTBL(10)) & REDIR_REMOTE_IRR);
	assert_int_equal(enter_guest(), -1);
	/* Edge entry on the same pin: no remote IRR, one message per edge. */
	ioapic_route(10, 0x3a);
	LOCKED(vm_isa_irq_set(vm, 10, true));
	assert_false(ioapic_read(IOREDTBL(10)) & REDIR_REMOTE_IRR);
	assert_false(lapic_bit(APIC_TMR, 0x3a));
	assert_int_equal(enter_guest(), 0x3a);
}

/* --- IO-APIC destinations and delivery modes ---------------------------- */

static void pulse_irq5(void)
{
	LOCKED(vm_isa_irq_set(vm, 5, true));
	LOCKED(vm_isa_irq_set(vm, 5, false));
}

static void test_ioapic_destinations(void **state)
{
	lapic_enable();
	ioapic_route_to(5, 1, 0x55);			/* APIC ID 1: not ours */
	pulse_irq5();
	assert_int_equal(vcpu_pending_vector(v), -1);
	ioapic_route_to(5, 0xff, 0x55);			/* physical broadcast */
	pulse_irq5();
	assert_int_equal(enter_guest(), 0x55);
	lapic_write(APIC_EOI, 0);

	lapic_write(APIC_LDR, 0x02000000);		/* flat model, logical ID bit 1 */
	ioapic_route_to(5, 0x01, 0x56 | REDIR_LOGICAL);
	pulse_irq5();
	assert_int_equal(vcpu_pending_vector(v), -1);
	ioapic_route_to(5, 0x03, 0x56 | REDIR_LOGICAL);
	pulse_irq5();
	assert_int_equal(enter_guest(), 0x56);
	lapic_write(APIC_EOI, 0);

	ioapic_route(5, 0x57 | REDIR_DM_LOWEST);
	pulse_irq5();
	assert_int_equal(enter_guest(), 0x57);
	lapic_write(APIC_EOI, 0);

	/* ExtINT: the 8259 supplies the vector; nothing in the APIC. */
	ioapic_route(5, 0x58 | REDIR_DM_EXTINT);
	v->irq_check = false;
	pulse_irq5();
	assert_true(v->irq_check);
	assert_false(lapic_bit(APIC_IRR, 0x58));
}

/* --- re-injection of IDT-vectoring information (SDM Vol 3 28.2.4, 27.6) - */

/*
 * An exit during event delivery: the dispatcher copies the event into the
 * entry fields before the handler runs, whatever the exit (a preemption
 * timer exit here: its handler neither injects nor asks for a delivery
 * check, so what the test sees is the dispatcher's). The error code goes
 * along when bit 11 says so; software interrupts and exceptions (types 4,
 * 5, 6) need the instruction length; bit 12 is not an entry bit (25.8.3).
 */
static void test_reinject_vectoring(void **state)
{
	static const struct { u32 info, error, len, want, want_error, want_len; } cases[] = {
		/* #PF with error code 6, NMI-unblocking bit set */
		{ 0x80000b0eu | INTR_INFO_NMI_UNBLOCK, 6, 3, 0x80000b0eu, 6, SENTINEL },
		/* #GP(0x10) */
		{ 0x80000b0du, 0x10, 3, 0x80000b0du, 0x10, SENTINEL },
		/* INT 0x80 (software interrupt, type 4) */
		{ 0x80000480u, 0x77, 2, 0x80000480u, SENTINEL, 2 },
		/* INT1/ICEBP (privileged software exception, type 5) */
		{ 0x80000501u, 0x77, 1, 0x80000501u, SENTINEL, 1 },
		/* INT3 (software exception, type 6) */
		{ 0x80000603u | INTR_INFO_NMI_UNBLOCK, 0x77, 1, 0x80000603u, SENTINEL, 1 },
		/* an external interrupt */
		{ EXT_INTR(0x30) | INTR_INFO_NMI_UNBLOCK, 0x77, 3, EXT_INTR(0x30), SENTINEL, SENTINEL },
		/* an NMI */
		{ 0x80000202u | INTR_INFO_NMI_UNBLOCK, 0x77, 3, 0x80000202u, SENTINEL, SENTINEL },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		VMCS(IDT_VECTORING_INFO) = cases[i].info;
		VMCS(IDT_VECTORING_ERROR) = cases[i].error;
		VMCS(ENTRY_INTR_INFO) = 0;
		VMCS(ENTRY_EXCEPTION_ERROR) = SENTINEL;
		VMCS(ENTRY_INSTRUCTION_LEN) = SENTINEL;
		v->irq_check = false;
		vm_exit_during_delivery(cases[i].len);
		assert_int_equal(VMCS(ENTRY_INTR_INFO), cases[i].want);
		assert_int_equal(VMCS(ENTRY_EXCEPTION_ERROR), cases[i].want_error);
		assert_int_equal(VMCS(ENTRY_INSTRUCTION_LEN), cases[i].want_len);
		assert_true(v->irq_check);
		assert_int_equal(VMCS(GUEST_RIP), START_RIP);
	}

	/* Valid bit clear: nothing to re-inject. */
	VMCS(IDT_VECTORING_INFO) = 0x00000b0eu;
	VMCS(ENTRY_INTR_INFO) = 0;
	v->irq_check = false;
	vm_exit_during_delivery(0);
	assert_int_equal(VMCS(ENTRY_INTR_INFO), 0);
	assert_int_equal(VMCS(ENTRY_EXCEPTION_ERROR), SENTINEL);
	assert_false(v->irq_check);

}

/* A re-injected interrupt goes first; the one pending waits for a window. */
static void test_reinjected_event_goes_first(void **state)
{
	lapic_enable();
	vlapic_set_irq(&v->lapic, 0x50, false);
	VMCS(IDT_VECTORING_INFO) = EXT_INTR(0x30);
	vm_exit_during_delivery(0);
	LOCKED(vcpu_deliver_interrupts(v));
	assert_int_equal(VMCS(ENTRY_INTR_INFO), EXT_INTR(0x30));
	assert_window(true);
	assert_true(lapic_bit(APIC_IRR, 0x50));
	assert_int_equal(v->intr_injected, 0);

	/* Delivered; the next exit brings nothing to re-inject. */
	VMCS(ENTRY_INTR_INFO) = 0;
	VMCS(IDT_VECTORING_INFO) = 0;
	vm_exit(EXIT_INTERRUPT_WINDOW, 0);
	assert_int_equal(enter_guest(), 0x50);
}

/*
 * An EPT violation on an MMIO page *during event delivery* (the guest's
 * stack or IDT in the APIC page) must not be handled by emulating the
 * instruction at RIP, which never made that access (SDM Vol 3 28.2.4: with
 * IDT-vectoring information valid, the access belongs to the delivery).
 * Keel stops the VM instead.
 */
static void test_ept_violation_during_delivery(void **state)
{
	/* mov [0xfee00080], eax: would write the TPR */
	static const u8 mov_mem_eax[] = { 0x89, 0x05, 0x80, 0x00, 0xe0, 0xfe };

	lapic_enable();
	assert_int_equal(gpa_write(&vm->mem, START_RIP, mov_mem_eax, sizeof(mov_mem_eax)), 0);
	v->regs.gpr[RAX] = 0x70;
	VMCS(IDT_VECTORING_INFO) = EXT_INTR(0x30);
	VMCS(GUEST_PHYSICAL_ADDRESS) = VLAPIC_BASE + APIC_TPR;
	VMCS(EXIT_REASON) = EXIT_EPT_VIOLATION;
	VMCS(EXIT_QUALIFICATION) = BIT(1);		/* a write */
	VMCS(EXIT_INSTRUCTION_LEN) = 0;
	vcpu_handle_exit(v);
	assert_int_equal(lapic_read(APIC_TPR), 0);	/* the instruction made no access */
	assert_int_equal(VMCS(GUEST_RIP), START_RIP);	/* and did not run */
	assert_int_equal(vm->state, VM_STOPPED);
	assert_non_null(strstr(vm->stop_reason, "while delivering event 0x80000030"));
}

/* --- HLT ---------------------------------------------------------------- */

/* With IF = 1 and nothing pending the vCPU sleeps; the PIT's tick wakes it. */
static void test_hlt_until_tick(void **state)
{
	u64 tick;

	lapic_virtual_wire();
	pic_init(0xfe, 0xff);
	pit_periodic(PIT_COUNT);
	LOCKED(vm_timers_run(vm));
	tick = vm->timer_deadline_tsc;

	vm_exit(EXIT_HLT, 1);
	assert_int_equal(v->state, VCPU_HALTED);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 1);
	assert_int_equal(vm->state, VM_RUNNING);
	run_timers_at(tick - 1);
	assert_int_equal(v->state, VCPU_HALTED);
	run_timers_at(tick);
	assert_int_equal(v->state, VCPU_RUNNABLE);
	assert_true(v->irq_check);
	assert_int_equal(enter_guest(), PIC_MASTER_BASE);
}

/* The 8259's INTR rising wakes a halted vCPU by itself, in virtual wire. */
static void test_hlt_pic_wakes(void **state)
{
	lapic_virtual_wire();
	pic_init(0xfe, 0xff);
	vm_exit(EXIT_HLT, 1);
	assert_int_equal(v->state, VCPU_HALTED);
	v->irq_check = false;
	LOCKED(vm_isa_irq_set(vm, 0, true));
	assert_int_equal(v->state, VCPU_RUNNABLE);
	assert_true(v->irq_check);
	LOCKED(vm_isa_irq_set(vm, 0, false));
	assert_int_equal(enter_guest(), PIC_MASTER_BASE);
}

/* The PIT's tick through IO-APIC pin 2 wakes it too. */
static void test_hlt_until_ioapic_tick(void **state)
{
	lapic_enable();
	ioapic_route(2, 0x31);
	pit_periodic(PIT_COUNT);
	LOCKED(vm_timers_run(vm));
	vm_exit(EXIT_HLT, 1);
	assert_int_equal(v->state, VCPU_HALTED);
	run_timers_at(vm->timer_deadline_tsc);
	assert_int_equal(v->state, VCPU_RUNNABLE);
	assert_int_equal(enter_guest(), 0x31);
}

/* An interrupt already pending: HLT falls through, and the STI shadow of
 * "sti; hlt" ends with the skipped instruction. */
static void test_hlt_with_pending(void **state)
{
	lapic_enable();
	vlapic_set_irq(&v->lapic, 0x44, false);
	VMCS(GUEST_INTERRUPTIBILITY) = INTERRUPTIBILITY_STI;
	vm_exit(EXIT_HLT, 1);
	assert_int_equal(v->state, VCPU_RUNNABLE);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 1);
	assert_int_equal(VMCS(GUEST_INTERRUPTIBILITY), 0);
	assert_int_equal(enter_guest(), 0x44);
	lapic_write(APIC_EOI, 0);

	/* The 8259's INTR through LINT0 counts too. */
	lapic_write(APIC_LVT_LINT0, LVT_EXTINT);
	pic_init(0xfe, 0xff);
	LOCKED(vm_isa_irq_set(vm, 0, true));
	LOCKED(vm_isa_irq_set(vm, 0, false));
	vm_exit(EXIT_HLT, 1);
	assert_int_equal(v->state, VCPU_RUNNABLE);
}

/* Only what the vCPU would really take wakes it: not a vector the TPR
 * holds back, not the 8259 behind a masked LINT0. vcpu_kick() is what
 * looks. */
static void test_hlt_kick(void **state)
{
	lapic_enable();
	lapic_write(APIC_TPR, 0x80);
	vlapic_set_irq(&v->lapic, 0x70, false);
	pic_init(0xfe, 0xff);
	LOCKED(vm_isa_irq_set(vm, 0, true));
	LOCKED(vm_isa_irq_set(vm, 0, false));
	assert_true(i8259_intr(&vm->pic));
	vm_exit(EXIT_HLT, 1);
	assert_int_equal(v->state, VCPU_HALTED);

	v->irq_check = false;
	LOCKED(vcpu_kick(v));
	assert_true(v->irq_check);
	assert_int_equal(v->state, VCPU_HALTED);

	vlapic_set_irq(&v->lapic, 0x91, false);
	assert_int_equal(v->state, VCPU_HALTED);	/* the model alone wakes no one */
	LOCKED(vcpu_kick(v));
	assert_int_equal(v->state, VCPU_RUNNABLE);
	assert_int_equal(enter_guest(), 0x91);
}

/* A device's interrupt through the IO-APIC wakes a halted vCPU by itself. */
static void test_hlt_uart_wakes(void **state)
{
	lapic_enable();
	ioapic_route(4, 0x64);
	vm_exit(EXIT_HLT, 1);
	assert_int_equal(v->state, VCPU_HALTED);
	out(UART_IER, 1, IER_ETBEI);
	assert_int_equal(v->state, VCPU_RUNNABLE);
	assert_int_equal(enter_guest(), 0x64);
}

/* --- the preemption timer exit ------------------------------------------ */

static void test_preemption_timer(void **state)
{
	v->slice_end_tsc = 1000;
	fake_tsc = 999;
	vm_exit(EXIT_PREEMPTION_TIMER, 0);
	assert_false(v->yield);			/* a device deadline, not the slice */
	assert_true(v->rearm);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP);

	v->rearm = false;
	fake_tsc = 1000;
	vm_exit(EXIT_PREEMPTION_TIMER, 0);
	assert_true(v->yield);
	assert_true(v->rearm);
	assert_int_equal(v->exit_counts[EXIT_PREEMPTION_TIMER], 2);
}

/* --- device deadlines --------------------------------------------------- */

/* The PIT at ~1 ms, then the RTC's periodic interrupt at 8192 Hz, which
 * comes first: each becomes the VM's deadline as it is armed. */
static void arm_pit_and_rtc(u64 *pit, u64 *rtc)
{
	LOCKED(vm_timers_run(vm));
	assert_int_equal(vm->timer_deadline_tsc, UINT64_MAX);

	pit_periodic(PIT_COUNT);
	assert_true(vm->timers_dirty);
	LOCKED(vm_timers_run(vm));
	*pit = vm->timer_deadline_tsc;
	assert_true(*pit > T0_NS + PIT_NS(PIT_COUNT) && *pit <= T0_NS + PIT_NS(PIT_COUNT + 2));
	assert_int_equal(*pit, i8254_next_deadline(&vm->pit));

	vm->timers_dirty = false;
	rtc_write(RTC_REG_A, RTC_A_8192HZ);
	assert_true(vm->timers_dirty);
	rtc_write(RTC_REG_B, rtc_read(RTC_REG_B) | RTC_B_PIE);
	LOCKED(vm_timers_run(vm));
	*rtc = vm->timer_deadline_tsc;
	assert_true(*rtc > T0_NS && *rtc <= T0_NS + 122071);
	assert_int_equal(*rtc, mc146818_next_deadline(&vm->rtc));
}

/* The VM's deadline is the earliest armed device timer. */
static void test_deadline_follows_earliest(void **state)
{
	u64 pit, rtc;

	arm_pit_and_rtc(&pit, &rtc);
	/* LAPIC one-shot, 1000 bus cycles at divide-by-1: 1 us. */
	lapic_enable();
	lapic_write(APIC_TIMER_DCR, DCR_DIV1);
	lapic_write(APIC_LVT_TIMER, 0x40);
	LOCKED(vm_timers_run(vm));
	lapic_write(APIC_TIMER_ICR, 1000);
	assert_true(vm->timers_dirty);
	LOCKED(vm_timers_run(vm));
	assert_int_equal(vm->timer_deadline_tsc, T0_NS + 1000);

	/* It fires and disarms: the RTC is next. */
	v->irq_check = false;
	run_timers_at(T0_NS + 1000);
	assert_true(lapic_bit(APIC_IRR, 0x40));
	assert_true(v->irq_check);
	assert_int_equal(vm->timer_deadline_tsc, rtc);
	assert_int_equal(enter_guest(), 0x40);
}

/* TSC-deadline mode and the ACPI PM timer; UINT64_MAX once none is armed. */
static void test_deadline_disarmed(void **state)
{
	u64 pit, rtc;

	arm_pit_and_rtc(&pit, &rtc);
	lapic_enable();
	lapic_write(APIC_LVT_TIMER, LVT_TSC_DEADLINE | 0x41);
	LOCKED(vm_timers_run(vm));
	wrmsr_exit(MSR_IA32_TSC_DEADLINE, T0_NS + 5000);
	assert_true(vm->timers_dirty);
	LOCKED(vm_timers_run(vm));
	assert_int_equal(vm->timer_deadline_tsc, T0_NS + 5000);

	wrmsr_exit(MSR_IA32_TSC_DEADLINE, 0);
	LOCKED(vm_timers_run(vm));
	assert_int_equal(vm->timer_deadline_tsc, rtc);
	rtc_write(RTC_REG_B, rtc_read(RTC_REG_B) & ~RTC_B_PIE);
	LOCKED(vm_timers_run(vm));
	assert_int_equal(vm->timer_deadline_tsc, pit);
	out(PIT_CTRL, 1, PIT_CH0_MODE0);
	LOCKED(vm_timers_run(vm));
	assert_int_equal(vm->timer_deadline_tsc, UINT64_MAX);

	/* The ACPI PM timer's carry: bit 31 of a 3.579545 MHz count, ~600 s. */
	out(PM1_EN, 2, PM1_TMR_EN);
	assert_true(vm->timers_dirty);
	LOCKED(vm_timers_run(vm));
	assert_int_equal(vm->timer_deadline_tsc, acpi_pm_next_deadline(&vm->pm));
	assert_true(vm->timer_deadline_tsc > T0_NS + 599 * NSEC_PER_SEC &&
		    vm->timer_deadline_tsc < T0_NS + 601 * NSEC_PER_SEC);
	out(PM1_EN, 2, 0);
	LOCKED(vm_timers_run(vm));
	assert_int_equal(vm->timer_deadline_tsc, UINT64_MAX);
}

/* A periodic LAPIC timer keeps a deadline one period ahead. */
static void test_deadline_lapic_periodic(void **state)
{
	lapic_enable();
	lapic_write(APIC_TIMER_DCR, DCR_DIV1);
	lapic_write(APIC_LVT_TIMER, BIT(17) | 0x42);	/* periodic */
	lapic_write(APIC_TIMER_ICR, 10000);
	LOCKED(vm_timers_run(vm));
	assert_int_equal(vm->timer_deadline_tsc, T0_NS + 10000);
	run_timers_at(T0_NS + 10000);
	assert_int_equal(vm->timer_deadline_tsc, T0_NS + 20000);
	assert_int_equal(enter_guest(), 0x42);
	/* Masked, it still counts but delivers nothing. */
	lapic_write(APIC_EOI, 0);
	lapic_write(APIC_LVT_TIMER, BIT(17) | LVT_MASKED | 0x42);
	run_timers_at(T0_NS + 20000);
	assert_int_equal(vm->timer_deadline_tsc, T0_NS + 30000);
	assert_int_equal(enter_guest(), -1);
}

/* The RTC's periodic interrupt on IO-APIC pin 8: IRQ 8 stays up until the
 * guest reads register C, and until then no deadline is armed for it. */
static void test_rtc_periodic_irq8(void **state)
{
	u64 due;

	lapic_enable();
	ioapic_route(8, 0x48);
	rtc_write(RTC_REG_A, RTC_A_8192HZ);
	rtc_write(RTC_REG_B, rtc_read(RTC_REG_B) | RTC_B_PIE);
	LOCKED(vm_timers_run(vm));
	due = vm->timer_deadline_tsc;
	run_timers_at(due - 1);
	assert_int_equal(enter_guest(), -1);
	run_timers_at(due);
	assert_int_equal(enter_guest(), 0x48);
	lapic_write(APIC_EOI, 0);
	assert_int_equal(vm->timer_deadline_tsc, UINT64_MAX);
	run_timers_at(due + 1000000);			/* ~8 periods, no one looked */
	assert_int_equal(enter_guest(), -1);

	vm->timers_dirty = false;
	assert_int_equal(rtc_read(RTC_REG_C) & 0xc0, 0xc0);	/* IRQF, PF */
	assert_true(vm->timers_dirty);
	LOCKED(vm_timers_run(vm));
	assert_true(vm->timer_deadline_tsc > due + 1000000 &&
		    vm->timer_deadline_tsc <= due + 1000000 + 122071);
	run_timers_at(vm->timer_deadline_tsc);
	assert_int_equal(enter_guest(), 0x48);
}

/* Which accesses tell the entry path to look again: timer devices mark
 * the deadline stale, interrupt controllers ask for a delivery check,
 * the UART, POST port and PCI pay for neither. */
static void test_access_flags(void **state)
{
	static const struct { u16 port; unsigned size; bool write; u32 val; bool dirty, irq; } acc[] = {
		{ 0x80, 1, true, 0x12, false, false },
		{ 0x80, 1, false, 0, false, false },
		{ COM1, 1, true, 'x', false, false },
		{ UART_LSR, 1, false, 0, false, false },
		{ UART_IER, 1, true, 0, false, false },
		{ 0xcf8, 4, false, 0, false, false },
		{ PIT_CTRL, 1, true, PIT_CH0_MODE0, true, false },
		{ PIT_CH0, 1, false, 0, true, false },
		{ 0x61, 1, false, 0, true, false },
		{ RTC_INDEX, 1, true, RTC_REG_C, true, false },
		{ RTC_DATA, 1, false, 0, true, false },
		{ PM_TMR, 4, false, 0, true, false },
		{ PM1_EN, 2, true, 0, true, false },
		{ 0x21, 1, false, 0, false, true },
		{ 0x20, 1, true, OCW3_READ_IRR, false, true },
		{ 0xa1, 1, true, 0xff, false, true },
		{ 0x4d0, 1, false, 0, false, true },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(acc); i++) {
		vm->timers_dirty = false;
		v->irq_check = false;
		if (acc[i].write)
			out(acc[i].port, acc[i].size, acc[i].val);
		else
			in(acc[i].port, acc[i].size);
		if (vm->timers_dirty != acc[i].dirty || v->irq_check != acc[i].irq)
			fail_msg("port 0x%x %s: timers_dirty %d (want %d), irq_check %d (want %d)",
				 acc[i].port, acc[i].write ? "write" : "read", vm->timers_dirty,
				 acc[i].dirty, v->irq_check, acc[i].irq);
	}

	/* IO-APIC MMIO: a controller. */
	vm->timers_dirty = false;
	v->irq_check = false;
	ioapic_read(IOAPICVER);
	assert_false(vm->timers_dirty);
	assert_true(v->irq_check);
	/* The local APIC page: its timer may move on any access. */
	vm->timers_dirty = false;
	v->irq_check = false;
	lapic_read(APIC_TPR);
	assert_true(vm->timers_dirty);
	vm->timers_dirty = false;
	lapic_write(APIC_TPR, 0);
	assert_true(vm->timers_dirty);
	assert_true(v->irq_check);
}

/* The APIC page reaches the APIC of the vCPU that made the access. */
static void test_lapic_page_is_per_vcpu(void **state)
{
	struct vm *other = vm_create("u", 2 * MiB, 1);
	struct vcpu *w;

	assert_non_null(other);
	w = other->vcpus[0];
	fake_percpu.current_vcpu = w;
	vm->timers_dirty = other->timers_dirty = false;
	lapic_write(APIC_TPR, 0x30);
	assert_int_equal(w->lapic.state.tpr, 0x30);
	assert_int_equal(v->lapic.state.tpr, 0);
	assert_true(other->timers_dirty);
	assert_true(w->irq_check);
	assert_false(vm->timers_dirty);
	fake_percpu.current_vcpu = v;
	assert_int_equal(lapic_read(APIC_TPR), 0);
	vm_destroy(other);
}

/* --- the UART's interrupt on ISA IRQ 4 ---------------------------------- */

static void test_uart_irq4(void **state)
{
	lapic_enable();
	ioapic_route(4, 0x64);
	v->irq_check = false;
	out(UART_IER, 1, IER_ETBEI);			/* THR already empty: at once */
	assert_true(v->irq_check);
	assert_true(lapic_bit(APIC_IRR, 0x64));
	assert_int_equal(enter_guest(), 0x64);
	/* Reading IIR acknowledges it; a byte written raises it again. */
	assert_int_equal(in(UART_IIR, 1) & 0x0f, IIR_THRE);
	lapic_write(APIC_EOI, 0);
	assert_int_equal(enter_guest(), -1);
	out(COM1, 1, 'k');
	assert_int_equal(enter_guest(), 0x64);
	lapic_write(APIC_EOI, 0);

	/* Through the 8259 in virtual-wire mode instead. */
	ioapic_write(IOREDTBL(4), 0x64 | REDIR_MASKED);
	lapic_write(APIC_LVT_LINT0, LVT_EXTINT);
	pic_init(0xef, 0xff);
	out(UART_IER, 1, 0);
	out(UART_IER, 1, IER_ETBEI);
	assert_true(i8259_intr(&vm->pic));
	assert_int_equal(enter_guest(), PIC_MASTER_BASE + 4);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_platform_init),
		T(test_isa_irq_routing),
		T(test_pit_through_8259),
		T(test_pic_needs_lint0),
		T(test_pit_through_ioapic),
		T(test_blocked_opens_window),
		T(test_blocked_pic_not_acknowledged),
		T(test_nothing_pending_closes_window),
		T(test_priority_order),
		T(test_tpr_masks_class),
		T(test_level_sci),
		T(test_level_isa_line),
		T(test_ioapic_destinations),
		T(test_reinject_vectoring),
		T(test_reinjected_event_goes_first),
		T(test_ept_violation_during_delivery),
		T(test_hlt_until_tick),
		T(test_hlt_pic_wakes),
		T(test_hlt_until_ioapic_tick),
		T(test_hlt_with_pending),
		T(test_hlt_kick),
		T(test_hlt_uart_wakes),
		T(test_preemption_timer),
		T(test_deadline_follows_earliest),
		T(test_deadline_disarmed),
		T(test_deadline_lapic_periodic),
		T(test_rtc_periodic_irq8),
		T(test_access_flags),
		T(test_lapic_page_is_per_vcpu),
		T(test_uart_irq4),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
