/*
 * Per-VM ACPI tables (vmm/machine/acpi_build.c): RSDP, RSDT, XSDT, FADT, FACS,
 * DSDT and MADT for a guest, written into one buffer the VM maps at a
 * guest-physical address. They describe the platform Keel gives a VM:
 * local APICs and one IO-APIC, the ACPI PM block of devices/acpi_pm.c,
 * and a PCI root bridge behind ports 0xcf8-0xcff (devices/pci_host.c).
 * The DSDT's AML is encoded by vmm/machine/aml.c (include/vmm/machine/aml.h).
 */
#ifndef KEEL_VMM_ACPI_BUILD_H
#define KEEL_VMM_ACPI_BUILD_H

#include "types.h"
#include "devices/acpi_pm.h"
#include "vmm/machine/layout.h"

/* Where the tables go: the machine's ACPI area, where the RSDP lies in
 * 0xe0000-0xfffff, 16-byte aligned, for a guest's BIOS-area scan to find
 * it (ACPI 6.5 5.2.5.1). */
#define ACPI_BUILD_GPA		PC_ACPI_BASE
#define ACPI_BUILD_MAX_LEN	PC_ACPI_SIZE

#define ACPI_BUILD_MAX_CPUS	16

struct acpi_build_cfg {
	unsigned ncpus;		/* 1..ACPI_BUILD_MAX_CPUS: vCPU i has APIC ID i, UID i */
	u32 lapic_base;
	u32 ioapic_base;	/* IO-APIC ID is ncpus, GSI base 0 */
	u16 pm_base;		/* the ACPI_PM_LEN-port acpi_pm block */
	u32 pci_mmio_base;	/* 32-bit PCI window: pci_mmio_base..pci_mmio_end, inclusive */
	u32 pci_mmio_end;
	u8 s5_slp_typ;		/* \_S5 SLP_TYP, 0-7: the acpi_pm model powers off on it */
};

/*
 * PCI INTx routing, declared in \_SB.PCI0._PRT (ACPI 6.x 6.2.13): pin
 * (0 = INTA#) of bus-0 slot reaches IO-APIC input 16-23, swizzled so slots
 * spread over the pins; level-triggered, active low, as PCI interrupts are.
 */
#define ACPI_PCI_PRT_SLOTS     32

static inline unsigned acpi_pci_intx_gsi(unsigned slot, unsigned pin)
{
	return PC_PCI_INTX_GSI_BASE + ((slot + pin) % PC_PCI_INTX_GSIS);
}

/* The tables for a VM with this layout and ncpus vCPUs. */
static inline struct acpi_build_cfg acpi_build_cfg_for(const struct machine_layout *m, unsigned ncpus)
{
	return (struct acpi_build_cfg){
		.ncpus = ncpus,
		.lapic_base = PC_LAPIC_BASE,
		.ioapic_base = PC_IOAPIC_BASE,
		.pm_base = PC_PORT_ACPI_PM,
		.pci_mmio_base = (u32)m->pci32_base,
		.pci_mmio_end = PC_PCI_MMIO32_END,
		.s5_slp_typ = ACPI_PM_S5_SLP_TYP,
	};
}

/*
 * Write the tables into buf[0..len), which the guest will see at gpa
 * (16-byte aligned, below 4 GiB: the RSDT and the FADT's 32-bit fields
 * hold addresses). The RSDP is at buf[0]. On return *used (if not NULL)
 * is the number of bytes the tables take, also when they did not fit.
 * 0; -EINVAL (bad cfg or gpa); -ENOSPC (len too small: nothing is
 * written at or past buf[len], but buf[0..len) holds garbage).
 */
int acpi_build(const struct acpi_build_cfg *cfg, u8 *buf, size_t len, u64 gpa, size_t *used);

#endif
