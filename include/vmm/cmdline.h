/*
 * Keel's own command line (until the config file of the next issue):
 *   loglevel=error|warn|info|debug  shutdown=halt|acpi|bochs|qemu
 *   guest=MODULE[,mode=real|prot32|long][,mem=SIZE][,name=NAME]   (repeatable)
 */
#ifndef KEEL_VMM_CMDLINE_H
#define KEEL_VMM_CMDLINE_H

#include "types.h"
#include "lib/log.h"
#include "vmm/vcpu_setup.h"

#define CMDLINE_MAX_GUESTS 16
#define GUEST_DEFAULT_MEM (2 * MiB)

enum shutdown_method { SHUTDOWN_HALT, SHUTDOWN_ACPI, SHUTDOWN_BOCHS, SHUTDOWN_QEMU };

struct guest_spec {
	char module[64];
	char name[32];
	enum guest_mode mode;
	u64 mem;
};

struct keel_cmdline {
	enum log_level loglevel;
	enum shutdown_method shutdown;
	struct guest_spec guests[CMDLINE_MAX_GUESTS];
	unsigned nguests;
};

/* Parse; every bad word is reported through report() and skipped.
 * Returns the number of bad words. */
int cmdline_parse(const char *s, struct keel_cmdline *out,
		  void (*report)(void *ctx, const char *msg), void *ctx);

#endif
