/*
 * The VM registry and life cycle (include/vmm/core/vmm.h), the vCPUs as
 * scheduler threads, and the scheduler's hooks into the VMM.
 *
 * Locks: the scheduler's lock, then vmm_lock (the registry, against the
 * boot CPU adding and reaping), then a VM's lock; never the other way.
 */
#include "vmm/core/vmm.h"
#include "vmm/core/vm.h"
#include "vmm/core/vcpu_setup.h"
#include "vmm/core/intr.h"
#include "vmm/machine/platform.h"
#include "vmm/mgmt/console.h"
#include "sched/sched.h"
#include "arch/hw.h"
#include "arch/cpu.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "lib/time.h"

static struct spinlock vmm_lock;
static struct vm *vms[VMM_MAX_VMS];
static unsigned nvms;

/* --- vCPUs as the scheduler's threads -------------------------------------------- */

static struct vcpu *vcpu_of(const struct sched_thread *t)
{
	return (struct vcpu *)((char *)t - offsetof(struct vcpu, thread));
}

static bool vcpu_thread_runnable(const struct sched_thread *t)
{
	const struct vcpu *v = vcpu_of(t);

	return v->state == VCPU_RUNNABLE && !v->vm->paused;
}

static void vcpu_thread_run(struct sched_thread *t, u64 slice_tsc)
{
	vcpu_run(vcpu_of(t), slice_tsc);
}

/* Not while another CPU holds its VMCS (an idle CPU keeps its last vCPU's). */
static bool vcpu_thread_movable(const struct sched_thread *t, unsigned cpu)
{
	int res = __atomic_load_n(&vcpu_of(t)->resident_cpu, __ATOMIC_ACQUIRE);

	return res < 0 || res == (int)cpu;
}

static const struct sched_thread_ops vcpu_thread_ops = {
	.runnable = vcpu_thread_runnable,
	.run = vcpu_thread_run,
	.movable = vcpu_thread_movable,
};

/* --- the registry --------------------------------------------------------------- */

int vmm_start(struct vm *vm)
{
	int err = 0;

	if (nvms == VMM_MAX_VMS)
		return -ENOSPC;
	vm->state = VM_RUNNING;
	vm->started_ns = time_now_ns();
	for (unsigned i = 0; !err && i < vm->nvcpus; i++) {
		vm->vcpus[i]->thread.ops = &vcpu_thread_ops;
		err = sched_add(&vm->vcpus[i]->thread, &vm->sched, vm->affinity);
	}
	if (err) {
		for (unsigned i = 0; i < vm->nvcpus; i++)
			sched_remove(&vm->vcpus[i]->thread);
		vm->state = VM_CREATED;
		return err;
	}
	spin_lock(&vmm_lock);
	vms[nvms++] = vm;
	spin_unlock(&vmm_lock);
	for (unsigned c = 1; c < cpu_count; c++)
		smp_kick(c);
	return 0;
}

unsigned vmm_vm_count(void)
{
	return nvms;
}

struct vm *vmm_vm_at(unsigned i)
{
	return i < nvms ? vms[i] : NULL;
}

struct vm *vmm_vm_find(const char *name)
{
	for (unsigned i = 0; i < nvms; i++)
		if (!strcmp(vms[i]->name, name))
			return vms[i];
	return NULL;
}

int vm_pause(struct vm *vm)
{
	if (vm->state == VM_STOPPED)
		return -EINVAL;
	if (vm->paused)
		return -EALREADY;
	vm->paused = true;
	for (unsigned i = 0; i < vm->nvcpus; i++) {	/* off their CPUs now */
		vm->vcpus[i]->yield = true;
		vcpu_interrupt(vm->vcpus[i]);
	}
	log_info("vm %s: paused", vm->name);
	return 0;
}

int vm_resume(struct vm *vm)
{
	if (vm->state == VM_STOPPED)
		return -EINVAL;
	if (!vm->paused)
		return -EALREADY;
	vm->paused = false;
	for (unsigned i = 0; i < vm->nvcpus; i++)
		smp_kick(vm->vcpus[i]->thread.home_cpu);
	log_info("vm %s: resumed", vm->name);
	return 0;
}

void vm_stats_get(const struct vm *vm, struct vm_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned j = 0; j < vm->nvcpus; j++) {
		const struct vcpu *v = vm->vcpus[j];

		for (unsigned i = 0; i < EXIT_REASON_MAX; i++)
			out->exit_counts[i] += v->exit_counts[i];
		out->intr_injected += v->intr_injected;
		out->cpu_ns += v->thread.se.runtime_ns;
		out->cpus_ran |= v->cpus_ran;
	}
	for (unsigned i = 0; i < EXIT_REASON_MAX; i++)
		out->exits += out->exit_counts[i];
}

/* A stopped VM's statistics: exits by reason (one line, nonzero reasons
 * only, by name), interrupts injected and CPU time, then its devices'. */
static void vmm_report(const struct vm *vm)
{
	struct vm_stats st;
	char line[512], cpus[64];
	size_t len = 0, clen = 0;

	vm_stats_get(vm, &st);
	for (unsigned c = 0; c < KEEL_MAX_CPUS; c++)
		if (st.cpus_ran & BIT(c))
			keel_sappendf(cpus, sizeof(cpus), &clen, "%s%u", clen ? "," : "", c);
	for (unsigned i = 0; i < EXIT_REASON_MAX; i++)
		if (st.exit_counts[i])
			keel_sappendf(line, sizeof(line), &len, " %s=%llu", vmx_exit_reason_name(i),
				      (unsigned long long)st.exit_counts[i]);
	log_info("vm %s: %llu exits:%s; %llu interrupts injected; %llu ms of CPU on CPU %s", vm->name,
		 (unsigned long long)st.exits, len ? line : " none", (unsigned long long)st.intr_injected,
		 (unsigned long long)(st.cpu_ns / 1000000), clen ? cpus : "none");
	vm_devices_report(vm);
}

/* A stopped VM can go once the scheduler has let go of its vCPUs and no
 * CPU runs or holds one. */
static bool vm_reapable(struct vm *vm)
{
	for (unsigned j = 0; j < vm->nvcpus; j++) {
		const struct vcpu *v = vm->vcpus[j];
		int err = sched_remove(&vm->vcpus[j]->thread);

		if ((err && err != -ENOENT) || __atomic_load_n(&v->running_cpu, __ATOMIC_ACQUIRE) >= 0 ||
		    __atomic_load_n(&v->resident_cpu, __ATOMIC_ACQUIRE) >= 0)
			return false;
	}
	return true;
}

/* Boot CPU: take stopped VMs out of the list, then report and destroy them
 * without a lock (destroying flushes every CPU's EPT translations, and a
 * CPU spinning for a lock could not answer). Returns how many are left. */
static unsigned vmm_reap(void)
{
	struct vm *gone[VMM_MAX_VMS];
	bool reap[VMM_MAX_VMS];
	unsigned kept = 0, ngone = 0;

	for (unsigned i = 0; i < nvms; i++) {
		reap[i] = vms[i]->state == VM_STOPPED && vm_reapable(vms[i]);
		if (reap[i])
			gone[ngone++] = vms[i];
	}
	if (ngone) {
		spin_lock(&vmm_lock);	/* not around vm_reapable: it takes the scheduler's */
		for (unsigned i = 0; i < nvms; i++)
			if (!reap[i])
				vms[kept++] = vms[i];
		nvms = kept;
		spin_unlock(&vmm_lock);
	}
	for (unsigned i = 0; i < ngone; i++) {
		console_vm_gone(gone[i]);
		vmm_report(gone[i]);
		vm_destroy(gone[i]);
		invept_all_cpus();	/* its EPT pages may be reused */
	}
	return nvms;
}

/* --- what the scheduler loop asks of the VMM ----------------------------------------- */

static bool vm_served_by(const struct vm *vm, unsigned cpu)
{
	for (unsigned j = 0; j < vm->nvcpus; j++)
		if (vm->vcpus[j]->thread.home_cpu == cpu)
			return true;
	return false;
}

static bool vm_all_asleep(const struct vm *vm)
{
	for (unsigned j = 0; j < vm->nvcpus; j++)
		if (vm->vcpus[j]->state == VCPU_RUNNABLE)
			return false;
	return true;
}

/*
 * Run the due device timers of the VMs this CPU serves and note the
 * deadlines left. A VM whose vCPUs all sleep with no timer armed can never
 * wake again (console input aside): it is stopped. With the scheduler's
 * lock held.
 */
static void vmm_service(unsigned cpu, struct sched_deadlines *d)
{
	spin_lock(&vmm_lock);
	for (unsigned i = 0; i < nvms; i++) {
		struct vm *vm = vms[i];

		if (vm->state == VM_STOPPED || !vm_served_by(vm, cpu))
			continue;
		spin_lock(&vm->lock);
		if (vm->timers_dirty || rdtsc() >= vm->timer_deadline_tsc)
			vm_timers_run(vm);
		if (vm->timer_deadline_tsc != UINT64_MAX)
			sched_deadline_add(d, &vm->sched, vm->timer_deadline_tsc);
		else if (!vm->paused && vm_all_asleep(vm))
			vm_stop(vm, "halted, and no interrupt source can wake it");
		spin_unlock(&vm->lock);
	}
	spin_unlock(&vmm_lock);
}

/* Every CPU lets go of a stopped vCPU's state; the boot CPU also reads the
 * console and reaps, and says when no VM is left. */
static bool vmm_housekeeping(unsigned cpu)
{
	struct vcpu *cur = this_cpu()->current_vcpu;

	if (cur && cur->state == VCPU_STOPPED)
		vcpu_release_current();
	if (cpu != 0)
		return true;
	console_poll();
	return vmm_reap() > 0;
}

static void vmm_cpu_exit(unsigned cpu)
{
	vcpu_release_current();
}

static const struct sched_hooks vmm_sched_hooks = {
	.housekeeping = vmm_housekeeping,
	.service = vmm_service,
	.cpu_exit = vmm_cpu_exit,
};

void vmm_init(void)
{
	sched_init(&vmm_sched_hooks);
}

void vmm_run(void)
{
	sched_run();
}
