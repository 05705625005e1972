/* Host tests for lib/string.c: parse_u64 and parse_size. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lib/string.h"

/* Parse a NUL-terminated literal with either parser; *out starts poisoned. */
static int u64_of(const char *s, u64 *out)
{
	*out = 0xdeadbeef;
	return parse_u64(s, strlen(s), out);
}

static int size_of(const char *s, u64 *out)
{
	*out = 0xdeadbeef;
	return parse_size(s, strlen(s), out);
}

static void test_u64_decimal(void **state)
{
	u64 v;

	assert_int_equal(u64_of("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(u64_of("12345", &v), 0);
	assert_int_equal(v, 12345);
	assert_int_equal(u64_of("007", &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(u64_of("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
}

static void test_u64_hex(void **state)
{
	u64 v;

	assert_int_equal(u64_of("0x1f", &v), 0);
	assert_int_equal(v, 0x1f);
	assert_int_equal(u64_of("0XFF", &v), 0);
	assert_int_equal(v, 0xff);
	assert_int_equal(u64_of("0xABCdef", &v), 0);
	assert_int_equal(v, 0xabcdef);
	assert_int_equal(u64_of("0xffffffffffffffff", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(u64_of("0x0000000000000000001", &v), 0);
	assert_int_equal(v, 1);
}

static void test_u64_overflow(void **state)
{
	u64 v;

	assert_int_equal(u64_of("18446744073709551616", &v), -ERANGE);
	assert_int_equal(u64_of("99999999999999999999", &v), -ERANGE);
	assert_int_equal(u64_of("0x10000000000000000", &v), -ERANGE);
	assert_int_equal(v, 0xdeadbeef);	/* untouched on error */
}

static void test_u64_garbage(void **state)
{
	u64 v;

	assert_int_equal(u64_of("", &v), -EINVAL);
	assert_int_equal(u64_of("0x", &v), -EINVAL);
	assert_int_equal(u64_of("-1", &v), -EINVAL);
	assert_int_equal(u64_of("+1", &v), -EINVAL);
	assert_int_equal(u64_of(" 1", &v), -EINVAL);
	assert_int_equal(u64_of("1 ", &v), -EINVAL);
	assert_int_equal(u64_of("12a", &v), -EINVAL);
	assert_int_equal(u64_of("1f", &v), -EINVAL);	/* hex digits need 0x */
	assert_int_equal(u64_of("0xg", &v), -EINVAL);
	assert_int_equal(u64_of("x10", &v), -EINVAL);
	assert_int_equal(v, 0xdeadbeef);
	assert_int_equal(parse_u64(NULL, 0, &v), -EINVAL);
}

/* Only s[0..len) counts: the parser must not look past len. */
static void test_u64_uses_len(void **state)
{
	u64 v = 0;

	assert_int_equal(parse_u64("123abc", 3, &v), 0);
	assert_int_equal(v, 123);
	assert_int_equal(parse_u64("0x10,", 4, &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(parse_u64("0x10", 2, &v), -EINVAL);
	assert_int_equal(parse_u64("5", 0, &v), -EINVAL);
}

/* No NUL after the digits: ASan flags any read past the buffer. */
static void test_unterminated(void **state)
{
	char *digits = malloc(3), *size = malloc(2);
	u64 v = 0;

	memcpy(digits, "123", 3);
	memcpy(size, "8M", 2);
	assert_int_equal(parse_u64(digits, 3, &v), 0);
	assert_int_equal(v, 123);
	assert_int_equal(parse_size(size, 2, &v), 0);
	assert_int_equal(v, 8 * MiB);
	free(digits);
	free(size);
}

static void test_size_suffixes(void **state)
{
	u64 v;

	assert_int_equal(size_of("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(size_of("4k", &v), 0);
	assert_int_equal(v, 4 * KiB);
	assert_int_equal(size_of("4K", &v), 0);
	assert_int_equal(v, 4 * KiB);
	assert_int_equal(size_of("512M", &v), 0);
	assert_int_equal(v, 512 * MiB);
	assert_int_equal(size_of("512m", &v), 0);
	assert_int_equal(v, 512 * MiB);
	assert_int_equal(size_of("2G", &v), 0);
	assert_int_equal(v, 2 * GiB);
	assert_int_equal(size_of("1t", &v), 0);
	assert_int_equal(v, 1024 * GiB);
	assert_int_equal(size_of("0x10K", &v), 0);
	assert_int_equal(v, 16 * KiB);
	assert_int_equal(size_of("0G", &v), 0);
	assert_int_equal(v, 0);
}

static void test_size_overflow(void **state)
{
	u64 v;

	assert_int_equal(size_of("16777215T", &v), 0);	/* 2^24-1 TiB */
	assert_true(v == (((1ull << 24) - 1) << 40));
	assert_int_equal(size_of("16777216T", &v), -ERANGE);	/* 2^64 */
	assert_int_equal(size_of("17179869183G", &v), 0);
	assert_int_equal(size_of("17179869184G", &v), -ERANGE);
	assert_int_equal(size_of("18014398509481984K", &v), -ERANGE);
	assert_int_equal(size_of("18446744073709551616", &v), -ERANGE);
	assert_int_equal(size_of("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
}

static void test_size_garbage(void **state)
{
	u64 v;

	assert_int_equal(size_of("", &v), -EINVAL);
	assert_int_equal(size_of("K", &v), -EINVAL);
	assert_int_equal(size_of("12X", &v), -EINVAL);
	assert_int_equal(size_of("1KB", &v), -EINVAL);
	assert_int_equal(size_of("1MM", &v), -EINVAL);
	assert_int_equal(size_of("M1", &v), -EINVAL);
	assert_int_equal(size_of("0xK", &v), -EINVAL);
	assert_int_equal(size_of("-1G", &v), -EINVAL);
	assert_int_equal(size_of("1.5G", &v), -EINVAL);
	assert_int_equal(v, 0xdeadbeef);
	assert_int_equal(parse_size(NULL, 0, &v), -EINVAL);
	assert_int_equal(parse_size("2G", 1, &v), 0);	/* only "2" */
	assert_int_equal(v, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64_decimal),
		cmocka_unit_test(test_u64_hex),
		cmocka_unit_test(test_u64_overflow),
		cmocka_unit_test(test_u64_garbage),
		cmocka_unit_test(test_u64_uses_len),
		cmocka_unit_test(test_unterminated),
		cmocka_unit_test(test_size_suffixes),
		cmocka_unit_test(test_size_overflow),
		cmocka_unit_test(test_size_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
