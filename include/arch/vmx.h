/*
 * VMX operation: capabilities, control words, VMXON and the VMCS
 * (SDM Vol 3 chapters 25-28, appendix A).
 */
#ifndef KEEL_ARCH_VMX_H
#define KEEL_ARCH_VMX_H

#include "types.h"
#include "arch/hw.h"
#include "arch/vmcs_fields.h"

/* Pin-based VM-execution controls (SDM Vol 3 25.6.1). */
#define PIN_EXT_INT_EXITING      BIT(0)
#define PIN_NMI_EXITING          BIT(3)
#define PIN_VIRTUAL_NMIS         BIT(5)
#define PIN_PREEMPTION_TIMER     BIT(6)

/* Primary processor-based controls (SDM Vol 3 25.6.2, table 25-6). */
#define PROC_INTR_WINDOW_EXITING BIT(2)
#define PROC_USE_TSC_OFFSETTING  BIT(3)
#define PROC_HLT_EXITING         BIT(7)
#define PROC_MWAIT_EXITING       BIT(10)
#define PROC_RDPMC_EXITING       BIT(11)
#define PROC_CR3_LOAD_EXITING    BIT(15)
#define PROC_CR3_STORE_EXITING   BIT(16)
#define PROC_CR8_LOAD_EXITING    BIT(19)
#define PROC_CR8_STORE_EXITING   BIT(20)
#define PROC_NMI_WINDOW_EXITING  BIT(22)
#define PROC_MOV_DR_EXITING      BIT(23)
#define PROC_USE_IO_BITMAPS      BIT(25)
#define PROC_USE_MSR_BITMAPS     BIT(28)
#define PROC_MONITOR_EXITING     BIT(29)
#define PROC_SECONDARY_CONTROLS  BIT(31)

/* Secondary processor-based controls (table 25-7). */
#define PROC2_ENABLE_EPT         BIT(1)
#define PROC2_ENABLE_RDTSCP      BIT(3)
#define PROC2_ENABLE_VPID        BIT(5)
#define PROC2_UNRESTRICTED_GUEST BIT(7)
#define PROC2_ENABLE_INVPCID     BIT(12)

/* VM-exit controls (25.7.1). */
#define EXIT_SAVE_DEBUG_CONTROLS BIT(2)
#define EXIT_HOST_ADDR_SPACE_64  BIT(9)
#define EXIT_SAVE_IA32_PAT       BIT(18)
#define EXIT_LOAD_IA32_PAT       BIT(19)
#define EXIT_SAVE_IA32_EFER      BIT(20)
#define EXIT_LOAD_IA32_EFER      BIT(21)
#define EXIT_SAVE_PREEMPT_TIMER  BIT(22)

/* VM-entry controls (25.8.1). */
#define ENTRY_LOAD_DEBUG_CONTROLS BIT(2)
#define ENTRY_IA32E_MODE_GUEST   BIT(9)
#define ENTRY_LOAD_IA32_PAT      BIT(14)
#define ENTRY_LOAD_IA32_EFER     BIT(15)

/* Interruption-information fields: VM-entry (25.8.3), VM-exit and
 * IDT-vectoring (28.2.2, 28.2.4): vector 7:0, type 10:8, valid 31. */
#define INTR_INFO_VALID          BIT(31)
#define INTR_INFO_DELIVER_ERROR  BIT(11)
#define INTR_INFO_NMI_UNBLOCK    BIT(12)	/* exit info: NMI unblocking due to IRET; not an entry bit */
#define INTR_INFO_TYPE_MASK      (7u << 8)
#define INTR_TYPE_EXT_INTR       (0u << 8)
#define INTR_TYPE_NMI            (2u << 8)
#define INTR_TYPE_HW_EXCEPTION   (3u << 8)
#define INTR_TYPE_SW_INTR        (4u << 8)
#define INTR_TYPE_PRIV_SW_EXCEPTION (5u << 8)
#define INTR_TYPE_SW_EXCEPTION   (6u << 8)

/* Events of these types carry an instruction length when injected (26.6). */
static inline bool intr_info_needs_insn_len(u32 info)
{
	u32 type = info & INTR_INFO_TYPE_MASK;

	return type == INTR_TYPE_SW_INTR || type == INTR_TYPE_PRIV_SW_EXCEPTION ||
	       type == INTR_TYPE_SW_EXCEPTION;
}

/* Guest interruptibility state (25.4.2, table 25-3). */
#define INTERRUPTIBILITY_STI     BIT(0)
#define INTERRUPTIBILITY_MOV_SS  BIT(1)
#define INTERRUPTIBILITY_NMI     BIT(3)	/* blocking by NMI */

/* IA32_VMX_EPT_VPID_CAP (appendix A.10). */
#define EPT_CAP_WALK_4           BIT(6)
#define EPT_CAP_MEMTYPE_WB       BIT(14)
#define EPT_CAP_2M_PAGES         BIT(16)
#define EPT_CAP_INVEPT           BIT(20)
#define EPT_CAP_INVEPT_SINGLE    BIT(25)
#define EPT_CAP_INVEPT_ALL       BIT(26)
#define VPID_CAP_INVVPID         BIT(32)

struct vmx_caps {
	u64 basic;
	u64 misc;
	u64 ept_vpid;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	u32 pin, proc, proc2, exit, entry;	/* the control words Keel uses */
	unsigned preempt_shift;			/* timer ticks = TSC >> shift */
	bool has_preempt_timer;
	bool has_2m_ept;
	bool ins_outs_info;			/* VMX_MISC bit 54 */
};

extern struct vmx_caps vmx_caps;

/* Checks CPUID and IA32_FEATURE_CONTROL; on failure *why says which. */
int vmx_detect(const char **why);
/* Computes the control words from the capability MSRs; a required control
 * that is missing stops with a message naming it. */
int vmx_setup_caps(void);
/* IA32_FEATURE_CONTROL, CR0/CR4 fixed bits, VMXON on this CPU. */
int vmx_enable_cpu(void);

/* Stamp a VMXON region or VMCS page with the processor's VMCS revision
 * identifier (IA32_VMX_BASIC bits 30:0, SDM Vol 3 25.2, 25.11.5). */
void vmcs_stamp_revision(void *page);
int vmcs_clear(u64 phys);
int vmcs_load(u64 phys);
void vmcs_setup_host(void);
void vmcs_setup_host_cpu(void);
void vmcs_dump_guest(void);
const char *vmcs_field_name(u32 enc);
const char *vmx_instruction_error_name(u32 err);

/* The MSR bitmap page (arch/x86_64/vmx/msr_bitmap.c): make reads and
 * writes of msr exit (true) or not; whether one does. MSRs the bitmap
 * cannot name always exit and are left alone. */
void vmx_msr_bitmap_set(u8 *bitmap, u32 msr, bool read, bool write);
bool vmx_msr_bitmap_exits(const u8 *bitmap, u32 msr, bool write);

struct vcpu_regs;
/* Enter the guest; returns 0 after a VM exit, 1 on VMfailInvalid,
 * 2 on VMfailValid (arch/x86_64/vmx/vmx_entry.S). */
int vmx_run(struct vcpu_regs *regs, bool launched);

/* Width-checked VMCS accessors: the field's width is in its encoding. */
#define vmcs_read16(f)  ({ STATIC_ASSERT(VMCS_FIELD_WIDTH(VMCS_##f) == VMCS_WIDTH_16, #f " is not 16-bit"); (u16)vmread(VMCS_##f); })
#define vmcs_read32(f)  ({ STATIC_ASSERT(VMCS_FIELD_WIDTH(VMCS_##f) == VMCS_WIDTH_32, #f " is not 32-bit"); (u32)vmread(VMCS_##f); })
#define vmcs_read64(f)  ({ STATIC_ASSERT(VMCS_FIELD_WIDTH(VMCS_##f) == VMCS_WIDTH_64, #f " is not 64-bit"); (u64)vmread(VMCS_##f); })
#define vmcs_readnat(f) ({ STATIC_ASSERT(VMCS_FIELD_WIDTH(VMCS_##f) == VMCS_WIDTH_NAT, #f " is not natural-width"); (u64)vmread(VMCS_##f); })
#define vmcs_write16(f, v)  do { STATIC_ASSERT(VMCS_FIELD_WIDTH(VMCS_##f) == VMCS_WIDTH_16, #f " is not 16-bit"); vmwrite(VMCS_##f, (u16)(v)); } while (0)
#define vmcs_write32(f, v)  do { STATIC_ASSERT(VMCS_FIELD_WIDTH(VMCS_##f) == VMCS_WIDTH_32, #f " is not 32-bit"); vmwrite(VMCS_##f, (u32)(v)); } while (0)
#define vmcs_write64(f, v)  do { STATIC_ASSERT(VMCS_FIELD_WIDTH(VMCS_##f) == VMCS_WIDTH_64, #f " is not 64-bit"); vmwrite(VMCS_##f, (u64)(v)); } while (0)
#define vmcs_writenat(f, v) do { STATIC_ASSERT(VMCS_FIELD_WIDTH(VMCS_##f) == VMCS_WIDTH_NAT, #f " is not natural-width"); vmwrite(VMCS_##f, (u64)(v)); } while (0)

#endif
