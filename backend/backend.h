/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest frames, the layer between the table engine (npt/) and the space
 * core (core/): where every frame of an alloc area comes from (zeroed,
 * from the space's NUMA node, charged to its memory cgroup through the
 * caller's active memcg), how frames are counted against the space's cap,
 * how they go back after the flush; and the two backends, linear and
 * alloc, that turn an area into leaves, behind one ops table.
 *
 * Nothing here knows of spaces, their lock or their features: the core
 * passes the table, the frame account and the area it works on, and keeps
 * its own counts and its locking protocol (see core/core.h).
 */
#ifndef _AXAS_BACKEND_H
#define _AXAS_BACKEND_H

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/rbtree.h>
#include <linux/spinlock.h>

#include <axas/axas.h>

#include "../npt/engine.h"

/**
 * struct axas_frame_pool - zeroed frames ready for lazy faults (pool.c)
 * @lock: protects the lists and the counts
 * @frames: 4 KiB frames, on page->lru
 * @blocks: 2 MiB frames (512 order-0 pages), their first page on page->lru
 * @nr_frames: frames on @frames
 * @nr_blocks: frames on @blocks
 * @max_frames: the most @frames holds (0: none)
 * @max_blocks: the most @blocks holds (0: none)
 * @closed: the space is shut down: nothing is added any more
 *
 * Every frame in it was zeroed when it was allocated, after its last use
 * by anyone, and is counted in &axas_frames.held (and in
 * &axas_frames.pooled) and charged to the memory cgroup it was allocated
 * for: a fault that takes one neither allocates, zeroes nor charges.
 */
struct axas_frame_pool {
	spinlock_t lock;	/* see above */
	struct list_head frames;
	struct list_head blocks;
	unsigned long nr_frames;
	unsigned long nr_blocks;
	unsigned long max_frames;
	unsigned long max_blocks;
	bool closed;
};

/**
 * struct axas_frames - the frames a space holds, against its cap
 * @held: 4 KiB frames charged (a 2 MiB frame counts 512), mapped or not
 * @aside: of @held, frames a feature keeps outside the table (the
 *	snapshot's copies of pages)
 * @pooled: of @held, frames in @pool
 * @max: the cap on @held, 0 for none
 * @node: NUMA node frames come from (NUMA_NO_NODE: the task's policy)
 * @node_gfp: __GFP_THISNODE when @node is the only one allowed
 * @pool: zeroed frames allocated ahead of the faults that take them
 *
 * Charges are exact against @max at any moment: a charge that would go
 * beyond it gives pooled frames back to make room, or is refused and
 * undone at once. Whether a refusal is final while other charges are in
 * flight is the caller's to decide.
 */
struct axas_frames {
	atomic_long_t held;
	atomic_long_t aside;
	atomic_long_t pooled;
	unsigned long max;
	int node;
	gfp_t node_gfp;
	struct axas_frame_pool pool;
};

void axas_frames_init(struct axas_frames *f, unsigned long max, int node,
		      gfp_t node_gfp);
int axas_frames_charge(struct axas_frames *f, unsigned long nr);
int axas_frames_charge_only(struct axas_frames *f, unsigned long nr);
void axas_frames_uncharge(struct axas_frames *f, unsigned long nr);
unsigned long axas_frames_get(struct axas_frames *f, unsigned int order,
			      unsigned long nr, struct page **pages);
void axas_frame_free(struct page *page, unsigned int order);
void axas_frames_free(struct axas_frames *f, struct list_head *frames);

/**
 * struct axas_fault_frame - a frame one fault carries between attempts
 * @page: its first page (2^order order-0 pages), or NULL
 * @size: its size, or the size the backend asks for when @page is NULL;
 *	after %AXAS_FAULT_INSTALLED, the size of the leaf installed
 * @charged: 4 KiB frames charged to the cap for it
 * @strict: no smaller frame may stand in for @size (AXAS_AREA_NO_FALLBACK)
 * @fell_back: @page is smaller than asked for: no block of that size was free
 * @deny: rights to leave out of the leaf (dirty logging's window: see
 *	&struct axas_pt_window)
 */
struct axas_fault_frame {
	struct page *page;
	unsigned long size;
	unsigned long charged;
	bool strict;
	bool fell_back;
	u32 deny;
};

int axas_fault_frame_alloc(struct axas_frames *f, struct axas_fault_frame *ff);
void axas_fault_frame_drop(struct axas_frames *f, struct axas_fault_frame *ff);

/* pool.c: frames zeroed ahead of time (see struct axas_frame_pool). */
struct page *axas_pool_take(struct axas_frames *f, unsigned long size);
bool axas_pool_reserve(struct axas_frames *f, unsigned int order);
struct page *axas_pool_alloc(struct axas_frames *f, unsigned int order);
int axas_pool_put(struct axas_frames *f, unsigned int order,
		  struct page *page);
unsigned long axas_pool_shrink(struct axas_frames *f, unsigned long nr);
int axas_pool_set(struct axas_frames *f, unsigned long frames,
		  unsigned long blocks);
void axas_pool_close(struct axas_frames *f);

/*
 * Internal answers of a backend's fault, never returned by axas_fault():
 * allocate &axas_fault_frame without the space lock and ask again
 * (AXAS_FAULT_NEED_FRAME); the table changed under the fault, ask again
 * (AXAS_FAULT_AGAIN).
 */
#define AXAS_FAULT_NEED_FRAME	2
#define AXAS_FAULT_AGAIN	3

struct axas_backend;

/**
 * struct axas_area - a GPA range with one backend and one set of flags
 * @node: the core's: in the space's tree of areas, sorted by @start
 * @spare: the core's: in a list of preallocated areas, before it is used
 * @start: first GPA
 * @end: one past the last
 * @flags: AXAS_PROT_* and AXAS_AREA_* flags
 * @pgsize: leaf size (alloc: frame size); @start and @end are aligned to it
 * @hpa: linear: HPA of @start
 * @backend: its backend
 * @rcu: freed after a grace period (lockless lookups, see core/area.c)
 * @origin: the map that made it (a number per space): the areas cuts
 *	make of one keep it, and may join again
 * @leaf_max: the largest leaf the map that made it asked for (alloc: its
 *	frame size; linear: the largest the table takes); cuts keep it
 */
struct axas_area {
	struct rb_node node;
	struct list_head spare;
	struct rcu_head rcu;
	u64 start;
	u64 end;
	u32 flags;
	unsigned long pgsize;
	phys_addr_t hpa;
	const struct axas_backend *backend;
	u64 origin;
	unsigned long leaf_max;
};

/**
 * struct axas_backend - what differs between linear and alloc areas
 * @name: "linear" or "alloc"
 * @populate: map the whole area in @pt at map time (linear, eager alloc),
 *	frames charged to @frames, with the window @win (NULL: none); NULL
 *	for nothing (lazy alloc). All or nothing.
 * @fault: install what a fault at @gpa needs (lazy alloc), in a leaf of at
 *	most @room bytes (the largest leaf the table can take at @gpa now);
 *	NULL when the backend never faults anything in. When the cap refuses
 *	the frame it answers -EAGAIN unless @exact (the caller knows no other
 *	charge is in flight: the refusal is final, -ENOMEM). A frame larger
 *	than 4 KiB is not allocated here: the backend charges it, sets
 *	@ff->size and answers %AXAS_FAULT_NEED_FRAME; the caller allocates it
 *	(axas_fault_frame_alloc(), without its locks) and asks again with
 *	@ff->page set. %AXAS_FAULT_INSTALLED leaves in @ff the leaf's size and
 *	whether it fell back; the caller frees what is left in @ff.
 * @release: a leaf of an area of this backend left the table: queue its
 *	frames on @frames, to be freed after the flush; NULL when nothing is
 *	owned
 */
struct axas_backend {
	const char *name;
	int (*populate)(struct axas_pt *pt, struct axas_frames *frames,
			const struct axas_area *area,
			const struct axas_pt_window *win);
	int (*fault)(struct axas_pt *pt, struct axas_frames *frames,
		     const struct axas_area *area, u64 gpa, unsigned long room,
		     bool exact, struct axas_fault_frame *ff);
	void (*release)(const struct axas_pt_leaf *leaf,
			struct list_head *frames);
};

extern const struct axas_backend axas_backend_linear;
extern const struct axas_backend axas_backend_alloc;

bool axas_linear_host_ram(phys_addr_t hpa, u64 size);

#if IS_ENABLED(CONFIG_KUNIT)
/* Visible to the KUnit suites: they replace it to inject failures... */
unsigned long axas_frames_alloc(unsigned int order, unsigned long nr,
				struct page **pages, int node, gfp_t node_gfp);
/* ...and check which ranges 1 GiB frames may come from. */
bool axas_frame_range_usable(unsigned long pfn, unsigned long nr);
#endif

#endif /* _AXAS_BACKEND_H */
