/*
 * Host tests for devices/i8254.c against the Intel 8254 datasheet, over
 * the fake clock, and for the sequences Linux runs on it: pit_calibrate_tsc
 * and quick_pit_calibrate (channel 2 via port 0x61) and the i8253
 * clockevent (channel 0, modes 2 and 4).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "devices/i8254.h"
#include "fake_hw.h"
#include "snap_test.h"

enum { CH0 = 0, CH1 = 1, CH2 = 2, CTRL = 3 };

static struct i8254 pit;
static unsigned pulses;		/* rising edges seen on IRQ 0 */
static bool line;		/* the line's level now */
static unsigned line_seen;

static void irq0_set(void *ctx, unsigned l, bool level)
{
	if (level && !line)
		pulses++;
	line = level;
	line_seen = l;
}

static struct guest_clock clock;	/* the VM's clock: offset 0 unless a test moves it */

static int setup(void **state)
{
	struct i8254_wiring w = { .irq0 = { .set = irq0_set, .ctx = NULL, .line = 0 }, .clock = &clock };

	fake_time_ns = 0;
	clock.offset_ns = 0;
	pulses = 0;
	line = false;
	i8254_init(&pit, &w);
	return 0;
}

/* The first nanosecond of PIT clock tick t. */
static u64 tick_ns(u64 t)
{
	return (u64)(((unsigned __int128)t * 1000000000u + I8254_HZ - 1) / I8254_HZ);
}

static void at(u64 t)
{
	fake_time_ns = tick_ns(t);
}

static void wr(unsigned reg, u8 val)
{
	i8254_write(&pit, reg, val);
}

static u8 rd(unsigned reg)
{
	return i8254_read(&pit, reg);
}

/* Program channel ch: control word, then the count as LSB and MSB. */
static void program(unsigned ch, unsigned mode, u32 count)
{
	wr(CTRL, (u8)(ch << 6 | 0x30 | mode << 1));
	wr(ch, count & 0xff);
	wr(ch, (count >> 8) & 0xff);
}

/* A live 16-bit read in LSB-then-MSB mode, as quick_pit_calibrate does. */
static u16 count16(unsigned ch)
{
	u8 lo = rd(ch);

	return lo | rd(ch) << 8;
}

static u8 status(unsigned ch)
{
	wr(CTRL, 0xe0 | BIT(ch + 1));	/* read-back: status only */
	return rd(ch);
}

static bool out2(void)
{
	return i8254_port61_read(&pit) & 0x20;
}

static void advance(void)
{
	i8254_advance(&pit, guest_clock_now(&clock));
}

static void test_reset(void **state)
{
	assert_int_equal(status(CH0), 0x30 | 0x40);	/* OUT low, null count, lohi mode 0 */
	assert_int_equal(i8254_next_deadline(&pit), UINT64_MAX);
	assert_int_equal(i8254_port61_read(&pit) & 0x2f, 0);
	assert_int_equal(rd(CTRL), 0xff);
	at(100000);
	advance();
	assert_int_equal(pulses, 0);
}

/* Mode 0: N+1 clocks from the write to OUT high, then the count wraps. */
static void test_mode0_count_and_irq(void **state)
{
	at(100);
	program(CH0, 0, 1000);
	assert_int_equal(status(CH0), 0x70);		/* not loaded yet */
	assert_int_equal(count16(CH0), 1000);
	assert_true(i8254_next_deadline(&pit) == tick_ns(1101));
	at(101);
	assert_int_equal(status(CH0), 0x30);		/* loaded, OUT low */
	assert_int_equal(count16(CH0), 1000);
	at(102);
	assert_int_equal(count16(CH0), 999);
	at(1100);
	assert_int_equal(count16(CH0), 1);
	advance();
	assert_int_equal(pulses, 0);
	at(1101);
	assert_int_equal(count16(CH0), 0);
	assert_int_equal(status(CH0), 0xb0);		/* OUT high */
	advance();
	assert_int_equal(pulses, 1);
	assert_false(line);				/* a pulse, not a level */
	assert_int_equal(line_seen, 0);
	at(1102);
	assert_int_equal(count16(CH0), 0xffff);
	at(50000);
	advance();
	assert_int_equal(pulses, 1);			/* one-shot */
	assert_int_equal(status(CH0), 0xb0);
	assert_int_equal(i8254_next_deadline(&pit), UINT64_MAX);
}

/* Mode 0: the first byte of a two-byte count stops counting, OUT low. */
static void test_mode0_rewrite(void **state)
{
	at(10);
	program(CH0, 0, 100);
	at(60);
	wr(CH0, 50);
	assert_int_equal(status(CH0) & 0x80, 0);
	at(500);				/* held: the old count never expires */
	advance();
	assert_int_equal(pulses, 0);
	assert_int_equal(i8254_next_deadline(&pit), UINT64_MAX);
	assert_int_equal(count16(CH0), 100 - 49);
	wr(CH0, 0);				/* count 50 from tick 501 */
	assert_true(i8254_next_deadline(&pit) == tick_ns(551));
	at(551);
	advance();
	assert_int_equal(pulses, 1);
}

static void test_rw_modes(void **state)
{
	at(10);
	program(CH1, 0, 0x1234);
	at(11);
	assert_int_equal(rd(CH1), 0x34);
	assert_int_equal(rd(CH1), 0x12);
	assert_int_equal(rd(CH1), 0x34);	/* the flip-flop wraps */
	wr(CTRL, 0x50);				/* channel 1, LSB only, mode 0 */
	wr(CH1, 0x56);
	at(12);
	assert_int_equal(rd(CH1), 0x56);
	assert_int_equal(rd(CH1), 0x56);
	wr(CTRL, 0x60);				/* MSB only */
	wr(CH1, 0x78);
	at(13);
	assert_int_equal(rd(CH1), 0x78);	/* 0x7800 */
	at(14);
	assert_int_equal(rd(CH1), 0x77);	/* 0x77ff */
	wr(CTRL, 0x70);
	wr(CH1, 0x11);				/* mode 0: the first byte holds 0x77ff */
	rd(CH1);
	wr(CTRL, 0x70);				/* resets the read flip-flop */
	assert_int_equal(rd(CH1), 0xff);
	assert_int_equal(rd(CH1), 0x77);
	assert_int_equal(status(CH1) & 0x40, 0x40);
	/* A control word resets the write flip-flop: 0x11 is forgotten. */
	wr(CTRL, 0x70);
	wr(CH1, 0x22);
	wr(CH1, 0x01);
	at(15);
	assert_int_equal(count16(CH1), 0x0122);
}

/* A control word stops the counter where it stands, OUT per the new mode. */
static void test_control_word_holds(void **state)
{
	at(10);
	program(CH1, 3, 1000);			/* mode 3 counts down by two */
	at(111);
	wr(CTRL, 0x70);
	assert_int_equal(count16(CH1), 800);
	assert_int_equal(status(CH1), 0x70);	/* mode 0: OUT low, null count */
	at(5000);
	assert_int_equal(count16(CH1), 800);
	wr(CTRL, 0x76);
	assert_int_equal(status(CH1), 0xf6);	/* mode 3: OUT high */
}

static void test_counter_latch(void **state)
{
	at(10);
	program(CH0, 2, 1000);
	at(111);
	wr(CTRL, 0x00);				/* latch channel 0: 900 */
	at(500);
	wr(CTRL, 0x00);				/* ignored: latch not read yet */
	assert_int_equal(rd(CH0), 900 & 0xff);
	at(600);
	assert_int_equal(rd(CH0), 900 >> 8);
	assert_int_equal(count16(CH0), 1000 - 589);	/* live again */
	wr(CTRL, 0x00);
	at(700);
	wr(CTRL, 0x34);				/* reprogramming drops the latch */
	program(CH0, 2, 1000);
	at(701);
	assert_int_equal(count16(CH0), 1000);
}

static void test_read_back(void **state)
{
	at(10);
	program(CH0, 2, 300);
	program(CH1, 3, 400);
	wr(CTRL, 0x76);				/* channel 1 reprogrammed, no count yet */
	at(111);
	wr(CTRL, 0xc2);				/* count and status of channel 0 */
	at(150);
	assert_int_equal(rd(CH0), 0x34 | 0x80);	/* status first: OUT high, mode 2 */
	assert_int_equal(count16(CH0), 200);	/* then the count latched at 111 */
	assert_int_equal(count16(CH0), 300 - 139);
	/* Count of all three at once, status of none. */
	i8254_port61_write(&pit, 0x01);
	program(CH2, 0, 5000);
	at(200);
	wr(CTRL, 0xde);
	at(300);
	assert_int_equal(count16(CH0), 300 - 189);
	assert_int_equal(count16(CH2), 5000 - 49);
	assert_int_equal(status(CH1), 0xf6);	/* OUT high, null count, 0x36 */
	/* A second status latch before the read is ignored. */
	at(400);
	wr(CTRL, 0xe2);
	program(CH1, 0, 7);
	wr(CTRL, 0xe2);
	assert_int_equal(rd(CH0), 0xb4);
	assert_int_equal(count16(CH0), (u16)(300 - (400 - 11) % 300));
}

/* Mode 2: count N..1, OUT low for the clock at count 1, IRQ at each reload. */
static void test_mode2_periodic(void **state)
{
	at(1000);
	program(CH0, 2, 100);			/* loaded at 1001 */
	assert_true(i8254_next_deadline(&pit) == tick_ns(1101));
	at(1001);
	assert_int_equal(count16(CH0), 100);
	at(1050);
	assert_int_equal(count16(CH0), 51);
	at(1100);
	assert_int_equal(count16(CH0), 1);
	assert_int_equal(status(CH0) & 0x80, 0);
	advance();
	assert_int_equal(pulses, 0);
	at(1101);
	assert_int_equal(count16(CH0), 100);
	assert_int_equal(status(CH0) & 0x80, 0x80);
	advance();
	assert_int_equal(pulses, 1);
	advance();
	assert_int_equal(pulses, 1);
	assert_true(i8254_next_deadline(&pit) == tick_ns(1201));
	/* Late by 3.5 periods: one edge, and the phase is kept. */
	at(1555);
	advance();
	assert_int_equal(pulses, 2);
	assert_true(i8254_next_deadline(&pit) == tick_ns(1601));
	at(1601);
	advance();
	assert_int_equal(pulses, 3);
	assert_false(line);
}

/* Linux's HZ=250 periodic tick: no drift over thousands of periods. */
static void test_mode2_no_drift(void **state)
{
	const u32 latch = (I8254_HZ + 125) / 250;
	u64 deadline;
	unsigned i;

	at(5);
	program(CH0, 2, latch);
	for (i = 1; i <= 5000; i++) {
		deadline = i8254_next_deadline(&pit);
		assert_true(deadline == tick_ns(6 + (u64)i * latch));
		fake_time_ns = deadline + (i % 7) * 1000;	/* the host timer is a bit late */
		advance();
		assert_int_equal(pulses, i);
	}
}

/* Count 0 is 65536. */
static void test_count_zero(void **state)
{
	at(10);
	program(CH0, 2, 0);
	assert_true(i8254_next_deadline(&pit) == tick_ns(11 + 65536));
	at(11);
	assert_int_equal(count16(CH0), 0);
	at(12);
	assert_int_equal(count16(CH0), 0xffff);
}

static void test_mode3_even(void **state)
{
	static const u16 count[10] = { 10, 8, 6, 4, 2, 10, 8, 6, 4, 2 };
	unsigned k;

	at(10);
	program(CH0, 3, 10);			/* loaded at 11 */
	for (k = 0; k < 20; k++) {
		at(11 + k);
		assert_int_equal(count16(CH0), count[k % 10]);
		assert_int_equal(!!(status(CH0) & 0x80), k % 10 < 5);
	}
	/* Register reads deliver due edges too: the one at 21 is out. */
	assert_int_equal(pulses, 1);
	assert_true(i8254_next_deadline(&pit) == tick_ns(31));
}

/* Odd N: high for (N+1)/2 clocks counting N-1..0, low for (N-1)/2. */
static void test_mode3_odd(void **state)
{
	static const u16 count[5] = { 4, 2, 0, 4, 2 };
	unsigned k;

	at(10);
	wr(CTRL, 0x36 | 0x08);			/* mode 7 aliases mode 3 */
	wr(CH0, 5);
	wr(CH0, 0);
	for (k = 0; k < 15; k++) {
		at(11 + k);
		assert_int_equal(count16(CH0), count[k % 5]);
		assert_int_equal(!!(status(CH0) & 0x80), k % 5 < 3);
		assert_int_equal(status(CH0) & 0x0e, 0x0e);	/* mode bits as written */
		advance();
		assert_int_equal(pulses, k / 5);
	}
}

/* Mode 2: a count written while counting waits for the end of the cycle. */
static void test_mode2_new_count(void **state)
{
	at(1000);
	program(CH0, 2, 100);			/* edges at 1101, 1201, ... */
	at(1050);
	wr(CH0, 50);
	wr(CH0, 0);
	assert_true(i8254_next_deadline(&pit) == tick_ns(1101));
	assert_int_equal(status(CH0) & 0x40, 0x40);	/* null count until loaded */
	at(1100);
	assert_int_equal(count16(CH0), 1);
	at(1101);
	assert_int_equal(count16(CH0), 50);
	assert_int_equal(status(CH0) & 0xc0, 0x80);
	advance();
	assert_int_equal(pulses, 1);
	assert_true(i8254_next_deadline(&pit) == tick_ns(1151));
	at(1150);
	assert_int_equal(count16(CH0), 1);
	at(1151);
	assert_int_equal(count16(CH0), 50);
	advance();
	assert_int_equal(pulses, 2);
}

/* Mode 3: a new count takes over at the end of the current half-cycle. */
static void test_mode3_new_count(void **state)
{
	at(1000);
	program(CH0, 3, 10);			/* loaded at 1001, high until 1006 */
	at(1003);
	wr(CH0, 20);
	wr(CH0, 0);
	at(1005);
	assert_int_equal(count16(CH0), 2);	/* old cycle */
	assert_true(i8254_next_deadline(&pit) == tick_ns(1016));
	at(1006);				/* low half of the new count */
	assert_int_equal(count16(CH0), 20);
	assert_int_equal(status(CH0) & 0x80, 0);
	at(1015);
	assert_int_equal(count16(CH0), 2);
	advance();
	assert_int_equal(pulses, 0);		/* the old edge at 1011 never comes */
	at(1016);
	assert_int_equal(status(CH0) & 0x80, 0x80);
	advance();
	assert_int_equal(pulses, 1);
	assert_true(i8254_next_deadline(&pit) == tick_ns(1036));
}

/* Mode 4 as Linux's oneshot clockevent: OUT strobes low at count 0. */
static void test_mode4_oneshot(void **state)
{
	at(2000);
	wr(CTRL, 0x38);
	assert_int_equal(status(CH0) & 0x80, 0x80);
	wr(CH0, 500 & 0xff);
	wr(CH0, 500 >> 8);			/* loaded at 2001 */
	assert_true(i8254_next_deadline(&pit) == tick_ns(2502));
	at(2200);				/* a new event before expiry restarts */
	wr(CH0, 100);
	wr(CH0, 0);				/* loaded at 2201 */
	assert_true(i8254_next_deadline(&pit) == tick_ns(2302));
	at(2301);
	assert_int_equal(count16(CH0), 0);
	assert_int_equal(status(CH0) & 0x80, 0);
	advance();
	assert_int_equal(pulses, 0);
	at(2302);
	assert_int_equal(status(CH0) & 0x80, 0x80);
	assert_int_equal(count16(CH0), 0xffff);
	advance();
	assert_int_equal(pulses, 1);
	assert_int_equal(i8254_next_deadline(&pit), UINT64_MAX);
	at(2302 + 70000);			/* no strobe after the count wraps */
	advance();
	assert_int_equal(pulses, 1);
}

/* clockevent_i8253_disable(): mode word, count 0, mode word again. */
static void test_linux_shutdown(void **state)
{
	at(10);
	program(CH0, 2, 1000);
	at(500);
	wr(CTRL, 0x30);
	wr(CH0, 0);
	wr(CH0, 0);
	wr(CTRL, 0x30);
	assert_int_equal(i8254_next_deadline(&pit), UINT64_MAX);
	at(500 + 200000);
	advance();
	assert_int_equal(pulses, 0);
}

/* Channels 1 and 2 never touch IRQ 0. */
static void test_only_channel0_interrupts(void **state)
{
	i8254_port61_write(&pit, 0x01);
	at(10);
	program(CH1, 2, 10);
	program(CH2, 3, 10);
	assert_int_equal(i8254_next_deadline(&pit), UINT64_MAX);
	at(1000);
	advance();
	assert_int_equal(pulses, 0);
}

static void test_port61_bits(void **state)
{
	u8 a, b;

	i8254_port61_write(&pit, 0xff);
	a = i8254_port61_read(&pit);
	b = i8254_port61_read(&pit);
	assert_int_equal(a & 0xcf, 0x0f);	/* bits 6, 7 read 0 */
	assert_int_equal((a ^ b) & 0x10, 0x10);	/* refresh toggles */
	assert_int_equal(a & 0x20, 0);		/* channel 2 idle, OUT low */
	i8254_port61_write(&pit, 0x00);
	assert_int_equal(i8254_port61_read(&pit) & 0x0f, 0);
}

/* pit_calibrate_tsc(): gate high, mode 0 count of 50 ms, poll bit 5. */
static void test_linux_pit_calibrate(void **state)
{
	const u32 latch = I8254_HZ / 20;
	u64 start, rose = 0;

	at(12345);
	i8254_port61_write(&pit, (i8254_port61_read(&pit) & ~0x02) | 0x01);
	wr(CTRL, 0xb0);
	wr(CH2, latch & 0xff);
	wr(CH2, latch >> 8);
	start = fake_time_ns;
	while (fake_time_ns < start + 60000000) {
		if (out2()) {
			rose = fake_time_ns;
			break;
		}
		fake_time_ns += 1000;
	}
	assert_true(rose >= tick_ns(12345 + 1 + latch));
	assert_true(rose < tick_ns(12345 + 1 + latch) + 1000);
	assert_true(out2());			/* stays high */
	fake_time_ns += 100000000;
	assert_true(out2());
}

/* quick_pit_calibrate(): count 0xffff, watch the MSB step down. */
static void test_linux_quick_pit_calibrate(void **state)
{
	unsigned i;

	at(777);
	i8254_port61_write(&pit, 0x01);
	wr(CTRL, 0xb0);
	wr(CH2, 0xff);
	wr(CH2, 0xff);				/* loaded at 778 */
	for (i = 0; i < 200; i++) {
		at(778 + 256 * i + 3);
		rd(CH2);			/* pit_verify_msb: LSB, then MSB */
		assert_int_equal(rd(CH2), 0xff - i);
		at(778 + 256 * i + 255);
		rd(CH2);
		assert_int_equal(rd(CH2), 0xff - i);
	}
}

/* Mode 0 on channel 2: a low gate freezes the count, a high gate resumes. */
static void test_gate_mode0(void **state)
{
	i8254_port61_write(&pit, 0x01);
	at(10);
	program(CH2, 0, 1000);			/* loaded at 11 */
	at(500);
	i8254_port61_write(&pit, 0x00);
	assert_int_equal(count16(CH2), 511);
	at(800);
	assert_int_equal(count16(CH2), 511);
	assert_false(out2());
	i8254_port61_write(&pit, 0x01);
	at(801);
	assert_int_equal(count16(CH2), 510);
	at(1310);
	assert_false(out2());
	at(1311);
	assert_true(out2());
	/* After terminal count a gate cycle keeps OUT high. */
	i8254_port61_write(&pit, 0x00);
	at(1400);
	i8254_port61_write(&pit, 0x01);
	at(1500);
	assert_true(out2());
}

/* A count written while the gate is low waits for the gate. */
static void test_gate_low_at_load(void **state)
{
	at(10);
	program(CH2, 0, 100);
	at(1000);
	assert_int_equal(count16(CH2), 100);
	assert_false(out2());
	i8254_port61_write(&pit, 0x01);		/* counts from 1001 */
	at(1099);
	assert_false(out2());
	at(1100);
	assert_true(out2());
}

/* Modes 2/3: a low gate forces OUT high and stops; a rising gate reloads. */
static void test_gate_mode2(void **state)
{
	i8254_port61_write(&pit, 0x01);
	at(10);
	program(CH2, 2, 100);			/* loaded at 11 */
	at(110);
	assert_false(out2());			/* count 1 */
	i8254_port61_write(&pit, 0x00);
	assert_true(out2());
	at(150);
	assert_int_equal(count16(CH2), 1);
	i8254_port61_write(&pit, 0x01);		/* reload at 151 */
	at(151);
	assert_int_equal(count16(CH2), 100);
	at(250);
	assert_false(out2());
	at(251);
	assert_true(out2());
}

/* Mode 1: the rising gate triggers a one-shot low pulse of N clocks. */
static void test_gate_mode1(void **state)
{
	at(10);
	program(CH2, 1, 50);
	at(100);
	assert_true(out2());			/* waiting for a trigger */
	i8254_port61_write(&pit, 0x01);		/* loaded at 101 */
	at(101);
	assert_false(out2());
	assert_int_equal(count16(CH2), 50);
	at(130);
	i8254_port61_write(&pit, 0x00);		/* gate low: no effect in mode 1 */
	assert_int_equal(count16(CH2), 50 - 29);
	i8254_port61_write(&pit, 0x01);		/* retrigger: loaded at 131 */
	at(180);
	assert_false(out2());
	at(181);
	assert_true(out2());
}

/* Mode 5: a triggered strobe; mode 4 stops while the gate is low. */
static void test_gate_mode5_and_4(void **state)
{
	at(10);
	program(CH2, 5, 50);
	i8254_port61_write(&pit, 0x01);		/* trigger at 10, loaded at 11 */
	at(60);
	assert_true(out2());
	at(61);
	assert_false(out2());
	at(62);
	assert_true(out2());
	program(CH2, 4, 50);			/* loaded at 63 */
	at(80);
	i8254_port61_write(&pit, 0x00);
	at(500);
	assert_int_equal(count16(CH2), 50 - 17);
	i8254_port61_write(&pit, 0x01);
	at(533);
	assert_false(out2());
	at(534);
	assert_true(out2());
}

/* An illegal count of 1 in modes 2 and 3 must not make a deadline storm. */
static void test_count_one(void **state)
{
	at(10);
	program(CH0, 2, 1);
	assert_int_equal(i8254_next_deadline(&pit), UINT64_MAX);
	program(CH0, 3, 1);
	assert_int_equal(i8254_next_deadline(&pit), UINT64_MAX);
	at(1000);
	advance();
	assert_int_equal(pulses, 0);
	program(CH0, 2, 2);			/* the smallest legal count works */
	at(1003);
	advance();
	assert_int_equal(pulses, 1);
}

static void test_snapshot_restore(void **state)
{
	struct i8254_state saved;
	u16 a, b;

	at(10);
	i8254_port61_write(&pit, 0x01);
	program(CH0, 3, 1234);
	program(CH2, 0, 999);
	at(700);
	saved = pit.state;
	a = count16(CH0);
	rd(CH2);
	pit.state = saved;
	b = count16(CH0);
	assert_int_equal(a, b);
	assert_int_equal(rd(CH2), (u8)(999 - 689));
}

static void test_io_ops(void **state)
{
	at(10);
	i8254_io_ops.write(&pit, 3, 1, 0x34);
	i8254_io_ops.write(&pit, 0, 1, 0x10);
	i8254_io_ops.write(&pit, 0, 1, 0x00);
	i8254_io_ops.write(&pit, 9, 1, 0x55);		/* out of range: ignored */
	at(11);
	assert_int_equal(i8254_io_ops.read(&pit, 0, 1), 0x10);
	assert_int_equal(i8254_io_ops.read(&pit, 0, 1), 0x00);
	assert_int_equal(i8254_io_ops.read(&pit, 4, 1), 0xff);
	i8254_port61_ops.write(&pit, 0, 1, 0x03);
	assert_int_equal(i8254_port61_ops.read(&pit, 0, 1) & 0x0f, 0x03);
	assert_int_equal(i8254_port61_ops.read(&pit, 1, 1), 0xff);
}

/* One random register access, some time after the last. */
static void random_step(u64 *seed)
{
	u32 r;

	*seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
	r = (u32)(*seed >> 32);
	fake_time_ns += r % 4 == 0 ? (r >> 8) % 100000000 : (r >> 8) % 3000;
	switch ((r >> 2) % 6) {
	case 0: wr(CTRL, (u8)(r >> 12)); break;
	case 1: wr((r >> 12) % 3, (u8)(r >> 16)); break;
	case 2: rd((r >> 12) % 4); break;
	case 3: i8254_port61_write(&pit, (u8)(r >> 12)); break;
	case 4: i8254_port61_read(&pit); break;
	default: break;
	}
}

/*
 * Hostile guest: random writes and reads at random times. After every
 * advance(now) the deadline is in the future (no host timer storm) and
 * IRQ 0 is never left high.
 */
static void test_random_programming(void **state)
{
	u64 seed = 0x8254;
	unsigned i;

	for (i = 0; i < 20000; i++) {
		u64 deadline;

		random_step(&seed);
		advance();
		deadline = i8254_next_deadline(&pit);
		assert_true(deadline > fake_time_ns);
		assert_false(line);
	}
}

/*
 * Deadlines live on the VM's clock: a PIT whose state moves into a VM whose
 * clock was set to the saved time (a restore at a later host time) counts
 * on from where it stopped, and its next edge is as near as it was. The
 * same state read on the host's time is five seconds further on.
 */
static void test_guest_clock_restore(void **state)
{
	struct guest_clock later = { 0 };
	struct i8254_wiring w = { .clock = &later };
	struct i8254 moved;
	u64 due, saved_at;
	u16 before;
	u8 lo;

	at(100);
	program(CH0, 2, 1000);
	at(600);
	before = count16(CH0);
	due = i8254_next_deadline(&pit);
	saved_at = guest_clock_now(&clock);

	fake_time_ns += 5 * NSEC_PER_SEC;
	guest_clock_set(&later, saved_at);
	i8254_init(&moved, &w);
	moved.state = pit.state;
	lo = i8254_read(&moved, CH0);
	assert_int_equal(lo | i8254_read(&moved, CH0) << 8, before);
	assert_true(i8254_next_deadline(&moved) == due);
	assert_true(guest_clock_to_host(&later, due) - fake_time_ns == due - saved_at);
	assert_int_not_equal(count16(CH0), before);
}

/* --- state records ------------------------------------------------------- */

static struct i8254 copy;	/* a PIT loaded from a record of pit */
static unsigned copy_pulses;
static bool copy_line;

static void copy_irq0_set(void *ctx, unsigned l, bool level)
{
	if (level && !copy_line)
		copy_pulses++;
	copy_line = level;
}

/* A fresh PIT in a VM whose clock is *c. */
static void copy_init(const struct guest_clock *c)
{
	struct i8254_wiring w = { .irq0 = { .set = copy_irq0_set }, .clock = c };

	copy_pulses = 0;
	copy_line = false;
	i8254_init(&copy, &w);
}

static int pit_load(void *dev, const void *buf, size_t len, bool apply, const char **why)
{
	return i8254_load(dev, buf, len, apply, why);
}

static int save(const struct i8254 *p, u8 *buf, size_t len)
{
	int n = i8254_save(p, buf, len);

	assert_true(n > SNAP_HDR_LEN);
	return n;
}

/*
 * Every channel busy: 0 in mode 2 with a new count waiting for the end of
 * its cycle, 1 in mode 4 with a latched count half read and a latched
 * status, 2 in mode 3 gated on through port 0x61 with half a new count
 * written; the refresh bit toggled, edges delivered.
 */
static void busy_pit(void)
{
	at(100);
	program(CH0, 2, 1000);
	at(600);
	wr(CH0, 500 & 0xff);
	wr(CH0, 500 >> 8);
	program(CH1, 4, 3000);
	wr(CTRL, 0x40);			/* latch channel 1's count */
	rd(CH1);
	wr(CTRL, 0xe4);			/* read-back: channel 1's status */
	i8254_port61_write(&pit, 0x03);
	program(CH2, 3, 777);
	at(900);
	wr(CH2, 0x10);
	i8254_port61_read(&pit);
	at(1700);
	advance();
	assert_true(pit.state.ch[0].pending);
	assert_true(pit.state.ch[1].count_latched && pit.state.ch[1].status_latched);
	assert_true(pit.state.ch[2].write_msb);
	assert_int_equal(pulses, 1);
}

/* Saved, loaded into a fresh PIT, saved again: the same bytes and state. */
static void round_trip(void)
{
	u8 a[512], b[512];
	const char *why = "unset";
	int n;

	busy_pit();
	n = save(&pit, a, sizeof(a));
	copy_init(&clock);
	assert_int_equal(i8254_load(&copy, a, (size_t)n, true, &why), 0);
	assert_null(why);
	assert_int_equal(save(&copy, b, sizeof(b)), n);
	assert_memory_equal(a, b, (size_t)n);
	assert_memory_equal(&copy.state, &pit.state, sizeof(pit.state));
	assert_int_equal(i8254_save(&pit, a, (size_t)n - 1), -ENOSPC);
}

/* Early in a VM's life, and late: 380 years on its clock, near its end. */
static void test_record_round_trip(void **state)
{
	round_trip();
	setup(state);
	clock.offset_ns = 12000000000000000000ull;
	round_trip();
}

/* What a guest reads: channel 1's latched status and count, live counts
 * of channels 0 and 2, port 0x61 (OUT2, refresh). */
static void reads(struct i8254 *p, u8 out[8])
{
	static const u8 regs[7] = { CH1, CH1, CH1, CH0, CH0, CH2, CH2 };

	for (unsigned i = 0; i < 7; i++)
		out[i] = i8254_read(p, regs[i]);
	out[7] = i8254_port61_read(p);
}

/*
 * A PIT restored into a VM whose clock was set to the saved time, five
 * host seconds on: its deadlines are the original's, it pulses IRQ 0 at
 * each of them as the original does (the pending count taking over on
 * time), and its latches and counts read the same.
 */
static void test_record_restore_behaves(void **state)
{
	struct guest_clock later = { 0 };
	u8 rec[512], want[8], got[8];
	u64 saved_at, due = 0;
	int n;

	busy_pit();
	n = save(&pit, rec, sizeof(rec));
	saved_at = fake_time_ns;
	fake_time_ns += 5 * NSEC_PER_SEC;
	guest_clock_set(&later, saved_at);
	copy_init(&later);
	assert_int_equal(i8254_load(&copy, rec, (size_t)n, true, &(const char *){ 0 }), 0);
	assert_int_equal(copy_pulses, 0);
	for (unsigned k = 0; k < 6; k++) {
		due = i8254_next_deadline(&pit);
		assert_true(i8254_next_deadline(&copy) == due);
		i8254_advance(&copy, due - 1);
		assert_int_equal(copy_pulses, k);
		i8254_advance(&pit, due);
		i8254_advance(&copy, due);
		assert_int_equal(pulses, k + 2);
		assert_int_equal(copy_pulses, k + 1);
	}
	fake_time_ns = due + 1234;		/* the original's clock: offset 0 */
	reads(&pit, want);
	fake_time_ns = guest_clock_to_host(&later, due + 1234);
	reads(&copy, got);
	assert_memory_equal(got, want, sizeof(want));
}

/* The state bad holds, saved and loaded into a fresh PIT: refused for why. */
static void refused(const struct i8254_state *bad, const char *why)
{
	struct i8254 src = pit;
	u8 rec[512];
	int n;

	src.state = *bad;
	n = save(&src, rec, sizeof(rec));
	copy_init(&clock);
	assert_string_equal(snap_test_refused(pit_load, &copy, &copy.state, sizeof(copy.state),
					      rec, (size_t)n, -EINVAL), why);
}

static void test_record_refusals(void **state)
{
	u64 last_tick = (u64)((unsigned __int128)UINT64_MAX * I8254_HZ / 1000000000u);
	struct i8254_state good, bad;
	u8 rec[512];
	int n;

	busy_pit();
	good = pit.state;
	n = save(&pit, rec, sizeof(rec));
	copy_init(&clock);
	snap_test_framing(pit_load, &copy, &copy.state, sizeof(copy.state), rec, (size_t)n);
	rec[SNAP_HDR_LEN + 29] = 2;	/* channel 0's pending */
	assert_string_equal(snap_test_refused(pit_load, &copy, &copy.state, sizeof(copy.state),
					      rec, (size_t)n, -EINVAL),
			    "a boolean field is neither 0 nor 1");

	bad = good, bad.ch[0].ctrl |= 0x40;
	refused(&bad, "a PIT channel's control word has bits 7:6 set");
	bad = good, bad.ch[1].ctrl &= ~0x30;
	refused(&bad, "a PIT channel's access mode is the latch command");
	bad = good, bad.ch[0].reload = 65537;
	refused(&bad, "a PIT count is above 65536");
	bad = good, bad.ch[2].start = 70000;
	refused(&bad, "a PIT count is above 65536");
	bad = good, bad.ch[2].reload = 0;
	refused(&bad, "an armed PIT channel has no count");
	bad = good, bad.ch[1].armed = false;
	refused(&bad, "a PIT channel counts with no count written");
	bad = good, bad.ch[0].period = 0;
	refused(&bad, "a PIT channel in mode 2 or 3 has a period of 0");
	bad = good, bad.ch[1].pending = true;
	refused(&bad, "a PIT count is pending outside a running mode 2 or 3 cycle");
	bad = good, bad.ch[0].switch_tick = bad.ch[0].load_tick;
	refused(&bad, "a PIT count is pending outside a running mode 2 or 3 cycle");
	bad = good, bad.ch[1].load_tick = UINT64_MAX - 10;
	refused(&bad, "a PIT tick is beyond the guest clock's range");
	bad = good, bad.irq_tick = UINT64_MAX / 2;
	refused(&bad, "a PIT tick is beyond the guest clock's range");
	/* Within the clock's range, but its count would end past it. */
	bad = good, bad.ch[1].load_tick = last_tick - 100;
	refused(&bad, "a PIT tick is beyond the guest clock's range");
	bad = good, bad.port61 |= 0x10;
	refused(&bad, "port 0x61 holds bits that are not written");
	bad = good, bad.ch[1].gate = false;
	refused(&bad, "PIT gate 0 or 1 is low");
	bad = good, bad.ch[2].gate = false;
	refused(&bad, "PIT gate 2 is not port 0x61 bit 0");
}

/*
 * Every state the random guest of test_random_programming reaches loads
 * back unchanged (no check refuses a reachable state), saves to the same
 * bytes and has the same deadline.
 */
static void test_record_random_states(void **state)
{
	u64 seed = 0x8254;
	u8 a[512], b[512];

	copy_init(&clock);
	for (unsigned i = 0; i < 20000; i++) {
		int n;

		random_step(&seed);
		advance();
		n = save(&pit, a, sizeof(a));
		assert_int_equal(i8254_load(&copy, a, (size_t)n, true, &(const char *){ 0 }), 0);
		assert_memory_equal(&copy.state, &pit.state, sizeof(pit.state));
		assert_int_equal(save(&copy, b, sizeof(b)), n);
		assert_memory_equal(a, b, (size_t)n);
		assert_true(i8254_next_deadline(&copy) == i8254_next_deadline(&pit));
	}
}

#define PIT_TEST(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		PIT_TEST(test_reset),
		PIT_TEST(test_mode0_count_and_irq),
		PIT_TEST(test_mode0_rewrite),
		PIT_TEST(test_rw_modes),
		PIT_TEST(test_control_word_holds),
		PIT_TEST(test_counter_latch),
		PIT_TEST(test_read_back),
		PIT_TEST(test_mode2_periodic),
		PIT_TEST(test_mode2_no_drift),
		PIT_TEST(test_count_zero),
		PIT_TEST(test_mode3_even),
		PIT_TEST(test_mode3_odd),
		PIT_TEST(test_mode2_new_count),
		PIT_TEST(test_mode3_new_count),
		PIT_TEST(test_mode4_oneshot),
		PIT_TEST(test_linux_shutdown),
		PIT_TEST(test_only_channel0_interrupts),
		PIT_TEST(test_port61_bits),
		PIT_TEST(test_linux_pit_calibrate),
		PIT_TEST(test_linux_quick_pit_calibrate),
		PIT_TEST(test_gate_mode0),
		PIT_TEST(test_gate_low_at_load),
		PIT_TEST(test_gate_mode2),
		PIT_TEST(test_gate_mode1),
		PIT_TEST(test_gate_mode5_and_4),
		PIT_TEST(test_count_one),
		PIT_TEST(test_snapshot_restore),
		PIT_TEST(test_guest_clock_restore),
		PIT_TEST(test_io_ops),
		PIT_TEST(test_random_programming),
		PIT_TEST(test_record_round_trip),
		PIT_TEST(test_record_restore_behaves),
		PIT_TEST(test_record_refusals),
		PIT_TEST(test_record_random_states),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
