# The exit dispatcher and its handlers, over a real VM (guest RAM, UART, test device).
UNIT_SRCS_exit := vmm/exit.c vmm/cpuid.c vmm/io.c vmm/msr.c vmm/cr.c vmm/hypercall.c \
	vmm/mmio.c vmm/guest_mem.c vmm/insn_decode.c vmm/insn_emulate.c vmm/vm.c vmm/io_bus.c \
	mm/gpa_map.c mm/ept.c devices/ns16550.c devices/testdev.c \
	lib/log.c lib/printf.c lib/string.c tests/unit/fake_mm.c tests/unit/fake_kernel.c
