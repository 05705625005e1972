/*
 * Host tests for vmm/cmdline.c: good lines and their defaults, and bad
 * words, each reported once with the word quoted while the rest of the
 * line still applies.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <stdio.h>

#include "vmm/cmdline.h"

#define MAX_REPORTS 32

static char reports[MAX_REPORTS][160];
static unsigned nreports;
static struct keel_cmdline c;

static void report(void *ctx, const char *msg)
{
	assert_ptr_equal(ctx, &nreports);
	assert_true(nreports < MAX_REPORTS);
	snprintf(reports[nreports++], sizeof(reports[0]), "%s", msg);
}

static int parse(const char *line)
{
	nreports = 0;
	memset(&c, 0x5a, sizeof(c));	/* parse must set every field */
	return cmdline_parse(line, &c, report, &nreports);
}

/* The report naming word (quoted), with why; exactly one such report. */
static const char *report_for(const char *word)
{
	char quoted[128];
	const char *found = NULL;

	snprintf(quoted, sizeof(quoted), "command line: \"%s\": ", word);
	for (unsigned i = 0; i < nreports; i++) {
		if (!strncmp(reports[i], quoted, strlen(quoted))) {
			assert_null(found);
			found = reports[i] + strlen(quoted);
		}
	}
	if (!found)
		fail_msg("no report for %s", word);
	return found;
}

static void assert_guest(unsigned i, const char *module, const char *name,
			 enum guest_mode mode, u64 mem)
{
	assert_string_equal(c.guests[i].module, module);
	assert_string_equal(c.guests[i].name, name);
	assert_int_equal(c.guests[i].mode, mode);
	assert_int_equal(c.guests[i].mem, mem);
}

static void test_empty(void **state)
{
	assert_int_equal(parse(""), 0);
	assert_int_equal(c.loglevel, LOG_INFO);
	assert_int_equal(c.shutdown, SHUTDOWN_HALT);
	assert_int_equal(c.nguests, 0);
	assert_int_equal(parse("   "), 0);
	assert_int_equal(c.nguests, 0);
	assert_int_equal(parse(NULL), 0);
	assert_int_equal(c.loglevel, LOG_INFO);
	assert_int_equal(nreports, 0);
}

static void test_good_line(void **state)
{
	assert_int_equal(parse("  loglevel=debug shutdown=qemu guest=hello.bin"
			       "   guest=long64.bin,mode=long,mem=4M,name=big "
			       "guest=prot32.bin,name=p,mode=prot32,mem=0x10000 "), 0);
	assert_int_equal(nreports, 0);
	assert_int_equal(c.loglevel, LOG_DEBUG);
	assert_int_equal(c.shutdown, SHUTDOWN_QEMU);
	assert_int_equal(c.nguests, 3);
	assert_guest(0, "hello.bin", "hello", GUEST_REAL, 2 * MiB);
	assert_guest(1, "long64.bin", "big", GUEST_LONG, 4 * MiB);
	assert_guest(2, "prot32.bin", "p", GUEST_PROT32, 64 * KiB);
}

static void test_each_setting(void **state)
{
	static const char *const levels[] = { "error", "warn", "info", "debug" };
	static const char *const shutdowns[] = { "halt", "acpi", "bochs", "qemu" };
	char line[64];

	for (unsigned i = 0; i < 4; i++) {
		snprintf(line, sizeof(line), "loglevel=%s shutdown=%s", levels[i], shutdowns[i]);
		assert_int_equal(parse(line), 0);
		assert_int_equal(c.loglevel, (enum log_level)i);
		assert_int_equal(c.shutdown, (enum shutdown_method)i);
	}
	/* The last of a repeated setting wins. */
	assert_int_equal(parse("shutdown=acpi shutdown=bochs"), 0);
	assert_int_equal(c.shutdown, SHUTDOWN_BOCHS);
}

/* Defaults: real mode, 2 MiB, the module's name without ".bin". */
static void test_guest_defaults(void **state)
{
	assert_int_equal(parse("guest=kernel guest=a.bin.bin guest=.bin guest=x.binary guest=b.bin,"), 0);
	assert_int_equal(c.nguests, 5);
	assert_guest(0, "kernel", "kernel", GUEST_REAL, GUEST_DEFAULT_MEM);
	assert_guest(1, "a.bin.bin", "a.bin", GUEST_REAL, 2 * MiB);
	assert_guest(2, ".bin", ".bin", GUEST_REAL, 2 * MiB);
	assert_guest(3, "x.binary", "x.binary", GUEST_REAL, 2 * MiB);
	assert_guest(4, "b.bin", "b", GUEST_REAL, 2 * MiB);
}

/* Names are cut to fit; modules up to 63 characters, names up to 31. */
static void test_guest_name_limits(void **state)
{
	char line[256], mod63[64], name31[32];

	memset(mod63, 'm', 63);
	mod63[63] = 0;
	memset(name31, 'n', 31);
	name31[31] = 0;
	snprintf(line, sizeof(line), "guest=%s guest=x,name=%s", mod63, name31);
	assert_int_equal(parse(line), 0);
	assert_int_equal(c.nguests, 2);
	assert_string_equal(c.guests[0].module, mod63);
	assert_int_equal(strlen(c.guests[0].name), 31);
	assert_int_equal(strncmp(c.guests[0].name, mod63, 31), 0);
	assert_string_equal(c.guests[1].name, name31);

	snprintf(line, sizeof(line), "guest=%sm guest=x,name=%sn guest=ok", mod63, name31);
	assert_int_equal(parse(line), 2);
	assert_int_equal(c.nguests, 1);
	assert_string_equal(c.guests[0].module, "ok");
	assert_non_null(strstr(reports[0], "module name of 1-63 characters"));
	assert_non_null(strstr(reports[1], "name must be 1-31 characters"));
}

/* Every bad word once, quoted, with the reason; the good ones applied. */
static void test_bad_words(void **state)
{
	int bad = parse("loglevel=verbose foo=1 guest=a.bin,mode=virtual shutdown=acpi "
			"guest=b.bin,mem=12X shutdown=reboot guest= guest=ok.bin,mem=1M "
			"guest=c.bin,color=red loglevel=warn guest=d.bin,mem=32K "
			"guest=e.bin,mem=65537 guest=f.bin,name=");

	assert_int_equal(bad, 10);
	assert_int_equal(nreports, 10);
	assert_non_null(strstr(report_for("loglevel=verbose"), "loglevel must be"));
	assert_non_null(strstr(report_for("foo=1"), "unknown option"));
	assert_non_null(strstr(report_for("guest=a.bin,mode=virtual"), "mode must be real, prot32 or long"));
	assert_non_null(strstr(report_for("guest=b.bin,mem=12X"), "mem must be"));
	assert_non_null(strstr(report_for("shutdown=reboot"), "shutdown must be"));
	assert_non_null(strstr(report_for("guest="), "module name"));
	assert_non_null(strstr(report_for("guest=c.bin,color=red"), "unknown guest option"));
	assert_non_null(strstr(report_for("guest=d.bin,mem=32K"), "at least 64K"));
	assert_non_null(strstr(report_for("guest=e.bin,mem=65537"), "whole pages"));
	assert_non_null(strstr(report_for("guest=f.bin,name="), "name must be"));
	/* Reports come in line order. */
	assert_string_equal(reports[0], "command line: \"loglevel=verbose\": "
			    "loglevel must be error, warn, info or debug");
	assert_string_equal(reports[1], "command line: \"foo=1\": "
			    "unknown option (loglevel, shutdown, guest)");
	/* What was good still applied; bad guests were not added at all. */
	assert_int_equal(c.loglevel, LOG_WARN);
	assert_int_equal(c.shutdown, SHUTDOWN_ACPI);
	assert_int_equal(c.nguests, 1);
	assert_guest(0, "ok.bin", "ok", GUEST_REAL, 1 * MiB);
}

static void test_bare_keys(void **state)
{
	assert_int_equal(parse("loglevel shutdown guest mode=long guest=x,mode guest=y,,mem=1M"), 6);
	assert_non_null(strstr(report_for("loglevel"), "loglevel must be"));
	assert_non_null(strstr(report_for("shutdown"), "shutdown must be"));
	assert_non_null(strstr(report_for("guest"), "module name"));
	assert_non_null(strstr(report_for("mode=long"), "unknown option"));
	assert_non_null(strstr(report_for("guest=x,mode"), "mode must be"));
	assert_non_null(strstr(report_for("guest=y,,mem=1M"), "unknown guest option"));
	assert_int_equal(c.nguests, 0);
	assert_int_equal(c.loglevel, LOG_INFO);
	/* Keys and values are case-sensitive. */
	assert_int_equal(parse("LOGLEVEL=debug loglevel=DEBUG guest=z,mode=Long"), 3);
	assert_int_equal(c.loglevel, LOG_INFO);
}

static void test_too_many_guests(void **state)
{
	char line[1024] = "";
	size_t n = 0;

	for (unsigned i = 0; i <= CMDLINE_MAX_GUESTS + 1; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "guest=g%u.bin ", i);
	n += (size_t)snprintf(line + n, sizeof(line) - n, "loglevel=error");
	assert_int_equal(parse(line), 2);
	assert_int_equal(c.nguests, CMDLINE_MAX_GUESTS);
	assert_string_equal(c.guests[15].name, "g15");
	assert_string_equal(report_for("guest=g16.bin"), "too many guests");
	assert_string_equal(report_for("guest=g17.bin"), "too many guests");
	assert_int_equal(c.loglevel, LOG_ERROR);
}

/* A long bad word is quoted only in part, so the message fits. */
static void test_long_word_quoted_short(void **state)
{
	char line[300], want[100];

	memset(line, 'x', 200);
	line[200] = 0;
	assert_int_equal(parse(line), 1);
	snprintf(want, sizeof(want), "command line: \"%.60s\": unknown", line);
	assert_int_equal(strncmp(reports[0], want, strlen(want)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_good_line),
		cmocka_unit_test(test_each_setting),
		cmocka_unit_test(test_guest_defaults),
		cmocka_unit_test(test_guest_name_limits),
		cmocka_unit_test(test_bad_words),
		cmocka_unit_test(test_bare_keys),
		cmocka_unit_test(test_too_many_guests),
		cmocka_unit_test(test_long_word_quoted_short),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
