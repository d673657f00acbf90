// SPDX-License-Identifier: GPL-2.0
/*
 * The MTRRs (SDM Vol. 3A, 12.11): 8 variable ranges, the fixed ranges and
 * write-combining offered in IA32_MTRRCAP, and what the guest writes kept
 * as it wrote it. Guest memory is write-back whatever they say (nested
 * paging gives the host's memory type; the guest's PAT is its own in the
 * VMCB), so they are storage, as a firmware leaves them: enabled, fixed
 * ranges on, default type write-back.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <asm/msr.h>
#include "vmm.h"

#define MTRR_CAP		(8 | BIT(8) | BIT(10))	/* VCNT 8, FIX, WC */
#define MTRR_DEF_E		BIT(11)
#define MTRR_DEF_FE		BIT(10)
#define MTRR_TYPE_WB		6
#define MTRR_TYPE_OK(t)		((t) == 0 || (t) == 1 || ((t) >= 4 && (t) <= 6))

static u64 *mtrr_fixed(struct vmm_mtrr *m, u32 index)
{
	switch (index) {
	case VMM_MSR_MTRR_FIX64K:
		return &m->fixed[0];
	case VMM_MSR_MTRR_FIX16K ... VMM_MSR_MTRR_FIX16K + 1:
		return &m->fixed[1 + index - VMM_MSR_MTRR_FIX16K];
	case VMM_MSR_MTRR_FIX4K ... VMM_MSR_MTRR_FIX4K_END:
		return &m->fixed[3 + index - VMM_MSR_MTRR_FIX4K];
	}
	return NULL;
}

/* Each byte of a fixed-range MTRR is a memory type. */
static bool mtrr_fixed_ok(u64 val)
{
	unsigned int i;

	for (i = 0; i < 8; i++)
		if (!MTRR_TYPE_OK((val >> (i * 8)) & 0xff))
			return false;
	return true;
}

/**
 * vmm_mtrr_msr() - IA32_MTRRCAP, IA32_MTRR_DEF_TYPE, the fixed and the
 *	variable-range MTRRs
 * @vcpu: the vCPU
 * @index: the MSR
 * @write: WRMSR
 * @val: the value written, or read
 *
 * Context: the vCPU's thread.
 * Return: 0, or -EINVAL for #GP (a read-only MSR written, a reserved bit
 * or memory type).
 */
int vmm_mtrr_msr(struct vmm_vcpu *vcpu, u32 index, bool write, u64 *val)
{
	struct vmm_mtrr *m = &vcpu->mtrr;
	u64 *fixed = mtrr_fixed(m, index);
	u64 phys_mask = GENMASK_ULL(vcpu->vm->info.maxphyaddr - 1, 12);

	if (index == VMM_MSR_MTRR_CAP) {
		if (write)
			return -EINVAL;
		*val = MTRR_CAP;
		return 0;
	}
	if (index == VMM_MSR_MTRR_DEF_TYPE) {
		if (write && ((*val & ~(MTRR_DEF_E | MTRR_DEF_FE | 0xff)) ||
			      !MTRR_TYPE_OK(*val & 0xff)))
			return -EINVAL;
		if (write)
			m->def_type = *val;
		else
			*val = m->def_type;
		return 0;
	}
	if (fixed) {
		if (write && !mtrr_fixed_ok(*val))
			return -EINVAL;
		if (write)
			*fixed = *val;
		else
			*val = *fixed;
		return 0;
	}
	/* IA32_MTRR_PHYSBASEn (even) and IA32_MTRR_PHYSMASKn (odd). */
	index -= VMM_MSR_MTRR_VAR;
	if (index >= ARRAY_SIZE(m->var))
		return -EINVAL;
	if (write) {
		u64 ok = phys_mask | (index & 1 ? BIT(11) : 0xff);

		if ((*val & ~ok) || (!(index & 1) && !MTRR_TYPE_OK(*val & 0xff)))
			return -EINVAL;
		m->var[index] = *val;
	} else {
		*val = m->var[index];
	}
	return 0;
}

void vmm_mtrr_init(struct vmm_mtrr *m)
{
	memset(m, 0, sizeof(*m));
	m->def_type = MTRR_DEF_E | MTRR_DEF_FE | MTRR_TYPE_WB;
	/* The fixed ranges: all write-back, as the default. */
	memset(m->fixed, MTRR_TYPE_WB, sizeof(m->fixed));
}
