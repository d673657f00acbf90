// SPDX-License-Identifier: GPL-2.0
/*
 * Guest frames: the one place frames come from (zeroed, from the space's
 * node, charged to the active memory cgroup), their count against the
 * space's cap, and how they go back after the flush. See backend.h.
 *
 * A frame of order n is allocated as one block and split into 2^n order-0
 * pages right away (split_page()), so any 4 KiB piece of it can be freed
 * on its own when an unmap or a protect cuts a huge leaf: a frame is
 * always released page by page, whatever leaf size maps it.
 */
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/hugetlb.h>
#include <linux/memory_hotplug.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <kunit/visibility.h>

#include "../compat_internal.h"

#include "backend.h"

/*
 * Count @nr 4 KiB frames against the cap, the pool as it is: 0, or
 * -ENOMEM (nothing charged). axas_frames_charge() (pool.c) makes room.
 */
int axas_frames_charge_only(struct axas_frames *f, unsigned long nr)
{
	long now = atomic_long_add_return(nr, &f->held);

	if (f->max && now > f->max) {
		atomic_long_sub(nr, &f->held);
		return -ENOMEM;
	}
	return 0;
}

void axas_frames_uncharge(struct axas_frames *f, unsigned long nr)
{
	atomic_long_sub(nr, &f->held);
}

/*
 * Frames are the guest's memory for as long as the area lives: the memory
 * cgroup's limit fails them with -ENOMEM rather than waking the OOM killer
 * (__GFP_RETRY_MAYFAIL), and a failure is the VMM's to report.
 */
#define AXAS_FRAME_GFP	(GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN | \
			 __GFP_RETRY_MAYFAIL)

#ifdef CONFIG_CONTIG_ALLOC
/*
 * Online, one zone, not reserved, not hugetlb, and in a zone a GFP_KERNEL
 * allocation may use (as alloc_contig_pages() keeps to): never
 * ZONE_MOVABLE, whose memory must stay migratable for memory hot-unplug
 * and virtio-mem, and a guest frame is pinned.
 */
VISIBLE_IF_KUNIT bool axas_frame_range_usable(unsigned long pfn,
					      unsigned long nr)
{
	struct zone *zone = NULL;
	unsigned long i;

	for (i = pfn; i < pfn + nr; i++) {
		struct page *page = pfn_to_online_page(i);

		if (!page || PageReserved(page) || PageHuge(page))
			return false;
		if (!zone) {
			zone = page_zone(page);
			if (zone_idx(zone) > gfp_zone(GFP_KERNEL))
				return false;
		} else if (page_zone(page) != zone) {
			return false;
		}
		if (!(i & 1023))
			cond_resched();
	}
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(axas_frame_range_usable);

/*
 * Blocks beyond MAX_PAGE_ORDER (1 GiB frames): claim a naturally aligned
 * range with alloc_contig_range(), highest first, as alloc_contig_pages()
 * would (it is not exported). The pages come back as order-0 pages, the
 * same as a split_page()d block. alloc_contig_range() takes no
 * __GFP_ACCOUNT: these frames count against the space's frame cap but not
 * against the memory cgroup.
 */
/*
 * A naturally aligned block of @order in [@lo, @hi), highest first, on
 * @node only (a node's span may interleave with other nodes' memory), or
 * on any node but @node when @not_node.
 */
static struct page *frame_alloc_contig_in(unsigned int order, unsigned long lo,
					  unsigned long hi, int node,
					  bool not_node)
{
	unsigned long nr = 1UL << order, pfn, i;
	unsigned long end = ALIGN_DOWN(hi, nr);

	for (pfn = end; pfn >= ALIGN(lo, nr) + nr; pfn -= nr) {
		unsigned long start = pfn - nr;

		if (!axas_frame_range_usable(start, nr))
			continue;
		/* One zone, so one node. */
		if (node != NUMA_NO_NODE &&
		    (page_to_nid(pfn_to_page(start)) == node) == not_node)
			continue;
		if (alloc_contig_range(start, start + nr, MIGRATE_MOVABLE,
				       GFP_KERNEL | __GFP_NOWARN))
			continue;
		for (i = 0; i < nr; i++) {
			clear_highpage(pfn_to_page(start + i));
			if (!(i & 4095))
				cond_resched();
		}
		return pfn_to_page(start);
	}
	return NULL;
}

/* From @node first when one is given; from it only with __GFP_THISNODE. */
static struct page *frame_alloc_contig(unsigned int order, int node,
				       gfp_t node_gfp)
{
	unsigned long top = PHYS_PFN(__pa(high_memory - 1)) + 1;
	struct page *page;

	if (node == NUMA_NO_NODE)
		return frame_alloc_contig_in(order, 0, top, node, false);
	page = frame_alloc_contig_in(order, node_start_pfn(node),
				     min(node_end_pfn(node), top), node, false);
	if (page || (node_gfp & __GFP_THISNODE))
		return page;
	return frame_alloc_contig_in(order, 0, top, node, true);
}
#else
static struct page *frame_alloc_contig(unsigned int order, int node,
				       gfp_t node_gfp)
{
	return NULL;
}
#endif

/* One frame of @order, zeroed, as 2^@order order-0 pages. */
static struct page *frame_alloc_one(unsigned int order, int node,
				    gfp_t node_gfp)
{
	struct page *page;

	if (order > MAX_PAGE_ORDER)
		return frame_alloc_contig(order, node, node_gfp);
	if (node == NUMA_NO_NODE)
		page = alloc_pages(AXAS_FRAME_GFP, order);
	else
		page = alloc_pages_node(node, AXAS_FRAME_GFP | node_gfp, order);
	/* An order-0 page is one page already. */
	if (page && order)
		split_page(page, order);
	return page;
}

/*
 * The one place frames come from: up to @nr frames of @order into @pages
 * (NULL-filled), returning how many it got, from @node (NUMA_NO_NODE: the
 * task's policy) with @node_gfp (__GFP_THISNODE or 0). 4 KiB frames come
 * from the bulk allocator (which falls back to one page a call where the
 * memory cgroup must be charged). The KUnit suites replace it to fail the
 * Nth frame.
 */
VISIBLE_IF_KUNIT unsigned long axas_frames_alloc(unsigned int order,
						 unsigned long nr,
						 struct page **pages, int node,
						 gfp_t node_gfp)
{
	gfp_t gfp = AXAS_FRAME_GFP | node_gfp;
	unsigned long done = 0, got;

	KUNIT_STATIC_STUB_REDIRECT(axas_frames_alloc, order, nr, pages, node,
				   node_gfp);
	while (done < nr) {
		if (order || nr == 1) {
			/* One frame (a fault): the bulk allocator's setup costs more. */
			pages[done] = frame_alloc_one(order, node, node_gfp);
			got = pages[done] ? 1 : 0;
		} else {
			got = node == NUMA_NO_NODE ?
				alloc_pages_bulk_array(gfp, nr - done, pages + done) :
				alloc_pages_bulk_array_node(gfp, node, nr - done,
							    pages + done);
			if (!got) {
				pages[done] = frame_alloc_one(0, node, node_gfp);
				got = pages[done] ? 1 : 0;
			}
		}
		if (!got)
			break;
		done += got;
		cond_resched();
	}
	return done;
}
EXPORT_SYMBOL_IF_KUNIT(axas_frames_alloc);

/* Frames for @f's space: from its node, as axas_frames_alloc() gives them. */
unsigned long axas_frames_get(struct axas_frames *f, unsigned int order,
			      unsigned long nr, struct page **pages)
{
	return axas_frames_alloc(order, nr, pages, f->node, f->node_gfp);
}

/* Free a frame of @order that never was mapped (its pages one by one). */
void axas_frame_free(struct page *page, unsigned int order)
{
	unsigned long i;

	for (i = 0; i < (1UL << order); i++) {
		__free_page(nth_page(page, i));
		if (!((i + 1) & 4095))
			cond_resched();
	}
}

/* Pages axas_frames_free() hands to the allocator at once. */
#define FRAMES_FREE_BATCH	32

/*
 * Free pages queued by release (on page->lru), after the flush; millions
 * of them for a large space, so with reschedule points (the caller holds
 * the space lock, a sleeping lock, and no RCU read section). They go back
 * in batches (release_pages(): one per-CPU list lock a batch, not one a
 * page). The walk has read a page's link before the page is freed, and
 * the list is left empty.
 */
void axas_frames_free(struct axas_frames *f, struct list_head *frames)
{
	struct page *batch[FRAMES_FREE_BATCH], *page, *tmp;
	unsigned int nr = 0;
	unsigned long n = 0;

	list_for_each_entry_safe(page, tmp, frames, lru) {
		batch[nr++] = page;
		if (nr == FRAMES_FREE_BATCH) {
			release_pages(batch, nr);
			nr = 0;
		}
		if (!(++n & 4095))
			cond_resched();
	}
	if (nr)
		release_pages(batch, nr);
	INIT_LIST_HEAD(frames);
	if (n)
		axas_frames_uncharge(f, n);
}

/*
 * A frame for a fault, allocated without the space lock: the size asked
 * for, else (unless @ff->strict) the next smaller ones, handing back the
 * charge a smaller frame does not need. On failure nothing is held or
 * charged.
 */
int axas_fault_frame_alloc(struct axas_frames *f, struct axas_fault_frame *ff)
{
	unsigned long want = ff->size;

	ff->fell_back = false;
	for (;;) {
		if (axas_frames_get(f, get_order(ff->size), 1, &ff->page))
			break;
		if (ff->strict || ff->size == SZ_4K) {
			axas_frames_uncharge(f, ff->charged);
			ff->charged = 0;
			return -ENOMEM;
		}
		ff->size = ff->size == SZ_1G ? SZ_2M : SZ_4K;
		axas_frames_uncharge(f, ff->charged - (ff->size >> PAGE_SHIFT));
		ff->charged = ff->size >> PAGE_SHIFT;
	}
	ff->fell_back = ff->size < want;
	return 0;
}

/* Free what a fault did not install. */
void axas_fault_frame_drop(struct axas_frames *f, struct axas_fault_frame *ff)
{
	if (ff->page)
		axas_frame_free(ff->page, get_order(ff->size));
	if (ff->charged)
		axas_frames_uncharge(f, ff->charged);
	ff->page = NULL;
	ff->charged = 0;
}

