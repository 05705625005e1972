; cr: control registers as a 64-bit guest sees them under Keel. VMX is
; Keel's own: CR4.VMXE reads as clear and setting it raises #GP. With XSAVE:
; CR4.OSXSAVE can be set, XSETBV/XGETBV work on XCR0 = 3 (x87 | SSE), and
; XSETBV with x87 clear (XCR0 = 2) raises #GP.
        bits 64
        org 0x8000
%define GUEST_NAME "cr"
%include "serial.inc"
%include "idt64.inc"

CR4_VMXE                equ 1 << 13
CR4_OSXSAVE             equ 1 << 18
CPUID1_ECX_XSAVE        equ 1 << 26
CPUID1_ECX_OSXSAVE      equ 1 << 27

start:
        call idt64_init

        mov rax, cr4
        test eax, CR4_VMXE
        FAIL_HEX_IF nz, "CR4 as read has VMXE (bit 13) set", eax
        mov rbx, rax
        or rax, CR4_VMXE
        EXPECT_GP "MOV CR4 setting VMXE", mov cr4, rax
        mov rax, cr4
        test eax, CR4_VMXE
        FAIL_HEX_IF nz, "CR4.VMXE reads as set after the refused write", eax
        cmp rax, rbx
        FAIL_HEX_IF ne, "CR4 changed by the refused write", eax

        mov eax, 1
        cpuid
        test ecx, CPUID1_ECX_XSAVE
        jz no_xsave

        mov rax, cr4
        or rax, CR4_OSXSAVE
        mov cr4, rax
        mov rax, cr4
        test eax, CR4_OSXSAVE
        FAIL_HEX_IF z, "CR4.OSXSAVE did not stick", eax
        mov eax, 1
        cpuid
        test ecx, CPUID1_ECX_OSXSAVE
        FAIL_HEX_IF z, "CPUID.1:ECX.OSXSAVE is clear with CR4.OSXSAVE set", ecx

        xor ecx, ecx                    ; XCR0
        xor edx, edx
        mov eax, 3                      ; x87 | SSE
        xsetbv
        xor ecx, ecx
        mov eax, 0xdead
        mov edx, 0xbeef
        xgetbv
        cmp eax, 3
        FAIL_HEX_IF ne, "XGETBV after XSETBV XCR0=3: EAX is not 3", eax
        test edx, edx
        FAIL_HEX_IF nz, "XGETBV after XSETBV XCR0=3: EDX is not 0", edx

        xor ecx, ecx
        xor edx, edx
        mov eax, 2                      ; SSE without x87: architecturally invalid
        EXPECT_GP "XSETBV XCR0=2", xsetbv
        xor ecx, ecx
        xgetbv
        cmp eax, 3
        FAIL_HEX_IF ne, "XCR0 changed by the refused XSETBV", eax
        PASS

no_xsave:
        PRINT {"cr: CPUID.1:ECX.XSAVE is clear, XSETBV checks skipped", 10}
        PASS
