/*
 * RDMSR/WRMSR exits through the MSR bitmap (SDM Vol 3 25.6.9). MSRs the
 * VMCS switches (FS/GS base, SYSENTER) and those Keel switches itself on a
 * vCPU change (STAR, LSTAR, CSTAR, FMASK, KERNEL_GS_BASE, TSC_AUX) go
 * straight to the processor; the rest exit and are emulated by the table
 * below. An MSR Keel does not know raises #GP in the guest, as on a
 * processor that lacks it.
 */
#include "vmm/exit/exit.h"
#include "vmm/core/vm.h"
#include "arch/vmx.h"
#include "arch/cpu.h"
#include "lib/log.h"

#define MSR_X2APIC_FIRST 0x800u	/* SDM Vol 3 11.12.1.2: x2APIC registers */
#define MSR_X2APIC_LAST  0x8ffu

struct msr_handler {
	u32 msr;
	int (*read)(struct vcpu *v, u64 *val);
	int (*write)(struct vcpu *v, u64 val);	/* NULL: writes raise #GP */
};

static int efer_read(struct vcpu *v, u64 *val)
{
	*val = vmcs_read64(GUEST_IA32_EFER);
	return 0;
}

/* EFER.LMA is the processor's to set (it follows CR0.PG with LME, handled
 * in vmm/exit/cr.c); LME may not change while paging is on (SDM Vol 3 10.8.5). */
static int efer_write(struct vcpu *v, u64 val)
{
	u64 old = vmcs_read64(GUEST_IA32_EFER);
	u64 allowed = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;

	if (val & ~allowed)
		return -EINVAL;
	if ((vmcs_readnat(GUEST_CR0) & CR0_PG) && ((val ^ old) & EFER_LME))
		return -EINVAL;
	vmcs_write64(GUEST_IA32_EFER, (val & ~EFER_LMA) | (old & EFER_LMA));
	return 0;
}

static int pat_read(struct vcpu *v, u64 *val)
{
	*val = vmcs_read64(GUEST_IA32_PAT);
	return 0;
}

/* Each PAT entry must be a valid memory type: 0, 1, 4, 5, 6 or 7 (11.12.2). */
static int pat_write(struct vcpu *v, u64 val)
{
	for (int i = 0; i < 8; i++) {
		u8 t = (val >> (8 * i)) & 0xff;
		if (t > 7 || t == 2 || t == 3)
			return -EINVAL;
	}
	vmcs_write64(GUEST_IA32_PAT, val);
	return 0;
}

static int apic_base_read(struct vcpu *v, u64 *val)
{
	*val = vlapic_apic_base_read(&v->lapic);
	return 0;
}

static int apic_base_write(struct vcpu *v, u64 val)
{
	return vlapic_apic_base_write(&v->lapic, val);
}

static int tsc_deadline_read(struct vcpu *v, u64 *val)
{
	*val = vlapic_tsc_deadline_read(&v->lapic);
	return 0;
}

static int tsc_deadline_write(struct vcpu *v, u64 val)
{
	vlapic_tsc_deadline_write(&v->lapic, val);
	return 0;
}

/* The guest TSC is the host's (no offset): RDTSC does not exit, and the
 * MSR reads the same counter. Writes would need an offset: refused. */
static int tsc_read(struct vcpu *v, u64 *val)
{
	*val = rdtsc();
	return 0;
}

static int zero_read(struct vcpu *v, u64 *val)
{
	*val = 0;
	return 0;
}

static int ignore_write(struct vcpu *v, u64 val)
{
	return 0;
}

/* Locked, VMX disabled: VMX is hidden from guests. */
static int feature_control_read(struct vcpu *v, u64 *val)
{
	*val = FEATURE_CONTROL_LOCK;
	return 0;
}

/* Fast strings on (bit 0), nothing else a guest could act on. */
static int misc_enable_read(struct vcpu *v, u64 *val)
{
	*val = BIT(0);
	return 0;
}

static const struct msr_handler msr_table[] = {
	{ MSR_IA32_APIC_BASE, apic_base_read, apic_base_write },
	{ MSR_IA32_TSC_DEADLINE, tsc_deadline_read, tsc_deadline_write },
	{ MSR_IA32_TSC, tsc_read, NULL },
	{ MSR_IA32_TSC_ADJUST, zero_read, NULL },
	{ MSR_IA32_FEATURE_CONTROL, feature_control_read, NULL },
	{ MSR_IA32_BIOS_SIGN_ID, zero_read, ignore_write },
	{ MSR_IA32_MTRRCAP, zero_read, NULL },
	{ MSR_IA32_MCG_CAP, zero_read, NULL },
	{ MSR_IA32_MCG_STATUS, zero_read, ignore_write },
	{ MSR_IA32_MISC_ENABLE, misc_enable_read, ignore_write },
	{ MSR_IA32_PAT, pat_read, pat_write },
	{ MSR_IA32_MTRR_DEF_TYPE, zero_read, ignore_write },
	{ MSR_IA32_EFER, efer_read, efer_write },
};

static const struct msr_handler *msr_find(u32 msr)
{
	for (unsigned i = 0; i < ARRAY_SIZE(msr_table); i++)
		if (msr_table[i].msr == msr)
			return &msr_table[i];
	return NULL;
}

static enum exit_result msr_fault(struct vcpu *v, u32 msr, bool write)
{
	log_debug("vm %s: #GP for %s of MSR 0x%x", v->vm->name, write ? "WRMSR" : "RDMSR", msr);
	vcpu_inject_gp(v);
	return RESUME;
}

enum exit_result exit_rdmsr(struct vcpu *v, struct vm_exit *e)
{
	u32 msr = (u32)v->regs.gpr[RCX];
	const struct msr_handler *h = msr_find(msr);
	u64 val;

	if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST) {
		if (vlapic_msr_read(&v->lapic, msr, &val))
			return msr_fault(v, msr, false);
	} else if (!h || !h->read || h->read(v, &val))
		return msr_fault(v, msr, false);
	v->regs.gpr[RAX] = (u32)val;
	v->regs.gpr[RDX] = val >> 32;
	return RESUME_SKIP_INSN;
}

enum exit_result exit_wrmsr(struct vcpu *v, struct vm_exit *e)
{
	u32 msr = (u32)v->regs.gpr[RCX];
	u64 val = ((v->regs.gpr[RDX] & 0xffffffffu) << 32) | (v->regs.gpr[RAX] & 0xffffffffu);
	const struct msr_handler *h = msr_find(msr);

	/* The x2APIC and TSC-deadline MSRs are the local APIC's: its deadline
	 * is recomputed and pending interrupts looked at before the entry. */
	v->vm->timers_dirty = true;
	v->irq_check = true;
	if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST) {
		if (vlapic_msr_write(&v->lapic, msr, val))
			return msr_fault(v, msr, true);
	} else if (!h || !h->write || h->write(v, val))
		return msr_fault(v, msr, true);
	return RESUME_SKIP_INSN;
}
