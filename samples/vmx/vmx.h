/* SPDX-License-Identifier: GPL-2.0 */
/* What vmx.c needs from the assembly files. */
#ifndef _AXAS_VMX_VMX_H
#define _AXAS_VMX_VMX_H

#include <linux/types.h>

/* Guest registers other than RSP (in the VMCS); vmenter.S's layout. */
struct axas_vmx_regs {
	u64 gpr[16];		/* by x86 register number */
};

/* vmenter.S: one VMLAUNCH or VMRESUME; 1 when it failed. */
int axas_vmx_enter(struct axas_vmx_regs *regs, int launched);
/* vmenter.S: where a VM exit lands (the VMCS's host RIP). */
void axas_vmx_exit(void);

/* guest_blob.S: the guest binary. */
extern const u8 axas_vmx_guest[], axas_vmx_guest_end[];

#endif /* _AXAS_VMX_VMX_H */
