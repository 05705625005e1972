/*
 * Placement and balancing by load, pure (sched/balance.c): where a new
 * thread goes, and which thread an under-loaded CPU takes over. Loads are
 * the weights queued as the policy weighs them, so weights 1:2:4 on two
 * CPUs end as 4 alone and 1+2 together: the closest to proportional that
 * whole threads (a vCPU takes at most one CPU) allow. The caller holds the
 * scheduler's lock; nothing here reads a clock or touches a CPU.
 */
#ifndef KEEL_SCHED_BALANCE_H
#define KEEL_SCHED_BALANCE_H

#include "types.h"
#include "sched/policy.h"

/* The allowed CPU (affinity bit n = CPU n; 0 = any) among the first ncpus
 * with the fewest threads homed; the lowest such. 0 when none is allowed. */
unsigned balance_pick_home(const unsigned *homed, unsigned ncpus, u32 affinity);

/* What an entity weighs on its queue: its group's weight shared by the
 * group's runnable entities (x256 to keep fractions), and a queue's sum. */
u64 balance_se_load(const struct sched_entity *se);
u64 balance_rq_load(const struct runqueue *rq);

/*
 * For CPU cpu, before its decision: the entity to take over from the most
 * loaded of the ncpus queues, and that queue (*from), or NULL. Only when
 * the move narrows the gap (the entity's load is below it), never the one
 * the other CPU picked last (rq->curr) or its only one, and only one that
 * may_take(se, cpu, ctx) allows (affinity, state held elsewhere).
 */
struct sched_entity *balance_steal(struct runqueue *rqs, unsigned ncpus, unsigned cpu,
				   bool (*may_take)(const struct sched_entity *se, unsigned cpu, void *ctx),
				   void *ctx, unsigned *from);

#endif
