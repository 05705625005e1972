/* The host serial console (drivers/uart.c). */
#ifndef KEEL_DRIVERS_UART_H
#define KEEL_DRIVERS_UART_H

#include "types.h"

void uart_init(u16 port);
int uart_getc(void);
void uart_flush(void);

#endif
