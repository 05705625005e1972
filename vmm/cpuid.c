/*
 * The virtual CPUID: the host's values with what Keel does not virtualize
 * hidden (VMX, SMX, MONITOR/MWAIT, performance monitoring, thermal and
 * debug-store features, SGX, processor trace, speculation-control MSRs),
 * the hypervisor-present bit set, and Keel's own leaves at 0x40000000
 * (SDM Vol 2A, CPUID; the hypervisor range is the convention every
 * hypervisor uses for leaves 0x40000000-0x400000ff).
 */
#include "vmm/cpuid.h"
#include "vmm/exit.h"
#include "vmm/vm.h"
#include "vmm/hypercall.h"
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

/* Inlined into exit_cpuid: the CPUID exit is the benchmark of the exit
 * path, and a call with its register saves costs a tenth of it. */
static inline __attribute__((always_inline))
void cpuid_filter(u32 leaf, u32 subleaf, const struct cpuid_guest_state *g, struct cpuid_regs *r)
{
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
		r->edx = (r->edx & ~C1_EDX_HIDE) | C1_EDX_APIC;
		r->ebx = (r->ebx & 0x0000ffff) | (1u << 16) | (g->vcpu_id << 24);
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
		r->edx = g->vcpu_id;	/* x2APIC ID */
		break;
	case 0xd:
		if (subleaf == 1)
			r->eax &= ~CD1_EAX_XSAVES;
		break;
	}
}

void cpuid_guest(u32 leaf, u32 subleaf, const struct cpuid_guest_state *g, struct cpuid_regs *r)
{
	cpuid_filter(leaf, subleaf, g, r);
}

/* Keel's statistics leaf for the calling vCPU (include/vmm/hypercall.h). */
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
