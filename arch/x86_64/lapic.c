/*
 * The host's local APIC, for one thing only so far: waking the CPU from
 * HLT when Keel has nothing to run until a device deadline. The timer runs
 * in TSC-deadline mode (SDM Vol 3 11.5.4.1), so a deadline is one WRMSR of
 * an absolute TSC value and needs no calibration; a deadline already past
 * fires at once, so arming and halting cannot race. Registers are reached
 * through the xAPIC page or, if the firmware left the APIC in x2APIC
 * mode, through MSRs (11.12.1.2). Without TSC-deadline support Keel keeps
 * polling the TSC while idle.
 */
#include "arch/cpu.h"
#include "arch/hw.h"
#include "arch/msr.h"
#include "lib/log.h"

#define APIC_BASE_ENABLE  BIT(11)
#define APIC_BASE_X2APIC  BIT(10)
#define APIC_PHYS         0xfee00000ull
#define APIC_EOI          0x0b0
#define APIC_LVT_TIMER    0x320
#define LVT_TSC_DEADLINE  (2u << 17)
#define CPUID1_ECX_TSC_DEADLINE BIT(24)

static bool timer_ok, x2apic;

static void lapic_write(u32 reg, u32 val)
{
	if (x2apic)
		wrmsr(MSR_IA32_X2APIC_BASE + (reg >> 4), val);
	else
		*(volatile u32 *)phys_to_virt(APIC_PHYS + reg) = val;
}

void lapic_init(void)
{
	u64 base = rdmsr(MSR_IA32_APIC_BASE);
	struct cpuid_regs r;

	cpuid(1, 0, &r);
	if (!(base & APIC_BASE_ENABLE) || !(r.ecx & CPUID1_ECX_TSC_DEADLINE)) {
		log_info("lapic: no TSC-deadline timer: idle CPUs poll the TSC");
		return;
	}
	x2apic = base & APIC_BASE_X2APIC;
	lapic_write(APIC_LVT_TIMER, LVT_TSC_DEADLINE | LAPIC_TIMER_VECTOR);
	timer_ok = true;
}

void lapic_eoi(void)
{
	lapic_write(APIC_EOI, 0);
}

/*
 * Halt until the TSC reaches deadline (or any interrupt comes). Interrupts
 * are enabled only for the HLT: STI's one-instruction shadow makes
 * "sti; hlt" atomic, so an interrupt already pending wakes the HLT.
 */
void lapic_idle_until(u64 deadline)
{
	if (!timer_ok) {
		cpu_relax();
		return;
	}
	wrmsr(MSR_IA32_TSC_DEADLINE, deadline);
	asm volatile("sti; hlt; cli" ::: "memory");
	wrmsr(MSR_IA32_TSC_DEADLINE, 0);
}
