// SPDX-License-Identifier: GPL-2.0
/*
 * The x86 64-bit boot protocol (the kernel's
 * Documentation/arch/x86/boot.rst, "64-bit Boot Protocol"): what a boot
 * loader does before it jumps to a bzImage's 64-bit entry point, done
 * into guest memory through axas.
 *
 * - The bzImage's setup header (at 0x1f1, protocol 2.12 or later, with
 *   XLF_KERNEL_64) is copied into a zeroed boot_params at 0x7000; the
 *   loader fills in what is its to say: its type (0xff, no assigned ID),
 *   the command line at 0x20000, the initramfs (at the top of RAM below
 *   initrd_addr_max), the e820 map and the RSDP's address.
 * - The protected-mode kernel (everything after the setup sectors) goes
 *   to its preferred address (pref_address, aligned to kernel_alignment),
 *   with room for init_size there.
 * - The entry state the protocol asks for: 64-bit mode with paging on, an
 *   identity map of the low 4 GiB (2 MiB pages, tables at 0x9000), a GDT
 *   at 0x500 whose __BOOT_CS (0x10) is a flat 64-bit code segment and
 *   __BOOT_DS (0x18) a flat data segment, CS and DS, ES, SS loaded with
 *   them, interrupts disabled, RSI pointing to boot_params, RIP at the
 *   load address + 0x200.
 *
 * The e820 map is the space's areas (mem.c): RAM below 0x9f000 and from
 * 1 MiB to the end of RAM, the range between reserved.
 *
 * The other vCPUs are application processors: they start where the
 * guest's start-up IPI says, in the state INIT leaves (vmm_sipi_state()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/align.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <asm/bootparam.h>
#include <asm/e820/types.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include "vmm.h"

#define SETUP_HEADER		0x1f1
#define SETUP_MAGIC		0x53726448	/* "HdrS" */
#define SETUP_VERSION_64	0x020c		/* 2.12: XLF_KERNEL_64 */
#define LOADER_TYPE_UNKNOWN	0xff
#define ENTRY_64		0x200

#define BOOT_CS			0x10
#define BOOT_DS			0x18
#define GDT_CODE64		0x00af9b000000ffffULL
#define GDT_DATA		0x00cf93000000ffffULL

#define SEG_CODE64	0xa9b	/* present, DPL 0, code, read, 64-bit, 4 KiB granular */
#define SEG_DATA	0xc93	/* present, DPL 0, data, write, 32-bit, 4 KiB granular */
#define SEG_LDT		0x082
#define SEG_TSS64_BUSY	0x08b

#define PTE_P		BIT_ULL(0)
#define PTE_RW		BIT_ULL(1)
#define PTE_PS		BIT_ULL(7)

#define FLAT(s, a)	{ .sel = (s), .attrib = (a), .limit = 0xffffffff }

/* The protocol's 64-bit entry state; RIP is filled in by the loader. */
static const struct vmm_entry_state linux_entry = {
	.cs = FLAT(BOOT_CS, SEG_CODE64),
	.ds = FLAT(BOOT_DS, SEG_DATA),
	.es = FLAT(BOOT_DS, SEG_DATA),
	.ss = FLAT(BOOT_DS, SEG_DATA),
	.fs = FLAT(BOOT_DS, SEG_DATA),
	.gs = FLAT(BOOT_DS, SEG_DATA),
	.gdtr = { .base = VMM_GDT, .limit = 4 * 8 - 1 },
	.idtr = { .limit = 0 },
	.ldtr = { .attrib = SEG_LDT, .limit = 0xffff },
	.tr = { .attrib = SEG_TSS64_BUSY, .limit = 0xffff },
	.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG,
	.cr3 = VMM_PML4,
	.cr4 = X86_CR4_PAE,
	.efer = EFER_LME | EFER_LMA,
	.rflags = X86_EFLAGS_FIXED,
	.rsp = VMM_STACK_TOP,
	.dr6 = 0xffff0ff0,
	.dr7 = 0x400,
	.pat = 0x0007040600070406ULL,		/* the power-on PAT */
};

static void loader_e820(struct vmm_vm *vm, struct boot_params *bp)
{
	const struct boot_e820_entry map[] = {
		{ 0, VMM_LOW_RAM_END, E820_TYPE_RAM },
		{ VMM_LOW_RAM_END, VMM_HIGH_RAM - VMM_LOW_RAM_END, E820_TYPE_RESERVED },
		{ VMM_HIGH_RAM, vm->ram_size - VMM_HIGH_RAM, E820_TYPE_RAM },
	};

	memcpy(bp->e820_table, map, sizeof(map));
	bp->e820_entries = ARRAY_SIZE(map);
}

/*
 * What a firmware leaves at the reset vector, where a kernel that resets
 * the machine through the BIOS jumps in real mode (Linux does on a
 * hardware-reduced ACPI platform: it tries EFI, then the BIOS, before the
 * keyboard controller, CF9 and a triple fault): it writes the ACPI reset
 * register, which ends the run as a reset.
 */
static int loader_reset_vector(struct vmm_vm *vm)
{
	const u8 code[] = {
		0xba, VMM_PM_RESET & 0xff, VMM_PM_RESET >> 8,	/* mov $port, %dx */
		0xb0, VMM_PM_RESET_VALUE,			/* mov $value, %al */
		0xee,						/* out %al, (%dx) */
		0xfa,						/* cli */
		0xf4,						/* hlt */
		0xeb, 0xfd,					/* jmp .-1 */
	};

	return vmm_mem_write(vm, VMM_RESET_VECTOR, code, sizeof(code));
}

/* GDT and page tables: an identity map of the low 4 GiB, 2 MiB pages. */
static int loader_tables(struct vmm_vm *vm)
{
	static const u64 gdt[4] = { 0, 0, GDT_CODE64, GDT_DATA };
	u64 *pt;
	unsigned int i;
	int ret;

	ret = vmm_mem_write(vm, VMM_GDT, gdt, sizeof(gdt));
	if (ret)
		return ret;
	pt = kzalloc(6 * SZ_4K, GFP_KERNEL);
	if (!pt)
		return -ENOMEM;
	/* PML4 at VMM_PML4, PDPT after it, then 4 page directories. */
	pt[0] = VMM_PDPT | PTE_P | PTE_RW;
	for (i = 0; i < 4; i++)
		pt[512 + i] = (VMM_PD + i * SZ_4K) | PTE_P | PTE_RW;
	for (i = 0; i < 4 * 512; i++)
		pt[1024 + i] = ((u64)i << 21) | PTE_P | PTE_RW | PTE_PS;
	BUILD_BUG_ON(VMM_PDPT != VMM_PML4 + SZ_4K || VMM_PD != VMM_PDPT + SZ_4K);
	ret = vmm_mem_write(vm, VMM_PML4, pt, 6 * SZ_4K);
	kfree(pt);
	return ret;
}

/**
 * vmm_load_linux() - load a bzImage, its initramfs and command line
 * @vm: the guest, its memory created
 * @kernel: the bzImage file
 * @kernel_size: its size
 * @initrd: the initramfs, or NULL
 * @initrd_size: its size
 * @cmdline: the command line
 * @gs: the entry state, filled in
 * @why: what was wrong, on error; where what went, on success
 * @len: size of @why
 *
 * Also writes what the firmware leaves (ACPI and SMBIOS tables, the reset
 * vector) and sets the vCPU's RSI (boot_params) and RIP.
 *
 * Context: process context; sleeps.
 * Return: 0; -ENOEXEC for an image that is no 64-bit bzImage; -E2BIG when
 * the kernel, the initramfs or the command line do not fit; an errno from
 * a guest write.
 */
int vmm_load_linux(struct vmm_vm *vm, const void *kernel, size_t kernel_size,
		   const void *initrd, size_t initrd_size, const char *cmdline,
		   struct vmm_entry_state *gs, char *why, size_t len)
{
	const struct setup_header *hdr = kernel + SETUP_HEADER;
	struct boot_params *bp;
	size_t setup_size, payload_size, hdr_len, cmd_len = strlen(cmdline) + 1;
	u64 load, end, initrd_gpa = 0, initrd_max, rsdp;
	unsigned int sects;
	int ret;

	if (kernel_size < SETUP_HEADER + sizeof(*hdr) || hdr->boot_flag != 0xaa55 ||
	    hdr->header != SETUP_MAGIC || hdr->version < SETUP_VERSION_64 ||
	    !(hdr->xloadflags & XLF_KERNEL_64)) {
		snprintf(why, len, "not a bzImage with a 64-bit entry point (boot protocol 2.12+)");
		return -ENOEXEC;
	}
	sects = hdr->setup_sects ?: 4;
	setup_size = (sects + 1) * 512;
	if (setup_size >= kernel_size) {
		snprintf(why, len, "the bzImage is shorter than its setup sectors");
		return -ENOEXEC;
	}
	payload_size = kernel_size - setup_size;
	load = hdr->pref_address;
	if (hdr->relocatable_kernel)
		load = ALIGN(load, hdr->kernel_alignment);
	end = load + max_t(u64, hdr->init_size, payload_size);
	if (load < VMM_HIGH_RAM || end > vm->ram_size) {
		snprintf(why, len, "the kernel needs [%#llx, %#llx), beyond RAM", load, end);
		return -E2BIG;
	}
	if (cmd_len > min_t(u32, hdr->cmdline_size + 1, VMM_CMDLINE_MAX)) {
		snprintf(why, len, "the command line has %zu bytes, the kernel takes %u",
			 cmd_len - 1, hdr->cmdline_size);
		return -E2BIG;
	}
	if (initrd_size) {
		initrd_max = min_t(u64, vm->ram_size, (u64)hdr->initrd_addr_max + 1);
		initrd_gpa = ALIGN_DOWN(initrd_max - initrd_size, SZ_4K);
		if (initrd_size > initrd_max || initrd_gpa < end) {
			snprintf(why, len, "no room for the %zu-byte initramfs above the kernel",
				 initrd_size);
			return -E2BIG;
		}
	}

	bp = kzalloc(sizeof(*bp), GFP_KERNEL);
	if (!bp)
		return -ENOMEM;
	/* The setup header, as long as the image says it is (0x201). */
	hdr_len = min_t(size_t, 0x202 + *(u8 *)(kernel + 0x201) - SETUP_HEADER,
			sizeof(bp->hdr));
	memcpy(&bp->hdr, hdr, hdr_len);
	bp->hdr.type_of_loader = LOADER_TYPE_UNKNOWN;
	bp->hdr.cmd_line_ptr = VMM_CMDLINE;
	bp->hdr.ramdisk_image = initrd_gpa;
	bp->hdr.ramdisk_size = initrd_size;
	loader_e820(vm, bp);

	ret = vmm_acpi_build(vm, &rsdp);
	if (!ret)
		ret = vmm_smbios_build(vm);
	if (!ret)
		ret = loader_reset_vector(vm);
	if (!ret) {
		bp->acpi_rsdp_addr = rsdp;
		ret = vmm_mem_write(vm, VMM_BOOT_PARAMS, bp, sizeof(*bp));
	}
	kfree(bp);
	if (!ret)
		ret = vmm_mem_write(vm, VMM_CMDLINE, cmdline, cmd_len);
	if (!ret)
		ret = vmm_mem_write(vm, load, kernel + setup_size, payload_size);
	if (!ret && initrd_size)
		ret = vmm_mem_write(vm, initrd_gpa, initrd, initrd_size);
	if (!ret)
		ret = loader_tables(vm);
	if (ret) {
		snprintf(why, len, "writing the guest's memory: %d", ret);
		return ret;
	}

	*gs = linux_entry;
	gs->rip = load + ENTRY_64;
	vm->vcpus[0].regs.rip = gs->rip;
	vm->vcpus[0].regs.gpr[VMM_RSP] = gs->rsp;
	vm->vcpus[0].regs.gpr[VMM_RSI] = VMM_BOOT_PARAMS;
	snprintf(why, len, "boot protocol %u.%02u, kernel at %#llx (init_size %#x), entry %#llx, initramfs %zu bytes at %#llx",
		 hdr->version >> 8, hdr->version & 0xff, load, hdr->init_size,
		 gs->rip, initrd_size, initrd_gpa);
	return 0;
}

#define SEG_REAL_CODE	0x09b	/* present, code, read, accessed; 16-bit */
#define SEG_REAL_DATA	0x093	/* present, data, write, accessed; 16-bit */
#define REAL(s, b, a)	{ .sel = (s), .base = (b), .attrib = (a), .limit = 0xffff }

/**
 * vmm_sipi_state() - an application processor's state at its start-up IPI
 * @vcpu: the vCPU, which waited for the SIPI since power-on or INIT
 * @vector: the SIPI's vector: the guest starts at the 4 KiB page it names
 *
 * The state after INIT (SDM Vol. 3A, 10.1.1, Table 10-1), in real mode,
 * then the SIPI's CS:IP, vector << 8 : 0 (base vector << 12): where an
 * operating system put its trampoline, which switches to protected and
 * long mode itself. EDX holds the processor's signature (CPUID leaf 1,
 * EAX); CR0 has CD and NW set, as after reset.
 *
 * Context: the vCPU's thread, before ops->enable().
 * Return: nothing.
 */
void vmm_sipi_state(struct vmm_vcpu *vcpu, u8 vector)
{
	struct vmm_entry_state *e = &vcpu->entry;
	struct vmm_regs *r = &vcpu->regs;
	const struct vmm_seg data = REAL(0, 0, SEG_REAL_DATA);
	u32 sig[4];

	memset(e, 0, sizeof(*e));
	e->cs = (struct vmm_seg)REAL(vector << 8, (u64)vector << 12, SEG_REAL_CODE);
	e->ds = data;
	e->es = data;
	e->ss = data;
	e->fs = data;
	e->gs = data;
	e->gdtr.limit = 0xffff;
	e->idtr.limit = 0xffff;
	e->ldtr = (struct vmm_seg)REAL(0, 0, SEG_LDT);
	e->tr = (struct vmm_seg)REAL(0, 0, SEG_TSS64_BUSY);
	e->cr0 = X86_CR0_CD | X86_CR0_NW | X86_CR0_ET;
	e->rflags = X86_EFLAGS_FIXED;
	e->dr6 = 0xffff0ff0;
	e->dr7 = 0x400;
	e->pat = linux_entry.pat;

	vmm_cpuid(vcpu, 1, 0, sig);
	memset(r->gpr, 0, sizeof(r->gpr));
	r->gpr[VMM_RDX] = sig[0];
	r->rip = 0;
}
