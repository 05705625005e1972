; bench: the cost of a VM exit round trip, counted in instructions.
;
; Bochs' TSC counts retired instructions (with a fixed clock: sync=none), and
; a VM exit or VM entry itself retires nothing. So RDTSC around a loop whose
; body makes one exit counts the guest's instructions plus every instruction
; Keel runs from the exit to the VMRESUME. Each loop below has the same shape:
;       xor eax, eax / X / dec ebp / jnz
; where X is the exiting instruction; the baseline loop has X = NOP, an
; instruction that does not exit. Hence, for N iterations,
;       (delta_kind - delta_baseline) / N = H - 1 + c
; with H the hypervisor instructions per round trip (VMRESUME included) and
; c = 1 if Bochs counts the exiting instruction itself, 0 if not: the
; difference is H to within one instruction, the same for every kind. The
; measurement's own overhead (RDTSC pair, loop setup) is the same for all
; loops and cancels in the difference. A few untimed iterations first take
; any one-time work (first touch, lazy setup) out of the measurement.
;
; Output: "BENCH <kind> <N> <tsc_delta>" for baseline, cpuid, pio, vmcall,
; mmio, then "PASS bench". tests/system/run.py --bench turns it into a table.
        bits 64
        org 0x8000
%define GUEST_NAME "bench"
%include "serial.inc"

N               equ 10000
WARMUP          equ 16
PD_ADDR         equ 0x100000            ; a free page inside the guest's 2 MiB
PTE_P           equ 1 << 0
PTE_RW          equ 1 << 1
PTE_PWT         equ 1 << 3
PTE_PCD         equ 1 << 4
PTE_PS          equ 1 << 7
ADDR_MASK       equ 0x000ffffffffff000

; BENCH "kind", instruction: run the loop, print its line; the loop's last
; EAX is left in R9D for the caller to check.
%macro BENCH 2+
        mov ebp, WARMUP
  %%warm:
        xor eax, eax
        %2
        dec ebp
        jnz %%warm

        lfence
        rdtsc
        shl rdx, 32
        or rax, rdx
        mov r8, rax
        mov ebp, N
  %%loop:
        xor eax, eax
        %2
        dec ebp
        jnz %%loop
        mov r9d, eax
        lfence
        rdtsc
        shl rdx, 32
        or rax, rdx
        sub rax, r8
        mov r10, rax

        PRINT {"BENCH ", %1, " "}
        mov eax, N
        call put_dec64
        PRINT " "
        mov rax, r10
        call put_dec64
        PRINT {10}
%endmacro

start:
        call map_test_device

        BENCH "baseline", nop
        BENCH "cpuid", cpuid
        cmp r9d, 1
        FAIL_HEX_IF b, "CPUID leaf 0 returned a highest leaf below 1", r9d
        BENCH "pio", out 0x80, al
        BENCH "vmcall", vmcall
        cmp r9d, KEEL_ABI_VERSION
        FAIL_HEX_IF ne, "KEEL_HC_VERSION did not return 0x00010000", r9d
        mov ebx, TEST_DEV_MAGIC
        BENCH "mmio", mov eax, [rbx]
        cmp r9d, TEST_DEV_MAGIC_VALUE
        FAIL_HEX_IF ne, "test device magic is not 0x4b45454c", r9d
        PASS

; Keel identity-maps only the first GiB; map the 2 MiB around the test
; device (0xfea00000-0xfebfffff, uncached) through a page directory of our
; own in PDPT entry 3 (3-4 GiB), unless something is mapped there already.
map_test_device:
        mov rdx, ADDR_MASK
        mov rax, cr3
        and rax, rdx
        mov rax, [rax]                  ; PML4 entry 0
        test al, PTE_P
        FAIL_HEX_IF z, "PML4 entry 0 is not present", eax
        and rax, rdx
        lea rsi, [rax + 3 * 8]          ; PDPT entry 3
        test byte [rsi], PTE_P
        jnz .done

        mov rdi, PD_ADDR
        mov ecx, 512
        xor eax, eax
        cld
        rep stosq
        mov rax, 0xfea00000 | PTE_P | PTE_RW | PTE_PWT | PTE_PCD | PTE_PS
        mov [PD_ADDR + ((TEST_DEV_BASE >> 21) & 511) * 8], rax
        mov qword [rsi], PD_ADDR | PTE_P | PTE_RW
        mov rax, cr3                    ; flush the TLB
        mov cr3, rax
.done:  ret
