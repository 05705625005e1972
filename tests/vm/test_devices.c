/*
 * A VM's device table (vmm/core/devices.c) over real VMs: every chip is
 * listed, the timer service walks it, and the device half of a snapshot
 * round-trips through vm_devices_save/load into another VM at a later host
 * time, the guest clock continuing where it stopped; a bad stream is
 * refused with the device named and nothing changed. The virtio slots
 * too: a disk with a driver that moved its BAR and read from it, and a
 * NIC, restored into a twin VM that goes on where the first stopped.
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
#include "vmm/machine/virtio_vm.h"
#include "devices/virtio_blk.h"
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

/* --- virtio slots ------------------------------------------------------------ */

#define DISK_SIZE	(64 * KiB)
#define VD_DEVFN	0x08			/* vd0: PCI slot 1 */
#define VD_BAR_MOVED	(PC_VIRTIO_BAR_BASE + 0x90000)
#define QSIZE		16
#define RING		0x100000ull		/* descriptor table, in guest RAM */
#define AVAIL		(RING + 0x400)
#define USED		(RING + 0x800)
#define REQ		(RING + 0x1000)		/* header, data and status of request i */

/* Common configuration registers (virtio 1.2 4.1.4.3). */
enum { GFSELECT = 0x08, GF = 0x0c, STATUS = 0x14, Q_SELECT = 0x16, Q_SIZE = 0x18,
       Q_ENABLE = 0x1c, Q_DESC = 0x20, Q_DRIVER = 0x28, Q_DEVICE = 0x30 };

static u8 image_a[DISK_SIZE], image_b[DISK_SIZE];
static const u8 nic_mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };

/* a and b, each with a disk over an image of the same bytes and a NIC
 * with the same address, on switches of their own. */
static int setup_virtio(void **state)
{
	setup(state);
	for (unsigned i = 0; i < DISK_SIZE; i++)
		image_a[i] = image_b[i] = (u8)(i / 512 * 13 + i);
	assert_int_equal(vm_add_disk(a, image_a, DISK_SIZE, false, 0), 0);
	assert_int_equal(vm_add_disk(b, image_b, DISK_SIZE, false, 0), 0);
	assert_int_equal(vm_add_nic(a, "snap-a", nic_mac, 0), 0);
	assert_int_equal(vm_add_nic(b, "snap-b", nic_mac, 0), 0);
	return 0;
}

static void out32(struct vm *vm, u16 port, u32 val)
{
	int err;

	LOCKED(vm, err = vm_bus_write(vm, &vm->pio, port, 4, val));
	assert_int_equal(err, 0);
}

/* A dword of vd0's configuration space, through the host bridge. */
static void vd_cfg_write(struct vm *vm, unsigned reg, u32 val)
{
	out32(vm, 0xcf8, 0x80000000u | VD_DEVFN << 8 | reg);
	out32(vm, 0xcfc, val);
}

static int mmio_write(struct vm *vm, u64 addr, unsigned size, u64 val)
{
	int err;

	LOCKED(vm, err = vm_bus_write(vm, &vm->mmio, addr, size, val));
	return err;
}

static int mmio_read(struct vm *vm, u64 addr, unsigned size, u64 *val)
{
	int err;

	LOCKED(vm, err = vm_bus_read(vm, &vm->mmio, addr, size, val));
	return err;
}

static void cc_write(struct vm *vm, unsigned off, unsigned size, u64 val)
{
	assert_int_equal(mmio_write(vm, VD_BAR_MOVED + off, size, val), 0);
}

static void ram_put(struct vm *vm, u64 gpa, u64 val, unsigned size)
{
	assert_int_equal(gpa_write(&vm->mem, gpa, &val, size), 0);
}

static u64 ram_get(struct vm *vm, u64 gpa, unsigned size)
{
	u64 val = 0;

	assert_int_equal(gpa_read(&vm->mem, gpa, &val, size), 0);
	return val;
}

/* What a guest's virtio-blk driver leaves: BAR0 moved, bus mastering on,
 * VERSION_1 negotiated, queue 0 of QSIZE enabled, DRIVER_OK. */
static void vd_driver_init(struct vm *vm)
{
	vd_cfg_write(vm, PCI_BAR0, (u32)VD_BAR_MOVED | PCI_BAR_MEM64);
	vd_cfg_write(vm, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	cc_write(vm, STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	cc_write(vm, GFSELECT, 4, 1);
	cc_write(vm, GF, 4, 1);					/* VERSION_1 */
	cc_write(vm, STATUS, 1, 0x0b);				/* + FEATURES_OK */
	cc_write(vm, Q_SELECT, 2, 0);
	cc_write(vm, Q_SIZE, 2, QSIZE);
	cc_write(vm, Q_DESC, 8, RING);
	cc_write(vm, Q_DRIVER, 8, AVAIL);
	cc_write(vm, Q_DEVICE, 8, USED);
	cc_write(vm, Q_ENABLE, 2, 1);
	cc_write(vm, STATUS, 1, 0x0f);				/* + DRIVER_OK */
}

/*
 * Request i (the driver's i-th): read sector into its own buffer, three
 * descriptors from 3i, published as available entry i, and the kick.
 * Returns the buffer's guest address.
 */
static u64 vd_read(struct vm *vm, unsigned i, u64 sector)
{
	u64 hdr = REQ + i * 0x400, data = hdr + 0x100, status = hdr + 0x300;
	u64 d = RING + 16 * (3 * i % QSIZE);

	ram_put(vm, hdr, VIRTIO_BLK_T_IN, 8);
	ram_put(vm, hdr + 8, sector, 8);
	ram_put(vm, status, 0xee, 1);
	ram_put(vm, d, hdr, 8);
	ram_put(vm, d + 8, 16 | (u64)VIRTQ_DESC_F_NEXT << 32 | (u64)(3 * i + 1) << 48, 8);
	ram_put(vm, d + 16, data, 8);
	ram_put(vm, d + 24, 512 | (u64)(VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE) << 32 |
			     (u64)(3 * i + 2) << 48, 8);
	ram_put(vm, d + 32, status, 8);
	ram_put(vm, d + 40, 1 | (u64)VIRTQ_DESC_F_WRITE << 32, 8);
	ram_put(vm, AVAIL + 4 + 2 * (i % QSIZE), 3 * i, 2);
	ram_put(vm, AVAIL + 2, i + 1, 2);
	assert_int_equal(mmio_write(vm, VD_BAR_MOVED + VIRTIO_PCI_NOTIFY, 2, 0), 0);
	assert_int_equal(ram_get(vm, status, 1), VIRTIO_BLK_S_OK);
	return data;
}

/* The guest memory the driver used, a to b: the memory half of a snapshot. */
static void copy_rings(void)
{
	u8 page[0x1000];

	for (u64 gpa = RING; gpa < REQ + 0x1000; gpa += sizeof(page)) {
		assert_int_equal(gpa_read(&a->mem, gpa, page, sizeof(page)), 0);
		assert_int_equal(gpa_write(&b->mem, gpa, page, sizeof(page)), 0);
	}
}

/* a's disk, read once and its BAR moved, restored into b: the same bytes
 * saved again, BAR0 where a's guest put it, and the next request taken
 * from the next available entry into the next used one. */
static void test_virtio_round_trip(void **state)
{
	char why[128] = "";
	u64 data, val;
	int n, n2;

	vd_driver_init(a);
	data = vd_read(a, 0, 1);
	assert_int_equal(ram_get(a, data, 8), *(u64 *)(image_a + 512));
	LOCKED(a, n = vm_devices_save(a, buf, SNAP_MAX));
	assert_true(n > 0);
	assert_non_null(memmem(buf, (size_t)n, "\x03vd0VSLT", 8));
	assert_non_null(memmem(buf, (size_t)n, "\x04" "eth0VSLT", 9));
	copy_rings();
	LOCKED(b, assert_int_equal(vm_devices_load(b, buf, (size_t)n, why, sizeof(why)), 0));
	assert_string_equal(why, "");
	LOCKED(b, n2 = vm_devices_save(b, buf2, SNAP_MAX));
	assert_int_equal(n2, n);
	assert_memory_equal(buf, buf2, (size_t)n);

	assert_int_equal(mmio_read(b, VD_BAR_MOVED + STATUS, 1, &val), 0);
	assert_int_equal(val, 0x0f);
	assert_int_equal(mmio_read(b, PC_VIRTIO_BAR_BASE + 0x10000 + STATUS, 1, &val), -ENOENT);
	data = vd_read(b, 1, 2);
	assert_int_equal(ram_get(b, USED + 2, 2), 2);
	assert_int_equal(ram_get(b, USED + 4 + 8, 4), 3);		/* used entry 1: head 3 */
	assert_int_equal(ram_get(b, data, 8), *(u64 *)(image_b + 2 * 512));
	assert_int_equal(ram_get(a, USED + 2, 2), 1);
	assert_int_equal(b->virtio[0]->blk.dev.state.requests, 2);
}

/* The record of the slot named name in the stream buf[0, n): its bytes
 * after the name, *len their length. */
static u8 *slot_record(u8 *stream, int n, const char *name, size_t *len)
{
	char key[8];
	u8 *at;
	u32 tag;
	u16 version;

	key[0] = (char)strlen(name);
	memcpy(key + 1, name, strlen(name));
	at = memmem(stream, (size_t)n, key, 1 + strlen(name));
	assert_non_null(at);
	at += 1 + strlen(name);
	assert_int_equal(snap_peek(at, (size_t)(stream + n - at), &tag, &version, len), 0);
	return at;
}

/*
 * A corrupt virtio record: refused naming the slot, b as it was. A slot
 * checks both its records before it applies either: a good transport
 * record with a bad device record changes nothing. A disk's record does
 * not load into a NIC, nor a NIC's into a disk.
 */
static void test_virtio_refusals(void **state)
{
	const struct vm_device *vd = vm_device_find(b, "vd0"), *eth = vm_device_find(b, "eth0");
	char why[128];
	const char *reason;
	size_t vd_len, eth_len, tlen;
	u8 *vd_rec, *eth_rec;
	u32 tag;
	u16 version;
	int n, before, after;

	vd_driver_init(a);
	vd_read(a, 0, 1);
	LOCKED(a, n = vm_devices_save(a, buf, SNAP_MAX));
	LOCKED(b, before = vm_devices_save(b, buf2, SNAP_MAX));
	vd_rec = slot_record(buf, n, "vd0", &vd_len);
	eth_rec = slot_record(buf, n, "eth0", &eth_len);
	assert_int_equal(snap_peek(vd_rec + SNAP_HDR_LEN, vd_len - SNAP_HDR_LEN, &tag, &version, &tlen), 0);
	assert_int_equal(tag, VIRTIO_PCI_SNAP_TAG);

	/* Into another kind of slot: refused by its ops, either way. */
	LOCKED(b, assert_int_equal(eth->ops->load(eth->dev, vd_rec, vd_len, false, &reason), -EINVAL));
	LOCKED(b, assert_int_equal(vd->ops->load(vd->dev, eth_rec, eth_len, false, &reason), -EINVAL));

	/* The disk's record broken (negotiated: a feature no disk offers),
	 * its transport record good: the slot takes neither. */
	vd_rec[SNAP_HDR_LEN + tlen + SNAP_HDR_LEN + 5 * 8 + 7] = 0x80;
	LOCKED(b, assert_int_equal(vd->ops->load(vd->dev, vd_rec, vd_len, true, &reason), -EINVAL));
	assert_non_null(strstr(reason, "this disk offers"));
	LOCKED(b, assert_int_equal(vm_devices_load(b, buf, (size_t)n, why, sizeof(why)), -EINVAL));
	assert_true(strncmp(why, "vd0: ", 5) == 0);
	LOCKED(b, after = vm_devices_save(b, buf + SNAP_MAX / 2, SNAP_MAX / 2));
	assert_int_equal(after, before);
	assert_memory_equal(buf2, buf + SNAP_MAX / 2, (size_t)before);

	/* The transport's record broken: its vendor ID. */
	LOCKED(a, n = vm_devices_save(a, buf, SNAP_MAX));
	vd_rec = slot_record(buf, n, "vd0", &vd_len);
	vd_rec[2 * SNAP_HDR_LEN] ^= 1;
	LOCKED(b, assert_int_equal(vm_devices_load(b, buf, (size_t)n, why, sizeof(why)), -EINVAL));
	assert_string_equal(why, "vd0: a read-only bit of the function's configuration space is not this device's");
	LOCKED(b, after = vm_devices_save(b, buf + SNAP_MAX / 2, SNAP_MAX / 2));
	assert_memory_equal(buf2, buf + SNAP_MAX / 2, (size_t)before);
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
		cmocka_unit_test_setup_teardown(test_virtio_round_trip, setup_virtio, teardown),
		cmocka_unit_test_setup_teardown(test_virtio_refusals, setup_virtio, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
