// SPDX-License-Identifier: GPL-2.0
/*
 * axas_svm - the sample VMMs on AMD SVM with nested paging.
 *
 * This file is the CPU plumbing only (&struct vmm_arch, ../vmm/arch.h): it
 * checks the CPU, turns SVM on, writes a VMCB with nested paging on and
 * nCR3 from axas, runs the guest with VMRUN (vmrun.S) and decodes each
 * #VMEXIT, through a table indexed by exit code as KVM's
 * svm_exit_handlers[] is, into the VMM's terms. Two VMMs use it: the
 * scripted demo (../core; guest=demo, the default) and the VMM that boots
 * a Linux kernel (../vmm; guest=linux), which asks for a CPU of its own
 * (&vmm_arch_info.own_cpu).
 *
 * What the guest could use to reach the host is intercepted (as KVM's
 * init_vmcb() does; svm_init_vmcb() lists what is left out and why):
 * every I/O port and every MSR through all-ones permission maps, the SVM
 * instructions, the instructions that act on the host's caches, its
 * performance counters, XCR0 and its debug registers. The demo's guest
 * takes no exception: every one exits. An OS guest takes its own, but
 * #MC (the host's) and #AC (reflected, so that its delivery cannot loop
 * in microcode, as KVM does). The MSRs that the VMCB holds (EFER, PAT,
 * the SYSCALL and SYSENTER MSRs, FS/GS/KernelGS base) are emulated here;
 * the demo gets #GP for any other, an OS guest's go to the VMM. An OS
 * guest reaches its FS, GS and KernelGS bases without an exit: VMLOAD
 * and VMSAVE switch them (svm_init_vmcb()).
 *
 * Host state VMRUN does not switch: the FPU/SSE/AVX registers (the host's
 * are saved first and reloaded for the next host task that uses them,
 * kernel_fpu_begin(); an OS guest's x87/SSE registers are loaded and
 * stored around VMRUN with FXRSTOR/FXSAVE), DR0-DR3 (every debug register
 * access is intercepted and the VMM keeps the guest's), and the return
 * stack buffer and branch predictors (vmrun.S fills the RSB and untrains
 * returns after #VMEXIT where the host's mitigations ask for it, and
 * clears every register that held a guest value, as KVM's vmenter.S).
 * The host's SPEC_CTRL stays in force in the guest, which cannot write it
 * (the MSR is intercepted and not offered).
 *
 * Each vCPU has a context of its own (ops->setup() once per vCPU: its
 * VMCB, host save area and permission maps), and SVM is turned on only
 * on its CPU; the vCPUs share nCR3 and ASID 1, each staying on its CPU. An
 * application processor's first VMRUN enters real mode (CR0.PE clear),
 * which nested paging allows. Without NRIP save (QEMU has none) the
 * instructions it steps over are taken to be their shortest encoding.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
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
#include "../vmm/vmm.h"
#include "svm.h"

static char *guest = "demo";
module_param(guest, charp, 0444);
MODULE_PARM_DESC(guest, "demo: the scripted demo guest; linux: boot the Linux kernel kernel= names");

/* CPUID Fn8000_000A EDX. */
#define SVM_FEAT_NRIPS		BIT(3)
#define SVM_FEAT_FLUSH_ASID	BIT(6)
#define SVM_FEAT_DECODE_ASSISTS	BIT(7)

/**
 * struct svm_arch - the SVM side of the guest
 * @vmcb_frame: the VMCB's page
 * @hsave_frame: the host save area (VM_HSAVE_PA)
 * @host_frame: the host state vmrun.S keeps with VMSAVE/VMLOAD
 * @iopm: the I/O permission map, every port intercepted
 * @msrpm: the MSR permission map, every MSR intercepted
 * @vmcb: the VMCB, mapped
 * @regs: the guest's GPRs other than RAX and RSP
 * @own_cpu: the guest is an OS (&vmm_arch_info.own_cpu)
 * @flush_ctl: the TLB control that flushes the guest's ASID
 * @nrips: the CPU saves the next RIP at an intercepted instruction
 * @decode_assists: the CPU names the GPR of a MOV DR in EXITINFO1
 * @efer_ok: the EFER bits the guest may set
 * @host_efer: EFER before SVM was turned on, restored after
 * @host_hsave: VM_HSAVE_PA before, restored after
 * @enabled: EFER.SVME and VM_HSAVE_PA were set by this sample
 * @event: an event for the next VMRUN that the plumbing queued itself: an
 *	exception it raises (#GP, #UD, a reflected #AC), or one whose
 *	delivery the last exit interrupted; 0 for none
 * @event_err: its error code
 * @intr: an external interrupt the guest took (the local APIC moved it to
 *	its ISR) but whose delivery an exit interrupted: it is the virtual
 *	interrupt of the next entries until the guest takes it; -1 for none
 * @virq: the vector of the virtual interrupt the last VMRUN offered (@intr,
 *	else the local APIC's), or -1
 * @entry_event: what the last VMRUN injected (EVENTINJ, which the
 *	plumbing clears after it), for the report of a shutdown
 */
struct svm_arch {
	struct axas_vmm_frame *vmcb_frame;
	struct axas_vmm_frame *hsave_frame;
	struct axas_vmm_frame *host_frame;
	struct axas_vmm_frame *iopm;
	struct axas_vmm_frame *msrpm;
	struct vmcb *vmcb;
	struct axas_svm_regs regs;
	bool own_cpu;
	u8 flush_ctl;
	bool nrips;
	bool decode_assists;
	u64 efer_ok;
	u64 host_efer;
	u64 host_hsave;
	bool enabled;
	u32 event;
	u32 event_err;
	int intr;
	int virq;
	u32 entry_event;
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
	u32 feat;
	u64 vm_cr;

	feat = cpuid_edx(SVM_CPUID_FUNC);
	if (!boot_cpu_has(X86_FEATURE_SVM) || !(feat & BIT(0))) {
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
	a->own_cpu = info->own_cpu;
	a->intr = -1;
	a->virq = -1;
	a->flush_ctl = feat & SVM_FEAT_FLUSH_ASID ?
		       TLB_CONTROL_FLUSH_ASID : TLB_CONTROL_FLUSH_ALL_ASID;
	a->nrips = feat & SVM_FEAT_NRIPS;
	a->decode_assists = feat & SVM_FEAT_DECODE_ASSISTS;
	/* LMA may be written; svm_wrmsr() keeps the CPU's value. */
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
		 "host: %u-level paging, so %u-level NPT; 1 GiB leaves %s; ASID 1; TLB control %s; NRIP save %s; decode assists %s; all ports and MSRs intercepted",
		 info->pt.levels, info->pt.levels, info->gbpages ? "yes" : "no",
		 a->flush_ctl == TLB_CONTROL_FLUSH_ASID ? "flush ASID" : "flush all",
		 a->nrips ? "yes" : "no", a->decode_assists ? "yes" : "no");
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
 * the machine); every port, every MSR; reads and writes of every debug
 * register (DR0-DR3 are not switched).
 *
 * An OS guest also exits on CPUID (its CPU is the VMM's: ../vmm/cpuid.c)
 * and on RDTSCP (not offered: VMRUN does not switch TSC_AUX, which would
 * tell the guest the host's CPU number).
 *
 * Left out: RDTSC (the TSC offset makes it the guest's), PAUSE (it delays
 * the guest only), INIT (only the host sends it; KVM does not intercept
 * it either), CR reads and writes, INVLPG, INVPCID and the
 * descriptor-table instructions (with nested paging that state is the
 * guest's own, switched by VMRUN; V_INTR_MASKING keeps CR8 away from the
 * host's TPR), INVLPGB and TLBSYNC (#UD in a guest unless the VMCB enables
 * them), RDPID (no intercept exists; not offered either). CR4 is the
 * guest's: one that sets CR4.OSXSAVE against CPUID reaches the host's
 * XCR0 features, whose registers no host task has left anything in that
 * survives kernel_fpu_begin().
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

static const u8 svm_os_intercepts[] = {
	INTERCEPT_CPUID, INTERCEPT_RDTSCP,
};

static void vmcb_intercept(struct vmcb_control_area *c, unsigned int bit)
{
	c->intercepts[bit / 32] |= BIT(bit % 32);
}

/*
 * Let the guest read and write @msr without an exit: clear its two bits
 * (read, write) in the MSR permission map, whose three 2 KiB parts cover
 * MSRs 0-0x1fff, 0xc0000000-0xc0001fff and 0xc0010000-0xc0011fff
 * (APM Vol. 2, 15.11).
 */
static void svm_msr_passthrough(struct svm_arch *a, u32 msr)
{
	static const u32 base[] = { 0, 0xc0000000, 0xc0010000 };
	u8 *pm = a->msrpm->kva;
	unsigned int i, bit;

	for (i = 0; i < ARRAY_SIZE(base); i++) {
		if (msr - base[i] >= 0x2000)
			continue;
		bit = (msr - base[i]) * 2;
		pm[i * 0x800 + bit / 8] &= ~(3 << (bit % 8));
		return;
	}
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

	/*
	 * The demo's guest takes no exception; an OS guest takes its own,
	 * but the host's machine checks and #AC, reflected (svm_exit_ac()).
	 */
	c->intercepts[INTERCEPT_EXCEPTION] = a->own_cpu ?
		BIT(X86_TRAP_MC) | BIT(X86_TRAP_AC) : ~0U;
	/* DR0-DR7 reads and writes: DR0-DR3 are the host's (DR6/7 are not). */
	for (i = 0; i < 8; i++) {
		vmcb_intercept(c, INTERCEPT_DR0_READ + i);
		vmcb_intercept(c, INTERCEPT_DR0_WRITE + i);
	}
	for (i = 0; i < ARRAY_SIZE(svm_intercepts); i++)
		vmcb_intercept(c, svm_intercepts[i]);
	for (i = 0; a->own_cpu && i < ARRAY_SIZE(svm_os_intercepts); i++)
		vmcb_intercept(c, svm_os_intercepts[i]);
	/*
	 * The segment bases an OS guest writes at every switch between its
	 * processes: the VMCB holds them and VMLOAD/VMSAVE switch them (the
	 * host's are VMSAVEd before and VMLOADed after), so the guest reaches
	 * only its own; KVM lets them through too.
	 */
	if (a->own_cpu) {
		svm_msr_passthrough(a, MSR_FS_BASE);
		svm_msr_passthrough(a, MSR_GS_BASE);
		svm_msr_passthrough(a, MSR_KERNEL_GS_BASE);
	}
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
	/*
	 * The ASID is fixed: entries a former guest left tagged with it on
	 * this CPU (a vCPU that never entered again after its space went, a
	 * module loaded before) must not serve the first VMRUN.
	 */
	a->vmcb->control.tlb_ctl = a->flush_ctl;
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

static void svm_exit_fatal(struct svm_arch *a, struct vmm_regs *v,
			   struct vmm_exit *x)
{
	const struct vmcb_control_area *c = &a->vmcb->control;
	u64 rip = a->vmcb->save.rip;

	x->kind = VMM_EXIT_FATAL;
	switch (c->exit_code) {
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

/* An exception for the next VMRUN, raised by the plumbing itself. */
static void svm_queue_exception(struct svm_arch *a, u8 vector, bool has_err,
				u32 err)
{
	a->event = SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_EXEPT | vector |
		   (has_err ? SVM_EVTINJ_VALID_ERR : 0);
	a->event_err = err;
}

/* The RIP after an intercepted instruction of @len bytes (unprefixed). */
static u64 svm_next_rip(struct svm_arch *a, unsigned int len)
{
	return a->nrips ? a->vmcb->control.next_rip : a->vmcb->save.rip + len;
}

/*
 * The MSRs the VMCB holds: the guest's own, loaded by VMRUN and VMLOAD and
 * stored by #VMEXIT and VMSAVE (vmrun.S runs VMLOAD and VMSAVE around
 * VMRUN). The demo's guest uses EFER only. Return: a pointer to the
 * VMCB's field, or NULL for an MSR the VMCB does not hold.
 */
static u64 *svm_msr_field(struct svm_arch *a, u32 index, const char **name)
{
	struct vmcb_save_area *s = &a->vmcb->save;

	*name = "efer";
	if (!a->own_cpu)
		return NULL;
	switch (index) {
	case MSR_STAR:
		*name = "star";
		return &s->star;
	case MSR_LSTAR:
		*name = "lstar";
		return &s->lstar;
	case MSR_CSTAR:
		*name = "cstar";
		return &s->cstar;
	case MSR_SYSCALL_MASK:
		*name = "sfmask";
		return &s->sfmask;
	case MSR_KERNEL_GS_BASE:
		*name = "kernel_gs_base";
		return &s->kernel_gs_base;
	case MSR_FS_BASE:
		*name = "fs_base";
		return &s->fs.base;
	case MSR_GS_BASE:
		*name = "gs_base";
		return &s->gs.base;
	case MSR_IA32_SYSENTER_CS:
		*name = "sysenter_cs";
		return &s->sysenter_cs;
	case MSR_IA32_SYSENTER_ESP:
		*name = "sysenter_esp";
		return &s->sysenter_esp;
	case MSR_IA32_SYSENTER_EIP:
		*name = "sysenter_eip";
		return &s->sysenter_eip;
	case MSR_IA32_CR_PAT:
		*name = "pat";
		return &s->g_pat;
	case MSR_IA32_DEBUGCTLMSR:
		*name = "debugctl";
		return &s->dbgctl;
	}
	return NULL;
}

/*
 * A write to the guest's EFER: SCE, LME and NXE only, LME not changed
 * while paging is on (#GP otherwise, as the CPU does); LMA stays the
 * CPU's, which sets it when the guest turns paging on with LME set (CR0
 * writes are not intercepted); SVME stays set (VMRUN requires it) and
 * hidden from the guest.
 */
static bool svm_write_efer(struct svm_arch *a, struct vmm_regs *v, u64 val)
{
	struct vmcb_save_area *s = &a->vmcb->save;

	if ((val & ~a->efer_ok) ||
	    ((s->cr0 & X86_CR0_PG) && ((val ^ s->efer) & EFER_LME)))
		return false;
	s->efer = (val & ~EFER_LMA) | (s->efer & EFER_LMA) | EFER_SVME;
	v->efer = s->efer & ~EFER_SVME;
	return true;
}

static bool svm_write_msr_field(u32 index, u64 *field, u64 val)
{
	switch (index) {
	case MSR_IA32_CR_PAT:
		if (!vmm_pat_ok(val))
			return false;
		break;
	case MSR_IA32_DEBUGCTLMSR:
		/* No LBR virtualization: nothing to turn on. */
		if (val)
			return false;
		break;
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_KERNEL_GS_BASE:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		if (vmm_noncanonical(val))
			return false;
		break;
	}
	*field = val;
	return true;
}

/*
 * RDMSR or WRMSR (every MSR is intercepted): EFER and the MSRs the VMCB
 * holds are emulated here; an OS guest's others go to the VMM
 * (%VMM_EXIT_MSR), the demo's get #GP.
 */
static void svm_exit_msr(struct svm_arch *a, struct vmm_regs *v,
			 struct vmm_exit *x)
{
	struct vmcb_control_area *c = &a->vmcb->control;
	u64 val = (v->gpr[VMM_RDX] << 32) | (u32)v->gpr[VMM_RAX];
	u32 index = v->gpr[VMM_RCX];
	bool write = c->exit_info_1;
	const char *name;
	u64 *field = svm_msr_field(a, index, &name);
	bool ok = true;

	x->next_rip = svm_next_rip(a, 2);
	if (index != MSR_EFER && !field) {
		if (a->own_cpu) {
			x->kind = VMM_EXIT_MSR;
			x->msr.index = index;
			x->msr.write = write;
			return;
		}
		ok = false;
		name = "msr #GP";
	} else if (!write) {
		val = index == MSR_EFER ? v->efer : *field;
		v->gpr[VMM_RAX] = (u32)val;
		v->gpr[VMM_RDX] = val >> 32;
	} else if (index == MSR_EFER) {
		ok = svm_write_efer(a, v, val);
	} else {
		ok = svm_write_msr_field(index, field, val);
	}
	x->kind = VMM_EXIT_NONE;
	x->what = name;
	if (ok)
		v->rip = x->next_rip;
	else
		svm_queue_exception(a, X86_TRAP_GP, true, 0);
}

static void svm_exit_npf(struct svm_arch *a, struct vmm_regs *v,
			 struct vmm_exit *x)
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

static void svm_exit_vmmcall(struct svm_arch *a, struct vmm_regs *v,
			     struct vmm_exit *x)
{
	/* An OS guest is offered no hypercall interface. */
	if (a->own_cpu) {
		svm_queue_exception(a, X86_TRAP_UD, false, 0);
		x->kind = VMM_EXIT_NONE;
		x->what = "vmmcall #UD";
		return;
	}
	x->kind = VMM_EXIT_HYPERCALL;
}

static void svm_exit_intr(struct svm_arch *a, struct vmm_regs *v,
			  struct vmm_exit *x)
{
	x->kind = VMM_EXIT_INTR;
}

static void svm_exit_hlt(struct svm_arch *a, struct vmm_regs *v,
			 struct vmm_exit *x)
{
	x->kind = VMM_EXIT_HALT;
	x->next_rip = svm_next_rip(a, 1);
}

static void svm_exit_ioio(struct svm_arch *a, struct vmm_regs *v,
			  struct vmm_exit *x)
{
	const struct vmcb_control_area *c = &a->vmcb->control;

	x->kind = VMM_EXIT_IO;
	x->io.port = c->exit_info_1 >> 16;
	/* SZ8, SZ16, SZ32 are bits 4-6: the size in bytes. */
	x->io.size = (c->exit_info_1 >> 4) & 7;
	x->io.in = c->exit_info_1 & SVM_IOIO_TYPE_MASK;
	x->io.string = c->exit_info_1 & SVM_IOIO_STR_MASK;
	x->io.rep = c->exit_info_1 & SVM_IOIO_REP_MASK;
	/* EXITINFO2 has the next RIP of an IOIO intercept, NRIP save or not. */
	x->next_rip = c->exit_info_2;
}

static void svm_exit_cpuid(struct svm_arch *a, struct vmm_regs *v,
			   struct vmm_exit *x)
{
	x->kind = VMM_EXIT_CPUID;
	x->next_rip = svm_next_rip(a, 2);
}

static void svm_exit_dr(struct svm_arch *a, struct vmm_regs *v,
			struct vmm_exit *x)
{
	const struct vmcb_control_area *c = &a->vmcb->control;
	u32 code = c->exit_code;

	/* The demo's guest touches no debug register. */
	if (!a->own_cpu) {
		svm_exit_fatal(a, v, x);
		return;
	}
	x->kind = VMM_EXIT_DR;
	x->dr.write = code >= SVM_EXIT_WRITE_DR0;
	x->dr.n = (code - SVM_EXIT_READ_DR0) & 0xf;
	x->dr.gpr = -1;
	/* With decode assists EXITINFO1 names the GPR (bit 63: valid). */
	if (a->decode_assists && (c->exit_info_1 & BIT_ULL(63)))
		x->dr.gpr = c->exit_info_1 & 0xf;
}

/* A triple fault: what the VMCB holds of it, for the report. */
static void svm_exit_shutdown(struct svm_arch *a, struct vmm_regs *v,
			      struct vmm_exit *x)
{
	const struct vmcb_control_area *c = &a->vmcb->control;
	const struct vmcb_save_area *s = &a->vmcb->save;

	x->kind = VMM_EXIT_SHUTDOWN;
	snprintf(x->why, sizeof(x->why),
		 "EXITINTINFO %#x/%#x, injected %#x, virtual interrupt %d, int_state %#x, CR0 %#llx CR2 %#llx CR3 %#llx CR4 %#llx, RSP %#llx, RFLAGS %#llx, CS %#x SS %#x TR %#x@%#llx, IDTR %#llx/%#x, GDTR %#llx/%#x",
		 c->exit_int_info, c->exit_int_info_err, a->entry_event,
		 a->virq, c->int_state, s->cr0, s->cr2, s->cr3, s->cr4, s->rsp,
		 s->rflags, s->cs.selector, s->ss.selector, s->tr.selector,
		 s->tr.base, s->idtr.base, s->idtr.limit, s->gdtr.base,
		 s->gdtr.limit);
}

/* WBINVD and INVD: there is no device whose DMA would need them. */
static void svm_exit_cache(struct svm_arch *a, struct vmm_regs *v,
			   struct vmm_exit *x)
{
	if (!a->own_cpu) {
		svm_exit_fatal(a, v, x);
		return;
	}
	x->kind = VMM_EXIT_NONE;
	x->what = a->vmcb->control.exit_code == SVM_EXIT_WBINVD ? "wbinvd" : "invd";
	v->rip = svm_next_rip(a, 2);
}

/*
 * What an OS guest is not offered: the SVM instructions (EFER.SVME looks
 * clear), MONITOR/MWAIT, RDPRU, XSETBV (no XSAVE offered), RDTSCP, RSM.
 */
static void svm_exit_ud(struct svm_arch *a, struct vmm_regs *v,
			struct vmm_exit *x)
{
	if (!a->own_cpu) {
		svm_exit_fatal(a, v, x);
		return;
	}
	x->kind = VMM_EXIT_NONE;
	x->what = "#UD";
	svm_queue_exception(a, X86_TRAP_UD, false, 0);
}

/* RDPMC: no performance counter is offered. */
static void svm_exit_gp(struct svm_arch *a, struct vmm_regs *v,
			struct vmm_exit *x)
{
	if (!a->own_cpu) {
		svm_exit_fatal(a, v, x);
		return;
	}
	x->kind = VMM_EXIT_NONE;
	x->what = "rdpmc #GP";
	svm_queue_exception(a, X86_TRAP_GP, true, 0);
}

/* #AC in an OS guest: reflected, with its error code. */
static void svm_exit_ac(struct svm_arch *a, struct vmm_regs *v,
			struct vmm_exit *x)
{
	x->kind = VMM_EXIT_NONE;
	x->what = "#AC";
	svm_queue_exception(a, X86_TRAP_AC, true,
			    a->vmcb->control.exit_info_1);
}

typedef void (*svm_exit_fn)(struct svm_arch *a, struct vmm_regs *v,
			    struct vmm_exit *x);

/*
 * What each exit code is, as KVM's svm_exit_handlers[]. An exit without an
 * entry is fatal (svm_exit_fatal()), named with the kernel's
 * SVM_EXIT_REASONS; so are, for the demo's guest, the ones only an OS
 * guest may cause.
 */
static const svm_exit_fn svm_exit_handlers[] = {
	[SVM_EXIT_READ_DR0 ... SVM_EXIT_READ_DR7] = svm_exit_dr,
	[SVM_EXIT_WRITE_DR0 ... SVM_EXIT_WRITE_DR7] = svm_exit_dr,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_AC] = svm_exit_ac,
	[SVM_EXIT_INTR] = svm_exit_intr,
	[SVM_EXIT_NMI] = svm_exit_intr,
	[SVM_EXIT_SMI] = svm_exit_intr,
	[SVM_EXIT_RDPMC] = svm_exit_gp,
	[SVM_EXIT_CPUID] = svm_exit_cpuid,
	[SVM_EXIT_RSM] = svm_exit_ud,
	[SVM_EXIT_INVD] = svm_exit_cache,
	[SVM_EXIT_HLT] = svm_exit_hlt,
	[SVM_EXIT_INVLPGA] = svm_exit_ud,
	[SVM_EXIT_IOIO] = svm_exit_ioio,
	[SVM_EXIT_MSR] = svm_exit_msr,
	[SVM_EXIT_SHUTDOWN] = svm_exit_shutdown,
	[SVM_EXIT_VMRUN] = svm_exit_ud,
	[SVM_EXIT_VMMCALL] = svm_exit_vmmcall,
	[SVM_EXIT_VMLOAD] = svm_exit_ud,
	[SVM_EXIT_VMSAVE] = svm_exit_ud,
	[SVM_EXIT_STGI] = svm_exit_ud,
	[SVM_EXIT_CLGI] = svm_exit_ud,
	[SVM_EXIT_SKINIT] = svm_exit_ud,
	[SVM_EXIT_RDTSCP] = svm_exit_ud,
	[SVM_EXIT_WBINVD] = svm_exit_cache,
	[SVM_EXIT_MONITOR] = svm_exit_ud,
	[SVM_EXIT_MWAIT] = svm_exit_ud,
	[SVM_EXIT_XSETBV] = svm_exit_ud,
	[SVM_EXIT_RDPRU] = svm_exit_ud,
	[SVM_EXIT_NPF] = svm_exit_npf,
};

/*
 * An event whose delivery the exit interrupted (EXITINTINFO): an OS
 * guest's is delivered again at the next VMRUN, as KVM's
 * svm_complete_interrupts() does; a software interrupt, #BP or #OF is not
 * (RIP still points at its instruction, which runs again). An external
 * interrupt is the virtual interrupt of that run (svm_inject()): when the
 * CPU took it (V_IRQ clear) it goes in again as @intr. QEMU reports it as
 * an exception of its vector, with V_IRQ still set: it is still pending,
 * and nothing is to be done (EVENTINJ would deliver it a second time, as
 * an exception). Return: false when the guest may not have one (the
 * demo's).
 */
static bool svm_exit_int_info(struct svm_arch *a)
{
	const struct vmcb_control_area *c = &a->vmcb->control;
	u32 info = c->exit_int_info;
	u32 type = info & SVM_EXITINTINFO_TYPE_MASK;
	u8 vector = info & SVM_EXITINTINFO_VEC_MASK;

	if (!(info & SVM_EXITINTINFO_VALID))
		return true;
	if (!a->own_cpu)
		return false;
	if (type == SVM_EXITINTINFO_TYPE_SOFT ||
	    (type == SVM_EXITINTINFO_TYPE_EXEPT &&
	     (vector == X86_TRAP_BP || vector == X86_TRAP_OF)))
		return true;
	if (type == SVM_EXITINTINFO_TYPE_INTR) {
		a->intr = vector;
		return true;
	}
	if (type == SVM_EXITINTINFO_TYPE_EXEPT && vector == a->virq &&
	    (c->int_ctl & V_IRQ_MASK))
		return true;
	a->event = info;
	a->event_err = c->exit_int_info_err;
	return true;
}

static void svm_decode(struct svm_arch *a, struct vmm_regs *v,
		       struct vmm_exit *x)
{
	const struct vmcb_control_area *c = &a->vmcb->control;
	svm_exit_fn fn = NULL;

	if (!svm_exit_int_info(a)) {
		x->kind = VMM_EXIT_FATAL;
		snprintf(x->why, sizeof(x->why),
			 "exit %#x (%s) at %#llx while an event was delivered (EXITINTINFO %#x)",
			 c->exit_code, svm_exit_name(c->exit_code), v->rip,
			 c->exit_int_info);
		return;
	}
	if (c->exit_code < ARRAY_SIZE(svm_exit_handlers))
		fn = svm_exit_handlers[c->exit_code];
	if (!a->own_cpu && c->exit_code == SVM_EXIT_EXCP_BASE + X86_TRAP_AC)
		fn = NULL;
	(fn ?: svm_exit_fatal)(a, v, x);
}

/*
 * What the next VMRUN delivers, in the order the CPU takes them: an event
 * the plumbing queued (an exception it raised, or one whose delivery the
 * last exit interrupted) or else the VMM's exception, in EVENTINJ; then
 * an external interrupt, as the virtual interrupt: V_IRQ with its vector
 * in V_INTR_VECTOR, which the CPU delivers during the run as soon as the
 * guest can take one (RFLAGS.IF set, no interrupt shadow), clearing V_IRQ.
 * V_TPR is ignored: the local APIC chose the vector by its own TPR (a
 * guest's CR8 writes stay in V_TPR and do not reach it; Linux makes none).
 * An interrupt whose delivery an exit interrupted (@intr) goes first; the
 * local APIC's waits for it.
 *
 * Interrupts do not go in through EVENTINJ, as KVM's do: QEMU's TCG
 * (7.2) delivers an EVENTINJ interrupt at VMRUN and leaves its vector as
 * the CPU's pending exception, which it delivers again when the vCPU is
 * next kicked before anything else replaced it: a second delivery at
 * CPL 0, on the stack of the first, whose frame makes a Linux guest's
 * entry code skip SWAPGS (the kernel then runs with the user's GS base).
 * The virtual interrupt is delivered by QEMU's interrupt path, which
 * leaves nothing behind; the APM has hardware deliver it the same way.
 */
static void svm_inject(struct svm_arch *a, struct vmm_regs *v)
{
	struct vmcb_control_area *c = &a->vmcb->control;
	struct vmm_event *e = &v->exception;

	c->int_ctl &= ~V_IRQ_INJECTION_BITS_MASK;
	v->irq_injected = false;
	v->irq_window = false;
	if (!a->event && e->pending) {
		svm_queue_exception(a, e->vector, e->has_error, e->error);
		e->pending = false;
	}
	c->event_inj = a->event;
	c->event_inj_err = a->event_err;
	a->virq = a->intr >= 0 ? a->intr : v->irq;
	if (a->virq < 0)
		return;
	c->int_vector = a->virq;
	c->int_ctl |= V_IRQ_MASK | V_INTR_PRIO_MASK | V_IGN_TPR_MASK;
}

/*
 * After the run: did the guest take the virtual interrupt (V_IRQ clear)?
 * The local APIC's moves to its ISR (@v->irq_injected), or waits for the
 * next entry (@v->irq_window); a redelivered @intr is done. svm_run()
 * clears V_IRQ once the exit is decoded, so that svm_save() keeps none.
 */
static void svm_virq_done(struct svm_arch *a, struct vmm_regs *v)
{
	struct vmcb_control_area *c = &a->vmcb->control;
	bool taken = !(c->int_ctl & V_IRQ_MASK);

	if (a->virq < 0)
		return;
	if (a->intr >= 0) {
		if (taken)
			a->intr = -1;
	} else if (taken) {
		v->irq_injected = true;
	} else {
		v->irq_window = true;
	}
}

static void svm_fxrstor(const struct vmm_fpu *fpu)
{
	asm volatile("fxrstorq %0" : : "m" (*fpu));
}

static void svm_fxsave(struct vmm_fpu *fpu)
{
	asm volatile("fxsaveq %0" : "=m" (*fpu));
}

/*
 * Interrupts are disabled: one VMRUN, the exit decoded. The host's FPU
 * state is saved first and reloaded for the next host task that uses it
 * (kernel_fpu_begin() drops this CPU's ownership), so that whatever the
 * guest leaves in the FPU, SSE and AVX registers reaches no host task; an
 * OS guest's own x87/SSE state is loaded and stored around VMRUN.
 */
static void svm_run(void *arch, struct vmm_regs *v, struct vmm_exit *x)
{
	struct svm_arch *a = arch;
	struct vmcb_control_area *c = &a->vmcb->control;
	struct vmcb_save_area *s = &a->vmcb->save;

	memset(x, 0, sizeof(*x));
	memcpy(a->regs.gpr, v->gpr, sizeof(a->regs.gpr));
	s->rax = v->gpr[VMM_RAX];
	s->rsp = v->gpr[VMM_RSP];
	/*
	 * The VMM stepped over an instruction: the interrupt shadow of an STI
	 * or MOV SS before it ended with it, as KVM's
	 * __svm_skip_emulated_instruction() has it (else an STI; HLT would
	 * wake with the shadow over the next instruction).
	 */
	if (s->rip != v->rip)
		c->int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
	s->rip = v->rip;
	c->tsc_offset = v->tsc_offset;
	svm_inject(a, v);
	a->event = 0;
	a->entry_event = c->event_inj;
	kernel_fpu_begin();
	if (v->fpu)
		svm_fxrstor(v->fpu);
	axas_svm_vmrun(a->vmcb_frame->hpa, &a->regs, a->host_frame->hpa);
	if (v->fpu)
		svm_fxsave(v->fpu);
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
	v->gpr[VMM_RAX] = s->rax;
	v->gpr[VMM_RSP] = s->rsp;
	v->rip = s->rip;
	v->rflags = s->rflags;
	v->cr0 = s->cr0;
	v->cr3 = s->cr3;
	v->cr4 = s->cr4;
	v->efer = s->efer & ~EFER_SVME;
	v->cpl = s->cpl;
	svm_virq_done(a, v);
	svm_decode(a, v, x);
	c->int_ctl &= ~V_IRQ_INJECTION_BITS_MASK;
}

/*
 * What svm_save() keeps of the guest: the VMCB's save area (segments,
 * control registers, EFER, PAT, the MSRs VMLOAD and VMSAVE switch), the
 * virtual interrupt control (V_TPR) and interrupt shadow, an event queued
 * for the next VMRUN and an interrupt to deliver again (@intr of &struct
 * svm_arch). The VMCB has no clean bits set (every VMRUN reads it all),
 * so writing it back is enough.
 */
struct svm_state {
	struct vmcb_save_area save;
	u32 int_ctl;
	u32 int_state;
	u32 event;
	u32 event_err;
	int intr;
};

static void svm_save(void *arch, void *state)
{
	struct svm_arch *a = arch;
	struct svm_state *st = state;

	st->save = a->vmcb->save;
	st->int_ctl = a->vmcb->control.int_ctl;
	st->int_state = a->vmcb->control.int_state;
	st->event = a->event;
	st->event_err = a->event_err;
	st->intr = a->intr;
}

/*
 * The nested root may be another space's: the ASID stays, and the TLB
 * control flushes it at the next VMRUN, so that nothing cached for the
 * previous root is used again.
 */
static int svm_load(void *arch, const void *state, u64 root)
{
	struct svm_arch *a = arch;
	const struct svm_state *st = state;
	struct vmcb_control_area *c = &a->vmcb->control;

	a->vmcb->save = st->save;
	c->int_ctl = st->int_ctl;
	c->int_state = st->int_state;
	a->event = st->event;
	a->event_err = st->event_err;
	a->intr = st->intr;
	a->virq = -1;
	c->nested_cr3 = root;
	c->tlb_ctl = a->flush_ctl;
	return 0;
}

static const struct vmm_arch svm_ops = {
	.setup = svm_setup,
	.enable = svm_enable,
	.flush = svm_flush,
	.run = svm_run,
	.disable = svm_disable,
	.teardown = svm_teardown,
	.state_size = sizeof(struct svm_state),
	.save = svm_save,
	.load = svm_load,
};

static bool svm_linux;

static int __init axas_svm_init(void)
{
	if (!strcmp(guest, "linux")) {
		svm_linux = true;
		return vmm_linux_main(&svm_ops);
	}
	if (strcmp(guest, "demo"))
		return -EINVAL;
	return demo_main(&svm_ops);
}

static void __exit axas_svm_exit(void)
{
	if (svm_linux)
		vmm_linux_end();
	else
		demo_end();
}

module_init(axas_svm_init);
module_exit(axas_svm_exit);
MODULE_DESCRIPTION("Minimal SVM hypervisors running a scripted guest or Linux on axas nested page tables");
MODULE_LICENSE("GPL");
AXAS_IMPORT_NS();
