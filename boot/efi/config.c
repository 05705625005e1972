/*
 * Which files keel.toml needs on the medium: every valid VM's kernel,
 * initrd and disks[].image, read by Keel's own parser (lib/toml.c,
 * vmm/config/config.c; docs/config.md), so the loader and Keel never disagree
 * about the file. The problems config_load finds are not printed here:
 * Keel reports each by file, line and key once it runs.
 */
#include "loader.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "vmm/config/config.h"

STATIC_ASSERT(LOADER_NAME_MAX == CONFIG_MODULE_MAX, "a module name fits either way");

static struct keel_config config;	/* ~50 KiB: too big for the firmware's stack */

/* Count name unless it is empty or already listed; list it while there is room. */
static void add_name(const char *name, char names[][LOADER_NAME_MAX], unsigned *n, unsigned max)
{
	if (!name[0])
		return;
	for (unsigned i = 0; i < MIN(*n, max); i++) {
		if (!strcmp(names[i], name))
			return;
	}
	if (*n < max)
		keel_snprintf(names[*n], LOADER_NAME_MAX, "%s", name);
	(*n)++;
}

unsigned config_module_names(const char *text, size_t len,
			     char names[][LOADER_NAME_MAX], unsigned max)
{
	struct config_env env = { 0 };	/* no memory limit, every module "exists" */
	unsigned n = 0;

	config_load("keel.toml", text, len, &env, &config);
	for (unsigned i = 0; i < config.nvm; i++) {
		const struct vm_config *vm = &config.vm[i];

		add_name(vm->kernel, names, &n, max);
		add_name(vm->initrd, names, &n, max);
		for (unsigned d = 0; d < vm->ndisk; d++)
			add_name(vm->disk[d].image, names, &n, max);
	}
	return n;
}
