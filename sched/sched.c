/*
 * Running threads (vCPUs) on every CPU. Each CPU has a run queue of the
 * threads homed on it; the proportional-share policy (sched/policy_eevdf.c:
 * weights and caps per group, its fairness bound derived there) picks one
 * and a slice; the thread runs until it sleeps, stops or the slice ends;
 * what it ran is charged.
 *
 * Placement: a new thread is homed on the allowed CPU with the fewest
 * threads. Balancing: before each decision a CPU takes one thread over
 * from the most loaded CPU when that narrows the gap (sched/balance.c;
 * never the one running there, nor one whose state another CPU still
 * holds: a CPU keeps its last vCPU loaded while it idles, so that vCPU's
 * wake-up costs no state switch). EEVDF's bound then holds per CPU among
 * the threads queued on it; across CPUs the shares are as proportional as
 * whole threads placed by weight allow.
 *
 * One lock (sched_lock) guards every queue, the groups and the threads'
 * homes (include/sched/sched.h). Each CPU serves the device timers of the
 * groups with a thread homed on it (the service hook): the scheduler cuts
 * its slices to their deadlines and sleeps until them when idle.
 */
#include "sched/sched.h"
#include "sched/balance.h"
#include "lib/log.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "lib/time.h"
#include "arch/hw.h"

static struct spinlock sched_lock;
static const struct sched_hooks *hooks;
static struct sched_thread *threads[SCHED_MAX_THREADS];	/* in the order added */
static unsigned nthreads;
static struct runqueue rqs[KEEL_MAX_CPUS];
static unsigned homed[KEEL_MAX_CPUS];		/* threads whose home is each CPU */
static bool sched_go;			/* sched_run: every thread of the config is in */
static bool sched_done;			/* nothing is left: CPUs leave their loops */

/* The longest slice (the policy's Q): also its fairness bound, so a VM's
 * CPU time is never more than this ahead of or behind its share. A thread
 * alone on its CPU (and not capped) runs for SCHED_SLICE_ALONE_NS: nobody
 * waits for it, and device deadlines end its slice early anyway. */
#define SCHED_SLICE_MAX_NS   4000000ull
#define SCHED_SLICE_ALONE_NS 50000000ull

/* An idle CPU looks around (console input on the boot CPU, work to take
 * over elsewhere) at least this often. */
#define SCHED_IDLE_POLL_HZ 100

static struct sched_thread *thread_of(const struct sched_entity *se)
{
	return (struct sched_thread *)((char *)se - offsetof(struct sched_thread, se));
}

int sched_add(struct sched_thread *t, struct sched_group *g, u32 affinity)
{
	int err = 0;

	spin_lock(&sched_lock);
	if (nthreads == SCHED_MAX_THREADS) {
		err = -ENOSPC;
	} else {
		se_init(&t->se, g);
		t->affinity = affinity;
		t->home_cpu = balance_pick_home(homed, cpu_count, affinity);
		homed[t->home_cpu]++;
		threads[nthreads++] = t;
	}
	spin_unlock(&sched_lock);
	return err;
}

int sched_remove(struct sched_thread *t)
{
	unsigned i, j;
	int err = 0;

	spin_lock(&sched_lock);
	for (i = 0; i < nthreads && threads[i] != t; i++)
		;
	if (i == nthreads) {
		err = -ENOENT;
	} else if (t->se.rq && t->se.rq->curr == &t->se) {
		err = -EBUSY;			/* picked: its CPU accounts it first */
	} else {
		if (t->se.rq)
			rq_dequeue(t->se.rq, &t->se, time_now_ns());
		homed[t->home_cpu]--;
		for (j = i; j + 1 < nthreads; j++)
			threads[j] = threads[j + 1];
		nthreads--;
	}
	spin_unlock(&sched_lock);
	return err;
}

/* Queue the runnable threads homed on cpu, take the others off (unless
 * picked: accounting does that). Called with sched_lock held. */
static void sched_sync(unsigned cpu, u64 now)
{
	struct runqueue *rq = &rqs[cpu];

	spin_assert_held(&sched_lock);
	for (unsigned i = 0; i < nthreads; i++) {
		struct sched_thread *t = threads[i];
		bool runnable;

		if (t->home_cpu != cpu)
			continue;
		runnable = t->ops->runnable(t);
		if (runnable && !t->se.rq)
			rq_enqueue(rq, &t->se, now);
		else if (!runnable && t->se.rq && rq->curr != &t->se)
			rq_dequeue(rq, &t->se, now);
	}
}

static bool may_take(const struct sched_entity *se, unsigned cpu, void *ctx)
{
	const struct sched_thread *t = thread_of(se);

	return (!t->affinity || (t->affinity & BIT(cpu))) && t->ops->movable(t, cpu);
}

/* Take one thread over from the most loaded CPU when that narrows the gap.
 * Called with sched_lock held. */
static void sched_balance(unsigned cpu, u64 now)
{
	unsigned from;
	struct sched_entity *se = balance_steal(rqs, cpu_count, cpu, may_take, NULL, &from);
	struct sched_thread *t;

	spin_assert_held(&sched_lock);
	if (!se)
		return;
	t = thread_of(se);
	rq_dequeue(&rqs[from], se, now);
	homed[t->home_cpu]--;
	t->home_cpu = cpu;
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

/* The latest a thread of group g may run before another group's timer is due. */
static u64 deadline_besides(const struct sched_deadlines *d, const struct sched_group *g)
{
	return g == d->first_group ? d->others : d->first;
}

/* Something to pick, or the wake-up time (TSC) to sleep until. */
static struct sched_entity *sched_decide(unsigned cpu, u64 *slice_tsc, u64 *sleep_until)
{
	struct runqueue *rq = &rqs[cpu];
	struct sched_deadlines d = { UINT64_MAX, UINT64_MAX, NULL };
	struct sched_entity *se;
	u64 now, slice, deadline;

	spin_lock(&sched_lock);
	hooks->service(cpu, &d);
	now = time_now_ns();
	sched_sync(cpu, now);
	sched_balance(cpu, now);
	se = rq_pick(rq, now, &slice);
	if (se) {
		if (rq->nr_queued == 1 && !se->group->cap)
			slice = SCHED_SLICE_ALONE_NS;
		*slice_tsc = time_ns_to_tsc(now + slice) - time_ns_to_tsc(now);
		deadline = deadline_besides(&d, se->group);
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

/* Every CPU's loop, until the boot CPU's housekeeping says nothing is left. */
void sched_cpu_loop(void)
{
	struct percpu *pc = this_cpu();
	unsigned cpu = pc->cpu_id;
	struct runqueue *rq = &rqs[cpu];

	for (;;) {
		struct sched_entity *se;
		u64 slice, until, start, end;

		if (pc->work)
			cpu_do_work();
		if (!hooks->housekeeping(cpu) && cpu == 0)
			break;
		if (cpu != 0 && __atomic_load_n(&sched_done, __ATOMIC_ACQUIRE))
			break;
		if (!__atomic_load_n(&sched_go, __ATOMIC_ACQUIRE)) {
			sched_idle(pc, UINT64_MAX);	/* placement first, so it is repeatable */
			continue;
		}
		se = sched_decide(cpu, &slice, &until);
		if (!se) {
			sched_idle(pc, until);
			continue;
		}
		start = time_now_ns();
		thread_of(se)->ops->run(thread_of(se), slice);
		end = time_now_ns();
		spin_lock(&sched_lock);
		rq_account(rq, se, end - start, end);
		spin_unlock(&sched_lock);
	}
	hooks->cpu_exit(cpu);
}

void sched_init(const struct sched_hooks *h)
{
	hooks = h;
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
