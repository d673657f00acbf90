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
 *   space's memory cgroup, of one page size (4 KiB, 2 MiB or 1 GiB; 1 GiB
 *   frames are claimed with alloc_contig_range() outside ZONE_MOVABLE,
 *   need CONFIG_CONTIG_ALLOC and are not charged to the memory cgroup).
 *   With %AXAS_AREA_POPULATE every frame is allocated and mapped at map
 *   time (all or nothing); without it the area is *lazy* and frames are
 *   installed by axas_fault() when the guest first touches them.
 *
 * The VMM reports each EPT violation / nested page fault to axas_fault(),
 * whose answer tells it what to do: resume the guest (installed, or
 * spurious), emulate MMIO (``-ENOENT``: no area covers the GPA, wherever
 * it lies: in a hole, in a range axas_unmap() removed, or outside the
 * space), reflect a permission error (``-EACCES``) or give up (``-ENOMEM``,
 * ``-ESHUTDOWN``).
 *
 * A lazy 2 MiB or 1 GiB area falls back to smaller frames, one fault at a
 * time, when the page allocator has no block of its size (counted in
 * &axas_space_stats.fallbacks); %AXAS_AREA_NO_FALLBACK makes such a
 * fault fail with ``-ENOMEM`` instead. axas_populate() installs a lazy
 * range ahead of the guest, all or nothing.
 *
 * axas_unmap() and axas_protect() take any 4 KiB-aligned range, across
 * areas and holes; areas and huge leaves are split where the range cuts
 * them. Translations they remove or reduce are flushed through the VMM's
 * callback (&axas_space_cfg.flush) before any frame or table page is
 * freed; the callback's contract is synchronous (see &axas_flush_fn).
 *
 * Frames, table pages and area structs are charged to one memory cgroup
 * per space (&axas_space_cfg.memcg, or the creator's), whichever thread
 * faults; at its limit a fault fails with ``-ENOMEM`` rather than waking
 * the OOM killer.
 */
#ifndef _AXAS_AXAS_H
#define _AXAS_AXAS_H

#include <axas/compat.h>
#include <axas/pt.h>

struct axas_space;
struct mem_cgroup;

/**
 * typedef axas_flush_fn - invalidate cached translations of a GPA range
 * @cookie: &axas_space_cfg.cookie
 * @gpa: first GPA whose translation was removed or reduced
 * @size: bytes
 *
 * The contract is synchronous: axas frees the frames and table pages of
 * the range as soon as the callback returns. So on return, no logical CPU
 * may use a translation of the range that it cached (TLB, paging-structure
 * caches) before the call. For every vCPU of the space, one of these must
 * hold when the callback returns:
 *
 * - the vCPU is not in guest mode, and it will invalidate (EPT: INVEPT for
 *   the EPTP; NPT: the VMCB's TLB control for its ASID) before its next
 *   VM entry, checking for that request with interrupts disabled right
 *   before the entry;
 * - it was in guest mode, and the callback forced it out (an IPI, which
 *   causes a VM exit) *and waited until that CPU acknowledged* (for
 *   example smp_call_function_single() with wait = 1: the handler runs
 *   only after the exit); the above then holds.
 *
 * INVEPT and the VMCB's TLB control act on one CPU, or only at that
 * vCPU's next entry: issued alone on the calling CPU they do not meet the
 * contract. Entries tagged with the space's EPTP/ASID on a CPU a vCPU ran
 * on before must be invalidated before that CPU enters the guest again
 * (flush when a vCPU moves to another CPU).
 *
 * The callback runs in process context with the space's lock held for
 * writing, on whatever CPU called axas_unmap(), axas_protect() or
 * axas_space_shutdown(). It may sleep. It must not call into the space,
 * and it must not wait for a vCPU thread to make progress other than
 * leaving guest mode: that thread may be blocked in axas_fault() or
 * axas_read()/axas_write() waiting for the lock the caller holds, and
 * waiting for its fault to finish deadlocks. An IPI is still taken on a
 * CPU whose vCPU thread sleeps on that lock; its acknowledgement needs
 * only the CPU.
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
 * @memcg: the memory cgroup that frames and table pages are charged to;
 *	NULL for the cgroup of the task that calls axas_space_create() (for a
 *	kthread: the one it set with set_active_memcg(), else the root). The
 *	space holds a reference until axas_space_destroy().
 * @flags: %AXAS_SPACE_NODE to place memory on @node
 * @node: with %AXAS_SPACE_NODE, the NUMA node that frames and table pages
 *	come from: preferred (other nodes serve when it has no memory), or
 *	the only one with %AXAS_SPACE_NODE_STRICT too. Without the flag the
 *	allocating task's memory policy decides, as for any allocation.
 */
struct axas_space_cfg {
	const char *name;
	u64 base;
	u64 size;
	struct axas_pt_cfg pt;
	axas_flush_fn flush;
	void *cookie;
	unsigned long max_frames;
	struct mem_cgroup *memcg;
	u32 flags;
	int node;
};

/**
 * DOC: Space flags
 *
 * The flags of &axas_space_cfg.flags:
 *
 * - %AXAS_SPACE_NODE: frames and table pages come from
 *   &axas_space_cfg.node first (other nodes serve when it has none).
 * - %AXAS_SPACE_NODE_STRICT (with %AXAS_SPACE_NODE): from that node only;
 *   -ENOMEM when it has none left.
 */
#define AXAS_SPACE_NODE		BIT(0)
#define AXAS_SPACE_NODE_STRICT	BIT(1)

/**
 * DOC: Area flags
 *
 * The flags of axas_map_linear() and axas_map_alloc() are the area's
 * rights and memory type (``AXAS_PROT_*``) ORed with:
 *
 * - %AXAS_AREA_HOST_RAM (axas_map_linear() only): the range may be RAM
 *   the kernel's page allocator owns.
 * - %AXAS_AREA_POPULATE (axas_map_alloc() only): allocate and map every
 *   frame now (eager) rather than when the guest first touches it (lazy).
 * - %AXAS_AREA_NO_FALLBACK (axas_map_alloc() only, 2 MiB or 1 GiB
 *   frames): a fault or axas_populate() that finds no free block of the
 *   area's size fails with ``-ENOMEM`` instead of installing smaller
 *   frames.
 */
#define AXAS_AREA_HOST_RAM	BIT(16)
#define AXAS_AREA_POPULATE	BIT(17)
#define AXAS_AREA_NO_FALLBACK	BIT(18)

/**
 * DOC: Fault access types
 *
 * The access of axas_fault(): what the guest attempted, from the EPT
 * violation's exit qualification or the nested page fault's error code.
 * Combine them for an access that needs several.
 *
 * - %AXAS_ACCESS_READ: a read; needs %AXAS_PROT_READ.
 * - %AXAS_ACCESS_WRITE: a write; needs %AXAS_PROT_WRITE.
 * - %AXAS_ACCESS_EXEC: an instruction fetch; needs %AXAS_PROT_EXEC. With
 *   EPT mode-based execute control (%AXAS_CAP_MBEC), a fetch from a
 *   supervisor-mode linear address.
 * - %AXAS_ACCESS_EXEC_USER: an instruction fetch from a user-mode linear
 *   address; needs %AXAS_PROT_EXEC_USER with MBEC, %AXAS_PROT_EXEC
 *   otherwise.
 */
#define AXAS_ACCESS_READ	BIT(0)
#define AXAS_ACCESS_WRITE	BIT(1)
#define AXAS_ACCESS_EXEC	BIT(2)
#define AXAS_ACCESS_EXEC_USER	BIT(3)

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

/**
 * DOC: Copy flags
 *
 * The flags of axas_read() and axas_write():
 *
 * - %AXAS_COPY_FAULT: fault lazy pages in (whatever the guest's rights)
 *   where nothing is mapped yet; without it the copy fails there with
 *   ``-EFAULT``.
 */
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
 * @leaves: leaves by size: 4 KiB, 2 MiB, 1 GiB (%AXAS_PT_LEAF_LEVELS)
 * @tables: table pages
 * @faults_installed: faults that installed a frame
 * @faults_spurious: faults that found the page mapped
 * @faults_refused: faults answered -ENOENT, -EACCES or -ENOMEM
 * @fallbacks: slots of a 2 MiB or 1 GiB area that a fault or
 *	axas_populate() filled with smaller frames because no block of the
 *	area's size was free
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
	u64 fallbacks;
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
int __must_check axas_populate(struct axas_space *space, u64 gpa, u64 size);
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
