/*
 * Keel's own command line: host settings that override keel.toml's [host]
 * table for one boot (the VMs are configured in keel.toml only):
 *   loglevel=error|warn|info|debug  shutdown=halt|acpi|bochs|qemu
 *   measure=exits   time every exit's handling (CPUID leaf 0x40000002);
 *                   off by default: it costs the exit path two TSC reads
 */
#ifndef KEEL_VMM_CMDLINE_H
#define KEEL_VMM_CMDLINE_H

#include "types.h"
#include "lib/log.h"
#include "drivers/power.h"

struct keel_cmdline {
	enum log_level loglevel;
	enum shutdown_method shutdown;
	bool has_loglevel, has_shutdown;	/* given on the command line */
	bool measure_exits;
};

/* Parse; every bad word is reported through report() and skipped.
 * Returns the number of bad words. */
int cmdline_parse(const char *s, struct keel_cmdline *out,
		  void (*report)(void *ctx, const char *msg), void *ctx);

#endif
