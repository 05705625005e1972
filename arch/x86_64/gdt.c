/*
 * Each CPU's GDT and TSS: a 64-bit code segment, a data segment and a TSS
 * whose IST stacks catch #DF, NMI and #MC on known-good stacks
 * (SDM Vol 3 7.7 "Task Management in 64-bit Mode").
 */
#include "arch/cpu.h"
#include "lib/string.h"

struct gdt_desc {
	u16 limit;
	u64 base;
} __packed;

void gdt_init(struct percpu *cpu)
{
	u64 tss = (u64)(uintptr_t)&cpu->tss;
	u64 limit = sizeof(cpu->tss) - 1;
	struct gdt_desc desc = { sizeof(cpu->gdt) - 1, (u64)(uintptr_t)cpu->gdt };

	memset(&cpu->tss, 0, sizeof(cpu->tss));
	for (int i = 0; i < 3; i++)
		cpu->tss.ist[i] = (u64)(uintptr_t)(cpu->ist_stacks[i] + IST_STACK_SIZE);
	cpu->tss.iomap_base = sizeof(cpu->tss);	/* no I/O bitmap */

	cpu->gdt[0] = 0;
	cpu->gdt[1] = 0x00af9a000000ffffull;	/* 0x08: 64-bit code, DPL 0 */
	cpu->gdt[2] = 0x00cf92000000ffffull;	/* 0x10: data */
	/* 0x18: 64-bit available TSS (type 9), two slots (SDM Vol 3 8.2.3). */
	cpu->gdt[3] = (limit & 0xffff) | ((tss & 0xffffff) << 16) | (0x89ull << 40) |
		      (((limit >> 16) & 0xf) << 48) | (((tss >> 24) & 0xff) << 56);
	cpu->gdt[4] = tss >> 32;

	asm volatile("lgdt %0" : : "m"(desc));
	asm volatile("pushq %0; leaq 1f(%%rip), %%rax; pushq %%rax; lretq; 1:"
		     : : "i"(GDT_KERNEL_CS) : "rax", "memory");
	asm volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%ss" : : "r"(GDT_KERNEL_DS));
	asm volatile("ltr %w0" : : "r"(GDT_TSS));
}
