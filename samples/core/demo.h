/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sample VMM's core and the CPU plumbing under it.
 *
 * The core (samples/core: core.c, scenarios.c) is the part of the sample
 * that uses axas: it creates the space, maps the guest's memory, loads the
 * guest program (guest.S), runs the scenarios the guest announces,
 * predicts every nested fault from axas's own tables, and prints the
 * report. It owns the vCPU
 * kthread and the run loop. Everything that differs between AMD SVM
 * (samples/svm) and Intel VMX (samples/vmx) sits behind &struct demo_arch:
 * turning virtualization on, the control block (VMCB, VMCS), one guest
 * entry, and decoding the exit into &struct demo_exit.
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
 * it returns; its module_exit must call demo_end():
 *
 *	static int __init axas_vmx_init(void)
 *	{
 *		return demo_main(&vmx_ops);
 *	}
 *
 *	static void __exit axas_vmx_exit(void)
 *	{
 *		demo_end();
 *	}
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
 * Sequence (steps 1-2 in demo_main(), 3-5 on one bound kthread, 6 in
 * demo_end()):
 *
 *  1. ops->setup(): process context, any CPU. Check the CPU, allocate the
 *     control block, fill &struct demo_arch_info (table format and levels
 *     for axas, capabilities, hypercall instruction, report line). Return
 *     the arch's context (or an ERR_PTR; -ENODEV: no such CPU, the module
 *     load fails).
 *  2. The core creates the space with info->pt, maps the guest's memory
 *     and writes the guest binary built for info->hypercall.
 *  3. On the kthread (bound to one CPU): ops->enable() turns
 *     virtualization on (SVM: EFER.SVME and VM_HSAVE_PA; VMX: VMXON) and
 *     writes the control block: the nested root @root (nCR3, or the EPTP's
 *     address) and the guest's initial state demo_guest_entry (below).
 *  4. Run loop, per entry, with interrupts disabled: if a flush is owed,
 *     ops->flush(); then ops->run() enters the guest once and decodes the
 *     exit into &struct demo_exit and the registers into &struct
 *     demo_vcpu. The core handles the exit with interrupts enabled.
 *     When the guest reports a scenario, ops->check() (optional) adds
 *     the arch's own checks of it. Before each entry the core also checks
 *     for a stop request from demo_end(), posted and kicked like a flush
 *     request.
 *  5. When the guest halts after its last scenario, fails, times out or is
 *     asked to stop: ops->disable() on the same CPU (every MSR changed is
 *     restored), the report, the space shut down and destroyed, then
 *     ops->teardown() (the kthread is in process context). A setup that
 *     fails frees what it allocated itself; teardown follows a successful
 *     setup only. When setup fails, demo_main() prints the report itself
 *     and nothing runs.
 *  6. module_exit: demo_end() posts the stop request, kicks the vCPU out of
 *     guest mode with the flush path's IPI if it is there, and waits for
 *     the kthread (kthread_stop()) to end step 5.
 *
 * Flush contract: axas calls the core's flush callback for every
 * reduction of rights (protect, unmap, dirty harvest, snapshot restore);
 * the core posts a request and, when the vCPU is in guest mode, kicks it
 * with an IPI and waits. Before the next entry the core calls ops->flush(),
 * which must make the next entry see no translation cached before it
 * (SVM: TLB control "flush this ASID" in the VMCB for that VMRUN; VMX:
 * INVEPT single-context, or all-context). ops->flush() returns 0, or an
 * errno when it could not flush: the core stops the guest with a FAIL, so
 * an entry never happens with a flush owed.
 *
 * Hypercall instruction: the guest is assembled twice from guest.S, once
 * with VMMCALL (0f 01 d9) and once with VMCALL (0f 01 c1); info->hypercall
 * chooses which binary the core loads. Both are 3 bytes
 * (DEMO_HYPERCALL_LEN): on DEMO_EXIT_HYPERCALL the core advances vcpu->rip
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
 * Registers: &struct demo_vcpu holds what the core reads and writes. After
 * each exit, ops->run() stores every field; before each entry it loads the
 * guest's GPRs and RIP from it (the core changes RAX, RIP and the GPR an
 * emulated load targets). Before the first entry the core sets its RIP
 * and RSP from demo_guest_entry, the other GPRs zero.
 */
#ifndef _AXAS_SAMPLE_DEMO_H
#define _AXAS_SAMPLE_DEMO_H

#include <linux/bits.h>
#include <linux/types.h>
#include <axas/axas.h>
#include <axas/vmm.h>

/*
 * DEMO_CAP_* - what an arch's exits report and its tables can do; the core
 * checks a fault's field only when the arch says it reports it.
 *
 * @DEMO_CAP_FAULT_USER: every nested fault reports a user access (NPT:
 *	EXITINFO1 bit 2; the nested walk treats every access as a user one);
 *	the core checks demo_fault.user is set.
 * @DEMO_CAP_FAULT_RIGHTS: a fault reports the rights of the nested
 *	translation (EPT qualification bits 3-5: the AND of R/W/X along the
 *	walk, 0 when an entry is not present) in demo_fault.rights, as
 *	AXAS_PROT_READ/WRITE/EXEC; the core checks them against axas's
 *	leaf.
 * @DEMO_CAP_WALK_RW: a fault on the guest's own page walk may report a read
 *	and a write (SDM), or a write only (Bochs with EPT A/D): the core
 *	accepts both where it predicts a write.
 * @DEMO_CAP_EXEC_ONLY: the table format has execute-only pages (EPT).
 * @DEMO_CAP_AD: the CPU sets accessed and dirty flags in the nested tables
 *	(NPT; EPT with A/D enabled in the EPTP), and treats the guest's own
 *	page-walk accesses as writes. Scenario 9 then logs by dirty flags
 *	(else by write-protection); scenario 10 counts the guest's three
 *	page-table pages among those a restore puts back; scenario 5's
 *	write-protected page directory faults on the next walk only with
 *	it (without it the walk only reads: the core does not handle that
 *	case yet, so an arch should enable A/D where it can).
 */
#define DEMO_CAP_FAULT_USER	BIT(0)
#define DEMO_CAP_FAULT_RIGHTS	BIT(1)
#define DEMO_CAP_WALK_RW	BIT(2)
#define DEMO_CAP_EXEC_ONLY	BIT(3)
#define DEMO_CAP_AD		BIT(4)

/* The guest's hypercall instruction; both are 3 bytes. */
enum demo_hypercall {
	DEMO_VMMCALL,		/* AMD: 0f 01 d9 */
	DEMO_VMCALL,		/* Intel: 0f 01 c1 */
};

#define DEMO_HYPERCALL_LEN	3

/**
 * struct demo_arch_info - what the arch tells the core at setup
 * @pt: table format, levels and capabilities for axas_space_create()
 * @caps: DEMO_CAP_*
 * @hypercall: which guest binary to load
 * @gbpages: the guest may use 1 GiB pages, and axas may use 1 GiB leaves
 * @maxphyaddr: the guest's physical-address width, for axas_walk()
 * @host: one line for the report (paging depth, flush method, ...);
 *	demo-check.py reads "host: N-level paging" at its start
 */
struct demo_arch_info {
	struct axas_pt_cfg pt;
	unsigned int caps;
	enum demo_hypercall hypercall;
	bool gbpages;
	unsigned int maxphyaddr;
	char host[160];
};

/**
 * struct demo_seg - a segment register of the initial state
 * @sel: selector
 * @attrib: attributes packed as SVM's VMCB does: bits 0-7 are access-rights
 *	byte (type, S, DPL, P), bits 8-11 are AVL, L, D/B, G. VMX's access
 *	rights field is demo_seg_vmx_ar() of it.
 * @limit: limit in bytes
 * @base: base
 */
struct demo_seg {
	u16 sel;
	u16 attrib;
	u32 limit;
	u64 base;
};

/* VMX access rights (SDM Vol. 3C, 25.4.1) of a VMCB-packed attribute. */
static inline u32 demo_seg_vmx_ar(u16 attrib)
{
	return (attrib & 0xff) | ((u32)(attrib & 0xf00) << 4);
}

/**
 * struct demo_guest_state - the guest's state at its first entry
 * @cs: code segment (32-bit, flat)
 * @ds: data segment (flat)
 * @es: as @ds
 * @ss: as @ds
 * @fs: as @ds
 * @gs: as @ds
 * @ldtr: no LDT (selector 0, type LDT, present)
 * @tr: no TSS (selector 0, type busy 32-bit TSS, present)
 * @gdtr: base 0, limit 0xffff (the guest loads its own)
 * @idtr: base 0, limit 0xffff (the guest takes no interrupt)
 * @cr0: PE, ET, NE: protected mode, paging off
 * @cr3: 0 (the guest loads its own)
 * @cr4: 0
 * @efer: 0 (the guest sets LME itself)
 * @rflags: only the fixed bit 1: interrupts disabled
 * @rip: the guest's entry point, G_IMAGE
 * @rsp: G_STACK_TOP
 * @dr6: reset value
 * @dr7: reset value
 * @pat: the power-on PAT
 *
 * Control registers and EFER as the guest sees them: the arch adds what
 * its hardware needs (SVM: EFER.SVME; VMX: the CR0/CR4 fixed bits, with
 * read shadows) and the nested root.
 */
struct demo_guest_state {
	struct demo_seg cs, ds, es, ss, fs, gs, ldtr, tr, gdtr, idtr;
	u64 cr0, cr3, cr4, efer;
	u64 rflags, rip, rsp;
	u64 dr6, dr7, pat;
};

extern const struct demo_guest_state demo_guest_entry;

/**
 * struct demo_vcpu - the guest's registers the core reads and writes
 * @gpr: by x86 register number (0 RAX, 1 RCX, 2 RDX, 3 RBX, 4 RSP, ...)
 * @rip: the guest's RIP; the core moves it past emulated instructions
 * @rflags: RFLAGS
 * @cr0: the guest's CR0 as it sees it (read shadow applied)
 * @cr3: CR3
 * @cr4: CR4 as it sees it
 * @efer: EFER as it sees it (without SVME)
 * @cpl: current privilege level
 *
 * Everything is stored by ops->run() after each exit; gpr[] and rip are
 * loaded into the guest before each entry.
 */
struct demo_vcpu {
	u64 gpr[16];
	u64 rip;
	u64 rflags;
	u64 cr0, cr3, cr4, efer;
	u8 cpl;
};

/**
 * struct demo_fault - a nested page fault or EPT violation, neutrally
 * @gpa: the faulting GPA (from axas_exit_fault)
 * @access: AXAS_ACCESS_* of the access (from axas_exit_fault)
 * @flags: AXAS_EXIT_* (walk, final, present, ...; from axas_exit_fault)
 * @rights: with %DEMO_CAP_FAULT_RIGHTS: AXAS_PROT_READ/WRITE/EXEC that the
 *	nested translation gave (EPT bits 3-5)
 * @user: with %DEMO_CAP_FAULT_USER: the fault reported a user access
 * @raw: the hardware's word (EXITINFO1, or the exit qualification), for
 *	the report
 *
 * The arch fills @gpa, @access and @flags with axas_decode_npf() or
 * axas_decode_ept_violation().
 */
struct demo_fault {
	u64 gpa;
	unsigned int access;
	unsigned int flags;
	unsigned int rights;
	bool user;
	u64 raw;
};

/**
 * enum demo_exit_kind - what the guest's exit was, in the core's terms
 * @DEMO_EXIT_NONE: nothing for the core: the arch handled it (SVM: the
 *	guest's EFER read or write; the report counts these as "arch")
 * @DEMO_EXIT_FAULT: nested page fault or EPT violation: demo_exit.fault
 * @DEMO_EXIT_HYPERCALL: VMMCALL or VMCALL; RIP still points at it
 * @DEMO_EXIT_IO: port I/O: demo_exit.io (the guest does none)
 * @DEMO_EXIT_HALT: HLT
 * @DEMO_EXIT_INTR: an external interrupt, which the host takes once
 *	interrupts are enabled again, or an NMI, which the arch has handed
 *	to the host already (VMX: vmx_forward_nmi(); SVM: taken at STGI)
 * @DEMO_EXIT_FATAL: anything else (exception, triple fault, failed entry,
 *	EPT misconfiguration): demo_exit.why says what, decoded; the core
 *	stops the guest with a FAIL
 */
enum demo_exit_kind {
	DEMO_EXIT_NONE,
	DEMO_EXIT_FAULT,
	DEMO_EXIT_HYPERCALL,
	DEMO_EXIT_IO,
	DEMO_EXIT_HALT,
	DEMO_EXIT_INTR,
	DEMO_EXIT_FATAL,
};

/**
 * struct demo_exit - one exit, decoded by the arch
 * @kind: &enum demo_exit_kind
 * @fault: %DEMO_EXIT_FAULT
 * @io: %DEMO_EXIT_IO: port, size in bytes, direction
 * @why: %DEMO_EXIT_FATAL: the exit, decoded, for the report
 */
struct demo_exit {
	enum demo_exit_kind kind;
	struct demo_fault fault;
	struct {
		u16 port;
		u8 size;
		bool in;
	} io;
	char why[160];
};

/**
 * struct demo_arch - the CPU plumbing under the core
 * @setup: process context: check the CPU, allocate, fill @info; return
 *	the arch's context or an ERR_PTR (-ENODEV: the CPU cannot run the
 *	sample); on error, @why says why
 * @enable: on the vCPU's kthread (bound, preemptible): virtualization on,
 *	the control block written with the nested root and @gs; 0 or an
 *	errno with @why filled (ops->disable() follows either way, on the
 *	same CPU)
 * @flush: interrupts disabled, on the vCPU's CPU, before an entry: make
 *	that entry drop every nested translation cached before (see the
 *	flush contract above); 0 or an errno
 * @run: interrupts disabled: load @vcpu's GPRs and RIP, enter the guest
 *	once, store @vcpu and decode the exit into @exit. Exits the arch
 *	handles itself (an emulated MSR) it reports as %DEMO_EXIT_NONE, with
 *	@vcpu already updated (RIP past the instruction, the registers it
 *	wrote). Host state that the entry does not switch stays out of
 *	the guest's reach (SVM: kernel_fpu_begin() around VMRUN, so that no
 *	host task finds the guest's FPU registers).
 * @disable: on the vCPU's kthread: leave virtualization, restore every MSR
 *	changed
 * @teardown: process context: free what a successful setup allocated
 * @check: optional; on the vCPU's kthread, interrupts enabled, once the
 *	guest reported scenario @n: the arch's own checks of it (VMX: NMIs
 *	sent from another CPU during scenario 8). It writes a line for the
 *	report into @note (nothing: empty) and returns 0, or an errno: the
 *	scenario fails with @note as the reason
 */
struct demo_arch {
	void *(*setup)(struct demo_arch_info *info, char *why, size_t len);
	int (*enable)(void *arch, u64 root, const struct demo_guest_state *gs,
		      char *why, size_t len);
	int (*flush)(void *arch);
	void (*run)(void *arch, struct demo_vcpu *vcpu, struct demo_exit *exit);
	void (*disable)(void *arch);
	void (*teardown)(void *arch);
	int (*check)(void *arch, unsigned int n, char *note, size_t len);
};

int demo_main(const struct demo_arch *ops);
void demo_end(void);

#endif /* _AXAS_SAMPLE_DEMO_H */
