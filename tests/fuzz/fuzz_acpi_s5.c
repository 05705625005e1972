/*
 * libFuzzer target: arbitrary bytes as a DSDT body for the \_S5_ scanner
 * (drivers/acpi_aml.c). ASan/UBSan report any read outside the input.
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DKEEL_HOST_TEST \
 *     -Iinclude -Itests/unit tests/fuzz/fuzz_acpi_s5.c drivers/acpi_aml.c -o /tmp/fa
 */
#include "drivers/acpi.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	u16 typa = 0, typb = 0;
	int err = acpi_aml_find_s5(data, size, &typa, &typb);

	/* The result is one of the documented codes, never anything else. */
	if (err != 0 && err != -ENOENT && err != -EINVAL)
		__builtin_trap();
	return 0;
}
