/* Guest loaders: flat test binaries (vmm/loader/loader_flat.c) and Linux (vmm/loader/loader_linux.c). */
#ifndef KEEL_VMM_LOADER_H
#define KEEL_VMM_LOADER_H

#include "types.h"
#include "vmm/core/vcpu_setup.h"

#define FLAT_LOAD_ADDR 0x8000ull
#define FLAT_STACK_TOP 0x8000ull	/* below the image; the page tables end at 0x7000 */
#define FLAT_GDT_ADDR  0x500ull
#define FLAT_PML4_ADDR 0x1000ull

struct vm;

/* Identity-map guest-physical 0-4 GiB with 2 MiB pages: PML4 at pml4, then
 * the PDPT and 4 PDs in the next 5 pages. */
int loader_identity_map_4g(struct vm *vm, u64 pml4);

/* Copy a flat binary to FLAT_LOAD_ADDR and build what the mode needs
 * (GDT; identity page tables for the low 4 GiB in long mode); fills the
 * vCPU boot state. */
int loader_flat(struct vm *vm, const void *image, size_t size, enum guest_mode mode,
		struct vcpu_boot_state *bs);

/* A Linux guest's boot modules, as the boot loader left them in memory. */
struct linux_boot_files {
	const u8 *kernel;	/* bzImage */
	size_t kernel_size;
	const u8 *initrd;	/* may be NULL */
	size_t initrd_size;
	const char *cmdline;	/* may be NULL */
};

/* Load a bzImage, its initrd and command line, the zero page, e820 map and
 * ACPI tables; fill the vCPU's 64-bit entry state. On failure a sentence
 * for the user is in why. */
int loader_linux(struct vm *vm, const struct linux_boot_files *f, struct vcpu_boot_state *bs,
		 char *why, size_t why_size);

#endif
