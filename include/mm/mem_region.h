/*
 * A range of physical memory and what it is, as firmware memory maps say
 * (the values are those of the multiboot2 mmap tag, Multiboot2 3.6.8, and
 * of e820). The boot code fills these; the memory manager takes them.
 */
#ifndef KEEL_MM_MEM_REGION_H
#define KEEL_MM_MEM_REGION_H

#include "types.h"

enum mem_type {
	MEM_USABLE = 1,
	MEM_RESERVED = 2,
	MEM_ACPI_RECLAIM = 3,
	MEM_ACPI_NVS = 4,
	MEM_BAD = 5,
};

struct mem_region {
	u64 base, len;
	u32 type; /* enum mem_type */
};

#endif
