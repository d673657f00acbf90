// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshot and restore of a space's alloc memory (see "Snapshot and
 * restore" in include/axas/axas.h).
 *
 * A snapshot is a copy of every alloc page present when it was taken (an
 * xarray of 4 KiB pages, indexed by page from the snapshot's start) plus
 * the write tracking of dirty logging over the range of the alloc areas,
 * which the snapshot owns as the space's one log (&axas_dirty_log.snap).
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
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "compat_internal.h"

#include "axas_internal.h"

/**
 * struct axas_snapshot - saved alloc memory of a space
 * @start: first GPA of the range (of the first alloc area)
 * @end: one past the last (of the last alloc area)
 * @pages: the saved 4 KiB pages, by page index from @start; an index
 *	without one was absent (or not alloc memory) at snapshot time
 * @work: one bit per page of the range, a restore's harvest
 */
struct axas_snapshot {
	u64 start;
	u64 end;
	struct xarray pages;
	unsigned long *work;
};

/* Free the saved pages and the snapshot; uncharge them. */
static void snapshot_destroy(struct axas_space *space,
			     struct axas_snapshot *snap)
{
	unsigned long idx, n = 0;
	struct page *page;

	xa_for_each(&snap->pages, idx, page) {
		__free_page(page);
		if (!(++n & 4095))
			cond_resched();
	}
	xa_destroy(&snap->pages);
	axas_frames_uncharge(space, n);
	atomic_long_sub(n, &space->snapshot_frames);
	kvfree(snap->work);
	kfree(snap);
}

/* Shutdown (lock held exclusively): the snapshot's memory goes too. */
void axas_snapshot_free(struct axas_space *space)
{
	lockdep_assert_held_write(&space->lock);
	if (!space->snap)
		return;
	snapshot_destroy(space, space->snap);
	space->snap = NULL;
}

/* Save the page at @gpa (present, alloc memory); charged to the cap. */
static int snapshot_save(struct axas_space *space, struct axas_snapshot *snap,
			 u64 gpa, const struct axas_pt_leaf *leaf)
{
	struct page *page;
	int ret;

	ret = axas_frames_charge(space, 1);
	if (ret)
		return ret;
	if (axas_frames_get(space, 0, 1, &page) != 1) {
		axas_frames_uncharge(space, 1);
		return -ENOMEM;
	}
	copy_highpage(page, pfn_to_page(PHYS_PFN(leaf->hpa + (gpa - leaf->gpa))));
	ret = xa_err(xa_store(&snap->pages, (gpa - snap->start) >> PAGE_SHIFT,
			      page, GFP_KERNEL_ACCOUNT));
	if (ret) {
		__free_page(page);
		axas_frames_uncharge(space, 1);
		return ret;
	}
	atomic_long_inc(&space->snapshot_frames);
	return 0;
}

/* Save every present page of the alloc areas. */
static int snapshot_save_all(struct axas_space *space,
			     struct axas_snapshot *snap)
{
	struct axas_area *area;
	unsigned long n = 0;
	int ret;

	for (area = axas_area_from(space, snap->start); area;
	     area = axas_area_next(area)) {
		u64 gpa;

		if (area->backend != &axas_backend_alloc)
			continue;
		for (gpa = area->start; gpa < area->end; gpa += PAGE_SIZE) {
			struct axas_pt_leaf leaf;

			if (axas_pt_query(&space->pt, gpa, &leaf))
				continue;
			ret = snapshot_save(space, snap, gpa, &leaf);
			if (ret)
				return ret;
			if (!(++n & 1023))
				cond_resched();
		}
	}
	return 0;
}

/**
 * axas_snapshot_take() - save the alloc memory of a space
 * @space: the space
 *
 * Copies every alloc page that is present now into memory of the
 * snapshot (charged to the frame cap and the memory cgroup, reported in
 * &axas_space_stats.snapshot_frames), splits the huge leaves of the alloc
 * areas' range into 4 KiB leaves, and starts tracking writes there with
 * the dirty-logging machinery, flushing once. One snapshot per space; it
 * is the space's dirty log while it exists.
 *
 * Context: process context; may sleep; takes the space lock exclusively;
 * calls the pin callbacks (write pins, under write-protection) and the
 * flush callback. vCPUs must be out of guest mode (see "Snapshot and
 * restore").
 * Return: 0; -ENOENT when the space has no alloc area; -EBUSY when a
 * snapshot exists or dirty logging is on; -ENOMEM when memory or the frame
 * cap ran out (nothing changed but leaves split, which map the same);
 * -ESHUTDOWN after shutdown.
 */
int axas_snapshot_take(struct axas_space *space)
{
	struct axas_dirty_log *log = NULL;
	struct axas_snapshot *snap = NULL;
	struct axas_pt_gather gather;
	struct axas_area *area;
	struct mem_cgroup *old;
	u64 start = 0, end = 0;
	int ret;

	axas_pt_gather_init(&gather);
	old = set_active_memcg(space->memcg);
	axas_space_lock_exact(space);
	ret = -ESHUTDOWN;
	if (space->dead)
		goto out_unlock;
	ret = -EBUSY;
	if (space->snap || space->log)
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
	xa_init(&snap->pages);
	snap->work = kvcalloc(BITS_TO_LONGS((end - start) >> PAGE_SHIFT),
			      sizeof(long), GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	log = axas_dirty_log_alloc(space, start, end - start, 0);
	if (!snap->work || !log)
		goto out_unlock;
	log->snap = true;
	ret = axas_pt_split_range(&space->pt, start, end - start);
	if (ret)
		goto out_unlock;
	ret = snapshot_save_all(space, snap);
	if (ret)
		goto out_unlock;
	/* Forget what was written before; from now on, track. */
	axas_pt_scan(&space->pt, start, end - start, axas_dirty_log_bit(log),
		     AXAS_SCAN_CLEAR, NULL, start, &gather);
	if (log->wp)
		axas_pins_invalidate_write(space, start, end - start);
	axas_space_flush(space, &gather);
	axas_pt_gather_release(&gather);
	space->log = log;
	space->snap = snap;
	space->snap_stale = false;
	log = NULL;
	snap = NULL;
	/* A populate planned huge leaves here: plan again. */
	axas_space_populates_stale(space, start, end);
out_unlock:
	if (snap)
		snapshot_destroy(space, snap);
	up_write(&space->lock);
	kvfree(log);
	set_active_memcg(old);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_snapshot_take, AXAS_NS);

/*
 * Restore the page at @gpa, reported written: 1 when it was copied back or
 * unmapped, 0 when there was nothing to do, or -errno (nothing changed).
 */
static int snapshot_restore_page(struct axas_space *space,
				 struct axas_snapshot *snap, u64 gpa,
				 struct list_head *frames,
				 struct axas_pt_gather *gather)
{
	struct axas_area *area = axas_area_from(space, gpa);
	struct axas_pt_leaf leaf;
	struct page *saved;
	bool present;
	int ret;

	if (!area || area->start > gpa || area->backend != &axas_backend_alloc)
		return 0;
	saved = xa_load(&snap->pages, (gpa - snap->start) >> PAGE_SHIFT);
	present = !axas_pt_query(&space->pt, gpa, &leaf);
	if (!saved) {
		/* Absent at snapshot time: absent again. */
		if (!present)
			return 0;
		ret = axas_space_unmap_frames(space, gpa, PAGE_SIZE, frames,
					      gather);
		if (ret)
			return ret;
		axas_pins_invalidate(space, gpa, PAGE_SIZE, 0);
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
	copy_highpage(pfn_to_page(PHYS_PFN(leaf.hpa + (gpa - leaf.gpa))), saved);
	/* Its content changed behind the pins: let their owners know. */
	axas_pins_invalidate(space, gpa, PAGE_SIZE, 0);
	return 1;
}

/**
 * axas_snapshot_restore() - make alloc memory equal to the snapshot again
 * @space: the space
 *
 * Harvests the snapshot's write tracking (one pass over the leaf entries
 * of its range) and, for each alloc page written or discarded since the
 * snapshot or the last restore: copies the saved page back into its frame
 * (a discarded page gets a fresh frame first), or unmaps the page and
 * frees its frame if it was absent at snapshot time. Pages not written
 * are not touched. The pins of every restored page are invalidated, the
 * range is flushed once, then frames are freed. The snapshot stays, for
 * the next restore.
 *
 * Context: process context; may sleep; takes the space lock exclusively;
 * calls the pin callbacks and the flush callback. vCPUs must be out of
 * guest mode (see "Snapshot and restore").
 * Return: the number of pages restored (copied back or unmapped);
 * -ENOENT when there is no snapshot; -ESTALE when an area was mapped,
 * unmapped or protected since the snapshot was taken (nothing changed);
 * -ENOMEM when a frame or table page could not be had: the pages restored
 * before stay restored, the others stay marked and the next restore
 * finishes the job (nothing leaks); -ESHUTDOWN after shutdown.
 */
long axas_snapshot_restore(struct axas_space *space)
{
	struct axas_pt_gather gather;
	struct axas_snapshot *snap;
	struct axas_dirty_log *log;
	struct mem_cgroup *old;
	unsigned long i, pages;
	LIST_HEAD(frames);
	long done = 0;
	int ret = 0;

	axas_pt_gather_init(&gather);
	old = set_active_memcg(space->memcg);
	axas_space_lock_exact(space);
	snap = space->snap;
	log = space->log;
	if (space->dead)
		ret = -ESHUTDOWN;
	else if (!snap)
		ret = -ENOENT;
	else if (space->snap_stale)
		ret = -ESTALE;
	if (ret)
		goto out_unlock;
	pages = (snap->end - snap->start) >> PAGE_SHIFT;
	bitmap_zero(snap->work, pages);
	axas_pt_scan(&space->pt, snap->start, snap->end - snap->start,
		     axas_dirty_log_bit(log), AXAS_SCAN_CLEAR, snap->work,
		     snap->start, &gather);
	if (log->wp)
		axas_pins_invalidate_write(space, snap->start,
					   snap->end - snap->start);
	axas_dirty_take_bits(log, snap->start, snap->end - snap->start,
			     snap->work);
	/* Under dirty flags, a valid write pin may have written. */
	if (!log->wp)
		axas_pins_writers(space, snap->start, snap->end - snap->start,
				  snap->work);
	for_each_set_bit(i, snap->work, pages) {
		ret = snapshot_restore_page(space, snap,
					    snap->start + ((u64)i << PAGE_SHIFT),
					    &frames, &gather);
		if (ret < 0) {
			/* The rest stays marked for the next restore. */
			for_each_set_bit_from(i, snap->work, pages)
				set_bit(i, log->bits);
			break;
		}
		done += ret;
		if (!(i & 1023))
			cond_resched();
	}
	axas_space_flush(space, &gather);
	axas_frames_free(space, &frames);
	axas_pt_gather_release(&gather);
	axas_space_populates_stale(space, snap->start, snap->end);
out_unlock:
	up_write(&space->lock);
	set_active_memcg(old);
	return ret < 0 ? ret : done;
}
EXPORT_SYMBOL_NS_GPL(axas_snapshot_restore, AXAS_NS);

/**
 * axas_snapshot_drop() - free the snapshot
 * @space: the space
 *
 * Frees the saved pages and ends the write tracking (under
 * write-protection the write right comes back; adding a right needs no
 * flush). Guest memory stays as it is.
 *
 * Context: process context; may sleep; takes the space lock exclusively.
 * Return: 0; -ENOENT when there is no snapshot; -ESHUTDOWN after shutdown
 * (which freed the snapshot).
 */
int axas_snapshot_drop(struct axas_space *space)
{
	int ret = 0;

	down_write(&space->lock);
	if (space->dead) {
		ret = -ESHUTDOWN;
	} else if (!space->snap) {
		ret = -ENOENT;
	} else {
		axas_dirty_log_end(space);
		axas_snapshot_free(space);
	}
	up_write(&space->lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_snapshot_drop, AXAS_NS);
