/*
 * Host tests for vmm/mgmt/shell.c over a fake ops table: each command's output
 * and errors, the line editor (Backspace, Ctrl-U, Ctrl-C, CRLF, escape
 * sequences, overlong lines, binary garbage), and that names with odd
 * bytes from outside the shell cannot put control bytes on the terminal.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "vmm/mgmt/shell.h"

/* --- the fake rest of Keel ------------------------------------------------ */

#define FAKE_VMS 4

static struct fake {
	char out[65536];		/* everything the shell wrote */
	size_t len;
	struct shell_vm_info vm[FAKE_VMS];
	unsigned nvm;
	int action_result;		/* what vm_action returns for a known VM */
	unsigned actions;
	char action_vm[64];
	enum shell_action action;
	unsigned shutdowns;
} fake;

static struct shell sh;

static void fake_write(void *ctx, const char *text)
{
	size_t n = strlen(text);

	assert_ptr_equal(ctx, &fake);
	assert_true(fake.len + n < sizeof(fake.out));
	memcpy(fake.out + fake.len, text, n + 1);
	fake.len += n;
}

static unsigned fake_vm_count(void *ctx)
{
	return fake.nvm;
}

static int fake_vm_info(void *ctx, unsigned i, struct shell_vm_info *out)
{
	if (i >= fake.nvm)
		return -ENOENT;
	*out = fake.vm[i];
	return 0;
}

static int fake_vm_action(void *ctx, const char *name, enum shell_action a)
{
	fake.actions++;
	snprintf(fake.action_vm, sizeof(fake.action_vm), "%s", name);
	fake.action = a;
	for (unsigned i = 0; i < fake.nvm; i++)
		if (!strcmp(fake.vm[i].name, name))
			return fake.action_result;
	return -ENOENT;
}

static void fake_shutdown(void *ctx)
{
	fake.shutdowns++;
}

static const struct shell_ops fake_ops = {
	.write = fake_write, .vm_count = fake_vm_count, .vm_info = fake_vm_info,
	.vm_action = fake_vm_action, .shutdown = fake_shutdown, .ctx = &fake,
};

static void add_vm(const char *name, const char *state, u64 mib, u32 weight, u32 cap, u64 cpu_ms)
{
	struct shell_vm_info *v = &fake.vm[fake.nvm++];

	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->state = state;
	v->vcpus = 1;
	v->memory = mib * MiB;
	v->large_pages = mib / 2;
	v->weight = weight;
	v->cap = cap;
	v->cpu_ns = cpu_ms * 1000000;
	v->age_ns = 4000ull * 1000000;
}

static int setup(void **state)
{
	memset(&fake, 0, sizeof(fake));
	add_vm("a", "running", 2, 256, 0, 1234);
	add_vm("b", "paused", 16, 100, 50, 7);
	shell_init(&sh, &fake_ops);
	return 0;
}

static void reset_out(void)
{
	fake.len = 0;
	fake.out[0] = 0;
}

static void type(const char *s)
{
	while (*s)
		shell_input(&sh, (u8)*s++);
}

/* Type a command line and return what the shell wrote for it. */
static const char *run(const char *line)
{
	reset_out();
	type(line);
	type("\r");
	return fake.out;
}

static bool has(const char *needle)
{
	return strstr(fake.out, needle) != NULL;
}

static unsigned count(const char *needle)
{
	unsigned n = 0;

	for (const char *p = fake.out; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* --- commands ------------------------------------------------------------- */

static void test_prompt_and_echo(void **state)
{
	shell_prompt(&sh);
	assert_string_equal(fake.out, "keel> ");
	reset_out();
	type("li");
	assert_string_equal(fake.out, "li");
	reset_out();
	shell_prompt(&sh);	/* back from a VM: the line typed so far is shown again */
	assert_string_equal(fake.out, "keel> li");
}

static void test_list(void **state)
{
	run("list");
	assert_string_equal(fake.out,
		"list\n"
		"name             state    vcpus    MiB weight  cap    cpu ms\n"
		"a                running      1      2    256    -      1234\n"
		"b                paused       1     16    100  50%         7\n"
		"keel> ");
	fake.nvm = 0;
	run("list");
	assert_true(has("keel: no VMs\n"));
}

static void test_stats_one(void **state)
{
	struct shell_vm_info *a = &fake.vm[0];

	a->exits = 5003;
	a->exit_kinds[0] = (struct shell_exit_count){ "HLT", 3 };
	a->exit_kinds[1] = (struct shell_exit_count){ "IO_INSTRUCTION", 5000 };
	a->nexit_kinds = 2;
	a->intr_injected = 42;
	snprintf(a->devices, sizeof(a->devices), "vd0 eth0");
	run("stats a");
	assert_string_equal(fake.out,
		"stats a\n"
		"vm a: running, 1 vCPU, 2 MiB RAM (1 2M pages), weight 256, no cap\n"
		"  cpu: 1234 ms, 30.8% of the 4000 ms since it started\n"
		"  exits: 5003 HLT=3 IO_INSTRUCTION=5000\n"
		"  interrupts injected: 42\n"
		"  virtio: vd0 eth0\n"
		"keel> ");
	run("stats b");
	assert_true(has("vm b: paused, 1 vCPU, 16 MiB RAM (8 2M pages), weight 100, cap 50%\n"));
	assert_true(has("  cpu: 7 ms, 0.1% of the 4000 ms"));
	assert_true(has("  exits: 0\n"));
	assert_false(has("virtio"));
}

/* Without an argument, one block per VM; a VM just started (age 0) shows
 * 0% rather than dividing by zero. */
static void test_stats_all(void **state)
{
	fake.vm[1].age_ns = 0;
	run("stats");
	assert_int_equal(count("vm a: "), 1);
	assert_int_equal(count("vm b: "), 1);
	assert_true(has("  cpu: 7 ms, 0.0% of the 0 ms since it started\n"));
	fake.nvm = 0;
	run("stats");
	assert_true(has("keel: no VMs\n"));
}

/* Many exit reasons wrap onto indented lines, none past the wrap column. */
static void test_stats_wraps_exits(void **state)
{
	static const char *const names[] = { "EXCEPTION_NMI", "EXTERNAL_INTERRUPT", "INTERRUPT_WINDOW",
		"CPUID", "HLT", "IO_INSTRUCTION", "RDMSR", "WRMSR", "EPT_VIOLATION", "PREEMPTION_TIMER",
		"XSETBV", "VMCALL", "CR_ACCESS" };
	struct shell_vm_info *a = &fake.vm[0];

	for (unsigned i = 0; i < ARRAY_SIZE(names); i++)
		a->exit_kinds[a->nexit_kinds++] = (struct shell_exit_count){ names[i], 1000000 + i };
	run("stats a");
	for (unsigned i = 0; i < ARRAY_SIZE(names); i++) {
		char item[64];
		snprintf(item, sizeof(item), " %s=%u", names[i], 1000000 + i);
		assert_true(has(item));
	}
	for (const char *line = fake.out; *line; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != 0))
		assert_true(strcspn(line, "\n") <= 76);
	assert_true(count("\n        ") >= 2);
}

static void test_actions(void **state)
{
	run("pause a");
	assert_int_equal(fake.actions, 1);
	assert_int_equal(fake.action, SHELL_PAUSE);
	assert_string_equal(fake.action_vm, "a");
	assert_string_equal(fake.out, "pause a\nkeel: vm a paused\nkeel> ");
	run("resume b");
	assert_int_equal(fake.action, SHELL_RESUME);
	assert_true(has("keel: vm b resumed\n"));
	run("destroy b");
	assert_int_equal(fake.action, SHELL_DESTROY);
	assert_true(has("keel: vm b destroyed\n"));
	fake.action_result = -EALREADY;
	run("pause a");
	assert_true(has("keel: vm a is already paused\n"));
	run("resume a");
	assert_true(has("keel: vm a is not paused\n"));
	run("destroy a");
	assert_true(has("keel: vm a has already stopped\n"));
	fake.action_result = -EINVAL;
	run("pause a");
	assert_true(has("keel: vm a has stopped\n"));
	fake.action_result = -ENOMEM;
	run("resume a");
	assert_true(has("keel: vm a: failed (error -12)\n"));
}

/* console hands the console on: no prompt (the console prints the switch). */
static void test_console(void **state)
{
	run("console b");
	assert_int_equal(fake.action, SHELL_CONSOLE);
	assert_string_equal(fake.out, "console b\n");
	fake.action_result = -EINVAL;
	run("console a");
	assert_true(has("keel: vm a has stopped\nkeel> "));
}

static void test_shutdown(void **state)
{
	run("shutdown");
	assert_int_equal(fake.shutdowns, 1);
	assert_false(has("keel> "));
	run("shutdown now");
	assert_int_equal(fake.shutdowns, 1);
	assert_true(has("keel: shutdown takes no argument\n"));
}

static void test_errors(void **state)
{
	run("pause x");
	assert_string_equal(fake.out, "pause x\nkeel: no VM named \"x\" (list shows them)\nkeel> ");
	run("stats nosuch");
	assert_true(has("keel: no VM named \"nosuch\" (list shows them)\n"));
	run("foo");
	assert_true(has("keel: unknown command \"foo\" (try help)\n"));
	run("LIST");
	assert_true(has("keel: unknown command \"LIST\" (try help)\n"));
	run("pause");
	assert_true(has("keel: pause needs a VM name (list shows them)\n"));
	run("pause a b");
	assert_true(has("keel: pause takes one VM name\n"));
	run("stats a b");
	assert_true(has("keel: stats takes one VM name\n"));
	run("list all");
	assert_true(has("keel: list takes no argument\n"));
	assert_int_equal(fake.actions, 1);	/* only "pause x" got as far as asking */
}

static void test_help(void **state)
{
	static const char *const cmds[] = { "list", "stats [VM]", "pause VM", "resume VM",
					    "destroy VM", "console VM", "shutdown", "help" };

	run("help");
	for (unsigned i = 0; i < ARRAY_SIZE(cmds); i++) {
		char line[32];
		snprintf(line, sizeof(line), "\n  %s ", cmds[i]);
		assert_true(has(line));
	}
	assert_true(has("Ctrl-]"));
}

/* Spaces around and between words do not matter; an empty line prompts. */
static void test_spaces_and_empty(void **state)
{
	run("   pause    a   ");
	assert_string_equal(fake.action_vm, "a");
	assert_true(has("keel: vm a paused\n"));
	run("");
	assert_string_equal(fake.out, "\nkeel> ");
	run("     ");
	assert_string_equal(fake.out, "     \nkeel> ");
}

/* --- line editing --------------------------------------------------------- */

static void test_backspace_and_del(void **state)
{
	run("lisx\b\x7fst");
	assert_true(has("lisx\b \b\b \bst\n"));
	assert_true(has("name "));	/* "list" ran */
	reset_out();
	type("\b\x7f");			/* nothing to erase: nothing shown */
	assert_string_equal(fake.out, "");
}

static void test_ctrl_u_and_ctrl_c(void **state)
{
	run("pause a\x15list");
	assert_int_equal(fake.actions, 0);
	assert_true(has("pause a\b \b\b \b\b \b\b \b\b \b\b \b\b \blist\n"));
	assert_true(has("name "));
	run("pause a\x03");
	assert_int_equal(fake.actions, 0);
	assert_string_equal(fake.out, "pause a^C\nkeel> \nkeel> ");
}

/* Ctrl-R shows the prompt and the line so far again, which stays. */
static void test_ctrl_r(void **state)
{
	reset_out();
	type("paus\x12");
	assert_string_equal(fake.out, "paus^R\nkeel> paus");
	run("e a");
	assert_int_equal(fake.actions, 1);
	assert_string_equal(fake.action_vm, "a");
}

/* CR, LF and CRLF each end one line; LFCR is two. */
static void test_line_ends(void **state)
{
	reset_out();
	type("pause a\r\nresume a\nlist\r");
	assert_int_equal(fake.actions, 2);
	assert_int_equal(count("keel> "), 3);
	reset_out();
	type("\n");			/* the LF of "list\r\n" */
	assert_int_equal(count("keel> "), 0);
	type("\n");
	assert_int_equal(count("keel> "), 1);
	type("\n\r");
	assert_int_equal(count("keel> "), 3);
	type("\n\r\n");		/* the LF ends nothing (CR before it), then a CRLF */
	assert_int_equal(count("keel> "), 4);
}

/* A line longer than the buffer is refused whole at its end; backspacing
 * back under the limit makes it acceptable again. */
static void test_overlong(void **state)
{
	char line[SHELL_LINE_MAX + 20];

	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = 0;
	run(line);
	assert_true(has("keel: line too long (at most 80 characters); nothing done\n"));
	assert_false(has("unknown command"));
	assert_int_equal(count("x"), SHELL_LINE_MAX);	/* the rest was not echoed */
	/* The next line is clean. */
	run("list");
	assert_true(has("name "));

	/* "pause a" padded to the limit, 3 more, 3 backspaces: accepted. */
	memset(line, ' ', SHELL_LINE_MAX);
	memcpy(line, "pause a", 7);
	memcpy(line + SHELL_LINE_MAX, "zzz\b\b\b", 7);
	run(line);
	assert_false(has("too long"));
	assert_int_equal(fake.actions, 1);
	/* Exactly SHELL_LINE_MAX characters are fine. */
	memset(line, ' ', SHELL_LINE_MAX);
	memcpy(line, "list", 4);
	line[SHELL_LINE_MAX] = 0;
	run(line);
	assert_true(has("name "));
	/* Ctrl-U forgets an overlong line too. */
	memset(line, 'y', SHELL_LINE_MAX + 5);
	line[SHELL_LINE_MAX + 5] = 0;
	type(line);
	run("\x15list");
	assert_false(has("too long"));
	assert_true(has("name "));
}

/* Arrow keys and other escape sequences insert nothing. */
static void test_escape_sequences(void **state)
{
	run("li\x1b[A\x1b[1;5Cs\x1bOBt\x1bx");
	assert_true(has("name "));
	assert_true(!strncmp(fake.out, "list\n", 5));
	/* An escape cut short by Enter still runs the line. */
	run("list\x1b[");
	assert_true(has("name "));
}

/* Bytes that are neither printable ASCII nor an editing key are ignored
 * and never echoed; a stream of all 256 values, over and over, leaves the
 * shell sane and its output free of control bytes other than \n and \b. */
static void test_binary_garbage(void **state)
{
	unsigned seed = 12345;

	run("l\x01i\x80s\xfft\x1d\t");
	assert_true(!strncmp(fake.out, "list\n", 5));
	reset_out();
	for (unsigned i = 0; i < 20000; i++) {
		seed = seed * 1103515245 + 12345;
		shell_input(&sh, (u8)(seed >> 16));
		if (fake.len > sizeof(fake.out) / 2)
			reset_out();
		assert_true(sh.len <= SHELL_LINE_MAX);
		for (size_t j = 0; j < fake.len; j++) {
			u8 c = (u8)fake.out[j];
			assert_true((c >= 0x20 && c < 0x7f) || c == '\n' || c == '\b');
		}
	}
	type("\x03");
	run("list");
	assert_true(has("name "));
}

/* Names and strings from outside the shell are shown with every odd byte
 * as '?', and cut to fit: an ESC from a VM name never reaches the host. */
static void test_hostile_names(void **state)
{
	static char state_text[] = "run\x1b[2Jning";

	snprintf(fake.vm[0].name, sizeof(fake.vm[0].name), "e\x1b]0;pwn\x07\xff\n");
	fake.vm[0].state = state_text;
	fake.vm[0].exit_kinds[0] = (struct shell_exit_count){ "HLT\r\n", 1 };
	fake.vm[0].nexit_kinds = 1;
	snprintf(fake.vm[0].devices, sizeof(fake.vm[0].devices), "vd0\x1b[31m");
	memset(fake.vm[1].name, 'n', sizeof(fake.vm[1].name));	/* no NUL at all */
	fake.vm[1].state = NULL;
	run("list");
	assert_true(has("\ne?]0;pwn???      run?[2Jning     1 "));
	run("stats");
	assert_true(has("vm e?]0;pwn???: run?[2Jning,"));
	assert_true(has(" HLT?" "?=1\n"));
	assert_true(has("  virtio: vd0?[31m\n"));
	assert_true(has("vm nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn: , 1 vCPU"));
	assert_null(strchr(fake.out, '\x1b'));
	assert_null(strchr(fake.out, '\r'));
	assert_null(strchr(fake.out, '\x07'));
	/* The exit-reason name is cut, not overflowed, when absurdly long. */
	char longname[200];
	memset(longname, 'L', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	fake.vm[0].exit_kinds[0].name = longname;
	run("stats");
	assert_true(has("LLLL=1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_prompt_and_echo, setup),
		cmocka_unit_test_setup(test_list, setup),
		cmocka_unit_test_setup(test_stats_one, setup),
		cmocka_unit_test_setup(test_stats_all, setup),
		cmocka_unit_test_setup(test_stats_wraps_exits, setup),
		cmocka_unit_test_setup(test_actions, setup),
		cmocka_unit_test_setup(test_console, setup),
		cmocka_unit_test_setup(test_shutdown, setup),
		cmocka_unit_test_setup(test_errors, setup),
		cmocka_unit_test_setup(test_help, setup),
		cmocka_unit_test_setup(test_spaces_and_empty, setup),
		cmocka_unit_test_setup(test_backspace_and_del, setup),
		cmocka_unit_test_setup(test_ctrl_u_and_ctrl_c, setup),
		cmocka_unit_test_setup(test_ctrl_r, setup),
		cmocka_unit_test_setup(test_line_ends, setup),
		cmocka_unit_test_setup(test_overlong, setup),
		cmocka_unit_test_setup(test_escape_sequences, setup),
		cmocka_unit_test_setup(test_binary_garbage, setup),
		cmocka_unit_test_setup(test_hostile_names, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
