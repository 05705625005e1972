# The exit dispatcher and its handlers, over a real VM (guest RAM, platform devices).
UNIT_SRCS_exit := vmm/exit.c vmm/cpuid.c vmm/io.c vmm/msr.c vmm/cr.c vmm/hypercall.c \
	vmm/mmio.c vmm/guest_mem.c vmm/insn_decode.c vmm/insn_emulate.c vmm/vm.c vmm/io_bus.c \
	vmm/intr.c vmm/platform.c vmm/console.c vmm/vcpu_state.c \
	devices/ns16550.c devices/testdev.c devices/i8254.c devices/i8259.c devices/mc146818.c \
	devices/vlapic.c devices/vlapic_timer.c devices/vioapic.c devices/acpi_pm.c devices/pci_host.c \
	drivers/host_rtc.c lib/date.c mm/gpa_map.c mm/ept.c \
	vmm/virtio_vm.c devices/virtio_pci.c devices/virtqueue.c devices/virtio_blk.c devices/blk_ram.c \
	devices/virtio_net.c vmm/vswitch.c sched/policy_eevdf.c \
	lib/log.c lib/printf.c lib/string.c tests/unit/fake_mm.c tests/unit/fake_kernel.c
