/*
 * Placement and balancing by load (sched/balance.c) over the policy's own
 * run queues (sched/policy_eevdf.c) and a fake clock: where new threads go,
 * and which thread an under-loaded CPU takes over.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "sched/balance.h"

#define NCPUS 4

static struct runqueue rqs[NCPUS];
static struct sched_group groups[8];
static struct sched_entity ents[8];
static u64 now;
static unsigned refused_cpu = ~0u;	/* may_take refuses this CPU */
static const struct sched_entity *refused_se;

static bool may_take(const struct sched_entity *se, unsigned cpu, void *ctx)
{
	return cpu != refused_cpu && se != refused_se;
}

static int setup(void **state)
{
	memset(ents, 0, sizeof(ents));
	for (unsigned c = 0; c < NCPUS; c++)
		rq_init(&rqs[c]);
	now = 1000000;
	refused_cpu = ~0u;
	refused_se = NULL;
	return 0;
}

/* Thread i of a group of weight w, queued on cpu. */
static struct sched_entity *queue(unsigned i, u32 w, unsigned cpu)
{
	assert_int_equal(sched_group_init(&groups[i], w, 0), 0);
	se_init(&ents[i], &groups[i]);
	rq_enqueue(&rqs[cpu], &ents[i], now);
	return &ents[i];
}

/* Run the balancing step of cpu, moving what it says, as sched/sched.c does. */
static struct sched_entity *balance(unsigned cpu, unsigned ncpus)
{
	unsigned from = ~0u;
	struct sched_entity *se = balance_steal(rqs, ncpus, cpu, may_take, NULL, &from);

	if (se) {
		assert_true(from < ncpus && from != cpu);
		assert_ptr_equal(se->rq, &rqs[from]);
		rq_dequeue(&rqs[from], se, now);
		rq_enqueue(&rqs[cpu], se, now);
	}
	return se;
}

static void test_pick_home(void **state)
{
	unsigned homed[NCPUS] = { 2, 1, 1, 3 };

	assert_int_equal(balance_pick_home(homed, NCPUS, 0), 1);		/* fewest, lowest */
	assert_int_equal(balance_pick_home(homed, NCPUS, BIT(0) | BIT(3)), 0);
	assert_int_equal(balance_pick_home(homed, NCPUS, BIT(3)), 3);	/* pinned */
	assert_int_equal(balance_pick_home(homed, 1, 0), 0);		/* one CPU online */
	assert_int_equal(balance_pick_home(homed, 2, BIT(3)), 0);		/* none allowed online */
}

/* A group's weight is shared by its runnable threads. */
static void test_loads(void **state)
{
	queue(0, 256, 0);
	queue(1, 1024, 0);
	assert_int_equal(balance_se_load(&ents[0]), 256 * 256);
	assert_int_equal(balance_rq_load(&rqs[0]), (256 + 1024) * 256);
	se_init(&ents[2], &groups[1]);			/* a second vCPU of the same VM */
	rq_enqueue(&rqs[1], &ents[2], now);
	assert_int_equal(balance_se_load(&ents[1]), 1024 * 256 / 2);
	assert_int_equal(balance_rq_load(&rqs[1]), 1024 * 256 / 2);
}

/* Weights 1:2:4 all on CPU 0 of two: CPU 1 takes the 4, then nothing moves
 * again (4 alone against 1+2 is the closest whole threads get). */
static void test_weights_1_2_4(void **state)
{
	queue(0, 1, 0);
	queue(1, 2, 0);
	struct sched_entity *w4 = queue(2, 4, 0);

	assert_ptr_equal(balance(1, 2), w4);
	for (unsigned round = 0; round < 4; round++) {
		assert_null(balance(0, 2));
		assert_null(balance(1, 2));
	}
	assert_int_equal(rqs[0].nr_queued, 2);
	assert_int_equal(rqs[1].nr_queued, 1);
}

/* Equal weights spread one per CPU; a move that would not narrow the gap
 * (two equal threads against one) is not made. */
static void test_equal_spread(void **state)
{
	for (unsigned i = 0; i < 3; i++)
		queue(i, 256, 0);
	assert_non_null(balance(1, 2));
	assert_null(balance(1, 2));		/* 1 vs 2: taking one more would invert it */
	assert_null(balance(0, 2));
	assert_int_equal(rqs[0].nr_queued, 2);
	assert_int_equal(rqs[1].nr_queued, 1);
}

/* Never the thread the busy CPU picked, never its only one, never one the
 * caller refuses (affinity, state held by another CPU). */
static void test_what_stays(void **state)
{
	u64 slice;
	struct sched_entity *picked;

	queue(0, 256, 0);
	assert_null(balance(1, 2));		/* the only one */
	queue(1, 256, 0);
	picked = rq_pick(&rqs[0], now, &slice);
	assert_non_null(picked);
	assert_ptr_not_equal(balance(1, 2), picked);
	setup(NULL);
	queue(0, 256, 0);
	queue(1, 256, 0);
	refused_cpu = 1;
	assert_null(balance(1, 2));
	refused_cpu = ~0u;
	refused_se = &ents[0];
	assert_ptr_equal(balance(1, 2), &ents[1]);
}

/* The most loaded of several CPUs gives, not just the first one found. */
static void test_takes_from_busiest(void **state)
{
	queue(0, 100, 0);
	queue(1, 100, 1);
	queue(2, 300, 1);
	queue(3, 200, 2);
	/* CPU 1 (400) gives its heaviest that narrows the gap: 300 < 400 - 0. */
	assert_ptr_equal(balance(3, NCPUS), &ents[2]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_pick_home, setup),
		cmocka_unit_test_setup(test_loads, setup),
		cmocka_unit_test_setup(test_weights_1_2_4, setup),
		cmocka_unit_test_setup(test_equal_spread, setup),
		cmocka_unit_test_setup(test_what_stays, setup),
		cmocka_unit_test_setup(test_takes_from_busiest, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
