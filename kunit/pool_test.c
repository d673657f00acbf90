// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites of the frame pool and of huge leaves recovered.
 *
 * axas_pool: axas_pool_limit() and axas_prefill() - what the pool holds
 * against its limits and the frame cap, which frames a fault takes from
 * it, that a charge at the cap takes room from it, that its frames are
 * zeros even when they are the frames another space just freed with its
 * data in them, and that shutdown empties it for good while prefills and
 * faults race with it.
 *
 * axas_collapse: the end of dirty logging, the end of a snapshot and
 * axas_collapse() put a huge leaf back exactly where the 512 smaller
 * leaves line up (same run of frames, same rights), keep the accessed and
 * dirty flags (also those a CPU sets in the old table until the flush),
 * call the flush before the old table page is freed, and refuse a range
 * that is being logged.
 */
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include <axas/axas.h>
#include <axas/compat.h>

#include "../features/features.h"
#include "../npt/fmt.h"
#include "axas_test.h"

#define RW	(AXAS_PROT_READ | AXAS_PROT_WRITE)
#define BASE	((u64)SZ_1G)
#define SIZE	(4ULL * SZ_1G)

/* A format, and whether its leaves get the hardware's A/D flags. */
struct axp_mode {
	const char *name;
	enum axas_pt_format format;
	unsigned int levels;
	bool ad;	/* EPT: A/D flags in the EPTP */
	unsigned int log_flags;	/* of axas_dirty_log_start() */
};

static const struct axp_mode axp_modes[] = {
	{ "ept4-ad", AXAS_PT_EPT, 4, true, 0 },
	{ "ept4-wp", AXAS_PT_EPT, 4, false, 0 },
	{ "ept5-ad", AXAS_PT_EPT, 5, true, 0 },
	{ "npt4", AXAS_PT_NPT, 4, false, 0 },
	{ "npt5-wp", AXAS_PT_NPT, 5, false, AXAS_DIRTY_WP },
};

static void axp_mode_desc(const struct axp_mode *m, char *desc)
{
	strscpy(desc, m->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(axp_mode, axp_modes, axp_mode_desc);

struct axp {
	const struct axp_mode *m;
	struct axas_space *space;
	struct axas_space_cfg cfg;
	long tables_base;
	unsigned int flushes;
	/* Table pages alive at the last flush, RCU frees run (-1: not asked). */
	long live_at_flush;
	/* A CPU that still walks an old table sets these in it until the flush. */
	u64 *late_pte;
	u64 late_bits;
};

static void axp_flush(void *cookie, u64 gpa, u64 size)
{
	struct axp *t = cookie;

	t->flushes++;
	if (t->late_pte) {
		WRITE_ONCE(*t->late_pte, READ_ONCE(*t->late_pte) | t->late_bits);
		t->late_pte = NULL;
	}
	if (t->live_at_flush >= 0) {
		rcu_barrier();
		t->live_at_flush = axas_pt_live_tables();
	}
}

static struct axas_space *axp_create(struct kunit *test, struct axp *t,
				     unsigned long max_frames)
{
	struct axt_fmt f = { t->m->name, t->m->format, t->m->levels };
	struct axas_space *space;

	t->cfg = (struct axas_space_cfg) {
		.name = "kunit-pool", .base = BASE, .size = SIZE,
		.flush = axp_flush, .cookie = t, .max_frames = max_frames,
	};
	t->cfg.pt = axt_pt_cfg_all(&f);
	if (t->m->ad)
		t->cfg.pt.root_flags = AXAS_PT_ROOT_AD;
	space = axas_space_create(&t->cfg);
	KUNIT_ASSERT_FALSE(test, IS_ERR(space));
	return space;
}

static int axp_init(struct kunit *test)
{
	struct axp *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	if (!t)
		return -ENOMEM;
	t->m = test->param_value ?: &axp_modes[0];
	t->live_at_flush = -1;
	t->tables_base = axt_live_tables();
	test->priv = t;
	t->space = axp_create(test, t, 0);
	return 0;
}

static void axp_exit(struct kunit *test)
{
	struct axp *t = test->priv;

	if (t && t->space)
		axt_space_destroy(test, t->space, t->tables_base);
}

static unsigned long axp_pool(struct axas_space *space)
{
	return axt_stats(space).pool_frames;
}

/* ---- the pool --------------------------------------------------------- */

/*
 * Limits, the cap, and what faults take: 4 KiB frames for 4 KiB leaves,
 * a 2 MiB frame for a 2 MiB leaf, then today's path once it is empty.
 */
static void axas_pool_accounting(struct kunit *test)
{
	struct axp *t = test->priv;
	struct axas_space *space;
	struct axas_space_stats st;
	unsigned int i, n;
	int ret = 0;

	axas_space_destroy(t->space);
	t->space = axp_create(test, t, 1024);
	space = t->space;
	/* No limits yet: nothing to fill. */
	KUNIT_EXPECT_EQ(test, axas_prefill(space, 1000), 0);
	KUNIT_ASSERT_EQ(test, axas_pool_limit(space, 64, 1), 0);
	KUNIT_EXPECT_EQ(test, axas_prefill(space, 100), 64);
	KUNIT_EXPECT_EQ(test, axas_prefill(space, 1000), 512);
	KUNIT_EXPECT_EQ(test, axas_prefill(space, 1000), 0);
	st = axt_stats(space);
	KUNIT_EXPECT_EQ(test, st.pool_frames, 576);
	KUNIT_EXPECT_EQ(test, st.frames, 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&space->frames.held), 576);

	KUNIT_ASSERT_EQ(test, axas_map_alloc(space, BASE, 64 * SZ_4K, RW, SZ_4K), 0);
	for (i = 0; i < 16; i++)
		KUNIT_ASSERT_EQ(test, axas_fault(space, BASE + i * SZ_4K,
						 AXAS_ACCESS_WRITE),
				AXAS_FAULT_INSTALLED);
	st = axt_stats(space);
	KUNIT_EXPECT_EQ(test, st.pool_frames, 560);
	KUNIT_EXPECT_EQ(test, st.frames, 16);
	/* A 2 MiB leaf takes the 2 MiB frame, not 512 small ones. */
	KUNIT_ASSERT_EQ(test, axas_map_alloc(space, BASE + SZ_2M, SZ_2M, RW, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, axas_fault(space, BASE + SZ_2M + SZ_8K, AXAS_ACCESS_READ),
			AXAS_FAULT_INSTALLED);
	st = axt_stats(space);
	KUNIT_EXPECT_EQ(test, st.leaves[1], 1);
	KUNIT_EXPECT_EQ(test, st.pool_frames, 48);
	KUNIT_EXPECT_EQ(test, st.frames, 528);
	/* Refilled up to the cap: the 4 KiB frames fit, a 2 MiB one does not. */
	KUNIT_EXPECT_EQ(test, axas_prefill(space, 1000), 16);
	KUNIT_EXPECT_EQ(test, axp_pool(space), 64);

	/* Faults take the pool's 64, then allocate up to the cap: 496 in all. */
	KUNIT_ASSERT_EQ(test, axas_map_alloc(space, BASE + SZ_1G, 1024 * SZ_4K, RW,
					     SZ_4K), 0);
	for (n = 0; n < 1024; n++) {
		ret = axas_fault(space, BASE + SZ_1G + n * SZ_4K, AXAS_ACCESS_WRITE);
		if (ret < 0)
			break;
	}
	KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
	KUNIT_EXPECT_EQ(test, n, 496);
	st = axt_stats(space);
	KUNIT_EXPECT_EQ(test, st.pool_frames, 0);
	KUNIT_EXPECT_EQ(test, st.frames, 1024);
	KUNIT_EXPECT_EQ(test, st.faults_installed, 16 + 1 + 496);

	/* A charge at the cap takes the room it needs from the pool, no more. */
	KUNIT_ASSERT_EQ(test, axas_unmap(space, BASE, SIZE), 0);
	KUNIT_ASSERT_EQ(test, axas_pool_limit(space, 600, 0), 0);
	KUNIT_EXPECT_EQ(test, axas_prefill(space, 1000), 600);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(space, BASE, 1000 * SZ_4K,
					     RW | AXAS_AREA_POPULATE, SZ_4K), 0);
	st = axt_stats(space);
	KUNIT_EXPECT_EQ(test, st.frames, 1000);
	KUNIT_EXPECT_EQ(test, st.pool_frames, 24);
	/* Lower limits give back what is beyond them at once. */
	KUNIT_ASSERT_EQ(test, axas_unmap(space, BASE, SIZE), 0);
	KUNIT_EXPECT_EQ(test, axas_prefill(space, 1000), 576);
	KUNIT_ASSERT_EQ(test, axas_pool_limit(space, 8, 0), 0);
	KUNIT_EXPECT_EQ(test, axp_pool(space), 8);
	KUNIT_ASSERT_EQ(test, axas_pool_limit(space, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, axp_pool(space), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&space->frames.held), 0);
}

/* A table without 2 MiB leaves pools no 2 MiB frames. */
static void axas_pool_no_2m(struct kunit *test)
{
	struct axp *t = test->priv;
	struct axas_space_cfg cfg = t->cfg;
	struct axas_space *space;

	cfg.pt.caps.flags &= ~(AXAS_CAP_2M | AXAS_CAP_1G);
	space = axas_space_create(&cfg);
	KUNIT_ASSERT_FALSE(test, IS_ERR(space));
	KUNIT_EXPECT_EQ(test, axas_pool_limit(space, 4, 1), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, axas_pool_limit(space, 4, 0), 0);
	KUNIT_EXPECT_EQ(test, axas_prefill(space, 1000), 4);
	axas_space_destroy(space);
}

#define AXP_PAGES	256

/* Is the 4 KiB page at @page all zeros? */
static bool axp_page_zero(struct page *page)
{
	void *p = kmap_local_page(page);
	bool zero = !memchr_inv(p, 0, PAGE_SIZE);

	kunmap_local(p);
	return zero;
}

/*
 * The frames another space just freed, its guest's data in them, are
 * what the allocator gives the pool next: the pool must hold zeros, and so
 * must the pages its faults install; so must a page the same space
 * unmapped and faults in again.
 */
static void axas_pool_zeroed(struct kunit *test)
{
	struct axp *t = test->priv;
	struct axas_space *a, *b = t->space;
	phys_addr_t *old = kunit_kcalloc(test, AXP_PAGES, sizeof(*old), GFP_KERNEL);
	u8 *buf = kunit_kmalloc(test, SZ_4K, GFP_KERNEL);
	unsigned long i, j, reused = 0, dirty = 0;
	struct page *page;

	KUNIT_ASSERT_NOT_NULL(test, old);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	a = axp_create(test, t, 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(a, BASE, AXP_PAGES * SZ_4K, RW, SZ_4K), 0);
	memset(buf, 0xa5, SZ_4K);
	for (i = 0; i < AXP_PAGES; i++) {
		KUNIT_ASSERT_EQ(test, axas_write(a, BASE + i * SZ_4K, buf, SZ_4K,
						 AXAS_COPY_FAULT), 0);
		KUNIT_ASSERT_EQ(test, axas_translate_hpa(a, BASE + i * SZ_4K, &old[i]), 0);
	}
	KUNIT_ASSERT_EQ(test, axas_pool_limit(b, AXP_PAGES, 0), 0);
	/* One CPU: its per-CPU free lists hand the freed pages back first. */
	migrate_disable();
	axas_space_destroy(a);
	KUNIT_EXPECT_EQ(test, axas_prefill(b, AXP_PAGES), AXP_PAGES);
	migrate_enable();
	spin_lock(&b->frames.pool.lock);
	list_for_each_entry(page, &b->frames.pool.frames, lru) {
		for (j = 0; j < AXP_PAGES; j++)
			if (page_to_phys(page) == old[j])
				reused++;
		if (!axp_page_zero(page))
			dirty++;
	}
	spin_unlock(&b->frames.pool.lock);
	kunit_info(test, "%lu of %u pooled frames had been the other space's\n",
		   reused, AXP_PAGES);
	KUNIT_EXPECT_EQ_MSG(test, dirty, 0,
			    "%lu pooled frames hold another space's data", dirty);
	/* Without reuse, the case would prove nothing. */
	KUNIT_EXPECT_GT(test, reused, 0);

	/* What the guest reads through the pool's frames. */
	KUNIT_ASSERT_EQ(test, axas_map_alloc(b, BASE, AXP_PAGES * SZ_4K, RW, SZ_4K), 0);
	for (i = 0; i < AXP_PAGES; i++) {
		KUNIT_ASSERT_EQ(test, axas_read(b, BASE + i * SZ_4K, buf, SZ_4K,
						AXAS_COPY_FAULT), 0);
		KUNIT_EXPECT_TRUE_MSG(test, !memchr_inv(buf, 0, SZ_4K),
				      "page %lu reads another space's data", i);
	}
	KUNIT_EXPECT_EQ(test, axp_pool(b), 0);
	/* The same space: unmapped pages are not recycled unzeroed. */
	memset(buf, 0x5a, SZ_4K);
	for (i = 0; i < AXP_PAGES; i++)
		KUNIT_ASSERT_EQ(test, axas_write(b, BASE + i * SZ_4K, buf, SZ_4K, 0), 0);
	KUNIT_ASSERT_EQ(test, axas_discard(b, BASE, AXP_PAGES * SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, axas_prefill(b, AXP_PAGES), AXP_PAGES);
	for (i = 0; i < AXP_PAGES; i++) {
		KUNIT_ASSERT_EQ(test, axas_read(b, BASE + i * SZ_4K, buf, SZ_4K,
						AXAS_COPY_FAULT), 0);
		KUNIT_EXPECT_TRUE_MSG(test, !memchr_inv(buf, 0, SZ_4K),
				      "page %lu reads what was discarded", i);
	}
}

/* Shutdown empties the pool for good. */
static void axas_pool_shutdown(struct kunit *test)
{
	struct axp *t = test->priv;
	struct axas_space *space = t->space;

	KUNIT_ASSERT_EQ(test, axas_pool_limit(space, 64, 1), 0);
	KUNIT_EXPECT_EQ(test, axas_prefill(space, 1000), 576);
	axas_space_shutdown(space);
	KUNIT_EXPECT_EQ(test, axp_pool(space), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&space->frames.held), 0);
	KUNIT_EXPECT_EQ(test, axas_prefill(space, 1000), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axas_pool_limit(space, 64, 1), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axp_pool(space), 0);
}

struct axp_racer {
	struct axas_space *space;
	struct completion done;
	bool limits;	/* change the limits rather than fill */
	unsigned long calls;
	long added;
};

static int axp_race_fn(void *arg)
{
	struct axp_racer *r = arg;
	long ret;

	for (;;) {
		if (r->limits)
			ret = axas_pool_limit(r->space, get_random_u32_below(128),
					      get_random_u32_below(2));
		else
			ret = axas_prefill(r->space, 64 + 512);
		if (ret < 0)
			break;
		r->added += ret;
		r->calls++;
		cond_resched();
	}
	complete(&r->done);
	return 0;
}

/*
 * Prefills and limit changes race with faults, then with shutdown: the
 * faults install what they should, and once shutdown returns nothing is
 * pooled or charged, whatever the racers were doing.
 */
static void axas_pool_race(struct kunit *test)
{
	struct axp *t = test->priv;
	struct axas_space *space = t->space;
	struct axp_racer r[2] = {};
	unsigned long i, n = 8192, started = 0;
	struct axas_space_stats st;
	struct task_struct *k;
	int ret = 0;

	KUNIT_ASSERT_EQ(test, axas_pool_limit(space, 64, 1), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(space, BASE, n * SZ_4K, RW, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(space, BASE + SZ_1G, 16 * SZ_2M, RW,
					     SZ_2M), 0);
	for (i = 0; i < 2; i++) {
		r[i].space = space;
		r[i].limits = i;
		init_completion(&r[i].done);
		k = kthread_run(axp_race_fn, &r[i], "axas-pool-%lu", i);
		KUNIT_EXPECT_FALSE(test, IS_ERR(k));
		if (IS_ERR(k))
			break;
		started++;
	}
	for (i = 0; i < n && ret >= 0; i++) {
		ret = axas_fault(space, BASE + i * SZ_4K, AXAS_ACCESS_WRITE);
		if (i < 16 && ret >= 0)
			ret = axas_fault(space, BASE + SZ_1G + i * SZ_2M,
					 AXAS_ACCESS_WRITE);
		if (!(i & 63))
			cond_resched();
	}
	KUNIT_EXPECT_EQ(test, ret, AXAS_FAULT_INSTALLED);
	st = axt_stats(space);
	KUNIT_EXPECT_EQ(test, st.leaves[0], n);
	KUNIT_EXPECT_EQ(test, st.leaves[1], 16);
	KUNIT_EXPECT_EQ(test, st.faults_installed, n + 16);
	/* The racers stop at -ESHUTDOWN. */
	axas_space_shutdown(space);
	for (i = 0; i < started; i++)
		wait_for_completion(&r[i].done);
	kunit_info(test, "%lu prefills added %ld frames, %lu limit changes\n",
		   r[0].calls, r[0].added, r[1].calls);
	KUNIT_EXPECT_GT(test, r[0].added, 0);
	KUNIT_EXPECT_EQ(test, axp_pool(space), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&space->frames.held), 0);
	KUNIT_EXPECT_EQ(test, axas_prefill(space, 1), -ESHUTDOWN);
}

/*
 * Stand-in for axas_frames_alloc() in a prefill of a 2 MiB frame: it says
 * it has begun, then waits (for the fault of the test, or 300 ms) before
 * it allocates, as an allocation that compacts memory would.
 */
static struct completion axp_slow_begun, axp_slow_fault_done;

static unsigned long axp_slow_frames_alloc(unsigned int order, unsigned long nr,
					   struct page **pages, int node,
					   gfp_t node_gfp)
{
	struct page *page;

	if (order != get_order(SZ_2M) || nr != 1)
		return 0;
	complete(&axp_slow_begun);
	wait_for_completion_timeout(&axp_slow_fault_done, msecs_to_jiffies(300));
	page = alloc_pages(GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN, order);
	if (!page)
		return 0;
	split_page(page, order);
	pages[0] = page;
	return 1;
}

struct axp_cap_fault {
	struct axas_space *space;
	u64 gpa;
	int ret;
};

static int axp_cap_fault_fn(void *arg)
{
	struct axp_cap_fault *f = arg;

	wait_for_completion(&axp_slow_begun);
	f->ret = axas_fault(f->space, f->gpa, AXAS_ACCESS_WRITE);
	/* For the stand-in's wait and the test's: both return from now on. */
	complete_all(&axp_slow_fault_done);
	return 0;
}

/*
 * A fault at the frame cap while a prefill holds the charge of a 2 MiB
 * frame it is still allocating: the fault must not fail for a charge it
 * cannot see yet. It waits for the frame to reach the pool, and takes
 * its room back from there.
 */
static void axas_pool_prefill_at_cap(struct kunit *test)
{
	struct axp *t = test->priv;
	struct axp_cap_fault f = {};
	struct task_struct *k;
	struct axas_space *space;
	unsigned int i;
	long added;

	if (!(t->cfg.pt.caps.flags & AXAS_CAP_2M))
		kunit_skip(test, "no 2 MiB leaves");
	axas_space_destroy(t->space);
	t->space = axp_create(test, t, 1024);
	space = t->space;
	KUNIT_ASSERT_EQ(test, axas_map_alloc(space, BASE, 1024 * SZ_4K, RW, SZ_4K), 0);
	for (i = 0; i < 512; i++)
		KUNIT_ASSERT_EQ(test, axas_fault(space, BASE + i * SZ_4K,
						 AXAS_ACCESS_WRITE),
				AXAS_FAULT_INSTALLED);
	KUNIT_ASSERT_EQ(test, axas_pool_limit(space, 0, 1), 0);
	init_completion(&axp_slow_begun);
	init_completion(&axp_slow_fault_done);
	f.space = space;
	f.gpa = BASE + 512 * SZ_4K;
	k = kthread_run(axp_cap_fault_fn, &f, "axas-cap-fault");
	KUNIT_ASSERT_FALSE(test, IS_ERR(k));
	kunit_activate_static_stub(test, axas_frames_alloc, axp_slow_frames_alloc);
	added = axas_prefill(space, 512);
	kunit_deactivate_static_stub(test, axas_frames_alloc);
	wait_for_completion(&axp_slow_fault_done);
	KUNIT_EXPECT_EQ(test, added, 512);
	KUNIT_EXPECT_EQ_MSG(test, f.ret, AXAS_FAULT_INSTALLED,
			    "a fault at the cap failed while a prefill held a charge");
	/* The fault took its room from the pooled block. */
	KUNIT_EXPECT_EQ(test, axt_stats(space).frames, 513);
	KUNIT_EXPECT_EQ(test, axp_pool(space), 0);
	KUNIT_EXPECT_LE(test, atomic_long_read(&space->frames.held), 1024);
}

static struct kunit_case axas_pool_cases[] = {
	KUNIT_CASE(axas_pool_prefill_at_cap),
	KUNIT_CASE(axas_pool_accounting),
	KUNIT_CASE(axas_pool_no_2m),
	KUNIT_CASE(axas_pool_zeroed),
	KUNIT_CASE(axas_pool_shutdown),
	KUNIT_CASE_ATTR(axas_pool_race, { .speed = KUNIT_SPEED_SLOW }),
	{}
};

static struct kunit_suite axas_pool_suite = {
	.name = "axas_pool",
	.init = axp_init,
	.exit = axp_exit,
	.test_cases = axas_pool_cases,
};

/* ---- huge leaves recovered ----------------------------------------------- */

/* The entry that maps @gpa at @level (the table below it must exist). */
static u64 *axp_entry(struct axas_space *space, u64 gpa, unsigned int level)
{
	struct axas_pt *pt = &space->pt;
	u64 *table = pt->root;
	unsigned int l;

	for (l = pt->top_level; l > level; l--) {
		u64 pte = READ_ONCE(table[(gpa >> (12 + 9 * l)) & 511]);

		if (!(pte & pt->present_mask) || (l < 3 && (pte & pt->huge)))
			return NULL;
		table = phys_to_virt(pte & pt->addr_mask);
	}
	return &table[(gpa >> (12 + 9 * level)) & 511];
}

/* Do the hardware's A/D flags land in this mode's leaves? */
static bool axp_hw_ad(const struct axp *t)
{
	return t->m->format == AXAS_PT_NPT || t->m->ad;
}

/* The leaf holding @gpa: its size, and its HPA unless @hpa is 0. */
static void axp_expect_leaf(struct kunit *test, struct axp *t, u64 gpa,
			    u64 size, phys_addr_t hpa)
{
	struct axas_pt_leaf leaf;

	KUNIT_ASSERT_EQ(test, axas_pt_query(&t->space->pt, gpa, &leaf), 0);
	KUNIT_EXPECT_EQ_MSG(test, leaf.size, size, "leaf at %llx", gpa);
	if (hpa)
		KUNIT_EXPECT_EQ_MSG(test, leaf.hpa, hpa, "leaf at %llx", gpa);
}

/* The decoder, as a CPU reads the table: no error, @n leaves. */
static void axp_decode(struct kunit *test, struct axp *t, size_t n)
{
	struct axt_dec dec = {
		.format = t->m->format, .levels = t->m->levels,
		.caps = t->cfg.pt.caps.flags, .phys_bits = 46,
	};

	KUNIT_ASSERT_EQ(test, axt_decode(&dec, axas_space_root(t->space)), 0);
	KUNIT_EXPECT_EQ_MSG(test, dec.errors, 0, "%s", dec.first_error);
	KUNIT_EXPECT_EQ(test, dec.out.n, n);
	axt_leaves_free(&dec.out);
}

/*
 * Logging splits six 2 MiB leaves (eager and lazy); stopping puts them
 * back on the same frames, with the flags the leaves had (set before the
 * collapse, or by a CPU in the old table before the flush), the old table
 * pages freed only after the flush. A collapse while logging is refused;
 * logging again reports exactly what is written.
 */
static void axas_collapse_log_stop(struct kunit *test)
{
	struct axp *t = test->priv;
	struct axas_space *space = t->space;
	const u64 end = BASE + 6 * SZ_2M;
	const struct axas_pt_fmt *fmt = space->pt.fmt;
	unsigned long *bm = kunit_kcalloc(test, BITS_TO_LONGS(6 * 512), sizeof(long),
					  GFP_KERNEL);
	struct axas_pt_leaf leaf;
	phys_addr_t hpa[6];
	unsigned int i, f0;
	long live;

	KUNIT_ASSERT_NOT_NULL(test, bm);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(space, BASE, 4 * SZ_2M,
					     RW | AXAS_AREA_POPULATE, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(space, BASE + 4 * SZ_2M, 2 * SZ_2M, RW,
					     SZ_2M), 0);
	for (i = 4; i < 6; i++)
		KUNIT_ASSERT_EQ(test, axas_fault(space, BASE + i * SZ_2M,
						 AXAS_ACCESS_WRITE),
				AXAS_FAULT_INSTALLED);
	for (i = 0; i < 6; i++)
		KUNIT_ASSERT_EQ(test, axas_translate_hpa(space, BASE + i * SZ_2M,
							 &hpa[i]), 0);
	KUNIT_ASSERT_EQ(test, axt_stats(space).leaves[1], 6);

	KUNIT_ASSERT_EQ(test, axas_dirty_log_start(space, BASE, end - BASE,
						   t->m->log_flags), 0);
	KUNIT_EXPECT_EQ(test, axt_stats(space).leaves[1], 0);
	KUNIT_EXPECT_EQ(test, axt_stats(space).leaves[0], 6 * 512);
	KUNIT_EXPECT_EQ(test, axas_collapse(space, BASE, end - BASE), -EBUSY);
	KUNIT_EXPECT_EQ(test, axas_collapse(space, end - SZ_2M, SZ_4M), -EBUSY);
	KUNIT_EXPECT_EQ(test, axt_stats(space).leaves[0], 6 * 512);
	/* The guest writes page 5 of slot 0 (and reads page 9 of slot 3). */
	KUNIT_ASSERT_GE(test, axas_fault(space, BASE + 5 * SZ_4K, AXAS_ACCESS_WRITE), 0);
	if (axp_hw_ad(t)) {
		axas_pt_scan(&space->pt, BASE + 5 * SZ_4K, SZ_4K, AXAS_SCAN_DIRTY,
			     AXAS_SCAN_SET, NULL, 0, NULL);
		axas_pt_scan(&space->pt, BASE + 3 * SZ_2M + 9 * SZ_4K, SZ_4K,
			     AXAS_SCAN_ACCESSED, AXAS_SCAN_SET, NULL, 0, NULL);
	}
	KUNIT_EXPECT_EQ(test, axas_dirty_log_get(space, BASE, end - BASE, bm), 1);
	KUNIT_EXPECT_TRUE(test, test_bit(5, bm));
	/*
	 * The harvest cleared the dirty flags: set one again after it, and
	 * let a CPU set another in slot 1's old table during the flush.
	 */
	if (axp_hw_ad(t)) {
		axas_pt_scan(&space->pt, BASE + 5 * SZ_4K, SZ_4K, AXAS_SCAN_DIRTY,
			     AXAS_SCAN_SET, NULL, 0, NULL);
		t->late_pte = axp_entry(space, BASE + SZ_2M + 7 * SZ_4K, 0);
		KUNIT_ASSERT_NOT_NULL(test, t->late_pte);
		KUNIT_ASSERT_FALSE(test, *t->late_pte & fmt->dirty);
		t->late_bits = fmt->dirty;
	}
	live = axt_live_tables();
	f0 = t->flushes;
	t->live_at_flush = 0;
	KUNIT_ASSERT_EQ(test, axas_dirty_log_stop(space), 0);
	KUNIT_EXPECT_EQ(test, t->flushes, f0 + 1);
	KUNIT_EXPECT_EQ_MSG(test, t->live_at_flush, live,
			    "table pages were freed before the flush");
	t->live_at_flush = -1;
	KUNIT_EXPECT_EQ(test, axt_live_tables(), live - 6);
	KUNIT_EXPECT_EQ(test, axt_stats(space).leaves[0], 0);
	KUNIT_EXPECT_EQ(test, axt_stats(space).leaves[1], 6);
	for (i = 0; i < 6; i++)
		axp_expect_leaf(test, t, BASE + i * SZ_2M + SZ_4K, SZ_2M, hpa[i]);
	axp_decode(test, t, 6);
	if (axp_hw_ad(t)) {
		KUNIT_ASSERT_EQ(test, axas_pt_query(&space->pt, BASE, &leaf), 0);
		KUNIT_EXPECT_TRUE_MSG(test, leaf.dirty, "slot 0 lost its dirty flag");
		KUNIT_ASSERT_EQ(test, axas_pt_query(&space->pt, BASE + SZ_2M, &leaf), 0);
		KUNIT_EXPECT_TRUE_MSG(test, leaf.dirty,
				      "slot 1 lost the dirty flag a CPU set before the flush");
		KUNIT_ASSERT_EQ(test, axas_pt_query(&space->pt, BASE + 2 * SZ_2M, &leaf), 0);
		KUNIT_EXPECT_FALSE(test, leaf.dirty);
		KUNIT_ASSERT_EQ(test, axas_pt_query(&space->pt, BASE + 3 * SZ_2M, &leaf), 0);
		KUNIT_EXPECT_TRUE_MSG(test, leaf.accessed, "slot 3 lost its accessed flag");
	}
	/* Logging again: split again, exact again. */
	KUNIT_ASSERT_EQ(test, axas_dirty_log_start(space, BASE, end - BASE,
						   t->m->log_flags), 0);
	KUNIT_EXPECT_EQ(test, axt_stats(space).leaves[0], 6 * 512);
	KUNIT_ASSERT_GE(test, axas_fault(space, BASE + 4 * SZ_2M + 3 * SZ_4K,
					 AXAS_ACCESS_WRITE), 0);
	if (axp_hw_ad(t))
		axas_pt_scan(&space->pt, BASE + 4 * SZ_2M + 3 * SZ_4K, SZ_4K,
			     AXAS_SCAN_DIRTY, AXAS_SCAN_SET, NULL, 0, NULL);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_get(space, BASE, end - BASE, bm), 1);
	KUNIT_EXPECT_TRUE(test, test_bit(4 * 512 + 3, bm));
	KUNIT_ASSERT_EQ(test, axas_dirty_log_stop(space), 0);
	KUNIT_EXPECT_EQ(test, axt_stats(space).leaves[1], 6);
}

/*
 * Stand-in for axas_frames_alloc(): no block larger than 4 KiB is free,
 * and the 4 KiB frames come from one 2 MiB block in order, but for two
 * that are swapped: a slot filled with them lines up but for two pages.
 */
static struct page *axp_block;
static unsigned int axp_block_next;

static unsigned long axp_small_frames_alloc(unsigned int order, unsigned long nr,
					    struct page **pages, int node,
					    gfp_t node_gfp)
{
	unsigned long i;

	if (order)
		return 0;
	if (!axp_block) {
		axp_block = alloc_pages(GFP_KERNEL | __GFP_ZERO, get_order(SZ_2M));
		if (!axp_block)
			return 0;
		split_page(axp_block, get_order(SZ_2M));
		axp_block_next = 0;
	}
	for (i = 0; i < nr && axp_block_next < 512; i++, axp_block_next++)
		pages[i] = nth_page(axp_block, axp_block_next == 100 ? 101 :
				    axp_block_next == 101 ? 100 : axp_block_next);
	return i;
}

/* Do the 512 pages of the block at @gpa map one aligned run of frames? */
static bool axp_lines_up(struct kunit *test, struct axas_space *space, u64 gpa)
{
	phys_addr_t first, hpa;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, axas_translate_hpa(space, gpa, &first), 0);
	if (!IS_ALIGNED(first, SZ_2M))
		return false;
	for (i = 1; i < 512; i++) {
		KUNIT_ASSERT_EQ(test, axas_translate_hpa(space, gpa + i * SZ_4K, &hpa), 0);
		if (hpa != first + i * SZ_4K)
			return false;
	}
	return true;
}

/*
 * Only what lines up is collapsed: a block split by a protect and given its
 * rights back (yes), one whose rights still differ (no), a block of an
 * area of 4 KiB frames (no), a block filled with 4 KiB frames because no
 * 2 MiB one was free, in order but for two (no), a linear area split down to 4 KiB leaves (yes,
 * back to 1 GiB), and one whose host addresses are not aligned (no).
 */
static void axas_collapse_lines_up(struct kunit *test)
{
	struct axp *t = test->priv;
	struct axas_space *space = t->space;
	const u64 lin = 2ULL * SZ_1G, lin_hpa = 1ULL << 40;
	const u64 small = BASE + 8 * SZ_2M, fell = BASE + 10 * SZ_2M;
	const u64 odd = 3ULL * SZ_1G;
	struct axas_space_stats st;
	phys_addr_t hpa0;
	unsigned int f0;
	long live;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(space, BASE, 2 * SZ_2M,
					     RW | AXAS_AREA_POPULATE, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(space, small, SZ_2M,
					     RW | AXAS_AREA_POPULATE, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(space, fell, SZ_2M, RW, SZ_2M), 0);
	axp_block = NULL;
	kunit_activate_static_stub(test, axas_frames_alloc, axp_small_frames_alloc);
	KUNIT_EXPECT_EQ(test, axas_populate(space, fell, SZ_2M), 0);
	kunit_deactivate_static_stub(test, axas_frames_alloc);
	KUNIT_ASSERT_EQ(test, axp_block_next, 512);
	KUNIT_EXPECT_FALSE(test, axp_lines_up(test, space, fell));
	axp_expect_leaf(test, t, fell, SZ_4K, page_to_phys(axp_block));
	axp_expect_leaf(test, t, fell + 100 * SZ_4K, SZ_4K,
			page_to_phys(axp_block) + 101 * SZ_4K);
	KUNIT_ASSERT_EQ(test, axas_map_linear(space, lin, lin_hpa, SZ_1G,
					      RW | AXAS_PROT_MT(AXAS_MT_UC)), 0);
	KUNIT_ASSERT_EQ(test, axas_map_linear(space, odd, lin_hpa + SZ_4K, SZ_2M,
					      RW | AXAS_PROT_MT(AXAS_MT_UC)), 0);
	KUNIT_ASSERT_EQ(test, axt_stats(space).leaves[2], 1);
	KUNIT_ASSERT_EQ(test, axas_translate_hpa(space, BASE, &hpa0), 0);

	/* Split by protects; block 0 and the linear area get their rights back. */
	KUNIT_ASSERT_EQ(test, axas_protect(space, BASE + SZ_8K, SZ_4K, AXAS_PROT_READ), 0);
	KUNIT_ASSERT_EQ(test, axas_protect(space, BASE + SZ_8K, SZ_4K, RW), 0);
	KUNIT_ASSERT_EQ(test, axas_protect(space, BASE + SZ_2M, SZ_4K, AXAS_PROT_READ), 0);
	KUNIT_ASSERT_EQ(test, axas_protect(space, lin + SZ_2M + SZ_4K, SZ_4K,
					   AXAS_PROT_READ | AXAS_PROT_MT(AXAS_MT_UC)), 0);
	KUNIT_ASSERT_EQ(test, axas_protect(space, lin + SZ_2M + SZ_4K, SZ_4K,
					   RW | AXAS_PROT_MT(AXAS_MT_UC)), 0);
	st = axt_stats(space);
	KUNIT_ASSERT_EQ(test, st.leaves[2], 0);
	KUNIT_ASSERT_EQ(test, st.leaves[1], 511);
	/* The cuts: 5 pieces of the 2 MiB area, 3 of the linear one. */
	KUNIT_ASSERT_EQ(test, st.areas, 11);

	live = axt_live_tables();
	f0 = t->flushes;
	/* Blocks wholly inside the range only: nothing here. */
	KUNIT_EXPECT_EQ(test, axas_collapse(space, BASE + SZ_4K, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, t->flushes, f0);
	/*
	 * Block 0, and the linear 1 GiB: its split 2 MiB block first, which
	 * the 1 GiB leaf then takes; one leaf made there, not two.
	 */
	KUNIT_EXPECT_EQ(test, axas_collapse(space, BASE, SIZE), 2);
	KUNIT_EXPECT_EQ(test, t->flushes, f0 + 1);
	KUNIT_EXPECT_EQ(test, axt_live_tables(), live - 3);
	st = axt_stats(space);
	/* The pieces with the same rights again are one area again. */
	KUNIT_EXPECT_EQ(test, st.areas, 7);
	KUNIT_EXPECT_EQ(test, st.leaves[2], 1);
	/* Block 0 and the alloc area's other block. */
	KUNIT_EXPECT_EQ(test, st.leaves[1], 1);
	KUNIT_EXPECT_EQ(test, st.leaves[0], 512 + 512 + 512 + 512);
	axp_expect_leaf(test, t, BASE + SZ_8K, SZ_2M, hpa0);
	axp_expect_leaf(test, t, lin + SZ_2M + SZ_4K, SZ_1G, lin_hpa);
	axp_expect_leaf(test, t, small, SZ_4K, 0);
	axp_expect_leaf(test, t, odd, SZ_4K, lin_hpa + SZ_4K);
	/* Nothing left to do. */
	KUNIT_EXPECT_EQ(test, axas_collapse(space, BASE, SIZE), 0);
	KUNIT_EXPECT_EQ(test, t->flushes, f0 + 1);
	axp_decode(test, t, 1 + 1 + 4 * 512);
}

/* Dropping the snapshot puts back what taking it split. */
static void axas_collapse_snapshot(struct kunit *test)
{
	struct axp *t = test->priv;
	struct axas_space *space = t->space;
	phys_addr_t hpa[2];
	u64 v = 0x1234;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(space, BASE, SZ_4M,
					     RW | AXAS_AREA_POPULATE, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, axas_translate_hpa(space, BASE, &hpa[0]), 0);
	KUNIT_ASSERT_EQ(test, axas_translate_hpa(space, BASE + SZ_2M, &hpa[1]), 0);
	KUNIT_ASSERT_EQ(test, axas_snapshot_take(space), 0);
	KUNIT_EXPECT_EQ(test, axt_stats(space).leaves[0], 1024);
	KUNIT_EXPECT_EQ(test, axas_collapse(space, BASE, SZ_4M), -EBUSY);
	KUNIT_ASSERT_EQ(test, axas_write(space, BASE + SZ_2M + 8, &v, 8, 0), 0);
	KUNIT_EXPECT_EQ(test, axas_snapshot_restore(space), 1);
	KUNIT_ASSERT_EQ(test, axas_snapshot_drop(space), 0);
	KUNIT_EXPECT_EQ(test, axt_stats(space).leaves[0], 0);
	KUNIT_EXPECT_EQ(test, axt_stats(space).leaves[1], 2);
	axp_expect_leaf(test, t, BASE, SZ_2M, hpa[0]);
	axp_expect_leaf(test, t, BASE + SZ_2M, SZ_2M, hpa[1]);
}

/* Bad input changes nothing. */
static void axas_collapse_errors(struct kunit *test)
{
	struct axp *t = test->priv;
	struct axas_space *space = t->space;

	KUNIT_EXPECT_EQ(test, axas_collapse(space, BASE + 1, SZ_2M), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_collapse(space, BASE, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_collapse(space, BASE, SZ_2M + 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_collapse(space, 0, SZ_2M), -ERANGE);
	KUNIT_EXPECT_EQ(test, axas_collapse(space, BASE + SIZE - SZ_2M, SZ_4M), -ERANGE);
	KUNIT_EXPECT_EQ(test, axas_collapse(space, BASE, SIZE), 0);
	axas_space_shutdown(space);
	KUNIT_EXPECT_EQ(test, axas_collapse(space, BASE, SIZE), -ESHUTDOWN);
}

/*
 * A table given 1 GiB leaves but not 2 MiB ones makes no 1 GiB leaf: a
 * protect would split it into 2 MiB leaves, which the table cannot have.
 */
static void axas_collapse_1g_without_2m(struct kunit *test)
{
	struct axp *t = test->priv;
	struct axas_space_cfg cfg = t->cfg;
	const u64 lin = 2ULL * SZ_1G;
	struct axas_space_stats st;
	struct axas_space *space;

	cfg.pt.caps.flags &= ~AXAS_CAP_2M;
	cfg.pt.caps.flags |= AXAS_CAP_1G;
	space = axas_space_create(&cfg);
	KUNIT_ASSERT_FALSE(test, IS_ERR(space));
	KUNIT_EXPECT_EQ(test, axas_map_linear(space, lin, 1ULL << 40, SZ_1G,
					      RW | AXAS_PROT_MT(AXAS_MT_UC)), 0);
	KUNIT_EXPECT_EQ(test, axas_protect(space, lin + SZ_4K, SZ_4K,
					   AXAS_PROT_READ | AXAS_PROT_MT(AXAS_MT_UC)), 0);
	st = axt_stats(space);
	KUNIT_EXPECT_EQ(test, st.leaves[1], 0);
	KUNIT_EXPECT_EQ(test, st.leaves[2], 0);
	KUNIT_EXPECT_EQ(test, axas_protect(space, lin + SZ_4K, SZ_4K,
					   RW | AXAS_PROT_MT(AXAS_MT_UC)), 0);
	KUNIT_EXPECT_EQ(test, axas_collapse(space, BASE, SIZE), 0);
	st = axt_stats(space);
	KUNIT_EXPECT_EQ(test, st.leaves[0], 512 * 512);
	KUNIT_EXPECT_EQ(test, st.leaves[1], 0);
	KUNIT_EXPECT_EQ(test, st.leaves[2], 0);
	axas_space_destroy(space);
}

/*
 * The table pages an unmap unlinks go to RCU in chains of at most 512:
 * one callback (softirqs off, no rescheduling) never frees a whole space.
 */
static void axas_collapse_release_chains(struct kunit *test)
{
	struct axp *t = test->priv;
	struct axas_space *space = t->space;
	long live;

	/* 2 GiB of 4 KiB leaves (the host range is not 2 MiB aligned). */
	KUNIT_ASSERT_EQ(test, axas_map_linear(space, BASE, (1ULL << 40) + SZ_4K,
					      2ULL * SZ_1G,
					      RW | AXAS_PROT_MT(AXAS_MT_UC)), 0);
	KUNIT_ASSERT_EQ(test, axt_stats(space).leaves[0], 512 * 1024);
	rcu_barrier();
	live = axt_live_tables();
	atomic_set(&axas_pt_rcu_chain_max, 0);
	KUNIT_ASSERT_EQ(test, axas_unmap(space, BASE, SIZE), 0);
	rcu_barrier();
	KUNIT_EXPECT_LE(test, axt_live_tables(), live - 1024);
	KUNIT_EXPECT_GT(test, atomic_read(&axas_pt_rcu_chain_max), 0);
	KUNIT_EXPECT_LE_MSG(test, atomic_read(&axas_pt_rcu_chain_max), 512,
			    "one RCU callback freed %d table pages",
			    atomic_read(&axas_pt_rcu_chain_max));
}

static struct kunit_case axas_collapse_cases[] = {
	KUNIT_CASE(axas_collapse_1g_without_2m),
	KUNIT_CASE(axas_collapse_release_chains),
	KUNIT_CASE_PARAM(axas_collapse_log_stop, axp_mode_gen_params),
	KUNIT_CASE_PARAM(axas_collapse_lines_up, axp_mode_gen_params),
	KUNIT_CASE_PARAM(axas_collapse_snapshot, axp_mode_gen_params),
	KUNIT_CASE(axas_collapse_errors),
	{}
};

static struct kunit_suite axas_collapse_suite = {
	.name = "axas_collapse",
	.init = axp_init,
	.exit = axp_exit,
	.test_cases = axas_collapse_cases,
};

kunit_test_suites(&axas_pool_suite, &axas_collapse_suite);
