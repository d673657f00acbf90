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
 * axas answers with -ENOENT, which would be a device's MMIO; this platform
 * has none (its local APIC is in x2APIC mode, reached through MSRs).
 *
 * Each call on the vCPU's path is timed (vmm_counts.axas_ns), for the
 * report's share of the host's time spent in axas.
 *
 * Every read and walk here faults lazy pages in (AXAS_COPY_FAULT,
 * AXAS_WALK_FAULT_IN), as the guest's CPU would have, so axas never
 * answers "not faulted in yet" (-EFAULT today, -ENODATA to come); any
 * errno stops the guest with its value, and an answer of axas_walk() this
 * VMM does not know becomes -EINVAL: the walk flags, the errnos and the
 * answers are all read here, in one place.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <axas/axas.h>
#include <axas/walk.h>
#include "vmm.h"

/* Time one axas call on the vCPU's path. */
#define vmm_axas(vm, call) ({						\
	ktime_t __t0 = ktime_get();					\
	typeof(call) __ret = (call);					\
	(vm)->counts.axas_ns += ktime_to_ns(ktime_sub(ktime_get(), __t0)); \
	(vm)->counts.axas_calls++;					\
	__ret;								\
})

int vmm_mem_create(struct vmm_vm *vm)
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
	struct axas_space_cfg cfg = {
		.name = "linux",
		.base = 0,
		.size = VMM_SPACE_SIZE,
		.pt = vm->info.pt,
		.flush = vmm_flush,
		.cookie = vm,
	};
	unsigned int i;
	int ret;

	vm->space = axas_space_create(&cfg);
	if (IS_ERR(vm->space)) {
		ret = PTR_ERR(vm->space);
		vm->space = NULL;
		vmm_stop(vm, VMM_FAILED, "axas_space_create() = %d", ret);
		return ret;
	}
	for (i = 0; i < ARRAY_SIZE(areas); i++) {
		/* Lazy: no AXAS_AREA_POPULATE. */
		ret = axas_map_alloc(vm->space, areas[i].gpa,
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

/*
 * Shut the space down (its frames and table pages go, the root stays),
 * say in @after what that left, then destroy it.
 */
void vmm_mem_destroy(struct vmm_vm *vm, struct axas_space_stats *after)
{
	memset(after, 0, sizeof(*after));
	if (!vm->space)
		return;
	axas_space_shutdown(vm->space);
	axas_space_get_stats(vm->space, after);
	axas_space_destroy(vm->space);
	vm->space = NULL;
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

	return vmm_axas(vm, axas_fault(vm->space, f->gpa, f->access));
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
	st->flags = AXAS_WALK_NO_1G;
}

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
	int ret;

	vmm_walk_state(vcpu, &st);
	ret = vmm_axas(vm, axas_walk(vm->space, &st, gva,
				     (write ? AXAS_WALK_WRITE : 0) | AXAS_WALK_FAULT_IN,
				     &res));
	if (ret == AXAS_WALK_PAGE_FAULT)
		return -EFAULT;
	if (ret)
		return ret < 0 ? ret : -EINVAL;
	*gpa = res.gpa;
	return 0;
}

/*
 * Fetch @len bytes of the instruction at RIP, through the guest's page
 * tables with its rights, across a page boundary if it crosses one. A
 * table or code page not faulted in yet is faulted in (the guest's CPU
 * would have, to run the instruction). Return: 0; -EFAULT when the guest
 * itself would take a page fault there; another errno from axas.
 */
int vmm_mem_fetch(struct vmm_vcpu *vcpu, void *buf, size_t len)
{
	struct vmm_vm *vm = vcpu->vm;
	struct axas_walk_state st;
	struct axas_walk_result res;
	u64 gva = vcpu->regs.rip;
	size_t done = 0, chunk;
	int ret;

	vmm_walk_state(vcpu, &st);
	while (done < len) {
		ret = vmm_axas(vm, axas_walk(vm->space, &st, gva + done,
					     AXAS_WALK_FETCH | AXAS_WALK_FAULT_IN,
					     &res));
		if (ret == AXAS_WALK_PAGE_FAULT)
			return -EFAULT;
		/* A negative errno, or an answer this VMM does not know. */
		if (ret)
			return ret < 0 ? ret : -EINVAL;
		chunk = min_t(size_t, len - done,
			      PAGE_SIZE - offset_in_page(gva + done));
		ret = vmm_axas(vm, axas_read(vm->space, res.gpa, buf + done,
					     chunk, AXAS_COPY_FAULT));
		if (ret)
			return ret;
		done += chunk;
	}
	return 0;
}
