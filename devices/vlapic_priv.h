/*
 * What the two halves of the local APIC model share, after the Intel SDM
 * Vol 3 chapter 11: devices/vlapic.c (register map, interrupt acceptance
 * and priority, ICR, IA32_APIC_BASE) and devices/vlapic_timer.c (the
 * timer, 11.5.4). Internal to the model: nothing outside devices/ uses it.
 */
#ifndef KEEL_DEVICES_VLAPIC_PRIV_H
#define KEEL_DEVICES_VLAPIC_PRIV_H

#include "devices/vlapic.h"

/* Local vector table entries (Figure 11-8). */
#define LVT_VECTOR		0xffu
#define LVT_DM			(7u << 8)	/* delivery mode */
#define LVT_DS			BIT(12)	/* delivery status (read-only) */
#define LVT_POLARITY		BIT(13)	/* LINT0/1 */
#define LVT_REMOTE_IRR		BIT(14)	/* LINT0/1 (read-only) */
#define LVT_LEVEL		BIT(15)	/* LINT0/1 trigger mode */
#define LVT_MASKED		BIT(16)
#define LVT_TIMER_MODE		(3u << 17)	/* Table 11-2 */
#define LVT_TIMER_SHIFT		17

#define DCR_MASK		0x0bu	/* divide value in bits 3 and 1:0 (Figure 11-10) */

/* devices/vlapic.c, for the timer. */
bool vlapic_hw_enabled(const struct vlapic_state *s);
void vlapic_lvt_fire(struct vlapic *lapic, enum vlapic_lvt lvt);

/* devices/vlapic_timer.c, for the register writes and reads. */
u32 vlapic_timer_count(const struct vlapic_state *s, u64 now);
void vlapic_timer_initial_write(struct vlapic_state *s, u32 val, u64 now);
void vlapic_timer_dcr_write(struct vlapic_state *s, u32 val, u64 now);
void vlapic_timer_disarm(struct vlapic_state *s);
/* Refuse a record whose timer registers the timer could not be in. */
void vlapic_timer_check(struct snap *sn, const struct vlapic_state *s);

#endif
