/*
 * The per-VM part of the machine layout (include/vmm/machine/layout.h):
 * the RAM around the 32-bit PCI hole, and the e820 map that describes it.
 */
#include "vmm/machine/layout.h"

void machine_layout(u64 ram_size, struct machine_layout *out)
{
	u64 low = MIN(ram_size, PC_PCI_HOLE_BASE);

	*out = (struct machine_layout){
		.ram_size = ram_size,
		.low_ram_end = low,
		.high_ram_end = PC_4G + (ram_size - low),
		.pci32_base = PC_PCI_HOLE_BASE,
	};
}

static unsigned e820_add(struct e820_entry *out, unsigned n, unsigned max, u64 start, u64 end,
			 u32 type)
{
	if (n >= max || end <= start)
		return n;
	out[n] = (struct e820_entry){ .addr = start, .size = end - start, .type = type };
	return n + 1;
}

unsigned machine_e820(const struct machine_layout *m, struct e820_entry *out, unsigned max)
{
	u64 low = m->low_ram_end;
	unsigned n = 0;

	n = e820_add(out, n, max, 0, MIN(low, PC_EBDA_BASE), E820_TYPE_RAM);
	n = e820_add(out, n, max, PC_EBDA_BASE, PC_VGA_BASE, E820_TYPE_RESERVED);
	n = e820_add(out, n, max, PC_ACPI_BASE, PC_ACPI_BASE + PC_ACPI_SIZE, E820_TYPE_ACPI);
	n = e820_add(out, n, max, PC_BIOS_BASE, PC_HIGH_MEM, E820_TYPE_RESERVED);
	n = e820_add(out, n, max, PC_HIGH_MEM, low, E820_TYPE_RAM);
	n = e820_add(out, n, max, PC_IOAPIC_BASE, PC_IOAPIC_BASE + PAGE_SIZE, E820_TYPE_RESERVED);
	n = e820_add(out, n, max, PC_LAPIC_BASE, PC_LAPIC_BASE + PAGE_SIZE, E820_TYPE_RESERVED);
	n = e820_add(out, n, max, PC_4G, m->high_ram_end, E820_TYPE_RAM);
	return n;
}
