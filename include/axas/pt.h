/* SPDX-License-Identifier: GPL-2.0 */
/*
 * axas nested page-table engine: one walker for Intel EPT and AMD NPT.
 */

/**
 * DOC: Page-table vocabulary
 *
 * A *table* is one 4 KiB page of 512 64-bit *entries*. Tables are numbered by
 * *level*, counted from the leaves up: level 0 is the table whose entries map
 * 4 KiB pages (the SDM's "EPT page table", the APM's "PTE" table), level 1
 * maps 2 MiB (PD), level 2 maps 1 GiB (PDPT), level 3 is the PML4 and level 4
 * the PML5. The *top level* is ``levels - 1``. An entry at level L covers
 * ``1 << (12 + 9 * L)`` bytes of guest-physical address space (its *span*).
 *
 * An entry is *present* when the hardware would use it, a *leaf* when it
 * translates (level 0, or a 2 MiB/1 GiB entry with the page-size bit) and a
 * *table entry* otherwise. Ranges are half-open: ``[gpa, gpa + size)``;
 * ``end`` is one past the last byte.
 *
 * Every operation that removes a translation or takes rights away records
 * the affected range in a &struct axas_pt_gather. The caller flushes that
 * range (INVEPT, VMCB TLB control, ...) and only then releases the gather,
 * which frees the table pages the operation unlinked, after an RCU grace
 * period so that a concurrent axas_pt_query() never reads freed memory.
 * Frames reported by axas_pt_unmap() must likewise only be freed after the
 * flush.
 */
#ifndef _AXAS_PT_H
#define _AXAS_PT_H

#include <linux/bits.h>
#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/sizes.h>
#include <linux/types.h>

/**
 * enum axas_pt_format - nested page-table formats
 */
enum axas_pt_format {
	/** @AXAS_PT_EPT: Intel EPT (SDM Vol. 3C, "EPT") */
	AXAS_PT_EPT,
	/** @AXAS_PT_NPT: AMD nested paging (APM Vol. 2, "Nested Paging") */
	AXAS_PT_NPT,
	/* private: */
	AXAS_PT_NR_FORMATS,
};

/**
 * DOC: Levels
 *
 * Two constants size the per-level arrays of the statistics:
 * %AXAS_PT_MAX_LEVELS, the most levels a table has (5), and
 * %AXAS_PT_LEAF_LEVELS, the levels that may hold leaves: 0 (4 KiB),
 * 1 (2 MiB) and 2 (1 GiB).
 */
#define AXAS_PT_MAX_LEVELS	5
#define AXAS_PT_LEAF_LEVELS	3

/**
 * DOC: Rights and memory type
 *
 * The rights and memory type of a mapping: the prot of axas_protect() and
 * of the engine, and the low bits of an area's flags.
 *
 * - %AXAS_PROT_READ, %AXAS_PROT_WRITE: read, write. Write needs read.
 *   Without read a leaf is execute-only, which only EPT can express, with
 *   %AXAS_CAP_EXEC_ONLY.
 * - %AXAS_PROT_EXEC: execute. EPT: bit 2 (with mode-based execute control,
 *   execute from supervisor-mode addresses); NPT: NX clear.
 * - %AXAS_PROT_EXEC_USER: EPT with mode-based execute control
 *   (%AXAS_CAP_MBEC) only: bit 10, execute from user-mode addresses.
 * - %AXAS_PROT_IGNORE_PAT: EPT only: ignore the guest's PAT (bit 6).
 * - ``AXAS_PROT_MT(mt)``: the memory type, an &enum axas_memtype, in the
 *   bits of %AXAS_PROT_MT_MASK; none (0) is write-back.
 * - %AXAS_PROT_RWX: read, write and execute. %AXAS_PROT_ALL: every bit
 *   above, a mask.
 * - %AXAS_PROT_NONE: no right at all. The mapping stays to axas (its
 *   frame, axas_translate(), axas_read() and axas_write(), snapshots) but
 *   the CPU finds no translation there: every access of the guest exits
 *   with an EPT violation or nested page fault (not present), and
 *   axas_fault() answers ``-EACCES``: what a VMM uses to trap every access
 *   to a page (tracking, introspection) without giving its memory up.
 *   axas marks the entries it writes with bit 11, which the CPU ignores in
 *   both formats, so that such a leaf stays its own.
 *
 * A right or type the format or the capabilities cannot express is
 * refused with ``-EOPNOTSUPP``, a meaningless combination with
 * ``-EINVAL`` (see axas_pt_check_prot()).
 */
#define AXAS_PROT_READ		BIT(0)
#define AXAS_PROT_WRITE		BIT(1)
#define AXAS_PROT_EXEC		BIT(2)
#define AXAS_PROT_EXEC_USER	BIT(3)
#define AXAS_PROT_IGNORE_PAT	BIT(4)
#define AXAS_PROT_MT_MASK	GENMASK(10, 8)
#define AXAS_PROT_MT(mt)	((u32)(mt) << 8)
#define AXAS_PROT_NONE		0
#define AXAS_PROT_RWX		(AXAS_PROT_READ | AXAS_PROT_WRITE | AXAS_PROT_EXEC)
#define AXAS_PROT_ALL		(AXAS_PROT_RWX | AXAS_PROT_EXEC_USER | \
				 AXAS_PROT_IGNORE_PAT | AXAS_PROT_MT_MASK)

/**
 * enum axas_memtype - memory type of a mapping
 * @AXAS_MT_WB: write-back (the default: value 0)
 * @AXAS_MT_UC: uncacheable
 * @AXAS_MT_WC: write-combining
 * @AXAS_MT_WT: write-through
 * @AXAS_MT_WP: write-protected
 *
 * EPT stores the type in the leaf; NPT selects it through PWT/PCD/PAT,
 * which index the host PAT as Linux programs it (0 WB, 1 WC, 3 UC, 5 WP,
 * 7 WT).
 */
enum axas_memtype {
	AXAS_MT_WB = 0,
	AXAS_MT_UC,
	AXAS_MT_WC,
	AXAS_MT_WT,
	AXAS_MT_WP,
	/* private: */
	AXAS_MT_NR,
};

/**
 * DOC: Capabilities
 *
 * The bits of &axas_pt_caps.flags, which axas_pt_caps_from_ept() and
 * axas_pt_caps_from_npt() fill in:
 *
 * - %AXAS_CAP_4LEVEL, %AXAS_CAP_5LEVEL: 4-level, 5-level walks
 * - %AXAS_CAP_2M, %AXAS_CAP_1G: 2 MiB, 1 GiB leaves
 * - %AXAS_CAP_AD: EPT accessed/dirty flags (%AXAS_PT_ROOT_AD)
 * - %AXAS_CAP_EXEC_ONLY: EPT execute-only leaves
 * - %AXAS_CAP_MBEC: EPT mode-based execute control
 *   (%AXAS_PROT_EXEC_USER, %AXAS_ACCESS_EXEC_USER)
 * - %AXAS_CAP_ROOT_UC, %AXAS_CAP_ROOT_WB: EPTP memory type UC, WB (an EPT
 *   table needs the one it asks for)
 *
 * The EPT-only ones make axas_pt_init() refuse an NPT table (``-EINVAL``).
 */
#define AXAS_CAP_4LEVEL		BIT(0)
#define AXAS_CAP_5LEVEL		BIT(1)
#define AXAS_CAP_2M		BIT(2)
#define AXAS_CAP_1G		BIT(3)
#define AXAS_CAP_AD		BIT(4)
#define AXAS_CAP_EXEC_ONLY	BIT(5)
#define AXAS_CAP_MBEC		BIT(6)
#define AXAS_CAP_ROOT_UC	BIT(7)
#define AXAS_CAP_ROOT_WB	BIT(8)

/**
 * struct axas_pt_caps - what the hardware supports
 * @flags: AXAS_CAP_* bits
 * @phys_bits: host physical-address width (MAXPHYADDR, as reduced by memory
 *	encryption); 0 means 52
 * @me_mask: NPT only: the AMD memory-encryption (SME) C-bit, as a mask:
 *	the host's ``sme_me_mask``, which axas_pt_caps_from_npt() fills in
 *	and axas_pt_init() insists on (0 without memory encryption). nCR3,
 *	every table entry and every leaf of RAM then carry it (see "Memory
 *	encryption" in Documentation/axas.rst).
 */
struct axas_pt_caps {
	u32 flags;
	u8 phys_bits;
	u64 me_mask;
};

/**
 * DOC: Root descriptor requests
 *
 * &axas_pt_cfg.root_flags, for EPT only (nCR3 has neither; NPT refuses
 * them with ``-EOPNOTSUPP``):
 *
 * - %AXAS_PT_ROOT_AD: set EPTP bit 6, which enables the accessed/dirty
 *   flags; needs %AXAS_CAP_AD.
 * - %AXAS_PT_ROOT_UC: EPTP memory type UC instead of WB; needs
 *   %AXAS_CAP_ROOT_UC (WB needs %AXAS_CAP_ROOT_WB).
 */
#define AXAS_PT_ROOT_AD		BIT(0)
#define AXAS_PT_ROOT_UC		BIT(1)

/**
 * struct axas_pt_cfg - how to build a table
 * @format: EPT or NPT
 * @levels: 4 or 5
 * @caps: what the hardware supports; requests beyond it are refused
 * @root_flags: AXAS_PT_ROOT_* requests for the root descriptor
 */
struct axas_pt_cfg {
	enum axas_pt_format format;
	unsigned int levels;
	struct axas_pt_caps caps;
	u32 root_flags;
};

/**
 * struct axas_pt_stats - memory a table holds
 * @tables: table pages per level, up to %AXAS_PT_MAX_LEVELS (the root
 *	counts at the top level)
 * @leaves: present leaves per level: 4 KiB, 2 MiB, 1 GiB
 */
struct axas_pt_stats {
	atomic_long_t tables[AXAS_PT_MAX_LEVELS];
	atomic_long_t leaves[AXAS_PT_LEAF_LEVELS];
};

struct axas_pt_fmt;

/**
 * struct axas_pt - one nested page table
 * @fmt: format description (&struct axas_pt_fmt, private)
 * @cfg: the configuration it was built with
 * @root: kernel address of the top-level table
 * @root_pa: its physical address
 * @top_level: ``cfg.levels - 1``
 * @gpa_limit: first GPA beyond the table's reach (2^48 or 2^57)
 * @pa_limit: first HPA beyond the host's physical-address width
 * @pgsizes: leaf sizes the capabilities allow (SZ_4K | SZ_2M | SZ_1G)
 * @present_mask: entry bits of which any one makes an entry present to
 *	axas (the CPU may see a leaf with no right as not present)
 * @huge: the page-size bit of a 2 MiB/1 GiB leaf
 * @me_mask: the memory-encryption C-bit (``cfg.caps.me_mask``), or 0
 * @addr_mask: the address bits of a table entry (without @me_mask)
 * @table_pte: attribute bits of a table entry (with @me_mask)
 * @node: NUMA node of the table pages (NUMA_NO_NODE: the task's policy)
 * @node_gfp: __GFP_THISNODE when no other node may serve
 * @stats: table pages and leaves held. The leaves of a table a space owns
 *	are counted in two places: a space's lazy faults count theirs per CPU
 *	(axas_space_get_stats() adds them), so for such a table
 *	@stats.leaves alone may be below the real count, or negative; a table
 *	used through this API alone is counted here only, and exactly.
 *
 * The fields are read-only after axas_pt_init(); callers treat the struct
 * as opaque apart from @stats.
 */
struct axas_pt {
	const struct axas_pt_fmt *fmt;
	struct axas_pt_cfg cfg;
	u64 *root;
	phys_addr_t root_pa;
	unsigned int top_level;
	u64 gpa_limit;
	u64 pa_limit;
	unsigned long pgsizes;
	u64 present_mask;
	u64 huge;
	u64 me_mask;
	u64 addr_mask;
	u64 table_pte;
	int node;
	gfp_t node_gfp;
	/* Written by every map and fault: not on the lines walks read. */
	struct axas_pt_stats stats ____cacheline_aligned_in_smp;
};

/**
 * struct axas_pt_leaf - one translation, as axas_pt_query() and
 * axas_pt_unmap() report it
 * @gpa: first GPA the leaf maps
 * @hpa: HPA the leaf starts at
 * @size: bytes the leaf maps (4 KiB, 2 MiB or 1 GiB)
 * @level: level of the leaf (0, 1 or 2)
 * @prot: AXAS_PROT_* rights and memory type
 * @accessed: the hardware set the accessed flag
 * @dirty: the hardware set the dirty flag
 * @pte: the raw entry
 */
struct axas_pt_leaf {
	u64 gpa;
	phys_addr_t hpa;
	u64 size;
	unsigned int level;
	u32 prot;
	bool accessed;
	bool dirty;
	u64 pte;
};

/**
 * struct axas_pt_src - where the host-physical addresses of a map come from
 * @next: return the HPA backing @gpa and store in *@len how many bytes are
 *	physically contiguous from there (at least PAGE_SIZE). It must return
 *	the same answer for the same @gpa: the engine asks once to plan and
 *	once to write. NULL: one contiguous range starting at @pa.
 * @pa: with @next and @frames NULL, the HPA of the first GPA of the map
 * @frames: with @next NULL, frames of @frame_size bytes (naturally aligned)
 *	backing the map in GPA order, one per @frame_size of the range
 * @frame_size: size of each of @frames: 4 KiB, 2 MiB or 1 GiB
 * @priv: for @next
 * @encrypted: the HPAs are memory the host accesses encrypted (RAM): with
 *	memory encryption on (&axas_pt_caps.me_mask), the leaves get the
 *	C-bit. Device and reserved non-RAM ranges leave it false.
 *
 * @frames does what a @next walking an array would, without an indirect
 * call per leaf.
 */
struct axas_pt_src {
	phys_addr_t (*next)(const struct axas_pt_src *src, u64 gpa, u64 *len);
	phys_addr_t pa;
	struct page **frames;
	unsigned long frame_size;
	void *priv;
	bool encrypted;
};

/**
 * struct axas_pt_gather - translations to flush and table pages to free
 * @start: first GPA whose translation was removed or reduced
 * @end: one past the last; @start >= @end when nothing needs a flush
 * @tables: unlinked table pages, freed by axas_pt_gather_release()
 */
struct axas_pt_gather {
	u64 start;
	u64 end;
	struct list_head tables;
};

/* Flags of axas_pt_map(). */
/*
 * Run concurrently with other shared maps (faults under a shared lock):
 * entries are installed with cmpxchg and the range must be one leaf.
 */
#define AXAS_PT_MAP_SHARED	BIT(0)

/**
 * typedef axas_pt_leaf_fn - called with each leaf an engine call reports
 * @arg: the caller's argument for it
 * @leaf: the leaf (a copy, valid during the call)
 *
 * axas_pt_unmap() calls it for each leaf it removed, axas_pt_destroy() for
 * each leaf still present, axas_pt_walk_leaves() for each leaf in the
 * range (with rcu_read_lock() held: it must not sleep).
 */
typedef void (*axas_pt_leaf_fn)(void *arg, const struct axas_pt_leaf *leaf);

int __must_check axas_pt_init(struct axas_pt *pt, const struct axas_pt_cfg *cfg);
void axas_pt_destroy(struct axas_pt *pt, axas_pt_leaf_fn fn, void *arg);
int __must_check axas_pt_map(struct axas_pt *pt, u64 gpa, u64 size,
			     const struct axas_pt_src *src, u32 prot,
			     unsigned long pgsizes, unsigned int flags);
int __must_check axas_pt_unmap(struct axas_pt *pt, u64 gpa, u64 size,
			       axas_pt_leaf_fn fn, void *arg,
			       struct axas_pt_gather *gather);
int __must_check axas_pt_protect(struct axas_pt *pt, u64 gpa, u64 size,
				 u32 prot, struct axas_pt_gather *gather);
int __must_check axas_pt_split(struct axas_pt *pt, u64 gpa);
int axas_pt_query(struct axas_pt *pt, u64 gpa, struct axas_pt_leaf *leaf);
s64 axas_pt_query_contig(struct axas_pt *pt, u64 gpa, struct axas_pt_leaf *leaf,
			 u64 end, unsigned int max_leaves);
int axas_pt_walk_leaves(struct axas_pt *pt, u64 gpa, u64 size,
			  axas_pt_leaf_fn fn, void *arg);
unsigned int axas_pt_next_leaves(struct axas_pt *pt, u64 gpa, u64 end,
				 struct axas_pt_leaf *leaves, unsigned int max);
u64 axas_pt_root(const struct axas_pt *pt);
int axas_pt_check_prot(const struct axas_pt *pt, u32 prot);
void axas_pt_gather_init(struct axas_pt_gather *gather);
void axas_pt_gather_release(struct axas_pt_gather *gather);
long axas_pt_live_tables(void);
struct axas_pt_caps axas_pt_caps_from_ept(u64 ept_vpid_cap, bool mbec,
					  u8 phys_bits);
struct axas_pt_caps axas_pt_caps_from_npt(bool la57, bool gbpages,
					  u8 phys_bits);

/**
 * axas_pt_gather_need_flush() - does the gather hold a range to flush?
 * @gather: the gather
 *
 * Context: any.
 * Return: true when translations were removed or reduced.
 */
static inline bool axas_pt_gather_need_flush(const struct axas_pt_gather *gather)
{
	return gather->start < gather->end;
}

/**
 * axas_pt_level_size() - bytes an entry at @level spans
 * @level: 0 (4 KiB) to 4
 *
 * Context: any.
 * Return: the span in bytes.
 */
static inline u64 axas_pt_level_size(unsigned int level)
{
	return 1ULL << (12 + 9 * level);
}

#endif /* _AXAS_PT_H */
