/*
 * Keel's management shell on the host serial console (vmm/mgmt/shell.c, the
 * commands are in docs/shell.md). The shell itself is pure: line editing,
 * parsing and formatting over the ops table below, so it is host-tested
 * against a fake one. vmm/mgmt/shell_vm.c fills the table from the scheduler's
 * VMs and hands the shell to the console (vmm/mgmt/console.c).
 */
#ifndef KEEL_VMM_SHELL_H
#define KEEL_VMM_SHELL_H

#include "types.h"

#define SHELL_LINE_MAX   80	/* characters of one command line */
#define SHELL_NAME_MAX   32	/* a VM name, NUL included */
#define SHELL_EXIT_KINDS 32	/* exit reasons one stats block lists */
#define SHELL_DEVICES    96	/* the virtio device list, NUL included */
#define SHELL_PROMPT     "keel> "
#define SHELL_ESCAPE     0x1d	/* Ctrl-]: leaves a VM's console */

/* What the shell asks of a VM. */
enum shell_action {
	SHELL_PAUSE,
	SHELL_RESUME,
	SHELL_DESTROY,
	SHELL_CONSOLE,		/* serial input goes to the VM from now on */
};

/* One kind of VM exit and how often it happened. */
struct shell_exit_count {
	const char *name;	/* e.g. "IO_INSTRUCTION" */
	u64 count;
};

/* A snapshot of one VM, as list and stats show it. Everything here is
 * copied out, so the shell never holds a pointer into a VM. */
struct shell_vm_info {
	char name[SHELL_NAME_MAX];
	const char *state;	/* "running", "paused", "halted" or "stopped" */
	unsigned vcpus;
	u64 memory;		/* bytes of guest RAM */
	u64 large_pages;	/* 2 MiB pages mapping it */
	u32 weight;
	u32 cap;		/* percent of one CPU; 0 = none */
	u64 cpu_ns;		/* CPU time charged to its vCPUs so far */
	u64 age_ns;		/* time since it was started */
	u64 exits;		/* every exit, all reasons */
	u64 intr_injected;
	struct shell_exit_count exit_kinds[SHELL_EXIT_KINDS];	/* nonzero ones */
	unsigned nexit_kinds;
	char devices[SHELL_DEVICES];	/* virtio devices, space-separated; "" if none */
};

/*
 * The rest of Keel as the shell sees it. vm_action returns 0, -ENOENT (no
 * VM by that name), -EALREADY (already paused / not paused) or -EINVAL
 * (the VM has stopped). shutdown asks the host to power off; the shell
 * prints nothing after it.
 */
struct shell_ops {
	void (*write)(void *ctx, const char *text);	/* to the host console */
	unsigned (*vm_count)(void *ctx);
	int (*vm_info)(void *ctx, unsigned index, struct shell_vm_info *out);
	int (*vm_action)(void *ctx, const char *vm, enum shell_action action);
	void (*shutdown)(void *ctx);
	void *ctx;
};

/* The line editor's state; what the user has typed so far. */
struct shell {
	const struct shell_ops *ops;
	char line[SHELL_LINE_MAX + 1];
	unsigned len;
	unsigned overflow;	/* typed past SHELL_LINE_MAX (not kept): the line is refused */
	bool last_cr;		/* the previous byte was CR: a following LF ends nothing */
	u8 esc;			/* inside an escape sequence (arrow keys): skipped */
};

void shell_init(struct shell *sh, const struct shell_ops *ops);
/* One byte typed while the shell has the console. */
void shell_input(struct shell *sh, u8 ch);
/* The shell has the console again (at boot, or back from a VM): the
 * prompt, with whatever was typed before still on the line. */
void shell_prompt(struct shell *sh);

/* vmm/mgmt/shell_vm.c (kernel only). */

/* Create the shell over the scheduler's VMs and give it to the console.
 * Call once at boot, before the VMs start. */
void shell_vm_start(void);
/* No VM to run (no usable config): the shell alone, polling the console,
 * until its shutdown command; then return, and the caller powers off. */
void shell_vm_run_alone(void);

#endif
