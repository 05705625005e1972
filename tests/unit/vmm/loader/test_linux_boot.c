/*
 * Host tests for vmm/loader/linux_boot.c against Documentation/arch/x86/boot.rst
 * and zero-page.rst, on synthetic bzImage headers built here. With
 * KEEL_TEST_BZIMAGE=/path/to/vmlinuz set, a real kernel is parsed too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/loader/linux_boot.h"

/* The synthetic image: 2 setup sectors after the boot sector, 4 KiB kernel. */
#define T_SETUP_SECTS	2
#define T_KOFF		((T_SETUP_SECTS + 1) * 512)
#define T_SYSSIZE	0x100
#define T_KSIZE		(T_SYSSIZE * 16)
#define T_LEN		(T_KOFF + T_KSIZE)
#define T_PREF		0x1000000ull
#define T_INIT_SIZE	0x2000000u
#define T_ALIGN		0x200000u

/* Where a VM of ram bytes has its RAM below the PCI hole, and its e820 map:
 * what the loader passes (include/vmm/machine/layout.h). */
static u64 ram_top(u64 ram)
{
	struct machine_layout m;

	machine_layout(ram, &m);
	return m.low_ram_end;
}

static unsigned e820_of(u64 ram, struct e820_entry *e, unsigned max)
{
	struct machine_layout m;

	machine_layout(ram, &m);
	return machine_e820(&m, e, max);
}

static void w16(u8 *p, u16 v) { p[0] = (u8)v; p[1] = (u8)(v >> 8); }
static void w32(u8 *p, u32 v) { w16(p, (u16)v); w16(p + 2, (u16)(v >> 16)); }
static void w64(u8 *p, u64 v) { w32(p, (u32)v); w32(p + 4, (u32)(v >> 32)); }
static u16 r16(const u8 *p) { return (u16)(p[0] | p[1] << 8); }
static u32 r32(const u8 *p) { return r16(p) | (u32)r16(p + 2) << 16; }
static u64 r64(const u8 *p) { return r32(p) | (u64)r32(p + 4) << 32; }

/* A valid 64-bit relocatable bzImage header, shaped like Debian 12's. The
 * buffer is exactly T_LEN bytes so ASan sees any read past it. */
static u8 *make_image(void)
{
	u8 *img = malloc(T_LEN);

	assert_non_null(img);
	for (unsigned i = 0; i < T_LEN; i++)
		img[i] = (u8)(i * 7 + 3);	/* junk wherever the header says nothing */
	memset(img + 0x1ef, 0, 0x281 - 0x1ef);
	img[0x1ef] = 0xff;			/* sentinel, as in real images */
	img[0x1f1] = T_SETUP_SECTS;
	w32(img + 0x1f4, T_SYSSIZE);
	w16(img + 0x1fa, 0xffff);
	w16(img + 0x1fe, 0xaa55);
	img[0x200] = 0xeb;
	img[0x201] = 0x6a;			/* header ends at 0x26c */
	memcpy(img + 0x202, "HdrS", 4);
	w16(img + 0x206, 0x020f);
	img[0x211] = 0x01;			/* LOADED_HIGH */
	w32(img + 0x22c, 0x7fffffff);		/* initrd_addr_max */
	w32(img + 0x230, T_ALIGN);
	img[0x234] = 1;				/* relocatable */
	img[0x235] = 21;			/* min_alignment */
	w16(img + 0x236, 0x7f);			/* xloadflags: KERNEL_64 and more */
	w32(img + 0x238, 2047);			/* cmdline_size */
	w64(img + 0x258, T_PREF);
	w32(img + 0x260, T_INIT_SIZE);
	return img;
}

static int parse(const u8 *img, size_t len, struct linux_image *out, char *why)
{
	why[0] = 0;
	return linux_image_parse(img, len, out, why, LINUX_WHY_SIZE);
}

/* Parse a changed copy of the synthetic image; returns the error, why filled. */
static int parse_with(void (*change)(u8 *img), size_t len, char *why)
{
	u8 *img = make_image();
	struct linux_image im;
	int err;

	change(img);
	err = parse(img, len, &im, why);
	free(img);
	return err;
}

static void test_parse_valid(void **state)
{
	u8 *img = make_image();
	struct linux_image im;
	char why[LINUX_WHY_SIZE];

	assert_int_equal(parse(img, T_LEN, &im, why), 0);
	assert_int_equal(im.version, 0x020f);
	assert_int_equal(im.setup_sects, T_SETUP_SECTS);
	assert_int_equal(im.kernel_offset, T_KOFF);
	assert_int_equal(im.kernel_size, T_KSIZE);
	assert_int_equal(im.syssize, T_SYSSIZE);
	assert_int_equal(im.hdr_end, 0x26c);
	assert_int_equal(im.loadflags, 0x01);
	assert_int_equal(im.xloadflags, 0x7f);
	assert_true(im.relocatable);
	assert_int_equal(im.pref_address, T_PREF);
	assert_int_equal(im.kernel_alignment, T_ALIGN);
	assert_int_equal(im.init_size, T_INIT_SIZE);
	assert_int_equal(im.cmdline_size, 2047);
	assert_int_equal(im.initrd_addr_max, 0x7fffffff);
	/* A longer file (a signature appended, as Debian's is) is fine. */
	img = realloc(img, T_LEN + 1500);
	assert_int_equal(parse(img, T_LEN + 1500, &im, why), 0);
	assert_int_equal(im.kernel_size, T_KSIZE);
	free(img);
}

static void setup_sects_zero(u8 *img) { img[0x1f1] = 0; w32(img + 0x1f4, 0x80); }

/* boot.rst note (1): setup_sects 0 means 4. */
static void test_parse_setup_sects_zero(void **state)
{
	u8 *img = make_image();
	struct linux_image im;
	char why[LINUX_WHY_SIZE];

	setup_sects_zero(img);
	assert_int_equal(parse(img, T_LEN, &im, why), 0);
	assert_int_equal(im.setup_sects, 4);
	assert_int_equal(im.kernel_offset, 5 * 512);
	assert_int_equal(im.kernel_size, 0x800);
	/* 5 * 512 + 0x800 = 0x1200 bytes needed; one fewer is truncated. */
	assert_int_equal(parse(img, 0x11ff, &im, why), -EINVAL);
	free(img);
}

static void proto_2_10(u8 *img) { w16(img + 0x206, 0x020a); }
static void proto_2_11(u8 *img) { w16(img + 0x206, 0x020b); }
static void proto_2_12(u8 *img) { w16(img + 0x206, 0x020c); }

static void test_parse_old_protocol(void **state)
{
	char why[LINUX_WHY_SIZE];

	assert_int_equal(parse_with(proto_2_10, T_LEN, why), -ENOTSUP);
	assert_string_equal(why, "boot protocol 2.10 is older than 2.12");
	assert_int_equal(parse_with(proto_2_11, T_LEN, why), -ENOTSUP);
	assert_string_equal(why, "boot protocol 2.11 is older than 2.12");
	assert_int_equal(parse_with(proto_2_12, T_LEN, why), 0);
}

static void no_boot_flag(u8 *img) { w16(img + 0x1fe, 0x55aa); }
static void no_hdrs(u8 *img) { memcpy(img + 0x202, "HdrT", 4); }

static void test_parse_magic(void **state)
{
	char why[LINUX_WHY_SIZE];

	assert_int_equal(parse_with(no_boot_flag, T_LEN, why), -EINVAL);
	assert_non_null(strstr(why, "0xAA55"));
	assert_int_equal(parse_with(no_hdrs, T_LEN, why), -EINVAL);
	assert_non_null(strstr(why, "HdrS"));
}

/* Files too short to hold even the version field, down to empty. */
static void test_parse_tiny(void **state)
{
	static const size_t lens[] = { 0, 1, 0x1ff, 0x200, 0x207 };
	char why[LINUX_WHY_SIZE];

	for (unsigned i = 0; i < ARRAY_SIZE(lens); i++) {
		u8 *img = make_image();
		u8 *cut = malloc(lens[i] ? lens[i] : 1);
		struct linux_image im;

		memcpy(cut, img, lens[i]);
		assert_int_equal(parse(cut, lens[i], &im, why), -EINVAL);
		assert_non_null(strstr(why, "too short"));
		free(cut);
		free(img);
	}
}

static void nothing(u8 *img) { (void)img; }

static void test_parse_truncated(void **state)
{
	char why[LINUX_WHY_SIZE];
	char want[LINUX_WHY_SIZE];

	assert_int_equal(parse_with(nothing, T_LEN - 1, why), -EINVAL);
	snprintf(want, sizeof(want), "image truncated: %u bytes, header says %u",
		 T_LEN - 1, T_LEN);
	assert_string_equal(why, want);
	/* Cut inside the setup header itself. */
	assert_int_equal(parse_with(nothing, 0x250, why), -EINVAL);
	assert_non_null(strstr(why, "truncated"));
}

/* syssize 0xffffffff: 64 GiB of kernel claimed; no wrap, just truncated. */
static void huge_syssize(u8 *img) { w32(img + 0x1f4, 0xffffffff); }
static void zero_syssize(u8 *img) { w32(img + 0x1f4, 0); }

static void test_parse_syssize(void **state)
{
	char why[LINUX_WHY_SIZE];

	assert_int_equal(parse_with(huge_syssize, T_LEN, why), -EINVAL);
	assert_non_null(strstr(why, "header says 68719478256"));
	assert_int_equal(parse_with(zero_syssize, T_LEN, why), -EINVAL);
	assert_non_null(strstr(why, "syssize"));
}

static void no_kernel64(u8 *img) { w16(img + 0x236, 0x7e); }
static void not_high(u8 *img) { img[0x211] = 0x80; }

static void test_parse_flags(void **state)
{
	char why[LINUX_WHY_SIZE];

	assert_int_equal(parse_with(no_kernel64, T_LEN, why), -ENOTSUP);
	assert_non_null(strstr(why, "XLF_KERNEL_64"));
	assert_int_equal(parse_with(not_high, T_LEN, why), -ENOTSUP);
	assert_non_null(strstr(why, "LOADED_HIGH"));
}

static void small_init(u8 *img) { w32(img + 0x260, T_KSIZE - 1); }
static void exact_init(u8 *img) { w32(img + 0x260, T_KSIZE); }

static void test_parse_init_size(void **state)
{
	char why[LINUX_WHY_SIZE];

	assert_int_equal(parse_with(small_init, T_LEN, why), -EINVAL);
	assert_non_null(strstr(why, "init_size"));
	assert_int_equal(parse_with(exact_init, T_LEN, why), 0);
}

/* The jump byte is a signed length: backwards, too short, past the hole. */
static void jump_back(u8 *img) { img[0x201] = 0x80; }
static void jump_short(u8 *img) { img[0x201] = 0x65; }	/* 0x267: before handover_offset ends */
static void jump_min(u8 *img) { img[0x201] = 0x66; }	/* 0x268 */
static void jump_max(u8 *img) { img[0x201] = 0x7f; }	/* 0x281 */
static void not_jmp(u8 *img) { img[0x200] = 0xe9; }
static void big_setup(u8 *img) { img[0x1f1] = 64; }	/* 65 sectors: over 32 KiB */

static void test_parse_hostile_header(void **state)
{
	char why[LINUX_WHY_SIZE];

	assert_int_equal(parse_with(jump_back, T_LEN, why), -EINVAL);
	assert_int_equal(parse_with(jump_short, T_LEN, why), -EINVAL);
	assert_non_null(strstr(why, "ends at 0x267"));
	assert_int_equal(parse_with(jump_min, T_LEN, why), 0);
	assert_int_equal(parse_with(jump_max, T_LEN, why), 0);
	assert_int_equal(parse_with(not_jmp, T_LEN, why), -EINVAL);
	assert_non_null(strstr(why, "jump"));
	assert_int_equal(parse_with(big_setup, T_LEN, why), -EINVAL);
	assert_non_null(strstr(why, "setup_sects 64"));
}

static void align_zero(u8 *img) { w32(img + 0x230, 0); }
static void align_odd(u8 *img) { w32(img + 0x230, 0x300000); }
static void align_odd_fixed(u8 *img) { w32(img + 0x230, 0x300000); img[0x234] = 0; }

static void test_parse_alignment(void **state)
{
	char why[LINUX_WHY_SIZE];

	assert_int_equal(parse_with(align_zero, T_LEN, why), -EINVAL);
	assert_int_equal(parse_with(align_odd, T_LEN, why), -EINVAL);
	assert_non_null(strstr(why, "0x300000"));
	/* Only a relocatable kernel's alignment matters. */
	assert_int_equal(parse_with(align_odd_fixed, T_LEN, why), 0);
}

/* ---- layout ---------------------------------------------------------------- */

static struct linux_image valid_image(void)
{
	u8 *img = make_image();
	struct linux_image im;
	char why[LINUX_WHY_SIZE];

	assert_int_equal(parse(img, T_LEN, &im, why), 0);
	free(img);
	return im;
}

static int plan(const struct linux_image *im, u64 ram, u64 initrd, size_t cmd,
		struct linux_layout *lay, char *why)
{
	why[0] = 0;
	return linux_layout_plan(im, ram, initrd, cmd, lay, why, LINUX_WHY_SIZE);
}

static void test_layout_basic(void **state)
{
	struct linux_image im = valid_image();
	struct linux_layout lay;
	char why[LINUX_WHY_SIZE];

	assert_int_equal(plan(&im, 256 * MiB, 10 * MiB + 5, 100, &lay, why), 0);
	assert_int_equal(lay.zero_page, 0x7000);
	assert_int_equal(lay.cmdline, 0x20000);
	assert_int_equal(lay.cmdline_max, 2047);
	assert_int_equal(lay.kernel, T_PREF);
	assert_int_equal(lay.entry64, T_PREF + 0x200);
	assert_int_equal(lay.kernel_end, T_PREF + T_INIT_SIZE);
	/* Highest page-aligned start with the whole initrd below 256 MiB. */
	assert_int_equal(lay.initrd, 256 * MiB - 10 * MiB - PAGE_SIZE);
	assert_int_equal(lay.initrd_size, 10 * MiB + 5);
	assert_true(lay.initrd + lay.initrd_size <= 256 * MiB);
	assert_true(lay.initrd >= lay.kernel_end);
}

static void test_layout_no_initrd(void **state)
{
	struct linux_image im = valid_image();
	struct linux_layout lay;
	char why[LINUX_WHY_SIZE];

	assert_int_equal(plan(&im, 64 * MiB, 0, 0, &lay, why), 0);
	assert_int_equal(lay.initrd, 0);
	assert_int_equal(lay.initrd_size, 0);
	/* Exactly enough RAM for [16 MiB, 16 MiB + init_size). */
	assert_int_equal(plan(&im, T_PREF + T_INIT_SIZE, 0, 0, &lay, why), 0);
	assert_int_equal(plan(&im, T_PREF + T_INIT_SIZE - 1, 0, 0, &lay, why), -ENOMEM);
}

/* initrd_addr_max is the highest byte: an initrd ends at or below it + 1. */
static void test_layout_initrd_addr_max(void **state)
{
	struct linux_image im = valid_image();
	struct linux_layout lay;
	char why[LINUX_WHY_SIZE];

	assert_int_equal(plan(&im, 3 * GiB, 128 * KiB, 0, &lay, why), 0);
	assert_int_equal(lay.initrd, 0x80000000ull - 128 * KiB);
	im.initrd_addr_max = 0x37ffffff;
	assert_int_equal(plan(&im, 3 * GiB, 128 * KiB, 0, &lay, why), 0);
	assert_int_equal(lay.initrd, 0x37fe0000);	/* boot.rst's own example */
	/* A hostile 0 leaves no room at all. */
	im.initrd_addr_max = 0;
	assert_int_equal(plan(&im, 3 * GiB, 4096, 0, &lay, why), -ENOMEM);
}

static void test_layout_initrd_too_big(void **state)
{
	struct linux_image im = valid_image();
	struct linux_layout lay;
	char why[LINUX_WHY_SIZE];

	assert_int_equal(plan(&im, 256 * MiB, 300 * MiB, 0, &lay, why), -ENOMEM);
	assert_non_null(strstr(why, "initrd of 300 MiB does not fit in RAM of 256 MiB"));
	/* Fits in RAM, but not above the kernel's init_size. */
	assert_int_equal(plan(&im, 64 * MiB, 33 * MiB, 0, &lay, why), -ENOMEM);
	assert_non_null(strstr(why, "initrd of 33 MiB"));
	/* Exactly the room between kernel_end and the end of RAM. */
	assert_int_equal(plan(&im, 64 * MiB, 16 * MiB, 0, &lay, why), 0);
	assert_int_equal(lay.initrd, T_PREF + T_INIT_SIZE);
	/* Sizes near 2^64 must not wrap. */
	assert_int_equal(plan(&im, 256 * MiB, ~0ull, 0, &lay, why), -ENOMEM);
}

static void test_layout_huge_init_size(void **state)
{
	struct linux_image im = valid_image();
	struct linux_layout lay;
	char why[LINUX_WHY_SIZE];

	im.init_size = 0xffffffff;
	assert_int_equal(plan(&im, 3 * GiB, 0, 0, &lay, why), -ENOMEM);
	assert_non_null(strstr(why, "kernel needs 4096 MiB"));
	/* More RAM than 3 GiB is above the PCI hole, so it still does not fit. */
	assert_int_equal(plan(&im, ram_top(64 * GiB), 0, 0, &lay, why), -ENOMEM);
}

static void test_layout_cmdline(void **state)
{
	struct linux_image im = valid_image();
	struct linux_layout lay;
	char why[LINUX_WHY_SIZE];

	assert_int_equal(plan(&im, 256 * MiB, 0, 2047, &lay, why), 0);
	assert_int_equal(plan(&im, 256 * MiB, 0, 2048, &lay, why), -E2BIG);
	assert_non_null(strstr(why, "2048 bytes"));
	/* A hostile cmdline_size cannot reach past the reserved area. */
	im.cmdline_size = 0xffffffff;
	assert_int_equal(plan(&im, 256 * MiB, 0, 0x10000, &lay, why), -E2BIG);
	assert_int_equal(plan(&im, 256 * MiB, 0, 0xffff, &lay, why), 0);
	assert_int_equal(lay.cmdline_max, 0xffff);
}

static void test_layout_pref_address(void **state)
{
	struct linux_image im = valid_image();
	struct linux_layout lay;
	char why[LINUX_WHY_SIZE];

	/* Misaligned preference: the next kernel_alignment boundary. */
	im.pref_address = 0x1000001;
	assert_int_equal(plan(&im, 256 * MiB, 0, 0, &lay, why), 0);
	assert_int_equal(lay.kernel, 0x1200000);
	/* None given: the lowest aligned address from 1 MiB. */
	im.pref_address = 0;
	assert_int_equal(plan(&im, 256 * MiB, 0, 0, &lay, why), 0);
	assert_int_equal(lay.kernel, 0x200000);
	/* Below 1 MiB would overlap the fixed areas. */
	im.pref_address = 0x7000;
	im.kernel_alignment = 0x1000;
	assert_int_equal(plan(&im, 256 * MiB, 0, 0, &lay, why), 0);
	assert_int_equal(lay.kernel, LINUX_HIGH_MEM);
	/* Hostile: no overflow, a plain error. */
	im.pref_address = 0xfffffffffffff000ull;
	im.kernel_alignment = 0x80000000u;
	assert_int_equal(plan(&im, 256 * MiB, 0, 0, &lay, why), -ENOMEM);
	im.pref_address = 0xbfe00000ull;	/* aligns up to 3 GiB: past RAM */
	assert_int_equal(plan(&im, ram_top(4 * GiB), 0, 0, &lay, why), -ENOMEM);
}

static void test_layout_not_relocatable(void **state)
{
	struct linux_image im = valid_image();
	struct linux_layout lay;
	char why[LINUX_WHY_SIZE];

	im.relocatable = false;
	im.pref_address = 0x1000123;	/* runs there exactly (boot.rst init_size) */
	assert_int_equal(plan(&im, 256 * MiB, 0, 0, &lay, why), 0);
	assert_int_equal(lay.kernel, 0x1000123);
	im.pref_address = 0;
	assert_int_equal(plan(&im, 256 * MiB, 0, 0, &lay, why), -ENOMEM);
	assert_non_null(strstr(why, "not relocatable"));
}

/* ---- zero page ------------------------------------------------------------- */

struct zp_world {
	u8 *img;
	struct linux_image im;
	struct linux_layout lay;
	struct e820_entry e820[LINUX_E820_MAX + 1];
	unsigned n;
	u8 *zp;		/* exactly one page, so ASan sees a write past it */
};

static int zp_setup(void **state)
{
	struct zp_world *w = calloc(1, sizeof(*w));
	char why[LINUX_WHY_SIZE];

	w->img = make_image();
	/* Values a hostile or careless image might carry in loader fields. */
	w->img[0x211] = 0x01 | 0x20 | 0x40 | 0x80;	/* QUIET, KEEP_SEGMENTS, CAN_USE_HEAP */
	w->img[0x210] = 0x71;
	w32(w->img + 0x208, 0xdeadbeef);		/* realmode_swtch hook */
	w16(w->img + 0x224, 0x1234);			/* heap_end_ptr */
	w32(w->img + 0x23c, 2);				/* Xen subarch */
	w64(w->img + 0x250, 0x123456789ull);		/* setup_data */
	w32(w->img + 0x218, 0x5555);			/* ramdisk_image */
	for (unsigned i = 0x26c; i < 0x281; i++)
		w->img[i] = 0xee;			/* past the header: never copied */
	assert_int_equal(parse(w->img, T_LEN, &w->im, why), 0);
	assert_int_equal(plan(&w->im, 256 * MiB, 5 * MiB, 20, &w->lay, why), 0);
	w->n = e820_of(256 * MiB, w->e820, LINUX_E820_MAX);
	w->zp = malloc(LINUX_ZERO_PAGE_SIZE);
	memset(w->zp, 0xcc, LINUX_ZERO_PAGE_SIZE);
	*state = w;
	return 0;
}

static int zp_teardown(void **state)
{
	struct zp_world *w = *state;

	free(w->img);
	free(w->zp);
	free(w);
	return 0;
}

static int fill(struct zp_world *w, u64 rsdp)
{
	return linux_zero_page_fill(w->zp, w->img, T_LEN, &w->im, &w->lay, w->e820, w->n, rsdp);
}

static void test_zp_loader_fields(void **state)
{
	struct zp_world *w = *state;
	u8 *zp = w->zp;

	assert_int_equal(fill(w, 0xe0000), 0);
	assert_int_equal(zp[0x210], 0xff);		/* type_of_loader: undefined */
	assert_int_equal(zp[0x211], 0x01);		/* only LOADED_HIGH */
	assert_int_equal(r16(zp + 0x224), 0);		/* heap_end_ptr */
	assert_int_equal(r32(zp + 0x208), 0);		/* no realmode hook */
	assert_int_equal(r16(zp + 0x1fa), 0xffff);	/* vid_mode normal */
	assert_int_equal(r32(zp + 0x214), T_PREF);	/* code32_start */
	assert_int_equal(r32(zp + 0x228), 0x20000);	/* cmd_line_ptr */
	assert_int_equal(r32(zp + 0x0c8), 0);		/* ext_cmd_line_ptr */
	assert_int_equal(r32(zp + 0x218), w->lay.initrd);
	assert_int_equal(r32(zp + 0x21c), 5 * MiB);
	assert_int_equal(r32(zp + 0x0c0), 0);
	assert_int_equal(r32(zp + 0x0c4), 0);
	assert_int_equal(r32(zp + 0x23c), 0);		/* hardware_subarch PC */
	assert_int_equal(r64(zp + 0x250), 0);		/* no setup_data */
	assert_int_equal(r64(zp + 0x070), 0xe0000);	/* acpi_rsdp_addr */
	assert_int_equal(zp[0x1ef], 0);			/* sentinel: page was zeroed */
}

/* Header bytes the loader does not own arrive at the same offsets, bytes
 * past the header end and the rest of the page are zero. */
static void test_zp_header_copy(void **state)
{
	struct zp_world *w = *state;
	u8 *zp = w->zp;

	assert_int_equal(fill(w, 0), 0);
	assert_int_equal(zp[0x1f1], T_SETUP_SECTS);
	assert_int_equal(r32(zp + 0x1f4), T_SYSSIZE);
	assert_int_equal(r16(zp + 0x1fe), 0xaa55);
	assert_memory_equal(zp + 0x202, "HdrS", 4);
	assert_int_equal(r16(zp + 0x206), 0x020f);
	assert_int_equal(r32(zp + 0x230), T_ALIGN);
	assert_int_equal(r16(zp + 0x236), 0x7f);
	assert_int_equal(r32(zp + 0x238), 2047);
	assert_int_equal(r64(zp + 0x258), T_PREF);
	assert_int_equal(r32(zp + 0x260), T_INIT_SIZE);
	for (unsigned i = 0x26c; i < 0x2d0; i++)
		assert_int_equal(zp[i], 0);
	for (unsigned i = 0; i < 0x1e8; i++)
		assert_int_equal(zp[i], 0);		/* screen_info etc.: no VGA */
	for (unsigned i = 0x2d0 + w->n * 20; i < LINUX_ZERO_PAGE_SIZE; i++)
		assert_int_equal(zp[i], 0);
}

static void test_zp_e820(void **state)
{
	struct zp_world *w = *state;
	u8 *zp = w->zp;

	assert_int_equal(fill(w, 0), 0);
	assert_int_equal(zp[0x1e8], w->n);
	for (unsigned i = 0; i < w->n; i++) {
		const u8 *e = zp + 0x2d0 + i * 20;

		assert_int_equal(r64(e), w->e820[i].addr);
		assert_int_equal(r64(e + 8), w->e820[i].size);
		assert_int_equal(r32(e + 16), w->e820[i].type);
	}
	/* All 128 slots: the table ends at 0xcd0, inside the page. */
	for (unsigned i = 0; i < LINUX_E820_MAX; i++)
		w->e820[i] = (struct e820_entry){ i * 0x1000ull, 0x1000, 1 };
	w->n = LINUX_E820_MAX;
	assert_int_equal(fill(w, 0), 0);
	assert_int_equal(zp[0x1e8], 128);
	assert_int_equal(r64(zp + 0x2d0 + 127 * 20), 127 * 0x1000ull);
	assert_int_equal(zp[0xcd0], 0);
	w->n = LINUX_E820_MAX + 1;
	assert_int_equal(fill(w, 0), -E2BIG);
}

/* Before 2.14 the RSDP field is padding; no initrd means zero fields. */
static void test_zp_old_protocol_no_initrd(void **state)
{
	struct zp_world *w = *state;
	char why[LINUX_WHY_SIZE];

	w->im.version = 0x020d;
	assert_int_equal(plan(&w->im, 256 * MiB, 0, 0, &w->lay, why), 0);
	assert_int_equal(fill(w, 0xe0000), 0);
	assert_int_equal(r64(w->zp + 0x070), 0);
	assert_int_equal(r32(w->zp + 0x218), 0);
	assert_int_equal(r32(w->zp + 0x21c), 0);
}

/* Addresses above 4 GiB split into the header and the ext_ fields. */
static void test_zp_high_addresses(void **state)
{
	struct zp_world *w = *state;

	w->lay.initrd = 0x123456000ull;
	w->lay.initrd_size = 0x100001000ull;
	w->lay.cmdline = 0x200020000ull;
	assert_int_equal(fill(w, 0), 0);
	assert_int_equal(r32(w->zp + 0x218), 0x23456000);
	assert_int_equal(r32(w->zp + 0x0c0), 1);
	assert_int_equal(r32(w->zp + 0x21c), 0x00001000);
	assert_int_equal(r32(w->zp + 0x0c4), 1);
	assert_int_equal(r32(w->zp + 0x228), 0x20000);
	assert_int_equal(r32(w->zp + 0x0c8), 2);
}

/* A header length at the jump's reach (0x281) is copied, no further; a
 * forged struct linux_image cannot make the copy read or write past. */
static void test_zp_hostile_lengths(void **state)
{
	struct zp_world *w = *state;

	w->img[0x201] = 0x7f;
	w->img[0x280] = 0x42;
	assert_int_equal(linux_image_parse(w->img, T_LEN, &w->im, NULL, 0), 0);
	assert_int_equal(fill(w, 0), 0);
	assert_int_equal(w->zp[0x280], 0x42);
	assert_int_equal(w->zp[0x281], 0);
	w->im.hdr_end = 0x282;
	assert_int_equal(fill(w, 0), -EINVAL);
	w->im.hdr_end = 0x1000;
	assert_int_equal(fill(w, 0), -EINVAL);
	w->im.hdr_end = 0x267;
	assert_int_equal(fill(w, 0), -EINVAL);
	w->im.hdr_end = 0x26c;
	assert_int_equal(linux_zero_page_fill(w->zp, w->img, 0x26b, &w->im, &w->lay,
					      w->e820, w->n, 0), -EINVAL);
}

/* ---- a real kernel, when one is given --------------------------------------- */

static u8 *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	u8 *buf;
	long size;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size > 0);
	rewind(f);
	buf = malloc((size_t)size);
	assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	*len = (size_t)size;
	return buf;
}

static void test_real_bzimage(void **state)
{
	const char *path = getenv("KEEL_TEST_BZIMAGE");
	struct linux_image im;
	struct linux_layout lay;
	struct e820_entry e820[MACHINE_E820_ENTRIES];
	char why[LINUX_WHY_SIZE];
	u8 zp[LINUX_ZERO_PAGE_SIZE];
	size_t len;
	u8 *img;

	if (!path || !*path)
		skip();
	img = read_file(path, &len);
	if (parse(img, len, &im, why))
		fail_msg("%s: %s", path, why);
	print_message("%s: protocol %u.%02u, pref_address 0x%llx, init_size 0x%x (%u MiB), "
		      "kernel %llu bytes at file offset 0x%llx, cmdline_size %u\n",
		      path, im.version >> 8, im.version & 0xff,
		      (unsigned long long)im.pref_address, im.init_size, im.init_size >> 20,
		      (unsigned long long)im.kernel_size, (unsigned long long)im.kernel_offset,
		      im.cmdline_size);
	assert_true(im.version >= 0x020c);
	assert_true(im.kernel_offset + im.kernel_size <= len);
	if (plan(&im, 512 * MiB, 16 * MiB, 64, &lay, why))
		fail_msg("layout: %s", why);
	assert_true(lay.kernel_end <= lay.initrd);
	unsigned n = e820_of(512 * MiB, e820, ARRAY_SIZE(e820));
	assert_int_equal(linux_zero_page_fill(zp, img, len, &im, &lay, e820, n, 0xe0000), 0);
	assert_int_equal(r16(zp + 0x1fe), 0xaa55);
	assert_int_equal(zp[0x210], 0xff);
	assert_int_equal(zp[0x1ef], 0);
	free(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_setup_sects_zero),
		cmocka_unit_test(test_parse_old_protocol),
		cmocka_unit_test(test_parse_magic),
		cmocka_unit_test(test_parse_tiny),
		cmocka_unit_test(test_parse_truncated),
		cmocka_unit_test(test_parse_syssize),
		cmocka_unit_test(test_parse_flags),
		cmocka_unit_test(test_parse_init_size),
		cmocka_unit_test(test_parse_hostile_header),
		cmocka_unit_test(test_parse_alignment),
		cmocka_unit_test(test_layout_basic),
		cmocka_unit_test(test_layout_no_initrd),
		cmocka_unit_test(test_layout_initrd_addr_max),
		cmocka_unit_test(test_layout_initrd_too_big),
		cmocka_unit_test(test_layout_huge_init_size),
		cmocka_unit_test(test_layout_cmdline),
		cmocka_unit_test(test_layout_pref_address),
		cmocka_unit_test(test_layout_not_relocatable),
		cmocka_unit_test_setup_teardown(test_zp_loader_fields, zp_setup, zp_teardown),
		cmocka_unit_test_setup_teardown(test_zp_header_copy, zp_setup, zp_teardown),
		cmocka_unit_test_setup_teardown(test_zp_e820, zp_setup, zp_teardown),
		cmocka_unit_test_setup_teardown(test_zp_old_protocol_no_initrd, zp_setup,
						zp_teardown),
		cmocka_unit_test_setup_teardown(test_zp_high_addresses, zp_setup, zp_teardown),
		cmocka_unit_test_setup_teardown(test_zp_hostile_lengths, zp_setup, zp_teardown),
		cmocka_unit_test(test_real_bzimage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
