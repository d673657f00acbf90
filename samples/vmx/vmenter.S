/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One trip into the guest: VMLAUNCH or VMRESUME with the guest's
 * general-purpose registers loaded, and their values saved again at the
 * VM exit, which lands at axas_vmx_exit (the VMCS's host RIP) with the
 * stack pointer this function wrote as the host RSP.
 *
 * After the VM exit, as KVM's __vmx_vcpu_run() does: every register that
 * held a guest value is cleared, so that none is used speculatively by
 * the host, and the return stack buffer is filled before the first RET
 * where the host's Spectre v2 mitigations ask for it on VM exit (the guest
 * may have left entries of its own there). The host's SPEC_CTRL stays in
 * force in the guest, which cannot write it (the MSR is intercepted).
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>
#include <asm/unwind_hints.h>

/* struct axas_vmx_regs: gpr[n] at n * 8, n the x86 register number. */
#define GPR(n)	((n) * 8)
#define VMCS_HOST_RSP	0x00006c14

/*
 * int axas_vmx_enter(struct axas_vmx_regs *regs, int launched)
 *
 * Called with interrupts disabled and the VMCS current. Returns 0 after a
 * VM exit, 1 when the VM entry instruction failed (VMfailInvalid or
 * VMfailValid: the VM-instruction error field says why). The guest's RSP
 * lives in the VMCS.
 */
	.text
SYM_FUNC_START(axas_vmx_enter)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rdi			/* 0(%rsp): regs */

	mov	$VMCS_HOST_RSP, %rax
	vmwrite	%rsp, %rax
	jbe	.Lfail_early

	mov	%rdi, %rax		/* regs; the guest's RAX is loaded last */
	test	%esi, %esi
	mov	GPR(1)(%rax), %rcx
	mov	GPR(2)(%rax), %rdx
	mov	GPR(3)(%rax), %rbx
	mov	GPR(5)(%rax), %rbp
	mov	GPR(6)(%rax), %rsi
	mov	GPR(7)(%rax), %rdi
	mov	GPR(8)(%rax), %r8
	mov	GPR(9)(%rax), %r9
	mov	GPR(10)(%rax), %r10
	mov	GPR(11)(%rax), %r11
	mov	GPR(12)(%rax), %r12
	mov	GPR(13)(%rax), %r13
	mov	GPR(14)(%rax), %r14
	mov	GPR(15)(%rax), %r15
	mov	GPR(0)(%rax), %rax	/* MOV keeps the flags of TEST */
	/*
	 * A VM exit resumes at axas_vmx_exit with this stack: tell objtool
	 * to carry the unwind state there.
	 */
	UNWIND_HINT_SAVE
	jnz	.Lresume
	vmlaunch
	jmp	.Lfail
.Lresume:
	vmresume
	jmp	.Lfail

SYM_INNER_LABEL(axas_vmx_exit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ENDBR
	/* RSP is the host's again: 0(%rsp) is regs. */
	push	%rax
	mov	8(%rsp), %rax
	pop	GPR(0)(%rax)
	mov	%rcx, GPR(1)(%rax)
	mov	%rdx, GPR(2)(%rax)
	mov	%rbx, GPR(3)(%rax)
	mov	%rbp, GPR(5)(%rax)
	mov	%rsi, GPR(6)(%rax)
	mov	%rdi, GPR(7)(%rax)
	mov	%r8, GPR(8)(%rax)
	mov	%r9, GPR(9)(%rax)
	mov	%r10, GPR(10)(%rax)
	mov	%r11, GPR(11)(%rax)
	mov	%r12, GPR(12)(%rax)
	mov	%r13, GPR(13)(%rax)
	mov	%r14, GPR(14)(%rax)
	mov	%r15, GPR(15)(%rax)

	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%ebx, %ebx
	xor	%ebp, %ebp
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d
	xor	%r12d, %r12d
	xor	%r13d, %r13d
	xor	%r14d, %r14d
	xor	%r15d, %r15d

	/* Before the first RET: the guest may have poisoned the RSB. */
	FILL_RETURN_BUFFER %rcx, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT

	xor	%eax, %eax
	jmp	.Lout

.Lfail:
.Lfail_early:
	mov	$1, %eax
.Lout:
	add	$8, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(axas_vmx_enter)
