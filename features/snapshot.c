// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshot and restore of a space's alloc memory (see "Snapshot and
 * restore" in include/axas/axas.h).
 *
 * A snapshot is a copy of every alloc page present when it was taken (4
 * KiB pages, found by page index from the snapshot's start in a two-level
 * array: one block of 512 pointers per 512 pages from the start, 2 MiB
 * not necessarily aligned, that holds saved pages) plus
 * the write tracking of dirty logging over the range of the alloc areas,
 * a log of its own beside the VMM's (&axas_space.logs[AXAS_LOG_SNAP]).
 * A restore harvests that log (one pass over the leaf entries, as a
 * harvest does) and touches the pages it reports only: it copies the
 * saved page back into the frame in place (faulting a discarded page in
 * first), or unmaps a page that was absent at snapshot time. So the
 * copies, allocations and frees of a restore are proportional to the
 * pages written since the snapshot or the last restore.
 *
 * Locking: take, restore and drop hold the space lock exclusively, after
 * waiting until no fault or populate holds a charge without it, so that
 * the frame cap is exact and no lazy fault needs to drop the lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/highmem.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/prefetch.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "../compat_internal.h"

#include "features.h"

/* Saved pages per block of the array: 2 MiB from the snapshot's start. */
#define SNAP_BLOCK	(PAGE_SIZE / sizeof(struct page *))

/**
 * struct axas_snapshot - saved alloc memory of a space
 * @start: first GPA of the range (of the first alloc area)
 * @end: one past the last (of the last alloc area)
 * @blocks: per %SNAP_BLOCK pages from @start, the saved 4 KiB pages of
 *	that block, by index (NULL: absent, or not alloc memory, at
 *	snapshot time), or NULL when none was saved there. Two loads find a
 *	saved page, and the pages a restore visits share the blocks.
 * @nr_blocks: entries of @blocks
 * @work: one bit per page of the range, a restore's harvest
 * @stale: an area was mapped, unmapped or protected since it was taken
 * @files: the pages of memory files its file areas map (memfile_snap.c),
 *	or NULL
 */
struct axas_snapshot {
	u64 start;
	u64 end;
	struct page ***blocks;
	unsigned long nr_blocks;
	unsigned long *work;
	bool stale;
	struct axas_memfile_snap *files;
};

/* The saved page of index @i, or NULL. */
static struct page *snapshot_page(const struct axas_snapshot *snap,
				  unsigned long i)
{
	struct page **block = snap->blocks[i / SNAP_BLOCK];

	return block ? block[i % SNAP_BLOCK] : NULL;
}

/* Free the saved pages and the snapshot; uncharge them. */
static void snapshot_destroy(struct axas_space *space,
			     struct axas_snapshot *snap)
{
	unsigned long b, i, n = 0;

	for (b = 0; snap->blocks && b < snap->nr_blocks; b++) {
		struct page **block = snap->blocks[b];

		if (!block)
			continue;
		for (i = 0; i < SNAP_BLOCK; i++) {
			if (block[i]) {
				__free_page(block[i]);
				n++;
			}
		}
		kfree(block);
		cond_resched();
	}
	kvfree(snap->blocks);
	axas_frames_uncharge(&space->frames, n);
	atomic_long_sub(n, &space->frames.aside);
	kvfree(snap->work);
	axas_memfile_snap_put(snap->files);
	kfree(snap);
}

/*
 * The snapshot goes (the core's @shutdown hook, and drop): its log (the
 * write right and the huge leaves back where no other log runs, unless
 * shut down) and its memory.
 */
static void snapshot_free(struct axas_space *space)
{
	lockdep_assert_held_write(&space->lock);
	if (!space->snap)
		return;
	axas_dirty_log_end(space, AXAS_LOG_SNAP);
	snapshot_destroy(space, space->snap);
	space->snap = NULL;
}

/* The core's @layout hook: the snapshot no longer holds the areas. */
static void snapshot_layout(struct axas_space *space, u64 gpa, u64 size)
{
	if (space->snap)
		space->snap->stale = true;
}

struct axas_space_hooks axas_snapshot_hooks = {
	.layout = snapshot_layout,
	.shutdown = snapshot_free,
};

/* Save the page at @gpa (present, alloc memory); charged to the cap. */
static int snapshot_save(struct axas_space *space, struct axas_snapshot *snap,
			 u64 gpa, const struct axas_pt_leaf *leaf)
{
	unsigned long i = (gpa - snap->start) >> PAGE_SHIFT;
	struct page ***block = &snap->blocks[i / SNAP_BLOCK];
	struct page *page;
	int ret;

	if (!*block) {
		*block = kzalloc(PAGE_SIZE, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		if (!*block)
			return -ENOMEM;
	}
	ret = axas_frames_charge(&space->frames, 1);
	if (ret)
		return ret;
	if (axas_frames_get(&space->frames, 0, 1, &page) != 1) {
		axas_frames_uncharge(&space->frames, 1);
		return -ENOMEM;
	}
	copy_highpage(page, pfn_to_page(PHYS_PFN(leaf->hpa + (gpa - leaf->gpa))));
	(*block)[i % SNAP_BLOCK] = page;
	atomic_long_inc(&space->frames.aside);
	return 0;
}

/* Leaves snapshot_save_all() looks up at a time. */
#define SNAP_LEAVES	16

/*
 * Save every present page of the alloc areas: a walk of the present
 * leaves (a few at a time, each batch one short RCU section; the lock
 * held exclusively keeps them as they are), so that a sparse area costs
 * its tables, not one lookup per 4 KiB of its range.
 */
static int snapshot_save_all(struct axas_space *space,
			     struct axas_snapshot *snap)
{
	struct axas_pt_leaf leaves[SNAP_LEAVES];
	struct axas_area *area;
	unsigned long n = 0;
	unsigned int i, got;
	u64 pos, gpa, end;
	int ret;

	for (area = axas_area_from(space, snap->start); area;
	     area = axas_area_next(area)) {
		if (area->backend != &axas_backend_alloc)
			continue;
		for (pos = area->start; pos < area->end; cond_resched()) {
			got = axas_pt_next_leaves(&space->pt, pos, area->end,
						  leaves, SNAP_LEAVES);
			if (!got)
				break;
			for (i = 0; i < got; i++) {
				gpa = max(leaves[i].gpa, pos);
				end = min(leaves[i].gpa + leaves[i].size, area->end);
				for (; gpa < end; gpa += PAGE_SIZE) {
					ret = snapshot_save(space, snap, gpa,
							    &leaves[i]);
					if (ret)
						return ret;
					if (!(++n & 1023))
						cond_resched();
				}
				pos = end;
			}
		}
	}
	return 0;
}

int axas_snapshot_take(struct axas_space *space)
{
	struct axas_dirty_log *log = NULL, *vmm;
	struct axas_snapshot *snap = NULL;
	struct axas_area *area;
	struct mem_cgroup *old;
	u64 start = 0, end = 0;
	int ret;

	old = axas_space_memcg_enter(space);
	axas_space_lock_exact(space);
	ret = -ESHUTDOWN;
	if (space->dead)
		goto out_unlock;
	ret = -EBUSY;
	if (space->snap)
		goto out_unlock;
	for (area = axas_area_from(space, space->base); area;
	     area = axas_area_next(area)) {
		if (area->backend != &axas_backend_alloc)
			continue;
		if (!end)
			start = area->start;
		end = area->end;
	}
	ret = -ENOENT;
	if (!end)
		goto out_unlock;
	ret = -ENOMEM;
	snap = kzalloc(sizeof(*snap), GFP_KERNEL_ACCOUNT);
	if (!snap)
		goto out_unlock;
	snap->start = start;
	snap->end = end;
	snap->nr_blocks = DIV_ROUND_UP((end - start) >> PAGE_SHIFT, SNAP_BLOCK);
	snap->blocks = kvcalloc(snap->nr_blocks, sizeof(*snap->blocks),
				GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	snap->work = kvcalloc(BITS_TO_LONGS((end - start) >> PAGE_SHIFT),
			      sizeof(long), GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	/* The VMM's log and this one share the table: one mechanism. */
	vmm = space->logs[AXAS_LOG_VMM];
	log = axas_dirty_log_alloc(space, start, end - start,
				   vmm && vmm->wp ? AXAS_DIRTY_WP : 0);
	if (!snap->blocks || !snap->work || !log)
		goto out_unlock;
	ret = snapshot_save_all(space, snap);
	if (!ret)
		ret = axas_memfile_snap_take(space, &snap->files);
	if (ret)
		goto out_unlock;
	/*
	 * Forget what was written before (the VMM's log keeps it); from now
	 * on, track.
	 */
	ret = axas_dirty_log_add(space, AXAS_LOG_SNAP, log, snap->work);
	if (ret)
		goto out_unlock;
	space->snap = snap;
	log = NULL;
	snap = NULL;
out_unlock:
	if (snap)
		snapshot_destroy(space, snap);
	up_write(&space->lock);
	kvfree(log);
	axas_space_memcg_leave(old);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_snapshot_take, AXAS_NS);

/*
 * A restore copies pages back in batches: it looks up the frames of a
 * batch first (prefetching both pages of each copy), then copies them, so
 * that the misses of the lookups and of the first lines of each page
 * overlap rather than add up.
 */
#define RESTORE_BATCH	16

/**
 * struct snapshot_restore - a restore in progress
 * @space: the space
 * @snap: its snapshot
 * @log: its log
 * @area: the area of the last page looked up (or the next one), or NULL
 * @frames: frames of the pages unmapped, freed after the flush of @gather
 * @gather: what the unmaps removed
 * @done: pages restored
 * @nr: copies queued in @from and @to
 * @from: saved pages to copy back
 * @to: the frames they go to
 */
struct snapshot_restore {
	struct axas_space *space;
	struct axas_snapshot *snap;
	const struct axas_dirty_log *log;
	struct axas_area *area;
	struct list_head frames;
	struct axas_pt_gather gather;
	long done;
	unsigned int nr;
	struct page *from[RESTORE_BATCH];
	struct page *to[RESTORE_BATCH];
};

static void snapshot_copy_queued(struct snapshot_restore *r)
{
	unsigned int i;

	for (i = 0; i < r->nr; i++)
		copy_highpage(r->to[i], r->from[i]);
	r->nr = 0;
}

/* Copy @saved back into the frame at @hpa, the page at @gpa. */
static void snapshot_queue_copy(struct snapshot_restore *r, u64 gpa,
				struct page *saved, phys_addr_t hpa)
{
	struct page *to = pfn_to_page(PHYS_PFN(hpa));

	/*
	 * Its content is about to change: the pins' owners stop using it,
	 * and the restore's last flush (which the page joins) kicks them.
	 */
	axas_pins_invalidate(r->space, gpa, PAGE_SIZE, 0, &r->gather);
	/* Written, for the VMM's log: its content goes back. */
	axas_dirty_written(r->space, gpa, PAGE_SIZE, r->log);
	prefetch(page_address(saved));
	prefetchw(page_address(to));
	r->from[r->nr] = saved;
	r->to[r->nr] = to;
	if (++r->nr == RESTORE_BATCH)
		snapshot_copy_queued(r);
}

/* The alloc area of @gpa, or NULL. Pages mostly come in GPA order. */
static struct axas_area *snapshot_area(struct snapshot_restore *r, u64 gpa)
{
	struct axas_area *area = r->area;

	if (!area || gpa < area->start || gpa >= area->end) {
		area = axas_area_from(r->space, gpa);
		r->area = area;
	}
	if (!area || area->start > gpa || area->backend != &axas_backend_alloc)
		return NULL;
	return area;
}

/*
 * The common case, from the walk of the marked pages: a page present now
 * and at snapshot time gets its copy queued, and leaves the work.
 */
static void snapshot_restore_mapped(void *arg, u64 gpa, phys_addr_t hpa)
{
	struct snapshot_restore *r = arg;
	unsigned long i = (gpa - r->snap->start) >> PAGE_SHIFT;
	struct page *saved;

	if (!snapshot_area(r, gpa))
		return;
	saved = snapshot_page(r->snap, i);
	if (!saved)
		return;
	__clear_bit(i, r->snap->work);
	snapshot_queue_copy(r, gpa, saved, hpa);
	r->done++;
}

/*
 * The other pages marked: 1 when it was unmapped or its copy is queued,
 * 0 when there was nothing to do, or -errno (nothing changed).
 */
static int snapshot_restore_page(struct snapshot_restore *r, u64 gpa)
{
	struct axas_space *space = r->space;
	struct axas_pt_leaf leaf;
	struct page *saved;
	bool present;
	int ret;

	if (!snapshot_area(r, gpa))
		return 0;
	saved = snapshot_page(r->snap, (gpa - r->snap->start) >> PAGE_SHIFT);
	present = !axas_pt_query(&space->pt, gpa, &leaf);
	if (!saved) {
		/* Absent at snapshot time: absent again. */
		if (!present)
			return 0;
		ret = axas_space_unmap_frames(space, gpa, PAGE_SIZE, &r->frames,
					      &r->gather);
		if (ret)
			return ret;
		axas_pins_invalidate(space, gpa, PAGE_SIZE, 0, &r->gather);
		/* For the VMM's log, as a discard: zeros from now on. */
		axas_dirty_written(space, gpa, PAGE_SIZE, r->log);
		return 1;
	}
	if (!present) {
		/* Discarded since: a fresh frame, not marked written. */
		ret = axas_space_fault_excl(space, gpa);
		if (ret)
			return ret;
		if (WARN_ON_ONCE(axas_pt_query(&space->pt, gpa, &leaf)))
			return -EFAULT;
	}
	snapshot_queue_copy(r, gpa, saved, leaf.hpa + (gpa - leaf.gpa));
	return 1;
}

long axas_snapshot_restore(struct axas_space *space)
{
	struct axas_memfile_snap *files = NULL;
	struct snapshot_restore r = {};
	struct axas_pt_gather gather;
	struct axas_snapshot *snap;
	struct axas_dirty_log *log;
	struct mem_cgroup *old;
	unsigned long i, pages, seen = 0;
	int ret = 0;

	axas_pt_gather_init(&gather);
	old = axas_space_memcg_enter(space);
	axas_space_lock_exact(space);
	snap = space->snap;
	log = space->logs[AXAS_LOG_SNAP];
	if (space->dead)
		ret = -ESHUTDOWN;
	else if (!snap)
		ret = -ESRCH;
	else if (snap->stale)
		ret = -ESTALE;
	if (ret)
		goto out_unlock;
	pages = (snap->end - snap->start) >> PAGE_SHIFT;
	bitmap_zero(snap->work, pages);
	/* The VMM's log gets these marks too. */
	axas_dirty_take_table(space, log, snap->start, snap->end - snap->start,
			      snap->work, snap->start, &gather);
	if (log->wp)
		axas_pins_invalidate_write(space, snap->start,
					   snap->end - snap->start, &gather);
	/*
	 * Before any page changes: a CPU that kept a translation with the
	 * flag (or right) just cleared would write a restored page without
	 * marking it for the next restore.
	 */
	axas_space_flush(space, &gather);
	axas_dirty_take_bits(log, snap->start, snap->end - snap->start,
			     snap->work);
	/* Under dirty flags, a valid write pin may have written. */
	if (!log->wp)
		axas_pins_writers(space, snap->start, snap->end - snap->start,
				  snap->work);
	r.space = space;
	r.snap = snap;
	r.log = log;
	INIT_LIST_HEAD(&r.frames);
	axas_pt_gather_init(&r.gather);
	/*
	 * First the pages mapped now and at snapshot time, in one walk over
	 * the table entries of the marked pages only (no change to the
	 * table meanwhile); then the rest, page by page.
	 */
	axas_pt_walk_marked(&space->pt, snap->start, snap->end - snap->start,
			    snap->work, snap->start, snapshot_restore_mapped, &r);
	for_each_set_bit(i, snap->work, pages) {
		ret = snapshot_restore_page(&r, snap->start +
					    ((u64)i << PAGE_SHIFT));
		if (ret < 0)
			break;
		r.done += ret;
		if (!(++seen & 1023))
			cond_resched();
	}
	/* The copies still queued: those pages count as restored. */
	snapshot_copy_queued(&r);
	if (ret < 0) {
		/* The rest stays marked for the next restore. */
		for_each_set_bit_from(i, snap->work, pages)
			set_bit(i, log->bits);
	}
	axas_space_flush(space, &r.gather);
	axas_frames_free(&space->frames, &r.frames);
	/* Tables the unmaps freed may lie above ranges beyond the snapshot's. */
	axas_space_populates_stale(space, min(snap->start, r.gather.start),
				   max(snap->end, r.gather.end));
	axas_pt_gather_release(&r.gather);
	/* File pages: with the lock released (their views' locks come first). */
	if (ret >= 0)
		files = axas_memfile_snap_get(snap->files);
out_unlock:
	up_write(&space->lock);
	if (files) {
		long more = axas_memfile_snap_restore(files);

		axas_memfile_snap_put(files);
		if (more < 0)
			ret = more;
		else
			r.done += more;
	}
	axas_space_memcg_leave(old);
	axas_pt_gather_release(&gather);
	return ret < 0 ? ret : r.done;
}
EXPORT_SYMBOL_NS_GPL(axas_snapshot_restore, AXAS_NS);

int axas_snapshot_drop(struct axas_space *space)
{
	int ret = 0;

	down_write(&space->lock);
	if (space->dead)
		ret = -ESHUTDOWN;
	else if (!space->snap)
		ret = -ESRCH;
	else
		snapshot_free(space);
	up_write(&space->lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_snapshot_drop, AXAS_NS);
