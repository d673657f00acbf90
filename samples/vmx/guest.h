/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the VMX sample VMM and its guest agree on: the guest-physical
 * layout, the hypercalls and the data patterns. Included from C and
 * assembly.
 */
#ifndef _AXAS_VMX_GUEST_H
#define _AXAS_VMX_GUEST_H

/* Image: code and stack, populated, entered in 64-bit mode at G_IMAGE. */
#define G_IMAGE		0x00100000
#define G_IMAGE_SIZE	0x00010000
#define G_CODE_MAX	0x00008000	/* room for the binary */
#define G_STACK_TOP	(G_IMAGE + G_IMAGE_SIZE)
/* The guest's page tables, written by the VMM (populated). */
#define G_TABLES	0x00110000
#define G_TABLES_SIZE	0x00006000
#define G_PML4		G_TABLES
#define G_PDPT		(G_TABLES + 0x1000)
#define G_PD		(G_TABLES + 0x2000)	/* 4 directories: the low 4 GiB */

/*
 * Scenario 2: the guest reaches G_WALK_GVA through a page directory and a
 * page table in a lazy area (PDPT entry 4, G_WALK_PD entry 0, G_WALK_PT
 * entry 5): its own page walk takes the EPT violations. The VMM writes
 * their entries when axas has installed the frames.
 */
#define G_WALK		0x00200000
#define G_WALK_SIZE	0x00002000
#define G_WALK_PD	G_WALK
#define G_WALK_PT	(G_WALK + 0x1000)
#define G_WALK_GVA	0x100005000
#define G_WALK_OFF	0x10			/* offset the guest reads */
#define G_WALK_TARGET	(G_LAZY4K + 0x100000)	/* lazy too */

/* Scenario 3: an execute-only page holding a function (populated). */
#define G_XONLY		0x00220000
#define XO_MAGIC	0x58454321		/* what the function returns */
/* Scenario 4: read-only while the guest writes (populated). */
#define G_RO		0x00230000
#define G_RO_OFF	0x8
/* Scenario 5: unmapped, then a fresh zero page (populated first). */
#define G_FRESH		0x00240000
/* Scenario 9: the guest reads page P and writes page Q (populated). */
#define G_AD		0x00250000
#define G_AD_P		G_AD
#define G_AD_Q		(G_AD + 0x1000)
#define G_AD_SIZE	0x00002000

/* Scenario 1: lazy areas of 4 KiB and 2 MiB frames. */
#define G_LAZY4K	0x00400000
#define G_LAZY4K_SIZE	0x00200000
#define LAZY_READS	16			/* pages read from G_LAZY4K */
#define LAZY_WRITES	8			/* pages written from... */
#define LAZY_WRITE_OFF	0x00020000		/* ...this far in */
#define G_LAZY2M	0x00800000
#define G_LAZY2M_SIZE	0x00200000
/* Scenario 6: no area: the VMM emulates a device here. */
#define G_MMIO		0xd0000000
#define DEV_ID		0x53415841
#define DEV_SCRATCH_VAL	0x12345678
/* Scenario 7: ports and the MSR the guest tries. */
#define IO_OUT_PORT	0x80
#define IO_IN_PORT	0x81
#define IO_OUT_VAL	0x5a
#define IO_IN_VAL	0xa5
#define MSR_TRIED	0xc0000080		/* EFER */
/* Scenario 8: a 1 GiB linear leaf onto memory reserved at boot. */
#define G_HUGE		0x40000000
#define G_HUGE_SIZE	0x40000000

/* The guest-physical space: the low 4 GiB plus G_WALK_GVA's page. */
#define G_SPACE_SIZE	0x100000000

/*
 * Hypercalls: VMCALL with the command in RAX, the scenario in RBX,
 * arguments in RCX, RDX and RSI.
 */
#define HC_BEGIN	1	/* RBX: scenario */
#define HC_PHASE	2	/* RBX: scenario, RCX: phase */
#define HC_RESULT	3	/* RBX: scenario, RCX: 0 or a bad address; RDX, RSI: values */

/* Patterns: the 64-bit word at guest-physical address A holds A ^ seed. */
#define SEED_WALK	0x1111000000000000
#define SEED_RO		0x2222000000000000
#define SEED_FRESH	0x3333000000000000
#define SEED_HUGE	0x4444000000000000
#define SEED_MARK	0x5555000000000000

#define NR_SCENARIOS	9

#endif /* _AXAS_VMX_GUEST_H */
