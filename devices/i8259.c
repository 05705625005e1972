/*
 * The PC's cascaded pair of 8259A interrupt controllers. Initialization
 * and operation commands follow the Intel 8259A datasheet (231468-003):
 * "Initialization Command Words" (Figure 6), "Operation Command Words"
 * (Figure 8), "The Fully Nested Mode", "End of Interrupt", "Automatic
 * Rotation", "Special Mask Mode", "Poll Command" and "Edge and Level
 * Triggered Modes". The ELCR at 0x4d0/0x4d1 is the PIIX/ICH register
 * that makes individual inputs level-triggered.
 *
 * Choices where the datasheet leaves room:
 *  - An edge-triggered request stays in IRR after its line falls, so a
 *    pulse (raise, then lower) from a timer model is one interrupt. A
 *    level-triggered input's IRR bit follows the line, and one that fell
 *    before the INTA cycle gets the spurious IR7 vector.
 *  - ICW1 also clears ISR, so a re-initialised chip never keeps a stale
 *    in-service bit that would block its inputs forever.
 *  - ICW4's 8080 mode, buffered mode and master/slave bits are stored
 *    only: vectors are always the x86 form, ICW2 bits 7:3 plus the input.
 */
#include "devices/i8259.h"

#define ICW1_IC4	BIT(0)		/* ICW4 will be written */
#define ICW1_SNGL	BIT(1)		/* single chip, no ICW3 */
#define ICW1_LTIM	BIT(3)		/* level-triggered inputs */
#define ICW1_INIT	BIT(4)		/* an even-port write with bit 4 set is ICW1 */
#define ICW2_BASE	0xf8		/* vector bits 7:3 */
#define ICW4_AEOI	BIT(1)		/* automatic end of interrupt */
#define ICW4_SFNM	BIT(4)		/* special fully nested mode */

#define OCW3_SEL	BIT(3)		/* an even-port write with bits 4:3 = 01 is OCW3 */
#define OCW3_RIS	BIT(0)		/* read ISR (else IRR) ... */
#define OCW3_RR		BIT(1)		/* ... when RR is set */
#define OCW3_POLL	BIT(2)
#define OCW3_SMM	BIT(5)		/* special mask mode on (else off) ... */
#define OCW3_ESMM	BIT(6)		/* ... when ESMM is set */

/* OCW2 bits 7:5 (R, SL, EOI). */
enum {
	OCW2_ROTATE_AEOI_CLEAR = 0, OCW2_EOI = 1, OCW2_NOP = 2, OCW2_SPECIFIC_EOI = 3,
	OCW2_ROTATE_AEOI_SET = 4, OCW2_ROTATE_EOI = 5, OCW2_SET_PRIORITY = 6,
	OCW2_ROTATE_SPECIFIC_EOI = 7,
};

#define POLL_INT	BIT(7)		/* poll word: an interrupt is pending */
#define SPURIOUS_IRQ	7
#define ELCR_MASK_MASTER 0xf8		/* IRQ 0, 1 and 2 are always edge */
#define ELCR_MASK_SLAVE	 0xde		/* IRQ 8 and 13 are always edge */

enum { MASTER = 0, SLAVE = 1 };

static u8 chip_level_inputs(const struct i8259_chip *c)
{
	return (c->icw1 & ICW1_LTIM) ? 0xff : c->elcr;
}

/* Priority rank of an input, 0 the highest: the one after `lowest`. */
static unsigned chip_rank(const struct i8259_chip *c, unsigned irq)
{
	return (irq - c->lowest - 1) & 7;
}

/* The highest-priority input set in mask, or -1. */
static int chip_highest(const struct i8259_chip *c, u8 mask)
{
	unsigned i, irq;

	for (i = 1; i <= 8; i++) {
		irq = (c->lowest + i) & 7;
		if (mask & BIT(irq))
			return (int)irq;
	}
	return -1;
}

/*
 * The input the chip would interrupt for: the highest unmasked request
 * above every level in service ("The Fully Nested Mode"). Special mask
 * mode lets masked in-service levels stop blocking; special fully nested
 * mode lets the master take a new slave request while IR2 is in service.
 */
static int chip_pending(const struct i8259_chip *c, bool master)
{
	int irq = chip_highest(c, c->irr & ~c->imr), busy;
	u8 blocking = c->isr;

	if (irq < 0)
		return -1;
	if (c->special_mask)
		blocking &= ~c->imr;
	if (master && (c->icw4 & ICW4_SFNM))
		blocking &= ~BIT(I8259_CASCADE);
	busy = chip_highest(c, blocking);
	if (busy >= 0 && chip_rank(c, (unsigned)busy) <= chip_rank(c, (unsigned)irq))
		return -1;
	return irq;
}

/* An input line changes: edges latch into IRR, level inputs follow it. */
static void chip_input(struct i8259_chip *c, unsigned pin, bool level)
{
	u8 bit = (u8)BIT(pin);

	if (chip_level_inputs(c) & bit) {
		c->irr = level ? c->irr | bit : c->irr & ~bit;
	} else if (level && !(c->lines & bit)) {
		c->irr |= bit;
	}
	c->lines = level ? c->lines | bit : c->lines & ~bit;
}

/* Accept a request in an INTA cycle or a poll. */
static void chip_accept(struct i8259_chip *c, unsigned irq)
{
	if (!(chip_level_inputs(c) & BIT(irq)))
		c->irr &= ~BIT(irq);
	if (!(c->icw4 & ICW4_AEOI))
		c->isr |= BIT(irq);
	else if (c->rotate_aeoi)
		c->lowest = (u8)irq;
}

/*
 * Recompute INT outputs: the slave's feeds master IR2, the master's the
 * CPU. Master IR2 follows the slave's INT as a level: a real IR2 edge
 * request also vanishes when the line drops before INTA, and a slave
 * request that went away then ends as the master's IR7, as on hardware.
 */
static void pic_update(struct i8259 *pic)
{
	struct i8259_chip *m = &pic->state.chip[MASTER], *s = &pic->state.chip[SLAVE];
	u8 cascade = (u8)BIT(I8259_CASCADE);
	bool was = m->int_out;

	s->int_out = chip_pending(s, false) >= 0;
	m->irr = s->int_out ? m->irr | cascade : m->irr & ~cascade;
	m->lines = s->int_out ? m->lines | cascade : m->lines & ~cascade;
	m->int_out = chip_pending(m, true) >= 0;
	if (m->int_out != was && pic->wiring.intr_changed)
		pic->wiring.intr_changed(pic->wiring.ctx, m->int_out);
}

static void chip_reset(struct i8259_chip *c, u8 elcr_mask)
{
	*c = (struct i8259_chip){ .imr = 0xff, .lowest = 7, .elcr_mask = elcr_mask };
}

void i8259_init(struct i8259 *pic, void (*intr_changed)(void *ctx, bool level), void *ctx)
{
	chip_reset(&pic->state.chip[MASTER], ELCR_MASK_MASTER);
	chip_reset(&pic->state.chip[SLAVE], ELCR_MASK_SLAVE);
	pic->wiring = (struct i8259_wiring){ .intr_changed = intr_changed, .ctx = ctx };
}

void i8259_sync(struct i8259 *pic)
{
	pic_update(pic);
	if (pic->wiring.intr_changed)
		pic->wiring.intr_changed(pic->wiring.ctx, pic->state.chip[MASTER].int_out);
}

void i8259_set_irq(struct i8259 *pic, unsigned irq, bool level)
{
	if (irq >= I8259_NR_IRQS || irq == I8259_CASCADE)
		return;
	chip_input(&pic->state.chip[irq / 8], irq % 8, level);
	pic_update(pic);
}

void i8259_irq_line_set(void *ctx, unsigned irq, bool level)
{
	i8259_set_irq(ctx, irq, level);
}

bool i8259_intr(const struct i8259 *pic)
{
	return pic->state.chip[MASTER].int_out;
}

static int chip_vector(const struct i8259_chip *c, unsigned irq)
{
	return (c->icw2 & ICW2_BASE) | irq;
}

/*
 * The INTA sequence. With no request left, the chip answers with IR7 and
 * sets no ISR bit ("Interrupt Sequence"): Linux's i8259A_irq_real() then
 * finds ISR bit 7 clear and counts a spurious interrupt. For IR2 of a
 * cascaded master the slave supplies the vector, or its own IR7.
 */
int i8259_ack(struct i8259 *pic)
{
	struct i8259_chip *m = &pic->state.chip[MASTER], *s = &pic->state.chip[SLAVE];
	int irq = chip_pending(m, true), vector;

	if (irq < 0) {
		vector = chip_vector(m, SPURIOUS_IRQ);
	} else {
		chip_accept(m, (unsigned)irq);
		vector = chip_vector(m, (unsigned)irq);
		if (irq == I8259_CASCADE && !(m->icw1 & ICW1_SNGL)) {
			irq = chip_pending(s, false);
			if (irq < 0) {
				vector = chip_vector(s, SPURIOUS_IRQ);
			} else {
				chip_accept(s, (unsigned)irq);
				vector = chip_vector(s, (unsigned)irq);
			}
		}
	}
	pic_update(pic);
	return vector;
}

/*
 * ICW1 starts initialization: the edge sense latches reset (an input
 * must rise again), IMR and ISR clear, IR7 gets the lowest priority,
 * special mask mode ends, reads select IRR, and ICW4 reads as zero until
 * written.
 */
static void chip_icw1(struct i8259_chip *c, u8 val)
{
	c->icw1 = val;
	c->icw4 = 0;
	c->init_step = 2;
	c->imr = c->isr = 0;
	c->irr = c->lines & chip_level_inputs(c);
	c->lowest = 7;
	c->special_mask = c->read_isr = c->poll = c->rotate_aeoi = false;
}

/* Odd-port writes: the next ICW while initialising, OCW1 (IMR) after. */
static void chip_odd_write(struct i8259_chip *c, u8 val)
{
	switch (c->init_step) {
	case 2:
		c->icw2 = val;
		if (!(c->icw1 & ICW1_SNGL))
			c->init_step = 3;
		else
			c->init_step = (c->icw1 & ICW1_IC4) ? 4 : 0;
		break;
	case 3:
		c->icw3 = val;
		c->init_step = (c->icw1 & ICW1_IC4) ? 4 : 0;
		break;
	case 4:
		c->icw4 = val;
		c->init_step = 0;
		break;
	default:
		c->imr = val;
		break;
	}
}

/* A non-specific EOI ends the highest level in service; in special mask
 * mode a masked level is skipped ("Special Mask Mode"). */
static int chip_eoi(struct i8259_chip *c)
{
	int irq = chip_highest(c, c->special_mask ? c->isr & ~c->imr : c->isr);

	if (irq >= 0)
		c->isr &= ~BIT(irq);
	return irq;
}

static void chip_ocw2(struct i8259_chip *c, u8 val)
{
	unsigned level = val & 7;
	int irq;

	switch (val >> 5) {
	case OCW2_EOI: chip_eoi(c); break;
	case OCW2_SPECIFIC_EOI: c->isr &= ~BIT(level); break;
	case OCW2_ROTATE_EOI:
		irq = chip_eoi(c);
		if (irq >= 0)
			c->lowest = (u8)irq;
		break;
	case OCW2_ROTATE_SPECIFIC_EOI:
		c->isr &= ~BIT(level);
		c->lowest = (u8)level;
		break;
	case OCW2_SET_PRIORITY: c->lowest = (u8)level; break;
	case OCW2_ROTATE_AEOI_SET: c->rotate_aeoi = true; break;
	case OCW2_ROTATE_AEOI_CLEAR: c->rotate_aeoi = false; break;
	default: break;		/* no operation */
	}
}

static void chip_ocw3(struct i8259_chip *c, u8 val)
{
	if (val & OCW3_POLL)
		c->poll = true;
	if (val & OCW3_RR)
		c->read_isr = val & OCW3_RIS;
	if (val & OCW3_ESMM)
		c->special_mask = val & OCW3_SMM;
}

void i8259_write(struct i8259 *pic, unsigned chip, unsigned port, u8 val)
{
	struct i8259_chip *c;

	if (chip > SLAVE)
		return;
	c = &pic->state.chip[chip];
	if (port & 1)
		chip_odd_write(c, val);
	else if (val & ICW1_INIT)
		chip_icw1(c, val);
	else if (val & OCW3_SEL)
		chip_ocw3(c, val);
	else
		chip_ocw2(c, val);
	pic_update(pic);
}

/*
 * A poll ("Poll Command") is an INTA without the vector: it accepts the
 * highest request and reads back 0x80 | level, or 0 with none.
 */
static u8 chip_poll(struct i8259 *pic, struct i8259_chip *c, bool master)
{
	int irq = chip_pending(c, master);

	c->poll = false;
	if (irq < 0)
		return 0;
	chip_accept(c, (unsigned)irq);
	pic_update(pic);
	return POLL_INT | (u8)irq;
}

u8 i8259_read(struct i8259 *pic, unsigned chip, unsigned port)
{
	struct i8259_chip *c;

	if (chip > SLAVE)
		return 0xff;
	c = &pic->state.chip[chip];
	if (c->poll)
		return chip_poll(pic, c, chip == MASTER);
	if (port & 1)
		return c->imr;
	return c->read_isr ? c->isr : c->irr;
}

/* An input switched to level mode takes its IRR bit from the line. */
static void chip_elcr_write(struct i8259_chip *c, u8 val)
{
	u8 level;

	c->elcr = val & c->elcr_mask;
	level = chip_level_inputs(c);
	c->irr = (c->irr & ~level) | (c->lines & level);
}

/* Accesses wider than a byte act as a byte access to the first port. */
static u64 i8259_master_read(void *dev, u64 offset, unsigned size)
{
	return offset < 2 ? i8259_read(dev, MASTER, (unsigned)offset) : 0xff;
}

static void i8259_master_write(void *dev, u64 offset, unsigned size, u64 val)
{
	if (offset < 2)
		i8259_write(dev, MASTER, (unsigned)offset, (u8)val);
}

static u64 i8259_slave_read(void *dev, u64 offset, unsigned size)
{
	return offset < 2 ? i8259_read(dev, SLAVE, (unsigned)offset) : 0xff;
}

static void i8259_slave_write(void *dev, u64 offset, unsigned size, u64 val)
{
	if (offset < 2)
		i8259_write(dev, SLAVE, (unsigned)offset, (u8)val);
}

static u64 i8259_elcr_read(void *dev, u64 offset, unsigned size)
{
	struct i8259 *pic = dev;

	return offset < 2 ? pic->state.chip[offset].elcr : 0xff;
}

static void i8259_elcr_write(void *dev, u64 offset, unsigned size, u64 val)
{
	struct i8259 *pic = dev;

	if (offset >= 2)
		return;
	chip_elcr_write(&pic->state.chip[offset], (u8)val);
	pic_update(pic);
}

const struct io_ops i8259_master_ops = {
	.read = i8259_master_read,
	.write = i8259_master_write,
};

const struct io_ops i8259_slave_ops = {
	.read = i8259_slave_read,
	.write = i8259_slave_write,
};

const struct io_ops i8259_elcr_ops = {
	.read = i8259_elcr_read,
	.write = i8259_elcr_write,
};

/* --- state records (include/devices/snapshot.h) ---------------------------- */

/*
 * What the command words guarantee of one chip and a record could break.
 * Initialisation runs ICW1, ICW2, then ICW3 only without SNGL and ICW4
 * only with IC4 (Figure 6); ICW1 is known by its bit 4, 0 before the
 * first. Rotation names an input 0-7 as the lowest. The ELCR of each chip
 * has its fixed edge-only inputs, and a level-triggered input's request
 * is its line ("Edge and Level Triggered Modes").
 */
static void chip_check(struct snap *s, const struct i8259_chip *c, u8 elcr_mask)
{
	bool sngl = c->icw1 & ICW1_SNGL, ic4 = c->icw1 & ICW1_IC4;

	snap_check(s, !c->icw1 || (c->icw1 & ICW1_INIT), "a PIC's ICW1 lacks bit 4");
	snap_check(s, c->init_step == 0 || c->init_step == 2 || (c->init_step == 3 && !sngl) ||
		   (c->init_step == 4 && ic4), "a PIC waits for an ICW its ICW1 did not ask for");
	snap_check(s, c->lowest < 8, "a PIC's lowest priority input is not 0-7");
	snap_check(s, c->elcr_mask == elcr_mask, "a PIC's ELCR mask is not that chip's");
	snap_check(s, !(c->elcr & ~elcr_mask), "a PIC's ELCR makes an edge-only input level");
	snap_check(s, !((c->irr ^ c->lines) & chip_level_inputs(c)),
		   "a PIC's level-triggered request does not follow its line");
}

static void chip_fields(struct snap *s, struct i8259_chip *c, u8 elcr_mask)
{
	snap_u8(s, &c->irr);
	snap_u8(s, &c->isr);
	snap_u8(s, &c->imr);
	snap_u8(s, &c->lines);
	snap_u8(s, &c->elcr);
	snap_u8(s, &c->elcr_mask);
	snap_u8(s, &c->icw1);
	snap_u8(s, &c->icw2);
	snap_u8(s, &c->icw3);
	snap_u8(s, &c->icw4);
	snap_u8(s, &c->init_step);
	snap_u8(s, &c->lowest);
	snap_bool(s, &c->read_isr);
	snap_bool(s, &c->poll);
	snap_bool(s, &c->special_mask);
	snap_bool(s, &c->rotate_aeoi);
	snap_bool(s, &c->int_out);
	chip_check(s, c, elcr_mask);
}

/*
 * Every field of struct i8259_state, master then slave, in record order.
 * The asserts fail when a struct changes size: a field added to the state
 * must be added here too, and I8259_SNAP_VERSION bumped.
 */
STATIC_ASSERT(sizeof(struct i8259_chip) == 17,
	      "struct i8259_chip changed: update chip_fields() and I8259_SNAP_VERSION");
STATIC_ASSERT(sizeof(struct i8259_state) == 34,
	      "struct i8259_state changed: update i8259_fields() and I8259_SNAP_VERSION");

static void i8259_fields(struct snap *s, void *p)
{
	struct i8259_state *st = p;

	chip_fields(s, &st->chip[MASTER], ELCR_MASK_MASTER);
	chip_fields(s, &st->chip[SLAVE], ELCR_MASK_SLAVE);
}

int i8259_save(const struct i8259 *pic, void *buf, size_t len)
{
	return snap_save(buf, len, I8259_SNAP_TAG, I8259_SNAP_VERSION, i8259_fields, &pic->state,
			 NULL);
}

/* The record goes into a scratch copy; only a good one replaces the state,
 * and the INT outputs (derived state) are recomputed and driven. */
int i8259_load(struct i8259 *pic, const void *buf, size_t len, bool apply, const char **why)
{
	struct i8259_state st = { 0 };
	int err = snap_load(buf, len, I8259_SNAP_TAG, I8259_SNAP_VERSION, i8259_fields, &st, why);

	if (err || !apply)
		return err;
	pic->state = st;
	i8259_sync(pic);
	return 0;
}

static int i8259_dev_save(const void *dev, void *buf, size_t len)
{
	return i8259_save(dev, buf, len);
}

static int i8259_dev_load(void *dev, const void *buf, size_t len, bool apply, const char **why)
{
	return i8259_load(dev, buf, len, apply, why);
}

const struct dev_ops i8259_dev_ops = {
	.save = i8259_dev_save,
	.load = i8259_dev_load,
};
