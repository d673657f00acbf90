// SPDX-License-Identifier: GPL-2.0
/*
 * Views of memory files: areas of a space that map a window of a file
 * whose frames the file owns (backend/memfile.c), so that several areas,
 * of one space or of several, and userspace mappings of the file reach
 * the same frames. See core.h for &struct axas_memfile_view.
 *
 * Lock order: the file's invalidate lock, then a space's lock. A view
 * joins its file before its area enters the space, and leaves it after
 * its last area left, with the space's lock released; a punch holds the
 * file's lock exclusively and takes each view's space lock in turn. A
 * space that is being destroyed stays until its views left their files
 * (axas_space_shutdown() frees them last), so a punch that found a view
 * may lock its space.
 */
#include <linux/mm.h>
#include <linux/slab.h>

#include "core.h"

int axas_space_map_memfile(struct axas_space *space, u64 gpa, u64 size,
			   struct axas_memfile *mf, pgoff_t pgoff, u32 flags)
{
	struct axas_memfile_view *view;
	unsigned long pgsize = SZ_4K;
	struct mem_cgroup *old;
	int ret;

	ret = axas_space_check_range(space, gpa, size);
	if (ret)
		return ret;
	if (flags & ~AXAS_PROT_ALL)
		return -EINVAL;
	ret = axas_pt_check_prot(&space->pt, flags);
	if (ret)
		return ret;
	if (pgoff >= mf->nr_pages || (size >> PAGE_SHIFT) > mf->nr_pages - pgoff)
		return -ERANGE;
	/* 2 MiB leaves where the window and the file's blocks line up. */
	if (mf->pgsize == SZ_2M && (space->pt.pgsizes & SZ_2M) &&
	    IS_ALIGNED(gpa | size | ((u64)pgoff << PAGE_SHIFT), SZ_2M))
		pgsize = SZ_2M;

	old = axas_space_memcg_enter(space);
	view = kzalloc(sizeof(*view), GFP_KERNEL_ACCOUNT);
	if (view)
		view->watch.bits = kvcalloc(BITS_TO_LONGS(size >> PAGE_SHIFT),
					    sizeof(long), GFP_KERNEL_ACCOUNT);
	axas_space_memcg_leave(old);
	if (!view || !view->watch.bits) {
		kfree(view);
		return -ENOMEM;
	}
	view->space = space;
	view->mf = mf;
	view->gpa = gpa;
	view->size = size;
	view->pgoff = pgoff;
	view->watch.what = AXAS_MF_WRITE_USER;
	view->watch.start = pgoff;
	view->watch.nr = size >> PAGE_SHIFT;
	INIT_LIST_HEAD(&view->space_node);
	axas_memfile_get(mf);
	down_write(&mf->invalidate);
	list_add_tail(&view->file_node, &mf->views);
	up_write(&mf->invalidate);

	ret = axas_space_add_area(space, gpa, size, flags, pgsize, 0,
				  &axas_backend_file, view);
	if (ret) {
		LIST_HEAD(dead);

		list_add(&view->space_node, &dead);
		axas_space_views_free(&dead);
	}
	return ret;
}

struct axas_area *axas_view_area(struct axas_memfile_view *view,
				 struct axas_area *area)
{
	area = area ? axas_area_next(area) : axas_area_from(view->space, view->gpa);
	for (; area && area->start < view->gpa + view->size;
	     area = axas_area_next(area))
		if (area->view == view)
			return area;
	return NULL;
}

bool axas_area_file_range(const struct axas_area *area, pgoff_t start,
			  pgoff_t end, u64 *gpa, u64 *size)
{
	pgoff_t lo = max(start, area->pgoff);
	pgoff_t hi = min(end, axas_area_pgoff(area, area->end));

	if (lo >= hi)
		return false;
	*gpa = area->start + ((u64)(lo - area->pgoff) << PAGE_SHIFT);
	*size = (u64)(hi - lo) << PAGE_SHIFT;
	return true;
}

int axas_space_memfile_unmap(struct axas_memfile_view *view, pgoff_t start,
			     pgoff_t end)
{
	struct axas_space *space = view->space;
	struct axas_space_release r = { .space = space, .written = true };
	struct axas_pt_gather gather;
	struct axas_area *area;
	struct mem_cgroup *old;
	u64 gpa, size;
	int ret = 0;

	lockdep_assert_held_write(&view->mf->invalidate);
	INIT_LIST_HEAD(&r.frames);
	axas_pt_gather_init(&gather);
	old = axas_space_memcg_enter(space);
	down_write(&space->lock);
	if (space->dead)
		goto out_unlock;
	for (area = axas_view_area(view, NULL); area;
	     area = axas_view_area(view, area)) {
		if (!axas_area_file_range(area, start, end, &gpa, &size))
			continue;
		/* Splits a huge leaf at the ends; the frames stay the file's. */
		ret = axas_pt_unmap(&space->pt, gpa, size, axas_space_release_leaf,
				    &r, &gather);
		if (ret)
			break;
		axas_space_hook_reduce(space, gpa, size, 0, &gather);
	}
	/* A flush even on failure: what went must not stay cached. */
	axas_space_flush(space, &gather);
	WARN_ON_ONCE(!list_empty(&r.frames));
	if (gather.start < gather.end)
		axas_space_populates_stale(space, gather.start, gather.end);
	axas_pt_gather_release(&gather);
out_unlock:
	up_write(&space->lock);
	axas_space_memcg_leave(old);
	return ret;
}
