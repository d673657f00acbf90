// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites of the address-space API, for EPT and NPT at 4 and 5
 * levels: backends, faults, unmap/protect with splits, translate, guest
 * copies, allocation-failure sweeps, parallel faults, a random sequence
 * against a shadow model that also tracks the data, and flush ordering.
 */
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include <axas/axas.h>
#include <axas/walk.h>
#include <axas/compat.h>

#include "../features/features.h"
#include "../npt/fmt.h"
#include "axas_test.h"

static ulong space_seed;
module_param(space_seed, ulong, 0444);
MODULE_PARM_DESC(space_seed, "seed of axas_space_random (0: pick one and print it)");

static uint space_ops = 20000;
module_param(space_ops, uint, 0444);
MODULE_PARM_DESC(space_ops, "operations per format in axas_space_random");

KUNIT_ARRAY_PARAM(axs_fmt, axt_fmts, axt_fmt_desc);

#define RW	(AXAS_PROT_READ | AXAS_PROT_WRITE)
#define RWX	AXAS_PROT_RWX
#define BASE	((u64)SZ_1G)	/* first GPA of the test spaces */
#define SIZE	(4ULL * SZ_1G)	/* their size */

/* One flushed range, and whether its frames were still ours then. */
struct axs {
	struct kunit *test;
	const struct axt_fmt *f;
	struct axas_space *space;
	struct axas_space_cfg cfg;
	long tables_base;
	/* flush log */
	unsigned int flushes;
	u64 flush_gpa, flush_size;
	/* frames that must still be allocated when their range is flushed */
	struct page **watch;
	u64 *watch_gpa;
	unsigned int nr_watch;
	unsigned int watch_freed_early;
	unsigned int watch_checked;
	/* fault injection over frames and table pages together */
	atomic_t allocs;
	int fail_at;
};

static void axs_flush(void *cookie, u64 gpa, u64 size)
{
	struct axs *t = cookie;
	unsigned int i;

	t->flushes++;
	t->flush_gpa = gpa;
	t->flush_size = size;
	for (i = 0; i < t->nr_watch; i++) {
		if (t->watch_gpa[i] < gpa || t->watch_gpa[i] >= gpa + size)
			continue;
		t->watch_checked++;
		/* A freed page has no reference left. */
		if (!page_ref_count(t->watch[i]))
			t->watch_freed_early++;
	}
}

static struct axas_space_cfg axs_cfg(struct axs *t)
{
	struct axas_space_cfg cfg = {
		.name = "kunit",
		.base = BASE,
		.size = SIZE,
		.flush = axs_flush,
		.cookie = t,
	};

	cfg.pt = axt_pt_cfg_all(t->f);
	return cfg;
}

static int axs_init(struct kunit *test)
{
	struct axs *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	if (!t)
		return -ENOMEM;
	t->test = test;
	t->f = test->param_value ?: &axt_fmts[0];
	t->tables_base = axt_live_tables();
	t->cfg = axs_cfg(t);
	t->space = axas_space_create(&t->cfg);
	if (IS_ERR(t->space))
		return PTR_ERR(t->space);
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

/* ---- snapshots: areas, raw table (through the decoder), counters ------- */

#define AXS_SNAP_AREAS	2048

struct axs_snap {
	struct axas_area_info *areas;
	unsigned int nr_areas;
	struct axt_dec dec;
	unsigned long frames;
	long tables;
};

static int axs_snap_area(void *arg, const struct axas_area_info *a)
{
	struct axs_snap *s = arg;

	if (s->nr_areas == AXS_SNAP_AREAS)
		return -ENOSPC;
	s->areas[s->nr_areas++] = *a;
	return 0;
}

static void axs_snap(struct axs *t, struct axs_snap *s)
{
	struct kunit *test = t->test;

	if (!s->areas)
		s->areas = kvcalloc(AXS_SNAP_AREAS, sizeof(*s->areas), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s->areas);
	s->nr_areas = 0;
	KUNIT_ASSERT_EQ(test, axas_walk_areas(t->space, axs_snap_area, s), 0);
	s->dec.format = t->f->format;
	s->dec.levels = t->f->levels;
	s->dec.caps = t->cfg.pt.caps.flags;
	s->dec.phys_bits = 46;
	KUNIT_ASSERT_EQ(test, axt_decode(&s->dec, axas_space_root(t->space)), 0);
	KUNIT_EXPECT_EQ_MSG(test, s->dec.errors, 0, "%s", s->dec.first_error);
	s->frames = axt_stats(t->space).frames;
	rcu_barrier();
	s->tables = axas_pt_live_tables();
}

static void axs_snap_expect_eq(struct axs *t, struct axs_snap *a,
			       struct axs_snap *b, const char *what)
{
	struct kunit *test = t->test;
	size_t i;

	KUNIT_EXPECT_EQ_MSG(test, a->nr_areas, b->nr_areas, "%s: areas", what);
	for (i = 0; i < min(a->nr_areas, b->nr_areas); i++)
		KUNIT_EXPECT_TRUE_MSG(test, !memcmp(&a->areas[i], &b->areas[i],
						    sizeof(a->areas[i])),
				      "%s: area %zu", what, i);
	KUNIT_EXPECT_EQ_MSG(test, a->dec.out.n, b->dec.out.n, "%s: leaves", what);
	for (i = 0; i < min(a->dec.out.n, b->dec.out.n); i++) {
		const struct axt_leaf *x = &a->dec.out.v[i], *y = &b->dec.out.v[i];

		if (x->gpa != y->gpa || x->hpa != y->hpa || x->level != y->level ||
		    x->prot != y->prot) {
			KUNIT_FAIL(test, "%s: leaf %zu differs (gpa %llx / %llx)",
				   what, i, x->gpa, y->gpa);
			break;
		}
	}
	KUNIT_EXPECT_EQ_MSG(test, a->frames, b->frames, "%s: frames", what);
	KUNIT_EXPECT_EQ_MSG(test, a->tables, b->tables, "%s: table pages", what);
}

static void axs_snap_free(struct axs_snap *s)
{
	kvfree(s->areas);
	s->areas = NULL;
	axt_leaves_free(&s->dec.out);
}

/* Area flags equal what the table says, for every present leaf. */
static void axs_expect_consistent(struct axs *t)
{
	struct axs_snap *s = kunit_kzalloc(t->test, sizeof(*s), GFP_KERNEL);
	unsigned int a = 0;
	size_t i;

	KUNIT_ASSERT_NOT_NULL(t->test, s);
	axs_snap(t, s);
	for (i = 0; i < s->dec.out.n; i++) {
		const struct axt_leaf *l = &s->dec.out.v[i];
		u64 size = 1ULL << (12 + 9 * l->level);

		while (a < s->nr_areas && s->areas[a].gpa + s->areas[a].size <= l->gpa)
			a++;
		if (a == s->nr_areas || s->areas[a].gpa > l->gpa ||
		    l->gpa + size > s->areas[a].gpa + s->areas[a].size) {
			KUNIT_FAIL(t->test, "leaf %llx+%llx outside every area", l->gpa, size);
			break;
		}
		KUNIT_EXPECT_EQ_MSG(t->test, l->prot, s->areas[a].flags & AXAS_PROT_ALL,
				    "leaf %llx", l->gpa);
	}
	axs_snap_free(s);
}

/* ---- basic API ------------------------------------------------------------ */

static void axas_space_map_alloc_lazy(struct kunit *test)
{
	struct axs *t = test->priv;
	struct axas_translation tr;
	u64 gpa = BASE + SZ_2M;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, gpa, SZ_1M, RW, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 0);
	KUNIT_EXPECT_EQ(test, axas_translate(t->space, gpa, 1, &tr), -ENODATA);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, gpa + 5, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, gpa, AXAS_ACCESS_READ),
			AXAS_FAULT_SPURIOUS);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, gpa, AXAS_ACCESS_EXEC), -EACCES);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, gpa + SZ_1M, AXAS_ACCESS_READ),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 1);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).faults_installed, 1);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).faults_spurious, 1);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).faults_refused, 2);
	KUNIT_ASSERT_EQ(test, axas_translate(t->space, gpa + 8, 1, &tr), 0);
	KUNIT_EXPECT_EQ(test, tr.prot, RW);
	KUNIT_EXPECT_EQ(test, tr.len, SZ_4K - 8);
	axs_expect_consistent(t);
}

/* A 2M lazy area faults its whole leaf in; eager 2M areas use 2M leaves. */
static void axas_space_map_alloc_2m(struct kunit *test)
{
	struct axs *t = test->priv;
	struct axas_translation tr;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_4M, RWX, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE + SZ_2M + SZ_1M,
					 AXAS_ACCESS_EXEC), AXAS_FAULT_INSTALLED);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).leaves[1], 1);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 512);
	KUNIT_ASSERT_EQ(test, axas_translate(t->space, BASE + SZ_2M, 1, &tr), 0);
	KUNIT_EXPECT_EQ(test, tr.len, SZ_2M);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(tr.hpa, SZ_2M));
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE + SZ_8M, SZ_4M,
					     RW | AXAS_AREA_POPULATE, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).leaves[1], 3);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 3 * 512);
	/* Partial unmap of a 2M frame: split, and only that 4K freed. */
	KUNIT_ASSERT_EQ(test, axas_unmap(t->space, BASE + SZ_8M + SZ_1M, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 3 * 512 - 1);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).leaves[0], 511);
	axs_expect_consistent(t);
}

/* 1 GiB frames: one leaf per fault, split twice by a 4K unmap. */
static void axas_space_map_alloc_1g(struct kunit *test)
{
	struct axs *t = test->priv;
	u64 gpa = 2ULL * SZ_1G;
	struct axas_translation tr;
	u64 probe[4] = {};
	int ret;

	ret = axas_map_alloc(t->space, gpa, SZ_1G, RW, SZ_1G);
	if (!IS_ENABLED(CONFIG_CONTIG_ALLOC)) {
		/* Without alloc_contig_range() there is no 1 GiB frame to be had. */
		KUNIT_EXPECT_EQ(test, ret, -EOPNOTSUPP);
		return;
	}
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_EQ(test, axas_fault(t->space, gpa + SZ_16M + 5, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).leaves[2], 1);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, SZ_1G / SZ_4K);
	KUNIT_ASSERT_EQ(test, axas_translate(t->space, gpa + SZ_4K, 1, &tr), 0);
	KUNIT_EXPECT_EQ(test, tr.len, SZ_1G - SZ_4K);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(tr.hpa - SZ_4K, SZ_1G));
	KUNIT_ASSERT_EQ(test, axas_read(t->space, gpa + SZ_1G - sizeof(probe), probe,
					sizeof(probe), 0), 0);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(probe, 0, sizeof(probe)));
	KUNIT_ASSERT_EQ(test, axas_unmap(t->space, gpa + SZ_4M + SZ_8K, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, SZ_1G / SZ_4K - 1);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).leaves[1], 511);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).leaves[0], 511);
	axs_expect_consistent(t);
	KUNIT_ASSERT_EQ(test, axas_unmap(t->space, gpa, SZ_1G), 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 0);
}

/* Frames come zeroed, lazily and eagerly, also after reuse. */
static void axas_space_zeroed(struct kunit *test)
{
	struct axs *t = test->priv;
	u8 *buf = kunit_kmalloc(test, SZ_64K, GFP_KERNEL);
	size_t i;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	for (i = 0; i < 3; i++) {
		KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_64K,
						     RW | (i == 1 ? AXAS_AREA_POPULATE : 0),
						     SZ_4K), 0);
		memset(buf, 0x5a, SZ_64K);
		KUNIT_ASSERT_EQ(test, axas_read(t->space, BASE, buf, SZ_64K,
						AXAS_COPY_FAULT), 0);
		KUNIT_EXPECT_TRUE(test, !memchr_inv(buf, 0, SZ_64K));
		memset(buf, 0xa5, SZ_64K);
		KUNIT_ASSERT_EQ(test, axas_write(t->space, BASE, buf, SZ_64K, 0), 0);
		KUNIT_ASSERT_EQ(test, axas_unmap(t->space, BASE, SZ_64K), 0);
	}
}

/* Reads and writes across pages of non-contiguous frames and areas. */
static void axas_space_guest_copy(struct kunit *test)
{
	struct axs *t = test->priv;
	size_t len = 5 * SZ_4K + 123, i;
	u8 *in = kunit_kmalloc(test, len, GFP_KERNEL);
	u8 *out = kunit_kzalloc(test, len, GFP_KERNEL);
	u64 gpa = BASE + SZ_16K - 77;

	KUNIT_ASSERT_NOT_NULL(test, in);
	KUNIT_ASSERT_NOT_NULL(test, out);
	for (i = 0; i < len; i++)
		in[i] = i * 7 + 3;
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_16K + SZ_8K, RW, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE + SZ_16K + SZ_8K, SZ_64K,
					     AXAS_PROT_READ, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, axas_write(t->space, gpa, in, len, 0), -ENODATA);
	KUNIT_ASSERT_EQ(test, axas_write(t->space, gpa, in, len, AXAS_COPY_FAULT), 0);
	KUNIT_ASSERT_EQ(test, axas_read(t->space, gpa, out, len, 0), 0);
	KUNIT_EXPECT_TRUE(test, !memcmp(in, out, len));
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 7);
	KUNIT_EXPECT_EQ(test, axas_read(t->space, BASE + SZ_1G, out, 1, 0), -ENOENT);
	KUNIT_EXPECT_EQ(test, axas_read(t->space, BASE + SZ_1G, out, 1,
					AXAS_COPY_FAULT), -ENOENT);
	KUNIT_EXPECT_EQ(test, axas_read(t->space, BASE + SIZE - 1, out, 2, 0), -ERANGE);
	KUNIT_EXPECT_EQ(test, axas_read(t->space, BASE, out, 1, BIT(5)), -EINVAL);
}

static void axas_space_map_linear(struct kunit *test)
{
	struct axs *t = test->priv;
	struct page *page = alloc_pages(GFP_KERNEL | __GFP_ZERO, 2);
	struct axas_translation tr;
	phys_addr_t pa;
	u8 byte = 0;

	KUNIT_ASSERT_NOT_NULL(test, page);
	pa = page_to_phys(page);
	/* Allocator-owned RAM needs the explicit flag. */
	KUNIT_EXPECT_EQ(test, axas_map_linear(t->space, BASE, pa, SZ_16K, RW), -EPERM);
	KUNIT_ASSERT_EQ(test, axas_map_linear(t->space, BASE, pa, SZ_16K,
					      RW | AXAS_AREA_HOST_RAM), 0);
	*(u8 *)page_address(page + 2) = 0x42;
	KUNIT_ASSERT_EQ(test, axas_read(t->space, BASE + 2 * SZ_4K, &byte, 1, 0), 0);
	KUNIT_EXPECT_EQ(test, byte, 0x42);
	KUNIT_ASSERT_EQ(test, axas_translate(t->space, BASE + SZ_4K + 16, SZ_1G, &tr), 0);
	KUNIT_EXPECT_EQ(test, tr.hpa, pa + SZ_4K + 16);
	/* The rest of the contiguous mapping, not the area size. */
	KUNIT_EXPECT_EQ(test, tr.len, 3 * SZ_4K - 16);
	/* Asked for a little: the rest of the leaf only. */
	KUNIT_ASSERT_EQ(test, axas_translate(t->space, BASE + SZ_4K + 16, 1, &tr), 0);
	KUNIT_EXPECT_EQ(test, tr.len, SZ_4K - 16);
	/* Linear areas never allocate, even on a fault. */
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE, AXAS_ACCESS_WRITE),
			AXAS_FAULT_SPURIOUS);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 0);
	/* Memory outside RAM (a device range): 1G leaves where aligned. */
	KUNIT_ASSERT_EQ(test, axas_map_linear(t->space, 2ULL * SZ_1G, 1ULL << 40,
					      SZ_1G + SZ_2M + SZ_4K,
					      RW | AXAS_PROT_MT(AXAS_MT_UC)), 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).leaves[2], 1);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).leaves[1], 1);
	KUNIT_ASSERT_EQ(test, axas_translate(t->space, 2ULL * SZ_1G + SZ_4K, 4ULL * SZ_1G, &tr), 0);
	KUNIT_EXPECT_EQ(test, tr.len, SZ_1G + SZ_2M);
	/* GPA below HPA and above it: no offset underflow. */
	KUNIT_ASSERT_EQ(test, axas_map_linear(t->space, BASE + SZ_1M, 0x1000, SZ_4K,
					      RW | AXAS_AREA_HOST_RAM), 0);
	KUNIT_ASSERT_EQ(test, axas_translate(t->space, BASE + SZ_1M, 1, &tr), 0);
	KUNIT_EXPECT_EQ(test, tr.hpa, 0x1000);
	KUNIT_ASSERT_EQ(test, axas_unmap(t->space, BASE, SZ_2M), 0);
	/* Linear unmap frees nothing it does not own. */
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 1);
	__free_pages(page, 2);
	axs_expect_consistent(t);
}

/*
 * axas_translate_hpa() and axas_translate() of one address (one walk of
 * their own) say what the table engine's lookup says (axas_pt_query(), and
 * axas_translate() of more than the leaf, which goes through it), for
 * every GPA kind: 4 KiB, 2 MiB and 1 GiB leaves at their first, a middle
 * and their last byte, lazy pages not faulted in, holes, and outside the
 * space.
 */
static void axas_space_translate_hpa(struct kunit *test)
{
	struct axs *t = test->priv;
	static const u64 offs[] = { 0, SZ_4K + 8, SZ_2M - 1, SZ_1G - 1 };
	u64 gpas[64], lin = 2ULL * SZ_1G;
	struct axas_translation tr, one;
	struct axas_pt_leaf leaf;
	unsigned int n = 0, i, j;
	phys_addr_t hpa;

	/* 1 GiB, 2 MiB and 4 KiB leaves of a device range, uncached. */
	KUNIT_ASSERT_EQ(test, axas_map_linear(t->space, lin, 1ULL << 40,
					      SZ_1G + SZ_2M + SZ_4K,
					      RW | AXAS_PROT_MT(AXAS_MT_UC)), 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).leaves[2], 1);
	/* Eager 2 MiB frames, and a lazy 4 KiB area with one page faulted. */
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_4M,
					     RWX | AXAS_AREA_POPULATE, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE + SZ_4M, SZ_64K,
					     RW, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_fault(t->space, BASE + SZ_4M + SZ_8K,
					 AXAS_ACCESS_WRITE), AXAS_FAULT_INSTALLED);
	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		gpas[n++] = lin + offs[i];
		gpas[n++] = lin + SZ_1G + offs[i] % SZ_2M;
	}
	gpas[n++] = lin + SZ_1G + SZ_2M + 100;
	gpas[n++] = lin + SZ_1G + SZ_2M + SZ_4K;	/* hole after it */
	for (i = 0; i < ARRAY_SIZE(offs); i++)
		gpas[n++] = BASE + offs[i] % SZ_4M;
	for (i = 0; i < 16; i++)
		gpas[n++] = BASE + SZ_4M + i * SZ_4K + i;
	gpas[n++] = BASE - 1;
	gpas[n++] = BASE + SIZE;
	gpas[n++] = BASE + SIZE - 1;
	for (i = 0, j = 0; i < n; i++) {
		/* More than any leaf: the contiguous-run path. */
		int full = axas_translate(t->space, gpas[i], 4ULL * SZ_1G, &tr);
		int lean, q = -ERANGE;

		if (gpas[i] >= BASE && gpas[i] < BASE + SIZE)
			q = axas_pt_query(&t->space->pt, gpas[i], &leaf);
		/* Not installed in the lazy area; no area elsewhere. */
		if (q == -ENOENT && gpas[i] >= BASE + SZ_4M &&
		    gpas[i] < BASE + SZ_4M + SZ_64K)
			q = -ENODATA;
		KUNIT_EXPECT_EQ_MSG(test, full, q, "gpa %llx", gpas[i]);
		hpa = 0xdead000;
		lean = axas_translate_hpa(t->space, gpas[i], &hpa);
		KUNIT_EXPECT_EQ_MSG(test, lean, full, "gpa %llx", gpas[i]);
		KUNIT_EXPECT_EQ_MSG(test, axas_translate(t->space, gpas[i], 1, &one),
				    full, "gpa %llx", gpas[i]);
		if (full) {
			KUNIT_EXPECT_EQ(test, hpa, 0xdead000);
			continue;
		}
		j++;
		KUNIT_EXPECT_EQ_MSG(test, hpa, tr.hpa, "gpa %llx", gpas[i]);
		KUNIT_EXPECT_EQ_MSG(test, hpa, leaf.hpa + (gpas[i] - leaf.gpa),
				    "gpa %llx", gpas[i]);
		/* One address: the same HPA and rights, the rest of the leaf. */
		KUNIT_EXPECT_EQ(test, one.hpa, tr.hpa);
		KUNIT_EXPECT_EQ(test, one.prot, tr.prot);
		KUNIT_EXPECT_EQ(test, one.prot, leaf.prot);
		KUNIT_EXPECT_EQ(test, one.len, leaf.gpa + leaf.size - gpas[i]);
	}
	/* Found: in the 1 GiB leaf 4, the 2 MiB ones 4 + 4, 4 KiB ones 2. */
	KUNIT_EXPECT_EQ(test, j, 14);
	KUNIT_EXPECT_EQ(test, axas_translate_hpa(t->space, lin + 5, &hpa), 0);
	KUNIT_EXPECT_EQ(test, hpa, (1ULL << 40) + 5);
	axas_space_shutdown(t->space);
	KUNIT_EXPECT_EQ(test, axas_translate_hpa(t->space, lin, &hpa), -ESHUTDOWN);
}

struct axs_bad {
	const char *what;
	int op;	/* 0 linear, 1 alloc, 2 unmap, 3 protect, 4 fault, 5 translate */
	u64 gpa, size, hpa;
	u32 flags;
	unsigned long pgsize;
	int err;
};

static const struct axs_bad axs_bad_cases[] = {
	{ "unaligned gpa", 1, BASE + 1, SZ_4K, 0, RW, SZ_4K, -EINVAL },
	{ "gpa not 2M aligned", 1, BASE + SZ_4K, SZ_2M, 0, RW, SZ_2M, -EINVAL },
	{ "size not 2M multiple", 1, BASE, SZ_4K, 0, RW, SZ_2M, -EINVAL },
	{ "unaligned hpa", 0, BASE, SZ_4K, 0x10, RW, 0, -EINVAL },
	{ "zero size", 1, BASE, 0, 0, RW, SZ_4K, -EINVAL },
	{ "wraps", 1, -SZ_4K, SZ_8K, 0, RW, SZ_4K, -ERANGE },
	{ "below the space", 1, BASE - SZ_4K, SZ_4K, 0, RW, SZ_4K, -ERANGE },
	{ "beyond the space", 1, BASE + SIZE - SZ_4K, SZ_8K, 0, RW, SZ_4K, -ERANGE },
	{ "overlap", 1, BASE + SZ_1M - SZ_4K, SZ_8K, 0, RW, SZ_4K, -EEXIST },
	{ "unknown flag", 1, BASE + SZ_2G, SZ_4K, 0, RW | BIT(24), SZ_4K, -EINVAL },
	{ "populate on linear", 0, BASE + SZ_2G, SZ_4K, 1ULL << 40,
	  RW | AXAS_AREA_POPULATE, 0, -EINVAL },
	{ "write without read", 1, BASE + SZ_2G, SZ_4K, 0, AXAS_PROT_WRITE, SZ_4K, -EINVAL },
	{ "bad page size", 1, BASE + SZ_2G, SZ_8K, 0, RW, SZ_8K, -EINVAL },
	{ "linear over kernel RAM", 0, BASE + SZ_2G, SZ_4K, ~0ULL, RW, 0, -EPERM },
	{ "populate beyond the cap", 1, BASE + SZ_2G, SZ_8M, 0,
	  RW | AXAS_AREA_POPULATE, SZ_4K, -ENOMEM },
	{ "unmap unaligned", 2, BASE + 4, SZ_4K, 0, 0, 0, -EINVAL },
	{ "unmap outside", 2, BASE + SIZE, SZ_4K, 0, 0, 0, -ERANGE },
	{ "protect write-only", 3, BASE, SZ_4K, 0, AXAS_PROT_WRITE, 0, -EINVAL },
	{ "no fallback on 4K", 1, BASE + SZ_2G, SZ_4K, 0, RW | AXAS_AREA_NO_FALLBACK,
	  SZ_4K, -EINVAL },
	{ "protect area flag", 3, BASE, SZ_4K, 0, RW | AXAS_AREA_POPULATE, 0, -EINVAL },
	{ "fault outside (MMIO)", 4, BASE + SIZE, 0, 0, AXAS_ACCESS_READ, 0, -ENOENT },
	{ "fault no access", 4, BASE, 0, 0, 0, 0, -EINVAL },
	{ "translate outside", 5, BASE - 1, 0, 0, 0, 0, -ERANGE },
};

/* Each bad input: its errno, and the space exactly as before. */
static void axas_space_bad_input(struct kunit *test)
{
	struct axs *t = test->priv;
	struct axs_snap *before = kunit_kzalloc(test, sizeof(*before), GFP_KERNEL);
	struct axs_snap *after = kunit_kzalloc(test, sizeof(*after), GFP_KERNEL);
	struct page *ram = alloc_page(GFP_KERNEL);
	struct axas_translation tr;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, after);
	KUNIT_ASSERT_NOT_NULL(test, ram);
	/* A cap that leaves room for 1000 frames. */
	t->space->frames.max = 1000;
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_1M, RW, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_fault(t->space, BASE, AXAS_ACCESS_READ), 0);
	axs_snap(t, before);
	for (i = 0; i < ARRAY_SIZE(axs_bad_cases); i++) {
		const struct axs_bad *c = &axs_bad_cases[i];
		u64 hpa = c->hpa == ~0ULL ? page_to_phys(ram) : c->hpa;
		int ret = 0;

		switch (c->op) {
		case 0:
			ret = axas_map_linear(t->space, c->gpa, hpa, c->size, c->flags);
			break;
		case 1:
			ret = axas_map_alloc(t->space, c->gpa, c->size, c->flags, c->pgsize);
			break;
		case 2:
			ret = axas_unmap(t->space, c->gpa, c->size);
			break;
		case 3:
			ret = axas_protect(t->space, c->gpa, c->size, c->flags);
			break;
		case 4:
			ret = axas_fault(t->space, c->gpa, c->flags);
			break;
		case 5:
			ret = axas_translate(t->space, c->gpa, 1, &tr);
			break;
		}
		KUNIT_EXPECT_EQ_MSG(test, ret, c->err, "%s", c->what);
		axs_snap(t, after);
		axs_snap_expect_eq(t, before, after, c->what);
	}
	KUNIT_EXPECT_EQ(test, t->flushes, 0);
	__free_page(ram);
	axs_snap_free(before);
	axs_snap_free(after);
}

/* Unmap/protect across areas and holes: areas split, flags match table. */
static void axas_space_unmap_protect_split(struct kunit *test)
{
	struct axs *t = test->priv;
	struct axas_translation tr;
	u64 a = BASE, b = BASE + SZ_4M, c = BASE + SZ_16M;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, a, SZ_4M,
					     RWX | AXAS_AREA_POPULATE, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, b, SZ_2M, RW, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_map_linear(t->space, c, 1ULL << 40, SZ_4M, RW), 0);
	KUNIT_ASSERT_EQ(test, axas_protect(t->space, a + SZ_1M, c + SZ_1M - a - SZ_1M,
					   AXAS_PROT_READ), 0);
	axs_expect_consistent(t);
	KUNIT_EXPECT_GE(test, axt_stats(t->space).areas, 6);
	/* Reduced rights were flushed before protect returned. */
	KUNIT_EXPECT_GE(test, t->flushes, 1);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, a + SZ_2M, AXAS_ACCESS_WRITE), -EACCES);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, b + SZ_8K, AXAS_ACCESS_WRITE), -EACCES);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, b + SZ_8K, AXAS_ACCESS_READ),
			AXAS_FAULT_INSTALLED);
	KUNIT_ASSERT_EQ(test, axas_translate(t->space, b + SZ_8K, 1, &tr), 0);
	KUNIT_EXPECT_EQ(test, tr.prot, AXAS_PROT_READ);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, a, AXAS_ACCESS_WRITE),
			AXAS_FAULT_SPURIOUS);
	/* Restore write access: the guest goes on. */
	KUNIT_ASSERT_EQ(test, axas_protect(t->space, a, SZ_4M, RWX), 0);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, a + SZ_2M, AXAS_ACCESS_WRITE),
			AXAS_FAULT_SPURIOUS);
	KUNIT_ASSERT_EQ(test, axas_unmap(t->space, a + SZ_2M - SZ_4K, c + SZ_8K - a - SZ_2M + SZ_4K), 0);
	axs_expect_consistent(t);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, b, AXAS_ACCESS_READ), -ENOENT);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, c + SZ_8K, AXAS_ACCESS_READ),
			AXAS_FAULT_SPURIOUS);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 511);
}

/* No frame of a range is freed before that range was flushed. */
static void axas_space_flush_before_free(struct kunit *test)
{
	struct axs *t = test->priv;
	struct axas_translation tr;
	unsigned int i, n = 32;

	t->watch = kunit_kcalloc(test, n, sizeof(*t->watch), GFP_KERNEL);
	t->watch_gpa = kunit_kcalloc(test, n, sizeof(*t->watch_gpa), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->watch);
	KUNIT_ASSERT_NOT_NULL(test, t->watch_gpa);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, n * SZ_4K,
					     RW | AXAS_AREA_POPULATE, SZ_4K), 0);
	for (i = 0; i < n; i++) {
		KUNIT_ASSERT_EQ(test, axas_translate(t->space, BASE + i * SZ_4K, 1, &tr), 0);
		t->watch[i] = pfn_to_page(PHYS_PFN(tr.hpa));
		t->watch_gpa[i] = BASE + i * SZ_4K;
	}
	/* First the pages an unmap removes, then all the others. */
	t->watch += 3;
	t->watch_gpa += 3;
	t->nr_watch = 7;
	KUNIT_ASSERT_EQ(test, axas_unmap(t->space, BASE + 3 * SZ_4K, 7 * SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, t->flush_gpa, BASE + 3 * SZ_4K);
	KUNIT_EXPECT_EQ(test, t->flush_size, 7 * SZ_4K);
	t->watch -= 3;
	t->watch_gpa -= 3;
	memmove(&t->watch[3], &t->watch[10], (n - 10) * sizeof(*t->watch));
	memmove(&t->watch_gpa[3], &t->watch_gpa[10], (n - 10) * sizeof(*t->watch_gpa));
	t->nr_watch = n - 7;
	KUNIT_ASSERT_EQ(test, axas_unmap(t->space, BASE, n * SZ_4K), 0);
	t->nr_watch = 0;
	KUNIT_EXPECT_EQ(test, t->watch_checked, n);
	KUNIT_EXPECT_EQ(test, t->watch_freed_early, 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 0);
}

/* Shutdown while faults are in flight: they finish or see -ESHUTDOWN. */
struct axs_faulter {
	struct axas_space *space;
	u64 gpa;
	unsigned int n;
	int bad;
	atomic_t *stop;
	struct completion done;
};

static int axs_fault_thread(void *arg)
{
	struct axs_faulter *f = arg;
	unsigned int i;

	for (i = 0; i < 4096 && !atomic_read(f->stop); i++) {
		int ret = axas_fault(f->space, f->gpa + (i % f->n) * SZ_4K,
				     AXAS_ACCESS_WRITE);

		if (ret == -ESHUTDOWN)
			break;
		if (ret != AXAS_FAULT_INSTALLED && ret != AXAS_FAULT_SPURIOUS)
			f->bad++;
		cond_resched();
	}
	complete(&f->done);
	return 0;
}

static void axas_space_shutdown_in_flight(struct kunit *test)
{
	struct axs *t = test->priv;
	struct axs_faulter f[4];
	atomic_t stop = ATOMIC_INIT(0);
	unsigned int i;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_1M, RW, SZ_4K), 0);
	for (i = 0; i < ARRAY_SIZE(f); i++) {
		f[i] = (struct axs_faulter){ .space = t->space, .gpa = BASE,
					     .n = 256, .stop = &stop };
		init_completion(&f[i].done);
		KUNIT_ASSERT_FALSE(test, IS_ERR(kthread_run(axs_fault_thread, &f[i],
							    "axas-fault/%u", i)));
	}
	usleep_range(5000, 10000);
	axas_space_shutdown(t->space);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE, AXAS_ACCESS_READ), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axas_map_alloc(t->space, BASE, SZ_4K, RW, SZ_4K), -ESHUTDOWN);
	atomic_set(&stop, 1);
	for (i = 0; i < ARRAY_SIZE(f); i++) {
		wait_for_completion(&f[i].done);
		KUNIT_EXPECT_EQ(test, f[i].bad, 0);
	}
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 0);
}

static void axs_pin_count(void *cookie, struct axas_pin *pin)
{
	(*(unsigned int *)cookie)++;
}

/*
 * A page protected to no right at all stays the VMM's: its frame, its
 * content, translate and copies; the CPU sees no translation (every
 * access exits) and axas_fault() refuses every access. Rights given back,
 * the same frame serves again.
 */
static void axas_space_protect_none(struct kunit *test)
{
	struct axs *t = test->priv;
	const u64 gpa = BASE + SZ_64K;
	struct axas_translation tr;
	struct axt_dec dec = { .format = t->f->format, .levels = t->f->levels,
			       .caps = t->cfg.pt.caps.flags, .phys_bits = 46 };
	struct axas_pin pin;
	unsigned int gone = 0, f0;
	phys_addr_t hpa;
	u64 v = 0x1122334455667788ULL, back = 0;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_1M, RW, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_write(t->space, gpa, &v, 8, AXAS_COPY_FAULT), 0);
	KUNIT_ASSERT_EQ(test, axas_translate_hpa(t->space, gpa, &hpa), 0);
	axas_pin_init(&pin, t->space, axs_pin_count, &gone);
	KUNIT_ASSERT_EQ(test, axas_pin_activate(&pin, gpa, 8, AXAS_ACCESS_READ, 0), 0);
	f0 = t->flushes;
	KUNIT_ASSERT_EQ(test, axas_protect(t->space, gpa, SZ_4K, AXAS_PROT_NONE), 0);
	KUNIT_EXPECT_EQ(test, gone, 1);
	KUNIT_EXPECT_EQ(test, t->flushes, f0 + 1);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, gpa, AXAS_ACCESS_READ), -EACCES);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, gpa, AXAS_ACCESS_EXEC), -EACCES);
	KUNIT_ASSERT_EQ(test, axas_translate(t->space, gpa, 1, &tr), 0);
	KUNIT_EXPECT_EQ(test, tr.hpa, hpa);
	KUNIT_EXPECT_EQ(test, tr.prot & AXAS_PROT_ALL & ~AXAS_PROT_MT_MASK, 0);
	KUNIT_EXPECT_EQ(test, axas_read(t->space, gpa, &back, 8, 0), 0);
	KUNIT_EXPECT_EQ(test, back, v);
	KUNIT_EXPECT_EQ(test, axas_pin_refresh(&pin, 0), -EACCES);
	/* The CPU's view: the decoder finds a leaf with no right there. */
	KUNIT_ASSERT_EQ(test, axt_decode(&dec, axas_space_root(t->space)), 0);
	KUNIT_EXPECT_EQ_MSG(test, dec.errors, 0, "%s", dec.first_error);
	KUNIT_ASSERT_EQ(test, dec.out.n, 1);
	KUNIT_EXPECT_EQ(test, dec.out.v[0].gpa, gpa);
	KUNIT_EXPECT_EQ(test, dec.out.v[0].prot, 0);
	axt_leaves_free(&dec.out);
	/* The pages around it and a lazy page faulted in later: as before. */
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, gpa + SZ_4K, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
	KUNIT_ASSERT_EQ(test, axas_protect(t->space, gpa, SZ_4K, RW), 0);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, gpa, AXAS_ACCESS_WRITE),
			AXAS_FAULT_SPURIOUS);
	KUNIT_EXPECT_EQ(test, axas_translate_hpa(t->space, gpa, &hpa), 0);
	KUNIT_EXPECT_EQ(test, tr.hpa, hpa);
	KUNIT_EXPECT_EQ(test, axas_pin_refresh(&pin, 0), 0);
	axas_pin_release(&pin);
	/* A lazy area with no right: nothing is ever installed. */
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE + SZ_2M, SZ_64K,
					     AXAS_PROT_NONE, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE + SZ_2M, AXAS_ACCESS_READ),
			-EACCES);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 2);
}

/*
 * axas_read_present(): the installed pages copied and marked, the others
 * zeros and clear, nothing faulted in; no area at all is -ENOENT.
 */
static void axas_space_read_present(struct kunit *test)
{
	struct axs *t = test->priv;
	u8 *buf = kunit_kzalloc(test, 16 * SZ_4K, GFP_KERNEL);
	unsigned long bm[1] = { ~0UL };
	u64 v = 0x77;
	unsigned long frames;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_64K, RW, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_write(t->space, BASE + 3 * SZ_4K, &v, 8,
					 AXAS_COPY_FAULT), 0);
	KUNIT_ASSERT_EQ(test, axas_write(t->space, BASE + 9 * SZ_4K + 8, &v, 8,
					 AXAS_COPY_FAULT), 0);
	memset(buf, 0xee, 16 * SZ_4K);
	frames = axt_stats(t->space).frames;
	KUNIT_EXPECT_EQ(test, axas_read_present(t->space, BASE, buf, SZ_64K, bm), 2);
	KUNIT_EXPECT_EQ(test, bm[0], BIT(3) | BIT(9));
	KUNIT_EXPECT_EQ(test, buf[3 * SZ_4K], 0x77);
	KUNIT_EXPECT_EQ(test, buf[9 * SZ_4K + 8], 0x77);
	KUNIT_EXPECT_NULL(test, memchr_inv(buf, 0, 3 * SZ_4K));
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, frames);
	KUNIT_EXPECT_EQ(test, axas_read_present(t->space, BASE + SZ_4K, buf, 1, bm),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, axas_read_present(t->space, BASE + SZ_4K, buf, 0, bm),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, axas_read_present(t->space, BASE + SZ_64K - SZ_4K, buf,
						SZ_8K, bm), -ENOENT);
	KUNIT_EXPECT_EQ(test, axas_read_present(t->space, BASE - SZ_4K, buf, SZ_4K, bm),
			-ERANGE);
}

static int axs_count_area(void *arg, const struct axas_area_info *area)
{
	(*(unsigned int *)arg)++;
	return 0;
}

static void axs_pin_nop(void *cookie, struct axas_pin *pin)
{
}

/*
 * After shutdown, every call that answers with an errno answers
 * -ESHUTDOWN (given arguments it would otherwise take).
 */
static void axas_space_after_shutdown(struct kunit *test)
{
	struct axs *t = test->priv;
	struct axas_walk_state st = { .maxphyaddr = 46 };
	struct axas_walk_result res;
	struct axas_translation tr;
	unsigned long bm[1];
	unsigned int n = 0;
	struct axas_pin pin;
	phys_addr_t hpa;
	u64 v = 0;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_1M, RW, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_walk_areas(t->space, axs_count_area, &n), 0);
	KUNIT_EXPECT_EQ(test, n, 1);
	axas_space_shutdown(t->space);
	KUNIT_EXPECT_EQ(test, axas_walk_areas(t->space, axs_count_area, &n), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, n, 1);
	KUNIT_EXPECT_EQ(test, axas_map_linear(t->space, BASE, 1ULL << 40, SZ_4K, RW),
			-ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axas_map_alloc(t->space, BASE, SZ_4K, RW, SZ_4K), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axas_unmap(t->space, BASE, SZ_4K), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axas_protect(t->space, BASE, SZ_4K, RW), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axas_discard(t->space, BASE, SZ_4K), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axas_populate(t->space, BASE, SZ_4K), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE, AXAS_ACCESS_READ), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axas_translate(t->space, BASE, 1, &tr), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axas_translate_hpa(t->space, BASE, &hpa), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axas_read(t->space, BASE, &v, 8, 0), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axas_write(t->space, BASE, &v, 8, 0), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_start(t->space, BASE, SZ_4K, 0), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_stop(t->space), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_get(t->space, BASE, SZ_4K, bm), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_clear(t->space, BASE, SZ_4K), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axas_snapshot_take(t->space), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axas_snapshot_restore(t->space), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axas_snapshot_drop(t->space), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &st, BASE, 0, &res), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axas_gva_read(t->space, &st, BASE, &v, 8, 0, &res),
			-ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axas_gva_write(t->space, &st, BASE, &v, 8, 0, &res),
			-ESHUTDOWN);
	axas_pin_init(&pin, t->space, axs_pin_nop, NULL);
	KUNIT_EXPECT_EQ(test, axas_pin_activate(&pin, BASE, 8, AXAS_ACCESS_READ, 0),
			-ESHUTDOWN);
	if (t->f->format == AXAS_PT_NPT)
		KUNIT_EXPECT_EQ(test, axas_age(t->space, BASE, SZ_4K, bm, 0), -ESHUTDOWN);
}

/* What a debugfs file of the space shows, through its show function. */
static char *axs_show(struct kunit *test, struct axs *t,
		      int (*show)(struct seq_file *m, void *unused))
{
	struct seq_file m = { .size = SZ_16K, .private = t->space };

	m.buf = kunit_kzalloc(test, m.size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m.buf);
	KUNIT_ASSERT_EQ(test, show(&m, NULL), 0);
	KUNIT_ASSERT_LT(test, m.count, m.size);
	return m.buf;
}

/* The debugfs files say what the space holds. */
static void axas_space_debugfs(struct kunit *test)
{
	struct axs *t = test->priv;
	size_t most;
	char *s;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_1M, RW, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_map_linear(t->space, 2ULL * SZ_1G, 1ULL << 40,
					      SZ_2M, AXAS_PROT_READ), 0);
	KUNIT_ASSERT_EQ(test, axas_fault(t->space, BASE + SZ_4K, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE + 3ULL * SZ_1G, AXAS_ACCESS_READ),
			-ENOENT);
	s = axs_show(test, t, axas_stats_show);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(s, "areas 2\n"), "%s", s);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(s, "frames 1\n"), "%s", s);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(s, "leaves_4k 1\nleaves_2m 1\n"), "%s", s);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(s, "faults_installed 1\n"), "%s", s);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(s, "faults_refused 1\n"), "%s", s);
	s = axs_show(test, t, axas_areas_show);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(s, "0000000040000000-0000000040100000 rw-- wb alloc"), "%s", s);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(s, "linear pgsize 1000 hpa 10000000000"), "%s", s);
	s = kunit_kzalloc(test, SZ_16K, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	/* The root line and two leaves, streamed record by record. */
	KUNIT_EXPECT_EQ(test, axt_dump_table(t->space, s, SZ_16K, &most), 3);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(s, "root "), "%s", s);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(s, "0000000040001000 4K -> "), "%s", s);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(s, "0000000080000000 2M -> 0000010000000000 r---"), "%s", s);
}

static struct kunit_case axas_space_cases[] = {
	KUNIT_CASE_PARAM(axas_space_map_alloc_lazy, axs_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_space_map_alloc_2m, axs_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_space_map_alloc_1g, axs_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_space_zeroed, axs_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_space_guest_copy, axs_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_space_map_linear, axs_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_space_translate_hpa, axs_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_space_bad_input, axs_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_space_unmap_protect_split, axs_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_space_flush_before_free, axs_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_space_shutdown_in_flight, axs_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_space_after_shutdown, axs_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_space_protect_none, axs_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_space_read_present, axs_fmt_gen_params),
	KUNIT_CASE(axas_space_debugfs),
	{}
};

static struct kunit_suite axas_space_suite = {
	.name = "axas_space",
	.init = axs_init,
	.exit = axs_exit,
	.test_cases = axas_space_cases,
};

/* ---- allocation-failure sweeps ------------------------------------------ */

static bool axs_fail_now(void)
{
	struct kunit *test = kunit_get_current_test();
	struct axs *t = test->priv;

	return atomic_inc_return(&t->allocs) == t->fail_at;
}

static struct page *axs_failing_table_alloc(gfp_t gfp, int node)
{
	return axs_fail_now() ? NULL : alloc_page(gfp);
}

static unsigned long axs_failing_frames_alloc(unsigned int order,
					      unsigned long nr,
					      struct page **pages, int node,
					      gfp_t node_gfp)
{
	unsigned long i;

	for (i = 0; i < nr; i++) {
		if (axs_fail_now())
			break;
		pages[i] = alloc_pages(GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN,
				       order);
		if (!pages[i])
			break;
		if (order)
			split_page(pages[i], order);
	}
	return i;
}

/*
 * Fail the 1st, 2nd, ... frame or table allocation of @op until it
 * succeeds: each failure leaves areas, raw table, frames and table pages
 * exactly as before.
 */
static void axs_sweep(struct axs *t, const char *what,
		      int (*op)(struct axs *t), unsigned int min_allocs)
{
	struct kunit *test = t->test;
	struct axs_snap *before = kunit_kzalloc(test, sizeof(*before), GFP_KERNEL);
	struct axs_snap *after = kunit_kzalloc(test, sizeof(*after), GFP_KERNEL);
	unsigned int n;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, after);
	axs_snap(t, before);
	kunit_activate_static_stub(test, axas_pt_alloc_page, axs_failing_table_alloc);
	kunit_activate_static_stub(test, axas_frames_alloc, axs_failing_frames_alloc);
	for (n = 1; ; n++) {
		atomic_set(&t->allocs, 0);
		t->fail_at = n;
		ret = op(t);
		if (ret >= 0)
			break;
		KUNIT_ASSERT_EQ_MSG(test, ret, -ENOMEM, "%s: allocation %u", what, n);
		axs_snap(t, after);
		axs_snap_expect_eq(t, before, after, what);
		KUNIT_ASSERT_LT_MSG(test, n, 1000U, "%s never succeeds", what);
	}
	kunit_deactivate_static_stub(test, axas_pt_alloc_page);
	kunit_deactivate_static_stub(test, axas_frames_alloc);
	KUNIT_EXPECT_GE_MSG(test, n - 1, min_allocs, "%s: allocations met", what);
	axs_snap_free(before);
	axs_snap_free(after);
}

/* 64 KiB of 4K frames across a 1G boundary: frames, then tables. */
static int axs_op_eager(struct axs *t)
{
	return axas_map_alloc(t->space, 2ULL * SZ_1G - SZ_32K, SZ_64K,
			      RW | AXAS_AREA_POPULATE, SZ_4K);
}

static int axs_op_fault(struct axs *t)
{
	return axas_fault(t->space, 3ULL * SZ_1G + SZ_4K, AXAS_ACCESS_READ);
}

static int axs_op_split(struct axs *t)
{
	return axas_unmap(t->space, BASE + SZ_2M + SZ_8K, SZ_4K);
}

static void axas_space_inject(struct kunit *test)
{
	struct axs *t = test->priv;

	/* 16 frames, then PDPT, 2 PD and 2 PT (and a PML4 with 5 levels). */
	axs_sweep(t, "eager map", axs_op_eager, 16 + 5);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, 3ULL * SZ_1G, SZ_2M, RW, SZ_4K), 0);
	axs_sweep(t, "lazy fault", axs_op_fault, 1 + 2);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_4M,
					     RW | AXAS_AREA_POPULATE, SZ_2M), 0);
	axs_sweep(t, "split", axs_op_split, 1);
	axs_expect_consistent(t);
}

/* ---- parallel faults ------------------------------------------------------ */

struct axs_worker {
	struct axas_space *space;
	unsigned int id;
	u64 lazy;
	unsigned int pages;
	unsigned int iters;
	int bad;
	struct completion done;
};

static int axs_fault_worker(void *arg)
{
	struct axs_worker *w = arg;
	struct rnd_state rnd;
	unsigned int i;

	prandom_seed_state(&rnd, w->id);
	for (i = 0; i < w->iters; i++) {
		/* Half shared pages, half this thread's own. */
		unsigned int page = (i & 1) ? prandom_u32_state(&rnd) % 64 :
			64 + w->id * 64 + prandom_u32_state(&rnd) % 64;
		int ret = axas_fault(w->space, w->lazy + page * SZ_4K,
				     AXAS_ACCESS_WRITE);

		if (ret != AXAS_FAULT_INSTALLED && ret != AXAS_FAULT_SPURIOUS)
			w->bad++;
		if (!(i & 31))
			cond_resched();
	}
	complete(&w->done);
	return 0;
}

static int axs_editor(void *arg)
{
	struct axs_worker *w = arg;
	unsigned int i;

	for (i = 0; i < w->iters; i++) {
		u64 at = w->lazy + (i % 16) * SZ_64K;

		if (axas_map_alloc(w->space, at, SZ_64K, RW, SZ_4K) ||
		    axas_fault(w->space, at, AXAS_ACCESS_READ) < 0 ||
		    axas_protect(w->space, at, SZ_32K, AXAS_PROT_READ) ||
		    axas_unmap(w->space, at, SZ_64K))
			w->bad++;
		cond_resched();
	}
	complete(&w->done);
	return 0;
}

struct axs_count {
	unsigned long leaves;
	u64 last_hpa;
	bool dup;
};

static void axs_count_leaf(void *arg, const struct axas_pt_leaf *leaf)
{
	struct axs_count *c = arg;

	c->leaves++;
	if (leaf->hpa == c->last_hpa)
		c->dup = true;
	c->last_hpa = leaf->hpa;
}

static void axas_space_parallel_faults(struct kunit *test)
{
	struct axs *t = test->priv;
	struct axs_worker w[5];
	struct axs_count c = {};
	u64 lazy = BASE, other = 2ULL * SZ_1G;
	unsigned int i, pages = 64 + 4 * 64;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, lazy, pages * SZ_4K, RW, SZ_4K), 0);
	for (i = 0; i < ARRAY_SIZE(w); i++) {
		bool editor = i == 4;

		w[i] = (struct axs_worker){ .space = t->space, .id = i,
					    .lazy = editor ? other : lazy,
					    .pages = pages, .iters = editor ? 200 : 3000 };
		init_completion(&w[i].done);
		KUNIT_ASSERT_FALSE(test, IS_ERR(kthread_run(editor ? axs_editor :
							    axs_fault_worker, &w[i],
							    "axas-kunit/%u", i)));
	}
	for (i = 0; i < ARRAY_SIZE(w); i++) {
		wait_for_completion(&w[i].done);
		KUNIT_EXPECT_EQ_MSG(test, w[i].bad, 0, "thread %u", i);
	}
	/* Exactly one frame per faulted page, each page its own frame. */
	KUNIT_ASSERT_EQ(test, axas_pt_walk_leaves(&t->space->pt, lazy, pages * SZ_4K,
						  axs_count_leaf, &c), 0);
	KUNIT_EXPECT_EQ(test, c.leaves, axt_stats(t->space).frames);
	KUNIT_EXPECT_GT(test, c.leaves, 64);
	KUNIT_EXPECT_FALSE(test, c.dup);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).faults_installed - 200, c.leaves);
	axs_expect_consistent(t);
}

static struct kunit_case axas_space_stress_cases[] = {
	KUNIT_CASE_PARAM(axas_space_inject, axs_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_space_parallel_faults, axs_fmt_gen_params),
	{}
};

static struct kunit_suite axas_space_stress_suite = {
	.name = "axas_space_stress",
	.init = axs_init,
	.exit = axs_exit,
	.test_cases = axas_space_stress_cases,
};

/* ---- random operations against a model that tracks the data ------------ */

#define RPAGES		1024	/* pages of the random window (4 MiB) */
#define RLINEAR		256	/* pages of host memory for linear areas */

enum { R_NONE, R_LINEAR, R_LAZY, R_EAGER };

struct axs_rpage {
	u8 kind;
	bool present;
	u32 prot;
	u16 lin;	/* linear: page of the host buffer */
	u32 seed;	/* alloc: data pattern (0: zero page) */
};

struct axs_random {
	struct axs *t;
	struct axs_rpage page[RPAGES];
	u32 lin_seed[RLINEAR];
	struct page *host;
	u8 *buf;
	struct rnd_state rnd;
};

static u8 axs_pattern(u32 seed, unsigned int off)
{
	return seed ? (u8)(seed * 31 + off * 7 + (off >> 8)) : 0;
}

static u32 axs_rnd(struct axs_random *r, u32 n)
{
	return prandom_u32_state(&r->rnd) % n;
}

static bool axs_range_free(struct axs_random *r, unsigned int p, unsigned int n)
{
	unsigned int i;

	for (i = p; i < p + n; i++)
		if (r->page[i].kind != R_NONE)
			return false;
	return true;
}

static u32 *axs_seed_of(struct axs_random *r, unsigned int p)
{
	struct axs_rpage *pg = &r->page[p];

	return pg->kind == R_LINEAR ? &r->lin_seed[pg->lin] : &pg->seed;
}

static void axs_random_op(struct axs_random *r, unsigned int op_no)
{
	struct kunit *test = r->t->test;
	struct axas_space *space = r->t->space;
	unsigned int op = axs_rnd(r, 9), p = axs_rnd(r, RPAGES), i;
	unsigned int n = 1 + axs_rnd(r, min(16U, RPAGES - p));
	u64 gpa = BASE + (u64)p * SZ_4K;
	u32 prot = axs_rnd(r, 2) ? RW : AXAS_PROT_READ;
	int ret, want;

	switch (op) {
	case 0: { /* map_linear */
		unsigned int lin = axs_rnd(r, RLINEAR - n + 1);

		want = axs_range_free(r, p, n) ? 0 : -EEXIST;
		ret = axas_map_linear(space, gpa, page_to_phys(r->host) + lin * SZ_4K,
				      n * SZ_4K, prot | AXAS_AREA_HOST_RAM);
		KUNIT_ASSERT_EQ_MSG(test, ret, want, "op %u linear", op_no);
		for (i = 0; !ret && i < n; i++)
			r->page[p + i] = (struct axs_rpage){ .kind = R_LINEAR,
				.present = true, .prot = prot, .lin = lin + i };
		break;
	}
	case 1: { /* map_alloc */
		bool eager = axs_rnd(r, 2);

		want = axs_range_free(r, p, n) ? 0 : -EEXIST;
		ret = axas_map_alloc(space, gpa, n * SZ_4K,
				     prot | (eager ? AXAS_AREA_POPULATE : 0), SZ_4K);
		KUNIT_ASSERT_EQ_MSG(test, ret, want, "op %u alloc", op_no);
		for (i = 0; !ret && i < n; i++)
			r->page[p + i] = (struct axs_rpage){
				.kind = eager ? R_EAGER : R_LAZY,
				.present = eager, .prot = prot };
		break;
	}
	case 2: /* unmap */
		KUNIT_ASSERT_EQ_MSG(test, axas_unmap(space, gpa, n * SZ_4K), 0,
				    "op %u unmap", op_no);
		for (i = 0; i < n; i++)
			r->page[p + i] = (struct axs_rpage){ .kind = R_NONE };
		break;
	case 3: /* protect */
		KUNIT_ASSERT_EQ_MSG(test, axas_protect(space, gpa, n * SZ_4K, prot), 0,
				    "op %u protect", op_no);
		for (i = 0; i < n; i++)
			if (r->page[p + i].kind != R_NONE)
				r->page[p + i].prot = prot;
		break;
	case 4: { /* fault */
		struct axs_rpage *pg = &r->page[p];
		unsigned int access = axs_rnd(r, 2) ? AXAS_ACCESS_WRITE : AXAS_ACCESS_READ;

		if (pg->kind == R_NONE)
			want = -ENOENT;
		else if ((access & AXAS_ACCESS_WRITE) && !(pg->prot & AXAS_PROT_WRITE))
			want = -EACCES;
		else
			want = pg->present ? AXAS_FAULT_SPURIOUS : AXAS_FAULT_INSTALLED;
		ret = axas_fault(space, gpa, access);
		KUNIT_ASSERT_EQ_MSG(test, ret, want, "op %u fault %llx", op_no, gpa);
		if (ret == AXAS_FAULT_INSTALLED)
			pg->present = true;
		break;
	}
	case 5: { /* translate */
		struct axs_rpage *pg = &r->page[p];
		struct axas_translation tr;

		ret = axas_translate(space, gpa, 1, &tr);
		if (pg->kind == R_NONE || !pg->present) {
			KUNIT_ASSERT_EQ_MSG(test, ret, pg->kind == R_NONE ? -ENOENT : -ENODATA,
					    "op %u translate", op_no);
			break;
		}
		KUNIT_ASSERT_EQ_MSG(test, ret, 0, "op %u translate", op_no);
		KUNIT_EXPECT_EQ(test, tr.prot, pg->prot);
		KUNIT_EXPECT_GE(test, tr.len, SZ_4K);
		if (pg->kind == R_LINEAR)
			KUNIT_EXPECT_EQ(test, tr.hpa, page_to_phys(r->host) + pg->lin * SZ_4K);
		break;
	}
	case 6: /* write whole pages */
	case 7: { /* read any range */
		bool write = op == 6, fault = axs_rnd(r, 2);
		unsigned int off = write ? 0 : axs_rnd(r, SZ_4K);
		size_t len = write ? n * SZ_4K : 1 + axs_rnd(r, n * SZ_4K - off);
		unsigned int last = p + (off + len - 1) / SZ_4K, stop = last + 1;
		unsigned int flags = fault ? AXAS_COPY_FAULT : 0;
		u32 seed = 1 + axs_rnd(r, 1 << 30);

		/* The copy goes page by page and stops at the first it cannot reach. */
		for (i = p; i <= last; i++) {
			if (r->page[i].kind == R_NONE ||
			    (!r->page[i].present && !fault)) {
				stop = i;
				break;
			}
		}
		want = 0;
		if (stop <= last)
			want = r->page[stop].kind == R_NONE ? -ENOENT : -ENODATA;
		if (write) {
			for (i = 0; i < len; i++)
				r->buf[i] = axs_pattern(seed + p + i / SZ_4K, i % SZ_4K);
			ret = axas_write(space, gpa, r->buf, len, flags);
		} else {
			ret = axas_read(space, gpa + off, r->buf, len, flags);
		}
		KUNIT_ASSERT_EQ_MSG(test, ret, want, "op %u %s %llx+%zx", op_no,
				    write ? "write" : "read", gpa + off, len);
		for (i = p; i < stop; i++) {
			r->page[i].present = true;
			if (write)
				*axs_seed_of(r, i) = seed + i;
		}
		if (write || want)
			break;
		for (i = 0; i < len; i++) {
			unsigned int at = off + i, pg = p + at / SZ_4K;
			u8 exp = axs_pattern(*axs_seed_of(r, pg), at % SZ_4K);

			if (r->buf[i] != exp) {
				KUNIT_FAIL(test, "op %u: byte %u of gpa %llx: %02x, model %02x",
					   op_no, at % SZ_4K, BASE + (u64)pg * SZ_4K,
					   r->buf[i], exp);
				return;
			}
		}
		break;
	}
	default: { /* frames held equal present alloc pages */
		unsigned long frames = 0;

		for (i = 0; i < RPAGES; i++)
			frames += r->page[i].kind >= R_LAZY && r->page[i].present;
		KUNIT_ASSERT_EQ_MSG(test, axt_stats(r->t->space).frames, frames, "op %u", op_no);
		break;
	}
	}
}

static void axas_space_random(struct kunit *test)
{
	struct axs *t = test->priv;
	struct axs_random *r = vzalloc(sizeof(*r));
	u64 seed = space_seed ?: get_random_u64();
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, r);
	r->t = t;
	r->host = alloc_pages(GFP_KERNEL | __GFP_ZERO, get_order(RLINEAR * SZ_4K));
	r->buf = vmalloc(16 * SZ_4K);
	if (!r->host || !r->buf) {
		KUNIT_FAIL(test, "no memory for the random test");
		goto out;
	}
	kunit_info(test, "seed %llu (replay: space_seed=%llu)\n", seed, seed);
	prandom_seed_state(&r->rnd, seed);
	for (i = 0; i < space_ops && test->status != KUNIT_FAILURE; i++) {
		cond_resched();
		axs_random_op(r, i);
		if (!(i & 1023))
			axs_expect_consistent(t);
	}
	axs_expect_consistent(t);
	{
		struct axas_space_stats st = axt_stats(t->space);

		kunit_info(test, "%u ops: %lu areas, %lu frames at the end; faults %llu installed, %llu spurious, %llu refused; %llu flushes\n",
			   i, st.areas, st.frames, st.faults_installed,
			   st.faults_spurious, st.faults_refused, st.flushes);
		KUNIT_EXPECT_GT(test, st.faults_installed, 0);
		KUNIT_EXPECT_GT(test, st.faults_refused, 0);
		KUNIT_EXPECT_GT(test, st.flushes, 0);
	}
	KUNIT_ASSERT_EQ(test, axas_unmap(t->space, BASE, RPAGES * SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).areas, 0);
out:
	if (r->host)
		__free_pages(r->host, get_order(RLINEAR * SZ_4K));
	vfree(r->buf);
	vfree(r);
}

static struct kunit_case axas_space_random_cases[] = {
	KUNIT_CASE_PARAM_ATTR(axas_space_random, axs_fmt_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	{}
};

static struct kunit_suite axas_space_random_suite = {
	.name = "axas_space_random",
	.init = axs_init,
	.exit = axs_exit,
	.test_cases = axas_space_random_cases,
};

kunit_test_suites(&axas_space_suite, &axas_space_stress_suite,
		  &axas_space_random_suite);
