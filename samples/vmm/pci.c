// SPDX-License-Identifier: GPL-2.0
/*
 * PCI configuration mechanism #1 with nothing behind it: CONFIG_ADDRESS
 * (the dword at 0xcf8) holds what is written to it, and CONFIG_DATA
 * (0xcfc-0xcff) reads all-ones, the vendor ID 0xffff of "no device", for
 * every bus, device and function; writes go nowhere. The guest finds the
 * mechanism, scans for a device, and finds none.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "vmm.h"

#define PCI_ADDR_MASK	0x80fffffc	/* enable, bus, device, function, register */

void vmm_pci_io(struct vmm_vcpu *vcpu, u16 offset, u8 size, bool in, u32 *val)
{
	struct vmm_pci *pci = &vcpu->vm->pci;

	if (offset == 0 && size == 4) {
		if (in)
			*val = pci->addr;
		else
			pci->addr = *val & PCI_ADDR_MASK;
		return;
	}
	/* CONFIG_DATA, and the other bytes of 0xcf8-0xcfb: nothing there. */
	if (in)
		*val = ~0U;
}
