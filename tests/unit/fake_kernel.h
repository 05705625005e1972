/*
 * Host-test fakes of kernel services that live outside the sources under
 * test: the console (captured so tests can assert log lines), panic, the
 * host's XCR0, the VMX capabilities, the VMCS dump and vCPU creation.
 */
#ifndef KEEL_FAKE_KERNEL_H
#define KEEL_FAKE_KERNEL_H

#include "types.h"

#define FAKE_CONSOLE_SIZE 65536

/* Everything console_write() received since the last reset, NUL-terminated. */
extern char fake_console[FAKE_CONSOLE_SIZE];
extern size_t fake_console_len;
void fake_console_reset(void);
/* How many times needle occurs in the captured console output. */
unsigned fake_console_count(const char *needle);

extern u64 fake_host_xcr0;		/* what fpu_host_xcr0() returns */
extern unsigned fake_vmcs_dumps;	/* calls of vmcs_dump_guest() */
extern unsigned fake_vcpus_live;	/* vcpu_create() minus vcpu_destroy() */

#endif
