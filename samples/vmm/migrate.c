// SPDX-License-Identifier: GPL-2.0
/*
 * Live migration within one host (migrate=1): the guest's RAM moves from
 * its space into a second space of the same layout while the guest runs,
 * then the guest goes on in the second space, on its own nested table,
 * and the first is destroyed. What a migration between hosts does, the
 * wire replaced by axas_write() into the destination:
 *
 *  1. Dirty logging starts on the source (migrate_wp=1: by
 *     write-protection, AXAS_DIRTY_WP); a first pass copies every page
 *     present in the source (axas_read_present()) into the destination
 *     (axas_write()) while the vCPUs run. A page written meanwhile is in
 *     the first harvest.
 *  2. Pre-copy rounds, the vCPUs running: harvest the source's log
 *     (axas_dirty_log_get()), copy the pages it reported. They end when a
 *     round found migrate_small pages or fewer, or after migrate_rounds
 *     rounds: what the guest writes faster than that is left for step 3.
 *  3. Stop and copy: the vCPUs are paused and each saves its state on
 *     its own thread (vmm_vcpus_call(), state.c); the last harvest and its
 *     pages; the platform's state; logging stops.
 *  4. Switch: each vCPU loads its state with the destination's nested
 *     root (ops->load(); its next entry flushes), the platform's state is
 *     loaded, and the vCPUs resume: their time from pause to resume is
 *     the downtime. Then the source space is shut down and destroyed.
 *
 * The report gives the pages of the first pass and of each round, and
 * the downtime's parts. Nothing in axas checks the result: the guest's
 * workload does (a checksum over memory it keeps rewriting, computed on
 * the host too), so a page the migration lost is a wrong checksum or a
 * crashed guest. migrate_plant=drop proves it: the stop-and-copy leaves
 * out the page the guest named on its console (its buffer's first page,
 * which it writes in every pass), as a migration with a lost dirty page
 * would.
 *
 * With rewind= too (rewind.c), the guest's mark comes during the
 * pre-copy (which waits for it after its last round, up to
 * MG_MARK_WAIT_MS): the snapshot is taken in the source, beside the
 * migration's dirty log, and moves with the guest (vmm_migrate_mark()):
 * the mark's image is written into the destination and a snapshot taken
 * there, which the restores after the switch use; the pages copied after
 * it are counted (@sent) as written since the snapshot, which they are.
 *
 * Both vCPUs' threads and this one use vm->space: it changes only with
 * every vCPU parked, and this thread is the only other user.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <axas/axas.h>
#include "vmm.h"

#define MG_SHIFT	12			/* pages of 4 KiB */
#define MG_CHUNK	64			/* pages per axas_read_present() */
#define MG_MARK_WAIT_MS	(120 * MSEC_PER_SEC)	/* rewind= too: for the mark */
#define MG_MARK_POLL_MS	20

/**
 * vmm_migrate_init() - get a migration ready
 * @vm: the guest, its RAM size known
 * @rounds: pre-copy rounds at most
 * @small: a round finding this many dirty pages or fewer ends the pre-copy
 * @wp: log by write-protection (%AXAS_DIRTY_WP)
 * @armed: false to wait for vmm_migrate_arm()
 *
 * Context: process context; sleeps.
 * Return: 0; -ENOMEM.
 */
int vmm_migrate_init(struct vmm_vm *vm, unsigned int rounds, unsigned int small,
		     bool wp, bool armed)
{
	struct vmm_migrate *mg = kzalloc(sizeof(*mg), GFP_KERNEL);

	if (!mg)
		return -ENOMEM;
	vm->migrate = mg;
	mutex_init(&mg->lock);
	mg->max_rounds = min_t(unsigned int, rounds, VMM_MIGRATE_ROUNDS);
	mg->small = small;
	mg->wp = wp;
	mg->side.armed = armed;
	mg->pages = vm->ram_size >> MG_SHIFT;
	mg->dirty = bitmap_zalloc(mg->pages, GFP_KERNEL);
	mg->present = bitmap_zalloc(MG_CHUNK, GFP_KERNEL);
	mg->buf = vmalloc(MG_CHUNK << MG_SHIFT);
	mg->state = vmm_state_alloc(vm);
	if (!mg->dirty || !mg->present || !mg->buf || !mg->state)
		return -ENOMEM;
	if (vm->rewind) {
		mg->sent = bitmap_zalloc(mg->pages, GFP_KERNEL);
		if (!mg->sent)
			return -ENOMEM;
	}
	return 0;
}

/* Free what vmm_migrate_init() allocated; the thread has ended. */
void vmm_migrate_free(struct vmm_vm *vm)
{
	struct vmm_migrate *mg = vm->migrate;

	if (!mg)
		return;
	vmm_state_free(mg->state);
	bitmap_free(mg->sent);
	vfree(mg->buf);
	bitmap_free(mg->present);
	bitmap_free(mg->dirty);
	kfree(mg);
	vm->migrate = NULL;
}

/*
 * Copy the pages set in @map that are present in the source into the
 * destination, a chunk per axas_read_present(). Return: the pages
 * copied, or axas's errno.
 */
static long mg_copy(struct vmm_vm *vm, struct vmm_migrate *mg,
		    const unsigned long *map)
{
	unsigned long start, end, n, first, last;
	long ret, copied = 0;
	u64 gpa;

	for_each_set_bitrange(start, end, map, mg->pages) {
		if (!vmm_running(vm))
			return -ESHUTDOWN;
		for (; start < end; start += n) {
			n = min(end - start, (unsigned long)MG_CHUNK);
			gpa = (u64)start << MG_SHIFT;
			ret = axas_read_present(vm->space, gpa, mg->buf,
						n << MG_SHIFT, mg->present);
			if (ret < 0)
				return ret;
			for_each_set_bitrange(first, last, mg->present, n) {
				ret = axas_write(mg->dst, gpa + (first << MG_SHIFT),
						 mg->buf + (first << MG_SHIFT),
						 (last - first) << MG_SHIFT,
						 AXAS_COPY_FAULT);
				if (ret)
					return ret;
				if (mg->track)
					bitmap_set(mg->sent, start + first, last - first);
				copied += last - first;
			}
		}
		cond_resched();
	}
	return copied;
}

/* Steps 1 and 2: the first pass and the rounds, the vCPUs running. */
static int mg_precopy(struct vmm_vm *vm, struct vmm_migrate *mg)
{
	ktime_t t0 = ktime_get();
	long ret;

	bitmap_fill(mg->dirty, mg->pages);
	mutex_lock(&mg->lock);
	ret = mg_copy(vm, mg, mg->dirty);
	if (ret >= 0)
		mg->first_pages = ret;
	mutex_unlock(&mg->lock);
	if (ret < 0)
		return ret;
	mg->first_ns = vmm_since(t0);
	while (mg->rounds < mg->max_rounds && vmm_running(vm) &&
	       !kthread_should_stop()) {
		t0 = ktime_get();
		mutex_lock(&mg->lock);
		ret = axas_dirty_log_get(vm->space, 0, vm->ram_size, mg->dirty);
		if (ret >= 0)
			ret = mg_copy(vm, mg, mg->dirty);
		mutex_unlock(&mg->lock);
		if (ret < 0)
			return ret;
		mg->round_pages[mg->rounds] = bitmap_weight(mg->dirty, mg->pages);
		mg->round_ns[mg->rounds] = vmm_since(t0);
		if (mg->round_pages[mg->rounds++] <= mg->small)
			break;
	}
	/*
	 * rewind= too: the mark is to come while the source logs, so that
	 * the snapshot moves with the guest. How long the guest takes to
	 * reach it against how long the rounds take depends on the host's
	 * load; the pre-copy waits rather than end before it.
	 */
	while (vmm_rewind_unmarked(vm) && vmm_running(vm) &&
	       !kthread_should_stop() && mg->mark_wait_ms < MG_MARK_WAIT_MS) {
		msleep(MG_MARK_POLL_MS);
		mg->mark_wait_ms += MG_MARK_POLL_MS;
	}
	return 0;
}

/* Nothing: the call returns once the vCPU has parked. */
static void mg_park(struct vmm_vcpu *vcpu, void *arg)
{
}

static void mg_load(struct vmm_vcpu *vcpu, void *arg)
{
	struct vmm_migrate *mg = arg;
	int ret;

	ret = vmm_state_load(vcpu, mg->state, axas_space_root(mg->dst), 0);
	if (ret && !mg->error)
		mg->error = ret;
}

/*
 * Steps 3 and 4, the vCPUs paused. On an error the guest stays paused in
 * the source; the caller stops the run.
 */
static int mg_stop_and_copy(struct vmm_vm *vm, struct vmm_migrate *mg)
{
	struct axas_space *src = vm->space;
	ktime_t t0 = ktime_get(), t;
	unsigned long plant = mg->plant_gpa >> MG_SHIFT;
	long ret;

	vmm_pause(vm);
	t = ktime_get();
	/*
	 * Every vCPU parked before any saves: a thread still handling its
	 * last exit may post an IPI into another vCPU's local APIC, which a
	 * save taken before it would lose at the load.
	 */
	ret = vmm_vcpus_call(vm, mg_park, NULL);
	if (!ret)
		ret = vmm_vcpus_call(vm, vmm_state_save, mg->state);
	if (ret)
		return ret;
	vmm_state_save_platform(vm, mg->state);
	mg->state_ns = vmm_since(t);

	t = ktime_get();
	ret = axas_dirty_log_get(src, 0, vm->ram_size, mg->dirty);
	if (ret < 0)
		return ret;
	mg->final_pages = bitmap_weight(mg->dirty, mg->pages);
	if (mg->plant_gpa && plant < mg->pages &&
	    test_and_clear_bit(plant, mg->dirty))
		mg->planted = true;
	ret = mg_copy(vm, mg, mg->dirty);
	if (ret < 0)
		return ret;
	mg->final_copied = ret;
	ret = axas_dirty_log_stop(src);
	if (ret)
		return ret;
	mg->copy_ns = vmm_since(t);

	/* The vCPUs are parked: none uses the space while it changes. */
	t = ktime_get();
	WRITE_ONCE(vm->space, mg->dst);
	ret = vmm_vcpus_call(vm, mg_load, mg);
	if (!ret)
		ret = mg->error;
	if (ret) {
		/* Some vCPUs may run the destination: the run ends on it. */
		mg->dst = src;
		return ret;
	}
	vmm_state_load_platform(vm, mg->state);
	mg->state_ns += vmm_since(t);
	/* The rewind's log of the runs starts before the guest writes. */
	ret = vmm_rewind_moved(vm);
	if (ret) {
		mg->dst = src;
		return ret;
	}
	mg->dst = NULL;
	mg->done = true;
	vmm_resume(vm);
	mg->downtime_ns = vmm_since(t0);

	/* The guest runs on: the source goes, as it would on its host. */
	t = ktime_get();
	axas_space_shutdown(src);
	axas_space_destroy(src);
	mg->switch_ns = vmm_since(t);
	return 0;
}

static int vmm_migrate_thread(void *arg)
{
	struct vmm_vm *vm = arg;
	struct vmm_migrate *mg = vm->migrate;
	struct axas_space *dst;
	int ret;

	mg->start_ns = ktime_to_ns(ktime_sub(ktime_get(), vm->start));
	dst = vmm_mem_space(vm, "linux-dst");
	ret = IS_ERR(dst) ? PTR_ERR(dst) : 0;
	if (!ret) {
		mg->dst = dst;
		ret = axas_dirty_log_start(vm->space, 0, vm->ram_size,
					   mg->wp ? AXAS_DIRTY_WP : 0);
	}
	if (!ret)
		ret = mg_precopy(vm, mg);
	if (!ret && vmm_running(vm) && !kthread_should_stop())
		ret = mg_stop_and_copy(vm, mg);
	if (ret) {
		mg->error = ret;
		vmm_stop(vm, VMM_FAILED, "migration: %d", ret);
	}
	/* vmm_migrate_end() stops this thread. */
	vmm_side_park();
	return 0;
}

/**
 * vmm_migrate_mark() - the rewind's snapshot moves with the guest
 * @vm: the guest, at its mark (its only vCPU out of guest mode)
 * @image: the rewind's copy of RAM at the mark
 * @present: the pages present at the mark
 *
 * While the pre-copy runs, makes the destination what the source is at
 * the mark (every page present then, written from @image; no other page
 * is present there, as the source's present pages only grow) and takes
 * the destination's snapshot; from then on, the pages copied into it are
 * counted as written since (@sent). The pre-copy goes on: the source's
 * dirty log still has every page written since its last harvest.
 *
 * The caller holds &vmm_migrate.lock from before it read the image to
 * here: no round runs meanwhile (none would find anything written, the
 * guest being stopped at its mark, and the pre-copy would end).
 *
 * Context: the vCPU's thread, &vmm_migrate.lock held; sleeps.
 * Return: 1 when the snapshot moved; 0 when the migration is over (the
 * guest runs on its destination already); -EAGAIN when it has not begun;
 * or axas's errno.
 */
int vmm_migrate_mark(struct vmm_vm *vm, const u8 *image,
		     const unsigned long *present)
{
	struct vmm_migrate *mg = vm->migrate;
	unsigned long first, last, pages = vm->ram_size >> MG_SHIFT;
	int ret;

	lockdep_assert_held(&mg->lock);
	if (mg->done)
		return 0;
	if (!mg->dst || !mg->first_pages)
		return -EAGAIN;
	for_each_set_bitrange(first, last, present, pages) {
		ret = axas_write(mg->dst, (u64)first << MG_SHIFT,
				 image + ((u64)first << MG_SHIFT),
				 (last - first) << MG_SHIFT, AXAS_COPY_FAULT);
		if (ret)
			return ret;
		mg->mark_pages += last - first;
	}
	ret = axas_snapshot_take(mg->dst);
	if (ret)
		return ret;
	mg->track = true;
	return 1;
}

/**
 * vmm_migrate_arm() - the guest's console said to begin
 * @vm: the guest
 *
 * Context: a vCPU's thread.
 * Return: nothing.
 */
void vmm_migrate_arm(struct vmm_vm *vm)
{
	struct vmm_migrate *mg = vm->migrate;

	int ret;

	if (!mg)
		return;
	ret = vmm_side_arm(vm, &mg->side, vmm_migrate_thread, "migrate");
	if (ret)
		mg->error = ret;
}

/**
 * vmm_migrate_start() - begin the migration if it is time
 * @vm: the guest
 *
 * Starts the thread once: when every vCPU has started and the migration
 * is armed. Called as each vCPU starts and when the console arms it.
 *
 * Context: a vCPU's thread; sleeps.
 * Return: nothing.
 */
void vmm_migrate_start(struct vmm_vm *vm)
{
	struct vmm_migrate *mg = vm->migrate;

	int ret;

	if (!mg)
		return;
	ret = vmm_side_start(vm, &mg->side, vmm_migrate_thread, "migrate");
	if (ret)
		mg->error = ret;
}

/**
 * vmm_migrate_end() - stop the migration's thread
 * @vm: the guest, stopped: no vCPU runs it any more
 *
 * A destination the guest never moved into is destroyed; after a failed
 * switch, the source is (the guest's space is the destination then).
 *
 * Context: process context (vm->finish()); sleeps.
 * Return: nothing.
 */
void vmm_migrate_end(struct vmm_vm *vm)
{
	struct vmm_migrate *mg = vm->migrate;

	if (!mg)
		return;
	vmm_side_stop(&mg->side);
	if (mg->dst) {
		axas_space_destroy(mg->dst);
		mg->dst = NULL;
	}
}
