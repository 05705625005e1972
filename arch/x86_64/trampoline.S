/*
 * Application-processor start-up code (SDM Vol 3 9.4.4 "MP Initialization
 * Example"): a started AP begins in real mode at CS = page >> 4, IP 0 of
 * the page the start-up IPI named. arch/x86_64/smp.c copies this code to
 * such a page below 1 MiB and fills its parameter block (TP_* offsets,
 * include/arch/smp.h) before each start: GDT, far pointers, CR3, EFER,
 * stack, entry point and CPU number. The code goes to protected mode,
 * turns on PAE paging with Keel's own page tables and long mode (SDM Vol 3
 * 10.8.5 "Initializing IA-32e Mode") and calls entry(cpu) on its stack.
 */
#include "arch/smp.h"

	.section .rodata
	.code16
	.globl ap_trampoline, ap_trampoline_end, ap_pm32, ap_lm64
ap_trampoline:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	xorl %ebx, %ebx
	movw %ax, %bx
	shll $4, %ebx			/* ebx = the page's linear address */
	lgdtl TP_GDT_DESC
	movl %cr0, %eax
	orl $1, %eax			/* PE */
	movl %eax, %cr0
	ljmpl *TP_FAR32			/* to ap_pm32, CS = 32-bit code */

	.code32
ap_pm32:
	movw $TP_DATA_SEL, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl %cr4, %eax
	orl $(1 << 5), %eax		/* PAE */
	movl %eax, %cr4
	movl TP_CR3(%ebx), %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx		/* IA32_EFER: LME (and NXE) as on the boot CPU */
	movl TP_EFER(%ebx), %eax
	movl TP_EFER + 4(%ebx), %edx
	wrmsr
	movl %cr0, %eax
	orl $((1 << 31) | (1 << 16)), %eax	/* PG | WP */
	movl %eax, %cr0
	ljmp *TP_FAR64(%ebx)		/* to ap_lm64, CS = 64-bit code */

	.code64
ap_lm64:
	movw $TP_DATA_SEL, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl %ebx, %ebx			/* upper half undefined after the mode switch */
	movq TP_STACK(%rbx), %rsp
	movq TP_CPU(%rbx), %rdi
	movq TP_ENTRY(%rbx), %rax
	movl $1, TP_STARTED(%rbx)	/* smp.c may reuse the page from here on */
	callq *%rax
1:	cli
	hlt
	jmp 1b
ap_trampoline_end:

	.section .note.GNU-stack, "", @progbits
