/* Guest loaders (vmm/loader_flat.c; the Linux loader comes next). */
#ifndef KEEL_VMM_LOADER_H
#define KEEL_VMM_LOADER_H

#include "types.h"
#include "vmm/vcpu_setup.h"

#define FLAT_LOAD_ADDR 0x8000ull
#define FLAT_STACK_TOP 0x7000ull
#define FLAT_GDT_ADDR  0x500ull
#define FLAT_PML4_ADDR 0x1000ull

struct vm;

/* Copy a flat binary to FLAT_LOAD_ADDR and build what the mode needs
 * (GDT; identity page tables for the first 1 GiB in long mode); fills the
 * vCPU boot state. */
int loader_flat(struct vm *vm, const void *image, size_t size, enum guest_mode mode,
		struct vcpu_boot_state *bs);

#endif
