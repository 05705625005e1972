/*
 * Host tests (cmocka, ASan/UBSan) for the loader's boot information
 * (boot/efi/mbi.c) against a fake firmware: the block it builds must be
 * what Keel's own parser (boot/multiboot2.c) accepts, with the tags of the
 * Multiboot2 specification 2.0 section 3.6, the memory map converted by
 * UEFI type and taken from the very map ExitBootServices() accepted.
 * Built and run by `make unit` (mk/unit.mk).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>
#include <sys/mman.h>
#include "loader.h"

#define DESC_SIZE  48		/* OVMF's stride: larger than EFI_MEMORY_DESCRIPTOR */
#define MAX_DESCS  32
#define EFI_PERSISTENT_MEMORY 14

EFI_SYSTEM_TABLE *efi_st;
EFI_BOOT_SERVICES *efi_bs;

static EFI_SYSTEM_TABLE fake_st;
static EFI_BOOT_SERVICES fake_bs;
static EFI_CONFIGURATION_TABLE fake_tables[2];

/* The firmware's map as (type, base, pages); grows by one after a failed exit. */
static struct { u32 type; u64 base, pages; } regions[MAX_DESCS];
static unsigned nregions, map_key, exit_calls, exit_failures;
static UINTN exited_with_key;

static EFI_STATUS EFIAPI fake_get_memory_map(UINTN *size, EFI_MEMORY_DESCRIPTOR *map, UINTN *key,
					    UINTN *dsize, UINT32 *dver)
{
	UINTN need = nregions * DESC_SIZE;

	*dsize = DESC_SIZE;
	*dver = EFI_MEMORY_DESCRIPTOR_VERSION;
	if (*size < need) {
		*size = need;
		return EFI_BUFFER_TOO_SMALL;
	}
	memset(map, 0xa5, need);	/* the padding past each descriptor is not ours */
	for (unsigned i = 0; i < nregions; i++) {
		EFI_MEMORY_DESCRIPTOR *d = (void *)((u8 *)map + i * DESC_SIZE);

		d->Type = regions[i].type;
		d->PhysicalStart = regions[i].base;
		d->VirtualStart = 0;
		d->NumberOfPages = regions[i].pages;
		d->Attribute = 0;
	}
	*size = need;
	*key = map_key;
	return EFI_SUCCESS;
}

static EFI_STATUS EFIAPI fake_exit(EFI_HANDLE image, UINTN key)
{
	exit_calls++;
	if (exit_failures) {
		exit_failures--;
		/* The firmware changed its map meanwhile: a new region, a new key. */
		regions[nregions].type = EfiBootServicesData;
		regions[nregions].base = 0x40000000 + nregions * 0x1000;
		regions[nregions].pages = 1;
		nregions++;
		map_key++;
		return EFI_INVALID_PARAMETER;
	}
	if (key != map_key)
		return EFI_INVALID_PARAMETER;
	exited_with_key = key;
	return EFI_SUCCESS;
}

/* Pool memory from a static arena, emptied by setup(): the loader never
 * frees its map buffer (after ExitBootServices() nothing may be freed). */
static u8 pool[64 * 1024] __aligned(16);
static size_t pool_used;

static EFI_STATUS EFIAPI fake_allocate_pool(EFI_MEMORY_TYPE type, UINTN size, void **out)
{
	if (size > sizeof(pool) - pool_used)
		return EFI_OUT_OF_RESOURCES;
	*out = pool + pool_used;
	pool_used += ALIGN_UP(size, 16);
	return EFI_SUCCESS;
}

/* Pages below 4 GiB, as the loader asks: MAP_32BIT gives the host's. */
static EFI_STATUS EFIAPI fake_allocate_pages(EFI_ALLOCATE_TYPE how, EFI_MEMORY_TYPE type,
					     UINTN pages, EFI_PHYSICAL_ADDRESS *addr)
{
	void *p;

	assert_int_equal(how, AllocateMaxAddress);
	assert_true(*addr <= LOADER_BELOW_4G);
	p = mmap(NULL, pages * PAGE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	assert_true(p != MAP_FAILED);
	memset(p, 0xcc, pages * PAGE_SIZE);	/* stale bytes must not leak into tags */
	*addr = (UINTN)p;
	return EFI_SUCCESS;
}

/* ACPI 6.5 5.2.5.3: a version-2 RSDP of the given revision and length. */
static u8 rsdp_v1[20] = "RSD PTR \x11OEMID1";
static u8 rsdp_v2[36] = "RSD PTR \x22OEMID2";

static void set_rsdp_v2(u8 revision, u32 length)
{
	rsdp_v2[15] = revision;
	memcpy(rsdp_v2 + 20, &length, sizeof(length));
}

static void add_table(EFI_GUID guid, void *table)
{
	fake_tables[fake_st.NumberOfTableEntries].VendorGuid = guid;
	fake_tables[fake_st.NumberOfTableEntries].VendorTable = table;
	fake_st.NumberOfTableEntries++;
}

static void add_region(u32 type, u64 base, u64 pages)
{
	regions[nregions].type = type;
	regions[nregions].base = base;
	regions[nregions].pages = pages;
	nregions++;
}

static int setup(void **state)
{
	memset(&fake_st, 0, sizeof(fake_st));
	memset(&fake_bs, 0, sizeof(fake_bs));
	fake_bs.GetMemoryMap = fake_get_memory_map;
	fake_bs.ExitBootServices = fake_exit;
	fake_bs.AllocatePool = fake_allocate_pool;
	fake_bs.AllocatePages = fake_allocate_pages;
	fake_st.BootServices = &fake_bs;
	fake_st.ConfigurationTable = fake_tables;
	efi_st = &fake_st;
	efi_bs = &fake_bs;
	pool_used = 0;
	nregions = 0;
	map_key = 7;
	exit_calls = exit_failures = 0;
	exited_with_key = 0;
	set_rsdp_v2(2, 36);
	/* A PC-like map: low RAM, a hole, then loader/boot data inside RAM. */
	add_region(EfiConventionalMemory, 0, 0x9f);
	add_region(EfiReservedMemoryType, 0x9f000, 1);
	add_region(EfiConventionalMemory, 0x100000, 0x100);
	add_region(EfiLoaderData, 0x200000, 0x10);
	add_region(EfiBootServicesData, 0x210000, 0x10);
	add_region(EfiACPIMemoryNVS, 0x800000, 8);
	add_region(EfiConventionalMemory, 0x808000, 0x100);
	add_region(EfiACPIReclaimMemory, 0x908000, 2);
	add_region(EfiRuntimeServicesCode, 0x90a000, 4);
	add_region(EfiUnusableMemory, 0x90e000, 1);
	add_region(EfiMemoryMappedIO, 0xfec00000, 1);
	add_region(EFI_PERSISTENT_MEMORY, 0x100000000ull, 0x100);
	return 0;
}

static const struct loader_file test_mods[] = {
	{ .addr = 0x300000, .size = 0x123, .name = "keel.toml" },
	{ .addr = 0x400000, .size = 0x20000, .name = "hello.bin" },
};

/* Build and exit; parse the block back with Keel's parser. */
static const u8 *build(struct boot_info *bi, EFI_STATUS want)
{
	struct mbi_input in = { .cmdline = "shutdown=qemu", .mods = test_mods,
				.nmods = ARRAY_SIZE(test_mods) };
	u32 info = 0;

	assert_int_equal(mbi_build_and_exit(NULL, &in, &info), want);
	if (want != EFI_SUCCESS)
		return NULL;
	assert_true(info != 0 && info % 8 == 0);
	assert_int_equal(mb2_parse(info, (const void *)(UINTN)info, bi), 0);
	return (const u8 *)(UINTN)info;
}

/* The payload of the first tag of a type, or NULL; *size is the tag's size field. */
static const u8 *find_tag(const u8 *block, u32 type, u32 *size)
{
	u32 total, t, s;

	memcpy(&total, block, 4);
	for (u32 off = 8; off + 8 <= total; off += (s + 7) & ~7u) {
		memcpy(&t, block + off, 4);
		memcpy(&s, block + off + 4, 4);
		if (t == type) {
			*size = s;
			return block + off + 8;
		}
		if (t == MB2_TAG_END)
			break;
	}
	return NULL;
}

static void test_fixed_tags(void **state)
{
	struct boot_info bi;

	build(&bi, EFI_SUCCESS);
	assert_string_equal(bi.cmdline, "shutdown=qemu");
	assert_string_equal(bi.loader_name, "Keel UEFI loader");
	assert_int_equal(bi.module_count, 2);
	assert_int_equal(bi.modules[0].start, 0x300000);
	assert_int_equal(bi.modules[0].end, 0x300123);
	assert_string_equal(bi.modules[0].cmdline, "keel.toml");
	assert_int_equal(bi.modules[1].end, 0x420000);
	assert_string_equal(bi.modules[1].cmdline, "hello.bin");
	assert_true(bi.efi64);
	assert_int_equal(bi.efi_system_table, (UINTN)&fake_st);
	assert_false(bi.efi_boot_services);	/* no tag 18: boot services are gone */
	assert_null(bi.rsdp);			/* the firmware gave no ACPI tables */
	assert_false(bi.truncated);
}

/* Tag 6: UEFI types mapped (UEFI 2.10 table 7-6), touching same-type regions merged. */
static void test_mmap_types_and_merging(void **state)
{
	static const u64 want[][3] = {
		{ 0, 0x9f000, MEM_USABLE },
		{ 0x9f000, 0x1000, MEM_RESERVED },
		{ 0x100000, 0x120000, MEM_USABLE },	/* conventional + loader + BS data */
		{ 0x800000, 0x8000, MEM_ACPI_NVS },
		{ 0x808000, 0x100000, MEM_USABLE },
		{ 0x908000, 0x2000, MEM_ACPI_RECLAIM },
		{ 0x90a000, 0x4000, MEM_RESERVED },	/* runtime services code */
		{ 0x90e000, 0x1000, MEM_BAD },
		{ 0xfec00000, 0x1000, MEM_RESERVED },	/* MMIO */
		{ 0x100000000ull, 0x100000, MEM_RESERVED },	/* a type we do not know */
	};
	struct boot_info bi;
	const u8 *block = build(&bi, EFI_SUCCESS);
	u32 size, entry_size;
	const u8 *tag = find_tag(block, MB2_TAG_MMAP, &size);

	assert_non_null(tag);
	memcpy(&entry_size, tag, 4);
	assert_int_equal(entry_size, 24);
	assert_int_equal(size, 16 + ARRAY_SIZE(want) * 24);
	for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
		u64 base, len;
		u32 type, zero;

		memcpy(&base, tag + 8 + i * 24, 8);
		memcpy(&len, tag + 16 + i * 24, 8);
		memcpy(&type, tag + 24 + i * 24, 4);
		memcpy(&zero, tag + 28 + i * 24, 4);
		assert_int_equal(base, want[i][0]);
		assert_int_equal(len, want[i][1]);
		assert_int_equal(type, want[i][2]);
		assert_int_equal(zero, 0);
	}
	assert_false(bi.mmap_from_efi);		/* Keel prefers tag 6 */
}

/* Tag 17 is the firmware's map byte for byte, with its descriptor stride. */
static void test_efi_mmap_is_the_raw_map(void **state)
{
	struct boot_info bi;
	const u8 *block = build(&bi, EFI_SUCCESS);
	u32 size, head[2];
	const u8 *tag = find_tag(block, MB2_TAG_EFI_MMAP, &size);
	const EFI_MEMORY_DESCRIPTOR *last;

	assert_non_null(tag);
	memcpy(head, tag, sizeof(head));
	assert_int_equal(head[0], DESC_SIZE);
	assert_int_equal(head[1], EFI_MEMORY_DESCRIPTOR_VERSION);
	assert_int_equal(size, 16 + nregions * DESC_SIZE);
	last = (const void *)(tag + 8 + (nregions - 1) * DESC_SIZE);
	assert_int_equal(last->PhysicalStart, 0x100000000ull);
	assert_int_equal(last->NumberOfPages, 0x100);
}

/* UEFI 2.10 7.4: a stale key means a fresh map, and the block must hold
 * the map whose key finally worked. */
static void test_exit_retries_with_fresh_map(void **state)
{
	struct boot_info bi;
	unsigned before = nregions;
	const u8 *block;
	u32 size;

	exit_failures = 2;
	block = build(&bi, EFI_SUCCESS);
	assert_int_equal(exit_calls, 3);
	assert_int_equal(exited_with_key, 9);
	assert_int_equal(nregions, before + 2);
	assert_non_null(find_tag(block, MB2_TAG_EFI_MMAP, &size));
	assert_int_equal(size, 16 + nregions * DESC_SIZE);
	/* The two new pages touch: one usable region, last in the final map. */
	assert_int_equal(bi.mmap[bi.mmap_count - 1].base, 0x40000000 + before * 0x1000);
	assert_int_equal(bi.mmap[bi.mmap_count - 1].len, 0x2000);
}

static void test_exit_gives_up(void **state)
{
	struct boot_info bi;

	exit_failures = 1000;
	build(&bi, EFI_INVALID_PARAMETER);
	assert_int_equal(exit_calls, 8);
}

static void test_rsdp_both(void **state)
{
	struct boot_info bi;
	const u8 *block;
	u32 size;
	const u8 *old;

	add_table((EFI_GUID)ACPI_TABLE_GUID, rsdp_v1);
	add_table((EFI_GUID)ACPI_20_TABLE_GUID, rsdp_v2);
	block = build(&bi, EFI_SUCCESS);
	assert_true(bi.rsdp_v2);
	assert_int_equal(bi.rsdp_len, 36);
	assert_memory_equal(bi.rsdp, rsdp_v2, 36);
	old = find_tag(block, MB2_TAG_ACPI_OLD, &size);
	assert_non_null(old);
	assert_int_equal(size, 8 + 20);
	assert_memory_equal(old, rsdp_v1, 20);
}

/* Only the 2.0 table: the old tag is its first 20 bytes (ACPI 1.0 layout). */
static void test_rsdp_v2_only(void **state)
{
	struct boot_info bi;
	u32 size;
	const u8 *old;

	add_table((EFI_GUID)ACPI_20_TABLE_GUID, rsdp_v2);
	old = find_tag(build(&bi, EFI_SUCCESS), MB2_TAG_ACPI_OLD, &size);
	assert_non_null(old);
	assert_memory_equal(old, rsdp_v2, 20);
	assert_true(bi.rsdp_v2);
}

/* A 2.0 table that is not ACPI 2.0 (revision 0) or claims a silly length
 * gives no new tag: Keel falls back to the RSDT. */
static void test_rsdp_v2_rejected(void **state)
{
	static const struct { u8 revision; u32 length; } bad[] = {
		{ 0, 36 }, { 2, 20 }, { 2, 0x10000 },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		struct boot_info bi;
		u32 size;

		setup(state);
		set_rsdp_v2(bad[i].revision, bad[i].length);
		add_table((EFI_GUID)ACPI_20_TABLE_GUID, rsdp_v2);
		assert_null(find_tag(build(&bi, EFI_SUCCESS), MB2_TAG_ACPI_NEW, &size));
		assert_false(bi.rsdp_v2);
		assert_non_null(bi.rsdp);	/* the old tag still */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_fixed_tags, setup),
		cmocka_unit_test_setup(test_mmap_types_and_merging, setup),
		cmocka_unit_test_setup(test_efi_mmap_is_the_raw_map, setup),
		cmocka_unit_test_setup(test_exit_retries_with_fresh_map, setup),
		cmocka_unit_test_setup(test_exit_gives_up, setup),
		cmocka_unit_test_setup(test_rsdp_both, setup),
		cmocka_unit_test_setup(test_rsdp_v2_only, setup),
		cmocka_unit_test_setup(test_rsdp_v2_rejected, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
