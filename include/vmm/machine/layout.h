/*
 * The PC a VM sees (docs/platform.md): its port map, its interrupt lines
 * and its guest-physical map, written once. Every part of Keel that places
 * or describes a piece of the machine reads it: the platform set-up
 * (vmm/machine/platform.c), the ACPI tables (acpi_build.c), the e820 map
 * and the CMOS memory size, the virtio slots (virtio_vm.c), the Linux
 * loader and the config's memory limit. What depends on the VM, how its
 * RAM falls around the 32-bit PCI hole, is computed by machine_layout().
 */
#ifndef KEEL_VMM_MACHINE_LAYOUT_H
#define KEEL_VMM_MACHINE_LAYOUT_H

#include "types.h"
#include "devices/vlapic.h"

/* --- Ports (the PC/AT map, and Keel's) ------------------------------------ */
#define PC_PORT_PIC_MASTER	0x20	/* 8259A master, 2 ports */
#define PC_PORT_PIT		0x40	/* 8254, 4 ports */
#define PC_PORT_61		0x61	/* PIT gate 2, speaker, refresh toggle */
#define PC_PORT_RTC		0x70	/* MC146818 index and data */
#define PC_PORT_POST		0x80	/* POST codes: a sink that reads all ones */
#define PC_PORT_PIC_SLAVE	0xa0	/* 8259A slave, 2 ports */
#define PC_PORT_COM1		0x3f8	/* 16550A, 8 ports */
#define PC_PORT_ELCR		0x4d0	/* 8259 edge/level control, 2 ports */
#define PC_PORT_ACPI_PM		0x600	/* the ACPI PM block the FADT declares, 16 ports */
#define PC_PORT_PCI_CONFIG	0xcf8	/* PCI configuration mechanism #1, 8 ports */

/* --- Interrupt lines -------------------------------------------------------- */
#define PC_IRQ_PIT		0	/* ISA IRQs, into the 8259 pair and the IO-APIC */
#define PC_IRQ_COM1		4
#define PC_IRQ_RTC		8
#define PC_IRQ_SCI		9	/* the FADT's SCI_INT, level, active high */
#define PC_IOAPIC_PIN_PIT	2	/* ISA IRQ 0 reaches IO-APIC pin 2 (the MADT's override) */
#define PC_PCI_INTX_GSI_BASE	16	/* PCI INTA#-INTD# of every slot: GSIs 16-23 (the _PRT) */
#define PC_PCI_INTX_GSIS	8

/* --- Guest-physical map ------------------------------------------------------ */
#define PC_EBDA_BASE		0x9fc00ull	/* low RAM ends here; EBDA (reserved) to 640 KiB */
#define PC_VGA_BASE		0xa0000ull	/* legacy VGA window: no device, not RAM */
#define PC_VGA_END		0xc0000ull
#define PC_ACPI_BASE		0xe0000ull	/* ACPI tables, RSDP first (ACPI 6.5 5.2.5.1) */
#define PC_ACPI_SIZE		0x10000ull
#define PC_BIOS_BASE		0xf0000ull	/* the BIOS area, reserved, to 1 MiB */
#define PC_HIGH_MEM		0x100000ull	/* RAM from 1 MiB up */
#define PC_PCI_HOLE_BASE	0xc0000000ull	/* 3 GiB: RAM below, the 32-bit PCI window above */
#define PC_PCI_MMIO32_END	0xfebfffffull	/* last byte of the window: the IO-APIC follows */
#define PC_TESTDEV_BASE		0xfeb00000ull	/* Keel's test device, one page (devices/testdev.h) */
#define PC_IOAPIC_BASE		0xfec00000ull	/* one IO-APIC page */
#define PC_LAPIC_BASE		VLAPIC_BASE	/* the APIC's reset address (SDM 11.4.4), per vCPU */
#define PC_4G			0x100000000ull

/* virtio functions: BAR0 of slot s at PC_VIRTIO_BAR_BASE + s * PC_VIRTIO_BAR_STRIDE. */
#define PC_VIRTIO_BAR_BASE	PC_PCI_HOLE_BASE
#define PC_VIRTIO_BAR_STRIDE	0x10000ull

/* The most RAM a VM may have: what fits below the PCI hole. (Keel maps no
 * guest RAM above 4 GiB yet; the layout below already describes it.) */
#define PC_RAM_MAX		PC_PCI_HOLE_BASE

/* One VM's layout: where its RAM is and what its PCI windows are. */
struct machine_layout {
	u64 ram_size;		/* bytes of RAM in all */
	u64 low_ram_end;	/* RAM [0, low_ram_end), up to the PCI hole */
	u64 high_ram_end;	/* RAM [PC_4G, high_ram_end); PC_4G when none */
	u64 pci32_base;		/* the 32-bit PCI window [pci32_base, PC_PCI_MMIO32_END] */
};

void machine_layout(u64 ram_size, struct machine_layout *out);

/* One e820 range (as the Linux zero page and firmware interfaces carry it;
 * types per ACPI 6.5 15.1 "Address Range Types"). */
struct e820_entry {
	u64 addr;
	u64 size;
	u32 type;
};
#define E820_TYPE_RAM		1
#define E820_TYPE_RESERVED	2
#define E820_TYPE_ACPI		3	/* ACPI reclaimable: tables */
#define MACHINE_E820_ENTRIES	8	/* what machine_e820() writes at most */

/*
 * The VM's memory map as firmware reports it, sorted and non-overlapping:
 * low RAM, EBDA, ACPI tables, BIOS area, RAM from 1 MiB to the hole,
 * IO-APIC and local APIC pages, RAM above 4 GiB. The VGA window and the
 * PCI hole are absent, which a guest treats as not RAM. Writes at most max
 * entries and returns how many; MACHINE_E820_ENTRIES is always enough.
 */
unsigned machine_e820(const struct machine_layout *m, struct e820_entry *out, unsigned max);

#endif
