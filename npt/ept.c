// SPDX-License-Identifier: GPL-2.0
/*
 * Intel EPT, following the Intel SDM Vol. 3C, chapter 29 "VMX support for
 * address translation", section "EPT translation mechanism" (EPT
 * paging-structure entries) and appendix A.10 (IA32_VMX_EPT_VPID_CAP).
 *
 * Manual level names -> engine levels: EPT PML5 table = 4, EPT PML4 table
 * = 3, EPT page-directory-pointer table = 2 (1 GiB leaves), EPT page
 * directory = 1 (2 MiB leaves), EPT page table = 0 (4 KiB leaves).
 *
 * An entry is present when any of bits 2:0 is set (or bit 10 with
 * mode-based execute control); a leaf with no right at all is not, to the
 * CPU (axas marks its entries with bit 11, see fmt.h). Write without read
 * is a misconfiguration, and so is execute-only without the capability:
 * both are refused here. Bit 63 (suppress #VE) is always left clear.
 */
#include <linux/bitfield.h>
#include <linux/errno.h>

#include "../compat_internal.h"

#include "ept.h"

/* EPTP fields. */
#define EPTP_MT		GENMASK_ULL(2, 0)
#define EPTP_WALK	GENMASK_ULL(5, 3)
#define EPTP_AD		BIT_ULL(6)

/* IA32_VMX_EPT_VPID_CAP bits (SDM appendix A.10). */
#define EPT_CAP_EXEC_ONLY	BIT_ULL(0)
#define EPT_CAP_WALK4		BIT_ULL(6)
#define EPT_CAP_WALK5		BIT_ULL(7)
#define EPT_CAP_UC		BIT_ULL(8)
#define EPT_CAP_WB		BIT_ULL(14)
#define EPT_CAP_2M		BIT_ULL(16)
#define EPT_CAP_1G		BIT_ULL(17)
#define EPT_CAP_AD		BIT_ULL(21)

static const u8 ept_mt_of[AXAS_MT_NR] = {
	[AXAS_MT_WB] = EPT_MT_WB,
	[AXAS_MT_UC] = EPT_MT_UC,
	[AXAS_MT_WC] = EPT_MT_WC,
	[AXAS_MT_WT] = EPT_MT_WT,
	[AXAS_MT_WP] = EPT_MT_WP,
};

static int ept_init(struct axas_pt *pt)
{
	const struct axas_pt_cfg *cfg = &pt->cfg;
	u32 caps = cfg->caps.flags;

	if (cfg->root_flags & ~(AXAS_PT_ROOT_AD | AXAS_PT_ROOT_UC))
		return -EINVAL;
	if ((cfg->root_flags & AXAS_PT_ROOT_AD) && !(caps & AXAS_CAP_AD))
		return -EOPNOTSUPP;
	if (!(caps & ((cfg->root_flags & AXAS_PT_ROOT_UC) ?
		      AXAS_CAP_ROOT_UC : AXAS_CAP_ROOT_WB)))
		return -EOPNOTSUPP;

	pt->present_mask = AXAS_PT_SW_PRESENT;
	pt->table_pte = EPT_R | EPT_W | EPT_X | AXAS_PT_SW_PRESENT;
	if (caps & AXAS_CAP_MBEC)
		pt->table_pte |= EPT_XU;
	return 0;
}

static int ept_check_prot(const struct axas_pt *pt, u32 prot)
{
	u32 caps = pt->cfg.caps.flags;

	if ((prot & AXAS_PROT_WRITE) && !(prot & AXAS_PROT_READ))
		return -EINVAL;
	if ((prot & AXAS_PROT_EXEC_USER) && !(caps & AXAS_CAP_MBEC))
		return -EOPNOTSUPP;
	/* Execute without read; no right at all is no present entry. */
	if (!(prot & AXAS_PROT_READ) &&
	    (prot & (AXAS_PROT_EXEC | AXAS_PROT_EXEC_USER)) &&
	    !(caps & AXAS_CAP_EXEC_ONLY))
		return -EOPNOTSUPP;
	return 0;
}

static u64 ept_leaf_attrs(const struct axas_pt *pt, u32 prot,
			  unsigned int level)
{
	u64 e = FIELD_PREP(EPT_MT, ept_mt_of[FIELD_GET(AXAS_PROT_MT_MASK, prot)]) |
		AXAS_PT_SW_PRESENT;

	if (prot & AXAS_PROT_READ)
		e |= EPT_R;
	if (prot & AXAS_PROT_WRITE)
		e |= EPT_W;
	if (prot & AXAS_PROT_EXEC)
		e |= EPT_X;
	if (prot & AXAS_PROT_EXEC_USER)
		e |= EPT_XU;
	if (prot & AXAS_PROT_IGNORE_PAT)
		e |= EPT_IPAT;
	if (level)
		e |= EPT_PS;
	return e;
}

static u64 ept_root(const struct axas_pt *pt)
{
	u64 mt = (pt->cfg.root_flags & AXAS_PT_ROOT_UC) ? EPT_MT_UC : EPT_MT_WB;
	u64 eptp = pt->root_pa | FIELD_PREP(EPTP_MT, mt) |
		   FIELD_PREP(EPTP_WALK, pt->cfg.levels - 1);

	if (pt->cfg.root_flags & AXAS_PT_ROOT_AD)
		eptp |= EPTP_AD;
	return eptp;
}

const struct axas_pt_fmt axas_pt_fmt_ept = {
	.name = "ept",
	.huge = EPT_PS,
	.accessed = EPT_A,
	.dirty = EPT_D,
	.write = EPT_W,
	.init = ept_init,
	.check_prot = ept_check_prot,
	.leaf_attrs = ept_leaf_attrs,
	.root = ept_root,
};

struct axas_pt_caps axas_pt_caps_from_ept(u64 ept_vpid_cap, bool mbec,
					  u8 phys_bits)
{
	static const struct { u64 msr; u32 cap; } map[] = {
		{ EPT_CAP_EXEC_ONLY, AXAS_CAP_EXEC_ONLY },
		{ EPT_CAP_WALK4, AXAS_CAP_4LEVEL },
		{ EPT_CAP_WALK5, AXAS_CAP_5LEVEL },
		{ EPT_CAP_UC, AXAS_CAP_ROOT_UC },
		{ EPT_CAP_WB, AXAS_CAP_ROOT_WB },
		{ EPT_CAP_2M, AXAS_CAP_2M },
		{ EPT_CAP_1G, AXAS_CAP_1G },
		{ EPT_CAP_AD, AXAS_CAP_AD },
	};
	struct axas_pt_caps caps = { .phys_bits = phys_bits };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(map); i++)
		if (ept_vpid_cap & map[i].msr)
			caps.flags |= map[i].cap;
	if (mbec)
		caps.flags |= AXAS_CAP_MBEC;
	return caps;
}
EXPORT_SYMBOL_NS_GPL(axas_pt_caps_from_ept, AXAS_NS);
