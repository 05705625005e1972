/*
 * Keel's hypercall ABI, version 1.1.
 *
 * A guest detects Keel with CPUID: leaf 1 ECX bit 31 (hypervisor present),
 * then leaf 0x40000000 returns EAX = highest hypervisor leaf and the
 * signature "KeelKeelKeel" in EBX, ECX, EDX. Leaf 0x40000001 EAX = ABI
 * version (major << 16 | minor). Leaf 0x40000002 (ABI 1.1) returns the
 * calling vCPU's statistics, readable from any CPL for measurements:
 * EDX:EAX = VM exits so far, ECX:EBX = TSC ticks Keel spent handling them
 * (from the handler's first instruction to the next VM entry; in Bochs,
 * where the TSC counts instructions, that is instructions) when Keel was
 * booted with measure=exits, 0 otherwise.
 *
 * A hypercall is VMCALL with the function number in RAX and arguments in
 * RDI, RSI, RDX (the 32-bit halves in real and protected mode). The result
 * comes back in RAX: >= 0 on success, a negative error number otherwise
 * (-38 ENOSYS for an unknown function, -14 EFAULT for a buffer outside the
 * guest's RAM, -22 EINVAL, -1 EPERM when not called from CPL 0). Other
 * registers are preserved.
 */
#ifndef KEEL_VMM_HYPERCALL_H
#define KEEL_VMM_HYPERCALL_H

#define KEEL_CPUID_SIGNATURE_LEAF 0x40000000u
#define KEEL_CPUID_VERSION_LEAF   0x40000001u
#define KEEL_CPUID_STATS_LEAF     0x40000002u
#define KEEL_CPUID_SIGNATURE      "KeelKeelKeel"
#define KEEL_ABI_VERSION          0x00010001u

enum keel_hypercall {
	KEEL_HC_VERSION = 0,       /* -> KEEL_ABI_VERSION */
	KEEL_HC_CONSOLE_WRITE = 1, /* RDI = guest-physical buffer, RSI = length (<= 4096) -> bytes written */
	KEEL_HC_EXIT = 2,          /* RDI = exit code: the VM stops and Keel reports the code */
	KEEL_HC_COUNT
};

#define KEEL_HC_CONSOLE_MAX 4096

#endif
