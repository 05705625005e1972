/*
 * From the loader's 64-bit long mode to Keel's multiboot2 entry, which
 * wants 32-bit protected mode with paging off, flat segments, EAX = magic
 * and EBX = the boot information (Multiboot2 specification 2.0, section
 * 3.3 "I386 machine state"). The steps are those of SDM Vol. 3A 10.8.5.4
 * "Switching Out of IA-32e Mode Operation": compatibility mode first,
 * then CR0.PG off (which clears EFER.LMA), then EFER.LME off.
 *
 * Position-independent: main.c copies trampoline_start..trampoline_end to
 * a page below 4 GiB and calls the copy as
 *	void trampoline(u32 entry, u32 info)	(EDI, ESI: System V ABI)
 * because the code from the MOV to CR0 on must run where its virtual and
 * physical addresses are the same (UEFI maps memory 1:1), and 32-bit code
 * only reaches the low 4 GiB. Nothing here touches the stack after the
 * far return: the firmware's stack may lie above 4 GiB.
 */
#include "boot/multiboot2.h"

#define CODE32_SEL	0x08
#define DATA32_SEL	0x10
#define CR0_PG		0x80000000	/* bit 31: paging */
#define CR4_PCIDE	0x20000		/* bit 17: process-context IDs */
#define MSR_EFER	0xc0000080
#define EFER_LME	0x100		/* bit 8: long mode enable */

	.text
	.code64
	.globl trampoline_start, trampoline_end
trampoline_start:
	cli
	/* MOV to CR0 faults clearing PG while CR4.PCIDE = 1 (SDM Vol. 3A 2.5). */
	movq %cr4, %rax
	andq $~CR4_PCIDE, %rax
	movq %rax, %cr4
	/* Our GDT (flat 32-bit code and data), its descriptor on the stack. */
	leaq gdt(%rip), %rax
	subq $16, %rsp
	movw $(gdt_end - gdt - 1), (%rsp)
	movq %rax, 2(%rsp)
	lgdt (%rsp)
	/* A far return to a 32-bit code segment: compatibility mode. */
	leaq compat(%rip), %rax
	pushq $CODE32_SEL
	pushq %rax
	lretq

	.code32
compat:
	movw $DATA32_SEL, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %fs
	movw %ax, %gs
	movw %ax, %ss
	/* Paging off leaves IA-32e mode; the next instruction must be a branch. */
	movl %cr0, %eax
	andl $~CR0_PG, %eax
	movl %eax, %cr0
	jmp 1f
1:	movl $MSR_EFER, %ecx
	rdmsr
	andl $~EFER_LME, %eax
	wrmsr
	/* PAE and the rest are Keel's to set; GRUB on a BIOS leaves CR4 = 0 too. */
	xorl %eax, %eax
	movl %eax, %cr4
	movl %esi, %ebx
	movl $MB2_BOOTLOADER_MAGIC, %eax
	jmp *%edi

	.balign 8
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: code, base 0, limit 4 GiB, 32-bit */
	.quad 0x00cf92000000ffff	/* 0x10: data, base 0, limit 4 GiB */
gdt_end:
trampoline_end:

	.section .note.GNU-stack, "", @progbits
