// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of dirty logging, aging and discard: exact reports in both
 * mechanisms (dirty flags, write-protection) on every format, harvests of
 * sub-ranges, the errors, and a stress in which simulated vCPUs write
 * (through a simulated TLB that the flush callback invalidates, and
 * through axas_write()) while a harvester runs: every write must appear
 * in a harvest taken after it. Below the log, the table's scan and its
 * walk of the pages a bitmap marks, against axas_pt_query().
 */
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/delay.h>
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
#include "axas_test.h"

#define RW	(AXAS_PROT_READ | AXAS_PROT_WRITE)
#define BASE	((u64)SZ_1G)
#define SIZE	((u64)SZ_1G)

/* A format and a mechanism. */
struct axd_mode {
	const char *name;
	enum axas_pt_format format;
	unsigned int levels;
	bool ad;	/* EPT: A/D flags in the EPTP */
	bool wp;	/* write-protection expected */
	unsigned int flags;	/* of axas_dirty_log_start() */
};

static const struct axd_mode axd_modes[] = {
	{ "ept4-ad", AXAS_PT_EPT, 4, true, false, 0 },
	{ "ept4-wp", AXAS_PT_EPT, 4, false, true, 0 },
	{ "ept5-wp", AXAS_PT_EPT, 5, false, true, 0 },
	{ "npt4-d", AXAS_PT_NPT, 4, false, false, 0 },
	{ "npt5-d", AXAS_PT_NPT, 5, false, false, 0 },
	{ "npt4-wp", AXAS_PT_NPT, 4, false, true, AXAS_DIRTY_WP },
};

static void axd_mode_desc(const struct axd_mode *m, char *desc)
{
	strscpy(desc, m->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(axd_mode, axd_modes, axd_mode_desc);

#define AXD_WRITERS	3

struct axd;

/* A simulated vCPU: its TLB and its "guest mode". */
struct axd_vcpu {
	struct axd *t;
	unsigned int id;
	struct mutex guest;	/* held while "in guest mode" */
	unsigned long *tlb_gen;	/* per page: flush generation it was cached in */
	/* What it wrote: page, epoch before, epoch after. */
	u32 *page;
	u32 *e0;
	u32 *e1;
	unsigned int n;
	unsigned int max;
	struct completion done;
	int err;
};

struct axd {
	const struct axd_mode *m;
	struct axas_space *space;
	struct axas_space_cfg cfg;
	long tables_base;
	atomic_long_t flushes;
	/* The stress. */
	atomic_t gen;
	atomic_t epoch;
	struct axd_vcpu vcpus[AXD_WRITERS];
	unsigned int nr_vcpus;
};

/* Synchronous, as the contract asks: wait until every vCPU left guest mode. */
static void axd_flush(void *cookie, u64 gpa, u64 size)
{
	struct axd *t = cookie;
	unsigned int i;

	atomic_long_inc(&t->flushes);
	atomic_inc(&t->gen);
	for (i = 0; i < t->nr_vcpus; i++) {
		mutex_lock(&t->vcpus[i].guest);
		mutex_unlock(&t->vcpus[i].guest);
	}
}

static int axd_init(struct kunit *test)
{
	struct axd *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	struct axt_fmt f;
	unsigned int i;

	if (!t)
		return -ENOMEM;
	t->m = test->param_value ?: &axd_modes[0];
	f = (struct axt_fmt){ t->m->name, t->m->format, t->m->levels };
	t->tables_base = axt_live_tables();
	t->cfg = (struct axas_space_cfg) {
		.name = "kunit-dirty", .base = BASE, .size = SIZE,
		.flush = axd_flush, .cookie = t,
	};
	t->cfg.pt = axt_pt_cfg_all(&f);
	if (t->m->ad)
		t->cfg.pt.root_flags = AXAS_PT_ROOT_AD;
	for (i = 0; i < AXD_WRITERS; i++)
		mutex_init(&t->vcpus[i].guest);
	t->space = axas_space_create(&t->cfg);
	if (IS_ERR(t->space))
		return PTR_ERR(t->space);
	test->priv = t;
	return 0;
}

static void axd_exit(struct kunit *test)
{
	struct axd *t = test->priv;

	if (!t)
		return;
	axt_space_destroy(test, t->space, t->tables_base);
}

/*
 * A guest write to @gpa as a CPU does it: with the dirty flags, set the
 * leaf's D (cmpxchg, as the page walker does) unless the TLB holds the
 * page as dirty since the last flush; under write-protection, exit with a
 * violation (axas_fault()) unless the leaf or the TLB allows the write.
 * Returns 0 or the fault's error.
 */
static int axd_guest_write(struct axd *t, struct axd_vcpu *v, u64 gpa)
{
	unsigned long page = (gpa - BASE) >> PAGE_SHIFT;
	struct axas_pt_leaf leaf;
	int ret;

	for (;;) {
		bool done = false;

		mutex_lock(&v->guest);
		if (v->tlb_gen && v->tlb_gen[page] == atomic_read(&t->gen) + 1) {
			done = true;
		} else if (!axas_pt_query(&t->space->pt, gpa, &leaf) &&
			   (leaf.prot & AXAS_PROT_WRITE)) {
			if (!t->m->wp)
				axas_pt_scan(&t->space->pt, gpa & PAGE_MASK,
					     PAGE_SIZE, AXAS_SCAN_DIRTY,
					     AXAS_SCAN_SET, NULL, 0, NULL);
			if (v->tlb_gen)
				v->tlb_gen[page] = atomic_read(&t->gen) + 1;
			done = true;
		}
		mutex_unlock(&v->guest);
		if (done)
			return 0;
		/* The exit: not present, or write-protected. */
		ret = axas_fault(t->space, gpa, AXAS_ACCESS_WRITE);
		if (ret < 0)
			return ret;
	}
}

/* ---- exact reports ------------------------------------------------------- */

static long axd_get(struct axd *t, u64 gpa, u64 size, unsigned long *bm)
{
	return axas_dirty_log_get(t->space, gpa, size, bm);
}

/*
 * Reads and writes in a lazy 4 KiB area (half faulted in before logging
 * starts) and an eager 2 MiB one (split at
 * start): the harvest reports exactly the pages written, once, through
 * the dirty flag, the write right or axas_write(); sub-ranges and clear.
 */
static void axas_dirty_exact(struct kunit *test)
{
	struct axd *t = test->priv;
	const u64 lazy = BASE, eager = BASE + SZ_2M, end = BASE + SZ_4M;
	const unsigned long pages = (end - lazy) >> PAGE_SHIFT;
	static const unsigned int wr[] = { 3, 17, 255, 512 + 5, 1023 };
	unsigned long *bm = kunit_kcalloc(test, BITS_TO_LONGS(pages),
					  sizeof(long), GFP_KERNEL);
	struct axas_space_stats st;
	struct axas_pt_leaf leaf;
	u8 byte = 0x5a;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, bm);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, lazy, SZ_2M, RW, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, eager, SZ_2M,
					     RW | AXAS_AREA_POPULATE, SZ_2M), 0);
	for (i = 0; i < 256; i++)
		KUNIT_ASSERT_EQ(test, axas_fault(t->space, lazy + i * SZ_4K,
						 AXAS_ACCESS_READ),
				AXAS_FAULT_INSTALLED);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).leaves[1], 1);
	KUNIT_ASSERT_EQ(test, axas_dirty_log_start(t->space, lazy, end - lazy,
						   t->m->flags), 0);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_start(t->space, lazy, SZ_4K, 0), -EBUSY);
	st = axt_stats(t->space);
	KUNIT_EXPECT_EQ_MSG(test, st.leaves[1], 0, "huge leaf not split");
	KUNIT_EXPECT_EQ(test, st.leaves[0], 256 + 512);
	KUNIT_EXPECT_EQ(test, axd_get(t, lazy, end - lazy, bm), 0);
	if (t->m->wp) {
		KUNIT_ASSERT_EQ(test, axas_pt_query(&t->space->pt, eager, &leaf), 0);
		KUNIT_EXPECT_FALSE(test, leaf.prot & AXAS_PROT_WRITE);
	}

	for (i = 0; i < ARRAY_SIZE(wr); i++)
		KUNIT_ASSERT_EQ(test, axd_guest_write(t, &t->vcpus[0],
						      lazy + wr[i] * SZ_4K), 0);
	/* Writes through axas_write() too; a read installs nothing dirty. */
	KUNIT_ASSERT_EQ(test, axas_write(t->space, lazy + 100 * SZ_4K + 7, &byte, 1, 0), 0);
	KUNIT_ASSERT_EQ(test, axas_fault(t->space, lazy + 300 * SZ_4K, AXAS_ACCESS_READ),
			AXAS_FAULT_INSTALLED);
	if (t->m->wp)
		KUNIT_EXPECT_EQ(test, axt_stats(t->space).faults_dirty, ARRAY_SIZE(wr));
	KUNIT_EXPECT_EQ(test, axd_get(t, lazy, end - lazy, bm), ARRAY_SIZE(wr) + 1);
	for (i = 0; i < ARRAY_SIZE(wr); i++)
		KUNIT_EXPECT_TRUE_MSG(test, test_bit(wr[i], bm), "page %u", wr[i]);
	KUNIT_EXPECT_TRUE(test, test_bit(100, bm));
	KUNIT_EXPECT_EQ(test, axd_get(t, lazy, end - lazy, bm), 0);

	/* Sub-ranges, in any order; clear-only forgets. */
	KUNIT_ASSERT_EQ(test, axd_guest_write(t, &t->vcpus[0], lazy + 10 * SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axd_guest_write(t, &t->vcpus[0], eager + 70 * SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axd_guest_write(t, &t->vcpus[0], eager + 80 * SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, axd_get(t, eager + 64 * SZ_4K, 64 * SZ_4K, bm), 2);
	KUNIT_EXPECT_TRUE(test, test_bit(6, bm) && test_bit(16, bm));
	KUNIT_EXPECT_EQ(test, axd_get(t, lazy + 8 * SZ_4K, SZ_8K, bm), 0);
	KUNIT_EXPECT_EQ(test, axd_get(t, lazy + 9 * SZ_4K, SZ_8K, bm), 1);
	KUNIT_EXPECT_TRUE(test, test_bit(1, bm));
	KUNIT_ASSERT_EQ(test, axd_guest_write(t, &t->vcpus[0], lazy + 11 * SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_clear(t->space, lazy, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, axd_get(t, lazy, end - lazy, bm), 0);

	/* Each harvest that cleared something flushed once. */
	KUNIT_EXPECT_GT(test, atomic_long_read(&t->flushes), 0);

	KUNIT_EXPECT_EQ(test, axas_dirty_log_stop(t->space), 0);
	KUNIT_EXPECT_EQ(test, axd_get(t, lazy, SZ_4K, bm), -ESRCH);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_stop(t->space), -ESRCH);
	/* Writable again, and the eager area's 2 MiB leaf is back. */
	KUNIT_ASSERT_EQ(test, axas_pt_query(&t->space->pt, eager, &leaf), 0);
	KUNIT_EXPECT_TRUE(test, leaf.prot & AXAS_PROT_WRITE);
	KUNIT_EXPECT_EQ(test, leaf.size, SZ_2M);
	KUNIT_ASSERT_EQ(test, axas_pt_query(&t->space->pt, lazy + 300 * SZ_4K, &leaf), 0);
	KUNIT_EXPECT_TRUE(test, leaf.prot & AXAS_PROT_WRITE);
}

/*
 * While logging, a fault in a 2 MiB slot the range meets installs 4 KiB;
 * outside it, 2 MiB. A protect that takes the write right away keeps the
 * mark; discard reports the pages it took away.
 */
static void axas_dirty_faults_protect_discard(struct kunit *test)
{
	struct axd *t = test->priv;
	unsigned long *bm = kunit_kcalloc(test, BITS_TO_LONGS(1024),
					  sizeof(long), GFP_KERNEL);
	struct axas_pt_leaf leaf;

	KUNIT_ASSERT_NOT_NULL(test, bm);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_8M, RW, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, axas_dirty_log_start(t->space, BASE + SZ_4K,
						   SZ_4M - SZ_4K, t->m->flags), 0);
	KUNIT_ASSERT_EQ(test, axas_fault(t->space, BASE, AXAS_ACCESS_READ),
			AXAS_FAULT_INSTALLED);
	KUNIT_ASSERT_EQ(test, axas_pt_query(&t->space->pt, BASE, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.size, SZ_4K);
	KUNIT_ASSERT_EQ(test, axas_fault(t->space, BASE + SZ_4M, AXAS_ACCESS_READ),
			AXAS_FAULT_INSTALLED);
	KUNIT_ASSERT_EQ(test, axas_pt_query(&t->space->pt, BASE + SZ_4M, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.size, SZ_2M);

	KUNIT_ASSERT_EQ(test, axd_guest_write(t, &t->vcpus[0], BASE + SZ_8K), 0);
	KUNIT_ASSERT_EQ(test, axas_protect(t->space, BASE, SZ_2M, AXAS_PROT_READ), 0);
	/* Read-only now: a write is refused, not logged. */
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE + SZ_8K, AXAS_ACCESS_WRITE),
			-EACCES);
	KUNIT_EXPECT_EQ(test, axd_get(t, BASE + SZ_4K, SZ_4M - SZ_4K, bm), 1);
	KUNIT_EXPECT_TRUE(test, test_bit(1, bm));

	/* Discard reports the pages it took away, not the holes. */
	KUNIT_ASSERT_EQ(test, axas_fault(t->space, BASE + SZ_2M, AXAS_ACCESS_READ),
			AXAS_FAULT_INSTALLED);
	KUNIT_EXPECT_EQ(test, axas_discard(t->space, BASE + SZ_2M, SZ_16K), 0);
	KUNIT_EXPECT_EQ(test, axd_get(t, BASE + SZ_4K, SZ_4M - SZ_4K, bm), 1);
	KUNIT_EXPECT_TRUE(test, test_bit(SZ_2M / SZ_4K - 1, bm));
	KUNIT_EXPECT_EQ(test, axas_dirty_log_stop(t->space), 0);
}

/*
 * While logging, nothing installs a 2 MiB leaf in the logged range: not
 * axas_populate() (which the run used: the CPU writes pages 10
 * and 300 of the slot, the VMM clears page 10 alone, then harvests page
 * 300, then all), not an eager axas_map_alloc(), not axas_map_linear().
 * Each page is reported on its own, once; pages never written are not.
 */
static void axas_dirty_huge_while_logging(struct kunit *test)
{
	struct axd *t = test->priv;
	unsigned long *bm = kunit_kcalloc(test, BITS_TO_LONGS(SZ_16M >> PAGE_SHIFT),
					  sizeof(long), GFP_KERNEL);
	struct page *lin = alloc_pages(GFP_KERNEL | __GFP_ZERO, get_order(SZ_2M));
	const u64 eager = BASE + SZ_4M, linear = BASE + SZ_8M;
	struct axas_pt_leaf leaf;

	KUNIT_ASSERT_NOT_NULL(test, bm);
	KUNIT_ASSERT_NOT_NULL(test, lin);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_4M, RW, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, axas_dirty_log_start(t->space, BASE, SZ_16M,
						   t->m->flags), 0);
	KUNIT_ASSERT_EQ(test, axas_populate(t->space, BASE, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, eager, SZ_2M,
					     RW | AXAS_AREA_POPULATE, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, axas_map_linear(t->space, linear, page_to_phys(lin),
					      SZ_2M, RW | AXAS_AREA_HOST_RAM), 0);
	KUNIT_ASSERT_EQ(test, axas_pt_query(&t->space->pt, BASE, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.size, SZ_4K);
	KUNIT_ASSERT_EQ(test, axas_pt_query(&t->space->pt, eager, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.size, SZ_4K);
	KUNIT_ASSERT_EQ(test, axas_pt_query(&t->space->pt, linear, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.size, SZ_4K);
	/* Installed, not written: nothing to report. */
	KUNIT_EXPECT_EQ(test, axd_get(t, BASE, SZ_16M, bm), 0);

	KUNIT_ASSERT_EQ(test, axd_guest_write(t, &t->vcpus[0], BASE + 10 * SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axd_guest_write(t, &t->vcpus[0], BASE + 300 * SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_clear(t->space, BASE + 10 * SZ_4K, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, axd_get(t, BASE + 300 * SZ_4K, SZ_4K, bm), 1);
	KUNIT_EXPECT_EQ(test, axd_get(t, BASE, SZ_16M, bm), 0);

	KUNIT_ASSERT_EQ(test, axd_guest_write(t, &t->vcpus[0], eager + 5 * SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axd_guest_write(t, &t->vcpus[0], linear + 7 * SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, axd_get(t, eager, SZ_4K, bm), 0);
	KUNIT_EXPECT_EQ(test, axd_get(t, linear + 7 * SZ_4K, SZ_4K, bm), 1);
	KUNIT_EXPECT_EQ(test, axd_get(t, BASE, SZ_16M, bm), 1);
	KUNIT_EXPECT_TRUE(test, test_bit((eager - BASE) / SZ_4K + 5, bm));
	KUNIT_EXPECT_EQ(test, axas_dirty_log_stop(t->space), 0);
	KUNIT_EXPECT_EQ(test, axas_unmap(t->space, linear, SZ_2M), 0);
	__free_pages(lin, get_order(SZ_2M));
}

/*
 * Aging a part of a 2 MiB leaf reports that part young and leaves the
 * flag: the pages outside the range are still young for the next call.
 */
static void axas_dirty_age_huge_part(struct kunit *test)
{
	struct axd *t = test->priv;
	unsigned long bm[BITS_TO_LONGS(512)];

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_2M,
					     RW | AXAS_AREA_POPULATE, SZ_2M), 0);
	if (t->m->format == AXAS_PT_EPT && !t->m->ad) {
		KUNIT_EXPECT_EQ(test, axas_age(t->space, BASE, SZ_1M, bm, 0),
				-EOPNOTSUPP);
		return;
	}
	axas_pt_scan(&t->space->pt, BASE, SZ_4K, AXAS_SCAN_ACCESSED, AXAS_SCAN_SET,
		     NULL, 0, NULL);
	KUNIT_EXPECT_EQ(test, axas_age(t->space, BASE, SZ_1M, bm, AXAS_AGE_CLEAR), 256);
	KUNIT_EXPECT_EQ(test, axas_age(t->space, BASE + SZ_1M, SZ_1M, bm,
				       AXAS_AGE_CLEAR), 256);
	/* The whole leaf: cleared now. */
	KUNIT_EXPECT_EQ(test, axas_age(t->space, BASE, SZ_2M, bm, AXAS_AGE_CLEAR), 512);
	KUNIT_EXPECT_EQ(test, axas_age(t->space, BASE, SZ_2M, bm, 0), 0);
}

static void axd_pin_gone(void *cookie, struct axas_pin *pin)
{
	(*(unsigned int *)cookie)++;
}

/*
 * A protect while logging keeps the logged pages' write right as the log
 * needs it: under write-protection, a page written before the protect is
 * still reported, the write right stays away until the next write (a
 * write pin goes with it), and a page never written is not reported.
 */
static void axas_dirty_protect_while_logging(struct kunit *test)
{
	struct axd *t = test->priv;
	unsigned long bm[BITS_TO_LONGS(16)];
	struct axas_pt_leaf leaf;
	struct axas_pin pin;
	unsigned int gone = 0;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_64K, RW, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_dirty_log_start(t->space, BASE, SZ_64K,
						   t->m->flags), 0);
	KUNIT_ASSERT_EQ(test, axas_fault(t->space, BASE + SZ_8K, AXAS_ACCESS_READ),
			AXAS_FAULT_INSTALLED);
	KUNIT_ASSERT_EQ(test, axd_guest_write(t, &t->vcpus[0], BASE + SZ_4K), 0);
	axas_pin_init(&pin, t->space, axd_pin_gone, &gone);
	KUNIT_ASSERT_EQ(test, axas_pin_activate(&pin, BASE + SZ_4K, 8,
						AXAS_ACCESS_WRITE, 0), 0);
	KUNIT_ASSERT_EQ(test, axas_protect(t->space, BASE, SZ_64K, RW), 0);
	KUNIT_EXPECT_EQ(test, gone, t->m->wp ? 1 : 0);
	KUNIT_ASSERT_EQ(test, axas_pt_query(&t->space->pt, BASE + SZ_4K, &leaf), 0);
	KUNIT_EXPECT_EQ(test, !!(leaf.prot & AXAS_PROT_WRITE), !t->m->wp);
	KUNIT_ASSERT_EQ(test, axas_pt_query(&t->space->pt, BASE + SZ_8K, &leaf), 0);
	KUNIT_EXPECT_EQ(test, !!(leaf.prot & AXAS_PROT_WRITE), !t->m->wp);
	KUNIT_EXPECT_EQ(test, axd_get(t, BASE, SZ_64K, bm), 1);
	KUNIT_EXPECT_TRUE(test, test_bit(1, bm));
	axas_pin_release(&pin);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_stop(t->space), 0);
}

/* ---- errors -------------------------------------------------------------- */

static void axas_dirty_errors(struct kunit *test)
{
	struct axd *t = test->priv;
	unsigned long bm[2];

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_1M, RW, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_get(t->space, BASE, SZ_4K, bm), -ESRCH);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_clear(t->space, BASE, SZ_4K), -ESRCH);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_start(t->space, BASE + 1, SZ_4K, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_start(t->space, BASE, 0, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_start(t->space, BASE, SZ_4K, BIT(5)), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_start(t->space, BASE - SZ_4K, SZ_4K, 0),
			-ERANGE);
	KUNIT_ASSERT_EQ(test, axas_dirty_log_start(t->space, BASE, SZ_64K, 0), 0);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_get(t->space, BASE, SZ_128K, bm), -ERANGE);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_get(t->space, BASE, SZ_4K, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_get(t->space, BASE + 2, SZ_4K, bm), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_age(t->space, BASE, SZ_4K, bm, BIT(3)), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_discard(t->space, BASE, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_discard(t->space, BASE + SIZE, SZ_4K), -ERANGE);
	axas_space_shutdown(t->space);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_get(t->space, BASE, SZ_4K, bm), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_stop(t->space), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axas_discard(t->space, BASE, SZ_4K), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axas_age(t->space, BASE, SZ_4K, bm, 0),
			t->m->format == AXAS_PT_EPT && !t->m->ad ? -EOPNOTSUPP :
			-ESHUTDOWN);
}

/* ---- aging ----------------------------------------------------------------- */

/* Young pages are reported, cleared with one flush, and set again. */
static void axas_dirty_age(struct kunit *test)
{
	struct axd *t = test->priv;
	unsigned long bm[BITS_TO_LONGS(512)];
	long before;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_2M, RW, SZ_4K), 0);
	if (t->m->format == AXAS_PT_EPT && !t->m->ad) {
		KUNIT_EXPECT_EQ(test, axas_age(t->space, BASE, SZ_2M, bm, 0),
				-EOPNOTSUPP);
		return;
	}
	KUNIT_ASSERT_EQ(test, axas_fault(t->space, BASE, AXAS_ACCESS_READ),
			AXAS_FAULT_INSTALLED);
	KUNIT_ASSERT_EQ(test, axas_fault(t->space, BASE + SZ_64K, AXAS_ACCESS_READ),
			AXAS_FAULT_INSTALLED);
	KUNIT_EXPECT_EQ(test, axas_age(t->space, BASE, SZ_2M, bm, 0), 0);
	/* The CPU's walk sets A. */
	axas_pt_scan(&t->space->pt, BASE, SZ_4K, AXAS_SCAN_ACCESSED, AXAS_SCAN_SET,
		     NULL, 0, NULL);
	axas_pt_scan(&t->space->pt, BASE + SZ_64K, SZ_4K, AXAS_SCAN_ACCESSED,
		     AXAS_SCAN_SET, NULL, 0, NULL);
	before = atomic_long_read(&t->flushes);
	KUNIT_EXPECT_EQ(test, axas_age(t->space, BASE, SZ_2M, bm, 0), 2);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->flushes), before);
	KUNIT_EXPECT_TRUE(test, test_bit(0, bm) && test_bit(16, bm));
	KUNIT_EXPECT_EQ(test, axas_age(t->space, BASE, SZ_2M, bm, AXAS_AGE_CLEAR), 2);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->flushes), before + 1);
	KUNIT_EXPECT_EQ(test, axas_age(t->space, BASE, SZ_2M, NULL, AXAS_AGE_CLEAR), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->flushes), before + 1);
}

/* ---- discard ---------------------------------------------------------------- */

static int axd_fill(struct axd *t, u64 gpa, u64 size, u8 v)
{
	u8 *buf = kvmalloc(size, GFP_KERNEL);
	int ret;

	if (!buf)
		return -ENOMEM;
	memset(buf, v, size);
	ret = axas_write(t->space, gpa, buf, size, AXAS_COPY_FAULT);
	kvfree(buf);
	return ret;
}

/*
 * Frames go back, areas stay lazy: the next touch finds zeros. A 2 MiB
 * frame cut by the range keeps its other pages. Linear areas: refused,
 * nothing changed.
 */
static void axas_dirty_discard(struct kunit *test)
{
	struct axd *t = test->priv;
	struct axas_space_stats st;
	struct axas_translation tr;
	u64 v = ~0ULL;
	struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO);

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_1M, RW, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE + SZ_2M, SZ_4M,
					     RW | AXAS_AREA_POPULATE, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, axas_map_linear(t->space, BASE + SZ_8M,
					      page_to_phys(page), SZ_4K,
					      RW | AXAS_AREA_HOST_RAM), 0);
	KUNIT_ASSERT_EQ(test, axd_fill(t, BASE, SZ_1M, 0xab), 0);
	KUNIT_ASSERT_EQ(test, axd_fill(t, BASE + SZ_2M, SZ_4M, 0xcd), 0);
	st = axt_stats(t->space);
	KUNIT_EXPECT_EQ(test, st.frames, 256 + 1024);

	KUNIT_EXPECT_EQ(test, axas_discard(t->space, BASE, SZ_16M), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 256 + 1024);
	KUNIT_EXPECT_EQ(test, axas_discard(t->space, BASE + SZ_8M, SZ_4K), -EOPNOTSUPP);

	/* Holes are skipped; 4 KiB pages and a cut through a 2 MiB frame. */
	KUNIT_EXPECT_EQ(test, axas_discard(t->space, BASE + SZ_64K,
					   SZ_2M + SZ_8K - SZ_64K), 0);
	st = axt_stats(t->space);
	KUNIT_EXPECT_EQ(test, st.frames, 256 - 240 + 1024 - 2);
	KUNIT_EXPECT_EQ(test, st.leaves[1], 1);
	KUNIT_EXPECT_EQ(test, st.leaves[0], 16 + 510 + 1);	/* and the linear page */
	KUNIT_EXPECT_EQ(test, st.areas, 3);
	KUNIT_EXPECT_EQ(test, axas_translate(t->space, BASE + SZ_64K, 1, &tr), -ENODATA);
	KUNIT_EXPECT_EQ(test, axas_translate(t->space, BASE + SZ_2M, 1, &tr), -ENODATA);
	KUNIT_EXPECT_EQ(test, axas_translate(t->space, BASE + SZ_2M + SZ_8K, 1, &tr), 0);

	/* Next touch: a zeroed 4 KiB frame (the slot holds 4 KiB leaves now). */
	KUNIT_EXPECT_EQ(test, axas_read(t->space, BASE + SZ_2M + SZ_4K, &v, 8,
					AXAS_COPY_FAULT), 0);
	KUNIT_EXPECT_EQ(test, v, 0);
	KUNIT_EXPECT_EQ(test, axas_read(t->space, BASE + SZ_2M + SZ_8K, &v, 8, 0), 0);
	KUNIT_EXPECT_EQ(test, v, 0xcdcdcdcdcdcdcdcdULL);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE + SZ_128K, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
	KUNIT_EXPECT_EQ(test, axas_read(t->space, BASE + SZ_128K, &v, 8, 0), 0);
	KUNIT_EXPECT_EQ(test, v, 0);
	KUNIT_ASSERT_EQ(test, axas_translate(t->space, BASE + SZ_2M + SZ_4K, 1, &tr), 0);
	KUNIT_EXPECT_EQ(test, tr.len, SZ_4K);
	st = axt_stats(t->space);
	KUNIT_EXPECT_EQ(test, st.frames, 256 - 240 + 1 + 1024 - 1);
	KUNIT_EXPECT_GT(test, st.flushes, 0);

	/* A whole 2 MiB slot discarded faults in 2 MiB again. */
	KUNIT_EXPECT_EQ(test, axas_discard(t->space, BASE + SZ_4M, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE + SZ_4M + SZ_1M, AXAS_ACCESS_READ),
			AXAS_FAULT_INSTALLED);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).leaves[1], 1);
	KUNIT_EXPECT_EQ(test, axas_unmap(t->space, BASE, SIZE), 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 0);
	__free_page(page);
}

/* ---- the stress ---------------------------------------------------------- */

#define AXD_PAGES	1024
#define AXD_WRITES	3000
#define AXD_HARVESTS	4096

struct axd_harvester {
	struct axd *t;
	unsigned long *maps;	/* AXD_HARVESTS bitmaps of AXD_PAGES */
	unsigned int n;
	atomic_t *running;
	long err;
};

static unsigned long *axd_map(unsigned long *maps, unsigned int k)
{
	return maps + (unsigned long)k * BITS_TO_LONGS(AXD_PAGES);
}

static int axd_writer_fn(void *arg)
{
	struct axd_vcpu *v = arg;
	struct axd *t = v->t;
	u32 seed = v->id * 7919 + 1;
	unsigned int i;

	for (i = 0; i < v->max; i++) {
		u32 page, e0;
		u64 gpa;
		int ret;

		seed = seed * 1103515245 + 12345;
		page = (seed >> 8) % AXD_PAGES;
		gpa = BASE + (u64)page * SZ_4K;
		e0 = atomic_read(&t->epoch);
		if ((seed >> 4) % 4 == 0) {
			u32 val = i;

			/* The VMM's copy, faulting lazy pages in. */
			ret = axas_write(t->space, gpa + (seed % 1000) * 4, &val,
					 sizeof(val), AXAS_COPY_FAULT);
		} else if ((seed >> 4) % 8 == 1) {
			/* A read: installs, or nothing. */
			ret = axas_fault(t->space, gpa, AXAS_ACCESS_READ);
			ret = ret < 0 ? ret : 0;
			if (!(i & 15))
				cond_resched();
			continue;
		} else {
			ret = axd_guest_write(t, v, gpa);
		}
		if (ret) {
			v->err = ret;
			break;
		}
		v->page[v->n] = page;
		v->e0[v->n] = e0;
		v->e1[v->n] = atomic_read(&t->epoch);
		v->n++;
		/* Let the harvester in, also on one CPU. */
		if (!(i & 31))
			usleep_range(20, 50);
		else
			cond_resched();
	}
	complete(&v->done);
	return 0;
}

/*
 * Writers write random pages of a lazy area (guest writes through a TLB
 * the flush invalidates, faults, and axas_write()), a harvester harvests
 * in chunks meanwhile. Harvest k runs while the epoch is k. A write done
 * between reading epoch e0 and epoch e1 must be in one of harvests e0 to
 * e1 + 1 (the final harvest, after the writers stopped, is the last).
 */
static void axas_dirty_stress(struct kunit *test)
{
	struct axd *t = test->priv;
	struct task_struct *tasks[AXD_WRITERS];
	unsigned long *maps, missed = 0, extra = 0, reported = 0;
	unsigned int i, j, k, n, done;
	unsigned long *written;

	maps = kvcalloc((size_t)(AXD_HARVESTS + 1) * BITS_TO_LONGS(AXD_PAGES),
			sizeof(long), GFP_KERNEL);
	written = kunit_kcalloc(test, BITS_TO_LONGS(AXD_PAGES), sizeof(long),
				GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, maps);
	KUNIT_ASSERT_NOT_NULL(test, written);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, AXD_PAGES * SZ_4K,
					     RW, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_dirty_log_start(t->space, BASE,
						   AXD_PAGES * SZ_4K, t->m->flags), 0);
	for (i = 0; i < AXD_WRITERS; i++) {
		struct axd_vcpu *v = &t->vcpus[i];

		v->t = t;
		v->id = i;
		v->max = AXD_WRITES;
		init_completion(&v->done);
		v->tlb_gen = kunit_kcalloc(test, AXD_PAGES, sizeof(long), GFP_KERNEL);
		v->page = kunit_kcalloc(test, AXD_WRITES, sizeof(u32), GFP_KERNEL);
		v->e0 = kunit_kcalloc(test, AXD_WRITES, sizeof(u32), GFP_KERNEL);
		v->e1 = kunit_kcalloc(test, AXD_WRITES, sizeof(u32), GFP_KERNEL);
		KUNIT_ASSERT_TRUE(test, v->tlb_gen && v->page && v->e0 && v->e1);
	}
	t->nr_vcpus = AXD_WRITERS;
	for (i = 0; i < AXD_WRITERS; i++) {
		tasks[i] = kthread_run(axd_writer_fn, &t->vcpus[i], "axd-w%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(tasks[i]));
	}
	/* Harvest in two chunks, while any writer runs. */
	for (k = 0; ; ) {
		for (done = 0, i = 0; i < AXD_WRITERS; i++)
			done += completion_done(&t->vcpus[i].done);
		if (done == AXD_WRITERS || k == AXD_HARVESTS)
			break;
		atomic_set(&t->epoch, k);
		n = AXD_PAGES / 2;
		KUNIT_ASSERT_GE(test, axas_dirty_log_get(t->space, BASE + n * SZ_4K,
							 n * SZ_4K, axd_map(maps, AXD_HARVESTS)), 0);
		bitmap_shift_left(axd_map(maps, AXD_HARVESTS), axd_map(maps, AXD_HARVESTS),
				  n, AXD_PAGES);
		KUNIT_ASSERT_GE(test, axas_dirty_log_get(t->space, BASE, n * SZ_4K,
							 axd_map(maps, k)), 0);
		bitmap_or(axd_map(maps, k), axd_map(maps, k),
			  axd_map(maps, AXD_HARVESTS), AXD_PAGES);
		k++;
		usleep_range(100, 200);
	}
	for (i = 0; i < AXD_WRITERS; i++)
		wait_for_completion(&t->vcpus[i].done);
	/* The last harvest, after every write. */
	atomic_set(&t->epoch, k);
	KUNIT_ASSERT_GE(test, axas_dirty_log_get(t->space, BASE, AXD_PAGES * SZ_4K,
						 axd_map(maps, k)), 0);
	n = k + 1;
	for (i = 0; i < AXD_WRITERS; i++) {
		struct axd_vcpu *v = &t->vcpus[i];

		KUNIT_EXPECT_EQ_MSG(test, v->err, 0, "writer %u", i);
		for (j = 0; j < v->n; j++) {
			bool seen = false;

			__set_bit(v->page[j], written);
			for (k = v->e0[j]; k <= v->e1[j] + 1 && k < n && !seen; k++)
				seen = test_bit(v->page[j], axd_map(maps, k));
			if (!seen && missed++ < 5)
				KUNIT_FAIL(test, "write %u of writer %u to page %u (epochs %u-%u) in no harvest",
					   j, i, v->page[j], v->e0[j], v->e1[j]);
		}
	}
	for (k = 0; k < n; k++)
		reported += bitmap_weight(axd_map(maps, k), AXD_PAGES);
	for (k = 0; k < n; k++)
		extra += bitmap_weight_andnot(axd_map(maps, k), written, AXD_PAGES);
	kunit_info(test, "%s: %u harvests, %lu pages reported, %lu missed writes, %lu reports of never-written pages, %ld flushes, %llu write-protection faults\n",
		   t->m->name, n, reported, missed, extra,
		   atomic_long_read(&t->flushes), axt_stats(t->space).faults_dirty);
	KUNIT_EXPECT_EQ(test, missed, 0);
	KUNIT_EXPECT_EQ(test, extra, 0);
	KUNIT_EXPECT_GT(test, n, 2);
	t->nr_vcpus = 0;
	kvfree(maps);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_stop(t->space), 0);
}

/* ---- precision: a random mix, every report against what was written ----- */

#define AXD_PR_LOG	(BASE + SZ_1M)
#define AXD_PR_LOG_END	(BASE + 30 * SZ_1M)
#define AXD_PR_PAGES	((32 * SZ_1M) >> PAGE_SHIFT)
#define AXD_PR_OPS	3000

struct axd_pr {
	struct axd *t;
	u32 seed;
	unsigned long *written;	/* content changed since its last report */
	unsigned long *bm;
	unsigned long ops[8];
	unsigned long reported, missed, extra;
	bool eager, linear;
};

static u32 axd_pr_rand(struct axd_pr *r, u32 n)
{
	r->seed = r->seed * 1103515245 + 12345;
	return (r->seed >> 8) % n;
}

static unsigned long axd_pr_page(u64 gpa)
{
	return (gpa - BASE) >> PAGE_SHIFT;
}

static void axd_pr_wrote(struct axd_pr *r, u64 gpa)
{
	if (gpa >= AXD_PR_LOG && gpa < AXD_PR_LOG_END)
		__set_bit(axd_pr_page(gpa), r->written);
}

/* A random page of the mapped areas, and of the alloc ones only. */
static u64 axd_pr_gpa(struct axd_pr *r, bool alloc)
{
	u64 end = BASE + (r->linear && !alloc ? 30 : r->eager ? 28 : 24) * SZ_1M;

	return BASE + (u64)axd_pr_rand(r, (end - BASE) >> PAGE_SHIFT) * SZ_4K;
}

/* Harvest [gpa, gpa + size) of the log and check it against the model. */
static void axd_pr_harvest(struct kunit *test, struct axd_pr *r, u64 gpa,
			   u64 size)
{
	unsigned long i, n = size >> PAGE_SHIFT, first = axd_pr_page(gpa);
	long got = axas_dirty_log_get(r->t->space, gpa, size, r->bm);

	KUNIT_ASSERT_GE(test, got, 0);
	for (i = 0; i < n; i++) {
		bool w = __test_and_clear_bit(first + i, r->written);
		bool rep = test_bit(i, r->bm);

		r->reported += rep;
		if (w && !rep && r->missed++ < 5)
			KUNIT_FAIL(test, "page %lx written, not reported (seed %u)",
				   first + i, r->seed);
		r->extra += rep && !w;
	}
}

static void axd_pr_step(struct kunit *test, struct axd_pr *r, unsigned int op)
{
	struct axas_space *space = r->t->space;
	struct axas_pt_leaf leaf;
	u64 gpa, size, v = op;
	unsigned int kind = axd_pr_rand(r, 100);
	int ret;

	if (kind < 40) {
		gpa = axd_pr_gpa(r, false);
		ret = axd_guest_write(r->t, &r->t->vcpus[0], gpa);
		KUNIT_ASSERT_TRUE_MSG(test, !ret || ret == -EACCES, "write %d", ret);
		if (!ret)
			axd_pr_wrote(r, gpa);
		r->ops[0]++;
	} else if (kind < 55) {
		ret = axas_fault(space, axd_pr_gpa(r, false), AXAS_ACCESS_READ);
		KUNIT_ASSERT_GE(test, ret, 0);
		r->ops[1]++;
	} else if (kind < 63) {
		gpa = axd_pr_gpa(r, false);
		KUNIT_ASSERT_EQ(test, axas_write(space, gpa, &v, sizeof(v),
						 AXAS_COPY_FAULT), 0);
		axd_pr_wrote(r, gpa);
		r->ops[2]++;
	} else if (kind < 68) {
		gpa = axd_pr_gpa(r, true);
		size = min_t(u64, (1 + axd_pr_rand(r, 256)) * SZ_4K,
			     BASE + (r->eager ? 28 : 24) * SZ_1M - gpa);
		KUNIT_ASSERT_EQ(test, axas_populate(space, gpa, size), 0);
		r->ops[3]++;
	} else if (kind < 73) {
		gpa = axd_pr_gpa(r, true);
		size = min_t(u64, (1 + axd_pr_rand(r, 64)) * SZ_4K,
			     BASE + (r->eager ? 28 : 24) * SZ_1M - gpa);
		/* Its content changes where a page was present. */
		for (v = gpa; v < gpa + size; v += SZ_4K)
			if (!axas_pt_query(&space->pt, v, &leaf))
				axd_pr_wrote(r, v);
		KUNIT_ASSERT_EQ(test, axas_discard(space, gpa, size), 0);
		r->ops[4]++;
	} else if (kind < 78) {
		gpa = axd_pr_gpa(r, true);
		size = min_t(u64, (1 + axd_pr_rand(r, 128)) * SZ_4K,
			     BASE + 24 * SZ_1M - gpa);
		if (gpa < BASE + 24 * SZ_1M)
			KUNIT_ASSERT_EQ(test, axas_protect(space, gpa, size,
					axd_pr_rand(r, 2) ? RW : AXAS_PROT_READ), 0);
		r->ops[5]++;
	} else {
		gpa = AXD_PR_LOG + (u64)axd_pr_rand(r, (AXD_PR_LOG_END - AXD_PR_LOG) >>
						  PAGE_SHIFT) * SZ_4K;
		size = min_t(u64, (1 + axd_pr_rand(r, 1024)) * SZ_4K,
			     AXD_PR_LOG_END - gpa);
		axd_pr_harvest(test, r, gpa, size);
		r->ops[6]++;
	}
}

/*
 * A random mix while logging over parts of three areas (lazy 4 KiB, lazy
 * 2 MiB, an eager 2 MiB one and a linear one mapped after logging
 * started): guest writes, reads, axas_write(), populate, discard, protect
 * and harvests of random sub-ranges. No write may be missed, and no page
 * be reported whose content did not change since its last report.
 */
static void axas_dirty_precision(struct kunit *test)
{
	struct axd *t = test->priv;
	struct axd_pr r = { .t = t, .seed = 0x5eed + t->m->format * 7 + t->m->wp };
	struct page *lin = alloc_pages(GFP_KERNEL | __GFP_ZERO, get_order(SZ_2M));
	unsigned int op;

	r.written = kunit_kcalloc(test, BITS_TO_LONGS(AXD_PR_PAGES), sizeof(long),
				  GFP_KERNEL);
	r.bm = kunit_kcalloc(test, BITS_TO_LONGS(AXD_PR_PAGES), sizeof(long),
			     GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, r.written && r.bm && lin);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_8M, RW, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE + SZ_8M, SZ_16M, RW,
					     SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, axas_populate(t->space, BASE + SZ_8M, SZ_4M), 0);
	KUNIT_ASSERT_EQ(test, axas_dirty_log_start(t->space, AXD_PR_LOG,
						   AXD_PR_LOG_END - AXD_PR_LOG,
						   t->m->flags), 0);
	for (op = 0; op < AXD_PR_OPS; op++) {
		if (op == 100) {
			KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE + 24 * SZ_1M,
							     SZ_4M, RW | AXAS_AREA_POPULATE,
							     SZ_2M), 0);
			r.eager = true;
		}
		if (op == 200) {
			KUNIT_ASSERT_EQ(test, axas_map_linear(t->space, BASE + 28 * SZ_1M,
							      page_to_phys(lin), SZ_2M,
							      RW | AXAS_AREA_HOST_RAM), 0);
			r.linear = true;
		}
		axd_pr_step(test, &r, op);
		if (!(op & 63))
			cond_resched();
	}
	axd_pr_harvest(test, &r, AXD_PR_LOG, AXD_PR_LOG_END - AXD_PR_LOG);
	kunit_info(test, "%s: %lu writes, %lu reads, %lu copies, %lu populates, %lu discards, %lu protects, %lu harvests: %lu pages reported, %lu never written, %lu writes missed\n",
		   t->m->name, r.ops[0], r.ops[1], r.ops[2], r.ops[3], r.ops[4],
		   r.ops[5], r.ops[6] + 1, r.reported, r.extra, r.missed);
	KUNIT_EXPECT_EQ(test, r.missed, 0);
	KUNIT_EXPECT_EQ(test, r.extra, 0);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_stop(t->space), 0);
	KUNIT_EXPECT_EQ(test, axas_unmap(t->space, BASE + 28 * SZ_1M, SZ_2M), 0);
	__free_pages(lin, get_order(SZ_2M));
}

/* ---- the table scan and the walk of marked pages, against query ---------- */

/*
 * A table of its own: 4 KiB leaves with holes over [1 GiB, +2 MiB), a 2 MiB
 * leaf after it, ten 4 KiB leaves in the next leaf table (a tail shorter
 * than eight), a 1 GiB leaf at 2 GiB and the table's last page.
 */
struct axd_pt {
	struct axas_pt pt;
	u64 last;
};

#define AXD_PT_A	((u64)SZ_1G)
#define AXD_PT_A_END	(AXD_PT_A + SZ_4M + 10 * SZ_4K)
#define AXD_PT_G	(2ULL * SZ_1G)

static int axd_pt_map(struct axas_pt *pt, u64 gpa, u64 size, u64 hpa,
		      unsigned long pgsizes)
{
	struct axas_pt_src src = { .pa = hpa };

	return axas_pt_map(pt, gpa, size, &src, RW, pgsizes, 0);
}

static void axd_pt_setup(struct kunit *test, struct axd_pt *p)
{
	const struct axd_mode *m = test->param_value;
	struct axt_fmt f;
	struct axas_pt_gather g;
	struct axas_pt_cfg cfg;
	unsigned int i;

	f = (struct axt_fmt){ m->name, m->format, m->levels };
	cfg = axt_pt_cfg_all(&f);
	if (m->ad)
		cfg.root_flags = AXAS_PT_ROOT_AD;
	KUNIT_ASSERT_EQ(test, axas_pt_init(&p->pt, &cfg), 0);
	KUNIT_ASSERT_EQ(test, axd_pt_map(&p->pt, AXD_PT_A, SZ_2M, SZ_4G, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axd_pt_map(&p->pt, AXD_PT_A + SZ_2M, SZ_2M,
					 SZ_4G + SZ_2M, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, axd_pt_map(&p->pt, AXD_PT_A + SZ_4M, 10 * SZ_4K,
					 SZ_4G + SZ_4M, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axd_pt_map(&p->pt, AXD_PT_G, SZ_1G, 8ULL * SZ_1G,
					 SZ_1G), 0);
	p->last = p->pt.gpa_limit - SZ_4K;
	KUNIT_ASSERT_EQ(test, axd_pt_map(&p->pt, p->last, SZ_4K, SZ_2G, SZ_4K), 0);
	/* Holes: one page, a run of eight aligned, one across an eight. */
	axas_pt_gather_init(&g);
	for (i = 0; i < 3; i++) {
		static const u64 hole[][2] = { { 5, 1 }, { 8, 8 }, { 300, 3 } };

		KUNIT_ASSERT_EQ(test, axas_pt_unmap(&p->pt, AXD_PT_A +
						    hole[i][0] * SZ_4K,
						    hole[i][1] * SZ_4K, NULL,
						    NULL, &g), 0);
	}
	axas_pt_gather_release(&g);
}

static void axd_pt_teardown(struct axd_pt *p)
{
	axas_pt_destroy(&p->pt, NULL, NULL);
}

/* The bit the scan tests, as query reports it; -1 when not mapped. */
static int axd_pt_bit(struct axd_pt *p, bool wp, u64 gpa)
{
	struct axas_pt_leaf leaf;

	if (axas_pt_query(&p->pt, gpa, &leaf))
		return -1;
	return wp ? !!(leaf.prot & AXAS_PROT_WRITE) : leaf.dirty;
}

/*
 * The window of a trial: the 4 KiB leaves, the 2 MiB leaf and the tail
 * (with @pad around them), the end of the 1 GiB leaf, or the table's end.
 */
static void axd_pt_window(const struct axd_pt *p, unsigned int trial, u64 pad,
			  u64 *lo, u64 *hi)
{
	switch (trial % 3) {
	case 0:
		*lo = AXD_PT_A - pad;
		*hi = AXD_PT_A_END + pad;
		break;
	case 1:
		*lo = AXD_PT_G + SZ_1G - SZ_4M;
		*hi = AXD_PT_G + SZ_1G + SZ_2M;
		break;
	default:
		*lo = p->last - SZ_2M;
		*hi = p->pt.gpa_limit;
		break;
	}
}

/* A random page-aligned range inside [lo, hi). */
static void axd_pt_range(u64 lo, u64 hi, u64 *s, u64 *e)
{
	u64 pages = (hi - lo) >> PAGE_SHIFT;
	u64 a = get_random_u32_below(pages), b = get_random_u32_below(pages);

	if (a > b)
		swap(a, b);
	*s = lo + (a << PAGE_SHIFT);
	*e = lo + ((b + 1) << PAGE_SHIFT);
}

/*
 * The scan, clearing, reports exactly the pages whose leaf had the bit
 * (a huge leaf all its pages in the range), clears it in those leaves
 * that lie inside the range, and leaves the others alone (outside the
 * range, or a huge leaf the range covers in part): random bits over
 * holes, tails shorter than eight entries, huge leaves and the table's
 * last page, random unaligned ranges.
 */
static void axas_dirty_scan_exact(struct kunit *test)
{
	const struct axd_mode *m = test->param_value;
	enum axas_scan_bit which = m->wp ? AXAS_SCAN_WRITABLE : AXAS_SCAN_DIRTY;
	const unsigned int win = 2048;
	struct axd_pt *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);
	unsigned long *bm, *want;
	s8 *before;
	unsigned int trial;
	bool ok;

	KUNIT_ASSERT_NOT_NULL(test, p);
	bm = kunit_kcalloc(test, BITS_TO_LONGS(win), sizeof(long), GFP_KERNEL);
	want = kunit_kcalloc(test, BITS_TO_LONGS(win), sizeof(long), GFP_KERNEL);
	before = kunit_kcalloc(test, win, 1, GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, bm && want && before);
	axd_pt_setup(test, p);
	for (trial = 0; trial < 300; trial++) {
		struct axas_pt_gather g;
		u64 lo, hi, s, e, gpa;
		unsigned int i, n;
		long got;

		axd_pt_window(p, trial, 0, &lo, &hi);
		n = (hi - lo) >> PAGE_SHIFT;
		/* The bit in some leaves: both clear first, then random. */
		axas_pt_gather_init(&g);
		axas_pt_scan(&p->pt, lo, hi - lo, which, AXAS_SCAN_CLEAR, NULL,
			     lo, &g);
		for (i = 0; i < n; i++)
			if (!get_random_u32_below(trial % 7 + 2))
				axas_pt_scan(&p->pt, lo + ((u64)i << PAGE_SHIFT),
					     SZ_4K, which, AXAS_SCAN_SET, NULL,
					     0, NULL);
		for (i = 0; i < n; i++)
			before[i] = axd_pt_bit(p, m->wp, lo + ((u64)i << PAGE_SHIFT));
		axd_pt_range(lo, hi, &s, &e);
		bitmap_zero(want, win);
		bitmap_fill(bm, win);
		bitmap_zero(bm, (e - s) >> PAGE_SHIFT);
		for (gpa = s; gpa < e; gpa += SZ_4K)
			if (before[(gpa - lo) >> PAGE_SHIFT] == 1)
				__set_bit((gpa - s) >> PAGE_SHIFT, want);
		got = axas_pt_scan(&p->pt, s, e - s, which, AXAS_SCAN_CLEAR, bm,
				   s, &g);
		axas_pt_gather_release(&g);
		ok = got == (long)bitmap_weight(want, (e - s) >> PAGE_SHIFT) &&
		     bitmap_equal(bm, want, (e - s) >> PAGE_SHIFT);
		KUNIT_EXPECT_TRUE_MSG(test, ok,
				      "trial %u [%llx, %llx): %ld pages reported",
				      trial, s, e, got);
		if (!ok)
			goto out;
		for (i = 0; i < n; i++) {
			struct axas_pt_leaf leaf;
			int now;

			gpa = lo + ((u64)i << PAGE_SHIFT);
			if (axas_pt_query(&p->pt, gpa, &leaf))
				continue;
			now = axd_pt_bit(p, m->wp, gpa);
			if (leaf.gpa >= s && leaf.gpa + leaf.size <= e) {
				ok = now != 1;
				KUNIT_EXPECT_TRUE_MSG(test, ok,
						      "trial %u: %llx not cleared",
						      trial, gpa);
				if (!ok)
					goto out;
				continue;
			}
			/* Outside, or in a leaf the range covers in part. */
			ok = now == before[i];
			KUNIT_EXPECT_TRUE_MSG(test, ok,
					      "trial %u: %llx of the %llx leaf at %llx, range [%llx, %llx), changed",
					      trial, gpa, leaf.size, leaf.gpa, s, e);
			if (!ok)
				goto out;
		}
	}
out:
	axd_pt_teardown(p);
}

struct axd_marked {
	u64 *gpa;
	phys_addr_t *hpa;
	unsigned int n;
	unsigned int max;
};

static void axd_marked_fn(void *arg, u64 gpa, phys_addr_t hpa)
{
	struct axd_marked *w = arg;

	if (w->n < w->max) {
		w->gpa[w->n] = gpa;
		w->hpa[w->n] = hpa;
	}
	w->n++;
}

/*
 * The walk of marked pages calls back for exactly the marked pages of the
 * range that a leaf maps, in GPA order, with the HPA query gives: random
 * bitmaps (bits outside the range set too, a bitmap base below the
 * range), holes, tails, huge leaves and the table's last page.
 */
static void axas_dirty_walk_marked(struct kunit *test)
{
	const unsigned int max = 2048, pad = 100;
	struct axd_pt *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);
	struct axd_marked w = { .max = max };
	unsigned long *bm;
	unsigned int trial;
	bool ok;

	KUNIT_ASSERT_NOT_NULL(test, p);
	bm = kunit_kcalloc(test, BITS_TO_LONGS(max + 2 * pad), sizeof(long),
			   GFP_KERNEL);
	w.gpa = kunit_kcalloc(test, max, sizeof(u64), GFP_KERNEL);
	w.hpa = kunit_kcalloc(test, max, sizeof(phys_addr_t), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, bm && w.gpa && w.hpa);
	axd_pt_setup(test, p);
	for (trial = 0; trial < 300; trial++) {
		u64 lo, hi, s, e, base, gpa;
		unsigned int i, k = 0, nbits;

		axd_pt_window(p, trial, 8 * SZ_4K, &lo, &hi);
		axd_pt_range(lo, hi, &s, &e);
		if ((e - s) >> PAGE_SHIFT > max)
			e = s + ((u64)max << PAGE_SHIFT);
		base = s - ((u64)min_t(u64, get_random_u32_below(pad),
				      s >> PAGE_SHIFT) << PAGE_SHIFT);
		nbits = ((e - base) >> PAGE_SHIFT) + pad;
		bitmap_zero(bm, max + 2 * pad);
		for (i = 0; i < nbits; i++)
			if (!get_random_u32_below(trial % 5 + 1))
				__set_bit(i, bm);
		w.n = 0;
		ok = !axas_pt_walk_marked(&p->pt, s, e - s, bm, base,
					  axd_marked_fn, &w);
		KUNIT_EXPECT_TRUE_MSG(test, ok, "trial %u: walk failed", trial);
		if (!ok)
			goto out;
		for (gpa = s; gpa < e; gpa += SZ_4K) {
			struct axas_pt_leaf leaf;

			if (!test_bit((gpa - base) >> PAGE_SHIFT, bm) ||
			    axas_pt_query(&p->pt, gpa, &leaf))
				continue;
			ok = k < min(w.n, w.max) && w.gpa[k] == gpa;
			KUNIT_EXPECT_TRUE_MSG(test, ok,
					      "trial %u [%llx, %llx): %llx missed",
					      trial, s, e, gpa);
			if (!ok)
				goto out;
			ok = w.hpa[k] == leaf.hpa + (gpa - leaf.gpa);
			KUNIT_EXPECT_TRUE_MSG(test, ok, "trial %u: %llx at %llx",
					      trial, gpa, (u64)w.hpa[k]);
			if (!ok)
				goto out;
			k++;
		}
		ok = w.n == k;
		KUNIT_EXPECT_TRUE_MSG(test, ok,
				      "trial %u [%llx, %llx): %u calls, %u marked",
				      trial, s, e, w.n, k);
		if (!ok)
			goto out;
	}
out:
	axd_pt_teardown(p);
}

static struct kunit_case axas_dirty_cases[] = {
	KUNIT_CASE_PARAM(axas_dirty_exact, axd_mode_gen_params),
	KUNIT_CASE_PARAM(axas_dirty_faults_protect_discard, axd_mode_gen_params),
	KUNIT_CASE_PARAM(axas_dirty_huge_while_logging, axd_mode_gen_params),
	KUNIT_CASE_PARAM(axas_dirty_age_huge_part, axd_mode_gen_params),
	KUNIT_CASE_PARAM(axas_dirty_protect_while_logging, axd_mode_gen_params),
	KUNIT_CASE_PARAM(axas_dirty_errors, axd_mode_gen_params),
	KUNIT_CASE_PARAM(axas_dirty_age, axd_mode_gen_params),
	KUNIT_CASE_PARAM(axas_dirty_discard, axd_mode_gen_params),
	KUNIT_CASE_PARAM(axas_dirty_stress, axd_mode_gen_params),
	KUNIT_CASE_PARAM(axas_dirty_precision, axd_mode_gen_params),
	KUNIT_CASE_PARAM(axas_dirty_scan_exact, axd_mode_gen_params),
	KUNIT_CASE_PARAM(axas_dirty_walk_marked, axd_mode_gen_params),
	{}
};

static struct kunit_suite axas_dirty_suite = {
	.name = "axas_dirty",
	.init = axd_init,
	.exit = axd_exit,
	.test_cases = axas_dirty_cases,
};

kunit_test_suites(&axas_dirty_suite);
