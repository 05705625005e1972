/*
 * Host SMP: the application processors the caller names (boot/main.c reads
 * them from the ACPI MADT) are started with INIT-SIPI-SIPI (SDM Vol 3
 * 9.4.4.1 "Typical BSP Initialization Sequence": INIT, 10 ms, STARTUP,
 * 200 us, STARTUP), one at a time, through the real-mode code of
 * arch/x86_64/trampoline.S copied to a page below 1 MiB the caller gives.
 * Each sets up its own per-CPU data, enters VMX root operation
 * (IA32_FEATURE_CONTROL is locked with VMX on by Keel where the firmware
 * left it open, as the Bochs BIOS does on APs) and calls the entry function
 * it was given (the scheduler loop).
 *
 * Requests between CPUs: the requester sets a bit in the target's
 * percpu.work and kicks it with an IPI; the kick makes a busy CPU leave its
 * guest (external-interrupt exiting) and an idle one leave HLT, and its
 * handler does the work. Only one kind exists: INVEPT shootdown.
 */
#include "arch/cpu.h"
#include "arch/hw.h"
#include "arch/smp.h"
#include "arch/vmx.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/time.h"
#include "mm/mm.h"

#define AP_STACK_PAGES 4
#define AP_START_TIMEOUT_US 200000

extern u8 ap_trampoline[], ap_trampoline_end[];

static void delay_us(u64 us)
{
	u64 end = rdtsc() + time_tsc_hz() / 1000000 * us;

	while (rdtsc() < end)
		cpu_relax();
}

static void put32(u8 *page, unsigned off, u32 v) { memcpy(page + off, &v, 4); }
static void put16(u8 *page, unsigned off, u16 v) { memcpy(page + off, &v, 2); }
static void put64(u8 *page, unsigned off, u64 v) { memcpy(page + off, &v, 8); }

/* Code and the constant part of the parameter block. */
static void trampoline_install(u8 *page, u64 phys)
{
	static const u64 gdt[4] = {
		0, 0x00cf9a000000ffffull,	/* 0x08: 32-bit code */
		0x00cf92000000ffffull,		/* 0x10: data */
		0x00af9a000000ffffull,		/* 0x18: 64-bit code */
	};
	extern u8 ap_pm32[], ap_lm64[];

	memcpy(page, ap_trampoline, (size_t)(ap_trampoline_end - ap_trampoline));
	memcpy(page + TP_GDT, gdt, sizeof(gdt));
	put16(page, TP_GDT_DESC, sizeof(gdt) - 1);
	put32(page, TP_GDT_DESC + 2, (u32)(phys + TP_GDT));
	put32(page, TP_FAR32, (u32)(phys + (u64)(ap_pm32 - ap_trampoline)));
	put16(page, TP_FAR32 + 4, TP_CODE32_SEL);
	put32(page, TP_FAR64, (u32)(phys + (u64)(ap_lm64 - ap_trampoline)));
	put16(page, TP_FAR64 + 4, TP_CODE64_SEL);
	put32(page, TP_CR3, (u32)read_cr(3));
	put64(page, TP_EFER, rdmsr(MSR_IA32_EFER));
}

static void ap_main(u64 id);
static void (*ap_entry)(void);

/* Start one AP as CPU `id`; true when it came online. */
static bool start_ap(u8 *page, u64 phys, u32 apic_id, unsigned id)
{
	u8 *stack = page_alloc(AP_STACK_PAGES, 1);
	volatile u32 *started = (volatile u32 *)(page + TP_STARTED);
	volatile bool *online = &percpus[id].online;

	if (!stack)
		return false;
	put64(page, TP_STACK, (u64)(uintptr_t)(stack + AP_STACK_PAGES * PAGE_SIZE));
	put64(page, TP_ENTRY, (u64)(uintptr_t)ap_main);
	put64(page, TP_CPU, id);
	*started = 0;
	lapic_send_init(apic_id);
	delay_us(10000);
	for (int sipi = 0; sipi < 2 && !*started; sipi++) {
		lapic_send_sipi(apic_id, (u8)(phys >> 12));
		delay_us(200);
	}
	for (u64 t = 0; t < AP_START_TIMEOUT_US / 100 && !*online; t++)
		delay_us(100);
	if (!*online) {
		/* An AP that ran part-way may still use the stack: leak it. */
		log_warn("smp: the CPU with APIC ID %u did not start (%s)", apic_id,
			 *started ? "it reached long mode but not the scheduler" : "no sign of life");
		return false;
	}
	return true;
}

/* An AP's C entry, on its own stack, in long mode with Keel's page tables. */
static void ap_main(u64 id)
{
	struct percpu *cpu = &percpus[id];
	const char *why;

	cpu_early_init((unsigned)id);
	lapic_init();
	if (vmx_detect(&why) || vmx_enable_cpu()) {
		log_err("smp: CPU %u (APIC ID %u) cannot enter VMX operation: left halted",
			(unsigned)id, cpu->apic_id);
		cpu_halt_forever();
	}
	__atomic_store_n(&cpu->online, true, __ATOMIC_RELEASE);
	ap_entry();
	cpu_halt_forever();
}

unsigned smp_start_aps(const u32 *apic_ids, unsigned n, u64 page_phys, void (*entry)(void))
{
	u32 self = this_cpu()->apic_id;
	char ids[128];
	size_t len = 0;

	percpus[0].online = true;
	ap_entry = entry;
	keel_sappendf(ids, sizeof(ids), &len, "%u", self);
	trampoline_install(phys_to_virt(page_phys), page_phys);
	for (unsigned i = 0; i < n; i++) {
		if (apic_ids[i] == self)
			continue;
		if (cpu_count == KEEL_MAX_CPUS) {
			log_warn("smp: more than %u CPUs: the rest stay off", KEEL_MAX_CPUS);
			break;
		}
		if (start_ap(phys_to_virt(page_phys), page_phys, apic_ids[i], cpu_count)) {
			keel_sappendf(ids, sizeof(ids), &len, " %u", apic_ids[i]);
			cpu_count++;
		}
	}
	log_info("smp: %u CPU%s online (APIC IDs %s)", cpu_count, cpu_count > 1 ? "s" : "", ids);
	return cpu_count;
}

void smp_kick(unsigned cpu)
{
	if (cpu != this_cpu()->cpu_id && cpu < cpu_count)
		lapic_send_ipi(percpus[cpu].apic_id, KICK_VECTOR);
}

void smp_request(unsigned cpu, u32 work)
{
	__atomic_fetch_or(&percpus[cpu].work, work, __ATOMIC_SEQ_CST);
	smp_kick(cpu);
}

/* The kick's handler (and the scheduler loop) do what was asked. */
void cpu_do_work(void)
{
	struct percpu *cpu = this_cpu();
	u32 work = __atomic_exchange_n(&cpu->work, 0, __ATOMIC_ACQ_REL);

	cpu->kicks++;
	if (work & CPU_WORK_INVEPT)
		invept_all();
}

/*
 * EPT paging structures changed or were freed: flush what every CPU
 * cached from them (SDM Vol 3 29.4.3.4 "Guidelines for Use of the INVEPT
 * Instruction"), here at once, elsewhere by request, and wait until all
 * have. The caller holds no lock (another CPU may be spinning for it with
 * interrupts off), so a late CPU is only reported.
 */
void invept_all_cpus(void)
{
	unsigned self = this_cpu()->cpu_id;
	u64 end;

	invept_all();
	for (unsigned c = 0; c < cpu_count; c++)
		if (c != self)
			smp_request(c, CPU_WORK_INVEPT);
	end = rdtsc() + time_tsc_hz();
	for (unsigned c = 0; c < cpu_count; c++) {
		while (c != self && (__atomic_load_n(&percpus[c].work, __ATOMIC_ACQUIRE) & CPU_WORK_INVEPT)) {
			if (rdtsc() > end) {
				log_err("smp: CPU %u did not flush its EPT translations within 1 s", c);
				break;
			}
			cpu_relax();
		}
	}
}
