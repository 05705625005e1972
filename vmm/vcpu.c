/*
 * vCPUs: VMCS creation, the boot state loaders ask for, and the run loop.
 * State that VM exits leave in the processor (FPU/SSE/AVX, XCR0, debug
 * registers, the SYSCALL MSRs) stays loaded across exits and is switched
 * only when another vCPU takes this CPU, which keeps the exit path short.
 */
#include "arch/cpu.h"
#include "arch/hw.h"
#include "arch/vmx.h"
#include "vmm/vcpu_setup.h"
#include "vmm/exit.h"
#include "vmm/vm.h"
#include "mm/mm.h"
#include "lib/log.h"
#include "lib/string.h"


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
	*(u32 *)v->vmcs = (u32)(vmx_caps.basic & 0x7fffffff);	/* revision (25.2) */
	vcpu_fpu_init(v);
	if (vmcs_clear(v->vmcs_phys) || vmcs_load(v->vmcs_phys)) {
		log_err("vm %s: VMCLEAR/VMPTRLD of a new VMCS failed", vm->name);
		vcpu_destroy(v);
		return NULL;
	}
	this_cpu()->current_vcpu = NULL;	/* the new VMCS is current now */
	vmcs_setup_host();
	vcpu_setup_controls(v);
	return v;
}

void vcpu_destroy(struct vcpu *v)
{
	if (!v)
		return;
	if (this_cpu()->current_vcpu == v)
		this_cpu()->current_vcpu = NULL;
	if (v->vmcs) {
		vmcs_clear(v->vmcs_phys);
		page_free(v->vmcs, 1);
	}
	if (v->fpu_area)
		page_free(v->fpu_area, ALIGN_UP(fpu_area_size(), PAGE_SIZE) / PAGE_SIZE);
	kfree(v);
}

void vcpu_boot_state_init(struct vcpu_boot_state *s, enum guest_mode mode, u64 rip, u64 rsp)
{
	/* Access rights: P | S | type, plus G and D/B or L (table 25-2). */
	u32 code = mode == GUEST_REAL ? 0x9b : mode == GUEST_PROT32 ? 0xc09b : 0xa09b;
	u32 data = mode == GUEST_REAL ? 0x93 : 0xc093;
	u32 limit = mode == GUEST_REAL ? 0xffff : 0xffffffff;

	memset(s, 0, sizeof(*s));
	s->rip = rip;
	s->rsp = rsp;
	s->rflags = BIT(1);
	s->cr0 = CR0_ET | (mode != GUEST_REAL ? CR0_PE : 0) | (mode == GUEST_LONG ? CR0_PG : 0);
	s->cr4 = mode == GUEST_LONG ? CR4_PAE : 0;
	s->efer = mode == GUEST_LONG ? (EFER_LME | EFER_LMA) : 0;
	for (int i = SEG_ES; i <= SEG_GS; i++) {
		s->seg[i] = (struct seg_state){ .sel = mode == GUEST_REAL ? 0 : 0x10, .limit = limit, .ar = data };
	}
	s->seg[SEG_CS] = (struct seg_state){ .sel = mode == GUEST_REAL ? 0 : 0x08, .limit = limit, .ar = code };
	s->seg[SEG_LDTR] = (struct seg_state){ .ar = BIT(16) };	/* unusable */
	s->seg[SEG_TR] = (struct seg_state){ .limit = 0x67, .ar = 0x8b };	/* busy TSS */
	s->gdtr_limit = 0xffff;
	s->idtr_limit = mode == GUEST_REAL ? 0x3ff : 0;
}

int vcpu_set_boot_state(struct vcpu *v, const struct vcpu_boot_state *s)
{
	static const u32 sel[] = { VMCS_GUEST_ES_SELECTOR, VMCS_GUEST_CS_SELECTOR, VMCS_GUEST_SS_SELECTOR,
		VMCS_GUEST_DS_SELECTOR, VMCS_GUEST_FS_SELECTOR, VMCS_GUEST_GS_SELECTOR,
		VMCS_GUEST_LDTR_SELECTOR, VMCS_GUEST_TR_SELECTOR };
	int err;

	/* Fields of one segment are laid out with the same stride (appendix B). */
	for (int i = 0; i < SEG_COUNT; i++) {
		vmwrite(sel[i], s->seg[i].sel);
		vmwrite(VMCS_GUEST_ES_BASE + 2 * i, s->seg[i].base);
		vmwrite(VMCS_GUEST_ES_LIMIT + 2 * i, s->seg[i].limit);
		vmwrite(VMCS_GUEST_ES_AR + 2 * i, s->seg[i].ar);
	}
	vmcs_writenat(GUEST_GDTR_BASE, s->gdtr_base);
	vmcs_write32(GUEST_GDTR_LIMIT, s->gdtr_limit);
	vmcs_writenat(GUEST_IDTR_BASE, s->idtr_base);
	vmcs_write32(GUEST_IDTR_LIMIT, s->idtr_limit);
	vmcs_write64(GUEST_IA32_EFER, s->efer);
	v->entry_controls = (v->entry_controls & ~ENTRY_IA32E_MODE_GUEST) |
			    ((s->efer & EFER_LMA) ? ENTRY_IA32E_MODE_GUEST : 0);
	vmcs_write32(ENTRY_CONTROLS, v->entry_controls);
	vmcs_writenat(CR0_READ_SHADOW, 0);	/* no long-mode transition here */
	err = vcpu_set_cr4(v, s->cr4) ?: vcpu_set_cr0(v, s->cr0);
	if (err)
		return err;
	vmcs_writenat(GUEST_CR3, s->cr3);
	vmcs_writenat(GUEST_DR7, 0x400);
	vmcs_writenat(GUEST_RSP, s->rsp);
	vmcs_writenat(GUEST_RIP, s->rip);
	vmcs_writenat(GUEST_RFLAGS, s->rflags);
	vmcs_write64(GUEST_IA32_PAT, 0x0007040600070406ull);	/* power-on PAT */
	vmcs_write64(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write32(GUEST_INTERRUPTIBILITY, 0);
	vmcs_write32(GUEST_ACTIVITY_STATE, 0);
	vmcs_writenat(GUEST_PENDING_DBG, 0);
	vmcs_write32(GUEST_IA32_SYSENTER_CS, 0);
	vmcs_writenat(GUEST_IA32_SYSENTER_ESP, 0);
	vmcs_writenat(GUEST_IA32_SYSENTER_EIP, 0);
	memcpy(v->regs.gpr, s->gpr, sizeof(v->regs.gpr));
	return 0;
}
