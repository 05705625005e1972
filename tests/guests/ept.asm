; ept: guest-physical accesses outside RAM. The test device's MMIO page is
; not mapped in the EPT, so every access exits (EPT violation) and Keel
; emulates it: the magic reads back, the 64-bit scratch register keeps what
; was written (as two dwords: offset 0 low half, offset 4 high half).
; Then a read of 0x40000000, beyond the 2 MiB of RAM and claimed by no
; device: Keel must stop the VM there ("EPT violation at GPA 0x40000000").
        bits 32
        org 0x8000
%define GUEST_NAME "ept"
%include "serial.inc"

UNMAPPED        equ 0x40000000

start:
        mov eax, [TEST_DEV_MAGIC]
        cmp eax, TEST_DEV_MAGIC_VALUE
        FAIL_HEX_IF ne, "test device magic at 0xfeb00008 is not 0x4b45454c", eax

        mov dword [TEST_DEV_BASE], 0x55667788
        mov dword [TEST_DEV_BASE + 4], 0x11223344
        mov eax, [TEST_DEV_BASE]
        cmp eax, 0x55667788
        FAIL_HEX_IF ne, "scratch low dword did not read back 0x55667788", eax
        mov eax, [TEST_DEV_BASE + 4]
        cmp eax, 0x11223344
        FAIL_HEX_IF ne, "scratch high dword did not read back 0x11223344", eax

        ; The same register through another addressing form (base register
        ; plus displacement), so the decoder is not tested on one form only.
        mov ebx, TEST_DEV_BASE
        mov eax, [ebx + 4]
        cmp eax, 0x11223344
        FAIL_HEX_IF ne, "[ebx+4] read of the scratch register is not 0x11223344", eax

        PRINT {"PASS ept-mmio", 10}

        mov eax, [UNMAPPED]
        FAIL "survived an access to unmapped memory"
