// SPDX-License-Identifier: GPL-2.0
/*
 * The machine-check architecture, with no error-reporting bank: CPUID
 * offers MCE and MCA, IA32_MCG_CAP says 0 banks and no MCG_CTL, and
 * IA32_MCG_STATUS holds what the guest writes. No machine check is ever
 * delivered to the guest (the host's are the host's). Without MCA a
 * Linux guest reports an error at boot ("Unable to init MCE device").
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <asm/msr.h>
#include "vmm.h"

/**
 * vmm_mce_msr() - IA32_MCG_CAP, IA32_MCG_STATUS and IA32_MCG_CTL
 * @vcpu: the vCPU
 * @index: the MSR
 * @write: WRMSR
 * @val: the value written, or read
 *
 * Context: the vCPU's thread.
 * Return: 0, or -EINVAL for #GP (MCG_CAP written, MCG_CTL not offered).
 */
int vmm_mce_msr(struct vmm_vcpu *vcpu, u32 index, bool write, u64 *val)
{
	switch (index) {
	case MSR_IA32_MCG_CAP:
		if (write)
			return -EINVAL;
		*val = 0;
		return 0;
	case MSR_IA32_MCG_STATUS:
		if (write)
			vcpu->mcg_status = *val;
		else
			*val = vcpu->mcg_status;
		return 0;
	}
	return -EINVAL;
}
