/*
 * Host tests for devices/i8259.c against the 8259A datasheet and the
 * sequences of Linux's legacy PIC driver (arch/x86/kernel/i8259.c):
 * probe_8259A, init_8259A, mask_and_ack_8259A and i8259A_irq_real.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "devices/i8259.h"
#include "snap_test.h"

static struct i8259 pic;
static unsigned intr_calls;
static bool intr_level;

static void intr_changed(void *ctx, bool level)
{
	assert_ptr_equal(ctx, &pic);
	intr_calls++;
	intr_level = level;
}

static int setup(void **state)
{
	intr_calls = 0;
	intr_level = false;
	i8259_init(&pic, intr_changed, &pic);
	return 0;
}

/* Port I/O through the io_ops, as the VM's bus would do it. */
static void outb(u16 port, u8 val)
{
	if (port == 0x20 || port == 0x21)
		i8259_master_ops.write(&pic, port - 0x20, 1, val);
	else if (port == 0xa0 || port == 0xa1)
		i8259_slave_ops.write(&pic, port - 0xa0, 1, val);
	else if (port == 0x4d0 || port == 0x4d1)
		i8259_elcr_ops.write(&pic, port - 0x4d0, 1, val);
	else
		fail();
}

static u8 inb(u16 port)
{
	if (port == 0x20 || port == 0x21)
		return (u8)i8259_master_ops.read(&pic, port - 0x20, 1);
	if (port == 0xa0 || port == 0xa1)
		return (u8)i8259_slave_ops.read(&pic, port - 0xa0, 1);
	if (port == 0x4d0 || port == 0x4d1)
		return (u8)i8259_elcr_ops.read(&pic, port - 0x4d0, 1);
	fail();
	return 0;
}

/* init_8259A(): master on vectors 0x30, slave 0x38 on IR2, then unmask
 * the cascade and the given IRQs. */
static void linux_init(bool auto_eoi, u16 unmask)
{
	u16 mask = (u16)~(unmask | BIT(2));

	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	outb(0x20, 0x11);
	outb(0x21, 0x30);
	outb(0x21, 1u << 2);
	outb(0x21, auto_eoi ? 0x03 : 0x01);
	outb(0xa0, 0x11);
	outb(0xa1, 0x38);
	outb(0xa1, 2);
	outb(0xa1, 0x01);
	outb(0x21, mask & 0xff);
	outb(0xa1, mask >> 8);
}

/* mask_and_ack_8259A()'s EOIs, without the masking. */
static void linux_eoi(unsigned irq)
{
	if (irq & 8) {
		outb(0xa0, 0x60 + (irq & 7));
		outb(0x20, 0x60 + 2);
	} else {
		outb(0x20, 0x60 + irq);
	}
}

/* i8259A_irq_real(): is the IRQ's ISR bit set? */
static bool linux_irq_real(unsigned irq)
{
	u16 cmd = irq < 8 ? 0x20 : 0xa0;
	bool real;

	outb(cmd, 0x0b);
	real = inb(cmd) & BIT(irq & 7);
	outb(cmd, 0x0a);
	return real;
}

static void pulse(unsigned irq)
{
	i8259_set_irq(&pic, irq, true);
	i8259_set_irq(&pic, irq, false);
}

static void test_reset_and_probe(void **state)
{
	assert_int_equal(inb(0x21), 0xff);
	assert_int_equal(inb(0xa1), 0xff);
	pulse(0);
	assert_false(i8259_intr(&pic));		/* everything masked */
	/* probe_8259A(): the master IMR must read back what was written. */
	outb(0xa1, 0xff);
	outb(0x21, 0xfb);
	assert_int_equal(inb(0x21), 0xfb);
	assert_false(i8259_intr(&pic));		/* only the cascade is open */
	assert_int_equal(inb(0x20), 0x01);	/* IRQ 0's edge waits in IRR */
	outb(0x21, 0xfa);
	assert_true(i8259_intr(&pic));
	assert_int_equal(i8259_ack(&pic), 0x00);	/* no ICW2 yet: base 0 */
}

static void test_linux_init_and_timer(void **state)
{
	linux_init(false, BIT(0));
	assert_int_equal(inb(0x21), 0xfa);
	assert_int_equal(inb(0xa1), 0xff);
	assert_false(i8259_intr(&pic));
	pulse(0);
	assert_true(i8259_intr(&pic));
	assert_int_equal(intr_calls, 1);
	assert_true(intr_level);
	assert_int_equal(i8259_ack(&pic), 0x30);
	assert_false(i8259_intr(&pic));
	assert_false(intr_level);
	assert_true(linux_irq_real(0));
	assert_int_equal(inb(0x20), 0x00);	/* back on IRR: the request moved to ISR */
	pulse(0);				/* the next tick waits for the EOI */
	assert_false(i8259_intr(&pic));
	linux_eoi(0);
	assert_false(linux_irq_real(0));
	assert_true(i8259_intr(&pic));
	assert_int_equal(i8259_ack(&pic), 0x30);
}

/* ICW1 forgets latched edges and clears IMR; init leaves reads on IRR. */
static void test_icw1_resets(void **state)
{
	outb(0x21, 0x00);
	pulse(3);
	outb(0x20, 0x0b);			/* read ISR */
	assert_int_equal(i8259_ack(&pic), 3);	/* ICW2 still 0 */
	assert_int_equal(inb(0x20), 0x08);
	outb(0x20, 0xc4);			/* set priority: IR4 lowest */
	pulse(1);
	outb(0x20, 0x11);
	assert_int_equal(inb(0x21), 0x00);	/* IMR cleared */
	assert_int_equal(inb(0x20), 0x00);	/* IRR (edge lost), not ISR */
	outb(0x21, 0x40);
	outb(0x21, 0x04);
	outb(0x21, 0x01);
	assert_false(i8259_intr(&pic));
	outb(0x20, 0x0b);
	assert_int_equal(inb(0x20), 0x00);	/* ISR cleared */
	pulse(7);
	pulse(0);
	assert_int_equal(i8259_ack(&pic), 0x40);	/* IR0 highest again */
}

static void test_cascade(void **state)
{
	linux_init(false, BIT(8) | BIT(12));
	i8259_set_irq(&pic, 12, true);
	assert_true(i8259_intr(&pic));
	assert_int_equal(i8259_ack(&pic), 0x3c);
	assert_true(linux_irq_real(12));
	assert_true(linux_irq_real(2));		/* master IR2 in service too */
	i8259_set_irq(&pic, 12, false);
	pulse(8);				/* higher on the slave, but master IR2 busy */
	assert_false(i8259_intr(&pic));
	linux_eoi(12);
	assert_true(i8259_intr(&pic));
	assert_int_equal(i8259_ack(&pic), 0x38);
	linux_eoi(8);
	assert_false(i8259_intr(&pic));
	assert_int_equal(inb(0xa0), 0x00);
	outb(0xa0, 0x0b);
	assert_int_equal(inb(0xa0), 0x00);
}

/* A masked cascade hides the whole slave. */
static void test_cascade_masked(void **state)
{
	linux_init(false, BIT(9));
	outb(0x21, 0xff);
	pulse(9);
	assert_false(i8259_intr(&pic));
	outb(0x21, 0xfb);
	assert_true(i8259_intr(&pic));
	assert_int_equal(i8259_ack(&pic), 0x39);
}

static void test_fully_nested_priority(void **state)
{
	linux_init(false, 0x00fb);
	pulse(3);
	pulse(1);
	assert_int_equal(i8259_ack(&pic), 0x31);
	assert_false(i8259_intr(&pic));		/* IR3 is below IR1 in service */
	pulse(0);
	assert_true(i8259_intr(&pic));		/* IR0 preempts */
	assert_int_equal(i8259_ack(&pic), 0x30);
	outb(0x20, 0x20);			/* non-specific EOI: IR0 */
	outb(0x20, 0x0b);
	assert_int_equal(inb(0x20), 0x02);
	assert_false(i8259_intr(&pic));
	outb(0x20, 0x20);			/* now IR1 */
	assert_int_equal(inb(0x20), 0x00);
	assert_true(i8259_intr(&pic));
	assert_int_equal(i8259_ack(&pic), 0x33);
	/* Same level: a new edge waits in IRR while the level is in service. */
	pulse(3);
	assert_false(i8259_intr(&pic));
	outb(0x20, 0x63);
	assert_int_equal(i8259_ack(&pic), 0x33);
}

static void test_masking(void **state)
{
	linux_init(false, 0);
	pulse(5);
	assert_false(i8259_intr(&pic));
	assert_int_equal(inb(0x20), 0x20);	/* latched while masked */
	outb(0x21, 0xdf);
	assert_true(i8259_intr(&pic));
	outb(0x21, 0xff);
	assert_false(i8259_intr(&pic));
	assert_int_equal(intr_calls, 2);
}

/* With the request gone before INTA, each chip answers with its IR7. */
static void test_spurious(void **state)
{
	linux_init(false, BIT(5) | BIT(10));
	outb(0x4d0, BIT(5));
	outb(0x4d1, BIT(2));			/* IRQ 10 level-triggered */
	i8259_set_irq(&pic, 5, true);
	assert_true(i8259_intr(&pic));
	i8259_set_irq(&pic, 5, false);
	assert_int_equal(i8259_ack(&pic), 0x37);
	assert_false(linux_irq_real(7));	/* Linux sees a spurious IRQ 7 */
	outb(0x20, 0x0b);
	assert_int_equal(inb(0x20), 0x00);
	/* A slave request that goes away takes master IR2's request with it. */
	i8259_set_irq(&pic, 10, true);
	assert_true(i8259_intr(&pic));
	i8259_set_irq(&pic, 10, false);
	assert_false(i8259_intr(&pic));
	assert_int_equal(i8259_ack(&pic), 0x37);
	assert_false(linux_irq_real(2));
	assert_false(linux_irq_real(10));
	/* Nothing at all pending: still a vector, the master's IR7. */
	assert_int_equal(i8259_ack(&pic), 0x37);
}

static void test_elcr(void **state)
{
	outb(0x4d0, 0xff);
	outb(0x4d1, 0xff);
	assert_int_equal(inb(0x4d0), 0xf8);	/* IRQ 0-2 always edge */
	assert_int_equal(inb(0x4d1), 0xde);	/* IRQ 8 and 13 always edge */
	outb(0x4d0, 0x00);
	assert_int_equal(inb(0x4d0), 0x00);
}

static void test_level_and_edge(void **state)
{
	linux_init(false, BIT(4) | BIT(11));
	outb(0x4d1, BIT(3));			/* IRQ 11 level */
	/* Level: IRR follows the line, and a held line interrupts again. */
	i8259_set_irq(&pic, 11, true);
	assert_int_equal(inb(0xa0), 0x08);
	assert_int_equal(i8259_ack(&pic), 0x3b);
	assert_false(i8259_intr(&pic));
	linux_eoi(11);
	assert_true(i8259_intr(&pic));		/* still high */
	i8259_set_irq(&pic, 11, false);
	assert_false(i8259_intr(&pic));
	assert_int_equal(inb(0xa0), 0x00);
	/* Edge: one request per rising edge, however long the line stays up. */
	i8259_set_irq(&pic, 4, true);
	assert_int_equal(i8259_ack(&pic), 0x34);
	linux_eoi(4);
	i8259_set_irq(&pic, 4, true);
	assert_false(i8259_intr(&pic));
	i8259_set_irq(&pic, 4, false);
	i8259_set_irq(&pic, 4, true);
	assert_true(i8259_intr(&pic));
	/* Switching an input to level takes its IRR from the line. */
	outb(0x4d0, BIT(4));
	i8259_set_irq(&pic, 4, false);
	assert_false(i8259_intr(&pic));
	/* ICW1 LTIM makes every input of the chip level-triggered. */
	outb(0x4d0, 0);
	outb(0x20, 0x19);
	outb(0x21, 0x30);
	outb(0x21, 0x04);
	outb(0x21, 0x01);
	outb(0x21, 0xfe);
	i8259_set_irq(&pic, 0, true);
	assert_int_equal(i8259_ack(&pic), 0x30);
	outb(0x20, 0x20);
	assert_true(i8259_intr(&pic));
	i8259_set_irq(&pic, 0, false);
	assert_false(i8259_intr(&pic));
}

static void test_auto_eoi(void **state)
{
	linux_init(true, BIT(0) | BIT(1) | BIT(3));
	pulse(1);
	assert_int_equal(i8259_ack(&pic), 0x31);
	outb(0x20, 0x0b);
	assert_int_equal(inb(0x20), 0x00);	/* nothing in service */
	pulse(1);
	assert_true(i8259_intr(&pic));		/* no EOI needed */
	assert_int_equal(i8259_ack(&pic), 0x31);
	/* Rotate in AEOI mode: the accepted level becomes the lowest. */
	outb(0x20, 0x80);
	pulse(0);
	assert_int_equal(i8259_ack(&pic), 0x30);	/* IR0 now lowest */
	pulse(0);
	pulse(3);
	assert_int_equal(i8259_ack(&pic), 0x33);
	assert_int_equal(i8259_ack(&pic), 0x30);
	outb(0x20, 0x00);			/* rotate in AEOI off: IR0 stays lowest */
	pulse(0);
	pulse(3);
	assert_int_equal(i8259_ack(&pic), 0x33);
	assert_int_equal(i8259_ack(&pic), 0x30);
	pulse(0);
	pulse(3);
	assert_int_equal(i8259_ack(&pic), 0x33);
}

static void test_rotation(void **state)
{
	linux_init(false, 0xfb);
	pulse(4);
	assert_int_equal(i8259_ack(&pic), 0x34);
	outb(0x20, 0xa0);			/* rotate on non-specific EOI */
	pulse(3);
	pulse(5);
	assert_int_equal(i8259_ack(&pic), 0x35);	/* IR5 is highest now */
	outb(0x20, 0xe5);			/* rotate on specific EOI 5 */
	assert_int_equal(i8259_ack(&pic), 0x33);	/* IR6 highest: IR3 next in line */
	outb(0x20, 0x63);
	outb(0x20, 0xc2);			/* set priority: IR2 lowest, IR3 highest */
	pulse(7);
	pulse(3);
	assert_int_equal(i8259_ack(&pic), 0x33);
	/* Fully nested in rotated order: IR7 is below IR3 in service. */
	assert_false(i8259_intr(&pic));
	outb(0x20, 0x20);
	assert_int_equal(i8259_ack(&pic), 0x37);
	outb(0x20, 0x40);			/* OCW2 no-op */
	outb(0x20, 0x0b);
	assert_int_equal(inb(0x20), 0x80);
}

static void test_poll(void **state)
{
	linux_init(false, 0xff);
	outb(0x20, 0x0c);
	assert_int_equal(inb(0x20), 0x00);	/* nothing pending */
	pulse(6);
	pulse(1);
	outb(0x20, 0x0c);
	assert_int_equal(inb(0x20), 0x81);
	assert_int_equal(inb(0x20), 0x40);	/* poll done: IRR again */
	outb(0x20, 0x0b);
	assert_int_equal(inb(0x20), 0x02);	/* the poll accepted IR1 */
	outb(0x20, 0x0c);
	assert_int_equal(inb(0x20), 0x00);	/* IR6 is below IR1 in service */
	outb(0x20, 0x20);
	outb(0x20, 0x0c);
	assert_int_equal(inb(0x20), 0x86);
}

static void test_special_mask(void **state)
{
	linux_init(false, 0xfb);
	pulse(1);
	assert_int_equal(i8259_ack(&pic), 0x31);
	pulse(3);
	assert_false(i8259_intr(&pic));
	outb(0x21, 0x02);			/* mask IR1 (the one in service) */
	outb(0x20, 0x68);			/* special mask mode on */
	assert_true(i8259_intr(&pic));
	assert_int_equal(i8259_ack(&pic), 0x33);
	outb(0x20, 0x20);			/* non-specific EOI skips masked IR1 */
	outb(0x20, 0x0b);
	assert_int_equal(inb(0x20), 0x02);
	outb(0x20, 0x48);			/* special mask mode off */
	pulse(3);
	assert_false(i8259_intr(&pic));		/* IR1 blocks again */
	outb(0x20, 0x61);
	assert_true(i8259_intr(&pic));
}

/* Special fully nested mode: a higher slave request gets through IR2. */
static void test_special_fully_nested(void **state)
{
	linux_init(false, BIT(8) | BIT(9));
	outb(0x20, 0x11);
	outb(0x21, 0x30);
	outb(0x21, 0x04);
	outb(0x21, 0x11);			/* SFNM, 8086 */
	outb(0x21, 0xfb);
	pulse(9);
	assert_int_equal(i8259_ack(&pic), 0x39);
	pulse(8);
	assert_true(i8259_intr(&pic));
	assert_int_equal(i8259_ack(&pic), 0x38);
}

/* ICW1 with SNGL: no ICW3; the master's IR2 is then an ordinary input. */
static void test_single_mode(void **state)
{
	outb(0x20, 0x13);
	outb(0x21, 0x50);
	outb(0x21, 0x01);			/* ICW4 */
	outb(0x21, 0xf0);			/* OCW1 */
	assert_int_equal(inb(0x21), 0xf0);
	outb(0xa1, 0x00);			/* the slave's INT still reaches IR2 */
	pulse(9);
	assert_int_equal(i8259_ack(&pic), 0x52);
	/* No ICW4 requested: AEOI and SFNM read as off. */
	outb(0x20, 0x12);
	outb(0x21, 0x60);
	outb(0x21, 0xfe);
	pulse(0);
	assert_int_equal(i8259_ack(&pic), 0x60);
	outb(0x20, 0x0b);
	assert_int_equal(inb(0x20), 0x01);
}

static void test_hostile_inputs(void **state)
{
	linux_init(false, 0xffff);
	i8259_set_irq(&pic, 2, true);		/* the cascade is not an input */
	i8259_set_irq(&pic, 16, true);
	i8259_set_irq(&pic, ~0u, true);
	assert_false(i8259_intr(&pic));
	i8259_write(&pic, 2, 0, 0x11);		/* no third chip */
	assert_int_equal(i8259_read(&pic, 2, 0), 0xff);
	assert_int_equal(i8259_master_ops.read(&pic, 2, 1), 0xff);
	i8259_master_ops.write(&pic, 5, 1, 0x11);
	assert_int_equal(i8259_elcr_ops.read(&pic, 2, 1), 0xff);
	i8259_elcr_ops.write(&pic, 2, 1, 0xff);
	assert_int_equal(inb(0x21), 0x00);
}

/*
 * Random register writes, inputs and INTA cycles: the callback always
 * agrees with i8259_intr(), vectors come from a programmed base, and a
 * pending INT is always acknowledged with some vector.
 */
static void random_step(u64 *seed)
{
	static const u16 ports[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1 };
	u32 r;
	int vec;

	*seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
	r = (u32)(*seed >> 32);
	switch (r % 5) {
	case 0: outb(ports[(r >> 8) % 6], (u8)(r >> 16)); break;
	case 1: inb(ports[(r >> 8) % 6]); break;
	case 2: i8259_set_irq(&pic, (r >> 8) % 16, (r >> 12) & 1); break;
	case 3:
		vec = i8259_ack(&pic);
		assert_true(vec >= 0 && vec <= 0xff);
		break;
	default: break;
	}
}

static void test_random(void **state)
{
	u64 seed = 0x8259;
	unsigned i;

	linux_init(false, 0xffff);
	for (i = 0; i < 50000; i++) {
		random_step(&seed);
		assert_true(intr_calls == 0 || intr_level == i8259_intr(&pic));
	}
}

static void test_snapshot_restore(void **state)
{
	struct i8259_state saved;

	linux_init(false, BIT(3) | BIT(10));
	pulse(10);
	saved = pic.state;
	assert_int_equal(i8259_ack(&pic), 0x3a);
	pic.state = saved;
	i8259_sync(&pic);
	assert_true(intr_level);
	assert_int_equal(i8259_ack(&pic), 0x3a);
}

static void test_irq_line_adapter(void **state)
{
	linux_init(false, BIT(1));
	i8259_irq_line_set(&pic, 1, true);
	assert_int_equal(i8259_ack(&pic), 0x31);
}

/* --- state records ------------------------------------------------------- */

static struct i8259 copy;	/* a PIC pair loaded from a record of pic */
static unsigned copy_calls;
static bool copy_level;

static void copy_intr_changed(void *ctx, bool level)
{
	assert_ptr_equal(ctx, &copy);
	copy_calls++;
	copy_level = level;
}

static void copy_init(void)
{
	copy_calls = 0;
	copy_level = false;
	i8259_init(&copy, copy_intr_changed, &copy);
}

static int pic_load(void *dev, const void *buf, size_t len, bool apply, const char **why)
{
	return i8259_load(dev, buf, len, apply, why);
}

static int save(const struct i8259 *p, u8 *buf, size_t len)
{
	int n = i8259_save(p, buf, len);

	assert_true(n > SNAP_HDR_LEN);
	return n;
}

/*
 * Linux's setup, then: IRQ 1 and 3 in service, IRQ 10 level-triggered and
 * high (the slave's request is up, and INT with it), IRQ 12's edge
 * latched, the slave rotated (lowest 4), the master reading ISR.
 */
static void busy_pic(void)
{
	linux_init(false, BIT(1) | BIT(3) | BIT(10) | BIT(12));
	outb(0x4d1, 0x04);
	pulse(3);
	assert_int_equal(i8259_ack(&pic), 0x33);
	pulse(1);
	assert_int_equal(i8259_ack(&pic), 0x31);
	i8259_set_irq(&pic, 10, true);
	pulse(12);
	outb(0xa0, 0xc4);
	outb(0x20, 0x0b);
	assert_false(i8259_intr(&pic));		/* IR2 waits behind IRQ 1 */
	outb(0x20, 0x61);			/* specific EOI of IRQ 1 */
	assert_true(i8259_intr(&pic));
}

static void test_record_round_trip(void **state)
{
	u8 a[128], b[128];
	const char *why = "unset";
	int n;

	busy_pic();
	n = save(&pic, a, sizeof(a));
	copy_init();
	assert_int_equal(i8259_load(&copy, a, (size_t)n, true, &why), 0);
	assert_null(why);
	assert_int_equal(save(&copy, b, sizeof(b)), n);
	assert_memory_equal(a, b, (size_t)n);
	assert_memory_equal(&copy.state, &pic.state, sizeof(pic.state));
	assert_int_equal(i8259_save(&pic, a, (size_t)n - 1), -ENOSPC);
}

/* INTA cycles, reads, EOIs, a poll and an input change, as a guest would. */
static void script(struct i8259 *p, u8 out[10])
{
	out[0] = (u8)i8259_ack(p);
	out[1] = i8259_read(p, 0, 0);
	out[2] = i8259_read(p, 1, 0);
	i8259_write(p, 1, 0, 0x20);
	i8259_write(p, 0, 0, 0x20);
	out[3] = i8259_intr(p);
	out[4] = (u8)i8259_ack(p);
	i8259_set_irq(p, 10, false);
	out[5] = (u8)i8259_ack(p);
	out[6] = i8259_read(p, 1, 1);
	i8259_write(p, 1, 0, 0x0c);
	out[7] = i8259_read(p, 1, 0);
	i8259_write(p, 0, 0, 0x20);
	out[8] = i8259_read(p, 0, 0);
	out[9] = i8259_intr(p);
}

/*
 * The loaded pair drives its INT at once (i8259_sync ran: the VM learns
 * an interrupt is waiting), and then answers INTA cycles, reads, EOIs
 * and polls as the original does.
 */
static void test_record_restore_behaves(void **state)
{
	u8 rec[128], want[10], got[10];
	int n;

	busy_pic();
	n = save(&pic, rec, sizeof(rec));
	copy_init();
	assert_int_equal(i8259_load(&copy, rec, (size_t)n, true, &(const char *){ 0 }), 0);
	assert_true(copy_calls >= 1);
	assert_true(copy_level);
	script(&pic, want);
	script(&copy, got);
	assert_int_equal(got[0], 0x3a);		/* IRQ 10, through the cascade */
	assert_memory_equal(got, want, sizeof(want));
	assert_memory_equal(&copy.state, &pic.state, sizeof(pic.state));
	assert_int_equal(copy_level, intr_level);
}

/* The state bad holds, saved and loaded into a fresh pair: refused for
 * why, and the INT callback not called. */
static void refused(const struct i8259_state *bad, const char *why)
{
	struct i8259 src = pic;
	u8 rec[128];
	int n;

	src.state = *bad;
	n = save(&src, rec, sizeof(rec));
	copy_init();
	assert_string_equal(snap_test_refused(pic_load, &copy, &copy.state, sizeof(copy.state),
					      rec, (size_t)n, -EINVAL), why);
	assert_int_equal(copy_calls, 0);
}

static void test_record_refusals(void **state)
{
	struct i8259_state good, bad;
	u8 rec[128];
	int n;

	busy_pic();
	good = pic.state;
	n = save(&pic, rec, sizeof(rec));
	copy_init();
	snap_test_framing(pic_load, &copy, &copy.state, sizeof(copy.state), rec, (size_t)n);
	assert_int_equal(copy_calls, 0);
	rec[SNAP_HDR_LEN + 12] = 2;	/* the master's read_isr */
	assert_string_equal(snap_test_refused(pic_load, &copy, &copy.state, sizeof(copy.state),
					      rec, (size_t)n, -EINVAL),
			    "a boolean field is neither 0 nor 1");

	bad = good, bad.chip[0].icw1 = 0x01;
	refused(&bad, "a PIC's ICW1 lacks bit 4");
	bad = good, bad.chip[1].init_step = 1;
	refused(&bad, "a PIC waits for an ICW its ICW1 did not ask for");
	bad = good, bad.chip[0].icw1 = 0x13, bad.chip[0].init_step = 3;	/* SNGL */
	refused(&bad, "a PIC waits for an ICW its ICW1 did not ask for");
	bad = good, bad.chip[0].icw1 = 0x10, bad.chip[0].init_step = 4;	/* no IC4 */
	refused(&bad, "a PIC waits for an ICW its ICW1 did not ask for");
	bad = good, bad.chip[1].lowest = 8;
	refused(&bad, "a PIC's lowest priority input is not 0-7");
	bad = good, bad.chip[0].elcr_mask = 0xff;
	refused(&bad, "a PIC's ELCR mask is not that chip's");
	bad = good, bad.chip[1].elcr_mask = 0xf8;
	refused(&bad, "a PIC's ELCR mask is not that chip's");
	bad = good, bad.chip[0].elcr = 0x01;
	refused(&bad, "a PIC's ELCR makes an edge-only input level");
	bad = good, bad.chip[1].irr &= ~BIT(2);	/* IRQ 10 is level and high */
	refused(&bad, "a PIC's level-triggered request does not follow its line");
}

/* Every state of test_random's guest loads back unchanged and saves to
 * the same bytes; the loaded pair's INT is the original's. */
static void test_record_random_states(void **state)
{
	u64 seed = 0x8259;
	u8 a[128], b[128];

	linux_init(false, 0xffff);
	copy_init();
	for (unsigned i = 0; i < 50000; i++) {
		int n;

		random_step(&seed);
		n = save(&pic, a, sizeof(a));
		assert_int_equal(i8259_load(&copy, a, (size_t)n, true, &(const char *){ 0 }), 0);
		assert_memory_equal(&copy.state, &pic.state, sizeof(pic.state));
		assert_int_equal(copy_level, i8259_intr(&pic));
		assert_int_equal(save(&copy, b, sizeof(b)), n);
		assert_memory_equal(a, b, (size_t)n);
	}
}

#define PIC_TEST(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		PIC_TEST(test_reset_and_probe),
		PIC_TEST(test_linux_init_and_timer),
		PIC_TEST(test_icw1_resets),
		PIC_TEST(test_cascade),
		PIC_TEST(test_cascade_masked),
		PIC_TEST(test_fully_nested_priority),
		PIC_TEST(test_masking),
		PIC_TEST(test_spurious),
		PIC_TEST(test_elcr),
		PIC_TEST(test_level_and_edge),
		PIC_TEST(test_auto_eoi),
		PIC_TEST(test_rotation),
		PIC_TEST(test_poll),
		PIC_TEST(test_special_mask),
		PIC_TEST(test_special_fully_nested),
		PIC_TEST(test_single_mode),
		PIC_TEST(test_hostile_inputs),
		PIC_TEST(test_random),
		PIC_TEST(test_snapshot_restore),
		PIC_TEST(test_irq_line_adapter),
		PIC_TEST(test_record_round_trip),
		PIC_TEST(test_record_restore_behaves),
		PIC_TEST(test_record_refusals),
		PIC_TEST(test_record_random_states),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
