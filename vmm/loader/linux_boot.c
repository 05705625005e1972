/*
 * The Linux x86 boot protocol, pure logic: bzImage header checks, guest
 * layout and zero page. Follows the kernel's
 * Documentation/arch/x86/boot.rst, protocol 2.15 ("The Real-Mode Kernel
 * Header", "Details of Header Fields", "Loading The Rest of The Kernel",
 * "64-bit Boot Protocol") and Documentation/arch/x86/zero-page.rst.
 *
 * Every byte of the image is untrusted: a header field is read only after
 * the file is known to hold it, and sizes from the header are combined in
 * 64 bits so no sum can wrap.
 */
#include "vmm/loader/linux_boot.h"
#include "lib/printf.h"
#include "lib/string.h"

/* Setup header fields, boot.rst "The Real-Mode Kernel Header". */
#define HDR_START		0x1f1	/* first header byte: setup_sects */
#define HDR_SETUP_SECTS		0x1f1	/* 1 */
#define HDR_SYSSIZE		0x1f4	/* 4, in 16-byte paragraphs */
#define HDR_VID_MODE		0x1fa	/* 2 */
#define HDR_BOOT_FLAG		0x1fe	/* 2, 0xAA55 */
#define HDR_JUMP		0x200	/* 2: 0xEB, then the header length */
#define HDR_MAGIC		0x202	/* 4, "HdrS" */
#define HDR_VERSION		0x206	/* 2 */
#define HDR_REALMODE_SWTCH	0x208	/* 4 */
#define HDR_TYPE_OF_LOADER	0x210	/* 1 */
#define HDR_LOADFLAGS		0x211	/* 1 */
#define HDR_SETUP_MOVE_SIZE	0x212	/* 2 */
#define HDR_CODE32_START	0x214	/* 4 */
#define HDR_RAMDISK_IMAGE	0x218	/* 4 */
#define HDR_RAMDISK_SIZE	0x21c	/* 4 */
#define HDR_HEAP_END_PTR	0x224	/* 2 */
#define HDR_EXT_LOADER_VER	0x226	/* 1 */
#define HDR_EXT_LOADER_TYPE	0x227	/* 1 */
#define HDR_CMD_LINE_PTR	0x228	/* 4 */
#define HDR_INITRD_ADDR_MAX	0x22c	/* 4 */
#define HDR_KERNEL_ALIGNMENT	0x230	/* 4 */
#define HDR_RELOCATABLE		0x234	/* 1 */
#define HDR_XLOADFLAGS		0x236	/* 2 */
#define HDR_CMDLINE_SIZE	0x238	/* 4 */
#define HDR_HARDWARE_SUBARCH	0x23c	/* 4 */
#define HDR_SUBARCH_DATA	0x240	/* 8 */
#define HDR_SETUP_DATA		0x250	/* 8 */
#define HDR_PREF_ADDRESS	0x258	/* 8 */
#define HDR_INIT_SIZE		0x260	/* 4 */
#define HDR_MIN_END		0x268	/* a 2.12 header runs through handover_offset */
#define HDR_MAX_END		0x281	/* 0x202 + 127, the jump's reach ("The kernel_info") */

#define BOOT_FLAG		0xaa55
#define HDRS_MAGIC		0x53726448	/* "HdrS" little-endian */
#define JMP_SHORT		0xeb
#define PROTOCOL_MIN		0x020c		/* 2.12: xloadflags, 64-bit entry */
#define PROTOCOL_RSDP		0x020e		/* 2.14: kernels read acpi_rsdp_addr */
#define SETUP_SECTS_MAX		63		/* real-mode code "can total up to 32K" */
#define SECTOR			512

#define LOADFLAGS_LOADED_HIGH	BIT(0)	/* protected-mode code at 0x100000: bzImage */
#define XLF_KERNEL_64		BIT(0)	/* 64-bit entry point at +0x200 */
#define LOADER_UNDEFINED	0xff	/* type_of_loader for loaders without an id */
#define VID_MODE_NORMAL		0xffff	/* "vga=normal" */

/* Zero page (struct boot_params) fields, zero-page.rst. */
#define ZP_ACPI_RSDP_ADDR	0x070	/* 8 */
#define ZP_EXT_RAMDISK_IMAGE	0x0c0	/* 4, high 32 bits */
#define ZP_EXT_RAMDISK_SIZE	0x0c4	/* 4 */
#define ZP_EXT_CMD_LINE_PTR	0x0c8	/* 4 */
#define ZP_E820_ENTRIES		0x1e8	/* 1 */
#define ZP_E820_TABLE		0x2d0	/* 128 entries of 20 bytes, to 0xcd0 */
#define E820_ENTRY_SIZE		20	/* packed: u64 addr, u64 size, u32 type */

STATIC_ASSERT(ZP_E820_TABLE + LINUX_E820_MAX * E820_ENTRY_SIZE <= LINUX_ZERO_PAGE_SIZE,
	      "e820_table fits the zero page");
STATIC_ASSERT(HDR_MAX_END <= ZP_E820_TABLE, "the setup header ends before the e820 table");

static u16 get16(const u8 *p) { return (u16)(p[0] | p[1] << 8); }
static u32 get32(const u8 *p) { return get16(p) | (u32)get16(p + 2) << 16; }
static u64 get64(const u8 *p) { return get32(p) | (u64)get32(p + 4) << 32; }

static void put16(u8 *p, u16 v) { p[0] = (u8)v; p[1] = (u8)(v >> 8); }
static void put32(u8 *p, u32 v) { put16(p, (u16)v); put16(p + 2, (u16)(v >> 16)); }
static void put64(u8 *p, u64 v) { put32(p, (u32)v); put32(p + 4, (u32)(v >> 32)); }

static u64 mib_up(u64 bytes) { return bytes / MiB + (bytes % MiB != 0); }

/* Write the reason for a failure, if the caller wants one, and pass err on. */
static __printf(4, 5) int fail(char *why, size_t size, int err, const char *fmt, ...)
{
	va_list ap;

	if (why && size) {
		va_start(ap, fmt);
		keel_vsnprintf(why, size, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* The magic numbers, protocol version and header length; none of the rest
 * of the header is read before these pass. */
static int parse_magic(const u8 *img, size_t len, struct linux_image *out,
		       char *why, size_t size)
{
	u16 version;
	int end;

	if (len < HDR_VERSION + 2)
		return fail(why, size, -EINVAL, "%zu bytes is too short for a Linux image", len);
	if (get16(img + HDR_BOOT_FLAG) != BOOT_FLAG)
		return fail(why, size, -EINVAL, "no boot flag 0xAA55 at 0x1fe: not a Linux kernel");
	if (get32(img + HDR_MAGIC) != HDRS_MAGIC)
		return fail(why, size, -EINVAL, "no \"HdrS\" at 0x202: not a bzImage");
	version = get16(img + HDR_VERSION);
	if (version < PROTOCOL_MIN)
		return fail(why, size, -ENOTSUP, "boot protocol %u.%02u is older than 2.12",
			    version >> 8, version & 0xff);
	/* The jump's signed offset from 0x202 is the header's length ("jump"). */
	if (img[HDR_JUMP] != JMP_SHORT)
		return fail(why, size, -EINVAL, "no short jump at 0x200: header length unknown");
	end = HDR_MAGIC + (s8)img[HDR_JUMP + 1];
	if (end < HDR_MIN_END || end > HDR_MAX_END)
		return fail(why, size, -EINVAL, "setup header of protocol %u.%02u ends at 0x%x",
			    version >> 8, version & 0xff, end);
	if (len < (size_t)end)
		return fail(why, size, -EINVAL, "image truncated: %zu bytes, header needs %d",
			    len, end);
	out->version = version;
	out->hdr_end = (u32)end;
	return 0;
}

/* Read the fields the loader uses, all of them inside the checked header. */
static void parse_fields(const u8 *img, struct linux_image *out)
{
	out->setup_sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
	out->loadflags = img[HDR_LOADFLAGS];
	out->xloadflags = get16(img + HDR_XLOADFLAGS);
	out->relocatable = img[HDR_RELOCATABLE] != 0;
	out->syssize = get32(img + HDR_SYSSIZE);
	out->kernel_offset = (u64)(out->setup_sects + 1) * SECTOR;
	out->kernel_size = (u64)out->syssize * 16;
	out->pref_address = get64(img + HDR_PREF_ADDRESS);
	out->kernel_alignment = get32(img + HDR_KERNEL_ALIGNMENT);
	out->init_size = get32(img + HDR_INIT_SIZE);
	out->cmdline_size = get32(img + HDR_CMDLINE_SIZE);
	out->initrd_addr_max = get32(img + HDR_INITRD_ADDR_MAX);
}

/* Whether this kernel can be entered at its 64-bit entry and fits its file. */
static int parse_check(const struct linux_image *im, size_t len, char *why, size_t size)
{
	u32 align = im->kernel_alignment;

	if (!(im->loadflags & LOADFLAGS_LOADED_HIGH))
		return fail(why, size, -ENOTSUP, "loadflags 0x%02x lack LOADED_HIGH: a zImage",
			    im->loadflags);
	if (!(im->xloadflags & XLF_KERNEL_64))
		return fail(why, size, -ENOTSUP,
			    "xloadflags 0x%x lack XLF_KERNEL_64: no 64-bit entry point",
			    im->xloadflags);
	if (im->setup_sects > SETUP_SECTS_MAX)
		return fail(why, size, -EINVAL, "setup_sects %u: real-mode code over 32 KiB",
			    im->setup_sects);
	if (!im->syssize)
		return fail(why, size, -EINVAL, "syssize is 0: no protected-mode kernel");
	if (im->kernel_offset + im->kernel_size > len)
		return fail(why, size, -EINVAL, "image truncated: %zu bytes, header says %llu",
			    len, (unsigned long long)(im->kernel_offset + im->kernel_size));
	if (im->init_size < im->kernel_size)
		return fail(why, size, -EINVAL, "init_size %u is smaller than the %llu-byte kernel",
			    im->init_size, (unsigned long long)im->kernel_size);
	if (im->relocatable && (!align || (align & (align - 1))))
		return fail(why, size, -EINVAL, "kernel_alignment 0x%x is not a power of two",
			    align);
	return 0;
}

int linux_image_parse(const u8 *img, size_t len, struct linux_image *out,
		      char *why, size_t why_size)
{
	struct linux_image im = { 0 };
	int err = parse_magic(img, len, &im, why, why_size);

	if (err)
		return err;
	parse_fields(img, &im);
	err = parse_check(&im, len, why, why_size);
	if (!err)
		*out = im;
	return err;
}

/*
 * Where the kernel goes. boot.rst ("init_size") puts the runtime start of a
 * relocatable kernel at align_up(load address, kernel_alignment) and of any
 * other at pref_address, and init_size bytes from there must be RAM. We load
 * at that runtime start, so load address and runtime start are one. A
 * relocatable kernel still gets pref_address (or the next aligned address):
 * Linux's decompressor never runs below it (LOAD_PHYSICAL_ADDR, the value
 * header.S puts in pref_address), so a lower load address would only hide
 * a too-small RAM until the guest fails. Never below 1 MiB, where the
 * fixed areas are.
 */
static int plan_kernel(const struct linux_image *im, u64 ram, struct linux_layout *out,
		       char *why, size_t size)
{
	u64 align = MAX((u64)im->kernel_alignment, PAGE_SIZE);
	u64 start = im->pref_address;

	if (!im->relocatable && start < LINUX_HIGH_MEM)
		return fail(why, size, -ENOMEM, "kernel is not relocatable and wants 0x%llx",
			    (unsigned long long)start);
	if (im->relocatable) {
		start = MAX(start, LINUX_HIGH_MEM);
		if (start <= ram)	/* a start past RAM fails below; no wrap here */
			start = ALIGN_UP(start, align);
	}
	if (start > ram || im->init_size > ram - start)
		return fail(why, size, -ENOMEM,
			    "kernel needs %llu MiB at 0x%llx (init_size), RAM is %llu MiB",
			    (unsigned long long)mib_up(im->init_size),
			    (unsigned long long)start, (unsigned long long)(ram / MiB));
	out->kernel = start;
	out->kernel_end = start + im->init_size;
	out->entry64 = start + LINUX_ENTRY64_OFFSET;
	return 0;
}

/*
 * The initrd goes as high as it may ("initrd_addr_max" in boot.rst: the
 * highest byte it may occupy), page-aligned, above the kernel's init_size
 * so the decompressor cannot overwrite it.
 */
static int plan_initrd(const struct linux_image *im, u64 ram, u64 initrd_size,
		       struct linux_layout *out, char *why, size_t size)
{
	u64 top = MIN(ram, (u64)im->initrd_addr_max + 1);
	u64 addr;

	out->initrd = 0;
	out->initrd_size = initrd_size;
	if (!initrd_size)
		return 0;
	addr = initrd_size <= top ? ALIGN_DOWN(top - initrd_size, PAGE_SIZE) : 0;
	if (initrd_size > top || addr < out->kernel_end)
		return fail(why, size, -ENOMEM, "initrd of %llu MiB does not fit in RAM of %llu MiB"
			    " (above the kernel, below 0x%llx)",
			    (unsigned long long)mib_up(initrd_size),
			    (unsigned long long)(ram / MiB), (unsigned long long)top);
	out->initrd = addr;
	return 0;
}

int linux_layout_plan(const struct linux_image *image, u64 ram, u64 initrd_size,
		      size_t cmdline_len, struct linux_layout *out,
		      char *why, size_t why_size)
{
	struct linux_layout lay = {
		.zero_page = LINUX_ZERO_PAGE_ADDR,
		.cmdline = LINUX_CMDLINE_ADDR,
		/* cmdline_size excludes the NUL ("cmdline_size" in boot.rst). */
		.cmdline_max = MIN((u64)image->cmdline_size, LINUX_CMDLINE_AREA - 1),
	};
	int err;

	if (cmdline_len > lay.cmdline_max)
		return fail(why, why_size, -E2BIG,
			    "command line of %zu bytes is longer than the %llu the kernel takes",
			    cmdline_len, (unsigned long long)lay.cmdline_max);
	err = plan_kernel(image, ram, &lay, why, why_size) ?:
	      plan_initrd(image, ram, initrd_size, &lay, why, why_size);
	if (!err)
		*out = lay;
	return err;
}

/*
 * The setup-header fields a boot loader writes ("Details of Header
 * Fields"); each is set here whatever the image held there, so a hostile
 * header cannot pass a hook, a setup_data list or a subarch to the kernel.
 * CAN_USE_HEAP stays clear and heap_end_ptr 0: the heap is for the
 * real-mode setup code, which the 64-bit entry skips. KEEP_SEGMENTS is
 * obsolete, QUIET_FLAG is the caller's choice.
 */
static void zp_header_fields(u8 *zp, const struct linux_layout *lay)
{
	put16(zp + HDR_VID_MODE, VID_MODE_NORMAL);
	put32(zp + HDR_REALMODE_SWTCH, 0);
	zp[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED;
	zp[HDR_LOADFLAGS] = LOADFLAGS_LOADED_HIGH;
	put16(zp + HDR_SETUP_MOVE_SIZE, 0);
	put32(zp + HDR_CODE32_START, (u32)lay->kernel);
	put32(zp + HDR_RAMDISK_IMAGE, (u32)lay->initrd);
	put32(zp + HDR_RAMDISK_SIZE, lay->initrd ? (u32)lay->initrd_size : 0);
	put16(zp + HDR_HEAP_END_PTR, 0);
	zp[HDR_EXT_LOADER_VER] = 0;
	zp[HDR_EXT_LOADER_TYPE] = 0;
	put32(zp + HDR_CMD_LINE_PTR, (u32)lay->cmdline);
	put32(zp + HDR_HARDWARE_SUBARCH, 0);	/* the default x86/PC */
	put64(zp + HDR_SUBARCH_DATA, 0);
	put64(zp + HDR_SETUP_DATA, 0);

	/* High halves live outside the header (zero-page.rst). */
	put32(zp + ZP_EXT_RAMDISK_IMAGE, (u32)(lay->initrd >> 32));
	put32(zp + ZP_EXT_RAMDISK_SIZE, lay->initrd ? (u32)(lay->initrd_size >> 32) : 0);
	put32(zp + ZP_EXT_CMD_LINE_PTR, (u32)(lay->cmdline >> 32));
}

/*
 * Filled as "64-bit Boot Protocol" says: a zeroed page, the setup header
 * from 0x1f1 to 0x202 + the byte at 0x201, then the loader's fields. The
 * sentinel at 0x1ef stays 0 (the image has 0xff there) so the kernel knows
 * the page was zeroed. screen_info stays zero: Linux's VGA console gives up
 * when orig_video_lines or orig_video_cols is 0 and uses its dummy console.
 */
int linux_zero_page_fill(u8 zp[LINUX_ZERO_PAGE_SIZE], const u8 *img, size_t img_len,
			 const struct linux_image *image, const struct linux_layout *layout,
			 const struct e820_entry *e820, unsigned n, u64 rsdp_gpa)
{
	u32 end = image->hdr_end;

	memset(zp, 0, LINUX_ZERO_PAGE_SIZE);
	if (end < HDR_MIN_END || end > HDR_MAX_END || end > img_len)
		return -EINVAL;
	if (n > LINUX_E820_MAX)
		return -E2BIG;
	memcpy(zp + HDR_START, img + HDR_START, end - HDR_START);
	zp_header_fields(zp, layout);

	/* Kernels before 2.14 have padding at 0x070 and scan 0xe0000-0xfffff
	 * for the RSDP instead, which finds it in the machine's ACPI area. */
	if (image->version >= PROTOCOL_RSDP)
		put64(zp + ZP_ACPI_RSDP_ADDR, rsdp_gpa);

	zp[ZP_E820_ENTRIES] = (u8)n;
	for (unsigned i = 0; i < n; i++) {
		u8 *e = zp + ZP_E820_TABLE + i * E820_ENTRY_SIZE;

		put64(e, e820[i].addr);
		put64(e + 8, e820[i].size);
		put32(e + 16, e820[i].type);
	}
	return 0;
}
