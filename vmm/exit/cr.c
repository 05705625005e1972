/*
 * Control-register exits (SDM Vol 3 28.2.1 table 28-3) and XSETBV.
 *
 * Guest CR0/CR4 bits that VMX operation pins (the IA32_VMX_CRx_FIXEDx
 * MSRs, e.g. CR0.NE and CR4.VMXE) are owned by Keel through the
 * guest/host masks: the guest reads its own values from the read shadows
 * and its writes to those bits exit here (25.6.6). CR0.PG is also owned,
 * because turning paging on with EFER.LME set enters IA-32e mode, which
 * Keel mirrors in EFER.LMA and the "IA-32e mode guest" entry control.
 * With unrestricted guest, PE and PG themselves may be 0 (26.3.1.1).
 */
#include "vmm/exit/exit.h"
#include "vmm/core/vm.h"
#include "vmm/core/vcpu_setup.h"
#include "arch/vmx.h"
#include "arch/cpu.h"
#include "arch/hw.h"

enum { CR_MOV_TO, CR_MOV_FROM, CR_CLTS, CR_LMSW };

/* CR0 bits the processor forces to 1 for this guest (all but PE, PG). */
static u64 cr0_forced_on(void)
{
	return vmx_caps.cr0_fixed0 & ~(CR0_PE | CR0_PG);
}

u64 vcpu_cr0_mask(void)
{
	return ((vmx_caps.cr0_fixed0 | ~vmx_caps.cr0_fixed1) & ~(CR0_PE | CR0_PG) & 0xffffffffu) | CR0_PG;
}

u64 vcpu_cr4_mask(void)
{
	return (vmx_caps.cr4_fixed0 | ~vmx_caps.cr4_fixed1) & 0xffffffffu;
}

/* Switch IA-32e mode on or off as CR0.PG changes with EFER.LME set
 * (SDM Vol 3 10.8.5). */
static int cr0_update_long_mode(struct vcpu *v, u64 old, u64 val)
{
	u64 efer = vmcs_read64(GUEST_IA32_EFER);

	if (!((old ^ val) & CR0_PG) || !(efer & EFER_LME))
		return 0;
	if (val & CR0_PG) {
		/* PAE is not in the CR4 mask: the guest's MOV to CR4 sets it
		 * in GUEST_CR4 without an exit, and the shadow does not say. */
		if (!(vmcs_readnat(GUEST_CR4) & CR4_PAE))
			return -EINVAL;
		efer |= EFER_LMA;
		v->entry_controls |= ENTRY_IA32E_MODE_GUEST;
	} else {
		efer &= ~EFER_LMA;
		v->entry_controls &= ~ENTRY_IA32E_MODE_GUEST;
	}
	vmcs_write64(GUEST_IA32_EFER, efer);
	vmcs_write32(ENTRY_CONTROLS, v->entry_controls);
	return 0;
}

int vcpu_set_cr0(struct vcpu *v, u64 val)
{
	u64 old = vmcs_readnat(CR0_READ_SHADOW);

	if ((val >> 32) || ((val & CR0_PG) && !(val & CR0_PE)) ||
	    ((val & CR0_NW) && !(val & CR0_CD)))
		return -EINVAL;
	if (cr0_update_long_mode(v, old, val))
		return -EINVAL;
	vmcs_writenat(CR0_READ_SHADOW, val);
	vmcs_writenat(GUEST_CR0, (val | cr0_forced_on()) & vmx_caps.cr0_fixed1);
	return 0;
}

int vcpu_set_cr4(struct vcpu *v, u64 val)
{
	u64 allowed = vmx_caps.cr4_fixed1 & ~(u64)CR4_VMXE & ~(u64)CR4_SMXE;

	if (val & ~allowed)
		return -EINVAL;
	vmcs_writenat(CR4_READ_SHADOW, val);
	vmcs_writenat(GUEST_CR4, (val | vmx_caps.cr4_fixed0) & vmx_caps.cr4_fixed1);
	return 0;
}

/* CR8 is the local APIC's TPR[7:4]; writing it clears TPR[3:0] (SDM Vol 3
 * 11.8.6.1). Reserved bits set in the value raise #GP. */
static int cr8_access(struct vcpu *v, struct vm_exit *e)
{
	u64 val;

	if (e->cr.type == CR_MOV_FROM) {
		vcpu_gpr_write(v, e->cr.gpr, vlapic_tpr_read(&v->lapic) >> 4);
		return 0;
	}
	val = vcpu_gpr_read(v, e->cr.gpr);
	if (val & ~0xfull)
		return -EINVAL;
	vlapic_tpr_write(&v->lapic, (u8)(val << 4));
	return 0;
}

enum exit_result exit_cr_access(struct vcpu *v, struct vm_exit *e)
{
	u64 cr0 = vmcs_readnat(CR0_READ_SHADOW);
	int err;

	/* CR8 is the local APIC's TPR: pending interrupts are looked at
	 * again (and its deadline, as for every APIC access). */
	v->vm->timers_dirty = true;
	v->irq_check = true;
	switch (e->cr.type) {
	case CR_MOV_TO:
		if (e->cr.cr == 0)
			err = vcpu_set_cr0(v, vcpu_gpr_read(v, e->cr.gpr));
		else if (e->cr.cr == 4)
			err = vcpu_set_cr4(v, vcpu_gpr_read(v, e->cr.gpr));
		else if (e->cr.cr == 8)
			err = cr8_access(v, e);
		else
			err = -ENOTSUP;
		break;
	case CR_MOV_FROM:
		err = e->cr.cr == 8 ? cr8_access(v, e) : -ENOTSUP;
		break;
	case CR_CLTS:
		err = vcpu_set_cr0(v, cr0 & ~CR0_TS);
		break;
	default:	/* LMSW loads CR0[3:0] but cannot clear PE (Vol 2, LMSW) */
		err = vcpu_set_cr0(v, (cr0 & ~0xeull) | (e->cr.lmsw_src & 0xf) | (cr0 & CR0_PE));
		break;
	}
	if (err == -ENOTSUP) {
		vm_stop(v->vm, "unexpected CR%u access (type %u)", e->cr.cr, e->cr.type);
		return KILL_VM;
	}
	if (err) {
		vcpu_inject_gp(v);
		return RESUME;
	}
	return RESUME_SKIP_INSN;
}

/*
 * XSETBV (Vol 2, XSETBV; Vol 1 13.3): only XCR0 exists; x87 must stay
 * enabled, AVX needs SSE, the AVX-512 components go together and need AVX,
 * and nothing the host cannot save may be enabled. The vCPU's FPU state is
 * live on this CPU, so the new XCR0 is loaded right away.
 */
enum exit_result exit_xsetbv(struct vcpu *v, struct vm_exit *e)
{
	u64 val = ((v->regs.gpr[RDX] & 0xffffffffu) << 32) | (v->regs.gpr[RAX] & 0xffffffffu);
	u64 avx512 = BIT(5) | BIT(6) | BIT(7);
	bool bad = (u32)v->regs.gpr[RCX] != 0 || vcpu_cpl() != 0 || !(val & BIT(0)) ||
		   ((val & BIT(2)) && !(val & BIT(1))) ||
		   ((val & avx512) && ((val & avx512) != avx512 || !(val & BIT(2)))) ||
		   (val & ~fpu_host_xcr0());

	if (bad) {
		vcpu_inject_gp(v);
		return RESUME;
	}
	v->xcr0 = val;
	xsetbv(0, val);
	return RESUME_SKIP_INSN;
}
