/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sample guest: a flat binary loaded at G_IMAGE. The VMM starts it in
 * 32-bit protected mode with paging off; it builds its own page tables
 * (the low 4 GiB identity-mapped with 2 MiB pages), enters long mode and
 * runs the scenarios, announcing and reporting each through a hypercall:
 * VMMCALL, or VMCALL when assembled with GUEST_VMCALL. Its device page is
 * mapped a second time, at G_MMIO_GVA, where it uses it. It keeps nothing
 * on its stack across a hypercall: the hypercalls are made from the top
 * level, and scenario 10 puts its stack page back to a snapshot.
 */
#include "guest.h"

#define X86_CR0_PG	0x80000000
#define X86_CR4_PAE	0x20
#define MSR_EFER	0xc0000080
#define EFER_LME	0x100
#define PTE_P_RW	0x3
#define PDE_2M		0x83		/* present, writable, 2 MiB */

	.macro HCALL cmd
	mov	$\cmd, %eax
#ifdef GUEST_VMCALL
	vmcall
#else
	vmmcall
#endif
	.endm

	/* Announce scenario \n. */
	.macro BEGIN n
	mov	$\n, %ebx
	HCALL	HC_BEGIN
	.endm

	/* Ask for phase \p of scenario \n; RAX comes back 0 or a bad address. */
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

	/*
	 * fill, inline: the words of [\start, \start + \bytes) get their
	 * address ^ \seed, with no call (scenario 10: no stack write).
	 */
	.macro FILL_INLINE start, bytes, seed
	mov	$\start, %rdi
	mov	$\bytes, %rcx
	mov	$\seed, %rsi
.Lfill\@:
	mov	%rdi, %rax
	xor	%rsi, %rax
	mov	%rax, (%rdi)
	add	$8, %rdi
	sub	$8, %rcx
	jnz	.Lfill\@
	.endm

	/* Arguments of the helpers: RDI start, RCX bytes, RSI seed. */
	.macro ARGS start, bytes, seed
	mov	$\start, %rdi
	mov	$\bytes, %rcx
	mov	$\seed, %rsi
	.endm

	.section .text.entry, "ax"
	.code32
	.globl	guest_entry
guest_entry:
	/* Zero PML4, PDPT and the four page directories. */
	mov	$G_PML4, %edi
	xor	%eax, %eax
	mov	$(6 * 4096 / 4), %ecx
	rep stosl
	movl	$(G_PDPT + PTE_P_RW), G_PML4
	mov	$G_PDPT, %edi
	mov	$(G_PD + PTE_P_RW), %eax
	mov	$4, %ecx
1:	mov	%eax, (%edi)
	add	$8, %edi
	add	$4096, %eax
	loop	1b
	/* The device page at G_MMIO_GVA, through a 4 KiB page table. */
	mov	$G_DEV_PD, %edi
	xor	%eax, %eax
	mov	$(2 * 4096 / 4), %ecx
	rep stosl
	movl	$(G_DEV_PD + PTE_P_RW), G_PDPT + 8 * ((G_MMIO_GVA >> 30) & 511)
	movl	$(G_DEV_PT + PTE_P_RW), G_DEV_PD + 8 * ((G_MMIO_GVA >> 21) & 511)
	movl	$(G_MMIO + PTE_P_RW), G_DEV_PT + 8 * ((G_MMIO_GVA >> 12) & 511)
	/* 2048 entries of 2 MiB: GVA == GPA below 4 GiB. */
	mov	$G_PD, %edi
	mov	$PDE_2M, %eax
	mov	$2048, %ecx
2:	mov	%eax, (%edi)
	add	$8, %edi
	add	$0x200000, %eax
	loop	2b

	lgdt	gdt_desc
	mov	%cr4, %eax
	or	$X86_CR4_PAE, %eax
	mov	%eax, %cr4
	mov	$G_PML4, %eax
	mov	%eax, %cr3
	mov	$MSR_EFER, %ecx
	rdmsr
	or	$EFER_LME, %eax
	wrmsr
	mov	%cr0, %eax
	or	$X86_CR0_PG, %eax
	mov	%eax, %cr0
	ljmp	$0x08, $long_mode

	.code64
long_mode:
	mov	$0x10, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	mov	$G_STACK_TOP, %rsp

	/* 1: touch every page of a lazy 4 KiB and a lazy 2 MiB area. */
	BEGIN	1
	ARGS	G_LAZY4K, G_LAZY4K_SIZE, SEED_TOUCH
	call	touch
	ARGS	G_LAZY2M, G_LAZY2M_SIZE, SEED_TOUCH
	call	touch
	PHASE	1, 1
	ARGS	G_LAZY4K, G_LAZY4K_SIZE, SEED_TOUCH
	call	probe
	test	%rax, %rax
	jnz	1f
	ARGS	G_LAZY2M, G_LAZY2M_SIZE, SEED_TOUCH
	call	probe
1:	END	1

	/* 2: a pattern each way between guest and VMM. */
	BEGIN	2
	ARGS	G_SHARED, G_SHARED_SIZE, SEED_GUEST
	call	fill
	PHASE	2, 1
	test	%rax, %rax
	jnz	1f
	ARGS	G_SHARED, G_SHARED_SIZE, SEED_VMM
	call	check
1:	END	2

	/* 3: read the linear window the VMM filled. */
	BEGIN	3
	ARGS	G_WINDOW, G_WINDOW_SIZE, SEED_WINDOW
	call	check
	END	3

	/* 4: a device register where no area is. */
	BEGIN	4
	mov	$1, %eax
	movabs	$(G_MMIO_GVA + DEV_ID_REG), %rbx
	movl	(%rbx), %edx		/* 8b 13 */
	cmp	$DEV_ID, %edx
	jne	1f
	movabs	$(G_MMIO_GVA + DEV_SCRATCH_REG), %rbx
	mov	$DEV_SCRATCH_VAL, %edx
	movl	%edx, (%rbx)		/* 89 13 */
	movl	(%rbx), %edx		/* 8b 13 */
	mov	$2, %eax
	cmp	$(~DEV_SCRATCH_VAL), %edx
	jne	1f
	xor	%eax, %eax
1:	END	4

	/*
	 * 5: the VMM write-protects G_WP (phase 1): reads go on, the first
	 * write faults until the VMM gives write access back. In phase 2 a
	 * thread on another CPU write-protects it while the guest spins
	 * writing; the flush pulls the guest out, its next write faults, and
	 * the VMM gives write access back and raises G_FLAG. In phase 3 the
	 * VMM write-protects the guest's own page directory: the next page
	 * walk faults. In phase 4 the guest calls code it wrote into G_WP,
	 * which has no execute right until the fetch faults.
	 */
	BEGIN	5
	ARGS	G_WP, G_WP_SIZE, SEED_WP1
	call	fill
	PHASE	5, 1
	ARGS	G_WP, G_WP_SIZE, SEED_WP1
	call	check
	test	%rax, %rax
	jnz	1f
	ARGS	G_WP, G_WP_SIZE, SEED_WP2
	call	fill
	PHASE	5, 2
	mov	$G_WP_SPIN, %rdx
	mov	$G_FLAG, %rbx
	xor	%ecx, %ecx
3:	mov	%rcx, (%rdx)
	inc	%rcx
	cmpq	$0, (%rbx)
	je	3b
	ARGS	G_WP, G_WP_SPIN_OFF, SEED_WP2
	call	check
	mov	%rax, %r12
	PHASE	5, 3
	/* mov $42, %eax; ret */
	mov	$G_WP_CODE, %rdi
	mov	$0x0000c30000002ab8, %rax
	mov	%rax, (%rdi)
	PHASE	5, 4
	mov	$G_WP_CODE, %rdi
	call	*%rdi
	cmp	$42, %eax
	mov	$3, %eax
	jne	1f
	mov	%r12, %rax
1:	END	5

	/* 6: the VMM unmaps pages the guest filled; they come back zero. */
	BEGIN	6
	mov	$G_LAZY4K, %rdi
	mov	$G_UNMAP_SIZE, %rcx
	call	zero
	test	%rax, %rax
	jnz	1f
	/* The page after them kept its data. */
	mov	$(G_LAZY4K + G_UNMAP_SIZE), %rdi
	mov	$8, %ecx
	mov	$SEED_TOUCH, %rsi
	call	check
1:	END	6

	/* 7: a 1 GiB linear leaf: read the VMM's words, leave a mark. */
	BEGIN	7
	mov	$SEED_HUGE, %rsi
	mov	$8, %ecx
	mov	$G_HUGE, %rdi
	call	check
	test	%rax, %rax
	jnz	1f
	mov	$8, %ecx
	mov	$(G_HUGE + G_HUGE_SIZE / 2), %rdi
	call	check
	test	%rax, %rax
	jnz	1f
	mov	$8, %ecx
	mov	$(G_HUGE + G_HUGE_SIZE - 8), %rdi
	call	check
	test	%rax, %rax
	jnz	1f
	mov	$(G_HUGE + G_HUGE_MARK), %rdi
	mov	$SEED_MARK, %rax
	xor	%rdi, %rax
	mov	%rax, (%rdi)
	PHASE	7, 1
1:	END	7

	/*
	 * 8: a thread on another CPU unmaps G_RACE again and again while the
	 * guest reads it; on each nested page fault the VMM maps it again,
	 * filled with the second pattern. Every word must hold one of the two
	 * patterns: a frame freed while the guest can still reach it reads
	 * zero (init_on_free). The guest reports each wrong value, counts
	 * its passes over the page in G_SWEEPS and reads on until the VMM
	 * raises G_FLAG.
	 */
	BEGIN	8
	mov	$SEED_RACE1, %r8
	mov	$SEED_RACE2, %r9
4:	mov	$G_RACE, %rdi
5:	mov	(%rdi), %rdx		/* one read, checked against both */
	mov	%rdi, %rax
	xor	%r8, %rax
	cmp	%rax, %rdx
	je	6f
	mov	%rdi, %rax
	xor	%r9, %rax
	cmp	%rax, %rdx
	je	6f
	mov	$8, %ebx
	mov	%rdi, %rcx
	HCALL	HC_WRONG
6:	add	$8, %rdi
	cmp	$(G_RACE + G_RACE_SIZE), %rdi
	jne	5b
	incq	G_SWEEPS
	cmpq	$0, G_FLAG
	je	4b
	xor	%eax, %eax
	END	8

	/*
	 * 9: the VMM logs the pages written in G_DIRTY; it harvests at each
	 * phase and at the end, and finds the pages written since the last.
	 */
	BEGIN	9
	ARGS	(G_DIRTY + DIRTY1_OFF), DIRTY1_COUNT, SEED_DIRTY1
	mov	$DIRTY1_STEP, %edx
	call	spread
	PHASE	9, 1
	ARGS	(G_DIRTY + DIRTY2_OFF), DIRTY2_COUNT, SEED_DIRTY2
	mov	$DIRTY2_STEP, %edx
	call	spread
	PHASE	9, 2
	ARGS	(G_DIRTY + DIRTY2_OFF), (DIRTY2_COUNT * 4096), SEED_DIRTY2
	call	probe
	END	9

	/*
	 * 10: fill G_SNAP; the VMM takes a snapshot (phase 1). Write over part
	 * of it and into pages absent at snapshot time, without a call; the
	 * VMM restores the snapshot (phase 2). The first pattern is back, and
	 * the new pages read zero.
	 */
	BEGIN	10
	ARGS	G_SNAP, (SNAP_BEFORE * 4096), SEED_SNAP1
	call	fill
	PHASE	10, 1
	FILL_INLINE (G_SNAP + SNAP_OVER_OFF), (SNAP_OVER * 4096), SEED_SNAP2
	FILL_INLINE (G_SNAP + SNAP_NEW_OFF), (SNAP_NEW * 4096), SEED_SNAP2
	PHASE	10, 2
	test	%rax, %rax
	jnz	1f
	ARGS	G_SNAP, (SNAP_BEFORE * 4096), SEED_SNAP1
	call	check
	test	%rax, %rax
	jnz	1f
	mov	$(G_SNAP + SNAP_NEW_OFF), %rdi
	mov	$(SNAP_NEW * 4096), %ecx
	call	zero
1:	END	10

	/* 11: call the function in G_XONLY, then read its code. */
	BEGIN	11
	mov	$G_XONLY, %eax
	call	*%rax
	cmp	$XO_MAGIC, %eax
	jne	1f
	mov	G_XONLY, %rdx
	movabs	$XO_WORD, %rax
	cmp	%rax, %rdx
	jne	1f
	xor	%eax, %eax
	jmp	2f
1:	mov	$G_XONLY, %eax
2:	END	11

	/* 12: read page P, write page Q. */
	BEGIN	12
	mov	G_AD_P, %rax
	mov	%rax, G_AD_Q
	xor	%eax, %eax
	END	12

	/* Done: HLT hands control back for good. */
2:	hlt
	jmp	2b

/* fill: the words of [RDI, RDI + RCX) get their address ^ RSI. */
fill:
	mov	%rdi, %rax
	xor	%rsi, %rax
	mov	%rax, (%rdi)
	add	$8, %rdi
	sub	$8, %rcx
	jnz	fill
	ret

/* check: RAX = 0 if every word holds address ^ RSI, else its address. */
check:
	mov	%rdi, %rax
	xor	%rsi, %rax
	cmp	%rax, (%rdi)
	jne	1f
	add	$8, %rdi
	sub	$8, %rcx
	jnz	check
	xor	%eax, %eax
	ret
1:	mov	%rdi, %rax
	ret

/* touch: like fill, one word per 4 KiB page. */
touch:
	mov	%rdi, %rax
	xor	%rsi, %rax
	mov	%rax, (%rdi)
	add	$4096, %rdi
	sub	$4096, %rcx
	jnz	touch
	ret

/* spread: like touch, RCX pages RDX bytes apart. */
spread:
	mov	%rdi, %rax
	xor	%rsi, %rax
	mov	%rax, (%rdi)
	add	%rdx, %rdi
	dec	%rcx
	jnz	spread
	ret

/* probe: like check, one word per 4 KiB page. */
probe:
	mov	%rdi, %rax
	xor	%rsi, %rax
	cmp	%rax, (%rdi)
	jne	1f
	add	$4096, %rdi
	sub	$4096, %rcx
	jnz	probe
	xor	%eax, %eax
	ret
1:	mov	%rdi, %rax
	ret

/* zero: RAX = 0 if [RDI, RDI + RCX) is all zero, else the first address. */
zero:
	cmpq	$0, (%rdi)
	jne	1f
	add	$8, %rdi
	sub	$8, %rcx
	jnz	zero
	xor	%eax, %eax
	ret
1:	mov	%rdi, %rax
	ret

	.section .data
	.balign	8
gdt:
	.quad	0
	.quad	0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad	0x00cf92000000ffff	/* 0x10: data */
	.quad	0x00cf9a000000ffff	/* 0x18: 32-bit code (entry) */
gdt_end:
gdt_desc:
	.word	gdt_end - gdt - 1
	.long	gdt
