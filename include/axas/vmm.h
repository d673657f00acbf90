/* SPDX-License-Identifier: GPL-2.0 */
/*
 * axas helpers for VMMs: exit decoding and frames for VMX/SVM structures.
 */

/**
 * DOC: Exit decoding
 *
 * An EPT violation (Intel SDM Vol. 3C, 28.3.3.2, "EPT Violations", and the
 * exit qualification's table in 29.2.1) and a nested page fault (AMD APM
 * Vol. 2, 15.25.6, "Nested versus Guest Page Faults, Fault Ordering") say
 * in their own bits what the guest attempted. axas_decode_ept_violation()
 * and axas_decode_npf() turn them into &struct axas_exit_fault: the GPA,
 * the ``AXAS_ACCESS_*`` bits for axas_fault(), and the flags below.
 *
 * - %AXAS_EXIT_WALK: the access was the guest's own page walk (a read of a
 *   guest paging-structure entry, or the CPU setting its A/D flags), not
 *   the access to the final GPA. EPT: qualification bit 7 set and bit 8
 *   clear; NPF: EXITINFO1 bit 33.
 * - %AXAS_EXIT_FINAL: the access was to the final GPA of a guest linear
 *   address (EPT: bits 7 and 8; NPF: bit 32). Neither flag: the hardware
 *   did not say (EPT: no linear address, e.g. an access of the CPU to a
 *   structure at a GPA).
 * - %AXAS_EXIT_PRESENT: the nested translation was present: a permission
 *   fault, not a missing page (EPT: any of the readable, writable,
 *   executable bits 3 to 5 or, with mode-based execute, bit 6; NPF: P).
 * - %AXAS_EXIT_USER: EPT with advanced information: the linear address
 *   was a user-mode address (bit 9, valid with bits 7 and 8).
 * - %AXAS_EXIT_RSVD: NPF: a reserved bit was set in the nested table
 *   (the VMM's bug, as an EPT misconfiguration is).
 * - %AXAS_EXIT_NMI_UNBLOCKED: EPT: qualification bit 12, the violation
 *   happened while an IRET unblocked NMIs; the VMM must set "blocking by
 *   NMI" in the guest's interruptibility state again before it resumes
 *   the guest (SDM Vol. 3C, 28.2.3 / 29.2.3).
 *
 * With EPT mode-based execute control (%AXAS_CAP_MBEC) a fetch from a
 * user-mode linear address is %AXAS_ACCESS_EXEC_USER, otherwise
 * %AXAS_ACCESS_EXEC. The mode comes from bit 9 with advanced VM-exit
 * information for EPT violations (IA32_VMX_EPT_VPID_CAP bit 22); without
 * it, from the rights the qualification reports: a fetch that an entry
 * executable for supervisor-mode addresses (bit 5) but not for user-mode
 * ones (bit 6) refused was a user-mode fetch, and one refused by an entry
 * executable only for user-mode addresses a supervisor-mode fetch. A fetch
 * from a page not present (or without either right) is then reported as a
 * supervisor-mode fetch: in an area with %AXAS_PROT_EXEC_USER but not
 * %AXAS_PROT_EXEC, a VMM without advanced information cannot tell a
 * user-mode fetch there from a refused one, and axas_fault() answers
 * ``-EACCES``; present pages are decoded exactly.
 *
 * A nested page fault on the guest's own walk (%AXAS_EXIT_WALK) is a read
 * or a write of the guest's table: its instruction-fetch bit says what the
 * walk was for, not how the table is accessed, and is not decoded as
 * %AXAS_ACCESS_EXEC. A final access with both the write and the fetch bit
 * (which no CPU reports) is decoded as both, and needs both rights.
 */

/**
 * DOC: Frames for VMM structures
 *
 * A VMM needs zeroed, physically contiguous pages for its hardware
 * structures, with their host-physical address for the VMCS/VMCB fields and
 * a kernel address to fill them. &struct axas_vmm_frame is one such block
 * of ``2^order`` pages (order up to %AXAS_VMM_FRAME_MAX_ORDER), on a NUMA
 * node of the caller's choice (preferred; ``NUMA_NO_NODE`` for the task's
 * policy), charged to the caller's memory cgroup.
 *
 * - axas_vmm_frame_alloc() and axas_vmm_frame_free(): any block.
 * - axas_vmx_region_alloc(): a VMXON region or a VMCS, 4 KiB with the VMCS
 *   revision identifier (IA32_VMX_BASIC bits 30:0) written in its first
 *   32 bits; %AXAS_VMX_SHADOW_VMCS sets bit 31 of a shadow VMCS.
 * - axas_vmm_bitmap_alloc(): the bitmaps of &enum axas_vmm_bitmap, all
 *   bits set (intercept everything) or clear.
 * - A VMCB and the SVM host save area are one page each:
 *   ``axas_vmm_frame_alloc(0, node)``.
 *
 * On kernels with linux/cleanup.h (6.5 on), ``__free(axas_vmm_frame)``
 * frees a frame when its pointer goes out of scope (NULL and error
 * pointers are left alone), so that error paths cannot leak;
 * no_free_ptr() hands it on::
 *
 *	struct axas_vmm_frame *vmcb __free(axas_vmm_frame) =
 *		axas_vmm_frame_alloc(0, node);
 *
 *	if (IS_ERR(vmcb))
 *		return PTR_ERR(vmcb);
 *	...
 *	vcpu->vmcb = no_free_ptr(vmcb);
 */
#ifndef _AXAS_VMM_H
#define _AXAS_VMM_H

#include <linux/bits.h>
#include <linux/err.h>
#include <linux/types.h>
#include <linux/version.h>

#define AXAS_EXIT_WALK		BIT(0)
#define AXAS_EXIT_FINAL		BIT(1)
#define AXAS_EXIT_PRESENT	BIT(2)
#define AXAS_EXIT_USER		BIT(3)
#define AXAS_EXIT_RSVD		BIT(4)
#define AXAS_EXIT_NMI_UNBLOCKED	BIT(5)

/**
 * struct axas_exit_fault - an EPT violation or nested page fault, decoded
 * @gpa: the faulting GPA
 * @access: ``AXAS_ACCESS_*`` bits of the access, for axas_fault()
 * @flags: ``AXAS_EXIT_*``
 */
struct axas_exit_fault {
	u64 gpa;
	unsigned int access;
	unsigned int flags;
};

/**
 * axas_decode_ept_violation() - an EPT violation in axas's terms
 * @qual: the exit qualification
 * @gpa: the guest-physical address field of the VMCS
 * @mbec: mode-based execute control is on (then a fetch from a user-mode
 *	linear address is %AXAS_ACCESS_EXEC_USER, and bit 6 says present)
 * @f: the answer (see "Exit decoding")
 *
 * Context: any.
 * Return: 0; -EINVAL when @qual names no access (none of bits 0 to 2): not
 * an EPT violation's; @f is then left as it was.
 */
int __must_check axas_decode_ept_violation(u64 qual, u64 gpa, bool mbec,
					   struct axas_exit_fault *f);

/**
 * axas_decode_npf() - a nested page fault in axas's terms
 * @exit_info_1: EXITINFO1 of the #VMEXIT (the fault's error code)
 * @exit_info_2: EXITINFO2 (the faulting GPA)
 * @f: the answer (see "Exit decoding")
 *
 * The access to the faulting GPA is a write when RW is set, a read
 * otherwise, with an instruction fetch (ID) added for the final access:
 * when the guest's own page walk faulted (bit 33), ID only says what the
 * walk was for, and the access to the guest's table is a read or a write
 * of its A/D flags. A final access with both RW and ID set, which no CPU
 * reports, needs both rights. The US bit is always set: nested page walks
 * are user accesses.
 *
 * Context: any.
 * Return: 0 (every error code decodes).
 */
int axas_decode_npf(u64 exit_info_1, u64 exit_info_2,
		    struct axas_exit_fault *f);

#define AXAS_VMM_FRAME_MAX_ORDER	10
#define AXAS_VMX_SHADOW_VMCS		BIT(31)

/**
 * struct axas_vmm_frame - zeroed, physically contiguous pages
 * @page: the first page
 * @kva: its kernel address
 * @hpa: its host-physical address as the CPU takes it in a VMCS or VMCB
 *	field, VMXON or VMPTRLD: on a host with memory encryption (AMD SME),
 *	with the C-bit, since the kernel wrote it through its encrypted
 *	mapping (KVM's __sme_set()); without encryption, page_to_phys(@page)
 * @order: 2^@order pages
 */
struct axas_vmm_frame {
	struct page *page;
	void *kva;
	phys_addr_t hpa;
	unsigned int order;
};

/**
 * enum axas_vmm_bitmap - the I/O and MSR bitmaps of VMX and SVM
 * @AXAS_VMX_IO_BITMAPS: VMX I/O bitmaps A and B, 8 KiB (A at the HPA,
 *	B 4 KiB further)
 * @AXAS_VMX_MSR_BITMAP: the VMX MSR bitmap, 4 KiB
 * @AXAS_SVM_IOPM: the SVM I/O permission map, 12 KiB (16 KiB allocated)
 * @AXAS_SVM_MSRPM: the SVM MSR permission map, 8 KiB
 */
enum axas_vmm_bitmap {
	AXAS_VMX_IO_BITMAPS,
	AXAS_VMX_MSR_BITMAP,
	AXAS_SVM_IOPM,
	AXAS_SVM_MSRPM,
	/* private: */
	AXAS_VMM_NR_BITMAPS,
};

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
struct axas_vmm_frame *axas_vmm_frame_alloc(unsigned int order, int node);

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
void axas_vmm_frame_free(struct axas_vmm_frame *frame);

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
struct axas_vmm_frame *axas_vmx_region_alloc(u32 revision, int node);

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
					     bool intercept_all, int node);

/* Scope-based cleanup arrived in 6.5. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
#include <linux/cleanup.h>
DEFINE_FREE(axas_vmm_frame, struct axas_vmm_frame *, axas_vmm_frame_free(_T))
#endif

#endif /* _AXAS_VMM_H */
