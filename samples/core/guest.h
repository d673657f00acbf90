/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the sample VMM and its guest agree on: the guest-physical layout,
 * the hypercalls and the data patterns. Included from C and assembly.
 */
#ifndef _AXAS_SAMPLE_GUEST_H
#define _AXAS_SAMPLE_GUEST_H

/* Image: code, data, page tables and stack, populated, loaded at 1 MiB. */
#define G_IMAGE		0x00100000
#define G_IMAGE_SIZE	0x00012000
#define G_CODE_MAX	0x00008000	/* room for the binary */
#define G_PML4		(G_IMAGE + 0x8000)
#define G_PDPT		(G_IMAGE + 0x9000)
#define G_PD		(G_IMAGE + 0xa000)	/* 4 page directories */
#define G_STACK_TOP	(G_IMAGE + 0x10000)
/* The page directory and table that map the device at G_MMIO_GVA. */
#define G_DEV_PD	(G_IMAGE + 0x10000)
#define G_DEV_PT	(G_IMAGE + 0x11000)
/* The table pages every walk below 1 GiB reads: PML4, PDPT, the first PD. */
#define G_WALK_TABLES	3

/* Scenario 2: guest and VMM exchange patterns (populated). */
#define G_SHARED	0x00300000
#define G_SHARED_SIZE	0x00004000
/* Scenario 5: write-protected while the guest runs (populated). */
#define G_WP		0x00320000
#define G_WP_SIZE	0x00004000
#define G_WP_SPIN_OFF	0x3000
#define G_WP_SPIN	(G_WP + G_WP_SPIN_OFF)	/* the guest's spinning writes */
#define G_FLAG		G_SHARED	/* the VMM sets it: stop spinning */
#define G_WP_CODE	(G_WP + 0x2000)	/* code run from a no-execute page */
/* Scenario 8: unmapped from another CPU while the guest reads it. */
#define G_RACE		0x00340000
#define G_RACE_SIZE	0x00001000
#define G_SWEEPS	(G_SHARED + 8)	/* the guest's full reads of G_RACE */
/*
 * Scenario 9: dirty logging over a populated area. The guest writes one
 * word into each page of set 1 (every other page) before the first
 * harvest, and into each of set 2 (8 pages in a row, half of them in set
 * 1 too) before the second; nothing before the third.
 */
#define G_DIRTY		0x00600000
#define G_DIRTY_SIZE	0x00010000
#define DIRTY1_OFF	0x0000
#define DIRTY1_STEP	0x2000
#define DIRTY1_COUNT	8
#define DIRTY2_OFF	0x4000
#define DIRTY2_STEP	0x1000
#define DIRTY2_COUNT	8
/*
 * Scenario 10: snapshot and restore over a lazy area. The guest fills the
 * first SNAP_BEFORE pages before the snapshot; after it, it writes over
 * SNAP_OVER of them from page 4 on and fills SNAP_NEW pages that were
 * absent at snapshot time. After the restore it reads the first pattern
 * back, and zeros in the new pages.
 */
#define G_SNAP		0x00620000
#define G_SNAP_SIZE	0x00010000
#define SNAP_BEFORE	12
#define SNAP_OVER_OFF	0x4000
#define SNAP_OVER	8
#define SNAP_NEW_OFF	(SNAP_BEFORE * 0x1000)
#define SNAP_NEW	2
/*
 * Scenario 11: a page holding one function (mov $XO_MAGIC, %eax; ret),
 * execute-only where the table format has it: the guest calls it, then
 * reads it (XO_WORD, the code's first 8 bytes).
 */
#define G_XONLY		0x00360000
#define XO_MAGIC	0x58454321
#define XO_WORD		0x0000c358454321b8
/* Scenario 12: the guest reads page P and writes page Q (populated). */
#define G_AD		0x00370000
#define G_AD_SIZE	0x00002000
#define G_AD_P		G_AD
#define G_AD_Q		(G_AD + 0x1000)
/* Scenario 1 and 6: lazy, 4 KiB frames. */
#define G_LAZY4K	0x00400000
#define G_LAZY4K_SIZE	0x00200000
/* Scenario 6: the first pages of G_LAZY4K, unmapped under the guest. */
#define G_UNMAP_SIZE	0x00008000
/* Scenario 1: lazy, 2 MiB frames. */
#define G_LAZY2M	0x08000000
#define G_LAZY2M_SIZE	0x00800000
/* Scenario 3: read-only linear window onto reserved host memory. */
#define G_WINDOW	0x0c000000
#define G_WINDOW_SIZE	0x00010000
/* Scenario 4: no area: the VMM emulates a device here. */
#define G_MMIO		0xd0000000
#define G_MMIO_SIZE	0x00001000
/*
 * The guest reaches the device through its own mapping at this virtual
 * address (PDPT entry 4, G_DEV_PD entry 0, G_DEV_PT entry 5), not through
 * the identity map: the VMM finds the GPA with axas_walk().
 */
#define G_MMIO_GVA	0x100005000
#define DEV_ID_REG	0x0		/* reads DEV_ID */
#define DEV_SCRATCH_REG	0x4		/* reads back what was written, inverted */
#define DEV_ID		0x53415841
#define DEV_SCRATCH_VAL	0x12345678
/* Scenario 7: 1 GiB linear mapping, 1 GiB aligned on both sides. */
#define G_HUGE		0x40000000
#define G_HUGE_SIZE	0x40000000
#define G_HUGE_MARK	0x30000100	/* offset the guest writes */

/* The guest-physical space: the low 4 GiB, identity-mapped by the guest. */
#define G_SPACE_SIZE	0x100000000

/*
 * Hypercalls: VMMCALL or VMCALL (one guest binary each, see demo.h) with
 * the command in RAX, arguments in RBX, RCX and RDX; the answer comes back
 * in RAX.
 */
#define HC_BEGIN	1	/* RBX: scenario */
#define HC_PHASE	2	/* RBX: scenario, RCX: phase; RAX: 0 or a bad address */
#define HC_RESULT	3	/* RBX: scenario, RCX: 0 or a bad address */
#define HC_WRONG	4	/* RBX: scenario, RCX: address, RDX: the wrong value read there */

/* Patterns: the 64-bit word at guest-physical address A holds A ^ seed. */
#define SEED_TOUCH	0x1111000000000000
#define SEED_GUEST	0x2222000000000000
#define SEED_VMM	0x3333000000000000
#define SEED_WINDOW	0x4444000000000000
#define SEED_WP1	0x5555000000000000
#define SEED_WP2	0x6666000000000000
#define SEED_HUGE	0x7777000000000000
#define SEED_MARK	0x0888000000000000
#define SEED_RACE1	0x9999000000000000	/* G_RACE before the first unmap */
#define SEED_RACE2	0xaaaa000000000000	/* G_RACE mapped again */
#define SEED_DIRTY1	0xbbbb000000000000
#define SEED_DIRTY2	0xcccc000000000000
#define SEED_SNAP1	0xdddd000000000000	/* G_SNAP before the snapshot */
#define SEED_SNAP2	0xeeee000000000000	/* written over after it */

#define NR_SCENARIOS	12

#ifndef __ASSEMBLER__
/* guest_blob.S: the guest binary, assembled for each hypercall instruction. */
extern const unsigned char demo_guest_vmmcall[], demo_guest_vmmcall_end[];
extern const unsigned char demo_guest_vmcall[], demo_guest_vmcall_end[];
#endif

#endif /* _AXAS_SAMPLE_GUEST_H */
