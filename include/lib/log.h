/*
 * Keel's console log: each line is "[TSC] L message", L one of E W I D.
 * Lines go to console_write(), which the host serial driver provides
 * (drivers/uart.c) and host tests fake.
 */
#ifndef KEEL_LIB_LOG_H
#define KEEL_LIB_LOG_H

#include "types.h"

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

extern enum log_level log_threshold;

void console_write(const char *s, size_t len);
/* The console's input line (the shell): other output moves it out of the
 * way and writes it again after (drivers/uart.c). */
void console_write_input(const char *s, size_t len);
void log_msg(enum log_level level, const char *fmt, ...) __printf(2, 3);
void log_raw(const char *fmt, ...) __printf(1, 2);
int log_level_parse(const char *s, size_t len, enum log_level *out);
__noreturn void panic(const char *fmt, ...) __printf(1, 2);

#define log_err(...)   log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) do { if (log_threshold >= LOG_DEBUG) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)

#endif
