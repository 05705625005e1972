/*
 * From keel.toml's VMs to running VMs (include/vmm/config/config_vm.h): a
 * VM created with its memory and vCPUs, its kernel loaded (Linux or a flat
 * test binary), its disks and NICs plugged in, then handed to the VMM.
 */
#include "vmm/config/config_vm.h"
#include "vmm/core/vm.h"
#include "vmm/core/vmm.h"
#include "vmm/core/vcpu_setup.h"
#include "vmm/loader/loader.h"
#include "vmm/mgmt/console.h"
#include "arch/cpu.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"

/* Load one VM of the config: its kernel (Linux or a flat test binary),
 * initrd and command line. */
static int config_vm_load(struct vm *vm, const struct vm_config *c, const struct config_images *images,
			  struct vcpu_boot_state *bs, char *why, size_t why_size)
{
	static const enum guest_mode flat_mode[] = {
		[CONFIG_BOOT_FLAT16] = GUEST_REAL, [CONFIG_BOOT_FLAT32] = GUEST_PROT32,
		[CONFIG_BOOT_FLAT64] = GUEST_LONG,
	};
	size_t ksize = 0, isize = 0;
	void *k = images->find(images->ctx, c->kernel, &ksize);
	void *i = c->initrd[0] ? images->find(images->ctx, c->initrd, &isize) : NULL;

	if (!k || (c->initrd[0] && !i)) {
		keel_snprintf(why, why_size, "image %s is not loaded", k ? c->initrd : c->kernel);
		return -ENOENT;
	}
	if (c->boot != CONFIG_BOOT_LINUX) {
		int err = loader_flat(vm, k, ksize, flat_mode[c->boot], bs);
		if (err)
			keel_snprintf(why, why_size, "%s does not fit in its memory", c->kernel);
		return err;
	}
	struct linux_boot_files f = {
		.kernel = k, .kernel_size = ksize, .initrd = i, .initrd_size = isize,
		.cmdline = c->cmdline,
	};
	return loader_linux(vm, &f, bs, why, why_size);
}

/* The VM's disks (multiboot2 modules, written in place) and NICs. */
static int config_vm_plug(struct vm *vm, const struct vm_config *c, const struct config_images *images,
			  char *why, size_t why_size)
{
	int err = 0;

	for (unsigned i = 0; !err && i < c->ndisk; i++) {
		size_t size = 0;
		void *image = images->find(images->ctx, c->disk[i].image, &size);

		err = image ? vm_add_disk(vm, image, size, c->disk[i].readonly, i) : -ENOENT;
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
struct vm *config_vm_start(const struct vm_config *c, const struct config_images *images)
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
	err = config_vm_load(vm, c, images, &bs, why, sizeof(why));
	err = err ?: config_vm_plug(vm, c, images, why, sizeof(why));
	err = err ?: vcpu_start_at(vm->vcpus[0], &bs);
	err = err ?: vmm_start(vm);
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

/* Start the config's VMs; the console focus goes to [host] focus. */
unsigned config_vms_start(const struct keel_config *config, const struct config_images *images)
{
	struct vm *focus = NULL;
	char started[256] = "", failed[256] = "";
	size_t ns = 0, nf = 0;
	unsigned count = 0;

	for (unsigned i = 0; i < config->nvm; i++) {
		struct vm *vm = config_vm_start(&config->vm[i], images);
		if (vm && config->host.focus[0] && i == config->host.focus_vm)
			focus = vm;
		if (vm) {
			count++;
			keel_sappendf(started, sizeof(started), &ns, " %s", config->vm[i].name);
		} else {
			keel_sappendf(failed, sizeof(failed), &nf, " %s", config->vm[i].name);
		}
	}
	log_info("keel: %u of %u VMs started:%s%s%s", count, config->nvm, count ? started : " none",
		 nf ? "; not started:" : "", failed);
	console_set_focus(focus);
	return count;
}
