/*
 * Host tests for sched/policy_eevdf.c: a simulated CPU on the fake clock
 * runs whatever rq_pick returns, and each VM's service is held against an
 * ideal CPU shared in proportion to weight (computed here, in doubles) and
 * against the lag bound derived in the policy's header comment:
 * -Q(1 - w/W) <= lag <= Q for a fixed set of runnable vCPUs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "fake_hw.h"
#include "sched/policy.h"

#define MS		1000000ull
#define Q		SCHED_SLICE_NS
#define MAX_SE		64
#define TOL_NS		16.0	/* rounding: 2^-16 ns per credit, and doubles */

struct sim {
	struct runqueue rq;
	struct sched_group g[MAX_SE];
	struct sched_entity se[MAX_SE];
	unsigned nse;
	bool runnable[MAX_SE];	/* the test's view: queued (the ideal CPU
				 * ignores caps: capped tests do not use it) */
	bool slept[MAX_SE];	/* has been dequeued */
	u64 run_max[MAX_SE];	/* a vCPU that exits early runs at most this */
	double ideal[MAX_SE];	/* ns an ideal weighted CPU would have given */
	u64 got[MAX_SE];	/* ns it was given */
	double worst_behind, worst_ahead;	/* most ideal - got, got - ideal */
	double worst_rel_behind, worst_rel_ahead;	/* relative lag, either way */
	u64 idle_ns, steps;
	/* runs of one tracked group, for the cap's sliding windows */
	struct sched_group *track;
	u64 *run_start, *run_end, *run_cum;	/* run_cum: busy before run i */
	size_t nruns, runs_cap;
};

static struct sim *sim_new(void)
{
	struct sim *s = calloc(1, sizeof(*s));

	fake_time_ns = 1000 * MS;	/* not 0: returns before 0 must not matter */
	rq_init(&s->rq);
	return s;
}

static void sim_free(struct sim *s)
{
	free(s->run_start);
	free(s->run_end);
	free(s->run_cum);
	free(s);
}

/* A VM of `n` vCPUs, all runnable now; returns its first entity's index. */
static unsigned sim_vm(struct sim *s, u32 weight, u32 cap, unsigned n)
{
	unsigned first = s->nse;

	assert_int_equal(sched_group_init(&s->g[first], weight, cap), 0);
	for (unsigned i = 0; i < n; i++) {
		unsigned k = s->nse++;
		se_init(&s->se[k], &s->g[first]);
		s->run_max[k] = UINT64_MAX;
		rq_enqueue(&s->rq, &s->se[k], fake_time_ns);
		s->runnable[k] = true;
	}
	return first;
}

static void sim_wake(struct sim *s, unsigned k)
{
	rq_enqueue(&s->rq, &s->se[k], fake_time_ns);
	s->runnable[k] = true;
}

static void sim_sleep(struct sim *s, unsigned k)
{
	rq_dequeue(&s->rq, &s->se[k], fake_time_ns);
	s->runnable[k] = false;
	s->slept[k] = true;
}

/* The weight the ideal CPU gives k: its VM's, shared by its runnable vCPUs. */
static double ideal_weight(const struct sim *s, unsigned k)
{
	unsigned siblings = 0;

	for (unsigned j = 0; j < s->nse; j++)
		siblings += s->runnable[j] && s->se[j].group == s->se[k].group;
	/* split in 1/256ths of a weight unit, as policy.h documents */
	return (double)((s->se[k].group->weight * 256u) / siblings) / 256;
}

/* q ns pass with the runnable set fixed: share them out ideally. */
static void ideal_advance(struct sim *s, u64 q)
{
	double total = 0;

	for (unsigned j = 0; j < s->nse; j++)
		if (s->runnable[j])
			total += ideal_weight(s, j);
	for (unsigned j = 0; j < s->nse; j++)
		if (s->runnable[j])
			s->ideal[j] += (double)q * ideal_weight(s, j) / total;
}

/* The policy's lag of a vCPU that never slept is the ideal CPU's, to
 * rounding (2^-16 ns per entity per run). */
static void check_matches_ideal(const struct sim *s)
{
	double tol = 2 + (double)s->steps * s->nse / 65536;

	for (unsigned j = 0; j < s->nse; j++) {
		double mine = s->ideal[j] - (double)s->got[j];
		double its = (double)s->se[j].lag / 65536;
		if (!s->slept[j] && (its - mine > tol || mine - its > tol))
			fail_msg("vCPU %u: policy lag %.1f ns, ideal CPU's %.1f", j, its, mine);
	}
}

/* The relative lag the policy decides on: lag - w * (sum of lags) / W. */
static double relative_lag_ns(const struct sim *s, unsigned k)
{
	double lags = 0, total = 0;

	for (unsigned j = 0; j < s->nse; j++) {
		if (s->se[j].competing) {
			lags += (double)s->se[j].lag / 65536;
			total += ideal_weight(s, j);
		}
	}
	return (double)s->se[k].lag / 65536 - ideal_weight(s, k) * lags / total;
}

/* Every runnable vCPU within the derived bound of its ideal share:
 * behind by at most Q, ahead by at most Q(1 - w/W). */
static void check_bound(struct sim *s)
{
	double total = 0;

	for (unsigned j = 0; j < s->nse; j++)
		if (s->runnable[j])
			total += ideal_weight(s, j);
	for (unsigned j = 0; j < s->nse; j++) {
		double lag = s->ideal[j] - (double)s->got[j];
		double ahead_max = (double)s->rq.slice_ns * (1 - ideal_weight(s, j) / total);

		if (!s->runnable[j])
			continue;
		if (lag > s->worst_behind)
			s->worst_behind = lag;
		if (-lag > s->worst_ahead)
			s->worst_ahead = -lag;
		if (lag > (double)s->rq.slice_ns + TOL_NS || -lag > ahead_max + TOL_NS)
			fail_msg("vCPU %u lag %.0f ns outside [-%.0f, %llu] at step %llu", j, lag,
				 ahead_max, (unsigned long long)s->rq.slice_ns, (unsigned long long)s->steps);
	}
}

/* With vCPUs coming and going: the worst relative lag of any competing
 * vCPU, and the worst lag against the ideal CPU of those never asleep. */
static void check_dynamic(struct sim *s)
{
	for (unsigned j = 0; j < s->nse; j++) {
		if (s->se[j].competing) {
			double rel = relative_lag_ns(s, j);
			s->worst_rel_behind = MAX(s->worst_rel_behind, rel);
			s->worst_rel_ahead = MAX(s->worst_rel_ahead, -rel);
		}
		if (!s->slept[j]) {
			double lag = s->ideal[j] - (double)s->got[j];
			s->worst_behind = MAX(s->worst_behind, lag);
			s->worst_ahead = MAX(s->worst_ahead, -lag);
		}
	}
	check_matches_ideal(s);
}

static void track_run(struct sim *s, u64 start, u64 end)
{
	if (s->nruns == s->runs_cap) {
		s->runs_cap = s->runs_cap ? 2 * s->runs_cap : 1024;
		s->run_start = realloc(s->run_start, s->runs_cap * sizeof(u64));
		s->run_end = realloc(s->run_end, s->runs_cap * sizeof(u64));
		s->run_cum = realloc(s->run_cum, s->runs_cap * sizeof(u64));
	}
	s->run_cum[s->nruns] = s->nruns ? s->run_cum[s->nruns - 1] + s->run_end[s->nruns - 1] -
					  s->run_start[s->nruns - 1] : 0;
	s->run_start[s->nruns] = start;
	s->run_end[s->nruns++] = end;
}

/*
 * One decision: pick, run the slice (cut at `limit`, or at the vCPU's
 * run_max), account. Idle until the next wakeup (or `limit`) if the
 * policy says nothing may run. Returns the index run, or -1.
 */
static int sim_step(struct sim *s, u64 limit)
{
	u64 slice, start = fake_time_ns, q;
	struct sched_entity *se = rq_pick(&s->rq, start, &slice);
	unsigned k;

	s->steps++;
	if (!se) {
		u64 wake = rq_next_wakeup(&s->rq, start);
		assert_true(wake > start);
		assert_true(wake != UINT64_MAX || limit != UINT64_MAX);
		fake_time_ns = MIN(wake, limit);
		s->idle_ns += fake_time_ns - start;
		return -1;
	}
	k = (unsigned)(se - s->se);
	assert_true(k < s->nse && s->runnable[k]);
	assert_true(slice > 0 && slice <= s->rq.slice_ns);	/* nothing runs unbounded */
	q = MIN(MIN(slice, s->run_max[k]), limit - start);
	ideal_advance(s, q);
	s->got[k] += q;
	fake_time_ns += q;
	rq_account(&s->rq, se, q, fake_time_ns);
	if (se->group == s->track)
		track_run(s, start, fake_time_ns);
	return (int)k;
}

/* Run until `end`, checking the bound after every decision. */
static void sim_run_checked(struct sim *s, u64 end)
{
	while (fake_time_ns < end) {
		sim_step(s, end);
		check_bound(s);
		check_matches_ideal(s);
	}
}

static double share(const struct sim *s, unsigned k, u64 elapsed)
{
	return (double)s->got[k] / (double)elapsed;
}

/* --- configuration ----------------------------------------------------- */

static void test_group_validation(void **state)
{
	struct sched_group g;
	struct runqueue rq;

	assert_int_equal(sched_group_init(&g, 0, 0), -EINVAL);
	assert_int_equal(sched_group_init(&g, SCHED_WEIGHT_MAX + 1, 0), -EINVAL);
	assert_int_equal(sched_group_init(&g, 256, SCHED_CAP_MAX + 1), -EINVAL);
	assert_int_equal(sched_group_init(&g, SCHED_WEIGHT_DEFAULT, 50), 0);
	assert_int_equal(g.cap_ns, 50 * MS);
	assert_int_equal(g.budget_ns, 50 * MS);
	assert_int_equal(sched_group_set(&g, 0, 50), -EINVAL);
	assert_int_equal(g.weight, SCHED_WEIGHT_DEFAULT);	/* unchanged */
	assert_int_equal(sched_group_init(&g, SCHED_WEIGHT_MIN, SCHED_CAP_MAX), 0);
	assert_int_equal(sched_group_init(&g, SCHED_WEIGHT_MAX, 0), 0);

	rq_init(&rq);
	assert_int_equal(rq.slice_ns, SCHED_SLICE_NS);
	assert_int_equal(rq_set_slice(&rq, 0), -EINVAL);
	assert_int_equal(rq_set_slice(&rq, SCHED_MIN_SLICE_NS - 1), -EINVAL);
	assert_int_equal(rq_set_slice(&rq, SCHED_MAX_SLICE_NS + 1), -EINVAL);
	assert_int_equal(rq_set_slice(&rq, 5 * MS), 0);
	assert_int_equal(rq.slice_ns, 5 * MS);
}

static void test_empty_and_misuse(void **state)
{
	struct sim *s = sim_new();
	u64 slice = 12345;
	unsigned a;

	assert_null(rq_pick(&s->rq, fake_time_ns, &slice));
	assert_int_equal(slice, 12345);
	assert_true(rq_next_wakeup(&s->rq, fake_time_ns) == UINT64_MAX);

	a = sim_vm(s, 256, 0, 1);
	rq_enqueue(&s->rq, &s->se[a], fake_time_ns);	/* twice: ignored */
	assert_int_equal(s->rq.nr_queued, 1);
	assert_int_equal(s->g[a].nr_runnable, 1);
	sim_sleep(s, a);
	sim_sleep(s, a);				/* twice: ignored */
	assert_int_equal(s->rq.nr_queued, 0);
	assert_int_equal(s->g[a].nr_runnable, 0);
	assert_null(s->rq.head);
	assert_null(rq_pick(&s->rq, fake_time_ns, &slice));
	sim_free(s);
}

/* --- fairness ---------------------------------------------------------- */

/* Three always-runnable VMs weighted 1:2:4 for 10 s: each gets 1/7, 2/7,
 * 4/7 (within 2%), and is within the bound after every decision. */
static void test_weights_1_2_4(void **state)
{
	struct sim *s = sim_new();
	u64 t0 = fake_time_ns;
	unsigned vm[3] = { sim_vm(s, 1, 0, 1), sim_vm(s, 2, 0, 1), sim_vm(s, 4, 0, 1) };

	sim_run_checked(s, t0 + 10000 * MS);
	for (unsigned i = 0; i < 3; i++) {
		double want = (double)(1u << i) / 7;
		double got = share(s, vm[i], fake_time_ns - t0);
		print_message("weight %u: share %.5f (ideal %.5f)\n", 1u << i, got, want);
		assert_true(got > want * 0.98 && got < want * 1.02);
	}
	assert_int_equal(s->idle_ns, 0);
	print_message("1:2:4 worst lag %.3f ms behind, %.3f ms ahead (bound %.1f / %.3f ms)\n",
		      s->worst_behind / MS, s->worst_ahead / MS, (double)Q / MS, (double)Q * 6 / 7 / MS);
	sim_free(s);
}

/* One VM with half the weight against ten light ones (Bennett and Zhang's
 * case against WFQ): by virtual deadline alone the heavy one would run
 * nine slices in a row and get 4.5Q ahead; eligibility holds it to Q/2. */
static void test_heavy_among_light(void **state)
{
	struct sim *s = sim_new();
	u64 t0 = fake_time_ns;
	unsigned heavy = sim_vm(s, 2560, 0, 1);
	double ahead = 0;

	for (unsigned i = 0; i < 10; i++)
		sim_vm(s, 256, 0, 1);
	while (fake_time_ns < t0 + 2000 * MS) {
		sim_step(s, UINT64_MAX);
		check_bound(s);
		ahead = MAX(ahead, (double)s->got[heavy] - s->ideal[heavy]);
	}
	assert_true(ahead <= (double)Q / 2 + TOL_NS);
	print_message("1 heavy, 10 light: heavy at most %.3f ms ahead; all within %.3f ms behind, %.3f ms ahead\n",
		      ahead / MS, s->worst_behind / MS, s->worst_ahead / MS);
	sim_free(s);
}

/* Runs cut short at random (exits that yield early) change nothing. */
static void test_short_runs(void **state)
{
	struct sim *s = sim_new();
	u64 t0 = fake_time_ns;

	srand(7);
	sim_vm(s, 100, 0, 1);
	sim_vm(s, 300, 0, 1);
	sim_vm(s, 1000, 0, 1);
	while (fake_time_ns < t0 + 5000 * MS) {
		for (unsigned k = 0; k < s->nse; k++)
			s->run_max[k] = 1 + (u64)rand() % (2 * Q);
		sim_step(s, UINT64_MAX);
		check_bound(s);
	}
	print_message("short runs: worst lag %.3f ms behind, %.3f ms ahead\n",
		      s->worst_behind / MS, s->worst_ahead / MS);
	sim_free(s);
}

/* Weights at both ends for 1000 s: no overflow (UBSan), the light one
 * neither starved nor bursting: within the bound although its whole share
 * is 1/65536 (15 ms). */
static void test_weight_extremes(void **state)
{
	struct sim *s = sim_new();
	u64 t0 = fake_time_ns;
	unsigned light = sim_vm(s, SCHED_WEIGHT_MIN, 0, 1);

	sim_vm(s, SCHED_WEIGHT_MAX, 0, 1);
	sim_run_checked(s, t0 + 1000000 * MS);
	assert_true(s->got[light] >= 5 * MS && s->got[light] <= 26 * MS);
	print_message("1:65535 worst lag %.3f ms behind, %.3f ms ahead; light got %.3f ms of 1000 s\n",
		      s->worst_behind / MS, s->worst_ahead / MS, (double)s->got[light] / MS);
	sim_free(s);
}

/* A vCPU that overran (the caller charged it far more than its slice, up
 * to a hostile UINT64_MAX) pays it back: the charge is clamped to
 * SCHED_MAX_CHARGE_NS, and the other VM runs until even. */
static void test_overrun_paid_back(void **state)
{
	struct sim *s = sim_new();
	unsigned a = sim_vm(s, 256, 0, 1), b = sim_vm(s, 256, 0, 1);
	struct sched_entity *se;
	u64 slice, got_b = 0;

	se = rq_pick(&s->rq, fake_time_ns, &slice);
	assert_ptr_equal(se, &s->se[a]);
	fake_time_ns += 3 * SCHED_MAX_CHARGE_NS;
	rq_account(&s->rq, se, UINT64_MAX, fake_time_ns);
	assert_int_equal(se->runtime_ns, SCHED_MAX_CHARGE_NS);
	assert_int_equal(se_lag_ns(se), -(s64)SCHED_MAX_CHARGE_NS / 2);
	assert_int_equal(se_lag_ns(&s->se[b]), (s64)SCHED_MAX_CHARGE_NS / 2);
	while (got_b < SCHED_MAX_CHARGE_NS - Q) {
		se = rq_pick(&s->rq, fake_time_ns, &slice);
		assert_ptr_equal(se, &s->se[b]);
		got_b += slice;
		fake_time_ns += slice;
		rq_account(&s->rq, se, slice, fake_time_ns);
	}
	sim_free(s);
}

/* 64 vCPUs of random weights for 10 s: all within the bound throughout. */
static void test_many_entities(void **state)
{
	struct sim *s = sim_new();
	u64 t0 = fake_time_ns, total = 0;

	srand(42);
	for (unsigned i = 0; i < MAX_SE; i++)
		sim_vm(s, SCHED_WEIGHT_MIN + (u32)rand() % SCHED_WEIGHT_MAX, 0, 1);
	sim_run_checked(s, t0 + 10000 * MS);
	for (unsigned i = 0; i < MAX_SE; i++)
		total += s->got[i];
	assert_int_equal(total, fake_time_ns - t0);
	print_message("64 vCPUs: worst lag %.3f ms behind, %.3f ms ahead\n",
		      s->worst_behind / MS, s->worst_ahead / MS);
	sim_free(s);
}

/* 64 equal vCPUs over 100 s: each 1/64 within 2%. */
static void test_many_equal(void **state)
{
	struct sim *s = sim_new();
	u64 t0 = fake_time_ns;

	for (unsigned i = 0; i < MAX_SE; i++)
		sim_vm(s, SCHED_WEIGHT_DEFAULT, 0, 1);
	sim_run_checked(s, t0 + 100000 * MS);
	for (unsigned i = 0; i < MAX_SE; i++) {
		double got = share(s, i, fake_time_ns - t0);
		assert_true(got > 0.98 / 64 && got < 1.02 / 64);
	}
	sim_free(s);
}

/* A VM's weight is shared by its runnable vCPUs: 2 vCPUs of a 256 VM
 * against one of another 256 VM get 1/4, 1/4, 1/2; when one halts, the
 * other has the VM's whole weight. */
static void test_group_shares_weight(void **state)
{
	struct sim *s = sim_new();
	u64 t0 = fake_time_ns;
	unsigned a = sim_vm(s, 256, 0, 2), b = sim_vm(s, 256, 0, 1);

	sim_run_checked(s, t0 + 4000 * MS);
	assert_true(share(s, a, 4000 * MS) > 0.245 && share(s, a, 4000 * MS) < 0.255);
	assert_true(share(s, a + 1, 4000 * MS) > 0.245 && share(s, a + 1, 4000 * MS) < 0.255);
	assert_true(share(s, b, 4000 * MS) > 0.49 && share(s, b, 4000 * MS) < 0.51);

	/* a + 1 halts: from now a and b split evenly. */
	sim_sleep(s, a + 1);
	u64 t1 = fake_time_ns, got_a = s->got[a], got_b = s->got[b];
	while (fake_time_ns < t1 + 4000 * MS)
		sim_step(s, t1 + 4000 * MS);
	assert_true((double)(s->got[a] - got_a) > 0.49 * 4000 * MS);
	assert_true((double)(s->got[b] - got_b) > 0.49 * 4000 * MS);
	sim_free(s);
}

/* A new weight takes effect at once, with nothing to rescale. */
static void test_reweight(void **state)
{
	struct sim *s = sim_new();
	unsigned a = sim_vm(s, 256, 0, 1);
	u64 t1, got_a;

	sim_vm(s, 256, 0, 1);
	sim_run_checked(s, fake_time_ns + 1000 * MS);
	assert_int_equal(sched_group_set(&s->g[a], 768, 0), 0);
	t1 = fake_time_ns;
	got_a = s->got[a];
	while (fake_time_ns < t1 + 4000 * MS)
		sim_step(s, t1 + 4000 * MS);
	assert_true((double)(s->got[a] - got_a) > 0.74 * 4000 * MS);
	assert_true((double)(s->got[a] - got_a) < 0.76 * 4000 * MS);
	sim_free(s);
}

/* --- sleepers ---------------------------------------------------------- */

/* Run until `end`, recording the dynamic measures after every decision. */
static void sim_run_dynamic(struct sim *s, u64 end)
{
	while (fake_time_ns < end) {
		sim_step(s, end);
		check_dynamic(s);
	}
}

/*
 * A sleeps 90% of the time: runnable for the first 100 ms of every
 * second (its wake preempts: the running slice is cut), halted the rest,
 * against two always-runnable VMs of equal weight. While runnable it gets
 * its third: its lag against the ideal CPU stays within the fixed-set
 * bound throughout, so over the 50 periods it is within Q of 50 * 33 ms.
 * And waking after 900 ms asleep earns it no burst: never more than its
 * third of a window plus the bound's 2Q swing. The others stay within Q
 * plus their share of what A was owed when it halted (Q/2).
 */
static void test_sleeper(void **state)
{
	struct sim *s = sim_new();
	u64 t0 = fake_time_ns, period = 1000 * MS, awake = 100 * MS;
	unsigned a = sim_vm(s, 256, 0, 1);
	double least = 1e18, most = 0, a_behind = 0, a_ahead = 0;

	sim_vm(s, 256, 0, 1);
	sim_vm(s, 256, 0, 1);
	for (unsigned p = 0; p < 50; p++) {
		u64 start = t0 + p * period, got = s->got[a];

		if (p)
			sim_wake(s, a);
		while (fake_time_ns < start + awake) {
			sim_step(s, start + awake);
			check_dynamic(s);
			a_behind = MAX(a_behind, s->ideal[a] - (double)s->got[a]);
			a_ahead = MAX(a_ahead, (double)s->got[a] - s->ideal[a]);
		}
		sim_sleep(s, a);
		got = s->got[a] - got;
		least = MIN(least, (double)got);
		most = MAX(most, (double)got);
		assert_true((double)got <= (double)awake / 3 + 2.0 * Q);
		sim_run_dynamic(s, start + period);
	}
	assert_true(a_behind <= (double)Q + TOL_NS && a_ahead <= (double)Q * 2 / 3 + TOL_NS);
	assert_true(s->worst_behind <= 1.5 * Q && s->worst_ahead <= 1.5 * Q);
	print_message("sleeper: %.3f..%.3f ms per 100 ms awake (ideal %.3f); its lag %.3f ms behind, "
		      "%.3f ahead; the others' %.3f behind, %.3f ahead\n",
		      least / MS, most / MS, (double)awake / 3 / MS, a_behind / MS, a_ahead / MS,
		      s->worst_behind / MS, s->worst_ahead / MS);
	sim_free(s);
}

/* Asleep for 5 s while another ran alone: wakes with at most a slice of
 * credit, so in its first 100 ms back it gets its half plus at most Q. */
static void test_no_catch_up(void **state)
{
	struct sim *s = sim_new();
	unsigned a = sim_vm(s, 256, 0, 1);
	u64 t1, got_a;

	sim_vm(s, 256, 0, 1);
	sim_run_checked(s, fake_time_ns + 50 * MS);
	sim_sleep(s, a);
	sim_run_dynamic(s, fake_time_ns + 5000 * MS);
	sim_wake(s, a);
	assert_true(relative_lag_ns(s, a) <= (double)Q);
	t1 = fake_time_ns;
	got_a = s->got[a];
	sim_run_dynamic(s, t1 + 100 * MS);
	assert_true(s->got[a] - got_a <= 50 * MS + Q);
	sim_free(s);
}

/* A vCPU owed far more than a slice (its lag is that of the ideal CPU,
 * which a long history can make large) wakes with one slice of relative
 * credit, the rest forfeited; a debt is kept whole. */
static void test_wake_credit_limited(void **state)
{
	struct sim *s = sim_new();
	unsigned a = sim_vm(s, 256, 0, 1), b = sim_vm(s, 1024, 0, 1);
	u64 t1, got_a;

	sim_sleep(s, a);
	sim_run_dynamic(s, fake_time_ns + 30 * MS);
	s->se[a].lag = (s64)(5000 * MS) << SCHED_LAG_SHIFT;
	sim_wake(s, a);
	assert_true(relative_lag_ns(s, a) <= (double)Q && relative_lag_ns(s, a) > (double)Q - 1);
	t1 = fake_time_ns;
	got_a = s->got[a];
	while (fake_time_ns < t1 + 500 * MS)
		sim_step(s, t1 + 500 * MS);
	/* its fifth of 500 ms, plus the slice of credit, plus the bound */
	assert_true(s->got[a] - got_a <= 100 * MS + 2 * Q);
	assert_true(s->got[a] - got_a >= 100 * MS - Q);

	/* A debt: ineligible until the other has caught up. */
	sim_sleep(s, a);
	s->se[a].lag = -((s64)(200 * MS) << SCHED_LAG_SHIFT);
	sim_wake(s, a);
	t1 = fake_time_ns;
	while (fake_time_ns < t1 + 200 * MS)
		assert_int_equal(sim_step(s, t1 + 200 * MS), (int)b);

	/* Lags at the saturation limits: no overflow. */
	sim_sleep(s, a);
	s->se[a].lag = INT64_MAX;
	sim_wake(s, a);
	assert_true(relative_lag_ns(s, a) <= (double)Q);
	sim_sleep(s, a);
	s->se[a].lag = INT64_MIN;
	sim_wake(s, a);
	assert_int_equal(sim_step(s, UINT64_MAX), (int)b);
	sim_free(s);
}

/*
 * Random wakes and halts of 7 vCPUs in 3 VMs for 200 s, beside two VMs
 * that never halt. Lags are frozen while asleep and nobody else's moves
 * when a vCPU comes or goes, so the never-halting VMs' lags stay the ideal
 * CPU's exactly (check_matches_ideal) and do not drift: within their
 * relative lag plus their share of what the sleepers are owed. Relative
 * lags stay within 2Q (the fixed-set bound is Q; joins move them).
 */
static void test_churn(void **state)
{
	struct sim *s = sim_new();
	u64 t0 = fake_time_ns;

	srand(1234);
	sim_vm(s, 256, 0, 1);
	sim_vm(s, 1024, 0, 1);
	sim_vm(s, 128, 0, 2);
	sim_vm(s, 512, 0, 3);
	sim_vm(s, 64, 0, 1);
	while (fake_time_ns < t0 + 200000 * MS) {
		unsigned k = 2 + (unsigned)rand() % (s->nse - 2);
		u64 until = fake_time_ns + 1 + (u64)rand() % (3 * Q);

		if (s->runnable[k])
			sim_sleep(s, k);
		else
			sim_wake(s, k);
		sim_run_dynamic(s, until);
	}
	assert_true(s->worst_rel_behind <= 2.0 * Q && s->worst_rel_ahead <= 2.0 * Q);
	assert_true(s->worst_behind <= 3.0 * Q && s->worst_ahead <= 3.0 * Q);
	print_message("churn: never-halting VMs' worst lag %.3f ms behind, %.3f ahead; "
		      "worst relative lag %.3f behind, %.3f ahead\n",
		      s->worst_behind / MS, s->worst_ahead / MS, s->worst_rel_behind / MS, s->worst_rel_ahead / MS);
	sim_free(s);
}

/* --- caps -------------------------------------------------------------- */

/* Busy time of the tracked runs (in order, disjoint) before x. */
static u64 busy_before(const struct sim *s, u64 x)
{
	size_t lo = 0, hi = s->nruns;

	while (lo < hi) {		/* lo: runs starting before x */
		size_t mid = (lo + hi) / 2;
		if (s->run_start[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return 0;
	return s->run_cum[lo - 1] + MIN(s->run_end[lo - 1], x) - s->run_start[lo - 1];
}

/* The most the tracked group ran in any window of SCHED_CAP_WINDOW_NS:
 * the maximum is reached with a window edge on a run's edge. */
static u64 worst_window(const struct sim *s)
{
	u64 worst = 0;

	for (size_t i = 0; i < s->nruns; i++) {
		u64 a1 = s->run_start[i], a2 = s->run_end[i] - MIN(s->run_end[i], SCHED_CAP_WINDOW_NS);
		worst = MAX(worst, busy_before(s, a1 + SCHED_CAP_WINDOW_NS) - busy_before(s, a1));
		worst = MAX(worst, busy_before(s, a2 + SCHED_CAP_WINDOW_NS) - busy_before(s, a2));
	}
	return worst;
}

static void cap_budget_conserved(const struct sched_group *g)
{
	s64 sum = g->budget_ns;

	for (unsigned i = 0; i < g->refill_count; i++)
		sum += (s64)g->refill[(g->refill_first + i) % SCHED_CAP_REFILLS].ns;
	assert_true(sum == (s64)g->cap_ns);
}

/* Cap 25 alone on the CPU: at most 25 ms in any 100 ms window though the
 * CPU is otherwise idle; rq_pick returns NULL and the CPU idles until the
 * budget returns; over time it gets (nearly) its 25%. */
static void test_cap_idles(void **state)
{
	struct sim *s = sim_new();
	u64 t0 = fake_time_ns, idled = 0;
	unsigned a = sim_vm(s, 256, 25, 1);

	s->track = &s->g[a];
	while (fake_time_ns < t0 + 10000 * MS) {
		if (sim_step(s, UINT64_MAX) < 0)
			idled++;
		cap_budget_conserved(&s->g[a]);
	}
	assert_true(idled > 0);
	assert_true(worst_window(s) <= 25 * MS);
	assert_true(share(s, a, fake_time_ns - t0) > 0.245);
	assert_true(share(s, a, fake_time_ns - t0) <= 0.25 + (double)Q / 10000 / MS);
	print_message("cap 25 alone: %.4f of the CPU, worst window %.3f ms\n",
		      share(s, a, fake_time_ns - t0), (double)worst_window(s) / MS);
	sim_free(s);
}

/* A capped VM that exits every 37 us (many short runs: the return ring
 * fills and folds) still never exceeds its cap in any window. */
static void test_cap_short_runs(void **state)
{
	struct sim *s = sim_new();
	u64 t0 = fake_time_ns;
	unsigned a = sim_vm(s, 256, 30, 1);

	s->track = &s->g[a];
	s->run_max[a] = 37000;
	while (fake_time_ns < t0 + 2000 * MS) {
		sim_step(s, UINT64_MAX);
		cap_budget_conserved(&s->g[a]);
	}
	assert_true(worst_window(s) <= 30 * MS);
	assert_true(share(s, a, fake_time_ns - t0) > 0.27);
	print_message("cap 30, 37 us runs: %.4f of the CPU, worst window %.3f ms\n",
		      share(s, a, fake_time_ns - t0), (double)worst_window(s) / MS);
	sim_free(s);
}

/* Cap 25 on the heavier VM (its fair share would be 80%): it gets 25%,
 * the other VM all the rest, and the CPU never idles. The other VM's
 * slices end when the capped VM's budget returns, or it would lose up to
 * a slice per return (23%). */
static void test_cap_with_competitor(void **state)
{
	struct sim *s = sim_new();
	u64 t0 = fake_time_ns;
	unsigned a = sim_vm(s, 1024, 25, 1), b = sim_vm(s, 256, 0, 1);

	s->track = &s->g[a];
	while (fake_time_ns < t0 + 10000 * MS)
		sim_step(s, UINT64_MAX);
	assert_int_equal(s->idle_ns, 0);
	assert_true(worst_window(s) <= 25 * MS);
	print_message("cap 25 vs uncapped: %.4f %.4f\n", share(s, a, 10000 * MS), share(s, b, 10000 * MS));
	assert_true(share(s, a, 10000 * MS) > 0.24 && share(s, a, 10000 * MS) <= 0.25);
	assert_true(share(s, b, 10000 * MS) > 0.74);
	sim_free(s);
}

/* A cap above the fair share changes nothing; cap 150 on a 2-vCPU VM
 * on one CPU never binds. */
static void test_cap_not_binding(void **state)
{
	struct sim *s = sim_new();
	u64 t0 = fake_time_ns;
	unsigned a = sim_vm(s, 256, 60, 1), b = sim_vm(s, 256, 0, 1);
	unsigned c;

	sim_run_checked(s, t0 + 4000 * MS);
	assert_true(share(s, a, 4000 * MS) > 0.49 && share(s, b, 4000 * MS) > 0.49);
	sim_free(s);

	s = sim_new();
	t0 = fake_time_ns;
	c = sim_vm(s, 256, 150, 2);
	sim_run_checked(s, t0 + 2000 * MS);
	assert_int_equal(s->got[c] + s->got[c + 1], 2000 * MS);
	assert_int_equal(s->idle_ns, 0);
	sim_free(s);
}

/* Lowering a cap takes effect against what already ran in the window;
 * removing it lets the VM run flat out. */
static void test_cap_change(void **state)
{
	struct sim *s = sim_new();
	unsigned a = sim_vm(s, 256, 50, 1);
	u64 t1;

	while (fake_time_ns < 1000 * MS + 40 * MS)
		sim_step(s, UINT64_MAX);
	assert_int_equal(sched_group_set(&s->g[a], 256, 20), 0);
	assert_true(s->g[a].budget_ns < 0);		/* 40 ms ran, 20 allowed */
	cap_budget_conserved(&s->g[a]);
	assert_null(rq_pick(&s->rq, fake_time_ns, &(u64){ 0 }));
	assert_int_equal(sched_group_set(&s->g[a], 256, 0), 0);
	t1 = fake_time_ns;
	while (fake_time_ns < t1 + 500 * MS)
		sim_step(s, UINT64_MAX);
	assert_int_equal(s->idle_ns, 0);
	sim_free(s);
}

/* A vCPU dequeued without rq_account (a caller's slip) is charged its
 * whole reservation: the cap cannot be escaped that way. */
static void test_cap_dequeue_unaccounted(void **state)
{
	struct sim *s = sim_new();
	unsigned a = sim_vm(s, 256, 10, 1);
	u64 slice;

	assert_ptr_equal(rq_pick(&s->rq, fake_time_ns, &slice), &s->se[a]);
	assert_int_equal(slice, 10 * MS);
	sim_sleep(s, a);
	assert_int_equal(s->g[a].budget_ns, 0);
	cap_budget_conserved(&s->g[a]);
	sim_wake(s, a);
	assert_null(rq_pick(&s->rq, fake_time_ns, &slice));
	assert_int_equal(rq_next_wakeup(&s->rq, fake_time_ns), fake_time_ns - 10 * MS + SCHED_CAP_WINDOW_NS);
	sim_free(s);
}

/* --- several CPUs ------------------------------------------------------ */

/* Run queues are independent; a VM's weight is split over its runnable
 * vCPUs wherever they are queued: its vCPU on CPU 0 weighs 128 there, so
 * the other VM's 256 gets two thirds of CPU 0. */
static void test_two_runqueues(void **state)
{
	struct runqueue rq[2];
	struct sched_group ga, gb;
	struct sched_entity a0, a1, b0;
	u64 now = 0, got_a0 = 0, got_b0 = 0, slice;

	rq_init(&rq[0]);
	rq_init(&rq[1]);
	assert_int_equal(sched_group_init(&ga, 256, 0), 0);
	assert_int_equal(sched_group_init(&gb, 256, 0), 0);
	se_init(&a0, &ga);
	se_init(&a1, &ga);
	se_init(&b0, &gb);
	rq_enqueue(&rq[0], &a0, now);
	rq_enqueue(&rq[1], &a1, now);
	rq_enqueue(&rq[0], &b0, now);
	assert_int_equal(ga.nr_runnable, 2);
	rq_dequeue(&rq[0], &a1, now);		/* not on rq 0: ignored */
	assert_int_equal(ga.nr_runnable, 2);
	for (unsigned i = 0; i < 3000; i++) {
		struct sched_entity *se = rq_pick(&rq[0], now, &slice);
		assert_ptr_equal(rq_pick(&rq[1], now, &(u64){ 0 }), &a1);
		rq_account(&rq[1], &a1, slice, now + slice);
		now += slice;
		rq_account(&rq[0], se, slice, now);
		*(se == &a0 ? &got_a0 : &got_b0) += slice;
	}
	assert_true((double)got_a0 / (double)now > 0.32 && (double)got_a0 / (double)now < 0.345);
	assert_true((double)got_b0 / (double)now > 0.655);
	assert_int_equal(a1.runtime_ns, now);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_validation),
		cmocka_unit_test(test_empty_and_misuse),
		cmocka_unit_test(test_weights_1_2_4),
		cmocka_unit_test(test_heavy_among_light),
		cmocka_unit_test(test_short_runs),
		cmocka_unit_test(test_weight_extremes),
		cmocka_unit_test(test_overrun_paid_back),
		cmocka_unit_test(test_many_entities),
		cmocka_unit_test(test_many_equal),
		cmocka_unit_test(test_group_shares_weight),
		cmocka_unit_test(test_reweight),
		cmocka_unit_test(test_sleeper),
		cmocka_unit_test(test_no_catch_up),
		cmocka_unit_test(test_wake_credit_limited),
		cmocka_unit_test(test_churn),
		cmocka_unit_test(test_cap_idles),
		cmocka_unit_test(test_cap_short_runs),
		cmocka_unit_test(test_cap_with_competitor),
		cmocka_unit_test(test_cap_not_binding),
		cmocka_unit_test(test_cap_change),
		cmocka_unit_test(test_cap_dequeue_unaccounted),
		cmocka_unit_test(test_two_runqueues),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
