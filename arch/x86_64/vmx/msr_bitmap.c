/*
 * The MSR bitmap's layout (SDM Vol 3 25.6.9): one 4 KiB page in four
 * 1 KiB quarters, read-low, read-high, write-low, write-high. Low MSRs
 * are 0-0x1fff, high ones 0xc0000000-0xc0001fff; an access to an MSR
 * outside both always exits. Bit set = the access exits. Pure: host-tested.
 */
#include "arch/vmx.h"

#define MSR_LOW_LAST	0x1fffu
#define MSR_HIGH_FIRST	0xc0000000u
#define MSR_HIGH_LAST	0xc0001fffu

static bool msr_in_bitmap(u32 msr)
{
	return msr <= MSR_LOW_LAST || (msr >= MSR_HIGH_FIRST && msr <= MSR_HIGH_LAST);
}

/* The byte holding msr's bit for reads (the write byte is 2 KiB further). */
static unsigned msr_bitmap_byte(u32 msr)
{
	return (msr >= MSR_HIGH_FIRST ? 1024 : 0) + (msr & 0x1fff) / 8;
}

void vmx_msr_bitmap_set(u8 *bitmap, u32 msr, bool read, bool write)
{
	u8 bit = (u8)(1u << (msr & 7));
	u8 *r, *w;

	if (!msr_in_bitmap(msr))
		return;
	r = &bitmap[msr_bitmap_byte(msr)];
	w = r + 2048;
	*r = read ? (*r | bit) : (*r & ~bit);
	*w = write ? (*w | bit) : (*w & ~bit);
}

bool vmx_msr_bitmap_exits(const u8 *bitmap, u32 msr, bool write)
{
	if (!msr_in_bitmap(msr))
		return true;
	return bitmap[msr_bitmap_byte(msr) + (write ? 2048 : 0)] & (1u << (msr & 7));
}
