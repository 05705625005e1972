# Keel's command line.
UNIT_SRCS_cmdline := vmm/cmdline.c lib/log.c lib/printf.c lib/string.c tests/unit/fake_kernel.c
