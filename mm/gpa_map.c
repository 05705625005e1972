/* The guest-physical map (see include/mm/gpa_map.h). */
#include "mm/gpa_map.h"
#include "mm/mm.h"
#include "arch/hw.h"
#include "lib/string.h"

#define PAGES_PER_2M (LARGE_PAGE_SIZE / PAGE_SIZE)

/* Back the 2 MiB-aligned guest range at gpa with one large host chunk if
 * the host has one free, mapped by a single 2 MiB EPT leaf. */
static int gpa_map_large(struct gpa_map *m, u64 gpa)
{
	u8 *chunk = page_alloc(PAGES_PER_2M, PAGES_PER_2M);
	u64 hpa;
	int err;

	if (!chunk)
		return -ENOMEM;
	memset(chunk, 0, LARGE_PAGE_SIZE);
	hpa = virt_to_phys(chunk);
	err = ept_map(&m->ept, gpa, hpa, LARGE_PAGE_SIZE, EPT_RWX | EPT_MT_WB);
	if (err) {
		page_free(chunk, PAGES_PER_2M);
		return err;
	}
	for (u64 i = 0; i < PAGES_PER_2M; i++)
		m->pages[gpa / PAGE_SIZE + i] = hpa + i * PAGE_SIZE;
	m->large_pages++;
	return 0;
}

static int gpa_map_small(struct gpa_map *m, u64 gpa)
{
	void *page = page_alloc_zero(1);
	int err;

	if (!page)
		return -ENOMEM;
	err = ept_map(&m->ept, gpa, virt_to_phys(page), PAGE_SIZE, EPT_RWX | EPT_MT_WB);
	if (err) {
		page_free(page, 1);
		return err;
	}
	m->pages[gpa / PAGE_SIZE] = virt_to_phys(page);
	return 0;
}

int gpa_map_init(struct gpa_map *m, u64 ram_size)
{
	u64 array_pages;
	int err;

	memset(m, 0, sizeof(*m));
	if (!ram_size || (ram_size & (PAGE_SIZE - 1)) || ram_size > EPT_MAX_GPA)
		return -EINVAL;
	m->npages = ram_size / PAGE_SIZE;
	array_pages = ALIGN_UP(m->npages * sizeof(u64), PAGE_SIZE) / PAGE_SIZE;
	m->pages = page_alloc_zero(array_pages);
	if (!m->pages)
		return -ENOMEM;
	m->ram_size = ram_size;
	err = ept_init(&m->ept);
	for (u64 gpa = 0; !err && gpa < ram_size;) {
		if (!(gpa & (LARGE_PAGE_SIZE - 1)) && gpa + LARGE_PAGE_SIZE <= ram_size &&
		    !gpa_map_large(m, gpa)) {
			gpa += LARGE_PAGE_SIZE;
			continue;
		}
		err = gpa_map_small(m, gpa);
		gpa += PAGE_SIZE;
	}
	if (err)
		gpa_map_destroy(m);
	return err;
}

void gpa_map_destroy(struct gpa_map *m)
{
	if (m->pages) {
		for (u64 i = 0; i < m->npages; i++)
			if (m->pages[i])
				page_free(phys_to_virt(m->pages[i]), 1);
		page_free(m->pages, ALIGN_UP(m->npages * sizeof(u64), PAGE_SIZE) / PAGE_SIZE);
	}
	if (m->ept.pml4)
		ept_destroy(&m->ept);
	memset(m, 0, sizeof(*m));
}

void *gpa_to_hva(const struct gpa_map *m, u64 gpa)
{
	u64 hpa;

	if (gpa >= m->ram_size)
		return NULL;
	hpa = m->pages[gpa / PAGE_SIZE];
	return hpa ? (u8 *)phys_to_virt(hpa) + (gpa & (PAGE_SIZE - 1)) : NULL;
}

bool gpa_is_ram(const struct gpa_map *m, u64 gpa, u64 len)
{
	if (gpa >= m->ram_size || len > m->ram_size - gpa)
		return false;
	for (u64 p = gpa & ~(PAGE_SIZE - 1); p < gpa + len; p += PAGE_SIZE)
		if (!m->pages[p / PAGE_SIZE])
			return false;
	return true;
}

/* Copy len bytes between guest and host, one page piece at a time. */
static int gpa_copy(const struct gpa_map *m, u64 gpa, void *buf, size_t len, bool to_guest)
{
	u8 *b = buf;

	if (!gpa_is_ram(m, gpa, len))
		return -EFAULT;
	while (len) {
		size_t chunk = MIN(len, PAGE_SIZE - (gpa & (PAGE_SIZE - 1)));
		u8 *h = gpa_to_hva(m, gpa);
		if (to_guest)
			memcpy(h, b, chunk);
		else
			memcpy(b, h, chunk);
		gpa += chunk;
		b += chunk;
		len -= chunk;
	}
	return 0;
}

int gpa_read(const struct gpa_map *m, u64 gpa, void *buf, size_t len)
{
	return gpa_copy(m, gpa, buf, len, false);
}

int gpa_write(const struct gpa_map *m, u64 gpa, const void *buf, size_t len)
{
	return gpa_copy(m, gpa, (void *)buf, len, true);
}
