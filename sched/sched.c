/*
 * Round-robin over the VMs' vCPUs on the boot CPU: each runs until it
 * halts, stops, or its VMX-preemption-timer slice ends. This is the
 * simplest fair policy; the proportional-share scheduler replaces it when
 * SMP and weights arrive (a later issue).
 */
#include "sched/sched.h"
#include "vmm/vcpu_setup.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "arch/vmx.h"
#include "vmm/intr.h"
#include "vmm/console.h"
#include "arch/hw.h"
#include "arch/cpu.h"
#include "lib/time.h"

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

/* A stopped VM's statistics: exits by reason (one line, nonzero reasons
 * only, by name) and interrupts injected. */
static void sched_report(const struct vm *vm)
{
	const struct vcpu *v = vm->vcpus[0];
	char line[512];
	size_t len = 0;
	u64 exits = 0;

	for (unsigned i = 0; i < EXIT_REASON_MAX; i++) {
		if (!v->exit_counts[i])
			continue;
		exits += v->exit_counts[i];
		len += (size_t)keel_snprintf(line + len, sizeof(line) - MIN(len, sizeof(line)), " %s=%llu",
					     vmx_exit_reason_name(i), (unsigned long long)v->exit_counts[i]);
		len = MIN(len, sizeof(line) - 1);
	}
	log_info("vm %s: %llu exits:%s; %llu interrupts injected", vm->name,
		 (unsigned long long)exits, len ? line : " none", (unsigned long long)v->intr_injected);
	vm_virtio_report((struct vm *)vm);
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

/*
 * Every vCPU is halted: sleep until the first device deadline (the host
 * APIC's TSC-deadline timer wakes the CPU), firing the timers that wake
 * vCPUs. Sleeps are cut to SCHED_IDLE_POLL so console input is seen. A VM
 * with no timer armed and nothing pending can never wake again (its
 * console input aside): it is stopped.
 */
#define SCHED_IDLE_POLL_HZ 100

static void sched_idle(void)
{
	for (;;) {
		bool armed = false;
		u64 wake = rdtsc() + time_tsc_hz() / SCHED_IDLE_POLL_HZ;

		for (unsigned i = 0; i < nvms; i++) {
			struct vm *vm = vms[i];
			if (vm->timers_dirty || rdtsc() >= vm->timer_deadline_tsc)
				vm_timers_run(vm);
			if (vm->vcpus[0]->state == VCPU_RUNNABLE)
				return;
			if (vm->timer_deadline_tsc != UINT64_MAX) {
				armed = true;
				wake = MIN(wake, vm->timer_deadline_tsc);
			} else {
				vm_stop(vm, "halted, and no interrupt source can wake it");
				return;
			}
		}
		if (!armed)
			return;
		console_poll();
		lapic_idle_until(wake);
	}
}

void sched_run(void)
{
	while (sched_reap()) {
		bool ran = false;

		console_poll();
		for (unsigned i = 0; i < nvms; i++) {
			struct vcpu *v = vms[i]->vcpus[0];
			if (v->state == VCPU_RUNNABLE) {
				vcpu_run(v);
				ran = true;
			}
		}
		if (!ran)
			sched_idle();
	}
}
