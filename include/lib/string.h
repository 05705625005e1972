/* Freestanding string and memory routines (lib/string.c). */
#ifndef KEEL_LIB_STRING_H
#define KEEL_LIB_STRING_H

#include "types.h"

#ifdef KEEL_HOST_TEST
#include <string.h>
#include <stdlib.h>
#else
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
#endif

/* Parse an unsigned number (decimal, or hex with 0x) with an optional K/M/G suffix. */
int parse_size(const char *s, size_t len, u64 *out);
/* Parse a plain unsigned decimal or 0x-hex number covering all of s[0..len). */
int parse_u64(const char *s, size_t len, u64 *out);

#endif
