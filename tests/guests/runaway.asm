; runaway: a guest that turns interrupts off and spins without a single VM
; exit for RUNAWAY_TSC ticks (2 s in Bochs), then says so and exits. Beside
; it, another guest must still run and finish first: the VMX-preemption
; timer takes the CPU back whatever the guest's RFLAGS.IF.
        bits 64
        org 0x8000
%define GUEST_NAME "runaway"
%include "serial.inc"

RUNAWAY_TSC     equ 200000000

start:
        cli
        rdtsc
        shl rdx, 32
        or rax, rdx
        lea r8, [rax + RUNAWAY_TSC]
.spin:  rdtsc                           ; RDTSC does not exit: no exits at all
        shl rdx, 32
        or rax, rdx
        cmp rax, r8
        jb .spin
        PRINT {"runaway: done spinning with interrupts off", 10}
        PASS
