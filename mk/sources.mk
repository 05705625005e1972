# Named source lists, each written once, for the builds that compile parts
# of Keel on the host: keel-check, the UEFI loader, unit tests and fuzz
# targets. (The kernel takes every file of its folders: mk/kernel.mk.)

# Formatting and strings, and the log on top of them.
SRC_FMT  := lib/printf.c lib/string.c
SRC_LOG  := lib/log.c $(SRC_FMT)

# keel.toml: the TOML reader and the schema (Keel, keel-check, the UEFI loader).
SRC_TOML   := lib/toml.c lib/toml_value.c
SRC_CONFIG := $(SRC_TOML) vmm/config/config.c vmm/config/config_keys.c $(SRC_FMT)

# The host's ACPI tables (MADT, FADT, the DSDT's \_S5).
SRC_HOST_ACPI := drivers/acpi.c drivers/acpi_aml.c drivers/acpi_madt.c

# Boot information.
SRC_BOOTINFO := boot/multiboot2.c boot/mmap.c

# The guest's ACPI tables and their AML.
SRC_ACPI_BUILD := vmm/machine/acpi_build.c vmm/machine/aml.c

# The PC chips' models with their state records, then everything a VM's
# platform adds: Keel's test device and the host RTC the guests' clocks start from.
SRC_PC_MODELS  := devices/snapshot.c devices/ns16550.c devices/i8254.c devices/i8259.c \
	devices/mc146818.c lib/date.c devices/vioapic.c devices/vlapic.c devices/vlapic_timer.c \
	devices/acpi_pm.c devices/pci_host.c
SRC_PC_DEVICES := $(SRC_PC_MODELS) devices/testdev.c drivers/host_rtc.c

# MSI-X for the PCI functions (the MSI message format, pci_msi.h, is header only).
SRC_PCI_MSIX := devices/pci_msix.c

# virtio: the split virtqueue, the PCI transport, blk and net with their backends.
SRC_VIRTQUEUE := devices/virtqueue.c
SRC_VIRTIO_PCI := devices/virtio_pci.c devices/virtio_pci_state.c $(SRC_PCI_MSIX)
SRC_VIRTIO    := $(SRC_VIRTQUEUE) $(SRC_VIRTIO_PCI) devices/virtio_blk.c \
	devices/virtio_net.c devices/backend/blk_ram.c devices/backend/vswitch.c

# Instruction decode and emulate (MMIO).
SRC_EMUL := vmm/emul/insn_decode.c vmm/emul/insn_emulate.c

# The Linux boot protocol, pure.
SRC_LINUX_BOOT := vmm/loader/linux_boot.c

# Guest-physical memory: the map and its EPT.
SRC_GPA := mm/gpa_map.c mm/ept.c

# The whole VMM above the hardware seam, for the host tests of tests/vm/:
# VMs and vCPUs, exits, the machine, the devices, the scheduling policy.
SRC_VMM := vmm/exit/exit.c vmm/exit/cpuid.c vmm/exit/io.c vmm/exit/msr.c vmm/exit/cr.c \
	vmm/exit/hypercall.c vmm/exit/mmio.c vmm/core/guest_mem.c vmm/core/vm.c \
	vmm/core/io_bus.c vmm/core/intr.c vmm/core/vcpu_state.c vmm/core/devices.c \
	vmm/machine/platform.c vmm/machine/apic_bus.c vmm/machine/layout.c \
	vmm/machine/virtio_vm.c vmm/mgmt/console.c arch/x86_64/vmx/msr_bitmap.c \
	$(SRC_EMUL) $(SRC_PC_DEVICES) $(SRC_VIRTIO) $(SRC_GPA) sched/policy_eevdf.c $(SRC_LOG)
