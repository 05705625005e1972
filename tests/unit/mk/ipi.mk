# IPIs, INIT/SIPI, NMIs and HLT in a VM of several vCPUs (vmm/platform.c,
# vmm/vcpu_state.c, vmm/intr.c, vmm/exit.c), over the exit tests' real VM.
UNIT_SRCS_ipi = $(UNIT_SRCS_exit)
