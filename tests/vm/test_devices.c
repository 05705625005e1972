/*
 * A VM's device table (vmm/core/devices.c) over real VMs: every chip is
 * listed, the timer service walks it, and the device half of a snapshot
 * round-trips through vm_devices_save/load into another VM at a later host
 * time, the guest clock continuing where it stopped; a bad stream is
 * refused with the device named and nothing changed.
 */
#define _GNU_SOURCE	/* memmem */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/core/vm.h"
#include "vmm/machine/platform.h"
#include "lib/log.h"
#include "arch/cpu.h"
#include "arch/vmx.h"
#include "fake_hw.h"
#include "fake_mm.h"
#include "fake_kernel.h"

#define SNAP_MAX (64 * KiB)
#define LOCKED(vm, call) do { spin_lock(&(vm)->lock); call; spin_unlock(&(vm)->lock); } while (0)

static struct vm *a, *b;
static u8 *buf, *buf2;

static int setup(void **state)
{
	fake_mm_reset(16 * MiB);
	fake_console_reset();
	log_threshold = LOG_INFO;
	fake_time_ns = 5 * NSEC_PER_SEC;
	a = vm_create("a", 2 * MiB, 2);
	b = vm_create("b", 2 * MiB, 2);
	assert_non_null(a);
	assert_non_null(b);
	buf = calloc(1, SNAP_MAX);
	buf2 = calloc(1, SNAP_MAX);
	return 0;
}

static int teardown(void **state)
{
	vm_destroy(a);
	vm_destroy(b);
	free(buf);
	free(buf2);
	return 0;
}

static void out(struct vm *vm, u16 port, u8 val)
{
	int err;

	LOCKED(vm, err = vm_bus_write(vm, &vm->pio, port, 1, val));
	assert_int_equal(err, 0);
}

static u8 in(struct vm *vm, u16 port)
{
	u64 val = 0;
	int err;

	LOCKED(vm, err = vm_bus_read(vm, &vm->pio, port, 1, &val));
	assert_int_equal(err, 0);
	return (u8)val;
}

/* What a guest leaves behind: the PIT in mode 2 counting, the RTC's index
 * and a CMOS byte, the UART's scratch register and divisor, a byte in its
 * receive FIFO. */
static void program(struct vm *vm)
{
	out(vm, 0x43, 0x34);		/* channel 0, lobyte/hibyte, mode 2 */
	out(vm, 0x40, 0x9c);
	out(vm, 0x40, 0x2e);		/* 11932: about 100 Hz */
	out(vm, 0x70, 0x40);
	out(vm, 0x71, 0x5a);		/* CMOS RAM byte 0x40 */
	out(vm, 0x3ff, 0xa5);		/* scratch */
	LOCKED(vm, ns16550_rx_push(&vm->uart, 'k'));
	LOCKED(vm, vm_timers_run(vm));
}

static u16 pit_count(struct vm *vm)
{
	u8 lo;

	out(vm, 0x43, 0x00);		/* latch channel 0 */
	lo = in(vm, 0x40);
	return (u16)(lo | in(vm, 0x40) << 8);
}

static void test_every_chip_listed(void **state)
{
	static const char *const names[] = { "pic", "ioapic", "pit", "rtc", "acpi-pm", "pci", "com1",
					     "lapic0", "lapic1" };

	for (unsigned i = 0; i < ARRAY_SIZE(names); i++) {
		const struct vm_device *d = vm_device_find(a, names[i]);

		assert_non_null(d);
		assert_non_null(d->ops->save);
		assert_non_null(d->ops->load);
	}
	assert_null(vm_device_find(a, "lapic2"));
	assert_int_equal(vm_device_add(a, "pit", &i8254_dev_ops, &a->pit), -EEXIST);
	assert_int_equal(vm_device_add(a, "", &i8254_dev_ops, &a->pit), -EINVAL);
	assert_int_equal(vm_device_add(a, "a-name-far-too-long", &i8254_dev_ops, &a->pit), -EINVAL);
}

static u8 cmos(struct vm *vm, u8 index)
{
	out(vm, 0x70, index);
	return in(vm, 0x71);
}

/* The CMOS memory-size bytes a BIOS would leave, from the VM's layout:
 * 640 KiB base, 1 MiB above 1 MiB for a 2 MiB VM, nothing above 16 MiB
 * or 4 GiB, and a checksum over 0x10-0x2d that adds up. */
static void test_cmos_memory_size(void **state)
{
	unsigned sum = 0;

	assert_int_equal(cmos(a, 0x15) | cmos(a, 0x16) << 8, 640);
	assert_int_equal(cmos(a, 0x17) | cmos(a, 0x18) << 8, 1024);
	assert_int_equal(cmos(a, 0x30) | cmos(a, 0x31) << 8, 1024);
	assert_int_equal(cmos(a, 0x34) | cmos(a, 0x35) << 8, 0);
	assert_int_equal(cmos(a, 0x5b) | cmos(a, 0x5c) | cmos(a, 0x5d), 0);
	for (u8 i = 0x10; i <= 0x2d; i++)
		sum += cmos(a, i);
	assert_int_equal(cmos(a, 0x2e) << 8 | cmos(a, 0x2f), sum);
}

/* The timer service walks the table: the PIT's next edge is the VM's
 * deadline, in host TSC units through the guest clock. */
static void test_timers_walk_table(void **state)
{
	program(a);
	assert_int_not_equal(a->timer_deadline_tsc, UINT64_MAX);
	assert_true(a->timer_deadline_tsc == time_ns_to_tsc(i8254_next_deadline(&a->pit)));
	assert_false(a->timers_dirty);
}

/* Saved from a at 5 s, restored into b at 25 s of host time: b's clock
 * reads a's saved time, its devices hold a's state (the PIT's count, the
 * CMOS byte, the UART's FIFO), and b saves the same bytes a did. */
static void test_round_trip_later(void **state)
{
	int n, n2;
	u16 count;
	char why[128] = "";

	program(a);
	fake_time_ns += 1234567;		/* partway into a PIT period */
	count = pit_count(a);
	LOCKED(a, n = vm_devices_save(a, buf, SNAP_MAX));
	assert_true(n > 0);

	fake_time_ns += 20 * NSEC_PER_SEC;	/* later, on another host say */
	LOCKED(b, assert_int_equal(vm_devices_load(b, buf, (size_t)n, why, sizeof(why)), 0));
	assert_string_equal(why, "");
	assert_int_equal(guest_clock_now(&b->clock), guest_clock_now(&a->clock) - 20 * NSEC_PER_SEC);
	LOCKED(b, n2 = vm_devices_save(b, buf2, SNAP_MAX));
	assert_int_equal(n2, n);
	assert_memory_equal(buf, buf2, (size_t)n);
	assert_int_equal(pit_count(b), count);
	out(b, 0x70, 0x40);
	assert_int_equal(in(b, 0x71), 0x5a);
	assert_int_equal(in(b, 0x3ff), 0xa5);
	assert_int_equal(in(b, 0x3f8), 'k');
	assert_true(b->timers_dirty);		/* its deadline is recomputed */
}

/* A stream with a bad byte in one device's record: refused naming that
 * device; b is as it was. A stream from a VM with other devices: refused. */
static void test_refusals(void **state)
{
	const struct vm_device *pit = vm_device_find(a, "pit");
	struct vm *c = vm_create("c", 2 * MiB, 1);
	char why[128];
	int n, before, after;
	u8 *at;

	program(a);
	LOCKED(a, n = vm_devices_save(a, buf, SNAP_MAX));
	LOCKED(b, before = vm_devices_save(b, buf2, SNAP_MAX));
	/* The PIT's record: after its name in the stream. */
	at = memmem(buf, (size_t)n, "\x03pit", 4);
	assert_non_null(at);
	assert_non_null(pit);
	at[4 + 12] = 0xff;			/* channel 0's control word: reserved bits */
	LOCKED(b, assert_int_equal(vm_devices_load(b, buf, (size_t)n, why, sizeof(why)), -EINVAL));
	assert_true(strncmp(why, "pit: ", 5) == 0);
	LOCKED(b, after = vm_devices_save(b, buf + SNAP_MAX / 2, SNAP_MAX / 2));
	assert_int_equal(after, before);
	assert_memory_equal(buf2, buf + SNAP_MAX / 2, (size_t)before);
	/* Truncated anywhere: refused. */
	LOCKED(a, n = vm_devices_save(a, buf, SNAP_MAX));
	for (int len = 0; len < n; len += 7)
		LOCKED(b, assert_int_not_equal(vm_devices_load(b, buf, (size_t)len, why, sizeof(why)), 0));
	/* Another VM's devices (one vCPU, so no lapic1): refused. */
	assert_non_null(c);
	LOCKED(c, assert_int_equal(vm_devices_load(c, buf, (size_t)n, why, sizeof(why)), -EINVAL));
	assert_non_null(strstr(why, "not this VM's"));
	vm_destroy(c);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_every_chip_listed),
		T(test_cmos_memory_size),
		T(test_timers_walk_table),
		T(test_round_trip_later),
		T(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
