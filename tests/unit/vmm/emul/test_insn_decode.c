/*
 * Host tests for the MMIO instruction decoder and emulator
 * (vmm/emul/insn_decode.c, vmm/emul/insn_emulate.c). The byte sequences were
 * produced by GNU as (.code16/.code32/.code64) and their lengths checked
 * with objdump; the flag reference is the host CPU running the same
 * instruction.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "vmm/emul/insn_decode.h"

#define RAX 0
#define RCX 1
#define RDX 2
#define RBX 3
#define RSI 6
#define R8 8
#define R15 15

#define CF BIT(0)
#define PF BIT(2)
#define AF BIT(4)
#define ZF BIT(6)
#define SF BIT(7)
#define OF BIT(11)
#define STATUS (CF | PF | AF | ZF | SF | OF)

static enum insn_mode mode_of(int bits)
{
	return bits == 16 ? INSN_MODE_16 : bits == 32 ? INSN_MODE_32 : INSN_MODE_64;
}

/* --- decoding: lengths and operands --------------------------------------- */

struct decode_case {
	int mode; /* 16, 32 or 64 */
	const char *text;
	u8 len;
	u8 bytes[INSN_MAX_LEN];
	u8 op, size, reg;
	bool reg_high8;
	u8 reg_size, alu;
	bool has_imm;
	u64 imm;
};

static const struct decode_case decode_cases[] = {
	{ 64, "mov (%rdi),%eax", 2, { 0x8b, 0x07 },
	  INSN_MOV_LOAD, 4, 0, false, 4, 0, false, 0 },
	{ 64, "mov %eax,(%rdi)", 2, { 0x89, 0x07 },
	  INSN_MOV_STORE, 4, 0, false, 4, 0, false, 0 },
	{ 64, "mov (%rsi),%al", 2, { 0x8a, 0x06 },
	  INSN_MOV_LOAD, 1, 0, false, 1, 0, false, 0 },
	{ 64, "mov (%rsi),%ah", 2, { 0x8a, 0x26 },
	  INSN_MOV_LOAD, 1, 0, true, 1, 0, false, 0 },
	{ 64, "mov %bh,0x10(%rdx)", 3, { 0x88, 0x7a, 0x10 },
	  INSN_MOV_STORE, 1, 3, true, 1, 0, false, 0 },
	{ 64, "mov (%rsi),%sil", 3, { 0x40, 0x8a, 0x36 },
	  INSN_MOV_LOAD, 1, 6, false, 1, 0, false, 0 },
	{ 64, "mov %spl,(%rax)", 3, { 0x40, 0x88, 0x20 },
	  INSN_MOV_STORE, 1, 4, false, 1, 0, false, 0 },
	{ 64, "mov (%rax),%r8b", 3, { 0x44, 0x8a, 0x00 },
	  INSN_MOV_LOAD, 1, 8, false, 1, 0, false, 0 },
	{ 64, "mov 0x12345678(%rax,%rbx,4),%r15", 8, { 0x4c, 0x8b, 0xbc, 0x98, 0x78, 0x56, 0x34, 0x12 },
	  INSN_MOV_LOAD, 8, 15, false, 8, 0, false, 0 },
	{ 64, "mov %ax,(%rbx)", 3, { 0x66, 0x89, 0x03 },
	  INSN_MOV_STORE, 2, 0, false, 2, 0, false, 0 },
	{ 64, "mov %r10w,(%r11)", 4, { 0x66, 0x45, 0x89, 0x13 },
	  INSN_MOV_STORE, 2, 10, false, 2, 0, false, 0 },
	{ 64, "mov (%rax),%r12d", 3, { 0x44, 0x8b, 0x20 },
	  INSN_MOV_LOAD, 4, 12, false, 4, 0, false, 0 },
	{ 64, "mov 0x1000(%rax),%eax", 6, { 0x8b, 0x80, 0x00, 0x10, 0x00, 0x00 },
	  INSN_MOV_LOAD, 4, 0, false, 4, 0, false, 0 },
	{ 64, "mov (%r13),%eax", 4, { 0x41, 0x8b, 0x45, 0x00 },
	  INSN_MOV_LOAD, 4, 0, false, 4, 0, false, 0 },
	{ 64, "mov (%rbp),%eax", 3, { 0x8b, 0x45, 0x00 },
	  INSN_MOV_LOAD, 4, 0, false, 4, 0, false, 0 },
	{ 64, "mov (%rsp),%edx", 3, { 0x8b, 0x14, 0x24 },
	  INSN_MOV_LOAD, 4, 2, false, 4, 0, false, 0 },
	{ 64, "mov (%r12),%edx", 4, { 0x41, 0x8b, 0x14, 0x24 },
	  INSN_MOV_LOAD, 4, 2, false, 4, 0, false, 0 },
	{ 64, "mov 0x0(,%rax,8),%ecx", 7, { 0x8b, 0x0c, 0xc5, 0x00, 0x00, 0x00, 0x00 },
	  INSN_MOV_LOAD, 4, 1, false, 4, 0, false, 0 },
	{ 64, "mov 0x12345678,%eax", 7, { 0x8b, 0x04, 0x25, 0x78, 0x56, 0x34, 0x12 },
	  INSN_MOV_LOAD, 4, 0, false, 4, 0, false, 0 },
	{ 64, "mov 0x100(%rip),%ecx", 6, { 0x8b, 0x0d, 0x00, 0x01, 0x00, 0x00 },
	  INSN_MOV_LOAD, 4, 1, false, 4, 0, false, 0 },
	{ 64, "mov 0x10(%eax),%eax", 4, { 0x67, 0x8b, 0x40, 0x10 },
	  INSN_MOV_LOAD, 4, 0, false, 4, 0, false, 0 },
	{ 64, "mov 0x10(%eip),%eax", 7, { 0x67, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00 },
	  INSN_MOV_LOAD, 4, 0, false, 4, 0, false, 0 },
	{ 64, "mov (%r13,%r12,1),%eax", 5, { 0x43, 0x8b, 0x44, 0x25, 0x00 },
	  INSN_MOV_LOAD, 4, 0, false, 4, 0, false, 0 },
	{ 64, "movw $0x1234,(%rdi)", 5, { 0x66, 0xc7, 0x07, 0x34, 0x12 },
	  INSN_MOV_STORE_IMM, 2, 0, false, 2, 0, true, 0x1234 },
	{ 64, "movl $0xdeadbeef,0x100(%rip)", 10, { 0xc7, 0x05, 0x00, 0x01, 0x00, 0x00, 0xef, 0xbe, 0xad, 0xde },
	  INSN_MOV_STORE_IMM, 4, 0, false, 4, 0, true, 0xdeadbeef },
	{ 64, "movq $-1,(%rax)", 7, { 0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0xff },
	  INSN_MOV_STORE_IMM, 8, 0, false, 8, 0, true, 0xffffffffffffffff },
	{ 64, "movq $0x7fffffff,(%rax)", 7, { 0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0x7f },
	  INSN_MOV_STORE_IMM, 8, 0, false, 8, 0, true, 0x7fffffff },
	{ 64, "movb $0x5a,(%r12)", 5, { 0x41, 0xc6, 0x04, 0x24, 0x5a },
	  INSN_MOV_STORE_IMM, 1, 0, false, 1, 0, true, 0x5a },
	{ 64, "movl $1,-8(%rbp,%r12,2)", 9, { 0x42, 0xc7, 0x44, 0x65, 0xf8, 0x01, 0x00, 0x00, 0x00 },
	  INSN_MOV_STORE_IMM, 4, 0, false, 4, 0, true, 0x1 },
	{ 64, "movabs 0x1122334455667788,%al", 9, { 0xa0, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 },
	  INSN_MOV_LOAD, 1, 0, false, 1, 0, false, 0 },
	{ 64, "movabs %rax,0x1122334455667788", 10, { 0x48, 0xa3, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 },
	  INSN_MOV_STORE, 8, 0, false, 8, 0, false, 0 },
	{ 64, "addr32 mov 0x12345678,%eax", 6, { 0x67, 0xa1, 0x78, 0x56, 0x34, 0x12 },
	  INSN_MOV_LOAD, 4, 0, false, 4, 0, false, 0 },
	{ 64, "movabs %ax,0x1122334455667788", 10, { 0x66, 0xa3, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 },
	  INSN_MOV_STORE, 2, 0, false, 2, 0, false, 0 },
	{ 64, "movzbl (%rdi),%eax", 3, { 0x0f, 0xb6, 0x07 },
	  INSN_MOVZX, 1, 0, false, 4, 0, false, 0 },
	{ 64, "movzwl (%rdi),%ecx", 3, { 0x0f, 0xb7, 0x0f },
	  INSN_MOVZX, 2, 1, false, 4, 0, false, 0 },
	{ 64, "movzbq (%rdi),%r9", 4, { 0x4c, 0x0f, 0xb6, 0x0f },
	  INSN_MOVZX, 1, 9, false, 8, 0, false, 0 },
	{ 64, "movzbw (%rdi),%dx", 4, { 0x66, 0x0f, 0xb6, 0x17 },
	  INSN_MOVZX, 1, 2, false, 2, 0, false, 0 },
	{ 64, "movsbl (%rdi),%eax", 3, { 0x0f, 0xbe, 0x07 },
	  INSN_MOVSX, 1, 0, false, 4, 0, false, 0 },
	{ 64, "movswq 4(%rdi),%rsi", 5, { 0x48, 0x0f, 0xbf, 0x77, 0x04 },
	  INSN_MOVSX, 2, 6, false, 8, 0, false, 0 },
	{ 64, "movslq (%rdi),%rax", 3, { 0x48, 0x63, 0x07 },
	  INSN_MOVSX, 4, 0, false, 8, 0, false, 0 },
	{ 64, "movsxd (%rdi),%eax: no REX.W, a plain 32-bit load", 2, { 0x63, 0x07 },
	  INSN_MOVSX, 4, 0, false, 4, 0, false, 0 },
	{ 64, "movsxd (%rdi),%ax: 66, a 16-bit load", 3, { 0x66, 0x63, 0x07 },
	  INSN_MOVSX, 2, 0, false, 2, 0, false, 0 },
	{ 64, "add %eax,(%rdi)", 2, { 0x01, 0x07 },
	  INSN_ALU, 4, 0, false, 4, INSN_ALU_ADD, false, 0 },
	{ 64, "or %cl,(%rdi)", 2, { 0x08, 0x0f },
	  INSN_ALU, 1, 1, false, 1, INSN_ALU_OR, false, 0 },
	{ 64, "adc %dh,(%rdi)", 2, { 0x10, 0x37 },
	  INSN_ALU, 1, 2, true, 1, INSN_ALU_ADC, false, 0 },
	{ 64, "sbb %rbx,8(%rdi)", 4, { 0x48, 0x19, 0x5f, 0x08 },
	  INSN_ALU, 8, 3, false, 8, INSN_ALU_SBB, false, 0 },
	{ 64, "and (%rdi),%edx", 2, { 0x23, 0x17 },
	  INSN_ALU_LOAD, 4, 2, false, 4, INSN_ALU_AND, false, 0 },
	{ 64, "sub (%rdi),%r9", 3, { 0x4c, 0x2b, 0x0f },
	  INSN_ALU_LOAD, 8, 9, false, 8, INSN_ALU_SUB, false, 0 },
	{ 64, "xor %ax,(%rdi)", 3, { 0x66, 0x31, 0x07 },
	  INSN_ALU, 2, 0, false, 2, INSN_ALU_XOR, false, 0 },
	{ 64, "cmp %eax,(%rdi)", 2, { 0x39, 0x07 },
	  INSN_ALU, 4, 0, false, 4, INSN_ALU_CMP, false, 0 },
	{ 64, "cmp (%rdi),%r14b", 3, { 0x44, 0x3a, 0x37 },
	  INSN_ALU_LOAD, 1, 14, false, 1, INSN_ALU_CMP, false, 0 },
	{ 64, "orl $0x80000000,0x10(%rdi)", 7, { 0x81, 0x4f, 0x10, 0x00, 0x00, 0x00, 0x80 },
	  INSN_ALU, 4, 0, false, 4, INSN_ALU_OR, true, 0x80000000 },
	{ 64, "andl $-2,(%rdi)", 3, { 0x83, 0x27, 0xfe },
	  INSN_ALU, 4, 0, false, 4, INSN_ALU_AND, true, 0xfffffffe },
	{ 64, "andq $-2,(%rdi)", 4, { 0x48, 0x83, 0x27, 0xfe },
	  INSN_ALU, 8, 0, false, 8, INSN_ALU_AND, true, 0xfffffffffffffffe },
	{ 64, "orb $1,(%rdi)", 3, { 0x80, 0x0f, 0x01 },
	  INSN_ALU, 1, 0, false, 1, INSN_ALU_OR, true, 0x1 },
	{ 64, "cmpw $0x10,(%rdi)", 4, { 0x66, 0x83, 0x3f, 0x10 },
	  INSN_ALU, 2, 0, false, 2, INSN_ALU_CMP, true, 0x10 },
	{ 64, "addq $0x12345678,(%rax)", 7, { 0x48, 0x81, 0x00, 0x78, 0x56, 0x34, 0x12 },
	  INSN_ALU, 8, 0, false, 8, INSN_ALU_ADD, true, 0x12345678 },
	{ 64, "subq $-0x80000000,(%rax)", 7, { 0x48, 0x81, 0x28, 0x00, 0x00, 0x00, 0x80 },
	  INSN_ALU, 8, 0, false, 8, INSN_ALU_SUB, true, 0xffffffff80000000 },
	{ 64, "xorw $0x8001,(%rax)", 5, { 0x66, 0x81, 0x30, 0x01, 0x80 },
	  INSN_ALU, 2, 0, false, 2, INSN_ALU_XOR, true, 0x8001 },
	{ 64, "test %eax,(%rdi)", 2, { 0x85, 0x07 },
	  INSN_TEST, 4, 0, false, 4, 0, false, 0 },
	{ 64, "test %bl,(%rdi)", 2, { 0x84, 0x1f },
	  INSN_TEST, 1, 3, false, 1, 0, false, 0 },
	{ 64, "testb $0x80,(%rdi)", 3, { 0xf6, 0x07, 0x80 },
	  INSN_TEST, 1, 0, false, 1, 0, true, 0x80 },
	{ 64, "testl $0x100,4(%rdi)", 7, { 0xf7, 0x47, 0x04, 0x00, 0x01, 0x00, 0x00 },
	  INSN_TEST, 4, 0, false, 4, 0, true, 0x100 },
	{ 64, "testq $-1,(%rdi)", 7, { 0x48, 0xf7, 0x07, 0xff, 0xff, 0xff, 0xff },
	  INSN_TEST, 8, 0, false, 8, 0, true, 0xffffffffffffffff },
	{ 64, "lock orl $1,(%rdi)", 4, { 0xf0, 0x83, 0x0f, 0x01 },
	  INSN_ALU, 4, 0, false, 4, INSN_ALU_OR, true, 0x1 },
	{ 64, "fs mov (%rax),%eax", 3, { 0x64, 0x8b, 0x00 },
	  INSN_MOV_LOAD, 4, 0, false, 4, 0, false, 0 },
	{ 64, "xrelease mov %eax,(%rdi)", 3, { 0xf3, 0x89, 0x07 },
	  INSN_MOV_STORE, 4, 0, false, 4, 0, false, 0 },
	{ 64, "xrelease movl $1,(%rdi)", 7, { 0xf3, 0xc7, 0x07, 0x01, 0x00, 0x00, 0x00 },
	  INSN_MOV_STORE_IMM, 4, 0, false, 4, 0, true, 0x1 },
	{ 64, "xacquire lock add %eax,(%rdi)", 4, { 0xf2, 0xf0, 0x01, 0x07 },
	  INSN_ALU, 4, 0, false, 4, INSN_ALU_ADD, false, 0 },
	{ 64, "xrelease lock subq $1,(%rdi)", 6, { 0xf3, 0xf0, 0x48, 0x83, 0x2f, 0x01 },
	  INSN_ALU, 8, 0, false, 8, INSN_ALU_SUB, true, 0x1 },
	{ 64, "rex.W data16 mov: a REX before 66 is ignored", 4, { 0x48, 0x66, 0x89, 0x07 },
	  INSN_MOV_STORE, 2, 0, false, 2, 0, false, 0 },
	{ 64, "data16 rex.W mov: REX.W beats 66", 4, { 0x66, 0x48, 0x89, 0x07 },
	  INSN_MOV_STORE, 8, 0, false, 8, 0, false, 0 },
	{ 64, "rex.B rex.W mov: only the last REX counts", 4, { 0x41, 0x48, 0x89, 0x07 },
	  INSN_MOV_STORE, 8, 0, false, 8, 0, false, 0 },
	{ 64, "rex.R rex.W mov %spl: REX.R lost, still SPL", 4, { 0x44, 0x48, 0x88, 0x27 },
	  INSN_MOV_STORE, 1, 4, false, 1, 0, false, 0 },
	{ 64, "13 x data16, mov %ax,(%rdi): exactly 15 bytes", 15, { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x89, 0x07 },
	  INSN_MOV_STORE, 2, 0, false, 2, 0, false, 0 },
	{ 32, "mov (%eax),%eax", 2, { 0x8b, 0x00 },
	  INSN_MOV_LOAD, 4, 0, false, 4, 0, false, 0 },
	{ 32, "mov %ax,0x10(%ebx)", 4, { 0x66, 0x89, 0x43, 0x10 },
	  INSN_MOV_STORE, 2, 0, false, 2, 0, false, 0 },
	{ 32, "mov 0x12345678,%eax", 5, { 0xa1, 0x78, 0x56, 0x34, 0x12 },
	  INSN_MOV_LOAD, 4, 0, false, 4, 0, false, 0 },
	{ 32, "addr16 mov 0x1234,%al", 4, { 0x67, 0xa0, 0x34, 0x12 },
	  INSN_MOV_LOAD, 1, 0, false, 1, 0, false, 0 },
	{ 32, "mov %eax,0x12345678", 5, { 0xa3, 0x78, 0x56, 0x34, 0x12 },
	  INSN_MOV_STORE, 4, 0, false, 4, 0, false, 0 },
	{ 32, "mov 0x10(%bx,%si),%eax", 4, { 0x67, 0x8b, 0x40, 0x10 },
	  INSN_MOV_LOAD, 4, 0, false, 4, 0, false, 0 },
	{ 32, "mov (%bp),%eax", 4, { 0x67, 0x8b, 0x46, 0x00 },
	  INSN_MOV_LOAD, 4, 0, false, 4, 0, false, 0 },
	{ 32, "addr16 mov 0x1234(%bp,%di),%ecx", 5, { 0x67, 0x8b, 0x8b, 0x34, 0x12 },
	  INSN_MOV_LOAD, 4, 1, false, 4, 0, false, 0 },
	{ 32, "addr16 mov 0x1234,%ecx: ModRM rm=6 mod=0 is disp16", 5, { 0x67, 0x8b, 0x0e, 0x34, 0x12 },
	  INSN_MOV_LOAD, 4, 1, false, 4, 0, false, 0 },
	{ 32, "movl $1,0x12345678(,%eax,4)", 11, { 0xc7, 0x04, 0x85, 0x78, 0x56, 0x34, 0x12, 0x01, 0x00, 0x00, 0x00 },
	  INSN_MOV_STORE_IMM, 4, 0, false, 4, 0, true, 0x1 },
	{ 32, "mov 0x12345678(%ebp),%edi", 6, { 0x8b, 0xbd, 0x78, 0x56, 0x34, 0x12 },
	  INSN_MOV_LOAD, 4, 7, false, 4, 0, false, 0 },
	{ 32, "mov (%ebp),%edi", 3, { 0x8b, 0x7d, 0x00 },
	  INSN_MOV_LOAD, 4, 7, false, 4, 0, false, 0 },
	{ 32, "orb $1,(%eax) as 82 /1 ib (an alias of 80 outside 64-bit mode)", 3, { 0x82, 0x08, 0x01 },
	  INSN_ALU, 1, 0, false, 1, INSN_ALU_OR, true, 0x1 },
	{ 32, "movzbw (%eax),%ax", 4, { 0x66, 0x0f, 0xb6, 0x00 },
	  INSN_MOVZX, 1, 0, false, 2, 0, false, 0 },
	{ 32, "mov %dh,(%eax)", 2, { 0x88, 0x30 },
	  INSN_MOV_STORE, 1, 2, true, 1, 0, false, 0 },
	{ 32, "cmpl $5,(%eax)", 3, { 0x83, 0x38, 0x05 },
	  INSN_ALU, 4, 0, false, 4, INSN_ALU_CMP, true, 0x5 },
	{ 32, "movw $0xbeef,(%esi)", 5, { 0x66, 0xc7, 0x06, 0xef, 0xbe },
	  INSN_MOV_STORE_IMM, 2, 0, false, 2, 0, true, 0xbeef },
	{ 32, "sub (%esp),%ch", 3, { 0x2a, 0x2c, 0x24 },
	  INSN_ALU_LOAD, 1, 1, true, 1, INSN_ALU_SUB, false, 0 },
	{ 16, "mov (%bx),%ax", 2, { 0x8b, 0x07 },
	  INSN_MOV_LOAD, 2, 0, false, 2, 0, false, 0 },
	{ 16, "mov %al,(%si)", 2, { 0x88, 0x04 },
	  INSN_MOV_STORE, 1, 0, false, 1, 0, false, 0 },
	{ 16, "mov 0x1234,%ax", 3, { 0xa1, 0x34, 0x12 },
	  INSN_MOV_LOAD, 2, 0, false, 2, 0, false, 0 },
	{ 16, "addr32 mov 0x12345678,%ax", 6, { 0x67, 0xa1, 0x78, 0x56, 0x34, 0x12 },
	  INSN_MOV_LOAD, 2, 0, false, 2, 0, false, 0 },
	{ 16, "mov 0x1234(%bx,%di),%cx", 4, { 0x8b, 0x89, 0x34, 0x12 },
	  INSN_MOV_LOAD, 2, 1, false, 2, 0, false, 0 },
	{ 16, "mov (%bp),%dx", 3, { 0x8b, 0x56, 0x00 },
	  INSN_MOV_LOAD, 2, 2, false, 2, 0, false, 0 },
	{ 16, "mov 0x10(%bp,%si),%bl", 3, { 0x8a, 0x5a, 0x10 },
	  INSN_MOV_LOAD, 1, 3, false, 1, 0, false, 0 },
	{ 16, "mov %eax,0x10(%bx)", 4, { 0x66, 0x89, 0x47, 0x10 },
	  INSN_MOV_STORE, 4, 0, false, 4, 0, false, 0 },
	{ 16, "mov (%eax),%ax", 3, { 0x67, 0x8b, 0x00 },
	  INSN_MOV_LOAD, 2, 0, false, 2, 0, false, 0 },
	{ 16, "mov 0x10(%eax,%ebx,2),%ax", 5, { 0x67, 0x8b, 0x44, 0x58, 0x10 },
	  INSN_MOV_LOAD, 2, 0, false, 2, 0, false, 0 },
	{ 16, "mov 0x12345678(,%ecx,4),%ax", 8, { 0x67, 0x8b, 0x04, 0x8d, 0x78, 0x56, 0x34, 0x12 },
	  INSN_MOV_LOAD, 2, 0, false, 2, 0, false, 0 },
	{ 16, "movw $0x1234,(%di)", 4, { 0xc7, 0x05, 0x34, 0x12 },
	  INSN_MOV_STORE_IMM, 2, 0, false, 2, 0, true, 0x1234 },
	{ 16, "movl $0x12345678,(%di)", 7, { 0x66, 0xc7, 0x05, 0x78, 0x56, 0x34, 0x12 },
	  INSN_MOV_STORE_IMM, 4, 0, false, 4, 0, true, 0x12345678 },
	{ 16, "movb $0x12,0x1234", 5, { 0xc6, 0x06, 0x34, 0x12, 0x12 },
	  INSN_MOV_STORE_IMM, 1, 0, false, 1, 0, true, 0x12 },
	{ 16, "andw $0xfff0,(%bx)", 3, { 0x83, 0x27, 0xf0 },
	  INSN_ALU, 2, 0, false, 2, INSN_ALU_AND, true, 0xfff0 },
	{ 16, "orl $0xffffff80,(%bx)", 4, { 0x66, 0x83, 0x0f, 0x80 },
	  INSN_ALU, 4, 0, false, 4, INSN_ALU_OR, true, 0xffffff80 },
	{ 16, "testb $1,3(%bx)", 4, { 0xf6, 0x47, 0x03, 0x01 },
	  INSN_TEST, 1, 0, false, 1, 0, true, 0x1 },
	{ 16, "movzbw (%bx),%ax", 3, { 0x0f, 0xb6, 0x07 },
	  INSN_MOVZX, 1, 0, false, 2, 0, false, 0 },
	{ 16, "movsbl (%bx),%eax", 4, { 0x66, 0x0f, 0xbe, 0x07 },
	  INSN_MOVSX, 1, 0, false, 4, 0, false, 0 },
	{ 16, "add (%si),%ah", 2, { 0x02, 0x24 },
	  INSN_ALU_LOAD, 1, 0, true, 1, INSN_ALU_ADD, false, 0 },
};

static u8 expected_access(const struct decode_case *t)
{
	if (t->op == INSN_MOV_STORE || t->op == INSN_MOV_STORE_IMM)
		return INSN_ACCESS_WRITE;
	if (t->op == INSN_ALU && t->alu != INSN_ALU_CMP)
		return INSN_ACCESS_READ | INSN_ACCESS_WRITE;
	return INSN_ACCESS_READ;
}

static void check_case(const struct decode_case *t, unsigned avail)
{
	u8 buf[32];
	struct insn in;
	int err;

	memset(buf, 0xcc, sizeof(buf)); /* INT3s after the instruction */
	memcpy(buf, t->bytes, t->len);
	err = insn_decode(buf, avail, mode_of(t->mode), &in);
	if (err)
		fail_msg("%d-bit \"%s\": error %d", t->mode, t->text, err);
	if (in.len != t->len || in.op != t->op || in.size != t->size ||
	    in.reg != t->reg || in.reg_high8 != t->reg_high8 ||
	    in.reg_size != t->reg_size || in.alu != t->alu ||
	    in.has_imm != t->has_imm || in.imm != t->imm ||
	    in.access != expected_access(t))
		fail_msg("%d-bit \"%s\": len %u op %u size %u reg %u%s rsize %u "
			 "alu %u imm %d/%#llx access %u", t->mode, t->text,
			 in.len, in.op, in.size, in.reg, in.reg_high8 ? "h" : "",
			 in.reg_size, in.alu, in.has_imm,
			 (unsigned long long)in.imm, in.access);
}

static void test_decode_table(void **state)
{
	for (unsigned i = 0; i < ARRAY_SIZE(decode_cases); i++)
		check_case(&decode_cases[i], decode_cases[i].len);
}

/* More bytes than the instruction needs must not change the answer. */
static void test_decode_ignores_trailing_bytes(void **state)
{
	for (unsigned i = 0; i < ARRAY_SIZE(decode_cases); i++)
		check_case(&decode_cases[i], 32);
}

/* Every strict prefix of every instruction is truncated. */
static void test_decode_truncated(void **state)
{
	for (unsigned i = 0; i < ARRAY_SIZE(decode_cases); i++) {
		const struct decode_case *t = &decode_cases[i];

		for (unsigned n = 0; n < t->len; n++) {
			struct insn in;
			int err = insn_decode(t->bytes, n, mode_of(t->mode), &in);

			if (err != -EINVAL)
				fail_msg("\"%s\" cut to %u bytes: %d", t->text, n, err);
		}
	}
}

static void test_decode_address_size(void **state)
{
	static const struct { int mode; u8 len; u8 bytes[6]; u8 addr_size; } t[] = {
		{ 16, 2, { 0x8b, 0x07 }, 2 },
		{ 16, 3, { 0x67, 0x8b, 0x00 }, 4 },
		{ 32, 2, { 0x8b, 0x00 }, 4 },
		{ 32, 3, { 0x67, 0x8b, 0x07 }, 2 },
		{ 64, 2, { 0x8b, 0x07 }, 8 },
		{ 64, 3, { 0x67, 0x8b, 0x07 }, 4 },
	};
	struct insn in;

	for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
		assert_int_equal(insn_decode(t[i].bytes, t[i].len,
					     mode_of(t[i].mode), &in), 0);
		assert_int_equal(in.addr_size, t[i].addr_size);
	}
}

/* SDM Vol 2, 2.3.11: 15 bytes at most, whatever the caller fetched. */
static void test_decode_too_long(void **state)
{
	u8 buf[32];
	struct insn in;

	memset(buf, 0x66, sizeof(buf));
	buf[14] = 0x89; /* 14 prefixes + 89 07 = 16 bytes */
	buf[15] = 0x07;
	assert_int_equal(insn_decode(buf, sizeof(buf), INSN_MODE_64, &in), -EINVAL);
	assert_int_equal(insn_decode(buf + 1, 15, INSN_MODE_64, &in), 0);
	assert_int_equal(in.len, 15);

	/* 11 prefixes + C7 07 iw: the immediate ends at byte 15, 12 do not fit. */
	memset(buf, 0x66, sizeof(buf));
	memcpy(buf + 12, (u8[]){ 0xc7, 0x07, 0x34, 0x12 }, 4);
	assert_int_equal(insn_decode(buf, 16, INSN_MODE_64, &in), -EINVAL);
	assert_int_equal(insn_decode(buf + 1, 15, INSN_MODE_64, &in), 0);
	assert_int_equal(in.len, 15);
	assert_int_equal(in.imm, 0x1234);

	/* Nothing but prefixes. */
	memset(buf, 0x2e, sizeof(buf));
	assert_int_equal(insn_decode(buf, sizeof(buf), INSN_MODE_32, &in), -EINVAL);
}

struct bytes_case {
	int mode;
	const char *text;
	u8 len;
	u8 bytes[8];
};

/* Forms whose r/m is a register (mod=3): nothing to emulate. */
static const struct bytes_case register_forms[] = {
	{ 64, "mov %eax,%ecx", 2, { 0x89, 0xc1 } },
	{ 64, "mov %ecx,%eax (8B)", 2, { 0x8b, 0xc1 } },
	{ 64, "add %eax,%eax", 2, { 0x01, 0xc0 } },
	{ 64, "add $1,%eax (81)", 6, { 0x81, 0xc0, 0x01, 0, 0, 0 } },
	{ 64, "mov $1,%eax (C7)", 6, { 0xc7, 0xc0, 0x01, 0, 0, 0 } },
	{ 64, "movzbl %al,%eax", 3, { 0x0f, 0xb6, 0xc0 } },
	{ 64, "test $1,%al", 3, { 0xf6, 0xc0, 0x01 } },
	{ 64, "movslq %eax,%rax", 3, { 0x48, 0x63, 0xc0 } },
	{ 16, "mov %ax,%bx", 2, { 0x89, 0xc3 } },
};

static const struct bytes_case unsupported[] = {
	{ 64, "nop", 1, { 0x90 } },
	{ 64, "incl (%rax)", 2, { 0xff, 0x00 } },
	{ 64, "xchg %eax,(%rdi)", 2, { 0x87, 0x07 } },
	{ 64, "movsb", 1, { 0xa4 } },
	{ 64, "rep movsl", 2, { 0xf3, 0xa5 } },
	{ 64, "stos %eax", 1, { 0xab } },
	{ 64, "notl (%rax)", 2, { 0xf7, 0x10 } },
	{ 64, "F7 /1 (no documented TEST alias)", 6, { 0xf7, 0x08, 1, 0, 0, 0 } },
	{ 64, "C6 /1", 3, { 0xc6, 0x08, 0x01 } },
	{ 64, "add $1,%al (no ModRM)", 2, { 0x04, 0x01 } },
	{ 64, "82 /0 (invalid in 64-bit mode)", 3, { 0x82, 0x00, 0x01 } },
	{ 32, "arpl (63 outside 64-bit mode)", 2, { 0x63, 0x07 } },
	{ 32, "inc %eax (40, not REX)", 3, { 0x40, 0x8b, 0x07 } },
	{ 64, "ud2", 2, { 0x0f, 0x0b } },
	{ 64, "movnti %eax,(%rdi)", 3, { 0x0f, 0xc3, 0x07 } },
	{ 64, "vmovdqu (%rdi),%ymm0", 4, { 0xc5, 0xfe, 0x6f, 0x07 } },
	{ 64, "repne mov %eax,(%rdi)", 3, { 0xf2, 0x89, 0x07 } },
	{ 64, "rep mov (%rdi),%eax", 3, { 0xf3, 0x8b, 0x07 } },
	{ 64, "xrelease add without lock", 3, { 0xf3, 0x01, 0x07 } },
	{ 64, "xacquire lock cmp", 4, { 0xf2, 0xf0, 0x39, 0x07 } },
	{ 64, "repne movzbl", 4, { 0xf2, 0x0f, 0xb6, 0x07 } },
	{ 64, "xrelease moffs store (not an HLE form)", 10,
	  { 0xf3, 0xa3, 0, 0, 0, 0, 0, 0 } },
};

static void expect_error(const struct bytes_case *t, int expected)
{
	u8 buf[16] = { 0 };
	struct insn in;
	int err;

	memcpy(buf, t->bytes, sizeof(t->bytes));
	err = insn_decode(buf, t->len, mode_of(t->mode), &in);
	if (err != expected)
		fail_msg("%d-bit \"%s\": got %d, want %d", t->mode, t->text, err, expected);
}

static void test_decode_register_operand(void **state)
{
	for (unsigned i = 0; i < ARRAY_SIZE(register_forms); i++)
		expect_error(&register_forms[i], -EINVAL);
}

static void test_decode_unsupported(void **state)
{
	for (unsigned i = 0; i < ARRAY_SIZE(unsupported); i++)
		expect_error(&unsupported[i], -ENOTSUP);
}

static void test_decode_bad_arguments(void **state)
{
	const u8 mov[] = { 0x8b, 0x07 };
	struct insn in;

	assert_int_equal(insn_decode(NULL, 2, INSN_MODE_64, &in), -EINVAL);
	assert_int_equal(insn_decode(mov, 2, INSN_MODE_64, NULL), -EINVAL);
	assert_int_equal(insn_decode(mov, 2, (enum insn_mode)3, &in), -EINVAL);
	assert_int_equal(insn_decode(mov, 0, INSN_MODE_64, &in), -EINVAL);
}

/* --- emulation --------------------------------------------------------------- */

/* One MMIO location: reads return value; the last write is recorded. */
struct fake_mmio {
	u64 value;
	unsigned reads, writes, read_size, write_size;
	u64 written;
};

static u64 fake_read(void *ctx, unsigned size)
{
	struct fake_mmio *m = ctx;

	m->reads++;
	m->read_size = size;
	return m->value; /* deliberately unmasked: the emulator must mask */
}

static void fake_write(void *ctx, unsigned size, u64 val)
{
	struct fake_mmio *m = ctx;

	m->writes++;
	m->write_size = size;
	m->written = val;
}

/* Decode the bytes (which must be exactly one instruction) and run them. */
static void emulate(enum insn_mode mode, const u8 *bytes, unsigned len,
		    u64 gprs[16], u64 *rflags, struct fake_mmio *m)
{
	struct mmio_access mem = { fake_read, fake_write, m };
	struct insn in;

	assert_int_equal(insn_decode(bytes, len, mode, &in), 0);
	assert_int_equal(in.len, len);
	assert_int_equal(insn_emulate_mmio(&in, gprs, rflags, &mem), 0);
}

#define EMULATE64(g, f, m, ...) do { \
	const u8 b_[] = { __VA_ARGS__ }; \
	emulate(INSN_MODE_64, b_, sizeof(b_), g, f, m); \
} while (0)

static void fill_gprs(u64 gprs[16])
{
	for (unsigned i = 0; i < 16; i++)
		gprs[i] = 0x1122334455667788ull + i * 0x0101010101010101ull;
}

/* Registers other than the one named must be untouched. */
static void assert_others_unchanged(const u64 gprs[16], unsigned except)
{
	u64 ref[16];

	fill_gprs(ref);
	for (unsigned i = 0; i < 16; i++)
		if (i != except)
			assert_int_equal(gprs[i], ref[i]);
}

static void test_emulate_loads(void **state)
{
	struct fake_mmio m = { .value = 0xfedcba9889abcdefull };
	u64 g[16], fl = 0x202;

	/* mov (%rdi),%eax: 32-bit destination zero-extends. */
	fill_gprs(g);
	EMULATE64(g, &fl, &m, 0x8b, 0x07);
	assert_int_equal(g[RAX], 0x89abcdefull);
	assert_int_equal(m.read_size, 4);
	assert_others_unchanged(g, RAX);

	/* mov (%rsi),%al / %ah: the rest of rax stays. */
	fill_gprs(g);
	EMULATE64(g, &fl, &m, 0x8a, 0x06);
	assert_int_equal(g[RAX], 0x11223344556677efull);
	EMULATE64(g, &fl, &m, 0x8a, 0x26);
	assert_int_equal(g[RAX], 0x112233445566efefull);
	assert_int_equal(m.read_size, 1);
	assert_others_unchanged(g, RAX);

	/* mov (%rax),%r8b */
	fill_gprs(g);
	g[R8] = ~0ull;
	EMULATE64(g, &fl, &m, 0x44, 0x8a, 0x00);
	assert_int_equal(g[R8], 0xffffffffffffffefull);

	/* mov (%rsi),%sil: with REX, encoding 6 is SIL, not DH. */
	fill_gprs(g);
	EMULATE64(g, &fl, &m, 0x40, 0x8a, 0x36);
	assert_int_equal(g[RSI], 0x1728394a5b6c7defull);
	assert_others_unchanged(g, RSI);

	/* mov (%rax),%cx: 16-bit destination preserves 63:16. */
	fill_gprs(g);
	EMULATE64(g, &fl, &m, 0x66, 0x8b, 0x08);
	assert_int_equal(g[RCX], 0x122334455667cdefull);

	/* mov 0x12345678(%rax,%rbx,4),%r15 */
	fill_gprs(g);
	EMULATE64(g, &fl, &m, 0x4c, 0x8b, 0xbc, 0x98, 0x78, 0x56, 0x34, 0x12);
	assert_int_equal(g[R15], 0xfedcba9889abcdefull);
	assert_int_equal(m.read_size, 8);
	assert_others_unchanged(g, R15);

	/* movabs 0x1122334455667788,%eax */
	fill_gprs(g);
	EMULATE64(g, &fl, &m, 0xa1, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11);
	assert_int_equal(g[RAX], 0x89abcdefull);

	assert_int_equal(m.writes, 0);
	assert_int_equal(fl, 0x202); /* MOV leaves the flags alone */
}

static void test_emulate_loads_16bit_mode(void **state)
{
	struct fake_mmio m = { .value = 0x8899aabbccddeeffull };
	u64 g[16], fl = 0x2;
	const u8 mov_dx[] = { 0x8b, 0x56, 0x00 };   /* mov 0(%bp),%dx */
	const u8 mov_bh[] = { 0x8a, 0x3c };         /* mov (%si),%bh */
	const u8 mov_eax[] = { 0x66, 0xa1, 0x34, 0x12 }; /* mov 0x1234,%eax */

	fill_gprs(g);
	emulate(INSN_MODE_16, mov_dx, sizeof(mov_dx), g, &fl, &m);
	assert_int_equal(g[RDX], 0x132435465768eeffull);
	assert_int_equal(m.read_size, 2);
	emulate(INSN_MODE_16, mov_bh, sizeof(mov_bh), g, &fl, &m);
	assert_int_equal(g[RBX], 0x142536475869ff8bull);
	emulate(INSN_MODE_16, mov_eax, sizeof(mov_eax), g, &fl, &m);
	assert_int_equal(g[RAX], 0xccddeeffull);
}

static void test_emulate_extending_loads(void **state)
{
	struct fake_mmio m = { .value = 0xffffffff80008080ull };
	u64 g[16], fl = 0x2;

	fill_gprs(g);
	EMULATE64(g, &fl, &m, 0x0f, 0xb6, 0x07);        /* movzbl (%rdi),%eax */
	assert_int_equal(g[RAX], 0x80);
	assert_int_equal(m.read_size, 1);
	EMULATE64(g, &fl, &m, 0x0f, 0xbe, 0x07);        /* movsbl (%rdi),%eax */
	assert_int_equal(g[RAX], 0xffffff80ull);
	EMULATE64(g, &fl, &m, 0x48, 0x0f, 0xbe, 0x07);  /* movsbq (%rdi),%rax */
	assert_int_equal(g[RAX], 0xffffffffffffff80ull);
	EMULATE64(g, &fl, &m, 0x0f, 0xb7, 0x0f);        /* movzwl (%rdi),%ecx */
	assert_int_equal(g[RCX], 0x8080);
	assert_int_equal(m.read_size, 2);
	EMULATE64(g, &fl, &m, 0x48, 0x0f, 0xbf, 0x0f);  /* movswq (%rdi),%rcx */
	assert_int_equal(g[RCX], 0xffffffffffff8080ull);
	EMULATE64(g, &fl, &m, 0x48, 0x63, 0x17);        /* movslq (%rdi),%rdx */
	assert_int_equal(g[RDX], 0xffffffff80008080ull);
	assert_int_equal(m.read_size, 4);
	EMULATE64(g, &fl, &m, 0x63, 0x17);              /* movsxd, no REX.W */
	assert_int_equal(g[RDX], 0x80008080ull);

	/* movzbw (%rdi),%bx: a 16-bit destination keeps 63:16. */
	fill_gprs(g);
	EMULATE64(g, &fl, &m, 0x66, 0x0f, 0xb6, 0x1f);
	assert_int_equal(g[RBX], 0x1425364758690080ull);
	assert_int_equal(fl, 0x2);
	assert_int_equal(m.writes, 0);
}

static void test_emulate_stores(void **state)
{
	struct fake_mmio m = { 0 };
	u64 g[16], fl = 0x2;

	fill_gprs(g);
	EMULATE64(g, &fl, &m, 0x89, 0x07);              /* mov %eax,(%rdi) */
	assert_int_equal(m.write_size, 4);
	assert_int_equal(m.written, 0x55667788);
	EMULATE64(g, &fl, &m, 0x88, 0x7a, 0x10);        /* mov %bh,0x10(%rdx) */
	assert_int_equal(m.write_size, 1);
	assert_int_equal(m.written, 0x7a);
	EMULATE64(g, &fl, &m, 0x40, 0x88, 0x20);        /* mov %spl,(%rax) */
	assert_int_equal(m.written, 0x8c);
	EMULATE64(g, &fl, &m, 0x66, 0x45, 0x89, 0x13);  /* mov %r10w,(%r11) */
	assert_int_equal(m.write_size, 2);
	assert_int_equal(m.written, 0x8192);
	EMULATE64(g, &fl, &m, 0x4c, 0x89, 0x3f);        /* mov %r15,(%rdi) */
	assert_int_equal(m.write_size, 8);
	assert_int_equal(m.written, 0x2031425364758697ull);
	/* movabs %rax,0x1122334455667788 */
	EMULATE64(g, &fl, &m, 0x48, 0xa3, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11);
	assert_int_equal(m.written, 0x1122334455667788ull);
	assert_int_equal(m.reads, 0);
	assert_others_unchanged(g, 16);
	assert_int_equal(fl, 0x2);
}

static void test_emulate_store_immediates(void **state)
{
	struct fake_mmio m = { 0 };
	u64 g[16], fl = 0x2;

	fill_gprs(g);
	EMULATE64(g, &fl, &m, 0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0xff); /* movq $-1 */
	assert_int_equal(m.write_size, 8);
	assert_int_equal(m.written, ~0ull);
	EMULATE64(g, &fl, &m, 0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0x7f);
	assert_int_equal(m.written, 0x7fffffff);
	EMULATE64(g, &fl, &m, 0xc7, 0x07, 0x00, 0x00, 0x00, 0x80);  /* movl $0x80000000 */
	assert_int_equal(m.write_size, 4);
	assert_int_equal(m.written, 0x80000000);
	EMULATE64(g, &fl, &m, 0x66, 0xc7, 0x07, 0x34, 0x12);        /* movw $0x1234 */
	assert_int_equal(m.write_size, 2);
	assert_int_equal(m.written, 0x1234);
	EMULATE64(g, &fl, &m, 0x41, 0xc6, 0x04, 0x24, 0x5a);        /* movb $0x5a,(%r12) */
	assert_int_equal(m.write_size, 1);
	assert_int_equal(m.written, 0x5a);
	assert_int_equal(m.reads, 0);
	assert_others_unchanged(g, 16);
}

static void test_emulate_alu_examples(void **state)
{
	struct fake_mmio m = { .value = 1 };
	u64 g[16], fl = 0x202 | CF | ZF;

	/* orl $0x80000000,0x10(%rdi): 0x80000001, SF; CF/ZF cleared; PF from
	 * the low byte 0x01 (one bit set: odd, so clear). */
	fill_gprs(g);
	EMULATE64(g, &fl, &m, 0x81, 0x4f, 0x10, 0x00, 0x00, 0x00, 0x80);
	assert_int_equal(m.written, 0x80000001);
	assert_int_equal(fl, 0x202 | SF);

	/* cmp %eax,(%rdi) with equal values: ZF, PF; no write. */
	m = (struct fake_mmio){ .value = 0x55667788 };
	EMULATE64(g, &fl, &m, 0x39, 0x07);
	assert_int_equal(m.writes, 0);
	assert_int_equal(fl, 0x202 | ZF | PF);

	/* cmpb $1,(%rdi) with 0: borrow (CF), 0xff (SF, PF), AF. */
	m = (struct fake_mmio){ .value = 0 };
	EMULATE64(g, &fl, &m, 0x80, 0x3f, 0x01);
	assert_int_equal(m.writes, 0);
	assert_int_equal(fl, 0x202 | CF | PF | AF | SF);

	/* addl $1 to 0x7fffffff: overflow into the sign. */
	m = (struct fake_mmio){ .value = 0x7fffffff };
	EMULATE64(g, &fl, &m, 0x83, 0x07, 0x01);
	assert_int_equal(m.written, 0x80000000);
	assert_int_equal(fl, 0x202 | OF | SF | AF | PF);

	/* testb $0x80,(%rdi) with 0x7f: ZF, PF; no write. */
	m = (struct fake_mmio){ .value = 0x7f };
	EMULATE64(g, &fl, &m, 0xf6, 0x07, 0x80);
	assert_int_equal(m.writes, 0);
	assert_int_equal(fl, 0x202 | ZF | PF);

	/* sub (%rdi),%eax: the register takes the result, zero-extended. */
	fill_gprs(g);
	m = (struct fake_mmio){ .value = 0x55667789 };
	EMULATE64(g, &fl, &m, 0x2b, 0x07);
	assert_int_equal(g[RAX], 0xffffffff);
	assert_int_equal(fl, 0x202 | CF | SF | PF | AF);
	assert_int_equal(m.writes, 0);

	/* add (%rdi),%ah: bits 15:8 of rax, the rest kept. */
	fill_gprs(g);
	m = (struct fake_mmio){ .value = 0x01 };
	EMULATE64(g, &fl, &m, 0x02, 0x27);
	assert_int_equal(g[RAX], 0x1122334455667888ull);
	assert_others_unchanged(g, RAX);

	/* cmp (%rdi),%eax compares the register against memory. */
	fill_gprs(g);
	m = (struct fake_mmio){ .value = 0x55667789 };
	EMULATE64(g, &fl, &m, 0x3b, 0x07);
	assert_int_equal(fl & CF, CF);
	assert_others_unchanged(g, 16);
}

/*
 * The host CPU as the reference for flags: run the real instruction on
 * registers. push/popf go below the red zone that the compiler may use.
 */
#define HOST_ALU(insn, sfx, mod) \
	asm volatile("sub $128, %%rsp\n\tpush %[fi]\n\tpopfq\n\t" \
		     insn sfx " %" mod "[b], %" mod "[a]\n\t" \
		     "pushfq\n\tpop %[fo]\n\tadd $128, %%rsp" \
		     : [a] "+r" (a), [fo] "=&r" (fo) \
		     : [b] "r" (b), [fi] "r" (fi) : "cc", "memory")

#define HOST_ALU_SIZES(insn) \
	switch (size) { \
	case 1: HOST_ALU(insn, "b", "b"); break; \
	case 2: HOST_ALU(insn, "w", "w"); break; \
	case 4: HOST_ALU(insn, "l", "k"); break; \
	default: HOST_ALU(insn, "q", "q"); break; \
	}

#define ALU_TEST 8 /* TEST, beside the enum insn_alu values */

/* a = a <op> b on the host; returns the flags after. */
static u64 host_alu(unsigned op, unsigned size, u64 *pa, u64 b, u64 flags_in)
{
	u64 a = *pa, fo, fi = (flags_in & STATUS) | 0x2;

	switch (op) {
	case INSN_ALU_ADD: HOST_ALU_SIZES("add"); break;
	case INSN_ALU_OR:  HOST_ALU_SIZES("or"); break;
	case INSN_ALU_ADC: HOST_ALU_SIZES("adc"); break;
	case INSN_ALU_SBB: HOST_ALU_SIZES("sbb"); break;
	case INSN_ALU_AND: HOST_ALU_SIZES("and"); break;
	case INSN_ALU_SUB: HOST_ALU_SIZES("sub"); break;
	case INSN_ALU_XOR: HOST_ALU_SIZES("xor"); break;
	case INSN_ALU_CMP: HOST_ALU_SIZES("cmp"); break;
	default:           HOST_ALU_SIZES("test"); break;
	}
	*pa = a;
	return fo;
}

/* Encode "<op> %rcx-sized,(%rax)" (reg_dest: "<op> (%rax),%rcx-sized"). */
static unsigned encode_alu(unsigned op, unsigned size, bool reg_dest, u8 *buf)
{
	unsigned n = 0;

	if (size == 2)
		buf[n++] = 0x66;
	if (size == 8)
		buf[n++] = 0x48;
	if (op == ALU_TEST)
		buf[n++] = size == 1 ? 0x84 : 0x85;
	else
		buf[n++] = op * 8 + (reg_dest ? 2 : 0) + (size == 1 ? 0 : 1);
	buf[n++] = 0x08; /* mod=0 reg=rcx rm=rax */
	return n;
}

static u64 next_random(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static const u64 edge_values[] = {
	0, 1, 2, 0xf, 0x10, 0x7f, 0x80, 0x81, 0xff, 0x100, 0x7fff, 0x8000,
	0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
	0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull,
};

/* One operation, both operand orders where they exist, against the host. */
static void check_against_host(unsigned op, unsigned size, u64 a, u64 b, u64 fl)
{
	u64 mask = size == 8 ? ~0ull : BIT(8 * size) - 1;
	u64 care = (op == INSN_ALU_ADD || op == INSN_ALU_ADC ||
		    op == INSN_ALU_SBB || op == INSN_ALU_SUB ||
		    op == INSN_ALU_CMP) ? STATUS : STATUS & ~AF;
	u64 keep = 0x2 | BIT(9) | BIT(10); /* IF and DF must survive */
	bool writes = op != INSN_ALU_CMP && op != ALU_TEST;
	u64 want = a, want_fl = host_alu(op, size, &want, b, fl);

	for (int reg_dest = 0; reg_dest <= (op != ALU_TEST); reg_dest++) {
		struct fake_mmio m = { .value = reg_dest ? b : a };
		u64 g[16] = { 0 }, got_fl = (fl & STATUS) | keep, got;
		u8 buf[4];
		unsigned n = encode_alu(op, size, reg_dest, buf);

		g[RCX] = reg_dest ? a : b;
		emulate(INSN_MODE_64, buf, n, g, &got_fl, &m);
		got = reg_dest ? g[RCX] : (m.writes ? m.written : a);
		if ((got & mask) != (want & mask) ||
		    (got_fl & care) != (want_fl & care) ||
		    (got_fl & ~STATUS) != keep ||
		    m.writes != (unsigned)(writes && !reg_dest))
			fail_msg("op %u size %u %s: a %#llx b %#llx cf %d: got %#llx "
				 "flags %#llx, host %#llx flags %#llx", op, size,
				 reg_dest ? "reg,mem" : "mem,reg",
				 (unsigned long long)a, (unsigned long long)b,
				 (int)(fl & CF), (unsigned long long)got,
				 (unsigned long long)got_fl,
				 (unsigned long long)want,
				 (unsigned long long)want_fl);
	}
}

static void test_emulate_flags_match_host(void **state)
{
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	u64 seed = 0x9e3779b97f4a7c15ull;

	for (unsigned op = 0; op <= ALU_TEST; op++) {
		for (unsigned s = 0; s < ARRAY_SIZE(sizes); s++) {
			for (unsigned i = 0; i < ARRAY_SIZE(edge_values); i++)
				for (unsigned j = 0; j < ARRAY_SIZE(edge_values); j++)
					for (u64 cf = 0; cf <= 1; cf++)
						check_against_host(op, sizes[s], edge_values[i],
								   edge_values[j], cf);
			for (unsigned i = 0; i < 2000; i++) {
				u64 a = next_random(&seed), b = next_random(&seed);

				check_against_host(op, sizes[s], a, b, a & CF);
			}
		}
	}
}

/* Immediate forms: the sign-extended immediate is the operand. */
static void test_emulate_alu_immediates(void **state)
{
	struct fake_mmio m = { .value = 0xffffffffffffffffull };
	u64 g[16], fl = 0x2;

	fill_gprs(g);
	EMULATE64(g, &fl, &m, 0x48, 0x83, 0x27, 0xfe);  /* andq $-2,(%rdi) */
	assert_int_equal(m.written, 0xfffffffffffffffeull);
	assert_int_equal(m.write_size, 8);
	EMULATE64(g, &fl, &m, 0x83, 0x27, 0xfe);        /* andl $-2,(%rdi) */
	assert_int_equal(m.written, 0xfffffffe);
	assert_int_equal(m.write_size, 4);
	m.value = 0x1234;
	EMULATE64(g, &fl, &m, 0x66, 0x81, 0x37, 0x01, 0x80); /* xorw $0x8001 */
	assert_int_equal(m.written, 0x9235);
	assert_int_equal(m.write_size, 2);
	m.value = 0x10;
	fl = 0x2 | CF;
	EMULATE64(g, &fl, &m, 0x80, 0x17, 0x0f);        /* adcb $0xf,(%rdi) */
	assert_int_equal(m.written, 0x20);
	assert_int_equal(fl, 0x2 | AF);
}

static void test_emulate_rejects_bad_insn(void **state)
{
	struct fake_mmio m = { 0 };
	struct mmio_access mem = { fake_read, fake_write, &m };
	u64 g[16] = { 0 }, fl = 0x2;
	struct insn in = { .len = 2, .op = INSN_MOV_LOAD, .size = 4, .reg_size = 4 };

	assert_int_equal(insn_emulate_mmio(&in, g, &fl, &mem), 0);
	in.size = 3;
	assert_int_equal(insn_emulate_mmio(&in, g, &fl, &mem), -EINVAL);
	in.size = 4;
	in.reg = 16;
	assert_int_equal(insn_emulate_mmio(&in, g, &fl, &mem), -EINVAL);
	in.reg = 4;
	in.reg_high8 = true;
	assert_int_equal(insn_emulate_mmio(&in, g, &fl, &mem), -EINVAL);
	in.reg = 0;
	in.reg_high8 = false;
	in.op = 99;
	assert_int_equal(insn_emulate_mmio(&in, g, &fl, &mem), -EINVAL);
	assert_int_equal(insn_emulate_mmio(NULL, g, &fl, &mem), -EINVAL);
	assert_int_equal(m.reads, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_table),
		cmocka_unit_test(test_decode_ignores_trailing_bytes),
		cmocka_unit_test(test_decode_truncated),
		cmocka_unit_test(test_decode_address_size),
		cmocka_unit_test(test_decode_too_long),
		cmocka_unit_test(test_decode_register_operand),
		cmocka_unit_test(test_decode_unsupported),
		cmocka_unit_test(test_decode_bad_arguments),
		cmocka_unit_test(test_emulate_loads),
		cmocka_unit_test(test_emulate_loads_16bit_mode),
		cmocka_unit_test(test_emulate_extending_loads),
		cmocka_unit_test(test_emulate_stores),
		cmocka_unit_test(test_emulate_store_immediates),
		cmocka_unit_test(test_emulate_alu_examples),
		cmocka_unit_test(test_emulate_alu_immediates),
		cmocka_unit_test(test_emulate_flags_match_host),
		cmocka_unit_test(test_emulate_rejects_bad_insn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
