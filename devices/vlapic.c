/*
 * Local APIC model (xAPIC and x2APIC), after the Intel SDM Vol 3
 * chapter 11 (chapter 10 in editions before 2023). Section numbers below
 * are chapter 11's: 11.4 enabling and IA32_APIC_BASE, 11.5 the local
 * vector table and error handling, 11.6 IPIs and destinations,
 * 11.8 priorities, IRR/ISR/TMR and EOI, 11.9 the spurious vector, 11.12
 * x2APIC (register map, reserved-bit #GPs, state transitions). The timer
 * (11.5.4) is devices/vlapic_timer.c; devices/vlapic_priv.h is what the
 * two files share.
 *
 * Simplifications a guest cannot observe as a fault:
 *  - Messages are delivered at once: ICR and LVT delivery status always
 *    read idle, and no interrupt is ever spurious (the VMM takes the
 *    pending vector and acknowledges it in one step), so the SVR vector
 *    is only stored.
 *  - The xAPIC ID register is read-only (CPUID and the MADT report the
 *    ID; letting it move would make them lie). Remote read (RRD) reads 0.
 *  - ESR bit 7 (illegal register address) is never set: xAPIC accesses to
 *    holes read 0; in x2APIC mode they raise #GP as the SDM says.
 *  - LINT0/LINT1 are not pins here: the VMM asks vlapic_accepts_pic() and
 *    vlapic_nmi_on_lint1(); thermal, performance and CMCI never fire.
 */
#include "devices/vlapic.h"
#include "arch/msr.h"
#include "lib/log.h"
#include "vlapic_priv.h"

/* IA32_APIC_BASE (11.4.4, Figure 11-5). */
#define APIC_BASE_BSP		BIT(8)
#define APIC_BASE_EXTD		BIT(10)	/* x2APIC mode (11.12.1) */
#define APIC_BASE_EN		BIT(11)	/* APIC global enable */
#define APIC_BASE_ADDR		0x000ffffffffff000ull	/* bits 51:12 */
#define APIC_BASE_RSVD		(~(APIC_BASE_BSP | APIC_BASE_EXTD | APIC_BASE_EN | APIC_BASE_ADDR))

/* Version register (Figure 11-7): version 0x14 (integrated APIC), max LVT
 * entry 6 in bits 23:16 (seven LVTs, CMCI included), bit 24 clear: no
 * EOI-broadcast suppression, so SVR bit 12 is reserved. */
#define VLAPIC_VERSION		0x00060014u

#define SVR_VECTOR		0xffu
#define SVR_ENABLE		BIT(8)	/* APIC software enable */
#define SVR_FOCUS_OFF		BIT(9)	/* focus processor checking disabled */
#define SVR_WRITABLE		((u32)(SVR_VECTOR | SVR_ENABLE | SVR_FOCUS_OFF))

#define LDR_XAPIC_ID		0xff000000u	/* logical APIC ID, bits 31:24 */
#define DFR_MODEL		0xf0000000u	/* 1111b flat, 0000b cluster */
#define DFR_ONES		0x0fffffffu	/* bits 27:0 read as ones */

/* Error status bits (11.5.3, Figure 11-9). */
#define ESR_SEND_ILLEGAL	BIT(5)	/* sent vector 0-15 */
#define ESR_RECV_ILLEGAL	BIT(6)	/* received or generated vector 0-15 */

/* Interrupt command register (11.6.1, Figures 11-12 and 11-28). */
#define ICR_VECTOR		0xffu
#define ICR_DM			(7u << 8)
#define ICR_LOGICAL		BIT(11)
#define ICR_ASSERT		BIT(14)	/* level: 0 only for INIT level de-assert */
#define ICR_LEVEL		BIT(15)	/* trigger mode */
#define ICR_SHORTHAND		(3u << 18)
#define ICR_SHORTHAND_SHIFT	18
#define ICR_LO_WRITABLE		((u32)(ICR_VECTOR | ICR_DM | ICR_LOGICAL | ICR_ASSERT | ICR_LEVEL | ICR_SHORTHAND))
#define ICR_XAPIC_DEST		0xff000000u	/* ICR high word, bits 63:56 of the pair */

/* Vector bits each LVT entry stores; the rest read 0 (Figure 11-8). */
static const u32 lvt_writable[VLAPIC_NR_LVT] = {
	[VLAPIC_LVT_CMCI]	= LVT_VECTOR | LVT_DM | LVT_MASKED,
	[VLAPIC_LVT_TIMER]	= LVT_VECTOR | LVT_MASKED | LVT_TIMER_MODE,
	[VLAPIC_LVT_THERMAL]	= LVT_VECTOR | LVT_DM | LVT_MASKED,
	[VLAPIC_LVT_PERF]	= LVT_VECTOR | LVT_DM | LVT_MASKED,
	[VLAPIC_LVT_LINT0]	= LVT_VECTOR | LVT_DM | LVT_POLARITY | LVT_LEVEL | LVT_MASKED,
	[VLAPIC_LVT_LINT1]	= LVT_VECTOR | LVT_DM | LVT_POLARITY | LVT_LEVEL | LVT_MASKED,
	[VLAPIC_LVT_ERROR]	= LVT_VECTOR | LVT_MASKED,
};

/*
 * The register map: index = xAPIC offset >> 4 = x2APIC MSR - 0x800
 * (Table 11-1, Table 11-6); name, index, access in xAPIC mode, access in
 * x2APIC mode. APR, RRD, DFR and the ICR high word do not exist in x2APIC
 * mode; SELF IPI exists only there.
 */
#define VLAPIC_REGS(X)				\
	X(ID,		0x02, RO,  RO)		\
	X(VERSION,	0x03, RO,  RO)		\
	X(TPR,		0x08, RW,  RW)		\
	X(APR,		0x09, RO,  NA)		\
	X(PPR,		0x0a, RO,  RO)		\
	X(EOI,		0x0b, WO,  WO)		\
	X(RRD,		0x0c, RO,  NA)		\
	X(LDR,		0x0d, RW,  RO)		\
	X(DFR,		0x0e, RW,  NA)		\
	X(SVR,		0x0f, RW,  RW)		\
	X(ESR,		0x28, RW,  RW)		\
	X(LVT_CMCI,	0x2f, RW,  RW)		\
	X(ICR_LO,	0x30, RW,  RW)		\
	X(ICR_HI,	0x31, RW,  NA)		\
	X(LVT_TIMER,	0x32, RW,  RW)		\
	X(LVT_THERMAL,	0x33, RW,  RW)		\
	X(LVT_PERF,	0x34, RW,  RW)		\
	X(LVT_LINT0,	0x35, RW,  RW)		\
	X(LVT_LINT1,	0x36, RW,  RW)		\
	X(LVT_ERROR,	0x37, RW,  RW)		\
	X(TIMER_ICR,	0x38, RW,  RW)		\
	X(TIMER_CCR,	0x39, RO,  RO)		\
	X(TIMER_DCR,	0x3e, RW,  RW)		\
	X(SELF_IPI,	0x3f, NA,  WO)

enum {
#define REG_ENUM(name, idx, xa, x2) REG_##name = idx,
	VLAPIC_REGS(REG_ENUM)
#undef REG_ENUM
	REG_ISR = 0x10, REG_TMR = 0x18, REG_IRR = 0x20,	/* eight registers each */
	VLAPIC_NR_REGS = 0x40,
};

enum { NA = 0, RO = 1, WO = 2, RW = 3 };	/* no access, read, write */
#define ACC(xa, x2)	((u8)((xa) | (x2) << 2))
#define XAPIC_R		ACC(RO, NA)
#define XAPIC_W		ACC(WO, NA)
#define X2APIC_R	ACC(NA, RO)
#define X2APIC_W	ACC(NA, WO)

static const u8 vlapic_access[VLAPIC_NR_REGS] = {
#define REG_ACCESS(name, idx, xa, x2) [idx] = ACC(xa, x2),
	VLAPIC_REGS(REG_ACCESS)
#undef REG_ACCESS
	[REG_ISR ... REG_IRR + 7] = ACC(RO, RO),
};

/* --- 256-bit vector sets: bit n of word i is vector 32 * i + n ---------- */

static bool vec_test(const u32 *set, u8 vec)
{
	return set[vec >> 5] & (1u << (vec & 31));
}

static void vec_set(u32 *set, u8 vec)
{
	set[vec >> 5] |= 1u << (vec & 31);
}

static void vec_clear(u32 *set, u8 vec)
{
	set[vec >> 5] &= ~(1u << (vec & 31));
}

/* The highest vector in the set, or -1. */
static int vec_highest(const u32 *set)
{
	for (int i = 7; i >= 0; i--)
		if (set[i])
			return i * 32 + 31 - __builtin_clz(set[i]);
	return -1;
}

/* --- modes ----------------------------------------------------------------- */

bool vlapic_hw_enabled(const struct vlapic_state *s)
{
	return s->apic_base & APIC_BASE_EN;
}

static bool vlapic_x2apic(const struct vlapic_state *s)
{
	return (s->apic_base & (APIC_BASE_EN | APIC_BASE_EXTD)) == (APIC_BASE_EN | APIC_BASE_EXTD);
}

static bool vlapic_xapic(const struct vlapic_state *s)
{
	return (s->apic_base & (APIC_BASE_EN | APIC_BASE_EXTD)) == APIC_BASE_EN;
}

/* Globally and software enabled: the APIC accepts interrupts (11.4.7.2). */
static bool vlapic_enabled(const struct vlapic_state *s)
{
	return vlapic_hw_enabled(s) && (s->svr & SVR_ENABLE);
}

/* The x2APIC logical ID: cluster (ID[19:4]) in bits 31:16, one bit for
 * ID[3:0] in bits 15:0 (11.12.10.2). */
static u32 x2apic_ldr(u32 id)
{
	return ((id >> 4) << 16) | (1u << (id & 0xf));
}

/* --- power-on, INIT, mode changes ------------------------------------------ */

/* Registers after power-up or INIT (11.4.7.1, 11.4.7.3): all zero except
 * DFR (all ones), SVR (0xff) and the LVT mask bits; ID and mode kept. */
static void vlapic_reset_regs(struct vlapic_state *s)
{
	*s = (struct vlapic_state){ .id = s->id, .apic_base = s->apic_base,
				    .dfr = 0xffffffffu, .svr = 0xff };
	for (unsigned i = 0; i < VLAPIC_NR_LVT; i++)
		s->lvt[i] = LVT_MASKED;
}

void vlapic_init(struct vlapic *lapic, u32 apic_id, bool bsp, const struct vlapic_wiring *w)
{
	struct vlapic_state *s = &lapic->state;

	s->id = apic_id;
	s->apic_base = VLAPIC_BASE | APIC_BASE_EN | (bsp ? APIC_BASE_BSP : 0);
	vlapic_reset_regs(s);
	lapic->wiring = *w;
}

void vlapic_reset_init(struct vlapic *lapic)
{
	vlapic_reset_regs(&lapic->state);
}

void vlapic_virtual_wire(struct vlapic *lapic)
{
	struct vlapic_state *s = &lapic->state;

	s->svr = SVR_ENABLE | 0xff;
	s->lvt[VLAPIC_LVT_LINT0] = VLAPIC_DM_EXTINT << 8;
	s->lvt[VLAPIC_LVT_LINT1] = VLAPIC_DM_NMI << 8;
}

u64 vlapic_apic_base_read(const struct vlapic *lapic)
{
	return lapic->state.apic_base;
}

/*
 * The legal IA32_APIC_BASE transitions (11.12.5, Figure 11-27): EN=0 with
 * EXTD=1 is invalid; x2APIC mode is entered only from xAPIC mode and left
 * only to disabled. Leaving for disabled resets every register but the ID.
 */
int vlapic_apic_base_write(struct vlapic *lapic, u64 val)
{
	struct vlapic_state *s = &lapic->state;
	u64 old = s->apic_base;
	bool was_x2 = vlapic_x2apic(s), was_off = !(old & APIC_BASE_EN);
	bool en = val & APIC_BASE_EN, extd = val & APIC_BASE_EXTD;

	if (val & APIC_BASE_RSVD)
		return -EINVAL;
	if ((!en && extd) || (was_off && extd) || (was_x2 && en && !extd))
		return -EINVAL;
	if ((val & APIC_BASE_ADDR) != VLAPIC_BASE)
		log_warn("vlapic %u: relocation to 0x%llx ignored: the APIC stays at 0x%llx",
			 s->id, (unsigned long long)(val & APIC_BASE_ADDR), VLAPIC_BASE);
	/* BSP is the platform's to say (11.4.1): a write leaves it. */
	s->apic_base = VLAPIC_BASE | (old & APIC_BASE_BSP) | (val & (APIC_BASE_EN | APIC_BASE_EXTD));
	if (!en && !was_off)
		vlapic_reset_regs(s);
	return 0;
}

/* --- priorities and acceptance (11.8) -------------------------------------- */

/* PPR (11.8.3.1): TPR, unless the class in service is higher. */
static u32 vlapic_ppr(const struct vlapic_state *s)
{
	int isrv = vec_highest(s->isr);
	u32 isr_class = isrv < 0 ? 0 : (u32)isrv & 0xf0;

	return (s->tpr & 0xf0) >= isr_class ? s->tpr : isr_class;
}

/* APR (11.6.2.4, Figure 11-15): TPR when it dominates both the highest
 * requested and the highest in-service class, else the highest class. */
static u32 vlapic_apr(const struct vlapic_state *s)
{
	int irrv = vec_highest(s->irr), isrv = vec_highest(s->isr);
	u32 irr_class = irrv < 0 ? 0 : (u32)irrv & 0xf0;
	u32 isr_class = isrv < 0 ? 0 : (u32)isrv & 0xf0;

	if ((s->tpr & 0xf0) >= irr_class && (s->tpr & 0xf0) > isr_class)
		return s->tpr;
	return MAX(MAX(s->tpr & 0xf0, irr_class), isr_class);
}

/* Put vector in IRR; TMR records its trigger mode (11.8.4). */
static void vlapic_accept(struct vlapic_state *s, u8 vector, bool level)
{
	vec_set(s->irr, vector);
	if (level)
		vec_set(s->tmr, vector);
	else
		vec_clear(s->tmr, vector);
}

/*
 * Log an error (11.5.3) and raise the LVT error interrupt. An error
 * vector below 16 is itself an illegal vector: logged, not delivered,
 * and not signalled again.
 */
static void vlapic_error(struct vlapic *lapic, u32 bit)
{
	struct vlapic_state *s = &lapic->state;
	u32 lvt = s->lvt[VLAPIC_LVT_ERROR];

	s->esr_pending |= bit;
	if ((lvt & LVT_MASKED) || !vlapic_enabled(s))
		return;
	if ((lvt & LVT_VECTOR) < 16)
		s->esr_pending |= ESR_RECV_ILLEGAL;
	else
		vlapic_accept(s, lvt & LVT_VECTOR, false);
}

/* A software-disabled APIC takes no interrupts (11.4.7.2); vectors 0-15
 * are never requested (11.5.2, 11.8.3). */
void vlapic_set_irq(struct vlapic *lapic, u8 vector, bool level_triggered)
{
	if (!vlapic_enabled(&lapic->state))
		return;
	if (vector < 16) {
		vlapic_error(lapic, ESR_RECV_ILLEGAL);
		return;
	}
	vlapic_accept(&lapic->state, vector, level_triggered);
}

/* An interrupt from the local vector table, unless the entry is masked. */
void vlapic_lvt_fire(struct vlapic *lapic, enum vlapic_lvt lvt)
{
	u32 entry = lapic->state.lvt[lvt];

	if (!(entry & LVT_MASKED))
		vlapic_set_irq(lapic, entry & LVT_VECTOR, false);
}

/* Held IRR bits stay deliverable while software-disabled (11.4.7.2). */
int vlapic_pending(const struct vlapic *lapic)
{
	const struct vlapic_state *s = &lapic->state;
	int irrv;

	if (!vlapic_hw_enabled(s))
		return -1;
	irrv = vec_highest(s->irr);
	if (irrv < 0 || ((u32)irrv & 0xf0) <= (vlapic_ppr(s) & 0xf0))
		return -1;
	return irrv;
}

void vlapic_ack(struct vlapic *lapic, u8 vector)
{
	struct vlapic_state *s = &lapic->state;

	if (!vec_test(s->irr, vector))
		return;
	vec_clear(s->irr, vector);
	vec_set(s->isr, vector);
}

/* EOI (11.8.5): retire the highest in-service vector; a level-triggered
 * one is also acknowledged to the IO-APIC. */
static void vlapic_eoi(struct vlapic *lapic)
{
	struct vlapic_state *s = &lapic->state;
	int vec = vec_highest(s->isr);

	if (vec < 0)
		return;
	vec_clear(s->isr, (u8)vec);
	if (vec_test(s->tmr, (u8)vec) && lapic->wiring.eoi)
		lapic->wiring.eoi(lapic->wiring.ctx, (u8)vec);
}

/* --- register writes ------------------------------------------------------- */

/* While software-disabled, LVT mask bits stay set (11.4.7.2). A new timer
 * mode disarms the timer (11.5.4.1). */
static void vlapic_lvt_write(struct vlapic_state *s, enum vlapic_lvt lvt, u32 val)
{
	u32 old = s->lvt[lvt];

	val &= lvt_writable[lvt];
	if (!(s->svr & SVR_ENABLE))
		val |= LVT_MASKED;
	s->lvt[lvt] = val;
	if (lvt == VLAPIC_LVT_TIMER && ((old ^ val) & LVT_TIMER_MODE))
		vlapic_timer_disarm(s);
}

static void vlapic_svr_write(struct vlapic_state *s, u32 val)
{
	s->svr = val & SVR_WRITABLE;
	if (!(s->svr & SVR_ENABLE))
		for (unsigned i = 0; i < VLAPIC_NR_LVT; i++)
			s->lvt[i] |= LVT_MASKED;
}

/* This APIC alone is named: physical mode, its own ID, not broadcast. */
static bool vlapic_dest_only_self(const struct vlapic_state *s, u32 dest, bool logical)
{
	if (logical)
		return false;
	if (vlapic_x2apic(s))
		return dest == s->id && dest != 0xffffffffu;
	return dest == (s->id & 0xff) && dest != 0xff;
}

/*
 * Send what the ICR holds (11.6.1). Fixed interrupts for this APIC are
 * accepted here; the rest goes to the wiring (see struct vlapic_wiring).
 */
static void vlapic_icr_send(struct vlapic *lapic)
{
	struct vlapic_state *s = &lapic->state;
	u32 lo = (u32)s->icr;
	u32 dest = vlapic_x2apic(s) ? (u32)(s->icr >> 32) : (u32)(s->icr >> 56);
	u8 vector = lo & ICR_VECTOR, mode = (lo & ICR_DM) >> 8;
	u8 sh = (lo & ICR_SHORTHAND) >> ICR_SHORTHAND_SHIFT;
	bool logical = lo & ICR_LOGICAL, fixed, self, others;

	/* INIT level de-assert only resynchronised arbitration IDs; since the
	 * Pentium 4 it does nothing (11.6.1, "Delivery Mode"). */
	if (mode == VLAPIC_DM_INIT && (lo & ICR_LEVEL) && !(lo & ICR_ASSERT))
		return;
	if ((mode == VLAPIC_DM_FIXED || mode == VLAPIC_DM_LOWEST) && vector < 16) {
		vlapic_error(lapic, ESR_SEND_ILLEGAL);
		return;
	}
	fixed = mode == VLAPIC_DM_FIXED || (mode == VLAPIC_DM_LOWEST && !lapic->wiring.ipi);
	self = sh == VLAPIC_SH_SELF || sh == VLAPIC_SH_ALL ||
	       (sh == VLAPIC_SH_NONE && vlapic_match_dest(lapic, dest, logical));
	others = sh == VLAPIC_SH_ALL || sh == VLAPIC_SH_OTHERS ||
		 (sh == VLAPIC_SH_NONE && !vlapic_dest_only_self(s, dest, logical));
	if (fixed && self)
		vlapic_set_irq(lapic, vector, false);
	if ((!fixed || others) && lapic->wiring.ipi)
		lapic->wiring.ipi(lapic->wiring.ctx, dest, logical,
				  fixed && sh == VLAPIC_SH_ALL ? VLAPIC_SH_OTHERS : sh, mode, vector);
}

/* SELF IPI (x2APIC only, 11.12.11): a Fixed, edge interrupt to this APIC. */
static void vlapic_self_ipi(struct vlapic *lapic, u8 vector)
{
	if (vector < 16)
		vlapic_error(lapic, ESR_SEND_ILLEGAL);
	else
		vlapic_set_irq(lapic, vector, false);
}

static enum vlapic_lvt vlapic_lvt_of(unsigned idx)
{
	return idx == REG_LVT_CMCI ? VLAPIC_LVT_CMCI : (enum vlapic_lvt)(idx - REG_LVT_TIMER + VLAPIC_LVT_TIMER);
}

/*
 * A 32-bit register write by index, after the caller checked access for
 * the mode. The timer is brought up to date first, so an expiry that was
 * due happens under the old settings.
 */
static void vlapic_reg_write(struct vlapic *lapic, unsigned idx, u32 val)
{
	struct vlapic_state *s = &lapic->state;
	u64 now = guest_clock_now(lapic->wiring.clock);

	vlapic_advance(lapic, now);
	switch (idx) {
	case REG_TPR: s->tpr = val & 0xff; break;
	case REG_EOI: vlapic_eoi(lapic); break;
	case REG_LDR: s->ldr = val & LDR_XAPIC_ID; break;
	case REG_DFR: s->dfr = (val & DFR_MODEL) | DFR_ONES; break;
	case REG_SVR: vlapic_svr_write(s, val); break;
	case REG_ESR:	/* latch the errors seen since the last write (11.5.3) */
		s->esr = s->esr_pending;
		s->esr_pending = 0;
		break;
	case REG_ICR_LO:
		s->icr = (s->icr & ~0xffffffffull) | (val & ICR_LO_WRITABLE);
		vlapic_icr_send(lapic);
		break;
	case REG_ICR_HI: s->icr = (u32)s->icr | (u64)(val & ICR_XAPIC_DEST) << 32; break;
	case REG_LVT_CMCI:
	case REG_LVT_TIMER ... REG_LVT_ERROR: vlapic_lvt_write(s, vlapic_lvt_of(idx), val); break;
	case REG_TIMER_ICR: vlapic_timer_initial_write(s, val, now); break;
	case REG_TIMER_DCR: vlapic_timer_dcr_write(s, val, now); break;
	case REG_SELF_IPI: vlapic_self_ipi(lapic, val & 0xff); break;
	default: break;	/* read-only */
	}
}

/* A 32-bit register read by index, after the caller checked access. */
static u32 vlapic_reg_read(const struct vlapic *lapic, unsigned idx)
{
	const struct vlapic_state *s = &lapic->state;
	bool x2 = vlapic_x2apic(s);

	switch (idx) {
	case REG_ID: return x2 ? s->id : (s->id & 0xff) << 24;
	case REG_VERSION: return VLAPIC_VERSION;
	case REG_TPR: return s->tpr;
	case REG_APR: return vlapic_apr(s);
	case REG_PPR: return vlapic_ppr(s);
	case REG_LDR: return x2 ? x2apic_ldr(s->id) : s->ldr;
	case REG_DFR: return s->dfr;
	case REG_SVR: return s->svr;
	case REG_ISR ... REG_ISR + 7: return s->isr[idx - REG_ISR];
	case REG_TMR ... REG_TMR + 7: return s->tmr[idx - REG_TMR];
	case REG_IRR ... REG_IRR + 7: return s->irr[idx - REG_IRR];
	case REG_ESR: return s->esr;
	case REG_ICR_LO: return (u32)s->icr;
	case REG_ICR_HI: return (u32)(s->icr >> 32);
	case REG_LVT_CMCI:
	case REG_LVT_TIMER ... REG_LVT_ERROR: return s->lvt[vlapic_lvt_of(idx)];
	case REG_TIMER_ICR: return s->timer_initial;
	case REG_TIMER_CCR: return vlapic_timer_count(s, guest_clock_now(lapic->wiring.clock));
	case REG_TIMER_DCR: return s->timer_dcr;
	default: return 0;
	}
}

/* --- xAPIC page (11.4.1) ----------------------------------------------------- */

/* Index of an xAPIC register access, or -1: the APIC must be in xAPIC
 * mode, the access 32 bits wide at a 16-byte boundary. */
static int vlapic_mmio_index(const struct vlapic *lapic, u64 offset, unsigned size)
{
	if (!vlapic_xapic(&lapic->state) || size != 4 || offset >= VLAPIC_SIZE || (offset & 0xf))
		return -1;
	if ((offset >> 4) >= VLAPIC_NR_REGS)
		return -1;
	return (int)(offset >> 4);
}

u64 vlapic_mmio_read(struct vlapic *lapic, u64 offset, unsigned size)
{
	int idx = vlapic_mmio_index(lapic, offset, size);

	if (idx < 0 || !(vlapic_access[idx] & XAPIC_R))
		return 0;
	return vlapic_reg_read(lapic, (unsigned)idx);
}

void vlapic_mmio_write(struct vlapic *lapic, u64 offset, unsigned size, u64 val)
{
	int idx = vlapic_mmio_index(lapic, offset, size);

	if (idx >= 0 && (vlapic_access[idx] & XAPIC_W))
		vlapic_reg_write(lapic, (unsigned)idx, (u32)val);
}

static u64 vlapic_io_read(void *dev, u64 offset, unsigned size)
{
	return vlapic_mmio_read(dev, offset, size);
}

static void vlapic_io_write(void *dev, u64 offset, unsigned size, u64 val)
{
	vlapic_mmio_write(dev, offset, size, val);
}

const struct io_ops vlapic_mmio_ops = {
	.read = vlapic_io_read,
	.write = vlapic_io_write,
};

/* --- x2APIC MSRs (11.12.1) ------------------------------------------------- */

/*
 * Bits a WRMSR must leave clear (11.12.1.3, "Reserved Bit Checking").
 * Read-only status bits an OS writes back after a read are tolerated.
 * EOI and ESR take only 0 (11.12.1.2, 11.5.3).
 */
static u32 vlapic_x2apic_reserved(unsigned idx)
{
	switch (idx) {
	case REG_TPR: return ~0xffu;
	case REG_SVR: return ~SVR_WRITABLE;
	case REG_EOI:
	case REG_ESR: return ~0u;
	case REG_LVT_CMCI:
	case REG_LVT_TIMER ... REG_LVT_ERROR:
		return ~(lvt_writable[vlapic_lvt_of(idx)] | (u32)LVT_DS |
			 (idx == REG_LVT_LINT0 || idx == REG_LVT_LINT1 ? (u32)LVT_REMOTE_IRR : 0));
	case REG_TIMER_DCR: return ~DCR_MASK;
	case REG_SELF_IPI: return ~0xffu;
	default: return 0;
	}
}

/* Index of an x2APIC MSR access allowed by want, or -1 for #GP. */
static int vlapic_msr_index(const struct vlapic *lapic, u32 msr, u8 want)
{
	unsigned idx;

	if (!vlapic_x2apic(&lapic->state) || msr < MSR_IA32_X2APIC_BASE || msr > MSR_IA32_X2APIC_END)
		return -1;
	idx = msr - MSR_IA32_X2APIC_BASE;
	if (idx >= VLAPIC_NR_REGS || !(vlapic_access[idx] & want))
		return -1;
	return (int)idx;
}

int vlapic_msr_read(struct vlapic *lapic, u32 msr, u64 *val)
{
	int idx = vlapic_msr_index(lapic, msr, X2APIC_R);

	if (idx < 0)
		return -EINVAL;
	/* The ICR is one 64-bit register, destination in bits 63:32 (11.12.9). */
	*val = idx == REG_ICR_LO ? lapic->state.icr : vlapic_reg_read(lapic, (unsigned)idx);
	return 0;
}

int vlapic_msr_write(struct vlapic *lapic, u32 msr, u64 val)
{
	int idx = vlapic_msr_index(lapic, msr, X2APIC_W);

	if (idx < 0)
		return -EINVAL;
	if (idx == REG_ICR_LO) {
		if ((u32)val & ~ICR_LO_WRITABLE)
			return -EINVAL;
		vlapic_advance(lapic, guest_clock_now(lapic->wiring.clock));
		lapic->state.icr = val;
		vlapic_icr_send(lapic);
		return 0;
	}
	if ((val >> 32) || ((u32)val & vlapic_x2apic_reserved((unsigned)idx)))
		return -EINVAL;
	vlapic_reg_write(lapic, (unsigned)idx, (u32)val);
	return 0;
}

/* --- what the platform asks ---------------------------------------------- */

bool vlapic_accepts_pic(const struct vlapic *lapic)
{
	const struct vlapic_state *s = &lapic->state;

	return !vlapic_hw_enabled(s) ||
	       (s->lvt[VLAPIC_LVT_LINT0] & (LVT_MASKED | LVT_DM)) == VLAPIC_DM_EXTINT << 8;
}

bool vlapic_nmi_on_lint1(const struct vlapic *lapic)
{
	const struct vlapic_state *s = &lapic->state;

	return !vlapic_hw_enabled(s) ||
	       (s->lvt[VLAPIC_LVT_LINT1] & (LVT_MASKED | LVT_DM)) == VLAPIC_DM_NMI << 8;
}

/*
 * Destination matching (11.6.2). Physical: the APIC ID or the broadcast
 * ID. xAPIC logical: flat model ANDs the 8-bit MDA with LDR[31:24];
 * cluster model compares the cluster nibble (15 addresses every cluster)
 * and ANDs the member bits. x2APIC logical: same cluster, a common member
 * bit (11.12.10.2). xAPIC destinations are 8 bits.
 */
bool vlapic_match_dest(const struct vlapic *lapic, u32 dest, bool logical)
{
	const struct vlapic_state *s = &lapic->state;
	u32 ldr;

	if (!vlapic_hw_enabled(s))
		return false;
	if (vlapic_x2apic(s)) {
		ldr = x2apic_ldr(s->id);
		if (dest == 0xffffffffu)
			return true;
		if (!logical)
			return dest == s->id;
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	}
	dest &= 0xff;
	if (!logical)
		return dest == 0xff || dest == (s->id & 0xff);
	ldr = s->ldr >> 24;
	if ((s->dfr & DFR_MODEL) != 0)	/* flat */
		return (dest & ldr) != 0;
	if ((dest >> 4) != 0xf && (dest >> 4) != (ldr >> 4))
		return false;
	return (dest & ldr & 0xf) != 0;
}

/* --- state records (include/devices/snapshot.h) ---------------------------- */

/*
 * What the register rules guarantee and a record could break: the legal
 * IA32_APIC_BASE values (11.4.4, 11.12.5: EXTD only with EN, the base
 * fixed here), each register's writable bits, ones in DFR 27:0, only the
 * illegal-vector errors, no vector 0-15 ever requested (11.5.2), LVTs
 * masked while software-disabled (11.4.7.2), and a timer in a state the
 * timer could reach.
 */
static void vlapic_check(struct snap *sn, const struct vlapic_state *s)
{
	u32 icr_hi = vlapic_x2apic(s) ? 0 : (u32)(s->icr >> 32) & ~ICR_XAPIC_DEST;
	bool lvts_ok = true;

	snap_check(sn, !(s->apic_base & APIC_BASE_RSVD) &&
		   (s->apic_base & APIC_BASE_ADDR) == VLAPIC_BASE,
		   "IA32_APIC_BASE has reserved bits set or another base");
	snap_check(sn, (s->apic_base & APIC_BASE_EN) || !(s->apic_base & APIC_BASE_EXTD),
		   "IA32_APIC_BASE has EXTD without EN");
	snap_check(sn, s->tpr <= 0xff, "the TPR has bits above 7 set");
	snap_check(sn, !(s->ldr & ~LDR_XAPIC_ID), "the LDR has bits below 24 set");
	snap_check(sn, (s->dfr & DFR_ONES) == DFR_ONES, "DFR bits 27:0 are not all ones");
	snap_check(sn, !(s->svr & ~SVR_WRITABLE), "the SVR has reserved bits set");
	snap_check(sn, !((s->irr[0] | s->isr[0] | s->tmr[0]) & 0xffff),
		   "an APIC vector 0-15 is requested or in service");
	snap_check(sn, !((s->esr | s->esr_pending) & ~(ESR_SEND_ILLEGAL | ESR_RECV_ILLEGAL)),
		   "the ESR holds an error this APIC never reports");
	snap_check(sn, !((u32)s->icr & ~ICR_LO_WRITABLE) && !icr_hi,
		   "the ICR has bits the APIC does not keep");
	for (unsigned i = 0; i < VLAPIC_NR_LVT; i++) {
		snap_check(sn, !(s->lvt[i] & ~lvt_writable[i]), "an LVT entry has reserved bits set");
		lvts_ok = lvts_ok && ((s->svr & SVR_ENABLE) || (s->lvt[i] & LVT_MASKED));
	}
	snap_check(sn, lvts_ok, "an LVT entry is unmasked while the APIC is software-disabled");
	vlapic_timer_check(sn, s);
}

static void vlapic_vectors(struct snap *sn, u32 set[8])
{
	for (unsigned i = 0; i < 8; i++)
		snap_u32(sn, &set[i]);
}

/*
 * Every field of struct vlapic_state, in record order. The assert fails
 * when the struct changes size: a field added to the state must be added
 * here too, and VLAPIC_SNAP_VERSION bumped.
 */
STATIC_ASSERT(sizeof(struct vlapic_state) == 208,
	      "struct vlapic_state changed: update vlapic_fields() and VLAPIC_SNAP_VERSION");

static void vlapic_fields(struct snap *sn, void *p)
{
	struct vlapic_state *s = p;

	snap_u32(sn, &s->id);
	snap_u64(sn, &s->apic_base);
	snap_u32(sn, &s->tpr);
	snap_u32(sn, &s->ldr);
	snap_u32(sn, &s->dfr);
	snap_u32(sn, &s->svr);
	vlapic_vectors(sn, s->isr);
	vlapic_vectors(sn, s->tmr);
	vlapic_vectors(sn, s->irr);
	snap_u32(sn, &s->esr);
	snap_u32(sn, &s->esr_pending);
	snap_u64(sn, &s->icr);
	for (unsigned i = 0; i < VLAPIC_NR_LVT; i++)
		snap_u32(sn, &s->lvt[i]);
	snap_u32(sn, &s->timer_initial);
	snap_u32(sn, &s->timer_dcr);
	snap_u64(sn, &s->tsc_deadline);
	snap_bool(sn, &s->timer_armed);
	snap_u64(sn, &s->timer_due_ns);
	vlapic_check(sn, s);
}

int vlapic_save(const struct vlapic *lapic, void *buf, size_t len)
{
	return snap_save(buf, len, VLAPIC_SNAP_TAG, VLAPIC_SNAP_VERSION, vlapic_fields,
			 &lapic->state, NULL);
}

/* The record goes into a scratch copy; only a good one, of this APIC,
 * replaces the state. */
int vlapic_load(struct vlapic *lapic, const void *buf, size_t len, bool apply, const char **why)
{
	struct vlapic_state st = { 0 };
	int err = snap_load(buf, len, VLAPIC_SNAP_TAG, VLAPIC_SNAP_VERSION, vlapic_fields, &st, why);

	if (!err && (st.id != lapic->state.id ||
		     (st.apic_base ^ lapic->state.apic_base) & APIC_BASE_BSP)) {
		*why = "the record is another vCPU's APIC";
		err = -EINVAL;
	}
	if (err || !apply)
		return err;
	lapic->state = st;
	return 0;
}
