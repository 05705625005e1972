/*
 * A VM's virtio devices: the disks and NICs of its keel.toml entry, each a
 * virtio-pci function on bus 0 (slot 1 on), its BAR0 in the 32-bit PCI
 * window (include/vmm/machine/layout.h), MSI-X messages routed to the VM's
 * local APICs, and an entry in the VM's device table ("vd0", "eth0"),
 * whose state record holds the transport's and the device's.
 * The devices see guest memory only through guest_mem_ops, which refuse
 * anything that is not the VM's RAM.
 */
#include "vmm/machine/virtio_vm.h"
#include "vmm/core/vm.h"
#include "vmm/core/intr.h"
#include "vmm/machine/acpi_build.h"
#include "vmm/machine/layout.h"
#include "vmm/machine/platform.h"
#include "devices/pci_msi.h"
#include "devices/snapshot.h"
#include "mm/mm.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/spinlock.h"
#include "arch/smp.h"

#define VIRTIO_FIRST_SLOT 1
STATIC_ASSERT(VIRTIO_PCI_BAR_SIZE <= PC_VIRTIO_BAR_STRIDE, "a BAR0 fits its slot's room");

static int vm_mem_read(void *ctx, u64 gpa, void *buf, size_t len)
{
	struct vm *vm = ctx;

	return gpa_read(&vm->mem, gpa, buf, len);
}

static int vm_mem_write(void *ctx, u64 gpa, const void *buf, size_t len)
{
	struct vm *vm = ctx;

	return gpa_write(&vm->mem, gpa, buf, len);
}

/* An MSI from a device: the message names destination, vector and mode
 * (SDM Vol 3 11.11); the VM's IO-APIC delivery path does the rest. */
static void vm_msi(void *ctx, u64 addr, u32 data)
{
	struct virtio_slot *s = ctx;
	u32 dest;
	bool logical, level;
	u8 mode, vector;

	if (!msi_addr_valid(addr)) {
		log_debug("%s: MSI to 0x%llx dropped: not the APIC window", s->name, (unsigned long long)addr);
		return;
	}
	msi_decode(addr, data, &dest, &logical, &mode, &vector, &level);
	vm_apic_deliver(s->vm, dest, logical, mode, vector, level);
}

/* The guest moved BAR0 or switched memory decoding: follow it on the MMIO bus. */
static void vm_bar_changed(void *ctx, u64 base, bool enabled)
{
	struct virtio_slot *s = ctx;

	if (s->bar_mapped)
		io_bus_remove(&s->vm->mmio, s->bar_base);
	s->bar_mapped = false;
	s->bar_base = base;
	if (enabled && base && !io_bus_add(&s->vm->mmio, base, VIRTIO_PCI_BAR_SIZE, &virtio_pci_bar_ops,
					   &s->vp, s->name))
		s->bar_mapped = true;
}

static struct virtio_slot *virtio_slot_new(struct vm *vm, enum virtio_kind kind, const char *what,
					   unsigned idx)
{
	struct virtio_slot *s;
	unsigned n = vm->nvirtio;

	if (n == VM_MAX_VIRTIO)
		return NULL;
	s = kzalloc(sizeof(*s));
	if (!s)
		return NULL;
	s->vm = vm;
	s->kind = kind;
	s->devfn = (u8)((VIRTIO_FIRST_SLOT + n) << 3);
	s->mem = (struct guest_mem_ops){ vm_mem_read, vm_mem_write, vm };
	keel_snprintf(s->name, sizeof(s->name), "%s %s%u", vm->name, what, idx);
	vm->virtio[vm->nvirtio++] = s;
	return s;
}

static const struct dev_ops virtio_slot_dev_ops;
static void virtio_slot_drain(struct virtio_slot *s);

/* The slot's entry in the device table: the name after the VM's. */
static int virtio_slot_list(struct vm *vm, struct virtio_slot *s)
{
	return vm_device_add(vm, s->name + strlen(vm->name) + 1, &virtio_slot_dev_ops, s);
}

static int virtio_slot_plug(struct vm *vm, struct virtio_slot *s, const struct virtio_dev_ops *ops, void *dev)
{
	struct virtio_pci_wiring w = {
		.mem = &s->mem, .msi = vm_msi, .bar_changed = vm_bar_changed, .ctx = s, .name = s->name,
		/* INTA#, for drivers without MSI-X: the DSDT's _PRT names its GSI. */
		.intx = { vm_pci_intx_set, vm, acpi_pci_intx_gsi(s->devfn >> 3, 0) },
	};
	u64 bar = PC_VIRTIO_BAR_BASE + (u64)(s->devfn >> 3) * PC_VIRTIO_BAR_STRIDE;

	virtio_pci_init(&s->vp, ops, dev, bar, &w);
	vm_bar_changed(s, bar, true);
	return pci_host_add(&vm->pci, s->devfn, &virtio_pci_cfg_ops, &s->vp) ?: virtio_slot_list(vm, s);
}

int vm_add_disk(struct vm *vm, void *image, u64 size, bool readonly, unsigned idx)
{
	struct virtio_slot *s = virtio_slot_new(vm, VIRTIO_BLK, "vd", idx);
	char serial[21];
	int err;

	if (!s)
		return -ENOSPC;
	err = blk_ram_init(&s->blk.ram, &s->blk.be, image, size, readonly);
	if (err)
		return err;
	keel_snprintf(serial, sizeof(serial), "keel-%s-%u", vm->name, idx);
	virtio_blk_init(&s->blk.dev, &s->blk.be, serial);
	err = virtio_slot_plug(vm, s, virtio_blk_ops(&s->blk.dev), &s->blk.dev);
	if (!err)
		virtio_blk_attach(&s->blk.dev, &s->vp);
	return err;
}

/*
 * Frames for a NIC arrive from the switch on the sender's CPU, under the
 * sender's VM lock and the switch's. The receiving VM's lock is only
 * tried: when it is free the frame goes straight in; when it is taken
 * (the VM is busy on another CPU, or it is the sender itself) the frame
 * waits in the NIC's inbox, and the VM is made to look (timers_dirty: its
 * next entry or its CPU's scheduler runs vm_timers_run, which drains the
 * inbox). Waiting for the lock instead could deadlock two VMs sending to
 * each other.
 */
#define NIC_INBOX 32

struct nic_inbox {
	struct spinlock lock;
	u16 head, count;
	u64 dropped;
	u16 len[NIC_INBOX];
	u8 frame[NIC_INBOX][ETH_FRAME_MAX];
};

static void vm_nic_deliver(void *ctx, const u8 *frame, size_t len)
{
	struct virtio_slot *s = ctx;
	struct nic_inbox *in = s->inbox;
	struct vm *vm = s->vm;
	struct vcpu *v = vm->vcpus[0];

	if (spin_trylock(&vm->lock)) {
		s->net_rx(&s->net, frame, len);
		spin_unlock(&vm->lock);
		return;
	}
	spin_lock(&in->lock);
	if (in->count == NIC_INBOX || len > ETH_FRAME_MAX) {
		in->dropped++;
	} else {
		unsigned tail = (in->head + in->count) % NIC_INBOX;
		memcpy(in->frame[tail], frame, len);
		in->len[tail] = (u16)len;
		in->count++;
	}
	spin_unlock(&in->lock);
	vm->timers_dirty = true;
	if (!vcpu_interrupt(v))
		smp_kick(v->thread.home_cpu);
}

/* Move the frames waiting in one NIC's inbox into the device. */
static void virtio_slot_drain(struct virtio_slot *s)
{
	struct nic_inbox *in = s->inbox;
	u8 *frame;

	spin_assert_held(&s->vm->lock);
	if (!in || !__atomic_load_n(&in->count, __ATOMIC_ACQUIRE))
		return;
	frame = kmalloc(ETH_FRAME_MAX);
	if (!frame)
		return;
	for (;;) {
		u16 len = 0;

		spin_lock(&in->lock);
		if (in->count) {
			len = in->len[in->head];
			memcpy(frame, in->frame[in->head], len);
			in->head = (u16)((in->head + 1) % NIC_INBOX);
			in->count--;
		}
		s->net.state.stats.rx_dropped += in->dropped;
		in->dropped = 0;
		spin_unlock(&in->lock);
		if (!len)
			break;
		s->net_rx(&s->net, frame, len);
	}
	kfree(frame);
}

void vm_virtio_drain(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nvirtio; i++)
		virtio_slot_drain(vm->virtio[i]);
}

int vm_add_nic(struct vm *vm, const char *switch_name, const u8 mac[6], unsigned idx)
{
	struct virtio_slot *s = virtio_slot_new(vm, VIRTIO_NET, "eth", idx);
	struct vswitch *sw = vswitch_get(switch_name);
	int err;

	if (!s || !sw)
		return -ENOSPC;
	s->inbox = page_alloc_zero(ALIGN_UP(sizeof(*s->inbox), PAGE_SIZE) / PAGE_SIZE);
	if (!s->inbox)
		return -ENOMEM;
	virtio_net_init(&s->net, mac);
	s->net_rx = s->net.wiring.port.deliver;
	s->net.wiring.port.deliver = vm_nic_deliver;
	s->net.wiring.port.ctx = s;
	err = vswitch_attach(sw, &s->net.wiring.port);
	if (!err)
		virtio_net_set_link(&s->net, true);	/* on the switch now */
	err = err ?: virtio_slot_plug(vm, s, virtio_net_ops(&s->net), &s->net);
	if (!err)
		virtio_net_attach(&s->net, &s->vp);
	return err;
}

/* A slot's counters for the VM's statistics (the device table's stats hook). */
static size_t virtio_slot_stats(const void *dev, char *buf, size_t len)
{
	const struct virtio_slot *s = dev;

	if (s->kind == VIRTIO_BLK) {
		const struct virtio_blk_state *b = &s->blk.dev.state;

		return (size_t)keel_snprintf(buf, len,
			"%llu requests, %llu sectors read, %llu written, %llu flushes, %llu errors",
			(unsigned long long)b->requests, (unsigned long long)b->sectors_read,
			(unsigned long long)b->sectors_written, (unsigned long long)b->flushes,
			(unsigned long long)b->errors);
	}
	return (size_t)keel_snprintf(buf, len, "%llu frames sent (%llu dropped), %llu received (%llu dropped)",
				     (unsigned long long)s->net.state.stats.tx_frames,
				     (unsigned long long)s->net.state.stats.tx_dropped,
				     (unsigned long long)s->net.state.stats.rx_frames,
				     (unsigned long long)s->net.state.stats.rx_dropped);
}

/* The timer service's walk drains a NIC's inbox (frames that came while
 * the VM's lock was taken); it has no deadline of its own. */
static u64 virtio_slot_advance(void *dev, u64 now)
{
	virtio_slot_drain(dev);
	return UINT64_MAX;
}

/*
 * A slot's state record: "VSLT", a record of records (include/devices/
 * snapshot.h) holding the transport's ("VPCI") and then the device's
 * ("VBLK" or "VNET"). The backends are not in it: a disk's contents and
 * a switch's ports belong to the machine the VM runs on.
 */
#define SLOT_SNAP_TAG		SNAP_TAG('V', 'S', 'L', 'T')
#define SLOT_SNAP_VERSION	1

static int virtio_slot_dev_save(const struct virtio_slot *s, void *buf, size_t len)
{
	if (s->kind == VIRTIO_BLK)
		return virtio_blk_save(&s->blk.dev, buf, len);
	return virtio_net_save(&s->net, buf, len);
}

static int virtio_slot_dev_load(struct virtio_slot *s, const void *buf, size_t len, bool apply,
				const char **why)
{
	if (s->kind == VIRTIO_BLK)
		return virtio_blk_load(&s->blk.dev, buf, len, apply, why);
	return virtio_net_load(&s->net, buf, len, apply, why);
}

static int virtio_slot_save(const void *dev, void *buf, size_t len)
{
	const struct virtio_slot *s = dev;
	u8 *b = buf;
	int t, d;

	if (len < SNAP_HDR_LEN)
		return -ENOSPC;
	t = virtio_pci_save(&s->vp, b + SNAP_HDR_LEN, len - SNAP_HDR_LEN);
	if (t < 0)
		return t;
	d = virtio_slot_dev_save(s, b + SNAP_HDR_LEN + t, len - SNAP_HDR_LEN - (size_t)t);
	if (d < 0)
		return d;
	return snap_seal(b, SLOT_SNAP_TAG, SLOT_SNAP_VERSION, (size_t)t + (size_t)d);
}

/*
 * Both records are checked before either is applied, so a slot takes a
 * record whole or not at all. The device's record is this slot's kind's
 * or refused (its tag), as the transport's is (its device ID): a disk's
 * record does not load into a NIC.
 */
static int virtio_slot_load(void *dev, const void *buf, size_t len, bool apply, const char **why)
{
	struct virtio_slot *s = dev;
	const u8 *p;
	size_t plen, tlen;
	u32 tag;
	u16 version;
	int err = snap_open(buf, len, SLOT_SNAP_TAG, SLOT_SNAP_VERSION, &p, &plen, why);

	if (err)
		return err;
	if (snap_peek(p, plen, &tag, &version, &tlen)) {
		*why = "the slot's transport record is cut short";
		return -EINVAL;
	}
	err = virtio_pci_load(&s->vp, p, tlen, false, why);
	err = err ?: virtio_slot_dev_load(s, p + tlen, plen - tlen, false, why);
	if (err || !apply)
		return err;
	err = virtio_pci_load(&s->vp, p, tlen, true, why);
	return err ?: virtio_slot_dev_load(s, p + tlen, plen - tlen, true, why);
}

static const struct dev_ops virtio_slot_dev_ops = {
	.advance = virtio_slot_advance,
	.save = virtio_slot_save,
	.load = virtio_slot_load,
	.stats = virtio_slot_stats,
};

void vm_virtio_destroy(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nvirtio; i++) {
		struct virtio_slot *s = vm->virtio[i];
		if (s->bar_mapped)
			io_bus_remove(&vm->mmio, s->bar_base);
		if (s->kind == VIRTIO_NET)
			virtio_net_destroy(&s->net);
		if (s->inbox)
			page_free(s->inbox, ALIGN_UP(sizeof(*s->inbox), PAGE_SIZE) / PAGE_SIZE);
		kfree(s);
	}
	vm->nvirtio = 0;
}
