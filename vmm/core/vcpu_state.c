/*
 * A vCPU's architectural state: the boot state loaders ask for, and what
 * INIT and SIPI do (Intel SDM Vol 3 10.1 and Table 10-1, "IA-32 and
 * Intel 64 processor states following power-up, reset, or INIT"; 9.4
 * "Multiple-processor (MP) initialization"; chapters 9 and 10 are 8 and 9
 * in editions before 2023). INIT puts a vCPU in VCPU_WAIT_SIPI, where only
 * a SIPI starts it: in real mode at CS:IP = vector << 8 : 0. The registers
 * are loaded on the CPU that runs the vCPU next, just before its entry
 * (vmm/core/intr.c), since only there is its VMCS current.
 *
 * What INIT would also reset but a starting AP cannot observe is kept:
 * CR2, DR0-DR3 and DR6 (switched with the vCPU, vmm/core/vcpu_run.c), and the
 * x87/SSE state and the SYSCALL MSRs, which INIT leaves as they are anyway.
 */
#include "arch/cpu.h"
#include "arch/hw.h"
#include "arch/vmx.h"
#include "vmm/core/vcpu_setup.h"
#include "vmm/core/intr.h"
#include "vmm/core/vm.h"
#include "lib/log.h"
#include "lib/string.h"

/* CR0 after INIT: CD, NW and ET set (Table 10-1), 0x60000010. */
#define CR0_AFTER_INIT		(CR0_CD | CR0_NW | CR0_ET)
#define IDTR_LIMIT_AFTER_INIT	0xffff

/* A vCPU that starts afresh has no event left to inject and no window to
 * wait for (SDM Vol 3 25.8.3, 26.7.5, 26.7.6). */
static void vcpu_drop_events(struct vcpu *v)
{
	vmcs_write32(ENTRY_INTR_INFO, 0);
	v->proc_controls &= ~(PROC_INTR_WINDOW_EXITING | PROC_NMI_WINDOW_EXITING);
	vmcs_write32(PROC_BASED_CONTROLS, v->proc_controls);
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

/* Load s into v's VMCS, which must be current; nothing injected from
 * before survives. */
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
	vcpu_drop_events(v);
	return 0;
}

/*
 * The state a SIPI starts an AP in: what INIT leaves (Table 10-1: real
 * mode, segments at 0 with limit 0xffff, CR0 0x60000010, EFER 0, RFLAGS 2,
 * DR7 0x400, IDTR limit 0xffff, EDX the processor signature) with CS
 * selector vector << 8 and base vector << 12, IP 0 (9.4.4.1 and the
 * STARTUP IPI in 11.6.1).
 */
void vcpu_sipi_state(struct vcpu_boot_state *s, u8 vector)
{
	struct cpuid_regs id;

	vcpu_boot_state_init(s, GUEST_REAL, 0, 0);
	s->cr0 = CR0_AFTER_INIT;
	s->idtr_limit = IDTR_LIMIT_AFTER_INIT;
	s->seg[SEG_CS].sel = (u16)(vector << 8);
	s->seg[SEG_CS].base = (u64)vector << 12;
	cpuid(1, 0, &id);
	s->gpr[RDX] = id.eax;	/* family, model, stepping: CPUID.1:EAX */
}

int vcpu_sipi_start(struct vcpu *v)
{
	struct vcpu_boot_state s;

	vcpu_sipi_state(&s, v->sipi_vector);
	v->sipi_pending = false;
	return vcpu_set_boot_state(v, &s);
}

/*
 * INIT (11.6.1, 11.4.7.3): the local APIC resets but for its ID and mode, the
 * processor waits for a SIPI; an NMI or SIPI not yet taken is lost. A PC
 * sends INIT to the BSP only to reset the machine, which Keel cannot do
 * for a guest: the BSP waits for a SIPI like an AP, and the first time it
 * happens it is logged (only once: a guest must not flood the host log).
 */
void vcpu_signal_init(struct vcpu *v)
{
	struct vm *vm = v->vm;

	if (v->state == VCPU_STOPPED)
		return;
	if (v->id == 0 && !vm->bsp_init_logged) {
		vm->bsp_init_logged = true;
		log_info("vm %s: INIT to the bootstrap vCPU: it waits for a SIPI", vm->name);
	}
	vlapic_reset_init(&v->lapic);
	v->nmi_pending = false;
	v->sipi_pending = false;
	v->state = VCPU_WAIT_SIPI;
	vcpu_kick(v);		/* if it runs, it leaves the guest */
}

/* A SIPI starts a vCPU that waits for one, and only that: a SIPI to a
 * running processor is ignored (9.4.4.1). */
void vcpu_signal_sipi(struct vcpu *v, u8 vector)
{
	if (v->state != VCPU_WAIT_SIPI)
		return;
	v->sipi_vector = vector;
	v->sipi_pending = true;
	v->irq_check = true;	/* vcpu_deliver_interrupts() loads the state */
	v->state = VCPU_RUNNABLE;
	vcpu_kick(v);
}

/* An NMI wakes a halted vCPU, parked (HLT with IF = 0) or not (Vol 2,
 * HLT). One waiting for a SIPI takes nothing but the SIPI, which starts it
 * from scratch: the NMI is dropped. */
void vcpu_signal_nmi(struct vcpu *v)
{
	if (v->state == VCPU_STOPPED || v->state == VCPU_WAIT_SIPI)
		return;
	v->nmi_pending = true;
	if (v->state == VCPU_HALTED || v->state == VCPU_PARKED)
		v->state = VCPU_RUNNABLE;
	vcpu_kick(v);
}
