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
#include "vmm/mgmt/console.h"
#include "vmm/loader/loader.h"
#include "vmm/core/vcpu_setup.h"
#include "vmm/mgmt/shell.h"
#include "vmm/core/vm.h"
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

/* Load one VM of the config: its kernel (Linux or a flat test binary),
 * initrd and command line. */
static int load_config_vm(struct vm *vm, const struct vm_config *c, struct vcpu_boot_state *bs,
			  char *why, size_t why_size)
{
	static const enum guest_mode flat_mode[] = {
		[CONFIG_BOOT_FLAT16] = GUEST_REAL, [CONFIG_BOOT_FLAT32] = GUEST_PROT32,
		[CONFIG_BOOT_FLAT64] = GUEST_LONG,
	};
	const struct boot_module *k = find_module(c->kernel);
	const struct boot_module *i = c->initrd[0] ? find_module(c->initrd) : NULL;

	if (c->boot != CONFIG_BOOT_LINUX) {
		int err = loader_flat(vm, phys_to_virt(k->start), module_size(k), flat_mode[c->boot], bs);
		if (err)
			keel_snprintf(why, why_size, "%s does not fit in its memory", c->kernel);
		return err;
	}
	struct linux_boot_files f = {
		.kernel = phys_to_virt(k->start), .kernel_size = module_size(k),
		.initrd = i ? phys_to_virt(i->start) : NULL, .initrd_size = module_size(i),
		.cmdline = c->cmdline,
	};
	return loader_linux(vm, &f, bs, why, why_size);
}

/* The VM's disks (multiboot2 modules, written in place) and NICs. */
static int add_virtio(struct vm *vm, const struct vm_config *c, char *why, size_t why_size)
{
	int err = 0;

	for (unsigned i = 0; !err && i < c->ndisk; i++) {
		const struct boot_module *m = find_module(c->disk[i].image);
		err = vm_add_disk(vm, phys_to_virt(m->start), module_size(m), c->disk[i].readonly, i);
		if (err)
			keel_snprintf(why, why_size, "disk %s: cannot attach (error %d)", c->disk[i].image, err);
	}
	for (unsigned i = 0; !err && i < c->nnic; i++) {
		u8 mac[6];
		char id[CONFIG_NAME_MAX + 8];

		if (c->nic[i].has_mac) {
			memcpy(mac, c->nic[i].mac, 6);
		} else {
			keel_snprintf(id, sizeof(id), "%s/eth%u", c->name, i);
			virtio_net_mac_from_name(id, mac);
		}
		err = vm_add_nic(vm, c->nic[i].switch_name, mac, i);
		if (err)
			keel_snprintf(why, why_size, "nic on switch %s: cannot attach (error %d)",
				      c->nic[i].switch_name, err);
	}
	return err;
}

/* Create, load and queue one VM of the config; a failure is reported and
 * only this VM is skipped. */
static struct vm *start_config_vm(const struct vm_config *c)
{
	struct vcpu_boot_state bs;
	char why[160] = "";
	struct vm *vm;
	int err;

	vm = vm_create(c->name, c->memory, c->vcpus);
	if (!vm)
		return NULL;
	vm->console_off = c->console == CONFIG_CONSOLE_NONE;
	sched_group_set(&vm->sched, c->weight, c->cap);
	vm->affinity = c->affinity & (u32)(BIT(cpu_count) - 1);
	if (c->affinity && !vm->affinity) {
		log_err("vm %s: not started: affinity names no CPU of the %u online", c->name, cpu_count);
		vm_destroy(vm);
		return NULL;
	}
	err = load_config_vm(vm, c, &bs, why, sizeof(why));
	err = err ?: add_virtio(vm, c, why, sizeof(why));
	err = err ?: vcpu_start_at(vm->vcpus[0], &bs);
	err = err ?: sched_add_vm(vm);
	if (err) {
		log_err("vm %s: not started: %s (error %d)", c->name, why[0] ? why : "cannot load", err);
		vm_destroy(vm);
		return NULL;
	}
	log_info("vm %s: started (%s, %llu MiB RAM, kernel %s%s%s)", c->name,
		 c->boot == CONFIG_BOOT_LINUX ? "linux" : "flat", (unsigned long long)(c->memory / MiB),
		 c->kernel, c->initrd[0] ? ", initrd " : "", c->initrd);
	return vm;
}

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

/* Start the config's VMs; the console focus goes to [host] focus. */
static void start_config_vms(void)
{
	struct vm *focus = NULL;
	char started[256] = "", failed[256] = "";
	size_t ns = 0, nf = 0;
	unsigned count = 0;

	for (unsigned i = 0; i < config.nvm; i++) {
		struct vm *vm = start_config_vm(&config.vm[i]);
		if (vm && config.host.focus[0] && i == config.host.focus_vm)
			focus = vm;
		if (vm) {
			count++;
			keel_sappendf(started, sizeof(started), &ns, " %s", config.vm[i].name);
		} else {
			keel_sappendf(failed, sizeof(failed), &nf, " %s", config.vm[i].name);
		}
	}
	log_info("keel: %u of %u VMs started:%s%s%s", count, config.nvm, count ? started : " none",
		 nf ? "; not started:" : "", failed);
	console_set_focus(focus);
}

/* Memory: the map's usable RAM, less the first MiB (real-mode code, the
 * AP start-up page), the boot information and the modules. */
static int keel_mm_init(void)
{
	struct mem_region reserved[BOOT_MAX_MODULES + 2];
	unsigned n = boot_reserved_regions(&boot, 1 * MiB, reserved, ARRAY_SIZE(reserved));

	return mm_init(boot.mmap, boot.mmap_count, reserved, n);
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
	sched_init();
	smp_start_aps(&boot);
	shell_vm_start();
	start_config_vms();
	sched_run();
	log_info("keel: all VMs stopped");
	power_off(cmdline.shutdown, 0);
}
