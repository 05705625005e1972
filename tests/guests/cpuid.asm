; cpuid: what Keel's CPUID emulation shows a guest (include/vmm/exit/hypercall.h):
; the hypervisor-present bit, no VMX, Keel's signature and ABI version leaves.
        bits 32
        org 0x8000
%define GUEST_NAME "cpuid"
%include "serial.inc"

CPUID1_ECX_VMX          equ 1 << 5
CPUID1_ECX_HYPERVISOR   equ 1 << 31

start:
        ; Leaf 0: a vendor string (any) and a highest basic leaf of at least 1.
        xor eax, eax
        cpuid
        cmp eax, 1
        FAIL_HEX_IF b, "leaf 0: highest basic leaf below 1", eax
        mov eax, ebx
        or eax, ecx
        or eax, edx
        FAIL_IF z, "leaf 0: vendor string is zero"

        mov eax, 1
        cpuid
        test ecx, CPUID1_ECX_HYPERVISOR
        FAIL_HEX_IF z, "leaf 1: ECX bit 31 (hypervisor present) is clear", ecx
        test ecx, CPUID1_ECX_VMX
        FAIL_HEX_IF nz, "leaf 1: ECX bit 5 (VMX) is set", ecx

        mov eax, 0x40000000
        cpuid
        cmp ebx, 'Keel'
        FAIL_HEX_IF ne, "leaf 0x40000000: EBX is not 'Keel'", ebx
        cmp ecx, 'Keel'
        FAIL_HEX_IF ne, "leaf 0x40000000: ECX is not 'Keel'", ecx
        cmp edx, 'Keel'
        FAIL_HEX_IF ne, "leaf 0x40000000: EDX is not 'Keel'", edx
        cmp eax, 0x40000002
        FAIL_HEX_IF b, "leaf 0x40000000: EAX (highest leaf) below 0x40000002", eax

        mov eax, 0x40000001
        cpuid
        cmp eax, KEEL_ABI_VERSION
        FAIL_HEX_IF ne, "leaf 0x40000001: EAX is not the ABI version 0x00010001", eax

        ; Statistics leaf: EDX:EAX exits so far, ECX:EBX ticks Keel spent on
        ; them. This guest has made a handful of exits; the next CPUID is
        ; one more, and handling it costs Keel time.
        mov eax, 0x40000002
        cpuid
        test edx, edx
        FAIL_HEX_IF nz, "leaf 0x40000002: more than 2^32 exits already", edx
        cmp eax, 4
        FAIL_HEX_IF b, "leaf 0x40000002: fewer exits than this guest made", eax
        mov esi, eax
        mov edi, ebx
        mov eax, 0x40000002
        cpuid
        sub eax, esi
        cmp eax, 1                      ; this CPUID, and at most a timer exit or two
        FAIL_HEX_IF b, "leaf 0x40000002: a CPUID did not count as an exit", eax
        cmp eax, 3
        FAIL_HEX_IF a, "leaf 0x40000002: one CPUID counted as many exits", eax
        ; Keel times exits only when booted with measure=exits: then the
        ; time grows; otherwise both readings are 0.
        mov eax, ebx
        or eax, edi
        jnz .timed
        PRINT {"cpuid: exit timing off", 10}
        PASS
.timed:
        cmp ebx, edi
        FAIL_HEX_IF be, "leaf 0x40000002: Keel's handling time did not grow", ebx
        PRINT {"cpuid: exit timing on", 10}
        PASS
