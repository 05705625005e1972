/*
 * The host serial console shared by the VMs and the management shell.
 * Output lines are prefixed with the VM's name (vm_console_putc in
 * vmm/core/vm.c). Input goes to the shell (vmm/mgmt/shell.c) while no VM has the
 * focus, else byte by byte into the focused VM's virtual UART receive
 * FIFO; Ctrl-] (CONSOLE_ESCAPE) gives it back to the shell and never
 * reaches the guest. When the guest's FIFO is full the bytes wait here, so
 * typing ahead into a busy guest loses nothing up to CONSOLE_BUF bytes.
 */
#include "vmm/mgmt/console.h"
#include "vmm/core/vm.h"
#include "drivers/uart.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"

#define CONSOLE_BUF 64
/* Bytes read from the host UART per poll: bounds the time one poll takes
 * even if the line is flooded. */
#define CONSOLE_POLL_MAX 256

static const struct console_shell *shell;
static struct vm *focus;
static u8 pending[CONSOLE_BUF];
static unsigned npending;

static void console_say(const char *line)
{
	console_write(line, strlen(line));
}

void console_attach_shell(const struct console_shell *sh)
{
	shell = sh;
}

void console_set_focus(struct vm *vm)
{
	char line[VM_NAME_MAX + 64];

	focus = vm;
	npending = 0;
	if (vm) {
		keel_snprintf(line, sizeof(line), "keel: console is vm %s%s\n", vm->name,
			      shell ? " (Ctrl-] returns to the shell)" : "");
		console_say(line);
	} else if (shell) {
		console_say("keel: console is the shell (help lists the commands)\n");
		shell->prompt(shell->ctx);
	}
}

struct vm *console_focus(void)
{
	return focus;
}

void console_vm_gone(struct vm *vm)
{
	if (focus == vm)
		console_set_focus(NULL);
}

/* Move the waiting bytes into the focused VM's UART, as many as it has
 * room for. A VM that has stopped gets nothing more. */
static void console_deliver(void)
{
	unsigned sent = 0;

	if (!focus || focus->state != VM_RUNNING) {
		npending = 0;
		return;
	}
	spin_lock(&focus->lock);	/* its vCPUs may be in its UART on other CPUs */
	while (sent < npending && ns16550_rx_room(&focus->uart))
		ns16550_rx_push(&focus->uart, pending[sent++]);
	spin_unlock(&focus->lock);
	for (unsigned i = sent; i < npending; i++)
		pending[i - sent] = pending[i];
	npending -= sent;
}

/* One byte from the host UART. The escape is acted on at once, even
 * behind bytes a busy guest has not taken: what does not fit then is
 * dropped, so a guest that never reads cannot keep the console. */
static void console_take(u8 ch)
{
	if (!focus) {
		if (shell)
			shell->input(shell->ctx, ch);
		return;
	}
	if (ch == CONSOLE_ESCAPE) {
		if (shell) {
			console_deliver();
			console_set_focus(NULL);
		}
		return;
	}
	if (npending < CONSOLE_BUF)
		pending[npending++] = ch;
}

void console_poll(void)
{
	int ch;

	for (unsigned n = 0; n < CONSOLE_POLL_MAX && (ch = uart_getc()) >= 0; n++)
		console_take((u8)ch);
	console_deliver();
}
