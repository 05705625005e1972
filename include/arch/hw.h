/*
 * The small hardware interface: every privileged instruction used outside
 * arch/x86_64 goes through here. The hypervisor build gets inline assembly;
 * host unit tests (KEEL_HOST_TEST) link tests/unit/fake_hw.c instead, which
 * models ports, MSRs, CPUID and the VMCS as plain arrays.
 */
#ifndef KEEL_ARCH_HW_H
#define KEEL_ARCH_HW_H

#include "types.h"

struct cpuid_regs {
	u32 eax, ebx, ecx, edx;
};

#ifdef KEEL_HOST_TEST

u8 inb(u16 port);
u16 inw(u16 port);
u32 inl(u16 port);
void outb(u16 port, u8 val);
void outw(u16 port, u16 val);
void outl(u16 port, u32 val);
u64 rdmsr(u32 msr);
void wrmsr(u32 msr, u64 val);
void cpuid(u32 leaf, u32 subleaf, struct cpuid_regs *r);
u64 rdtsc(void);
u64 vmread(u32 field);
int vmread_safe(u32 field, u64 *val);
void vmwrite(u32 field, u64 val);
void *phys_to_virt(u64 pa);
u64 virt_to_phys(const void *va);
void invept_single(u64 eptp);
void invept_all(void);
void invept_all_cpus(void);
void cpu_relax(void);
u64 xgetbv(u32 idx);
void xsetbv(u32 idx, u64 val);
u64 cr2_read(void);
void cr2_write(u64 val);
void dr_save(u64 dr[4], u64 *dr6);
void dr_load(const u64 dr[4], u64 dr6);
void cpu_irq_window(void);
void cpu_nmi_to_host(void);

#else

static inline u8 inb(u16 port)
{
	u8 v;
	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u16 inw(u16 port)
{
	u16 v;
	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u32 inl(u16 port)
{
	u32 v;
	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outb(u16 port, u8 val)
{
	asm volatile("outb %0, %1" : : "a"(val), "Nd"(port));
}

static inline void outw(u16 port, u16 val)
{
	asm volatile("outw %0, %1" : : "a"(val), "Nd"(port));
}

static inline void outl(u16 port, u32 val)
{
	asm volatile("outl %0, %1" : : "a"(val), "Nd"(port));
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 val)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((u32)val), "d"((u32)(val >> 32)));
}

static inline void cpuid(u32 leaf, u32 subleaf, struct cpuid_regs *r)
{
	asm volatile("cpuid"
		     : "=a"(r->eax), "=b"(r->ebx), "=c"(r->ecx), "=d"(r->edx)
		     : "a"(leaf), "c"(subleaf));
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

/* VMREAD of a field the processor does not support fails (SDM Vol 3 31.3,
 * VMREAD: VMfailValid); vmread() is for fields Keel knows exist. */
static inline u64 vmread(u32 field)
{
	u64 v;
	asm volatile("vmread %1, %0" : "=r"(v) : "r"((u64)field) : "cc");
	return v;
}

static inline int vmread_safe(u32 field, u64 *val)
{
	u8 fail;
	asm volatile("vmread %2, %0; setbe %1"
		     : "=r"(*val), "=qm"(fail) : "r"((u64)field) : "cc");
	return fail ? -EIO : 0;
}

static inline void vmwrite(u32 field, u64 val)
{
	asm volatile("vmwrite %1, %0" : : "r"((u64)field), "rm"(val) : "cc");
}

/* Keel identity-maps the low 4 GiB of physical memory (boot/entry.S). */
static inline void *phys_to_virt(u64 pa)
{
	return (void *)(uintptr_t)pa;
}

static inline u64 virt_to_phys(const void *va)
{
	return (u64)(uintptr_t)va;
}

/* INVEPT type 1, single-context (SDM Vol 3 31.3, INVEPT). */
static inline void invept_single(u64 eptp)
{
	struct { u64 eptp, zero; } desc = { eptp, 0 };
	asm volatile("invept %0, %1" : : "m"(desc), "r"(1ull) : "cc", "memory");
}

/* INVEPT type 2, all-context. */
static inline void invept_all(void)
{
	struct { u64 eptp, zero; } desc = { 0, 0 };
	asm volatile("invept %0, %1" : : "m"(desc), "r"(2ull) : "cc", "memory");
}

/* Every CPU's EPT-derived translations flushed (arch/x86_64/smp.c). */
void invept_all_cpus(void);

static inline void cpu_relax(void)
{
	asm volatile("pause");
}

static inline u64 xgetbv(u32 idx)
{
	u32 lo, hi;
	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(idx));
	return ((u64)hi << 32) | lo;
}

static inline void xsetbv(u32 idx, u64 val)
{
	asm volatile("xsetbv" : : "c"(idx), "a"((u32)val), "d"((u32)(val >> 32)));
}

/* CR2, which a VM exit leaves holding the guest's last page-fault address. */
static inline u64 cr2_read(void)
{
	u64 v;
	asm volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline void cr2_write(u64 val)
{
	asm volatile("mov %0, %%cr2" : : "r"(val) : "memory");
}

/* Let the host take an interrupt a VM exit left pending (Keel exits on
 * external interrupts without acknowledging them): interrupts on for the
 * one instruction after STI (SDM Vol 2, STI), then off again. */
static inline void cpu_irq_window(void)
{
	asm volatile("sti; nop; cli" ::: "memory");
}

/* Hand an NMI that arrived while a guest ran to the host's NMI vector. */
static inline void cpu_nmi_to_host(void)
{
	asm volatile("int $2");
}

/* The debug registers the VMCS does not switch: DR0-DR3 and DR6 (DR7 is
 * guest state in the VMCS, SDM Vol 3 25.4.1). */
static inline void dr_save(u64 dr[4], u64 *dr6)
{
	asm volatile("mov %%db0, %0" : "=r"(dr[0]));
	asm volatile("mov %%db1, %0" : "=r"(dr[1]));
	asm volatile("mov %%db2, %0" : "=r"(dr[2]));
	asm volatile("mov %%db3, %0" : "=r"(dr[3]));
	asm volatile("mov %%db6, %0" : "=r"(*dr6));
}

static inline void dr_load(const u64 dr[4], u64 dr6)
{
	asm volatile("mov %0, %%db0" : : "r"(dr[0]));
	asm volatile("mov %0, %%db1" : : "r"(dr[1]));
	asm volatile("mov %0, %%db2" : : "r"(dr[2]));
	asm volatile("mov %0, %%db3" : : "r"(dr[3]));
	asm volatile("mov %0, %%db6" : : "r"(dr6));
}

#endif /* KEEL_HOST_TEST */
#endif
