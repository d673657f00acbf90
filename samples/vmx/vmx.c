// SPDX-License-Identifier: GPL-2.0
/*
 * axas_vmx - the sample VMM on Intel VMX with EPT.
 *
 * This file is the CPU plumbing only: it checks the CPU, turns VMX on
 * (VMXON), writes a VMCS with EPT (the EPTP from axas) and a VPID, runs
 * the guest with VMLAUNCH/VMRESUME (vmenter.S) and decodes each VM exit
 * into the VMM's terms. Two VMMs use it: the scripted demo (../core;
 * guest=demo, the default), whose guest, scenarios, predictions, report
 * and axas calls are the core's, and the VMM that boots a Linux kernel
 * (../vmm; guest=linux), which asks for a CPU of its own
 * (&vmm_arch_info.own_cpu; the interface is ../vmm/arch.h). The plumbing uses
 * axas's VMM helpers (frames, the EPT capability decoder, the EPT
 * violation decoder) and, at setup, two throwaway spaces: axas must refuse
 * a 5-level EPT table when IA32_VMX_EPT_VPID_CAP has no 5-level walk.
 *
 * The table's levels and flags come from IA32_VMX_EPT_VPID_CAP through
 * axas_pt_caps_from_ept(): 4 levels (5 when the CPU walks 5), A/D flags in
 * the EPTP when the CPU has them. The flush is INVEPT for the EPTP,
 * single-context (all-context when single is not supported). The
 * plumbing keeps account of the flushes the core asked for and the INVEPTs
 * done: an entry with one owed fails. An emulator that drops its TLB at
 * every VM entry (Bochs) would not show a missing INVEPT in the guest.
 *
 * Safe to copy, within what one vCPU needs: every port and MSR is
 * intercepted (all-ones bitmaps; the guest's EFER is emulated, any other
 * MSR stops it), VMX instructions exit unconditionally and stop the
 * guest, every exception exits, the VMM owns every CR0 and CR4 bit (the
 * guest's MOV to CR0/CR4 exits and is emulated against the VMX fixed
 * bits, with an unrestricted guest for its paging-off start); host state
 * that VMX does not switch (IA32_KERNEL_GS_BASE, the GDT and IDT limits,
 * DS and ES, DR7 and IA32_DEBUGCTL) is put back after each exit;
 * IA32_FEATURE_CONTROL is only read; CR4.VMXE already set (another
 * hypervisor) is refused; VMXOFF and CR4.VMXE cleared on disable.
 *
 * plant= makes the sample a buggy VMM on purpose, to show that the run
 * catches it: memtype7 and wonly write one EPT leaf directly (memory type
 * 7; write without read) once the guest has begun scenario 2,
 * noinvept skips the first INVEPT asked for once the guest has run.
 *
 * An OS guest (guest=linux) gets what svm.c gives one, the VMX way: CPUID
 * and the MSRs the VMCS does not hold exit to the VMM; the guest takes
 * its own exceptions but #MC (the host's) and #AC (reflected); events are
 * injected through the VM-entry interruption field, with an
 * interrupt-window exit when the guest cannot take one, and an event
 * whose delivery an exit interrupted (IDT-vectoring information) is
 * delivered again, as KVM's vmx_complete_interrupts() does; the guest's
 * x87/SSE registers are switched with FXSAVE; its SYSCALL MSRs (STAR,
 * LSTAR, CSTAR, SFMASK) and IA32_KERNEL_GS_BASE are loaded before each
 * entry and the host's put back after the exit (the guest's KERNEL_GS_BASE
 * read back first: SWAPGS changes it), while FS and GS bases pass through
 * the MSR bitmap into the VMCS's guest fields; the TSC is offset; WBINVD
 * and INVD are no-ops; VMX, monitor and counter instructions raise #UD or
 * #GP; CR4 bits the CPU the guest sees lacks (OSXSAVE, PCIDE, FSGSBASE,
 * PKE, LA57) raise #GP. After each VM exit, vmenter.S fills the return
 * stack buffer and clears every register that held a guest value, as
 * KVM's __vmx_vcpu_run() does.
 *
 * It is a sample: one context per vCPU, each on a CPU of its own; the
 * host's FPU/SSE/AVX state is saved before the entry and reloaded for the
 * next host task that uses it (kernel_fpu_begin()), so whatever the guest
 * leaves in those registers reaches no host task. A machine check taken
 * in guest mode is the host's: it goes to the host's handler before the
 * guest is stopped (the demo) or goes on (an OS guest).
 *
 * An NMI that arrives while the guest runs causes a VM exit ("NMI
 * exiting") and is handed to the host's own NMI entry right after it
 * (vmx_forward_nmi(): an NMI to this CPU, then an IRET that ends the
 * NMI blocking the exit left). During scenario 8 a thread on another CPU
 * sends NMIs to the vCPU's CPU, and the scenario checks that each one
 * taken in guest mode reached the host's handler (vmx_nmi()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <asm/apic.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/fpu/api.h>
#include <asm/mce.h>
#include <asm/msr.h>
#include <asm/nmi.h>
#include <asm/processor.h>
#include <asm/segment.h>
#include <asm/sync_core.h>
#include <asm/tlbflush.h>
#include <asm/trapnr.h>
#include <asm/vmx.h>
#include <axas/axas.h>
#include <axas/compat.h>
#include <axas/vmm.h>
#include "../core/demo.h"
#include "../core/guest.h"
#include "../vmm/vmm.h"
#include "vmx.h"

static char *guest = "demo";
module_param(guest, charp, 0444);
MODULE_PARM_DESC(guest, "demo: the scripted demo guest; linux: boot the Linux kernel kernel= names");

static char *plant = "";
module_param(plant, charp, 0444);
MODULE_PARM_DESC(plant,
		 "a planted error: memtype7 or wonly (one EPT leaf written directly), noinvept (one INVEPT skipped)");

/* GETSEC always exits in VMX non-root operation; asm/vmx.h has no name for it. */
#define EXIT_REASON_GETSEC	11

/* EPT violation qualification: the rights of the walk (SDM 29.2.1). */
#define QUAL_READABLE	BIT_ULL(3)
#define QUAL_WRITABLE	BIT_ULL(4)
#define QUAL_EXECUTABLE	BIT_ULL(5)

/* EPT entries, for the planted errors and the misconfiguration report. */
#define EPTE_R		BIT_ULL(0)
#define EPTE_W		BIT_ULL(1)
#define EPTE_X		BIT_ULL(2)
#define EPTE_RWX	(EPTE_R | EPTE_W | EPTE_X)
#define EPTE_MT		GENMASK_ULL(5, 3)
#define EPTE_PS		BIT_ULL(7)
#define EPTE_ADDR	GENMASK_ULL(51, 12)

/* IA32_VMX_EPT_VPID_CAP bits the plumbing uses itself (SDM A.10). */
#define CAP_INVEPT		BIT_ULL(20)
#define CAP_INVEPT_SINGLE	BIT_ULL(25)
#define CAP_INVEPT_ALL		BIT_ULL(26)
#define CAP_INVVPID_SINGLE	BIT_ULL(41)
#define CAP_INVVPID_ALL		BIT_ULL(42)

/* CR access exit qualification (SDM Table 28-3). */
#define CRQ_CR		GENMASK_ULL(3, 0)
#define CRQ_TYPE	GENMASK_ULL(5, 4)
#define CRQ_GPR		GENMASK_ULL(11, 8)
#define CRQ_MOV_TO	0
#define CRQ_MOV_FROM	1
#define CRQ_CLTS	2

/* I/O and MOV DR exit qualifications (SDM Tables 28-5, 28-4). */
#define IOQ_STRING	BIT_ULL(4)
#define IOQ_REP		BIT_ULL(5)
#define DRQ_N		GENMASK_ULL(2, 0)
#define DRQ_FROM	BIT_ULL(4)
#define DRQ_GPR		GENMASK_ULL(11, 8)

/* Interruptibility: blocking by STI and by MOV SS (SDM 25.4.2). */
#define INTR_SHADOW	(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS)

/* CR4 bits of features the OS guest's CPU lacks (../vmm/cpuid.c). */
#define CR4_NOT_OFFERED	(X86_CR4_OSXSAVE | X86_CR4_PCIDE | X86_CR4_FSGSBASE | \
			 X86_CR4_PKE | X86_CR4_LA57 | X86_CR4_SMXE | X86_CR4_VMXE)

/* The SYSCALL MSRs and KERNEL_GS_BASE: switched around each entry. */
enum { GMSR_STAR, GMSR_LSTAR, GMSR_CSTAR, GMSR_SFMASK, GMSR_KGS, GMSRS };

static const u32 vmx_gmsr_index[GMSRS] = {
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK, MSR_KERNEL_GS_BASE,
};

static const char *const vmx_gmsr_name[GMSRS] = {
	"star", "lstar", "cstar", "sfmask", "kernel_gs_base",
};

#define VPID		1
#define SEG_UNUSABLE	BIT(16)
#define RSP		4

/*
 * NMIs from another CPU while the guest runs, during the scenario in which
 * another CPU already works on the guest's memory: until NMI_ROUNDS of
 * them were taken in guest mode, at most NMI_TRIES sent, each waited for
 * up to NMI_WAIT_MS. Each is sent once the vCPU has stayed in the same
 * guest run for NMI_SETTLE_US, and the next only after a later entry:
 * NMIs blocked in guest mode give about 1 in 64 taken there.
 */
#define NMI_SCENARIO	8
#define NMI_ROUNDS	16
#define NMI_TRIES	(4 * NMI_ROUNDS)
#define NMI_WAIT_MS	100
#define NMI_SETTLE_US	10
#define NMI_HOST_MAX	(NMI_ROUNDS / 4)

enum plant_kind { PLANT_NONE, PLANT_MEMTYPE7, PLANT_WONLY, PLANT_NOINVEPT };

static const char *const plant_name[] = { "", "memtype7", "wonly", "noinvept" };

/**
 * struct vmx_arch - the VMX side of the guest
 * @vmxon_frame: the VMXON region
 * @vmcs_frame: the VMCS
 * @io_bitmaps: I/O bitmaps A and B, every port intercepted
 * @msr_bitmap: the MSR bitmap, every MSR intercepted
 * @regs: the guest's GPRs other than RSP
 * @ept_cap: IA32_VMX_EPT_VPID_CAP
 * @eptp: the EPTP the VMCS holds (axas_space_root())
 * @levels: EPT levels
 * @cr0_fixed0: IA32_VMX_CR0_FIXED0: bits the CPU needs set in VMX operation
 * @cr0_fixed1: IA32_VMX_CR0_FIXED1: bits it allows set
 * @cr4_fixed0: the same for CR4
 * @cr4_fixed1: the same for CR4
 * @entry_ctl: the VM-entry controls (IA-32e mode guest follows EFER.LMA)
 * @efer: the guest's EFER
 * @vmxon: VMXON done on this CPU
 * @cr4_vmxe: CR4.VMXE set by this sample
 * @launched: the VMCS was launched (VMRESUME from now on)
 * @flushes_asked: calls of ops->flush()
 * @flushes_done: INVEPTs that answered them
 * @plant: the planted error
 * @plant_armed: plant the leaf at the next entry
 * @plant_skipped: the INVEPT of plant=noinvept was skipped
 * @plant_pa: the HPA of the leaf written, 0 while none
 * @plant_old: its value before
 * @cpu: the vCPU's CPU
 * @in_guest: set around the VM entry instruction (interrupts disabled)
 * @entries: VM entries begun, counted before @in_guest is set
 * @nmi_exits: VM exits caused by an NMI, each forwarded to the host
 * @nmi_handler: vmx_nmi() is registered
 * @nmi_sender: the thread that sends NMIs from another CPU, or NULL
 * @nmi_cpu: its CPU
 * @nmi_on: the guest began NMI_SCENARIO: send
 * @nmi_sent: NMIs sent
 * @nmi_guest: of those, taken in guest mode (an NMI exit came)
 * @nmi_reached: of those, claimed by vmx_nmi(), the host's handler
 * @nmi_host: sent ones taken in host mode (between entries)
 * @nmi_host_ip: where the last of those interrupted the host
 * @nmi_short: guest runs that ended before NMI_SETTLE_US had passed
 * @own_cpu: the guest is an OS (&vmm_arch_info.own_cpu)
 * @cpu_ctl: the processor-based controls (interrupt-window exiting
 *	changes)
 * @event: an event for the next entry that the plumbing queued itself (an
 *	exception it raises, or one whose delivery the last exit
 *	interrupted), as VM-entry interruption information; 0 for none
 * @event_err: its error code
 * @entry_event: what the last entry injected (VM-entry interruption
 *	information, which the exit clears), for the report of a shutdown
 * @gmsr: the guest's SYSCALL MSRs and KERNEL_GS_BASE (own_cpu)
 * @hmsr: the host's, put back after each exit
 */
struct vmx_arch {
	struct axas_vmm_frame *vmxon_frame;
	struct axas_vmm_frame *vmcs_frame;
	struct axas_vmm_frame *io_bitmaps;
	struct axas_vmm_frame *msr_bitmap;
	struct axas_vmx_regs regs;
	u64 ept_cap;
	u64 eptp;
	unsigned int levels;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	u32 entry_ctl;
	u64 efer;
	bool vmxon;
	bool cr4_vmxe;
	bool launched;
	u64 flushes_asked;
	u64 flushes_done;
	enum plant_kind plant;
	bool plant_armed;
	bool plant_skipped;
	phys_addr_t plant_pa;
	u64 plant_old;
	int cpu;
	bool in_guest;
	unsigned int entries;
	unsigned int nmi_exits;
	bool nmi_handler;
	struct task_struct *nmi_sender;
	int nmi_cpu;
	bool nmi_on;
	unsigned int nmi_sent;
	unsigned int nmi_guest;
	unsigned int nmi_reached;
	unsigned int nmi_host;
	unsigned long nmi_host_ip;
	unsigned int nmi_short;
	bool own_cpu;
	u32 cpu_ctl;
	u32 event;
	u32 event_err;
	u32 entry_event;
	u64 gmsr[GMSRS];
	u64 hmsr[GMSRS];
};

/* NMIs vmx_nmi() is to claim: the sender's, one at a time. */
static atomic_t vmx_nmi_expected = ATOMIC_INIT(0);
/* Where the last NMI vmx_nmi() claimed interrupted its CPU. */
static unsigned long vmx_nmi_ip;

/* VMX instructions. */
static u64 vmcs_read(unsigned long field)
{
	u64 val;

	asm volatile("vmread %1, %0" : "=rm"(val) : "r"(field) : "cc");
	return val;
}

static void vmcs_write(unsigned long field, u64 val)
{
	asm volatile("vmwrite %0, %1" : : "rm"(val), "r"(field) : "cc");
}

/* VMXON, VMCLEAR, VMPTRLD: the region's HPA as a memory operand. */
static bool do_vmxon(u64 pa)
{
	bool fail;

	asm volatile("vmxon %1" CC_SET(be) : CC_OUT(be)(fail) : "m"(pa) : "cc", "memory");
	return !fail;
}

static bool do_vmclear(u64 pa)
{
	bool fail;

	asm volatile("vmclear %1" CC_SET(be) : CC_OUT(be)(fail) : "m"(pa) : "cc", "memory");
	return !fail;
}

static bool do_vmptrld(u64 pa)
{
	bool fail;

	asm volatile("vmptrld %1" CC_SET(be) : CC_OUT(be)(fail) : "m"(pa) : "cc", "memory");
	return !fail;
}

static bool do_invept(unsigned long type, u64 eptp)
{
	struct { u64 eptp, rsvd; } desc = { eptp, 0 };
	bool fail;

	asm volatile("invept %1, %2" CC_SET(be) : CC_OUT(be)(fail)
		     : "m"(desc), "r"(type) : "cc", "memory");
	return !fail;
}

static bool do_invvpid(unsigned long type, u16 vpid)
{
	struct { u64 vpid, gla; } desc = { vpid, 0 };
	bool fail;

	asm volatile("invvpid %1, %2" CC_SET(be) : CC_OUT(be)(fail)
		     : "m"(desc), "r"(type) : "cc", "memory");
	return !fail;
}

/* INVVPID for the guest's VPID: single-context, or all-context. */
static void vmx_invvpid(struct vmx_arch *a)
{
	if (a->ept_cap & CAP_INVVPID_SINGLE)
		do_invvpid(VMX_VPID_EXTENT_SINGLE_CONTEXT, VPID);
	else if (a->ept_cap & CAP_INVVPID_ALL)
		do_invvpid(VMX_VPID_EXTENT_ALL_CONTEXT, VPID);
}

/* INVEPT for the EPTP: single-context, or all-context. */
static bool vmx_invept(struct vmx_arch *a)
{
	if (a->ept_cap & CAP_INVEPT_SINGLE)
		return do_invept(VMX_EPT_EXTENT_CONTEXT, a->eptp);
	return do_invept(VMX_EPT_EXTENT_GLOBAL, 0);
}

static void vmx_teardown(void *arch)
{
	struct vmx_arch *a = arch;

	axas_vmm_frame_free(a->msr_bitmap);
	axas_vmm_frame_free(a->io_bitmaps);
	axas_vmm_frame_free(a->vmcs_frame);
	axas_vmm_frame_free(a->vmxon_frame);
	kfree(a);
}

static void vmx_check_flush(void *cookie, u64 gpa, u64 size)
{
}

/*
 * axas must refuse a 5-level EPT table from capabilities without the
 * 5-level walk (Bochs 2.7 walks 4); the same table of 4 levels it must
 * make. Says which in @buf; -EINVAL when axas did otherwise.
 */
static int vmx_check_5level(struct axas_pt_cfg pt, char *buf, size_t len)
{
	struct axas_space_cfg cfg = { .name = KBUILD_MODNAME "-levels",
				      .size = SZ_1G, .flush = vmx_check_flush };
	struct axas_space *s4, *s5;
	int ret = 0;

	cfg.pt = pt;
	cfg.pt.levels = 4;
	s4 = axas_space_create(&cfg);
	cfg.pt.levels = 5;
	s5 = axas_space_create(&cfg);
	if (IS_ERR(s4)) {
		snprintf(buf, len, "4 levels refused (%ld)", PTR_ERR(s4));
		ret = -EINVAL;
	} else if (IS_ERR(s5)) {
		snprintf(buf, len, "5 levels refused (%ld)", PTR_ERR(s5));
	} else {
		snprintf(buf, len, "5 levels allowed");
		if (!(pt.caps.flags & AXAS_CAP_5LEVEL))
			ret = -EINVAL;
	}
	if (!IS_ERR(s5))
		axas_space_destroy(s5);
	if (!IS_ERR(s4))
		axas_space_destroy(s4);
	return ret;
}

static void *vmx_setup(struct vmm_arch_info *info, char *why, size_t len)
{
	struct vmx_arch *a;
	char five[40];
	u64 basic;
	u32 rev;
	int i;

	if (!boot_cpu_has(X86_FEATURE_VMX)) {
		snprintf(why, len, "the CPU has no VMX");
		return ERR_PTR(-ENODEV);
	}
	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a) {
		snprintf(why, len, "no memory");
		return ERR_PTR(-ENOMEM);
	}
	for (i = 1; i < ARRAY_SIZE(plant_name); i++)
		if (!strcmp(plant, plant_name[i]))
			a->plant = i;
	a->own_cpu = info->own_cpu;
	if (plant[0] && (a->plant == PLANT_NONE || a->own_cpu)) {
		snprintf(why, len, "plant=%s: %s", plant,
			 a->own_cpu ? "the demo's only" : "unknown");
		kfree(a);
		return ERR_PTR(-EINVAL);
	}
	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, a->ept_cap);
	rev = basic & GENMASK_ULL(30, 0);
	a->vmxon_frame = axas_vmx_region_alloc(rev, NUMA_NO_NODE);
	a->vmcs_frame = axas_vmx_region_alloc(rev, NUMA_NO_NODE);
	a->io_bitmaps = axas_vmm_bitmap_alloc(AXAS_VMX_IO_BITMAPS, true, NUMA_NO_NODE);
	a->msr_bitmap = axas_vmm_bitmap_alloc(AXAS_VMX_MSR_BITMAP, true, NUMA_NO_NODE);
	if (IS_ERR(a->vmxon_frame) || IS_ERR(a->vmcs_frame) ||
	    IS_ERR(a->io_bitmaps) || IS_ERR(a->msr_bitmap)) {
		vmx_teardown(a);
		snprintf(why, len, "no memory for the VMCS");
		return ERR_PTR(-ENOMEM);
	}
	if (!(a->ept_cap & CAP_INVEPT) ||
	    !(a->ept_cap & (CAP_INVEPT_SINGLE | CAP_INVEPT_ALL))) {
		vmx_teardown(a);
		snprintf(why, len, "no INVEPT in IA32_VMX_EPT_VPID_CAP %#llx", a->ept_cap);
		return ERR_PTR(-ENODEV);
	}

	info->pt.format = AXAS_PT_EPT;
	info->maxphyaddr = boot_cpu_data.x86_phys_bits;
	info->pt.caps = axas_pt_caps_from_ept(a->ept_cap, false, info->maxphyaddr);
	a->levels = info->pt.caps.flags & AXAS_CAP_5LEVEL ? 5 : 4;
	info->pt.levels = a->levels;
	if (info->pt.caps.flags & AXAS_CAP_AD)
		info->pt.root_flags |= AXAS_PT_ROOT_AD;
	if (vmx_check_5level(info->pt, five, sizeof(five))) {
		vmx_teardown(a);
		snprintf(why, len, "EPT caps %#llx: %s", a->ept_cap, five);
		return ERR_PTR(-EINVAL);
	}
	info->gbpages = boot_cpu_has(X86_FEATURE_GBPAGES) &&
			(info->pt.caps.flags & AXAS_CAP_1G);
	info->caps = VMM_CAP_FAULT_RIGHTS | VMM_CAP_WALK_RW;
	if (info->pt.caps.flags & AXAS_CAP_EXEC_ONLY)
		info->caps |= VMM_CAP_EXEC_ONLY;
	if (info->pt.caps.flags & AXAS_CAP_AD)
		info->caps |= VMM_CAP_AD;
	info->hypercall = VMM_VMCALL;
	snprintf(info->host, sizeof(info->host),
		 "host: %u-level EPT from EPT caps %#llx (%s); A/D %s; 1 GiB leaves %s; VPID %d; INVEPT %s%s%s",
		 a->levels, a->ept_cap, five,
		 info->pt.caps.flags & AXAS_CAP_AD ? "on" : "off",
		 info->gbpages ? "yes" : "no", VPID,
		 a->ept_cap & CAP_INVEPT_SINGLE ? "single-context" : "all-context",
		 a->plant ? "; planted error: " : "", plant_name[a->plant]);
	return a;
}

/* A control value the CPU allows: @want, plus the bits it requires. */
static int vmx_ctl(u32 msr, u32 want, u32 *ctl, const char *what, char *why,
		   size_t len)
{
	u64 v;

	rdmsrl(msr, v);
	if (want & ~(u32)(v >> 32)) {
		snprintf(why, len, "%s controls %#x not allowed (allowed %#x)", what,
			 want, (u32)(v >> 32));
		return -EOPNOTSUPP;
	}
	*ctl = want | (u32)v;
	return 0;
}

/*
 * Let the guest read and write @msr without an exit: clear its bits in
 * the MSR bitmap, whose four 1 KiB parts are reads of 0-0x1fff, reads of
 * 0xc0000000-0xc0001fff, then writes of the same (SDM 25.6.9).
 */
static void vmx_msr_passthrough(struct vmx_arch *a, u32 msr)
{
	u8 *bm = a->msr_bitmap->kva;
	u32 bit = msr & 0x1fff;
	unsigned int part = msr >= 0xc0000000 ? 1024 : 0;

	bm[part + bit / 8] &= ~BIT(bit % 8);
	bm[2048 + part + bit / 8] &= ~BIT(bit % 8);
}

/*
 * The controls, as KVM's setup_vmcs_config() chooses them for what the
 * guest may do without the VMM: every exit below is one the VMM handles
 * (see the top of the file). The demo's guest takes no exception and
 * exits on INVLPG; an OS guest takes its own (but #MC and #AC), invalidates
 * its own TLB entries (VPID tags them) and runs with its TSC offset.
 */
static int vmx_controls(struct vmx_arch *a, char *why, size_t len)
{
	u32 pin, cpu, cpu2, exit;
	bool t;
	u64 basic;
	int ret;

	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	t = basic & VMX_BASIC_TRUE_CTLS;
	ret = vmx_ctl(t ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS,
		      PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING, &pin,
		      "pin-based", why, len);
	ret = ret ?: vmx_ctl(t ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
			     MSR_IA32_VMX_PROCBASED_CTLS,
			     CPU_BASED_HLT_EXITING |
			     (a->own_cpu ? CPU_BASED_USE_TSC_OFFSETTING :
			      CPU_BASED_INVLPG_EXITING) |
			     CPU_BASED_MWAIT_EXITING | CPU_BASED_RDPMC_EXITING |
			     CPU_BASED_CR8_LOAD_EXITING | CPU_BASED_CR8_STORE_EXITING |
			     CPU_BASED_MOV_DR_EXITING | CPU_BASED_USE_IO_BITMAPS |
			     CPU_BASED_USE_MSR_BITMAPS | CPU_BASED_MONITOR_EXITING |
			     CPU_BASED_ACTIVATE_SECONDARY_CONTROLS, &cpu,
			     "processor-based", why, len);
	ret = ret ?: vmx_ctl(MSR_IA32_VMX_PROCBASED_CTLS2,
			     SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID |
			     SECONDARY_EXEC_UNRESTRICTED_GUEST |
			     SECONDARY_EXEC_WBINVD_EXITING, &cpu2, "secondary", why, len);
	ret = ret ?: vmx_ctl(t ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS,
			     VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_LOAD_IA32_EFER |
			     VM_EXIT_LOAD_IA32_PAT, &exit, "VM-exit", why, len);
	ret = ret ?: vmx_ctl(t ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS,
			     VM_ENTRY_LOAD_IA32_EFER | VM_ENTRY_LOAD_IA32_PAT,
			     &a->entry_ctl, "VM-entry", why, len);
	if (ret)
		return ret;
	vmcs_write(PIN_BASED_VM_EXEC_CONTROL, pin);
	a->cpu_ctl = cpu;
	vmcs_write(CPU_BASED_VM_EXEC_CONTROL, cpu);
	vmcs_write(SECONDARY_VM_EXEC_CONTROL, cpu2);
	vmcs_write(VM_EXIT_CONTROLS, exit);
	vmcs_write(VM_ENTRY_CONTROLS, a->entry_ctl);
	vmcs_write(EXCEPTION_BITMAP, a->own_cpu ?
		   BIT(X86_TRAP_MC) | BIT(X86_TRAP_AC) : ~0U);
	if (a->own_cpu) {
		vmx_msr_passthrough(a, MSR_FS_BASE);
		vmx_msr_passthrough(a, MSR_GS_BASE);
	}
	vmcs_write(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write(CR3_TARGET_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmcs_write(IO_BITMAP_A, a->io_bitmaps->hpa);
	vmcs_write(IO_BITMAP_B, a->io_bitmaps->hpa + SZ_4K);
	vmcs_write(MSR_BITMAP, a->msr_bitmap->hpa);
	vmcs_write(EPT_POINTER, a->eptp);
	vmcs_write(VIRTUAL_PROCESSOR_ID, VPID);
	vmcs_write(VMCS_LINK_POINTER, ~0ULL);
	return 0;
}

/* The guest's CR0 and CR4 as the CPU needs them, from what the guest wants. */
static u64 vmx_real_cr0(struct vmx_arch *a, u64 cr0)
{
	/* Unrestricted guest: PE and PG may be clear. */
	return (cr0 | (a->cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG))) & a->cr0_fixed1;
}

static u64 vmx_real_cr4(struct vmx_arch *a, u64 cr4)
{
	return (cr4 | a->cr4_fixed0) & a->cr4_fixed1;
}

static void vmx_seg(unsigned long sel, const struct vmm_seg *s)
{
	/* sel is the selector field; base, limit and rights follow it. */
	u32 ar = vmm_seg_vmx_ar(s->attrib);

	vmcs_write(sel, s->sel);
	vmcs_write(sel - GUEST_ES_SELECTOR + GUEST_ES_LIMIT, s->limit);
	vmcs_write(sel - GUEST_ES_SELECTOR + GUEST_ES_AR_BYTES,
		   ar & BIT(7) ? ar : SEG_UNUSABLE);
	vmcs_write(sel - GUEST_ES_SELECTOR + GUEST_ES_BASE, s->base);
}

static void vmx_guest_state(struct vmx_arch *a, const struct vmm_entry_state *gs)
{
	/* The VMM owns every CR0 and CR4 bit: the guest's MOVs to them exit. */
	vmcs_write(CR0_GUEST_HOST_MASK, ~0UL);
	vmcs_write(CR4_GUEST_HOST_MASK, ~0UL);
	vmcs_write(CR0_READ_SHADOW, gs->cr0);
	vmcs_write(CR4_READ_SHADOW, gs->cr4);
	vmcs_write(GUEST_CR0, vmx_real_cr0(a, gs->cr0));
	vmcs_write(GUEST_CR3, gs->cr3);
	vmcs_write(GUEST_CR4, vmx_real_cr4(a, gs->cr4));
	a->efer = gs->efer;
	vmcs_write(GUEST_IA32_EFER, gs->efer);
	vmcs_write(GUEST_IA32_PAT, gs->pat);
	vmcs_write(GUEST_DR7, gs->dr7);
	vmcs_write(GUEST_IA32_DEBUGCTL, 0);
	/*
	 * The demo's guest runs with RFLAGS.IF set: with "external-interrupt
	 * exiting" every host interrupt exits whatever IF says (SDM 26.2), so
	 * the guest never takes one. Bochs 2.7 re-evaluates its interrupt
	 * mask only when IF changes, and the VM entry instruction runs with
	 * IF clear: a guest entered with IF clear never exits for a host
	 * interrupt there (no timer tick, no flush IPI). An OS guest's IF is
	 * its own: under Bochs, a host interrupt waits while it is clear for
	 * the guest's next exit or STI.
	 */
	vmcs_write(GUEST_RFLAGS, gs->rflags | (a->own_cpu ? 0 : X86_EFLAGS_IF));
	/* A guest that starts in long mode enters as an IA-32e mode guest. */
	if (gs->efer & EFER_LMA) {
		a->entry_ctl |= VM_ENTRY_IA32E_MODE;
		vmcs_write(VM_ENTRY_CONTROLS, a->entry_ctl);
	}
	vmcs_write(GUEST_RIP, gs->rip);
	vmcs_write(GUEST_RSP, gs->rsp);
	vmx_seg(GUEST_ES_SELECTOR, &gs->es);
	vmx_seg(GUEST_CS_SELECTOR, &gs->cs);
	vmx_seg(GUEST_SS_SELECTOR, &gs->ss);
	vmx_seg(GUEST_DS_SELECTOR, &gs->ds);
	vmx_seg(GUEST_FS_SELECTOR, &gs->fs);
	vmx_seg(GUEST_GS_SELECTOR, &gs->gs);
	vmx_seg(GUEST_LDTR_SELECTOR, &gs->ldtr);
	vmx_seg(GUEST_TR_SELECTOR, &gs->tr);
	vmcs_write(GUEST_GDTR_BASE, gs->gdtr.base);
	vmcs_write(GUEST_GDTR_LIMIT, gs->gdtr.limit);
	vmcs_write(GUEST_IDTR_BASE, gs->idtr.base);
	vmcs_write(GUEST_IDTR_LIMIT, gs->idtr.limit);
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write(GUEST_ACTIVITY_STATE, 0);
	vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write(GUEST_SYSENTER_CS, 0);
	vmcs_write(GUEST_SYSENTER_ESP, 0);
	vmcs_write(GUEST_SYSENTER_EIP, 0);
}

/* Host state: this kthread's; CR3 and CR4 again before each entry. */
static void vmx_host_state(void)
{
	struct desc_struct *gdt;
	struct desc_ptr dt;
	u64 v;
	u16 tr;

	vmcs_write(HOST_CR0, read_cr0());
	vmcs_write(HOST_CR3, __read_cr3());
	vmcs_write(HOST_CR4, cr4_read_shadow());
	vmcs_write(HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write(HOST_SS_SELECTOR, __KERNEL_DS);
	vmcs_write(HOST_DS_SELECTOR, 0);
	vmcs_write(HOST_ES_SELECTOR, 0);
	vmcs_write(HOST_FS_SELECTOR, 0);
	vmcs_write(HOST_GS_SELECTOR, 0);
	store_tr(tr);
	vmcs_write(HOST_TR_SELECTOR, tr);
	rdmsrl(MSR_FS_BASE, v);
	vmcs_write(HOST_FS_BASE, v);
	rdmsrl(MSR_GS_BASE, v);
	vmcs_write(HOST_GS_BASE, v);
	native_store_gdt(&dt);
	vmcs_write(HOST_GDTR_BASE, dt.address);
	gdt = (struct desc_struct *)dt.address;
	/* The TSS descriptor is 16 bytes: base 63:32 in the second half. */
	v = get_desc_base(&gdt[tr >> 3]) | ((u64)*(u32 *)&gdt[(tr >> 3) + 1] << 32);
	vmcs_write(HOST_TR_BASE, v);
	store_idt(&dt);
	vmcs_write(HOST_IDTR_BASE, dt.address);
	rdmsrl(MSR_IA32_SYSENTER_CS, v);
	vmcs_write(HOST_IA32_SYSENTER_CS, v);
	rdmsrl(MSR_IA32_SYSENTER_ESP, v);
	vmcs_write(HOST_IA32_SYSENTER_ESP, v);
	rdmsrl(MSR_IA32_SYSENTER_EIP, v);
	vmcs_write(HOST_IA32_SYSENTER_EIP, v);
	rdmsrl(MSR_EFER, v);
	vmcs_write(HOST_IA32_EFER, v);
	rdmsrl(MSR_IA32_CR_PAT, v);
	vmcs_write(HOST_IA32_PAT, v);
	vmcs_write(HOST_RIP, (unsigned long)axas_vmx_exit);
}

/*
 * The host's NMI handler for the NMIs the sender sends: claims one only
 * while the sender waits for it, so that any other NMI goes on to the
 * kernel's own handlers (and an unclaimed one to "unknown reason").
 */
static int vmx_nmi(unsigned int type, struct pt_regs *regs)
{
	/* Before the claim: the sender reads it after. */
	WRITE_ONCE(vmx_nmi_ip, instruction_pointer(regs));
	return atomic_dec_if_positive(&vmx_nmi_expected) < 0 ? NMI_DONE : NMI_HANDLED;
}

/* Sleep until *@go (NULL: nothing but kthread_stop()) or kthread_stop(). */
static void vmx_nmi_sleep(const bool *go)
{
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop() || (go && READ_ONCE(*go)))
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
}

/*
 * Whether the vCPU has been in one guest run for NMI_SETTLE_US or more,
 * past the few instructions between setting in_guest and the VM entry,
 * in a later run than @last_entry: @entry becomes that run's count.
 * (Asleep instead of spinning, the sender sent no NMI at all in Bochs: a
 * sleep there outlasts most guest runs of the scenario.)
 */
static bool vmx_nmi_settled(struct vmx_arch *a, unsigned int last_entry,
			    unsigned int *entry)
{
	*entry = READ_ONCE(a->entries);
	if (*entry == last_entry || !READ_ONCE(a->in_guest))
		return false;
	udelay(NMI_SETTLE_US);
	if (READ_ONCE(a->in_guest) && READ_ONCE(a->entries) == *entry)
		return true;
	a->nmi_short++;
	return false;
}

/*
 * The NMI sender, bound to a CPU other than the vCPU's: from the start of
 * NMI_SCENARIO, one NMI at a time to the vCPU's CPU while it is in guest
 * mode, each waited for until vmx_nmi() claimed it. An NMI exit counted
 * meanwhile says it came in guest mode; no claim within NMI_WAIT_MS says
 * it never reached the host's handler.
 *
 * The NMI goes once the guest run has lasted NMI_SETTLE_US, and the next
 * not before a later run. Sent as soon as in_guest is set, an NMI can
 * come before the VM entry; sent again while that run has still to
 * begin, each NMI waits for the end of the handler of the one before and
 * is taken at the same instruction: the vCPU does not enter until the
 * sender stops (a run took 241 of 256 so, in host mode).
 */
static int vmx_nmi_send(void *arg)
{
	struct vmx_arch *a = arg;
	unsigned int entry, last_entry = READ_ONCE(a->entries);
	unsigned long until;
	unsigned int exits;
	bool claimed;

	vmx_nmi_sleep(&a->nmi_on);
	while (!kthread_should_stop() && a->nmi_guest < NMI_ROUNDS &&
	       a->nmi_sent < NMI_TRIES) {
		if (!vmx_nmi_settled(a, last_entry, &entry)) {
			cond_resched();
			continue;
		}
		last_entry = entry;
		exits = READ_ONCE(a->nmi_exits);
		atomic_set(&vmx_nmi_expected, 1);
		a->nmi_sent++;
		apic->send_IPI(a->cpu, NMI_VECTOR);
		until = jiffies + msecs_to_jiffies(NMI_WAIT_MS);
		while (atomic_read(&vmx_nmi_expected) && time_before(jiffies, until))
			cpu_relax();
		/* Fully ordered: the exit count is read after the claim. */
		claimed = !atomic_xchg(&vmx_nmi_expected, 0);
		if (READ_ONCE(a->nmi_exits) != exits) {
			a->nmi_guest++;
			a->nmi_reached += claimed;
		} else if (claimed) {
			a->nmi_host++;
			a->nmi_host_ip = READ_ONCE(vmx_nmi_ip);
		}
	}
	vmx_nmi_sleep(NULL);
	return 0;
}

/* On the vCPU's kthread: the NMI handler, and the sender on another CPU. */
static int vmx_nmi_start(struct vmx_arch *a, char *why, size_t len)
{
	struct task_struct *t;
	int ret;

	ret = register_nmi_handler(NMI_LOCAL, vmx_nmi, 0, KBUILD_MODNAME);
	if (ret) {
		snprintf(why, len, "register_nmi_handler = %d", ret);
		return ret;
	}
	a->nmi_handler = true;
	a->nmi_cpu = cpumask_any_but(cpu_online_mask, a->cpu);
	if (a->nmi_cpu >= nr_cpu_ids)
		return 0;	/* NMI_SCENARIO's check fails: no CPU to send from */
	t = kthread_create(vmx_nmi_send, a, KBUILD_MODNAME "-nmi");
	if (IS_ERR(t)) {
		snprintf(why, len, "kthread_create = %ld", PTR_ERR(t));
		return PTR_ERR(t);
	}
	kthread_bind(t, a->nmi_cpu);
	get_task_struct(t);
	a->nmi_sender = t;
	wake_up_process(t);
	return 0;
}

static void vmx_nmi_stop(struct vmx_arch *a)
{
	if (!a->nmi_sender)
		return;
	kthread_stop(a->nmi_sender);
	put_task_struct(a->nmi_sender);
	a->nmi_sender = NULL;
	atomic_set(&vmx_nmi_expected, 0);
}

/*
 * The core's ops->check(): NMI_SCENARIO's NMIs. Each one taken in guest
 * mode must have reached the host's handler, NMI_ROUNDS must have come
 * in guest mode, and at most NMI_HOST_MAX in host mode: sent into a
 * guest run that had lasted NMI_SETTLE_US, an NMI taken in host mode
 * says it was blocked while the guest ran (or the run ended within the
 * few microseconds of its delivery).
 */
static int vmx_check(void *arch, unsigned int n, char *note, size_t len)
{
	struct vmx_arch *a = arch;
	size_t off;

	if (n != NMI_SCENARIO)
		return 0;
	vmx_nmi_stop(a);
	if (a->nmi_cpu >= nr_cpu_ids) {
		snprintf(note, len, "no other CPU to send NMIs from");
		return -ENODEV;
	}
	off = scnprintf(note, len,
			"%u NMIs in guest mode, %u reached the host's handler (%u sent from CPU %d, %u taken in host mode",
			a->nmi_guest, a->nmi_reached, a->nmi_sent, a->nmi_cpu, a->nmi_host);
	if (a->nmi_host)
		off += scnprintf(note + off, len - off, ", the last at %pS",
				 (void *)a->nmi_host_ip);
	if (a->nmi_short)
		off += scnprintf(note + off, len - off,
				 ", %u guest runs too short to send into",
				 a->nmi_short);
	scnprintf(note + off, len - off, ")");
	if (a->nmi_guest < NMI_ROUNDS || a->nmi_reached != a->nmi_guest ||
	    a->nmi_host > NMI_HOST_MAX)
		return -EIO;
	return 0;
}

/* VMXON on this CPU (SDM 24.7), then a VMCS for the guest. */
static int vmx_enable(void *arch, u64 root, const struct vmm_entry_state *gs,
		      char *why, size_t len)
{
	struct vmx_arch *a = arch;
	int cpu = raw_smp_processor_id();
	u64 fc;
	int ret;

	if (cr4_read_shadow() & X86_CR4_VMXE) {
		snprintf(why, len, "CR4.VMXE is set: another hypervisor holds VMX on CPU %d",
			 cpu);
		return -EBUSY;
	}
	rdmsrl(MSR_IA32_FEAT_CTL, fc);
	if (!(fc & FEAT_CTL_LOCKED) || !(fc & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		snprintf(why, len, "IA32_FEATURE_CONTROL %#llx: VMX outside SMX not enabled and locked",
			 fc);
		return -EOPNOTSUPP;
	}
	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, a->cr0_fixed0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, a->cr0_fixed1);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, a->cr4_fixed0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, a->cr4_fixed1);
	if ((read_cr0() & a->cr0_fixed0) != a->cr0_fixed0 || (read_cr0() & ~a->cr0_fixed1) ||
	    ((cr4_read_shadow() | X86_CR4_VMXE) & ~a->cr4_fixed1)) {
		snprintf(why, len, "CR0 %#lx or CR4 %#lx outside the VMX fixed bits",
			 read_cr0(), cr4_read_shadow());
		return -EOPNOTSUPP;
	}
	cr4_set_bits(X86_CR4_VMXE);
	a->cr4_vmxe = true;
	if (!do_vmxon(a->vmxon_frame->hpa)) {
		snprintf(why, len, "VMXON failed on CPU %d", cpu);
		return -EIO;
	}
	a->vmxon = true;
	if (!do_vmclear(a->vmcs_frame->hpa) || !do_vmptrld(a->vmcs_frame->hpa)) {
		snprintf(why, len, "VMCLEAR or VMPTRLD failed");
		return -EIO;
	}
	a->eptp = root;
	ret = vmx_controls(a, why, len);
	if (ret)
		return ret;
	vmx_guest_state(a, gs);
	vmx_host_state();
	/* Nothing a former user of this EPTP or VPID left may be cached. */
	vmx_invept(a);
	vmx_invvpid(a);
	a->cpu = cpu;
	if (a->own_cpu) {
		unsigned int i;

		/* The host's SYSCALL MSRs on this CPU: constant, put back. */
		for (i = 0; i < GMSRS; i++)
			rdmsrl(vmx_gmsr_index[i], a->hmsr[i]);
		return 0;
	}
	return vmx_nmi_start(a, why, len);
}

/* The EPT entry of @level on @gpa's walk, or NULL where the walk ends above. */
static u64 *vmx_ept_entry(struct vmx_arch *a, u64 gpa, int want)
{
	u64 *table = phys_to_virt(a->eptp & EPTE_ADDR);
	int level;

	for (level = a->levels - 1; level >= 0; level--) {
		u64 *e = &table[(gpa >> (12 + 9 * level)) & 511];

		if (level == want)
			return e;
		if (!(*e & EPTE_RWX) || (level && (*e & EPTE_PS)))
			return NULL;
		table = phys_to_virt(*e & EPTE_ADDR);
	}
	return NULL;
}

static void vmx_unplant(struct vmx_arch *a)
{
	if (!a->plant_pa)
		return;
	WRITE_ONCE(*(u64 *)phys_to_virt(a->plant_pa), a->plant_old);
	a->plant_pa = 0;
	vmx_invept(a);
}

static void vmx_disable(void *arch)
{
	struct vmx_arch *a = arch;

	vmx_nmi_stop(a);
	if (a->nmi_handler) {
		unregister_nmi_handler(NMI_LOCAL, KBUILD_MODNAME);
		a->nmi_handler = false;
	}
	if (a->vmxon) {
		vmx_unplant(a);
		do_vmclear(a->vmcs_frame->hpa);
		asm volatile("vmxoff" ::: "cc", "memory");
		a->vmxon = false;
	}
	if (a->cr4_vmxe) {
		cr4_clear_bits(X86_CR4_VMXE);
		a->cr4_vmxe = false;
	}
}

/*
 * The core owes a flush: INVEPT for the EPTP before this entry. Counted,
 * so that an entry can tell whether every flush asked for was done.
 * plant=noinvept skips the first one asked for once the guest has run
 * (the one before the first entry is for a fresh context; the next ones
 * answer axas's flush callback), as a VMM with a forgotten path would.
 */
static int vmx_flush(void *arch)
{
	struct vmx_arch *a = arch;

	a->flushes_asked++;
	if (a->plant == PLANT_NOINVEPT && a->launched && !a->plant_skipped) {
		a->plant_skipped = true;
		return 0;
	}
	if (!vmx_invept(a))
		return -EIO;
	a->flushes_done = a->flushes_asked;
	return 0;
}

/*
 * plant=memtype7|wonly: once the guest has announced scenario 2, corrupt
 * the 4 KiB leaf of G_SHARED, which it writes next, by writing the entry
 * directly, as a buggy VMM would.
 */
static void vmx_plant_leaf(struct vmx_arch *a)
{
	u64 *e = vmx_ept_entry(a, G_SHARED, 0);
	u64 v;

	a->plant_armed = false;
	if (!e)
		return;
	v = READ_ONCE(*e);
	a->plant_pa = virt_to_phys(e);
	a->plant_old = v;
	if (a->plant == PLANT_MEMTYPE7)
		v |= EPTE_MT;
	else
		v = (v & ~(EPTE_R | EPTE_X)) | EPTE_W;
	WRITE_ONCE(*e, v);
}

/*
 * What is wrong with an EPT entry by the SDM's rules for an EPT
 * misconfiguration (29.3.3.1, as Bochs checks them); NULL when nothing.
 */
static const char *vmx_ept_problem(struct vmx_arch *a, u64 e, int level, bool leaf)
{
	u64 mt = FIELD_GET(EPTE_MT, e);

	if (!(e & EPTE_RWX))
		return NULL;
	if ((e & EPTE_W) && !(e & EPTE_R))
		return "write without read";
	if ((e & EPTE_RWX) == EPTE_X && !(a->ept_cap & BIT_ULL(0)))
		return "execute-only without the capability";
	if (leaf && (mt == 2 || mt == 3 || mt == 7))
		return "reserved memory type";
	if (!leaf && (e & GENMASK_ULL(6, 3)))
		return "bits 3-6 set in a table entry";
	if (level == 3 && (e & EPTE_PS))
		return "page size in a PML4E";
	if (e & GENMASK_ULL(51, boot_cpu_data.x86_phys_bits))
		return "address bits beyond MAXPHYADDR";
	return NULL;
}

/* An EPT misconfiguration: the walk of its GPA, down to the bad entry. */
static void vmx_misconfig(struct vmx_arch *a, struct vmm_exit *x)
{
	static const char *const name[] = { "PTE", "PDE", "PDPTE", "PML4E", "PML5E" };
	u64 gpa = vmcs_read(GUEST_PHYSICAL_ADDRESS);
	u64 *table = phys_to_virt(a->eptp & EPTE_ADDR);
	size_t n, len = sizeof(x->why);
	int level;

	x->kind = VMM_EXIT_FATAL;
	n = scnprintf(x->why, len, "EPT misconfiguration at %#llx:", gpa);
	for (level = a->levels - 1; level >= 0; level--) {
		unsigned int i = (gpa >> (12 + 9 * level)) & 511;
		u64 e = table[i];
		bool leaf = !level || (e & EPTE_PS);
		const char *bad = vmx_ept_problem(a, e, level, leaf);

		n += scnprintf(x->why + n, len - n, " %s[%u]=%#llx", name[level], i, e);
		if (bad) {
			scnprintf(x->why + n, len - n, ": %s (R%u W%u X%u, memory type %llu)",
				  bad, !!(e & EPTE_R), !!(e & EPTE_W), !!(e & EPTE_X),
				  FIELD_GET(EPTE_MT, e));
			return;
		}
		if (leaf || !(e & EPTE_RWX))
			break;
		table = phys_to_virt(e & EPTE_ADDR);
	}
	scnprintf(x->why + n, len - n, ": no entry the rules reject");
}

static void vmx_decode_violation(struct vmm_exit *x)
{
	u64 qual = vmcs_read(EXIT_QUALIFICATION);
	u64 gpa = vmcs_read(GUEST_PHYSICAL_ADDRESS);
	struct axas_exit_fault f;

	if (axas_decode_ept_violation(qual, gpa, false, &f)) {
		x->kind = VMM_EXIT_FATAL;
		snprintf(x->why, sizeof(x->why),
			 "EPT violation qualification %#llx at %#llx names no access", qual, gpa);
		return;
	}
	x->kind = VMM_EXIT_FAULT;
	x->fault.gpa = f.gpa;
	x->fault.access = f.access;
	x->fault.flags = f.flags;
	x->fault.rights = (qual & QUAL_READABLE ? AXAS_PROT_READ : 0) |
			  (qual & QUAL_WRITABLE ? AXAS_PROT_WRITE : 0) |
			  (qual & QUAL_EXECUTABLE ? AXAS_PROT_EXEC : 0);
	x->fault.raw = qual;
}

static u64 *vmx_gpr(struct vmx_arch *a, unsigned int n, u64 *rsp)
{
	return n == RSP ? rsp : &a->regs.gpr[n];
}

/*
 * MOV to CR0 or CR4: checked against what the CPU allows, EFER.LMA and
 * "IA-32e mode guest" following CR0.PG with EFER.LME. The MOV the guest
 * ran does not reach the CPU, which would have dropped the guest's TLB
 * entries for a change of its paging mode or of CR4.PGE (Linux flushes
 * its global entries so): INVVPID does. Returns NULL, or what stops the
 * guest (where hardware would raise #GP).
 */
static const char *vmx_mov_to_cr(struct vmx_arch *a, unsigned int cr, u64 val)
{
	u64 cr4 = vmcs_read(CR4_READ_SHADOW);
	u64 old = cr ? cr4 : vmcs_read(CR0_READ_SHADOW);
	u64 flushing = cr ? X86_CR4_PGE | X86_CR4_PAE | X86_CR4_PSE |
			    X86_CR4_SMEP | X86_CR4_SMAP :
			    X86_CR0_PG | X86_CR0_WP | X86_CR0_PE;
	bool pg = val & X86_CR0_PG;

	if ((cr == 0 || cr == 4) && ((old ^ val) & flushing))
		vmx_invvpid(a);
	if (cr == 4) {
		if ((val | X86_CR4_VMXE) & ~a->cr4_fixed1 || (val & X86_CR4_VMXE) ||
		    (a->own_cpu && (val & CR4_NOT_OFFERED)))
			return "CR4 value the VMM does not allow";
		if (!(val & X86_CR4_PAE) && (a->efer & EFER_LMA))
			return "CR4.PAE cleared in long mode";
		vmcs_write(CR4_READ_SHADOW, val);
		vmcs_write(GUEST_CR4, vmx_real_cr4(a, val));
		return NULL;
	}
	if (cr != 0)
		return "MOV to a control register other than CR0 and CR4";
	if ((pg && !(val & X86_CR0_PE)) || (val & ~a->cr0_fixed1))
		return "CR0 value the CPU does not allow";
	if (pg && (a->efer & EFER_LME) && !(cr4 & X86_CR4_PAE))
		return "CR0.PG with EFER.LME but without CR4.PAE";
	if (pg && (a->efer & EFER_LME))
		a->efer |= EFER_LMA;
	else
		a->efer &= ~EFER_LMA;
	if (a->efer & EFER_LMA)
		a->entry_ctl |= VM_ENTRY_IA32E_MODE;
	else
		a->entry_ctl &= ~VM_ENTRY_IA32E_MODE;
	vmcs_write(VM_ENTRY_CONTROLS, a->entry_ctl);
	vmcs_write(GUEST_IA32_EFER, a->efer);
	vmcs_write(CR0_READ_SHADOW, val);
	vmcs_write(GUEST_CR0, vmx_real_cr0(a, val));
	return NULL;
}

/* The guest's EFER: its only MSR. Returns NULL, or what stops the guest. */
static const char *vmx_efer(struct vmx_arch *a, bool write)
{
	u64 val = (a->regs.gpr[2] << 32) | (u32)a->regs.gpr[0];

	if ((u32)a->regs.gpr[1] != MSR_EFER)
		return write ? "WRMSR to an MSR other than EFER" :
			       "RDMSR of an MSR other than EFER";
	if (!write) {
		a->regs.gpr[0] = (u32)a->efer;
		a->regs.gpr[2] = a->efer >> 32;
		return NULL;
	}
	if (val & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX))
		return "EFER bits the VMM does not allow";
	if ((vmcs_read(CR0_READ_SHADOW) & X86_CR0_PG) &&
	    (val & EFER_LME) != (a->efer & EFER_LME))
		return "EFER.LME changed with paging on";
	a->efer = (val & ~EFER_LMA) | (a->efer & EFER_LMA);
	vmcs_write(GUEST_IA32_EFER, a->efer);
	return NULL;
}

/* Exits the plumbing handles itself: CR and EFER accesses. */
static void vmx_emulate(struct vmx_arch *a, u32 reason, struct vmm_exit *x,
			u64 *rsp)
{
	u64 qual = vmcs_read(EXIT_QUALIFICATION);
	const char *bad;

	if (reason == EXIT_REASON_CR_ACCESS) {
		if (FIELD_GET(CRQ_TYPE, qual) != CRQ_MOV_TO)
			bad = "CR access other than MOV to CR0/CR4";
		else
			bad = vmx_mov_to_cr(a, FIELD_GET(CRQ_CR, qual),
					    *vmx_gpr(a, FIELD_GET(CRQ_GPR, qual), rsp));
	} else {
		bad = vmx_efer(a, reason == EXIT_REASON_MSR_WRITE);
	}
	if (bad) {
		x->kind = VMM_EXIT_FATAL;
		snprintf(x->why, sizeof(x->why), "%s (exit %u, qualification %#llx, RCX %#llx) at %#llx",
			 bad, reason, qual, a->regs.gpr[1], vmcs_read(GUEST_RIP));
		return;
	}
	x->kind = VMM_EXIT_NONE;
	vmcs_write(GUEST_RIP, vmcs_read(GUEST_RIP) + vmcs_read(VM_EXIT_INSTRUCTION_LEN));
}

/* The exit was caused by an NMI (SDM 28.2.2: exit reason 0, type NMI). */
static bool vmx_exit_nmi(u32 reason)
{
	u32 info;

	if (reason != EXIT_REASON_EXCEPTION_NMI)
		return false;
	info = vmcs_read(VM_EXIT_INTR_INFO);
	return (info & INTR_INFO_VALID_MASK) &&
	       (info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR;
}

/* A machine check taken in guest mode, or during the VM entry. */
static bool vmx_exit_mc(u32 reason)
{
	u32 info;

	if ((u16)reason == EXIT_REASON_MCE_DURING_VMENTRY)
		return true;
	if (reason != EXIT_REASON_EXCEPTION_NMI)
		return false;
	info = vmcs_read(VM_EXIT_INTR_INFO);
	return (info & INTR_INFO_VALID_MASK) &&
	       (info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_HARD_EXCEPTION &&
	       (info & INTR_INFO_VECTOR_MASK) == X86_TRAP_MC;
}

/* The machine check is the host's: its handler, as KVM calls it. */
static void vmx_forward_mc(void)
{
	struct pt_regs regs = { .cs = 3, .flags = X86_EFLAGS_IF };

	if (IS_ENABLED(CONFIG_X86_MCE))
		do_machine_check(&regs);
}

/*
 * An NMI exit: hand the NMI to the host. With "NMI exiting" an NMI that
 * comes in guest mode goes through no IDT: it causes the VM exit, and the
 * CPU leaves NMIs blocked until the next IRET (see KVM's
 * vmx_do_nmi_irqoff()). The host's handlers (perf, the watchdog,
 * backtraces) have not run; a VMM that goes on would lose the NMI.
 *
 * KVM calls the kernel's NMI entry with an interrupt frame it builds
 * (asm_exc_nmi_kvm_vmx), but the kernel exports that entry only when
 * KVM_INTEL is a module. What works on every kernel, with interrupts
 * still disabled and the host state restored: send an NMI to this CPU
 * (apic->send_IPI() to our own APIC ID, NMI delivery mode; not
 * ->send_IPI_self(), which on x2APIC writes the SELF IPI register, fixed
 * delivery only), then IRET to the next instruction (iret_to_self()).
 * The IRET ends the blocking, and the host's own NMI entry takes the NMI
 * through the host's IDT, as any NMI in the kernel.
 *
 * It cannot be lost: it is sent while NMIs are blocked, so the CPU holds
 * it pending until the IRET. It cannot reach the guest: the next VM
 * entry comes after the IRET, and should the IPI still be on its way
 * then, "NMI exiting" turns it into one more NMI exit, forwarded the
 * same way. A second NMI arriving before the IRET is held pending with
 * ours, and the CPU holds one: the two are taken as one NMI, as two
 * NMIs can merge on bare metal; the kernel runs every NMI_LOCAL handler
 * for each NMI and each checks its own source. One arriving during the
 * host's handler is the kernel's nested NMI case, as without a guest.
 */
static void vmx_forward_nmi(struct vmx_arch *a)
{
	u64 intr = vmcs_read(GUEST_INTERRUPTIBILITY_INFO);

	WRITE_ONCE(a->nmi_exits, a->nmi_exits + 1);
	/*
	 * Bochs 2.7 saves "blocking by NMI" as set in the guest's state on
	 * an NMI exit. Without "virtual NMIs" that blocking lasts for the
	 * whole next guest run under "NMI exiting" (SDM 26.6.1): every later
	 * NMI would wait for the next exit for another reason (a timer tick,
	 * or never on a tickless CPU). The guest is never given an NMI, so
	 * no blocking there is its own.
	 */
	if (intr & GUEST_INTR_STATE_NMI)
		vmcs_write(GUEST_INTERRUPTIBILITY_INFO, intr & ~GUEST_INTR_STATE_NMI);
	apic->send_IPI(a->cpu, NMI_VECTOR);
	iret_to_self();
}

/*
 * The OS guest (guest=linux): its exits, MSRs and events. See the top of
 * the file for what it is given; ../vmm handles what reaches it.
 */

/* An exception for the next entry, raised by the plumbing itself. */
static void vmx_queue_exception(struct vmx_arch *a, u8 vector, bool has_err,
				u32 err)
{
	a->event = INTR_INFO_VALID_MASK | INTR_TYPE_HARD_EXCEPTION | vector |
		   (has_err ? INTR_INFO_DELIVER_CODE_MASK : 0);
	a->event_err = err;
}

/* The RIP after the instruction that exited (VMX reports its length). */
static u64 vmx_next_rip(void)
{
	return vmcs_read(GUEST_RIP) + vmcs_read(VM_EXIT_INSTRUCTION_LEN);
}

/*
 * RDMSR or WRMSR of an OS guest: EFER, the MSRs the VMCS holds and the
 * ones the plumbing switches are emulated here (VMM_EXIT_NONE); the others
 * go to the VMM (VMM_EXIT_MSR). FS and GS base pass through the bitmap.
 */
static void vmx_os_msr(struct vmx_arch *a, bool write, struct vmm_exit *x)
{
	u32 index = a->regs.gpr[1];
	u64 val = (a->regs.gpr[2] << 32) | (u32)a->regs.gpr[0];
	unsigned long field = 0;
	bool ok = true;
	int i, g = -1;

	x->next_rip = vmx_next_rip();
	for (i = 0; i < GMSRS; i++)
		if (vmx_gmsr_index[i] == index)
			g = i;
	switch (index) {
	case MSR_EFER:
		x->what = "efer";
		break;
	case MSR_IA32_CR_PAT:
		x->what = "pat";
		field = GUEST_IA32_PAT;
		ok = !write || vmm_pat_ok(val);
		break;
	case MSR_IA32_SYSENTER_CS:
		x->what = "sysenter_cs";
		field = GUEST_SYSENTER_CS;
		break;
	case MSR_IA32_SYSENTER_ESP:
		x->what = "sysenter_esp";
		field = GUEST_SYSENTER_ESP;
		ok = !write || !vmm_noncanonical(val);
		break;
	case MSR_IA32_SYSENTER_EIP:
		x->what = "sysenter_eip";
		field = GUEST_SYSENTER_EIP;
		ok = !write || !vmm_noncanonical(val);
		break;
	case MSR_IA32_DEBUGCTLMSR:
		/* No LBR, no BTF: nothing to turn on. */
		x->what = "debugctl";
		field = GUEST_IA32_DEBUGCTL;
		ok = !write || !val;
		break;
	default:
		if (g < 0) {
			x->kind = VMM_EXIT_MSR;
			x->msr.index = index;
			x->msr.write = write;
			return;
		}
		x->what = vmx_gmsr_name[g];
		ok = !write || g == GMSR_STAR || g == GMSR_SFMASK ||
		     !vmm_noncanonical(val);
		break;
	}
	x->kind = VMM_EXIT_NONE;
	if (index == MSR_EFER)
		ok = !vmx_efer(a, write);
	else if (!ok)
		;
	else if (!write)
		val = field ? vmcs_read(field) : a->gmsr[g];
	else if (field)
		vmcs_write(field, val);
	else
		a->gmsr[g] = val;
	if (!ok) {
		vmx_queue_exception(a, X86_TRAP_GP, true, 0);
		return;
	}
	if (!write && index != MSR_EFER) {
		a->regs.gpr[0] = (u32)val;
		a->regs.gpr[2] = val >> 32;
	}
	vmcs_write(GUEST_RIP, x->next_rip);
}

/*
 * A CR access of an OS guest: MOV to CR0 and CR4 (emulated against the
 * fixed bits and what its CPU offers; #GP where hardware would raise it),
 * MOV to or from CR3 (where the CPU requires the exit), CLTS. CR8 is not
 * emulated (Linux does not use it).
 */
static void vmx_os_cr(struct vmx_arch *a, struct vmm_exit *x, u64 *rsp)
{
	u64 qual = vmcs_read(EXIT_QUALIFICATION);
	unsigned int cr = FIELD_GET(CRQ_CR, qual);
	u64 *gpr = vmx_gpr(a, FIELD_GET(CRQ_GPR, qual), rsp);
	u64 cr0;

	x->kind = VMM_EXIT_NONE;
	switch (FIELD_GET(CRQ_TYPE, qual)) {
	case CRQ_MOV_TO:
		if (cr == 3) {
			x->what = "cr3";
			vmcs_write(GUEST_CR3, *gpr);
			break;
		}
		if (cr != 0 && cr != 4)
			goto fatal;
		x->what = cr ? "cr4" : "cr0";
		if (vmx_mov_to_cr(a, cr, *gpr)) {
			vmx_queue_exception(a, X86_TRAP_GP, true, 0);
			return;
		}
		break;
	case CRQ_MOV_FROM:
		if (cr != 3)
			goto fatal;
		x->what = "cr3";
		*gpr = vmcs_read(GUEST_CR3);
		break;
	case CRQ_CLTS:
		x->what = "clts";
		cr0 = vmcs_read(CR0_READ_SHADOW) & ~X86_CR0_TS;
		vmcs_write(CR0_READ_SHADOW, cr0);
		vmcs_write(GUEST_CR0, vmx_real_cr0(a, cr0));
		break;
	default:
		goto fatal;
	}
	vmcs_write(GUEST_RIP, vmx_next_rip());
	return;
fatal:
	x->kind = VMM_EXIT_FATAL;
	snprintf(x->why, sizeof(x->why), "CR access not emulated (qualification %#llx) at %#llx",
		 qual, vmcs_read(GUEST_RIP));
}

/*
 * The exits of an OS guest that differ from the demo's, as KVM's
 * kvm_vmx_exit_handlers[] would take them. Return: false for the ones
 * vmx_decode() handles alike for both (EPT, interrupts, NMIs).
 */
static bool vmx_decode_os(struct vmx_arch *a, u32 reason, struct vmm_exit *x,
			  u64 *rsp)
{
	u64 qual = vmcs_read(EXIT_QUALIFICATION);
	u32 info;

	switch ((u16)reason) {
	case EXIT_REASON_EXCEPTION_NMI:
		info = vmcs_read(VM_EXIT_INTR_INFO);
		if ((info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR)
			return false;
		x->kind = VMM_EXIT_NONE;
		/* #MC went to the host's handler (vmx_run()); #AC is reflected. */
		if ((info & INTR_INFO_VECTOR_MASK) == X86_TRAP_MC) {
			x->what = "#MC";
			return true;
		}
		x->what = "#AC";
		vmx_queue_exception(a, X86_TRAP_AC, true,
				    vmcs_read(VM_EXIT_INTR_ERROR_CODE));
		return true;
	case EXIT_REASON_TRIPLE_FAULT:
		x->kind = VMM_EXIT_SHUTDOWN;
		snprintf(x->why, sizeof(x->why),
			 "IDT-vectoring info %#llx/%#llx, injected %#x, interruptibility %#llx, CR0 %#llx CR3 %#llx CR4 %#llx, RSP %#llx, RFLAGS %#llx, CS %#llx SS %#llx TR %#llx@%#llx, IDTR %#llx/%#llx, GDTR %#llx/%#llx",
			 vmcs_read(IDT_VECTORING_INFO_FIELD),
			 vmcs_read(IDT_VECTORING_ERROR_CODE), a->entry_event,
			 vmcs_read(GUEST_INTERRUPTIBILITY_INFO),
			 vmcs_read(GUEST_CR0), vmcs_read(GUEST_CR3),
			 vmcs_read(GUEST_CR4), *rsp, vmcs_read(GUEST_RFLAGS),
			 vmcs_read(GUEST_CS_SELECTOR), vmcs_read(GUEST_SS_SELECTOR),
			 vmcs_read(GUEST_TR_SELECTOR), vmcs_read(GUEST_TR_BASE),
			 vmcs_read(GUEST_IDTR_BASE), vmcs_read(GUEST_IDTR_LIMIT),
			 vmcs_read(GUEST_GDTR_BASE), vmcs_read(GUEST_GDTR_LIMIT));
		return true;
	case EXIT_REASON_INTERRUPT_WINDOW:
		x->kind = VMM_EXIT_IRQ_WINDOW;
		return true;
	case EXIT_REASON_CPUID:
		x->kind = VMM_EXIT_CPUID;
		x->next_rip = vmx_next_rip();
		return true;
	case EXIT_REASON_HLT:
		x->kind = VMM_EXIT_HALT;
		x->next_rip = vmx_next_rip();
		return true;
	case EXIT_REASON_IO_INSTRUCTION:
		x->kind = VMM_EXIT_IO;
		x->io.port = qual >> 16;
		x->io.size = (qual & 7) + 1;
		x->io.in = qual & BIT(3);
		x->io.string = qual & IOQ_STRING;
		x->io.rep = qual & IOQ_REP;
		x->next_rip = vmx_next_rip();
		return true;
	case EXIT_REASON_MSR_READ:
	case EXIT_REASON_MSR_WRITE:
		vmx_os_msr(a, reason == EXIT_REASON_MSR_WRITE, x);
		return true;
	case EXIT_REASON_DR_ACCESS:
		x->kind = VMM_EXIT_DR;
		x->dr.n = FIELD_GET(DRQ_N, qual);
		x->dr.write = !(qual & DRQ_FROM);
		x->dr.gpr = FIELD_GET(DRQ_GPR, qual);
		x->next_rip = vmx_next_rip();
		return true;
	case EXIT_REASON_CR_ACCESS:
		vmx_os_cr(a, x, rsp);
		return true;
	case EXIT_REASON_WBINVD:
	case EXIT_REASON_INVD:
		/* No device's DMA would need them. */
		x->kind = VMM_EXIT_NONE;
		x->what = (u16)reason == EXIT_REASON_WBINVD ? "wbinvd" : "invd";
		vmcs_write(GUEST_RIP, vmx_next_rip());
		return true;
	case EXIT_REASON_RDPMC:
		/* No performance counter is offered. */
		x->kind = VMM_EXIT_NONE;
		x->what = "rdpmc #GP";
		vmx_queue_exception(a, X86_TRAP_GP, true, 0);
		return true;
	case EXIT_REASON_VMCALL ... EXIT_REASON_VMON:
	case EXIT_REASON_INVEPT:
	case EXIT_REASON_INVVPID:
	case EXIT_REASON_VMFUNC:
	case EXIT_REASON_MONITOR_INSTRUCTION:
	case EXIT_REASON_MWAIT_INSTRUCTION:
	case EXIT_REASON_XSETBV:
	case EXIT_REASON_GETSEC:
		/* Not offered: no nested VMX, no MONITOR/MWAIT, no XSAVE. */
		x->kind = VMM_EXIT_NONE;
		x->what = "#UD";
		vmx_queue_exception(a, X86_TRAP_UD, false, 0);
		return true;
	}
	return false;
}

/*
 * What the next entry delivers, in the order the CPU would take them: an
 * event the plumbing queued (an exception it raised, or one whose
 * delivery the last exit interrupted), the VMM's exception, then the
 * VMM's interrupt if the guest can take one now (RFLAGS.IF set, no
 * blocking by STI or MOV SS); otherwise interrupt-window exiting, which
 * exits as soon as it can, as KVM's enable_irq_window() does.
 */
static void vmx_inject(struct vmx_arch *a, struct vmm_regs *v)
{
	struct vmm_event *e = &v->exception;
	u32 cpu = a->cpu_ctl & ~CPU_BASED_INTR_WINDOW_EXITING;
	u32 info;

	v->irq_injected = false;
	v->irq_window = false;
	if (!a->event && e->pending) {
		vmx_queue_exception(a, e->vector, e->has_error, e->error);
		e->pending = false;
	}
	info = a->event;
	if (v->irq >= 0 && !info &&
	    (vmcs_read(GUEST_RFLAGS) & X86_EFLAGS_IF) &&
	    !(vmcs_read(GUEST_INTERRUPTIBILITY_INFO) & INTR_SHADOW)) {
		info = INTR_INFO_VALID_MASK | INTR_TYPE_EXT_INTR | v->irq;
		v->irq_injected = true;
	} else if (v->irq >= 0) {
		cpu |= CPU_BASED_INTR_WINDOW_EXITING;
		v->irq_window = true;
	}
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, info);
	a->entry_event = info;
	if (info & INTR_INFO_DELIVER_CODE_MASK)
		vmcs_write(VM_ENTRY_EXCEPTION_ERROR_CODE, a->event_err);
	vmcs_write(CPU_BASED_VM_EXEC_CONTROL, cpu);
	a->event = 0;
}

/*
 * An event whose delivery the exit interrupted (IDT-vectoring
 * information) is delivered again at the next entry, as KVM's
 * vmx_complete_interrupts() does; a software interrupt or exception is
 * not: RIP still points at its instruction, which runs again.
 */
static void vmx_complete_events(struct vmx_arch *a)
{
	u32 info = vmcs_read(IDT_VECTORING_INFO_FIELD);
	u32 type = info & INTR_INFO_INTR_TYPE_MASK;

	if (!(info & VECTORING_INFO_VALID_MASK) || type == INTR_TYPE_SOFT_INTR ||
	    type == INTR_TYPE_SOFT_EXCEPTION || type == INTR_TYPE_PRIV_SW_EXCEPTION)
		return;
	a->event = info & (INTR_INFO_VALID_MASK | INTR_INFO_INTR_TYPE_MASK |
			   INTR_INFO_DELIVER_CODE_MASK | INTR_INFO_VECTOR_MASK);
	if (info & VECTORING_INFO_DELIVER_CODE_MASK)
		a->event_err = vmcs_read(IDT_VECTORING_ERROR_CODE);
}

static void vmx_decode(struct vmx_arch *a, u32 reason, struct vmm_exit *x, u64 *rsp)
{
	u64 qual = vmcs_read(EXIT_QUALIFICATION);
	u64 rip = vmcs_read(GUEST_RIP);
	u32 info;

	if (reason & VMX_EXIT_REASONS_FAILED_VMENTRY) {
		x->kind = VMM_EXIT_FATAL;
		snprintf(x->why, sizeof(x->why),
			 "VM entry failed: exit reason %#x, qualification %#llx", reason, qual);
		return;
	}
	if (a->own_cpu && vmx_decode_os(a, reason, x, rsp))
		return;
	switch ((u16)reason) {
	case EXIT_REASON_EPT_VIOLATION:
		vmx_decode_violation(x);
		return;
	case EXIT_REASON_EPT_MISCONFIG:
		vmx_misconfig(a, x);
		return;
	case EXIT_REASON_VMCALL:
		x->kind = VMM_EXIT_HYPERCALL;
		/* The guest announced scenario 2: plant the leaf now. */
		if ((a->plant == PLANT_MEMTYPE7 || a->plant == PLANT_WONLY) &&
		    !a->plant_pa && a->regs.gpr[0] == HC_BEGIN && a->regs.gpr[3] == 2)
			a->plant_armed = true;
		/* The guest began NMI_SCENARIO: the sender starts. */
		if (a->regs.gpr[0] == HC_BEGIN && a->regs.gpr[3] == NMI_SCENARIO &&
		    a->nmi_sender) {
			WRITE_ONCE(a->nmi_on, true);
			wake_up_process(a->nmi_sender);
		}
		return;
	case EXIT_REASON_EXTERNAL_INTERRUPT:
		x->kind = VMM_EXIT_INTR;
		return;
	case EXIT_REASON_EXCEPTION_NMI:
		/* An NMI: vmx_run() forwarded it to the host already. */
		if (vmx_exit_nmi(reason)) {
			x->kind = VMM_EXIT_INTR;
			return;
		}
		break;
	case EXIT_REASON_HLT:
		x->kind = VMM_EXIT_HALT;
		return;
	case EXIT_REASON_IO_INSTRUCTION:
		x->kind = VMM_EXIT_IO;
		x->io.port = qual >> 16;
		x->io.size = (qual & 7) + 1;
		x->io.in = qual & BIT(3);
		return;
	case EXIT_REASON_CR_ACCESS:
	case EXIT_REASON_MSR_READ:
	case EXIT_REASON_MSR_WRITE:
		vmx_emulate(a, reason, x, rsp);
		return;
	}
	x->kind = VMM_EXIT_FATAL;
	switch ((u16)reason) {
	case EXIT_REASON_EXCEPTION_NMI:
		info = vmcs_read(VM_EXIT_INTR_INFO);
		snprintf(x->why, sizeof(x->why),
			 "guest exception %u at %#llx, error code %#llx, qualification %#llx",
			 info & INTR_INFO_VECTOR_MASK, rip,
			 vmcs_read(VM_EXIT_INTR_ERROR_CODE), qual);
		break;
	case EXIT_REASON_TRIPLE_FAULT:
		snprintf(x->why, sizeof(x->why), "the guest shut down (triple fault) at %#llx", rip);
		break;
	case EXIT_REASON_VMCLEAR ... EXIT_REASON_VMON:
	case EXIT_REASON_INVEPT:
	case EXIT_REASON_INVVPID:
	case EXIT_REASON_VMFUNC:
		snprintf(x->why, sizeof(x->why), "the guest ran a VMX instruction (exit %u) at %#llx",
			 reason, rip);
		break;
	default:
		snprintf(x->why, sizeof(x->why), "unexpected exit %u, qualification %#llx at %#llx",
			 reason, qual, rip);
		break;
	}
}

/* Host state that VMX does not switch: saved before the entry. */
struct vmx_host_extra {
	struct desc_ptr gdt, idt;
	u64 kernel_gs_base;
	u64 debugctl;
	unsigned long dr7;
	u16 ds, es;
};

static void vmx_fxrstor(const struct vmm_fpu *fpu)
{
	asm volatile("fxrstorq %0" : : "m" (*fpu));
}

static void vmx_fxsave(struct vmm_fpu *fpu)
{
	asm volatile("fxsaveq %0" : "=m" (*fpu));
}

/*
 * Interrupts are disabled: one VM entry, the exit decoded. An OS guest's
 * TSC offset, events, SYSCALL MSRs, KERNEL_GS_BASE and x87/SSE registers
 * go in before the entry and come out after it.
 */
static void vmx_run(void *arch, struct vmm_regs *v, struct vmm_exit *x)
{
	struct vmx_arch *a = arch;
	struct vmx_host_extra h;
	unsigned int i;
	u64 rsp;
	u32 reason;
	int failed;

	memset(x, 0, sizeof(*x));
	/* The plumbing's own flush accounting: nothing may be owed here. */
	if (a->flushes_done != a->flushes_asked) {
		x->kind = VMM_EXIT_FATAL;
		snprintf(x->why, sizeof(x->why),
			 "a flush is owed at VM entry: %llu asked for, %llu INVEPTs done",
			 a->flushes_asked, a->flushes_done);
		return;
	}
	if (a->plant_armed)
		vmx_plant_leaf(a);
	memcpy(a->regs.gpr, v->gpr, sizeof(a->regs.gpr));
	vmcs_write(GUEST_RSP, v->gpr[RSP]);
	vmcs_write(GUEST_RIP, v->rip);
	vmcs_write(HOST_CR3, __read_cr3());
	vmcs_write(HOST_CR4, cr4_read_shadow());
	native_store_gdt(&h.gdt);
	store_idt(&h.idt);
	savesegment(ds, h.ds);
	savesegment(es, h.es);
	rdmsrl(MSR_KERNEL_GS_BASE, h.kernel_gs_base);
	rdmsrl(MSR_IA32_DEBUGCTLMSR, h.debugctl);
	get_debugreg(h.dr7, 7);
	/* SWAPGS in the guest must not reach the host's value. */
	if (a->own_cpu) {
		vmcs_write(TSC_OFFSET, v->tsc_offset);
		vmx_inject(a, v);
		for (i = 0; i < GMSRS; i++)
			wrmsrl(vmx_gmsr_index[i], a->gmsr[i]);
	} else {
		wrmsrl(MSR_KERNEL_GS_BASE, 0);
	}

	kernel_fpu_begin();
	if (v->fpu)
		vmx_fxrstor(v->fpu);
	/* Before in_guest: the NMI sender reads them in the other order. */
	WRITE_ONCE(a->entries, a->entries + 1);
	WRITE_ONCE(a->in_guest, true);
	failed = axas_vmx_enter(&a->regs, a->launched);
	WRITE_ONCE(a->in_guest, false);
	if (v->fpu)
		vmx_fxsave(v->fpu);
	kernel_fpu_end();

	if (a->own_cpu) {
		rdmsrl(MSR_KERNEL_GS_BASE, a->gmsr[GMSR_KGS]);
		for (i = 0; i < GMSR_KGS; i++)
			wrmsrl(vmx_gmsr_index[i], a->hmsr[i]);
	}
	wrmsrl(MSR_KERNEL_GS_BASE, h.kernel_gs_base);
	if (h.debugctl)
		wrmsrl(MSR_IA32_DEBUGCTLMSR, h.debugctl);
	if (h.dr7 != 0x400)
		set_debugreg(h.dr7, 7);
	/* A VM exit leaves both limits at 0xffff. */
	native_load_gdt(&h.gdt);
	load_idt(&h.idt);
	if (h.ds)
		loadsegment(ds, h.ds);
	if (h.es)
		loadsegment(es, h.es);
	if (failed) {
		x->kind = VMM_EXIT_FATAL;
		snprintf(x->why, sizeof(x->why), "VM%s failed: VM-instruction error %llu",
			 a->launched ? "RESUME" : "LAUNCH", vmcs_read(VM_INSTRUCTION_ERROR));
		return;
	}
	a->launched = true;
	reason = vmcs_read(VM_EXIT_REASON);
	if (vmx_exit_nmi(reason))
		vmx_forward_nmi(a);
	else if (vmx_exit_mc(reason))
		vmx_forward_mc();
	if (a->own_cpu)
		vmx_complete_events(a);
	rsp = vmcs_read(GUEST_RSP);
	vmx_decode(a, reason, x, &rsp);
	vmcs_write(GUEST_RSP, rsp);

	memcpy(v->gpr, a->regs.gpr, sizeof(v->gpr));
	v->gpr[RSP] = rsp;
	v->rip = vmcs_read(GUEST_RIP);
	v->rflags = vmcs_read(GUEST_RFLAGS);
	v->cr0 = vmcs_read(CR0_READ_SHADOW);
	v->cr3 = vmcs_read(GUEST_CR3);
	v->cr4 = vmcs_read(CR4_READ_SHADOW);
	v->efer = a->efer;
	v->cpl = (vmcs_read(GUEST_SS_AR_BYTES) >> 5) & 3;
}

/*
 * The VMCS fields vmx_save() keeps: the guest-state area an OS guest
 * changes, the CR0/CR4 read shadows, and the VM-entry controls (IA-32e
 * mode follows the guest's EFER.LMA).
 */
static const u32 vmx_state_fields[] = {
	GUEST_ES_SELECTOR, GUEST_ES_LIMIT, GUEST_ES_AR_BYTES, GUEST_ES_BASE,
	GUEST_CS_SELECTOR, GUEST_CS_LIMIT, GUEST_CS_AR_BYTES, GUEST_CS_BASE,
	GUEST_SS_SELECTOR, GUEST_SS_LIMIT, GUEST_SS_AR_BYTES, GUEST_SS_BASE,
	GUEST_DS_SELECTOR, GUEST_DS_LIMIT, GUEST_DS_AR_BYTES, GUEST_DS_BASE,
	GUEST_FS_SELECTOR, GUEST_FS_LIMIT, GUEST_FS_AR_BYTES, GUEST_FS_BASE,
	GUEST_GS_SELECTOR, GUEST_GS_LIMIT, GUEST_GS_AR_BYTES, GUEST_GS_BASE,
	GUEST_LDTR_SELECTOR, GUEST_LDTR_LIMIT, GUEST_LDTR_AR_BYTES, GUEST_LDTR_BASE,
	GUEST_TR_SELECTOR, GUEST_TR_LIMIT, GUEST_TR_AR_BYTES, GUEST_TR_BASE,
	GUEST_GDTR_BASE, GUEST_GDTR_LIMIT, GUEST_IDTR_BASE, GUEST_IDTR_LIMIT,
	GUEST_CR0, GUEST_CR3, GUEST_CR4, CR0_READ_SHADOW, CR4_READ_SHADOW,
	GUEST_DR7, GUEST_RFLAGS, GUEST_RSP, GUEST_RIP, GUEST_IA32_EFER,
	GUEST_IA32_PAT, GUEST_IA32_DEBUGCTL, GUEST_SYSENTER_CS,
	GUEST_SYSENTER_ESP, GUEST_SYSENTER_EIP, GUEST_INTERRUPTIBILITY_INFO,
	GUEST_ACTIVITY_STATE, GUEST_PENDING_DBG_EXCEPTIONS, VM_ENTRY_CONTROLS,
};

/* What vmx_save() keeps: those fields, and what the plumbing holds. */
struct vmx_state {
	u64 field[ARRAY_SIZE(vmx_state_fields)];
	u64 efer;
	u64 gmsr[GMSRS];
	u32 event;
	u32 event_err;
};

static void vmx_save(void *arch, void *state)
{
	struct vmx_arch *a = arch;
	struct vmx_state *st = state;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vmx_state_fields); i++)
		st->field[i] = vmcs_read(vmx_state_fields[i]);
	st->efer = a->efer;
	memcpy(st->gmsr, a->gmsr, sizeof(st->gmsr));
	st->event = a->event;
	st->event_err = a->event_err;
}

/*
 * With another space's EPTP, the translations cached for the previous
 * one are dropped first (INVEPT for it): its root page goes back to the
 * host, and a later space whose root it becomes must not find them.
 * The VMM's flush before the next entry invalidates for the new EPTP.
 */
static int vmx_load(void *arch, const void *state, u64 root)
{
	struct vmx_arch *a = arch;
	const struct vmx_state *st = state;
	unsigned int i;

	if (root != a->eptp) {
		if (!vmx_invept(a))
			return -EIO;
		a->eptp = root;
		vmcs_write(EPT_POINTER, a->eptp);
	}
	for (i = 0; i < ARRAY_SIZE(vmx_state_fields); i++)
		vmcs_write(vmx_state_fields[i], st->field[i]);
	a->entry_ctl = vmcs_read(VM_ENTRY_CONTROLS);
	a->efer = st->efer;
	memcpy(a->gmsr, st->gmsr, sizeof(a->gmsr));
	a->event = st->event;
	a->event_err = st->event_err;
	return 0;
}

static const struct vmm_arch vmx_ops = {
	.setup = vmx_setup,
	.enable = vmx_enable,
	.flush = vmx_flush,
	.state_size = sizeof(struct vmx_state),
	.save = vmx_save,
	.load = vmx_load,
	.run = vmx_run,
	.disable = vmx_disable,
	.teardown = vmx_teardown,
	.check = vmx_check,
};

static bool vmx_linux;

static int __init axas_vmx_init(void)
{
	if (!strcmp(guest, "linux")) {
		vmx_linux = true;
		return vmm_linux_main(&vmx_ops);
	}
	if (strcmp(guest, "demo"))
		return -EINVAL;
	return demo_main(&vmx_ops);
}

/* Stops the guest if it still runs, and frees it. */
static void __exit axas_vmx_exit_module(void)
{
	if (vmx_linux)
		vmm_linux_end();
	else
		demo_end();
}

module_init(axas_vmx_init);
module_exit(axas_vmx_exit_module);
MODULE_DESCRIPTION("Minimal VMX hypervisors running a scripted guest or Linux on axas EPT tables");
MODULE_LICENSE("GPL");
AXAS_IMPORT_NS();
