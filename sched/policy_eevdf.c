/*
 * Proportional-share vCPU scheduling policy: EEVDF (Stoica and Abdel-Wahab,
 * "Earliest Eligible Virtual Deadline First", Old Dominion University
 * TR-95-22, 1995) over the vCPUs queued on one physical CPU, and per-VM caps
 * held over every window of SCHED_CAP_WINDOW_NS (sporadic-server budget
 * returns). It decides who runs and for how long; sched.c runs the slice
 * with the VMX-preemption timer and reports back what was used.
 *
 * Why EEVDF. Stride scheduling (run the smallest pass) keeps the entities
 * within one slice of each other in virtual time, but service can then lag
 * by n - 1 slices: with one weight-65535 vCPU and 63 weight-1 ones, all 63
 * may run a slice before the heavy one does (630 ms at Q = 10 ms). EEVDF
 * only runs entities that are owed service (eligible), and of those the one
 * whose slice would end first on the ideal CPU (earliest virtual deadline).
 * That keeps every entity within one slice of its ideal share whatever the
 * number of entities and their weights, derived below. BVT is stride plus
 * warp, which Keel has no use for.
 *
 * Representation. Each entity keeps its lag, in 2^-16 ns: the service an
 * ideal CPU, shared by weight among whoever is runnable, would have given
 * it, minus what it got. A run of q ns by k credits every other runnable j
 * with q*w_j/W and charges k what they were credited, q(1 - w_k/W): the
 * ideal CPU's bookkeeping, done exactly. Textbook EEVDF's quantities are
 * relative to the runnable set: with L the sum of their lags, the relative
 * lag lambda_i = lag_i - w_i*L/W is w_i*(V - v_i) in terms of virtual times.
 * Eligible (v_i <= V) is lag_i*W >= L*w_i; the virtual deadline v_i + Q/w_i
 * is V + L/W + (Q - lag_i)/w_i, ordered as (Q - lag_i)/w_i. Lags are weight-
 * independent (a sibling waking halves each vCPU's weight: nothing to
 * rescale) and bounded (nothing grows until it wraps, unlike virtual
 * times). The price is O(n) per charge; the pick is an O(n) scan too. n is
 * the vCPUs on one CPU: a handful, 64 in the tests.
 *
 * Weights. A VM's weight is split equally between its runnable vCPUs: each
 * weighs (weight * 256) / nr_runnable.
 *
 * The bound. Take entities that stay runnable, uncapped, all starting with
 * lag 0 (so L stays 0 and lambda_i = lag_i), W their total weight, every run
 * at most Q ns (the caller may end a slice early, never late). Work in ns
 * per unit weight: a run of q ns moves the runner's v by q/w and V by q/W,
 * so with the CPU never idle (the lags sum to 0: one is >= 0, eligible)
 * V(t) = V(0) + t/W and virtual time x is reached at T(x) = W*(x - V(0)).
 *
 * Lower: i runs only with lag_i >= 0, and a run of q changes it by
 * -q(1 - w_i/W). So lag_i >= -Q(1 - w_i/W) > -Q: never a slice ahead.
 *
 * Upper: lag_i <= Q. lag_i grows between i's runs, so it suffices that
 * each run R of i starts by t* = T(d), d its deadline: then lag_i <=
 * w_i*(d - v_i) = Q. Let X be the last run started before R with a deadline
 * after d, s_X its start. At s_X, every entity j whose pending slice had a
 * deadline <= d was not eligible (X would not have been picked), so
 * v_j(s_X) > V(s_X); the others never get such a deadline later (an
 * entity's deadlines only grow). So the runs between X and R are of
 * entities with v_j(s_X) > V(s_X), each advancing v_j inside [V(s_X), d]:
 * at most w_j*(d - V(s_X)) ns each, and w_i*(d - V(s_X)) - Q for i, whose
 * [d - Q/w_i, d] is R itself. They total at most W*(d - V(s_X)) - Q =
 * t* - s_X - Q, X takes at most Q, the CPU does not idle, and nothing with
 * a deadline after d starts while R waits and is eligible: R starts by t*.
 * Without an X, the same sum from time 0 (all v_j(0) = V(0)) gives t* - Q.
 *
 * So with a fixed set of runnable entities, -Q < lag_i <= Q ns at every
 * instant: each VM's CPU time is within one slice of weight/W of the time
 * elapsed. A run that overruns its slice by e ns (exit handling after the
 * timer fired) widens this to -(Q + e) and Q + (n + 1)e. Credits round up
 * by at most 2^-16 ns per entity per run, in favour of the waiting.
 *
 * Joins and leaves. A halted vCPU's lag is frozen: it earns nothing while
 * asleep and cannot shed a debt by halting. Nobody else's lag moves when it
 * halts or wakes, so every lag stays the ideal CPU's, whoever comes and
 * goes; what moves is the relative lag, by w/W of what the newcomer brings
 * or the leaver takes. A VM that never halts thus has lag = lambda + w*L/W,
 * -L being what the halted vCPUs are owed: bounded, without drift. (Spreading
 * each leaver's lag over the others instead, to keep L at 0, drifts: the
 * others' weight differs between a vCPU's halt and its wake, and in
 * test_churn that added up to 12Q in 200 s.) A waking vCPU's relative lag
 * is limited to Q, one slice of catch-up; any excess is forfeited. The
 * fixed-set proof does not cover these jumps; test_churn measures relative
 * lags within 1.03Q, and never-halting VMs within 1.83Q of the ideal CPU.
 * A capped-out VM leaves and rejoins the same way.
 *
 * Caps. A run of q ns that started at s returns q to its VM's budget at
 * s + SCHED_CAP_WINDOW_NS; a slice never exceeds the budget left when it
 * starts. The budget at t is then C minus what started in (t - Wc, t], and
 * on one CPU no window [a, a + Wc) holds more than C: if no run straddles
 * a, the last run starting inside saw all the others charged; if one
 * started at s < a, the window [s, s + Wc) loses a - s ns of it and gains
 * at most a - s, so holds no less, and has no straddler. Overruns add e.
 * Slices end when a capped-out VM's budget returns, so that it gets its
 * cap rather than waiting for the next slice boundary.
 *
 * Arithmetic. Lags are s64 in 2^-16 ns, a few Q in practice (Q <= 2^43
 * units), saturated at 2^62. Products that can exceed 64 bits are done in
 * 128 bits, divisions only in 64 (the hypervisor has no libgcc for 128-bit
 * division): mul_div needs entity weights <= 2^24 and W < 2^40, i.e.
 * fewer than 65536 vCPUs per CPU.
 */
#include "sched/policy.h"

#define SE_WEIGHT_SHIFT	8	/* entity weight: VM weight / its runnable vCPUs, in 1/256 */
#define LAG_PER_NS	(1ll << SCHED_LAG_SHIFT)

#define for_each_queued(se, rq) for (se = (rq)->head; se; se = se->next)

/* a * b / d rounded down (or up), for b <= d < 2^40, without dividing
 * anything wider than 64 bits: a = qd + r, so ab/d = qb + rb/d. */
static u64 mul_div(u64 a, u64 b, u64 d, bool round_up)
{
	u64 q = a / d, r = a % d;

	return q * b + r * b / d + (round_up && (r * b) % d);
}

static u64 se_weight(const struct sched_entity *se)
{
	const struct sched_group *g = se->group;
	u64 w = (u64)g->weight << SE_WEIGHT_SHIFT;

	return g->nr_runnable > 1 ? MAX(w / g->nr_runnable, 1) : w;
}

/* The competing entities' total weight (returned) and total lag, `skip`
 * left out. */
static u64 rq_totals(const struct runqueue *rq, const struct sched_entity *skip, __int128 *lag_sum)
{
	const struct sched_entity *se;
	u64 weight = 0;

	*lag_sum = 0;
	for_each_queued(se, rq) {
		if (se->competing && se != skip) {
			weight += se_weight(se);
			*lag_sum += se->lag;
		}
	}
	return weight;
}

#define LAG_LIMIT	(1ll << 62)	/* saturation: lags never come near it */

static s64 lag_saturate(__int128 x)
{
	return x > LAG_LIMIT ? LAG_LIMIT : x < -LAG_LIMIT ? -LAG_LIMIT : (s64)x;
}

/*
 * se competes again with the lag it kept while asleep, limited so that,
 * relative to the others, it is owed at most one slice: with W_o and L_o
 * the others' weight and lag, its relative lag (lag*W_o - L_o*w)/(W_o + w)
 * <= Q, i.e. lag <= Q + w*(Q + L_o)/W_o. The excess is forfeited.
 */
static void se_join(struct runqueue *rq, struct sched_entity *se)
{
	s64 q = (s64)(rq->slice_ns << SCHED_LAG_SHIFT);
	__int128 others_lag;
	u64 others = rq_totals(rq, se, &others_lag), w = se_weight(se);
	s64 n, k;

	se->competing = true;
	se->lag = lag_saturate(se->lag);
	if (!others || ((__int128)se->lag - q) * others <= (q + others_lag) * w)
		return;
	n = lag_saturate(q + others_lag);
	k = n / (s64)others - (n % (s64)others < 0);	/* floor: stay <= the limit */
	se->lag = lag_saturate(q + (__int128)k * w);
}

/* --- caps -------------------------------------------------------------- */

/* A capped group whose budget is below this waits for a return. */
static s64 cap_min_run(const struct sched_group *g)
{
	return (s64)MIN(SCHED_MIN_SLICE_NS, g->cap_ns);
}

static struct sched_refill *cap_slot(struct sched_group *g, unsigned i)
{
	return &g->refill[(g->refill_first + i) % SCHED_CAP_REFILLS];
}

/* Take back into the budget what ran a window before `now`. */
static void cap_refill(struct sched_group *g, u64 now)
{
	while (g->refill_count && cap_slot(g, 0)->at <= now) {
		g->budget_ns += (s64)cap_slot(g, 0)->ns;
		g->refill_first = (g->refill_first + 1) % SCHED_CAP_REFILLS;
		g->refill_count--;
	}
}

/* Return ns at `at`. A return due less than Wc/SCHED_CAP_REFILLS after
 * the newest entry opened is folded into it, due at the later time:
 * returning late only tightens the cap (by at most that much), and
 * entries that far apart cannot fill the ring from one CPU. A full ring
 * (returns from several CPUs) folds anyway. */
#define CAP_FOLD_NS	(SCHED_CAP_WINDOW_NS / SCHED_CAP_REFILLS)

static void cap_push(struct sched_group *g, u64 at, u64 ns)
{
	struct sched_refill *last = g->refill_count ? cap_slot(g, g->refill_count - 1) : NULL;

	if (last && (g->refill_count == SCHED_CAP_REFILLS || at < last->opened + CAP_FOLD_NS)) {
		last->ns += ns;
		last->at = MAX(last->at, at);
		return;
	}
	*cap_slot(g, g->refill_count) = (struct sched_refill){ .at = at, .opened = at, .ns = ns };
	g->refill_count++;
}

static bool group_capped_out(struct sched_group *g, u64 now)
{
	if (!g->cap)
		return false;
	cap_refill(g, now);
	return g->budget_ns < cap_min_run(g);
}

/* When the returns bring g's budget back to a runnable amount. */
static u64 cap_ready_at(struct sched_group *g)
{
	s64 budget = g->budget_ns;

	for (unsigned i = 0; i < g->refill_count; i++) {
		budget += (s64)cap_slot(g, i)->ns;
		if (budget >= cap_min_run(g))
			return cap_slot(g, i)->at;
	}
	return UINT64_MAX;	/* the rest is held by a run in flight */
}

/* se used `ran` ns of the slice it reserved: give back the rest now, and
 * the used part a window after the run began. */
static void cap_charge(struct sched_entity *se, u64 ran, u64 now)
{
	struct sched_group *g = se->group;

	if (g->cap) {
		g->budget_ns += (s64)se->reserved_ns - (s64)ran;
		if (ran)
			cap_push(g, (now > ran ? now - ran : 0) + SCHED_CAP_WINDOW_NS, ran);
	}
	se->reserved_ns = 0;
}

/* Capped-out groups' entities stop competing; refilled ones rejoin. */
static void rq_sync(struct runqueue *rq, u64 now)
{
	struct sched_entity *se;

	for_each_queued(se, rq) {
		bool may_run = !group_capped_out(se->group, now);

		if (may_run && !se->competing)
			se_join(rq, se);
		else if (!may_run)
			se->competing = false;
	}
}

/* --- the interface ----------------------------------------------------- */

static int group_check(u32 weight, u32 cap)
{
	if (weight < SCHED_WEIGHT_MIN || weight > SCHED_WEIGHT_MAX || cap > SCHED_CAP_MAX)
		return -EINVAL;
	return 0;
}

int sched_group_init(struct sched_group *g, u32 weight, u32 cap)
{
	if (group_check(weight, cap))
		return -EINVAL;
	*g = (struct sched_group){ .weight = weight };
	return sched_group_set(g, weight, cap);
}

/* A new cap moves the budget by the difference, so what already ran in
 * the window still counts; turning a cap on starts a full budget. */
int sched_group_set(struct sched_group *g, u32 weight, u32 cap)
{
	u64 cap_ns = (u64)cap * SCHED_CAP_WINDOW_NS / 100;

	if (group_check(weight, cap))
		return -EINVAL;
	g->weight = weight;
	if (!cap || !g->cap) {
		g->budget_ns = (s64)cap_ns;
		g->refill_first = g->refill_count = 0;
	} else {
		g->budget_ns += (s64)cap_ns - (s64)g->cap_ns;
	}
	g->cap = cap;
	g->cap_ns = cap_ns;
	return 0;
}

void rq_init(struct runqueue *rq)
{
	*rq = (struct runqueue){ .slice_ns = SCHED_SLICE_NS };
}

int rq_set_slice(struct runqueue *rq, u64 slice_ns)
{
	if (slice_ns < SCHED_MIN_SLICE_NS || slice_ns > SCHED_MAX_SLICE_NS)
		return -EINVAL;
	rq->slice_ns = slice_ns;
	return 0;
}

void se_init(struct sched_entity *se, struct sched_group *g)
{
	*se = (struct sched_entity){ .group = g };
}

void rq_enqueue(struct runqueue *rq, struct sched_entity *se, u64 now)
{
	if (se->rq)
		return;
	se->rq = rq;
	se->next = NULL;
	se->prev = rq->tail;
	if (rq->tail)
		rq->tail->next = se;
	else
		rq->head = se;
	rq->tail = se;
	rq->nr_queued++;
	se->group->nr_runnable++;
	if (!group_capped_out(se->group, now))
		se_join(rq, se);
}

/* A dequeue without rq_account of the slice picked charges its cap with
 * the whole reservation: the guess that cannot break the cap. */
void rq_dequeue(struct runqueue *rq, struct sched_entity *se, u64 now)
{
	if (se->rq != rq)
		return;
	se->competing = false;
	if (se->reserved_ns)
		cap_charge(se, se->reserved_ns, now);
	if (se->prev)
		se->prev->next = se->next;
	else
		rq->head = se->next;
	if (se->next)
		se->next->prev = se->prev;
	else
		rq->tail = se->prev;
	se->prev = se->next = NULL;
	se->rq = NULL;
	rq->nr_queued--;
	se->group->nr_runnable--;
	if (rq->curr == se)
		rq->curr = NULL;
}

/*
 * The eligible entity (owed service relative to the others: lag/w at
 * least the mean lag per weight, lag*W >= L*w) whose virtual deadline
 * V + (Q - lag)/w + L/W comes first; L/W is common to all, so the order
 * is that of (Q - lag)/w. Ties go to the one queued first.
 */
static struct sched_entity *rq_earliest(struct runqueue *rq)
{
	s64 q = (s64)(rq->slice_ns << SCHED_LAG_SHIFT);
	struct sched_entity *se, *best = NULL;
	__int128 lag_sum;
	u64 total = rq_totals(rq, NULL, &lag_sum);

	for_each_queued(se, rq) {
		if (!se->competing || (__int128)se->lag * total < lag_sum * se_weight(se))
			continue;
		if (!best || ((__int128)q - se->lag) * se_weight(best) <
			     ((__int128)q - best->lag) * se_weight(se))
			best = se;
	}
	return best;
}

struct sched_entity *rq_pick(struct runqueue *rq, u64 now, u64 *slice_ns)
{
	struct sched_group *g;
	struct sched_entity *se;
	u64 slice = rq->slice_ns, wake;

	rq_sync(rq, now);
	se = rq_earliest(rq);
	if (!se)
		return NULL;
	/* End the slice when a capped-out VM here may run again (it is
	 * owed service, or would not have been capped), so caps hold
	 * to their full value rather than to the next slice boundary. */
	wake = rq_next_wakeup(rq, now);
	if (wake > now && wake - now < slice)
		slice = MAX(wake - now, SCHED_MIN_SLICE_NS);
	g = se->group;
	if (g->cap) {
		/* rq_sync left only groups with budget >= cap_min_run() > 0 */
		slice = MIN(slice, (u64)g->budget_ns);
		g->budget_ns -= (s64)slice;
		se->reserved_ns += slice;
	}
	rq->curr = se;
	*slice_ns = slice;
	return se;
}

/* Every other competing entity is owed its weighted share of the run,
 * rounded up (so even the lightest gains from the shortest run), and the
 * runner pays exactly what they were credited. */
void rq_account(struct runqueue *rq, struct sched_entity *se, u64 ran_ns, u64 now)
{
	u64 ran = MIN(ran_ns, SCHED_MAX_CHARGE_NS), a = ran << SCHED_LAG_SHIFT;
	struct sched_entity *other;
	__int128 lag_sum;
	u64 total = rq_totals(rq, NULL, &lag_sum), paid = 0;

	se->runtime_ns += ran;
	if (rq->curr == se)
		rq->curr = NULL;
	cap_charge(se, ran, now);
	if (se->competing) {
		for_each_queued(other, rq) {
			if (!other->competing || other == se)
				continue;
			u64 credit = mul_div(a, se_weight(other), total, true);
			other->lag = lag_saturate((__int128)other->lag + credit);
			paid += credit;
		}
		se->lag = lag_saturate((__int128)se->lag - paid);
	} else {
		se->lag = lag_saturate((__int128)se->lag - a);
	}
	rq_sync(rq, now);
}

u64 rq_next_wakeup(struct runqueue *rq, u64 now)
{
	struct sched_entity *se;
	u64 when = UINT64_MAX;

	for_each_queued(se, rq) {
		if (se->competing)
			continue;
		when = MIN(when, group_capped_out(se->group, now) ? cap_ready_at(se->group) : now);
	}
	return when;
}

s64 se_lag_ns(const struct sched_entity *se)
{
	return se->lag / LAG_PER_NS;
}
