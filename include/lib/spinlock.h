/*
 * Spin locks for Keel's few shared structures (the scheduler, each VM's
 * devices, the console, the allocators). Keel runs with interrupts off
 * except while idle in HLT and for the instant an external-interrupt exit
 * lets the host handler run, and no interrupt handler takes a lock, so a
 * plain test-and-test-and-set lock suffices: no interrupt state to save.
 *
 * Lock rules that comments state ("called with the VM's lock held") are
 * asserted with spin_assert_held() in debug builds (make KEEL_DEBUG=1)
 * and in host tests, where a lock also records the CPU holding it; in
 * the production build the assertion costs nothing.
 */
#ifndef KEEL_LIB_SPINLOCK_H
#define KEEL_LIB_SPINLOCK_H

#include "types.h"
#include "arch/hw.h"

#if defined(KEEL_DEBUG) || defined(KEEL_HOST_TEST)
#define SPINLOCK_CHECKS 1
#endif

struct spinlock {
	u32 locked;
#ifdef SPINLOCK_CHECKS
	u32 owner;		/* the holder's CPU number + 1; 0 when free */
#endif
};

#define SPINLOCK_INIT { 0 }

#ifdef SPINLOCK_CHECKS
/* The calling CPU's number (arch/x86_64/cpu.c; the host tests' fake CPU). */
unsigned spin_cpu_id(void);
__noreturn void panic(const char *fmt, ...) __printf(1, 2);
#endif

static inline bool spin_trylock(struct spinlock *l)
{
	bool got = !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);

#ifdef SPINLOCK_CHECKS
	if (got)
		l->owner = spin_cpu_id() + 1;
#endif
	return got;
}

static inline void spin_lock(struct spinlock *l)
{
	while (!spin_trylock(l))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			cpu_relax();
}

static inline void spin_unlock(struct spinlock *l)
{
#ifdef SPINLOCK_CHECKS
	l->owner = 0;
#endif
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

static inline bool spin_is_locked(const struct spinlock *l)
{
	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED);
}

/* A function's rule "called with l held": checked where checks are built. */
#ifdef SPINLOCK_CHECKS
#define spin_assert_held(l)							\
	do {									\
		const struct spinlock *__l = (l);				\
		if (!spin_is_locked(__l) || __l->owner != spin_cpu_id() + 1)	\
			panic("%s: %s must be held by this CPU", __func__, #l);	\
	} while (0)
#else
#define spin_assert_held(l) do { (void)(l); } while (0)
#endif

/* A full barrier: stores before it are visible before loads after it
 * (x86 otherwise lets a load pass an earlier store, SDM Vol 3 9.2.2). */
static inline void smp_mb(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

#endif
