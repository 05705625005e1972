/*
 * The insides of the keel.toml schema, shared by vmm/config/config.c (the schema
 * itself: the key tables, the sections, loading and the boot-time table)
 * and vmm/config/config_keys.c (checking a table against its key descriptors,
 * one parser per kind of key). Only vmm/config*.c include this.
 */
#ifndef KEEL_VMM_CONFIG_PRIV_H
#define KEEL_VMM_CONFIG_PRIV_H

#include "lib/toml.h"
#include "vmm/config/config.h"

#define LABEL_MAX  48
#define SIZE_STR   24		/* "18446744073709551615" and a NUL */

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

/* Report one problem at line, prefixed by the file name and ld->where. */
void __printf(3, 4) config_report(struct loader *ld, unsigned line, const char *fmt, ...);
/* A size the way a user writes it: 512M, 3G, 4K, or plain bytes. */
const char *config_fmt_size(u64 size, char buf[SIZE_STR]);
/* A VM or switch name: 1 to CONFIG_NAME_MAX - 1 of A-Z a-z 0-9 _ -. */
bool config_name_ok(const char *s, size_t len);

/*
 * Check each member of table t against keys, storing into base, and each
 * required key; prefix goes before each key name. The number of problems.
 */
int config_parse_section(struct loader *ld, const struct toml_value *t,
			 const struct key_desc *keys, unsigned nkeys, void *base,
			 const char *prefix);

/* The kinds of key (vmm/config/config_keys.c), named in the key tables. */
key_parse_t config_parse_name;		/* a name (config_name_ok), into a char array */
key_parse_t config_parse_module;	/* a module that exists, into a char array */
key_parse_t config_parse_text;		/* any string without NUL, into a char array */
key_parse_t config_parse_bool;		/* into a bool */
key_parse_t config_parse_uint;		/* an integer in min..max, into a u32 */
key_parse_t config_parse_size;		/* "512M" or bytes, in min..max and 4K pages, into a u64 */
key_parse_t config_parse_choice;	/* one of d->choices, its index into an unsigned */
key_parse_t config_parse_port;		/* com1..com4 or a port in min..max, into a u16 */
key_parse_t config_parse_mac;		/* a unicast Ethernet address, into u8[6] */
key_parse_t config_parse_bitset;	/* integers in min..max, each once, into a u32 mask */
key_parse_t config_parse_list;		/* an array of tables (d->list), into an array */

#endif
