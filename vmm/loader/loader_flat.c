/*
 * The flat-binary loader for test guests (tests/guests/README.md): the
 * image at 0x8000, entered in real, 32-bit protected or 64-bit mode.
 */
#include "vmm/loader/loader.h"
#include "vmm/core/vm.h"
#include "lib/string.h"

static const u64 flat_gdt[2][3] = {
	/* null, 0x08 code, 0x10 data (SDM Vol 3 3.4.5) */
	[GUEST_PROT32 - 1] = { 0, 0x00cf9a000000ffffull, 0x00cf92000000ffffull },
	[GUEST_LONG - 1] = { 0, 0x00af9a000000ffffull, 0x00cf92000000ffffull },
};

/* PML4 -> PDPT -> 4 PDs of 2 MiB pages at pml4: guest-physical 0-4 GiB,
 * identity, so a guest reaches its RAM and the APIC pages below 4 GiB.
 * The tables take 6 pages from pml4 on. */
int loader_identity_map_4g(struct vm *vm, u64 pml4)
{
	u64 pml4e = (pml4 + 0x1000) | 3;
	int err = gpa_write(&vm->mem, pml4, &pml4e, 8);

	for (u64 i = 0; !err && i < 4; i++) {
		u64 pdpte = (pml4 + 0x2000 + i * 0x1000) | 3;
		err = gpa_write(&vm->mem, pml4 + 0x1000 + i * 8, &pdpte, 8);
	}
	for (u64 i = 0; !err && i < 4 * 512; i++) {
		u64 pde = (i << 21) | 0x83;	/* present, writable, 2 MiB */
		err = gpa_write(&vm->mem, pml4 + 0x2000 + i * 8, &pde, 8);
	}
	return err;
}

int loader_flat(struct vm *vm, const void *image, size_t size, enum guest_mode mode,
		struct vcpu_boot_state *bs)
{
	int err;

	if (!size || FLAT_LOAD_ADDR + size > vm->mem.ram_size)
		return -E2BIG;
	err = gpa_write(&vm->mem, FLAT_LOAD_ADDR, image, size);
	vcpu_boot_state_init(bs, mode, FLAT_LOAD_ADDR, FLAT_STACK_TOP);
	if (!err && mode != GUEST_REAL) {
		err = gpa_write(&vm->mem, FLAT_GDT_ADDR, flat_gdt[mode - 1], sizeof(flat_gdt[0]));
		bs->gdtr_base = FLAT_GDT_ADDR;
		bs->gdtr_limit = sizeof(flat_gdt[0]) - 1;
	}
	if (!err && mode == GUEST_LONG) {
		err = loader_identity_map_4g(vm, FLAT_PML4_ADDR);
		bs->cr3 = FLAT_PML4_ADDR;
	}
	return err;
}
