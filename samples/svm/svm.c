// SPDX-License-Identifier: GPL-2.0
/*
 * axas_svm - the sample VMM on AMD SVM with nested paging.
 *
 * This file is the CPU plumbing only: it checks the CPU, turns SVM on,
 * writes a VMCB with nested paging on and nCR3 from axas, runs the guest
 * with VMRUN (vmrun.S) and decodes each #VMEXIT into the core's terms.
 * The guest, its scenarios, their predictions, the report and every axas
 * call are the core's (../core/core.c; the interface is ../core/demo.h).
 *
 * It is a sample: one vCPU on one CPU, no speculation mitigations around
 * VMRUN, no FPU state switch (the guest uses none), and the guest's MSR
 * accesses are not intercepted (it writes EFER to enter long mode).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <asm/msr.h>
#include <asm/pgtable.h>
#include <asm/processor.h>
#include <asm/svm.h>
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
 * @vmcb: the VMCB, mapped
 * @regs: the guest's GPRs other than RAX and RSP
 * @flush_ctl: the TLB control that flushes the guest's ASID
 * @host_efer: EFER before SVM was turned on, restored after
 * @enabled: EFER.SVME and VM_HSAVE_PA were set by this sample
 */
struct svm_arch {
	struct axas_vmm_frame *vmcb_frame;
	struct axas_vmm_frame *hsave_frame;
	struct axas_vmm_frame *host_frame;
	struct axas_vmm_frame *iopm;
	struct vmcb *vmcb;
	struct axas_svm_regs regs;
	u8 flush_ctl;
	u64 host_efer;
	bool enabled;
};

static void svm_teardown(void *arch)
{
	struct svm_arch *a = arch;

	/* NULL and the error pointers of a failed set-up are ignored. */
	axas_vmm_frame_free(a->iopm);
	axas_vmm_frame_free(a->host_frame);
	axas_vmm_frame_free(a->hsave_frame);
	axas_vmm_frame_free(a->vmcb_frame);
	kfree(a);
}

static void *svm_setup(struct demo_arch_info *info, char *why, size_t len)
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
	/* VMCB, host save area, host state for vmrun.S; every port intercepted. */
	a->vmcb_frame = axas_vmm_frame_alloc(0, NUMA_NO_NODE);
	a->hsave_frame = axas_vmm_frame_alloc(0, NUMA_NO_NODE);
	a->host_frame = axas_vmm_frame_alloc(0, NUMA_NO_NODE);
	a->iopm = axas_vmm_bitmap_alloc(AXAS_SVM_IOPM, true, NUMA_NO_NODE);
	if (IS_ERR(a->vmcb_frame) || IS_ERR(a->hsave_frame) ||
	    IS_ERR(a->host_frame) || IS_ERR(a->iopm)) {
		svm_teardown(a);
		snprintf(why, len, "no memory for the VMCB");
		return ERR_PTR(-ENOMEM);
	}
	a->vmcb = a->vmcb_frame->kva;
	a->flush_ctl = cpuid_edx(SVM_CPUID_FUNC) & BIT(6) ?
		       TLB_CONTROL_FLUSH_ASID : TLB_CONTROL_FLUSH_ALL_ASID;

	/* Nested paging walks as many levels as the host's paging. */
	info->pt.format = AXAS_PT_NPT;
	info->pt.levels = la57 ? 5 : 4;
	info->gbpages = boot_cpu_has(X86_FEATURE_GBPAGES);
	info->maxphyaddr = boot_cpu_data.x86_phys_bits;
	info->pt.caps = axas_pt_caps_from_npt(la57, info->gbpages,
					      info->maxphyaddr);
	info->caps = DEMO_CAP_FAULT_USER | DEMO_CAP_AD;
	info->hypercall = DEMO_VMMCALL;
	snprintf(info->host, sizeof(info->host),
		 "host: %u-level paging, so %u-level NPT; 1 GiB leaves %s; ASID 1; TLB control %s",
		 info->pt.levels, info->pt.levels, info->gbpages ? "yes" : "no",
		 a->flush_ctl == TLB_CONTROL_FLUSH_ASID ? "flush ASID" : "flush all");
	return a;
}

static void vmcb_intercept(struct vmcb_control_area *c, unsigned int bit)
{
	c->intercepts[bit / 32] |= BIT(bit % 32);
}

static void vmcb_seg(struct vmcb_seg *seg, const struct demo_seg *s)
{
	seg->selector = s->sel;
	seg->attrib = s->attrib;
	seg->limit = s->limit;
	seg->base = s->base;
}

static void svm_init_vmcb(struct svm_arch *a, u64 root,
			  const struct demo_guest_state *gs)
{
	struct vmcb_control_area *c = &a->vmcb->control;
	struct vmcb_save_area *s = &a->vmcb->save;

	c->intercepts[INTERCEPT_EXCEPTION] = ~0U;
	vmcb_intercept(c, INTERCEPT_INTR);
	vmcb_intercept(c, INTERCEPT_NMI);
	vmcb_intercept(c, INTERCEPT_SHUTDOWN);
	vmcb_intercept(c, INTERCEPT_HLT);
	vmcb_intercept(c, INTERCEPT_VMRUN);
	vmcb_intercept(c, INTERCEPT_VMMCALL);
	vmcb_intercept(c, INTERCEPT_IOIO_PROT);
	c->iopm_base_pa = a->iopm->hpa;
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

static int svm_enable(void *arch, u64 root, const struct demo_guest_state *gs,
		      char *why, size_t len)
{
	struct svm_arch *a = arch;

	rdmsrl(MSR_EFER, a->host_efer);
	if (a->host_efer & EFER_SVME) {
		snprintf(why, len, "another hypervisor has SVM on (EFER.SVME) on CPU %d",
			 raw_smp_processor_id());
		return -EBUSY;
	}
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
	wrmsrl(MSR_VM_HSAVE_PA, 0);
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

static void svm_decode_npf(struct svm_arch *a, struct demo_exit *x)
{
	const struct vmcb_control_area *c = &a->vmcb->control;
	struct axas_exit_fault f;
	int ret;

	ret = axas_decode_npf(c->exit_info_1, c->exit_info_2, &f);
	if (ret) {
		x->kind = DEMO_EXIT_FATAL;
		snprintf(x->why, sizeof(x->why),
			 "nested page fault code %#llx at %#llx: decoding = %d",
			 c->exit_info_1, c->exit_info_2, ret);
		return;
	}
	x->kind = DEMO_EXIT_FAULT;
	x->fault.gpa = f.gpa;
	x->fault.access = f.access;
	x->fault.flags = f.flags;
	x->fault.user = c->exit_info_1 & BIT_ULL(2);
	x->fault.raw = c->exit_info_1;
}

static void svm_decode(struct svm_arch *a, struct demo_exit *x)
{
	const struct vmcb_control_area *c = &a->vmcb->control;
	u64 rip = a->vmcb->save.rip;

	switch (c->exit_code) {
	case SVM_EXIT_NPF:
		svm_decode_npf(a, x);
		return;
	case SVM_EXIT_VMMCALL:
		x->kind = DEMO_EXIT_HYPERCALL;
		return;
	case SVM_EXIT_INTR:
	case SVM_EXIT_NMI:
		x->kind = DEMO_EXIT_INTR;
		return;
	case SVM_EXIT_HLT:
		x->kind = DEMO_EXIT_HALT;
		return;
	case SVM_EXIT_IOIO:
		x->kind = DEMO_EXIT_IO;
		x->io.port = c->exit_info_1 >> 16;
		x->io.size = (c->exit_info_1 >> 4) & 7;
		x->io.in = c->exit_info_1 & SVM_IOIO_TYPE_MASK;
		return;
	}
	x->kind = DEMO_EXIT_FATAL;
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
		snprintf(x->why, sizeof(x->why), "unexpected exit %#x at %#llx",
			 c->exit_code, rip);
		break;
	}
}

/* Interrupts are disabled: one VMRUN, the exit decoded. */
static void svm_run(void *arch, struct demo_vcpu *v, struct demo_exit *x)
{
	struct svm_arch *a = arch;
	struct vmcb_save_area *s = &a->vmcb->save;

	memcpy(a->regs.gpr, v->gpr, sizeof(a->regs.gpr));
	s->rax = v->gpr[0];
	s->rsp = v->gpr[4];
	s->rip = v->rip;
	axas_svm_vmrun(a->vmcb_frame->hpa, &a->regs, a->host_frame->hpa);
	a->vmcb->control.tlb_ctl = TLB_CONTROL_DO_NOTHING;

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
	svm_decode(a, x);
}

static const struct demo_arch svm_ops = {
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
}

module_init(axas_svm_init);
module_exit(axas_svm_exit);
MODULE_DESCRIPTION("A minimal SVM hypervisor running a guest on axas nested page tables");
MODULE_LICENSE("GPL");
AXAS_IMPORT_NS();
