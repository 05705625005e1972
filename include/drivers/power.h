/* Switching the machine off at the end of a run (drivers/power.c). */
#ifndef KEEL_DRIVERS_POWER_H
#define KEEL_DRIVERS_POWER_H

#include "vmm/config/cmdline.h"

__noreturn void power_off(enum shutdown_method how, int code);

#endif
