/*
 * libFuzzer target for devices/virtqueue.c: the input is a guest RAM image
 * behind a small header, and the guest owns every byte of it. We pop chains
 * until none is left or the guest is caught, check each popped chain lies
 * wholly in RAM, copy through it, and push it back. ASan/UBSan report any
 * access past an array; the checks below report a chain that breaks the
 * promises of include/devices/virtqueue.h.
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DKEEL_HOST_TEST -Iinclude \
 *     -Itests/unit -o /tmp/fuzz_vq tests/fuzz/fuzz_virtqueue.c devices/virtqueue.c
 *
 * Input layout (little-endian):
 *   0      size: 1 << (b & 15), or with bit 4 set the raw u16 at offset 12
 *   1      bit 0: page (b >> 4) of RAM is a hole
 *   2..7   u16 gpa of descriptor table, available ring, used ring
 *   8..9   initial last_avail and used_idx
 *   10     pops to hold before pushing them back (0: push at once)
 *   11     unused
 *   12..13 raw queue size (see byte 0)
 *   14..   RAM image from gpa 0 (64 KiB, zero-filled past the input)
 */
#include <string.h>

#include "devices/virtqueue.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

#define RAM_SIZE	0x10000u
#define HDR		14
#define MAX_POPS	300

static u8 ram[RAM_SIZE];
static u64 hole;		/* start of the hole page, or ~0 */

static bool fuzz_is_ram(u64 gpa, size_t len)
{
	if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
		return false;
	return gpa + len <= hole || gpa >= hole + PAGE_SIZE;
}

static int fuzz_read(void *ctx, u64 gpa, void *buf, size_t len)
{
	if (!fuzz_is_ram(gpa, len))
		return -EFAULT;
	memcpy(buf, ram + gpa, len);
	return 0;
}

static int fuzz_write(void *ctx, u64 gpa, const void *buf, size_t len)
{
	if (!fuzz_is_ram(gpa, len))
		return -EFAULT;
	memcpy(ram + gpa, buf, len);
	return 0;
}

static const struct guest_mem_ops fuzz_mem = { .read = fuzz_read, .write = fuzz_write };

static u16 le16(const u8 *p)
{
	return (u16)(p[0] | p[1] << 8);
}

/* Everything vq_pop() promises about a chain it returned. */
static void check_chain(const struct vq *q, const struct vq_chain *c)
{
	u64 out = 0, in = 0;
	bool seen_write = false;

	if (c->head >= q->s.size || c->nsegs > VQ_MAX_SEGS)
		__builtin_trap();
	for (unsigned i = 0; i < c->nsegs; i++) {
		const struct vq_seg *sg = &c->seg[i];

		if (sg->len == 0 || !fuzz_is_ram(sg->gpa, sg->len))
			__builtin_trap();
		if (seen_write && !sg->device_writes)
			__builtin_trap();
		seen_write |= sg->device_writes;
		*(sg->device_writes ? &in : &out) += sg->len;
	}
	if (out != c->out_bytes || in != c->in_bytes || out + in > VQ_MAX_BYTES)
		__builtin_trap();
}

/* Copy a little through both parts of the chain; both must succeed in range. */
static void use_chain(const struct vq *q, const struct vq_chain *c)
{
	static u8 buf[512];
	u32 n;

	n = MIN(c->out_bytes, (u32)sizeof(buf));
	if (vq_chain_read(q, c, c->out_bytes - n, buf, n))
		__builtin_trap();
	n = MIN(c->in_bytes, (u32)sizeof(buf));
	if (vq_chain_write(q, c, c->in_bytes - n, buf, n))
		__builtin_trap();
	if (vq_chain_read(q, c, c->out_bytes, buf, 1) != -EINVAL)
		__builtin_trap();
}

/* The layout passed vq_pop's checks and RAM does not change, so a push of
 * a popped chain cannot fail. */
static void push_back(struct vq *q, u16 head, u32 written)
{
	if (vq_push(q, head, written, NULL))
		__builtin_trap();
	vq_should_interrupt(q);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static struct vq_chain c;
	struct vq q = { .mem = &fuzz_mem };
	u16 held[256];
	unsigned nheld = 0, hold;

	if (size < HDR)
		return 0;
	memset(ram, 0, sizeof(ram));
	memcpy(ram, data + HDR, MIN(size - HDR, (size_t)RAM_SIZE));
	hole = (data[1] & 1) ? (u64)(data[1] >> 4) * PAGE_SIZE : ~0ull - PAGE_SIZE;
	q.s = (struct vq_state){
		.size = (data[0] & 0x10) ? le16(data + 12) : (u16)(1u << (data[0] & 15)),
		.ready = true,
		.desc = le16(data + 2), .driver = le16(data + 4), .device = le16(data + 6),
		.last_avail = le16(data + 8), .used_idx = le16(data + 8),
	};
	hold = MIN(data[10], (u8)ARRAY_SIZE(held));

	for (unsigned n = 0; n < MAX_POPS; n++) {
		const char *why = NULL;
		u16 last = q.s.last_avail;
		int rc = vq_pop(&q, &c, &why);

		if (rc < 0) {
			if (rc != -EIO || !why || q.s.last_avail != last)
				__builtin_trap();
			break;
		}
		if (rc == 0)
			break;
		if (rc != 1 || q.s.last_avail != (u16)(last + 1))
			__builtin_trap();
		check_chain(&q, &c);
		use_chain(&q, &c);
		if (nheld < hold) {
			held[nheld++] = c.head;
			continue;
		}
		push_back(&q, c.head, c.in_bytes);
	}
	while (nheld)
		push_back(&q, held[--nheld], 0);
	return 0;
}
