/*
 * A VM exit as the VMM handles it, decoded from the VMCS once (SDM Vol 3
 * chapter 28 "VM Exits"): the basic exit reason, where the guest was (RIP
 * and the exiting instruction's length, 28.2.5), and for the reasons Keel
 * decodes, the exit qualification's fields (28.2.1). The decoding is the
 * VMX encoding, so it lives here; the VMM dispatches on the result
 * (vmm/exit/exit.c).
 */
#ifndef KEEL_ARCH_VM_EXIT_H
#define KEEL_ARCH_VM_EXIT_H

#include "types.h"
#include "arch/vmx.h"
#include "arch/vmx_exits.h"

struct vm_exit {
	u32 reason;		/* basic exit reason (EXIT_*) */
	u32 insn_len;		/* VM-exit instruction length; only meaningful for exits
				   that report one (28.2.5: instructions that exit) */
	u64 rip;		/* guest RIP of the instruction or event that exited */
	u64 qual;		/* exit qualification: set only for VMX_EXIT_HAS_QUAL reasons */
	union {
		struct { u16 port; u8 size; bool in, string, rep; } io;
		struct { u64 gpa; bool read, write, fetch; } ept;
		struct { u8 cr, type, gpr; u16 lmsw_src; } cr;
	};
};

/* Reasons whose handlers use the exit qualification (28.2.1); the
 * processor clears it for exits that have none. */
#define VMX_EXIT_HAS_QUAL							\
	(BIT(EXIT_CR_ACCESS) | BIT(EXIT_IO_INSTRUCTION) | BIT(EXIT_EPT_VIOLATION) |	\
	 BIT(EXIT_DR_ACCESS) | BIT(EXIT_INVLPG) | BIT(EXIT_TASK_SWITCH))

/* The qualification's fields, by reason. */
static inline void vmx_exit_decode_qual(struct vm_exit *e, u64 q)
{
	switch (e->reason) {
	case EXIT_IO_INSTRUCTION:	/* table 28-5 */
		e->io.size = (q & 7) + 1;
		e->io.in = q & BIT(3);
		e->io.string = q & BIT(4);
		e->io.rep = q & BIT(5);
		e->io.port = (u16)(q >> 16);
		break;
	case EXIT_CR_ACCESS:		/* table 28-3 */
		e->cr.cr = q & 15;
		e->cr.type = (q >> 4) & 3;
		e->cr.gpr = (q >> 8) & 15;
		e->cr.lmsw_src = (u16)(q >> 16);
		break;
	case EXIT_EPT_VIOLATION:	/* table 28-7 */
		e->ept.gpa = vmcs_read64(GUEST_PHYSICAL_ADDRESS);
		e->ept.read = q & BIT(0);
		e->ept.write = q & BIT(1);
		e->ept.fetch = q & BIT(2);
		break;
	}
}

/* Decode the exit whose raw reason is raw (bit 31, a failed entry, is the
 * caller's to check first), from the current VMCS. */
static inline void vmx_exit_decode(struct vm_exit *e, u32 raw)
{
	e->reason = raw & 0xffff;
	e->rip = vmcs_readnat(GUEST_RIP);
	e->insn_len = vmcs_read32(EXIT_INSTRUCTION_LEN);
	if (e->reason < 64 && (VMX_EXIT_HAS_QUAL & BIT(e->reason))) {
		e->qual = vmcs_readnat(EXIT_QUALIFICATION);
		vmx_exit_decode_qual(e, e->qual);
	}
}

#endif
