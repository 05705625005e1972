/*
 * EPT paging structures for one VM: 4-level, 4 KiB and 2 MiB leaves
 * (SDM Vol 3 29.3.2 "EPT Translation Mechanism", 29.3.7 memory types).
 * Table pages come from page_alloc(); host tests build over a fake memory.
 */
#ifndef KEEL_MM_EPT_H
#define KEEL_MM_EPT_H

#include "types.h"

#define EPT_READ        BIT(0)
#define EPT_WRITE       BIT(1)
#define EPT_EXEC        BIT(2)
#define EPT_RWX         (EPT_READ | EPT_WRITE | EPT_EXEC)
#define EPT_MT_SHIFT    3
#define EPT_MT_UC       (0ull << EPT_MT_SHIFT)
#define EPT_MT_WC       (1ull << EPT_MT_SHIFT)
#define EPT_MT_WT       (4ull << EPT_MT_SHIFT)
#define EPT_MT_WP       (5ull << EPT_MT_SHIFT)
#define EPT_MT_WB       (6ull << EPT_MT_SHIFT)
#define EPT_IGNORE_PAT  BIT(6)
#define EPT_LEAF_2M     BIT(7)
#define EPT_ACCESSED    BIT(8)
#define EPT_DIRTY       BIT(9)
#define EPT_ADDR_MASK   0x000ffffffffff000ull
#define EPT_LEAF_FLAGS  (EPT_RWX | (7ull << EPT_MT_SHIFT) | EPT_IGNORE_PAT)
#define EPT_MAX_GPA     (1ull << 48)

struct ept {
	u64 *pml4;
	u64 pml4_phys;
	u64 table_pages;	/* paging-structure pages owned, PML4 included */
};

int ept_init(struct ept *e);
void ept_destroy(struct ept *e);
/* Map [gpa, gpa+size) to hpa; size is 4 KiB or 2 MiB and both addresses are
 * aligned to it. flags: EPT_READ/WRITE/EXEC and a memory type; -EINVAL for
 * what the processor would call a misconfiguration (write without read, a
 * reserved memory type). -EEXIST if any part is mapped already. */
int ept_map(struct ept *e, u64 gpa, u64 hpa, u64 size, u64 flags);
/* Unmap; a 4 KiB unmap inside a 2 MiB leaf splits it first (-ENOMEM when
 * the split gets no page table; -ENOENT when nothing is mapped there). */
int ept_unmap(struct ept *e, u64 gpa, u64 size);
/* Change the permissions of the mapped leaf holding gpa (splitting a 2 MiB
 * leaf when size is 4 KiB). */
int ept_protect(struct ept *e, u64 gpa, u64 size, u64 rwx);
/* The host-physical address gpa maps to, or -1; *leaf gets the entry. */
u64 ept_translate(const struct ept *e, u64 gpa, u64 *leaf);
/* EPTP: write-back paging structures, 4-level walk (SDM Vol 3 25.6.11). */
u64 ept_eptp(const struct ept *e);

#endif
