/* The host console's input side: which VM gets what is typed (vmm/console.c). */
#ifndef KEEL_VMM_CONSOLE_H
#define KEEL_VMM_CONSOLE_H

struct vm;

void console_set_focus(struct vm *vm);
struct vm *console_focus(void);
/* The VM is going away: it loses the focus if it had it. */
void console_vm_gone(struct vm *vm);
/* Deliver host serial input to the focused VM; called by the scheduler. */
void console_poll(void);

#endif
