/*
 * Host tests for vmm/core/guest_mem.c: paging_walk over page tables written into
 * a real gpa_map (no paging; 32-bit paging with 4 KiB, 4 MiB and PSE-36
 * pages; PAE; 4-level with 4 KiB, 2 MiB and 1 GiB leaves; SDM Vol 3
 * 4.3-4.5), faults at every level, tables outside RAM, and linear copies
 * across pages that are not adjacent in guest-physical memory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "vmm/core/guest_mem.h"
#include "vmm/core/vm.h"
#include "arch/vmx.h"
#include "arch/cpu.h"
#include "fake_hw.h"
#include "fake_mm.h"

#define RAM (4 * MiB)
#define P   BIT(0)
#define RW  BIT(1)
#define PS  BIT(7)
#define NX  BIT(63)

/* A 4-level linear address from its indexes, made canonical. */
#define LA(l4, l3, l2, l1, off) \
	(((u64)(l4) << 39) | ((u64)(l3) << 30) | ((u64)(l2) << 21) | ((u64)(l1) << 12) | (off) | \
	 ((l4) >= 256 ? 0xffff000000000000ull : 0))

static struct gpa_map m;

static int setup(void **state)
{
	fake_mm_reset(8 * MiB);
	assert_int_equal(gpa_map_init(&m, RAM), 0);
	return 0;
}

static int teardown(void **state)
{
	gpa_map_destroy(&m);
	assert_int_equal(fake_pages_allocated, 0);
	fake_mem_free();
	return 0;
}

static void put32(u64 gpa, u32 val)
{
	assert_int_equal(gpa_write(&m, gpa, &val, 4), 0);
}

static void put64(u64 gpa, u64 val)
{
	assert_int_equal(gpa_write(&m, gpa, &val, 8), 0);
}

/* The walk's result, or a poison value when it fails. */
static u64 walk(const struct paging_ctx *p, u64 la)
{
	u64 gpa = 0xdeadbeef;

	if (paging_walk(&m, p, la, &gpa))
		return ~0ull;
	return gpa;
}

static void test_paging_off(void **state)
{
	struct paging_ctx p = { .cr0 = CR0_PE, .cr3 = 0x123000 };

	assert_int_equal(walk(&p, 0x12345), 0x12345);
	assert_int_equal(walk(&p, 0xffff0), 0xffff0);
	assert_int_equal(walk(&p, 0x10000000), 0x10000000);	/* outside RAM: not checked */
	/* PAE and LMA mean nothing without CR0.PG. */
	p.cr4 = CR4_PAE;
	p.efer = EFER_LME | EFER_LMA;
	assert_int_equal(walk(&p, 0x7c00), 0x7c00);
}

/* 32-bit paging (SDM Vol 3 4.3): CR3 bits 31:12, 4-byte entries. */
static void setup_32(struct paging_ctx *p)
{
	*p = (struct paging_ctx){ .cr0 = CR0_PE | CR0_PG, .cr3 = 0x300000 | 0x18 };
	put32(0x300000 + 1 * 4, 0x301000 | RW | P);		/* 0x00400000: PT */
	put32(0x301000 + 3 * 4, 0x00123000 | P);		/* 0x00403000 */
	put32(0x300000 + 2 * 4, 0x01c00000 | PS | P);		/* 0x00800000: 4 MiB */
	put32(0x300000 + 3 * 4, 0x01c00000 | (0x05 << 13) | PS | P);	/* PSE-36 */
	put32(0x300000 + 4 * 4, 0x302000 | PS | P);		/* PS: 4 MiB only with CR4.PSE */
	put32(0x302000 + 0x12 * 4, 0x00456000 | P);
	put32(0x300000 + 6 * 4, 0x00800000 | P);		/* PT beyond RAM */
}

static void test_32bit_4k(void **state)
{
	struct paging_ctx p;

	setup_32(&p);
	assert_int_equal(walk(&p, 0x00403abc), 0x123abc);
	assert_int_equal(walk(&p, 0x00403000), 0x123000);
	assert_int_equal(walk(&p, 0x00403fff), 0x123fff);
	/* Only the low 32 bits of the address count. */
	assert_int_equal(walk(&p, 0xffffffff00403abcull), 0x123abc);
	/* PS without CR4.PSE: the PDE points to a page table. */
	assert_int_equal(walk(&p, 0x01012345), 0x456345);
}

static void test_32bit_4m(void **state)
{
	struct paging_ctx p;

	setup_32(&p);
	p.cr4 = CR4_PSE;
	assert_int_equal(walk(&p, 0x00812345), 0x01c12345);
	assert_int_equal(walk(&p, 0x00bfffff), 0x01ffffff);
	/* PDE bits 20:13 are physical-address bits 39:32 (table 4-4). */
	assert_int_equal(walk(&p, 0x00c12345), 0x501c12345ull);
	assert_int_equal(walk(&p, 0x01012345), 0x8100012345ull);
	/* 4 KiB pages still work beside them. */
	assert_int_equal(walk(&p, 0x00403abc), 0x123abc);
}

static void test_32bit_faults(void **state)
{
	struct paging_ctx p;

	setup_32(&p);
	assert_int_equal(walk(&p, 0x01400000), ~0ull);	/* PDE not present */
	assert_int_equal(walk(&p, 0x00404000), ~0ull);	/* PTE not present */
	assert_int_equal(walk(&p, 0x01800000), ~0ull);	/* PT outside RAM */
	p.cr3 = 0x01000000;				/* page directory outside RAM */
	assert_int_equal(walk(&p, 0x00403abc), ~0ull);
}

/* PAE (4.4): CR3 bits 31:5 point to four 8-byte PDPTEs. */
static void setup_pae(struct paging_ctx *p)
{
	*p = (struct paging_ctx){ .cr0 = CR0_PE | CR0_PG, .cr3 = 0x200020, .cr4 = CR4_PAE };
	put64(0x200020 + 3 * 8, 0x201000 | P);			/* 0xc0000000 */
	put64(0x201000 + 1 * 8, 0x202000 | RW | P);		/* 0xc0200000: PT */
	put64(0x202000 + 1 * 8, NX | 0x0000012345678000ull | P);	/* 0xc0201000 */
	put64(0x201000 + 2 * 8, NX | 0x00a00000 | BIT(12) | PS | P);	/* 0xc0400000: 2 MiB */
	put64(0x200020 + 1 * 8, 0x203000 | P);			/* 0x40000000 */
	put64(0x203000, 0x00800000 | P);			/* PT beyond RAM */
}

static void test_pae(void **state)
{
	struct paging_ctx p;

	setup_pae(&p);
	assert_int_equal(walk(&p, 0xc0201abc), 0x12345678abcull);
	assert_int_equal(walk(&p, 0xffffffffc0201abcull), 0x12345678abcull);
	/* 2 MiB: NX and the PAT bit (12) are not address bits. */
	assert_int_equal(walk(&p, 0xc0412345), 0xa12345);
	assert_int_equal(walk(&p, 0xc05fffff), 0xbfffff);
	/* Faults: PDPTE, PDE, PTE not present; a table outside RAM. */
	assert_int_equal(walk(&p, 0x00001000), ~0ull);
	assert_int_equal(walk(&p, 0xc0600000), ~0ull);
	assert_int_equal(walk(&p, 0xc0202000), ~0ull);
	assert_int_equal(walk(&p, 0x40000000), ~0ull);
	/* The PDPT is read at CR3 bits 31:5, not at the page base. */
	p.cr3 = 0x200000;
	assert_int_equal(walk(&p, 0xc0201abc), ~0ull);
}

/* 4-level paging (4.5), tables at 1 MiB and up. */
static void setup_4level(struct paging_ctx *p)
{
	*p = (struct paging_ctx){ .cr0 = CR0_PE | CR0_PG, .cr3 = 0x100000 | 0x123,
				  .cr4 = CR4_PAE, .efer = EFER_LME | EFER_LMA };
	put64(0x100000 + 0x1f3 * 8, 0x101000 | RW | P);		/* PML4E */
	put64(0x101000 + 0x0a7 * 8, 0x102000 | RW | P);		/* PDPTE */
	put64(0x102000 + 0x155 * 8, 0x103000 | RW | P);		/* PDE */
	put64(0x103000 + 0x02b * 8, NX | (0xfull << 59) | 0x000f000012345000ull | P);
	put64(0x102000 + 0x156 * 8, 0x0000004000600000ull | BIT(12) | PS | P);	/* 2 MiB */
	put64(0x101000 + 0x0a8 * 8, NX | 0x0000008040000000ull | BIT(12) | PS | P);	/* 1 GiB */
	put64(0x100000 + 0x1f5 * 8, 0x10000000 | P);		/* PDPT beyond RAM */
	put64(0x101000 + 0x0a9 * 8, 0x00400000 | P);		/* PD just past RAM */
}

static void test_4level_leaves(void **state)
{
	struct paging_ctx p;

	setup_4level(&p);
	assert_int_equal(LA(0x1f3, 0x0a7, 0x155, 0x02b, 0x678), 0xfffff9a9eaa2b678ull);
	assert_int_equal(walk(&p, LA(0x1f3, 0x0a7, 0x155, 0x02b, 0x678)), 0xf000012345678ull);
	assert_int_equal(walk(&p, LA(0x1f3, 0x0a7, 0x156, 0x1ab, 0x321)), 0x40007ab321ull);
	assert_int_equal(walk(&p, LA(0x1f3, 0x0a8, 0x1ff, 0x1ff, 0xfff)), 0x807fffffffull);
	assert_int_equal(walk(&p, LA(0x1f3, 0x0a8, 0x012, 0x034, 0x567)), 0x8042434567ull);
}

static void test_4level_faults(void **state)
{
	struct paging_ctx p;

	setup_4level(&p);
	assert_int_equal(walk(&p, LA(0x1f4, 0x0a7, 0x155, 0x02b, 0)), ~0ull);	/* PML4E */
	assert_int_equal(walk(&p, LA(0x1f3, 0x0aa, 0x155, 0x02b, 0)), ~0ull);	/* PDPTE */
	assert_int_equal(walk(&p, LA(0x1f3, 0x0a7, 0x157, 0x02b, 0)), ~0ull);	/* PDE */
	assert_int_equal(walk(&p, LA(0x1f3, 0x0a7, 0x155, 0x02c, 0)), ~0ull);	/* PTE */
	assert_int_equal(walk(&p, LA(0x1f5, 0, 0, 0, 0)), ~0ull);		/* PDPT outside */
	assert_int_equal(walk(&p, LA(0x1f3, 0x0a9, 0, 0, 0)), ~0ull);		/* PD outside */
	p.cr3 = 0x800000;
	assert_int_equal(walk(&p, LA(0x1f3, 0x0a7, 0x155, 0x02b, 0x678)), ~0ull);
}

/* guest_write/read_linear follow the vCPU's paging page by page: two
 * adjacent linear pages mapped to guest-physical pages in reverse order. */
static void test_linear_copy_across_pages(void **state)
{
	static struct vm vm;
	struct vcpu v = { .vm = &vm };
	u8 out[32], in[32];

	memset(fake_vmcs, 0, sizeof(fake_vmcs));
	vm.mem = m;
	put32(0x300000 + 0 * 4, 0x301000 | RW | P);
	put32(0x301000 + 0x10 * 4, 0x00051000 | RW | P);	/* 0x10000 -> 0x51000 */
	put32(0x301000 + 0x11 * 4, 0x00050000 | RW | P);	/* 0x11000 -> 0x50000 */
	fake_vmcs[VMCS_GUEST_CR0] = CR0_PE | CR0_PG;
	fake_vmcs[VMCS_GUEST_CR3] = 0x300000;
	for (unsigned i = 0; i < sizeof(out); i++)
		out[i] = (u8)(0xc0 + i);
	assert_int_equal(guest_write_linear(&v, 0x11000 - 16, out, sizeof(out)), 0);
	assert_memory_equal(gpa_to_hva(&m, 0x52000 - 16), out, 16);
	assert_memory_equal(gpa_to_hva(&m, 0x50000), out + 16, 16);
	memset(in, 0, sizeof(in));
	assert_int_equal(guest_read_linear(&v, 0x11000 - 16, in, sizeof(in)), 0);
	assert_memory_equal(in, out, sizeof(out));
	/* Into an unmapped page: -EFAULT. */
	assert_int_equal(guest_read_linear(&v, 0x12000 - 4, in, 8), -EFAULT);
	/* Paging off: linear is physical. */
	fake_vmcs[VMCS_GUEST_CR0] = CR0_PE;
	assert_int_equal(guest_read_linear(&v, 0x52000 - 16, in, 16), 0);
	assert_memory_equal(in, out, 16);
	assert_int_equal(guest_read_linear(&v, RAM - 4, in, 8), -EFAULT);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_paging_off),
		T(test_32bit_4k),
		T(test_32bit_4m),
		T(test_32bit_faults),
		T(test_pae),
		T(test_4level_leaves),
		T(test_4level_faults),
		T(test_linear_copy_across_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
