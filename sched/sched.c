/*
 * Round-robin over the VMs' vCPUs on the boot CPU: each runs until it
 * halts, stops, or its VMX-preemption-timer slice ends. This is the
 * simplest fair policy; the proportional-share scheduler replaces it when
 * SMP and weights arrive (a later issue).
 */
#include "sched/sched.h"
#include "vmm/vcpu_setup.h"
#include "lib/log.h"

static struct vm *vms[SCHED_MAX_VMS];
static unsigned nvms;

int sched_add_vm(struct vm *vm)
{
	if (nvms == SCHED_MAX_VMS)
		return -ENOSPC;
	vms[nvms++] = vm;
	vm->state = VM_RUNNING;
	return 0;
}

static void sched_report(const struct vm *vm)
{
	const struct vcpu *v = vm->vcpus[0];
	u64 exits = 0;

	for (unsigned i = 0; i < EXIT_REASON_MAX; i++)
		exits += v->exit_counts[i];

	log_info("vm %s: %llu exits (cpuid %llu, io %llu, ept %llu, vmcall %llu, preempt %llu)",
		 vm->name, (unsigned long long)exits,
		 (unsigned long long)v->exit_counts[EXIT_CPUID],
		 (unsigned long long)v->exit_counts[EXIT_IO_INSTRUCTION],
		 (unsigned long long)v->exit_counts[EXIT_EPT_VIOLATION],
		 (unsigned long long)v->exit_counts[EXIT_VMCALL],
		 (unsigned long long)v->exit_counts[EXIT_PREEMPTION_TIMER]);
}

/* Remove and destroy stopped VMs; returns how many are left. */
static unsigned sched_reap(void)
{
	unsigned kept = 0;

	for (unsigned i = 0; i < nvms; i++) {
		if (vms[i]->state == VM_STOPPED) {
			sched_report(vms[i]);
			vm_destroy(vms[i]);
		} else {
			vms[kept++] = vms[i];
		}
	}
	nvms = kept;
	return kept;
}

void sched_run(void)
{
	while (sched_reap()) {
		bool ran = false;
		for (unsigned i = 0; i < nvms; i++) {
			struct vcpu *v = vms[i]->vcpus[0];
			if (v->state == VCPU_RUNNABLE) {
				vcpu_run(v);
				ran = true;
			}
		}
		if (ran)
			continue;
		/* Every vCPU left is halted, and no device of this version raises
		 * interrupts: nothing can wake them. */
		for (unsigned i = 0; i < nvms; i++)
			vm_stop(vms[i], "halted, and no interrupt source can wake it");
	}
}
