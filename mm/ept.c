/*
 * Building and editing EPT paging structures (SDM Vol 3 29.3.2, tables
 * 29-1 to 29-6). A non-leaf entry holds R/W/X = 1 and the next table's
 * address; permissions are decided at the leaf.
 */
#include "mm/ept.h"
#include "mm/mm.h"
#include "arch/hw.h"
#include "lib/string.h"

#define EPT_ENTRIES 512

static unsigned ept_index(u64 gpa, int level)
{
	return (gpa >> (12 + 9 * level)) & (EPT_ENTRIES - 1);
}

static u64 *ept_table(u64 entry)
{
	return phys_to_virt(entry & EPT_ADDR_MASK);
}

int ept_init(struct ept *e)
{
	e->pml4 = page_alloc_zero(1);
	if (!e->pml4)
		return -ENOMEM;
	e->pml4_phys = virt_to_phys(e->pml4);
	e->table_pages = 1;
	return 0;
}

static void ept_free_level(struct ept *e, u64 *table, int level)
{
	for (unsigned i = 0; level > 0 && i < EPT_ENTRIES; i++) {
		u64 ent = table[i];
		if ((ent & EPT_RWX) && !(ent & EPT_LEAF_2M))
			ept_free_level(e, ept_table(ent), level - 1);
	}
	page_free(table, 1);
	e->table_pages--;
}

void ept_destroy(struct ept *e)
{
	if (e->pml4)
		ept_free_level(e, e->pml4, 3);
	e->pml4 = NULL;
	e->pml4_phys = 0;
}

/* The table at `level` (2 = PD, 0 = PT) covering gpa, allocating missing
 * tables on the way when `create` is set. */
static u64 *ept_walk(struct ept *e, u64 gpa, int level, bool create)
{
	u64 *table = e->pml4;

	for (int l = 3; l > level; l--) {
		u64 *ent = &table[ept_index(gpa, l)];
		if (!(*ent & EPT_RWX)) {
			u64 *next;
			if (!create || !(next = page_alloc_zero(1)))
				return NULL;
			e->table_pages++;
			*ent = virt_to_phys(next) | EPT_RWX;
		} else if (*ent & EPT_LEAF_2M) {
			return NULL;	/* covered by a 2 MiB leaf */
		}
		table = ept_table(*ent);
	}
	return table;
}

static bool ept_args_ok(u64 gpa, u64 hpa, u64 size)
{
	if (size != PAGE_SIZE && size != LARGE_PAGE_SIZE)
		return false;
	return !(gpa & (size - 1)) && !(hpa & (size - 1)) && !(hpa & ~EPT_ADDR_MASK) &&
	       gpa <= EPT_MAX_GPA - size;
}

/* Write without read, and memory types 2, 3 and 7, are EPT
 * misconfigurations (SDM Vol 3 29.3.3.1). */
static bool ept_rwx_ok(u64 rwx)
{
	return (rwx & EPT_RWX) && (!(rwx & EPT_WRITE) || (rwx & EPT_READ));
}

static bool ept_flags_ok(u64 flags)
{
	u64 mt = (flags >> EPT_MT_SHIFT) & 7;

	return ept_rwx_ok(flags) && mt != 2 && mt != 3 && mt != 7;
}

int ept_map(struct ept *e, u64 gpa, u64 hpa, u64 size, u64 flags)
{
	int level = size == LARGE_PAGE_SIZE ? 1 : 0;
	u64 *table, *ent;

	if (!ept_args_ok(gpa, hpa, size) || !ept_flags_ok(flags))
		return -EINVAL;
	if (ept_translate(e, gpa, NULL) != ~0ull)
		return -EEXIST;
	table = ept_walk(e, gpa, level, true);
	if (!table)
		return -ENOMEM;
	ent = &table[ept_index(gpa, level)];
	if (*ent & EPT_RWX)
		return -EEXIST;	/* a 2 MiB map over a page table with 4 KiB leaves */
	*ent = hpa | (flags & EPT_LEAF_FLAGS) | (level ? EPT_LEAF_2M : 0);
	return 0;
}

/* Replace the 2 MiB leaf *pde with a page table of 512 equivalent 4 KiB
 * leaves, so one of them can change alone. */
static int ept_split(struct ept *e, u64 *pde)
{
	u64 *pt = page_alloc_zero(1);
	u64 base = *pde & EPT_ADDR_MASK & ~(LARGE_PAGE_SIZE - 1);
	u64 flags = *pde & EPT_LEAF_FLAGS;

	if (!pt)
		return -ENOMEM;
	e->table_pages++;
	for (unsigned i = 0; i < EPT_ENTRIES; i++)
		pt[i] = (base + i * PAGE_SIZE) | flags;
	*pde = virt_to_phys(pt) | EPT_RWX;
	return 0;
}

/* The leaf entry for gpa at the granularity of `size`, splitting a 2 MiB
 * leaf when a 4 KiB one is asked for: -ENOENT when there is none, -ENOMEM
 * when the split has no page (the 2 MiB leaf then stays as it was). */
static int ept_leaf(struct ept *e, u64 gpa, u64 size, u64 **out)
{
	u64 *pd = ept_walk(e, gpa, 1, false);
	u64 *pde, *ent;

	if (!pd)
		return -ENOENT;
	pde = &pd[ept_index(gpa, 1)];
	if (!(*pde & EPT_RWX))
		return -ENOENT;
	if (*pde & EPT_LEAF_2M) {
		if (size == LARGE_PAGE_SIZE) {
			*out = pde;
			return 0;
		}
		if (ept_split(e, pde))
			return -ENOMEM;
	} else if (size == LARGE_PAGE_SIZE) {
		return -ENOENT;
	}
	ent = &ept_table(*pde)[ept_index(gpa, 0)];
	if (!(*ent & EPT_RWX))
		return -ENOENT;
	*out = ent;
	return 0;
}

int ept_unmap(struct ept *e, u64 gpa, u64 size)
{
	u64 *ent;
	int err;

	if (!ept_args_ok(gpa, 0, size))
		return -EINVAL;
	err = ept_leaf(e, gpa, size, &ent);
	if (err)
		return err;
	*ent = 0;
	invept_all_cpus();	/* any CPU may hold this VM's translations */
	return 0;
}

int ept_protect(struct ept *e, u64 gpa, u64 size, u64 rwx)
{
	u64 *ent;
	int err;

	if (!ept_args_ok(gpa, 0, size) || !ept_rwx_ok(rwx) || (rwx & ~EPT_RWX))
		return -EINVAL;
	err = ept_leaf(e, gpa, size, &ent);
	if (err)
		return err;
	*ent = (*ent & ~EPT_RWX) | rwx;
	invept_all_cpus();	/* any CPU may hold this VM's translations */
	return 0;
}

u64 ept_translate(const struct ept *e, u64 gpa, u64 *leaf)
{
	const u64 *table = e->pml4;

	if (gpa >= EPT_MAX_GPA)
		return ~0ull;
	for (int l = 3; l >= 0; l--) {
		u64 ent = table[ept_index(gpa, l)];
		if (!(ent & EPT_RWX))
			return ~0ull;
		if (l == 0 || (l == 1 && (ent & EPT_LEAF_2M))) {
			u64 span = l ? LARGE_PAGE_SIZE : PAGE_SIZE;
			if (leaf)
				*leaf = ent;
			return (ent & EPT_ADDR_MASK & ~(span - 1)) | (gpa & (span - 1));
		}
		table = ept_table(ent);
	}
	return ~0ull;
}

u64 ept_eptp(const struct ept *e)
{
	return e->pml4_phys | (3ull << 3) | 6;	/* walk length - 1 = 3, WB */
}
