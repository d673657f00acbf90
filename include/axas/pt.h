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
 * - %AXAS_CAP_2M, %AXAS_CAP_1G: 2 MiB, 1 GiB leaves (1 GiB ones only
 *   with 2 MiB ones too: splitting or putting back a 1 GiB leaf goes
 *   through 2 MiB leaves, so a table given %AXAS_CAP_1G alone makes none)
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

/**
 * axas_pt_init() - build an empty table
 * @pt: the table to initialise
 * @cfg: format, levels, capabilities and root requests
 *
 * Allocates the top-level table. Requests the capabilities do not allow
 * (5 levels, A/D flags, an EPTP memory type) are refused.
 *
 * Context: process context; may sleep.
 * Return: 0; -EINVAL for an unknown format, a level count other than 4 or
 * 5, unknown root flags or a physical-address width above 52;
 * -EOPNOTSUPP for a request the capabilities do not allow; -ENOMEM.
 */
int __must_check axas_pt_init(struct axas_pt *pt, const struct axas_pt_cfg *cfg);

/**
 * axas_pt_destroy() - free every table page
 * @pt: the table
 * @fn: called for every leaf still present (to free its frame), or NULL
 * @arg: for @fn
 *
 * The caller guarantees that no CPU uses the table any more (the guest is
 * stopped and its translations flushed) and that no other thread calls
 * into @pt. Table pages are freed after an RCU grace period.
 *
 * Context: process context; no lock needed beyond that guarantee.
 * Return: nothing; @pt must be initialised again before reuse.
 */
void axas_pt_destroy(struct axas_pt *pt, axas_pt_leaf_fn fn, void *arg);

/**
 * axas_pt_map() - map a GPA range
 * @pt: the table
 * @gpa: first GPA, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 * @src: where the HPAs come from
 * @prot: AXAS_PROT_* rights and memory type of every leaf
 * @pgsizes: leaf sizes the map may use (SZ_4K | SZ_2M | SZ_1G); each leaf
 *	is the largest allowed size that GPA, HPA and the remaining length
 *	fit
 * @flags: AXAS_PT_MAP_SHARED to run concurrently with other shared maps
 *
 * All or nothing: on error nothing was written and no page is held.
 * Without AXAS_PT_MAP_SHARED the caller excludes every other writer of
 * @pt; lockless axas_pt_query() may run. With it, @size must be exactly one
 * leaf of a size in @pgsizes, and two racing maps of the same leaf leave
 * one winner, the other gets -EEXIST.
 *
 * Context: process context; may sleep (allocates table pages).
 * Return: 0; -EINVAL for an unaligned or zero @gpa/@size/HPA, unknown
 * @flags, a bad @prot, @pgsizes empty or unknown, a frame size other than
 * 4 KiB, 2 MiB or 1 GiB (or @size not a multiple of it), or a position no
 * allowed leaf size fits; -ERANGE for a range beyond the table's reach or an HPA
 * beyond the physical-address width; -EOPNOTSUPP for @prot or @pgsizes the
 * capabilities do not allow; -EEXIST when part of the range is mapped;
 * -ENOMEM.
 */
int __must_check axas_pt_map(struct axas_pt *pt, u64 gpa, u64 size,
			     const struct axas_pt_src *src, u32 prot,
			     unsigned long pgsizes, unsigned int flags);

/**
 * axas_pt_unmap() - remove the translations of a GPA range
 * @pt: the table
 * @gpa: first GPA, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 * @fn: called for every leaf removed (the frame behind it may be freed
 *	only after the flush), or NULL
 * @arg: for @fn
 * @gather: collects the range to flush and the table pages to free
 *
 * Holes in the range are skipped. A 2 MiB or 1 GiB leaf that the range
 * covers in part is split first, so its other part stays mapped. Table
 * pages left empty are unlinked into @gather. The caller flushes
 * [@gather->start, @gather->end) and then calls axas_pt_gather_release().
 * On error nothing was changed. The caller excludes every other writer of
 * @pt.
 *
 * Context: process context; may sleep (allocates pages for splits).
 * Return: 0; -EINVAL for an unaligned or zero range or no @gather;
 * -ERANGE for a range beyond the table's reach; -ENOMEM when a split could
 * not get its table page.
 */
int __must_check axas_pt_unmap(struct axas_pt *pt, u64 gpa, u64 size,
			       axas_pt_leaf_fn fn, void *arg,
			       struct axas_pt_gather *gather);

/**
 * axas_pt_protect() - change rights and memory type of the leaves in a range
 * @pt: the table
 * @gpa: first GPA, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 * @prot: new AXAS_PROT_* rights and memory type
 * @gather: collects the range to flush
 *
 * Holes are skipped; a huge leaf covered in part is split first. The A/D
 * flags the hardware set are kept. Ranges whose rights were reduced or
 * whose memory type changed are added to @gather; the caller flushes them
 * and releases the gather. On error nothing was changed. The caller
 * excludes every other writer of @pt.
 *
 * Context: process context; may sleep (allocates pages for splits).
 * Return: 0; -EINVAL for an unaligned or zero range, no @gather or a bad
 * @prot; -EOPNOTSUPP for @prot the format cannot express; -ERANGE for a
 * range beyond the table's reach; -ENOMEM when a split could not get its
 * table page.
 */
int __must_check axas_pt_protect(struct axas_pt *pt, u64 gpa, u64 size,
				 u32 prot, struct axas_pt_gather *gather);

/**
 * axas_pt_split() - split the huge leaf that maps @gpa one level down
 * @pt: the table
 * @gpa: a GPA inside a 2 MiB or 1 GiB leaf
 *
 * The new leaves keep translation, rights and A/D flags, so no flush is
 * needed. The caller excludes every other writer of @pt.
 *
 * Context: process context; may sleep.
 * Return: 0; -ERANGE for @gpa beyond the table's reach; -ENOENT when @gpa
 * is not mapped; -EINVAL when it is mapped by a 4 KiB leaf; -ENOMEM.
 */
int __must_check axas_pt_split(struct axas_pt *pt, u64 gpa);

/**
 * axas_pt_query() - look up the leaf that maps @gpa
 * @pt: the table
 * @gpa: any GPA
 * @leaf: filled with the leaf (its first GPA, HPA, size, rights, A/D);
 *	when @gpa is not mapped, @leaf->level and @leaf->size say where the
 *	walk stopped: the level of the empty entry and the span it covers
 *	(no leaf larger than that span fits at @gpa now; the span may exceed
 *	the largest leaf size)
 *
 * Lockless: may run concurrently with any other operation on @pt,
 * axas_pt_destroy() included (then it finds nothing); it sees each entry
 * either before or after a concurrent change.
 *
 * Context: any, including atomic context; takes rcu_read_lock().
 * Return: 0; -ERANGE for @gpa beyond the table's reach; -ENOENT when
 * @gpa is not mapped.
 */
int axas_pt_query(struct axas_pt *pt, u64 gpa, struct axas_pt_leaf *leaf);

/**
 * axas_pt_query_contig() - look up @gpa and measure its contiguous run
 * @pt: the table
 * @gpa: any GPA
 * @leaf: filled with the leaf that maps @gpa
 * @end: stop measuring here (exclusive); beyond the leaf of @gpa only
 * @max_leaves: leaves to follow after the first, at most
 *
 * Follows the leaves after the one of @gpa while they continue its HPA with
 * the same rights, reading the neighbouring entries of the same table
 * rather than walking from the root again for each.
 *
 * Context: any, including atomic context; takes rcu_read_lock().
 * Return: the number of bytes from @gpa on that are contiguous (at least
 * the rest of its leaf, at most up to @end unless that leaf reaches
 * beyond), or -ERANGE for @gpa beyond the table's reach, -ENOENT when
 * @gpa is not mapped.
 */
s64 axas_pt_query_contig(struct axas_pt *pt, u64 gpa, struct axas_pt_leaf *leaf,
			 u64 end, unsigned int max_leaves);

/**
 * axas_pt_walk_leaves() - call @fn for every leaf that maps part of a range
 * @pt: the table
 * @gpa: first GPA, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 * @fn: called in GPA order with each leaf (whole, even where it reaches
 *	beyond the range)
 * @arg: for @fn
 *
 * The caller excludes writers that remove tables (unmap, destroy); @fn
 * must not sleep.
 *
 * Context: any; takes rcu_read_lock().
 * Return: 0; -EINVAL for an unaligned or zero range; -ERANGE beyond the
 * table's reach.
 */
int axas_pt_walk_leaves(struct axas_pt *pt, u64 gpa, u64 size,
			  axas_pt_leaf_fn fn, void *arg);

/**
 * axas_pt_next_leaves() - the next leaves from a GPA on
 * @pt: the table
 * @gpa: where to start; a leaf that maps @gpa counts
 * @end: where to stop (exclusive)
 * @leaves: filled with up to @max leaves, in GPA order
 * @max: how many at most
 *
 * A bounded piece of a walk, for callers that go through a large table a
 * few leaves at a time without holding anything in between (the debugfs
 * dump): each call is one short RCU read-side section. Leaves that change
 * between calls are seen before or after the change.
 *
 * Context: any, including atomic context; takes rcu_read_lock().
 * Return: the number of leaves found; 0 at the end.
 */
unsigned int axas_pt_next_leaves(struct axas_pt *pt, u64 gpa, u64 end,
				 struct axas_pt_leaf *leaves, unsigned int max);

/**
 * axas_pt_root() - the root descriptor to load
 * @pt: the table
 *
 * For EPT the EPTP (top table, memory type, walk length, A/D enable); for
 * NPT the nCR3 (top table).
 *
 * Context: any.
 * Return: the descriptor.
 */
u64 axas_pt_root(const struct axas_pt *pt);

/**
 * axas_pt_check_prot() - can @prot be written as a leaf of @pt?
 * @pt: the table
 * @prot: AXAS_PROT_* rights and memory type
 *
 * Context: any.
 * Return: 0; -EINVAL for unknown bits, an unknown memory type, or write
 * without read; -EOPNOTSUPP for a combination the format or the
 * capabilities cannot express (execute-only, user-mode execute,
 * ignore-PAT on NPT). No right at all is a valid @prot: see "Rights and
 * memory type".
 */
int axas_pt_check_prot(const struct axas_pt *pt, u32 prot);

/**
 * axas_pt_gather_init() - start an empty gather
 * @gather: the gather
 *
 * Context: any.
 * Return: nothing.
 */
void axas_pt_gather_init(struct axas_pt_gather *gather);

/**
 * axas_pt_gather_release() - free the table pages of a flushed gather
 * @gather: the gather, whose range the caller has flushed
 *
 * The pages are freed after an RCU grace period; the gather is empty
 * again afterwards.
 *
 * Context: any context that may call call_rcu().
 * Return: nothing.
 */
void axas_pt_gather_release(struct axas_pt_gather *gather);

/**
 * axas_pt_live_tables() - table pages allocated and not yet freed
 *
 * Counts every table of every user; pages waiting for their RCU grace
 * period still count (call rcu_barrier() first for an exact figure).
 *
 * Context: any.
 * Return: the number of pages.
 */
long axas_pt_live_tables(void);

/**
 * axas_pt_caps_from_ept() - capabilities from IA32_VMX_EPT_VPID_CAP
 * @ept_vpid_cap: the MSR's value (MSR 0x48C)
 * @mbec: secondary processor-based control "mode-based execute control
 *	for EPT" may be set
 * @phys_bits: MAXPHYADDR (CPUID 0x80000008 EAX[7:0]); 0 means 52
 *
 * Decodes only; the caller reads the MSR (this keeps the function usable
 * and testable anywhere).
 *
 * Context: any.
 * Return: the capabilities for &struct axas_pt_cfg.
 */
struct axas_pt_caps axas_pt_caps_from_ept(u64 ept_vpid_cap, bool mbec,
					  u8 phys_bits);

/**
 * axas_pt_caps_from_npt() - capabilities of AMD nested paging
 * @la57: the host runs with 5-level paging (CR4.LA57), which nested
 *	paging then uses too
 * @gbpages: 1 GiB pages (CPUID 0x80000001 EDX[26])
 * @phys_bits: MAXPHYADDR (CPUID 0x80000008 EAX[7:0], less the bits memory
 *	encryption takes: the kernel's ``boot_cpu_data.x86_phys_bits``); 0
 *	for that value
 *
 * With AMD memory encryption (SME) active on the host, the C-bit comes
 * from the kernel's ``sme_me_mask`` into &axas_pt_caps.me_mask.
 *
 * Context: any.
 * Return: the capabilities for &struct axas_pt_cfg.
 */
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
