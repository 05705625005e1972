# The virtual CPUID over a fake host CPUID.
UNIT_SRCS_cpuid := vmm/cpuid.c tests/unit/fake_kernel.c
