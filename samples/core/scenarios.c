// SPDX-License-Identifier: GPL-2.0
/*
 * The sample VMM's scenarios: what the VMM does when the guest begins
 * one, asks for a step within it, and reports its result, and which
 * nested faults it predicts meanwhile. core.c runs the guest and checks
 * every fault against these predictions; guest.S is the guest's side.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/io.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/task.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <axas/axas.h>
#include "core.h"

static unsigned long resv_base;
module_param(resv_base, ulong, 0444);
MODULE_PARM_DESC(resv_base,
		 "host-physical base of memory reserved with memmap=, 1 GiB aligned");
static unsigned long resv_size;
module_param(resv_size, ulong, 0444);
MODULE_PARM_DESC(resv_size, "bytes reserved there (at least 1 GiB)");
static bool gig_frames;
module_param(gig_frames, bool, 0444);
MODULE_PARM_DESC(gig_frames,
		 "scenario 7: a lazy alloc area of 1 GiB frames instead of the linear leaf");
static bool dirty_wp;
module_param(dirty_wp, bool, 0444);
MODULE_PARM_DESC(dirty_wp,
		 "scenario 9: log by write-protection even where the CPU sets dirty flags");

/* Scenario 3 reads host memory from this far into the reserved range. */
#define WINDOW_OFF	SZ_1M
/*
 * Scenario 8: unmap/map cycles under the reading guest; with 0, until the
 * module is unloaded (the test of stopping a busy guest).
 */
static unsigned int race_rounds = 64;
module_param(race_rounds, uint, 0444);
MODULE_PARM_DESC(race_rounds,
		 "scenario 8: unmap/map rounds (default 64; 0: until the module is unloaded)");

static bool demo_race_more(unsigned int done)
{
	return !race_rounds || done < race_rounds;
}

static const char *const scenario_name[NR_SCENARIOS + 1] = {
	"set-up",
	"lazy 4K and 2M areas, every page touched",
	"patterns through axas_read/axas_write",
	"linear window onto memmap= memory",
	"device register where no area is",
	"rights taken away under the guest",
	"unmap, then a fresh zero page",
	"1 GiB linear leaf",
	"unmapped under the guest from another CPU",
	"dirty log: pages written between harvests",
	"snapshot, written over, restored",
	"execute-only page: call, then read",
	"accessed/dirty flags the CPU set",
};

const char *demo_scenario_name(unsigned int n)
{
	if (n == 7 && gig_frames)
		return "lazy area of 1 GiB frames";
	return scenario_name[n];
}

/* Start @fn on another CPU than the vCPU's, if there is one. */
static struct task_struct *demo_start_other(struct demo *d,
					    int (*fn)(void *), const char *name)
{
	struct task_struct *t = kthread_create(fn, d, "%s", name);

	if (IS_ERR(t)) {
		demo_fail(d, "kthread_create = %ld", PTR_ERR(t));
		return NULL;
	}
	get_task_struct(t);
	if (num_online_cpus() > 1)
		kthread_bind(t, cpumask_first(cpu_online_mask));
	wake_up_process(t);
	return t;
}

static void demo_stop_other(struct task_struct **t)
{
	kthread_stop(*t);
	put_task_struct(*t);
	*t = NULL;
}

static int demo_protector(void *arg)
{
	struct demo *d = arg;

	/* Let the guest spin on its writes first. */
	msleep(20);
	d->protector_ret = axas_protect(d->space, G_WP, G_WP_SIZE,
					AXAS_PROT_READ);
	return 0;
}

int demo_protector_join(struct demo *d)
{
	if (!d->protector)
		return -ESRCH;
	demo_stop_other(&d->protector);
	return d->protector_ret;
}

/* The words of [gpa, gpa + size) get their address ^ @seed. */
static int demo_fill(struct demo *d, u64 gpa, u64 size, u64 seed)
{
	u64 *buf = kmalloc(size, GFP_KERNEL);
	unsigned int i;
	int ret;

	if (!buf)
		return -ENOMEM;
	for (i = 0; i < size / 8; i++)
		buf[i] = (gpa + i * 8) ^ seed;
	ret = axas_write(d->space, gpa, buf, size, 0);
	kfree(buf);
	return ret;
}

/*
 * Scenario 8: wait until the guest has read all of G_RACE at least once
 * more. Polled rather than slept: a sleep ends on a timer tick, when the
 * vCPU is likely out of guest mode handling its own tick.
 */
static int demo_race_wait(struct demo *d)
{
	u64 start, now;
	int ret;

	ret = axas_read(d->space, G_SWEEPS, &start, sizeof(start), 0);
	if (ret)
		return ret;
	do {
		if (kthread_should_stop())
			return -EINTR;
		udelay(20);
		cond_resched();
		ret = axas_read(d->space, G_SWEEPS, &now, sizeof(now), 0);
	} while (!ret && now < start + 2);
	return ret;
}

/*
 * Scenario 8, on another CPU: unmap G_RACE while the guest reads it, then
 * wait until the vCPU has mapped it again; race_rounds times. Each unmap
 * frees the page's frame once the flush callback returns.
 */
static int demo_unmapper(void *arg)
{
	struct demo *d = arg;
	u64 flushes, one = 1;
	int ret;

	d->unmapper_cpu = raw_smp_processor_id();
	while (demo_race_more(d->unmaps)) {
		ret = demo_race_wait(d);
		if (ret == -EINTR)
			return 0;
		if (ret) {
			snprintf(d->unmapper_why, sizeof(d->unmapper_why),
				 "reading G_SWEEPS = %d", ret);
			break;
		}
		flushes = d->flushes;
		ret = axas_unmap(d->space, G_RACE, G_RACE_SIZE);
		if (ret || d->flushes == flushes) {
			snprintf(d->unmapper_why, sizeof(d->unmapper_why),
				 "unmap %u from the other CPU = %d%s", d->unmaps + 1,
				 ret, ret ? "" : ", no flush");
			break;
		}
		d->unmaps++;
		/* The vCPU maps it again when the guest faults on it. */
		while (!wait_for_completion_timeout(&d->remapped, HZ / 10))
			if (kthread_should_stop())
				return 0;
	}
	/* Given up: the scenario's result says why; end the guest's loop. */
	if (d->unmapper_why[0] &&
	    axas_write(d->space, G_FLAG, &one, sizeof(one), 0))
		pr_err("cannot end the guest's loop\n");
	return 0;
}

/*
 * Scenario 8: the guest faulted on the page the other thread unmapped
 * (no area there any more). Map it again, filled with the second pattern
 * before the guest resumes, and let the thread go on; after the last
 * round, raise G_FLAG.
 */
bool demo_race_remap(struct demo *d)
{
	u64 one = 1;
	int ret;

	ret = axas_map_alloc(d->space, G_RACE, G_RACE_SIZE,
			     AXAS_PROT_READ | AXAS_AREA_POPULATE, SZ_4K);
	if (!ret)
		ret = demo_fill(d, G_RACE, G_RACE_SIZE, SEED_RACE2);
	if (ret) {
		demo_stop(d, "mapping %#x again: %d", G_RACE, ret);
		return false;
	}
	complete(&d->remapped);
	if (demo_race_more(++d->remaps))
		return true;
	demo_stop_other(&d->unmapper);
	ret = axas_write(d->space, G_FLAG, &one, sizeof(one), 0);
	if (ret)
		demo_stop(d, "axas_write(flag) = %d", ret);
	return !ret;
}

/* Reserved host memory, mapped for the VMM's own accesses. */
static void *demo_resv_map(struct demo *d, u64 off, size_t len)
{
	void *p;

	if (!resv_size || off + len > resv_size) {
		demo_fail(d, "needs resv_base/resv_size: memory reserved at boot (memmap=1G$1G)");
		return NULL;
	}
	p = memremap(resv_base + off, len, MEMREMAP_WB);
	if (!p)
		demo_fail(d, "memremap(%#llx) failed", resv_base + off);
	return p;
}

static int demo_resv_word(struct demo *d, u64 off, u64 *val, bool write)
{
	u64 *p = demo_resv_map(d, off, sizeof(*p));

	if (!p)
		return -ENOMEM;
	if (write)
		WRITE_ONCE(*p, *val);
	else
		*val = READ_ONCE(*p);
	memunmap(p);
	return 0;
}

/* Scenario 7: the words the guest checks in G_HUGE. */
static const u64 huge_offs[] = { 0, G_HUGE_SIZE / 2, G_HUGE_SIZE - 8 };

/*
 * Scenario 7: G_HUGE is one 1 GiB leaf onto the reserved gigabyte, with
 * the VMM's words written there through the host's mapping.
 */
static void demo_huge_linear(struct demo *d)
{
	struct axas_space_stats st;
	struct axas_translation tr;
	unsigned int i;
	u64 val;
	int ret;

	if (!IS_ALIGNED(resv_base, SZ_1G) || resv_size < G_HUGE_SIZE) {
		demo_fail(d, "needs 1 GiB reserved at a 1 GiB boundary (memmap=1G$1G)");
		return;
	}
	if (!d->info.gbpages) {
		demo_fail(d, "the CPU has no 1 GiB pages (CPUID 0x80000001 EDX[26])");
		return;
	}
	for (i = 0; i < ARRAY_SIZE(huge_offs); i++) {
		val = (G_HUGE + huge_offs[i]) ^ SEED_HUGE;
		if (demo_resv_word(d, huge_offs[i], &val, true))
			return;
	}
	ret = axas_map_linear(d->space, G_HUGE, resv_base, G_HUGE_SIZE,
			      AXAS_PROT_READ | AXAS_PROT_WRITE);
	if (ret) {
		demo_fail(d, "axas_map_linear(1 GiB) = %d", ret);
		return;
	}
	axas_space_get_stats(d->space, &st);
	ret = axas_translate(d->space, G_HUGE + 8, G_HUGE_SIZE, &tr);
	if (st.leaves[2] != 1 || ret || tr.hpa != resv_base + 8 ||
	    tr.len != G_HUGE_SIZE - 8)
		demo_fail(d, "no 1 GiB leaf: %lu leaves of 1 GiB, translate %d len %#llx",
			  st.leaves[2], ret, tr.len);
}

/*
 * Scenario 7 with gig_frames=1: G_HUGE is a lazy alloc area of 1 GiB
 * frames instead. The guest's first read faults its one frame in: axas
 * claims a free, naturally aligned gigabyte of the host's memory with
 * alloc_contig_range() (with the space lock dropped meanwhile). The area
 * insists on the size (AXAS_AREA_NO_FALLBACK): without a free gigabyte the
 * fault fails rather than install a 2 MiB frame. The VMM then writes its
 * words into the frame before the guest resumes (a hole cannot be written
 * before).
 */
static void demo_huge_alloc(struct demo *d, struct npf_expect *e)
{
	int ret;

	if (!d->info.gbpages) {
		demo_fail(d, "the CPU has no 1 GiB pages (CPUID 0x80000001 EDX[26])");
		return;
	}
	ret = axas_map_alloc(d->space, G_HUGE, G_HUGE_SIZE,
			     AXAS_PROT_READ | AXAS_PROT_WRITE |
			     AXAS_AREA_NO_FALLBACK, SZ_1G);
	if (ret) {
		demo_fail(d, "axas_map_alloc(1 GiB frames) = %d", ret);
		return;
	}
	e->gpa = G_HUGE;
	e->fill = true;
	demo_expect(d, e);
}

/* Scenario 7 with gig_frames=1: the frame came in; write the VMM's words. */
bool demo_huge_fill(struct demo *d)
{
	unsigned int i;
	u64 val;
	int ret;

	for (i = 0; i < ARRAY_SIZE(huge_offs); i++) {
		val = (G_HUGE + huge_offs[i]) ^ SEED_HUGE;
		ret = axas_write(d->space, G_HUGE + huge_offs[i], &val,
				 sizeof(val), 0);
		if (ret) {
			demo_stop(d, "axas_write(%#llx) = %d",
				  G_HUGE + huge_offs[i], ret);
			return false;
		}
	}
	return true;
}

/*
 * Scenario 7, after the guest left its mark: the mark is where the guest
 * wrote it; with gig_frames=1, one frame of 1 GiB came in (counted in
 * 4 KiB frames) under one leaf that translates the whole gigabyte.
 */
static u64 demo_huge_check(struct demo *d)
{
	u64 gpa = G_HUGE + G_HUGE_MARK, val = 0;
	struct axas_space_stats st;
	struct axas_translation tr;
	long frames;
	int ret;

	if (gig_frames)
		ret = axas_read(d->space, gpa, &val, sizeof(val), 0);
	else
		ret = demo_resv_word(d, G_HUGE_MARK, &val, false);
	if (ret)
		return 1;
	if (val != (gpa ^ SEED_MARK)) {
		demo_fail(d, "memory at +%#x holds %#llx, not the guest's mark",
			  G_HUGE_MARK, val);
		return gpa;
	}
	if (!gig_frames)
		return 0;
	axas_space_get_stats(d->space, &st);
	frames = demo_frames(d) - cur_sc(d)->frames_begin;
	ret = axas_translate(d->space, G_HUGE, G_HUGE_SIZE, &tr);
	if (frames != SZ_1G / SZ_4K || st.leaves[2] != 1)
		demo_fail(d, "%ld frames came in under %lu leaves of 1 GiB, not %d under 1",
			  frames, st.leaves[2], SZ_1G / SZ_4K);
	else if (ret || !IS_ALIGNED(tr.hpa, SZ_1G) || tr.len != G_HUGE_SIZE)
		demo_fail(d, "translate = %d: hpa %pa, len %#llx, not one aligned GiB",
			  ret, &tr.hpa, tr.len);
	else
		snprintf(cur_sc(d)->note, sizeof(cur_sc(d)->note),
			 "one frame of %d pages at host %pa", SZ_1G / SZ_4K,
			 &tr.hpa);
	return 0;
}

/*
 * Scenario 9: with write-protection, the first write to each logged page
 * after the start or a harvest faults, and axas_fault() makes the page
 * writable again and marks it; with dirty flags the CPU marks it, and no
 * fault comes.
 */
static void demo_dirty_expect(struct demo *d, u64 off, u64 step,
			      unsigned int count)
{
	struct npf_expect e = {
		.gpa = G_DIRTY + off, .step = step, .count = count,
		.write = true, .result = AXAS_FAULT_INSTALLED,
	};

	if (d->log_wp)
		demo_expect(d, &e);
}

static void demo_dirty_begin(struct demo *d)
{
	int ret;

	/* Dirty flags where the CPU sets them (NPT; EPT with A/D). */
	d->log_wp = dirty_wp || !(d->info.caps & VMM_CAP_AD);
	ret = axas_map_alloc(d->space, G_DIRTY, G_DIRTY_SIZE,
			     AXAS_PROT_READ | AXAS_PROT_WRITE | AXAS_AREA_POPULATE,
			     SZ_4K);
	if (ret) {
		demo_fail(d, "axas_map_alloc(%#x) = %d", G_DIRTY, ret);
		return;
	}
	ret = axas_dirty_log_start(d->space, G_DIRTY, G_DIRTY_SIZE,
				   d->log_wp ? AXAS_DIRTY_WP : 0);
	if (ret) {
		demo_fail(d, "axas_dirty_log_start = %d", ret);
		return;
	}
	demo_dirty_expect(d, DIRTY1_OFF, DIRTY1_STEP, DIRTY1_COUNT);
}

/*
 * Scenario 9, harvest @k: every page the guest wrote since the last one
 * (@count pages @step apart from @off) must be in the bitmap; the others
 * found there are counted as extra.
 */
static void demo_dirty_harvest(struct demo *d, unsigned int k, u64 off,
			       u64 step, unsigned int count)
{
	DECLARE_BITMAP(bits, G_DIRTY_SIZE / SZ_4K);
	unsigned int i, found = 0;
	u64 flushes = d->flushes;
	long n;

	n = axas_dirty_log_get(d->space, G_DIRTY, G_DIRTY_SIZE, bits);
	if (n < 0) {
		demo_fail(d, "harvest %u: axas_dirty_log_get = %ld", k + 1, n);
		return;
	}
	for (i = 0; i < count; i++)
		found += test_bit((off + i * step) / SZ_4K, bits);
	d->harvest_found[k] = found;
	d->harvest_extra[k] = n - found;
	if (found != count)
		demo_fail(d, "harvest %u: %u of the %u pages the guest wrote",
			  k + 1, found, count);
	/* Cleared flags, or rights taken back: the CPU must forget them. */
	if (n)
		demo_check_flushed(d, flushes, "axas_dirty_log_get");
}

/* Scenario 9, at the guest's result: a last harvest, then logging stops. */
static void demo_dirty_end(struct demo *d)
{
	struct scenario *sc = cur_sc(d);
	int ret;

	demo_dirty_harvest(d, 2, 0, 0, 0);
	ret = axas_dirty_log_stop(d->space);
	if (ret)
		demo_fail(d, "axas_dirty_log_stop = %d", ret);
	snprintf(sc->note, sizeof(sc->note),
		 "%s: harvest 1 found %u of %u pages written, %u extra; harvest 2 %u of %u, %u extra; harvest 3 (none written) %u extra",
		 d->log_wp ? "write-protection" : "dirty flags",
		 d->harvest_found[0], DIRTY1_COUNT, d->harvest_extra[0],
		 d->harvest_found[1], DIRTY2_COUNT, d->harvest_extra[1],
		 d->harvest_extra[2]);
}

/*
 * Scenario 10: G_HUGE is not used any more; drop it, so that the snapshot
 * (a copy of alloc memory) need not copy a 1 GiB frame. Then a lazy area
 * the guest fills: one fault per page.
 */
static void demo_snap_begin(struct demo *d)
{
	struct npf_expect e = {
		.gpa = G_SNAP, .step = SZ_4K, .count = SNAP_BEFORE,
		.write = true, .result = AXAS_FAULT_INSTALLED,
	};
	int ret;

	ret = axas_unmap(d->space, G_HUGE, G_HUGE_SIZE);
	if (ret) {
		demo_fail(d, "axas_unmap(%#x) = %d", G_HUGE, ret);
		return;
	}
	cur_sc(d)->frames_begin = demo_frames(d);
	ret = axas_map_alloc(d->space, G_SNAP, G_SNAP_SIZE,
			     AXAS_PROT_READ | AXAS_PROT_WRITE, SZ_4K);
	if (ret) {
		demo_fail(d, "axas_map_alloc(%#x) = %d", G_SNAP, ret);
		return;
	}
	demo_expect(d, &e);
}

/*
 * Scenario 10, phase 1: take the snapshot. The guest then writes over
 * SNAP_OVER pages (with write-protection tracking, the first write to
 * each faults) and into SNAP_NEW absent pages (lazy faults).
 */
static u64 demo_snap_take(struct demo *d)
{
	struct npf_expect e = {
		.gpa = G_SNAP + SNAP_OVER_OFF, .step = SZ_4K, .count = SNAP_OVER,
		.write = true, .result = AXAS_FAULT_INSTALLED,
	};
	struct axas_space_stats st;
	int ret;

	ret = axas_snapshot_take(d->space);
	if (ret) {
		demo_fail(d, "axas_snapshot_take = %d", ret);
		return 1;
	}
	axas_space_get_stats(d->space, &st);
	snprintf(cur_sc(d)->note, sizeof(cur_sc(d)->note),
		 "snapshot of %lu pages", st.snapshot_frames);
	if (!(d->info.caps & VMM_CAP_AD))
		demo_expect(d, &e);
	e.gpa = G_SNAP + SNAP_NEW_OFF;
	e.count = SNAP_NEW;
	demo_expect(d, &e);
	return 0;
}

/*
 * Scenario 10: the pages the restore must put back. Those the guest wrote
 * since the snapshot, and, where the CPU sets dirty flags, the guest's own
 * page-table pages: its walks are writes for nested paging (scenario 5
 * sees one fault as a write), so they are dirty after every walk (the SDM
 * says so for EPT with A/D; QEMU's NPT does it).
 */
static long demo_snap_pages(struct demo *d)
{
	return SNAP_OVER + SNAP_NEW +
	       (d->info.caps & VMM_CAP_AD ? G_WALK_TABLES : 0);
}

/*
 * Scenario 10, phase 2: restore. Exactly the pages written since the
 * snapshot come back: SNAP_OVER copied back, SNAP_NEW unmapped (they were
 * absent), and the table pages; the guest's next reads of the SNAP_NEW
 * pages fault fresh zero pages in.
 */
static u64 demo_snap_restore(struct demo *d)
{
	struct npf_expect e = {
		.gpa = G_SNAP + SNAP_NEW_OFF, .step = SZ_4K, .count = SNAP_NEW,
		.result = AXAS_FAULT_INSTALLED,
	};
	struct axas_translation tr;
	u64 flushes = d->flushes;
	unsigned int i;

	d->restored = axas_snapshot_restore(d->space);
	if (d->restored < 0) {
		demo_fail(d, "axas_snapshot_restore = %ld", d->restored);
		return 1;
	}
	demo_check_flushed(d, flushes, "axas_snapshot_restore");
	if (d->restored != demo_snap_pages(d))
		demo_fail(d, "restored %ld pages, not %ld", d->restored,
			  demo_snap_pages(d));
	for (i = 0; i < SNAP_NEW; i++)
		if (!axas_translate(d->space, G_SNAP + SNAP_NEW_OFF + i * SZ_4K,
				    1, &tr))
			demo_fail(d, "%#x, absent at snapshot time, still mapped",
				  G_SNAP + SNAP_NEW_OFF + i * SZ_4K);
	demo_expect(d, &e);
	return 0;
}

/* Scenario 10, at the guest's result: the snapshot goes. */
static void demo_snap_end(struct demo *d)
{
	struct scenario *sc = cur_sc(d);
	size_t len = strlen(sc->note);
	int ret;

	ret = axas_snapshot_drop(d->space);
	if (ret)
		demo_fail(d, "axas_snapshot_drop = %d", ret);
	snprintf(sc->note + len, sizeof(sc->note) - len,
		 "; the guest wrote %d pages after it (%d over its data, %d new); restored %ld (with %ld page-table pages)",
		 SNAP_OVER + SNAP_NEW, SNAP_OVER, SNAP_NEW, d->restored,
		 demo_snap_pages(d) - SNAP_OVER - SNAP_NEW);
}

/*
 * Scenario 11: a function in a page the guest may only execute (EPT
 * execute-only). The call runs without a fault; the read of the page
 * faults with the rights "execute" only (EPT qualification bits 3-5), and
 * the VMM gives read back. NPT cannot express execute-only: there the
 * page is readable and executable, nothing faults, and the scenario is
 * reported as skipped, with the reason.
 */
static void demo_xonly_begin(struct demo *d, struct npf_expect *e)
{
	static const u8 code[] = { 0xb8, XO_MAGIC & 0xff, (XO_MAGIC >> 8) & 0xff,
				   (XO_MAGIC >> 16) & 0xff, XO_MAGIC >> 24, 0xc3 };
	bool xonly = d->info.caps & VMM_CAP_EXEC_ONLY;
	int ret;

	ret = axas_map_alloc(d->space, G_XONLY, PAGE_SIZE,
			     (xonly ? AXAS_PROT_EXEC : AXAS_PROT_READ | AXAS_PROT_EXEC) |
			     AXAS_AREA_POPULATE, SZ_4K);
	if (!ret)
		ret = axas_write(d->space, G_XONLY, code, sizeof(code), 0);
	if (ret) {
		demo_fail(d, "mapping %#x: %d", G_XONLY, ret);
		return;
	}
	if (!xonly) {
		cur_sc(d)->skipped = true;
		snprintf(cur_sc(d)->why, sizeof(cur_sc(d)->why),
			 "the table format has no execute-only pages");
		return;
	}
	e->gpa = G_XONLY;
	e->result = -EACCES;
	e->fix_gpa = G_XONLY;
	e->fix_size = PAGE_SIZE;
	e->fix_prot = AXAS_PROT_READ | AXAS_PROT_EXEC;
	demo_expect(d, e);
}

/*
 * Scenario 12: the CPU's accessed and dirty flags, read back through axas.
 * Dirty logging over G_AD uses the leaves' dirty flags where the CPU sets
 * them; the flags are cleared first (axas_age() with AXAS_AGE_CLEAR, then
 * axas_dirty_log_clear()). The guest reads P and writes Q: then
 * axas_age() must report P and Q, axas_dirty_log_get() Q only.
 */
static void demo_ad_begin(struct demo *d)
{
	unsigned long bits = 0;
	int ret;

	if (!(d->info.caps & VMM_CAP_AD)) {
		demo_fail(d, "the CPU sets no accessed/dirty flags in the nested tables");
		return;
	}
	ret = axas_map_alloc(d->space, G_AD, G_AD_SIZE,
			     AXAS_PROT_READ | AXAS_PROT_WRITE | AXAS_AREA_POPULATE, SZ_4K);
	if (!ret)
		ret = axas_dirty_log_start(d->space, G_AD, G_AD_SIZE, 0);
	if (!ret && axas_age(d->space, G_AD, G_AD_SIZE, &bits, AXAS_AGE_CLEAR) < 0)
		ret = -EIO;
	if (!ret)
		ret = axas_dirty_log_clear(d->space, G_AD, G_AD_SIZE);
	if (ret) {
		demo_fail(d, "setting up %#x: %d", G_AD, ret);
		return;
	}
	bits = 0;
	if (axas_age(d->space, G_AD, G_AD_SIZE, &bits, 0) ||
	    axas_dirty_log_get(d->space, G_AD, G_AD_SIZE, &bits))
		demo_fail(d, "accessed or dirty flags left after clearing them: %#lx", bits);
}

/* Scenario 12, at the guest's result: what the flags say now. */
static void demo_ad_end(struct demo *d)
{
	unsigned long young = 0, dirty = 0;
	long ny, nd;
	int ret;

	ny = axas_age(d->space, G_AD, G_AD_SIZE, &young, 0);
	nd = axas_dirty_log_get(d->space, G_AD, G_AD_SIZE, &dirty);
	if (ny != 2 || young != 3 || nd != 1 || dirty != 2)
		demo_fail(d, "accessed %ld (%#lx), dirty %ld (%#lx): not P and Q accessed, Q dirty",
			  ny, young, nd, dirty);
	else
		snprintf(cur_sc(d)->note, sizeof(cur_sc(d)->note),
			 "axas_age(): P and Q accessed; axas_dirty_log_get(): Q dirty, P clean");
	ret = axas_dirty_log_stop(d->space);
	if (ret)
		demo_fail(d, "axas_dirty_log_stop = %d", ret);
}

/* The guest began scenario @n: set it up, say which faults must come. */
void demo_begin(struct demo *d, u64 n)
{
	struct npf_expect e = { .step = PAGE_SIZE, .count = 1 };
	long frames;
	u64 flushes;
	int ret;

	switch (n) {
	case 1:
		/* One fault per 4 KiB page, then one per 2 MiB leaf. */
		e.gpa = G_LAZY4K;
		e.count = G_LAZY4K_SIZE / SZ_4K;
		e.write = true;
		demo_expect(d, &e);
		e.gpa = G_LAZY2M;
		e.step = SZ_2M;
		e.count = G_LAZY2M_SIZE / SZ_2M;
		demo_expect(d, &e);
		break;
	case 3: {
		u64 *win = demo_resv_map(d, WINDOW_OFF, G_WINDOW_SIZE);
		unsigned int i;

		if (!win)
			break;
		for (i = 0; i < G_WINDOW_SIZE / 8; i++)
			win[i] = (G_WINDOW + i * 8) ^ SEED_WINDOW;
		memunmap(win);
		ret = axas_map_linear(d->space, G_WINDOW, resv_base + WINDOW_OFF,
				      G_WINDOW_SIZE, AXAS_PROT_READ);
		if (ret)
			demo_fail(d, "axas_map_linear(window) = %d", ret);
		break;
	}
	case 4:
		/* ID read, scratch write, scratch read: no area, P clear. */
		e.result = -ENOENT;
		e.gpa = G_MMIO + DEV_ID_REG;
		demo_expect(d, &e);
		e.gpa = G_MMIO + DEV_SCRATCH_REG;
		e.write = true;
		demo_expect(d, &e);
		e.write = false;
		demo_expect(d, &e);
		break;
	case 6:
		/* Drop the frames, keep a lazy area: the guest reads zeros. */
		frames = demo_frames(d);
		flushes = d->flushes;
		ret = axas_unmap(d->space, G_LAZY4K, G_UNMAP_SIZE);
		if (ret) {
			demo_fail(d, "axas_unmap = %d", ret);
			break;
		}
		demo_check_flushed(d, flushes, "axas_unmap");
		frames -= demo_frames(d);
		if (frames != G_UNMAP_SIZE / SZ_4K)
			demo_fail(d, "unmap freed %ld frames, not %d",
				  frames, G_UNMAP_SIZE / SZ_4K);
		ret = axas_map_alloc(d->space, G_LAZY4K, G_UNMAP_SIZE,
				     AXAS_PROT_READ | AXAS_PROT_WRITE, SZ_4K);
		if (ret)
			demo_fail(d, "axas_map_alloc = %d", ret);
		e.gpa = G_LAZY4K;
		e.count = G_UNMAP_SIZE / SZ_4K;
		demo_expect(d, &e);
		break;
	case 7:
		if (gig_frames)
			demo_huge_alloc(d, &e);
		else
			demo_huge_linear(d);
		break;
	case 8: {
		u64 zero = 0;

		/*
		 * A thread on another CPU unmaps G_RACE while the guest reads
		 * it; axas frees the frame as soon as the flush callback
		 * returns, and init_on_free zeroes it. Had the callback
		 * returned while the guest could still reach the frame
		 * through its TLB, the guest would read zero words, which
		 * neither pattern has.
		 */
		if (!want_init_on_free()) {
			demo_fail(d, "needs init_on_free=1 on the kernel command line");
			break;
		}
		if (num_online_cpus() < 2) {
			demo_fail(d, "needs a second CPU");
			break;
		}
		ret = axas_map_alloc(d->space, G_RACE, G_RACE_SIZE,
				     AXAS_PROT_READ | AXAS_AREA_POPULATE, SZ_4K);
		if (!ret)
			ret = demo_fill(d, G_RACE, G_RACE_SIZE, SEED_RACE1);
		if (!ret)
			ret = axas_write(d->space, G_FLAG, &zero, sizeof(zero), 0);
		if (!ret)
			ret = axas_write(d->space, G_SWEEPS, &zero, sizeof(zero), 0);
		if (ret) {
			demo_fail(d, "setting up %#x: %d", G_RACE, ret);
			break;
		}
		/* Each unmap: one read fault somewhere in the page, no area. */
		e.gpa = G_RACE;
		e.page = true;
		e.step = 0;
		e.count = race_rounds ?: UINT_MAX;
		e.result = -ENOENT;
		e.remap = true;
		demo_expect(d, &e);
		d->kicks_mark = d->kicks;
		init_completion(&d->remapped);
		d->unmapper = demo_start_other(d, demo_unmapper, KBUILD_MODNAME "-unmap");
		if (!race_rounds)
			pr_info("scenario 8 runs until the module is unloaded (race_rounds=0)\n");
		break;
	}
	case 9:
		demo_dirty_begin(d);
		break;
	case 10:
		demo_snap_begin(d);
		break;
	case 11:
		demo_xonly_begin(d, &e);
		break;
	case 12:
		demo_ad_begin(d);
		break;
	}
}

/* Take rights away from [start, start + size) with the guest stopped. */
static void demo_take_rights(struct demo *d, u64 start, u64 size, u32 prot)
{
	u64 flushes = d->flushes;
	int ret = axas_protect(d->space, start, size, prot);

	if (ret)
		demo_fail(d, "axas_protect(%#llx) = %d", start, ret);
	demo_check_flushed(d, flushes, "axas_protect");
}

/* Make G_WP read-only from a thread on another CPU; the guest runs on. */
static bool demo_protect_async(struct demo *d)
{
	u64 zero = 0;
	int ret;

	ret = axas_write(d->space, G_FLAG, &zero, sizeof(zero), 0);
	if (ret) {
		demo_fail(d, "axas_write(flag) = %d", ret);
		return false;
	}
	d->flushes_mark = d->flushes;
	d->protector = demo_start_other(d, demo_protector, KBUILD_MODNAME "-wp");
	return d->protector;
}

/* A permission fault at @gpa must come; then @prot goes back on the range. */
static void demo_expect_denied(struct demo *d, struct npf_expect *e,
			       u64 gpa, u64 start, u64 size, u32 prot)
{
	e->gpa = gpa;
	e->fix_gpa = start;
	e->fix_size = size;
	e->fix_prot = prot;
	demo_expect(d, e);
}

/* The guest asks for the VMM's step @phase: 0, or 1 or a bad address. */
u64 demo_phase(struct demo *d, u64 n, u64 phase)
{
	struct npf_expect e = { .count = 1, .write = true, .result = -EACCES };
	u64 *buf, gpa, bad = 0;
	unsigned int i;
	long frames;
	int ret;

	switch (n * 10 + phase) {
	case 11:
		frames = demo_frames(d) - cur_sc(d)->frames_begin;
		if (frames != (G_LAZY4K_SIZE + G_LAZY2M_SIZE) / SZ_4K)
			demo_fail(d, "%ld frames installed, not %u", frames,
				  (G_LAZY4K_SIZE + G_LAZY2M_SIZE) / SZ_4K);
		break;
	case 21:
		buf = kmalloc(G_SHARED_SIZE, GFP_KERNEL);
		if (!buf) {
			demo_fail(d, "no memory");
			return 1;
		}
		ret = axas_read(d->space, G_SHARED, buf, G_SHARED_SIZE, 0);
		for (i = 0; !ret && !bad && i < G_SHARED_SIZE / 8; i++) {
			gpa = G_SHARED + i * 8;
			if (buf[i] != (gpa ^ SEED_GUEST))
				bad = gpa;
		}
		for (i = 0; i < G_SHARED_SIZE / 8; i++)
			buf[i] = (G_SHARED + i * 8) ^ SEED_VMM;
		if (ret || bad)
			demo_fail(d, "axas_read = %d; guest pattern wrong at %#llx",
				  ret, bad);
		else if (axas_write(d->space, G_SHARED, buf, G_SHARED_SIZE, 0))
			demo_fail(d, "axas_write failed");
		kfree(buf);
		return ret ? 1 : bad;
	case 51:
		/* Reads go on; the first write faults until write is back. */
		demo_take_rights(d, G_WP, G_WP_SIZE, AXAS_PROT_READ);
		demo_expect_denied(d, &e, G_WP, G_WP, G_WP_SIZE,
				   AXAS_PROT_READ | AXAS_PROT_WRITE);
		break;
	case 52:
		/* G_WP is made read-only from another CPU while the guest spins. */
		if (!demo_protect_async(d))
			return 1;
		e.join = true;
		demo_expect_denied(d, &e, G_WP_SPIN, G_WP, G_WP_SIZE,
				   AXAS_PROT_READ | AXAS_PROT_WRITE);
		break;
	case 53:
		/*
		 * The guest's first page directory maps its code and stack:
		 * the walk of the next instruction fetch reads (and may
		 * update) an entry there, which nested paging checks as a
		 * write to a page-table page.
		 */
		demo_take_rights(d, G_PD, PAGE_SIZE, AXAS_PROT_READ | AXAS_PROT_EXEC);
		e.page = true;
		e.walk = true;
		demo_expect_denied(d, &e, G_PD, G_PD, PAGE_SIZE, AXAS_PROT_RWX);
		break;
	case 54:
		/* The guest runs code it wrote to G_WP, which is RW only. */
		e.write = false;
		e.fetch = true;
		demo_expect_denied(d, &e, G_WP_CODE, G_WP_CODE, PAGE_SIZE,
				   AXAS_PROT_RWX);
		break;
	case 71:
		return demo_huge_check(d);
	case 91:
		demo_dirty_harvest(d, 0, DIRTY1_OFF, DIRTY1_STEP, DIRTY1_COUNT);
		demo_dirty_expect(d, DIRTY2_OFF, DIRTY2_STEP, DIRTY2_COUNT);
		break;
	case 92:
		demo_dirty_harvest(d, 1, DIRTY2_OFF, DIRTY2_STEP, DIRTY2_COUNT);
		break;
	case 101:
		return demo_snap_take(d);
	case 102:
		return demo_snap_restore(d);
	default:
		demo_stop(d, "no phase %llu in scenario %llu", phase, n);
		return 1;
	}
	return 0;
}

/* Scenario 8: the guest read @val at @gpa, neither of the VMM's patterns. */
void demo_wrong(struct demo *d, u64 n, u64 gpa, u64 val)
{
	if (n != 8 || d->cur != 8) {
		demo_stop(d, "wrong value reported in scenario %llu during %d",
			  n, d->cur);
		return;
	}
	d->wrong++;
	demo_fail(d, "the guest read %#llx at %#llx after %u of %u remaps%s",
		  val, gpa, d->remaps, race_rounds,
		  val ? "" : ": a freed frame (init_on_free zeroed it)");
}

/* Scenario 8: the other thread has stopped (or gave up: why first). */
static void demo_race_join(struct demo *d)
{
	if (d->unmapper)
		demo_stop_other(&d->unmapper);
	if (d->unmapper_why[0])
		demo_fail(d, "%s", d->unmapper_why);
}

static void demo_race_result(struct demo *d, struct scenario *sc)
{
	u64 kicks = d->kicks - d->kicks_mark;

	snprintf(sc->note, sizeof(sc->note),
		 "%u unmaps from CPU %d while the guest read, %llu found it in guest mode (kicked, waited for); %u wrong values",
		 d->unmaps, d->unmapper_cpu, kicks, d->wrong);
	/* The page is mapped at the end. */
	if (sc->frames_delta != 1)
		demo_fail(d, "frames changed by %ld, not 1", sc->frames_delta);
	/* Unmaps that all came while the vCPU was out of guest mode test nothing. */
	if (!kicks)
		demo_fail(d, "no unmap found the guest running");
}

/* The guest reported scenario @n: what the VMM does before it is judged. */
void demo_finish(struct demo *d, unsigned int n)
{
	if (n == 8)
		demo_race_join(d);
	if (n == 9)
		demo_dirty_end(d);
	if (n == 10)
		demo_snap_end(d);
	if (n == 12 && d->info.caps & VMM_CAP_AD)
		demo_ad_end(d);
}

/* The arch's own checks of scenario @n: a note, or the reason it failed. */
static void demo_check_arch(struct demo *d, unsigned int n, struct scenario *sc)
{
	char note[sizeof(sc->arch_note)] = "";
	int ret;

	if (!d->ops->check)
		return;
	ret = d->ops->check(d->arch, n, note, sizeof(note));
	if (ret)
		demo_fail(d, "%s (%d)", note, ret);
	else
		strscpy(sc->arch_note, note, sizeof(sc->arch_note));
}

/* Scenario @n's own checks, once its frames changed by frames_delta. */
void demo_check_result(struct demo *d, unsigned int n)
{
	struct scenario *sc = cur_sc(d);

	if (n == 4 && d->mmio_walked != 3)
		demo_fail(d, "%u device accesses decoded through the guest's tables, not 3",
			  d->mmio_walked);
	else if (n == 4)
		snprintf(sc->note, sizeof(sc->note),
			 "%u accesses walked: GVA %#llx -> GPA %#x (%llu KiB page), as the exit said",
			 d->mmio_walked, d->mmio_gva, G_MMIO, d->mmio_pgsize / SZ_1K);
	if (n == 6 && sc->frames_delta)
		demo_fail(d, "frames changed by %ld", sc->frames_delta);
	if (n == 8)
		demo_race_result(d, sc);
	if (n == 9 && sc->frames_delta != G_DIRTY_SIZE / SZ_4K)
		demo_fail(d, "frames changed by %ld, not %d", sc->frames_delta,
			  G_DIRTY_SIZE / SZ_4K);
	/* The pages the guest filled and the fresh pages it read last. */
	if (n == 10 && sc->frames_delta != SNAP_BEFORE + SNAP_NEW)
		demo_fail(d, "frames changed by %ld, not %d", sc->frames_delta,
			  SNAP_BEFORE + SNAP_NEW);
	demo_check_arch(d, n, sc);
}

/* The guest is stopped: end the threads a scenario started. */
void demo_stop_scenarios(struct demo *d)
{
	if (d->protector)
		demo_protector_join(d);
	if (d->unmapper)
		demo_stop_other(&d->unmapper);
}
