/* SPDX-License-Identifier: GPL-2.0 */
/*
 * axas guest page walker: guest-virtual to guest-physical addresses through
 * the guest's own page tables, with the CPU's permission rules.
 */

/**
 * DOC: Guest page walker
 *
 * A VMM that emulates an instruction (MMIO, string I/O, descriptor tables)
 * translates the guest's linear addresses exactly as the guest's CPU
 * would. axas_walk() does that through the guest's page tables, which it
 * reads from the space (the guest's memory), and answers with the GPA and
 * the page size, or with the page fault the CPU would raise (error code
 * and faulting address, as the guest would see them in its #PF and CR2).
 *
 * The paging mode follows from the registers in &struct axas_walk_state,
 * as the CPU derives it (Intel SDM Vol. 3A, 4.1.1; AMD APM Vol. 2, 5.1):
 *
 * - CR0.PG clear: no paging, the GVA is the GPA (32 bits outside long mode);
 * - CR4.PAE clear: 32-bit paging, 2 levels, 4 MiB pages with CR4.PSE,
 *   physical bits 39:32 of a 4 MiB page from PDE bits 20:13 (PSE-36, up to
 *   MAXPHYADDR, at most 40 bits);
 * - CR4.PAE set, EFER.LMA clear: PAE paging, the four PDPTEs taken from
 *   &axas_walk_state.pdpte as the CPU caches them at MOV CR3 (a present
 *   PDPTE with a reserved bit faults with RSVD, as AMD CPUs report it; an
 *   Intel CPU refuses such a PDPTE at MOV CR3 already);
 * - EFER.LMA set: 4-level paging, or 5-level with CR4.LA57; 1 GiB pages
 *   unless %AXAS_GUEST_NO_1G.
 *
 * Permissions are the SDM's (4.6) and the APM's (5.6): user-mode accesses
 * (CPL 3, not implicit) only reach user pages; supervisor writes honour
 * CR0.WP; EFER.NXE enables the XD bit (reserved without it); CR4.SMEP
 * forbids supervisor fetches from user pages; CR4.SMAP forbids supervisor
 * data accesses to user pages unless RFLAGS.AC is set and the access is
 * explicit (%AXAS_WALK_IMPLICIT marks the implicit ones, such as
 * descriptor-table reads, which are supervisor accesses at any CPL);
 * protection keys (4- and 5-level paging only) check data accesses to user
 * pages against PKRU with CR4.PKE and to supervisor pages against PKRS with
 * CR4.PKS. Reserved bits are checked per level and mode against the
 * guest's MAXPHYADDR (&axas_walk_state.maxphyaddr): the bits both vendors
 * reserve. AMD's must-be-zero bit 8 of a PML5E, a PML4E and a PDPE that
 * points to a table (APM Vol. 2, 5.4) is not checked: an AMD CPU faults
 * with RSVD there, the walker translates. The walk stops at the first
 * entry that is not present or has a reserved bit set, from the top. A
 * walk that faults sets no accessed flag (as KVM's walker does).
 *
 * The error code (%AXAS_PF_P, %AXAS_PF_W, %AXAS_PF_U, %AXAS_PF_RSVD,
 * %AXAS_PF_I, %AXAS_PF_PK) has the bits of the architectural #PF error
 * code: P when the translation was present (a permission or reserved-bit
 * fault); W for a write; U for a user-mode access; RSVD for a reserved bit;
 * I for an instruction fetch when CR4.SMEP is set or EFER.NXE with PAE
 * tables; PK for a protection-key violation.
 *
 * The flags of axas_walk() and of the range helpers:
 *
 * - %AXAS_WALK_WRITE: a write; %AXAS_WALK_FETCH: an instruction fetch;
 *   neither: a read.
 * - %AXAS_WALK_IMPLICIT: an implicit supervisor-mode access (descriptor
 *   tables, the TSS), whatever the CPL: a data access, so not with
 *   %AXAS_WALK_FETCH (``-EINVAL``).
 * - %AXAS_WALK_SET_AD: set the accessed flag of every entry the walk used
 *   and, for a write, the dirty flag of the leaf, as the CPU does; only when
 *   the access is allowed. Each flag is set with a compare-and-exchange on
 *   the whole entry: an update by another vCPU in between is never lost
 *   (the walk starts over when the entry changed under it).
 * - %AXAS_WALK_FAULT_IN: a guest table page in a lazy area that is not
 *   installed yet is faulted in (as axas_fault() would, whatever the
 *   area's rights); without it the walk answers ``-ENODATA`` there.
 *
 * The flag of &axas_walk_state.flags, with a prefix of its own (it says
 * what the guest's CPU is, not how to walk): %AXAS_GUEST_NO_1G, the
 * guest's CPU has no 1 GiB pages (the PS bit of a PDPTE is then reserved).
 *
 * A guest table page at a GPA where no area is gives ``-ENOENT`` with the
 * table's GPA in &axas_walk_result.table_gpa: the CPU would have caused an
 * EPT violation or nested page fault on its walk there. The walk reads
 * guest table entries and sets A/D flags with the guest's rights on their
 * pages, as the CPU's walk does through the nested table: an entry in a
 * page the guest may not read (an EPT execute-only page), or an A/D flag
 * to set in a page it may not write (a read-only area: shared memory, or
 * page tables the VMM write-protected to track them), answers
 * %AXAS_WALK_NESTED_FAULT with that entry's GPA in
 * &axas_walk_result.table_gpa and the access in
 * &axas_walk_result.nested_access, and changes nothing (no flag of the walk
 * is set): the VMM handles it as the EPT violation or nested page fault
 * the CPU would have caused, for example with axas_fault(), and emulates
 * again. Rights that write-protection dirty logging took away are not the
 * guest's rights: those writes are made and logged, as axas_write()'s are.
 * A/D flags are set only in RAM: a guest table in device memory that
 * needs one gives ``-EFAULT``.
 *
 * axas_gva_read() and axas_gva_write() copy a guest-virtual range across
 * pages (and across page-table boundaries) with the access rights of the
 * walk, and stop at the first page that faults with its page fault;
 * axas_gva_read() with %AXAS_WALK_FETCH reads instruction bytes as the CPU
 * fetches them.
 */
#ifndef _AXAS_WALK_H
#define _AXAS_WALK_H

#include <linux/bits.h>
#include <linux/types.h>

struct axas_space;

#define AXAS_WALK_WRITE		BIT(0)
#define AXAS_WALK_FETCH		BIT(1)
#define AXAS_WALK_IMPLICIT	BIT(2)
#define AXAS_WALK_SET_AD	BIT(3)
#define AXAS_WALK_FAULT_IN	BIT(4)

#define AXAS_GUEST_NO_1G	BIT(0)

#define AXAS_PF_P		BIT(0)
#define AXAS_PF_W		BIT(1)
#define AXAS_PF_U		BIT(2)
#define AXAS_PF_RSVD		BIT(3)
#define AXAS_PF_I		BIT(4)
#define AXAS_PF_PK		BIT(5)

/**
 * enum axas_walk_answer - what axas_walk() found, when it did not fail
 * @AXAS_WALK_OK: translated: &axas_walk_result.gpa and .pgsize are valid
 * @AXAS_WALK_PAGE_FAULT: the guest's CPU raises #PF:
 *	&axas_walk_result.error_code and .fault_gva are valid
 * @AXAS_WALK_NESTED_FAULT: the guest's CPU would cause an EPT violation or
 *	nested page fault during its walk: &axas_walk_result.table_gpa and
 *	.nested_access are valid (see "Guest page walker")
 */
enum axas_walk_answer {
	AXAS_WALK_OK = 0,
	AXAS_WALK_PAGE_FAULT = 1,
	AXAS_WALK_NESTED_FAULT = 2,
};

/**
 * struct axas_walk_state - the guest's paging state, as its CPU holds it
 * @cr0: CR0 (PG, WP are used)
 * @cr3: CR3 (the table's address; PCD/PWT and the PCID are ignored)
 * @cr4: CR4 (PSE, PAE, LA57, SMEP, SMAP, PKE, PKS are used)
 * @efer: EFER (LMA, NXE are used)
 * @rflags: RFLAGS (AC is used)
 * @pdpte: PAE paging: the four PDPTEs the CPU loaded at MOV CR3
 * @pkru: PKRU, used with CR4.PKE
 * @pkrs: the IA32_PKRS MSR, used with CR4.PKS
 * @cpl: the current privilege level, 0 to 3
 * @maxphyaddr: the guest's physical-address width, 32 to 52 bits
 * @flags: %AXAS_GUEST_NO_1G
 */
struct axas_walk_state {
	u64 cr0;
	u64 cr3;
	u64 cr4;
	u64 efer;
	u64 rflags;
	u64 pdpte[4];
	u32 pkru;
	u32 pkrs;
	u8 cpl;
	u8 maxphyaddr;
	u32 flags;
};

/**
 * struct axas_walk_result - the answer of axas_walk()
 * @gpa: %AXAS_WALK_OK: the GPA of the GVA
 * @pgsize: %AXAS_WALK_OK: the size of the guest's page (4 KiB, 2 MiB,
 *	4 MiB or 1 GiB; 4 KiB without paging)
 * @error_code: %AXAS_WALK_PAGE_FAULT: the #PF error code (``AXAS_PF_*``)
 * @fault_gva: %AXAS_WALK_PAGE_FAULT: the faulting linear address (CR2)
 * @table_gpa: -ENOENT, -ENODATA, -EFAULT or %AXAS_WALK_NESTED_FAULT: the GPA of
 *	the guest table entry the walk could not read (or set a flag in)
 * @nested_access: %AXAS_WALK_NESTED_FAULT: the ``AXAS_ACCESS_*`` the
 *	nested table refused at @table_gpa (%AXAS_ACCESS_READ or
 *	%AXAS_ACCESS_WRITE), as axas_fault() takes it
 * @level: the level the walk ended at: 0 for a 4 KiB page or an entry of
 *	the last table, 1 for 2 MiB/4 MiB, 2 for 1 GiB, and so on
 */
struct axas_walk_result {
	u64 gpa;
	u64 pgsize;
	u32 error_code;
	u64 fault_gva;
	u64 table_gpa;
	unsigned int nested_access;
	unsigned int level;
};

/**
 * axas_walk() - translate a guest-virtual address as the guest's CPU would
 * @space: the space whose memory holds the guest's page tables
 * @st: the guest's paging state
 * @gva: the linear address
 * @flags: the access (``AXAS_WALK_WRITE``, ``AXAS_WALK_FETCH``, neither for
 *	a read; ``AXAS_WALK_IMPLICIT``) and how to walk (``AXAS_WALK_SET_AD``,
 *	``AXAS_WALK_FAULT_IN``); see "Guest page walker"
 * @res: the answer
 *
 * Reads the guest's table entries at their GPAs through the space, with
 * the space lock held shared so that no frame is freed under the walk (the
 * nested-table lookup itself is the lockless one of axas_translate()),
 * with the guest's rights on those pages (see "Guest page walker"). With
 * paging off (CR0.PG clear) the GVA is the GPA.
 *
 * Context: process context; may sleep; takes the space lock shared (with
 * %AXAS_WALK_FAULT_IN it may allocate a frame as axas_fault() does); calls
 * no callback.
 * Return: %AXAS_WALK_OK with @res->gpa and @res->pgsize;
 * %AXAS_WALK_PAGE_FAULT with @res->error_code and @res->fault_gva;
 * %AXAS_WALK_NESTED_FAULT with @res->table_gpa and @res->nested_access
 * (nothing changed);
 * -ENOENT when a guest table entry lies at a GPA no area covers (or outside
 * the space), -ENODATA when it lies in a page its area has not installed
 * yet (without %AXAS_WALK_FAULT_IN), -EFAULT in memory that cannot be
 * mapped write-back, or in device memory where an A/D flag is to be set,
 * all with @res->table_gpa; -EINVAL for unknown @flags or
 * state flags, write and fetch together, a fetch marked implicit (fetches
 * are never implicit supervisor accesses), a CPL above 3, a MAXPHYADDR
 * outside 32..52, or a @gva that is not a linear address of the mode
 * (above 4 GiB outside IA-32e paging, non-canonical in it: the CPU raises
 * #GP, not #PF); -EAGAIN when the tables kept changing under
 * %AXAS_WALK_SET_AD; the errors of axas_fault() with %AXAS_WALK_FAULT_IN
 * (-ENOMEM); -ESHUTDOWN after shutdown. On error nothing changed but A/D
 * flags already set by the walk (-EAGAIN, -ESHUTDOWN).
 */
int __must_check axas_walk(struct axas_space *space,
			   const struct axas_walk_state *st, u64 gva,
			   unsigned int flags, struct axas_walk_result *res);

/**
 * axas_gva_read() - copy from a guest-virtual range
 * @space: the space
 * @st: the guest's paging state
 * @gva: first linear address
 * @buf: destination
 * @len: bytes (may cross pages and page tables)
 * @flags: ``AXAS_WALK_FETCH`` (instruction bytes: the fetch's rights, and
 *	its #PF error code), ``AXAS_WALK_IMPLICIT``, ``AXAS_WALK_SET_AD``,
 *	``AXAS_WALK_FAULT_IN`` (which also faults lazy data pages in)
 * @res: the walk of the page where the copy stopped: the #PF on
 *	%AXAS_WALK_PAGE_FAULT, else its GPA
 *
 * Each page is translated with axas_walk() for a read (or a fetch) and
 * copied with axas_read(); the copy stops at the first page that faults,
 * with the bytes of the pages before it in @buf. An emulator reads the
 * instruction at RIP across a page boundary with one call and
 * %AXAS_WALK_FETCH, as the CPU would fetch it.
 *
 * Context: process context; may sleep; takes the space lock shared (as
 * axas_walk() and axas_read()); calls no callback.
 * Return: 0; %AXAS_WALK_PAGE_FAULT with @res->error_code and
 * @res->fault_gva (the first byte of the faulting page that the range
 * touches, as CR2 would hold); %AXAS_WALK_NESTED_FAULT and the errors of
 * axas_walk(); those of axas_read() for the data pages (-ENODATA at a data
 * page its area has not installed yet, without %AXAS_WALK_FAULT_IN;
 * -ENOENT where no area is) with @res->gpa.
 */
int __must_check axas_gva_read(struct axas_space *space,
			       const struct axas_walk_state *st, u64 gva,
			       void *buf, size_t len, unsigned int flags,
			       struct axas_walk_result *res);

/**
 * axas_gva_write() - copy to a guest-virtual range
 * @space: the space
 * @st: the guest's paging state
 * @gva: first linear address
 * @buf: source
 * @len: bytes (may cross pages and page tables)
 * @flags: as for axas_gva_read(), but for ``AXAS_WALK_FETCH``
 * @res: as for axas_gva_read()
 *
 * Every page is first translated for a write (without setting A/D flags)
 * and its data page checked (or faulted in, with %AXAS_WALK_FAULT_IN); if
 * one faults or fails, nothing is written, as a CPU checks an access
 * before it writes any of it. With %AXAS_WALK_SET_AD each page is then
 * translated again, setting the A/D flags; if the guest's tables changed
 * meanwhile so that a page now faults or maps another GPA (another vCPU),
 * the copy ends there with that answer (or ``-EAGAIN``), and still
 * nothing is written (the flags set so far stay, as on a CPU). Only then
 * are the pages written with axas_write(), to the GPAs of the first walk.
 * Guest memory is written in part only when that write fails: the VMM
 * unmapped or discarded a data page meanwhile (and, with
 * %AXAS_WALK_FAULT_IN, it cannot be faulted in again).
 *
 * Context: process context; may sleep; takes the space lock shared (as
 * axas_walk() and axas_write()); calls no callback.
 * Return: as axas_gva_read(), and ``-EAGAIN`` when a page maps another GPA
 * on the second walk; ``-ENOMEM`` when the GPAs of more than four pages
 * found no room.
 */
int __must_check axas_gva_write(struct axas_space *space,
				const struct axas_walk_state *st, u64 gva,
				const void *buf, size_t len, unsigned int flags,
				struct axas_walk_result *res);

#endif /* _AXAS_WALK_H */
