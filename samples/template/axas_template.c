// SPDX-License-Identifier: GPL-2.0
/*
 * axas_template - the part of a VMM module that uses axas, to copy.
 *
 * What a VMM does with axas, in the order it does it: create the guest's
 * address space, map its memory, flush stale translations when axas asks,
 * answer EPT violations and nested page faults, copy to and from guest
 * memory, shut down and destroy. It runs no guest: where a VMM would
 * enter one, a comment says so, and module init reports the two faults a
 * first guest run would cause.
 *
 * The flush callback is complete, not a stub: axas frees frames as soon
 * as it returns, so a VMM copied from a callback that does nothing would
 * let its guest use freed memory, and nothing would tell its author. The
 * kick-and-wait it does is the same on VMX and SVM, so it is written out
 * here (and built by axas's make template-check) rather than left to an
 * #error. What it needs from the vCPU's entry path is in tmpl_vcpu_enter():
 * the VM entry itself and the INVEPT or TLB control owed before it, the
 * two places only the VMM's own VMCS or VMCB code can fill in.
 *
 * It builds against an installed axas only (Makefile and Kbuild here;
 * axas's Documentation/building.rst). Load axas.ko first.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/irqflags.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pgtable.h>
#include <linux/sizes.h>
#include <linux/smp.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <axas/axas.h>

/* The API this file is written for (Documentation/changes.rst). */
#if AXAS_API_VERSION < 2
#error "axas 0.2.0 or later needed"
#endif

/* The guest's physical memory map. */
#define TMPL_SPACE_SIZE		SZ_4G
#define TMPL_RAM_GPA		0x0ULL		/* RAM: lazy, 2 MiB frames */
#define TMPL_RAM_SIZE		SZ_64M
#define TMPL_SHARED_GPA		0xfe000000ULL	/* one host page, shared */
#define TMPL_MMIO_GPA		0xfec00000ULL	/* an emulated device: no area */

#define TMPL_NR_VCPUS		1

/* Requests to a vCPU, honoured before its next entry. */
#define TMPL_REQ_FLUSH		0

struct tmpl_vcpu {
	unsigned long requests;
	bool in_guest;		/* from before the request check to the exit */
	int cpu;		/* where it entered last; -1: never */
};

struct tmpl_vm {
	struct axas_space *space;
	struct page *shared;	/* the host page at TMPL_SHARED_GPA */
	struct tmpl_vcpu vcpus[TMPL_NR_VCPUS];
};

static struct tmpl_vm tmpl_vm;

/* Runs on the vCPU's CPU once it has left guest mode: the acknowledgment. */
static void tmpl_kick(void *info)
{
}

/*
 * axas removed or reduced the translations of [gpa, gpa + size) and frees
 * their frames and table pages as soon as this returns, so on return no
 * CPU may use a translation of the range cached before the call
 * (axas_flush_fn in <axas/axas.h>; "Flushing" in axas's
 * Documentation/axas.rst). Each vCPU gets a flush request, which its
 * entry path turns into INVEPT or the VMCB's TLB control before it enters
 * again; a vCPU in guest mode now is kicked out with an IPI, and the
 * callback waits until its CPU has taken it (wait = 1: the handler runs
 * only after the VM exit). Returning right after sending the IPI would let
 * axas free a frame that the guest still reaches through its TLB.
 *
 * It flushes the vCPUs' whole EPTP or ASID, not just the range: simpler,
 * and never too little. axas lets it sleep; it must not call into the
 * space, nor wait for a vCPU thread to do anything but leave guest mode:
 * that thread may be blocked in axas_fault() on the lock the caller of
 * this callback holds (its CPU still takes the IPI).
 */
static void tmpl_flush(void *cookie, u64 gpa, u64 size)
{
	struct tmpl_vm *vm = cookie;
	unsigned int i;

	for (i = 0; i < TMPL_NR_VCPUS; i++) {
		struct tmpl_vcpu *v = &vm->vcpus[i];

		set_bit(TMPL_REQ_FLUSH, &v->requests);
		/*
		 * The request before in_guest, as tmpl_vcpu_enter() does the
		 * reverse: either the vCPU sees the request before it enters,
		 * or this sees it in guest mode and kicks it.
		 */
		smp_mb__after_atomic();
		/* Acquire: v->cpu, which the vCPU writes before in_guest. */
		if (smp_load_acquire(&v->in_guest))
			smp_call_function_single(READ_ONCE(v->cpu), tmpl_kick,
						 NULL, 1);
	}
}

/*
 * One entry of @v into the guest, on the vCPU's thread, and its exit.
 * Interrupts stay disabled from the request check to the entry, so that
 * an IPI sent after the check stays pending and makes the guest exit
 * right after it enters.
 */
static void tmpl_vcpu_enter(struct tmpl_vm *vm, struct tmpl_vcpu *v)
{
	bool moved;
	int cpu;

	local_irq_disable();
	/*
	 * A CPU it entered on before may still hold translations tagged
	 * with the EPTP or ASID from before a flush: flush when it moves.
	 */
	cpu = smp_processor_id();
	moved = cpu != v->cpu;
	WRITE_ONCE(v->cpu, cpu);
	/* The CPU before in_guest, for tmpl_flush()'s kick. */
	smp_store_release(&v->in_guest, true);
	/* in_guest before the requests: pairs with tmpl_flush(). */
	smp_mb();
	if (test_and_clear_bit(TMPL_REQ_FLUSH, &v->requests) || moved) {
		/*
		 * Here: INVEPT (single-context) for axas_space_root(vm->space),
		 * or TLB_CONTROL_FLUSH_ASID in the VMCB (NPT).
		 */
	}
	/* Here: VMLAUNCH/VMRESUME or VMRUN, and the exit's first steps. */
	WRITE_ONCE(v->in_guest, false);
	local_irq_enable();
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
	unsigned int i;
	int ret;

	for (i = 0; i < TMPL_NR_VCPUS; i++)
		vm->vcpus[i].cpu = -1;
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

	/* Lazy RAM: AXAS_COPY_FAULT faults the frame in (else -ENODATA). */
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
	 * Decode the instruction at the guest's RIP (its bytes through the
	 * guest's page tables with axas_gva_read() and AXAS_WALK_FETCH),
	 * emulate the access, advance RIP.
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
	default:			/* -ENOMEM, -ERANGE; -ESHUTDOWN when stopping */
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
	 * axas_space_root(vm->space); run the vCPUs, each on a thread of its
	 * own calling tmpl_vcpu_enter() in a loop and handling the exits
	 * (called once here, where it enters nothing). Their first exits:
	 */
	tmpl_vcpu_enter(vm, &vm->vcpus[0]);
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
