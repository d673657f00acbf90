// SPDX-License-Identifier: GPL-2.0
/*
 * axas_populate(): the lazy pages of a range installed ahead of the guest,
 * all or nothing. The plan is made with the space lock held shared, the
 * frames and table pages allocated without it (a 1 GiB frame migrates
 * pages), then installed under it again unless a writer changed what the
 * plan covered meanwhile. See core.h.
 */
#include <linux/io.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "core.h"

/*
 * axas_populate(): a run of empty table entries to fill with leaves of
 * @leaf bytes, below empty entries at level @top; @fallback when @leaf is
 * smaller than the area's size because no block of that size was free.
 */
struct populate_hole {
	u64 start;
	u64 end;
	unsigned long leaf;
	unsigned int top;
	u32 prot;
	bool strict;
	bool fallback;
	struct page **frames;
};

struct populate {
	struct populate_hole *holes;
	unsigned long nr;
	unsigned long cap;
	unsigned long pages;
	struct axas_populate_reg reg;
};

/*
 * Room for @n more holes. The array may move: pointers into it are valid
 * only until the next call.
 */
static int populate_reserve(struct populate *p, unsigned long n)
{
	unsigned long cap;
	struct populate_hole *holes;

	if (p->nr + n <= p->cap)
		return 0;
	cap = max3(16UL, p->cap * 2, p->nr + n);
	holes = kvcalloc(cap, sizeof(*holes), GFP_KERNEL_ACCOUNT);
	if (!holes)
		return -ENOMEM;
	if (p->nr)
		memcpy(holes, p->holes, p->nr * sizeof(*holes));
	kvfree(p->holes);
	p->holes = holes;
	p->cap = cap;
	return 0;
}

static int populate_add(struct populate *p, u64 start, u64 end,
			unsigned long leaf, unsigned int top,
			const struct axas_area *area, u32 prot)
{
	struct populate_hole *h = p->nr ? &p->holes[p->nr - 1] : NULL;
	bool strict = area->flags & AXAS_AREA_NO_FALLBACK;

	if (start >= end)
		return 0;
	p->pages += (end - start) >> PAGE_SHIFT;
	if (h && h->end == start && h->leaf == leaf && h->top == top &&
	    h->prot == prot && h->strict == strict) {
		h->end = end;
		return 0;
	}
	if (populate_reserve(p, 1))
		return -ENOMEM;
	h = &p->holes[p->nr++];
	*h = (struct populate_hole) {
		.start = start, .end = end, .leaf = leaf, .top = top,
		.prot = prot, .strict = strict,
	};
	return 0;
}

/*
 * Holes over [@start, @end) with leaves of @leaf bytes, as a fault would
 * install them: where a slot meets dirty logging's window @win, 4 KiB
 * leaves, and inside the window without @win->deny.
 */
static int populate_add_slots(struct populate *p, u64 start, u64 end,
			      unsigned long leaf, unsigned int top,
			      const struct axas_area *area,
			      const struct axas_pt_window *win)
{
	u32 prot = area->flags & AXAS_PROT_ALL;
	u64 cut[6] = { start, 0, 0, 0, 0, end };
	unsigned int i;
	int ret = 0;

	if (!win || end <= ALIGN_DOWN(win->start, leaf) ||
	    start >= ALIGN(win->end, leaf))
		return populate_add(p, start, end, leaf, top, area, prot);
	cut[1] = clamp(ALIGN_DOWN(win->start, leaf), start, end);
	cut[4] = clamp(ALIGN(win->end, leaf), start, end);
	cut[2] = clamp(win->start, cut[1], cut[4]);
	cut[3] = clamp(win->end, cut[1], cut[4]);
	for (i = 0; i < 5 && !ret; i++)
		ret = populate_add(p, cut[i], cut[i + 1],
				   i == 0 || i == 4 ? leaf : SZ_4K, top, area,
				   i == 2 ? prot & ~win->deny : prot);
	return ret;
}

/*
 * The empty entries of [@start, @end) in a lazy area, with the space lock
 * held shared. Each becomes leaves of the area's size, or of the entry's
 * when smaller (an earlier fault fell back there).
 */
static int populate_plan_area(struct axas_space *space, struct axas_area *area,
			      u64 start, u64 end, struct populate *p,
			      const struct axas_pt_window *win)
{
	struct axas_pt_leaf leaf;
	u64 pos = start, stop;
	int ret;

	while (pos < end) {
		ret = axas_pt_query(&space->pt, pos, &leaf);
		if (!ret) {
			pos = leaf.gpa + leaf.size;
			continue;
		}
		if (ret != -ENOENT)
			return ret;
		stop = min(ALIGN_DOWN(pos, leaf.size) + leaf.size, end);
		ret = populate_add_slots(p, pos, stop, min(area->pgsize, leaf.size),
					 leaf.level, area, win);
		if (ret)
			return ret;
		pos = stop;
		cond_resched();
	}
	return 0;
}

/*
 * Plan with the space lock held shared. The plan covers whole slots of
 * the areas, beyond [gpa, end) where a slot reaches out of it: writers
 * there make it stale too (the registration grows to what was planned).
 */
static int populate_plan(struct axas_space *space, u64 gpa, u64 end,
			 struct populate *p)
{
	const struct axas_pt_window *win = space->win;
	struct axas_area *area;
	u64 pos = gpa, lo, hi;
	int ret;

	p->nr = 0;
	p->pages = 0;
	p->reg.stale = false;
	while (pos < end) {
		area = axas_area_find(space, pos);
		if (!area)
			return -ENOENT;
		/*
		 * A file's frames are the file's: fallocate() on the file
		 * allocates them ahead of every view's faults.
		 */
		if (area->mf)
			return -EOPNOTSUPP;
		/*
		 * Linear areas are mapped whole; eager ones too, but for what
		 * axas_discard() made lazy again.
		 */
		if (area->backend->fault) {
			lo = ALIGN_DOWN(pos, area->pgsize);
			hi = ALIGN(min(end, area->end), area->pgsize);
			spin_lock(&space->populates_lock);
			p->reg.start = min(p->reg.start, lo);
			p->reg.end = max(p->reg.end, hi);
			spin_unlock(&space->populates_lock);
			ret = populate_plan_area(space, area, lo, hi, p, win);
			if (ret)
				return ret;
		}
		pos = min(end, area->end);
	}
	return 0;
}

static void populate_free_frames(struct populate_hole *h)
{
	unsigned long i, n = (h->end - h->start) / h->leaf;

	if (!h->frames)
		return;
	for (i = 0; i < n && h->frames[i]; i++)
		axas_frame_free(h->frames[i], get_order(h->leaf));
	kvfree(h->frames);
	h->frames = NULL;
}

/*
 * Frames for hole @i, every one within the table's physical-address
 * width. Where a block of the hole's size is not free, that slot (unless
 * strict) becomes a hole of smaller frames of its own and the rest of the
 * hole a third one, which the caller's loop allocates in turn.
 */
static int populate_alloc_hole(struct axas_space *space, struct populate *p,
			       unsigned long i)
{
	struct populate_hole *h = &p->holes[i], *fb, *rest;
	unsigned long j, n = (h->end - h->start) / h->leaf, got;

	if (!n)
		return 0;
	h->frames = kvcalloc(n, sizeof(*h->frames), GFP_KERNEL | __GFP_NOWARN);
	if (!h->frames)
		return -ENOMEM;
	got = axas_frames_get(&space->frames, get_order(h->leaf), n, h->frames);
	for (j = 0; j < got; j++) {
		phys_addr_t pa = page_to_phys(h->frames[j]);

		if (pa >= space->pt.pa_limit || space->pt.pa_limit - pa < h->leaf)
			return -ERANGE;
	}
	if (got == n)
		return 0;
	if (h->strict || h->leaf == SZ_4K)
		return -ENOMEM;
	/* Both new holes at once: growing the array moves @h. */
	if (populate_reserve(p, 2))
		return -ENOMEM;
	h = &p->holes[i];
	fb = &p->holes[p->nr++];
	rest = &p->holes[p->nr++];
	*fb = *h;
	fb->start = h->start + got * h->leaf;
	fb->end = fb->start + h->leaf;
	fb->leaf = axas_pgsize_below(h->leaf);
	fb->fallback = true;
	fb->frames = NULL;
	*rest = *h;
	rest->start = fb->end;
	rest->frames = NULL;
	h->end = fb->start;
	return 0;
}

/* Table pages the holes need: one per empty entry above each leaf. */
static unsigned long populate_tables(const struct populate *p)
{
	unsigned long i, n = 0;

	for (i = 0; i < p->nr; i++) {
		const struct populate_hole *h = &p->holes[i];
		unsigned int level;

		if (h->start == h->end)
			continue;
		for (level = (ilog2(h->leaf) - 12) / 9 + 1; level <= h->top; level++) {
			u64 span = axas_pt_level_size(level);

			n += (ALIGN(h->end, span) - ALIGN_DOWN(h->start, span)) / span;
		}
	}
	return n;
}

/*
 * Install one frame of @size at @gpa. A racing fault may have installed
 * the leaf (the frame goes unused), or smaller leaves under a table there
 * (fill what is still empty with pieces of the frame: the table down to
 * the racer's leaf exists, so no table page is needed).
 */
static int populate_piece(struct axas_space *space, u64 gpa, u64 size,
			  struct page *page, u32 prot,
			  struct axas_pt_cache *tables, struct list_head *unused)
{
	struct axas_pt_leaf leaf;
	unsigned long i;
	u64 sub, off;
	int ret;

	ret = axas_pt_map_leaf(&space->pt, gpa, size, page_to_phys(page), prot,
			       true, tables, true);
	if (!ret)
		return 0;
	if (ret == -EEXIST && size > SZ_4K &&
	    (axas_pt_query(&space->pt, gpa, &leaf) || leaf.size < size)) {
		sub = axas_pgsize_below(size);
		for (off = 0; off < size; off += sub) {
			ret = populate_piece(space, gpa + off, sub,
					     nth_page(page, off >> PAGE_SHIFT),
					     prot, tables, unused);
			if (ret) {
				page = nth_page(page, (off + sub) >> PAGE_SHIFT);
				size -= off + sub;
				break;
			}
			if (sub == SZ_4K && !((off + sub) & (SZ_2M - 1)))
				cond_resched();
		}
		if (!ret)
			return 0;
	}
	/* Not installed (mapped by a racer, or a failure): free it. */
	for (i = 0; i < size >> PAGE_SHIFT; i++)
		list_add_tail(&nth_page(page, i)->lru, unused);
	return ret == -EEXIST ? 0 : ret;
}

static void populate_release(struct axas_space *space, struct populate *p,
			     struct axas_pt_cache *tables)
{
	unsigned long i;

	for (i = 0; i < p->nr; i++)
		populate_free_frames(&p->holes[i]);
	axas_pt_cache_release(tables);
	axas_frames_uncharge(&space->frames, p->pages);
}

/*
 * Charge the plan's frames. At the cap the answer may be wrong while
 * other charges are in flight: decide again, with the lock held
 * exclusively, once none is (as a fault does).
 */
static int populate_charge(struct axas_space *space, struct populate *p)
{
	int ret = axas_frames_charge(&space->frames, p->pages);
	bool busy;

	while (ret == -ENOMEM) {
		axas_space_lock_exact_from_shared(space);
		ret = space->dead ? -ESHUTDOWN : axas_frames_charge(&space->frames, p->pages);
		busy = atomic_read(&space->charges_unlocked);
		downgrade_write(&space->lock);
		if (ret && !busy)
			break;
	}
	return ret;
}

/*
 * Allocate what the plan needs without the space lock (1 GiB frames
 * migrate pages, which takes long), then take it again: -EAGAIN when a
 * writer changed the range meanwhile (the plan is stale).
 */
static int populate_alloc(struct axas_space *space, struct populate *p,
			  struct axas_pt_cache *tables)
{
	unsigned long i;
	int ret;

	ret = populate_charge(space, p);
	if (ret)
		return ret;
	axas_space_unlock_charged(space);
	for (i = 0; i < p->nr && !ret; i++)
		ret = populate_alloc_hole(space, p, i);
	if (!ret)
		ret = axas_pt_cache_fill(&space->pt, tables, populate_tables(p));
	axas_space_relock_charged(space);
	if (!ret && space->dead)
		ret = -ESHUTDOWN;
	if (!ret && p->reg.stale)
		ret = -EAGAIN;
	if (ret)
		populate_release(space, p, tables);
	return ret;
}

static int populate_commit(struct axas_space *space, struct populate *p,
			   struct axas_pt_cache *tables)
{
	LIST_HEAD(unused);
	unsigned long i, j, k;
	int ret = 0;

	for (i = 0; i < p->nr; i++) {
		struct populate_hole *h = &p->holes[i];
		unsigned long n = (h->end - h->start) / h->leaf;

		if (h->fallback && n)
			this_cpu_inc(space->faults->fallback);
		for (j = 0; j < n; j++) {
			/* Cannot fail (the tables are allocated); if it did, free the rest. */
			if (!ret)
				ret = populate_piece(space, h->start + j * h->leaf,
						     h->leaf, h->frames[j], h->prot,
						     tables, &unused);
			else
				for (k = 0; k < h->leaf >> PAGE_SHIFT; k++)
					list_add_tail(&nth_page(h->frames[j], k)->lru,
						      &unused);
			if (!(j & 511))
				cond_resched();
		}
		kvfree(h->frames);
		h->frames = NULL;
	}
	WARN_ON_ONCE(ret);
	/* Frames a racing fault made unneeded: uncharged as they are freed. */
	axas_frames_free(&space->frames, &unused);
	axas_pt_cache_release(tables);
	return ret;
}

int axas_populate(struct axas_space *space, u64 gpa, u64 size)
{
	struct axas_pt_cache tables;
	struct populate p = {};
	struct mem_cgroup *old;
	int ret;

	ret = axas_space_check_range(space, gpa, size);
	if (ret)
		return ret;
	INIT_LIST_HEAD(&tables.pages);
	tables.nr = 0;
	p.reg.start = gpa;
	p.reg.end = gpa + size;
	old = axas_space_memcg_enter(space);
	down_read(&space->lock);
	spin_lock(&space->populates_lock);
	list_add(&p.reg.node, &space->populates);
	spin_unlock(&space->populates_lock);
	do {
		ret = space->dead ? -ESHUTDOWN : populate_plan(space, gpa, gpa + size, &p);
		if (!ret && p.nr)
			ret = populate_alloc(space, &p, &tables);
	} while (ret == -EAGAIN);
	if (!ret && p.nr)
		ret = populate_commit(space, &p, &tables);
	spin_lock(&space->populates_lock);
	list_del(&p.reg.node);
	spin_unlock(&space->populates_lock);
	up_read(&space->lock);
	axas_space_memcg_leave(old);
	kvfree(p.holes);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_populate, AXAS_NS);

