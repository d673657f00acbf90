// SPDX-License-Identifier: GPL-2.0
/*
 * The VMM's view of guest memory: axas_translate(), axas_read() and
 * axas_write(), and the mapping of guest table entries the page walker
 * reads and sets flags in. Copies take the space lock shared and reach
 * host memory through the direct map for pages the kernel maps, else
 * through memremap() with the guest's memory type; what they write the
 * table does not see, so the core's write hooks hear of it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/bitmap.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>

#include "../compat_internal.h"
#include "../core/core.h"
#include "../npt/ept.h"
#include "../npt/npt.h"

#include "features.h"

/* The entry of @table that holds @gpa at @level. */
static __always_inline u64 leaf_entry(const u64 *table, u64 gpa,
				      unsigned int level)
{
	return READ_ONCE(table[(gpa >> (12 + 9 * level)) & 511]);
}

/*
 * The lookups' walk: the leaf entry that maps @gpa (its level in
 * *@levelp), or 0. One entry read per level, unrolled for 4 and 5 levels,
 * no indirect call. Caller holds rcu_read_lock() and checked @gpa.
 */
static __always_inline u64 space_leaf(const struct axas_pt *pt, u64 gpa,
				      unsigned int *levelp)
{
	u64 present = pt->present_mask, huge = pt->huge, pte;
	const u64 *table = READ_ONCE(pt->root);

	if (!table)
		return 0;
	/* Above the largest leaf: tables only. */
	if (pt->top_level == 4) {
		pte = leaf_entry(table, gpa, 4);
		if (!(pte & present))
			return 0;
		table = phys_to_virt(pte & pt->addr_mask);
	}
	pte = leaf_entry(table, gpa, 3);
	if (!(pte & present))
		return 0;
	/* 1 GiB, 2 MiB or 4 KiB leaf. */
	pte = leaf_entry(phys_to_virt(pte & pt->addr_mask), gpa, 2);
	*levelp = 2;
	if (!(pte & present) || (pte & huge))
		return pte & present ? pte : 0;
	pte = leaf_entry(phys_to_virt(pte & pt->addr_mask), gpa, 1);
	*levelp = 1;
	if (!(pte & present) || (pte & huge))
		return pte & present ? pte : 0;
	pte = leaf_entry(phys_to_virt(pte & pt->addr_mask), gpa, 0);
	*levelp = 0;
	return pte & present ? pte : 0;
}

/* The HPA of @gpa in the leaf @pte at @level (the C-bit is no address bit). */
static __always_inline phys_addr_t leaf_hpa(const struct axas_pt *pt, u64 pte,
					    unsigned int level, u64 gpa)
{
	return (pte & axas_pt_leaf_addr_mask(level) & ~pt->me_mask) |
	       (gpa & (axas_pt_level_size(level) - 1));
}

/*
 * No translation at @gpa: -ENODATA where an area is (a lazy page not
 * installed yet), -ENOENT where none is. Without the lock (see area.c).
 */
static int translate_miss(struct axas_space *space, u64 gpa)
{
	bool area;

	rcu_read_lock();
	area = axas_area_exists_rcu(space, gpa);
	rcu_read_unlock();
	return area ? -ENODATA : -ENOENT;
}

/* Leaves after the first that axas_translate() follows. */
#define AXAS_TRANSLATE_MAX_LEAVES	512

int axas_translate(struct axas_space *space, u64 gpa, u64 len,
		   struct axas_translation *tr)
{
	const struct axas_pt *pt = &space->pt;
	struct axas_pt_leaf leaf;
	unsigned int level = 0;
	u64 pte, rest = 0;
	s64 run;

	if (gpa < space->base || gpa >= space->end)
		return -ERANGE;
	if (READ_ONCE(space->dead))
		return -ESHUTDOWN;
	len = min(max_t(u64, len, 1), space->end - gpa);
	/* Within the leaf of @gpa (a lookup of an address): one walk. */
	rcu_read_lock();
	pte = space_leaf(pt, gpa, &level);
	if (pte)
		rest = axas_pt_level_size(level) -
		       (gpa & (axas_pt_level_size(level) - 1));
	if (pte && len <= rest) {
		rcu_read_unlock();
		tr->hpa = leaf_hpa(pt, pte, level, gpa);
		tr->prot = pt->cfg.format == AXAS_PT_EPT ?
			   ept_pte_prot(pt, pte) : npt_pte_prot(pte, level);
		tr->len = min(rest, space->end - gpa);
		return 0;
	}
	rcu_read_unlock();
	if (!pte)
		return translate_miss(space, gpa);
	run = axas_pt_query_contig(&space->pt, gpa, &leaf, gpa + len,
				   AXAS_TRANSLATE_MAX_LEAVES);
	if (run == -ENOENT)
		return translate_miss(space, gpa);
	if (run < 0)
		return run;
	tr->hpa = leaf.hpa + (gpa - leaf.gpa);
	tr->prot = leaf.prot;
	tr->len = min_t(u64, run, space->end - gpa);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(axas_translate, AXAS_NS);

int axas_translate_hpa(struct axas_space *space, u64 gpa, phys_addr_t *hpa)
{
	const struct axas_pt *pt = &space->pt;
	unsigned int level;
	u64 pte;

	if (gpa < space->base || gpa >= space->end)
		return -ERANGE;
	if (READ_ONCE(space->dead))
		return -ESHUTDOWN;
	rcu_read_lock();
	pte = space_leaf(pt, gpa, &level);
	rcu_read_unlock();
	if (!pte)
		return translate_miss(space, gpa);
	*hpa = leaf_hpa(pt, pte, level, gpa);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(axas_translate_hpa, AXAS_NS);

static void copy_piece(void *page, size_t off, void *buf, size_t len,
		       bool write)
{
	if (write)
		memcpy(page + off, buf, len);
	else
		memcpy(buf, page + off, len);
}

#ifdef CONFIG_HAS_IOMEM
/*
 * How to map a host page the kernel does not map (reserved ranges, device
 * memory) with the memory type of the guest's mapping: the MEMREMAP_*
 * flags in *@flags, or 0 there for uncached (memremap() has no such type;
 * ioremap() does). RAM the kernel keeps (reserved pages of its own map) is
 * always write-back: the kernel maps it so already, and ioremap() refuses
 * RAM. -EFAULT for a page System RAM covers only in part (a byte-granular
 * e820 entry), which memremap() refuses.
 */
int axas_remap_flags(phys_addr_t base, u32 prot, unsigned long *flags)
{
	int ram = region_intersects(base, PAGE_SIZE, IORESOURCE_SYSTEM_RAM,
				    IORES_DESC_NONE);

	if (ram == REGION_MIXED)
		return -EFAULT;
	switch (ram == REGION_INTERSECTS ? AXAS_MT_WB :
		FIELD_GET(AXAS_PROT_MT_MASK, prot)) {
	case AXAS_MT_UC:
		*flags = 0;
		break;
	case AXAS_MT_WC:
		*flags = MEMREMAP_WC;
		break;
	case AXAS_MT_WT:
	case AXAS_MT_WP:
		*flags = MEMREMAP_WT;
		break;
	default:
		*flags = MEMREMAP_WB;
		break;
	}
	return 0;
}

/* A copy to or from memory the kernel does not map (see above). */
static int space_copy_unmapped(phys_addr_t hpa, u32 prot, void *buf,
			       size_t len, bool write)
{
	phys_addr_t base = hpa & PAGE_MASK;
	size_t off = offset_in_page(hpa);
	unsigned long flags;
	void __iomem *io;
	void *page;

	if (axas_remap_flags(base, prot, &flags))
		return -EFAULT;
	if (flags) {
		page = memremap(base, PAGE_SIZE, flags);
		if (!page)
			return -EFAULT;
		copy_piece(page, off, buf, len, write);
		memunmap(page);
		return 0;
	}
	io = ioremap(base, PAGE_SIZE);
	if (!io)
		return -EFAULT;
	if (write)
		memcpy_toio(io + off, buf, len);
	else
		memcpy_fromio(buf, io + off, len);
	iounmap(io);
	return 0;
}
#else
static int space_copy_unmapped(phys_addr_t hpa, u32 prot, void *buf,
			       size_t len, bool write)
{
	return -EFAULT;
}
#endif

/*
 * Copy one piece that lies within one page of host memory. The kernel's
 * own mapping serves only pages it maps: pfn_valid() alone also holds for
 * holes inside early sparsemem sections (a memmap= range in the middle of
 * RAM), which have struct pages, reserved, and no direct mapping, and for
 * offline memory, whose struct pages must not even be read.
 */
static int space_copy_page(phys_addr_t hpa, u32 prot, void *buf, size_t len,
			   bool write)
{
	struct page *page = pfn_to_online_page(PHYS_PFN(hpa));
	void *va;

	if (!page || PageReserved(page))
		return space_copy_unmapped(hpa, prot, buf, len, write);
	va = kmap_local_page(page);
	copy_piece(va, offset_in_page(hpa), buf, len, write);
	kunmap_local(va);
	return 0;
}

static int space_copy(struct axas_space *space, u64 gpa, void *buf,
		      size_t len, unsigned int flags, bool write)
{
	struct mem_cgroup *old;
	int ret = 0;

	if (flags & ~AXAS_COPY_FAULT)
		return -EINVAL;
	if (!len)
		return 0;
	if (gpa < space->base || gpa >= space->end || len > space->end - gpa)
		return -ERANGE;
	old = axas_space_memcg_enter(space);
	down_read(&space->lock);
	while (len) {
		struct axas_pt_leaf leaf;
		size_t chunk = min_t(size_t, len, PAGE_SIZE - offset_in_page(gpa));

		if (space->dead) {
			ret = -ESHUTDOWN;
			break;
		}
		if (axas_pt_query(&space->pt, gpa, &leaf)) {
			if (!(flags & AXAS_COPY_FAULT)) {
				ret = axas_area_find(space, gpa) ? -ENODATA : -ENOENT;
				break;
			}
			/* The VMM's view: install the frame whatever the rights. */
			ret = axas_space_fault_in(space, gpa);
			if (ret)
				break;
			continue;
		}
		ret = space_copy_page(leaf.hpa + (gpa - leaf.gpa), leaf.prot,
				      buf, chunk, write);
		if (ret)
			break;
		if (write)
			axas_space_written(space, gpa, chunk);
		gpa += chunk;
		buf += chunk;
		len -= chunk;
	}
	up_read(&space->lock);
	axas_space_memcg_leave(old);
	return ret;
}

int axas_read(struct axas_space *space, u64 gpa, void *buf, size_t len,
	      unsigned int flags)
{
	return space_copy(space, gpa, buf, len, flags, false);
}
EXPORT_SYMBOL_NS_GPL(axas_read, AXAS_NS);

int axas_write(struct axas_space *space, u64 gpa, const void *buf,
	       size_t len, unsigned int flags)
{
	return space_copy(space, gpa, (void *)buf, len, flags, true);
}
EXPORT_SYMBOL_NS_GPL(axas_write, AXAS_NS);

long axas_read_present(struct axas_space *space, u64 gpa, void *buf,
		       size_t len, unsigned long *present)
{
	unsigned long i, n = len >> PAGE_SHIFT;
	struct axas_pt_leaf leaf;
	long copied = 0;
	int ret = 0;

	ret = axas_space_check_range(space, gpa, len);
	if (ret)
		return ret;
	bitmap_zero(present, n);
	down_read(&space->lock);
	for (i = 0; i < n; i++, gpa += PAGE_SIZE, buf += PAGE_SIZE) {
		if (space->dead) {
			ret = -ESHUTDOWN;
			break;
		}
		if (axas_pt_query(&space->pt, gpa, &leaf)) {
			if (!axas_area_find(space, gpa)) {
				ret = -ENOENT;
				break;
			}
			memset(buf, 0, PAGE_SIZE);
			continue;
		}
		ret = space_copy_page(leaf.hpa + (gpa - leaf.gpa), leaf.prot,
				      buf, PAGE_SIZE, false);
		if (ret)
			break;
		__set_bit(i, present);
		copied++;
		if (!(i & 63))
			cond_resched();
	}
	up_read(&space->lock);
	return ret ? ret : copied;
}
EXPORT_SYMBOL_NS_GPL(axas_read_present, AXAS_NS);

/*
 * The guest page walker (walk.c) reads guest tables through these: begin
 * takes the space lock shared (frames cannot be freed under it, and the
 * walker writes A/D bits into them), map gives a kernel address of the
 * 8 bytes at @gpa for reads and compare-and-exchange.
 */
struct mem_cgroup *axas_space_guest_begin(struct axas_space *space)
{
	struct mem_cgroup *old = axas_space_memcg_enter(space);

	down_read(&space->lock);
	return old;
}

void axas_space_guest_end(struct axas_space *space, struct mem_cgroup *old)
{
	up_read(&space->lock);
	axas_space_memcg_leave(old);
}

int axas_space_guest_map(struct axas_space *space, u64 gpa, bool fault,
			 struct axas_guest_map *m)
{
	struct axas_pt_leaf leaf;
	struct axas_area *area;
	struct page *page;
	phys_addr_t hpa;
	int ret;

	lockdep_assert_held(&space->lock);
	for (;;) {
		if (space->dead)
			return -ESHUTDOWN;
		if (gpa < space->base || gpa >= space->end)
			return -ENOENT;
		if (!axas_pt_query(&space->pt, gpa, &leaf))
			break;
		area = axas_area_find(space, gpa);
		if (!area)
			return -ENOENT;
		if (!fault)
			return -ENODATA;
		/* The VMM's view: install the frame whatever the rights. */
		ret = axas_space_fault_in(space, gpa);
		if (ret)
			return ret;
	}
	hpa = leaf.hpa + (gpa - leaf.gpa);
	area = axas_area_find(space, gpa);
	m->prot = area ? area->flags & AXAS_PROT_ALL : leaf.prot;
	page = pfn_to_online_page(PHYS_PFN(hpa));
	m->ram = page;
	m->remap = NULL;
	if (page && !PageReserved(page)) {
		m->va = kmap_local_page(page) + offset_in_page(hpa);
		return 0;
	}
#ifdef CONFIG_HAS_IOMEM
	/* Tables in memory the kernel does not map: write-back only. */
	if (FIELD_GET(AXAS_PROT_MT_MASK, leaf.prot) == AXAS_MT_WB) {
		int ram = region_intersects(hpa & PAGE_MASK, PAGE_SIZE,
					    IORESOURCE_SYSTEM_RAM,
					    IORES_DESC_NONE);

		m->ram |= ram == REGION_INTERSECTS;
		if (ram != REGION_MIXED)
			m->remap = memremap(hpa & PAGE_MASK, PAGE_SIZE,
					    MEMREMAP_WB);
	}
#endif
	if (!m->remap)
		return -EFAULT;
	m->va = m->remap + offset_in_page(hpa);
	return 0;
}

void axas_space_guest_unmap(struct axas_guest_map *m)
{
#ifdef CONFIG_HAS_IOMEM
	if (m->remap) {
		memunmap(m->remap);
		return;
	}
#endif
	kunmap_local(m->va);
}

