/*
 * Host tests for multi-vCPU guests: IPIs between the local APICs of a real
 * vm_create() VM with four vCPUs (vmm/machine/platform.c: destinations, shorthands,
 * delivery modes, lowest priority), INIT and SIPI (vmm/core/vcpu_state.c, SDM
 * Vol 3 9.4 and Table 10-1), NMI injection (vmm/core/intr.c, SDM Vol 3 27.6,
 * 26.7.6) and HLT with interrupts off (vmm/exit/exit.c). Each vCPU writes its
 * own APIC page (this_cpu()->current_vcpu says whose it is), as the guest's
 * MOV to 0xfee00300 would; "entering" a vCPU is Keel's pre-entry work on
 * the one fake VMCS.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "vmm/exit/exit.h"
#include "vmm/core/intr.h"
#include "vmm/core/vm.h"
#include "vmm/machine/platform.h"
#include "vmm/core/vcpu_setup.h"
#include "lib/log.h"
#include "arch/vmx.h"
#include "arch/cpu.h"
#include "arch/msr.h"
#include "fake_hw.h"
#include "fake_mm.h"
#include "fake_kernel.h"

/* As the VMM makes these calls: with the VM's lock held (the lock checks
 * of include/lib/spinlock.h hold the tests to it). */
#define LOCKED(call) do { spin_lock(&vm->lock); call; spin_unlock(&vm->lock); } while (0)

extern struct percpu fake_percpu;	/* tests/unit/fake_kernel.c */

#define VMCS(f)		fake_vmcs[VMCS_##f]
#define NCPUS		4
#define START_RIP	0x1000
#define SIGNATURE	0x000906eau	/* the fake host's CPUID.1:EAX */
#define SIPI_VEC	0x9a		/* trampoline at 0x9a000 */

/* Local APIC registers (SDM Vol 3 Table 11-1) and their bits. */
#define APIC_ID		0x020
#define APIC_TPR	0x080
#define APIC_LDR	0x0d0
#define APIC_DFR	0x0e0
#define APIC_SVR	0x0f0
#define APIC_IRR	0x200
#define APIC_ESR	0x280
#define APIC_ICR_LO	0x300
#define APIC_ICR_HI	0x310
#define SVR_ENABLE	BIT(8)
#define DFR_CLUSTER	0x0fffffffu
#define ESR_SEND_ILLEGAL BIT(5)
#define APIC_BASE_BSP	BIT(8)
#define APIC_BASE_EXTD	BIT(10)
#define APIC_BASE_EN	BIT(11)
#define MSR_X2APIC_ICR	0x830

/* ICR low word (SDM Vol 3 Figure 11-12). */
#define DM_FIXED	(0u << 8)
#define DM_LOWEST	(1u << 8)
#define DM_SMI		(2u << 8)
#define DM_RESERVED	(3u << 8)
#define DM_NMI		(4u << 8)
#define DM_INIT		(5u << 8)
#define DM_STARTUP	(6u << 8)
#define DM_EXTINT	(7u << 8)
#define ICR_LOGICAL	BIT(11)
#define ICR_ASSERT	BIT(14)
#define ICR_LEVEL	BIT(15)
#define SH_SELF		(1u << 18)
#define SH_ALL		(2u << 18)
#define SH_OTHERS	(3u << 18)
#define INIT_ASSERT	(DM_INIT | ICR_ASSERT | ICR_LEVEL)
#define INIT_DEASSERT	(DM_INIT | ICR_LEVEL)

#define NMI_INFO	(INTR_INFO_VALID | INTR_TYPE_NMI | 2)

/* IO-APIC (82093AA section 3). */
#define IOREGSEL	0x00
#define IOWIN		0x10
#define IOREDTBL(pin)	(0x10 + 2 * (pin))
#define REDIR_LOGICAL	BIT(11)

static struct vm *vm;
static struct vcpu *cpu[NCPUS];

static void host_cpuid(u32 leaf, u32 subleaf, struct cpuid_regs *r)
{
	*r = (struct cpuid_regs){ 0 };
	if (leaf == 1)
		r->eax = SIGNATURE;
}

static int setup(void **state)
{
	fake_mm_reset(16 * MiB);
	memset(fake_vmcs, 0, sizeof(fake_vmcs));
	fake_console_reset();
	fake_cpuid_fn = host_cpuid;
	log_threshold = LOG_INFO;
	vmx_caps = (struct vmx_caps){
		.cr0_fixed0 = CR0_PG | CR0_NE | CR0_PE, .cr0_fixed1 = 0xffffffffu,
		.cr4_fixed0 = CR4_VMXE, .cr4_fixed1 = 0x3767ff,
	};
	vm = vm_create("t", 2 * MiB, NCPUS);
	assert_non_null(vm);
	vm->state = VM_RUNNING;
	for (unsigned i = 0; i < NCPUS; i++)
		cpu[i] = vm->vcpus[i];
	fake_percpu.current_vcpu = cpu[0];
	VMCS(GUEST_RFLAGS) = 0x202;
	VMCS(GUEST_RIP) = START_RIP;
	return 0;
}

static int teardown(void **state)
{
	fake_percpu.current_vcpu = NULL;
	vm_destroy(vm);
	assert_int_equal(fake_pages_allocated, 0);
	assert_int_equal(fake_vcpus_live, 0);
	fake_mem_free();
	return 0;
}

/* --- the guests' side: each vCPU's own APIC page -------------------------- */

/* An x2APIC MSR write, an IO-APIC register write: under the VM's lock, as
 * the exits make them. */
static int msr_write_locked(struct vlapic *l, u32 msr, u64 val)
{
	int err;

	LOCKED(err = vlapic_msr_write(l, msr, val));
	return err;
}

static int bus_write_locked(u64 gpa, unsigned size, u64 val)
{
	int err;

	LOCKED(err = vm_bus_write(vm, &vm->mmio, gpa, size, val));
	return err;
}

static void lapic_write(unsigned i, u32 off, u32 val)
{
	int err;

	fake_percpu.current_vcpu = cpu[i];
	LOCKED(err = vm_bus_write(vm, &vm->mmio, VLAPIC_BASE + off, 4, val));
	assert_int_equal(err, 0);
}

static u32 lapic_read(unsigned i, u32 off)
{
	u64 val = 0;
	int err;

	fake_percpu.current_vcpu = cpu[i];
	LOCKED(err = vm_bus_read(vm, &vm->mmio, VLAPIC_BASE + off, 4, &val));
	assert_int_equal(err, 0);
	return (u32)val;
}

/* vCPU `from` sends an IPI: the high word (destination) first, then the
 * low word, whose write sends (SDM Vol 3 11.6.1). */
static void ipi(unsigned from, u8 dest, u32 lo)
{
	lapic_write(from, APIC_ICR_HI, (u32)dest << 24);
	lapic_write(from, APIC_ICR_LO, lo);
}

/* Bit vec of vCPU i's IRR, from the model's state: in x2APIC mode the
 * APIC page reads nothing. */
static bool irr(unsigned i, u8 vec)
{
	return cpu[i]->lapic.state.irr[vec / 32] & (1u << (vec % 32));
}

/* Which vCPUs hold vec in IRR, as a bit set. */
static unsigned irr_set(u8 vec)
{
	unsigned set = 0;

	for (unsigned i = 0; i < NCPUS; i++)
		set |= irr(i, vec) ? 1u << i : 0;
	return set;
}

/* Take vec out of every IRR (as if each vCPU took and retired it). */
static void irr_clear(u8 vec)
{
	for (unsigned i = 0; i < NCPUS; i++)
		if (vlapic_pending(&cpu[i]->lapic) == vec) {
			vlapic_ack(&cpu[i]->lapic, vec);
			lapic_write(i, 0x0b0, 0);	/* EOI */
		}
}

static void apic_enable(unsigned i)
{
	lapic_write(i, APIC_SVR, SVR_ENABLE | 0xff);
}

/* Keel's work before vCPU i's next entry, on the fake VMCS. */
static void enter(unsigned i)
{
	fake_percpu.current_vcpu = cpu[i];
	LOCKED(vcpu_deliver_interrupts(cpu[i]));
}

/* What Linux does for each AP: INIT assert, INIT de-assert, SIPI, SIPI;
 * then the AP starts and enables its APIC. */
static void boot_ap(unsigned i)
{
	ipi(0, (u8)i, INIT_ASSERT);
	ipi(0, (u8)i, INIT_DEASSERT);
	ipi(0, (u8)i, DM_STARTUP | SIPI_VEC);
	ipi(0, (u8)i, DM_STARTUP | SIPI_VEC);
	assert_int_equal(cpu[i]->state, VCPU_RUNNABLE);
	enter(i);
	apic_enable(i);
}

static void boot_all(void)
{
	apic_enable(0);
	for (unsigned i = 1; i < NCPUS; i++)
		boot_ap(i);
	fake_percpu.current_vcpu = cpu[0];
}

/* An exit of vCPU i, handled (the fake VMCS plays its VMCS). */
static void vm_exit(unsigned i, u32 reason, u32 insn_len)
{
	fake_percpu.current_vcpu = cpu[i];
	VMCS(EXIT_REASON) = reason;
	VMCS(EXIT_QUALIFICATION) = 0;
	VMCS(EXIT_INSTRUCTION_LEN) = insn_len;
	VMCS(IDT_VECTORING_INFO) = 0;
	vcpu_handle_exit(cpu[i]);
}

/* --- creation -------------------------------------------------------------- */

/* vCPU i has APIC ID i; only vCPU 0 is the BSP and runs; the APs wait for
 * a SIPI. The VM's size is checked. */
static void test_create(void **state)
{
	for (unsigned i = 0; i < NCPUS; i++) {
		assert_int_equal(cpu[i]->id, i);
		assert_int_equal(lapic_read(i, APIC_ID), i << 24);
		assert_int_equal(!!(vlapic_apic_base_read(&cpu[i]->lapic) & APIC_BASE_BSP), i == 0);
		assert_true(vlapic_apic_base_read(&cpu[i]->lapic) & APIC_BASE_EN);
		assert_int_equal(cpu[i]->state, i == 0 ? VCPU_RUNNABLE : VCPU_WAIT_SIPI);
		assert_false(cpu[i]->sipi_pending);
	}
	assert_int_equal(vm->nvcpus, NCPUS);
	assert_null(vm_create("zero", 64 * KiB, 0));
	assert_null(vm_create("many", 64 * KiB, VM_MAX_VCPUS + 1));
	struct vm *big = vm_create("big", 64 * KiB, VM_MAX_VCPUS);
	assert_non_null(big);
	assert_int_equal(big->vcpus[VM_MAX_VCPUS - 1]->lapic.state.id, VM_MAX_VCPUS - 1);
	vm_destroy(big);
}

/* --- INIT and SIPI --------------------------------------------------------- */

/* INIT, SIPI, SIPI to vCPU 1 only: it starts in real mode at 0x9a00:0000
 * with the state INIT leaves (SDM Vol 3 Table 10-1); the second SIPI finds
 * it running and is ignored; the other APs still wait. */
static void test_init_sipi_starts_ap(void **state)
{
	apic_enable(0);
	ipi(0, 1, INIT_ASSERT);
	assert_int_equal(cpu[1]->state, VCPU_WAIT_SIPI);
	ipi(0, 1, INIT_DEASSERT);
	ipi(0, 1, DM_STARTUP | SIPI_VEC);
	assert_int_equal(cpu[1]->state, VCPU_RUNNABLE);
	assert_true(cpu[1]->sipi_pending);
	assert_true(cpu[1]->irq_check);
	ipi(0, 1, DM_STARTUP | 0x55);
	assert_int_equal(cpu[1]->sipi_vector, SIPI_VEC);
	for (unsigned i = 2; i < NCPUS; i++)
		assert_int_equal(cpu[i]->state, VCPU_WAIT_SIPI);
	assert_int_equal(cpu[0]->state, VCPU_RUNNABLE);

	memset(fake_vmcs, 0xa5, sizeof(fake_vmcs));	/* what an earlier life left */
	memset(cpu[1]->regs.gpr, 0xa5, sizeof(cpu[1]->regs.gpr));
	enter(1);
	assert_false(cpu[1]->sipi_pending);
	assert_int_equal(VMCS(GUEST_CS_SELECTOR), SIPI_VEC << 8);
	assert_int_equal(VMCS(GUEST_CS_BASE), SIPI_VEC << 12);
	assert_int_equal(VMCS(GUEST_CS_LIMIT), 0xffff);
	assert_int_equal(VMCS(GUEST_CS_AR), 0x9b);
	assert_int_equal(VMCS(GUEST_RIP), 0);
	assert_int_equal(VMCS(GUEST_RSP), 0);
	assert_int_equal(VMCS(GUEST_RFLAGS), 2);
	assert_int_equal(VMCS(CR0_READ_SHADOW), 0x60000010);
	assert_int_equal(VMCS(GUEST_CR0) & (CR0_PE | CR0_PG), 0);
	assert_int_equal(VMCS(CR4_READ_SHADOW), 0);
	assert_int_equal(VMCS(GUEST_IA32_EFER), 0);
	assert_false(cpu[1]->entry_controls & ENTRY_IA32E_MODE_GUEST);
	assert_int_equal(VMCS(GUEST_DR7), 0x400);
	assert_int_equal(VMCS(GUEST_IDTR_BASE), 0);
	assert_int_equal(VMCS(GUEST_IDTR_LIMIT), 0xffff);
	assert_int_equal(VMCS(GUEST_GDTR_LIMIT), 0xffff);
	assert_int_equal(VMCS(GUEST_INTERRUPTIBILITY), 0);
	assert_int_equal(VMCS(GUEST_ACTIVITY_STATE), 0);
	assert_int_equal(VMCS(ENTRY_INTR_INFO), 0);	/* nothing left to inject */
	assert_int_equal(cpu[1]->proc_controls & (PROC_INTR_WINDOW_EXITING | PROC_NMI_WINDOW_EXITING), 0);
	for (unsigned s = 0; s < 6; s++) {		/* ES, CS, SS, DS, FS, GS */
		assert_int_equal(fake_vmcs[VMCS_GUEST_ES_LIMIT + 2 * s], 0xffff);
		if (s != 1) {
			assert_int_equal(fake_vmcs[VMCS_GUEST_ES_SELECTOR + 2 * s], 0);
			assert_int_equal(fake_vmcs[VMCS_GUEST_ES_BASE + 2 * s], 0);
			assert_int_equal(fake_vmcs[VMCS_GUEST_ES_AR + 2 * s], 0x93);
		}
	}
	for (unsigned r = 0; r < 16; r++)
		assert_int_equal(cpu[1]->regs.gpr[r], r == RDX ? SIGNATURE : 0);
	/* Its APIC came out of INIT software-disabled, ID kept, not the BSP. */
	assert_int_equal(lapic_read(1, APIC_SVR), 0xff);
	assert_int_equal(lapic_read(1, APIC_ID), 1u << 24);
	assert_false(vlapic_apic_base_read(&cpu[1]->lapic) & APIC_BASE_BSP);
}

/* A SIPI is for a vCPU waiting for one: to the running BSP, to an AP
 * never sent INIT after it started, it does nothing (9.4.4.1). */
static void test_sipi_without_init_ignored(void **state)
{
	apic_enable(0);
	ipi(0, 0, DM_STARTUP | SIPI_VEC);		/* to itself, running */
	assert_int_equal(cpu[0]->state, VCPU_RUNNABLE);
	assert_false(cpu[0]->sipi_pending);
	boot_ap(2);
	cpu[2]->regs.gpr[RAX] = 0x1234;
	ipi(0, 2, DM_STARTUP | 0x10);
	assert_false(cpu[2]->sipi_pending);
	enter(2);
	assert_int_equal(cpu[2]->regs.gpr[RAX], 0x1234);	/* not restarted */
	/* A halted or parked AP is no waiting AP either. */
	cpu[2]->state = VCPU_HALTED;
	ipi(0, 2, DM_STARTUP | 0x10);
	assert_int_equal(cpu[2]->state, VCPU_HALTED);
	cpu[2]->state = VCPU_PARKED;
	ipi(0, 2, DM_STARTUP | 0x10);
	assert_int_equal(cpu[2]->state, VCPU_PARKED);
	assert_false(cpu[2]->sipi_pending);
}

/* INIT to a running AP: its APIC resets (ID kept), an NMI and a SIPI it
 * had not taken are lost, it waits; a halted or parked AP too. Its next
 * start drops what the old life had pending in the VMCS. */
static void test_init_resets_running_ap(void **state)
{
	boot_all();
	lapic_write(3, APIC_TPR, 0x40);
	ipi(0, 3, DM_FIXED | 0x50);
	assert_true(irr(3, 0x50));
	ipi(0, 3, DM_NMI);
	assert_true(cpu[3]->nmi_pending);

	ipi(0, 3, INIT_ASSERT);
	assert_int_equal(cpu[3]->state, VCPU_WAIT_SIPI);
	assert_false(cpu[3]->nmi_pending);
	assert_false(irr(3, 0x50));
	assert_int_equal(lapic_read(3, APIC_TPR), 0);
	assert_int_equal(lapic_read(3, APIC_SVR), 0xff);
	assert_int_equal(lapic_read(3, APIC_ID), 3u << 24);
	/* Now deaf to Fixed interrupts and NMIs (software-disabled, waiting). */
	ipi(0, 3, DM_FIXED | 0x51);
	ipi(0, 3, DM_NMI);
	assert_false(irr(3, 0x51));
	assert_false(cpu[3]->nmi_pending);

	VMCS(ENTRY_INTR_INFO) = INTR_INFO_VALID | 0x30;
	VMCS(GUEST_IA32_EFER) = EFER_LME | EFER_LMA;
	VMCS(GUEST_INTERRUPTIBILITY) = INTERRUPTIBILITY_STI | INTERRUPTIBILITY_NMI;
	cpu[3]->entry_controls |= ENTRY_IA32E_MODE_GUEST;
	cpu[3]->proc_controls |= PROC_INTR_WINDOW_EXITING;
	ipi(0, 3, DM_STARTUP | 0x08);
	enter(3);
	assert_int_equal(VMCS(ENTRY_INTR_INFO), 0);
	assert_int_equal(VMCS(GUEST_IA32_EFER), 0);
	assert_int_equal(VMCS(GUEST_INTERRUPTIBILITY), 0);
	assert_false(cpu[3]->entry_controls & ENTRY_IA32E_MODE_GUEST);
	assert_false(cpu[3]->proc_controls & PROC_INTR_WINDOW_EXITING);
	assert_int_equal(VMCS(PROC_BASED_CONTROLS), cpu[3]->proc_controls);
	assert_int_equal(VMCS(GUEST_CS_SELECTOR), 0x0800);

	cpu[3]->state = VCPU_PARKED;
	ipi(0, 3, INIT_ASSERT);
	assert_int_equal(cpu[3]->state, VCPU_WAIT_SIPI);
}

/* INIT to the BSP (Linux never sends it): it waits for a SIPI like an AP;
 * logged, once. A stopped vCPU stays stopped. */
static void test_init_to_bsp(void **state)
{
	boot_all();
	ipi(1, 0, INIT_ASSERT);
	assert_int_equal(cpu[0]->state, VCPU_WAIT_SIPI);
	assert_int_equal(fake_console_count("INIT to the bootstrap vCPU"), 1);
	ipi(1, 0, DM_STARTUP | 0x20);
	enter(0);
	assert_int_equal(VMCS(GUEST_CS_SELECTOR), 0x2000);
	assert_true(vlapic_apic_base_read(&cpu[0]->lapic) & APIC_BASE_BSP);	/* still the BSP */
	ipi(1, 0, INIT_ASSERT);
	assert_int_equal(fake_console_count("INIT to the bootstrap vCPU"), 1);

	cpu[2]->state = VCPU_STOPPED;
	ipi(1, 2, INIT_ASSERT);
	ipi(1, 2, DM_STARTUP | 0x20);
	assert_int_equal(cpu[2]->state, VCPU_STOPPED);
}

/* The shorthand "all excluding self", as the smp test guest and Linux's
 * early boot use it: every AP starts, the sender is untouched; "all
 * including self" would send the BSP to wait too. */
static void test_init_sipi_shorthand(void **state)
{
	apic_enable(0);
	lapic_write(0, APIC_ICR_LO, INIT_ASSERT | SH_OTHERS);
	lapic_write(0, APIC_ICR_LO, DM_STARTUP | SH_OTHERS | SIPI_VEC);
	assert_int_equal(cpu[0]->state, VCPU_RUNNABLE);
	assert_false(cpu[0]->sipi_pending);
	for (unsigned i = 1; i < NCPUS; i++) {
		assert_int_equal(cpu[i]->state, VCPU_RUNNABLE);
		assert_int_equal(cpu[i]->sipi_vector, SIPI_VEC);
	}
	lapic_write(1, APIC_ICR_LO, INIT_ASSERT | SH_ALL);
	for (unsigned i = 0; i < NCPUS; i++)
		assert_int_equal(cpu[i]->state, VCPU_WAIT_SIPI);
}

/* --- Fixed IPIs: destinations and shorthands --------------------------- */

/* Physical destination: the APIC ID; 0xff is the broadcast (every APIC,
 * the sender included); an ID no vCPU has reaches no one. A halted target
 * wakes. */
static void test_fixed_physical(void **state)
{
	boot_all();
	cpu[2]->state = VCPU_HALTED;
	cpu[2]->irq_check = false;
	ipi(0, 2, DM_FIXED | 0x40);
	assert_int_equal(irr_set(0x40), 1u << 2);
	assert_int_equal(cpu[2]->state, VCPU_RUNNABLE);
	assert_true(cpu[2]->irq_check);
	ipi(3, 0xff, DM_FIXED | 0x41);
	assert_int_equal(irr_set(0x41), 0xf);
	ipi(0, 7, DM_FIXED | 0x42);
	ipi(0, 0xfe, DM_FIXED | 0x42);
	assert_int_equal(irr_set(0x42), 0);
	ipi(1, 1, DM_FIXED | 0x43);			/* itself, by ID */
	assert_int_equal(irr_set(0x43), 1u << 1);
}

/* Logical destinations (11.6.2.2): flat model ANDs the 8-bit MDA with each
 * LDR; cluster model matches the cluster nibble and ANDs the members. */
static void test_fixed_logical(void **state)
{
	boot_all();
	for (unsigned i = 0; i < NCPUS; i++)
		lapic_write(i, APIC_LDR, 1u << (24 + i));	/* Linux's flat: bit per CPU */
	ipi(0, 0x06, ICR_LOGICAL | DM_FIXED | 0x50);
	assert_int_equal(irr_set(0x50), 0x6);
	ipi(3, 0x0f, ICR_LOGICAL | DM_FIXED | 0x51);
	assert_int_equal(irr_set(0x51), 0xf);
	ipi(3, 0x00, ICR_LOGICAL | DM_FIXED | 0x52);
	assert_int_equal(irr_set(0x52), 0);

	/* Cluster model: vCPUs 0-1 in cluster 1, 2-3 in cluster 2. */
	for (unsigned i = 0; i < NCPUS; i++) {
		lapic_write(i, APIC_DFR, DFR_CLUSTER);
		lapic_write(i, APIC_LDR, ((1u + i / 2) << 28) | (1u << (24 + i % 2)));
	}
	ipi(0, 0x23, ICR_LOGICAL | DM_FIXED | 0x53);	/* cluster 2, members 0 and 1 */
	assert_int_equal(irr_set(0x53), 0xc);
	ipi(0, 0x12, ICR_LOGICAL | DM_FIXED | 0x54);	/* cluster 1, member 1 */
	assert_int_equal(irr_set(0x54), 0x2);
	ipi(3, 0xf1, ICR_LOGICAL | DM_FIXED | 0x55);	/* every cluster, member 0 */
	assert_int_equal(irr_set(0x55), 0x5);
}

/* x2APIC (11.12): the ICR is one MSR with a 32-bit destination; logical
 * IDs are derived from the APIC ID (cluster ID[19:4], one member bit). */
static void test_fixed_x2apic(void **state)
{
	boot_all();
	for (unsigned i = 0; i < NCPUS; i++)
		assert_int_equal(vlapic_apic_base_write(&cpu[i]->lapic,
							VLAPIC_BASE | APIC_BASE_EN | APIC_BASE_EXTD), 0);
	assert_int_equal(msr_write_locked(&cpu[0]->lapic, MSR_X2APIC_ICR, (3ull << 32) | 0x60), 0);
	assert_int_equal(irr_set(0x60), 0x8);
	/* logical: cluster 0, members 1 and 3 */
	assert_int_equal(msr_write_locked(&cpu[0]->lapic, MSR_X2APIC_ICR,
					  (0xaull << 32) | ICR_LOGICAL | 0x61), 0);
	assert_int_equal(irr_set(0x61), 0xa);
	assert_int_equal(msr_write_locked(&cpu[2]->lapic, MSR_X2APIC_ICR,
					  (0xffffffffull << 32) | 0x62), 0);
	assert_int_equal(irr_set(0x62), 0xf);
	/* 0xff is an ordinary ID in x2APIC mode: no one has it. */
	assert_int_equal(msr_write_locked(&cpu[2]->lapic, MSR_X2APIC_ICR, (0xffull << 32) | 0x63), 0);
	assert_int_equal(msr_write_locked(&cpu[2]->lapic, MSR_X2APIC_ICR,
					  (0x10000ull << 32) | ICR_LOGICAL | 0x63), 0);
	assert_int_equal(irr_set(0x63), 0);
	/* INIT and SIPI by the ICR MSR. */
	assert_int_equal(msr_write_locked(&cpu[0]->lapic, MSR_X2APIC_ICR, (1ull << 32) | INIT_ASSERT), 0);
	assert_int_equal(cpu[1]->state, VCPU_WAIT_SIPI);
	assert_int_equal(msr_write_locked(&cpu[0]->lapic, MSR_X2APIC_ICR,
					  (1ull << 32) | DM_STARTUP | 0x31), 0);
	assert_int_equal(cpu[1]->state, VCPU_RUNNABLE);
	assert_int_equal(cpu[1]->sipi_vector, 0x31);
}

/* Shorthands (11.6.1): self, all including self, all excluding self; the
 * destination field is ignored. */
static void test_fixed_shorthands(void **state)
{
	boot_all();
	ipi(1, 3, SH_SELF | DM_FIXED | 0x70);
	assert_int_equal(irr_set(0x70), 1u << 1);
	ipi(1, 3, SH_ALL | DM_FIXED | 0x71);
	assert_int_equal(irr_set(0x71), 0xf);
	ipi(1, 3, SH_OTHERS | DM_FIXED | 0x72);
	assert_int_equal(irr_set(0x72), 0xd);
	/* A globally disabled APIC takes nothing, not even a broadcast. */
	assert_int_equal(vlapic_apic_base_write(&cpu[2]->lapic, VLAPIC_BASE), 0);
	ipi(1, 0, SH_OTHERS | DM_FIXED | 0x73);
	ipi(1, 0xff, DM_FIXED | 0x74);
	ipi(1, 0, SH_OTHERS | DM_NMI);
	assert_int_equal(irr_set(0x73), 0x9);
	assert_false(cpu[2]->nmi_pending);
	assert_true(cpu[3]->nmi_pending);
}

/* --- lowest priority ----------------------------------------------------- */

/* One vCPU of the destination takes it: the lowest TPR class; among equal
 * classes round robin, so that three messages reach three vCPUs. The
 * sender may be the one. The IO-APIC's lowest priority uses the same. */
static void test_lowest_priority(void **state)
{
	boot_all();
	for (unsigned i = 0; i < NCPUS; i++)
		lapic_write(i, APIC_LDR, 1u << (24 + i));
	lapic_write(1, APIC_TPR, 0x20);
	lapic_write(2, APIC_TPR, 0x1f);
	lapic_write(3, APIC_TPR, 0x30);
	for (unsigned n = 0; n < 3; n++) {
		ipi(0, 0x0e, ICR_LOGICAL | DM_LOWEST | 0x80);
		assert_int_equal(irr_set(0x80), 1u << 2);
		irr_clear(0x80);
	}

	for (unsigned i = 0; i < NCPUS; i++)
		lapic_write(i, APIC_TPR, 0);
	unsigned seen = 0;
	for (unsigned n = 0; n < 3; n++) {
		ipi(1, 0x0b, ICR_LOGICAL | DM_LOWEST | 0x81);	/* vCPUs 0, 1, 3 */
		unsigned got = irr_set(0x81);
		assert_int_equal(__builtin_popcount(got), 1);
		assert_int_equal(got & ~0xbu, 0);
		seen |= got;
		irr_clear(0x81);
	}
	assert_int_equal(seen, 0xb);

	/* From the IO-APIC: pin 5, lowest priority, logical to vCPUs 1 and 2. */
	lapic_write(1, APIC_TPR, 0x50);
	assert_int_equal(bus_write_locked(PC_IOAPIC_BASE + IOREGSEL, 4, IOREDTBL(5) + 1), 0);
	assert_int_equal(bus_write_locked(PC_IOAPIC_BASE + IOWIN, 4, 0x06u << 24), 0);
	assert_int_equal(bus_write_locked(PC_IOAPIC_BASE + IOREGSEL, 4, IOREDTBL(5)), 0);
	assert_int_equal(bus_write_locked(PC_IOAPIC_BASE + IOWIN, 4,
				      REDIR_LOGICAL | DM_LOWEST | 0x82), 0);
	LOCKED(vm_isa_irq_set(vm, 5, true));
	assert_int_equal(irr_set(0x82), 1u << 2);
	LOCKED(vm_isa_irq_set(vm, 5, false));
}

/* --- NMI ----------------------------------------------------------------- */

/* An NMI IPI is injected before the vCPU's next entry, ahead of a pending
 * interrupt; an NMI to the sender itself counts too. */
static void test_nmi(void **state)
{
	boot_all();
	ipi(0, 1, DM_FIXED | 0x90);
	ipi(0, 1, DM_NMI);
	assert_true(cpu[1]->nmi_pending);
	VMCS(GUEST_INTERRUPTIBILITY) = 0;
	VMCS(ENTRY_INTR_INFO) = 0;
	VMCS(GUEST_RFLAGS) = 0x202;
	enter(1);
	assert_int_equal(VMCS(ENTRY_INTR_INFO), NMI_INFO);
	assert_false(cpu[1]->nmi_pending);
	/* The interrupt waits for the window after the NMI. */
	assert_true(cpu[1]->proc_controls & PROC_INTR_WINDOW_EXITING);
	assert_true(irr(1, 0x90));

	ipi(2, 2, DM_NMI);
	assert_true(cpu[2]->nmi_pending);
	assert_false(cpu[0]->nmi_pending || cpu[1]->nmi_pending || cpu[3]->nmi_pending);
}

/* While NMIs are blocked (the guest's handler runs until IRET), or in an
 * STI or MOV SS shadow, the NMI waits: with virtual NMIs, NMI-window
 * exiting says when it can go (26.7.6); without, each entry looks again. */
static void test_nmi_blocked(void **state)
{
	static const u32 blockers[] = { INTERRUPTIBILITY_NMI, INTERRUPTIBILITY_STI,
					INTERRUPTIBILITY_MOV_SS };

	boot_all();
	vmx_caps.pin = PIN_VIRTUAL_NMIS;
	for (unsigned b = 0; b < ARRAY_SIZE(blockers); b++) {
		VMCS(ENTRY_INTR_INFO) = 0;
		VMCS(GUEST_INTERRUPTIBILITY) = blockers[b];
		ipi(0, 3, DM_NMI);
		enter(3);
		assert_int_equal(VMCS(ENTRY_INTR_INFO), 0);
		assert_true(cpu[3]->nmi_pending);
		assert_true(cpu[3]->proc_controls & PROC_NMI_WINDOW_EXITING);
		assert_int_equal(VMCS(PROC_BASED_CONTROLS), cpu[3]->proc_controls);

		VMCS(GUEST_INTERRUPTIBILITY) = 0;
		cpu[3]->irq_check = false;
		vm_exit(3, EXIT_NMI_WINDOW, 0);
		assert_true(cpu[3]->irq_check);
		enter(3);
		assert_int_equal(VMCS(ENTRY_INTR_INFO), NMI_INFO);
		assert_false(cpu[3]->nmi_pending);
		assert_false(cpu[3]->proc_controls & PROC_NMI_WINDOW_EXITING);
	}

	/* Another event on its way in first; no virtual NMIs: no window. */
	vmx_caps.pin = 0;
	VMCS(ENTRY_INTR_INFO) = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | 14;
	ipi(0, 3, DM_NMI);
	enter(3);
	assert_int_equal(VMCS(ENTRY_INTR_INFO), INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | 14);
	assert_false(cpu[3]->proc_controls & PROC_NMI_WINDOW_EXITING);
	assert_true(cpu[3]->irq_check);		/* looks again at the next entry */
	VMCS(ENTRY_INTR_INFO) = 0;
	enter(3);
	assert_int_equal(VMCS(ENTRY_INTR_INFO), NMI_INFO);
}

/* --- HLT with interrupts disabled ------------------------------------- */

/* One vCPU of several halting with IF = 0 is parked past its HLT: an
 * interrupt does not wake it, an NMI does (and resumes after the HLT); the
 * VM stops only when no vCPU is left that could send one. */
static void test_hlt_cli_parks(void **state)
{
	boot_all();
	VMCS(GUEST_RIP) = START_RIP;
	VMCS(GUEST_RFLAGS) = 0x2;
	vm_exit(0, EXIT_HLT, 1);
	assert_int_equal(cpu[0]->state, VCPU_PARKED);
	assert_int_equal(vm->state, VM_RUNNING);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 1);

	ipi(1, 0, DM_FIXED | 0xa0);			/* IF = 0: no wake-up */
	assert_int_equal(cpu[0]->state, VCPU_PARKED);
	ipi(1, 0, DM_NMI);
	assert_int_equal(cpu[0]->state, VCPU_RUNNABLE);
	assert_true(cpu[0]->nmi_pending);
	/* HLT again with the NMI not yet taken: falls through. */
	vm_exit(0, EXIT_HLT, 1);
	assert_int_equal(cpu[0]->state, VCPU_RUNNABLE);
	VMCS(GUEST_INTERRUPTIBILITY) = 0;
	VMCS(ENTRY_INTR_INFO) = 0;
	enter(0);
	assert_int_equal(VMCS(ENTRY_INTR_INFO), NMI_INFO);

	/* The APs halt with IF = 0 one by one; the last one ends the VM. */
	for (unsigned i = 0; i < NCPUS; i++) {
		VMCS(GUEST_RFLAGS) = 0x2;
		VMCS(GUEST_RIP) = START_RIP;
		vm_exit(i, EXIT_HLT, 1);
		if (i < NCPUS - 1) {
			assert_int_equal(cpu[i]->state, VCPU_PARKED);
			assert_int_equal(vm->state, VM_RUNNING);
		}
	}
	assert_int_equal(vm->state, VM_STOPPED);
	assert_string_equal(vm->stop_reason,
			    "all vCPUs halted with interrupts disabled or wait for a SIPI");
	assert_int_equal(VMCS(GUEST_RIP), START_RIP);
}

/* The BSP halting with IF = 0 before it started any AP: nobody is left to
 * wake it. A halted AP (IF = 1) still could, by its interrupts. */
static void test_hlt_cli_bsp_alone(void **state)
{
	VMCS(GUEST_RFLAGS) = 0x2;
	vm_exit(0, EXIT_HLT, 1);
	assert_int_equal(vm->state, VM_STOPPED);
	for (unsigned i = 0; i < NCPUS; i++)
		assert_int_equal(cpu[i]->state, VCPU_STOPPED);
}

static void test_hlt_cli_beside_halted(void **state)
{
	boot_all();
	cpu[1]->state = VCPU_HALTED;
	cpu[2]->state = VCPU_WAIT_SIPI;
	cpu[3]->state = VCPU_STOPPED;
	VMCS(GUEST_RFLAGS) = 0x2;
	vm_exit(0, EXIT_HLT, 1);
	assert_int_equal(cpu[0]->state, VCPU_PARKED);
	assert_int_equal(vm->state, VM_RUNNING);
}

/* --- what a hostile guest can write -------------------------------------- */

/* Fixed or lowest priority with vector 0-15 is an illegal vector: the
 * sender's ESR says "send illegal vector" and no one receives it (11.5.3),
 * broadcast or not. Reserved and SMI modes, and ExtINT (no ICR mode),
 * reach no one; nothing of it wakes or starts a vCPU. */
static void test_hostile_icr(void **state)
{
	static const u32 bad[] = {
		DM_FIXED | 0x00, DM_FIXED | 0x0f, DM_LOWEST | 0x05,
		SH_ALL | DM_FIXED | 0x02, SH_OTHERS | DM_LOWEST | 0x0e,
	};

	boot_all();
	for (unsigned i = 1; i < NCPUS; i++)
		cpu[i]->state = VCPU_HALTED;
	for (unsigned n = 0; n < ARRAY_SIZE(bad); n++) {
		lapic_write(0, APIC_ESR, 0);
		ipi(0, 0xff, bad[n]);
		lapic_write(0, APIC_ESR, 0);
		assert_int_equal(lapic_read(0, APIC_ESR), ESR_SEND_ILLEGAL);
		for (unsigned i = 0; i < NCPUS; i++) {
			assert_int_equal(lapic_read(i, APIC_IRR), 0);
			assert_int_equal(i ? cpu[i]->state : VCPU_HALTED, VCPU_HALTED);
		}
	}
	static const u32 nothing[] = {
		DM_SMI, DM_RESERVED | 0x40, DM_EXTINT | 0x40, SH_ALL | DM_EXTINT | 0x40,
		DM_RESERVED | SH_ALL | 0x40,
	};
	for (unsigned n = 0; n < ARRAY_SIZE(nothing); n++) {
		ipi(0, 0xff, nothing[n]);
		assert_int_equal(irr_set(0x40), 0);
		for (unsigned i = 1; i < NCPUS; i++) {
			assert_int_equal(cpu[i]->state, VCPU_HALTED);
			assert_false(cpu[i]->nmi_pending || cpu[i]->sipi_pending);
		}
	}
	/* A broadcast INIT and SIPI with vector 0: legal, the APs start at 0. */
	ipi(0, 0xff, INIT_ASSERT);
	for (unsigned i = 0; i < NCPUS; i++)
		assert_int_equal(cpu[i]->state, VCPU_WAIT_SIPI);
	ipi(1, 0xff, DM_STARTUP | 0x00);	/* sent from a waiting vCPU's APIC */
	enter(2);
	assert_int_equal(VMCS(GUEST_CS_SELECTOR), 0);
	assert_int_equal(VMCS(GUEST_CS_BASE), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_create),
		T(test_init_sipi_starts_ap),
		T(test_sipi_without_init_ignored),
		T(test_init_resets_running_ap),
		T(test_init_to_bsp),
		T(test_init_sipi_shorthand),
		T(test_fixed_physical),
		T(test_fixed_logical),
		T(test_fixed_x2apic),
		T(test_fixed_shorthands),
		T(test_lowest_priority),
		T(test_nmi),
		T(test_nmi_blocked),
		T(test_hlt_cli_parks),
		T(test_hlt_cli_bsp_alone),
		T(test_hlt_cli_beside_halted),
		T(test_hostile_icr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
