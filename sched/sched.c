/*
 * Running the VMs' vCPUs on the boot CPU: the proportional-share policy
 * (sched/policy_eevdf.c: weights and caps per VM, its fairness bound
 * derived there) picks a vCPU and a slice; the vCPU runs until it halts,
 * stops or the VMX-preemption timer ends the slice; what it ran is charged.
 * Runnable vCPUs are queued, halted ones not; the queue follows the vCPUs'
 * states before every decision, since interrupts wake vCPUs from device
 * code.
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
static struct runqueue rq;

static struct vcpu *vcpu_of(struct sched_entity *se)
{
	return (struct vcpu *)((char *)se - offsetof(struct vcpu, se));
}

int sched_add_vm(struct vm *vm)
{
	if (nvms == SCHED_MAX_VMS)
		return -ENOSPC;
	vms[nvms++] = vm;
	vm->state = VM_RUNNING;
	for (unsigned i = 0; i < vm->nvcpus; i++)
		se_init(&vm->vcpus[i]->se, &vm->sched);
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
		keel_sappendf(line, sizeof(line), &len, " %s=%llu", vmx_exit_reason_name(i),
			      (unsigned long long)v->exit_counts[i]);
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
			for (unsigned j = 0; j < vms[i]->nvcpus; j++)
				if (vms[i]->vcpus[j]->se.rq)
					rq_dequeue(&rq, &vms[i]->vcpus[j]->se, time_now_ns());
			sched_report(vms[i]);
			vm_destroy(vms[i]);
		} else {
			vms[kept++] = vms[i];
		}
	}
	nvms = kept;
	return kept;
}

/* Queue the runnable vCPUs, take the halted and stopped ones off; returns
 * how many are queued. */
static unsigned sched_sync(u64 now)
{
	unsigned queued = 0;

	for (unsigned i = 0; i < nvms; i++) {
		for (unsigned j = 0; j < vms[i]->nvcpus; j++) {
			struct vcpu *v = vms[i]->vcpus[j];
			bool runnable = v->state == VCPU_RUNNABLE;

			if (runnable && !v->se.rq)
				rq_enqueue(&rq, &v->se, now);
			else if (!runnable && v->se.rq)
				rq_dequeue(&rq, &v->se, now);
			queued += v->se.rq != NULL;
		}
	}
	return queued;
}

/*
 * Nothing may run: every vCPU is halted, or the runnable ones are capped
 * out until until_ns. Sleep until the first device deadline or until_ns
 * (the host APIC's TSC-deadline timer wakes the CPU), firing the timers
 * that wake vCPUs; return when one wakes or until_ns has come. Sleeps are
 * cut to 1/SCHED_IDLE_POLL_HZ so console input is seen. A VM whose vCPUs
 * are halted with no timer armed can never wake again (its console input
 * aside): it is stopped.
 */
#define SCHED_IDLE_POLL_HZ 100

static bool vm_all_halted(const struct vm *vm)
{
	for (unsigned j = 0; j < vm->nvcpus; j++)
		if (vm->vcpus[j]->state != VCPU_HALTED)
			return false;
	return true;
}

static void sched_idle(u64 until_ns)
{
	for (;;) {
		bool armed = until_ns != UINT64_MAX;
		u64 wake = rdtsc() + time_tsc_hz() / SCHED_IDLE_POLL_HZ;

		if (armed)
			wake = MIN(wake, time_ns_to_tsc(until_ns));
		for (unsigned i = 0; i < nvms; i++) {
			struct vm *vm = vms[i];
			if (vm->timers_dirty || rdtsc() >= vm->timer_deadline_tsc)
				vm_timers_run(vm);
			for (unsigned j = 0; j < vm->nvcpus; j++)
				if (vm->vcpus[j]->state == VCPU_RUNNABLE && !vm->vcpus[j]->se.rq)
					return;		/* woken */
			if (vm->timer_deadline_tsc != UINT64_MAX) {
				armed = true;
				wake = MIN(wake, vm->timer_deadline_tsc);
			} else if (vm_all_halted(vm)) {
				vm_stop(vm, "halted, and no interrupt source can wake it");
				return;
			}
		}
		if (!armed || time_now_ns() >= until_ns)
			return;
		console_poll();
		lapic_idle_until(wake);
	}
}

/* The longest slice (the policy's Q): also its fairness bound, so a VM's
 * CPU time is never more than this ahead of or behind its share. A vCPU
 * alone on the CPU (and not capped) runs for SCHED_SLICE_ALONE_NS: nobody
 * waits for it, and device deadlines end its slice early anyway. */
#define SCHED_SLICE_MAX_NS   4000000ull
#define SCHED_SLICE_ALONE_NS 50000000ull

void sched_run(void)
{
	rq_init(&rq);
	rq_set_slice(&rq, SCHED_SLICE_MAX_NS);
	while (sched_reap()) {
		u64 now = time_now_ns(), slice, end;
		struct sched_entity *se;
		unsigned queued;

		console_poll();
		queued = sched_sync(now);
		se = rq_pick(&rq, now, &slice);
		if (!se) {
			sched_idle(rq_next_wakeup(&rq, now));
			continue;
		}
		if (queued == 1 && !se->group->cap)
			slice = SCHED_SLICE_ALONE_NS;
		vcpu_run(vcpu_of(se), time_ns_to_tsc(now + slice) - time_ns_to_tsc(now));
		end = time_now_ns();
		rq_account(&rq, se, end - now, end);
	}
}
