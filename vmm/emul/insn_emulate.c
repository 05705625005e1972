/*
 * Emulator for a decoded MMIO instruction: the memory access through the
 * caller's callbacks, the register write-back rules of SDM Vol 1, 3.4.1.1,
 * and the status flags of ADD, OR, ADC, SBB, AND, SUB, XOR, CMP and TEST
 * as their pages in SDM Vol 2 define them (overview in Vol 1, 3.4.3.1).
 */
#include "vmm/emul/insn_decode.h"

#define RFLAGS_CF BIT(0)  /* carry out of (borrow into) the sign bit */
#define RFLAGS_PF BIT(2)  /* even number of ones in the result's low byte */
#define RFLAGS_AF BIT(4)  /* carry out of (borrow into) bit 3 */
#define RFLAGS_ZF BIT(6)
#define RFLAGS_SF BIT(7)
#define RFLAGS_OF BIT(11) /* signed overflow */
#define RFLAGS_STATUS (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | \
		       RFLAGS_SF | RFLAGS_OF)

static bool valid_size(unsigned size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

/* Reject what insn_decode never produces, so a corrupt struct cannot index
 * outside gprs or shift by a silly amount. */
static bool insn_is_sane(const struct insn *in)
{
	if (in->op > INSN_TEST || in->alu > INSN_ALU_CMP || in->reg > 15)
		return false;
	if (!valid_size(in->size) || !valid_size(in->reg_size))
		return false;
	return !in->reg_high8 || (in->reg < 4 && in->reg_size == 1);
}

/* The register operand; AH, CH, DH, BH are bits 15:8 of registers 0-3. */
static u64 reg_read(const struct insn *in, const u64 gprs[16])
{
	if (in->reg_high8)
		return (gprs[in->reg] >> 8) & 0xff;
	return gprs[in->reg] & bytes_mask(in->reg_size);
}

/*
 * Write the register operand as SDM Vol 1, 3.4.1.1 says for 64-bit mode:
 * a 32-bit result is zero-extended into the full register, an 8- or 16-bit
 * result leaves the other bits alone. Outside 64-bit mode bits 63:32 are
 * undefined (same section), so the same rule serves there.
 */
static void reg_write(const struct insn *in, u64 gprs[16], u64 val)
{
	u64 *r = &gprs[in->reg];
	u64 mask = bytes_mask(in->reg_size);

	if (in->reg_high8)
		*r = (*r & ~0xff00ull) | (val & 0xff) << 8;
	else if (in->reg_size == 4)
		*r = val & mask;
	else
		*r = (*r & ~mask) | (val & mask);
}

static u64 mem_read(const struct mmio_access *mem, unsigned size)
{
	return mem->read(mem->ctx, size) & bytes_mask(size);
}

static bool even_parity(u8 v)
{
	v ^= v >> 4;
	v ^= v >> 2;
	v ^= v >> 1;
	return !(v & 1);
}

/*
 * Compute a <alu> b at the given width and set the status flags. For the
 * additions the carry out of the sign bit is (a & b) | ((a | b) & ~r) and
 * for the subtractions the borrow is (~a & b) | ((~a | b) & r), both at the
 * sign bit; these hold with ADC's carry-in and SBB's borrow-in too. AF is
 * bit 4 of a ^ b ^ r, the carry into bit 4. The logic ops clear CF and OF;
 * their AF is undefined and is cleared, as current processors do.
 */
static u64 alu_compute(unsigned alu, u64 a, u64 b, unsigned size, u64 *rflags)
{
	u64 mask = bytes_mask(size), sign = BIT(8 * size - 1);
	bool cin = (alu == INSN_ALU_ADC || alu == INSN_ALU_SBB) &&
		   (*rflags & RFLAGS_CF);
	u64 r, carry = 0, over = 0, flags = 0;
	bool arith = true;

	a &= mask;
	b &= mask;
	switch (alu) {
	case INSN_ALU_ADD:
	case INSN_ALU_ADC:
		r = a + b + cin;
		carry = (a & b) | ((a | b) & ~r);
		over = (a ^ r) & (b ^ r);
		break;
	case INSN_ALU_SUB:
	case INSN_ALU_SBB:
	case INSN_ALU_CMP:
		r = a - b - cin;
		carry = (~a & b) | ((~a | b) & r);
		over = (a ^ b) & (a ^ r);
		break;
	case INSN_ALU_OR:
		r = a | b;
		arith = false;
		break;
	case INSN_ALU_XOR:
		r = a ^ b;
		arith = false;
		break;
	default: /* INSN_ALU_AND, and TEST */
		r = a & b;
		arith = false;
		break;
	}
	r &= mask;
	if (carry & sign)
		flags |= RFLAGS_CF;
	if (over & sign)
		flags |= RFLAGS_OF;
	if (arith && ((a ^ b ^ r) & 0x10))
		flags |= RFLAGS_AF;
	if (r == 0)
		flags |= RFLAGS_ZF;
	if (r & sign)
		flags |= RFLAGS_SF;
	if (even_parity((u8)r))
		flags |= RFLAGS_PF;
	*rflags = (*rflags & ~RFLAGS_STATUS) | flags;
	return r;
}

int insn_emulate_mmio(const struct insn *in, u64 gprs[16], u64 *rflags,
		      const struct mmio_access *mem)
{
	u64 src, val;

	if (!in || !gprs || !rflags || !mem || !mem->read || !mem->write ||
	    !insn_is_sane(in))
		return -EINVAL;
	src = in->has_imm ? in->imm : reg_read(in, gprs);

	switch (in->op) {
	case INSN_MOV_LOAD:
	case INSN_MOVZX:
		reg_write(in, gprs, mem_read(mem, in->size));
		break;
	case INSN_MOVSX:
		reg_write(in, gprs, insn_sign_extend(mem_read(mem, in->size), in->size));
		break;
	case INSN_MOV_STORE:
	case INSN_MOV_STORE_IMM:
		mem->write(mem->ctx, in->size, src & bytes_mask(in->size));
		break;
	case INSN_ALU:
		/* CMP r/m, src compares memory against the source. */
		val = alu_compute(in->alu, mem_read(mem, in->size), src,
				  in->size, rflags);
		if (in->alu != INSN_ALU_CMP)
			mem->write(mem->ctx, in->size, val);
		break;
	case INSN_ALU_LOAD:
		val = alu_compute(in->alu, src, mem_read(mem, in->size),
				  in->size, rflags);
		if (in->alu != INSN_ALU_CMP)
			reg_write(in, gprs, val);
		break;
	case INSN_TEST:
		alu_compute(INSN_ALU_AND, mem_read(mem, in->size), src,
			    in->size, rflags);
		break;
	}
	return 0;
}
