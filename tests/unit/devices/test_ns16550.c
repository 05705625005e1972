/* Host tests for devices/ns16550.c against the PC16550D register rules. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "devices/ns16550.h"
#include "snap_test.h"

enum { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2,
       LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

/* What the UART did to the outside: bytes sent and irq levels driven. */
struct world {
	struct ns16550 uart;
	u8 tx[64];
	unsigned ntx;
	bool levels[64];	/* every irq_line_set call, in order */
	unsigned nlevels;
	unsigned line_seen;
};

static void world_tx(void *ctx, u8 ch)
{
	struct world *w = ctx;

	assert_true(w->ntx < sizeof(w->tx));
	w->tx[w->ntx++] = ch;
}

static void world_irq(void *ctx, unsigned line, bool level)
{
	struct world *w = ctx;

	assert_true(w->nlevels < ARRAY_SIZE(w->levels));
	w->levels[w->nlevels++] = level;
	w->line_seen = line;
}

/* A fresh UART whose irq is line `line` of its own world. */
static struct world *world_new(unsigned line)
{
	struct world *w = calloc(1, sizeof(*w));
	struct irq_line irq = { .set = world_irq, .ctx = w, .line = line };

	assert_non_null(w);
	ns16550_init(&w->uart, world_tx, w, &irq);
	return w;
}

static int world_setup(void **state)
{
	*state = world_new(4);
	return 0;
}

static int world_teardown(void **state)
{
	free(*state);
	return 0;
}

static u8 rd(struct world *w, unsigned reg)
{
	return ns16550_read(&w->uart, reg);
}

static void wr(struct world *w, unsigned reg, u8 val)
{
	ns16550_write(&w->uart, reg, val);
}

/* The level the line was last driven to (low if never driven). */
static bool irq_now(const struct world *w)
{
	return w->nlevels && w->levels[w->nlevels - 1];
}

static void test_reset_values(void **state)
{
	struct world *w = *state;

	assert_int_equal(rd(w, IER), 0x00);
	assert_int_equal(rd(w, IIR), 0x01);
	assert_int_equal(rd(w, LCR), 0x00);
	assert_int_equal(rd(w, MCR), 0x00);
	assert_int_equal(rd(w, LSR), 0x60);	/* THRE | TEMT */
	assert_int_equal(rd(w, MSR), 0xb0);	/* DCD | DSR | CTS, no deltas */
	assert_int_equal(w->nlevels, 0);
}

static void test_scratch(void **state)
{
	struct world *w = *state;

	wr(w, SCR, 0x5a);
	assert_int_equal(rd(w, SCR), 0x5a);
	wr(w, SCR, 0xa5);
	assert_int_equal(rd(w, SCR), 0xa5);
}

static void test_dlab_latch(void **state)
{
	struct world *w = *state;

	wr(w, IER, 0x05);
	wr(w, LCR, 0x83);	/* DLAB, 8 data bits */
	wr(w, DLL, 0x01);
	wr(w, DLM, 0xc2);
	assert_int_equal(rd(w, DLL), 0x01);
	assert_int_equal(rd(w, DLM), 0xc2);
	assert_int_equal(w->ntx, 0);	/* DLL write is not a THR write */
	wr(w, LCR, 0x03);
	assert_int_equal(rd(w, LCR), 0x03);
	assert_int_equal(rd(w, IER), 0x05);	/* IER untouched by DLM */
	wr(w, THR, 'k');
	assert_int_equal(w->ntx, 1);
	wr(w, LCR, 0x83);
	assert_int_equal(rd(w, DLL), 0x01);	/* nor DLL by THR */
	/* With DLAB set, RBR is hidden: a queued byte stays queued. */
	ns16550_rx_push(&w->uart, 'q');
	assert_int_equal(rd(w, RBR), 0x01);
	wr(w, LCR, 0x03);
	assert_int_equal(rd(w, RBR), 'q');
}

static void test_transmit(void **state)
{
	struct world *w = *state;

	wr(w, THR, 'h');
	wr(w, THR, 'i');
	wr(w, THR, 0);
	assert_int_equal(w->ntx, 3);
	assert_memory_equal(w->tx, "hi\0", 3);
	assert_int_equal(rd(w, LSR), 0x60);
	assert_int_equal(w->nlevels, 0);	/* ETBEI off: no interrupt */
}

static void test_receive_fifo(void **state)
{
	struct world *w = *state;
	unsigned i;

	assert_int_equal(ns16550_rx_room(&w->uart), 16);
	for (i = 0; i < 16; i++)
		assert_true(ns16550_rx_push(&w->uart, 'a' + i));
	assert_int_equal(ns16550_rx_room(&w->uart), 0);
	assert_int_equal(rd(w, LSR), 0x61);	/* DR, no overrun yet */
	assert_false(ns16550_rx_push(&w->uart, 'X'));
	assert_int_equal(rd(w, LSR), 0x63);	/* DR | OE */
	assert_int_equal(rd(w, LSR), 0x61);	/* OE cleared by the read */
	for (i = 0; i < 16; i++)
		assert_int_equal(rd(w, RBR), 'a' + i);	/* 'X' was lost */
	assert_int_equal(rd(w, LSR), 0x60);
	assert_int_equal(rd(w, RBR), 0);	/* empty */
	/* The ring wraps correctly. */
	for (i = 0; i < 10; i++) {
		assert_true(ns16550_rx_push(&w->uart, i));
		assert_true(ns16550_rx_push(&w->uart, 100 + i));
		assert_int_equal(rd(w, RBR), i);
		assert_int_equal(rd(w, RBR), 100 + i);
	}
}

static void test_fifo_control(void **state)
{
	struct world *w = *state;

	assert_int_equal(rd(w, IIR) & 0xc0, 0x00);
	wr(w, FCR, 0x01);
	assert_int_equal(rd(w, IIR), 0xc1);
	ns16550_rx_push(&w->uart, 'a');
	ns16550_rx_push(&w->uart, 'b');
	wr(w, FCR, 0x03);	/* clear RX */
	assert_int_equal(rd(w, LSR) & 0x01, 0);
	ns16550_rx_push(&w->uart, 'c');
	wr(w, FCR, 0x01);	/* no reset bit: data stays */
	assert_int_equal(rd(w, LSR) & 0x01, 1);
	wr(w, FCR, 0x00);	/* turning FIFOs off empties them */
	assert_int_equal(rd(w, LSR) & 0x01, 0);
	assert_int_equal(rd(w, IIR), 0x01);
	ns16550_rx_push(&w->uart, 'd');
	wr(w, FCR, 0x02);	/* FCR0 clear: the other bits do not take */
	assert_int_equal(rd(w, RBR), 'd');
	wr(w, FCR, 0x01);
	ns16550_rx_push(&w->uart, 'e');
	wr(w, FCR, 0x00);	/* changing FCR0 also empties */
	assert_int_equal(rd(w, LSR), 0x60);
}

/* Line status > received data > THR empty > modem status (Table IV). */
static void test_iir_priorities(void **state)
{
	struct world *w = *state;
	unsigned i;

	wr(w, MCR, 0x10);	/* loopback: modem lines drop, deltas latch */
	wr(w, MCR, 0x00);
	for (i = 0; i < 17; i++)
		ns16550_rx_push(&w->uart, i);	/* the 17th overruns */
	wr(w, IER, 0x0f);
	assert_true(irq_now(w));
	assert_int_equal(rd(w, IIR), 0x06);
	assert_int_equal(rd(w, IIR), 0x06);	/* reading IIR does not clear it */
	assert_int_equal(rd(w, LSR), 0x63);
	assert_int_equal(rd(w, IIR), 0x04);
	for (i = 0; i < 16; i++)
		rd(w, RBR);
	assert_int_equal(rd(w, IIR), 0x02);	/* reported: now acknowledged */
	assert_int_equal(rd(w, IIR), 0x00);
	assert_true(irq_now(w));
	assert_int_equal(rd(w, MSR) & 0x0f, 0x0b);	/* DDCD DDSR DCTS */
	assert_int_equal(rd(w, IIR), 0x01);
	assert_false(irq_now(w));
}

/* A THRE interrupt is only acknowledged by an IIR read that reports it. */
static void test_thre_masked_by_rx(void **state)
{
	struct world *w = *state;

	wr(w, FCR, 0x01);
	ns16550_rx_push(&w->uart, 'z');
	wr(w, IER, 0x03);
	assert_int_equal(rd(w, IIR), 0xc4);
	assert_int_equal(rd(w, IIR), 0xc4);
	assert_int_equal(rd(w, RBR), 'z');
	assert_int_equal(rd(w, IIR), 0xc2);
	assert_int_equal(rd(w, IIR), 0xc1);
}

/* Below the trigger level data is flagged as a character timeout. */
static void test_rx_trigger_levels(void **state)
{
	struct world *w = *state;
	unsigned i;

	wr(w, IER, 0x01);
	ns16550_rx_push(&w->uart, 1);
	assert_int_equal(rd(w, IIR), 0x04);	/* 16450 mode: always 0x4 */
	wr(w, FCR, 0x41);	/* FIFO, trigger 4: also empties RX */
	assert_int_equal(rd(w, IIR), 0xc1);
	for (i = 0; i < 3; i++)
		ns16550_rx_push(&w->uart, i);
	assert_int_equal(rd(w, IIR), 0xcc);
	ns16550_rx_push(&w->uart, 3);
	assert_int_equal(rd(w, IIR), 0xc4);
	wr(w, FCR, 0xc1);	/* trigger 14 */
	assert_int_equal(rd(w, IIR), 0xcc);
	for (i = 0; i < 10; i++)
		ns16550_rx_push(&w->uart, i);
	assert_int_equal(rd(w, IIR), 0xc4);
	rd(w, RBR);
	assert_int_equal(rd(w, IIR), 0xcc);
}

static void test_thre_interrupt_rearm(void **state)
{
	struct world *w = *state;

	wr(w, IER, 0x02);	/* ETBEI with THR empty: pending at once */
	assert_int_equal(w->nlevels, 1);
	assert_true(w->levels[0]);
	assert_int_equal(w->line_seen, 4);
	assert_int_equal(rd(w, IIR), 0x02);
	assert_int_equal(w->nlevels, 2);
	assert_false(w->levels[1]);
	assert_int_equal(rd(w, IIR), 0x01);
	/* Each THR write re-arms it: the byte leaves at once. */
	wr(w, THR, 'a');
	assert_int_equal(w->nlevels, 3);
	assert_true(w->levels[2]);
	/* Writing THR while it is still pending makes a fresh edge. */
	wr(w, THR, 'b');
	assert_int_equal(w->nlevels, 5);
	assert_false(w->levels[3]);
	assert_true(w->levels[4]);
	assert_int_equal(rd(w, IIR), 0x02);
	assert_false(irq_now(w));
	/* Rewriting IER with ETBEI still set does not re-arm... */
	wr(w, IER, 0x02);
	assert_int_equal(rd(w, IIR), 0x01);
	/* ...clearing and setting it again does. */
	wr(w, IER, 0x00);
	wr(w, IER, 0x02);
	assert_true(irq_now(w));
	/* Disabling ETBEI drops a pending THRE interrupt. */
	wr(w, IER, 0x00);
	assert_false(irq_now(w));
	assert_int_equal(rd(w, IIR), 0x01);
	assert_int_equal(w->ntx, 2);
}

/* Linux's startup check for UART_BUG_THRE (8250_port.c) must pass. */
static void test_thre_reasserts(void **state)
{
	struct world *w = *state;

	wr(w, IER, 0x02);
	assert_int_equal(rd(w, IIR) & 0x01, 0);
	wr(w, IER, 0x00);
	wr(w, IER, 0x02);
	assert_int_equal(rd(w, IIR) & 0x01, 0);
	wr(w, IER, 0x00);
}

static void test_irq_level_transitions(void **state)
{
	struct world *w = *state;

	wr(w, IER, 0x01);
	assert_int_equal(w->nlevels, 0);
	ns16550_rx_push(&w->uart, 'a');
	ns16550_rx_push(&w->uart, 'b');
	assert_int_equal(w->nlevels, 1);	/* raised once, not per byte */
	assert_true(w->levels[0]);
	rd(w, RBR);
	assert_int_equal(w->nlevels, 1);	/* still data */
	rd(w, RBR);
	assert_int_equal(w->nlevels, 2);
	assert_false(w->levels[1]);
	/* Masking the source lowers the line; unmasking raises it. */
	ns16550_rx_push(&w->uart, 'c');
	wr(w, IER, 0x00);
	wr(w, IER, 0x01);
	assert_int_equal(w->nlevels, 5);
	assert_true(w->levels[2]);
	assert_false(w->levels[3]);
	assert_true(w->levels[4]);
	/* Line status: overrun with ELSI. */
	wr(w, IER, 0x04);
	assert_false(irq_now(w));
	assert_int_equal(rd(w, RBR), 'c');
	for (unsigned i = 0; i < 16; i++)
		ns16550_rx_push(&w->uart, 'x');
	assert_false(irq_now(w));
	ns16550_rx_push(&w->uart, 'y');
	assert_true(irq_now(w));
	assert_int_equal(rd(w, IIR), 0x06);
	rd(w, LSR);
	assert_false(irq_now(w));
}

static void test_loopback_msr(void **state)
{
	struct world *w = *state;
	static const struct { u8 mcr, msr_lines; } map[] = {
		{ 0x10, 0x00 },
		{ 0x11, 0x20 },	/* DTR  -> DSR */
		{ 0x12, 0x10 },	/* RTS  -> CTS */
		{ 0x14, 0x40 },	/* OUT1 -> RI */
		{ 0x18, 0x80 },	/* OUT2 -> DCD */
		{ 0x1f, 0xf0 },
		{ 0x1a, 0x90 },	/* Linux autoconfig() expects 0x90 here */
		{ 0x15, 0x60 },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(map); i++) {
		wr(w, MCR, map[i].mcr);
		assert_int_equal(rd(w, MCR), map[i].mcr);
		assert_int_equal(rd(w, MSR) & 0xf0, map[i].msr_lines);
	}
	wr(w, MCR, 0x03);	/* out of loopback: a connected line again */
	assert_int_equal(rd(w, MSR) & 0xf0, 0xb0);
	wr(w, MCR, 0xff);	/* bits 7:5 read 0 */
	assert_int_equal(rd(w, MCR), 0x1f);
}

static void test_loopback_deltas(void **state)
{
	struct world *w = *state;

	wr(w, MCR, 0x10);	/* CTS, DSR, DCD all drop */
	assert_int_equal(rd(w, MSR), 0x0b);
	assert_int_equal(rd(w, MSR), 0x00);	/* deltas clear on read */
	wr(w, MCR, 0x14);	/* RI rises: no TERI (trailing edge only) */
	assert_int_equal(rd(w, MSR), 0x40);
	wr(w, MCR, 0x10);	/* RI falls */
	assert_int_equal(rd(w, MSR), 0x04);
	wr(w, MCR, 0x12);
	assert_int_equal(rd(w, MSR), 0x11);	/* CTS | DCTS */
	wr(w, MCR, 0x13);
	assert_int_equal(rd(w, MSR), 0x32);	/* DSR | CTS | DDSR */
	wr(w, MCR, 0x1b);
	assert_int_equal(rd(w, MSR), 0xb8);	/* DCD | DSR | CTS | DDCD */
	wr(w, MCR, 0x0b);	/* leave loopback: lines unchanged, no delta */
	assert_int_equal(rd(w, MSR), 0xb0);
	/* Deltas raise a modem status interrupt when EDSSI is set. */
	wr(w, IER, 0x08);
	assert_false(irq_now(w));
	wr(w, MCR, 0x10);
	assert_true(irq_now(w));
	assert_int_equal(rd(w, IIR), 0x00);
	rd(w, MSR);
	assert_false(irq_now(w));
	assert_int_equal(rd(w, IIR), 0x01);
}

static void test_loopback_data(void **state)
{
	struct world *w = *state;

	wr(w, MCR, 0x10);
	wr(w, THR, 0x55);
	wr(w, THR, 0xaa);
	assert_int_equal(w->ntx, 0);	/* nothing on the wire */
	assert_true(ns16550_rx_push(&w->uart, 'o'));	/* input disconnected */
	assert_int_equal(rd(w, LSR), 0x61);
	assert_int_equal(rd(w, RBR), 0x55);
	assert_int_equal(rd(w, RBR), 0xaa);
	assert_int_equal(rd(w, LSR), 0x60);
	/* Overrun in loopback, with the FIFO full of our own bytes. */
	for (unsigned i = 0; i < 17; i++)
		wr(w, THR, i);
	assert_int_equal(rd(w, LSR), 0x63);
	wr(w, MCR, 0x00);
	wr(w, THR, '!');
	assert_int_equal(w->ntx, 1);
	assert_int_equal(w->tx[0], '!');
}

/* The register tests Linux's 8250 autoconfig() runs to find a 16550A. */
static void test_linux_autoconfig(void **state)
{
	struct world *w = *state;
	u8 mcr;

	wr(w, IER, 0x00);
	assert_int_equal(rd(w, IER) & 0x0f, 0x00);
	wr(w, IER, 0x0f);
	assert_int_equal(rd(w, IER) & 0x0f, 0x0f);
	wr(w, IER, 0x00);
	wr(w, MCR, 0x1a);
	assert_int_equal(rd(w, MSR) & 0xf0, 0x90);
	wr(w, MCR, 0x00);
	wr(w, FCR, 0x01);
	assert_int_equal(rd(w, IIR) >> 6, 3);	/* 16550A */
	/* Not a NatSemi SuperIO: IIR bit 4 does not follow MCR LOOP. */
	wr(w, LCR, 0x00);
	mcr = rd(w, MCR);
	wr(w, LCR, 0xe0);
	assert_int_equal(rd(w, 2) & 0x10, mcr & 0x10);
	wr(w, LCR, 0x00);
	wr(w, MCR, mcr ^ 0x10);
	wr(w, LCR, 0xe0);
	assert_int_equal(rd(w, 2) & 0x10, mcr & 0x10);
	wr(w, LCR, 0x00);
	wr(w, MCR, mcr);
	/* Not a 16750 (IIR bit 5) nor an XScale (IER bit 6 sticks). */
	wr(w, FCR, 0x21);
	assert_int_equal(rd(w, IIR) & 0x20, 0);
	wr(w, IER, 0x40);
	assert_int_equal(rd(w, IER), 0x00);
}

static void test_io_ops(void **state)
{
	struct world *w = *state;

	ns16550_io_ops.write(&w->uart, 7, 1, 0x42);
	assert_int_equal(ns16550_io_ops.read(&w->uart, 7, 1), 0x42);
	ns16550_io_ops.write(&w->uart, 0, 1, 'p');
	assert_int_equal(w->tx[0], 'p');
	/* Wider accesses act on the first register, low byte. */
	ns16550_io_ops.write(&w->uart, 7, 2, 0x1234);
	assert_int_equal(ns16550_io_ops.read(&w->uart, 7, 4), 0x34);
	assert_int_equal(ns16550_io_ops.read(&w->uart, 5, 2), 0x60);
	assert_int_equal(ns16550_io_ops.read(&w->uart, 8, 1), 0xff);
	ns16550_io_ops.write(&w->uart, 8, 1, 0);
	assert_int_equal(w->ntx, 1);
}

/* State is pointer-free: copying it moves the UART, and irq_sync replays the line. */
static void test_snapshot_restore(void **state)
{
	struct world *w = *state;
	struct ns16550_state saved;

	wr(w, LCR, 0x80);
	wr(w, DLL, 12);
	wr(w, LCR, 0x03);
	wr(w, FCR, 0x01);
	wr(w, IER, 0x01);
	ns16550_rx_push(&w->uart, 'r');
	ns16550_rx_push(&w->uart, 's');
	assert_true(irq_now(w));
	memcpy(&saved, &w->uart.state, sizeof(saved));

	ns16550_init(&w->uart, world_tx, w, &(struct irq_line){ world_irq, w, 3 });
	assert_int_equal(rd(w, LSR), 0x60);
	w->uart.state = saved;
	w->nlevels = 0;
	ns16550_irq_sync(&w->uart);
	assert_int_equal(w->nlevels, 1);
	assert_true(w->levels[0]);
	assert_int_equal(w->line_seen, 3);
	assert_int_equal(rd(w, IIR), 0xc4);
	assert_int_equal(rd(w, RBR), 'r');
	assert_int_equal(rd(w, RBR), 's');
	assert_false(irq_now(w));
	wr(w, LCR, 0x83);
	assert_int_equal(rd(w, DLL), 12);
}

/* --- state records ------------------------------------------------------- */

static int uart_load(void *dev, const void *buf, size_t len, bool apply, const char **why)
{
	return ns16550_load(dev, buf, len, apply, why);
}

/*
 * Something in every register: a divisor, 7E1 with break, FIFOs at
 * trigger 8 with DMA mode, a wrapped RX ring that overran, loopback with
 * latched modem deltas, every interrupt enabled (line status pending).
 */
static void busy_uart(struct world *w)
{
	unsigned i;

	wr(w, LCR, 0x80);
	wr(w, DLL, 12);
	wr(w, DLM, 0x34);
	wr(w, LCR, 0x5a);
	wr(w, SCR, 0xa5);
	wr(w, FCR, 0x89);
	for (i = 0; i < 10; i++)
		ns16550_rx_push(&w->uart, 'a' + i);
	for (i = 0; i < 6; i++)
		rd(w, RBR);
	for (i = 0; i < 13; i++)
		ns16550_rx_push(&w->uart, 'A' + i);	/* the last one overruns */
	wr(w, MCR, 0x14);	/* loopback, OUT1: RI on, CTS DSR DCD off */
	wr(w, IER, 0x0f);
	assert_int_equal(w->uart.state.rx_head, 6);
	assert_int_equal(w->uart.state.rx_count, 16);
	assert_true(irq_now(w));
}

static int save(const struct world *w, u8 *buf, size_t len)
{
	int n = ns16550_save(&w->uart, buf, len);

	assert_true(n > SNAP_HDR_LEN);
	return n;
}

/* Saved, loaded into a fresh UART, saved again: the same bytes and state. */
static void test_record_round_trip(void **state)
{
	struct world *w = *state, *copy = world_new(4);
	u8 a[128], b[128];
	const char *why = "unset";
	int n;

	busy_uart(w);
	n = save(w, a, sizeof(a));
	assert_int_equal(ns16550_load(&copy->uart, a, (size_t)n, true, &why), 0);
	assert_null(why);
	assert_int_equal(save(copy, b, sizeof(b)), n);
	assert_memory_equal(a, b, (size_t)n);
	assert_memory_equal(&copy->uart.state, &w->uart.state, sizeof(w->uart.state));
	assert_int_equal(ns16550_save(&w->uart, a, (size_t)n - 1), -ENOSPC);
	free(copy);
}

/*
 * The copy is the UART: loading drives its own line high (the line status
 * interrupt was pending), and every register then reads as on the
 * original, the FIFO's bytes in order, the line following on both.
 */
static void test_record_restore_behaves(void **state)
{
	static const u8 script[] = { IIR, LSR, IIR, MSR, MSR, IIR, RBR, IIR, RBR, RBR, RBR, RBR,
				     RBR, RBR, RBR, RBR, RBR, RBR, RBR, RBR, RBR, RBR, RBR,
				     LSR, IIR, RBR, IIR, SCR, LCR, MCR, IER };
	struct world *w = *state, *copy = world_new(3);
	u8 rec[128];
	int n;

	busy_uart(w);
	n = save(w, rec, sizeof(rec));
	assert_int_equal(ns16550_load(&copy->uart, rec, (size_t)n, true, &(const char *){ 0 }), 0);
	assert_int_equal(copy->nlevels, 1);	/* ns16550_irq_sync ran */
	assert_true(copy->levels[0]);
	assert_int_equal(copy->line_seen, 3);
	for (size_t i = 0; i < sizeof(script); i++) {
		assert_int_equal(rd(copy, script[i]), rd(w, script[i]));
		assert_int_equal(irq_now(copy), irq_now(w));
	}
	wr(w, THR, 'x');	/* loopback: into the FIFO */
	wr(copy, THR, 'x');
	assert_int_equal(rd(copy, RBR), 'x');
	assert_int_equal(rd(w, RBR), 'x');
	wr(w, LCR, 0xda);
	wr(copy, LCR, 0xda);
	assert_int_equal(rd(copy, DLL), 12);
	assert_int_equal(rd(copy, DLM), 0x34);
	free(copy);
}

/* The state bad holds, saved and loaded into a fresh UART: refused for
 * why, the UART and its line untouched. */
static void refused(const struct ns16550_state *bad, const char *why)
{
	struct world *src = world_new(4), *dst = world_new(4);
	u8 rec[128];
	int n;

	src->uart.state = *bad;
	n = save(src, rec, sizeof(rec));
	assert_string_equal(snap_test_refused(uart_load, &dst->uart, &dst->uart.state,
					      sizeof(dst->uart.state), rec, (size_t)n, -EINVAL), why);
	assert_int_equal(dst->nlevels, 0);
	free(src);
	free(dst);
}

static void test_record_refusals(void **state)
{
	struct world *w = *state, *dst = world_new(4);
	struct ns16550_state good, bad;
	u8 rec[128];
	int n;

	busy_uart(w);
	good = w->uart.state;
	n = save(w, rec, sizeof(rec));
	snap_test_framing(uart_load, &dst->uart, &dst->uart.state, sizeof(dst->uart.state),
			  rec, (size_t)n);
	assert_int_equal(dst->nlevels, 0);
	/* One byte of the payload: thre_pending (offset 9) is no boolean,
	 * rx_head (offset 11) points past the FIFO. */
	rec[SNAP_HDR_LEN + 9] = 2;
	assert_string_equal(snap_test_refused(uart_load, &dst->uart, &dst->uart.state,
					      sizeof(dst->uart.state), rec, (size_t)n, -EINVAL),
			    "a boolean field is neither 0 nor 1");
	rec[SNAP_HDR_LEN + 9] = 1;
	rec[SNAP_HDR_LEN + 11] = 0xff;
	assert_string_equal(snap_test_refused(uart_load, &dst->uart, &dst->uart.state,
					      sizeof(dst->uart.state), rec, (size_t)n, -EINVAL),
			    "the RX FIFO head is outside the FIFO");
	free(dst);

	bad = good, bad.rx_head = NS16550_FIFO_SIZE;
	refused(&bad, "the RX FIFO head is outside the FIFO");
	bad = good, bad.rx_count = NS16550_FIFO_SIZE + 1;
	refused(&bad, "the RX FIFO holds more than 16 bytes");
	bad = good, bad.ier = 0x1f;
	refused(&bad, "IER has bits 7:4 set");
	bad = good, bad.mcr = 0x34;
	refused(&bad, "MCR has bits 7:5 set");
	bad = good, bad.lsr_err = 0x04;
	refused(&bad, "LSR holds an error other than overrun");
	bad = good, bad.fcr = 0x8b;
	refused(&bad, "FCR holds bits the UART does not keep");
	bad = good, bad.fcr = 0x80;
	refused(&bad, "FCR holds bits the UART does not keep");
	bad = good, bad.msr = 0xb0 | 0x0b;
	refused(&bad, "MSR's line bits do not follow MCR");
}

/*
 * Whatever a guest and the console do, the state is one a record carries:
 * after each step of a random walk it loads back unchanged (no check
 * refuses a reachable state) and saves to the same bytes.
 */
static void test_record_random_states(void **state)
{
	struct world *w = *state, *copy = world_new(4);
	u64 seed = 0x16550;
	u8 a[128], b[128];

	for (unsigned i = 0; i < 5000; i++) {
		u32 r;
		int n;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		r = (u32)(seed >> 32);
		switch (r % 4) {
		case 0: wr(w, (r >> 8) % 8, (u8)(r >> 16)); break;
		case 1: rd(w, (r >> 8) % 8); break;
		default: ns16550_rx_push(&w->uart, (u8)(r >> 8)); break;
		}
		w->ntx = w->nlevels = copy->nlevels = 0;
		n = save(w, a, sizeof(a));
		assert_int_equal(ns16550_load(&copy->uart, a, (size_t)n, true, &(const char *){ 0 }), 0);
		assert_memory_equal(&copy->uart.state, &w->uart.state, sizeof(w->uart.state));
		assert_int_equal(save(copy, b, sizeof(b)), n);
		assert_memory_equal(a, b, (size_t)n);
	}
	free(copy);
}

/* No tx callback and no irq line: everything still works, silently. */
static void test_unwired(void **state)
{
	struct ns16550 uart;

	ns16550_init(&uart, NULL, NULL, NULL);
	ns16550_write(&uart, IER, 0x0f);
	ns16550_write(&uart, THR, 'a');
	assert_true(ns16550_rx_push(&uart, 'b'));
	assert_int_equal(ns16550_read(&uart, IIR), 0x04);
	assert_int_equal(ns16550_read(&uart, RBR), 'b');
	ns16550_irq_sync(&uart);
}

#define UART_TEST(f) cmocka_unit_test_setup_teardown(f, world_setup, world_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		UART_TEST(test_reset_values),
		UART_TEST(test_scratch),
		UART_TEST(test_dlab_latch),
		UART_TEST(test_transmit),
		UART_TEST(test_receive_fifo),
		UART_TEST(test_fifo_control),
		UART_TEST(test_iir_priorities),
		UART_TEST(test_thre_masked_by_rx),
		UART_TEST(test_rx_trigger_levels),
		UART_TEST(test_thre_interrupt_rearm),
		UART_TEST(test_thre_reasserts),
		UART_TEST(test_irq_level_transitions),
		UART_TEST(test_loopback_msr),
		UART_TEST(test_loopback_deltas),
		UART_TEST(test_loopback_data),
		UART_TEST(test_linux_autoconfig),
		UART_TEST(test_io_ops),
		UART_TEST(test_snapshot_restore),
		UART_TEST(test_record_round_trip),
		UART_TEST(test_record_restore_behaves),
		UART_TEST(test_record_refusals),
		UART_TEST(test_record_random_states),
		cmocka_unit_test(test_unwired),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
