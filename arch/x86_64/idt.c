/*
 * The host IDT. Exceptions in Keel itself are fatal for the CPU that takes
 * them: we print everything useful and halt it. Interrupt vectors 32-255
 * are acknowledged and counted (Keel runs with host interrupts masked; one
 * arrives only as a VM exit that the exit handler lets through).
 */
#include "arch/cpu.h"
#include "arch/hw.h"
#include "lib/log.h"

struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rdi, rsi, rbp, rbx, rdx, rcx, rax;
	u64 vector, error;
	u64 rip, cs, rflags, rsp, ss;
};

struct idt_gate {
	u16 offset_lo;
	u16 selector;
	u8 ist;
	u8 type_attr;
	u16 offset_mid;
	u32 offset_hi;
	u32 reserved;
} __packed;

static struct idt_gate idt[256] __aligned(16);
static u64 spurious_interrupts;

static const char *const exception_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD error", "#VE virtualization",
	"#CP control protection",
};

static void idt_set(unsigned vec, void *handler, unsigned ist)
{
	u64 a = (u64)(uintptr_t)handler;

	idt[vec] = (struct idt_gate){
		.offset_lo = a & 0xffff,
		.selector = GDT_KERNEL_CS,
		.ist = ist,
		.type_attr = 0x8e,	/* present, DPL 0, 64-bit interrupt gate */
		.offset_mid = (a >> 16) & 0xffff,
		.offset_hi = a >> 32,
	};
}

/* The IDT is shared: the boot CPU fills it, every CPU loads it. */
void idt_init(void)
{
	extern u8 isr_table[];
	static bool filled;
	struct { u16 limit; u64 base; } __packed desc = { sizeof(idt) - 1, (u64)(uintptr_t)idt };

	if (!filled) {
		for (unsigned v = 0; v < 256; v++)
			idt_set(v, isr_table + 16 * v, 0);
		idt_set(2, isr_table + 16 * 2, 2);	/* NMI on IST2 */
		idt_set(8, isr_table + 16 * 8, 1);	/* #DF on IST1 */
		idt_set(18, isr_table + 16 * 18, 3);	/* #MC on IST3 */
		filled = true;
	}
	asm volatile("lidt %0" : : "m"(desc));
}

static __noreturn void trap_fatal(struct trap_frame *f)
{
	const char *name = f->vector < 32 && exception_names[f->vector] ?
			   exception_names[f->vector] : "exception";

	log_err("keel: CPU %u (APIC %u): %s (vector %llu) error 0x%llx at RIP 0x%llx",
		this_cpu()->cpu_id, cpu_apic_id(), name, (unsigned long long)f->vector,
		(unsigned long long)f->error, (unsigned long long)f->rip);
	log_raw("  rax %016llx rbx %016llx rcx %016llx rdx %016llx",
		(unsigned long long)f->rax, (unsigned long long)f->rbx,
		(unsigned long long)f->rcx, (unsigned long long)f->rdx);
	log_raw("  rsi %016llx rdi %016llx rbp %016llx rsp %016llx",
		(unsigned long long)f->rsi, (unsigned long long)f->rdi,
		(unsigned long long)f->rbp, (unsigned long long)f->rsp);
	log_raw("  r8  %016llx r9  %016llx r10 %016llx r11 %016llx",
		(unsigned long long)f->r8, (unsigned long long)f->r9,
		(unsigned long long)f->r10, (unsigned long long)f->r11);
	log_raw("  r12 %016llx r13 %016llx r14 %016llx r15 %016llx",
		(unsigned long long)f->r12, (unsigned long long)f->r13,
		(unsigned long long)f->r14, (unsigned long long)f->r15);
	log_raw("  cs %04llx ss %04llx rflags %08llx cr2 %016llx cr3 %016llx",
		(unsigned long long)f->cs, (unsigned long long)f->ss,
		(unsigned long long)f->rflags, (unsigned long long)read_cr(2),
		(unsigned long long)read_cr(3));
	log_err("keel: CPU %u halted", this_cpu()->cpu_id);
	cpu_halt_forever();
}

void trap_dispatch(struct trap_frame *f);
void trap_dispatch(struct trap_frame *f)
{
	if (f->vector < 32)
		trap_fatal(f);
	/* Keel's own timer (an idle CPU's wake-up): acknowledged, nothing else. */
	if (f->vector == LAPIC_TIMER_VECTOR) {
		lapic_eoi();
		return;
	}
	/* Another CPU's kick: do what it asked (percpu.work). */
	if (f->vector == KICK_VECTOR) {
		lapic_eoi();
		cpu_do_work();
		return;
	}
	/* A host interrupt: legacy PIC vectors 0x20-0x2f get a PIC EOI. */
	spurious_interrupts++;
	if (f->vector < 0x30) {
		if (f->vector >= 0x28)
			outb(0xa0, 0x20);
		outb(0x20, 0x20);
	}
}

/* Remap the legacy PICs to vectors 0x20-0x2f and mask every line, so no
 * firmware-programmed IRQ lands on an exception vector (8259A datasheet,
 * ICW1-ICW4). */
void pic_mask_all(void);
void pic_mask_all(void)
{
	outb(0x20, 0x11); outb(0xa0, 0x11);
	outb(0x21, 0x20); outb(0xa1, 0x28);
	outb(0x21, 0x04); outb(0xa1, 0x02);
	outb(0x21, 0x01); outb(0xa1, 0x01);
	outb(0x21, 0xff); outb(0xa1, 0xff);
}
