/*
 * Freestanding memory and string routines (C11 7.24 semantics) and the
 * number parsers the command line and config use. Host tests take the
 * memory/string routines from libc and only build the parsers.
 */
#include "lib/string.h"

#ifndef KEEL_HOST_TEST

/*
 * The bulk copies and fills are single "rep movsb"/"rep stosb"
 * instructions: fast on every CPU with ERMSB (SDM vol. 1, 7.3.9.3) and,
 * unlike a C loop, safe from GCC rewriting the loop into a call to the
 * very function it sits in. The kernel ABI keeps DF clear.
 */
/* Eight bytes per iteration, then the tail: an emulator counts each
 * iteration of a REP string instruction, so zeroing a guest's RAM with
 * STOSQ costs an eighth of STOSB there (and no more on hardware). */
void *memset(void *dst, int c, size_t n)
{
	void *d = dst;
	u64 pattern = 0x0101010101010101ull * (u8)c;
	size_t q = n / 8, r = n % 8;

	asm volatile("rep stosq" : "+D"(d), "+c"(q) : "a"(pattern) : "memory");
	asm volatile("rep stosb" : "+D"(d), "+c"(r) : "a"(pattern) : "memory");
	return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;
	size_t q = n / 8, r = n % 8;

	asm volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(q) : : "memory");
	asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(r) : : "memory");
	return dst;
}

/*
 * Copy forward unless the destination starts inside the source, where a
 * forward copy would overwrite bytes before reading them; then copy
 * backward with DF set, starting at the last byte, and clear DF again.
 */
void *memmove(void *dst, const void *src, size_t n)
{
	const u8 *s = src;
	u8 *d = dst;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	d += n - 1;
	s += n - 1;
	asm volatile("std; rep movsb; cld" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const u8 *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

/* A plain loop GCC could turn back into a strlen() call: keep it a loop. */
__attribute__((optimize("no-tree-loop-distribute-patterns")))
size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

__attribute__((optimize("no-tree-loop-distribute-patterns")))
size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (u8)*a - (u8)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (u8)*a - (u8)*b;
		if (!*a)
			break;
	}
	return 0;
}

/* The terminating NUL counts as part of the string, so strchr(s, 0) finds it. */
char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}

#endif /* !KEEL_HOST_TEST */

/* The value of one digit in base 16 (which covers base 10), or 16 if none. */
static unsigned parse_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 16;
}

/*
 * Parse all of s[0..len) as decimal, or as hex after "0x"/"0X". No sign,
 * no spaces, no empty digit string: -EINVAL. A value past 2^64-1: -ERANGE.
 * *out is written only on success.
 */
int parse_u64(const char *s, size_t len, u64 *out)
{
	unsigned base = 10, d;
	u64 v = 0;
	size_t i = 0;

	if (!s || len == 0)
		return -EINVAL;
	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	for (; i < len; i++) {
		d = parse_digit(s[i]);
		if (d >= base)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

/* The shift a size suffix stands for (K, M, G, T, either case), or -1. */
static int parse_size_shift(char c)
{
	switch (c) {
	case 'k': case 'K': return 10;
	case 'm': case 'M': return 20;
	case 'g': case 'G': return 30;
	case 't': case 'T': return 40;
	default: return -1;
	}
}

/*
 * Parse a size: a parse_u64 number, optionally followed by one binary
 * suffix K, M, G or T (upper or lower case), e.g. "512M", "0x10k", "2G".
 * A suffix alone is -EINVAL; a result past 2^64-1 is -ERANGE.
 */
int parse_size(const char *s, size_t len, u64 *out)
{
	int shift = 0, err;
	u64 v;

	if (!s || len == 0)
		return -EINVAL;
	if (parse_size_shift(s[len - 1]) >= 0) {
		shift = parse_size_shift(s[len - 1]);
		len--;
	}
	err = parse_u64(s, len, &v);
	if (err)
		return err;
	if (v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}
