; spin: a CPU-bound guest for the scheduler tests (64-bit). It counts loop
; iterations until SPIN_TSC ticks of the TSC have passed (the host's clock:
; Keel passes the TSC through), then prints "spin: COUNT in TICKS" and
; exits. Side by side, the counts show each VM's CPU share; alone, a count
; against its ticks shows how much of the CPU it got (in Bochs, where the
; TSC counts instructions, one count is SPIN_INSNS instructions).
        bits 64
        org 0x8000
%define GUEST_NAME "spin"
%include "serial.inc"

SPIN_TSC        equ 300000000   ; 3 s at Bochs' 100 MHz TSC
SPIN_BATCH      equ 1000        ; counts between TSC reads

start:
        call rdtsc64
        mov r8, rax                     ; start
        lea r10, [rax + SPIN_TSC]       ; end
        xor r9, r9                      ; count
.batch: mov ecx, SPIN_BATCH
.count: inc r9                          ; 3 instructions per count
        dec ecx
        jnz .count
        call rdtsc64
        cmp rax, r10
        jb .batch
        sub rax, r8
        mov r11, rax                    ; ticks actually elapsed
        PRINT "spin: "
        mov rax, r9
        call put_dec64
        PRINT " in "
        mov rax, r11
        call put_dec64
        PRINT {10}
        PASS
