/*
 * A VM's guest-physical map: which host frame backs each 4 KiB guest page,
 * and the EPT built from it. It is the one owner of guest memory, so that
 * page sharing, ballooning and dirty logging can later work page by page.
 * Guest RAM is [0, ram_size) for now.
 */
#ifndef KEEL_MM_GPA_MAP_H
#define KEEL_MM_GPA_MAP_H

#include "types.h"
#include "mm/ept.h"

struct gpa_map {
	u64 ram_size;
	u64 npages;
	u64 *pages;		/* host-physical address per guest page; 0 = none */
	struct ept ept;
	u64 large_pages;	/* 2 MiB EPT leaves in use */
};

/* Allocate and zero ram_size bytes of guest RAM (2 MiB chunks where the
 * host has them, 4 KiB pages otherwise) and map them write-back RWX. */
int gpa_map_init(struct gpa_map *m, u64 ram_size);
void gpa_map_destroy(struct gpa_map *m);
/* Host pointer for gpa, or NULL if gpa is not guest RAM. */
void *gpa_to_hva(const struct gpa_map *m, u64 gpa);
bool gpa_is_ram(const struct gpa_map *m, u64 gpa, u64 len);
/* Copy between guest RAM and a host buffer, page by page; -EFAULT if any
 * byte lies outside RAM (nothing is copied then). */
int gpa_read(const struct gpa_map *m, u64 gpa, void *buf, size_t len);
int gpa_write(const struct gpa_map *m, u64 gpa, const void *buf, size_t len);

#endif
