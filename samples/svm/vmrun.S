/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One trip into the guest: VMRUN with the guest's general-purpose
 * registers loaded, and their values saved again at #VMEXIT.
 */
#include <linux/linkage.h>
#include <linux/version.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>

/* struct axas_svm_regs: gpr[n] at n * 8, n the x86 register number. */
#define GPR(n)	((n) * 8)

/*
 * void axas_svm_vmrun(phys_addr_t vmcb_pa, struct axas_svm_regs *regs,
 *		       phys_addr_t host_pa)
 *
 * Called with interrupts disabled. With GIF clear, VMSAVE keeps the host's
 * FS/GS/TR/LDTR hidden state and syscall MSRs in the page at host_pa,
 * VMLOAD gives the guest its own, and IF is set so that a host interrupt
 * arriving while the guest runs causes #VMEXIT(INTR); it is taken after
 * STGI once the caller enables interrupts. RAX and RSP of the guest live
 * in the VMCB.
 *
 * After #VMEXIT, as KVM's __svm_vcpu_run() does: the return stack buffer
 * is filled before the first RET and returns are untrained (an IBPB where
 * the host asks for one on VM exit), as the host's Spectre v2, Retbleed
 * and SRSO mitigations require, and every register that held a guest
 * value is cleared, so that none is used speculatively by the host.
 */
	.text
SYM_FUNC_START(axas_svm_vmrun)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rsi			/* 16(%rsp): regs */
	push	%rdi			/*  8(%rsp): VMCB */
	push	%rdx			/*  0(%rsp): host save area */

	clgi
	mov	%rdx, %rax
	vmsave	%rax
	mov	%rdi, %rax
	vmload	%rax

	mov	GPR(1)(%rsi), %rcx
	mov	GPR(2)(%rsi), %rdx
	mov	GPR(3)(%rsi), %rbx
	mov	GPR(5)(%rsi), %rbp
	mov	GPR(7)(%rsi), %rdi
	mov	GPR(8)(%rsi), %r8
	mov	GPR(9)(%rsi), %r9
	mov	GPR(10)(%rsi), %r10
	mov	GPR(11)(%rsi), %r11
	mov	GPR(12)(%rsi), %r12
	mov	GPR(13)(%rsi), %r13
	mov	GPR(14)(%rsi), %r14
	mov	GPR(15)(%rsi), %r15
	mov	GPR(6)(%rsi), %rsi

	sti
	vmrun	%rax
	cli

	/* RAX is the host's again (the VMCB address); RSP too. */
	mov	16(%rsp), %rax
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

	mov	8(%rsp), %rax
	vmsave	%rax
	pop	%rax
	vmload	%rax

	/* Before the first RET: the guest may have poisoned the RSB. */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
	UNTRAIN_RET_VM
#else
	UNTRAIN_RET
	ALTERNATIVE "", "call entry_ibpb", X86_FEATURE_IBPB_ON_VMEXIT
#endif

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
	xor	%eax, %eax
	stgi

	add	$16, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(axas_svm_vmrun)
