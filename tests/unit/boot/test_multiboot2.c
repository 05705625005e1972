/*
 * Host tests for boot/multiboot2.c: synthetic multiboot2 information
 * blocks as GRUB builds them on BIOS and on UEFI, truncated and garbage ones.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>

#include "boot/multiboot2.h"
#include "lib/string.h"

#define INFO_PHYS 0x9000ull

/* A boot information block under construction; 8-aligned like the real one. */
struct mbi {
	u64 buf[2048];
	u32 off;
};

static u8 *mbi_bytes(struct mbi *m)
{
	return (u8 *)m->buf;
}

static void mbi_begin(struct mbi *m)
{
	memset(m, 0, sizeof(*m));
	m->off = 8;
}

/* Add a tag of the given size (payload zeroed); returns its start. */
static u8 *mbi_tag(struct mbi *m, u32 type, u32 size)
{
	u8 *t = mbi_bytes(m) + m->off;

	assert_true(m->off + ALIGN_UP(size, 8) <= sizeof(m->buf));
	memcpy(t, &type, 4);
	memcpy(t + 4, &size, 4);
	m->off += ALIGN_UP(size, 8);
	return t;
}

/* Close the block with the end tag and write total_size. */
static void *mbi_end(struct mbi *m)
{
	mbi_tag(m, MB2_TAG_END, 8);
	memcpy(mbi_bytes(m), &m->off, 4);
	return m->buf;
}

static void mbi_string(struct mbi *m, u32 type, const char *s)
{
	u8 *t = mbi_tag(m, type, 8 + strlen(s) + 1);

	memcpy(t + 8, s, strlen(s) + 1);
}

static void mbi_module(struct mbi *m, u32 start, u32 end, const char *s)
{
	u8 *t = mbi_tag(m, MB2_TAG_MODULE, 16 + strlen(s) + 1);

	memcpy(t + 8, &start, 4);
	memcpy(t + 12, &end, 4);
	memcpy(t + 16, s, strlen(s) + 1);
}

struct e820 { u64 base, len; u32 type; };

static void mbi_mmap(struct mbi *m, const struct e820 *e, unsigned n, u32 entry_size)
{
	u8 *t = mbi_tag(m, MB2_TAG_MMAP, 16 + n * entry_size);
	u32 version = 0;

	memcpy(t + 8, &entry_size, 4);
	memcpy(t + 12, &version, 4);
	for (unsigned i = 0; i < n; i++) {
		u8 *p = t + 16 + i * entry_size;

		memcpy(p, &e[i].base, 8);
		memcpy(p + 8, &e[i].len, 8);
		memcpy(p + 16, &e[i].type, 4);
		memset(p + 20, 0xee, entry_size - 20); /* reserved and future fields */
	}
}

struct efi_desc { u32 type; u64 base, pages; };

static void mbi_efi_mmap(struct mbi *m, const struct efi_desc *d, unsigned n, u32 desc_size)
{
	u8 *t = mbi_tag(m, MB2_TAG_EFI_MMAP, 16 + n * desc_size);
	u32 version = 1;

	memcpy(t + 8, &desc_size, 4);
	memcpy(t + 12, &version, 4);
	for (unsigned i = 0; i < n; i++) {
		u8 *p = t + 16 + i * desc_size;
		u64 virt = 0xffff800000000000ull, attr = 0xf;

		memcpy(p, &d[i].type, 4);
		memcpy(p + 8, &d[i].base, 8);
		memcpy(p + 16, &virt, 8);
		memcpy(p + 24, &d[i].pages, 8);
		memcpy(p + 32, &attr, 8);
	}
}

static void mbi_u64_tag(struct mbi *m, u32 type, u64 v)
{
	memcpy(mbi_tag(m, type, 16) + 8, &v, 8);
}

/* An RSDP copy whose bytes are 'tag' so a test can tell the copies apart. */
static void mbi_rsdp(struct mbi *m, u32 type, u32 len, u8 fill)
{
	memset(mbi_tag(m, type, 8 + len) + 8, fill, len);
}

static void poke32(u8 *p, u32 v)
{
	memcpy(p, &v, 4);
}

static void assert_region(const struct mem_region *r, u64 base, u64 len, u32 type)
{
	assert_true(r->base == base);
	assert_true(r->len == len);
	assert_int_equal(r->type, type);
}

/* GRUB on BIOS: cmdline, loader name, meminfo, e820 map, modules, RSDPv1. */
static void test_bios_style(void **state)
{
	static struct mbi m;
	struct boot_info bi;
	const struct e820 map[] = {
		{ 0x0, 0x9fc00, 1 },
		{ 0x9fc00, 0x400, 2 },
		{ 0x100000, 0x7ee0000, 1 },
		{ 0x7fe0000, 0x20000, 3 },
		{ 0xfffc0000, 0x40000, 7 }, /* unknown type: reserved */
		{ 0x100000000ull, 0x40000000, 4 },
		{ 0x140000000ull, 0x1000, 5 },
	};
	u8 *meminfo;
	void *info;

	mbi_begin(&m);
	mbi_string(&m, MB2_TAG_CMDLINE, "keel console=com1");
	mbi_string(&m, MB2_TAG_LOADER_NAME, "GRUB 2.06");
	meminfo = mbi_tag(&m, MB2_TAG_BASIC_MEMINFO, 16);
	memset(meminfo + 8, 0x55, 8);
	mbi_mmap(&m, map, ARRAY_SIZE(map), 24);
	mbi_module(&m, 0x200000, 0x201234, "guest.bin vm=web");
	mbi_module(&m, 0x300000, 0x380000, "");
	mbi_rsdp(&m, MB2_TAG_ACPI_OLD, 20, 0xaa);
	info = mbi_end(&m);

	assert_int_equal(mb2_parse(INFO_PHYS, info, &bi), 0);
	assert_string_equal(bi.cmdline, "keel console=com1");
	assert_string_equal(bi.loader_name, "GRUB 2.06");
	/* Strings point into the block itself, not at copies. */
	assert_true((const u8 *)bi.cmdline > mbi_bytes(&m) &&
		    (const u8 *)bi.cmdline < mbi_bytes(&m) + m.off);
	assert_int_equal(bi.mmap_count, 7);
	assert_false(bi.mmap_from_efi);
	assert_region(&bi.mmap[0], 0x0, 0x9fc00, MEM_USABLE);
	assert_region(&bi.mmap[1], 0x9fc00, 0x400, MEM_RESERVED);
	assert_region(&bi.mmap[2], 0x100000, 0x7ee0000, MEM_USABLE);
	assert_region(&bi.mmap[3], 0x7fe0000, 0x20000, MEM_ACPI_RECLAIM);
	assert_region(&bi.mmap[4], 0xfffc0000, 0x40000, MEM_RESERVED);
	assert_region(&bi.mmap[5], 0x100000000ull, 0x40000000, MEM_ACPI_NVS);
	assert_region(&bi.mmap[6], 0x140000000ull, 0x1000, MEM_BAD);
	assert_int_equal(bi.module_count, 2);
	assert_true(bi.modules[0].start == 0x200000 && bi.modules[0].end == 0x201234);
	assert_string_equal(bi.modules[0].cmdline, "guest.bin vm=web");
	assert_true(bi.modules[1].start == 0x300000 && bi.modules[1].end == 0x380000);
	assert_string_equal(bi.modules[1].cmdline, "");
	assert_non_null(bi.rsdp);
	assert_int_equal(bi.rsdp_len, 20);
	assert_false(bi.rsdp_v2);
	assert_int_equal(((const u8 *)bi.rsdp)[0], 0xaa);
	assert_true(bi.efi_system_table == 0);
	assert_false(bi.efi_boot_services);
	assert_true(bi.info_start == INFO_PHYS);
	assert_true(bi.info_end == INFO_PHYS + m.off);
	assert_false(bi.truncated);
}

/* An OVMF-like EFI map: every EFI type, 48-byte descriptors. */
static const struct efi_desc ovmf_map[] = {
	{ 3, 0x0, 1 },              /* BootServicesCode */
	{ 7, 0x1000, 0x9f },        /* Conventional */
	{ 7, 0x100000, 0x700 },     /* Conventional, 1 MiB .. 8 MiB */
	{ 10, 0x800000, 0x8 },      /* ACPI NVS: the 8 MiB hole */
	{ 7, 0x808000, 0x8 },
	{ 10, 0x810000, 0xf0 },
	{ 2, 0x900000, 0x100 },     /* LoaderData */
	{ 1, 0xa00000, 0x10 },      /* LoaderCode */
	{ 4, 0xa10000, 0x100 },     /* BootServicesData */
	{ 7, 0xb10000, 0x34f0 },
	{ 9, 0x4000000, 0x10 },     /* ACPI reclaim */
	{ 5, 0x4010000, 0x20 },     /* Runtime code */
	{ 6, 0x4030000, 0x20 },     /* Runtime data */
	{ 0, 0x4050000, 0x4 },      /* Reserved */
	{ 8, 0x4054000, 0x1 },      /* Unusable */
	{ 11, 0xffc00000, 0x400 },  /* MMIO */
	{ 14, 0x100000000ull, 0x100 }, /* Persistent */
};

static void *build_efi(struct mbi *m, bool bs_active)
{
	mbi_begin(m);
	mbi_string(m, MB2_TAG_LOADER_NAME, "GRUB 2.12");
	mbi_u64_tag(m, MB2_TAG_EFI64, 0x7fbee018ull);
	mbi_rsdp(m, MB2_TAG_ACPI_OLD, 20, 0x11);
	mbi_rsdp(m, MB2_TAG_ACPI_NEW, 36, 0x22);
	mbi_efi_mmap(m, ovmf_map, ARRAY_SIZE(ovmf_map), 48);
	if (bs_active)
		mbi_tag(m, MB2_TAG_EFI_BS, 8);
	mbi_u64_tag(m, MB2_TAG_EFI64_IH, 0x7e000000ull); /* not used: skipped */
	return mbi_end(m);
}

/* GRUB on UEFI after ExitBootServices: boot-services memory is free RAM. */
static void test_efi_style(void **state)
{
	static struct mbi m;
	struct boot_info bi;

	assert_int_equal(mb2_parse(INFO_PHYS, build_efi(&m, false), &bi), 0);
	assert_null(bi.cmdline);
	assert_string_equal(bi.loader_name, "GRUB 2.12");
	assert_true(bi.efi64);
	assert_true(bi.efi_system_table == 0x7fbee018ull);
	assert_false(bi.efi_boot_services);
	assert_true(bi.rsdp_v2);
	assert_int_equal(bi.rsdp_len, 36);
	assert_int_equal(((const u8 *)bi.rsdp)[35], 0x22);
	assert_true(bi.mmap_from_efi);
	/* Adjacent descriptors of one meaning are merged while parsing. */
	assert_int_equal(bi.mmap_count, 10);
	assert_region(&bi.mmap[0], 0x0, 0xa0000, MEM_USABLE);
	assert_region(&bi.mmap[1], 0x100000, 0x700000, MEM_USABLE);
	assert_region(&bi.mmap[2], 0x800000, 0x8000, MEM_ACPI_NVS);
	assert_region(&bi.mmap[3], 0x808000, 0x8000, MEM_USABLE);
	assert_region(&bi.mmap[4], 0x810000, 0xf0000, MEM_ACPI_NVS);
	assert_region(&bi.mmap[5], 0x900000, 0x4000000 - 0x900000, MEM_USABLE);
	assert_region(&bi.mmap[6], 0x4000000, 0x10000, MEM_ACPI_RECLAIM);
	assert_region(&bi.mmap[7], 0x4010000, 0x44000, MEM_RESERVED);
	assert_region(&bi.mmap[8], 0x4054000, 0x1000, MEM_BAD);
	/* MMIO up to 4 GiB and persistent memory from 4 GiB are both reserved. */
	assert_region(&bi.mmap[9], 0xffc00000, 0x500000, MEM_RESERVED);
}

/* Tag 18 present: boot-services code and data still belong to firmware. */
static void test_efi_boot_services_active(void **state)
{
	static struct mbi m;
	struct boot_info bi;

	assert_int_equal(mb2_parse(INFO_PHYS, build_efi(&m, true), &bi), 0);
	assert_true(bi.efi_boot_services);
	assert_region(&bi.mmap[0], 0x0, 0x1000, MEM_RESERVED);
	assert_region(&bi.mmap[1], 0x1000, 0x9f000, MEM_USABLE);
	/* LoaderData + LoaderCode stay usable, BootServicesData does not. */
	assert_region(&bi.mmap[6], 0x900000, 0x110000, MEM_USABLE);
	assert_region(&bi.mmap[7], 0xa10000, 0x100000, MEM_RESERVED);
	assert_region(&bi.mmap[8], 0xb10000, 0x34f0000, MEM_USABLE);
	assert_int_equal(bi.mmap_count, 13);
}

/* Both maps: the e820-style one wins, whichever comes first. */
static void test_prefer_mmap_over_efi(void **state)
{
	static struct mbi m;
	struct boot_info bi;
	const struct e820 map[] = { { 0x100000, 0x100000, 1 } };

	mbi_begin(&m);
	mbi_efi_mmap(&m, ovmf_map, ARRAY_SIZE(ovmf_map), 48);
	mbi_mmap(&m, map, 1, 24);
	assert_int_equal(mb2_parse(INFO_PHYS, mbi_end(&m), &bi), 0);
	assert_false(bi.mmap_from_efi);
	assert_int_equal(bi.mmap_count, 1);
	assert_region(&bi.mmap[0], 0x100000, 0x100000, MEM_USABLE);
}

/* entry_size and descriptor_size larger than the known layouts are honoured. */
static void test_entry_sizes(void **state)
{
	static struct mbi m;
	struct boot_info bi;
	const struct e820 map[] = {
		{ 0x1000, 0x1000, 1 }, { 0x3000, 0x1000, 2 }, { 0x5000, 0x1000, 1 },
	};
	const struct efi_desc d[] = { { 7, 0x1000, 1 }, { 0, 0x3000, 2 } };
	u8 *t;

	mbi_begin(&m);
	mbi_mmap(&m, map, 3, 36); /* odd size: later entries are unaligned */
	assert_int_equal(mb2_parse(INFO_PHYS, mbi_end(&m), &bi), 0);
	assert_int_equal(bi.mmap_count, 3);
	assert_region(&bi.mmap[2], 0x5000, 0x1000, MEM_USABLE);

	mbi_begin(&m);
	mbi_efi_mmap(&m, d, 2, 56);
	assert_int_equal(mb2_parse(INFO_PHYS, mbi_end(&m), &bi), 0);
	assert_int_equal(bi.mmap_count, 2);
	assert_region(&bi.mmap[1], 0x3000, 0x2000, MEM_RESERVED);

	mbi_begin(&m);
	t = mbi_tag(&m, MB2_TAG_MMAP, 16 + 2 * 16); /* entries too small */
	poke32(t + 8, 16);
	assert_int_equal(mb2_parse(INFO_PHYS, mbi_end(&m), &bi), -EINVAL);

	mbi_begin(&m);
	mbi_efi_mmap(&m, d, 2, 32);
	assert_int_equal(mb2_parse(INFO_PHYS, mbi_end(&m), &bi), -EINVAL);
}

/* 32-bit EFI system table; unknown and odd-sized tags are skipped. */
static void test_efi32_and_unknown_tags(void **state)
{
	static struct mbi m;
	struct boot_info bi;
	u32 st = 0x3f000000;

	mbi_begin(&m);
	memset(mbi_tag(&m, 99, 13) + 8, 0xff, 5); /* needs 3 bytes of padding */
	memcpy(mbi_tag(&m, MB2_TAG_EFI32, 12) + 8, &st, 4);
	mbi_tag(&m, 0x7fffffff, 8);
	mbi_string(&m, MB2_TAG_CMDLINE, "after");
	assert_int_equal(mb2_parse(INFO_PHYS, mbi_end(&m), &bi), 0);
	assert_false(bi.efi64);
	assert_true(bi.efi_system_table == 0x3f000000);
	assert_string_equal(bi.cmdline, "after");
	assert_int_equal(bi.mmap_count, 0);
	assert_null(bi.rsdp);
}


/* Malformed blocks are refused, never read past their end. */
static void test_garbage(void **state)
{
	static struct mbi m;
	struct boot_info bi;

	/* total_size too small for a header and an end tag. */
	mbi_begin(&m);
	mbi_end(&m);
	poke32(mbi_bytes(&m), 12);
	assert_int_equal(mb2_parse(INFO_PHYS, m.buf, &bi), -EINVAL);
	poke32(mbi_bytes(&m), 0);
	assert_int_equal(mb2_parse(INFO_PHYS, m.buf, &bi), -EINVAL);

	/* The minimal block is fine. */
	poke32(mbi_bytes(&m), 16);
	assert_int_equal(mb2_parse(INFO_PHYS, m.buf, &bi), 0);

	/* A tag smaller than its header. */
	mbi_begin(&m);
	mbi_string(&m, MB2_TAG_CMDLINE, "x");
	mbi_end(&m);
	poke32(mbi_bytes(&m) + 12, 4);
	assert_int_equal(mb2_parse(INFO_PHYS, m.buf, &bi), -EINVAL);

	/* A tag running past total_size. */
	poke32(mbi_bytes(&m) + 12, 0x1000);
	assert_int_equal(mb2_parse(INFO_PHYS, m.buf, &bi), -EINVAL);
	poke32(mbi_bytes(&m) + 12, 0xfffffff8);
	assert_int_equal(mb2_parse(INFO_PHYS, m.buf, &bi), -EINVAL);

	/* total_size cuts the block before its end tag. */
	mbi_begin(&m);
	mbi_string(&m, MB2_TAG_CMDLINE, "cut short");
	mbi_end(&m);
	poke32(mbi_bytes(&m), m.off - 8);
	assert_int_equal(mb2_parse(INFO_PHYS, m.buf, &bi), -EINVAL);
	poke32(mbi_bytes(&m), m.off - 3);
	assert_int_equal(mb2_parse(INFO_PHYS, m.buf, &bi), -EINVAL);

	/* A command line without its terminator. */
	mbi_begin(&m);
	memset(mbi_tag(&m, MB2_TAG_CMDLINE, 16) + 8, 'A', 8);
	assert_int_equal(mb2_parse(INFO_PHYS, mbi_end(&m), &bi), -EINVAL);

	/* A module tag too short for its addresses, and one ending before it starts. */
	mbi_begin(&m);
	mbi_tag(&m, MB2_TAG_MODULE, 12);
	assert_int_equal(mb2_parse(INFO_PHYS, mbi_end(&m), &bi), -EINVAL);
	mbi_begin(&m);
	mbi_module(&m, 0x2000, 0x1000, "backwards");
	assert_int_equal(mb2_parse(INFO_PHYS, mbi_end(&m), &bi), -EINVAL);

	/* RSDP copies shorter than the structure, EFI64 tag without its pointer. */
	mbi_begin(&m);
	mbi_rsdp(&m, MB2_TAG_ACPI_NEW, 20, 0);
	assert_int_equal(mb2_parse(INFO_PHYS, mbi_end(&m), &bi), -EINVAL);
	mbi_begin(&m);
	mbi_rsdp(&m, MB2_TAG_ACPI_OLD, 8, 0);
	assert_int_equal(mb2_parse(INFO_PHYS, mbi_end(&m), &bi), -EINVAL);
	mbi_begin(&m);
	mbi_tag(&m, MB2_TAG_EFI64, 12);
	assert_int_equal(mb2_parse(INFO_PHYS, mbi_end(&m), &bi), -EINVAL);
}

/* Random bytes after a valid header: must return, never crash (ASan). */
static void test_random_garbage(void **state)
{
	static struct mbi m;
	struct boot_info bi;

	srand(1234);
	for (int round = 0; round < 2000; round++) {
		u32 total = 16 + rand() % 512;

		mbi_begin(&m);
		for (u32 i = 8; i < total; i++)
			mbi_bytes(&m)[i] = rand() & 0xff;
		/* Small type and size values make the walk go deeper. */
		for (u32 off = 8; off + 8 <= total; off += 8) {
			if (rand() % 2) {
				poke32(mbi_bytes(&m) + off, rand() % 20);
				poke32(mbi_bytes(&m) + off + 4, 8 + rand() % 64);
			}
		}
		poke32(mbi_bytes(&m), total);
		if (mb2_parse(INFO_PHYS, m.buf, &bi) == 0) {
			assert_true(bi.mmap_count <= BOOT_MAX_MMAP);
			assert_true(bi.info_end == INFO_PHYS + total);
		}
	}
}

/* More map entries or modules than the arrays hold: keep the first ones. */
static void test_truncation(void **state)
{
	static struct mbi m;
	static struct e820 map[200];
	struct boot_info bi;

	for (unsigned i = 0; i < 200; i++)
		map[i] = (struct e820){ 0x100000ull * i, 0x80000, 1 };
	mbi_begin(&m);
	mbi_mmap(&m, map, 200, 24);
	for (u32 i = 0; i < 40; i++)
		mbi_module(&m, 0x1000 * i, 0x1000 * i + 0x800, "m");
	assert_int_equal(mb2_parse(INFO_PHYS, mbi_end(&m), &bi), 0);
	assert_true(bi.truncated);
	assert_int_equal(bi.mmap_count, BOOT_MAX_MMAP);
	assert_region(&bi.mmap[127], 0x100000ull * 127, 0x80000, MEM_USABLE);
	assert_int_equal(bi.module_count, BOOT_MAX_MODULES);
	assert_true(bi.modules[31].start == 0x1000 * 31);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bios_style),
		cmocka_unit_test(test_efi_style),
		cmocka_unit_test(test_efi_boot_services_active),
		cmocka_unit_test(test_prefer_mmap_over_efi),
		cmocka_unit_test(test_entry_sizes),
		cmocka_unit_test(test_efi32_and_unknown_tags),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_random_garbage),
		cmocka_unit_test(test_truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
