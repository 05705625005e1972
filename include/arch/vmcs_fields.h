/*
 * VMCS field encodings, one X-macro list in the order of SDM Vol 3
 * Appendix B (Field Encoding in VMCS). The encoding carries the width in
 * bits 14:13 (0 = 16-bit, 1 = 64-bit, 2 = 32-bit, 3 = natural width) and the
 * type in bits 11:10 (0 control, 1 read-only data, 2 guest state, 3 host
 * state), so the accessors check widths at compile time from the value alone.
 * The list also drives the field-name table used by VMCS dumps.
 */
#ifndef KEEL_ARCH_VMCS_FIELDS_H
#define KEEL_ARCH_VMCS_FIELDS_H

#define VMCS_FIELDS(F) \
	/* B.1.1 16-bit control fields */ \
	F(VPID,                      0x0000) \
	/* B.1.2 16-bit guest-state fields */ \
	F(GUEST_ES_SELECTOR,         0x0800) \
	F(GUEST_CS_SELECTOR,         0x0802) \
	F(GUEST_SS_SELECTOR,         0x0804) \
	F(GUEST_DS_SELECTOR,         0x0806) \
	F(GUEST_FS_SELECTOR,         0x0808) \
	F(GUEST_GS_SELECTOR,         0x080a) \
	F(GUEST_LDTR_SELECTOR,       0x080c) \
	F(GUEST_TR_SELECTOR,         0x080e) \
	/* B.1.3 16-bit host-state fields */ \
	F(HOST_ES_SELECTOR,          0x0c00) \
	F(HOST_CS_SELECTOR,          0x0c02) \
	F(HOST_SS_SELECTOR,          0x0c04) \
	F(HOST_DS_SELECTOR,          0x0c06) \
	F(HOST_FS_SELECTOR,          0x0c08) \
	F(HOST_GS_SELECTOR,          0x0c0a) \
	F(HOST_TR_SELECTOR,          0x0c0c) \
	/* B.2.1 64-bit control fields */ \
	F(IO_BITMAP_A,               0x2000) \
	F(IO_BITMAP_B,               0x2002) \
	F(MSR_BITMAP,                0x2004) \
	F(EXIT_MSR_STORE_ADDR,       0x2006) \
	F(EXIT_MSR_LOAD_ADDR,        0x2008) \
	F(ENTRY_MSR_LOAD_ADDR,       0x200a) \
	F(TSC_OFFSET,                0x2010) \
	F(VIRTUAL_APIC_PAGE_ADDR,    0x2012) \
	F(APIC_ACCESS_ADDR,          0x2014) \
	F(EPT_POINTER,               0x201a) \
	/* B.2.2 64-bit read-only data field */ \
	F(GUEST_PHYSICAL_ADDRESS,    0x2400) \
	/* B.2.3 64-bit guest-state fields */ \
	F(VMCS_LINK_POINTER,         0x2800) \
	F(GUEST_IA32_DEBUGCTL,       0x2802) \
	F(GUEST_IA32_PAT,            0x2804) \
	F(GUEST_IA32_EFER,           0x2806) \
	F(GUEST_PDPTE0,              0x280a) \
	F(GUEST_PDPTE1,              0x280c) \
	F(GUEST_PDPTE2,              0x280e) \
	F(GUEST_PDPTE3,              0x2810) \
	/* B.2.4 64-bit host-state fields */ \
	F(HOST_IA32_PAT,             0x2c00) \
	F(HOST_IA32_EFER,            0x2c02) \
	/* B.3.1 32-bit control fields */ \
	F(PIN_BASED_CONTROLS,        0x4000) \
	F(PROC_BASED_CONTROLS,       0x4002) \
	F(EXCEPTION_BITMAP,          0x4004) \
	F(PAGE_FAULT_ERROR_MASK,     0x4006) \
	F(PAGE_FAULT_ERROR_MATCH,    0x4008) \
	F(CR3_TARGET_COUNT,          0x400a) \
	F(EXIT_CONTROLS,             0x400c) \
	F(EXIT_MSR_STORE_COUNT,      0x400e) \
	F(EXIT_MSR_LOAD_COUNT,       0x4010) \
	F(ENTRY_CONTROLS,            0x4012) \
	F(ENTRY_MSR_LOAD_COUNT,      0x4014) \
	F(ENTRY_INTR_INFO,           0x4016) \
	F(ENTRY_EXCEPTION_ERROR,     0x4018) \
	F(ENTRY_INSTRUCTION_LEN,     0x401a) \
	F(TPR_THRESHOLD,             0x401c) \
	F(PROC_BASED_CONTROLS2,      0x401e) \
	/* B.3.2 32-bit read-only data fields */ \
	F(VM_INSTRUCTION_ERROR,      0x4400) \
	F(EXIT_REASON,               0x4402) \
	F(EXIT_INTR_INFO,            0x4404) \
	F(EXIT_INTR_ERROR,           0x4406) \
	F(IDT_VECTORING_INFO,        0x4408) \
	F(IDT_VECTORING_ERROR,       0x440a) \
	F(EXIT_INSTRUCTION_LEN,      0x440c) \
	F(EXIT_INSTRUCTION_INFO,     0x440e) \
	/* B.3.3 32-bit guest-state fields */ \
	F(GUEST_ES_LIMIT,            0x4800) \
	F(GUEST_CS_LIMIT,            0x4802) \
	F(GUEST_SS_LIMIT,            0x4804) \
	F(GUEST_DS_LIMIT,            0x4806) \
	F(GUEST_FS_LIMIT,            0x4808) \
	F(GUEST_GS_LIMIT,            0x480a) \
	F(GUEST_LDTR_LIMIT,          0x480c) \
	F(GUEST_TR_LIMIT,            0x480e) \
	F(GUEST_GDTR_LIMIT,          0x4810) \
	F(GUEST_IDTR_LIMIT,          0x4812) \
	F(GUEST_ES_AR,               0x4814) \
	F(GUEST_CS_AR,               0x4816) \
	F(GUEST_SS_AR,               0x4818) \
	F(GUEST_DS_AR,               0x481a) \
	F(GUEST_FS_AR,               0x481c) \
	F(GUEST_GS_AR,               0x481e) \
	F(GUEST_LDTR_AR,             0x4820) \
	F(GUEST_TR_AR,               0x4822) \
	F(GUEST_INTERRUPTIBILITY,    0x4824) \
	F(GUEST_ACTIVITY_STATE,      0x4826) \
	F(GUEST_SMBASE,              0x4828) \
	F(GUEST_IA32_SYSENTER_CS,    0x482a) \
	F(GUEST_PREEMPTION_TIMER,    0x482e) \
	/* B.3.4 32-bit host-state field */ \
	F(HOST_IA32_SYSENTER_CS,     0x4c00) \
	/* B.4.1 natural-width control fields */ \
	F(CR0_GUEST_HOST_MASK,       0x6000) \
	F(CR4_GUEST_HOST_MASK,       0x6002) \
	F(CR0_READ_SHADOW,           0x6004) \
	F(CR4_READ_SHADOW,           0x6006) \
	/* B.4.2 natural-width read-only data fields */ \
	F(EXIT_QUALIFICATION,        0x6400) \
	F(GUEST_LINEAR_ADDRESS,      0x640a) \
	/* B.4.3 natural-width guest-state fields */ \
	F(GUEST_CR0,                 0x6800) \
	F(GUEST_CR3,                 0x6802) \
	F(GUEST_CR4,                 0x6804) \
	F(GUEST_ES_BASE,             0x6806) \
	F(GUEST_CS_BASE,             0x6808) \
	F(GUEST_SS_BASE,             0x680a) \
	F(GUEST_DS_BASE,             0x680c) \
	F(GUEST_FS_BASE,             0x680e) \
	F(GUEST_GS_BASE,             0x6810) \
	F(GUEST_LDTR_BASE,           0x6812) \
	F(GUEST_TR_BASE,             0x6814) \
	F(GUEST_GDTR_BASE,           0x6816) \
	F(GUEST_IDTR_BASE,           0x6818) \
	F(GUEST_DR7,                 0x681a) \
	F(GUEST_RSP,                 0x681c) \
	F(GUEST_RIP,                 0x681e) \
	F(GUEST_RFLAGS,              0x6820) \
	F(GUEST_PENDING_DBG,         0x6822) \
	F(GUEST_IA32_SYSENTER_ESP,   0x6824) \
	F(GUEST_IA32_SYSENTER_EIP,   0x6826) \
	/* B.4.4 natural-width host-state fields */ \
	F(HOST_CR0,                  0x6c00) \
	F(HOST_CR3,                  0x6c02) \
	F(HOST_CR4,                  0x6c04) \
	F(HOST_FS_BASE,              0x6c06) \
	F(HOST_GS_BASE,              0x6c08) \
	F(HOST_TR_BASE,              0x6c0a) \
	F(HOST_GDTR_BASE,            0x6c0c) \
	F(HOST_IDTR_BASE,            0x6c0e) \
	F(HOST_IA32_SYSENTER_ESP,    0x6c10) \
	F(HOST_IA32_SYSENTER_EIP,    0x6c12) \
	F(HOST_RSP,                  0x6c14) \
	F(HOST_RIP,                  0x6c16)

enum vmcs_field {
#define VMCS_ENUM(name, enc) VMCS_##name = enc,
	VMCS_FIELDS(VMCS_ENUM)
#undef VMCS_ENUM
};

#define VMCS_WIDTH_16  0
#define VMCS_WIDTH_64  1
#define VMCS_WIDTH_32  2
#define VMCS_WIDTH_NAT 3
#define VMCS_FIELD_WIDTH(enc) (((enc) >> 13) & 3)
#define VMCS_FIELD_TYPE(enc)  (((enc) >> 10) & 3)
#define VMCS_TYPE_GUEST 2

#endif
