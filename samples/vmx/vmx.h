/* SPDX-License-Identifier: GPL-2.0 */
/* What vmx.c needs from vmenter.S. */
#ifndef _AXAS_VMX_VMX_H
#define _AXAS_VMX_VMX_H

#include <linux/types.h>

/* Guest registers other than RSP (in the VMCS); vmenter.S's layout. */
struct axas_vmx_regs {
	u64 gpr[16];		/* by x86 register number */
};

/* One VMLAUNCH or VMRESUME; 1 when the instruction failed. */
int axas_vmx_enter(struct axas_vmx_regs *regs, int launched);
/* Where a VM exit lands (the VMCS's host RIP). */
void axas_vmx_exit(void);

#endif /* _AXAS_VMX_VMX_H */
