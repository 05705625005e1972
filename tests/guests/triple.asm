; triple: a triple fault. With an IDT limit of 0, INT3 cannot be delivered
; (#GP), nor can the #GP, nor the #DF: the processor shuts down, which VMX
; reports as a triple-fault exit. Keel must stop this VM (and only it).
        bits 32
        org 0x8000
%define GUEST_NAME "triple"
%include "serial.inc"

start:
        PRINT {"triple: about to triple-fault", 10}
        lidt [empty_idt]
        int3
        FAIL "survived INT3 with an empty IDT"

section .rodata
empty_idt:
        dw 0            ; limit 0: no vector fits
        dd 0
