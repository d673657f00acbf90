/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interface between a sample VMM and its per-vendor CPU plumbing.
 *
 * Everything that differs between AMD SVM (samples/svm) and Intel VMX
 * (samples/vmx) sits behind &struct vmm_arch: turning virtualization on,
 * the control block (VMCB, VMCS), one guest entry with the events to
 * deliver, and decoding the exit into &struct vmm_exit. Two VMMs sit on
 * it: the scripted demo (samples/core, demo.h) and the VMM that boots
 * Linux (samples/vmm, vmm.h). Neither calls a vendor's instruction.
 *
 * Sequence, for each vCPU (a kthread bound to a CPU of its own; the
 * scripted demo has one, the VMM that boots Linux one or more):
 *
 *  1. ops->setup(): process context, any CPU. Check the CPU, allocate the
 *     control block, fill &struct vmm_arch_info (table format and levels
 *     for axas, capabilities, hypercall instruction, report line) from
 *     what the VMM asked in it (@own_cpu). Return the arch's context for
 *     this vCPU (or an ERR_PTR; -ENODEV: no such CPU).
 *  2. The VMM creates the space with info->pt and fills guest memory.
 *  3. On the vCPU's kthread: ops->enable() turns virtualization on and
 *     writes the control block: the nested root and the guest's first
 *     state (&struct vmm_entry_state: the boot protocol's 64-bit state,
 *     or for an application processor the real-mode state of its SIPI).
 *  4. Per entry, interrupts disabled: ops->flush() if a flush is owed,
 *     then ops->run() loads &struct vmm_regs, delivers the event it asks
 *     for, enters the guest once, stores the registers and decodes the
 *     exit. The VMM handles the exit with interrupts enabled.
 *  5. At the end, on the same CPU: ops->disable() (every MSR it changed
 *     restored); then, in process context, ops->teardown().
 *
 * Flush contract: axas calls the VMM's flush callback for every reduction
 * of rights; the VMM posts a request to every vCPU (and kicks the ones in
 * guest mode out of it, waiting until they have left) and calls
 * ops->flush() before each vCPU's next entry, which must make that entry
 * see no nested translation cached before it (SVM: the VMCB's TLB
 * control; VMX: INVEPT). It returns 0, or an errno when it could not
 * flush: the VMM must then not enter. The vCPUs share the nested root
 * (and the ASID or VPID): each stays on its CPU, whose TLB holds only its
 * own translations.
 */
#ifndef _AXAS_SAMPLE_ARCH_H
#define _AXAS_SAMPLE_ARCH_H

#include <linux/bits.h>
#include <linux/types.h>
#include <axas/axas.h>
#include <axas/vmm.h>

/*
 * VMM_CAP_* - what an arch's exits report and its tables can do.
 *
 * @VMM_CAP_FAULT_USER: every nested fault reports a user access (NPT:
 *	EXITINFO1 bit 2; the nested walk treats every access as a user one).
 * @VMM_CAP_FAULT_RIGHTS: a fault reports the rights of the nested
 *	translation (EPT qualification bits 3-5) in vmm_fault.rights.
 * @VMM_CAP_WALK_RW: a fault on the guest's own page walk may report a
 *	read and a write (SDM), or a write only (Bochs with EPT A/D).
 * @VMM_CAP_EXEC_ONLY: the table format has execute-only pages (EPT).
 * @VMM_CAP_AD: the CPU sets accessed and dirty flags in the nested tables
 *	and treats the guest's own page-walk accesses as writes.
 */
#define VMM_CAP_FAULT_USER	BIT(0)
#define VMM_CAP_FAULT_RIGHTS	BIT(1)
#define VMM_CAP_WALK_RW		BIT(2)
#define VMM_CAP_EXEC_ONLY	BIT(3)
#define VMM_CAP_AD		BIT(4)

/* The guest's hypercall instruction; both are 3 bytes. */
enum vmm_hypercall {
	VMM_VMMCALL,		/* AMD: 0f 01 d9 */
	VMM_VMCALL,		/* Intel: 0f 01 c1 */
};

#define VMM_HYPERCALL_LEN	3

/**
 * struct vmm_arch_info - what the VMM asks of the arch, and what it says
 * @own_cpu: in: the guest is an operating system on a CPU of the VMM's
 *	making. CPUID exits (%VMM_EXIT_CPUID) for the VMM to answer;
 *	exceptions go to the guest (but #MC, the host's, and #AC, reflected
 *	so that its delivery cannot loop in microcode); events are injected
 *	(&vmm_regs.irq, &vmm_regs.exception) and an event whose delivery an
 *	exit interrupted is delivered again; the guest's x87/SSE registers
 *	are switched (&vmm_regs.fpu); MSRs the control block does not hold
 *	exit to the VMM (%VMM_EXIT_MSR); WBINVD and INVD are no-ops;
 *	virtualization, monitor and performance-counter instructions raise
 *	#UD or #GP. Without it (the scripted demo) every exception stops the
 *	guest, CPUID and RDTSC show the host's, and an interrupted delivery
 *	is fatal.
 * @pt: out: table format, levels and capabilities for axas_space_create()
 * @caps: out: VMM_CAP_*
 * @hypercall: out: the instruction the guest should use
 * @gbpages: out: the guest may use 1 GiB pages, and axas 1 GiB leaves
 * @maxphyaddr: out: the guest's physical-address width, for axas_walk()
 * @host: out: one line for the report (paging depth, flush method, ...);
 *	demo-check.py reads "host: N-level paging" at its start
 */
struct vmm_arch_info {
	bool own_cpu;
	struct axas_pt_cfg pt;
	unsigned int caps;
	enum vmm_hypercall hypercall;
	bool gbpages;
	unsigned int maxphyaddr;
	char host[160];
};

/**
 * struct vmm_seg - a segment register of the first state
 * @sel: selector
 * @attrib: attributes packed as SVM's VMCB does: bits 0-7 are the
 *	access-rights byte (type, S, DPL, P), bits 8-11 are AVL, L, D/B, G.
 *	VMX's access rights field is vmm_seg_vmx_ar() of it.
 * @limit: limit in bytes
 * @base: base
 */
struct vmm_seg {
	u16 sel;
	u16 attrib;
	u32 limit;
	u64 base;
};

/*
 * Checks of a value the guest writes to an MSR its arch's VMCB or VMCS
 * holds, the same on both vendors: a non-canonical address (FS/GS base,
 * SYSENTER_ESP/EIP; 48 bits, no LA57 is offered), and a PAT with an entry of a type that does not
 * exist (only 0, 1, 4, 5, 6 and 7 do).
 */
static inline bool vmm_noncanonical(u64 addr)
{
	return (u64)((s64)(addr << 16) >> 16) != addr;
}

static inline bool vmm_pat_ok(u64 pat)
{
	unsigned int i;

	for (i = 0; i < 8; i++) {
		u8 type = pat >> (i * 8);

		if (type > 7 || type == 2 || type == 3)
			return false;
	}
	return true;
}

/* VMX access rights (SDM Vol. 3C, 25.4.1) of a VMCB-packed attribute. */
static inline u32 vmm_seg_vmx_ar(u16 attrib)
{
	return (attrib & 0xff) | ((u32)(attrib & 0xf00) << 4);
}

/**
 * struct vmm_entry_state - the guest's state at its first entry
 * @cs: code segment
 * @ds: data segment
 * @es: as @ds
 * @ss: as @ds
 * @fs: as @ds
 * @gs: as @ds
 * @ldtr: no LDT (selector 0, type LDT, present)
 * @tr: no TSS (selector 0, type busy TSS, present)
 * @gdtr: base and limit of the GDT
 * @idtr: base and limit of the IDT
 * @cr0: CR0 as the guest sees it
 * @cr3: CR3
 * @cr4: CR4 as the guest sees it
 * @efer: EFER as the guest sees it (LMA included when it starts in long
 *	mode)
 * @rflags: RFLAGS
 * @rip: the guest's entry point
 * @rsp: its stack
 * @dr6: reset value
 * @dr7: reset value
 * @pat: the guest's PAT
 *
 * The arch adds what its hardware needs (SVM: EFER.SVME; VMX: the CR0/CR4
 * fixed bits, with read shadows) and the nested root. The other general
 * purpose registers and the TSC offset come from &struct vmm_regs at the
 * first ops->run().
 */
struct vmm_entry_state {
	struct vmm_seg cs, ds, es, ss, fs, gs, ldtr, tr, gdtr, idtr;
	u64 cr0, cr3, cr4, efer;
	u64 rflags, rip, rsp;
	u64 dr6, dr7, pat;
};

/* x86 register numbers, the index of vmm_regs.gpr[]. */
enum vmm_gpr {
	VMM_RAX, VMM_RCX, VMM_RDX, VMM_RBX, VMM_RSP, VMM_RBP, VMM_RSI, VMM_RDI,
	VMM_R8, VMM_R9, VMM_R10, VMM_R11, VMM_R12, VMM_R13, VMM_R14, VMM_R15,
};

/**
 * struct vmm_event - an exception for the next entry
 * @pending: deliver it
 * @vector: its vector
 * @has_error: it pushes an error code
 * @error: the error code
 */
struct vmm_event {
	bool pending;
	u8 vector;
	bool has_error;
	u32 error;
};

/* The guest's x87/SSE registers, as FXSAVE stores them. */
struct vmm_fpu {
	u8 fxsave[512];
} __aligned(16);

/**
 * struct vmm_regs - the guest's registers the VMM reads and writes
 * @gpr: by x86 register number (&enum vmm_gpr)
 * @rip: the guest's RIP; the VMM moves it past emulated instructions
 * @rflags: RFLAGS
 * @cr0: the guest's CR0 as it sees it (read shadow applied)
 * @cr3: CR3
 * @cr4: CR4 as it sees it
 * @efer: EFER as it sees it (without SVME)
 * @cpl: current privilege level
 * @tsc_offset: in: the guest's TSC is the host's plus this
 * @irq: in: a vector to deliver as an external interrupt when the guest can
 *	take one, else -1 (&vmm_arch_info.own_cpu only)
 * @irq_injected: out: @irq was delivered (the VMM moves it from the local
 *	APIC's IRR to its ISR): at the entry (VMX), or during the run (SVM's
 *	virtual interrupt)
 * @irq_window: out: @irq was not delivered (RFLAGS.IF clear, an interrupt
 *	shadow, or an event of higher priority): VMX asks for an exit
 *	%VMM_EXIT_IRQ_WINDOW when the guest can take it; on SVM the run ended
 *	before the guest took it, and the next entry offers the local APIC's
 *	interrupt again
 * @exception: in: an exception to deliver at this entry (it goes before
 *	@irq); the arch clears @exception.pending once it is in the control
 *	block
 * @fpu: in: the guest's x87/SSE registers, loaded before the entry and
 *	stored after it, or NULL (the guest uses none)
 *
 * Everything is stored by ops->run() after each exit; gpr[] and rip are
 * loaded into the guest before each entry.
 */
struct vmm_regs {
	u64 gpr[16];
	u64 rip;
	u64 rflags;
	u64 cr0, cr3, cr4, efer;
	u8 cpl;
	u64 tsc_offset;
	int irq;
	bool irq_injected;
	bool irq_window;
	struct vmm_event exception;
	struct vmm_fpu *fpu;
};

/**
 * struct vmm_fault - a nested page fault or EPT violation, neutrally
 * @gpa: the faulting GPA (from axas_exit_fault)
 * @access: AXAS_ACCESS_* of the access (from axas_exit_fault)
 * @flags: AXAS_EXIT_* (walk, final, present, ...; from axas_exit_fault)
 * @rights: with %VMM_CAP_FAULT_RIGHTS: AXAS_PROT_READ/WRITE/EXEC that the
 *	nested translation gave (EPT bits 3-5)
 * @user: with %VMM_CAP_FAULT_USER: the fault reported a user access
 * @raw: the hardware's word (EXITINFO1, or the exit qualification)
 */
struct vmm_fault {
	u64 gpa;
	unsigned int access;
	unsigned int flags;
	unsigned int rights;
	bool user;
	u64 raw;
};

/**
 * enum vmm_exit_kind - what the guest's exit was, in the VMM's terms
 * @VMM_EXIT_NONE: nothing for the VMM: the arch handled it (an MSR the
 *	control block holds, a reflected #AC, WBINVD; the reports count
 *	these as "arch")
 * @VMM_EXIT_FAULT: nested page fault or EPT violation: vmm_exit.fault
 * @VMM_EXIT_HYPERCALL: VMMCALL or VMCALL; RIP still points at it
 * @VMM_EXIT_IO: IN or OUT: vmm_exit.io
 * @VMM_EXIT_HALT: HLT; vmm_exit.next_rip is past it
 * @VMM_EXIT_INTR: an external interrupt, which the host takes once
 *	interrupts are enabled again, or an NMI, which the arch has handed
 *	to the host already
 * @VMM_EXIT_MSR: RDMSR or WRMSR of an MSR the control block does not
 *	hold: vmm_exit.msr (own_cpu; else the arch injects #GP)
 * @VMM_EXIT_CPUID: CPUID (own_cpu): leaf in RAX, subleaf in RCX
 * @VMM_EXIT_IRQ_WINDOW: the guest can take the interrupt it could not
 *	take at the last entry
 * @VMM_EXIT_DR: MOV to or from a debug register: vmm_exit.dr
 * @VMM_EXIT_SHUTDOWN: the guest shut down (triple fault): a reset
 * @VMM_EXIT_FATAL: anything else (an exception the VMM does not expect, a
 *	failed entry, an EPT misconfiguration): vmm_exit.why says what
 * @VMM_EXIT_KINDS: the number of kinds
 */
enum vmm_exit_kind {
	VMM_EXIT_NONE,
	VMM_EXIT_FAULT,
	VMM_EXIT_HYPERCALL,
	VMM_EXIT_IO,
	VMM_EXIT_HALT,
	VMM_EXIT_INTR,
	VMM_EXIT_MSR,
	VMM_EXIT_CPUID,
	VMM_EXIT_IRQ_WINDOW,
	VMM_EXIT_DR,
	VMM_EXIT_SHUTDOWN,
	VMM_EXIT_FATAL,
	VMM_EXIT_KINDS
};

/**
 * struct vmm_exit - one exit, decoded by the arch
 * @kind: &enum vmm_exit_kind
 * @next_rip: %VMM_EXIT_IO, %VMM_EXIT_HALT, %VMM_EXIT_MSR,
 *	%VMM_EXIT_CPUID: the RIP after the instruction, for when the VMM
 *	completes it; %VMM_EXIT_DR: the same when the arch knows it (VMX),
 *	else 0
 * @fault: %VMM_EXIT_FAULT
 * @io: %VMM_EXIT_IO: port, size in bytes, direction; @io.string: INS or
 *	OUTS (with @io.rep: a REP prefix)
 * @msr: %VMM_EXIT_MSR: index and direction (the value is in RDX:RAX)
 * @dr: %VMM_EXIT_DR: register, direction, and the general-purpose
 *	register of the MOV, or -1 when the hardware did not say (the VMM
 *	decodes the instruction at RIP)
 * @what: %VMM_EXIT_NONE: what the arch handled, for the report ("efer",
 *	"wbinvd", "#AC", ...)
 * @why: %VMM_EXIT_FATAL: the exit, decoded, for the report;
 *	%VMM_EXIT_SHUTDOWN: the guest's state the shutdown left (control
 *	registers, descriptor tables, the event in delivery), or empty
 */
struct vmm_exit {
	enum vmm_exit_kind kind;
	const char *what;
	u64 next_rip;
	struct vmm_fault fault;
	struct {
		u16 port;
		u8 size;
		bool in;
		bool string;
		bool rep;
	} io;
	struct {
		u32 index;
		bool write;
	} msr;
	struct {
		u8 n;
		bool write;
		int gpr;
	} dr;
	char why[320];
};

/**
 * struct vmm_arch - the CPU plumbing under a VMM
 * @setup: process context: check the CPU, allocate, fill @info (whose
 *	@own_cpu the VMM set); return the arch's context or an ERR_PTR
 *	(-ENODEV: the CPU cannot run the guest); on error, @why says why
 * @enable: on the vCPU's kthread (bound, preemptible): virtualization on,
 *	the control block written with the nested root and @gs; 0 or an
 *	errno with @why filled (ops->disable() follows either way, on the
 *	same CPU)
 * @flush: interrupts disabled, on the vCPU's CPU, before an entry: make
 *	that entry drop every nested translation cached before; 0 or an
 *	errno
 * @run: interrupts disabled: load @regs, deliver what it asks for, enter
 *	the guest once, store @regs and decode the exit into @exit. Host
 *	state that the entry does not switch stays out of the guest's reach.
 * @disable: on the vCPU's kthread: leave virtualization, restore every MSR
 *	changed
 * @teardown: process context: free what a successful setup allocated
 * @check: optional, the scripted demo only; on the vCPU's kthread,
 *	interrupts enabled, once the guest reported scenario @n: the arch's
 *	own checks of it. It writes a line for the report into @note
 *	(nothing: empty) and returns 0, or an errno: the scenario fails with
 *	@note as the reason
 * @state_size: bytes of the state @save stores (0: no @save nor @load)
 * @save: on the vCPU's kthread, out of guest mode: store into @state what
 *	the control block holds of the guest beyond &struct vmm_regs
 *	(segments, control registers, the MSRs it switches, interrupt
 *	shadow, an event to deliver again), for a snapshot or a migration
 * @load: on the vCPU's kthread, out of guest mode: put back what @save
 *	stored, with @root the nested root from now on (another space's,
 *	after a migration); the next entry flushes the guest's nested
 *	translations (the VMM calls @flush), and none cached for the
 *	previous root is used again; 0 or an errno
 */
struct vmm_arch {
	void *(*setup)(struct vmm_arch_info *info, char *why, size_t len);
	int (*enable)(void *arch, u64 root, const struct vmm_entry_state *gs,
		      char *why, size_t len);
	int (*flush)(void *arch);
	void (*run)(void *arch, struct vmm_regs *regs, struct vmm_exit *exit);
	void (*disable)(void *arch);
	void (*teardown)(void *arch);
	int (*check)(void *arch, unsigned int n, char *note, size_t len);
	size_t state_size;
	void (*save)(void *arch, void *state);
	int (*load)(void *arch, const void *state, u64 root);
};

#endif /* _AXAS_SAMPLE_ARCH_H */
