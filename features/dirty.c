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
 * A space runs up to two logs at once, the VMM's and a snapshot's
 * (&axas_space.logs), with one mechanism between them (the table has one
 * dirty flag, one write right). Whoever takes the table's marks gives them
 * to the other log too, so that each log sees every write once, whoever
 * harvests first; writes behind the table go into every log. The core's
 * window is the smallest range covering both.
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

/* The part of [*@gpa, *@end) that @log covers; false when none. */
static bool log_clip(const struct axas_dirty_log *log, u64 *gpa, u64 *end)
{
	if (!log || *end <= log->win.start || *gpa >= log->win.end)
		return false;
	*gpa = max(*gpa, log->win.start);
	*end = min(*end, log->win.end);
	return true;
}

/*
 * The core's window: the smallest range covering the logs running, with
 * their denied rights (NULL when none runs). Lock held exclusively.
 */
static void dirty_window_update(struct axas_space *space)
{
	struct axas_pt_window *w = &space->logwin;
	bool any = false;
	unsigned int i;

	lockdep_assert_held_write(&space->lock);
	for (i = 0; i < AXAS_NR_LOGS; i++) {
		const struct axas_dirty_log *log = space->logs[i];

		if (!log)
			continue;
		if (!any) {
			*w = log->win;
		} else {
			w->start = min(w->start, log->win.start);
			w->end = max(w->end, log->win.end);
			w->deny |= log->win.deny;
		}
		any = true;
	}
	space->win = any ? w : NULL;
}

/*
 * [gpa, gpa + size) was written behind the table: mark its pages in every
 * log but @except (NULL: all).
 */
void axas_dirty_written(struct axas_space *space, u64 gpa, u64 size,
			const struct axas_dirty_log *except)
{
	unsigned int i;

	/* After the write: a harvest that sees the bit sees the data. */
	smp_mb__before_atomic();
	for (i = 0; i < AXAS_NR_LOGS; i++) {
		struct axas_dirty_log *log = space->logs[i];
		u64 at = ALIGN_DOWN(gpa, PAGE_SIZE), end = gpa + size;

		if (log == except || !log_clip(log, &at, &end))
			continue;
		for (; at < end; at += PAGE_SIZE)
			set_bit((at - log->win.start) >> PAGE_SHIFT, log->bits);
	}
}

/* The core's @write hook: written behind the table, for every log. */
static void dirty_write(struct axas_space *space, u64 gpa, u64 size)
{
	axas_dirty_written(space, gpa, size, NULL);
}

/*
 * The core's @protect hook: a protect is about to set the rights of [gpa,
 * gpa + size). In write-protection mode the write right of a logged page
 * is the mark of a written page, and it goes (the window keeps it from
 * the logged pages until written again, whatever the new rights), so
 * move it into each log's bitmap first.
 */
static void dirty_protect(struct axas_space *space, u64 gpa, u64 size)
{
	unsigned int i;

	for (i = 0; i < AXAS_NR_LOGS; i++) {
		struct axas_dirty_log *log = space->logs[i];
		u64 at = gpa, end = gpa + size;

		if (!log || !log->wp || !log_clip(log, &at, &end))
			continue;
		axas_pt_scan(&space->pt, at, end - at, AXAS_SCAN_WRITABLE,
			     AXAS_SCAN_ATOMIC, log->bits, log->win.start, NULL);
	}
}

/* The core's @destroy hook: a log the VMM left running. */
static void dirty_destroy(struct axas_space *space)
{
	kvfree(space->logs[AXAS_LOG_VMM]);
	space->logs[AXAS_LOG_VMM] = NULL;
}

/*
 * Take the table's marks of [gpa, gpa + size) for @log (clear them, and
 * set the pages in @bitmap, bit 0: @base, which must cover the range),
 * and give them to every other log running over them, which has not seen
 * them yet. Returns the pages set in @bitmap that were clear.
 */
long axas_dirty_take_table(struct axas_space *space,
			   const struct axas_dirty_log *log, u64 gpa, u64 size,
			   unsigned long *bitmap, u64 base,
			   struct axas_pt_gather *gather)
{
	long ret = axas_pt_scan(&space->pt, gpa, size, log_bit(log),
				AXAS_SCAN_CLEAR, bitmap, base, gather);
	unsigned int i;

	for (i = 0; i < AXAS_NR_LOGS; i++) {
		struct axas_dirty_log *other = space->logs[i];
		u64 at = gpa, end = gpa + size;
		unsigned long bit, last;

		if (other == log || !log_clip(other, &at, &end))
			continue;
		last = (end - base) >> PAGE_SHIFT;
		bit = (at - base) >> PAGE_SHIFT;
		for_each_set_bit_from(bit, bitmap, last)
			set_bit((base + ((u64)bit << PAGE_SHIFT) -
				 other->win.start) >> PAGE_SHIFT, other->bits);
	}
	return ret;
}

struct axas_space_hooks axas_dirty_hooks = {
	.protect = dirty_protect,
	.write = dirty_write,
	.destroy = dirty_destroy,
};

/*
 * Run @log as the space's log @slot: split the huge leaves of its range,
 * take the table's marks there (written before it starts: the other log
 * gets them) into @scratch (a bitmap of its pages), take the write right
 * under write-protection (and the write pins'), flush. -EBUSY when the
 * slot is taken or another log runs by the other mechanism, -ENOMEM;
 * nothing changed then. Lock held exclusively.
 */
int axas_dirty_log_add(struct axas_space *space, unsigned int slot,
		       struct axas_dirty_log *log, unsigned long *scratch)
{
	u64 gpa = log->win.start, size = log->win.end - log->win.start;
	struct axas_pt_gather gather;
	unsigned int i;
	int ret;

	lockdep_assert_held_write(&space->lock);
	if (space->logs[slot])
		return -EBUSY;
	for (i = 0; i < AXAS_NR_LOGS; i++)
		if (space->logs[i] && space->logs[i]->wp != log->wp)
			return -EBUSY;
	ret = axas_pt_split_range(&space->pt, gpa, size);
	if (ret)
		return ret;
	axas_pt_gather_init(&gather);
	axas_dirty_take_table(space, log, gpa, size, scratch, gpa, &gather);
	if (log->wp)
		axas_pins_invalidate_write(space, gpa, size, &gather);
	axas_space_flush(space, &gather);
	axas_pt_gather_release(&gather);
	space->logs[slot] = log;
	dirty_window_update(space);
	/* A populate planned huge leaves here: plan again. */
	axas_space_populates_stale(space, gpa, gpa + size);
	return 0;
}

int axas_dirty_log_start(struct axas_space *space, u64 gpa, u64 size,
			 unsigned int flags)
{
	struct axas_dirty_log *log;
	unsigned long *scratch;
	struct mem_cgroup *old;
	int ret;

	ret = axas_space_check_range(space, gpa, size);
	if (ret)
		return ret;
	if (flags & ~(AXAS_DIRTY_WP | AXAS_DIRTY_FILE))
		return -EINVAL;
	old = axas_space_memcg_enter(space);
	log = axas_dirty_log_alloc(space, gpa, size, flags);
	scratch = bitmap_zalloc(size >> PAGE_SHIFT, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	ret = -ENOMEM;
	if (!log || !scratch)
		goto out_free;
	down_write(&space->lock);
	ret = space->dead ? -ESHUTDOWN :
	      axas_dirty_log_add(space, AXAS_LOG_VMM, log, scratch);
	if (!ret) {
		log->file = flags & AXAS_DIRTY_FILE;
		if (log->file)
			axas_memfile_space_watch(space, true);
	}
	up_write(&space->lock);
	if (!ret)
		log = NULL;
out_free:
	bitmap_free(scratch);
	kvfree(log);
	axas_space_memcg_leave(old);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_dirty_log_start, AXAS_NS);

/*
 * Under write-protection, give the write right back over [gpa, end) where
 * the area has it (adding a right needs no flush); then put back the huge
 * leaves logging split there, where the frames still line up (a flush, if
 * any).
 */
static void dirty_release(struct axas_space *space, bool wp, u64 gpa, u64 end)
{
	struct axas_area *area;

	for (area = axas_area_from(space, gpa); wp && area && area->start < end;
	     area = axas_area_next(area)) {
		u64 start = max(area->start, gpa);
		u64 stop = min(area->end, end);

		if ((area->flags & AXAS_PROT_WRITE) &&
		    !axas_area_write_faults(area))
			axas_pt_scan(&space->pt, start, stop - start,
				     AXAS_SCAN_WRITABLE, AXAS_SCAN_SET, NULL, 0,
				     NULL);
	}
	if (gpa < end)
		axas_space_collapse(space, gpa, end);
}

/*
 * End the log @slot of the space: the range the window no longer covers
 * (the log's, less what the other log still covers) gets its write right
 * back and its huge leaves; what was written since the last harvest is
 * forgotten. Lock held exclusively; after shutdown, only the log goes.
 */
void axas_dirty_log_end(struct axas_space *space, unsigned int slot)
{
	struct axas_dirty_log *log = space->logs[slot];
	u64 start = space->logwin.start, end = space->logwin.end;
	bool wp = log->wp;

	lockdep_assert_held_write(&space->lock);
	if (log->file)
		axas_memfile_space_watch(space, false);
	space->logs[slot] = NULL;
	dirty_window_update(space);
	kvfree(log);
	/* Shut down: the table is empty. */
	if (space->dead)
		return;
	if (!space->win) {
		dirty_release(space, wp, start, end);
		return;
	}
	/* The window only shrinks: what it left on either side. */
	dirty_release(space, wp, start, space->win->start);
	dirty_release(space, wp, space->win->end, end);
}

int axas_dirty_log_stop(struct axas_space *space)
{
	int ret = 0;

	down_write(&space->lock);
	if (space->dead)
		ret = -ESHUTDOWN;
	else if (!space->logs[AXAS_LOG_VMM])
		ret = -ESRCH;
	else
		axas_dirty_log_end(space, AXAS_LOG_VMM);
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

/* Harvest (@bitmap) or clear (NULL) [gpa, gpa + size) of the VMM's log. */
static long dirty_log_harvest(struct axas_space *space, u64 gpa, u64 size,
			      unsigned long *bitmap)
{
	unsigned long pages = size >> PAGE_SHIFT, *scratch = NULL;
	struct axas_pt_gather gather;
	struct axas_dirty_log *log;
	bool excl = false;
	long ret;

	ret = axas_space_check_range(space, gpa, size);
	if (ret)
		return ret;
	/* A clear takes the table's marks too: the other log may want them. */
	if (!bitmap) {
		scratch = bitmap_alloc(pages, GFP_KERNEL | __GFP_NOWARN);
		if (!scratch)
			return -ENOMEM;
	}
	axas_pt_gather_init(&gather);
	mutex_lock(&space->scan_lock);
	down_read(&space->lock);
again:
	log = space->logs[AXAS_LOG_VMM];
	ret = -ESHUTDOWN;
	if (space->dead)
		goto out_unlock;
	ret = -ESRCH;
	if (!log)
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
	bitmap_zero(bitmap ?: scratch, pages);
	/* The pages the table reports, each once: the count so far. */
	ret = axas_dirty_take_table(space, log, gpa, size, bitmap ?: scratch,
				    gpa, &gather);
	if (excl)
		axas_pins_invalidate_write(space, gpa, size, &gather);
	axas_space_flush(space, &gather);
	/* After the flush: what the CPUs wrote until then is in the table. */
	ret += axas_dirty_take_bits(log, gpa, size, bitmap ?: scratch);
	if (log->file && axas_memfile_space_harvest(space, gpa, size, bitmap) &&
	    bitmap)
		ret = bitmap_weight(bitmap, pages);
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
	bitmap_free(scratch);
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
