# The Linux loader over a real VM (guest RAM, platform devices): the exit
# tests' sources, which include vmm/vcpu_state.c for the boot state.
UNIT_SRCS_loader_linux = vmm/loader_linux.c vmm/loader_flat.c vmm/linux_boot.c \
	vmm/acpi_build.c vmm/aml.c $(UNIT_SRCS_exit)
