/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the features (this directory) share, above the space core. A
 * feature may use another only where no loop results:
 *
 *	snapshot.c -> dirty.c -> pin.c -> copy.c	walk.c -> copy.c
 *
 * and each tells the core of nothing but through core/core.h; the core
 * tells each what it must know through the hooks the module registers at
 * init (axas_main.c).
 */
#ifndef _AXAS_FEATURES_H
#define _AXAS_FEATURES_H

#include "../core/core.h"

/* The features' hooks, registered by the module in this order. */
extern struct axas_space_hooks axas_pin_hooks;
extern struct axas_space_hooks axas_dirty_hooks;
extern struct axas_space_hooks axas_snapshot_hooks;
extern struct axas_space_hooks axas_debugfs_hooks;

/* debugfs.c: /sys/kernel/debug/axas/, the module's and each space's. */
void axas_debugfs_init(void);
void axas_debugfs_exit(void);

/* Leaves the debugfs table file prints per record. */
#define AXAS_TABLE_BATCH	32

/**
 * struct axas_table_iter - a reader's place in the debugfs table file
 * @space: the space
 * @n: leaves in @leaves
 * @leaves: the current record's leaves
 */
struct axas_table_iter {
	struct axas_space *space;
	unsigned int n;
	struct axas_pt_leaf leaves[AXAS_TABLE_BATCH];
};

/* ---- copy.c ------------------------------------------------------------ */

#ifdef CONFIG_HAS_IOMEM
/*
 * How to map a host page the kernel does not map with the memory type
 * @prot of the guest's mapping: MEMREMAP_* flags in *@flags, or 0 there
 * for uncached; -EFAULT for a page System RAM covers only in part.
 */
int axas_remap_flags(phys_addr_t base, u32 prot, unsigned long *flags);
#endif

/*
 * The guest page walker's access to guest memory: between begin and end
 * the space lock is held shared; map a guest table entry at @gpa
 * (faulting a lazy page in with @fault), use it, unmap it before the next.
 * -ENOENT: no area at @gpa; -EFAULT: not installed (without @fault), or
 * memory that cannot be mapped write-back; the errors of axas_fault().
 * @prot is the guest's rights there (the area's: a leaf may lack the
 * rights the core's window denies); @ram says the page is RAM (has a
 * struct page, or System RAM), not device memory.
 */
struct axas_guest_map {
	void *va;
	void *remap;
	u32 prot;
	bool ram;
};

struct mem_cgroup *axas_space_guest_begin(struct axas_space *space);
void axas_space_guest_end(struct axas_space *space, struct mem_cgroup *old);
int axas_space_guest_map(struct axas_space *space, u64 gpa, bool fault,
			 struct axas_guest_map *m);
void axas_space_guest_unmap(struct axas_guest_map *m);

/* ---- pin.c ------------------------------------------------------------- */

/*
 * The translations of [@gpa, @gpa + @size) now allow at most @prot (0:
 * they are gone): invalidate the pins that needed more. Call it after the
 * table changed and before anything of the range is freed, with the space
 * lock held exclusively. The page of each pin invalidated joins @gather:
 * the flush that follows covers it, so that a callback that only posts a
 * request to the vCPUs may leave the kick to the flush (NULL: the caller
 * flushes the range). The core's @reduce hook.
 */
void axas_pins_invalidate(struct axas_space *space, u64 gpa, u64 size,
			  u32 prot, struct axas_pt_gather *gather);
/* Write-protection for dirty logging: the pins that need write. */
void axas_pins_invalidate_write(struct axas_space *space, u64 gpa, u64 size,
				struct axas_pt_gather *gather);
/*
 * Valid pins of the range that need write: how many; with @bitmap, their
 * pages are set in it (bit 0: @gpa). Space lock held either way.
 */
unsigned int axas_pins_writers(struct axas_space *space, u64 gpa, u64 size,
			       unsigned long *bitmap);

/* ---- dirty.c ----------------------------------------------------------- */

/**
 * struct axas_dirty_log - a GPA range being dirty-logged (dirty.c)
 * @win: the range, as the core's window: write-protection denies the
 *	write right there (the core's &axas_space.win points here)
 * @wp: write-protection mode (else the leaves' dirty flags)
 * @bits: pages written where the table does not show it (axas_write(),
 *	write pins, discard, a protect that took the write right away, a
 *	restore) or whose mark the other log took from the table, one bit
 *	per 4 KiB page from @win.start, set with set_bit() after the write
 */
struct axas_dirty_log {
	struct axas_pt_window win;
	bool wp;
	unsigned long bits[];
};

/* The slots of &axas_space.logs: the VMM's log, the snapshot's. */
#define AXAS_LOG_VMM	0
#define AXAS_LOG_SNAP	1

struct axas_dirty_log *axas_dirty_log_alloc(struct axas_space *space, u64 gpa,
					    u64 size, unsigned int flags);
int axas_dirty_log_add(struct axas_space *space, unsigned int slot,
		       struct axas_dirty_log *log, unsigned long *scratch);
void axas_dirty_log_end(struct axas_space *space, unsigned int slot);
long axas_dirty_take_table(struct axas_space *space,
			   const struct axas_dirty_log *log, u64 gpa, u64 size,
			   unsigned long *bitmap, u64 base,
			   struct axas_pt_gather *gather);
unsigned long axas_dirty_take_bits(struct axas_dirty_log *log, u64 gpa,
				   u64 size, unsigned long *bitmap);
void axas_dirty_written(struct axas_space *space, u64 gpa, u64 size,
			const struct axas_dirty_log *except);

#if IS_ENABLED(CONFIG_KUNIT)
struct seq_file;
/* Visible to the KUnit suites: they see pins left registered at destroy... */
void axas_pins_leaked(struct axas_space *space, unsigned int n);
/* ...change a guest table entry under a walk setting A/D flags... */
void axas_walk_before_ad(u64 gpa, void *entry);
/* ...and read what the debugfs files show. */
int axas_stats_show(struct seq_file *m, void *unused);
int axas_areas_show(struct seq_file *m, void *unused);
extern const struct seq_operations axas_table_seq_ops;
#endif

#endif /* _AXAS_FEATURES_H */
