// SPDX-License-Identifier: GPL-2.0
/*
 * The MC146818 CMOS RTC at ports 0x70 (index, bit 7 masks NMIs) and 0x71
 * (data). Its clock is the host's wall clock, read at each access, in BCD
 * or binary and 24-hour or 12-hour as register B says; an update is never
 * in progress (register A's UIP stays clear), and register D says the
 * time is valid. Writes to the clock are dropped (the guest does not set
 * the host's clock), no alarm or periodic interrupt is raised (no
 * interrupt line is connected), and the rest of the 128 bytes is NVRAM.
 * Without it Linux's boot would poll a UIP bit that reads as set for a
 * second, and find no time.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bcd.h>
#include <linux/mc146818rtc.h>
#include <linux/time64.h>
#include <linux/timekeeping.h>
#include "vmm.h"

static u8 rtc_clock(struct vmm_rtc *rtc, u8 index)
{
	bool bcd = !(rtc->cmos[RTC_CONTROL] & RTC_DM_BINARY);
	struct tm tm;
	int v;

	time64_to_tm(ktime_get_real_seconds(), 0, &tm);
	switch (index) {
	case RTC_SECONDS:
		v = tm.tm_sec;
		break;
	case RTC_MINUTES:
		v = tm.tm_min;
		break;
	case RTC_HOURS:
		v = tm.tm_hour;
		if (!(rtc->cmos[RTC_CONTROL] & RTC_24H)) {
			bool pm = v >= 12;

			v = v % 12 ?: 12;
			return (bcd ? bin2bcd(v) : v) | (pm ? 0x80 : 0);
		}
		break;
	case RTC_DAY_OF_WEEK:
		v = tm.tm_wday + 1;
		break;
	case RTC_DAY_OF_MONTH:
		v = tm.tm_mday;
		break;
	case RTC_MONTH:
		v = tm.tm_mon + 1;
		break;
	default:	/* RTC_YEAR */
		v = tm.tm_year % 100;
		break;
	}
	return bcd ? bin2bcd(v) : v;
}

void vmm_rtc_io(struct vmm_vcpu *vcpu, u16 offset, u8 size, bool in, u32 *val)
{
	struct vmm_rtc *rtc = &vcpu->vm->rtc;
	u8 index = rtc->index;

	if (offset == 0) {
		if (in)
			*val = ~0U;	/* the index register is write-only */
		else
			rtc->index = *val & 0x7f;
		return;
	}
	if (in) {
		switch (index) {
		case RTC_SECONDS ... RTC_YEAR:
			if (index == RTC_SECONDS_ALARM || index == RTC_MINUTES_ALARM ||
			    index == RTC_HOURS_ALARM)
				break;
			*val = rtc_clock(rtc, index);
			return;
		case RTC_FREQ_SELECT:
			*val = rtc->cmos[index] & ~RTC_UIP;
			return;
		case RTC_INTR_FLAGS:
			*val = 0;
			return;
		case RTC_VALID:
			*val = RTC_VRT;
			return;
		}
		*val = rtc->cmos[index];
		return;
	}
	switch (index) {
	case RTC_SECONDS ... RTC_YEAR:
		if (index == RTC_SECONDS_ALARM || index == RTC_MINUTES_ALARM ||
		    index == RTC_HOURS_ALARM)
			rtc->cmos[index] = *val;
		return;
	case RTC_INTR_FLAGS:
	case RTC_VALID:
		return;
	}
	rtc->cmos[index] = *val;
}

void vmm_rtc_init(struct vmm_rtc *rtc)
{
	memset(rtc, 0, sizeof(*rtc));
	/* 32.768 kHz time base, 1024 Hz rate; 24-hour BCD. */
	rtc->cmos[RTC_FREQ_SELECT] = 0x26;
	rtc->cmos[RTC_CONTROL] = RTC_24H;
}
