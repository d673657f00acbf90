/* SPDX-License-Identifier: GPL-2.0 */
/* The guest binaries, built from guest.S, as data of the module. */
	.section .rodata, "a"
	.balign	16
	.globl	demo_guest_vmmcall
demo_guest_vmmcall:
	.incbin	GUEST_VMMCALL_BIN
	.globl	demo_guest_vmmcall_end
demo_guest_vmmcall_end:
	.balign	16
	.globl	demo_guest_vmcall
demo_guest_vmcall:
	.incbin	GUEST_VMCALL_BIN
	.globl	demo_guest_vmcall_end
demo_guest_vmcall_end:
