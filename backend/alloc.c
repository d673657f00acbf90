// SPDX-License-Identifier: GPL-2.0
/*
 * The alloc backend: areas of zeroed frames from the page allocator
 * (frames.c), mapped at map time (eager) or one leaf per fault (lazy).
 */
#include <linux/io.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "../compat_internal.h"

#include "backend.h"

/* Eager: every frame first, then one map; all or nothing. */
static int alloc_populate(struct axas_pt *pt, struct axas_frames *frames,
			  const struct axas_area *area,
			  const struct axas_pt_window *win)
{
	unsigned long n = (area->end - area->start) / area->pgsize, got;
	unsigned int order = get_order(area->pgsize);
	struct axas_pt_src src = { .frame_size = area->pgsize, .encrypted = true };
	int ret;

	if (!(area->flags & AXAS_AREA_POPULATE))
		return 0;
	ret = axas_frames_charge(frames, n << order);
	if (ret)
		return ret;
	/* Freed before this returns: not worth failing a map at the cgroup's limit. */
	src.frames = kvcalloc(n, sizeof(*src.frames), GFP_KERNEL | __GFP_NOWARN);
	if (!src.frames) {
		ret = -ENOMEM;
		goto out_uncharge;
	}
	got = axas_frames_get(frames, order, n, src.frames);
	ret = -ENOMEM;
	if (got == n)
		ret = axas_pt_map_window(pt, area->start,
					 area->end - area->start, &src,
					 area->flags & AXAS_PROT_ALL, area->pgsize,
					 0, win);
	if (ret)
		while (got--) {
			axas_frame_free(src.frames[got], order);
			cond_resched();
		}
	kvfree(src.frames);
	if (!ret)
		return 0;
out_uncharge:
	axas_frames_uncharge(frames, n << order);
	return ret;
}

/*
 * Lazy: one frame for the leaf holding @gpa; one winner per leaf. The
 * leaf is the area's size unless the table already holds smaller leaves
 * there (@room: an earlier fault fell back) or the frame is smaller (this
 * fault fell back). A frame larger than 4 KiB is allocated by the caller
 * without the space lock (AXAS_FAULT_NEED_FRAME): a 1 GiB frame migrates
 * pages with alloc_contig_range(), a 2 MiB one may compact, and either
 * would stall every writer waiting for the lock and every vCPU behind it.
 * At the frame cap the answer may be wrong while other charges are in
 * flight (a racer's for the same page, soon given back, or one held
 * while its frame is allocated unlocked): -EAGAIN asks the caller to
 * decide again once none is (@exact).
 */
static int alloc_fault(struct axas_pt *pt, struct axas_frames *frames,
		       const struct axas_area *area, u64 gpa,
		       unsigned long room, bool exact,
		       struct axas_fault_frame *ff)
{
	unsigned long size = min(area->pgsize, room);
	int ret;

	/*
	 * A frame carried from an earlier attempt (the lock was dropped
	 * meanwhile, the area may have changed): only the size the table and
	 * the area take now, or a smaller one the allocator forced, in an
	 * area that allows that.
	 */
	if (ff->page && ff->size != size &&
	    (ff->size > size || !ff->fell_back ||
	     (area->flags & AXAS_AREA_NO_FALLBACK)))
		axas_fault_frame_drop(frames, ff);
	/* A frame zeroed ahead of time: allocated and charged already. */
	if (!ff->page) {
		ff->page = axas_pool_take(frames, size);
		if (ff->page) {
			ff->size = size;
			ff->charged = size >> PAGE_SHIFT;
			ff->fell_back = false;
		}
	}
	if (!ff->page) {
		ret = axas_frames_charge(frames, size >> PAGE_SHIFT);
		if (ret)
			return exact ? ret : -EAGAIN;
		ff->size = size;
		ff->charged = size >> PAGE_SHIFT;
		ff->strict = area->flags & AXAS_AREA_NO_FALLBACK;
		if (size > SZ_4K)
			return AXAS_FAULT_NEED_FRAME;
		ret = axas_fault_frame_alloc(frames, ff);
		if (ret)
			return ret;
	}
	/*
	 * The area's rights and size were checked when it was made, a
	 * smaller frame's size is checked here: map the one leaf without
	 * axas_pt_map()'s checks of a general range.
	 */
	if (!(pt->pgsizes & ff->size))
		return -EOPNOTSUPP;
	ret = axas_pt_map_leaf(pt, ALIGN_DOWN(gpa, ff->size), ff->size,
			       page_to_phys(ff->page),
			       area->flags & AXAS_PROT_ALL & ~ff->deny, true, NULL,
			       false);
	if (!ret) {
		/* The caller counts the leaf (ff->size, ff->fell_back). */
		ff->page = NULL;
		ff->charged = 0;
		return AXAS_FAULT_INSTALLED;
	}
	/*
	 * Another vCPU installed the leaf first, or a smaller leaf or a table
	 * where this one would go: look again.
	 */
	return ret == -EEXIST ? AXAS_FAULT_AGAIN : ret;
}

/* Frames are uncharged when axas_frames_free() frees them. */
static void alloc_release(const struct axas_pt_leaf *leaf,
			  struct list_head *frames)
{
	struct page *page = pfn_to_page(PHYS_PFN(leaf->hpa));
	unsigned long i, n = leaf->size >> PAGE_SHIFT;

	for (i = 0; i < n; i++)
		list_add_tail(&nth_page(page, i)->lru, frames);
}

const struct axas_backend axas_backend_alloc = {
	.name = "alloc",
	.populate = alloc_populate,
	.fault = alloc_fault,
	.release = alloc_release,
};
