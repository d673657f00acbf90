// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of what a VMM acts on when a fault comes in: the one answer
 * for "no memory here" wherever the GPA lies, huge frames falling back to
 * smaller ones, huge frames allocated without the space lock, populating
 * a lazy range all or nothing, and the NUMA node of a space.
 */
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include <axas/axas.h>
#include <axas/compat.h>

#include "../features/features.h"
#include "../npt/fmt.h"
#include "axas_test.h"

KUNIT_ARRAY_PARAM(axf_fmt, axt_fmts, axt_fmt_desc);

#define RW	(AXAS_PROT_READ | AXAS_PROT_WRITE)
#define BASE	((u64)SZ_1G)
#define SIZE	(64ULL * SZ_1G)

struct axf {
	const struct axt_fmt *f;
	struct axas_space *space;
	struct axas_space_cfg cfg;
	long tables_base;
	/* The frame allocator stub: fail blocks of this order and above... */
	unsigned int fail_order;
	/* ...or every frame after this many (0: never)... */
	unsigned long fail_after;
	atomic_long_t frames_given;
	/* ...and what it saw of the space lock, and did while it held none. */
	bool lock_held;
	unsigned int calls;
	u64 unmap_gpa, unmap_size;
	int unmap_ret;
	/* ...or a call of @hook (on call @hook_call, or every call if 0)... */
	void (*hook)(struct axf *t, unsigned int order);
	unsigned int hook_call;
	int hook_ret;
	/* ...and the @fail_nth-th frame of order @fail_nth_order fails. */
	unsigned int fail_nth_order;
	unsigned long fail_nth, nth_seen;
	/* Table pages asked for while the space lock was held. */
	unsigned int locked_tables;
	/* A vCPU thread the hook starts. */
	struct completion vcpu_done;
	u64 vcpu_gpa;
};

static void axf_flush(void *cookie, u64 gpa, u64 size)
{
}

static int axf_init(struct kunit *test)
{
	struct axf *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	if (!t)
		return -ENOMEM;
	t->f = test->param_value ?: &axt_fmts[0];
	t->fail_order = UINT_MAX;
	t->tables_base = axt_live_tables();
	t->cfg = (struct axas_space_cfg) {
		.name = "kunit-fault", .base = BASE, .size = SIZE,
		.flush = axf_flush, .cookie = t,
	};
	t->cfg.pt = axt_pt_cfg_all(t->f);
	t->space = axas_space_create(&t->cfg);
	if (IS_ERR(t->space))
		return PTR_ERR(t->space);
	test->priv = t;
	return 0;
}

static void axf_exit(struct kunit *test)
{
	struct axf *t = test->priv;

	if (!t)
		return;
	axt_space_destroy(test, t->space, t->tables_base);
}

/*
 * Frames as the real allocator gives them (zeroed, split into order-0
 * pages), failing where the test says; first, a writer on the space where
 * the test asks for one (it would deadlock if the caller held the lock).
 */
static unsigned long axf_frames_alloc(unsigned int order, unsigned long nr,
				      struct page **pages, int node,
				      gfp_t node_gfp)
{
	struct axf *t = kunit_get_current_test()->priv;
	unsigned long i;

	t->calls++;
	if (rwsem_is_locked(&t->space->lock))
		t->lock_held = true;
	else if (t->unmap_size && t->calls == 1)
		t->unmap_ret = axas_unmap(t->space, t->unmap_gpa, t->unmap_size);
	else if (t->hook && (!t->hook_call || t->calls == t->hook_call))
		t->hook(t, order);
	if (order >= t->fail_order)
		return 0;
	for (i = 0; i < nr; i++) {
		if (t->fail_after &&
		    atomic_long_inc_return(&t->frames_given) > t->fail_after)
			break;
		if (t->fail_nth && order == t->fail_nth_order &&
		    ++t->nth_seen == t->fail_nth)
			break;
		pages[i] = alloc_pages(GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN, order);
		if (!pages[i])
			break;
		if (order)
			split_page(pages[i], order);
	}
	return i;
}

static void axf_stub(struct kunit *test)
{
	kunit_activate_static_stub(test, axas_frames_alloc, axf_frames_alloc);
}

static void axf_unstub(struct kunit *test)
{
	kunit_deactivate_static_stub(test, axas_frames_alloc);
}

/* ---- one answer for "emulate MMIO" ---------------------------------------- */

/*
 * No area: -ENOENT wherever the GPA lies - in a hole, where axas_unmap()
 * cut, below or above the space, beyond the table's reach.
 */
static void axas_fault_mmio_rule(struct kunit *test)
{
	struct axf *t = test->priv;
	static const u64 where[] = {
		BASE + SZ_2M,		/* a hole inside the space */
		BASE + SZ_64K,		/* unmapped */
		BASE - SZ_4K,		/* below the space */
		BASE + SIZE,		/* just above it */
		1ULL << 62,		/* beyond any table's reach */
	};
	unsigned int i;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_1M, RW, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_unmap(t->space, BASE + SZ_64K, SZ_4K), 0);
	for (i = 0; i < ARRAY_SIZE(where); i++)
		KUNIT_EXPECT_EQ_MSG(test, axas_fault(t->space, where[i], AXAS_ACCESS_READ),
				    -ENOENT, "gpa %llx", where[i]);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).faults_refused, ARRAY_SIZE(where));
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 0);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE, AXAS_ACCESS_READ),
			AXAS_FAULT_INSTALLED);
	axas_space_shutdown(t->space);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE + SIZE, AXAS_ACCESS_READ),
			-ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE, AXAS_ACCESS_READ), -ESHUTDOWN);
}

/* ---- huge frames falling back --------------------------------------------- */

static char *axf_stats_text(struct kunit *test, struct axf *t)
{
	struct seq_file m = { .size = SZ_4K, .private = t->space };

	m.buf = kunit_kzalloc(test, m.size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m.buf);
	KUNIT_ASSERT_EQ(test, axas_stats_show(&m, NULL), 0);
	return m.buf;
}

/*
 * No free 2 MiB block: the fault installs a 4 KiB frame and counts it;
 * later faults in that 2 MiB find the table and take 4 KiB straight away
 * (no second fallback, no endless "spurious"); elsewhere, with blocks
 * back, 2 MiB again.
 */
static void axas_fault_fallback_2m(struct kunit *test)
{
	struct axf *t = test->priv;
	struct axas_translation tr;
	struct axas_space_stats st;
	char *s;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_4M, RW, SZ_2M), 0);
	t->fail_order = 1;
	axf_stub(test);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE + SZ_8K, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE + SZ_16K, AXAS_ACCESS_READ),
			AXAS_FAULT_INSTALLED);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE + SZ_16K, AXAS_ACCESS_READ),
			AXAS_FAULT_SPURIOUS);
	st = axt_stats(t->space);
	KUNIT_EXPECT_EQ(test, st.fallbacks, 1);
	KUNIT_EXPECT_EQ(test, st.leaves[0], 2);
	KUNIT_EXPECT_EQ(test, st.leaves[1], 0);
	KUNIT_EXPECT_EQ(test, st.frames, 2);
	KUNIT_EXPECT_EQ(test, axas_translate(t->space, BASE, 1, &tr), -ENODATA);
	KUNIT_EXPECT_EQ(test, axas_translate(t->space, BASE + SZ_8K, 1, &tr), 0);
	s = axf_stats_text(test, t);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(s, "fallbacks 1\n"), "%s", s);
	axf_unstub(test);
	/* Blocks again: the other 2 MiB gets one; the cut one stays 4 KiB. */
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE + SZ_2M + SZ_4K, AXAS_ACCESS_READ),
			AXAS_FAULT_INSTALLED);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE + SZ_1M, AXAS_ACCESS_READ),
			AXAS_FAULT_INSTALLED);
	st = axt_stats(t->space);
	KUNIT_EXPECT_EQ(test, st.leaves[1], 1);
	KUNIT_EXPECT_EQ(test, st.leaves[0], 3);
	KUNIT_EXPECT_EQ(test, st.frames, 3 + 512);
	KUNIT_EXPECT_EQ(test, st.fallbacks, 1);
	KUNIT_EXPECT_EQ(test, axas_unmap(t->space, BASE, SZ_4M), 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 0);
}

/* AXAS_AREA_NO_FALLBACK: -ENOMEM, nothing held, nothing counted. */
static void axas_fault_no_fallback(struct kunit *test)
{
	struct axf *t = test->priv;
	struct axas_space_stats st;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_4M,
					     RW | AXAS_AREA_NO_FALLBACK, SZ_2M), 0);
	t->fail_order = 1;
	axf_stub(test);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE, AXAS_ACCESS_WRITE), -ENOMEM);
	KUNIT_EXPECT_EQ(test, axas_populate(t->space, BASE, SZ_4K), -ENOMEM);
	axf_unstub(test);
	st = axt_stats(t->space);
	KUNIT_EXPECT_EQ(test, st.frames, 0);
	KUNIT_EXPECT_EQ(test, st.leaves[0] + st.leaves[1], 0);
	KUNIT_EXPECT_EQ(test, st.fallbacks, 0);
	/* The flag is for alloc areas only. */
	KUNIT_EXPECT_EQ(test, axas_map_linear(t->space, BASE + SZ_1G, 1ULL << 40, SZ_2M,
					      RW | AXAS_AREA_NO_FALLBACK), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).leaves[1], 1);
}

/* 1 GiB falls back to 2 MiB, and within a cut 1 GiB, 2 MiB to 4 KiB. */
static void axas_fault_fallback_1g(struct kunit *test)
{
	struct axf *t = test->priv;
	struct axas_space_stats st;
	int ret;

	ret = axas_map_alloc(t->space, BASE, SZ_1G, RW, SZ_1G);
	if (ret == -EOPNOTSUPP)
		kunit_skip(test, "no 1 GiB frames on this kernel (CONFIG_CONTIG_ALLOC)");
	KUNIT_ASSERT_EQ(test, ret, 0);
	t->fail_order = get_order(SZ_1G);
	axf_stub(test);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE + SZ_4M, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
	t->fail_order = 1;
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE + SZ_8M, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
	axf_unstub(test);
	st = axt_stats(t->space);
	KUNIT_EXPECT_EQ(test, st.leaves[2], 0);
	KUNIT_EXPECT_EQ(test, st.leaves[1], 1);
	KUNIT_EXPECT_EQ(test, st.leaves[0], 1);
	KUNIT_EXPECT_EQ(test, st.frames, 512 + 1);
	KUNIT_EXPECT_EQ(test, st.fallbacks, 2);
}

/*
 * A frame larger than 4 KiB is allocated without the space lock: a writer
 * (here an unmap of the area) proceeds meanwhile, and the fault then
 * decides again - no area any more - and gives its frame back.
 */
static void axas_fault_unlocked_alloc(struct kunit *test)
{
	struct axf *t = test->priv;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_4M, RW, SZ_2M), 0);
	t->unmap_gpa = BASE;
	t->unmap_size = SZ_2M;
	axf_stub(test);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE + SZ_4K, AXAS_ACCESS_WRITE),
			-ENOENT);
	axf_unstub(test);
	KUNIT_EXPECT_FALSE_MSG(test, t->lock_held,
			       "a 2 MiB frame was allocated under the space lock");
	KUNIT_EXPECT_EQ(test, t->unmap_ret, 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).leaves[1], 0);
	/* The rest of the area still faults in normally. */
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE + SZ_2M, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 512);
}

/*
 * A real 1 GiB fault (alloc_contig_range(), zeroing a gigabyte) while a
 * writer keeps mapping small areas: the writer must not wait for it.
 */
struct axf_gig {
	struct axf *t;
	struct completion done;
	int ret;
	s64 ns;
};

static int axf_gig_thread(void *arg)
{
	struct axf_gig *g = arg;
	ktime_t start = ktime_get();

	g->ret = axas_fault(g->t->space, BASE, AXAS_ACCESS_WRITE);
	g->ns = ktime_to_ns(ktime_sub(ktime_get(), start));
	complete(&g->done);
	return 0;
}

static void axas_fault_1g_writer(struct kunit *test)
{
	struct axf *t = test->priv;
	struct axf_gig g = { .t = t };
	struct task_struct *k;
	unsigned long writes = 0;
	s64 worst = 0;
	int ret;

	ret = axas_map_alloc(t->space, BASE, SZ_1G, RW | AXAS_AREA_NO_FALLBACK, SZ_1G);
	if (ret == -EOPNOTSUPP)
		kunit_skip(test, "no 1 GiB frames on this kernel (CONFIG_CONTIG_ALLOC)");
	KUNIT_ASSERT_EQ(test, ret, 0);
	init_completion(&g.done);
	k = kthread_run(axf_gig_thread, &g, "axf-gig");
	KUNIT_ASSERT_FALSE(test, IS_ERR(k));
	while (!completion_done(&g.done)) {
		ktime_t start = ktime_get();
		s64 ns;

		KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, 8ULL * SZ_1G + writes * SZ_4K,
						     SZ_4K, RW, SZ_4K), 0);
		ns = ktime_to_ns(ktime_sub(ktime_get(), start));
		worst = max(worst, ns);
		writes++;
		usleep_range(200, 400);
	}
	wait_for_completion(&g.done);
	if (g.ret == -ENOMEM)
		kunit_skip(test, "no free, movable gigabyte in this guest's memory");
	KUNIT_ASSERT_EQ(test, g.ret, AXAS_FAULT_INSTALLED);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).leaves[2], 1);
	kunit_info(test, "1 GiB fault %lld ms; meanwhile %lu maps, the slowest %lld us\n",
		   g.ns / NSEC_PER_MSEC, writes, worst / NSEC_PER_USEC);
	/* The fault took long; no map waited for more than a fraction of it. */
	KUNIT_EXPECT_GE(test, writes, 2);
	KUNIT_EXPECT_LT(test, worst, g.ns / 4);
}

/* ---- populate -------------------------------------------------------------- */

static bool axf_zero(struct kunit *test, struct axf *t, u64 gpa, size_t len)
{
	u8 *buf = kunit_kzalloc(test, SZ_64K, GFP_KERNEL);
	size_t i, n;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	for (; len; gpa += n, len -= n) {
		n = min_t(size_t, len, SZ_64K);
		KUNIT_ASSERT_EQ(test, axas_read(t->space, gpa, buf, n, 0), 0);
		for (i = 0; i < n; i++)
			if (buf[i])
				return false;
		cond_resched();
	}
	return true;
}

/*
 * The range's lazy pages are installed, zeroed; present pages keep their
 * frame; a 2 MiB area gets whole leaves; bad input changes nothing.
 */
static void axas_fault_populate(struct kunit *test)
{
	struct axf *t = test->priv;
	struct axas_translation tr, before;
	struct axas_space_stats st;
	u8 mark = 0x5a;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_1M, RW, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE + SZ_2M, SZ_4M, RW, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, axas_write(t->space, BASE + SZ_4K, &mark, 1,
					 AXAS_COPY_FAULT), 0);
	KUNIT_ASSERT_EQ(test, axas_translate(t->space, BASE + SZ_4K, 1, &before), 0);

	KUNIT_EXPECT_EQ(test, axas_populate(t->space, BASE, SZ_256K), 0);
	st = axt_stats(t->space);
	KUNIT_EXPECT_EQ(test, st.leaves[0], 64);
	KUNIT_EXPECT_EQ(test, st.frames, 64);
	KUNIT_EXPECT_EQ(test, st.faults_installed, 0);
	KUNIT_ASSERT_EQ(test, axas_translate(t->space, BASE + SZ_4K, 1, &tr), 0);
	KUNIT_EXPECT_EQ(test, tr.hpa, before.hpa);
	KUNIT_EXPECT_TRUE(test, axf_zero(test, t, BASE + SZ_8K, SZ_256K - SZ_8K));
	/* Again: nothing to do. */
	KUNIT_EXPECT_EQ(test, axas_populate(t->space, BASE, SZ_256K), 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 64);
	/* One page of a 2 MiB area: its whole leaf. */
	KUNIT_EXPECT_EQ(test, axas_populate(t->space, BASE + SZ_2M + SZ_8K, SZ_4K), 0);
	st = axt_stats(t->space);
	KUNIT_EXPECT_EQ(test, st.leaves[1], 1);
	KUNIT_EXPECT_EQ(test, st.frames, 64 + 512);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE + SZ_2M, AXAS_ACCESS_WRITE),
			AXAS_FAULT_SPURIOUS);

	/* Bad input: a specific errno, nothing installed. */
	KUNIT_EXPECT_EQ(test, axas_populate(t->space, BASE + SZ_1M - SZ_4K, SZ_8K), -ENOENT);
	KUNIT_EXPECT_EQ(test, axas_populate(t->space, BASE + SZ_256K, SZ_4K + 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_populate(t->space, BASE + SZ_256K, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_populate(t->space, BASE - SZ_4K, SZ_8K), -ERANGE);
	st = axt_stats(t->space);
	KUNIT_EXPECT_EQ(test, st.frames, 64 + 512);
	KUNIT_EXPECT_EQ(test, st.leaves[0], 64);
	axas_space_shutdown(t->space);
	KUNIT_EXPECT_EQ(test, axas_populate(t->space, BASE, SZ_4K), -ESHUTDOWN);
}

/* A frame or a table page short: -ENOMEM, and the space as before. */
static struct page *axf_no_table(gfp_t gfp, int node)
{
	return NULL;
}

static void axas_fault_populate_all_or_nothing(struct kunit *test)
{
	struct axf *t = test->priv;
	struct axas_space_stats st;
	long tables;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_8M, RW, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_fault(t->space, BASE, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
	tables = axt_live_tables();
	/* One frame short of the 2047 the range lacks. */
	t->fail_after = 2046;
	axf_stub(test);
	KUNIT_EXPECT_EQ(test, axas_populate(t->space, BASE, SZ_8M), -ENOMEM);
	axf_unstub(test);
	kunit_activate_static_stub(test, axas_pt_alloc_page, axf_no_table);
	KUNIT_EXPECT_EQ(test, axas_populate(t->space, BASE, SZ_8M), -ENOMEM);
	kunit_deactivate_static_stub(test, axas_pt_alloc_page);
	st = axt_stats(t->space);
	KUNIT_EXPECT_EQ(test, st.frames, 1);
	KUNIT_EXPECT_EQ(test, st.leaves[0], 1);
	KUNIT_EXPECT_EQ(test, axt_live_tables(), tables);
	/* With the memory there, the same call succeeds. */
	KUNIT_EXPECT_EQ(test, axas_populate(t->space, BASE, SZ_8M), 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).leaves[0], 2048);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 2048);
}

/*
 * Huge frames short: 4 KiB frames instead (counted), also where an
 * earlier fault left a 2 MiB slot cut into 4 KiB leaves.
 */
static void axas_fault_populate_fallback(struct kunit *test)
{
	struct axf *t = test->priv;
	struct axas_space_stats st;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_4M, RW, SZ_2M), 0);
	t->fail_order = 1;
	axf_stub(test);
	KUNIT_ASSERT_EQ(test, axas_fault(t->space, BASE + SZ_64K, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
	t->fail_order = UINT_MAX;
	/* The cut slot takes 4 KiB frames, the other a 2 MiB one. */
	KUNIT_EXPECT_EQ(test, axas_populate(t->space, BASE, SZ_4M), 0);
	st = axt_stats(t->space);
	KUNIT_EXPECT_EQ(test, st.leaves[0], 512);
	KUNIT_EXPECT_EQ(test, st.leaves[1], 1);
	KUNIT_EXPECT_EQ(test, st.frames, 1024);
	KUNIT_EXPECT_EQ(test, st.fallbacks, 1);
	KUNIT_EXPECT_EQ(test, axas_unmap(t->space, BASE, SZ_4M), 0);
	/* No 2 MiB block at all: 4 KiB frames for both. */
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_4M, RW, SZ_2M), 0);
	t->fail_order = 1;
	KUNIT_EXPECT_EQ(test, axas_populate(t->space, BASE, SZ_4M), 0);
	axf_unstub(test);
	st = axt_stats(t->space);
	KUNIT_EXPECT_EQ(test, st.leaves[0], 1024);
	KUNIT_EXPECT_EQ(test, st.leaves[1], 0);
	KUNIT_EXPECT_EQ(test, st.frames, 1024);
	KUNIT_EXPECT_GE(test, st.fallbacks, 2);
	KUNIT_EXPECT_TRUE(test, axf_zero(test, t, BASE, SZ_4M));
}

/*
 * The allocation runs without the lock; an unmap meanwhile makes the
 * populate start over and find the hole: -ENOENT, nothing installed.
 */
static void axas_fault_populate_restart(struct kunit *test)
{
	struct axf *t = test->priv;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_1M, RW, SZ_4K), 0);
	t->unmap_gpa = BASE + SZ_512K;
	t->unmap_size = SZ_4K;
	axf_stub(test);
	KUNIT_EXPECT_EQ(test, axas_populate(t->space, BASE, SZ_1M), -ENOENT);
	axf_unstub(test);
	KUNIT_EXPECT_FALSE(test, t->lock_held);
	KUNIT_EXPECT_EQ(test, t->unmap_ret, 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).leaves[0], 0);
	KUNIT_EXPECT_EQ(test, axas_populate(t->space, BASE, SZ_512K), 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 128);
}

/* Populates and faults racing on one range: one frame per page, no leak. */
struct axf_racer {
	struct axf *t;
	struct completion done;
	bool populate;
	unsigned int seed;
	int ret;
};

static int axf_race_thread(void *arg)
{
	struct axf_racer *r = arg;
	unsigned int i;

	r->ret = 0;
	for (i = 0; i < 2048 && !r->ret; i++) {
		if (r->populate) {
			if (!(i % 256))
				r->ret = axas_populate(r->t->space, BASE, SZ_8M);
		} else {
			r->seed = r->seed * 1103515245 + 12345;
			r->ret = axas_fault(r->t->space,
					    BASE + (r->seed % 2048) * SZ_4K,
					    AXAS_ACCESS_WRITE);
			if (r->ret > 0)
				r->ret = 0;
		}
		cond_resched();
	}
	complete(&r->done);
	return 0;
}

static void axas_fault_populate_race(struct kunit *test)
{
	struct axf *t = test->priv;
	struct axf_racer r[3];
	struct axas_space_stats st;
	struct axas_translation tr;
	unsigned long *seen;
	unsigned int i, dup = 0;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_8M, RW, SZ_4K), 0);
	for (i = 0; i < ARRAY_SIZE(r); i++) {
		struct task_struct *k;

		r[i] = (struct axf_racer) { .t = t, .populate = i < 2, .seed = i };
		init_completion(&r[i].done);
		k = kthread_run(axf_race_thread, &r[i], "axf-race%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(k));
	}
	for (i = 0; i < ARRAY_SIZE(r); i++) {
		wait_for_completion(&r[i].done);
		KUNIT_EXPECT_EQ(test, r[i].ret, 0);
	}
	st = axt_stats(t->space);
	KUNIT_EXPECT_EQ(test, st.leaves[0], 2048);
	KUNIT_EXPECT_EQ(test, st.frames, 2048);
	/* Every page its own frame. */
	seen = kunit_kcalloc(test, 2048, sizeof(*seen), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, seen);
	for (i = 0; i < 2048; i++) {
		unsigned int j;

		KUNIT_ASSERT_EQ(test, axas_translate(t->space, BASE + i * SZ_4K, 1, &tr), 0);
		seen[i] = PHYS_PFN(tr.hpa);
		for (j = 0; j < i; j++)
			dup += seen[j] == seen[i];
		if (!(i & 63))
			cond_resched();
	}
	KUNIT_EXPECT_EQ(test, dup, 0);
}

/* ---- races with the lock dropped --------------------------------------- */

static void axf_recap(struct kunit *test, struct axf *t, unsigned long max)
{
	axas_space_destroy(t->space);
	t->cfg.max_frames = max;
	t->space = axas_space_create(&t->cfg);
	KUNIT_ASSERT_FALSE(test, IS_ERR(t->space));
}

static int axf_vcpu_thread(void *arg)
{
	struct axf *t = arg;

	t->hook_ret = axas_fault(t->space, t->vcpu_gpa, AXAS_ACCESS_WRITE);
	complete(&t->vcpu_done);
	return 0;
}

/*
 * From inside an allocation made without the lock: another vCPU faults
 * (its own thread). It may have to wait for this allocation to finish;
 * give it 200 ms to get as far as it can.
 */
static void axf_hook_vcpu(struct axf *t, unsigned int order)
{
	if (IS_ERR(kthread_run(axf_vcpu_thread, t, "axf-vcpu"))) {
		t->hook_ret = -ECHILD;
		complete(&t->vcpu_done);
		return;
	}
	wait_for_completion_timeout(&t->vcpu_done, msecs_to_jiffies(200));
}

/*
 * Room for one 2 MiB frame, two vCPUs fault the same page: the second
 * finds the cap full while the first holds the charge unlocked; it must
 * wait and resume, not fail (-ENOMEM would kill the guest).
 */
static void axas_fault_cap_unlocked_charge(struct kunit *test)
{
	struct axf *t = test->priv;

	axf_recap(test, t, 512);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_4M, RW, SZ_2M), 0);
	init_completion(&t->vcpu_done);
	t->vcpu_gpa = BASE + SZ_4K;
	t->hook = axf_hook_vcpu;
	t->hook_call = 1;
	axf_stub(test);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
	wait_for_completion(&t->vcpu_done);
	axf_unstub(test);
	KUNIT_EXPECT_EQ_MSG(test, t->hook_ret, AXAS_FAULT_SPURIOUS,
			    "the second vCPU got %d", t->hook_ret);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 512);
}

/* The same with a populate holding the charge of the whole range. */
static void axas_fault_cap_populate(struct kunit *test)
{
	struct axf *t = test->priv;

	axf_recap(test, t, 8);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_32K, RW, SZ_4K), 0);
	init_completion(&t->vcpu_done);
	t->vcpu_gpa = BASE;
	t->hook = axf_hook_vcpu;
	t->hook_call = 1;
	axf_stub(test);
	KUNIT_EXPECT_EQ(test, axas_populate(t->space, BASE, SZ_32K), 0);
	wait_for_completion(&t->vcpu_done);
	axf_unstub(test);
	KUNIT_EXPECT_GE_MSG(test, t->hook_ret, 0, "the vCPU got %d", t->hook_ret);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 8);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).leaves[0], 8);
}

/*
 * A fault falls back in the 2 MiB slot a populate allocates for: the
 * populate fills the rest with pieces of its frame; the vCPU's page and
 * data stay.
 */
static void axf_hook_fallback_fault(struct axf *t, unsigned int order)
{
	u8 mark = 0xa5;

	t->fail_order = 1;
	t->hook_ret = axas_fault(t->space, BASE + SZ_64K, AXAS_ACCESS_WRITE);
	t->fail_order = UINT_MAX;
	if (t->hook_ret >= 0)
		t->hook_ret = axas_write(t->space, BASE + SZ_64K, &mark, 1, 0);
}

static void axas_fault_populate_pieces(struct kunit *test)
{
	struct axf *t = test->priv;
	u8 mark = 0;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_4M, RW, SZ_2M), 0);
	t->hook = axf_hook_fallback_fault;
	t->hook_call = 1;
	axf_stub(test);
	KUNIT_EXPECT_EQ(test, axas_populate(t->space, BASE, SZ_2M), 0);
	axf_unstub(test);
	KUNIT_EXPECT_EQ(test, t->hook_ret, 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).leaves[0], 512);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).leaves[1], 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 512);
	KUNIT_ASSERT_EQ(test, axas_read(t->space, BASE + SZ_64K, &mark, 1, 0), 0);
	KUNIT_EXPECT_EQ(test, mark, 0xa5);
	KUNIT_EXPECT_TRUE(test, axf_zero(test, t, BASE, SZ_64K));
	KUNIT_EXPECT_EQ(test, axas_unmap(t->space, BASE, SZ_4M), 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 0);
}

/* The room shrinks while a fault holds a 2 MiB frame unlocked. */
static void axas_fault_room_shrinks(struct kunit *test)
{
	struct axf *t = test->priv;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_4M, RW, SZ_2M), 0);
	t->hook = axf_hook_fallback_fault;
	t->hook_call = 1;
	axf_stub(test);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
	axf_unstub(test);
	KUNIT_EXPECT_EQ(test, t->hook_ret, 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 2);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).leaves[0], 2);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).fallbacks, 1);
}

/* Two adjacent areas, the second strict: populate keeps it strict. */
static void axas_fault_populate_strict_neighbour(struct kunit *test)
{
	struct axf *t = test->priv;
	struct axas_translation tr;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_2M, RW, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE + SZ_2M, SZ_2M,
					     RW | AXAS_AREA_NO_FALLBACK, SZ_2M), 0);
	t->fail_order = 1;
	axf_stub(test);
	KUNIT_EXPECT_EQ(test, axas_populate(t->space, BASE, SZ_4M), -ENOMEM);
	axf_unstub(test);
	KUNIT_EXPECT_EQ(test, axas_translate(t->space, BASE + SZ_2M, 1, &tr), -ENODATA);
	KUNIT_EXPECT_EQ(test, axas_translate(t->space, BASE, 1, &tr), -ENODATA);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 0);
}

/* A writer elsewhere in the space does not make a populate start over. */
static void axf_hook_protect_elsewhere(struct axf *t, unsigned int order)
{
	if (t->calls <= 5)
		t->hook_ret = axas_protect(t->space, BASE + SZ_1G, SZ_4K,
					   AXAS_PROT_READ);
}

static void axas_fault_populate_unrelated_writer(struct kunit *test)
{
	struct axf *t = test->priv;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_1M, RW, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE + SZ_1G, SZ_4K, RW, SZ_4K), 0);
	t->hook = axf_hook_protect_elsewhere;
	axf_stub(test);
	KUNIT_EXPECT_EQ(test, axas_populate(t->space, BASE, SZ_1M), 0);
	axf_unstub(test);
	KUNIT_EXPECT_EQ(test, t->hook_ret, 0);
	KUNIT_EXPECT_EQ_MSG(test, t->calls, 1, "allocation rounds");
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 256);
}

/* Table pages from the allocator, none while the space lock is held. */
static struct page *axf_table_unlocked(gfp_t gfp, int node)
{
	struct axf *t = kunit_get_current_test()->priv;

	if (rwsem_is_locked(&t->space->lock)) {
		t->locked_tables++;
		return NULL;
	}
	return node == NUMA_NO_NODE ? alloc_page(gfp) : alloc_pages_node(node, gfp, 0);
}

/*
 * A populate plans a 2 MiB leaf under a page directory that exists and
 * needs no table page; while it allocates unlocked, an unmap of the other
 * range under that directory empties it and frees it with the tables
 * above. The ranges are disjoint, yet the plan is stale: the populate
 * plans again and allocates its tables unlocked, never under the lock.
 */
static void axas_fault_populate_tables_freed(struct kunit *test)
{
	struct axf *t = test->priv;
	struct axas_pt_leaf leaf;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_2M, RW, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE + SZ_2M, SZ_2M, RW,
					     SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, axas_fault(t->space, BASE, AXAS_ACCESS_READ),
			AXAS_FAULT_INSTALLED);
	t->unmap_gpa = BASE;
	t->unmap_size = SZ_2M;
	axf_stub(test);
	kunit_activate_static_stub(test, axas_pt_alloc_page, axf_table_unlocked);
	KUNIT_EXPECT_EQ(test, axas_populate(t->space, BASE + SZ_2M, SZ_2M), 0);
	kunit_deactivate_static_stub(test, axas_pt_alloc_page);
	axf_unstub(test);
	KUNIT_EXPECT_EQ(test, t->unmap_ret, 0);
	KUNIT_EXPECT_EQ_MSG(test, t->locked_tables, 0,
			    "table pages asked for under the space lock");
	KUNIT_ASSERT_EQ(test, axas_pt_query(&t->space->pt, BASE + SZ_2M, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.size, SZ_2M);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 512);
}

/*
 * A discarded range of an eager area is lazy: populate installs it as a
 * fault would, 4 KiB where a 2 MiB frame was cut, 2 MiB where a whole
 * slot went.
 */
static void axas_fault_populate_discarded_eager(struct kunit *test)
{
	struct axf *t = test->priv;
	struct axas_space_stats st;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_8M,
					     RW | AXAS_AREA_POPULATE, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, axas_discard(t->space, BASE + SZ_64K, SZ_64K), 0);
	KUNIT_ASSERT_EQ(test, axas_discard(t->space, BASE + SZ_4M, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 4 * 512 - 16 - 512);
	KUNIT_EXPECT_EQ(test, axas_populate(t->space, BASE, SZ_8M), 0);
	st = axt_stats(t->space);
	KUNIT_EXPECT_EQ(test, st.frames, 4 * 512);
	KUNIT_EXPECT_EQ(test, st.leaves[0], 512);
	KUNIT_EXPECT_EQ(test, st.leaves[1], 3);
	KUNIT_EXPECT_TRUE(test, axf_zero(test, t, BASE, SZ_8M));
}

/* One 2 MiB block short of four: only that slot falls back. */
static void axas_fault_populate_fallback_per_slot(struct kunit *test)
{
	struct axf *t = test->priv;
	struct axas_space_stats st;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_8M, RW, SZ_2M), 0);
	t->fail_nth_order = get_order(SZ_2M);
	t->fail_nth = 3;
	axf_stub(test);
	KUNIT_EXPECT_EQ(test, axas_populate(t->space, BASE, SZ_8M), 0);
	axf_unstub(test);
	st = axt_stats(t->space);
	KUNIT_EXPECT_EQ(test, st.leaves[1], 3);
	KUNIT_EXPECT_EQ(test, st.leaves[0], 512);
	KUNIT_EXPECT_EQ(test, st.frames, 2048);
	KUNIT_EXPECT_EQ(test, st.fallbacks, 1);
	KUNIT_EXPECT_TRUE(test, axf_zero(test, t, BASE, SZ_8M));
}

/*
 * Eight or more 2 MiB slots without a free block: every slot falls back
 * and adds holes to the plan, whose array grows while populate holds
 * pointers into it. All or nothing on the way out as well.
 */
static void axas_fault_populate_fallback_many(struct kunit *test)
{
	struct axf *t = test->priv;
	struct axas_space_stats st;
	long tables = axt_live_tables();

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_32M, RW, SZ_2M), 0);
	t->fail_order = get_order(SZ_2M);
	/* The 4 KiB frames run out in the 12th slot: nothing stays. */
	t->fail_after = 11 * 512 + 100;
	axf_stub(test);
	KUNIT_EXPECT_EQ(test, axas_populate(t->space, BASE, SZ_32M), -ENOMEM);
	st = axt_stats(t->space);
	KUNIT_EXPECT_EQ(test, st.frames, 0);
	KUNIT_EXPECT_EQ(test, st.leaves[0] + st.leaves[1], 0);
	KUNIT_EXPECT_EQ(test, axt_live_tables(), tables);
	t->fail_after = 0;
	KUNIT_EXPECT_EQ(test, axas_populate(t->space, BASE, SZ_32M), 0);
	axf_unstub(test);
	st = axt_stats(t->space);
	KUNIT_EXPECT_EQ(test, st.leaves[0], 16 * 512);
	KUNIT_EXPECT_EQ(test, st.leaves[1], 0);
	KUNIT_EXPECT_EQ(test, st.frames, 16 * 512);
	KUNIT_EXPECT_EQ(test, st.fallbacks, 16);
	KUNIT_EXPECT_TRUE(test, axf_zero(test, t, BASE, SZ_32M));
}

/*
 * Hold one page of every 2 MiB block the page allocator can free up,
 * compaction included (the block's other pages go back): no free 2 MiB
 * block is left and none can be made, since the held pages cannot move.
 * It holds 1/512 of the memory that was free. Returns the blocks held.
 */
static unsigned long axf_fragment(struct list_head *held)
{
	unsigned int order = get_order(SZ_2M);
	unsigned long n = 0, i, nr = (1UL << order) - 1;
	struct page *page, **rest;

	/* The other pages go back in one batch a block (KASAN makes each slow). */
	rest = kvmalloc_array(nr, sizeof(*rest), GFP_KERNEL);
	if (!rest)
		return 0;
	for (;;) {
		page = alloc_pages(GFP_KERNEL | __GFP_NOWARN | __GFP_RETRY_MAYFAIL,
				   order);
		if (!page)
			break;
		split_page(page, order);
		for (i = 0; i < nr; i++)
			rest[i] = nth_page(page, i + 1);
		release_pages(rest, nr);
		list_add(&page->lru, held);
		n++;
		cond_resched();
	}
	kvfree(rest);
	return n;
}

/*
 * How many 2 MiB blocks the page allocator can give now (compaction
 * included); each goes back whole.
 */
static unsigned long axf_free_blocks(void)
{
	unsigned int order = get_order(SZ_2M);
	struct page *page, *tmp;
	unsigned long n = 0;
	LIST_HEAD(blocks);

	while ((page = alloc_pages(GFP_KERNEL | __GFP_NOWARN | __GFP_RETRY_MAYFAIL,
				   order))) {
		list_add(&page->lru, &blocks);
		n++;
		cond_resched();
	}
	list_for_each_entry_safe(page, tmp, &blocks, lru) {
		list_del(&page->lru);
		__free_pages(page, order);
	}
	return n;
}

static void axf_unfragment(struct list_head *held)
{
	struct page *page, *tmp;

	list_for_each_entry_safe(page, tmp, held, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
}

/*
 * The same on a host really fragmented: no 2 MiB block free, a lazy
 * 2 MiB area of 64 MiB populated with 4 KiB frames in every slot.
 *
 * The host stays fragmented after it: the held pages go back to the
 * per-CPU free lists, which keep them apart from their blocks, so fewer
 * 2 MiB blocks are free than before (UML: 213 before and 25 after in one
 * run, 160 and 147 in another).
 * The test runs last (the last case of the last suite, see Kbuild), after
 * every test that needs whole blocks, and reports both counts.
 */
static void axas_fault_populate_fragmented(struct kunit *test)
{
	struct axf *t = test->priv;
	struct axas_space_stats st;
	unsigned long held, before, after;
	bool zero;
	LIST_HEAD(pages);
	ktime_t start = ktime_get();
	int ret;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_64M, RW, SZ_2M), 0);
	before = axf_free_blocks();
	held = axf_fragment(&pages);
	ret = axas_populate(t->space, BASE, SZ_64M);
	st = axt_stats(t->space);
	axf_unfragment(&pages);
	zero = !ret && axf_zero(test, t, BASE, SZ_64M);
	KUNIT_EXPECT_EQ(test, axas_unmap(t->space, BASE, SZ_64M), 0);
	after = axf_free_blocks();
	kunit_info(test, "held one page of %lu blocks; %llu of 32 slots fell back; %lld ms; 2 MiB blocks free before %lu, after %lu\n",
		   held, st.fallbacks, ktime_ms_delta(ktime_get(), start), before, after);
	KUNIT_EXPECT_GT(test, held, 0);
	KUNIT_ASSERT_EQ(test, ret, 0);
	/* A block freed meanwhile elsewhere may serve a slot, but not 25. */
	KUNIT_EXPECT_GE(test, st.fallbacks, 8);
	KUNIT_EXPECT_EQ(test, st.leaves[0] * SZ_4K + st.leaves[1] * SZ_2M, SZ_64M);
	KUNIT_EXPECT_EQ(test, st.leaves[0], st.fallbacks * 512);
	KUNIT_EXPECT_EQ(test, st.frames, SZ_64M >> PAGE_SHIFT);
	KUNIT_EXPECT_TRUE(test, zero);
}

/* ---- NUMA node -------------------------------------------------------------- */

static void axas_fault_node(struct kunit *test)
{
	struct axf *t = test->priv;
	struct axas_space_cfg cfg = t->cfg;
	struct axas_translation tr;
	struct axas_space *space;
	int node = first_memory_node, other;

	cfg.flags = AXAS_SPACE_NODE | AXAS_SPACE_NODE_STRICT;
	cfg.node = node;
	space = axas_space_create(&cfg);
	KUNIT_ASSERT_FALSE(test, IS_ERR(space));
	KUNIT_EXPECT_EQ(test, space->pt.node, node);
	KUNIT_EXPECT_EQ(test, page_to_nid(virt_to_page(space->pt.root)), node);
	KUNIT_EXPECT_EQ(test, axas_map_alloc(space, BASE, SZ_4M, RW, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, axas_map_alloc(space, BASE + SZ_4M, SZ_1M,
					     RW | AXAS_AREA_POPULATE, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, axas_fault(space, BASE, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
	KUNIT_ASSERT_EQ(test, axas_translate(space, BASE, 1, &tr), 0);
	KUNIT_EXPECT_EQ(test, page_to_nid(pfn_to_page(PHYS_PFN(tr.hpa))), node);
	KUNIT_ASSERT_EQ(test, axas_translate(space, BASE + SZ_4M + SZ_64K, 1, &tr), 0);
	KUNIT_EXPECT_EQ(test, page_to_nid(pfn_to_page(PHYS_PFN(tr.hpa))), node);
	axas_space_destroy(space);

	/* Bad placement: -EINVAL, no space. */
	cfg.flags = AXAS_SPACE_NODE;
	cfg.node = MAX_NUMNODES;
	KUNIT_EXPECT_EQ(test, PTR_ERR(axas_space_create(&cfg)), -EINVAL);
	cfg.node = -1;
	KUNIT_EXPECT_EQ(test, PTR_ERR(axas_space_create(&cfg)), -EINVAL);
	cfg.flags = AXAS_SPACE_NODE_STRICT;
	cfg.node = node;
	KUNIT_EXPECT_EQ(test, PTR_ERR(axas_space_create(&cfg)), -EINVAL);
	cfg.flags = BIT(7);
	KUNIT_EXPECT_EQ(test, PTR_ERR(axas_space_create(&cfg)), -EINVAL);
	for (other = 0; other < MAX_NUMNODES; other++)
		if (!node_state(other, N_MEMORY))
			break;
	if (other < MAX_NUMNODES) {
		cfg.flags = AXAS_SPACE_NODE;
		cfg.node = other;
		KUNIT_EXPECT_EQ(test, PTR_ERR(axas_space_create(&cfg)), -EINVAL);
	}
}

static struct kunit_case axas_fault_cases[] = {
	KUNIT_CASE_PARAM(axas_fault_mmio_rule, axf_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_fault_fallback_2m, axf_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_fault_no_fallback, axf_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_fault_fallback_1g, axf_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_fault_unlocked_alloc, axf_fmt_gen_params),
	KUNIT_CASE_ATTR(axas_fault_1g_writer, { .speed = KUNIT_SPEED_SLOW }),
	KUNIT_CASE_PARAM(axas_fault_populate, axf_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_fault_populate_all_or_nothing, axf_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_fault_populate_fallback, axf_fmt_gen_params),
	KUNIT_CASE(axas_fault_populate_restart),
	KUNIT_CASE_PARAM(axas_fault_populate_race, axf_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_fault_cap_unlocked_charge, axf_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_fault_cap_populate, axf_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_fault_populate_pieces, axf_fmt_gen_params),
	KUNIT_CASE(axas_fault_room_shrinks),
	KUNIT_CASE(axas_fault_populate_strict_neighbour),
	KUNIT_CASE(axas_fault_populate_unrelated_writer),
	KUNIT_CASE(axas_fault_populate_fallback_per_slot),
	KUNIT_CASE(axas_fault_populate_fallback_many),
	KUNIT_CASE(axas_fault_populate_tables_freed),
	KUNIT_CASE(axas_fault_populate_discarded_eager),
	KUNIT_CASE(axas_fault_node),
	/* Last: it leaves the host's memory fragmented. */
	KUNIT_CASE(axas_fault_populate_fragmented),
	{}
};

static struct kunit_suite axas_fault_suite = {
	.name = "axas_fault",
	.init = axf_init,
	.exit = axf_exit,
	.test_cases = axas_fault_cases,
};

kunit_test_suites(&axas_fault_suite);
