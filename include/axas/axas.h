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

/* list_bl.h needs cpu_relax() from what spinlock.h pulls in (UML). */
#include <linux/spinlock.h>
#include <linux/list_bl.h>
#include <axas/compat.h>

#include <axas/pt.h>

struct axas_space;
struct axas_pin;
struct mem_cgroup;

/**
 * DOC: Pinned translations
 *
 * axas_translate() answers with a snapshot: a concurrent unmap may free the
 * frame right after. A VMM that points hardware at a guest page (a VMCS or
 * VMCB field such as the APIC-access page, the virtual-APIC page, the
 * posted-interrupt descriptor, the VMCS link pointer) or keeps a kernel
 * mapping of one across exits needs a translation that stays valid until
 * axas tells it otherwise. That is a *pin* (&struct axas_pin, embedded in
 * the VMM's own structures; KVM's gfn_to_pfn_cache is the model):
 *
 * - axas_pin_init() ties it to a space and a callback (&axas_pin_fn).
 * - axas_pin_activate() resolves a GPA range of up to one 4 KiB page (a
 *   range that crosses a page boundary is refused: one pin per page) for
 *   ``AXAS_ACCESS_READ`` and/or ``AXAS_ACCESS_WRITE``, to its HPA and a
 *   kernel address, and registers the pin with the space. With
 *   %AXAS_PIN_FAULT it faults a lazy page in as axas_fault() would.
 * - axas_pin_lock() opens a section in which the pin cannot be
 *   invalidated, and says whether it is valid; while it is, the section may
 *   use axas_pin_hpa() and axas_pin_kva(). axas_pin_unlock() closes it,
 *   whatever lock said. The section is a reader of an rwlock: it may be
 *   taken in any context (interrupts disabled right before a VM entry, an
 *   interrupt handler) and must not sleep.
 * - Every operation that removes or reduces the translation of a pinned
 *   page invalidates the pin: axas_unmap(); axas_protect() when it takes
 *   away an access the pin needs (a read-only pin survives a write-protect,
 *   a write pin does not), or changes the memory type under a pin whose
 *   kernel address is not the direct map; axas_space_shutdown(). In this
 *   order: the table entries change; each valid pin of the range is marked
 *   invalid under its lock held for writing (which waits for sections in
 *   progress) and its callback runs; the flush callback runs; then frames
 *   and table pages are freed.
 * - After the callback, axas_pin_refresh() resolves the same range again
 *   (the new frame, after a re-map), or fails as activation would.
 * - axas_pin_release() unregisters the pin; it may be called again, and on
 *   a pin never activated. After it returns the callback does not run for
 *   that pin any more.
 *
 * The kernel address is the direct map for RAM the kernel maps (write-back,
 * whatever the guest's memory type, as for axas_read()). Other memory
 * (``memmap=`` and ``reserve_mem=`` ranges, device memory) is mapped with
 * memremap() at activation, with the memory type of the guest's mapping
 * (write-back for reserved RAM the kernel keeps), and unmapped after the
 * callback; uncached memory, a page that System RAM covers only in part and
 * kernels without I/O memory get no kernel address: axas_pin_kva() is NULL
 * and the VMM has the HPA only (axas_read() and axas_write() still reach
 * the page).
 *
 * Calls on one pin other than lock, unlock and the accessors are the
 * owner's to serialize. A vCPU loop that uses a pin before each entry::
 *
 *	local_irq_disable();
 *	while (!axas_pin_lock(&vcpu->pi_pin)) {
 *		axas_pin_unlock(&vcpu->pi_pin);
 *		local_irq_enable();
 *		if (axas_pin_refresh(&vcpu->pi_pin, 0))
 *			return -EFAULT;
 *		local_irq_disable();
 *	}
 *	vmcs_write64(POSTED_INTR_DESC_ADDR, axas_pin_hpa(&vcpu->pi_pin));
 *	axas_pin_unlock(&vcpu->pi_pin);
 *	... check requests, enter the guest ...
 */

/**
 * DOC: Dirty logging, aging and discard
 *
 * **Dirty logging** tells a VMM which guest pages were written (live
 * migration, incremental checkpoints). axas_dirty_log_start() starts it
 * over one range of the space; axas_dirty_log_get() reports into the
 * caller's bitmap (one bit per 4 KiB page) the pages written since the
 * last report of each page, and clears them; axas_dirty_log_clear() clears
 * without reporting. Both take any sub-range of the logged range, so a
 * migration thread harvests in chunks while vCPUs run: they take the
 * space lock shared, and faults and guest copies go on. A page written
 * after its bit was harvested shows in the next harvest: no write is
 * missed. axas_dirty_log_stop() ends it.
 *
 * Two mechanisms, chosen at start from the table:
 *
 * - *Dirty flags* (NPT always, EPT with %AXAS_PT_ROOT_AD): the CPU sets
 *   the leaf's dirty flag on a write. A harvest clears the flags it
 *   reports with an atomic compare-exchange and flushes the range once.
 * - *Write-protection* (EPT without A/D, or %AXAS_DIRTY_WP): a harvest
 *   takes the write right away from the pages it reports, flushing once;
 *   the next guest write to such a page exits with an EPT violation,
 *   which the VMM hands to axas_fault() as usual. axas_fault() gives the
 *   write right back (one compare-exchange, the space lock held shared: no
 *   area is split, no exclusive lock taken), which marks the page for the
 *   next harvest, and answers %AXAS_FAULT_INSTALLED
 *   (&axas_space_stats.faults_dirty counts these). A lazy page faulted in
 *   by a read is mapped without the write right. Write pins of the range
 *   are invalidated when the write right goes (see "Pinned
 *   translations"); axas_pin_refresh() with %AXAS_PIN_FAULT gives it back.
 *
 * Writes the table does not see are recorded too: axas_write(), a write
 * pin (reported while valid, and once more after it is released or
 * invalidated), axas_discard() (the content of each page it took away
 * changed to zeros; pages that were not present are not reported), and a
 * protect during write-protection (which takes the write right away from
 * the logged pages, whatever rights it sets: see below). axas_unmap()
 * forgets the range: the pages are gone.
 *
 * Granularity: a logged page is reported on its own, and only when its
 * content changed. At start, 2 MiB and 1 GiB leaves in the range are
 * split into 4 KiB leaves (eagerly, as KVM's eager page split does), and
 * while logging is on nothing installs a leaf larger than 4 KiB across
 * any part of the range: faults and axas_populate() in a 2 MiB or 1 GiB
 * slot that meets it install 4 KiB frames, and axas_map_alloc() with
 * %AXAS_AREA_POPULATE and axas_map_linear() map 4 KiB leaves there. The
 * split leaves stay 4 KiB leaves after logging stops (no collapse). Under
 * write-protection a logged page gets the write right only from a write
 * fault: what faults, axas_populate() and the maps install there, and
 * what axas_protect() sets there, lacks it until the guest writes.
 *
 * **Aging**: axas_age() reports the pages whose accessed flag is set
 * (young), and with %AXAS_AGE_CLEAR clears them and flushes once, for
 * working-set estimation. It needs accessed flags (NPT, EPT with A/D). A
 * 2 MiB or 1 GiB leaf that the range covers only in part is reported
 * young for its pages in the range and keeps its flag: clearing it would
 * lose what it says about its pages outside the range.
 *
 * **Discard**: axas_discard() frees the frames of a range of alloc areas
 * and keeps the areas, lazy there (ballooning, free-page reporting).
 *
 * Flags:
 *
 * - %AXAS_DIRTY_WP (axas_dirty_log_start()): use write-protection even
 *   where the table has dirty flags (a CPU or emulator that does not set
 *   them).
 * - %AXAS_AGE_CLEAR (axas_age()): clear the accessed flags reported.
 */
#define AXAS_DIRTY_WP		BIT(0)
#define AXAS_AGE_CLEAR		BIT(0)

/**
 * DOC: Snapshot and restore
 *
 * For snapshot-based fuzzing and fast VM reset: axas_snapshot_take() saves
 * the content of every alloc page present in the space;
 * axas_snapshot_restore() makes the alloc memory equal to it again, as
 * often as asked; axas_snapshot_drop() frees it (axas_space_shutdown()
 * and axas_space_destroy() do too). One snapshot per space. Linear areas
 * are not saved nor restored: their memory is not axas's.
 *
 * *Cost*. The snapshot tracks writes with the dirty-logging machinery
 * over the range from its first to its last alloc area (huge leaves there
 * are split into 4 KiB leaves when it is taken; faults install 4 KiB
 * frames): the leaves' dirty flags or write-protection, chosen as
 * axas_dirty_log_start() chooses with no flag, and the log's bitmap for
 * writes the table does not see (axas_write(), write pins, discard). A
 * restore reads that tracking once (8 bytes of leaf entry per 4 KiB page,
 * as a harvest does) and then copies, allocates and frees for the pages
 * written since the snapshot or the last restore only: a page present at
 * snapshot time gets its saved content copied back into its frame, in
 * place (a page discarded since gets a fresh frame first); a page absent
 * at snapshot time (faulted in and written since) is unmapped and its
 * frame freed, so it is absent again. A page faulted in since but never
 * written stays mapped; it reads zeros, as it did. A restore returns each
 * page it visits to its state at snapshot time, present or absent: a page
 * absent then that was discarded (a discard of a present page counts as a
 * write) and read back in is unmapped, although it holds zeros. A valid
 * write pin counts as a write of its page, since writes through its
 * kernel address are invisible to the table: the page is copied back and
 * the pin invalidated, written or not. The snapshot *is* the
 * space's dirty log: while it exists, axas_dirty_log_start() fails with
 * ``-EBUSY``, and the snapshot cannot be taken while dirty logging is on.
 *
 * *Layout*. The snapshot covers the areas as they were: after
 * axas_map_alloc(), axas_map_linear(), axas_unmap() or axas_protect()
 * (which changes rights the snapshot does not restore) the restore is
 * refused with ``-ESTALE`` and nothing changes; the VMM drops the snapshot
 * and takes a new one. axas_discard() is no layout change: discarded
 * pages come back with their saved content.
 *
 * *Memory*. The saved pages are 4 KiB pages charged to the space's memory
 * cgroup and counted against &axas_space_cfg.max_frames with the frames
 * of the areas; &axas_space_stats.snapshot_frames reports them (they are
 * not in &axas_space_stats.frames). Their index (a 4 KiB block of
 * pointers per 2 MiB that holds saved pages, 8 bytes per 2 MiB of the
 * range, and the restore's bitmap of one bit per page) is charged to the
 * memory cgroup only.
 *
 * *vCPUs*. Take and restore copy guest memory with the space lock held
 * exclusively (faults, guest copies and pin activations wait), but a vCPU
 * in guest mode writes without the lock: the VMM keeps every vCPU of the
 * space out of guest mode, and does not write through pins, from the call
 * until its return. What axas can enforce it does: a restore calls the
 * flush callback once its harvest has cleared the dirty flags (or write
 * rights), before it changes any page, so that no translation a CPU kept
 * can write a restored page without marking it for the next restore; the
 * pins of a page copied back are invalidated before its content changes,
 * and a flush covering their pages follows before the restore returns;
 * a page unmapped goes in the order of "Pinned translations" (its entry
 * removed, its pins invalidated, a flush, then its frame freed); all of
 * it before the restore returns.
 *
 * *Failure*. A take that runs out of memory or frame cap changes nothing
 * (split leaves map the same). A restore that runs out of memory for a
 * discarded page's frame or a table page returns ``-ENOMEM``: the pages
 * restored so far stay restored, the others stay marked written, and the
 * next restore finishes the job; nothing leaks.
 */

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
 * writing, on whatever CPU called axas_unmap(), axas_protect(),
 * axas_discard(), axas_dirty_log_start() or axas_space_shutdown(); for
 * axas_dirty_log_get(), axas_dirty_log_clear() and axas_age() with the
 * lock held shared, while faults run. It never runs twice at once for one
 * space. It may sleep. It must not call into the space,
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
 *   frames; refused with ``-EINVAL`` on 4 KiB frames, where it would mean
 *   nothing): a fault or axas_populate() that finds no free block of the
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
 * @faults_dirty: write faults on pages that write-protection dirty logging
 *	had write-protected (counted in @faults_installed too)
 * @snapshot_frames: 4 KiB pages the snapshot holds (see "Snapshot and
 *	restore"); they count against &axas_space_cfg.max_frames with
 *	@frames, but are not in it
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
	u64 faults_dirty;
	unsigned long snapshot_frames;
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
int axas_translate_hpa(struct axas_space *space, u64 gpa, phys_addr_t *hpa);
int axas_read(struct axas_space *space, u64 gpa, void *buf, size_t len,
	      unsigned int flags);
int axas_write(struct axas_space *space, u64 gpa, const void *buf,
	       size_t len, unsigned int flags);
int axas_walk_areas(struct axas_space *space,
		       int (*fn)(void *arg, const struct axas_area_info *area),
		       void *arg);
void axas_space_get_stats(struct axas_space *space,
			  struct axas_space_stats *stats);
int __must_check axas_discard(struct axas_space *space, u64 gpa, u64 size);
int __must_check axas_dirty_log_start(struct axas_space *space, u64 gpa,
				      u64 size, unsigned int flags);
int axas_dirty_log_stop(struct axas_space *space);
long axas_dirty_log_get(struct axas_space *space, u64 gpa, u64 size,
			unsigned long *bitmap);
int axas_dirty_log_clear(struct axas_space *space, u64 gpa, u64 size);
long axas_age(struct axas_space *space, u64 gpa, u64 size,
	      unsigned long *bitmap, unsigned int flags);
int __must_check axas_snapshot_take(struct axas_space *space);
long axas_snapshot_restore(struct axas_space *space);
int axas_snapshot_drop(struct axas_space *space);

/**
 * typedef axas_pin_fn - a pinned translation became invalid
 * @cookie: the cookie given to axas_pin_init()
 * @pin: the pin
 *
 * Called once each time a valid pin becomes invalid because an operation
 * removed or reduced the translation of its page (see "Pinned
 * translations"). By then the table entries have changed and the pin is
 * marked invalid: no axas_pin_lock() section that found it valid is still
 * running, and every later one finds it invalid.
 *
 * The contract is synchronous: axas frees the frames of the range as soon
 * as the callback, and the flush callback after it, return. So on return,
 * nothing may use the pin's HPA or kernel address any more outside a
 * section that finds the pin valid: no copy of the address kept from
 * before, and no hardware the VMM pointed at the HPA (VMCS/VMCB fields).
 * For every vCPU that may use it, one of these must hold when the flush
 * callback of the same operation returns:
 *
 * - the vCPU is not in guest mode, and it stops using the HPA (reloads the
 *   field from a refreshed pin, or clears it) before its next VM entry,
 *   checking for that request with interrupts disabled right before the
 *   entry;
 * - it was in guest mode, and was forced out and waited for, as for
 *   &axas_flush_fn; the above then holds.
 *
 * The pin callbacks of an operation run before its flush callback, which
 * covers every invalidated pin's page (a valid pin's page is mapped, so its
 * removal or reduction is flushed): a callback that only posts a request
 * to the vCPUs may leave the kick and the wait to the flush callback.
 *
 * The callback runs in process context with the space's lock held for
 * writing, on whatever CPU called axas_unmap(), axas_protect() or
 * axas_space_shutdown(), and with the pin's lock not held. It may sleep. It
 * must not call into the space (axas_pin_activate(), axas_pin_refresh()
 * and axas_pin_release() of its pins included; axas_pin_lock(),
 * axas_pin_unlock() and the accessors are fine), and it must not wait for
 * a vCPU thread to make progress other than leaving guest mode: that
 * thread may be blocked in axas_fault(), axas_read()/axas_write() or
 * axas_pin_refresh() waiting for the lock the caller holds.
 */
typedef void (*axas_pin_fn)(void *cookie, struct axas_pin *pin);

/* axas_pin_activate(), axas_pin_refresh(): fault a lazy page in. */
#define AXAS_PIN_FAULT		BIT(0)

/**
 * struct axas_pin - a translation of part of one guest page, kept valid
 *	until axas says otherwise
 *
 * Embedded in the VMM's structures; set up by axas_pin_init(), used through
 * the axas_pin_*() functions only (see "Pinned translations").
 */
struct axas_pin {
	/* private: */
	rwlock_t lock;		/* sections read, invalidation writes */
	bool valid;		/* under @lock */
	bool registered;	/* on @space's list */
	bool direct;		/* @kva is the direct map */
	u8 access;		/* AXAS_ACCESS_READ/WRITE it needs */
	u32 prot;		/* of the leaf, when it was resolved */
	u64 gpa;
	u32 len;
	phys_addr_t hpa;
	void *kva;
	void *map;		/* memremap()ed page to undo, or NULL */
	struct axas_space *space;
	axas_pin_fn invalidate;
	void *cookie;
	struct hlist_bl_node node;
};

void axas_pin_init(struct axas_pin *pin, struct axas_space *space,
		   axas_pin_fn invalidate, void *cookie);
int __must_check axas_pin_activate(struct axas_pin *pin, u64 gpa, u32 len,
				   unsigned int access, unsigned int flags);
int __must_check axas_pin_refresh(struct axas_pin *pin, unsigned int flags);
bool axas_pin_lock(struct axas_pin *pin) __acquires(&pin->lock);
void axas_pin_unlock(struct axas_pin *pin) __releases(&pin->lock);
phys_addr_t axas_pin_hpa(const struct axas_pin *pin);
void *axas_pin_kva(const struct axas_pin *pin);
void axas_pin_release(struct axas_pin *pin);

#endif /* _AXAS_AXAS_H */
