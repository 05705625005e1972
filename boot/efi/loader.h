/*
 * Keel's native UEFI loader (boot/efi/): reads Keel, keel.toml and the
 * modules keel.toml names from \keel\ on the volume it was loaded from,
 * builds the boot information GRUB's multiboot2 command gives (Multiboot2
 * specification 2.0, section 3.6), exits boot services and enters Keel's
 * 32-bit multiboot2 entry (section 3.3), so Keel has one boot path.
 * docs/boot-media.md has the user's view.
 *
 * Built with gnu-efi's headers, crt0 and relocator only (not libefi, whose
 * memset/memcpy would clash with lib/string.c): every firmware call goes
 * through the UEFI 2.x tables directly.
 */
#ifndef KEEL_BOOT_EFI_LOADER_H
#define KEEL_BOOT_EFI_LOADER_H

#include <efi.h>
#include "types.h"
#include "boot/multiboot2.h"

#define LOADER_NAME      "Keel UEFI loader"
#define LOADER_MAX_MODS  BOOT_MAX_MODULES	/* Keel keeps no more */
#define LOADER_NAME_MAX  128			/* module name + NUL (CONFIG_MODULE_MAX) */
#define LOADER_BELOW_4G  0xffffffffull		/* multiboot2 addresses are 32-bit */

extern EFI_SYSTEM_TABLE *efi_st;
extern EFI_BOOT_SERVICES *efi_bs;

/* A file read into pages below 4 GiB: a multiboot2 module. */
struct loader_file {
	u64 addr;			/* physical, page-aligned */
	u64 size;			/* bytes */
	char name[LOADER_NAME_MAX];	/* the module's string: its file name */
};

/* console.c: one line on the UEFI console (ConOut), "\n" becoming CRLF. */
void loader_print(const char *fmt, ...) __printf(1, 2);
/* A status as words: "not found", "device error", ... */
const char *efi_status_str(EFI_STATUS st);

/* fs.c: files in \keel\ on the loader's own volume. */
EFI_STATUS fs_init(EFI_HANDLE image);
EFI_STATUS fs_open(const char *name, EFI_FILE_HANDLE *out, u64 *size);
EFI_STATUS fs_read_at(EFI_FILE_HANDLE f, u64 offset, void *buf, u64 len);
EFI_STATUS fs_load(const char *name, struct loader_file *out);

/* elf.c: keel.elf's PT_LOAD segments at their physical addresses. */
EFI_STATUS elf_load(const char *name, u32 *entry);

/* config.c: the modules keel.toml names, by Keel's own parser: the first
 * max in names[], the count of all (more than max: some left out). */
unsigned config_module_names(const char *text, size_t len,
			     char names[][LOADER_NAME_MAX], unsigned max);

/* mbi.c: build the boot information, exit boot services (*info: where). */
struct mbi_input {
	const char *cmdline;
	const struct loader_file *mods;
	unsigned nmods;
};
EFI_STATUS mbi_build_and_exit(EFI_HANDLE image, const struct mbi_input *in, u32 *info);

/* trampoline.S: position-independent; main.c runs a copy below 4 GiB. */
extern const u8 trampoline_start[], trampoline_end[];
typedef void __noreturn (*trampoline_fn)(u32 entry, u32 info);

#endif
