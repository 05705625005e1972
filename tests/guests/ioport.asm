; ioport: port I/O to ports no device claims reads all ones and writes are
; dropped, for every access size and for string I/O with REP; the verdict
; itself goes out with REP OUTSB to the UART (Keel must emulate string I/O).
        bits 16
        org 0x8000
%define GUEST_NAME "ioport"
%include "serial.inc"

PORT_A  equ 0x1234
PORT_B  equ 0x5678

start:
        ; IN AL changes only AL.
        mov eax, 0x12345600
        mov dx, PORT_A
        in al, dx
        cmp eax, 0x123456ff
        FAIL_HEX_IF ne, "IN AL from unclaimed port 0x1234 is not 0xff (upper EAX kept)", eax

        ; IN AX changes only AX.
        mov eax, 0x12340000
        mov dx, PORT_B
        in ax, dx
        cmp eax, 0x1234ffff
        FAIL_HEX_IF ne, "IN AX from unclaimed port 0x5678 is not 0xffff (upper EAX kept)", eax

        xor eax, eax
        in eax, dx
        cmp eax, 0xffffffff
        FAIL_HEX_IF ne, "IN EAX from unclaimed port 0x5678 is not 0xffffffff", eax

        ; An OUT to an unclaimed port is dropped: the port still reads all ones.
        mov dx, PORT_A
        mov al, 0x5a
        out dx, al
        mov eax, 0x5a5a5a5a
        out dx, eax
        xor eax, eax
        in al, dx
        cmp al, 0xff
        FAIL_HEX_IF ne, "unclaimed port 0x1234 did not ignore an OUT", eax

        ; REP INSB of 4 bytes fills the buffer with 0xff, stops at 4 (the
        ; sentinel after it stays), leaves CX = 0 and DI just past the buffer.
        mov dword [buf], 0
        mov byte [buf + 4], 0xa5
        mov dx, PORT_B
        mov di, buf
        mov cx, 4
        cld
        rep insb
        cmp dword [buf], 0xffffffff
        FAIL_HEX_IF ne, "REP INSB from unclaimed port 0x5678 did not fill 0xff", dword [buf]
        cmp byte [buf + 4], 0xa5
        FAIL_IF ne, "REP INSB wrote past its count"
        test cx, cx
        FAIL_HEX_IF nz, "REP INSB left CX nonzero", ecx
        cmp di, buf + 4
        FAIL_HEX_IF ne, "REP INSB left DI wrong", edi

        ; The verdict, as string output to the UART. No polling: the whole
        ; line is one instruction.
        mov dx, COM1_THR
        mov si, verdict
        mov cx, verdict_len
        rep outsb
        test cx, cx
        FAIL_HEX_IF nz, "REP OUTSB left CX nonzero", ecx
        cmp si, verdict + verdict_len
        FAIL_HEX_IF ne, "REP OUTSB left SI wrong", esi
        HC_EXIT 0

section .rodata
verdict:        db "PASS ioport", 10
verdict_len     equ $ - verdict

section .data
buf:    times 8 db 0
