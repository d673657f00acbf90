// SPDX-License-Identifier: GPL-2.0
/*
 * The format-independent nested page-table engine.
 *
 * Every operation walks its range recursively from the root, keeping its
 * place at each level, so a range costs one descent per table it touches,
 * not one per page. Entries are only ever written whole: leaves with a
 * single 64-bit store (or cmpxchg when shared maps may race), new tables
 * with cmpxchg after they are fully written, live leaves that the hardware
 * may update (A/D) with a cmpxchg loop.
 *
 * Operations that can fail do all their checks and allocations before the
 * first write ("plan, then commit"), so a failed call leaves the table
 * exactly as it was: no rollback, and no transient translation a vCPU
 * could have cached.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/bitmap.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/log2.h>
#include <linux/mem_encrypt.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <kunit/visibility.h>

#include "../compat_internal.h"

#include "engine.h"
#include "ept.h"
#include "npt.h"

#define PT_ENTRIES	512

static const struct axas_pt_fmt *const axas_pt_formats[AXAS_PT_NR_FORMATS] = {
	[AXAS_PT_EPT] = &axas_pt_fmt_ept,
	[AXAS_PT_NPT] = &axas_pt_fmt_npt,
};

/* Table pages allocated by every table and not yet freed. */
static atomic_long_t axas_pt_live = ATOMIC_LONG_INIT(0);

/*
 * The one place table pages come from; tests replace it to fail the Nth
 * allocation.
 */
VISIBLE_IF_KUNIT struct page *axas_pt_alloc_page(gfp_t gfp, int node)
{
	KUNIT_STATIC_STUB_REDIRECT(axas_pt_alloc_page, gfp, node);
	if (node == NUMA_NO_NODE)
		return alloc_page(gfp);
	return alloc_pages_node(node, gfp, 0);
}
EXPORT_SYMBOL_IF_KUNIT(axas_pt_alloc_page);

/*
 * Like frames, table pages fail with -ENOMEM at the memory cgroup's limit
 * rather than wake the OOM killer. An unmap, which frees memory, must not
 * fail there for the few pages its splits need: PT_GFP_UNMAP lets them go
 * over the limit (__GFP_HIGH with __GFP_RETRY_MAYFAIL forces the charge).
 */
#define PT_GFP		(GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN | \
			 __GFP_RETRY_MAYFAIL)
#define PT_GFP_UNMAP	(PT_GFP | __GFP_HIGH)

/*
 * The host's memory-encryption C-bit (0 without SME); the KUnit suites
 * replace it to simulate an SME host.
 */
u64 axas_pt_host_me_mask(void)
{
	KUNIT_STATIC_STUB_REDIRECT(axas_pt_host_me_mask);
#ifdef CONFIG_X86
	return sme_me_mask;
#else
	return 0;
#endif
}
EXPORT_SYMBOL_IF_KUNIT(axas_pt_host_me_mask);

static struct page *pt_page_alloc_gfp(const struct axas_pt *pt, gfp_t gfp)
{
	struct page *page = axas_pt_alloc_page(gfp | pt->node_gfp, pt->node);

	if (page)
		atomic_long_inc(&axas_pt_live);
	return page;
}

static struct page *pt_page_alloc(const struct axas_pt *pt)
{
	return pt_page_alloc_gfp(pt, PT_GFP);
}

static void pt_page_free(struct page *page)
{
	__free_page(page);
	atomic_long_dec(&axas_pt_live);
}

static void pt_page_free_rcu(struct rcu_head *head)
{
	pt_page_free(container_of(head, struct page, rcu_head));
}

/* Lockless walkers (axas_pt_query()) may still be reading the page. */
static void pt_page_free_deferred(struct page *page)
{
	call_rcu(&page->rcu_head, pt_page_free_rcu);
}

static void pt_cache_init(struct axas_pt_cache *cache)
{
	INIT_LIST_HEAD(&cache->pages);
	cache->nr = 0;
}

static int pt_cache_fill(const struct axas_pt *pt, struct axas_pt_cache *cache,
			 unsigned int nr, gfp_t gfp)
{
	while (cache->nr < nr) {
		struct page *page = pt_page_alloc_gfp(pt, gfp);

		if (!page)
			return -ENOMEM;
		list_add(&page->lru, &cache->pages);
		cache->nr++;
	}
	return 0;
}

static struct page *pt_cache_take(struct axas_pt_cache *cache)
{
	struct page *page = list_first_entry(&cache->pages, struct page, lru);

	list_del(&page->lru);
	cache->nr--;
	return page;
}

static void pt_cache_put(struct axas_pt_cache *cache, struct page *page)
{
	list_add(&page->lru, &cache->pages);
	cache->nr++;
}

/* Pages left over were never published: nobody can be reading them. */
static void pt_cache_drain(struct axas_pt_cache *cache)
{
	while (cache->nr)
		pt_page_free(pt_cache_take(cache));
}

static unsigned int pt_index(u64 gpa, unsigned int level)
{
	return (gpa >> (12 + 9 * level)) & (PT_ENTRIES - 1);
}

/* One past the last byte of the entry at @level that holds @gpa. */
static u64 pt_entry_end(u64 gpa, unsigned int level)
{
	return (gpa | (axas_pt_level_size(level) - 1)) + 1;
}

static bool ent_present(const struct axas_pt *pt, u64 pte)
{
	return pte & pt->present_mask;
}

static bool ent_leaf(const struct axas_pt *pt, u64 pte, unsigned int level)
{
	return !level || (level < AXAS_PT_LEAF_LEVELS && (pte & pt->huge));
}

static u64 *ent_table(const struct axas_pt *pt, u64 pte)
{
	return phys_to_virt(pte & pt->addr_mask);
}

/* The HPA a leaf at @level maps (the C-bit is no address bit). */
static phys_addr_t pt_leaf_addr(const struct axas_pt *pt, u64 pte,
				unsigned int level)
{
	return pte & axas_pt_leaf_addr_mask(level) & ~pt->me_mask;
}

static bool pt_table_empty(const u64 *table)
{
	unsigned int i;

	for (i = 0; i < PT_ENTRIES; i++)
		if (READ_ONCE(table[i]))
			return false;
	return true;
}

/* Inlined per format: the hot paths take no indirect call. */
static u32 pt_leaf_prot(const struct axas_pt *pt, u64 pte, unsigned int level)
{
	if (pt->cfg.format == AXAS_PT_EPT)
		return ept_pte_prot(pt, pte);
	return npt_pte_prot(pte, level);
}

static void pt_leaf_decode(const struct axas_pt *pt, u64 pte,
			   unsigned int level, u64 gpa,
			   struct axas_pt_leaf *leaf)
{
	leaf->size = axas_pt_level_size(level);
	leaf->gpa = gpa & ~(leaf->size - 1);
	leaf->hpa = pt_leaf_addr(pt, pte, level);
	leaf->level = level;
	leaf->prot = pt_leaf_prot(pt, pte, level);
	leaf->accessed = pte & pt->fmt->accessed;
	leaf->dirty = pte & pt->fmt->dirty;
	leaf->pte = pte;
}

/*
 * A reschedule point once per leaf table (512 entries): map, unmap,
 * protect and destroy of millions of leaves must not hold the CPU for
 * seconds. They run in process context without RCU read sections; the
 * space lock they run under is a sleeping lock.
 */
static void pt_resched(unsigned int level)
{
	if (level == 1)
		cond_resched();
}

static int pt_check_range(const struct axas_pt *pt, u64 gpa, u64 size)
{
	if (!size || !PAGE_ALIGNED(gpa) || !PAGE_ALIGNED(size))
		return -EINVAL;
	if (gpa >= pt->gpa_limit || size > pt->gpa_limit - gpa)
		return -ERANGE;
	return 0;
}

int axas_pt_init(struct axas_pt *pt, const struct axas_pt_cfg *cfg)
{
	return axas_pt_init_node(pt, cfg, NUMA_NO_NODE, 0);
}
EXPORT_SYMBOL_NS_GPL(axas_pt_init, AXAS_NS);

/*
 * axas_pt_init() with table pages from @node (NUMA_NO_NODE: the task's
 * policy), @node_gfp (__GFP_THISNODE or 0) added to their GFP flags.
 */
int axas_pt_init_node(struct axas_pt *pt, const struct axas_pt_cfg *cfg,
		      int node, gfp_t node_gfp)
{
	u8 phys_bits = cfg->caps.phys_bits ?: 52;
	u32 caps = cfg->caps.flags;
	struct page *page;
	int ret;

	memset(pt, 0, sizeof(*pt));
	pt->node = node;
	pt->node_gfp = node_gfp;
	if (cfg->format >= AXAS_PT_NR_FORMATS ||
	    (cfg->levels != 4 && cfg->levels != 5) ||
	    phys_bits > 52 || phys_bits < 32)
		return -EINVAL;
	if (!(caps & (cfg->levels == 5 ? AXAS_CAP_5LEVEL : AXAS_CAP_4LEVEL)))
		return -EOPNOTSUPP;
	/*
	 * The C-bit is the host's: without it on an SME host the walker would
	 * read encrypted tables as plain text; with one the host lacks, it
	 * would follow a wrong address. One bit, above the address bits.
	 */
	if (cfg->caps.me_mask) {
		if (cfg->format != AXAS_PT_NPT)
			return -EOPNOTSUPP;
		if (hweight64(cfg->caps.me_mask) != 1 ||
		    (cfg->caps.me_mask & ~GENMASK_ULL(51, phys_bits)))
			return -EINVAL;
	}
	if (cfg->format == AXAS_PT_NPT && cfg->caps.me_mask != axas_pt_host_me_mask())
		return -EINVAL;

	pt->cfg = *cfg;
	pt->fmt = axas_pt_formats[cfg->format];
	pt->top_level = cfg->levels - 1;
	pt->gpa_limit = axas_pt_level_size(cfg->levels);
	pt->pa_limit = 1ULL << phys_bits;
	pt->huge = pt->fmt->huge;
	pt->pgsizes = SZ_4K;
	if (caps & AXAS_CAP_2M)
		pt->pgsizes |= SZ_2M;
	/* Splits and collapses of 1 GiB leaves go through 2 MiB ones. */
	if ((caps & AXAS_CAP_1G) && (caps & AXAS_CAP_2M))
		pt->pgsizes |= SZ_1G;
	ret = pt->fmt->init(pt);
	if (ret)
		return ret;
	/* Tables are memory: with encryption on, entries pointing at them carry the C-bit. */
	pt->me_mask = cfg->caps.me_mask;
	pt->addr_mask = AXAS_PT_ADDR_MASK & ~pt->me_mask;
	pt->table_pte |= pt->me_mask;

	page = pt_page_alloc(pt);
	if (!page)
		return -ENOMEM;
	pt->root = page_address(page);
	pt->root_pa = page_to_phys(page);
	atomic_long_inc(&pt->stats.tables[pt->top_level]);
	return 0;
}

static void pt_free_level(struct axas_pt *pt, u64 *table, unsigned int level,
			  u64 base, axas_pt_leaf_fn fn, void *arg)
{
	u64 span = axas_pt_level_size(level);
	unsigned int i;

	for (i = 0; i < PT_ENTRIES; i++) {
		u64 pte = READ_ONCE(table[i]);
		struct axas_pt_leaf leaf;

		pt_resched(level);
		if (!ent_present(pt, pte))
			continue;
		if (!ent_leaf(pt, pte, level)) {
			pt_free_level(pt, ent_table(pt, pte), level - 1,
				      base + i * span, fn, arg);
			continue;
		}
		atomic_long_dec(&pt->stats.leaves[level]);
		if (fn) {
			pt_leaf_decode(pt, pte, level, base + i * span, &leaf);
			fn(arg, &leaf);
		}
	}
	atomic_long_dec(&pt->stats.tables[level]);
	pt_page_free_deferred(virt_to_page(table));
}

void axas_pt_destroy(struct axas_pt *pt, axas_pt_leaf_fn fn, void *arg)
{
	u64 *root = pt->root;

	if (!root)
		return;
	/* Lockless walkers that come later find no table, not a freed one. */
	WRITE_ONCE(pt->root, NULL);
	pt_free_level(pt, root, pt->top_level, 0, fn, arg);
	pt->root_pa = 0;
}
EXPORT_SYMBOL_NS_GPL(axas_pt_destroy, AXAS_NS);

int axas_pt_check_prot(const struct axas_pt *pt, u32 prot)
{
	if (prot & ~AXAS_PROT_ALL)
		return -EINVAL;
	if (FIELD_GET(AXAS_PROT_MT_MASK, prot) >= AXAS_MT_NR)
		return -EINVAL;
	return pt->fmt->check_prot(pt, prot);
}
EXPORT_SYMBOL_NS_GPL(axas_pt_check_prot, AXAS_NS);

struct pt_map {
	struct axas_pt *pt;
	const struct axas_pt_src *src;
	u64 gpa;
	u64 end;
	unsigned long pgsizes;
	bool shared;
	unsigned int need;
	struct axas_pt_cache cache;
	u64 attrs[AXAS_PT_LEAF_LEVELS];
	long added[AXAS_PT_LEAF_LEVELS];
	/* Shared maps: table pages come from here if given (never fails). */
	struct axas_pt_cache *tables;
	/* Shared maps: the caller counts the leaf, not @pt->stats. */
	bool uncounted;
	/* Leaves meeting it are 4 KiB, with @win_attrs inside it. */
	const struct axas_pt_window *win;
	u64 win_attrs;
	/* The last choice: a walk that descends asks @src once per leaf. */
	u64 memo_gpa;
	phys_addr_t memo_pa;
	int memo_level;
};

/* Does the leaf [@gpa, @gpa + @size) meet the window? */
static bool pt_window_meets(const struct axas_pt_window *win, u64 gpa,
			    u64 size)
{
	return win && gpa < win->end && gpa + size > win->start;
}

/* The attributes of a leaf at @level for @gpa: the window's inside it. */
static u64 pt_map_attrs(const struct pt_map *m, u64 gpa, unsigned int level)
{
	if (m->win && gpa >= m->win->start && gpa < m->win->end)
		return m->win_attrs;
	return m->attrs[level];
}

/*
 * The level of the leaf that maps @gpa: the largest size allowed that
 * the GPA, the HPA, the rest of the range and the contiguous run behind
 * the HPA all fit.
 */
static int pt_map_choose(struct pt_map *m, u64 gpa, phys_addr_t *pa)
{
	u64 len, rest = m->end - gpa;
	phys_addr_t hpa;
	int level;

	if (gpa == m->memo_gpa) {
		*pa = m->memo_pa;
		return m->memo_level;
	}
	if (m->src->next) {
		hpa = m->src->next(m->src, gpa, &len);
		len = min(len, rest);
	} else if (m->src->frames) {
		/* A power of two: no division per leaf. */
		u64 off = gpa - m->gpa, in = off & (m->src->frame_size - 1);

		hpa = page_to_phys(m->src->frames[off >> __ffs(m->src->frame_size)]) + in;
		len = min(m->src->frame_size - in, rest);
	} else {
		hpa = m->src->pa + (gpa - m->gpa);
		len = rest;
	}
	if (!PAGE_ALIGNED(hpa) || len < PAGE_SIZE)
		return -EINVAL;
	for (level = AXAS_PT_LEAF_LEVELS - 1; level >= 0; level--) {
		u64 size = axas_pt_level_size(level);
		bool win = pt_window_meets(m->win, gpa, size);

		/* Across the window: 4 KiB, whatever @pgsizes allows. */
		if (IS_ALIGNED(gpa | hpa, size) && len >= size &&
		    (level ? (m->pgsizes & size) && !win : (m->pgsizes & size) || win))
			break;
	}
	if (level < 0)
		return -EINVAL;
	if (hpa >= m->pt->pa_limit ||
	    m->pt->pa_limit - hpa < axas_pt_level_size(level))
		return -ERANGE;
	m->memo_gpa = gpa;
	m->memo_pa = hpa;
	m->memo_level = level;
	*pa = hpa;
	return level;
}

/*
 * Every frame of a map must lie within the physical-address width: the
 * plan does not visit leaves below tables that do not exist yet, and a
 * commit must not fail halfway.
 */
static int pt_check_frames(const struct axas_pt *pt,
			   const struct axas_pt_src *src, u64 size)
{
	unsigned long i, n = size / src->frame_size;

	for (i = 0; i < n; i++) {
		phys_addr_t pa = page_to_phys(src->frames[i]);

		if (pa >= pt->pa_limit || pt->pa_limit - pa < src->frame_size)
			return -ERANGE;
	}
	return 0;
}

/*
 * Plan: check that nothing in [start, end) is mapped and count the table
 * pages the commit will need. @table is NULL below an entry that does not
 * exist yet.
 */
static int pt_map_plan(struct pt_map *m, u64 *table, unsigned int level,
		       u64 start, u64 end)
{
	struct axas_pt *pt = m->pt;
	u64 addr, next;
	phys_addr_t pa;
	int ret;

	/*
	 * Below a table that does not exist yet there is nothing to collide
	 * with, and only 4K leaves: a contiguous source and every frame were
	 * checked by axas_pt_map().
	 */
	if (!table && !level && !m->src->next)
		return 0;
	for (addr = start; addr < end; addr = next) {
		u64 pte = table ? READ_ONCE(table[pt_index(addr, level)]) : 0;

		pt_resched(level);
		next = min(end, pt_entry_end(addr, level));
		if (level < AXAS_PT_LEAF_LEVELS) {
			ret = pt_map_choose(m, addr, &pa);
			if (ret < 0)
				return ret;
			if (ret == level) {
				if (ent_present(pt, pte))
					return -EEXIST;
				continue;
			}
		}
		if (ent_present(pt, pte) && ent_leaf(pt, pte, level))
			return -EEXIST;
		if (!ent_present(pt, pte))
			m->need++;
		ret = pt_map_plan(m, ent_present(pt, pte) ? ent_table(pt, pte) : NULL,
				  level - 1, addr, next);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Commit: write what the plan checked. Only a concurrent shared map can
 * make it fail (-EEXIST), and shared maps are one leaf.
 */
static int pt_map_commit(struct pt_map *m, u64 *table, unsigned int level,
			 u64 start, u64 end)
{
	struct axas_pt *pt = m->pt;
	u64 addr, next;
	phys_addr_t pa;
	int ret;

	for (addr = start; addr < end; addr = next) {
		u64 *ptep = &table[pt_index(addr, level)];
		u64 pte, new;

		if (!m->shared)
			pt_resched(level);
		next = min(end, pt_entry_end(addr, level));
		if (!level && !m->src->next && !m->src->frames) {
			/* The only choice at level 0, and no source to ask. */
			pa = m->src->pa + (addr - m->gpa);
			ret = 0;
		} else if (level < AXAS_PT_LEAF_LEVELS) {
			ret = pt_map_choose(m, addr, &pa);
			if (WARN_ON_ONCE(ret < 0))
				return ret;
		}
		if (level < AXAS_PT_LEAF_LEVELS) {
			if (ret == level) {
				new = pa | pt_map_attrs(m, addr, level);
				pte = 0;
				if (!m->shared)
					WRITE_ONCE(*ptep, new);
				else if (!try_cmpxchg64(ptep, &pte, new))
					return -EEXIST;
				m->added[level]++;
				continue;
			}
		}
		pte = READ_ONCE(*ptep);
		if (!ent_present(pt, pte)) {
			struct page *page = pt_cache_take(&m->cache);

			/* The page is zero; cmpxchg orders that before it is seen. */
			new = page_to_phys(page) | pt->table_pte;
			if (try_cmpxchg64(ptep, &pte, new)) {
				atomic_long_inc(&pt->stats.tables[level - 1]);
				pte = new;
			} else {
				pt_cache_put(&m->cache, page);
			}
		}
		if (ent_leaf(pt, pte, level))
			return -EEXIST;
		ret = pt_map_commit(m, ent_table(pt, pte), level - 1, addr, next);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Publish the tables from @level - 1 down to the leaf's level, built
 * privately with the leaf in place, through one cmpxchg on *@ptep: racing
 * faults see all of it or nothing, and no empty table is ever visible.
 */
static int pt_map_chain(struct pt_map *m, u64 *ptep, unsigned int level,
			unsigned int target, u64 leaf)
{
	struct axas_pt *pt = m->pt;
	unsigned int n = level - target, i;
	struct page *pages[AXAS_PT_MAX_LEVELS];
	u64 old = 0;

	for (i = 0; i < n; i++) {
		if (m->tables && !WARN_ON_ONCE(!m->tables->nr))
			pages[i] = pt_cache_take(m->tables);
		else
			pages[i] = pt_page_alloc(pt);
		if (!pages[i]) {
			while (i--)
				pt_page_free(pages[i]);
			return -ENOMEM;
		}
	}
	for (i = 0; i + 1 < n; i++)
		((u64 *)page_address(pages[i]))[pt_index(m->gpa, level - 1 - i)] =
			page_to_phys(pages[i + 1]) | pt->table_pte;
	((u64 *)page_address(pages[n - 1]))[pt_index(m->gpa, target)] = leaf;
	if (!try_cmpxchg64(ptep, &old, page_to_phys(pages[0]) | pt->table_pte)) {
		for (i = 0; i < n; i++) {
			/* Never published: zero it again for the next use. */
			clear_page(page_address(pages[i]));
			if (m->tables)
				pt_cache_put(m->tables, pages[i]);
			else
				pt_page_free(pages[i]);
		}
		return -EAGAIN;
	}
	for (i = 0; i < n; i++)
		atomic_long_inc(&pt->stats.tables[level - 1 - i]);
	if (!m->uncounted)
		atomic_long_inc(&pt->stats.leaves[target]);
	return 0;
}

/* A shared map of exactly one leaf: one descent, one cmpxchg. */
static int pt_map_one(struct pt_map *m, u64 gpa, u64 size)
{
	struct axas_pt *pt = m->pt;
	unsigned int target = (ilog2(size) - 12) / 9, level;
	phys_addr_t pa;
	u64 leaf, *table, *ptep, pte;
	int ret;

	ret = pt_map_choose(m, gpa, &pa);
	if (ret < 0)
		return ret;
	if (ret != target)
		return -EINVAL;
	leaf = pa | m->attrs[target];
	do {
		table = pt->root;
		for (level = pt->top_level; level > target; level--) {
			ptep = &table[pt_index(gpa, level)];
			pte = READ_ONCE(*ptep);
			if (!ent_present(pt, pte))
				break;
			if (ent_leaf(pt, pte, level))
				return -EEXIST;
			table = ent_table(pt, pte);
		}
		if (level > target) {
			ret = pt_map_chain(m, ptep, level, target, leaf);
			continue;
		}
		pte = 0;
		if (!try_cmpxchg64(&table[pt_index(gpa, target)], &pte, leaf))
			return -EEXIST;
		if (!m->uncounted)
			atomic_long_inc(&pt->stats.leaves[target]);
		return 0;
	} while (ret == -EAGAIN);
	return ret;
}

int axas_pt_map(struct axas_pt *pt, u64 gpa, u64 size,
		const struct axas_pt_src *src, u32 prot,
		unsigned long pgsizes, unsigned int flags)
{
	return axas_pt_map_window(pt, gpa, size, src, prot, pgsizes, flags, NULL);
}
EXPORT_SYMBOL_NS_GPL(axas_pt_map, AXAS_NS);

/*
 * axas_pt_map() where the leaves that meet @win (if not NULL) are 4 KiB
 * and those inside it lack @win->deny; not with AXAS_PT_MAP_SHARED.
 */
int axas_pt_map_window(struct axas_pt *pt, u64 gpa, u64 size,
		       const struct axas_pt_src *src, u32 prot,
		       unsigned long pgsizes, unsigned int flags,
		       const struct axas_pt_window *win)
{
	struct pt_map m = {
		.pt = pt,
		.src = src,
		.gpa = gpa,
		.end = gpa + size,
		.pgsizes = pgsizes,
		.shared = flags & AXAS_PT_MAP_SHARED,
		.win = win,
		.memo_gpa = U64_MAX,
	};
	unsigned int level;
	int ret;

	ret = pt_check_range(pt, gpa, size);
	if (ret)
		return ret;
	if (!src || (flags & ~AXAS_PT_MAP_SHARED) || !pgsizes ||
	    (pgsizes & ~(SZ_4K | SZ_2M | SZ_1G)))
		return -EINVAL;
	if (m.shared && !(pgsizes & size))
		return -EINVAL;
	/* One leaf size: pt_map_choose() finds a frame by a shift. */
	if (src->frames && (src->next ||
			    (src->frame_size != SZ_4K &&
			     src->frame_size != SZ_2M &&
			     src->frame_size != SZ_1G) ||
			    !IS_ALIGNED(size, src->frame_size)))
		return -EINVAL;
	if (!src->next && !src->frames) {
		if (!PAGE_ALIGNED(src->pa))
			return -EINVAL;
		if (src->pa >= pt->pa_limit || size > pt->pa_limit - src->pa)
			return -ERANGE;
	}
	if (src->frames) {
		ret = pt_check_frames(pt, src, size);
		if (ret)
			return ret;
	}
	ret = axas_pt_check_prot(pt, prot);
	if (!ret && win)
		ret = m.shared ? -EINVAL : axas_pt_check_prot(pt, prot & ~win->deny);
	if (ret)
		return ret;
	if (pgsizes & ~pt->pgsizes)
		return -EOPNOTSUPP;
	for (level = 0; level < AXAS_PT_LEAF_LEVELS; level++)
		m.attrs[level] = pt->fmt->leaf_attrs(pt, prot, level) |
				 (src->encrypted ? pt->me_mask : 0);
	if (win)
		m.win_attrs = pt->fmt->leaf_attrs(pt, prot & ~win->deny, 0) |
			      (src->encrypted ? pt->me_mask : 0);

	if (m.shared)
		return pt_map_one(&m, gpa, size);

	pt_cache_init(&m.cache);
	ret = pt_map_plan(&m, pt->root, pt->top_level, gpa, m.end);
	if (!ret)
		ret = pt_cache_fill(pt, &m.cache, m.need, PT_GFP);
	if (!ret)
		ret = pt_map_commit(&m, pt->root, pt->top_level, gpa, m.end);
	for (level = 0; level < AXAS_PT_LEAF_LEVELS; level++)
		if (m.added[level])
			atomic_long_add(m.added[level], &pt->stats.leaves[level]);
	pt_cache_drain(&m.cache);
	return ret;
}

/*
 * Table pages for axas_pt_map_leaf(), allocated ahead so that a series of
 * shared maps cannot fail halfway: @nr more in @cache.
 */
int axas_pt_cache_fill(struct axas_pt *pt, struct axas_pt_cache *cache,
		       unsigned int nr)
{
	return pt_cache_fill(pt, cache, cache->nr + nr, PT_GFP);
}

/* Give back what axas_pt_map_leaf() did not use. */
void axas_pt_cache_release(struct axas_pt_cache *cache)
{
	pt_cache_drain(cache);
}

/*
 * A shared map of one leaf of @size at @gpa to @pa, with the table pages
 * it needs taken from @tables (allocated when NULL). Like axas_pt_map()
 * with AXAS_PT_MAP_SHARED: -EEXIST when a leaf or a table is in the way.
 * With !@counted the leaf is left out of @pt->stats for the caller to
 * count (faults count theirs per CPU: no counter shared between vCPUs).
 */
int axas_pt_map_leaf(struct axas_pt *pt, u64 gpa, u64 size, phys_addr_t pa,
		     u32 prot, bool encrypted, struct axas_pt_cache *tables,
		     bool counted)
{
	struct axas_pt_src src = { .pa = pa, .encrypted = encrypted };
	struct pt_map m = {
		.pt = pt,
		.src = &src,
		.gpa = gpa,
		.end = gpa + size,
		.pgsizes = size,
		.shared = true,
		.tables = tables,
		.uncounted = !counted,
		.memo_gpa = U64_MAX,
	};
	unsigned int level = (ilog2(size) - 12) / 9;

	m.attrs[level] = pt->fmt->leaf_attrs(pt, prot, level) |
			 (encrypted ? pt->me_mask : 0);
	return pt_map_one(&m, gpa, size);
}

/*
 * Replace the leaf at *@ptep by a table of 512 leaves of the next level
 * with the same translation, rights and A/D flags. No flush is needed:
 * a CPU may use the old or the new entries, they translate alike.
 */
static u64 pt_split_leaf(struct axas_pt *pt, struct axas_pt_cache *cache,
			 u64 *ptep, u64 pte, unsigned int level)
{
	const struct axas_pt_fmt *fmt = pt->fmt;
	struct page *page = pt_cache_take(cache);
	u64 *child = page_address(page);
	u64 step = axas_pt_level_size(level - 1);
	u64 new = page_to_phys(page) | pt->table_pte;

	do {
		u64 base = pt_leaf_addr(pt, pte, level);
		u64 attrs = fmt->leaf_attrs(pt, pt_leaf_prot(pt, pte, level),
					    level - 1) |
			    (pte & (fmt->accessed | fmt->dirty | pt->me_mask));
		unsigned int i;

		for (i = 0; i < PT_ENTRIES; i++)
			child[i] = (base + i * step) | attrs;
		/* Retry when the hardware set A/D meanwhile. */
	} while (!try_cmpxchg64(ptep, &pte, new));

	atomic_long_dec(&pt->stats.leaves[level]);
	atomic_long_add(PT_ENTRIES, &pt->stats.leaves[level - 1]);
	atomic_long_inc(&pt->stats.tables[level - 1]);
	return new;
}

/*
 * Splits an operation on [.., addr) or [addr, ..) needs: one per level
 * from the leaf holding @addr down to where @addr is aligned.
 */
static unsigned int pt_splits_at(const struct axas_pt *pt, u64 addr)
{
	u64 *table = pt->root;
	unsigned int level, n = 0;

	if (addr >= pt->gpa_limit)
		return 0;
	for (level = pt->top_level; ; level--) {
		u64 pte = READ_ONCE(table[pt_index(addr, level)]);

		if (!ent_present(pt, pte))
			return 0;
		if (ent_leaf(pt, pte, level))
			break;
		table = ent_table(pt, pte);
	}
	for (; level && !IS_ALIGNED(addr, axas_pt_level_size(level)); level--)
		n++;
	return n;
}

struct pt_edit {
	struct axas_pt *pt;
	struct axas_pt_gather *gather;
	struct axas_pt_cache cache;
	axas_pt_leaf_fn fn;
	void *arg;
	u32 prot;
	u64 attrs[AXAS_PT_LEAF_LEVELS];
	/* Protect: leaves inside it get @win_prot (@win_attrs); none straddles it. */
	const struct axas_pt_window *win;
	u32 win_prot;
	u64 win_attrs[AXAS_PT_LEAF_LEVELS];
	long removed[AXAS_PT_LEAF_LEVELS];
};

/* A window edge inside (gpa, end) needs its splits too. */
static unsigned int pt_splits_inside(const struct axas_pt *pt, u64 at, u64 gpa,
				     u64 end)
{
	return at > gpa && at < end ? pt_splits_at(pt, at) : 0;
}

static int pt_edit_begin(struct pt_edit *e, u64 gpa, u64 size, gfp_t gfp)
{
	int ret = pt_check_range(e->pt, gpa, size);
	unsigned int n;

	if (ret)
		return ret;
	if (!e->gather)
		return -EINVAL;
	pt_cache_init(&e->cache);
	n = pt_splits_at(e->pt, gpa) + pt_splits_at(e->pt, gpa + size);
	if (e->win)
		n += pt_splits_inside(e->pt, e->win->start, gpa, gpa + size) +
		     pt_splits_inside(e->pt, e->win->end, gpa, gpa + size);
	ret = pt_cache_fill(e->pt, &e->cache, n, gfp);
	if (ret)
		pt_cache_drain(&e->cache);
	return ret;
}

static void pt_unmap_level(struct pt_edit *e, u64 *table, unsigned int level,
			   u64 start, u64 end)
{
	struct axas_pt *pt = e->pt;
	u64 span = axas_pt_level_size(level);
	u64 addr, next;

	for (addr = start; addr < end; addr = next) {
		u64 *ptep = &table[pt_index(addr, level)];
		u64 base = addr & ~(span - 1);
		u64 pte = READ_ONCE(*ptep);
		bool whole;
		u64 *child;

		pt_resched(level);
		next = min(end, base + span);
		whole = addr == base && next == base + span;
		if (!ent_present(pt, pte))
			continue;
		if (ent_leaf(pt, pte, level)) {
			if (whole) {
				struct axas_pt_leaf leaf;

				/* xchg: keep the A/D flags set up to the end. */
				pte = xchg(ptep, 0);
				e->removed[level]++;
				axas_pt_gather_add(e->gather, base, base + span);
				if (e->fn) {
					pt_leaf_decode(pt, pte, level, base, &leaf);
					e->fn(e->arg, &leaf);
				}
				continue;
			}
			pte = pt_split_leaf(pt, &e->cache, ptep, pte, level);
		}
		child = ent_table(pt, pte);
		pt_unmap_level(e, child, level - 1, addr, next);
		if (whole || pt_table_empty(child)) {
			/* Paging-structure caches may hold it: flush first. */
			WRITE_ONCE(*ptep, 0);
			axas_pt_gather_add(e->gather, base, base + span);
			list_add_tail(&virt_to_page(child)->lru,
				      &e->gather->tables);
			atomic_long_dec(&pt->stats.tables[level - 1]);
		}
	}
}

int axas_pt_unmap(struct axas_pt *pt, u64 gpa, u64 size, axas_pt_leaf_fn fn,
		  void *arg, struct axas_pt_gather *gather)
{
	struct pt_edit e = { .pt = pt, .gather = gather, .fn = fn, .arg = arg };
	int ret = pt_edit_begin(&e, gpa, size, PT_GFP_UNMAP);
	unsigned int level;

	if (ret)
		return ret;
	pt_unmap_level(&e, pt->root, pt->top_level, gpa, gpa + size);
	for (level = 0; level < AXAS_PT_LEAF_LEVELS; level++)
		if (e.removed[level])
			atomic_long_sub(e.removed[level], &pt->stats.leaves[level]);
	pt_cache_drain(&e.cache);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(axas_pt_unmap, AXAS_NS);

static void pt_protect_leaf(struct pt_edit *e, u64 *ptep, u64 pte,
			    unsigned int level, u64 base)
{
	const u32 rights = AXAS_PROT_RWX | AXAS_PROT_EXEC_USER;
	const struct axas_pt_fmt *fmt = e->pt->fmt;
	/* The address (the C-bit with it: set by what backs the leaf) and A/D. */
	u64 keep = axas_pt_leaf_addr_mask(level) | fmt->accessed | fmt->dirty;
	u32 old = pt_leaf_prot(e->pt, pte, level), prot = e->prot;
	u64 attrs = e->attrs[level], new;

	if (pt_window_meets(e->win, base, 1)) {
		prot = e->win_prot;
		attrs = e->win_attrs[level];
	}
	do {
		new = (pte & keep) | attrs;
		if (new == pte)
			return;
	} while (!try_cmpxchg64(ptep, &pte, new));

	/* Added rights need no flush: a stale entry only faults spuriously. */
	if ((old & rights & ~prot) || ((old ^ prot) & ~rights))
		axas_pt_gather_add(e->gather, base, base + axas_pt_level_size(level));
}

static void pt_protect_level(struct pt_edit *e, u64 *table, unsigned int level,
			     u64 start, u64 end)
{
	struct axas_pt *pt = e->pt;
	u64 span = axas_pt_level_size(level);
	u64 addr, next;

	for (addr = start; addr < end; addr = next) {
		u64 *ptep = &table[pt_index(addr, level)];
		u64 base = addr & ~(span - 1);
		u64 pte = READ_ONCE(*ptep);

		pt_resched(level);
		next = min(end, base + span);
		if (!ent_present(pt, pte))
			continue;
		if (ent_leaf(pt, pte, level)) {
			/* Whole, and inside the window or outside it. */
			if (addr == base && next == base + span &&
			    (!pt_window_meets(e->win, base, span) ||
			     (base >= e->win->start && next <= e->win->end))) {
				pt_protect_leaf(e, ptep, pte, level, base);
				continue;
			}
			pte = pt_split_leaf(pt, &e->cache, ptep, pte, level);
		}
		pt_protect_level(e, ent_table(pt, pte), level - 1, addr, next);
	}
}

int axas_pt_protect(struct axas_pt *pt, u64 gpa, u64 size, u32 prot,
		    struct axas_pt_gather *gather)
{
	return axas_pt_protect_window(pt, gpa, size, prot, gather, NULL);
}
EXPORT_SYMBOL_NS_GPL(axas_pt_protect, AXAS_NS);

/*
 * axas_pt_protect() where the leaves inside @win (if not NULL) get @prot
 * without @win->deny (huge leaves that straddle its edges are split).
 */
int axas_pt_protect_window(struct axas_pt *pt, u64 gpa, u64 size, u32 prot,
			   struct axas_pt_gather *gather,
			   const struct axas_pt_window *win)
{
	struct pt_edit e = { .pt = pt, .gather = gather, .prot = prot, .win = win };
	unsigned int level;
	int ret;

	ret = axas_pt_check_prot(pt, prot);
	if (!ret && win) {
		e.win_prot = prot & ~win->deny;
		ret = axas_pt_check_prot(pt, e.win_prot);
	}
	if (ret)
		return ret;
	for (level = 0; level < AXAS_PT_LEAF_LEVELS; level++) {
		e.attrs[level] = pt->fmt->leaf_attrs(pt, prot, level);
		if (win)
			e.win_attrs[level] = pt->fmt->leaf_attrs(pt, e.win_prot,
								 level);
	}
	ret = pt_edit_begin(&e, gpa, size, PT_GFP);
	if (ret)
		return ret;
	pt_protect_level(&e, pt->root, pt->top_level, gpa, gpa + size);
	pt_cache_drain(&e.cache);
	return 0;
}

int axas_pt_split(struct axas_pt *pt, u64 gpa)
{
	struct axas_pt_cache cache;
	u64 *table = pt->root;
	unsigned int level;
	u64 *ptep, pte;
	int ret;

	if (gpa >= pt->gpa_limit)
		return -ERANGE;
	for (level = pt->top_level; ; level--) {
		ptep = &table[pt_index(gpa, level)];
		pte = READ_ONCE(*ptep);
		if (!ent_present(pt, pte))
			return -ENOENT;
		if (ent_leaf(pt, pte, level))
			break;
		table = ent_table(pt, pte);
	}
	if (!level)
		return -EINVAL;
	pt_cache_init(&cache);
	ret = pt_cache_fill(pt, &cache, 1, PT_GFP);
	if (!ret)
		pt_split_leaf(pt, &cache, ptep, pte, level);
	pt_cache_drain(&cache);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_pt_split, AXAS_NS);

/*
 * Split every 2 MiB and 1 GiB leaf that maps part of [gpa, end) down to
 * 4 KiB leaves (dirty logging reports 4 KiB pages). First count the table
 * pages, then allocate them, then split: all or nothing.
 */
static unsigned long pt_split_count(const struct axas_pt *pt, u64 *table,
				    unsigned int level, u64 start, u64 end)
{
	unsigned long n = 0;
	u64 addr, next;

	for (addr = start; addr < end; addr = next) {
		u64 pte = READ_ONCE(table[pt_index(addr, level)]);

		pt_resched(level);
		next = min(end, pt_entry_end(addr, level));
		if (!ent_present(pt, pte))
			continue;
		if (ent_leaf(pt, pte, level))
			n += level == 2 ? 1 + PT_ENTRIES : level;
		else if (level > 1)
			n += pt_split_count(pt, ent_table(pt, pte), level - 1,
					    addr, next);
	}
	return n;
}

static void pt_split_all(struct axas_pt *pt, struct axas_pt_cache *cache,
			 u64 *table, unsigned int level, u64 start, u64 end)
{
	u64 addr, next;

	for (addr = start; addr < end; addr = next) {
		u64 *ptep = &table[pt_index(addr, level)];
		u64 pte = READ_ONCE(*ptep);

		pt_resched(level);
		next = min(end, pt_entry_end(addr, level));
		if (!ent_present(pt, pte))
			continue;
		if (ent_leaf(pt, pte, level))
			pte = pt_split_leaf(pt, cache, ptep, pte, level);
		if (level > 1)
			pt_split_all(pt, cache, ent_table(pt, pte), level - 1,
				     addr, next);
	}
}

/*
 * Leaves keep translation, rights and A/D flags: no flush. The caller
 * excludes every other writer of @pt but shared maps (which only fill
 * empty entries).
 */
int axas_pt_split_range(struct axas_pt *pt, u64 gpa, u64 size)
{
	struct axas_pt_cache cache;
	int ret = pt_check_range(pt, gpa, size);

	if (ret)
		return ret;
	pt_cache_init(&cache);
	ret = pt_cache_fill(pt, &cache, pt_split_count(pt, pt->root, pt->top_level,
						       gpa, gpa + size), PT_GFP);
	if (!ret)
		pt_split_all(pt, &cache, pt->root, pt->top_level, gpa, gpa + size);
	pt_cache_drain(&cache);
	return ret;
}

/* ---- testing, clearing and setting one bit of every leaf ---------------- */

struct pt_scan {
	struct axas_pt *pt;
	u64 bit;
	unsigned int flags;
	unsigned long *bitmap;
	u64 base;
	struct axas_pt_gather *gather;
	unsigned long found;
};

/* Report the 4 KiB pages [from, to) in the caller's bitmap. */
static void pt_scan_mark(struct pt_scan *s, u64 from, u64 to)
{
	unsigned long i = (from - s->base) >> PAGE_SHIFT;
	unsigned long n = (to - from) >> PAGE_SHIFT;

	s->found += n;
	if (!s->bitmap)
		return;
	if (s->flags & AXAS_SCAN_ATOMIC)
		while (n--)
			set_bit(i++, s->bitmap);
	else if (n == 1)
		__set_bit(i, s->bitmap);
	else
		bitmap_set(s->bitmap, i, n);
}

/*
 * One leaf: the hardware may set A/D in it at any moment and other
 * scanners or a write-protection fault change it under the shared lock,
 * so every change is a cmpxchg of the whole entry.
 */
static void pt_scan_leaf(struct pt_scan *s, u64 *ptep, u64 pte,
			 unsigned int level, u64 addr, u64 next)
{
	u64 span = axas_pt_level_size(level), base = addr & ~(span - 1);

	if (s->flags & AXAS_SCAN_SET) {
		while (!(pte & s->bit))
			if (try_cmpxchg64(ptep, &pte, pte | s->bit))
				break;
		return;
	}
	if (!(pte & s->bit))
		return;
	/*
	 * A leaf the range covers in part keeps its bit: it also stands for
	 * pages outside the range, which the caller did not see.
	 */
	if ((s->flags & AXAS_SCAN_CLEAR) && addr == base && next == base + span) {
		while (!try_cmpxchg64(ptep, &pte, pte & ~s->bit))
			if (!(pte & s->bit))
				return;
		/* A CPU may hold the entry with the bit set: flush. */
		axas_pt_gather_add(s->gather, base, base + span);
	}
	pt_scan_mark(s, addr, next);
}

/* Leaf @k of @table, at @start + @k pages, if it has the bit (or SET). */
static void pt_scan_one(struct pt_scan *s, u64 *table, u64 start,
			unsigned int k)
{
	u64 pte = READ_ONCE(table[k]), addr;

	if (!ent_present(s->pt, pte) ||
	    (!(pte & s->bit) && !(s->flags & AXAS_SCAN_SET)))
		return;
	addr = start + ((u64)k << PAGE_SHIFT);
	pt_scan_leaf(s, &table[k], pte, 0, addr, addr + PAGE_SIZE);
}

/*
 * The hot loop: up to 512 entries of one table, all 4 KiB leaves or empty.
 * A harvest finds the bit clear in most, so it tests eight entries at a
 * time, with one test of the OR of their loads (an empty entry is 0 and
 * the bit implies present), and goes on with the ones that have the bit
 * only when that test finds it.
 */
static void pt_scan_leaves(struct pt_scan *s, u64 *table, u64 start, u64 end)
{
	unsigned int n = (end - start) >> PAGE_SHIFT, k = 0;
	const u64 bit = s->bit;

	table += pt_index(start, 0);
	if (!(s->flags & AXAS_SCAN_SET)) {
		for (; k + 8 <= n; k += 8) {
			const u64 *e = &table[k];
			unsigned int j;

			if (likely(!((READ_ONCE(e[0]) | READ_ONCE(e[1]) |
				      READ_ONCE(e[2]) | READ_ONCE(e[3]) |
				      READ_ONCE(e[4]) | READ_ONCE(e[5]) |
				      READ_ONCE(e[6]) | READ_ONCE(e[7])) & bit)))
				continue;
			for (j = k; j < k + 8; j++)
				if (READ_ONCE(table[j]) & bit)
					pt_scan_one(s, table, start, j);
		}
	}
	for (; k < n; k++)
		pt_scan_one(s, table, start, k);
}

static void pt_scan_level(struct pt_scan *s, u64 *table, unsigned int level,
			  u64 start, u64 end)
{
	struct axas_pt *pt = s->pt;
	u64 addr, next;

	if (!level) {
		pt_scan_leaves(s, table, start, end);
		return;
	}
	for (addr = start; addr < end; addr = next) {
		u64 *ptep = &table[pt_index(addr, level)];
		u64 pte = READ_ONCE(*ptep);

		pt_resched(level);
		next = min(end, pt_entry_end(addr, level));
		if (!ent_present(pt, pte))
			continue;
		if (ent_leaf(pt, pte, level))
			pt_scan_leaf(s, ptep, pte, level, addr, next);
		else
			pt_scan_level(s, ent_table(pt, pte), level - 1, addr, next);
	}
}

/*
 * Test one bit (@which) of every leaf that maps part of [@gpa, @gpa +
 * @size) and report the 4 KiB pages of the range whose leaf has it in
 * @bitmap (bit n: the page at @base + n * 4 KiB; a huge leaf reports all
 * its pages in the range), clearing it with AXAS_SCAN_CLEAR in the leaves
 * that lie inside the range (they go to @gather, to be flushed; a leaf
 * the range covers in part is reported and keeps its bit), or set it in every
 * leaf with AXAS_SCAN_SET (no report). Runs concurrently with faults and
 * other scans (the caller holds the space lock either way: no table page
 * goes away meanwhile). Returns the number of pages reported.
 */
long axas_pt_scan(struct axas_pt *pt, u64 gpa, u64 size,
		  enum axas_scan_bit which, unsigned int flags,
		  unsigned long *bitmap, u64 base,
		  struct axas_pt_gather *gather)
{
	struct pt_scan s = {
		.pt = pt, .flags = flags, .bitmap = bitmap, .base = base,
		.gather = gather,
	};
	int ret = pt_check_range(pt, gpa, size);

	if (ret)
		return ret;
	if ((flags & AXAS_SCAN_CLEAR) && !gather)
		return -EINVAL;
	switch (which) {
	case AXAS_SCAN_DIRTY:
		s.bit = pt->fmt->dirty;
		break;
	case AXAS_SCAN_ACCESSED:
		s.bit = pt->fmt->accessed;
		break;
	default:
		s.bit = pt->fmt->write;
		break;
	}
	pt_scan_level(&s, pt->root, pt->top_level, gpa, gpa + size);
	return s.found;
}
EXPORT_SYMBOL_IF_KUNIT(axas_pt_scan);

/* ---- the pages a bitmap marks, with their frames ------------------------- */

struct pt_marked {
	struct axas_pt *pt;
	const unsigned long *bitmap;
	u64 base;
	void (*fn)(void *arg, u64 gpa, phys_addr_t hpa);
	void *arg;
};

/* The marked pages of [start, end), which the leaf @pte at @level maps. */
static void pt_marked_leaf(struct pt_marked *w, u64 pte, unsigned int level,
			   u64 start, u64 end)
{
	u64 span = axas_pt_level_size(level);
	phys_addr_t hpa = pt_leaf_addr(w->pt, pte, level);
	unsigned long i = (start - w->base) >> PAGE_SHIFT;
	unsigned long last = (end - w->base) >> PAGE_SHIFT;

	for_each_set_bit_from(i, w->bitmap, last) {
		u64 gpa = w->base + ((u64)i << PAGE_SHIFT);

		w->fn(w->arg, gpa, hpa + (gpa & (span - 1)));
	}
}

static void pt_marked_level(struct pt_marked *w, u64 *table,
			    unsigned int level, u64 start, u64 end)
{
	unsigned long last = (end - w->base) >> PAGE_SHIFT, i;
	struct axas_pt *pt = w->pt;
	u64 addr, next, pte;

	if (!level) {
		i = (start - w->base) >> PAGE_SHIFT;
		for_each_set_bit_from(i, w->bitmap, last) {
			addr = w->base + ((u64)i << PAGE_SHIFT);
			pte = READ_ONCE(table[pt_index(addr, 0)]);
			if (ent_present(pt, pte))
				w->fn(w->arg, addr, pt_leaf_addr(pt, pte, 0));
		}
		return;
	}
	for (addr = start; addr < end; addr = next) {
		/* Straight to the entry of the next marked page. */
		i = find_next_bit(w->bitmap, last, (addr - w->base) >> PAGE_SHIFT);
		if (i >= last)
			return;
		addr = max(addr, ALIGN_DOWN(w->base + ((u64)i << PAGE_SHIFT),
					    axas_pt_level_size(level)));
		next = min(end, pt_entry_end(addr, level));
		pte = READ_ONCE(table[pt_index(addr, level)]);
		if (!ent_present(pt, pte))
			continue;
		if (ent_leaf(pt, pte, level))
			pt_marked_leaf(w, pte, level, addr, next);
		else
			pt_marked_level(w, ent_table(pt, pte), level - 1, addr,
					next);
		pt_resched(level);
	}
}

/*
 * Call @fn for each page of [@gpa, @gpa + @size) that @bitmap marks (bit
 * n: the page at @base + n * 4 KiB) and a present leaf maps, with the HPA
 * of that page, in GPA order; pages not mapped are skipped. Reads only the
 * entries above marked pages. @fn must not change the table (it may
 * clear the bit of its page). Caller holds the space lock either way.
 */
int axas_pt_walk_marked(struct axas_pt *pt, u64 gpa, u64 size,
			    const unsigned long *bitmap, u64 base,
			    void (*fn)(void *arg, u64 gpa, phys_addr_t hpa),
			    void *arg)
{
	struct pt_marked w = {
		.pt = pt, .bitmap = bitmap, .base = base, .fn = fn, .arg = arg,
	};
	int ret = pt_check_range(pt, gpa, size);

	if (ret)
		return ret;
	pt_marked_level(&w, pt->root, pt->top_level, gpa, gpa + size);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(axas_pt_walk_marked);

/*
 * The entry that maps @gpa: a present leaf (its table and level in
 * *@tablep, *@levelp), or 0. Caller holds rcu_read_lock().
 */
static u64 pt_find_leaf(struct axas_pt *pt, u64 gpa, u64 **tablep,
			unsigned int *levelp)
{
	u64 *table = READ_ONCE(pt->root);
	unsigned int level;

	if (!table)
		return 0;
	for (level = pt->top_level; ; level--) {
		u64 pte = READ_ONCE(table[pt_index(gpa, level)]);

		if (!ent_present(pt, pte))
			return 0;
		if (ent_leaf(pt, pte, level)) {
			*tablep = table;
			*levelp = level;
			return pte;
		}
		table = ent_table(pt, pte);
	}
}

s64 axas_pt_query_contig(struct axas_pt *pt, u64 gpa, struct axas_pt_leaf *leaf,
			 u64 end, unsigned int max_leaves)
{
	unsigned int level, n;
	u64 *table, pte, at;
	phys_addr_t next_pa;

	if (gpa >= pt->gpa_limit)
		return -ERANGE;
	end = min(end, pt->gpa_limit);
	rcu_read_lock();
	pte = pt_find_leaf(pt, gpa, &table, &level);
	if (!pte) {
		rcu_read_unlock();
		return -ENOENT;
	}
	pt_leaf_decode(pt, pte, level, gpa, leaf);
	at = leaf->gpa + leaf->size;
	next_pa = leaf->hpa + leaf->size;
	for (n = 0; n < max_leaves && at < end; n++) {
		u64 size;

		/* Same table while the index does not wrap; else walk again. */
		if (pt_index(at, level))
			pte = READ_ONCE(table[pt_index(at, level)]);
		else
			pte = 0;
		if (!ent_present(pt, pte) || !ent_leaf(pt, pte, level))
			pte = pt_find_leaf(pt, at, &table, &level);
		if (!pte || pt_leaf_addr(pt, pte, level) != next_pa ||
		    pt_leaf_prot(pt, pte, level) != leaf->prot)
			break;
		size = axas_pt_level_size(level);
		at += size;
		next_pa += size;
	}
	rcu_read_unlock();
	return at - gpa;
}
EXPORT_SYMBOL_NS_GPL(axas_pt_query_contig, AXAS_NS);

int axas_pt_query(struct axas_pt *pt, u64 gpa, struct axas_pt_leaf *leaf)
{
	u64 *table;
	unsigned int level;
	int ret = -ENOENT;

	if (gpa >= pt->gpa_limit)
		return -ERANGE;
	leaf->level = pt->top_level;
	leaf->size = axas_pt_level_size(pt->top_level);
	rcu_read_lock();
	table = READ_ONCE(pt->root);
	for (level = pt->top_level; table; level--) {
		u64 pte = READ_ONCE(table[pt_index(gpa, level)]);

		if (!ent_present(pt, pte)) {
			leaf->level = level;
			leaf->size = axas_pt_level_size(level);
			break;
		}
		if (ent_leaf(pt, pte, level)) {
			pt_leaf_decode(pt, pte, level, gpa, leaf);
			ret = 0;
			break;
		}
		table = ent_table(pt, pte);
	}
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_pt_query, AXAS_NS);

/* ---- huge leaves recovered ---------------------------------------------- */

/* The A/D flags the hardware sets in the leaves (NPT, EPT with A/D), or 0. */
static u64 pt_hw_ad(const struct axas_pt *pt)
{
	if (pt->cfg.format == AXAS_PT_EPT &&
	    !(pt->cfg.root_flags & AXAS_PT_ROOT_AD))
		return 0;
	return pt->fmt->accessed | pt->fmt->dirty;
}

/*
 * The leaf at @level that the 512 entries of @child (at @level - 1) make
 * together, or 0 when they make none: all leaves, mapping one naturally
 * aligned run of HPAs, with the same rights, memory type and C-bit, and
 * no bit the format would not write itself. Its A/D flags are theirs,
 * ORed: what the hardware set in any of them, it has set in the leaf.
 */
static u64 pt_collapse_leaf(const struct axas_pt *pt, const u64 *child,
			    unsigned int level)
{
	const struct axas_pt_fmt *fmt = pt->fmt;
	u64 ad = fmt->accessed | fmt->dirty;
	u64 step = axas_pt_level_size(level - 1);
	u64 first = READ_ONCE(child[0]);
	u64 want = first & ~ad, seen = 0, diff = 0;
	phys_addr_t base;
	unsigned int i;
	u32 prot;

	if (!ent_present(pt, first) || !ent_leaf(pt, first, level - 1))
		return 0;
	base = pt_leaf_addr(pt, first, level - 1);
	prot = pt_leaf_prot(pt, first, level - 1);
	if (!IS_ALIGNED(base, axas_pt_level_size(level)) ||
	    (want & ~axas_pt_leaf_addr_mask(level - 1)) !=
	    fmt->leaf_attrs(pt, prot, level - 1))
		return 0;
	/*
	 * Four entries a step, no branch: their differences from what they
	 * must be ORed together (the address is aligned: adding steps never
	 * carries out of it, and @want has no A/D flag to mask), their flags
	 * ORed apart. A table that does not line up is rare: it is read whole.
	 */
	for (i = 0; i < PT_ENTRIES; i += 4, want += 4 * step) {
		u64 a = READ_ONCE(child[i]), b = READ_ONCE(child[i + 1]);
		u64 c = READ_ONCE(child[i + 2]), d = READ_ONCE(child[i + 3]);

		diff |= (a ^ want) | (b ^ (want + step)) |
			(c ^ (want + 2 * step)) | (d ^ (want + 3 * step));
		seen |= a | b | c | d;
	}
	if (diff & ~ad)
		return 0;
	return base | (first & pt->me_mask) | fmt->leaf_attrs(pt, prot, level) |
	       (seen & ad);
}

struct pt_collapse {
	struct axas_pt *pt;
	struct axas_pt_gather *gather;
	struct list_head *tables;
	unsigned int max_level;
	long made;
};

static void pt_collapse_level(struct pt_collapse *c, u64 *table,
			      unsigned int level, u64 start, u64 end)
{
	struct axas_pt *pt = c->pt;
	u64 span = axas_pt_level_size(level);
	u64 addr, next;

	for (addr = start; addr < end; addr = next) {
		u64 *ptep = &table[pt_index(addr, level)];
		u64 base = addr & ~(span - 1);
		u64 pte = READ_ONCE(*ptep), new;
		struct page *page;
		u64 *child;
		long made;

		pt_resched(level);
		next = min(end, base + span);
		if (!ent_present(pt, pte) || ent_leaf(pt, pte, level))
			continue;
		child = ent_table(pt, pte);
		made = c->made;
		/* Bottom up: 2 MiB leaves first, which a 1 GiB one may take. */
		if (level > 1)
			pt_collapse_level(c, child, level - 1, addr, next);
		if (level > c->max_level || addr != base || next != base + span)
			continue;
		new = pt_collapse_leaf(pt, child, level);
		if (!new)
			continue;
		/* The leaves made below are this one now: it counts once. */
		c->made = made;
		/*
		 * The same translation with another page size, rights and
		 * attributes unchanged: a CPU may use the old entries or the
		 * new leaf until the flush (the SDM asks to clear the entry
		 * first only when the frame, rights or attributes change with
		 * the size). Retry while the hardware
		 * sets the table entry's own accessed flag.
		 */
		while (!try_cmpxchg64(ptep, &pte, new))
			;
		page = virt_to_page(child);
		/* Where it was, for axas_pt_collapse_settle(). */
		set_page_private(page, base | (level - 1));
		list_add_tail(&page->lru, c->tables);
		axas_pt_gather_add(c->gather, base, base + span);
		atomic_long_sub(PT_ENTRIES, &pt->stats.leaves[level - 1]);
		atomic_long_inc(&pt->stats.leaves[level]);
		atomic_long_dec(&pt->stats.tables[level - 1]);
		c->made++;
	}
}

/**
 * axas_pt_collapse() - put huge leaves back where smaller ones line up
 * @pt: the table
 * @gpa: first GPA, 4 KiB aligned
 * @size: bytes
 * @max_level: the largest leaf to make: 1 (2 MiB) or 2 (1 GiB)
 * @tables: the table pages taken out, for axas_pt_collapse_settle()
 * @gather: what the flush must cover
 *
 * Every table inside the range whose 512 entries are leaves that map one
 * naturally aligned block with the same rights and attributes is replaced
 * by one leaf mapping it, without copying: nothing a CPU translates
 * changes. The caller excludes every other writer of @pt, flushes
 * @gather, then calls axas_pt_collapse_settle() before the table pages go.
 *
 * Return: the leaves made; -EINVAL or -ERANGE for a bad range or level.
 */
long axas_pt_collapse(struct axas_pt *pt, u64 gpa, u64 size,
		      unsigned int max_level, struct list_head *tables,
		      struct axas_pt_gather *gather)
{
	struct pt_collapse c = {
		.pt = pt, .gather = gather, .tables = tables,
		.max_level = max_level,
	};
	int ret = pt_check_range(pt, gpa, size);

	if (ret)
		return ret;
	if (!max_level || !(pt->pgsizes & axas_pt_level_size(max_level)))
		return -EINVAL;
	pt_collapse_level(&c, pt->root, pt->top_level, gpa, gpa + size);
	return c.made;
}

/**
 * axas_pt_collapse_settle() - after the flush, the table pages collapse took
 * @pt: the table
 * @tables: from axas_pt_collapse()
 * @gather: receives the pages, freed by axas_pt_gather_release()
 *
 * Until the flush, a CPU that still walked a removed table may have set
 * accessed and dirty flags in it: they go into the leaf that maps the
 * same memory now, so that no write is lost to dirty logging or aging.
 */
void axas_pt_collapse_settle(struct axas_pt *pt, struct list_head *tables,
			     struct axas_pt_gather *gather)
{
	u64 ad = pt_hw_ad(pt);
	struct page *page, *tmp;

	list_for_each_entry_safe(page, tmp, tables, lru) {
		unsigned long where = page_private(page);
		unsigned int clevel = where & (PAGE_SIZE - 1), level, i;
		const u64 *child = page_address(page);
		u64 gpa = where & PAGE_MASK, *table, pte, seen = 0;
		phys_addr_t hpa = pt_leaf_addr(pt, child[0], clevel);

		set_page_private(page, 0);
		list_move_tail(&page->lru, &gather->tables);
		pte = ad ? pt_find_leaf(pt, gpa, &table, &level) : 0;
		/* Already set in the leaf, or it no longer maps this memory. */
		if (!pte || !(~pte & ad) || level <= clevel ||
		    pt_leaf_addr(pt, pte, level) +
		    (gpa & (axas_pt_level_size(level) - 1)) != hpa)
			continue;
		for (i = 0; i < PT_ENTRIES; i += 4)
			seen |= READ_ONCE(child[i]) | READ_ONCE(child[i + 1]) |
				READ_ONCE(child[i + 2]) | READ_ONCE(child[i + 3]);
		seen &= ad;
		while ((seen & ~pte) &&
		       !try_cmpxchg64(&table[pt_index(gpa, level)], &pte,
				      pte | seen))
			;
	}
}

/* Called with each leaf of a walk; true stops the walk. */
typedef bool (*pt_walk_fn)(void *arg, const struct axas_pt_leaf *leaf);

/* The one lockless walk: caller holds rcu_read_lock(). True if stopped. */
static bool pt_walk_level(struct axas_pt *pt, u64 *table, unsigned int level,
			  u64 start, u64 end, pt_walk_fn fn, void *arg)
{
	u64 addr, next;

	for (addr = start; addr < end; addr = next) {
		u64 pte = READ_ONCE(table[pt_index(addr, level)]);
		struct axas_pt_leaf leaf;

		next = min(end, pt_entry_end(addr, level));
		if (!ent_present(pt, pte))
			continue;
		if (!ent_leaf(pt, pte, level)) {
			if (pt_walk_level(pt, ent_table(pt, pte), level - 1, addr,
					  next, fn, arg))
				return true;
			continue;
		}
		pt_leaf_decode(pt, pte, level, addr, &leaf);
		if (fn(arg, &leaf))
			return true;
	}
	return false;
}

/* A walk of [start, end) from the root, in one RCU read-side section. */
static void pt_walk_rcu(struct axas_pt *pt, u64 start, u64 end, pt_walk_fn fn,
			void *arg)
{
	u64 *root;

	rcu_read_lock();
	root = READ_ONCE(pt->root);
	if (root)
		pt_walk_level(pt, root, pt->top_level, start, end, fn, arg);
	rcu_read_unlock();
}

struct pt_walk_all {
	axas_pt_leaf_fn fn;
	void *arg;
};

static bool pt_walk_all(void *arg, const struct axas_pt_leaf *leaf)
{
	struct pt_walk_all *w = arg;

	w->fn(w->arg, leaf);
	return false;
}

int axas_pt_walk_leaves(struct axas_pt *pt, u64 gpa, u64 size,
			  axas_pt_leaf_fn fn, void *arg)
{
	struct pt_walk_all w = { .fn = fn, .arg = arg };
	int ret = pt_check_range(pt, gpa, size);

	if (ret)
		return ret;
	pt_walk_rcu(pt, gpa, gpa + size, pt_walk_all, &w);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(axas_pt_walk_leaves, AXAS_NS);

struct pt_next {
	struct axas_pt_leaf *leaves;
	unsigned int n;
	unsigned int max;
};

static bool pt_next_collect(void *arg, const struct axas_pt_leaf *leaf)
{
	struct pt_next *nx = arg;

	nx->leaves[nx->n++] = *leaf;
	return nx->n == nx->max;
}

unsigned int axas_pt_next_leaves(struct axas_pt *pt, u64 gpa, u64 end,
				 struct axas_pt_leaf *leaves, unsigned int max)
{
	struct pt_next nx = { .leaves = leaves, .max = max };

	end = min(end, pt->gpa_limit);
	if (gpa >= end || !max)
		return 0;
	pt_walk_rcu(pt, gpa, end, pt_next_collect, &nx);
	return nx.n;
}
EXPORT_SYMBOL_NS_GPL(axas_pt_next_leaves, AXAS_NS);

u64 axas_pt_root(const struct axas_pt *pt)
{
	return pt->fmt->root(pt);
}
EXPORT_SYMBOL_NS_GPL(axas_pt_root, AXAS_NS);

void axas_pt_gather_init(struct axas_pt_gather *gather)
{
	gather->start = U64_MAX;
	gather->end = 0;
	INIT_LIST_HEAD(&gather->tables);
}
EXPORT_SYMBOL_NS_GPL(axas_pt_gather_init, AXAS_NS);

/*
 * Table pages one RCU callback frees at most: callbacks run with softirqs
 * off and cannot reschedule, and RCU limits the callbacks it runs in one
 * batch, not what each does; a shutdown of a TiB-sized space unlinks
 * hundreds of thousands of table pages.
 */
#define PT_RCU_CHAIN	PT_ENTRIES

#if IS_ENABLED(CONFIG_KUNIT)
/* The most pages one callback freed, for the KUnit suites. */
VISIBLE_IF_KUNIT atomic_t axas_pt_rcu_chain_max = ATOMIC_INIT(0);
EXPORT_SYMBOL_IF_KUNIT(axas_pt_rcu_chain_max);
#endif

/* The table pages chained from @head's page->private, after a grace period. */
static void pt_pages_free_rcu(struct rcu_head *head)
{
	struct page *page = container_of(head, struct page, rcu_head), *next;
	int n = 0;

	for (; page; page = next, n++) {
		next = (struct page *)page_private(page);
		set_page_private(page, 0);
		pt_page_free(page);
	}
#if IS_ENABLED(CONFIG_KUNIT)
	if (n > atomic_read(&axas_pt_rcu_chain_max))
		atomic_set(&axas_pt_rcu_chain_max, n);
#endif
}

void axas_pt_gather_release(struct axas_pt_gather *gather)
{
	struct page *page, *tmp, *chain = NULL;
	unsigned int n = 0;

	/*
	 * One grace period for up to PT_RCU_CHAIN of them: chained through
	 * page->private (the rcu_head shares page->lru, which the list uses
	 * until here).
	 */
	list_for_each_entry_safe_reverse(page, tmp, &gather->tables, lru) {
		list_del(&page->lru);
		set_page_private(page, (unsigned long)chain);
		chain = page;
		if (++n == PT_RCU_CHAIN) {
			call_rcu(&chain->rcu_head, pt_pages_free_rcu);
			chain = NULL;
			n = 0;
		}
	}
	if (chain)
		call_rcu(&chain->rcu_head, pt_pages_free_rcu);
	axas_pt_gather_init(gather);
}
EXPORT_SYMBOL_NS_GPL(axas_pt_gather_release, AXAS_NS);

long axas_pt_live_tables(void)
{
	return atomic_long_read(&axas_pt_live);
}
EXPORT_SYMBOL_NS_GPL(axas_pt_live_tables, AXAS_NS);
