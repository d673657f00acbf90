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

void axas_vmm_frame_free(struct axas_vmm_frame *frame)
{
	if (IS_ERR_OR_NULL(frame))
		return;
	__free_pages(frame->page, frame->order);
	kfree(frame);
}
EXPORT_SYMBOL_NS_GPL(axas_vmm_frame_free, AXAS_NS);

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
