# The Linux loader over a real VM (guest RAM, platform devices) and the real
# vmm/vcpu.c for the boot state; vcpu.c drags in cr.c and with it the exit
# path (the exit tests' sources). The test stubs the few VMX instructions
# vcpu.c issues.
UNIT_SRCS_loader_linux = vmm/loader_linux.c vmm/loader_flat.c vmm/linux_boot.c \
	vmm/acpi_build.c vmm/aml.c vmm/vcpu.c $(UNIT_SRCS_exit)
