// SPDX-License-Identifier: GPL-2.0
/*
 * SMBIOS (DMTF DSP0134, 3.0): the firmware's description of the machine,
 * at 0xf0000 where a kernel scans for the 64-bit entry point ("_SM3_"):
 * BIOS information (type 0: vendor, version, release date; "this is a
 * virtual machine"), system information (type 1) and the end (type 127).
 * Linux takes its machine's name from it, and trusts PCI configuration
 * mechanism #1 on a machine whose BIOS is from 2001 or later; without a
 * date it probes every bus for a host bridge first, finds none on this
 * platform, and reports PCI as unusable.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/string.h>
#include "vmm.h"

#define SMBIOS_TABLE	(VMM_SMBIOS + 0x20)

/* Type 0 and 1 of SMBIOS 2.4's lengths, their strings after each. */
static const u8 smbios_structures[] = {
	/* Type 0, BIOS information: handle 0. */
	0, 0x18, 0x00, 0x00,
	1, 2, 0x00, 0xe8,	/* vendor, version; segment 0xe800 */
	3, 0,			/* release date; ROM size 64 KiB */
	0x08, 0, 0, 0, 0, 0, 0, 0,	/* characteristics not supported */
	0x00, 0x10,		/* extension byte 2: a virtual machine */
	0xff, 0xff, 0xff, 0xff,	/* no BIOS or EC release numbers */
	'a', 'x', 'a', 's', 0,
	'1', '.', '0', 0,
	'0', '1', '/', '0', '1', '/', '2', '0', '2', '5', 0,
	0,
	/* Type 1, system information: handle 0x100. */
	1, 0x1b, 0x00, 0x01,
	1, 2, 3, 0,		/* manufacturer, product, version; no serial */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* no UUID */
	6, 0, 0,		/* woken by the power switch; no SKU, family */
	'a', 'x', 'a', 's', 0,
	's', 'a', 'm', 'p', 'l', 'e', ' ', 'V', 'M', 'M', 0,
	'1', 0,
	0,
	/* Type 127, end of table: handle 0x7f00. */
	127, 4, 0x00, 0x7f,
	0, 0,
};

/**
 * vmm_smbios_build() - write the SMBIOS entry point and tables
 * @vm: the guest
 *
 * Context: process context; sleeps.
 * Return: 0, or the errno of the guest write.
 */
int vmm_smbios_build(struct vmm_vm *vm)
{
	u8 entry[0x20] = { '_', 'S', 'M', '3', '_' };
	u8 sum = 0;
	unsigned int i;
	int ret;

	entry[6] = 0x18;			/* length */
	entry[7] = 3;				/* SMBIOS 3.0.0 */
	entry[10] = 1;				/* entry point revision */
	*(u32 *)&entry[12] = sizeof(smbios_structures);
	*(u64 *)&entry[16] = SMBIOS_TABLE;
	for (i = 0; i < entry[6]; i++)
		sum += entry[i];
	entry[5] = -sum;
	ret = vmm_mem_write(vm, VMM_SMBIOS, entry, sizeof(entry));
	if (!ret)
		ret = vmm_mem_write(vm, SMBIOS_TABLE, smbios_structures,
				    sizeof(smbios_structures));
	return ret;
}
