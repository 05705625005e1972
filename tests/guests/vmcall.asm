; vmcall: Keel's hypercall ABI (include/vmm/exit/hypercall.h) from real mode.
; The verdict is printed through KEEL_HC_CONSOLE_WRITE, and the guest leaves
; with exit code 7, which the system test expects Keel to report.
; A failed check prints FAIL through the UART and exits with code 1.
        bits 16
        org 0x8000
%define GUEST_NAME "vmcall"
%include "serial.inc"

UNKNOWN_FN      equ 0x999
BEYOND_RAM      equ 0x7ff00000
PASS_EXIT_CODE  equ 7

start:
        ; KEEL_HC_VERSION, with every other register set to a known value:
        ; the ABI says only RAX changes.
        mov eax, KEEL_HC_VERSION
        mov ebx, 0xb0b0b0b0
        mov ecx, 0xc0c0c0c0
        mov edx, 0xd0d0d0d0
        mov esi, 0x51515151
        mov edi, 0xd1d1d1d1
        mov ebp, 0xb9b9b9b9
        vmcall
        cmp eax, KEEL_ABI_VERSION
        FAIL_HEX_IF ne, "KEEL_HC_VERSION did not return 0x00010000", eax
        cmp ebx, 0xb0b0b0b0
        FAIL_HEX_IF ne, "VMCALL changed EBX", ebx
        cmp ecx, 0xc0c0c0c0
        FAIL_HEX_IF ne, "VMCALL changed ECX", ecx
        cmp edx, 0xd0d0d0d0
        FAIL_HEX_IF ne, "VMCALL changed EDX", edx
        cmp esi, 0x51515151
        FAIL_HEX_IF ne, "VMCALL changed ESI", esi
        cmp edi, 0xd1d1d1d1
        FAIL_HEX_IF ne, "VMCALL changed EDI", edi
        cmp ebp, 0xb9b9b9b9
        FAIL_HEX_IF ne, "VMCALL changed EBP", ebp

        mov eax, UNKNOWN_FN
        vmcall
        cmp eax, -ENOSYS
        FAIL_HEX_IF ne, "unknown function 0x999 did not return -38 (ENOSYS)", eax

        ; A buffer outside guest RAM: refused, nothing printed.
        mov eax, KEEL_HC_CONSOLE_WRITE
        mov edi, BEYOND_RAM
        mov esi, 16
        vmcall
        cmp eax, -EFAULT
        FAIL_HEX_IF ne, "CONSOLE_WRITE from 0x7ff00000 did not return -14 (EFAULT)", eax

        ; The verdict, through the hypercall console.
        mov eax, KEEL_HC_CONSOLE_WRITE
        mov edi, verdict
        mov esi, verdict_len
        vmcall
        cmp eax, verdict_len
        FAIL_HEX_IF ne, "CONSOLE_WRITE did not return the length written", eax

        HC_EXIT PASS_EXIT_CODE

section .rodata
verdict:        db "PASS vmcall", 10
verdict_len     equ $ - verdict
