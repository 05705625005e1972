/*
 * The run loop (vmm/core/vcpu_run.c) over fake hardware: entries and the
 * exits a scripted vmx_run() reports, until the vCPU halts or its slice
 * ends; the state Keel switches itself (CR2, DR0-DR3/DR6, the SYSCALL
 * MSRs) kept apart when two vCPUs take turns on the CPU; a failed entry
 * stopping only that VM; a paused VM not entered at all.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "vmm/core/vm.h"
#include "vmm/core/vcpu_setup.h"
#include "arch/cpu.h"
#include "arch/msr.h"
#include "arch/vmx.h"
#include "lib/log.h"
#include "fake_hw.h"
#include "fake_mm.h"
#include "fake_kernel.h"

#define VMCS(f) fake_vmcs[VMCS_##f]
#define START_RIP 0x1000

/* --- the processor, scripted ------------------------------------------------------ */

struct step {
	u32 reason;		/* the exit it ends in */
	u32 insn_len;
	int fail;		/* or: VMLAUNCH/VMRESUME fails (1 invalid, 2 valid) */
	/* What the guest does to the state Keel switches before it exits. */
	u64 dr0, cr2, lstar;
};

static const struct step *script;
static unsigned nsteps, entries, launches;
static u64 current_vmcs;		/* what VMPTRLD made current; 0 after VMCLEAR */

int vmx_run(struct vcpu_regs *regs, bool launched)
{
	const struct step *s;

	assert_true(entries < nsteps);
	s = &script[entries++];
	launches += !launched;
	if (s->fail)
		return s->fail;
	if (s->dr0)
		fake_dr[0] = s->dr0;
	if (s->cr2)
		fake_cr2 = s->cr2;
	if (s->lstar)
		wrmsr(MSR_IA32_LSTAR, s->lstar);
	VMCS(EXIT_REASON) = s->reason;
	VMCS(EXIT_INSTRUCTION_LEN) = s->insn_len;
	return 0;
}

int vmcs_load(u64 phys)
{
	current_vmcs = phys;
	return 0;
}

int vmcs_clear(u64 phys)
{
	if (current_vmcs == phys)
		current_vmcs = 0;
	return 0;
}

void vmcs_setup_host_cpu(void) {}
const char *vmx_instruction_error_name(u32 err) { return "scripted"; }
void fpu_save(void *area, u64 xcr0) {}
void fpu_restore(const void *area, u64 xcr0) {}

/* --- the world --------------------------------------------------------------------- */

extern struct percpu fake_percpu;	/* tests/unit/fake_kernel.c */
static struct vm *vm;

static int setup(void **state)
{
	fake_mm_reset(16 * MiB);
	memset(fake_vmcs, 0, sizeof(fake_vmcs));
	fake_console_reset();
	log_threshold = LOG_INFO;
	vmx_caps = (struct vmx_caps){ .cr0_fixed1 = ~0ull, .cr4_fixed1 = ~0ull };
	vm = vm_create("run", 2 * MiB, 2);
	assert_non_null(vm);
	vm->state = VM_RUNNING;
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		vm->vcpus[i]->running_cpu = vm->vcpus[i]->resident_cpu = vm->vcpus[i]->host_cpu = -1;
		vm->vcpus[i]->vmcs_phys = 0x1000 * (i + 1);
		vm->vcpus[i]->fpu_area = NULL;
		vm->vcpus[i]->state = VCPU_RUNNABLE;
	}
	fake_percpu = (struct percpu){ .cpu_id = 0 };
	VMCS(GUEST_RIP) = START_RIP;
	VMCS(GUEST_RFLAGS) = 0x202;	/* IF: HLT sleeps */
	entries = launches = 0;
	current_vmcs = 0;
	return 0;
}

static int teardown(void **state)
{
	vcpu_release_current();
	vm_destroy(vm);
	fake_mem_free();
	return 0;
}

static void run(unsigned i, const struct step *steps, unsigned n)
{
	script = steps;
	nsteps = n;
	entries = 0;
	vcpu_run(vm->vcpus[i], 1000000);
}

/* CPUID exits are handled and the vCPU goes back in, RIP past each; HLT
 * with interrupts on puts it to sleep, which ends the run. Only the first
 * entry launches. */
static void test_runs_until_halt(void **state)
{
	static const struct step steps[] = {
		{ .reason = EXIT_CPUID, .insn_len = 2 },
		{ .reason = EXIT_CPUID, .insn_len = 2 },
		{ .reason = EXIT_HLT, .insn_len = 1 },
	};
	struct vcpu *v = vm->vcpus[0];

	run(0, steps, ARRAY_SIZE(steps));
	assert_int_equal(entries, 3);
	assert_int_equal(launches, 1);
	assert_int_equal(v->state, VCPU_HALTED);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 5);
	assert_int_equal(v->exit_counts[EXIT_CPUID], 2);
	assert_int_equal(v->exit_counts[EXIT_HLT], 1);
	assert_int_equal(v->running_cpu, -1);		/* off the CPU again */
	assert_int_equal(v->resident_cpu, 0);		/* its VMCS stays loaded here */
	assert_int_equal(current_vmcs, v->vmcs_phys);
	assert_true(v->cpus_ran & 1);
}

/* Two vCPUs take turns: each one's CR2, debug registers and LSTAR are
 * saved when the other takes the CPU and are back when it returns. */
static void test_switch_keeps_state_apart(void **state)
{
	static const struct step a[] = { { .reason = EXIT_HLT, .insn_len = 1, .dr0 = 0xa0, .cr2 = 0xa2,
					   .lstar = 0xa5 } };
	static const struct step b[] = { { .reason = EXIT_HLT, .insn_len = 1, .dr0 = 0xb0, .cr2 = 0xb2,
					   .lstar = 0xb5 } };
	static const struct step check[] = { { .reason = EXIT_HLT, .insn_len = 1 } };
	struct vcpu *va = vm->vcpus[0], *vb = vm->vcpus[1];

	run(0, a, 1);
	vb->state = VCPU_RUNNABLE;
	run(1, b, 1);
	/* a's state went back to a when b took the CPU, a's VMCS to memory. */
	assert_int_equal(va->dr[0], 0xa0);
	assert_int_equal(va->regs.cr2, 0xa2);
	assert_int_equal(va->msr_lstar, 0xa5);
	assert_int_equal(va->resident_cpu, -1);
	assert_false(va->launched);
	/* Back to a: its values are in the registers again, b's are kept. */
	va->state = VCPU_RUNNABLE;
	run(0, check, 1);
	assert_int_equal(fake_dr[0], 0xa0);
	assert_int_equal(fake_cr2, 0xa2);
	assert_int_equal(rdmsr(MSR_IA32_LSTAR), 0xa5);
	assert_int_equal(vb->dr[0], 0xb0);
	assert_int_equal(vb->regs.cr2, 0xb2);
	assert_int_equal(vb->msr_lstar, 0xb5);
	assert_int_equal(launches, 3);	/* each entry after a VMCLEAR launches */
}

/* VMRESUME failing with a valid VMCS stops this VM, naming the error. */
static void test_failed_entry_stops_vm(void **state)
{
	static const struct step steps[] = { { .fail = 2 } };

	VMCS(VM_INSTRUCTION_ERROR) = 7;		/* invalid control fields */
	run(0, steps, 1);
	assert_int_equal(vm->state, VM_STOPPED);
	assert_non_null(strstr(vm->stop_reason, "VM-instruction error 7"));
	assert_int_equal(fake_vmcs_dumps > 0, true);
}

/* A VM paused after the scheduler picked its vCPU is not entered. */
static void test_paused_not_entered(void **state)
{
	vm->paused = true;
	run(0, NULL, 0);
	assert_int_equal(entries, 0);
	assert_int_equal(vm->vcpus[0]->running_cpu, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_runs_until_halt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_switch_keeps_state_apart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_entry_stops_vm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paused_not_entered, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
