/* Formatted output: vsnprintf is freestanding and host-tested. */
#ifndef KEEL_LIB_PRINTF_H
#define KEEL_LIB_PRINTF_H

#include "types.h"

/* Supports %d %i %u %x %X %p %s %c %%, flags '-' '0', width, precision for %s,
 * length modifiers l, ll, z, h, hh. Returns the length the full output needs. */
int keel_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int keel_snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
/* Append to the string of *len bytes in buf[0, size): what does not fit is
 * cut, and *len stays at most size - 1 (buf stays NUL-terminated). */
void keel_sappendf(char *buf, size_t size, size_t *len, const char *fmt, ...) __printf(4, 5);

#endif
