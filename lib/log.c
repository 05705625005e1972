/* The console log: levels, TSC timestamps, one line per call. */
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "arch/hw.h"

enum log_level log_threshold = LOG_INFO;

static const char level_letter[] = { 'E', 'W', 'I', 'D' };

/* Format one log line into a stack buffer and write it in one piece, so
 * lines from different sources never interleave mid-line. */
static void log_vline(const char *prefix_fmt, u64 tsc, char letter,
		      const char *fmt, va_list ap)
{
	char buf[512];
	int n = 0;

	if (prefix_fmt)
		n = keel_snprintf(buf, sizeof(buf), prefix_fmt, (unsigned long long)tsc, letter);
	int m = keel_vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	if (m > (int)(sizeof(buf) - (size_t)n - 2))
		m = (int)(sizeof(buf) - (size_t)n - 2);
	n += m;
	if (n == 0 || buf[n - 1] != '\n')
		buf[n++] = '\n';
	console_write(buf, (size_t)n);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_threshold)
		return;
	va_start(ap, fmt);
	log_vline("[%12llu] %c ", rdtsc(), level_letter[level], fmt, ap);
	va_end(ap);
}

/* A line with no prefix (VMCS dumps, tables). */
void log_raw(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(NULL, 0, 0, fmt, ap);
	va_end(ap);
}

int log_level_parse(const char *s, size_t len, enum log_level *out)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };

	for (unsigned i = 0; i < ARRAY_SIZE(names); i++) {
		if (strlen(names[i]) == len && !strncmp(s, names[i], len)) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}
