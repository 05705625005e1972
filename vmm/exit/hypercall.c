/*
 * VMCALL: Keel's hypercall ABI (include/vmm/exit/hypercall.h). A table indexed
 * by function number; out of range or from CPL > 0 fails in RAX, never in
 * the host. The calls that touch the VM take its lock themselves.
 */
#include "vmm/exit/exit.h"
#include "vmm/core/vm.h"
#include "vmm/exit/hypercall.h"
#include "lib/log.h"
#include "lib/spinlock.h"

typedef s64 hypercall_fn(struct vcpu *v, u64 a0, u64 a1, u64 a2);

static s64 hc_version(struct vcpu *v, u64 a0, u64 a1, u64 a2)
{
	return KEEL_ABI_VERSION;
}

/* Copy the buffer out of guest RAM (guest-physical) and feed it to the
 * VM's console line by line. */
static s64 hc_console_write(struct vcpu *v, u64 gpa, u64 len, u64 a2)
{
	char buf[256];

	if (len > KEEL_HC_CONSOLE_MAX)
		return -EINVAL;
	if (!gpa_is_ram(&v->vm->mem, gpa, len))
		return -EFAULT;
	spin_lock(&v->vm->lock);		/* the VM's console line */
	for (u64 done = 0; done < len;) {
		u64 n = MIN(len - done, sizeof(buf));
		gpa_read(&v->vm->mem, gpa + done, buf, n);
		for (u64 i = 0; i < n; i++)
			vm_console_putc(v->vm, (u8)buf[i]);
		done += n;
	}
	spin_unlock(&v->vm->lock);
	return (s64)len;
}

static s64 hc_exit(struct vcpu *v, u64 code, u64 a1, u64 a2)
{
	vm_lock_and_stop(v->vm, "exit code %llu", (unsigned long long)code);
	return 0;
}

static hypercall_fn *const hypercalls[KEEL_HC_COUNT] = {
	[KEEL_HC_VERSION] = hc_version,
	[KEEL_HC_CONSOLE_WRITE] = hc_console_write,
	[KEEL_HC_EXIT] = hc_exit,
};

enum exit_result exit_vmcall(struct vcpu *v, struct vm_exit *e)
{
	u64 nr = v->regs.gpr[RAX];
	s64 ret;

	if (vcpu_cpl() != 0)
		ret = -EPERM;
	else if (nr >= KEEL_HC_COUNT || !hypercalls[nr])
		ret = -ENOSYS;
	else
		ret = hypercalls[nr](v, v->regs.gpr[RDI], v->regs.gpr[RSI], v->regs.gpr[RDX]);
	if (v->state == VCPU_STOPPED)
		return KILL_VM;
	v->regs.gpr[RAX] = (u64)ret;
	return RESUME_SKIP_INSN;
}
