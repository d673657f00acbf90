// SPDX-License-Identifier: GPL-2.0
/*
 * The areas of a space: a red-black tree of non-overlapping GPA ranges,
 * each with one backend and one set of flags, cut where an unmap or a
 * protect ends inside one. Every change takes the space lock exclusively;
 * lookups take it either way (see core.h), but for one: axas_translate()
 * tells an area from none without the lock, under RCU, retrying while the
 * tree changes (@axas_space.areas_seq; the rbtree's updates are whole
 * pointer stores, so such a lookup neither loops nor finds what is not
 * there, and removed areas are freed after a grace period).
 */
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "core.h"

static struct axas_area *area_of(struct rb_node *node)
{
	return node ? rb_entry(node, struct axas_area, node) : NULL;
}

/* The first area that ends after @gpa, or NULL. */
struct axas_area *axas_area_from(struct axas_space *space, u64 gpa)
{
	struct rb_node *node = space->areas.rb_node;
	struct axas_area *best = NULL;

	lockdep_assert_held(&space->lock);
	while (node) {
		struct axas_area *area = area_of(node);

		if (area->end > gpa) {
			best = area;
			node = node->rb_left;
		} else {
			node = node->rb_right;
		}
	}
	return best;
}

/* The area that holds @gpa, or NULL. */
struct axas_area *axas_area_find(struct axas_space *space, u64 gpa)
{
	struct axas_area *area = axas_area_from(space, gpa);

	return area && area->start <= gpa ? area : NULL;
}

struct axas_area *axas_area_next(struct axas_area *area)
{
	return area_of(rb_next(&area->node));
}

/* Changes of the tree and of an area's range, for lockless lookups. */
static void areas_write_begin(struct axas_space *space)
{
	lockdep_assert_held_write(&space->lock);
	preempt_disable();
	write_seqcount_begin(&space->areas_seq);
}

static void areas_write_end(struct axas_space *space)
{
	write_seqcount_end(&space->areas_seq);
	preempt_enable();
}

static void area_link(struct axas_space *space, struct axas_area *new)
{
	struct rb_node **link = &space->areas.rb_node, *parent = NULL;

	while (*link) {
		parent = *link;
		if (new->start < area_of(parent)->start)
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&new->node, parent, link);
	rb_insert_color(&new->node, &space->areas);
	space->nr_areas++;
}

void axas_area_insert(struct axas_space *space, struct axas_area *new)
{
	areas_write_begin(space);
	area_link(space, new);
	areas_write_end(space);
}

/* One area fewer in its view: the view goes with its last (see core.h). */
static void area_view_put(struct axas_space *space, struct axas_area *area)
{
	struct axas_memfile_view *view = area->view;

	if (view && !--view->areas)
		list_move_tail(&view->space_node, &space->views_dead);
}

void axas_area_remove(struct axas_space *space, struct axas_area *area)
{
	area_view_put(space, area);
	areas_write_begin(space);
	rb_erase(&area->node, &space->areas);
	space->nr_areas--;
	areas_write_end(space);
	kfree_rcu(area, rcu);
}

bool axas_area_exists_rcu(struct axas_space *space, u64 gpa)
{
	const struct rb_node *node;
	unsigned int seq;
	bool found;

	do {
		seq = read_seqcount_begin(&space->areas_seq);
		found = false;
		node = READ_ONCE(space->areas.rb_node);
		while (node) {
			const struct axas_area *area =
				rb_entry(node, struct axas_area, node);

			if (READ_ONCE(area->end) <= gpa) {
				node = READ_ONCE(node->rb_right);
			} else if (READ_ONCE(area->start) > gpa) {
				node = READ_ONCE(node->rb_left);
			} else {
				found = true;
				break;
			}
		}
	} while (read_seqcount_retry(&space->areas_seq, seq));
	return found;
}

/*
 * Area structs are charged to the space's memory cgroup; at its limit a
 * map or protect fails with -ENOMEM rather than wake the OOM killer. An
 * unmap frees memory and must not fail there: its spares may go over the
 * limit (AREA_GFP_UNMAP; see PT_GFP_UNMAP in the engine).
 */

struct axas_area *axas_area_alloc(gfp_t gfp)
{
	return kzalloc(sizeof(struct axas_area), gfp);
}

int axas_spares_fill(struct list_head *spares, gfp_t gfp)
{
	unsigned int i;

	for (i = 0; i < AXAS_SPARE_AREAS; i++) {
		struct axas_area *area = axas_area_alloc(gfp);

		if (!area)
			return -ENOMEM;
		list_add(&area->spare, spares);
	}
	return 0;
}

void axas_spares_free(struct list_head *spares)
{
	struct axas_area *area, *tmp;

	list_for_each_entry_safe(area, tmp, spares, spare) {
		list_del(&area->spare);
		kfree(area);
	}
}

static struct axas_area *spare_take(struct list_head *spares)
{
	struct axas_area *area = list_first_entry(spares, struct axas_area, spare);

	list_del(&area->spare);
	return area;
}

/* Split @area at @at; @area keeps [start, at), the returned area the rest. */
static struct axas_area *area_cut(struct axas_space *space,
				  struct axas_area *area, u64 at,
				  struct list_head *spares)
{
	struct axas_area *right = spare_take(spares);

	right->start = area->start;
	right->end = area->end;
	right->flags = area->flags;
	right->pgsize = area->pgsize;
	right->hpa = area->hpa;
	right->backend = area->backend;
	right->origin = area->origin;
	right->leaf_max = area->leaf_max;
	right->mf = area->mf;
	right->view = area->view;
	right->start = at;
	if (area->backend == &axas_backend_linear)
		right->hpa = area->hpa + (at - area->start);
	if (area->view) {
		right->pgoff = axas_area_pgoff(area, at);
		area->view->areas++;
	}
	areas_write_begin(space);
	WRITE_ONCE(area->end, at);
	area_link(space, right);
	areas_write_end(space);
	return right;
}

unsigned long axas_pgsize_below(unsigned long pgsize)
{
	return pgsize == SZ_1G ? SZ_2M : SZ_4K;
}

/*
 * An alloc area's ends must be aligned to its page size. Where a cut left
 * them unaligned, the unaligned head/tail become areas of the next smaller
 * size - which is what the table holds there after the engine split the
 * leaf the cut went through.
 */
static void area_fix(struct axas_space *space, struct axas_area *area,
		     struct list_head *spares)
{
	while (area->pgsize > SZ_4K &&
	       (!IS_ALIGNED(area->start, area->pgsize) ||
		!IS_ALIGNED(area->end, area->pgsize))) {
		u64 lo = ALIGN(area->start, area->pgsize);
		u64 hi = ALIGN_DOWN(area->end, area->pgsize);
		unsigned long below = axas_pgsize_below(area->pgsize);
		struct axas_area *part;

		if (lo >= hi) {
			area->pgsize = below;
			continue;
		}
		if (hi < area->end) {
			part = area_cut(space, area, hi, spares);
			part->pgsize = below;
			area_fix(space, part, spares);
		}
		if (lo > area->start) {
			part = area_cut(space, area, lo, spares);
			area->pgsize = below;
			area_fix(space, area, spares);
			area = part;
		}
	}
}

/* Make @at an area boundary (if an area spans it). */
static void area_boundary(struct axas_space *space, u64 at,
			  struct list_head *spares)
{
	struct axas_area *area = axas_area_find(space, at), *right;

	if (!area || area->start == at)
		return;
	right = area_cut(space, area, at, spares);
	area_fix(space, area, spares);
	area_fix(space, right, spares);
}

/*
 * Cut areas at @gpa and @end, then remove every area inside, or give it
 * the rights and memory type @prot.
 */
void axas_area_carve(struct axas_space *space, u64 gpa, u64 end,
		     struct list_head *spares, bool remove, u32 prot)
{
	struct axas_area *area, *next;

	area_boundary(space, gpa, spares);
	area_boundary(space, end, spares);
	for (area = axas_area_from(space, gpa); area && area->start < end;
	     area = next) {
		next = axas_area_next(area);
		if (remove)
			axas_area_remove(space, area);
		else
			area->flags = (area->flags & ~AXAS_PROT_ALL) | prot;
	}
}

/*
 * Join the neighbours over [gpa, end) that one map made and cuts left
 * with the same flags again (a protect undone): one area, whose alloc
 * frame size is the largest up to the one the map asked for that its
 * ends allow. Nothing changes for the VMM but the areas it walks: no
 * hook. Returns whether any joined; lock held exclusively.
 */
bool axas_area_join(struct axas_space *space, u64 gpa, u64 end)
{
	struct axas_area *area, *next;
	bool joined = false;

	for (area = axas_area_from(space, gpa); area && area->start < end;
	     area = next) {
		next = axas_area_next(area);
		if (!next || next->start != area->end ||
		    next->origin != area->origin || next->flags != area->flags)
			continue;
		/* Same origin, same view: never its last area. */
		area_view_put(space, next);
		areas_write_begin(space);
		WRITE_ONCE(area->end, next->end);
		rb_erase(&next->node, &space->areas);
		space->nr_areas--;
		areas_write_end(space);
		kfree_rcu(next, rcu);
		if (area->backend != &axas_backend_linear) {
			area->pgsize = area->leaf_max;
			while (area->pgsize > SZ_4K &&
			       !IS_ALIGNED(area->start | area->end, area->pgsize))
				area->pgsize = axas_pgsize_below(area->pgsize);
		}
		joined = true;
		/* And the one after, if it belongs too. */
		next = area;
	}
	return joined;
}
