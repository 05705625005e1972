/*
 * Host tests for vmm/loader/loader_linux.c: a bzImage, initrd and command line
 * loaded into a real vm_create() VM over the fake physical memory, then
 * guest memory read back the way the kernel will find it at its 64-bit
 * entry (Documentation/arch/x86/boot.rst "64-bit Boot Protocol",
 * zero-page.rst; ACPI 6.5 5.2.5-5.2.8 for the RSDP and XSDT; SDM Vol 3
 * 3.4.5 for the GDT and 4.5 for the page tables). The boot state comes
 * from the real vmm/core/vcpu_state.c, loaded into the fake VMCS.
 * With KEEL_TEST_BZIMAGE=/path/to/vmlinuz a real kernel is loaded too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/loader/loader.h"
#include "vmm/loader/linux_boot.h"
#include "vmm/core/vm.h"
#include "vmm/core/vcpu_setup.h"
#include "arch/vmx.h"
#include "arch/cpu.h"
#include "arch/msr.h"
#include "lib/log.h"
#include "fake_hw.h"
#include "fake_mm.h"
#include "fake_kernel.h"

/* The synthetic bzImage: 2 setup sectors after the boot sector, a 4 KiB
 * protected-mode kernel, then a signature tail that syssize leaves out
 * (as a signed Debian kernel has). */
#define T_SETUP_SECTS	2
#define T_KOFF		((T_SETUP_SECTS + 1) * 512)
#define T_SYSSIZE	0x100
#define T_KSIZE		(T_SYSSIZE * 16)
#define T_TAIL		0x300
#define T_LEN		(T_KOFF + T_KSIZE + T_TAIL)
#define T_TAIL_BYTE	0xee
#define T_PREF		0x1000000ull	/* 16 MiB, LOAD_PHYSICAL_ADDR */
#define T_INIT_SIZE	0x2000000u	/* 32 MiB */
#define T_ALIGN		0x200000u
#define T_CMDLINE_SIZE	2047u
#define T_HDR_END	0x26c		/* 0x202 + the jump's 0x6a */
#define T_RAM		(128 * MiB)
#define T_INITRD_SIZE	5000u		/* not a page multiple */
#define T_CMDLINE	"console=ttyS0 earlyprintk=serial root=/dev/ram0 rdinit=/init"

/* Zero page / setup header offsets (zero-page.rst, boot.rst). */
#define ZP_ACPI_RSDP_ADDR	0x070
#define ZP_EXT_RAMDISK_IMAGE	0x0c0
#define ZP_EXT_RAMDISK_SIZE	0x0c4
#define ZP_EXT_CMD_LINE_PTR	0x0c8
#define ZP_E820_ENTRIES		0x1e8
#define ZP_SENTINEL		0x1ef
#define ZP_E820_TABLE		0x2d0
#define HDR_START		0x1f1
#define HDR_SYSSIZE		0x1f4
#define HDR_BOOT_FLAG		0x1fe
#define HDR_MAGIC		0x202
#define HDR_VERSION		0x206
#define HDR_TYPE_OF_LOADER	0x210
#define HDR_LOADFLAGS		0x211
#define HDR_CODE32_START	0x214
#define HDR_RAMDISK_IMAGE	0x218
#define HDR_RAMDISK_SIZE	0x21c
#define HDR_CMD_LINE_PTR	0x228
#define HDR_INITRD_ADDR_MAX	0x22c
#define HDR_KERNEL_ALIGNMENT	0x230
#define HDR_RELOCATABLE		0x234
#define HDR_XLOADFLAGS		0x236
#define HDR_CMDLINE_SIZE	0x238
#define HDR_HARDWARE_SUBARCH	0x23c
#define HDR_SETUP_DATA		0x250
#define HDR_PREF_ADDRESS	0x258
#define HDR_INIT_SIZE		0x260

/* Descriptor bits (SDM Vol 3 3.4.5) and paging-entry bits (4.5). */
#define DESC_ACCESSED	BIT(40)
#define DESC_WRITABLE	BIT(41)		/* data: writable; code: readable */
#define DESC_CODE	BIT(43)
#define DESC_S		BIT(44)
#define DESC_P		BIT(47)
#define DESC_L		BIT(53)
#define DESC_DB		BIT(54)
#define DESC_G		BIT(55)
#define PTE_P		BIT(0)
#define PTE_RW		BIT(1)
#define PTE_PS		BIT(7)
#define PTE_ADDR	0x000ffffffffff000ull
#define AR_L		BIT(13)		/* VMX access rights: 64-bit code (table 25-2) */
#define NO_MAP		(~0ull)

static struct vm *vm;
static u8 *img;
static u8 *initrd;
static struct vcpu_boot_state bs;
static char why[LINUX_WHY_SIZE];

static void w16(u8 *p, u16 v) { p[0] = (u8)v; p[1] = (u8)(v >> 8); }
static void w32(u8 *p, u32 v) { w16(p, (u16)v); w16(p + 2, (u16)(v >> 16)); }
static void w64(u8 *p, u64 v) { w32(p, (u32)v); w32(p + 4, (u32)(v >> 32)); }
static u16 r16(const u8 *p) { return (u16)(p[0] | p[1] << 8); }
static u32 r32(const u8 *p) { return r16(p) | (u32)r16(p + 2) << 16; }
static u64 r64(const u8 *p) { return r32(p) | (u64)r32(p + 4) << 32; }

/* Guest-physical reads; a failed read fails the test. */
static void gread(u64 gpa, void *buf, size_t len)
{
	assert_int_equal(gpa_read(&vm->mem, gpa, buf, len), 0);
}

static u64 g64(u64 gpa)
{
	u8 b[8];

	gread(gpa, b, 8);
	return r64(b);
}

static bool guest_zero(u64 gpa, size_t len)
{
	u8 *b = malloc(len);
	bool zero = true;

	assert_non_null(b);
	gread(gpa, b, len);
	for (size_t i = 0; i < len; i++)
		zero = zero && !b[i];
	free(b);
	return zero;
}

/* A valid 64-bit relocatable bzImage shaped like Debian 12's, exactly
 * T_LEN bytes so ASan sees any read past it. Junk around the header (the
 * byte before it, the bytes past its end) must not reach the zero page;
 * the header's loader-owned fields hold hostile values. */
static u8 *make_image(void)
{
	u8 *p = malloc(T_LEN);

	assert_non_null(p);
	for (unsigned i = 0; i < T_LEN; i++)
		p[i] = (u8)(i * 7 + 3);
	memset(p + T_KOFF + T_KSIZE, T_TAIL_BYTE, T_TAIL);
	memset(p + HDR_START, 0, T_HDR_END - HDR_START);
	p[ZP_SENTINEL] = 0xff;
	p[HDR_START] = T_SETUP_SECTS;
	w32(p + HDR_SYSSIZE, T_SYSSIZE);
	w16(p + 0x1fa, 0xffff);
	w16(p + HDR_BOOT_FLAG, 0xaa55);
	p[0x200] = 0xeb;
	p[0x201] = T_HDR_END - HDR_MAGIC;
	memcpy(p + HDR_MAGIC, "HdrS", 4);
	w16(p + HDR_VERSION, 0x020f);
	p[HDR_TYPE_OF_LOADER] = 0x12;
	p[HDR_LOADFLAGS] = 0x01;		/* LOADED_HIGH */
	w32(p + HDR_RAMDISK_IMAGE, 0xdeadbeef);
	w32(p + HDR_INITRD_ADDR_MAX, 0x7fffffff);
	w32(p + HDR_KERNEL_ALIGNMENT, T_ALIGN);
	p[HDR_RELOCATABLE] = 1;
	p[0x235] = 21;				/* min_alignment */
	w16(p + HDR_XLOADFLAGS, 0x7f);		/* XLF_KERNEL_64 and more */
	w32(p + HDR_CMDLINE_SIZE, T_CMDLINE_SIZE);
	w32(p + HDR_HARDWARE_SUBARCH, 2);
	w64(p + HDR_SETUP_DATA, 0x123456789ull);
	w64(p + HDR_PREF_ADDRESS, T_PREF);
	w32(p + HDR_INIT_SIZE, T_INIT_SIZE);
	return p;
}

/* A fresh VM of ram bytes over a fresh arena big enough for it. */
static void new_vm(u64 ram)
{
	vm_destroy(vm);
	fake_mm_reset(ram + 32 * MiB);
	vm = vm_create("lx", ram, 1);
	assert_non_null(vm);
}

static int setup(void **state)
{
	log_threshold = LOG_WARN;
	vmx_caps = (struct vmx_caps){
		.cr0_fixed0 = CR0_PG | CR0_NE | CR0_PE, .cr0_fixed1 = 0xffffffffu,
		.cr4_fixed0 = CR4_VMXE, .cr4_fixed1 = 0x3767ff,
	};
	memset(fake_vmcs, 0, sizeof(fake_vmcs));
	vm = NULL;
	new_vm(T_RAM);
	img = make_image();
	initrd = malloc(T_INITRD_SIZE);
	assert_non_null(initrd);
	for (unsigned i = 0; i < T_INITRD_SIZE; i++)
		initrd[i] = (u8)((i * 13 + 1) ^ 0x5a);
	memset(&bs, 0xa5, sizeof(bs));
	memset(why, 0, sizeof(why));
	return 0;
}

static int teardown(void **state)
{
	vm_destroy(vm);
	vm = NULL;
	free(img);
	free(initrd);
	fake_mem_free();
	return 0;
}

static int load(const u8 *k, size_t klen, const u8 *rd, size_t rdlen, const char *cmdline)
{
	struct linux_boot_files f = {
		.kernel = k, .kernel_size = klen, .initrd = rd, .initrd_size = rdlen,
		.cmdline = cmdline,
	};

	why[0] = 0;
	return loader_linux(vm, &f, &bs, why, sizeof(why));
}

static void load_ok(void)
{
	int err = load(img, T_LEN, initrd, T_INITRD_SIZE, T_CMDLINE);

	if (err)
		fail_msg("loader_linux: %d: %s", err, why);
}

/* Junk where the loader will write, as a VM's memory holds after its
 * previous life: whatever the loader leaves unwritten shows. */
static void scribble(u64 gpa, size_t len)
{
	u8 *junk = malloc(len);

	assert_non_null(junk);
	memset(junk, 0xff, len);
	assert_int_equal(gpa_write(&vm->mem, gpa, junk, len), 0);
	free(junk);
}

static void read_zero_page(u8 zp[LINUX_ZERO_PAGE_SIZE])
{
	gread(LINUX_ZERO_PAGE_ADDR, zp, LINUX_ZERO_PAGE_SIZE);
}

/* ---- where the pieces land ------------------------------------------------ */

/* The protected-mode kernel, syssize * 16 bytes from (setup_sects + 1) * 512,
 * at pref_address; the signature tail and the real-mode setup stay behind. */
static void test_kernel_bytes(void **state)
{
	u8 buf[T_KSIZE];

	load_ok();
	gread(T_PREF, buf, T_KSIZE);
	assert_memory_equal(buf, img + T_KOFF, T_KSIZE);
	assert_true(guest_zero(T_PREF + T_KSIZE, T_TAIL + 4096));
	assert_true(guest_zero(T_PREF - 4096, 4096));
	assert_true(guest_zero(LINUX_HIGH_MEM, 4096));	/* not also at 1 MiB */
}

/* Top of RAM, page-aligned, clear of the kernel's init_size. */
static void test_initrd(void **state)
{
	u64 addr = ALIGN_DOWN(T_RAM - T_INITRD_SIZE, PAGE_SIZE);
	u8 *buf = malloc(T_INITRD_SIZE);
	u8 zp[LINUX_ZERO_PAGE_SIZE];

	load_ok();
	read_zero_page(zp);
	assert_int_equal(r32(zp + HDR_RAMDISK_IMAGE), addr);
	assert_int_equal(r32(zp + HDR_RAMDISK_SIZE), T_INITRD_SIZE);
	assert_int_equal(r32(zp + ZP_EXT_RAMDISK_IMAGE), 0);
	assert_int_equal(r32(zp + ZP_EXT_RAMDISK_SIZE), 0);
	assert_true(addr >= T_PREF + T_INIT_SIZE);
	assert_true(T_RAM - (addr + T_INITRD_SIZE) < PAGE_SIZE);
	assert_non_null(buf);
	gread(addr, buf, T_INITRD_SIZE);
	assert_memory_equal(buf, initrd, T_INITRD_SIZE);
	assert_true(guest_zero(addr - 64, 64));
	free(buf);
}

static void test_cmdline(void **state)
{
	char buf[sizeof(T_CMDLINE)];
	u8 zp[LINUX_ZERO_PAGE_SIZE];

	scribble(LINUX_CMDLINE_ADDR, 4096);
	load_ok();
	memset(buf, 0x55, sizeof(buf));
	gread(LINUX_CMDLINE_ADDR, buf, sizeof(buf));
	assert_memory_equal(buf, T_CMDLINE, sizeof(T_CMDLINE));	/* with its NUL */
	read_zero_page(zp);
	assert_int_equal(r32(zp + HDR_CMD_LINE_PTR), LINUX_CMDLINE_ADDR);
	assert_int_equal(r32(zp + ZP_EXT_CMD_LINE_PTR), 0);
}

/* The longest line the header allows (cmdline_size, NUL not counted) fits. */
static void test_cmdline_longest(void **state)
{
	char *line = malloc(T_CMDLINE_SIZE + 1);
	char *buf = malloc(T_CMDLINE_SIZE + 1);

	assert_non_null(line);
	assert_non_null(buf);
	scribble(LINUX_CMDLINE_ADDR, LINUX_CMDLINE_AREA);
	memset(line, 'x', T_CMDLINE_SIZE);
	line[T_CMDLINE_SIZE] = 0;
	assert_int_equal(load(img, T_LEN, NULL, 0, line), 0);
	gread(LINUX_CMDLINE_ADDR, buf, T_CMDLINE_SIZE + 1);
	assert_memory_equal(buf, line, T_CMDLINE_SIZE + 1);
	free(line);
	free(buf);
}

/* No initrd, no command line: empty ramdisk fields and an empty string. */
static void test_no_initrd_no_cmdline(void **state)
{
	u8 zp[LINUX_ZERO_PAGE_SIZE];
	u8 c = 0x55;

	scribble(LINUX_CMDLINE_ADDR, 16);
	assert_int_equal(load(img, T_LEN, NULL, 0, NULL), 0);
	read_zero_page(zp);
	assert_int_equal(r32(zp + HDR_RAMDISK_IMAGE), 0);
	assert_int_equal(r32(zp + HDR_RAMDISK_SIZE), 0);
	assert_int_equal(r32(zp + HDR_CMD_LINE_PTR), LINUX_CMDLINE_ADDR);
	gread(LINUX_CMDLINE_ADDR, &c, 1);
	assert_int_equal(c, 0);
	assert_true(guest_zero(T_RAM - 64 * KiB, 64 * KiB));
}

/* ---- the zero page ---------------------------------------------------------- */

static bool loader_owned(unsigned off)
{
	/* Fields a boot loader writes ("Details of Header Fields"). */
	static const struct { unsigned off, len; } owned[] = {
		{ 0x1fa, 2 }, { 0x208, 4 }, { 0x210, 1 }, { 0x211, 1 }, { 0x212, 2 },
		{ 0x214, 4 }, { 0x218, 4 }, { 0x21c, 4 }, { 0x224, 2 }, { 0x226, 1 },
		{ 0x227, 1 }, { 0x228, 4 }, { 0x23c, 4 }, { 0x240, 8 }, { 0x250, 8 },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(owned); i++)
		if (off >= owned[i].off && off < owned[i].off + owned[i].len)
			return true;
	return false;
}

/* The setup header copied from 0x1f1 to the jump's end, nothing around it;
 * the loader's own fields overwritten whatever the image held. */
static void test_zero_page_header(void **state)
{
	u8 zp[LINUX_ZERO_PAGE_SIZE];

	scribble(LINUX_ZERO_PAGE_ADDR, LINUX_ZERO_PAGE_SIZE);
	load_ok();
	read_zero_page(zp);
	for (unsigned off = HDR_START; off < T_HDR_END; off++)
		if (!loader_owned(off) && zp[off] != img[off])
			fail_msg("zero page 0x%x = 0x%02x, image has 0x%02x", off, zp[off], img[off]);
	for (unsigned off = 0; off < HDR_START; off++) {
		bool rsdp = off >= ZP_ACPI_RSDP_ADDR && off < ZP_ACPI_RSDP_ADDR + 8;

		if (!rsdp && off != ZP_E820_ENTRIES && zp[off])
			fail_msg("zero page 0x%x = 0x%02x before the header", off, zp[off]);
	}
	for (unsigned off = T_HDR_END; off < ZP_E820_TABLE; off++)
		if (zp[off])
			fail_msg("zero page 0x%x = 0x%02x past the header", off, zp[off]);
	assert_int_equal(zp[ZP_SENTINEL], 0);
	assert_int_equal(r16(zp + HDR_BOOT_FLAG), 0xaa55);
	assert_memory_equal(zp + HDR_MAGIC, "HdrS", 4);
	assert_int_equal(r32(zp + HDR_SYSSIZE), T_SYSSIZE);
	assert_int_equal(r32(zp + HDR_INIT_SIZE), T_INIT_SIZE);
	assert_int_equal(zp[HDR_TYPE_OF_LOADER], 0xff);
	assert_int_equal(zp[HDR_LOADFLAGS] & 0x01, 0x01);
	assert_int_equal(r32(zp + HDR_CODE32_START), T_PREF);
	assert_int_equal(r32(zp + HDR_HARDWARE_SUBARCH), 0);
	assert_int_equal(r64(zp + HDR_SETUP_DATA), 0);
}

/* e820: low RAM, EBDA, ACPI tables, BIOS, RAM from 1 MiB to the end, then
 * the IO-APIC and local APIC pages; sorted, nothing overlapping. */
static void test_zero_page_e820(void **state)
{
	static const struct e820_entry want[] = {
		{ 0, 0x9fc00, E820_TYPE_RAM },
		{ 0x9fc00, 0x400, E820_TYPE_RESERVED },
		{ PC_ACPI_BASE, PC_ACPI_SIZE, E820_TYPE_ACPI },
		{ 0xf0000, 0x10000, E820_TYPE_RESERVED },
		{ LINUX_HIGH_MEM, T_RAM - LINUX_HIGH_MEM, E820_TYPE_RAM },
		{ 0xfec00000, PAGE_SIZE, E820_TYPE_RESERVED },
		{ 0xfee00000, PAGE_SIZE, E820_TYPE_RESERVED },
	};
	u8 zp[LINUX_ZERO_PAGE_SIZE];

	load_ok();
	read_zero_page(zp);
	assert_int_equal(zp[ZP_E820_ENTRIES], ARRAY_SIZE(want));
	for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
		const u8 *e = zp + ZP_E820_TABLE + i * 20;

		assert_int_equal(r64(e), want[i].addr);
		assert_int_equal(r64(e + 8), want[i].size);
		assert_int_equal(r32(e + 16), want[i].type);
	}
	assert_true(guest_zero(LINUX_ZERO_PAGE_ADDR + ZP_E820_TABLE + ARRAY_SIZE(want) * 20, 20));
}

/* ---- ACPI ---------------------------------------------------------------- */

static u8 sum(const u8 *p, size_t len)
{
	u8 s = 0;

	while (len--)
		s += *p++;
	return s;
}

/* One ACPI table at gpa: inside the reserved area, its checksum right. */
static void check_table(u64 gpa, const char *sig)
{
	u8 hdr[36], *t;
	u32 len;

	assert_true(gpa >= PC_ACPI_BASE && gpa + 36 <= PC_ACPI_BASE + PC_ACPI_SIZE);
	gread(gpa, hdr, 36);
	if (sig)
		assert_memory_equal(hdr, sig, 4);
	len = r32(hdr + 4);
	assert_true(len >= 36 && gpa + len <= PC_ACPI_BASE + PC_ACPI_SIZE);
	t = malloc(len);
	assert_non_null(t);
	gread(gpa, t, len);
	if (sum(t, len))
		fail_msg("ACPI table %.4s at 0x%llx: checksum off by 0x%02x", (char *)t,
			 (unsigned long long)gpa, sum(t, len));
	free(t);
}

/* The RSDP at 0xe0000 (ACPI 6.5 5.2.5.3), named in the zero page, and an
 * XSDT whose every table, FACP and APIC among them, checks out. */
static void test_acpi(void **state)
{
	u8 zp[LINUX_ZERO_PAGE_SIZE], rsdp[36], xsdt[36];
	bool facp = false, apic = false;
	u64 x;

	load_ok();
	read_zero_page(zp);
	assert_int_equal(r64(zp + ZP_ACPI_RSDP_ADDR), PC_ACPI_BASE);
	gread(PC_ACPI_BASE, rsdp, sizeof(rsdp));
	assert_memory_equal(rsdp, "RSD PTR ", 8);
	assert_int_equal(sum(rsdp, 20), 0);
	assert_true(rsdp[15] >= 2);
	assert_int_equal(r32(rsdp + 20), 36);
	assert_int_equal(sum(rsdp, 36), 0);
	check_table(r32(rsdp + 16), "RSDT");
	x = r64(rsdp + 24);
	check_table(x, "XSDT");
	gread(x, xsdt, sizeof(xsdt));
	assert_true(r32(xsdt + 4) > 36);
	for (u32 off = 36; off < r32(xsdt + 4); off += 8) {
		u64 t = g64(x + off);
		char sig[4];

		check_table(t, NULL);
		gread(t, sig, 4);
		facp = facp || !memcmp(sig, "FACP", 4);
		apic = apic || !memcmp(sig, "APIC", 4);
	}
	assert_true(facp);
	assert_true(apic);
}

/* Protocol 2.13 has padding where 2.14 put acpi_rsdp_addr: leave it zero;
 * the kernel finds the RSDP by scanning 0xe0000-0xfffff. */
static void test_acpi_old_protocol(void **state)
{
	u8 zp[LINUX_ZERO_PAGE_SIZE], sig[8];

	w16(img + HDR_VERSION, 0x020d);
	load_ok();
	read_zero_page(zp);
	assert_int_equal(r64(zp + ZP_ACPI_RSDP_ADDR), 0);
	gread(PC_ACPI_BASE, sig, 8);
	assert_memory_equal(sig, "RSD PTR ", 8);
}

/* ---- GDT, page tables, entry state ------------------------------------------ */

/* Base 0, limit 0xfffff in 4 KiB units: flat 4 GiB. */
static void check_flat(u64 d)
{
	assert_int_equal((d & 0xffff) | ((d >> 32) & 0xf0000), 0xfffff);
	assert_int_equal(((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000), 0);
	assert_true(d & DESC_G);
	assert_true(d & DESC_P);
	assert_true(d & DESC_S);
}

static void test_gdt(void **state)
{
	u64 code, data;

	load_ok();
	assert_int_equal(g64(LINUX_GDT_ADDR), 0);
	code = g64(LINUX_GDT_ADDR + LINUX_BOOT_CS);
	data = g64(LINUX_GDT_ADDR + LINUX_BOOT_DS);
	check_flat(code);
	assert_true(code & DESC_CODE);
	assert_true(code & DESC_WRITABLE);	/* readable */
	assert_true(code & DESC_L);
	assert_false(code & DESC_DB);		/* L = 1 needs D = 0 */
	assert_int_equal((code >> 45) & 3, 0);	/* DPL 0 */
	check_flat(data);
	assert_false(data & DESC_CODE);
	assert_true(data & DESC_WRITABLE);
	assert_true(data & DESC_DB);
	assert_int_equal((data >> 45) & 3, 0);
	assert_int_equal(bs.gdtr_base, LINUX_GDT_ADDR);
	assert_int_equal(bs.gdtr_limit, 4 * 8 - 1);
	/* The cached segments the vCPU starts with match the GDT, which the
	 * kernel reloads from: access byte and flags, plus "accessed". */
	assert_int_equal(bs.seg[SEG_CS].ar, (((code >> 40) & 0xf0ff) | 1));
	assert_int_equal(bs.seg[SEG_DS].ar, (((data >> 40) & 0xf0ff) | 1));
}

/* A 4-level walk from cr3 (SDM Vol 3 4.5), requiring present and writable
 * at every level; NO_MAP where it stops. */
static u64 walk(u64 cr3, u64 va)
{
	u64 e = cr3 & PTE_ADDR;

	for (int shift = 39; shift >= 12; shift -= 9) {
		e = g64((e & PTE_ADDR) + ((va >> shift) & 511) * 8);
		if ((e & (PTE_P | PTE_RW)) != (PTE_P | PTE_RW))
			return NO_MAP;
		if (shift == 21 && (e & PTE_PS))
			return (e & PTE_ADDR & ~(u64)(LARGE_PAGE_SIZE - 1)) | (va & (LARGE_PAGE_SIZE - 1));
		if (shift == 30 && (e & PTE_PS))
			return NO_MAP;	/* the loader uses 2 MiB pages */
	}
	return (e & PTE_ADDR) | (va & (PAGE_SIZE - 1));
}

static void test_page_tables(void **state)
{
	u64 pml4 = LINUX_PT_ADDR, pdpt, pd0;

	load_ok();
	assert_int_equal(bs.cr3, LINUX_PT_ADDR);
	pdpt = g64(pml4) & PTE_ADDR;
	assert_true(pdpt >= LINUX_PT_ADDR && pdpt < LINUX_PT_END);
	pd0 = g64(pdpt) & PTE_ADDR;
	assert_true(pd0 >= LINUX_PT_ADDR && pd0 < LINUX_PT_END);
	assert_true(g64(pd0) & PTE_PS);
	assert_int_equal(walk(bs.cr3, 0), 0);
	assert_int_equal(walk(bs.cr3, 16 * MiB), 16 * MiB);
	assert_int_equal(walk(bs.cr3, 0xfee00000), 0xfee00000);
	assert_int_equal(walk(bs.cr3, 0xfec00123), 0xfec00123);
	assert_int_equal(walk(bs.cr3, 0xffffffff), 0xffffffff);
	for (u64 va = 0; va < 4 * GiB; va += LARGE_PAGE_SIZE)
		if (walk(bs.cr3, va + 0x1234) != va + 0x1234)
			fail_msg("0x%llx is not identity mapped", (unsigned long long)va);
	assert_int_equal(walk(bs.cr3, 4 * GiB), NO_MAP);
	assert_int_equal(g64(pml4 + 8), 0);
	assert_int_equal(g64(pml4 + 511 * 8), 0);
}

/* "64-bit Boot Protocol": long mode with paging, CS = __BOOT_CS, data
 * segments __BOOT_DS, interrupts off, RSI = zero page, RIP = load + 0x200. */
static void test_boot_state(void **state)
{
	load_ok();
	assert_int_equal(bs.rip, T_PREF + LINUX_ENTRY64_OFFSET);
	assert_int_equal(bs.gpr[RSI], LINUX_ZERO_PAGE_ADDR);
	assert_int_equal(bs.seg[SEG_CS].sel, LINUX_BOOT_CS);
	assert_true(bs.seg[SEG_CS].ar & AR_L);
	for (int i = SEG_ES; i <= SEG_GS; i++)
		if (i != SEG_CS)
			assert_int_equal(bs.seg[i].sel, LINUX_BOOT_DS);
	assert_int_equal(bs.cr3, LINUX_PT_ADDR);
	assert_int_equal(bs.cr0 & (CR0_PG | CR0_PE), CR0_PG | CR0_PE);
	assert_true(bs.cr4 & CR4_PAE);
	assert_int_equal(bs.efer & (EFER_LME | EFER_LMA), EFER_LME | EFER_LMA);
	assert_false(bs.rflags & RFLAGS_IF);
	assert_true(bs.rflags & BIT(1));	/* reserved, always 1 */
	for (int i = 0; i < 16; i++)
		if (i != RSI)
			assert_int_equal(bs.gpr[i], 0);
}

/* The state boot/main.c hands to vcpu_set_boot_state() is one the VMCS
 * accepts: IA-32e mode guest on, CR0/CR4 shadows as asked. */
static void test_boot_state_vmcs(void **state)
{
	struct vcpu *v = vm->vcpus[0];

	load_ok();
	assert_int_equal(vcpu_set_boot_state(v, &bs), 0);
	assert_int_equal(fake_vmcs[VMCS_GUEST_RIP], T_PREF + LINUX_ENTRY64_OFFSET);
	assert_int_equal(fake_vmcs[VMCS_GUEST_CR3], LINUX_PT_ADDR);
	assert_int_equal(fake_vmcs[VMCS_GUEST_CS_SELECTOR], LINUX_BOOT_CS);
	assert_int_equal(fake_vmcs[VMCS_GUEST_SS_SELECTOR], LINUX_BOOT_DS);
	assert_true(v->entry_controls & ENTRY_IA32E_MODE_GUEST);
	assert_int_equal(v->regs.gpr[RSI], LINUX_ZERO_PAGE_ADDR);
}

/* ---- failures ------------------------------------------------------------ */

/* A refused load says why and writes nothing: the zero page, command line,
 * page tables, ACPI area and load address are still zero, bs untouched. */
static void check_refused(int err, int want, const char *word)
{
	struct vcpu_boot_state untouched;

	memset(&untouched, 0xa5, sizeof(untouched));
	assert_int_equal(err, want);
	if (!why[0])
		fail_msg("error %d without a reason", err);
	if (word && !strstr(why, word))
		fail_msg("why \"%s\" does not mention %s", why, word);
	assert_true(guest_zero(LINUX_PT_ADDR, LINUX_ZERO_PAGE_ADDR + LINUX_ZERO_PAGE_SIZE -
			       LINUX_PT_ADDR));
	assert_true(guest_zero(LINUX_CMDLINE_ADDR, 4096));
	assert_true(guest_zero(PC_ACPI_BASE, 64));
	if (vm->mem.ram_size > T_PREF)
		assert_true(guest_zero(T_PREF, 4096));
	assert_memory_equal(&bs, &untouched, sizeof(bs));
}

static void test_not_bzimage(void **state)
{
	u8 *zeros = calloc(1, T_LEN);
	u8 elf[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };

	assert_non_null(zeros);
	check_refused(load(zeros, T_LEN, NULL, 0, NULL), -EINVAL, NULL);
	check_refused(load(elf, sizeof(elf), NULL, 0, NULL), -EINVAL, NULL);
	check_refused(load(img, 0x100, NULL, 0, NULL), -EINVAL, NULL);
	/* Truncated inside the protected-mode kernel. */
	check_refused(load(img, T_KOFF + T_KSIZE - 1, NULL, 0, NULL), -EINVAL, "truncated");
	img[HDR_MAGIC] = 'h';
	check_refused(load(img, T_LEN, NULL, 0, NULL), -EINVAL, "HdrS");
	free(zeros);
}

/* A bzImage without the 64-bit entry point cannot be booted this way. */
static void test_no_64bit_entry(void **state)
{
	w16(img + HDR_XLOADFLAGS, 0x7e);
	check_refused(load(img, T_LEN, initrd, T_INITRD_SIZE, T_CMDLINE), -ENOTSUP,
		      "XLF_KERNEL_64");
}

/* 32 MiB at 16 MiB does not fit 40 MiB of RAM; 48 MiB just does. */
static void test_ram_too_small(void **state)
{
	new_vm(40 * MiB);
	check_refused(load(img, T_LEN, NULL, 0, T_CMDLINE), -ENOMEM, "init_size");
	new_vm(48 * MiB);
	assert_int_equal(load(img, T_LEN, NULL, 0, T_CMDLINE), 0);
}

/* 128 MiB of RAM less the 48 MiB the kernel owns leaves 80 MiB. The
 * initrd buffer is a single byte: a loader that copied would trip ASan. */
static void test_initrd_too_large(void **state)
{
	u8 one = 0;

	check_refused(load(img, T_LEN, &one, 80 * MiB + 1, T_CMDLINE), -ENOMEM, "initrd");
	check_refused(load(img, T_LEN, &one, 1ull << 40, T_CMDLINE), -ENOMEM, "initrd");
}

static void test_cmdline_too_long(void **state)
{
	char *line = malloc(T_CMDLINE_SIZE + 2);

	assert_non_null(line);
	memset(line, 'y', T_CMDLINE_SIZE + 1);
	line[T_CMDLINE_SIZE + 1] = 0;
	check_refused(load(img, T_LEN, initrd, T_INITRD_SIZE, line), -E2BIG, "command line");
	free(line);
}

/* The hypervisor runs out of pages for the zero page or ACPI tables:
 * an error with a reason, not a crash. */
static void test_out_of_memory(void **state)
{
	fake_page_fail_after = fake_pages_allocated;
	check_refused(load(img, T_LEN, initrd, T_INITRD_SIZE, T_CMDLINE), -ENOMEM, NULL);
	fake_page_fail_after = fake_pages_allocated + 1;
	assert_int_equal(load(img, T_LEN, initrd, T_INITRD_SIZE, T_CMDLINE), -ENOMEM);
	assert_true(why[0]);
	assert_int_equal(fake_pages_allocated, fake_page_fail_after - 1);	/* no leak */
}

/* ---- a real kernel, when one is given ------------------------------------ */

static u8 *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long size;
	u8 *buf;

	if (!f)
		fail_msg("%s: cannot open", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size > 0);
	rewind(f);
	buf = malloc((size_t)size);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	*len = (size_t)size;
	return buf;
}

/* Debian's vmlinuz in a 192 MiB VM with a 1 MiB initrd: loaded at its
 * aligned pref_address, entry at +0x200, a sane zero page. */
static void test_real_bzimage(void **state)
{
	const char *path = getenv("KEEL_TEST_BZIMAGE");
	const u64 ram = 192 * MiB, rd_size = MiB;
	u8 zp[LINUX_ZERO_PAGE_SIZE], *k, *buf, *rd;
	struct linux_image li;
	size_t len;
	u64 load_at;
	int err;

	if (!path || !*path)
		skip();
	k = read_file(path, &len);
	assert_int_equal(linux_image_parse(k, len, &li, why, sizeof(why)), 0);
	new_vm(ram);
	rd = calloc(1, rd_size);
	assert_non_null(rd);
	memcpy(rd, "070701", 6);	/* a cpio "newc" magic, for show */
	err = load(k, len, rd, rd_size, "console=ttyS0");
	if (err)
		fail_msg("%s: %d: %s", path, err, why);
	load_at = bs.rip - LINUX_ENTRY64_OFFSET;
	print_message("%s: protocol %u.%02u, loaded at 0x%llx, init_size %u MiB\n", path,
		      li.version >> 8, li.version & 0xff, (unsigned long long)load_at,
		      li.init_size >> 20);
	assert_true(load_at >= li.pref_address);
	assert_int_equal(load_at % li.kernel_alignment, 0);
	assert_true(load_at + li.init_size <= ram);
	buf = malloc(li.kernel_size);
	assert_non_null(buf);
	gread(load_at, buf, li.kernel_size);
	assert_memory_equal(buf, k + li.kernel_offset, li.kernel_size);
	read_zero_page(zp);
	assert_int_equal(r16(zp + HDR_BOOT_FLAG), 0xaa55);
	assert_memory_equal(zp + HDR_MAGIC, "HdrS", 4);
	assert_int_equal(r16(zp + HDR_VERSION), li.version);
	assert_int_equal(zp[HDR_TYPE_OF_LOADER], 0xff);
	assert_int_equal(zp[ZP_SENTINEL], 0);
	assert_int_equal(r32(zp + HDR_CODE32_START), load_at);
	assert_int_equal(r32(zp + HDR_CMD_LINE_PTR), LINUX_CMDLINE_ADDR);
	assert_true(r32(zp + HDR_RAMDISK_IMAGE) >= load_at + li.init_size);
	assert_true(r32(zp + HDR_RAMDISK_IMAGE) + rd_size <= ram);
	assert_int_equal(r32(zp + HDR_RAMDISK_SIZE), rd_size);
	assert_int_equal(zp[ZP_E820_ENTRIES], MACHINE_E820_ENTRIES);
	if (li.version >= 0x020e)
		assert_int_equal(r64(zp + ZP_ACPI_RSDP_ADDR), PC_ACPI_BASE);
	assert_int_equal(bs.gpr[RSI], LINUX_ZERO_PAGE_ADDR);
	assert_int_equal(walk(bs.cr3, bs.rip), bs.rip);
	free(buf);
	free(rd);
	free(k);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_kernel_bytes),
		T(test_initrd),
		T(test_cmdline),
		T(test_cmdline_longest),
		T(test_no_initrd_no_cmdline),
		T(test_zero_page_header),
		T(test_zero_page_e820),
		T(test_acpi),
		T(test_acpi_old_protocol),
		T(test_gdt),
		T(test_page_tables),
		T(test_boot_state),
		T(test_boot_state_vmcs),
		T(test_not_bzimage),
		T(test_no_64bit_entry),
		T(test_ram_too_small),
		T(test_initrd_too_large),
		T(test_cmdline_too_long),
		T(test_out_of_memory),
		T(test_real_bzimage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
