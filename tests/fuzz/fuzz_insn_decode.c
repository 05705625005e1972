/*
 * libFuzzer entry for the MMIO instruction decoder and emulator
 * (vmm/emul/insn_decode.c, vmm/emul/insn_emulate.c): arbitrary bytes are decoded in
 * each mode; whatever decodes must stay within the 15-byte limit and the
 * bytes given, decode the same from exactly its own bytes, and emulate
 * with exactly the memory accesses it announced.
 */
#include <stdlib.h>
#include <string.h>

#include "vmm/emul/insn_decode.h"

struct dummy_mmio {
	u64 value;
	unsigned reads, writes;
};

static bool valid_size(unsigned size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

static u64 dummy_read(void *ctx, unsigned size)
{
	struct dummy_mmio *m = ctx;

	if (!valid_size(size))
		abort();
	m->reads++;
	return m->value;
}

static void dummy_write(void *ctx, unsigned size, u64 val)
{
	struct dummy_mmio *m = ctx;

	if (!valid_size(size) || (size < 8 && (val >> (8 * size))))
		abort();
	m->writes++;
}

static void check_one(const u8 *data, unsigned avail, enum insn_mode mode)
{
	struct dummy_mmio m = { 0x8000000000000080ull, 0, 0 };
	struct mmio_access mem = { dummy_read, dummy_write, &m };
	u64 gprs[16], rflags = 0x202 | BIT(10), before;
	struct insn in, again;
	int err = insn_decode(data, avail, mode, &in);

	if (err) {
		if (err != -EINVAL && err != -ENOTSUP)
			abort();
		return;
	}
	if (in.len == 0 || in.len > INSN_MAX_LEN || in.len > avail)
		abort();
	if (!valid_size(in.size) || !valid_size(in.reg_size) || in.reg > 15)
		abort();
	if (insn_decode(data, in.len, mode, &again) || memcmp(&in, &again, sizeof(in)))
		abort();

	for (unsigned i = 0; i < 16; i++)
		gprs[i] = 0x0123456789abcdefull * (i + 1);
	before = rflags;
	if (insn_emulate_mmio(&in, gprs, &rflags, &mem))
		abort();
	/* Only the six status flags may change (SDM Vol 1, 3.4.3.1). */
	if ((rflags ^ before) & ~0x8d5ull)
		abort();
	if (m.reads != !!(in.access & INSN_ACCESS_READ) ||
	    m.writes != !!(in.access & INSN_ACCESS_WRITE))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned avail = size > 64 ? 64 : (unsigned)size;

	if (!size)
		return 0;
	check_one(data, avail, INSN_MODE_16);
	check_one(data, avail, INSN_MODE_32);
	check_one(data, avail, INSN_MODE_64);
	return 0;
}
