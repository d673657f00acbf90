// SPDX-License-Identifier: GPL-2.0
/*
 * Memory files, the records of pages written (see "Memory files" in
 * include/axas/memfile.h): the file's own log, which sees every view and
 * userspace, and the userspace writes that a space's dirty log reports
 * when it asks (AXAS_DIRTY_FILE). Both are &struct axas_memfile_watch
 * records the writers set bits in (backend/memfile.c).
 *
 * A write is recorded where it becomes possible, as the page cache
 * records dirty pages. Userspace: the first write through a user mapping
 * faults (the mapping is write-notified) and records the page under its
 * lock until the PTE is writable; a harvest takes the bits first, then
 * zaps the pages it took under the same lock, so that a write after the
 * bit was taken faults and records again. write() records after its
 * copy. A view: the fault that gives a leaf the write right records it
 * (while a file log runs, faults install file pages 4 KiB at a time and
 * without that right until written); the file log's harvest takes the
 * bits, then takes the right away in every view and flushes each space.
 * A space whose own log records by the write right keeps those pages in
 * its log's bitmap.
 *
 * Locking: the log lock; the file's invalidate lock shared, which keeps
 * the views (a space goes only after its views left the file); each
 * view's space lock, exclusively (its flush must not run beside another
 * of the space's flushes, and no pin may be resolved meanwhile); page
 * locks after the space locks are released, or under a space's lock
 * (the harvest of a space's log): nothing takes a space lock under a
 * page lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/fs.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "../compat_internal.h"

#include "features.h"

/* Pages a write-protect pass or a space's harvest takes at a time. */
#define MF_CHUNK	(BITS_PER_LONG * 16)

/* Zap the user mappings of one page, under its lock. */
static void memfile_zap_page(struct axas_memfile *mf, pgoff_t index)
{
	struct page *page = axas_memfile_tryget(mf, index);

	if (!page)
		return;
	lock_page(page);
	if (page_mapped(page))
		unmap_mapping_range(mf->inode->i_mapping,
				    (loff_t)index << PAGE_SHIFT, PAGE_SIZE, 0);
	unlock_page(page);
	put_page(page);
}

/*
 * Zap the user mappings of the pages of [@start, @end) set in @bits (bit
 * n: page @base + n), or of every page when @bits is NULL: their next
 * write faults and is recorded.
 */
static void memfile_zap(struct axas_memfile *mf, pgoff_t start, pgoff_t end,
			const unsigned long *bits, pgoff_t base)
{
	unsigned long index, n = 0;
	struct page *page;

	/* No user mapping, no writable PTE: a new one faults to write. */
	if (!mapping_mapped(mf->inode->i_mapping))
		return;
	if (bits) {
		for (index = find_next_bit(bits, end - base, start - base);
		     index < end - base;
		     index = find_next_bit(bits, end - base, index + 1)) {
			memfile_zap_page(mf, base + index);
			if (!(++n & 63))
				cond_resched();
		}
		return;
	}
	xa_for_each_range(&mf->pages, index, page, start, end - 1) {
		memfile_zap_page(mf, index);
		if (!(++n & 63))
			cond_resched();
	}
}

/*
 * Under write-protection the write right of a logged page is each log's
 * mark of a written page: the @n pages of @bits (bit 0: @gpa) lost it, so
 * they go into the bitmaps of the logs running over them.
 */
static void memfile_logs_mark(struct axas_space *space,
			      const unsigned long *bits, unsigned long n,
			      u64 gpa)
{
	unsigned long i;
	unsigned int l;

	for (l = 0; l < AXAS_NR_LOGS; l++) {
		struct axas_dirty_log *log = space->logs[l];

		if (!log || !log->wp)
			continue;
		for_each_set_bit(i, bits, n)
			axas_dirty_log_mark(log, gpa + ((u64)i << PAGE_SHIFT),
					    PAGE_SIZE);
	}
}

/*
 * Take the write right from @view's leaves of pages [@start, @end) of its
 * file, 2 MiB leaves split first, and flush its space: the next write
 * through the view faults and is recorded. The space's lock is held
 * exclusively. A space whose own log records by the write right keeps
 * the pages that had it in that log. With @out (bit n: page @base + n),
 * the pages under a valid write pin are reported: writes through a pin's
 * kernel address are not the table's to see. 0 or -ENOMEM (a split).
 */
static int memfile_view_wrprotect(struct axas_memfile_view *view,
				  pgoff_t start, pgoff_t end,
				  unsigned long *out, pgoff_t base)
{
	struct axas_space *space = view->space;
	unsigned long bits[BITS_TO_LONGS(MF_CHUNK)];
	struct axas_pt_gather gather;
	struct axas_area *area;
	struct mem_cgroup *old;
	unsigned long i, n;
	u64 gpa, size, pos;
	int ret = 0;

	axas_pt_gather_init(&gather);
	old = axas_space_memcg_enter(space);
	down_write(&space->lock);
	if (space->dead)
		goto out_unlock;
	for (area = axas_view_area(view, NULL); area && !ret;
	     area = axas_view_area(view, area)) {
		if (!axas_area_file_range(area, start, end, &gpa, &size))
			continue;
		/* A leaf the scan covers in part would keep the right. */
		ret = axas_pt_split_range(&space->pt, gpa, size);
		for (pos = gpa; pos < gpa + size && !ret; pos += n << PAGE_SHIFT) {
			n = min_t(u64, MF_CHUNK, (gpa + size - pos) >> PAGE_SHIFT);
			bitmap_zero(bits, MF_CHUNK);
			axas_pt_scan(&space->pt, pos, n << PAGE_SHIFT,
				     AXAS_SCAN_WRITABLE, AXAS_SCAN_CLEAR, bits, pos,
				     &gather);
			memfile_logs_mark(space, bits, n, pos);
			if (out) {
				bitmap_zero(bits, MF_CHUNK);
				axas_pins_writers(space, pos, n << PAGE_SHIFT, bits);
				for_each_set_bit(i, bits, n)
					__set_bit(axas_area_pgoff(area, pos) + i - base,
						  out);
			}
			cond_resched();
		}
	}
	/* Even after a failed split: what lost the right must be flushed. */
	axas_space_flush(space, &gather);
	axas_pt_gather_release(&gather);
out_unlock:
	up_write(&space->lock);
	axas_space_memcg_leave(old);
	return ret;
}

/* Every view of the file, over [@start, @end): see above. */
static int memfile_views_wrprotect(struct axas_memfile *mf, pgoff_t start,
				   pgoff_t end, unsigned long *out)
{
	struct axas_memfile_view *view;
	int ret = 0;

	down_read(&mf->invalidate);
	list_for_each_entry(view, &mf->views, file_node) {
		ret = memfile_view_wrprotect(view, start, end, out, start);
		if (ret)
			break;
	}
	up_read(&mf->invalidate);
	return ret;
}

static struct axas_memfile_watch *memfile_watch_alloc(struct axas_memfile *mf)
{
	struct axas_memfile_watch *w;
	struct mem_cgroup *old;

	old = set_active_memcg(mf->memcg);
	w = kzalloc(sizeof(*w), GFP_KERNEL_ACCOUNT);
	if (w)
		w->bits = kvcalloc(BITS_TO_LONGS(mf->nr_pages), sizeof(long),
				   GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	set_active_memcg(old);
	if (w && !w->bits) {
		kfree(w);
		return NULL;
	}
	if (w) {
		w->what = AXAS_MF_WRITE_USER | AXAS_MF_WRITE_VIEW;
		w->nr = mf->nr_pages;
	}
	return w;
}

static void memfile_watch_free(struct axas_memfile_watch *w)
{
	if (w)
		kvfree(w->bits);
	kfree(w);
}

int axas_memfile_log_begin(struct axas_memfile *mf)
{
	struct axas_memfile_watch *w = memfile_watch_alloc(mf);
	int ret = 0;

	if (!w)
		return -ENOMEM;
	mutex_lock(&mf->log_lock);
	if (mf->log) {
		ret = -EBUSY;
		goto out_unlock;
	}
	/* First recorded, then write-protected: no write between is lost. */
	axas_memfile_watch_add(mf, w);
	ret = memfile_views_wrprotect(mf, 0, mf->nr_pages, NULL);
	if (ret) {
		axas_memfile_watch_del(mf, w);
		goto out_unlock;
	}
	memfile_zap(mf, 0, mf->nr_pages, NULL, 0);
	mf->log = w;
	w = NULL;
out_unlock:
	mutex_unlock(&mf->log_lock);
	memfile_watch_free(w);
	return ret;
}

void axas_memfile_log_end(struct axas_memfile *mf)
{
	struct axas_memfile_watch *w;

	mutex_lock(&mf->log_lock);
	w = mf->log;
	mf->log = NULL;
	if (w)
		axas_memfile_watch_del(mf, w);
	mutex_unlock(&mf->log_lock);
	memfile_watch_free(w);
}

int axas_memfile_log_halt(struct axas_memfile *mf)
{
	if (!READ_ONCE(mf->log))
		return -ESRCH;
	axas_memfile_log_end(mf);
	return 0;
}

/*
 * The file log's harvest of pages [@start, @end): the bits first, then
 * the views' write right (and their write pins), then the user mappings
 * of the pages taken. Into @bitmap (bit n: page @start + n) when it is
 * not NULL. A failure puts the bits taken back.
 */
long axas_memfile_log_harvest(struct axas_memfile *mf, pgoff_t start,
			      pgoff_t end, unsigned long *bitmap)
{
	unsigned long n = end - start, i, *taken;
	long ret;

	taken = kvcalloc(BITS_TO_LONGS(n), sizeof(long), GFP_KERNEL);
	if (!taken)
		return -ENOMEM;
	mutex_lock(&mf->log_lock);
	ret = -ESRCH;
	if (!mf->log)
		goto out_unlock;
	axas_memfile_watch_take(mf->log, start, end, taken, start);
	ret = memfile_views_wrprotect(mf, start, end, taken);
	if (ret) {
		for_each_set_bit(i, taken, n)
			set_bit(start + i, mf->log->bits);
		goto out_unlock;
	}
	memfile_zap(mf, start, end, taken, start);
	ret = bitmap_weight(taken, n);
	if (bitmap)
		bitmap_copy(bitmap, taken, n);
	else
		ret = 0;
out_unlock:
	mutex_unlock(&mf->log_lock);
	kvfree(taken);
	return ret;
}

/* ---- a space's log, with AXAS_DIRTY_FILE -------------------------------- */

/*
 * Start or stop recording userspace writes to @view's pages for its
 * space's log; the space's lock held exclusively. Writable user mappings
 * made before would write unrecorded: zapped.
 */
static void memfile_view_watch(struct axas_memfile_view *view, bool on)
{
	lockdep_assert_held_write(&view->space->lock);
	if (view->watching == on)
		return;
	if (!on) {
		axas_memfile_watch_del(view->mf, &view->watch);
		view->watching = false;
		return;
	}
	bitmap_zero(view->watch.bits, view->watch.nr);
	axas_memfile_watch_add(view->mf, &view->watch);
	view->watching = true;
	memfile_zap(view->mf, view->pgoff, view->pgoff + view->watch.nr, NULL, 0);
}

void axas_memfile_space_watch(struct axas_space *space, bool on)
{
	struct axas_memfile_view *view;

	lockdep_assert_held_write(&space->lock);
	list_for_each_entry(view, &space->views, space_node)
		memfile_view_watch(view, on);
}

bool axas_memfile_space_harvest(struct axas_space *space, u64 gpa, u64 size,
				unsigned long *bitmap)
{
	unsigned long bits[BITS_TO_LONGS(MF_CHUNK)], i, n;
	struct axas_area *area;
	pgoff_t p, plo, phi;
	bool any = false;

	lockdep_assert_held(&space->lock);
	if (list_empty(&space->views))
		return false;
	for (area = axas_area_from(space, gpa); area && area->start < gpa + size;
	     area = axas_area_next(area)) {
		if (!area->view || !area->view->watching)
			continue;
		plo = axas_area_pgoff(area, max(gpa, area->start));
		phi = axas_area_pgoff(area, min(gpa + size, area->end));
		for (p = plo; p < phi; p += n) {
			n = min_t(pgoff_t, MF_CHUNK, phi - p);
			bitmap_zero(bits, MF_CHUNK);
			if (!axas_memfile_watch_take(&area->view->watch, p, p + n,
						     bits, p))
				continue;
			any = true;
			memfile_zap(area->mf, p, p + n, bits, p);
			if (!bitmap)
				continue;
			for_each_set_bit(i, bits, n)
				__set_bit((area->start - gpa +
					   ((u64)(p + i - area->pgoff) << PAGE_SHIFT)) >>
					  PAGE_SHIFT, bitmap);
		}
	}
	return any;
}

/*
 * The core's @layout hook: a new view of a space whose log records
 * userspace writes records them from the start.
 */
static void memfile_layout(struct axas_space *space, u64 gpa, u64 size)
{
	struct axas_dirty_log *log = space->logs[AXAS_LOG_VMM];

	if (log && log->file)
		axas_memfile_space_watch(space, true);
}

/*
 * The core's @write hook: a copy through a space (or a write pin, or a
 * punch) wrote file pages the table does not show: the file's log hears.
 */
static void memfile_write(struct axas_space *space, u64 gpa, u64 size)
{
	struct axas_area *area;
	u64 lo, hi;

	if (list_empty(&space->views))
		return;
	for (area = axas_area_from(space, gpa); area && area->start < gpa + size;
	     area = axas_area_next(area)) {
		if (!area->mf)
			continue;
		lo = ALIGN_DOWN(max(gpa, area->start), PAGE_SIZE);
		hi = min(gpa + size, area->end);
		axas_memfile_mark(area->mf, axas_area_pgoff(area, lo),
				  DIV_ROUND_UP(hi - lo, PAGE_SIZE),
				  AXAS_MF_WRITE_VIEW);
	}
}

struct axas_space_hooks axas_memfile_hooks = {
	.write = memfile_write,
	.layout = memfile_layout,
};
