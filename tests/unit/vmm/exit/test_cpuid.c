/*
 * Host tests for vmm/exit/cpuid.c: cpuid_guest() over a fake host CPUID that
 * sets every bit, so each bit Keel hides shows up as a cleared bit (SDM
 * Vol 2A, CPUID, tables 3-8 to 3-10; Keel's leaves in
 * include/vmm/exit/hypercall.h), and the VM's topology in leaves 1, 4, 0xB,
 * 0x1F and 0x80000008 (SDM Vol 3 9.9), one package of nvcpus cores.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "vmm/exit/cpuid.h"
#include "vmm/exit/hypercall.h"
#include "fake_hw.h"

static unsigned host_calls;
static u32 host_leaf, host_subleaf;
static unsigned nvcpus;		/* the VM's, for guest() */

/* A host that reports every feature, and EBX of leaf 1 with APIC ID 0x0a,
 * 16 logical processors and CLFLUSH size 8. */
static void host_all_ones(u32 leaf, u32 subleaf, struct cpuid_regs *r)
{
	host_calls++;
	host_leaf = leaf;
	host_subleaf = subleaf;
	r->eax = r->ebx = r->ecx = r->edx = 0xffffffffu;
	if (leaf == 1) {
		r->eax = 0x000906ea;
		r->ebx = 0x0a100800;
		r->ecx = 0x7fffffffu;	/* no hypervisor on bare metal */
	}
}

/* The same host without OSXSAVE set (its own CR4.OSXSAVE clear). */
static void host_no_osxsave(u32 leaf, u32 subleaf, struct cpuid_regs *r)
{
	host_all_ones(leaf, subleaf, r);
	if (leaf == 1)
		r->ecx &= ~BIT(27);
}

static int setup(void **state)
{
	fake_cpuid_fn = host_all_ones;
	host_calls = 0;
	host_leaf = host_subleaf = 0xdead;
	nvcpus = 1;
	return 0;
}

static struct cpuid_regs guest(u32 leaf, u32 subleaf, unsigned vcpu_id, bool osxsave, bool invpcid)
{
	struct cpuid_guest_state g = { .vcpu_id = vcpu_id, .nvcpus = nvcpus, .osxsave = osxsave,
					.invpcid = invpcid };
	struct cpuid_regs r;

	memset(&r, 0x5a, sizeof(r));
	cpuid_guest(leaf, subleaf, &g, &r);
	return r;
}

static void test_leaf1_features(void **state)
{
	struct cpuid_regs r = guest(1, 0, 0, true, false);

	assert_int_equal(r.eax, 0x000906ea);
	assert_true(r.ecx & BIT(31));		/* hypervisor present */
	assert_false(r.ecx & BIT(5));		/* VMX */
	assert_false(r.ecx & BIT(6));		/* SMX */
	assert_false(r.ecx & BIT(3));		/* MONITOR/MWAIT */
	assert_true(r.ecx & BIT(27));		/* OSXSAVE: the guest has it */
	/* Exactly: DTES64, MONITOR, DS-CPL, VMX, SMX, EIST, TM2, PDCM gone. */
	assert_int_equal(r.ecx, 0xfffffffful & ~(BIT(2) | BIT(3) | BIT(4) | BIT(5) | BIT(6) |
						 BIT(7) | BIT(8) | BIT(15)));
	/* MTRR, DS, ACPI, TM, PBE gone from EDX; HTT clear: one logical processor. */
	assert_int_equal(r.edx, 0xfffffffful & ~(BIT(12) | BIT(21) | BIT(22) | BIT(28) | BIT(29) |
						 BIT(31)));
	assert_int_equal(host_leaf, 1);
}

static void test_leaf1_osxsave_follows_guest(void **state)
{
	assert_false(guest(1, 0, 0, false, false).ecx & BIT(27));
	assert_true(guest(1, 0, 0, true, false).ecx & BIT(27));
	fake_cpuid_fn = host_no_osxsave;
	assert_true(guest(1, 0, 0, true, false).ecx & BIT(27));
	assert_false(guest(1, 0, 0, false, false).ecx & BIT(27));
}

/* EBX 31:24 initial APIC ID = vCPU id, 23:16 one logical processor,
 * 15:0 (brand index, CLFLUSH size) from the host. */
static void test_leaf1_apic_id(void **state)
{
	assert_int_equal(guest(1, 0, 0, false, false).ebx, 0x00010800);
	assert_int_equal(guest(1, 0, 3, false, false).ebx, 0x03010800);
	assert_int_equal(guest(1, 0, 255, false, false).ebx, 0xff010800);
	assert_int_equal(guest(0xb, 0, 7, false, false).edx, 7);	/* x2APIC ID */
	assert_int_equal(guest(0xb, 1, 7, false, false).edx, 7);
	assert_int_equal(guest(0xb, 5, 7, false, false).edx, 7);
	assert_int_equal(guest(0x1f, 0, 2, false, false).edx, 2);
}

/* Leaf 1 with more vCPUs: EBX[23:16] is the number of APIC IDs the package
 * reserves, the power of two >= nvcpus; HTT says the field is valid. */
static void test_leaf1_topology(void **state)
{
	static const struct { unsigned n, ids; } t[] = {
		{ 1, 1 }, { 2, 2 }, { 3, 4 }, { 4, 4 }, { 5, 8 }, { 8, 8 }, { 9, 16 }, { 16, 16 },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
		struct cpuid_regs r;

		nvcpus = t[i].n;
		r = guest(1, 0, t[i].n - 1, false, false);
		assert_int_equal(r.ebx, ((t[i].n - 1) << 24) | (t[i].ids << 16) | 0x0800);
		assert_int_equal(!!(r.edx & BIT(28)), t[i].n > 1);
		assert_true(r.edx & BIT(9));			/* APIC */
		assert_int_equal(r.eax, 0x000906ea);		/* signature untouched */
	}
}

/* A host with an L1 data cache, an L2 and an L3, then no more (CPUID.4
 * subleaves 0-3), claiming 64 cores and 8 threads per cache. */
static void host_caches(u32 leaf, u32 subleaf, struct cpuid_regs *r)
{
	static const u32 type_level[] = { 0x21 /* L1 data */, 0x43 /* L2 unified */,
					  0x63 /* L3 unified */, 0 };

	host_all_ones(leaf, subleaf, r);
	if (leaf == 4 && subleaf < ARRAY_SIZE(type_level)) {
		r->eax = type_level[subleaf] ? (63u << 26) | (7u << 14) | 0x100 | type_level[subleaf] : 0;
		r->ebx = subleaf == 3 ? 0 : 0x01c0003f;
		r->ecx = subleaf == 3 ? 0 : 0x3f;
		r->edx = subleaf == 3 ? 0 : 1;
	}
}

/* Leaf 4: EAX[31:26] = cores - 1, EAX[25:14] = sharing threads - 1, both
 * as powers of two: one thread per core, L3 shared by the package. */
static void test_leaf4_topology(void **state)
{
	struct cpuid_regs r;

	fake_cpuid_fn = host_caches;
	nvcpus = 3;				/* 4 core IDs */
	r = guest(4, 0, 1, false, false);
	assert_int_equal(r.eax, (3u << 26) | 0x100 | 0x21);
	assert_int_equal(r.ebx, 0x01c0003f);	/* the cache's geometry is the host's */
	assert_int_equal(r.ecx, 0x3f);
	assert_int_equal(host_subleaf, 0);
	r = guest(4, 1, 1, false, false);
	assert_int_equal(r.eax, (3u << 26) | 0x100 | 0x43);
	r = guest(4, 2, 1, false, false);
	assert_int_equal(r.eax, (3u << 26) | (3u << 14) | 0x100 | 0x63);
	r = guest(4, 3, 1, false, false);	/* no more caches: all zero */
	assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);

	nvcpus = 1;
	r = guest(4, 2, 0, false, false);
	assert_int_equal(r.eax, 0x100 | 0x63);
	nvcpus = 16;
	r = guest(4, 2, 0, false, false);
	assert_int_equal(r.eax, (15u << 26) | (15u << 14) | 0x100 | 0x63);
}

/* Leaves 0xB and 0x1F: SMT level of one thread, core level of nvcpus
 * cores whose shift covers every APIC ID, then an invalid level; ECX[7:0]
 * echoes the subleaf, EDX is the x2APIC ID on every subleaf. */
static void test_leaf_b_topology(void **state)
{
	static const u32 leaves[] = { 0xb, 0x1f };

	for (unsigned l = 0; l < ARRAY_SIZE(leaves); l++) {
		struct cpuid_regs r;

		nvcpus = 3;
		r = guest(leaves[l], 0, 2, false, false);
		assert_int_equal(r.eax, 0);
		assert_int_equal(r.ebx, 1);
		assert_int_equal(r.ecx, 0x100);		/* level type 1: SMT */
		assert_int_equal(r.edx, 2);
		r = guest(leaves[l], 1, 2, false, false);
		assert_int_equal(r.eax, 2);		/* 4 core IDs */
		assert_int_equal(r.ebx, 3);
		assert_int_equal(r.ecx, 0x201);		/* level type 2: core */
		assert_int_equal(r.edx, 2);
		r = guest(leaves[l], 2, 2, false, false);
		assert_int_equal(r.eax | r.ebx, 0);
		assert_int_equal(r.ecx, 2);		/* level type 0: invalid */
		assert_int_equal(r.edx, 2);
		r = guest(leaves[l], 0x1234, 1, false, false);
		assert_int_equal(r.ecx, 0x34);
		assert_int_equal(r.edx, 1);
	}
}

/* Every leaf tells the same story for every VM size: the package's APIC ID
 * count of leaf 1 is 1 << the core level's shift in leaf 0xB and leaf 4's
 * core count; every vCPU's ID shifted right by it is package 0. */
static void test_topology_consistent(void **state)
{
	fake_cpuid_fn = host_caches;
	for (nvcpus = 1; nvcpus <= 16; nvcpus++) {
		u32 shift = guest(0xb, 1, 0, false, false).eax;
		u32 ids = (guest(1, 0, 0, false, false).ebx >> 16) & 0xff;

		assert_int_equal(ids, 1u << shift);
		assert_int_equal((guest(4, 0, 0, false, false).eax >> 26) + 1, ids);
		assert_int_equal(guest(0xb, 1, 0, false, false).ebx, nvcpus);
		for (unsigned id = 0; id < nvcpus; id++)
			assert_int_equal(id >> shift, 0);
		assert_true(nvcpus > ids / 2);		/* no more IDs than needed */
	}
}

/* Leaf 0x80000008 ECX: cores - 1 in 7:0, their APIC ID bits in 15:12; the
 * other bits stay the host's. */
static void test_leaf_80000008(void **state)
{
	nvcpus = 1;
	assert_int_equal(guest(0x80000008, 0, 0, false, false).ecx, 0xffff0f00u);
	nvcpus = 6;
	assert_int_equal(guest(0x80000008, 0, 0, false, false).ecx, 0xffff3f05u);
	nvcpus = 16;
	assert_int_equal(guest(0x80000008, 0, 0, false, false).ecx, 0xffff4f0fu);
	assert_int_equal(guest(0x80000008, 0, 0, false, false).eax, 0xffffffffu);
}

static void test_keel_leaves(void **state)
{
	struct cpuid_regs r = guest(KEEL_CPUID_SIGNATURE_LEAF, 0, 0, false, false);
	char sig[13];

	assert_true(r.eax >= 0x40000001u);
	assert_int_equal(r.eax, KEEL_CPUID_STATS_LEAF);
	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	sig[12] = 0;
	assert_string_equal(sig, "KeelKeelKeel");
	assert_int_equal(r.ebx, 0x6c65654b);	/* 'K' 'e' 'e' 'l' little-endian */

	r = guest(KEEL_CPUID_VERSION_LEAF, 0, 0, false, false);
	assert_int_equal(r.eax, 0x00010001);
	assert_int_equal(r.ebx | r.ecx | r.edx, 0);
	/* The statistics leaf is per vCPU: exit_cpuid answers it, not the filter. */
	r = guest(0x40000002, 0, 0, false, false);
	assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
	r = guest(0x400000ff, 0, 0, false, false);
	assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
	/* The hypervisor range never reaches the host's CPUID. */
	assert_int_equal(host_calls, 0);
}

/* MWAIT, thermal/power, PMU, SGX and PT leaves read as all zeros. */
static void test_hidden_leaves_zero(void **state)
{
	static const u32 leaves[] = { 5, 6, 0xa, 0x12, 0x14 };

	for (unsigned i = 0; i < ARRAY_SIZE(leaves); i++) {
		struct cpuid_regs r = guest(leaves[i], 0, 0, true, true);

		assert_int_equal(r.eax, 0);
		assert_int_equal(r.ebx, 0);
		assert_int_equal(r.ecx, 0);
		assert_int_equal(r.edx, 0);
	}
	assert_int_equal(host_calls, ARRAY_SIZE(leaves));
}

static void test_leaf7(void **state)
{
	struct cpuid_regs r = guest(7, 0, 0, false, false);

	assert_int_equal(r.eax, 0xffffffffu);
	/* SGX, INVPCID (not enabled), RDT-M, RDT-A, Intel PT. */
	assert_int_equal(r.ebx, 0xfffffffful & ~(BIT(2) | BIT(10) | BIT(12) | BIT(15) | BIT(25)));
	assert_int_equal(r.ecx, 0xfffffffful & ~(BIT(5) | BIT(30)));
	assert_int_equal(r.edx, 0xfffffffful & ~(BIT(26) | BIT(27) | BIT(29) | BIT(31)));
	assert_int_equal(host_subleaf, 0);
	/* INVPCID shows when the secondary control enables it. */
	assert_true(guest(7, 0, 0, false, true).ebx & BIT(10));
	assert_false(guest(7, 0, 0, false, true).ebx & BIT(2));
	/* Other subleaves pass through. */
	r = guest(7, 1, 0, false, false);
	assert_int_equal(r.ebx & r.ecx & r.edx, 0xffffffffu);
	assert_int_equal(host_subleaf, 1);
}

static void test_leaf_d(void **state)
{
	struct cpuid_regs r = guest(0xd, 1, 0, true, false);

	assert_int_equal(r.eax, 0xfffffffful & ~BIT(3));	/* XSAVES/XRSTORS */
	assert_int_equal(r.ebx & r.ecx & r.edx, 0xffffffffu);
	assert_int_equal(host_subleaf, 1);
	r = guest(0xd, 0, 0, true, false);
	assert_int_equal(r.eax, 0xffffffffu);
	r = guest(0xd, 2, 0, true, false);
	assert_int_equal(r.eax, 0xffffffffu);
	assert_int_equal(host_subleaf, 2);
}

static void test_other_leaves_pass_through(void **state)
{
	struct cpuid_regs r = guest(0x80000001, 5, 0, false, false);

	assert_int_equal(r.eax & r.ebx & r.ecx & r.edx, 0xffffffffu);
	assert_int_equal(host_leaf, 0x80000001);
	assert_int_equal(host_subleaf, 5);
	r = guest(0x16, 3, 0, false, false);
	assert_int_equal(host_leaf, 0x16);
	assert_int_equal(host_subleaf, 3);
	assert_int_equal(r.eax & r.ebx & r.ecx & r.edx, 0xffffffffu);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_leaf1_features),
		T(test_leaf1_osxsave_follows_guest),
		T(test_leaf1_apic_id),
		T(test_leaf1_topology),
		T(test_leaf4_topology),
		T(test_leaf_b_topology),
		T(test_topology_consistent),
		T(test_leaf_80000008),
		T(test_keel_leaves),
		T(test_hidden_leaves_zero),
		T(test_leaf7),
		T(test_leaf_d),
		T(test_other_leaves_pass_through),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
