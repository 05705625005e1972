/*
 * keel-check: check a keel.toml on the build host with the parser and
 * schema Keel itself runs at boot (lib/toml*.c, vmm/config*.c).
 *
 *   keel-check [--host-ram SIZE] [--no-module-check] [--json] FILE.toml
 *
 * Problems go to stderr, one line each, exactly as Keel prints them; the
 * exit status is then 1. A clean file prints the boot-time VM table and
 * exits 0. Modules are files next to FILE.toml. --json prints the TOML
 * document itself (not the schema) as JSON, to compare with other parsers.
 * Usage and I/O errors exit 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/string.h"
#include "lib/toml.h"
#include "vmm/config/config.h"

#define FILE_MAX (1 << 20)	/* far above what CONFIG_ARENA_SIZE can hold */

struct options {
	u64 host_ram;
	bool module_check;
	bool json;
	const char *path;
};

static void usage(void)
{
	fprintf(stderr, "usage: keel-check [--host-ram SIZE] [--no-module-check] [--json] FILE.toml\n");
	exit(2);
}

static void parse_args(int argc, char **argv, struct options *o)
{
	o->host_ram = 4 * GiB;
	o->module_check = true;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--host-ram") && i + 1 < argc) {
			if (parse_size(argv[i + 1], strlen(argv[i + 1]), &o->host_ram))
				usage();
			i++;
		} else if (!strcmp(argv[i], "--no-module-check")) {
			o->module_check = false;
		} else if (!strcmp(argv[i], "--json")) {
			o->json = true;
		} else if (argv[i][0] == '-' || o->path) {
			usage();
		} else {
			o->path = argv[i];
		}
	}
	if (!o->path)
		usage();
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(FILE_MAX + 1);

	if (!f || !buf) {
		perror(path);	/* not strerror(errno): types.h has its own E* names */
		exit(2);
	}
	*len = fread(buf, 1, FILE_MAX + 1, f);
	if (ferror(f) || *len > FILE_MAX) {
		fprintf(stderr, "keel-check: %s: %s\n", path,
			ferror(f) ? "read error" : "larger than 1 MiB");
		exit(2);
	}
	fclose(f);
	return buf;
}

/* ---- module lookup: regular files in the config file's directory ------- */

static bool module_file_exists(void *ctx, const char *name)
{
	const char *dir = ctx;
	char path[4096];
	struct stat st;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return false;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void print_err(void *ctx, const char *msg)
{
	fprintf(stderr, "%s\n", msg);
}

static void print_out(void *ctx, const char *line)
{
	printf("%s\n", line);
}

/* ---- --json ------------------------------------------------------------ */

static void json_string(const char *s, size_t len)
{
	putchar('"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);	/* the parser checked the UTF-8 */
	}
	putchar('"');
}

static void json_value(const struct toml_value *v)
{
	const char *sep = "";

	switch (v->type) {
	case TOML_STRING:
		json_string(v->str.s, v->str.len);
		return;
	case TOML_INTEGER:
		printf("%lld", (long long)v->integer);
		return;
	case TOML_BOOL:
		printf(v->boolean ? "true" : "false");
		return;
	case TOML_ARRAY:
	case TOML_TABLE:
		putchar(v->type == TOML_ARRAY ? '[' : '{');
		for (const struct toml_value *e = toml_first(v); e; e = e->next, sep = ", ") {
			printf("%s", sep);
			if (v->type == TOML_TABLE) {
				json_string(e->key, e->key_len);
				printf(": ");
			}
			json_value(e);
		}
		putchar(v->type == TOML_ARRAY ? ']' : '}');
		return;
	}
}

static int print_json(const char *file, const char *text, size_t len)
{
	static u8 arena[CONFIG_ARENA_SIZE];
	struct toml_error err;
	struct toml_doc doc;

	if (toml_parse(text, len, arena, sizeof(arena), &doc, &err)) {
		fprintf(stderr, "%s:%u: %s\n", file, err.line, err.msg);
		return 1;
	}
	json_value(doc.root);
	putchar('\n');
	return 0;
}

int main(int argc, char **argv)
{
	static struct keel_config config;
	struct options o = { 0 };
	struct config_env env = { 0 };
	const char *file, *slash;
	char *text, *dir;
	size_t len;
	int rc;

	parse_args(argc, argv, &o);
	text = read_file(o.path, &len);
	slash = strrchr(o.path, '/');
	file = slash ? slash + 1 : o.path;
	dir = slash ? strndup(o.path, slash - o.path + (slash == o.path)) : strdup(".");
	env.host_ram = o.host_ram;
	env.module_exists = o.module_check ? module_file_exists : NULL;
	env.ctx = dir;
	env.report = print_err;
	if (o.json) {
		rc = print_json(file, text, len);
	} else {
		rc = config_load(file, text, len, &env, &config) ? 1 : 0;
		if (!rc)
			config_print_table(&config, print_out, NULL);
	}
	free(text);
	free(dir);
	return rc;
}
