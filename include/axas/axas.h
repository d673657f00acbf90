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
 * ``-ERANGE`` for a frame beyond the physical-address width,
 * ``-ESHUTDOWN``); ``-EINVAL`` is the VMM's own bug (no access named).
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
 * %AXAS_AREA_POPULATE and axas_map_linear() map 4 KiB leaves there. When
 * logging stops, the leaves it split go back to the areas' size where
 * their frames still line up (see "Huge leaves recovered"). Under
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
 * - %AXAS_DIRTY_FILE (axas_dirty_log_start()): report too the pages of
 *   the range's file areas that userspace wrote through their memory file
 *   (a user mapping, write(), a punch; see "Memory files"). A harvest
 *   zaps the user mappings of the pages it reports from there, so that
 *   their next write through a mapping faults and is recorded.
 * - %AXAS_AGE_CLEAR (axas_age()): clear the accessed flags reported.
 */
#define AXAS_DIRTY_WP		BIT(0)
#define AXAS_DIRTY_FILE		BIT(1)
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
 * the pin invalidated, written or not.
 *
 * *With dirty logging*. The snapshot's write tracking is a log of its own
 * beside the VMM's: a snapshot can be taken while dirty logging runs (a
 * migration's pre-copy, incremental snapshots), and logging started
 * while a snapshot exists. Each sees every write once, whoever reads the
 * table first: a harvest passes the marks it takes to the snapshot's
 * tracking, a restore passes its own to the VMM's log, and every page a
 * restore copies back or unmaps is reported written by the next harvest
 * (its content changed). The two use one mechanism, as the table has one
 * dirty flag: the snapshot takes the log's (write-protection when the VMM
 * asked for it), and logging by the other mechanism is refused while a
 * snapshot exists (``-EBUSY``). While both run, the table treats the
 * smallest range covering both as logged (no leaf larger than 4 KiB there;
 * under write-protection a page there gets the write right only from a
 * write fault), and when one ends, the range the other does not cover
 * gets its write right and its huge leaves back.
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
 * *Memory files*. The pages of memory files that the space's file areas
 * map are saved too, whatever lies in the range above (a copy of each page
 * the file holds, charged as the alloc pages' copies are), and a restore
 * puts that content back into the file after the alloc pages, with the
 * space's lock released: it compares each page with its copy, invalidates
 * the pins of the pages that differ in every view of the file (each
 * space's pin callbacks, then its flush callback), writes the copies back
 * (zeros where the file had no page), and reports the pages written to
 * every view's dirty log and the file's; every view and user mapping then
 * sees the restored content. This part costs the file pages the space
 * maps (each read once), not the pages written: writes through other
 * views and userspace are not the snapshot's to track. Other views that
 * write during a restore race with it. A snapshot still needs an alloc
 * area (``-ENOENT`` without one).
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
 * The functions that may call it say so in their Context: (a KUnit suite,
 * axas_contract, measures each against it): axas_unmap(), axas_protect(),
 * axas_discard(), axas_space_shutdown() (and axas_space_destroy() of a
 * space not shut down), axas_dirty_log_start(), axas_dirty_log_stop(),
 * axas_snapshot_take(), axas_snapshot_restore(), axas_snapshot_drop() and
 * axas_collapse() with the space's lock held exclusively;
 * axas_dirty_log_get(), axas_dirty_log_clear() and axas_age() with it held
 * shared, while faults run (exclusively for a harvest that invalidates a
 * write pin); axas_memfile_log_start(), axas_memfile_log_get() and
 * axas_memfile_log_clear() (<axas/memfile.h>), and a punch of a memory
 * file (fallocate()), for each space that maps the file, with that space's
 * lock held exclusively, one space after the other.
 * It runs in process context, on whatever CPU called, and never twice at
 * once for one space. It may sleep. It must not call into the space, and
 * it must not wait for a vCPU thread to make progress other than leaving
 * guest mode: that thread may be blocked in axas_fault() or
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
 * DOC: Frames zeroed ahead
 *
 * A lazy fault allocates its frame and zeroes it while the vCPU waits.
 * The zeroing can happen earlier, when the guest is idle: a VMM that
 * handles HLT (or runs an idle thread per vCPU) calls axas_prefill() there,
 * and axas puts zeroed frames into the space's pool, up to the limits
 * axas_pool_limit() set (none until it is called: the pool is empty and
 * faults work as without it). A lazy fault takes a frame of its size from
 * the pool when there is one and allocates as before when not: the pool
 * never changes what a fault installs, only what it costs. axas_populate()
 * and eager maps do not use it.
 *
 * The CPU time of the zeroing lands on the thread that calls
 * axas_prefill(), not on a kernel worker. Pooled frames are charged to the
 * space's memory cgroup and counted against &axas_space_cfg.max_frames
 * (&axas_space_stats.pool_frames reports them; they are not in
 * &axas_space_stats.frames); a fault, populate or snapshot that needs
 * room under the cap gets it from the pool first. Every pooled frame was
 * zeroed by the page allocator when the pool took it, for this space and
 * after its last use by anyone; frames that unmap, discard, restore or
 * shutdown free go back to the page allocator (after the flush), never
 * into a pool, so that no page a guest wrote reaches another space or
 * the same space unzeroed. Shutdown empties the pool.
 */

/**
 * DOC: Huge leaves recovered
 *
 * Dirty logging and snapshots split the huge leaves of their range into
 * 4 KiB leaves. When logging stops (axas_dirty_log_stop()) or the snapshot
 * goes (axas_snapshot_drop()), and whenever the VMM asks
 * (axas_collapse()), axas puts back the leaves of an area's size (alloc:
 * its frame size; linear: what alignment allows, as at map time), up to
 * 2 MiB and 1 GiB, wherever the 512 smaller leaves of one naturally
 * aligned block still map one aligned run of host memory with the same
 * rights and memory type. Nothing is copied: the block's table page is
 * replaced by one leaf with the same translation, the accessed and dirty
 * flags of the 512 leaves ORed into it, then the flush callback runs, then
 * the flags a CPU set in the old table until the flush are added to the
 * leaf, and only then is the table page freed. A block whose frames no
 * longer line up (a discarded page faulted in again, a page a fault filled
 * with a 4 KiB frame when no 2 MiB block was free) stays split; axas does
 * not copy guest memory to make a block. Pins stay valid: no translation
 * changes.
 */

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
 *   where nothing is installed yet; without it the copy fails there with
 *   ``-ENODATA``.
 *
 * Errors that name what is not there are the same across the API: a GPA
 * that no area covers is ``-ENOENT`` (axas_fault(): emulate MMIO); a page
 * an area has not installed yet (a lazy page not faulted in, or
 * discarded) is ``-ENODATA`` for axas_read(), axas_write(),
 * axas_read_present(), axas_translate(), axas_translate_hpa(),
 * axas_walk() and the pins; no dirty log running, or no snapshot, is
 * ``-ESRCH`` for the dirty-log and snapshot calls.
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
 * @backend: "linear", "alloc" or "file" (a view of a memory file)
 * @hpa: linear: HPA of @gpa; else 0
 * @pgsize: leaf (alloc: frame) size
 * @offset: file: the byte of the memory file that @gpa maps; else 0
 */
struct axas_area_info {
	u64 gpa;
	u64 size;
	u32 flags;
	const char *backend;
	phys_addr_t hpa;
	unsigned long pgsize;
	u64 offset;
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
 * @pool_frames: 4 KiB frames zeroed ahead in the pool (a 2 MiB frame
 *	counts 512; see "Frames zeroed ahead"); they count against
 *	&axas_space_cfg.max_frames with @frames, but are not in it
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
	unsigned long pool_frames;
};

/**
 * axas_space_create() - create an address space
 * @cfg: range, table format, flush callback, frame cap, memory cgroup
 *
 * The space records the memory cgroup to charge (@cfg->memcg, or the
 * caller's) and charges it for everything it allocates later, whoever
 * calls.
 *
 * Context: process context; may sleep; takes no lock; calls no callback.
 * Return: the space; ERR_PTR(-EINVAL) for a missing @cfg->flush, an
 * unaligned or empty range, unknown @cfg->flags, or a node that has no
 * memory (or %AXAS_SPACE_NODE_STRICT without %AXAS_SPACE_NODE);
 * ERR_PTR(-ERANGE) for a range beyond the
 * table's reach, the errors of axas_pt_init() (-EINVAL, -EOPNOTSUPP), or
 * ERR_PTR(-ENOMEM).
 */
struct axas_space *axas_space_create(const struct axas_space_cfg *cfg);

/**
 * axas_space_shutdown() - unmap everything and refuse further use
 * @space: the space
 *
 * Waits for faults and guest copies in flight (they hold the lock shared),
 * then, in this order: unlinks every translation from the table,
 * invalidates every valid pin (see "Pinned translations"; pins stay
 * registered until released), flushes the whole range through the
 * callback, and frees every frame and table page but the root. The root
 * table stays allocated, and empty, until
 * axas_space_destroy(): a vCPU that is still in guest mode until the
 * flush, or that enters again with the same EPTP/nCR3, finds no
 * translation and exits with an EPT violation / nested page fault, which
 * axas_fault() answers with -ESHUTDOWN. Afterwards every call on @space
 * that answers with an errno fails with -ESHUTDOWN (axas_space_root() still
 * gives the empty root, axas_space_get_stats() the counters, and
 * axas_pin_release() releases); only axas_space_destroy() remains. A
 * VMM calls this to stop a guest while vCPU threads may still report
 * faults. A second call does nothing.
 *
 * Context: process context; may sleep; takes the space lock exclusively;
 * calls the pin callbacks, then the flush callback once.
 * Return: nothing.
 */
void axas_space_shutdown(struct axas_space *space);

/**
 * axas_space_destroy() - free an address space
 * @space: the space, or NULL
 *
 * Shuts the space down if that was not done (see axas_space_shutdown())
 * and frees it, the root table included. No call on @space may be in
 * flight or follow, and no vCPU may use its EPTP/nCR3 any more: a VMM
 * whose vCPU threads may still call in or enter the guest shuts down
 * first, stops the threads, then destroys. Pins still registered are
 * unregistered with a warning: the VMM releases its pins first.
 *
 * Context: process context; may sleep; takes the space lock exclusively (as
 * axas_space_shutdown() when the space was not shut down); calls the pin
 * callbacks, then the flush callback, when it shuts the space down.
 * Return: nothing.
 */
void axas_space_destroy(struct axas_space *space);

/**
 * axas_space_root() - EPTP or nCR3 to load for this space
 * @space: the space
 *
 * Context: any; takes no lock; calls no callback.
 * Return: the root descriptor (see axas_pt_root()).
 */
u64 axas_space_root(struct axas_space *space);

/**
 * axas_map_linear() - map a host-physical range at a fixed offset
 * @space: the space
 * @gpa: first GPA, 4 KiB aligned
 * @hpa: HPA of @gpa, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 * @flags: AXAS_PROT_* rights and memory type, plus %AXAS_AREA_HOST_RAM to
 *	allow RAM the kernel's page allocator owns
 *
 * For reserved memory (``memmap=``, ``reserve_mem=``: pages the allocator
 * never got) and device ranges. Uses the largest leaves (4K/2M/1G) that the
 * alignment of GPA and HPA allows. Never allocates frames, not even on a
 * fault.
 *
 * Context: process context; may sleep; takes the space lock exclusively;
 * calls no callback.
 * Return: 0; -EINVAL for an unaligned or zero range or unknown/bad flags;
 * -ERANGE for a range outside the space or an HPA beyond the host's
 * width; -EOPNOTSUPP for rights the format cannot express; -EPERM when the
 * range holds allocator-owned RAM and %AXAS_AREA_HOST_RAM is not given;
 * -EEXIST when it overlaps an area; -ESHUTDOWN after shutdown; -ENOMEM.
 */
int __must_check axas_map_linear(struct axas_space *space, u64 gpa,
				 phys_addr_t hpa, u64 size, u32 flags);

/**
 * axas_map_alloc() - map memory the space allocates itself
 * @space: the space
 * @gpa: first GPA, aligned to @pgsize
 * @size: bytes, a multiple of @pgsize
 * @flags: AXAS_PROT_* rights and memory type, plus %AXAS_AREA_POPULATE to
 *	allocate and map every frame now, %AXAS_AREA_NO_FALLBACK to fail a
 *	fault (and axas_populate()) rather than install a frame smaller than
 *	@pgsize
 * @pgsize: frame and leaf size: SZ_4K, SZ_2M or SZ_1G
 *
 * Frames are zeroed and charged to the space's memory cgroup
 * (GFP_KERNEL_ACCOUNT) and to the space's frame cap. With
 * %AXAS_AREA_POPULATE the map is all or nothing; without it nothing is
 * allocated now and axas_fault() installs one frame per leaf later.
 * %AXAS_AREA_POPULATE allocates with the space lock held exclusively (for
 * 1 GiB frames that includes alloc_contig_range()'s migration): meant for
 * setting a guest up; while vCPUs run, map lazily and call
 * axas_populate(), which allocates without the lock.
 *
 * Context: process context; may sleep; takes the space lock exclusively;
 * calls no callback.
 * Return: 0; -EINVAL for an unaligned or zero range, an unknown @pgsize or
 * unknown/bad flags (%AXAS_AREA_NO_FALLBACK with 4 KiB frames among them);
 * -ERANGE for a range outside the space; -EOPNOTSUPP
 * for rights or a page size the hardware cannot map, or 1 GiB frames on a
 * kernel without CONFIG_CONTIG_ALLOC; -EEXIST when it overlaps an area; -ENOMEM
 * when frames or table pages ran out or the frame cap was reached
 * (nothing is left mapped); -ESHUTDOWN after shutdown.
 */
int __must_check axas_map_alloc(struct axas_space *space, u64 gpa, u64 size,
				u32 flags, unsigned long pgsize);

/**
 * axas_unmap() - remove a GPA range from the space
 * @space: the space
 * @gpa: first GPA, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 *
 * The range may cover parts of areas, several areas and holes. Areas are
 * cut where the range ends inside them, huge leaves split; the pins of the
 * range are invalidated and its translations flushed through the callback,
 * and only then are its frames and emptied table pages freed.
 *
 * Context: process context; may sleep; takes the space lock exclusively;
 * calls the pin callbacks, then the flush callback.
 * Return: 0; -EINVAL for an unaligned or zero range; -ERANGE for a range
 * outside the space; -ENOMEM (nothing changed); -ESHUTDOWN after shutdown.
 */
int __must_check axas_unmap(struct axas_space *space, u64 gpa, u64 size);

/**
 * axas_protect() - change the rights and memory type of a GPA range
 * @space: the space
 * @gpa: first GPA, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 * @prot: new AXAS_PROT_* rights and memory type
 *
 * Applies to the areas in the range (cut where the range ends inside
 * them) and to their present leaves (huge leaves split where needed);
 * lazy pages faulted in later get @prot too. Holes are skipped. Pins that
 * need a right @prot lacks are invalidated, then reduced rights are
 * flushed through the callback before the call returns. Pages that dirty
 * logging covers in write-protection mode get @prot without the write
 * right, which their next write fault gives back (see "Dirty logging,
 * aging and discard"); a write pin there is invalidated.
 *
 * Context: process context; may sleep; takes the space lock exclusively;
 * calls the pin callbacks, then the flush callback.
 * Return: 0; -EINVAL for an unaligned or zero range or a bad @prot;
 * -EOPNOTSUPP for @prot the format cannot express; -ERANGE for a range
 * outside the space; -ENOMEM (nothing changed); -ESHUTDOWN after shutdown.
 */
int __must_check axas_protect(struct axas_space *space, u64 gpa, u64 size,
			      u32 prot);

/**
 * axas_fault() - handle an EPT violation / nested page fault
 * @space: the space
 * @gpa: the faulting GPA
 * @access: AXAS_ACCESS_* the guest attempted
 *
 * Installs the frame a lazy area needs (a 2 MiB or 1 GiB area the whole
 * leaf). Faults on different pages run in parallel; two vCPUs faulting
 * the same page get one frame between them, and both are told to resume,
 * also when the frame cap has room for one frame only. Linear and eager
 * areas never allocate here. A page that is present answers
 * %AXAS_FAULT_SPURIOUS only if its leaf allows @access; frames and table
 * pages are charged to the space's memory cgroup and fail with -ENOMEM,
 * without the OOM killer, at its limit.
 *
 * In a 2 MiB or 1 GiB area, when the page allocator has no free block of
 * that size, the fault installs the largest smaller frame it can get (a
 * 2 MiB or 4 KiB leaf; &axas_space_stats.fallbacks counts it), or
 * fails with -ENOMEM if the area has %AXAS_AREA_NO_FALLBACK. Frames larger
 * than 4 KiB are allocated with the space lock dropped (alloc_contig_range()
 * migrates pages for a 1 GiB frame, which takes long): meanwhile map,
 * unmap, protect and other faults proceed, and the fault decides again
 * once it holds the frame.
 *
 * Context: process context; may sleep (allocates); takes the space lock
 * shared (exclusively, briefly, when the frame cap is reached), and drops
 * it while it allocates a frame larger than 4 KiB; calls no callback.
 * Return: %AXAS_FAULT_INSTALLED or %AXAS_FAULT_SPURIOUS (resume the
 * guest); -ENOENT when no area covers @gpa, wherever @gpa lies (in a hole,
 * in a range axas_unmap() removed, outside the space): no memory there,
 * emulate MMIO; -EACCES when the area forbids @access; -ENOMEM when no
 * frame or table page could be had or the frame cap is reached; -EINVAL
 * for an empty or unknown @access; -ERANGE for a frame the allocator gave
 * beyond the physical-address width of &axas_pt_caps.phys_bits;
 * -ESHUTDOWN after shutdown.
 */
int __must_check axas_fault(struct axas_space *space, u64 gpa,
			    unsigned int access);

/**
 * axas_populate() - install the lazy pages of a GPA range now
 * @space: the space
 * @gpa: first GPA, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 *
 * Prefaults a range before the guest runs, or ahead of an access pattern
 * the VMM knows: every page of the range that a fault would install is
 * installed, with the frames a fault would use (the whole leaf of a 2 MiB
 * or 1 GiB area that the range touches; for each such slot where no block
 * of the area's size is free, smaller frames, unless
 * %AXAS_AREA_NO_FALLBACK). Pages already present stay as they are; linear
 * areas are mapped already, eager ones but for the pages axas_discard()
 * gave back, which it installs as in a lazy area.
 *
 * All or nothing: every frame and table page is allocated before the
 * first entry is written, so on failure nothing was installed and
 * nothing is charged. Runs concurrently with faults, guest copies and
 * other populates (space lock held shared): a page a vCPU faults in
 * meanwhile keeps the vCPU's frame. The allocation runs without the lock;
 * if a map, unmap or protect changed the range meanwhile, the populate
 * starts over (changes elsewhere in the space do not disturb it).
 *
 * Context: process context; may sleep (allocates); takes the space lock
 * shared (exclusively, briefly, at the frame cap), and drops it while it
 * allocates; calls no callback.
 * Return: 0; -EINVAL for an unaligned or zero range; -ERANGE for a range
 * outside the space, or a frame beyond the physical-address width;
 * -ENOENT when part of the range has no area; -EOPNOTSUPP when part of
 * it is a file area (see "Memory files": fallocate() on the file
 * allocates its frames ahead of the faults); -ENOMEM when frames or
 * table pages ran out or the frame cap would be exceeded; -ESHUTDOWN
 * after shutdown.
 */
int __must_check axas_populate(struct axas_space *space, u64 gpa, u64 size);

/**
 * axas_pool_limit() - how many zeroed frames a space keeps for its faults
 * @space: the space
 * @frames: 4 KiB frames the pool holds at most
 * @blocks_2m: 2 MiB frames the pool holds at most
 *
 * Sets the pool's limits (both 0 when the space is created); what it
 * holds beyond the new ones is freed at once. The limits bound the pool,
 * not the space: pooled frames count against &axas_space_cfg.max_frames,
 * and a charge that needs room takes it from the pool. See "Frames zeroed
 * ahead".
 *
 * Context: process context; may sleep (frees); takes no lock of the space
 * but the pool's spinlock; calls no callback.
 * Return: 0; -EOPNOTSUPP for 2 MiB frames in a table without 2 MiB leaves;
 * -ESHUTDOWN after shutdown.
 */
int axas_pool_limit(struct axas_space *space, unsigned long frames,
		    unsigned long blocks_2m);

/**
 * axas_prefill() - zero frames now for the faults to come
 * @space: the space
 * @budget: the most 4 KiB frames to add (a 2 MiB frame counts 512)
 *
 * Allocates zeroed frames into the space's pool, 4 KiB frames first and
 * then 2 MiB ones, until the pool reaches its limits (axas_pool_limit()),
 * @budget is spent, the frame cap is reached, the allocator has no more,
 * or a signal is pending; charged to the space's memory cgroup, whoever
 * calls. Meant for the VMM's idle time: its HLT handler, an idle vCPU
 * thread. Runs concurrently with faults and other prefills; the lock is
 * not held while a frame is allocated and zeroed, but that frame's charge
 * is counted as a fault's is, so that a fault at the frame cap waits for
 * it to reach the pool, where the fault can take its room back.
 *
 * Context: process context; may sleep (allocates, and reschedules between
 * frames); takes the space lock shared, and the pool's spinlock; calls no
 * callback.
 * Return: the 4 KiB frames added (0 when the pool is full or memory
 * short); -ESHUTDOWN after shutdown.
 */
long axas_prefill(struct axas_space *space, unsigned long budget);

/**
 * axas_collapse() - put huge leaves back where the frames line up
 * @space: the space
 * @gpa: first GPA, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 *
 * Does over [@gpa, @gpa + @size) what axas_dirty_log_stop() does over
 * its range: see "Huge leaves recovered". Only blocks wholly inside the
 * range are collapsed. Stopping logging and dropping the snapshot do this
 * themselves; the call is for leaves a VMM split otherwise (axas_unmap()
 * or axas_protect() of a part of a block, undone since). Pieces of one
 * map that a protect cut and whose rights are the same again join into
 * one area first, whole, also where they reach beyond the range: faults
 * there then install the map's frame size again.
 *
 * Context: process context; may sleep; takes the space lock exclusively;
 * calls the flush callback (when it made a leaf).
 * Return: the leaves made (0 when none lined up); -EINVAL for an unaligned
 * or zero range; -ERANGE for a range outside the space; -EBUSY when the
 * range meets dirty logging's or the snapshot's; -ESHUTDOWN after
 * shutdown.
 */
long axas_collapse(struct axas_space *space, u64 gpa, u64 size);

/**
 * axas_translate() - GPA to HPA
 * @space: the space
 * @gpa: any GPA of the space
 * @len: bytes the caller wants to reach from @gpa (1 for just the address)
 * @tr: filled with the HPA, the rights, and the contiguous length
 *
 * @tr->len counts the bytes from @gpa to the end of its leaf and, while
 * fewer than @len, adds the following leaves that continue the HPA with
 * the same rights (up to 512 of them): the bytes left in the contiguous
 * mapping, not the area size. The answer is a snapshot: a concurrent
 * unmap may remove the translation right after. Callers that only want
 * the HPA call axas_translate_hpa().
 *
 * Context: any, including atomic context; takes no lock (RCU); calls no
 * callback.
 * Return: 0; -ERANGE for @gpa outside the space; -ENOENT when no area
 * covers @gpa; -ENODATA when its area has not installed it yet (a lazy page
 * not faulted in, or discarded); -ESHUTDOWN after shutdown.
 */
int __must_check axas_translate(struct axas_space *space, u64 gpa, u64 len,
				struct axas_translation *tr);

/**
 * axas_translate_hpa() - GPA to HPA, and nothing else
 * @space: the space
 * @gpa: any GPA of the space
 * @hpa: set to the HPA of @gpa when it is mapped
 *
 * The lookup for callers that only want the address: the same answer as
 * axas_translate(), without the rights, the memory type and the
 * contiguous length. It reads one entry per level (the walk unrolled for
 * 4 and 5 levels, no indirect call) under RCU, like axas_translate(), and
 * is a snapshot in the same way: a concurrent unmap may remove the
 * translation right after.
 *
 * Context: any, including atomic context; takes no lock (RCU); calls no
 * callback.
 * Return: 0; -ERANGE for @gpa outside the space; -ENOENT when no area
 * covers @gpa; -ENODATA when its area has not installed it yet (a lazy page
 * not faulted in, or discarded); -ESHUTDOWN after shutdown. *@hpa is only
 * written on 0.
 */
int __must_check axas_translate_hpa(struct axas_space *space, u64 gpa,
				    phys_addr_t *hpa);

/**
 * axas_read() - copy from guest memory
 * @space: the space
 * @gpa: first GPA
 * @buf: destination
 * @len: bytes (may cross pages and areas)
 * @flags: %AXAS_COPY_FAULT to fault lazy pages in; otherwise a page not
 *	installed yet fails the copy there
 *
 * Reads regardless of the guest's rights (the VMM's view of memory).
 *
 * Context: process context; may sleep; takes the space lock shared (and,
 * with %AXAS_COPY_FAULT, drops it while it allocates a frame larger than 4
 * KiB, as axas_fault() does); calls no callback.
 * Return: 0; -EINVAL for unknown @flags; -ERANGE for a range outside the
 * space; -ENOENT where no area covers the range; -ENODATA, without
 * %AXAS_COPY_FAULT, at a page its area has not installed yet (a lazy page
 * not faulted in, or discarded); -EFAULT at host memory that cannot be
 * mapped; with %AXAS_COPY_FAULT, the errors of axas_fault() (-ENOMEM,
 * -ERANGE); -ESHUTDOWN. @buf may be partly written on error.
 */
int __must_check axas_read(struct axas_space *space, u64 gpa, void *buf,
			   size_t len, unsigned int flags);

/**
 * axas_write() - copy to guest memory
 * @space: the space
 * @gpa: first GPA
 * @buf: source
 * @len: bytes (may cross pages and areas)
 * @flags: %AXAS_COPY_FAULT to fault lazy pages in; otherwise a hole fails
 *
 * Writes regardless of the guest's rights (loading code into read-only
 * memory is the VMM's business). Under dirty logging (or a snapshot) the
 * pages written are reported written.
 *
 * Context: process context; may sleep; takes the space lock shared (and,
 * with %AXAS_COPY_FAULT, drops it while it allocates a frame larger than 4
 * KiB, as axas_fault() does); calls no callback.
 * Return: as axas_read(); guest memory may be partly written on error.
 */
int __must_check axas_write(struct axas_space *space, u64 gpa,
			    const void *buf, size_t len, unsigned int flags);

/**
 * axas_read_present() - copy the installed pages of a range, and say which
 * @space: the space
 * @gpa: first GPA, 4 KiB aligned
 * @buf: destination, @len bytes
 * @len: bytes, a multiple of 4 KiB
 * @present: one bit per 4 KiB page (bit n: the page at @gpa + n * 4 KiB),
 *	overwritten: set where the page is installed and was copied, clear
 *	where its area has not installed it (a lazy page not faulted in, or
 *	discarded), whose part of @buf is zeroed, as the guest would read it
 *
 * What a migration sender copies a chunk with: one call, no fault, nothing
 * installed, and the bitmap says which pages need sending (the others
 * read as zeros on both sides). Reads regardless of the guest's rights.
 *
 * Context: process context; may sleep; takes the space lock shared; calls
 * no callback.
 * Return: the number of pages copied; -EINVAL for an unaligned or zero
 * range; -ERANGE for a range outside the space; -ENOENT where no area
 * covers the range; -EFAULT at host memory that cannot be mapped;
 * -ESHUTDOWN after shutdown. @buf and @present may be partly written on
 * error.
 */
long __must_check axas_read_present(struct axas_space *space, u64 gpa,
				   void *buf, size_t len,
				   unsigned long *present);

/**
 * axas_walk_areas() - report every area in GPA order
 * @space: the space
 * @fn: called with each area; a non-zero return stops the walk
 * @arg: for @fn
 *
 * @fn runs with the space lock held shared: it must not call any axas_*
 * function on @space (a fault may drop and retake that lock).
 *
 * Context: process context; may sleep; takes the space lock shared; calls
 * no callback of axas (only @fn).
 * Return: 0, or the first non-zero value @fn returned; -ESHUTDOWN after
 * shutdown (@fn is not called).
 */
int axas_walk_areas(struct axas_space *space,
		       int (*fn)(void *arg, const struct axas_area_info *area),
		       void *arg);

/**
 * axas_space_get_stats() - what the space holds and has done
 * @space: the space
 * @stats: filled in
 *
 * Context: any; takes no lock: reads counters (each one is exact, the set
 * is not a snapshot; a leaf count may be off by the faults and unmaps
 * running meanwhile); calls no callback.
 * Return: nothing.
 */
void axas_space_get_stats(struct axas_space *space,
			  struct axas_space_stats *stats);

/**
 * axas_discard() - give back the frames of a range of alloc areas
 * @space: the space
 * @gpa: first GPA, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 *
 * For ballooning and free-page reporting: removes the translations of the
 * range and frees its frames, but keeps the areas, which become lazy
 * there (an eager area too): the next touch faults in a zeroed frame.
 * Holes and pages not faulted in are skipped. A 2 MiB or 1 GiB leaf the
 * range cuts is split and the rest of its frame stays mapped in smaller
 * leaves (frames are freed 4 KiB at a time); faults in the discarded
 * part of such a slot install 4 KiB frames. As for axas_unmap(), pins of
 * the range are invalidated and the range is flushed before any frame is
 * freed. Under dirty logging the pages it took away are reported written.
 *
 * Context: process context; may sleep; takes the space lock exclusively;
 * calls the pin callbacks, then the flush callback.
 * Return: 0; -EINVAL for an unaligned or zero range; -ERANGE for a range
 * outside the space; -EOPNOTSUPP when a linear or a file area lies in the
 * range (nothing changed: its memory is not the space's to free; a punch
 * of a memory file frees its frames in every view); -ENOMEM (nothing
 * changed); -ESHUTDOWN after shutdown.
 */
int __must_check axas_discard(struct axas_space *space, u64 gpa, u64 size);

/**
 * axas_dirty_log_start() - start dirty logging over a GPA range
 * @space: the space
 * @gpa: first GPA, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 * @flags: %AXAS_DIRTY_WP to use write-protection even where the table has
 *	dirty flags; 0 to choose from the table (see "Dirty logging, aging
 *	and discard")
 *
 * Splits the 2 MiB and 1 GiB leaves that map part of the range into
 * 4 KiB leaves, forgets what was written before (clears the dirty flags,
 * or takes the write right away; write pins of the range are invalidated
 * then; a snapshot's tracking keeps what it takes), flushes, and from
 * then on records every page written in the range. One range per space,
 * beside a snapshot (see "Snapshot and restore").
 *
 * Context: process context; may sleep; takes the space lock exclusively;
 * calls the pin callbacks (write pins, under write-protection), then the
 * flush callback.
 * Return: 0; -EINVAL for an unaligned or zero range or unknown @flags;
 * -ERANGE for a range outside the space; -EBUSY when logging is on
 * already, or a snapshot tracks writes by the other mechanism (dirty
 * flags against %AXAS_DIRTY_WP); -ENOMEM (nothing changed); -ESHUTDOWN
 * after shutdown.
 */
int __must_check axas_dirty_log_start(struct axas_space *space, u64 gpa,
				      u64 size, unsigned int flags);

/**
 * axas_dirty_log_stop() - stop dirty logging
 * @space: the space
 *
 * In write-protection mode, gives the write right back to every page of
 * the range whose area has it (adding a right needs no flush). Leaves
 * split for logging go back to their areas' size where the frames line
 * up (see "Huge leaves recovered"). Where a snapshot's tracking covers the
 * range, it stays as it is for the snapshot. What was written since the last
 * harvest is forgotten.
 *
 * Context: process context; may sleep; takes the space lock exclusively;
 * calls the flush callback (when it put a huge leaf back).
 * Return: 0; -ESRCH when logging is off; -ESHUTDOWN after shutdown.
 */
int axas_dirty_log_stop(struct axas_space *space);

/**
 * axas_dirty_log_get() - report and clear the pages written in a range
 * @space: the space
 * @gpa: first GPA, 4 KiB aligned, within the logged range
 * @size: bytes, a multiple of 4 KiB, within the logged range
 * @bitmap: one bit per 4 KiB page (bit n: the page at @gpa + n * 4 KiB),
 *	overwritten: set for the pages written since the last harvest or
 *	clear of that page (or since logging started), clear for the others
 *
 * Clears what it reports and flushes the range once (if anything was
 * cleared), so that a page written after its bit was taken shows in the
 * next harvest. Any sub-range may be harvested, in any order, while the
 * guest runs: faults and guest copies go on meanwhile. Pages are
 * reported 4 KiB at a time: no leaf larger than that maps any part of
 * the logged range (see "Dirty logging, aging and discard").
 *
 * Context: process context; may sleep; takes the space lock shared (in
 * write-protection mode exclusively when a valid write pin lies in the
 * range); calls the pin callbacks (those write pins), then the flush
 * callback.
 * Return: the number of pages reported; -EINVAL for an unaligned or zero
 * range; -ERANGE for a range outside the space or the logged range;
 * -ESRCH when logging is off; -ENOMEM (axas_dirty_log_clear() only: its
 * scratch bitmap); -ESHUTDOWN after shutdown.
 */
long __must_check axas_dirty_log_get(struct axas_space *space, u64 gpa,
				     u64 size, unsigned long *bitmap);

/**
 * axas_dirty_log_clear() - forget the pages written in a range
 * @space: the space
 * @gpa: first GPA, 4 KiB aligned, within the logged range
 * @size: bytes, a multiple of 4 KiB, within the logged range
 *
 * As axas_dirty_log_get() without the report: a VMM that copied part of a
 * range already, or that starts a new round, clears it in chunks while the
 * guest runs.
 *
 * Context: process context; may sleep; takes the space lock shared (in
 * write-protection mode exclusively when a valid write pin lies in the
 * range); calls the pin callbacks (those write pins), then the flush
 * callback.
 * Return: 0; the errors of axas_dirty_log_get().
 */
int __must_check axas_dirty_log_clear(struct axas_space *space, u64 gpa,
				      u64 size);

/**
 * axas_age() - report (and clear) the accessed flags of a range
 * @space: the space
 * @gpa: first GPA, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 * @bitmap: one bit per 4 KiB page (bit n: the page at @gpa + n * 4 KiB),
 *	overwritten: set for pages whose leaf has the accessed flag ("young");
 *	a 2 MiB or 1 GiB leaf reports all its pages in the range (and keeps
 *	its flag unless the range covers it whole). May be NULL to count
 *	only.
 * @flags: %AXAS_AGE_CLEAR to clear the flags it reports (test-and-clear
 *	young), then flush the range once; 0 to test only (no flush)
 *
 * Runs while the guest runs: faults and guest copies go on meanwhile.
 *
 * Context: process context; may sleep; takes the space lock shared; calls
 * the flush callback (with %AXAS_AGE_CLEAR, when a flag was cleared).
 * Return: the number of young pages; -EINVAL for an unaligned or zero
 * range or unknown @flags; -ERANGE for a range outside the space;
 * -EOPNOTSUPP for an EPT table without accessed flags
 * (%AXAS_PT_ROOT_AD); -ESHUTDOWN after shutdown.
 */
long __must_check axas_age(struct axas_space *space, u64 gpa, u64 size,
			   unsigned long *bitmap, unsigned int flags);

/**
 * axas_snapshot_take() - save the alloc memory of a space
 * @space: the space
 *
 * Copies every alloc page that is present now into memory of the
 * snapshot (charged to the frame cap and the memory cgroup, reported in
 * &axas_space_stats.snapshot_frames), splits the huge leaves of the alloc
 * areas' range into 4 KiB leaves, and starts tracking writes there with
 * the dirty-logging machinery, flushing once (by the mechanism of the
 * VMM's dirty log, if one runs; see "Snapshot and restore"). One snapshot
 * per space.
 *
 * Context: process context; may sleep; takes the space lock exclusively;
 * calls the pin callbacks (write pins, under write-protection), then the
 * flush callback. vCPUs must be out of guest mode (see "Snapshot and
 * restore").
 * Return: 0; -ENOENT when the space has no alloc area; -EBUSY when a
 * snapshot exists; -ENOMEM when memory or the frame
 * cap ran out (nothing changed but leaves split, which map the same);
 * -ESHUTDOWN after shutdown.
 */
int __must_check axas_snapshot_take(struct axas_space *space);

/**
 * axas_snapshot_restore() - make alloc memory equal to the snapshot again
 * @space: the space
 *
 * Harvests the snapshot's write tracking (one pass over the leaf entries
 * of its range) and flushes the range once if it cleared anything, before
 * any page changes. Then, for each alloc page written or discarded since
 * the snapshot or the last restore: copies the saved page back into its
 * frame (a discarded page gets a fresh frame first), or unmaps the page
 * and frees its frame if it was absent at snapshot time. Pages not
 * written are not touched. The pins of a page copied back are
 * invalidated before its content changes; those of a page unmapped after
 * its entry is removed. Then the pages of every pin invalidated, and
 * those unmapped, are flushed once more (so a pin callback that only
 * posts a request is followed by the flush that kicks), and the frames
 * unmapped are freed. The snapshot stays, for the next restore.
 *
 * Context: process context; may sleep; takes the space lock exclusively;
 * calls the pin callbacks, then the flush callback. vCPUs must be out of
 * guest mode (see "Snapshot and restore").
 * Return: the number of pages restored (copied back or unmapped);
 * -ESRCH when there is no snapshot; -ESTALE when an area was mapped,
 * unmapped or protected since the snapshot was taken (nothing changed);
 * -ENOMEM when a frame or table page could not be had: the pages restored
 * before stay restored, the others stay marked and the next restore
 * finishes the job (nothing leaks); -ESHUTDOWN after shutdown.
 */
long __must_check axas_snapshot_restore(struct axas_space *space);

/**
 * axas_snapshot_drop() - free the snapshot
 * @space: the space
 *
 * Frees the saved pages and ends the write tracking (under
 * write-protection the write right comes back; adding a right needs no
 * flush), and puts back the huge leaves it split where the frames line up
 * (see "Huge leaves recovered"). Guest memory stays as it is.
 *
 * Context: process context; may sleep; takes the space lock exclusively;
 * calls the flush callback (when it put a huge leaf back).
 * Return: 0; -ESRCH when there is no snapshot; -ESHUTDOWN after shutdown
 * (which freed the snapshot).
 */
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
 * The functions that may call it say so in their Context: (measured by the
 * axas_contract KUnit suite): axas_unmap(), axas_protect() (and a protect
 * that write-protection keeps the write right from), axas_discard(),
 * axas_space_shutdown() (and axas_space_destroy() of a space not shut
 * down), axas_snapshot_restore(), and, for write pins where
 * write-protection takes the write right away, axas_dirty_log_start(),
 * axas_dirty_log_get(), axas_dirty_log_clear() and axas_snapshot_take().
 * It runs in process context with the space's lock held exclusively, on
 * whatever CPU called, and with the pin's lock not held. It may sleep. It
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

/**
 * axas_pin_init() - prepare a pin
 * @pin: the pin, embedded in the caller's structure
 * @space: the space it will pin a page of
 * @invalidate: called when the pin becomes invalid (see &axas_pin_fn)
 * @cookie: for @invalidate
 *
 * The pin starts inactive: axas_pin_lock() reports it invalid, and
 * axas_pin_release() does nothing.
 *
 * Context: any; takes no lock and does not touch @space; calls no callback.
 * Return: nothing.
 */
void axas_pin_init(struct axas_pin *pin, struct axas_space *space,
		   axas_pin_fn invalidate, void *cookie);

/**
 * axas_pin_activate() - pin the translation of a GPA range in one page
 * @pin: a pin from axas_pin_init(), not active
 * @gpa: first GPA
 * @len: bytes, at least 1; [@gpa, @gpa + @len) must lie within one 4 KiB
 *	page
 * @access: what the pin is used for: %AXAS_ACCESS_READ and/or
 *	%AXAS_ACCESS_WRITE, which the page's mapping must allow
 * @flags: %AXAS_PIN_FAULT to fault a lazy page in (as axas_fault() would
 *	for @access, and counted as a fault); otherwise a page not present
 *	fails
 *
 * Resolves the HPA and the kernel address of @gpa (see "Pinned
 * translations" for which memory has one), marks the pin valid and
 * registers it with the space: from then on, an operation that removes or
 * reduces the translation invalidates it and calls the callback. A pin that
 * failed to activate stays inactive.
 *
 * Context: process context; may sleep; takes the space lock shared (and,
 * with %AXAS_PIN_FAULT, as axas_fault() does); calls no callback.
 * Return: 0; -EINVAL for a pin initialized without a space or a callback, a
 * zero @len, a range that crosses a 4 KiB boundary, an empty or unknown
 * @access, or unknown @flags; -EBUSY when @pin is active (release it
 * first); -ERANGE for @gpa outside the space; -ENOENT when no area covers
 * @gpa; -ENODATA, without %AXAS_PIN_FAULT, when its area has not installed
 * it yet (a lazy page not faulted in, or discarded); -EACCES when the
 * mapping does not allow @access; -EFAULT when host memory that needs
 * memremap() could not be mapped; with %AXAS_PIN_FAULT, -ENOMEM
 * from the fault, and -EAGAIN when the page was unmapped again after each
 * of several faults; -ESHUTDOWN after shutdown.
 */
int __must_check axas_pin_activate(struct axas_pin *pin, u64 gpa, u32 len,
				   unsigned int access, unsigned int flags);

/**
 * axas_pin_refresh() - make an invalidated pin valid again
 * @pin: an active pin
 * @flags: %AXAS_PIN_FAULT, as for axas_pin_activate()
 *
 * Resolves the range and access given to axas_pin_activate() again: after
 * an unmap and a new map, the new frame. A valid pin is left as it is. On
 * error the pin stays active and invalid; refresh it later or release it.
 *
 * Context: process context; may sleep; takes the space lock shared; calls
 * no callback.
 * Return: 0; -EINVAL for unknown @flags or a pin that is not active; else
 * the errors of axas_pin_activate() (-ENOENT, -ENODATA, -EACCES, -EFAULT,
 * -ENOMEM, -EAGAIN, -ESHUTDOWN).
 */
int __must_check axas_pin_refresh(struct axas_pin *pin, unsigned int flags);

/**
 * axas_pin_lock() - begin a section that uses the pin
 * @pin: the pin
 *
 * Until axas_pin_unlock(), the pin cannot be invalidated: an operation
 * that would invalidate it waits. If this returns true, the section may use
 * axas_pin_hpa() and axas_pin_kva() (read or write through the kernel
 * address as the pin's access allows, or load the HPA into a VMCS/VMCB
 * field). If it returns false, the pin is inactive or was invalidated: do
 * not use them; unlock, then axas_pin_refresh() or give up. Sections of
 * several threads run in parallel.
 *
 * Context: any, including interrupts disabled and interrupt context; takes
 * the pin's lock for reading, no space lock; calls no callback. The section
 * must not sleep and must not call into the space. Always paired with
 * axas_pin_unlock(), whatever the answer.
 * Return: true if the pin is valid.
 */
bool axas_pin_lock(struct axas_pin *pin) __acquires(&pin->lock);

/**
 * axas_pin_unlock() - end a section begun by axas_pin_lock()
 * @pin: the pin
 *
 * Context: the context of the section; releases the pin's lock; calls no
 * callback.
 * Return: nothing.
 */
void axas_pin_unlock(struct axas_pin *pin) __releases(&pin->lock);

/**
 * axas_pin_hpa() - the HPA of a pin's GPA
 * @pin: the pin
 *
 * Meaningful inside a section where axas_pin_lock() returned true, or, for
 * the owner, from a successful activate or refresh until the callback.
 * It is the address the CPU takes in a VMCS or VMCB field: on a host with
 * memory encryption (AMD SME), with the C-bit where the guest's mapping
 * of the page has it (RAM), as the nested table holds it; axas_translate()
 * answers without it.
 *
 * Context: any; takes no lock; calls no callback.
 * Return: the HPA of the GPA given to axas_pin_activate().
 */
phys_addr_t axas_pin_hpa(const struct axas_pin *pin);

/**
 * axas_pin_kva() - the kernel address of a pin's GPA
 * @pin: the pin
 *
 * Valid as axas_pin_hpa() is. The direct map for RAM the kernel maps, a
 * memremap() mapping for other memory, NULL for memory the kernel cannot
 * map as the guest does (see "Pinned translations").
 *
 * Context: any; takes no lock; calls no callback.
 * Return: the kernel address of the GPA given to axas_pin_activate(), or
 * NULL.
 */
void *axas_pin_kva(const struct axas_pin *pin);

/**
 * axas_pin_release() - unregister a pin
 * @pin: the pin (inactive, active or already released)
 *
 * Waits for sections in progress, marks the pin invalid and inactive, and
 * drops its kernel mapping. When it returns, the callback is not running
 * for @pin and will not be called again; the pin may be activated again.
 * Does nothing on a pin that is not active (never activated, released, or
 * unregistered by axas_space_destroy()).
 *
 * Context: process context; may sleep; takes the space lock shared; calls
 * no callback.
 * Return: nothing.
 */
void axas_pin_release(struct axas_pin *pin);

#endif /* _AXAS_AXAS_H */
