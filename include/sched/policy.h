/*
 * Proportional-share vCPU scheduling policy (sched/policy_eevdf.c): which
 * runnable vCPU a physical CPU runs next and for how long. Pure logic over
 * the caller's clock (ns); one struct runqueue per physical CPU, one struct
 * sched_group per VM, one struct sched_entity embedded in each vCPU.
 *
 * The caller's loop, on one CPU:
 *
 *	se = rq_pick(rq, now, &slice);
 *	if (!se)
 *		idle until MIN(rq_next_wakeup(rq, now), the next device timer);
 *	else
 *		run se's vCPU with the VMX-preemption timer set to `slice`;
 *		rq_account(rq, se, time it held the CPU, now);
 *		if it halted or stopped: rq_dequeue(rq, se, now);
 *
 * and rq_enqueue() when an interrupt wakes a halted vCPU. Nothing here
 * blocks, allocates or reads a clock.
 */
#ifndef KEEL_SCHED_POLICY_H
#define KEEL_SCHED_POLICY_H

#include "types.h"

#define SCHED_WEIGHT_MIN	1
#define SCHED_WEIGHT_MAX	65535
#define SCHED_WEIGHT_DEFAULT	256
#define SCHED_CAP_MAX		(100 * 256)	/* percent of one CPU: 256 CPUs' worth */
#define SCHED_CAP_WINDOW_NS	100000000ull	/* a cap holds over every window this long */

#define SCHED_SLICE_NS		10000000ull	/* default longest slice (Q) */
#define SCHED_MIN_SLICE_NS	100000ull	/* shortest Q, and shortest capped slice */
#define SCHED_MAX_SLICE_NS	100000000ull	/* longest Q */
#define SCHED_MAX_CHARGE_NS	1000000000ull	/* one rq_account charges at most this */

#define SCHED_LAG_SHIFT		16		/* lag is kept in 2^-16 ns */
#define SCHED_CAP_REFILLS	16		/* pending budget returns a group keeps */

/* Budget used by runs, returned to their group at `at` (ns); `opened`
 * is when the first of them was due. */
struct sched_refill {
	u64 at;
	u64 opened;
	u64 ns;
};

/*
 * One VM: its weight, shared equally by its runnable vCPUs, and its cap.
 * Shared by every run queue that holds one of its vCPUs (with SMP, the
 * integrator serialises access to it).
 */
struct sched_group {
	u32 weight;			/* SCHED_WEIGHT_MIN..SCHED_WEIGHT_MAX */
	u32 cap;			/* percent of one CPU; 0 = uncapped */
	u32 nr_runnable;		/* its entities on any run queue */
	u64 cap_ns;			/* budget per window: cap% of SCHED_CAP_WINDOW_NS */
	s64 budget_ns;			/* may run this much now; < 0 after an overrun */
	struct sched_refill refill[SCHED_CAP_REFILLS];	/* ring, oldest first */
	u8 refill_first, refill_count;
};

/*
 * One vCPU as the policy sees it (the integrator embeds it in struct vcpu
 * and gets back with offsetof). lag is the service it is owed: what an
 * ideal CPU shared in proportion to weight would have given it, minus
 * what it got.
 */
struct sched_entity {
	struct sched_group *group;
	struct runqueue *rq;		/* queued on (runnable), or NULL */
	struct sched_entity *prev, *next;	/* in rq's queue */
	s64 lag;			/* 2^-SCHED_LAG_SHIFT ns; kept while asleep */
	bool competing;			/* sharing the CPU: queued, group not capped out */
	u64 reserved_ns;		/* cap budget held by rq_pick until rq_account */
	u64 runtime_ns;			/* everything charged, for statistics */
};

/* One physical CPU's runnable entities. */
struct runqueue {
	struct sched_entity *head, *tail;
	struct sched_entity *curr;	/* last picked, until accounted */
	unsigned nr_queued;
	u64 slice_ns;			/* Q: the longest slice rq_pick hands out */
};

/* A group: weight in SCHED_WEIGHT_MIN..MAX, cap in 0..SCHED_CAP_MAX
 * (0 = none). -EINVAL (and nothing changed) otherwise. set changes them
 * while the group's vCPUs are queued. */
int sched_group_init(struct sched_group *g, u32 weight, u32 cap);
int sched_group_set(struct sched_group *g, u32 weight, u32 cap);

void rq_init(struct runqueue *rq);
/* Q, in SCHED_MIN_SLICE_NS..SCHED_MAX_SLICE_NS; -EINVAL otherwise. */
int rq_set_slice(struct runqueue *rq, u64 slice_ns);

void se_init(struct sched_entity *se, struct sched_group *g);
/* Runnable from `now` (woken, started). Already queued: nothing happens. */
void rq_enqueue(struct runqueue *rq, struct sched_entity *se, u64 now);
/* Not runnable (halted, stopped, moving CPU). Charge its run first. */
void rq_dequeue(struct runqueue *rq, struct sched_entity *se, u64 now);

/* The entity to run next and its slice (0 < *slice_ns <= Q), or NULL
 * when nothing may run now (idle until rq_next_wakeup). */
struct sched_entity *rq_pick(struct runqueue *rq, u64 now, u64 *slice_ns);
/* Charge what se ran: ran_ns is `now` minus when it was given the CPU
 * (exit handling included), capped at SCHED_MAX_CHARGE_NS. */
void rq_account(struct runqueue *rq, struct sched_entity *se, u64 ran_ns, u64 now);
/* When a capped-out group queued here may run again; UINT64_MAX if none. */
u64 rq_next_wakeup(struct runqueue *rq, u64 now);

/* se's lag in ns (positive: owed service). */
s64 se_lag_ns(const struct sched_entity *se);

#endif
