/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The scripted demo: a guest written in this repository (guest.S) whose
 * every nested fault the VMM predicts, on the CPU plumbing of
 * ../vmm/arch.h.
 *
 * The core (samples/core: core.c, scenarios.c) is the part of the demo
 * that uses axas: it creates the space, maps the guest's memory, loads the
 * guest program (guest.S), runs the scenarios the guest announces,
 * predicts every nested fault from axas's own tables, and prints the
 * report. It owns the vCPU kthread and the run loop. Everything that
 * differs between AMD SVM (samples/svm) and Intel VMX (samples/vmx) sits
 * behind &struct vmm_arch (../vmm/arch.h), which the demo uses without
 * &vmm_arch_info.own_cpu: every exception stops the guest.
 *
 * Building: an arch's Kbuild includes samples/core/core.mk first (it sets
 * demo-core-y), then puts its own objects and $(demo-core-y) in its
 * module; core.mk compiles the core and the guest binaries into the
 * arch's directory, so each module has its own copy (kbuild refuses an
 * object linked into two modules):
 *
 *	include $(src)/../core/core.mk
 *
 *	obj-m += axas_vmx.o
 *	axas_vmx-y := vmx.o vmenter.o $(demo-core-y)
 *
 * The arch's module_init calls demo_main() with its ops and returns what
 * it returns; its module_exit must call demo_end().
 *
 * demo_main() sets the guest up, starts the vCPU's kthread and returns
 * without waiting for the guest; the kthread prints the report when the
 * guest has finished and frees it. demo_end() stops a guest that still
 * runs (the report then closes with "RESULT STOPPED"), waits for the
 * kthread and frees what is left; it is safe whether the guest finished,
 * runs, or never started. The report's lines start with KBUILD_MODNAME
 * (pr_fmt), e.g. "axas_svm: "; its last line starts with "RESULT ", which
 * a harness waits for before it unloads the module.
 *
 * Hypercall instruction: the guest is assembled twice from guest.S, once
 * with VMMCALL (0f 01 d9) and once with VMCALL (0f 01 c1); info->hypercall
 * chooses which binary the core loads. Both are 3 bytes
 * (VMM_HYPERCALL_LEN): on VMM_EXIT_HYPERCALL the core advances the RIP
 * past it. The guest keeps no state on its stack across a hypercall (the
 * snapshot scenario restores the stack page).
 *
 * Initial state: demo_guest_entry says how the guest starts (32-bit
 * protected mode, paging off, flat segments, at G_IMAGE); both arches load
 * the same values. The guest then loads its own GDT (in its image), builds
 * its page tables and enters long mode itself: a VMX arch must allow that
 * (unrestricted guest, and EFER.LMA / "IA-32e mode guest" following the
 * guest's WRMSR and CR0.PG). It reads and writes EFER with RDMSR and
 * WRMSR, once each, and touches no other MSR and no port. An arch
 * intercepts every MSR and port (permission maps or bitmaps all set) and
 * emulates EFER (SVM: in the VMCB, SVME kept set); a copyable VMM injects
 * #GP for any other MSR. The SVM demo checks that its report counts
 * exactly these 2 exits as handled by the arch (demo-check.py
 * --arch-exits 2).
 *
 * Registers: &struct vmm_regs holds what the core reads and writes. After
 * each exit, ops->run() stores every field; before each entry it loads the
 * guest's GPRs and RIP from it (the core changes RAX, RIP and the GPR an
 * emulated load targets). Before the first entry the core sets its RIP
 * and RSP from demo_guest_entry, the other GPRs zero; it asks for no
 * event (irq -1) and switches no FPU state.
 */
#ifndef _AXAS_SAMPLE_DEMO_H
#define _AXAS_SAMPLE_DEMO_H

#include "../vmm/arch.h"

extern const struct vmm_entry_state demo_guest_entry;

int demo_main(const struct vmm_arch *ops);
void demo_end(void);

#endif /* _AXAS_SAMPLE_DEMO_H */
