// SPDX-License-Identifier: GPL-2.0
/*
 * axas_bench: what axas costs next to what the kernel already does for the
 * same work, measured in the same boot. Each figure runs @runs times; the
 * table shows minimum and median, and every figure is also printed as one
 * JSON line ("AXAS-BENCH {...}") for scripts/bench.sh to collect.
 *
 * Figures (size = @size_mb MiB, 1024 by default):
 *  populate_4k    eager alloc area of 4K frames    vs vzalloc()
 *  teardown_4k    unmap of it                      vs vfree()
 *  populate_2m    eager alloc area of 2M frames    vs clearing as much
 *                                                     allocated memory
 *  lazy_fault     @faults faults on distinct pages vs alloc_page+clear
 *  range_map      one map call of the range (4K)   vs one call per page
 *  translate      @lookups random axas_translate() vs vmalloc_to_page()
 *  tables_*       table pages per size of leaves   vs the minimum
 *  parallel       2 kthreads faulting disjoint     vs 1 kthread
 *                 lazy ranges
 *  dirty_harvest  axas_dirty_log_get() of @size of vs reading as many leaf
 *                 4K leaves, 1% written             entries (the floor)
 *                 (EPT write-protection)
 *  wp_fault       @faults first writes to logged   vs as many lazy faults
 *                 pages (write-protection faults)
 *  snapshot_restore axas_snapshot_restore() after  vs memcpy() of those
 *                 1% of @size of 4K pages written   pages
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>

#include <axas/axas.h>
#include <axas/compat.h>

static uint size_mb = 1024;
module_param(size_mb, uint, 0444);
MODULE_PARM_DESC(size_mb, "MiB per populate/translate figure");
static uint runs = 5;
module_param(runs, uint, 0444);
MODULE_PARM_DESC(runs, "runs per figure (min and median reported)");
static uint faults = 262144;
module_param(faults, uint, 0444);
MODULE_PARM_DESC(faults, "faults per lazy-fault figure");
static uint lookups = 1000000;
module_param(lookups, uint, 0444);
MODULE_PARM_DESC(lookups, "lookups per translate figure");

#define MAX_RUNS	16
#define GPA_BASE	(1ULL << 32)

struct figure {
	const char *name;
	const char *anchor;
	const char *goal;	/* "<= 0.9", ">= 4", ... on axas / anchor */
	u64 axas[MAX_RUNS];
	u64 base[MAX_RUNS];
};

static void bench_flush(void *cookie, u64 gpa, u64 size)
{
}

static struct axas_space *bench_space(u64 size)
{
	struct axas_space_cfg cfg = {
		.name = "bench",
		.base = GPA_BASE,
		.size = size,
		.flush = bench_flush,
	};

	cfg.pt.format = AXAS_PT_NPT;
	cfg.pt.levels = 4;
	cfg.pt.caps = axas_pt_caps_from_npt(false, true, 0);
	return axas_space_create(&cfg);
}

/* EPT without A/D: dirty logging by write-protection. */
static struct axas_space *bench_space_ept(u64 size)
{
	struct axas_space_cfg cfg = {
		.name = "bench-ept",
		.base = GPA_BASE,
		.size = size,
		.flush = bench_flush,
	};

	cfg.pt.format = AXAS_PT_EPT;
	cfg.pt.levels = 4;
	/* IA32_VMX_EPT_VPID_CAP: 4-level walk, WB, 2 MiB and 1 GiB leaves. */
	cfg.pt.caps = axas_pt_caps_from_ept(BIT_ULL(6) | BIT_ULL(14) |
					    BIT_ULL(16) | BIT_ULL(17), false, 0);
	return axas_space_create(&cfg);
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static void min_median(u64 *v, unsigned int n, u64 *min, u64 *median)
{
	u64 s[MAX_RUNS];

	memcpy(s, v, n * sizeof(*v));
	sort(s, n, sizeof(*s), cmp_u64, NULL);
	*min = s[0];
	*median = s[n / 2];
}

static bool goal_met(const char *goal, u64 ratio_milli)
{
	unsigned int whole, frac = 0, limit;
	char op[3];

	if (sscanf(goal, "%2s %u.%u", op, &whole, &frac) < 2)
		return false;
	limit = whole * 1000 + (frac < 10 ? frac * 100 : frac * 10);
	if (!strcmp(op, "<="))
		return ratio_milli <= limit;
	return ratio_milli >= limit;
}

/* Times in ns; ratio axas/anchor, or anchor/axas for speed-ups (">="). */
static void report(struct figure *f, unsigned int n, const char *unit)
{
	u64 amin, amed, bmin, bmed, ratio;
	bool speedup = f->goal[0] == '>';

	min_median(f->axas, n, &amin, &amed);
	min_median(f->base, n, &bmin, &bmed);
	if (speedup)
		ratio = amed ? div64_u64(bmed * 1000, amed) : 0;
	else
		ratio = bmed ? div64_u64(amed * 1000, bmed) : 0;
	pr_info("%-14s %12llu %12llu  %-22s %12llu %12llu  %3llu.%03llu %s %-7s %s\n",
		f->name, amin, amed, f->anchor, bmin, bmed, ratio / 1000,
		ratio % 1000, speedup ? "x" : " ", f->goal,
		goal_met(f->goal, ratio) ? "met" : "MISSED");
	pr_info("AXAS-BENCH {\"figure\":\"%s\",\"unit\":\"%s\",\"runs\":%u,\"axas_min\":%llu,\"axas_median\":%llu,\"anchor\":\"%s\",\"anchor_min\":%llu,\"anchor_median\":%llu,\"ratio\":%llu.%03llu,\"goal\":\"%s\",\"met\":%s}\n",
		f->name, unit, n, amin, amed, f->anchor, bmin, bmed,
		ratio / 1000, ratio % 1000, f->goal,
		goal_met(f->goal, ratio) ? "true" : "false");
}

static void bench_populate(u64 size)
{
	struct figure pop = { "populate_4k", "vzalloc", "<= 0.9" };
	struct figure tear = { "teardown_4k", "vfree", "<= 1.0" };
	unsigned int i;

	for (i = 0; i < runs; i++) {
		struct axas_space *s = bench_space(size);
		void *v;
		u64 t;

		if (IS_ERR(s))
			return;
		t = ktime_get_ns();
		if (axas_map_alloc(s, GPA_BASE, size,
				   AXAS_PROT_RWX | AXAS_AREA_POPULATE, SZ_4K)) {
			pr_err("populate_4k: map failed\n");
			axas_space_destroy(s);
			return;
		}
		pop.axas[i] = ktime_get_ns() - t;
		t = ktime_get_ns();
		if (axas_unmap(s, GPA_BASE, size))
			pr_err("teardown_4k: unmap failed\n");
		tear.axas[i] = ktime_get_ns() - t;
		axas_space_destroy(s);

		t = ktime_get_ns();
		v = vzalloc(size);
		pop.base[i] = ktime_get_ns() - t;
		if (!v)
			break;
		t = ktime_get_ns();
		vfree(v);
		tear.base[i] = ktime_get_ns() - t;
	}
	if (i < runs) {
		pr_err("populate_4k: the vzalloc anchor failed in run %u\n", i);
		return;
	}
	report(&pop, runs, "ns");
	report(&tear, runs, "ns");
}

static void bench_populate_2m(u64 size)
{
	struct figure f = { "populate_2m", "clear allocated 2M", "<= 1.25" };
	unsigned long n = size / SZ_2M, j, k;
	struct page **blocks;
	unsigned int i;

	blocks = kvcalloc(n, sizeof(*blocks), GFP_KERNEL);
	if (!blocks)
		return;
	for (i = 0; i < runs; i++) {
		struct axas_space *s = bench_space(size);
		u64 t;

		if (IS_ERR(s))
			break;
		t = ktime_get_ns();
		if (axas_map_alloc(s, GPA_BASE, size,
				   AXAS_PROT_RWX | AXAS_AREA_POPULATE, SZ_2M)) {
			pr_err("populate_2m: map failed\n");
			axas_space_destroy(s);
			break;
		}
		f.axas[i] = ktime_get_ns() - t;
		axas_space_destroy(s);

		/* The floor: the clearing alone, of memory already held. */
		for (j = 0; j < n; j++) {
			blocks[j] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 9);
			if (!blocks[j])
				break;
		}
		t = ktime_get_ns();
		for (k = 0; k < j; k++) {
			unsigned int p;

			for (p = 0; p < 512; p++)
				clear_highpage(nth_page(blocks[k], p));
		}
		f.base[i] = ktime_get_ns() - t;
		while (j--)
			__free_pages(blocks[j], 9);
	}
	kvfree(blocks);
	if (i == runs)
		report(&f, runs, "ns");
}

static void bench_lazy_faults(void)
{
	struct figure f = { "lazy_fault", "alloc_page+clear", "<= 1.2" };
	u64 size = (u64)faults * SZ_4K;
	struct page **pages;
	unsigned int i, j;

	pages = kvcalloc(faults, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return;
	for (i = 0; i < runs; i++) {
		struct axas_space *s = bench_space(size);
		u64 t;

		if (IS_ERR(s) || axas_map_alloc(s, GPA_BASE, size, AXAS_PROT_RWX, SZ_4K)) {
			pr_err("lazy_fault: setup failed\n");
			if (!IS_ERR(s))
				axas_space_destroy(s);
			break;
		}
		t = ktime_get_ns();
		for (j = 0; j < faults; j++)
			if (axas_fault(s, GPA_BASE + (u64)j * SZ_4K, AXAS_ACCESS_WRITE))
				break;
		f.axas[i] = ktime_get_ns() - t;
		axas_space_destroy(s);
		if (j < faults) {
			pr_err("lazy_fault: fault %u failed\n", j);
			break;
		}

		t = ktime_get_ns();
		for (j = 0; j < faults; j++) {
			pages[j] = alloc_page(GFP_KERNEL_ACCOUNT);
			if (!pages[j])
				break;
			clear_highpage(pages[j]);
		}
		f.base[i] = ktime_get_ns() - t;
		while (j--)
			__free_page(pages[j]);
	}
	kvfree(pages);
	if (i == runs)
		report(&f, runs, "ns");
}

static void bench_range_map(u64 size)
{
	struct figure f = { "range_map", "page by page", ">= 4" };
	struct axas_pt_cfg cfg = { .format = AXAS_PT_NPT, .levels = 4 };
	struct axas_pt_gather g;
	unsigned int i;
	u64 off;

	cfg.caps = axas_pt_caps_from_npt(false, true, 0);
	for (i = 0; i < runs; i++) {
		struct axas_pt_src src = { .pa = SZ_1G };
		struct axas_pt pt;
		u64 t;

		if (axas_pt_init(&pt, &cfg))
			return;
		axas_pt_gather_init(&g);
		t = ktime_get_ns();
		if (axas_pt_map(&pt, GPA_BASE, size, &src, AXAS_PROT_RWX, SZ_4K, 0))
			pr_err("range_map: map failed\n");
		f.axas[i] = ktime_get_ns() - t;
		if (axas_pt_unmap(&pt, GPA_BASE, size, NULL, NULL, &g))
			pr_err("range_map: unmap failed\n");
		axas_pt_gather_release(&g);

		t = ktime_get_ns();
		for (off = 0; off < size; off += SZ_4K) {
			src.pa = SZ_1G + off;
			if (axas_pt_map(&pt, GPA_BASE + off, SZ_4K, &src,
					AXAS_PROT_RWX, SZ_4K, 0))
				break;
		}
		f.base[i] = ktime_get_ns() - t;
		axas_pt_destroy(&pt, NULL, NULL);
	}
	report(&f, runs, "ns");
}

static void bench_translate(u64 size)
{
	struct figure f = { "translate", "vmalloc_to_page", "<= 1.0" };
	struct axas_space *s = bench_space(size);
	struct axas_translation tr;
	struct rnd_state rnd;
	unsigned long sum = 0;
	unsigned int i, j;
	void *v;

	if (IS_ERR(s))
		return;
	v = vmalloc(size);
	if (!v || axas_map_alloc(s, GPA_BASE, size,
				 AXAS_PROT_RWX | AXAS_AREA_POPULATE, SZ_4K)) {
		pr_err("translate: setup failed\n");
		goto out;
	}
	for (i = 0; i < runs; i++) {
		u64 t;

		prandom_seed_state(&rnd, i);
		t = ktime_get_ns();
		for (j = 0; j < lookups; j++) {
			u64 off = ((u64)prandom_u32_state(&rnd) << 12) % size;

			if (!axas_translate(s, GPA_BASE + off, 1, &tr))
				sum += tr.hpa;
		}
		f.axas[i] = ktime_get_ns() - t;
		prandom_seed_state(&rnd, i);
		t = ktime_get_ns();
		for (j = 0; j < lookups; j++) {
			u64 off = ((u64)prandom_u32_state(&rnd) << 12) % size;

			sum += (unsigned long)vmalloc_to_page(v + off);
		}
		f.base[i] = ktime_get_ns() - t;
	}
	report(&f, runs, "ns");
	pr_debug("checksum %lu\n", sum);
out:
	vfree(v);
	axas_space_destroy(s);
}

static void bench_tables(u64 size)
{
	static const struct { const char *name; unsigned long pgsize; } c[] = {
		{ "tables_4k", SZ_4K }, { "tables_2m", SZ_2M }, { "tables_1g", SZ_1G },
	};
	struct axas_pt_cfg cfg = { .format = AXAS_PT_NPT, .levels = 4 };
	unsigned int i, l;

	cfg.caps = axas_pt_caps_from_npt(false, true, 0);
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		/* The minimum: one table per span below, plus the path up. */
		u64 gib = max_t(u64, size, SZ_1G);
		u64 leaves = gib / c[i].pgsize, min = 2, used = 0, after = 0;
		struct axas_pt_src src = { .pa = 0 };
		struct axas_pt_gather g;
		struct axas_pt pt;

		if (c[i].pgsize == SZ_4K)
			min += leaves / 512 + gib / SZ_1G;
		else if (c[i].pgsize == SZ_2M)
			min += gib / SZ_1G;
		if (axas_pt_init(&pt, &cfg))
			return;
		axas_pt_gather_init(&g);
		if (axas_pt_map(&pt, 0, gib, &src, AXAS_PROT_RWX, c[i].pgsize, 0))
			pr_err("%s: map failed\n", c[i].name);
		for (l = 0; l < AXAS_PT_MAX_LEVELS; l++)
			used += atomic_long_read(&pt.stats.tables[l]);
		if (axas_pt_unmap(&pt, 0, gib, NULL, NULL, &g))
			pr_err("%s: unmap failed\n", c[i].name);
		axas_pt_gather_release(&g);
		for (l = 0; l < AXAS_PT_MAX_LEVELS; l++)
			after += atomic_long_read(&pt.stats.tables[l]);
		axas_pt_destroy(&pt, NULL, NULL);
		pr_info("%-14s %12llu pages for %llu GiB, minimum %llu; after unmap %llu (root only: 1)  %s\n",
			c[i].name, used, gib / SZ_1G, min, after,
			used == min && after == 1 ? "met" : "MISSED");
		pr_info("AXAS-BENCH {\"figure\":\"%s\",\"unit\":\"pages\",\"axas\":%llu,\"minimum\":%llu,\"after_unmap\":%llu,\"met\":%s}\n",
			c[i].name, used, min, after,
			used == min && after == 1 ? "true" : "false");
	}
}

struct faulter {
	struct axas_space *space;
	u64 gpa;
	unsigned int n;
	struct completion go, done;
	int err;
};

static int faulter_fn(void *arg)
{
	struct faulter *w = arg;
	unsigned int i;

	wait_for_completion(&w->go);
	for (i = 0; i < w->n; i++) {
		if (axas_fault(w->space, w->gpa + (u64)i * SZ_4K, AXAS_ACCESS_WRITE)) {
			w->err = -EIO;
			break;
		}
	}
	complete(&w->done);
	return 0;
}

/* @nr threads share @faults faults on disjoint ranges; returns ns. */
static u64 run_faulters(unsigned int nr)
{
	u64 size = (u64)faults * SZ_4K, t;
	struct axas_space *s = bench_space(size);
	struct faulter w[2];
	unsigned int i;

	if (IS_ERR(s) || axas_map_alloc(s, GPA_BASE, size, AXAS_PROT_RWX, SZ_4K))
		goto fail;
	for (i = 0; i < nr; i++) {
		struct task_struct *task;

		w[i] = (struct faulter){ .space = s, .n = faults / nr,
					 .gpa = GPA_BASE + (u64)i * (faults / nr) * SZ_4K };
		init_completion(&w[i].go);
		init_completion(&w[i].done);
		task = kthread_create(faulter_fn, &w[i], "axas-bench/%u", i);
		if (IS_ERR(task))
			goto fail;
		kthread_bind(task, i);
		wake_up_process(task);
	}
	t = ktime_get_ns();
	for (i = 0; i < nr; i++)
		complete(&w[i].go);
	for (i = 0; i < nr; i++)
		wait_for_completion(&w[i].done);
	t = ktime_get_ns() - t;
	for (i = 0; i < nr; i++)
		if (w[i].err)
			goto fail;
	axas_space_destroy(s);
	return t;
fail:
	pr_err("parallel: setup or fault failed\n");
	if (!IS_ERR_OR_NULL(s))
		axas_space_destroy(s);
	return 0;
}

static void bench_parallel(void)
{
	struct figure f = { "parallel", "1 thread", ">= 1.7" };
	unsigned int i;

	if (num_online_cpus() < 2) {
		pr_info("%-14s skipped: %u CPU online (UML has one); needs 2\n",
			f.name, num_online_cpus());
		pr_info("AXAS-BENCH {\"figure\":\"parallel\",\"skipped\":\"%u CPU online, needs 2\"}\n",
			num_online_cpus());
		return;
	}
	for (i = 0; i < runs; i++) {
		f.axas[i] = run_faulters(2);
		f.base[i] = run_faulters(1);
		if (!f.axas[i] || !f.base[i])
			return;
	}
	report(&f, runs, "ns");
}

/* An eager 4 KiB area of @size, logged by write-protection. */
static struct axas_space *bench_logged(u64 size)
{
	struct axas_space *s = bench_space_ept(size);

	if (IS_ERR(s))
		return NULL;
	if (axas_map_alloc(s, GPA_BASE, size, AXAS_PROT_RWX | AXAS_AREA_POPULATE,
			   SZ_4K) ||
	    axas_dirty_log_start(s, GPA_BASE, size, 0)) {
		axas_space_destroy(s);
		return NULL;
	}
	return s;
}

/*
 * The harvest of a logged range with 1% of its pages written (by write
 * faults, outside the timing), against the floor of any harvest: reading
 * each of its leaf entries once (as many u64s, in 4 KiB pages).
 */
static void bench_dirty_harvest(u64 size)
{
	struct figure f = { "dirty_harvest", "read leaf entries", "<= 2.0" };
	unsigned long nr = size >> PAGE_SHIFT, *bitmap;
	unsigned long tables = DIV_ROUND_UP(nr, 512), i, j;
	struct axas_space *s = bench_logged(size);
	struct page **pages;
	unsigned int r;
	u64 sum = 0;

	bitmap = bitmap_zalloc(nr, GFP_KERNEL);
	pages = kvcalloc(tables, sizeof(*pages), GFP_KERNEL);
	if (!s || !bitmap || !pages) {
		pr_err("dirty_harvest: setup failed\n");
		goto out;
	}
	for (i = 0; i < tables; i++) {
		pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!pages[i])
			goto out;
	}
	for (r = 0; r < runs; r++) {
		long got;
		u64 t;

		for (i = 0; i < nr; i += 100)
			if (axas_fault(s, GPA_BASE + i * SZ_4K, AXAS_ACCESS_WRITE) < 0)
				break;
		t = ktime_get_ns();
		got = axas_dirty_log_get(s, GPA_BASE, size, bitmap);
		f.axas[r] = ktime_get_ns() - t;
		if (got != DIV_ROUND_UP(nr, 100)) {
			pr_err("dirty_harvest: %ld pages reported, %lu written\n",
			       got, DIV_ROUND_UP(nr, 100));
			goto out;
		}
		t = ktime_get_ns();
		for (i = 0; i < tables; i++) {
			const u64 *e = page_address(pages[i]);

			for (j = 0; j < 512; j++)
				sum += READ_ONCE(e[j]) & BIT_ULL(1);
		}
		f.base[r] = ktime_get_ns() - t;
	}
	report(&f, runs, "ns");
out:
	if (pages)
		for (i = 0; i < tables && pages[i]; i++)
			__free_page(pages[i]);
	kvfree(pages);
	bitmap_free(bitmap);
	if (s)
		axas_space_destroy(s);
	if (sum)
		pr_info("unexpected sum %llu\n", sum);
}

/*
 * The first write to a page that write-protection logging protects (a
 * fault that only gives the write right back) against a lazy fault (which
 * allocates, clears and installs a frame), @faults of each.
 */
static void bench_wp_fault(void)
{
	struct figure f = { "wp_fault", "lazy_fault", "<= 1.2" };
	u64 size = (u64)faults * SZ_4K;
	unsigned int r, j;

	for (r = 0; r < runs; r++) {
		struct axas_space *s = bench_logged(size);
		u64 t;

		if (!s) {
			pr_err("wp_fault: setup failed\n");
			return;
		}
		t = ktime_get_ns();
		for (j = 0; j < faults; j++)
			if (axas_fault(s, GPA_BASE + (u64)j * SZ_4K,
				       AXAS_ACCESS_WRITE) != AXAS_FAULT_INSTALLED)
				break;
		f.axas[r] = ktime_get_ns() - t;
		axas_space_destroy(s);
		if (j < faults) {
			pr_err("wp_fault: fault %u failed\n", j);
			return;
		}

		s = bench_space_ept(size);
		if (IS_ERR(s) || axas_map_alloc(s, GPA_BASE, size, AXAS_PROT_RWX, SZ_4K)) {
			pr_err("wp_fault: setup failed\n");
			if (!IS_ERR(s))
				axas_space_destroy(s);
			return;
		}
		t = ktime_get_ns();
		for (j = 0; j < faults; j++)
			if (axas_fault(s, GPA_BASE + (u64)j * SZ_4K, AXAS_ACCESS_WRITE))
				break;
		f.base[r] = ktime_get_ns() - t;
		axas_space_destroy(s);
	}
	report(&f, runs, "ns");
}

/*
 * A restore after the guest wrote 1% of an eager 4 KiB area of @size (with
 * axas_write(), outside the timing), against the floor of any restore:
 * copying as many saved pages back.
 */
static void bench_snapshot_restore(u64 size)
{
	struct figure f = { "snapshot_restore", "memcpy of those pages",
			    "<= 1.5" };
	unsigned long nr = size >> PAGE_SHIFT, n = DIV_ROUND_UP(nr, 100), i;
	struct axas_space *s = bench_space(size);
	struct page **src = NULL, **dst = NULL;
	unsigned int r;

	if (IS_ERR(s)) {
		pr_err("snapshot_restore: setup failed\n");
		return;
	}
	src = kvcalloc(n, sizeof(*src), GFP_KERNEL);
	dst = kvcalloc(n, sizeof(*dst), GFP_KERNEL);
	if (!src || !dst ||
	    axas_map_alloc(s, GPA_BASE, size, AXAS_PROT_RWX | AXAS_AREA_POPULATE,
			   SZ_4K) ||
	    axas_snapshot_take(s)) {
		pr_err("snapshot_restore: setup failed\n");
		goto out;
	}
	for (i = 0; i < n; i++) {
		src[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		dst[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!src[i] || !dst[i])
			goto out;
	}
	for (r = 0; r < runs; r++) {
		long got;
		u64 t;

		for (i = 0; i < nr; i += 100)
			if (axas_write(s, GPA_BASE + i * SZ_4K, &r, sizeof(r), 0))
				break;
		t = ktime_get_ns();
		got = axas_snapshot_restore(s);
		f.axas[r] = ktime_get_ns() - t;
		if (got != n) {
			pr_err("snapshot_restore: %ld pages restored, %lu written\n",
			       got, n);
			goto out;
		}
		t = ktime_get_ns();
		for (i = 0; i < n; i++)
			memcpy(page_address(dst[i]), page_address(src[i]),
			       PAGE_SIZE);
		f.base[r] = ktime_get_ns() - t;
	}
	report(&f, runs, "ns");
out:
	for (i = 0; src && dst && i < n; i++) {
		if (src[i])
			__free_page(src[i]);
		if (dst[i])
			__free_page(dst[i]);
	}
	kvfree(src);
	kvfree(dst);
	axas_space_destroy(s);
}

static int __init axas_bench_init(void)
{
	u64 size = (u64)size_mb * SZ_1M;

	runs = clamp(runs, 1U, (unsigned int)MAX_RUNS);
	if (!size_mb || !faults || !lookups || faults % 2)
		return -EINVAL;
	pr_info("size %u MiB, %u runs, %u faults, %u lookups, %u CPUs\n",
		size_mb, runs, faults, lookups, num_online_cpus());
	pr_info("%-14s %12s %12s  %-22s %12s %12s  %9s %-7s\n", "figure",
		"axas min", "axas median", "anchor", "anchor min", "median",
		"ratio", "goal");
	bench_populate(size);
	bench_populate_2m(size);
	bench_lazy_faults();
	bench_range_map(size);
	bench_translate(size);
	bench_tables(size);
	bench_parallel();
	bench_dirty_harvest(size);
	bench_wp_fault();
	bench_snapshot_restore(size);
	pr_info("AXAS-BENCH-DONE\n");
	return 0;
}

static void __exit axas_bench_exit(void)
{
}

module_init(axas_bench_init);
module_exit(axas_bench_exit);

MODULE_DESCRIPTION("axas benchmarks against the kernel's own anchors");
MODULE_LICENSE("GPL");
AXAS_IMPORT_NS();
