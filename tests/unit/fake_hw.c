/* Host-test fake of the hardware interface (see fake_hw.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fake_hw.h"
#include "lib/time.h"

u64 fake_vmcs[0x8000];
bool fake_vmcs_missing[0x8000];
void (*fake_cpuid_fn)(u32 leaf, u32 subleaf, struct cpuid_regs *r);
u64 fake_port_in_value = ~0ull;
u16 fake_port_last_out_port;
u32 fake_port_last_out_value;
u64 fake_tsc;
u64 fake_time_ns;
u64 fake_invept_count;

static u8 *arena;
static size_t arena_size;

void fake_mem_init(size_t bytes)
{
	free(arena);
	arena = aligned_alloc(4096, bytes);
	memset(arena, 0, bytes);
	arena_size = bytes;
}

void fake_mem_free(void)
{
	free(arena);
	arena = NULL;
	arena_size = 0;
}

u8 *fake_mem(void) { return arena; }
size_t fake_mem_size(void) { return arena_size; }

void *phys_to_virt(u64 pa)
{
	if (arena && pa >= FAKE_PHYS_BASE && pa < FAKE_PHYS_BASE + arena_size)
		return arena + (pa - FAKE_PHYS_BASE);
	return (void *)(uintptr_t)pa;
}

u64 virt_to_phys(const void *va)
{
	const u8 *p = va;
	if (arena && p >= arena && p < arena + arena_size)
		return FAKE_PHYS_BASE + (u64)(p - arena);
	return (u64)(uintptr_t)va;
}

static struct { u32 msr; u64 val; } msrs[64];
static unsigned nmsrs;

void fake_msr_set(u32 msr, u64 val)
{
	for (unsigned i = 0; i < nmsrs; i++) {
		if (msrs[i].msr == msr) {
			msrs[i].val = val;
			return;
		}
	}
	if (nmsrs < 64) {
		msrs[nmsrs].msr = msr;
		msrs[nmsrs++].val = val;
	}
}

u64 rdmsr(u32 msr)
{
	for (unsigned i = 0; i < nmsrs; i++)
		if (msrs[i].msr == msr)
			return msrs[i].val;
	return 0;
}

void wrmsr(u32 msr, u64 val) { fake_msr_set(msr, val); }

void cpuid(u32 leaf, u32 subleaf, struct cpuid_regs *r)
{
	memset(r, 0, sizeof(*r));
	if (fake_cpuid_fn)
		fake_cpuid_fn(leaf, subleaf, r);
}

u64 rdtsc(void) { return fake_tsc++; }

u64 vmread(u32 field) { return fake_vmcs[field & 0x7fff]; }

int vmread_safe(u32 field, u64 *val)
{
	if (fake_vmcs_missing[field & 0x7fff])
		return -EIO;
	*val = fake_vmcs[field & 0x7fff];
	return 0;
}

void vmwrite(u32 field, u64 val) { fake_vmcs[field & 0x7fff] = val; }

u64 (*fake_port_in_fn)(u16 port, unsigned size);

static u64 port_in(u16 port, unsigned size)
{
	return fake_port_in_fn ? fake_port_in_fn(port, size) : fake_port_in_value;
}

u8 inb(u16 port) { return (u8)port_in(port, 1); }
u16 inw(u16 port) { return (u16)port_in(port, 2); }
u32 inl(u16 port) { return (u32)port_in(port, 4); }

static void out(u16 port, u32 val)
{
	fake_port_last_out_port = port;
	fake_port_last_out_value = val;
}

void outb(u16 port, u8 val) { out(port, val); }
void outw(u16 port, u16 val) { out(port, val); }
void outl(u16 port, u32 val) { out(port, val); }
void invept_single(u64 eptp) { (void)eptp; fake_invept_count++; }
void invept_all(void) { fake_invept_count++; }
void invept_all_cpus(void) { fake_invept_count++; }
void cpu_relax(void) {}

u64 fake_xcr0 = 1;
u64 xgetbv(u32 idx) { (void)idx; return fake_xcr0; }
void xsetbv(u32 idx, u64 val) { (void)idx; fake_xcr0 = val; }

/* include/lib/time.h over fake_time_ns. */
u64 time_now_ns(void) { return fake_time_ns; }
u64 time_tsc_hz(void) { return 1000000000ull; }
u64 time_tsc_to_ns(u64 tsc) { return tsc; }
u64 time_ns_to_tsc(u64 ns) { return ns; }

/* CR2 and the debug registers: the one CPU's, as plain values. */
u64 fake_cr2;
u64 fake_dr[4], fake_dr6;

u64 cr2_read(void) { return fake_cr2; }
void cr2_write(u64 val) { fake_cr2 = val; }

void dr_save(u64 dr[4], u64 *dr6)
{
	memcpy(dr, fake_dr, sizeof(fake_dr));
	*dr6 = fake_dr6;
}

void dr_load(const u64 dr[4], u64 dr6)
{
	memcpy(fake_dr, dr, sizeof(fake_dr));
	fake_dr6 = dr6;
}

unsigned fake_irq_windows, fake_host_nmis;

void cpu_irq_window(void) { fake_irq_windows++; }
void cpu_nmi_to_host(void) { fake_host_nmis++; }

/* The CPU the lock checks (include/lib/spinlock.h) see calling: one test
 * thread is "CPU fake_cpu_id". */
unsigned fake_cpu_id;

unsigned spin_cpu_id(void) { return fake_cpu_id; }

/* For tests without tests/unit/fake_kernel.c (whose panic() wins): a broken
 * rule, such as a lock check, ends the test with its message. */
__attribute__((weak)) void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
