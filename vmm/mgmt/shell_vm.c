/*
 * The management shell's view of Keel (kernel only): struct shell_ops over
 * the VMM's VMs (include/vmm/core/vmm.h), and the shell's place on the
 * host console (vmm/mgmt/console.c). Everything runs on the boot CPU from the
 * scheduler loop's console_poll(), the only place the VM list changes, so
 * a struct vm found here stays valid until the command is done.
 */
#include "vmm/mgmt/shell.h"
#include "vmm/mgmt/console.h"
#include "vmm/core/vm.h"
#include "vmm/core/vmm.h"
#include "arch/hw.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/time.h"

static struct shell shell;
static bool shutdown_requested;

static void shell_vm_write(void *ctx, const char *text)
{
	console_write_input(text, strlen(text));
}

static unsigned shell_vm_count(void *ctx)
{
	return vmm_vm_count();
}

/* Running, unless paused, stopped, or no vCPU can run: each waits in HLT
 * (or, not started yet, for a SIPI). */
static const char *shell_vm_state(const struct vm *vm)
{
	if (vm->state == VM_STOPPED)
		return "stopped";
	if (vm->paused)
		return "paused";
	for (unsigned i = 0; i < vm->nvcpus; i++)
		if (vm->vcpus[i]->state == VCPU_RUNNABLE)
			return "running";
	return "halted";
}

/* The VM's counters (vm_stats_get) as the shell shows them. */
static void shell_vm_counters(const struct vm *vm, struct shell_vm_info *out)
{
	struct vm_stats st;

	vm_stats_get(vm, &st);
	out->cpu_ns = st.cpu_ns;
	out->intr_injected = st.intr_injected;
	out->exits = st.exits;
	for (unsigned r = 0; r < EXIT_REASON_MAX; r++) {
		if (st.exit_counts[r] && out->nexit_kinds < SHELL_EXIT_KINDS) {
			out->exit_kinds[out->nexit_kinds].name = vmx_exit_reason_name(r);
			out->exit_kinds[out->nexit_kinds++].count = st.exit_counts[r];
		}
	}
}

static int shell_vm_info(void *ctx, unsigned index, struct shell_vm_info *out)
{
	const struct vm *vm = vmm_vm_at(index);
	u64 now = time_now_ns();
	size_t len = 0;

	if (!vm)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	memcpy(out->name, vm->name, MIN(sizeof(out->name), sizeof(vm->name)));
	out->name[sizeof(out->name) - 1] = 0;
	out->state = shell_vm_state(vm);
	out->vcpus = vm->nvcpus;
	out->memory = vm->mem.ram_size;
	out->large_pages = vm->mem.large_pages;
	out->weight = vm->sched.weight;
	out->cap = vm->sched.cap;
	out->age_ns = now > vm->started_ns ? now - vm->started_ns : 0;
	shell_vm_counters(vm, out);
	/* Device names read "VM vd0": the shell shows the part after the VM's. */
	for (unsigned i = 0; i < vm->nvirtio; i++) {
		const char *dev = strchr(vm->virtio[i]->name, ' ');
		keel_sappendf(out->devices, sizeof(out->devices), &len, "%s%s", len ? " " : "",
			      dev ? dev + 1 : vm->virtio[i]->name);
	}
	return 0;
}

static int shell_vm_action(void *ctx, const char *name, enum shell_action action)
{
	struct vm *vm = vmm_vm_find(name);

	if (!vm)
		return -ENOENT;
	switch (action) {
	case SHELL_PAUSE:
		return vm_pause(vm);
	case SHELL_RESUME:
		return vm_resume(vm);
	case SHELL_DESTROY:
		if (vm->state == VM_STOPPED)
			return -EALREADY;
		vm_lock_and_stop(vm, "destroyed from the shell");
		return 0;
	case SHELL_CONSOLE:
		if (vm->state == VM_STOPPED)
			return -EINVAL;
		console_set_focus(vm);
		return 0;
	}
	return -EINVAL;
}

/* Stop every VM: the scheduler reaps them, reports each, and Keel powers
 * off as [host] shutdown says once none is left (boot/main.c). */
static void shell_vm_shutdown(void *ctx)
{
	for (unsigned i = 0; i < vmm_vm_count(); i++)
		vm_lock_and_stop(vmm_vm_at(i), "host shutdown from the shell");
	shutdown_requested = true;
}

static const struct shell_ops shell_vm_ops = {
	.write = shell_vm_write,
	.vm_count = shell_vm_count,
	.vm_info = shell_vm_info,
	.vm_action = shell_vm_action,
	.shutdown = shell_vm_shutdown,
};

static void shell_vm_input(void *ctx, u8 ch)
{
	shell_input(&shell, ch);
}

static void shell_vm_prompt(void *ctx)
{
	shell_prompt(&shell);
}

static const struct console_shell shell_vm_console = {
	.input = shell_vm_input,
	.prompt = shell_vm_prompt,
};

void shell_vm_start(void)
{
	shell_init(&shell, &shell_vm_ops);
	console_attach_shell(&shell_vm_console);
}

void shell_vm_run_alone(void)
{
	if (!shell.ops)
		shell_vm_start();
	console_set_focus(NULL);
	while (!shutdown_requested) {
		console_poll();
		cpu_relax();
	}
}
