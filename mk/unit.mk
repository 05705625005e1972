# Host tests (cmocka, ASan/UBSan) against the fake hardware of tests/unit/:
#   tests/unit/DIR/test_NAME.c  one module (DIR mirrors the source tree)
#   tests/vm/test_NAME.c        the whole VMM over fake hardware
#   tests/efi/test_NAME.c       the UEFI loader against a fake firmware
# Each test's sources are one line of the table below; a test file without
# a line there is an error. Binaries go to build/tests/, and tools/run-unit.sh
# runs each under a timeout.

FAKE_HW     := tests/unit/fake_hw.c
FAKE_KERNEL := tests/unit/fake_kernel.c	# log, percpu, locks, kicks
FAKE_MM     := tests/unit/fake_mm.c		# page_alloc/kmalloc over malloc

# --- the table: test -> sources under test -------------------------------------
srcs.unit/arch/x86_64/vmx/test_msr_bitmap := arch/x86_64/vmx/msr_bitmap.c
srcs.unit/boot/test_boot_mmap     := boot/mmap.c
srcs.unit/boot/test_multiboot2    := $(SRC_BOOTINFO)
srcs.unit/devices/test_acpi_pm    := devices/acpi_pm.c devices/snapshot.c $(SRC_LOG)
srcs.unit/devices/test_i8254      := devices/i8254.c devices/snapshot.c
srcs.unit/devices/test_i8259      := devices/i8259.c devices/snapshot.c
srcs.unit/devices/test_mc146818   := devices/mc146818.c lib/date.c devices/snapshot.c
srcs.unit/devices/test_ns16550    := devices/ns16550.c devices/snapshot.c
srcs.unit/devices/test_pci_host   := devices/pci_host.c devices/snapshot.c
srcs.unit/devices/test_pci_msix   := $(SRC_PCI_MSIX) devices/pci_host.c devices/snapshot.c
srcs.unit/devices/test_vioapic    := devices/vioapic.c devices/snapshot.c
srcs.unit/devices/test_snapshot   := devices/snapshot.c
srcs.unit/devices/test_virtio_blk := devices/virtio_blk.c devices/backend/blk_ram.c $(SRC_VIRTQUEUE) \
	devices/snapshot.c
srcs.unit/devices/test_virtio_net := devices/virtio_net.c devices/backend/vswitch.c $(SRC_VIRTQUEUE) \
	devices/snapshot.c
srcs.unit/devices/test_virtio_pci := $(SRC_VIRTIO_PCI) devices/pci_host.c \
	devices/snapshot.c $(SRC_VIRTQUEUE) $(SRC_LOG) $(FAKE_KERNEL)
srcs.unit/devices/test_virtqueue  := $(SRC_VIRTQUEUE)
srcs.unit/devices/test_vlapic     := devices/vlapic.c devices/vlapic_timer.c devices/snapshot.c $(SRC_LOG) $(FAKE_KERNEL)
srcs.unit/devices/backend/test_vswitch := devices/backend/vswitch.c
srcs.unit/drivers/test_acpi       := $(SRC_HOST_ACPI)
srcs.unit/drivers/test_host_rtc   := drivers/host_rtc.c lib/date.c
srcs.unit/lib/test_date           := lib/date.c
srcs.unit/lib/test_printf         := $(SRC_FMT)
srcs.unit/lib/test_string         := lib/string.c
srcs.unit/lib/test_toml           := $(SRC_TOML) $(SRC_FMT)
srcs.unit/mm/test_ept             := mm/ept.c $(FAKE_MM)
srcs.unit/mm/test_frame           := mm/frame.c $(SRC_BOOTINFO)
srcs.unit/mm/test_gpa_map         := $(SRC_GPA) $(FAKE_MM)
srcs.unit/mm/test_heap            := mm/heap.c
srcs.unit/sched/test_policy       := sched/policy_eevdf.c
srcs.unit/sched/test_balance      := sched/balance.c sched/policy_eevdf.c
srcs.unit/vmm/config/test_cmdline := vmm/config/cmdline.c $(SRC_LOG) $(FAKE_KERNEL)
srcs.unit/vmm/config/test_config  := $(SRC_CONFIG)
srcs.unit/vmm/core/test_guest_mem := vmm/core/guest_mem.c $(SRC_GPA) $(FAKE_MM)
srcs.unit/vmm/core/test_io_bus    := vmm/core/io_bus.c
srcs.unit/vmm/emul/test_insn_decode := $(SRC_EMUL)
srcs.unit/vmm/exit/test_cpuid     := vmm/exit/cpuid.c $(FAKE_KERNEL)
srcs.unit/vmm/loader/test_linux_boot := $(SRC_LINUX_BOOT) vmm/machine/layout.c lib/printf.c
srcs.unit/vmm/machine/test_acpi_build := $(SRC_ACPI_BUILD) vmm/machine/layout.c $(SRC_HOST_ACPI)
srcs.unit/vmm/machine/test_aml    := vmm/machine/aml.c
srcs.unit/vmm/machine/test_layout := vmm/machine/layout.c
srcs.unit/vmm/mgmt/test_console   := vmm/mgmt/console.c devices/ns16550.c devices/snapshot.c $(SRC_LOG) $(FAKE_KERNEL)
srcs.unit/vmm/mgmt/test_shell     := vmm/mgmt/shell.c $(SRC_FMT)

WHOLE_VMM := $(SRC_VMM) $(FAKE_MM) $(FAKE_KERNEL)
srcs.vm/test_devices      := $(WHOLE_VMM)
srcs.vm/test_exit         := $(WHOLE_VMM)
srcs.vm/test_intr         := $(WHOLE_VMM)
srcs.vm/test_ipi          := $(WHOLE_VMM)
srcs.vm/test_smp_vm       := $(WHOLE_VMM)
srcs.vm/test_vcpu_run     := vmm/core/vcpu_run.c $(WHOLE_VMM)
srcs.vm/test_loader_linux := vmm/loader/loader_linux.c vmm/loader/loader_flat.c $(SRC_LINUX_BOOT) \
	$(SRC_ACPI_BUILD) $(WHOLE_VMM)

srcs.efi/test_mbi := boot/efi/mbi.c $(SRC_BOOTINFO)
# The loader's headers are gnu-efi's, with the firmware's calling convention.
$(BUILD)/host/tests/efi/%.o $(BUILD)/host/boot/efi/%.o: HOST_EXTRA := -DGNU_EFI_USE_MS_ABI \
	-I/usr/include/efi -I/usr/include/efi/x86_64 -Iboot/efi

# --- rules -----------------------------------------------------------------------
HOST_TESTS := $(patsubst tests/%.c,%,$(sort $(shell find tests/unit tests/vm tests/efi -name 'test_*.c')))
$(foreach t,$(HOST_TESTS),$(if $(filter undefined,$(origin srcs.$(t))),\
	$(error mk/unit.mk: tests/$(t).c has no line in the table)))
TEST_BINS := $(patsubst %,$(BUILD)/tests/%,$(HOST_TESTS))

$(TEST_BINS): $(BUILD)/tests/%: $$(call host_objs,tests/$$*.c $(FAKE_HW) $$(srcs.$$*))
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	@$(HOSTCC) $(SANITIZE) -o $@ $^ $(HOSTLIBS)

UNIT_TIMEOUT ?= 120
unit: check-deps $(TEST_BINS)
	@UNIT_TIMEOUT=$(UNIT_TIMEOUT) tools/run-unit.sh $(TEST_BINS)
