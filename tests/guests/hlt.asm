; hlt: halts with interrupts disabled, which can never end on its own.
; Keel must stop the VM ("halted with interrupts disabled"); printing
; anything after the HLT is a failure.
        bits 16
        org 0x8000
%define GUEST_NAME "hlt"
%include "serial.inc"

start:
        PRINT {"hlt: halting with interrupts off", 10}
        cli
        hlt
        FAIL "resumed after cli/hlt"
