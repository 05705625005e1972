; long64: Keel starts this guest in 64-bit mode (identity-paged first GiB).
; Checks EFER.LMA, a 64-bit immediate through R15, and prints the verdict
; with REP OUTSB, whose emulation must use all of RSI and RCX.
        bits 64
        org 0x8000
%define GUEST_NAME "long64"
%include "serial.inc"

MSR_EFER        equ 0xc0000080
EFER_LME        equ 1 << 8
EFER_LMA        equ 1 << 10

start:
        mov ecx, MSR_EFER
        rdmsr
        test eax, EFER_LMA
        FAIL_HEX_IF z, "EFER.LMA is clear", eax
        test eax, EFER_LME
        FAIL_HEX_IF z, "EFER.LME is clear", eax

        ; A 64-bit immediate survives a trip through R15 (REX.B register,
        ; 64-bit operand): only so in 64-bit mode.
        mov r15, 0x0123456789abcdef
        mov rax, r15
        shr rax, 32
        cmp eax, 0x01234567
        FAIL_HEX_IF ne, "upper half of a 64-bit immediate through R15 lost", eax
        cmp r15d, 0x89abcdef
        FAIL_HEX_IF ne, "lower half of a 64-bit immediate through R15 lost", r15d

        ; The verdict as one string instruction, counted by all of RCX.
        mov dx, COM1_THR
        mov rsi, verdict
        mov rcx, verdict_len
        cld
        rep outsb
        test rcx, rcx
        FAIL_HEX_IF nz, "REP OUTSB left RCX nonzero", ecx
        mov rax, verdict + verdict_len
        cmp rsi, rax
        FAIL_HEX_IF ne, "REP OUTSB left RSI wrong", esi
        HC_EXIT 0

section .rodata
verdict:        db "PASS long64", 10
verdict_len     equ $ - verdict
