/*
 * Intel 8254 programmable interval timer model. Modes, control word,
 * latch and read-back commands follow the Intel 8254 datasheet
 * (231164-005): "Operation" (Modes 0-5, Figures 11-16), "Control Word
 * Format", "Read-Back Command" and Table "Gate Pin Operations Summary".
 *
 * Nothing ticks: a counting channel is (count loaded, PIT clock tick it
 * was loaded at), and its count and OUT at any tick are computed. As the
 * datasheet says, a count written to an idle counter is loaded on the
 * next CLK pulse, which does not decrement it: a mode 0 count N raises
 * OUT N+1 clocks after the write.
 *
 * Simplifications: BCD counting (control word bit 0) is stored and read
 * back in the status byte, but counters always count in binary. A count
 * of 1, illegal in modes 2 and 3, leaves OUT high. Only OUT transitions
 * made by counting raise IRQ 0; a control word that sets OUT high does
 * not, and OUT is never held high on the line (see i8254_advance()).
 */
#include "devices/i8254.h"

/* Control word (port 0x43) fields. */
#define CW_SC_SHIFT	6		/* bits 7:6: counter select, 3 = read-back */
#define CW_RW_SHIFT	4		/* bits 5:4: 0 latch, 1 LSB, 2 MSB, 3 LSB then MSB */
#define CW_MODE_SHIFT	1		/* bits 3:1: mode; 6 and 7 alias modes 2 and 3 */
#define CW_PROGRAM	0x3f		/* the bits a channel keeps (status bits 5:0) */
#define RW_LSB		1
#define RW_MSB		2
#define RW_BOTH		3

/* Read-back command: bits 5 and 4 are active low. */
#define RB_NO_COUNT	BIT(5)
#define RB_NO_STATUS	BIT(4)
#define RB_CHANNELS	0x0e		/* bits 3:1: counters 2, 1, 0 */

#define STATUS_OUT	BIT(7)
#define STATUS_NULL	BIT(6)

/* Port 0x61 (PC/AT system control port B). */
#define P61_GATE2	BIT(0)		/* channel 2 gate */
#define P61_SPEAKER	BIT(1)		/* speaker data enable */
#define P61_WRITABLE	0x0f		/* bits 2-3: parity/IOCHK check enables */
#define P61_REFRESH	BIT(4)		/* refresh request toggle */
#define P61_OUT2	BIT(5)		/* channel 2 OUT */

#define REG_CONTROL	3

static u64 ns_to_tick(u64 ns)
{
	return ns / NSEC_PER_SEC * I8254_HZ + ns % NSEC_PER_SEC * I8254_HZ / NSEC_PER_SEC;
}

/* The first nanosecond at which `tick` clock edges have happened. */
static u64 tick_to_ns(u64 tick)
{
	u64 rem = tick % I8254_HZ;

	return tick / I8254_HZ * NSEC_PER_SEC + (rem * NSEC_PER_SEC + I8254_HZ - 1) / I8254_HZ;
}

static unsigned chan_mode(const struct i8254_channel *c)
{
	unsigned mode = (c->ctrl >> CW_MODE_SHIFT) & 7;

	return mode > 5 ? mode - 4 : mode;
}

static unsigned chan_rw(const struct i8254_channel *c)
{
	return (c->ctrl >> CW_RW_SHIFT) & 3;
}

/* Mode 3 keeps OUT high for the first ceil(N/2) clocks of each cycle. */
static u64 mode3_high(u64 n)
{
	return (n + 1) / 2;
}

/* Where in its cycle a mode 2/3 channel was at load_tick. */
static u64 cycle_offset(const struct i8254_channel *c)
{
	return chan_mode(c) == 3 && c->phase_low ? mode3_high(c->period) : 0;
}

static u64 chan_elapsed(const struct i8254_channel *c, u64 tick)
{
	return tick > c->load_tick ? tick - c->load_tick : 0;
}

/*
 * Mode 3 decrements by two: an even N counts N, N-2, .. 2 in each half;
 * an odd N counts N-1 .. 0 for the high half, N-1 .. 2 for the low one.
 */
static u16 mode3_count(const struct i8254_channel *c, u64 k)
{
	u64 n = c->period, h = mode3_high(n), p = (k + cycle_offset(c)) % n;

	return (u16)((n & ~1ull) - 2 * (p < h ? p : p - h));
}

static u16 chan_count(const struct i8254_channel *c, u64 tick)
{
	u64 k = chan_elapsed(c, tick);

	if (!c->counting)
		return (u16)c->start;
	switch (chan_mode(c)) {
	case 2: return (u16)(c->period - k % c->period);
	case 3: return mode3_count(c, k);
	default: return (u16)(c->start - k);	/* wraps after terminal count */
	}
}

static bool chan_out(const struct i8254_channel *c, u64 tick)
{
	u64 k = chan_elapsed(c, tick), n = c->period;

	if (!c->counting)
		return c->out_held;
	switch (chan_mode(c)) {
	case 0: case 1: return c->tc_passed || k >= c->start;
	case 4: case 5: return c->tc_passed || k != c->start;
	case 2: return n < 2 || k % n != n - 1;		/* low while the count is 1 */
	default: return (k + cycle_offset(c)) % n < mode3_high(n);
	}
}

/*
 * The channel as it stands at `tick`: a count written during a mode 2/3
 * cycle takes over once that cycle (mode 2) or half-cycle (mode 3) ends.
 * A mode 3 channel switching at the end of a high half starts the new
 * count in its low half; OUT rises at the switch if it was low before.
 */
static struct i8254_channel chan_at(const struct i8254_channel *c, u64 tick)
{
	struct i8254_channel v = *c;

	if (v.pending && tick >= v.switch_tick) {
		bool was_high = chan_out(&v, v.switch_tick - 1);

		v.pending = false;
		v.period = v.start = v.reload;
		v.load_tick = v.switch_tick;
		v.phase_low = chan_mode(&v) == 3 && was_high;
		v.load_edge = !was_high;
	}
	if (v.counting && !v.pending && tick >= v.load_tick)
		v.null_count = false;
	return v;
}

/* The first OUT rising edge after `tick`, ignoring a pending switch. */
static bool regime_next_edge(const struct i8254_channel *c, u64 tick, u64 *edge)
{
	u64 n = c->period, off = cycle_offset(c), m;
	unsigned mode = chan_mode(c);

	if (!c->counting)
		return false;
	if (mode != 2 && mode != 3) {
		if (c->tc_passed)
			return false;
		/* Modes 4 and 5 strobe OUT low at count 0: it rises a clock later. */
		*edge = c->load_tick + c->start + (mode >= 4);
		return *edge > tick;
	}
	if (n < 2)
		return false;
	if (tick < c->load_tick)
		m = off == 0 && c->load_edge ? 0 : n - off;
	else
		m = ((tick - c->load_tick + off) / n + 1) * n - off;
	*edge = c->load_tick + m;
	return true;
}

static bool chan_next_edge(const struct i8254_channel *c, u64 tick, u64 *edge)
{
	struct i8254_channel v = chan_at(c, tick), next;
	bool found = regime_next_edge(&v, tick, edge);

	if (!v.pending || (found && *edge < v.switch_tick))
		return found;
	next = chan_at(&v, v.switch_tick);
	return regime_next_edge(&next, v.switch_tick - 1, edge);
}

/* Start counting `reload` from the next clock edge. */
static void chan_start(struct i8254_channel *c, u64 tick)
{
	c->counting = true;
	c->load_tick = tick + 1;
	c->start = c->period = c->reload;
	c->tc_passed = c->phase_low = c->load_edge = c->pending = false;
}

/* Stop the counter where it is, OUT held at `out`. */
static void chan_hold(struct i8254_channel *c, u64 tick, bool out)
{
	c->start = chan_count(c, tick);
	c->out_held = out;
	c->counting = c->pending = false;
}

/* The tick at which the current mode 2 cycle or mode 3 half-cycle ends. */
static u64 cycle_end(const struct i8254_channel *c, u64 tick)
{
	u64 n = c->period, k = chan_elapsed(c, tick), p = (k + cycle_offset(c)) % n;
	u64 h = mode3_high(n);

	if (chan_mode(c) == 3 && p < h)
		return c->load_tick + k + (h - p);
	return c->load_tick + k + (n - p);
}

/* A complete count was written (Figures 11-16, "new count" behaviour). */
static void chan_load(struct i8254_channel *c, u32 count, u64 tick)
{
	unsigned mode = chan_mode(c);
	bool running = c->counting && tick >= c->load_tick;

	c->reload = count ? count : 65536;
	c->null_count = true;
	c->armed = true;
	if (mode == 1 || mode == 5) {		/* waits for a gate trigger */
		if (!c->counting)
			c->start = c->reload;
	} else if (!c->gate) {			/* loaded, but counting disabled */
		c->counting = c->pending = false;
		c->start = c->reload;
		c->tc_passed = false;
		c->out_held = mode != 0;
	} else if ((mode == 2 || mode == 3) && running) {
		c->switch_tick = cycle_end(c, tick);
		c->pending = true;
	} else {
		chan_start(c, tick);
	}
}

/*
 * IRQ 0 is edge-triggered on the PIC and the IO-APIC, so each rising
 * edge of OUT 0 is delivered as a pulse. Edges missed by a late call
 * collapse into one; irq_tick then moves to now, and since edges are
 * computed from the load tick, the next one keeps its phase.
 */
static void pit_deliver(struct i8254 *pit, u64 now)
{
	struct i8254_state *s = &pit->state;
	u64 edge;

	if (chan_next_edge(&s->ch[0], s->irq_tick, &edge) && edge <= now) {
		irq_line_set(&pit->wiring.irq0, true);
		irq_line_set(&pit->wiring.irq0, false);
	}
	s->irq_tick = MAX(s->irq_tick, now);
}

/*
 * Bring a channel to `tick` before a register access changes it. Channel
 * 0's edges up to now go out first, so reprogramming never loses one.
 */
static struct i8254_channel *pit_sync(struct i8254 *pit, unsigned i, u64 tick)
{
	struct i8254_channel *c = &pit->state.ch[i];

	if (i == 0)
		pit_deliver(pit, tick);
	*c = chan_at(c, tick);
	return c;
}

static void chan_latch_count(struct i8254_channel *c, u64 tick)
{
	if (c->count_latched)
		return;		/* a second latch before the read is ignored */
	c->latch = chan_count(c, tick);
	c->count_latched = true;
}

static void chan_latch_status(struct i8254_channel *c, u64 tick)
{
	if (c->status_latched)
		return;
	c->status = c->ctrl | (chan_out(c, tick) ? STATUS_OUT : 0) |
		    (c->null_count ? STATUS_NULL : 0);
	c->status_latched = true;
}

/* A control word: read-back, counter latch, or a new mode for a channel. */
static void pit_control(struct i8254 *pit, u8 val, u64 tick)
{
	unsigned sc = val >> CW_SC_SHIFT, i;
	struct i8254_channel *c;

	if (sc == 3) {
		for (i = 0; i < 3; i++) {
			if (!(val & BIT(i + 1)))
				continue;
			c = pit_sync(pit, i, tick);
			if (!(val & RB_NO_STATUS))
				chan_latch_status(c, tick);
			if (!(val & RB_NO_COUNT))
				chan_latch_count(c, tick);
		}
		return;
	}
	c = pit_sync(pit, sc, tick);
	if (((val >> CW_RW_SHIFT) & 3) == 0) {
		chan_latch_count(c, tick);
		return;
	}
	/* "All Control Logic is immediately reset and OUT goes to a known
	 * initial state": low in mode 0, high otherwise. */
	chan_hold(c, tick, false);
	c->ctrl = val & CW_PROGRAM;
	c->out_held = chan_mode(c) != 0;
	c->null_count = true;
	c->armed = false;
	c->write_msb = c->read_msb = false;
	c->count_latched = c->status_latched = false;
}

static void pit_count_write(struct i8254 *pit, unsigned i, u8 val, u64 tick)
{
	struct i8254_channel *c = pit_sync(pit, i, tick);

	switch (chan_rw(c)) {
	case RW_LSB: chan_load(c, val, tick); break;
	case RW_MSB: chan_load(c, (u32)val << 8, tick); break;
	default:
		if (c->write_msb) {
			c->write_msb = false;
			chan_load(c, c->write_lsb | (u32)val << 8, tick);
			break;
		}
		c->write_lsb = val;
		c->write_msb = true;
		if (chan_mode(c) == 0) {	/* first byte stops counting, OUT low */
			chan_hold(c, tick, false);
			c->armed = false;
		}
		break;
	}
}

/* A read returns a latched status first, then a latched or live count. */
static u8 pit_count_read(struct i8254 *pit, unsigned i, u64 tick)
{
	struct i8254_channel *c = pit_sync(pit, i, tick);
	u16 count;
	bool msb;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	count = c->count_latched ? c->latch : chan_count(c, tick);
	switch (chan_rw(c)) {
	case RW_LSB: msb = false; break;
	case RW_MSB: msb = true; break;
	default:
		msb = c->read_msb;
		c->read_msb = !c->read_msb;
		break;
	}
	if (chan_rw(c) != RW_BOTH || msb)
		c->count_latched = false;
	return msb ? count >> 8 : count & 0xff;
}

/*
 * Channel 2's gate (Table "Gate Pin Operations Summary"). A low gate
 * stops modes 0, 2, 3 and 4 (modes 2 and 3 force OUT high); a rising gate
 * resumes modes 0 and 4, reloads modes 2 and 3 and triggers modes 1 and 5.
 */
static void chan_gate(struct i8254_channel *c, bool level, u64 tick)
{
	unsigned mode = chan_mode(c);

	if (level == c->gate)
		return;
	c->gate = level;
	if (!level) {
		if (c->counting && (mode == 0 || mode == 4)) {
			bool out = chan_out(c, tick);

			c->tc_passed = c->tc_passed || chan_elapsed(c, tick) >= c->start;
			chan_hold(c, tick, out);
		} else if (c->counting && (mode == 2 || mode == 3)) {
			chan_hold(c, tick, true);
		}
		return;
	}
	if (!c->armed)
		return;
	if (mode == 0 || mode == 4) {
		c->counting = true;
		c->load_tick = tick;	/* the next clock decrements */
	} else {
		chan_start(c, tick);
	}
}

void i8254_init(struct i8254 *pit, const struct i8254_wiring *w)
{
	unsigned i;

	pit->state = (struct i8254_state){ 0 };
	for (i = 0; i < 3; i++) {
		pit->state.ch[i].ctrl = RW_BOTH << CW_RW_SHIFT;	/* mode 0, no count */
		pit->state.ch[i].null_count = true;
		pit->state.ch[i].gate = i != 2;
	}
	pit->wiring = *w;
}

static u64 pit_now(const struct i8254 *pit)
{
	return ns_to_tick(guest_clock_now(pit->wiring.clock));
}

u8 i8254_read(struct i8254 *pit, unsigned reg)
{
	if (reg >= REG_CONTROL)
		return 0xff;	/* the control word register is write-only */
	return pit_count_read(pit, reg, pit_now(pit));
}

void i8254_write(struct i8254 *pit, unsigned reg, u8 val)
{
	u64 tick = pit_now(pit);

	if (reg == REG_CONTROL)
		pit_control(pit, val, tick);
	else if (reg < REG_CONTROL)
		pit_count_write(pit, reg, val, tick);
}

u8 i8254_port61_read(struct i8254 *pit)
{
	struct i8254_state *s = &pit->state;
	u64 tick = pit_now(pit);
	struct i8254_channel c2 = chan_at(&s->ch[2], tick);

	s->refresh = !s->refresh;
	return (s->port61 & P61_WRITABLE) | (s->refresh ? P61_REFRESH : 0) |
	       (chan_out(&c2, tick) ? P61_OUT2 : 0);
}

void i8254_port61_write(struct i8254 *pit, u8 val)
{
	u64 tick = pit_now(pit);
	struct i8254_channel *c = pit_sync(pit, 2, tick);

	pit->state.port61 = val & P61_WRITABLE;
	chan_gate(c, val & P61_GATE2, tick);
}

void i8254_advance(struct i8254 *pit, u64 now_ns)
{
	pit_deliver(pit, ns_to_tick(now_ns));
}

u64 i8254_next_deadline(const struct i8254 *pit)
{
	u64 edge;

	if (!chan_next_edge(&pit->state.ch[0], pit->state.irq_tick, &edge))
		return UINT64_MAX;
	return tick_to_ns(edge);
}

/* Accesses wider than a byte act as a byte access to the first port. */
static u64 i8254_io_read(void *dev, u64 offset, unsigned size)
{
	return offset < I8254_NR_PORTS ? i8254_read(dev, (unsigned)offset) : 0xff;
}

static void i8254_io_write(void *dev, u64 offset, unsigned size, u64 val)
{
	if (offset < I8254_NR_PORTS)
		i8254_write(dev, (unsigned)offset, (u8)val);
}

static u64 i8254_port61_io_read(void *dev, u64 offset, unsigned size)
{
	return offset == 0 ? i8254_port61_read(dev) : 0xff;
}

static void i8254_port61_io_write(void *dev, u64 offset, unsigned size, u64 val)
{
	if (offset == 0)
		i8254_port61_write(dev, (u8)val);
}

const struct io_ops i8254_io_ops = {
	.read = i8254_io_read,
	.write = i8254_io_write,
};

const struct io_ops i8254_port61_ops = {
	.read = i8254_port61_io_read,
	.write = i8254_port61_io_write,
};

static u64 i8254_dev_advance(void *dev, u64 now)
{
	i8254_advance(dev, now);
	return i8254_next_deadline(dev);
}

/* --- state records (include/devices/snapshot.h) ---------------------------- */

/*
 * The latest PIT clock tick a state may hold: two counts (and the clocks
 * that load them) before the guest clock's last nanosecond, so that every
 * edge computed from it is still a time of that clock. A later one would
 * wrap tick_to_ns() and put deadlines in the past. Only a VM some 580
 * years on its clock gets there.
 */
static u64 pit_tick_limit(void)
{
	return ns_to_tick(UINT64_MAX) - 2 * (65536 + 2);
}

/*
 * What the register writes guarantee of a channel and a record could
 * break. Counts are 1-65536 ("Count Register"; 0 means 65536), or 0 before
 * the first count is written. Only a written count counts, and a mode 2
 * or 3 cycle divides by its period, so that is never 0. A count waits for
 * the end of a cycle only in a running mode 2 or 3.
 */
static void chan_check(struct snap *s, const struct i8254_channel *c)
{
	unsigned mode = chan_mode(c);

	snap_check(s, !(c->ctrl & ~CW_PROGRAM), "a PIT channel's control word has bits 7:6 set");
	snap_check(s, chan_rw(c) != 0, "a PIT channel's access mode is the latch command");
	snap_check(s, c->reload <= 65536 && c->period <= 65536 && c->start <= 65536,
		   "a PIT count is above 65536");
	snap_check(s, !c->armed || c->reload, "an armed PIT channel has no count");
	snap_check(s, !c->counting || c->armed, "a PIT channel counts with no count written");
	snap_check(s, !c->counting || (mode != 2 && mode != 3) || c->period,
		   "a PIT channel in mode 2 or 3 has a period of 0");
	snap_check(s, !c->pending || (c->counting && (mode == 2 || mode == 3) &&
				      c->switch_tick > c->load_tick),
		   "a PIT count is pending outside a running mode 2 or 3 cycle");
	snap_check(s, c->load_tick <= pit_tick_limit() && c->switch_tick <= pit_tick_limit(),
		   "a PIT tick is beyond the guest clock's range");
}

static void chan_fields(struct snap *s, struct i8254_channel *c)
{
	snap_u8(s, &c->ctrl);
	snap_u32(s, &c->reload);
	snap_u32(s, &c->period);
	snap_u32(s, &c->start);
	snap_u64(s, &c->load_tick);
	snap_u64(s, &c->switch_tick);
	snap_bool(s, &c->pending);
	snap_bool(s, &c->counting);
	snap_bool(s, &c->out_held);
	snap_bool(s, &c->tc_passed);
	snap_bool(s, &c->phase_low);
	snap_bool(s, &c->load_edge);
	snap_bool(s, &c->armed);
	snap_bool(s, &c->gate);
	snap_bool(s, &c->null_count);
	snap_bool(s, &c->write_msb);
	snap_u8(s, &c->write_lsb);
	snap_bool(s, &c->read_msb);
	snap_bool(s, &c->count_latched);
	snap_bool(s, &c->status_latched);
	snap_u16(s, &c->latch);
	snap_u8(s, &c->status);
	chan_check(s, c);
}

/*
 * Every field of struct i8254_state, channel by channel, in record order.
 * The asserts fail when a struct changes size: a field added to the state
 * must be added here too, and I8254_SNAP_VERSION bumped.
 */
STATIC_ASSERT(sizeof(struct i8254_channel) == 56,
	      "struct i8254_channel changed: update chan_fields() and I8254_SNAP_VERSION");
STATIC_ASSERT(sizeof(struct i8254_state) == 184,
	      "struct i8254_state changed: update i8254_fields() and I8254_SNAP_VERSION");

static void i8254_fields(struct snap *s, void *p)
{
	struct i8254_state *st = p;

	for (unsigned i = 0; i < 3; i++)
		chan_fields(s, &st->ch[i]);
	snap_u8(s, &st->port61);
	snap_check(s, !(st->port61 & ~P61_WRITABLE), "port 0x61 holds bits that are not written");
	snap_bool(s, &st->refresh);
	snap_u64(s, &st->irq_tick);
	snap_check(s, st->irq_tick <= pit_tick_limit(), "a PIT tick is beyond the guest clock's range");
	/* Gates 0 and 1 are wired high; gate 2 is port 0x61 bit 0. */
	snap_check(s, st->ch[0].gate && st->ch[1].gate, "PIT gate 0 or 1 is low");
	snap_check(s, st->ch[2].gate == (st->port61 & P61_GATE2), "PIT gate 2 is not port 0x61 bit 0");
}

int i8254_save(const struct i8254 *pit, void *buf, size_t len)
{
	return snap_save(buf, len, I8254_SNAP_TAG, I8254_SNAP_VERSION, i8254_fields, &pit->state,
			 NULL);
}

/* The record goes into a scratch copy; only a good one replaces the state. */
int i8254_load(struct i8254 *pit, const void *buf, size_t len, bool apply, const char **why)
{
	struct i8254_state st = { 0 };
	int err = snap_load(buf, len, I8254_SNAP_TAG, I8254_SNAP_VERSION, i8254_fields, &st, why);

	if (err || !apply)
		return err;
	pit->state = st;
	return 0;
}

static int i8254_dev_save(const void *dev, void *buf, size_t len)
{
	return i8254_save(dev, buf, len);
}

static int i8254_dev_load(void *dev, const void *buf, size_t len, bool apply, const char **why)
{
	return i8254_load(dev, buf, len, apply, why);
}

const struct dev_ops i8254_dev_ops = {
	.advance = i8254_dev_advance,
	.save = i8254_dev_save,
	.load = i8254_dev_load,
};
