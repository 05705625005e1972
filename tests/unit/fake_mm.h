/* Host-test fake of the page allocator (tests/unit/fake_mm.c). */
#ifndef KEEL_FAKE_MM_H
#define KEEL_FAKE_MM_H

#include "types.h"

/* Fresh fake arena; pages are handed out bump-style and never reused. */
void fake_mm_reset(size_t arena_bytes);
extern u64 fake_pages_allocated;   /* live pages */
extern u64 fake_page_fail_after;   /* page_alloc fails beyond this many live pages */

#endif
