/*
 * Host tests for lib/toml.c against the TOML v1.0.0 spec: every value form
 * the subset supports, each error TOML requires (with its line), the
 * features the subset refuses, hostile bytes, and an arena too small at
 * every size.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/toml.h"

static u8 arena[64 * 1024];
static struct toml_doc doc;
static struct toml_error err;

static int parse_len(const char *s, size_t len)
{
	memset(&err, 0x5a, sizeof(err));
	return toml_parse(s, len, arena, sizeof(arena), &doc, &err);
}

static int parse(const char *s)
{
	return parse_len(s, strlen(s));
}

/* Parse s, which must be good, and return the root member named key. */
static const struct toml_value *get(const char *s, const char *key)
{
	const struct toml_value *v;

	if (parse(s))
		fail_msg("\"%s\": line %u: %s", s, err.line, err.msg);
	v = toml_table_get(doc.root, key);
	assert_non_null(v);
	return v;
}

static s64 int_of(const char *s)
{
	const struct toml_value *v = get(s, "x");

	assert_int_equal(v->type, TOML_INTEGER);
	return v->integer;
}

/* s must fail on line with a message containing part. */
static void expect_error(const char *s, unsigned line, const char *part)
{
	int rc = parse(s);

	if (rc != -EINVAL)
		fail_msg("\"%s\": rc %d, expected -EINVAL", s, rc);
	if (err.line != line || !strstr(err.msg, part))
		fail_msg("\"%s\": got line %u \"%s\", expected line %u \"...%s...\"",
			 s, err.line, err.msg, line, part);
	assert_null(doc.root);
}

static void test_empty_documents(void **state)
{
	assert_int_equal(parse(""), 0);
	assert_int_equal(toml_len(doc.root), 0);
	assert_int_equal(parse("\n\n  \t\n# only a comment"), 0);
	assert_int_equal(toml_len(doc.root), 0);
	assert_int_equal(parse("\r\n#x\r\n"), 0);
}

static void test_strings(void **state)
{
	const struct toml_value *v = get("x = \"hello world\"", "x");

	assert_int_equal(v->type, TOML_STRING);
	assert_string_equal(v->str.s, "hello world");
	assert_int_equal(v->str.len, 11);
	v = get("x = 'C:\\dir\\n \"q\"'", "x");
	assert_string_equal(v->str.s, "C:\\dir\\n \"q\"");	/* literal: no escapes */
	v = get("x = \"\"", "x");
	assert_int_equal(v->str.len, 0);
	v = get("x = \"tab\there\"", "x");			/* a raw tab is allowed */
	assert_string_equal(v->str.s, "tab\there");
	v = get("x = \"a # b\" # c", "x");
	assert_string_equal(v->str.s, "a # b");
}

static void test_escapes(void **state)
{
	const struct toml_value *v;

	v = get("x = \"\\b\\t\\n\\f\\r\\\"\\\\\"", "x");
	assert_int_equal(v->str.len, 7);
	assert_memory_equal(v->str.s, "\b\t\n\f\r\"\\", 7);
	v = get("x = \"\\u0041\\u00e9\\u20AC\\U0001F600\\U0010FFFF\"", "x");
	assert_string_equal(v->str.s, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf");
	v = get("x = \"a\\u0000b\"", "x");			/* NUL is a legal escape */
	assert_int_equal(v->str.len, 3);
	assert_memory_equal(v->str.s, "a\0b", 4);
	v = get("x = \"\\u007F\\u0080\\u07FF\\u0800\\uFFFF\\U00010000\"", "x");
	assert_string_equal(v->str.s, "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80");

	expect_error("x = \"\\q\"", 1, "bad escape \"\\q\"");
	expect_error("x = \"\\ \"", 1, "bad escape");
	expect_error("x = \"\\e\"", 1, "bad escape");		/* TOML 1.1 only */
	expect_error("x = \"\\x41\"", 1, "bad escape");
	expect_error("x = \"\\u12\"", 1, "needs 4 hex digits");
	expect_error("x = \"\\U0001F60\"", 1, "needs 8 hex digits");
	expect_error("x = \"\\uD800\"", 1, "not a Unicode scalar value");
	expect_error("x = \"\\uDFFF\"", 1, "not a Unicode scalar value");
	expect_error("x = \"\\U00110000\"", 1, "not a Unicode scalar value");
	expect_error("x = \"\\UFFFFFFFF\"", 1, "not a Unicode scalar value");
	expect_error("x = \"abc\\", 1, "bad escape");
}

static void test_unterminated_strings(void **state)
{
	expect_error("x = \"abc", 1, "unterminated string");
	expect_error("x = 'abc", 1, "unterminated string");
	expect_error("a = 1\nx = \"abc\ny = 2", 2, "unterminated string");
	expect_error("x = \"abc\r\n\"", 1, "unterminated string");
	expect_error("x = \"abc\\\"", 1, "unterminated string");	/* the quote is escaped */
}

static void test_integers(void **state)
{
	assert_int_equal(int_of("x = 0"), 0);
	assert_int_equal(int_of("x = +99"), 99);
	assert_int_equal(int_of("x = -17"), -17);
	assert_int_equal(int_of("x = -0"), 0);
	assert_int_equal(int_of("x = +0"), 0);
	assert_int_equal(int_of("x = 1_000_000"), 1000000);
	assert_int_equal(int_of("x = 5_3_4"), 534);
	assert_int_equal(int_of("x = 0xDEADbeef"), 0xdeadbeef);
	assert_int_equal(int_of("x = 0xdead_beef"), 0xdeadbeef);
	assert_int_equal(int_of("x = 0x00ff"), 0xff);		/* leading zeros after a prefix */
	assert_int_equal(int_of("x = 0o755"), 0755);
	assert_int_equal(int_of("x = 0b1101_0110"), 0xd6);
	assert_true(int_of("x = 9223372036854775807") == INT64_MAX);
	assert_true(int_of("x = -9223372036854775808") == INT64_MIN);
	assert_true(int_of("x = 0x7fffffffffffffff") == INT64_MAX);
	assert_true(int_of("x = 0b" "111111111111111111111111111111111111111111111111111111111111111") == INT64_MAX);
}

static void test_integer_errors(void **state)
{
	expect_error("x = 9223372036854775808", 1, "does not fit in 64 bits");
	expect_error("x = -9223372036854775809", 1, "does not fit in 64 bits");
	expect_error("x = 0x8000000000000000", 1, "does not fit in 64 bits");
	expect_error("x = 0o1000000000000000000000", 1, "does not fit in 64 bits");
	expect_error("x = 99999999999999999999999", 1, "does not fit in 64 bits");
	expect_error("x = 012", 1, "leading zeros");
	expect_error("x = -01", 1, "leading zeros");
	expect_error("x = 1__0", 1, "misplaced '_'");
	expect_error("x = _1", 1, "invalid value");		/* a bare word, then */
	expect_error("x = 1_", 1, "misplaced '_'");
	expect_error("x = 0x_1", 1, "misplaced '_'");
	expect_error("x = 0x", 1, "invalid integer");
	expect_error("x = 0b102", 1, "invalid integer");
	expect_error("x = 0o8", 1, "invalid integer");
	expect_error("x = 0xg", 1, "invalid integer");
	expect_error("x = 0X1F", 1, "invalid integer");		/* the prefix is lower case */
	expect_error("x = -0x1", 1, "a sign is not allowed");
	expect_error("x = +0b1", 1, "a sign is not allowed");
	expect_error("x = 12abc", 1, "invalid integer");
	expect_error("x = +", 1, "invalid value");
	expect_error("x = --1", 1, "invalid value");
}

static void test_booleans_and_bare_words(void **state)
{
	const struct toml_value *v = get("x = true", "x");

	assert_int_equal(v->type, TOML_BOOL);
	assert_true(v->boolean);
	v = get("x = false # no", "x");
	assert_false(v->boolean);
	expect_error("x = True", 1, "invalid value \"True\" (strings need quotes)");
	expect_error("x = truex", 1, "invalid value");
	expect_error("x = yes", 1, "invalid value");
}

static void test_unsupported_features(void **state)
{
	expect_error("x = 1.5", 1, "floats are not supported");
	expect_error("x = -0.0", 1, "floats are not supported");
	expect_error("x = 1e6", 1, "floats are not supported");
	expect_error("x = 0e0", 1, "floats are not supported");
	expect_error("x = 6.626E-34", 1, "floats are not supported");
	expect_error("x = inf", 1, "floats are not supported");
	expect_error("x = -inf", 1, "floats are not supported");
	expect_error("x = nan", 1, "floats are not supported");
	expect_error("x = 1979-05-27", 1, "dates and times are not supported");
	expect_error("x = 1979-05-27T07:32:00Z", 1, "dates and times are not supported");
	expect_error("x = 1979-05-27 07:32:00", 1, "dates and times are not supported");
	expect_error("x = 07:32:00", 1, "dates and times are not supported");
	expect_error("x = \"\"\"\nabc\"\"\"", 1, "multi-line strings are not supported");
	expect_error("x = '''abc'''", 1, "multi-line strings are not supported");
	expect_error("a.b = 1", 1, "dotted keys are not supported");
	expect_error("\"a\" . b = 1", 1, "dotted keys are not supported");
	expect_error("[a.b]", 1, "dotted keys are not supported");
	expect_error("[[a . b]]", 1, "dotted keys are not supported");
	expect_error("x = { a.b = 1 }", 1, "dotted keys are not supported");
}

static void test_keys(void **state)
{
	const struct toml_value *v;

	assert_int_equal(parse("bare_key-1 = 1\n\"quoted key\" = 2\n'lit' = 3\n\"\" = 4\n"
			       "\"\\u006Eame\" = 5\n1234 = 6\n"), 0);
	assert_int_equal(toml_len(doc.root), 6);
	assert_int_equal(toml_table_get(doc.root, "bare_key-1")->integer, 1);
	assert_int_equal(toml_table_get(doc.root, "quoted key")->integer, 2);
	assert_int_equal(toml_table_get(doc.root, "lit")->integer, 3);
	assert_int_equal(toml_table_get(doc.root, "")->integer, 4);
	assert_int_equal(toml_table_get(doc.root, "name")->integer, 5);	/* escape in a key */
	assert_int_equal(toml_table_get(doc.root, "1234")->integer, 6);
	assert_null(toml_table_get(doc.root, "nope"));
	assert_null(toml_table_get(doc.root, "bare_key"));		/* a prefix is not a match */

	/* A key with a NUL in it is kept whole; a C-string lookup cannot reach it. */
	assert_int_equal(parse("\"a\\u0000b\" = 1"), 0);
	v = toml_first(doc.root);
	assert_int_equal(v->key_len, 3);
	assert_memory_equal(v->key, "a\0b", 4);
	assert_null(toml_table_get(doc.root, "a"));
}

static void test_key_errors(void **state)
{
	expect_error("name \"web\"", 1, "expected '=' after key \"name\"");
	expect_error("a = 1\n\nname", 3, "expected '=' after key \"name\"");
	expect_error("= 1", 1, "expected a key, found '='");
	expect_error("a b = 1", 1, "expected '=' after key \"a\"");
	expect_error("x =", 1, "missing value for key \"x\"");
	expect_error("x = # comment", 1, "missing value for key \"x\"");
	expect_error("x = 1\ny = 2\nx = 3", 3, "duplicate key \"x\" (first on line 1)");
	expect_error("x = 1\n'x' = 2", 2, "duplicate key");
	expect_error("\"\\u0078\" = 1\nx = 2", 2, "duplicate key");	/* same key, spelt two ways */
	expect_error("x = 1 y = 2", 1, "expected end of line, found 'y'");
	expect_error("x = \"a\" \"b\"", 1, "expected end of line");
	expect_error("x\n= 1", 1, "expected '=' after key \"x\"");
	expect_error("x =\n1", 1, "missing value");
}

static void test_arrays(void **state)
{
	const struct toml_value *v, *e;

	v = get("x = [ 1, \"two\", true, [3], { a = 4 } ]", "x");	/* mixed: TOML 1.0 */
	assert_int_equal(v->type, TOML_ARRAY);
	assert_int_equal(toml_len(v), 5);
	assert_int_equal(toml_at(v, 0)->integer, 1);
	assert_string_equal(toml_at(v, 1)->str.s, "two");
	assert_true(toml_at(v, 2)->boolean);
	assert_int_equal(toml_at(toml_at(v, 3), 0)->integer, 3);
	assert_int_equal(toml_table_get(toml_at(v, 4), "a")->integer, 4);
	assert_null(toml_at(v, 5));
	assert_null(toml_at(v, 0)->key);

	v = get("x = [\n  1, # one\n  # nothing\n\n  2,\n]\ny = 0", "x");
	assert_int_equal(toml_len(v), 2);
	e = toml_first(v);
	assert_int_equal(e->line, 2);
	assert_int_equal(e->next->line, 5);
	assert_null(e->next->next);
	assert_int_equal(toml_table_get(doc.root, "y")->line, 7);

	assert_int_equal(toml_len(get("x = []", "x")), 0);
	assert_int_equal(toml_len(get("x = [\n]", "x")), 0);
	assert_int_equal(toml_len(get("x = [[], [[]]]", "x")), 2);

	expect_error("x = [1 2]", 1, "expected ',' or ']' after an array element, found '2'");
	expect_error("x = [,]", 1, "expected a value, found ','");
	expect_error("x = [1,,2]", 1, "expected a value, found ','");
	expect_error("x = [1,\n2,\n", 3, "unterminated array (opened on line 1)");
	expect_error("x = [\n1\n", 3, "unterminated array");
}

static void test_nesting_depth(void **state)
{
	char buf[128];

	/* TOML_MAX_DEPTH levels parse, one more does not. */
	snprintf(buf, sizeof(buf), "x = %.*s%.*s", TOML_MAX_DEPTH,
		 "[[[[[[[[[[[[[[[[[[[[", TOML_MAX_DEPTH, "]]]]]]]]]]]]]]]]]]]]");
	assert_int_equal(parse(buf), 0);
	snprintf(buf, sizeof(buf), "x = %.*s%.*s", TOML_MAX_DEPTH + 1,
		 "[[[[[[[[[[[[[[[[[[[[", TOML_MAX_DEPTH + 1, "]]]]]]]]]]]]]]]]]]]]");
	expect_error(buf, 1, "nested deeper than 16");
	expect_error("x = {a={b={c={d={e={f={g={h={i={j={k={l={m={n={o={p={}}}}}}}}}}}}}}}}}",
		     1, "nested deeper");
	/* A hostile depth stops at the limit instead of at the end of the stack. */
	{
		static char deep[100000];
		memcpy(deep, "x = ", 4);
		memset(deep + 4, '[', sizeof(deep) - 5);
		deep[sizeof(deep) - 1] = 0;
		expect_error(deep, 1, "nested deeper");
	}
}

static void test_inline_tables(void **state)
{
	const struct toml_value *v = get("x = { a = 1, 'b' = \"s\", c = { d = [] } }", "x");

	assert_int_equal(v->type, TOML_TABLE);
	assert_true(v->list.flags & TOML_FROM_INLINE);
	assert_int_equal(toml_len(v), 3);
	assert_string_equal(toml_at(v, 1)->key, "b");
	assert_int_equal(toml_len(get("x = {}", "x")), 0);
	assert_int_equal(toml_len(get("x = {  }", "x")), 0);

	expect_error("x = { a = 1, a = 2 }", 1, "duplicate key \"a\"");
	expect_error("x = { a = 1, }", 1, "trailing comma not allowed");
	expect_error("x = { a = 1,\n b = 2 }", 1, "newlines are not allowed in inline tables");
	expect_error("x = {\n}", 1, "newlines are not allowed in inline tables");
	expect_error("x = { a = 1\n}", 1, "newlines are not allowed in inline tables");
	expect_error("x = { a = 1 b = 2 }", 1, "expected ',' or '}' in an inline table, found 'b'");
	expect_error("x = { a = 1", 1, "found end of file");
	expect_error("x = { , }", 1, "expected a key, found ','");
}

static void test_tables(void **state)
{
	const struct toml_value *t, *m;

	assert_int_equal(parse("top = 1\n[host]\nlog = \"info\"\n\n[\"other\"]\n[ spaced ]\n"), 0);
	assert_int_equal(toml_len(doc.root), 4);
	t = toml_table_get(doc.root, "host");
	assert_int_equal(t->type, TOML_TABLE);
	assert_int_equal(t->line, 2);
	assert_true(t->list.flags & TOML_FROM_HEADER);
	assert_string_equal(toml_table_get(t, "log")->str.s, "info");
	assert_null(toml_table_get(doc.root, "log"));		/* belongs to [host] */
	assert_int_equal(toml_len(toml_table_get(doc.root, "other")), 0);
	assert_non_null(toml_table_get(doc.root, "spaced"));

	/* File order, keys and lines, walking the members. */
	m = toml_first(doc.root);
	assert_string_equal(m->key, "top");
	assert_int_equal(m->line, 1);
	assert_string_equal(m->next->key, "host");
	assert_string_equal(m->next->next->key, "other");
	assert_int_equal(m->next->next->line, 5);

	expect_error("[a]\n[b]\n[a]", 3, "table \"a\" is defined twice (first on line 1)");
	expect_error("a = 1\n[a]", 2, "redefines the key from line 1");
	expect_error("a = {}\n[a]", 2, "redefines the key");
	expect_error("[[a]]\n[a]", 2, "redefines the key");
	expect_error("[a]\n[[a]]", 2, "redefines the key");
	expect_error("[a", 1, "expected ']' to close the table header \"a\"");
	expect_error("[[a]", 1, "expected ']]'");
	expect_error("[[a] ]", 1, "expected ']]'");
	expect_error("[]", 1, "expected a key");
	expect_error("[a] b = 1", 1, "expected end of line, found 'b'");
	expect_error("[a]\nx = 1\n[b]\nx = 2\n[a]\n", 5, "defined twice");
}

static void test_arrays_of_tables(void **state)
{
	const struct toml_value *vm;

	assert_int_equal(parse("[[vm]]\nname = \"a\"\n\n[[vm]]\n[[vm]]\nname = \"c\"\n"), 0);
	vm = toml_table_get(doc.root, "vm");
	assert_int_equal(vm->type, TOML_ARRAY);
	assert_true(vm->list.flags & TOML_FROM_AOT);
	assert_int_equal(toml_len(vm), 3);
	assert_int_equal(toml_at(vm, 0)->line, 1);		/* each table: its header line */
	assert_int_equal(toml_at(vm, 1)->line, 4);
	assert_int_equal(toml_at(vm, 2)->line, 5);
	assert_int_equal(toml_len(toml_at(vm, 1)), 0);
	assert_string_equal(toml_table_get(toml_at(vm, 2), "name")->str.s, "c");
	assert_int_equal(vm->line, 1);

	/* Keys repeat freely across tables of the array, not within one. */
	assert_int_equal(parse("[[v]]\nx = 1\n[[v]]\nx = 2\n"), 0);
	expect_error("[[v]]\nx = 1\nx = 2\n", 3, "duplicate key");
	expect_error("v = []\n[[v]]", 2, "cannot append to the static array \"v\" from line 1");
	expect_error("v = [{}]\n\n[[v]]", 3, "cannot append to the static array");
	expect_error("v = 1\n[[v]]", 2, "redefines the key");
}

static void test_comments_and_whitespace(void **state)
{
	assert_int_equal(parse("  a = 1  # c\n\t\tb\t=\t2\t\n#\n[t]#c\n[[u]]  # c"), 0);
	assert_int_equal(toml_table_get(doc.root, "b")->integer, 2);
	assert_int_equal(parse("a = 1\r\nb = 2\r\n"), 0);
	assert_int_equal(toml_table_get(doc.root, "b")->line, 2);
	assert_int_equal(parse("# caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80\na = 1"), 0);

	/* Line numbers in errors count LF and CRLF alike. */
	expect_error("a = 1\r\nb = 2\r\n\r\nc = @", 4, "expected a value, found '@'");
}

static void test_invalid_characters(void **state)
{
	static const char nul_in_string[] = "x = \"a\0b\"";
	static const char nul_outside[] = "x = 1\0";

	expect_error("# bell \x07\n", 1, "invalid character 0x07 in comment");
	expect_error("# del \x7f\n", 1, "invalid character 0x7f in comment");
	expect_error("x = \"\x1b[0m\"", 1, "invalid character 0x1b in string");
	expect_error("x = '\x7f'", 1, "invalid character 0x7f in string");
	expect_error("x = 1\ry = 2", 1, "expected end of line, found byte 0x0d");
	expect_error("x = \"a\rb\"", 1, "invalid character 0x0d in string");
	expect_error("# a\rb", 1, "invalid character 0x0d in comment");
	expect_error("\xef\xbb\xbfx = 1", 1, "expected a key, found byte 0xef");	/* no BOM */
	expect_error("@ = 1", 1, "expected a key, found '@'");
	assert_int_equal(parse_len(nul_in_string, sizeof(nul_in_string) - 1), -EINVAL);
	assert_true(strstr(err.msg, "invalid character 0x00 in string"));
	assert_int_equal(parse_len(nul_outside, sizeof(nul_outside) - 1), -EINVAL);
	assert_true(strstr(err.msg, "expected end of line, found byte 0x00"));
}

static void test_invalid_utf8(void **state)
{
	static const char *const bad[] = {
		"# \x80",		/* a continuation byte alone */
		"# \xc0\x80",		/* overlong NUL */
		"# \xc1\xbf",		/* overlong */
		"# \xe0\x80\x80",	/* overlong */
		"# \xed\xa0\x80",	/* UTF-16 surrogate D800 */
		"# \xf0\x80\x80\x80",	/* overlong */
		"# \xf4\x90\x80\x80",	/* past U+10FFFF */
		"# \xf5\x80\x80\x80",	/* no such lead byte */
		"# \xff",
		"# \xe2\x82",		/* cut short by the end of the file */
		"# \xe2\x82\n",		/* cut short by a newline */
		"# \xc3\x28",		/* bad continuation */
	};

	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++)
		expect_error(bad[i], 1, "invalid UTF-8 in comment");
	expect_error("x = \"\xc3\"", 1, "invalid UTF-8 in string");
	expect_error("x = '\xed\xbf\xbf'", 1, "invalid UTF-8 in string");
	assert_int_equal(parse("x = \"\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf\""), 0);	/* edges */
}

/* Every arena size below the one a document needs fails cleanly; none overruns. */
static void test_arena_exhaustion(void **state)
{
	static const char text[] = "a = \"some string\"\n[t]\nb = [1, 2, { c = 'x' }]\n[[u]]\n[[u]]\n"
				   "\"\" = ''\ne = \"\"\n";	/* empty strings need their NUL too */
	size_t need = 0;

	for (size_t size = 0; size < 4096; size++) {
		u8 *small = malloc(size ? size : 1);
		int rc = toml_parse(text, sizeof(text) - 1, small, size, &doc, &err);

		if (rc == 0) {
			need = size;
			assert_int_equal(toml_len(toml_table_get(doc.root, "u")), 2);
			free(small);
			break;
		}
		assert_int_equal(rc, -ENOMEM);
		assert_string_equal(err.msg, "config too large");
		assert_null(doc.root);
		free(small);
	}
	assert_true(need > 0);

	/* An arena that is not 8-byte aligned still gives aligned nodes. */
	assert_int_equal(toml_parse(text, sizeof(text) - 1, arena + 3, sizeof(arena) - 3, &doc, &err), 0);
	assert_int_equal((uintptr_t)doc.root % 8, 0);
}

static void test_first_error_wins(void **state)
{
	expect_error("a = 1\nb = 1.5\nc = 1979-01-01\n", 2, "floats");
	expect_error("a = [1,\n2,\n3 4]\n", 3, "expected ','");
}

static void test_navigation_helpers(void **state)
{
	const struct toml_value *v = get("x = 5\nt = { a = 1 }", "x");

	assert_null(toml_first(v));
	assert_int_equal(toml_len(v), 0);
	assert_null(toml_at(v, 0));
	assert_null(toml_table_get(v, "a"));			/* not a table */
	assert_null(toml_table_get(NULL, "a"));
	assert_null(toml_table_get(doc.root, NULL));
	assert_null(toml_first(NULL));
	assert_int_equal(toml_len(NULL), 0);
	assert_string_equal(toml_type_name(TOML_STRING), "a string");
	assert_string_equal(toml_type_name(TOML_INTEGER), "an integer");
	assert_string_equal(toml_type_name(TOML_BOOL), "a boolean");
	assert_string_equal(toml_type_name(TOML_ARRAY), "an array");
	assert_string_equal(toml_type_name(TOML_TABLE), "a table");
	assert_string_equal(toml_type_name((enum toml_type)99), "an unknown value");
}

static void test_quote(void **state)
{
	char buf[TOML_QUOTE_CAP];
	const char *long_utf8 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9zzz";	/* é at 39..40 */

	toml_quote(buf, sizeof(buf), "web", 3);
	assert_string_equal(buf, "\"web\"");
	toml_quote(buf, sizeof(buf), "a\nb\0c\x7f", 6);
	assert_string_equal(buf, "\"a?b?c?\"");
	toml_quote(buf, sizeof(buf), "0123456789012345678901234567890123456789X", 41);
	assert_string_equal(buf, "\"0123456789012345678901234567890123456789...\"");
	toml_quote(buf, sizeof(buf), long_utf8, strlen(long_utf8));
	assert_string_equal(buf, "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"");	/* not half an é */
	toml_quote(buf, 4, "web", 3);				/* too small: empty, no overrun */
	assert_string_equal(buf, "");
}

/* Error messages quote keys safely: control characters, long keys. */
static void test_error_messages_are_one_line(void **state)
{
	expect_error("\"a\\nb\" = 1\n\"a\\nb\" = 2", 2, "duplicate key \"a?b\"");
	expect_error("\"0123456789012345678901234567890123456789xyz\" x", 1,
		     "expected '=' after key \"0123456789012345678901234567890123456789...\"");
	assert_null(strchr(err.msg, '\n'));
	assert_true(strlen(err.msg) < sizeof(err.msg));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_documents),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_unterminated_strings),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_integer_errors),
		cmocka_unit_test(test_booleans_and_bare_words),
		cmocka_unit_test(test_unsupported_features),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_key_errors),
		cmocka_unit_test(test_arrays),
		cmocka_unit_test(test_nesting_depth),
		cmocka_unit_test(test_inline_tables),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_arrays_of_tables),
		cmocka_unit_test(test_comments_and_whitespace),
		cmocka_unit_test(test_invalid_characters),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_arena_exhaustion),
		cmocka_unit_test(test_first_error_wins),
		cmocka_unit_test(test_navigation_helpers),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_error_messages_are_one_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
