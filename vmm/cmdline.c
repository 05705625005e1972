/* Parsing Keel's command line (see include/vmm/cmdline.h). */
#include "vmm/cmdline.h"
#include "lib/printf.h"
#include "lib/string.h"

struct word {
	const char *s;
	size_t len;
};

static bool word_is(struct word w, const char *lit)
{
	return strlen(lit) == w.len && !strncmp(w.s, lit, w.len);
}

/* Split w at the first c: w keeps the head, the tail is returned. */
static struct word word_split(struct word *w, char c)
{
	struct word tail = { w->s + w->len, 0 };

	for (size_t i = 0; i < w->len; i++) {
		if (w->s[i] == c) {
			tail.s = w->s + i + 1;
			tail.len = w->len - i - 1;
			w->len = i;
			break;
		}
	}
	return tail;
}

static int pick(struct word v, const char *const *names, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (word_is(v, names[i]))
			return (int)i;
	return -1;
}

static int copy_word(char *dst, size_t cap, struct word w)
{
	if (!w.len || w.len >= cap)
		return -EINVAL;
	memcpy(dst, w.s, w.len);
	dst[w.len] = 0;
	return 0;
}

/* Default name: the module's file name without a ".bin" suffix. */
static void guest_default_name(struct guest_spec *g)
{
	size_t n = strlen(g->module);

	if (n > 4 && !strcmp(g->module + n - 4, ".bin"))
		n -= 4;
	n = MIN(n, sizeof(g->name) - 1);
	memcpy(g->name, g->module, n);
	g->name[n] = 0;
}

static const char *guest_option(struct guest_spec *g, struct word opt)
{
	static const char *const modes[] = { "real", "prot32", "long" };
	struct word val = word_split(&opt, '=');
	int m;

	if (word_is(opt, "mode")) {
		if ((m = pick(val, modes, 3)) < 0)
			return "mode must be real, prot32 or long";
		g->mode = (enum guest_mode)m;
	} else if (word_is(opt, "mem")) {
		if (parse_size(val.s, val.len, &g->mem) || g->mem < 64 * KiB || (g->mem & (PAGE_SIZE - 1)))
			return "mem must be a size of at least 64K in whole pages (try 2M)";
	} else if (word_is(opt, "name")) {
		if (copy_word(g->name, sizeof(g->name), val))
			return "name must be 1-31 characters";
	} else {
		return "unknown guest option (mode, mem, name)";
	}
	return NULL;
}

static const char *parse_guest(struct keel_cmdline *c, struct word v)
{
	struct guest_spec g = { .mode = GUEST_REAL, .mem = GUEST_DEFAULT_MEM };
	struct word rest = word_split(&v, ',');
	const char *err;

	if (c->nguests == CMDLINE_MAX_GUESTS)
		return "too many guests";
	if (copy_word(g.module, sizeof(g.module), v))
		return "guest needs a module name of 1-63 characters";
	guest_default_name(&g);
	while (rest.len) {
		struct word opt = rest;
		rest = word_split(&opt, ',');
		if ((err = guest_option(&g, opt)))
			return err;
	}
	c->guests[c->nguests++] = g;
	return NULL;
}

static const char *parse_word(struct keel_cmdline *c, struct word w)
{
	static const char *const shutdowns[] = { "halt", "acpi", "bochs", "qemu" };
	struct word v = word_split(&w, '=');
	int i;

	if (word_is(w, "loglevel"))
		return log_level_parse(v.s, v.len, &c->loglevel) ? "loglevel must be error, warn, info or debug" : NULL;
	if (word_is(w, "shutdown")) {
		if ((i = pick(v, shutdowns, 4)) < 0)
			return "shutdown must be halt, acpi, bochs or qemu";
		c->shutdown = (enum shutdown_method)i;
		return NULL;
	}
	if (word_is(w, "guest"))
		return parse_guest(c, v);
	return "unknown option (loglevel, shutdown, guest)";
}

int cmdline_parse(const char *s, struct keel_cmdline *out,
		  void (*report)(void *ctx, const char *msg), void *ctx)
{
	int bad = 0;

	memset(out, 0, sizeof(*out));
	out->loglevel = LOG_INFO;
	out->shutdown = SHUTDOWN_HALT;
	while (s && *s) {
		struct word w = { s, 0 };
		const char *err;
		if (*s == ' ') {
			s++;
			continue;
		}
		while (s[w.len] && s[w.len] != ' ')
			w.len++;
		s += w.len;
		if ((err = parse_word(out, w))) {
			char msg[160];
			keel_snprintf(msg, sizeof(msg), "command line: \"%.*s\": %s", (int)MIN(w.len, 60u), w.s, err);
			report(ctx, msg);
			bad++;
		}
	}
	return bad;
}
