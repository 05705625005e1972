; echo: a guest that reads its console, for the shell test
; (tests/system/scenarios.py, "shell"). 64-bit; it prints "echo: ready",
; then reads COM1 line by line (CR or LF ends one; an empty line, such as
; the LF of a CRLF, is skipped) and prints each back as "got: LINE". It
; polls LSR.DR with a delay between reads, so a guest waiting for input
; costs few exits; it runs until it is stopped.
        bits 64
        org 0x8000
%define GUEST_NAME "echo"
%include "serial.inc"

COM1_RBR        equ 0x3f8
LSR_DR          equ 0x01        ; a received byte is waiting
LINE_MAX        equ 64          ; longer lines are cut
POLL_DELAY      equ 100000      ; loop iterations between LSR reads while idle

start:
        PRINT {"echo: ready", 10}
.line:  xor ebx, ebx                    ; length of the line so far
.idle:  mov ecx, POLL_DELAY
.delay: dec ecx
        jnz .delay
.poll:  mov dx, COM1_LSR
        in al, dx
        test al, LSR_DR
        jz .idle
        mov dx, COM1_RBR
        in al, dx
        cmp al, 13
        je .eol
        cmp al, 10
        je .eol
        cmp ebx, LINE_MAX
        jae .poll                       ; too long: the rest is dropped
        mov [line + rbx], al
        inc ebx
        jmp .poll                       ; more may be waiting: no delay
.eol:   test ebx, ebx
        jz .line
        mov byte [line + rbx], 0
        PRINT "got: "
        mov rsi, line
        call puts
        PRINT {10}
        jmp .line

section .data
line:   times LINE_MAX + 1 db 0
