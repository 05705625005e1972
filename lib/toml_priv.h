/*
 * The TOML parser's insides, shared by its two halves: lib/toml.c (the
 * text and the document: arena, comments, keys, key/value pairs, [table]
 * and [[array of tables]] headers, navigation) and lib/toml_value.c (what
 * follows an '=': strings, integers, booleans, arrays, inline tables).
 * Only lib/toml*.c include this; everyone else uses include/lib/toml.h.
 */
#ifndef KEEL_LIB_TOML_PRIV_H
#define KEEL_LIB_TOML_PRIV_H

#include "lib/toml.h"

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

/* A key (or a string value) as parsed: decoded, NUL-terminated, in the arena. */
struct key {
	const char *s;
	size_t len;
};

/* ---- errors and the arena (lib/toml.c) ----------------------------------- */

/* Record the first error (later ones are dropped) and return its code. */
int __printf(3, 4) toml_fail_code(struct parser *ps, int code, const char *fmt, ...);
#define fail(ps, ...) toml_fail_code(ps, -EINVAL, __VA_ARGS__)

struct toml_value *toml_new_node(struct parser *ps, enum toml_type type);
void toml_list_append(struct toml_value *list, struct toml_value *v);
int toml_sbuf_begin(struct parser *ps, struct sbuf *sb);
int toml_sbuf_put(struct parser *ps, struct sbuf *sb, const char *s, size_t n);
void toml_sbuf_end(struct parser *ps, struct sbuf *sb);

/* ---- characters (lib/toml.c, the cursor helpers here) -------------------- */

static inline int peek_at(struct parser *ps, size_t n)
{
	return (size_t)(ps->end - ps->p) > n ? (u8)ps->p[n] : -1;
}

static inline int peek(struct parser *ps)
{
	return peek_at(ps, 0);
}

static inline bool at_newline(struct parser *ps)
{
	return peek(ps) == '\n' || (peek(ps) == '\r' && peek_at(ps, 1) == '\n');
}

static inline bool eat_newline(struct parser *ps)
{
	if (!at_newline(ps))
		return false;
	ps->p += peek(ps) == '\r' ? 2 : 1;
	ps->line++;
	return true;
}

static inline void skip_ws(struct parser *ps)
{
	while (peek(ps) == ' ' || peek(ps) == '\t')
		ps->p++;
}

static inline bool is_bare_key_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* What the parser found instead, for "expected X, found Y" messages. */
const char *toml_describe(int c, char buf[16]);
/* The length of the (valid) character at the cursor inside a comment or string. */
int toml_char_len(struct parser *ps, const char *where);
/* Whitespace, comments and newlines, as allowed between array elements. */
int toml_skip_blank(struct parser *ps);

/* ---- the two halves call each other -------------------------------------- */

/* lib/toml_value.c: a "basic" or 'literal' string at the cursor (keys use it too). */
int toml_parse_string(struct parser *ps, struct key *out);
/* lib/toml_value.c: the value at the cursor; depth counts the enclosing [ and {. */
int toml_parse_value(struct parser *ps, struct toml_value **out, unsigned depth);
/* lib/toml.c: key = value into table (inline tables hold these too). */
int toml_parse_keyval(struct parser *ps, struct toml_value *table, unsigned depth);

#endif
