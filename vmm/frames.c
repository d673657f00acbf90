// SPDX-License-Identifier: GPL-2.0
/*
 * Frames for VMM structures: zeroed, physically contiguous pages with
 * their HPA and kernel address. See include/axas/vmm.h.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/export.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/numa.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <axas/axas.h>
#include <axas/vmm.h>

#include "../compat_internal.h"
#include "../npt/fmt.h"

/**
 * axas_vmm_frame_alloc() - zeroed, physically contiguous pages
 * @order: 2^@order pages, at most %AXAS_VMM_FRAME_MAX_ORDER
 * @node: the NUMA node preferred, or ``NUMA_NO_NODE``
 *
 * Context: process context; may sleep.
 * Return: the frame; ERR_PTR(-EINVAL) for an @order above the limit (or
 * the allocator's largest) or a @node that is not online; ERR_PTR(-ENOMEM)
 * when no block is free.
 */
struct axas_vmm_frame *axas_vmm_frame_alloc(unsigned int order, int node)
{
	struct axas_vmm_frame *frame;
	struct page *page;

	if (order > AXAS_VMM_FRAME_MAX_ORDER || order > MAX_PAGE_ORDER)
		return ERR_PTR(-EINVAL);
	if (node != NUMA_NO_NODE &&
	    (node < 0 || node >= nr_node_ids || !node_online(node)))
		return ERR_PTR(-EINVAL);
	frame = kzalloc_node(sizeof(*frame), GFP_KERNEL_ACCOUNT, node);
	if (!frame)
		return ERR_PTR(-ENOMEM);
	page = alloc_pages_node(node, GFP_KERNEL_ACCOUNT | __GFP_ZERO, order);
	if (!page) {
		kfree(frame);
		return ERR_PTR(-ENOMEM);
	}
	frame->page = page;
	frame->kva = page_address(page);
	/* The kernel wrote it encrypted: the CPU must read it so. */
	frame->hpa = page_to_phys(page) | axas_pt_host_me_mask();
	frame->order = order;
	return frame;
}
EXPORT_SYMBOL_NS_GPL(axas_vmm_frame_alloc, AXAS_NS);

/**
 * axas_vmm_frame_free() - free a frame
 * @frame: from one of the ``axas_*_alloc()`` functions of this file; NULL
 *	or an error pointer (a failed allocation): nothing happens
 *
 * The hardware must not use the frame any more (VMCLEAR a VMCS, VMXOFF
 * before freeing the VMXON region, no VMRUN on a VMCB).
 *
 * Context: any context that may free pages.
 * Return: nothing.
 */
void axas_vmm_frame_free(struct axas_vmm_frame *frame)
{
	if (IS_ERR_OR_NULL(frame))
		return;
	__free_pages(frame->page, frame->order);
	kfree(frame);
}
EXPORT_SYMBOL_NS_GPL(axas_vmm_frame_free, AXAS_NS);

/**
 * axas_vmx_region_alloc() - a VMXON region or a VMCS
 * @revision: the VMCS revision identifier (IA32_VMX_BASIC bits 30:0), with
 *	%AXAS_VMX_SHADOW_VMCS for a shadow VMCS
 * @node: the NUMA node preferred, or ``NUMA_NO_NODE``
 *
 * One zeroed page whose first 32 bits hold @revision.
 *
 * Context: process context; may sleep.
 * Return: the frame; the errors of axas_vmm_frame_alloc().
 */
struct axas_vmm_frame *axas_vmx_region_alloc(u32 revision, int node)
{
	struct axas_vmm_frame *frame = axas_vmm_frame_alloc(0, node);

	if (!IS_ERR(frame))
		*(u32 *)frame->kva = revision;
	return frame;
}
EXPORT_SYMBOL_NS_GPL(axas_vmx_region_alloc, AXAS_NS);

static const unsigned int bitmap_size[AXAS_VMM_NR_BITMAPS] = {
	[AXAS_VMX_IO_BITMAPS] = SZ_8K,
	[AXAS_VMX_MSR_BITMAP] = SZ_4K,
	[AXAS_SVM_IOPM] = SZ_8K + SZ_4K,
	[AXAS_SVM_MSRPM] = SZ_8K,
};

/**
 * axas_vmm_bitmap_alloc() - an I/O or MSR bitmap
 * @kind: which (&enum axas_vmm_bitmap)
 * @intercept_all: set every bit (every port and MSR intercepted); else all
 *	clear
 * @node: the NUMA node preferred, or ``NUMA_NO_NODE``
 *
 * The bitmap's bytes are set as asked; the rest of the block (the fourth
 * page of the SVM IOPM) is zero.
 *
 * Context: process context; may sleep.
 * Return: the frame; ERR_PTR(-EINVAL) for an unknown @kind; the errors of
 * axas_vmm_frame_alloc().
 */
struct axas_vmm_frame *axas_vmm_bitmap_alloc(enum axas_vmm_bitmap kind,
					     bool intercept_all, int node)
{
	struct axas_vmm_frame *frame;

	if ((unsigned int)kind >= AXAS_VMM_NR_BITMAPS)
		return ERR_PTR(-EINVAL);
	frame = axas_vmm_frame_alloc(get_order(bitmap_size[kind]), node);
	if (!IS_ERR(frame) && intercept_all)
		memset(frame->kva, 0xff, bitmap_size[kind]);
	return frame;
}
EXPORT_SYMBOL_NS_GPL(axas_vmm_bitmap_alloc, AXAS_NS);
