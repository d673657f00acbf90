// SPDX-License-Identifier: GPL-2.0
/*
 * Exit decoding: EPT violations and nested page faults in axas's terms.
 * See include/axas/vmm.h.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/export.h>

#include <axas/axas.h>
#include <axas/vmm.h>

/* The EPT violation's exit qualification (Intel SDM Vol. 3C, 29.2.1). */
#define EPT_QUAL_READ		BIT_ULL(0)
#define EPT_QUAL_WRITE		BIT_ULL(1)
#define EPT_QUAL_FETCH		BIT_ULL(2)
#define EPT_QUAL_READABLE	BIT_ULL(3)
#define EPT_QUAL_WRITABLE	BIT_ULL(4)
#define EPT_QUAL_EXECUTABLE	BIT_ULL(5)
#define EPT_QUAL_USER_EXEC	BIT_ULL(6)	/* with mode-based execute */
#define EPT_QUAL_GLA_VALID	BIT_ULL(7)
#define EPT_QUAL_FINAL		BIT_ULL(8)	/* valid with GLA_VALID */
#define EPT_QUAL_USER_ADDR	BIT_ULL(9)	/* valid with GLA_VALID and FINAL */
#define EPT_QUAL_NMI_UNBLOCK	BIT_ULL(12)

/* EXITINFO1 of a nested page fault (AMD APM Vol. 2, 15.25.6). */
#define NPF_P			BIT_ULL(0)
#define NPF_RW			BIT_ULL(1)
#define NPF_RSV			BIT_ULL(3)
#define NPF_ID			BIT_ULL(4)
#define NPF_FINAL		BIT_ULL(32)
#define NPF_WALK		BIT_ULL(33)

/*
 * With mode-based execute control, was the fetch from a user-mode linear
 * address? Advanced information says so in bit 9. Without it (bit 9 reads
 * 0), the rights the entry had tell wherever they differ: a fetch denied
 * by an entry executable for supervisor-mode addresses (bit 5) but not
 * for user-mode ones (bit 6) was a user-mode fetch. An entry that grants
 * neither (or none at all: not present) leaves it a supervisor fetch.
 */
static bool ept_fetch_is_user(u64 qual, bool mbec, unsigned int flags)
{
	if (!mbec)
		return false;
	if (flags & AXAS_EXIT_USER)
		return true;
	return (qual & EPT_QUAL_EXECUTABLE) && !(qual & EPT_QUAL_USER_EXEC);
}

int axas_decode_ept_violation(u64 qual, u64 gpa, bool mbec,
			      struct axas_exit_fault *f)
{
	u64 present = EPT_QUAL_READABLE | EPT_QUAL_WRITABLE | EPT_QUAL_EXECUTABLE;
	unsigned int access = 0, flags = 0;

	if (!(qual & (EPT_QUAL_READ | EPT_QUAL_WRITE | EPT_QUAL_FETCH)))
		return -EINVAL;
	if (mbec)
		present |= EPT_QUAL_USER_EXEC;
	if (qual & EPT_QUAL_GLA_VALID) {
		if (!(qual & EPT_QUAL_FINAL)) {
			flags |= AXAS_EXIT_WALK;
		} else {
			flags |= AXAS_EXIT_FINAL;
			if (qual & EPT_QUAL_USER_ADDR)
				flags |= AXAS_EXIT_USER;
		}
	}
	if (qual & present)
		flags |= AXAS_EXIT_PRESENT;
	if (qual & EPT_QUAL_NMI_UNBLOCK)
		flags |= AXAS_EXIT_NMI_UNBLOCKED;
	if (qual & EPT_QUAL_READ)
		access |= AXAS_ACCESS_READ;
	if (qual & EPT_QUAL_WRITE)
		access |= AXAS_ACCESS_WRITE;
	if (qual & EPT_QUAL_FETCH)
		access |= ept_fetch_is_user(qual, mbec, flags) ?
			  AXAS_ACCESS_EXEC_USER : AXAS_ACCESS_EXEC;
	f->gpa = gpa;
	f->access = access;
	f->flags = flags;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(axas_decode_ept_violation, AXAS_NS);

int axas_decode_npf(u64 exit_info_1, u64 exit_info_2,
		    struct axas_exit_fault *f)
{
	unsigned int flags = 0;

	if (exit_info_1 & NPF_WALK)
		flags |= AXAS_EXIT_WALK;
	if (exit_info_1 & NPF_FINAL)
		flags |= AXAS_EXIT_FINAL;
	if (exit_info_1 & NPF_P)
		flags |= AXAS_EXIT_PRESENT;
	if (exit_info_1 & NPF_RSV)
		flags |= AXAS_EXIT_RSVD;
	f->gpa = exit_info_2;
	if (exit_info_1 & NPF_RW)
		f->access = AXAS_ACCESS_WRITE;
	else if (!(exit_info_1 & NPF_ID) || (exit_info_1 & NPF_WALK))
		f->access = AXAS_ACCESS_READ;
	else
		f->access = 0;
	if ((exit_info_1 & NPF_ID) && !(exit_info_1 & NPF_WALK))
		f->access |= AXAS_ACCESS_EXEC;
	f->flags = flags;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(axas_decode_npf, AXAS_NS);
