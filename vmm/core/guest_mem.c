/*
 * Guest linear-address translation for the emulators (string I/O, MMIO
 * instruction fetch, hypercall buffers given as pointers). Only presence is
 * checked: the access itself is done by Keel on the guest's behalf, and a
 * page the guest did not map is an error the caller reports.
 */
#include "vmm/core/guest_mem.h"
#include "vmm/core/vcpu.h"
#include "vmm/core/vm.h"
#include "arch/cpu.h"
#include "arch/hw.h"
#include "arch/vmx.h"

#define PTE_P  BIT(0)
#define PTE_PS BIT(7)
#define PTE_ADDR 0x000ffffffffff000ull

static int read_entry(const struct gpa_map *m, u64 gpa, unsigned size, u64 *ent)
{
	*ent = 0;
	return gpa_read(m, gpa, ent, size);
}

/* 32-bit paging: two levels of 4-byte entries, 4 MiB pages with PSE (4.3). */
static int walk_32(const struct gpa_map *m, const struct paging_ctx *p, u32 la, u64 *gpa)
{
	u64 pde, pte;

	if (read_entry(m, (p->cr3 & 0xfffff000u) + ((la >> 22) << 2), 4, &pde) || !(pde & PTE_P))
		return -EFAULT;
	if ((pde & PTE_PS) && (p->cr4 & CR4_PSE)) {
		*gpa = (pde & 0xffc00000u) | ((pde & 0x1fe000ull) << 19) | (la & 0x3fffff);
		return 0;
	}
	if (read_entry(m, (pde & 0xfffff000u) + (((la >> 12) & 0x3ff) << 2), 4, &pte) || !(pte & PTE_P))
		return -EFAULT;
	*gpa = (pte & 0xfffff000u) | (la & 0xfff);
	return 0;
}

/* PAE and 4-level paging: 8-byte entries, 9 bits a level (4.4, 4.5). */
static int walk_long(const struct gpa_map *m, const struct paging_ctx *p, u64 la, u64 *gpa, bool pae)
{
	int level = pae ? 2 : 3;
	u64 table = pae ? (p->cr3 & 0xffffffe0u) : (p->cr3 & PTE_ADDR);
	u64 ent;

	if (pae) {	/* the 4 PDPTEs, indexed by bits 31:30 */
		if (read_entry(m, table + ((la >> 30) & 3) * 8, 8, &ent) || !(ent & PTE_P))
			return -EFAULT;
		table = ent & PTE_ADDR;
		level = 1;
	}
	for (; level >= 0; level--) {
		unsigned shift = 12 + 9 * level;
		if (read_entry(m, table + ((la >> shift) & 511) * 8, 8, &ent) || !(ent & PTE_P))
			return -EFAULT;
		if (level == 0 || (level <= 2 && (ent & PTE_PS))) {
			u64 span = 1ull << shift;
			*gpa = (ent & PTE_ADDR & ~(span - 1)) | (la & (span - 1));
			return 0;
		}
		table = ent & PTE_ADDR;
	}
	return -EFAULT;
}

int paging_walk(const struct gpa_map *m, const struct paging_ctx *p, u64 la, u64 *gpa)
{
	if (!(p->cr0 & CR0_PG)) {
		*gpa = la;
		return 0;
	}
	if (p->efer & EFER_LMA)
		return walk_long(m, p, la, gpa, false);
	if (p->cr4 & CR4_PAE)
		return walk_long(m, p, (u32)la, gpa, true);
	return walk_32(m, p, (u32)la, gpa);
}

int guest_linear_to_gpa(struct vcpu *v, u64 la, u64 *gpa)
{
	struct paging_ctx p = {
		.cr0 = vmcs_readnat(GUEST_CR0),
		.cr3 = vmcs_readnat(GUEST_CR3),
		.cr4 = vmcs_readnat(GUEST_CR4),
		.efer = vmcs_read64(GUEST_IA32_EFER),
	};

	return paging_walk(&v->vm->mem, &p, la, gpa);
}

/* Copy page piece by page piece: consecutive linear pages need not be
 * consecutive guest-physical pages. */
static int guest_copy_linear(struct vcpu *v, u64 la, void *buf, size_t len, bool to_guest)
{
	u8 *b = buf;

	while (len) {
		size_t chunk = MIN(len, PAGE_SIZE - (la & (PAGE_SIZE - 1)));
		u64 gpa;
		int err = guest_linear_to_gpa(v, la, &gpa);
		if (!err)
			err = to_guest ? gpa_write(&v->vm->mem, gpa, b, chunk)
				       : gpa_read(&v->vm->mem, gpa, b, chunk);
		if (err)
			return err;
		la += chunk;
		b += chunk;
		len -= chunk;
	}
	return 0;
}

int guest_read_linear(struct vcpu *v, u64 la, void *buf, size_t len)
{
	return guest_copy_linear(v, la, buf, len, false);
}

int guest_write_linear(struct vcpu *v, u64 la, const void *buf, size_t len)
{
	return guest_copy_linear(v, la, (void *)buf, len, true);
}
