/*
 * Placement and balancing by load (include/sched/balance.h): the pure part
 * of SMP scheduling, host-tested over the policy's run queues with a fake
 * clock (tests/unit/sched/test_balance.c).
 */
#include "sched/balance.h"

unsigned balance_pick_home(const unsigned *homed, unsigned ncpus, u32 affinity)
{
	unsigned best = 0;
	bool found = false;

	for (unsigned c = 0; c < ncpus; c++) {
		if ((affinity && !(affinity & BIT(c))) || (found && homed[c] >= homed[best]))
			continue;
		best = c;
		found = true;
	}
	return best;
}

u64 balance_se_load(const struct sched_entity *se)
{
	const struct sched_group *g = se->group;

	return (u64)g->weight * 256 / MAX(g->nr_runnable, 1u);
}

u64 balance_rq_load(const struct runqueue *rq)
{
	u64 load = 0;

	for (const struct sched_entity *se = rq->head; se; se = se->next)
		load += balance_se_load(se);
	return load;
}

/* The heaviest queued entity of rq that cpu may take and whose move
 * narrows the gap (its load below it). */
static struct sched_entity *heaviest_movable(struct runqueue *rq, unsigned cpu, u64 gap,
		bool (*may_take)(const struct sched_entity *, unsigned, void *), void *ctx)
{
	struct sched_entity *best = NULL;

	for (struct sched_entity *se = rq->head; se; se = se->next) {
		if (se == rq->curr || balance_se_load(se) >= gap || !may_take(se, cpu, ctx))
			continue;
		if (!best || balance_se_load(se) > balance_se_load(best))
			best = se;
	}
	return best;
}

struct sched_entity *balance_steal(struct runqueue *rqs, unsigned ncpus, unsigned cpu,
				   bool (*may_take)(const struct sched_entity *se, unsigned cpu, void *ctx),
				   void *ctx, unsigned *from)
{
	u64 mine = balance_rq_load(&rqs[cpu]), most = mine;
	unsigned busiest = cpu;

	for (unsigned c = 0; c < ncpus; c++) {
		u64 load = c == cpu ? mine : balance_rq_load(&rqs[c]);

		if (load > most) {
			most = load;
			busiest = c;
		}
	}
	if (busiest == cpu || rqs[busiest].nr_queued < 2)
		return NULL;
	*from = busiest;
	return heaviest_movable(&rqs[busiest], cpu, most - mine, may_take, ctx);
}
