; smp: a multi-vCPU guest (run with vcpus = 4) brings up its application
; processors the way a PC operating system does, then makes them talk:
;   1. the BSP checks its topology (CPUID leaves 1 and 0xB, its APIC ID,
;      IA32_APIC_BASE.BSP), copies a real-mode trampoline below 1 MiB and
;      sends INIT, SIPI, SIPI to all others by the xAPIC ICR's shorthand
;      (SDM Vol 3 9.4.4.1, 11.6.1);
;   2. each AP starts in real mode at the trampoline, goes through 32-bit
;      protected mode to 64-bit mode on the BSP's page tables, checks its
;      own IDs, counts itself with LOCK INC and prints
;      "smp: cpu N up (apic id N)" (CPUID's initial APIC ID, then the APIC
;      ID register's) under a spin lock, then halts with interrupts on;
;   3. the BSP sends each AP a Fixed IPI (physical destination), then all
;      of them one more (shorthand "all excluding self"); each one's handler
;      counts it and answers with an IPI to the BSP on a vector of its own
;      (so that answers cannot merge in the BSP's IRR);
;   4. an NMI to AP 1, whose NMI handler counts it;
;   5. the BSP checks every count and prints PASS smp.
; Every wait is bounded by the TSC: a lost AP or IPI is a FAIL, not a hang.
; Memory: the trampoline at 0x20000 (SIPI vector 0x20), AP stacks from
; 0x30000; Keel's page tables (0x1000-0x6fff) are shared by all.
        bits 64
        org 0x8000
%define GUEST_NAME "smp"
%include "serial.inc"
%include "irq.inc"

NAPS            equ 3                   ; vcpus = 4
TRAMPOLINE      equ 0x20000             ; 4 KiB aligned, below 1 MiB
SIPI_VECTOR     equ TRAMPOLINE >> 12
AP_STACKS       equ 0x30000             ; AP n's stack tops at AP_STACKS + n * 4 KiB
AP_STACK_SIZE   equ 0x1000

; Selectors of this guest's own GDT (the APs load it; 0x08 is 64-bit code
; as in the GDT Keel gives the BSP, so the shared IDT's gates work on both).
SEL_CODE64      equ 0x08
SEL_DATA        equ 0x10
SEL_CODE32      equ 0x18

VEC_PING        equ 0x50                ; BSP -> AP
VEC_PONG        equ 0x60                ; AP n -> BSP on VEC_PONG + n
VEC_NMI         equ 2
VEC_APIC_SPURIOUS equ 0xff

WAIT_TSC        equ 500000000           ; 5 s at Bochs's 100 MHz
INIT_DELAY_TSC  equ 1000000             ; 10 ms after INIT (MP spec B.4)
SIPI_DELAY_TSC  equ 20000               ; 200 us between the SIPIs

ICR_INIT        equ 5 << 8
ICR_STARTUP     equ 6 << 8
ICR_LEVEL       equ 1 << 15
ICR_ALL_BUT_SELF equ 3 << 18
LAPIC_ESR       equ 0x280

MSR_EFER        equ 0xc0000080
EFER_LME        equ 1 << 8
CR0_PE          equ 1 << 0
CR0_NW_CD       equ 3 << 29
CR0_PG          equ 1 << 31
CR4_PAE         equ 1 << 5
CPUID1_EDX_HTT  equ 1 << 28

start:
        cld
        call idt256_init
        IDT_SET VEC_PING, isr_ping
        IDT_SET VEC_PONG + 1, isr_pong
        IDT_SET VEC_PONG + 2, isr_pong
        IDT_SET VEC_PONG + 3, isr_pong
        IDT_SET VEC_NMI, isr_nmi
        IDT_SET VEC_APIC_SPURIOUS, isr_spurious
        mov r15d, LAPIC_BASE
        call apic_enable
        call bsp_check
        mov rax, cr3
        mov [bsp_cr3], eax

        ; The trampoline goes below 1 MiB, where a SIPI can point.
        mov rsi, tramp_start
        mov edi, TRAMPOLINE
        mov ecx, tramp_end - tramp_start
        rep movsb

        ; INIT (assert, then de-assert), SIPI, SIPI to every AP.
        mov eax, ICR_ALL_BUT_SELF | ICR_INIT | ICR_LEVEL | ICR_LEVEL_ASSERT
        call icr_send
        mov eax, ICR_ALL_BUT_SELF | ICR_INIT | ICR_LEVEL
        call icr_send
        mov rcx, INIT_DELAY_TSC
        call delay_tsc
        mov eax, ICR_ALL_BUT_SELF | ICR_STARTUP | ICR_LEVEL_ASSERT | SIPI_VECTOR
        call icr_send
        mov rcx, SIPI_DELAY_TSC
        call delay_tsc
        mov eax, ICR_ALL_BUT_SELF | ICR_STARTUP | ICR_LEVEL_ASSERT | SIPI_VECTOR
        call icr_send
        mov dword [r15 + LAPIC_ESR], 0  ; latches the errors so far (11.5.3)
        mov eax, [r15 + LAPIC_ESR]
        test eax, eax
        FAIL_HEX_IF nz, "the local APIC's ESR reports an error after INIT/SIPI", eax

        mov edi, ap_up
        mov esi, NAPS
        mov rcx, WAIT_TSC
        xor edx, edx
        call wait_for
        FAIL_HEX_IF c, "not every AP came up (APs up)", dword [ap_up]

        ; A Fixed IPI to each AP in turn, by its APIC ID: each answers.
        mov ebx, 1
.ping:  mov eax, ebx
        shl eax, 24
        mov [r15 + LAPIC_ICR_HIGH], eax
        mov dword [r15 + LAPIC_ICR_LOW], ICR_LEVEL_ASSERT | VEC_PING
        mov edi, pong_count
        mov esi, ebx
        mov rcx, WAIT_TSC
        xor edx, edx
        call wait_for
        FAIL_HEX_IF c, "no answer to a Fixed IPI from the AP with APIC ID", ebx
        inc ebx
        cmp ebx, NAPS
        jbe .ping
        ; One more to all of them at once.
        mov eax, ICR_ALL_BUT_SELF | ICR_LEVEL_ASSERT | VEC_PING
        call icr_send
        mov edi, pong_count
        mov esi, 2 * NAPS
        mov rcx, WAIT_TSC
        xor edx, edx
        call wait_for
        FAIL_HEX_IF c, "not every AP answered the broadcast IPI (answers)", dword [pong_count]

        ; An NMI to AP 1.
        mov dword [r15 + LAPIC_ICR_HIGH], 1 << 24
        mov dword [r15 + LAPIC_ICR_LOW], ICR_LEVEL_ASSERT | (4 << 8)
        mov edi, nmi_count
        mov esi, 1
        mov rcx, WAIT_TSC
        xor edx, edx
        call wait_for
        FAIL_IF c, "AP 1 did not take the NMI"

        ; Nothing counted twice: every IPI was delivered once.
        mov rcx, INIT_DELAY_TSC
        call delay_tsc
        cmp dword [ap_up], NAPS
        FAIL_HEX_IF ne, "APs up", dword [ap_up]
        cmp dword [ping_count], 2 * NAPS
        FAIL_HEX_IF ne, "pings taken by the APs", dword [ping_count]
        cmp dword [pong_count], 2 * NAPS
        FAIL_HEX_IF ne, "answers taken by the BSP", dword [pong_count]
        cmp dword [nmi_count], 1
        FAIL_HEX_IF ne, "NMIs taken", dword [nmi_count]
        call console_lock
        PRINT "smp: "
        mov eax, [ap_up]
        call put_dec64
        PRINT " APs up, "
        mov eax, [ping_count]
        call put_dec64
        PRINT " IPIs answered, "
        mov eax, [nmi_count]
        call put_dec64
        PRINT {" NMI", 10}
        call console_unlock
        PASS

; The BSP's view of the machine: initial APIC ID 0, a package of at least
; NAPS + 1 logical processors (CPUID.1:EBX[23:16] with HTT; CPUID.0xB's
; core level), its APIC ID register 0 and IA32_APIC_BASE.BSP set.
bsp_check:
        mov eax, 1
        cpuid
        mov eax, ebx
        shr eax, 24
        FAIL_HEX_IF nz, "CPUID.1:EBX initial APIC ID of the BSP is not 0", eax
        test edx, CPUID1_EDX_HTT
        FAIL_HEX_IF z, "CPUID.1:EDX.HTT clear in a VM of 4 vCPUs", edx
        shr ebx, 16
        and ebx, 0xff
        cmp ebx, NAPS + 1
        FAIL_HEX_IF b, "CPUID.1:EBX logical processors fewer than 4", ebx
        xor eax, eax
        cpuid
        cmp eax, 0xb
        jb .apic
        mov eax, 0xb
        mov ecx, 1
        cpuid
        cmp ebx, NAPS + 1
        FAIL_HEX_IF ne, "CPUID.(0xB,1):EBX is not 4 cores", ebx
        mov eax, ecx
        shr eax, 8
        and eax, 0xff
        cmp eax, 2
        FAIL_HEX_IF ne, "CPUID.(0xB,1):ECX level type is not core", ecx
.apic:  mov eax, [r15 + LAPIC_ID]
        shr eax, 24
        FAIL_HEX_IF nz, "the BSP's APIC ID is not 0", eax
        mov ecx, MSR_IA32_APIC_BASE
        rdmsr
        test eax, APIC_BASE_BSP
        FAIL_HEX_IF z, "IA32_APIC_BASE.BSP clear on the BSP", eax
        ret

; apic_enable: software-enable this CPU's local APIC (spurious vector 0xff).
apic_enable:
        mov dword [r15 + LAPIC_SVR], SVR_APIC_ENABLE | VEC_APIC_SPURIOUS
        ret

; icr_send: ICR low word EAX (a shorthand names the destination).
icr_send:
        mov [r15 + LAPIC_ICR_LOW], eax
        ret

; delay_tsc: spin RCX TSC cycles.
delay_tsc:
        push rax
        push rdx
        push r8
        RDTSC64
        lea r8, [rax + rcx]
.spin:  pause
        RDTSC64
        cmp rax, r8
        jb .spin
        pop r8
        pop rdx
        pop rax
        ret

; console_lock / console_unlock: one CPU prints at a time, so lines do not
; mix. The wait is bounded: a holder that never lets go is a FAIL.
console_lock:
        push rax
        push rcx
        push rdx
        push r8
        RDTSC64
        lea r8, [rax + WAIT_TSC]
.try:   mov eax, 1
        xchg eax, [console_lock_word]
        test eax, eax
        jz .got
        pause
        RDTSC64
        cmp rax, r8
        jb .try
        FAIL "the console lock was never released"
.got:   pop r8
        pop rdx
        pop rcx
        pop rax
        ret

console_unlock:
        mov dword [console_lock_word], 0
        ret

; --- interrupt handlers (the IDT is shared by every CPU) ---------------------

; AP: a ping from the BSP. Count it, answer on VEC_PONG + this APIC's ID.
isr_ping:
        push rax
        push rdx
        mov edx, LAPIC_BASE
        lock inc dword [ping_count]
        mov dword [rdx + LAPIC_ICR_HIGH], 0     ; APIC ID 0: the BSP
        mov eax, [rdx + LAPIC_ID]
        shr eax, 24
        add eax, ICR_LEVEL_ASSERT | VEC_PONG
        mov [rdx + LAPIC_ICR_LOW], eax
        mov dword [rdx + LAPIC_EOI], 0
        pop rdx
        pop rax
        iretq

; BSP: an AP's answer.
isr_pong:
        push rax
        lock inc dword [pong_count]
        mov eax, LAPIC_BASE
        mov dword [rax + LAPIC_EOI], 0
        pop rax
        iretq

isr_nmi:
        lock inc dword [nmi_count]
        iretq

; A spurious interrupt takes no EOI (SDM Vol 3 11.9).
isr_spurious:
        iretq

; --- the AP's way from real mode to 64-bit mode ------------------------------

; Copied to TRAMPOLINE; a SIPI starts it at CS = TRAMPOLINE >> 4, IP = 0,
; so it addresses its own bytes through CS (= DS) by offset.
        bits 16
tramp_start:
        cli
        mov ax, cs
        mov ds, ax
        o32 lgdt [tramp_gdtr - tramp_start]
        mov eax, cr0
        or eax, CR0_PE
        mov cr0, eax
        jmp dword SEL_CODE32:ap_pm32
        align 4
tramp_gdtr:
        dw smp_gdt_end - smp_gdt - 1
        dd smp_gdt
tramp_end:

; 32-bit protected mode, paging off: PAE, the BSP's CR3, EFER.LME, then
; paging (with caching back on: INIT left CD and NW set) enters IA-32e mode.
        bits 32
ap_pm32:
        mov ax, SEL_DATA
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov eax, cr4
        or eax, CR4_PAE
        mov cr4, eax
        mov eax, [bsp_cr3]
        mov cr3, eax
        mov ecx, MSR_EFER
        rdmsr
        or eax, EFER_LME
        wrmsr
        mov eax, cr0
        and eax, ~CR0_NW_CD
        or eax, CR0_PG | CR0_PE
        mov cr0, eax
        jmp SEL_CODE64:ap_long

        bits 64
ap_long:
        mov ax, SEL_DATA
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov fs, ax
        mov gs, ax
        mov r15d, LAPIC_BASE
        mov ebx, [r15 + LAPIC_ID]
        shr ebx, 24                     ; EBX = this AP's APIC ID
        cmp ebx, NAPS
        ja ap_bad_id
        test ebx, ebx
        jz ap_bad_id
        mov eax, ebx
        inc eax
        imul eax, AP_STACK_SIZE
        add eax, AP_STACKS
        mov esp, eax
        lidt [idt256_ptr]
        call apic_enable
        call ap_check
        lock inc dword [ap_up]
        call console_lock
        PRINT "smp: cpu "
        mov eax, r12d
        call put_dec64
        PRINT " up (apic id "
        mov eax, ebx
        call put_dec64
        PRINT {")", 10}
        call console_unlock
.idle:  sti
        hlt
        jmp .idle

ap_bad_id:
        mov esp, AP_STACKS
        FAIL_HEX "an AP's APIC ID is not 1-3", ebx

; ap_check: CPUID's initial APIC ID (into R12) is the APIC ID register's
; (EBX), and IA32_APIC_BASE.BSP is clear on an AP.
ap_check:
        mov r13d, ebx
        mov eax, 1
        cpuid
        mov r12d, ebx
        shr r12d, 24
        mov ebx, r13d
        cmp r12d, ebx
        FAIL_HEX_IF ne, "an AP's CPUID initial APIC ID differs from its APIC ID", r12d
        mov ecx, MSR_IA32_APIC_BASE
        rdmsr
        test eax, APIC_BASE_BSP
        FAIL_HEX_IF nz, "IA32_APIC_BASE.BSP set on an AP", eax
        ret

section .data
        align 8
; null, 64-bit code, data, 32-bit code: flat, DPL 0 (SDM Vol 3 3.4.5).
smp_gdt:
        dq 0
        dq 0x00af9a000000ffff
        dq 0x00cf92000000ffff
        dq 0x00cf9a000000ffff
smp_gdt_end:
bsp_cr3:        dd 0
ap_up:          dd 0
ping_count:     dd 0
pong_count:     dd 0
nmi_count:      dd 0
console_lock_word: dd 0

section .text
