// SPDX-License-Identifier: GPL-2.0
/*
 * The MSR bus: the MSRs the arch does not hold itself (those the VMCB or
 * VMCS switches: EFER, PAT, the SYSCALL and SYSENTER MSRs, FS/GS bases)
 * come here, and a table of ranges says which device answers. Any other
 * MSR is refused with #GP, as a CPU does for one it does not have; the
 * report lists the ones the guest tried.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <asm/apicdef.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include "vmm.h"

/* The TSC: the guest's is the host's plus the offset the arch applies. */
static int vmm_tsc_msr(struct vmm_vcpu *vcpu, u32 index, bool write, u64 *val)
{
	if (write)
		vcpu->regs.tsc_offset = *val - rdtsc();
	else
		*val = vmm_guest_tsc(vcpu);
	return 0;
}

/*
 * What the guest reads about its CPU's model-specific state, with the
 * values KVM gives: no microcode patch (the guest must not think it can
 * load one; Intel's protocol writes 0 before it reads, which is ignored);
 * on AMD, SYSCFG with nothing enabled (Linux reads it on family 0Fh and
 * later to check the fixed MTRRs' DRAM bits) and, on family 0Fh (QEMU's
 * qemu64 model), no C1E "interrupt pending message" (Linux reads it once
 * to decide on erratum 400); on Intel, IA32_MISC_ENABLE with fast strings
 * on and no BTS or PEBS (Linux reads it from its first instructions on,
 * in verify_cpu), which takes only the value it has.
 */
#define VMM_MISC_ENABLE	(MSR_IA32_MISC_ENABLE_FAST_STRING | \
			 MSR_IA32_MISC_ENABLE_BTS_UNAVAIL | \
			 MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL)

static int vmm_cpu_msr(struct vmm_vcpu *vcpu, u32 index, bool write, u64 *val)
{
	bool intel = boot_cpu_data.x86_vendor == X86_VENDOR_INTEL;

	switch (index) {
	case MSR_IA32_UCODE_REV:
		if (!write)
			*val = 0;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		if (!intel || (write && *val != VMM_MISC_ENABLE))
			return -EINVAL;
		*val = VMM_MISC_ENABLE;
		return 0;
	}
	if (write || intel)
		return -EINVAL;
	*val = 0;
	return 0;
}

typedef int (*vmm_msr_fn)(struct vmm_vcpu *vcpu, u32 index, bool write,
			  u64 *val);

/* Devices, by the index of vmm_counts.msr[]; the last is "refused". */
const char *const vmm_msr_devices[] = { "lapic", "mtrr", "tsc", "cpu", "mce", "#GP" };

static const struct vmm_msr_range {
	u32 first, last;
	u8 dev;
	vmm_msr_fn fn;
} vmm_msr_table[] = {
	{ MSR_IA32_TSC, MSR_IA32_TSC, 2, vmm_tsc_msr },
	{ MSR_IA32_APICBASE, MSR_IA32_APICBASE, 0, vmm_lapic_msr },
	{ MSR_IA32_UCODE_REV, MSR_IA32_UCODE_REV, 3, vmm_cpu_msr },
	{ MSR_IA32_MISC_ENABLE, MSR_IA32_MISC_ENABLE, 3, vmm_cpu_msr },
	{ VMM_MSR_MTRR_CAP, VMM_MSR_MTRR_CAP, 1, vmm_mtrr_msr },
	{ VMM_MSR_MTRR_VAR, VMM_MSR_MTRR_VAR_END, 1, vmm_mtrr_msr },
	{ VMM_MSR_MTRR_FIX64K, VMM_MSR_MTRR_FIX64K, 1, vmm_mtrr_msr },
	{ VMM_MSR_MTRR_FIX16K, VMM_MSR_MTRR_FIX16K + 1, 1, vmm_mtrr_msr },
	{ VMM_MSR_MTRR_FIX4K, VMM_MSR_MTRR_FIX4K_END, 1, vmm_mtrr_msr },
	{ VMM_MSR_MTRR_DEF_TYPE, VMM_MSR_MTRR_DEF_TYPE, 1, vmm_mtrr_msr },
	{ MSR_IA32_TSC_DEADLINE, MSR_IA32_TSC_DEADLINE, 0, vmm_lapic_msr },
	{ APIC_BASE_MSR, APIC_BASE_MSR + 0xff, 0, vmm_lapic_msr },
	{ MSR_IA32_MCG_CAP, MSR_IA32_MCG_CTL, 4, vmm_mce_msr },
	{ MSR_AMD64_SYSCFG, MSR_AMD64_SYSCFG, 3, vmm_cpu_msr },
	{ MSR_K8_INT_PENDING_MSG, MSR_K8_INT_PENDING_MSG, 3, vmm_cpu_msr },
};

/* Count a refused MSR in the report's list. */
static void vmm_msr_refused(struct vmm_counts *c, u32 index)
{
	unsigned int i;

	for (i = 0; i < VMM_TOP_MSRS; i++) {
		if (c->gp_msr_count[i] && c->gp_msr[i] != index)
			continue;
		c->gp_msr[i] = index;
		c->gp_msr_count[i]++;
		return;
	}
}

/**
 * vmm_msr() - RDMSR or WRMSR of an MSR the arch does not hold
 * @vcpu: the vCPU
 * @index: ECX
 * @write: WRMSR
 * @val: EDX:EAX written, or where the value read goes
 *
 * Context: the vCPU's thread.
 * Return: 0, or -EINVAL: the guest gets #GP.
 */
int vmm_msr(struct vmm_vcpu *vcpu, u32 index, bool write, u64 *val)
{
	struct vmm_counts *c = &vcpu->counts;
	const struct vmm_msr_range *r;
	int ret;

	for (r = vmm_msr_table; r < vmm_msr_table + ARRAY_SIZE(vmm_msr_table); r++) {
		if (index < r->first || index > r->last)
			continue;
		c->msr[r->dev]++;
		ret = r->fn(vcpu, index, write, val);
		if (ret)
			vmm_msr_refused(c, index);
		return ret;
	}
	c->msr[ARRAY_SIZE(vmm_msr_devices) - 1]++;
	vmm_msr_refused(c, index);
	return -EINVAL;
}
