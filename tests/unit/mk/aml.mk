# AML and resource-descriptor encoders of the VM DSDT builder.
UNIT_SRCS_aml := vmm/aml.c
