/* SPDX-License-Identifier: GPL-2.0 */
/* The guest binary, built from guest.S, as data of the module. */
	.section .rodata, "a"
	.balign	16
	.globl	axas_svm_guest
axas_svm_guest:
	.incbin	GUEST_BIN
	.globl	axas_svm_guest_end
axas_svm_guest_end:
