/*
 * kmain: the bring-up sequence after boot/entry.S reaches 64-bit mode.
 * Serial console, CPU tables, boot information, memory, VMX, then one VM
 * per guest named on the command line, run until all have stopped.
 */
#include "arch/cpu.h"
#include "arch/hw.h"
#include "arch/vmx.h"
#include "boot/multiboot2.h"
#include "drivers/acpi.h"
#include "drivers/power.h"
#include "drivers/uart.h"
#include "mm/mm.h"
#include "sched/sched.h"
#include "vmm/cmdline.h"
#include "vmm/loader.h"
#include "vmm/vm.h"
#include "lib/log.h"
#include "lib/string.h"

#define KEEL_VERSION "0.1"

void pic_mask_all(void);
void kmain(u32 magic, u64 info_phys);

static struct boot_info boot;
static struct keel_cmdline cmdline;

static void report_cmdline(void *ctx, const char *msg)
{
	log_err("keel: %s", msg);
}

static const struct boot_module *find_module(const char *name)
{
	for (unsigned i = 0; i < boot.module_count; i++) {
		const char *m = boot.modules[i].cmdline;
		size_t n = strlen(name);
		if (m && !strncmp(m, name, n) && (m[n] == 0 || m[n] == ' '))
			return &boot.modules[i];
	}
	return NULL;
}

/* Create, load and queue one guest; a failure is reported and only this
 * guest is skipped. */
static void start_guest(const struct guest_spec *g)
{
	static const char *const modes[] = { "real", "prot32", "long" };
	const struct boot_module *mod = find_module(g->module);
	struct vcpu_boot_state bs;
	struct vm *vm;
	int err;

	if (!mod) {
		log_err("vm %s: module \"%s\" was not loaded by the boot loader", g->name, g->module);
		return;
	}
	vm = vm_create(g->name, g->mem);
	if (!vm)
		return;
	err = loader_flat(vm, phys_to_virt(mod->start), mod->end - mod->start, g->mode, &bs);
	err = err ?: vcpu_set_boot_state(vm->vcpus[0], &bs);
	err = err ?: sched_add_vm(vm);
	if (err) {
		log_err("vm %s: cannot load \"%s\" (error %d)", g->name, g->module, err);
		vm_destroy(vm);
		return;
	}
	log_info("vm %s: started (%s mode, %llu KiB RAM, %llu 2M pages, %llu bytes from %s)", g->name,
		 modes[g->mode], (unsigned long long)(g->mem / KiB), (unsigned long long)vm->mem.large_pages,
		 (unsigned long long)(mod->end - mod->start), g->module);
}

static int vmx_bring_up(void)
{
	const char *why;
	int err;

	if (vmx_detect(&why)) {
		log_err("keel: VMX unavailable: %s", why);
		return -ENODEV;
	}
	err = vmx_setup_caps();
	err = err ?: vmx_enable_cpu();
	if (err)
		return err;
	log_info("keel: VMX on: EPT%s, VPID %s, preemption timer %s, unrestricted guest",
		 vmx_caps.has_2m_ept ? " with 2M pages" : "",
		 (vmx_caps.proc2 & PROC2_ENABLE_VPID) ? "on" : "off",
		 vmx_caps.has_preempt_timer ? "on" : "off");
	return 0;
}

void kmain(u32 magic, u64 info_phys)
{
	uart_init(0x3f8);
	cpu_early_init();
	pic_mask_all();
	if (magic != MB2_BOOTLOADER_MAGIC || mb2_parse(info_phys, phys_to_virt(info_phys), &boot)) {
		log_err("keel: not started by a multiboot2 loader (magic 0x%x) or bad boot information", magic);
		cpu_halt_forever();
	}
	boot_mmap_sanitize(&boot);
	cmdline_parse(boot.cmdline, &cmdline, report_cmdline, NULL);
	log_threshold = cmdline.loglevel;
	log_info("keel: Keel %s (multiboot2 from %s, %s) cmdline \"%s\"", KEEL_VERSION,
		 boot.loader_name ? boot.loader_name : "unknown loader",
		 boot.efi_system_table ? "UEFI" : "BIOS", boot.cmdline ? boot.cmdline : "");
	if (boot.rsdp)
		acpi_init(boot.rsdp, boot.rsdp_len);
	if (mm_init(&boot)) {
		log_err("keel: not enough memory to start");
		power_off(cmdline.shutdown, 3);
	}
	log_info("keel: %llu MiB free for guests and Keel", (unsigned long long)(mm_free_pages() * PAGE_SIZE / MiB));
	if (vmx_bring_up())
		power_off(cmdline.shutdown, 2);
	tsc_init();
	for (unsigned i = 0; i < cmdline.nguests; i++)
		start_guest(&cmdline.guests[i]);
	sched_run();
	log_info("keel: all VMs stopped");
	power_off(cmdline.shutdown, 0);
}
