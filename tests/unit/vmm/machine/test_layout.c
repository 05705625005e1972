/*
 * The machine layout (vmm/machine/layout.c): where a VM's RAM falls
 * around the 32-bit PCI hole, and the e820 map that describes it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "vmm/machine/layout.h"
#include "vmm/machine/acpi_build.h"

static unsigned e820_of(u64 ram, struct e820_entry *e, unsigned max)
{
	struct machine_layout m;

	machine_layout(ram, &m);
	return machine_e820(&m, e, max);
}

/* Sorted, non-overlapping, and no RAM in a hole: not over the EBDA, the
 * VGA window, the BIOS area or the PCI hole. */
static void check_e820_sane(const struct e820_entry *e, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		u64 end = e[i].addr + e[i].size;

		assert_true(e[i].size > 0);
		assert_true(e[i].type >= 1 && e[i].type <= 3);
		if (i)
			assert_true(e[i - 1].addr + e[i - 1].size <= e[i].addr);
		if (e[i].type == E820_TYPE_RAM) {
			assert_false(e[i].addr < PC_HIGH_MEM && end > PC_EBDA_BASE);
			assert_false(e[i].addr < PC_4G && end > PC_PCI_HOLE_BASE);
		}
	}
}

static void test_e820_layout(void **state)
{
	static const struct e820_entry want[] = {
		{ 0, 0x9fc00, E820_TYPE_RAM },
		{ 0x9fc00, 0x400, E820_TYPE_RESERVED },
		{ 0xe0000, 0x10000, E820_TYPE_ACPI },
		{ 0xf0000, 0x10000, E820_TYPE_RESERVED },
		{ 0x100000, 256 * MiB - 0x100000, E820_TYPE_RAM },
		{ 0xfec00000, 0x1000, E820_TYPE_RESERVED },
		{ 0xfee00000, 0x1000, E820_TYPE_RESERVED },
	};
	struct e820_entry e[16];
	unsigned n = e820_of(256 * MiB, e, ARRAY_SIZE(e));

	assert_int_equal(n, ARRAY_SIZE(want));
	assert_true(n <= MACHINE_E820_ENTRIES);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(e[i].addr, want[i].addr);
		assert_int_equal(e[i].size, want[i].size);
		assert_int_equal(e[i].type, want[i].type);
	}
	check_e820_sane(e, n);
}

/* Every RAM byte is reported except the EBDA and the BIOS hole; what does
 * not fit below the PCI hole is above 4 GiB. */
static void test_e820_sizes(void **state)
{
	static const u64 rams[] = { 0, 0x80000, 1 * MiB, 1 * MiB + 4096, 3 * GiB,
				    3 * GiB + 4096, 4 * GiB, 64 * GiB };
	struct e820_entry e[16];

	for (unsigned i = 0; i < ARRAY_SIZE(rams); i++) {
		unsigned n = e820_of(rams[i], e, ARRAY_SIZE(e));
		u64 low = MIN(rams[i], PC_PCI_HOLE_BASE), ram_total = 0;
		u64 expect = MIN(low, PC_EBDA_BASE) + (low > PC_HIGH_MEM ? low - PC_HIGH_MEM : 0);

		check_e820_sane(e, n);
		assert_true(n <= MACHINE_E820_ENTRIES);
		for (unsigned j = 0; j < n; j++)
			if (e[j].type == E820_TYPE_RAM)
				ram_total += e[j].size;
		assert_int_equal(ram_total, expect + (rams[i] - low));
	}
	/* 4 GiB asked: 3 GiB below the hole, 1 GiB from 4 GiB, last. */
	unsigned n = e820_of(4 * GiB, e, ARRAY_SIZE(e));
	assert_int_equal(n, MACHINE_E820_ENTRIES);
	assert_int_equal(e[4].addr + e[4].size, PC_PCI_HOLE_BASE);
	assert_int_equal(e[7].addr, PC_4G);
	assert_int_equal(e[7].size, 1 * GiB);
}

static void test_e820_max(void **state)
{
	struct e820_entry e[8];

	memset(e, 0xa5, sizeof(e));
	assert_int_equal(e820_of(256 * MiB, e, 3), 3);
	assert_int_equal(e[2].type, E820_TYPE_ACPI);
	assert_int_equal(e[3].type, 0xa5a5a5a5);	/* untouched */
	assert_int_equal(e820_of(256 * MiB, e, 0), 0);
}

static void test_layout_split(void **state)
{
	struct machine_layout m;

	machine_layout(256 * MiB, &m);
	assert_int_equal(m.ram_size, 256 * MiB);
	assert_int_equal(m.low_ram_end, 256 * MiB);
	assert_int_equal(m.high_ram_end, PC_4G);		/* none above */
	assert_int_equal(m.pci32_base, PC_PCI_HOLE_BASE);
	machine_layout(PC_RAM_MAX, &m);
	assert_int_equal(m.high_ram_end, PC_4G);		/* the config's limit: all below */
	machine_layout(6 * GiB, &m);
	assert_int_equal(m.low_ram_end, PC_PCI_HOLE_BASE);
	assert_int_equal(m.high_ram_end, PC_4G + 3 * GiB);
}

/* The places the rest of the machine takes from the layout agree with it:
 * the ACPI tables' window and addresses, and nothing overlaps. */
static void test_map_consistent(void **state)
{
	struct machine_layout m;
	struct acpi_build_cfg cfg;

	machine_layout(1 * GiB, &m);
	cfg = acpi_build_cfg_for(&m, 2);
	assert_int_equal(cfg.pci_mmio_base, PC_PCI_HOLE_BASE);
	assert_int_equal(cfg.pci_mmio_end, PC_PCI_MMIO32_END);
	assert_int_equal(cfg.lapic_base, 0xfee00000u);		/* SDM 11.4.4 */
	assert_int_equal(cfg.ioapic_base, PC_IOAPIC_BASE);
	assert_int_equal(cfg.pm_base, PC_PORT_ACPI_PM);
	assert_true(PC_PCI_MMIO32_END < PC_IOAPIC_BASE);
	assert_true(PC_IOAPIC_BASE + PAGE_SIZE <= PC_LAPIC_BASE);
	assert_true(PC_ACPI_BASE + PC_ACPI_SIZE <= PC_HIGH_MEM);
	assert_true(PC_VIRTIO_BAR_BASE >= PC_PCI_HOLE_BASE);
	assert_int_equal(acpi_pci_intx_gsi(1, 0), PC_PCI_INTX_GSI_BASE + 1);
	assert_int_equal(acpi_pci_intx_gsi(7, 3), PC_PCI_INTX_GSI_BASE + 2);	/* wraps in 16-23 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_e820_layout),
		cmocka_unit_test(test_e820_sizes),
		cmocka_unit_test(test_e820_max),
		cmocka_unit_test(test_layout_split),
		cmocka_unit_test(test_map_consistent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
