/*
 * Guest FPU/SSE/AVX state: saved and restored with XSAVE/XRSTOR when the
 * processor has them (SDM Vol 1 13.7-13.8), FXSAVE/FXRSTOR otherwise.
 * XSAVE writes only the components enabled in XCR0 and requested in EDX:EAX,
 * so a vCPU's own XCR0 is loaded before its state is restored.
 */
#include "arch/cpu.h"
#include "arch/hw.h"

static bool have_xsave;
static u64 host_xcr0;
static size_t area_size = 512;

static void fpu_probe(void)
{
	struct cpuid_regs r;

	if (area_size != 512 || have_xsave)
		return;
	if (!(read_cr(4) & CR4_OSXSAVE))
		return;
	have_xsave = true;
	host_xcr0 = xgetbv(0);
	cpuid(0xd, 0, &r);
	area_size = r.ebx;	/* size for the components enabled in XCR0 */
}

u64 fpu_host_xcr0(void)
{
	fpu_probe();
	return host_xcr0;
}

size_t fpu_area_size(void)
{
	fpu_probe();
	return area_size;
}

void fpu_save(void *area, u64 xcr0)
{
	if (have_xsave) {
		if (xgetbv(0) != xcr0)
			xsetbv(0, xcr0);
		asm volatile("xsave64 (%0)" : : "r"(area), "a"(~0u), "d"(~0u) : "memory");
	} else {
		asm volatile("fxsave64 (%0)" : : "r"(area) : "memory");
	}
}

void fpu_restore(const void *area, u64 xcr0)
{
	if (have_xsave) {
		if (xgetbv(0) != xcr0)
			xsetbv(0, xcr0);
		asm volatile("xrstor64 (%0)" : : "r"(area), "a"(~0u), "d"(~0u) : "memory");
	} else {
		asm volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
	}
}
