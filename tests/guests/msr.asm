; msr: RDMSR/WRMSR as Keel lets a 64-bit guest see them. EFER reads, a
; nonexistent MSR raises #GP on read and on write, IA32_KERNEL_GS_BASE keeps
; what is written.
        bits 64
        org 0x8000
%define GUEST_NAME "msr"
%include "serial.inc"
%include "idt64.inc"

MSR_EFER                equ 0xc0000080
MSR_KERNEL_GS_BASE      equ 0xc0000102
MSR_NONEXISTENT         equ 0x12345
EFER_LMA                equ 1 << 10

start:
        call idt64_init

        ; EFER reads without a fault (an unexpected #GP would be reported).
        mov ecx, MSR_EFER
        rdmsr
        test eax, EFER_LMA
        FAIL_HEX_IF z, "RDMSR EFER: LMA is clear", eax

        mov ecx, MSR_NONEXISTENT
        EXPECT_GP "RDMSR 0x12345", rdmsr

        mov ecx, MSR_NONEXISTENT
        xor eax, eax
        xor edx, edx
        EXPECT_GP "WRMSR 0x12345", wrmsr

        ; Two canonical values, one in each half of the address space, so
        ; that both halves of EDX:EAX must come back.
        mov ecx, MSR_KERNEL_GS_BASE
        mov edx, 0x00007f12
        mov eax, 0x3456789a
        wrmsr
        xor eax, eax
        xor edx, edx
        rdmsr
        cmp edx, 0x00007f12
        FAIL_HEX_IF ne, "IA32_KERNEL_GS_BASE high half did not round-trip 0x00007f12", edx
        cmp eax, 0x3456789a
        FAIL_HEX_IF ne, "IA32_KERNEL_GS_BASE low half did not round-trip 0x3456789a", eax

        mov edx, 0xffff8123
        mov eax, 0x456789ab
        wrmsr
        xor eax, eax
        xor edx, edx
        rdmsr
        cmp edx, 0xffff8123
        FAIL_HEX_IF ne, "IA32_KERNEL_GS_BASE high half did not round-trip 0xffff8123", edx
        cmp eax, 0x456789ab
        FAIL_HEX_IF ne, "IA32_KERNEL_GS_BASE low half did not round-trip 0x456789ab", eax

        PASS
