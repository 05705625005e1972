/*
 * VMX bring-up: detection, capability MSRs, control words and VMXON
 * (SDM Vol 3 chapter 24 "Introduction to VMX operation", 24.7-24.8, and
 * appendix A "VMX Capability Reporting Facility").
 */
#include "arch/cpu.h"
#include "arch/hw.h"
#include "arch/vmx.h"
#include "mm/mm.h"
#include "lib/log.h"
#include "lib/string.h"

struct vmx_caps vmx_caps;

/*
 * VMX is usable when CPUID.1:ECX.VMX[bit 5] is set and IA32_FEATURE_CONTROL
 * either is unlocked (we lock it ourselves) or is locked with "VMX outside
 * SMX" enabled (SDM Vol 3 24.7 "Enabling and Entering VMX Operation").
 */
int vmx_detect(const char **why)
{
	struct cpuid_regs r;
	u64 fc;

	cpuid(1, 0, &r);
	if (!(r.ecx & BIT(5))) {
		*why = "CPUID.1:ECX.VMX is clear (this CPU or emulator has no VT-x)";
		return -ENODEV;
	}
	fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	if ((fc & FEATURE_CONTROL_LOCK) && !(fc & FEATURE_CONTROL_VMX)) {
		*why = "IA32_FEATURE_CONTROL is locked with VMX disabled (enable VT-x in the firmware setup)";
		return -ENODEV;
	}
	return 0;
}

struct ctl_bit {
	u32 bit;
	const char *name;
};

/*
 * One control word: the required bits must be allowed to be 1, the
 * optional ones are taken where allowed, and the bits the processor
 * requires to be 1 (allowed-0 settings, low half of the capability MSR)
 * are always set (SDM Vol 3 A.3-A.5).
 */
static int vmx_ctl(u32 msr, const struct ctl_bit *req, unsigned nreq,
		   u32 optional, const char *word, u32 *out)
{
	u64 cap = rdmsr(msr);
	u32 allowed0 = (u32)cap, allowed1 = (u32)(cap >> 32);
	u32 want = 0;

	for (unsigned i = 0; i < nreq; i++) {
		if (!(allowed1 & req[i].bit)) {
			log_err("keel: VMX: the processor lacks the required %s control \"%s\"",
				word, req[i].name);
			return -ENOTSUP;
		}
		want |= req[i].bit;
	}
	*out = (want | (optional & allowed1) | allowed0) & allowed1;
	return 0;
}

static const struct ctl_bit pin_req[] = {
	{ PIN_EXT_INT_EXITING, "external-interrupt exiting" },
	{ PIN_NMI_EXITING, "NMI exiting" },
};
static const struct ctl_bit proc_req[] = {
	{ PROC_HLT_EXITING, "HLT exiting" },
	{ PROC_CR8_LOAD_EXITING, "CR8-load exiting" },
	{ PROC_CR8_STORE_EXITING, "CR8-store exiting" },
	{ PROC_USE_IO_BITMAPS, "use I/O bitmaps" },
	{ PROC_USE_MSR_BITMAPS, "use MSR bitmaps" },
	{ PROC_SECONDARY_CONTROLS, "activate secondary controls" },
};
static const struct ctl_bit proc2_req[] = {
	{ PROC2_ENABLE_EPT, "enable EPT" },
	{ PROC2_UNRESTRICTED_GUEST, "unrestricted guest" },
};
static const struct ctl_bit exit_req[] = {
	{ EXIT_HOST_ADDR_SPACE_64, "host address-space size" },
	{ EXIT_SAVE_IA32_PAT, "save IA32_PAT" },
	{ EXIT_LOAD_IA32_PAT, "load IA32_PAT" },
	{ EXIT_SAVE_IA32_EFER, "save IA32_EFER" },
	{ EXIT_LOAD_IA32_EFER, "load IA32_EFER" },
};
static const struct ctl_bit entry_req[] = {
	{ ENTRY_LOAD_IA32_PAT, "load IA32_PAT" },
	{ ENTRY_LOAD_IA32_EFER, "load IA32_EFER" },
};

static int vmx_check_ept(void)
{
	u64 c = vmx_caps.ept_vpid;

	if (!(c & EPT_CAP_WALK_4) || !(c & EPT_CAP_MEMTYPE_WB)) {
		log_err("keel: VMX: EPT lacks 4-level walks or write-back paging structures");
		return -ENOTSUP;
	}
	if (!(c & EPT_CAP_INVEPT) || !(c & EPT_CAP_INVEPT_SINGLE)) {
		log_err("keel: VMX: the processor lacks single-context INVEPT");
		return -ENOTSUP;
	}
	vmx_caps.has_2m_ept = c & EPT_CAP_2M_PAGES;
	return 0;
}

int vmx_setup_caps(void)
{
	struct vmx_caps *c = &vmx_caps;
	bool truectl;
	int err;

	c->basic = rdmsr(MSR_IA32_VMX_BASIC);
	c->misc = rdmsr(MSR_IA32_VMX_MISC);
	c->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	c->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	c->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	c->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
	truectl = c->basic & BIT(55);	/* the TRUE_ MSRs exist (A.1) */

	err = vmx_ctl(truectl ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS,
		      pin_req, ARRAY_SIZE(pin_req), PIN_VIRTUAL_NMIS | PIN_PREEMPTION_TIMER,
		      "pin-based", &c->pin);
	err = err ?: vmx_ctl(truectl ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS,
			     proc_req, ARRAY_SIZE(proc_req), 0, "processor-based", &c->proc);
	err = err ?: vmx_ctl(MSR_IA32_VMX_PROCBASED_CTLS2, proc2_req, ARRAY_SIZE(proc2_req),
			     PROC2_ENABLE_VPID | PROC2_ENABLE_RDTSCP | PROC2_ENABLE_INVPCID,
			     "secondary processor-based", &c->proc2);
	err = err ?: vmx_ctl(truectl ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS,
			     exit_req, ARRAY_SIZE(exit_req),
			     EXIT_SAVE_DEBUG_CONTROLS | EXIT_SAVE_PREEMPT_TIMER, "VM-exit", &c->exit);
	err = err ?: vmx_ctl(truectl ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS,
			     entry_req, ARRAY_SIZE(entry_req), ENTRY_LOAD_DEBUG_CONTROLS,
			     "VM-entry", &c->entry);
	if (err)
		return err;
	/* The EPT/VPID capability MSR exists only when EPT or VPID can be
	 * enabled; reading it otherwise raises #GP (SDM Vol 3 A.10). */
	c->ept_vpid = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
	if ((c->proc2 & PROC2_ENABLE_VPID) && !(c->ept_vpid & VPID_CAP_INVVPID))
		c->proc2 &= ~PROC2_ENABLE_VPID;
	err = vmx_check_ept();
	if (err)
		return err;
	/* The preemption timer is only useful if its value survives exits. */
	c->has_preempt_timer = (c->pin & PIN_PREEMPTION_TIMER) && (c->exit & EXIT_SAVE_PREEMPT_TIMER);
	if (!c->has_preempt_timer) {
		c->pin &= ~PIN_PREEMPTION_TIMER;
		c->exit &= ~EXIT_SAVE_PREEMPT_TIMER;
	}
	c->preempt_shift = c->misc & 0x1f;
	c->ins_outs_info = c->misc & BIT(54);
	c->entry &= ~ENTRY_IA32E_MODE_GUEST;	/* set per vCPU */
	return 0;
}

/*
 * Enter VMX root operation on this CPU: lock IA32_FEATURE_CONTROL with VMX
 * enabled if firmware left it unlocked (the Bochs BIOS does so only on the
 * boot CPU), honour the CR0/CR4 fixed bits (A.7, A.8), and VMXON a region
 * stamped with the VMCS revision identifier (24.11.5).
 */
int vmx_enable_cpu(void)
{
	struct percpu *cpu = this_cpu();
	u64 fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	u64 phys;
	u8 fail;

	if (!(fc & FEATURE_CONTROL_LOCK))
		wrmsr(MSR_IA32_FEATURE_CONTROL, fc | FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX);
	write_cr(0, (read_cr(0) | vmx_caps.cr0_fixed0) & vmx_caps.cr0_fixed1);
	write_cr(4, (read_cr(4) | vmx_caps.cr4_fixed0 | CR4_VMXE) & vmx_caps.cr4_fixed1);

	cpu->vmxon_region = page_alloc_zero(1);
	if (!cpu->vmxon_region)
		return -ENOMEM;
	vmcs_stamp_revision(cpu->vmxon_region);
	phys = virt_to_phys(cpu->vmxon_region);
	asm volatile("vmxon %1; setbe %0" : "=qm"(fail) : "m"(phys) : "cc", "memory");
	if (fail) {
		log_err("keel: VMXON failed on CPU %u", cpu->cpu_id);
		return -EIO;
	}
	return 0;
}

void vmcs_stamp_revision(void *page)
{
	*(u32 *)page = (u32)(vmx_caps.basic & 0x7fffffff);
}

int vmcs_clear(u64 phys)
{
	u8 fail;

	asm volatile("vmclear %1; setbe %0" : "=qm"(fail) : "m"(phys) : "cc", "memory");
	return fail ? -EIO : 0;
}

int vmcs_load(u64 phys)
{
	u8 fail;

	asm volatile("vmptrld %1; setbe %0" : "=qm"(fail) : "m"(phys) : "cc", "memory");
	return fail ? -EIO : 0;
}
