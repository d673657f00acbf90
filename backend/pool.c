// SPDX-License-Identifier: GPL-2.0
/*
 * The frame pool: zeroed frames allocated ahead of the lazy faults that
 * take them, so that a fault neither allocates, zeroes nor charges. The
 * pool is filled only by axas_prefill(), from the VMM's own context (its
 * HLT handler, an idle vCPU thread): the CPU time of the zeroing lands on
 * the VMM that asked for it, not on a kernel worker. Frames freed by
 * unmap, discard or restore are not taken back into it: they go to the
 * page allocator after the flush, as before, and every pooled frame was
 * allocated zeroed (__GFP_ZERO, or cleared after alloc_contig_range()) for
 * this space, after its last use by anyone.
 *
 * A pooled frame is counted against the cap like any (held, and pooled);
 * a charge the cap refuses gives pooled frames back first, so a full pool
 * never costs a fault its frame.
 */
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>

#include "../compat_internal.h"

#include "backend.h"

#define POOL_BLOCK	(SZ_2M >> PAGE_SHIFT)

void axas_frames_init(struct axas_frames *f, unsigned long max, int node,
		      gfp_t node_gfp)
{
	f->max = max;
	f->node = node;
	f->node_gfp = node_gfp;
	spin_lock_init(&f->pool.lock);
	INIT_LIST_HEAD(&f->pool.frames);
	INIT_LIST_HEAD(&f->pool.blocks);
}

/*
 * Count @nr 4 KiB frames against the cap: 0, or -ENOMEM (nothing charged)
 * when it would be exceeded even with the pool's frames given back.
 * Context: process context when the pool holds frames (it frees them).
 */
int axas_frames_charge(struct axas_frames *f, unsigned long nr)
{
	int ret = axas_frames_charge_only(f, nr);
	long over;

	if (!ret || !atomic_long_read(&f->pooled))
		return ret;
	/* Only the room this charge needs: the rest stays zeroed ahead. */
	over = atomic_long_read(&f->held) + nr - f->max;
	if (over > 0 && axas_pool_shrink(f, over))
		ret = axas_frames_charge_only(f, nr);
	return ret;
}

/*
 * A zeroed frame of @size (4 KiB or 2 MiB) from the pool, or NULL. Its
 * charge passes to the caller, which frees and uncharges it
 * (axas_fault_frame_drop()) unless it maps it.
 */
struct page *axas_pool_take(struct axas_frames *f, unsigned long size)
{
	struct axas_frame_pool *p = &f->pool;
	struct list_head *list = size == SZ_4K ? &p->frames : &p->blocks;
	struct page *page = NULL;

	if (size != SZ_4K && size != SZ_2M)
		return NULL;
	/* Unlocked: an empty pool costs a fault one load. */
	if (list_empty_careful(list))
		return NULL;
	spin_lock(&p->lock);
	page = list_first_entry_or_null(list, struct page, lru);
	if (page) {
		list_del(&page->lru);
		if (size == SZ_4K)
			p->nr_frames--;
		else
			p->nr_blocks--;
		atomic_long_sub(size >> PAGE_SHIFT, &f->pooled);
	}
	spin_unlock(&p->lock);
	return page;
}

/* Below its limit for frames of @order? Under the pool's lock. */
static bool pool_wants(const struct axas_frame_pool *p, unsigned int order)
{
	return order ? p->nr_blocks < p->max_blocks :
		       p->nr_frames < p->max_frames;
}

/*
 * Adding a frame to the pool takes three steps, so that the caller
 * (axas_prefill()) can hold the space lock around the first and the last
 * and count the charge it holds without it in between, as a fault does:
 * a decision at the cap waits for that charge to become a pooled frame,
 * which it can take back.
 *
 * axas_pool_reserve(): does the pool want a frame of @order, and does the
 * cap have room for it? true with the frame charged, false with nothing
 * charged. Never at the expense of pooled frames: that would churn.
 */
bool axas_pool_reserve(struct axas_frames *f, unsigned int order)
{
	struct axas_frame_pool *p = &f->pool;
	bool wanted;

	spin_lock(&p->lock);
	wanted = pool_wants(p, order);
	spin_unlock(&p->lock);
	return wanted && !axas_frames_charge_only(f, 1UL << order);
}

/*
 * The reserved frame, zeroed: its page, or NULL with its charge given
 * back. Context: may sleep (allocates and zeroes).
 */
struct page *axas_pool_alloc(struct axas_frames *f, unsigned int order)
{
	struct page *page;

	if (axas_frames_get(f, order, 1, &page) == 1)
		return page;
	axas_frames_uncharge(f, 1UL << order);
	return NULL;
}

/*
 * The reserved frame @page into the pool: 1, or 0 when others filled it
 * meanwhile or it was closed (the frame freed and its charge given back).
 */
int axas_pool_put(struct axas_frames *f, unsigned int order,
		  struct page *page)
{
	struct axas_frame_pool *p = &f->pool;
	unsigned long n = 1UL << order;
	bool added = false;

	spin_lock(&p->lock);
	if (pool_wants(p, order)) {
		list_add(&page->lru, order ? &p->blocks : &p->frames);
		if (order)
			p->nr_blocks++;
		else
			p->nr_frames++;
		atomic_long_add(n, &f->pooled);
		added = true;
	}
	spin_unlock(&p->lock);
	if (!added) {
		axas_frame_free(page, order);
		axas_frames_uncharge(f, n);
	}
	return added;
}

/* A frame taken off the pool's lists goes back to the allocator. */
static unsigned long pool_free(struct axas_frames *f, struct page *page,
			       bool block)
{
	unsigned long n = block ? POOL_BLOCK : 1;

	axas_frame_free(page, block ? get_order(SZ_2M) : 0);
	atomic_long_sub(n, &f->pooled);
	axas_frames_uncharge(f, n);
	return n;
}

/*
 * Off the pool's lists: a frame beyond its limits (@excess), or any
 * (4 KiB ones first); NULL when there is none. *@block says its size.
 */
static struct page *pool_pop(struct axas_frame_pool *p, bool excess,
			     bool *block)
{
	struct page *page = NULL;

	spin_lock(&p->lock);
	if (excess)
		*block = p->nr_frames <= p->max_frames;
	else
		*block = list_empty(&p->frames);
	if (!excess || (*block ? p->nr_blocks > p->max_blocks : true))
		page = list_first_entry_or_null(*block ? &p->blocks : &p->frames,
						struct page, lru);
	if (page) {
		list_del(&page->lru);
		if (*block)
			p->nr_blocks--;
		else
			p->nr_frames--;
	}
	spin_unlock(&p->lock);
	return page;
}

/*
 * Give back at least @nr 4 KiB frames' worth from the pool (2 MiB frames
 * last), freeing and uncharging them; all of it for ULONG_MAX. Returns
 * the 4 KiB frames given back.
 */
unsigned long axas_pool_shrink(struct axas_frames *f, unsigned long nr)
{
	unsigned long done = 0;
	struct page *page;
	bool block;

	while (done < nr && (page = pool_pop(&f->pool, false, &block)))
		done += pool_free(f, page, block);
	return done;
}

/*
 * New limits; what the pool holds beyond them goes back. 0, or -ESHUTDOWN
 * once axas_pool_close() closed it (the limits stay 0).
 */
int axas_pool_set(struct axas_frames *f, unsigned long frames,
		  unsigned long blocks)
{
	struct page *page;
	bool block;

	spin_lock(&f->pool.lock);
	if (f->pool.closed) {
		spin_unlock(&f->pool.lock);
		return -ESHUTDOWN;
	}
	f->pool.max_frames = frames;
	f->pool.max_blocks = blocks;
	spin_unlock(&f->pool.lock);
	while ((page = pool_pop(&f->pool, true, &block)))
		pool_free(f, page, block);
	return 0;
}

/*
 * For good (shutdown): limits 0, everything given back, and no fill or
 * axas_pool_set() adds to it again, whatever races with this.
 */
void axas_pool_close(struct axas_frames *f)
{
	spin_lock(&f->pool.lock);
	f->pool.closed = true;
	f->pool.max_frames = 0;
	f->pool.max_blocks = 0;
	spin_unlock(&f->pool.lock);
	axas_pool_shrink(f, ULONG_MAX);
}
