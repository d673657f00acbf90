// SPDX-License-Identifier: GPL-2.0
/*
 * ACPI's registers, hardware-reduced (ACPI 6.x, 4.1): the FADT (acpi.c)
 * names a sleep control, a sleep status and a reset register in I/O
 * space, and a PM timer. Without an interrupt controller for the SCI a
 * full-hardware ACPI would not start in Linux (it must install the SCI's
 * handler), so there are no PM1 event and control blocks: the guest powers
 * off by writing SLP_TYP 5 (the DSDT's _S5) with SLP_EN to the sleep
 * control register, which ends the run; the reset register resets the
 * machine, which ends it too. The PM timer is the ACPI one: 3.579545 MHz,
 * 32 bits, counting from the guest's TSC so the two never disagree; Linux
 * uses it as a clocksource, to watch the TSC, and to calibrate.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "vmm.h"

#define SLP_EN		BIT(5)
#define SLP_TYP(v)	(((v) >> 2) & 7)
#define SLP_TYP_S5	5
#define WAK_STS		BIT(7)

void vmm_pm_io(struct vmm_vcpu *vcpu, u16 offset, u8 size, bool in, u32 *val)
{
	struct vmm_vm *vm = vcpu->vm;
	struct vmm_pm *pm = &vm->pm;
	u16 port = VMM_PORT_PM + offset;

	if (port >= VMM_PM_TIMER && port < VMM_PM_TIMER + 4) {
		u32 t = vmm_ticks_since(vcpu, 0, VMM_PM_TIMER_HZ);

		if (in)
			*val = t >> ((port - VMM_PM_TIMER) * 8);
		return;
	}
	switch (port) {
	case VMM_PM_SLEEP_CTL:
		if (in) {
			*val = 0;
			return;
		}
		if (!(*val & SLP_EN))
			return;
		if (SLP_TYP(*val) == SLP_TYP_S5)
			vmm_stop(vm, VMM_POWER_OFF, "the guest powered off (ACPI S5)");
		else
			vmm_stop(vm, VMM_FAILED, "the guest asked for sleep type %u, which the DSDT does not offer",
				 SLP_TYP(*val));
		return;
	case VMM_PM_SLEEP_STS:
		if (in)
			*val = pm->sleep_sts;
		else
			pm->sleep_sts &= ~(*val & WAK_STS);
		return;
	case VMM_PM_RESET:
		if (in)
			*val = 0;
		else if ((*val & 0xff) == VMM_PM_RESET_VALUE)
			vmm_stop(vm, VMM_RESET, "the guest reset the machine (ACPI reset register)");
		return;
	}
	if (in)
		*val = ~0U;
}
