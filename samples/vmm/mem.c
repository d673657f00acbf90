// SPDX-License-Identifier: GPL-2.0
/*
 * Every axas call of the VMM, in one place: the guest's memory is an axas
 * space whose RAM is lazy alloc areas, so every page the guest touches
 * first is a nested fault that axas_fault() fills; the loader writes
 * through axas_write(); instructions the VMM must decode are fetched
 * through the guest's own page tables with axas_walk() and axas_read().
 *
 * The layout (vmm.h) is the e820 map's (loader.c): one area per range,
 *
 *	[0, 0x9f000)         low RAM            4 KiB frames   RWX
 *	[0x9f000, 0xff000)   EBDA, VGA, BIOS,   4 KiB frames   RW  (e820
 *	                     ACPI, SMBIOS                          reserved)
 *	[0xff000, 1 MiB)     the reset vector   4 KiB frame    RX  (reserved)
 *	[1 MiB, 2 MiB)       RAM                4 KiB frames   RWX
 *	[2 MiB, RAM end)     RAM                2 MiB frames (falling back
 *	                                        to 4 KiB) or 4 KiB      RWX
 *
 * and no area elsewhere: the guest's access there is a nested fault that
 * axas answers with -ENOENT, a device's MMIO (mmio.c: the local APIC's
 * page).
 *
 * With ramfile=1 the RAM above 2 MiB is instead a window of a memory file
 * (axas_memfile_create(), axas_map_file()), whose frames the file owns:
 * userspace reads and maps it (ramfile.c gives it the file), and the
 * file's last 2 MiB are shared memory, mapped at VMM_SHM_GPA in the
 * guest's space (outside the e820 map) and at 0 in a second space with no
 * vCPU (vm->shm), as a device model or a second guest would map it.
 *
 * Each call on the vCPU's path is timed (vmm_counts.axas_ns), for the
 * report's share of the host's time spent in axas.
 *
 * Every read and walk here faults lazy pages in (AXAS_COPY_FAULT,
 * AXAS_WALK_FAULT_IN), as the guest's CPU would have, so axas never
 * answers "not installed yet" (-ENODATA); a walk that needs a right the
 * guest's table page lacks (AXAS_WALK_NESTED_FAULT) is the nested fault
 * the CPU would have taken, handed to axas_fault() before the walk runs
 * again; any other errno stops the guest with its value: the walk flags,
 * the errnos and the answers are all read here, in one place.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/file.h>
#include <axas/axas.h>
#include <axas/memfile.h>
#include <axas/walk.h>
#include "vmm.h"

/* The pool's limits, and the frames one axas_prefill() may add. */
#define VMM_POOL_FRAMES		2048
#define VMM_POOL_BLOCKS		8
#define VMM_PREFILL_CHUNK	512

/* Time one axas call on @vcpu's path. */
#define vmm_axas(vcpu, call) ({						\
	ktime_t __t0 = ktime_get();					\
	typeof(call) __ret = (call);					\
	(vcpu)->counts.axas_ns += ktime_to_ns(ktime_sub(ktime_get(), __t0)); \
	(vcpu)->counts.axas_calls++;					\
	__ret;								\
})

/* No vCPU runs on the shared memory's space: nothing caches its translations. */
static void vmm_shm_flush(void *cookie, u64 gpa, u64 size)
{
}

/*
 * ramfile=1: the RAM of [@gpa, @gpa + @size) as the start of a memory
 * file, the shared memory after it, and the second space.
 */
static int vmm_mem_ramfile(struct vmm_vm *vm, u64 gpa, u64 size)
{
	struct axas_memfile_cfg mcfg = {
		.name = "linux-ram", .size = size + VMM_SHM_SIZE,
		.pgsize = vm->pgsize,
	};
	struct axas_space_cfg cfg = {
		.name = "linux-shm", .base = 0, .size = VMM_SHM_SIZE,
		.pt = vm->info.pt, .flush = vmm_shm_flush, .cookie = vm,
	};
	struct file *file;
	int ret;

	file = axas_memfile_create(&mcfg);
	if (IS_ERR(file)) {
		vmm_stop(vm, VMM_FAILED, "axas_memfile_create() = %ld", PTR_ERR(file));
		return PTR_ERR(file);
	}
	vm->ramfile = file;
	ret = axas_map_file(vm->space, gpa, size, file, 0, AXAS_PROT_RWX);
	if (!ret)
		ret = axas_map_file(vm->space, VMM_SHM_GPA, VMM_SHM_SIZE, file, size,
				    AXAS_PROT_READ | AXAS_PROT_WRITE);
	if (ret) {
		vmm_stop(vm, VMM_FAILED, "axas_map_file() = %d", ret);
		return ret;
	}
	vm->shm = axas_space_create(&cfg);
	if (IS_ERR(vm->shm)) {
		ret = PTR_ERR(vm->shm);
		vm->shm = NULL;
		vmm_stop(vm, VMM_FAILED, "axas_space_create(linux-shm) = %d", ret);
		return ret;
	}
	ret = axas_map_file(vm->shm, 0, VMM_SHM_SIZE, file, size,
			    AXAS_PROT_READ | AXAS_PROT_WRITE);
	if (ret)
		vmm_stop(vm, VMM_FAILED, "axas_map_file(linux-shm) = %d", ret);
	return ret;
}

/* The RAM's areas (see the top); with @ramfile, above 2 MiB a memory file. */
static int vmm_mem_areas(struct vmm_vm *vm, struct axas_space *space,
			 bool ramfile)
{
	const struct {
		u64 gpa, end;
		u32 prot;
		unsigned long pgsize;
	} areas[] = {
		{ 0, VMM_LOW_RAM_END, AXAS_PROT_RWX, SZ_4K },
		{ VMM_LOW_RAM_END, VMM_ROM,
		  AXAS_PROT_READ | AXAS_PROT_WRITE, SZ_4K },
		{ VMM_ROM, VMM_HIGH_RAM, AXAS_PROT_READ | AXAS_PROT_EXEC, SZ_4K },
		{ VMM_HIGH_RAM, SZ_2M, AXAS_PROT_RWX, SZ_4K },
		{ SZ_2M, vm->ram_size, AXAS_PROT_RWX, vm->pgsize },
	};
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(areas); i++) {
		if (ramfile && areas[i].gpa == SZ_2M)
			return vmm_mem_ramfile(vm, areas[i].gpa,
					       areas[i].end - areas[i].gpa);
		/* Lazy: no AXAS_AREA_POPULATE. */
		ret = axas_map_alloc(space, areas[i].gpa,
				     areas[i].end - areas[i].gpa,
				     areas[i].prot, areas[i].pgsize);
		if (ret) {
			vmm_stop(vm, VMM_FAILED, "axas_map_alloc(%#llx, %#llx) = %d",
				 areas[i].gpa, areas[i].end - areas[i].gpa, ret);
			return ret;
		}
	}
	return 0;
}

/* A space of the guest's size, with the pool of prefill=1; no area yet. */
static struct axas_space *vmm_mem_new(struct vmm_vm *vm, const char *name)
{
	struct axas_space_cfg cfg = {
		.name = name,
		.base = 0,
		.size = VMM_SPACE_SIZE,
		.pt = vm->info.pt,
		.flush = vmm_flush,
		.cookie = vm,
	};
	struct axas_space *space;
	int ret;

	space = axas_space_create(&cfg);
	if (IS_ERR(space)) {
		vmm_stop(vm, VMM_FAILED, "axas_space_create(%s) = %ld", name,
			 PTR_ERR(space));
		return space;
	}
	/*
	 * Frames zeroed while the guest halts, for the faults to come: 8 MiB
	 * of 4 KiB frames, and 16 MiB of 2 MiB ones where the RAM has them.
	 */
	if (vm->prefill) {
		ret = axas_pool_limit(space, VMM_POOL_FRAMES,
				      vm->pgsize == SZ_2M ? VMM_POOL_BLOCKS : 0);
		if (ret) {
			vmm_stop(vm, VMM_FAILED, "axas_pool_limit() = %d", ret);
			axas_space_destroy(space);
			return ERR_PTR(ret);
		}
	}
	return space;
}

/**
 * vmm_mem_space() - a second space of the guest's layout
 * @vm: the guest (not ramfile=1)
 * @name: the space's name
 *
 * A migration's destination (migrate.c): the areas of the guest's own
 * space, lazy and empty. Its flush callback is vmm_flush(), as the
 * guest's vCPUs will run on it.
 *
 * Context: process context; sleeps.
 * Return: the space, or an ERR_PTR (the run is stopped with why).
 */
struct axas_space *vmm_mem_space(struct vmm_vm *vm, const char *name)
{
	struct axas_space *space = vmm_mem_new(vm, name);
	int ret;

	if (IS_ERR(space))
		return space;
	ret = vmm_mem_areas(vm, space, false);
	if (ret) {
		axas_space_destroy(space);
		return ERR_PTR(ret);
	}
	return space;
}

int vmm_mem_create(struct vmm_vm *vm)
{
	struct axas_space *space = vmm_mem_new(vm, "linux");

	if (IS_ERR(space))
		return PTR_ERR(space);
	vm->space = space;
	return vmm_mem_areas(vm, space, vm->shared_ram);
}

/*
 * Shut the space down (its frames and table pages go, the root stays),
 * say in @after what that left, then destroy it.
 */
void vmm_mem_destroy(struct vmm_vm *vm, struct axas_space_stats *after)
{
	memset(after, 0, sizeof(*after));
	/* Userspace gets the file no more; what it holds keeps the memory. */
	vmm_ramdev_unpublish(vm);
	axas_space_destroy(vm->shm);
	vm->shm = NULL;
	if (vm->space) {
		axas_space_shutdown(vm->space);
		axas_space_get_stats(vm->space, after);
		axas_space_destroy(vm->space);
		vm->space = NULL;
	}
	/* The last view went: the file's reference is the last but userspace's. */
	if (vm->ramfile)
		fput(vm->ramfile);
	vm->ramfile = NULL;
}

int vmm_mem_ramfile_stats(struct vmm_vm *vm, struct axas_memfile_stats *st)
{
	return axas_memfile_get_stats(vm->ramfile, st);
}

/*
 * The shared memory, both ways: a word written through the second space
 * is read through the guest's, and another written through the guest's
 * space is read through the second (userspace checks both through its
 * own mapping of the file). 0, -EIO when a read differs, or an errno
 * from axas.
 */
int vmm_mem_shm_check(struct vmm_vm *vm, u64 token)
{
	u64 back = 0, other = ~token;
	int ret;

	ret = axas_write(vm->shm, 0, &token, 8, AXAS_COPY_FAULT);
	if (!ret)
		ret = axas_read(vm->space, VMM_SHM_GPA, &back, 8, AXAS_COPY_FAULT);
	if (!ret && back != token)
		ret = -EIO;
	if (!ret)
		ret = axas_write(vm->space, VMM_SHM_GPA + 8, &other, 8, AXAS_COPY_FAULT);
	if (!ret)
		ret = axas_read(vm->shm, 8, &back, 8, AXAS_COPY_FAULT);
	if (!ret && back != other)
		ret = -EIO;
	pr_info("linux: shared memory: %#llx written through space linux-shm, read through the guest's at %#llx; %#llx the other way: %s (%d)\n",
		token, VMM_SHM_GPA, other, ret ? "FAIL" : "both ways", ret);
	return ret;
}

u64 vmm_mem_root(struct vmm_vm *vm)
{
	return axas_space_root(vm->space);
}

void vmm_mem_stats(struct vmm_vm *vm, struct axas_space_stats *st)
{
	axas_space_get_stats(vm->space, st);
}

/* The loader's writes: lazy pages are faulted in as they are written. */
int vmm_mem_write(struct vmm_vm *vm, u64 gpa, const void *buf, size_t len)
{
	return axas_write(vm->space, gpa, buf, len, AXAS_COPY_FAULT);
}

/*
 * A nested fault: axas installs the frame (AXAS_FAULT_INSTALLED), finds
 * it there already (AXAS_FAULT_SPURIOUS), or refuses: -ENOENT where no
 * area is, -EACCES for rights the area does not give, -ENOMEM.
 */
int vmm_mem_fault(struct vmm_vcpu *vcpu, const struct vmm_fault *f)
{
	struct vmm_vm *vm = vcpu->vm;
	s64 before = vcpu->counts.axas_ns;
	int ret = vmm_axas(vcpu, axas_fault(vm->space, f->gpa, f->access));

	vcpu->counts.fault_ns += vcpu->counts.axas_ns - before;
	return ret;
}

/*
 * Idle time (the guest halted, no interrupt due yet): zero one chunk of
 * frames for the guest's next faults. The vCPU's thread pays for it, in
 * time it would have slept. Return: frames added; 0 when the pool is
 * full (or memory short); a negative errno.
 */
long vmm_mem_prefill(struct vmm_vcpu *vcpu)
{
	ktime_t t0 = ktime_get();
	long ret = axas_prefill(vcpu->vm->space, VMM_PREFILL_CHUNK);

	vcpu->counts.prefill_ns += ktime_to_ns(ktime_sub(ktime_get(), t0));
	if (ret > 0)
		vcpu->counts.prefill_frames += ret;
	return ret;
}

/* The guest's paging state, as the exit left it, for axas_walk(). */
static void vmm_walk_state(struct vmm_vcpu *vcpu, struct axas_walk_state *st)
{
	const struct vmm_regs *r = &vcpu->regs;

	memset(st, 0, sizeof(*st));
	st->cr0 = r->cr0;
	st->cr3 = r->cr3;
	st->cr4 = r->cr4;
	st->efer = r->efer;
	st->rflags = r->rflags;
	st->cpl = r->cpl;
	st->maxphyaddr = vcpu->vm->info.maxphyaddr;
	/* cpuid.c offers no 1 GiB pages. */
	st->flags = AXAS_GUEST_NO_1G;
}

/*
 * An answer of axas_walk() or axas_gva_read() as this VMM acts on it: 0;
 * -EFAULT when the guest would take a page fault; -EAGAIN after the
 * nested fault the guest's own walk would have taken was handled (walk
 * again); another errno from axas (an answer this VMM does not know is
 * -EINVAL).
 */
static int vmm_walk_answer(struct vmm_vcpu *vcpu, int ret,
			   const struct axas_walk_result *res)
{
	if (ret == AXAS_WALK_PAGE_FAULT)
		return -EFAULT;
	if (ret == AXAS_WALK_NESTED_FAULT) {
		ret = vmm_axas(vcpu, axas_fault(vcpu->vm->space, res->table_gpa,
						res->nested_access));
		return ret < 0 ? ret : -EAGAIN;
	}
	return ret > 0 ? -EINVAL : ret;
}

/* Tries of a walk whose table pages the VMM faults in first. */
#define VMM_WALK_TRIES	4

/*
 * The GPA of @gva, for a read or a write, through the guest's page tables
 * with its rights. Return: 0; -EFAULT when the guest would take a page
 * fault; another errno from axas.
 */
int vmm_mem_translate(struct vmm_vcpu *vcpu, u64 gva, bool write, u64 *gpa)
{
	struct vmm_vm *vm = vcpu->vm;
	struct axas_walk_state st;
	struct axas_walk_result res;
	int ret = -EAGAIN, tries;

	vmm_walk_state(vcpu, &st);
	for (tries = 0; ret == -EAGAIN && tries < VMM_WALK_TRIES; tries++)
		ret = vmm_walk_answer(vcpu, vmm_axas(vcpu, axas_walk(vm->space, &st, gva,
				      (write ? AXAS_WALK_WRITE : 0) | AXAS_WALK_FAULT_IN,
				      &res)), &res);
	if (!ret)
		*gpa = res.gpa;
	return ret;
}

/*
 * Fetch @len bytes of the instruction at RIP, through the guest's page
 * tables with the fetch's rights, across a page boundary if it crosses
 * one, in one axas_gva_read(). A table or code page not faulted in yet is
 * faulted in (the guest's CPU would have, to run the instruction).
 * Return: 0; -EFAULT when the guest itself would take a page fault there;
 * another errno from axas.
 */
int vmm_mem_fetch(struct vmm_vcpu *vcpu, void *buf, size_t len)
{
	struct vmm_vm *vm = vcpu->vm;
	struct axas_walk_state st;
	struct axas_walk_result res;
	int ret = -EAGAIN, tries;

	vmm_walk_state(vcpu, &st);
	for (tries = 0; ret == -EAGAIN && tries < VMM_WALK_TRIES; tries++)
		ret = vmm_walk_answer(vcpu, vmm_axas(vcpu, axas_gva_read(vm->space, &st,
				      vcpu->regs.rip, buf, len,
				      AXAS_WALK_FETCH | AXAS_WALK_FAULT_IN, &res)),
				      &res);
	return ret;
}
