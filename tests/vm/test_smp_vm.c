/*
 * Host tests for what SMP adds around a VM: which host CPU a wake-up
 * kicks (vmm/machine/platform.c vcpu_kick, vmm/core/vm.c vm_stop), and frames for a VM
 * whose lock another CPU holds waiting in its NIC's inbox until the VM
 * drains it (vmm/machine/virtio_vm.c), so that two VMs sending to each other
 * never wait for each other's lock. One real CPU runs the test: "another
 * CPU holds the lock" is the test taking it; kicks are counted by
 * tests/unit/fake_kernel.c's smp_kick.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "vmm/core/vm.h"
#include "vmm/core/intr.h"
#include "vmm/machine/virtio_vm.h"
#include "arch/cpu.h"
#include "arch/vmx.h"
#include "lib/log.h"
#include "fake_hw.h"
#include "fake_mm.h"
#include "fake_kernel.h"

extern unsigned fake_kicks;		/* tests/unit/fake_kernel.c */
extern unsigned cpu_count;

static struct vm *a, *b;
static const u8 mac_a[6] = { 0x52, 0x54, 0, 0, 0, 0xa }, mac_b[6] = { 0x52, 0x54, 0, 0, 0, 0xb };

static int setup(void **state)
{
	fake_mm_reset(16 * MiB);
	fake_console_reset();
	log_threshold = LOG_INFO;
	a = vm_create("a", 2 * MiB, 2);
	b = vm_create("b", 2 * MiB, 1);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(vm_add_nic(a, "t0", mac_a, 0), 0);
	assert_int_equal(vm_add_nic(b, "t0", mac_b, 0), 0);
	a->state = b->state = VM_RUNNING;
	for (unsigned i = 0; i < a->nvcpus; i++)
		a->vcpus[i]->running_cpu = -1;
	b->vcpus[0]->running_cpu = -1;
	cpu_count = 2;
	memset(percpus, 0, sizeof(percpus));
	fake_kicks = 0;
	return 0;
}

static int teardown(void **state)
{
	vm_destroy(a);
	vm_destroy(b);
	cpu_count = 1;
	return 0;
}

/* A frame from a to b (broadcast: the switch floods it to b). */
static void send_a_to_b(unsigned n)
{
	u8 frame[64] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	memcpy(frame + 6, mac_a, 6);
	frame[12] = 0x08;
	spin_lock(&a->lock);			/* a's exit sends, with a's lock */
	for (unsigned i = 0; i < n; i++) {
		struct net_port *port = &a->virtio[0]->net.wiring.port;
		net_port_send(port, frame, sizeof(frame));
	}
	spin_unlock(&a->lock);
}

/* Another CPU (1) takes b's lock, as b's vCPU running there would; the
 * test then acts as that CPU until it lets go. */
static void cpu1_locks_b(void)
{
	fake_cpu_id = 1;
	spin_lock(&b->lock);
	fake_cpu_id = 0;
}

static void cpu1_drains_b_and_unlocks(void)
{
	fake_cpu_id = 1;
	vm_virtio_drain(b);
	spin_unlock(&b->lock);
	fake_cpu_id = 0;
}

static void drain_b(void)
{
	spin_lock(&b->lock);
	vm_virtio_drain(b);
	spin_unlock(&b->lock);
}

static u64 b_rx_dropped(void)
{
	return b->virtio[0]->net.state.stats.rx_dropped;
}

/* b's lock free: the frame goes straight into b's NIC (no receive queue
 * is set up, so the device counts it dropped at once). */
static void test_frame_goes_straight_in(void **state)
{
	b->timers_dirty = false;
	send_a_to_b(1);
	assert_int_equal(b_rx_dropped(), 1);
	assert_false(b->timers_dirty);
	assert_false(spin_is_locked(&b->lock));
}

/* b's lock held elsewhere: the frame waits, b is told to look (its home
 * CPU kicked), and draining with the lock delivers it; nothing is lost
 * or counted twice. */
static void test_busy_vm_gets_frame_later(void **state)
{
	b->vcpus[0]->thread.home_cpu = 1;
	cpu1_locks_b();
	b->timers_dirty = false;
	send_a_to_b(1);
	assert_int_equal(b_rx_dropped(), 0);		/* not in the device yet */
	assert_true(b->timers_dirty);
	assert_int_equal(fake_kicks, 1);
	cpu1_drains_b_and_unlocks();
	assert_int_equal(b_rx_dropped(), 1);
	drain_b();					/* empty now: nothing more */
	assert_int_equal(b_rx_dropped(), 1);
}

/* More frames than the inbox holds while b is busy: the overflow is
 * counted as dropped on b's NIC, the rest delivered: all 40 accounted. */
static void test_inbox_overflow_is_counted(void **state)
{
	cpu1_locks_b();
	send_a_to_b(40);
	assert_int_equal(b_rx_dropped(), 0);
	cpu1_drains_b_and_unlocks();
	assert_int_equal(b_rx_dropped(), 40);
}

/* A VM sending to itself holds its own lock: the frame waits too (a
 * second NIC of a on the same switch). */
static void test_send_to_self_does_not_deadlock(void **state)
{
	static const u8 mac_a2[6] = { 0x52, 0x54, 0, 0, 0, 0xc };
	u8 frame[64] = { 0 };

	assert_int_equal(vm_add_nic(a, "t0", mac_a2, 1), 0);
	memcpy(frame, mac_a2, 6);
	memcpy(frame + 6, mac_a, 6);
	spin_lock(&a->lock);				/* as a's own exit would */
	net_port_send(&a->virtio[0]->net.wiring.port, frame, 64);
	assert_int_equal(a->virtio[1]->net.state.stats.rx_dropped, 0);
	vm_virtio_drain(a);
	spin_unlock(&a->lock);
	assert_int_equal(a->virtio[1]->net.state.stats.rx_dropped, 1);
}

/* A device wakes a vCPU with its VM's lock held. */
static void kick(struct vcpu *v)
{
	spin_lock(&v->vm->lock);
	vcpu_kick(v);
	spin_unlock(&v->vm->lock);
}

/* An interrupt for a vCPU running on another CPU kicks that CPU (it must
 * leave the guest to take it); for one asleep on an idle CPU, its home. */
static void test_kick_targets(void **state)
{
	struct vcpu *v = a->vcpus[1];

	v->running_cpu = 1;
	kick(v);
	assert_int_equal(fake_kicks, 1);
	assert_true(v->irq_check);

	v->running_cpu = -1;
	v->state = VCPU_RUNNABLE;
	v->thread.home_cpu = 1;
	percpus[1].idle = false;
	kick(v);					/* its CPU is busy: it will pick it */
	assert_int_equal(fake_kicks, 1);
	percpus[1].idle = true;
	kick(v);
	assert_int_equal(fake_kicks, 2);

	v->state = VCPU_HALTED;				/* nothing pending: stays asleep */
	kick(v);
	assert_int_equal(v->state, VCPU_HALTED);
	assert_int_equal(fake_kicks, 2);
}

/* Stopping a VM pulls its running vCPUs out of their guests. */
static void test_stop_kicks_running_vcpus(void **state)
{
	a->vcpus[0]->running_cpu = 1;
	a->vcpus[1]->running_cpu = -1;
	vm_lock_and_stop(a, "test");
	assert_int_equal(fake_kicks, 1);
	assert_int_equal(a->vcpus[0]->state, VCPU_STOPPED);
	assert_int_equal(a->vcpus[1]->state, VCPU_STOPPED);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_frame_goes_straight_in),
		T(test_busy_vm_gets_frame_later),
		T(test_inbox_overflow_is_counted),
		T(test_send_to_self_does_not_deadlock),
		T(test_kick_targets),
		T(test_stop_kicks_running_vcpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
