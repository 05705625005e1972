/* Switching the machine off at the end of a run (drivers/power.c). */
#ifndef KEEL_DRIVERS_POWER_H
#define KEEL_DRIVERS_POWER_H

#include "types.h"

/* How: a plain halt, ACPI S5, the Bochs shutdown port, QEMU's isa-debug-exit. */
enum shutdown_method { SHUTDOWN_HALT, SHUTDOWN_ACPI, SHUTDOWN_BOCHS, SHUTDOWN_QEMU };

__noreturn void power_off(enum shutdown_method how, int code);

#endif
