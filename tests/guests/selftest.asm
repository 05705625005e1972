; selftest: always fails. The system-test runner must judge this run FAIL;
; a runner that passes it cannot be trusted with the other verdicts.
        bits 16
        org 0x8000
%define GUEST_NAME "selftest"
%include "serial.inc"

start:
        FAIL "deliberate failure, the runner must report it"
