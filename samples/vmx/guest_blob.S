/* SPDX-License-Identifier: GPL-2.0 */
/* The guest binary, built from guest.S, as data of the module. */
	.section .rodata, "a"
	.balign	16
	.globl	axas_vmx_guest
axas_vmx_guest:
	.incbin	GUEST_BIN
	.globl	axas_vmx_guest_end
axas_vmx_guest_end:
