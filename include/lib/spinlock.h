/*
 * Spin locks for Keel's few shared structures (the scheduler, each VM's
 * devices, the console, the allocators). Keel runs with interrupts off
 * except while idle in HLT and for the instant an external-interrupt exit
 * lets the host handler run, and no interrupt handler takes a lock, so a
 * plain test-and-test-and-set lock suffices: no interrupt state to save.
 */
#ifndef KEEL_LIB_SPINLOCK_H
#define KEEL_LIB_SPINLOCK_H

#include "types.h"
#include "arch/hw.h"

struct spinlock {
	u32 locked;
};

#define SPINLOCK_INIT { 0 }

static inline bool spin_trylock(struct spinlock *l)
{
	return !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);
}

static inline void spin_lock(struct spinlock *l)
{
	while (!spin_trylock(l))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			cpu_relax();
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

static inline bool spin_is_locked(const struct spinlock *l)
{
	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED);
}

/* A full barrier: stores before it are visible before loads after it
 * (x86 otherwise lets a load pass an earlier store, SDM Vol 3 9.2.2). */
static inline void smp_mb(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

#endif
