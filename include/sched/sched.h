/* vCPU scheduling (sched/sched.c). */
#ifndef KEEL_SCHED_SCHED_H
#define KEEL_SCHED_SCHED_H

#include "vmm/core/vm.h"

#define SCHED_MAX_VMS 32

/* Before any CPU enters the scheduler loop. */
void sched_init(void);
int sched_add_vm(struct vm *vm);
/* Run every VM until all have stopped; each is reported and destroyed as
 * it stops, without disturbing the others. */
void sched_run(void);
/* A CPU's scheduler loop (the boot CPU's is sched_run); returns when all
 * VMs have stopped. */
void sched_cpu_loop(void);

/* The VMs Keel runs, for the management shell (vmm/mgmt/shell_vm.c). Call only
 * from the boot CPU's scheduler loop (the shell runs there): the list
 * changes only there, when stopped VMs are reaped. */
unsigned sched_vm_count(void);
struct vm *sched_vm_at(unsigned i);
struct vm *sched_vm_find(const char *name);
/* Take a VM's vCPUs off the CPUs / give them back: 0, -EALREADY (already
 * paused / not paused) or -EINVAL (stopped). Its devices' timers keep
 * their deadlines; the guest's clock (the TSC) keeps running. */
int vm_pause(struct vm *vm);
int vm_resume(struct vm *vm);

#endif
