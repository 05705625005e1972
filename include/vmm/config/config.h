/*
 * Keel's config file keel.toml (vmm/config/config.c, key parsers in
 * vmm/config/config_keys.c): the schema of docs/config.md checked and copied into
 * plain fixed-size structs. Nothing here points
 * into the TOML arena, so the arena can be reused once config_load returns.
 */
#ifndef KEEL_VMM_CONFIG_H
#define KEEL_VMM_CONFIG_H

#include "types.h"
#include "lib/log.h"
#include "vmm/machine/layout.h"

#define CONFIG_MAX_VMS      16
#define CONFIG_MAX_VCPUS    16
#define CONFIG_MAX_CPUS     16		/* host CPU numbers in affinity (KEEL_MAX_CPUS) */
#define CONFIG_MAX_DISKS    4
#define CONFIG_MAX_NICS     4
#define CONFIG_NAME_MAX     32		/* VM and switch names: 1-31 chars + NUL */
#define CONFIG_MODULE_MAX   128		/* a multiboot2 module's string + NUL */
#define CONFIG_CMDLINE_MAX  2048	/* a guest kernel command line + NUL */
#define CONFIG_MEM_MIN      (1 * MiB)	/* flat test guests; Linux needs ~100M (its loader says) */
#define CONFIG_MEM_MAX      PC_RAM_MAX	/* the machine's RAM below the PCI hole */
#define CONFIG_ARENA_SIZE   (64 * KiB)	/* the built-in TOML arena */

/* Same order as enum shutdown_method (vmm/config/cmdline.h): a cast converts. */
enum config_shutdown {
	CONFIG_SHUTDOWN_HALT, CONFIG_SHUTDOWN_ACPI, CONFIG_SHUTDOWN_BOCHS, CONFIG_SHUTDOWN_QEMU,
};
enum config_console { CONFIG_CONSOLE_SERIAL, CONFIG_CONSOLE_NONE };
enum config_boot { CONFIG_BOOT_LINUX, CONFIG_BOOT_FLAT16, CONFIG_BOOT_FLAT32, CONFIG_BOOT_FLAT64 };

struct host_config {
	enum log_level log_level;		/* default LOG_INFO */
	u16 serial_port;			/* Keel's console UART; default 0x3f8 (com1) */
	enum config_shutdown shutdown;		/* default CONFIG_SHUTDOWN_ACPI */
	char focus[CONFIG_NAME_MAX];		/* as written; "" if not given */
	unsigned focus_vm;			/* index into keel_config.vm; 0 by default */
};

struct disk_config {
	char image[CONFIG_MODULE_MAX];		/* module holding the disk image */
	bool readonly;
};

struct nic_config {
	char switch_name[CONFIG_NAME_MAX];
	u8 mac[6];
	bool has_mac;				/* false: Keel picks one */
};

struct vm_config {
	char name[CONFIG_NAME_MAX];
	char kernel[CONFIG_MODULE_MAX];		/* module names, as module_exists() saw them */
	char initrd[CONFIG_MODULE_MAX];		/* "" if none */
	char cmdline[CONFIG_CMDLINE_MAX];	/* "" if none */
	u64 memory;				/* bytes, a multiple of 4K */
	u32 vcpus;				/* 1..CONFIG_MAX_VCPUS */
	u32 weight;				/* 1..65535, default 256 */
	u32 cap;				/* percent of one pCPU, 0 = none */
	u32 affinity;				/* host CPUs allowed, bit n = CPU n; 0 = any */
	enum config_console console;
	enum config_boot boot;
	struct disk_config disk[CONFIG_MAX_DISKS];
	unsigned ndisk;
	struct nic_config nic[CONFIG_MAX_NICS];
	unsigned nnic;
	unsigned line;				/* line of its [[vm]] header */
};

struct keel_config {
	struct host_config host;
	struct vm_config vm[CONFIG_MAX_VMS];	/* the valid VMs, in file order */
	unsigned nvm;
};

/*
 * What config_load may ask of its caller. report() gets each problem as one
 * line without a newline: `keel.toml:12: vm "web": memory: ...`.
 */
struct config_env {
	u64 host_ram;			/* memory all VMs may use together; 0: no limit */
	bool (*module_exists)(void *ctx, const char *name);	/* NULL: all exist */
	void *ctx;
	void (*report)(void *ctx, const char *msg);
	void *report_ctx;
	void *arena;			/* TOML storage; NULL: a static CONFIG_ARENA_SIZE one */
	size_t arena_size;
};

/*
 * Parse and check text[0..len) (file_name prefixes every message) into out.
 * Returns the number of problems reported: 0 for a clean file. Invalid VMs
 * are left out and a bad [host] key keeps its default. A TOML syntax error
 * rejects the file: one report, a negative return, and out holds only
 * defaults with no VMs.
 */
int config_load(const char *file_name, const char *text, size_t len,
		const struct config_env *env, struct keel_config *out);

/* The host settings and VM table Keel prints at boot, one line per call of out(). */
void config_print_table(const struct keel_config *c,
			void (*out)(void *ctx, const char *line), void *ctx);

#endif
