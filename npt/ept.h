/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Intel EPT entry bits (Intel SDM Vol. 3C, "EPT Translation Mechanism"),
 * and the decoding the walker inlines on its hot paths. See ept.c.
 */
#ifndef _AXAS_NPT_EPT_H
#define _AXAS_NPT_EPT_H

#include <linux/bitfield.h>

#include "fmt.h"

#define EPT_R		BIT_ULL(0)
#define EPT_W		BIT_ULL(1)
#define EPT_X		BIT_ULL(2)
#define EPT_MT		GENMASK_ULL(5, 3)
#define EPT_IPAT	BIT_ULL(6)
#define EPT_PS		BIT_ULL(7)
#define EPT_A		BIT_ULL(8)
#define EPT_D		BIT_ULL(9)
#define EPT_XU		BIT_ULL(10)

/* EPT memory types (SDM "Memory Type Used for Accessing EPT..."). */
#define EPT_MT_UC	0
#define EPT_MT_WC	1
#define EPT_MT_WT	4
#define EPT_MT_WP	5
#define EPT_MT_WB	6

/* EPT memory type -> AXAS_MT_*; types axas never writes read as UC. */
static const u8 axas_mt_of_ept[8] = {
	[EPT_MT_UC] = AXAS_MT_UC, [EPT_MT_WC] = AXAS_MT_WC,
	[EPT_MT_WT] = AXAS_MT_WT, [EPT_MT_WP] = AXAS_MT_WP,
	[EPT_MT_WB] = AXAS_MT_WB,
};

/* Rights and memory type of a leaf (the same at every level). */
static inline u32 ept_pte_prot(const struct axas_pt *pt, u64 pte)
{
	u32 prot = AXAS_PROT_MT(axas_mt_of_ept[FIELD_GET(EPT_MT, pte)]);

	if (pte & EPT_R)
		prot |= AXAS_PROT_READ;
	if (pte & EPT_W)
		prot |= AXAS_PROT_WRITE;
	if (pte & EPT_X)
		prot |= AXAS_PROT_EXEC;
	if ((pte & EPT_XU) && (pt->cfg.caps.flags & AXAS_CAP_MBEC))
		prot |= AXAS_PROT_EXEC_USER;
	if (pte & EPT_IPAT)
		prot |= AXAS_PROT_IGNORE_PAT;
	return prot;
}

#endif /* _AXAS_NPT_EPT_H */
