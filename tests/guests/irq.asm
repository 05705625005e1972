; irq: Keel's interrupt virtualization as a PC operating system drives it,
; one line per step:
;   1. 8254 -> 8259 -> LINT0 in ExtINT (virtual wire), HLT woken by each tick;
;      the TSC is measured against the PIT here for every later bound; a
;      software-disabled APIC keeps its LVT entries masked
;   2. 8254 -> IO-APIC pin 2 (ISA IRQ 0, the MADT override) -> local APIC
;   3. local APIC timer: count-down, one-shot, periodic, masking
;   4. TSC-deadline timer (IA32_TSC_DEADLINE)
;   5. MC146818: the date and time, then periodic interrupts on IO-APIC pin 8
;   6. task priority: a self-IPI held back by TPR, then let in
;   7. CR8 and the TPR are one register (SDM Vol 3 11.8.6)
; Every wait is bounded by the TSC: a lost interrupt is a FAIL, not a hang.
; From step 2 on the PIT ticks every 50 ms on pin 2 as a backstop, so no HLT
; can sleep for good; it is restarted as each timer is armed, so a timer that
; does not wake a halted vCPU shows up late (by more than LATE_MAX_MS) rather
; than hanging the test. Keel starts it in 64-bit mode with 0-4 GiB identity-
; mapped; the APIC pages are emulated MMIO, touched only by 32-bit MOVs.
; R15 holds the local APIC's base throughout the steps.
        bits 64
        org 0x8000
%define GUEST_NAME "irq"
%include "serial.inc"
%include "irq.inc"

VEC_PIC_MASTER          equ 0x20        ; ICW2: IRQ 0-7 -> 0x20-0x27
VEC_PIC_SLAVE           equ 0x28        ; IRQ 8-15 -> 0x28-0x2f
VEC_PIC_IRQ0            equ 0x20
VEC_PIC_SPURIOUS        equ 0x27        ; IRQ 7 (masked): only ever spurious
VEC_PIT                 equ 0x31
VEC_LAPIC_TIMER         equ 0x40
VEC_TSC_DEADLINE        equ 0x41
VEC_RTC                 equ 0x42
VEC_SELF_IPI            equ 0x45        ; priority class 4
VEC_APIC_SPURIOUS       equ 0xff

IOAPIC_VERSION_EXPECTED equ 0x00170011  ; 24 redirection entries, version 0x11
IOAPIC_PIN_PIT          equ 2
IOAPIC_PIN_RTC          equ 8
PIT_COUNT_1MS           equ 1193        ; PIT_HZ / 1000
PIT_COUNT_BACKSTOP      equ 59659       ; 50 ms

PIC_TICKS               equ 20
IOAPIC_TICKS            equ 10
TIMER_PERIODS           equ 5
RTC_PERIODS             equ 5
BOOT_WAIT_TSC           equ 500000000   ; before the TSC is measured: 5 s at 100 MHz
TSC_PER_MS_MIN          equ 1000        ; a TSC under 1 MHz or over 10 GHz is a
TSC_PER_MS_MAX          equ 10000000    ; broken PIT or TSC, not a fast machine
LATE_MAX_MS             equ 20          ; an interrupt later than this after it
                                        ; is due was not what woke the HLT

%macro IO_DELAY 0
        out POST_PORT, al
%endmacro

; RTC_FIELD register, min, max, slot, "why": read a date/time register into
; rtc_date[slot] as BCD, or FAIL. DL holds the mask of its value bits.
%macro RTC_FIELD 5
        mov al, %1
        mov cl, %2
        mov ch, %3
        call rtc_field
        FAIL_HEX_IF c, {%5}, eax
        mov [rtc_date + %4], al
%endmacro

start:
        cld
        call idt256_init
        IDT_SET VEC_PIC_IRQ0, isr_pic_timer
        IDT_SET VEC_PIC_SPURIOUS, isr_spurious
        IDT_SET VEC_PIT, isr_pit
        IDT_SET VEC_LAPIC_TIMER, isr_lapic_timer
        IDT_SET VEC_TSC_DEADLINE, isr_tsc_deadline
        IDT_SET VEC_RTC, isr_rtc
        IDT_SET VEC_SELF_IPI, isr_self_ipi
        IDT_SET VEC_APIC_SPURIOUS, isr_spurious
        mov r15d, LAPIC_BASE

        call lapic_check
        call step_pic
        call step_ioapic
        call step_lapic_timer
        call step_tsc_deadline
        call step_rtc
        call step_tpr
        call step_cr8

        cli
        mov ecx, IOAPIC_PIN_PIT
        mov eax, RTE_MASKED | VEC_PIT
        call ioapic_route
        mov eax, [spurious_count]
        test eax, eax
        jz .pass
        PRINT "irq: "
        call put_dec64
        PRINT {" spurious interrupts (vector 0x27 or 0xff)", 10}
.pass:  PASS

; The local APIC is there, enabled in IA32_APIC_BASE, at 0xfee00000, ID 0.
lapic_check:
        mov eax, 1
        cpuid
        test edx, CPUID1_EDX_APIC
        FAIL_HEX_IF z, "CPUID.1:EDX.APIC is clear", edx
        mov ecx, MSR_IA32_APIC_BASE
        rdmsr
        mov ebx, eax
        and eax, APIC_BASE_ADDR_MASK
        or eax, edx
        cmp eax, LAPIC_BASE
        FAIL_HEX_IF ne, "IA32_APIC_BASE is not at 0xfee00000", ebx
        test ebx, APIC_BASE_ENABLE
        FAIL_HEX_IF z, "IA32_APIC_BASE: the APIC is globally disabled", ebx
        test ebx, APIC_BASE_BSP
        FAIL_HEX_IF z, "IA32_APIC_BASE: BSP flag clear", ebx
        mov eax, [r15 + LAPIC_ID]
        shr eax, 24
        FAIL_HEX_IF nz, "local APIC ID is not 0", eax
        mov ebx, [r15 + LAPIC_VERSION]
        mov eax, ebx
        and eax, 0xf0
        cmp eax, 0x10
        FAIL_HEX_IF ne, "local APIC version is not 0x1x (integrated APIC)", ebx
        PRINT "irq: lapic version 0x"
        mov eax, ebx
        call put_hex32
        PRINT ", svr 0x"
        mov eax, [r15 + LAPIC_SVR]
        call put_hex32
        PRINT 10
        ret

; Step 1: the PIT through the 8259 and LINT0, the way a BIOS leaves a PC
; (MP spec 3.6.2.2, virtual wire mode), with the 8259 set up as Linux does.
step_pic:
        ; After reset every LVT entry is masked (SDM 11.4.7.1).
        mov eax, [r15 + LAPIC_SVR]
        test eax, SVR_APIC_ENABLE
        jnz .enable
        mov eax, [r15 + LAPIC_LVT_LINT0]
        test eax, LVT_MASKED
        FAIL_HEX_IF z, "LINT0 not masked in the APIC's reset state", eax
.enable:
        call lapic_virtual_wire
        ; Software-disabling the APIC sets every LVT mask, and while it is
        ; disabled a write cannot clear one (SDM 11.4.7.2).
        mov eax, VEC_APIC_SPURIOUS
        mov [r15 + LAPIC_SVR], eax
        mov eax, [r15 + LAPIC_LVT_LINT0]
        test eax, LVT_MASKED
        FAIL_HEX_IF z, "software-disabling the APIC did not mask LINT0", eax
        mov eax, LVT_DM_EXTINT
        mov [r15 + LAPIC_LVT_LINT0], eax
        mov eax, [r15 + LAPIC_LVT_LINT0]
        test eax, LVT_MASKED
        FAIL_HEX_IF z, "LINT0 unmasked while the APIC is software-disabled", eax
        call lapic_virtual_wire
        xor eax, eax
        mov [r15 + LAPIC_TPR], eax

        call pic_init
        mov al, 0xfe                    ; IRQ 0 only
        out PIC1_DATA, al
        mov al, 0xff
        out PIC2_DATA, al
        in al, PIC1_DATA
        movzx eax, al
        cmp eax, 0xfe
        FAIL_HEX_IF ne, "8259 master IMR does not read back 0xfe", eax

        mov dword [pic_ticks], 0
        mov ecx, PIT_COUNT_1MS
        call pit_periodic
        ; The first tick by spinning, so that a dead path is a FAIL; then
        ; HLT, each woken by the next tick.
        mov edi, pic_ticks
        mov esi, 1
        mov rcx, BOOT_WAIT_TSC
        xor edx, edx
        call wait_for
        FAIL_IF c, "no PIT interrupt through the 8259 and LINT0 (ExtINT)"
        mov esi, PIC_TICKS
        mov edx, 1
        call wait_for
        FAIL_HEX_IF c, "PIT interrupts through the 8259 stopped", dword [pic_ticks]
        mov r13d, eax
        cli

        ; TSC cycles per millisecond, from the first tick to the last.
        mov ecx, [pic_ticks]
        dec ecx
        mov rax, [pic_tsc]
        sub rax, [pic_first_tsc]
        xor edx, edx
        div rcx
        mov [tsc_per_ms], rax
        cmp rax, TSC_PER_MS_MIN
        FAIL_HEX_IF b, "TSC cycles per PIT millisecond implausibly few", eax
        cmp rax, TSC_PER_MS_MAX
        FAIL_HEX_IF a, "TSC cycles per PIT millisecond implausibly many", eax
        ; A HLT that returned without an interrupt would have spun here
        ; thousands of times.
        cmp r13d, 2 * PIC_TICKS
        FAIL_HEX_IF a, "HLT returned without an interrupt (HLTs for 19 ticks)", r13d

        PRINT "irq: pic "
        mov eax, [pic_ticks]
        call put_dec64
        PRINT " ticks, "
        mov eax, r13d
        call put_dec64
        PRINT " hlt, tsc "
        mov rax, [tsc_per_ms]
        call put_dec64
        PRINT {" kHz", 10}

        mov al, OCW3_READ_ISR
        out PIC1_CMD, al
        in al, PIC1_CMD
        movzx ebx, al
        mov al, OCW3_READ_IRR
        out PIC1_CMD, al
        test ebx, ebx
        FAIL_HEX_IF nz, "8259 ISR not clear after the EOIs", ebx
        ; Off: the 8259 masked, LINT0 masked.
        mov al, 0xff
        out PIC1_DATA, al
        out PIC2_DATA, al
        mov eax, LVT_MASKED | LVT_DM_EXTINT
        mov [r15 + LAPIC_LVT_LINT0], eax
        ret

; lapic_virtual_wire: APIC software-enabled (spurious vector 0xff), LINT0
; unmasked ExtINT: the 8259's INTR reaches the CPU through the local APIC.
lapic_virtual_wire:
        mov eax, SVR_APIC_ENABLE | VEC_APIC_SPURIOUS
        mov [r15 + LAPIC_SVR], eax
        mov eax, LVT_DM_EXTINT
        mov [r15 + LAPIC_LVT_LINT0], eax
        mov eax, [r15 + LAPIC_LVT_LINT0]
        mov ebx, eax
        and ebx, LVT_MASKED | LVT_DM_MASK
        cmp ebx, LVT_DM_EXTINT
        FAIL_HEX_IF ne, "LINT0 does not read back as unmasked ExtINT", eax
        ret

; The 8259A pair as Linux's init_8259A sets it: all masked, ICW1-4 to the
; master (vectors 0x20, slave on IR2), then to the slave (0x28, identity 2).
pic_init:
        mov al, 0xff
        out PIC1_DATA, al
        out PIC2_DATA, al
        mov al, ICW1_INIT_ICW4
        out PIC1_CMD, al
        IO_DELAY
        mov al, VEC_PIC_MASTER
        out PIC1_DATA, al
        IO_DELAY
        mov al, ICW3_MASTER_SLAVE_IR2
        out PIC1_DATA, al
        IO_DELAY
        mov al, ICW4_8086
        out PIC1_DATA, al
        IO_DELAY
        mov al, ICW1_INIT_ICW4
        out PIC2_CMD, al
        IO_DELAY
        mov al, VEC_PIC_SLAVE
        out PIC2_DATA, al
        IO_DELAY
        mov al, ICW3_SLAVE_ID2
        out PIC2_DATA, al
        IO_DELAY
        mov al, ICW4_8086
        out PIC2_DATA, al
        IO_DELAY
        ret

; Step 2: the PIT through the IO-APIC. Called with IF = 0; returns with
; IF = 1 and the PIT ticking every 50 ms on pin 2 as the backstop.
step_ioapic:
        mov ecx, IOAPIC_REG_VERSION
        call ioapic_read
        cmp eax, IOAPIC_VERSION_EXPECTED
        FAIL_HEX_IF ne, "IO-APIC version register is not 0x00170011", eax
        ; Every redirection entry is masked at reset (82093AA 3.2.4).
        xor ebx, ebx
.pin:   lea ecx, [IOAPIC_REG_REDTBL + rbx * 2]
        call ioapic_read
        test eax, RTE_MASKED
        FAIL_HEX_IF z, "IO-APIC pin not masked at reset: pin", ebx
        inc ebx
        cmp ebx, IOAPIC_PINS
        jb .pin

        ; Fixed, physical destination APIC 0, active high, edge, unmasked.
        mov ecx, IOAPIC_PIN_PIT
        mov eax, VEC_PIT
        call ioapic_route
        mov ecx, IOAPIC_REG_REDTBL + 2 * IOAPIC_PIN_PIT
        call ioapic_read
        mov ebx, eax
        and eax, 0x1ffff & ~RTE_DELIVERY_PENDING
        cmp eax, VEC_PIT
        FAIL_HEX_IF ne, "IO-APIC pin 2 does not read back what was written", ebx

        mov r12d, [pic_ticks]
        mov dword [pit_ticks], 0
        mov ecx, PIT_COUNT_1MS
        call pit_periodic
        mov edi, pit_ticks
        mov esi, 1
        imul rcx, [tsc_per_ms], 100
        xor edx, edx
        call wait_for
        FAIL_IF c, "no PIT interrupt through IO-APIC pin 2 in 100 ms"
        mov esi, IOAPIC_TICKS
        mov edx, 1
        call wait_for
        FAIL_HEX_IF c, "PIT interrupts through the IO-APIC stopped", dword [pit_ticks]
        mov r13d, eax
        cli
        cmp r12d, [pic_ticks]
        FAIL_IF ne, "the 8259 delivered with its IMR and LINT0 masked"
        cmp r13d, 2 * IOAPIC_TICKS
        FAIL_HEX_IF a, "HLT returned without an interrupt (HLTs for 9 ticks)", r13d

        PRINT "irq: ioapic version 0x"
        mov eax, IOAPIC_VERSION_EXPECTED
        call put_hex32
        PRINT ", pin 2: "
        mov eax, [pit_ticks]
        call put_dec64
        PRINT " ticks, "
        mov eax, r13d
        call put_dec64
        PRINT {" hlt", 10}
        call check_isr_clear

        call backstop_restart
        sti
        ret

; backstop_restart: the PIT's 50 ms backstop starts a new period now.
backstop_restart:
        push rcx
        mov ecx, PIT_COUNT_BACKSTOP
        call pit_periodic
        pop rcx
        ret

; Step 3: the APIC timer (SDM 11.5.4). Its clock is measured against the TSC
; (as Linux measures it against the PIT), then a 2 ms one-shot and a 1 ms
; periodic run from that measurement.
step_lapic_timer:
        mov eax, TIMER_DIVIDE_BY_1
        mov [r15 + LAPIC_TIMER_DIVIDE], eax
        mov eax, [r15 + LAPIC_TIMER_DIVIDE]
        and eax, 0x0b
        cmp eax, TIMER_DIVIDE_BY_1
        FAIL_HEX_IF ne, "timer divide configuration does not read back 0xb", eax
        mov eax, LVT_MASKED | VEC_LAPIC_TIMER
        mov [r15 + LAPIC_LVT_TIMER], eax
        mov eax, 0xffffffff
        mov [r15 + LAPIC_TIMER_INITIAL], eax
        mov ebx, [r15 + LAPIC_TIMER_CURRENT]
        mov ecx, 2
        call delay_ms
        mov eax, [r15 + LAPIC_TIMER_CURRENT]
        xor ecx, ecx
        mov [r15 + LAPIC_TIMER_INITIAL], ecx    ; 0 stops the timer
        cmp eax, ebx
        FAIL_HEX_IF ae, "timer current count did not count down in 2 ms", eax
        sub ebx, eax
        shr ebx, 1
        FAIL_IF z, "timer counts less than once a millisecond"
        mov [lapic_per_ms], ebx
        mov eax, [r15 + LAPIC_TIMER_CURRENT]
        test eax, eax
        FAIL_HEX_IF nz, "timer current count not 0 after initial count 0", eax
        PRINT "irq: lapic timer "
        mov eax, ebx
        call put_dec64
        PRINT {" counts/ms at divide 1", 10}

        ; One-shot, 2 ms: it counts down, fires once, not early, stays at 0.
        mov dword [timer_ticks], 0
        mov eax, VEC_LAPIC_TIMER
        mov [r15 + LAPIC_LVT_TIMER], eax
        add ebx, ebx
        call backstop_restart
        RDTSC64
        mov r12, rax
        mov [r15 + LAPIC_TIMER_INITIAL], ebx
        mov ecx, [r15 + LAPIC_TIMER_CURRENT]
        mov edx, [r15 + LAPIC_TIMER_CURRENT]
        cmp dword [timer_ticks], 0
        FAIL_IF ne, "2 ms one-shot fired before two reads of the current count"
        cmp ecx, ebx
        FAIL_HEX_IF a, "timer current count above the initial count", ecx
        cmp edx, ecx
        FAIL_HEX_IF ae, "timer current count did not decrease between two reads", edx
        mov edi, timer_ticks
        mov esi, 1
        imul rcx, [tsc_per_ms], 100
        mov edx, 1
        call wait_for
        FAIL_IF c, "2 ms one-shot timer interrupt never came"
        mov rax, [timer_tsc]
        sub rax, r12
        call tsc_to_us
        mov rbx, rax
        cmp rbx, 1500
        FAIL_HEX_IF b, "2 ms one-shot fired early (microseconds)", ebx
        cmp rbx, 2000 + LATE_MAX_MS * 1000
        FAIL_HEX_IF a, "2 ms one-shot late: it did not wake the HLT (microseconds)", ebx
        mov eax, [r15 + LAPIC_TIMER_CURRENT]
        test eax, eax
        FAIL_HEX_IF nz, "timer current count not 0 after the one-shot", eax
        mov ecx, 3
        call delay_ms
        cmp dword [timer_ticks], 1
        FAIL_HEX_IF ne, "one-shot timer fired more than once", dword [timer_ticks]
        PRINT "irq: lapic one-shot 2 ms fired after "
        mov rax, rbx
        call put_dec64
        PRINT {" us", 10}

        ; Periodic, 1 ms, five periods; then masked while it still runs.
        mov dword [timer_ticks], 0
        mov eax, LVT_TIMER_PERIODIC | VEC_LAPIC_TIMER
        mov [r15 + LAPIC_LVT_TIMER], eax
        mov ebx, [lapic_per_ms]
        call backstop_restart
        RDTSC64
        mov r12, rax
        mov [r15 + LAPIC_TIMER_INITIAL], ebx
        mov edi, timer_ticks
        mov esi, TIMER_PERIODS
        imul rcx, [tsc_per_ms], 100
        mov edx, 1
        call wait_for
        FAIL_HEX_IF c, "1 ms periodic timer: too few interrupts in 100 ms", dword [timer_ticks]
        cli
        mov eax, LVT_MASKED | LVT_TIMER_PERIODIC | VEC_LAPIC_TIMER
        mov [r15 + LAPIC_LVT_TIMER], eax
        mov r13d, [timer_ticks]
        mov rax, [timer_tsc]
        sub rax, r12
        call tsc_to_us
        mov rbx, rax
        imul eax, r13d, 750             ; n periods take n ms; allow 25% for measuring
        cmp rbx, rax
        FAIL_HEX_IF b, "1 ms periodic timer ran fast (microseconds)", ebx
        imul eax, r13d, 1000
        add eax, LATE_MAX_MS * 1000
        cmp rbx, rax
        FAIL_HEX_IF a, "1 ms periodic timer late: it did not wake the HLT (microseconds)", ebx
        sti
        mov ecx, 1                      ; one already requested may still come
        call delay_ms
        mov r12d, [timer_ticks]
        mov ecx, 3
        call delay_ms
        cmp r12d, [timer_ticks]
        FAIL_IF ne, "periodic timer interrupts while its LVT entry is masked"
        xor eax, eax
        mov [r15 + LAPIC_TIMER_INITIAL], eax
        call check_isr_clear
        PRINT "irq: lapic periodic "
        mov eax, r13d
        call put_dec64
        PRINT " ticks in "
        mov rax, rbx
        call put_dec64
        PRINT {" us, then masked", 10}
        ret

; Step 4: TSC-deadline mode (SDM 11.5.4.1): the interrupt comes at the
; deadline, not before; the MSR reads back, clears when the timer fires,
; and a write of 0 disarms.
step_tsc_deadline:
        mov eax, 1
        cpuid
        test ecx, CPUID1_ECX_TSC_DEADLINE
        FAIL_HEX_IF z, "CPUID.1:ECX.TSC_DEADLINE (bit 24) is clear", ecx
        mov dword [deadline_ticks], 0
        mov eax, LVT_TIMER_TSC_DEADLINE | VEC_TSC_DEADLINE
        mov [r15 + LAPIC_LVT_TIMER], eax
        mov eax, [r15 + LAPIC_LVT_TIMER]
        mov ebx, eax
        and eax, LVT_TIMER_MODE_MASK
        cmp eax, LVT_TIMER_TSC_DEADLINE
        FAIL_HEX_IF ne, "LVT timer does not keep TSC-deadline mode", ebx
        mfence                          ; the LVT write before the WRMSR (SDM 11.5.4.1)

        call backstop_restart
        RDTSC64
        imul rbx, [tsc_per_ms], 2
        add rbx, rax
        mov ecx, MSR_IA32_TSC_DEADLINE
        mov rax, rbx
        mov rdx, rbx
        shr rdx, 32
        wrmsr
        rdmsr
        shl rdx, 32
        or rax, rdx
        cmp rax, rbx
        FAIL_HEX_IF ne, "IA32_TSC_DEADLINE does not read back the deadline", eax
        mov eax, [r15 + LAPIC_TIMER_CURRENT]
        test eax, eax
        FAIL_HEX_IF nz, "timer current count not 0 in TSC-deadline mode", eax
        mov edi, deadline_ticks
        mov esi, 1
        imul rcx, [tsc_per_ms], 100
        mov edx, 1
        call wait_for
        FAIL_IF c, "TSC-deadline interrupt never came"
        mov r12, [deadline_tsc]
        sub r12, rbx
        FAIL_HEX_IF b, "TSC-deadline interrupt before the deadline (cycles)", r12d
        imul rax, [tsc_per_ms], LATE_MAX_MS
        cmp r12, rax
        FAIL_HEX_IF a, "TSC-deadline interrupt late: it did not wake the HLT (cycles)", r12d
        mov ecx, MSR_IA32_TSC_DEADLINE
        rdmsr
        or eax, edx
        FAIL_HEX_IF nz, "IA32_TSC_DEADLINE not 0 after its interrupt", eax

        ; Armed 2 ms ahead, then 0: nothing may come.
        RDTSC64
        imul rcx, [tsc_per_ms], 2
        add rax, rcx
        mov rdx, rax
        shr rdx, 32
        mov ecx, MSR_IA32_TSC_DEADLINE
        wrmsr
        xor eax, eax
        xor edx, edx
        wrmsr
        mov ecx, 4
        call delay_ms
        cmp dword [deadline_ticks], 1
        FAIL_IF ne, "writing 0 to IA32_TSC_DEADLINE did not disarm it"
        mov eax, LVT_MASKED | LVT_TIMER_TSC_DEADLINE | VEC_TSC_DEADLINE
        mov [r15 + LAPIC_LVT_TIMER], eax
        call check_isr_clear
        PRINT "irq: tsc-deadline fired "
        mov rax, r12
        call put_dec64
        PRINT {" cycles after its deadline; 0 disarms", 10}
        ret

; Step 5: the MC146818. The date and time as the host clock set them, read
; with interrupts off (the handler below uses the index port too) after
; update-in-progress clears; then 1024 Hz periodic interrupts on pin 8.
; The year must be 2000-2069: the system tests' Bochs runs with its clock
; at 2000-01-01, and Keel falls back to 1970 when it cannot read the host's.
step_rtc:
        cli
        RDTSC64
        imul rbx, [tsc_per_ms], 10
        add rbx, rax
.uip:   mov al, RTC_REG_A
        call cmos_read
        test al, RTC_A_UIP
        jz .read
        RDTSC64
        cmp rax, rbx
        jb .uip
        FAIL "RTC update in progress for over 10 ms"
.read:  mov al, RTC_REG_B
        call cmos_read
        mov [rtc_b], al
        mov dl, 0xff
        RTC_FIELD RTC_YEAR, 0, 69, 0, "RTC year is not valid, or not 2000-2069 (the 1970 of an unseeded clock?)"
        RTC_FIELD RTC_MONTH, 1, 12, 1, "RTC month is not valid"
        RTC_FIELD RTC_DAY, 1, 31, 2, "RTC day is not valid"
        test byte [rtc_b], RTC_B_24H
        jz .h12
        RTC_FIELD RTC_HOURS, 0, 23, 3, "RTC hours (24-hour) are not valid"
        jmp .minutes
.h12:   mov dl, 0x7f                    ; bit 7 is PM
        RTC_FIELD RTC_HOURS, 1, 12, 3, "RTC hours (12-hour) are not valid"
        mov dl, 0xff
.minutes:
        RTC_FIELD RTC_MINUTES, 0, 59, 4, "RTC minutes are not valid"
        RTC_FIELD RTC_SECONDS, 0, 59, 5, "RTC seconds are not valid"
        sti
        PRINT "irq: rtc 20"
        mov rsi, rtc_date
        mov ebx, rtc_separators
.field: lodsb
        call put_hex8
        mov al, [rbx]
        inc ebx
        call putc
        cmp rsi, rtc_date + 6
        jb .field

        ; Periodic interrupt: divider 010b kept, rate 6 (976.5 us).
        cli
        mov ax, ((RTC_A_DIV_32K | RTC_A_RATE_1024HZ) << 8) | RTC_REG_A
        call cmos_write
        mov al, RTC_REG_A
        call cmos_read
        and eax, 0x7f
        cmp eax, RTC_A_DIV_32K | RTC_A_RATE_1024HZ
        FAIL_HEX_IF ne, "RTC register A does not read back 0x26", eax
        mov al, RTC_REG_C               ; drop flags raised before
        call cmos_read
        mov ecx, IOAPIC_PIN_RTC
        mov eax, VEC_RTC                ; fixed, APIC 0, active high, edge
        call ioapic_route
        mov dword [rtc_ticks], 0
        mov al, RTC_REG_B
        call cmos_read
        or al, RTC_B_PIE
        mov ah, al
        mov al, RTC_REG_B
        call cmos_write
        call backstop_restart
        RDTSC64
        mov r12, rax
        mov edi, rtc_ticks
        mov esi, RTC_PERIODS
        imul rcx, [tsc_per_ms], 100
        mov edx, 1
        call wait_for
        FAIL_HEX_IF c, "RTC periodic interrupts on pin 8: too few in 100 ms", dword [rtc_ticks]
        cli
        mov al, RTC_REG_B
        call cmos_read
        and al, ~RTC_B_PIE
        mov ah, al
        mov al, RTC_REG_B
        call cmos_write
        mov al, RTC_REG_C
        call cmos_read
        mov ecx, IOAPIC_PIN_RTC
        mov eax, RTE_MASKED | VEC_RTC
        call ioapic_route
        mov r13d, [rtc_ticks]
        mov rax, [rtc_tsc]
        sub rax, r12
        call tsc_to_us
        mov rbx, rax
        sti
        ; The first period may end at once (the divider chain runs on its
        ; own); the other n - 1 take 976 us each.
        lea eax, [r13 - 1]
        imul eax, eax, 750
        cmp rbx, rax
        FAIL_HEX_IF b, "RTC periodic interrupts faster than 1024 Hz (microseconds)", ebx
        imul eax, r13d, 977
        add eax, LATE_MAX_MS * 1000
        cmp rbx, rax
        FAIL_HEX_IF a, "RTC periodic interrupts late: they did not wake the HLT (microseconds)", ebx
        call check_isr_clear
        PRINT "irq: rtc "
        mov eax, r13d
        call put_dec64
        PRINT " periodic interrupts in "
        mov rax, rbx
        call put_dec64
        PRINT {" us", 10}
        ret

; rtc_field: CMOS register AL, its value bits DL, as a date/time field in
; the format register B names (BCD unless DM is set): CF set when it is not
; a valid number or lies outside CL..CH. Returns AL = the value in BCD.
rtc_field:
        push rbx
        call cmos_read
        and al, dl
        movzx ebx, al
        test byte [rtc_b], RTC_B_BINARY
        jnz .binary
        mov eax, ebx
        and eax, 0x0f
        cmp eax, 9
        ja .bad
        mov eax, ebx
        shr eax, 4
        cmp eax, 9
        ja .bad
        imul eax, eax, -6
        add eax, ebx                    ; 16 tens + units - 6 tens
        cmp al, cl
        jb .bad
        cmp al, ch
        ja .bad
        mov eax, ebx
        clc
        pop rbx
        ret
.binary:
        cmp bl, cl
        jb .bad
        cmp bl, ch
        ja .bad
        mov eax, ebx
        mov bl, 10
        div bl                          ; AL tens, AH units
        shl al, 4
        or al, ah
        movzx eax, al
        clc
        pop rbx
        ret
.bad:   mov eax, ebx
        stc
        pop rbx
        ret

; Step 6: interrupt priority (SDM 11.8.3). A self-IPI of class 4 waits in
; IRR while TPR is 0x50, and still at 0x40 (it must be above the class),
; then comes as soon as TPR drops to 0, with PPR showing it in service.
step_tpr:
        mov eax, 0x50
        mov [r15 + LAPIC_TPR], eax
        mov eax, [r15 + LAPIC_TPR]
        and eax, 0xff
        cmp eax, 0x50
        FAIL_HEX_IF ne, "TPR does not read back 0x50", eax
        mov eax, [r15 + LAPIC_PPR]
        and eax, 0xff
        cmp eax, 0x50
        FAIL_HEX_IF ne, "PPR is not 0x50 with TPR 0x50 and nothing in service", eax

        mov dword [ipi_count], 0
        call backstop_restart           ; no tick for 50 ms: nothing else exits
        sti
        call icr_wait_idle
        xor eax, eax
        mov [r15 + LAPIC_ICR_HIGH], eax
        mov eax, ICR_DEST_SELF | ICR_LEVEL_ASSERT | VEC_SELF_IPI
        mov [r15 + LAPIC_ICR_LOW], eax
        call icr_wait_idle
        mov ecx, 1
        call delay_ms
        cmp dword [ipi_count], 0
        FAIL_IF ne, "self-IPI 0x45 delivered while TPR was 0x50"
        mov eax, [r15 + LAPIC_IRR + (VEC_SELF_IPI >> 5) * 0x10]
        bt eax, VEC_SELF_IPI & 31
        FAIL_HEX_IF nc, "self-IPI 0x45 is not pending in IRR", eax
        mov eax, 0x40
        mov [r15 + LAPIC_TPR], eax
        mov ecx, 1
        call delay_ms
        cmp dword [ipi_count], 0
        FAIL_IF ne, "self-IPI 0x45 delivered while TPR was 0x40, its own class"

        ; Lowering TPR makes it deliverable at once, not at some later exit.
        xor eax, eax
        mov [r15 + LAPIC_TPR], eax
        mov edi, ipi_count
        mov esi, 1
        mov rcx, [tsc_per_ms]
        xor edx, edx
        call wait_for
        FAIL_IF c, "self-IPI 0x45 not delivered within 1 ms of TPR going to 0"
        mov eax, [ipi_ppr]
        cmp eax, 0x40
        FAIL_HEX_IF ne, "PPR in the 0x45 handler is not 0x40", eax
        mov ecx, 1
        call delay_ms
        cmp dword [ipi_count], 1
        FAIL_HEX_IF ne, "self-IPI 0x45 delivered more than once", dword [ipi_count]
        mov eax, [r15 + LAPIC_IRR + (VEC_SELF_IPI >> 5) * 0x10]
        bt eax, VEC_SELF_IPI & 31
        FAIL_HEX_IF c, "IRR still holds 0x45 after its delivery", eax
        call check_isr_clear
        PRINT {"irq: tpr 0x50 and 0x40 held self-IPI 0x45 in IRR, tpr 0 let it in", 10}
        ret

; icr_wait_idle: the previous IPI has left (ICR delivery status idle).
icr_wait_idle:
        push rax
        push rcx
        mov ecx, 1000
.poll:  mov eax, [r15 + LAPIC_ICR_LOW]
        test eax, ICR_DELIVERY_PENDING
        jz .idle
        pause
        dec ecx
        jnz .poll
        FAIL_HEX "ICR delivery status stuck at send pending", eax
.idle:  pop rcx
        pop rax
        ret

; Step 7: MOV CR8 reads and writes TPR[7:4]; a write clears TPR[3:0]
; (SDM Vol 3 11.8.6.1).
step_cr8:
        mov eax, 0x50
        mov [r15 + LAPIC_TPR], eax
        mov rax, cr8
        cmp rax, 5
        FAIL_HEX_IF ne, "CR8 does not read TPR[7:4] (TPR 0x50)", eax
        mov eax, 2
        mov cr8, rax
        mov eax, [r15 + LAPIC_TPR]
        and eax, 0xff
        cmp eax, 0x20
        FAIL_HEX_IF ne, "TPR is not 0x20 after MOV CR8 2", eax
        xor eax, eax
        mov cr8, rax
        mov eax, [r15 + LAPIC_TPR]
        and eax, 0xff
        FAIL_HEX_IF nz, "TPR is not 0 after MOV CR8 0", eax
        PRINT {"irq: cr8 reads and writes tpr[7:4]", 10}
        ret

; --- Interrupt handlers: interrupt gates, so IF = 0 inside; nothing nests. ---

; IRQ 0 through the 8259: IR0 in service (OCW3 reads ISR), then EOI.
isr_pic_timer:
        push rax
        push rdx
        mov al, OCW3_READ_ISR
        out PIC1_CMD, al
        in al, PIC1_CMD
        test al, 1
        FAIL_HEX_IF z, "8259 ISR bit 0 clear in the IRQ 0 handler", eax
        RDTSC64
        mov [pic_tsc], rax
        inc dword [pic_ticks]
        cmp dword [pic_ticks], 1
        jne .eoi
        mov [pic_first_tsc], rax
.eoi:   mov al, OCW2_EOI
        out PIC1_CMD, al
        pop rdx
        pop rax
        iretq

; Spurious interrupts (APIC vector 0xff, 8259 IRQ 7) take no EOI (SDM 11.9).
isr_spurious:
        inc dword [spurious_count]
        iretq

; APIC_HANDLER label, vector, counter, stamp: count, stamp the TSC, EOI.
%macro APIC_HANDLER 4
%1:
        push rax
        push rcx
        push rdx
        RDTSC64
        mov [%4], rax
        inc dword [%3]
        mov cl, %2
        call lapic_eoi
        pop rdx
        pop rcx
        pop rax
        iretq
%endmacro

APIC_HANDLER isr_pit, VEC_PIT, pit_ticks, pit_tsc
APIC_HANDLER isr_lapic_timer, VEC_LAPIC_TIMER, timer_ticks, timer_tsc
APIC_HANDLER isr_tsc_deadline, VEC_TSC_DEADLINE, deadline_ticks, deadline_tsc

; The RTC: register C must show the periodic flag; reading it lowers IRQ 8.
isr_rtc:
        push rax
        push rcx
        push rdx
        mov al, RTC_REG_C
        out CMOS_INDEX, al
        in al, CMOS_DATA
        and eax, RTC_C_IRQF | RTC_C_PF
        cmp eax, RTC_C_IRQF | RTC_C_PF
        FAIL_HEX_IF ne, "RTC register C lacks IRQF and PF in the RTC handler", eax
        RDTSC64
        mov [rtc_tsc], rax
        inc dword [rtc_ticks]
        mov cl, VEC_RTC
        call lapic_eoi
        pop rdx
        pop rcx
        pop rax
        iretq

isr_self_ipi:
        push rax
        push rcx
        mov eax, LAPIC_BASE
        mov eax, [rax + LAPIC_PPR]
        and eax, 0xff
        mov [ipi_ppr], eax
        inc dword [ipi_count]
        mov cl, VEC_SELF_IPI
        call lapic_eoi
        pop rcx
        pop rax
        iretq

section .rodata
rtc_separators: db "-- ::", 10

section .data
        align 8
pic_first_tsc:  dq 0
pic_tsc:        dq 0
pit_tsc:        dq 0
timer_tsc:      dq 0
deadline_tsc:   dq 0
rtc_tsc:        dq 0
pic_ticks:      dd 0
pit_ticks:      dd 0
timer_ticks:    dd 0
deadline_ticks: dd 0
rtc_ticks:      dd 0
ipi_count:      dd 0
ipi_ppr:        dd 0
spurious_count: dd 0
lapic_per_ms:   dd 0
rtc_b:          db 0
rtc_date:       times 6 db 0            ; year, month, day, hours, minutes, seconds (BCD)
