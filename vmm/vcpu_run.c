/*
 * Running a vCPU: switching this CPU's loaded guest state to it when
 * another vCPU ran last, then entering and handling exits until it halts,
 * stops or its time slice ends.
 */
#include "arch/cpu.h"
#include "arch/hw.h"
#include "arch/vmx.h"
#include "arch/msr.h"
#include "vmm/vcpu_setup.h"
#include "vmm/exit.h"
#include "vmm/vm.h"
#include "vmm/intr.h"
#include "lib/log.h"

static void dr_save(u64 dr[4], u64 *dr6)
{
	asm volatile("mov %%db0, %0" : "=r"(dr[0]));
	asm volatile("mov %%db1, %0" : "=r"(dr[1]));
	asm volatile("mov %%db2, %0" : "=r"(dr[2]));
	asm volatile("mov %%db3, %0" : "=r"(dr[3]));
	asm volatile("mov %%db6, %0" : "=r"(*dr6));
}

static void dr_load(const u64 dr[4], u64 dr6)
{
	asm volatile("mov %0, %%db0" : : "r"(dr[0]));
	asm volatile("mov %0, %%db1" : : "r"(dr[1]));
	asm volatile("mov %0, %%db2" : : "r"(dr[2]));
	asm volatile("mov %0, %%db3" : : "r"(dr[3]));
	asm volatile("mov %0, %%db6" : : "r"(dr6));
}

/* The MSRs the guest reaches directly and the VMCS does not switch. */
static void msrs_save(struct vcpu *v)
{
	v->msr_star = rdmsr(MSR_IA32_STAR);
	v->msr_lstar = rdmsr(MSR_IA32_LSTAR);
	v->msr_cstar = rdmsr(MSR_IA32_CSTAR);
	v->msr_fmask = rdmsr(MSR_IA32_FMASK);
	v->msr_kernel_gs_base = rdmsr(MSR_IA32_KERNEL_GS_BASE);
	if (vmx_caps.proc2 & PROC2_ENABLE_RDTSCP)
		v->msr_tsc_aux = rdmsr(MSR_IA32_TSC_AUX);
}

static void msrs_load(const struct vcpu *v)
{
	wrmsr(MSR_IA32_STAR, v->msr_star);
	wrmsr(MSR_IA32_LSTAR, v->msr_lstar);
	wrmsr(MSR_IA32_CSTAR, v->msr_cstar);
	wrmsr(MSR_IA32_FMASK, v->msr_fmask);
	wrmsr(MSR_IA32_KERNEL_GS_BASE, v->msr_kernel_gs_base);
	if (vmx_caps.proc2 & PROC2_ENABLE_RDTSCP)
		wrmsr(MSR_IA32_TSC_AUX, v->msr_tsc_aux);
}

/* Make next the vCPU whose state this CPU holds. A stopped vCPU's state is
 * dropped, not saved. */
static int vcpu_switch_to(struct vcpu *next)
{
	struct percpu *cpu = this_cpu();
	struct vcpu *prev = cpu->current_vcpu;

	if (prev == next)
		return 0;
	if (prev && prev->state != VCPU_STOPPED) {
		prev->regs.cr2 = read_cr(2);
		fpu_save(prev->fpu_area, prev->xcr0);
		dr_save(prev->dr, &prev->dr6);
		msrs_save(prev);
	}
	if (vmcs_load(next->vmcs_phys))
		return -EIO;
	write_cr(2, next->regs.cr2);
	fpu_restore(next->fpu_area, next->xcr0);
	dr_load(next->dr, next->dr6);
	msrs_load(next);
	cpu->current_vcpu = next;
	return 0;
}

/* VMLAUNCH/VMRESUME itself failed: the VMCS is bad (SDM Vol 3 31.4). */
static void vcpu_entry_failed(struct vcpu *v, int how)
{
	if (how == 1) {
		vm_stop(v->vm, "VM entry failed: VMfailInvalid (no current VMCS)");
		return;
	}
	u32 err = vmcs_read32(VM_INSTRUCTION_ERROR);
	vm_stop(v->vm, "VM entry failed: VM-instruction error %u (%s)", err,
		vmx_instruction_error_name(err));
	vmcs_dump_guest();
}

/*
 * The VMX-preemption timer is armed for the earlier of the VM's next device
 * deadline and the end of the slice (SDM Vol 3 26.5.1: it counts down at
 * the TSC rate >> IA32_VMX_MISC[4:0], and its value is saved on exit).
 * So a deadline cannot pass unnoticed while the guest runs: only after the
 * timer fires, a device register access or a new slice does the entry
 * path need to look at the clock.
 */
static void vcpu_arm_timer(struct vcpu *v)
{
	struct vm *vm = v->vm;
	u64 now = rdtsc(), target, ticks;

	if (vm->timers_dirty || now >= vm->timer_deadline_tsc)
		vm_timers_run(vm);
	v->rearm = !vmx_caps.has_preempt_timer;
	if (!vmx_caps.has_preempt_timer)
		return;
	target = MIN(v->slice_end_tsc, vm->timer_deadline_tsc);
	ticks = target > now ? (target - now) >> vmx_caps.preempt_shift : 0;
	vmcs_write32(GUEST_PREEMPTION_TIMER, (u32)MIN(ticks, 0xffffffffull));
}

static inline void vcpu_pre_entry(struct vcpu *v)
{
	if (unlikely(v->rearm || v->vm->timers_dirty))
		vcpu_arm_timer(v);
	if (unlikely(v->irq_check))
		vcpu_deliver_interrupts(v);
}

bool vcpu_measure_exits;

/*
 * Enter and handle exits until the vCPU halts, stops or yields. Built
 * twice: with measure (Keel's measure=exits) each exit's handling, from its
 * first C instruction to the next entry, is added to hv_tsc for the
 * statistics leaf; without it the exit path pays nothing for that.
 */
static __attribute__((always_inline)) inline void vcpu_loop(struct vcpu *v, const bool measure)
{
	u64 t = 0;

	while (likely(v->state == VCPU_RUNNABLE && !v->yield)) {
		int how;

		vcpu_pre_entry(v);
		if (measure && t)
			v->hv_tsc += rdtsc() - t;
		how = vmx_run(&v->regs, v->launched);
		if (measure)
			t = rdtsc();
		if (unlikely(how)) {
			vcpu_entry_failed(v, how);
			return;
		}
		v->launched = true;
		vcpu_handle_exit(v);
	}
}

void vcpu_run(struct vcpu *v, u64 slice_tsc)
{
	if (vcpu_switch_to(v)) {
		vm_stop(v->vm, "VMPTRLD of its VMCS failed");
		return;
	}
	v->yield = false;
	v->slice_end_tsc = rdtsc() + slice_tsc;
	v->rearm = true;
	if (unlikely(vcpu_measure_exits))
		vcpu_loop(v, true);
	else
		vcpu_loop(v, false);
}
