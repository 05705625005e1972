/*
 * keel.toml -> struct keel_config: the schema of docs/config.md as one
 * table of key descriptors per section ([host], [[vm]], and the disks and
 * nics of a VM), checked by vmm/config/config_keys.c. Everything is checked and
 * each problem reported on its own line; only VMs without a problem reach
 * out->vm, and a bad [host] key keeps its default. The checks that span
 * keys or VMs, and the boot-time table, are here too.
 */
#include "lib/printf.h"
#include "lib/string.h"
#include "config_priv.h"

#define MSG_MAX    256

STATIC_ASSERT(sizeof(enum log_level) == sizeof(unsigned), "choice keys store an unsigned");
STATIC_ASSERT(sizeof(enum config_boot) == sizeof(unsigned), "choice keys store an unsigned");

/* ---- messages ---------------------------------------------------------- */

void __printf(3, 4) config_report(struct loader *ld, unsigned line, const char *fmt, ...)
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
const char *config_fmt_size(u64 size, char buf[SIZE_STR])
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

/* ---- the schema -------------------------------------------------------- */

/* A descriptor's first three fields; the rest are named where they apply. */
#define KEY(n, fn, off) .name = n, .parse = fn, .offset = off

static const char *const log_levels[] = { "error", "warn", "info", "debug", NULL };
static const char *const shutdowns[] = { "halt", "acpi", "bochs", "qemu", NULL };
static const char *const consoles[] = { "serial", "none", NULL };
static const char *const boots[] = { "linux", "flat16", "flat32", "flat64", NULL };

#define HOST(f) offsetof(struct host_config, f)
static const struct key_desc host_keys[] = {
	{ KEY("log_level", config_parse_choice, HOST(log_level)), .choices = log_levels },
	{ KEY("serial", config_parse_port, HOST(serial_port)),
	  .min = 1, .max = 0xfff8 },	/* 8 ports from it */
	{ KEY("shutdown", config_parse_choice, HOST(shutdown)), .choices = shutdowns },
	{ KEY("focus", config_parse_name, HOST(focus)), .max = CONFIG_NAME_MAX },
};

static const struct key_desc disk_keys[] = {
	{ KEY("image", config_parse_module, offsetof(struct disk_config, image)),
	  .max = CONFIG_MODULE_MAX, .required = true },
	{ KEY("readonly", config_parse_bool, offsetof(struct disk_config, readonly)) },
};

static const struct key_desc nic_keys[] = {
	{ KEY("switch", config_parse_name, offsetof(struct nic_config, switch_name)),
	  .max = CONFIG_NAME_MAX, .required = true },
	{ KEY("mac", config_parse_mac, offsetof(struct nic_config, mac)) },
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
	{ KEY("name", config_parse_name, VM(name)), .max = CONFIG_NAME_MAX, .required = true },
	{ KEY("kernel", config_parse_module, VM(kernel)), .max = CONFIG_MODULE_MAX, .required = true },
	{ KEY("initrd", config_parse_module, VM(initrd)), .max = CONFIG_MODULE_MAX },
	{ KEY("cmdline", config_parse_text, VM(cmdline)), .max = CONFIG_CMDLINE_MAX },
	{ KEY("memory", config_parse_size, VM(memory)), .min = CONFIG_MEM_MIN, .max = CONFIG_MEM_MAX,
	  .required = true },
	{ KEY("vcpus", config_parse_uint, VM(vcpus)), .min = 1, .max = CONFIG_MAX_VCPUS },
	{ KEY("weight", config_parse_uint, VM(weight)), .min = 1, .max = 65535 },
	{ KEY("cap", config_parse_uint, VM(cap)), .min = 0, .max = 100 * CONFIG_MAX_VCPUS },
	{ KEY("affinity", config_parse_bitset, VM(affinity)), .min = 0, .max = CONFIG_MAX_CPUS - 1 },
	{ KEY("console", config_parse_choice, VM(console)), .choices = consoles },
	{ KEY("boot", config_parse_choice, VM(boot)), .choices = boots },
	{ KEY("disks", config_parse_list, VM(disk)), .list = &disk_list },
	{ KEY("nics", config_parse_list, VM(nic)), .list = &nic_list },
};

STATIC_ASSERT(ARRAY_SIZE(vm_keys) <= 32, "config_parse_section tracks keys in a u32");

/* ---- sections ---------------------------------------------------------- */

static void load_host(struct loader *ld, const struct toml_value *t)
{
	const struct toml_value *focus;

	keel_snprintf(ld->where, sizeof(ld->where), "host: ");
	if (t->type != TOML_TABLE) {
		config_report(ld, t->line, "expected a table ([host]), not %s", toml_type_name(t->type));
		return;
	}
	config_parse_section(ld, t, host_keys, ARRAY_SIZE(host_keys), &ld->out->host, "");
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

/*
 * The VM (an earlier one, or vm itself before disk upto) that already has
 * the image as a disk, when either use is writable: a disk image is the
 * module's memory, so two writers (or a writer and a reader) would see
 * each other's blocks change underneath them.
 */
static const struct vm_config *disk_user(const struct keel_config *c, const struct vm_config *vm,
					 unsigned upto)
{
	const struct disk_config *d = &vm->disk[upto];

	for (unsigned i = 0; i < c->nvm; i++)
		for (unsigned j = 0; j < c->vm[i].ndisk; j++)
			if (!strcmp(c->vm[i].disk[j].image, d->image) &&
			    (!d->readonly || !c->vm[i].disk[j].readonly))
				return &c->vm[i];
	for (unsigned j = 0; j < upto; j++)
		if (!strcmp(vm->disk[j].image, d->image) && (!d->readonly || !vm->disk[j].readonly))
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
		config_report(ld, key_line(t, "cap"), "cap: %u is more than 100 per vCPU (vcpus = %u)",
			      vm->cap, vm->vcpus);
		bad++;
	}
	for (unsigned i = 0; i < vm->nnic; i++) {
		if (mac_set(vm->nic[i].mac) && (other = mac_user(ld->out, vm, i, vm->nic[i].mac))) {
			config_report(ld, key_line(t, "nics"), "nics[%u]: mac is already used by vm \"%s\"",
				      i, other->name);
			bad++;
		}
	}
	for (unsigned i = 0; i < vm->ndisk; i++) {
		if ((other = disk_user(ld->out, vm, i))) {
			config_report(ld, key_line(t, "disks"),
				      "disks[%u]: image \"%s\" is already a disk of vm \"%s\" "
				      "(only read-only disks can share an image)", i, vm->disk[i].image,
				      other->name);
			bad++;
		}
	}
	if (bad)
		return bad;
	if (ld->env->host_ram && vm->memory > ld->env->host_ram - ld->ram_used) {
		config_report(ld, key_line(t, "memory"), "memory: %s does not fit: %s of host memory left",
			      config_fmt_size(vm->memory, a),
			      config_fmt_size(ld->env->host_ram - ld->ram_used, b));
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

	if (n && n->type == TOML_STRING && config_name_ok(n->str.s, n->str.len))
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
		config_report(ld, t->line, "expected a table, not %s", toml_type_name(t->type));
		return;
	}
	if (c->nvm == CONFIG_MAX_VMS) {
		config_report(ld, t->line, "too many VMs (at most %u)", CONFIG_MAX_VMS);
		return;
	}
	vm = &c->vm[c->nvm];
	vm_defaults(vm, t->line);
	bad = config_parse_section(ld, t, vm_keys, ARRAY_SIZE(vm_keys), vm, "");
	if (vm->name[0] && (dup = find_vm(c, vm->name))) {
		config_report(ld, key_line(t, "name"), "name: \"%s\" is already used by the vm on line %u",
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
		config_report(ld, v->line, "expected an array of tables ([[vm]]), not %s",
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
	config_report(ld, ld->focus_line, "focus: no vm named \"%s\"", h->focus);
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
		config_report(&ld, err.line, "%s", err.msg);
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
			config_report(&ld, m->line, "unknown key %s (expected [host] or [[vm]])", q);
		}
	}
	ld.where[0] = 0;
	vms = toml_table_get(doc.root, "vm");
	if (!vms || (vms->type == TOML_ARRAY && !toml_len(vms)))
		config_report(&ld, 1, "no [[vm]] tables: nothing to run");
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
		      c->host.focus[0] && c->nvm ? c->vm[c->host.focus_vm].name : "shell");
	out(ctx, line);
	out(ctx, "NAME                VCPUS  MEMORY  WEIGHT   CAP  CONSOLE  BOOT    KERNEL");
	for (unsigned i = 0; i < c->nvm; i++) {
		const struct vm_config *vm = &c->vm[i];

		if (vm->cap)
			keel_snprintf(cap, sizeof(cap), "%u%%", vm->cap);
		else
			keel_snprintf(cap, sizeof(cap), "-");
		keel_snprintf(line, sizeof(line), "%-19s %6u %7s %7u %5s  %-7s  %-6s  %.80s",
			      vm->name, vm->vcpus, config_fmt_size(vm->memory, mem), vm->weight, cap,
			      consoles[vm->console], boots[vm->boot], vm->kernel);
		out(ctx, line);
		print_vm_details(vm, out, ctx);
	}
}
