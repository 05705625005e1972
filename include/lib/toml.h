/*
 * A TOML v1.0.0 subset parser for Keel's config file (lib/toml.c, values in lib/toml_value.c).
 *
 * Supported: comments, bare and quoted keys, basic strings with every
 * escape, literal strings, integers (decimal, 0x, 0o, 0b, underscores),
 * booleans, arrays (multi-line, mixed types), inline tables, [table] and
 * [[array of tables]] headers. Rejected with an error naming the feature:
 * dotted keys, floats, dates and times, multi-line strings, integers
 * outside 64-bit signed range. docs/config.md has the user's view.
 *
 * No allocator: every node and string is carved from an arena the caller
 * supplies, and the document lives as long as that arena. Strings are
 * NUL-terminated and also carry a length (a "\u0000" escape is legal).
 */
#ifndef KEEL_LIB_TOML_H
#define KEEL_LIB_TOML_H

#include "types.h"

/* Arrays and inline tables nested deeper than this are an error. */
#define TOML_MAX_DEPTH 16

enum toml_type { TOML_STRING, TOML_INTEGER, TOML_BOOL, TOML_ARRAY, TOML_TABLE };

/* How a table or array came to be; the TOML rules for [..] and [[..]] need it. */
#define TOML_FROM_HEADER  BIT(0)	/* table opened by a [name] header */
#define TOML_FROM_AOT     BIT(1)	/* array of tables made by [[name]] */
#define TOML_FROM_INLINE  BIT(2)	/* inline table { ... } */

/*
 * One node. A table's members and an array's elements are singly linked
 * through next, in file order. line is where the node starts: for a table
 * member the line of its key, for a [[name]] table the line of its header.
 */
struct toml_value {
	enum toml_type type;
	unsigned line;
	const char *key;		/* member of a table: its key, else NULL */
	size_t key_len;
	struct toml_value *next;
	union {
		struct {
			const char *s;
			size_t len;
		} str;
		s64 integer;
		bool boolean;
		struct {
			struct toml_value *first, *last;
			unsigned len;
			unsigned flags;	/* TOML_FROM_* */
		} list;			/* TOML_ARRAY and TOML_TABLE */
	};
};

struct toml_doc {
	struct toml_value *root;	/* a TOML_TABLE */
};

struct toml_error {
	unsigned line;			/* 1-based */
	char msg[120];
};

/*
 * Parse text[0..len) into doc using arena[0..arena_size) for all storage.
 * 0 on success; on the first error -EINVAL (-ENOMEM when the arena runs
 * out, "config too large") with err filled in.
 */
int toml_parse(const char *text, size_t len, void *arena, size_t arena_size,
	       struct toml_doc *doc, struct toml_error *err);

/* The member of a table named key (a C string), or NULL. */
const struct toml_value *toml_table_get(const struct toml_value *table, const char *key);
/* The first member of a table or element of an array (then follow ->next), or NULL. */
const struct toml_value *toml_first(const struct toml_value *v);
/* The number of members or elements; 0 for scalars. */
unsigned toml_len(const struct toml_value *v);
/* Element i of an array (or member i of a table), or NULL. */
const struct toml_value *toml_at(const struct toml_value *v, unsigned i);
/* "a string", "an integer", "a boolean", "an array", "a table": for messages. */
const char *toml_type_name(enum toml_type t);
/*
 * Write s[0..len) into buf[0..cap) double-quoted for a one-line message:
 * control characters become '?', and past TOML_QUOTE_MAX bytes it is cut
 * (at a character boundary) and ends in "...". cap >= TOML_QUOTE_CAP fits all.
 */
#define TOML_QUOTE_MAX 40
#define TOML_QUOTE_CAP (TOML_QUOTE_MAX + 6)
void toml_quote(char *buf, size_t cap, const char *s, size_t len);

#endif
