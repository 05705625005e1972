/*
 * VMCS host state, the field-name table and the guest-state dump used when
 * a VM fails (SDM Vol 3 25.5 "Host-State Area", appendix B, 31.4
 * "VM Instruction Error Numbers").
 */
#include "arch/cpu.h"
#include "arch/hw.h"
#include "arch/vmx.h"
#include "lib/log.h"

static const struct {
	u32 enc;
	const char *name;
} vmcs_names[] = {
#define VMCS_NAME(name, enc) { enc, #name },
	VMCS_FIELDS(VMCS_NAME)
#undef VMCS_NAME
};

const char *vmcs_field_name(u32 enc)
{
	for (unsigned i = 0; i < ARRAY_SIZE(vmcs_names); i++)
		if (vmcs_names[i].enc == enc)
			return vmcs_names[i].name;
	return "?";
}

static const char *const vm_instruction_errors[] = {
	[1] = "VMCALL in VMX root operation",
	[2] = "VMCLEAR with invalid physical address",
	[3] = "VMCLEAR with VMXON pointer",
	[4] = "VMLAUNCH with non-clear VMCS",
	[5] = "VMRESUME with non-launched VMCS",
	[6] = "VMRESUME after VMXOFF",
	[7] = "VM entry with invalid control field(s)",
	[8] = "VM entry with invalid host-state field(s)",
	[9] = "VMPTRLD with invalid physical address",
	[10] = "VMPTRLD with VMXON pointer",
	[11] = "VMPTRLD with incorrect VMCS revision identifier",
	[12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
	[13] = "VMWRITE to read-only VMCS component",
	[15] = "VMXON executed in VMX root operation",
	[16] = "VM entry with invalid executive-VMCS pointer",
	[17] = "VM entry with non-launched executive VMCS",
	[18] = "VM entry with executive-VMCS pointer not VMXON pointer",
	[26] = "VM entry with events blocked by MOV SS",
	[28] = "Invalid operand to INVEPT/INVVPID",
};

const char *vmx_instruction_error_name(u32 err)
{
	if (err < ARRAY_SIZE(vm_instruction_errors) && vm_instruction_errors[err])
		return vm_instruction_errors[err];
	return "unknown VM-instruction error";
}

/*
 * Host state loaded on every VM exit: Keel's own segments, descriptor
 * tables, control registers, PAT and EFER. HOST_RSP is written by
 * vmx_run() on each entry; HOST_RIP is its exit label. The fields that
 * differ between CPUs (vmcs_setup_host_cpu) are rewritten whenever the
 * vCPU runs on another CPU than last time.
 */
void vmcs_setup_host(void)
{
	extern u8 vmx_exit_stub[];

	vmcs_write16(HOST_ES_SELECTOR, GDT_KERNEL_DS);
	vmcs_write16(HOST_CS_SELECTOR, GDT_KERNEL_CS);
	vmcs_write16(HOST_SS_SELECTOR, GDT_KERNEL_DS);
	vmcs_write16(HOST_DS_SELECTOR, GDT_KERNEL_DS);
	vmcs_write16(HOST_FS_SELECTOR, 0);
	vmcs_write16(HOST_GS_SELECTOR, 0);
	vmcs_write16(HOST_TR_SELECTOR, GDT_TSS);
	vmcs_writenat(HOST_CR0, read_cr(0));
	vmcs_writenat(HOST_CR3, read_cr(3));
	vmcs_writenat(HOST_CR4, read_cr(4));
	vmcs_writenat(HOST_FS_BASE, 0);
	vmcs_write32(HOST_IA32_SYSENTER_CS, 0);
	vmcs_writenat(HOST_IA32_SYSENTER_ESP, 0);
	vmcs_writenat(HOST_IA32_SYSENTER_EIP, 0);
	vmcs_write64(HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
	vmcs_write64(HOST_IA32_EFER, rdmsr(MSR_IA32_EFER));
	vmcs_writenat(HOST_RIP, (u64)(uintptr_t)vmx_exit_stub);
	vmcs_setup_host_cpu();
}

/* This CPU's own: its per-CPU data (GS), TSS and GDT. */
void vmcs_setup_host_cpu(void)
{
	struct percpu *cpu = this_cpu();
	struct { u16 limit; u64 base; } __packed gdtr, idtr;

	asm volatile("sgdt %0; sidt %1" : "=m"(gdtr), "=m"(idtr));
	vmcs_writenat(HOST_GS_BASE, (u64)(uintptr_t)cpu);
	vmcs_writenat(HOST_TR_BASE, (u64)(uintptr_t)&cpu->tss);
	vmcs_writenat(HOST_GDTR_BASE, gdtr.base);
	vmcs_writenat(HOST_IDTR_BASE, idtr.base);
}

/* Print every guest-state field by name, and the exit information. */
void vmcs_dump_guest(void)
{
	static const u32 info[] = {
		VMCS_EXIT_REASON, VMCS_EXIT_QUALIFICATION, VMCS_EXIT_INTR_INFO,
		VMCS_IDT_VECTORING_INFO, VMCS_VM_INSTRUCTION_ERROR, VMCS_ENTRY_INTR_INFO,
		VMCS_PIN_BASED_CONTROLS, VMCS_PROC_BASED_CONTROLS, VMCS_PROC_BASED_CONTROLS2,
		VMCS_ENTRY_CONTROLS, VMCS_EXIT_CONTROLS, VMCS_EPT_POINTER,
		VMCS_CR0_READ_SHADOW, VMCS_CR4_READ_SHADOW,
	};
	u64 v;

	log_raw("  --- VMCS ---");
	for (unsigned i = 0; i < ARRAY_SIZE(info); i++)
		if (!vmread_safe(info[i], &v))
			log_raw("  %-26s %016llx", vmcs_field_name(info[i]), (unsigned long long)v);
	for (unsigned i = 0; i < ARRAY_SIZE(vmcs_names); i++) {
		if (VMCS_FIELD_TYPE(vmcs_names[i].enc) != VMCS_TYPE_GUEST)
			continue;
		if (!vmread_safe(vmcs_names[i].enc, &v))
			log_raw("  %-26s %016llx", vmcs_names[i].name, (unsigned long long)v);
	}
}
