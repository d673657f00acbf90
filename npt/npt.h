/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AMD nested-paging entry bits (AMD APM Vol. 2, 5.3 "Long-Mode Page
 * Translation"), and the decoding the walker inlines on its hot paths.
 * See npt.c.
 */
#ifndef _AXAS_NPT_NPT_H
#define _AXAS_NPT_NPT_H

#include "fmt.h"

#define NPT_P		BIT_ULL(0)
#define NPT_RW		BIT_ULL(1)
#define NPT_US		BIT_ULL(2)
#define NPT_PWT		BIT_ULL(3)
#define NPT_PCD		BIT_ULL(4)
#define NPT_A		BIT_ULL(5)
#define NPT_D		BIT_ULL(6)
#define NPT_PS		BIT_ULL(7)
#define NPT_PAT_4K	BIT_ULL(7)
#define NPT_PAT_HUGE	BIT_ULL(12)
#define NPT_NX		BIT_ULL(63)

/* PAT index -> AXAS_MT_*; indices axas never writes read as WB. */
static const u8 npt_mt_of_index[8] = {
	[0] = AXAS_MT_WB, [1] = AXAS_MT_WC, [3] = AXAS_MT_UC,
	[5] = AXAS_MT_WP, [7] = AXAS_MT_WT,
};

/* PAT is bit 7 in a PTE, bit 12 in a 2 MiB or 1 GiB leaf. */
static inline u64 npt_pat_bit(unsigned int level)
{
	return level ? NPT_PAT_HUGE : NPT_PAT_4K;
}

/* Rights and memory type of a leaf at @level. */
static inline u32 npt_pte_prot(u64 pte, unsigned int level)
{
	u32 prot = 0;
	u8 idx = 0;

	/* A leaf with no right has no P (it is present to axas, bit 11). */
	if (pte & NPT_P) {
		prot = AXAS_PROT_READ;
		if (pte & NPT_RW)
			prot |= AXAS_PROT_WRITE;
		if (!(pte & NPT_NX))
			prot |= AXAS_PROT_EXEC;
	}
	if (pte & NPT_PWT)
		idx |= 1;
	if (pte & NPT_PCD)
		idx |= 2;
	if (pte & npt_pat_bit(level))
		idx |= 4;
	return prot | AXAS_PROT_MT(npt_mt_of_index[idx]);
}

#endif /* _AXAS_NPT_NPT_H */
