/*
 * The TOML subset of include/lib/toml.h, following the TOML v1.0.0 spec
 * (toml.io/en/v1.0.0): this half owns the text and the document's shape,
 * its sections Comment, Key/Value Pair, Keys, Table and Array of Tables,
 * plus the arena and navigation; lib/toml_value.c parses the values. A
 * recursive-descent parser over a byte buffer; the first error stops it.
 * Nesting is bounded (TOML_MAX_DEPTH) because the kernel stack is small
 * and the file is user input.
 */
#include "lib/printf.h"
#include "lib/string.h"
#include "toml_priv.h"

/* ---- errors and the arena ---------------------------------------------- */

int __printf(3, 4) toml_fail_code(struct parser *ps, int code, const char *fmt, ...)
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

static void *arena_alloc(struct parser *ps, size_t n)
{
	uintptr_t base = (uintptr_t)ps->arena;
	size_t at = ALIGN_UP(base + ps->used, 8) - base;
	void *p;

	if (at > ps->size || n > ps->size - at) {
		toml_fail_code(ps, -ENOMEM, "config too large");
		return NULL;
	}
	p = ps->arena + at;
	ps->used = at + n;
	memset(p, 0, n);
	return p;
}

struct toml_value *toml_new_node(struct parser *ps, enum toml_type type)
{
	struct toml_value *v = arena_alloc(ps, sizeof(*v));

	if (v) {
		v->type = type;
		v->line = ps->line;
	}
	return v;
}

void toml_list_append(struct toml_value *list, struct toml_value *v)
{
	if (list->list.last)
		list->list.last->next = v;
	else
		list->list.first = v;
	list->list.last = v;
	list->list.len++;
}

/* Start a string at the top of the arena, with room for at least its NUL. */
int toml_sbuf_begin(struct parser *ps, struct sbuf *sb)
{
	sb->s = (char *)ps->arena + ps->used;
	sb->len = 0;
	sb->cap = ps->size - ps->used;
	return sb->cap ? 0 : toml_fail_code(ps, -ENOMEM, "config too large");
}

int toml_sbuf_put(struct parser *ps, struct sbuf *sb, const char *s, size_t n)
{
	if (n >= sb->cap - sb->len)	/* keep room for the NUL */
		return toml_fail_code(ps, -ENOMEM, "config too large");
	memcpy(sb->s + sb->len, s, n);
	sb->len += n;
	return 0;
}

void toml_sbuf_end(struct parser *ps, struct sbuf *sb)
{
	sb->s[sb->len] = 0;
	ps->used += sb->len + 1;
}

/* ---- characters -------------------------------------------------------- */

/* What the parser found instead, for "expected X, found Y" messages. */
const char *toml_describe(int c, char buf[16])
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
int toml_char_len(struct parser *ps, const char *where)
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
		if ((n = toml_char_len(ps, "comment")) < 0)
			return n;
	return 0;
}

/* Whitespace, comments and newlines, as allowed between array elements. */
int toml_skip_blank(struct parser *ps)
{
	for (;;) {
		skip_ws(ps);
		if (skip_comment(ps))
			return ps->status;
		if (!eat_newline(ps))
			return 0;
	}
}

/* ---- keys -------------------------------------------------------------- */

static const char *quoted_key(struct key k, char buf[TOML_QUOTE_CAP])
{
	toml_quote(buf, TOML_QUOTE_CAP, k.s, k.len);
	return buf;
}

static int parse_key(struct parser *ps, struct key *k)
{
	const char *start = ps->p;
	struct sbuf sb;
	char buf[TOML_QUOTE_CAP];

	if (peek(ps) == '"' || peek(ps) == '\'') {
		if (toml_parse_string(ps, k))
			return ps->status;
	} else if (is_bare_key_char(peek(ps))) {
		while (is_bare_key_char(peek(ps)))
			ps->p++;
		if (toml_sbuf_begin(ps, &sb) || toml_sbuf_put(ps, &sb, start, ps->p - start))
			return ps->status;
		toml_sbuf_end(ps, &sb);
		k->s = sb.s;
		k->len = sb.len;
	} else {
		return fail(ps, "expected a key, found %s", toml_describe(peek(ps), buf));
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

/* key = value, into table. The value starts on the key's line (TOML: no newline before it). */
int toml_parse_keyval(struct parser *ps, struct toml_value *table, unsigned depth)
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
	if (toml_parse_value(ps, &v, depth))
		return ps->status;
	v->key = k.s;
	v->key_len = k.len;
	v->line = line;
	toml_list_append(table, v);
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
	if (!(t = toml_new_node(ps, TOML_TABLE)))
		return ps->status;
	*cur = t;
	if (!aot) {
		t->list.flags = TOML_FROM_HEADER;
		old = t;
	} else if (!old) {
		if (!(old = toml_new_node(ps, TOML_ARRAY)))
			return ps->status;
		old->list.flags = TOML_FROM_AOT;
	}
	if (!old->key) {
		old->key = k.s;
		old->key_len = k.len;
		toml_list_append(ps->root, old);
	}
	if (aot)
		toml_list_append(old, t);
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
		return fail(ps, "expected end of line, found %s", toml_describe(peek(ps), buf));
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
	if (!(ps.root = cur = toml_new_node(&ps, TOML_TABLE)))
		return ps.status;
	while (ps.p < ps.end) {
		skip_ws(&ps);
		if (peek(&ps) == '[')
			parse_header(&ps, &cur);
		else if (peek(&ps) != '#' && peek(&ps) >= 0 && !at_newline(&ps))
			toml_parse_keyval(&ps, cur, 0);
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
