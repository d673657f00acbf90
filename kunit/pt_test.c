// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites of the page-table engine. Every case runs for EPT and NPT
 * at 4 and 5 levels; after each operation the raw table is read back by
 * the independent decoder (decoder.c) and compared with the shadow model
 * (model.c) leaf by leaf and table page by table page.
 */
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/io.h>
#include <linux/prandom.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include <axas/compat.h>
#include <axas/pt.h>

#include "../npt/fmt.h"
#include "axas_test.h"

static ulong random_seed;
module_param(random_seed, ulong, 0444);
MODULE_PARM_DESC(random_seed, "seed of axas_pt_random (0: pick one and print it)");

static uint random_ops = 10000;
module_param(random_ops, uint, 0444);
MODULE_PARM_DESC(random_ops, "operations per format in axas_pt_random");

KUNIT_ARRAY_PARAM(axt_fmt, axt_fmts, axt_fmt_desc);

#define AXT_PHYS_BITS	46
#define AXT_EPT_CAPS	(AXAS_CAP_4LEVEL | AXAS_CAP_5LEVEL | AXAS_CAP_2M | \
			 AXAS_CAP_1G | AXAS_CAP_AD | AXAS_CAP_EXEC_ONLY | \
			 AXAS_CAP_MBEC | AXAS_CAP_ROOT_UC | AXAS_CAP_ROOT_WB)
#define AXT_NPT_CAPS	(AXAS_CAP_4LEVEL | AXAS_CAP_5LEVEL | AXAS_CAP_2M | \
			 AXAS_CAP_1G)
#define AXT_ALL_SIZES	(SZ_4K | SZ_2M | SZ_1G)

struct axt {
	struct kunit *test;
	const struct axt_fmt *f;
	struct axas_pt pt;
	struct axt_model model;
	struct axt_dec dec;
	struct axas_pt_gather gather;
	long live_base;
	/* Fault injection: fail allocation number @fail_at (1-based). */
	unsigned int allocs;
	unsigned int fail_at;
};

static struct axas_pt_cfg axt_cfg(const struct axt_fmt *f)
{
	struct axas_pt_cfg cfg = { .format = f->format, .levels = f->levels };

	cfg.caps.flags = f->format == AXAS_PT_EPT ? AXT_EPT_CAPS : AXT_NPT_CAPS;
	cfg.caps.phys_bits = AXT_PHYS_BITS;
	if (f->format == AXAS_PT_EPT)
		cfg.root_flags = AXAS_PT_ROOT_AD;
	return cfg;
}

static int axt_init(struct kunit *test)
{
	const struct axt_fmt *f = test->param_value;
	struct axas_pt_cfg cfg;
	struct axt *t;

	if (!f)
		f = &axt_fmts[0];
	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->test = test;
	t->f = f;
	t->live_base = axt_live_tables();
	cfg = axt_cfg(f);
	if (axas_pt_init(&t->pt, &cfg))
		return -ENOMEM;
	t->model.levels = f->levels;
	t->dec.format = f->format;
	t->dec.levels = f->levels;
	t->dec.caps = cfg.caps.flags;
	t->dec.phys_bits = AXT_PHYS_BITS;
	axas_pt_gather_init(&t->gather);
	test->priv = t;
	return 0;
}

/* The flush a VMM would do; the engine's pages may go after it. */
static void axt_flush(struct axt *t)
{
	axas_pt_gather_release(&t->gather);
}

static void axt_exit(struct kunit *test)
{
	struct axt *t = test->priv;

	if (!t)
		return;
	axt_flush(t);
	axas_pt_destroy(&t->pt, NULL, NULL);
	axt_leaves_free(&t->model.l);
	axt_leaves_free(&t->dec.out);
	KUNIT_EXPECT_EQ_MSG(test, axt_live_tables(), t->live_base,
			    "table pages leaked");
}

static u64 axt_gpa_limit(const struct axt *t)
{
	return t->pt.gpa_limit;
}

static bool axt_leaf_eq(const struct axt_leaf *a, const struct axt_leaf *b)
{
	return a->gpa == b->gpa && a->hpa == b->hpa && a->level == b->level &&
	       a->prot == b->prot;
}

/*
 * The decoded table equals the model: same leaves (address, level, rights,
 * memory type), the minimal number of table pages per level, no illegal
 * entry, and the engine's own counters agree.
 */
static void axt_check(struct axt *t, const char *what)
{
	struct kunit *test = t->test;
	unsigned long want[AXAS_PT_MAX_LEVELS];
	unsigned long leaves[AXAS_PT_LEAF_LEVELS] = {};
	size_t i;
	int ret;

	ret = axt_decode(&t->dec, axas_pt_root(&t->pt));
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "%s: decode failed", what);
	KUNIT_EXPECT_EQ_MSG(test, t->dec.errors, 0, "%s: %s", what,
			    t->dec.first_error);
	KUNIT_EXPECT_EQ_MSG(test, t->dec.out.n, t->model.l.n,
			    "%s: leaf count", what);
	for (i = 0; i < min(t->dec.out.n, t->model.l.n); i++) {
		const struct axt_leaf *d = &t->dec.out.v[i], *m = &t->model.l.v[i];

		if (!axt_leaf_eq(d, m)) {
			KUNIT_FAIL(test, "%s: leaf %zu: table gpa %llx hpa %llx L%u prot %x, model gpa %llx hpa %llx L%u prot %x",
				   what, i, d->gpa, d->hpa, d->level, d->prot,
				   m->gpa, m->hpa, m->level, m->prot);
			break;
		}
		leaves[d->level]++;
	}
	axt_model_tables(&t->model, want);
	for (i = 0; i < AXAS_PT_MAX_LEVELS; i++) {
		KUNIT_EXPECT_EQ_MSG(test, t->dec.tables[i], want[i],
				    "%s: table pages at level %zu", what, i);
		KUNIT_EXPECT_EQ_MSG(test, t->dec.tables[i],
				    (unsigned long)atomic_long_read(&t->pt.stats.tables[i]),
				    "%s: stats.tables[%zu]", what, i);
	}
	for (i = 0; i < AXAS_PT_LEAF_LEVELS; i++)
		KUNIT_EXPECT_EQ_MSG(test, leaves[i],
				    (unsigned long)atomic_long_read(&t->pt.stats.leaves[i]),
				    "%s: stats.leaves[%zu]", what, i);
}

static int axt_map(struct axt *t, u64 gpa, u64 size, u64 hpa, u32 prot,
		   unsigned long pgsizes)
{
	struct axas_pt_src src = { .pa = hpa };
	int ret = axas_pt_map(&t->pt, gpa, size, &src, prot, pgsizes, 0);

	if (!ret)
		KUNIT_ASSERT_EQ(t->test, axt_model_map(&t->model, gpa, size, hpa,
						       prot, pgsizes), 0);
	return ret;
}

static int axt_unmap(struct axt *t, u64 gpa, u64 size)
{
	int ret = axas_pt_unmap(&t->pt, gpa, size, NULL, NULL, &t->gather);

	if (!ret)
		KUNIT_ASSERT_EQ(t->test, axt_model_unmap(&t->model, gpa, size), 0);
	return ret;
}

static int axt_protect(struct axt *t, u64 gpa, u64 size, u32 prot)
{
	int ret = axas_pt_protect(&t->pt, gpa, size, prot, &t->gather);

	if (!ret)
		KUNIT_ASSERT_EQ(t->test,
				axt_model_protect(&t->model, gpa, size, prot), 0);
	return ret;
}

#define RW	(AXAS_PROT_READ | AXAS_PROT_WRITE)
#define RWX	AXAS_PROT_RWX

/* A leaf of each size, checked through the decoder and through query. */
static void axas_pt_map_query_each_size(struct kunit *test)
{
	struct axt *t = test->priv;
	static const struct { u64 gpa, hpa, size; unsigned int level; } c[] = {
		{ SZ_1G * 3ULL, SZ_1G * 5ULL, SZ_1G, 2 },
		{ SZ_1G + SZ_2M * 7, SZ_1G * 9ULL + SZ_2M * 3, SZ_2M, 1 },
		{ SZ_1G + SZ_4K * 5, 0x12345000ULL, SZ_4K, 0 },
	};
	struct axas_pt_leaf leaf;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		u32 prot = RW | AXAS_PROT_MT(AXAS_MT_WC);

		KUNIT_ASSERT_EQ(test, axt_map(t, c[i].gpa, c[i].size, c[i].hpa,
					      prot, AXT_ALL_SIZES), 0);
		axt_check(t, "map");
		KUNIT_ASSERT_EQ(test, axas_pt_query(&t->pt, c[i].gpa + c[i].size - 8,
						    &leaf), 0);
		KUNIT_EXPECT_EQ(test, leaf.gpa, c[i].gpa);
		KUNIT_EXPECT_EQ(test, leaf.hpa, c[i].hpa);
		KUNIT_EXPECT_EQ(test, leaf.size, c[i].size);
		KUNIT_EXPECT_EQ(test, leaf.level, c[i].level);
		KUNIT_EXPECT_EQ(test, leaf.prot, prot);
		KUNIT_EXPECT_EQ(test, atomic_long_read(&t->pt.stats.leaves[c[i].level]), 1);
	}
	KUNIT_EXPECT_EQ(test, axas_pt_query(&t->pt, SZ_1G * 2ULL, &leaf), -ENOENT);
	KUNIT_EXPECT_EQ(test, axas_pt_query(&t->pt, axt_gpa_limit(t), &leaf), -ERANGE);
}

/* Every memory type and right the format can express survives the trip. */
static void axas_pt_prot_roundtrip(struct kunit *test)
{
	struct axt *t = test->priv;
	struct axas_pt_leaf leaf;
	unsigned int mt, r, n = 0;
	u64 gpa = 0;

	for (mt = 0; mt < AXAS_MT_NR; mt++) {
		for (r = 1; r < 32; r++) {
			u32 prot = r | AXAS_PROT_MT(mt);

			if (axas_pt_check_prot(&t->pt, prot))
				continue;
			KUNIT_ASSERT_EQ(test, axt_map(t, gpa, SZ_2M, gpa + SZ_1G,
						      prot, AXT_ALL_SIZES), 0);
			KUNIT_ASSERT_EQ(test, axas_pt_query(&t->pt, gpa, &leaf), 0);
			KUNIT_EXPECT_EQ(test, leaf.prot, prot);
			gpa += SZ_2M;
			n++;
		}
	}
	/* EPT: R,RX,RW,RWX,X,XU... ; NPT: R,RW,RX,RWX per type. */
	KUNIT_EXPECT_GE(test, n, 4 * AXAS_MT_NR);
	axt_check(t, "roundtrip");
}

/* The last page, 2M and 1G of the GPA range: no index aliasing. */
static void axas_pt_last_page(struct kunit *test)
{
	struct axt *t = test->priv;
	u64 top = axt_gpa_limit(t);
	struct axas_pt_leaf leaf;

	KUNIT_ASSERT_EQ(test, axt_map(t, top - SZ_4K, SZ_4K, 0x5000, RW,
				      AXT_ALL_SIZES), 0);
	KUNIT_ASSERT_EQ(test, axt_map(t, top - SZ_1G, SZ_2M, SZ_2M, RWX,
				      AXT_ALL_SIZES), 0);
	KUNIT_ASSERT_EQ(test, axt_map(t, top - 2ULL * SZ_1G, SZ_1G, SZ_1G, RW,
				      AXT_ALL_SIZES), 0);
	axt_check(t, "top of range");
	KUNIT_ASSERT_EQ(test, axas_pt_query(&t->pt, top - 1, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.hpa, 0x5000);
	/* The same indices at the bottom of the range stay unmapped. */
	KUNIT_EXPECT_EQ(test, axas_pt_query(&t->pt, (top - 1) & (top / 2 - 1), &leaf),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, axas_pt_query(&t->pt, 0, &leaf), -ENOENT);
	KUNIT_EXPECT_EQ(test, axt_map(t, top - SZ_4K, SZ_8K, 0, RW, SZ_4K), -ERANGE);
	KUNIT_ASSERT_EQ(test, axt_unmap(t, top - 2ULL * SZ_1G, 2ULL * SZ_1G), 0);
	axt_flush(t);
	axt_check(t, "unmap top");
}

static void axt_partial(struct kunit *test, u64 size, bool unmap)
{
	struct axt *t = test->priv;
	u64 gpa = 4ULL * SZ_1G, hpa = 8ULL * SZ_1G;
	u64 hole = gpa + size / 2 + SZ_4K * 3;

	/* Neighbours on both sides, which must not change. */
	KUNIT_ASSERT_EQ(test, axt_map(t, gpa - SZ_4K, SZ_4K, 0x1000, RW, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axt_map(t, gpa + size, SZ_4K, 0x2000, RW, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axt_map(t, gpa, size, hpa, RWX, AXT_ALL_SIZES), 0);
	axt_check(t, "before");
	if (unmap)
		KUNIT_ASSERT_EQ(test, axt_unmap(t, hole, SZ_4K), 0);
	else
		KUNIT_ASSERT_EQ(test, axt_protect(t, hole, SZ_4K, AXAS_PROT_READ), 0);
	axt_check(t, unmap ? "partial unmap" : "partial protect");
	/* Only the page itself needs a flush. */
	KUNIT_EXPECT_EQ(test, t->gather.start, hole);
	KUNIT_EXPECT_EQ(test, t->gather.end, hole + SZ_4K);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->pt.stats.leaves[0]),
			2 + 511 + (unmap ? 0 : 1));
	axt_flush(t);
	/* And the rest of the former huge leaf goes too. */
	KUNIT_ASSERT_EQ(test, axt_unmap(t, gpa, size), 0);
	axt_flush(t);
	axt_check(t, "rest");
}

static void axas_pt_partial_unmap_2m(struct kunit *test)
{
	axt_partial(test, SZ_2M, true);
}

static void axas_pt_partial_unmap_1g(struct kunit *test)
{
	axt_partial(test, SZ_1G, true);
}

static void axas_pt_partial_protect_2m(struct kunit *test)
{
	axt_partial(test, SZ_2M, false);
}

static void axas_pt_partial_protect_1g(struct kunit *test)
{
	axt_partial(test, SZ_1G, false);
}

/* One unmap across 4K, 2M and 1G leaves and across table boundaries. */
static void axas_pt_unmap_across_sizes(struct kunit *test)
{
	struct axt *t = test->priv;
	u64 gpa = SZ_1G - 3 * SZ_2M - 5 * SZ_4K;
	u64 size = 3 * SZ_2M + 5 * SZ_4K + SZ_1G + 2 * SZ_2M + 7 * SZ_4K;

	/* HPA congruent to GPA modulo 1G, so every size is used. */
	KUNIT_ASSERT_EQ(test, axt_map(t, gpa, size, 64ULL * SZ_1G + gpa, RWX,
				      AXT_ALL_SIZES), 0);
	axt_check(t, "mixed map");
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->pt.stats.leaves[2]), 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->pt.stats.leaves[1]), 5);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->pt.stats.leaves[0]), 12);
	KUNIT_ASSERT_EQ(test, axt_unmap(t, gpa + 2 * SZ_4K, size - 4 * SZ_4K), 0);
	axt_check(t, "mixed unmap");
	KUNIT_EXPECT_EQ(test, t->gather.start, gpa + 2 * SZ_4K);
	KUNIT_EXPECT_EQ(test, t->gather.end, gpa + size - 2 * SZ_4K);
	axt_flush(t);
}

struct axt_unmapped {
	unsigned int n;
	u64 bytes;
};

static void axt_count_leaf(void *arg, const struct axas_pt_leaf *leaf)
{
	struct axt_unmapped *u = arg;

	u->n++;
	u->bytes += leaf->size;
}

/* Unmapping everything gives back every table page but the root. */
static void axas_pt_empty_table_reclaim(struct kunit *test)
{
	struct axt *t = test->priv;
	u64 top = axt_gpa_limit(t);
	struct axt_unmapped u = {};
	unsigned int level;
	u64 i;

	for (i = 0; i < 16; i++)
		KUNIT_ASSERT_EQ(test, axt_map(t, i * (top / 16) + i * SZ_2M + SZ_4K,
					      SZ_4K, i * SZ_4K, RW, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axt_map(t, SZ_1G, SZ_1G, SZ_1G, RW, AXT_ALL_SIZES), 0);
	axt_check(t, "scattered");
	KUNIT_EXPECT_GT(test, axas_pt_live_tables() - t->live_base, 16);
	KUNIT_ASSERT_EQ(test, axas_pt_unmap(&t->pt, 0, top, axt_count_leaf, &u,
					    &t->gather), 0);
	KUNIT_ASSERT_EQ(test, axt_model_unmap(&t->model, 0, top), 0);
	KUNIT_EXPECT_EQ(test, u.n, 17);
	KUNIT_EXPECT_EQ(test, u.bytes, 16 * SZ_4K + SZ_1G);
	/* Not freed before the flush... */
	KUNIT_EXPECT_GT(test, axas_pt_live_tables() - t->live_base, 16);
	axt_flush(t);
	rcu_barrier();
	axt_check(t, "empty");
	for (level = 0; level < t->pt.top_level; level++)
		KUNIT_EXPECT_EQ(test, atomic_long_read(&t->pt.stats.tables[level]), 0);
	/* ...and only the root is left after it. */
	KUNIT_EXPECT_EQ(test, axas_pt_live_tables() - t->live_base, 1);
}

/* Hardware-set A/D flags survive protect and split. */
static void axas_pt_keeps_accessed_dirty(struct kunit *test)
{
	struct axt *t = test->priv;
	u64 gpa = 2ULL * SZ_1G;
	u64 ad = t->f->format == AXAS_PT_EPT ? (BIT_ULL(8) | BIT_ULL(9)) :
					       (BIT_ULL(5) | BIT_ULL(6));
	struct axas_pt_leaf leaf;
	u64 *table = t->pt.root;
	unsigned int level;
	u64 *ptep = NULL;

	KUNIT_ASSERT_EQ(test, axt_map(t, gpa, SZ_2M, SZ_2M, RWX, AXT_ALL_SIZES), 0);
	/* Play the CPU: set A/D in the 2M leaf. */
	for (level = t->pt.top_level; level >= 1; level--) {
		ptep = &table[(gpa >> (12 + 9 * level)) & 511];
		if (level > 1)
			table = phys_to_virt(*ptep & GENMASK_ULL(51, 12));
	}
	WRITE_ONCE(*ptep, *ptep | ad);
	KUNIT_ASSERT_EQ(test, axt_protect(t, gpa, SZ_2M, AXAS_PROT_READ), 0);
	KUNIT_ASSERT_EQ(test, axas_pt_query(&t->pt, gpa, &leaf), 0);
	KUNIT_EXPECT_TRUE(test, leaf.accessed && leaf.dirty);
	KUNIT_EXPECT_EQ(test, leaf.prot, AXAS_PROT_READ);
	KUNIT_ASSERT_EQ(test, axas_pt_split(&t->pt, gpa + SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_pt_query(&t->pt, gpa + SZ_1M, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.size, SZ_4K);
	KUNIT_EXPECT_EQ(test, leaf.hpa, SZ_2M + SZ_1M);
	KUNIT_EXPECT_TRUE(test, leaf.accessed && leaf.dirty);
	KUNIT_EXPECT_EQ(test, axas_pt_split(&t->pt, gpa), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_pt_split(&t->pt, gpa + SZ_2M), -ENOENT);
	KUNIT_ASSERT_EQ(test, axt_model_unmap(&t->model, gpa, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, axt_model_map(&t->model, gpa, SZ_2M, SZ_2M,
					    AXAS_PROT_READ, SZ_4K), 0);
	axt_check(t, "split");
}

/* Shared maps: exactly one leaf, and the loser of a race is told. */
static void axas_pt_shared_map(struct kunit *test)
{
	struct axt *t = test->priv;
	struct axas_pt_src src = { .pa = SZ_2M };

	KUNIT_EXPECT_EQ(test, axas_pt_map(&t->pt, 0, SZ_8K, &src, RW, SZ_4K,
					  AXAS_PT_MAP_SHARED), -EINVAL);
	KUNIT_ASSERT_EQ(test, axas_pt_map(&t->pt, SZ_2M, SZ_2M, &src, RW,
					  SZ_2M, AXAS_PT_MAP_SHARED), 0);
	KUNIT_EXPECT_EQ(test, axas_pt_map(&t->pt, SZ_2M, SZ_2M, &src, RW,
					  SZ_2M, AXAS_PT_MAP_SHARED), -EEXIST);
	KUNIT_ASSERT_EQ(test, axt_model_map(&t->model, SZ_2M, SZ_2M, SZ_2M, RW,
					    SZ_2M), 0);
	axt_check(t, "shared");
}

/* A frame per page through the generator, as the alloc backend maps. */
static phys_addr_t axt_scatter(const struct axas_pt_src *src, u64 gpa, u64 *len)
{
	*len = SZ_4K;
	/* Reverse order: never contiguous. */
	return 0x40000000ULL - (gpa >> 12) * SZ_4K;
}

static void axas_pt_map_generator(struct kunit *test)
{
	struct axt *t = test->priv;
	struct axas_pt_src src = { .next = axt_scatter };
	struct axas_pt_leaf leaf;
	u64 gpa;

	KUNIT_ASSERT_EQ(test, axas_pt_map(&t->pt, SZ_2M, SZ_2M, &src, RW,
					  AXT_ALL_SIZES, 0), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->pt.stats.leaves[0]), 512);
	for (gpa = SZ_2M; gpa < SZ_4M; gpa += SZ_4K) {
		KUNIT_ASSERT_EQ(test, axas_pt_query(&t->pt, gpa, &leaf), 0);
		KUNIT_ASSERT_EQ(test, leaf.hpa, 0x40000000ULL - (gpa >> 12) * SZ_4K);
	}
}

/*
 * Frames of a size no leaf has: refused, the table as it was. 12 KiB is
 * not a power of two but has a bit in common with 4 KiB; the engine finds
 * a frame by shifting the offset, so such a size would map wrong frames.
 */
static void axas_pt_map_bad_frame_size(struct kunit *test)
{
	static const unsigned long sizes[] = { SZ_4K | SZ_8K, SZ_8K, 0 };
	struct axt *t = test->priv;
	struct page *frames[12] = {};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(frames); i++) {
		frames[i] = alloc_page(GFP_KERNEL);
		if (!frames[i]) {
			KUNIT_FAIL(test, "no page for frame %u", i);
			goto out;
		}
	}
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct axas_pt_src src = {
			.frames = frames, .frame_size = sizes[i],
		};

		/* 48 KiB: four 12 KiB frames, twelve 4 KiB pages. */
		KUNIT_EXPECT_EQ_MSG(test, axas_pt_map(&t->pt, 0, 4 * (SZ_4K | SZ_8K),
						      &src, RW, SZ_4K, 0),
				    -EINVAL, "frame size %#lx", sizes[i]);
		axt_check(t, "bad frame size");
	}
out:
	for (i = 0; i < ARRAY_SIZE(frames); i++)
		if (frames[i])
			__free_page(frames[i]);
}

struct axt_bad {
	const char *what;
	int op;	/* 0 map, 1 unmap, 2 protect */
	u64 gpa, size, hpa;
	u32 prot;
	unsigned long pgsizes;
	int ept_err, npt_err;
};

#define TOP	U64_MAX	/* stands for the GPA limit of the format */

static const struct axt_bad axt_bad_cases[] = {
	{ "unaligned gpa", 0, 0x1800, SZ_4K, 0, RW, SZ_4K, -EINVAL, -EINVAL },
	{ "unaligned size", 0, 0, 0x1800, 0, RW, SZ_4K, -EINVAL, -EINVAL },
	{ "unaligned hpa", 0, 0, SZ_4K, 0x800, RW, SZ_4K, -EINVAL, -EINVAL },
	{ "zero size", 0, 0, 0, 0, RW, SZ_4K, -EINVAL, -EINVAL },
	{ "wraps", 0, -SZ_4K, SZ_8K, 0, RW, SZ_4K, -ERANGE, -ERANGE },
	{ "beyond reach", 0, TOP, SZ_4K, 0, RW, SZ_4K, -ERANGE, -ERANGE },
	{ "hpa beyond width", 0, 0, SZ_4K, 1ULL << AXT_PHYS_BITS, RW, SZ_4K, -ERANGE, -ERANGE },
	{ "write without read", 0, 0, SZ_4K, 0, AXAS_PROT_WRITE, SZ_4K, -EINVAL, -EINVAL },
	{ "unknown prot bit", 0, 0, SZ_4K, 0, RW | BIT(20), SZ_4K, -EINVAL, -EINVAL },
	{ "unknown memtype", 0, 0, SZ_4K, 0, RW | AXAS_PROT_MT(7), SZ_4K, -EINVAL, -EINVAL },
	{ "execute-only", 0, 0x10000, SZ_4K, 0, AXAS_PROT_EXEC, SZ_4K, 0, -EOPNOTSUPP },
	{ "ignore-PAT", 0, 0x20000, SZ_4K, 0, RW | AXAS_PROT_IGNORE_PAT, SZ_4K, 0, -EOPNOTSUPP },
	{ "no page size", 0, 0, SZ_4K, 0, RW, 0, -EINVAL, -EINVAL },
	{ "unknown page size", 0, 0, SZ_4K, 0, RW, SZ_8K, -EINVAL, -EINVAL },
	{ "size fits no leaf", 0, 0, SZ_4K, 0, RW, SZ_2M, -EINVAL, -EINVAL },
	{ "overlap", 0, SZ_1G + SZ_2M - SZ_4K, SZ_8K, 0, RW, SZ_4K, -EEXIST, -EEXIST },
	{ "overlap inside huge", 0, SZ_1G + SZ_4M, SZ_4K, 0, RW, SZ_4K, -EEXIST, -EEXIST },
	{ "overlap around", 0, 0, 4ULL * SZ_1G, 0, RW, AXT_ALL_SIZES, -EEXIST, -EEXIST },
	{ "unmap unaligned", 1, SZ_1G + 1, SZ_4K, 0, 0, 0, -EINVAL, -EINVAL },
	{ "unmap zero", 1, SZ_1G, 0, 0, 0, 0, -EINVAL, -EINVAL },
	{ "unmap beyond", 1, TOP, SZ_4K, 0, 0, 0, -ERANGE, -ERANGE },
	{ "protect write-only", 2, SZ_1G, SZ_4K, 0, AXAS_PROT_WRITE, 0, -EINVAL, -EINVAL },
	{ "protect beyond", 2, TOP, SZ_4K, 0, RW, 0, -ERANGE, -ERANGE },
};

/* Each bad input: its errno, and the table exactly as before. */
static void axas_pt_bad_input(struct kunit *test)
{
	struct axt *t = test->priv;
	bool ept = t->f->format == AXAS_PT_EPT;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, axt_map(t, SZ_1G, 3 * SZ_2M, SZ_1G, RWX,
				      AXT_ALL_SIZES), 0);
	axt_check(t, "setup");
	for (i = 0; i < ARRAY_SIZE(axt_bad_cases); i++) {
		const struct axt_bad *c = &axt_bad_cases[i];
		u64 gpa = c->gpa == TOP ? axt_gpa_limit(t) : c->gpa;
		struct axas_pt_src src = { .pa = c->hpa };
		int want = ept ? c->ept_err : c->npt_err, ret;

		if (c->op == 0)
			ret = axas_pt_map(&t->pt, gpa, c->size, &src, c->prot,
					  c->pgsizes, 0);
		else if (c->op == 1)
			ret = axas_pt_unmap(&t->pt, gpa, c->size, NULL, NULL,
					    &t->gather);
		else
			ret = axas_pt_protect(&t->pt, gpa, c->size, c->prot,
					      &t->gather);
		KUNIT_EXPECT_EQ_MSG(test, ret, want, "%s", c->what);
		if (!ret && c->op == 0)
			KUNIT_ASSERT_EQ(test, axt_model_map(&t->model, gpa, c->size,
							    c->hpa, c->prot,
							    c->pgsizes), 0);
		KUNIT_EXPECT_FALSE_MSG(test, axas_pt_gather_need_flush(&t->gather),
				       "%s", c->what);
		axt_check(t, c->what);
	}
}

/* EPTP and nCR3 bits, and root requests beyond the capabilities. */
static void axas_pt_root_descriptor(struct kunit *test)
{
	struct axt *t = test->priv;
	struct axas_pt_cfg cfg = axt_cfg(t->f);
	struct axas_pt pt;
	u64 root = axas_pt_root(&t->pt);

	KUNIT_EXPECT_EQ(test, root & GENMASK_ULL(51, 12), t->pt.root_pa);
	if (t->f->format == AXAS_PT_NPT) {
		KUNIT_EXPECT_EQ(test, root, t->pt.root_pa);
		cfg.root_flags = AXAS_PT_ROOT_AD;
		KUNIT_EXPECT_EQ(test, axas_pt_init(&pt, &cfg), -EOPNOTSUPP);
	} else {
		/* WB (6), walk length - 1 in 5:3, A/D enable in bit 6. */
		KUNIT_EXPECT_EQ(test, root & 0xfff,
				6 | ((t->f->levels - 1) << 3) | BIT(6));
		cfg.root_flags = AXAS_PT_ROOT_UC;
		KUNIT_ASSERT_EQ(test, axas_pt_init(&pt, &cfg), 0);
		KUNIT_EXPECT_EQ(test, axas_pt_root(&pt) & 0xfff,
				0 | ((t->f->levels - 1) << 3));
		axas_pt_destroy(&pt, NULL, NULL);
		cfg.caps.flags &= ~AXAS_CAP_ROOT_UC;
		KUNIT_EXPECT_EQ(test, axas_pt_init(&pt, &cfg), -EOPNOTSUPP);
		cfg = axt_cfg(t->f);
		cfg.caps.flags &= ~AXAS_CAP_AD;
		KUNIT_EXPECT_EQ(test, axas_pt_init(&pt, &cfg), -EOPNOTSUPP);
		cfg = axt_cfg(t->f);
		cfg.caps.flags &= ~AXAS_CAP_ROOT_WB;
		KUNIT_EXPECT_EQ(test, axas_pt_init(&pt, &cfg), -EOPNOTSUPP);
	}
	cfg = axt_cfg(t->f);
	cfg.caps.flags &= ~(t->f->levels == 5 ? AXAS_CAP_5LEVEL : AXAS_CAP_4LEVEL);
	KUNIT_EXPECT_EQ(test, axas_pt_init(&pt, &cfg), -EOPNOTSUPP);
	cfg = axt_cfg(t->f);
	cfg.levels = 3;
	KUNIT_EXPECT_EQ(test, axas_pt_init(&pt, &cfg), -EINVAL);
	/* Leaf sizes beyond the capabilities. */
	cfg = axt_cfg(t->f);
	cfg.caps.flags &= ~AXAS_CAP_1G;
	KUNIT_ASSERT_EQ(test, axas_pt_init(&pt, &cfg), 0);
	{
		struct axas_pt_src src = { .pa = 0 };

		KUNIT_EXPECT_EQ(test, axas_pt_map(&pt, 0, SZ_1G, &src, RW,
						  AXT_ALL_SIZES, 0), -EOPNOTSUPP);
	}
	axas_pt_destroy(&pt, NULL, NULL);
}

/* The capability decoders, against hand-made register values. */
static void axas_pt_caps_decode(struct kunit *test)
{
	/* exec-only, 4-level, UC, WB, 2M, 1G, A/D (no 5-level). */
	u64 msr = BIT_ULL(0) | BIT_ULL(6) | BIT_ULL(8) | BIT_ULL(14) |
		  BIT_ULL(16) | BIT_ULL(17) | BIT_ULL(21);
	struct axas_pt_caps caps = axas_pt_caps_from_ept(msr, false, 39);

	KUNIT_EXPECT_EQ(test, caps.flags,
			AXAS_CAP_EXEC_ONLY | AXAS_CAP_4LEVEL | AXAS_CAP_ROOT_UC |
			AXAS_CAP_ROOT_WB | AXAS_CAP_2M | AXAS_CAP_1G | AXAS_CAP_AD);
	KUNIT_EXPECT_EQ(test, caps.phys_bits, 39);
	caps = axas_pt_caps_from_ept(BIT_ULL(7) | BIT_ULL(14), true, 0);
	KUNIT_EXPECT_EQ(test, caps.flags,
			AXAS_CAP_5LEVEL | AXAS_CAP_ROOT_WB | AXAS_CAP_MBEC);
	caps = axas_pt_caps_from_npt(true, false, 48);
	KUNIT_EXPECT_EQ(test, caps.flags, AXAS_CAP_5LEVEL | AXAS_CAP_2M);
	caps = axas_pt_caps_from_npt(false, true, 48);
	KUNIT_EXPECT_EQ(test, caps.flags,
			AXAS_CAP_4LEVEL | AXAS_CAP_2M | AXAS_CAP_1G);
}

static struct kunit_case axas_pt_cases[] = {
	KUNIT_CASE_PARAM(axas_pt_map_query_each_size, axt_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_pt_prot_roundtrip, axt_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_pt_last_page, axt_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_pt_partial_unmap_2m, axt_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_pt_partial_unmap_1g, axt_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_pt_partial_protect_2m, axt_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_pt_partial_protect_1g, axt_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_pt_unmap_across_sizes, axt_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_pt_empty_table_reclaim, axt_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_pt_keeps_accessed_dirty, axt_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_pt_shared_map, axt_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_pt_map_generator, axt_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_pt_map_bad_frame_size, axt_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_pt_bad_input, axt_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_pt_root_descriptor, axt_fmt_gen_params),
	KUNIT_CASE(axas_pt_caps_decode),
	{}
};

static struct kunit_suite axas_pt_suite = {
	.name = "axas_pt",
	.init = axt_init,
	.exit = axt_exit,
	.test_cases = axas_pt_cases,
};

/* ---- allocation failures ---------------------------------------------- */

static struct page *axt_failing_alloc(gfp_t gfp, int node)
{
	struct kunit *test = kunit_get_current_test();
	struct axt *t = test->priv;

	if (++t->allocs == t->fail_at)
		return NULL;
	return alloc_page(gfp);
}

/*
 * Fail the 1st, 2nd, ... allocation of @op until it succeeds; every failure
 * must leave the table (and the page count) exactly as it was.
 */
static void axt_sweep(struct axt *t, const char *what,
		      int (*op)(struct axt *t), unsigned int min_allocs)
{
	struct kunit *test = t->test;
	unsigned int n;
	int ret;

	kunit_activate_static_stub(test, axas_pt_alloc_page, axt_failing_alloc);
	for (n = 1; ; n++) {
		long live = axas_pt_live_tables();

		t->allocs = 0;
		t->fail_at = n;
		ret = op(t);
		if (!ret)
			break;
		KUNIT_ASSERT_EQ_MSG(test, ret, -ENOMEM, "%s: allocation %u", what, n);
		KUNIT_EXPECT_EQ_MSG(test, axas_pt_live_tables(), live,
				    "%s: allocation %u: pages leaked", what, n);
		KUNIT_EXPECT_FALSE(test, axas_pt_gather_need_flush(&t->gather));
		axt_check(t, what);
		KUNIT_ASSERT_LT_MSG(test, n, 64U, "%s never succeeds", what);
	}
	kunit_deactivate_static_stub(test, axas_pt_alloc_page);
	/* The sweep really met that many allocations. */
	KUNIT_EXPECT_GE_MSG(test, n - 1, min_allocs, "%s", what);
	axt_check(t, what);
}

/* Straddles two top-level entries: two new tables at every level below. */
static int axt_op_map_straddle(struct axt *t)
{
	u64 edge = axas_pt_level_size(t->pt.top_level);

	return axt_map(t, edge - SZ_4K, SZ_8K, 0x7000, RW, AXT_ALL_SIZES);
}

static int axt_op_unmap_in_1g(struct axt *t)
{
	return axt_unmap(t, SZ_1G + SZ_2M + SZ_4K, SZ_4K);
}

static int axt_op_protect_1g_edges(struct axt *t)
{
	return axt_protect(t, 2ULL * SZ_1G + SZ_4K, SZ_1G - 2 * SZ_4K,
			   AXAS_PROT_READ);
}

static void axas_pt_inject_map(struct kunit *test)
{
	struct axt *t = test->priv;

	axt_sweep(t, "map", axt_op_map_straddle, 2 * (t->f->levels - 1));
}

static void axas_pt_inject_split(struct kunit *test)
{
	struct axt *t = test->priv;

	KUNIT_ASSERT_EQ(test, axt_map(t, SZ_1G, 2ULL * SZ_1G, SZ_1G, RWX,
				      AXT_ALL_SIZES), 0);
	axt_sweep(t, "unmap split", axt_op_unmap_in_1g, 2);
	axt_flush(t);
	/* Splits at both ends of one 1G leaf: 1G->2M->4K twice. */
	axt_sweep(t, "protect split", axt_op_protect_1g_edges, 3);
	axt_flush(t);
}

static struct kunit_case axas_pt_inject_cases[] = {
	KUNIT_CASE_PARAM(axas_pt_inject_map, axt_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_pt_inject_split, axt_fmt_gen_params),
	{}
};

static struct kunit_suite axas_pt_inject_suite = {
	.name = "axas_pt_inject",
	.init = axt_init,
	.exit = axt_exit,
	.test_cases = axas_pt_inject_cases,
};

/* ---- random operations against the model -------------------------------- */

static u32 axt_random_prot(struct axt *t, struct rnd_state *rnd)
{
	static const u32 ept[] = { RW, RWX, AXAS_PROT_READ, AXAS_PROT_READ | AXAS_PROT_EXEC,
				   AXAS_PROT_EXEC, RW | AXAS_PROT_MT(AXAS_MT_UC),
				   RWX | AXAS_PROT_EXEC_USER | AXAS_PROT_IGNORE_PAT,
				   AXAS_PROT_NONE };
	static const u32 npt[] = { RW, RWX, AXAS_PROT_READ, AXAS_PROT_READ | AXAS_PROT_EXEC,
				   RW | AXAS_PROT_MT(AXAS_MT_UC),
				   RWX | AXAS_PROT_MT(AXAS_MT_WT),
				   AXAS_PROT_NONE | AXAS_PROT_MT(AXAS_MT_WC) };
	u32 r = prandom_u32_state(rnd);

	if (t->f->format == AXAS_PT_EPT)
		return ept[r % ARRAY_SIZE(ept)];
	return npt[r % ARRAY_SIZE(npt)];
}

/* A range in the window whose size favours a given leaf size. */
static void axt_random_range(struct rnd_state *rnd, u64 window, u64 *off,
			     u64 *size)
{
	u32 r = prandom_u32_state(rnd);

	switch (r % 4) {
	case 0:
		*size = SZ_4K * (1 + prandom_u32_state(rnd) % 64);
		*off = ALIGN_DOWN((u64)prandom_u32_state(rnd) * SZ_4K, SZ_4K);
		break;
	case 1:
		*size = SZ_2M * (1 + prandom_u32_state(rnd) % 4);
		*off = (u64)prandom_u32_state(rnd) * SZ_2M;
		break;
	case 2:
		*size = SZ_1G;
		*off = (u64)prandom_u32_state(rnd) * SZ_1G;
		break;
	default:
		*size = SZ_4K * (1 + prandom_u32_state(rnd) % (2 * 512 * 512));
		*off = (u64)prandom_u32_state(rnd) * SZ_4K;
		break;
	}
	*off %= window;
	if (*size > window - *off)
		*size = window - *off;
}

/* After every operation: a few GPAs of its range, query against model. */
static void axt_spot_check(struct axt *t, struct rnd_state *rnd, u64 gpa,
			   u64 size, unsigned int op)
{
	unsigned int i;

	for (i = 0; i < 4; i++) {
		u64 at = gpa + ALIGN_DOWN(prandom_u32_state(rnd) % size, SZ_4K);
		const struct axt_leaf *m = axt_model_find(&t->model, at);
		struct axas_pt_leaf leaf;
		int ret = axas_pt_query(&t->pt, at, &leaf);

		if (!m) {
			KUNIT_EXPECT_EQ_MSG(t->test, ret, -ENOENT, "op %u gpa %llx", op, at);
			continue;
		}
		KUNIT_EXPECT_EQ_MSG(t->test, ret, 0, "op %u gpa %llx", op, at);
		if (ret)
			continue;
		KUNIT_EXPECT_EQ_MSG(t->test, leaf.gpa, m->gpa, "op %u gpa %llx", op, at);
		KUNIT_EXPECT_EQ_MSG(t->test, leaf.hpa, m->hpa, "op %u gpa %llx", op, at);
		KUNIT_EXPECT_EQ_MSG(t->test, leaf.level, m->level, "op %u gpa %llx", op, at);
		KUNIT_EXPECT_EQ_MSG(t->test, leaf.prot, m->prot, "op %u gpa %llx", op, at);
	}
}

static void axas_pt_random(struct kunit *test)
{
	struct axt *t = test->priv;
	/* 4 GiB at the top of the range: high indices at every level. */
	u64 window = 4ULL * SZ_1G, base = axt_gpa_limit(t) - window;
	unsigned int i, maps = 0, unmaps = 0, protects = 0, exists = 0;
	struct rnd_state rnd;
	u64 seed = random_seed ?: get_random_u64();

	kunit_info(test, "seed %llu (replay: random_seed=%llu)\n", seed, seed);
	prandom_seed_state(&rnd, seed);
	for (i = 0; i < random_ops; i++) {
		u32 op = prandom_u32_state(&rnd) % 8, prot;
		u64 off, size, hpa;
		int ret, want;

		/* Seconds of work under emulation: let the watchdog see progress. */
		cond_resched();

		axt_random_range(&rnd, window, &off, &size);
		prot = axt_random_prot(t, &rnd);
		if (op < 4) {
			/*
			 * HPA congruent to the GPA modulo 1G half the time, and
			 * always for large maps, which would otherwise be
			 * hundreds of thousands of 4K leaves.
			 */
			hpa = (u64)(prandom_u32_state(&rnd) % 512) * SZ_1G;
			if ((prandom_u32_state(&rnd) & 1) || size > SZ_16M)
				hpa += off % SZ_1G;
			else
				hpa += ALIGN_DOWN(prandom_u32_state(&rnd), SZ_4K);
			want = axt_model_map(&t->model, base + off, size, hpa,
					     prot, AXT_ALL_SIZES);
			/* The model is updated on success: undo, let axt_map redo. */
			if (!want)
				KUNIT_ASSERT_EQ(test, axt_model_unmap(&t->model,
								      base + off, size), 0);
			ret = axt_map(t, base + off, size, hpa, prot, AXT_ALL_SIZES);
			KUNIT_ASSERT_EQ_MSG(test, ret, want, "op %u map %llx+%llx",
					    i, base + off, size);
			if (ret)
				exists++;
			else
				maps++;
		} else if (op < 6) {
			KUNIT_ASSERT_EQ(test, axt_unmap(t, base + off, size), 0);
			unmaps++;
		} else {
			KUNIT_ASSERT_EQ(test, axt_protect(t, base + off, size, prot), 0);
			protects++;
		}
		if (prandom_u32_state(&rnd) % 4 == 0)
			axt_flush(t);
		axt_spot_check(t, &rnd, base + off, size, i);
		if (i % 256 == 255 || i + 1 == random_ops) {
			char what[48];

			snprintf(what, sizeof(what), "seed %llu op %u", seed, i);
			axt_check(t, what);
			if (test->status == KUNIT_FAILURE)
				return;
		}
	}
	kunit_info(test, "%u maps (%u refused as overlapping), %u unmaps, %u protects; %zu leaves at the end\n",
		   maps, exists, unmaps, protects, t->model.l.n);
	KUNIT_EXPECT_GT(test, maps, random_ops / 10);
	KUNIT_EXPECT_GT(test, exists, 0);
	KUNIT_ASSERT_EQ(test, axt_unmap(t, base, window), 0);
	axt_flush(t);
	axt_check(t, "final unmap");
}

static struct kunit_case axas_pt_random_cases[] = {
	KUNIT_CASE_PARAM_ATTR(axas_pt_random, axt_fmt_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	{}
};

static struct kunit_suite axas_pt_random_suite = {
	.name = "axas_pt_random",
	.init = axt_init,
	.exit = axt_exit,
	.test_cases = axas_pt_random_cases,
};

kunit_test_suites(&axas_pt_suite, &axas_pt_inject_suite, &axas_pt_random_suite);

MODULE_DESCRIPTION("KUnit suites of axas");
MODULE_LICENSE("GPL");
AXAS_IMPORT_NS();
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
