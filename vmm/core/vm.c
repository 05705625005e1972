/*
 * VM objects: creation with guest RAM, bitmaps, platform devices and its
 * vCPUs; the console; stopping and destroying without touching other VMs.
 */
#include "vmm/core/vm.h"
#include "vmm/core/vcpu_setup.h"
#include "vmm/core/intr.h"
#include "vmm/machine/platform.h"
#include "vmm/mgmt/console.h"
#include "arch/msr.h"
#include "arch/vmx.h"
#include "mm/mm.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"

static unsigned next_vm_id;

void vm_msr_intercept(struct vm *vm, u32 msr, bool read, bool write)
{
	vmx_msr_bitmap_set(vm->msr_bitmap, msr, read, write);
}

static void vm_setup_bitmaps(struct vm *vm)
{
	static const u32 passthrough[] = {
		MSR_IA32_FS_BASE, MSR_IA32_GS_BASE, MSR_IA32_KERNEL_GS_BASE,
		MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
		MSR_IA32_STAR, MSR_IA32_LSTAR, MSR_IA32_CSTAR, MSR_IA32_FMASK, MSR_IA32_TSC_AUX,
	};

	memset(vm->io_bitmap, 0xff, 2 * PAGE_SIZE);	/* every port exits */
	memset(vm->msr_bitmap, 0xff, PAGE_SIZE);	/* every MSR exits ... */
	for (unsigned i = 0; i < ARRAY_SIZE(passthrough); i++)
		vm_msr_intercept(vm, passthrough[i], false, false);	/* ... but these */
}

/* vCPU 0 is the bootstrap processor (the loader's boot state is its); the
 * APs wait for the INIT-SIPI-SIPI the guest's BSP sends them. */
static int vm_create_vcpus(struct vm *vm, unsigned nvcpus)
{
	for (unsigned i = 0; i < nvcpus; i++) {
		vm->vcpus[i] = vcpu_create(vm, i);
		if (!vm->vcpus[i])
			return -ENOMEM;
		vm->vcpus[i]->state = i == 0 ? VCPU_RUNNABLE : VCPU_WAIT_SIPI;
	}
	return 0;
}

struct vm *vm_create(const char *name, u64 ram_size, unsigned nvcpus)
{
	struct vm *vm;
	int err;

	if (nvcpus < 1 || nvcpus > VM_MAX_VCPUS) {
		log_err("vm %s: %u vCPUs: Keel runs 1 to %u per VM", name, nvcpus, VM_MAX_VCPUS);
		return NULL;
	}
	vm = kzalloc(sizeof(*vm));
	if (!vm)
		return NULL;
	keel_snprintf(vm->name, sizeof(vm->name), "%s", name);
	vm->id = next_vm_id++;
	sched_group_init(&vm->sched, SCHED_WEIGHT_DEFAULT, 0);
	vm->io_bitmap = page_alloc_zero(2);
	vm->msr_bitmap = page_alloc_zero(1);
	machine_layout(ram_size, &vm->layout);
	if (vm->layout.high_ram_end != PC_4G)	/* the config's limit keeps RAM below the hole */
		err = -E2BIG;
	else
		err = (!vm->io_bitmap || !vm->msr_bitmap) ? -ENOMEM : gpa_map_init(&vm->mem, ram_size);
	if (!err) {
		vm_setup_bitmaps(vm);
		vm->nvcpus = nvcpus;	/* vm_destroy skips the slots left NULL */
		err = vm_create_vcpus(vm, nvcpus);
	}
	err = err ?: vm_platform_init(vm);
	for (unsigned i = 0; !err && i < vm->nvcpus; i++)
		err = vm_vcpu_platform_init(vm->vcpus[i]);
	if (err) {
		log_err("vm %s: cannot create (error %d, %llu MiB asked, %llu MiB free)", name, err,
			(unsigned long long)(ram_size / MiB),
			(unsigned long long)(mm_free_pages() * PAGE_SIZE / MiB));
		vm_destroy(vm);
		return NULL;
	}
	return vm;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	console_vm_gone(vm);
	vm_virtio_destroy(vm);
	for (unsigned i = 0; i < vm->nvcpus; i++)
		vcpu_destroy(vm->vcpus[i]);
	if (vm->mem.pages)
		gpa_map_destroy(&vm->mem);
	page_free(vm->io_bitmap, 2);
	page_free(vm->msr_bitmap, 1);
	kfree(vm);
}

static void vm_vstop(struct vm *vm, const char *fmt, va_list ap)
{
	spin_assert_held(&vm->lock);
	if (vm->state == VM_STOPPED)
		return;
	keel_vsnprintf(vm->stop_reason, sizeof(vm->stop_reason), fmt, ap);
	vm->state = VM_STOPPED;
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		vm->vcpus[i]->state = VCPU_STOPPED;
		vcpu_interrupt(vm->vcpus[i]);		/* leave the guest now */
	}
	vm_console_flush(vm);
	log_info("vm %s: stopped: %s", vm->name, vm->stop_reason);
}

void vm_stop(struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vm_vstop(vm, fmt, ap);
	va_end(ap);
}

void vm_lock_and_stop(struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	spin_lock(&vm->lock);
	va_start(ap, fmt);
	vm_vstop(vm, fmt, ap);
	va_end(ap);
	spin_unlock(&vm->lock);
}

void vm_io_touched(struct vm *vm, unsigned flags)
{
	if (flags & IO_TOUCHES_TIMER)
		vm->timers_dirty = true;
	if (flags & IO_TOUCHES_IRQ)
		for (unsigned i = 0; i < vm->nvcpus; i++)
			vm->vcpus[i]->irq_check = true;
}

void vm_console_flush(struct vm *vm)
{
	if (!vm->console_len)
		return;
	log_raw("%s| %.*s", vm->name, (int)vm->console_len, vm->console_line);
	vm->console_len = 0;
}

/* Guest output is untrusted: control characters other than tab are shown
 * as '?' so a guest cannot drive the host's terminal. */
void vm_console_putc(struct vm *vm, u8 ch)
{
	if (vm->console_off)
		return;
	if (ch == '\n') {
		if (vm->console_len == 0)
			log_raw("%s|", vm->name);
		vm_console_flush(vm);
		return;
	}
	if (ch == '\r')
		return;
	if ((ch < 0x20 && ch != '\t') || ch >= 0x7f)
		ch = '?';
	vm->console_line[vm->console_len++] = (char)ch;
	if (vm->console_len == VM_CONSOLE_LINE)
		vm_console_flush(vm);
}
