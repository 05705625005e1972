/* vCPU scheduling (sched/sched.c). */
#ifndef KEEL_SCHED_SCHED_H
#define KEEL_SCHED_SCHED_H

#include "vmm/vm.h"

#define SCHED_MAX_VMS 32

int sched_add_vm(struct vm *vm);
/* Run every VM until all have stopped; each is reported and destroyed as
 * it stops, without disturbing the others. */
void sched_run(void);

#endif
