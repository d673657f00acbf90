// SPDX-License-Identifier: GPL-2.0
/*
 * The pre-copy of a live migration (precopy_ms=): a thread keeps a copy of
 * the guest's RAM, what a migration's destination would hold, current
 * from axas's dirty log while the vCPUs run, and checks it with them
 * paused. It is the test of what axas promises across CPUs: a harvest
 * clears dirty flags (NPT; EPT with A/D) while vCPUs on other CPUs write,
 * and its flush callback (vcpu.c) must not return while one of them can
 * still write through a translation cached with the flag set, which lets
 * a write through without setting the flag again.
 *
 * It starts dirty logging, copies all of RAM while the vCPUs run (a page
 * written meanwhile is reported by the first harvest), then goes round:
 *
 *  1. harvest (axas_dirty_log_get()) while the vCPUs run, and copy the
 *     pages it reported (axas_read_present()): the copy is then current
 *     but for the pages written since their flag was cleared, which the
 *     next harvest reports;
 *  2. pause the vCPUs (vmm_pause(): none is in guest mode any more);
 *  3. harvest again: the pages written since step 1;
 *  4. compare with the copy each page step 1 copied that step 3 did not
 *     report: none may differ. One that does was written after its copy
 *     without its dirty flag being set: through a translation that the
 *     flush of step 1 should have taken from the vCPU that wrote;
 *  5. copy the pages of step 3, and resume the vCPUs (vmm_resume()).
 *
 * A page that differs ends the run as a failure. Once the guest has
 * stopped, a last harvest and copy, and every page of RAM is compared
 * with the copy.
 *
 * The rounds begin once every vCPU runs and, with precopy_after=, once
 * the guest's console has printed a line that begins with it. Dirty
 * logging splits the huge leaves into 4 KiB ones, and faults install 4 KiB
 * frames meanwhile; it stops at the end, and the leaves it split go back
 * to 2 MiB where their frames line up.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/kthread.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <axas/axas.h>
#include "vmm.h"

#define PC_SHIFT	12			/* guest pages of 4 KiB */
#define PC_CHUNK	64			/* pages per axas_read_present() */

/**
 * vmm_precopy_init() - get the pre-copy ready
 * @vm: the guest, its RAM size known
 * @ms: the time between two rounds
 * @armed: false to wait for vmm_precopy_arm()
 *
 * Context: process context; sleeps.
 * Return: 0, or -ENOMEM (the copy needs as much memory as the guest's RAM).
 */
int vmm_precopy_init(struct vmm_vm *vm, unsigned int ms, bool armed)
{
	struct vmm_precopy *pc = kzalloc(sizeof(*pc), GFP_KERNEL);

	if (!pc)
		return -ENOMEM;
	vm->precopy = pc;
	pc->ms = ms;
	pc->side.armed = armed;
	pc->pages = vm->ram_size >> PC_SHIFT;
	pc->copy = vzalloc(vm->ram_size);
	pc->dirty = bitmap_zalloc(pc->pages, GFP_KERNEL);
	pc->paused = bitmap_zalloc(pc->pages, GFP_KERNEL);
	pc->buf = vmalloc(PC_CHUNK << PC_SHIFT);
	if (!pc->copy || !pc->dirty || !pc->paused || !pc->buf)
		return -ENOMEM;
	return 0;
}

/* Free what vmm_precopy_init() allocated; the thread has ended. */
void vmm_precopy_free(struct vmm_vm *vm)
{
	struct vmm_precopy *pc = vm->precopy;

	if (!pc)
		return;
	vfree(pc->buf);
	bitmap_free(pc->paused);
	bitmap_free(pc->dirty);
	vfree(pc->copy);
	kfree(pc);
	vm->precopy = NULL;
}

/*
 * Copy the pages set in @map into the copy, a run of them per call;
 * *@count adds them. Return: 0 or axas's errno.
 */
static int precopy_copy(struct vmm_vm *vm, struct vmm_precopy *pc,
			const unsigned long *map, u64 *count)
{
	unsigned long present[BITS_TO_LONGS(PC_CHUNK)];
	unsigned long start, end, n;
	long ret;

	for_each_set_bitrange(start, end, map, pc->pages) {
		for (; start < end; start += n) {
			n = min(end - start, (unsigned long)PC_CHUNK);
			ret = axas_read_present(vm->space, (u64)start << PC_SHIFT,
						pc->copy + ((u64)start << PC_SHIFT),
						n << PC_SHIFT, present);
			if (ret < 0)
				return ret;
			*count += n;
		}
	}
	return 0;
}

/*
 * Compare pages [@first, @first + @n) of guest memory with the copy.
 * Return: how many differ (the first one's GPA in *@gpa), or axas's errno.
 */
static long precopy_compare(struct vmm_vm *vm, struct vmm_precopy *pc,
			    unsigned long first, unsigned long n, u64 *gpa)
{
	unsigned long present[BITS_TO_LONGS(PC_CHUNK)];
	u64 at = (u64)first << PC_SHIFT;
	unsigned long i;
	long ret, differ = 0;

	ret = axas_read_present(vm->space, at, pc->buf, n << PC_SHIFT, present);
	if (ret < 0)
		return ret;
	for (i = 0; i < n; i++) {
		if (!memcmp(pc->buf + (i << PC_SHIFT),
			    pc->copy + at + (i << PC_SHIFT), 1 << PC_SHIFT))
			continue;
		if (!differ++)
			*gpa = at + (i << PC_SHIFT);
	}
	return differ;
}

/* Steps 3 to 5 of a round, with the vCPUs paused (see the top). */
static int precopy_paused(struct vmm_vm *vm, struct vmm_precopy *pc)
{
	unsigned long i;
	u64 gpa = 0;
	long ret;

	ret = axas_dirty_log_get(vm->space, 0, vm->ram_size, pc->paused);
	if (ret < 0)
		return ret;
	for_each_set_bit(i, pc->dirty, pc->pages) {
		if (test_bit(i, pc->paused))
			continue;
		ret = precopy_compare(vm, pc, i, 1, &gpa);
		if (ret < 0)
			return ret;
		pc->checked++;
		if (ret && !pc->differ++)
			pc->first_differ = gpa;
	}
	return precopy_copy(vm, pc, pc->paused, &pc->copied_paused);
}

static int precopy_round(struct vmm_vm *vm, struct vmm_precopy *pc)
{
	ktime_t t0;
	s64 ns;
	long ret;

	ret = axas_dirty_log_get(vm->space, 0, vm->ram_size, pc->dirty);
	if (ret >= 0)
		ret = precopy_copy(vm, pc, pc->dirty, &pc->copied_running);
	if (ret < 0)
		return ret;
	vmm_pause(vm);
	t0 = ktime_get();
	ret = precopy_paused(vm, pc);
	ns = ktime_to_ns(ktime_sub(ktime_get(), t0));
	vmm_resume(vm);
	pc->pause_ns += ns;
	pc->pause_max_ns = max(pc->pause_max_ns, ns);
	pc->rounds++;
	return ret;
}

/* The first pass: every page, the vCPUs running. */
static long precopy_first(struct vmm_vm *vm, struct vmm_precopy *pc)
{
	unsigned long present[BITS_TO_LONGS(PC_CHUNK)];
	unsigned long first, n;
	long ret = 0;

	for (first = 0; ret >= 0 && first < pc->pages; first += n) {
		n = min(pc->pages - first, (unsigned long)PC_CHUNK);
		ret = axas_read_present(vm->space, (u64)first << PC_SHIFT,
					pc->copy + ((u64)first << PC_SHIFT),
					n << PC_SHIFT, present);
		if (ret > 0)
			pc->copied_first += ret;
		cond_resched();
	}
	return ret < 0 ? ret : 0;
}

static int vmm_precopy_thread(void *arg)
{
	struct vmm_vm *vm = arg;
	struct vmm_precopy *pc = vm->precopy;
	long ret;

	ret = axas_dirty_log_start(vm->space, 0, vm->ram_size, 0);
	if (!ret) {
		pc->on = true;
		pc->start_ns = ktime_to_ns(ktime_sub(ktime_get(), vm->start));
		ret = precopy_first(vm, pc);
	}
	while (!ret && !kthread_should_stop() && vmm_running(vm)) {
		ret = precopy_round(vm, pc);
		if (!ret && pc->differ)
			vmm_stop(vm, VMM_FAILED,
				 "pre-copy round %llu: %llu pages differ from their copy but were not reported written (the first at %#llx): a vCPU wrote through a translation the flush had to remove",
				 pc->rounds, pc->differ, pc->first_differ);
		if (!ret && !pc->differ)
			schedule_timeout_interruptible(msecs_to_jiffies(pc->ms));
	}
	if (ret) {
		pc->error = ret;
		vmm_stop(vm, VMM_FAILED, "pre-copy: an axas call answered %ld", ret);
	}
	/* vmm_precopy_end() stops this thread. */
	vmm_side_park();
	return 0;
}

/**
 * vmm_precopy_arm() - the guest's console said to begin
 * @vm: the guest
 *
 * Context: a vCPU's thread.
 * Return: nothing.
 */
void vmm_precopy_arm(struct vmm_vm *vm)
{
	struct vmm_precopy *pc = vm->precopy;

	int ret;

	if (!pc)
		return;
	ret = vmm_side_arm(vm, &pc->side, vmm_precopy_thread, "precopy");
	if (ret)
		pc->error = ret;
}

/**
 * vmm_precopy_start() - begin the rounds if it is time
 * @vm: the guest
 *
 * Starts the thread once: when every vCPU has started and the pre-copy
 * is armed. Called as each vCPU starts and when the console arms it.
 *
 * Context: a vCPU's thread; sleeps.
 * Return: nothing.
 */
void vmm_precopy_start(struct vmm_vm *vm)
{
	struct vmm_precopy *pc = vm->precopy;

	int ret;

	if (!pc)
		return;
	ret = vmm_side_start(vm, &pc->side, vmm_precopy_thread, "precopy");
	if (ret)
		pc->error = ret;
}

/**
 * vmm_precopy_end() - stop the rounds, and check the copy a last time
 * @vm: the guest, stopped: no vCPU runs it any more
 *
 * Stops the thread; then a last harvest and copy, every page of RAM
 * compared with the copy, and dirty logging stopped (the huge leaves it
 * split go back where their frames line up).
 *
 * Context: process context (vm->finish()); sleeps.
 * Return: nothing; the counts and the first error are in vm->precopy.
 */
void vmm_precopy_end(struct vmm_vm *vm)
{
	struct vmm_precopy *pc = vm->precopy;
	unsigned long first, n;
	u64 gpa = 0;
	long ret;

	if (!pc)
		return;
	vmm_side_stop(&pc->side);
	if (!pc->on)
		return;
	ret = axas_dirty_log_get(vm->space, 0, vm->ram_size, pc->paused);
	if (ret >= 0)
		ret = precopy_copy(vm, pc, pc->paused, &pc->copied_paused);
	for (first = 0; ret >= 0 && first < pc->pages; first += n) {
		n = min(pc->pages - first, (unsigned long)PC_CHUNK);
		ret = precopy_compare(vm, pc, first, n, &gpa);
		if (ret > 0 && !pc->final_differ)
			pc->first_differ = gpa;
		if (ret >= 0) {
			pc->final_differ += ret;
			pc->final_pages += n;
		}
		cond_resched();
	}
	if (ret < 0 && !pc->error)
		pc->error = ret;
	ret = axas_dirty_log_stop(vm->space);
	if (ret && !pc->error)
		pc->error = ret;
	pc->on = false;
}
