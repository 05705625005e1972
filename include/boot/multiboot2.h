/*
 * Multiboot2: the constants the 32-bit entry code needs (header magic, header
 * tag types) and the parsed form of the boot information the loader hands us.
 * Follows the Multiboot2 Specification version 2.0, section 3.1 "OS image
 * format" (header) and section 3.6 "Boot information format" (tags).
 * Safe to include from a .S file: the C parts sit under !__ASSEMBLY__.
 */
#ifndef KEEL_BOOT_MULTIBOOT2_H
#define KEEL_BOOT_MULTIBOOT2_H

/* Section 3.1.1: the OS image header. */
#define MB2_HEADER_MAGIC        0xe85250d6 /* first field of the header */
#define MB2_ARCH_I386           0          /* 32-bit protected mode i386 */
#define MB2_HEADER_ALIGN        8          /* header and its tags are 8-aligned */

/* Section 3.1.3: header tag types. */
#define MB2_HEADER_TAG_END              0
#define MB2_HEADER_TAG_INFO_REQUEST     1
#define MB2_HEADER_TAG_ADDRESS          2
#define MB2_HEADER_TAG_ENTRY_ADDRESS    3
#define MB2_HEADER_TAG_CONSOLE_FLAGS    4
#define MB2_HEADER_TAG_FRAMEBUFFER      5
#define MB2_HEADER_TAG_MODULE_ALIGN     6
#define MB2_HEADER_TAG_EFI_BS           7
#define MB2_HEADER_TAG_ENTRY_EFI32      8
#define MB2_HEADER_TAG_ENTRY_EFI64      9
#define MB2_HEADER_TAG_RELOCATABLE      10
#define MB2_HEADER_TAG_OPTIONAL         1 /* flags bit 0 */

/* Section 3.2: EAX on entry to the OS image. */
#define MB2_BOOTLOADER_MAGIC    0x36d76289

/* Section 3.6: boot information tag types. */
#define MB2_TAG_END             0
#define MB2_TAG_CMDLINE         1
#define MB2_TAG_LOADER_NAME     2
#define MB2_TAG_MODULE          3
#define MB2_TAG_BASIC_MEMINFO   4
#define MB2_TAG_BOOTDEV         5
#define MB2_TAG_MMAP            6
#define MB2_TAG_VBE             7
#define MB2_TAG_FRAMEBUFFER     8
#define MB2_TAG_ELF_SECTIONS    9
#define MB2_TAG_APM             10
#define MB2_TAG_EFI32           11
#define MB2_TAG_EFI64           12
#define MB2_TAG_SMBIOS          13
#define MB2_TAG_ACPI_OLD        14
#define MB2_TAG_ACPI_NEW        15
#define MB2_TAG_NETWORK         16
#define MB2_TAG_EFI_MMAP        17
#define MB2_TAG_EFI_BS          18
#define MB2_TAG_EFI32_IH        19
#define MB2_TAG_EFI64_IH        20
#define MB2_TAG_LOAD_BASE_ADDR  21

#ifndef __ASSEMBLY__

#include "types.h"

#include "mm/mem_region.h"

#define BOOT_MAX_MMAP    128
#define BOOT_MAX_MODULES 32

struct boot_module {
	u64 start, end;      /* physical, end exclusive */
	const char *cmdline; /* points into the info block */
};

struct boot_info {
	const char *cmdline;     /* NULL when the loader gave none */
	const char *loader_name; /* NULL when the loader gave none */
	struct mem_region mmap[BOOT_MAX_MMAP];
	unsigned mmap_count;
	bool mmap_from_efi;      /* map converted from tag 17, not tag 6 */
	struct boot_module modules[BOOT_MAX_MODULES];
	unsigned module_count;
	const void *rsdp;        /* points at the copy inside the tag */
	unsigned rsdp_len;
	bool rsdp_v2;
	u64 efi_system_table;
	bool efi64;
	bool efi_boot_services;  /* tag 18: boot services not exited */
	u64 info_start, info_end; /* the multiboot2 info block itself, physical */
	bool truncated;          /* more map entries or modules than fit */
};

/*
 * Parse the boot information block at info (its physical address is
 * info_phys) into out. Returns 0, or -EINVAL for a malformed block.
 */
int mb2_parse(u64 info_phys, const void *info, struct boot_info *out);

/*
 * Append a region to bi's map (boot/mmap.c), extending the last one when
 * it continues it with the same type; sets bi->truncated when full.
 */
void boot_mmap_add(struct boot_info *bi, u64 base, u64 len, u32 type);

/*
 * Sort the memory map by base, resolve overlaps in favour of the more
 * restrictive type and merge adjacent regions of the same type.
 */
void boot_mmap_sanitize(struct boot_info *bi);

/*
 * What the memory manager must not hand out besides the map's own
 * non-usable regions: [0, reserve_below), the boot information block and
 * every module (still read after boot). Writes at most max regions to out
 * and returns how many; BOOT_MAX_MODULES + 2 is always enough.
 */
unsigned boot_reserved_regions(const struct boot_info *bi, u64 reserve_below,
			       struct mem_region *out, unsigned max);

/*
 * A page below 1 MiB (for the APs' real-mode start-up code) that the map
 * calls usable and that holds neither the boot information nor a module
 * (those are still read later): its address, or 0 when there is none.
 */
#define BOOT_LOW_PAGE_MIN 0x1000	/* candidate pages: 4 KiB .. 636 KiB */
#define BOOT_LOW_PAGE_MAX 0x9f000
u64 boot_free_low_page(const struct boot_info *bi);

#endif /* !__ASSEMBLY__ */
#endif
