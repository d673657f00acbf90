// SPDX-License-Identifier: GPL-2.0
/*
 * axas_svm - the sample VMM on AMD SVM with nested paging.
 *
 * This file is the CPU plumbing only: it checks the CPU, turns SVM on,
 * writes a VMCB with nested paging on and nCR3 from axas, runs the guest
 * with VMRUN (vmrun.S) and decodes each #VMEXIT into the core's terms.
 * The guest, its scenarios, their predictions, the report and every axas
 * call are the core's (../core/core.c; the interface is ../vmm/arch.h).
 *
 * What the guest could use to reach the host is intercepted (as KVM's
 * init_vmcb() does; svm_init_vmcb() lists what is left out and why):
 * every I/O port and every MSR through all-ones permission maps, the SVM
 * instructions, the instructions that act on the host's caches, its
 * performance counters, XCR0 and its debug registers, and every
 * exception. The guest's FPU/SSE registers are not switched (the guest
 * uses none), but the host's are saved first and reloaded for the next
 * host task that uses them (kernel_fpu_begin()), so whatever the guest
 * leaves in them reaches no host task. EFER, the only MSR the guest
 * uses, is emulated (svm_msr()); any other MSR access gets #GP.
 *
 * It is a sample: one vCPU on one CPU, no speculation mitigations around
 * VMRUN, and no virtual CPU of its own: CPUID and RDTSC answer as the
 * host's.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <asm/fpu/api.h>
#include <asm/mce.h>
#include <asm/msr.h>
#include <asm/pgtable.h>
#include <asm/processor.h>
#include <asm/svm.h>
#include <asm/trapnr.h>
#include <axas/axas.h>
#include <axas/compat.h>
#include <axas/vmm.h>
#include "../core/demo.h"
#include "svm.h"

/**
 * struct svm_arch - the SVM side of the guest
 * @vmcb_frame: the VMCB's page
 * @hsave_frame: the host save area (VM_HSAVE_PA)
 * @host_frame: the host state vmrun.S keeps with VMSAVE/VMLOAD
 * @iopm: the I/O permission map, every port intercepted
 * @msrpm: the MSR permission map, every MSR intercepted
 * @vmcb: the VMCB, mapped
 * @regs: the guest's GPRs other than RAX and RSP
 * @flush_ctl: the TLB control that flushes the guest's ASID
 * @nrips: the CPU saves the next RIP at an intercepted instruction
 * @efer_ok: the EFER bits the guest may set
 * @host_efer: EFER before SVM was turned on, restored after
 * @host_hsave: VM_HSAVE_PA before, restored after
 * @enabled: EFER.SVME and VM_HSAVE_PA were set by this sample
 */
struct svm_arch {
	struct axas_vmm_frame *vmcb_frame;
	struct axas_vmm_frame *hsave_frame;
	struct axas_vmm_frame *host_frame;
	struct axas_vmm_frame *iopm;
	struct axas_vmm_frame *msrpm;
	struct vmcb *vmcb;
	struct axas_svm_regs regs;
	u8 flush_ctl;
	bool nrips;
	u64 efer_ok;
	u64 host_efer;
	u64 host_hsave;
	bool enabled;
};

static void svm_teardown(void *arch)
{
	struct svm_arch *a = arch;

	/* NULL and the error pointers of a failed set-up are ignored. */
	axas_vmm_frame_free(a->msrpm);
	axas_vmm_frame_free(a->iopm);
	axas_vmm_frame_free(a->host_frame);
	axas_vmm_frame_free(a->hsave_frame);
	axas_vmm_frame_free(a->vmcb_frame);
	kfree(a);
}

static void *svm_setup(struct vmm_arch_info *info, char *why, size_t len)
{
	bool la57 = pgtable_l5_enabled();
	struct svm_arch *a;
	u64 vm_cr;

	if (!boot_cpu_has(X86_FEATURE_SVM) ||
	    !(cpuid_edx(SVM_CPUID_FUNC) & BIT(0))) {
		snprintf(why, len, "the CPU has no SVM with nested paging");
		return ERR_PTR(-ENODEV);
	}
	rdmsrl(MSR_VM_CR, vm_cr);
	if (vm_cr & SVM_VM_CR_SVM_DIS_MASK) {
		snprintf(why, len, "SVM is disabled (VM_CR.SVMDIS)");
		return ERR_PTR(-ENODEV);
	}
	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a) {
		snprintf(why, len, "no memory");
		return ERR_PTR(-ENOMEM);
	}
	/*
	 * VMCB, host save area, host state for vmrun.S; every port and
	 * every MSR intercepted.
	 */
	a->vmcb_frame = axas_vmm_frame_alloc(0, NUMA_NO_NODE);
	a->hsave_frame = axas_vmm_frame_alloc(0, NUMA_NO_NODE);
	a->host_frame = axas_vmm_frame_alloc(0, NUMA_NO_NODE);
	a->iopm = axas_vmm_bitmap_alloc(AXAS_SVM_IOPM, true, NUMA_NO_NODE);
	a->msrpm = axas_vmm_bitmap_alloc(AXAS_SVM_MSRPM, true, NUMA_NO_NODE);
	if (IS_ERR(a->vmcb_frame) || IS_ERR(a->hsave_frame) ||
	    IS_ERR(a->host_frame) || IS_ERR(a->iopm) || IS_ERR(a->msrpm)) {
		svm_teardown(a);
		snprintf(why, len, "no memory for the VMCB");
		return ERR_PTR(-ENOMEM);
	}
	a->vmcb = a->vmcb_frame->kva;
	a->flush_ctl = cpuid_edx(SVM_CPUID_FUNC) & BIT(6) ?
		       TLB_CONTROL_FLUSH_ASID : TLB_CONTROL_FLUSH_ALL_ASID;
	a->nrips = cpuid_edx(SVM_CPUID_FUNC) & BIT(3);
	/* LMA may be written; svm_msr() keeps the CPU's value. */
	a->efer_ok = EFER_SCE | EFER_LME | EFER_LMA;
	if (boot_cpu_has(X86_FEATURE_NX))
		a->efer_ok |= EFER_NX;

	/* Nested paging walks as many levels as the host's paging. */
	info->pt.format = AXAS_PT_NPT;
	info->pt.levels = la57 ? 5 : 4;
	info->gbpages = boot_cpu_has(X86_FEATURE_GBPAGES);
	info->maxphyaddr = boot_cpu_data.x86_phys_bits;
	info->pt.caps = axas_pt_caps_from_npt(la57, info->gbpages,
					      info->maxphyaddr);
	info->caps = VMM_CAP_FAULT_USER | VMM_CAP_AD;
	info->hypercall = VMM_VMMCALL;
	snprintf(info->host, sizeof(info->host),
		 "host: %u-level paging, so %u-level NPT; 1 GiB leaves %s; ASID 1; TLB control %s; NRIP save %s; all ports and MSRs intercepted",
		 info->pt.levels, info->pt.levels, info->gbpages ? "yes" : "no",
		 a->flush_ctl == TLB_CONTROL_FLUSH_ASID ? "flush ASID" : "flush all",
		 a->nrips ? "yes" : "no");
	return a;
}

/*
 * What the guest may not do without the VMM, as in KVM's init_vmcb():
 * host interrupts, NMIs and SMIs (the host takes them after the exit);
 * the SVM instructions (the guest's EFER has SVME: VMLOAD and VMSAVE
 * would take a host-physical address, STGI/CLGI the host's GIF, SKINIT
 * the whole CPU, VMRUN must be intercepted); INVD (drops the host's
 * dirty cache lines), WBINVD, MONITOR/MWAIT (the CPU's sleep), RDPMC and
 * RDPRU (the host's counters), XSETBV (XCR0 is not switched), RSM,
 * INVLPGA, task switches, HLT and shutdown (a triple fault would reset
 * the machine); every port, every MSR.
 *
 * Left out: CPUID, RDTSC, RDTSCP (they show the host's values and change
 * nothing; a VMM with a virtual CPU of its own intercepts them), PAUSE
 * (it delays the guest only), INIT (only the host sends it; KVM does not
 * intercept it either), CR reads and writes, INVLPG, INVPCID and the
 * descriptor-table instructions (with nested paging that state is the
 * guest's own, switched by VMRUN; V_INTR_MASKING keeps CR8 away from
 * the host's TPR), INVLPGB and TLBSYNC (#UD in a guest unless the VMCB
 * enables them).
 */
static const u8 svm_intercepts[] = {
	INTERCEPT_INTR, INTERCEPT_NMI, INTERCEPT_SMI, INTERCEPT_RDPMC,
	INTERCEPT_RSM, INTERCEPT_INVD, INTERCEPT_HLT, INTERCEPT_INVLPGA,
	INTERCEPT_IOIO_PROT, INTERCEPT_MSR_PROT, INTERCEPT_TASK_SWITCH,
	INTERCEPT_SHUTDOWN, INTERCEPT_VMRUN, INTERCEPT_VMMCALL,
	INTERCEPT_VMLOAD, INTERCEPT_VMSAVE, INTERCEPT_STGI, INTERCEPT_CLGI,
	INTERCEPT_SKINIT, INTERCEPT_WBINVD, INTERCEPT_MONITOR,
	INTERCEPT_MWAIT, INTERCEPT_XSETBV, INTERCEPT_RDPRU,
};

static void vmcb_intercept(struct vmcb_control_area *c, unsigned int bit)
{
	c->intercepts[bit / 32] |= BIT(bit % 32);
}

static void vmcb_seg(struct vmcb_seg *seg, const struct vmm_seg *s)
{
	seg->selector = s->sel;
	seg->attrib = s->attrib;
	seg->limit = s->limit;
	seg->base = s->base;
}

static void svm_init_vmcb(struct svm_arch *a, u64 root,
			  const struct vmm_entry_state *gs)
{
	struct vmcb_control_area *c = &a->vmcb->control;
	struct vmcb_save_area *s = &a->vmcb->save;
	unsigned int i;

	/* Every exception: the guest takes none. */
	c->intercepts[INTERCEPT_EXCEPTION] = ~0U;
	/* DR0-DR7 reads and writes: DR0-DR3 are the host's (DR6/7 are not). */
	for (i = 0; i < 8; i++) {
		vmcb_intercept(c, INTERCEPT_DR0_READ + i);
		vmcb_intercept(c, INTERCEPT_DR0_WRITE + i);
	}
	for (i = 0; i < ARRAY_SIZE(svm_intercepts); i++)
		vmcb_intercept(c, svm_intercepts[i]);
	c->iopm_base_pa = a->iopm->hpa;
	c->msrpm_base_pa = a->msrpm->hpa;
	c->asid = 1;
	c->int_ctl = V_INTR_MASKING_MASK;
	c->nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
	c->nested_cr3 = root;

	vmcb_seg(&s->cs, &gs->cs);
	vmcb_seg(&s->ds, &gs->ds);
	vmcb_seg(&s->es, &gs->es);
	vmcb_seg(&s->ss, &gs->ss);
	vmcb_seg(&s->fs, &gs->fs);
	vmcb_seg(&s->gs, &gs->gs);
	vmcb_seg(&s->gdtr, &gs->gdtr);
	vmcb_seg(&s->idtr, &gs->idtr);
	vmcb_seg(&s->ldtr, &gs->ldtr);
	vmcb_seg(&s->tr, &gs->tr);
	s->cpl = 0;
	/* SVM requires EFER.SVME in the guest's EFER too. */
	s->efer = gs->efer | EFER_SVME;
	s->cr0 = gs->cr0;
	s->cr3 = gs->cr3;
	s->cr4 = gs->cr4;
	s->dr6 = gs->dr6;
	s->dr7 = gs->dr7;
	s->rflags = gs->rflags;
	s->rip = gs->rip;
	s->rsp = gs->rsp;
	s->g_pat = gs->pat;
}

static int svm_enable(void *arch, u64 root, const struct vmm_entry_state *gs,
		      char *why, size_t len)
{
	struct svm_arch *a = arch;

	rdmsrl(MSR_EFER, a->host_efer);
	if (a->host_efer & EFER_SVME) {
		snprintf(why, len, "another hypervisor has SVM on (EFER.SVME) on CPU %d",
			 raw_smp_processor_id());
		return -EBUSY;
	}
	rdmsrl(MSR_VM_HSAVE_PA, a->host_hsave);
	wrmsrl(MSR_EFER, a->host_efer | EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA, a->hsave_frame->hpa);
	a->enabled = true;
	svm_init_vmcb(a, root, gs);
	return 0;
}

static void svm_disable(void *arch)
{
	struct svm_arch *a = arch;

	if (!a->enabled)
		return;
	wrmsrl(MSR_VM_HSAVE_PA, a->host_hsave);
	wrmsrl(MSR_EFER, a->host_efer);
	a->enabled = false;
}

/*
 * The next VMRUN flushes the guest's ASID. QEMU keeps no guest
 * translation across a VMRUN whatever the TLB control says, so a missing
 * flush would not show there: the core checks that axas asked for one.
 */
static int svm_flush(void *arch)
{
	struct svm_arch *a = arch;

	a->vmcb->control.tlb_ctl = a->flush_ctl;
	return 0;
}

static void svm_decode_npf(struct svm_arch *a, struct vmm_exit *x)
{
	const struct vmcb_control_area *c = &a->vmcb->control;
	struct axas_exit_fault f;
	int ret;

	ret = axas_decode_npf(c->exit_info_1, c->exit_info_2, &f);
	if (ret) {
		x->kind = VMM_EXIT_FATAL;
		snprintf(x->why, sizeof(x->why),
			 "nested page fault code %#llx at %#llx: decoding = %d",
			 c->exit_info_1, c->exit_info_2, ret);
		return;
	}
	x->kind = VMM_EXIT_FAULT;
	x->fault.gpa = f.gpa;
	x->fault.access = f.access;
	x->fault.flags = f.flags;
	x->fault.user = c->exit_info_1 & BIT_ULL(2);
	x->fault.raw = c->exit_info_1;
}

/*
 * RDMSR or WRMSR (every MSR is intercepted). The guest reads and writes
 * EFER to enter long mode: its EFER lives in the VMCB, with SVME kept set
 * (VMRUN requires it) and hidden from the guest. A write may set SCE,
 * LME and NXE only, and may not change LME while paging is on (#GP
 * otherwise, as the CPU does); LMA stays the CPU's, which sets it when
 * the guest turns paging on with LME set (CR0 writes are not
 * intercepted). Any other MSR: #GP. Without NRIP save, the instruction is
 * taken to be the 2-byte 0f 30 / 0f 32 (a prefixed one would be resumed
 * in its middle: the guest's problem only).
 */
static void svm_msr(struct svm_arch *a, struct vmm_regs *v)
{
	struct vmcb_control_area *c = &a->vmcb->control;
	struct vmcb_save_area *s = &a->vmcb->save;
	u64 val = (v->gpr[2] << 32) | (u32)v->gpr[0];
	bool write = c->exit_info_1;

	if ((u32)v->gpr[1] != MSR_EFER)
		goto gp;
	if (!write) {
		v->gpr[0] = (u32)v->efer;
		v->gpr[2] = v->efer >> 32;
	} else {
		if ((val & ~a->efer_ok) ||
		    ((s->cr0 & X86_CR0_PG) && ((val ^ s->efer) & EFER_LME)))
			goto gp;
		s->efer = (val & ~EFER_LMA) | (s->efer & EFER_LMA) | EFER_SVME;
		v->efer = s->efer & ~EFER_SVME;
	}
	v->rip = a->nrips ? c->next_rip : v->rip + 2;
	return;
gp:
	c->event_inj = SVM_EVTINJ_VALID | SVM_EVTINJ_VALID_ERR |
		       SVM_EVTINJ_TYPE_EXEPT | X86_TRAP_GP;
	c->event_inj_err = 0;
}

static const struct {
	u64 code;
	const char *name;
} svm_exit_names[] = { SVM_EXIT_REASONS };

static const char *svm_exit_name(u32 code)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(svm_exit_names); i++)
		if ((u32)svm_exit_names[i].code == code)
			return svm_exit_names[i].name;
	return "?";
}

static void svm_decode(struct svm_arch *a, struct vmm_regs *v,
		       struct vmm_exit *x)
{
	const struct vmcb_control_area *c = &a->vmcb->control;
	u64 rip = a->vmcb->save.rip;

	/* The guest takes no event: one that an exit interrupted is a FAIL. */
	if (c->exit_int_info & SVM_EXITINTINFO_VALID) {
		x->kind = VMM_EXIT_FATAL;
		snprintf(x->why, sizeof(x->why),
			 "exit %#x (%s) at %#llx while an event was delivered (EXITINTINFO %#x)",
			 c->exit_code, svm_exit_name(c->exit_code), rip,
			 c->exit_int_info);
		return;
	}
	switch (c->exit_code) {
	case SVM_EXIT_NPF:
		svm_decode_npf(a, x);
		return;
	case SVM_EXIT_VMMCALL:
		x->kind = VMM_EXIT_HYPERCALL;
		return;
	case SVM_EXIT_INTR:
	case SVM_EXIT_NMI:
	case SVM_EXIT_SMI:
		x->kind = VMM_EXIT_INTR;
		return;
	case SVM_EXIT_HLT:
		x->kind = VMM_EXIT_HALT;
		return;
	case SVM_EXIT_IOIO:
		x->kind = VMM_EXIT_IO;
		x->io.port = c->exit_info_1 >> 16;
		x->io.size = (c->exit_info_1 >> 4) & 7;
		x->io.in = c->exit_info_1 & SVM_IOIO_TYPE_MASK;
		return;
	case SVM_EXIT_MSR:
		x->kind = VMM_EXIT_NONE;
		svm_msr(a, v);
		return;
	}
	x->kind = VMM_EXIT_FATAL;
	switch (c->exit_code) {
	case SVM_EXIT_SHUTDOWN:
		snprintf(x->why, sizeof(x->why),
			 "the guest shut down (triple fault) at %#llx", rip);
		break;
	case SVM_EXIT_EXCP_BASE ... SVM_EXIT_EXCP_BASE + 31:
		snprintf(x->why, sizeof(x->why),
			 "guest exception %u at %#llx, error code %#llx, cr2 %#llx",
			 c->exit_code - SVM_EXIT_EXCP_BASE, rip, c->exit_info_1,
			 c->exit_info_2);
		break;
	case (u32)SVM_EXIT_ERR:
		snprintf(x->why, sizeof(x->why),
			 "VMRUN refused the VMCB (VMEXIT_INVALID)");
		break;
	default:
		snprintf(x->why, sizeof(x->why),
			 "unexpected exit %#x (%s) at %#llx", c->exit_code,
			 svm_exit_name(c->exit_code), rip);
		break;
	}
}

/*
 * Interrupts are disabled: one VMRUN, the exit decoded. The host's FPU
 * state is saved first and reloaded for the next host task that uses it
 * (kernel_fpu_begin() drops this CPU's ownership), so that whatever the
 * guest leaves in the FPU, SSE and AVX registers reaches no host task.
 */
static void svm_run(void *arch, struct vmm_regs *v, struct vmm_exit *x)
{
	struct svm_arch *a = arch;
	struct vmcb_control_area *c = &a->vmcb->control;
	struct vmcb_save_area *s = &a->vmcb->save;

	memcpy(a->regs.gpr, v->gpr, sizeof(a->regs.gpr));
	s->rax = v->gpr[0];
	s->rsp = v->gpr[4];
	s->rip = v->rip;
	kernel_fpu_begin();
	axas_svm_vmrun(a->vmcb_frame->hpa, &a->regs, a->host_frame->hpa);
	kernel_fpu_end();
	c->tlb_ctl = TLB_CONTROL_DO_NOTHING;
	c->event_inj = 0;
	/* A machine check in guest mode is the host's (as KVM does it). */
	if (IS_ENABLED(CONFIG_X86_MCE) &&
	    c->exit_code == SVM_EXIT_EXCP_BASE + X86_TRAP_MC) {
		struct pt_regs regs = { .cs = 3, .flags = X86_EFLAGS_IF };

		do_machine_check(&regs);
	}

	memcpy(v->gpr, a->regs.gpr, sizeof(v->gpr));
	v->gpr[0] = s->rax;
	v->gpr[4] = s->rsp;
	v->rip = s->rip;
	v->rflags = s->rflags;
	v->cr0 = s->cr0;
	v->cr3 = s->cr3;
	v->cr4 = s->cr4;
	v->efer = s->efer & ~EFER_SVME;
	v->cpl = s->cpl;
	svm_decode(a, v, x);
}

static const struct vmm_arch svm_ops = {
	.setup = svm_setup,
	.enable = svm_enable,
	.flush = svm_flush,
	.run = svm_run,
	.disable = svm_disable,
	.teardown = svm_teardown,
};

static int __init axas_svm_init(void)
{
	return demo_main(&svm_ops);
}

static void __exit axas_svm_exit(void)
{
	demo_end();
}

module_init(axas_svm_init);
module_exit(axas_svm_exit);
MODULE_DESCRIPTION("A minimal SVM hypervisor running a guest on axas nested page tables");
MODULE_LICENSE("GPL");
AXAS_IMPORT_NS();
