/*
 * Port I/O exits: IN/OUT and the string forms INS/OUTS with REP
 * (SDM Vol 3 28.2.1 table 28-5; Vol 2 IN, OUT, INS, OUTS). Every port
 * exits (both I/O bitmaps are all ones); ports no device claims read as
 * all ones and ignore writes, like an empty ISA bus.
 */
#include "vmm/exit/exit.h"
#include "lib/spinlock.h"
#include "vmm/core/vm.h"
#include "vmm/core/guest_mem.h"
#include "arch/vmx.h"
#include "arch/cpu.h"
#include "lib/log.h"

#define UNCLAIMED_LOG_LIMIT 8
#define STRING_IO_BATCH 4096	/* iterations per exit before letting the guest run */

static __attribute__((noinline, cold)) void io_unclaimed(struct vm *vm, u16 port, bool in)
{
	if (vm->unclaimed_io_logged < UNCLAIMED_LOG_LIMIT) {
		vm->unclaimed_io_logged++;
		log_info("vm %s: unclaimed port %s 0x%x%s", vm->name, in ? "read" : "write", port,
			 vm->unclaimed_io_logged == UNCLAIMED_LOG_LIMIT ? " (no more of these)" : "");
	}
}

/* Inlined into exit_io: the port-I/O exit is the hottest device exit. */
static __attribute__((always_inline)) inline u64 io_in(struct vm *vm, u16 port, unsigned size)
{
	u64 val;

	if (vm_bus_read(vm, &vm->pio, port, size, &val)) {
		io_unclaimed(vm, port, true);
		val = ~0ull;
	}
	return val & bytes_mask(size);
}

static __attribute__((always_inline)) inline void io_out(struct vm *vm, u16 port, unsigned size, u64 val)
{
	if (vm_bus_write(vm, &vm->pio, port, size, val))
		io_unclaimed(vm, port, false);
}

/* Writes to AL/AX keep the rest of RAX; a 32-bit write to EAX clears bits
 * 63:32 (SDM Vol 1 3.4.1.1). */
static void io_set_rax(struct vcpu *v, unsigned size, u64 val)
{
	if (size == 4)
		v->regs.gpr[RAX] = val;
	else
		v->regs.gpr[RAX] = (v->regs.gpr[RAX] & ~bytes_mask(size)) | val;
}

/* Address size and segment of a string instruction from the
 * instruction-information field (table 28-8), where the processor reports
 * it (IA32_VMX_MISC bit 54); otherwise the defaults of the code segment. */
static void io_string_operands(bool in, unsigned *addr_size, u64 *seg_base)
{
	static const u32 seg_base_field[6] = {
		VMCS_GUEST_ES_BASE, VMCS_GUEST_CS_BASE, VMCS_GUEST_SS_BASE,
		VMCS_GUEST_DS_BASE, VMCS_GUEST_FS_BASE, VMCS_GUEST_GS_BASE,
	};
	unsigned seg = in ? 0 : 3;

	if (vmx_caps.ins_outs_info) {
		u32 info = vmcs_read32(EXIT_INSTRUCTION_INFO);
		*addr_size = 2u << ((info >> 7) & 7);
		if (!in)
			seg = MIN((info >> 15) & 7, 5u);
	} else {
		u32 cs_ar = vmcs_read32(GUEST_CS_AR);
		*addr_size = (cs_ar & BIT(13)) ? 8 : (cs_ar & BIT(14)) ? 4 : 2;
	}
	*seg_base = (vmcs_read64(GUEST_IA32_EFER) & EFER_LMA) && seg < 4 ? 0 : vmread(seg_base_field[seg]);
}

/*
 * INS/OUTS, with or without REP. Up to STRING_IO_BATCH elements are moved
 * per exit; if RCX is not yet zero the instruction is left in place, so the
 * guest re-executes it (interrupts can be taken in between, as on hardware
 * between iterations).
 */
static enum exit_result io_string(struct vcpu *v, struct vm_exit *e)
{
	unsigned size = e->io.size, asz;
	int idx = e->io.in ? RDI : RSI;
	u64 amask, seg_base, count, step;
	bool down = vmcs_readnat(GUEST_RFLAGS) & RFLAGS_DF;

	io_string_operands(e->io.in, &asz, &seg_base);
	amask = bytes_mask(asz);
	count = e->io.rep ? v->regs.gpr[RCX] & amask : 1;
	for (step = 0; step < count && step < STRING_IO_BATCH; step++) {
		u64 off = v->regs.gpr[idx] & amask, val = 0;
		int err;
		if (e->io.in) {
			val = io_in(v->vm, e->io.port, size);
			err = guest_write_linear(v, seg_base + off, &val, size);
		} else {
			err = guest_read_linear(v, seg_base + off, &val, size);
			if (!err)
				io_out(v->vm, e->io.port, size, val);
		}
		if (err) {
			vm_stop(v->vm, "string I/O on port 0x%x to an unmapped address 0x%llx",
				e->io.port, (unsigned long long)(seg_base + off));
			return KILL_VM;
		}
		off = down ? off - size : off + size;
		v->regs.gpr[idx] = (v->regs.gpr[idx] & ~amask) | (off & amask);
	}
	if (e->io.rep) {
		count -= step;
		v->regs.gpr[RCX] = (v->regs.gpr[RCX] & ~amask) | count;
		if (count)
			return RESUME;
	}
	return RESUME_SKIP_INSN;
}

/* Devices are the VM's, shared with its other vCPUs and other CPUs: under
 * the VM's lock (taken here, not by the dispatcher: the hottest device
 * exit pays for no wrapper). */
enum exit_result exit_io(struct vcpu *v, struct vm_exit *e)
{
	enum exit_result r = RESUME_SKIP_INSN;

	spin_lock(&v->vm->lock);
	if (unlikely(e->io.string))
		r = io_string(v, e);
	else if (e->io.in)
		io_set_rax(v, e->io.size, io_in(v->vm, e->io.port, e->io.size));
	else
		io_out(v->vm, e->io.port, e->io.size, v->regs.gpr[RAX]);
	spin_unlock(&v->vm->lock);
	return r;
}
