# The local APIC model; log.c and friends for its relocation warning.
UNIT_SRCS_vlapic := devices/vlapic.c devices/vlapic_timer.c lib/log.c lib/printf.c lib/string.c tests/unit/fake_kernel.c
