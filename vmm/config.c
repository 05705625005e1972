/*
 * keel.toml -> struct keel_config: the schema of docs/config.md as one
 * table of key descriptors per section ([host], [[vm]], and the disks and
 * nics of a VM). Everything is checked and each problem reported on its
 * own line; only VMs without a problem reach out->vm, and a bad [host]
 * key keeps its default.
 */
#include "vmm/config.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/toml.h"

#define MSG_MAX    256
#define LABEL_MAX  48
#define SIZE_STR   24		/* "18446744073709551615" and a NUL */

STATIC_ASSERT(sizeof(enum log_level) == sizeof(unsigned), "choice keys store an unsigned");
STATIC_ASSERT(sizeof(enum config_boot) == sizeof(unsigned), "choice keys store an unsigned");

struct loader {
	const char *file;
	const struct config_env *env;
	struct keel_config *out;
	int problems;
	char where[LABEL_MAX];	/* "host: ", "vm \"web\": ", "vm #3: " or "" */
	u64 ram_used;		/* memory of the VMs accepted so far */
	unsigned focus_line;
};

struct key_desc;
/* Check v and store it at base + d->offset; 0, or the number of problems reported. */
typedef int key_parse_t(struct loader *ld, const struct key_desc *d,
			const struct toml_value *v, const char *label, void *base);

/* An array of tables (disks, nics): each element is a section of its own. */
struct list_desc {
	const struct key_desc *keys;
	unsigned nkeys;
	size_t elem_size;
	size_t count_offset;	/* of the unsigned element count in the owner */
	unsigned max;
};

struct key_desc {
	const char *name;
	key_parse_t *parse;
	size_t offset;
	u64 min, max;		/* integers and sizes; strings: the char array's size */
	const char *const *choices;	/* choice keys: enum order, NULL-terminated */
	const struct list_desc *list;
	bool required;
};

static void __printf(3, 4) report(struct loader *ld, unsigned line, const char *fmt, ...)
{
	char msg[MSG_MAX];
	size_t n;
	va_list ap;

	keel_snprintf(msg, sizeof(msg), "%s:%u: %s", ld->file, line, ld->where);
	n = strlen(msg);
	va_start(ap, fmt);
	keel_vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	ld->problems++;
	if (ld->env->report)
		ld->env->report(ld->env->report_ctx, msg);
}

/* A size the way a user writes it: 512M, 3G, 4K, or plain bytes. */
static const char *fmt_size(u64 size, char buf[SIZE_STR])
{
	static const char units[] = "GMK";
	u64 unit = GiB;

	for (int i = 0; i < 3; i++, unit >>= 10) {
		if (size && !(size & (unit - 1))) {
			keel_snprintf(buf, SIZE_STR, "%llu%c", (unsigned long long)(size / unit), units[i]);
			return buf;
		}
	}
	keel_snprintf(buf, SIZE_STR, "%llu", (unsigned long long)size);
	return buf;
}

static const char *quote(const struct toml_value *v, char buf[TOML_QUOTE_CAP])
{
	toml_quote(buf, TOML_QUOTE_CAP, v->str.s, v->str.len);
	return buf;
}

static int wrong_type(struct loader *ld, const struct toml_value *v, const char *label,
		      const char *want)
{
	report(ld, v->line, "%s: expected %s, not %s", label, want, toml_type_name(v->type));
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
			report(ld, v->line, "%s: %s contains a %s character", label, quote(v, q),
			       c ? "control" : "NUL");
			return 1;
		}
	}
	if (v->str.len >= cap) {
		report(ld, v->line, "%s: %s is longer than %zu bytes", label, quote(v, q), cap - 1);
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

static bool name_ok(const char *s, size_t len)
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

static int parse_name(struct loader *ld, const struct key_desc *d,
		      const struct toml_value *v, const char *label, void *base)
{
	char q[TOML_QUOTE_CAP];

	if (v->type != TOML_STRING)
		return wrong_type(ld, v, label, "a string");
	if (!name_ok(v->str.s, v->str.len)) {
		report(ld, v->line, "%s: %s must be 1-%u characters of A-Z a-z 0-9 _ -",
		       label, quote(v, q), CONFIG_NAME_MAX - 1);
		return 1;
	}
	store_string(d, v, base);
	return 0;
}

static int parse_module(struct loader *ld, const struct key_desc *d,
			const struct toml_value *v, const char *label, void *base)
{
	const struct config_env *env = ld->env;
	char q[TOML_QUOTE_CAP];

	if (check_string(ld, v, label, d->max, false))
		return 1;
	if (!v->str.len) {
		report(ld, v->line, "%s: the module name is empty", label);
		return 1;
	}
	if (env->module_exists && !env->module_exists(env->ctx, v->str.s)) {
		report(ld, v->line, "%s: module %s was not loaded", label, quote(v, q));
		return 1;
	}
	store_string(d, v, base);
	return 0;
}

static int parse_text(struct loader *ld, const struct key_desc *d,
		      const struct toml_value *v, const char *label, void *base)
{
	if (check_string(ld, v, label, d->max, true))
		return 1;
	store_string(d, v, base);
	return 0;
}

static int parse_bool(struct loader *ld, const struct key_desc *d,
		      const struct toml_value *v, const char *label, void *base)
{
	if (v->type != TOML_BOOL)
		return wrong_type(ld, v, label, "true or false");
	*(bool *)((u8 *)base + d->offset) = v->boolean;
	return 0;
}

static int parse_uint(struct loader *ld, const struct key_desc *d,
		      const struct toml_value *v, const char *label, void *base)
{
	if (v->type != TOML_INTEGER)
		return wrong_type(ld, v, label, "an integer");
	if (v->integer < (s64)d->min || v->integer > (s64)d->max) {
		report(ld, v->line, "%s: %lld is out of range %llu..%llu", label,
		       (long long)v->integer, (unsigned long long)d->min, (unsigned long long)d->max);
		return 1;
	}
	*(u32 *)((u8 *)base + d->offset) = (u32)v->integer;
	return 0;
}

/* A size string ("512M", parse_size) or an integer of bytes, in whole pages. */
static int parse_size_key(struct loader *ld, const struct key_desc *d,
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
		report(ld, v->line, "%s: %s is not a size (try 512M or 2G)", label, shown);
		return 1;
	}
	if (err || size < d->min || size > d->max) {
		report(ld, v->line, "%s: %s is out of range %s..%s", label, shown,
		       fmt_size(d->min, lo), fmt_size(d->max, hi));
		return 1;
	}
	if (size & (PAGE_SIZE - 1)) {
		report(ld, v->line, "%s: %s is not a multiple of 4K", label, shown);
		return 1;
	}
	*(u64 *)((u8 *)base + d->offset) = size;
	return 0;
}

/* One of d->choices, stored as its index (the enum value). */
static int parse_choice(struct loader *ld, const struct key_desc *d,
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
	report(ld, v->line, "%s: %s is not one of %s", label, quote(v, q), list);
	return 1;
}

/* Keel's console UART: com1..com4 (the PC's standard ports) or a port number. */
static int parse_port(struct loader *ld, const struct key_desc *d,
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
			report(ld, v->line, "%s: %s is not com1..com4 or an I/O port number",
			       label, quote(v, q));
			return 1;
		}
	}
	if (port < d->min || port > d->max) {
		if (v->type == TOML_STRING)
			quote(v, q);
		report(ld, v->line, "%s: %s is out of range 0x%llx..0x%llx", label, q,
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
static int parse_mac(struct loader *ld, const struct key_desc *d,
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
			report(ld, v->line, "%s: %s is not a MAC address like 52:54:00:12:34:56",
			       label, quote(v, q));
			return 1;
		}
		m[i] = (u8)(hex_digit(s[3 * i]) << 4 | hex_digit(s[3 * i + 1]));
	}
	if (m[0] & 1) {		/* the I/G bit: a group address */
		report(ld, v->line, "%s: %s is a multicast address", label, quote(v, q));
		return 1;
	}
	if (!(m[0] | m[1] | m[2] | m[3] | m[4] | m[5])) {
		report(ld, v->line, "%s: %s is not a usable address", label, quote(v, q));
		return 1;
	}
	memcpy(mac, m, 6);
	return 0;
}

static int parse_section(struct loader *ld, const struct toml_value *t,
			 const struct key_desc *keys, unsigned nkeys, void *base,
			 const char *prefix);

static int parse_list(struct loader *ld, const struct key_desc *d,
		      const struct toml_value *v, const char *label, void *base)
{
	const struct list_desc *l = d->list;
	char prefix[LABEL_MAX];
	unsigned i = 0;
	int bad = 0;

	if (v->type != TOML_ARRAY)
		return wrong_type(ld, v, label, "an array of tables");
	if (toml_len(v) > l->max) {
		report(ld, v->line, "%s: %u entries, at most %u", label, toml_len(v), l->max);
		return 1;
	}
	for (const struct toml_value *e = toml_first(v); e; e = e->next, i++) {
		keel_snprintf(prefix, sizeof(prefix), "%s[%u]: ", label, i);
		if (e->type != TOML_TABLE) {
			report(ld, e->line, "%sexpected a table, not %s", prefix,
			       toml_type_name(e->type));
			bad++;
		} else {
			bad += parse_section(ld, e, l->keys, l->nkeys,
					     (u8 *)base + d->offset + i * l->elem_size, prefix);
		}
	}
	*(unsigned *)((u8 *)base + l->count_offset) = i;
	return bad;
}

/* ---- the schema -------------------------------------------------------- */

/* A descriptor's first three fields; the rest are named where they apply. */
#define KEY(n, fn, off) .name = n, .parse = fn, .offset = off

static const char *const log_levels[] = { "error", "warn", "info", "debug", NULL };
static const char *const shutdowns[] = { "halt", "acpi", "bochs", "qemu", NULL };
static const char *const consoles[] = { "serial", "none", NULL };
static const char *const boots[] = { "linux", "flat16", "flat32", "flat64", NULL };

#define HOST(f) offsetof(struct host_config, f)
static const struct key_desc host_keys[] = {
	{ KEY("log_level", parse_choice, HOST(log_level)), .choices = log_levels },
	{ KEY("serial", parse_port, HOST(serial_port)), .min = 1, .max = 0xfff8 },	/* 8 ports from it */
	{ KEY("shutdown", parse_choice, HOST(shutdown)), .choices = shutdowns },
	{ KEY("focus", parse_name, HOST(focus)), .max = CONFIG_NAME_MAX },
};

static const struct key_desc disk_keys[] = {
	{ KEY("image", parse_module, offsetof(struct disk_config, image)), .max = CONFIG_MODULE_MAX,
	  .required = true },
	{ KEY("readonly", parse_bool, offsetof(struct disk_config, readonly)) },
};

static const struct key_desc nic_keys[] = {
	{ KEY("switch", parse_name, offsetof(struct nic_config, switch_name)), .max = CONFIG_NAME_MAX,
	  .required = true },
	{ KEY("mac", parse_mac, offsetof(struct nic_config, mac)) },
};

static const struct list_desc disk_list = {
	disk_keys, ARRAY_SIZE(disk_keys), sizeof(struct disk_config),
	offsetof(struct vm_config, ndisk), CONFIG_MAX_DISKS,
};

static const struct list_desc nic_list = {
	nic_keys, ARRAY_SIZE(nic_keys), sizeof(struct nic_config),
	offsetof(struct vm_config, nnic), CONFIG_MAX_NICS,
};

#define VM(f) offsetof(struct vm_config, f)
static const struct key_desc vm_keys[] = {
	{ KEY("name", parse_name, VM(name)), .max = CONFIG_NAME_MAX, .required = true },
	{ KEY("kernel", parse_module, VM(kernel)), .max = CONFIG_MODULE_MAX, .required = true },
	{ KEY("initrd", parse_module, VM(initrd)), .max = CONFIG_MODULE_MAX },
	{ KEY("cmdline", parse_text, VM(cmdline)), .max = CONFIG_CMDLINE_MAX },
	{ KEY("memory", parse_size_key, VM(memory)), .min = CONFIG_MEM_MIN, .max = CONFIG_MEM_MAX,
	  .required = true },
	{ KEY("vcpus", parse_uint, VM(vcpus)), .min = 1, .max = CONFIG_MAX_VCPUS },
	{ KEY("weight", parse_uint, VM(weight)), .min = 1, .max = 65535 },
	{ KEY("cap", parse_uint, VM(cap)), .min = 0, .max = 100 * CONFIG_MAX_VCPUS },
	{ KEY("console", parse_choice, VM(console)), .choices = consoles },
	{ KEY("boot", parse_choice, VM(boot)), .choices = boots },
	{ KEY("disks", parse_list, VM(disk)), .list = &disk_list },
	{ KEY("nics", parse_list, VM(nic)), .list = &nic_list },
};

STATIC_ASSERT(ARRAY_SIZE(vm_keys) <= 32, "parse_section tracks keys in a u32");

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
static int parse_section(struct loader *ld, const struct toml_value *t,
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
			report(ld, m->line, "%sunknown key %s", prefix, q);
			bad++;
			continue;
		}
		seen |= BIT(d - keys);
		keel_snprintf(label, sizeof(label), "%s%s", prefix, d->name);
		bad += d->parse(ld, d, m, label, base);
	}
	for (unsigned i = 0; i < nkeys; i++) {
		if (keys[i].required && !(seen & BIT(i))) {
			report(ld, t->line, "%smissing required key \"%s\"", prefix, keys[i].name);
			bad++;
		}
	}
	return bad;
}

/* ---- sections ---------------------------------------------------------- */

static void load_host(struct loader *ld, const struct toml_value *t)
{
	const struct toml_value *focus;

	keel_snprintf(ld->where, sizeof(ld->where), "host: ");
	if (t->type != TOML_TABLE) {
		report(ld, t->line, "expected a table ([host]), not %s", toml_type_name(t->type));
		return;
	}
	parse_section(ld, t, host_keys, ARRAY_SIZE(host_keys), &ld->out->host, "");
	if ((focus = toml_table_get(t, "focus")))
		ld->focus_line = focus->line;
}

static void vm_defaults(struct vm_config *vm, unsigned line)
{
	memset(vm, 0, sizeof(*vm));
	vm->vcpus = 1;
	vm->weight = 256;
	vm->console = CONFIG_CONSOLE_SERIAL;
	vm->boot = CONFIG_BOOT_LINUX;
	vm->line = line;
}

static bool mac_set(const u8 *mac)
{
	return mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5];
}

/* The VM (accepted, or vm itself before nic index upto) that already uses mac. */
static const struct vm_config *mac_user(const struct keel_config *c, const struct vm_config *vm,
					unsigned upto, const u8 *mac)
{
	for (unsigned i = 0; i < c->nvm; i++)
		for (unsigned j = 0; j < c->vm[i].nnic; j++)
			if (!memcmp(c->vm[i].nic[j].mac, mac, 6))
				return &c->vm[i];
	for (unsigned j = 0; j < upto; j++)
		if (!memcmp(vm->nic[j].mac, mac, 6))
			return vm;
	return NULL;
}

static unsigned key_line(const struct toml_value *t, const char *key)
{
	const struct toml_value *v = toml_table_get(t, key);

	return v ? v->line : t->line;
}

/* The checks that need more than one key, or the VMs before this one. */
static int vm_cross_check(struct loader *ld, const struct vm_config *vm,
			  const struct toml_value *t)
{
	const struct vm_config *other;
	char a[SIZE_STR], b[SIZE_STR];
	int bad = 0;

	if (vm->cap > 100 * vm->vcpus) {
		report(ld, key_line(t, "cap"), "cap: %u is more than 100 per vCPU (vcpus = %u)",
		       vm->cap, vm->vcpus);
		bad++;
	}
	for (unsigned i = 0; i < vm->nnic; i++) {
		if (mac_set(vm->nic[i].mac) && (other = mac_user(ld->out, vm, i, vm->nic[i].mac))) {
			report(ld, key_line(t, "nics"), "nics[%u]: mac is already used by vm \"%s\"",
			       i, other->name);
			bad++;
		}
	}
	if (bad)
		return bad;
	if (ld->env->host_ram && vm->memory > ld->env->host_ram - ld->ram_used) {
		report(ld, key_line(t, "memory"), "memory: %s does not fit: %s of host memory left",
		       fmt_size(vm->memory, a), fmt_size(ld->env->host_ram - ld->ram_used, b));
		return 1;
	}
	return 0;
}

static const struct vm_config *find_vm(const struct keel_config *c, const char *name)
{
	for (unsigned i = 0; i < c->nvm; i++)
		if (!strcmp(c->vm[i].name, name))
			return &c->vm[i];
	return NULL;
}

/* Messages about a VM name it if its name is usable, else count it: vm #3. */
static void vm_where(struct loader *ld, const struct toml_value *t, unsigned index)
{
	const struct toml_value *n = toml_table_get(t, "name");

	if (n && n->type == TOML_STRING && name_ok(n->str.s, n->str.len))
		keel_snprintf(ld->where, sizeof(ld->where), "vm \"%s\": ", n->str.s);
	else
		keel_snprintf(ld->where, sizeof(ld->where), "vm #%u: ", index);
}

static void load_vm(struct loader *ld, const struct toml_value *t, unsigned index)
{
	struct keel_config *c = ld->out;
	const struct vm_config *dup;
	struct vm_config *vm;
	int bad;

	vm_where(ld, t, index);
	if (t->type != TOML_TABLE) {
		report(ld, t->line, "expected a table, not %s", toml_type_name(t->type));
		return;
	}
	if (c->nvm == CONFIG_MAX_VMS) {
		report(ld, t->line, "too many VMs (at most %u)", CONFIG_MAX_VMS);
		return;
	}
	vm = &c->vm[c->nvm];
	vm_defaults(vm, t->line);
	bad = parse_section(ld, t, vm_keys, ARRAY_SIZE(vm_keys), vm, "");
	if (vm->name[0] && (dup = find_vm(c, vm->name))) {
		report(ld, key_line(t, "name"), "name: \"%s\" is already used by the vm on line %u",
		       vm->name, dup->line);
		bad++;
	}
	if (!bad)
		bad = vm_cross_check(ld, vm, t);
	if (bad) {
		memset(vm, 0, sizeof(*vm));
		return;
	}
	ld->ram_used += vm->memory;
	c->nvm++;
}

static void load_vms(struct loader *ld, const struct toml_value *v)
{
	unsigned i = 1;

	if (v->type != TOML_ARRAY) {
		keel_snprintf(ld->where, sizeof(ld->where), "vm: ");
		report(ld, v->line, "expected an array of tables ([[vm]]), not %s",
		       toml_type_name(v->type));
		return;
	}
	for (const struct toml_value *t = toml_first(v); t; t = t->next)
		load_vm(ld, t, i++);
}

static void resolve_focus(struct loader *ld)
{
	struct host_config *h = &ld->out->host;
	const struct vm_config *vm;

	if (!h->focus[0])
		return;
	if ((vm = find_vm(ld->out, h->focus))) {
		h->focus_vm = (unsigned)(vm - ld->out->vm);
		return;
	}
	keel_snprintf(ld->where, sizeof(ld->where), "host: ");
	report(ld, ld->focus_line, "focus: no vm named \"%s\"", h->focus);
}

static void config_defaults(struct keel_config *out)
{
	memset(out, 0, sizeof(*out));
	out->host.log_level = LOG_INFO;
	out->host.serial_port = 0x3f8;
	out->host.shutdown = CONFIG_SHUTDOWN_ACPI;
}

int config_load(const char *file_name, const char *text, size_t len,
		const struct config_env *env, struct keel_config *out)
{
	static u8 builtin_arena[CONFIG_ARENA_SIZE];
	struct loader ld = { .file = file_name, .env = env, .out = out };
	const struct toml_value *vms;
	struct toml_error err;
	struct toml_doc doc;
	int rc;

	config_defaults(out);
	rc = toml_parse(text, len, env->arena ? env->arena : builtin_arena,
			env->arena ? env->arena_size : sizeof(builtin_arena), &doc, &err);
	if (rc) {
		report(&ld, err.line, "%s", err.msg);
		return rc;
	}
	for (const struct toml_value *m = toml_first(doc.root); m; m = m->next) {
		char q[TOML_QUOTE_CAP];

		ld.where[0] = 0;
		if (m->key_len == 4 && !memcmp(m->key, "host", 4)) {
			load_host(&ld, m);
		} else if (m->key_len == 2 && !memcmp(m->key, "vm", 2)) {
			load_vms(&ld, m);
		} else {
			toml_quote(q, sizeof(q), m->key, m->key_len);
			report(&ld, m->line, "unknown key %s (expected [host] or [[vm]])", q);
		}
	}
	ld.where[0] = 0;
	vms = toml_table_get(doc.root, "vm");
	if (!vms || (vms->type == TOML_ARRAY && !toml_len(vms)))
		report(&ld, 1, "no [[vm]] tables: nothing to run");
	resolve_focus(&ld);
	return ld.problems;
}

/* ---- the boot-time table ----------------------------------------------- */

static void print_vm_details(const struct vm_config *vm,
			     void (*out)(void *ctx, const char *line), void *ctx)
{
	char line[160];

	if (vm->initrd[0]) {
		keel_snprintf(line, sizeof(line), "  initrd %s", vm->initrd);
		out(ctx, line);
	}
	if (vm->cmdline[0]) {
		keel_snprintf(line, sizeof(line), "  cmdline %.100s%s", vm->cmdline,
			      strlen(vm->cmdline) > 100 ? "..." : "");
		for (char *p = line; *p; p++)	/* control characters: keep it one line */
			if ((u8)*p < 0x20 || *p == 0x7f)
				*p = '?';
		out(ctx, line);
	}
	for (unsigned i = 0; i < vm->ndisk; i++) {
		keel_snprintf(line, sizeof(line), "  disk%u %s (%s)", i, vm->disk[i].image,
			      vm->disk[i].readonly ? "read-only" : "read-write");
		out(ctx, line);
	}
	for (unsigned i = 0; i < vm->nnic; i++) {
		const u8 *m = vm->nic[i].mac;

		if (mac_set(m))
			keel_snprintf(line, sizeof(line), "  nic%u switch %s mac %02x:%02x:%02x:%02x:%02x:%02x",
				      i, vm->nic[i].switch_name, m[0], m[1], m[2], m[3], m[4], m[5]);
		else
			keel_snprintf(line, sizeof(line), "  nic%u switch %s mac auto", i,
				      vm->nic[i].switch_name);
		out(ctx, line);
	}
}

void config_print_table(const struct keel_config *c,
			void (*out)(void *ctx, const char *line), void *ctx)
{
	char line[200], mem[SIZE_STR], cap[8];

	keel_snprintf(line, sizeof(line), "host: log_level %s, serial 0x%x, shutdown %s, focus %s",
		      log_levels[c->host.log_level], c->host.serial_port, shutdowns[c->host.shutdown],
		      c->nvm ? c->vm[c->host.focus_vm].name : "-");
	out(ctx, line);
	out(ctx, "NAME                VCPUS  MEMORY  WEIGHT   CAP  CONSOLE  BOOT    KERNEL");
	for (unsigned i = 0; i < c->nvm; i++) {
		const struct vm_config *vm = &c->vm[i];

		if (vm->cap)
			keel_snprintf(cap, sizeof(cap), "%u%%", vm->cap);
		else
			keel_snprintf(cap, sizeof(cap), "-");
		keel_snprintf(line, sizeof(line), "%-19s %6u %7s %7u %5s  %-7s  %-6s  %.80s",
			      vm->name, vm->vcpus, fmt_size(vm->memory, mem), vm->weight, cap,
			      consoles[vm->console], boots[vm->boot], vm->kernel);
		out(ctx, line);
		print_vm_details(vm, out, ctx);
	}
}
