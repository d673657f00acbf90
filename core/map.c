// SPDX-License-Identifier: GPL-2.0
/*
 * Map, unmap, protect and discard: the writers of a space, each with the
 * space lock held exclusively, all or nothing (allocations first, then
 * the table, the hooks, the flush, the frees, the areas). See core.h.
 */
#include <linux/mm.h>
#include <linux/slab.h>

#include "../compat_internal.h"

#include "core.h"
#include "trace.h"

/* Insert a new area after its backend mapped it; all or nothing. */
static int space_add_area(struct axas_space *space, u64 gpa, u64 size,
			  u32 flags, unsigned long pgsize, phys_addr_t hpa,
			  const struct axas_backend *backend)
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
	if (area->backend->populate)
		ret = area->backend->populate(&space->pt, &space->frames, area,
					      space->win);
	if (!ret) {
		axas_area_insert(space, area);
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

/**
 * axas_map_linear() - map a host-physical range at a fixed offset
 * @space: the space
 * @gpa: first GPA, 4 KiB aligned
 * @hpa: HPA of @gpa, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 * @flags: AXAS_PROT_* rights and memory type, plus %AXAS_AREA_HOST_RAM to
 *	allow RAM the kernel's page allocator owns
 *
 * For reserved memory (``memmap=``, ``reserve_mem=``: pages the allocator
 * never got) and device ranges. Uses the largest leaves (4K/2M/1G) that the
 * alignment of GPA and HPA allows. Never allocates frames, not even on a
 * fault.
 *
 * Context: process context; may sleep; takes the space lock exclusively.
 * Return: 0; -EINVAL for an unaligned or zero range or unknown/bad flags;
 * -ERANGE for a range outside the space or an HPA beyond the host's
 * width; -EOPNOTSUPP for rights the format cannot express; -EPERM when the
 * range holds allocator-owned RAM and %AXAS_AREA_HOST_RAM is not given;
 * -EEXIST when it overlaps an area; -ESHUTDOWN after shutdown; -ENOMEM.
 */
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
	return space_add_area(space, gpa, size, flags, SZ_4K, hpa,
			      &axas_backend_linear);
}
EXPORT_SYMBOL_NS_GPL(axas_map_linear, AXAS_NS);

/**
 * axas_map_alloc() - map memory the space allocates itself
 * @space: the space
 * @gpa: first GPA, aligned to @pgsize
 * @size: bytes, a multiple of @pgsize
 * @flags: AXAS_PROT_* rights and memory type, plus %AXAS_AREA_POPULATE to
 *	allocate and map every frame now, %AXAS_AREA_NO_FALLBACK to fail a
 *	fault (and axas_populate()) rather than install a frame smaller than
 *	@pgsize
 * @pgsize: frame and leaf size: SZ_4K, SZ_2M or SZ_1G
 *
 * Frames are zeroed and charged to the space's memory cgroup
 * (GFP_KERNEL_ACCOUNT) and to the space's frame cap. With
 * %AXAS_AREA_POPULATE the map is all or nothing; without it nothing is
 * allocated now and axas_fault() installs one frame per leaf later.
 * %AXAS_AREA_POPULATE allocates with the space lock held exclusively (for
 * 1 GiB frames that includes alloc_contig_range()'s migration): meant for
 * setting a guest up; while vCPUs run, map lazily and call
 * axas_populate(), which allocates without the lock.
 *
 * Context: process context; may sleep; takes the space lock exclusively.
 * Return: 0; -EINVAL for an unaligned or zero range, an unknown @pgsize or
 * unknown/bad flags (%AXAS_AREA_NO_FALLBACK with 4 KiB frames among them);
 * -ERANGE for a range outside the space; -EOPNOTSUPP
 * for rights or a page size the hardware cannot map, or 1 GiB frames on a
 * kernel without CONFIG_CONTIG_ALLOC; -EEXIST when it overlaps an area; -ENOMEM
 * when frames or table pages ran out or the frame cap was reached
 * (nothing is left mapped); -ESHUTDOWN after shutdown.
 */
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
	return space_add_area(space, gpa, size, flags, pgsize, 0,
			      &axas_backend_alloc);
}
EXPORT_SYMBOL_NS_GPL(axas_map_alloc, AXAS_NS);

/* What space_edit() does. */
enum space_edit_op {
	SPACE_UNMAP,
	SPACE_PROTECT,
	SPACE_DISCARD,
};

/* Discard frees alloc frames only: -EOPNOTSUPP where a linear area is. */
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
out_unlock:
	up_write(&space->lock);
out_spares:
	axas_spares_free(&spares);
	axas_space_memcg_leave(old);
	return ret;
}

/**
 * axas_unmap() - remove a GPA range from the space
 * @space: the space
 * @gpa: first GPA, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 *
 * The range may cover parts of areas, several areas and holes. Areas are
 * cut where the range ends inside them, huge leaves split; the pins of the
 * range are invalidated and its translations flushed through the callback,
 * and only then are its frames and emptied table pages freed.
 *
 * Context: process context; may sleep; takes the space lock exclusively.
 * Return: 0; -EINVAL for an unaligned or zero range; -ERANGE for a range
 * outside the space; -ENOMEM (nothing changed); -ESHUTDOWN after shutdown.
 */
int axas_unmap(struct axas_space *space, u64 gpa, u64 size)
{
	int ret = space_edit(space, gpa, size, SPACE_UNMAP, 0);

	trace_axas_unmap(space->id, gpa, size, 0, ret);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_unmap, AXAS_NS);

/**
 * axas_discard() - give back the frames of a range of alloc areas
 * @space: the space
 * @gpa: first GPA, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 *
 * For ballooning and free-page reporting: removes the translations of the
 * range and frees its frames, but keeps the areas, which become lazy
 * there (an eager area too): the next touch faults in a zeroed frame.
 * Holes and pages not faulted in are skipped. A 2 MiB or 1 GiB leaf the
 * range cuts is split and the rest of its frame stays mapped in smaller
 * leaves (frames are freed 4 KiB at a time); faults in the discarded
 * part of such a slot install 4 KiB frames. As for axas_unmap(), pins of
 * the range are invalidated and the range is flushed before any frame is
 * freed. Under dirty logging the pages it took away are reported written.
 *
 * Context: process context; may sleep; takes the space lock exclusively;
 * calls the pin callbacks and the flush callback.
 * Return: 0; -EINVAL for an unaligned or zero range; -ERANGE for a range
 * outside the space; -EOPNOTSUPP when a linear area lies in the range
 * (nothing changed: its memory is not axas's to free); -ENOMEM (nothing
 * changed); -ESHUTDOWN after shutdown.
 */
int axas_discard(struct axas_space *space, u64 gpa, u64 size)
{
	int ret = space_edit(space, gpa, size, SPACE_DISCARD, 0);

	trace_axas_discard(space->id, gpa, size, 0, ret);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_discard, AXAS_NS);

/**
 * axas_protect() - change the rights and memory type of a GPA range
 * @space: the space
 * @gpa: first GPA, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 * @prot: new AXAS_PROT_* rights and memory type
 *
 * Applies to the areas in the range (cut where the range ends inside
 * them) and to their present leaves (huge leaves split where needed);
 * lazy pages faulted in later get @prot too. Holes are skipped. Pins that
 * need a right @prot lacks are invalidated, then reduced rights are
 * flushed through the callback before the call returns. Pages that dirty
 * logging covers in write-protection mode get @prot without the write
 * right, which their next write fault gives back (see "Dirty logging,
 * aging and discard"); a write pin there is invalidated.
 *
 * Context: process context; may sleep; takes the space lock exclusively;
 * calls the pin callbacks and the flush callback.
 * Return: 0; -EINVAL for an unaligned or zero range or a bad @prot;
 * -EOPNOTSUPP for @prot the format cannot express; -ERANGE for a range
 * outside the space; -ENOMEM (nothing changed); -ESHUTDOWN after shutdown.
 */
int axas_protect(struct axas_space *space, u64 gpa, u64 size, u32 prot)
{
	int ret = axas_pt_check_prot(&space->pt, prot);

	if (!ret)
		ret = space_edit(space, gpa, size, SPACE_PROTECT, prot);
	trace_axas_protect(space->id, gpa, size, prot, ret);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_protect, AXAS_NS);

