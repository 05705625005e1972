/* Parsing Keel's command line (see include/vmm/config/cmdline.h). */
#include "vmm/config/cmdline.h"
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

static const char *parse_word(struct keel_cmdline *c, struct word w)
{
	static const char *const shutdowns[] = { "halt", "acpi", "bochs", "qemu" };
	struct word v = word_split(&w, '=');
	int i;

	if (word_is(w, "loglevel")) {
		if (log_level_parse(v.s, v.len, &c->loglevel))
			return "loglevel must be error, warn, info or debug";
		c->has_loglevel = true;
		return NULL;
	}
	if (word_is(w, "shutdown")) {
		if ((i = pick(v, shutdowns, 4)) < 0)
			return "shutdown must be halt, acpi, bochs or qemu";
		c->shutdown = (enum shutdown_method)i;
		c->has_shutdown = true;
		return NULL;
	}
	if (word_is(w, "measure")) {
		if (!word_is(v, "exits"))
			return "measure must be exits";
		c->measure_exits = true;
		return NULL;
	}
	return "unknown option (loglevel, shutdown, measure; VMs are configured in keel.toml)";
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
