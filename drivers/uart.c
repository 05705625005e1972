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

static struct spinlock console_lock;
/* The input line on the screen (the shell's prompt and what has been
 * typed), as its owner wrote it with console_write_input(). */
static char input_line[128];
static size_t input_len;

static void uart_write(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			uart_putc('\r');
		uart_putc(s[i]);
	}
}

/*
 * Other output (log and guest lines, one or more whole lines) takes the
 * input line off the screen first (CR, then ECMA-48 EL "erase in line",
 * ESC [ K) and writes it again after, so nothing lands inside a command
 * being typed. One caller at a time: lines from different CPUs never mix.
 */
void console_write(const char *s, size_t len)
{
	if (!uart_present)
		return;
	spin_lock(&console_lock);
	if (input_len)
		uart_write("\r\x1b[K", 4);
	uart_write(s, len);
	uart_write(input_line, input_len);
	spin_unlock(&console_lock);
}

/* The input line's owner writes: echo, prompt, its own replies. What
 * follows the last newline is the input line from now on ('\b' takes a
 * character back, as in the echo of a backspace). */
void console_write_input(const char *s, size_t len)
{
	if (!uart_present)
		return;
	spin_lock(&console_lock);
	uart_write(s, len);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n' || s[i] == '\r')
			input_len = 0;
		else if (s[i] == '\b')
			input_len -= input_len > 0;
		else if (input_len < sizeof(input_line))
			input_line[input_len++] = s[i];
	}
	spin_unlock(&console_lock);
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
