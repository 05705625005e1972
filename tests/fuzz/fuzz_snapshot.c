/*
 * libFuzzer target for the device state records (include/devices/
 * snapshot.h): the input's first byte picks one of the PC models or the
 * virtio ones (the PCI transport, blk, net), the rest is a record, loaded
 * with apply=true into a freshly initialised model. Records come from disks and networks, so whatever a load accepts
 * must be a state the model can run: the model is then driven a little
 * (register reads and writes, its timer, its interrupt paths) and
 * ASan/UBSan report any array index, division or shift an accepted but
 * bad state leads to. The checks below report broken promises: a load
 * checked with apply=false that changes the device or disagrees with
 * apply=true, a refusal that changes it or gives no reason, a timer that
 * is due again at once after it was served.
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DKEEL_HOST_TEST -Iinclude \
 *     -Itests/unit -o /tmp/fuzz_snap tests/fuzz/fuzz_snapshot.c devices/snapshot.c \
 *     devices/ns16550.c devices/i8254.c devices/i8259.c devices/mc146818.c lib/date.c \
 *     devices/vioapic.c devices/vlapic.c devices/vlapic_timer.c devices/acpi_pm.c \
 *     devices/pci_host.c devices/virtqueue.c devices/virtio_pci.c devices/virtio_pci_state.c \
 *     devices/pci_msix.c devices/virtio_blk.c devices/virtio_net.c devices/backend/blk_ram.c
 *
 * The seeds in tests/fuzz/corpus/snapshot/ are records of each model,
 * fresh and after some programming, written by this target itself:
 *   FUZZ_SNAPSHOT_SEEDS=tests/fuzz/corpus/snapshot build/fuzz/fuzz_snapshot
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/acpi_pm.h"
#include "devices/i8254.h"
#include "devices/i8259.h"
#include "devices/mc146818.h"
#include "devices/ns16550.h"
#include "devices/pci_host.h"
#include "devices/vioapic.h"
#include "devices/vlapic.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_net.h"
#include "arch/msr.h"
#include "lib/log.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define fuzz_assert(c) do { if (!(c)) __builtin_trap(); } while (0)

/* The host's time as the models read it, and the VM's clock over it. */
static u64 host_ns;
static const struct guest_clock clock;

u64 time_now_ns(void) { return host_ns; }
u64 time_tsc_to_ns(u64 tsc) { return tsc; }
void log_msg(enum log_level level, const char *fmt, ...) { }

static void irq_set(void *ctx, unsigned line, bool level) { }
static const struct irq_line irq = { .set = irq_set };

/* A deadline the model may be asked to serve: not never, and not so late
 * that the clock's own arithmetic wraps. */
static bool servable(u64 t)
{
	return t < (1ull << 62);
}

typedef int load_fn(void *dev, const void *buf, size_t len, bool apply, const char **why);

static unsigned long accepted;	/* records the models took, for the seed writer */

/*
 * Load rec into dev, whose state is state[0, size): with apply false
 * first, which must change nothing and agree with apply true; a refusal
 * must change nothing and say why. True when the record was taken.
 */
static bool fuzz_load(load_fn *load, void *dev, const void *state, size_t size, const u8 *rec,
		      size_t len)
{
	static u8 before[8192];
	const char *why = NULL;
	int check, err;

	fuzz_assert(size <= sizeof(before));
	memcpy(before, state, size);
	check = load(dev, rec, len, false, &why);
	fuzz_assert(!memcmp(before, state, size));
	fuzz_assert((check == 0) == (why == NULL));
	err = load(dev, rec, len, true, &why);
	fuzz_assert(err == check);
	if (err)
		fuzz_assert(!memcmp(before, state, size));
	accepted += err == 0;
	return err == 0;
}

/* --- one driver per model ---------------------------------------------------- */

static int uart_load(void *d, const void *b, size_t n, bool a, const char **w)
{
	return ns16550_load(d, b, n, a, w);
}

static void run_uart(const u8 *rec, size_t len)
{
	static struct ns16550 uart;

	ns16550_init(&uart, NULL, NULL, &irq);
	if (!fuzz_load(uart_load, &uart, &uart.state, sizeof(uart.state), rec, len))
		return;
	for (unsigned r = 0; r < NS16550_NR_REGS; r++)
		ns16550_read(&uart, r);
	ns16550_rx_push(&uart, 'k');
	for (unsigned i = 0; i < NS16550_FIFO_SIZE + 2; i++)
		ns16550_read(&uart, 0);
	ns16550_write(&uart, 0, 'x');
	ns16550_write(&uart, 2, 0xc7);
	ns16550_rx_push(&uart, 'y');
	ns16550_read(&uart, 2);
	fuzz_assert(ns16550_rx_room(&uart) <= NS16550_FIFO_SIZE);
}

static int pit_load(void *d, const void *b, size_t n, bool a, const char **w)
{
	return i8254_load(d, b, n, a, w);
}

/* Serve the PIT's next edge: afterwards it is not due again at once. */
static void pit_serve(struct i8254 *pit)
{
	u64 due = i8254_next_deadline(pit);

	if (!servable(due))
		return;
	host_ns = due;
	i8254_advance(pit, due);
	fuzz_assert(i8254_next_deadline(pit) > due);
}

static void run_pit(const u8 *rec, size_t len)
{
	static struct i8254 pit;
	struct i8254_wiring w = { .irq0 = irq, .clock = &clock };

	i8254_init(&pit, &w);
	if (!fuzz_load(pit_load, &pit, &pit.state, sizeof(pit.state), rec, len))
		return;
	pit_serve(&pit);
	for (unsigned ch = 0; ch < 3; ch++) {
		i8254_read(&pit, ch);
		i8254_read(&pit, ch);
	}
	i8254_port61_read(&pit);
	i8254_write(&pit, 3, 0xce);		/* read-back of all three */
	for (unsigned ch = 0; ch < 3; ch++)
		i8254_read(&pit, ch);
	i8254_port61_write(&pit, pit.state.port61 ^ 1);
	i8254_write(&pit, 2, 0x34);
	pit_serve(&pit);
	pit_serve(&pit);
}

static int pic_load(void *d, const void *b, size_t n, bool a, const char **w)
{
	return i8259_load(d, b, n, a, w);
}

static void run_pic(const u8 *rec, size_t len)
{
	static struct i8259 pic;

	i8259_init(&pic, NULL, NULL);
	if (!fuzz_load(pic_load, &pic, &pic.state, sizeof(pic.state), rec, len))
		return;
	for (unsigned chip = 0; chip < 2; chip++) {
		i8259_read(&pic, chip, 0);
		i8259_read(&pic, chip, 1);
		i8259_write(&pic, chip, 1, 0x00);	/* OCW1, or the next ICW */
	}
	for (unsigned irq_nr = 0; irq_nr < I8259_NR_IRQS; irq_nr++)
		i8259_set_irq(&pic, irq_nr, true);
	for (unsigned i = 0; i < 4; i++) {
		int vector = i8259_ack(&pic);

		fuzz_assert(vector >= 0 && vector <= 0xff);
		i8259_write(&pic, i & 1, 0, 0x20);	/* EOI */
	}
	i8259_write(&pic, 0, 0, 0x0c);			/* poll */
	i8259_read(&pic, 0, 0);
	fuzz_assert(i8259_intr(&pic) == pic.state.chip[0].int_out);
}

static int rtc_load(void *d, const void *b, size_t n, bool a, const char **w)
{
	return mc146818_load(d, b, n, a, w);
}

static void run_rtc(const u8 *rec, size_t len)
{
	static struct mc146818 rtc;
	struct mc146818_wiring w = { .irq = irq, .clock = &clock };
	u64 due;

	mc146818_init(&rtc, 1700000000, &w);
	if (!fuzz_load(rtc_load, &rtc, &rtc.state, sizeof(rtc.state), rec, len))
		return;
	mc146818_read(&rtc, 1);			/* the selected register */
	for (unsigned i = 0; i < 2; i++) {
		for (unsigned idx = 0; idx <= 0x0d; idx++) {
			mc146818_write(&rtc, 0, (u8)idx);
			mc146818_read(&rtc, 1);
		}
		due = mc146818_next_deadline(&rtc);
		if (servable(due)) {
			host_ns = due;
			mc146818_advance(&rtc, due);
		}
	}
	mc146818_write(&rtc, 0, 0x0b);
	mc146818_write(&rtc, 1, 0x80 | (rtc.state.cmos[0x0b] & 0x7f));	/* SET */
	mc146818_write(&rtc, 0, 0x00);
	mc146818_write(&rtc, 1, 0x59);
	mc146818_write(&rtc, 0, 0x0b);
	mc146818_write(&rtc, 1, 0x70);
	mc146818_advance(&rtc, host_ns + 3 * NSEC_PER_SEC);
}

static int ioapic_load(void *d, const void *b, size_t n, bool a, const char **w)
{
	return vioapic_load(d, b, n, a, w);
}

static void run_ioapic(const u8 *rec, size_t len)
{
	static struct vioapic io;

	vioapic_init(&io, NULL);
	if (!fuzz_load(ioapic_load, &io, &io.state, sizeof(io.state), rec, len))
		return;
	vioapic_mmio_read(&io, 0x10, 4);	/* the register IOREGSEL names */
	vioapic_mmio_write(&io, 0x10, 4, 0x12345678);
	for (unsigned pin = 0; pin <= VIOAPIC_NR_PINS; pin++) {
		vioapic_set_irq(&io, pin, true);
		vioapic_eoi(&io, (u8)io.state.redir[pin % VIOAPIC_NR_PINS]);
		vioapic_set_irq(&io, pin, false);
	}
	for (unsigned reg = 0; reg < 0x40; reg++) {
		vioapic_mmio_write(&io, 0x00, 4, reg);
		vioapic_mmio_read(&io, 0x10, 4);
	}
}

static int lapic_load(void *d, const void *b, size_t n, bool a, const char **w)
{
	return vlapic_load(d, b, n, a, w);
}

/* Serve the APIC timer: afterwards it is not due again at once. */
static void lapic_serve(struct vlapic *lapic)
{
	u64 due = vlapic_next_deadline(lapic);

	if (!servable(due))
		return;
	host_ns = due;
	vlapic_advance(lapic, due);
	fuzz_assert(vlapic_next_deadline(lapic) > due);
}

/* Every register through the page or the MSRs, whichever the mode has. */
static void lapic_read_all(struct vlapic *lapic)
{
	u64 v;

	for (unsigned idx = 0; idx < 0x40; idx++) {
		vlapic_mmio_read(lapic, idx << 4, 4);
		vlapic_msr_read(lapic, MSR_IA32_X2APIC_BASE + idx, &v);
	}
	vlapic_tsc_deadline_read(lapic);
}

static void run_lapic(const u8 *rec, size_t len)
{
	static struct vlapic lapic;
	struct vlapic_wiring w = { .clock = &clock };
	int vector;

	vlapic_init(&lapic, 0, true, &w);
	if (!fuzz_load(lapic_load, &lapic, &lapic.state, sizeof(lapic.state), rec, len))
		return;
	lapic_read_all(&lapic);
	lapic_serve(&lapic);
	for (unsigned i = 0; i < 3; i++) {
		vector = vlapic_pending(&lapic);
		fuzz_assert(vector >= -1 && vector <= 0xff);
		if (vector >= 0)
			vlapic_ack(&lapic, (u8)vector);
		vlapic_mmio_write(&lapic, 0xb0, 4, 0);
		vlapic_msr_write(&lapic, MSR_IA32_X2APIC_BASE + 0x0b, 0);
	}
	vlapic_mmio_write(&lapic, 0x3e0, 4, 0x0a);		/* divide by 128 */
	vlapic_msr_write(&lapic, MSR_IA32_X2APIC_BASE + 0x3e, 0x0a);
	vlapic_set_irq(&lapic, 0x41, true);
	lapic_serve(&lapic);
	lapic_read_all(&lapic);
}

static int pm_load(void *d, const void *b, size_t n, bool a, const char **w)
{
	return acpi_pm_load(d, b, n, a, w);
}

static void run_pm(const u8 *rec, size_t len)
{
	static struct acpi_pm pm;
	struct acpi_pm_wiring w = { .sci = irq, .clock = &clock };
	u64 due;

	acpi_pm_init(&pm, &w);
	if (!fuzz_load(pm_load, &pm, &pm.state, sizeof(pm.state), rec, len))
		return;
	acpi_pm_io_ops.read(&pm, 0, 8);
	acpi_pm_io_ops.read(&pm, 8, 4);
	due = acpi_pm_next_deadline(&pm);
	if (servable(due)) {
		host_ns = due;
		acpi_pm_advance(&pm, due);
		due = acpi_pm_next_deadline(&pm);
		fuzz_assert(due == UINT64_MAX || due > host_ns);
	}
	acpi_pm_io_ops.write(&pm, 0, 4, 0xffff0101);	/* clear status, enable */
	acpi_pm_power_button(&pm);
	acpi_pm_io_ops.read(&pm, 0, 8);
}

static int host_load(void *d, const void *b, size_t n, bool a, const char **w)
{
	return pci_host_load(d, b, n, a, w);
}

static void run_pci(const u8 *rec, size_t len)
{
	static struct pci_host host;

	pci_host_init(&host);
	if (!fuzz_load(host_load, &host, &host.state, sizeof(host.state), rec, len))
		return;
	for (unsigned lane = 0; lane < 4; lane++)
		pci_host_io_ops.read(&host, 4 + lane, 1);	/* where CONFIG_ADDRESS points */
	pci_host_io_ops.write(&host, 4, 4, 0xffffffff);
	for (unsigned reg = 0; reg < PCI_CFG_SIZE; reg += 4) {
		pci_host_io_ops.write(&host, 0, 4, 0x80000000u | reg);
		pci_host_io_ops.read(&host, 4, 4);
	}
	fuzz_assert(pci_cfg_get(&host.state.bridge, PCI_VENDOR_ID, 2) == 0x8086);
}

/* --- the virtio models: a disk and a NIC on the PCI transport ---------------- */

/* The guests' RAM, [0, GUEST_RAM): rings and buffers, whatever a record says. */
#define GUEST_RAM	(64 * 1024)
#define VP_BAR0		0xfebf0000ull
#define VP_RING(q)	(0x1000u + 0x1000u * (q))	/* descriptor table; avail +0x400, used +0x800 */

static u8 guest_ram[GUEST_RAM];

static int ram_read(void *ctx, u64 gpa, void *buf, size_t len)
{
	if (gpa > GUEST_RAM || len > GUEST_RAM - gpa)
		return -EFAULT;
	memcpy(buf, guest_ram + gpa, len);
	return 0;
}

static int ram_write(void *ctx, u64 gpa, const void *buf, size_t len)
{
	if (gpa > GUEST_RAM || len > GUEST_RAM - gpa)
		return -EFAULT;
	memcpy(guest_ram + gpa, buf, len);
	return 0;
}

static void msi_send(void *ctx, u64 addr, u32 data) { }
static void bar_changed(void *ctx, u64 base, bool enabled) { }

static const struct guest_mem_ops guest_mem = { .read = ram_read, .write = ram_write };
static const struct virtio_pci_wiring vp_wiring = {
	.mem = &guest_mem, .msi = msi_send, .bar_changed = bar_changed, .intx = { .set = irq_set },
};

static struct {
	u8 image[8 * 512];
	struct blk_ram ram;
	struct blk_backend be;
	struct virtio_blk blk;
	struct virtio_pci vp;
} disk;

static struct {
	struct virtio_net net;
	struct virtio_pci vp;
} nic;

static const u8 nic_mac[ETH_ALEN] = { 0x52, 0x54, 0, 0, 0, 1 };

static void disk_init(void)
{
	memset(guest_ram, 0, sizeof(guest_ram));
	blk_ram_init(&disk.ram, &disk.be, disk.image, sizeof(disk.image), false);
	virtio_blk_init(&disk.blk, &disk.be, "fuzz");
	virtio_pci_init(&disk.vp, virtio_blk_ops(&disk.blk), &disk.blk, VP_BAR0, &vp_wiring);
	virtio_blk_attach(&disk.blk, &disk.vp);
}

static void nic_init(void)
{
	memset(guest_ram, 0, sizeof(guest_ram));
	virtio_net_init(&nic.net, nic_mac);
	virtio_pci_init(&nic.vp, virtio_net_ops(&nic.net), &nic.net, VP_BAR0, &vp_wiring);
	virtio_net_attach(&nic.net, &nic.vp);
	virtio_net_set_link(&nic.net, true);
}

static void bar_w(struct virtio_pci *vp, u64 off, unsigned size, u64 val)
{
	virtio_pci_bar_ops.write(vp, off, size, val);
}

static void cfg_w(struct virtio_pci *vp, unsigned reg, u32 val, u32 lanes)
{
	virtio_pci_cfg_ops.cfg_write(vp, reg, val, lanes);
}

/* What a driver does (virtio 1.2 3.1.1): bus master, VERSION_1, nq queues
 * of 16 in guest RAM with vector q+1, MSI-X on with vector 1 masked,
 * DRIVER_OK. */
static void vp_driver(struct virtio_pci *vp, unsigned nq)
{
	cfg_w(vp, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 0xffff);
	bar_w(vp, 0x14, 1, 3);
	bar_w(vp, 0x08, 4, 1);
	bar_w(vp, 0x0c, 4, 1);
	bar_w(vp, 0x14, 1, 0x0b);
	for (unsigned q = 0; q < nq; q++) {
		bar_w(vp, 0x16, 2, q);
		bar_w(vp, 0x18, 2, 16);
		bar_w(vp, 0x20, 8, VP_RING(q));
		bar_w(vp, 0x28, 8, VP_RING(q) + 0x400);
		bar_w(vp, 0x30, 8, VP_RING(q) + 0x800);
		bar_w(vp, 0x1a, 2, q + 1);
		bar_w(vp, 0x1c, 2, 1);
	}
	for (unsigned v = 0; v <= nq; v++) {
		bar_w(vp, VIRTIO_PCI_MSIX_TABLE + 16 * v, 4, 0xfee00000);
		bar_w(vp, VIRTIO_PCI_MSIX_TABLE + 16 * v + 8, 4, 0x30 + v);
		bar_w(vp, VIRTIO_PCI_MSIX_TABLE + 16 * v + 12, 4, v == 1);
	}
	cfg_w(vp, 0x40, (u32)PCI_MSIX_CTRL_ENABLE << 16, 0xffff0000);
	bar_w(vp, 0x10, 2, 0);
	bar_w(vp, 0x14, 1, 0x0f);
}

/*
 * Every register a driver can reach, each queue selected in turn, every
 * queue kicked and interrupted, MSI-X and INTx switched, and a reset.
 * Afterwards the pending bits are still only the table's.
 */
static void vp_drive(struct virtio_pci *vp)
{
	for (unsigned q = 0; q <= VIRTIO_PCI_MAX_QUEUES; q++) {
		bar_w(vp, 0x16, 2, q);
		for (unsigned off = 0; off < 0x38; off++)
			for (unsigned size = 1; size <= 8; size *= 2)
				virtio_pci_bar_ops.read(vp, off, size);
		bar_w(vp, VIRTIO_PCI_NOTIFY + VIRTIO_PCI_NOTIFY_MULT * q, 2, q);
		virtio_pci_used(vp, q);
	}
	virtio_pci_config_changed(vp);
	virtio_pci_bar_ops.read(vp, VIRTIO_PCI_ISR, 1);
	for (unsigned off = 0; off < 16 * PCI_MSIX_MAX_VECTORS + 16; off += 4)
		virtio_pci_bar_ops.read(vp, VIRTIO_PCI_MSIX_TABLE + off, 4);
	virtio_pci_bar_ops.read(vp, VIRTIO_PCI_MSIX_PBA, 8);
	for (unsigned reg = 0; reg < PCI_CFG_SIZE; reg += 4)
		virtio_pci_cfg_ops.cfg_read(vp, reg);
	cfg_w(vp, 0x40, (u32)PCI_MSIX_CTRL_FMASK << 16, 0xffff0000);	/* MSI-X off: INTx */
	virtio_pci_used(vp, 0);
	cfg_w(vp, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE, 0xffff);
	cfg_w(vp, 0x40, (u32)PCI_MSIX_CTRL_ENABLE << 16, 0xffff0000);
	fuzz_assert(!(vp->msix.state.pba >> vp->msix.state.nvectors));
	bar_w(vp, 0x14, 1, 0);
}

static int vp_load(void *d, const void *b, size_t n, bool a, const char **w)
{
	return virtio_pci_load(d, b, n, a, w);
}

/* A transport record into the disk's transport; the rings are whatever
 * the record's bytes make of guest RAM. */
static void run_vpci(const u8 *rec, size_t len)
{
	disk_init();
	memcpy(guest_ram, rec, MIN(len, sizeof(guest_ram)));
	if (!fuzz_load(vp_load, &disk.vp, &disk.vp, offsetof(struct virtio_pci, wiring), rec, len))
		return;
	vp_drive(&disk.vp);
}

static int blk_load(void *d, const void *b, size_t n, bool a, const char **w)
{
	return virtio_blk_load(d, b, n, a, w);
}

/* A disk record into a disk whose driver set it up. */
static void run_vblk(const u8 *rec, size_t len)
{
	disk_init();
	vp_driver(&disk.vp, 1);
	if (!fuzz_load(blk_load, &disk.blk, &disk.blk.state, sizeof(disk.blk.state), rec, len))
		return;
	vp_drive(&disk.vp);
}

static int net_load(void *d, const void *b, size_t n, bool a, const char **w)
{
	return virtio_net_load(d, b, n, a, w);
}

/* A NIC record into a NIC whose driver set it up; a frame arrives, the
 * cable goes out and in. */
static void run_vnet(const u8 *rec, size_t len)
{
	u8 frame[60] = { 0x52, 0x54, 0, 0, 0, 1, 0x02 };

	nic_init();
	vp_driver(&nic.vp, 2);
	if (!fuzz_load(net_load, &nic.net, &nic.net.state, sizeof(nic.net.state), rec, len))
		return;
	nic.net.wiring.port.deliver(nic.net.wiring.port.ctx, frame, sizeof(frame));
	virtio_net_set_link(&nic.net, false);
	virtio_net_set_link(&nic.net, true);
	vp_drive(&nic.vp);
	fuzz_assert(nic.net.backlog.count <= VIRTIO_NET_BACKLOG);
}

/* The drivers by model index, the input's first byte. */
static void (*const runs[])(const u8 *rec, size_t len) = {
	run_uart, run_pit, run_pic, run_rtc, run_ioapic, run_lapic, run_pm, run_pci,
	run_vpci, run_vblk, run_vnet,
};

/* --- seeds: each model fresh, and programmed through its registers ---------- */

static int seed_uart(bool busy, u8 *buf, size_t len)
{
	struct ns16550 uart;

	ns16550_init(&uart, NULL, NULL, &irq);
	if (busy) {
		ns16550_write(&uart, 2, 0x89);		/* FIFOs, trigger 8 */
		ns16550_write(&uart, 1, 0x0f);
		for (unsigned i = 0; i < 5; i++)
			ns16550_rx_push(&uart, 'a' + i);
		ns16550_read(&uart, 0);
		ns16550_write(&uart, 4, 0x14);		/* loopback */
	}
	return ns16550_save(&uart, buf, len);
}

static int seed_pit(bool busy, u8 *buf, size_t len)
{
	struct i8254 pit;
	struct i8254_wiring w = { .irq0 = irq, .clock = &clock };
	static const u8 prog[][2] = {
		{ 3, 0x34 }, { 0, 0xe8 }, { 0, 0x03 },	/* channel 0: mode 2, 1000 */
		{ 3, 0x76 }, { 1, 0x00 }, { 1, 0x10 },	/* channel 1: mode 3, 4096 */
		{ 0, 0xf4 }, { 0, 0x01 },		/* channel 0: 500, pending */
		{ 3, 0x40 }, { 3, 0xe8 },		/* latches: count 1, status 2 */
		{ 3, 0xb0 }, { 2, 0x10 },		/* channel 2: mode 0, half a count */
	};

	i8254_init(&pit, &w);
	if (busy) {
		i8254_port61_write(&pit, 0x03);
		for (unsigned i = 0; i < ARRAY_SIZE(prog); i++) {
			host_ns += 100000;
			i8254_write(&pit, prog[i][0], prog[i][1]);
		}
		i8254_read(&pit, 1);
	}
	return i8254_save(&pit, buf, len);
}

static int seed_pic(bool busy, u8 *buf, size_t len)
{
	static const u8 init[][3] = {		/* chip, port, value: Linux's init_8259A */
		{ 0, 0, 0x11 }, { 0, 1, 0x30 }, { 0, 1, 0x04 }, { 0, 1, 0x01 },
		{ 1, 0, 0x11 }, { 1, 1, 0x38 }, { 1, 1, 0x02 }, { 1, 1, 0x01 },
		{ 0, 1, 0xf0 }, { 1, 1, 0x00 }, { 1, 0, 0xc4 }, { 0, 0, 0x0b },
	};
	struct i8259 pic;

	i8259_init(&pic, NULL, NULL);
	if (busy) {
		for (unsigned i = 0; i < ARRAY_SIZE(init); i++)
			i8259_write(&pic, init[i][0], init[i][1], init[i][2]);
		i8259_elcr_ops.write(&pic, 1, 1, 0x04);
		i8259_set_irq(&pic, 1, true);
		i8259_ack(&pic);
		i8259_set_irq(&pic, 10, true);
		i8259_set_irq(&pic, 3, true);
	}
	return i8259_save(&pic, buf, len);
}

static int seed_rtc(bool busy, u8 *buf, size_t len)
{
	static const u8 prog[][2] = {
		{ 0x01, 0x05 }, { 0x03, 0xc0 }, { 0x05, 0x00 }, { 0x0a, 0x2f }, { 0x0b, 0x72 },
		{ 0x40, 0x99 },
	};
	struct mc146818 rtc;
	struct mc146818_wiring w = { .irq = irq, .clock = &clock };

	mc146818_init(&rtc, 1700000000, &w);
	if (busy) {
		for (unsigned i = 0; i < ARRAY_SIZE(prog); i++) {
			mc146818_write(&rtc, 0, prog[i][0]);
			mc146818_write(&rtc, 1, prog[i][1]);
		}
		mc146818_advance(&rtc, host_ns + 600000000);
		mc146818_write(&rtc, 0, 0x80 | 0x0c);
	}
	return mc146818_save(&rtc, buf, len);
}

static int seed_ioapic(bool busy, u8 *buf, size_t len)
{
	static const u32 prog[][2] = {
		{ 0x00, 0x0a000000 }, { 0x13, 0x03000000 }, { 0x12, 0x0831 },	/* pin 1 */
		{ 0x22, 0xa049 }, { 0x24, 0x1814a }, { 0x19, 0 },	/* pins 9, 10 */
	};
	struct vioapic io;

	vioapic_init(&io, NULL);
	if (busy) {
		for (unsigned i = 0; i < ARRAY_SIZE(prog); i++) {
			vioapic_mmio_write(&io, 0x00, 4, prog[i][0]);
			vioapic_mmio_write(&io, 0x10, 4, prog[i][1]);
		}
		vioapic_set_irq(&io, 10, true);
		vioapic_set_irq(&io, 12, true);
	}
	return vioapic_save(&io, buf, len);
}

static int seed_lapic(bool busy, u8 *buf, size_t len)
{
	static const u32 prog[][2] = {
		{ 0x0f, 0x1ff }, { 0x08, 0x20 }, { 0x35, 0x700 }, { 0x36, 0x400 },
		{ 0x3e, 0x01 }, { 0x32, 0x200ec }, { 0x38, 1000 }, { 0x3f, 0x05 },
	};
	struct vlapic lapic;
	struct vlapic_wiring w = { .clock = &clock };

	vlapic_init(&lapic, 0, true, &w);
	if (busy) {
		vlapic_apic_base_write(&lapic, VLAPIC_BASE | BIT(11) | BIT(10));
		for (unsigned i = 0; i < ARRAY_SIZE(prog); i++)
			vlapic_msr_write(&lapic, MSR_IA32_X2APIC_BASE + prog[i][0], prog[i][1]);
		vlapic_set_irq(&lapic, 0x90, false);
		vlapic_ack(&lapic, 0x90);
		vlapic_set_irq(&lapic, 0x45, true);
		vlapic_advance(&lapic, host_ns + 2500);
	}
	return vlapic_save(&lapic, buf, len);
}

static int seed_pm(bool busy, u8 *buf, size_t len)
{
	struct acpi_pm pm;
	struct acpi_pm_wiring w = { .sci = irq, .clock = &clock };

	acpi_pm_init(&pm, &w);
	if (busy) {
		acpi_pm_io_ops.write(&pm, 2, 2, 0x0101);
		acpi_pm_io_ops.write(&pm, 4, 2, 0x2c02);	/* SLP_TYP 3, refused */
		acpi_pm_advance(&pm, host_ns + 700 * NSEC_PER_SEC);
		acpi_pm_power_button(&pm);
	}
	return acpi_pm_save(&pm, buf, len);
}

static int seed_pci(bool busy, u8 *buf, size_t len)
{
	static struct pci_host host;

	pci_host_init(&host);
	if (busy) {
		pci_host_io_ops.write(&host, 0, 4, 0x80000004);
		pci_host_io_ops.write(&host, 4, 2, 0x0105);
		pci_host_io_ops.write(&host, 0, 4, 0x80001900 | 0x3c);
	}
	return pci_host_save(&host, buf, len);
}

/* A GET_ID request as virtio-blk's next available entry on queue 0. */
static void blk_request(void)
{
	static const u8 desc[3][16] = {
		{ 0x00, 0x30, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 1, 0, 1, 0 },	/* header, NEXT */
		{ 0x00, 0x31, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0, 3, 0, 2, 0 },	/* id, NEXT|WRITE */
		{ 0x00, 0x32, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0 },	/* status, WRITE */
	};
	u16 idx;

	memcpy(guest_ram + VP_RING(0), desc, sizeof(desc));
	guest_ram[0x3000] = VIRTIO_BLK_T_GET_ID;
	memcpy(&idx, guest_ram + VP_RING(0) + 0x402, 2);
	guest_ram[VP_RING(0) + 0x404 + 2 * (idx % 16)] = 0;
	idx++;
	memcpy(guest_ram + VP_RING(0) + 0x402, &idx, 2);
}

/* The disk's transport: fresh, or set up, a request served, vector 1
 * pending behind its mask, the queue selector left past the queues. */
static int seed_vpci(bool busy, u8 *buf, size_t len)
{
	disk_init();
	if (busy) {
		vp_driver(&disk.vp, 1);
		blk_request();
		bar_w(&disk.vp, VIRTIO_PCI_NOTIFY, 2, 0);
		bar_w(&disk.vp, 0x16, 2, 5);
	}
	return virtio_pci_save(&disk.vp, buf, len);
}

static int seed_vblk(bool busy, u8 *buf, size_t len)
{
	disk_init();
	if (busy) {
		vp_driver(&disk.vp, 1);
		blk_request();
		bar_w(&disk.vp, VIRTIO_PCI_NOTIFY, 2, 0);
		blk_request();
		guest_ram[VP_RING(0) + 8] = 4;		/* header cut to 4 bytes: failed */
		bar_w(&disk.vp, VIRTIO_PCI_NOTIFY, 2, 0);
	}
	return virtio_blk_save(&disk.blk, buf, len);
}

static int seed_vnet(bool busy, u8 *buf, size_t len)
{
	u8 frame[60] = { 0x52, 0x54, 0, 0, 0, 1, 0x02 };

	nic_init();
	if (busy) {
		vp_driver(&nic.vp, 2);
		nic.net.wiring.port.deliver(nic.net.wiring.port.ctx, frame, sizeof(frame));
		virtio_net_set_link(&nic.net, false);
	}
	return virtio_net_save(&nic.net, buf, len);
}

/* Per model, in the order of runs[]. */
static int (*const seeds[])(bool busy, u8 *buf, size_t len) = {
	seed_uart, seed_pit, seed_pic, seed_rtc, seed_ioapic, seed_lapic, seed_pm, seed_pci,
	seed_vpci, seed_vblk, seed_vnet,
};

/* Each model's fresh and busy records as dir/MODEL-fresh and dir/MODEL-busy,
 * each file the model's index and the record; every one must be taken. */
static int seeds_write(const char *dir)
{
	static const char *const names[] = { "uart", "pit", "pic", "rtc", "ioapic", "lapic",
					     "pm", "pci", "vpci", "vblk", "vnet" };
	u8 rec[1 + 4096];
	char path[512];

	for (unsigned m = 0; m < ARRAY_SIZE(seeds); m++) {
		for (int busy = 0; busy < 2; busy++) {
			int n;
			FILE *f;

			host_ns = 1000 * NSEC_PER_SEC;
			rec[0] = (u8)m;
			n = seeds[m](busy, rec + 1, sizeof(rec) - 1);
			if (n > 0) {
				unsigned long before = accepted;

				runs[m](rec + 1, (size_t)n);
				fuzz_assert(accepted == before + 1);
			}
			snprintf(path, sizeof(path), "%s/%s-%s", dir, names[m], busy ? "busy" : "fresh");
			f = fopen(path, "wb");
			if (n < 0 || !f || fwrite(rec, 1, (size_t)n + 1, f) != (size_t)n + 1 || fclose(f))
				return -1;
		}
	}
	return 0;
}

/* --- the entry point ------------------------------------------------------------ */

STATIC_ASSERT(ARRAY_SIZE(runs) == ARRAY_SIZE(seeds), "a model without seeds");

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	if (size < 1)
		return 0;
	host_ns = 1000 * NSEC_PER_SEC;
	runs[data[0] % ARRAY_SIZE(runs)](data + 1, size - 1);
	return 0;
}

/* With FUZZ_SNAPSHOT_SEEDS=dir, write the seed corpus there and stop. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FUZZ_SNAPSHOT_SEEDS");

	if (!dir)
		return 0;
	exit(seeds_write(dir) ? 1 : 0);
}
