# Interrupt delivery (vmm/intr.c) and the platform's wiring and timers
# (vmm/platform.c), over the same VM with all its devices as the exit tests.
UNIT_SRCS_intr = $(UNIT_SRCS_exit)
