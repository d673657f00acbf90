// SPDX-License-Identifier: GPL-2.0
/*
 * The module's side of the VMM that boots Linux: it reads the kernel and
 * the initramfs from files (kernel=, initrd=), builds the guest (the
 * arch's set-up with a CPU of the VMM's own, the memory, the platform's
 * devices, the ACPI tables, the boot protocol's state), starts the vCPUs
 * (vcpus=) and returns; their threads print the guest's console as it
 * comes and, when the guest has stopped, the last of them the report,
 * then frees the guest.
 *
 * The report, each line after KBUILD_MODNAME ": ":
 *
 *   host: ...                        the arch's line
 *   linux: kernel ..., initrd ...    what was loaded where
 *   linux: guest: <line>             each line of the guest's console
 *   linux: guest Linux version: ...  the guest's own banner line
 *   linux: guest result: ...         the line it printed with the
 *                                    workload's result, and whether it is
 *                                    the one expected (expect=)
 *   linux: boot to the result line: N ms; the run: N ms; ended: <why>
 *   linux: exits N: npf, io, msr, cpuid, hlt, intr, irq window, dr, arch
 *   linux: nested faults: ... installed, ... refused; where no area is
 *   linux: port exits / msr exits by device, and the ones no device had
 *   linux: interrupts, HLT sleeps, the time in axas calls
 *   linux: the time in faults, the frames zeroed ahead in HLT (prefill=)
 *   linux: space at the end: frames, table pages, leaves
 *   linux: vCPUs, and each vCPU's exits          (vcpus= 2 or more)
 *   linux: IPIs between vCPUs; the flush callback's kicks; faults that
 *          lost a race; one frame per mapped page
 *   linux: pre-copy: rounds, pages copied, pauses, pages checked
 *   linux: pre-copy at the end: RAM compared with the copy (precopy_ms=)
 *   linux: RAM file: frames, blocks, user faults, views (ramfile=1)
 *   linux: migration: the first pass, each round's pages, the wait
 *          for the mark (rewind= too), the stop-and-copy and the
 *          downtime (migrate=1)
 *   linux: rewind: the mark; restore N: pages restored and written, the
 *          time against memcpy(), pages differing from the oracle
 *          (rewind=)
 *   linux: after shutdown: 0 frames, 1 table pages (the root), ...
 *   RESULT PASS|FAIL|STOPPED (...)
 *
 * PASS: the guest printed the expected result line, powered off (ACPI
 * S5), its console shows no kernel report, the space held one frame per
 * mapped page, its shutdown left no frame, and the pre-copy (when asked
 * for) ran and found every page equal to its copy, the migration moved the
 * guest, and every restore restored the pages written and left RAM equal
 * to the oracle's copy. The space reported at the end is the one the
 * guest ended on (a migration's destination).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel_read_file.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <asm/tsc.h>
#include <axas/memfile.h>
#include "vmm.h"

static char *kernel = "";
module_param(kernel, charp, 0444);
MODULE_PARM_DESC(kernel, "guest=linux: the bzImage to boot (a path)");
static char *initrd = "";
module_param(initrd, charp, 0444);
MODULE_PARM_DESC(initrd, "guest=linux: its initramfs (a path), or none");
static char *cmdline = "";
module_param(cmdline, charp, 0444);
MODULE_PARM_DESC(cmdline, "guest=linux: appended to the command line the VMM gives (console=ttyS0, and on AMD tsc_early_khz=)");
static unsigned int mem_mb = 256;
module_param(mem_mb, uint, 0444);
MODULE_PARM_DESC(mem_mb, "guest=linux: MiB of RAM, 64 to 3072");
static char *frames = "2M";
module_param(frames, charp, 0444);
MODULE_PARM_DESC(frames, "guest=linux: frames of the RAM above 2 MiB: 2M (falling back to 4K) or 4K");
static char *expect = "";
module_param(expect, charp, 0444);
MODULE_PARM_DESC(expect, "guest=linux: the result line the guest must print");
static char *result = "AXAS-GUEST-RESULT";
module_param(result, charp, 0444);
MODULE_PARM_DESC(result, "guest=linux: what the guest's result line starts with");
static bool tsc_hint = true;
module_param(tsc_hint, bool, 0444);
MODULE_PARM_DESC(tsc_hint, "guest=linux: on AMD, tell the kernel the TSC's frequency (tsc_early_khz=); 0: let it calibrate");
static bool prefill = true;
module_param(prefill, bool, 0444);
MODULE_PARM_DESC(prefill, "guest=linux: zero frames for the guest's faults while it halts (axas_prefill())");
static unsigned int boot_timeout_s = 600;
module_param(boot_timeout_s, uint, 0444);
MODULE_PARM_DESC(boot_timeout_s, "guest=linux: stop the guest after this many seconds");
static unsigned int vcpus = 1;
module_param(vcpus, uint, 0444);
MODULE_PARM_DESC(vcpus, "guest=linux: vCPUs, each on a CPU of its own (1 to 8)");
static unsigned int precopy_ms;
module_param(precopy_ms, uint, 0444);
MODULE_PARM_DESC(precopy_ms, "guest=linux: keep a pre-copy of the guest's RAM from the dirty log, a round every this many ms, and check it with the vCPUs paused (0: no)");
static char *precopy_after = "";
module_param(precopy_after, charp, 0444);
MODULE_PARM_DESC(precopy_after, "guest=linux: begin the pre-copy when the guest's console prints a line that begins with this (empty: once every vCPU runs)");
static char *flush_plant = "";
module_param(flush_plant, charp, 0444);
MODULE_PARM_DESC(flush_plant, "guest=linux: a planted bug: nokick, the flush callback posts requests and returns without kicking a vCPU in guest mode or waiting for it");
static bool ramfile;
module_param(ramfile, bool, 0444);
MODULE_PARM_DESC(ramfile, "guest=linux: the RAM above 2 MiB is a memory file, given to userspace through /dev/axas-vmm, with 2 MiB of shared memory a second space maps (mem.c, ramfile.c)");
static bool migrate;
module_param(migrate, bool, 0444);
MODULE_PARM_DESC(migrate, "guest=linux: migrate the running guest into a second space (migrate.c)");
static char *migrate_after = "";
module_param(migrate_after, charp, 0444);
MODULE_PARM_DESC(migrate_after, "guest=linux: begin the migration when the guest's console prints a line that begins with this (empty: once every vCPU runs)");
static unsigned int migrate_rounds = 30;
module_param(migrate_rounds, uint, 0444);
MODULE_PARM_DESC(migrate_rounds, "guest=linux: pre-copy rounds at most (up to 64)");
static unsigned int migrate_small = 256;
module_param(migrate_small, uint, 0444);
MODULE_PARM_DESC(migrate_small, "guest=linux: a pre-copy round that finds this many dirty pages or fewer is the last");
static bool migrate_wp;
module_param(migrate_wp, bool, 0444);
MODULE_PARM_DESC(migrate_wp, "guest=linux: log dirty pages by write-protection (AXAS_DIRTY_WP), not by the dirty flags");
static char *migrate_plant = "";
module_param(migrate_plant, charp, 0444);
MODULE_PARM_DESC(migrate_plant, "guest=linux: a planted bug: drop, the stop-and-copy leaves out the page the guest names (AXAS-GUEST-BUF gpa=)");
static unsigned int rewind;
module_param(rewind, uint, 0444);
MODULE_PARM_DESC(rewind, "guest=linux: snapshot at the guest's mark, and this many restores, one after each run of its workload (one vCPU; up to 16)");
static unsigned int rewind_seed = 1;
module_param(rewind_seed, uint, 0444);
MODULE_PARM_DESC(rewind_seed, "guest=linux: the seed the ctl port gives every run but the last (which gets one more)");

/* The line the guest names its buffer's first page with (migrate_plant=). */
#define LINUX_BUF_LINE	"AXAS-GUEST-BUF gpa="

/* What in the guest's console is a kernel report: the run fails on one. */
static const char *const linux_reports[] = {
	"BUG:", "WARNING:", "Oops", "Call Trace", "Kernel panic",
	"general protection fault", "unchecked MSR access", "UBSAN",
	"soft lockup", "hard LOCKUP", "detected stall", "Hardware Error",
};

/**
 * struct vmm_linux - the guest and what its console said
 * @vm: the guest
 * @line: the command line given
 * @loaded: what the loader put where
 * @version: the guest's "Linux version" line
 * @result: its result line
 * @result_ns: when it came, from the first entry
 * @problem: the first line of a kernel report in its console
 * @problems: how many
 * @lines: console lines
 * @started: the vCPUs' threads run (or ran)
 * @total: the vCPUs' counts added up, for the report
 */
struct vmm_linux {
	struct vmm_vm vm;
	struct vmm_counts total;
	char line[512];
	char loaded[200];
	char version[200];
	char result[200];
	s64 result_ns;
	char problem[200];
	unsigned int problems;
	unsigned int lines;
	bool started;
};

static struct vmm_linux *vmm_linux_guest;

static void linux_console_line(void *cookie, const char *s)
{
	struct vmm_linux *l = cookie;
	unsigned int i;
	u64 gpa;

	l->lines++;
	pr_info("linux: guest: %s\n", s);
	if (precopy_after[0] && !strncmp(s, precopy_after, strlen(precopy_after)))
		vmm_precopy_arm(&l->vm);
	if (migrate_after[0] && !strncmp(s, migrate_after, strlen(migrate_after)))
		vmm_migrate_arm(&l->vm);
	if (l->vm.migrate && migrate_plant[0] && !READ_ONCE(l->vm.migrate->plant_gpa) &&
	    !strncmp(s, LINUX_BUF_LINE, strlen(LINUX_BUF_LINE)) &&
	    !kstrtoull(s + strlen(LINUX_BUF_LINE), 0, &gpa))
		WRITE_ONCE(l->vm.migrate->plant_gpa, gpa);
	if (!l->version[0] && strstr(s, "Linux version"))
		strscpy(l->version, strstr(s, "Linux version"), sizeof(l->version));
	if (!l->result[0] && !strncmp(s, result, strlen(result))) {
		strscpy(l->result, s, sizeof(l->result));
		l->result_ns = ktime_to_ns(ktime_sub(ktime_get(), l->vm.start));
	}
	for (i = 0; i < ARRAY_SIZE(linux_reports); i++) {
		if (!strstr(s, linux_reports[i]))
			continue;
		if (!l->problems++)
			strscpy(l->problem, s, sizeof(l->problem));
		break;
	}
}

static const char *const linux_end_names[] = {
	[VMM_RUNNING] = "running",
	[VMM_POWER_OFF] = "powered off",
	[VMM_RESET] = "reset",
	[VMM_FAILED] = "stopped by the VMM",
	[VMM_STOPPED] = "stopped",
	[VMM_TIMEOUT] = "timed out",
};

static void linux_report_exits(const struct vmm_counts *c, const char *who)
{
	const u64 *e = c->exits;
	u64 total = 0;
	unsigned int i;

	for (i = 0; i < VMM_EXIT_KINDS; i++)
		total += e[i];
	pr_info("linux: %sexits %llu: npf %llu, io %llu, msr %llu, cpuid %llu, hlt %llu, intr %llu, irq window %llu, dr %llu, arch %llu, other %llu\n",
		who, total, e[VMM_EXIT_FAULT], e[VMM_EXIT_IO], e[VMM_EXIT_MSR],
		e[VMM_EXIT_CPUID], e[VMM_EXIT_HALT], e[VMM_EXIT_INTR],
		e[VMM_EXIT_IRQ_WINDOW], e[VMM_EXIT_DR], e[VMM_EXIT_NONE],
		e[VMM_EXIT_HYPERCALL] + e[VMM_EXIT_SHUTDOWN] + e[VMM_EXIT_FATAL]);
}

/* "name N, name N, ..." of a device count table. */
static void linux_list(char *buf, size_t len, const char *const *names,
		       unsigned int n, const u64 *counts)
{
	size_t at = 0;
	unsigned int i;

	buf[0] = 0;
	for (i = 0; i < n; i++)
		at += scnprintf(buf + at, len - at, "%s%s %llu", i ? ", " : "",
				names[i], counts[i]);
}

static void linux_report_devices(const struct vmm_counts *c)
{
	char buf[256], other[256];
	size_t at = 0;
	unsigned int i;
	u64 total = 0;

	for (i = 0; i < VMM_TOP_ARCH && c->arch_count[i]; i++)
		at += scnprintf(other + at, sizeof(other) - at, "%s%s %llu",
				i ? ", " : "", c->arch[i], c->arch_count[i]);
	pr_info("linux: exits the arch handled %llu: %s\n",
		c->exits[VMM_EXIT_NONE], at ? other : "none");
	pr_info("linux: MMIO exits %llu: lapic %llu\n", c->mmio[0], c->mmio[0]);

	for (i = 0; i < ARRAY_SIZE(c->port); i++)
		total += c->port[i];
	linux_list(buf, sizeof(buf), vmm_io_devices, ARRAY_SIZE(c->port), c->port);
	at = 0;
	for (i = 0; i < VMM_TOP_PORTS && c->other_port_count[i]; i++)
		at += scnprintf(other + at, sizeof(other) - at, "%s%#x x%llu",
				i ? ", " : "", c->other_port[i], c->other_port_count[i]);
	pr_info("linux: port exits %llu: %s%s%s%s\n", total, buf,
		at ? " (no device: " : "", at ? other : "", at ? ")" : "");

	total = 0;
	for (i = 0; i < 6; i++)
		total += c->msr[i];
	linux_list(buf, sizeof(buf), vmm_msr_devices, 6, c->msr);
	at = 0;
	for (i = 0; i < VMM_TOP_MSRS && c->gp_msr_count[i]; i++)
		at += scnprintf(other + at, sizeof(other) - at, "%s%#x x%llu",
				i ? ", " : "", c->gp_msr[i], c->gp_msr_count[i]);
	pr_info("linux: MSR exits to the VMM %llu: %s%s%s%s\n", total, buf,
		at ? " (refused with #GP: " : "", at ? other : "", at ? ")" : "");
}

/* Add @n of @key to a "first seen" list of @max entries. */
static void linux_add_top(u64 *keys, u64 *counts, unsigned int max, u64 key,
			  u64 n)
{
	unsigned int i;

	for (i = 0; i < max; i++) {
		if (counts[i] && keys[i] != key)
			continue;
		keys[i] = key;
		counts[i] += n;
		return;
	}
}

/* Add the "first seen" list @ckeys/@ccounts into @tkeys/@tcounts. */
static void linux_add_list(u64 *tkeys, u64 *tcounts, const u64 *ckeys,
			   const u64 *ccounts, unsigned int max)
{
	unsigned int i;

	for (i = 0; i < max && ccounts[i]; i++)
		linux_add_top(tkeys, tcounts, max, ckeys[i], ccounts[i]);
}

static void linux_add(u64 *dst, const u64 *src, unsigned int n)
{
	while (n--)
		*dst++ += *src++;
}

/* The vCPUs' counts, added up into l->total. */
static void linux_sum(struct vmm_linux *l)
{
	struct vmm_counts *t = &l->total;
	u64 tkeys[VMM_TOP_PORTS], ckeys[VMM_TOP_PORTS];
	const struct vmm_counts *c;
	unsigned int v, i;

	BUILD_BUG_ON(VMM_TOP_PORTS != VMM_TOP_MSRS || VMM_TOP_PORTS != VMM_TOP_ARCH);
	memset(t, 0, sizeof(*t));
	for (v = 0; v < l->vm.nr_vcpus; v++) {
		c = &l->vm.vcpus[v].counts;
		linux_add(t->exits, c->exits, VMM_EXIT_KINDS);
		linux_add(t->mmio, c->mmio, ARRAY_SIZE(c->mmio));
		linux_add(t->port, c->port, ARRAY_SIZE(c->port));
		linux_add(t->msr, c->msr, ARRAY_SIZE(c->msr));
		t->npf_ram += c->npf_ram;
		t->npf_mmio += c->npf_mmio;
		t->npf_lost += c->npf_lost;
		t->injected += c->injected;
		t->irq_windows += c->irq_windows;
		t->exceptions += c->exceptions;
		t->halts += c->halts;
		t->halt_ns += c->halt_ns;
		t->axas_calls += c->axas_calls;
		t->axas_ns += c->axas_ns;
		t->fault_ns += c->fault_ns;
		t->prefill_frames += c->prefill_frames;
		t->prefill_ns += c->prefill_ns;
		t->ipis += c->ipis;
		t->ipi_kicks += c->ipi_kicks;
		t->ipi_wakes += c->ipi_wakes;
		t->self_ipis += c->self_ipis;
		t->inits += c->inits;
		t->sipis += c->sipis;
		t->sipis_started += c->sipis_started;
		t->ipis_dropped += c->ipis_dropped;

		for (i = 0; i < VMM_TOP_PORTS; i++) {
			tkeys[i] = t->other_port[i];
			ckeys[i] = c->other_port[i];
		}
		linux_add_list(tkeys, t->other_port_count, ckeys,
			       c->other_port_count, VMM_TOP_PORTS);
		for (i = 0; i < VMM_TOP_PORTS; i++) {
			t->other_port[i] = tkeys[i];
			tkeys[i] = t->gp_msr[i];
			ckeys[i] = c->gp_msr[i];
		}
		linux_add_list(tkeys, t->gp_msr_count, ckeys, c->gp_msr_count,
			       VMM_TOP_MSRS);
		for (i = 0; i < VMM_TOP_PORTS; i++) {
			t->gp_msr[i] = tkeys[i];
			tkeys[i] = (unsigned long)t->arch[i];
			ckeys[i] = (unsigned long)c->arch[i];
		}
		linux_add_list(tkeys, t->arch_count, ckeys, c->arch_count,
			       VMM_TOP_ARCH);
		for (i = 0; i < VMM_TOP_ARCH; i++)
			t->arch[i] = (const char *)(unsigned long)tkeys[i];
	}
}

/* Whether every frame the space holds is mapped, once: no race lost one. */
static bool linux_one_frame_per_page(struct vmm_vm *vm,
				     const struct axas_space_stats *st)
{
	unsigned long frames = st->frames;
	struct axas_memfile_stats mst;

	/*
	 * ramfile=1: the RAM file's frames are the file's, not the space's,
	 * and the guest's space maps each of them once (the shared memory's
	 * too, at VMM_SHM_GPA).
	 */
	if (vm->ramfile && !vmm_mem_ramfile_stats(vm, &mst))
		frames += mst.frames;
	return frames == st->leaves[0] + (st->leaves[1] << 9) +
			 (st->leaves[2] << 18);
}

/* vcpus= 2 or more: the vCPUs, their IPIs, kicks and races. */
static void linux_report_smp(struct vmm_linux *l, const struct axas_space_stats *st)
{
	static const char *const state[] = {
		[VMM_MP_WAIT_SIPI] = "never started (no SIPI came)",
		[VMM_MP_RUNNING] = "running at the end",
		[VMM_MP_DEAD] = "halted with interrupts disabled at the end",
	};
	const struct vmm_counts *t = &l->total;
	struct vmm_vm *vm = &l->vm;
	char buf[160];
	size_t at = 0;
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++) {
		const struct vmm_vcpu *v = &vm->vcpus[i];

		if (!i)
			pr_info("linux: vCPU0 on CPU %d: APIC ID 0, the bootstrap processor; %s\n",
				v->cpu, state[v->mp_state]);
		else if (v->sipi_vector >= 0)
			pr_info("linux: vCPU%u on CPU %d: APIC ID %u, started by INIT and SIPI vector %#x (real mode at %#x) %lld ms after vCPU0; %s\n",
				i, v->cpu, v->lapic.id, v->sipi_vector,
				v->sipi_vector << 12, v->started_ns / NSEC_PER_MSEC,
				state[v->mp_state]);
		else
			pr_info("linux: vCPU%u on CPU %d: APIC ID %u, %s\n", i, v->cpu,
				v->lapic.id, state[v->mp_state]);
		snprintf(buf, sizeof(buf), "vCPU%u: ", i);
		linux_report_exits(&v->counts, buf);
	}
	pr_info("linux: IPIs between vCPUs: %llu fixed, %llu of them found the target in guest mode (kicked out with the reschedule IPI), %llu out of it (woken if asleep); self-IPIs %llu; INIT %llu, SIPI %llu (%llu started a vCPU); dropped %llu (NMI, SMI, ...)\n",
		t->ipis, t->ipi_kicks, t->ipi_wakes, t->self_ipis, t->inits,
		t->sipis, t->sipis_started, t->ipis_dropped);
	pr_info("linux: flush callback: %lld calls (axas counted %llu); they found a vCPU in guest mode %lld times: kicked out and waited for%s; out of guest mode %lld times (a request for its next entry)\n",
		atomic64_read(&vm->flushes), st->flushes,
		atomic64_read(&vm->flush_kicks),
		vm->plant == VMM_PLANT_NOKICK ? " (flush_plant=nokick: none was)" : "",
		atomic64_read(&vm->flush_posted));
	for (i = 0; i < vm->nr_vcpus; i++)
		at += scnprintf(buf + at, sizeof(buf) - at, "%svCPU%u %llu", i ? ", " : "",
				i, vm->vcpus[i].counts.npf_lost);
	pr_info("linux: nested faults that lost a race to another vCPU (axas found the page installed): %llu (%s; axas counted %llu); one frame per mapped page: %s (%lu frames; leaves 4K %lu, 2M %lu, 1G %lu)\n",
		t->npf_lost, buf, st->faults_spurious,
		linux_one_frame_per_page(vm, st) ? "yes" : "NO", st->frames,
		st->leaves[0], st->leaves[1], st->leaves[2]);
}

/* precopy_ms=: what the pre-copy did and found. */
static void linux_report_precopy(struct vmm_vm *vm)
{
	const struct vmm_precopy *pc = vm->precopy;

	if (!pc->rounds) {
		pr_info("linux: pre-copy: no round ran (%s; error %d)\n",
			atomic_read(&pc->side.launched) ? "begun" : "never begun", pc->error);
		return;
	}
	pr_info("linux: pre-copy: a round every %u ms from %lld ms on: %llu rounds; pages copied %llu at the first pass, %llu while the vCPUs ran, %llu while they were paused; the pauses found a vCPU in guest mode %lld times, took %lld ms in all, %lld ms the longest\n",
		pc->ms, pc->start_ns / NSEC_PER_MSEC, pc->rounds, pc->copied_first,
		pc->copied_running, pc->copied_paused,
		atomic64_read(&vm->pause_kicks), pc->pause_ns / NSEC_PER_MSEC,
		pc->pause_max_ns / NSEC_PER_MSEC);
	pr_info("linux: pre-copy check: %llu pages copied in a round and not reported written by the pause's harvest were compared with their copy: %llu differed%s\n",
		pc->checked, pc->differ, pc->differ ? " (written through a stale translation)" : "");
	pr_info("linux: pre-copy at the end: %llu pages of RAM compared with the copy: %llu differ%s; error %d\n",
		pc->final_pages, pc->final_differ,
		pc->differ || pc->final_differ ? "" : " (the copy is the guest's RAM)",
		pc->error);
}

/* migrate=1: the first pass, the rounds, the downtime. */
static void linux_report_migrate(struct vmm_vm *vm)
{
	const struct vmm_migrate *mg = vm->migrate;
	unsigned int i, first;
	char buf[512];
	size_t at;

	pr_info("linux: migration: begun at %lld ms, dirty log by %s; first pass %llu pages in %lld ms; %u pre-copy rounds (at most %u; a round of %u pages or fewer is the last)\n",
		mg->start_ns / NSEC_PER_MSEC, mg->wp ? "write-protection" : "dirty flags",
		mg->first_pages, mg->first_ns / NSEC_PER_MSEC, mg->rounds,
		mg->max_rounds, mg->small);
	if (vm->rewind)
		pr_info("linux: migration: after the rounds, %u ms waiting for the guest's mark\n",
			mg->mark_wait_ms);
	/* The rounds, 16 to a line. */
	for (first = 0; first < mg->rounds; first += 16) {
		at = 0;
		for (i = first; i < mg->rounds && i < first + 16; i++)
			at += scnprintf(buf + at, sizeof(buf) - at, "%s%llu (%lld ms)",
					i > first ? ", " : "", mg->round_pages[i],
					mg->round_ns[i] / NSEC_PER_MSEC);
		pr_info("linux: migration: rounds %u-%u, pages found dirty and copied: %s\n",
			first + 1, i, buf);
	}
	pr_info("linux: migration: stop-and-copy %llu pages dirty, %llu copied%s; downtime %lld us: vCPU and platform state %lld us, last harvest and copy %lld us; then the source space shut down and destroyed in %lld us; the guest runs on the destination space: %s; error %d\n",
		mg->final_pages, mg->final_copied,
		mg->planted ? " (migrate_plant=drop: the guest's buffer page left out)" :
		migrate_plant[0] ? " (migrate_plant=drop: the page named was not dirty, nothing dropped)" : "",
		mg->downtime_ns / NSEC_PER_USEC, mg->state_ns / NSEC_PER_USEC,
		mg->copy_ns / NSEC_PER_USEC, mg->switch_ns / NSEC_PER_USEC,
		mg->done ? "yes" : "NO", mg->error);
}

/* rewind=: the mark, and each restore against the oracle. */
static void linux_report_rewind(struct vmm_vm *vm)
{
	const struct vmm_rewind *rw = vm->rewind;
	unsigned int i;

	pr_info("linux: rewind: %s; snapshot of %llu pages taken in %lld us, the oracle's copy of RAM read in %lld ms; runs ended %u, restores %u of %u; error %d\n",
		rw->marked ? "the guest marked its point" : "NO mark came",
		rw->snapshot_pages, rw->mark_ns / NSEC_PER_USEC,
		rw->image_ns / NSEC_PER_MSEC, rw->runs, rw->done, rw->restores,
		rw->error);
	for (i = 0; i < rw->done; i++)
		pr_info("linux: restore %u: %ld pages restored, %llu written by the guest in its run (%s); restore %lld us (%lld ns a page), memcpy() of as many pages %lld us (%lld ns a page); the oracle: %llu pages differ from the mark\n",
			i + 1, rw->restored[i], rw->dirty[i],
			rw->restored[i] == rw->dirty[i] ? "equal" : "NOT equal",
			rw->restore_ns[i] / NSEC_PER_USEC,
			rw->restored[i] ? rw->restore_ns[i] / rw->restored[i] : 0,
			rw->memcpy_ns[i] / NSEC_PER_USEC,
			rw->restored[i] ? rw->memcpy_ns[i] / rw->restored[i] : 0,
			rw->differ[i]);
	if (rw->moved)
		pr_info("linux: rewind: the mark came during the migration's pre-copy: snapshot taken in the source beside its dirty log; %llu pages of the mark written into the destination and its snapshot taken there; %u pages the migration copied after it counted as written in the first run\n",
			vm->migrate->mark_pages,
			bitmap_weight(vm->migrate->sent, rw->pages));
	if (rw->first_differ)
		pr_info("linux: rewind: the first page that differed: %#llx\n", rw->first_differ);
}

/* migrate=1 and rewind=, when asked for, did what they must. */
static bool linux_moves_ok(const struct vmm_vm *vm)
{
	const struct vmm_migrate *mg = vm->migrate;
	const struct vmm_rewind *rw = vm->rewind;
	unsigned int i;

	if (mg && (!mg->done || mg->error))
		return false;
	if (!rw)
		return true;
	if (rw->done != rw->restores || rw->error)
		return false;
	for (i = 0; i < rw->done; i++)
		if (rw->differ[i] || rw->restored[i] != rw->dirty[i])
			return false;
	return true;
}

/* The pre-copy, when asked for, ran and found nothing wrong. */
static bool linux_precopy_ok(const struct vmm_vm *vm)
{
	const struct vmm_precopy *pc = vm->precopy;

	return !pc || (pc->rounds && !pc->differ && !pc->final_differ &&
		       pc->final_pages == pc->pages && !pc->error);
}

static void linux_report(struct vmm_linux *l, const struct axas_space_stats *st)
{
	struct axas_memfile_stats mst;
	struct vmm_vm *vm = &l->vm;
	const struct vmm_counts *c = &l->total;
	bool match = l->result[0] && (!expect[0] || !strcmp(l->result, expect));

	linux_sum(l);
	pr_info("linux: guest Linux version: %s\n",
		l->version[0] ? l->version : "(none seen)");
	pr_info("linux: guest result: %s (%s)\n",
		l->result[0] ? l->result : "(none seen)",
		!l->result[0] ? "no result line" : !expect[0] ? "nothing expected" :
		match ? "as expected" : "NOT the expected one");
	if (l->result[0])
		pr_info("linux: boot to the result line: %lld ms; the run: %lld ms; ended: %s: %s\n",
			l->result_ns / NSEC_PER_MSEC, vm->ns / NSEC_PER_MSEC,
			linux_end_names[vm->end], vm->why);
	else
		pr_info("linux: the run: %lld ms; ended: %s: %s\n",
			vm->ns / NSEC_PER_MSEC, linux_end_names[vm->end], vm->why);
	linux_report_exits(c, "");
	pr_info("linux: nested faults: %llu in RAM (faults installed %llu, refused %llu, spurious %llu; %llu 2 MiB slots fell back to 4 KiB), %llu where no area is (MMIO)\n",
		c->npf_ram, st->faults_installed, st->faults_refused,
		st->faults_spurious, st->fallbacks, c->npf_mmio);
	linux_report_devices(c);
	pr_info("linux: interrupts injected %llu (%llu entries waited for an interrupt window); exceptions raised by the VMM %llu; HLT: %llu sleeps, %lld ms asleep\n",
		c->injected, c->irq_windows, c->exceptions, c->halts,
		c->halt_ns / NSEC_PER_MSEC);
	pr_info("linux: axas calls on the vCPU's path: %llu, %lld ms of the run's %lld ms (%lld.%lld%%)\n",
		c->axas_calls, c->axas_ns / NSEC_PER_MSEC, vm->ns / NSEC_PER_MSEC,
		vm->ns ? c->axas_ns * 100 / vm->ns : 0,
		vm->ns ? c->axas_ns * 1000 / vm->ns % 10 : 0);
	pr_info("linux: nested faults in RAM took %lld ms in axas_fault(); frames zeroed ahead while the guest halted: %llu in %lld ms (prefill=%d), %lu left in the pool\n",
		c->fault_ns / NSEC_PER_MSEC, c->prefill_frames,
		c->prefill_ns / NSEC_PER_MSEC, vm->prefill, st->pool_frames);
	pr_info("linux: space at the end: %lu frames (%lu MiB), %lu table pages; leaves 4K %lu, 2M %lu, 1G %lu; console %u lines\n",
		st->frames, st->frames >> (20 - PAGE_SHIFT), st->tables,
		st->leaves[0], st->leaves[1], st->leaves[2], l->lines);
	if (vm->nr_vcpus > 1)
		linux_report_smp(l, st);
	if (vm->precopy)
		linux_report_precopy(vm);
	if (vm->migrate)
		linux_report_migrate(vm);
	if (vm->rewind)
		linux_report_rewind(vm);
	if (vm->ramfile && !vmm_mem_ramfile_stats(vm, &mst))
		pr_info("linux: RAM file: %lu frames (%lu MiB), %lu whole 2 MiB blocks, %lu fell back to 4 KiB; %lu faults of user mappings; %lu views\n",
			mst.frames, mst.frames >> (20 - PAGE_SHIFT), mst.blocks,
			mst.fallbacks, mst.user_faults, mst.views);
	if (l->problems)
		pr_info("linux: the guest's console has %u kernel report lines, the first: %s\n",
			l->problems, l->problem);
}

/*
 * On the last vCPU thread to end, virtualization off on every vCPU's CPU
 * (or on the loader's, when the set-up failed): report, then free the
 * guest.
 */
static void linux_finish(void *cookie)
{
	struct vmm_linux *l = cookie;
	struct vmm_vm *vm = &l->vm;
	struct axas_space_stats st = {}, after;
	bool match = l->result[0] && (!expect[0] || !strcmp(l->result, expect));
	const char *moves = vm->migrate && (!vm->migrate->done || vm->migrate->error) ?
			    ", the migration failed" : ", the snapshot or a restore failed";
	bool pass, precopy_ok, frames_ok, moves_ok;
	unsigned int i;

	vmm_uart_flush(vm);
	vmm_precopy_end(vm);
	vmm_migrate_end(vm);
	vmm_rewind_end(vm);
	if (vm->space)
		vmm_mem_stats(vm, &st);
	linux_report(l, &st);
	frames_ok = linux_one_frame_per_page(vm, &st);
	precopy_ok = linux_precopy_ok(vm);
	moves_ok = linux_moves_ok(vm);
	vmm_mem_destroy(vm, &after);
	pr_info("linux: after shutdown: %lu frames, %lu table pages (the root), %lu areas; then the space is destroyed\n",
		after.frames, after.tables, after.areas);
	for (i = 0; i < vm->nr_vcpus; i++) {
		if (vm->vcpus[i].arch)
			vm->ops->teardown(vm->vcpus[i].arch);
		vm->vcpus[i].arch = NULL;
	}
	vmm_precopy_free(vm);
	vmm_migrate_free(vm);
	vmm_rewind_free(vm);
	pass = vm->end == VMM_POWER_OFF && match && !l->problems && !after.frames &&
	       frames_ok && precopy_ok && moves_ok;
	if (vm->end == VMM_STOPPED)
		pr_info("RESULT STOPPED (%s)\n", vm->why);
	else
		pr_info("RESULT %s (Linux guest: %s%s%s%s%s%s)\n", pass ? "PASS" : "FAIL",
			linux_end_names[vm->end],
			match ? ", result as expected" : ", no expected result",
			l->problems ? ", kernel reports in its console" : "",
			frames_ok ? "" : ", frames not mapped once each",
			precopy_ok ? "" : ", the pre-copy failed",
			moves_ok ? "" : moves);
}

static void *linux_read(const char *path, size_t max, size_t *size, char *why,
			size_t len)
{
	void *buf = NULL;
	ssize_t ret;

	ret = kernel_read_file_from_path(path, 0, &buf, max, size,
					 READING_KEXEC_IMAGE);
	if (ret < 0) {
		snprintf(why, len, "cannot read %s: %zd", path, ret);
		return ERR_PTR(ret);
	}
	return buf;
}

/* The guest's x87/SSE state after reset (FNINIT, MXCSR's default). */
static void linux_fpu_init(struct vmm_fpu *fpu)
{
	memset(fpu, 0, sizeof(*fpu));
	*(u16 *)&fpu->fxsave[0] = 0x37f;		/* FCW */
	*(u32 *)&fpu->fxsave[24] = 0x1f80;		/* MXCSR */
}

/* vCPU @i: the arch's context for it, and its state at power-on. */
static int linux_vcpu_setup(struct vmm_vm *vm, unsigned int i)
{
	struct vmm_vcpu *v = &vm->vcpus[i];
	struct vmm_arch_info info = { .own_cpu = true };
	char why[sizeof(vm->why)] = "";
	void *arch;

	arch = vm->ops->setup(i ? &info : &vm->info, why, sizeof(why));
	if (IS_ERR(arch)) {
		vmm_stop(vm, VMM_FAILED, "vCPU%u: %s", i, why);
		return PTR_ERR(arch);
	}
	v->arch = arch;
	v->vm = vm;
	v->index = i;
	v->regs.irq = -1;
	v->regs.fpu = &v->fpu;
	linux_fpu_init(&v->fpu);
	v->dr[6] = 0xffff0ff0;
	v->dr[7] = 0x400;
	v->mp_state = i ? VMM_MP_WAIT_SIPI : VMM_MP_RUNNING;
	v->sipi_vector = -1;
	init_completion(&v->called);
	vmm_lapic_init(v, !i);
	vmm_mtrr_init(&v->mtrr);
	return 0;
}

/* Everything but the vCPUs' threads; on error, why is in vm->why. */
static int linux_setup(struct vmm_linux *l)
{
	struct vmm_vm *vm = &l->vm;
	size_t kernel_size = 0, initrd_size = 0;
	void *kbuf = NULL, *ibuf = NULL;
	char why[sizeof(vm->why)] = "";
	unsigned int i;
	int ret;

	if (!kernel[0] || mem_mb < VMM_RAM_MIN >> 20 || mem_mb > VMM_RAM_MAX >> 20 ||
	    (strcmp(frames, "2M") && strcmp(frames, "4K")) || !vcpus ||
	    vcpus > VMM_MAX_VCPUS || (flush_plant[0] && strcmp(flush_plant, "nokick")) ||
	    (migrate_plant[0] && strcmp(migrate_plant, "drop"))) {
		vmm_stop(vm, VMM_FAILED, "needs kernel=, mem_mb= from 64 to 3072, frames=2M or 4K, vcpus= from 1 to %u, flush_plant= empty or nokick, migrate_plant= empty or drop",
			 VMM_MAX_VCPUS);
		return -EINVAL;
	}
	/* Each uses the dirty log, or the vCPUs' state, its own way. */
	if ((migrate || rewind) &&
	    (!vm->ops->save || ramfile || precopy_ms ||
	     (rewind && vcpus != 1) || rewind > VMM_REWIND_MAX)) {
		vmm_stop(vm, VMM_FAILED, "migrate=1 and rewind= need an arch that saves a vCPU's state, and neither ramfile=1 nor precopy_ms=; rewind= needs one vCPU, and 16 restores at most");
		return -EINVAL;
	}
	vm->ram_size = (u64)mem_mb << 20;
	vm->pgsize = strcmp(frames, "2M") ? SZ_4K : SZ_2M;
	vm->shared_ram = ramfile;
	vm->prefill = prefill;
	vm->tsc_khz = tsc_khz;
	vm->nr_vcpus = vcpus;
	vm->plant = flush_plant[0] ? VMM_PLANT_NOKICK : VMM_PLANT_NONE;
	if (!vm->tsc_khz) {
		vmm_stop(vm, VMM_FAILED, "the host does not know its TSC's frequency");
		return -ENODEV;
	}

	vm->info.own_cpu = true;
	for (i = 0; i < vm->nr_vcpus; i++) {
		ret = linux_vcpu_setup(vm, i);
		if (ret)
			return ret;
	}
	pr_info("%s\n", vm->info.host);
	vmm_rtc_init(&vm->rtc);
	if (precopy_ms) {
		ret = vmm_precopy_init(vm, precopy_ms, !precopy_after[0]);
		if (ret) {
			vmm_stop(vm, VMM_FAILED, "no memory for a pre-copy of %u MiB", mem_mb);
			return ret;
		}
	}
	ret = rewind ? vmm_rewind_init(vm, rewind, rewind_seed) : 0;
	if (!ret && migrate)
		ret = vmm_migrate_init(vm, migrate_rounds, migrate_small,
				       migrate_wp, !migrate_after[0]);
	if (ret) {
		vmm_stop(vm, VMM_FAILED, "no memory for the migration or the rewind's copy of %u MiB",
			 mem_mb);
		return ret;
	}
	ret = vmm_mem_create(vm);
	if (!ret && vm->ramfile) {
		ret = vmm_ramdev_publish(vm);
		if (ret)
			vmm_stop(vm, VMM_FAILED, "misc_register() = %d", ret);
	}
	if (ret)
		return ret;

	kbuf = linux_read(kernel, SZ_64M, &kernel_size, why, sizeof(why));
	if (!IS_ERR(kbuf) && initrd[0])
		ibuf = linux_read(initrd, SZ_512M, &initrd_size, why, sizeof(why));
	if (IS_ERR(kbuf) || IS_ERR(ibuf)) {
		ret = IS_ERR(kbuf) ? PTR_ERR(kbuf) : PTR_ERR(ibuf);
		vmm_stop(vm, VMM_FAILED, "%s", why);
		goto out_free;
	}
	/* What the platform tells the kernel, then what the user adds. */
	if (vmm_cpuid_has_tsc_freq() || !tsc_hint)
		snprintf(l->line, sizeof(l->line), "console=ttyS0 %s", cmdline);
	else
		snprintf(l->line, sizeof(l->line), "console=ttyS0 tsc_early_khz=%u %s",
			 vm->tsc_khz, cmdline);
	ret = vmm_load_linux(vm, kbuf, kernel_size, ibuf, initrd_size, l->line,
			     &vm->vcpus[0].entry, why, sizeof(why));
	if (ret) {
		vmm_stop(vm, VMM_FAILED, "%s", why);
		goto out_free;
	}
	pr_info("linux: kernel %s (%zu bytes), initrd %s (%zu bytes), %u MiB of RAM on lazy %s of %s frames: %s\n",
		kernel, kernel_size, initrd[0] ? initrd : "none", initrd_size,
		mem_mb, vm->ramfile ? "areas and a memory file (/dev/axas-vmm)" : "areas",
		vm->pgsize == SZ_2M ? "2 MiB (falling back to 4 KiB)" : "4 KiB",
		why);
	pr_info("linux: command line: %s\n", l->line);
	if (vm->nr_vcpus > 1 || vm->precopy || vm->plant || vm->migrate || vm->rewind)
		pr_info("linux: %u vCPUs (ACPI MADT: %u local APICs; vCPU0 boots, the others wait for INIT and SIPI); pre-copy %s; migration %s; rewind %s%s\n",
			vm->nr_vcpus, vm->nr_vcpus,
			vm->precopy ? "on" : "off", vm->migrate ? "on" : "off",
			vm->rewind ? "on" : "off",
			vm->plant ? "; flush_plant=nokick: the flush callback neither kicks nor waits" : "");
out_free:
	vfree(ibuf && !IS_ERR(ibuf) ? ibuf : NULL);
	vfree(IS_ERR(kbuf) ? NULL : kbuf);
	return ret;
}

/**
 * vmm_linux_main() - boot the Linux kernel named by kernel= on @ops
 * @ops: the CPU plumbing
 *
 * Builds the guest and starts its vCPUs' threads, which run it; the last
 * to end prints the report and frees it. Returns without waiting. When the set-up
 * fails, the report (saying why) is printed before it returns. The
 * arch's module_exit must call vmm_linux_end().
 *
 * Context: process context (module_init); sleeps.
 * Return: 0 when the vCPUs were started, or when the set-up failed with
 * anything but -ENODEV or -EINVAL (the report says why); -ENODEV when the
 * CPU cannot run the guest; -EINVAL for bad parameters; -ENOMEM.
 */
int vmm_linux_main(const struct vmm_arch *ops)
{
	struct vmm_linux *l;
	int ret;

	l = kvzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	mutex_init(&l->vm.io_lock);
	spin_lock_init(&l->vm.end_lock);
	l->vm.ops = ops;
	l->vm.cookie = l;
	l->vm.console_line = linux_console_line;
	l->vm.finish = linux_finish;
	ret = linux_setup(l);
	if (!ret) {
		l->vm.deadline = jiffies + boot_timeout_s * HZ;
		ret = vmm_vcpu_start(&l->vm);
		if (ret)
			vmm_stop(&l->vm, VMM_FAILED, "kthread_create() = %d", ret);
	}
	if (ret) {
		linux_finish(l);
		kvfree(l);
		return ret == -ENODEV || ret == -EINVAL ? ret : 0;
	}
	l->started = true;
	vmm_linux_guest = l;
	return 0;
}

/**
 * vmm_linux_end() - stop the guest if it runs, and free it
 *
 * Context: process context (module_exit); sleeps until the vCPUs' threads
 * have ended.
 * Return: nothing.
 */
void vmm_linux_end(void)
{
	struct vmm_linux *l = vmm_linux_guest;

	if (!l)
		return;
	vmm_vcpu_stop(&l->vm);
	vmm_linux_guest = NULL;
	kvfree(l);
}
