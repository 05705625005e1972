/*
 * Host tests for the exit path: vcpu_handle_exit() (vmm/exit/exit.c) and the
 * handlers it dispatches to (cpuid, io, msr, cr, hypercall, mmio), driven
 * through the fake VMCS the way the processor would leave it after a VM
 * exit (SDM Vol 3 chapter 28: exit reason, qualification, instruction
 * length and information). The VM is a real vm_create() with guest RAM,
 * its UART and test device; the vCPU is fake_kernel.c's, without a VMCS.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <stdio.h>

#include "vmm/exit/exit.h"
#include "lib/log.h"
#include "vmm/core/vm.h"
#include "vmm/exit/hypercall.h"
#include "devices/testdev.h"
#include "arch/vmx.h"
#include "arch/cpu.h"
#include "fake_hw.h"
#include "fake_mm.h"
#include "fake_kernel.h"

#define VMCS(f)       fake_vmcs[VMCS_##f]
#define GP_PROTECTED  0x80000b0du	/* valid, hardware exception, error code, #GP */
#define GP_REAL       0x8000030du	/* the same without an error code */
#define START_RIP     0x1000
#define CS_AR_16      0x9bu		/* present code, 16-bit */
#define CS_AR_32      0xc09bu		/* present code, D = 1, G = 1 */
#define SS_AR_CPL3    0xf3u

/* Qualification of an I/O exit (table 28-5). */
#define IO_QUAL(port, size, in, string, rep) \
	(((u64)(port) << 16) | ((size) - 1) | ((in) ? BIT(3) : 0) | \
	 ((string) ? BIT(4) : 0) | ((rep) ? BIT(5) : 0))
/* Qualification of a control-register exit (table 28-3). */
#define CR_QUAL(cr, type, gpr, lmsw) \
	((u64)(cr) | ((u64)(type) << 4) | ((u64)(gpr) << 8) | ((u64)(lmsw) << 16))

static struct vm *vm;
static struct vcpu *v;

/* A device that logs every access. */
struct rec_dev {
	u64 read_value;
	unsigned nreads, nwrites;
	u64 read_offset;
	unsigned read_size;
	u64 offset[64], val[64];
	unsigned size[64];
};

static u64 rec_read(void *dev, u64 offset, unsigned size)
{
	struct rec_dev *d = dev;

	d->nreads++;
	d->read_offset = offset;
	d->read_size = size;
	return d->read_value;
}

static void rec_write(void *dev, u64 offset, unsigned size, u64 val)
{
	struct rec_dev *d = dev;

	assert_true(d->nwrites < 64);
	d->offset[d->nwrites] = offset;
	d->size[d->nwrites] = size;
	d->val[d->nwrites++] = val;
}

static const struct io_ops rec_ops = { rec_read, rec_write };

/* A host with every feature and APIC ID 0x0a. */
static void host_cpuid(u32 leaf, u32 subleaf, struct cpuid_regs *r)
{
	r->eax = r->ebx = r->ecx = r->edx = 0xffffffffu;
	if (leaf == 1) {
		r->eax = 0x000906ea;
		r->ebx = 0x0a100800;
		r->ecx = 0x7fffffffu;
	}
}

static int setup(void **state)
{
	fake_mm_reset(16 * MiB);
	memset(fake_vmcs, 0, sizeof(fake_vmcs));
	fake_console_reset();
	fake_vmcs_dumps = 0;
	fake_cpuid_fn = host_cpuid;
	fake_xcr0 = 1;
	fake_host_xcr0 = 0xe7;	/* x87, SSE, AVX, AVX-512 */
	log_threshold = LOG_INFO;
	vmx_caps = (struct vmx_caps){
		.cr0_fixed0 = CR0_PG | CR0_NE | CR0_PE, .cr0_fixed1 = 0xffffffffu,
		.cr4_fixed0 = CR4_VMXE, .cr4_fixed1 = 0x3767ff,
	};
	vm = vm_create("t", 2 * MiB, 1);
	assert_non_null(vm);
	v = vm->vcpus[0];
	vm->state = VM_RUNNING;
	v->entry_controls = ENTRY_LOAD_IA32_EFER;
	VMCS(ENTRY_CONTROLS) = ENTRY_LOAD_IA32_EFER;
	VMCS(GUEST_CR0) = CR0_NE | CR0_ET | CR0_PE;
	VMCS(CR0_READ_SHADOW) = CR0_ET | CR0_PE;
	VMCS(GUEST_CR4) = CR4_VMXE;
	VMCS(GUEST_CS_AR) = CS_AR_32;
	VMCS(GUEST_SS_AR) = 0x93;
	VMCS(GUEST_RFLAGS) = 0x2;
	VMCS(GUEST_RIP) = START_RIP;
	return 0;
}

static int teardown(void **state)
{
	vm_destroy(vm);
	assert_int_equal(fake_pages_allocated, 0);
	assert_int_equal(fake_vcpus_live, 0);
	fake_mem_free();
	return 0;
}

/* The processor's side of a VM exit, then Keel's handling of it. */
static void vm_exit(u32 reason, u64 qual, u32 insn_len)
{
	VMCS(EXIT_REASON) = reason;
	VMCS(EXIT_QUALIFICATION) = qual;
	VMCS(EXIT_INSTRUCTION_LEN) = insn_len;
	VMCS(ENTRY_INTR_INFO) = 0;
	vcpu_handle_exit(v);
}

static void assert_running(void)
{
	assert_int_equal(vm->state, VM_RUNNING);
	assert_int_not_equal(v->state, VCPU_STOPPED);
}

static void assert_stopped(const char *reason)
{
	char line[256];

	assert_int_equal(vm->state, VM_STOPPED);
	assert_int_equal(v->state, VCPU_STOPPED);
	assert_string_equal(vm->stop_reason, reason);
	snprintf(line, sizeof(line), "vm t: stopped: %s\n", reason);
	assert_int_equal(fake_console_count(line), 1);
}

static void assert_gp_injected(u32 info)
{
	assert_int_equal(VMCS(ENTRY_INTR_INFO), info);
	assert_int_equal(VMCS(ENTRY_EXCEPTION_ERROR), 0);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP);
	assert_running();
}

static void put_guest(u64 gpa, const void *bytes, size_t len)
{
	assert_int_equal(gpa_write(&vm->mem, gpa, bytes, len), 0);
}

/* --- dispatch, RIP, unhandled exits -------------------------------------- */

static void test_cpuid(void **state)
{
	v->id = 2;
	v->regs.gpr[RAX] = 0xffffffff00000001ull;
	v->regs.gpr[RCX] = 0x1234;
	v->regs.gpr[RBX] = v->regs.gpr[RDX] = ~0ull;
	VMCS(GUEST_CR4) = CR4_VMXE | CR4_OSXSAVE;
	vm_exit(EXIT_CPUID, 0, 2);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 2);
	assert_int_equal(v->regs.gpr[RAX], 0x000906ea);
	assert_int_equal(v->regs.gpr[RBX], 0x02010800);	/* APIC ID = vCPU id */
	assert_int_equal(v->regs.gpr[RCX], 0xfffffffful & ~(BIT(2) | BIT(3) | BIT(4) | BIT(5) |
							      BIT(6) | BIT(7) | BIT(8) | BIT(15)));
	/* MTRR, DS, ACPI, TM, PBE hidden; HTT clear: a one-vCPU VM */
	assert_int_equal(v->regs.gpr[RDX], 0xfffffffful & ~(BIT(12) | BIT(21) | BIT(22) |
							      BIT(28) | BIT(29) | BIT(31)));
	assert_int_equal(v->exit_counts[EXIT_CPUID], 1);
	assert_running();

	/* OSXSAVE follows the guest's CR4; the Keel leaf; INVPCID policy. */
	VMCS(GUEST_CR4) = CR4_VMXE;
	v->regs.gpr[RAX] = 1;
	vm_exit(EXIT_CPUID, 0, 2);
	assert_false(v->regs.gpr[RCX] & BIT(27));
	v->regs.gpr[RAX] = KEEL_CPUID_SIGNATURE_LEAF;
	vm_exit(EXIT_CPUID, 0, 2);
	assert_int_equal(v->regs.gpr[RAX], KEEL_CPUID_STATS_LEAF);
	assert_int_equal(v->regs.gpr[RBX], 0x6c65654b);
	v->regs.gpr[RAX] = 7;
	v->regs.gpr[RCX] = 0;
	vm_exit(EXIT_CPUID, 0, 2);
	assert_false(v->regs.gpr[RBX] & BIT(10));
	vmx_caps.proc2 = PROC2_ENABLE_INVPCID;
	v->regs.gpr[RAX] = 7;
	v->regs.gpr[RCX] = 0;
	vm_exit(EXIT_CPUID, 0, 2);
	assert_true(v->regs.gpr[RBX] & BIT(10));
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 10);
	assert_int_equal(v->exit_counts[EXIT_CPUID], 5);

	/* The statistics leaf: this vCPU's exits (this CPUID included) in
	 * EDX:EAX, Keel's handling ticks in ECX:EBX. */
	v->exit_counts[EXIT_IO_INSTRUCTION] = 0x100000000ull;
	v->hv_tsc = 0x123456789ull;
	v->regs.gpr[RAX] = KEEL_CPUID_STATS_LEAF;
	vm_exit(EXIT_CPUID, 0, 2);
	assert_int_equal(v->regs.gpr[RAX], 6);
	assert_int_equal(v->regs.gpr[RDX], 1);
	assert_int_equal(v->regs.gpr[RBX], 0x23456789);
	assert_int_equal(v->regs.gpr[RCX], 1);
}

static void test_unhandled_stops_only_that_vm(void **state)
{
	struct vm *other = vm_create("u", 64 * KiB, 1);

	assert_non_null(other);
	other->state = VM_RUNNING;
	vm_exit(EXIT_INVD, 0, 2);
	assert_stopped("unhandled exit INVD (13) at RIP 0x1000, qualification 0x0");
	assert_int_equal(VMCS(GUEST_RIP), START_RIP);
	assert_int_equal(fake_vmcs_dumps, 1);
	assert_int_equal(v->exit_counts[EXIT_INVD], 1);
	assert_int_equal(other->state, VM_RUNNING);
	assert_int_equal(other->vcpus[0]->state, VCPU_RUNNABLE);
	assert_int_equal(fake_console_count("vm u:"), 0);
	vm_destroy(other);
}

/* A reason past the table, and one whose qualification Keel does not
 * decode: the log still carries what the processor reported. */
static void test_unhandled_reports_qualification(void **state)
{
	vm_exit(70, 0x55, 3);
	assert_stopped("unhandled exit UNKNOWN (70) at RIP 0x1000, qualification 0x55");
	assert_int_equal(VMCS(GUEST_RIP), START_RIP);

	vm->state = VM_RUNNING;
	v->state = VCPU_RUNNABLE;
	fake_console_reset();
	VMCS(GUEST_RIP) = 0x2000;
	vm_exit(EXIT_VMCLEAR, 0x18, 4);	/* qualification: the displacement */
	assert_int_equal(vm->state, VM_STOPPED);
	assert_string_equal(vm->stop_reason,
			    "unhandled exit VMCLEAR (19) at RIP 0x2000, qualification 0x18");
	assert_int_equal(VMCS(GUEST_RIP), 0x2000);
	assert_int_equal(fake_vmcs_dumps, 2);
}

static void test_entry_failure(void **state)
{
	vm_exit(EXIT_REASON_ENTRY_FAILURE | EXIT_INVALID_GUEST_STATE, 3, 0);
	assert_stopped("VM-entry failure, reason INVALID_GUEST_STATE (33), qualification 0x3");
	assert_int_equal(VMCS(GUEST_RIP), START_RIP);
	assert_int_equal(fake_vmcs_dumps, 1);
	assert_int_equal(v->exit_counts[EXIT_INVALID_GUEST_STATE], 0);
	/* Entry failure with a reason that has a handler: still no handler. */
	vm->state = VM_RUNNING;
	v->state = VCPU_RUNNABLE;
	v->regs.gpr[RAX] = 1;
	vm_exit(EXIT_REASON_ENTRY_FAILURE | EXIT_CPUID, 0, 2);
	assert_int_equal(vm->state, VM_STOPPED);
	assert_int_equal(v->regs.gpr[RAX], 1);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP);
}

/* Advancing RIP ends blocking by STI and by MOV SS (SDM Vol 3 25.4.2), and
 * nothing else; not advancing it leaves the blocking alone. */
static void test_interruptibility_on_skip(void **state)
{
	VMCS(GUEST_INTERRUPTIBILITY) = INTERRUPTIBILITY_STI | BIT(3);
	v->regs.gpr[RAX] = 0;
	vm_exit(EXIT_CPUID, 0, 2);
	assert_int_equal(VMCS(GUEST_INTERRUPTIBILITY), BIT(3));
	VMCS(GUEST_INTERRUPTIBILITY) = INTERRUPTIBILITY_MOV_SS;
	vm_exit(EXIT_CPUID, 0, 2);
	assert_int_equal(VMCS(GUEST_INTERRUPTIBILITY), 0);
	/* #GP injected, RIP stays: blocking stays. */
	VMCS(GUEST_RIP) = START_RIP;
	VMCS(GUEST_INTERRUPTIBILITY) = INTERRUPTIBILITY_STI;
	v->regs.gpr[RCX] = 0x1234;
	vm_exit(EXIT_RDMSR, 0, 2);
	assert_gp_injected(GP_PROTECTED);
	assert_int_equal(VMCS(GUEST_INTERRUPTIBILITY), INTERRUPTIBILITY_STI);
}

/* --- port I/O -------------------------------------------------------------- */

static void test_in_unclaimed(void **state)
{
	v->regs.gpr[RAX] = 0x1122334455667788ull;
	vm_exit(EXIT_IO_INSTRUCTION, IO_QUAL(0x1234, 1, true, false, false), 1);
	assert_int_equal(v->regs.gpr[RAX], 0x11223344556677ffull);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 1);
	v->regs.gpr[RAX] = 0x1122334455667788ull;
	vm_exit(EXIT_IO_INSTRUCTION, IO_QUAL(0x1234, 2, true, false, false), 2);
	assert_int_equal(v->regs.gpr[RAX], 0x112233445566ffffull);
	v->regs.gpr[RAX] = 0x1122334455667788ull;
	vm_exit(EXIT_IO_INSTRUCTION, IO_QUAL(0x1234, 4, true, false, false), 1);
	assert_int_equal(v->regs.gpr[RAX], 0x00000000ffffffffull);	/* zero-extended */
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 4);
	assert_int_equal(fake_console_count("vm t: unclaimed port read 0x1234\n"), 3);
	assert_running();
}

static void test_unclaimed_log_is_limited(void **state)
{
	for (unsigned i = 0; i < 12; i++)
		vm_exit(EXIT_IO_INSTRUCTION, IO_QUAL(0x2f8, 1, false, false, false), 1);
	assert_int_equal(fake_console_count("vm t: unclaimed port write 0x2f8"), 8);
	assert_int_equal(fake_console_count("(no more of these)"), 1);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 12);
	assert_running();
}

static void test_io_reaches_device(void **state)
{
	static struct rec_dev dev;

	dev = (struct rec_dev){ .read_value = 0xa1b2c3d4e5f60718ull };
	assert_int_equal(io_bus_add(&vm->pio, 0x500, 8, &rec_ops, &dev, "rec"), 0);
	v->regs.gpr[RAX] = 0xffffffffdeadbeefull;
	vm_exit(EXIT_IO_INSTRUCTION, IO_QUAL(0x504, 4, false, false, false), 1);
	assert_int_equal(dev.nwrites, 1);
	assert_int_equal(dev.offset[0], 4);
	assert_int_equal(dev.size[0], 4);
	assert_int_equal(dev.val[0], 0xdeadbeef);
	v->regs.gpr[RAX] = 0x1234;
	vm_exit(EXIT_IO_INSTRUCTION, IO_QUAL(0x507, 1, false, false, false), 1);
	assert_int_equal(dev.offset[1], 7);
	assert_int_equal(dev.size[1], 1);
	assert_int_equal(dev.val[1], 0x34);
	v->regs.gpr[RAX] = 0x5555555555555555ull;
	vm_exit(EXIT_IO_INSTRUCTION, IO_QUAL(0x506, 2, true, false, false), 2);
	assert_int_equal(dev.nreads, 1);
	assert_int_equal(dev.read_offset, 6);
	assert_int_equal(dev.read_size, 2);
	assert_int_equal(v->regs.gpr[RAX], 0x5555555555550718ull);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 4);
	/* A port access running past the device's end is not the device's. */
	vm_exit(EXIT_IO_INSTRUCTION, IO_QUAL(0x506, 4, false, false, false), 1);
	assert_int_equal(dev.nwrites, 2);
	assert_int_equal(fake_console_count("unclaimed port write 0x506"), 1);
	assert_int_equal(fake_console_count("unclaimed"), 1);
}

/* The VM's own UART: bytes written to COM1's THR become console lines. */
static void test_out_com1_console(void **state)
{
	static const char msg[] = "ok\x1b\n";

	for (unsigned i = 0; i < sizeof(msg) - 1; i++) {
		v->regs.gpr[RAX] = (u8)msg[i];
		vm_exit(EXIT_IO_INSTRUCTION, IO_QUAL(0x3f8, 1, false, false, false), 1);
	}
	assert_int_equal(fake_console_count("t| ok?\n"), 1);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 4);
}

/* REP OUTSB in real mode: DS:SI with a 16-bit address size (SI wraps, the
 * upper bits of RSI and RCX are kept), DS base from the VMCS. */
static void test_rep_outsb_real_mode(void **state)
{
	static struct rec_dev dev;
	static const char text[] = "Hello, Keel";
	u8 wrap[2] = { 0xe1, 0xe2 }, first = 0xe3;

	vmx_caps.ins_outs_info = true;
	dev = (struct rec_dev){ 0 };
	assert_int_equal(io_bus_add(&vm->pio, 0x500, 8, &rec_ops, &dev, "rec"), 0);
	VMCS(GUEST_CR0) = CR0_NE | CR0_ET;
	VMCS(GUEST_CS_AR) = CS_AR_16;
	VMCS(GUEST_DS_BASE) = 0x10000;
	VMCS(GUEST_ES_BASE) = 0x20000;
	VMCS(EXIT_INSTRUCTION_INFO) = (0u << 7) | (3u << 15);	/* a16, DS */
	put_guest(0x10100, text, 11);
	v->regs.gpr[RSI] = 0xdead0000beef0100ull;
	v->regs.gpr[RCX] = 0x123400005678000bull;
	vm_exit(EXIT_IO_INSTRUCTION, IO_QUAL(0x500, 1, false, true, true), 2);
	assert_int_equal(dev.nwrites, 11);
	for (unsigned i = 0; i < 11; i++) {
		assert_int_equal(dev.val[i], (u8)text[i]);
		assert_int_equal(dev.offset[i], 0);
		assert_int_equal(dev.size[i], 1);
	}
	assert_int_equal(v->regs.gpr[RSI], 0xdead0000beef010bull);
	assert_int_equal(v->regs.gpr[RCX], 0x1234000056780000ull);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 2);

	/* SI wraps from 0xffff to 0 inside the segment. */
	put_guest(0x1fffe, wrap, 2);
	put_guest(0x10000, &first, 1);
	dev.nwrites = 0;
	v->regs.gpr[RSI] = 0xfffe;
	v->regs.gpr[RCX] = 3;
	vm_exit(EXIT_IO_INSTRUCTION, IO_QUAL(0x500, 1, false, true, true), 2);
	assert_int_equal(dev.nwrites, 3);
	assert_int_equal(dev.val[0], 0xe1);
	assert_int_equal(dev.val[1], 0xe2);
	assert_int_equal(dev.val[2], 0xe3);
	assert_int_equal(v->regs.gpr[RSI], 1);
	assert_int_equal(v->regs.gpr[RCX], 0);

	/* A segment override (ES) and DF = 1: down from ES:SI. */
	put_guest(0x20100, "abc", 3);
	dev.nwrites = 0;
	VMCS(EXIT_INSTRUCTION_INFO) = 0u << 15;
	VMCS(GUEST_RFLAGS) = 0x2 | RFLAGS_DF;
	v->regs.gpr[RSI] = 0x102;
	v->regs.gpr[RCX] = 3;
	vm_exit(EXIT_IO_INSTRUCTION, IO_QUAL(0x500, 1, false, true, true), 3);
	assert_int_equal(dev.nwrites, 3);
	assert_int_equal(dev.val[0], 'c');
	assert_int_equal(dev.val[1], 'b');
	assert_int_equal(dev.val[2], 'a');
	assert_int_equal(v->regs.gpr[RSI], 0xff);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 7);
	assert_running();
}

/* Without the instruction-information field, the address size comes from
 * CS and the segment is DS; REP INSW from an unclaimed port stores ones. */
static void test_string_io_defaults(void **state)
{
	static struct rec_dev dev;
	u8 mem[6];

	vmx_caps.ins_outs_info = false;
	dev = (struct rec_dev){ 0 };
	assert_int_equal(io_bus_add(&vm->pio, 0x500, 8, &rec_ops, &dev, "rec"), 0);
	VMCS(GUEST_CR0) = CR0_NE | CR0_ET;
	VMCS(GUEST_CS_AR) = CS_AR_16;
	VMCS(GUEST_DS_BASE) = 0x30000;
	VMCS(GUEST_ES_BASE) = 0x40000;
	VMCS(EXIT_INSTRUCTION_INFO) = 0xffffffffu;	/* must not be used */
	put_guest(0x30010, "\x11\x22\x33\x44", 4);
	v->regs.gpr[RSI] = 0x10;
	v->regs.gpr[RCX] = 2;
	vm_exit(EXIT_IO_INSTRUCTION, IO_QUAL(0x504, 2, false, true, true), 2);
	assert_int_equal(dev.nwrites, 2);
	assert_int_equal(dev.val[0], 0x2211);
	assert_int_equal(dev.val[1], 0x4433);
	assert_int_equal(dev.size[1], 2);
	assert_int_equal(dev.offset[1], 4);
	assert_int_equal(v->regs.gpr[RSI], 0x14);

	memset(mem, 0, sizeof(mem));
	put_guest(0x40200, mem, sizeof(mem));
	v->regs.gpr[RDI] = 0x200;
	v->regs.gpr[RCX] = 2;
	vm_exit(EXIT_IO_INSTRUCTION, IO_QUAL(0x1234, 2, true, true, true), 2);
	assert_int_equal(gpa_read(&vm->mem, 0x40200, mem, sizeof(mem)), 0);
	assert_memory_equal(mem, "\xff\xff\xff\xff\x00\x00", 6);
	assert_int_equal(v->regs.gpr[RDI], 0x204);
	assert_int_equal(v->regs.gpr[RCX], 0);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 4);
	/* OUTSB from beyond guest RAM stops the VM. */
	VMCS(GUEST_DS_BASE) = 0x1ffff0;
	v->regs.gpr[RSI] = 0x100;
	vm_exit(EXIT_IO_INSTRUCTION, IO_QUAL(0x504, 1, false, true, false), 1);
	assert_stopped("string I/O on port 0x504 to an unmapped address 0x2000f0");
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 4);
}

/* --- HLT and VMCALL ------------------------------------------------------ */

static void test_hlt(void **state)
{
	VMCS(GUEST_RFLAGS) = 0x202;
	vm_exit(EXIT_HLT, 0, 1);
	assert_int_equal(v->state, VCPU_HALTED);
	assert_int_equal(vm->state, VM_RUNNING);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 1);

	VMCS(GUEST_RIP) = START_RIP;
	v->state = VCPU_RUNNABLE;
	VMCS(GUEST_RFLAGS) = 0x2;
	vm_exit(EXIT_HLT, 0, 1);
	assert_stopped("halted with interrupts disabled");
	assert_int_equal(VMCS(GUEST_RIP), START_RIP);
}

static void test_vmcall_version_and_unknown(void **state)
{
	v->regs.gpr[RAX] = KEEL_HC_VERSION;
	v->regs.gpr[RBX] = 0x77;
	vm_exit(EXIT_VMCALL, 0, 3);
	assert_int_equal(v->regs.gpr[RAX], KEEL_ABI_VERSION);
	assert_int_equal(v->regs.gpr[RBX], 0x77);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 3);
	v->regs.gpr[RAX] = 99;
	vm_exit(EXIT_VMCALL, 0, 3);
	assert_int_equal(v->regs.gpr[RAX], (u64)-ENOSYS);
	v->regs.gpr[RAX] = KEEL_HC_COUNT;
	vm_exit(EXIT_VMCALL, 0, 3);
	assert_int_equal(v->regs.gpr[RAX], (u64)-38);
	v->regs.gpr[RAX] = ~0ull;
	vm_exit(EXIT_VMCALL, 0, 3);
	assert_int_equal(v->regs.gpr[RAX], (u64)-38);
	/* From CPL 3: -EPERM, even for a valid function. */
	VMCS(GUEST_SS_AR) = SS_AR_CPL3;
	v->regs.gpr[RAX] = KEEL_HC_EXIT;
	vm_exit(EXIT_VMCALL, 0, 3);
	assert_int_equal(v->regs.gpr[RAX], (u64)-1);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 15);
	assert_running();
}

static void test_vmcall_console_write(void **state)
{
	static const char text[] = "hi\nthere\x01\n";

	put_guest(0x2000, text, 10);
	v->regs.gpr[RAX] = KEEL_HC_CONSOLE_WRITE;
	v->regs.gpr[RDI] = 0x2000;
	v->regs.gpr[RSI] = 10;
	vm_exit(EXIT_VMCALL, 0, 3);
	assert_int_equal(v->regs.gpr[RAX], 10);
	assert_int_equal(fake_console_count("t| hi\n"), 1);
	assert_int_equal(fake_console_count("t| there?\n"), 1);
	/* Beyond RAM, or longer than allowed: an error, nothing printed. */
	fake_console_reset();
	v->regs.gpr[RAX] = KEEL_HC_CONSOLE_WRITE;
	v->regs.gpr[RDI] = 2 * MiB - 2;
	v->regs.gpr[RSI] = 4;
	vm_exit(EXIT_VMCALL, 0, 3);
	assert_int_equal(v->regs.gpr[RAX], (u64)-EFAULT);
	v->regs.gpr[RAX] = KEEL_HC_CONSOLE_WRITE;
	v->regs.gpr[RDI] = 0x2000;
	v->regs.gpr[RSI] = KEEL_HC_CONSOLE_MAX + 1;
	vm_exit(EXIT_VMCALL, 0, 3);
	assert_int_equal(v->regs.gpr[RAX], (u64)-EINVAL);
	assert_int_equal(fake_console_len, 0);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 9);
}

static void test_vmcall_exit(void **state)
{
	/* A partial console line is flushed before the stop is reported. */
	put_guest(0x2000, "bye", 3);
	v->regs.gpr[RAX] = KEEL_HC_CONSOLE_WRITE;
	v->regs.gpr[RDI] = 0x2000;
	v->regs.gpr[RSI] = 3;
	vm_exit(EXIT_VMCALL, 0, 3);
	assert_int_equal(fake_console_len, 0);
	v->regs.gpr[RAX] = KEEL_HC_EXIT;
	v->regs.gpr[RDI] = 7;
	vm_exit(EXIT_VMCALL, 0, 3);
	assert_stopped("exit code 7");
	assert_true(strstr(fake_console, "t| bye\n") < strstr(fake_console, "stopped: exit code 7"));
	assert_int_equal(v->regs.gpr[RAX], KEEL_HC_EXIT);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 3);
}

/* --- MSRs ------------------------------------------------------------------ */

static void test_rdmsr(void **state)
{
	v->regs.gpr[RCX] = 0xffffffff00000000ull | MSR_IA32_APIC_BASE;	/* ECX only */
	v->regs.gpr[RAX] = v->regs.gpr[RDX] = ~0ull;
	vm_exit(EXIT_RDMSR, 0, 2);
	assert_int_equal(v->regs.gpr[RAX], 0xfee00900);	/* enabled, BSP */
	assert_int_equal(v->regs.gpr[RDX], 0);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 2);
	VMCS(GUEST_IA32_PAT) = 0x0007040600070406ull;
	v->regs.gpr[RCX] = MSR_IA32_PAT;
	vm_exit(EXIT_RDMSR, 0, 2);
	assert_int_equal(v->regs.gpr[RAX], 0x00070406);
	assert_int_equal(v->regs.gpr[RDX], 0x00070406);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 4);
}

static void test_rdmsr_unknown_gp(void **state)
{
	v->regs.gpr[RCX] = 0x1234;
	v->regs.gpr[RAX] = 0x77;
	v->regs.gpr[RDX] = 0x88;
	vm_exit(EXIT_RDMSR, 0, 2);
	assert_gp_injected(GP_PROTECTED);
	assert_int_equal(v->regs.gpr[RAX], 0x77);
	assert_int_equal(v->regs.gpr[RDX], 0x88);
	/* In real mode the #GP has no error code. */
	VMCS(GUEST_CR0) = CR0_NE | CR0_ET;
	vm_exit(EXIT_RDMSR, 0, 2);
	assert_gp_injected(GP_REAL);
	/* A read-only MSR and an unknown one refuse WRMSR the same way. */
	VMCS(GUEST_CR0) = CR0_NE | CR0_PE;
	v->regs.gpr[RCX] = MSR_IA32_FEATURE_CONTROL;
	vm_exit(EXIT_WRMSR, 0, 2);
	assert_gp_injected(GP_PROTECTED);
	v->regs.gpr[RCX] = 0x40000000;
	vm_exit(EXIT_WRMSR, 0, 2);
	assert_gp_injected(GP_PROTECTED);
	assert_int_equal(v->exit_counts[EXIT_RDMSR], 2);
	assert_int_equal(v->exit_counts[EXIT_WRMSR], 2);
}

static void wrmsr_efer(u64 val)
{
	VMCS(GUEST_RIP) = START_RIP;
	v->regs.gpr[RCX] = MSR_IA32_EFER;
	v->regs.gpr[RAX] = 0xabcdef0000000000ull | (u32)val;
	v->regs.gpr[RDX] = 0x1234567800000000ull | (val >> 32);
	vm_exit(EXIT_WRMSR, 0, 2);
}

static void test_wrmsr_efer(void **state)
{
	/* Paging off: LME may change; LMA is the processor's. */
	wrmsr_efer(EFER_SCE | EFER_LME | EFER_NXE);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 2);
	assert_int_equal(VMCS(ENTRY_INTR_INFO), 0);
	assert_int_equal(VMCS(GUEST_IA32_EFER), EFER_SCE | EFER_LME | EFER_NXE);
	wrmsr_efer(EFER_LME | EFER_LMA);
	assert_int_equal(VMCS(GUEST_IA32_EFER), EFER_LME);
	/* Reserved bits: #GP, EFER unchanged. */
	wrmsr_efer(EFER_LME | BIT(1));
	assert_gp_injected(GP_PROTECTED);
	wrmsr_efer(EFER_LME | BIT(32));
	assert_gp_injected(GP_PROTECTED);
	assert_int_equal(VMCS(GUEST_IA32_EFER), EFER_LME);
	/* Paging on in long mode: LME is frozen, LMA kept. */
	VMCS(GUEST_CR0) |= CR0_PG;
	VMCS(GUEST_IA32_EFER) = EFER_LME | EFER_LMA;
	wrmsr_efer(0);
	assert_gp_injected(GP_PROTECTED);
	assert_int_equal(VMCS(GUEST_IA32_EFER), EFER_LME | EFER_LMA);
	wrmsr_efer(EFER_SCE | EFER_LME | EFER_NXE);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 2);
	assert_int_equal(VMCS(GUEST_IA32_EFER), EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE);
	/* RDMSR sees it. */
	v->regs.gpr[RCX] = MSR_IA32_EFER;
	vm_exit(EXIT_RDMSR, 0, 2);
	assert_int_equal(v->regs.gpr[RAX], EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE);
	assert_int_equal(v->regs.gpr[RDX], 0);
}

/* --- control registers and XSETBV --------------------------------------- */

static void mov_to_cr(unsigned cr, unsigned gpr, u64 val)
{
	VMCS(GUEST_RIP) = START_RIP;
	v->regs.gpr[gpr] = val;
	vm_exit(EXIT_CR_ACCESS, CR_QUAL(cr, 0, gpr, 0), 3);
}

static void test_cr0_long_mode(void **state)
{
	VMCS(CR4_READ_SHADOW) = CR4_PAE;
	VMCS(GUEST_CR4) = CR4_PAE | CR4_VMXE;
	VMCS(GUEST_IA32_EFER) = EFER_LME;
	mov_to_cr(0, RBX, CR0_PG | CR0_ET | CR0_PE);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 3);
	assert_int_equal(VMCS(ENTRY_INTR_INFO), 0);
	assert_int_equal(VMCS(GUEST_IA32_EFER), EFER_LME | EFER_LMA);
	assert_int_equal(VMCS(ENTRY_CONTROLS), ENTRY_LOAD_IA32_EFER | ENTRY_IA32E_MODE_GUEST);
	assert_int_equal(v->entry_controls, ENTRY_LOAD_IA32_EFER | ENTRY_IA32E_MODE_GUEST);
	assert_int_equal(VMCS(CR0_READ_SHADOW), CR0_PG | CR0_ET | CR0_PE);
	assert_int_equal(VMCS(GUEST_CR0), CR0_PG | CR0_NE | CR0_ET | CR0_PE);
	/* Paging off leaves IA-32e mode. */
	mov_to_cr(0, RAX, CR0_ET | CR0_PE);
	assert_int_equal(VMCS(GUEST_IA32_EFER), EFER_LME);
	assert_int_equal(VMCS(ENTRY_CONTROLS), ENTRY_LOAD_IA32_EFER);
	assert_int_equal(VMCS(GUEST_CR0), CR0_NE | CR0_ET | CR0_PE);
	/* Without LME, paging is plain paging. */
	VMCS(GUEST_IA32_EFER) = 0;
	mov_to_cr(0, RAX, CR0_PG | CR0_PE);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 3);
	assert_int_equal(VMCS(GUEST_IA32_EFER), 0);
	assert_int_equal(VMCS(ENTRY_CONTROLS), ENTRY_LOAD_IA32_EFER);
	/* PAE set by the guest's own MOV to CR4, which did not exit (PAE is
	 * not a masked bit): the shadow still reads 0, GUEST_CR4 has it. An
	 * AP's trampoline enters long mode so. */
	mov_to_cr(0, RAX, CR0_ET | CR0_PE);
	VMCS(CR4_READ_SHADOW) = 0;
	VMCS(GUEST_CR4) = CR4_PAE | CR4_VMXE;
	VMCS(GUEST_IA32_EFER) = EFER_LME;
	mov_to_cr(0, RBX, CR0_PG | CR0_ET | CR0_PE);
	assert_int_equal(VMCS(ENTRY_INTR_INFO), 0);
	assert_int_equal(VMCS(GUEST_IA32_EFER), EFER_LME | EFER_LMA);
	assert_int_equal(v->entry_controls, ENTRY_LOAD_IA32_EFER | ENTRY_IA32E_MODE_GUEST);
}

static void test_cr0_invalid_gp(void **state)
{
	VMCS(GUEST_IA32_EFER) = EFER_LME;
	VMCS(CR4_READ_SHADOW) = 0;			/* LME without PAE */
	mov_to_cr(0, RAX, CR0_PG | CR0_PE);
	assert_gp_injected(GP_PROTECTED);
	assert_int_equal(VMCS(GUEST_IA32_EFER), EFER_LME);
	assert_int_equal(VMCS(CR0_READ_SHADOW), CR0_ET | CR0_PE);
	assert_int_equal(VMCS(ENTRY_CONTROLS), ENTRY_LOAD_IA32_EFER);
	mov_to_cr(0, RAX, CR0_PG);			/* PG without PE */
	assert_gp_injected(GP_PROTECTED);
	mov_to_cr(0, RAX, CR0_NW | CR0_PE);		/* NW without CD */
	assert_gp_injected(GP_PROTECTED);
	mov_to_cr(0, RAX, BIT(32) | CR0_PE);		/* reserved high bits */
	assert_gp_injected(GP_PROTECTED);
	assert_int_equal(VMCS(CR0_READ_SHADOW), CR0_ET | CR0_PE);
}

static void test_clts_lmsw(void **state)
{
	VMCS(CR0_READ_SHADOW) = CR0_TS | CR0_MP | CR0_PE;
	vm_exit(EXIT_CR_ACCESS, CR_QUAL(0, 2, 0, 0), 2);	/* CLTS */
	assert_int_equal(VMCS(CR0_READ_SHADOW), CR0_MP | CR0_PE);
	/* LMSW sets MP, EM, TS from the source and cannot clear PE. */
	vm_exit(EXIT_CR_ACCESS, CR_QUAL(0, 3, 0, 0x000c), 3);
	assert_int_equal(VMCS(CR0_READ_SHADOW), CR0_TS | CR0_EM | CR0_PE);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 5);
}

static void test_cr4(void **state)
{
	mov_to_cr(4, RAX, CR4_PAE | CR4_VMXE);
	assert_gp_injected(GP_PROTECTED);
	assert_int_equal(VMCS(CR4_READ_SHADOW), 0);
	assert_int_equal(VMCS(GUEST_CR4), CR4_VMXE);
	mov_to_cr(4, RAX, CR4_SMXE);
	assert_gp_injected(GP_PROTECTED);
	mov_to_cr(4, RAX, BIT(22));			/* not in CR4_FIXED1 */
	assert_gp_injected(GP_PROTECTED);
	mov_to_cr(4, RDX, CR4_PAE | CR4_OSXSAVE);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 3);
	assert_int_equal(VMCS(CR4_READ_SHADOW), CR4_PAE | CR4_OSXSAVE);
	assert_int_equal(VMCS(GUEST_CR4), CR4_PAE | CR4_OSXSAVE | CR4_VMXE);
}

static void test_cr8_and_cr3(void **state)
{
	mov_to_cr(8, RSI, 5);
	assert_int_equal(vlapic_tpr_read(&v->lapic), 0x50);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 3);
	v->regs.gpr[RDI] = ~0ull;
	vm_exit(EXIT_CR_ACCESS, CR_QUAL(8, 1, RDI, 0), 3);	/* MOV RDI, CR8 */
	assert_int_equal(v->regs.gpr[RDI], 5);
	mov_to_cr(8, RSI, 16);
	assert_gp_injected(GP_PROTECTED);
	assert_int_equal(vlapic_tpr_read(&v->lapic), 0x50);
	/* CR3 accesses do not exit with EPT: one that does is a surprise. */
	mov_to_cr(3, RAX, 0x1000);
	assert_stopped("unexpected CR3 access (type 0)");
	assert_int_equal(VMCS(GUEST_RIP), START_RIP);
}

static void xsetbv_exit(u64 rcx, u64 val)
{
	VMCS(GUEST_RIP) = START_RIP;
	v->regs.gpr[RCX] = rcx;
	v->regs.gpr[RAX] = 0xffffffff00000000ull | (u32)val;
	v->regs.gpr[RDX] = val >> 32;
	vm_exit(EXIT_XSETBV, 0, 3);
}

static void test_xsetbv(void **state)
{
	static const u64 bad[] = {
		0x6,		/* no x87 */
		0x5,		/* AVX without SSE */
		0x27,		/* part of AVX-512 */
		0x67,
		0xe3,		/* AVX-512 without AVX */
		0x207,		/* PKRU: not in the host's XCR0 */
		BIT(32) | 7,
		0,
	};

	xsetbv_exit(0, 0x7);
	assert_int_equal(VMCS(GUEST_RIP), START_RIP + 3);
	assert_int_equal(fake_xcr0, 0x7);
	assert_int_equal(v->xcr0, 0x7);
	xsetbv_exit(0, 0xe7);
	assert_int_equal(fake_xcr0, 0xe7);
	xsetbv_exit(0, 0x3);
	assert_int_equal(fake_xcr0, 0x3);
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		xsetbv_exit(0, bad[i]);
		assert_gp_injected(GP_PROTECTED);
		assert_int_equal(fake_xcr0, 0x3);
		assert_int_equal(v->xcr0, 0x3);
	}
	xsetbv_exit(1, 0x7);			/* only XCR0 exists */
	assert_gp_injected(GP_PROTECTED);
	VMCS(GUEST_SS_AR) = SS_AR_CPL3;		/* CPL 3 */
	xsetbv_exit(0, 0x7);
	assert_gp_injected(GP_PROTECTED);
	assert_int_equal(fake_xcr0, 0x3);
}

/* --- EPT violations and MMIO --------------------------------------------- */

static void test_ept_violation_unregistered(void **state)
{
	VMCS(GUEST_PHYSICAL_ADDRESS) = 0xd0000000;
	vm_exit(EXIT_EPT_VIOLATION, BIT(1), 0);
	assert_stopped("EPT violation at GPA 0xd0000000 (write) at RIP 0x1000: not RAM or MMIO");
	assert_int_equal(VMCS(GUEST_RIP), START_RIP);
}

static void test_mmio_load(void **state)
{
	static struct rec_dev dev;
	static const u8 mov_eax_mem[] = { 0x8b, 0x05, 0x10, 0x00, 0xd0, 0xfe };

	dev = (struct rec_dev){ .read_value = 0xcafef00d12345678ull };
	assert_int_equal(io_bus_add(&vm->mmio, 0xfed00000, 0x1000, &rec_ops, &dev, "rec"), 0);
	put_guest(0x3000, mov_eax_mem, sizeof(mov_eax_mem));
	VMCS(GUEST_RIP) = 0x3000;
	VMCS(GUEST_PHYSICAL_ADDRESS) = 0xfed00010;
	VMCS(GUEST_INTERRUPTIBILITY) = INTERRUPTIBILITY_STI;
	v->regs.gpr[RAX] = ~0ull;
	vm_exit(EXIT_EPT_VIOLATION, BIT(0), 0);
	assert_running();
	assert_int_equal(dev.nreads, 1);
	assert_int_equal(dev.read_offset, 0x10);
	assert_int_equal(dev.read_size, 4);
	assert_int_equal(v->regs.gpr[RAX], 0x12345678);
	assert_int_equal(VMCS(GUEST_RIP), 0x3006);
	/* The emulated instruction ends STI blocking like a skipped one. */
	assert_int_equal(VMCS(GUEST_INTERRUPTIBILITY), 0);
}

/* A real-mode store (CS base, 16-bit IP) and the VM's test device. */
static void test_mmio_store_real_mode(void **state)
{
	static struct rec_dev dev;
	static const u8 mov_bx_al[] = { 0x88, 0x07 };
	static const u8 mov_imm32[] = { 0xc7, 0x05, 0x00, 0x00, 0xb0, 0xfe, 0x78, 0x56, 0x34, 0x12 };

	dev = (struct rec_dev){ 0 };
	assert_int_equal(io_bus_add(&vm->mmio, 0xfed00000, 0x1000, &rec_ops, &dev, "rec"), 0);
	VMCS(GUEST_CR0) = CR0_NE | CR0_ET;
	VMCS(GUEST_CS_AR) = CS_AR_16;
	VMCS(GUEST_CS_BASE) = 0x10000;
	VMCS(GUEST_RIP) = 0x0100;
	put_guest(0x10100, mov_bx_al, sizeof(mov_bx_al));
	VMCS(GUEST_PHYSICAL_ADDRESS) = 0xfed00abc;
	v->regs.gpr[RAX] = 0x1299;
	vm_exit(EXIT_EPT_VIOLATION, BIT(1), 0);
	assert_running();
	assert_int_equal(dev.nwrites, 1);
	assert_int_equal(dev.offset[0], 0xabc);
	assert_int_equal(dev.size[0], 1);
	assert_int_equal(dev.val[0], 0x99);
	assert_int_equal(VMCS(GUEST_RIP), 0x0102);

	VMCS(GUEST_CR0) = CR0_NE | CR0_ET | CR0_PE;
	VMCS(GUEST_CS_AR) = CS_AR_32;
	VMCS(GUEST_CS_BASE) = 0;
	VMCS(GUEST_RIP) = 0x4000;
	put_guest(0x4000, mov_imm32, sizeof(mov_imm32));
	VMCS(GUEST_PHYSICAL_ADDRESS) = PC_TESTDEV_BASE;
	vm_exit(EXIT_EPT_VIOLATION, BIT(1), 0);
	assert_int_equal(vm->scratch, 0x12345678);
	assert_int_equal(VMCS(GUEST_RIP), 0x400a);
	assert_running();
}

static void test_mmio_failures_stop(void **state)
{
	static struct rec_dev dev;
	static const u8 ud2[] = { 0x0f, 0x0b };

	assert_int_equal(io_bus_add(&vm->mmio, 0xfed00000, 0x1000, &rec_ops, &dev, "rec"), 0);
	/* Executing from MMIO is not emulated. */
	VMCS(GUEST_RIP) = 0xfed00000;
	VMCS(GUEST_PHYSICAL_ADDRESS) = 0xfed00000;
	vm_exit(EXIT_EPT_VIOLATION, BIT(2), 0);
	assert_stopped("EPT violation at GPA 0xfed00000 (fetch) at RIP 0xfed00000: not RAM or MMIO");

	vm->state = VM_RUNNING;
	v->state = VCPU_RUNNABLE;
	put_guest(0x3000, ud2, sizeof(ud2));
	VMCS(GUEST_RIP) = 0x3000;
	VMCS(GUEST_PHYSICAL_ADDRESS) = 0xfed00008;
	vm_exit(EXIT_EPT_VIOLATION, BIT(0), 0);
	assert_int_equal(vm->state, VM_STOPPED);
	assert_non_null(strstr(vm->stop_reason, "cannot emulate MMIO access to GPA 0xfed00008 "
					       "at RIP 0x3000: bytes 0f 0b"));
	assert_int_equal(VMCS(GUEST_RIP), 0x3000);
	assert_int_equal(dev.nreads + dev.nwrites, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_cpuid),
		T(test_unhandled_stops_only_that_vm),
		T(test_unhandled_reports_qualification),
		T(test_entry_failure),
		T(test_interruptibility_on_skip),
		T(test_in_unclaimed),
		T(test_unclaimed_log_is_limited),
		T(test_io_reaches_device),
		T(test_out_com1_console),
		T(test_rep_outsb_real_mode),
		T(test_string_io_defaults),
		T(test_hlt),
		T(test_vmcall_version_and_unknown),
		T(test_vmcall_console_write),
		T(test_vmcall_exit),
		T(test_rdmsr),
		T(test_rdmsr_unknown_gp),
		T(test_wrmsr_efer),
		T(test_cr0_long_mode),
		T(test_cr0_invalid_gp),
		T(test_clts_lmsw),
		T(test_cr4),
		T(test_cr8_and_cr3),
		T(test_xsetbv),
		T(test_ept_violation_unregistered),
		T(test_mmio_load),
		T(test_mmio_store_real_mode),
		T(test_mmio_failures_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
