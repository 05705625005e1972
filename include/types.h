/* Fixed-width types and small helpers shared by hypervisor and host-test builds. */
#ifndef KEEL_TYPES_H
#define KEEL_TYPES_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdarg.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

#define BIT(n)          (1ull << (n))
#define ARRAY_SIZE(a)   (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)  (((x) + ((a) - 1)) & ~((u64)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((u64)(a) - 1))
#define MIN(a, b)       ((a) < (b) ? (a) : (b))
#define MAX(a, b)       ((a) > (b) ? (a) : (b))
#define KiB             1024ull
#define MiB             (1024ull * KiB)
#define GiB             (1024ull * MiB)
#define PAGE_SIZE       4096ull
#define PAGE_SHIFT      12
#define LARGE_PAGE_SIZE (2 * MiB)

/* All ones in the low `bytes` bytes (1, 2, 4 or 8) of a u64. */
static inline u64 bytes_mask(unsigned bytes)
{
	return bytes >= 8 ? ~0ull : (1ull << (8 * bytes)) - 1;
}

#define likely(x)       __builtin_expect(!!(x), 1)
#define unlikely(x)     __builtin_expect(!!(x), 0)
#define __packed        __attribute__((packed))
#define __aligned(n)    __attribute__((aligned(n)))
#define __unused        __attribute__((unused))
#define __noreturn      __attribute__((noreturn))
#define __printf(a, b)  __attribute__((format(printf, a, b)))
#define STATIC_ASSERT(c, msg) _Static_assert(c, msg)

/* Error codes: functions return 0 or one of these, negated. */
enum {
	EPERM = 1, ENOENT = 2, EIO = 5, E2BIG = 7, ENOMEM = 12, EFAULT = 14,
	EBUSY = 16, EEXIST = 17, ENODEV = 19, EINVAL = 22, ENOSPC = 28,
	ERANGE = 34, ENOSYS = 38, ENOTSUP = 95, EALREADY = 114,
};

#endif
