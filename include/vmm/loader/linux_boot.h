/*
 * The Linux x86 boot protocol as pure logic (vmm/loader/linux_boot.c): parse a
 * bzImage's setup header, choose where everything goes in guest-physical
 * memory and fill the zero page (struct boot_params) with the e820 map.
 * Follows Documentation/arch/x86/boot.rst (protocol 2.15) and
 * Documentation/arch/x86/zero-page.rst. Nothing here touches guest memory:
 * the loader copies the bytes and sets up the vCPU.
 *
 * Order of use:
 *   linux_image_parse(img)            -> struct linux_image
 *   linux_layout_plan(image, RAM...)  -> struct linux_layout
 *   machine_e820(layout, map)         -> the VM's map (include/vmm/machine/layout.h)
 *   linux_zero_page_fill(zp, ...)     -> 4 KiB for layout.zero_page
 * then copy img[kernel_offset, +kernel_size) to layout.kernel, the initrd to
 * layout.initrd, the command line and its NUL to layout.cmdline, and enter
 * the 64-bit entry ("64-bit Boot Protocol" in boot.rst): long mode, paging
 * on, identity map covering the kernel's init_size, the zero page and the
 * command line; a GDT with flat 4 GiB LINUX_BOOT_CS (execute/read) and
 * LINUX_BOOT_DS (read/write); CS = LINUX_BOOT_CS, DS = ES = SS =
 * LINUX_BOOT_DS; interrupts off; RSI = layout.zero_page; RIP = layout.entry64.
 */
#ifndef KEEL_VMM_LINUX_BOOT_H
#define KEEL_VMM_LINUX_BOOT_H

#include "types.h"
#include "vmm/machine/layout.h"

/*
 * Fixed low guest-physical areas. The loader writes the GDT and page tables
 * itself; this module only keeps the kernel and initrd clear of them.
 */
#define LINUX_GDT_ADDR		0x500ull	/* GDT: null, 0x08 unused, 0x10 code, 0x18 data */
#define LINUX_PT_ADDR		0x1000ull	/* PML4; PDPT at +0x1000; 4 PDs at +0x2000.. */
#define LINUX_PT_END		0x7000ull	/* identity map of 4 GiB in 2 MiB pages */
#define LINUX_ZERO_PAGE_ADDR	0x7000ull	/* struct boot_params, 4 KiB */
#define LINUX_ZERO_PAGE_SIZE	4096u
#define LINUX_CMDLINE_ADDR	0x20000ull	/* the kernel command line and its NUL */
#define LINUX_CMDLINE_AREA	0x10000ull	/* bytes reserved for it (to 0x30000) */
#define LINUX_HIGH_MEM		0x100000ull	/* lowest kernel/initrd address: 1 MiB */

#define LINUX_BOOT_CS		0x10		/* __BOOT_CS of the 64-bit entry */
#define LINUX_BOOT_DS		0x18		/* __BOOT_DS */
#define LINUX_ENTRY64_OFFSET	0x200		/* 64-bit entry: load address + 0x200 */

#define LINUX_WHY_SIZE		128		/* enough for every failure message */

/* What linux_image_parse() learnt from a bzImage's setup header. */
struct linux_image {
	u16 version;		/* boot protocol, (major << 8) | minor */
	u8 setup_sects;		/* real-mode setup sectors, 0 already read as 4 */
	u8 loadflags;		/* as in the file */
	u16 xloadflags;
	bool relocatable;
	u32 syssize;		/* protected-mode kernel, 16-byte paragraphs */
	u32 hdr_end;		/* file offset one past the setup header */
	u64 kernel_offset;	/* protected-mode kernel: (setup_sects + 1) * 512 */
	u64 kernel_size;	/* ... and its length, syssize * 16 */
	u64 pref_address;
	u32 kernel_alignment;
	u32 init_size;		/* memory it needs from its runtime start */
	u32 cmdline_size;	/* longest command line, NUL not counted */
	u32 initrd_addr_max;	/* highest byte an initrd may occupy */
};

/* Guest-physical placement chosen by linux_layout_plan(). */
struct linux_layout {
	u64 zero_page;		/* LINUX_ZERO_PAGE_ADDR */
	u64 cmdline;		/* LINUX_CMDLINE_ADDR */
	u64 cmdline_max;	/* longest command line allowed, NUL not counted */
	u64 kernel;		/* load address of the protected-mode kernel */
	u64 kernel_end;		/* kernel + init_size: the kernel owns [kernel, kernel_end) */
	u64 entry64;		/* kernel + LINUX_ENTRY64_OFFSET */
	u64 initrd;		/* 0 when there is none */
	u64 initrd_size;
};

#define LINUX_E820_MAX		128	/* room in the zero page */

/*
 * Check a bzImage for the 64-bit boot protocol: magic numbers, protocol
 * 2.12 or newer, LOADED_HIGH, XLF_KERNEL_64, length, sane sizes. Returns 0,
 * -EINVAL (malformed) or -ENOTSUP (valid, but not bootable this way); on
 * failure a sentence for the user is written to why (may be NULL).
 */
int linux_image_parse(const u8 *img, size_t len, struct linux_image *out,
		      char *why, size_t why_size);

/*
 * Place zero page, command line, kernel and initrd in a guest whose RAM
 * runs from 0 to ram_top (the machine layout's low_ram_end: the kernel and
 * initrd go below the PCI hole). initrd_size 0 means no initrd. Returns 0,
 * -E2BIG (command line too long) or -ENOMEM (does not fit), with why.
 */
int linux_layout_plan(const struct linux_image *image, u64 ram_top, u64 initrd_size,
		      size_t cmdline_len, struct linux_layout *out,
		      char *why, size_t why_size);


/*
 * Fill the zero page: zeroed, the image's setup header copied in, then the
 * boot loader's fields (loader type, flags, command line, initrd, e820,
 * RSDP). rsdp_gpa 0 means none. QUIET_FLAG is left clear; a loader that
 * wants it sets LINUX_LOADFLAGS_QUIET at zp[LINUX_ZP_LOADFLAGS] afterwards.
 * Returns 0, or -EINVAL / -E2BIG when image or n do not fit the page.
 */
int linux_zero_page_fill(u8 zp[LINUX_ZERO_PAGE_SIZE], const u8 *img, size_t img_len,
			 const struct linux_image *image, const struct linux_layout *layout,
			 const struct e820_entry *e820, unsigned n, u64 rsdp_gpa);

#define LINUX_ZP_LOADFLAGS	0x211
#define LINUX_LOADFLAGS_QUIET	BIT(5)	/* QUIET_FLAG: no early messages */

#endif
