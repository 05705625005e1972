/* The virtual CPUID a guest sees (vmm/exit/cpuid.c). */
#ifndef KEEL_VMM_CPUID_H
#define KEEL_VMM_CPUID_H

#include "arch/hw.h"

struct cpuid_guest_state {
	unsigned vcpu_id;	/* also its APIC ID */
	unsigned nvcpus;	/* the VM's: one package of nvcpus cores (0 counts as 1) */
	bool osxsave;		/* the guest's CR4.OSXSAVE */
	bool invpcid;		/* INVPCID enabled in the secondary controls */
};

/* Host CPUID for leaf/subleaf, then filtered for the guest. */
void cpuid_guest(u32 leaf, u32 subleaf, const struct cpuid_guest_state *g, struct cpuid_regs *r);

#endif
