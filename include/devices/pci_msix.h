/*
 * MSI-X for a PCI function (devices/pci_msix.c), PCI Local Bus 3.0
 * section 6.8.2: the capability in the function's configuration space,
 * the table of vectors and the pending bit array, which the function maps
 * into one of its memory BARs, and the masking rules of 6.8.3.4.
 *
 * The function owns its configuration space and BARs: it gives the model
 * the space to put the capability in, forwards the accesses that fall in
 * the table and PBA, and calls pci_msix_notify() for each interrupt. No
 * locking: the function serialises all calls.
 */
#ifndef KEEL_DEVICES_PCI_MSIX_H
#define KEEL_DEVICES_PCI_MSIX_H

#include "types.h"
#include "devices/pci_host.h"
#include "devices/snapshot.h"

#define PCI_CAP_ID_MSIX		0x11

/* The capability (6.8.2.1-6.8.2.5): offsets from its start. */
#define PCI_MSIX_CTRL		2	/* Message Control */
#define PCI_MSIX_TABLE		4	/* Table Offset | Table BIR */
#define PCI_MSIX_PBA		8	/* PBA Offset | PBA BIR */
#define PCI_MSIX_CAP_LEN	12

#define PCI_MSIX_CTRL_SIZE	0x7ffu	/* table size - 1, bits 10:0 */
#define PCI_MSIX_CTRL_FMASK	BIT(14)	/* Function Mask */
#define PCI_MSIX_CTRL_ENABLE	BIT(15)	/* MSI-X Enable */
#define PCI_MSIX_BIR		7u	/* BAR indicator, bits 2:0 of TABLE and PBA */

/* One table entry (6.8.2.6-6.8.2.9): offsets inside its 16 bytes. */
#define PCI_MSIX_ENTRY_SIZE	16
#define PCI_MSIX_ENTRY_ADDR_LO	0
#define PCI_MSIX_ENTRY_ADDR_HI	4
#define PCI_MSIX_ENTRY_DATA	8
#define PCI_MSIX_ENTRY_VCTRL	12
#define PCI_MSIX_VCTRL_MASK	BIT(0)	/* vector control: masked */

/* The model's limit, so that the pending bits fit one qword of PBA. */
#define PCI_MSIX_MAX_VECTORS	64
#define PCI_MSIX_PBA_SIZE	8

struct pci_msix_entry {
	u32 addr_lo, addr_hi, data, ctrl;
};

/*
 * Guest-visible state, pointer-free. Message Control is not here: it lives
 * in the function's configuration space, which the function saves.
 */
struct pci_msix_state {
	u8 cap;				/* the capability's offset in config space */
	u16 nvectors;			/* table size */
	struct pci_msix_entry table[PCI_MSIX_MAX_VECTORS];
	u64 pba;			/* pending bit per vector */
};

/* How the model reaches the function and the system. Set at init, never saved. */
struct pci_msix_wiring {
	/* The function's configuration space: the capability goes in here, and
	 * its COMMAND register says whether the function may master the bus. */
	struct pci_cfg_space *cfg;
	/* Send one message, a dword write of data to addr; NULL sends nowhere. */
	void (*send)(void *ctx, u64 addr, u32 data);
	void *ctx;
};

struct pci_msix {
	struct pci_msix_state state;
	struct pci_msix_wiring wiring;
};

/* Where the capability, table and PBA go, and how many vectors there are. */
struct pci_msix_layout {
	u8 cap;				/* dword-aligned offset in config space */
	u16 nvectors;			/* 1..PCI_MSIX_MAX_VECTORS, clamped */
	u8 table_bir, pba_bir;		/* BAR index, 0-5 */
	u32 table_offset, pba_offset;	/* in that BAR, qword aligned */
};

/*
 * Write the capability into w->cfg at l->cap (ID, table size, table and
 * PBA location; Enable and Function Mask clear, and the only bits a guest
 * may write) and reset the table: every vector masked (6.8.2.9), nothing
 * pending. Linking the capability into the list is the function's job.
 */
void pci_msix_init(struct pci_msix *m, const struct pci_msix_layout *l,
		   const struct pci_msix_wiring *w);
/* Only the capability's bytes and write masks, as pci_msix_init writes
 * them: for a function that rebuilds its configuration space as it was at
 * init, to check a record against it. */
void pci_msix_cap_init(struct pci_cfg_space *cs, const struct pci_msix_layout *l);

/* MSI-X Enable is set: the function must not use INTx (6.8.2.3). */
bool pci_msix_enabled(const struct pci_msix *m);
unsigned pci_msix_vectors(const struct pci_msix *m);

/*
 * The function's event for vector: send the entry's message, or set its
 * pending bit while the vector or the function is masked. Nothing happens
 * for a vector past the table, with MSI-X disabled, or with bus mastering
 * off (a message is a memory write).
 */
void pci_msix_notify(struct pci_msix *m, unsigned vector);
/* Send the pending messages that are unmasked now. The function calls it
 * after every configuration write: Function Mask, MSI-X Enable or Bus
 * Master may have changed. */
void pci_msix_flush(struct pci_msix *m);
/* The function's events went away (its reset): no message is pending. */
void pci_msix_clear_pending(struct pci_msix *m);

/*
 * Guest accesses, offsets from the start of the table or the PBA. Only
 * aligned dwords and qwords are valid (6.8.2); anything else, and anything
 * past the table or the PBA's one qword, reads 0 and writes nothing. The
 * PBA is read-only: the function drops writes to it.
 */
u64 pci_msix_table_read(const struct pci_msix *m, u64 off, unsigned size);
void pci_msix_table_write(struct pci_msix *m, u64 off, unsigned size, u64 val);
u64 pci_msix_pba_read(const struct pci_msix *m, u64 off, unsigned size);

/*
 * The state in a record (include/devices/snapshot.h): MSI-X has no record
 * of its own, the function's record holds these fields. Reading, they go
 * into *st, a scratch copy, and are checked against m, the model they are
 * for: its capability offset and table size, the read-only bits of each
 * entry, pending bits only for vectors in the table.
 */
void pci_msix_fields(struct snap *s, struct pci_msix_state *st, const struct pci_msix *m);
/* Take a checked state, then send the pending messages that may go now
 * (6.8.3.4). The function's configuration space, where Message Control
 * lives, must hold its restored state already. */
void pci_msix_restore(struct pci_msix *m, const struct pci_msix_state *st);

#endif
