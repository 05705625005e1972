/*
 * The x86 format of the message a PCI function sends for MSI and MSI-X,
 * Intel SDM Vol 3 section 11.11 "Message Signalled Interrupts": a dword
 * write of the data to an address in the local APICs' window. PCI leaves
 * both to the system (PCI Local Bus 3.0 6.8.2.6-6.8.2.8), so the device
 * models only carry them; the VM decodes them on the way to its APICs.
 */
#ifndef KEEL_DEVICES_PCI_MSI_H
#define KEEL_DEVICES_PCI_MSI_H

#include "types.h"

/* Message address (11.11.1): bits 31:20 are 0xfee, 63:32 are 0. */
#define MSI_ADDR_BASE		0xfee00000ull
#define MSI_ADDR_DEST_SHIFT	12		/* destination ID, bits 19:12 */
#define MSI_ADDR_RH		BIT(3)		/* redirection hint */
#define MSI_ADDR_DM_LOGICAL	BIT(2)		/* destination mode */

/* Message data (11.11.2). */
#define MSI_DATA_VECTOR		0xffu		/* bits 7:0 */
#define MSI_DATA_MODE_SHIFT	8		/* delivery mode, bits 10:8 */
#define MSI_DATA_LEVEL		BIT(14)		/* level for level-triggered: assert */
#define MSI_DATA_TRIGGER	BIT(15)		/* trigger mode: 1 level, 0 edge */

/* Is addr in the interrupt window? Anything else is an ordinary memory write. */
static inline bool msi_addr_valid(u64 addr)
{
	return (addr >> 20) == (MSI_ADDR_BASE >> 20);
}

/*
 * The fields of one message: destination APIC ID, logical destination
 * mode, delivery mode (0 fixed, 1 lowest priority, 2 SMI, 4 NMI, 5 INIT,
 * 7 ExtINT), vector, and trigger mode (level true: level-triggered).
 * The redirection hint is not returned: the VM honours the destination
 * mode and the delivery mode whatever RH says. Nor is the Level bit: every
 * message is taken as an assert, as edge-triggered ones always are (11.11.2).
 */
static inline void msi_decode(u64 addr, u32 data, u32 *dest, bool *logical, u8 *mode,
			      u8 *vector, bool *level)
{
	*dest = (addr >> MSI_ADDR_DEST_SHIFT) & 0xff;
	*logical = addr & MSI_ADDR_DM_LOGICAL;
	*mode = (data >> MSI_DATA_MODE_SHIFT) & 7;
	*vector = data & MSI_DATA_VECTOR;
	*level = data & MSI_DATA_TRIGGER;
}

#endif
