// SPDX-License-Identifier: GPL-2.0
/*
 * AMD nested paging, following the AMD APM Vol. 2, section 15.25 "Nested
 * Paging": nested tables use the x86-64 long-mode format of section 5.3
 * ("Long-Mode Page Translation") with these rules: every nested walk is a
 * user access, so U/S must be set at every level; P implies read; NX
 * forbids execution; the memory type comes from PWT/PCD/PAT indexing the
 * host PAT.
 *
 * Manual level names -> engine levels: PML5 = 4, PML4 = 3, PDP (PDPE,
 * 1 GiB leaves with PS) = 2, PD (PDE, 2 MiB leaves with PS) = 1, PT (PTE)
 * = 0. In a PTE bit 7 is PAT; in a 2 MiB/1 GiB leaf bit 7 is PS and PAT
 * moves to bit 12.
 */
#include <linux/errno.h>
#include <linux/mem_encrypt.h>
#ifdef CONFIG_X86
#include <asm/processor.h>
#endif

#include "../compat_internal.h"

#include "npt.h"

/*
 * PAT index (PAT:PCD:PWT) of each type in the PAT Linux programs on every
 * CPU: 0 WB, 1 WC, 2 UC-, 3 UC, 4 WB, 5 WP, 6 UC-, 7 WT.
 */
static const u8 npt_pat_index[AXAS_MT_NR] = {
	[AXAS_MT_WB] = 0,
	[AXAS_MT_WC] = 1,
	[AXAS_MT_UC] = 3,
	[AXAS_MT_WP] = 5,
	[AXAS_MT_WT] = 7,
};

static int npt_init(struct axas_pt *pt)
{
	const struct axas_pt_cfg *cfg = &pt->cfg;

	/* nCR3 has no memory type or A/D switch to ask for. */
	if (cfg->root_flags)
		return -EOPNOTSUPP;
	/* EPT-only capabilities would make rights NPT cannot hold. */
	if (cfg->caps.flags & (AXAS_CAP_AD | AXAS_CAP_EXEC_ONLY | AXAS_CAP_MBEC |
			       AXAS_CAP_ROOT_UC | AXAS_CAP_ROOT_WB))
		return -EINVAL;
	pt->present_mask = AXAS_PT_SW_PRESENT;
	pt->table_pte = NPT_P | NPT_RW | NPT_US | AXAS_PT_SW_PRESENT;
	return 0;
}

static int npt_check_prot(const struct axas_pt *pt, u32 prot)
{
	if ((prot & AXAS_PROT_WRITE) && !(prot & AXAS_PROT_READ))
		return -EINVAL;
	/*
	 * P implies read: no execute-only, no user-only execute, no IPAT. No
	 * right at all is a leaf without P.
	 */
	if ((!(prot & AXAS_PROT_READ) && (prot & AXAS_PROT_EXEC)) ||
	    (prot & (AXAS_PROT_EXEC_USER | AXAS_PROT_IGNORE_PAT)))
		return -EOPNOTSUPP;
	return 0;
}

static u64 npt_leaf_attrs(const struct axas_pt *pt, u32 prot,
			  unsigned int level)
{
	u8 idx = npt_pat_index[(prot & AXAS_PROT_MT_MASK) >> 8];
	u64 e = AXAS_PT_SW_PRESENT;

	/* Without P the CPU ignores the rest: every access faults. */
	if (prot & AXAS_PROT_READ)
		e |= NPT_P | NPT_US;

	if (prot & AXAS_PROT_WRITE)
		e |= NPT_RW;
	if (!(prot & AXAS_PROT_EXEC))
		e |= NPT_NX;
	if (idx & 1)
		e |= NPT_PWT;
	if (idx & 2)
		e |= NPT_PCD;
	if (idx & 4)
		e |= npt_pat_bit(level);
	if (level)
		e |= NPT_PS;
	/* The C-bit comes with what backs a leaf (struct axas_pt_src), not @prot. */
	return e;
}

static u64 npt_root(const struct axas_pt *pt)
{
	return pt->root_pa | pt->me_mask;
}

const struct axas_pt_fmt axas_pt_fmt_npt = {
	.name = "npt",
	.huge = NPT_PS,
	.accessed = NPT_A,
	.dirty = NPT_D,
	.write = NPT_RW,
	.init = npt_init,
	.check_prot = npt_check_prot,
	.leaf_attrs = npt_leaf_attrs,
	.root = npt_root,
};

struct axas_pt_caps axas_pt_caps_from_npt(bool la57, bool gbpages,
					  u8 phys_bits)
{
	struct axas_pt_caps caps = {
		.flags = AXAS_CAP_2M | (la57 ? AXAS_CAP_5LEVEL : AXAS_CAP_4LEVEL),
		.phys_bits = phys_bits,
	};

#ifdef CONFIG_X86
	/* A C-bit needs the real width below it; 0 would mean 52. */
	if (!caps.phys_bits)
		caps.phys_bits = boot_cpu_data.x86_phys_bits;
#endif
	caps.me_mask = axas_pt_host_me_mask();

	if (gbpages)
		caps.flags |= AXAS_CAP_1G;
	return caps;
}
EXPORT_SYMBOL_NS_GPL(axas_pt_caps_from_npt, AXAS_NS);
