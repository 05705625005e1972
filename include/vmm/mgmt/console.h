/*
 * The host console's input side (vmm/mgmt/console.c): what is typed on Keel's
 * serial port goes either to the management shell or to the one VM that
 * has the focus; Ctrl-] (CONSOLE_ESCAPE) takes it back from the VM.
 */
#ifndef KEEL_VMM_CONSOLE_H
#define KEEL_VMM_CONSOLE_H

#include "types.h"

#define CONSOLE_ESCAPE 0x1d	/* Ctrl-]: never passed to a guest */

struct vm;

/* Who gets the input while no VM has the focus: the shell (shell_vm.c
 * attaches it). input takes one byte; prompt says it has the console again. */
struct console_shell {
	void (*input)(void *ctx, u8 ch);
	void (*prompt)(void *ctx);
	void *ctx;
};

void console_attach_shell(const struct console_shell *sh);
/* Give the input to a VM, or to the shell (NULL); says so in one line. */
void console_set_focus(struct vm *vm);
struct vm *console_focus(void);
/* The VM is going away: it loses the focus if it had it. */
void console_vm_gone(struct vm *vm);
/* Read what the host UART received and deliver it; called by the
 * scheduler loop on the boot CPU (and by the shell when it runs alone). */
void console_poll(void);

#endif
