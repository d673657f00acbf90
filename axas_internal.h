/* SPDX-License-Identifier: GPL-2.0 */
/* Shared between the files of axas.ko, not part of its API. */
#ifndef _AXAS_INTERNAL_H
#define _AXAS_INTERNAL_H

#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/list_bl.h>

#include <axas/axas.h>

struct dentry;
struct mem_cgroup;
struct axas_space;
struct axas_area;
struct axas_fault_frame;
struct axas_snapshot;

extern struct dentry *axas_debugfs_root;

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

/**
 * struct axas_backend - what differs between linear and alloc areas
 * @name: "linear" or "alloc"
 * @populate: map the whole area at map time (linear, eager alloc), with
 *	dirty logging's window @win (NULL: none); NULL for nothing (lazy
 *	alloc). All or nothing.
 * @fault: install what a fault at @gpa needs (lazy alloc), in a leaf of at
 *	most @room bytes (the largest leaf the table can take at @gpa now);
 *	NULL when the backend never faults anything in. With the space lock
 *	held shared (@excl false) it answers -EAGAIN when the frame cap looks
 *	full: other faults may hold charges they will give back, and the
 *	caller asks again with the lock held exclusively (@excl true) once
 *	no charge is held unlocked (&axas_space.charges_unlocked), where the
 *	cap is exact (-EAGAIN there too while such a charge is held). A frame
 *	larger than 4 KiB is not allocated under the lock: the backend
 *	charges it, sets @ff->size and answers
 *	AXAS_FAULT_NEED_FRAME; the caller allocates it unlocked and asks
 *	again with @ff->page set. The caller frees what is left in @ff.
 * @release: a leaf of the area left the table: queue its frames on
 *	@frames, to be freed after the flush; NULL when nothing is owned
 */
struct axas_backend {
	const char *name;
	int (*populate)(struct axas_space *space, struct axas_area *area,
			const struct axas_pt_window *win);
	int (*fault)(struct axas_space *space, struct axas_area *area, u64 gpa,
		     unsigned long room, bool excl, struct axas_fault_frame *ff);
	void (*release)(struct axas_space *space, struct axas_area *area,
			const struct axas_pt_leaf *leaf, struct list_head *frames);
};

extern const struct axas_backend axas_backend_linear;
extern const struct axas_backend axas_backend_alloc;

/**
 * struct axas_area - a GPA range with one backend and one set of flags
 * @node: in &axas_space.areas, sorted by @start
 * @start: first GPA
 * @end: one past the last
 * @flags: AXAS_PROT_* and AXAS_AREA_* flags
 * @pgsize: leaf size (alloc: frame size); @start and @end are aligned to it
 * @hpa: linear: HPA of @start
 * @backend: its backend
 * @spare: in a list of preallocated areas, before it is used
 */
struct axas_area {
	struct rb_node node;
	struct list_head spare;
	u64 start;
	u64 end;
	u32 flags;
	unsigned long pgsize;
	phys_addr_t hpa;
	const struct axas_backend *backend;
};

struct axas_fault_stats {
	u64 installed;
	u64 spurious;
	u64 refused;
	u64 fallback;
	u64 dirty;
	/* leaves faults installed, by level (not in the table's stats) */
	long leaves[AXAS_PT_LEAF_LEVELS];
};

/**
 * struct axas_dirty_log - a GPA range being dirty-logged (dirty.c)
 * @start: first GPA
 * @end: one past the last
 * @wp: write-protection mode (else the leaves' dirty flags)
 * @snap: a snapshot's write tracking (snapshot.c), not the VMM's log
 * @bits: pages written where the table does not show it (axas_write(),
 *	write pins, discard, a protect that took the write right away), one
 *	bit per 4 KiB page from @start, set with set_bit() after the write
 */
struct axas_dirty_log {
	u64 start;
	u64 end;
	bool wp;
	bool snap;
	unsigned long bits[];
};

/*
 * Internal answers of a backend's fault, never returned by axas_fault():
 * allocate &axas_fault_frame without the space lock and ask again
 * (AXAS_FAULT_NEED_FRAME); the table changed under the fault, ask again
 * (AXAS_FAULT_AGAIN).
 */
#define AXAS_FAULT_NEED_FRAME	2
#define AXAS_FAULT_AGAIN	3

/**
 * struct axas_fault_frame - a frame one fault carries between attempts
 * @page: its first page (2^order order-0 pages), or NULL
 * @size: its size, or the size the backend asks for when @page is NULL
 * @charged: 4 KiB frames charged to the space's cap for it
 * @strict: no smaller frame may stand in for @size (AXAS_AREA_NO_FALLBACK)
 * @fell_back: @page is smaller than asked for: no block of that size was free
 * @deny: rights to leave out of the leaf (the write right of a page that
 *	write-protection dirty logging covers, on a fault that is no write)
 */
struct axas_fault_frame {
	struct page *page;
	unsigned long size;
	unsigned long charged;
	bool strict;
	bool fell_back;
	u32 deny;
};

/**
 * struct axas_space - an address space (see include/axas/axas.h)
 * @lock: shared by faults and guest copies, exclusive for map, unmap,
 *	protect and shutdown
 * @areas: the areas, sorted and non-overlapping
 * @nr_areas: how many
 * @pt: the nested page table
 * @base: first GPA
 * @end: one past the last
 * @flush: the VMM's flush callback
 * @cookie: for @flush
 * @max_frames: cap on @frames (4 KiB units), 0 for none
 * @frames: 4 KiB frames held by alloc areas
 * @charges_unlocked: operations holding a charge of @frames without the
 *	lock (a fault or a populate allocating its frames); at the cap, a
 *	fault or populate decides again only once there are none
 * @dead: shut down; every call fails with -ESHUTDOWN
 * @populates: axas_populate() calls in flight, which writers mark stale
 *	where they change the space
 * @populates_lock: protects @populates (taken with @lock held either way)
 * @memcg: the memory cgroup charged for what the space allocates
 * @node: NUMA node for frames (NUMA_NO_NODE: the task's policy)
 * @node_gfp: __GFP_THISNODE when @node is the only one allowed
 * @id: number in debugfs
 * @name: name in debugfs
 * @debugfs: its debugfs directory
 * @faults: per-CPU fault counts (installed, spurious, refused), so that
 *	parallel faults share no counter
 * @flushes: statistics
 * @pins: registered pins (pin.c). Added and removed with @lock held
 *	shared and the list's bit lock; walked with @lock held exclusively.
 *	Zeroed with the space: an empty list with its lock bit clear.
 * @log: dirty logging, or NULL (dirty.c); set and cleared with @lock held
 *	exclusively, read with it held either way
 * @scan_lock: serializes dirty-log harvests and aging (their flushes run
 *	with @lock held shared) and write pins' resolution against them;
 *	taken before @lock
 * @snap: the snapshot (snapshot.c), or NULL; set and cleared with @lock
 *	held exclusively
 * @snap_stale: a map, unmap or protect since the snapshot was taken
 * @snapshot_frames: 4 KiB frames @snap holds (counted in @frames too)
 */
struct axas_space {
	/*
	 * What every fault writes, each on its own cache line, away from
	 * what every fault only reads: the lock's count, the frame count
	 * (and the table's statistics, in @pt).
	 */
	struct rw_semaphore lock;
	struct rb_root areas ____cacheline_aligned_in_smp;
	unsigned long nr_areas;
	struct axas_pt pt;
	u64 base;
	u64 end;
	bool dead;
	axas_flush_fn flush;
	void *cookie;
	unsigned long max_frames;
	atomic_long_t frames ____cacheline_aligned_in_smp;
	atomic_t charges_unlocked;
	struct list_head populates ____cacheline_aligned_in_smp;
	spinlock_t populates_lock;	/* protects @populates */
	struct mem_cgroup *memcg;
	int node;
	gfp_t node_gfp;
	int id;
	char name[32];
	struct dentry *debugfs;
	struct axas_fault_stats __percpu *faults;
	atomic64_t flushes;
	struct hlist_bl_head pins;
	struct axas_dirty_log *log;
	struct mutex scan_lock;		/* see above */
	struct axas_snapshot *snap;
	bool snap_stale;
	atomic_long_t snapshot_frames;
};

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

int axas_pt_cache_fill(struct axas_pt *pt, struct axas_pt_cache *cache,
		       unsigned int nr);
void axas_pt_cache_release(struct axas_pt_cache *cache);
int axas_pt_map_leaf(struct axas_pt *pt, u64 gpa, u64 size, phys_addr_t pa,
		     u32 prot, bool encrypted, struct axas_pt_cache *tables,
		     bool counted);
int axas_pt_split_range(struct axas_pt *pt, u64 gpa, u64 size);

int axas_pt_map_window(struct axas_pt *pt, u64 gpa, u64 size,
		       const struct axas_pt_src *src, u32 prot,
		       unsigned long pgsizes, unsigned int flags,
		       const struct axas_pt_window *win);
int axas_pt_protect_window(struct axas_pt *pt, u64 gpa, u64 size, u32 prot,
			   struct axas_pt_gather *gather,
			   const struct axas_pt_window *win);

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
int axas_pt_init_node(struct axas_pt *pt, const struct axas_pt_cfg *cfg,
		      int node, gfp_t node_gfp);
#ifdef CONFIG_HAS_IOMEM
int axas_remap_flags(phys_addr_t base, u32 prot, unsigned long *flags);
#endif
int axas_frames_charge(struct axas_space *space, unsigned long nr);
void axas_frames_uncharge(struct axas_space *space, unsigned long nr);
void axas_frames_free(struct axas_space *space, struct list_head *frames);
void axas_frame_free(struct page *page, unsigned int order);
unsigned long axas_frames_get(struct axas_space *space, unsigned int order,
			      unsigned long nr, struct page **pages);
int axas_fault_frame_alloc(struct axas_space *space, struct axas_fault_frame *ff);
void axas_fault_frame_drop(struct axas_space *space, struct axas_fault_frame *ff);

void axas_space_debugfs_init(struct axas_space *space);

/* space.c, for dirty.c */
int axas_space_check_range(struct axas_space *space, u64 gpa, u64 size);
void axas_space_flush(struct axas_space *space, struct axas_pt_gather *g);
void axas_space_populates_stale(struct axas_space *space, u64 gpa, u64 end);
struct axas_area *axas_area_from(struct axas_space *space, u64 gpa);
struct axas_area *axas_area_next(struct axas_area *area);

/* space.c, for snapshot.c */
void axas_space_lock_exact(struct axas_space *space);
int axas_space_unmap_frames(struct axas_space *space, u64 gpa, u64 size,
			    struct list_head *frames,
			    struct axas_pt_gather *gather);
int axas_space_fault_excl(struct axas_space *space, u64 gpa);

/* dirty.c, for snapshot.c */
struct axas_dirty_log *axas_dirty_log_alloc(struct axas_space *space, u64 gpa,
					    u64 size, unsigned int flags);
enum axas_scan_bit axas_dirty_log_bit(const struct axas_dirty_log *log);
unsigned long axas_dirty_take_bits(struct axas_dirty_log *log, u64 gpa,
				   u64 size, unsigned long *bitmap);
void axas_dirty_log_end(struct axas_space *space);

/* snapshot.c, for space.c: shutdown frees the snapshot. */
void axas_snapshot_free(struct axas_space *space);

/* dirty.c, for space.c and pin.c */
void axas_dirty_mark(struct axas_space *space, u64 gpa, u64 size);
void axas_dirty_protect(struct axas_space *space, u64 gpa, u64 size);
const struct axas_pt_window *axas_dirty_window(const struct axas_space *space,
					       struct axas_pt_window *win);
bool axas_dirty_logged(const struct axas_space *space, u64 gpa, u64 size);
bool axas_dirty_wp(const struct axas_space *space, u64 gpa, u64 size);
void axas_dirty_log_free(struct axas_space *space);

/*
 * The translations of [@gpa, @gpa + @size) now allow at most @prot (0:
 * they are gone): invalidate the pins that needed more. Call it after the
 * table changed and before anything of the range is freed, with the space
 * lock held exclusively. Unmap, protect, shutdown (and discard) share it.
 * The page of each pin invalidated joins @gather: the flush that follows
 * covers it, so that a callback that only posts a request to the vCPUs
 * may leave the kick to the flush (NULL: the caller flushes the range).
 */
void axas_pins_invalidate(struct axas_space *space, u64 gpa, u64 size,
			  u32 prot, struct axas_pt_gather *gather);
/* Write-protection for dirty logging: the pins that need write. */
void axas_pins_invalidate_write(struct axas_space *space, u64 gpa, u64 size,
				struct axas_pt_gather *gather);
/*
 * Valid pins of the range that need write: how many; with @bitmap, their
 * pages are set in it (bit 0: @gpa). Space lock held either way.
 */
unsigned int axas_pins_writers(struct axas_space *space, u64 gpa, u64 size,
			       unsigned long *bitmap);
/* Destroy: unregister pins the VMM left behind (a bug it is warned of). */
void axas_pins_forget(struct axas_space *space);

/*
 * The guest page walker's access to guest memory (space.c): between begin
 * and end the space lock is held shared; map a guest table entry at @gpa
 * (faulting a lazy page in with @fault), use it, unmap it before the next.
 * -ENOENT: no area at @gpa; -EFAULT: not installed (without @fault), or
 * memory that cannot be mapped write-back; the errors of axas_fault().
 * @prot is the guest's rights there (the area's: a leaf may lack the
 * write right only for write-protection dirty logging); @ram says the
 * page is RAM (has a struct page, or System RAM), not device memory.
 */
struct axas_guest_map {
	void *va;
	void *remap;
	u32 prot;
	bool ram;
};

struct mem_cgroup *axas_space_guest_begin(struct axas_space *space);
void axas_space_guest_end(struct axas_space *space, struct mem_cgroup *old);
int axas_space_guest_map(struct axas_space *space, u64 gpa, bool fault,
			 struct axas_guest_map *m);
void axas_space_guest_unmap(struct axas_guest_map *m);

/* Leaves the debugfs table file prints per record. */
#define AXAS_TABLE_BATCH	32

/**
 * struct axas_table_iter - a reader's place in the debugfs table file
 * @space: the space
 * @n: leaves in @leaves
 * @leaves: the current record's leaves
 */
struct axas_table_iter {
	struct axas_space *space;
	unsigned int n;
	struct axas_pt_leaf leaves[AXAS_TABLE_BATCH];
};

#if IS_ENABLED(CONFIG_KUNIT)
struct seq_file;
/* Visible to the KUnit suites: they replace it to inject failures... */
unsigned long axas_frames_alloc(unsigned int order, unsigned long nr,
				struct page **pages, int node, gfp_t node_gfp);
/* ...and check which ranges 1 GiB frames may come from... */
bool axas_frame_range_usable(unsigned long pfn, unsigned long nr);
/* ...and see pins left registered at destroy... */
void axas_pins_leaked(struct axas_space *space, unsigned int n);
/* ...and change a guest table entry under a walk setting A/D flags... */
void axas_walk_before_ad(u64 gpa, void *entry);
/* ...and read what the debugfs files show. */
int axas_stats_show(struct seq_file *m, void *unused);
int axas_areas_show(struct seq_file *m, void *unused);
extern const struct seq_operations axas_table_seq_ops;
#endif

#endif /* _AXAS_INTERNAL_H */
