/*
 * 82093AA I/O APIC model. Register names, bits and rules follow the Intel
 * 82093AA I/O Advanced Programmable Interrupt Controller datasheet (May
 * 1996), section 3 "Register Description": IOREGSEL/IOWIN, IOAPICID,
 * IOAPICVER, IOAPICARB and IOREDTBL[23:0].
 *
 * Messages go out at once through the wiring, so Delivery Status always
 * reads idle. Remote IRR is set when a level-triggered message is sent
 * (the local APIC always accepts it) and cleared by vioapic_eoi() or, as
 * on real parts and as Linux expects of IO-APICs older than version 0x20,
 * by reprogramming the entry edge-triggered.
 */
#include "devices/vioapic.h"
#include "devices/vlapic.h"

/* Direct registers: offsets in the 4 KiB page (section 3.1). */
#define IOREGSEL		0x00
#define IOWIN			0x10

/* Indirect registers: IOREGSEL values (section 3.2). */
#define IOAPICID		0x00
#define IOAPICVER		0x01
#define IOAPICARB		0x02
#define IOREDTBL		0x10	/* entry n: low word 0x10 + 2n, high word 0x11 + 2n */
#define IOREDTBL_END		(IOREDTBL + 2 * VIOAPIC_NR_PINS)

#define IOREGSEL_MASK		0xffu
#define IOAPICID_MASK		0x0f000000u	/* ID, bits 27:24 */
/* Version 0x11, maximum redirection entry 23 in bits 23:16. */
#define VIOAPIC_VERSION		(0x11u | (VIOAPIC_NR_PINS - 1) << 16)

/* Redirection table entry (IOREDTBL). */
#define REDIR_VECTOR		0xffull
#define REDIR_DM		(7ull << 8)	/* delivery mode */
#define REDIR_DM_SHIFT		8
#define REDIR_LOGICAL		BIT(11)	/* destination mode */
#define REDIR_DS		BIT(12)	/* delivery status (read-only) */
#define REDIR_ACTIVE_LOW	BIT(13)	/* interrupt input pin polarity */
#define REDIR_REMOTE_IRR	BIT(14)	/* read-only */
#define REDIR_LEVEL		BIT(15)	/* trigger mode */
#define REDIR_MASKED		BIT(16)
#define REDIR_DEST_SHIFT	56	/* destination field, bits 63:56 */
#define REDIR_WRITABLE		(REDIR_VECTOR | REDIR_DM | REDIR_LOGICAL | REDIR_ACTIVE_LOW | \
				 REDIR_LEVEL | REDIR_MASKED | (0xffull << REDIR_DEST_SHIFT))

void vioapic_init(struct vioapic *ioapic, const struct vioapic_wiring *w)
{
	struct vioapic_state *s = &ioapic->state;

	*s = (struct vioapic_state){ 0 };
	for (unsigned i = 0; i < VIOAPIC_NR_PINS; i++)
		s->redir[i] = REDIR_MASKED;
	ioapic->wiring = w ? *w : (struct vioapic_wiring){ 0 };
}

/* The pin's input, polarity applied. */
static bool vioapic_asserted(const struct vioapic_state *s, unsigned pin)
{
	bool level = s->lines & (1u << pin);

	return (s->redir[pin] & REDIR_ACTIVE_LOW) ? !level : level;
}

/*
 * Level semantics apply to Fixed and lowest-priority entries only: NMI,
 * SMI, INIT and ExtINT are always treated as edge-triggered, whatever the
 * trigger mode bit says (IOREDTBL, "Delivery Mode").
 */
static bool vioapic_is_level(u64 entry)
{
	u64 mode = (entry & REDIR_DM) >> REDIR_DM_SHIFT;

	return (entry & REDIR_LEVEL) && (mode == VLAPIC_DM_FIXED || mode == VLAPIC_DM_LOWEST);
}

static void vioapic_send(struct vioapic *ioapic, unsigned pin)
{
	u64 e = ioapic->state.redir[pin];

	if (!ioapic->wiring.deliver)
		return;
	ioapic->wiring.deliver(ioapic->wiring.ctx, (u32)(e >> REDIR_DEST_SHIFT), e & REDIR_LOGICAL,
			       (u8)((e & REDIR_DM) >> REDIR_DM_SHIFT), (u8)(e & REDIR_VECTOR),
			       vioapic_is_level(e));
}

/*
 * A level-triggered pin sends while it is asserted, unmasked and the
 * previous message is not yet EOIed (remote IRR clear), then waits for
 * the EOI. Masked pins do nothing (IOREDTBL, "Interrupt Mask").
 */
static void vioapic_level_check(struct vioapic *ioapic, unsigned pin)
{
	struct vioapic_state *s = &ioapic->state;
	u64 e = s->redir[pin];

	if (!vioapic_is_level(e) || (e & (REDIR_MASKED | REDIR_REMOTE_IRR)) ||
	    !vioapic_asserted(s, pin))
		return;
	s->redir[pin] |= REDIR_REMOTE_IRR;
	vioapic_send(ioapic, pin);
}

/* Edge-triggered pins send on the asserting edge; a masked pin loses it. */
void vioapic_set_irq(struct vioapic *ioapic, unsigned pin, bool level)
{
	struct vioapic_state *s = &ioapic->state;
	bool was;

	if (pin >= VIOAPIC_NR_PINS)
		return;
	was = vioapic_asserted(s, pin);
	if (level)
		s->lines |= 1u << pin;
	else
		s->lines &= ~(1u << pin);
	if (vioapic_is_level(s->redir[pin]))
		vioapic_level_check(ioapic, pin);
	else if (!was && vioapic_asserted(s, pin) && !(s->redir[pin] & REDIR_MASKED))
		vioapic_send(ioapic, pin);
}

/* Clear remote IRR of every entry with this vector; a line still
 * asserted sends again. */
void vioapic_eoi(struct vioapic *ioapic, u8 vector)
{
	struct vioapic_state *s = &ioapic->state;

	for (unsigned pin = 0; pin < VIOAPIC_NR_PINS; pin++) {
		if ((s->redir[pin] & REDIR_VECTOR) != vector || !(s->redir[pin] & REDIR_REMOTE_IRR))
			continue;
		s->redir[pin] &= ~REDIR_REMOTE_IRR;
		vioapic_level_check(ioapic, pin);
	}
}

/*
 * Write one half of a redirection entry. Read-only bits keep their value;
 * an entry made edge-triggered drops remote IRR; an asserted level pin
 * that is now unmasked (or newly level) sends.
 */
static void vioapic_redir_write(struct vioapic *ioapic, unsigned pin, bool high, u32 val)
{
	u64 *e = &ioapic->state.redir[pin];
	u64 mask = high ? 0xffffffff00000000ull : 0xffffffffull;
	u64 v = high ? (u64)val << 32 : val;

	*e = (*e & ~(mask & REDIR_WRITABLE)) | (v & mask & REDIR_WRITABLE);
	if (!(*e & REDIR_LEVEL))
		*e &= ~REDIR_REMOTE_IRR;
	vioapic_level_check(ioapic, pin);
}

static u32 vioapic_reg_read(const struct vioapic_state *s)
{
	unsigned reg = s->regsel;

	switch (reg) {
	case IOAPICID: return s->id;
	case IOAPICVER: return VIOAPIC_VERSION;
	case IOAPICARB: return s->id;	/* loaded from the ID on each ID write */
	}
	if (reg >= IOREDTBL && reg < IOREDTBL_END) {
		u64 e = s->redir[(reg - IOREDTBL) / 2];
		return (reg & 1) ? (u32)(e >> 32) : (u32)e;
	}
	return 0;
}

static void vioapic_reg_write(struct vioapic *ioapic, u32 val)
{
	unsigned reg = ioapic->state.regsel;

	if (reg == IOAPICID)
		ioapic->state.id = val & IOAPICID_MASK;
	else if (reg >= IOREDTBL && reg < IOREDTBL_END)
		vioapic_redir_write(ioapic, (reg - IOREDTBL) / 2, reg & 1, val);
	/* IOAPICVER and IOAPICARB are read-only; other indexes do not exist. */
}

u64 vioapic_mmio_read(struct vioapic *ioapic, u64 offset, unsigned size)
{
	if (size != 4)
		return 0;
	if (offset == IOREGSEL)
		return ioapic->state.regsel;
	if (offset == IOWIN)
		return vioapic_reg_read(&ioapic->state);
	return 0;
}

void vioapic_mmio_write(struct vioapic *ioapic, u64 offset, unsigned size, u64 val)
{
	if (size != 4)
		return;
	if (offset == IOREGSEL)
		ioapic->state.regsel = (u32)val & IOREGSEL_MASK;
	else if (offset == IOWIN)
		vioapic_reg_write(ioapic, (u32)val);
}

static u64 vioapic_io_read(void *dev, u64 offset, unsigned size)
{
	return vioapic_mmio_read(dev, offset, size);
}

static void vioapic_io_write(void *dev, u64 offset, unsigned size, u64 val)
{
	vioapic_mmio_write(dev, offset, size, val);
}

const struct io_ops vioapic_mmio_ops = {
	.read = vioapic_io_read,
	.write = vioapic_io_write,
};

/* --- state records (include/devices/snapshot.h) ---------------------------- */

/*
 * What the register rules guarantee of an entry and a record could break
 * (section 3.2.4, IOREDTBL): only the writable bits and remote IRR are
 * ever set (delivery status reads idle: messages go at once); remote IRR
 * is cleared when the entry is made edge-triggered; and an asserted,
 * unmasked level-triggered pin always has its message in flight (remote
 * IRR set), or it would wait for an edge that never comes.
 */
static void vioapic_entry_check(struct snap *s, const struct vioapic_state *st, unsigned pin)
{
	u64 e = st->redir[pin];

	snap_check(s, !(e & ~(REDIR_WRITABLE | REDIR_REMOTE_IRR)),
		   "an IO-APIC entry has reserved or delivery status bits set");
	snap_check(s, !(e & REDIR_REMOTE_IRR) || (e & REDIR_LEVEL),
		   "an edge-triggered IO-APIC entry has remote IRR set");
	snap_check(s, !vioapic_is_level(e) || (e & (REDIR_MASKED | REDIR_REMOTE_IRR)) ||
		   !vioapic_asserted(st, pin),
		   "an asserted level-triggered IO-APIC pin has sent nothing");
}

/*
 * Every field of struct vioapic_state, in record order, with the checks
 * of the registers' own masks. The assert fails when the struct changes
 * size: a field added to the state must be added here too, and
 * VIOAPIC_SNAP_VERSION bumped.
 */
STATIC_ASSERT(sizeof(struct vioapic_state) == 16 + 8 * VIOAPIC_NR_PINS,
	      "struct vioapic_state changed: update vioapic_fields() and VIOAPIC_SNAP_VERSION");

static void vioapic_fields(struct snap *s, void *p)
{
	struct vioapic_state *st = p;

	snap_u32(s, &st->regsel);
	snap_check(s, !(st->regsel & ~IOREGSEL_MASK), "IOREGSEL has bits above 7 set");
	snap_u32(s, &st->id);
	snap_check(s, !(st->id & ~IOAPICID_MASK), "IOAPICID has bits outside 27:24 set");
	snap_u32(s, &st->lines);
	snap_check(s, !(st->lines >> VIOAPIC_NR_PINS), "an IO-APIC line above pin 23 is high");
	for (unsigned pin = 0; pin < VIOAPIC_NR_PINS; pin++) {
		snap_u64(s, &st->redir[pin]);
		vioapic_entry_check(s, st, pin);
	}
}

int vioapic_save(const struct vioapic *ioapic, void *buf, size_t len)
{
	return snap_save(buf, len, VIOAPIC_SNAP_TAG, VIOAPIC_SNAP_VERSION, vioapic_fields,
			 &ioapic->state, NULL);
}

/* The record goes into a scratch copy; only a good one replaces the state. */
int vioapic_load(struct vioapic *ioapic, const void *buf, size_t len, bool apply,
		 const char **why)
{
	struct vioapic_state st = { 0 };
	int err = snap_load(buf, len, VIOAPIC_SNAP_TAG, VIOAPIC_SNAP_VERSION, vioapic_fields,
			    &st, why);

	if (err || !apply)
		return err;
	ioapic->state = st;
	return 0;
}

static int vioapic_dev_save(const void *dev, void *buf, size_t len)
{
	return vioapic_save(dev, buf, len);
}

static int vioapic_dev_load(void *dev, const void *buf, size_t len, bool apply, const char **why)
{
	return vioapic_load(dev, buf, len, apply, why);
}

const struct dev_ops vioapic_dev_ops = {
	.save = vioapic_dev_save,
	.load = vioapic_dev_load,
};
