/*
 * Host tests for vmm/mgmt/console.c: host serial input goes to the focused VM's
 * UART, waits in the console's buffer while that UART's FIFO is full, and
 * is dropped when no running VM has the focus; with a shell attached it
 * goes to the shell instead, and Ctrl-] takes it back from any VM.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "vmm/mgmt/console.h"
#include "vmm/core/vm.h"
#include "fake_kernel.h"

extern int fake_uart_rx;
/* Bytes the host UART has received, all there at the next poll. */
static const char *fake_uart_queue;

/* Overrides fake_kernel.c's one-byte host UART. */
int uart_getc(void)
{
	int ch = fake_uart_rx;

	if (fake_uart_queue && *fake_uart_queue)
		return (u8)*fake_uart_queue++;
	fake_uart_rx = -1;
	return ch;
}

static struct vm a, b;

/* A fake shell: records its input; "!" gives the focus to vm b, as the
 * console command does. */
static struct {
	char input[256];
	unsigned ninput;
	unsigned prompts;
} fake_shell;

static void fake_shell_input(void *ctx, u8 ch)
{
	assert_true(fake_shell.ninput < sizeof(fake_shell.input));
	fake_shell.input[fake_shell.ninput++] = (char)ch;
	if (ch == '!')
		console_set_focus(&b);
}

static void fake_shell_prompt(void *ctx)
{
	fake_shell.prompts++;
}

static const struct console_shell shell_ops = {
	.input = fake_shell_input, .prompt = fake_shell_prompt,
};

static int setup(void **state)
{
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&fake_shell, 0, sizeof(fake_shell));
	strcpy(a.name, "a");
	strcpy(b.name, "b");
	ns16550_init(&a.uart, NULL, NULL, NULL);
	ns16550_init(&b.uart, NULL, NULL, NULL);
	a.state = b.state = VM_RUNNING;
	console_attach_shell(NULL);
	console_set_focus(&a);
	fake_console_reset();
	return 0;
}

static int setup_shell(void **state)
{
	setup(state);
	console_attach_shell(&shell_ops);
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

/* Without a VM focused the shell gets every byte, in order. */
static void test_shell_gets_input(void **state)
{
	console_set_focus(NULL);
	assert_string_equal(fake_console, "keel: console is the shell (help lists the commands)\n");
	assert_int_equal(fake_shell.prompts, 1);
	type('l');
	type(0x1d);		/* the escape means nothing to the shell's own input */
	type('s');
	assert_int_equal(fake_shell.ninput, 3);
	assert_memory_equal(fake_shell.input, "l\x1ds", 3);
	assert_int_equal(ns16550_rx_room(&a.uart), NS16550_FIFO_SIZE);
}

/* Ctrl-] returns to the shell and never reaches the guest. */
static void test_escape_returns(void **state)
{
	console_set_focus(&a);
	assert_string_equal(fake_console, "keel: console is vm a (Ctrl-] returns to the shell)\n");
	fake_console_reset();
	type('x');
	type(0x1d);
	assert_null(console_focus());
	assert_int_equal(fake_shell.prompts, 1);
	assert_string_equal(fake_console, "keel: console is the shell (help lists the commands)\n");
	assert_int_equal(ns16550_rx_room(&a.uart), NS16550_FIFO_SIZE - 1);
	assert_int_equal(uart_getc_guest(&a), 'x');
	type('y');		/* now for the shell */
	assert_int_equal(fake_shell.ninput, 1);
	assert_int_equal(ns16550_rx_room(&a.uart), NS16550_FIFO_SIZE);
}

/* A guest that never reads cannot keep the console: the escape is seen
 * behind a full FIFO and a full buffer; what did not fit is dropped. */
static void test_escape_behind_busy_guest(void **state)
{
	for (int i = 0; i < NS16550_FIFO_SIZE + 64 + 10; i++)
		type('a');
	assert_int_equal(ns16550_rx_room(&a.uart), 0);
	type(0x1d);
	assert_null(console_focus());
	console_set_focus(&a);	/* nothing held back comes later */
	for (int i = 0; i < NS16550_FIFO_SIZE; i++)
		uart_getc_guest(&a);
	console_poll();
	assert_int_equal(ns16550_rx_room(&a.uart), NS16550_FIFO_SIZE);
}

/* Bytes that arrive in one poll right after the shell handed the console
 * to a VM go to that VM. */
static void test_switch_mid_poll(void **state)
{
	static const char typed[] = "console b!hi";

	console_set_focus(NULL);
	fake_uart_queue = typed;
	console_poll();
	fake_uart_queue = NULL;
	assert_ptr_equal(console_focus(), &b);
	assert_int_equal(fake_shell.ninput, 10);
	assert_int_equal(ns16550_rx_room(&b.uart), NS16550_FIFO_SIZE - 2);
	assert_int_equal(uart_getc_guest(&b), 'h');
	assert_int_equal(uart_getc_guest(&b), 'i');
}

/* A focused VM that goes away hands the console back to the shell. */
static void test_vm_gone_prompts(void **state)
{
	console_vm_gone(&b);
	assert_int_equal(fake_shell.prompts, 0);
	console_vm_gone(&a);
	assert_null(console_focus());
	assert_int_equal(fake_shell.prompts, 1);
	assert_int_equal(fake_console_count("keel: console is the shell"), 1);
}

/* Without a shell the escape is still never passed on, and a VM's line
 * does not promise a way back. */
static void test_no_shell(void **state)
{
	console_set_focus(&a);
	assert_string_equal(fake_console, "keel: console is vm a\n");
	type(0x1d);
	assert_ptr_equal(console_focus(), &a);
	assert_int_equal(ns16550_rx_room(&a.uart), NS16550_FIFO_SIZE);
	console_set_focus(NULL);
	assert_int_equal(fake_console_count("shell"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_input_goes_to_focus, setup),
		cmocka_unit_test_setup(test_full_fifo_waits, setup),
		cmocka_unit_test_setup(test_no_focus_drops, setup),
		cmocka_unit_test_setup(test_shell_gets_input, setup_shell),
		cmocka_unit_test_setup(test_escape_returns, setup_shell),
		cmocka_unit_test_setup(test_escape_behind_busy_guest, setup_shell),
		cmocka_unit_test_setup(test_switch_mid_poll, setup_shell),
		cmocka_unit_test_setup(test_vm_gone_prompts, setup_shell),
		cmocka_unit_test_setup(test_no_shell, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
