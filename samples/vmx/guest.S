/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMX sample's guest: a flat binary loaded at G_IMAGE and entered in
 * 64-bit mode on the page tables the VMM wrote (the low 4 GiB
 * identity-mapped with 2 MiB pages, G_WALK_GVA through G_WALK). It runs
 * the scenarios, announcing and reporting each through VMCALL, and stops
 * with HLT.
 */
#include "guest.h"

	.macro HCALL cmd
	mov	$\cmd, %eax
	vmcall
	.endm

	/* Announce scenario \n. */
	.macro BEGIN n
	mov	$\n, %ebx
	HCALL	HC_BEGIN
	.endm

	/* Ask for phase \p of scenario \n. */
	.macro PHASE n, p
	mov	$\n, %ebx
	mov	$\p, %ecx
	HCALL	HC_PHASE
	.endm

	/* Report scenario \n: RAX is 0 or the first bad address. */
	.macro END n
	mov	$\n, %ebx
	mov	%rax, %rcx
	HCALL	HC_RESULT
	.endm

	.section .text.entry, "ax"
	.code64
	.globl	guest_entry
guest_entry:
	/* 1: lazy pages read (zeros) and written; one 2 MiB frame. */
	BEGIN	1
	mov	$G_LAZY4K, %edi
	mov	$LAZY_READS, %ecx
1:	cmpq	$0, (%rdi)
	jne	9f
	add	$0x1000, %rdi
	loop	1b
	mov	$(G_LAZY4K + LAZY_WRITE_OFF), %edi
	mov	$LAZY_WRITES, %ecx
2:	mov	%rdi, (%rdi)
	add	$0x1000, %rdi
	loop	2b
	mov	$G_LAZY2M, %edi
	mov	%rdi, (%rdi)
	add	$(G_LAZY2M_SIZE - 0x1000), %rdi
	mov	%rdi, (%rdi)
	xor	%eax, %eax
	jmp	10f
9:	mov	%rdi, %rax
10:	END	1

	/* 2: through lazy guest page tables to a lazy page. */
	BEGIN	2
	movabs	$G_WALK_GVA, %rdi
	mov	G_WALK_OFF(%rdi), %rax
	test	%rax, %rax
	jnz	9f
	movabs	$(G_WALK_TARGET + G_WALK_OFF) ^ SEED_WALK, %rax
	mov	%rax, G_WALK_OFF(%rdi)
	xor	%eax, %eax
	jmp	10f
9:	lea	G_WALK_OFF(%rdi), %rax
10:	END	2

	/* 3: call the function in the execute-only page, then read it. */
	BEGIN	3
	mov	$G_XONLY, %eax
	call	*%rax
	mov	%rax, %rdx
	mov	G_XONLY, %rsi
	xor	%eax, %eax
	END	3

	/* 4: write a page the VMM made read-only. */
	BEGIN	4
	movabs	$(G_RO + G_RO_OFF) ^ SEED_RO, %rax
	mov	%rax, G_RO + G_RO_OFF
	cmp	G_RO + G_RO_OFF, %rax
	mov	$(G_RO + G_RO_OFF), %eax
	jne	10f
	xor	%eax, %eax
10:	END	4

	/* 5: the VMM's pattern, then a fresh zero page after the unmap. */
	BEGIN	5
	movabs	$G_FRESH ^ SEED_FRESH, %rax
	mov	$G_FRESH, %edi
	cmp	(%rdi), %rax
	jne	9f
	PHASE	5, 1
	mov	$G_FRESH, %edi
	cmpq	$0, (%rdi)
	jne	9f
	xor	%eax, %eax
	jmp	10f
9:	mov	%rdi, %rax
10:	END	5

	/* 6: a device's registers where no area is (fixed encodings). */
	BEGIN	6
	mov	$G_MMIO, %ebx
	mov	(%rbx), %eax			/* 8b 03: the ID */
	cmp	$DEV_ID, %eax
	jne	9f
	mov	$DEV_SCRATCH_VAL, %eax
	mov	%eax, 4(%rbx)			/* 89 43 04 */
	mov	4(%rbx), %eax			/* 8b 43 04: inverted */
	cmp	$~DEV_SCRATCH_VAL, %eax
	jne	9f
	xor	%eax, %eax
	jmp	10f
9:	mov	$G_MMIO, %eax
10:	END	6

	/* 7: port I/O, an MSR and a VMX instruction: each one exits. */
	BEGIN	7
	mov	$IO_OUT_VAL, %al
	outb	%al, $IO_OUT_PORT
	inb	$IO_IN_PORT, %al
	movzbl	%al, %r8d
	mov	$MSR_TRIED, %ecx
	rdmsr
	wrmsr
	vmxoff
	mov	%r8, %rsi
	xor	%eax, %eax
	cmp	$IO_IN_VAL, %esi
	je	10f
	mov	$IO_IN_PORT, %eax
10:	mov	%rsi, %rdx
	END	7

	/* 8: the 1 GiB leaf: the VMM's words, then the guest's. */
	BEGIN	8
	mov	$G_HUGE, %edi
	call	huge_word
	jne	9f
	mov	$(G_HUGE + G_HUGE_SIZE / 2), %edi
	call	huge_word
	jne	9f
	mov	$(G_HUGE + G_HUGE_SIZE - 8), %edi
	call	huge_word
	jne	9f
	xor	%eax, %eax
	jmp	10f
9:	mov	%rdi, %rax
10:	END	8

	/* 9: read page P, write page Q. */
	BEGIN	9
	mov	G_AD_P, %rax
	mov	%rax, G_AD_Q
	xor	%eax, %eax
	END	9

	hlt
	jmp	.

/* RDI: compare its word with RDI ^ SEED_HUGE (ZF), write RDI ^ SEED_MARK. */
huge_word:
	movabs	$SEED_HUGE, %rax
	xor	%rdi, %rax
	cmp	(%rdi), %rax
	jne	1f
	movabs	$SEED_MARK, %rax
	xor	%rdi, %rax
	mov	%rax, (%rdi)
	xor	%eax, %eax
1:	ret
