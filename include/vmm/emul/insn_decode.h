/*
 * Decode and emulate the one guest instruction that touched an MMIO range.
 * Keel learns the guest-physical address from the VMCS; what it needs from
 * the instruction bytes is the length, the access size, the direction and
 * what to do with the guest's registers and flags afterwards.
 * Follows the Intel SDM, Vol 2, chapter 2 "Instruction Format" and the
 * instruction pages in chapters 3-4 for MOV, MOVZX, MOVSX(D), the ALU group
 * and TEST; flags as in Vol 1, 3.4.3.1 and Appendix A.
 */
#ifndef KEEL_VMM_INSN_DECODE_H
#define KEEL_VMM_INSN_DECODE_H

#include "types.h"

#define INSN_MAX_LEN 15 /* SDM Vol 2, 2.3.11; a longer one raises #GP */

/* Default operand and address size of the code segment: CS.D, or CS.L. */
enum insn_mode { INSN_MODE_16, INSN_MODE_32, INSN_MODE_64 };

enum insn_op {
	INSN_MOV_LOAD,      /* reg = mem                    88-8B, A0-A3 */
	INSN_MOV_STORE,     /* mem = reg */
	INSN_MOV_STORE_IMM, /* mem = imm                    C6 /0, C7 /0 */
	INSN_MOVZX,         /* reg = zero-extended mem      0F B6, 0F B7 */
	INSN_MOVSX,         /* reg = sign-extended mem      0F BE, 0F BF, 63 */
	INSN_ALU,           /* mem = mem <alu> reg or imm   00-39 even pairs, 80-83 */
	INSN_ALU_LOAD,      /* reg = reg <alu> mem          02-3B odd pairs */
	INSN_TEST,          /* flags of mem & reg or imm    84, 85, F6 /0, F7 /0 */
};

/* The ALU operation, numbered as the /n of opcodes 80-83 (SDM Vol 2,
 * Table A-6) and as bits 5:3 of opcodes 00-3F. */
enum insn_alu {
	INSN_ALU_ADD, INSN_ALU_OR, INSN_ALU_ADC, INSN_ALU_SBB,
	INSN_ALU_AND, INSN_ALU_SUB, INSN_ALU_XOR, INSN_ALU_CMP,
};

#define INSN_ACCESS_READ  BIT(0) /* the instruction reads the MMIO location */
#define INSN_ACCESS_WRITE BIT(1) /* ... and/or writes it */

struct insn {
	u8 len;        /* bytes, prefixes included: RIP advances by this */
	u8 op;         /* enum insn_op */
	u8 size;       /* bytes accessed in memory: 1, 2, 4 or 8 */
	u8 access;     /* INSN_ACCESS_* */
	u8 reg;        /* register operand, GPR index 0-15, if the form has one */
	bool reg_high8; /* reg is AH, CH, DH or BH: bits 15:8 of GPR reg (0-3) */
	u8 reg_size;   /* width of the register operand (the destination of
	                  MOVZX/MOVSX, otherwise equal to size) */
	u8 alu;        /* enum insn_alu, for INSN_ALU and INSN_ALU_LOAD */
	bool has_imm;  /* the source is imm, not reg */
	u64 imm;       /* immediate, sign-extended as the SDM says and
	                  truncated to size bytes */
	u8 addr_size;  /* effective address size: 2, 4 or 8 */
};

/*
 * Decode the instruction in bytes[0..avail). Returns 0; -EINVAL when the
 * bytes are truncated, longer than 15, or have no memory operand (ModRM
 * mod=3); -ENOTSUP for an instruction that is not one of the MMIO forms
 * emulated here.
 */
int insn_decode(const u8 *bytes, unsigned avail, enum insn_mode mode,
		struct insn *out);

/* An MMIO location the instruction reads or writes; size is 1, 2, 4 or 8. */
struct mmio_access {
	u64 (*read)(void *ctx, unsigned size);
	void (*write)(void *ctx, unsigned size, u64 val);
	void *ctx;
};

/*
 * Carry out a decoded instruction against mem, updating the guest's GPRs
 * (hardware order: rax rcx rdx rbx rsp rbp rsi rdi r8-r15) and RFLAGS.
 * Does not advance RIP: the caller adds in->len. Returns 0 or -EINVAL for
 * a struct insn that insn_decode would not have produced.
 */
int insn_emulate_mmio(const struct insn *in, u64 gprs[16], u64 *rflags,
		      const struct mmio_access *mem);

/* The low `bytes` bytes of v, sign-extended to 64 bits. */
static inline u64 insn_sign_extend(u64 v, unsigned bytes)
{
	u64 sign;

	if (bytes >= 8)
		return v;
	sign = BIT(8 * bytes - 1);
	v &= (sign << 1) - 1;
	return (v ^ sign) - sign;
}

#endif
