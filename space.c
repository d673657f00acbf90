// SPDX-License-Identifier: GPL-2.0
/*
 * Address spaces: areas, locking, fault dispatch, unmap/protect with
 * splits, translate and guest copies. See include/axas/axas.h.
 *
 * Locking: @space->lock is taken for reading by faults and guest copies,
 * which run in parallel (the table takes concurrent installs through
 * cmpxchg), and for writing by map, unmap, protect and shutdown. A fault
 * that finds the frame cap full while other faults may hold charges they
 * are about to give back decides again under the exclusive side.
 * axas_translate() takes no lock: the table is walked under RCU.
 *
 * Memory: everything a space allocates (frames, table pages, area
 * structs) is charged to the memory cgroup the space recorded at create
 * time, whichever task triggers the allocation (a vCPU kthread, a VMM
 * thread).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/debugfs.h>
#include <linux/highmem.h>
#include <linux/idr.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "compat_internal.h"

#include "axas_internal.h"
#include "npt/ept.h"
#include "npt/npt.h"

#define CREATE_TRACE_POINTS
#include "axas_trace.h"

static DEFINE_IDA(axas_space_ida);

/* Area splits one unmap/protect may need at its two ends (see area_fix). */
#define AXAS_SPARE_AREAS	12

static struct axas_area *area_of(struct rb_node *node)
{
	return node ? rb_entry(node, struct axas_area, node) : NULL;
}

/* The first area that ends after @gpa, or NULL. */
static struct axas_area *area_from(struct axas_space *space, u64 gpa)
{
	struct rb_node *node = space->areas.rb_node;
	struct axas_area *best = NULL;

	lockdep_assert_held(&space->lock);
	while (node) {
		struct axas_area *area = area_of(node);

		if (area->end > gpa) {
			best = area;
			node = node->rb_left;
		} else {
			node = node->rb_right;
		}
	}
	return best;
}

static struct axas_area *area_find(struct axas_space *space, u64 gpa)
{
	struct axas_area *area = area_from(space, gpa);

	return area && area->start <= gpa ? area : NULL;
}

static struct axas_area *area_next(struct axas_area *area)
{
	return area_of(rb_next(&area->node));
}

struct axas_area *axas_area_from(struct axas_space *space, u64 gpa)
{
	return area_from(space, gpa);
}

struct axas_area *axas_area_next(struct axas_area *area)
{
	return area_next(area);
}

static void area_insert(struct axas_space *space, struct axas_area *new)
{
	struct rb_node **link = &space->areas.rb_node, *parent = NULL;

	lockdep_assert_held_write(&space->lock);
	while (*link) {
		parent = *link;
		if (new->start < area_of(parent)->start)
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&new->node, parent, link);
	rb_insert_color(&new->node, &space->areas);
	space->nr_areas++;
}

static void area_erase(struct axas_space *space, struct axas_area *area)
{
	lockdep_assert_held_write(&space->lock);
	rb_erase(&area->node, &space->areas);
	space->nr_areas--;
}

/*
 * Area structs are charged to the space's memory cgroup; at its limit a
 * map or protect fails with -ENOMEM rather than wake the OOM killer. An
 * unmap frees memory and must not fail there: its spares may go over the
 * limit (AREA_GFP_UNMAP; see PT_GFP_UNMAP in the engine).
 */
#define AREA_GFP	(GFP_KERNEL_ACCOUNT | __GFP_NOWARN | __GFP_RETRY_MAYFAIL)
#define AREA_GFP_UNMAP	(AREA_GFP | __GFP_HIGH)

static struct axas_area *area_alloc(gfp_t gfp)
{
	return kzalloc(sizeof(struct axas_area), gfp);
}

static int spares_fill(struct list_head *spares, gfp_t gfp)
{
	unsigned int i;

	for (i = 0; i < AXAS_SPARE_AREAS; i++) {
		struct axas_area *area = area_alloc(gfp);

		if (!area)
			return -ENOMEM;
		list_add(&area->spare, spares);
	}
	return 0;
}

static void spares_free(struct list_head *spares)
{
	struct axas_area *area, *tmp;

	list_for_each_entry_safe(area, tmp, spares, spare) {
		list_del(&area->spare);
		kfree(area);
	}
}

static struct axas_area *spare_take(struct list_head *spares)
{
	struct axas_area *area = list_first_entry(spares, struct axas_area, spare);

	list_del(&area->spare);
	return area;
}

/* Split @area at @at; @area keeps [start, at), the returned area the rest. */
static struct axas_area *area_cut(struct axas_space *space,
				  struct axas_area *area, u64 at,
				  struct list_head *spares)
{
	struct axas_area *right = spare_take(spares);

	right->start = area->start;
	right->end = area->end;
	right->flags = area->flags;
	right->pgsize = area->pgsize;
	right->hpa = area->hpa;
	right->backend = area->backend;
	right->start = at;
	if (area->backend == &axas_backend_linear)
		right->hpa = area->hpa + (at - area->start);
	area->end = at;
	area_insert(space, right);
	return right;
}

static unsigned long pgsize_below(unsigned long pgsize)
{
	return pgsize == SZ_1G ? SZ_2M : SZ_4K;
}

/*
 * An alloc area's ends must be aligned to its page size. Where a cut left
 * them unaligned, the unaligned head/tail become areas of the next smaller
 * size - which is what the table holds there after the engine split the
 * leaf the cut went through.
 */
static void area_fix(struct axas_space *space, struct axas_area *area,
		     struct list_head *spares)
{
	while (area->pgsize > SZ_4K &&
	       (!IS_ALIGNED(area->start, area->pgsize) ||
		!IS_ALIGNED(area->end, area->pgsize))) {
		u64 lo = ALIGN(area->start, area->pgsize);
		u64 hi = ALIGN_DOWN(area->end, area->pgsize);
		unsigned long below = pgsize_below(area->pgsize);
		struct axas_area *part;

		if (lo >= hi) {
			area->pgsize = below;
			continue;
		}
		if (hi < area->end) {
			part = area_cut(space, area, hi, spares);
			part->pgsize = below;
			area_fix(space, part, spares);
		}
		if (lo > area->start) {
			part = area_cut(space, area, lo, spares);
			area->pgsize = below;
			area_fix(space, area, spares);
			area = part;
		}
	}
}

/* Make @at an area boundary (if an area spans it). */
static void area_boundary(struct axas_space *space, u64 at,
			  struct list_head *spares)
{
	struct axas_area *area = area_find(space, at), *right;

	if (!area || area->start == at)
		return;
	right = area_cut(space, area, at, spares);
	area_fix(space, area, spares);
	area_fix(space, right, spares);
}

/* Charge what follows to the space's memory cgroup, not the caller's. */
static struct mem_cgroup *space_memcg_enter(struct axas_space *space)
{
	return set_active_memcg(space->memcg);
}

static void space_memcg_leave(struct mem_cgroup *old)
{
	set_active_memcg(old);
}

int axas_space_check_range(struct axas_space *space, u64 gpa, u64 size)
{
	if (!size || !PAGE_ALIGNED(gpa) || !PAGE_ALIGNED(size))
		return -EINVAL;
	if (gpa < space->base || gpa >= space->end || size > space->end - gpa)
		return -ERANGE;
	return 0;
}

int axas_frames_charge(struct axas_space *space, unsigned long nr)
{
	long now = atomic_long_add_return(nr, &space->frames);

	if (space->max_frames && now > space->max_frames) {
		atomic_long_sub(nr, &space->frames);
		return -ENOMEM;
	}
	return 0;
}

void axas_frames_uncharge(struct axas_space *space, unsigned long nr)
{
	atomic_long_sub(nr, &space->frames);
}

void axas_space_flush(struct axas_space *space, struct axas_pt_gather *g)
{
	if (!axas_pt_gather_need_flush(g))
		return;
	trace_axas_flush(space->id, g->start, g->end - g->start, 0, 0);
	space->flush(space->cookie, g->start, g->end - g->start);
	atomic64_inc(&space->flushes);
}

struct space_release {
	struct axas_space *space;
	struct axas_area *area;
	struct list_head frames;
	bool discard;
};

/* Leaves arrive in GPA order: remember the last area. */
static void space_release_leaf(void *arg, const struct axas_pt_leaf *leaf)
{
	struct space_release *r = arg;

	if (!r->area || leaf->gpa < r->area->start || leaf->gpa >= r->area->end)
		r->area = area_find(r->space, leaf->gpa);
	if (WARN_ON_ONCE(!r->area))
		return;
	/* Its content changes (zeros at the next touch): a write for the log. */
	if (r->discard)
		axas_dirty_mark(r->space, leaf->gpa, leaf->size);
	if (r->area->backend->release)
		r->area->backend->release(r->space, r->area, leaf, &r->frames);
}

/*
 * axas_populate() in flight over [start, end): it allocates without the
 * space lock and must start over if a writer changed its range meanwhile.
 */
struct populate_reg {
	struct list_head node;
	u64 start;
	u64 end;
	bool stale;
};

/* A writer (lock held exclusively) changed [gpa, end). */
void axas_space_populates_stale(struct axas_space *space, u64 gpa, u64 end)
{
	struct populate_reg *reg;

	lockdep_assert_held_write(&space->lock);
	spin_lock(&space->populates_lock);
	list_for_each_entry(reg, &space->populates, node)
		if (reg->start < end && gpa < reg->end)
			reg->stale = true;
	spin_unlock(&space->populates_lock);
}

/*
 * Drop the shared lock while holding a charge of frames (to allocate
 * them), and take it again: at the frame cap, a fault or a populate
 * decides only once no charge is held so (space_wait_charges()).
 */
static void space_unlock_charged(struct axas_space *space)
{
	atomic_inc(&space->charges_unlocked);
	up_read(&space->lock);
}

static void space_relock_charged(struct axas_space *space)
{
	down_read(&space->lock);
	/* Under the lock: its charge is settled before a writer gets in. */
	if (atomic_dec_and_test(&space->charges_unlocked))
		wake_up_var(&space->charges_unlocked);
}

/*
 * From the lock held shared to the lock held exclusively, once no charge
 * is held without the lock: then every charge of the space is a frame or
 * about to be, and the frame cap is exact.
 */
static void space_lock_exact(struct axas_space *space)
{
	up_read(&space->lock);
	wait_var_event(&space->charges_unlocked,
		       !atomic_read(&space->charges_unlocked));
	down_write(&space->lock);
}

/* For snapshot.c: the lock held exclusively, no charge held without it. */
void axas_space_lock_exact(struct axas_space *space)
{
	down_read(&space->lock);
	space_lock_exact(space);
}

/*
 * For snapshot.c: unmap [gpa, gpa + size) and queue its frames on
 * @frames, to be freed after the flush of @gather. Lock held exclusively.
 */
int axas_space_unmap_frames(struct axas_space *space, u64 gpa, u64 size,
			    struct list_head *frames,
			    struct axas_pt_gather *gather)
{
	struct space_release r = { .space = space };
	int ret;

	lockdep_assert_held_write(&space->lock);
	INIT_LIST_HEAD(&r.frames);
	ret = axas_pt_unmap(&space->pt, gpa, size, space_release_leaf, &r,
			    gather);
	list_splice(&r.frames, frames);
	return ret;
}

/**
 * axas_space_create() - create an address space
 * @cfg: range, table format, flush callback, frame cap, memory cgroup
 *
 * The space records the memory cgroup to charge (@cfg->memcg, or the
 * caller's) and charges it for everything it allocates later, whoever
 * calls.
 *
 * Context: process context; may sleep.
 * Return: the space; ERR_PTR(-EINVAL) for a missing @cfg->flush, an
 * unaligned or empty range, unknown @cfg->flags, or a node that has no
 * memory (or %AXAS_SPACE_NODE_STRICT without %AXAS_SPACE_NODE);
 * ERR_PTR(-ERANGE) for a range beyond the
 * table's reach, the errors of axas_pt_init() (-EINVAL, -EOPNOTSUPP), or
 * ERR_PTR(-ENOMEM).
 */
struct axas_space *axas_space_create(const struct axas_space_cfg *cfg)
{
	struct axas_space *space;
	struct mem_cgroup *old;
	int ret;

	if (!cfg->flush || !cfg->size || !PAGE_ALIGNED(cfg->base) ||
	    !PAGE_ALIGNED(cfg->size) ||
	    (cfg->flags & ~(AXAS_SPACE_NODE | AXAS_SPACE_NODE_STRICT)) ||
	    (cfg->flags & (AXAS_SPACE_NODE | AXAS_SPACE_NODE_STRICT)) ==
	    AXAS_SPACE_NODE_STRICT)
		return ERR_PTR(-EINVAL);
	if ((cfg->flags & AXAS_SPACE_NODE) &&
	    (cfg->node < 0 || cfg->node >= MAX_NUMNODES ||
	     !node_state(cfg->node, N_MEMORY)))
		return ERR_PTR(-EINVAL);
	if (cfg->base + cfg->size < cfg->base)
		return ERR_PTR(-ERANGE);

	space = kzalloc(sizeof(*space), GFP_KERNEL_ACCOUNT);
	if (!space)
		return ERR_PTR(-ENOMEM);
#ifdef CONFIG_MEMCG
	if (cfg->memcg) {
		css_get(&cfg->memcg->css);
		space->memcg = cfg->memcg;
	} else {
		/* A kthread gets its active memcg, or the root. */
		space->memcg = get_mem_cgroup_from_mm(current->mm);
	}
#endif
	old = space_memcg_enter(space);
	space->faults = alloc_percpu_gfp(struct axas_fault_stats,
					 GFP_KERNEL_ACCOUNT);
	if (!space->faults) {
		ret = -ENOMEM;
		goto out_free;
	}
	space->node = NUMA_NO_NODE;
	if (cfg->flags & AXAS_SPACE_NODE) {
		space->node = cfg->node;
		if (cfg->flags & AXAS_SPACE_NODE_STRICT)
			space->node_gfp = __GFP_THISNODE;
	}
	ret = axas_pt_init_node(&space->pt, &cfg->pt, space->node,
				space->node_gfp);
	if (ret)
		goto out_free;
	if (cfg->base + cfg->size > space->pt.gpa_limit) {
		ret = -ERANGE;
		goto out_destroy;
	}
	ret = ida_alloc(&axas_space_ida, GFP_KERNEL);
	if (ret < 0)
		goto out_destroy;
	space->id = ret;
	init_rwsem(&space->lock);
	mutex_init(&space->scan_lock);
	INIT_LIST_HEAD(&space->populates);
	spin_lock_init(&space->populates_lock);
	space->areas = RB_ROOT;
	space->base = cfg->base;
	space->end = cfg->base + cfg->size;
	space->flush = cfg->flush;
	space->cookie = cfg->cookie;
	space->max_frames = cfg->max_frames;
	strscpy(space->name, cfg->name ?: "space", sizeof(space->name));
	axas_space_debugfs_init(space);
	space_memcg_leave(old);
	return space;

out_destroy:
	axas_pt_destroy(&space->pt, NULL, NULL);
out_free:
	space_memcg_leave(old);
	free_percpu(space->faults);
	mem_cgroup_put(space->memcg);
	kfree(space);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(axas_space_create, AXAS_NS);

/**
 * axas_space_shutdown() - unmap everything and refuse further use
 * @space: the space
 *
 * Waits for faults and guest copies in flight (they hold the lock shared),
 * then, in this order: unlinks every translation from the table,
 * invalidates every valid pin (see "Pinned translations"; pins stay
 * registered until released), flushes the whole range through the
 * callback, and frees every frame and table page but the root. The root
 * table stays allocated, and empty, until
 * axas_space_destroy(): a vCPU that is still in guest mode until the
 * flush, or that enters again with the same EPTP/nCR3, finds no
 * translation and exits with an EPT violation / nested page fault, which
 * axas_fault() answers with -ESHUTDOWN. Afterwards every call on @space
 * that answers with an errno fails with -ESHUTDOWN (axas_space_root() still
 * gives the empty root, axas_space_get_stats() the counters, and
 * axas_pin_release() releases); only axas_space_destroy() remains. A
 * VMM calls this to stop a guest while vCPU threads may still report
 * faults. A second call does nothing.
 *
 * Context: process context; may sleep; takes the space lock exclusively;
 * calls the pin callbacks, then the flush callback once.
 * Return: nothing.
 */
void axas_space_shutdown(struct axas_space *space)
{
	struct space_release r = { .space = space };
	struct axas_pt_gather gather;
	struct rb_node *node;
	int ret;

	INIT_LIST_HEAD(&r.frames);
	axas_pt_gather_init(&gather);
	down_write(&space->lock);
	if (space->dead) {
		up_write(&space->lock);
		return;
	}
	WRITE_ONCE(space->dead, true);
	axas_space_populates_stale(space, 0, U64_MAX);
	/*
	 * The table's whole reach: no leaf straddles its ends, so nothing is
	 * split and nothing allocated; this cannot fail.
	 */
	ret = axas_pt_unmap(&space->pt, 0, space->pt.gpa_limit,
			    space_release_leaf, &r, &gather);
	WARN_ON_ONCE(ret);
	/* The flush below covers the whole space. */
	axas_pins_invalidate(space, space->base, space->end - space->base, 0,
			     NULL);
	trace_axas_flush(space->id, space->base, space->end - space->base, 0, 0);
	space->flush(space->cookie, space->base, space->end - space->base);
	atomic64_inc(&space->flushes);
	axas_frames_free(space, &r.frames);
	axas_pt_gather_release(&gather);
	axas_snapshot_free(space);
	while ((node = rb_first(&space->areas))) {
		struct axas_area *area = area_of(node);

		area_erase(space, area);
		kfree(area);
	}
	up_write(&space->lock);
}
EXPORT_SYMBOL_NS_GPL(axas_space_shutdown, AXAS_NS);

/**
 * axas_space_destroy() - free an address space
 * @space: the space, or NULL
 *
 * Shuts the space down if that was not done (see axas_space_shutdown())
 * and frees it, the root table included. No call on @space may be in
 * flight or follow, and no vCPU may use its EPTP/nCR3 any more: a VMM
 * whose vCPU threads may still call in or enter the guest shuts down
 * first, stops the threads, then destroys. Pins still registered are
 * unregistered with a warning: the VMM releases its pins first.
 *
 * Context: process context; may sleep.
 * Return: nothing.
 */
void axas_space_destroy(struct axas_space *space)
{
	if (!space)
		return;
	axas_space_shutdown(space);
	axas_pins_forget(space);
	axas_dirty_log_free(space);
	debugfs_remove_recursive(space->debugfs);
	/* Empty since shutdown: this frees the root. */
	axas_pt_destroy(&space->pt, NULL, NULL);
	ida_free(&axas_space_ida, space->id);
	free_percpu(space->faults);
	mem_cgroup_put(space->memcg);
	kfree(space);
}
EXPORT_SYMBOL_NS_GPL(axas_space_destroy, AXAS_NS);

/**
 * axas_space_root() - EPTP or nCR3 to load for this space
 * @space: the space
 *
 * Context: any.
 * Return: the root descriptor (see axas_pt_root()).
 */
u64 axas_space_root(struct axas_space *space)
{
	return axas_pt_root(&space->pt);
}
EXPORT_SYMBOL_NS_GPL(axas_space_root, AXAS_NS);

/* Insert a new area after its backend mapped it; all or nothing. */
static int space_add_area(struct axas_space *space, u64 gpa, u64 size,
			  u32 flags, unsigned long pgsize, phys_addr_t hpa,
			  const struct axas_backend *backend)
{
	struct mem_cgroup *old = space_memcg_enter(space);
	struct axas_area *area = area_alloc(AREA_GFP), *next;
	struct axas_pt_window win;
	int ret = 0;

	if (!area) {
		space_memcg_leave(old);
		return -ENOMEM;
	}
	area->start = gpa;
	area->end = gpa + size;
	area->flags = flags;
	area->pgsize = pgsize;
	area->hpa = hpa;
	area->backend = backend;
	down_write(&space->lock);
	if (space->dead) {
		ret = -ESHUTDOWN;
		goto out;
	}
	next = area_from(space, area->start);
	if (next && next->start < area->end) {
		ret = -EEXIST;
		goto out;
	}
	if (area->backend->populate)
		ret = area->backend->populate(space, area,
					      axas_dirty_window(space, &win));
	if (!ret) {
		area_insert(space, area);
		axas_space_populates_stale(space, area->start, area->end);
		/* A snapshot does not hold the new area: refuse its restore. */
		space->snap_stale = true;
	}
out:
	up_write(&space->lock);
	space_memcg_leave(old);
	trace_axas_map(space->id, area->start, area->end - area->start,
		       area->flags, ret);
	if (ret)
		kfree(area);
	return ret;
}

/**
 * axas_map_linear() - map a host-physical range at a fixed offset
 * @space: the space
 * @gpa: first GPA, 4 KiB aligned
 * @hpa: HPA of @gpa, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 * @flags: AXAS_PROT_* rights and memory type, plus %AXAS_AREA_HOST_RAM to
 *	allow RAM the kernel's page allocator owns
 *
 * For reserved memory (``memmap=``, ``reserve_mem=``: pages the allocator
 * never got) and device ranges. Uses the largest leaves (4K/2M/1G) that the
 * alignment of GPA and HPA allows. Never allocates frames, not even on a
 * fault.
 *
 * Context: process context; may sleep; takes the space lock exclusively.
 * Return: 0; -EINVAL for an unaligned or zero range or unknown/bad flags;
 * -ERANGE for a range outside the space or an HPA beyond the host's
 * width; -EOPNOTSUPP for rights the format cannot express; -EPERM when the
 * range holds allocator-owned RAM and %AXAS_AREA_HOST_RAM is not given;
 * -EEXIST when it overlaps an area; -ESHUTDOWN after shutdown; -ENOMEM.
 */
int axas_map_linear(struct axas_space *space, u64 gpa, phys_addr_t hpa,
		    u64 size, u32 flags)
{
	int ret;

	ret = axas_space_check_range(space, gpa, size);
	if (ret)
		return ret;
	if ((flags & ~(AXAS_PROT_ALL | AXAS_AREA_HOST_RAM)) ||
	    !PAGE_ALIGNED(hpa))
		return -EINVAL;
	ret = axas_pt_check_prot(&space->pt, flags & AXAS_PROT_ALL);
	if (ret)
		return ret;
	if (hpa >= space->pt.pa_limit || size > space->pt.pa_limit - hpa)
		return -ERANGE;
	if (!(flags & AXAS_AREA_HOST_RAM)) {
		unsigned long pfn, end = PHYS_PFN(hpa + size);

		/*
		 * RAM the allocator owns has online struct pages not reserved;
		 * offline memory (hot-added) may become such RAM any time.
		 */
		for (pfn = PHYS_PFN(hpa); pfn < end; pfn++) {
			struct page *page = pfn_to_online_page(pfn);

			if (page ? !PageReserved(page) : pfn_valid(pfn))
				return -EPERM;
			if (!(pfn & 1023))
				cond_resched();
		}
	}
	return space_add_area(space, gpa, size, flags, SZ_4K, hpa,
			      &axas_backend_linear);
}
EXPORT_SYMBOL_NS_GPL(axas_map_linear, AXAS_NS);

/**
 * axas_map_alloc() - map memory the space allocates itself
 * @space: the space
 * @gpa: first GPA, aligned to @pgsize
 * @size: bytes, a multiple of @pgsize
 * @flags: AXAS_PROT_* rights and memory type, plus %AXAS_AREA_POPULATE to
 *	allocate and map every frame now, %AXAS_AREA_NO_FALLBACK to fail a
 *	fault (and axas_populate()) rather than install a frame smaller than
 *	@pgsize
 * @pgsize: frame and leaf size: SZ_4K, SZ_2M or SZ_1G
 *
 * Frames are zeroed and charged to the space's memory cgroup
 * (GFP_KERNEL_ACCOUNT) and to the space's frame cap. With
 * %AXAS_AREA_POPULATE the map is all or nothing; without it nothing is
 * allocated now and axas_fault() installs one frame per leaf later.
 * %AXAS_AREA_POPULATE allocates with the space lock held exclusively (for
 * 1 GiB frames that includes alloc_contig_range()'s migration): meant for
 * setting a guest up; while vCPUs run, map lazily and call
 * axas_populate(), which allocates without the lock.
 *
 * Context: process context; may sleep; takes the space lock exclusively.
 * Return: 0; -EINVAL for an unaligned or zero range, an unknown @pgsize or
 * unknown/bad flags (%AXAS_AREA_NO_FALLBACK with 4 KiB frames among them);
 * -ERANGE for a range outside the space; -EOPNOTSUPP
 * for rights or a page size the hardware cannot map, or 1 GiB frames on a
 * kernel without CONFIG_CONTIG_ALLOC; -EEXIST when it overlaps an area; -ENOMEM
 * when frames or table pages ran out or the frame cap was reached
 * (nothing is left mapped); -ESHUTDOWN after shutdown.
 */
int axas_map_alloc(struct axas_space *space, u64 gpa, u64 size, u32 flags,
		   unsigned long pgsize)
{
	int ret;

	if (pgsize != SZ_4K && pgsize != SZ_2M && pgsize != SZ_1G)
		return -EINVAL;
	ret = axas_space_check_range(space, gpa, size);
	if (ret)
		return ret;
	/* 4 KiB frames have nothing to fall back to: the flag would mean nothing. */
	if ((flags & ~(AXAS_PROT_ALL | AXAS_AREA_POPULATE | AXAS_AREA_NO_FALLBACK)) ||
	    ((flags & AXAS_AREA_NO_FALLBACK) && pgsize == SZ_4K) ||
	    !IS_ALIGNED(gpa | size, pgsize))
		return -EINVAL;
	ret = axas_pt_check_prot(&space->pt, flags & AXAS_PROT_ALL);
	if (ret)
		return ret;
	/* Blocks beyond MAX_PAGE_ORDER need alloc_contig_range(). */
	if (!(space->pt.pgsizes & pgsize) ||
	    (get_order(pgsize) > MAX_PAGE_ORDER && !IS_ENABLED(CONFIG_CONTIG_ALLOC)))
		return -EOPNOTSUPP;
	return space_add_area(space, gpa, size, flags, pgsize, 0,
			      &axas_backend_alloc);
}
EXPORT_SYMBOL_NS_GPL(axas_map_alloc, AXAS_NS);

/* Cut areas at @gpa and @end, then call @fn on every area inside. */
static void space_carve(struct axas_space *space, u64 gpa, u64 end,
			struct list_head *spares,
			void (*fn)(struct axas_space *space,
				   struct axas_area *area, u32 prot),
			u32 prot)
{
	struct axas_area *area, *next;

	area_boundary(space, gpa, spares);
	area_boundary(space, end, spares);
	for (area = area_from(space, gpa); area && area->start < end; area = next) {
		next = area_next(area);
		fn(space, area, prot);
	}
}

static void area_remove(struct axas_space *space, struct axas_area *area,
			u32 prot)
{
	area_erase(space, area);
	kfree(area);
}

static void area_set_prot(struct axas_space *space, struct axas_area *area,
			  u32 prot)
{
	area->flags = (area->flags & ~AXAS_PROT_ALL) | prot;
}

/* What space_edit() does. */
enum space_edit_op {
	SPACE_UNMAP,
	SPACE_PROTECT,
	SPACE_DISCARD,
};

/* Discard frees alloc frames only: -EOPNOTSUPP where a linear area is. */
static int space_discard_check(struct axas_space *space, u64 gpa, u64 end)
{
	struct axas_area *area;

	for (area = area_from(space, gpa); area && area->start < end;
	     area = area_next(area))
		if (area->backend != &axas_backend_alloc)
			return -EOPNOTSUPP;
	return 0;
}

/*
 * The common part of unmap, protect and discard: all allocations first
 * (area structs for the cuts; the engine preallocates its split pages),
 * then the table, the flush, the frees, and the areas (discard keeps
 * them: its range faults in anew).
 */
static int space_edit(struct axas_space *space, u64 gpa, u64 size,
		      enum space_edit_op op, u32 prot)
{
	bool unmap = op != SPACE_PROTECT;
	struct space_release r = { .space = space, .discard = op == SPACE_DISCARD };
	struct axas_pt_gather gather;
	struct axas_pt_window win;
	struct mem_cgroup *old;
	LIST_HEAD(spares);
	int ret;

	ret = axas_space_check_range(space, gpa, size);
	if (ret)
		return ret;
	INIT_LIST_HEAD(&r.frames);
	axas_pt_gather_init(&gather);
	old = space_memcg_enter(space);
	if (op != SPACE_DISCARD)
		ret = spares_fill(&spares, unmap ? AREA_GFP_UNMAP : AREA_GFP);
	if (ret)
		goto out_spares;

	down_write(&space->lock);
	if (space->dead) {
		ret = -ESHUTDOWN;
		goto out_unlock;
	}
	if (op == SPACE_DISCARD) {
		ret = space_discard_check(space, gpa, gpa + size);
		if (ret)
			goto out_unlock;
	}
	if (op == SPACE_PROTECT)
		axas_dirty_protect(space, gpa, size);
	if (unmap)
		ret = axas_pt_unmap(&space->pt, gpa, size, space_release_leaf,
				    &r, &gather);
	else
		ret = axas_pt_protect_window(&space->pt, gpa, size, prot,
					     &gather,
					     axas_dirty_window(space, &win));
	if (ret)
		goto out_unlock;
	axas_pins_invalidate(space, gpa, size, unmap ? 0 : prot, &gather);
	/* The logged pages lost the write right, whatever @prot says. */
	if (!unmap && axas_dirty_window(space, &win) && win.deny &&
	    gpa < win.end && gpa + size > win.start)
		axas_pins_invalidate_write(space, max(gpa, win.start),
					   min(gpa + size, win.end) - max(gpa, win.start),
					   &gather);
	axas_space_flush(space, &gather);
	axas_frames_free(space, &r.frames);
	/*
	 * A populate planned with the tables it found: those the unmap freed
	 * may lie above ranges beyond this one (the gather covers them).
	 */
	axas_space_populates_stale(space, min(gpa, gather.start),
				   max(gpa + size, gather.end));
	axas_pt_gather_release(&gather);
	if (op != SPACE_DISCARD)
		space_carve(space, gpa, gpa + size, &spares,
			    unmap ? area_remove : area_set_prot, prot);
	if (op != SPACE_DISCARD)
		/* The layout changed: a snapshot's restore is refused. */
		space->snap_stale = true;
out_unlock:
	up_write(&space->lock);
out_spares:
	spares_free(&spares);
	space_memcg_leave(old);
	return ret;
}

/**
 * axas_unmap() - remove a GPA range from the space
 * @space: the space
 * @gpa: first GPA, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 *
 * The range may cover parts of areas, several areas and holes. Areas are
 * cut where the range ends inside them, huge leaves split; the pins of the
 * range are invalidated and its translations flushed through the callback,
 * and only then are its frames and emptied table pages freed.
 *
 * Context: process context; may sleep; takes the space lock exclusively.
 * Return: 0; -EINVAL for an unaligned or zero range; -ERANGE for a range
 * outside the space; -ENOMEM (nothing changed); -ESHUTDOWN after shutdown.
 */
int axas_unmap(struct axas_space *space, u64 gpa, u64 size)
{
	int ret = space_edit(space, gpa, size, SPACE_UNMAP, 0);

	trace_axas_unmap(space->id, gpa, size, 0, ret);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_unmap, AXAS_NS);

/**
 * axas_discard() - give back the frames of a range of alloc areas
 * @space: the space
 * @gpa: first GPA, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 *
 * For ballooning and free-page reporting: removes the translations of the
 * range and frees its frames, but keeps the areas, which become lazy
 * there (an eager area too): the next touch faults in a zeroed frame.
 * Holes and pages not faulted in are skipped. A 2 MiB or 1 GiB leaf the
 * range cuts is split and the rest of its frame stays mapped in smaller
 * leaves (frames are freed 4 KiB at a time); faults in the discarded
 * part of such a slot install 4 KiB frames. As for axas_unmap(), pins of
 * the range are invalidated and the range is flushed before any frame is
 * freed. Under dirty logging the pages it took away are reported written.
 *
 * Context: process context; may sleep; takes the space lock exclusively;
 * calls the pin callbacks and the flush callback.
 * Return: 0; -EINVAL for an unaligned or zero range; -ERANGE for a range
 * outside the space; -EOPNOTSUPP when a linear area lies in the range
 * (nothing changed: its memory is not axas's to free); -ENOMEM (nothing
 * changed); -ESHUTDOWN after shutdown.
 */
int axas_discard(struct axas_space *space, u64 gpa, u64 size)
{
	int ret = space_edit(space, gpa, size, SPACE_DISCARD, 0);

	trace_axas_discard(space->id, gpa, size, 0, ret);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_discard, AXAS_NS);

/**
 * axas_protect() - change the rights and memory type of a GPA range
 * @space: the space
 * @gpa: first GPA, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 * @prot: new AXAS_PROT_* rights and memory type
 *
 * Applies to the areas in the range (cut where the range ends inside
 * them) and to their present leaves (huge leaves split where needed);
 * lazy pages faulted in later get @prot too. Holes are skipped. Pins that
 * need a right @prot lacks are invalidated, then reduced rights are
 * flushed through the callback before the call returns. Pages that dirty
 * logging covers in write-protection mode get @prot without the write
 * right, which their next write fault gives back (see "Dirty logging,
 * aging and discard"); a write pin there is invalidated.
 *
 * Context: process context; may sleep; takes the space lock exclusively;
 * calls the pin callbacks and the flush callback.
 * Return: 0; -EINVAL for an unaligned or zero range or a bad @prot;
 * -EOPNOTSUPP for @prot the format cannot express; -ERANGE for a range
 * outside the space; -ENOMEM (nothing changed); -ESHUTDOWN after shutdown.
 */
int axas_protect(struct axas_space *space, u64 gpa, u64 size, u32 prot)
{
	int ret = axas_pt_check_prot(&space->pt, prot);

	if (!ret)
		ret = space_edit(space, gpa, size, SPACE_PROTECT, prot);
	trace_axas_protect(space->id, gpa, size, prot, ret);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_protect, AXAS_NS);

#define AXAS_ACCESS_ALL	(AXAS_ACCESS_READ | AXAS_ACCESS_WRITE | \
			 AXAS_ACCESS_EXEC | AXAS_ACCESS_EXEC_USER)

/*
 * Does @prot allow @access? With mode-based execute control, a fetch from
 * a supervisor-mode address needs EXEC (EPT bit 2) and one from a
 * user-mode address EXEC_USER (bit 10); without it, bit 2 (or NX clear)
 * governs both.
 */
static __always_inline bool prot_allows(const struct axas_space *space,
					u32 prot, unsigned int access)
{
	u32 user_exec = space->pt.cfg.format == AXAS_PT_EPT &&
			(space->pt.cfg.caps.flags & AXAS_CAP_MBEC) ?
			AXAS_PROT_EXEC_USER : AXAS_PROT_EXEC;

	if ((access & AXAS_ACCESS_READ) && !(prot & AXAS_PROT_READ))
		return false;
	if ((access & AXAS_ACCESS_WRITE) && !(prot & AXAS_PROT_WRITE))
		return false;
	if ((access & AXAS_ACCESS_EXEC) && !(prot & AXAS_PROT_EXEC))
		return false;
	if ((access & AXAS_ACCESS_EXEC_USER) && !(prot & user_exec))
		return false;
	return true;
}

/*
 * A write to a present page whose leaf lacks the write right its area
 * has: write-protection dirty logging took it away. Give it back, with
 * the lock held shared and a cmpxchg on the leaf (the hardware's A/D
 * updates and other faults race with it): that marks the page dirty for
 * the next harvest, which takes it away again.
 */
static int space_fault_dirty(struct axas_space *space,
			     const struct axas_area *area, u64 gpa,
			     unsigned int access, const struct axas_pt_leaf *leaf)
{
	if (!(access & AXAS_ACCESS_WRITE) || !(area->flags & AXAS_PROT_WRITE) ||
	    !prot_allows(space, leaf->prot | AXAS_PROT_WRITE, access) ||
	    !axas_dirty_wp(space, leaf->gpa, leaf->size))
		return -EACCES;
	axas_pt_scan(&space->pt, ALIGN_DOWN(gpa, PAGE_SIZE), PAGE_SIZE,
		     AXAS_SCAN_WRITABLE, AXAS_SCAN_SET, NULL, 0, NULL);
	this_cpu_inc(space->faults->dirty);
	return AXAS_FAULT_INSTALLED;
}

static int space_fault_locked(struct axas_space *space, u64 gpa,
			      unsigned int access, bool excl,
			      struct axas_fault_frame *ff)
{
	struct axas_pt_leaf leaf;
	struct axas_area *area;
	u64 slot;
	int ret;

	lockdep_assert_held(&space->lock);
	if (space->dead)
		return -ESHUTDOWN;
	area = area_find(space, gpa);
	if (!area)
		return -ENOENT;
	if (!prot_allows(space, area->flags, access))
		return -EACCES;
	/*
	 * Present: spurious only if the leaf itself allows the access, or
	 * the vCPU would fault on it forever.
	 */
	ret = axas_pt_query(&space->pt, gpa, &leaf);
	if (!ret) {
		if (prot_allows(space, leaf.prot, access))
			return AXAS_FAULT_SPURIOUS;
		return space_fault_dirty(space, area, gpa, access, &leaf);
	}
	if (WARN_ON_ONCE(ret != -ENOENT || !area->backend->fault))
		return -EFAULT;
	/*
	 * Not mapped: @leaf.size is the largest leaf the table takes there,
	 * but dirty logging reports 4 KiB pages, and a huge leaf installed
	 * in part of its range would be reported (or write-protected) as a
	 * whole. Under write-protection, a page that is not written yet is
	 * mapped without the write right: its first write marks it.
	 */
	slot = min_t(u64, leaf.size, area->pgsize);
	ff->deny = 0;
	/* Without a log (the lock keeps it from starting), no call. */
	if (space->log) {
		if (slot > SZ_4K &&
		    axas_dirty_logged(space, ALIGN_DOWN(gpa, slot), slot))
			slot = SZ_4K;
		ff->deny = axas_dirty_wp(space, gpa, SZ_4K) &&
			   !(access & AXAS_ACCESS_WRITE) ? AXAS_PROT_WRITE : 0;
	}
	return area->backend->fault(space, area, gpa, slot, excl, ff);
}

/*
 * A fault with the space lock held shared; returns with it held shared.
 * When the frame cap looked full, other faults may have held charges they
 * were about to give back (losers of a race for the same page): decide
 * again with the lock held exclusively, when no fault holds a charge, so
 * that neither a loser nor an unrelated fault fails for a charge that
 * was never needed.
 */
static int space_fault_shared(struct axas_space *space, u64 gpa,
			      unsigned int access, struct axas_fault_frame *ff)
{
	int ret;

	do {
		ret = space_fault_locked(space, gpa, access, false, ff);
	} while (ret == AXAS_FAULT_AGAIN);
	while (ret == -EAGAIN) {
		space_lock_exact(space);
		do {
			ret = space_fault_locked(space, gpa, access, true, ff);
		} while (ret == AXAS_FAULT_AGAIN);
		downgrade_write(&space->lock);
	}
	return ret;
}

/*
 * A fault, called and returning with the space lock held shared, but
 * dropping it while a frame larger than 4 KiB is allocated: the fault
 * then starts over, as the space may have changed meanwhile.
 */
static int space_fault_relock(struct axas_space *space, u64 gpa,
			      unsigned int access)
{
	struct axas_fault_frame ff = {};
	int ret;

	ret = space_fault_shared(space, gpa, access, &ff);
	while (ret == AXAS_FAULT_NEED_FRAME) {
		space_unlock_charged(space);
		ret = axas_fault_frame_alloc(space, &ff);
		space_relock_charged(space);
		if (!ret)
			ret = space_fault_shared(space, gpa, access, &ff);
	}
	if (ff.page || ff.charged)
		axas_fault_frame_drop(space, &ff);
	return ret;
}

/*
 * For snapshot.c: install the lazy page at @gpa with no access asked for
 * (under write-protection dirty logging, without the write right), the
 * lock held exclusively since axas_space_lock_exact(). 0 or -errno; a
 * charge another fault holds unlocked (-EAGAIN) counts as -ENOMEM.
 */
int axas_space_fault_excl(struct axas_space *space, u64 gpa)
{
	struct axas_fault_frame ff = {};
	int ret;

	lockdep_assert_held_write(&space->lock);
	do {
		ret = space_fault_locked(space, gpa, 0, true, &ff);
	} while (ret == AXAS_FAULT_AGAIN);
	axas_fault_frame_drop(space, &ff);
	if (ret == -EAGAIN || ret == AXAS_FAULT_NEED_FRAME)
		ret = -ENOMEM;
	return ret < 0 ? ret : 0;
}

/**
 * axas_fault() - handle an EPT violation / nested page fault
 * @space: the space
 * @gpa: the faulting GPA
 * @access: AXAS_ACCESS_* the guest attempted
 *
 * Installs the frame a lazy area needs (a 2 MiB or 1 GiB area the whole
 * leaf). Faults on different pages run in parallel; two vCPUs faulting
 * the same page get one frame between them, and both are told to resume,
 * also when the frame cap has room for one frame only. Linear and eager
 * areas never allocate here. A page that is present answers
 * %AXAS_FAULT_SPURIOUS only if its leaf allows @access; frames and table
 * pages are charged to the space's memory cgroup and fail with -ENOMEM,
 * without the OOM killer, at its limit.
 *
 * In a 2 MiB or 1 GiB area, when the page allocator has no free block of
 * that size, the fault installs the largest smaller frame it can get (a
 * 2 MiB or 4 KiB leaf; &axas_space_stats.fallbacks counts it), or
 * fails with -ENOMEM if the area has %AXAS_AREA_NO_FALLBACK. Frames larger
 * than 4 KiB are allocated with the space lock dropped (alloc_contig_range()
 * migrates pages for a 1 GiB frame, which takes long): meanwhile map,
 * unmap, protect and other faults proceed, and the fault decides again
 * once it holds the frame.
 *
 * Context: process context; may sleep (allocates); takes the space lock
 * shared (exclusively, briefly, when the frame cap is reached), and drops
 * it while it allocates a frame larger than 4 KiB.
 * Return: %AXAS_FAULT_INSTALLED or %AXAS_FAULT_SPURIOUS (resume the
 * guest); -ENOENT when no area covers @gpa, wherever @gpa lies (in a hole,
 * in a range axas_unmap() removed, outside the space): no memory there,
 * emulate MMIO; -EACCES when the area forbids @access; -ENOMEM when no
 * frame or table page could be had or the frame cap is reached; -EINVAL
 * for an empty or unknown @access; -ERANGE for a frame the allocator gave
 * beyond the physical-address width of &axas_pt_caps.phys_bits;
 * -ESHUTDOWN after shutdown.
 */
int axas_fault(struct axas_space *space, u64 gpa, unsigned int access)
{
	struct mem_cgroup *old;
	int ret;

	if (!access || (access & ~AXAS_ACCESS_ALL))
		return -EINVAL;
	if (gpa < space->base || gpa >= space->end) {
		ret = READ_ONCE(space->dead) ? -ESHUTDOWN : -ENOENT;
		goto out;
	}
	old = space_memcg_enter(space);
	down_read(&space->lock);
	ret = space_fault_relock(space, gpa, access);
	up_read(&space->lock);
	space_memcg_leave(old);
out:
	if (ret == AXAS_FAULT_INSTALLED)
		this_cpu_inc(space->faults->installed);
	else if (ret == AXAS_FAULT_SPURIOUS)
		this_cpu_inc(space->faults->spurious);
	else
		this_cpu_inc(space->faults->refused);
	trace_axas_fault(space->id, gpa, access, ret);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_fault, AXAS_NS);

/*
 * axas_populate(): a run of empty table entries to fill with leaves of
 * @leaf bytes, below empty entries at level @top; @fallback when @leaf is
 * smaller than the area's size because no block of that size was free.
 */
struct populate_hole {
	u64 start;
	u64 end;
	unsigned long leaf;
	unsigned int top;
	u32 prot;
	bool strict;
	bool fallback;
	struct page **frames;
};

struct populate {
	struct populate_hole *holes;
	unsigned long nr;
	unsigned long cap;
	unsigned long pages;
	struct populate_reg reg;
};

/*
 * Room for @n more holes. The array may move: pointers into it are valid
 * only until the next call.
 */
static int populate_reserve(struct populate *p, unsigned long n)
{
	unsigned long cap;
	struct populate_hole *holes;

	if (p->nr + n <= p->cap)
		return 0;
	cap = max3(16UL, p->cap * 2, p->nr + n);
	holes = kvcalloc(cap, sizeof(*holes), GFP_KERNEL_ACCOUNT);
	if (!holes)
		return -ENOMEM;
	if (p->nr)
		memcpy(holes, p->holes, p->nr * sizeof(*holes));
	kvfree(p->holes);
	p->holes = holes;
	p->cap = cap;
	return 0;
}

static int populate_add(struct populate *p, u64 start, u64 end,
			unsigned long leaf, unsigned int top,
			const struct axas_area *area, u32 prot)
{
	struct populate_hole *h = p->nr ? &p->holes[p->nr - 1] : NULL;
	bool strict = area->flags & AXAS_AREA_NO_FALLBACK;

	if (start >= end)
		return 0;
	p->pages += (end - start) >> PAGE_SHIFT;
	if (h && h->end == start && h->leaf == leaf && h->top == top &&
	    h->prot == prot && h->strict == strict) {
		h->end = end;
		return 0;
	}
	if (populate_reserve(p, 1))
		return -ENOMEM;
	h = &p->holes[p->nr++];
	*h = (struct populate_hole) {
		.start = start, .end = end, .leaf = leaf, .top = top,
		.prot = prot, .strict = strict,
	};
	return 0;
}

/*
 * Holes over [@start, @end) with leaves of @leaf bytes, as a fault would
 * install them: where a slot meets dirty logging's window @win, 4 KiB
 * leaves, and inside the window without @win->deny.
 */
static int populate_add_slots(struct populate *p, u64 start, u64 end,
			      unsigned long leaf, unsigned int top,
			      const struct axas_area *area,
			      const struct axas_pt_window *win)
{
	u32 prot = area->flags & AXAS_PROT_ALL;
	u64 cut[6] = { start, 0, 0, 0, 0, end };
	unsigned int i;
	int ret = 0;

	if (!win || end <= ALIGN_DOWN(win->start, leaf) ||
	    start >= ALIGN(win->end, leaf))
		return populate_add(p, start, end, leaf, top, area, prot);
	cut[1] = clamp(ALIGN_DOWN(win->start, leaf), start, end);
	cut[4] = clamp(ALIGN(win->end, leaf), start, end);
	cut[2] = clamp(win->start, cut[1], cut[4]);
	cut[3] = clamp(win->end, cut[1], cut[4]);
	for (i = 0; i < 5 && !ret; i++)
		ret = populate_add(p, cut[i], cut[i + 1],
				   i == 0 || i == 4 ? leaf : SZ_4K, top, area,
				   i == 2 ? prot & ~win->deny : prot);
	return ret;
}

/*
 * The empty entries of [@start, @end) in a lazy area, with the space lock
 * held shared. Each becomes leaves of the area's size, or of the entry's
 * when smaller (an earlier fault fell back there).
 */
static int populate_plan_area(struct axas_space *space, struct axas_area *area,
			      u64 start, u64 end, struct populate *p,
			      const struct axas_pt_window *win)
{
	struct axas_pt_leaf leaf;
	u64 pos = start, stop;
	int ret;

	while (pos < end) {
		ret = axas_pt_query(&space->pt, pos, &leaf);
		if (!ret) {
			pos = leaf.gpa + leaf.size;
			continue;
		}
		if (ret != -ENOENT)
			return ret;
		stop = min(ALIGN_DOWN(pos, leaf.size) + leaf.size, end);
		ret = populate_add_slots(p, pos, stop, min(area->pgsize, leaf.size),
					 leaf.level, area, win);
		if (ret)
			return ret;
		pos = stop;
		cond_resched();
	}
	return 0;
}

/*
 * Plan with the space lock held shared. The plan covers whole slots of
 * the areas, beyond [gpa, end) where a slot reaches out of it: writers
 * there make it stale too (the registration grows to what was planned).
 */
static int populate_plan(struct axas_space *space, u64 gpa, u64 end,
			 struct populate *p)
{
	const struct axas_pt_window *win;
	struct axas_pt_window w;
	struct axas_area *area;
	u64 pos = gpa, lo, hi;
	int ret;

	p->nr = 0;
	p->pages = 0;
	p->reg.stale = false;
	win = axas_dirty_window(space, &w);
	while (pos < end) {
		area = area_find(space, pos);
		if (!area)
			return -ENOENT;
		/*
		 * Linear areas are mapped whole; eager ones too, but for what
		 * axas_discard() made lazy again.
		 */
		if (area->backend->fault) {
			lo = ALIGN_DOWN(pos, area->pgsize);
			hi = ALIGN(min(end, area->end), area->pgsize);
			spin_lock(&space->populates_lock);
			p->reg.start = min(p->reg.start, lo);
			p->reg.end = max(p->reg.end, hi);
			spin_unlock(&space->populates_lock);
			ret = populate_plan_area(space, area, lo, hi, p, win);
			if (ret)
				return ret;
		}
		pos = min(end, area->end);
	}
	return 0;
}

static void populate_free_frames(struct populate_hole *h)
{
	unsigned long i, n = (h->end - h->start) / h->leaf;

	if (!h->frames)
		return;
	for (i = 0; i < n && h->frames[i]; i++)
		axas_frame_free(h->frames[i], get_order(h->leaf));
	kvfree(h->frames);
	h->frames = NULL;
}

/*
 * Frames for hole @i, every one within the table's physical-address
 * width. Where a block of the hole's size is not free, that slot (unless
 * strict) becomes a hole of smaller frames of its own and the rest of the
 * hole a third one, which the caller's loop allocates in turn.
 */
static int populate_alloc_hole(struct axas_space *space, struct populate *p,
			       unsigned long i)
{
	struct populate_hole *h = &p->holes[i], *fb, *rest;
	unsigned long j, n = (h->end - h->start) / h->leaf, got;

	if (!n)
		return 0;
	h->frames = kvcalloc(n, sizeof(*h->frames), GFP_KERNEL | __GFP_NOWARN);
	if (!h->frames)
		return -ENOMEM;
	got = axas_frames_get(space, get_order(h->leaf), n, h->frames);
	for (j = 0; j < got; j++) {
		phys_addr_t pa = page_to_phys(h->frames[j]);

		if (pa >= space->pt.pa_limit || space->pt.pa_limit - pa < h->leaf)
			return -ERANGE;
	}
	if (got == n)
		return 0;
	if (h->strict || h->leaf == SZ_4K)
		return -ENOMEM;
	/* Both new holes at once: growing the array moves @h. */
	if (populate_reserve(p, 2))
		return -ENOMEM;
	h = &p->holes[i];
	fb = &p->holes[p->nr++];
	rest = &p->holes[p->nr++];
	*fb = *h;
	fb->start = h->start + got * h->leaf;
	fb->end = fb->start + h->leaf;
	fb->leaf = pgsize_below(h->leaf);
	fb->fallback = true;
	fb->frames = NULL;
	*rest = *h;
	rest->start = fb->end;
	rest->frames = NULL;
	h->end = fb->start;
	return 0;
}

/* Table pages the holes need: one per empty entry above each leaf. */
static unsigned long populate_tables(const struct populate *p)
{
	unsigned long i, n = 0;

	for (i = 0; i < p->nr; i++) {
		const struct populate_hole *h = &p->holes[i];
		unsigned int level;

		if (h->start == h->end)
			continue;
		for (level = (ilog2(h->leaf) - 12) / 9 + 1; level <= h->top; level++) {
			u64 span = axas_pt_level_size(level);

			n += (ALIGN(h->end, span) - ALIGN_DOWN(h->start, span)) / span;
		}
	}
	return n;
}

/*
 * Install one frame of @size at @gpa. A racing fault may have installed
 * the leaf (the frame goes unused), or smaller leaves under a table there
 * (fill what is still empty with pieces of the frame: the table down to
 * the racer's leaf exists, so no table page is needed).
 */
static int populate_piece(struct axas_space *space, u64 gpa, u64 size,
			  struct page *page, u32 prot,
			  struct axas_pt_cache *tables, struct list_head *unused)
{
	struct axas_pt_leaf leaf;
	unsigned long i;
	u64 sub, off;
	int ret;

	ret = axas_pt_map_leaf(&space->pt, gpa, size, page_to_phys(page), prot,
			       true, tables, true);
	if (!ret)
		return 0;
	if (ret == -EEXIST && size > SZ_4K &&
	    (axas_pt_query(&space->pt, gpa, &leaf) || leaf.size < size)) {
		sub = pgsize_below(size);
		for (off = 0; off < size; off += sub) {
			ret = populate_piece(space, gpa + off, sub,
					     nth_page(page, off >> PAGE_SHIFT),
					     prot, tables, unused);
			if (ret) {
				page = nth_page(page, (off + sub) >> PAGE_SHIFT);
				size -= off + sub;
				break;
			}
			if (sub == SZ_4K && !((off + sub) & (SZ_2M - 1)))
				cond_resched();
		}
		if (!ret)
			return 0;
	}
	/* Not installed (mapped by a racer, or a failure): free it. */
	for (i = 0; i < size >> PAGE_SHIFT; i++)
		list_add_tail(&nth_page(page, i)->lru, unused);
	return ret == -EEXIST ? 0 : ret;
}

static void populate_release(struct axas_space *space, struct populate *p,
			     struct axas_pt_cache *tables)
{
	unsigned long i;

	for (i = 0; i < p->nr; i++)
		populate_free_frames(&p->holes[i]);
	axas_pt_cache_release(tables);
	axas_frames_uncharge(space, p->pages);
}

/*
 * Charge the plan's frames. At the cap the answer may be wrong while
 * other charges are in flight: decide again, with the lock held
 * exclusively, once none is (as a fault does).
 */
static int populate_charge(struct axas_space *space, struct populate *p)
{
	int ret = axas_frames_charge(space, p->pages);
	bool busy;

	while (ret == -ENOMEM) {
		space_lock_exact(space);
		ret = space->dead ? -ESHUTDOWN : axas_frames_charge(space, p->pages);
		busy = atomic_read(&space->charges_unlocked);
		downgrade_write(&space->lock);
		if (ret && !busy)
			break;
	}
	return ret;
}

/*
 * Allocate what the plan needs without the space lock (1 GiB frames
 * migrate pages, which takes long), then take it again: -EAGAIN when a
 * writer changed the range meanwhile (the plan is stale).
 */
static int populate_alloc(struct axas_space *space, struct populate *p,
			  struct axas_pt_cache *tables)
{
	unsigned long i;
	int ret;

	ret = populate_charge(space, p);
	if (ret)
		return ret;
	space_unlock_charged(space);
	for (i = 0; i < p->nr && !ret; i++)
		ret = populate_alloc_hole(space, p, i);
	if (!ret)
		ret = axas_pt_cache_fill(&space->pt, tables, populate_tables(p));
	space_relock_charged(space);
	if (!ret && space->dead)
		ret = -ESHUTDOWN;
	if (!ret && p->reg.stale)
		ret = -EAGAIN;
	if (ret)
		populate_release(space, p, tables);
	return ret;
}

static int populate_commit(struct axas_space *space, struct populate *p,
			   struct axas_pt_cache *tables)
{
	LIST_HEAD(unused);
	unsigned long i, j, k;
	int ret = 0;

	for (i = 0; i < p->nr; i++) {
		struct populate_hole *h = &p->holes[i];
		unsigned long n = (h->end - h->start) / h->leaf;

		if (h->fallback && n)
			this_cpu_inc(space->faults->fallback);
		for (j = 0; j < n; j++) {
			/* Cannot fail (the tables are allocated); if it did, free the rest. */
			if (!ret)
				ret = populate_piece(space, h->start + j * h->leaf,
						     h->leaf, h->frames[j], h->prot,
						     tables, &unused);
			else
				for (k = 0; k < h->leaf >> PAGE_SHIFT; k++)
					list_add_tail(&nth_page(h->frames[j], k)->lru,
						      &unused);
			if (!(j & 511))
				cond_resched();
		}
		kvfree(h->frames);
		h->frames = NULL;
	}
	WARN_ON_ONCE(ret);
	/* Frames a racing fault made unneeded: uncharged as they are freed. */
	axas_frames_free(space, &unused);
	axas_pt_cache_release(tables);
	return ret;
}

/**
 * axas_populate() - install the lazy pages of a GPA range now
 * @space: the space
 * @gpa: first GPA, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 *
 * Prefaults a range before the guest runs, or ahead of an access pattern
 * the VMM knows: every page of the range that a fault would install is
 * installed, with the frames a fault would use (the whole leaf of a 2 MiB
 * or 1 GiB area that the range touches; for each such slot where no block
 * of the area's size is free, smaller frames, unless
 * %AXAS_AREA_NO_FALLBACK). Pages already present stay as they are; linear
 * areas are mapped already, eager ones but for the pages axas_discard()
 * gave back, which it installs as in a lazy area.
 *
 * All or nothing: every frame and table page is allocated before the
 * first entry is written, so on failure nothing was installed and
 * nothing is charged. Runs concurrently with faults, guest copies and
 * other populates (space lock held shared): a page a vCPU faults in
 * meanwhile keeps the vCPU's frame. The allocation runs without the lock;
 * if a map, unmap or protect changed the range meanwhile, the populate
 * starts over (changes elsewhere in the space do not disturb it).
 *
 * Context: process context; may sleep (allocates); takes the space lock
 * shared (exclusively, briefly, at the frame cap), and drops it while it
 * allocates.
 * Return: 0; -EINVAL for an unaligned or zero range; -ERANGE for a range
 * outside the space, or a frame beyond the physical-address width;
 * -ENOENT when part of the range has no area; -ENOMEM when frames or
 * table pages ran out or the frame cap would be exceeded; -ESHUTDOWN
 * after shutdown.
 */
int axas_populate(struct axas_space *space, u64 gpa, u64 size)
{
	struct axas_pt_cache tables;
	struct populate p = {};
	struct mem_cgroup *old;
	int ret;

	ret = axas_space_check_range(space, gpa, size);
	if (ret)
		return ret;
	INIT_LIST_HEAD(&tables.pages);
	tables.nr = 0;
	p.reg.start = gpa;
	p.reg.end = gpa + size;
	old = space_memcg_enter(space);
	down_read(&space->lock);
	spin_lock(&space->populates_lock);
	list_add(&p.reg.node, &space->populates);
	spin_unlock(&space->populates_lock);
	do {
		ret = space->dead ? -ESHUTDOWN : populate_plan(space, gpa, gpa + size, &p);
		if (!ret && p.nr)
			ret = populate_alloc(space, &p, &tables);
	} while (ret == -EAGAIN);
	if (!ret && p.nr)
		ret = populate_commit(space, &p, &tables);
	spin_lock(&space->populates_lock);
	list_del(&p.reg.node);
	spin_unlock(&space->populates_lock);
	up_read(&space->lock);
	space_memcg_leave(old);
	kvfree(p.holes);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_populate, AXAS_NS);

/* The entry of @table that holds @gpa at @level. */
static __always_inline u64 leaf_entry(const u64 *table, u64 gpa,
				      unsigned int level)
{
	return READ_ONCE(table[(gpa >> (12 + 9 * level)) & 511]);
}

/*
 * The lookups' walk: the leaf entry that maps @gpa (its level in
 * *@levelp), or 0. One entry read per level, unrolled for 4 and 5 levels,
 * no indirect call. Caller holds rcu_read_lock() and checked @gpa.
 */
static __always_inline u64 space_leaf(const struct axas_pt *pt, u64 gpa,
				      unsigned int *levelp)
{
	u64 present = pt->present_mask, huge = pt->huge, pte;
	const u64 *table = READ_ONCE(pt->root);

	if (!table)
		return 0;
	/* Above the largest leaf: tables only. */
	if (pt->top_level == 4) {
		pte = leaf_entry(table, gpa, 4);
		if (!(pte & present))
			return 0;
		table = phys_to_virt(pte & pt->addr_mask);
	}
	pte = leaf_entry(table, gpa, 3);
	if (!(pte & present))
		return 0;
	/* 1 GiB, 2 MiB or 4 KiB leaf. */
	pte = leaf_entry(phys_to_virt(pte & pt->addr_mask), gpa, 2);
	*levelp = 2;
	if (!(pte & present) || (pte & huge))
		return pte & present ? pte : 0;
	pte = leaf_entry(phys_to_virt(pte & pt->addr_mask), gpa, 1);
	*levelp = 1;
	if (!(pte & present) || (pte & huge))
		return pte & present ? pte : 0;
	pte = leaf_entry(phys_to_virt(pte & pt->addr_mask), gpa, 0);
	*levelp = 0;
	return pte & present ? pte : 0;
}

/* The HPA of @gpa in the leaf @pte at @level (the C-bit is no address bit). */
static __always_inline phys_addr_t leaf_hpa(const struct axas_pt *pt, u64 pte,
					    unsigned int level, u64 gpa)
{
	return (pte & axas_pt_leaf_addr_mask(level) & ~pt->me_mask) |
	       (gpa & (axas_pt_level_size(level) - 1));
}

/* Leaves after the first that axas_translate() follows. */
#define AXAS_TRANSLATE_MAX_LEAVES	512

/**
 * axas_translate() - GPA to HPA
 * @space: the space
 * @gpa: any GPA of the space
 * @len: bytes the caller wants to reach from @gpa (1 for just the address)
 * @tr: filled with the HPA, the rights, and the contiguous length
 *
 * @tr->len counts the bytes from @gpa to the end of its leaf and, while
 * fewer than @len, adds the following leaves that continue the HPA with
 * the same rights (up to 512 of them): the bytes left in the contiguous
 * mapping, not the area size. The answer is a snapshot: a concurrent
 * unmap may remove the translation right after. Callers that only want
 * the HPA call axas_translate_hpa().
 *
 * Context: any, including atomic context (RCU; no sleeping lock).
 * Return: 0; -ERANGE for @gpa outside the space; -ENOENT when @gpa is not
 * mapped (no area, or a lazy page not faulted in yet); -ESHUTDOWN after
 * shutdown.
 */
int axas_translate(struct axas_space *space, u64 gpa, u64 len,
		   struct axas_translation *tr)
{
	const struct axas_pt *pt = &space->pt;
	struct axas_pt_leaf leaf;
	unsigned int level = 0;
	u64 pte, rest = 0;
	s64 run;

	if (gpa < space->base || gpa >= space->end)
		return -ERANGE;
	if (READ_ONCE(space->dead))
		return -ESHUTDOWN;
	len = min(max_t(u64, len, 1), space->end - gpa);
	/* Within the leaf of @gpa (a lookup of an address): one walk. */
	rcu_read_lock();
	pte = space_leaf(pt, gpa, &level);
	if (pte)
		rest = axas_pt_level_size(level) -
		       (gpa & (axas_pt_level_size(level) - 1));
	if (pte && len <= rest) {
		rcu_read_unlock();
		tr->hpa = leaf_hpa(pt, pte, level, gpa);
		tr->prot = pt->cfg.format == AXAS_PT_EPT ?
			   ept_pte_prot(pt, pte) : npt_pte_prot(pte, level);
		tr->len = min(rest, space->end - gpa);
		return 0;
	}
	rcu_read_unlock();
	if (!pte)
		return -ENOENT;
	run = axas_pt_query_contig(&space->pt, gpa, &leaf, gpa + len,
				   AXAS_TRANSLATE_MAX_LEAVES);
	if (run < 0)
		return run;
	tr->hpa = leaf.hpa + (gpa - leaf.gpa);
	tr->prot = leaf.prot;
	tr->len = min_t(u64, run, space->end - gpa);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(axas_translate, AXAS_NS);

/**
 * axas_translate_hpa() - GPA to HPA, and nothing else
 * @space: the space
 * @gpa: any GPA of the space
 * @hpa: set to the HPA of @gpa when it is mapped
 *
 * The lookup for callers that only want the address: the same answer as
 * axas_translate(), without the rights, the memory type and the
 * contiguous length. It reads one entry per level (the walk unrolled for
 * 4 and 5 levels, no indirect call) under RCU, like axas_translate(), and
 * is a snapshot in the same way: a concurrent unmap may remove the
 * translation right after.
 *
 * Context: any, including atomic context (RCU; no sleeping lock).
 * Return: 0; -ERANGE for @gpa outside the space; -ENOENT when @gpa is not
 * mapped; -ESHUTDOWN after shutdown. *@hpa is only written on 0.
 */
int axas_translate_hpa(struct axas_space *space, u64 gpa, phys_addr_t *hpa)
{
	const struct axas_pt *pt = &space->pt;
	unsigned int level;
	u64 pte;

	if (gpa < space->base || gpa >= space->end)
		return -ERANGE;
	if (READ_ONCE(space->dead))
		return -ESHUTDOWN;
	rcu_read_lock();
	pte = space_leaf(pt, gpa, &level);
	rcu_read_unlock();
	if (!pte)
		return -ENOENT;
	*hpa = leaf_hpa(pt, pte, level, gpa);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(axas_translate_hpa, AXAS_NS);

static void copy_piece(void *page, size_t off, void *buf, size_t len,
		       bool write)
{
	if (write)
		memcpy(page + off, buf, len);
	else
		memcpy(buf, page + off, len);
}

#ifdef CONFIG_HAS_IOMEM
/*
 * How to map a host page the kernel does not map (reserved ranges, device
 * memory) with the memory type of the guest's mapping: the MEMREMAP_*
 * flags in *@flags, or 0 there for uncached (memremap() has no such type;
 * ioremap() does). RAM the kernel keeps (reserved pages of its own map) is
 * always write-back: the kernel maps it so already, and ioremap() refuses
 * RAM. -EFAULT for a page System RAM covers only in part (a byte-granular
 * e820 entry), which memremap() refuses.
 */
int axas_remap_flags(phys_addr_t base, u32 prot, unsigned long *flags)
{
	int ram = region_intersects(base, PAGE_SIZE, IORESOURCE_SYSTEM_RAM,
				    IORES_DESC_NONE);

	if (ram == REGION_MIXED)
		return -EFAULT;
	switch (ram == REGION_INTERSECTS ? AXAS_MT_WB :
		FIELD_GET(AXAS_PROT_MT_MASK, prot)) {
	case AXAS_MT_UC:
		*flags = 0;
		break;
	case AXAS_MT_WC:
		*flags = MEMREMAP_WC;
		break;
	case AXAS_MT_WT:
	case AXAS_MT_WP:
		*flags = MEMREMAP_WT;
		break;
	default:
		*flags = MEMREMAP_WB;
		break;
	}
	return 0;
}

/* A copy to or from memory the kernel does not map (see above). */
static int space_copy_unmapped(phys_addr_t hpa, u32 prot, void *buf,
			       size_t len, bool write)
{
	phys_addr_t base = hpa & PAGE_MASK;
	size_t off = offset_in_page(hpa);
	unsigned long flags;
	void __iomem *io;
	void *page;

	if (axas_remap_flags(base, prot, &flags))
		return -EFAULT;
	if (flags) {
		page = memremap(base, PAGE_SIZE, flags);
		if (!page)
			return -EFAULT;
		copy_piece(page, off, buf, len, write);
		memunmap(page);
		return 0;
	}
	io = ioremap(base, PAGE_SIZE);
	if (!io)
		return -EFAULT;
	if (write)
		memcpy_toio(io + off, buf, len);
	else
		memcpy_fromio(buf, io + off, len);
	iounmap(io);
	return 0;
}
#else
static int space_copy_unmapped(phys_addr_t hpa, u32 prot, void *buf,
			       size_t len, bool write)
{
	return -EFAULT;
}
#endif

/*
 * Copy one piece that lies within one page of host memory. The kernel's
 * own mapping serves only pages it maps: pfn_valid() alone also holds for
 * holes inside early sparsemem sections (a memmap= range in the middle of
 * RAM), which have struct pages, reserved, and no direct mapping, and for
 * offline memory, whose struct pages must not even be read.
 */
static int space_copy_page(phys_addr_t hpa, u32 prot, void *buf, size_t len,
			   bool write)
{
	struct page *page = pfn_to_online_page(PHYS_PFN(hpa));
	void *va;

	if (!page || PageReserved(page))
		return space_copy_unmapped(hpa, prot, buf, len, write);
	va = kmap_local_page(page);
	copy_piece(va, offset_in_page(hpa), buf, len, write);
	kunmap_local(va);
	return 0;
}

static int space_copy(struct axas_space *space, u64 gpa, void *buf,
		      size_t len, unsigned int flags, bool write)
{
	struct mem_cgroup *old;
	int ret = 0;

	if (flags & ~AXAS_COPY_FAULT)
		return -EINVAL;
	if (!len)
		return 0;
	if (gpa < space->base || gpa >= space->end || len > space->end - gpa)
		return -ERANGE;
	old = space_memcg_enter(space);
	down_read(&space->lock);
	while (len) {
		struct axas_pt_leaf leaf;
		size_t chunk = min_t(size_t, len, PAGE_SIZE - offset_in_page(gpa));

		if (space->dead) {
			ret = -ESHUTDOWN;
			break;
		}
		if (axas_pt_query(&space->pt, gpa, &leaf)) {
			if (!(flags & AXAS_COPY_FAULT)) {
				ret = -EFAULT;
				break;
			}
			/* The VMM's view: install the frame whatever the rights. */
			ret = space_fault_relock(space, gpa, 0);
			if (ret < 0)
				break;
			ret = 0;
			continue;
		}
		ret = space_copy_page(leaf.hpa + (gpa - leaf.gpa), leaf.prot,
				      buf, chunk, write);
		if (ret)
			break;
		if (write)
			axas_dirty_mark(space, gpa, chunk);
		gpa += chunk;
		buf += chunk;
		len -= chunk;
	}
	up_read(&space->lock);
	space_memcg_leave(old);
	return ret;
}

/**
 * axas_read() - copy from guest memory
 * @space: the space
 * @gpa: first GPA
 * @buf: destination
 * @len: bytes (may cross pages and areas)
 * @flags: %AXAS_COPY_FAULT to fault lazy pages in; otherwise a hole fails
 *
 * Reads regardless of the guest's rights (the VMM's view of memory).
 *
 * Context: process context; may sleep; takes the space lock shared (and,
 * with %AXAS_COPY_FAULT, drops it while it allocates a frame larger than
 * 4 KiB, as axas_fault() does).
 * Return: 0; -EINVAL for unknown @flags; -ERANGE for a range outside the
 * space; -EFAULT at a hole without %AXAS_COPY_FAULT, or at host memory
 * that cannot be mapped; with %AXAS_COPY_FAULT, the errors
 * of axas_fault() (-ENOENT, -EACCES, -ENOMEM); -ESHUTDOWN. @buf may be
 * partly written on error.
 */
int axas_read(struct axas_space *space, u64 gpa, void *buf, size_t len,
	      unsigned int flags)
{
	return space_copy(space, gpa, buf, len, flags, false);
}
EXPORT_SYMBOL_NS_GPL(axas_read, AXAS_NS);

/**
 * axas_write() - copy to guest memory
 * @space: the space
 * @gpa: first GPA
 * @buf: source
 * @len: bytes (may cross pages and areas)
 * @flags: %AXAS_COPY_FAULT to fault lazy pages in; otherwise a hole fails
 *
 * Writes regardless of the guest's rights (loading code into read-only
 * memory is the VMM's business).
 *
 * Context: process context; may sleep; takes the space lock shared (and,
 * with %AXAS_COPY_FAULT, drops it while it allocates a frame larger than
 * 4 KiB, as axas_fault() does).
 * Return: as axas_read(); guest memory may be partly written on error.
 */
int axas_write(struct axas_space *space, u64 gpa, const void *buf,
	       size_t len, unsigned int flags)
{
	return space_copy(space, gpa, (void *)buf, len, flags, true);
}
EXPORT_SYMBOL_NS_GPL(axas_write, AXAS_NS);

/*
 * The guest page walker (walk.c) reads guest tables through these: begin
 * takes the space lock shared (frames cannot be freed under it, and the
 * walker writes A/D bits into them), map gives a kernel address of the
 * 8 bytes at @gpa for reads and compare-and-exchange.
 */
struct mem_cgroup *axas_space_guest_begin(struct axas_space *space)
{
	struct mem_cgroup *old = space_memcg_enter(space);

	down_read(&space->lock);
	return old;
}

void axas_space_guest_end(struct axas_space *space, struct mem_cgroup *old)
{
	up_read(&space->lock);
	space_memcg_leave(old);
}

int axas_space_guest_map(struct axas_space *space, u64 gpa, bool fault,
			 struct axas_guest_map *m)
{
	struct axas_pt_leaf leaf;
	struct axas_area *area;
	struct page *page;
	phys_addr_t hpa;
	int ret;

	lockdep_assert_held(&space->lock);
	for (;;) {
		if (space->dead)
			return -ESHUTDOWN;
		if (gpa < space->base || gpa >= space->end)
			return -ENOENT;
		if (!axas_pt_query(&space->pt, gpa, &leaf))
			break;
		area = area_find(space, gpa);
		if (!area)
			return -ENOENT;
		if (!fault)
			return -EFAULT;
		/* The VMM's view: install the frame whatever the rights. */
		ret = space_fault_relock(space, gpa, 0);
		if (ret < 0)
			return ret;
	}
	hpa = leaf.hpa + (gpa - leaf.gpa);
	area = area_find(space, gpa);
	m->prot = area ? area->flags & AXAS_PROT_ALL : leaf.prot;
	page = pfn_to_online_page(PHYS_PFN(hpa));
	m->ram = page;
	m->remap = NULL;
	if (page && !PageReserved(page)) {
		m->va = kmap_local_page(page) + offset_in_page(hpa);
		return 0;
	}
#ifdef CONFIG_HAS_IOMEM
	/* Tables in memory the kernel does not map: write-back only. */
	if (FIELD_GET(AXAS_PROT_MT_MASK, leaf.prot) == AXAS_MT_WB) {
		int ram = region_intersects(hpa & PAGE_MASK, PAGE_SIZE,
					    IORESOURCE_SYSTEM_RAM,
					    IORES_DESC_NONE);

		m->ram |= ram == REGION_INTERSECTS;
		if (ram != REGION_MIXED)
			m->remap = memremap(hpa & PAGE_MASK, PAGE_SIZE,
					    MEMREMAP_WB);
	}
#endif
	if (!m->remap)
		return -EFAULT;
	m->va = m->remap + offset_in_page(hpa);
	return 0;
}

void axas_space_guest_unmap(struct axas_guest_map *m)
{
#ifdef CONFIG_HAS_IOMEM
	if (m->remap) {
		memunmap(m->remap);
		return;
	}
#endif
	kunmap_local(m->va);
}

/**
 * axas_walk_areas() - report every area in GPA order
 * @space: the space
 * @fn: called with each area; a non-zero return stops the walk
 * @arg: for @fn
 *
 * @fn runs with the space lock held shared: it must not call any axas_*
 * function on @space (a fault may drop and retake that lock).
 *
 * Context: process context; may sleep; takes the space lock shared.
 * Return: 0, or the first non-zero value @fn returned; -ESHUTDOWN after
 * shutdown (@fn is not called).
 */
int axas_walk_areas(struct axas_space *space,
		       int (*fn)(void *arg, const struct axas_area_info *area),
		       void *arg)
{
	struct rb_node *node;
	int ret = 0;

	down_read(&space->lock);
	if (space->dead)
		ret = -ESHUTDOWN;
	for (node = rb_first(&space->areas); node && !ret; node = rb_next(node)) {
		struct axas_area *area = area_of(node);
		struct axas_area_info info = {
			.gpa = area->start,
			.size = area->end - area->start,
			.flags = area->flags,
			.backend = area->backend->name,
			.hpa = area->hpa,
			.pgsize = area->pgsize,
		};

		ret = fn(arg, &info);
	}
	up_read(&space->lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_walk_areas, AXAS_NS);

/**
 * axas_space_get_stats() - what the space holds and has done
 * @space: the space
 * @stats: filled in
 *
 * Context: any; reads counters without locking (each one is exact, the
 * set is not a snapshot; a leaf count may be off by the faults and unmaps
 * running meanwhile).
 * Return: nothing.
 */
void axas_space_get_stats(struct axas_space *space,
			  struct axas_space_stats *stats)
{
	long leaves[AXAS_PT_LEAF_LEVELS];
	unsigned int i;
	int cpu;

	memset(stats, 0, sizeof(*stats));
	stats->areas = READ_ONCE(space->nr_areas);
	stats->snapshot_frames = atomic_long_read(&space->snapshot_frames);
	stats->frames = atomic_long_read(&space->frames);
	/* Read apart from each other: never below zero. */
	stats->frames -= min(stats->frames, stats->snapshot_frames);
	for (i = 0; i < AXAS_PT_LEAF_LEVELS; i++)
		leaves[i] = atomic_long_read(&space->pt.stats.leaves[i]);
	for (i = 0; i < AXAS_PT_MAX_LEVELS; i++)
		stats->tables += atomic_long_read(&space->pt.stats.tables[i]);
	for_each_possible_cpu(cpu) {
		const struct axas_fault_stats *f = per_cpu_ptr(space->faults, cpu);

		for (i = 0; i < AXAS_PT_LEAF_LEVELS; i++)
			leaves[i] += READ_ONCE(f->leaves[i]);

		stats->faults_installed += READ_ONCE(f->installed);
		stats->faults_spurious += READ_ONCE(f->spurious);
		stats->faults_refused += READ_ONCE(f->refused);
		stats->fallbacks += READ_ONCE(f->fallback);
		stats->faults_dirty += READ_ONCE(f->dirty);
	}
	/* Faults count theirs per CPU, unmaps in the table: never below 0. */
	for (i = 0; i < AXAS_PT_LEAF_LEVELS; i++)
		stats->leaves[i] = max(leaves[i], 0L);
	stats->flushes = atomic64_read(&space->flushes);
}
EXPORT_SYMBOL_NS_GPL(axas_space_get_stats, AXAS_NS);
