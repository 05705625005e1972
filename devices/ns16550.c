/*
 * 16550A UART model, trap-and-emulate. Register map, bit names and
 * interrupt rules follow the National Semiconductor PC16550D datasheet
 * (June 1995): Table II "Summary of Registers", Table IV "Interrupt
 * Control Functions" and the register descriptions of section 8.
 *
 * Simplifications, none of which a guest driver can observe as a fault:
 *  - A byte written to THR leaves at once, so THRE and TEMT always read 1
 *    and the transmit FIFO is never used; baud rate and line format are
 *    stored and read back but have no effect.
 *  - The receive FIFO holds 16 bytes in 16450 (non-FIFO) mode too; the
 *    chip keeps one there, but a driver reading RBR while DR is set cannot
 *    tell, and the console loses less input.
 *  - Received bytes below the FIFO trigger level are reported at once as a
 *    character timeout (IIR 0xC), since no character times pass here.
 *  - Only overrun is ever signalled as a line status error.
 *  - MCR OUT2 is not applied to the interrupt output. On a PC it gates
 *    the UART's IRQ to the PIC; if a VM wants that, its irq wiring can
 *    read state.mcr. Linux sets OUT2 before enabling interrupts anyway.
 */
#include "devices/ns16550.h"

/* Register offsets (Table II); DLL and DLM replace RBR/THR and IER when DLAB=1. */
enum {
	UART_RBR = 0, UART_THR = 0, UART_DLL = 0,
	UART_IER = 1, UART_DLM = 1,
	UART_IIR = 2, UART_FCR = 2,
	UART_LCR = 3, UART_MCR = 4, UART_LSR = 5, UART_MSR = 6, UART_SCR = 7,
};

#define IER_ERBFI	BIT(0)	/* received data available */
#define IER_ETBEI	BIT(1)	/* transmitter holding register empty */
#define IER_ELSI	BIT(2)	/* receiver line status */
#define IER_EDSSI	BIT(3)	/* modem status */
#define IER_MASK	0x0f	/* bits 7:4 are always 0 */

#define IIR_NONE	0x01	/* bit 0: no interrupt pending */
#define IIR_RLS		0x06	/* receiver line status, priority 1 */
#define IIR_RDA		0x04	/* received data available, priority 2 */
#define IIR_CTI		0x0c	/* character timeout, priority 2 */
#define IIR_THRE	0x02	/* THR empty, priority 3 */
#define IIR_MS		0x00	/* modem status, priority 4 */
#define IIR_FIFOS	0xc0	/* bits 7:6 set while FCR0 is 1 */

#define FCR_FIFO_EN	BIT(0)
#define FCR_RX_RESET	BIT(1)
#define FCR_TX_RESET	BIT(2)	/* nothing to clear: THR empties at once */
#define FCR_DMA		BIT(3)
#define FCR_TRIGGER	0xc0	/* RCVR trigger level, bits 7:6 */

#define LCR_DLAB	BIT(7)

#define MCR_DTR		BIT(0)
#define MCR_RTS		BIT(1)
#define MCR_OUT1	BIT(2)
#define MCR_OUT2	BIT(3)
#define MCR_LOOP	BIT(4)
#define MCR_MASK	0x1f

#define LSR_DR		BIT(0)	/* data ready */
#define LSR_OE		BIT(1)	/* overrun error */
#define LSR_THRE	BIT(5)	/* THR empty */
#define LSR_TEMT	BIT(6)	/* transmitter empty */

#define MSR_DCTS	BIT(0)
#define MSR_DDSR	BIT(1)
#define MSR_TERI	BIT(2)	/* RI went from on to off */
#define MSR_DDCD	BIT(3)
#define MSR_DELTAS	0x0f
#define MSR_CTS		BIT(4)
#define MSR_DSR		BIT(5)
#define MSR_RI		BIT(6)
#define MSR_DCD		BIT(7)

/* The RCVR trigger level FCR bits 7:6 select (datasheet, "FIFO Control Register"). */
static unsigned ns16550_rx_trigger(const struct ns16550_state *s)
{
	static const u8 levels[4] = { 1, 4, 8, 14 };

	return levels[(s->fcr & FCR_TRIGGER) >> 6];
}

/*
 * The highest-priority pending, enabled interrupt as its IIR bits 3:0
 * (Table IV): line status, then received data, then THR empty, then
 * modem status.
 */
static u8 ns16550_irq_source(const struct ns16550_state *s)
{
	if ((s->ier & IER_ELSI) && s->lsr_err)
		return IIR_RLS;
	if ((s->ier & IER_ERBFI) && s->rx_count) {
		if ((s->fcr & FCR_FIFO_EN) && s->rx_count < ns16550_rx_trigger(s))
			return IIR_CTI;
		return IIR_RDA;
	}
	if ((s->ier & IER_ETBEI) && s->thre_pending)
		return IIR_THRE;
	if ((s->ier & IER_EDSSI) && (s->msr & MSR_DELTAS))
		return IIR_MS;
	return IIR_NONE;
}

/* Drive the interrupt line, calling the wiring only when the level changes. */
static void ns16550_irq_update(struct ns16550 *uart)
{
	bool level = ns16550_irq_source(&uart->state) != IIR_NONE;

	if (level == uart->state.irq_level)
		return;
	uart->state.irq_level = level;
	irq_line_set(&uart->wiring.irq, level);
}

void ns16550_irq_sync(struct ns16550 *uart)
{
	uart->state.irq_level = ns16550_irq_source(&uart->state) != IIR_NONE;
	irq_line_set(&uart->wiring.irq, uart->state.irq_level);
}

/*
 * The modem input lines. In loopback (datasheet, "Modem Control Register",
 * bit 4) the outputs feed the inputs: CTS=RTS, DSR=DTR, RI=OUT1, DCD=OUT2.
 * Otherwise the line looks like a connected, ready terminal: CTS, DSR and
 * DCD on.
 */
static u8 ns16550_modem_lines(const struct ns16550_state *s)
{
	u8 lines = 0;

	if (!(s->mcr & MCR_LOOP))
		return MSR_CTS | MSR_DSR | MSR_DCD;
	if (s->mcr & MCR_RTS)
		lines |= MSR_CTS;
	if (s->mcr & MCR_DTR)
		lines |= MSR_DSR;
	if (s->mcr & MCR_OUT1)
		lines |= MSR_RI;
	if (s->mcr & MCR_OUT2)
		lines |= MSR_DCD;
	return lines;
}

/* Recompute MSR bits 7:4 and latch the delta bits 3:0 for lines that moved. */
static void ns16550_msr_update(struct ns16550_state *s)
{
	u8 old = s->msr, now = ns16550_modem_lines(s), changed = old ^ now;
	u8 deltas = old & MSR_DELTAS;

	if (changed & MSR_CTS)
		deltas |= MSR_DCTS;
	if (changed & MSR_DSR)
		deltas |= MSR_DDSR;
	if ((old & MSR_RI) && !(now & MSR_RI))	/* trailing edge only */
		deltas |= MSR_TERI;
	if (changed & MSR_DCD)
		deltas |= MSR_DDCD;
	s->msr = now | deltas;
}

static void ns16550_rx_clear(struct ns16550_state *s)
{
	s->rx_head = 0;
	s->rx_count = 0;
}

/*
 * Queue a byte. When the FIFO is full the new byte is lost and LSR OE is
 * set (datasheet, "Line Status Register", bit 1, FIFO mode).
 */
static bool ns16550_fifo_push(struct ns16550_state *s, u8 ch)
{
	if (s->rx_count == NS16550_FIFO_SIZE) {
		s->lsr_err |= LSR_OE;
		return false;
	}
	s->rx_fifo[(s->rx_head + s->rx_count) % NS16550_FIFO_SIZE] = ch;
	s->rx_count++;
	return true;
}

/* Dequeue the oldest byte; an empty RBR reads 0. */
static u8 ns16550_fifo_pop(struct ns16550_state *s)
{
	u8 ch;

	if (!s->rx_count)
		return 0;
	ch = s->rx_fifo[s->rx_head];
	s->rx_head = (s->rx_head + 1) % NS16550_FIFO_SIZE;
	s->rx_count--;
	return ch;
}

void ns16550_init(struct ns16550 *uart, void (*tx)(void *ctx, u8 ch), void *tx_ctx,
		  const struct irq_line *irq)
{
	/* Reset values: Table III "UART Reset Configuration". */
	uart->state = (struct ns16550_state){ 0 };
	uart->state.msr = ns16550_modem_lines(&uart->state);
	uart->wiring = (struct ns16550_wiring){ .tx = tx, .tx_ctx = tx_ctx };
	if (irq)
		uart->wiring.irq = *irq;
}

/*
 * Serial input is disconnected in loopback ("Modem Control Register",
 * bit 4), so a byte from outside is dropped then; it still counts as
 * taken, so a backend does not retry it forever.
 */
bool ns16550_rx_push(struct ns16550 *uart, u8 ch)
{
	bool ok = true;

	if (!(uart->state.mcr & MCR_LOOP))
		ok = ns16550_fifo_push(&uart->state, ch);
	ns16550_irq_update(uart);
	return ok;
}

unsigned ns16550_rx_room(const struct ns16550 *uart)
{
	return NS16550_FIFO_SIZE - uart->state.rx_count;
}

/*
 * Reading IIR acknowledges a THR-empty interrupt, but only when that is
 * the source it reports (Table IV, "Reading the IIR register (if source
 * of interrupt)").
 */
static u8 ns16550_iir_read(struct ns16550 *uart)
{
	struct ns16550_state *s = &uart->state;
	u8 src = ns16550_irq_source(s);

	if (src == IIR_THRE)
		s->thre_pending = false;
	return src | ((s->fcr & FCR_FIFO_EN) ? IIR_FIFOS : 0);
}

/* Reading LSR clears the error bits, reading MSR the delta bits. */
static u8 ns16550_lsr_read(struct ns16550_state *s)
{
	u8 lsr = LSR_THRE | LSR_TEMT | s->lsr_err;

	if (s->rx_count)
		lsr |= LSR_DR;
	s->lsr_err = 0;
	return lsr;
}

u8 ns16550_read(struct ns16550 *uart, unsigned reg)
{
	struct ns16550_state *s = &uart->state;
	bool dlab = s->lcr & LCR_DLAB;
	u8 val;

	switch (reg) {
	case UART_RBR: val = dlab ? s->dll : ns16550_fifo_pop(s); break;
	case UART_IER: val = dlab ? s->dlm : s->ier; break;
	case UART_IIR: val = ns16550_iir_read(uart); break;
	case UART_LCR: val = s->lcr; break;
	case UART_MCR: val = s->mcr; break;
	case UART_LSR: val = ns16550_lsr_read(s); break;
	case UART_MSR:
		val = s->msr;
		s->msr &= ~MSR_DELTAS;
		break;
	case UART_SCR: val = s->scr; break;
	default: return 0xff;
	}
	ns16550_irq_update(uart);
	return val;
}

/*
 * A THR write takes away THRE for an instant: the interrupt it owned is
 * acknowledged (the line may drop) and, the byte being gone already,
 * THRE sets again and re-arms it (the line may rise: a fresh edge for an
 * edge-triggered PIC). In loopback the byte lands in our own RX FIFO.
 */
static void ns16550_thr_write(struct ns16550 *uart, u8 ch)
{
	struct ns16550_state *s = &uart->state;

	if (s->mcr & MCR_LOOP)
		ns16550_fifo_push(s, ch);
	else if (uart->wiring.tx)
		uart->wiring.tx(uart->wiring.tx_ctx, ch);
	s->thre_pending = false;
	ns16550_irq_update(uart);
	s->thre_pending = true;
}

/* Setting ETBEI while THR is empty raises a THRE interrupt at once. */
static void ns16550_ier_write(struct ns16550_state *s, u8 val)
{
	u8 was = s->ier;

	s->ier = val & IER_MASK;
	if ((s->ier & IER_ETBEI) && !(was & IER_ETBEI))
		s->thre_pending = true;
	else if (!(s->ier & IER_ETBEI))
		s->thre_pending = false;
}

/*
 * FCR (datasheet, "FIFO Control Register"): bit 0 must be 1 for the other
 * bits to take; changing bit 0 empties both FIFOs, bit 1 the RX FIFO.
 */
static void ns16550_fcr_write(struct ns16550_state *s, u8 val)
{
	if ((val ^ s->fcr) & FCR_FIFO_EN)
		ns16550_rx_clear(s);
	if (!(val & FCR_FIFO_EN)) {
		s->fcr = 0;
		return;
	}
	if (val & FCR_RX_RESET)
		ns16550_rx_clear(s);
	s->fcr = val & (FCR_FIFO_EN | FCR_DMA | FCR_TRIGGER);
}

void ns16550_write(struct ns16550 *uart, unsigned reg, u8 val)
{
	struct ns16550_state *s = &uart->state;
	bool dlab = s->lcr & LCR_DLAB;

	switch (reg) {
	case UART_THR:
		if (dlab)
			s->dll = val;
		else
			ns16550_thr_write(uart, val);
		break;
	case UART_IER:
		if (dlab)
			s->dlm = val;
		else
			ns16550_ier_write(s, val);
		break;
	case UART_FCR: ns16550_fcr_write(s, val); break;
	case UART_LCR: s->lcr = val; break;
	case UART_MCR:
		s->mcr = val & MCR_MASK;
		ns16550_msr_update(s);
		break;
	case UART_SCR: s->scr = val; break;
	default: break;	/* LSR and MSR are read-only here */
	}
	ns16550_irq_update(uart);
}

/* Accesses wider than a byte act as a byte access to the first register. */
static u64 ns16550_io_read(void *dev, u64 offset, unsigned size)
{
	return offset < NS16550_NR_REGS ? ns16550_read(dev, (unsigned)offset) : 0xff;
}

static void ns16550_io_write(void *dev, u64 offset, unsigned size, u64 val)
{
	if (offset < NS16550_NR_REGS)
		ns16550_write(dev, (unsigned)offset, (u8)val);
}

const struct io_ops ns16550_io_ops = {
	.read = ns16550_io_read,
	.write = ns16550_io_write,
};

/* --- state records (include/devices/snapshot.h) ---------------------------- */

/*
 * What the register writes guarantee and a record could break: FCR keeps
 * only bits 0, 3 and 7:6, and only while bit 0 is set ("FIFO Control
 * Register"); MSR bits 7:4 are the modem lines MCR makes ("Modem Control
 * Register", bit 4).
 */
static void ns16550_check(struct snap *s, const struct ns16550_state *st)
{
	snap_check(s, !(st->fcr & ~(FCR_FIFO_EN | FCR_DMA | FCR_TRIGGER)) &&
		   (!st->fcr || (st->fcr & FCR_FIFO_EN)), "FCR holds bits the UART does not keep");
	snap_check(s, (st->msr & ~MSR_DELTAS) == ns16550_modem_lines(st),
		   "MSR's line bits do not follow MCR");
}

/*
 * Every field of struct ns16550_state, in record order, with the checks
 * that keep the model's array indices in range. The assert fails when the
 * struct changes size: a field added to the state must be added here too,
 * and NS16550_SNAP_VERSION bumped.
 */
STATIC_ASSERT(sizeof(struct ns16550_state) == 29,
	      "struct ns16550_state changed: update ns16550_fields() and NS16550_SNAP_VERSION");

static void ns16550_fields(struct snap *s, void *p)
{
	struct ns16550_state *st = p;

	snap_u8(s, &st->ier);
	snap_check(s, !(st->ier & ~IER_MASK), "IER has bits 7:4 set");
	snap_u8(s, &st->lcr);
	snap_u8(s, &st->mcr);
	snap_check(s, !(st->mcr & ~MCR_MASK), "MCR has bits 7:5 set");
	snap_u8(s, &st->msr);
	snap_u8(s, &st->fcr);
	snap_u8(s, &st->scr);
	snap_u8(s, &st->dll);
	snap_u8(s, &st->dlm);
	snap_u8(s, &st->lsr_err);
	snap_check(s, !(st->lsr_err & ~LSR_OE), "LSR holds an error other than overrun");
	snap_bool(s, &st->thre_pending);
	snap_bool(s, &st->irq_level);
	snap_u8(s, &st->rx_head);
	snap_check(s, st->rx_head < NS16550_FIFO_SIZE, "the RX FIFO head is outside the FIFO");
	snap_u8(s, &st->rx_count);
	snap_check(s, st->rx_count <= NS16550_FIFO_SIZE, "the RX FIFO holds more than 16 bytes");
	snap_bytes(s, st->rx_fifo, sizeof(st->rx_fifo));
	ns16550_check(s, st);
}

int ns16550_save(const struct ns16550 *uart, void *buf, size_t len)
{
	return snap_save(buf, len, NS16550_SNAP_TAG, NS16550_SNAP_VERSION, ns16550_fields,
			 &uart->state, NULL);
}

/* The record goes into a scratch copy; only a good one replaces the state. */
int ns16550_load(struct ns16550 *uart, const void *buf, size_t len, bool apply,
		 const char **why)
{
	struct ns16550_state st = { 0 };
	int err = snap_load(buf, len, NS16550_SNAP_TAG, NS16550_SNAP_VERSION, ns16550_fields,
			    &st, why);

	if (err || !apply)
		return err;
	uart->state = st;
	ns16550_irq_sync(uart);
	return 0;
}

static int ns16550_dev_save(const void *dev, void *buf, size_t len)
{
	return ns16550_save(dev, buf, len);
}

static int ns16550_dev_load(void *dev, const void *buf, size_t len, bool apply, const char **why)
{
	return ns16550_load(dev, buf, len, apply, why);
}

const struct dev_ops ns16550_dev_ops = {
	.save = ns16550_dev_save,
	.load = ns16550_dev_load,
};
