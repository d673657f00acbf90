// SPDX-License-Identifier: GPL-2.0
/*
 * The i8254 PIT at ports 0x40-0x43, and port 0x61 (channel 2's gate and
 * output, the speaker). Its counters count at 1.193182 MHz in the guest's
 * TSC time, computed when read; nothing is connected to channel 0's
 * output (no interrupt controller for IRQ 0). A PC has one, and a kernel
 * probes it whether it uses it or not: Linux's early TSC calibration
 * polls channel 2's count for the most significant byte to change, and
 * with no PIT (a port reading 0xff) it would spin 50,000 times, two exits
 * each. Modes 0 (interrupt on terminal count), 2 (rate generator) and 3
 * (square wave) count as the datasheet says; the others count as mode 0;
 * BCD counting, the read-back status byte and a gate lowered in the
 * middle of a count are not modelled.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/math64.h>
#include "vmm.h"

#define PIT_GATE2	BIT(0)
#define PIT_SPEAKER	BIT(1)
#define PIT_REFRESH	BIT(4)
#define PIT_OUT2	BIT(5)
/* Port 0x61's refresh bit toggles every 15.085 us. */
#define PIT_REFRESH_HZ	66287

static u32 pit_reload(const struct vmm_pit_channel *ch)
{
	return ch->reload ?: 0x10000;
}

/* The count now, and the output. */
static u16 pit_count(struct vmm_vcpu *vcpu, struct vmm_pit_channel *ch,
		     bool *out)
{
	u32 reload = pit_reload(ch);
	u64 t;

	*out = false;
	if (!ch->loaded)
		return 0;
	t = vmm_ticks_since(vcpu, ch->start, VMM_PIT_HZ);
	switch (ch->mode) {
	case 2:
	case 6:
		t = do_div(t, reload);
		*out = t != reload - 1;
		return reload - t;
	case 3:
	case 7:
		t = do_div(t, reload);
		*out = t < reload / 2;
		return (reload - 2 * (t % (reload / 2 ?: 1))) & ~1U;
	default:
		*out = t >= reload;
		return reload - t;
	}
}

static void pit_control(struct vmm_vcpu *vcpu, struct vmm_pit *pit, u8 v)
{
	unsigned int sel = v >> 6, i;
	struct vmm_pit_channel *ch;
	bool out;

	if (sel == 3) {
		/* Read-back: bit 5 clear latches the counts of bits 1-3. */
		for (i = 0; i < 3; i++) {
			ch = &pit->ch[i];
			if (!(v & BIT(5)) && (v & BIT(i + 1)) && !ch->latched) {
				ch->latch = pit_count(vcpu, ch, &out);
				ch->latched = true;
			}
		}
		return;
	}
	ch = &pit->ch[sel];
	if (!((v >> 4) & 3)) {
		/* Counter latch command. */
		if (!ch->latched) {
			ch->latch = pit_count(vcpu, ch, &out);
			ch->latched = true;
		}
		return;
	}
	ch->rw = (v >> 4) & 3;
	ch->mode = (v >> 1) & 7;
	ch->write_msb = false;
	ch->read_msb = false;
	ch->latched = false;
	ch->loaded = false;
}

static void pit_write(struct vmm_vcpu *vcpu, struct vmm_pit_channel *ch, u8 v)
{
	switch (ch->rw) {
	case 1:
		ch->reload = v;
		break;
	case 2:
		ch->reload = v << 8;
		break;
	default:
		if (!ch->write_msb) {
			ch->reload = (ch->reload & 0xff00) | v;
			ch->write_msb = true;
			return;
		}
		ch->reload = (ch->reload & 0xff) | (v << 8);
		ch->write_msb = false;
		break;
	}
	ch->start = vmm_guest_tsc(vcpu);
	ch->loaded = true;
}

static u8 pit_read(struct vmm_vcpu *vcpu, struct vmm_pit_channel *ch)
{
	bool out, msb;
	u16 count;

	count = ch->latched ? ch->latch : pit_count(vcpu, ch, &out);
	msb = ch->rw == 2 || (ch->rw == 3 && ch->read_msb);
	if (ch->rw == 3)
		ch->read_msb = !ch->read_msb;
	/* A latch holds until it has been read whole. */
	if (ch->rw != 3 || !ch->read_msb)
		ch->latched = false;
	return msb ? count >> 8 : count;
}

void vmm_pit_io(struct vmm_vcpu *vcpu, u16 offset, u8 size, bool in, u32 *val)
{
	struct vmm_pit *pit = &vcpu->vm->pit;

	if (offset == 3) {
		if (in)
			*val = ~0U;	/* the control word is write-only */
		else
			pit_control(vcpu, pit, *val);
		return;
	}
	if (in)
		*val = pit_read(vcpu, &pit->ch[offset]);
	else
		pit_write(vcpu, &pit->ch[offset], *val);
}

/* Port 0x61: channel 2's gate and the speaker; its output; refresh. */
void vmm_port61_io(struct vmm_vcpu *vcpu, u16 offset, u8 size, bool in,
		   u32 *val)
{
	struct vmm_pit *pit = &vcpu->vm->pit;
	bool out;

	if (!in) {
		pit->port61 = *val & (PIT_GATE2 | PIT_SPEAKER);
		return;
	}
	pit_count(vcpu, &pit->ch[2], &out);
	*val = pit->port61 | (out ? PIT_OUT2 : 0) |
	       ((vmm_ticks_since(vcpu, 0, PIT_REFRESH_HZ) & 1) ? PIT_REFRESH : 0);
}
