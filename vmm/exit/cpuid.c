/*
 * The virtual CPUID: the host's values with what Keel does not virtualize
 * hidden (VMX, SMX, MONITOR/MWAIT, performance monitoring, thermal and
 * debug-store features, SGX, processor trace, speculation-control MSRs),
 * the hypervisor-present bit set, the VM's own topology, and Keel's own
 * leaves at 0x40000000 (SDM Vol 2A, CPUID; the hypervisor range is the
 * convention every hypervisor uses for leaves 0x40000000-0x400000ff).
 *
 * Topology (SDM Vol 3 9.9 "Detecting hardware multi-threading support
 * and topology", 8.9 before 2023): one package of nvcpus cores with
 * one thread each; vCPU i has (x2)APIC ID i, as in the MADT. A package
 * reserves the power of two >= nvcpus APIC IDs, so the core ID is the
 * low CORE_BITS(nvcpus) bits of the APIC ID and the package ID (0) the rest.
 */
#include "vmm/exit/cpuid.h"
#include "vmm/exit/exit.h"
#include "vmm/core/vm.h"
#include "vmm/exit/hypercall.h"
#include "arch/vmx.h"
#include "arch/cpu.h"
#include "lib/string.h"

/* CPUID.1 */
#define C1_ECX_HIDE (BIT(2) /* DTES64 */ | BIT(3) /* MONITOR */ | BIT(4) /* DS-CPL */ | \
		     BIT(5) /* VMX */ | BIT(6) /* SMX */ | BIT(7) /* EIST */ | BIT(8) /* TM2 */ | \
		     BIT(15) /* PDCM */ | BIT(27) /* OSXSAVE: set from the guest's CR4 */)
#define C1_ECX_HYPERVISOR BIT(31)
#define C1_ECX_VIRTUAL (BIT(21) /* x2APIC */ | BIT(24) /* TSC-deadline */ | C1_ECX_HYPERVISOR)
#define C1_EDX_APIC BIT(9)
#define C1_ECX_OSXSAVE    BIT(27)
#define C1_EDX_HIDE (BIT(12) /* MTRR */ | BIT(21) /* DS */ | BIT(22) /* ACPI thermal */ | \
		     BIT(29) /* TM */ | BIT(31) /* PBE */)
#define C1_EDX_HTT BIT(28)	/* EBX[23:16] (logical processors) is valid */
/* CPUID.4: deterministic cache parameters */
#define C4_EAX_TYPE        0x1fu		/* 0: no more caches */
#define C4_EAX_LEVEL(eax)  (((eax) >> 5) & 7)
#define C4_EAX_SHARING     (0xfffu << 14)	/* logical processors sharing it - 1 */
#define C4_EAX_CORES       (0x3fu << 26)	/* cores in the package - 1 */
/* CPUID.0xB / 0x1F: extended topology, one subleaf per level */
#define CB_LEVEL_SMT  1
#define CB_LEVEL_CORE 2
/* CPUID.0x80000008:ECX: cores - 1 in 7:0, APIC ID bits for them in 15:12 */
#define C88_ECX_TOPOLOGY 0xf0ffu
/* CPUID.(7,0) */
#define C7_EBX_HIDE (BIT(2) /* SGX */ | BIT(12) /* RDT-M */ | BIT(15) /* RDT-A */ | \
		     BIT(25) /* Intel PT */)
#define C7_EBX_INVPCID BIT(10)
#define C7_ECX_HIDE (BIT(5) /* WAITPKG */ | BIT(30) /* SGX-LC */)
#define C7_EDX_HIDE (BIT(26) /* IBRS/IBPB */ | BIT(27) /* STIBP */ | BIT(29) /* ARCH_CAPABILITIES */ | \
		     BIT(31) /* SSBD */)
/* CPUID.(0xd,1) */
#define CD1_EAX_XSAVES BIT(3)

static void cpuid_keel_leaves(u32 leaf, struct cpuid_regs *r)
{
	memset(r, 0, sizeof(*r));
	if (leaf == KEEL_CPUID_SIGNATURE_LEAF) {
		r->eax = KEEL_CPUID_STATS_LEAF;
		memcpy(&r->ebx, KEEL_CPUID_SIGNATURE, 4);
		memcpy(&r->ecx, KEEL_CPUID_SIGNATURE + 4, 4);
		memcpy(&r->edx, KEEL_CPUID_SIGNATURE + 8, 4);
	} else if (leaf == KEEL_CPUID_VERSION_LEAF) {
		r->eax = KEEL_ABI_VERSION;
	}
}

/* The APIC ID bits a package of n cores reserves for the core ID. */
static unsigned cpuid_core_bits(unsigned n)
{
	unsigned bits = 0;

	while ((1u << bits) < n)
		bits++;
	return bits;
}

/* Leaf 4: every cache has one thread per core; the last level (3) is
 * shared by the package. The count fields are "maximum addressable IDs
 * minus 1", so they are powers of two minus 1. */
static void cpuid_cache_topology(unsigned ncpus, struct cpuid_regs *r)
{
	u32 ids = 1u << cpuid_core_bits(ncpus);

	if (!(r->eax & C4_EAX_TYPE))
		return;
	r->eax &= ~(C4_EAX_CORES | C4_EAX_SHARING);
	r->eax |= (ids - 1) << 26;
	if (C4_EAX_LEVEL(r->eax) >= 3)
		r->eax |= (ids - 1) << 14;
}

/* Leaves 0xB and 0x1F: the SMT level (one thread), the core level (ncpus
 * cores, the package above it), then invalid levels; EDX is the x2APIC ID
 * at every subleaf. */
static void cpuid_ext_topology(u32 subleaf, unsigned ncpus, unsigned id, struct cpuid_regs *r)
{
	*r = (struct cpuid_regs){ .ecx = subleaf & 0xff, .edx = id };
	if (subleaf == 0) {
		r->ebx = 1;
		r->ecx |= CB_LEVEL_SMT << 8;
	} else if (subleaf == 1) {
		r->eax = cpuid_core_bits(ncpus);
		r->ebx = ncpus;
		r->ecx |= CB_LEVEL_CORE << 8;
	}
}

/* Inlined into exit_cpuid: the CPUID exit is the benchmark of the exit
 * path, and a call with its register saves costs a tenth of it. */
static inline __attribute__((always_inline))
void cpuid_filter(u32 leaf, u32 subleaf, const struct cpuid_guest_state *g, struct cpuid_regs *r)
{
	unsigned ncpus = g->nvcpus ? g->nvcpus : 1;

	if ((leaf & 0xffff0000u) == 0x40000000u) {
		cpuid_keel_leaves(leaf, r);
		return;
	}
	cpuid(leaf, subleaf, r);
	switch (leaf) {
	case 1:
		/* The local APIC is Keel's (devices/vlapic.c): x2APIC and the
		 * TSC-deadline timer are there whatever the host has. */
		r->ecx = (r->ecx & ~C1_ECX_HIDE) | C1_ECX_VIRTUAL | (g->osxsave ? C1_ECX_OSXSAVE : 0);
		r->edx = (r->edx & ~(C1_EDX_HIDE | C1_EDX_HTT)) | C1_EDX_APIC |
			 (ncpus > 1 ? C1_EDX_HTT : 0);
		/* EBX 31:24 initial APIC ID, 23:16 addressable logical processors */
		r->ebx = (r->ebx & 0x0000ffff) | (1u << (16 + cpuid_core_bits(ncpus))) |
			 (g->vcpu_id << 24);
		break;
	case 4:
		cpuid_cache_topology(ncpus, r);
		break;
	case 5: case 6: case 0xa: case 0x12: case 0x14:
		*r = (struct cpuid_regs){ 0 };	/* MWAIT, power, PMU, SGX, PT */
		break;
	case 7:
		if (subleaf == 0) {
			r->ebx &= ~(C7_EBX_HIDE | (g->invpcid ? 0 : C7_EBX_INVPCID));
			r->ecx &= ~C7_ECX_HIDE;
			r->edx &= ~C7_EDX_HIDE;
		}
		break;
	case 0xb: case 0x1f:
		cpuid_ext_topology(subleaf, ncpus, g->vcpu_id, r);
		break;
	case 0xd:
		if (subleaf == 1)
			r->eax &= ~CD1_EAX_XSAVES;
		break;
	case 0x80000008:
		r->ecx = (r->ecx & ~C88_ECX_TOPOLOGY) | (cpuid_core_bits(ncpus) << 12) | (ncpus - 1);
		break;
	}
}

void cpuid_guest(u32 leaf, u32 subleaf, const struct cpuid_guest_state *g, struct cpuid_regs *r)
{
	cpuid_filter(leaf, subleaf, g, r);
}

/* Keel's statistics leaf for the calling vCPU (include/vmm/exit/hypercall.h). */
static void cpuid_stats(const struct vcpu *v, struct cpuid_regs *r)
{
	u64 exits = 0;

	for (unsigned i = 0; i < EXIT_REASON_MAX; i++)
		exits += v->exit_counts[i];
	*r = (struct cpuid_regs){ .eax = (u32)exits, .edx = (u32)(exits >> 32),
				  .ebx = (u32)v->hv_tsc, .ecx = (u32)(v->hv_tsc >> 32) };
}

enum exit_result exit_cpuid(struct vcpu *v, struct vm_exit *e)
{
	u32 leaf = (u32)v->regs.gpr[RAX];
	struct cpuid_guest_state g = {
		.vcpu_id = v->id,
		.nvcpus = v->vm->nvcpus,
		/* Only leaf 1 reports OSXSAVE: skip the VMREAD for the others. */
		.osxsave = leaf == 1 && (vmcs_readnat(GUEST_CR4) & CR4_OSXSAVE),
		.invpcid = vmx_caps.proc2 & PROC2_ENABLE_INVPCID,
	};
	struct cpuid_regs r;

	if (unlikely(leaf == KEEL_CPUID_STATS_LEAF))
		cpuid_stats(v, &r);
	else
		cpuid_filter(leaf, (u32)v->regs.gpr[RCX], &g, &r);
	v->regs.gpr[RAX] = r.eax;
	v->regs.gpr[RBX] = r.ebx;
	v->regs.gpr[RCX] = r.ecx;
	v->regs.gpr[RDX] = r.edx;
	return RESUME_SKIP_INSN;
}
