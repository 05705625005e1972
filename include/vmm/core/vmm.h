/*
 * The VMs Keel runs (vmm/core/vmm.c): the registry and their life cycle
 * (start, pause, resume, reap, statistics), their vCPUs as the scheduler's
 * threads, and what the scheduler loop asks of the VMM: each CPU serves
 * the device timers of the VMs with a vCPU homed on it; the boot CPU polls
 * the console and reaps the VMs that stopped.
 *
 * The registry changes only on the boot CPU (start, reap), so the boot
 * CPU's readers (the shell: count, at, find) need no lock and a VM found
 * there stays valid until their command is done. Other CPUs reach the
 * list only through the scheduler's service hook, under its lock.
 */
#ifndef KEEL_VMM_CORE_VMM_H
#define KEEL_VMM_CORE_VMM_H

#include "types.h"
#include "arch/vmx_exits.h"

#define VMM_MAX_VMS 32

struct vm;

/* Before any CPU enters the scheduler loop (the APs start in it). */
void vmm_init(void);
/* Give the VM's vCPUs to the scheduler and list it: 0 or -ENOSPC. */
int vmm_start(struct vm *vm);
/* Run every VM until all have stopped; each is reported and destroyed as
 * it stops, without disturbing the others. From the boot CPU. */
void vmm_run(void);

unsigned vmm_vm_count(void);
struct vm *vmm_vm_at(unsigned i);
struct vm *vmm_vm_find(const char *name);

/* Take a VM's vCPUs off the CPUs / give them back: 0, -EALREADY (already
 * paused / not paused) or -EINVAL (stopped). Its devices' timers keep
 * their deadlines; the guest's clock (the TSC) keeps running. */
int vm_pause(struct vm *vm);
int vm_resume(struct vm *vm);

/* A VM's counters, summed over its vCPUs. */
struct vm_stats {
	u64 exit_counts[EXIT_REASON_MAX];
	u64 exits;
	u64 intr_injected;
	u64 cpu_ns;		/* CPU time charged to its vCPUs */
	u32 cpus_ran;		/* host CPUs its vCPUs ran on, bit n = CPU n */
};
void vm_stats_get(const struct vm *vm, struct vm_stats *out);

#endif
