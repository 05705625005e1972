/*
 * Decoder for the guest instructions that access MMIO: prefixes, opcode,
 * ModRM/SIB/displacement and immediate of the forms listed in the opcode
 * tables below. The effective address is not computed (the VMCS already
 * holds the guest-physical address); the ModRM is walked only to find the
 * instruction's length. SDM Vol 2, chapter 2 and Appendix A.
 */
#include "vmm/emul/insn_decode.h"

/* What an opcode table entry says about one opcode. */
#define D_VALID  BIT(0)  /* a form emulated here; all others are -ENOTSUP */
#define D_BYTE   BIT(1)  /* byte operands: the opcode's w bit is 0 */
#define D_MODRM  BIT(2)  /* a ModRM byte follows the opcode */
#define D_GROUP  BIT(3)  /* ModRM.reg is an opcode extension /n, not a register */
#define D_SLASH0 BIT(4)  /* ... and only /0 is emulated */
#define D_IMM8   BIT(5)  /* ib */
#define D_IMM8S  BIT(6)  /* ib, sign-extended to the operand size */
#define D_IMMZ   BIT(7)  /* iw or id; id is sign-extended to 64-bit operands */
#define D_MOFFS  BIT(8)  /* moffs: an address-size offset instead of a ModRM */
#define D_I64    BIT(9)  /* invalid in 64-bit mode (i64 in Table A-2) */
#define D_O64    BIT(10) /* valid only in 64-bit mode (o64) */
#define D_SRC8   BIT(11) /* MOVZX/MOVSX from a byte */
#define D_SRC16  BIT(12) /* MOVZX/MOVSX from a word */
#define D_SRC32  BIT(13) /* MOVSXD: from a doubleword (a word with 66) */
#define D_XREL   BIT(14) /* F3 may precede it as the XRELEASE hint */

struct opcode_desc {
	u8 op;     /* enum insn_op */
	u16 flags; /* D_* */
};

#define D_RM (D_VALID | D_MODRM)

/*
 * Opcodes 00-3D are eight rows of six, one row per ALU operation in the
 * order of enum insn_alu (Table A-2): Eb,Gb; Ev,Gv; Gb,Eb; Gv,Ev; AL,Ib;
 * rAX,Iz. The last two have no memory operand and are not emulated.
 */
#define ALU_ROW(base) \
	[(base) + 0] = { INSN_ALU, D_RM | D_BYTE }, \
	[(base) + 1] = { INSN_ALU, D_RM }, \
	[(base) + 2] = { INSN_ALU_LOAD, D_RM | D_BYTE }, \
	[(base) + 3] = { INSN_ALU_LOAD, D_RM }

/* The one-byte opcode map, SDM Vol 2, Table A-2. */
static const struct opcode_desc one_byte_map[256] = {
	ALU_ROW(0x00), ALU_ROW(0x08), ALU_ROW(0x10), ALU_ROW(0x18),
	ALU_ROW(0x20), ALU_ROW(0x28), ALU_ROW(0x30), ALU_ROW(0x38),
	[0x63] = { INSN_MOVSX, D_RM | D_SRC32 | D_O64 },     /* MOVSXD Gv,Ed */
	[0x80] = { INSN_ALU, D_RM | D_BYTE | D_GROUP | D_IMM8 },
	[0x81] = { INSN_ALU, D_RM | D_GROUP | D_IMMZ },
	[0x82] = { INSN_ALU, D_RM | D_BYTE | D_GROUP | D_IMM8 | D_I64 },
	[0x83] = { INSN_ALU, D_RM | D_GROUP | D_IMM8S },
	[0x84] = { INSN_TEST, D_RM | D_BYTE },
	[0x85] = { INSN_TEST, D_RM },
	[0x88] = { INSN_MOV_STORE, D_RM | D_BYTE | D_XREL },
	[0x89] = { INSN_MOV_STORE, D_RM | D_XREL },
	[0x8a] = { INSN_MOV_LOAD, D_RM | D_BYTE },
	[0x8b] = { INSN_MOV_LOAD, D_RM },
	[0xa0] = { INSN_MOV_LOAD, D_VALID | D_MOFFS | D_BYTE },
	[0xa1] = { INSN_MOV_LOAD, D_VALID | D_MOFFS },
	[0xa2] = { INSN_MOV_STORE, D_VALID | D_MOFFS | D_BYTE },
	[0xa3] = { INSN_MOV_STORE, D_VALID | D_MOFFS },
	[0xc6] = { INSN_MOV_STORE_IMM, D_RM | D_BYTE | D_GROUP | D_SLASH0 | D_IMM8 | D_XREL },
	[0xc7] = { INSN_MOV_STORE_IMM, D_RM | D_GROUP | D_SLASH0 | D_IMMZ | D_XREL },
	[0xf6] = { INSN_TEST, D_RM | D_BYTE | D_GROUP | D_SLASH0 | D_IMM8 },
	[0xf7] = { INSN_TEST, D_RM | D_GROUP | D_SLASH0 | D_IMMZ },
};

/* The two-byte map (after 0F), SDM Vol 2, Table A-3. */
static const struct opcode_desc two_byte_map[256] = {
	[0xb6] = { INSN_MOVZX, D_RM | D_SRC8 },
	[0xb7] = { INSN_MOVZX, D_RM | D_SRC16 },
	[0xbe] = { INSN_MOVSX, D_RM | D_SRC8 },
	[0xbf] = { INSN_MOVSX, D_RM | D_SRC16 },
};

#define REX_W BIT(3) /* 64-bit operand size */
#define REX_R BIT(2) /* extends ModRM.reg */

struct prefixes {
	bool opsize;   /* 66 */
	bool addrsize; /* 67 */
	bool lock;     /* F0 */
	u8 rep;        /* F2 or F3, or 0 */
	u8 rex;        /* 40-4F, or 0 */
};

/* A read position in the instruction bytes, limited to what the caller
 * fetched and to the architectural maximum length. */
struct cursor {
	const u8 *bytes;
	unsigned pos;
	unsigned limit;
};

static int cursor_next(struct cursor *c, u8 *b)
{
	if (c->pos >= c->limit)
		return -EINVAL;
	*b = c->bytes[c->pos++];
	return 0;
}

/* Read an n-byte little-endian field (n <= 8); the value may be NULL. */
static int cursor_take(struct cursor *c, unsigned n, u64 *val)
{
	u64 v = 0;

	if (n > c->limit - c->pos)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		v |= (u64)c->bytes[c->pos + i] << (8 * i);
	c->pos += n;
	if (val)
		*val = v;
	return 0;
}

static bool is_legacy_prefix(u8 b)
{
	switch (b) {
	case 0xf0: case 0xf2: case 0xf3:                     /* group 1 */
	case 0x26: case 0x2e: case 0x36: case 0x3e:          /* group 2 */
	case 0x64: case 0x65:
	case 0x66:                                           /* group 3 */
	case 0x67:                                           /* group 4 */
		return true;
	}
	return false;
}

/*
 * Collect the prefixes (SDM Vol 2, 2.1.1 and 2.2.1) and return the first
 * opcode byte. Segment overrides do not matter: the address comes from the
 * VMCS. In 64-bit mode 40-4F are REX; the REX must immediately precede the
 * opcode, and the processor ignores one that is followed by another prefix,
 * so only a REX right before the opcode is kept.
 */
static int decode_prefixes(struct cursor *c, enum insn_mode mode,
			   struct prefixes *p, u8 *opcode)
{
	u8 b;

	for (;;) {
		int err = cursor_next(c, &b);

		if (err)
			return err;
		if (mode == INSN_MODE_64 && (b & 0xf0) == 0x40) {
			p->rex = b;
			continue;
		}
		if (!is_legacy_prefix(b))
			break;
		p->rex = 0;
		if (b == 0x66)
			p->opsize = true;
		else if (b == 0x67)
			p->addrsize = true;
		else if (b == 0xf0)
			p->lock = true;
		else if (b == 0xf2 || b == 0xf3)
			p->rep = b;
	}
	*opcode = b;
	return 0;
}

/* SDM Vol 1, 3.6 (Tables 3-3 and 3-4): 66 toggles 16/32, REX.W beats 66. */
static unsigned operand_size(enum insn_mode mode, const struct prefixes *p)
{
	if (mode == INSN_MODE_64 && (p->rex & REX_W))
		return 8;
	if (mode == INSN_MODE_16)
		return p->opsize ? 4 : 2;
	return p->opsize ? 2 : 4;
}

/* SDM Vol 1, 3.6 (Tables 3-3 and 3-4): 67 toggles 16/32, or 64/32. */
static unsigned address_size(enum insn_mode mode, const struct prefixes *p)
{
	switch (mode) {
	case INSN_MODE_16:
		return p->addrsize ? 4 : 2;
	case INSN_MODE_32:
		return p->addrsize ? 2 : 4;
	default:
		return p->addrsize ? 4 : 8;
	}
}

/*
 * Step over the SIB byte and displacement that a memory ModRM implies.
 * 16-bit addressing, SDM Vol 2, Table 2-1: no SIB; mod=1 disp8, mod=2
 * disp16, and mod=0 rm=6 is a bare disp16. 32/64-bit addressing, Table 2-2
 * and 2-3: rm=4 brings a SIB; mod=1 disp8, mod=2 disp32; mod=0 rm=5 is
 * disp32 (RIP-relative in 64-bit mode, 2.2.1.6); a SIB base of 5 with
 * mod=0 is disp32 without a base. REX.B does not change any of these
 * (Table 2-5), so only the low three bits are looked at.
 */
static int skip_address(struct cursor *c, unsigned addr_size, u8 modrm)
{
	unsigned mod = modrm >> 6, rm = modrm & 7, disp;
	u8 sib;
	int err;

	if (addr_size == 2) {
		disp = mod == 1 ? 1 : (mod == 2 || (mod == 0 && rm == 6)) ? 2 : 0;
		return cursor_take(c, disp, NULL);
	}
	disp = mod == 1 ? 1 : (mod == 2 || (mod == 0 && rm == 5)) ? 4 : 0;
	if (rm == 4) {
		err = cursor_next(c, &sib);
		if (err)
			return err;
		if (mod == 0 && (sib & 7) == 5)
			disp = 4;
	}
	return cursor_take(c, disp, NULL);
}

/*
 * F2/F3 on these instructions is reserved (SDM Vol 2, 2.1.1), except as
 * the HLE hints of the "XACQUIRE/XRELEASE" page, which do not change the
 * architectural result: XRELEASE (F3) on MOV to memory 88/89/C6/C7, and
 * either hint on a LOCKed read-modify-write.
 */
static bool rep_prefix_allowed(const struct prefixes *p, u16 flags,
			       const struct insn *in)
{
	if (!p->rep)
		return true;
	if (p->rep == 0xf3 && (flags & D_XREL))
		return true;
	return p->lock && in->op == INSN_ALU && in->alu != INSN_ALU_CMP;
}

/* Memory access size and register width, from the opcode and prefixes. */
static void decode_sizes(struct insn *in, u16 flags, unsigned opsize)
{
	in->reg_size = (flags & D_BYTE) ? 1 : opsize;
	if (flags & D_SRC8)
		in->size = 1;
	else if (flags & D_SRC16)
		in->size = 2;
	else if (flags & D_SRC32)
		in->size = opsize == 2 ? 2 : 4;
	else
		in->size = in->reg_size;
}

static u8 access_of(const struct insn *in)
{
	switch (in->op) {
	case INSN_MOV_STORE:
	case INSN_MOV_STORE_IMM:
		return INSN_ACCESS_WRITE;
	case INSN_ALU:
		if (in->alu == INSN_ALU_CMP)
			return INSN_ACCESS_READ;
		return INSN_ACCESS_READ | INSN_ACCESS_WRITE;
	default:
		return INSN_ACCESS_READ;
	}
}

/*
 * The ModRM of a memory form: its reg field is either the register operand
 * (extended by REX.R) or an opcode extension; a register r/m (mod=3) has no
 * memory to emulate.
 */
static int decode_modrm(struct cursor *c, const struct prefixes *p,
			u16 flags, u8 opcode, struct insn *in)
{
	u8 modrm, reg;
	int err = cursor_next(c, &modrm);

	if (err)
		return err;
	reg = (modrm >> 3) & 7;
	if (flags & D_GROUP) {
		if ((flags & D_SLASH0) && reg != 0)
			return -ENOTSUP;
		in->alu = reg;
	} else {
		in->reg = reg | ((p->rex & REX_R) ? 8 : 0);
		if (in->op == INSN_ALU || in->op == INSN_ALU_LOAD)
			in->alu = (opcode >> 3) & 7;
		/* SDM Vol 1, 3.4.1.1: without any REX, byte registers
		 * 4-7 are AH, CH, DH, BH; with one, SPL, BPL, SIL, DIL. */
		if (in->reg_size == 1 && !p->rex && reg >= 4) {
			in->reg = reg - 4;
			in->reg_high8 = true;
		}
	}
	if ((modrm >> 6) == 3)
		return -EINVAL;
	return skip_address(c, in->addr_size, modrm);
}

/* ib, iw or id per the opcode, sign-extended and cut to the access size. */
static int decode_imm(struct cursor *c, u16 flags, struct insn *in)
{
	unsigned n;
	u64 v;
	int err;

	if (!(flags & (D_IMM8 | D_IMM8S | D_IMMZ)))
		return 0;
	n = (flags & D_IMMZ) ? (in->size == 2 ? 2 : 4) : 1;
	err = cursor_take(c, n, &v);
	if (err)
		return err;
	v = insn_sign_extend(v, n);
	in->imm = in->size == 8 ? v : v & (BIT(8 * in->size) - 1);
	in->has_imm = true;
	return 0;
}

static const struct opcode_desc *lookup_opcode(struct cursor *c, u8 opcode,
					       int *err)
{
	u8 second;

	*err = 0;
	if (opcode != 0x0f)
		return &one_byte_map[opcode];
	*err = cursor_next(c, &second);
	return *err ? NULL : &two_byte_map[second];
}

/* Prefixes, opcode, operand (ModRM or moffs), prefix checks, immediate:
 * the order of the fields in SDM Vol 2, Figure 2-1. */
int insn_decode(const u8 *bytes, unsigned avail, enum insn_mode mode,
		struct insn *out)
{
	struct cursor c = { bytes, 0, MIN(avail, INSN_MAX_LEN) };
	struct prefixes p = { 0 };
	const struct opcode_desc *d;
	struct insn in = { 0 };
	u8 opcode;
	int err;

	if (!bytes || !out || mode > INSN_MODE_64)
		return -EINVAL;
	err = decode_prefixes(&c, mode, &p, &opcode);
	if (err)
		return err;
	d = lookup_opcode(&c, opcode, &err);
	if (err)
		return err;
	if (!(d->flags & D_VALID) ||
	    ((d->flags & D_I64) && mode == INSN_MODE_64) ||
	    ((d->flags & D_O64) && mode != INSN_MODE_64))
		return -ENOTSUP;

	in.op = d->op;
	in.addr_size = address_size(mode, &p);
	decode_sizes(&in, d->flags, operand_size(mode, &p));
	if (d->flags & D_MOFFS)
		err = cursor_take(&c, in.addr_size, NULL);
	else if (d->flags & D_MODRM)
		err = decode_modrm(&c, &p, d->flags, opcode, &in);
	if (err)
		return err;
	if (!rep_prefix_allowed(&p, d->flags, &in))
		return -ENOTSUP;
	err = decode_imm(&c, d->flags, &in);
	if (err)
		return err;
	in.access = access_of(&in);
	in.len = c.pos;
	*out = in;
	return 0;
}
