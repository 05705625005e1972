/*
 * kmain: the bring-up sequence after boot/entry.S reaches 64-bit mode.
 * Serial console, CPU tables, boot information, memory, VMX, then the VMs
 * of keel.toml, run until all have stopped.
 */
#include "arch/cpu.h"
#include "arch/hw.h"
#include "arch/vmx.h"
#include "arch/smp.h"
#include "boot/multiboot2.h"
#include "drivers/acpi.h"
#include "drivers/power.h"
#include "drivers/uart.h"
#include "mm/mm.h"
#include "sched/sched.h"
#include "vmm/config/cmdline.h"
#include "vmm/config/config.h"
#include "vmm/config/config_vm.h"
#include "vmm/core/vcpu_setup.h"
#include "vmm/core/vmm.h"
#include "vmm/mgmt/shell.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"

#define KEEL_VERSION "0.1"

void pic_mask_all(void);
void kmain(u32 magic, u64 info_phys);

static struct boot_info boot;
static struct keel_cmdline cmdline;
static struct keel_config config;

#define CONFIG_MODULE "keel.toml"
/* Host memory kept back from the VMs' total for Keel: VMCS, EPT tables,
 * bitmaps, the heap. */
#define KEEL_RESERVE (16 * MiB)

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

static bool module_exists(void *ctx, const char *name)
{
	return find_module(name) != NULL;
}

static void report_config(void *ctx, const char *msg)
{
	log_err("%s", msg);
}

static void print_line(void *ctx, const char *line)
{
	log_info("%s", line);
}

static size_t module_size(const struct boot_module *m)
{
	return m ? m->end - m->start : 0;
}

/* The config's images are the boot loader's modules, by name. */
static void *find_image(void *ctx, const char *name, size_t *size)
{
	const struct boot_module *m = find_module(name);

	*size = module_size(m);
	return m ? phys_to_virt(m->start) : NULL;
}

static const struct config_images boot_images = { .find = find_image };

/* keel.toml, when the boot loader brought one: parse, report, apply the
 * host settings (the command line overrides them for this boot). Returns
 * false when there is nothing to run. */
static bool load_config(void)
{
	const struct boot_module *m = find_module(CONFIG_MODULE);
	u64 free = mm_free_pages() * PAGE_SIZE;
	struct config_env env = {
		.host_ram = free > KEEL_RESERVE ? free - KEEL_RESERVE : 0,
		.module_exists = module_exists, .report = report_config,
	};

	if (!m) {
		log_err("keel: no %s module: the boot loader must load it (module2 ... %s)",
			CONFIG_MODULE, CONFIG_MODULE);
		return false;
	}
	if (config_load(CONFIG_MODULE, phys_to_virt(m->start), module_size(m), &env, &config) < 0) {
		log_err("keel: %s rejected: no VM started", CONFIG_MODULE);
		return false;
	}
	if (!cmdline.has_loglevel)
		log_threshold = config.host.log_level;
	if (!cmdline.has_shutdown)
		cmdline.shutdown = (enum shutdown_method)config.host.shutdown;
	if (config.host.serial_port != 0x3f8)
		uart_init(config.host.serial_port);
	config_print_table(&config, print_line, NULL);
	return true;
}

/* Memory: the map's usable RAM, less the first MiB (real-mode code, the
 * AP start-up page), the boot information and the modules. */
static int keel_mm_init(void)
{
	struct mem_region reserved[BOOT_MAX_MODULES + 2];
	unsigned n = boot_reserved_regions(&boot, 1 * MiB, reserved, ARRAY_SIZE(reserved));

	return mm_init(boot.mmap, boot.mmap_count, reserved, n);
}

/* The other processors the ACPI MADT lists, started into the scheduler
 * loop through a free page below 1 MiB. */
static void smp_bring_up(void)
{
	struct acpi_madt_info *madt = kzalloc(sizeof(*madt));
	u32 ids[ACPI_MADT_MAX_CPUS];
	unsigned n = 0;
	u64 page;

	percpus[0].online = true;
	if (!madt || acpi_get_madt(madt)) {
		log_info("smp: no usable ACPI MADT: running on the boot CPU only");
	} else if (!(page = boot_free_low_page(&boot))) {
		log_warn("smp: no free page below 1 MiB for the start-up code: one CPU");
	} else {
		for (unsigned i = 0; i < madt->ncpus; i++)
			if (madt->enabled[i])
				ids[n++] = madt->apic_ids[i];
		smp_start_aps(ids, n, page, sched_cpu_loop);
	}
	kfree(madt);
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
	cpu_early_init(0);
	pic_mask_all();
	if (magic != MB2_BOOTLOADER_MAGIC || mb2_parse(info_phys, phys_to_virt(info_phys), &boot)) {
		log_err("keel: not started by a multiboot2 loader (magic 0x%x) or bad boot information", magic);
		cpu_halt_forever();
	}
	boot_mmap_sanitize(&boot);
	cmdline_parse(boot.cmdline, &cmdline, report_cmdline, NULL);
	log_threshold = cmdline.loglevel;
	vcpu_measure_exits = cmdline.measure_exits;
	log_info("keel: Keel %s (multiboot2 from %s, %s) cmdline \"%s\"", KEEL_VERSION,
		 boot.loader_name ? boot.loader_name : "unknown loader",
		 boot.efi_system_table ? "UEFI" : "BIOS", boot.cmdline ? boot.cmdline : "");
	if (boot.rsdp)
		acpi_init(boot.rsdp, boot.rsdp_len);
	if (keel_mm_init()) {
		log_err("keel: not enough memory to start");
		power_off(cmdline.shutdown, 3);
	}
	log_info("keel: %llu MiB free for guests and Keel", (unsigned long long)(mm_free_pages() * PAGE_SIZE / MiB));
	if (!load_config()) {
		/* Nothing to run, but the machine is up: the shell stays. */
		shell_vm_start();
		shell_vm_run_alone();
		power_off(cmdline.shutdown, 4);
	}
	if (vmx_bring_up())
		power_off(cmdline.shutdown, 2);
	tsc_init();
	lapic_init();
	vmm_init();
	smp_bring_up();
	shell_vm_start();
	config_vms_start(&config, &boot_images);
	vmm_run();
	log_info("keel: all VMs stopped");
	power_off(cmdline.shutdown, 0);
}
