// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of snapshot and restore: random guest writes (through the
 * table, as a vCPU does, and through axas_write()) and discards against a
 * model across many snapshot/restore cycles, every page checked after each
 * restore, and the pages a restore touched counted against the pages
 * written since; the refusal after a layout change; the frame cap;
 * allocation failures injected at each frame and table-page allocation of
 * take and restore; pins of restored pages and the order of their
 * callbacks and the flushes; an area not 2 MiB aligned; shutdown freeing
 * the snapshot.
 */
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <axas/axas.h>
#include <axas/compat.h>

#include "../features/features.h"
#include "../npt/fmt.h"
#include "axas_test.h"

#define RW	(AXAS_PROT_READ | AXAS_PROT_WRITE)
#define BASE	((u64)SZ_1G)
#define SIZE	((u64)SZ_16M)
/* A lazy 4 KiB area, then an eager 2 MiB one. */
#define LAZY	BASE
#define LAZY_SZ	((u64)SZ_4M)
#define EAGER	(BASE + SZ_8M)
#define EAGER_SZ ((u64)SZ_2M)
#define NPAGES	((LAZY_SZ + EAGER_SZ) >> PAGE_SHIFT)

struct axs_mode {
	const char *name;
	enum axas_pt_format format;
	bool ad;	/* EPT: A/D flags in the EPTP */
	bool wp;	/* write-protection expected */
};

static const struct axs_mode axs_modes[] = {
	{ "ept4-ad", AXAS_PT_EPT, true, false },
	{ "ept4-wp", AXAS_PT_EPT, false, true },
	{ "npt4-d", AXAS_PT_NPT, false, false },
};

static void axs_mode_desc(const struct axs_mode *m, char *desc)
{
	strscpy(desc, m->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(axs_mode, axs_modes, axs_mode_desc);

/* The model: per page, the byte it is filled with (0: zero or absent). */
struct axs {
	const struct axs_mode *m;
	struct axas_space *space;
	struct axas_space_cfg cfg;
	long tables_base;
	unsigned long flushes;
	u64 flush_gpa, flush_size;	/* the last flush's range */
	u8 cur[NPAGES];
	bool present[NPAGES];
	u8 snap[NPAGES];
	bool snap_present[NPAGES];
	bool touched[NPAGES];
	/* axas_frames_alloc() fails at this call (0: never). */
	unsigned int calls;
	unsigned int fail_at;
	/* axas_pt_alloc_page() likewise. */
	unsigned int table_calls;
	unsigned int table_fail_at;
	unsigned int pin_calls;
	u8 *buf;
};

static void axs_flush(void *cookie, u64 gpa, u64 size)
{
	struct axs *t = cookie;

	t->flushes++;
	t->flush_gpa = gpa;
	t->flush_size = size;
}

static u64 axs_gpa(unsigned int i)
{
	return i < (LAZY_SZ >> PAGE_SHIFT) ? LAZY + ((u64)i << PAGE_SHIFT) :
	       EAGER + ((u64)i << PAGE_SHIFT) - LAZY_SZ;
}

static int axs_setup(struct axs *t, unsigned long max_frames)
{
	struct axt_fmt f = { t->m->name, t->m->format, 4 };
	unsigned int i;
	int ret;

	t->cfg = (struct axas_space_cfg) {
		.name = "kunit-snapshot", .base = BASE, .size = SIZE,
		.flush = axs_flush, .cookie = t, .max_frames = max_frames,
	};
	t->cfg.pt = axt_pt_cfg_all(&f);
	if (t->m->ad)
		t->cfg.pt.root_flags = AXAS_PT_ROOT_AD;
	t->space = axas_space_create(&t->cfg);
	if (IS_ERR(t->space)) {
		ret = PTR_ERR(t->space);
		t->space = NULL;
		return ret;
	}
	ret = axas_map_alloc(t->space, LAZY, LAZY_SZ, RW, SZ_4K);
	if (!ret)
		ret = axas_map_alloc(t->space, EAGER, EAGER_SZ,
				     RW | AXAS_AREA_POPULATE, SZ_2M);
	memset(t->cur, 0, sizeof(t->cur));
	memset(t->present, 0, sizeof(t->present));
	for (i = LAZY_SZ >> PAGE_SHIFT; i < NPAGES; i++)
		t->present[i] = true;
	return ret;
}

static int axs_init(struct kunit *test)
{
	struct axs *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	if (!t)
		return -ENOMEM;
	t->m = test->param_value ?: &axs_modes[0];
	t->buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	if (!t->buf)
		return -ENOMEM;
	t->tables_base = axt_live_tables();
	test->priv = t;
	return 0;
}

static void axs_exit(struct kunit *test)
{
	struct axs *t = test->priv;

	if (!t)
		return;
	axt_space_destroy(test, t->space, t->tables_base);
}

/*
 * A vCPU's write of a whole page: through the table when the leaf allows
 * it (setting the dirty flag, as the CPU does under dirty flags), else the
 * exit and axas_fault().
 */
static int axs_guest_write_gpa(struct axs *t, u64 gpa, u8 v)
{
	struct axas_pt_leaf leaf;
	int ret;

	for (;;) {
		if (!axas_pt_query(&t->space->pt, gpa, &leaf) &&
		    (leaf.prot & AXAS_PROT_WRITE)) {
			struct page *page = pfn_to_page(PHYS_PFN(leaf.hpa +
								 (gpa - leaf.gpa)));
			void *va;

			if (!t->m->wp)
				axas_pt_scan(&t->space->pt, gpa, PAGE_SIZE,
					     AXAS_SCAN_DIRTY, AXAS_SCAN_SET,
					     NULL, 0, NULL);
			va = kmap_local_page(page);
			memset(va, v, PAGE_SIZE);
			kunmap_local(va);
			return 0;
		}
		ret = axas_fault(t->space, gpa, AXAS_ACCESS_WRITE);
		if (ret < 0)
			return ret;
	}
}

static int axs_guest_write(struct axs *t, unsigned int i, u8 v)
{
	return axs_guest_write_gpa(t, axs_gpa(i), v);
}

/* The next non-zero fill byte. */
static u8 axs_next(u8 *v)
{
	if (!++*v)
		++*v;
	return *v;
}

/* Write page @i with @v, one way or the other; the model follows. */
static int axs_write(struct axs *t, unsigned int i, u8 v, bool vcpu)
{
	int ret;

	if (vcpu) {
		ret = axs_guest_write(t, i, v);
	} else {
		memset(t->buf, v, PAGE_SIZE);
		ret = axas_write(t->space, axs_gpa(i), t->buf, PAGE_SIZE,
				 AXAS_COPY_FAULT);
	}
	if (ret)
		return ret;
	t->cur[i] = v;
	t->present[i] = true;
	t->touched[i] = true;
	return 0;
}

static int axs_discard(struct axs *t, unsigned int i)
{
	int ret = axas_discard(t->space, axs_gpa(i), PAGE_SIZE);

	if (ret)
		return ret;
	t->cur[i] = 0;
	t->present[i] = false;
	t->touched[i] = true;
	return 0;
}

static void axs_take(struct kunit *test, struct axs *t)
{
	KUNIT_ASSERT_EQ(test, axas_snapshot_take(t->space), 0);
	memcpy(t->snap, t->cur, sizeof(t->snap));
	memcpy(t->snap_present, t->present, sizeof(t->present));
	memset(t->touched, 0, sizeof(t->touched));
}

/* Pages the next restore must copy back or unmap. */
static long axs_expected(const struct axs *t)
{
	unsigned int i;
	long n = 0;

	for (i = 0; i < NPAGES; i++)
		if (t->touched[i] && (t->snap_present[i] || t->present[i]))
			n++;
	return n;
}

/* After a restore: the model is the snapshot again. */
static void axs_restored(struct axs *t)
{
	unsigned int i;

	for (i = 0; i < NPAGES; i++) {
		t->cur[i] = t->snap[i];
		/* Absent at snapshot time and written since: unmapped. */
		if (t->touched[i])
			t->present[i] = t->snap_present[i];
	}
	memset(t->touched, 0, sizeof(t->touched));
}

/* Every page as the model says; returns how many differ. */
static unsigned int axs_check(struct kunit *test, struct axs *t)
{
	unsigned int i, bad = 0;

	for (i = 0; i < NPAGES; i++) {
		int ret = axas_read(t->space, axs_gpa(i), t->buf, PAGE_SIZE, 0);

		/* Not installed, or (unmapped) no area. */
		if (ret == -ENODATA || ret == -ENOENT) {
			if (t->present[i] || t->cur[i])
				bad++;
			continue;
		}
		if (ret || !t->present[i] ||
		    memchr_inv(t->buf, t->cur[i], PAGE_SIZE))
			bad++;
	}
	KUNIT_EXPECT_EQ(test, bad, 0);
	return bad;
}

static unsigned long axs_present(const bool *present)
{
	unsigned int i;
	unsigned long n = 0;

	for (i = 0; i < NPAGES; i++)
		n += present[i];
	return n;
}

/*
 * Random writes and discards between restores, 40 cycles: after each
 * restore every page holds its snapshot content (absent again where it
 * was absent), and the restore touched exactly the pages written or
 * discarded since (never the guest's size).
 */
static void axs_random(struct kunit *test)
{
	struct axs *t = test->priv;
	unsigned int cycle, i;
	u8 v = 1;

	KUNIT_ASSERT_EQ(test, axs_setup(t, 0), 0);
	for (i = 0; i < NPAGES / 3; i++)
		KUNIT_ASSERT_EQ(test, axs_write(t, get_random_u32_below(NPAGES),
						axs_next(&v), i & 1), 0);
	axs_take(test, t);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).snapshot_frames,
			axs_present(t->snap_present));
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, axs_present(t->present));
	for (cycle = 0; cycle < 40; cycle++) {
		unsigned int n = get_random_u32_below(NPAGES / 8) + 1;
		long exp, got;

		for (i = 0; i < n; i++) {
			unsigned int p = get_random_u32_below(NPAGES);

			if (get_random_u32_below(8) == 0)
				KUNIT_ASSERT_EQ(test, axs_discard(t, p), 0);
			else
				KUNIT_ASSERT_EQ(test, axs_write(t, p, axs_next(&v),
							       get_random_u32_below(2)),
						0);
		}
		exp = axs_expected(t);
		got = axas_snapshot_restore(t->space);
		KUNIT_ASSERT_EQ_MSG(test, got, exp, "cycle %u", cycle);
		KUNIT_ASSERT_LE(test, got, (long)n);
		axs_restored(t);
		if (axs_check(test, t))
			return;
		KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames,
				axs_present(t->present));
		/* Nothing written since: nothing to do. */
		KUNIT_EXPECT_EQ(test, axas_snapshot_restore(t->space), 0);
	}
	KUNIT_EXPECT_EQ(test, axas_snapshot_drop(t->space), 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).snapshot_frames, 0);
	axs_check(test, t);
}

/*
 * The cost: 1% of the guest written, the restore copies those pages and
 * nothing else, whatever the guest's size.
 */
static void axs_cost(struct kunit *test)
{
	struct axs *t = test->priv;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, axs_setup(t, 0), 0);
	for (i = 0; i < NPAGES; i++)
		KUNIT_ASSERT_EQ(test, axs_write(t, i, 0x5a, true), 0);
	axs_take(test, t);
	for (i = 0; i < NPAGES; i += 100)
		KUNIT_ASSERT_EQ(test, axs_write(t, i, 0xa5, i & 1), 0);
	KUNIT_EXPECT_EQ(test, axas_snapshot_restore(t->space),
			(long)DIV_ROUND_UP(NPAGES, 100));
	axs_restored(t);
	axs_check(test, t);
}

/* Discarded pages come back with their content, in both kinds of area. */
static void axs_discarded(struct axs *t, struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < NPAGES; i += 7)
		KUNIT_ASSERT_EQ(test, axs_discard(t, i), 0);
	KUNIT_EXPECT_EQ(test, axas_snapshot_restore(t->space),
			axs_expected(t));
	axs_restored(t);
	axs_check(test, t);
}

static void axs_discard_restore(struct kunit *test)
{
	struct axs *t = test->priv;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, axs_setup(t, 0), 0);
	for (i = 0; i < NPAGES; i += 2)
		KUNIT_ASSERT_EQ(test, axs_write(t, i, i | 1, true), 0);
	axs_take(test, t);
	axs_discarded(t, test);
	/* And again, after the guest wrote the restored pages. */
	for (i = 0; i < NPAGES; i += 5)
		KUNIT_ASSERT_EQ(test, axs_write(t, i, 0xee, false), 0);
	axs_discarded(t, test);
}

/*
 * A layout change after the snapshot refuses the restore with -ESTALE,
 * and changes nothing; discard is none. A new snapshot restores again.
 */
static void axs_layout(struct kunit *test)
{
	struct axs *t = test->priv;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, axs_setup(t, 0), 0);
	for (i = 0; i < NPAGES; i += 3)
		KUNIT_ASSERT_EQ(test, axs_write(t, i, 0x11, true), 0);
	axs_take(test, t);
	KUNIT_ASSERT_EQ(test, axs_write(t, 3, 0x22, true), 0);
	KUNIT_ASSERT_EQ(test, axas_unmap(t->space, BASE + SZ_2M, SZ_2M), 0);
	for (i = SZ_2M >> PAGE_SHIFT; i < LAZY_SZ >> PAGE_SHIFT; i++) {
		t->cur[i] = 0;
		t->present[i] = false;
	}
	KUNIT_EXPECT_EQ(test, axas_snapshot_restore(t->space), -ESTALE);
	/* Nothing changed: page 3 still holds what was written. */
	axs_check(test, t);
	KUNIT_EXPECT_EQ(test, axas_map_alloc(t->space, BASE + SZ_2M, SZ_2M, RW,
					     SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, axas_snapshot_restore(t->space), -ESTALE);
	KUNIT_EXPECT_EQ(test, axas_snapshot_drop(t->space), 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).snapshot_frames, 0);
	axs_take(test, t);
	KUNIT_EXPECT_EQ(test, axas_protect(t->space, LAZY, SZ_4K, RW), 0);
	KUNIT_EXPECT_EQ(test, axas_snapshot_restore(t->space), -ESTALE);
	KUNIT_EXPECT_EQ(test, axas_snapshot_drop(t->space), 0);
	axs_take(test, t);
	for (i = 0; i < NPAGES; i += 4)
		KUNIT_ASSERT_EQ(test, axs_write(t, i, 0x33, i & 4), 0);
	KUNIT_EXPECT_EQ(test, axas_snapshot_restore(t->space), axs_expected(t));
	axs_restored(t);
	axs_check(test, t);
}

/* The errors; a snapshot beside the VMM's dirty log. */
static void axs_errors(struct kunit *test)
{
	struct axs *t = test->priv;
	unsigned long bm[1];

	KUNIT_ASSERT_EQ(test, axs_setup(t, 0), 0);
	KUNIT_EXPECT_EQ(test, axas_snapshot_restore(t->space), -ESRCH);
	KUNIT_EXPECT_EQ(test, axas_snapshot_drop(t->space), -ESRCH);
	KUNIT_ASSERT_EQ(test, axas_dirty_log_start(t->space, LAZY, SZ_4K, 0), 0);
	axs_take(test, t);
	KUNIT_EXPECT_EQ(test, axas_snapshot_take(t->space), -EBUSY);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_start(t->space, LAZY, SZ_4K, 0),
			-EBUSY);
	KUNIT_ASSERT_EQ(test, axas_dirty_log_stop(t->space), 0);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_stop(t->space), -ESRCH);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_get(t->space, LAZY, SZ_4K, bm),
			-ESRCH);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_clear(t->space, LAZY, SZ_4K),
			-ESRCH);
	/* The snapshot's mechanism is the table's: not the other one. */
	if (!t->m->wp)
		KUNIT_EXPECT_EQ(test, axas_dirty_log_start(t->space, LAZY, SZ_4K,
							   AXAS_DIRTY_WP), -EBUSY);
	KUNIT_ASSERT_EQ(test, axas_dirty_log_start(t->space, LAZY, SZ_4K, 0), 0);
	KUNIT_EXPECT_EQ(test, axas_snapshot_restore(t->space), 0);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_get(t->space, LAZY, SZ_4K, bm), 0);
	/* Shutdown frees it. */
	axas_space_shutdown(t->space);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).snapshot_frames, 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 0);
	KUNIT_EXPECT_EQ(test, axas_snapshot_restore(t->space), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axas_snapshot_drop(t->space), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axas_snapshot_take(t->space), -ESHUTDOWN);
}

/* The VMM's log over both areas and the hole between them. */
#define LOG_SZ	(EAGER + EAGER_SZ - LAZY)
#define LOG_PAGES (LOG_SZ >> PAGE_SHIFT)

/* Page @i's bit in a bitmap of the VMM's log. */
static unsigned long axs_log_bit(unsigned int i)
{
	return (axs_gpa(i) - LAZY) >> PAGE_SHIFT;
}

/*
 * The VMM's harvest against @vdirty (the pages the model says were written
 * since the last one), which it clears: how many pages differ.
 */
static unsigned int axs_harvest(struct kunit *test, struct axs *t, bool *vdirty,
				unsigned long *bm)
{
	unsigned int i, bad = 0;
	long got = axas_dirty_log_get(t->space, LAZY, LOG_SZ, bm);
	long want = 0;

	for (i = 0; i < NPAGES; i++) {
		want += vdirty[i];
		if (test_bit(axs_log_bit(i), bm) != vdirty[i])
			bad++;
		vdirty[i] = false;
	}
	KUNIT_EXPECT_EQ(test, got, want);
	return bad;
}

/* Do the eager area's 512 pages map one aligned 2 MiB run of frames? */
static unsigned long axs_eager_lines_up(struct axs *t)
{
	phys_addr_t first, hpa;
	unsigned int i;

	if (axas_translate_hpa(t->space, EAGER, &first) ||
	    !IS_ALIGNED(first, SZ_2M))
		return 0;
	for (i = 1; i < EAGER_SZ >> PAGE_SHIFT; i++)
		if (axas_translate_hpa(t->space, EAGER + i * SZ_4K, &hpa) ||
		    hpa != first + i * SZ_4K)
			return 0;
	return 1;
}

/*
 * A snapshot while the VMM's dirty log runs, as a migration's pre-copy
 * and incremental snapshots do: random writes (through the table and
 * axas_write()), discards, harvests and restores in any order, the log
 * started before the snapshot or after it, either stopped while the other
 * runs. Each harvest reports exactly the pages written, discarded or
 * restored since the last (whoever took the table's marks first), and
 * each restore brings back exactly the snapshot, touching only the pages
 * written or discarded since.
 */
static void axs_with_log(struct kunit *test)
{
	struct axs *t = test->priv;
	unsigned long *bm = kunit_kcalloc(test, BITS_TO_LONGS(LOG_PAGES),
					  sizeof(long), GFP_KERNEL);
	bool *vdirty = kunit_kzalloc(test, NPAGES, GFP_KERNEL);
	unsigned int round, i, bad = 0;
	bool logging, snapshot;
	u8 v = 1;

	KUNIT_ASSERT_NOT_NULL(test, bm);
	KUNIT_ASSERT_NOT_NULL(test, vdirty);
	KUNIT_ASSERT_EQ(test, axs_setup(t, 0), 0);
	for (round = 0; round < 60; round++) {
		unsigned int n = get_random_u32_below(NPAGES / 8) + 1;

		logging = t->space->logs[AXAS_LOG_VMM];
		snapshot = t->space->snap;
		/* Every few rounds one of the two goes or comes. */
		if (round % 10 == 0) {
			if (!logging) {
				KUNIT_ASSERT_EQ(test, axas_dirty_log_start(t->space,
									   LAZY, LOG_SZ, 0), 0);
				memset(vdirty, 0, NPAGES);
			} else if (!snapshot) {
				axs_take(test, t);
			} else if (round % 20) {
				KUNIT_ASSERT_EQ(test, axas_snapshot_drop(t->space), 0);
			} else {
				KUNIT_ASSERT_EQ(test, axas_dirty_log_stop(t->space), 0);
			}
			logging = t->space->logs[AXAS_LOG_VMM];
			snapshot = t->space->snap;
		}
		for (i = 0; i < n; i++) {
			unsigned int p = get_random_u32_below(NPAGES);

			if (get_random_u32_below(8) == 0) {
				if (t->present[p])
					vdirty[p] = true;
				KUNIT_ASSERT_EQ(test, axs_discard(t, p), 0);
			} else {
				KUNIT_ASSERT_EQ(test, axs_write(t, p, axs_next(&v),
							       get_random_u32_below(2)), 0);
				vdirty[p] = true;
			}
		}
		if (snapshot && get_random_u32_below(2)) {
			long exp = axs_expected(t);

			for (i = 0; i < NPAGES; i++)
				if (t->touched[i] && (t->snap_present[i] || t->present[i]))
					vdirty[i] = true;
			KUNIT_EXPECT_EQ(test, axas_snapshot_restore(t->space), exp);
			axs_restored(t);
			bad += axs_check(test, t);
		}
		if (logging && get_random_u32_below(3))
			bad += axs_harvest(test, t, vdirty, bm);
		if (bad)
			break;
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "round %u", round);
	if (t->space->snap)
		KUNIT_EXPECT_EQ(test, axas_snapshot_drop(t->space), 0);
	if (t->space->logs[AXAS_LOG_VMM])
		KUNIT_EXPECT_EQ(test, axas_dirty_log_stop(t->space), 0);
	/*
	 * Both gone: the eager area's huge leaf is back if its frames still
	 * line up (a page discarded and faulted in again has a new frame).
	 */
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).leaves[1], axs_eager_lines_up(t));
	axs_check(test, t);
}

/* No alloc area: nothing to save. */
static void axs_no_alloc(struct kunit *test)
{
	struct axs *t = test->priv;
	struct axt_fmt f = { t->m->name, t->m->format, 4 };

	t->cfg = (struct axas_space_cfg) {
		.name = "kunit-snapshot", .base = BASE, .size = SIZE,
		.flush = axs_flush, .cookie = t,
	};
	t->cfg.pt = axt_pt_cfg_all(&f);
	t->space = axas_space_create(&t->cfg);
	KUNIT_ASSERT_FALSE(test, IS_ERR(t->space));
	KUNIT_EXPECT_EQ(test, axas_snapshot_take(t->space), -ENOENT);
}

/* The snapshot's pages count against the frame cap. */
static void axs_cap(struct kunit *test)
{
	struct axs *t = test->priv;
	unsigned long used;
	unsigned int i;

	/*
	 * The eager area's 512 frames and 100 more do not fit twice; 356
	 * pages and their 356 saved leave room for 50.
	 */
	KUNIT_ASSERT_EQ(test, axs_setup(t, 2 * 356 + 50), 0);
	for (i = 0; i < 100; i++)
		KUNIT_ASSERT_EQ(test, axs_write(t, i, 7, true), 0);
	used = axt_stats(t->space).frames;
	KUNIT_EXPECT_EQ(test, axas_snapshot_take(t->space), -ENOMEM);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, used);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).snapshot_frames, 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->space->frames.held), (long)used);
	axs_check(test, t);
	/* Give the eager area back: now it fits. */
	KUNIT_ASSERT_EQ(test, axas_unmap(t->space, EAGER, EAGER_SZ), 0);
	for (i = LAZY_SZ >> PAGE_SHIFT; i < NPAGES; i++) {
		t->present[i] = false;
		t->cur[i] = 0;
	}
	for (i = 100; i < 356; i++)
		KUNIT_ASSERT_EQ(test, axs_write(t, i, 9, true), 0);
	axs_take(test, t);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).snapshot_frames, 356);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->space->frames.held), 712);
	/* Only 50 frames left for the guest. */
	for (i = 356; i < 406; i++)
		KUNIT_ASSERT_EQ(test, axs_write(t, i, 8, true), 0);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, axs_gpa(406),
					 AXAS_ACCESS_WRITE), -ENOMEM);
	KUNIT_EXPECT_EQ(test, axas_snapshot_restore(t->space), 50);
	axs_restored(t);
	axs_check(test, t);
}

/* Frames as the real allocator gives them, failing at one call. */
static unsigned long axs_frames_alloc(unsigned int order, unsigned long nr,
				      struct page **pages, int node,
				      gfp_t node_gfp)
{
	struct axs *t = kunit_get_current_test()->priv;
	unsigned long i;

	for (i = 0; i < nr; i++) {
		if (++t->calls == t->fail_at)
			break;
		pages[i] = alloc_pages(GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN,
				       order);
		if (!pages[i])
			break;
		if (order)
			split_page(pages[i], order);
	}
	return i;
}

/* Table pages as the real allocator gives them, failing at one call. */
static struct page *axs_table_alloc(gfp_t gfp, int node)
{
	struct axs *t = kunit_get_current_test()->priv;

	if (++t->table_calls == t->table_fail_at)
		return NULL;
	return alloc_page(gfp);
}

/*
 * Take fails at each of its table-page allocations (the split of the 2 MiB
 * leaf) in turn: -ENOMEM, no snapshot, nothing charged, no table page
 * more than before; then succeeds.
 */
static void axs_take_fail_tables(struct kunit *test)
{
	struct axs *t = test->priv;
	unsigned int i, n;
	unsigned long used;
	long tables;

	KUNIT_ASSERT_EQ(test, axs_setup(t, 0), 0);
	for (i = 0; i < 40; i++)
		KUNIT_ASSERT_EQ(test, axs_write(t, i * 3, i + 1, true), 0);
	used = axt_stats(t->space).frames;
	tables = axt_live_tables();
	kunit_activate_static_stub(test, axas_pt_alloc_page, axs_table_alloc);
	for (n = 1; ; n++) {
		int ret;

		t->table_calls = 0;
		t->table_fail_at = n;
		ret = axas_snapshot_take(t->space);
		if (!ret)
			break;
		KUNIT_ASSERT_EQ(test, ret, -ENOMEM);
		KUNIT_ASSERT_EQ(test, t->table_calls, n);
		KUNIT_ASSERT_EQ(test, axt_stats(t->space).frames, used);
		KUNIT_ASSERT_EQ(test, axt_stats(t->space).snapshot_frames, 0);
		KUNIT_ASSERT_EQ(test, axt_live_tables(), tables);
		KUNIT_ASSERT_EQ(test, axas_snapshot_restore(t->space), -ESRCH);
		KUNIT_ASSERT_LT(test, n, 16U);
	}
	kunit_deactivate_static_stub(test, axas_pt_alloc_page);
	/* The eager area's 2 MiB leaf needs one table to be split. */
	KUNIT_EXPECT_EQ(test, n - 1, 1U);
	memcpy(t->snap, t->cur, sizeof(t->snap));
	memcpy(t->snap_present, t->present, sizeof(t->present));
	memset(t->touched, 0, sizeof(t->touched));
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).snapshot_frames,
			axs_present(t->present));
	KUNIT_ASSERT_EQ(test, axs_write(t, 3, 0x77, true), 0);
	KUNIT_EXPECT_EQ(test, axas_snapshot_restore(t->space), 1);
	axs_restored(t);
	axs_check(test, t);
}

/*
 * Take fails at each of its allocations in turn: -ENOMEM, nothing
 * changed, nothing charged; then succeeds.
 */
static void axs_take_fail(struct kunit *test)
{
	struct axs *t = test->priv;
	unsigned int i, n;
	unsigned long used;

	KUNIT_ASSERT_EQ(test, axs_setup(t, 0), 0);
	for (i = 0; i < 40; i++)
		KUNIT_ASSERT_EQ(test, axs_write(t, i * 3, i + 1, true), 0);
	used = axt_stats(t->space).frames;
	n = axs_present(t->present);
	kunit_activate_static_stub(test, axas_frames_alloc, axs_frames_alloc);
	for (i = 1; i <= n; i++) {
		t->calls = 0;
		t->fail_at = i;
		KUNIT_ASSERT_EQ(test, axas_snapshot_take(t->space), -ENOMEM);
		KUNIT_ASSERT_EQ(test, t->calls, i);
		KUNIT_ASSERT_EQ(test, atomic_long_read(&t->space->frames.held),
				(long)used);
		KUNIT_ASSERT_EQ(test, axt_stats(t->space).snapshot_frames, 0);
		KUNIT_ASSERT_EQ(test, axas_snapshot_restore(t->space), -ESRCH);
	}
	t->calls = 0;
	t->fail_at = n + 1;
	axs_take(test, t);
	KUNIT_EXPECT_EQ(test, t->calls, n);
	kunit_deactivate_static_stub(test, axas_frames_alloc);
	axs_check(test, t);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).snapshot_frames, n);
}

/*
 * Restore fails at each allocation it makes (frames for discarded pages):
 * -ENOMEM, the pages done stay restored, the rest stay marked, and the
 * next restore finishes; the frame count stays exact.
 */
static void axs_restore_fail(struct kunit *test)
{
	struct axs *t = test->priv;
	unsigned int i, k, nd;

	KUNIT_ASSERT_EQ(test, axs_setup(t, 0), 0);
	for (i = 0; i < 64; i++)
		KUNIT_ASSERT_EQ(test, axs_write(t, i, i + 1, true), 0);
	axs_take(test, t);
	kunit_activate_static_stub(test, axas_frames_alloc, axs_frames_alloc);
	for (k = 1; k <= 8; k++) {
		long exp, got;

		/* 8 discarded pages need 8 frames; some written, some new. */
		nd = 0;
		for (i = 0; i < 64; i += 8, nd++)
			KUNIT_ASSERT_EQ(test, axs_discard(t, i), 0);
		for (i = 1; i < 64; i += 8)
			KUNIT_ASSERT_EQ(test, axs_write(t, i, 0xcc, false), 0);
		KUNIT_ASSERT_EQ(test, axs_write(t, 100 + k, 0xdd, true), 0);
		exp = axs_expected(t);
		t->calls = 0;
		t->fail_at = k;
		KUNIT_EXPECT_EQ(test, axas_snapshot_restore(t->space), -ENOMEM);
		KUNIT_EXPECT_EQ(test, t->calls, k);
		t->fail_at = 0;
		got = axas_snapshot_restore(t->space);
		/* What the first one did not do, and no more. */
		KUNIT_EXPECT_GT(test, got, 0);
		KUNIT_EXPECT_LE(test, got, exp);
		axs_restored(t);
		if (axs_check(test, t))
			break;
		KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames,
				axs_present(t->present));
		KUNIT_EXPECT_EQ(test, axas_snapshot_restore(t->space), 0);
	}
	kunit_deactivate_static_stub(test, axas_frames_alloc);
	KUNIT_EXPECT_EQ(test, axas_snapshot_drop(t->space), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->space->frames.held),
			(long)axs_present(t->present));
}

/*
 * Restore fails at each table-page allocation it makes: pages 512-515 of
 * the lazy area were discarded since the snapshot, which freed their
 * table, so the first of them needs a table page again. Pages 0-3, written
 * since, come first in GPA order. Each failure: -ENOMEM, pages 0-3
 * restored, 512-515 still absent and marked, the frame count exact, no
 * table page more or less than before; the next restore finishes.
 */
static void axs_restore_fail_tables(struct kunit *test)
{
	struct axs *t = test->priv;
	unsigned int i, n;
	long tables;

	KUNIT_ASSERT_EQ(test, axs_setup(t, 0), 0);
	for (i = 0; i < 4; i++) {
		KUNIT_ASSERT_EQ(test, axs_write(t, i, i + 1, true), 0);
		KUNIT_ASSERT_EQ(test, axs_write(t, 512 + i, i + 9, true), 0);
	}
	axs_take(test, t);
	kunit_activate_static_stub(test, axas_pt_alloc_page, axs_table_alloc);
	for (n = 1; ; n++) {
		long ret;

		for (i = 0; i < 4; i++) {
			KUNIT_ASSERT_EQ(test, axs_write(t, i, 0xcc, i & 1), 0);
			KUNIT_ASSERT_EQ(test, axs_discard(t, 512 + i), 0);
		}
		tables = axt_live_tables();
		t->table_calls = 0;
		t->table_fail_at = n;
		ret = axas_snapshot_restore(t->space);
		if (ret >= 0) {
			KUNIT_EXPECT_EQ(test, ret, 8);
			axs_restored(t);
			break;
		}
		KUNIT_ASSERT_EQ(test, ret, -ENOMEM);
		KUNIT_EXPECT_EQ(test, t->table_calls, n);
		/* Pages 0-3 are restored; 512-515 still absent. */
		for (i = 0; i < 4; i++) {
			t->cur[i] = t->snap[i];
			t->touched[i] = false;
		}
		KUNIT_EXPECT_EQ(test, axs_check(test, t), 0);
		KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames,
				axs_present(t->present));
		KUNIT_EXPECT_EQ(test, axt_live_tables(), tables);
		t->table_fail_at = 0;
		KUNIT_EXPECT_EQ(test, axas_snapshot_restore(t->space), 4);
		axs_restored(t);
		KUNIT_EXPECT_EQ(test, axs_check(test, t), 0);
		KUNIT_EXPECT_EQ(test, axas_snapshot_restore(t->space), 0);
		KUNIT_ASSERT_LT(test, n, 16U);
	}
	kunit_deactivate_static_stub(test, axas_pt_alloc_page);
	/* The leaf table of pages 512-515 (the levels above stayed). */
	KUNIT_EXPECT_EQ(test, n - 1, 1U);
	axs_check(test, t);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, axs_present(t->present));
	KUNIT_EXPECT_EQ(test, axas_snapshot_drop(t->space), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->space->frames.held),
			(long)axs_present(t->present));
}

static void axs_pin_invalidated(void *cookie, struct axas_pin *pin)
{
	struct axs *t = cookie;

	t->pin_calls++;
}

/* A pin of a restored page is invalidated; one of an untouched page not. */
static void axs_pins(struct kunit *test)
{
	struct axs *t = test->priv;
	struct axas_pin a, b;

	KUNIT_ASSERT_EQ(test, axs_setup(t, 0), 0);
	KUNIT_ASSERT_EQ(test, axs_write(t, 0, 1, true), 0);
	KUNIT_ASSERT_EQ(test, axs_write(t, 1, 2, true), 0);
	axs_take(test, t);
	axas_pin_init(&a, t->space, axs_pin_invalidated, t);
	axas_pin_init(&b, t->space, axs_pin_invalidated, t);
	KUNIT_ASSERT_EQ(test, axas_pin_activate(&a, axs_gpa(0), 8,
						AXAS_ACCESS_READ, 0), 0);
	KUNIT_ASSERT_EQ(test, axas_pin_activate(&b, axs_gpa(1), 8,
						AXAS_ACCESS_READ, 0), 0);
	KUNIT_ASSERT_EQ(test, axs_write(t, 0, 3, false), 0);
	KUNIT_EXPECT_EQ(test, axas_snapshot_restore(t->space), 1);
	KUNIT_EXPECT_EQ(test, t->pin_calls, 1);
	KUNIT_EXPECT_FALSE(test, axas_pin_lock(&a));
	axas_pin_unlock(&a);
	KUNIT_EXPECT_TRUE(test, axas_pin_lock(&b));
	axas_pin_unlock(&b);
	axas_pin_release(&a);
	axas_pin_release(&b);
	axs_restored(t);
	axs_check(test, t);
}

/*
 * An alloc area that starts 12 KiB past a 2 MiB boundary and ends 20 KiB
 * past one: the saved pages' blocks straddle 2 MiB boundaries and the last
 * block is partial. Pages at every block edge, the first and the last
 * page, written before the snapshot or not, written, discarded or faulted
 * in since, in random rounds: each restore gives back the snapshot.
 */
#define AXS_U_START	(BASE + 3 * SZ_4K)
#define AXS_U_PAGES	(3 * 512 + 2)
static void axs_unaligned(struct kunit *test)
{
	static const unsigned int edge[] = {
		0, 1, 7, 8, 509, 510, 511, 512, 513, 1021, 1022, 1023, 1024,
		1025, 1535, 1536, AXS_U_PAGES - 1,
	};
	struct axs *t = test->priv;
	u8 *cur, *snap, *pres, *spres, v = 1;
	struct axt_fmt f = { t->m->name, t->m->format, 4 };
	unsigned int round, i, j;

	cur = kunit_kzalloc(test, AXS_U_PAGES * 4, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cur);
	snap = cur + AXS_U_PAGES;
	pres = snap + AXS_U_PAGES;
	spres = pres + AXS_U_PAGES;
	t->cfg = (struct axas_space_cfg) {
		.name = "kunit-snapshot", .base = BASE, .size = SIZE,
		.flush = axs_flush, .cookie = t,
	};
	t->cfg.pt = axt_pt_cfg_all(&f);
	if (t->m->ad)
		t->cfg.pt.root_flags = AXAS_PT_ROOT_AD;
	t->space = axas_space_create(&t->cfg);
	KUNIT_ASSERT_FALSE(test, IS_ERR(t->space));
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, AXS_U_START,
					     (u64)AXS_U_PAGES << PAGE_SHIFT,
					     RW, SZ_4K), 0);
	for (i = 0; i < ARRAY_SIZE(edge); i += 2) {
		KUNIT_ASSERT_EQ(test, axs_guest_write_gpa(t, AXS_U_START +
							  ((u64)edge[i] << PAGE_SHIFT),
							  axs_next(&v)), 0);
		cur[edge[i]] = v;
		pres[edge[i]] = 1;
	}
	KUNIT_ASSERT_EQ(test, axas_snapshot_take(t->space), 0);
	memcpy(snap, cur, AXS_U_PAGES);
	memcpy(spres, pres, AXS_U_PAGES);
	for (round = 0; round < 20; round++) {
		long exp = 0, got;
		bool touched[ARRAY_SIZE(edge)] = {};

		for (j = 0; j < ARRAY_SIZE(edge); j++) {
			u64 gpa;

			i = edge[j];
			gpa = AXS_U_START + ((u64)i << PAGE_SHIFT);
			switch (get_random_u32_below(4)) {
			case 0:
				break;
			case 1:
				KUNIT_ASSERT_EQ(test, axas_discard(t->space, gpa,
								   SZ_4K), 0);
				cur[i] = 0;
				pres[i] = 0;
				touched[j] = true;
				break;
			default:
				KUNIT_ASSERT_EQ(test,
						axs_guest_write_gpa(t, gpa,
								    axs_next(&v)),
						0);
				cur[i] = v;
				pres[i] = 1;
				touched[j] = true;
				break;
			}
		}
		for (j = 0; j < ARRAY_SIZE(edge); j++)
			exp += touched[j] && (spres[edge[j]] || pres[edge[j]]);
		got = axas_snapshot_restore(t->space);
		KUNIT_ASSERT_EQ_MSG(test, got, exp, "round %u", round);
		for (i = 0; i < AXS_U_PAGES; i++) {
			u64 gpa = AXS_U_START + ((u64)i << PAGE_SHIFT);
			int ret = axas_read(t->space, gpa, t->buf, PAGE_SIZE, 0);

			if (ret == -ENODATA) {
				KUNIT_ASSERT_FALSE_MSG(test, spres[i],
						       "round %u page %u absent",
						       round, i);
				continue;
			}
			KUNIT_ASSERT_EQ(test, ret, 0);
			KUNIT_ASSERT_NULL_MSG(test, memchr_inv(t->buf, snap[i],
							       PAGE_SIZE),
					      "round %u page %u", round, i);
		}
		memcpy(cur, snap, AXS_U_PAGES);
		for (j = 0; j < ARRAY_SIZE(edge); j++)
			if (touched[j])
				pres[edge[j]] = spres[edge[j]];
	}
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).snapshot_frames,
			(unsigned long)DIV_ROUND_UP(ARRAY_SIZE(edge), 2));
	KUNIT_EXPECT_EQ(test, axas_snapshot_drop(t->space), 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).snapshot_frames, 0);
}

/* What a pin's callback saw of its page. */
struct axs_seen {
	struct axs *t;
	u64 gpa;
	unsigned int calls;
	bool present;
	u8 byte;
	unsigned long flushes;
};

static void axs_pin_seen(void *cookie, struct axas_pin *pin)
{
	struct axs_seen *w = cookie;
	struct axas_pt_leaf leaf;

	w->calls++;
	w->flushes = w->t->flushes;
	w->present = !axas_pt_query(&w->t->space->pt, w->gpa, &leaf);
	if (w->present) {
		u8 *va = kmap_local_page(pfn_to_page(PHYS_PFN(leaf.hpa +
							       (w->gpa - leaf.gpa))));

		w->byte = *va;
		kunmap_local(va);
	}
}

/*
 * The order a restore keeps with pins: the pin of a page copied back is
 * invalidated while the page still holds what the guest wrote, after the
 * flush of the harvest; the pin of a page unmapped (absent at snapshot
 * time) after its entry is gone and before the flush that lets its frame
 * go.
 */
static void axs_pins_order(struct kunit *test)
{
	struct axs *t = test->priv;
	struct axs_seen a = { .t = t, .gpa = axs_gpa(0) };
	struct axs_seen b = { .t = t, .gpa = axs_gpa(2) };
	struct axas_pin pa, pb;
	unsigned long f0;

	KUNIT_ASSERT_EQ(test, axs_setup(t, 0), 0);
	KUNIT_ASSERT_EQ(test, axs_write(t, 0, 1, true), 0);
	axs_take(test, t);
	KUNIT_ASSERT_EQ(test, axs_write(t, 0, 3, true), 0);
	KUNIT_ASSERT_EQ(test, axs_write(t, 2, 4, true), 0);
	axas_pin_init(&pa, t->space, axs_pin_seen, &a);
	axas_pin_init(&pb, t->space, axs_pin_seen, &b);
	KUNIT_ASSERT_EQ(test, axas_pin_activate(&pa, a.gpa, 8,
						AXAS_ACCESS_READ, 0), 0);
	KUNIT_ASSERT_EQ(test, axas_pin_activate(&pb, b.gpa, 8,
						AXAS_ACCESS_READ, 0), 0);
	f0 = t->flushes;
	KUNIT_EXPECT_EQ(test, axas_snapshot_restore(t->space), 2);
	/* The harvest's flush, then the unmap's. */
	KUNIT_EXPECT_EQ(test, t->flushes, f0 + 2);
	KUNIT_EXPECT_EQ(test, a.calls, 1);
	KUNIT_EXPECT_TRUE(test, a.present);
	KUNIT_EXPECT_EQ(test, a.byte, 3);
	KUNIT_EXPECT_EQ(test, a.flushes, f0 + 1);
	KUNIT_EXPECT_EQ(test, b.calls, 1);
	KUNIT_EXPECT_FALSE(test, b.present);
	KUNIT_EXPECT_EQ(test, b.flushes, f0 + 1);
	axas_pin_release(&pa);
	axas_pin_release(&pb);
	axs_restored(t);
	axs_check(test, t);
}

/*
 * Pin callbacks, then the flush, also when the restore unmaps nothing: a
 * VMM whose callback only posts a request is kicked by that flush, which
 * covers the pinned page.
 */
static void axs_pins_then_flush(struct kunit *test)
{
	struct axs *t = test->priv;
	struct axs_seen a = { .t = t, .gpa = axs_gpa(0) };
	struct axas_pin pa;
	unsigned long f0;

	KUNIT_ASSERT_EQ(test, axs_setup(t, 0), 0);
	KUNIT_ASSERT_EQ(test, axs_write(t, 0, 1, true), 0);
	axs_take(test, t);
	KUNIT_ASSERT_EQ(test, axs_write(t, 0, 3, true), 0);
	axas_pin_init(&pa, t->space, axs_pin_seen, &a);
	KUNIT_ASSERT_EQ(test, axas_pin_activate(&pa, a.gpa, 8,
						AXAS_ACCESS_READ, 0), 0);
	f0 = t->flushes;
	KUNIT_EXPECT_EQ(test, axas_snapshot_restore(t->space), 1);
	KUNIT_EXPECT_EQ(test, a.calls, 1);
	KUNIT_EXPECT_GT_MSG(test, t->flushes, a.flushes,
			    "no flush after the pin callback");
	KUNIT_EXPECT_LE(test, t->flush_gpa, a.gpa);
	KUNIT_EXPECT_GT(test, t->flush_gpa + t->flush_size, a.gpa);
	KUNIT_EXPECT_GT(test, a.flushes, f0);
	axas_pin_release(&pa);
	axs_restored(t);
	axs_check(test, t);
}

/*
 * A sparse lazy area of 64 GiB with two pages present: the take walks the
 * present leaves, not every 4 KiB of the range (16 million lookups with
 * the lock held exclusively, seconds without a reschedule).
 */
static void axs_sparse_take(struct kunit *test)
{
	struct axs *t = test->priv;
	struct axt_fmt f = { t->m->name, t->m->format, 4 };
	const u64 far = BASE + 40 * (u64)SZ_1G + 5 * SZ_4K;
	u8 one = 1, two = 2, back;
	ktime_t start;
	s64 ms;

	t->cfg = (struct axas_space_cfg) {
		.name = "kunit-snapshot", .base = BASE, .size = 64ULL * SZ_1G,
		.flush = axs_flush, .cookie = t,
	};
	t->cfg.pt = axt_pt_cfg_all(&f);
	if (t->m->ad)
		t->cfg.pt.root_flags = AXAS_PT_ROOT_AD;
	t->space = axas_space_create(&t->cfg);
	KUNIT_ASSERT_FALSE(test, IS_ERR(t->space));
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, 64ULL * SZ_1G, RW,
					     SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_write(t->space, BASE, &one, 1, AXAS_COPY_FAULT), 0);
	KUNIT_ASSERT_EQ(test, axas_write(t->space, far, &one, 1, AXAS_COPY_FAULT), 0);
	start = ktime_get();
	KUNIT_ASSERT_EQ(test, axas_snapshot_take(t->space), 0);
	ms = ktime_ms_delta(ktime_get(), start);
	kunit_info(test, "%s: take of a 64 GiB area with 2 pages: %lld ms\n",
		   t->m->name, ms);
	KUNIT_EXPECT_LT(test, ms, 1000);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).snapshot_frames, 2);
	KUNIT_ASSERT_EQ(test, axas_write(t->space, far, &two, 1, 0), 0);
	KUNIT_EXPECT_EQ(test, axas_snapshot_restore(t->space), 1);
	KUNIT_ASSERT_EQ(test, axas_read(t->space, far, &back, 1, 0), 0);
	KUNIT_EXPECT_EQ(test, back, 1);
	KUNIT_EXPECT_EQ(test, axas_snapshot_drop(t->space), 0);
}

/*
 * What a restore does with two pages it cannot tell apart from written
 * ones, decided: a page absent at snapshot time that was discarded and
 * read back in (a discard of a present page counts as a write) is
 * unmapped, absent as it was; a page under a valid write pin, never
 * written, is copied back and the pin invalidated (writes through the
 * pin's kernel address are invisible to the table). A page absent then
 * and only read since stays as it is.
 */
static void axs_restore_decided(struct kunit *test)
{
	struct axs *t = test->priv;
	const u64 absent = axs_gpa(5), read = axs_gpa(6), pinned = axs_gpa(0);
	struct axas_translation tr;
	struct axas_pin pin;
	u8 v = 0;

	KUNIT_ASSERT_EQ(test, axs_setup(t, 0), 0);
	KUNIT_ASSERT_EQ(test, axs_write(t, 0, 1, true), 0);
	axs_take(test, t);
	KUNIT_ASSERT_EQ(test, axs_write(t, 5, 7, true), 0);
	KUNIT_ASSERT_EQ(test, axas_discard(t->space, absent, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_read(t->space, absent, &v, 1, AXAS_COPY_FAULT), 0);
	KUNIT_ASSERT_EQ(test, axas_fault(t->space, read, AXAS_ACCESS_READ),
			AXAS_FAULT_INSTALLED);
	axas_pin_init(&pin, t->space, axs_pin_invalidated, t);
	KUNIT_ASSERT_EQ(test, axas_pin_activate(&pin, pinned, 8, AXAS_ACCESS_WRITE,
						AXAS_PIN_FAULT), 0);
	KUNIT_EXPECT_EQ(test, axas_snapshot_restore(t->space), 2);
	KUNIT_EXPECT_EQ(test, axas_translate(t->space, absent, 1, &tr), -ENODATA);
	KUNIT_EXPECT_EQ(test, axas_translate(t->space, read, 1, &tr), 0);
	KUNIT_EXPECT_EQ(test, t->pin_calls, 1);
	KUNIT_EXPECT_FALSE(test, axas_pin_lock(&pin));
	axas_pin_unlock(&pin);
	axas_pin_release(&pin);
	KUNIT_ASSERT_EQ(test, axas_read(t->space, pinned, &v, 1, 0), 0);
	KUNIT_EXPECT_EQ(test, v, 1);
}

static struct kunit_case axas_snapshot_cases[] = {
	KUNIT_CASE_PARAM(axs_random, axs_mode_gen_params),
	KUNIT_CASE_PARAM(axs_cost, axs_mode_gen_params),
	KUNIT_CASE_PARAM(axs_discard_restore, axs_mode_gen_params),
	KUNIT_CASE_PARAM(axs_layout, axs_mode_gen_params),
	KUNIT_CASE_PARAM(axs_errors, axs_mode_gen_params),
	KUNIT_CASE_PARAM(axs_with_log, axs_mode_gen_params),
	KUNIT_CASE(axs_no_alloc),
	KUNIT_CASE_PARAM(axs_cap, axs_mode_gen_params),
	KUNIT_CASE_PARAM(axs_take_fail, axs_mode_gen_params),
	KUNIT_CASE_PARAM(axs_take_fail_tables, axs_mode_gen_params),
	KUNIT_CASE_PARAM(axs_restore_fail, axs_mode_gen_params),
	KUNIT_CASE_PARAM(axs_restore_fail_tables, axs_mode_gen_params),
	KUNIT_CASE_PARAM(axs_pins, axs_mode_gen_params),
	KUNIT_CASE_PARAM(axs_pins_order, axs_mode_gen_params),
	KUNIT_CASE_PARAM(axs_pins_then_flush, axs_mode_gen_params),
	KUNIT_CASE_PARAM(axs_sparse_take, axs_mode_gen_params),
	KUNIT_CASE_PARAM(axs_restore_decided, axs_mode_gen_params),
	KUNIT_CASE_PARAM(axs_unaligned, axs_mode_gen_params),
	{}
};

static struct kunit_suite axas_snapshot_suite = {
	.name = "axas_snapshot",
	.init = axs_init,
	.exit = axs_exit,
	.test_cases = axas_snapshot_cases,
};

kunit_test_suites(&axas_snapshot_suite);
