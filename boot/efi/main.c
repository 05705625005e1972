/*
 * efi_main: the loader's whole run, in the order the firmware's rules
 * force. Keel's fixed-address pages are claimed first, before any other
 * allocation can land on them; then the command line, keel.toml and the
 * modules it names; then the trampoline page, the boot information and
 * ExitBootServices(), after which no firmware service may be called; then
 * Keel. A missing keel.toml or module is one line here and Keel still
 * starts (it reports what is missing and offers its shell); a missing or
 * broken keel.elf returns to the firmware, which tries its next boot entry.
 */
#include "loader.h"
#include "lib/printf.h"
#include "lib/string.h"

#define KERNEL_FILE	"keel.elf"
#define CONFIG_FILE	"keel.toml"
#define CMDLINE_FILE	"cmdline.txt"
#define CMDLINE_MAX	1024
#define FATAL_PAUSE_US	5000000		/* time to read the message */

EFI_SYSTEM_TABLE *efi_st;
EFI_BOOT_SERVICES *efi_bs;

static struct loader_file mods[LOADER_MAX_MODS];
static char names[LOADER_MAX_MODS][LOADER_NAME_MAX];
static char cmdline[CMDLINE_MAX];

static EFI_STATUS fatal(const char *what, EFI_STATUS st)
{
	loader_print("keel-efi: cannot start Keel: %s: %s\n", what, efi_status_str(st));
	efi_bs->Stall(FATAL_PAUSE_US);
	return st;
}

/* The first line of \keel\cmdline.txt; "" when the file is absent. */
static void read_cmdline(void)
{
	EFI_FILE_HANDLE f;
	u64 size;

	if (EFI_ERROR(fs_open(CMDLINE_FILE, &f, &size)))
		return;
	size = MIN(size, sizeof(cmdline) - 1);
	if (EFI_ERROR(fs_read_at(f, 0, cmdline, size)))
		size = 0;
	f->Close(f);
	cmdline[size] = 0;
	for (char *p = cmdline; *p; p++) {
		if (*p == '\r' || *p == '\n') {
			*p = 0;
			break;
		}
	}
}

/* A name that can only mean a file in \keel\ (tools/mkusb.py's rule). */
static bool plain_name(const char *s)
{
	if (s[0] == '.')
		return false;
	for (; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return false;
	}
	return true;
}

/* keel.toml, then each module it names; returns how many were loaded. */
static unsigned load_modules(void)
{
	unsigned n = 1, count;
	EFI_STATUS st;

	st = fs_load(CONFIG_FILE, &mods[0]);
	if (EFI_ERROR(st)) {
		loader_print("keel-efi: \\keel\\%s: %s; Keel starts without it\n",
			     CONFIG_FILE, efi_status_str(st));
		return 0;
	}
	count = config_module_names((const char *)(UINTN)mods[0].addr, mods[0].size,
				    names, LOADER_MAX_MODS - 1);
	if (count > LOADER_MAX_MODS - 1) {
		loader_print("keel-efi: keel.toml names %u images; Keel takes %u, the rest are not loaded\n",
			     count, LOADER_MAX_MODS - 1);
		count = LOADER_MAX_MODS - 1;
	}
	for (unsigned i = 0; i < count; i++) {
		if (!plain_name(names[i])) {
			loader_print("keel-efi: keel.toml names \"%s\": not a plain file name "
				     "(letters, digits, '.', '_', '-'); not loaded\n", names[i]);
			continue;
		}
		st = fs_load(names[i], &mods[n]);
		if (EFI_ERROR(st)) {
			loader_print("keel-efi: \\keel\\%s (named in keel.toml): %s; not loaded\n",
				     names[i], efi_status_str(st));
			continue;
		}
		n++;
	}
	return n;
}

/* A copy of trampoline.S in a page below 4 GiB that may be executed
 * (EfiLoaderCode: firmware may map EfiLoaderData no-execute). */
static trampoline_fn copy_trampoline(void)
{
	EFI_PHYSICAL_ADDRESS page = LOADER_BELOW_4G;

	if (EFI_ERROR(efi_bs->AllocatePages(AllocateMaxAddress, EfiLoaderCode, 1, &page)))
		return NULL;
	memcpy((void *)(UINTN)page, trampoline_start, trampoline_end - trampoline_start);
	return (trampoline_fn)(UINTN)page;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	struct mbi_input in = { .cmdline = cmdline, .mods = mods };
	trampoline_fn enter;
	u32 entry, info;
	EFI_STATUS st;

	efi_st = systab;
	efi_bs = systab->BootServices;
	st = fs_init(image);
	if (EFI_ERROR(st))
		return fatal("the loader's own volume", st);
	st = elf_load(KERNEL_FILE, &entry);
	if (EFI_ERROR(st))
		return fatal("\\keel\\" KERNEL_FILE, st);
	read_cmdline();
	in.nmods = load_modules();
	enter = copy_trampoline();
	if (!enter)
		return fatal("a page for the trampoline", EFI_OUT_OF_RESOURCES);
	loader_print("keel-efi: starting Keel with %u module%s\n", in.nmods, in.nmods == 1 ? "" : "s");
	st = mbi_build_and_exit(image, &in, &info);
	if (EFI_ERROR(st))
		return fatal("exiting boot services", st);
	enter(entry, info);
}
