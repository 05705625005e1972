/*
 * Running a vCPU: switching this CPU's loaded guest state to it when
 * another vCPU ran last, then entering and handling exits until it halts,
 * stops or its time slice ends.
 */
#include "arch/cpu.h"
#include "arch/hw.h"
#include "arch/vmx.h"
#include "arch/msr.h"
#include "vmm/core/vcpu_setup.h"
#include "vmm/exit/exit.h"
#include "vmm/core/vm.h"
#include "vmm/core/intr.h"
#include "vmm/machine/platform.h"
#include "lib/log.h"
#include "mm/mm.h"
#include "lib/spinlock.h"

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

/*
 * This CPU lets go of its current vCPU: the lazily switched state goes
 * back to the vCPU (unless it is stopped: then it is dropped) and its VMCS
 * is cleared to memory (SDM Vol 3 25.11.3: a VMCS must be cleared before
 * another CPU may load it), so the vCPU can run anywhere next.
 */
void vcpu_release_current(void)
{
	struct percpu *cpu = this_cpu();
	struct vcpu *prev = cpu->current_vcpu;

	if (!prev)
		return;
	if (prev->state != VCPU_STOPPED) {
		prev->regs.cr2 = cr2_read();
		fpu_save(prev->fpu_area, prev->xcr0);
		dr_save(prev->dr, &prev->dr6);
		msrs_save(prev);
	}
	vmcs_clear(prev->vmcs_phys);
	prev->launched = false;
	cpu->current_vcpu = NULL;
	__atomic_store_n(&prev->resident_cpu, -1, __ATOMIC_RELEASE);
}

/* Make next the vCPU whose state this CPU holds. */
static int vcpu_switch_to(struct vcpu *next)
{
	struct percpu *cpu = this_cpu();

	if (cpu->current_vcpu == next)
		return 0;
	vcpu_release_current();
	if (vmcs_load(next->vmcs_phys))
		return -EIO;
	next->resident_cpu = (int)cpu->cpu_id;
	if (next->host_cpu != (int)cpu->cpu_id) {
		vmcs_setup_host_cpu();
		next->host_cpu = (int)cpu->cpu_id;
	}
	cr2_write(next->regs.cr2);
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
		vm_lock_and_stop(v->vm, "VM entry failed: VMfailInvalid (no current VMCS)");
		return;
	}
	u32 err = vmcs_read32(VM_INSTRUCTION_ERROR);
	vm_lock_and_stop(v->vm, "VM entry failed: VM-instruction error %u (%s)", err,
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

/* Device timers and interrupts, under the VM's lock: other vCPUs and
 * other CPUs' device code change the same state. */
static void vcpu_pre_entry_slow(struct vcpu *v)
{
	spin_lock(&v->vm->lock);
	if (v->rearm || v->vm->timers_dirty)
		vcpu_arm_timer(v);
	if (v->irq_check)
		vcpu_deliver_interrupts(v);
	spin_unlock(&v->vm->lock);
}

static inline void vcpu_pre_entry(struct vcpu *v)
{
	if (unlikely(v->rearm || v->vm->timers_dirty || v->irq_check))
		vcpu_pre_entry_slow(v);
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

int vcpu_start_at(struct vcpu *v, const struct vcpu_boot_state *s)
{
	if (!v->boot_pending && !(v->boot_pending = kmalloc(sizeof(*s))))
		return -ENOMEM;
	*v->boot_pending = *s;
	return 0;
}

void vcpu_run(struct vcpu *v, u64 slice_tsc)
{
	if (vcpu_switch_to(v)) {
		vm_lock_and_stop(v->vm, "VMPTRLD of its VMCS failed");
		return;
	}
	if (unlikely(v->boot_pending)) {
		int err = vcpu_set_boot_state(v, v->boot_pending);

		kfree(v->boot_pending);
		v->boot_pending = NULL;
		if (err) {
			vm_lock_and_stop(v->vm, "its start-up state is invalid (error %d)", err);
			return;
		}
	}
	v->yield = false;
	/* Device code on other CPUs reads running_cpu after setting irq_check
	 * (vcpu_kick), the shell after setting paused (vm_pause): store, then
	 * fence, then the loads. */
	__atomic_store_n(&v->running_cpu, (int)this_cpu()->cpu_id, __ATOMIC_RELAXED);
	v->cpus_ran |= (u32)BIT(this_cpu()->cpu_id);
	smp_mb();
	if (unlikely(v->vm->paused)) {		/* paused since it was picked */
		__atomic_store_n(&v->running_cpu, -1, __ATOMIC_RELEASE);
		return;
	}
	v->slice_end_tsc = rdtsc() + slice_tsc;
	v->rearm = true;
	if (unlikely(vcpu_measure_exits))
		vcpu_loop(v, true);
	else
		vcpu_loop(v, false);
	__atomic_store_n(&v->running_cpu, -1, __ATOMIC_RELEASE);
}
