/*
 * From keel.toml's VMs to running VMs (vmm/config/config_vm.c): create,
 * load, plug in the disks and NICs, and start, next to the schema they
 * read (include/vmm/config/config.h), so that the boot path and the shell
 * start a VM the same way.
 */
#ifndef KEEL_VMM_CONFIG_VM_H
#define KEEL_VMM_CONFIG_VM_H

#include "types.h"
#include "vmm/config/config.h"

struct vm;

/* Where the images a config names come from (the boot loader's modules):
 * the image called name, writable (disks are written in place), or NULL. */
struct config_images {
	void *(*find)(void *ctx, const char *name, size_t *size);
	void *ctx;
};

/* Create, load and start the VM c describes. A failure is reported in one
 * line naming the VM and why, only this VM is skipped, and NULL returned. */
struct vm *config_vm_start(const struct vm_config *c, const struct config_images *images);
/* Every VM of the config, then the console focus ([host] focus); one line
 * says which started. Returns how many did. */
unsigned config_vms_start(const struct keel_config *config, const struct config_images *images);

#endif
