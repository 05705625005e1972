/*
 * libFuzzer entry for the config parser (lib/toml.c) and schema
 * (vmm/config/config.c). Whatever the bytes: an error has a line inside the input
 * and a one-line message; a document is well formed (lists consistent,
 * keys unique, strings valid UTF-8 and NUL-terminated, depth bounded) and
 * survives a round trip through TOML text unchanged; config_load reports
 * one line per problem and only ever accepts VMs inside the schema's ranges.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/toml.h"
#include "vmm/config/config.h"

static u8 arena[CONFIG_ARENA_SIZE], arena2[CONFIG_ARENA_SIZE];

#define check(c) do { if (!(c)) { fprintf(stderr, "fuzz_toml: %s:%d: %s\n", \
	__FILE__, __LINE__, #c); abort(); } } while (0)

/* ---- structure --------------------------------------------------------- */

static bool valid_utf8(const u8 *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		u32 cp;
		size_t len = s[i] < 0x80 ? 1 : s[i] >= 0xf0 ? 4 : s[i] >= 0xe0 ? 3 : 2;

		if (s[i] >= 0x80 && s[i] < 0xc2)
			return false;
		if (s[i] > 0xf4 || i + len > n)
			return false;
		cp = len == 1 ? s[i] : s[i] & (0x7f >> len);
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

static bool in_arena(const void *p, size_t n, const u8 *a)
{
	return (const u8 *)p >= a && (const u8 *)p + n <= a + CONFIG_ARENA_SIZE;
}

static void check_tree(const struct toml_value *v, unsigned depth, unsigned max_line, const u8 *a)
{
	const struct toml_value *e, *last = NULL, *o;
	unsigned n = 0;

	check(in_arena(v, sizeof(*v), a));
	check(v->line >= 1 && v->line <= max_line);
	check(depth <= TOML_MAX_DEPTH + 3);	/* + root, [[x]] array, its table */
	if (v->key) {
		check(in_arena(v->key, v->key_len + 1, a) && v->key[v->key_len] == 0);
		check(valid_utf8((const u8 *)v->key, v->key_len));
	}
	if (v->type == TOML_STRING) {
		check(in_arena(v->str.s, v->str.len + 1, a) && v->str.s[v->str.len] == 0);
		check(valid_utf8((const u8 *)v->str.s, v->str.len));
	}
	if (v->type != TOML_ARRAY && v->type != TOML_TABLE) {
		check(v->type == TOML_INTEGER || v->type == TOML_BOOL || v->type == TOML_STRING);
		return;
	}
	for (e = v->list.first; e; last = e, e = e->next, n++) {
		check((v->type == TOML_TABLE) == (e->key != NULL));
		check(!last || last->line <= e->line);		/* file order */
		for (o = v->list.first; v->type == TOML_TABLE && o != e; o = o->next)
			check(o->key_len != e->key_len || memcmp(o->key, e->key, e->key_len));
		check_tree(e, depth + 1, max_line, a);
	}
	check(n == v->list.len && last == v->list.last);
}

/* ---- round trip: print the document as TOML, parse it, compare --------- */

struct text {
	char *s;
	size_t len, cap;
};

static void put(struct text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->s = realloc(t->s, t->cap);
		check(t->s);
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = 0;
}

static void puts_(struct text *t, const char *s)
{
	put(t, s, strlen(s));
}

static void put_string(struct text *t, const char *s, size_t n)
{
	char esc[8];

	puts_(t, "\"");
	for (size_t i = 0; i < n; i++) {
		u8 c = s[i];

		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
			snprintf(esc, sizeof(esc), "\\u%04X", c);
			puts_(t, esc);
		} else {
			put(t, &s[i], 1);
		}
	}
	puts_(t, "\"");
}

static void put_value(struct text *t, const struct toml_value *v)
{
	char num[32];

	switch (v->type) {
	case TOML_STRING:
		put_string(t, v->str.s, v->str.len);
		return;
	case TOML_INTEGER:
		snprintf(num, sizeof(num), "%lld", (long long)v->integer);
		puts_(t, num);
		return;
	case TOML_BOOL:
		puts_(t, v->boolean ? "true" : "false");
		return;
	default:
		puts_(t, v->type == TOML_ARRAY ? "[" : "{");
		for (const struct toml_value *e = v->list.first; e; e = e->next) {
			if (e->key) {
				put_string(t, e->key, e->key_len);
				puts_(t, " = ");
			}
			put_value(t, e);
			if (e->next)
				puts_(t, ", ");
		}
		puts_(t, v->type == TOML_ARRAY ? "]" : "}");
	}
}

static void put_members(struct text *t, const struct toml_value *table)
{
	for (const struct toml_value *m = table->list.first; m; m = m->next) {
		put_string(t, m->key, m->key_len);
		puts_(t, " = ");
		put_value(t, m);
		puts_(t, "\n");
	}
}

/* Plain root keys first (they precede every header in any source), then headers. */
static void put_doc(struct text *t, const struct toml_value *root)
{
	const struct toml_value *m;

	for (m = root->list.first; m; m = m->next) {
		bool header = m->list.flags & (TOML_FROM_HEADER | TOML_FROM_AOT);

		if ((m->type == TOML_TABLE || m->type == TOML_ARRAY) && header)
			continue;
		put_string(t, m->key, m->key_len);
		puts_(t, " = ");
		put_value(t, m);
		puts_(t, "\n");
	}
	for (m = root->list.first; m; m = m->next) {
		if (m->type == TOML_TABLE && (m->list.flags & TOML_FROM_HEADER)) {
			puts_(t, "[");
			put_string(t, m->key, m->key_len);
			puts_(t, "]\n");
			put_members(t, m);
		} else if (m->type == TOML_ARRAY && (m->list.flags & TOML_FROM_AOT)) {
			for (const struct toml_value *e = m->list.first; e; e = e->next) {
				puts_(t, "[[");
				put_string(t, m->key, m->key_len);
				puts_(t, "]]\n");
				put_members(t, e);
			}
		}
	}
}

static void check_same(const struct toml_value *a, const struct toml_value *b)
{
	check(a->type == b->type && a->key_len == b->key_len);
	check(!a->key || !memcmp(a->key, b->key, a->key_len));
	switch (a->type) {
	case TOML_STRING:
		check(a->str.len == b->str.len && !memcmp(a->str.s, b->str.s, a->str.len));
		return;
	case TOML_INTEGER:
		check(a->integer == b->integer);
		return;
	case TOML_BOOL:
		check(a->boolean == b->boolean);
		return;
	default:
		check(a->list.len == b->list.len && a->list.flags == b->list.flags);
		for (a = a->list.first, b = b->list.first; a; a = a->next, b = b->next)
			check_same(a, b);
	}
}

/* ---- the schema -------------------------------------------------------- */

static unsigned nreports;

static void on_report(void *ctx, const char *msg)
{
	check(!strncmp(msg, "fuzz.toml:", 10) && !strchr(msg, '\n'));
	nreports++;
}

static void on_line(void *ctx, const char *line)
{
	check(!strchr(line, '\n') && !strchr(line, '\r'));
}

static void check_config(const char *data, size_t size)
{
	static struct keel_config c;
	struct config_env env = {
		.host_ram = 4 * GiB, .report = on_report, .report_ctx = NULL,
	};
	u64 total = 0;
	int rc;

	nreports = 0;
	rc = config_load("fuzz.toml", data, size, &env, &c);
	check(rc < 0 ? (rc == -EINVAL || rc == -ENOMEM) && nreports == 1 && c.nvm == 0
		     : (unsigned)rc == nreports);
	check(c.nvm <= CONFIG_MAX_VMS && (c.host.focus_vm < c.nvm || c.host.focus_vm == 0));
	for (unsigned i = 0; i < c.nvm; i++) {
		const struct vm_config *vm = &c.vm[i];

		check(vm->name[0] && vm->kernel[0] && strlen(vm->name) < CONFIG_NAME_MAX);
		check(vm->memory >= CONFIG_MEM_MIN && vm->memory <= CONFIG_MEM_MAX);
		check(!(vm->memory & (PAGE_SIZE - 1)));
		check(vm->vcpus >= 1 && vm->vcpus <= CONFIG_MAX_VCPUS);
		check(vm->weight >= 1 && vm->weight <= 65535 && vm->cap <= 100 * vm->vcpus);
		check(vm->ndisk <= CONFIG_MAX_DISKS && vm->nnic <= CONFIG_MAX_NICS);
		for (unsigned j = 0; j < i; j++)
			check(strcmp(vm->name, c.vm[j].name));
		total += vm->memory;
	}
	check(total <= env.host_ram);
	config_print_table(&c, on_line, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct toml_doc doc, again;
	struct toml_error err, err2;
	struct text t = { 0 };
	unsigned lines = 1;
	int rc;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	rc = toml_parse(text, size, arena, sizeof(arena), &doc, &err);
	if (rc) {
		check(rc == -EINVAL || rc == -ENOMEM);
		check(err.line >= 1 && err.line <= lines && err.msg[0]);
		check(strlen(err.msg) < sizeof(err.msg) && !strchr(err.msg, '\n'));
		check(!doc.root);
	} else {
		check_tree(doc.root, 0, lines, arena);
		put_doc(&t, doc.root);
		rc = toml_parse(t.s ? t.s : "", t.len, arena2, sizeof(arena2), &again, &err2);
		/* Printing may only grow the document past the arena, never break it. */
		check(rc == 0 || rc == -ENOMEM);
		if (!rc)
			check_same(doc.root, again.root);
		free(t.s);
	}
	check_config(text, size);
	return 0;
}
