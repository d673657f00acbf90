// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC, in xAPIC mode (its registers in the 4 KiB page at
 * 0xfee00000, reached through MMIO that the VMM decodes) and in x2APIC
 * mode (MSRs 0x800-0x8ff; SDM Vol. 3A, 11.12). It comes out of reset as a
 * firmware leaves it: enabled, in xAPIC mode. A 6.1 kernel keeps x2APIC
 * without interrupt remapping only when it finds it enabled and no I/O
 * APIC set-up to do, but with an ACPI MADT it always plans for the I/O
 * APIC ("symmetric I/O"), then switches an enabled x2APIC back to xAPIC
 * (writing IA32_APIC_BASE: disabled, then xAPIC); so xAPIC it is, and
 * both modes and the transitions between them are here.
 *
 * What it does: interrupt requests and in-service bits with the task and
 * processor priorities, EOI, IPIs through the ICR (and the x2APIC SELF
 * IPI register), and the timer in TSC-deadline mode (the mode CPUID
 * offers): IA32_TSC_DEADLINE arms an hrtimer on the vCPU's CPU for the
 * host time at which the guest's TSC reaches the deadline; it fires as a
 * host interrupt, which takes the vCPU out of guest mode or wakes it from
 * HLT, and the vCPU turns it into the timer's vector. One-shot and
 * periodic modes count nothing (the initial count is stored, the current
 * count reads 0). LINT0, LINT1 and the other LVT entries are stored;
 * nothing drives them. Moving the xAPIC page is not offered.
 *
 * IPIs reach the vCPUs the ICR's destination names: its shorthand (self,
 * all, all but self), or a physical APIC ID or a logical destination
 * (flat or cluster model in xAPIC mode, cluster in x2APIC mode), 0xff
 * (0xffffffff) being everyone. Fixed and lowest-priority interrupts (the
 * latter to the first vCPU that matches) for another vCPU are set in its
 * @pir with an atomic bit operation and the vCPU is kicked
 * (vmm_vcpu_kick()): out of guest mode with the reschedule IPI, which
 * KVM's kvm_vcpu_kick() sends too, or woken from HLT; it moves them into
 * its IRR before its next entry. INIT makes an application processor
 * that waits for its start-up ready for one (INIT to a running vCPU is
 * not emulated), and the first start-up IPI after it starts the vCPU in
 * real mode at the vector's page (vcpu.c); later ones find it running and
 * do nothing, as on hardware. NMI, SMI and ExtINT IPIs are not offered:
 * counted and dropped.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/math64.h>
#include <linux/sched.h>
#include <asm/apicdef.h>
#include <asm/msr.h>
#include "vmm.h"

#define LAPIC_VERSION		0x14
#define LAPIC_LVT_COUNT		6		/* timer .. error */
#define LAPIC_BASE_BSP		BIT(8)
#define LAPIC_BASE_EXTD		BIT(10)
#define LAPIC_BASE_EN		BIT(11)

/* x2APIC MSR of an xAPIC register offset. */
#define X2(reg)			(APIC_BASE_MSR + ((reg) >> 4))

enum { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR };

#define LVT_MASKED		BIT(16)
#define LVT_TIMER_MODE		(3 << 17)
#define LVT_TIMER_DEADLINE	(2 << 17)

static bool lapic_x2apic(const struct vmm_lapic *l)
{
	return l->base & LAPIC_BASE_EXTD;
}

/* Globally enabled (IA32_APIC_BASE) and software-enabled (SVR). */
static bool lapic_enabled(const struct vmm_lapic *l)
{
	return (l->base & LAPIC_BASE_EN) && (l->svr & APIC_SPIV_APIC_ENABLED);
}

/* The highest vector set in a 256-bit register, or -1. */
static int lapic_highest(const u32 *reg)
{
	int i;

	for (i = 7; i >= 0; i--)
		if (reg[i])
			return i * 32 + __fls(reg[i]);
	return -1;
}

static void lapic_set(u32 *reg, int vector)
{
	reg[vector / 32] |= BIT(vector % 32);
}

static void lapic_clear(u32 *reg, int vector)
{
	reg[vector / 32] &= ~BIT(vector % 32);
}

/* PPR: the higher of TPR and the class of the highest vector in service. */
static u32 lapic_ppr(const struct vmm_lapic *l)
{
	int isr = lapic_highest(l->isr);
	u32 isrv = isr < 0 ? 0 : isr;

	if ((l->tpr & 0xf0) >= (isrv & 0xf0))
		return l->tpr & 0xff;
	return isrv & 0xf0;
}

/* A fixed interrupt for this APIC (vectors 0-15 are illegal: dropped). */
static void lapic_request(struct vmm_lapic *l, u32 vector)
{
	vector &= 0xff;
	if (vector < 16 || !lapic_enabled(l))
		return;
	lapic_set(l->irr, vector);
}

static void lapic_timer_cancel(struct vmm_lapic *l)
{
	hrtimer_try_to_cancel(&l->timer);
	atomic_set(&l->timer_fired, 0);
}

static enum hrtimer_restart lapic_timer_fn(struct hrtimer *t)
{
	struct vmm_lapic *l = container_of(t, struct vmm_lapic, timer);

	atomic_set(&l->timer_fired, 1);
	/* In guest mode this interrupt was the exit; in HLT it wakes. */
	wake_up_process(l->vcpu->task);
	return HRTIMER_NORESTART;
}

static bool lapic_deadline_mode(const struct vmm_lapic *l)
{
	return (l->lvt[LVT_TIMER] & LVT_TIMER_MODE) == LVT_TIMER_DEADLINE;
}

/* Arm the hrtimer for the host time at which the guest's TSC is @deadline. */
static void lapic_timer_arm(struct vmm_lapic *l)
{
	struct vmm_vcpu *vcpu = l->vcpu;
	u64 now = vmm_guest_tsc(vcpu), ns;

	lapic_timer_cancel(l);
	if (!l->deadline || !lapic_deadline_mode(l))
		return;
	if ((s64)(l->deadline - now) <= 0) {
		atomic_set(&l->timer_fired, 1);
		return;
	}
	ns = mul_u64_u32_div(l->deadline - now, 1000000, vcpu->vm->tsc_khz);
	hrtimer_start(&l->timer, ns_to_ktime(ns), HRTIMER_MODE_REL_PINNED_HARD);
}

/*
 * The timer fired: its vector is requested unless its LVT entry is masked
 * (or left TSC-deadline mode since), and the deadline reads 0 again.
 */
static void lapic_timer_expired(struct vmm_lapic *l)
{
	if (!atomic_xchg(&l->timer_fired, 0))
		return;
	if (!l->deadline || !lapic_deadline_mode(l))
		return;
	l->deadline = 0;
	if (!(l->lvt[LVT_TIMER] & LVT_MASKED))
		lapic_request(l, l->lvt[LVT_TIMER]);
}

/* Move the interrupts other vCPUs requested (@pir) into IRR. */
static void lapic_take_pir(struct vmm_lapic *l)
{
	unsigned long pending;
	unsigned int i, bit;

	for (i = 0; i < ARRAY_SIZE(l->pir); i++) {
		if (!READ_ONCE(l->pir[i]))
			continue;
		pending = xchg(&l->pir[i], 0);
		for_each_set_bit(bit, &pending, BITS_PER_LONG)
			lapic_request(l, i * BITS_PER_LONG + bit);
	}
}

/**
 * vmm_lapic_pending() - the interrupt the local APIC would deliver now
 * @l: the local APIC
 *
 * Context: the vCPU's thread, interrupts disabled before an entry.
 * Return: the highest requested vector whose priority class is above
 * PPR, or -1.
 */
int vmm_lapic_pending(struct vmm_lapic *l)
{
	int irr;

	lapic_take_pir(l);
	lapic_timer_expired(l);
	if (!lapic_enabled(l))
		return -1;
	irr = lapic_highest(l->irr);
	if (irr < 0 || (irr & 0xf0) <= (lapic_ppr(l) & 0xf0))
		return -1;
	return irr;
}

/* The arch delivered @vector: it moves from IRR to ISR. */
void vmm_lapic_accept(struct vmm_lapic *l, int vector)
{
	lapic_clear(l->irr, vector);
	lapic_set(l->isr, vector);
}

/* Whether a guest in HLT should run again: an interrupt is pending. */
bool vmm_lapic_woken(struct vmm_lapic *l)
{
	return vmm_lapic_pending(l) >= 0;
}

/*
 * Whether the local APIC @t is one the destination @dest names: a
 * physical APIC ID, or a logical destination (x2APIC: cluster in bits
 * 31:16, a bit per member in 15:0; xAPIC: matched against LDR in the flat
 * or cluster model that DFR says). All-ones is everyone.
 */
static bool lapic_match(const struct vmm_lapic *t, u32 dest, bool logical,
			bool x2)
{
	u32 ldr;

	if (dest == (x2 ? ~0U : 0xff))
		return true;
	if (!logical)
		return dest == t->id;
	if (x2) {
		ldr = ((t->id >> 4) << 16) | BIT(t->id & 0xf);
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	}
	ldr = READ_ONCE(t->ldr) >> 24;
	if ((READ_ONCE(t->dfr) >> 28) == 0xf)
		return dest & ldr;
	return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf);
}

/*
 * One IPI from @from's local APIC to @to (see the top of this file).
 * Return: whether it was delivered (a fixed or lowest-priority interrupt
 * ends the search for a lowest-priority one).
 */
static bool lapic_deliver(struct vmm_vcpu *from, struct vmm_vcpu *to, u64 icr)
{
	struct vmm_counts *c = &from->counts;
	u32 vector = icr & APIC_VECTOR_MASK;

	switch (icr & APIC_MODE_MASK) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		if (to == from) {
			c->self_ipis++;
			lapic_request(&to->lapic, vector);
			return true;
		}
		c->ipis++;
		set_bit(vector, to->lapic.pir);
		/* The bit before in_guest: vmm_vcpu_kick() orders them. */
		smp_mb__after_atomic();
		if (READ_ONCE(to->in_guest))
			c->ipi_kicks++;
		else
			c->ipi_wakes++;
		vmm_vcpu_kick(to);
		return true;
	case APIC_DM_INIT:
		/* The level-triggered deassert of the MP protocol: nothing. */
		if ((icr & APIC_INT_LEVELTRIG) && !(icr & APIC_INT_ASSERT))
			return false;
		c->inits++;
		if (to != from && READ_ONCE(to->mp_state) == VMM_MP_WAIT_SIPI)
			WRITE_ONCE(to->init, true);
		return false;
	case APIC_DM_STARTUP:
		c->sipis++;
		if (to == from || !READ_ONCE(to->init) ||
		    READ_ONCE(to->mp_state) != VMM_MP_WAIT_SIPI)
			return false;
		/* The vector first; the state change publishes it. */
		WRITE_ONCE(to->sipi_vector, vector);
		if (cmpxchg(&to->mp_state, VMM_MP_WAIT_SIPI, VMM_MP_RUNNING) ==
		    VMM_MP_WAIT_SIPI) {
			c->sipis_started++;
			vmm_vcpu_kick(to);
		}
		return false;
	}
	c->ipis_dropped++;
	return false;
}

/*
 * ICR: an IPI to the vCPUs its shorthand or destination names (bits 63:32
 * in x2APIC mode, 63:56 in xAPIC mode). The delivery status reads idle:
 * IPIs are sent at once.
 */
static void lapic_icr(struct vmm_lapic *l, u64 icr)
{
	struct vmm_vcpu *from = l->vcpu, *to;
	struct vmm_vm *vm = from->vm;
	bool x2 = lapic_x2apic(l), logical = icr & APIC_DEST_LOGICAL;
	u32 dest = x2 ? icr >> 32 : icr >> 56;
	bool hit;

	for (to = vm->vcpus; to < vm->vcpus + vm->nr_vcpus; to++) {
		switch (icr & APIC_DEST_ALLBUT) {
		case APIC_DEST_SELF:
			hit = to == from;
			break;
		case APIC_DEST_ALLINC:
			hit = true;
			break;
		case APIC_DEST_ALLBUT:
			hit = to != from;
			break;
		default:
			hit = lapic_match(&to->lapic, dest, logical, x2);
			break;
		}
		if (hit && lapic_deliver(from, to, icr) &&
		    (icr & APIC_MODE_MASK) == APIC_DM_LOWEST)
			return;
	}
}

static int lapic_read(struct vmm_lapic *l, u32 reg, u64 *val)
{
	bool x2 = lapic_x2apic(l);

	switch (reg) {
	case APIC_ID:
		*val = x2 ? l->id : l->id << 24;
		return 0;
	case APIC_LVR:
		*val = LAPIC_VERSION | ((LAPIC_LVT_COUNT - 1) << 16);
		return 0;
	case APIC_TASKPRI:
		*val = l->tpr;
		return 0;
	case APIC_PROCPRI:
		*val = lapic_ppr(l);
		return 0;
	case APIC_LDR:
		*val = x2 ? ((l->id >> 4) << 16) | BIT(l->id & 0xf) : l->ldr;
		return 0;
	case APIC_DFR:
		if (x2)
			break;
		*val = l->dfr;
		return 0;
	case APIC_ICR2:
		if (x2)
			break;
		*val = l->icr >> 32;
		return 0;
	case APIC_ICR:
		/* The delivery status reads idle: IPIs are sent at once. */
		*val = x2 ? l->icr : (u32)l->icr;
		return 0;
	case APIC_SPIV:
		*val = l->svr;
		return 0;
	case APIC_ISR ... APIC_ISR + 0x70:
		*val = l->isr[(reg - APIC_ISR) >> 4];
		return 0;
	case APIC_TMR ... APIC_TMR + 0x70:
		*val = 0;	/* every interrupt here is edge-triggered */
		return 0;
	case APIC_IRR ... APIC_IRR + 0x70:
		*val = l->irr[(reg - APIC_IRR) >> 4];
		return 0;
	case APIC_ESR:
		*val = l->esr;
		return 0;
	case APIC_LVTT ... APIC_LVTERR:
		*val = l->lvt[(reg - APIC_LVTT) >> 4];
		return 0;
	case APIC_TMICT:
	case APIC_TDCR:
		*val = reg == APIC_TDCR ? l->tdcr : 0;
		return 0;
	case APIC_TMCCT:
		*val = 0;
		return 0;
	}
	/* EOI, SELF IPI (write-only) and the reserved ones: #GP. */
	return -EINVAL;
}

static int lapic_write(struct vmm_lapic *l, u32 reg, u64 val)
{
	bool x2 = lapic_x2apic(l);
	unsigned int i;
	int isr;

	/* Only the x2APIC's ICR is 64 bits wide. */
	if ((reg != APIC_ICR || !x2) && (val >> 32))
		return -EINVAL;
	switch (reg) {
	case APIC_ID:
		/* Read-only here, as in x2APIC mode. */
		return x2 ? -EINVAL : 0;
	case APIC_LDR:
		if (x2)
			return -EINVAL;
		l->ldr = val & 0xff000000;
		return 0;
	case APIC_DFR:
		if (x2)
			return -EINVAL;
		l->dfr = val | 0x0fffffff;
		return 0;
	case APIC_ICR2:
		if (x2)
			return -EINVAL;
		l->icr = (val << 32) | (u32)l->icr;
		return 0;
	case APIC_TASKPRI:
		l->tpr = val & 0xff;
		return 0;
	case APIC_EOI:
		if (val && x2)
			return -EINVAL;
		isr = lapic_highest(l->isr);
		if (isr >= 0)
			lapic_clear(l->isr, isr);
		return 0;
	case APIC_SPIV:
		l->svr = val & (APIC_SPIV_APIC_ENABLED | 0xff);
		/* Software-disabled: every LVT entry masked. */
		if (!lapic_enabled(l))
			for (i = 0; i < LAPIC_LVT_COUNT; i++)
				l->lvt[i] |= LVT_MASKED;
		return 0;
	case APIC_ESR:
		l->esr = 0;
		return 0;
	case APIC_ICR:
		l->icr = x2 ? val : ((l->icr >> 32) << 32) | (u32)val;
		lapic_icr(l, l->icr);
		return 0;
	case APIC_LVTT ... APIC_LVTERR:
		i = (reg - APIC_LVTT) >> 4;
		if (!lapic_enabled(l))
			val |= LVT_MASKED;
		l->lvt[i] = val;
		if (i == LVT_TIMER)
			lapic_timer_arm(l);
		return 0;
	case APIC_TMICT:
		return 0;
	case APIC_TDCR:
		l->tdcr = val & 0xb;
		return 0;
	case APIC_SELF_IPI:
		if (!x2)
			return -EINVAL;
		l->vcpu->counts.self_ipis++;
		lapic_request(l, val);
		return 0;
	}
	return -EINVAL;
}

/*
 * IA32_APIC_BASE: the transitions the SDM allows (11.12.5): xAPIC to
 * x2APIC, either to disabled, disabled to xAPIC. The base address and
 * the BSP flag stay.
 */
static int lapic_write_base(struct vmm_lapic *l, u64 val)
{
	u64 mode = val & (LAPIC_BASE_EN | LAPIC_BASE_EXTD);
	u64 now = l->base & (LAPIC_BASE_EN | LAPIC_BASE_EXTD);

	if ((val & ~(LAPIC_BASE_EN | LAPIC_BASE_EXTD)) !=
	    (l->base & ~(LAPIC_BASE_EN | LAPIC_BASE_EXTD)))
		return -EINVAL;
	if (mode == LAPIC_BASE_EXTD ||
	    (mode == (LAPIC_BASE_EN | LAPIC_BASE_EXTD) && now == 0) ||
	    (mode == LAPIC_BASE_EN && now == (LAPIC_BASE_EN | LAPIC_BASE_EXTD)))
		return -EINVAL;
	l->base = val;
	if (!(val & LAPIC_BASE_EN))
		lapic_timer_cancel(l);
	return 0;
}

/**
 * vmm_lapic_mmio() - an access to the xAPIC page
 * @vcpu: the vCPU
 * @offset: into the page
 * @size: bytes
 * @write: a store
 * @val: the value stored, or loaded
 *
 * Registers are 32 bits wide, at 16-byte offsets; a narrower or wider
 * access gets the part of the register it covers, a write must be 32 bits
 * at the register's offset (others are dropped, as are writes to
 * read-only registers). Outside xAPIC mode the page is no device: reads
 * all-ones.
 *
 * Context: the vCPU's thread.
 * Return: 0.
 */
int vmm_lapic_mmio(struct vmm_vcpu *vcpu, u64 offset, unsigned int size,
		   bool write, u64 *val)
{
	struct vmm_lapic *l = &vcpu->lapic;
	u32 reg = offset & 0xff0;
	u64 v = 0;

	if (!(l->base & LAPIC_BASE_EN) || lapic_x2apic(l)) {
		if (!write)
			*val = ~0ULL;
		return 0;
	}
	if (write) {
		if (size == 4 && !(offset & 0xf))
			lapic_write(l, reg, (u32)*val);
		return 0;
	}
	if (lapic_read(l, reg, &v))
		v = 0;
	*val = (u32)v >> ((offset & 3) * 8);
	return 0;
}

/**
 * vmm_lapic_msr() - IA32_APIC_BASE, IA32_TSC_DEADLINE and the x2APIC MSRs
 * @vcpu: the vCPU
 * @index: the MSR
 * @write: WRMSR
 * @val: the value written, or read
 *
 * Context: the vCPU's thread.
 * Return: 0, or -EINVAL for #GP.
 */
int vmm_lapic_msr(struct vmm_vcpu *vcpu, u32 index, bool write, u64 *val)
{
	struct vmm_lapic *l = &vcpu->lapic;

	switch (index) {
	case MSR_IA32_APICBASE:
		if (write)
			return lapic_write_base(l, *val);
		*val = l->base;
		return 0;
	case MSR_IA32_TSC_DEADLINE:
		if (!write) {
			*val = lapic_deadline_mode(l) ? l->deadline : 0;
			return 0;
		}
		if (lapic_deadline_mode(l)) {
			l->deadline = *val;
			lapic_timer_arm(l);
		}
		return 0;
	}
	/* The x2APIC's registers are MSRs in x2APIC mode only. */
	if (!lapic_x2apic(l))
		return -EINVAL;
	if (write)
		return lapic_write(l, (index - APIC_BASE_MSR) << 4, *val);
	return lapic_read(l, (index - APIC_BASE_MSR) << 4, val);
}

/*
 * The state after reset (SDM Vol. 3A, 11.4.7.1): enabled, xAPIC mode, the
 * APIC ID the vCPU's number; the BSP flag on the bootstrap processor only.
 */
void vmm_lapic_init(struct vmm_vcpu *vcpu, bool bsp)
{
	struct vmm_lapic *l = &vcpu->lapic;
	unsigned int i;

	memset(l->irr, 0, sizeof(l->irr));
	memset(l->pir, 0, sizeof(l->pir));
	memset(l->isr, 0, sizeof(l->isr));
	l->vcpu = vcpu;
	l->base = VMM_LAPIC_BASE | LAPIC_BASE_EN | (bsp ? LAPIC_BASE_BSP : 0);
	l->id = vcpu->index;
	l->ldr = 0;
	l->dfr = ~0U;
	l->icr = 0;
	l->svr = 0xff;
	l->tpr = 0;
	for (i = 0; i < LAPIC_LVT_COUNT; i++)
		l->lvt[i] = LVT_MASKED;
	l->deadline = 0;
	atomic_set(&l->timer_fired, 0);
	hrtimer_init(&l->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	l->timer.function = lapic_timer_fn;
}

/**
 * vmm_lapic_load() - put a saved local APIC back (state.c)
 * @vcpu: the vCPU, on its thread; its TSC offset already loaded
 * @s: the registers saved (up to &vmm_lapic.timer)
 * @fired: the timer had fired and its vector was not requested yet
 *
 * The timer is armed again for the deadline saved, in the guest's TSC as
 * it is now.
 *
 * Context: the vCPU's thread, paused; sleeps (the timer's cancel).
 * Return: nothing.
 */
void vmm_lapic_load(struct vmm_vcpu *vcpu, const struct vmm_lapic *s, bool fired)
{
	struct vmm_lapic *l = &vcpu->lapic;

	hrtimer_cancel(&l->timer);
	memcpy(l, s, offsetof(struct vmm_lapic, timer));
	lapic_timer_arm(l);
	if (fired)
		atomic_set(&l->timer_fired, 1);
}

/* The vCPU's thread is done: no timer may fire for it any more. */
void vmm_lapic_exit(struct vmm_vcpu *vcpu)
{
	hrtimer_cancel(&vcpu->lapic.timer);
}
