// SPDX-License-Identifier: GPL-2.0
/*
 * Address spaces: their life (create, shutdown, destroy), the flush, the
 * locking protocol at the frame cap, what the core tells the features
 * (the hooks), and the statistics. See core.h for the layers and the
 * locking, include/axas/axas.h for the API.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/idr.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "../compat_internal.h"

#include "core.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

static DEFINE_IDA(axas_space_ida);

/* The features' hooks, registered at module init; read-only afterwards. */
static LIST_HEAD(axas_space_hooks);

void axas_space_hooks_register(struct axas_space_hooks *hooks)
{
	list_add_tail(&hooks->node, &axas_space_hooks);
}

/*
 * Tell every feature with the hook. The list is built before any space
 * exists and read-only afterwards: no lock.
 */
#define for_each_hook(h)	list_for_each_entry(h, &axas_space_hooks, node)

static void space_hook_create(struct axas_space *space)
{
	struct axas_space_hooks *h;

	for_each_hook(h)
		if (h->create)
			h->create(space);
}

void axas_space_hook_reduce(struct axas_space *space, u64 gpa, u64 size,
			    u32 prot, struct axas_pt_gather *gather)
{
	struct axas_space_hooks *h;

	lockdep_assert_held_write(&space->lock);
	for_each_hook(h)
		if (h->reduce)
			h->reduce(space, gpa, size, prot, gather);
}

void axas_space_hook_protect(struct axas_space *space, u64 gpa, u64 size)
{
	struct axas_space_hooks *h;

	lockdep_assert_held_write(&space->lock);
	for_each_hook(h)
		if (h->protect)
			h->protect(space, gpa, size);
}

void axas_space_hook_layout(struct axas_space *space, u64 gpa, u64 size)
{
	struct axas_space_hooks *h;

	lockdep_assert_held_write(&space->lock);
	for_each_hook(h)
		if (h->layout)
			h->layout(space, gpa, size);
}

void axas_space_written(struct axas_space *space, u64 gpa, u64 size)
{
	struct axas_space_hooks *h;

	lockdep_assert_held(&space->lock);
	for_each_hook(h)
		if (h->write)
			h->write(space, gpa, size);
}

static void space_hook_shutdown(struct axas_space *space)
{
	struct axas_space_hooks *h;

	lockdep_assert_held_write(&space->lock);
	for_each_hook(h)
		if (h->shutdown)
			h->shutdown(space);
}

static void space_hook_destroy(struct axas_space *space)
{
	struct axas_space_hooks *h;

	for_each_hook(h)
		if (h->destroy)
			h->destroy(space);
}

struct mem_cgroup *axas_space_memcg_enter(struct axas_space *space)
{
	return set_active_memcg(space->memcg);
}

void axas_space_memcg_leave(struct mem_cgroup *old)
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

void axas_space_flush(struct axas_space *space, struct axas_pt_gather *g)
{
	if (!axas_pt_gather_need_flush(g))
		return;
	trace_axas_flush(space->id, g->start, g->end - g->start, 0, 0);
	space->flush(space->cookie, g->start, g->end - g->start);
	atomic64_inc(&space->flushes);
}

/* Leaves arrive in GPA order: remember the last area. */
void axas_space_release_leaf(void *arg, const struct axas_pt_leaf *leaf)
{
	struct axas_space_release *r = arg;

	if (!r->area || leaf->gpa < r->area->start || leaf->gpa >= r->area->end)
		r->area = axas_area_find(r->space, leaf->gpa);
	if (WARN_ON_ONCE(!r->area))
		return;
	/* Its content changes (zeros at the next touch): a write. */
	if (r->written)
		axas_space_written(r->space, leaf->gpa, leaf->size);
	if (r->area->backend->release)
		r->area->backend->release(leaf, &r->frames);
}

/* A writer (lock held exclusively) changed [gpa, end). */
void axas_space_populates_stale(struct axas_space *space, u64 gpa, u64 end)
{
	struct axas_populate_reg *reg;

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
 * decides only once no charge is held so
 * (axas_space_lock_exact_from_shared()).
 */
void axas_space_unlock_charged(struct axas_space *space)
{
	atomic_inc(&space->charges_unlocked);
	up_read(&space->lock);
}

void axas_space_relock_charged(struct axas_space *space)
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
void axas_space_lock_exact_from_shared(struct axas_space *space)
{
	up_read(&space->lock);
	wait_var_event(&space->charges_unlocked,
		       !atomic_read(&space->charges_unlocked));
	down_write(&space->lock);
}

void axas_space_lock_exact(struct axas_space *space)
{
	down_read(&space->lock);
	axas_space_lock_exact_from_shared(space);
}

int axas_space_unmap_frames(struct axas_space *space, u64 gpa, u64 size,
			    struct list_head *frames,
			    struct axas_pt_gather *gather)
{
	struct axas_space_release r = { .space = space };
	int ret;

	lockdep_assert_held_write(&space->lock);
	INIT_LIST_HEAD(&r.frames);
	ret = axas_pt_unmap(&space->pt, gpa, size, axas_space_release_leaf, &r,
			    gather);
	list_splice(&r.frames, frames);
	return ret;
}

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
	old = axas_space_memcg_enter(space);
	space->faults = alloc_percpu_gfp(struct axas_fault_stats,
					 GFP_KERNEL_ACCOUNT);
	if (!space->faults) {
		ret = -ENOMEM;
		goto out_free;
	}
	axas_frames_init(&space->frames, cfg->max_frames,
			 cfg->flags & AXAS_SPACE_NODE ? cfg->node : NUMA_NO_NODE,
			 cfg->flags & AXAS_SPACE_NODE_STRICT ? __GFP_THISNODE : 0);
	ret = axas_pt_init_node(&space->pt, &cfg->pt, space->frames.node,
				space->frames.node_gfp);
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
	seqcount_init(&space->areas_seq);
	mutex_init(&space->scan_lock);
	INIT_LIST_HEAD(&space->populates);
	spin_lock_init(&space->populates_lock);
	INIT_LIST_HEAD(&space->views);
	INIT_LIST_HEAD(&space->views_dead);
	space->areas = RB_ROOT;
	space->base = cfg->base;
	space->end = cfg->base + cfg->size;
	space->flush = cfg->flush;
	space->cookie = cfg->cookie;
	strscpy(space->name, cfg->name ?: "space", sizeof(space->name));
	space_hook_create(space);
	axas_space_memcg_leave(old);
	return space;

out_destroy:
	axas_pt_destroy(&space->pt, NULL, NULL);
out_free:
	axas_space_memcg_leave(old);
	free_percpu(space->faults);
	mem_cgroup_put(space->memcg);
	kfree(space);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(axas_space_create, AXAS_NS);

/* Leave the file; the view's reference to it goes. */
static void view_free(struct axas_memfile_view *view)
{
	struct axas_memfile *mf = view->mf;

	if (view->watching)
		axas_memfile_watch_del(mf, &view->watch);
	down_write(&mf->invalidate);
	list_del(&view->file_node);
	up_write(&mf->invalidate);
	kvfree(view->watch.bits);
	kfree(view);
	axas_memfile_put(mf);
}

void axas_space_views_free(struct list_head *dead)
{
	struct axas_memfile_view *view, *tmp;

	list_for_each_entry_safe(view, tmp, dead, space_node) {
		list_del(&view->space_node);
		view_free(view);
	}
}

void axas_space_shutdown(struct axas_space *space)
{
	struct axas_space_release r = { .space = space };
	struct axas_pt_gather gather;
	struct rb_node *node;
	LIST_HEAD(dead);
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
			    axas_space_release_leaf, &r, &gather);
	WARN_ON_ONCE(ret);
	/* The flush below covers the whole space. */
	axas_space_hook_reduce(space, space->base, space->end - space->base, 0,
			       NULL);
	trace_axas_flush(space->id, space->base, space->end - space->base, 0, 0);
	space->flush(space->cookie, space->base, space->end - space->base);
	atomic64_inc(&space->flushes);
	axas_frames_free(&space->frames, &r.frames);
	axas_pt_gather_release(&gather);
	axas_pool_close(&space->frames);
	space_hook_shutdown(space);
	while ((node = rb_first(&space->areas))) {
		struct axas_area *area = rb_entry(node, struct axas_area, node);

		axas_area_remove(space, area);
	}
	list_splice_init(&space->views_dead, &dead);
	up_write(&space->lock);
	/* Out of their files; each file frees its frames with its last view. */
	axas_space_views_free(&dead);
}
EXPORT_SYMBOL_NS_GPL(axas_space_shutdown, AXAS_NS);

void axas_space_destroy(struct axas_space *space)
{
	if (!space)
		return;
	axas_space_shutdown(space);
	space_hook_destroy(space);
	/* Empty since shutdown: this frees the root. */
	axas_pt_destroy(&space->pt, NULL, NULL);
	ida_free(&axas_space_ida, space->id);
	free_percpu(space->faults);
	mem_cgroup_put(space->memcg);
	kfree(space);
}
EXPORT_SYMBOL_NS_GPL(axas_space_destroy, AXAS_NS);

u64 axas_space_root(struct axas_space *space)
{
	return axas_pt_root(&space->pt);
}
EXPORT_SYMBOL_NS_GPL(axas_space_root, AXAS_NS);

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
		struct axas_area *area = rb_entry(node, struct axas_area, node);
		struct axas_area_info info = {
			.gpa = area->start,
			.size = area->end - area->start,
			.flags = area->flags,
			.backend = area->backend->name,
			.hpa = area->hpa,
			.pgsize = area->pgsize,
			.offset = area->mf ? (u64)area->pgoff << PAGE_SHIFT : 0,
		};

		ret = fn(arg, &info);
	}
	up_read(&space->lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_walk_areas, AXAS_NS);

void axas_space_get_stats(struct axas_space *space,
			  struct axas_space_stats *stats)
{
	long leaves[AXAS_PT_LEAF_LEVELS];
	unsigned int i;
	int cpu;

	memset(stats, 0, sizeof(*stats));
	stats->areas = READ_ONCE(space->nr_areas);
	stats->snapshot_frames = atomic_long_read(&space->frames.aside);
	stats->pool_frames = atomic_long_read(&space->frames.pooled);
	stats->frames = atomic_long_read(&space->frames.held);
	/* Read apart from each other: never below zero. */
	stats->frames -= min(stats->frames, stats->snapshot_frames);
	stats->frames -= min(stats->frames, stats->pool_frames);
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

