/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal VMM that boots an unmodified Linux kernel on axas memory.
 *
 * It is written once for both vendors: the CPU plumbing is behind
 * &struct vmm_arch (arch.h, samples/svm, samples/vmx); everything here is
 * vendor-neutral. What each file is:
 *
 *   mem.c     every axas call: the space, the guest's RAM as lazy alloc
 *             areas, nested faults, guest copies, instruction fetch
 *   vcpu.c    the vCPU threads: requests and kicks, the flush callback,
 *             pausing the vCPUs, start-up by INIT/SIPI, events, HLT, the
 *             exit dispatcher (a table of handlers)
 *   precopy.c a live migration's pre-copy of the guest's RAM from axas's
 *             dirty log, checked with the vCPUs paused
 *   cpuid.c   the CPU the guest sees
 *   msr.c     the MSR bus: a table of MSR ranges and their devices
 *   io.c      the port bus: a table of port ranges and their devices;
 *             every other port reads as all-ones ("no device")
 *   mmio.c    the MMIO bus: where no area is, a table of devices
 *   insn.c    the decoder of the instructions that reach MMIO
 *   lapic.c   local APIC (xAPIC and x2APIC): TSC-deadline timer, IPIs
 *             (fixed, INIT, SIPI) to itself and the other vCPUs, EOI
 *   mtrr.c    MTRRs (storage: guest memory is write-back)
 *   mce.c     machine-check architecture without banks
 *   uart.c    8250/16550A UART at 0x3f8, the console
 *   pm.c      ACPI hardware-reduced sleep/reset registers, PM timer
 *   rtc.c     MC146818 CMOS RTC
 *   pit.c     i8254 PIT, counting from the TSC, its output unconnected
 *   pci.c     PCI configuration mechanism #1 that finds no device
 *   acpi.c    RSDP, XSDT, FADT, MADT, DSDT
 *   smbios.c  SMBIOS: the machine's name and its BIOS's date
 *   loader.c  the x86 64-bit boot protocol: boot_params, e820, command
 *             line, initramfs, page tables and GDT, the entry state
 *   linux.c   the module's side: parameters, the run, the report
 *
 * One or more vCPUs, each on a kthread bound to a CPU of its own; the
 * platform has no interrupt controller for ISA interrupts (no 8259, no I/O
 * APIC), so every device is polled by the guest or raises nothing, and the
 * local APICs' timers and IPIs are the only interrupts. The devices but
 * the local APIC, the MTRRs and the machine-check registers (per CPU) are
 * shared: the port bus serializes them (vmm_vm.io_lock).
 */
#ifndef _AXAS_SAMPLE_VMM_H
#define _AXAS_SAMPLE_VMM_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <axas/axas.h>
#include "arch.h"

/*
 * The guest-physical layout. RAM is [0, VMM_LOW_RAM_END) and
 * [VMM_HIGH_RAM, ram end); [VMM_LOW_RAM_END, VMM_HIGH_RAM) is reserved
 * (EBDA, VGA, BIOS) and holds the ACPI and SMBIOS tables. Everything the loader
 * writes below 1 MiB sits in low RAM, where the firecracker VMM puts it.
 */
#define VMM_GDT			0x500
#define VMM_BOOT_PARAMS		0x7000
#define VMM_STACK_TOP		0x8ff0
#define VMM_PML4		0x9000
#define VMM_PDPT		0xa000
#define VMM_PD			0xb000		/* 4 tables: the low 4 GiB */
#define VMM_CMDLINE		0x20000
#define VMM_CMDLINE_MAX		0x10000
#define VMM_LOW_RAM_END		0x9f000
#define VMM_ACPI		0xe0000		/* RSDP, then the tables */
#define VMM_ACPI_END		0xf0000
#define VMM_SMBIOS		0xf0000		/* entry point, then the table */
#define VMM_ROM			0xff000		/* the reset vector's page */
#define VMM_RESET_VECTOR	0xffff0		/* F000:FFF0 */
#define VMM_HIGH_RAM		0x100000
#define VMM_RAM_MIN		(64ULL << 20)
#define VMM_RAM_MAX		(3ULL << 30)
/* The local APIC's MMIO page: unused in x2APIC mode, but architectural. */
#define VMM_LAPIC_BASE		0xfee00000
#define VMM_SPACE_SIZE		(4ULL << 30)
/*
 * ramfile=1 (mem.c): the shared memory, the RAM file's last 2 MiB, above
 * the most RAM and outside the e820 map: the guest does not touch it.
 */
#define VMM_SHM_GPA		0xd0000000ULL
#define VMM_SHM_SIZE		SZ_2M

/* vCPUs: the MADT's room for local APIC entries bounds them (acpi.c). */
#define VMM_MAX_VCPUS		8

/* Ports of the platform (see io.c). */
#define VMM_PORT_PM		0x600		/* pm.c: 16 ports */
#define VMM_PM_SLEEP_CTL	0x600
#define VMM_PM_SLEEP_STS	0x601
#define VMM_PM_RESET		0x602
#define VMM_PM_TIMER		0x608
#define VMM_PM_RESET_VALUE	0x01
#define VMM_PORT_COM1		0x3f8
/*
 * ctl (rewind.c): the guest's side of a snapshot and restore. A 32-bit
 * OUT of VMM_CTL_MARK asks for the snapshot there, of VMM_CTL_DONE says a
 * run of the workload ended (the VMM may restore); IN reads the seed of
 * the run.
 */
#define VMM_PORT_CTL		0x610		/* 4 ports */
#define VMM_CTL_MARK		1
#define VMM_CTL_DONE		2

/* The MTRRs' MSRs (SDM Vol. 3A, 12.11; the kernel's names are CamelCase). */
#define VMM_MSR_MTRR_CAP	0x0fe		/* IA32_MTRRCAP */
#define VMM_MSR_MTRR_VAR	0x200		/* IA32_MTRR_PHYSBASE0 */
#define VMM_MSR_MTRR_VAR_END	0x20f		/* IA32_MTRR_PHYSMASK7 */
#define VMM_MSR_MTRR_FIX64K	0x250		/* IA32_MTRR_FIX64K_00000 */
#define VMM_MSR_MTRR_FIX16K	0x258		/* 80000, A0000 */
#define VMM_MSR_MTRR_FIX4K	0x268		/* C0000 to F8000 */
#define VMM_MSR_MTRR_FIX4K_END	0x26f
#define VMM_MSR_MTRR_DEF_TYPE	0x2ff		/* IA32_MTRR_DEF_TYPE */

/* Frequencies the guest's devices count at. */
#define VMM_PIT_HZ		1193182
#define VMM_PM_TIMER_HZ		3579545

struct vmm_vm;
struct vmm_vcpu;

/**
 * struct vmm_lapic - the local APIC, in xAPIC or x2APIC mode (lapic.c)
 * @base: IA32_APIC_BASE (the page, BSP, EN, EXTD)
 * @id: APIC ID
 * @ldr: xAPIC logical destination register
 * @dfr: xAPIC destination format register
 * @icr: interrupt command register (xAPIC: ICR2 in bits 63:32)
 * @svr: spurious-interrupt vector register (bit 8: enabled)
 * @tpr: task priority
 * @lvt: LVT timer, thermal, performance, LINT0, LINT1, error
 * @esr: error status
 * @irr: interrupts requested
 * @pir: fixed interrupts other vCPUs requested, set atomically by their
 *	threads and moved into @irr by this vCPU's (KVM's posted-interrupt
 *	requests, in software)
 * @isr: interrupts in service
 * @tdcr: timer divide configuration (stored; one-shot mode is not offered)
 * @deadline: IA32_TSC_DEADLINE, in guest TSC; 0 when disarmed
 * @timer: fires at the deadline, on the vCPU's CPU
 * @timer_fired: set by @timer, turned into the timer's vector in @irr by
 *	the vCPU
 * @vcpu: its vCPU, to wake from HLT
 */
struct vmm_lapic {
	u64 base;
	u32 id;
	u32 ldr;
	u32 dfr;
	u64 icr;
	u32 svr;
	u32 tpr;
	u32 lvt[6];
	u32 esr;
	u32 irr[8];
	unsigned long pir[256 / BITS_PER_LONG];
	u32 isr[8];
	u32 tdcr;
	u64 deadline;
	struct hrtimer timer;
	atomic_t timer_fired;
	struct vmm_vcpu *vcpu;
};

/**
 * struct vmm_uart - an 8250/16550A UART, the guest's console (uart.c)
 * @ier: interrupt enable (no interrupt line is connected)
 * @lcr: line control
 * @mcr: modem control
 * @scr: scratch
 * @dll: divisor latch, low byte
 * @dlm: divisor latch, high byte
 * @fcr: FIFO control (bit 0: FIFOs on)
 * @thri: a "transmitter holding register empty" interrupt is pending
 * @line: the line the guest is writing
 * @len: its length
 */
struct vmm_uart {
	u8 ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thri;
	char line[240];
	unsigned int len;
};

/**
 * struct vmm_pm - ACPI hardware-reduced registers and the PM timer (pm.c)
 * @sleep_sts: the sleep status register (WAK_STS)
 */
struct vmm_pm {
	u8 sleep_sts;
};

/**
 * struct vmm_rtc - an MC146818 CMOS RTC and its NVRAM (rtc.c)
 * @index: the register port 0x70 selected
 * @cmos: registers A to D and the NVRAM (the time is read from the host)
 */
struct vmm_rtc {
	u8 index;
	u8 cmos[128];
};

/**
 * struct vmm_pit_channel - one counter of the i8254
 * @reload: the count loaded (0 means 65536)
 * @start: guest TSC when it was loaded
 * @mode: operating mode 0-5
 * @rw: access mode: 1 LSB, 2 MSB, 3 LSB then MSB
 * @write_msb: the next write of mode 3 is the MSB
 * @read_msb: the next read of mode 3 is the MSB
 * @latched: a count was latched
 * @latch: the latched count
 * @loaded: a count was loaded since the mode was set
 */
struct vmm_pit_channel {
	u32 reload;
	u64 start;
	u8 mode;
	u8 rw;
	bool write_msb;
	bool read_msb;
	bool latched;
	u16 latch;
	bool loaded;
};

/**
 * struct vmm_pit - an i8254 PIT and port 0x61 (pit.c)
 * @ch: its three counters
 * @port61: port 0x61's writable bits (0: channel 2 gate, 1: speaker)
 */
struct vmm_pit {
	struct vmm_pit_channel ch[3];
	u8 port61;
};

/**
 * struct vmm_pci - PCI configuration mechanism #1 (pci.c)
 * @addr: CONFIG_ADDRESS, the dword at 0xcf8
 */
struct vmm_pci {
	u32 addr;
};

/**
 * struct vmm_mtrr - the MTRRs, as storage (mtrr.c)
 * @def_type: IA32_MTRR_DEF_TYPE
 * @fixed: the 11 fixed-range MTRRs
 * @var: 8 variable ranges, base and mask
 */
struct vmm_mtrr {
	u64 def_type;
	u64 fixed[11];
	u64 var[16];
};

#define VMM_TOP_PORTS	12
#define VMM_TOP_MSRS	12
#define VMM_TOP_ARCH	12

/**
 * struct vmm_counts - what happened, for the report
 * @exits: exits by kind
 * @npf_ram: nested faults in RAM, handed to axas_fault()
 * @npf_mmio: nested faults where no area is (no device is there either)
 * @npf_lost: of @npf_ram, faults axas answered %AXAS_FAULT_SPURIOUS: the
 *	page was installed meanwhile, by another vCPU's fault (the race lost)
 * @injected: interrupts delivered
 * @irq_windows: entries whose interrupt was not delivered (see
 *	&vmm_regs.irq_window)
 * @exceptions: exceptions the VMM delivered (#GP for a refused MSR, ...)
 * @halts: HLTs that slept
 * @halt_ns: time slept in HLT
 * @axas_calls: calls of axas functions on the vCPU's path
 * @axas_ns: time spent in them
 * @fault_ns: of @axas_ns, the time in axas_fault() for nested faults
 * @prefill_frames: 4 KiB frames axas_prefill() zeroed while the guest
 *	halted (a 2 MiB frame counts 512)
 * @prefill_ns: the time that took (part of @halt_ns, not of @axas_ns)
 * @mmio: MMIO accesses by device (mmio.c's table)
 * @port: port exits by device (the order of io.c's table; the last: none)
 * @msr: MSR exits by device (the order of msr.c's table; the last: #GP)
 * @other_port: the ports no device answers, and how often (first seen)
 * @other_port_count: their counts
 * @gp_msr: the MSRs refused with #GP (first seen)
 * @gp_msr_count: their counts
 * @arch: what the arch handled itself (vmm_exit.what, first seen)
 * @arch_count: how often
 * @ipis: fixed IPIs this vCPU sent to another vCPU
 * @ipi_kicks: of those, how many found the target in guest mode: a host
 *	IPI took it out to take the interrupt
 * @ipi_wakes: how many found it out of guest mode: woken if asleep
 * @self_ipis: fixed IPIs to itself
 * @inits: INIT IPIs sent (assert; the deassert does nothing)
 * @sipis: start-up IPIs sent
 * @sipis_started: of those, how many started a vCPU that waited for one
 * @ipis_dropped: IPIs of a delivery mode not offered (NMI, SMI, ...)
 */
struct vmm_counts {
	u64 exits[VMM_EXIT_KINDS];
	u64 npf_ram;
	u64 npf_mmio;
	u64 npf_lost;
	u64 injected;
	u64 irq_windows;
	u64 exceptions;
	u64 halts;
	s64 halt_ns;
	u64 axas_calls;
	s64 axas_ns;
	s64 fault_ns;
	u64 prefill_frames;
	s64 prefill_ns;
	u64 mmio[2];
	u64 port[8];
	u64 msr[8];
	u16 other_port[VMM_TOP_PORTS];
	u64 other_port_count[VMM_TOP_PORTS];
	u32 gp_msr[VMM_TOP_MSRS];
	u64 gp_msr_count[VMM_TOP_MSRS];
	const char *arch[VMM_TOP_ARCH];
	u64 arch_count[VMM_TOP_ARCH];
	u64 ipis;
	u64 ipi_kicks;
	u64 ipi_wakes;
	u64 self_ipis;
	u64 inits;
	u64 sipis;
	u64 sipis_started;
	u64 ipis_dropped;
};

/**
 * enum vmm_mp_state - where a vCPU is in its life (KVM's mp_state)
 * @VMM_MP_WAIT_SIPI: an application processor after power-on or INIT: it
 *	runs nothing until a start-up IPI names where to start
 * @VMM_MP_RUNNING: it runs the guest (or sleeps in its HLT)
 * @VMM_MP_DEAD: the guest halted it with interrupts disabled (a stopped
 *	CPU, which only an NMI or INIT would wake; neither is offered)
 */
enum vmm_mp_state {
	VMM_MP_WAIT_SIPI,
	VMM_MP_RUNNING,
	VMM_MP_DEAD,
};

/* The last exits of a vCPU, kept for the report of a shutdown. */
#define VMM_TRAIL	8

/**
 * struct vmm_trail - one exit of &vmm_vcpu.trail
 * @rip: the guest's RIP at the exit
 * @cr3: its CR3
 * @kind: &enum vmm_exit_kind
 * @irq: the interrupt vector the entry before it injected, or -1
 */
struct vmm_trail {
	u64 rip;
	u64 cr3;
	u8 kind;
	s16 irq;
};

/**
 * struct vmm_vcpu - one virtual CPU
 * @vm: its VM
 * @index: its number, also its APIC ID (0 is the bootstrap processor)
 * @arch: the arch's context for it (ops->setup())
 * @entry: the guest's first state (loader.c; an AP's from its SIPI)
 * @regs: the guest's registers and the events of the next entry
 * @exit: the last exit
 * @fpu: the guest's x87/SSE registers
 * @lapic: its local APIC
 * @mtrr: its MTRRs
 * @mcg_status: IA32_MCG_STATUS (mce.c)
 * @counts: what happened on it, for the report
 * @dr: the guest's DR0-DR3, DR6 and DR7 as it wrote them (the hardware's
 *	stay the host's; no guest breakpoint fires)
 * @halted: the guest ran HLT and waits for an interrupt
 * @mp_state: &enum vmm_mp_state; written by this vCPU's thread, and by
 *	a SIPI's sender from %VMM_MP_WAIT_SIPI
 * @init: an INIT arrived while it waited for a SIPI
 * @sipi_vector: the vector of the SIPI that started it, -1 before
 * @started_ns: when it started, from the first entry of vCPU 0
 * @requests: VMM_REQ_* bits, honoured before the next entry
 * @in_guest: in guest mode or about to enter (interrupts disabled)
 * @stop_kicked: the stop request found it in guest mode and kicked it
 * @task: its thread
 * @cpu: the CPU its thread is bound to
 * @call_fn: what vmm_vcpu_call() asked it to run, paused
 * @call_arg: for @call_fn
 * @called: completed once @call_fn has run
 * @ctl: the value the guest wrote to the ctl port (VMM_CTL_*), for the
 *	%VMM_REQ_CTL request that follows
 * @trail: its last %VMM_TRAIL exits, for the report of a shutdown
 * @trail_next: exits kept so far; the next goes to @trail[@trail_next %
 *	%VMM_TRAIL]
 */
struct vmm_vcpu {
	struct vmm_vm *vm;
	unsigned int index;
	void *arch;
	struct vmm_entry_state entry;
	struct vmm_regs regs;
	struct vmm_exit exit;
	struct vmm_fpu fpu;
	struct vmm_lapic lapic;
	struct vmm_mtrr mtrr;
	u64 mcg_status;
	struct vmm_counts counts;
	u64 dr[8];
	bool halted;
	int mp_state;
	bool init;
	int sipi_vector;
	s64 started_ns;
	unsigned long requests;
	bool in_guest;
	bool stop_kicked;
	struct task_struct *task;
	int cpu;
	void (*call_fn)(struct vmm_vcpu *vcpu, void *arg);
	void *call_arg;
	struct completion called;
	u32 ctl;
	struct vmm_trail trail[VMM_TRAIL];
	unsigned int trail_next;
};

#define VMM_REQ_FLUSH	0
#define VMM_REQ_STOP	1
#define VMM_REQ_PAUSE	2
#define VMM_REQ_CALL	3	/* vmm_vcpu_call(): run call_fn, paused */
#define VMM_REQ_CTL	4	/* the guest wrote the ctl port: vmm_ctl() */

/* plant=: a VMM made buggy on purpose, to show that a run catches it. */
enum vmm_plant {
	VMM_PLANT_NONE,
	VMM_PLANT_NOKICK,	/* the flush callback neither kicks nor waits */
};

/* How the run ended. */
enum vmm_end {
	VMM_RUNNING,
	VMM_POWER_OFF,		/* ACPI S5: what the guest is asked to do */
	VMM_RESET,		/* reset register, triple fault */
	VMM_FAILED,		/* the VMM stopped it: @why */
	VMM_STOPPED,		/* the module was unloaded */
	VMM_TIMEOUT,
};

/**
 * struct vmm_side - a thread beside the vCPUs (side.c)
 * @task: the thread, or NULL
 * @armed: the guest's console has said when to start, or nothing had to
 *	be said
 * @launched: @task was created (or its creation failed)
 */
struct vmm_side {
	struct task_struct *task;
	bool armed;
	atomic_t launched;
};

/**
 * struct vmm_precopy - a live migration's pre-copy of the guest's RAM
 *	(precopy.c)
 * @side: the thread that copies (precopy_after=: armed by the console)
 * @ms: the time between two rounds
 * @copy: what a migration's destination would hold: RAM's size, each page
 *	as it was copied last
 * @dirty: a round's harvest while the guest runs (one bit per page)
 * @paused: the harvest with the vCPUs paused
 * @buf: a chunk of guest memory read to compare
 * @pages: pages of RAM
 * @on: dirty logging is on
 * @start_ns: when it started, from the first entry
 * @rounds: rounds done
 * @copied_first: pages present at the first pass, copied then
 * @copied_running: pages copied while the vCPUs ran
 * @copied_paused: pages copied while they were paused
 * @checked: pages compared with the copy while paused
 * @differ: of those, how many differed (a write after the page was copied
 *	that the harvest in the pause did not report)
 * @first_differ: the GPA of the first
 * @pause_ns: the time the vCPUs spent paused, in all
 * @pause_max_ns: the longest pause
 * @final_pages: pages compared with the copy once the guest had stopped
 * @final_differ: of those, how many differed
 * @error: the first error of an axas call (the run then fails)
 */
struct vmm_precopy {
	struct vmm_side side;
	unsigned int ms;
	u8 *copy;
	unsigned long *dirty;
	unsigned long *paused;
	u8 *buf;
	unsigned long pages;
	bool on;
	s64 start_ns;
	u64 rounds;
	u64 copied_first;
	u64 copied_running;
	u64 copied_paused;
	u64 checked;
	u64 differ;
	u64 first_differ;
	s64 pause_ns;
	s64 pause_max_ns;
	u64 final_pages;
	u64 final_differ;
	int error;
};

/**
 * struct vmm_vcpu_state - a vCPU's state beside guest memory (state.c)
 * @regs: its registers (&vmm_regs.fpu not kept)
 * @fpu: its x87/SSE registers
 * @lapic: its local APIC's registers (up to &vmm_lapic.timer)
 * @timer_fired: the APIC timer had fired, its vector not yet requested
 * @mtrr: its MTRRs
 * @mcg_status: IA32_MCG_STATUS
 * @dr: DR0-DR7 as the guest wrote them
 * @halted: in HLT
 * @mp_state: &enum vmm_mp_state
 * @arch: what ops->save() stored (ops->state_size bytes)
 */
struct vmm_vcpu_state {
	struct vmm_regs regs;
	struct vmm_fpu fpu;
	struct vmm_lapic lapic;
	bool timer_fired;
	struct vmm_mtrr mtrr;
	u64 mcg_status;
	u64 dr[8];
	bool halted;
	int mp_state;
	void *arch;
};

/**
 * struct vmm_state - a guest's state beside its memory (state.c): what a
 *	migration moves with the pages and a snapshot keeps with them
 * @uart: COM1
 * @pm: ACPI registers
 * @rtc: CMOS RTC
 * @pit: i8254 (its counts run on the guest's TSC)
 * @pci: configuration mechanism #1
 * @host_tsc: the host's TSC when the state was saved
 * @vcpu: each vCPU's
 */
struct vmm_state {
	struct vmm_uart uart;
	struct vmm_pm pm;
	struct vmm_rtc rtc;
	struct vmm_pit pit;
	struct vmm_pci pci;
	u64 host_tsc;
	struct vmm_vcpu_state vcpu[VMM_MAX_VCPUS];
};

/* How many pre-copy rounds a migration reports one by one. */
#define VMM_MIGRATE_ROUNDS	64

/**
 * struct vmm_migrate - a live migration from the guest's space into a
 *	second one (migrate.c)
 * @side: the thread that migrates (migrate_after=: armed by the console)
 * @max_rounds: pre-copy rounds at most before the stop-and-copy
 * @small: a round that finds this many dirty pages or fewer ends the
 *	pre-copy
 * @wp: log by write-protection (%AXAS_DIRTY_WP), not the dirty flags
 * @plant_gpa: migrate_plant=drop: the page the stop-and-copy leaves out
 *	(the guest names it on its console), or 0
 * @lock: serializes the copies into @dst with the rewind's mark
 * @dst: the space the guest moves into
 * @sent: rewind= too: the pages copied into @dst since its snapshot
 * @track: set @sent's bits
 * @mark_pages: rewind= too: pages of the mark's image written into @dst
 *	before its snapshot (vmm_migrate_mark())
 * @dirty: a harvest (one bit per page of RAM)
 * @present: present pages of a chunk (axas_read_present())
 * @buf: a chunk of pages on their way
 * @pages: pages of RAM
 * @state: the vCPUs' and the platform's state, on its way
 * @start_ns: when the migration began, from the first entry
 * @first_pages: pages copied by the first pass, the vCPUs running
 * @first_ns: its time
 * @rounds: pre-copy rounds after the first pass
 * @round_pages: pages each round found dirty (and copied)
 * @round_ns: each round's time
 * @mark_wait_ms: rewind= too: how long the pre-copy waited for the mark
 *	after its last round
 * @final_pages: pages the stop-and-copy found dirty
 * @final_copied: of those, how many it copied (all but a planted drop)
 * @planted: the planted drop left @plant_gpa out
 * @downtime_ns: vCPUs paused to resumed
 * @copy_ns: of it, the last harvest and copy
 * @state_ns: of it, saving and loading the vCPUs' and platform's state
 * @switch_ns: after it, shutting the source space down and destroying it
 * @done: the guest runs in @dst
 * @error: the first error (the run then fails)
 */
struct vmm_migrate {
	struct vmm_side side;
	unsigned int max_rounds;
	unsigned int small;
	bool wp;
	u64 plant_gpa;
	struct mutex lock;		/* the copies into @dst; the mark */
	struct axas_space *dst;
	unsigned long *sent;
	bool track;
	u64 mark_pages;
	unsigned long *dirty;
	unsigned long *present;
	u8 *buf;
	unsigned long pages;
	struct vmm_state *state;
	s64 start_ns;
	u64 first_pages;
	s64 first_ns;
	unsigned int rounds;
	u64 round_pages[VMM_MIGRATE_ROUNDS];
	s64 round_ns[VMM_MIGRATE_ROUNDS];
	unsigned int mark_wait_ms;
	u64 final_pages;
	u64 final_copied;
	bool planted;
	s64 downtime_ns;
	s64 copy_ns;
	s64 state_ns;
	s64 switch_ns;
	bool done;
	int error;
};

/* How many restores a rewind reports one by one. */
#define VMM_REWIND_MAX		16

/**
 * struct vmm_rewind - snapshot at the guest's mark, restore after each
 *	run of its workload (rewind.c)
 * @restores: restores to do (rewind=)
 * @seed: the seed of every run but the last (rewind_seed=)
 * @state: the vCPUs' and the platform's state at the mark
 * @image: the oracle: every page of RAM at the mark, as the sample read
 *	it (absent pages read as zeros)
 * @present: the pages present at the mark
 * @logging: the dirty log of the runs is on (with migrate=1, from the
 *	switch to the destination on)
 * @moved: the snapshot moved with a migration (vmm_migrate_mark())
 * @buf: a chunk of guest memory read to compare with @image
 * @written: the pages the guest wrote in a run (the VMM's dirty log)
 * @pages: pages of RAM
 * @guest_tsc: the guest's TSC at the mark
 * @marked: the snapshot was taken
 * @runs: runs ended (VMM_CTL_DONE)
 * @done: restores done
 * @mark_ns: the snapshot's time (axas_snapshot_take())
 * @image_ns: reading the oracle's image
 * @snapshot_pages: pages the snapshot saved
 * @restored: pages each restore returned
 * @dirty: pages the dirty log reported written in each run
 * @restore_ns: each restore's time (axas_snapshot_restore())
 * @memcpy_ns: memcpy() of as many pages, for each restore
 * @differ: pages that differed from @image after each restore
 * @first_differ: the GPA of the first that did
 * @error: the first error (the run then fails)
 */
struct vmm_rewind {
	unsigned int restores;
	u32 seed;
	struct vmm_state *state;
	u8 *image;
	unsigned long *present;
	bool logging;
	bool moved;
	u8 *buf;
	unsigned long *written;
	unsigned long pages;
	u64 guest_tsc;
	bool marked;
	unsigned int runs;
	unsigned int done;
	s64 mark_ns;
	s64 image_ns;
	u64 snapshot_pages;
	long restored[VMM_REWIND_MAX];
	u64 dirty[VMM_REWIND_MAX];
	s64 restore_ns[VMM_REWIND_MAX];
	s64 memcpy_ns[VMM_REWIND_MAX];
	u64 differ[VMM_REWIND_MAX];
	u64 first_differ;
	int error;
};

/**
 * struct vmm_vm - one guest
 * @ops: the CPU plumbing
 * @info: what it said at setup
 * @space: the guest's memory
 * @ramfile: ramfile=1: the memory file that holds the RAM above 2 MiB and
 *	the shared memory (mem.c), else NULL
 * @shm: ramfile=1: a second space, with no vCPU, that maps the shared
 *	memory, else NULL
 * @ram_size: bytes of RAM
 * @pgsize: frame size of the RAM above 2 MiB
 * @shared_ram: ramfile=1: the RAM above 2 MiB is a memory file (@ramfile)
 * @prefill: zero frames for the guest's faults while it halts
 * @tsc_khz: the TSC's frequency, the host's
 * @tsc_offset: the guest's TSC is the host's plus this at every vCPU's
 *	start (a freshly reset machine's TSCs count from 0, in step)
 * @nr_vcpus: vCPUs
 * @vcpus: the vCPUs; 0 is the bootstrap processor
 * @threads: vCPU threads that have not finished; the last calls @finish
 * @started: vCPUs that have run the guest
 * @dead: of those, how many the guest halted with interrupts disabled
 * @plant: &enum vmm_plant
 * @flushes: calls of the flush callback
 * @flush_kicks: vCPUs the flush callback found in guest mode, kicked
 *	out and waited for
 * @flush_posted: vCPUs it found out of guest mode: a request only
 * @pause_kicks: vCPUs vmm_pause() found in guest mode
 * @io_lock: serializes the devices on the port bus (shared by the vCPUs)
 * @end_lock: serializes the end of the run (@end, @why)
 * @uart: COM1
 * @pm: ACPI registers
 * @rtc: CMOS RTC
 * @pit: i8254
 * @pci: configuration mechanism #1
 * @precopy: the pre-copy (precopy_ms=), or NULL
 * @migrate: the live migration (migrate=1), or NULL
 * @rewind: the snapshot and restores (rewind=), or NULL
 * @end: how the run ended (&enum vmm_end)
 * @why: what ended it, for the report
 * @deadline: jiffies by which the guest must have finished
 * @console_line: called with each line the guest writes to its console
 *	(with @io_lock held)
 * @finish: called on the last vCPU thread to end, once the guest has
 *	stopped and virtualization is off on every vCPU's CPU: the report,
 *	and freeing the guest
 * @cookie: for @console_line and @finish
 * @start: the first entry
 * @ns: the run's length
 */
struct vmm_vm {
	const struct vmm_arch *ops;
	struct vmm_arch_info info;
	struct axas_space *space;
	struct file *ramfile;
	struct axas_space *shm;
	u64 ram_size;
	unsigned long pgsize;
	bool shared_ram;
	bool prefill;
	unsigned int tsc_khz;
	u64 tsc_offset;
	unsigned int nr_vcpus;
	struct vmm_vcpu vcpus[VMM_MAX_VCPUS];
	atomic_t threads;
	atomic_t started;
	atomic_t dead;
	enum vmm_plant plant;
	atomic64_t flushes;
	atomic64_t flush_kicks;
	atomic64_t flush_posted;
	atomic64_t pause_kicks;
	struct mutex io_lock;		/* the port bus's devices */
	spinlock_t end_lock;		/* @end and @why */
	struct vmm_uart uart;
	struct vmm_pm pm;
	struct vmm_rtc rtc;
	struct vmm_pit pit;
	struct vmm_pci pci;
	struct vmm_precopy *precopy;
	struct vmm_migrate *migrate;
	struct vmm_rewind *rewind;
	enum vmm_end end;
	char why[200];
	unsigned long deadline;
	void (*console_line)(void *cookie, const char *line);
	void (*finish)(void *cookie);
	void *cookie;
	ktime_t start;
	s64 ns;
};

__printf(3, 4) void vmm_stop(struct vmm_vm *vm, enum vmm_end end,
			     const char *fmt, ...);

/* Nanoseconds since @t0 (ktime_get()). */
static inline s64 vmm_since(ktime_t t0)
{
	return ktime_to_ns(ktime_sub(ktime_get(), t0));
}

/* The guest's TSC now, and TSC ticks at @hz since @since. */
u64 vmm_guest_tsc(struct vmm_vcpu *vcpu);
u64 vmm_ticks_since(struct vmm_vcpu *vcpu, u64 since, u32 hz);

/**
 * struct vmm_insn - the memory access of an instruction (insn.c)
 * @bytes: the instruction's bytes, as fetched
 * @len: its length
 * @kind: VMM_INSN_*
 * @size: bytes accessed: 1, 2, 4 or 8
 * @reg: the general-purpose register loaded, stored or exchanged
 * @high_byte: @reg is AH, CH, DH or BH (bits 15:8 of @reg - 4)
 * @zero_extend: MOVZX: the destination's size (2, 4 or 8), else 0
 * @imm: the immediate stored
 * @gva: the linear address accessed
 * @rip_relative: @gva was RIP-relative
 */
struct vmm_insn {
	u8 bytes[15];
	u8 len;
	u8 kind;
	u8 size;
	u8 reg;
	bool high_byte;
	u8 zero_extend;
	s64 imm;
	u64 gva;
	bool rip_relative;
};

#define VMM_INSN_LOAD		1
#define VMM_INSN_STORE		2
#define VMM_INSN_STORE_IMM	3
#define VMM_INSN_XCHG		4

/* mem.c: every axas call. */
int vmm_mem_create(struct vmm_vm *vm);
struct axas_space *vmm_mem_space(struct vmm_vm *vm, const char *name);
void vmm_mem_destroy(struct vmm_vm *vm, struct axas_space_stats *after);
int vmm_mem_write(struct vmm_vm *vm, u64 gpa, const void *buf, size_t len);
int vmm_mem_fault(struct vmm_vcpu *vcpu, const struct vmm_fault *f);
long vmm_mem_prefill(struct vmm_vcpu *vcpu);
int vmm_mem_fetch(struct vmm_vcpu *vcpu, void *buf, size_t len);
int vmm_mem_translate(struct vmm_vcpu *vcpu, u64 gva, bool write, u64 *gpa);
u64 vmm_mem_root(struct vmm_vm *vm);
void vmm_mem_stats(struct vmm_vm *vm, struct axas_space_stats *st);
struct axas_memfile_stats;
int vmm_mem_ramfile_stats(struct vmm_vm *vm, struct axas_memfile_stats *st);
int vmm_mem_shm_check(struct vmm_vm *vm, u64 token);

/* ramfile.c: the RAM file for userspace, through /dev/axas-vmm. */
int vmm_ramdev_publish(struct vmm_vm *vm);
void vmm_ramdev_unpublish(struct vmm_vm *vm);

/* vcpu.c */
int vmm_vcpu_start(struct vmm_vm *vm);
void vmm_vcpu_stop(struct vmm_vm *vm);
void vmm_vcpu_kick(struct vmm_vcpu *vcpu);
void vmm_flush(void *cookie, u64 gpa, u64 size);
void vmm_pause(struct vmm_vm *vm);
void vmm_resume(struct vmm_vm *vm);
int vmm_vcpu_call(struct vmm_vcpu *vcpu, void (*fn)(struct vmm_vcpu *, void *),
		  void *arg);
int vmm_vcpus_call(struct vmm_vm *vm, void (*fn)(struct vmm_vcpu *, void *),
		   void *arg);
bool vmm_running(struct vmm_vm *vm);
void vmm_inject_exception(struct vmm_vcpu *vcpu, u8 vector, bool has_error,
			  u32 error);

/* cpuid.c */
void vmm_cpuid(struct vmm_vcpu *vcpu, u32 leaf, u32 subleaf, u32 out[4]);
bool vmm_cpuid_has_tsc_freq(void);

/* insn.c, mmio.c */
int vmm_insn_decode(struct vmm_vcpu *vcpu, struct vmm_insn *in);
int vmm_mmio(struct vmm_vcpu *vcpu, const struct vmm_fault *f);
extern const char *const vmm_mmio_devices[];

/* msr.c, io.c */
int vmm_msr(struct vmm_vcpu *vcpu, u32 index, bool write, u64 *val);
void vmm_io(struct vmm_vcpu *vcpu, u16 port, u8 size, bool in, u32 *val);
extern const char *const vmm_msr_devices[];
extern const char *const vmm_io_devices[];

/* The devices' handlers, which msr.c and io.c's tables name. */
void vmm_lapic_init(struct vmm_vcpu *vcpu, bool bsp);
void vmm_lapic_exit(struct vmm_vcpu *vcpu);
int vmm_lapic_msr(struct vmm_vcpu *vcpu, u32 index, bool write, u64 *val);
int vmm_lapic_mmio(struct vmm_vcpu *vcpu, u64 offset, unsigned int size,
		   bool write, u64 *val);
int vmm_lapic_pending(struct vmm_lapic *lapic);
void vmm_lapic_accept(struct vmm_lapic *lapic, int vector);
bool vmm_lapic_woken(struct vmm_lapic *lapic);
void vmm_lapic_load(struct vmm_vcpu *vcpu, const struct vmm_lapic *s, bool fired);

int vmm_mce_msr(struct vmm_vcpu *vcpu, u32 index, bool write, u64 *val);
void vmm_mtrr_init(struct vmm_mtrr *mtrr);
int vmm_mtrr_msr(struct vmm_vcpu *vcpu, u32 index, bool write, u64 *val);

void vmm_uart_io(struct vmm_vcpu *vcpu, u16 offset, u8 size, bool in, u32 *val);
void vmm_uart_flush(struct vmm_vm *vm);
void vmm_pm_io(struct vmm_vcpu *vcpu, u16 offset, u8 size, bool in, u32 *val);
void vmm_rtc_init(struct vmm_rtc *rtc);
void vmm_rtc_io(struct vmm_vcpu *vcpu, u16 offset, u8 size, bool in, u32 *val);
void vmm_pit_io(struct vmm_vcpu *vcpu, u16 offset, u8 size, bool in, u32 *val);
void vmm_port61_io(struct vmm_vcpu *vcpu, u16 offset, u8 size, bool in, u32 *val);
void vmm_pci_io(struct vmm_vcpu *vcpu, u16 offset, u8 size, bool in, u32 *val);

/* precopy.c */
int vmm_precopy_init(struct vmm_vm *vm, unsigned int ms, bool armed);
void vmm_precopy_arm(struct vmm_vm *vm);
void vmm_precopy_start(struct vmm_vm *vm);
void vmm_precopy_end(struct vmm_vm *vm);
void vmm_precopy_free(struct vmm_vm *vm);

/* side.c, state.c, migrate.c, rewind.c */
int vmm_side_start(struct vmm_vm *vm, struct vmm_side *side,
		   int (*fn)(void *), const char *what);
int vmm_side_arm(struct vmm_vm *vm, struct vmm_side *side, int (*fn)(void *),
		 const char *what);
void vmm_side_park(void);
void vmm_side_stop(struct vmm_side *side);
struct vmm_state *vmm_state_alloc(struct vmm_vm *vm);
void vmm_state_free(struct vmm_state *st);
void vmm_state_save(struct vmm_vcpu *vcpu, void *st);
int vmm_state_load(struct vmm_vcpu *vcpu, const struct vmm_state *st,
		   u64 root, s64 tsc_shift);
void vmm_state_save_platform(struct vmm_vm *vm, struct vmm_state *st);
void vmm_state_load_platform(struct vmm_vm *vm, const struct vmm_state *st);
int vmm_migrate_init(struct vmm_vm *vm, unsigned int rounds, unsigned int small,
		     bool wp, bool armed);
void vmm_migrate_arm(struct vmm_vm *vm);
void vmm_migrate_start(struct vmm_vm *vm);
void vmm_migrate_end(struct vmm_vm *vm);
void vmm_migrate_free(struct vmm_vm *vm);
int vmm_migrate_mark(struct vmm_vm *vm, const u8 *image,
		     const unsigned long *present);
int vmm_rewind_init(struct vmm_vm *vm, unsigned int restores, u32 seed);
void vmm_ctl_io(struct vmm_vcpu *vcpu, u16 offset, u8 size, bool in, u32 *val);
void vmm_ctl(struct vmm_vcpu *vcpu);
void vmm_rewind_end(struct vmm_vm *vm);
void vmm_rewind_free(struct vmm_vm *vm);
int vmm_rewind_moved(struct vmm_vm *vm);
bool vmm_rewind_unmarked(struct vmm_vm *vm);

/* acpi.c, loader.c */
int vmm_acpi_build(struct vmm_vm *vm, u64 *rsdp);
int vmm_smbios_build(struct vmm_vm *vm);
int vmm_load_linux(struct vmm_vm *vm, const void *kernel, size_t kernel_size,
		   const void *initrd, size_t initrd_size, const char *cmdline,
		   struct vmm_entry_state *gs, char *why, size_t len);
void vmm_sipi_state(struct vmm_vcpu *vcpu, u8 vector);

/* linux.c: the module's entry points, called by an arch's module. */
int vmm_linux_main(const struct vmm_arch *ops);
void vmm_linux_end(void);

#endif /* _AXAS_SAMPLE_VMM_H */
