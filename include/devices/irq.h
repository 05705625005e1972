/*
 * An interrupt line handed to a device model at creation. The model raises
 * and lowers it; what the line is wired to (PIC, IO-APIC, nothing) is the
 * VM's business, never the model's.
 */
#ifndef KEEL_DEVICES_IRQ_H
#define KEEL_DEVICES_IRQ_H

#include "types.h"

struct irq_line {
	void (*set)(void *ctx, unsigned line, bool level);
	void *ctx;
	unsigned line;
};

static inline void irq_line_set(const struct irq_line *irq, bool level)
{
	if (irq && irq->set)
		irq->set(irq->ctx, irq->line, level);
}

#endif
