/*
 * Multiboot2 boot information parser: turns the loader's tag list into a
 * struct boot_info. Multiboot2 Specification version 2.0, section 3.6
 * "Boot information"; the EFI memory map follows UEFI 2.10 section 7.2
 * "EFI_BOOT_SERVICES.GetMemoryMap()".
 *
 * The block comes from the loader and is checked before it is trusted:
 * every tag must lie inside total_size, every string must be terminated
 * inside its tag, every fixed field must fit in its tag.
 */
#include "boot/multiboot2.h"
#include "lib/string.h"

/* 3.6.1: u32 total_size, u32 reserved, then tags, each 8-aligned. */
#define MB2_INFO_HDR     8
#define MB2_TAG_HDR      8
#define MB2_TAG_ALIGN    8
#define MB2_MMAP_ENTRY   24 /* 3.6.8: u64 base_addr, u64 length, u32 type, u32 reserved */
#define EFI_DESC_MIN     40 /* UEFI 2.10 7.2: EFI_MEMORY_DESCRIPTOR */
#define ACPI_RSDP_V1_LEN 20 /* ACPI 6.5 5.2.5.3: up to RsdtAddress */
#define ACPI_RSDP_V2_LEN 36 /* ... up to the reserved bytes after the checksum */

/* UEFI 2.10 7.2, EFI_MEMORY_TYPE. */
enum {
	EFI_RESERVED_MEMORY = 0,
	EFI_LOADER_CODE = 1,
	EFI_LOADER_DATA = 2,
	EFI_BOOT_SERVICES_CODE = 3,
	EFI_BOOT_SERVICES_DATA = 4,
	EFI_RUNTIME_SERVICES_CODE = 5,
	EFI_RUNTIME_SERVICES_DATA = 6,
	EFI_CONVENTIONAL_MEMORY = 7,
	EFI_UNUSABLE_MEMORY = 8,
	EFI_ACPI_RECLAIM_MEMORY = 9,
	EFI_ACPI_MEMORY_NVS = 10,
};

/* Tags worth remembering during the walk and interpreted after it. */
struct mb2_seen {
	const u8 *mmap, *efi_mmap, *rsdp_old, *rsdp_new;
	u32 mmap_size, efi_mmap_size, rsdp_old_size, rsdp_new_size;
};

/* Unaligned-safe loads: a malformed entry_size may misalign later entries. */
static u32 mb2_rd32(const u8 *p)
{
	u32 v;
	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

static u64 mb2_rd64(const u8 *p)
{
	u64 v;
	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * A string inside a tag: an empty payload gives NULL, a payload without
 * its NUL terminator is malformed.
 */
static int mb2_str(const u8 *p, u32 len, const char **out)
{
	*out = NULL;
	if (len == 0)
		return 0;
	if (strnlen((const char *)p, len) == len)
		return -EINVAL;
	*out = (const char *)p;
	return 0;
}

/* 3.6.8: the BIOS-style map; types other than 1, 3, 4, 5 are reserved. */
static int mb2_parse_mmap(struct boot_info *bi, const u8 *tag, u32 size)
{
	u32 entry_size, n;

	if (size < 16)
		return -EINVAL;
	entry_size = mb2_rd32(tag + 8);
	/* entry_version (tag + 12) is 0; newer versions only append fields. */
	if (entry_size < MB2_MMAP_ENTRY)
		return -EINVAL;
	n = (size - 16) / entry_size;
	for (u32 i = 0; i < n; i++) {
		const u8 *e = tag + 16 + (u64)i * entry_size;
		u32 type = mb2_rd32(e + 16);

		if (type < MEM_USABLE || type > MEM_BAD)
			type = MEM_RESERVED;
		boot_mmap_add(bi, mb2_rd64(e), mb2_rd64(e + 8), type);
	}
	return 0;
}

/*
 * UEFI 2.10 7.2: what an EFI memory type means to us once we own the
 * machine. Boot-services memory is free only if ExitBootServices() was
 * called, i.e. when tag 18 is absent.
 */
static u32 mb2_efi_type(u32 efi_type, bool bs_active)
{
	switch (efi_type) {
	case EFI_LOADER_CODE:
	case EFI_LOADER_DATA:
	case EFI_CONVENTIONAL_MEMORY:
		return MEM_USABLE;
	case EFI_BOOT_SERVICES_CODE:
	case EFI_BOOT_SERVICES_DATA:
		return bs_active ? MEM_RESERVED : MEM_USABLE;
	case EFI_UNUSABLE_MEMORY:
		return MEM_BAD;
	case EFI_ACPI_RECLAIM_MEMORY:
		return MEM_ACPI_RECLAIM;
	case EFI_ACPI_MEMORY_NVS:
		return MEM_ACPI_NVS;
	default:
		return MEM_RESERVED;
	}
}

/*
 * 3.6.19: u32 descriptor_size, u32 descriptor_version, then descriptors:
 * u32 Type, u32 pad, u64 PhysicalStart, u64 VirtualStart,
 * u64 NumberOfPages (4 KiB each), u64 Attribute.
 */
static int mb2_parse_efi_mmap(struct boot_info *bi, const u8 *tag, u32 size)
{
	u32 desc_size, n;

	if (size < 16)
		return -EINVAL;
	desc_size = mb2_rd32(tag + 8);
	if (desc_size < EFI_DESC_MIN)
		return -EINVAL;
	n = (size - 16) / desc_size;
	for (u32 i = 0; i < n; i++) {
		const u8 *d = tag + 16 + (u64)i * desc_size;
		u64 pages = mb2_rd64(d + 24);
		u64 len = pages > (~0ull >> 12) ? ~0ull : pages << 12;

		boot_mmap_add(bi, mb2_rd64(d + 8), len,
			     mb2_efi_type(mb2_rd32(d), bi->efi_boot_services));
	}
	return 0;
}

/* 3.6.6: u32 mod_start, u32 mod_end, then the module's string. */
static int mb2_parse_module(struct boot_info *bi, const u8 *tag, u32 size)
{
	struct boot_module *m;

	if (size < 16)
		return -EINVAL;
	if (bi->module_count == BOOT_MAX_MODULES) {
		bi->truncated = true;
		return 0;
	}
	m = &bi->modules[bi->module_count];
	m->start = mb2_rd32(tag + 8);
	m->end = mb2_rd32(tag + 12);
	if (mb2_str(tag + 16, size - 16, &m->cmdline) || m->end < m->start)
		return -EINVAL;
	bi->module_count++;
	return 0;
}

/* One tag of the walk; the map and RSDP tags are only remembered here. */
static int mb2_parse_tag(struct boot_info *bi, struct mb2_seen *s,
			 u32 type, const u8 *tag, u32 size)
{
	switch (type) {
	case MB2_TAG_CMDLINE:
		return mb2_str(tag + 8, size - 8, &bi->cmdline);
	case MB2_TAG_LOADER_NAME:
		return mb2_str(tag + 8, size - 8, &bi->loader_name);
	case MB2_TAG_MODULE:
		return mb2_parse_module(bi, tag, size);
	case MB2_TAG_MMAP:
		s->mmap = tag, s->mmap_size = size;
		return 0;
	case MB2_TAG_EFI_MMAP:
		s->efi_mmap = tag, s->efi_mmap_size = size;
		return 0;
	case MB2_TAG_EFI32:
		if (size < 12)
			return -EINVAL;
		if (!bi->efi64) /* a 64-bit pointer wins if both appear */
			bi->efi_system_table = mb2_rd32(tag + 8);
		return 0;
	case MB2_TAG_EFI64:
		if (size < 16)
			return -EINVAL;
		bi->efi_system_table = mb2_rd64(tag + 8);
		bi->efi64 = true;
		return 0;
	case MB2_TAG_ACPI_OLD:
		if (size < MB2_TAG_HDR + ACPI_RSDP_V1_LEN)
			return -EINVAL;
		s->rsdp_old = tag, s->rsdp_old_size = size;
		return 0;
	case MB2_TAG_ACPI_NEW:
		if (size < MB2_TAG_HDR + ACPI_RSDP_V2_LEN)
			return -EINVAL;
		s->rsdp_new = tag, s->rsdp_new_size = size;
		return 0;
	case MB2_TAG_EFI_BS:
		bi->efi_boot_services = true;
		return 0;
	default: /* basic meminfo (4) and everything we do not use */
		return 0;
	}
}

/*
 * After the walk: the memory map (tag 6 preferred over tag 17, whose
 * meaning depends on whether tag 18 was seen) and the RSDP (ACPI 2.0+
 * copy preferred, since its XSDT holds 64-bit table addresses).
 */
static int mb2_parse_deferred(struct boot_info *bi, const struct mb2_seen *s)
{
	int err = 0;

	if (s->mmap) {
		err = mb2_parse_mmap(bi, s->mmap, s->mmap_size);
	} else if (s->efi_mmap) {
		err = mb2_parse_efi_mmap(bi, s->efi_mmap, s->efi_mmap_size);
		bi->mmap_from_efi = true;
	}
	if (s->rsdp_new) {
		bi->rsdp = s->rsdp_new + MB2_TAG_HDR;
		bi->rsdp_len = s->rsdp_new_size - MB2_TAG_HDR;
		bi->rsdp_v2 = true;
	} else if (s->rsdp_old) {
		bi->rsdp = s->rsdp_old + MB2_TAG_HDR;
		bi->rsdp_len = s->rsdp_old_size - MB2_TAG_HDR;
	}
	return err;
}

/*
 * Walk the tags of the block at info (physical address info_phys). The
 * caller's boot_info is cleared first; on -EINVAL its contents are partial
 * and must not be used.
 */
int mb2_parse(u64 info_phys, const void *info, struct boot_info *out)
{
	const u8 *base = info;
	struct mb2_seen seen = { 0 };
	u64 total, off = MB2_INFO_HDR;

	memset(out, 0, sizeof(*out));
	total = mb2_rd32(base);
	if (total < MB2_INFO_HDR + MB2_TAG_HDR)
		return -EINVAL;
	out->info_start = info_phys;
	out->info_end = info_phys + total;

	while (off + MB2_TAG_HDR <= total) {
		const u8 *tag = base + off;
		u32 type = mb2_rd32(tag), size = mb2_rd32(tag + 4);
		int err;

		if (size < MB2_TAG_HDR || size > total - off)
			return -EINVAL;
		if (type == MB2_TAG_END)
			return mb2_parse_deferred(out, &seen);
		err = mb2_parse_tag(out, &seen, type, tag, size);
		if (err)
			return err;
		off += ALIGN_UP(size, MB2_TAG_ALIGN);
	}
	return -EINVAL; /* no end tag inside total_size */
}
