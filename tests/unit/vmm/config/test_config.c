/*
 * Host tests for vmm/config/config.c: defaults, every key's range edges, the exact
 * message shapes of docs/config.md, which problems drop a VM and which keep
 * a default, module lookup, the running memory total, and the boot table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/config/config.h"

#define MAX_REPORTS 64

static char reports[MAX_REPORTS][256];
static unsigned nreports;
static struct keel_config cfg;
static const char *const *loaded;	/* modules that "exist"; NULL-terminated */
static u64 host_ram = 4 * GiB;

static const char *const default_modules[] = {
	"vmlinuz", "initrd.img", "root.img", "data.img", NULL,
};

static void report(void *ctx, const char *msg)
{
	assert_ptr_equal(ctx, &nreports);
	assert_true(nreports < MAX_REPORTS);
	assert_null(strchr(msg, '\n'));
	snprintf(reports[nreports++], sizeof(reports[0]), "%s", msg);
}

static bool module_exists(void *ctx, const char *name)
{
	assert_ptr_equal(ctx, &loaded);
	for (unsigned i = 0; loaded[i]; i++)
		if (!strcmp(loaded[i], name))
			return true;
	return false;
}

static int load(const char *text)
{
	struct config_env env = {
		.host_ram = host_ram, .module_exists = module_exists, .ctx = &loaded,
		.report = report, .report_ctx = &nreports,
	};
	int rc;

	nreports = 0;
	memset(&cfg, 0x5a, sizeof(cfg));	/* config_load must set every field */
	rc = config_load("keel.toml", text, strlen(text), &env, &cfg);
	if (rc >= 0)
		assert_int_equal(rc, nreports);
	return rc;
}

/* text must load with exactly one report, equal to msg. */
static void expect_one(const char *text, const char *msg)
{
	int rc = load(text);

	if (nreports != 1 || strcmp(reports[0], msg)) {
		for (unsigned i = 0; i < nreports; i++)
			print_error("report %u: %s\n", i, reports[i]);
		fail_msg("expected exactly: %s (rc %d)", msg, rc);
	}
}

static void expect_clean(const char *text)
{
	int rc = load(text);

	for (unsigned i = 0; i < nreports; i++)
		print_error("unexpected: %s\n", reports[i]);
	assert_int_equal(rc, 0);
}

#define VM_WEB "[[vm]]\nname = \"web\"\nkernel = \"vmlinuz\"\nmemory = \"512M\"\n"

static int setup(void **state)
{
	loaded = default_modules;
	host_ram = 4 * GiB;
	return 0;
}

static void test_defaults(void **state)
{
	const struct vm_config *vm = &cfg.vm[0];

	expect_clean(VM_WEB);
	assert_int_equal(cfg.host.log_level, LOG_INFO);
	assert_int_equal(cfg.host.serial_port, 0x3f8);
	assert_int_equal(cfg.host.shutdown, CONFIG_SHUTDOWN_ACPI);
	assert_string_equal(cfg.host.focus, "");
	assert_int_equal(cfg.host.focus_vm, 0);
	assert_int_equal(cfg.nvm, 1);
	assert_string_equal(vm->name, "web");
	assert_string_equal(vm->kernel, "vmlinuz");
	assert_string_equal(vm->initrd, "");
	assert_string_equal(vm->cmdline, "");
	assert_true(vm->memory == 512 * MiB);
	assert_int_equal(vm->vcpus, 1);
	assert_int_equal(vm->weight, 256);
	assert_int_equal(vm->cap, 0);
	assert_int_equal(vm->console, CONFIG_CONSOLE_SERIAL);
	assert_int_equal(vm->boot, CONFIG_BOOT_LINUX);
	assert_int_equal(vm->ndisk, 0);
	assert_int_equal(vm->nnic, 0);
	assert_int_equal(vm->line, 1);
	/* The unused slots are zero, not left over from before. */
	for (unsigned i = 1; i < CONFIG_MAX_VMS; i++)
		assert_int_equal(cfg.vm[i].name[0], 0);
}

static void test_every_key(void **state)
{
	const struct vm_config *vm;

	expect_clean("[host]\nlog_level = \"debug\"\nserial = \"com4\"\nshutdown = \"bochs\"\n"
		     "focus = \"db\"\n\n" VM_WEB
		     "[[vm]]\nname = \"db\"\nkernel = \"vmlinuz\"\ninitrd = \"initrd.img\"\n"
		     "cmdline = \"console=ttyS0 quiet\"\nmemory = 1073741824\nvcpus = 4\n"
		     "weight = 1000\ncap = 250\nconsole = \"none\"\nboot = \"flat32\"\n"
		     "disks = [ { image = \"root.img\" }, { image = \"data.img\", readonly = true } ]\n"
		     "nics = [ { switch = \"lan0\", mac = \"52:54:00:AB:cd:0e\" }, { switch = \"dmz\" } ]\n");
	assert_int_equal(cfg.host.log_level, LOG_DEBUG);
	assert_int_equal(cfg.host.serial_port, 0x2e8);
	assert_int_equal(cfg.host.shutdown, CONFIG_SHUTDOWN_BOCHS);
	assert_string_equal(cfg.host.focus, "db");
	assert_int_equal(cfg.host.focus_vm, 1);
	assert_int_equal(cfg.nvm, 2);
	vm = &cfg.vm[1];
	assert_string_equal(vm->initrd, "initrd.img");
	assert_string_equal(vm->cmdline, "console=ttyS0 quiet");
	assert_true(vm->memory == GiB);
	assert_int_equal(vm->vcpus, 4);
	assert_int_equal(vm->weight, 1000);
	assert_int_equal(vm->cap, 250);
	assert_int_equal(vm->console, CONFIG_CONSOLE_NONE);
	assert_int_equal(vm->boot, CONFIG_BOOT_FLAT32);
	assert_int_equal(vm->ndisk, 2);
	assert_string_equal(vm->disk[0].image, "root.img");
	assert_false(vm->disk[0].readonly);
	assert_true(vm->disk[1].readonly);
	assert_int_equal(vm->nnic, 2);
	assert_string_equal(vm->nic[0].switch_name, "lan0");
	assert_memory_equal(vm->nic[0].mac, "\x52\x54\x00\xab\xcd\x0e", 6);
	assert_string_equal(vm->nic[1].switch_name, "dmz");
	assert_memory_equal(vm->nic[1].mac, "\0\0\0\0\0\0", 6);	/* Keel picks one */
	assert_int_equal(vm->line, 11);
}

/* The three message shapes docs/config.md promises, character for character. */
static void test_message_shapes(void **state)
{
	expect_one("\n\n\n\n\n\n\n\n\n\n\n[[vm]]\nname = \"web\"\nkernel = \"vmlinuz\"\n"
		   "memory = \"12X\"\n",
		   "keel.toml:15: vm \"web\": memory: \"12X\" is not a size (try 512M or 2G)");
	expect_one("# c\n[host]\nlog_level = \"loud\"\n" VM_WEB,
		   "keel.toml:3: host: log_level: \"loud\" is not one of error, warn, info, debug");
	assert_int_equal(cfg.host.log_level, LOG_INFO);	/* the default is kept */
	assert_int_equal(cfg.nvm, 1);
	assert_int_equal(load("[[vm]]\n\n\n\n\n\nname \"web\"\n"), -EINVAL);
	assert_int_equal(nreports, 1);
	assert_string_equal(reports[0], "keel.toml:7: expected '=' after key \"name\"");
	host_ram = GiB;
	expect_one(VM_WEB "[[vm]]\nname = \"db\"\nkernel = \"vmlinuz\"\nmemory = \"768M\"\n",
		   "keel.toml:8: vm \"db\": memory: 768M does not fit: 512M of host memory left");
}

static void test_syntax_error_rejects_file(void **state)
{
	assert_int_equal(load(VM_WEB "[[vm]]\nname = \"db\"\nkernel = \"vmlinuz\"\nmemory = 1.5\n"),
			 -EINVAL);
	assert_int_equal(nreports, 1);
	assert_string_equal(reports[0], "keel.toml:8: floats are not supported: \"1.5\"");
	assert_int_equal(cfg.nvm, 0);				/* web is not kept either */
	assert_int_equal(cfg.host.serial_port, 0x3f8);		/* defaults, not 0x5a5a */
	assert_int_equal(cfg.vm[0].name[0], 0);
}

static void test_invalid_vm_dropped_others_kept(void **state)
{
	int rc = load("[[vm]]\nname = \"a\"\nkernel = \"vmlinuz\"\nmemory = \"16M\"\n"
		      "[[vm]]\nname = \"b\"\nkernel = \"vmlinuz\"\nmemory = \"16M\"\nvcpus = 0\n"
		      "weight = 0\nbogus = 1\n"
		      "[[vm]]\nname = \"c\"\nkernel = \"vmlinuz\"\nmemory = \"16M\"\n");

	assert_int_equal(rc, 3);				/* every problem of b */
	assert_string_equal(reports[0], "keel.toml:9: vm \"b\": vcpus: 0 is out of range 1..16");
	assert_string_equal(reports[1], "keel.toml:10: vm \"b\": weight: 0 is out of range 1..65535");
	assert_string_equal(reports[2], "keel.toml:11: vm \"b\": unknown key \"bogus\"");
	assert_int_equal(cfg.nvm, 2);
	assert_string_equal(cfg.vm[0].name, "a");
	assert_string_equal(cfg.vm[1].name, "c");
	assert_int_equal(cfg.vm[2].name[0], 0);			/* b's slot was cleared */
}

static void test_bad_host_keys_keep_defaults(void **state)
{
	int rc = load("[host]\nlog_level = 3\nserial = \"com9\"\nshutdown = \"off\"\nfocus = \"x y\"\n"
		      "nope = 1\n" VM_WEB);

	assert_int_equal(rc, 5);
	assert_string_equal(reports[0], "keel.toml:2: host: log_level: expected a string, not an integer");
	assert_string_equal(reports[1], "keel.toml:3: host: serial: \"com9\" is not com1..com4 or an I/O port number");
	assert_string_equal(reports[2], "keel.toml:4: host: shutdown: \"off\" is not one of halt, acpi, bochs, qemu");
	assert_string_equal(reports[3], "keel.toml:5: host: focus: \"x y\" must be 1-31 characters of A-Z a-z 0-9 _ -");
	assert_string_equal(reports[4], "keel.toml:6: host: unknown key \"nope\"");
	assert_int_equal(cfg.host.log_level, LOG_INFO);
	assert_int_equal(cfg.host.serial_port, 0x3f8);
	assert_int_equal(cfg.host.shutdown, CONFIG_SHUTDOWN_ACPI);
	assert_string_equal(cfg.host.focus, "");
	assert_int_equal(cfg.nvm, 1);				/* the VMs still load */
}

static void test_serial(void **state)
{
	static const struct { const char *val; u16 port; } good[] = {
		{ "\"com1\"", 0x3f8 }, { "\"com2\"", 0x2f8 }, { "\"com3\"", 0x3e8 },
		{ "\"com4\"", 0x2e8 }, { "\"0x3f8\"", 0x3f8 }, { "0x2f8", 0x2f8 },
		{ "1", 1 }, { "0xfff8", 0xfff8 }, { "\"760\"", 760 },
	};
	static const char *const bad[] = {
		"\"COM1\"", "\"com0\"", "\"com\"", "\"\"", "0", "-1", "0xfff9", "0x10000",
		"\"0x100000000000000000\"", "true", "[0x3f8]",
	};
	char text[256];

	for (unsigned i = 0; i < ARRAY_SIZE(good); i++) {
		snprintf(text, sizeof(text), "[host]\nserial = %s\n" VM_WEB, good[i].val);
		expect_clean(text);
		assert_int_equal(cfg.host.serial_port, good[i].port);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof(text), "[host]\nserial = %s\n" VM_WEB, bad[i]);
		assert_int_equal(load(text), 1);
		assert_non_null(strstr(reports[0], "keel.toml:2: host: serial: "));
		assert_int_equal(cfg.host.serial_port, 0x3f8);
	}
}

/* One VM with key = val (appended to VM_WEB): 1 if it is rejected. */
static int vm_with(const char *kv)
{
	char text[4096];

	snprintf(text, sizeof(text), VM_WEB "%s\n", kv);
	return load(text);
}

static void test_integer_ranges(void **state)
{
	assert_int_equal(vm_with("vcpus = 1"), 0);
	assert_int_equal(vm_with("vcpus = 16"), 0);
	assert_int_equal(cfg.vm[0].vcpus, 16);
	assert_int_equal(vm_with("vcpus = 0"), 1);
	assert_int_equal(vm_with("vcpus = 17"), 1);
	assert_int_equal(vm_with("vcpus = -1"), 1);
	assert_string_equal(reports[0], "keel.toml:5: vm \"web\": vcpus: -1 is out of range 1..16");
	assert_int_equal(vm_with("vcpus = 9223372036854775807"), 1);
	assert_int_equal(vm_with("vcpus = 4294967297"), 1);	/* not truncated to 1 */
	assert_int_equal(cfg.nvm, 0);
	assert_int_equal(vm_with("weight = 1"), 0);
	assert_int_equal(vm_with("weight = 65535"), 0);
	assert_int_equal(vm_with("weight = 65536"), 1);
	assert_int_equal(vm_with("cap = 0"), 0);
	assert_int_equal(vm_with("cap = 100"), 0);
	assert_int_equal(vm_with("cap = 101"), 1);
	assert_string_equal(reports[0],
			    "keel.toml:5: vm \"web\": cap: 101 is more than 100 per vCPU (vcpus = 1)");
	assert_int_equal(vm_with("vcpus = 3\ncap = 300"), 0);
	assert_int_equal(vm_with("vcpus = 3\ncap = 301"), 1);
	assert_int_equal(vm_with("cap = 1601"), 1);
	assert_string_equal(reports[0], "keel.toml:5: vm \"web\": cap: 1601 is out of range 0..1600");
	assert_int_equal(vm_with("vcpus = 2.0"), -EINVAL);
	assert_int_equal(vm_with("vcpus = \"2\""), 1);
	assert_string_equal(reports[0], "keel.toml:5: vm \"web\": vcpus: expected an integer, not a string");
}

static void test_memory(void **state)
{
	static const struct { const char *val; u64 bytes; } good[] = {
		{ "\"16M\"", 16 * MiB }, { "\"3G\"", 3 * GiB }, { "\"16384K\"", 16 * MiB },
		{ "\"512m\"", 512 * MiB }, { "\"0x1000000\"", 16 * MiB }, { "16777216", 16 * MiB },
		{ "0xc000_0000", 3 * GiB }, { "\"16781312\"", 16 * MiB + 4096 },
	};
	static const struct { const char *val; const char *msg; } bad[] = {
		{ "\"12X\"", "\"12X\" is not a size (try 512M or 2G)" },
		{ "\"\"", "\"\" is not a size (try 512M or 2G)" },
		{ "\"G\"", "\"G\" is not a size (try 512M or 2G)" },
		{ "\"512MB\"", "\"512MB\" is not a size (try 512M or 2G)" },
		{ "\" 512M\"", "\" 512M\" is not a size (try 512M or 2G)" },
		{ "\"-1M\"", "\"-1M\" is not a size (try 512M or 2G)" },
		{ "\"512K\"", "\"512K\" is out of range 1M..3G" },
		{ "\"1020K\"", "\"1020K\" is out of range 1M..3G" },
		{ "\"3073M\"", "\"3073M\" is out of range 1M..3G" },
		{ "\"99999999999999999999\"", "\"99999999999999999999\" is out of range 1M..3G" },
		{ "\"17179869184G\"", "\"17179869184G\" is out of range 1M..3G" },	/* 2^64 */
		{ "0", "0 is out of range 1M..3G" },
		{ "-16777216", "-16777216 is out of range 1M..3G" },
		{ "16777217", "16777217 is not a multiple of 4K" },
		{ "true", "expected a size (\"512M\") or an integer, not a boolean" },
		{ "[\"512M\"]", "expected a size (\"512M\") or an integer, not an array" },
	};
	char text[256], msg[256];

	for (unsigned i = 0; i < ARRAY_SIZE(good); i++) {
		snprintf(text, sizeof(text), "[[vm]]\nname = \"a\"\nkernel = \"vmlinuz\"\nmemory = %s\n",
			 good[i].val);
		expect_clean(text);
		assert_true(cfg.vm[0].memory == good[i].bytes);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof(text), "[[vm]]\nname = \"a\"\nkernel = \"vmlinuz\"\nmemory = %s\n",
			 bad[i].val);
		snprintf(msg, sizeof(msg), "keel.toml:4: vm \"a\": memory: %s", bad[i].msg);
		expect_one(text, msg);
		assert_int_equal(cfg.nvm, 0);
	}
}

/* The running total counts only VMs that were accepted. */
static void test_memory_total(void **state)
{
	host_ram = GiB;
	assert_int_equal(load("[[vm]]\nname = \"a\"\nkernel = \"vmlinuz\"\nmemory = \"512M\"\n"
			      "[[vm]]\nname = \"b\"\nkernel = \"vmlinuz\"\nmemory = \"768M\"\n"
			      "[[vm]]\nname = \"c\"\nkernel = \"vmlinuz\"\nmemory = \"nope\"\n"
			      "[[vm]]\nname = \"d\"\nkernel = \"vmlinuz\"\nmemory = \"512M\"\n"
			      "[[vm]]\nname = \"e\"\nkernel = \"vmlinuz\"\nmemory = \"16M\"\n"), 3);
	assert_string_equal(reports[0], "keel.toml:8: vm \"b\": memory: 768M does not fit: 512M of host memory left");
	assert_string_equal(reports[2], "keel.toml:20: vm \"e\": memory: 16M does not fit: 0 of host memory left");
	assert_int_equal(cfg.nvm, 2);
	assert_string_equal(cfg.vm[1].name, "d");

	host_ram = 0;						/* no limit */
	expect_clean("[[vm]]\nname = \"a\"\nkernel = \"vmlinuz\"\nmemory = \"3G\"\n"
		     "[[vm]]\nname = \"b\"\nkernel = \"vmlinuz\"\nmemory = \"3G\"\n");
	host_ram = 100 * MiB + 4096;				/* an odd amount left */
	expect_one("[[vm]]\nname = \"a\"\nkernel = \"vmlinuz\"\nmemory = \"128M\"\n",
		   "keel.toml:4: vm \"a\": memory: 128M does not fit: 102404K of host memory left");
}

static void test_required_keys(void **state)
{
	int rc = load("# x\n[[vm]]\nvcpus = 2\n");

	assert_int_equal(rc, 3);
	assert_string_equal(reports[0], "keel.toml:2: vm #1: missing required key \"name\"");
	assert_string_equal(reports[1], "keel.toml:2: vm #1: missing required key \"kernel\"");
	assert_string_equal(reports[2], "keel.toml:2: vm #1: missing required key \"memory\"");
	expect_one(VM_WEB "[[vm]]\nkernel = \"vmlinuz\"\nmemory = \"16M\"\n",
		   "keel.toml:5: vm #2: missing required key \"name\"");
	expect_one("[[vm]]\nname = \"a\"\nmemory = \"16M\"\n",
		   "keel.toml:1: vm \"a\": missing required key \"kernel\"");
}

static void test_names(void **state)
{
	static const char *const good[] = {
		"a", "Z", "0", "web-1", "db_2", "abcdefghijklmnopqrstuvwxyz01234",
	};
	static const char *const bad[] = {
		"", "web server", "web.1", "w\\u00e9b", "abcdefghijklmnopqrstuvwxyz012345", "a/b",
		"a\\u0000b",
	};
	char text[256];

	for (unsigned i = 0; i < ARRAY_SIZE(good); i++) {
		snprintf(text, sizeof(text), "[[vm]]\nname = \"%s\"\nkernel = \"vmlinuz\"\nmemory = \"16M\"\n",
			 good[i]);
		expect_clean(text);
		assert_string_equal(cfg.vm[0].name, good[i]);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof(text), "[[vm]]\nname = \"%s\"\nkernel = \"vmlinuz\"\nmemory = \"16M\"\n",
			 bad[i]);
		assert_int_equal(load(text), 1);
		assert_non_null(strstr(reports[0], "keel.toml:2: vm #1: name: "));
		assert_non_null(strstr(reports[0], " must be 1-31 characters of A-Z a-z 0-9 _ -"));
	}
	expect_one("[[vm]]\nname = 7\nkernel = \"vmlinuz\"\nmemory = \"16M\"\n",
		   "keel.toml:2: vm #1: name: expected a string, not an integer");
}

static void test_duplicate_names(void **state)
{
	int rc = load("[[vm]]\nname = \"web\"\nkernel = \"vmlinuz\"\nmemory = \"16M\"\nvcpus = 2\n"
		      "[[vm]]\nkernel = \"vmlinuz\"\nmemory = \"16M\"\nname = \"web\"\n");

	assert_int_equal(rc, 1);
	assert_string_equal(reports[0], "keel.toml:9: vm \"web\": name: \"web\" is already used by the vm on line 1");
	assert_int_equal(cfg.nvm, 1);
	assert_int_equal(cfg.vm[0].vcpus, 2);			/* the first one is kept */

	/* An invalid first VM does not claim its name. */
	expect_one("[[vm]]\nname = \"web\"\nkernel = \"vmlinuz\"\nmemory = \"512K\"\n" VM_WEB,
		   "keel.toml:4: vm \"web\": memory: \"512K\" is out of range 1M..3G");
	assert_int_equal(cfg.nvm, 1);
}

static void test_modules(void **state)
{
	static const char *const none[] = { NULL };
	struct config_env env = { .host_ram = GiB, .report = report, .report_ctx = &nreports };

	expect_one(VM_WEB "initrd = \"initrd.gz\"\n",
		   "keel.toml:5: vm \"web\": initrd: module \"initrd.gz\" was not loaded");
	expect_one(VM_WEB "disks = [ { image = \"root.img\" }, { image = \"x\" } ]\n",
		   "keel.toml:5: vm \"web\": disks[1]: image: module \"x\" was not loaded");
	loaded = none;
	expect_one(VM_WEB, "keel.toml:3: vm \"web\": kernel: module \"vmlinuz\" was not loaded");
	expect_one("[[vm]]\nname = \"a\"\nkernel = \"\"\nmemory = \"16M\"\n",
		   "keel.toml:3: vm \"a\": kernel: the module name is empty");
	expect_one("[[vm]]\nname = \"a\"\nkernel = \"a\\tb\"\nmemory = \"16M\"\n",
		   "keel.toml:3: vm \"a\": kernel: \"a?b\" contains a control character");
	expect_one("[[vm]]\nname = \"a\"\nkernel = \"a\\u0000b\"\nmemory = \"16M\"\n",
		   "keel.toml:3: vm \"a\": kernel: \"a?b\" contains a NUL character");

	/* Without a module_exists() every module is taken to be there. */
	nreports = 0;
	assert_int_equal(config_load("k.toml", VM_WEB, strlen(VM_WEB), &env, &cfg), 0);
	assert_int_equal(cfg.nvm, 1);
}

static void test_long_strings(void **state)
{
	static char text[8192], arg[4096];

	memset(arg, 'x', CONFIG_CMDLINE_MAX - 1);
	arg[CONFIG_CMDLINE_MAX - 1] = 0;
	snprintf(text, sizeof(text), VM_WEB "cmdline = \"%s\"\n", arg);
	expect_clean(text);
	assert_int_equal(strlen(cfg.vm[0].cmdline), CONFIG_CMDLINE_MAX - 1);
	snprintf(text, sizeof(text), VM_WEB "cmdline = \"%sx\"\n", arg);
	expect_one(text, "keel.toml:5: vm \"web\": cmdline: "
		   "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\" is longer than 2047 bytes");

	/* A command line may hold any character but NUL: it is the guest's. */
	expect_clean(VM_WEB "cmdline = \"a\\tb\\nc\\u00e9\"\n");
	assert_string_equal(cfg.vm[0].cmdline, "a\tb\nc\xc3\xa9");
	expect_one(VM_WEB "cmdline = \"a\\u0000b\"\n",
		   "keel.toml:5: vm \"web\": cmdline: \"a?b\" contains a NUL character");

	memset(arg, 'm', CONFIG_MODULE_MAX);
	arg[CONFIG_MODULE_MAX] = 0;
	snprintf(text, sizeof(text), "[[vm]]\nname = \"a\"\nkernel = \"%s\"\nmemory = \"16M\"\n", arg);
	assert_int_equal(load(text), 1);
	assert_non_null(strstr(reports[0], "is longer than 127 bytes"));
}

static void test_choices(void **state)
{
	static const char *const boots[] = { "linux", "flat16", "flat32", "flat64" };
	char text[256];

	for (unsigned i = 0; i < ARRAY_SIZE(boots); i++) {
		snprintf(text, sizeof(text), VM_WEB "boot = \"%s\"\n", boots[i]);
		expect_clean(text);
		assert_int_equal(cfg.vm[0].boot, i);
	}
	expect_one(VM_WEB "boot = \"Linux\"\n",
		   "keel.toml:5: vm \"web\": boot: \"Linux\" is not one of linux, flat16, flat32, flat64");
	expect_one(VM_WEB "boot = \"linux \"\n",
		   "keel.toml:5: vm \"web\": boot: \"linux \" is not one of linux, flat16, flat32, flat64");
	expect_one(VM_WEB "console = \"linux\\u0000\"\n",
		   "keel.toml:5: vm \"web\": console: \"linux?\" is not one of serial, none");
	expect_clean(VM_WEB "console = \"none\"\n");
	assert_int_equal(cfg.vm[0].console, CONFIG_CONSOLE_NONE);
	expect_clean("[host]\nshutdown = \"halt\"\nlog_level = \"error\"\n" VM_WEB);
	assert_int_equal(cfg.host.shutdown, CONFIG_SHUTDOWN_HALT);
	assert_int_equal(cfg.host.log_level, LOG_ERROR);
}

static void test_disks_and_nics(void **state)
{
	expect_one(VM_WEB "disks = [ {}, ]\n",
		   "keel.toml:5: vm \"web\": disks[0]: missing required key \"image\"");
	expect_one(VM_WEB "disks = [\n  { image = \"root.img\" },\n  { image = \"root.img\", ro = 1 },\n]\n",
		   "keel.toml:7: vm \"web\": disks[1]: unknown key \"ro\"");
	expect_one(VM_WEB "disks = { image = \"root.img\" }\n",
		   "keel.toml:5: vm \"web\": disks: expected an array of tables, not a table");
	expect_one(VM_WEB "disks = [ [] ]\n",
		   "keel.toml:5: vm \"web\": disks[0]: expected a table, not an array");
	expect_one(VM_WEB "nics = [{switch=\"a\"},{switch=\"b\"},{switch=\"c\"},{switch=\"d\"},{switch=\"e\"}]\n",
		   "keel.toml:5: vm \"web\": nics: 5 entries, at most 4");
	expect_one(VM_WEB "nics = [ { switch = \"lan0\", mac = \"52:54:00:12:34\" } ]\n",
		   "keel.toml:5: vm \"web\": nics[0]: mac: \"52:54:00:12:34\" is not a MAC address like 52:54:00:12:34:56");
	expect_one(VM_WEB "nics = [ { switch = \"lan0\", mac = \"52:54:00:12:34:5g\" } ]\n",
		   "keel.toml:5: vm \"web\": nics[0]: mac: \"52:54:00:12:34:5g\" is not a MAC address like 52:54:00:12:34:56");
	expect_one(VM_WEB "nics = [ { switch = \"lan0\", mac = \"52:54:00:12:34:56:\" } ]\n",
		   "keel.toml:5: vm \"web\": nics[0]: mac: \"52:54:00:12:34:56:\" is not a MAC address like 52:54:00:12:34:56");
	expect_one(VM_WEB "nics = [ { switch = \"lan0\", mac = \"ff:ff:ff:ff:ff:ff\" } ]\n",
		   "keel.toml:5: vm \"web\": nics[0]: mac: \"ff:ff:ff:ff:ff:ff\" is a multicast address");
	expect_one(VM_WEB "nics = [ { switch = \"a\", mac = \"02:00:00:00:00:01\" },"
		   " { switch = \"b\", mac = \"02:00:00:00:00:01\" } ]\n",
		   "keel.toml:5: vm \"web\": nics[1]: mac is already used by vm \"web\"");
	expect_one(VM_WEB "disks = [ { image = \"root.img\", readonly = 1 } ]\n",
		   "keel.toml:5: vm \"web\": disks[0]: readonly: expected true or false, not an integer");
}

static void test_top_level(void **state)
{
	expect_one("", "keel.toml:1: no [[vm]] tables: nothing to run");
	expect_one("[host]\n", "keel.toml:1: no [[vm]] tables: nothing to run");
	expect_one("x = 1\n" VM_WEB, "keel.toml:1: unknown key \"x\" (expected [host] or [[vm]])");
	expect_one("[vm]\nname = \"web\"\n", "keel.toml:1: vm: expected an array of tables ([[vm]]), not a table");
	expect_one("vm = 3\n", "keel.toml:1: vm: expected an array of tables ([[vm]]), not an integer");
	expect_one("vm = [ 1 ]\n", "keel.toml:1: vm #1: expected a table, not an integer");
	expect_one("host = [ 1 ]\n" VM_WEB, "keel.toml:1: host: expected a table ([host]), not an array");
	expect_one("vm = []\n", "keel.toml:1: no [[vm]] tables: nothing to run");
	assert_int_equal(cfg.nvm, 0);
}

static void test_too_many_vms(void **state)
{
	static char text[8192];
	size_t n = 0;

	for (unsigned i = 0; i <= CONFIG_MAX_VMS; i++)
		n += snprintf(text + n, sizeof(text) - n,
			      "[[vm]]\nname = \"v%u\"\nkernel = \"vmlinuz\"\nmemory = \"16M\"\n", i);
	expect_one(text, "keel.toml:65: vm \"v16\": too many VMs (at most 16)");
	assert_int_equal(cfg.nvm, CONFIG_MAX_VMS);
	assert_string_equal(cfg.vm[15].name, "v15");
}

static void test_focus(void **state)
{
	expect_clean("[host]\nfocus = \"b\"\n" VM_WEB "[[vm]]\nname = \"b\"\nkernel = \"vmlinuz\"\nmemory = \"16M\"\n");
	assert_int_equal(cfg.host.focus_vm, 1);
	expect_one("[host]\n\nfocus = \"db\"\n" VM_WEB, "keel.toml:3: host: focus: no vm named \"db\"");
	assert_int_equal(cfg.host.focus_vm, 0);
	/* A focus on a VM that was dropped is reported as well. */
	assert_int_equal(load("[host]\nfocus = \"b\"\n" VM_WEB
			      "[[vm]]\nname = \"b\"\nkernel = \"vmlinuz\"\nmemory = \"1K\"\n"), 2);
	assert_string_equal(reports[1], "keel.toml:2: host: focus: no vm named \"b\"");
}

static void test_arena_from_env(void **state)
{
	static u8 small[256];
	struct config_env env = {
		.report = report, .report_ctx = &nreports, .arena = small, .arena_size = sizeof(small),
	};

	nreports = 0;
	assert_int_equal(config_load("keel.toml", VM_WEB VM_WEB, 2 * strlen(VM_WEB), &env, &cfg), -ENOMEM);
	assert_int_equal(nreports, 1);
	assert_non_null(strstr(reports[0], ": config too large"));
	assert_int_equal(cfg.nvm, 0);
}

static char table[32][200];
static unsigned ntable;

static void table_line(void *ctx, const char *line)
{
	assert_true(ntable < 32);
	snprintf(table[ntable++], sizeof(table[0]), "%s", line);
}

static void test_print_table(void **state)
{
	expect_clean("[host]\nserial = \"com2\"\nfocus = \"db\"\n" VM_WEB
		     "initrd = \"initrd.img\"\ncmdline = \"a\\tb\"\n"
		     "disks = [ { image = \"root.img\", readonly = true } ]\n"
		     "nics = [ { switch = \"lan0\", mac = \"52:54:00:12:34:56\" }, { switch = \"lan1\" } ]\n"
		     "[[vm]]\nname = \"db\"\nkernel = \"vmlinuz\"\nmemory = 16781312\ncap = 50\nboot = \"flat64\"\n");
	ntable = 0;
	config_print_table(&cfg, table_line, NULL);
	assert_int_equal(ntable, 9);
	assert_string_equal(table[0], "host: log_level info, serial 0x2f8, shutdown acpi, focus db");
	assert_string_equal(table[1], "NAME                VCPUS  MEMORY  WEIGHT   CAP  CONSOLE  BOOT    KERNEL");
	assert_string_equal(table[2], "web                      1    512M     256     -  serial   linux   vmlinuz");
	assert_string_equal(table[3], "  initrd initrd.img");
	assert_string_equal(table[4], "  cmdline a?b");		/* one line, whatever it holds */
	assert_string_equal(table[5], "  disk0 root.img (read-only)");
	assert_string_equal(table[6], "  nic0 switch lan0 mac 52:54:00:12:34:56");
	assert_string_equal(table[7], "  nic1 switch lan1 mac auto");
	assert_string_equal(table[8], "db                       1  16388K     256   50%  serial   flat64  vmlinuz");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_defaults, setup),
		cmocka_unit_test_setup(test_every_key, setup),
		cmocka_unit_test_setup(test_message_shapes, setup),
		cmocka_unit_test_setup(test_syntax_error_rejects_file, setup),
		cmocka_unit_test_setup(test_invalid_vm_dropped_others_kept, setup),
		cmocka_unit_test_setup(test_bad_host_keys_keep_defaults, setup),
		cmocka_unit_test_setup(test_serial, setup),
		cmocka_unit_test_setup(test_integer_ranges, setup),
		cmocka_unit_test_setup(test_memory, setup),
		cmocka_unit_test_setup(test_memory_total, setup),
		cmocka_unit_test_setup(test_required_keys, setup),
		cmocka_unit_test_setup(test_names, setup),
		cmocka_unit_test_setup(test_duplicate_names, setup),
		cmocka_unit_test_setup(test_modules, setup),
		cmocka_unit_test_setup(test_long_strings, setup),
		cmocka_unit_test_setup(test_choices, setup),
		cmocka_unit_test_setup(test_disks_and_nics, setup),
		cmocka_unit_test_setup(test_top_level, setup),
		cmocka_unit_test_setup(test_too_many_vms, setup),
		cmocka_unit_test_setup(test_focus, setup),
		cmocka_unit_test_setup(test_arena_from_env, setup),
		cmocka_unit_test_setup(test_print_table, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
