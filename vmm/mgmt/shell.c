/*
 * Keel's management shell (docs/shell.md): a line editor for a raw serial
 * terminal, the command table, and the text of list and stats. Pure: it
 * sees the VMs only through struct shell_ops, so every byte it prints can
 * be tested on the host. Strings that come from outside the shell (VM
 * names, states, exit names, device names) are printed through
 * shell_clean(), so a VM cannot put control bytes on the host's terminal.
 */
#include "vmm/mgmt/shell.h"
#include "lib/printf.h"
#include "lib/string.h"

#define ASCII_ETX 0x03	/* Ctrl-C: cancel the line */
#define ASCII_BS  0x08	/* Backspace */
#define ASCII_DC2 0x12	/* Ctrl-R: show the line again */
#define ASCII_NAK 0x15	/* Ctrl-U: erase the line */
#define ASCII_ESC 0x1b
#define ASCII_DEL 0x7f	/* what most terminals send for Backspace */

/* Where shell_input is inside an ECMA-48 escape sequence. */
enum { ESC_NONE, ESC_START, ESC_CSI, ESC_SS3 };

#define SHELL_OUT_MAX 256	/* one formatted line */
#define SHELL_WRAP    76	/* stats' exit list wraps before this column */

static void shell_write(struct shell *sh, const char *text)
{
	sh->ops->write(sh->ops->ctx, text);
}

static void __printf(2, 3) shell_printf(struct shell *sh, const char *fmt, ...)
{
	char buf[SHELL_OUT_MAX];
	va_list ap;

	va_start(ap, fmt);
	keel_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	shell_write(sh, buf);
}

/* Copy src into dst[size] with every byte that is not printable ASCII
 * shown as '?', cut to fit; NULL reads as "". */
static const char *shell_clean(char *dst, size_t size, const char *src)
{
	size_t i = 0;

	for (; src && src[i] && i + 1 < size; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[i] = 0;
	return dst;
}

void shell_init(struct shell *sh, const struct shell_ops *ops)
{
	memset(sh, 0, sizeof(*sh));
	sh->ops = ops;
}

void shell_prompt(struct shell *sh)
{
	sh->line[sh->len] = 0;
	shell_printf(sh, "%s%s", SHELL_PROMPT, sh->line);
}

/* --- the commands ------------------------------------------------------- */

/* VM number i, copied into *out, its name terminated whatever the ops
 * wrote; false if it is gone. */
static bool shell_get(struct shell *sh, unsigned i, struct shell_vm_info *out)
{
	if (sh->ops->vm_info(sh->ops->ctx, i, out))
		return false;
	out->name[SHELL_NAME_MAX - 1] = 0;
	return true;
}

/* The VM called name, copied into *out; false (and a message) if none. */
static bool shell_find(struct shell *sh, const char *name, struct shell_vm_info *out)
{
	unsigned n = sh->ops->vm_count(sh->ops->ctx);
	char clean[SHELL_NAME_MAX];

	for (unsigned i = 0; i < n; i++)
		if (shell_get(sh, i, out) && !strcmp(out->name, name))
			return true;
	shell_printf(sh, "keel: no VM named \"%s\" (list shows them)\n",
		     shell_clean(clean, sizeof(clean), name));
	return false;
}

static bool cmd_list(struct shell *sh, const char *arg)
{
	unsigned n = sh->ops->vm_count(sh->ops->ctx);
	struct shell_vm_info vm;
	char name[SHELL_NAME_MAX], state[16], cap[16];

	if (!n) {
		shell_write(sh, "keel: no VMs\n");
		return true;
	}
	shell_printf(sh, "%-16s %-8s %5s %6s %6s %4s %9s\n",
		     "name", "state", "vcpus", "MiB", "weight", "cap", "cpu ms");
	for (unsigned i = 0; i < n; i++) {
		if (!shell_get(sh, i, &vm))
			continue;
		if (vm.cap)
			keel_snprintf(cap, sizeof(cap), "%u%%", vm.cap);
		else
			keel_snprintf(cap, sizeof(cap), "-");
		shell_printf(sh, "%-16s %-8s %5u %6llu %6u %4s %9llu\n",
			     shell_clean(name, sizeof(name), vm.name),
			     shell_clean(state, sizeof(state), vm.state), vm.vcpus,
			     (unsigned long long)(vm.memory / MiB), vm.weight, cap,
			     (unsigned long long)(vm.cpu_ns / 1000000));
	}
	return true;
}

/* "  exits: N" then NAME=COUNT for each reason, wrapped. */
static void stats_exits(struct shell *sh, const struct shell_vm_info *vm)
{
	char line[SHELL_OUT_MAX], item[64], name[40];
	size_t len = 0;

	keel_sappendf(line, sizeof(line), &len, "  exits: %llu", (unsigned long long)vm->exits);
	for (unsigned i = 0; i < MIN(vm->nexit_kinds, SHELL_EXIT_KINDS); i++) {
		int n = keel_snprintf(item, sizeof(item), " %s=%llu",
				      shell_clean(name, sizeof(name), vm->exit_kinds[i].name),
				      (unsigned long long)vm->exit_kinds[i].count);
		if (len + (size_t)n > SHELL_WRAP) {
			shell_printf(sh, "%s\n", line);
			len = 0;
			keel_sappendf(line, sizeof(line), &len, "        ");
		}
		keel_sappendf(line, sizeof(line), &len, "%s", item);
	}
	shell_printf(sh, "%s\n", line);
}

/* One VM's block: state and size, CPU time, exits, interrupts, devices. */
static void stats_block(struct shell *sh, const struct shell_vm_info *vm)
{
	char name[SHELL_NAME_MAX], state[16], devices[SHELL_DEVICES];
	u64 ms = vm->cpu_ns / 1000000, age_ms = vm->age_ns / 1000000;
	u64 permille = vm->age_ns >= 1000 ? vm->cpu_ns / (vm->age_ns / 1000) : 0;

	shell_printf(sh, "vm %s: %s, %u vCPU%s, %llu MiB RAM (%llu 2M pages), weight %u, ",
		     shell_clean(name, sizeof(name), vm->name),
		     shell_clean(state, sizeof(state), vm->state), vm->vcpus, vm->vcpus == 1 ? "" : "s",
		     (unsigned long long)(vm->memory / MiB), (unsigned long long)vm->large_pages,
		     vm->weight);
	if (vm->cap)
		shell_printf(sh, "cap %u%%\n", vm->cap);
	else
		shell_write(sh, "no cap\n");
	shell_printf(sh, "  cpu: %llu ms, %llu.%llu%% of the %llu ms since it started\n",
		     (unsigned long long)ms, (unsigned long long)(permille / 10),
		     (unsigned long long)(permille % 10), (unsigned long long)age_ms);
	stats_exits(sh, vm);
	shell_printf(sh, "  interrupts injected: %llu\n", (unsigned long long)vm->intr_injected);
	if (vm->devices[0])
		shell_printf(sh, "  virtio: %s\n", shell_clean(devices, sizeof(devices), vm->devices));
}

static bool cmd_stats(struct shell *sh, const char *arg)
{
	struct shell_vm_info vm;

	if (arg) {
		if (shell_find(sh, arg, &vm))
			stats_block(sh, &vm);
		return true;
	}
	unsigned n = sh->ops->vm_count(sh->ops->ctx);
	if (!n)
		shell_write(sh, "keel: no VMs\n");
	for (unsigned i = 0; i < n; i++)
		if (shell_get(sh, i, &vm))
			stats_block(sh, &vm);
	return true;
}

/* pause, resume, destroy and console: what each says when it worked, and
 * when the VM already was that way. */
static const struct {
	const char *done;
	const char *already;
} action_text[] = {
	[SHELL_PAUSE] = { "paused", "is already paused" },
	[SHELL_RESUME] = { "resumed", "is not paused" },
	[SHELL_DESTROY] = { "destroyed", "has already stopped" },
	[SHELL_CONSOLE] = { NULL, "already has the console" },
};

/* Returns whether the shell keeps the console (console VM hands it on). */
static bool shell_act(struct shell *sh, const char *arg, enum shell_action a)
{
	char name[SHELL_NAME_MAX];
	int err = sh->ops->vm_action(sh->ops->ctx, arg, a);

	shell_clean(name, sizeof(name), arg);
	if (!err && a == SHELL_CONSOLE)
		return false;	/* the console prints the switch */
	if (!err) {
		shell_printf(sh, "keel: vm %s %s\n", name, action_text[a].done);
	} else if (err == -ENOENT) {
		shell_printf(sh, "keel: no VM named \"%s\" (list shows them)\n", name);
	} else if (err == -EALREADY) {
		shell_printf(sh, "keel: vm %s %s\n", name, action_text[a].already);
	} else if (err == -EINVAL) {
		shell_printf(sh, "keel: vm %s has stopped\n", name);
	} else {
		shell_printf(sh, "keel: vm %s: failed (error %d)\n", name, err);
	}
	return true;
}

static bool cmd_pause(struct shell *sh, const char *arg)
{
	return shell_act(sh, arg, SHELL_PAUSE);
}

static bool cmd_resume(struct shell *sh, const char *arg)
{
	return shell_act(sh, arg, SHELL_RESUME);
}

static bool cmd_destroy(struct shell *sh, const char *arg)
{
	return shell_act(sh, arg, SHELL_DESTROY);
}

static bool cmd_console(struct shell *sh, const char *arg)
{
	return shell_act(sh, arg, SHELL_CONSOLE);
}

static bool cmd_shutdown(struct shell *sh, const char *arg)
{
	shell_write(sh, "keel: shutting down: every VM is stopped, then the host powers off\n");
	sh->ops->shutdown(sh->ops->ctx);
	return false;
}

static bool cmd_help(struct shell *sh, const char *arg);

enum shell_arg { ARG_NONE, ARG_VM, ARG_OPTIONAL_VM };

/* The command table; a command returns whether the shell prompts again. */
static const struct shell_cmd {
	const char *name;
	enum shell_arg arg;
	const char *help;
	bool (*run)(struct shell *sh, const char *arg);
} shell_cmds[] = {
	{ "list", ARG_NONE, "the VMs: state, vCPUs, memory, weight, cap, CPU time", cmd_list },
	{ "stats", ARG_OPTIONAL_VM, "CPU time, exits by reason, interrupts, memory, devices", cmd_stats },
	{ "pause", ARG_VM, "stop scheduling the VM's vCPUs (its clock runs on)", cmd_pause },
	{ "resume", ARG_VM, "schedule a paused VM again", cmd_resume },
	{ "destroy", ARG_VM, "stop the VM for good; the others run on", cmd_destroy },
	{ "console", ARG_VM, "typed input goes to the VM; Ctrl-] comes back here", cmd_console },
	{ "shutdown", ARG_NONE, "stop every VM and power the host off", cmd_shutdown },
	{ "help", ARG_NONE, "this list", cmd_help },
};

static bool cmd_help(struct shell *sh, const char *arg)
{
	static const char *const usage[] = { [ARG_NONE] = "", [ARG_VM] = " VM",
					     [ARG_OPTIONAL_VM] = " [VM]" };
	char cmd[24];

	shell_write(sh, "commands:\n");
	for (unsigned i = 0; i < ARRAY_SIZE(shell_cmds); i++) {
		keel_snprintf(cmd, sizeof(cmd), "%s%s", shell_cmds[i].name, usage[shell_cmds[i].arg]);
		shell_printf(sh, "  %-14s %s\n", cmd, shell_cmds[i].help);
	}
	shell_write(sh, "editing: Backspace erases a character, Ctrl-U the line, Ctrl-C cancels it,\n"
		    "         Ctrl-R shows it again (after log lines)\n");
	return true;
}

/* Split line in place into at most three words: the command, its
 * argument and anything after (an error). */
static unsigned shell_words(char *line, char *word[3])
{
	unsigned n = 0;

	for (char *p = line; *p && n < 3;) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		word[n++] = p;
		while (*p && *p != ' ')
			p++;
		if (*p && n < 3)
			*p++ = 0;
	}
	return n;
}

/* Run one command line; returns whether to prompt again. */
static bool shell_run(struct shell *sh, char *line)
{
	char *word[3] = { NULL, NULL, NULL }, clean[SHELL_LINE_MAX + 1];
	unsigned n = shell_words(line, word);

	if (!n)
		return true;
	for (unsigned i = 0; i < ARRAY_SIZE(shell_cmds); i++) {
		const struct shell_cmd *c = &shell_cmds[i];

		if (strcmp(word[0], c->name))
			continue;
		if (n > 2 || (n == 2 && c->arg == ARG_NONE))
			shell_printf(sh, "keel: %s takes %s\n", c->name,
				     c->arg == ARG_NONE ? "no argument" : "one VM name");
		else if (n == 1 && c->arg == ARG_VM)
			shell_printf(sh, "keel: %s needs a VM name (list shows them)\n", c->name);
		else
			return c->run(sh, word[1]);
		return true;
	}
	shell_printf(sh, "keel: unknown command \"%s\" (try help)\n",
		     shell_clean(clean, sizeof(clean), word[0]));
	return true;
}

/* --- the line editor ------------------------------------------------------ */

static void shell_enter(struct shell *sh)
{
	char line[SHELL_LINE_MAX + 1];
	bool prompt;

	shell_write(sh, "\n");
	memcpy(line, sh->line, sh->len);
	line[sh->len] = 0;
	sh->len = 0;
	if (sh->overflow) {
		sh->overflow = 0;
		shell_printf(sh, "keel: line too long (at most %u characters); nothing done\n",
			     SHELL_LINE_MAX);
		prompt = true;
	} else {
		prompt = shell_run(sh, line);
	}
	if (prompt)
		shell_prompt(sh);
}

/* Backspace: what was typed past the limit goes first (it was never shown). */
static void shell_erase(struct shell *sh)
{
	if (sh->overflow) {
		sh->overflow--;
	} else if (sh->len) {
		sh->len--;
		shell_write(sh, "\b \b");
	}
}

/* Skip one byte of an escape sequence (ECMA-48 5.4: CSI parameters and
 * intermediates are 0x20-0x3f, the final byte 0x40-0x7e); returns false
 * when the byte ends it by being a control character, to be handled as one. */
static bool shell_skip_escape(struct shell *sh, u8 ch)
{
	if (ch == ASCII_ESC) {
		sh->esc = ESC_START;	/* a new sequence starts */
		return true;
	}
	if (ch < 0x20) {
		sh->esc = ESC_NONE;
		return false;
	}
	if (sh->esc == ESC_START)
		sh->esc = ch == '[' ? ESC_CSI : ch == 'O' ? ESC_SS3 : ESC_NONE;
	else if (sh->esc == ESC_SS3 || ch >= 0x40)
		sh->esc = ESC_NONE;
	return true;
}

void shell_input(struct shell *sh, u8 ch)
{
	bool after_cr = sh->last_cr;

	sh->last_cr = ch == '\r';
	if (sh->esc && shell_skip_escape(sh, ch))
		return;
	switch (ch) {
	case '\n':
		if (after_cr)
			return;		/* CRLF: the CR ran the line */
		/* fall through */
	case '\r':
		shell_enter(sh);
		return;
	case ASCII_BS:
	case ASCII_DEL:
		shell_erase(sh);
		return;
	case ASCII_NAK:
		sh->overflow = 0;
		while (sh->len)
			shell_erase(sh);
		return;
	case ASCII_ETX:
		sh->len = sh->overflow = 0;
		shell_write(sh, "^C\n");
		shell_prompt(sh);
		return;
	case ASCII_DC2:		/* after log lines have scrolled it away */
		shell_write(sh, "^R\n");
		shell_prompt(sh);
		return;
	case ASCII_ESC:
		sh->esc = ESC_START;
		return;
	}
	if (ch < 0x20 || ch >= 0x7f)
		return;			/* other control bytes, and anything not ASCII */
	if (sh->len == SHELL_LINE_MAX || sh->overflow) {
		if (sh->overflow < UINT32_MAX)
			sh->overflow++;
		return;
	}
	sh->line[sh->len++] = (char)ch;
	char echo[2] = { (char)ch, 0 };
	shell_write(sh, echo);
}
