/*
 * A virtual machine: guest memory, I/O buses, devices and vCPUs. A VM can
 * be stopped and destroyed without disturbing the others.
 */
#ifndef KEEL_VMM_VM_H
#define KEEL_VMM_VM_H

#include "types.h"
#include "lib/spinlock.h"
#include "mm/gpa_map.h"
#include "vmm/core/io_bus.h"
#include "vmm/core/devices.h"
#include "vmm/core/vcpu.h"
#include "devices/ns16550.h"
#include "devices/i8254.h"
#include "devices/i8259.h"
#include "devices/mc146818.h"
#include "devices/vioapic.h"
#include "devices/acpi_pm.h"
#include "devices/pci_host.h"
#include "vmm/machine/virtio_vm.h"
#include "vmm/machine/layout.h"

#define VM_NAME_MAX 32
#define VM_MAX_VCPUS 16		/* vCPU i has APIC ID i; sets of vCPUs are u32 masks */
#define VM_CONSOLE_LINE 160
#define VM_MAX_VIRTIO 8		/* virtio functions: PCI slots 1-8 */

enum vm_state { VM_CREATED, VM_RUNNING, VM_STOPPED };

struct vm {
	char name[VM_NAME_MAX];
	unsigned id;
	enum vm_state state;
	struct spinlock lock;		/* its devices, console line and vCPU states */
	u32 affinity;			/* CPUs its vCPUs may run on (bit n = CPU n); 0 = any */
	bool paused;			/* the shell's pause: no vCPU is scheduled */
	u64 started_ns;			/* time_now_ns() when it was started */
	struct guest_clock clock;	/* the time its devices keep (devices/guest_clock.h) */
	struct machine_layout layout;	/* where its RAM and windows are */
	struct gpa_map mem;
	struct io_bus pio;
	struct io_bus mmio;
	u8 *io_bitmap;			/* 2 pages: ports 0-0x7fff, 0x8000-0xffff */
	u8 *msr_bitmap;			/* 1 page (SDM Vol 3 25.6.9) */
	struct sched_group sched;	/* weight and cap, shared by its vCPUs */
	struct vcpu *vcpus[VM_MAX_VCPUS];
	unsigned nvcpus;
	unsigned lowest_prio_next;	/* lowest-priority ties: where the round robin resumes */
	bool bsp_init_logged;		/* the guest sent its BSP an INIT (logged once) */

	/* The PC platform (vmm/machine/platform.c). */
	struct ns16550 uart;
	struct i8259 pic;
	struct i8254 pit;
	struct mc146818 rtc;
	struct vioapic ioapic;
	struct acpi_pm pm;
	struct pci_host pci;
	struct vm_devices devices;	/* every model above, by name (vmm/core/devices.c) */
	u64 timer_deadline_tsc;		/* earliest device timer, UINT64_MAX if none */
	bool timers_dirty;		/* a device was touched: recompute the deadline */
	struct virtio_slot *virtio[VM_MAX_VIRTIO];	/* disks and NICs (vmm/machine/virtio_vm.c) */
	unsigned nvirtio;

	bool console_off;		/* console = "none": the UART's output is dropped */
	char console_line[VM_CONSOLE_LINE];
	unsigned console_len;

	u64 scratch;			/* the test device's register */
	char stop_reason[128];
	u32 unclaimed_io_logged;	/* rate limit for unclaimed-port messages */
};

/* A VM with nvcpus (1..VM_MAX_VCPUS) vCPUs: vCPU 0 is the bootstrap
 * processor, the others wait for INIT-SIPI (VCPU_WAIT_SIPI). */
struct vm *vm_create(const char *name, u64 ram_size, unsigned nvcpus);
void vm_destroy(struct vm *vm);
/* Stop every vCPU of the VM and record why ("exit code 0", "triple fault at
 * RIP 0x..."); logs "vm NAME: stopped: REASON". The caller holds vm->lock;
 * vm_lock_and_stop() is for one that does not. */
void vm_stop(struct vm *vm, const char *fmt, ...) __printf(2, 3);
void vm_lock_and_stop(struct vm *vm, const char *fmt, ...) __printf(2, 3);
/* One byte of guest console output: lines go to the host console as
 * "NAME| text". */
void vm_console_putc(struct vm *vm, u8 ch);
void vm_console_flush(struct vm *vm);

/* A guest access to a range with IO_TOUCHES_* flags happened: the VM
 * recomputes its timers, its vCPUs look for interrupts, before the next
 * entry. */
void vm_io_touched(struct vm *vm, unsigned flags);

/*
 * A guest's access to the VM's port or MMIO space, as its exits make it
 * (size 1, 2, 4 or 8, which the exits guarantee): the device's ops, then
 * what the range says the access may have changed. 0, or -ENOENT when
 * nobody claims it. Inline: this is the exit path's dispatch.
 */
static inline int vm_bus_read(struct vm *vm, const struct io_bus *bus, u64 addr, unsigned size,
			      u64 *val)
{
	const struct io_range *r = io_bus_find(bus, addr, size);

	if (unlikely(!r))
		return -ENOENT;
	*val = io_range_read(r, addr, size);
	if (unlikely(r->flags))
		vm_io_touched(vm, r->flags);
	return 0;
}

static inline int vm_bus_write(struct vm *vm, const struct io_bus *bus, u64 addr, unsigned size,
			       u64 val)
{
	const struct io_range *r = io_bus_find(bus, addr, size);

	if (unlikely(!r))
		return -ENOENT;
	io_range_write(r, addr, size, val);
	if (unlikely(r->flags))
		vm_io_touched(vm, r->flags);
	return 0;
}

/* Exit-bitmap edits (bit set = exit). */
void vm_msr_intercept(struct vm *vm, u32 msr, bool read, bool write);

#endif
