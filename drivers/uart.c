/*
 * The host's 16550 serial console (PC16550D datasheet): 115200 8N1,
 * polled. Keel's log and every guest's console end up here.
 */
#include "arch/hw.h"
#include "lib/spinlock.h"
#include "lib/log.h"
#include "drivers/uart.h"

#define UART_THR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define  LSR_DR   BIT(0)
#define  LSR_THRE BIT(5)
#define  LSR_TEMT BIT(6)

static u16 uart_port = 0x3f8;
static bool uart_present;

void uart_init(u16 port)
{
	uart_port = port;
	outb(port + UART_IER, 0);
	outb(port + UART_LCR, 0x80);		/* DLAB */
	outb(port + 0, 1);			/* divisor 1: 115200 baud */
	outb(port + 1, 0);
	outb(port + UART_LCR, 0x03);		/* 8N1 */
	outb(port + UART_FCR, 0xc7);		/* FIFOs on, cleared */
	outb(port + UART_MCR, 0x03);		/* DTR, RTS */
	uart_present = inb(port + UART_LSR) != 0xff;
}

static void uart_putc(char c)
{
	for (unsigned spin = 0; spin < 1000000; spin++) {
		if (inb(uart_port + UART_LSR) & LSR_THRE)
			break;
		cpu_relax();
	}
	outb(uart_port + UART_THR, (u8)c);
}

/* One caller at a time, so that lines from different CPUs never mix. */
void console_write(const char *s, size_t len)
{
	static struct spinlock lock;

	if (!uart_present)
		return;
	spin_lock(&lock);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			uart_putc('\r');
		uart_putc(s[i]);
	}
	spin_unlock(&lock);
}

/* -1 when no byte is waiting. */
int uart_getc(void)
{
	if (!uart_present || !(inb(uart_port + UART_LSR) & LSR_DR))
		return -1;
	return inb(uart_port + UART_THR);
}

/* Wait until the transmitter is empty (LSR bit 6), so nothing is lost
 * when the machine is switched off right after. */
void uart_flush(void)
{
	for (unsigned spin = 0; uart_present && spin < 10000000; spin++) {
		if (inb(uart_port + UART_LSR) & LSR_TEMT)
			return;
		cpu_relax();
	}
}
