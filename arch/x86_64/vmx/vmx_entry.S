/*
 * int vmx_run(struct vcpu_regs *regs, bool launched)
 *
 * Saves Keel's callee-saved registers, points HOST_RSP at this stack
 * frame, loads the guest's general registers (not part of the VMCS: SDM
 * Vol 3 28.5 lists what VM exit loads) and enters with
 * VMLAUNCH or VMRESUME. A VM exit lands on vmx_exit_stub with RSP =
 * HOST_RSP, which stores the guest registers back and returns 0 from
 * vmx_run. A failed VMLAUNCH/VMRESUME falls through: 1 for VMfailInvalid
 * (CF), 2 for VMfailValid (ZF, error in VM_INSTRUCTION_ERROR), 31.2.
 *
 * struct vcpu_regs: rax rcx rdx rbx rsp rbp rsi rdi r8..r15 (hardware
 * register numbers 0-15, the rsp slot unused: RSP lives in the VMCS).
 *
 * CR2 is not in the VMCS either, but only the guest changes it: Keel's own
 * code never takes a page fault (its memory is mapped once at boot, and a
 * fault in Keel is fatal). So the guest's CR2 stays in the register across
 * exits, and vmm/core/vcpu_run.c switches it only when another vCPU runs.
 */
#define VMCS_HOST_RSP 0x6c14
#define R(n) (8 * (n))

	.text
	.globl vmx_run
vmx_run:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %rdi			/* regs, found again at exit via HOST_RSP */
	movl $VMCS_HOST_RSP, %eax
	vmwrite %rsp, %rax

	testb %sil, %sil
	movq R(0)(%rdi), %rax
	movq R(1)(%rdi), %rcx
	movq R(2)(%rdi), %rdx
	movq R(3)(%rdi), %rbx
	movq R(5)(%rdi), %rbp
	movq R(6)(%rdi), %rsi
	movq R(8)(%rdi), %r8
	movq R(9)(%rdi), %r9
	movq R(10)(%rdi), %r10
	movq R(11)(%rdi), %r11
	movq R(12)(%rdi), %r12
	movq R(13)(%rdi), %r13
	movq R(14)(%rdi), %r14
	movq R(15)(%rdi), %r15
	movq R(7)(%rdi), %rdi		/* flags from testb survive the moves */
	jnz 2f
	vmlaunch
	jmp 3f
2:	vmresume
3:	/* Entry failed: CF = VMfailInvalid, ZF = VMfailValid. */
	movl $1, %eax
	jc 4f
	movl $2, %eax
4:	popq %rdi
	jmp 5f

	.globl vmx_exit_stub
vmx_exit_stub:
	pushq %rdi
	movq 8(%rsp), %rdi		/* regs */
	movq %rax, R(0)(%rdi)
	movq %rcx, R(1)(%rdi)
	movq %rdx, R(2)(%rdi)
	movq %rbx, R(3)(%rdi)
	movq %rbp, R(5)(%rdi)
	movq %rsi, R(6)(%rdi)
	popq R(7)(%rdi)
	movq %r8, R(8)(%rdi)
	movq %r9, R(9)(%rdi)
	movq %r10, R(10)(%rdi)
	movq %r11, R(11)(%rdi)
	movq %r12, R(12)(%rdi)
	movq %r13, R(13)(%rdi)
	movq %r14, R(14)(%rdi)
	movq %r15, R(15)(%rdi)
	popq %rdi
	xorl %eax, %eax
5:	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

	.section .note.GNU-stack, "", @progbits
