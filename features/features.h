/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the features (this directory) share, above the space core. A
 * feature may use another only where no loop results:
 *
 *	snapshot.c -> dirty.c -> memfile_log.c -> pin.c -> copy.c
 *	snapshot.c -> memfile_snap.c -> pin.c
 *	memfile.c -> memfile_log.c			walk.c -> copy.c
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
extern struct axas_space_hooks axas_memfile_hooks;

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
 * @file: report the writes userspace made through a memory file to the
 *	pages of its file areas too (AXAS_DIRTY_FILE; memfile_log.c; the
 *	VMM's log only)
 * @bits: pages written where the table does not show it (axas_write(),
 *	write pins, discard, a protect that took the write right away, a
 *	restore) or whose mark the other log took from the table, one bit
 *	per 4 KiB page from @win.start, set with set_bit() after the write
 */
struct axas_dirty_log {
	struct axas_pt_window win;
	bool wp;
	bool file;
	unsigned long bits[];
};

/* The slots of &axas_space.logs: the VMM's log, the snapshot's. */
#define AXAS_LOG_VMM	0
#define AXAS_LOG_SNAP	1

/*
 * Record in @log's bitmap that [@gpa, @gpa + @size) was written (clipped
 * to its range): for a feature that took a leaf's write right, which was
 * @log's record of a written page.
 */
static inline void axas_dirty_log_mark(struct axas_dirty_log *log, u64 gpa,
				       u64 size)
{
	u64 end = min(gpa + size, log->win.end);

	gpa = max(ALIGN_DOWN(gpa, PAGE_SIZE), log->win.start);
	for (; gpa < end; gpa += PAGE_SIZE)
		set_bit((gpa - log->win.start) >> PAGE_SHIFT, log->bits);
}

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

/* ---- memfile.c, memfile_log.c: memory files --------------------------- */

int axas_memfile_init(void);
void axas_memfile_exit(void);
/* The memory of a memory file, or NULL for any other file. */
struct axas_memfile *axas_memfile_of(struct file *file);
/* The file's own log (the exported API's, by &struct axas_memfile). */
int axas_memfile_log_begin(struct axas_memfile *mf);
int axas_memfile_log_halt(struct axas_memfile *mf);
void axas_memfile_log_end(struct axas_memfile *mf);
long axas_memfile_log_harvest(struct axas_memfile *mf, pgoff_t start,
			      pgoff_t end, unsigned long *bitmap);
/*
 * A space's log with AXAS_DIRTY_FILE (dirty.c): record userspace writes
 * to the pages of its views from now on, or no more (lock held
 * exclusively); move those of [gpa, gpa + size) into @bitmap (bit 0:
 * @gpa; NULL: forget them) and zap their user mappings (lock held
 * either way). Whether any was moved.
 */
void axas_memfile_space_watch(struct axas_space *space, bool on);
bool axas_memfile_space_harvest(struct axas_space *space, u64 gpa, u64 size,
				unsigned long *bitmap);

/*
 * memfile_snap.c: a snapshot's file pages (snapshot.c). Take with the
 * space's lock held exclusively (*@out stays NULL without file areas);
 * restore without it, holding a reference; the last put frees the
 * copies and uncharges the space.
 */
struct axas_memfile_snap;
int axas_memfile_snap_take(struct axas_space *space,
			   struct axas_memfile_snap **out);
struct axas_memfile_snap *axas_memfile_snap_get(struct axas_memfile_snap *snap);
void axas_memfile_snap_put(struct axas_memfile_snap *snap);
long axas_memfile_snap_restore(struct axas_memfile_snap *snap);

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
