// SPDX-License-Identifier: GPL-2.0
/*
 * The fault path: axas_fault() and what the features fault in through
 * it. Faults run with the space lock held shared and install leaves with
 * cmpxchg; frames larger than 4 KiB are allocated with the lock dropped;
 * at the frame cap a fault decides again with the lock held exclusively
 * once no charge is held unlocked. See core.h.
 */
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/sched/mm.h>

#include "core.h"
#include "trace.h"

#define AXAS_ACCESS_ALL	(AXAS_ACCESS_READ | AXAS_ACCESS_WRITE | \
			 AXAS_ACCESS_EXEC | AXAS_ACCESS_EXEC_USER)

/*
 * Does @prot allow @access? With mode-based execute control, a fetch from
 * a supervisor-mode address needs EXEC (EPT bit 2) and one from a
 * user-mode address EXEC_USER (bit 10); without it, bit 2 (or NX clear)
 * governs both.
 */
static __always_inline bool prot_allows(const struct axas_space *space,
					u32 prot, unsigned int access)
{
	u32 user_exec = space->pt.cfg.format == AXAS_PT_EPT &&
			(space->pt.cfg.caps.flags & AXAS_CAP_MBEC) ?
			AXAS_PROT_EXEC_USER : AXAS_PROT_EXEC;

	if ((access & AXAS_ACCESS_READ) && !(prot & AXAS_PROT_READ))
		return false;
	if ((access & AXAS_ACCESS_WRITE) && !(prot & AXAS_PROT_WRITE))
		return false;
	if ((access & AXAS_ACCESS_EXEC) && !(prot & AXAS_PROT_EXEC))
		return false;
	if ((access & AXAS_ACCESS_EXEC_USER) && !(prot & user_exec))
		return false;
	return true;
}

/*
 * A write to a present page whose leaf lacks the write right its area
 * has: the window denied it (for write-protection dirty logging, where
 * the right is the mark of a written page), or, in a file area, the
 * file's log took it (the write is that log's record: see
 * backend/memfile.c). Give it back, with the lock held shared and a
 * cmpxchg on the leaf (the hardware's A/D updates and other faults race
 * with it).
 */
static int space_fault_denied(struct axas_space *space,
			      const struct axas_area *area, u64 gpa,
			      unsigned int access,
			      const struct axas_pt_leaf *leaf)
{
	if (!(access & AXAS_ACCESS_WRITE) || !(area->flags & AXAS_PROT_WRITE) ||
	    !prot_allows(space, leaf->prot | AXAS_PROT_WRITE, access) ||
	    (!(axas_space_denied(space, gpa) & AXAS_PROT_WRITE) && !area->mf))
		return -EACCES;
	axas_pt_scan(&space->pt, ALIGN_DOWN(gpa, PAGE_SIZE), PAGE_SIZE,
		     AXAS_SCAN_WRITABLE, AXAS_SCAN_SET, NULL, 0, NULL);
	/* The whole leaf got the right: its pages count as written. */
	if (area->mf)
		axas_memfile_mark(area->mf, axas_area_pgoff(area, leaf->gpa),
				  leaf->size >> PAGE_SHIFT, AXAS_MF_WRITE_VIEW);
	this_cpu_inc(space->faults->dirty);
	return AXAS_FAULT_INSTALLED;
}

static int space_fault_locked(struct axas_space *space, u64 gpa,
			      unsigned int access, bool excl,
			      struct axas_fault_frame *ff)
{
	struct axas_pt_leaf leaf;
	struct axas_area *area;
	u64 slot;
	int ret;

	lockdep_assert_held(&space->lock);
	if (space->dead)
		return -ESHUTDOWN;
	area = axas_area_find(space, gpa);
	if (!area)
		return -ENOENT;
	if (!prot_allows(space, area->flags, access))
		return -EACCES;
	/*
	 * Present: spurious only if the leaf itself allows the access, or
	 * the vCPU would fault on it forever.
	 */
	ret = axas_pt_query(&space->pt, gpa, &leaf);
	if (!ret) {
		if (prot_allows(space, leaf.prot, access))
			return AXAS_FAULT_SPURIOUS;
		return space_fault_denied(space, area, gpa, access, &leaf);
	}
	if (WARN_ON_ONCE(ret != -ENOENT || !area->backend->fault))
		return -EFAULT;
	/*
	 * Not mapped: @leaf.size is the largest leaf the table takes there,
	 * but no leaf larger than 4 KiB goes across the window (dirty logging
	 * reports 4 KiB pages), and a page inside it gets the window's denied
	 * rights only from an access that needs them (under write-protection,
	 * a page not written yet is mapped without the write right: its first
	 * write marks it).
	 */
	slot = min_t(u64, leaf.size, area->pgsize);
	if (slot > SZ_4K && axas_pt_window_meets(space->win, ALIGN_DOWN(gpa, slot),
						 slot))
		slot = SZ_4K;
	ff->deny = axas_space_denied(space, gpa) &
		   (access & AXAS_ACCESS_WRITE ? ~AXAS_PROT_WRITE : ~0U);
	ff->write = access & AXAS_ACCESS_WRITE;
	ret = area->backend->fault(&space->pt, &space->frames, area, gpa, slot,
				   excl && !atomic_read(&space->charges_unlocked),
				   ff);
	if (ret == AXAS_FAULT_INSTALLED) {
		this_cpu_inc(space->faults->leaves[(ilog2(ff->size) - 12) / 9]);
		if (ff->fell_back)
			this_cpu_inc(space->faults->fallback);
	}
	return ret;
}

/*
 * A fault with the space lock held shared; returns with it held shared.
 * When the frame cap looked full, other faults may have held charges they
 * were about to give back (losers of a race for the same page): decide
 * again with the lock held exclusively, when no fault holds a charge, so
 * that neither a loser nor an unrelated fault fails for a charge that
 * was never needed.
 */
static int space_fault_shared(struct axas_space *space, u64 gpa,
			      unsigned int access, struct axas_fault_frame *ff)
{
	int ret;

	do {
		ret = space_fault_locked(space, gpa, access, false, ff);
	} while (ret == AXAS_FAULT_AGAIN);
	while (ret == -EAGAIN) {
		axas_space_lock_exact_from_shared(space);
		do {
			ret = space_fault_locked(space, gpa, access, true, ff);
		} while (ret == AXAS_FAULT_AGAIN);
		downgrade_write(&space->lock);
	}
	return ret;
}

/*
 * The page a file area needs, with the space lock dropped: the file may
 * wait for a punch, which waits for this lock. The file stays while the
 * lock is dropped (the area may go meanwhile); the fault starts over.
 */
static int space_fault_file(struct axas_space *space,
			    struct axas_fault_frame *ff)
{
	struct axas_memfile *mf = ff->mf;
	int ret;

	ff->mf = NULL;
	axas_memfile_get(mf);
	up_read(&space->lock);
	ret = axas_memfile_fill(mf, ff->index);
	axas_memfile_put(mf);
	down_read(&space->lock);
	return ret;
}

/*
 * A fault, called and returning with the space lock held shared, but
 * dropping it while a frame larger than 4 KiB is allocated, or while a
 * memory file fills the page: the fault then starts over, as the space
 * may have changed meanwhile.
 */
int axas_space_fault_relock(struct axas_space *space, u64 gpa,
			    unsigned int access)
{
	struct axas_fault_frame ff = {};
	int ret;

	ret = space_fault_shared(space, gpa, access, &ff);
	while (ret == AXAS_FAULT_NEED_FRAME) {
		if (ff.mf) {
			ret = space_fault_file(space, &ff);
		} else {
			axas_space_unlock_charged(space);
			ret = axas_fault_frame_alloc(&space->frames, &ff);
			axas_space_relock_charged(space);
		}
		if (!ret)
			ret = space_fault_shared(space, gpa, access, &ff);
	}
	if (ff.page || ff.charged)
		axas_fault_frame_drop(&space->frames, &ff);
	return ret;
}

/*
 * Install the lazy page at @gpa with no access asked for (inside the
 * window, without its denied rights), the lock held exclusively since
 * axas_space_lock_exact(). 0 or -errno; a charge another fault holds
 * unlocked (-EAGAIN) counts as -ENOMEM.
 */
int axas_space_fault_excl(struct axas_space *space, u64 gpa)
{
	struct axas_fault_frame ff = {};
	int ret;

	lockdep_assert_held_write(&space->lock);
	do {
		ret = space_fault_locked(space, gpa, 0, true, &ff);
	} while (ret == AXAS_FAULT_AGAIN);
	axas_fault_frame_drop(&space->frames, &ff);
	if (ret == -EAGAIN || ret == AXAS_FAULT_NEED_FRAME)
		ret = -ENOMEM;
	return ret < 0 ? ret : 0;
}

int axas_fault(struct axas_space *space, u64 gpa, unsigned int access)
{
	struct mem_cgroup *old;
	int ret;

	if (!access || (access & ~AXAS_ACCESS_ALL))
		return -EINVAL;
	if (gpa < space->base || gpa >= space->end) {
		ret = READ_ONCE(space->dead) ? -ESHUTDOWN : -ENOENT;
		goto out;
	}
	old = axas_space_memcg_enter(space);
	down_read(&space->lock);
	ret = axas_space_fault_relock(space, gpa, access);
	up_read(&space->lock);
	axas_space_memcg_leave(old);
out:
	if (ret == AXAS_FAULT_INSTALLED)
		this_cpu_inc(space->faults->installed);
	else if (ret == AXAS_FAULT_SPURIOUS)
		this_cpu_inc(space->faults->spurious);
	else
		this_cpu_inc(space->faults->refused);
	trace_axas_fault(space->id, gpa, access, ret);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_fault, AXAS_NS);

int axas_space_fault_in(struct axas_space *space, u64 gpa)
{
	int ret = axas_space_fault_relock(space, gpa, 0);

	return ret < 0 ? ret : 0;
}

int axas_pool_limit(struct axas_space *space, unsigned long frames,
		    unsigned long blocks_2m)
{
	if (blocks_2m && !(space->pt.pgsizes & SZ_2M))
		return -EOPNOTSUPP;
	return axas_pool_set(&space->frames, frames, blocks_2m);
}
EXPORT_SYMBOL_NS_GPL(axas_pool_limit, AXAS_NS);

/*
 * One zeroed frame of @order into the pool if it wants one and the cap
 * has room: true when added. Called and returning with the space lock
 * held shared; the frame's charge is held without it while the frame is
 * allocated and zeroed, counted as a fault's is, so that a decision at
 * the cap (axas_space_lock_exact_from_shared()) waits for it to be a
 * pooled frame, which the decision can give back, rather than fail a
 * fault for a charge it could not see.
 */
static bool prefill_one(struct axas_space *space, unsigned int order)
{
	struct axas_frames *f = &space->frames;
	struct page *page;

	if (!axas_pool_reserve(f, order))
		return false;
	axas_space_unlock_charged(space);
	page = axas_pool_alloc(f, order);
	axas_space_relock_charged(space);
	return page && axas_pool_put(f, order, page);
}

long axas_prefill(struct axas_space *space, unsigned long budget)
{
	unsigned long block = SZ_2M >> PAGE_SHIFT;
	struct mem_cgroup *old;
	long added = 0;

	if (READ_ONCE(space->dead))
		return -ESHUTDOWN;
	old = axas_space_memcg_enter(space);
	down_read(&space->lock);
	/* 4 KiB frames first, then 2 MiB ones (each costs 512 of @budget). */
	while (budget && !signal_pending(current) && prefill_one(space, 0)) {
		budget--;
		added++;
		if (!(added & 63))
			cond_resched();
	}
	while (budget >= block && !signal_pending(current) &&
	       prefill_one(space, get_order(SZ_2M))) {
		budget -= block;
		added += block;
		cond_resched();
	}
	up_read(&space->lock);
	axas_space_memcg_leave(old);
	return added;
}
EXPORT_SYMBOL_NS_GPL(axas_prefill, AXAS_NS);
