/*
 * Power-off for the end of a run: ACPI S5 on real machines, the Bochs
 * shutdown port (0x8900, "Shutdown") and QEMU's isa-debug-exit device in
 * the emulators, or a plain halt. Whatever happens, the serial line is
 * drained first so the last log line is not lost.
 */
#include "drivers/power.h"
#include "drivers/acpi.h"
#include "drivers/uart.h"
#include "arch/hw.h"
#include "arch/cpu.h"
#include "lib/log.h"

#define BOCHS_SHUTDOWN_PORT 0x8900
#define QEMU_DEBUG_EXIT_PORT 0xf4

void power_off(enum shutdown_method how, int code)
{
	static const char *const names[] = { "halt", "acpi", "bochs", "qemu" };
	const char *s = "Shutdown";

	log_info("keel: shutdown (%s)", names[how]);
	uart_flush();
	switch (how) {
	case SHUTDOWN_ACPI:
		acpi_poweroff();
		log_err("keel: ACPI power-off failed; halting");
		uart_flush();
		break;
	case SHUTDOWN_BOCHS:
		while (*s)
			outb(BOCHS_SHUTDOWN_PORT, (u8)*s++);
		break;
	case SHUTDOWN_QEMU:
		outl(QEMU_DEBUG_EXIT_PORT, (u32)code);
		break;
	case SHUTDOWN_HALT:
		break;
	}
	cpu_halt_forever();
}
