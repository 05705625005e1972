; hello: the smallest guest. Real mode; prints its verdict and exits.
; Proves that Keel loads a flat image, enters real mode at 0x8000 and
; forwards the guest's UART output.
        bits 16
        org 0x8000
%define GUEST_NAME "hello"
%include "serial.inc"

start:
        PASS
