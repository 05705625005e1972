# The Linux loader over a real VM (guest RAM, platform devices) and the real
# vmm/vcpu.c for the boot state; vcpu.c drags in cr.c and with it the exit
# path. The test stubs the few VMX instructions vcpu.c issues.
UNIT_SRCS_loader_linux := vmm/loader_linux.c vmm/loader_flat.c vmm/linux_boot.c \
	vmm/acpi_build.c vmm/aml.c vmm/vcpu.c \
	vmm/exit.c vmm/cpuid.c vmm/io.c vmm/msr.c vmm/cr.c vmm/hypercall.c \
	vmm/mmio.c vmm/guest_mem.c vmm/insn_decode.c vmm/insn_emulate.c vmm/vm.c vmm/io_bus.c \
	vmm/intr.c vmm/platform.c vmm/console.c \
	devices/ns16550.c devices/testdev.c devices/i8254.c devices/i8259.c devices/mc146818.c \
	devices/vlapic.c devices/vlapic_timer.c devices/vioapic.c devices/acpi_pm.c devices/pci_host.c \
	drivers/host_rtc.c lib/date.c mm/gpa_map.c mm/ept.c \
	lib/log.c lib/printf.c lib/string.c tests/unit/fake_mm.c tests/unit/fake_kernel.c
