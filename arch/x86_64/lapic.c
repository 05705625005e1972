/*
 * The host's local APIC: waking the CPU from HLT when Keel has nothing to
 * run until a device deadline, and the IPIs between CPUs (start-up and
 * kicks, SDM Vol 3 11.6 "Issuing Interprocessor Interrupts"). The timer runs
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
#define APIC_TPR          0x080
#define APIC_SVR          0x0f0
#define APIC_ICR_LOW      0x300
#define APIC_ICR_HIGH     0x310
#define SVR_ENABLE        BIT(8)
#define SPURIOUS_VECTOR   0xff
#define ICR_PENDING       BIT(12)	/* xAPIC delivery status: send pending */
#define ICR_ASSERT        BIT(14)
#define ICR_DM_INIT       (5u << 8)
#define ICR_DM_STARTUP    (6u << 8)
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

static u32 lapic_read(u32 reg)
{
	if (x2apic)
		return (u32)rdmsr(MSR_IA32_X2APIC_BASE + (reg >> 4));
	return *(volatile u32 *)phys_to_virt(APIC_PHYS + reg);
}

/* Per CPU: software-enable the APIC (INIT leaves an AP's disabled, SDM
 * 11.4.7.3), accept every priority, and arm the timer's mode. */
void lapic_init(void)
{
	u64 base = rdmsr(MSR_IA32_APIC_BASE);
	struct cpuid_regs r;

	cpuid(1, 0, &r);
	if (!(base & APIC_BASE_ENABLE)) {
		log_info("lapic: the local APIC is disabled: one CPU, idle CPUs poll the TSC");
		return;
	}
	x2apic = base & APIC_BASE_X2APIC;
	lapic_write(APIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
	lapic_write(APIC_TPR, 0);
	if (!(r.ecx & CPUID1_ECX_TSC_DEADLINE)) {
		if (!this_cpu()->cpu_id)
			log_info("lapic: no TSC-deadline timer: idle CPUs poll the TSC");
		return;
	}
	lapic_write(APIC_LVT_TIMER, LVT_TSC_DEADLINE | LAPIC_TIMER_VECTOR);
	timer_ok = true;
}

/* One IPI; xAPIC: destination in ICR[63:56], written before the low word
 * that sends; x2APIC: one WRMSR with the 32-bit destination. */
static void lapic_icr(u32 apic_id, u32 low)
{
	if (x2apic) {
		wrmsr(MSR_IA32_X2APIC_BASE + (APIC_ICR_LOW >> 4), ((u64)apic_id << 32) | low);
		return;
	}
	for (unsigned spin = 0; spin < 1000000 && (lapic_read(APIC_ICR_LOW) & ICR_PENDING); spin++)
		cpu_relax();
	lapic_write(APIC_ICR_HIGH, apic_id << 24);
	lapic_write(APIC_ICR_LOW, low);
}

void lapic_send_ipi(u32 apic_id, u8 vector)
{
	lapic_icr(apic_id, ICR_ASSERT | vector);
}

void lapic_send_init(u32 apic_id)
{
	lapic_icr(apic_id, ICR_ASSERT | ICR_DM_INIT);
}

void lapic_send_sipi(u32 apic_id, u8 page)
{
	lapic_icr(apic_id, ICR_DM_STARTUP | page);
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
