/* SPDX-License-Identifier: GPL-2.0 */
/* What svm.c needs from vmrun.S. */
#ifndef _AXAS_SVM_SVM_H
#define _AXAS_SVM_SVM_H

#include <linux/types.h>

/* Guest registers other than RAX and RSP (those live in the VMCB). */
struct axas_svm_regs {
	u64 gpr[16];		/* by x86 register number, as vmrun.S expects */
};

/* vmrun.S: one VMRUN, interrupts disabled, EFER.SVME and VM_HSAVE_PA set. */
void axas_svm_vmrun(phys_addr_t vmcb_pa, struct axas_svm_regs *regs,
		    phys_addr_t host_pa);

#endif /* _AXAS_SVM_SVM_H */
