/*
 * Multiboot2 entry: GRUB (BIOS or EFI) enters here in 32-bit protected mode
 * with paging off, EAX = bootloader magic and EBX = physical address of the
 * boot information (Multiboot2 spec 1.0, 3.3 "I386 machine state").
 *
 * We check for long mode, identity-map the low 4 GiB with 2 MiB pages,
 * enable PAE + EFER.LME + paging (SDM Vol 3 10.8.5 "Initializing IA-32e
 * Mode"), and jump to 64-bit code, which calls kmain(magic, info).
 */
#include "boot/multiboot2.h"

#define COM1 0x3f8
#define BOOT_STACK_SIZE 16384

	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long MB2_HEADER_MAGIC
	.long 0				/* architecture: i386 protected mode */
	.long mb2_header_end - mb2_header
	.long -(MB2_HEADER_MAGIC + 0 + (mb2_header_end - mb2_header))
	/* end tag */
	.balign 8
	.short 0
	.short 0
	.long 8
mb2_header_end:

	.section .text.boot, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	movl $boot_stack_top, %esp
	movl %eax, %edi			/* keep magic and info for kmain */
	movl %ebx, %esi

	/* Long mode needs CPUID leaf 0x80000001 EDX bit 29. */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	btl $29, %edx
	jnc no_long_mode

	/* PML4[0] -> PDPT, PDPT[0..3] -> four page directories of 2 MiB pages. */
	movl $boot_pdpt, %eax
	orl $0x3, %eax
	movl %eax, boot_pml4
	movl $boot_pd, %ebx
	xorl %ecx, %ecx
1:	movl %ebx, %eax
	orl $0x3, %eax
	movl %eax, boot_pdpt(,%ecx,8)
	addl $4096, %ebx
	incl %ecx
	cmpl $4, %ecx
	jb 1b
	/* 2048 PDEs: present | writable | page size (2 MiB). */
	xorl %ecx, %ecx
2:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax
	movl %eax, boot_pd(,%ecx,8)
	movl %ecx, %eax
	shrl $11, %eax			/* bits 32+ of the physical address */
	movl %eax, boot_pd+4(,%ecx,8)
	incl %ecx
	cmpl $2048, %ecx
	jb 2b

	movl %cr4, %eax
	orl $(1 << 5), %eax		/* PAE */
	movl %eax, %cr4
	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx		/* IA32_EFER */
	rdmsr
	orl $(1 << 8), %eax		/* LME */
	wrmsr
	movl %cr0, %eax
	orl $((1 << 31) | (1 << 16) | 1), %eax	/* PG | WP | PE */
	movl %eax, %cr0

	lgdt boot_gdt_desc
	ljmp $0x08, $long_mode_entry

no_long_mode:
	movl $msg_no_lm, %esi
3:	lodsb
	testb %al, %al
	jz 5f
	movb %al, %bl
	movw $COM1 + 5, %dx
4:	inb %dx, %al
	testb $0x20, %al
	jz 4b
	movb %bl, %al
	movw $COM1, %dx
	outb %al, %dx
	jmp 3b
5:	hlt
	jmp 5b

	.code64
long_mode_entry:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movq $boot_stack_top, %rsp
	/* Clear .bss except the live page tables and stack (they sit in .bss.boot). */
	pushq %rdi
	pushq %rsi
	movq $__bss_start, %rdi
	movq $__bss_end, %rcx
	subq %rdi, %rcx
	xorl %eax, %eax
	rep stosb
	popq %rsi
	popq %rdi
	call kmain
6:	cli
	hlt
	jmp 6b

	.section .rodata
msg_no_lm:
	.asciz "keel: this CPU has no long mode (x86-64); cannot start\r\n"

	.balign 16
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff		/* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff		/* 0x10: data */
boot_gdt_end:
boot_gdt_desc:
	.short boot_gdt_end - boot_gdt - 1
	.quad boot_gdt

	/* Not in .bss: .bss is cleared after these are already in use. */
	.section .data.boot, "aw"
	.balign 4096
	.globl boot_pml4
boot_pml4:	.fill 512, 8, 0
boot_pdpt:	.fill 512, 8, 0
boot_pd:	.fill 2048, 8, 0
	.balign 16
	.globl boot_stack_top
boot_stack:	.fill BOOT_STACK_SIZE, 1, 0
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
