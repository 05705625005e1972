/*
 * libFuzzer target: arbitrary bytes as a bzImage for vmm/loader/linux_boot.c.
 * Whatever parses is also laid out and written into a zero page that is
 * exactly one heap page, so ASan/UBSan report any access outside the input
 * or the page, and any arithmetic that wraps into a bad index.
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DKEEL_HOST_TEST \
 *     -Iinclude -Itests/unit tests/fuzz/fuzz_linux_boot.c vmm/loader/linux_boot.c \
 *     lib/printf.c -o /tmp/fl
 */
#include <stdlib.h>
#include <string.h>

#include "vmm/loader/linux_boot.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

/* RAM sizes from the input's last byte: small, typical, odd and over 3 GiB. */
static u64 pick_ram(const u8 *data, size_t size)
{
	static const u64 rams[] = { 1 * MiB, 64 * MiB, 256 * MiB + 4096, 3 * GiB, 64 * GiB };

	return size ? rams[data[size - 1] % ARRAY_SIZE(rams)] : rams[0];
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct linux_image im;
	struct linux_layout lay;
	struct e820_entry e820[MACHINE_E820_ENTRIES];
	char why[LINUX_WHY_SIZE];
	struct machine_layout m;
	u8 *zp;
	int err;

	machine_layout(pick_ram(data, size), &m);
	why[0] = 0;
	err = linux_image_parse(data, size, &im, why, sizeof(why));
	if (err != 0 && err != -EINVAL && err != -ENOTSUP)
		__builtin_trap();
	if (err && (!why[0] || strlen(why) >= sizeof(why)))
		__builtin_trap();	/* every failure has a reason */
	if (err)
		return 0;
	if (im.kernel_offset + im.kernel_size > size || im.hdr_end > size)
		__builtin_trap();

	err = linux_layout_plan(&im, m.low_ram_end, size * 4096, size % 4096, &lay, why, sizeof(why));
	if (err != 0 && err != -E2BIG && err != -ENOMEM)
		__builtin_trap();
	if (!err && (lay.kernel < LINUX_HIGH_MEM || lay.kernel_end > m.low_ram_end ||
		     (lay.initrd && lay.initrd < lay.kernel_end)))
		__builtin_trap();
	if (err)
		return 0;

	unsigned n = machine_e820(&m, e820, ARRAY_SIZE(e820));
	zp = malloc(LINUX_ZERO_PAGE_SIZE);
	if (linux_zero_page_fill(zp, data, size, &im, &lay, e820, n, PC_ACPI_BASE) != 0)
		__builtin_trap();
	free(zp);
	return 0;
}
