/*
 * Host tests for vmm/config/cmdline.c: good lines and their defaults, and bad
 * words, each reported once with the word quoted while the rest of the
 * line still applies.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <stdio.h>

#include "vmm/config/cmdline.h"

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

static void test_empty(void **state)
{
	assert_int_equal(parse(""), 0);
	assert_int_equal(c.loglevel, LOG_INFO);
	assert_int_equal(c.shutdown, SHUTDOWN_HALT);
	assert_false(c.has_loglevel);
	assert_false(c.has_shutdown);
	assert_int_equal(parse("   "), 0);
	assert_false(c.has_loglevel);
	assert_int_equal(parse(NULL), 0);
	assert_int_equal(c.loglevel, LOG_INFO);
	assert_int_equal(nreports, 0);
}

static void test_good_line(void **state)
{
	assert_int_equal(parse("  loglevel=debug    shutdown=qemu "), 0);
	assert_int_equal(nreports, 0);
	assert_int_equal(c.loglevel, LOG_DEBUG);
	assert_int_equal(c.shutdown, SHUTDOWN_QEMU);
	assert_true(c.has_loglevel);
	assert_true(c.has_shutdown);
	assert_int_equal(parse("loglevel=warn"), 0);
	assert_true(c.has_loglevel);
	assert_false(c.has_shutdown);
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

static void test_bad_words(void **state)
{
	int bad = parse("loglevel=verbose foo=1 shutdown=acpi guest=hello.bin shutdown=reboot "
			"loglevel=warn loglevel shutdown LOGLEVEL=debug loglevel=DEBUG");

	assert_int_equal(bad, 8);
	assert_int_equal(nreports, 8);
	assert_non_null(strstr(report_for("loglevel=verbose"), "loglevel must be"));
	assert_non_null(strstr(report_for("foo=1"), "unknown option"));
	assert_non_null(strstr(report_for("shutdown=reboot"), "shutdown must be"));
	assert_non_null(strstr(report_for("loglevel"), "loglevel must be"));
	assert_non_null(strstr(report_for("shutdown"), "shutdown must be"));
	/* Keys and values are case-sensitive. */
	assert_non_null(strstr(report_for("LOGLEVEL=debug"), "unknown option"));
	assert_non_null(strstr(report_for("loglevel=DEBUG"), "loglevel must be"));
	/* VMs come from keel.toml only; the message says so. */
	assert_string_equal(report_for("guest=hello.bin"),
			    "unknown option (loglevel, shutdown, measure; VMs are configured in keel.toml)");
	/* Reports come in line order; what was good still applied. */
	assert_string_equal(reports[0], "command line: \"loglevel=verbose\": "
			    "loglevel must be error, warn, info or debug");
	assert_int_equal(c.loglevel, LOG_WARN);
	assert_int_equal(c.shutdown, SHUTDOWN_ACPI);
	assert_false(c.measure_exits);
	assert_int_equal(parse("measure=exits measure=time"), 1);
	assert_true(c.measure_exits);
	assert_string_equal(report_for("measure=time"), "measure must be exits");
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
		cmocka_unit_test(test_bad_words),
		cmocka_unit_test(test_long_word_quoted_short),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
