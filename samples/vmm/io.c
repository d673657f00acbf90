// SPDX-License-Identifier: GPL-2.0
/*
 * The port bus: a table of port ranges and the device that answers each.
 * A port no device answers reads as all-ones and drops writes, as an ISA
 * bus with nothing on it does; the guest probes many (the 8259's mask
 * register to find no PIC, COM2-COM4, the keyboard controller, VGA), and
 * the report lists the ones it tried. The devices are the VM's: one lock
 * (vm->io_lock) serializes their handlers across the vCPUs, as the guest
 * itself serializes its accesses to each device.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "vmm.h"

/* Port 0x80, the POST code port, where outb_p() delays: a sink. */
static void vmm_post_io(struct vmm_vcpu *vcpu, u16 offset, u8 size, bool in,
			u32 *val)
{
	if (in)
		*val = ~0U;
}

typedef void (*vmm_io_fn)(struct vmm_vcpu *vcpu, u16 offset, u8 size,
			  bool in, u32 *val);

/* Devices, by the index of vmm_counts.port[]; the last is "none". */
const char *const vmm_io_devices[] = {
	"uart", "pm", "rtc", "pit", "pci", "post", "ctl", "none"
};

static const struct vmm_port_range {
	u16 first, last;
	u8 dev;
	vmm_io_fn fn;
} vmm_port_table[] = {
	{ 0x40, 0x43, 3, vmm_pit_io },
	{ 0x61, 0x61, 3, vmm_port61_io },
	{ 0x70, 0x71, 2, vmm_rtc_io },
	{ 0x80, 0x80, 5, vmm_post_io },
	{ VMM_PORT_COM1, VMM_PORT_COM1 + 7, 0, vmm_uart_io },
	{ VMM_PORT_PM, VMM_PORT_PM + 15, 1, vmm_pm_io },
	{ 0xcf8, 0xcff, 4, vmm_pci_io },
	{ VMM_PORT_CTL, VMM_PORT_CTL + 3, 6, vmm_ctl_io },
};

static void vmm_io_none(struct vmm_counts *c, u16 port)
{
	unsigned int i;

	c->port[ARRAY_SIZE(vmm_io_devices) - 1]++;
	for (i = 0; i < VMM_TOP_PORTS; i++) {
		if (c->other_port_count[i] && c->other_port[i] != port)
			continue;
		c->other_port[i] = port;
		c->other_port_count[i]++;
		return;
	}
}

/**
 * vmm_io() - IN or OUT of @size bytes at @port
 * @vcpu: the vCPU
 * @port: DX or the immediate
 * @size: 1, 2 or 4
 * @in: IN
 * @val: the value written, or where the value read goes (@size bytes)
 *
 * Context: a vCPU's thread; takes vm->io_lock around the device.
 * Return: nothing; every port answers something.
 */
void vmm_io(struct vmm_vcpu *vcpu, u16 port, u8 size, bool in, u32 *val)
{
	struct vmm_counts *c = &vcpu->counts;
	const struct vmm_port_range *r;

	for (r = vmm_port_table; r < vmm_port_table + ARRAY_SIZE(vmm_port_table); r++) {
		if (port < r->first || port > r->last)
			continue;
		c->port[r->dev]++;
		/* The devices are the VM's, shared by its vCPUs. */
		mutex_lock(&vcpu->vm->io_lock);
		r->fn(vcpu, port - r->first, size, in, val);
		mutex_unlock(&vcpu->vm->io_lock);
		return;
	}
	vmm_io_none(c, port);
	if (in)
		*val = ~0U;
}
