/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The space core: areas, the space lock, faults and populate, map, unmap
 * and protect, the flush. This header is what the features (features/)
 * use of it, and what the core's files share; the features are told of
 * what they must know through the hooks below, never called by name.
 *
 * Layers, each calling only the ones below it:
 *
 *	features/  dirty logging, pins, snapshots, guest copies, the guest
 *	           page walker, debugfs
 *	core/      this
 *	backend/   guest frames and the linear and alloc backends
 *	npt/       the table engine
 *
 * Locking, once for the whole core: @axas_space.lock (an rwsem) is taken
 * shared by faults, populate, guest copies, the walker, pin activation,
 * dirty-log harvests and aging, which run in parallel (the table takes
 * concurrent installs through cmpxchg), and exclusively by map, unmap,
 * protect, discard, shutdown, dirty-log start and stop, and snapshots.
 * A fault or a populate allocating a frame larger than 4 KiB drops it
 * meanwhile, holding a charge of the frame cap
 * (@axas_space.charges_unlocked); at the cap, a fault or populate decides
 * again with the lock held exclusively once no such charge is held, where
 * the cap is exact. axas_translate() takes no lock: the table is walked
 * under RCU. @axas_space.scan_lock serializes the table scans that flush
 * with the lock held shared (harvests, aging) and write pins' resolution
 * against them; it is taken before the lock.
 *
 * Memory: everything a space allocates (frames, table pages, area
 * structs) is charged to the memory cgroup the space recorded at create
 * time, whichever task triggers the allocation (a vCPU kthread, a VMM
 * thread): callers enter axas_space_memcg_enter() around allocations.
 */
#ifndef _AXAS_CORE_H
#define _AXAS_CORE_H

#include <linux/list.h>
#include <linux/list_bl.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/rwsem.h>
#include <linux/seqlock.h>
#include <linux/spinlock.h>

#include <axas/axas.h>

#include "../backend/backend.h"
#include "../npt/engine.h"

struct dentry;
struct mem_cgroup;
struct axas_dirty_log;
struct axas_snapshot;

struct axas_fault_stats {
	u64 installed;
	u64 spurious;
	u64 refused;
	u64 fallback;
	u64 dirty;
	/* leaves faults installed, by level (not in the table's stats) */
	long leaves[AXAS_PT_LEAF_LEVELS];
};

/* Dirty logs a space may run at once (features/dirty.c). */
#define AXAS_NR_LOGS	2

/**
 * struct axas_space - an address space (see include/axas/axas.h)
 * @lock: see "Locking" above
 * @areas: the areas, sorted and non-overlapping
 * @areas_seq: changes of @areas (written with @lock held exclusively), so
 *	that a lookup without the lock (axas_translate()'s) can tell an area
 *	from none; areas are freed after an RCU grace period
 * @nr_areas: how many
 * @maps: maps made so far, which number the areas' origins
 * @pt: the nested page table
 * @base: first GPA
 * @end: one past the last
 * @dead: shut down; every call fails with -ESHUTDOWN
 * @flush: the VMM's flush callback
 * @cookie: for @flush
 * @frames: the frames the space holds, against its cap (backend/)
 * @charges_unlocked: operations holding a charge of @frames without the
 *	lock (a fault or a populate allocating its frames); at the cap, a
 *	fault or populate decides again only once there are none
 * @populates: axas_populate() calls in flight, which writers mark stale
 *	where they change the space
 * @populates_lock: protects @populates (taken with @lock held either way)
 * @win: a window of the table (see &struct axas_pt_window), or NULL: set
 *	and cleared by a feature (dirty logging) with @lock held exclusively,
 *	read with it held either way. Faults, populate, maps and protects
 *	keep leaves larger than 4 KiB out of it and leave @win->deny out of
 *	the leaves inside it; the first fault that needs a denied right (the
 *	write right only) gives it to its page.
 * @memcg: the memory cgroup charged for what the space allocates
 * @id: number in debugfs
 * @name: name in debugfs
 * @faults: per-CPU fault counts (installed, spurious, refused), so that
 *	parallel faults share no counter
 * @flushes: statistics
 * @scan_lock: see "Locking" above
 * @pins: the pins feature's: registered pins (features/pin.c)
 * @logs: the dirty-logging feature's: the logs running, each NULL or
 *	one (features/dirty.c): the VMM's and the snapshot's
 * @logwin: the dirty-logging feature's: the window over @logs, which @win
 *	points to while any runs
 * @snap: the snapshot feature's: its snapshot, or NULL
 *	(features/snapshot.c)
 * @debugfs: the debugfs feature's: the space's directory
 * @views: its views of memory files (&struct axas_memfile_view) with
 *	areas; changed with @lock held exclusively
 * @views_dead: views whose last area went, to leave their files once
 *	@lock is released (axas_space_views_free())
 *
 * The core never looks into the fields a feature owns; the features set
 * them with @lock held exclusively (@pins: see features/pin.c).
 */
struct axas_space {
	/*
	 * What every fault writes, each on its own cache line, away from
	 * what every fault only reads: the lock's count, the frame count
	 * (and the table's statistics, in @pt).
	 */
	struct rw_semaphore lock;
	struct rb_root areas ____cacheline_aligned_in_smp;
	seqcount_t areas_seq;
	unsigned long nr_areas;
	u64 maps;
	struct axas_pt pt;
	u64 base;
	u64 end;
	bool dead;
	axas_flush_fn flush;
	void *cookie;
	struct axas_frames frames ____cacheline_aligned_in_smp;
	atomic_t charges_unlocked;
	struct list_head populates ____cacheline_aligned_in_smp;
	spinlock_t populates_lock;	/* protects @populates */
	const struct axas_pt_window *win;
	struct mem_cgroup *memcg;
	int id;
	char name[32];
	struct axas_fault_stats __percpu *faults;
	atomic64_t flushes;
	struct mutex scan_lock;		/* see above */
	struct hlist_bl_head pins;
	struct axas_dirty_log *logs[AXAS_NR_LOGS];
	struct axas_pt_window logwin;
	struct axas_snapshot *snap;
	struct dentry *debugfs;
	struct list_head views;
	struct list_head views_dead;
};

/**
 * struct axas_memfile_view - a map of a window of a memory file in a space
 * @file_node: in &axas_memfile.views, changed with &axas_memfile.invalidate
 *	held exclusively (a punch walks them)
 * @space_node: in &axas_space.views, then &axas_space.views_dead
 * @space: the space
 * @mf: the file, of which it holds a reference
 * @gpa: where the map put the window; the view's areas lie in
 *	[@gpa, @gpa + @size), cut as unmap and protect cut them
 * @size: bytes
 * @pgoff: the page of @mf at @gpa
 * @areas: its areas (cuts make more, unmaps fewer); with the last one it
 *	leaves its file. Under the space's lock.
 * @watch: the pages of the view that userspace wrote through the file,
 *	for its space's dirty log when that asks (AXAS_DIRTY_FILE): the
 *	memory-file feature adds it to the file's watches while it does
 * @watching: @watch is on the file's list (set and cleared with the
 *	space's lock held exclusively, or when the view goes)
 *
 * One per axas_map_file() call: a view is never reused, so that a punch
 * that finds it in its file's list finds exactly the areas that call
 * made (those still there).
 */
struct axas_memfile_view {
	struct list_head file_node;
	struct list_head space_node;
	struct axas_space *space;
	struct axas_memfile *mf;
	u64 gpa;
	u64 size;
	pgoff_t pgoff;
	unsigned long areas;
	struct axas_memfile_watch watch;
	bool watching;
};

/**
 * struct axas_space_hooks - what the core tells the features
 * @node: in the core's list (axas_space_hooks_register())
 * @create: the space exists, not yet used (no lock held)
 * @reduce: the translations of [@gpa, @gpa + @size) now allow at most
 *	@prot (0: they are gone); the table changed, its frames are still
 *	allocated, and the flush that follows covers @gather (add to it what
 *	the flush must cover for you); lock held exclusively. Unmap, protect,
 *	discard and shutdown tell it. @gather is NULL when the flush covers
 *	the whole space.
 * @protect: axas_protect() is about to set the rights of [@gpa, @gpa +
 *	@size); lock held exclusively
 * @write: [@gpa, @gpa + @size) was written where the table does not see
 *	it (guest copies, write pins, the walker's A/D flags, a discard's
 *	zeros), after the write; lock held either way
 * @layout: the areas over [@gpa, @gpa + @size) changed (map, unmap,
 *	protect); lock held exclusively
 * @shutdown: the table is empty and flushed, every frame freed: give back
 *	what the feature holds; lock held exclusively
 * @destroy: the space goes away; no call is in flight or follows
 *
 * Any may be NULL. Hooks run in the order they were registered.
 */
struct axas_space_hooks {
	struct list_head node;
	void (*create)(struct axas_space *space);
	void (*reduce)(struct axas_space *space, u64 gpa, u64 size, u32 prot,
		       struct axas_pt_gather *gather);
	void (*protect)(struct axas_space *space, u64 gpa, u64 size);
	void (*write)(struct axas_space *space, u64 gpa, u64 size);
	void (*layout)(struct axas_space *space, u64 gpa, u64 size);
	void (*shutdown)(struct axas_space *space);
	void (*destroy)(struct axas_space *space);
};

/* At module init, before any space exists. */
void axas_space_hooks_register(struct axas_space_hooks *hooks);

/* ---- services of the core, for the features --------------------------- */

int axas_space_check_range(struct axas_space *space, u64 gpa, u64 size);
void axas_space_flush(struct axas_space *space, struct axas_pt_gather *g);
/* Writers (lock held exclusively) changed [gpa, end): populates replan. */
void axas_space_populates_stale(struct axas_space *space, u64 gpa, u64 end);
/*
 * Huge leaves back over [gpa, end) where the frames line up (lock held
 * exclusively; flushes): the leaves made.
 */
long axas_space_collapse(struct axas_space *space, u64 gpa, u64 end);
/* Charge what follows to the space's memory cgroup, not the caller's. */
struct mem_cgroup *axas_space_memcg_enter(struct axas_space *space);
void axas_space_memcg_leave(struct mem_cgroup *old);
/* [gpa, gpa + size) was written behind the table: the @write hooks. */
void axas_space_written(struct axas_space *space, u64 gpa, u64 size);
/* The rights the window keeps from the leaf at @gpa (lock held either way). */
static inline u32 axas_space_denied(const struct axas_space *space, u64 gpa)
{
	const struct axas_pt_window *win = space->win;

	return axas_pt_window_meets(win, gpa, 1) ? win->deny : 0;
}

/* The areas, in GPA order; lock held either way. */
struct axas_area *axas_area_from(struct axas_space *space, u64 gpa);
struct axas_area *axas_area_find(struct axas_space *space, u64 gpa);
struct axas_area *axas_area_next(struct axas_area *area);
/* Without the lock, under rcu_read_lock(): is there an area at @gpa? */
bool axas_area_exists_rcu(struct axas_space *space, u64 gpa);

/* The lock held exclusively, no charge held without it: the cap exact. */
void axas_space_lock_exact(struct axas_space *space);
/*
 * Unmap [gpa, gpa + size) and queue its frames on @frames, to be freed
 * after the flush of @gather. Lock held exclusively.
 */
int axas_space_unmap_frames(struct axas_space *space, u64 gpa, u64 size,
			    struct list_head *frames,
			    struct axas_pt_gather *gather);
/*
 * Install the lazy page at @gpa with no access asked for, the lock held
 * exclusively since axas_space_lock_exact(). 0 or -errno.
 */
int axas_space_fault_excl(struct axas_space *space, u64 gpa);
/*
 * Install the lazy page at @gpa as a fault would, whatever the rights
 * (the VMM's view), with the lock held shared; the lock may be dropped
 * and taken again meanwhile. 0 or the errors of axas_fault().
 */
int axas_space_fault_in(struct axas_space *space, u64 gpa);

/*
 * Memory files (view.c). Map a window of @mf: the view joins the file
 * first, then the area the space (all or nothing). Takes the file's
 * invalidate lock, then the space lock, one after the other.
 */
int axas_space_map_memfile(struct axas_space *space, u64 gpa, u64 size,
			   struct axas_memfile *mf, pgoff_t pgoff, u32 flags);
/*
 * A punch of pages [start, end) of the view's file: its leaves there go
 * (their pins invalidated, the space flushed, the pages reported written);
 * the areas stay. &axas_memfile.invalidate held exclusively. 0, or
 * -ENOMEM (a split failed; what went faults in again).
 */
int axas_space_memfile_unmap(struct axas_memfile_view *view, pgoff_t start,
			     pgoff_t end);
/*
 * Views whose last area went: out of their files (no space lock held;
 * space.c, which map.c and view.c call).
 */
void axas_space_views_free(struct list_head *dead);
/*
 * The areas of @view in GPA order: the first after @area (NULL: the
 * first), or NULL. The space's lock held either way.
 */
struct axas_area *axas_view_area(struct axas_memfile_view *view,
				 struct axas_area *area);
/*
 * The GPA range of file area @area over pages [@start, @end) of its file:
 * false when they do not meet.
 */
bool axas_area_file_range(const struct axas_area *area, pgoff_t start,
			  pgoff_t end, u64 *gpa, u64 *size);

/* ---- shared by the core's own files ------------------------------------ */

/* area.c */
#define AXAS_SPARE_AREAS	12
#define AREA_GFP	(GFP_KERNEL_ACCOUNT | __GFP_NOWARN | __GFP_RETRY_MAYFAIL)
#define AREA_GFP_UNMAP	(AREA_GFP | __GFP_HIGH)
struct axas_area *axas_area_alloc(gfp_t gfp);
void axas_area_insert(struct axas_space *space, struct axas_area *area);
/* Out of the tree, and freed after a grace period. */
void axas_area_remove(struct axas_space *space, struct axas_area *area);
int axas_spares_fill(struct list_head *spares, gfp_t gfp);
void axas_spares_free(struct list_head *spares);
void axas_area_carve(struct axas_space *space, u64 gpa, u64 end,
		     struct list_head *spares, bool remove, u32 prot);
unsigned long axas_pgsize_below(unsigned long pgsize);
bool axas_area_join(struct axas_space *space, u64 gpa, u64 end);

/* map.c */
int axas_space_add_area(struct axas_space *space, u64 gpa, u64 size,
			u32 flags, unsigned long pgsize, phys_addr_t hpa,
			const struct axas_backend *backend,
			struct axas_memfile_view *view);

/* space.c */
/*
 * axas_populate() in flight over [start, end): it allocates without the
 * space lock and must start over if a writer changed its range meanwhile.
 */
struct axas_populate_reg {
	struct list_head node;
	u64 start;
	u64 end;
	bool stale;
};

void axas_space_release_leaf(void *arg, const struct axas_pt_leaf *leaf);
/*
 * What a removal gives back: the leaves' frames, queued to be freed after
 * the flush; with @written, a discard, each leaf's pages are reported
 * written (the @write hooks).
 */
struct axas_space_release {
	struct axas_space *space;
	struct axas_area *area;
	struct list_head frames;
	bool written;
};

void axas_space_unlock_charged(struct axas_space *space);
void axas_space_relock_charged(struct axas_space *space);
void axas_space_lock_exact_from_shared(struct axas_space *space);
void axas_space_hook_reduce(struct axas_space *space, u64 gpa, u64 size,
			    u32 prot, struct axas_pt_gather *gather);
void axas_space_hook_protect(struct axas_space *space, u64 gpa, u64 size);
void axas_space_hook_layout(struct axas_space *space, u64 gpa, u64 size);

/* fault.c */
int axas_space_fault_relock(struct axas_space *space, u64 gpa,
			    unsigned int access);

#endif /* _AXAS_CORE_H */
