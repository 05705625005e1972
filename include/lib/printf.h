/* Formatted output: vsnprintf is freestanding and host-tested. */
#ifndef KEEL_LIB_PRINTF_H
#define KEEL_LIB_PRINTF_H

#include "types.h"

/* Supports %d %i %u %x %X %p %s %c %%, flags '-' '0', width, precision for %s,
 * length modifiers l, ll, z, h, hh. Returns the length the full output needs. */
int keel_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int keel_snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

#endif
