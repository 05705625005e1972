/*
 * Checking keel.toml against key descriptors (vmm/config/config_priv.h): a table's
 * members matched to its keys, then one parser per kind of key, each of
 * which reports its own problem and stores only a good value. vmm/config/config.c
 * holds the descriptor tables and decides what a section's problems cost.
 */
#include "lib/printf.h"
#include "lib/string.h"
#include "config_priv.h"

/* ---- strings and names ------------------------------------------------- */

static const char *quote(const struct toml_value *v, char buf[TOML_QUOTE_CAP])
{
	toml_quote(buf, TOML_QUOTE_CAP, v->str.s, v->str.len);
	return buf;
}

static int wrong_type(struct loader *ld, const struct toml_value *v, const char *label,
		      const char *want)
{
	config_report(ld, v->line, "%s: expected %s, not %s", label, want, toml_type_name(v->type));
	return 1;
}

/*
 * A string shorter than cap bytes without NUL (it ends a C string) and,
 * unless controls_ok, without other control characters either: names end
 * up in messages and on the console, a command line only in the guest.
 */
static int check_string(struct loader *ld, const struct toml_value *v, const char *label,
			size_t cap, bool controls_ok)
{
	char q[TOML_QUOTE_CAP];

	if (v->type != TOML_STRING)
		return wrong_type(ld, v, label, "a string");
	for (size_t i = 0; i < v->str.len; i++) {
		u8 c = v->str.s[i];

		if (c == 0 || (!controls_ok && (c < 0x20 || c == 0x7f))) {
			config_report(ld, v->line, "%s: %s contains a %s character", label, quote(v, q),
				      c ? "control" : "NUL");
			return 1;
		}
	}
	if (v->str.len >= cap) {
		config_report(ld, v->line, "%s: %s is longer than %zu bytes", label, quote(v, q), cap - 1);
		return 1;
	}
	return 0;
}

static void store_string(const struct key_desc *d, const struct toml_value *v, void *base)
{
	char *dst = (char *)base + d->offset;

	memcpy(dst, v->str.s, v->str.len);
	dst[v->str.len] = 0;
}

bool config_name_ok(const char *s, size_t len)
{
	if (!len || len >= CONFIG_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* ---- one parser per kind of key ---------------------------------------- */

int config_parse_name(struct loader *ld, const struct key_desc *d,
		      const struct toml_value *v, const char *label, void *base)
{
	char q[TOML_QUOTE_CAP];

	if (v->type != TOML_STRING)
		return wrong_type(ld, v, label, "a string");
	if (!config_name_ok(v->str.s, v->str.len)) {
		config_report(ld, v->line, "%s: %s must be 1-%u characters of A-Z a-z 0-9 _ -",
			      label, quote(v, q), CONFIG_NAME_MAX - 1);
		return 1;
	}
	store_string(d, v, base);
	return 0;
}

int config_parse_module(struct loader *ld, const struct key_desc *d,
			const struct toml_value *v, const char *label, void *base)
{
	const struct config_env *env = ld->env;
	char q[TOML_QUOTE_CAP];

	if (check_string(ld, v, label, d->max, false))
		return 1;
	if (!v->str.len) {
		config_report(ld, v->line, "%s: the module name is empty", label);
		return 1;
	}
	if (env->module_exists && !env->module_exists(env->ctx, v->str.s)) {
		config_report(ld, v->line, "%s: module %s was not loaded", label, quote(v, q));
		return 1;
	}
	store_string(d, v, base);
	return 0;
}

int config_parse_text(struct loader *ld, const struct key_desc *d,
		      const struct toml_value *v, const char *label, void *base)
{
	if (check_string(ld, v, label, d->max, true))
		return 1;
	store_string(d, v, base);
	return 0;
}

int config_parse_bool(struct loader *ld, const struct key_desc *d,
		      const struct toml_value *v, const char *label, void *base)
{
	if (v->type != TOML_BOOL)
		return wrong_type(ld, v, label, "true or false");
	*(bool *)((u8 *)base + d->offset) = v->boolean;
	return 0;
}

/* An integer value in d->min..d->max: 0, or 1 with the problem reported. */
static int int_in_range(struct loader *ld, const struct key_desc *d,
			const struct toml_value *v, const char *label, const char *kind)
{
	if (v->type != TOML_INTEGER)
		return wrong_type(ld, v, label, kind);
	if (v->integer < (s64)d->min || v->integer > (s64)d->max) {
		config_report(ld, v->line, "%s: %lld is out of range %llu..%llu", label,
			      (long long)v->integer, (unsigned long long)d->min,
			      (unsigned long long)d->max);
		return 1;
	}
	return 0;
}

int config_parse_uint(struct loader *ld, const struct key_desc *d,
		      const struct toml_value *v, const char *label, void *base)
{
	if (int_in_range(ld, d, v, label, "an integer"))
		return 1;
	*(u32 *)((u8 *)base + d->offset) = (u32)v->integer;
	return 0;
}

/* A size string ("512M", parse_size) or an integer of bytes, in whole pages. */
int config_parse_size(struct loader *ld, const struct key_desc *d,
			  const struct toml_value *v, const char *label, void *base)
{
	char q[TOML_QUOTE_CAP], lo[SIZE_STR], hi[SIZE_STR], s[SIZE_STR];
	const char *shown = q;
	u64 size = 0;
	int err;

	if (v->type == TOML_STRING) {
		err = parse_size(v->str.s, v->str.len, &size);
		quote(v, q);
	} else if (v->type == TOML_INTEGER) {
		err = v->integer < 0 ? -ERANGE : 0;
		size = (u64)v->integer;
		keel_snprintf(s, sizeof(s), "%lld", (long long)v->integer);
		shown = s;
	} else {
		return wrong_type(ld, v, label, "a size (\"512M\") or an integer");
	}
	if (err == -EINVAL) {
		config_report(ld, v->line, "%s: %s is not a size (try 512M or 2G)", label, shown);
		return 1;
	}
	if (err || size < d->min || size > d->max) {
		config_report(ld, v->line, "%s: %s is out of range %s..%s", label, shown,
			      config_fmt_size(d->min, lo), config_fmt_size(d->max, hi));
		return 1;
	}
	if (size & (PAGE_SIZE - 1)) {
		config_report(ld, v->line, "%s: %s is not a multiple of 4K", label, shown);
		return 1;
	}
	*(u64 *)((u8 *)base + d->offset) = size;
	return 0;
}

/* One of d->choices, stored as its index (the enum value). */
int config_parse_choice(struct loader *ld, const struct key_desc *d,
			const struct toml_value *v, const char *label, void *base)
{
	char q[TOML_QUOTE_CAP], list[80] = "";
	size_t n = 0;

	if (v->type != TOML_STRING)
		return wrong_type(ld, v, label, "a string");
	for (unsigned i = 0; d->choices[i]; i++) {
		if (strlen(d->choices[i]) == v->str.len && !memcmp(d->choices[i], v->str.s, v->str.len)) {
			*(unsigned *)((u8 *)base + d->offset) = i;
			return 0;
		}
		if (n < sizeof(list))
			n += keel_snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "",
					   d->choices[i]);
	}
	config_report(ld, v->line, "%s: %s is not one of %s", label, quote(v, q), list);
	return 1;
}

/* Keel's console UART: com1..com4 (the PC's standard ports) or a port number. */
int config_parse_port(struct loader *ld, const struct key_desc *d,
		      const struct toml_value *v, const char *label, void *base)
{
	static const char *const coms[] = { "com1", "com2", "com3", "com4" };
	static const u16 com_ports[] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };
	char q[TOML_QUOTE_CAP];
	u64 port = 0;

	if (v->type == TOML_INTEGER) {
		port = v->integer < 0 ? 0 : (u64)v->integer;
		keel_snprintf(q, sizeof(q), v->integer < 0 ? "%lld" : "0x%llx", (long long)v->integer);
	} else if (v->type != TOML_STRING) {
		return wrong_type(ld, v, label, "a string or an integer");
	} else if (parse_u64(v->str.s, v->str.len, &port)) {
		for (unsigned i = 0; i < ARRAY_SIZE(coms); i++)
			if (v->str.len == 4 && !memcmp(v->str.s, coms[i], 4))
				port = com_ports[i];
		if (!port) {
			config_report(ld, v->line, "%s: %s is not com1..com4 or an I/O port number",
				      label, quote(v, q));
			return 1;
		}
	}
	if (port < d->min || port > d->max) {
		if (v->type == TOML_STRING)
			quote(v, q);
		config_report(ld, v->line, "%s: %s is out of range 0x%llx..0x%llx", label, q,
			      (unsigned long long)d->min, (unsigned long long)d->max);
		return 1;
	}
	*(u16 *)((u8 *)base + d->offset) = (u16)port;
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/* "52:54:00:12:34:56": a unicast, non-zero Ethernet address (IEEE 802 48-bit). */
int config_parse_mac(struct loader *ld, const struct key_desc *d,
		     const struct toml_value *v, const char *label, void *base)
{
	u8 *mac = (u8 *)base + d->offset, m[6];
	char q[TOML_QUOTE_CAP];
	const char *s = v->str.s;

	if (v->type != TOML_STRING)
		return wrong_type(ld, v, label, "a string");
	for (unsigned i = 0; i < 6; i++) {
		if (v->str.len != 17 || hex_digit(s[3 * i]) < 0 || hex_digit(s[3 * i + 1]) < 0 ||
		    (i < 5 && s[3 * i + 2] != ':')) {
			config_report(ld, v->line, "%s: %s is not a MAC address like 52:54:00:12:34:56",
				      label, quote(v, q));
			return 1;
		}
		m[i] = (u8)(hex_digit(s[3 * i]) << 4 | hex_digit(s[3 * i + 1]));
	}
	if (m[0] & 1) {		/* the I/G bit: a group address */
		config_report(ld, v->line, "%s: %s is a multicast address", label, quote(v, q));
		return 1;
	}
	if (!(m[0] | m[1] | m[2] | m[3] | m[4] | m[5])) {
		config_report(ld, v->line, "%s: %s is not a usable address", label, quote(v, q));
		return 1;
	}
	memcpy(mac, m, 6);
	return 0;
}

/* ---- a table against its descriptors ------------------------------------ */

static const struct key_desc *find_key(const struct key_desc *keys, unsigned n,
				       const struct toml_value *m)
{
	for (unsigned i = 0; i < n; i++)
		if (strlen(keys[i].name) == m->key_len && !memcmp(keys[i].name, m->key, m->key_len))
			return &keys[i];
	return NULL;
}

/*
 * Check each member of table t against keys, in file order, storing into
 * base; then report each required key t lacks at t's own line (a [[vm]]
 * header). prefix ("" or "disks[0]: ") goes before each key name.
 */
int config_parse_section(struct loader *ld, const struct toml_value *t,
			 const struct key_desc *keys, unsigned nkeys, void *base,
			 const char *prefix)
{
	char label[LABEL_MAX], q[TOML_QUOTE_CAP];
	u32 seen = 0;
	int bad = 0;

	for (const struct toml_value *m = toml_first(t); m; m = m->next) {
		const struct key_desc *d = find_key(keys, nkeys, m);

		if (!d) {
			toml_quote(q, sizeof(q), m->key, m->key_len);
			config_report(ld, m->line, "%sunknown key %s", prefix, q);
			bad++;
			continue;
		}
		seen |= BIT(d - keys);
		keel_snprintf(label, sizeof(label), "%s%s", prefix, d->name);
		bad += d->parse(ld, d, m, label, base);
	}
	for (unsigned i = 0; i < nkeys; i++) {
		if (keys[i].required && !(seen & BIT(i))) {
			config_report(ld, t->line, "%smissing required key \"%s\"", prefix, keys[i].name);
			bad++;
		}
	}
	return bad;
}

/* A set of small integers (CPU numbers) in min..max, each once, at least
 * one: into a u32 bit mask. */
int config_parse_bitset(struct loader *ld, const struct key_desc *d,
			const struct toml_value *v, const char *label, void *base)
{
	u32 mask = 0;

	if (v->type != TOML_ARRAY)
		return wrong_type(ld, v, label, "an array of integers");
	if (!toml_len(v)) {
		config_report(ld, v->line, "%s: the list is empty (leave the key out for any)", label);
		return 1;
	}
	for (const struct toml_value *e = toml_first(v); e; e = e->next) {
		if (int_in_range(ld, d, e, label, "an array of integers"))
			return 1;
		if (mask & BIT(e->integer)) {
			config_report(ld, e->line, "%s: %lld is listed twice", label, (long long)e->integer);
			return 1;
		}
		mask |= (u32)BIT(e->integer);
	}
	*(u32 *)((u8 *)base + d->offset) = mask;
	return 0;
}

/* An array of tables (disks, nics): each element checked as a section of its own. */
int config_parse_list(struct loader *ld, const struct key_desc *d,
		      const struct toml_value *v, const char *label, void *base)
{
	const struct list_desc *l = d->list;
	char prefix[LABEL_MAX];
	unsigned i = 0;
	int bad = 0;

	if (v->type != TOML_ARRAY)
		return wrong_type(ld, v, label, "an array of tables");
	if (toml_len(v) > l->max) {
		config_report(ld, v->line, "%s: %u entries, at most %u", label, toml_len(v), l->max);
		return 1;
	}
	for (const struct toml_value *e = toml_first(v); e; e = e->next, i++) {
		keel_snprintf(prefix, sizeof(prefix), "%s[%u]: ", label, i);
		if (e->type != TOML_TABLE) {
			config_report(ld, e->line, "%sexpected a table, not %s", prefix,
				      toml_type_name(e->type));
			bad++;
		} else {
			bad += config_parse_section(ld, e, l->keys, l->nkeys,
						    (u8 *)base + d->offset + i * l->elem_size, prefix);
		}
	}
	*(unsigned *)((u8 *)base + l->count_offset) = i;
	return bad;
}

