/*
 * The boot information block GRUB's multiboot2 command builds on UEFI
 * (Multiboot2 specification 2.0, section 3.6), then ExitBootServices():
 * command line, loader name, one module tag per file, the EFI64 system
 * table, the ACPI RSDP (old and new), and both memory maps (the BIOS-style
 * tag 6 converted from the UEFI map, and the UEFI map itself, tag 17).
 *
 * The maps must be the very map whose key ExitBootServices() accepts, so
 * everything that allocates happens first; if the key is stale (the
 * firmware changed the map, UEFI 2.10 section 7.4) only the map tags are
 * rewritten, calling nothing but GetMemoryMap() in between.
 */
#include "loader.h"
#include "lib/string.h"

#define MB2_TAG_HDR      8		/* u32 type, u32 size (3.6.1) */
#define MB2_MMAP_ENTRY   24		/* u64 base, u64 length, u32 type, u32 0 (3.6.8) */
#define MAP_SLACK        16		/* descriptors our own allocations may add */
#define EXIT_TRIES       8
#define RSDP_V1_LEN      20		/* ACPI 6.5 5.2.5.3: up to RsdtAddress */
#define RSDP_V2_MIN      36		/* ... up to the reserved bytes */
#define RSDP_MAX         256
#define RSDP_REVISION    15		/* byte offsets in the RSDP */
#define RSDP_LENGTH      20

struct mbi {
	u8 *base;
	u32 len;		/* bytes used, a multiple of 8 */
};

/* Bytes a tag with payload bytes takes, padded to the next tag's 8-byte alignment. */
static u32 tag_space(u64 payload)
{
	return (u32)ALIGN_UP(MB2_TAG_HDR + payload, 8);
}

/* Append a tag; returns its payload, zeroed. The block was sized up front. */
static u8 *mbi_tag(struct mbi *m, u32 type, u32 payload)
{
	u8 *t = m->base + m->len;
	u32 hdr[2] = { type, MB2_TAG_HDR + payload };

	memcpy(t, hdr, sizeof(hdr));
	memset(t + MB2_TAG_HDR, 0, tag_space(payload) - MB2_TAG_HDR);
	m->len += tag_space(payload);
	return t + MB2_TAG_HDR;
}

static void mbi_string(struct mbi *m, u32 type, const char *s)
{
	memcpy(mbi_tag(m, type, strlen(s) + 1), s, strlen(s) + 1);
}

/* 3.6.6: u32 mod_start, u32 mod_end (exclusive), the module's string. */
static void mbi_module(struct mbi *m, const struct loader_file *f)
{
	u32 range[2] = { (u32)f->addr, (u32)(f->addr + f->size) };
	u8 *p = mbi_tag(m, MB2_TAG_MODULE, sizeof(range) + strlen(f->name) + 1);

	memcpy(p, range, sizeof(range));
	memcpy(p + sizeof(range), f->name, strlen(f->name) + 1);
}

/* The firmware's RSDP for one ACPI GUID (UEFI 2.10 section 4.6), or NULL. */
static const u8 *acpi_rsdp(EFI_GUID guid)
{
	for (UINTN i = 0; i < efi_st->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &efi_st->ConfigurationTable[i];

		if (!memcmp(&t->VendorGuid, &guid, sizeof(guid)))
			return t->VendorTable;
	}
	return NULL;
}

/* 3.6.16-17: copies of the RSDP; the new one only for ACPI 2.0+ (XSDT). */
static void mbi_acpi(struct mbi *m)
{
	const u8 *v1 = acpi_rsdp((EFI_GUID)ACPI_TABLE_GUID);
	const u8 *v2 = acpi_rsdp((EFI_GUID)ACPI_20_TABLE_GUID);

	if (v1 || v2)
		memcpy(mbi_tag(m, MB2_TAG_ACPI_OLD, RSDP_V1_LEN), v1 ? v1 : v2, RSDP_V1_LEN);
	if (v2 && v2[RSDP_REVISION] >= 2) {
		u32 len;

		memcpy(&len, v2 + RSDP_LENGTH, sizeof(len));
		if (len >= RSDP_V2_MIN && len <= RSDP_MAX)
			memcpy(mbi_tag(m, MB2_TAG_ACPI_NEW, len), v2, len);
	}
}

/* The tags that do not depend on the memory map. */
static void mbi_fixed(struct mbi *m, const struct mbi_input *in)
{
	u64 st = (UINTN)efi_st;

	m->len = 8;				/* u32 total_size, u32 reserved */
	memset(m->base, 0, 8);
	mbi_string(m, MB2_TAG_CMDLINE, in->cmdline);
	mbi_string(m, MB2_TAG_LOADER_NAME, LOADER_NAME);
	for (unsigned i = 0; i < in->nmods; i++)
		mbi_module(m, &in->mods[i]);
	memcpy(mbi_tag(m, MB2_TAG_EFI64, sizeof(st)), &st, sizeof(st));
	mbi_acpi(m);
}

static u32 mbi_fixed_space(const struct mbi_input *in)
{
	u32 n = 8 + tag_space(strlen(in->cmdline) + 1) + tag_space(sizeof(LOADER_NAME));

	for (unsigned i = 0; i < in->nmods; i++)
		n += tag_space(8 + strlen(in->mods[i].name) + 1);
	return n + tag_space(8) + tag_space(RSDP_V1_LEN) + tag_space(RSDP_MAX);
}

/*
 * What a UEFI memory type is once boot services are gone (UEFI 2.10
 * table 7-6): loader and boot-services memory is free like conventional
 * memory; ACPI tables may be reclaimed after they are read; runtime
 * services, MMIO and everything unknown stay reserved.
 */
static u32 e820_type(u32 efi_type)
{
	switch (efi_type) {
	case EfiLoaderCode:
	case EfiLoaderData:
	case EfiBootServicesCode:
	case EfiBootServicesData:
	case EfiConventionalMemory:
		return MEM_USABLE;
	case EfiACPIReclaimMemory:
		return MEM_ACPI_RECLAIM;
	case EfiACPIMemoryNVS:
		return MEM_ACPI_NVS;
	case EfiUnusableMemory:
		return MEM_BAD;
	default:
		return MEM_RESERVED;
	}
}

/* 3.6.8 from the UEFI map, touching regions of one type merged. */
static void mbi_mmap(struct mbi *m, const u8 *map, UINTN size, UINTN dsize)
{
	u8 *tag = m->base + m->len;
	u32 head[4] = { MB2_TAG_MMAP, 0, MB2_MMAP_ENTRY, 0 };
	u64 (*e)[3] = (u64 (*)[3])(tag + sizeof(head));	/* base, length, type */
	unsigned n = 0;

	for (UINTN off = 0; off + dsize <= size; off += dsize) {
		const EFI_MEMORY_DESCRIPTOR *d = (const void *)(map + off);
		u64 base = d->PhysicalStart, len = d->NumberOfPages * PAGE_SIZE;
		u32 type = e820_type(d->Type);

		if (n && e[n - 1][2] == type && e[n - 1][0] + e[n - 1][1] == base) {
			e[n - 1][1] += len;
			continue;
		}
		e[n][0] = base;
		e[n][1] = len;
		e[n][2] = type;			/* and the reserved u32 above it: 0 */
		n++;
	}
	head[1] = sizeof(head) + n * MB2_MMAP_ENTRY;
	memcpy(tag, head, sizeof(head));
	m->len += tag_space(head[1] - MB2_TAG_HDR);
}

/* 3.6.19: u32 descriptor_size, u32 descriptor_version, the map as is. */
static void mbi_efi_mmap(struct mbi *m, const u8 *map, UINTN size, UINTN dsize, u32 dver)
{
	u32 head[2] = { (u32)dsize, dver };
	u8 *p = mbi_tag(m, MB2_TAG_EFI_MMAP, sizeof(head) + size);

	memcpy(p, head, sizeof(head));
	memcpy(p + sizeof(head), map, size);
}

/* Take the final map into the block and exit boot services with its key. */
static EFI_STATUS mbi_exit(EFI_HANDLE image, struct mbi *m, u8 *map, UINTN map_cap)
{
	u32 fixed = m->len;
	EFI_STATUS st = EFI_INVALID_PARAMETER;

	for (int i = 0; i < EXIT_TRIES && st == EFI_INVALID_PARAMETER; i++) {
		UINTN size = map_cap, key, dsize;
		UINT32 dver;

		st = efi_bs->GetMemoryMap(&size, (EFI_MEMORY_DESCRIPTOR *)map, &key, &dsize, &dver);
		if (EFI_ERROR(st))
			return st;
		m->len = fixed;
		mbi_mmap(m, map, size, dsize);
		mbi_efi_mmap(m, map, size, dsize, dver);
		mbi_tag(m, MB2_TAG_END, 0);
		memcpy(m->base, &m->len, sizeof(m->len));	/* total_size */
		st = efi_bs->ExitBootServices(image, key);
	}
	return st;
}

EFI_STATUS mbi_build_and_exit(EFI_HANDLE image, const struct mbi_input *in, u32 *info)
{
	UINTN map_cap = 0, key, dsize;
	UINT32 dver;
	EFI_PHYSICAL_ADDRESS addr = LOADER_BELOW_4G;
	struct mbi m;
	u8 *map;
	u64 space;
	EFI_STATUS st;

	st = efi_bs->GetMemoryMap(&map_cap, NULL, &key, &dsize, &dver);
	if (st != EFI_BUFFER_TOO_SMALL)
		return EFI_ERROR(st) ? st : EFI_DEVICE_ERROR;
	map_cap += MAP_SLACK * dsize;
	st = efi_bs->AllocatePool(EfiLoaderData, map_cap, (void **)&map);
	if (EFI_ERROR(st))
		return st;
	space = mbi_fixed_space(in) + tag_space(8 + map_cap / dsize * MB2_MMAP_ENTRY) +
		tag_space(8 + map_cap) + tag_space(0);
	st = efi_bs->AllocatePages(AllocateMaxAddress, EfiLoaderData,
				   ALIGN_UP(space, PAGE_SIZE) / PAGE_SIZE, &addr);
	if (EFI_ERROR(st))
		return st;
	m.base = (u8 *)(UINTN)addr;
	mbi_fixed(&m, in);
	*info = (u32)addr;
	return mbi_exit(image, &m, map, map_cap);
}
