/*
 * The Linux loader: a bzImage entered through the 64-bit boot protocol
 * (Documentation/arch/x86/boot.rst, "64-bit Boot Protocol"), with the
 * initrd, the command line, an e820 map and per-VM ACPI tables. The
 * protocol's arithmetic lives in vmm/loader/linux_boot.c; this file copies the
 * pieces into guest memory and sets the vCPU's entry state.
 */
#include "vmm/loader/loader.h"
#include "vmm/loader/linux_boot.h"
#include "vmm/machine/acpi_build.h"
#include "vmm/core/vm.h"
#include "mm/mm.h"
#include "lib/printf.h"
#include "lib/string.h"

/* null, unused, __BOOT_CS 0x10 (64-bit code), __BOOT_DS 0x18 (flat data):
 * SDM Vol 3 3.4.5 descriptor format. */
static const u64 linux_gdt[4] = { 0, 0, 0x00af9a000000ffffull, 0x00cf92000000ffffull };

static int linux_acpi_tables(struct vm *vm, u64 *rsdp)
{
	struct acpi_build_cfg cfg = acpi_build_cfg_for(&vm->layout, vm->nvcpus);
	size_t used;
	u8 *buf = page_alloc_zero(PC_ACPI_SIZE / PAGE_SIZE);
	int err;

	if (!buf)
		return -ENOMEM;
	err = acpi_build(&cfg, buf, PC_ACPI_SIZE, PC_ACPI_BASE, &used);
	err = err ?: gpa_write(&vm->mem, PC_ACPI_BASE, buf, used);
	page_free(buf, PC_ACPI_SIZE / PAGE_SIZE);
	*rsdp = PC_ACPI_BASE;
	return err;
}

/* The vCPU state at the 64-bit entry: long mode, paging on, the GDT above,
 * CS = __BOOT_CS, data segments __BOOT_DS, interrupts off, RSI = zero page. */
static void linux_boot_state(const struct linux_layout *lay, struct vcpu_boot_state *bs)
{
	vcpu_boot_state_init(bs, GUEST_LONG, lay->entry64, 0);
	for (int i = SEG_ES; i <= SEG_GS; i++)
		bs->seg[i].sel = LINUX_BOOT_DS;
	bs->seg[SEG_CS].sel = LINUX_BOOT_CS;
	bs->gdtr_base = LINUX_GDT_ADDR;
	bs->gdtr_limit = sizeof(linux_gdt) - 1;
	bs->cr3 = LINUX_PT_ADDR;
	bs->gpr[RSI] = lay->zero_page;
}

int loader_linux(struct vm *vm, const struct linux_boot_files *f, struct vcpu_boot_state *bs,
		 char *why, size_t why_size)
{
	struct e820_entry e820[MACHINE_E820_ENTRIES];
	struct linux_image li;
	struct linux_layout lay;
	size_t cmdline_len = f->cmdline ? strlen(f->cmdline) : 0;
	u8 *zp;
	u64 rsdp = 0;
	unsigned n;
	int err;

	err = linux_image_parse(f->kernel, f->kernel_size, &li, why, why_size);
	err = err ?: linux_layout_plan(&li, vm->layout.low_ram_end, f->initrd_size, cmdline_len, &lay,
				       why, why_size);
	if (err)
		return err;
	zp = page_alloc_zero(1);
	if (!zp) {
		keel_snprintf(why, why_size, "no host memory for the zero page");
		return -ENOMEM;
	}
	n = machine_e820(&vm->layout, e820, ARRAY_SIZE(e820));
	err = linux_acpi_tables(vm, &rsdp);
	if (err) {
		keel_snprintf(why, why_size, "cannot build the ACPI tables (error %d)", err);
		page_free(zp, 1);
		return err;
	}
	err = linux_zero_page_fill(zp, f->kernel, f->kernel_size, &li, &lay, e820, n, rsdp);
	err = err ?: gpa_write(&vm->mem, lay.zero_page, zp, LINUX_ZERO_PAGE_SIZE);
	page_free(zp, 1);
	err = err ?: gpa_write(&vm->mem, lay.kernel, f->kernel + li.kernel_offset, li.kernel_size);
	if (!err && f->initrd_size)
		err = gpa_write(&vm->mem, lay.initrd, f->initrd, f->initrd_size);
	err = err ?: gpa_write(&vm->mem, lay.cmdline, f->cmdline ? f->cmdline : "", cmdline_len);
	err = err ?: gpa_write(&vm->mem, lay.cmdline + cmdline_len, "", 1);
	err = err ?: gpa_write(&vm->mem, LINUX_GDT_ADDR, linux_gdt, sizeof(linux_gdt));
	/* boot.rst wants the kernel, zero page and command line identity
	 * mapped; the whole low 4 GiB covers them and the initrd. */
	err = err ?: loader_identity_map_4g(vm, LINUX_PT_ADDR);
	if (err) {
		keel_snprintf(why, why_size, "cannot write the guest's memory (error %d)", err);
		return err;
	}
	linux_boot_state(&lay, bs);
	return 0;
}
