/*
 * MSI-X, PCI Local Bus 3.0 section 6.8.2: the capability structure, the
 * MSI-X table and the pending bit array, and per-vector and function
 * masking (6.8.3.4). Message Control is read straight from the function's
 * configuration space, where the guest writes it through the host bridge.
 */
#include "devices/pci_msix.h"
#include "lib/string.h"

static u16 msix_ctrl(const struct pci_msix *m)
{
	return pci_cfg_get(m->wiring.cfg, m->state.cap + PCI_MSIX_CTRL, 2);
}

bool pci_msix_enabled(const struct pci_msix *m)
{
	return msix_ctrl(m) & PCI_MSIX_CTRL_ENABLE;
}

unsigned pci_msix_vectors(const struct pci_msix *m)
{
	return m->state.nvectors;
}

/* May a message leave at all: MSI-X on and the function a bus master. */
static bool msix_may_send(const struct pci_msix *m)
{
	return pci_msix_enabled(m) &&
	       (pci_cfg_get(m->wiring.cfg, PCI_COMMAND, 2) & PCI_COMMAND_MASTER);
}

/* The Function Mask masks every vector whatever its own bit says (6.8.2.3). */
static bool msix_masked(const struct pci_msix *m, unsigned v)
{
	return (msix_ctrl(m) & PCI_MSIX_CTRL_FMASK) ||
	       (m->state.table[v].ctrl & PCI_MSIX_VCTRL_MASK);
}

static void msix_send(const struct pci_msix *m, unsigned v)
{
	const struct pci_msix_entry *e = &m->state.table[v];

	if (m->wiring.send)
		m->wiring.send(m->wiring.ctx, (u64)e->addr_hi << 32 | e->addr_lo, e->data);
}

/*
 * A masked vector's message waits as its pending bit (6.8.3.4). Bus
 * mastering off drops the message instead: the function could not have
 * made the write, so there is nothing left to send later.
 */
void pci_msix_notify(struct pci_msix *m, unsigned vector)
{
	if (vector >= m->state.nvectors || !msix_may_send(m))
		return;
	if (msix_masked(m, vector))
		m->state.pba |= BIT(vector);
	else
		msix_send(m, vector);
}

/* Unmasking a vector whose pending bit is set sends the message and
 * clears the bit (6.8.3.4). */
void pci_msix_flush(struct pci_msix *m)
{
	if (!msix_may_send(m))
		return;
	for (unsigned v = 0; v < m->state.nvectors; v++) {
		if (!(m->state.pba & BIT(v)) || msix_masked(m, v))
			continue;
		m->state.pba &= ~BIT(v);
		msix_send(m, v);
	}
}

void pci_msix_clear_pending(struct pci_msix *m)
{
	m->state.pba = 0;
}

/* ---- table and PBA (6.8.2.6-6.8.2.10) ----------------------------------- */

/* Only aligned full dwords and qwords (6.8.2: other accesses are undefined). */
static bool msix_access_ok(u64 off, unsigned size)
{
	return (size == 4 || size == 8) && off % size == 0;
}

static u32 msix_dword_read(const struct pci_msix *m, u64 off)
{
	const struct pci_msix_entry *e;

	if (off / PCI_MSIX_ENTRY_SIZE >= m->state.nvectors)
		return 0;
	e = &m->state.table[off / PCI_MSIX_ENTRY_SIZE];
	switch (off % PCI_MSIX_ENTRY_SIZE) {
	case PCI_MSIX_ENTRY_ADDR_LO:	return e->addr_lo;
	case PCI_MSIX_ENTRY_ADDR_HI:	return e->addr_hi;
	case PCI_MSIX_ENTRY_DATA:	return e->data;
	default:			return e->ctrl;
	}
}

/* Address bits 1:0 and vector control bits 31:1 are read-only 0 (6.8.2.6,
 * 6.8.2.9). Clearing a mask bit may release a pending message. */
static void msix_dword_write(struct pci_msix *m, u64 off, u32 val)
{
	struct pci_msix_entry *e;

	if (off / PCI_MSIX_ENTRY_SIZE >= m->state.nvectors)
		return;
	e = &m->state.table[off / PCI_MSIX_ENTRY_SIZE];
	switch (off % PCI_MSIX_ENTRY_SIZE) {
	case PCI_MSIX_ENTRY_ADDR_LO:	e->addr_lo = val & ~3u; return;
	case PCI_MSIX_ENTRY_ADDR_HI:	e->addr_hi = val; return;
	case PCI_MSIX_ENTRY_DATA:	e->data = val; return;
	}
	e->ctrl = val & PCI_MSIX_VCTRL_MASK;
	pci_msix_flush(m);
}

/* A qword is the entry's two dwords, low first (an aligned qword never
 * crosses an entry). */
u64 pci_msix_table_read(const struct pci_msix *m, u64 off, unsigned size)
{
	if (!msix_access_ok(off, size))
		return 0;
	if (size == 8)
		return msix_dword_read(m, off) | (u64)msix_dword_read(m, off + 4) << 32;
	return msix_dword_read(m, off);
}

void pci_msix_table_write(struct pci_msix *m, u64 off, unsigned size, u64 val)
{
	if (!msix_access_ok(off, size))
		return;
	msix_dword_write(m, off, (u32)val);
	if (size == 8)
		msix_dword_write(m, off + 4, (u32)(val >> 32));
}

u64 pci_msix_pba_read(const struct pci_msix *m, u64 off, unsigned size)
{
	if (!msix_access_ok(off, size) || off >= PCI_MSIX_PBA_SIZE)
		return 0;
	return (m->state.pba >> (8 * off)) & bytes_mask(size);
}

/* ---- configuration space (6.8.2.1-6.8.2.5) ------------------------------ */

static u16 msix_nvectors(const struct pci_msix_layout *l)
{
	return MIN(MAX(l->nvectors, 1), PCI_MSIX_MAX_VECTORS);
}

/* The capability's registers; only Enable and Function Mask are writable. */
void pci_msix_cap_init(struct pci_cfg_space *cs, const struct pci_msix_layout *l)
{
	pci_cfg_set(cs, l->cap, 1, PCI_CAP_ID_MSIX);
	pci_cfg_set(cs, l->cap + PCI_MSIX_CTRL, 2, msix_nvectors(l) - 1u);
	pci_cfg_set_wmask(cs, l->cap + PCI_MSIX_CTRL, 2, PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_FMASK);
	pci_cfg_set(cs, l->cap + PCI_MSIX_TABLE, 4,
		    (l->table_offset & ~PCI_MSIX_BIR) | (l->table_bir & PCI_MSIX_BIR));
	pci_cfg_set(cs, l->cap + PCI_MSIX_PBA, 4,
		    (l->pba_offset & ~PCI_MSIX_BIR) | (l->pba_bir & PCI_MSIX_BIR));
}

void pci_msix_init(struct pci_msix *m, const struct pci_msix_layout *l,
		   const struct pci_msix_wiring *w)
{
	memset(m, 0, sizeof(*m));
	m->wiring = *w;
	m->state.cap = l->cap;
	m->state.nvectors = msix_nvectors(l);
	for (unsigned v = 0; v < PCI_MSIX_MAX_VECTORS; v++)
		m->state.table[v].ctrl = PCI_MSIX_VCTRL_MASK;	/* after reset (6.8.2.9) */
	pci_msix_cap_init(w->cfg, l);
}

/* --- state records (include/devices/snapshot.h) ---------------------------- */

/* Entries past the table take no writes: they stay as pci_msix_init left them. */
static bool msix_entry_unused(const struct pci_msix_entry *e)
{
	return !e->addr_lo && !e->addr_hi && !e->data && e->ctrl == PCI_MSIX_VCTRL_MASK;
}

/*
 * What init and the table writes guarantee and a record could break: the
 * capability where the function put it and the table size it was built
 * with, address bits 1:0 and vector control bits 31:1 read-only 0
 * (6.8.2.6, 6.8.2.9), and no pending bit for a vector the table does not
 * have. A pending bit on an unmasked vector is a state a function can be
 * in (bus mastering off when it was unmasked): the restore sends it if it
 * may go now.
 */
static void msix_check(struct snap *s, const struct pci_msix_state *st, const struct pci_msix *m)
{
	u64 table = st->nvectors >= 64 ? ~0ull : BIT(st->nvectors) - 1;
	bool addr_ok = true, ctrl_ok = true, unused_ok = true;

	snap_check(s, st->cap == m->state.cap, "the MSI-X capability is not where this function has it");
	snap_check(s, st->nvectors == m->state.nvectors, "the MSI-X table size is not this function's");
	for (unsigned v = 0; v < PCI_MSIX_MAX_VECTORS; v++) {
		const struct pci_msix_entry *e = &st->table[v];

		addr_ok = addr_ok && !(e->addr_lo & 3);
		ctrl_ok = ctrl_ok && !(e->ctrl & ~PCI_MSIX_VCTRL_MASK);
		unused_ok = unused_ok && (v < st->nvectors || msix_entry_unused(e));
	}
	snap_check(s, addr_ok, "an MSI-X message address has bits 1:0 set");
	snap_check(s, ctrl_ok, "an MSI-X vector control has reserved bits set");
	snap_check(s, unused_ok, "an MSI-X entry past the table is not as at reset");
	snap_check(s, !(st->pba & ~table), "an MSI-X pending bit is set for a vector past the table");
}

/*
 * Every field of struct pci_msix_state, in record order: the whole table,
 * used entries or not, so the layout does not depend on the table size.
 * The asserts fail when a struct changes size: a field added to the state
 * must be added here too, and the version of each record that holds it
 * bumped.
 */
STATIC_ASSERT(sizeof(struct pci_msix_entry) == 16,
	      "struct pci_msix_entry changed: update pci_msix_fields() and the records' versions");
STATIC_ASSERT(sizeof(struct pci_msix_state) == 8 + 16 * PCI_MSIX_MAX_VECTORS + 8,
	      "struct pci_msix_state changed: update pci_msix_fields() and the records' versions");

void pci_msix_fields(struct snap *s, struct pci_msix_state *st, const struct pci_msix *m)
{
	snap_u8(s, &st->cap);
	snap_u16(s, &st->nvectors);
	for (unsigned v = 0; v < PCI_MSIX_MAX_VECTORS; v++) {
		snap_u32(s, &st->table[v].addr_lo);
		snap_u32(s, &st->table[v].addr_hi);
		snap_u32(s, &st->table[v].data);
		snap_u32(s, &st->table[v].ctrl);
	}
	snap_u64(s, &st->pba);
	if (s->reading)
		msix_check(s, st, m);
}

void pci_msix_restore(struct pci_msix *m, const struct pci_msix_state *st)
{
	m->state = *st;
	pci_msix_flush(m);
}
