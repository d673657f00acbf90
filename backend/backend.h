/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest frames, the layer between the table engine (npt/) and the space
 * core (core/): where every frame of an alloc area comes from (zeroed,
 * from the space's NUMA node, charged to its memory cgroup through the
 * caller's active memcg), how frames are counted against the space's cap,
 * how they go back after the flush; the frames of memory files, which no
 * space owns; and the three backends, linear, alloc and file, that turn
 * an area into leaves, behind one ops table.
 *
 * Nothing here knows of spaces, their lock or their features: the core
 * passes the table, the frame account and the area it works on, and keeps
 * its own counts and its locking protocol (see core/core.h).
 */
#ifndef _AXAS_BACKEND_H
#define _AXAS_BACKEND_H

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/xarray.h>

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
 * @write: the access writes
 * @mf: file areas: the file whose page @index the caller must fill
 *	(axas_memfile_fill(), without its space lock) before it asks again
 * @index: see @mf
 */
struct axas_fault_frame {
	struct page *page;
	unsigned long size;
	unsigned long charged;
	bool strict;
	bool fell_back;
	bool write;
	u32 deny;
	struct axas_memfile *mf;
	pgoff_t index;
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
struct axas_memfile;
struct axas_memfile_view;

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
 * @mf: file: the memory file it is a window of
 * @pgoff: file: the page of @mf that @start maps
 * @view: file: the core's record of the map that made it (core/core.h);
 *	cuts share it
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
	struct axas_memfile *mf;
	pgoff_t pgoff;
	struct axas_memfile_view *view;
};

/* The page of its memory file that a file area maps at @gpa. */
static inline pgoff_t axas_area_pgoff(const struct axas_area *area, u64 gpa)
{
	return area->pgoff + ((gpa - area->start) >> PAGE_SHIFT);
}

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
extern const struct axas_backend axas_backend_file;

bool axas_linear_host_ram(phys_addr_t hpa, u64 size);

/* ---- memory files (memfile.c) ------------------------------------------ */

/* Who wrote a page of a memory file (see &struct axas_memfile_watch). */
#define AXAS_MF_WRITE_USER	BIT(0)	/* userspace: mmap, write(), a punch */
#define AXAS_MF_WRITE_VIEW	BIT(1)	/* through a space: its table, its copies */

/**
 * struct axas_memfile_watch - one record of the pages written in a file
 * @node: in &axas_memfile.watches (RCU)
 * @what: the AXAS_MF_WRITE_* writes it records
 * @start: the first page of the file it covers
 * @nr: pages it covers
 * @bits: one bit per page from @start, set with set_bit() after the write
 *
 * The file's own log (&axas_memfile.log: every write) and the user-write
 * record of a view whose space logs with AXAS_DIRTY_FILE. A watch that
 * records userspace writes needs the user mappings of a page it clears
 * write-protected (zapped) before the next write: see features/memfile.c.
 */
struct axas_memfile_watch {
	struct list_head node;
	unsigned int what;
	pgoff_t start;
	pgoff_t nr;
	unsigned long *bits;
};

/**
 * struct axas_memfile - a memory file: guest memory that no space owns
 * @ref: the file (the VFS side holds one until its release) and each view
 * @pages: its frames, one order-0 page per index (frames of 2 MiB are
 *	split_page()d blocks); %AXAS_MF_BLOCK marks the first index of a
 *	2 MiB block whose 512 pages are still the one aligned frame
 * @nr_pages: its size in pages (fixed)
 * @pgsize: the frames it allocates: 4 KiB, or 2 MiB where a whole aligned
 *	block is empty and the allocator has one
 * @frames: the cap and the count of its frames, and its NUMA node
 * @memcg: the memory cgroup its frames are charged to
 * @invalidate: held shared to add frames, exclusively to take frames
 *	away (a punch) and to change @views
 * @alloc_lock: serializes the allocation of frames (exact charges)
 * @seq: odd while frames are being taken away; faults that found an
 *	even value under their space lock may install what @pages holds
 * @views: the spaces' views of it (core/core.h)
 * @watches: records of the pages written (RCU; changed under @watch_lock)
 * @watch_lock: protects changes of @watches
 * @view_watches: watches that record writes through views (faults then
 *	install its pages without the write right, 4 KiB at a time, until
 *	a write)
 * @log: the file's own log (features/memfile_log.c), or NULL; under
 *	@log_lock
 * @log_lock: serializes the file log's start, stop and harvests
 * @inode: the file's inode (features/memfile.c), put with the last @ref
 * @fallbacks: 2 MiB blocks that got 4 KiB frames: no free block
 * @user_faults: pages userspace mappings faulted in
 */
struct axas_memfile {
	struct kref ref;
	struct xarray pages;
	pgoff_t nr_pages;
	unsigned long pgsize;
	struct axas_frames frames;
	struct mem_cgroup *memcg;
	struct rw_semaphore invalidate;
	struct mutex alloc_lock;	/* see above */
	unsigned long seq;
	struct list_head views;
	struct list_head watches;
	spinlock_t watch_lock;		/* see above */
	atomic_t view_watches;
	struct axas_memfile_watch *log;
	struct mutex log_lock;		/* see above */
	struct inode *inode;
	atomic_long_t fallbacks;
	atomic_long_t user_faults;
};

/*
 * A file area whose file records the writes through its views (its log
 * runs): its leaves get the write right only from a write fault.
 */
static inline bool axas_area_write_faults(const struct axas_area *area)
{
	return area->mf && atomic_read(&area->mf->view_watches);
}

#define AXAS_MF_BLOCK		XA_MARK_0
#define AXAS_MF_BLOCK_PAGES	(SZ_2M >> PAGE_SHIFT)

struct axas_memfile *axas_memfile_new(pgoff_t nr_pages, unsigned long pgsize,
				      unsigned long max_frames, int node,
				      gfp_t node_gfp, struct mem_cgroup *memcg);
void axas_memfile_get(struct axas_memfile *mf);
void axas_memfile_put(struct axas_memfile *mf);
int axas_memfile_fill(struct axas_memfile *mf, pgoff_t index);
int axas_memfile_fill_locked(struct axas_memfile *mf, pgoff_t index);
struct page *axas_memfile_get_page(struct axas_memfile *mf, pgoff_t index,
				   bool alloc, int *err);
struct page *axas_memfile_tryget(struct axas_memfile *mf, pgoff_t index);
void axas_memfile_inval_begin(struct axas_memfile *mf);
void axas_memfile_inval_end(struct axas_memfile *mf);
struct page *axas_memfile_erase(struct axas_memfile *mf, pgoff_t index);
void axas_memfile_mark(struct axas_memfile *mf, pgoff_t index,
		       unsigned long nr, unsigned int who);
void axas_memfile_watch_add(struct axas_memfile *mf,
			    struct axas_memfile_watch *w);
void axas_memfile_watch_del(struct axas_memfile *mf,
			    struct axas_memfile_watch *w);
unsigned long axas_memfile_watch_take(struct axas_memfile_watch *w,
				      pgoff_t start, pgoff_t end,
				      unsigned long *out, pgoff_t out_base);

/* The stable frame of @index while the caller keeps frames from going. */
static inline struct page *axas_memfile_lookup(struct axas_memfile *mf,
					       pgoff_t index)
{
	return xa_load(&mf->pages, index);
}

#if IS_ENABLED(CONFIG_KUNIT)
/* Visible to the KUnit suites: they replace it to inject failures... */
unsigned long axas_frames_alloc(unsigned int order, unsigned long nr,
				struct page **pages, int node, gfp_t node_gfp);
/* ...and check which ranges 1 GiB frames may come from. */
bool axas_frame_range_usable(unsigned long pfn, unsigned long nr);
#endif

#endif /* _AXAS_BACKEND_H */
