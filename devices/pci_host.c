/*
 * PCI configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2) on one bus,
 * the host bridge at 00.0, and the configuration space helper functions
 * use (header layout: PCI 3.0 chapter 6).
 *
 * CONFIG_ADDRESS (0xcf8) is latched only by dword accesses; narrower ones
 * at 0xcf8-0xcfb are ordinary I/O to nothing there (3.2.2.3.2), so they
 * read all ones and are dropped. CONFIG_DATA (0xcfc-0xcff) reaches the
 * dword CONFIG_ADDRESS selects, in the byte lanes the access covers.
 * With the enable bit clear, on a bus other than 0, or with no function
 * at the device/function number, reads return all ones (a master abort)
 * and writes are dropped.
 */
#include "devices/pci_host.h"
#include "lib/string.h"

/* CONFIG_ADDRESS fields (3.2.2.3.2, Figure 3-1). */
#define CFG_ADDR_ENABLE		BIT(31)
#define CFG_ADDR_BUS_SHIFT	16	/* bits 23:16 */
#define CFG_ADDR_DEVFN_SHIFT	8	/* device 15:11, function 10:8 */
#define CFG_ADDR_REG		0xfc	/* bits 7:2; 1:0 read 0 */
#define CFG_ADDR_RW		0x80fffffc	/* 30:24 reserved, read 0 */

#define CFG_DATA		4	/* offset of CONFIG_DATA in the port range */

/* The i440FX PMC's identity, which Linux knows as a plain host bridge. */
#define HOST_VENDOR		0x8086
#define HOST_DEVICE		0x1237
#define HOST_REVISION		0x02
#define HOST_CLASS		0x060000	/* bridge, host bridge */
#define HOST_COMMAND_RW		(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | \
				 PCI_COMMAND_PARITY | PCI_COMMAND_SERR)

void pci_cfg_set(struct pci_cfg_space *cs, unsigned off, unsigned size, u32 val)
{
	for (unsigned i = 0; i < size && i < 4 && off + i < PCI_CFG_SIZE; i++)
		cs->bytes[off + i] = val >> (8 * i);
}

u32 pci_cfg_get(const struct pci_cfg_space *cs, unsigned off, unsigned size)
{
	u32 val = 0;

	for (unsigned i = 0; i < size && i < 4 && off + i < PCI_CFG_SIZE; i++)
		val |= (u32)cs->bytes[off + i] << (8 * i);
	return val;
}

void pci_cfg_set_wmask(struct pci_cfg_space *cs, unsigned off, unsigned size, u32 mask)
{
	for (unsigned i = 0; i < size && i < 4 && off + i < PCI_CFG_SIZE; i++)
		cs->wmask[off + i] = mask >> (8 * i);
}

void pci_cfg_set_w1c(struct pci_cfg_space *cs, unsigned off, unsigned size, u32 mask)
{
	for (unsigned i = 0; i < size && i < 4 && off + i < PCI_CFG_SIZE; i++)
		cs->w1cmask[off + i] = mask >> (8 * i);
}

void pci_cfg_init(struct pci_cfg_space *cs, u16 vendor, u16 device, u32 class_code, u8 revision)
{
	memset(cs, 0, sizeof(*cs));
	pci_cfg_set(cs, PCI_VENDOR_ID, 2, vendor);
	pci_cfg_set(cs, PCI_DEVICE_ID, 2, device);
	pci_cfg_set(cs, PCI_REVISION_ID, 1, revision);
	pci_cfg_set(cs, PCI_CLASS_CODE, 3, class_code);
	pci_cfg_set_w1c(cs, PCI_STATUS, 2, PCI_STATUS_ERRORS);
}

/*
 * A BAR's low bits say what it is and are read-only (6.2.5.1); the address
 * bits below its size are read-only 0, so software that writes all ones
 * reads back the size as a mask (6.2.5.1, "Address Maps"). I/O BARs
 * decode 16 bits here: x86 has no larger port space.
 */
int pci_cfg_init_bar(struct pci_cfg_space *cs, unsigned index, u64 size, unsigned flags)
{
	unsigned off = PCI_BAR0 + 4 * index;
	bool io = flags & PCI_BAR_IO, mem64 = flags & PCI_BAR_MEM64;
	u64 min = io ? 4 : 16, max = io ? 256 : mem64 ? BIT(63) : 2 * GiB, wmask;

	if (index > 5 || (mem64 && index > 4) || (io && flags != PCI_BAR_IO) ||
	    (flags & ~(PCI_BAR_IO | PCI_BAR_MEM64 | PCI_BAR_PREFETCH)) ||
	    size < min || size > max || (size & (size - 1)))
		return -EINVAL;
	wmask = ~(size - 1);
	pci_cfg_set(cs, off, 4, flags);
	pci_cfg_set_wmask(cs, off, 4, io ? (u32)wmask & 0xffff : (u32)wmask);
	if (mem64) {
		pci_cfg_set(cs, off + 4, 4, 0);
		pci_cfg_set_wmask(cs, off + 4, 4, (u32)(wmask >> 32));
	}
	return 0;
}

u64 pci_cfg_bar_addr(const struct pci_cfg_space *cs, unsigned index)
{
	unsigned off = PCI_BAR0 + 4 * index;
	u32 lo;

	if (index > 5)
		return 0;
	lo = pci_cfg_get(cs, off, 4);
	if (lo & PCI_BAR_IO)
		return lo & ~3u;
	if ((lo & 6) == PCI_BAR_MEM64 && index < 5)
		return (lo & ~0xfull) | (u64)pci_cfg_get(cs, off + 4, 4) << 32;
	return lo & ~0xfu;
}

u32 pci_cfg_read(const struct pci_cfg_space *cs, unsigned reg)
{
	return pci_cfg_get(cs, reg & CFG_ADDR_REG, 4);
}

/* Per byte: enabled bits of wmask take the new value, enabled W1C bits
 * written as 1 clear; everything else keeps what it held. */
void pci_cfg_write(struct pci_cfg_space *cs, unsigned reg, u32 val, u32 byte_enable_mask)
{
	reg &= CFG_ADDR_REG;
	for (unsigned i = 0; i < 4; i++) {
		u8 v = val >> (8 * i), en = byte_enable_mask >> (8 * i);
		u8 w = en & cs->wmask[reg + i], c = v & en & cs->w1cmask[reg + i];

		cs->bytes[reg + i] = ((cs->bytes[reg + i] & ~w) | (v & w)) & ~c;
	}
}

static u32 pci_cfg_space_read(void *dev, unsigned reg)
{
	return pci_cfg_read(dev, reg);
}

static void pci_cfg_space_write(void *dev, unsigned reg, u32 val, u32 byte_enable_mask)
{
	pci_cfg_write(dev, reg, val, byte_enable_mask);
}

const struct pci_fn_ops pci_cfg_space_ops = {
	.cfg_read = pci_cfg_space_read,
	.cfg_write = pci_cfg_space_write,
};

int pci_host_add(struct pci_host *host, u8 devfn, const struct pci_fn_ops *ops, void *dev)
{
	if (!ops || !ops->cfg_read || !ops->cfg_write)
		return -EINVAL;
	if (host->fns[devfn].ops)
		return -EEXIST;
	host->fns[devfn] = (struct pci_host_fn){ .ops = ops, .dev = dev };
	return 0;
}

/* The host bridge's configuration space at power-on. */
static void pci_host_bridge_init(struct pci_cfg_space *cs)
{
	pci_cfg_init(cs, HOST_VENDOR, HOST_DEVICE, HOST_CLASS, HOST_REVISION);
	pci_cfg_set(cs, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	pci_cfg_set_wmask(cs, PCI_COMMAND, 2, HOST_COMMAND_RW);
	pci_cfg_set(cs, PCI_STATUS, 2, PCI_STATUS_DEVSEL_MEDIUM | PCI_STATUS_FAST_B2B);
}

void pci_host_init(struct pci_host *host)
{
	memset(host, 0, sizeof(*host));
	pci_host_bridge_init(&host->state.bridge);
	pci_host_add(host, PCI_DEVFN(0, 0), &pci_cfg_space_ops, &host->state.bridge);
}

/* The function CONFIG_ADDRESS selects, or NULL: disabled, other bus, absent. */
static const struct pci_host_fn *pci_host_target(const struct pci_host *host)
{
	u32 addr = host->state.config_address;
	const struct pci_host_fn *fn;

	if (!(addr & CFG_ADDR_ENABLE) || ((addr >> CFG_ADDR_BUS_SHIFT) & 0xff) != 0)
		return NULL;
	fn = &host->fns[(addr >> CFG_ADDR_DEVFN_SHIFT) & 0xff];
	return fn->ops ? fn : NULL;
}

/* Is this a CONFIG_DATA access that stays inside the data dword? */
static bool pci_host_is_data(u64 offset, unsigned size)
{
	return offset >= CFG_DATA && size <= 4 && offset + size <= CFG_DATA + 4;
}

static u64 pci_host_io_read(void *dev, u64 offset, unsigned size)
{
	struct pci_host *host = dev;
	const struct pci_host_fn *fn;
	unsigned lane = (unsigned)offset - CFG_DATA;
	u32 dword;

	if (offset == 0 && size == 4)
		return host->state.config_address;
	if (!pci_host_is_data(offset, size) || !(fn = pci_host_target(host)))
		return bytes_mask(size);
	dword = fn->ops->cfg_read(fn->dev, host->state.config_address & CFG_ADDR_REG);
	return (dword >> (8 * lane)) & bytes_mask(size);
}

static void pci_host_io_write(void *dev, u64 offset, unsigned size, u64 val)
{
	struct pci_host *host = dev;
	const struct pci_host_fn *fn;
	unsigned lane = (unsigned)offset - CFG_DATA;
	u32 mask;

	if (offset == 0 && size == 4) {
		host->state.config_address = (u32)val & CFG_ADDR_RW;
		return;
	}
	if (!pci_host_is_data(offset, size) || !(fn = pci_host_target(host)))
		return;
	mask = (u32)(bytes_mask(size) << (8 * lane));
	fn->ops->cfg_write(fn->dev, host->state.config_address & CFG_ADDR_REG,
			   (u32)(val << (8 * lane)) & mask, mask);
}

const struct io_ops pci_host_io_ops = {
	.read = pci_host_io_read,
	.write = pci_host_io_write,
};

/* --- state records (include/devices/snapshot.h) ---------------------------- */

/*
 * The bridge a record holds must be this bridge: the same write masks,
 * and every bit a guest cannot write (IDs, class, header type, the
 * read-only command and status bits; PCI 3.0 6.2) as at power-on. Only
 * the writable bits, and error bits a guest clears by writing 1, may
 * differ.
 */
static void pci_host_bridge_check(struct snap *s, const struct pci_cfg_space *cs)
{
	struct pci_cfg_space ref;
	bool same = true;

	if (!s->reading)
		return;
	pci_host_bridge_init(&ref);
	snap_check(s, !memcmp(cs->wmask, ref.wmask, PCI_CFG_SIZE) &&
		   !memcmp(cs->w1cmask, ref.w1cmask, PCI_CFG_SIZE),
		   "the bridge's write masks are not this bridge's");
	for (unsigned i = 0; i < PCI_CFG_SIZE; i++)
		same = same && !((cs->bytes[i] ^ ref.bytes[i]) & ~(ref.wmask[i] | ref.w1cmask[i]));
	snap_check(s, same, "a read-only bit of the bridge's configuration space differs");
}

/*
 * Every field of struct pci_host_state, in record order. The assert
 * fails when the struct changes size: a field added to the state must be
 * added here too, and PCI_HOST_SNAP_VERSION bumped.
 */
STATIC_ASSERT(sizeof(struct pci_host_state) == 4 + 3 * PCI_CFG_SIZE,
	      "struct pci_host_state changed: update pci_host_fields() and PCI_HOST_SNAP_VERSION");

static void pci_host_fields(struct snap *s, void *p)
{
	struct pci_host_state *st = p;

	snap_u32(s, &st->config_address);
	snap_check(s, !(st->config_address & ~CFG_ADDR_RW),
		   "CONFIG_ADDRESS has reserved bits set");
	snap_bytes(s, st->bridge.bytes, PCI_CFG_SIZE);
	snap_bytes(s, st->bridge.wmask, PCI_CFG_SIZE);
	snap_bytes(s, st->bridge.w1cmask, PCI_CFG_SIZE);
	pci_host_bridge_check(s, &st->bridge);
}

int pci_host_save(const struct pci_host *host, void *buf, size_t len)
{
	return snap_save(buf, len, PCI_HOST_SNAP_TAG, PCI_HOST_SNAP_VERSION, pci_host_fields,
			 &host->state, NULL);
}

/* The record goes into a scratch copy; only a good one replaces the state. */
int pci_host_load(struct pci_host *host, const void *buf, size_t len, bool apply,
		  const char **why)
{
	struct pci_host_state st = { 0 };
	int err = snap_load(buf, len, PCI_HOST_SNAP_TAG, PCI_HOST_SNAP_VERSION, pci_host_fields,
			    &st, why);

	if (err || !apply)
		return err;
	host->state = st;
	return 0;
}

static int pci_host_dev_save(const void *dev, void *buf, size_t len)
{
	return pci_host_save(dev, buf, len);
}

static int pci_host_dev_load(void *dev, const void *buf, size_t len, bool apply, const char **why)
{
	return pci_host_load(dev, buf, len, apply, why);
}

const struct dev_ops pci_host_dev_ops = {
	.save = pci_host_dev_save,
	.load = pci_host_dev_load,
};
