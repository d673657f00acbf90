/* SPDX-License-Identifier: GPL-2.0 */
/*
 * axas address spaces: the API a VMM uses.
 */

/**
 * DOC: Address spaces
 *
 * An address space (&struct axas_space) covers the guest-physical range
 * ``[base, base + size)`` and owns one nested page table (EPT or NPT) plus
 * a sorted set of non-overlapping *areas*. Each area has rights and a
 * memory type (``AXAS_PROT_*``) and a *backend*:
 *
 * - **linear**: GPA -> HPA at a fixed offset, for reserved physical memory
 *   (``memmap=``, ``reserve_mem=``) and device ranges, with the largest
 *   leaves alignment allows. Memory the kernel's page allocator owns is
 *   refused unless the caller passes %AXAS_AREA_HOST_RAM.
 * - **alloc**: zeroed frames from the page allocator, charged to the
 *   caller's memory cgroup, of one page size (4 KiB, 2 MiB or 1 GiB; 1 GiB
 *   frames are claimed with alloc_contig_range(), need CONFIG_CONTIG_ALLOC
 *   and are not charged to the memory cgroup).
 *   With %AXAS_AREA_POPULATE every frame is allocated and mapped at map
 *   time (all or nothing); without it the area is *lazy* and frames are
 *   installed by axas_fault() when the guest first touches them.
 *
 * The VMM reports each EPT violation / nested page fault to axas_fault(),
 * whose answer tells it what to do: resume the guest (installed, or
 * spurious), emulate MMIO (no area: ``-ENOENT``), reflect a permission
 * error (``-EACCES``) or give up (``-ENOMEM``).
 *
 * axas_unmap() and axas_protect() take any 4 KiB-aligned range, across
 * areas and holes; areas and huge leaves are split where the range cuts
 * them. Translations they remove or reduce are flushed through the VMM's
 * callback (&axas_space_cfg.flush) before any frame or table page is
 * freed.
 */
#ifndef _AXAS_AXAS_H
#define _AXAS_AXAS_H

#include <axas/pt.h>

struct axas_space;

/**
 * typedef axas_flush_fn - invalidate cached translations of a GPA range
 * @cookie: &axas_space_cfg.cookie
 * @gpa: first GPA whose translation changed
 * @size: bytes
 *
 * Runs with the space's lock held for writing; it must not call back into
 * the space. For EPT it issues INVEPT (single-context) for the EPTP, for
 * NPT it sets the VMCB's TLB control for the ASID (or flushes the ASID).
 */
typedef void (*axas_flush_fn)(void *cookie, u64 gpa, u64 size);

/**
 * struct axas_space_cfg - what axas_space_create() builds
 * @name: debugfs directory name (``/sys/kernel/debug/axas/<name>-<id>``);
 *	NULL for "space"
 * @base: first GPA of the space, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB; the space must end within the
 *	table's reach (2^48 or 2^57)
 * @pt: table format, levels, capabilities and root requests
 * @flush: the flush callback (required)
 * @cookie: for @flush
 * @max_frames: the most 4 KiB frames the alloc backend may hold (2 MiB and
 *	1 GiB frames count 512 and 262144); 0 for no cap
 */
struct axas_space_cfg {
	const char *name;
	u64 base;
	u64 size;
	struct axas_pt_cfg pt;
	axas_flush_fn flush;
	void *cookie;
	unsigned long max_frames;
};

/* Area flags: AXAS_PROT_* (rights, memory type) plus these. */
/* map_linear: the range may be RAM the kernel's allocator owns. */
#define AXAS_AREA_HOST_RAM	BIT(16)
/* map_alloc: allocate and map every frame now (eager). */
#define AXAS_AREA_POPULATE	BIT(17)

/* Access types of a fault (combine for an access that needs several). */
#define AXAS_ACCESS_READ	BIT(0)
#define AXAS_ACCESS_WRITE	BIT(1)
#define AXAS_ACCESS_EXEC	BIT(2)

/**
 * enum axas_fault_result - how axas_fault() handled a fault
 * @AXAS_FAULT_INSTALLED: a frame was installed; resume the guest
 * @AXAS_FAULT_SPURIOUS: the page was already mapped with enough rights
 *	(another vCPU won the race, or a stale TLB entry); nothing changed;
 *	resume the guest
 */
enum axas_fault_result {
	AXAS_FAULT_INSTALLED = 0,
	AXAS_FAULT_SPURIOUS = 1,
};

/* Guest copy flags. */
/* Fault lazy pages in instead of failing with -EFAULT on holes. */
#define AXAS_COPY_FAULT		BIT(0)

/**
 * struct axas_translation - what axas_translate() finds
 * @hpa: HPA of the GPA asked for
 * @prot: AXAS_PROT_* of its leaf
 * @len: bytes from the GPA on that are mapped to contiguous HPAs with the
 *	same rights: the rest of its leaf at least, further only as far as
 *	asked (see axas_translate())
 */
struct axas_translation {
	phys_addr_t hpa;
	u32 prot;
	u64 len;
};

/**
 * struct axas_area_info - one area, as axas_walk_areas() reports it
 * @gpa: first GPA
 * @size: bytes
 * @flags: AXAS_PROT_* and AXAS_AREA_* flags
 * @backend: "linear" or "alloc"
 * @hpa: linear: HPA of @gpa; alloc: 0
 * @pgsize: leaf (alloc: frame) size
 */
struct axas_area_info {
	u64 gpa;
	u64 size;
	u32 flags;
	const char *backend;
	phys_addr_t hpa;
	unsigned long pgsize;
};

/**
 * struct axas_space_stats - what a space holds and has done
 * @areas: areas
 * @frames: 4 KiB frames the alloc backend holds
 * @leaves: leaves by size: 4 KiB, 2 MiB, 1 GiB
 * @tables: table pages
 * @faults_installed: faults that installed a frame
 * @faults_spurious: faults that found the page mapped
 * @faults_refused: faults answered -ENOENT, -EACCES or -ENOMEM
 * @flushes: calls of the flush callback
 */
struct axas_space_stats {
	unsigned long areas;
	unsigned long frames;
	unsigned long leaves[AXAS_PT_LEAF_LEVELS];
	unsigned long tables;
	u64 faults_installed;
	u64 faults_spurious;
	u64 faults_refused;
	u64 flushes;
};

struct axas_space *axas_space_create(const struct axas_space_cfg *cfg);
void axas_space_shutdown(struct axas_space *space);
void axas_space_destroy(struct axas_space *space);
u64 axas_space_root(struct axas_space *space);
int __must_check axas_map_linear(struct axas_space *space, u64 gpa,
				 phys_addr_t hpa, u64 size, u32 flags);
int __must_check axas_map_alloc(struct axas_space *space, u64 gpa, u64 size,
				u32 flags, unsigned long pgsize);
int __must_check axas_unmap(struct axas_space *space, u64 gpa, u64 size);
int __must_check axas_protect(struct axas_space *space, u64 gpa, u64 size,
			      u32 prot);
int axas_fault(struct axas_space *space, u64 gpa, unsigned int access);
int axas_translate(struct axas_space *space, u64 gpa, u64 len,
		   struct axas_translation *tr);
int axas_read(struct axas_space *space, u64 gpa, void *buf, size_t len,
	      unsigned int flags);
int axas_write(struct axas_space *space, u64 gpa, const void *buf,
	       size_t len, unsigned int flags);
int axas_walk_areas(struct axas_space *space,
		       int (*fn)(void *arg, const struct axas_area_info *area),
		       void *arg);
void axas_space_get_stats(struct axas_space *space,
			  struct axas_space_stats *stats);

#endif /* _AXAS_AXAS_H */
