/*
 * The TOML subset of include/lib/toml.h, following the TOML v1.0.0 spec
 * (toml.io/en/v1.0.0): its sections Comment, Key/Value Pair, Keys,
 * String, Integer, Boolean, Array, Table, Inline Table and Array of
 * Tables. A recursive-descent parser over a byte buffer; the first error
 * stops it. Nesting is bounded (TOML_MAX_DEPTH) because the kernel stack
 * is small and the file is user input.
 */
#include "lib/toml.h"
#include "lib/printf.h"
#include "lib/string.h"

struct parser {
	const char *p, *end;	/* cursor and end of the text */
	unsigned line;
	u8 *arena;
	size_t used, size;
	struct toml_value *root;
	struct toml_error *err;
	int status;		/* the first error, 0 while none */
};

/* A string being built at the top of the arena; nothing else allocates meanwhile. */
struct sbuf {
	char *s;
	size_t len, cap;
};

/* A key as parsed: decoded, NUL-terminated, in the arena. */
struct key {
	const char *s;
	size_t len;
};

/* ---- errors and the arena ---------------------------------------------- */

static int __printf(3, 4) fail_code(struct parser *ps, int code, const char *fmt, ...)
{
	va_list ap;

	if (ps->status)
		return ps->status;
	ps->status = code;
	ps->err->line = ps->line;
	va_start(ap, fmt);
	keel_vsnprintf(ps->err->msg, sizeof(ps->err->msg), fmt, ap);
	va_end(ap);
	return code;
}

#define fail(ps, ...) fail_code(ps, -EINVAL, __VA_ARGS__)

static void *arena_alloc(struct parser *ps, size_t n)
{
	uintptr_t base = (uintptr_t)ps->arena;
	size_t at = ALIGN_UP(base + ps->used, 8) - base;
	void *p;

	if (at > ps->size || n > ps->size - at) {
		fail_code(ps, -ENOMEM, "config too large");
		return NULL;
	}
	p = ps->arena + at;
	ps->used = at + n;
	memset(p, 0, n);
	return p;
}

static struct toml_value *new_node(struct parser *ps, enum toml_type type)
{
	struct toml_value *v = arena_alloc(ps, sizeof(*v));

	if (v) {
		v->type = type;
		v->line = ps->line;
	}
	return v;
}

static void list_append(struct toml_value *list, struct toml_value *v)
{
	if (list->list.last)
		list->list.last->next = v;
	else
		list->list.first = v;
	list->list.last = v;
	list->list.len++;
}

/* Start a string at the top of the arena, with room for at least its NUL. */
static int sbuf_begin(struct parser *ps, struct sbuf *sb)
{
	sb->s = (char *)ps->arena + ps->used;
	sb->len = 0;
	sb->cap = ps->size - ps->used;
	return sb->cap ? 0 : fail_code(ps, -ENOMEM, "config too large");
}

static int sbuf_put(struct parser *ps, struct sbuf *sb, const char *s, size_t n)
{
	if (n >= sb->cap - sb->len)	/* keep room for the NUL */
		return fail_code(ps, -ENOMEM, "config too large");
	memcpy(sb->s + sb->len, s, n);
	sb->len += n;
	return 0;
}

static void sbuf_end(struct parser *ps, struct sbuf *sb)
{
	sb->s[sb->len] = 0;
	ps->used += sb->len + 1;
}

/* ---- characters -------------------------------------------------------- */

static int peek_at(struct parser *ps, size_t n)
{
	return (size_t)(ps->end - ps->p) > n ? (u8)ps->p[n] : -1;
}

static int peek(struct parser *ps)
{
	return peek_at(ps, 0);
}

static bool at_newline(struct parser *ps)
{
	return peek(ps) == '\n' || (peek(ps) == '\r' && peek_at(ps, 1) == '\n');
}

static bool eat_newline(struct parser *ps)
{
	if (!at_newline(ps))
		return false;
	ps->p += peek(ps) == '\r' ? 2 : 1;
	ps->line++;
	return true;
}

static void skip_ws(struct parser *ps)
{
	while (peek(ps) == ' ' || peek(ps) == '\t')
		ps->p++;
}

/* What the parser found instead, for "expected X, found Y" messages. */
static const char *describe(int c, char buf[16])
{
	if (c < 0)
		return "end of file";
	if (c == '\n')
		return "end of line";
	if (c > 0x20 && c < 0x7f)
		keel_snprintf(buf, 16, "'%c'", c);
	else
		keel_snprintf(buf, 16, "byte 0x%02x", c);
	return buf;
}

/* The length of a well-formed UTF-8 sequence at s (RFC 3629 table 3.1), or 0. */
static size_t utf8_len(const u8 *s, size_t avail)
{
	u8 lo = 0x80, hi = 0xbf;
	size_t n;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;	/* overlong */
	if (s[0] == 0xed)
		hi = 0x9f;	/* UTF-16 surrogates */
	if (s[0] == 0xf0)
		lo = 0x90;	/* overlong */
	if (s[0] == 0xf4)
		hi = 0x8f;	/* past U+10FFFF */
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/*
 * The length of the character at the cursor inside a comment or string
 * (where): TOML allows tab and any Unicode character but no other
 * control character, and the document must be valid UTF-8.
 */
static int char_len(struct parser *ps, const char *where)
{
	int c = peek(ps);
	size_t n;

	if (c == '\t' || (c >= 0x20 && c < 0x7f))
		return 1;
	if (c < 0x80)
		return fail(ps, "invalid character 0x%02x in %s", c, where);
	n = utf8_len((const u8 *)ps->p, ps->end - ps->p);
	if (!n)
		return fail(ps, "invalid UTF-8 in %s", where);
	return (int)n;
}

static int skip_comment(struct parser *ps)
{
	int n;

	if (peek(ps) != '#')
		return 0;
	for (ps->p++; peek(ps) >= 0 && !at_newline(ps); ps->p += n)
		if ((n = char_len(ps, "comment")) < 0)
			return n;
	return 0;
}

/* Whitespace, comments and newlines, as allowed between array elements. */
static int skip_blank(struct parser *ps)
{
	for (;;) {
		skip_ws(ps);
		if (skip_comment(ps))
			return ps->status;
		if (!eat_newline(ps))
			return 0;
	}
}

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
	return sbuf_put(ps, sb, b, n);
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
			return sbuf_put(ps, sb, &pairs[i + 1], 1);
		}
	}
	if (c > 0x20 && c < 0x7f)
		return fail(ps, "bad escape \"\\%c\"", c);
	return fail(ps, "bad escape: '\\' followed by %s", describe(c, buf));
}

/* A basic ("...") or literal ('...') single-line string at the cursor. */
static int parse_string(struct parser *ps, struct key *out)
{
	char quote = *ps->p;
	struct sbuf sb;
	int n;

	if (peek_at(ps, 1) == quote && peek_at(ps, 2) == quote)
		return fail(ps, "multi-line strings are not supported");
	if (sbuf_begin(ps, &sb))
		return ps->status;
	for (ps->p++; peek(ps) != quote;) {
		if (peek(ps) < 0 || at_newline(ps))
			return fail(ps, "unterminated string");
		if (quote == '"' && peek(ps) == '\\') {
			if (parse_escape(ps, &sb))	/* it moves the cursor past the escape */
				return ps->status;
			continue;
		}
		if ((n = char_len(ps, "string")) < 0 || sbuf_put(ps, &sb, ps->p, n))
			return ps->status;
		ps->p += n;
	}
	ps->p++;
	sbuf_end(ps, &sb);
	out->s = sb.s;
	out->len = sb.len;
	return 0;
}

/* ---- keys -------------------------------------------------------------- */

static const char *quoted_key(struct key k, char buf[TOML_QUOTE_CAP])
{
	toml_quote(buf, TOML_QUOTE_CAP, k.s, k.len);
	return buf;
}

static bool is_bare_key_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static int parse_key(struct parser *ps, struct key *k)
{
	const char *start = ps->p;
	struct sbuf sb;
	char buf[TOML_QUOTE_CAP];

	if (peek(ps) == '"' || peek(ps) == '\'') {
		if (parse_string(ps, k))
			return ps->status;
	} else if (is_bare_key_char(peek(ps))) {
		while (is_bare_key_char(peek(ps)))
			ps->p++;
		if (sbuf_begin(ps, &sb) || sbuf_put(ps, &sb, start, ps->p - start))
			return ps->status;
		sbuf_end(ps, &sb);
		k->s = sb.s;
		k->len = sb.len;
	} else {
		return fail(ps, "expected a key, found %s", describe(peek(ps), buf));
	}
	skip_ws(ps);
	if (peek(ps) == '.')
		return fail(ps, "dotted keys are not supported (after key %s)", quoted_key(*k, buf));
	return 0;
}

static struct toml_value *find_member(const struct toml_value *table, struct key k)
{
	for (struct toml_value *v = table->list.first; v; v = v->next)
		if (v->key_len == k.len && !memcmp(v->key, k.s, k.len))
			return v;
	return NULL;
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
		return fail(ps, "expected a value, found %s", describe(peek(ps), buf));
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

/* ---- values, arrays, inline tables ------------------------------------- */

static int parse_value(struct parser *ps, struct toml_value **out, unsigned depth);
static int parse_keyval(struct parser *ps, struct toml_value *table, unsigned depth);

/* [ value, value, ... ] with newlines, comments and a trailing comma allowed. */
static int parse_array(struct parser *ps, struct toml_value *arr, unsigned depth)
{
	struct toml_value *v;
	char buf[16];

	arr->type = TOML_ARRAY;
	ps->p++;
	for (;;) {
		if (skip_blank(ps))
			return ps->status;
		if (peek(ps) == ']')
			break;
		if (peek(ps) >= 0) {
			if (parse_value(ps, &v, depth + 1) || skip_blank(ps))
				return ps->status;
			list_append(arr, v);
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
			    describe(peek(ps), buf));
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
		if (parse_keyval(ps, t, depth + 1))
			return ps->status;
		skip_ws(ps);
		if (peek(ps) == '}')
			break;
		if (at_newline(ps))
			return fail(ps, "newlines are not allowed in inline tables");
		if (peek(ps) != ',')
			return fail(ps, "expected ',' or '}' in an inline table, found %s",
				    describe(peek(ps), buf));
		ps->p++;
	}
done:
	ps->p++;
	return 0;
}

static int parse_value(struct parser *ps, struct toml_value **out, unsigned depth)
{
	struct toml_value *v = new_node(ps, TOML_STRING);
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
	if (parse_string(ps, &s))
		return ps->status;
	v->str.s = s.s;
	v->str.len = s.len;
	return 0;
}

/* key = value, into table. The value starts on the key's line (TOML: no newline before it). */
static int parse_keyval(struct parser *ps, struct toml_value *table, unsigned depth)
{
	unsigned line = ps->line;
	struct toml_value *v, *old;
	struct key k;
	char q[TOML_QUOTE_CAP];

	if (parse_key(ps, &k))
		return ps->status;
	if ((old = find_member(table, k)))
		return fail(ps, "duplicate key %s (first on line %u)", quoted_key(k, q), old->line);
	if (peek(ps) != '=')
		return fail(ps, "expected '=' after key %s", quoted_key(k, q));
	ps->p++;
	skip_ws(ps);
	if (peek(ps) < 0 || at_newline(ps) || peek(ps) == '#')
		return fail(ps, "missing value for key %s", quoted_key(k, q));
	if (parse_value(ps, &v, depth))
		return ps->status;
	v->key = k.s;
	v->key_len = k.len;
	v->line = line;
	list_append(table, v);
	return 0;
}

/* ---- [table] and [[array of tables]] ----------------------------------- */

/*
 * Open the table a header names. Headers name root members only (dotted
 * keys are not supported), which keeps TOML's table rules to three:
 * [x] may appear once and only for a new key, [[x]] appends only to an
 * array that [[x]] made, and neither may reuse any other key.
 */
static int open_header(struct parser *ps, bool aot, struct key k, struct toml_value **cur)
{
	struct toml_value *old = find_member(ps->root, k), *t;
	char q[TOML_QUOTE_CAP];

	quoted_key(k, q);
	if (old && !aot && old->type == TOML_TABLE && (old->list.flags & TOML_FROM_HEADER))
		return fail(ps, "table %s is defined twice (first on line %u)", q, old->line);
	if (old && aot && old->type == TOML_ARRAY && !(old->list.flags & TOML_FROM_AOT))
		return fail(ps, "[[...]] cannot append to the static array %s from line %u",
			    q, old->line);
	if (old && !(aot && old->type == TOML_ARRAY))
		return fail(ps, "table header %s redefines the key from line %u", q, old->line);
	if (!(t = new_node(ps, TOML_TABLE)))
		return ps->status;
	*cur = t;
	if (!aot) {
		t->list.flags = TOML_FROM_HEADER;
		old = t;
	} else if (!old) {
		if (!(old = new_node(ps, TOML_ARRAY)))
			return ps->status;
		old->list.flags = TOML_FROM_AOT;
	}
	if (!old->key) {
		old->key = k.s;
		old->key_len = k.len;
		list_append(ps->root, old);
	}
	if (aot)
		list_append(old, t);
	return 0;
}

static int parse_header(struct parser *ps, struct toml_value **cur)
{
	bool aot = peek_at(ps, 1) == '[';
	struct key k;
	char q[TOML_QUOTE_CAP];

	ps->p += aot ? 2 : 1;
	skip_ws(ps);
	if (parse_key(ps, &k))
		return ps->status;
	if (peek(ps) != ']' || (aot && peek_at(ps, 1) != ']'))
		return fail(ps, "expected '%s' to close the table header %s", aot ? "]]" : "]",
			    quoted_key(k, q));
	ps->p += aot ? 2 : 1;
	return open_header(ps, aot, k, cur);
}

/* After a key/value pair or a header only a comment may follow on the line. */
static int end_line(struct parser *ps)
{
	char buf[16];

	skip_ws(ps);
	if (skip_comment(ps))
		return ps->status;
	if (peek(ps) >= 0 && !eat_newline(ps))
		return fail(ps, "expected end of line, found %s", describe(peek(ps), buf));
	return 0;
}

int toml_parse(const char *text, size_t len, void *arena, size_t arena_size,
	       struct toml_doc *doc, struct toml_error *err)
{
	struct parser ps = {
		.p = text, .end = text + len, .line = 1,
		.arena = arena, .size = arena_size, .err = err,
	};
	struct toml_value *cur;

	err->line = 0;
	err->msg[0] = 0;
	doc->root = NULL;
	if (!(ps.root = cur = new_node(&ps, TOML_TABLE)))
		return ps.status;
	while (ps.p < ps.end) {
		skip_ws(&ps);
		if (peek(&ps) == '[')
			parse_header(&ps, &cur);
		else if (peek(&ps) != '#' && peek(&ps) >= 0 && !at_newline(&ps))
			parse_keyval(&ps, cur, 0);
		if (ps.status || end_line(&ps))
			return ps.status;
	}
	doc->root = ps.root;
	return 0;
}

/* ---- navigation -------------------------------------------------------- */

const struct toml_value *toml_table_get(const struct toml_value *table, const char *key)
{
	struct key k = { key, key ? strlen(key) : 0 };

	if (!table || !key || table->type != TOML_TABLE)
		return NULL;
	return find_member(table, k);
}

const struct toml_value *toml_first(const struct toml_value *v)
{
	if (!v || (v->type != TOML_ARRAY && v->type != TOML_TABLE))
		return NULL;
	return v->list.first;
}

unsigned toml_len(const struct toml_value *v)
{
	if (!v || (v->type != TOML_ARRAY && v->type != TOML_TABLE))
		return 0;
	return v->list.len;
}

const struct toml_value *toml_at(const struct toml_value *v, unsigned i)
{
	const struct toml_value *e = toml_first(v);

	while (e && i--)
		e = e->next;
	return e;
}

const char *toml_type_name(enum toml_type t)
{
	static const char *const names[] = {
		[TOML_STRING] = "a string", [TOML_INTEGER] = "an integer",
		[TOML_BOOL] = "a boolean", [TOML_ARRAY] = "an array", [TOML_TABLE] = "a table",
	};

	return (unsigned)t < ARRAY_SIZE(names) ? names[t] : "an unknown value";
}

void toml_quote(char *buf, size_t cap, const char *s, size_t len)
{
	size_t n = MIN(len, (size_t)TOML_QUOTE_MAX), o = 0;

	if (!cap)
		return;
	if (n < len)	/* do not cut a UTF-8 sequence: back up to its lead byte */
		while (n && ((u8)s[n] & 0xc0) == 0x80)
			n--;
	if (cap < TOML_QUOTE_CAP) {
		buf[0] = 0;
		return;
	}
	buf[o++] = '"';
	for (size_t i = 0; i < n; i++)
		buf[o++] = ((u8)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	if (n < len)
		for (int i = 0; i < 3; i++)
			buf[o++] = '.';
	buf[o++] = '"';
	buf[o] = 0;
}
