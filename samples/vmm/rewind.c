// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshot and restore of the running guest (rewind=N): the guest marks
 * a point (a 32-bit OUT of VMM_CTL_MARK to the ctl port), runs its
 * workload, and says it is done (VMM_CTL_DONE); the VMM then puts guest
 * memory, the vCPU and the platform back as they were at the mark, and
 * the guest runs the workload again from there, N times. Each run reads
 * its seed from the ctl port after the mark (guest memory is rewound, so
 * a seed kept there would come back): every run but the last gets
 * rewind_seed=, the last one more, so that its result must differ, which
 * shows that the runs are computed, not replayed.
 *
 * At the mark, on the vCPU's thread right after the OUT (RIP past it):
 *  - the vCPU's and the platform's state (state.c) and the guest's TSC;
 *  - the oracle: every page of RAM read by the sample into a copy of its
 *    own (absent pages read as zeros, and which were present), nothing of
 *    axas's bookkeeping;
 *  - axas_snapshot_take(), then dirty logging over RAM, which reports the
 *    pages each run writes.
 * At each VMM_CTL_DONE but the last:
 *  - the dirty log's harvest: the pages the guest wrote in the run;
 *  - axas_snapshot_restore(), timed, and memcpy() of as many pages from
 *    the oracle's copy, timed, for the comparison of costs;
 *  - the dirty log cleared (a restore reports the pages it put back);
 *  - every page of RAM compared with the oracle, byte for byte, and every
 *    page present at the mark must be present;
 *  - the state loaded, the TSC offset moved so that the guest's TSC goes
 *    on from its value at the mark (the APIC timer's deadline and the
 *    PIT's counts are in that TSC).
 * The pages restored must be the pages written (the guest's own page
 * tables included), and no page may differ from the oracle.
 *
 * With migrate=1 too, the mark may come while the guest's RAM moves to
 * another space: the snapshot is taken in the source, beside the
 * migration's dirty log, and moves with the guest (vmm_migrate_mark() in
 * migrate.c); the dirty log of the runs starts in the destination at the
 * switch, and the first restore there also restores the pages the
 * migration copied after the destination's snapshot.
 *
 * One vCPU: the mark and the restores run on its thread, between two of
 * its entries, with nothing else in guest mode.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <asm/msr.h>
#include <axas/axas.h>
#include "vmm.h"

#define RW_SHIFT	12			/* pages of 4 KiB */
#define RW_CHUNK	512			/* pages per axas_read_present() */

/**
 * vmm_rewind_init() - get the snapshot and restores ready
 * @vm: the guest, one vCPU, its RAM size known
 * @restores: restores to do
 * @seed: the seed of every run but the last
 *
 * Context: process context; sleeps.
 * Return: 0; -ENOMEM (the oracle needs as much memory as the guest's RAM).
 */
int vmm_rewind_init(struct vmm_vm *vm, unsigned int restores, u32 seed)
{
	struct vmm_rewind *rw = kzalloc(sizeof(*rw), GFP_KERNEL);

	if (!rw)
		return -ENOMEM;
	vm->rewind = rw;
	rw->restores = min_t(unsigned int, restores, VMM_REWIND_MAX);
	rw->seed = seed;
	rw->pages = vm->ram_size >> RW_SHIFT;
	rw->image = vzalloc(vm->ram_size);
	rw->buf = vmalloc(RW_CHUNK << RW_SHIFT);
	rw->written = bitmap_zalloc(rw->pages, GFP_KERNEL);
	rw->present = bitmap_zalloc(rw->pages, GFP_KERNEL);
	rw->state = vmm_state_alloc(vm);
	if (!rw->image || !rw->buf || !rw->written || !rw->present || !rw->state)
		return -ENOMEM;
	return 0;
}

void vmm_rewind_free(struct vmm_vm *vm)
{
	struct vmm_rewind *rw = vm->rewind;

	if (!rw)
		return;
	vmm_state_free(rw->state);
	bitmap_free(rw->present);
	bitmap_free(rw->written);
	vfree(rw->buf);
	vfree(rw->image);
	kfree(rw);
	vm->rewind = NULL;
}

/**
 * vmm_ctl_io() - the ctl port (io.c's table)
 * @vcpu: the vCPU
 * @offset: from VMM_PORT_CTL
 * @size: bytes
 * @in: IN: the seed of this run
 * @val: the value
 *
 * A 32-bit OUT of VMM_CTL_MARK or VMM_CTL_DONE is a request the vCPU
 * honours before its next entry (vmm_ctl()), once RIP is past the OUT.
 *
 * Context: a vCPU's thread, vm->io_lock held.
 * Return: nothing.
 */
void vmm_ctl_io(struct vmm_vcpu *vcpu, u16 offset, u8 size, bool in, u32 *val)
{
	struct vmm_rewind *rw = vcpu->vm->rewind;

	if (in) {
		*val = !rw ? ~0U : rw->done < rw->restores ? rw->seed : rw->seed + 1;
		return;
	}
	if (offset || size != 4 || (*val != VMM_CTL_MARK && *val != VMM_CTL_DONE))
		return;
	vcpu->ctl = *val;
	set_bit(VMM_REQ_CTL, &vcpu->requests);
}

/* What rw_read_ram() does with each chunk it read. */
typedef void (*rw_chunk_fn)(struct vmm_rewind *rw, unsigned long first,
			    unsigned long n, const unsigned long *present,
			    u64 *differ);

/*
 * Read all of RAM a chunk of RW_CHUNK pages at a time, into @image at
 * the same offset, or into rw->buf when @image is NULL, and hand each
 * chunk to @fn with the pages axas found present. Return: 0 or the errno.
 */
static long rw_read_ram(struct vmm_vm *vm, struct vmm_rewind *rw, u8 *image,
			rw_chunk_fn fn, u64 *differ)
{
	unsigned long present[BITS_TO_LONGS(RW_CHUNK)];
	unsigned long first, n;
	long ret;
	u64 at;

	for (first = 0; first < rw->pages; first += n) {
		n = min(rw->pages - first, (unsigned long)RW_CHUNK);
		at = (u64)first << RW_SHIFT;
		ret = axas_read_present(vm->space, at, image ? image + at : rw->buf,
					n << RW_SHIFT, present);
		if (ret < 0)
			return ret;
		fn(rw, first, n, present, differ);
		cond_resched();
	}
	return 0;
}

/* The mark's image: which of its pages were present. */
static void rw_keep_present(struct vmm_rewind *rw, unsigned long first,
			    unsigned long n, const unsigned long *present,
			    u64 *differ)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		if (test_bit(i, present))
			set_bit(first + i, rw->present);
}

/* After a restore: a page present at the mark is present, with its content. */
static void rw_compare(struct vmm_rewind *rw, unsigned long first,
		       unsigned long n, const unsigned long *present,
		       u64 *differ)
{
	u64 at = (u64)first << RW_SHIFT;
	unsigned long i;

	for (i = 0; i < n; i++) {
		if ((!test_bit(first + i, rw->present) || test_bit(i, present)) &&
		    !memcmp(rw->buf + (i << RW_SHIFT),
			    rw->image + at + (i << RW_SHIFT), 1 << RW_SHIFT))
			continue;
		if (!(*differ)++ && !rw->first_differ)
			rw->first_differ = at + (i << RW_SHIFT);
	}
}

/* The mark (see rw_mark()). */
static int rw_mark_locked(struct vmm_vcpu *vcpu, struct vmm_rewind *rw)
{
	struct vmm_vm *vm = vcpu->vm;
	struct axas_space_stats st;
	ktime_t t0;
	long ret;

	vmm_state_save(vcpu, rw->state);
	vmm_state_save_platform(vm, rw->state);
	rw->guest_tsc = rw->state->host_tsc + vcpu->regs.tsc_offset;
	t0 = ktime_get();
	ret = rw_read_ram(vm, rw, rw->image, rw_keep_present, NULL);
	if (ret)
		return ret;
	rw->image_ns = vmm_since(t0);
	t0 = ktime_get();
	ret = axas_snapshot_take(vm->space);
	if (ret)
		return ret;
	rw->mark_ns = vmm_since(t0);
	axas_space_get_stats(vm->space, &st);
	rw->snapshot_pages = st.snapshot_frames;
	/* Mid-migration, the snapshot goes with the guest. */
	ret = vm->migrate ? vmm_migrate_mark(vm, rw->image, rw->present) : 0;
	if (ret < 0)
		return ret;
	rw->moved = ret;
	WRITE_ONCE(rw->marked, true);
	if (rw->moved)
		return 0;
	ret = axas_dirty_log_start(vm->space, 0, vm->ram_size, 0);
	rw->logging = !ret;
	return ret;
}

/* The mark: state, oracle, snapshot, dirty log. */
static int rw_mark(struct vmm_vcpu *vcpu, struct vmm_rewind *rw)
{
	struct vmm_vm *vm = vcpu->vm;
	int ret;

	/* No pre-copy round while the guest is stopped here. */
	if (vm->migrate)
		mutex_lock(&vm->migrate->lock);
	ret = rw_mark_locked(vcpu, rw);
	if (vm->migrate)
		mutex_unlock(&vm->migrate->lock);
	return ret;
}

/**
 * vmm_rewind_moved() - the guest runs on a migration's destination now
 * @vm: the guest, its vCPU parked, vm->space the destination
 *
 * When the snapshot moved with it, the dirty log of the runs starts there.
 *
 * Context: the migration's thread (migrate.c); sleeps.
 * Return: 0, or axas's errno.
 */
int vmm_rewind_moved(struct vmm_vm *vm)
{
	struct vmm_rewind *rw = vm->rewind;
	int ret;

	if (!rw || !rw->moved)
		return 0;
	ret = axas_dirty_log_start(vm->space, 0, vm->ram_size, 0);
	rw->logging = !ret;
	return ret;
}

/**
 * vmm_rewind_unmarked() - whether the guest's mark is still to come
 * @vm: the guest
 *
 * Context: any; the answer may change at once (the mark is taken under
 * the migration's lock, which the caller does not hold).
 * Return: true with rewind= on and no snapshot taken yet.
 */
bool vmm_rewind_unmarked(struct vmm_vm *vm)
{
	return vm->rewind && !READ_ONCE(vm->rewind->marked);
}

/* memcpy() of @pages pages from the oracle's copy, for the comparison. */
static s64 rw_memcpy(struct vmm_rewind *rw, unsigned long pages)
{
	ktime_t t0 = ktime_get();
	unsigned long i, n;

	pages = min(pages, rw->pages);
	for (i = 0; i < pages; i += n) {
		n = min(pages - i, (unsigned long)RW_CHUNK);
		memcpy(rw->buf, rw->image + (i << RW_SHIFT), n << RW_SHIFT);
	}
	return vmm_since(t0);
}

/* A restore, then the oracle, then the state; the guest resumes at the mark. */
static int rw_restore(struct vmm_vcpu *vcpu, struct vmm_rewind *rw)
{
	struct vmm_vm *vm = vcpu->vm;
	unsigned int i = rw->done;
	ktime_t t0;
	s64 shift;
	long ret;

	ret = axas_dirty_log_get(vm->space, 0, vm->ram_size, rw->written);
	if (ret < 0)
		return ret;
	/* The snapshot moved: what the migration copied since is written too. */
	if (rw->moved && !i)
		bitmap_or(rw->written, rw->written, vm->migrate->sent, rw->pages);
	rw->dirty[i] = bitmap_weight(rw->written, rw->pages);
	t0 = ktime_get();
	ret = axas_snapshot_restore(vm->space);
	rw->restore_ns[i] = vmm_since(t0);
	if (ret < 0)
		return ret;
	rw->restored[i] = ret;
	rw->memcpy_ns[i] = rw_memcpy(rw, ret);
	ret = axas_dirty_log_clear(vm->space, 0, vm->ram_size);
	if (ret)
		return ret;
	ret = rw_read_ram(vm, rw, NULL, rw_compare, &rw->differ[i]);
	if (ret)
		return ret;
	/* The guest's TSC goes on from the mark's value. */
	shift = rw->guest_tsc - rdtsc() - rw->state->vcpu[vcpu->index].regs.tsc_offset;
	ret = vmm_state_load(vcpu, rw->state, vmm_mem_root(vm), shift);
	if (ret)
		return ret;
	vmm_state_load_platform(vm, rw->state);
	rw->done++;
	return 0;
}

/**
 * vmm_ctl() - what the guest asked through the ctl port
 * @vcpu: the vCPU, out of guest mode, RIP past the OUT
 *
 * VMM_CTL_MARK: the snapshot (once). VMM_CTL_DONE: a run ended; a
 * restore unless all were done. An error stops the run.
 *
 * Context: the vCPU's thread, before its next entry; sleeps.
 * Return: nothing.
 */
void vmm_ctl(struct vmm_vcpu *vcpu)
{
	struct vmm_vm *vm = vcpu->vm;
	struct vmm_rewind *rw = vm->rewind;
	int ret = 0;

	if (!rw)
		return;
	if (vcpu->ctl == VMM_CTL_MARK && !rw->marked) {
		ret = rw_mark(vcpu, rw);
	} else if (vcpu->ctl == VMM_CTL_DONE && rw->marked) {
		rw->runs++;
		if (rw->done < rw->restores && !rw->logging) {
			/* The snapshot waits in the destination. */
			rw->error = -EBUSY;
			vmm_stop(vm, VMM_FAILED,
				 "rewind: the run ended before the migration moved the guest");
			return;
		}
		if (rw->done < rw->restores)
			ret = rw_restore(vcpu, rw);
	}
	if (ret && !rw->error) {
		rw->error = ret;
		vmm_stop(vm, VMM_FAILED, "rewind: %s failed: %d%s",
			 vcpu->ctl == VMM_CTL_MARK ? "the mark" : "a restore", ret,
			 ret == -EAGAIN ? " (the migration's first pass had not ended)" : "");
	}
}

/**
 * vmm_rewind_end() - the snapshot and the dirty log go
 * @vm: the guest, stopped
 *
 * Context: process context (vm->finish()); sleeps.
 * Return: nothing.
 */
void vmm_rewind_end(struct vmm_vm *vm)
{
	struct vmm_rewind *rw = vm->rewind;

	if (!rw || !rw->marked || !vm->space)
		return;
	if (rw->logging && axas_dirty_log_stop(vm->space) && !rw->error)
		rw->error = -EIO;
	if (axas_snapshot_drop(vm->space) && !rw->error)
		rw->error = -EIO;
}
