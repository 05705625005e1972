; ticker: a guest whose progress shows in its output, for the shell test
; (tests/system/scenarios.py, "shell"). 64-bit; it prints "tick N" each
; time TICK_TSC ticks of the TSC have passed since the previous line, and
; "PASS ticker" after TICK_COUNT lines. The TSC is the host's (Keel passes
; it through), so while the VM is paused no line comes, and after a resume
; the next comes at once: the deadline is set from the time of the line
; just printed, so a pause leaves a gap in the lines rather than a burst.
        bits 64
        org 0x8000
%define GUEST_NAME "ticker"
%include "serial.inc"

TICK_TSC        equ 10000000    ; 100 ms at Bochs' 100 MHz TSC
TICK_COUNT      equ 600         ; one minute of ticks, then done

start:
        xor r9, r9                      ; lines printed
.next:  call rdtsc64
        lea r10, [rax + TICK_TSC]       ; the next line's deadline
.wait:  pause
        call rdtsc64
        cmp rax, r10
        jb .wait
        inc r9
        PRINT "tick "
        mov rax, r9
        call put_dec64
        PRINT {10}
        cmp r9, TICK_COUNT
        jb .next
        PASS
