/*
 * keel_vsnprintf: the subset of C11 7.21.6.1 fprintf formatting the
 * hypervisor uses. Conversions d i u x X p s c %, flags '-' and '0',
 * width (digits or '*'), precision (digits or '.*': maximum characters
 * for %s, minimum digits for integers), length modifiers hh h l ll z.
 * No floating point. An unknown conversion is copied to the output as is.
 */
#include "lib/printf.h"
#include "lib/string.h"

/* The output buffer; pos counts every character, stored or not. */
struct out {
	char *buf;
	size_t size;
	size_t pos;
};

/* One parsed conversion specification. prec < 0 means none was given. */
struct spec {
	int width;
	int prec;
	bool left;
	bool zero;
	char length;	/* 'H' hh, 'h', 'l', 'L' ll, 'z', or 0 */
};

static void out_char(struct out *o, char c)
{
	if (o->pos + 1 < o->size)
		o->buf[o->pos] = c;
	o->pos++;
}

static void out_repeat(struct out *o, char c, int n)
{
	for (; n > 0; n--)
		out_char(o, c);
}

static void out_string(struct out *o, const char *s, size_t n)
{
	while (n--)
		out_char(o, *s++);
}

/* Emit len characters of s, padded with spaces to the field width. */
static void format_string(struct out *o, const struct spec *sp, const char *s)
{
	size_t len;
	int pad;

	if (!s)
		s = "(null)";
	len = sp->prec >= 0 ? strnlen(s, (size_t)sp->prec) : strlen(s);
	pad = sp->width > (int)len ? sp->width - (int)len : 0;
	if (!sp->left)
		out_repeat(o, ' ', pad);
	out_string(o, s, len);
	if (sp->left)
		out_repeat(o, ' ', pad);
}

/*
 * Emit an integer: prefix ("-", "0x" or nothing), zeros up to the
 * precision or, with the '0' flag and no precision, up to the width,
 * then the digits. As in C, precision 0 prints the value 0 as nothing.
 */
static void format_number(struct out *o, const struct spec *sp, u64 v,
			  unsigned base, bool upper, const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];	/* 2^64-1 has 20 decimal digits */
	int n = 0, plen = (int)strlen(prefix), zeros, pad;

	while (v) {
		tmp[n++] = digits[v % base];
		v /= base;
	}
	if (n == 0 && sp->prec != 0)
		tmp[n++] = '0';
	zeros = sp->prec > n ? sp->prec - n : 0;
	pad = sp->width - plen - zeros - n;
	if (sp->zero && !sp->left && sp->prec < 0 && pad > 0) {
		zeros += pad;
		pad = 0;
	}
	if (!sp->left)
		out_repeat(o, ' ', pad);
	out_string(o, prefix, (size_t)plen);
	out_repeat(o, '0', zeros);
	while (n)
		out_char(o, tmp[--n]);
	if (sp->left)
		out_repeat(o, ' ', pad);
}

/* Fetch a signed argument of the size the length modifier names. */
static s64 arg_signed(const struct spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 'H': return (s8)va_arg(*ap, int);
	case 'h': return (s16)va_arg(*ap, int);
	case 'l': return va_arg(*ap, long);
	case 'L': return va_arg(*ap, long long);
	case 'z': return (s64)va_arg(*ap, size_t);
	default:  return va_arg(*ap, int);
	}
}

static u64 arg_unsigned(const struct spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 'H': return (u8)va_arg(*ap, unsigned int);
	case 'h': return (u16)va_arg(*ap, unsigned int);
	case 'l': return va_arg(*ap, unsigned long);
	case 'L': return va_arg(*ap, unsigned long long);
	case 'z': return va_arg(*ap, size_t);
	default:  return va_arg(*ap, unsigned int);
	}
}

/* Read a decimal field, or '*' from the arguments; advances *fmt. */
static int parse_field(const char **fmt, va_list *ap)
{
	int v = 0;

	if (**fmt == '*') {
		(*fmt)++;
		return va_arg(*ap, int);
	}
	while (**fmt >= '0' && **fmt <= '9') {
		if (v < 100000000)	/* clamp absurd widths, no overflow */
			v = v * 10 + (**fmt - '0');
		(*fmt)++;
	}
	return v;
}

/* Parse flags, width, precision and length after a '%'; advances *fmt. */
static void parse_spec(const char **fmt, va_list *ap, struct spec *sp)
{
	*sp = (struct spec){ .prec = -1 };
	for (;; (*fmt)++) {
		if (**fmt == '-')
			sp->left = true;
		else if (**fmt == '0')
			sp->zero = true;
		else
			break;
	}
	sp->width = parse_field(fmt, ap);
	if (sp->width < 0) {	/* C11 7.21.6.1p5: a negative '*' width means '-' */
		sp->left = true;
		sp->width = sp->width == INT32_MIN ? 0 : -sp->width;
	}
	if (**fmt == '.') {
		(*fmt)++;
		sp->prec = parse_field(fmt, ap);
		if (sp->prec < 0)	/* a negative '*' precision is none */
			sp->prec = -1;
	}
	if (**fmt == 'h' || **fmt == 'l') {
		sp->length = *(*fmt)++;
		if (**fmt == sp->length) {
			sp->length = sp->length == 'h' ? 'H' : 'L';
			(*fmt)++;
		}
	} else if (**fmt == 'z') {
		sp->length = *(*fmt)++;
	}
}

/* Format one conversion whose specification has been parsed. */
static void format_conversion(struct out *o, struct spec *sp, char conv, va_list *ap)
{
	s64 sv;
	char c;

	switch (conv) {
	case 'd': case 'i':
		sv = arg_signed(sp, ap);
		/* Negate as unsigned so INT64_MIN does not overflow. */
		format_number(o, sp, sv < 0 ? 0 - (u64)sv : (u64)sv, 10, false,
			      sv < 0 ? "-" : "");
		break;
	case 'u': format_number(o, sp, arg_unsigned(sp, ap), 10, false, ""); break;
	case 'x': format_number(o, sp, arg_unsigned(sp, ap), 16, false, ""); break;
	case 'X': format_number(o, sp, arg_unsigned(sp, ap), 16, true, ""); break;
	case 'p':
		sp->prec = -1;
		format_number(o, sp, (uintptr_t)va_arg(*ap, void *), 16, false, "0x");
		break;
	case 's': format_string(o, sp, va_arg(*ap, const char *)); break;
	case 'c':
		c = (char)va_arg(*ap, int);
		sp->prec = -1;
		sp->zero = false;
		/* A one-character string, so a NUL still counts as one. */
		if (!sp->left)
			out_repeat(o, ' ', sp->width - 1);
		out_char(o, c);
		if (sp->left)
			out_repeat(o, ' ', sp->width - 1);
		break;
	case '%': out_char(o, '%'); break;
	default:	/* unknown: show it rather than guess at arguments */
		out_char(o, '%');
		if (conv)
			out_char(o, conv);
		break;
	}
}

/*
 * Format into buf, storing at most size-1 characters and always a NUL when
 * size > 0 (buf may be NULL when size is 0). Returns the length the whole
 * output needs, so a return >= size means it was truncated.
 */
int keel_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { .buf = buf, .size = size };
	struct spec sp;
	va_list args;

	va_copy(args, ap);
	while (*fmt) {
		if (*fmt != '%') {
			out_char(&o, *fmt++);
			continue;
		}
		fmt++;
		parse_spec(&fmt, &args, &sp);
		format_conversion(&o, &sp, *fmt, &args);
		if (*fmt)
			fmt++;
	}
	va_end(args);
	if (size)
		buf[MIN(o.pos, size - 1)] = '\0';
	return o.pos > INT32_MAX ? INT32_MAX : (int)o.pos;
}

int keel_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = keel_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void keel_sappendf(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!size || *len >= size - 1)
		return;
	va_start(ap, fmt);
	n = keel_vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	*len = MIN(*len + (size_t)n, size - 1);
}
