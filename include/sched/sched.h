/*
 * Running threads on every CPU (sched/sched.c): a run queue per CPU, the
 * proportional-share policy of sched/policy_eevdf.c deciding, placement and
 * balancing by load (sched/balance.c). The scheduler knows threads with a
 * group (weight and cap) and callbacks; what a thread is, a vCPU of a VM,
 * is the VMM's business (vmm/core/vmm.c), as ACRN's schedule.c knows only
 * sched_objects.
 *
 * One lock (taken inside) guards the queues, the groups and the threads'
 * homes; it is held for a decision (microseconds per slice of
 * milliseconds), never while a thread runs. Locks of the thread's owner
 * (a VM's) may be taken under it, never the other way round.
 */
#ifndef KEEL_SCHED_SCHED_H
#define KEEL_SCHED_SCHED_H

#include "types.h"
#include "sched/policy.h"
#include "arch/cpu.h"
#include "arch/smp.h"

#define SCHED_MAX_THREADS 512	/* 32 VMs of 16 vCPUs */

struct sched_thread;

struct sched_thread_ops {
	/* May it run (not halted, stopped or paused)? Called with the
	 * scheduler's lock held, on any CPU: reads its owner's state. */
	bool (*runnable)(const struct sched_thread *t);
	/* Run it on this CPU until it stops, sleeps or slice_tsc has passed;
	 * called with no lock held. */
	void (*run)(struct sched_thread *t, u64 slice_tsc);
	/* May cpu take it over now (its state is not held by another CPU)? */
	bool (*movable)(const struct sched_thread *t, unsigned cpu);
};

/* A schedulable thread; its owner embeds it and gets back with offsetof. */
struct sched_thread {
	struct sched_entity se;		/* the policy's view (sched/policy.h) */
	const struct sched_thread_ops *ops;
	u32 affinity;			/* CPUs it may run on, bit n = CPU n; 0 = any */
	unsigned home_cpu;		/* the run queue it belongs to */
};

/* The earliest device deadlines (TSC; UINT64_MAX: none) of the groups a CPU
 * serves: the first and its group, and the earliest of the others (a slice
 * of the first group's thread ends there; its own deadline it arms itself). */
struct sched_deadlines {
	u64 first, others;
	const struct sched_group *first_group;
};

static inline void sched_deadline_add(struct sched_deadlines *d, const struct sched_group *g, u64 t)
{
	if (t < d->first) {
		d->others = d->first;
		d->first = t;
		d->first_group = g;
	} else if (t < d->others) {
		d->others = t;
	}
}

/* What the scheduler loop asks of the rest of Keel (the VMM provides it). */
struct sched_hooks {
	/* Before each decision, no lock held: let go of what has finished.
	 * On the boot CPU also the console and reaping; false there once
	 * nothing is left to run, which ends every CPU's loop. */
	bool (*housekeeping)(unsigned cpu);
	/* With the scheduler's lock held: the timers this CPU serves (those
	 * of its threads' groups), their deadlines noted in d. */
	void (*service)(unsigned cpu, struct sched_deadlines *d);
	/* The loop ends on this CPU: release what it holds. */
	void (*cpu_exit)(unsigned cpu);
};

/* Before any CPU enters the scheduler loop. */
void sched_init(const struct sched_hooks *hooks);
/* Home t on the allowed CPU with the fewest threads and let it be queued
 * when runnable. 0 or -ENOSPC. */
int sched_add(struct sched_thread *t, struct sched_group *g, u32 affinity);
/* Take t out: off its queue and its home. -EBUSY while a CPU has it picked
 * (try again later); 0 once the scheduler will not look at it again. */
int sched_remove(struct sched_thread *t);
/* Run every thread until the hooks say nothing is left; from the boot CPU.
 * The other CPUs' loops (sched_cpu_loop) start running then too. */
void sched_run(void);
/* A CPU's scheduler loop (the boot CPU's is sched_run); returns when the
 * boot CPU's housekeeping says nothing is left. */
void sched_cpu_loop(void);

/* t may have become runnable: wake its CPU if that sleeps. (A CPU running
 * something looks at its queue at its next decision.) */
static inline void sched_wake(const struct sched_thread *t)
{
	if (percpus[t->home_cpu].idle)
		smp_kick(t->home_cpu);
}

#endif
