/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The engine's internal API: what the layers above npt/ (the guest frames,
 * the space core, the features) use of the table besides include/axas/pt.h.
 * Nothing here knows of spaces: the engine is the bottom layer.
 */
#ifndef _AXAS_NPT_ENGINE_H
#define _AXAS_NPT_ENGINE_H

#include <linux/list.h>
#include <linux/minmax.h>

#include <axas/pt.h>

/**
 * struct axas_pt_window - a GPA range that maps and protects treat apart
 * @start: first GPA
 * @end: one past the last
 * @deny: rights the leaves inside it do not get
 *
 * A map puts no leaf larger than 4 KiB across any part of it; a map or a
 * protect gives the leaves inside it their rights without @deny. Dirty
 * logging's range is one: logged pages are reported 4 KiB at a time and,
 * under write-protection, a page has the write right only once written.
 */
struct axas_pt_window {
	u64 start;
	u64 end;
	u32 deny;
};

/* Does [@gpa, @gpa + @size) meet @win (NULL: no window)? */
static inline bool axas_pt_window_meets(const struct axas_pt_window *win,
					u64 gpa, u64 size)
{
	return win && gpa < win->end && gpa + size > win->start;
}

/* Add [@start, @end) to what @g flushes. */
static inline void axas_pt_gather_add(struct axas_pt_gather *g, u64 start,
				      u64 end)
{
	g->start = min(g->start, start);
	g->end = max(g->end, end);
}

/* Table pages allocated before a series of writes, so that they cannot fail. */
struct axas_pt_cache {
	struct list_head pages;
	unsigned int nr;
};

int axas_pt_init_node(struct axas_pt *pt, const struct axas_pt_cfg *cfg,
		      int node, gfp_t node_gfp);
int axas_pt_cache_fill(struct axas_pt *pt, struct axas_pt_cache *cache,
		       unsigned int nr);
void axas_pt_cache_release(struct axas_pt_cache *cache);
int axas_pt_map_leaf(struct axas_pt *pt, u64 gpa, u64 size, phys_addr_t pa,
		     u32 prot, bool encrypted, struct axas_pt_cache *tables,
		     bool counted);
int axas_pt_map_window(struct axas_pt *pt, u64 gpa, u64 size,
		       const struct axas_pt_src *src, u32 prot,
		       unsigned long pgsizes, unsigned int flags,
		       const struct axas_pt_window *win);
int axas_pt_protect_window(struct axas_pt *pt, u64 gpa, u64 size, u32 prot,
			   struct axas_pt_gather *gather,
			   const struct axas_pt_window *win);
int axas_pt_split_range(struct axas_pt *pt, u64 gpa, u64 size);
long axas_pt_collapse(struct axas_pt *pt, u64 gpa, u64 size,
		      unsigned int max_level, struct list_head *tables,
		      struct axas_pt_gather *gather);
void axas_pt_collapse_settle(struct axas_pt *pt, struct list_head *tables,
			     struct axas_pt_gather *gather);

/* The leaf bit axas_pt_scan() tests. */
enum axas_scan_bit {
	AXAS_SCAN_DIRTY,
	AXAS_SCAN_ACCESSED,
	AXAS_SCAN_WRITABLE,
};

/* axas_pt_scan(): clear the bit where set; set it everywhere; set_bit(). */
#define AXAS_SCAN_CLEAR		BIT(0)
#define AXAS_SCAN_SET		BIT(1)
#define AXAS_SCAN_ATOMIC	BIT(2)

long axas_pt_scan(struct axas_pt *pt, u64 gpa, u64 size,
		  enum axas_scan_bit which, unsigned int flags,
		  unsigned long *bitmap, u64 base,
		  struct axas_pt_gather *gather);
/* @fn: a marked page at @gpa, mapped at @hpa. */
int axas_pt_walk_marked(struct axas_pt *pt, u64 gpa, u64 size,
			const unsigned long *bitmap, u64 base,
			void (*fn)(void *arg, u64 gpa, phys_addr_t hpa),
			void *arg);

#endif /* _AXAS_NPT_ENGINE_H */
