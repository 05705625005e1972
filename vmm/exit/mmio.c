/*
 * EPT violations: an access to a registered MMIO range is emulated by
 * decoding the faulting instruction (vmm/emul/insn_decode.c) and performing its
 * memory side on the device; any other violation is a guest error that
 * stops the VM (SDM Vol 3 29.3.3.2, exit qualification in table 28-7).
 * Guest RAM never faults: it is mapped read/write/execute.
 */
#include "vmm/exit/exit.h"
#include "lib/spinlock.h"
#include "vmm/core/vm.h"
#include "vmm/core/guest_mem.h"
#include "vmm/emul/insn_decode.h"
#include "arch/vmx.h"
#include "arch/cpu.h"
#include "lib/string.h"

#define INSN_MAX 15

struct mmio_ctx {
	struct vm *vm;
	u64 gpa;
	int err;
};

static u64 mmio_read(void *ctx, unsigned size)
{
	struct mmio_ctx *c = ctx;
	u64 val = 0;

	if (vm_bus_read(c->vm, &c->vm->mmio, c->gpa, size, &val))
		c->err = -EFAULT;
	return val;
}

static void mmio_write(void *ctx, unsigned size, u64 val)
{
	struct mmio_ctx *c = ctx;

	if (vm_bus_write(c->vm, &c->vm->mmio, c->gpa, size, val))
		c->err = -EFAULT;
}

/* The instruction at CS:RIP, as many of its up to 15 bytes as are mapped. */
static unsigned mmio_fetch(struct vcpu *v, u64 rip, u8 *bytes, enum insn_mode *mode)
{
	u32 cs_ar = vmcs_read32(GUEST_CS_AR);
	bool lma = vmcs_read64(GUEST_IA32_EFER) & EFER_LMA;
	u64 la = rip;
	unsigned n, first;

	*mode = (lma && (cs_ar & BIT(13))) ? INSN_MODE_64 : (cs_ar & BIT(14)) ? INSN_MODE_32 : INSN_MODE_16;
	if (*mode != INSN_MODE_64)
		la = vmcs_readnat(GUEST_CS_BASE) + (*mode == INSN_MODE_16 ? (la & 0xffff) : (u32)la);
	first = MIN(INSN_MAX, (unsigned)(PAGE_SIZE - (la & (PAGE_SIZE - 1))));
	if (guest_read_linear(v, la, bytes, first))
		return 0;
	n = first;
	if (n < INSN_MAX && !guest_read_linear(v, la + n, bytes + n, INSN_MAX - n))
		n = INSN_MAX;
	return n;
}

static enum exit_result mmio_emulate(struct vcpu *v, u64 gpa, u64 rip)
{
	struct mmio_ctx ctx = { .vm = v->vm, .gpa = gpa };
	struct mmio_access mem = { mmio_read, mmio_write, &ctx };
	u8 bytes[INSN_MAX];
	enum insn_mode mode;
	struct insn insn;
	u32 intr;
	u64 rflags = vmcs_readnat(GUEST_RFLAGS), rsp = vmcs_readnat(GUEST_RSP);
	unsigned n = mmio_fetch(v, rip, bytes, &mode);
	int err = n ? insn_decode(bytes, n, mode, &insn) : -EFAULT;

	if (!err) {
		v->regs.gpr[RSP] = rsp;
		err = insn_emulate_mmio(&insn, v->regs.gpr, &rflags, &mem) ?: ctx.err;
	}
	if (err) {
		vm_stop(v->vm, "cannot emulate MMIO access to GPA 0x%llx at RIP 0x%llx: "
			"bytes %02x %02x %02x %02x %02x %02x (%u fetched, error %d)",
			(unsigned long long)gpa, (unsigned long long)rip,
			bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], n, err);
		return KILL_VM;
	}
	if (v->regs.gpr[RSP] != rsp)
		vmcs_writenat(GUEST_RSP, v->regs.gpr[RSP]);
	vmcs_writenat(GUEST_RFLAGS, rflags);
	/* RIP is advanced here (an EPT violation reports no instruction
	 * length), so end STI and MOV SS blocking here too (SDM Vol 3 25.4.2). */
	vmcs_writenat(GUEST_RIP, rip + insn.len);
	intr = vmcs_read32(GUEST_INTERRUPTIBILITY);
	if (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))
		vmcs_write32(GUEST_INTERRUPTIBILITY, intr & ~(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
	return RESUME;
}

static enum exit_result ept_violation(struct vcpu *v, struct vm_exit *e)
{
	/* With IDT-vectoring information valid the access was made by the
	 * delivery of an event (a stack push or an IDT read landing in MMIO,
	 * SDM Vol 3 28.2.4), not by the instruction at RIP: Keel does not
	 * emulate event delivery into device memory. */
	if (unlikely(vmcs_read32(IDT_VECTORING_INFO) & INTR_INFO_VALID)) {
		vm_stop(v->vm, "EPT violation at GPA 0x%llx while delivering event 0x%x at RIP 0x%llx: "
			"the guest's stack or IDT is not RAM", (unsigned long long)e->ept.gpa,
			vmcs_read32(IDT_VECTORING_INFO), (unsigned long long)e->rip);
		return KILL_VM;
	}
	if (io_bus_find(&v->vm->mmio, e->ept.gpa, 1) && !e->ept.fetch)
		return mmio_emulate(v, e->ept.gpa, e->rip);
	vm_stop(v->vm, "EPT violation at GPA 0x%llx (%s) at RIP 0x%llx: not RAM or MMIO",
		(unsigned long long)e->ept.gpa,
		e->ept.fetch ? "fetch" : e->ept.write ? "write" : "read",
		(unsigned long long)e->rip);
	return KILL_VM;
}

/* Under the VM's lock (its MMIO devices and bus), taken here as exit_io does. */
enum exit_result exit_ept_violation(struct vcpu *v, struct vm_exit *e)
{
	enum exit_result r;

	spin_lock(&v->vm->lock);
	r = ept_violation(v, e);
	spin_unlock(&v->vm->lock);
	return r;
}

/* A misconfigured EPT entry is Keel's bug, not the guest's, but only this
 * VM is affected: stop it with the address for the report. */
enum exit_result exit_ept_misconfig(struct vcpu *v, struct vm_exit *e)
{
	vm_stop(v->vm, "EPT misconfiguration at GPA 0x%llx (hypervisor bug)",
		(unsigned long long)vmcs_read64(GUEST_PHYSICAL_ADDRESS));
	return KILL_VM;
}
