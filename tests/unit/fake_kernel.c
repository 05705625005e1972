/*
 * Host-test fakes of kernel services (see fake_kernel.h). The definitions a
 * test might also get from a real source (vmx_caps, vCPU creation, the VMCS
 * dump, the host XCR0) are weak, so linking that source overrides them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fake_kernel.h"
#include "arch/smp.h"
#include "lib/log.h"
#include "arch/vmx.h"
#include "arch/cpu.h"
#include "vmm/core/vcpu_setup.h"

char fake_console[FAKE_CONSOLE_SIZE];
size_t fake_console_len;
u64 fake_host_xcr0 = 0x7;	/* x87, SSE, AVX */
unsigned fake_vmcs_dumps;
unsigned fake_vcpus_live;

void fake_console_reset(void)
{
	fake_console_len = 0;
	fake_console[0] = 0;
}

/* Captured; echoed to stderr too when KEEL_TEST_CONSOLE is set, to see
 * what a failing test logged. */
void console_write(const char *s, size_t len)
{
	size_t room = FAKE_CONSOLE_SIZE - 1 - fake_console_len;
	size_t n = len < room ? len : room;

	memcpy(fake_console + fake_console_len, s, n);
	fake_console_len += n;
	fake_console[fake_console_len] = 0;
	if (getenv("KEEL_TEST_CONSOLE"))
		fprintf(stderr, "console: %.*s", (int)len, s);
}

unsigned fake_console_count(const char *needle)
{
	unsigned n = 0;

	for (const char *p = fake_console; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

void panic(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "PANIC: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

__attribute__((weak)) struct vmx_caps vmx_caps;

__attribute__((weak)) u64 fpu_host_xcr0(void)
{
	return fake_host_xcr0;
}

__attribute__((weak)) void vmcs_dump_guest(void)
{
	fake_vmcs_dumps++;
}

/* A vCPU without a VMCS: the tests drive the one fake VMCS directly. */
__attribute__((weak)) struct vcpu *vcpu_create(struct vm *vm, unsigned id)
{
	struct vcpu *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->vm = vm;
	v->id = id;
	v->state = VCPU_RUNNABLE;
	fake_vcpus_live++;
	return v;
}

__attribute__((weak)) void vcpu_destroy(struct vcpu *v)
{
	if (!v)
		return;
	fake_vcpus_live--;
	free(v);
}

/* One CPU, whose current vCPU a test may set. */
__attribute__((weak)) struct percpu fake_percpu;

__attribute__((weak)) struct percpu *this_cpu(void)
{
	return &fake_percpu;
}

/* SMP: one CPU; kicks are counted, never sent. */
__attribute__((weak)) struct percpu percpus[KEEL_MAX_CPUS];
__attribute__((weak)) unsigned cpu_count = 1;
__attribute__((weak)) unsigned fake_kicks;

__attribute__((weak)) void smp_kick(unsigned cpu)
{
	fake_kicks++;
}

/* The host serial console receives nothing unless a test queues bytes. */
__attribute__((weak)) int fake_uart_rx = -1;

__attribute__((weak)) int uart_getc(void)
{
	int ch = fake_uart_rx;

	fake_uart_rx = -1;
	return ch;
}
