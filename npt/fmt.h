/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the engine needs to know about a nested page-table format.
 *
 * The walker (pt.c) only ever uses the data masks below on its hot paths;
 * the callbacks turn rights into entry bits once per operation and level.
 */
#ifndef _AXAS_NPT_FMT_H
#define _AXAS_NPT_FMT_H

#include <linux/gfp.h>

#include <axas/pt.h>

/* Address bits of a table entry and of a leaf at @level (both formats). */
#define AXAS_PT_ADDR_MASK	GENMASK_ULL(51, 12)

/*
 * Bit 11, which the CPU ignores in every EPT and NPT entry, is set in
 * every entry axas writes, and is what makes an entry present to axas
 * (pt->present_mask), whatever the CPU's present bits say: a leaf with no
 * right at all keeps its frame while every access to it exits. KVM marks
 * its entries with the same bit.
 */
#define AXAS_PT_SW_PRESENT	BIT_ULL(11)

static inline u64 axas_pt_leaf_addr_mask(unsigned int level)
{
	return GENMASK_ULL(51, 12 + 9 * level);
}

/**
 * struct axas_pt_fmt - one nested page-table format
 * @name: for messages and debugfs
 * @huge: page-size bit of a leaf at level 1 or 2
 * @accessed: accessed flag (set by hardware)
 * @dirty: dirty flag of a leaf (set by hardware)
 * @write: the write right of a leaf (write-protection dirty logging
 *	clears and sets it alone)
 * @init: check @pt->cfg against its capabilities and fill the format's
 *	fields of @pt (present_mask, table_pte); -EOPNOTSUPP for a request the
 *	capabilities do not allow, -EINVAL for one that makes no sense
 * @check_prot: 0 when @prot can be written as a leaf, else the errno
 * @leaf_attrs: non-address bits of a leaf with @prot at @level (the
 *	inverse, decoding, is inlined from ept.h/npt.h)
 * @root: EPTP or nCR3
 */
struct axas_pt_fmt {
	const char *name;
	u64 huge;
	u64 accessed;
	u64 dirty;
	u64 write;
	int (*init)(struct axas_pt *pt);
	int (*check_prot)(const struct axas_pt *pt, u32 prot);
	u64 (*leaf_attrs)(const struct axas_pt *pt, u32 prot, unsigned int level);
	u64 (*root)(const struct axas_pt *pt);
};

extern const struct axas_pt_fmt axas_pt_fmt_ept;
extern const struct axas_pt_fmt axas_pt_fmt_npt;

/* The host's memory-encryption C-bit; the KUnit suites replace it. */
u64 axas_pt_host_me_mask(void);

#if IS_ENABLED(CONFIG_KUNIT)
/* Visible to the KUnit suites, which replace it to inject failures. */
struct page *axas_pt_alloc_page(gfp_t gfp, int node);
/* The most table pages one RCU callback freed. */
extern atomic_t axas_pt_rcu_chain_max;
#endif

#endif /* _AXAS_NPT_FMT_H */
