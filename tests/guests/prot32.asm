; prot32: Keel starts this guest in 32-bit protected mode with paging off.
        bits 32
        org 0x8000
%define GUEST_NAME "prot32"
%include "serial.inc"

CR0_PE  equ 1 << 0
CR0_PG  equ 1 << 31

start:
        mov eax, cr0
        test eax, CR0_PE
        FAIL_HEX_IF z, "CR0.PE is clear", eax
        test eax, CR0_PG
        FAIL_HEX_IF nz, "CR0.PG is set", eax
        mov ax, cs
        test ax, 3
        FAIL_IF nz, "CS.RPL is not 0"
        ; A 32-bit operand without prefix: only true with CS.D = 1.
        mov eax, 0x12345678
        cmp eax, 0x12345678
        FAIL_IF ne, "32-bit immediate did not round-trip"
        PASS
