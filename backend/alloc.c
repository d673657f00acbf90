// SPDX-License-Identifier: GPL-2.0
/*
 * The alloc backend: zeroed frames from the page allocator, charged to the
 * space's memory cgroup and to the space's frame cap.
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

#include "../axas_internal.h"

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
		if (!(i & 4095))
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
static struct page *frame_alloc_contig(unsigned int order)
{
	unsigned long nr = 1UL << order, pfn, i;
	unsigned long end = ALIGN_DOWN(PHYS_PFN(__pa(high_memory - 1)) + 1, nr);

	for (pfn = end; pfn >= nr; pfn -= nr) {
		unsigned long start = pfn - nr;

		if (!axas_frame_range_usable(start, nr))
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
#else
static struct page *frame_alloc_contig(unsigned int order)
{
	return NULL;
}
#endif

/* One frame of @order, zeroed, as 2^@order order-0 pages. */
static struct page *frame_alloc_one(unsigned int order)
{
	struct page *page;

	if (order > MAX_PAGE_ORDER)
		return frame_alloc_contig(order);
	page = alloc_pages(AXAS_FRAME_GFP, order);
	if (page)
		split_page(page, order);
	return page;
}

/*
 * The one place frames come from: up to @nr frames of @order into @pages
 * (NULL-filled), returning how many it got. 4 KiB frames come from the
 * bulk allocator (which falls back to one page a call where the memory
 * cgroup must be charged). The KUnit suites replace it to fail the Nth
 * frame.
 */
VISIBLE_IF_KUNIT unsigned long axas_frames_alloc(unsigned int order,
						 unsigned long nr,
						 struct page **pages)
{
	unsigned long done = 0, got;

	KUNIT_STATIC_STUB_REDIRECT(axas_frames_alloc, order, nr, pages);
	while (done < nr) {
		if (order || nr == 1) {
			/* One frame (a fault): the bulk allocator's setup costs more. */
			pages[done] = order ? frame_alloc_one(order) :
				alloc_page(AXAS_FRAME_GFP);
			got = pages[done] ? 1 : 0;
		} else {
			got = alloc_pages_bulk_array(AXAS_FRAME_GFP, nr - done,
						     pages + done);
			if (!got) {
				pages[done] = alloc_page(AXAS_FRAME_GFP);
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

static void frame_free(struct page *page, unsigned int order)
{
	unsigned long i;

	for (i = 0; i < (1UL << order); i++) {
		__free_page(nth_page(page, i));
		if (!((i + 1) & 4095))
			cond_resched();
	}
}

/*
 * Free pages queued by release (on page->lru), after the flush; millions
 * of them for a large space, so with reschedule points (the caller holds
 * the space lock, a sleeping lock, and no RCU read section).
 */
void axas_frames_free(struct axas_space *space, struct list_head *frames)
{
	struct page *page, *tmp;
	unsigned long n = 0;

	list_for_each_entry_safe(page, tmp, frames, lru) {
		list_del(&page->lru);
		__free_page(page);
		if (!(++n & 4095))
			cond_resched();
	}
	if (n)
		axas_frames_uncharge(space, n);
}

/* Eager: every frame first, then one map; all or nothing. */
static int alloc_populate(struct axas_space *space, struct axas_area *area)
{
	unsigned long n = (area->end - area->start) / area->pgsize, got;
	unsigned int order = get_order(area->pgsize);
	struct axas_pt_src src = { .frame_size = area->pgsize, .encrypted = true };
	int ret;

	if (!(area->flags & AXAS_AREA_POPULATE))
		return 0;
	ret = axas_frames_charge(space, n << order);
	if (ret)
		return ret;
	/* Freed before this returns: not worth failing a map at the cgroup's limit. */
	src.frames = kvcalloc(n, sizeof(*src.frames), GFP_KERNEL | __GFP_NOWARN);
	if (!src.frames) {
		ret = -ENOMEM;
		goto out_uncharge;
	}
	got = axas_frames_alloc(order, n, src.frames);
	ret = -ENOMEM;
	if (got == n)
		ret = axas_pt_map(&space->pt, area->start, area->end - area->start,
				  &src, area->flags & AXAS_PROT_ALL, area->pgsize, 0);
	if (ret)
		while (got--) {
			frame_free(src.frames[got], order);
			cond_resched();
		}
	kvfree(src.frames);
	if (!ret)
		return 0;
out_uncharge:
	axas_frames_uncharge(space, n << order);
	return ret;
}

/*
 * Lazy: one frame for the leaf holding @gpa; one winner per leaf. At the
 * frame cap with the lock held shared, the answer may be wrong (a racer's
 * charge for the same page, soon given back): -EAGAIN asks the caller to
 * decide again with the lock held exclusively.
 */
static int alloc_fault(struct axas_space *space, struct axas_area *area,
		       u64 gpa, bool excl)
{
	unsigned int order = get_order(area->pgsize);
	struct axas_pt_src src = { .encrypted = true };
	struct page *page = NULL;
	int ret;

	ret = axas_frames_charge(space, 1UL << order);
	if (ret)
		return excl ? ret : -EAGAIN;
	if (!axas_frames_alloc(order, 1, &page)) {
		axas_frames_uncharge(space, 1UL << order);
		return -ENOMEM;
	}
	src.pa = page_to_phys(page);
	ret = axas_pt_map(&space->pt, ALIGN_DOWN(gpa, area->pgsize),
			  area->pgsize, &src, area->flags & AXAS_PROT_ALL,
			  area->pgsize, AXAS_PT_MAP_SHARED);
	if (!ret)
		return AXAS_FAULT_INSTALLED;
	frame_free(page, order);
	axas_frames_uncharge(space, 1UL << order);
	/* Another vCPU installed the leaf first: nothing left to do. */
	return ret == -EEXIST ? AXAS_FAULT_SPURIOUS : ret;
}

/* Frames are uncharged when axas_frames_free() frees them. */
static void alloc_release(struct axas_space *space, struct axas_area *area,
			  const struct axas_pt_leaf *leaf,
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
