/*
 * How device models reach guest memory: two copy functions and their
 * context. In Keel they wrap gpa_read()/gpa_write() of mm/gpa_map.h; host
 * tests back them with a plain array. A model never holds a host pointer
 * into guest RAM, so every access is bounds-checked in one place.
 */
#ifndef KEEL_DEVICES_GUEST_MEM_OPS_H
#define KEEL_DEVICES_GUEST_MEM_OPS_H

#include "types.h"

struct guest_mem_ops {
	/* Copy between guest-physical memory and a host buffer; -EFAULT if any byte of
	 * [gpa, gpa+len) is not guest RAM (or wraps). Never partial on error. */
	int (*read)(void *ctx, u64 gpa, void *buf, size_t len);
	int (*write)(void *ctx, u64 gpa, const void *buf, size_t len);
	void *ctx;
};

#endif
