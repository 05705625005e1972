/*
 * TOML values (toml.io/en/v1.0.0 sections String, Integer, Boolean, Array
 * and Inline Table): whatever follows an '=' or sits in an array, parsed
 * at the cursor into a node. Strings are decoded into the arena (every
 * basic-string escape, UTF-8 checked); floats, dates and multi-line
 * strings are recognised only to be refused by name. Keys use
 * toml_parse_string too; lib/toml.c owns everything around the values.
 */
#include "lib/string.h"
#include "toml_priv.h"

/* ---- strings ----------------------------------------------------------- */

static int put_utf8(struct parser *ps, struct sbuf *sb, u32 cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		n = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		n = 4;
	}
	for (size_t i = 1; i < n; i++)
		b[i] = (char)(0x80 | ((cp >> (6 * (n - 1 - i))) & 0x3f));
	return toml_sbuf_put(ps, sb, b, n);
}

/* \uXXXX or \UXXXXXXXX at the cursor: a Unicode scalar value, as UTF-8. */
static int parse_unicode_escape(struct parser *ps, struct sbuf *sb)
{
	unsigned digits = peek_at(ps, 1) == 'u' ? 4 : 8;
	u32 cp = 0;

	for (unsigned i = 0; i < digits; i++) {
		int c = peek_at(ps, 2 + i), d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			return fail(ps, "bad escape: \\%c needs %u hex digits", peek_at(ps, 1), digits);
		cp = cp << 4 | d;
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return fail(ps, "bad escape: U+%X is not a Unicode scalar value", cp);
	ps->p += 2 + digits;
	return put_utf8(ps, sb, cp);
}

static int parse_escape(struct parser *ps, struct sbuf *sb)
{
	static const char pairs[] = "b\bt\tn\nf\fr\r\"\"\\\\";
	int c = peek_at(ps, 1);
	char buf[16];

	if (c == 'u' || c == 'U')
		return parse_unicode_escape(ps, sb);
	for (size_t i = 0; i + 1 < sizeof(pairs); i += 2) {
		if (c == pairs[i]) {
			ps->p += 2;
			return toml_sbuf_put(ps, sb, &pairs[i + 1], 1);
		}
	}
	if (c > 0x20 && c < 0x7f)
		return fail(ps, "bad escape \"\\%c\"", c);
	return fail(ps, "bad escape: '\\' followed by %s", toml_describe(c, buf));
}

/* A basic ("...") or literal ('...') single-line string at the cursor. */
int toml_parse_string(struct parser *ps, struct key *out)
{
	char quote = *ps->p;
	struct sbuf sb;
	int n;

	if (peek_at(ps, 1) == quote && peek_at(ps, 2) == quote)
		return fail(ps, "multi-line strings are not supported");
	if (toml_sbuf_begin(ps, &sb))
		return ps->status;
	for (ps->p++; peek(ps) != quote;) {
		if (peek(ps) < 0 || at_newline(ps))
			return fail(ps, "unterminated string");
		if (quote == '"' && peek(ps) == '\\') {
			if (parse_escape(ps, &sb))	/* it moves the cursor past the escape */
				return ps->status;
			continue;
		}
		if ((n = toml_char_len(ps, "string")) < 0 || toml_sbuf_put(ps, &sb, ps->p, n))
			return ps->status;
		ps->p += n;
	}
	ps->p++;
	toml_sbuf_end(ps, &sb);
	out->s = sb.s;
	out->len = sb.len;
	return 0;
}

/* ---- scalars ----------------------------------------------------------- */

static bool is_token_char(int c)
{
	return is_bare_key_char(c) || c == '+' || c == '.' || c == ':';
}

static bool token_is(const char *t, size_t n, const char *lit)
{
	return n == strlen(lit) && !memcmp(t, lit, n);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* YYYY-MM-DD or HH:MM at the start: TOML's date and time forms. */
static bool looks_like_datetime(const char *t, size_t n)
{
	if (n >= 5 && is_digit(t[0]) && is_digit(t[1]) && is_digit(t[2]) &&
	    is_digit(t[3]) && t[4] == '-')
		return true;
	return n >= 3 && is_digit(t[0]) && is_digit(t[1]) && t[2] == ':';
}

/*
 * Digits in base with '_' allowed only between two digits, at most limit.
 * The caller has already rejected the token's other shapes.
 */
static int parse_digits(struct parser *ps, const char *t, size_t n, unsigned base,
			u64 limit, u64 *out, const char *shown)
{
	bool prev_digit = false;
	u64 v = 0;

	if (!n)
		return fail(ps, "invalid integer %s", shown);
	for (size_t i = 0; i < n; i++) {
		unsigned d = 99;

		if (t[i] == '_') {
			if (!prev_digit || i + 1 == n)
				return fail(ps, "misplaced '_' in integer %s", shown);
			prev_digit = false;
			continue;
		}
		if (is_digit(t[i]))
			d = t[i] - '0';
		else if ((t[i] | 0x20) >= 'a' && (t[i] | 0x20) <= 'f')
			d = (t[i] | 0x20) - 'a' + 10;
		if (d >= base)
			return fail(ps, "invalid integer %s", shown);
		if (v > (limit - d) / base)
			return fail(ps, "integer %s does not fit in 64 bits", shown);
		v = v * base + d;
		prev_digit = true;
	}
	*out = v;
	return 0;
}

static int parse_integer(struct parser *ps, const char *t, size_t n, s64 *out, const char *shown)
{
	bool neg = t[0] == '-', sign = t[0] == '-' || t[0] == '+';
	const char *d = t + sign;
	size_t dn = n - sign;
	unsigned base = 10;
	u64 v = 0;

	if (dn >= 2 && d[0] == '0' && (d[1] == 'x' || d[1] == 'o' || d[1] == 'b')) {
		if (sign)
			return fail(ps, "a sign is not allowed on %s", shown);
		base = d[1] == 'x' ? 16 : d[1] == 'o' ? 8 : 2;
		d += 2;
		dn -= 2;
	} else if (dn > 1 && d[0] == '0' && is_digit(d[1])) {
		return fail(ps, "leading zeros are not allowed in %s", shown);
	}
	if (parse_digits(ps, d, dn, base, neg ? (u64)INT64_MAX + 1 : (u64)INT64_MAX, &v, shown))
		return ps->status;
	*out = neg ? (s64)(0 - v) : (s64)v;
	return 0;
}

/* A bare value: a boolean or an integer, or a clear word on what it is not. */
static int parse_bare(struct parser *ps, struct toml_value *v)
{
	const char *t = ps->p;
	size_t n, sn;
	char shown[TOML_QUOTE_CAP], buf[16];

	while (is_token_char(peek(ps)))
		ps->p++;
	n = ps->p - t;
	if (!n)
		return fail(ps, "expected a value, found %s", toml_describe(peek(ps), buf));
	toml_quote(shown, sizeof(shown), t, n);
	sn = (t[0] == '+' || t[0] == '-') ? 1 : 0;
	v->type = TOML_BOOL;
	if (token_is(t, n, "true") || token_is(t, n, "false")) {
		v->boolean = t[0] == 't';
		return 0;
	}
	if (token_is(t + sn, n - sn, "inf") || token_is(t + sn, n - sn, "nan"))
		return fail(ps, "floats are not supported: %s", shown);
	if (looks_like_datetime(t, n))
		return fail(ps, "dates and times are not supported: %s", shown);
	v->type = TOML_INTEGER;
	if (n > sn && is_digit(t[sn])) {
		/* Hex digits include 'e'; only a plain decimal can be a float. */
		bool prefixed = n > sn + 1 && t[sn] == '0' &&
				(t[sn + 1] == 'x' || t[sn + 1] == 'o' || t[sn + 1] == 'b');

		for (size_t i = sn; i < n && !prefixed; i++)
			if (t[i] == '.' || t[i] == 'e' || t[i] == 'E')
				return fail(ps, "floats are not supported: %s", shown);
		return parse_integer(ps, t, n, &v->integer, shown);
	}
	return fail(ps, "invalid value %s (strings need quotes)", shown);
}

/* ---- arrays, inline tables, and the dispatch on the first character ----- */

/* [ value, value, ... ] with newlines, comments and a trailing comma allowed. */
static int parse_array(struct parser *ps, struct toml_value *arr, unsigned depth)
{
	struct toml_value *v;
	char buf[16];

	arr->type = TOML_ARRAY;
	ps->p++;
	for (;;) {
		if (toml_skip_blank(ps))
			return ps->status;
		if (peek(ps) == ']')
			break;
		if (peek(ps) >= 0) {
			if (toml_parse_value(ps, &v, depth + 1) || toml_skip_blank(ps))
				return ps->status;
			toml_list_append(arr, v);
			if (peek(ps) == ',') {
				ps->p++;
				continue;
			}
			if (peek(ps) == ']')
				break;
		}
		if (peek(ps) < 0)
			return fail(ps, "unterminated array (opened on line %u)", arr->line);
		return fail(ps, "expected ',' or ']' after an array element, found %s",
			    toml_describe(peek(ps), buf));
	}
	ps->p++;
	return 0;
}

/* TOML 1.0 inline tables: one line, no trailing comma, closed for good. */
static int parse_inline_table(struct parser *ps, struct toml_value *t, unsigned depth)
{
	char buf[16];

	t->type = TOML_TABLE;
	t->list.flags = TOML_FROM_INLINE;
	ps->p++;
	skip_ws(ps);
	if (peek(ps) == '}')
		goto done;
	for (;;) {
		skip_ws(ps);
		if (at_newline(ps))
			return fail(ps, "newlines are not allowed in inline tables");
		if (peek(ps) == '}')
			return fail(ps, "trailing comma not allowed in an inline table");
		if (toml_parse_keyval(ps, t, depth + 1))
			return ps->status;
		skip_ws(ps);
		if (peek(ps) == '}')
			break;
		if (at_newline(ps))
			return fail(ps, "newlines are not allowed in inline tables");
		if (peek(ps) != ',')
			return fail(ps, "expected ',' or '}' in an inline table, found %s",
				    toml_describe(peek(ps), buf));
		ps->p++;
	}
done:
	ps->p++;
	return 0;
}

/* The first character says which kind of value; a bare word is a boolean or an integer. */
int toml_parse_value(struct parser *ps, struct toml_value **out, unsigned depth)
{
	struct toml_value *v = toml_new_node(ps, TOML_STRING);
	struct key s;
	int c = peek(ps);

	if (!v)
		return ps->status;
	*out = v;
	if ((c == '[' || c == '{') && depth >= TOML_MAX_DEPTH)
		return fail(ps, "arrays and inline tables nested deeper than %d levels", TOML_MAX_DEPTH);
	if (c == '[')
		return parse_array(ps, v, depth);
	if (c == '{')
		return parse_inline_table(ps, v, depth);
	if (c != '"' && c != '\'')
		return parse_bare(ps, v);
	if (toml_parse_string(ps, &s))
		return ps->status;
	v->str.s = s.s;
	v->str.len = s.len;
	return 0;
}
