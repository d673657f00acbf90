// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty logging and access aging (see "Dirty logging, aging and discard"
 * in include/axas/axas.h).
 *
 * A page is reported dirty when one of these says so:
 * - its leaf's dirty flag (hardware mode: NPT, EPT with A/D), which the
 *   harvest clears with a cmpxchg and then flushes, so that no CPU keeps a
 *   translation that says "already dirty" and writes without setting it;
 * - its leaf's write right (write-protection mode: EPT without A/D): the
 *   harvest takes it away and flushes; the next guest write faults, and
 *   axas_fault() gives it back, which is what marks the page dirty again;
 * - the log's own bitmap, for writes the table does not see: axas_write(),
 *   write pins (released or invalidated), discard, and a protect that
 *   takes away the write right that was the mark.
 *
 * Locking: start and stop take the space lock exclusively. Harvests and
 * aging take @space->scan_lock (so that their flushes never overlap and a
 * write pin cannot be resolved between a harvest's check and its
 * write-protection) and then the space lock shared: faults, guest copies
 * and populates go on meanwhile. A harvest in write-protection mode whose
 * range holds a valid write pin takes the lock exclusively instead, to
 * invalidate the pin.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "../compat_internal.h"

#include "features.h"

/* Write-protection unless the table has dirty flags (or the VMM asks). */
static bool log_wants_wp(const struct axas_space *space, unsigned int flags)
{
	if (flags & AXAS_DIRTY_WP)
		return true;
	if (space->pt.cfg.format == AXAS_PT_NPT)
		return false;
	return !(space->pt.cfg.root_flags & AXAS_PT_ROOT_AD);
}

static enum axas_scan_bit log_bit(const struct axas_dirty_log *log)
{
	return log->wp ? AXAS_SCAN_WRITABLE : AXAS_SCAN_DIRTY;
}

enum axas_scan_bit axas_dirty_log_bit(const struct axas_dirty_log *log)
{
	return log_bit(log);
}

/* A log of [gpa, gpa + size), mechanism chosen from the table and @flags. */
struct axas_dirty_log *axas_dirty_log_alloc(struct axas_space *space, u64 gpa,
					    u64 size, unsigned int flags)
{
	struct axas_dirty_log *log;

	log = kvzalloc(struct_size(log, bits, BITS_TO_LONGS(size >> PAGE_SHIFT)),
		       GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!log)
		return NULL;
	log->wp = log_wants_wp(space, flags);
	log->win = (struct axas_pt_window) {
		.start = gpa,
		.end = gpa + size,
		.deny = log->wp ? AXAS_PROT_WRITE : 0,
	};
	return log;
}

void axas_dirty_log_set(struct axas_space *space, struct axas_dirty_log *log)
{
	lockdep_assert_held_write(&space->lock);
	space->log = log;
	space->win = &log->win;
}

/*
 * The core's @write hook: the log's pages of [gpa, gpa + size) were
 * written behind the table.
 */
static void dirty_write(struct axas_space *space, u64 gpa, u64 size)
{
	struct axas_dirty_log *log = space->log;
	u64 end = gpa + size;

	if (!log || end <= log->win.start || gpa >= log->win.end)
		return;
	gpa = max(ALIGN_DOWN(gpa, PAGE_SIZE), log->win.start);
	end = min(end, log->win.end);
	/* After the write: a harvest that sees the bit sees the data. */
	smp_mb__before_atomic();
	for (; gpa < end; gpa += PAGE_SIZE)
		set_bit((gpa - log->win.start) >> PAGE_SHIFT, log->bits);
}

/*
 * The core's @protect hook: a protect is about to set the rights of [gpa,
 * gpa + size). In write-protection mode the write right of a logged page
 * is the mark of a written page, and it goes (the window keeps it from
 * the logged pages until written again, whatever the new rights), so
 * move it into the log's bitmap first.
 */
static void dirty_protect(struct axas_space *space, u64 gpa, u64 size)
{
	struct axas_dirty_log *log = space->log;
	u64 end = gpa + size;

	if (!log || !log->wp || end <= log->win.start || gpa >= log->win.end)
		return;
	gpa = max(gpa, log->win.start);
	end = min(end, log->win.end);
	axas_pt_scan(&space->pt, gpa, end - gpa, AXAS_SCAN_WRITABLE,
		     AXAS_SCAN_ATOMIC, log->bits, log->win.start, NULL);
}

/* The core's @destroy hook: a log the VMM left running. */
static void dirty_destroy(struct axas_space *space)
{
	kvfree(space->log);
	space->log = NULL;
}

struct axas_space_hooks axas_dirty_hooks = {
	.protect = dirty_protect,
	.write = dirty_write,
	.destroy = dirty_destroy,
};

int axas_dirty_log_start(struct axas_space *space, u64 gpa, u64 size,
			 unsigned int flags)
{
	struct axas_dirty_log *log;
	struct axas_pt_gather gather;
	struct mem_cgroup *old;
	int ret;

	ret = axas_space_check_range(space, gpa, size);
	if (ret)
		return ret;
	if (flags & ~AXAS_DIRTY_WP)
		return -EINVAL;
	old = axas_space_memcg_enter(space);
	log = axas_dirty_log_alloc(space, gpa, size, flags);
	if (!log) {
		ret = -ENOMEM;
		goto out_memcg;
	}
	axas_pt_gather_init(&gather);

	down_write(&space->lock);
	if (space->dead)
		ret = -ESHUTDOWN;
	else if (space->log)
		ret = -EBUSY;
	else
		ret = axas_pt_split_range(&space->pt, gpa, size);
	if (ret)
		goto out_unlock;
	axas_pt_scan(&space->pt, gpa, size, log_bit(log), AXAS_SCAN_CLEAR, NULL,
		     gpa, &gather);
	if (log->wp)
		axas_pins_invalidate_write(space, gpa, size, &gather);
	axas_space_flush(space, &gather);
	axas_dirty_log_set(space, log);
	log = NULL;
	/* A populate planned huge leaves here: plan again. */
	axas_space_populates_stale(space, gpa, gpa + size);
out_unlock:
	up_write(&space->lock);
	kvfree(log);
out_memcg:
	axas_space_memcg_leave(old);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_dirty_log_start, AXAS_NS);

/*
 * End the space's log: under write-protection, give the write right back
 * to every page of the range whose area has it (adding a right needs no
 * flush); then put back the huge leaves the start split where the frames
 * still line up (a flush, if any). Lock held exclusively.
 */
void axas_dirty_log_end(struct axas_space *space)
{
	struct axas_dirty_log *log = space->log;
	struct axas_area *area;

	lockdep_assert_held_write(&space->lock);
	for (area = axas_area_from(space, log->win.start);
	     log->wp && area && area->start < log->win.end;
	     area = axas_area_next(area)) {
		u64 start = max(area->start, log->win.start);
		u64 end = min(area->end, log->win.end);

		if (area->flags & AXAS_PROT_WRITE)
			axas_pt_scan(&space->pt, start, end - start,
				     AXAS_SCAN_WRITABLE, AXAS_SCAN_SET, NULL, 0,
				     NULL);
	}
	space->log = NULL;
	space->win = NULL;
	/* The leaves start split: where the frames still line up, no more. */
	axas_space_collapse(space, log->win.start, log->win.end);
	kvfree(log);
}

int axas_dirty_log_stop(struct axas_space *space)
{
	int ret = 0;

	down_write(&space->lock);
	if (space->dead)
		ret = -ESHUTDOWN;
	else if (!space->log)
		ret = -ESRCH;
	else if (space->log->snap)
		ret = -EBUSY;
	else
		axas_dirty_log_end(space);
	up_write(&space->lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_dirty_log_stop, AXAS_NS);

/*
 * Move the log's bits of [gpa, gpa + size) into @bitmap (bit 0: @gpa), or
 * just clear them when @bitmap is NULL. Returns how many bits of @bitmap
 * it set that were clear.
 */
unsigned long axas_dirty_take_bits(struct axas_dirty_log *log, u64 gpa,
				   u64 size, unsigned long *bitmap)
{
	unsigned long first = (gpa - log->win.start) >> PAGE_SHIFT;
	unsigned long last = first + (size >> PAGE_SHIFT);
	unsigned long w, added = 0;

	for (w = BIT_WORD(first); w <= BIT_WORD(last - 1); w++) {
		unsigned long mask = ~0UL, got, bit;

		if (w == BIT_WORD(first))
			mask &= BITMAP_FIRST_WORD_MASK(first);
		if (w == BIT_WORD(last - 1))
			mask &= BITMAP_LAST_WORD_MASK(last);
		if (!(READ_ONCE(log->bits[w]) & mask))
			continue;
		got = atomic_long_fetch_andnot(mask, (atomic_long_t *)&log->bits[w]) &
		      mask;
		if (!bitmap)
			continue;
		for_each_set_bit(bit, &got, BITS_PER_LONG)
			added += !__test_and_set_bit(w * BITS_PER_LONG + bit - first,
						     bitmap);
	}
	return added;
}

/* Harvest (@bitmap) or clear (NULL) [gpa, gpa + size) of the log. */
static long dirty_log_harvest(struct axas_space *space, u64 gpa, u64 size,
			      unsigned long *bitmap)
{
	unsigned long pages = size >> PAGE_SHIFT;
	struct axas_pt_gather gather;
	struct axas_dirty_log *log;
	bool excl = false;
	long ret;

	ret = axas_space_check_range(space, gpa, size);
	if (ret)
		return ret;
	axas_pt_gather_init(&gather);
	mutex_lock(&space->scan_lock);
	down_read(&space->lock);
again:
	log = space->log;
	ret = -ESHUTDOWN;
	if (space->dead)
		goto out_unlock;
	ret = -ESRCH;
	if (!log)
		goto out_unlock;
	ret = -EBUSY;
	if (log->snap)
		goto out_unlock;
	ret = -ERANGE;
	if (gpa < log->win.start || gpa + size > log->win.end)
		goto out_unlock;
	/*
	 * Write pins are resolved under scan_lock, which this holds: the
	 * answer stays true until the unlock.
	 */
	if (log->wp && !excl && axas_pins_writers(space, gpa, size, NULL)) {
		up_read(&space->lock);
		down_write(&space->lock);
		excl = true;
		goto again;
	}
	if (bitmap)
		bitmap_zero(bitmap, pages);
	/* The pages the table reports, each once: the count so far. */
	ret = axas_pt_scan(&space->pt, gpa, size, log_bit(log),
			   AXAS_SCAN_CLEAR, bitmap, gpa, &gather);
	if (excl)
		axas_pins_invalidate_write(space, gpa, size, &gather);
	axas_space_flush(space, &gather);
	/* After the flush: what the CPUs wrote until then is in the table. */
	ret += axas_dirty_take_bits(log, gpa, size, bitmap);
	/* The VMM may write through a valid write pin at any time. */
	if (!log->wp && bitmap && axas_pins_writers(space, gpa, size, bitmap))
		ret = bitmap_weight(bitmap, pages);
	if (!bitmap)
		ret = 0;
out_unlock:
	if (excl)
		up_write(&space->lock);
	else
		up_read(&space->lock);
	mutex_unlock(&space->scan_lock);
	return ret;
}

long axas_dirty_log_get(struct axas_space *space, u64 gpa, u64 size,
			unsigned long *bitmap)
{
	if (!bitmap)
		return -EINVAL;
	return dirty_log_harvest(space, gpa, size, bitmap);
}
EXPORT_SYMBOL_NS_GPL(axas_dirty_log_get, AXAS_NS);

int axas_dirty_log_clear(struct axas_space *space, u64 gpa, u64 size)
{
	return dirty_log_harvest(space, gpa, size, NULL);
}
EXPORT_SYMBOL_NS_GPL(axas_dirty_log_clear, AXAS_NS);

long axas_age(struct axas_space *space, u64 gpa, u64 size,
	      unsigned long *bitmap, unsigned int flags)
{
	struct axas_pt_gather gather;
	long ret;

	ret = axas_space_check_range(space, gpa, size);
	if (ret)
		return ret;
	if (flags & ~AXAS_AGE_CLEAR)
		return -EINVAL;
	if (space->pt.cfg.format == AXAS_PT_EPT &&
	    !(space->pt.cfg.root_flags & AXAS_PT_ROOT_AD))
		return -EOPNOTSUPP;
	axas_pt_gather_init(&gather);
	mutex_lock(&space->scan_lock);
	down_read(&space->lock);
	if (space->dead) {
		ret = -ESHUTDOWN;
		goto out_unlock;
	}
	if (bitmap)
		bitmap_zero(bitmap, size >> PAGE_SHIFT);
	ret = axas_pt_scan(&space->pt, gpa, size, AXAS_SCAN_ACCESSED,
			   flags & AXAS_AGE_CLEAR ? AXAS_SCAN_CLEAR : 0, bitmap,
			   gpa, &gather);
	axas_space_flush(space, &gather);
out_unlock:
	up_read(&space->lock);
	mutex_unlock(&space->scan_lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_age, AXAS_NS);
