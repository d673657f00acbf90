// SPDX-License-Identifier: GPL-2.0
/*
 * Memory files in a space's snapshot (see "Snapshot and restore" in
 * include/axas/axas.h and "Memory files"): the snapshot saves the file
 * pages the space's file areas map, and a restore puts that content back
 * into the file, which every view and user mapping then sees.
 *
 * Take runs inside axas_snapshot_take(), with the space's lock held
 * exclusively: it copies the pages present in the file through a
 * reference to each (a punch meanwhile frees nothing under it), and
 * records which pages the space mapped (absent ones are restored as
 * zeros). A restore runs after the alloc part, with the space's lock
 * released: it takes each file's invalidate lock shared (no frame goes
 * meanwhile), compares each page with its copy, invalidates the pins of
 * the pages that differ in every view (each space's lock held
 * exclusively in turn, then its flush), writes the copies back (or
 * zeros), and tells every view's dirty log and the file's watches. The
 * saved pages are charged to the space (its memory cgroup and frame
 * cap, &axas_space_stats.snapshot_frames), as the alloc part's are.
 * Other views writing during a restore race with it, as a device writing
 * guest memory would.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "../compat_internal.h"

#include "features.h"

/* The pages of one file that a snapshot saved. */
struct memfile_snap_file {
	struct list_head node;
	struct axas_memfile *mf;
	struct xarray saved;		/* index: the copy of the page */
	unsigned long *mapped;		/* the pages the space mapped */
	unsigned long *changed;		/* a restore's work */
};

/**
 * struct axas_memfile_snap - the file pages of a snapshot
 * @ref: the snapshot's, and a restore's while it runs without the lock
 * @space: the space, charged for the copies
 * @saved: copies held
 * @files: one &struct memfile_snap_file per file
 */
struct axas_memfile_snap {
	struct kref ref;
	struct axas_space *space;
	unsigned long saved;
	struct list_head files;
};

static void memfile_snap_release(struct kref *ref)
{
	struct axas_memfile_snap *snap = container_of(ref, struct axas_memfile_snap, ref);
	struct memfile_snap_file *sf, *tmp;
	unsigned long index;
	struct page *page;

	list_for_each_entry_safe(sf, tmp, &snap->files, node) {
		xa_for_each(&sf->saved, index, page)
			__free_page(page);
		xa_destroy(&sf->saved);
		kvfree(sf->mapped);
		kvfree(sf->changed);
		axas_memfile_put(sf->mf);
		list_del(&sf->node);
		kfree(sf);
		cond_resched();
	}
	axas_frames_uncharge(&snap->space->frames, snap->saved);
	atomic_long_sub(snap->saved, &snap->space->frames.aside);
	kfree(snap);
}

void axas_memfile_snap_put(struct axas_memfile_snap *snap)
{
	if (snap)
		kref_put(&snap->ref, memfile_snap_release);
}

struct axas_memfile_snap *axas_memfile_snap_get(struct axas_memfile_snap *snap)
{
	if (snap)
		kref_get(&snap->ref);
	return snap;
}

static struct memfile_snap_file *memfile_snap_file(struct axas_memfile_snap *snap,
						   struct axas_memfile *mf)
{
	struct memfile_snap_file *sf;
	size_t longs = BITS_TO_LONGS(mf->nr_pages);

	list_for_each_entry(sf, &snap->files, node)
		if (sf->mf == mf)
			return sf;
	sf = kzalloc(sizeof(*sf), GFP_KERNEL_ACCOUNT);
	if (!sf)
		return NULL;
	sf->mapped = kvcalloc(longs, sizeof(long), GFP_KERNEL_ACCOUNT);
	sf->changed = kvcalloc(longs, sizeof(long), GFP_KERNEL_ACCOUNT);
	if (!sf->mapped || !sf->changed) {
		kvfree(sf->mapped);
		kvfree(sf->changed);
		kfree(sf);
		return NULL;
	}
	xa_init(&sf->saved);
	axas_memfile_get(mf);
	sf->mf = mf;
	list_add_tail(&sf->node, &snap->files);
	return sf;
}

/* A copy of @index if the file has a frame there; charged to the space. */
static int memfile_snap_save(struct axas_memfile_snap *snap,
			     struct memfile_snap_file *sf, pgoff_t index)
{
	struct axas_frames *frames = &snap->space->frames;
	struct page *page, *copy;
	int ret;

	if (xa_load(&sf->saved, index))
		return 0;
	page = axas_memfile_tryget(sf->mf, index);
	if (!page)
		return 0;
	ret = axas_frames_charge(frames, 1);
	if (ret)
		goto out_put;
	ret = -ENOMEM;
	if (axas_frames_get(frames, 0, 1, &copy) != 1)
		goto out_uncharge;
	copy_highpage(copy, page);
	ret = xa_err(xa_store(&sf->saved, index, copy, GFP_KERNEL_ACCOUNT));
	if (ret) {
		__free_page(copy);
		goto out_uncharge;
	}
	snap->saved++;
	atomic_long_inc(&frames->aside);
	put_page(page);
	return 0;

out_uncharge:
	axas_frames_uncharge(frames, 1);
out_put:
	put_page(page);
	return ret;
}

int axas_memfile_snap_take(struct axas_space *space,
			   struct axas_memfile_snap **out)
{
	struct axas_memfile_snap *snap;
	struct memfile_snap_file *sf;
	struct axas_area *area;
	pgoff_t index, end;
	int ret = 0;

	lockdep_assert_held_write(&space->lock);
	*out = NULL;
	if (list_empty(&space->views))
		return 0;
	snap = kzalloc(sizeof(*snap), GFP_KERNEL_ACCOUNT);
	if (!snap)
		return -ENOMEM;
	kref_init(&snap->ref);
	snap->space = space;
	INIT_LIST_HEAD(&snap->files);
	for (area = axas_area_from(space, space->base); area && !ret;
	     area = axas_area_next(area)) {
		if (!area->mf)
			continue;
		sf = memfile_snap_file(snap, area->mf);
		if (!sf) {
			ret = -ENOMEM;
			break;
		}
		end = axas_area_pgoff(area, area->end);
		for (index = area->pgoff; index < end && !ret; index++) {
			__set_bit(index, sf->mapped);
			ret = memfile_snap_save(snap, sf, index);
			if (!(index & 1023))
				cond_resched();
		}
	}
	if (ret) {
		axas_memfile_snap_put(snap);
		return ret;
	}
	*out = snap;
	return 0;
}

/*
 * Invalidate the pins of @view on the pages of @sf->changed, with its
 * space's lock held exclusively, and flush: their owners stop using the
 * page before its content changes. With @written, tell the space's
 * dirty log instead (the lock held shared): the content changed behind
 * its table.
 */
static void memfile_snap_view(struct axas_memfile_view *view,
			      struct memfile_snap_file *sf, bool written)
{
	struct axas_space *space = view->space;
	struct axas_pt_gather gather;
	struct axas_area *area;
	unsigned long first, last;
	pgoff_t end;
	u64 gpa;

	axas_pt_gather_init(&gather);
	if (written)
		down_read(&space->lock);
	else
		down_write(&space->lock);
	if (space->dead)
		goto out_unlock;
	for (area = axas_view_area(view, NULL); area;
	     area = axas_view_area(view, area)) {
		end = axas_area_pgoff(area, area->end);
		first = area->pgoff;
		for_each_set_bitrange_from(first, last, sf->changed, end) {
			gpa = area->start + ((u64)(first - area->pgoff) << PAGE_SHIFT);
			if (written)
				axas_space_written(space, gpa,
						   (u64)(last - first) << PAGE_SHIFT);
			else
				axas_pins_invalidate(space, gpa,
						     (u64)(last - first) << PAGE_SHIFT,
						     0, &gather);
		}
	}
	if (!written)
		axas_space_flush(space, &gather);
out_unlock:
	if (written)
		up_read(&space->lock);
	else
		up_write(&space->lock);
}

/* The file's pages back to what @sf saved: how many changed, or -errno. */
static long memfile_snap_restore_file(struct memfile_snap_file *sf)
{
	struct axas_memfile *mf = sf->mf;
	struct axas_memfile_view *view;
	struct page *page, *saved;
	unsigned long index, n = 0;
	void *a, *b;
	bool same;
	long ret = 0;

	down_read(&mf->invalidate);
	bitmap_zero(sf->changed, mf->nr_pages);
	for_each_set_bit(index, sf->mapped, mf->nr_pages) {
		saved = xa_load(&sf->saved, index);
		page = xa_load(&mf->pages, index);
		if (!page && !saved)
			continue;
		if (!page) {
			same = false;
		} else {
			a = kmap_local_page(page);
			if (saved) {
				b = kmap_local_page(saved);
				same = !memcmp(a, b, PAGE_SIZE);
				kunmap_local(b);
			} else {
				same = !memchr_inv(a, 0, PAGE_SIZE);
			}
			kunmap_local(a);
		}
		if (!same)
			__set_bit(index, sf->changed);
		if (!(++n & 255))
			cond_resched();
	}
	/* Their pins go first, in every view, each space flushed. */
	list_for_each_entry(view, &mf->views, file_node)
		memfile_snap_view(view, sf, false);
	n = 0;
	for_each_set_bit(index, sf->changed, mf->nr_pages) {
		saved = xa_load(&sf->saved, index);
		if (saved) {
			ret = axas_memfile_fill_locked(mf, index);
			if (ret)
				break;
			copy_highpage(xa_load(&mf->pages, index), saved);
		} else {
			clear_highpage(xa_load(&mf->pages, index));
		}
		axas_memfile_mark(mf, index, 1, AXAS_MF_WRITE_USER |
				  AXAS_MF_WRITE_VIEW);
		if (!(++n & 255))
			cond_resched();
	}
	/* After the writes: every view's dirty log hears of them. */
	list_for_each_entry(view, &mf->views, file_node)
		memfile_snap_view(view, sf, true);
	up_read(&mf->invalidate);
	return ret ? ret : n;
}

long axas_memfile_snap_restore(struct axas_memfile_snap *snap)
{
	struct memfile_snap_file *sf;
	long ret, done = 0;

	list_for_each_entry(sf, &snap->files, node) {
		ret = memfile_snap_restore_file(sf);
		if (ret < 0)
			return ret;
		done += ret;
	}
	return done;
}
