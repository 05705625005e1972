/*
 * Running the VMs' vCPUs on every CPU. Each CPU has a run queue of the
 * vCPUs homed on it; the proportional-share policy (sched/policy_eevdf.c:
 * weights and caps per VM, its fairness bound derived there) picks one and
 * a slice; the vCPU runs until it halts, stops or the VMX-preemption
 * timer ends the slice; what it ran is charged.
 *
 * Placement: a new vCPU is homed on the allowed CPU (the VM's affinity)
 * with the fewest vCPUs. Balancing: before each decision a CPU takes one
 * vCPU over from the most loaded CPU (load: the weights queued) when that
 * narrows the gap (never the one running there, nor one whose VMCS
 * another CPU still holds: a CPU keeps its last vCPU loaded while it
 * idles, so that vCPU's wake-up costs no state switch; it runs there).
 * EEVDF's bound then holds per CPU among the vCPUs queued on it; across
 * CPUs the shares are as proportional as whole vCPUs placed by weight
 * allow (no vCPU takes more than one CPU).
 *
 * One lock (sched_lock) guards every queue, the groups and the VM list:
 * it is held for a decision (microseconds per slice of milliseconds), not
 * while a guest runs. Device state belongs to each VM's lock (vm->lock);
 * the two are never taken the other way round (sched_lock, then vm->lock).
 *
 * Each CPU serves the device timers of the VMs with a vCPU homed on it:
 * it runs them when due, wakes the vCPUs they interrupt, cuts its slices
 * to their deadlines and sleeps until them when idle.
 */
#include "sched/sched.h"
#include "vmm/core/vcpu_setup.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/spinlock.h"
#include "arch/vmx.h"
#include "arch/smp.h"
#include "vmm/core/intr.h"
#include "vmm/mgmt/console.h"
#include "arch/hw.h"
#include "arch/cpu.h"
#include "lib/time.h"

static struct spinlock sched_lock;
static struct vm *vms[SCHED_MAX_VMS];
static unsigned nvms;
static struct runqueue rqs[KEEL_MAX_CPUS];
static unsigned homed[KEEL_MAX_CPUS];		/* vCPUs whose home is each CPU */
static bool sched_go;			/* sched_run: every VM of the config is in */
static bool sched_done;			/* every VM has stopped: CPUs halt */

/* The longest slice (the policy's Q): also its fairness bound, so a VM's
 * CPU time is never more than this ahead of or behind its share. A vCPU
 * alone on its CPU (and not capped) runs for SCHED_SLICE_ALONE_NS: nobody
 * waits for it, and device deadlines end its slice early anyway. */
#define SCHED_SLICE_MAX_NS   4000000ull
#define SCHED_SLICE_ALONE_NS 50000000ull

/* An idle CPU looks around (console input on the boot CPU, work to take
 * over elsewhere) at least this often. */
#define SCHED_IDLE_POLL_HZ 100

static struct vcpu *vcpu_of(struct sched_entity *se)
{
	return (struct vcpu *)((char *)se - offsetof(struct vcpu, se));
}

static bool cpu_allowed(const struct vm *vm, unsigned cpu)
{
	return !vm->affinity || (vm->affinity & BIT(cpu));
}

/* The allowed online CPU with the fewest vCPUs homed on it. */
static unsigned pick_home(const struct vm *vm)
{
	unsigned best = 0;
	bool found = false;

	for (unsigned c = 0; c < cpu_count; c++) {
		if (!cpu_allowed(vm, c) || (found && homed[c] >= homed[best]))
			continue;
		best = c;
		found = true;
	}
	return best;
}

int sched_add_vm(struct vm *vm)
{
	int err = 0;

	spin_lock(&sched_lock);
	if (nvms == SCHED_MAX_VMS) {
		err = -ENOSPC;
	} else {
		vms[nvms++] = vm;
		vm->state = VM_RUNNING;
		vm->started_ns = time_now_ns();
		for (unsigned i = 0; i < vm->nvcpus; i++) {
			struct vcpu *v = vm->vcpus[i];
			se_init(&v->se, &vm->sched);
			v->home_cpu = pick_home(vm);
			homed[v->home_cpu]++;
		}
	}
	spin_unlock(&sched_lock);
	for (unsigned c = 1; c < cpu_count; c++)
		smp_kick(c);
	return err;
}

unsigned sched_vm_count(void)
{
	return nvms;
}

struct vm *sched_vm_at(unsigned i)
{
	return i < nvms ? vms[i] : NULL;
}

struct vm *sched_vm_find(const char *name)
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
		smp_kick(vm->vcpus[i]->home_cpu);
	log_info("vm %s: resumed", vm->name);
	return 0;
}

/* A stopped VM's statistics: exits by reason over all its vCPUs (one line,
 * nonzero reasons only, by name), interrupts injected and CPU time. */
static void sched_report(const struct vm *vm)
{
	u64 counts[EXIT_REASON_MAX] = { 0 }, exits = 0, injected = 0, ran = 0;
	char line[512], cpus[64];
	size_t len = 0, clen = 0;
	u32 on = 0;

	for (unsigned j = 0; j < vm->nvcpus; j++) {
		const struct vcpu *v = vm->vcpus[j];
		for (unsigned i = 0; i < EXIT_REASON_MAX; i++)
			counts[i] += v->exit_counts[i];
		injected += v->intr_injected;
		ran += v->se.runtime_ns;
		on |= v->cpus_ran;
	}
	for (unsigned c = 0; c < KEEL_MAX_CPUS; c++)
		if (on & BIT(c))
			keel_sappendf(cpus, sizeof(cpus), &clen, "%s%u", clen ? "," : "", c);
	for (unsigned i = 0; i < EXIT_REASON_MAX; i++) {
		if (!counts[i])
			continue;
		exits += counts[i];
		keel_sappendf(line, sizeof(line), &len, " %s=%llu", vmx_exit_reason_name(i),
			      (unsigned long long)counts[i]);
	}
	log_info("vm %s: %llu exits:%s; %llu interrupts injected; %llu ms of CPU on CPU %s", vm->name,
		 (unsigned long long)exits, len ? line : " none", (unsigned long long)injected,
		 (unsigned long long)(ran / 1000000), clen ? cpus : "none");
	vm_virtio_report((struct vm *)vm);
}

/* A stopped VM can go once no CPU runs, queues or holds any of its vCPUs. */
static bool vm_reapable(const struct vm *vm)
{
	for (unsigned j = 0; j < vm->nvcpus; j++) {
		const struct vcpu *v = vm->vcpus[j];
		if (v->se.rq || __atomic_load_n(&v->running_cpu, __ATOMIC_ACQUIRE) >= 0 ||
		    __atomic_load_n(&v->resident_cpu, __ATOMIC_ACQUIRE) >= 0)
			return false;
	}
	return true;
}

/* Boot CPU: take stopped VMs out of the list, then report and destroy them
 * without the lock (destroying flushes every CPU's EPT translations, and
 * a CPU spinning for the lock could not answer). Returns how many are left. */
static unsigned sched_reap(void)
{
	struct vm *gone[SCHED_MAX_VMS];
	unsigned kept = 0, ngone = 0, left;
	u64 now = time_now_ns();

	spin_lock(&sched_lock);
	for (unsigned i = 0; i < nvms; i++) {
		struct vm *vm = vms[i];
		if (vm->state == VM_STOPPED)
			for (unsigned j = 0; j < vm->nvcpus; j++)
				if (vm->vcpus[j]->se.rq && vm->vcpus[j]->se.rq->curr != &vm->vcpus[j]->se)
					rq_dequeue(vm->vcpus[j]->se.rq, &vm->vcpus[j]->se, now);
		if (vm->state == VM_STOPPED && vm_reapable(vm)) {
			for (unsigned j = 0; j < vm->nvcpus; j++)
				homed[vm->vcpus[j]->home_cpu]--;
			gone[ngone++] = vm;
		} else {
			vms[kept++] = vm;
		}
	}
	nvms = left = kept;
	spin_unlock(&sched_lock);
	for (unsigned i = 0; i < ngone; i++) {
		console_vm_gone(gone[i]);
		sched_report(gone[i]);
		vm_destroy(gone[i]);
		invept_all_cpus();	/* its EPT pages may be reused */
	}
	return left;
}

static bool vm_served_by(const struct vm *vm, unsigned cpu)
{
	for (unsigned j = 0; j < vm->nvcpus; j++)
		if (vm->vcpus[j]->home_cpu == cpu)
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

/* The earliest device deadlines (TSC, UINT64_MAX: none) of the VMs a CPU
 * serves: the first and its VM, and the earliest among the other VMs (the
 * slice of the first VM's vCPU ends there). */
struct deadlines {
	u64 first, others;
	const struct vm *first_vm;
};

static void deadlines_add(struct deadlines *d, const struct vm *vm, u64 t)
{
	if (t < d->first) {
		d->others = d->first;
		d->first = t;
		d->first_vm = vm;
	} else if (t < d->others) {
		d->others = t;
	}
}

/* The latest a vCPU of vm may run before another served VM's timer is due. */
static u64 deadline_besides(const struct deadlines *d, const struct vm *vm)
{
	return vm == d->first_vm ? d->others : d->first;
}

/*
 * Run the due device timers of the VMs this CPU serves and note the
 * deadlines left. A VM whose vCPUs all sleep with no timer armed can never
 * wake again (console input aside): it is stopped. Called with sched_lock
 * held.
 */
static struct deadlines sched_service_timers(unsigned cpu)
{
	struct deadlines d = { UINT64_MAX, UINT64_MAX, NULL };

	for (unsigned i = 0; i < nvms; i++) {
		struct vm *vm = vms[i];
		if (vm->state == VM_STOPPED || !vm_served_by(vm, cpu))
			continue;
		spin_lock(&vm->lock);
		if (vm->timers_dirty || rdtsc() >= vm->timer_deadline_tsc)
			vm_timers_run(vm);
		if (vm->timer_deadline_tsc != UINT64_MAX)
			deadlines_add(&d, vm, vm->timer_deadline_tsc);
		else if (!vm->paused && vm_all_asleep(vm))
			vm_stop(vm, "halted, and no interrupt source can wake it");
		spin_unlock(&vm->lock);
	}
	return d;
}

/* Queue the runnable vCPUs homed on cpu, take the others off; returns how
 * many are queued. Called with sched_lock held. */
static unsigned sched_sync(unsigned cpu, u64 now)
{
	struct runqueue *rq = &rqs[cpu];

	for (unsigned i = 0; i < nvms; i++) {
		for (unsigned j = 0; j < vms[i]->nvcpus; j++) {
			struct vcpu *v = vms[i]->vcpus[j];
			bool runnable = v->state == VCPU_RUNNABLE && !vms[i]->paused;

			if (v->home_cpu != cpu)
				continue;
			if (runnable && !v->se.rq)
				rq_enqueue(rq, &v->se, now);
			else if (!runnable && v->se.rq && rq->curr != &v->se)
				rq_dequeue(rq, &v->se, now);
		}
	}
	return rq->nr_queued;
}

/* What an entity weighs on its run queue: its VM's weight shared by the
 * VM's runnable vCPUs, as the policy weighs it (x256 to keep fractions). */
static u64 se_load(const struct sched_entity *se)
{
	const struct sched_group *g = se->group;

	return (u64)g->weight * 256 / MAX(g->nr_runnable, 1u);
}

static u64 rq_load(const struct runqueue *rq)
{
	u64 load = 0;

	for (const struct sched_entity *se = rq->head; se; se = se->next)
		load += se_load(se);
	return load;
}

/* The heaviest queued vCPU of rq that cpu may take and whose move narrows
 * the load gap (its load below the gap): not running, its VMCS on no
 * other CPU, the VM's affinity allowing cpu. */
static struct sched_entity *movable(struct runqueue *rq, unsigned cpu, u64 gap)
{
	struct sched_entity *best = NULL;

	for (struct sched_entity *se = rq->head; se; se = se->next) {
		struct vcpu *v = vcpu_of(se);
		int res = __atomic_load_n(&v->resident_cpu, __ATOMIC_ACQUIRE);

		if (se == rq->curr || (res >= 0 && res != (int)cpu) || !cpu_allowed(v->vm, cpu) ||
		    se_load(se) >= gap)
			continue;
		if (!best || se_load(se) > se_load(best))
			best = se;
	}
	return best;
}

/*
 * Take one vCPU over from the most loaded CPU when that narrows the gap
 * between the two: loads are the weights queued, so weights 1:2:4 on two
 * CPUs end as 4 alone and 1+2 together, the closest to proportional that
 * whole vCPUs allow. A lone running vCPU is never moved. Called with
 * sched_lock held.
 */
static void sched_balance(unsigned cpu, u64 now)
{
	u64 mine = rq_load(&rqs[cpu]), most = mine;
	unsigned busiest = cpu;
	struct sched_entity *se;

	for (unsigned c = 0; c < cpu_count; c++) {
		u64 load = c == cpu ? mine : rq_load(&rqs[c]);
		if (load > most) {
			most = load;
			busiest = c;
		}
	}
	if (busiest == cpu || rqs[busiest].nr_queued < 2)
		return;
	se = movable(&rqs[busiest], cpu, most - mine);
	if (!se)
		return;
	rq_dequeue(&rqs[busiest], se, now);
	homed[vcpu_of(se)->home_cpu]--;
	vcpu_of(se)->home_cpu = cpu;
	homed[cpu]++;
	rq_enqueue(&rqs[cpu], se, now);
}

/* Halt until deadline (TSC) or a kick; the boot CPU polls the console. */
static void sched_idle(struct percpu *cpu, u64 deadline)
{
	u64 poll = rdtsc() + time_tsc_hz() / SCHED_IDLE_POLL_HZ;

	cpu->idle = true;
	smp_mb();			/* then look again: a wake-up may have come */
	if (!cpu->work)
		lapic_idle_until(MIN(deadline, poll));
	cpu->idle = false;
}

/* Something to pick, or the wake-up time (TSC) to sleep until. */
static struct sched_entity *sched_decide(unsigned cpu, u64 *slice_tsc, u64 *sleep_until)
{
	struct runqueue *rq = &rqs[cpu];
	struct sched_entity *se;
	struct deadlines d;
	u64 now, slice, deadline;

	spin_lock(&sched_lock);
	d = sched_service_timers(cpu);
	now = time_now_ns();
	sched_sync(cpu, now);
	sched_balance(cpu, now);
	se = rq_pick(rq, now, &slice);
	if (se) {
		if (rq->nr_queued == 1 && !se->group->cap)
			slice = SCHED_SLICE_ALONE_NS;
		*slice_tsc = time_ns_to_tsc(now + slice) - time_ns_to_tsc(now);
		deadline = deadline_besides(&d, vcpu_of(se)->vm);
		if (deadline != UINT64_MAX) {
			u64 tsc = rdtsc();
			*slice_tsc = MIN(*slice_tsc, deadline > tsc ? deadline - tsc : 0);
		}
	} else {
		u64 wake = rq_next_wakeup(rq, now);
		*sleep_until = MIN(d.first, wake == UINT64_MAX ? UINT64_MAX : time_ns_to_tsc(wake));
	}
	spin_unlock(&sched_lock);
	return se;
}

/* Every CPU's loop, until all VMs have stopped. */
void sched_cpu_loop(void)
{
	struct percpu *pc = this_cpu();
	unsigned cpu = pc->cpu_id;
	struct runqueue *rq = &rqs[cpu];

	for (;;) {
		struct vcpu *cur = pc->current_vcpu;
		struct sched_entity *se;
		u64 slice, until, start, end;

		if (pc->work)
			cpu_do_work();
		if (cur && cur->state == VCPU_STOPPED)
			vcpu_release_current();
		if (cpu == 0) {
			console_poll();
			if (!sched_reap())
				break;
		} else if (__atomic_load_n(&sched_done, __ATOMIC_ACQUIRE)) {
			break;
		} else if (!__atomic_load_n(&sched_go, __ATOMIC_ACQUIRE)) {
			sched_idle(pc, UINT64_MAX);	/* placement first, so it is repeatable */
			continue;
		}
		se = sched_decide(cpu, &slice, &until);
		if (!se) {
			sched_idle(pc, until);
			continue;
		}
		start = time_now_ns();
		vcpu_run(vcpu_of(se), slice);
		end = time_now_ns();
		spin_lock(&sched_lock);
		rq_account(rq, se, end - start, end);
		spin_unlock(&sched_lock);
	}
	vcpu_release_current();
}

void sched_init(void)
{
	for (unsigned c = 0; c < KEEL_MAX_CPUS; c++) {
		rq_init(&rqs[c]);
		rq_set_slice(&rqs[c], SCHED_SLICE_MAX_NS);
	}
}

void sched_run(void)
{
	__atomic_store_n(&sched_go, true, __ATOMIC_RELEASE);
	for (unsigned c = 1; c < cpu_count; c++)
		smp_kick(c);
	sched_cpu_loop();
	__atomic_store_n(&sched_done, true, __ATOMIC_RELEASE);
	for (unsigned c = 1; c < cpu_count; c++)
		smp_kick(c);
}
