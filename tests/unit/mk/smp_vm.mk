# vcpu_kick/vm_stop across CPUs and the NIC inbox, over real VMs (the exit test's sources).
UNIT_SRCS_smp_vm = $(UNIT_SRCS_exit)
