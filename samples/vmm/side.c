// SPDX-License-Identifier: GPL-2.0
/*
 * Threads beside the vCPUs that work on a running guest's memory: the
 * pre-copy (precopy.c) and the migration (migrate.c). Each begins once
 * every vCPU runs and, when the VMM waits for a line of the guest's
 * console, once that line came (armed); it ends its work on its own and
 * then waits for the VMM's end of the run to stop it, so that the VMM
 * frees what it used only after it is gone.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kthread.h>
#include <linux/sched/task.h>
#include "vmm.h"

/**
 * vmm_side_start() - start a side thread if it is time
 * @vm: the guest
 * @side: the thread's state
 * @fn: its function (called with @vm)
 * @what: its name, after the module's, for the thread and a failure
 *
 * Starts the thread once: when every vCPU has started and it is armed.
 * Called as each vCPU starts and when the console arms it.
 *
 * Context: a vCPU's thread; sleeps.
 * Return: 0, or kthread_run()'s errno (the run is stopped with it).
 */
int vmm_side_start(struct vmm_vm *vm, struct vmm_side *side,
		   int (*fn)(void *), const char *what)
{
	struct task_struct *task;

	if (!READ_ONCE(side->armed) || !vmm_running(vm) ||
	    atomic_read(&vm->started) < vm->nr_vcpus ||
	    atomic_cmpxchg(&side->launched, 0, 1))
		return 0;
	task = kthread_run(fn, vm, "%s-%s", KBUILD_MODNAME, what);
	if (IS_ERR(task)) {
		vmm_stop(vm, VMM_FAILED, "%s: kthread_run() = %ld", what, PTR_ERR(task));
		return PTR_ERR(task);
	}
	get_task_struct(task);
	side->task = task;
	return 0;
}

/**
 * vmm_side_arm() - the guest's console said to begin
 * @vm: the guest
 * @side: the thread's state
 * @fn: its function
 * @what: its name
 *
 * Context: a vCPU's thread; sleeps.
 * Return: as vmm_side_start().
 */
int vmm_side_arm(struct vmm_vm *vm, struct vmm_side *side, int (*fn)(void *),
		 const char *what)
{
	WRITE_ONCE(side->armed, true);
	return vmm_side_start(vm, side, fn, what);
}

/**
 * vmm_side_park() - a side thread's work is done: wait to be stopped
 *
 * Context: the side thread; sleeps.
 * Return: nothing.
 */
void vmm_side_park(void)
{
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
}

/**
 * vmm_side_stop() - stop a side thread, if it was started
 * @side: the thread's state
 *
 * Context: process context (vm->finish()); sleeps.
 * Return: nothing.
 */
void vmm_side_stop(struct vmm_side *side)
{
	if (!side->task)
		return;
	kthread_stop(side->task);
	put_task_struct(side->task);
	side->task = NULL;
}
