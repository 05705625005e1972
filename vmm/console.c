/*
 * The host serial console shared by the VMs: output lines are prefixed
 * with the VM's name (vm_console_putc in vmm/vm.c); input goes to the VM
 * that has the focus, byte by byte into its virtual UART's receive FIFO.
 * When the UART's FIFO is full the byte waits here, so typing ahead into
 * a busy guest loses nothing up to CONSOLE_BUF bytes.
 */
#include "vmm/console.h"
#include "vmm/vm.h"
#include "drivers/uart.h"
#include "lib/log.h"

#define CONSOLE_BUF 64

static struct vm *focus;
static u8 pending[CONSOLE_BUF];
static unsigned npending;

void console_set_focus(struct vm *vm)
{
	focus = vm;
	npending = 0;
	if (vm)
		log_info("console: input goes to vm %s", vm->name);
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

/* Move what the host UART received into the focused VM's UART. */
void console_poll(void)
{
	int ch;

	while (npending < CONSOLE_BUF && (ch = uart_getc()) >= 0)
		pending[npending++] = (u8)ch;
	if (!focus || focus->state != VM_RUNNING) {
		npending = 0;
		return;
	}
	unsigned sent = 0;
	while (sent < npending && ns16550_rx_room(&focus->uart)) {
		ns16550_rx_push(&focus->uart, pending[sent++]);
	}
	for (unsigned i = sent; i < npending; i++)
		pending[i - sent] = pending[i];
	npending -= sent;
}
