/* Host tests for lib/printf.c: conversions, padding, truncation, return value. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lib/printf.h"
#include "lib/string.h"

/* Format into a roomy buffer; check both the text and the returned length. */
#define CHECK(expect, ...) do {						\
	char buf_[128];							\
	int n_ = keel_snprintf(buf_, sizeof(buf_), __VA_ARGS__);	\
	assert_string_equal(buf_, expect);				\
	assert_int_equal(n_, (int)strlen(expect));			\
} while (0)

/*
 * The same for formats GCC's format checking rejects on purpose (odd flag
 * mixes, unknown conversions): a function without the format attribute.
 */
static void check_odd(const char *expect, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = keel_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	assert_string_equal(buf, expect);
	assert_int_equal(n, (int)strlen(expect));
}

static void test_plain_text(void **state)
{
	CHECK("", "%s", "");
	CHECK("hello, world", "hello, world");
	CHECK("100%", "100%%");
	CHECK("a%b", "a%cb", '%');
}

static void test_signed(void **state)
{
	CHECK("0", "%d", 0);
	CHECK("42", "%d", 42);
	CHECK("-42", "%i", -42);
	CHECK("2147483647", "%d", INT32_MAX);
	CHECK("-2147483648", "%d", INT32_MIN);
	CHECK("-9223372036854775808", "%lld", (long long)INT64_MIN);
	CHECK("9223372036854775807", "%ld", (long)INT64_MAX);
	CHECK("-1", "%zd", (ssize_t)-1);
}

static void test_unsigned_and_hex(void **state)
{
	CHECK("4294967295", "%u", UINT32_MAX);
	CHECK("18446744073709551615", "%llu", (unsigned long long)UINT64_MAX);
	CHECK("deadbeef", "%x", 0xdeadbeefu);
	CHECK("DEADBEEF", "%X", 0xdeadbeefu);
	CHECK("ffffffffffffffff", "%lx", (unsigned long)UINT64_MAX);
	CHECK("0", "%x", 0u);
	CHECK("123", "%zu", (size_t)123);
}

/* hh and h cut the promoted int back to char and short. */
static void test_short_lengths(void **state)
{
	CHECK("-1", "%hhd", 255);
	CHECK("255", "%hhu", -1);
	CHECK("ff", "%hhx", 0x1ff);
	CHECK("-32768", "%hd", 0x8000);
	CHECK("ffff", "%hx", -1);
	CHECK("-1 ffffffff", "%d %x", -1, -1);
}

static void test_width_and_flags(void **state)
{
	CHECK("   42", "%5d", 42);
	CHECK("42   |", "%-5d|", 42);
	CHECK("00042", "%05d", 42);
	CHECK("-0042", "%05d", -42);
	CHECK("  -42", "%5d", -42);
	check_odd("-42  |", "%-05d|", -42);	/* '-' beats '0' */
	CHECK("0000beef", "%08x", 0xbeef);
	CHECK("12345", "%3d", 12345);	/* width never truncates */
	CHECK("   ab", "%5s", "ab");
	CHECK("ab   |", "%-5s|", "ab");
	CHECK("    x", "%5c", 'x');
	CHECK("x    |", "%-5c|", 'x');
}

static void test_star_width(void **state)
{
	CHECK("   7", "%*d", 4, 7);
	CHECK("7   |", "%*d|", -4, 7);	/* negative '*' width: left-justify */
	CHECK("  ab", "%*s", 4, "ab");
	CHECK("abc", "%.*s", 3, "abcdef");
	CHECK("abcdef", "%.*s", -1, "abcdef");
}

static void test_precision(void **state)
{
	CHECK("abc", "%.3s", "abcdef");
	CHECK("  abc", "%5.3s", "abcdef");
	CHECK("ab", "%.5s", "ab");
	CHECK("", "%.0s", "abc");
	CHECK("00042", "%.5d", 42);
	CHECK("-00042", "%.5d", -42);
	check_odd("   0042", "%07.4d", 42);	/* precision turns '0' off */
	CHECK("", "%.0d", 0);
}

/* The precision limits how far %s reads: the bytes need no NUL. */
static void test_precision_unterminated(void **state)
{
	char *s = malloc(3);
	char buf[8];

	memcpy(s, "xyz", 3);
	assert_int_equal(keel_snprintf(buf, sizeof(buf), "%.3s", s), 3);
	assert_string_equal(buf, "xyz");
	free(s);
}

static void test_null_string(void **state)
{
	const char *volatile null = NULL;

	CHECK("(null)", "%s", null);
	CHECK("[  (null)]", "[%8s]", null);
}

static void test_pointer(void **state)
{
	CHECK("0x1234", "%p", (void *)0x1234);
	CHECK("0xffff800000001000", "%p", (void *)0xffff800000001000ull);
	CHECK("0x0", "%p", NULL);
	CHECK("  0xab", "%6p", (void *)0xab);
	check_odd("0x00ab", "%06p", (void *)0xab);
	CHECK("0xab  |", "%-6p|", (void *)0xab);
}

static void test_char(void **state)
{
	char buf[8];

	CHECK("A", "%c", 'A');
	/* A NUL character is output and counted like any other. */
	memset(buf, 'z', sizeof(buf));
	assert_int_equal(keel_snprintf(buf, sizeof(buf), "a%cb", 0), 3);
	assert_memory_equal(buf, "a\0b\0", 4);
}

static void test_truncation(void **state)
{
	char buf[8];

	memset(buf, 'z', sizeof(buf));
	assert_int_equal(keel_snprintf(buf, sizeof(buf), "%s", "abcdefghijkl"), 12);
	assert_string_equal(buf, "abcdefg");

	memset(buf, 'z', sizeof(buf));
	assert_int_equal(keel_snprintf(buf, 5, "%d", -123456), 7);
	assert_string_equal(buf, "-123");
	assert_int_equal(buf[5], 'z');	/* nothing past size */

	memset(buf, 'z', sizeof(buf));
	assert_int_equal(keel_snprintf(buf, 1, "hello"), 5);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'z');

	/* Exactly fitting: size-1 characters and the NUL. */
	assert_int_equal(keel_snprintf(buf, 4, "abc"), 3);
	assert_string_equal(buf, "abc");
	assert_int_equal(keel_snprintf(buf, 3, "abc"), 3);
	assert_string_equal(buf, "ab");
}

/* size 0 stores nothing, may take a NULL buffer, and still measures. */
static void test_size_zero(void **state)
{
	char buf[4] = "zzz";

	assert_int_equal(keel_snprintf(NULL, 0, "%d-%s", 1234, "xy"), 7);
	assert_int_equal(keel_snprintf(buf, 0, "abc"), 3);
	assert_string_equal(buf, "zzz");
}

static void test_unknown_conversion(void **state)
{
	check_odd("%q", "%q");
	check_odd("a%", "a%");
}

static void test_mixed(void **state)
{
	CHECK("vm 3 \"web\": rip=0x00000000fff0 exit 48",
	      "vm %u \"%s\": rip=0x%012llx exit %d",
	      3u, "web", 0xfff0ull, 48);
}

static int wrap_vsnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = keel_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static void test_vsnprintf(void **state)
{
	char buf[16];

	assert_int_equal(wrap_vsnprintf(buf, sizeof(buf), "%s=%x", "cr0", 0x31u), 6);
	assert_string_equal(buf, "cr0=31");
}

/* Appending: pieces accumulate, the tail that does not fit is cut, and
 * once full further appends change nothing. */
static void test_sappendf(void **state)
{
	char buf[12];
	size_t len = 0;

	memset(buf, 'x', sizeof(buf));
	keel_sappendf(buf, sizeof(buf), &len, " %s=%u", "a", 1u);
	keel_sappendf(buf, sizeof(buf), &len, " %s=%u", "bb", 22u);
	assert_string_equal(buf, " a=1 bb=22");
	assert_int_equal(len, 10);
	keel_sappendf(buf, sizeof(buf), &len, " %s", "ccc");
	assert_string_equal(buf, " a=1 bb=22 ");
	assert_int_equal(len, sizeof(buf) - 1);
	keel_sappendf(buf, sizeof(buf), &len, "%s", "d");
	assert_string_equal(buf, " a=1 bb=22 ");
	assert_int_equal(len, sizeof(buf) - 1);
	len = 0;
	keel_sappendf(buf, 0, &len, "%s", "e");		/* no room at all: nothing written */
	assert_int_equal(len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_text),
		cmocka_unit_test(test_signed),
		cmocka_unit_test(test_unsigned_and_hex),
		cmocka_unit_test(test_short_lengths),
		cmocka_unit_test(test_width_and_flags),
		cmocka_unit_test(test_star_width),
		cmocka_unit_test(test_precision),
		cmocka_unit_test(test_precision_unterminated),
		cmocka_unit_test(test_null_string),
		cmocka_unit_test(test_pointer),
		cmocka_unit_test(test_char),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_size_zero),
		cmocka_unit_test(test_unknown_conversion),
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_vsnprintf),
		cmocka_unit_test(test_sappendf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
