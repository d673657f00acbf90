// SPDX-License-Identifier: GPL-2.0
/*
 * Map, unmap, protect and discard: the writers of a space, each with the
 * space lock held exclusively, all or nothing (allocations first, then
 * the table, the hooks, the flush, the frees, the areas). See core.h.
 */
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "../compat_internal.h"

#include "core.h"
#include "trace.h"

/*
 * Insert a new area after its backend mapped it; all or nothing. A file
 * area is the first of @view, which has joined its file.
 */
int axas_space_add_area(struct axas_space *space, u64 gpa, u64 size,
			u32 flags, unsigned long pgsize, phys_addr_t hpa,
			const struct axas_backend *backend,
			struct axas_memfile_view *view)
{
	struct mem_cgroup *old = axas_space_memcg_enter(space);
	struct axas_area *area = axas_area_alloc(AREA_GFP), *next;
	int ret = 0;

	if (!area) {
		axas_space_memcg_leave(old);
		return -ENOMEM;
	}
	area->start = gpa;
	area->end = gpa + size;
	area->flags = flags;
	area->pgsize = pgsize;
	area->hpa = hpa;
	area->backend = backend;
	area->leaf_max = backend == &axas_backend_linear ?
			 rounddown_pow_of_two(space->pt.pgsizes) : pgsize;
	if (view) {
		area->mf = view->mf;
		area->pgoff = view->pgoff;
		area->view = view;
	}
	down_write(&space->lock);
	if (space->dead) {
		ret = -ESHUTDOWN;
		goto out;
	}
	next = axas_area_from(space, area->start);
	if (next && next->start < area->end) {
		ret = -EEXIST;
		goto out;
	}
	area->origin = ++space->maps;
	if (area->backend->populate)
		ret = area->backend->populate(&space->pt, &space->frames, area,
					      space->win);
	if (!ret) {
		axas_area_insert(space, area);
		if (view) {
			view->areas = 1;
			list_add_tail(&view->space_node, &space->views);
		}
		axas_space_populates_stale(space, area->start, area->end);
		axas_space_hook_layout(space, area->start, area->end - area->start);
	}
out:
	up_write(&space->lock);
	axas_space_memcg_leave(old);
	trace_axas_map(space->id, area->start, area->end - area->start,
		       area->flags, ret);
	if (ret)
		kfree(area);
	return ret;
}

int axas_map_linear(struct axas_space *space, u64 gpa, phys_addr_t hpa,
		    u64 size, u32 flags)
{
	int ret;

	ret = axas_space_check_range(space, gpa, size);
	if (ret)
		return ret;
	if ((flags & ~(AXAS_PROT_ALL | AXAS_AREA_HOST_RAM)) ||
	    !PAGE_ALIGNED(hpa))
		return -EINVAL;
	ret = axas_pt_check_prot(&space->pt, flags & AXAS_PROT_ALL);
	if (ret)
		return ret;
	if (hpa >= space->pt.pa_limit || size > space->pt.pa_limit - hpa)
		return -ERANGE;
	if (!(flags & AXAS_AREA_HOST_RAM) && axas_linear_host_ram(hpa, size))
		return -EPERM;
	return axas_space_add_area(space, gpa, size, flags, SZ_4K, hpa,
				   &axas_backend_linear, NULL);
}
EXPORT_SYMBOL_NS_GPL(axas_map_linear, AXAS_NS);

int axas_map_alloc(struct axas_space *space, u64 gpa, u64 size, u32 flags,
		   unsigned long pgsize)
{
	int ret;

	if (pgsize != SZ_4K && pgsize != SZ_2M && pgsize != SZ_1G)
		return -EINVAL;
	ret = axas_space_check_range(space, gpa, size);
	if (ret)
		return ret;
	/* 4 KiB frames have nothing to fall back to: the flag would mean nothing. */
	if ((flags & ~(AXAS_PROT_ALL | AXAS_AREA_POPULATE | AXAS_AREA_NO_FALLBACK)) ||
	    ((flags & AXAS_AREA_NO_FALLBACK) && pgsize == SZ_4K) ||
	    !IS_ALIGNED(gpa | size, pgsize))
		return -EINVAL;
	ret = axas_pt_check_prot(&space->pt, flags & AXAS_PROT_ALL);
	if (ret)
		return ret;
	/* Blocks beyond MAX_PAGE_ORDER need alloc_contig_range(). */
	if (!(space->pt.pgsizes & pgsize) ||
	    (get_order(pgsize) > MAX_PAGE_ORDER && !IS_ENABLED(CONFIG_CONTIG_ALLOC)))
		return -EOPNOTSUPP;
	return axas_space_add_area(space, gpa, size, flags, pgsize, 0,
				   &axas_backend_alloc, NULL);
}
EXPORT_SYMBOL_NS_GPL(axas_map_alloc, AXAS_NS);

/* What space_edit() does. */
enum space_edit_op {
	SPACE_UNMAP,
	SPACE_PROTECT,
	SPACE_DISCARD,
};

/*
 * Discard frees alloc frames only: -EOPNOTSUPP where a linear area is, or
 * a file area (its frames are the file's: a punch of the file frees them,
 * in every view).
 */
static int space_discard_check(struct axas_space *space, u64 gpa, u64 end)
{
	struct axas_area *area;

	for (area = axas_area_from(space, gpa); area && area->start < end;
	     area = axas_area_next(area))
		if (area->backend != &axas_backend_alloc)
			return -EOPNOTSUPP;
	return 0;
}

/*
 * A protect that gives the write right gives it to no page of a file
 * whose log runs: there the right comes from a write fault, which is the
 * log's record. Taken back before the flush that follows.
 */
static void space_protect_files(struct axas_space *space, u64 gpa, u64 end,
				struct axas_pt_gather *gather)
{
	struct axas_area *area;
	u64 lo, hi;

	for (area = axas_area_from(space, gpa); area && area->start < end;
	     area = axas_area_next(area)) {
		if (!axas_area_write_faults(area))
			continue;
		lo = max(gpa, area->start);
		hi = min(end, area->end);
		axas_pt_scan(&space->pt, lo, hi - lo, AXAS_SCAN_WRITABLE,
			     AXAS_SCAN_CLEAR, NULL, 0, gather);
	}
}

/*
 * The common part of unmap, protect and discard: all allocations first
 * (area structs for the cuts; the engine preallocates its split pages),
 * then the table, the flush, the frees, and the areas (discard keeps
 * them: its range faults in anew).
 */
static int space_edit(struct axas_space *space, u64 gpa, u64 size,
		      enum space_edit_op op, u32 prot)
{
	bool unmap = op != SPACE_PROTECT;
	struct axas_space_release r = {
		.space = space, .written = op == SPACE_DISCARD,
	};
	const struct axas_pt_window *win;
	struct axas_pt_gather gather;
	struct mem_cgroup *old;
	LIST_HEAD(spares);
	LIST_HEAD(dead);
	int ret;

	ret = axas_space_check_range(space, gpa, size);
	if (ret)
		return ret;
	INIT_LIST_HEAD(&r.frames);
	axas_pt_gather_init(&gather);
	old = axas_space_memcg_enter(space);
	if (op != SPACE_DISCARD)
		ret = axas_spares_fill(&spares, unmap ? AREA_GFP_UNMAP : AREA_GFP);
	if (ret)
		goto out_spares;

	down_write(&space->lock);
	if (space->dead) {
		ret = -ESHUTDOWN;
		goto out_unlock;
	}
	if (op == SPACE_DISCARD) {
		ret = space_discard_check(space, gpa, gpa + size);
		if (ret)
			goto out_unlock;
	}
	win = space->win;
	if (op == SPACE_PROTECT)
		axas_space_hook_protect(space, gpa, size);
	if (unmap)
		ret = axas_pt_unmap(&space->pt, gpa, size, axas_space_release_leaf,
				    &r, &gather);
	else
		ret = axas_pt_protect_window(&space->pt, gpa, size, prot,
					     &gather, win);
	if (ret)
		goto out_unlock;
	if (op == SPACE_PROTECT && (prot & AXAS_PROT_WRITE))
		space_protect_files(space, gpa, gpa + size, &gather);
	axas_space_hook_reduce(space, gpa, size, unmap ? 0 : prot, &gather);
	/* Inside the window, the leaves lack its rights, whatever @prot says. */
	if (!unmap && win && win->deny && axas_pt_window_meets(win, gpa, size))
		axas_space_hook_reduce(space, max(gpa, win->start),
				       min(gpa + size, win->end) -
				       max(gpa, win->start),
				       prot & ~win->deny, &gather);
	axas_space_flush(space, &gather);
	axas_frames_free(&space->frames, &r.frames);
	/*
	 * A populate planned with the tables it found: those the unmap freed
	 * may lie above ranges beyond this one (the gather covers them).
	 */
	axas_space_populates_stale(space, min(gpa, gather.start),
				   max(gpa + size, gather.end));
	axas_pt_gather_release(&gather);
	if (op != SPACE_DISCARD) {
		axas_area_carve(space, gpa, gpa + size, &spares, unmap, prot);
		axas_space_hook_layout(space, gpa, size);
	}
	list_splice_init(&space->views_dead, &dead);
out_unlock:
	up_write(&space->lock);
	/* Views whose last area went leave their files (their locks first). */
	axas_space_views_free(&dead);
out_spares:
	axas_spares_free(&spares);
	axas_space_memcg_leave(old);
	return ret;
}

int axas_unmap(struct axas_space *space, u64 gpa, u64 size)
{
	int ret = space_edit(space, gpa, size, SPACE_UNMAP, 0);

	trace_axas_unmap(space->id, gpa, size, 0, ret);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_unmap, AXAS_NS);

int axas_discard(struct axas_space *space, u64 gpa, u64 size)
{
	int ret = space_edit(space, gpa, size, SPACE_DISCARD, 0);

	trace_axas_discard(space->id, gpa, size, 0, ret);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_discard, AXAS_NS);

int axas_protect(struct axas_space *space, u64 gpa, u64 size, u32 prot)
{
	int ret = axas_pt_check_prot(&space->pt, prot);

	if (!ret)
		ret = space_edit(space, gpa, size, SPACE_PROTECT, prot);
	trace_axas_protect(space->id, gpa, size, prot, ret);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_protect, AXAS_NS);

long axas_space_collapse(struct axas_space *space, u64 gpa, u64 end)
{
	struct axas_pt_gather gather;
	struct axas_area *area;
	LIST_HEAD(tables);
	long made = 0, ret;

	lockdep_assert_held_write(&space->lock);
	axas_pt_gather_init(&gather);
	/* Areas a protect cut, and then gave the same rights again. */
	if (axas_area_join(space, gpa, end))
		axas_space_populates_stale(space, gpa, end);
	for (area = axas_area_from(space, gpa); area && area->start < end;
	     area = axas_area_next(area)) {
		unsigned long leaf = area->leaf_max;
		u64 lo = ALIGN(max(area->start, gpa), SZ_2M);
		u64 hi = ALIGN_DOWN(min(area->end, end), SZ_2M);

		if (leaf < SZ_2M || lo >= hi)
			continue;
		ret = axas_pt_collapse(&space->pt, lo, hi - lo,
				       leaf >= SZ_1G ? 2 : 1, &tables, &gather);
		if (ret > 0)
			made += ret;
	}
	if (!made)
		return 0;
	/* Paging-structure caches may hold the tables: flush first. */
	axas_space_flush(space, &gather);
	axas_pt_collapse_settle(&space->pt, &tables, &gather);
	axas_space_populates_stale(space, gather.start, gather.end);
	axas_pt_gather_release(&gather);
	return made;
}

long axas_collapse(struct axas_space *space, u64 gpa, u64 size)
{
	long ret = axas_space_check_range(space, gpa, size);

	if (ret)
		return ret;
	down_write(&space->lock);
	if (space->dead)
		ret = -ESHUTDOWN;
	else if (axas_pt_window_meets(space->win, gpa, size))
		ret = -EBUSY;
	else
		ret = axas_space_collapse(space, gpa, gpa + size);
	up_write(&space->lock);
	trace_axas_collapse(space->id, gpa, size, 0, ret);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_collapse, AXAS_NS);
