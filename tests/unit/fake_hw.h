/* Host-test fake of include/arch/hw.h: ports, MSRs, CPUID, VMCS and a
 * "physical memory" arena, all plain data a test can set and inspect. */
#ifndef KEEL_FAKE_HW_H
#define KEEL_FAKE_HW_H

#include "arch/hw.h"

#define FAKE_PHYS_BASE 0x40000000ull /* fake physical address of the arena */

/* Allocate (or reallocate, zeroed) the fake physical arena. */
void fake_mem_init(size_t bytes);
void fake_mem_free(void);
u8 *fake_mem(void);
size_t fake_mem_size(void);

/* VMCS: indexed by encoding. */
extern u64 fake_vmcs[0x8000];
extern bool fake_vmcs_missing[0x8000]; /* vmread_safe fails for these */

/* MSRs: a small table; unknown reads return 0. */
void fake_msr_set(u32 msr, u64 val);

/* CPUID: a test may install a function; default returns zeros. */
extern void (*fake_cpuid_fn)(u32 leaf, u32 subleaf, struct cpuid_regs *r);

/* Ports: the last write, and a value reads return. A test that needs
 * reads to depend on the port (a scripted device) sets fake_port_in_fn. */
extern u64 fake_port_in_value;
extern u64 (*fake_port_in_fn)(u16 port, unsigned size);
extern u16 fake_port_last_out_port;
extern u32 fake_port_last_out_value;

extern u64 fake_tsc;
/* The fake clock behind include/lib/time.h: a 1 GHz TSC, so TSC ticks and
 * nanoseconds are the same numbers; tests set fake_time_ns. */
extern u64 fake_time_ns;
extern u64 fake_xcr0;
extern u64 fake_invept_count;
/* CR2 and DR0-DR3, DR6 of the one fake CPU. */
extern u64 fake_cr2, fake_dr[4], fake_dr6;
/* The CPU taking locks, for the lock checks (a test may pretend to be another). */
extern unsigned fake_cpu_id;
/* Interrupt windows opened for the host, NMIs handed to it. */
extern unsigned fake_irq_windows, fake_host_nmis;

#endif
