/*
 * vCPUs: creation with their VMCS, and destruction (their architectural
 * state is vmm/core/vcpu_state.c, the run loop vmm/core/vcpu_run.c). State that VM
 * exits leave in the processor (FPU/SSE/AVX, XCR0, debug registers, the
 * SYSCALL MSRs) stays loaded across exits and is switched only when
 * another vCPU takes this CPU, which keeps the exit path short.
 */
#include "arch/cpu.h"
#include "arch/hw.h"
#include "arch/vmx.h"
#include "vmm/core/vcpu_setup.h"
#include "vmm/exit/exit.h"
#include "vmm/core/vm.h"
#include "mm/mm.h"
#include "lib/log.h"


static u16 next_vpid = 1;

static void vcpu_fpu_init(struct vcpu *v)
{
	u8 *area = v->fpu_area;

	/* The power-on values of FCW and MXCSR (SDM Vol 1 table 13-1); an
	 * all-zero XSAVE header makes XRSTOR set everything else to its
	 * initial state. */
	*(u16 *)(area + 0) = 0x037f;
	*(u32 *)(area + 24) = 0x1f80;
	v->xcr0 = 1;	/* x87 only, as at reset */
}

/* Execution controls, bitmaps, EPT and the CR masks (SDM Vol 3 25.6). */
static void vcpu_setup_controls(struct vcpu *v)
{
	struct vm *vm = v->vm;

	v->proc_controls = vmx_caps.proc;
	v->entry_controls = vmx_caps.entry;
	vmcs_write32(PIN_BASED_CONTROLS, vmx_caps.pin);
	vmcs_write32(PROC_BASED_CONTROLS, v->proc_controls);
	vmcs_write32(PROC_BASED_CONTROLS2, vmx_caps.proc2);
	vmcs_write32(EXIT_CONTROLS, vmx_caps.exit);
	vmcs_write32(ENTRY_CONTROLS, v->entry_controls);
	vmcs_write32(EXCEPTION_BITMAP, 0);
	vmcs_write32(PAGE_FAULT_ERROR_MASK, 0);
	vmcs_write32(PAGE_FAULT_ERROR_MATCH, 0);
	vmcs_write32(CR3_TARGET_COUNT, 0);
	vmcs_write32(EXIT_MSR_STORE_COUNT, 0);
	vmcs_write32(EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write32(ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write32(ENTRY_INTR_INFO, 0);
	vmcs_write64(IO_BITMAP_A, virt_to_phys(vm->io_bitmap));
	vmcs_write64(IO_BITMAP_B, virt_to_phys(vm->io_bitmap + PAGE_SIZE));
	vmcs_write64(MSR_BITMAP, virt_to_phys(vm->msr_bitmap));
	vmcs_write64(EPT_POINTER, ept_eptp(&vm->mem.ept));
	if (vmx_caps.proc2 & PROC2_ENABLE_VPID)
		vmcs_write16(VPID, v->vpid);
	vmcs_writenat(CR0_GUEST_HOST_MASK, vcpu_cr0_mask());
	vmcs_writenat(CR4_GUEST_HOST_MASK, vcpu_cr4_mask());
	vmcs_write64(VMCS_LINK_POINTER, ~0ull);
}

struct vcpu *vcpu_create(struct vm *vm, unsigned id)
{
	struct vcpu *v = kzalloc(sizeof(*v));

	if (!v)
		return NULL;
	v->vm = vm;
	v->id = id;
	v->vpid = next_vpid++;
	v->vmcs = page_alloc_zero(1);
	v->fpu_area = page_alloc_zero(ALIGN_UP(fpu_area_size(), PAGE_SIZE) / PAGE_SIZE);
	if (!v->vmcs || !v->fpu_area) {
		vcpu_destroy(v);
		return NULL;
	}
	v->vmcs_phys = virt_to_phys(v->vmcs);
	vmcs_stamp_revision(v->vmcs);
	vcpu_fpu_init(v);
	v->running_cpu = v->resident_cpu = -1;
	vcpu_release_current();		/* this CPU's current vCPU keeps its state */
	if (vmcs_clear(v->vmcs_phys) || vmcs_load(v->vmcs_phys)) {
		log_err("vm %s: VMCLEAR/VMPTRLD of a new VMCS failed", vm->name);
		vcpu_destroy(v);
		return NULL;
	}
	vmcs_setup_host();
	v->host_cpu = (int)this_cpu()->cpu_id;
	vcpu_setup_controls(v);
	vmcs_clear(v->vmcs_phys);	/* in memory: any CPU may load it first */
	return v;
}

void vcpu_destroy(struct vcpu *v)
{
	if (!v)
		return;
	if (this_cpu()->current_vcpu == v)
		vcpu_release_current();
	if (v->vmcs) {
		vmcs_clear(v->vmcs_phys);
		page_free(v->vmcs, 1);
	}
	if (v->fpu_area)
		page_free(v->fpu_area, ALIGN_UP(fpu_area_size(), PAGE_SIZE) / PAGE_SIZE);
	kfree(v);
}
