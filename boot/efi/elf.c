/*
 * keel.elf into memory the way GRUB's multiboot2 command loads an ELF
 * kernel without an address tag: each PT_LOAD segment at its physical
 * address (p_paddr), file bytes then zeros up to p_memsz (System V gABI,
 * "Program Header"). The pages are claimed with AllocateAddress, so a
 * firmware that already uses Keel's range is reported, never overwritten.
 */
#include <elf.h>
#include "loader.h"
#include "lib/printf.h"
#include "lib/string.h"

#define MAX_PHDRS 16

/* An x86-64 executable whose program headers we can read. */
static bool elf_usable(const Elf64_Ehdr *eh)
{
	return !memcmp(eh->e_ident, ELFMAG, SELFMAG) && eh->e_ident[EI_CLASS] == ELFCLASS64 &&
	       eh->e_ident[EI_DATA] == ELFDATA2LSB && eh->e_type == ET_EXEC &&
	       eh->e_machine == EM_X86_64 && eh->e_phentsize == sizeof(Elf64_Phdr) &&
	       eh->e_phnum > 0 && eh->e_phnum <= MAX_PHDRS && eh->e_entry < LOADER_BELOW_4G;
}

/* The page-aligned physical range all PT_LOAD segments cover, below 4 GiB. */
static bool elf_span(const Elf64_Phdr *ph, unsigned n, u64 *lo, u64 *hi)
{
	*lo = ~0ull;
	*hi = 0;
	for (unsigned i = 0; i < n; i++) {
		if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
			continue;
		if (ph[i].p_filesz > ph[i].p_memsz || ph[i].p_paddr >= LOADER_BELOW_4G ||
		    ph[i].p_memsz > LOADER_BELOW_4G - ph[i].p_paddr)
			return false;
		*lo = MIN(*lo, ALIGN_DOWN(ph[i].p_paddr, PAGE_SIZE));
		*hi = MAX(*hi, ALIGN_UP(ph[i].p_paddr + ph[i].p_memsz, PAGE_SIZE));
	}
	return *lo < *hi;
}

static EFI_STATUS elf_load_segments(EFI_FILE_HANDLE f, const Elf64_Phdr *ph, unsigned n)
{
	EFI_PHYSICAL_ADDRESS lo;
	u64 hi;
	EFI_STATUS st;

	if (!elf_span(ph, n, &lo, &hi))
		return EFI_LOAD_ERROR;
	st = efi_bs->AllocatePages(AllocateAddress, EfiLoaderData, (hi - lo) / PAGE_SIZE, &lo);
	if (EFI_ERROR(st)) {
		loader_print("keel-efi: keel.elf needs memory 0x%llx-0x%llx, which the firmware uses\n",
			     (unsigned long long)lo, (unsigned long long)hi);
		return EFI_OUT_OF_RESOURCES;
	}
	memset((void *)(UINTN)lo, 0, hi - lo);
	for (unsigned i = 0; i < n && !EFI_ERROR(st); i++) {
		if (ph[i].p_type == PT_LOAD && ph[i].p_filesz)
			st = fs_read_at(f, ph[i].p_offset, (void *)(UINTN)ph[i].p_paddr, ph[i].p_filesz);
	}
	if (EFI_ERROR(st))
		efi_bs->FreePages(lo, (hi - lo) / PAGE_SIZE);
	return st;
}

/* Load \keel\NAME; *entry is its (physical, 32-bit) entry point. */
EFI_STATUS elf_load(const char *name, u32 *entry)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph[MAX_PHDRS];
	EFI_FILE_HANDLE f;
	u64 size;
	EFI_STATUS st;

	st = fs_open(name, &f, &size);
	if (EFI_ERROR(st))
		return st;
	st = size < sizeof(eh) ? EFI_LOAD_ERROR : fs_read_at(f, 0, &eh, sizeof(eh));
	if (!EFI_ERROR(st) && !elf_usable(&eh))
		st = EFI_LOAD_ERROR;
	if (!EFI_ERROR(st))
		st = fs_read_at(f, eh.e_phoff, ph, eh.e_phnum * sizeof(ph[0]));
	if (!EFI_ERROR(st))
		st = elf_load_segments(f, ph, eh.e_phnum);
	f->Close(f);
	if (!EFI_ERROR(st))
		*entry = (u32)eh.e_entry;
	return st;
}
