// SPDX-License-Identifier: GPL-2.0
/*
 * Memory files: guest memory that belongs to a file rather than to one
 * area of one space (see "Memory files" in Documentation/axas.rst). Here
 * are the frame store and the file backend: which frame a page of the
 * file is, how one is added (zeroed, charged to the file's memory cgroup
 * and frame cap, a whole 2 MiB block where it can), how one is taken
 * away, and the records of the pages written. The views (areas of spaces)
 * are the core's; the file itself, its user mappings and its log are
 * features/memfile*.c.
 *
 * Frames are added with @invalidate held shared and taken away with it
 * held exclusively, after every view lost them. A guest fault holds its
 * space's lock, which a punch waits for while it holds @invalidate: the
 * fault never waits for @invalidate with its space lock held. It installs
 * what @pages holds when @seq, read under its space lock, says that no
 * punch is under way; otherwise (and to allocate) it drops its space lock,
 * fills the page here, and starts over. A punch makes @seq odd before it
 * takes any space's lock and even again after the frames are gone, so a
 * fault that saw it even installs a frame the punch will find in the
 * table (it waits for the fault's lock) or has not taken yet.
 */
#include <linux/bitmap.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/rculist.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "../compat_internal.h"

#include "backend.h"

struct axas_memfile *axas_memfile_new(pgoff_t nr_pages, unsigned long pgsize,
				      unsigned long max_frames, int node,
				      gfp_t node_gfp, struct mem_cgroup *memcg)
{
	struct axas_memfile *mf = kzalloc(sizeof(*mf), GFP_KERNEL_ACCOUNT);

	if (!mf)
		return NULL;
	kref_init(&mf->ref);
	xa_init(&mf->pages);
	mf->nr_pages = nr_pages;
	mf->pgsize = pgsize;
	axas_frames_init(&mf->frames, max_frames, node, node_gfp);
	mf->memcg = memcg;
	init_rwsem(&mf->invalidate);
	mutex_init(&mf->alloc_lock);
	mutex_init(&mf->log_lock);
	INIT_LIST_HEAD(&mf->views);
	INIT_LIST_HEAD(&mf->watches);
	spin_lock_init(&mf->watch_lock);
	return mf;
}

void axas_memfile_get(struct axas_memfile *mf)
{
	kref_get(&mf->ref);
}

/*
 * The last reference: no view, no user mapping (they hold the file),
 * no fault in flight. Its frames go back to the page allocator.
 */
static void memfile_release(struct kref *ref)
{
	struct axas_memfile *mf = container_of(ref, struct axas_memfile, ref);
	unsigned long index, n = 0;
	struct page *page;

	xa_for_each(&mf->pages, index, page) {
		put_page(page);
		if (!(++n & 1023))
			cond_resched();
	}
	xa_destroy(&mf->pages);
	axas_frames_uncharge(&mf->frames, n);
	WARN_ON_ONCE(!list_empty(&mf->views) || !list_empty(&mf->watches));
	if (mf->inode)
		iput(mf->inode);
	mem_cgroup_put(mf->memcg);
	kfree(mf);
}

void axas_memfile_put(struct axas_memfile *mf)
{
	kref_put(&mf->ref, memfile_release);
}

/*
 * A whole 2 MiB block at @head, the one aligned frame: every index is
 * reserved first (nothing can fail once the first page is published, and
 * nobody sees one before that), then stored, then marked.
 */
static int memfile_alloc_block(struct axas_memfile *mf, pgoff_t head)
{
	struct page *page;
	unsigned long i;
	int ret;

	ret = axas_frames_charge(&mf->frames, AXAS_MF_BLOCK_PAGES);
	if (ret)
		return ret;
	ret = -ENOMEM;
	if (axas_frames_get(&mf->frames, get_order(SZ_2M), 1, &page) != 1)
		goto out_uncharge;
	for (i = 0; i < AXAS_MF_BLOCK_PAGES; i++) {
		ret = xa_reserve(&mf->pages, head + i, GFP_KERNEL_ACCOUNT);
		if (ret)
			goto out_release;
	}
	for (i = 0; i < AXAS_MF_BLOCK_PAGES; i++)
		xa_store(&mf->pages, head + i, nth_page(page, i), GFP_KERNEL);
	xa_set_mark(&mf->pages, head, AXAS_MF_BLOCK);
	return 0;

out_release:
	while (i--)
		xa_release(&mf->pages, head + i);
	axas_frame_free(page, get_order(SZ_2M));
out_uncharge:
	axas_frames_uncharge(&mf->frames, AXAS_MF_BLOCK_PAGES);
	return ret;
}

static int memfile_alloc_page(struct axas_memfile *mf, pgoff_t index)
{
	struct page *page;
	int ret;

	ret = axas_frames_charge(&mf->frames, 1);
	if (ret)
		return ret;
	ret = -ENOMEM;
	if (axas_frames_get(&mf->frames, 0, 1, &page) != 1)
		goto out_uncharge;
	ret = xa_err(xa_store(&mf->pages, index, page, GFP_KERNEL_ACCOUNT));
	if (!ret)
		return 0;
	__free_page(page);
out_uncharge:
	axas_frames_uncharge(&mf->frames, 1);
	return ret;
}

/*
 * Give @index a frame: the whole aligned 2 MiB block around it when the
 * file takes 2 MiB frames and the block is empty (4 KiB when no block is
 * free), else 4 KiB. @invalidate held shared.
 */
int axas_memfile_fill_locked(struct axas_memfile *mf, pgoff_t index)
{
	pgoff_t head = ALIGN_DOWN(index, AXAS_MF_BLOCK_PAGES);
	unsigned long first = head;
	struct mem_cgroup *old;
	int ret = 0;

	lockdep_assert_held(&mf->invalidate);
	if (xa_load(&mf->pages, index))
		return 0;
	mutex_lock(&mf->alloc_lock);
	if (xa_load(&mf->pages, index))
		goto out_unlock;
	old = set_active_memcg(mf->memcg);
	ret = -ENOMEM;
	if (mf->pgsize == SZ_2M && head + AXAS_MF_BLOCK_PAGES <= mf->nr_pages &&
	    !xa_find(&mf->pages, &first, head + AXAS_MF_BLOCK_PAGES - 1,
		     XA_PRESENT)) {
		ret = memfile_alloc_block(mf, head);
		if (ret)
			atomic_long_inc(&mf->fallbacks);
	}
	if (ret)
		ret = memfile_alloc_page(mf, index);
	set_active_memcg(old);
out_unlock:
	mutex_unlock(&mf->alloc_lock);
	return ret;
}

/*
 * Make sure @index has a frame, waiting for a punch under way; called
 * without any space lock. 0 or -ENOMEM.
 */
int axas_memfile_fill(struct axas_memfile *mf, pgoff_t index)
{
	int ret;

	down_read(&mf->invalidate);
	ret = axas_memfile_fill_locked(mf, index);
	up_read(&mf->invalidate);
	return ret;
}

/*
 * The frame of @index with a reference (NULL: a hole, or with @alloc the
 * error in *@err): for copies and user mappings, which may outlive a punch
 * that takes it away (their reference keeps the page until they are done).
 */
struct page *axas_memfile_get_page(struct axas_memfile *mf, pgoff_t index,
				   bool alloc, int *err)
{
	struct page *page;

	*err = 0;
	down_read(&mf->invalidate);
	page = xa_load(&mf->pages, index);
	if (!page && alloc) {
		*err = axas_memfile_fill_locked(mf, index);
		if (!*err)
			page = xa_load(&mf->pages, index);
	}
	if (page)
		get_page(page);
	up_read(&mf->invalidate);
	return page;
}

/*
 * The frame of @index with a reference, without @invalidate: a punch may
 * be taking it away (a reference taken on a page that was freed and
 * handed out again meanwhile is let go at once, as the page cache's
 * lookups do). NULL for a hole.
 */
struct page *axas_memfile_tryget(struct axas_memfile *mf, pgoff_t index)
{
	struct page *page;

	rcu_read_lock();
	page = xa_load(&mf->pages, index);
	if (page && !get_page_unless_zero(page))
		page = NULL;
	rcu_read_unlock();
	if (page && xa_load(&mf->pages, index) != page) {
		put_page(page);
		page = NULL;
	}
	return page;
}

/* Frames are about to go: faults that start now wait (see above). */
void axas_memfile_inval_begin(struct axas_memfile *mf)
{
	down_write(&mf->invalidate);
	WRITE_ONCE(mf->seq, mf->seq + 1);
}

/* The end of an invalidation (see axas_memfile_inval_begin()). */
void axas_memfile_inval_end(struct axas_memfile *mf)
{
	/* After the erasures: a fault that reads the even value sees them. */
	smp_store_release(&mf->seq, mf->seq + 1);
	up_write(&mf->invalidate);
}

/*
 * Take the frame of @index out of the file (its block is no longer whole)
 * and uncharge it; the caller drops the file's reference to it once no
 * user mapping has it. @invalidate held exclusively, every view gone.
 */
struct page *axas_memfile_erase(struct axas_memfile *mf, pgoff_t index)
{
	struct page *page;

	lockdep_assert_held_write(&mf->invalidate);
	page = xa_erase(&mf->pages, index);
	if (!page)
		return NULL;
	xa_clear_mark(&mf->pages, ALIGN_DOWN(index, AXAS_MF_BLOCK_PAGES),
		      AXAS_MF_BLOCK);
	axas_frames_uncharge(&mf->frames, 1);
	return page;
}

/*
 * Pages [@index, @index + @nr) were written by @who (AXAS_MF_WRITE_*):
 * after the write, so that a harvest that sees the bit sees the data.
 */
void axas_memfile_mark(struct axas_memfile *mf, pgoff_t index,
		       unsigned long nr, unsigned int who)
{
	struct axas_memfile_watch *w;
	pgoff_t i, lo, hi;

	if (list_empty(&mf->watches))
		return;
	/* After the write: a harvest that sees the bit sees the data. */
	smp_mb__before_atomic();
	rcu_read_lock();
	list_for_each_entry_rcu(w, &mf->watches, node) {
		if (!(w->what & who))
			continue;
		lo = max(index, w->start);
		hi = min(index + nr, w->start + w->nr);
		for (i = lo; i < hi; i++)
			set_bit(i - w->start, w->bits);
	}
	rcu_read_unlock();
}

void axas_memfile_watch_add(struct axas_memfile *mf,
			    struct axas_memfile_watch *w)
{
	spin_lock(&mf->watch_lock);
	list_add_tail_rcu(&w->node, &mf->watches);
	if (w->what & AXAS_MF_WRITE_VIEW)
		atomic_inc(&mf->view_watches);
	spin_unlock(&mf->watch_lock);
}

/* Out of the list; no writer sets its bits once this returns. */
void axas_memfile_watch_del(struct axas_memfile *mf,
			    struct axas_memfile_watch *w)
{
	spin_lock(&mf->watch_lock);
	list_del_rcu(&w->node);
	if (w->what & AXAS_MF_WRITE_VIEW)
		atomic_dec(&mf->view_watches);
	spin_unlock(&mf->watch_lock);
	synchronize_rcu();
}

/*
 * Clear @w's bits of [@start, @end) (pages of the file) and set those that
 * were set in @out (bit n: page @out_base + n) when it is not NULL.
 * Returns how many were set.
 */
unsigned long axas_memfile_watch_take(struct axas_memfile_watch *w,
				      pgoff_t start, pgoff_t end,
				      unsigned long *out, pgoff_t out_base)
{
	unsigned long first, last, word, taken = 0, got, bit;

	start = max(start, w->start);
	end = min(end, w->start + w->nr);
	if (start >= end)
		return 0;
	first = start - w->start;
	last = end - w->start;
	for (word = BIT_WORD(first); word <= BIT_WORD(last - 1); word++) {
		unsigned long mask = ~0UL;

		if (word == BIT_WORD(first))
			mask &= BITMAP_FIRST_WORD_MASK(first);
		if (word == BIT_WORD(last - 1))
			mask &= BITMAP_LAST_WORD_MASK(last);
		if (!(READ_ONCE(w->bits[word]) & mask))
			continue;
		got = atomic_long_fetch_andnot(mask, (atomic_long_t *)&w->bits[word]) &
		      mask;
		taken += hweight_long(got);
		if (!out)
			continue;
		for_each_set_bit(bit, &got, BITS_PER_LONG)
			__set_bit(w->start + word * BITS_PER_LONG + bit - out_base,
				  out);
	}
	return taken;
}

/*
 * The file backend's fault: install the leaf of @gpa from the file's
 * frame, with the space lock held shared. The file has no frame there,
 * or a punch is taking frames away: ask the caller to fill the page
 * without its space lock (AXAS_FAULT_NEED_FRAME, @ff->mf and @ff->index
 * say which) and to start over. A leaf of 2 MiB only over a whole block.
 * While a watch records writes through views, leaves are 4 KiB and get
 * the write right from a write only, which is the record.
 */
static int file_fault(struct axas_pt *pt, struct axas_frames *frames,
		      const struct axas_area *area, u64 gpa,
		      unsigned long room, bool exact,
		      struct axas_fault_frame *ff)
{
	struct axas_memfile *mf = area->mf;
	unsigned long size = min(area->pgsize, room);
	u32 prot = area->flags & AXAS_PROT_ALL & ~ff->deny;
	struct page *page;
	pgoff_t index;
	int ret;

	if (atomic_read(&mf->view_watches)) {
		size = SZ_4K;
		if (!ff->write)
			prot &= ~AXAS_PROT_WRITE;
	}
	/* Pairs with axas_memfile_inval_end(): odd while frames go. */
	if (smp_load_acquire(&mf->seq) & 1)
		goto need;
	index = axas_area_pgoff(area, ALIGN_DOWN(gpa, size));
	if (size > SZ_4K && !xa_get_mark(&mf->pages, index, AXAS_MF_BLOCK)) {
		size = SZ_4K;
		index = axas_area_pgoff(area, gpa);
	}
	page = xa_load(&mf->pages, index);
	if (!page)
		goto need;
	ret = axas_pt_map_leaf(pt, ALIGN_DOWN(gpa, size), size,
			       page_to_phys(page), prot, true, NULL, false);
	if (ret == -EEXIST)
		return AXAS_FAULT_AGAIN;
	if (ret)
		return ret;
	ff->size = size;
	ff->fell_back = false;
	if (prot & AXAS_PROT_WRITE)
		axas_memfile_mark(mf, index, size >> PAGE_SHIFT,
				  AXAS_MF_WRITE_VIEW);
	return AXAS_FAULT_INSTALLED;
need:
	ff->mf = mf;
	ff->index = axas_area_pgoff(area, gpa);
	return AXAS_FAULT_NEED_FRAME;
}

/* The file keeps its frames: nothing to queue. */
const struct axas_backend axas_backend_file = {
	.name = "file",
	.fault = file_fault,
};
