// SPDX-License-Identifier: GPL-2.0
/*
 * axas_template - the part of a VMM module that uses axas, to copy.
 *
 * What a VMM does with axas, in the order it does it: create the guest's
 * address space, map its memory, answer EPT violations and nested page
 * faults, copy to and from guest memory, shut down and destroy. It runs
 * no guest: where a VMM would enter one, a comment says so, and module
 * init reports the two faults a first guest run would cause.
 *
 * It builds against an installed axas only (Makefile and Kbuild here;
 * axas's Documentation/building.rst). Load axas.ko first.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pgtable.h>
#include <linux/sizes.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <axas/axas.h>

/* The guest's physical memory map. */
#define TMPL_SPACE_SIZE		SZ_4G
#define TMPL_RAM_GPA		0x0ULL		/* RAM: lazy, 2 MiB frames */
#define TMPL_RAM_SIZE		SZ_64M
#define TMPL_SHARED_GPA		0xfe000000ULL	/* one host page, shared */
#define TMPL_MMIO_GPA		0xfec00000ULL	/* an emulated device: no area */

struct tmpl_vm {
	struct axas_space *space;
	struct page *shared;	/* the host page at TMPL_SHARED_GPA */
};

static struct tmpl_vm tmpl_vm;

/*
 * axas removed or reduced the translations of [gpa, gpa + size) and frees
 * their frames as soon as this returns: no CPU may use them any more then
 * (axas_flush_fn in <axas/axas.h>). A VMM with vCPUs sets a flush request
 * on each one (INVEPT, or the VMCB's TLB control, before its next entry;
 * checked with interrupts off), and kicks every vCPU in guest mode out
 * with an IPI it waits for: smp_call_function_single(cpu, fn, NULL, 1).
 * It must not call into the space, nor wait for a vCPU's fault to finish.
 */
static void tmpl_flush(void *cookie, u64 gpa, u64 size)
{
	pr_debug("flush [%#llx, %#llx)\n", gpa, gpa + size);
}

/* The table format and what the CPU supports of it. */
static int tmpl_pt_cfg(struct axas_pt_cfg *pt)
{
	if (boot_cpu_has(X86_FEATURE_VMX)) {
		u64 cap;

		if (rdmsrl_safe(MSR_IA32_VMX_EPT_VPID_CAP, &cap))
			return -ENODEV;
		pt->format = AXAS_PT_EPT;
		pt->levels = 4;		/* EPT chooses its walk length */
		pt->caps = axas_pt_caps_from_ept(cap, false,
						 boot_cpu_data.x86_phys_bits);
		return 0;
	}
	if (boot_cpu_has(X86_FEATURE_SVM) && boot_cpu_has(X86_FEATURE_NPT)) {
		pt->format = AXAS_PT_NPT;
		pt->levels = pgtable_l5_enabled() ? 5 : 4;	/* the host's */
		pt->caps = axas_pt_caps_from_npt(pgtable_l5_enabled(),
						 boot_cpu_has(X86_FEATURE_GBPAGES),
						 boot_cpu_data.x86_phys_bits);
		return 0;
	}
	return -ENODEV;
}

static int tmpl_vm_create(struct tmpl_vm *vm)
{
	struct axas_space_cfg cfg = {
		.name = "template",
		.base = 0,
		.size = TMPL_SPACE_SIZE,
		.flush = tmpl_flush,
		.cookie = vm,
	};
	int ret;

	ret = tmpl_pt_cfg(&cfg.pt);
	if (ret)
		return ret;
	vm->space = axas_space_create(&cfg);
	if (IS_ERR(vm->space))
		return PTR_ERR(vm->space);

	/* RAM: nothing allocated now; faults install frames as it is touched. */
	ret = axas_map_alloc(vm->space, TMPL_RAM_GPA, TMPL_RAM_SIZE,
			     AXAS_PROT_RWX, SZ_2M);
	if (ret)
		goto out_destroy;

	/*
	 * A page of host RAM that the VMM and the guest share. Reserved memory
	 * (memmap=) and device ranges are mapped the same way, without
	 * AXAS_AREA_HOST_RAM, which allows memory the page allocator owns.
	 */
	vm->shared = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!vm->shared) {
		ret = -ENOMEM;
		goto out_destroy;
	}
	ret = axas_map_linear(vm->space, TMPL_SHARED_GPA,
			      page_to_phys(vm->shared), PAGE_SIZE,
			      AXAS_PROT_READ | AXAS_PROT_WRITE | AXAS_AREA_HOST_RAM);
	if (ret)
		goto out_free_shared;
	return 0;

out_free_shared:
	__free_page(vm->shared);
out_destroy:
	axas_space_destroy(vm->space);
	return ret;
}

/* Stop the guest for good. */
static void tmpl_vm_destroy(struct tmpl_vm *vm)
{
	/*
	 * Unmaps everything and flushes; a vCPU still in the guest now only
	 * faults, and axas_fault() answers -ESHUTDOWN.
	 */
	axas_space_shutdown(vm->space);
	/* Here: stop the vCPU threads. No call into the space may follow. */
	axas_space_destroy(vm->space);
	/* The VMM's own page, unmapped and flushed by the shutdown. */
	__free_page(vm->shared);
}

/* Put the guest's first code into its RAM. */
static int tmpl_load_guest(struct tmpl_vm *vm)
{
	static const u8 code[] = { 0xf4 };	/* hlt */
	u64 word = 0x1234;
	int ret;

	/* Lazy RAM: AXAS_COPY_FAULT faults the frame in (else -EFAULT). */
	ret = axas_write(vm->space, TMPL_RAM_GPA + SZ_1M, code, sizeof(code),
			 AXAS_COPY_FAULT);
	if (ret)
		return ret;
	ret = axas_write(vm->space, TMPL_SHARED_GPA, &word, sizeof(word), 0);
	if (ret)
		return ret;
	ret = axas_read(vm->space, TMPL_SHARED_GPA, &word, sizeof(word), 0);
	if (ret)
		return ret;
	return word == 0x1234 ? 0 : -EIO;
}

/* An access to the device at TMPL_MMIO_GPA. */
static bool tmpl_emulate_mmio(struct tmpl_vm *vm, u64 gpa, unsigned int access)
{
	/*
	 * Decode the instruction at the guest's RIP (its GPA from the guest's
	 * page tables, its bytes with axas_read()), emulate the access,
	 * advance RIP.
	 */
	pr_info("device %s at %#llx emulated\n",
		access & AXAS_ACCESS_WRITE ? "write" : "read", gpa);
	return true;
}

/*
 * An EPT violation (exit qualification bits 0-2 give @access) or a nested
 * page fault (EXITINFO1: W, ID) at @gpa. Returns true to resume the guest.
 */
static bool tmpl_handle_fault(struct tmpl_vm *vm, u64 gpa, unsigned int access)
{
	int ret = axas_fault(vm->space, gpa, access);

	switch (ret) {
	case AXAS_FAULT_INSTALLED:	/* a frame is mapped now */
	case AXAS_FAULT_SPURIOUS:	/* another vCPU was first, or stale TLB */
		return true;
	case -ENOENT:			/* no area there: a device */
		if (gpa >= TMPL_MMIO_GPA && gpa < TMPL_MMIO_GPA + PAGE_SIZE)
			return tmpl_emulate_mmio(vm, gpa, access);
		pr_err("guest access to %#llx: no memory, no device\n", gpa);
		return false;
	case -EACCES:			/* the area forbids it: the VMM's policy */
		pr_err("guest access %#x to %#llx denied\n", access, gpa);
		return false;
	default:			/* -ENOMEM; -ESHUTDOWN when stopping */
		pr_err("axas_fault(%#llx) = %d\n", gpa, ret);
		return false;
	}
}

static int __init tmpl_init(void)
{
	struct tmpl_vm *vm = &tmpl_vm;
	int ret;

	ret = tmpl_vm_create(vm);
	if (ret)
		return ret;
	ret = tmpl_load_guest(vm);
	if (ret)
		goto out_destroy;

	/*
	 * Here: the VMCS's EPT pointer or the VMCB's nCR3 is
	 * axas_space_root(vm->space); run the vCPUs. Their first exits:
	 */
	if (!tmpl_handle_fault(vm, TMPL_RAM_GPA + SZ_2M, AXAS_ACCESS_WRITE) ||
	    !tmpl_handle_fault(vm, TMPL_MMIO_GPA, AXAS_ACCESS_READ)) {
		ret = -EIO;
		goto out_destroy;
	}
	pr_info("root %#llx\n", axas_space_root(vm->space));
	return 0;

out_destroy:
	tmpl_vm_destroy(vm);
	return ret;
}

static void __exit tmpl_exit(void)
{
	tmpl_vm_destroy(&tmpl_vm);
}

module_init(tmpl_init);
module_exit(tmpl_exit);

MODULE_DESCRIPTION("A VMM's use of axas: a template to copy");
MODULE_LICENSE("GPL");
AXAS_IMPORT_NS();
