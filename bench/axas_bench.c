// SPDX-License-Identifier: GPL-2.0
/*
 * axas_bench: what axas costs next to what the kernel already does for the
 * same work, measured in the same boot. Each figure runs @runs times; the
 * table shows minimum and median, and every figure is also printed as one
 * JSON line ("AXAS-BENCH {...}") for scripts/bench.sh to collect.
 *
 * Figures (size = @size_mb MiB, 1024 by default):
 *  populate_4k    eager alloc area of 4K frames    vs its floor (bulk
 *                                                     allocation, clearing,
 *                                                     one entry a page);
 *                                                     _vzalloc: vzalloc()
 *  teardown_4k    unmap of it                      vs release_pages();
 *                                                     _vfree: vfree()
 *  populate_2m    eager alloc area of 2M frames    vs clearing as much
 *                                                     allocated memory
 *  lazy_fault     @faults faults on distinct pages vs alloc_page+clear
 *                 (_pool: their frames zeroed ahead by axas_prefill())
 *  lazy_fault_2m_pool  2M faults over @size, frames vs allocating and
 *                 zeroed ahead                        clearing 2M blocks
 *  range_map      one map call of the range (4K)   vs one call per page
 *  translate      @lookups random lookups          vs vmalloc_to_page()
 *                 (_full: axas_translate())
 *  tables_*       table pages per size of leaves   vs the minimum
 *  parallel       2 kthreads faulting disjoint     vs 1 kthread
 *                 lazy ranges (_kernel: alloc_page+clear)
 *  scale_*        populate, teardown, translate    vs their floor at the
 *                 at 64 MiB, 1 GiB, 4 GiB             same size
 *  dirty_harvest  axas_dirty_log_get() of @size of vs reading as many leaf
 *                 4K leaves, 1% written             entries (the floor)
 *                 (EPT write-protection)
 *  recover_2m     axas_dirty_log_stop() putting    vs reading the split
 *                 back @size of 2M leaves (NPT)     leaf entries once
 *  wp_fault       @faults first writes to logged   vs as many lazy faults
 *                 pages (write-protection faults)
 *  snapshot_restore axas_snapshot_restore() after  vs memcpy() of those
 *                 1% of @size of 4K pages written   pages
 *
 * Each figure has a goal for its ratio, which the table marks met or
 * MISSED. With @judge off (the short mode of `make check`, whose sizes are
 * too small for a ratio to mean much) no figure is compared with its goal:
 * the run checks that every figure is measured, or skipped with a reason,
 * and says how many could not be.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/highmem.h>
#include <linux/io.h>
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
static bool prefault = true;
module_param(prefault, bool, 0444);
MODULE_PARM_DESC(prefault, "touch all free memory before measuring (see bench_prefault())");
static uint scale_max_mb = 4096;
module_param(scale_max_mb, uint, 0444);
MODULE_PARM_DESC(scale_max_mb, "largest size of the scaling figures (64, 1024, 4096 MiB)");
static char *only;
module_param(only, charp, 0444);
MODULE_PARM_DESC(only, "run only the figures whose function's name contains this");
static bool judge = true;
module_param(judge, bool, 0444);
MODULE_PARM_DESC(judge, "compare each figure with its goal (0: measure and print only)");

#define MAX_RUNS	16
#define GPA_BASE	(1ULL << 32)

#ifdef CONFIG_UML
#define BENCH_KERNEL	"um"
#else
#define BENCH_KERNEL	"x86_64"
#endif

/*
 * One figure: @runs pairs of measurements, axas's and its anchor's, taken
 * one after the other in each run so that a change of load hits both.
 */
struct figure {
	const char *name;
	const char *anchor;
	const char *goal;	/* "<=0.9", ">=4", ... on axas / anchor */
	u64 axas[MAX_RUNS];
	u64 base[MAX_RUNS];
	const char *skipped;	/* why it was not measured, or NULL */
	const char *extra;	/* more JSON members ("\"k\":v,"), or NULL */
	const char *note;	/* more text for the table line, or NULL */
	bool failed;		/* met only if this stays false */
};

/*
 * Figures reported (measured, or skipped with a reason), and figures that
 * failed: not measured, or (with @judge off) a check that is no timing.
 */
static unsigned int figures_done, figures_failed;

/*
 * Run @call, which reports @nr figures unless one could not be measured
 * (a map, fault or anchor failed: it says so with pr_err() and reports
 * nothing); count the figures it did not report.
 */
#define BENCH_RUN(call, nr) do {					\
	unsigned int before = figures_done, want = (nr);		\
									\
	if (only && !strstr(#call, only))				\
		break;							\
	call;								\
	if (figures_done - before < want) {				\
		figures_failed += want - (figures_done - before);	\
		pr_err("%s: %u of %u figures not measured\n", #call,	\
		       want - (figures_done - before), want);		\
	}								\
} while (0)

static void bench_flush(void *cookie, u64 gpa, u64 size)
{
}

/* A space of @size at GPA_BASE on the table @pt describes. */
static struct axas_space *bench_space_pt(u64 size, const char *name,
					 const struct axas_pt_cfg *pt)
{
	struct axas_space_cfg cfg = {
		.name = name,
		.base = GPA_BASE,
		.size = size,
		.flush = bench_flush,
		.pt = *pt,
	};

	return axas_space_create(&cfg);
}

static struct axas_space *bench_space(u64 size)
{
	struct axas_pt_cfg pt = {
		.format = AXAS_PT_NPT,
		.levels = 4,
		.caps = axas_pt_caps_from_npt(false, true, 0),
	};

	return bench_space_pt(size, "bench", &pt);
}

/* EPT without A/D: dirty logging by write-protection. */
static struct axas_space *bench_space_ept(u64 size)
{
	struct axas_pt_cfg pt = {
		.format = AXAS_PT_EPT,
		.levels = 4,
		/* IA32_VMX_EPT_VPID_CAP: 4-level walk, WB, 2 MiB and 1 GiB leaves. */
		.caps = axas_pt_caps_from_ept(BIT_ULL(6) | BIT_ULL(14) |
					      BIT_ULL(16) | BIT_ULL(17), false, 0),
	};

	return bench_space_pt(size, "bench-ept", &pt);
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static void min_median_max(u64 *v, unsigned int n, u64 *min, u64 *median,
			   u64 *max)
{
	u64 s[MAX_RUNS];

	memcpy(s, v, n * sizeof(*v));
	sort(s, n, sizeof(*s), cmp_u64, NULL);
	*min = s[0];
	*median = s[n / 2];
	*max = s[n - 1];
}

/* @goal without blanks ("<=1.2"), for the JSON line. */
static void goal_compact(const char *goal, char *out, size_t len)
{
	size_t i = 0;

	for (; *goal && i + 1 < len; goal++)
		if (*goal != ' ')
			out[i++] = *goal;
	out[i] = 0;
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

/* axas/anchor in thousandths, or anchor/axas for speed-ups (">="). */
static u64 ratio_milli(bool speedup, u64 axas, u64 base)
{
	if (speedup)
		return axas ? div64_u64(base * 1000, axas) : 0;
	return base ? div64_u64(axas * 1000, base) : 0;
}

/*
 * The one place a figure is printed: its table line and its JSON line.
 * Values in @unit. Each run measures axas and its anchor back to back
 * (interleaved in chunks where the work allows), so the ratio is the
 * median of the runs' own ratios, with their smallest and largest as the
 * spread: a change of load between runs moves both sides of a pair.
 */
static void report(struct figure *f, unsigned int n, const char *unit)
{
	u64 amin, amed, amax, bmin, bmed, bmax, ratio, rmin, rmax;
	bool speedup = f->goal[0] == '>', met;
	u64 r[MAX_RUNS];
	char goal[16];
	unsigned int i;

	goal_compact(f->goal, goal, sizeof(goal));
	figures_done++;
	if (f->skipped) {
		pr_info("%-18s skipped: %s\n", f->name, f->skipped);
		pr_info("AXAS-BENCH {\"figure\":\"%s\",\"kernel\":\"%s\",\"axas_median\":null,\"anchor\":\"%s\",\"anchor_median\":null,\"ratio\":null,\"goal\":\"%s\",\"met\":null,\"skipped\":\"%s\"}\n",
			f->name, BENCH_KERNEL, f->anchor, goal, f->skipped);
		return;
	}
	min_median_max(f->axas, n, &amin, &amed, &amax);
	min_median_max(f->base, n, &bmin, &bmed, &bmax);
	for (i = 0; i < n; i++)
		r[i] = ratio_milli(speedup, f->axas[i], f->base[i]);
	min_median_max(r, n, &rmin, &ratio, &rmax);
	met = goal_met(goal, ratio) && !f->failed;
	if (!judge) {
		/* A check that is no timing (tables_*) still fails the run. */
		if (f->failed)
			figures_failed++;
		pr_info("%-18s %12llu %12llu  %-18s %12llu %12llu %3llu.%03llu%s %llu.%02llu-%llu.%02llu%s%s\n",
			f->name, amin, amed, f->anchor, bmin, bmed,
			ratio / 1000, ratio % 1000, speedup ? "x" : " ",
			rmin / 1000, rmin % 1000 / 10, rmax / 1000,
			rmax % 1000 / 10, f->failed ? " FAILED" : "",
			f->note ?: "");
	} else {
		pr_info("%-18s %12llu %12llu  %-18s %12llu %12llu %3llu.%03llu%s %llu.%02llu-%llu.%02llu %-6s %s%s\n",
			f->name, amin, amed, f->anchor, bmin, bmed,
			ratio / 1000, ratio % 1000, speedup ? "x" : " ",
			rmin / 1000, rmin % 1000 / 10, rmax / 1000,
			rmax % 1000 / 10, goal, met ? "met" : "MISSED",
			f->note ?: "");
	}
	pr_info("AXAS-BENCH {\"figure\":\"%s\",\"kernel\":\"%s\",\"unit\":\"%s\",\"runs\":%u,\"axas_min\":%llu,\"axas_median\":%llu,\"axas_max\":%llu,\"anchor\":\"%s\",\"anchor_min\":%llu,\"anchor_median\":%llu,\"anchor_max\":%llu,%s\"ratio\":%llu.%03llu,\"ratio_min\":%llu.%03llu,\"ratio_max\":%llu.%03llu,\"goal\":\"%s\",\"met\":%s}\n",
		f->name, BENCH_KERNEL, unit, n, amin, amed, amax, f->anchor,
		bmin, bmed, bmax, f->extra ?: "", ratio / 1000, ratio % 1000,
		rmin / 1000, rmin % 1000, rmax / 1000, rmax % 1000, goal,
		!judge ? "null" : met ? "true" : "false");
}

/*
 * The floor of populating @n 4 KiB pages: the bulk allocator at its best
 * (no zeroing, no accounting), clear_page() on each, and one 8-byte entry
 * written per page into @entries. Returns ns, 0 when memory ran out (then
 * nothing is held).
 */
static u64 floor_populate(struct page **pages, u64 *entries, unsigned long n)
{
	unsigned long got = 0, i;
	u64 t = ktime_get_ns();

	while (got < n) {
		unsigned long more = alloc_pages_bulk_array(GFP_KERNEL | __GFP_NOWARN,
							    n - got, pages + got);

		if (more == got)
			break;
		got = more;
	}
	for (i = 0; i < got; i++) {
		clear_page(page_address(pages[i]));
		WRITE_ONCE(entries[i], (u64)page_to_phys(pages[i]) | 0x67);
	}
	t = ktime_get_ns() - t;
	if (got == n)
		return t ?: 1;
	release_pages(pages, got);
	memset(pages, 0, n * sizeof(*pages));
	return 0;
}

/* Teardown's floor: freeing the same pages in bulk. Returns ns. */
static u64 floor_teardown(struct page **pages, unsigned long n)
{
	u64 t = ktime_get_ns();
	unsigned long i;

	for (i = 0; i < n; i += INT_MAX / 2)
		release_pages(pages + i, min(n - i, (unsigned long)INT_MAX / 2));
	t = ktime_get_ns() - t;
	memset(pages, 0, n * sizeof(*pages));
	return t ?: 1;
}

/* An eager 4 KiB area of @size: populate and teardown times in ns. */
static int axas_populate_teardown(u64 size, u64 *pop, u64 *tear,
				  void (*between)(struct axas_space *s, void *arg),
				  void *arg)
{
	struct axas_space *s = bench_space(size);
	int ret;
	u64 t;

	if (IS_ERR(s))
		return PTR_ERR(s);
	t = ktime_get_ns();
	ret = axas_map_alloc(s, GPA_BASE, size,
			     AXAS_PROT_RWX | AXAS_AREA_POPULATE, SZ_4K);
	*pop = ktime_get_ns() - t;
	if (!ret) {
		if (between)
			between(s, arg);
		t = ktime_get_ns();
		ret = axas_unmap(s, GPA_BASE, size);
		*tear = ktime_get_ns() - t;
	}
	axas_space_destroy(s);
	return ret;
}

/*
 * populate_4k and teardown_4k against their floors in both kernels, and
 * against vzalloc()/vfree() under QEMU only: UML backs each page of a
 * vmalloc area with a host mapping, which no axas path pays.
 */
static void bench_populate(u64 size)
{
	struct figure pop = { "populate_4k", "bulk+clear+entry", "<= 1.25" };
	struct figure tear = { "teardown_4k", "bulk free", "<= 1.5" };
	struct figure popv = { "populate_4k_vzalloc", "vzalloc", "<= 0.9" };
	struct figure tearv = { "teardown_4k_vfree", "vfree", "<= 1.0" };
	bool vmalloc_sound = !IS_ENABLED(CONFIG_UML);
	unsigned long n = size >> PAGE_SHIFT;
	struct page **pages;
	unsigned int i;
	u64 *entries;

	pages = kvcalloc(n, sizeof(*pages), GFP_KERNEL);
	entries = kvcalloc(n, sizeof(*entries), GFP_KERNEL);
	for (i = 0; pages && entries && i < runs; i++) {
		void *v;
		u64 t;

		/* Alternate which goes first. */
		if (i & 1) {
			pop.base[i] = floor_populate(pages, entries, n);
			if (!pop.base[i])
				break;
			tear.base[i] = floor_teardown(pages, n);
		}
		if (axas_populate_teardown(size, &pop.axas[i], &tear.axas[i],
					   NULL, NULL)) {
			pr_err("populate_4k: map or unmap failed\n");
			break;
		}
		if (!(i & 1)) {
			pop.base[i] = floor_populate(pages, entries, n);
			if (!pop.base[i])
				break;
			tear.base[i] = floor_teardown(pages, n);
		}
		if (!vmalloc_sound)
			continue;
		popv.axas[i] = pop.axas[i];
		tearv.axas[i] = tear.axas[i];
		t = ktime_get_ns();
		v = vzalloc(size);
		popv.base[i] = ktime_get_ns() - t;
		if (!v)
			break;
		t = ktime_get_ns();
		vfree(v);
		tearv.base[i] = ktime_get_ns() - t;
	}
	kvfree(pages);
	kvfree(entries);
	if (i < runs) {
		pr_err("populate_4k: an anchor failed in run %u\n", i);
		return;
	}
	report(&pop, runs, "ns");
	report(&tear, runs, "ns");
	if (!vmalloc_sound) {
		popv.skipped = "UML maps each vmalloc page on the host: no sound anchor";
		tearv.skipped = popv.skipped;
	}
	report(&popv, runs, "ns");
	report(&tearv, runs, "ns");
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

/* Leaves of @level (0: 4 KiB, 1: 2 MiB, 2: 1 GiB) in @s. */
static unsigned long bench_leaves(struct axas_space *s, unsigned int level)
{
	struct axas_space_stats st;

	axas_space_get_stats(s, &st);
	return st.leaves[level];
}

/* Work interleaved between axas and its anchor, in chunks of this many. */
#define CHUNK	4096

/*
 * @faults faults on distinct pages against as many alloc_page() and
 * clear_highpage(), in alternate chunks so that both see the same load.
 * With @pool, each chunk's frames are zeroed ahead (axas_prefill(),
 * outside the timing, as a VMM does in its guest's idle time): the fault
 * takes one and neither allocates nor clears.
 */
static void bench_lazy(struct figure *f, bool pool)
{
	u64 size = (u64)faults * SZ_4K;
	struct page **pages;
	unsigned int i, j = 0, k, c;

	pages = kvcalloc(faults, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return;
	for (i = 0; i < runs; i++) {
		struct axas_space *s = bench_space(size);
		u64 t;

		if (IS_ERR(s) || axas_map_alloc(s, GPA_BASE, size, AXAS_PROT_RWX, SZ_4K) ||
		    (pool && axas_pool_limit(s, CHUNK, 0))) {
			pr_err("%s: setup failed\n", f->name);
			if (!IS_ERR(s))
				axas_space_destroy(s);
			break;
		}
		f->axas[i] = 0;
		f->base[i] = 0;
		for (c = 0; c < faults; c += CHUNK) {
			unsigned int end = min(faults, c + CHUNK);

			if (pool && axas_prefill(s, end - c) != end - c)
				break;
			t = ktime_get_ns();
			for (j = c; j < end; j++)
				if (axas_fault(s, GPA_BASE + (u64)j * SZ_4K,
					       AXAS_ACCESS_WRITE))
					break;
			f->axas[i] += ktime_get_ns() - t;
			if (j < end)
				break;
			t = ktime_get_ns();
			for (k = c; k < end; k++) {
				pages[k] = alloc_page(GFP_KERNEL_ACCOUNT);
				if (!pages[k])
					break;
				clear_highpage(pages[k]);
			}
			f->base[i] += ktime_get_ns() - t;
			if (k < end)
				break;
		}
		axas_space_destroy(s);
		for (k = 0; k < faults && pages[k]; k++) {
			__free_page(pages[k]);
			pages[k] = NULL;
		}
		if (c < faults) {
			pr_err("%s: prefill, fault or anchor %u failed\n", f->name, j);
			break;
		}
	}
	kvfree(pages);
	if (i == runs)
		report(f, runs, "ns");
}

static void bench_lazy_faults(void)
{
	struct figure f = { "lazy_fault", "alloc_page+clear", "<= 1.2" };
	/* Under TCG the fault's own code is what is left: a looser goal. */
	struct figure p = { "lazy_fault_pool", "alloc_page+clear",
			    IS_ENABLED(CONFIG_UML) ? "<= 0.5" : "<= 0.75" };

	bench_lazy(&f, false);
	bench_lazy(&p, true);
}

/* 2 MiB faults per prefill in bench_lazy_2m_pool(). */
#define CHUNK_2M	16

/*
 * Faults of 2 MiB leaves taking frames zeroed ahead, against allocating a
 * 2 MiB block and clearing it, @size of each.
 */
static void bench_lazy_2m_pool(u64 size)
{
	struct figure f = { "lazy_fault_2m_pool", "alloc 2M+clear", "<= 0.3" };
	unsigned long n = size / SZ_2M, c, j = 0, k;
	struct page *blocks[CHUNK_2M];
	unsigned int i, p;

	for (i = 0; i < runs; i++) {
		struct axas_space *s = bench_space(size);
		u64 t;

		if (IS_ERR(s) || axas_map_alloc(s, GPA_BASE, size, AXAS_PROT_RWX, SZ_2M) ||
		    axas_pool_limit(s, 0, CHUNK_2M)) {
			pr_err("%s: setup failed\n", f.name);
			if (!IS_ERR(s))
				axas_space_destroy(s);
			break;
		}
		f.axas[i] = 0;
		f.base[i] = 0;
		for (c = 0; c < n; c += CHUNK_2M) {
			unsigned long end = min(n, c + CHUNK_2M);

			if (axas_prefill(s, (end - c) * 512) != (end - c) * 512)
				break;
			t = ktime_get_ns();
			for (j = c; j < end; j++)
				if (axas_fault(s, GPA_BASE + j * SZ_2M, AXAS_ACCESS_WRITE))
					break;
			f.axas[i] += ktime_get_ns() - t;
			if (j < end)
				break;
			t = ktime_get_ns();
			for (k = 0; k < end - c; k++) {
				blocks[k] = alloc_pages(GFP_KERNEL_ACCOUNT | __GFP_NOWARN, 9);
				if (!blocks[k])
					break;
				for (p = 0; p < 512; p++)
					clear_highpage(nth_page(blocks[k], p));
			}
			f.base[i] += ktime_get_ns() - t;
			j = k;
			while (k--)
				__free_pages(blocks[k], 9);
			if (j < end - c)
				break;
		}
		if (c >= n && bench_leaves(s, 1) != n) {
			pr_err("%s: %lu 2 MiB leaves for %lu faults\n", f.name,
			       bench_leaves(s, 1), n);
			f.failed = true;
		}
		axas_space_destroy(s);
		if (c < n) {
			pr_err("%s: prefill, fault or anchor failed at %lu\n", f.name, c);
			break;
		}
	}
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

/* @lookups random 4 KiB pages of [0, @size): the same ones for each seed. */
static u64 lookup_off(struct rnd_state *rnd, u64 size)
{
	return ((u64)prandom_u32_state(rnd) << 12) % size;
}

/* ns for @n axas_translate_hpa() (@full: axas_translate()) calls. */
static u64 time_translate(struct axas_space *s, u64 size, struct rnd_state *rnd,
			  unsigned int n, bool full, unsigned long *sum)
{
	struct axas_translation tr;
	phys_addr_t hpa;
	unsigned int j;
	u64 t;

	t = ktime_get_ns();
	if (full) {
		for (j = 0; j < n; j++)
			if (!axas_translate(s, GPA_BASE + lookup_off(rnd, size), 1, &tr))
				*sum += tr.hpa;
	} else {
		for (j = 0; j < n; j++)
			if (!axas_translate_hpa(s, GPA_BASE + lookup_off(rnd, size), &hpa))
				*sum += hpa;
	}
	return ktime_get_ns() - t;
}

static u64 time_vmalloc_to_page(void *v, u64 size, struct rnd_state *rnd,
				unsigned int n, unsigned long *sum)
{
	unsigned int j;
	u64 t;

	t = ktime_get_ns();
	for (j = 0; j < n; j++)
		*sum += (unsigned long)vmalloc_to_page(v + lookup_off(rnd, size));
	return ktime_get_ns() - t;
}

/*
 * translate: the HPA-only lookup (axas_translate_hpa()) against
 * vmalloc_to_page(); translate_full: axas_translate(), which also decodes
 * the rights and measures the contiguous length.
 */
static void bench_translate(u64 size)
{
	struct figure f = { "translate", "vmalloc_to_page", "<= 1.0" };
	struct figure full = { "translate_full", "vmalloc_to_page", "<= 2.0" };
	struct axas_space *s = bench_space(size);
	unsigned long sum = 0;
	unsigned int i;
	void *v;

	if (IS_ERR(s))
		return;
	v = vmalloc(size);
	if (!v || axas_map_alloc(s, GPA_BASE, size,
				 AXAS_PROT_RWX | AXAS_AREA_POPULATE, SZ_4K)) {
		pr_err("translate: setup failed\n");
		goto out;
	}
	/* The same pages for all three, in alternate chunks of lookups. */
	for (i = 0; i < runs; i++) {
		struct rnd_state r1, r2, r3;
		unsigned int c;

		prandom_seed_state(&r1, i);
		prandom_seed_state(&r2, i);
		prandom_seed_state(&r3, i);
		f.axas[i] = 0;
		f.base[i] = 0;
		full.axas[i] = 0;
		for (c = 0; c < lookups; c += CHUNK) {
			unsigned int n = min(lookups - c, CHUNK);

			f.axas[i] += time_translate(s, size, &r1, n, false, &sum);
			f.base[i] += time_vmalloc_to_page(v, size, &r2, n, &sum);
			full.axas[i] += time_translate(s, size, &r3, n, true, &sum);
		}
		full.base[i] = f.base[i];
	}
	report(&f, runs, "ns");
	report(&full, runs, "ns");
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
		struct figure f = { c[i].name, "minimum", "<= 1.0" };
		struct axas_pt_src src = { .pa = 0 };
		struct axas_pt_gather g;
		char extra[40], note[48];
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
		/* After the unmap only the root is left. */
		snprintf(extra, sizeof(extra), "\"after_unmap\":%llu,", after);
		snprintf(note, sizeof(note), " (%llu GiB; after unmap %llu, root: 1)",
			 gib / SZ_1G, after);
		f.axas[0] = used;
		f.base[0] = min;
		f.extra = extra;
		f.note = note;
		f.failed = after != 1;
		report(&f, 1, "pages");
	}
}

/* A thread of the parallel figures: faults, or alloc_page() + clear. */
struct faulter {
	struct axas_space *space;	/* NULL: the kernel's own work */
	struct page **pages;
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
		if (!w->space) {
			w->pages[i] = alloc_page(GFP_KERNEL_ACCOUNT);
			if (!w->pages[i]) {
				w->err = -ENOMEM;
				break;
			}
			clear_highpage(w->pages[i]);
		} else if (axas_fault(w->space, w->gpa + (u64)i * SZ_4K,
				      AXAS_ACCESS_WRITE)) {
			w->err = -EIO;
			break;
		}
	}
	complete(&w->done);
	return 0;
}

/*
 * @nr threads share 2 * @faults faults on disjoint ranges (@kernel: as
 * many alloc_page() + clear_highpage() into @pages); returns ns.
 */
static u64 run_faulters(unsigned int nr, bool kernel, struct page **pages)
{
	unsigned int total = 2 * faults;
	u64 size = (u64)total * SZ_4K, t = 0;
	struct axas_space *s = NULL;
	struct faulter w[2];
	unsigned int i, j;

	memset(pages, 0, total * sizeof(*pages));
	if (!kernel) {
		s = bench_space(size);
		if (IS_ERR(s) || axas_map_alloc(s, GPA_BASE, size, AXAS_PROT_RWX, SZ_4K))
			goto out;
	}
	for (i = 0; i < nr; i++) {
		struct task_struct *task;

		w[i] = (struct faulter){ .space = s, .n = total / nr,
					 .pages = pages + i * (total / nr),
					 .gpa = GPA_BASE + (u64)i * (total / nr) * SZ_4K };
		init_completion(&w[i].go);
		init_completion(&w[i].done);
		task = kthread_create(faulter_fn, &w[i], "axas-bench/%u", i);
		if (IS_ERR(task)) {
			/* Let the ones started run to their end. */
			nr = i;
			break;
		}
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
			t = 0;
	if (!nr)
		t = 0;
out:
	if (!IS_ERR_OR_NULL(s))
		axas_space_destroy(s);
	for (j = 0; j < total; j++)
		if (pages[j])
			__free_page(pages[j]);
	if (!t)
		pr_err("parallel: setup or fault failed\n");
	return t;
}

/*
 * Two threads faulting against one, 2 * @faults faults each time, over
 * twice the runs of the other figures; and the same for the kernel's own
 * work (alloc_page() + clear_highpage()), which says how much of two
 * CPUs the host gave the guest meanwhile: parallel_kernel is the ceiling
 * of parallel.
 */
static void bench_parallel(void)
{
	struct figure f = { "parallel", "1 thread", ">= 1.7" };
	struct figure k = { "parallel_kernel", "1 thread", ">= 1.7" };
	unsigned int i, n = min(runs * 2, (unsigned int)MAX_RUNS);
	struct page **pages;
	char why[48];

	if (num_online_cpus() < 2) {
		snprintf(why, sizeof(why), "%u CPU online (UML has one), needs 2",
			 num_online_cpus());
		f.skipped = why;
		k.skipped = why;
		report(&f, n, "ns");
		report(&k, n, "ns");
		return;
	}
	pages = kvcalloc(2 * faults, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return;
	for (i = 0; i < n; i++) {
		/* Alternate which goes first. */
		if (i & 1)
			f.base[i] = run_faulters(1, false, pages);
		f.axas[i] = run_faulters(2, false, pages);
		if (!(i & 1))
			f.base[i] = run_faulters(1, false, pages);
		k.axas[i] = run_faulters(2, true, pages);
		k.base[i] = run_faulters(1, true, pages);
		if (!f.axas[i] || !f.base[i] || !k.axas[i] || !k.base[i])
			break;
	}
	kvfree(pages);
	if (i < n)
		return;
	report(&f, n, "ns");
	report(&k, n, "ns");
}

struct scale_translate {
	u64 size;
	unsigned int run;
	u64 ns;
	unsigned long sum;
};

static void scale_translate_fn(struct axas_space *s, void *arg)
{
	struct scale_translate *st = arg;
	struct rnd_state rnd;

	prandom_seed_state(&rnd, st->run);
	st->ns = time_translate(s, st->size, &rnd, lookups, false, &st->sum);
}

/*
 * The floor of a lookup at scale: reading the one 8-byte entry of each
 * page looked up, at the same random pages, from as many entries as
 * the leaf tables of @size hold.
 */
static u64 floor_translate(const u64 *entries, u64 size, unsigned int run,
			   unsigned long *sum)
{
	struct rnd_state rnd;
	unsigned int j;
	u64 t;

	prandom_seed_state(&rnd, run);
	t = ktime_get_ns();
	for (j = 0; j < lookups; j++)
		*sum += READ_ONCE(entries[lookup_off(&rnd, size) >> PAGE_SHIFT]);
	return ktime_get_ns() - t;
}

/* ps per 4 KiB page (per lookup for translate). */
static u64 per_page_ps(u64 ns, u64 pages)
{
	return div64_u64(ns * 1000, pages ?: 1);
}

/*
 * How populate, teardown and translate grow with the size: ps per 4 KiB
 * page (per lookup) at 64 MiB, 1 GiB and 4 GiB, each against its floor
 * at the same size (bulk+clear+entry, bulk free, one entry read per
 * lookup) with the goal of its 1 GiB figure, and its growth against
 * 64 MiB (flat: 1.0). Sizes the guest's memory does not hold (axas, then
 * its floor, one after the other) are reported skipped.
 */
static const unsigned int scale_sizes_mb[] = { 64, 1024, 4096 };

/* The scaling figures there are: three per size up to @scale_max_mb. */
static unsigned int scale_figures(void)
{
	unsigned int z;

	for (z = 0; z < ARRAY_SIZE(scale_sizes_mb); z++)
		if (scale_sizes_mb[z] > scale_max_mb)
			break;
	return 3 * z;
}

static void bench_scaling(void)
{
	static const char *const ops[] = { "populate_4k", "teardown_4k", "translate" };
	static const char *const anchors[] = { "bulk+clear+entry", "bulk free",
					       "read entry" };
	static const char *const goals[] = { "<= 1.25", "<= 1.5", "<= 2.0" };
	/* Module init runs once: static rather than 3 KiB of stack. */
	static char name[3][ARRAY_SIZE(scale_sizes_mb)][32];
	static u64 at64[3];
	static struct figure f[3];
	u64 ram = (u64)totalram_pages() << PAGE_SHIFT;
	unsigned int n = min(runs, 3U), z, op, i;
	unsigned long sum = 0;

	for (z = 0; z < ARRAY_SIZE(scale_sizes_mb); z++) {
		unsigned int mb = scale_sizes_mb[z];
		u64 size = (u64)mb * SZ_1M, pages = size >> PAGE_SHIFT;
		struct page **pg = NULL;
		char extra[3][40], note[3][48];
		u64 *entries = NULL;

		if (mb > scale_max_mb)
			break;
		for (op = 0; op < 3; op++) {
			snprintf(name[op][z], sizeof(name[op][z]), "scale_%s_%u%s",
				 ops[op], mb >= 1024 ? mb / 1024 : mb,
				 mb >= 1024 ? "G" : "M");
			f[op] = (struct figure){ name[op][z], anchors[op], goals[op] };
		}
		/* axas's area and tables, then the floor's pages, never both. */
		if (size + size / 4 + SZ_256M > ram) {
			for (op = 0; op < 3; op++) {
				f[op].skipped = "not enough guest memory";
				report(&f[op], n, "ps/page");
			}
			continue;
		}
		pg = kvcalloc(pages, sizeof(*pg), GFP_KERNEL);
		entries = kvcalloc(pages, sizeof(*entries), GFP_KERNEL);
		for (i = 0; pg && entries && i < n; i++) {
			struct scale_translate st = { .size = size, .run = i };
			u64 pop, tear;

			if (axas_populate_teardown(size, &pop, &tear,
						   scale_translate_fn, &st))
				break;
			f[0].axas[i] = per_page_ps(pop, pages);
			f[1].axas[i] = per_page_ps(tear, pages);
			f[2].axas[i] = per_page_ps(st.ns, lookups);
			f[2].base[i] = per_page_ps(floor_translate(entries, size, i, &sum),
						   lookups);
			sum += st.sum;
			pop = floor_populate(pg, entries, pages);
			if (!pop)
				break;
			tear = floor_teardown(pg, pages);
			f[0].base[i] = per_page_ps(pop, pages);
			f[1].base[i] = per_page_ps(tear, pages);
		}
		kvfree(pg);
		kvfree(entries);
		for (op = 0; op < 3; op++) {
			u64 amin, amed, amax, growth;

			if (i < n) {
				f[op].skipped = "out of memory at this size";
				report(&f[op], n, "ps/page");
				continue;
			}
			min_median_max(f[op].axas, n, &amin, &amed, &amax);
			if (!z)
				at64[op] = amed;
			growth = at64[op] ? div64_u64(amed * 100, at64[op]) : 0;
			snprintf(extra[op], sizeof(extra[op]),
				 "\"growth_vs_64M\":%llu.%02llu,", growth / 100,
				 growth % 100);
			snprintf(note[op], sizeof(note[op]), " %llu.%02llux the 64M cost",
				 growth / 100, growth % 100);
			f[op].extra = extra[op];
			f[op].note = note[op];
			report(&f[op], n, "ps/page");
		}
	}
	pr_debug("checksum %lu\n", sum);
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
 * The floor of a harvest or a recovery: reading each entry of @n table
 * pages once, testing one bit (as many u64s as the leaves, in 4 KiB
 * pages). Return: the time it took, in ns; @sum gets the bits found.
 */
static u64 time_read_entries(struct page **pages, unsigned long n, u64 *sum)
{
	u64 t = ktime_get_ns();
	unsigned long i, j;

	for (i = 0; i < n; i++) {
		const u64 *e = page_address(pages[i]);

		for (j = 0; j < 512; j++)
			*sum += READ_ONCE(e[j]) & BIT_ULL(1);
	}
	return ktime_get_ns() - t;
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
	unsigned long tables = DIV_ROUND_UP(nr, 512), i;
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
		f.base[r] = time_read_entries(pages, tables, &sum);
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
 * Huge leaves recovered when logging stops: @size of 2 MiB leaves split
 * by axas_dirty_log_start() (NPT: the hardware's dirty flags, so that the
 * stop does nothing but put the leaves back), timed over
 * axas_dirty_log_stop(), its table pages freed after the flush, against
 * reading the split leaf entries once. Every 2 MiB block must translate
 * as one 2 MiB leaf afterwards.
 */
static void bench_recover_2m(u64 size)
{
	struct figure f = { "recover_2m", "read leaf entries", "<= 2.0" };
	unsigned long n = size / SZ_2M, i;
	struct axas_translation tr;
	struct page **pages;
	unsigned int r;
	u64 sum = 0;

	pages = kvcalloc(n, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return;
	for (i = 0; i < n; i++) {
		pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!pages[i])
			goto out;
	}
	for (r = 0; r < runs; r++) {
		struct axas_space *s = bench_space(size);
		u64 t;

		if (IS_ERR(s) || axas_map_alloc(s, GPA_BASE, size, AXAS_PROT_RWX |
						AXAS_AREA_POPULATE, SZ_2M) ||
		    axas_dirty_log_start(s, GPA_BASE, size, 0) ||
		    bench_leaves(s, 0) != n * 512) {
			pr_err("%s: setup failed\n", f.name);
			if (!IS_ERR(s))
				axas_space_destroy(s);
			goto out;
		}
		t = ktime_get_ns();
		if (axas_dirty_log_stop(s))
			f.failed = true;
		f.axas[r] = ktime_get_ns() - t;
		for (i = 0; i < n; i++)
			if (axas_translate(s, GPA_BASE + i * SZ_2M, 1, &tr) ||
			    tr.len != SZ_2M)
				break;
		if (i < n || bench_leaves(s, 0)) {
			pr_err("%s: block %lu is no 2 MiB leaf after the stop\n",
			       f.name, i);
			f.failed = true;
		}
		axas_space_destroy(s);
		f.base[r] = time_read_entries(pages, n, &sum);
	}
	report(&f, runs, "ns");
out:
	for (i = 0; i < n && pages[i]; i++)
		__free_page(pages[i]);
	kvfree(pages);
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

/*
 * Touch every free page of the guest once before measuring. The host backs
 * guest memory (QEMU's RAM, UML's memory file) on its first touch, a host
 * page fault and a host zeroing per page: without this, whichever side of
 * a figure happens to get a page fresh from the boot pays that.
 */
static void bench_prefault(void)
{
	struct page *page, *tmp;
	unsigned long n = 0, i;
	LIST_HEAD(blocks);

	/* No reclaim worth the name, never the OOM killer. */
	while ((page = alloc_pages(GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY, 9))) {
		for (i = 0; i < 512; i++)
			WRITE_ONCE(*(u64 *)page_address(nth_page(page, i)), i);
		list_add(&page->lru, &blocks);
		n++;
		cond_resched();
	}
	list_for_each_entry_safe(page, tmp, &blocks, lru) {
		list_del(&page->lru);
		__free_pages(page, 9);
	}
	pr_info("touched %lu MiB of free memory before measuring\n", n * 2);
}

static int __init axas_bench_init(void)
{
	u64 size = (u64)size_mb * SZ_1M;

	runs = clamp(runs, 1U, (unsigned int)MAX_RUNS);
	if (!size_mb || !faults || !lookups || faults % 2)
		return -EINVAL;
	pr_info("size %u MiB, %u runs, %u faults, %u lookups, %u CPUs\n",
		size_mb, runs, faults, lookups, num_online_cpus());
	if (prefault)
		bench_prefault();
	if (judge) {
		pr_info("%-18s %12s %12s  %-18s %12s %12s %9s %9s %-6s\n",
			"figure", "axas min", "axas median", "anchor",
			"anchor min", "median", "ratio", "runs", "goal");
	} else {
		pr_info("figures measured and printed, not judged against their goals (judge=0)\n");
		pr_info("%-18s %12s %12s  %-18s %12s %12s %9s %9s\n",
			"figure", "axas min", "axas median", "anchor",
			"anchor min", "median", "ratio", "runs");
	}
	BENCH_RUN(bench_populate(size), 4);
	BENCH_RUN(bench_populate_2m(size), 1);
	BENCH_RUN(bench_lazy_faults(), 2);
	BENCH_RUN(bench_lazy_2m_pool(size), 1);
	BENCH_RUN(bench_range_map(size), 1);
	BENCH_RUN(bench_translate(size), 2);
	BENCH_RUN(bench_tables(size), 3);
	BENCH_RUN(bench_parallel(), 2);
	BENCH_RUN(bench_scaling(), scale_figures());
	BENCH_RUN(bench_dirty_harvest(size), 1);
	BENCH_RUN(bench_recover_2m(size), 1);
	BENCH_RUN(bench_wp_fault(), 1);
	BENCH_RUN(bench_snapshot_restore(size), 1);
	pr_info("figures: %u reported, %u failed\n", figures_done,
		figures_failed);
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
