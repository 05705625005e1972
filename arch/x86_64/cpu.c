/* CPU setup: per-CPU data, control registers, halting. */
#include "arch/cpu.h"
#include "arch/hw.h"
#include "lib/log.h"
#include "lib/printf.h"

struct percpu percpus[KEEL_MAX_CPUS];
unsigned cpu_count = 1;

u32 cpu_apic_id(void)
{
	struct cpuid_regs r;

	cpuid(1, 0, &r);
	return r.ebx >> 24;
}

/*
 * Enable what guests' FPU state switching needs: FXSAVE/SSE (CR4.OSFXSR,
 * OSXMMEXCPT) and, where present, XSAVE (CR4.OSXSAVE) with XCR0 set to
 * every state component the processor supports (SDM Vol 1 13.3), so that
 * XSAVE/XRSTOR cover whatever a guest enables. Keel itself is compiled
 * without SSE, so these registers only ever hold guest state.
 */
static void cpu_enable_fpu(void)
{
	struct cpuid_regs r;
	u64 cr0 = read_cr(0), cr4 = read_cr(4);

	cr0 = (cr0 & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE;
	write_cr(0, cr0);
	cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
	cpuid(1, 0, &r);
	if (r.ecx & BIT(26))
		cr4 |= CR4_OSXSAVE;
	write_cr(4, cr4);
	if (cr4 & CR4_OSXSAVE) {
		cpuid(0xd, 0, &r);
		xsetbv(0, ((u64)r.edx << 32) | r.eax);
	}
	asm volatile("fninit");
}

void cpu_early_init(unsigned id)
{
	struct percpu *cpu = &percpus[id];

	cpu->self = cpu;
	wrmsr(MSR_IA32_GS_BASE, (u64)(uintptr_t)cpu);
	cpu->cpu_id = id;
	cpu->apic_id = cpu_apic_id();
	gdt_init(cpu);
	idt_init();
	cpu_enable_fpu();
}

#ifdef KEEL_DEBUG
/* For the lock checks (include/lib/spinlock.h): before cpu_early_init
 * gives this CPU its GS base there is one CPU, call it 0. */
unsigned spin_cpu_id(void)
{
	return rdmsr(MSR_IA32_GS_BASE) ? this_cpu()->cpu_id : 0;
}
#endif

void cpu_halt_forever(void)
{
	for (;;) {
		cpu_cli();
		cpu_hlt();
	}
}

/* A broken hypervisor invariant: report and stop this CPU. Guests'
 * mistakes never come here; they stop their own VM. */
void panic(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	keel_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_err("keel: PANIC on CPU %u: %s", this_cpu()->cpu_id, buf);
	cpu_halt_forever();
}
