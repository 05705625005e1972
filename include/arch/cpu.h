/*
 * Processor state used inside arch/x86_64 (control registers, descriptor
 * tables, per-CPU data). Code outside arch/ uses include/arch/hw.h.
 */
#ifndef KEEL_ARCH_CPU_H
#define KEEL_ARCH_CPU_H

#include "types.h"
#include "arch/msr.h"

#define CR0_PE  BIT(0)
#define CR0_MP  BIT(1)
#define CR0_EM  BIT(2)
#define CR0_TS  BIT(3)
#define CR0_ET  BIT(4)
#define CR0_NE  BIT(5)
#define CR0_WP  BIT(16)
#define CR0_AM  BIT(18)
#define CR0_NW  BIT(29)
#define CR0_CD  BIT(30)
#define CR0_PG  BIT(31)

#define CR4_VME        BIT(0)
#define CR4_PSE        BIT(4)
#define CR4_PAE        BIT(5)
#define CR4_PGE        BIT(7)
#define CR4_OSFXSR     BIT(9)
#define CR4_OSXMMEXCPT BIT(10)
#define CR4_VMXE       BIT(13)
#define CR4_SMXE       BIT(14)
#define CR4_PCIDE      BIT(17)
#define CR4_OSXSAVE    BIT(18)

#define RFLAGS_CF  BIT(0)
#define RFLAGS_IF  BIT(9)
#define RFLAGS_DF  BIT(10)
#define RFLAGS_VM  BIT(17)

/* Host GDT selectors (arch/x86_64/gdt.c). */
#define GDT_KERNEL_CS 0x08
#define GDT_KERNEL_DS 0x10
#define GDT_TSS       0x18

#define read_cr(n) ({ u64 __v; asm volatile("mov %%cr" #n ", %0" : "=r"(__v)); __v; })
#define write_cr(n, v) asm volatile("mov %0, %%cr" #n : : "r"((u64)(v)) : "memory")

static inline void cpu_cli(void) { asm volatile("cli" ::: "memory"); }
static inline void cpu_sti(void) { asm volatile("sti" ::: "memory"); }
static inline void cpu_hlt(void) { asm volatile("hlt" ::: "memory"); }

struct tss64 {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __packed;

#define KEEL_MAX_CPUS 16
#define IST_STACK_SIZE 4096

/*
 * Per-CPU data, one per started CPU, reached through GS (this_cpu():
 * IA32_GS_BASE points at the CPU's own struct, and the VMCS host-state GS
 * base says the same, so it survives VM exits).
 */
struct percpu {
	struct percpu *self;		/* first: this_cpu() loads %gs:0 */
	unsigned cpu_id;		/* 0 = the boot CPU, then in start-up order */
	u32 apic_id;
	bool online;			/* running Keel's scheduler loop */
	struct tss64 tss;
	u64 gdt[5];
	void *vmxon_region;
	struct vcpu *current_vcpu;	/* the vCPU whose state is loaded here */
	bool idle;			/* halted or about to halt: wake it with an IPI */
	u32 work;			/* CPU_WORK_* requests from other CPUs */
	u64 kicks;			/* kick IPIs received, for statistics */
	u8 ist_stacks[3][IST_STACK_SIZE] __aligned(16);
};

/* Requests another CPU sets in percpu.work before kicking it. */
#define CPU_WORK_INVEPT BIT(0)		/* flush every EPT-derived translation */

extern struct percpu percpus[KEEL_MAX_CPUS];
extern unsigned cpu_count;		/* CPUs online (the boot CPU included) */

#ifdef KEEL_HOST_TEST
struct percpu *this_cpu(void);
#else
static inline struct percpu *this_cpu(void)
{
	struct percpu *p;

	asm volatile("mov %%gs:0, %0" : "=r"(p));
	return p;
}
#endif

/* Set up the calling CPU as percpus[id]: GS, GDT/TSS, IDT, FPU. */
void cpu_early_init(unsigned id);
/* The host local APIC (arch/x86_64/lapic.c): its timer wakes an idle CPU. */
#define LAPIC_TIMER_VECTOR 0xef
void lapic_init(void);
/* Kick: wakes an idle CPU or forces a VM exit on a busy one; its handler
 * does the percpu.work requests. */
#define KICK_VECTOR 0xf0
void lapic_send_ipi(u32 apic_id, u8 vector);
void lapic_send_init(u32 apic_id);
void lapic_send_sipi(u32 apic_id, u8 page);
void cpu_do_work(void);
void lapic_eoi(void);
/* Halt until the TSC reaches deadline or an interrupt arrives. */
void lapic_idle_until(u64 deadline);

/* Measure the TSC against the PIT (arch/x86_64/tsc.c); before any VM. */
void tsc_init(void);
void gdt_init(struct percpu *cpu);
void idt_init(void);
__noreturn void cpu_halt_forever(void);
u32 cpu_apic_id(void);

/* Host FPU/SSE/AVX state switching for guests (arch/x86_64/fpu.c). */
u64 fpu_host_xcr0(void);
size_t fpu_area_size(void);
void fpu_save(void *area, u64 xcr0);
void fpu_restore(const void *area, u64 xcr0);

#endif
