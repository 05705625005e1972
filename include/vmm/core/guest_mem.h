/* Guest linear (virtual) addresses: paging walks and copies (vmm/core/guest_mem.c). */
#ifndef KEEL_VMM_GUEST_MEM_H
#define KEEL_VMM_GUEST_MEM_H

#include "types.h"
#include "mm/gpa_map.h"

struct vcpu;

struct paging_ctx {
	u64 cr0, cr3, cr4, efer;
};

/* Walk the guest's page tables (none, 32-bit, PAE or 4-level, SDM Vol 3
 * 4.3-4.5) for linear address la. -EFAULT when a table or the page is not
 * present or a table lies outside guest RAM. */
int paging_walk(const struct gpa_map *m, const struct paging_ctx *p, u64 la, u64 *gpa);

/* The same for a vCPU's current state, and copies that cross pages. */
int guest_linear_to_gpa(struct vcpu *v, u64 la, u64 *gpa);
int guest_read_linear(struct vcpu *v, u64 la, void *buf, size_t len);
int guest_write_linear(struct vcpu *v, u64 la, const void *buf, size_t len);

#endif
