/*
 * Host tests for vmm/console.c: host serial input goes to the focused VM's
 * UART, waits in the console's buffer while that UART's FIFO is full, and
 * is dropped when no running VM has the focus.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "vmm/console.h"
#include "vmm/vm.h"
#include "fake_kernel.h"

extern int fake_uart_rx;

static struct vm a, b;

static int setup(void **state)
{
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	ns16550_init(&a.uart, NULL, NULL, NULL);
	ns16550_init(&b.uart, NULL, NULL, NULL);
	a.state = b.state = VM_RUNNING;
	console_set_focus(&a);
	return 0;
}

static void type(int ch)
{
	fake_uart_rx = ch;
	console_poll();
}

static u8 uart_getc_guest(struct vm *vm)
{
	return ns16550_read(&vm->uart, 0);	/* RBR */
}

static void test_input_goes_to_focus(void **state)
{
	type('x');
	assert_int_equal(ns16550_rx_room(&a.uart), NS16550_FIFO_SIZE - 1);
	assert_int_equal(ns16550_rx_room(&b.uart), NS16550_FIFO_SIZE);
	assert_int_equal(uart_getc_guest(&a), 'x');
	console_set_focus(&b);
	assert_ptr_equal(console_focus(), &b);
	type('y');
	assert_int_equal(ns16550_rx_room(&a.uart), NS16550_FIFO_SIZE);
	assert_int_equal(uart_getc_guest(&b), 'y');
}

/* A full FIFO holds input back in the console instead of overrunning. */
static void test_full_fifo_waits(void **state)
{
	for (int i = 0; i < NS16550_FIFO_SIZE + 3; i++)
		type('a' + i % 26);
	assert_int_equal(ns16550_rx_room(&a.uart), 0);
	for (int i = 0; i < NS16550_FIFO_SIZE; i++)
		assert_int_equal(uart_getc_guest(&a), 'a' + i % 26);
	console_poll();		/* the 3 held bytes move on, in order */
	assert_int_equal(ns16550_rx_room(&a.uart), NS16550_FIFO_SIZE - 3);
	for (int i = NS16550_FIFO_SIZE; i < NS16550_FIFO_SIZE + 3; i++)
		assert_int_equal(uart_getc_guest(&a), 'a' + i % 26);
}

static void test_no_focus_drops(void **state)
{
	a.state = VM_STOPPED;
	type('z');
	a.state = VM_RUNNING;
	console_poll();
	assert_int_equal(ns16550_rx_room(&a.uart), NS16550_FIFO_SIZE);
	console_vm_gone(&a);
	assert_null(console_focus());
	type('q');
	assert_int_equal(ns16550_rx_room(&a.uart), NS16550_FIFO_SIZE);
	console_vm_gone(&b);	/* not focused: nothing changes */
	assert_null(console_focus());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_input_goes_to_focus, setup),
		cmocka_unit_test_setup(test_full_fifo_waits, setup),
		cmocka_unit_test_setup(test_no_focus_drops, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
