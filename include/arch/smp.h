/*
 * Host SMP (arch/x86_64/smp.c): starting the application processors, and
 * requests between CPUs.
 */
#ifndef KEEL_ARCH_SMP_H
#define KEEL_ARCH_SMP_H

/* The start-up page's parameter block (arch/x86_64/trampoline.S). */
#define TP_GDT		0xf00	/* 4 descriptors: null, code32, data, code64 */
#define TP_GDT_DESC	0xf20	/* limit (2 bytes), base (4) */
#define TP_FAR32	0xf28	/* offset (4), selector (2) */
#define TP_FAR64	0xf30	/* offset (4), selector (2) */
#define TP_CR3		0xf38
#define TP_EFER		0xf40
#define TP_STACK	0xf48
#define TP_ENTRY	0xf50
#define TP_CPU		0xf58
#define TP_STARTED	0xf60
#define TP_CODE32_SEL	0x08
#define TP_DATA_SEL	0x10
#define TP_CODE64_SEL	0x18

#ifndef __ASSEMBLY__
#include "types.h"

/*
 * Start the processors with these local APIC IDs (the boot CPU's own is
 * skipped), after VMX, the TSC and the local APIC are up on the boot CPU,
 * through start-up code copied to the free page at page_phys (below 1 MiB,
 * page-aligned). Each enters VMX root operation, then entry(). Returns how
 * many CPUs are online.
 */
unsigned smp_start_aps(const u32 *apic_ids, unsigned n, u64 page_phys, void (*entry)(void));
/* Ask CPU `cpu` to do `work` (CPU_WORK_*) and kick it. */
void smp_request(unsigned cpu, u32 work);
/* Kick CPU `cpu`: an idle CPU wakes, a busy one leaves its guest. */
void smp_kick(unsigned cpu);
#endif

#endif
