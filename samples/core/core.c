// SPDX-License-Identifier: GPL-2.0
/*
 * The sample VMM's core: a guest on axas tables, every nested fault
 * predicted, whichever CPU runs it.
 *
 * It builds one guest: an axas address space (the table format the arch
 * asks for: NPT or EPT), the guest's memory, and the guest binary
 * (guest.S) written into it through axas_write(). A kthread bound to one
 * CPU runs the guest through the arch (samples/svm, samples/vmx; see
 * demo.h): nested page faults go to axas_fault(), whose answer decides
 * what happens next (resume, emulate a device register, give rights back,
 * or stop). The guest announces each scenario through a hypercall; for
 * each one the VMM knows which nested faults must come, and checks every
 * fault's access, flags and GPA against what axas's tables say. Device
 * accesses are decoded through the guest's own page tables with
 * axas_walk(), whose GPA must be the one the hardware reported. Scenario 9
 * logs the pages the guest writes (dirty logging), scenario 10 puts guest
 * memory back to a snapshot. It prints a report and a closing
 * "RESULT PASS" or "RESULT FAIL" line.
 *
 * Only axas's public API is used. It is a sample: one vCPU, no
 * speculation mitigations around the entry, no FPU state switch (the
 * guest uses none).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <asm/processor-flags.h>
#include <axas/axas.h>
#include <axas/compat.h>
#include <axas/vmm.h>
#include <axas/walk.h>
#include "demo.h"
#include "guest.h"

static unsigned long resv_base;
module_param(resv_base, ulong, 0444);
MODULE_PARM_DESC(resv_base,
		 "host-physical base of memory reserved with memmap=, 1 GiB aligned");
static unsigned long resv_size;
module_param(resv_size, ulong, 0444);
MODULE_PARM_DESC(resv_size, "bytes reserved there (at least 1 GiB)");
static unsigned int timeout_s = 120;
module_param(timeout_s, uint, 0444);
MODULE_PARM_DESC(timeout_s, "stop the guest after this many seconds");
static bool gig_frames;
module_param(gig_frames, bool, 0444);
MODULE_PARM_DESC(gig_frames,
		 "scenario 7: a lazy alloc area of 1 GiB frames instead of the linear leaf");
static bool dirty_wp;
module_param(dirty_wp, bool, 0444);
MODULE_PARM_DESC(dirty_wp,
		 "scenario 9: log by write-protection even where the CPU sets dirty flags");

/* Scenario 3 reads host memory from this far into the reserved range. */
#define WINDOW_OFF	SZ_1M
/* Scenario 8: unmap/map cycles under the reading guest. */
#define RACE_ROUNDS	64

/* The decoded flags of a nested fault the scenarios predict. */
#define NPF_CHECKED	(AXAS_EXIT_WALK | AXAS_EXIT_FINAL | AXAS_EXIT_PRESENT | \
			 AXAS_EXIT_RSVD)

#define SEG_CODE32	0xc9b	/* present, DPL 0, code, read, 32-bit, 4 KiB granular */
#define SEG_DATA	0xc93	/* present, DPL 0, data, write, 32-bit, 4 KiB granular */
#define SEG_LDT		0x082
#define SEG_TSS_BUSY	0x08b

#define FLAT(s, a)	{ .sel = (s), .attrib = (a), .limit = 0xffffffff }

/*
 * The guest starts in 32-bit protected mode with paging off, flat
 * segments, at its entry point; it loads its own GDT, builds its page
 * tables and enters long mode by itself. Every arch loads these values.
 */
const struct demo_guest_state demo_guest_entry = {
	.cs = FLAT(0x18, SEG_CODE32),
	.ds = FLAT(0x10, SEG_DATA),
	.es = FLAT(0x10, SEG_DATA),
	.ss = FLAT(0x10, SEG_DATA),
	.fs = FLAT(0x10, SEG_DATA),
	.gs = FLAT(0x10, SEG_DATA),
	.gdtr = { .limit = 0xffff },
	.idtr = { .limit = 0xffff },
	.ldtr = { .attrib = SEG_LDT, .limit = 0xffff },
	.tr = { .attrib = SEG_TSS_BUSY, .limit = 0xffff },
	.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE,
	.rflags = X86_EFLAGS_FIXED,
	.rip = G_IMAGE,
	.rsp = G_STACK_TOP,
	.dr6 = 0xffff0ff0,			/* reset values */
	.dr7 = 0x400,
	.pat = 0x0007040600070406ULL,		/* the power-on PAT */
};

/*
 * struct npf_expect - nested page faults a scenario must cause, in order
 * @gpa: faulting GPA of the first
 * @step: the next one's GPA is this far on
 * @page: compare the page of the GPA only (page walks: the entry's address)
 * @count: how many
 * @seen: how many came
 * @write: the access writes (page walks do: the CPU may set A/D bits)
 * @fetch: the access is an instruction fetch
 * @walk: the access is a guest page-table access, not the final one
 * @result: what axas_fault() must answer
 * @fix_gpa: after -EACCES, give @fix_prot back to this range and resume
 * @fix_size: bytes (0: stop instead)
 * @fix_prot: the rights to restore
 * @join: then wait for the protecting thread and raise G_FLAG
 * @remap: after -ENOENT, map the page again for the guest (scenario 8)
 * @fill: after the frame is installed, write the guest's data into it
 * @code: the hardware's word of the first that came (EXITINFO1, or the
 *	exit qualification), for the report
 * @access: the decoded access of the first, for the report
 * @flags: its decoded AXAS_EXIT_* flags, for the report
 */
struct npf_expect {
	u64 gpa;
	u64 step;
	bool page;
	unsigned int count;
	unsigned int seen;
	bool write;
	bool fetch;
	bool walk;
	int result;
	u64 fix_gpa;
	u64 fix_size;
	u32 fix_prot;
	bool join;
	bool remap;
	bool fill;
	u64 code;
	unsigned int access;
	unsigned int flags;
};

#define MAX_KINDS	6

struct scenario {
	bool begun;
	bool reported;
	bool failed;
	char why[160];
	char note[160];
	unsigned int exits;
	unsigned int npf;
	unsigned int hypercall;
	unsigned int intr;
	struct npf_expect kinds[MAX_KINDS];
	unsigned int nkinds;
	long frames_begin;
	long frames_delta;
	ktime_t start;
	s64 ns;
};

static const char *const scenario_name[NR_SCENARIOS + 1] = {
	"set-up",
	"lazy 4K and 2M areas, every page touched",
	"patterns through axas_read/axas_write",
	"linear window onto memmap= memory",
	"device register where no area is",
	"rights taken away under the guest",
	"unmap, then a fresh zero page",
	"1 GiB linear leaf",
	"unmapped under the guest from another CPU",
	"dirty log: pages written between harvests",
	"snapshot, written over, restored",
};

static const char *demo_scenario_name(unsigned int n)
{
	if (n == 7 && gig_frames)
		return "lazy area of 1 GiB frames";
	return scenario_name[n];
}

struct demo {
	const struct demo_arch *ops;
	void *arch;
	struct demo_arch_info info;
	struct demo_vcpu vcpu;
	struct demo_exit exit;
	struct axas_space *space;
	/* Device accesses decoded through the guest's tables (scenario 4). */
	unsigned int mmio_walked;
	u64 mmio_gva;
	u64 mmio_pgsize;
	int cpu;

	/* Flush requests and kicks, as a multi-vCPU VMM would do them. */
	unsigned long requests;
	bool in_guest;
	u64 kicks;
	/* Scenario 5: write protection from another CPU. */
	struct task_struct *protector;
	int protector_ret;
	u64 flushes_mark;
	/* Scenario 8: unmaps from another CPU while the guest reads. */
	struct task_struct *unmapper;
	struct completion remapped;
	unsigned int unmaps;
	unsigned int remaps;
	unsigned int wrong;
	int unmapper_cpu;
	u64 kicks_mark;
	char unmapper_why[96];
	/* Scenario 9: dirty logging by write-protection; what each harvest found. */
	bool log_wp;
	unsigned int harvest_found[3];
	unsigned int harvest_extra[3];
	/* Scenario 10: pages restored. */
	long restored;

	int cur;
	struct scenario sc[NR_SCENARIOS + 1];
	struct npf_expect exp[4];
	unsigned int nexp;
	unsigned int iexp;
	u32 scratch;

	bool done;
	bool stopped;
	u64 flushes;
	s64 ns;
	struct completion finished;
};

static struct scenario *cur_sc(struct demo *d)
{
	return &d->sc[d->cur];
}

static __printf(2, 3) void demo_fail(struct demo *d, const char *fmt, ...)
{
	struct scenario *sc = cur_sc(d);
	va_list args;

	if (sc->failed)
		return;
	sc->failed = true;
	va_start(args, fmt);
	vsnprintf(sc->why, sizeof(sc->why), fmt, args);
	va_end(args);
}

#define demo_stop(d, fmt, ...) do {			\
	demo_fail(d, fmt, ##__VA_ARGS__);		\
	(d)->stopped = true;				\
} while (0)

static long demo_frames(struct demo *d)
{
	struct axas_space_stats st;

	axas_space_get_stats(d->space, &st);
	return st.frames;
}

#define DEMO_REQ_FLUSH	0

/* Runs on the vCPU's CPU once it is out of guest mode: the acknowledgment. */
static void demo_kick_fn(void *info)
{
}

/*
 * The flush callback. axas frees the range's frames and table pages as
 * soon as it returns, so it is synchronous: when it returns, no CPU may
 * use a translation of the range cached before the call. It may run on
 * any CPU (scenarios 5 and 8 change the tables from another thread) and
 * may sleep; it runs with the space lock held for writing.
 *
 * It posts a request that the vCPU honours before its next VMRUN (TLB
 * control). If the vCPU is in guest mode, it also sends it an IPI, which
 * causes #VMEXIT(INTR), and waits until the (empty) handler has run: the
 * handler runs only once the vCPU is out of guest mode with interrupts
 * enabled, so it cannot go back without the flush. Returning right after
 * sending the IPI would let axas free a frame that the guest still
 * reaches through its TLB until the #VMEXIT.
 *
 * It waits for nothing else from the vCPU thread, which may be blocked in
 * axas_fault() on the lock held here; the IPI handler runs on its CPU
 * even then.
 *
 * The barrier pairs with the one in demo_run(): this sets the request
 * before it reads in_guest, the vCPU sets in_guest before it reads the
 * requests, so either the vCPU sees the request or this sees it in guest
 * mode. in_guest is set only with interrupts disabled on the vCPU's CPU,
 * so a caller running on that CPU never sees it set.
 *
 * The vCPU is bound to one CPU, so only that CPU's TLB holds entries of
 * its ASID. A VMM whose vCPUs move must also flush the ASID (or take a
 * fresh one) when a vCPU enters on a CPU that may still hold entries from
 * before a flush.
 *
 * flushes and kicks are counted under the space lock.
 */
static void demo_flush(void *cookie, u64 gpa, u64 size)
{
	struct demo *d = cookie;

	set_bit(DEMO_REQ_FLUSH, &d->requests);
	/* Pairs with the barrier before the vCPU reads the requests. */
	smp_mb__after_atomic();
	if (READ_ONCE(d->in_guest)) {
		smp_call_function_single(d->cpu, demo_kick_fn, NULL, 1);
		d->kicks++;
	}
	d->flushes++;
}

/*
 * Rights taken away must be flushed. QEMU keeps no guest translation
 * across a VMRUN whatever the TLB control says, so the guest would not
 * notice a missing flush there; check that axas asked for one.
 */
static void demo_check_flushed(struct demo *d, u64 before, const char *op)
{
	if (d->flushes == before)
		demo_fail(d, "%s did not call the flush callback", op);
}

/* Start @fn on another CPU than the vCPU's, if there is one. */
static struct task_struct *demo_start_other(struct demo *d,
					    int (*fn)(void *), const char *name)
{
	struct task_struct *t = kthread_create(fn, d, "%s", name);

	if (IS_ERR(t)) {
		demo_fail(d, "kthread_create = %ld", PTR_ERR(t));
		return NULL;
	}
	get_task_struct(t);
	if (num_online_cpus() > 1)
		kthread_bind(t, cpumask_first(cpu_online_mask));
	wake_up_process(t);
	return t;
}

static void demo_stop_other(struct task_struct **t)
{
	kthread_stop(*t);
	put_task_struct(*t);
	*t = NULL;
}

static int demo_protector(void *arg)
{
	struct demo *d = arg;

	/* Let the guest spin on its writes first. */
	msleep(20);
	d->protector_ret = axas_protect(d->space, G_WP, G_WP_SIZE,
					AXAS_PROT_READ);
	return 0;
}

static int demo_protector_join(struct demo *d)
{
	if (!d->protector)
		return -ESRCH;
	demo_stop_other(&d->protector);
	return d->protector_ret;
}

/* The words of [gpa, gpa + size) get their address ^ @seed. */
static int demo_fill(struct demo *d, u64 gpa, u64 size, u64 seed)
{
	u64 *buf = kmalloc(size, GFP_KERNEL);
	unsigned int i;
	int ret;

	if (!buf)
		return -ENOMEM;
	for (i = 0; i < size / 8; i++)
		buf[i] = (gpa + i * 8) ^ seed;
	ret = axas_write(d->space, gpa, buf, size, 0);
	kfree(buf);
	return ret;
}

/*
 * Scenario 8: wait until the guest has read all of G_RACE at least once
 * more. Polled rather than slept: a sleep ends on a timer tick, when the
 * vCPU is likely out of guest mode handling its own tick.
 */
static int demo_race_wait(struct demo *d)
{
	u64 start, now;
	int ret;

	ret = axas_read(d->space, G_SWEEPS, &start, sizeof(start), 0);
	if (ret)
		return ret;
	do {
		if (kthread_should_stop())
			return -EINTR;
		udelay(20);
		cond_resched();
		ret = axas_read(d->space, G_SWEEPS, &now, sizeof(now), 0);
	} while (!ret && now < start + 2);
	return ret;
}

/*
 * Scenario 8, on another CPU: unmap G_RACE while the guest reads it, then
 * wait until the vCPU has mapped it again; RACE_ROUNDS times. Each unmap
 * frees the page's frame once the flush callback returns.
 */
static int demo_unmapper(void *arg)
{
	struct demo *d = arg;
	u64 flushes, one = 1;
	int ret;

	d->unmapper_cpu = raw_smp_processor_id();
	while (d->unmaps < RACE_ROUNDS) {
		ret = demo_race_wait(d);
		if (ret == -EINTR)
			return 0;
		if (ret) {
			snprintf(d->unmapper_why, sizeof(d->unmapper_why),
				 "reading G_SWEEPS = %d", ret);
			break;
		}
		flushes = d->flushes;
		ret = axas_unmap(d->space, G_RACE, G_RACE_SIZE);
		if (ret || d->flushes == flushes) {
			snprintf(d->unmapper_why, sizeof(d->unmapper_why),
				 "unmap %u from the other CPU = %d%s", d->unmaps + 1,
				 ret, ret ? "" : ", no flush");
			break;
		}
		d->unmaps++;
		/* The vCPU maps it again when the guest faults on it. */
		while (!wait_for_completion_timeout(&d->remapped, HZ / 10))
			if (kthread_should_stop())
				return 0;
	}
	/* Given up: the scenario's result says why; end the guest's loop. */
	if (d->unmapper_why[0] &&
	    axas_write(d->space, G_FLAG, &one, sizeof(one), 0))
		pr_err("cannot end the guest's loop\n");
	return 0;
}

/*
 * Scenario 8: the guest faulted on the page the other thread unmapped
 * (no area there any more). Map it again, filled with the second pattern
 * before the guest resumes, and let the thread go on; after the last
 * round, raise G_FLAG.
 */
static bool demo_race_remap(struct demo *d)
{
	u64 one = 1;
	int ret;

	ret = axas_map_alloc(d->space, G_RACE, G_RACE_SIZE,
			     AXAS_PROT_READ | AXAS_AREA_POPULATE, SZ_4K);
	if (!ret)
		ret = demo_fill(d, G_RACE, G_RACE_SIZE, SEED_RACE2);
	if (ret) {
		demo_stop(d, "mapping %#x again: %d", G_RACE, ret);
		return false;
	}
	complete(&d->remapped);
	if (++d->remaps < RACE_ROUNDS)
		return true;
	demo_stop_other(&d->unmapper);
	ret = axas_write(d->space, G_FLAG, &one, sizeof(one), 0);
	if (ret)
		demo_stop(d, "axas_write(flag) = %d", ret);
	return !ret;
}

static void demo_expect(struct demo *d, const struct npf_expect *e)
{
	if (WARN_ON(d->nexp == ARRAY_SIZE(d->exp)))
		return;
	d->exp[d->nexp++] = *e;
}

/* Every nested page fault the scenario announced must have come. */
static void demo_expect_done(struct demo *d)
{
	struct scenario *sc = cur_sc(d);
	unsigned int i;

	for (i = 0; i < d->nexp; i++) {
		if (d->exp[i].seen != d->exp[i].count)
			demo_fail(d, "%u of %u nested page faults at %#llx came",
				  d->exp[i].seen, d->exp[i].count, d->exp[i].gpa);
		if (sc->nkinds < MAX_KINDS)
			sc->kinds[sc->nkinds++] = d->exp[i];
	}
	d->nexp = 0;
	d->iexp = 0;
}

/* Reserved host memory, mapped for the VMM's own accesses. */
static void *demo_resv_map(struct demo *d, u64 off, size_t len)
{
	void *p;

	if (!resv_size || off + len > resv_size) {
		demo_fail(d, "needs resv_base/resv_size: memory reserved at boot (memmap=1G$1G)");
		return NULL;
	}
	p = memremap(resv_base + off, len, MEMREMAP_WB);
	if (!p)
		demo_fail(d, "memremap(%#llx) failed", resv_base + off);
	return p;
}

static int demo_resv_word(struct demo *d, u64 off, u64 *val, bool write)
{
	u64 *p = demo_resv_map(d, off, sizeof(*p));

	if (!p)
		return -ENOMEM;
	if (write)
		WRITE_ONCE(*p, *val);
	else
		*val = READ_ONCE(*p);
	memunmap(p);
	return 0;
}

/* Scenario 7: the words the guest checks in G_HUGE. */
static const u64 huge_offs[] = { 0, G_HUGE_SIZE / 2, G_HUGE_SIZE - 8 };

/*
 * Scenario 7: G_HUGE is one 1 GiB leaf onto the reserved gigabyte, with
 * the VMM's words written there through the host's mapping.
 */
static void demo_huge_linear(struct demo *d)
{
	struct axas_space_stats st;
	struct axas_translation tr;
	unsigned int i;
	u64 val;
	int ret;

	if (!IS_ALIGNED(resv_base, SZ_1G) || resv_size < G_HUGE_SIZE) {
		demo_fail(d, "needs 1 GiB reserved at a 1 GiB boundary (memmap=1G$1G)");
		return;
	}
	if (!d->info.gbpages) {
		demo_fail(d, "the CPU has no 1 GiB pages (CPUID 0x80000001 EDX[26])");
		return;
	}
	for (i = 0; i < ARRAY_SIZE(huge_offs); i++) {
		val = (G_HUGE + huge_offs[i]) ^ SEED_HUGE;
		if (demo_resv_word(d, huge_offs[i], &val, true))
			return;
	}
	ret = axas_map_linear(d->space, G_HUGE, resv_base, G_HUGE_SIZE,
			      AXAS_PROT_READ | AXAS_PROT_WRITE);
	if (ret) {
		demo_fail(d, "axas_map_linear(1 GiB) = %d", ret);
		return;
	}
	axas_space_get_stats(d->space, &st);
	ret = axas_translate(d->space, G_HUGE + 8, G_HUGE_SIZE, &tr);
	if (st.leaves[2] != 1 || ret || tr.hpa != resv_base + 8 ||
	    tr.len != G_HUGE_SIZE - 8)
		demo_fail(d, "no 1 GiB leaf: %lu leaves of 1 GiB, translate %d len %#llx",
			  st.leaves[2], ret, tr.len);
}

/*
 * Scenario 7 with gig_frames=1: G_HUGE is a lazy alloc area of 1 GiB
 * frames instead. The guest's first read faults its one frame in: axas
 * claims a free, naturally aligned gigabyte of the host's memory with
 * alloc_contig_range() (with the space lock dropped meanwhile). The area
 * insists on the size (AXAS_AREA_NO_FALLBACK): without a free gigabyte the
 * fault fails rather than install a 2 MiB frame. The VMM then writes its
 * words into the frame before the guest resumes (a hole cannot be written
 * before).
 */
static void demo_huge_alloc(struct demo *d, struct npf_expect *e)
{
	int ret;

	if (!d->info.gbpages) {
		demo_fail(d, "the CPU has no 1 GiB pages (CPUID 0x80000001 EDX[26])");
		return;
	}
	ret = axas_map_alloc(d->space, G_HUGE, G_HUGE_SIZE,
			     AXAS_PROT_READ | AXAS_PROT_WRITE |
			     AXAS_AREA_NO_FALLBACK, SZ_1G);
	if (ret) {
		demo_fail(d, "axas_map_alloc(1 GiB frames) = %d", ret);
		return;
	}
	e->gpa = G_HUGE;
	e->fill = true;
	demo_expect(d, e);
}

/* Scenario 7 with gig_frames=1: the frame came in; write the VMM's words. */
static bool demo_huge_fill(struct demo *d)
{
	unsigned int i;
	u64 val;
	int ret;

	for (i = 0; i < ARRAY_SIZE(huge_offs); i++) {
		val = (G_HUGE + huge_offs[i]) ^ SEED_HUGE;
		ret = axas_write(d->space, G_HUGE + huge_offs[i], &val,
				 sizeof(val), 0);
		if (ret) {
			demo_stop(d, "axas_write(%#llx) = %d",
				  G_HUGE + huge_offs[i], ret);
			return false;
		}
	}
	return true;
}

/*
 * Scenario 7, after the guest left its mark: the mark is where the guest
 * wrote it; with gig_frames=1, one frame of 1 GiB came in (counted in
 * 4 KiB frames) under one leaf that translates the whole gigabyte.
 */
static u64 demo_huge_check(struct demo *d)
{
	u64 gpa = G_HUGE + G_HUGE_MARK, val = 0;
	struct axas_space_stats st;
	struct axas_translation tr;
	long frames;
	int ret;

	if (gig_frames)
		ret = axas_read(d->space, gpa, &val, sizeof(val), 0);
	else
		ret = demo_resv_word(d, G_HUGE_MARK, &val, false);
	if (ret)
		return 1;
	if (val != (gpa ^ SEED_MARK)) {
		demo_fail(d, "memory at +%#x holds %#llx, not the guest's mark",
			  G_HUGE_MARK, val);
		return gpa;
	}
	if (!gig_frames)
		return 0;
	axas_space_get_stats(d->space, &st);
	frames = demo_frames(d) - cur_sc(d)->frames_begin;
	ret = axas_translate(d->space, G_HUGE, G_HUGE_SIZE, &tr);
	if (frames != SZ_1G / SZ_4K || st.leaves[2] != 1)
		demo_fail(d, "%ld frames came in under %lu leaves of 1 GiB, not %d under 1",
			  frames, st.leaves[2], SZ_1G / SZ_4K);
	else if (ret || !IS_ALIGNED(tr.hpa, SZ_1G) || tr.len != G_HUGE_SIZE)
		demo_fail(d, "translate = %d: hpa %pa, len %#llx, not one aligned GiB",
			  ret, &tr.hpa, tr.len);
	else
		snprintf(cur_sc(d)->note, sizeof(cur_sc(d)->note),
			 "one frame of %d pages at host %pa", SZ_1G / SZ_4K,
			 &tr.hpa);
	return 0;
}

/* The guest's paging state, as the exit left it, for axas_walk(). */
static void demo_walk_state(struct demo *d, struct axas_walk_state *st)
{
	const struct demo_vcpu *v = &d->vcpu;

	memset(st, 0, sizeof(*st));
	st->cr0 = v->cr0;
	st->cr3 = v->cr3;
	st->cr4 = v->cr4;
	st->efer = v->efer;
	st->rflags = v->rflags;
	st->cpl = v->cpl;
	st->maxphyaddr = d->info.maxphyaddr;
	if (!d->info.gbpages)
		st->flags |= AXAS_WALK_NO_1G;
}

/*
 * Emulate the device at G_MMIO. The guest reaches it with 32-bit
 * "mov (reg),reg" loads and stores only (8b/89 with ModRM mod 00), at
 * G_MMIO_GVA. The VMM decodes the instruction as a real one must: RIP and
 * the operand's address are guest-virtual, translated with axas_walk()
 * through the guest's page tables with the guest's rights; the walker's
 * GPA of the operand must be the GPA the hardware reported.
 */
static bool demo_mmio(struct demo *d, u64 gpa, bool write)
{
	u64 rip = d->vcpu.rip, gva;
	struct axas_walk_state st;
	struct axas_walk_result res;
	unsigned int reg;
	u8 insn[2];
	u64 *gpr;
	u32 val;
	int ret;

	demo_walk_state(d, &st);
	ret = axas_walk(d->space, &st, rip, AXAS_WALK_FETCH, &res);
	if (ret || PAGE_SIZE - offset_in_page(rip) < sizeof(insn) ||
	    axas_read(d->space, res.gpa, insn, sizeof(insn), 0)) {
		demo_stop(d, "cannot fetch the instruction at %#llx (walk %d, #PF code %#x)",
			  rip, ret, res.error_code);
		return false;
	}
	if ((insn[0] != 0x8b && insn[0] != 0x89) || (insn[1] >> 6) != 0 ||
	    (insn[1] & 7) == 4 || (insn[1] & 7) == 5) {
		demo_stop(d, "unsupported device access %02x %02x at %#llx",
			  insn[0], insn[1], rip);
		return false;
	}
	if ((insn[0] == 0x89) != write) {
		demo_stop(d, "the fault's W bit disagrees with the instruction at %#llx",
			  rip);
		return false;
	}
	/* The memory operand: the base register holds its linear address. */
	gva = d->vcpu.gpr[insn[1] & 7];
	ret = axas_walk(d->space, &st, gva, write ? AXAS_WALK_WRITE : 0, &res);
	if (ret) {
		demo_stop(d, "walking the operand at %#llx: %d (#PF code %#x)",
			  gva, ret, res.error_code);
		return false;
	}
	if (res.gpa != gpa) {
		demo_stop(d, "the guest's tables map %#llx to %#llx, the hardware reported %#llx",
			  gva, res.gpa, gpa);
		return false;
	}
	d->mmio_walked++;
	d->mmio_gva = gva & PAGE_MASK;
	d->mmio_pgsize = res.pgsize;
	reg = (insn[1] >> 3) & 7;
	gpr = &d->vcpu.gpr[reg];
	switch (gpa - G_MMIO) {
	case DEV_ID_REG:
		val = DEV_ID;
		break;
	case DEV_SCRATCH_REG:
		if (write)
			d->scratch = *gpr;
		val = ~d->scratch;
		break;
	default:
		demo_stop(d, "no device register at %#llx", gpa);
		return false;
	}
	if (!write)
		*gpr = val;	/* 32-bit loads zero-extend */
	d->vcpu.rip = rip + sizeof(insn);
	return true;
}

/*
 * The access a fault must report. A fault on the guest's own page walk is
 * a write (the CPU may set A/D flags there); with %DEMO_CAP_WALK_RW a read
 * may come with it.
 */
static bool demo_access_ok(struct demo *d, const struct npf_expect *e,
			   unsigned int access)
{
	unsigned int want = e->write ? AXAS_ACCESS_WRITE :
			    e->fetch ? AXAS_ACCESS_EXEC : AXAS_ACCESS_READ;

	if (access == want)
		return true;
	return e->walk && (d->info.caps & DEMO_CAP_WALK_RW) &&
	       access == (AXAS_ACCESS_READ | AXAS_ACCESS_WRITE);
}

/*
 * Check a nested fault against what the scenario and axas predict: @tr is
 * what the table held for its GPA before axas_fault(), if @mapped.
 */
static struct npf_expect *demo_check_npf(struct demo *d,
					 const struct demo_fault *f, bool mapped,
					 const struct axas_translation *tr,
					 int ret)
{
	struct npf_expect *e = d->iexp < d->nexp ? &d->exp[d->iexp] : NULL;
	unsigned int want, rights;
	u64 want_gpa, got_gpa;

	if (!e) {
		demo_fail(d, "unexpected nested page fault at %#llx, code %#llx",
			  f->gpa, f->raw);
		return NULL;
	}
	want_gpa = e->gpa + e->seen * e->step;
	got_gpa = e->page ? f->gpa & PAGE_MASK : f->gpa;
	want = (e->walk ? AXAS_EXIT_WALK : AXAS_EXIT_FINAL) |
	       (mapped ? AXAS_EXIT_PRESENT : 0);
	rights = mapped ? tr->prot & AXAS_PROT_RWX : 0;
	if (got_gpa != want_gpa)
		demo_fail(d, "nested page fault at %#llx, predicted %#llx",
			  f->gpa, want_gpa);
	else if ((f->flags & NPF_CHECKED) != want || !demo_access_ok(d, e, f->access))
		demo_fail(d, "code %#llx at %#llx (access %#x, flags %#x), predicted %s, flags %#x",
			  f->raw, f->gpa, f->access, f->flags,
			  e->write ? "write" : e->fetch ? "fetch" : "read", want);
	/* NPT: nested page walks are user accesses, US is always set. */
	else if ((d->info.caps & DEMO_CAP_FAULT_USER) && !f->user)
		demo_fail(d, "code %#llx at %#llx: not a user access", f->raw, f->gpa);
	else if ((d->info.caps & DEMO_CAP_FAULT_RIGHTS) && f->rights != rights)
		demo_fail(d, "code %#llx at %#llx: rights %#x, the table gives %#x",
			  f->raw, f->gpa, f->rights, rights);
	else if (ret != e->result)
		demo_fail(d, "axas_fault(%#llx) = %d, predicted %d",
			  f->gpa, ret, e->result);
	if (!e->seen++) {
		e->code = f->raw;
		e->access = f->access;
		e->flags = f->flags;
	}
	if (e->seen == e->count)
		d->iexp++;
	return e;
}

static bool demo_npf(struct demo *d, const struct demo_fault *f)
{
	struct axas_translation tr;
	struct npf_expect *e;
	u64 gpa = f->gpa;
	bool mapped;
	int ret;

	cur_sc(d)->npf++;
	/* What the table holds before the fault is handled: P predicted. */
	mapped = !axas_translate(d->space, gpa, 1, &tr);
	ret = axas_fault(d->space, gpa, f->access);
	e = demo_check_npf(d, f, mapped, &tr, ret);

	switch (ret) {
	case AXAS_FAULT_INSTALLED:
		if (e && e->fill)
			return demo_huge_fill(d);
		return true;
	case AXAS_FAULT_SPURIOUS:
		return true;
	case -ENOENT:
		if (e && e->remap)
			return demo_race_remap(d);
		if (gpa >= G_MMIO && gpa < G_MMIO + G_MMIO_SIZE)
			return demo_mmio(d, gpa, f->access & AXAS_ACCESS_WRITE);
		demo_stop(d, "guest access to %#llx: no area, no device", gpa);
		return false;
	case -EACCES:
		if (e && e->fix_size) {
			u64 one = 1;

			if (e->join && demo_protector_join(d))
				demo_fail(d, "the other CPU's axas_protect failed");
			if (e->join)
				demo_check_flushed(d, d->flushes_mark, "axas_protect");
			ret = axas_protect(d->space, e->fix_gpa, e->fix_size,
					   e->fix_prot);
			if (!ret && e->join)
				ret = axas_write(d->space, G_FLAG, &one, sizeof(one), 0);
			if (!ret)
				return true;
			demo_stop(d, "giving rights back at %#llx: %d", e->fix_gpa, ret);
			return false;
		}
		demo_stop(d, "permission fault at %#llx (code %#llx)", gpa, f->raw);
		return false;
	default:
		demo_stop(d, "axas_fault(%#llx) = %d", gpa, ret);
		return false;
	}
}

/*
 * Scenario 9: with write-protection, the first write to each logged page
 * after the start or a harvest faults, and axas_fault() makes the page
 * writable again and marks it; with dirty flags the CPU marks it, and no
 * fault comes.
 */
static void demo_dirty_expect(struct demo *d, u64 off, u64 step,
			      unsigned int count)
{
	struct npf_expect e = {
		.gpa = G_DIRTY + off, .step = step, .count = count,
		.write = true, .result = AXAS_FAULT_INSTALLED,
	};

	if (d->log_wp)
		demo_expect(d, &e);
}

static void demo_dirty_begin(struct demo *d)
{
	int ret;

	/* Dirty flags where the CPU sets them (NPT; EPT with A/D). */
	d->log_wp = dirty_wp || !(d->info.caps & DEMO_CAP_AD);
	ret = axas_map_alloc(d->space, G_DIRTY, G_DIRTY_SIZE,
			     AXAS_PROT_READ | AXAS_PROT_WRITE | AXAS_AREA_POPULATE,
			     SZ_4K);
	if (ret) {
		demo_fail(d, "axas_map_alloc(%#x) = %d", G_DIRTY, ret);
		return;
	}
	ret = axas_dirty_log_start(d->space, G_DIRTY, G_DIRTY_SIZE,
				   d->log_wp ? AXAS_DIRTY_WP : 0);
	if (ret) {
		demo_fail(d, "axas_dirty_log_start = %d", ret);
		return;
	}
	demo_dirty_expect(d, DIRTY1_OFF, DIRTY1_STEP, DIRTY1_COUNT);
}

/*
 * Scenario 9, harvest @k: every page the guest wrote since the last one
 * (@count pages @step apart from @off) must be in the bitmap; the others
 * found there are counted as extra.
 */
static void demo_dirty_harvest(struct demo *d, unsigned int k, u64 off,
			       u64 step, unsigned int count)
{
	DECLARE_BITMAP(bits, G_DIRTY_SIZE / SZ_4K);
	unsigned int i, found = 0;
	u64 flushes = d->flushes;
	long n;

	n = axas_dirty_log_get(d->space, G_DIRTY, G_DIRTY_SIZE, bits);
	if (n < 0) {
		demo_fail(d, "harvest %u: axas_dirty_log_get = %ld", k + 1, n);
		return;
	}
	for (i = 0; i < count; i++)
		found += test_bit((off + i * step) / SZ_4K, bits);
	d->harvest_found[k] = found;
	d->harvest_extra[k] = n - found;
	if (found != count)
		demo_fail(d, "harvest %u: %u of the %u pages the guest wrote",
			  k + 1, found, count);
	/* Cleared flags, or rights taken back: the CPU must forget them. */
	if (n)
		demo_check_flushed(d, flushes, "axas_dirty_log_get");
}

/* Scenario 9, at the guest's result: a last harvest, then logging stops. */
static void demo_dirty_end(struct demo *d)
{
	struct scenario *sc = cur_sc(d);
	int ret;

	demo_dirty_harvest(d, 2, 0, 0, 0);
	ret = axas_dirty_log_stop(d->space);
	if (ret)
		demo_fail(d, "axas_dirty_log_stop = %d", ret);
	snprintf(sc->note, sizeof(sc->note),
		 "%s: harvest 1 found %u of %u pages written, %u extra; harvest 2 %u of %u, %u extra; harvest 3 (none written) %u extra",
		 d->log_wp ? "write-protection" : "dirty flags",
		 d->harvest_found[0], DIRTY1_COUNT, d->harvest_extra[0],
		 d->harvest_found[1], DIRTY2_COUNT, d->harvest_extra[1],
		 d->harvest_extra[2]);
}

/*
 * Scenario 10: G_HUGE is not used any more; drop it, so that the snapshot
 * (a copy of alloc memory) need not copy a 1 GiB frame. Then a lazy area
 * the guest fills: one fault per page.
 */
static void demo_snap_begin(struct demo *d)
{
	struct npf_expect e = {
		.gpa = G_SNAP, .step = SZ_4K, .count = SNAP_BEFORE,
		.write = true, .result = AXAS_FAULT_INSTALLED,
	};
	int ret;

	ret = axas_unmap(d->space, G_HUGE, G_HUGE_SIZE);
	if (ret) {
		demo_fail(d, "axas_unmap(%#x) = %d", G_HUGE, ret);
		return;
	}
	cur_sc(d)->frames_begin = demo_frames(d);
	ret = axas_map_alloc(d->space, G_SNAP, G_SNAP_SIZE,
			     AXAS_PROT_READ | AXAS_PROT_WRITE, SZ_4K);
	if (ret) {
		demo_fail(d, "axas_map_alloc(%#x) = %d", G_SNAP, ret);
		return;
	}
	demo_expect(d, &e);
}

/*
 * Scenario 10, phase 1: take the snapshot. The guest then writes over
 * SNAP_OVER pages (with write-protection tracking, the first write to
 * each faults) and into SNAP_NEW absent pages (lazy faults).
 */
static u64 demo_snap_take(struct demo *d)
{
	struct npf_expect e = {
		.gpa = G_SNAP + SNAP_OVER_OFF, .step = SZ_4K, .count = SNAP_OVER,
		.write = true, .result = AXAS_FAULT_INSTALLED,
	};
	struct axas_space_stats st;
	int ret;

	ret = axas_snapshot_take(d->space);
	if (ret) {
		demo_fail(d, "axas_snapshot_take = %d", ret);
		return 1;
	}
	axas_space_get_stats(d->space, &st);
	snprintf(cur_sc(d)->note, sizeof(cur_sc(d)->note),
		 "snapshot of %lu pages", st.snapshot_frames);
	if (!(d->info.caps & DEMO_CAP_AD))
		demo_expect(d, &e);
	e.gpa = G_SNAP + SNAP_NEW_OFF;
	e.count = SNAP_NEW;
	demo_expect(d, &e);
	return 0;
}

/*
 * Scenario 10: the pages the restore must put back. Those the guest wrote
 * since the snapshot, and, where the CPU sets dirty flags, the guest's own
 * page-table pages: its walks are writes for nested paging (scenario 5
 * sees one fault as a write), so they are dirty after every walk (the SDM
 * says so for EPT with A/D; QEMU's NPT does it).
 */
static long demo_snap_pages(struct demo *d)
{
	return SNAP_OVER + SNAP_NEW +
	       (d->info.caps & DEMO_CAP_AD ? G_WALK_TABLES : 0);
}

/*
 * Scenario 10, phase 2: restore. Exactly the pages written since the
 * snapshot come back: SNAP_OVER copied back, SNAP_NEW unmapped (they were
 * absent), and the table pages; the guest's next reads of the SNAP_NEW
 * pages fault fresh zero pages in.
 */
static u64 demo_snap_restore(struct demo *d)
{
	struct npf_expect e = {
		.gpa = G_SNAP + SNAP_NEW_OFF, .step = SZ_4K, .count = SNAP_NEW,
		.result = AXAS_FAULT_INSTALLED,
	};
	struct axas_translation tr;
	u64 flushes = d->flushes;
	unsigned int i;

	d->restored = axas_snapshot_restore(d->space);
	if (d->restored < 0) {
		demo_fail(d, "axas_snapshot_restore = %ld", d->restored);
		return 1;
	}
	demo_check_flushed(d, flushes, "axas_snapshot_restore");
	if (d->restored != demo_snap_pages(d))
		demo_fail(d, "restored %ld pages, not %ld", d->restored,
			  demo_snap_pages(d));
	for (i = 0; i < SNAP_NEW; i++)
		if (!axas_translate(d->space, G_SNAP + SNAP_NEW_OFF + i * SZ_4K,
				    1, &tr))
			demo_fail(d, "%#x, absent at snapshot time, still mapped",
				  G_SNAP + SNAP_NEW_OFF + i * SZ_4K);
	demo_expect(d, &e);
	return 0;
}

/* Scenario 10, at the guest's result: the snapshot goes. */
static void demo_snap_end(struct demo *d)
{
	struct scenario *sc = cur_sc(d);
	size_t len = strlen(sc->note);
	int ret;

	ret = axas_snapshot_drop(d->space);
	if (ret)
		demo_fail(d, "axas_snapshot_drop = %d", ret);
	snprintf(sc->note + len, sizeof(sc->note) - len,
		 "; the guest wrote %d pages after it (%d over its data, %d new); restored %ld (with %ld page-table pages)",
		 SNAP_OVER + SNAP_NEW, SNAP_OVER, SNAP_NEW, d->restored,
		 demo_snap_pages(d) - SNAP_OVER - SNAP_NEW);
}

static void demo_begin(struct demo *d, u64 n)
{
	struct npf_expect e = { .step = PAGE_SIZE, .count = 1 };
	struct scenario *sc;
	long frames;
	u64 flushes;
	int ret;

	if (n != d->cur + 1 || n > NR_SCENARIOS) {
		demo_stop(d, "guest began scenario %llu after %d", n, d->cur);
		return;
	}
	demo_expect_done(d);
	d->cur = n;
	sc = cur_sc(d);
	sc->begun = true;
	sc->frames_begin = demo_frames(d);
	sc->start = ktime_get();

	switch (n) {
	case 1:
		/* One fault per 4 KiB page, then one per 2 MiB leaf. */
		e.gpa = G_LAZY4K;
		e.count = G_LAZY4K_SIZE / SZ_4K;
		e.write = true;
		demo_expect(d, &e);
		e.gpa = G_LAZY2M;
		e.step = SZ_2M;
		e.count = G_LAZY2M_SIZE / SZ_2M;
		demo_expect(d, &e);
		break;
	case 3: {
		u64 *win = demo_resv_map(d, WINDOW_OFF, G_WINDOW_SIZE);
		unsigned int i;

		if (!win)
			break;
		for (i = 0; i < G_WINDOW_SIZE / 8; i++)
			win[i] = (G_WINDOW + i * 8) ^ SEED_WINDOW;
		memunmap(win);
		ret = axas_map_linear(d->space, G_WINDOW, resv_base + WINDOW_OFF,
				      G_WINDOW_SIZE, AXAS_PROT_READ);
		if (ret)
			demo_fail(d, "axas_map_linear(window) = %d", ret);
		break;
	}
	case 4:
		/* ID read, scratch write, scratch read: no area, P clear. */
		e.result = -ENOENT;
		e.gpa = G_MMIO + DEV_ID_REG;
		demo_expect(d, &e);
		e.gpa = G_MMIO + DEV_SCRATCH_REG;
		e.write = true;
		demo_expect(d, &e);
		e.write = false;
		demo_expect(d, &e);
		break;
	case 6:
		/* Drop the frames, keep a lazy area: the guest reads zeros. */
		frames = demo_frames(d);
		flushes = d->flushes;
		ret = axas_unmap(d->space, G_LAZY4K, G_UNMAP_SIZE);
		if (ret) {
			demo_fail(d, "axas_unmap = %d", ret);
			break;
		}
		demo_check_flushed(d, flushes, "axas_unmap");
		frames -= demo_frames(d);
		if (frames != G_UNMAP_SIZE / SZ_4K)
			demo_fail(d, "unmap freed %ld frames, not %d",
				  frames, G_UNMAP_SIZE / SZ_4K);
		ret = axas_map_alloc(d->space, G_LAZY4K, G_UNMAP_SIZE,
				     AXAS_PROT_READ | AXAS_PROT_WRITE, SZ_4K);
		if (ret)
			demo_fail(d, "axas_map_alloc = %d", ret);
		e.gpa = G_LAZY4K;
		e.count = G_UNMAP_SIZE / SZ_4K;
		demo_expect(d, &e);
		break;
	case 7:
		if (gig_frames)
			demo_huge_alloc(d, &e);
		else
			demo_huge_linear(d);
		break;
	case 8: {
		u64 zero = 0;

		/*
		 * A thread on another CPU unmaps G_RACE while the guest reads
		 * it; axas frees the frame as soon as the flush callback
		 * returns, and init_on_free zeroes it. Had the callback
		 * returned while the guest could still reach the frame
		 * through its TLB, the guest would read zero words, which
		 * neither pattern has.
		 */
		if (!want_init_on_free()) {
			demo_fail(d, "needs init_on_free=1 on the kernel command line");
			break;
		}
		if (num_online_cpus() < 2) {
			demo_fail(d, "needs a second CPU");
			break;
		}
		ret = axas_map_alloc(d->space, G_RACE, G_RACE_SIZE,
				     AXAS_PROT_READ | AXAS_AREA_POPULATE, SZ_4K);
		if (!ret)
			ret = demo_fill(d, G_RACE, G_RACE_SIZE, SEED_RACE1);
		if (!ret)
			ret = axas_write(d->space, G_FLAG, &zero, sizeof(zero), 0);
		if (!ret)
			ret = axas_write(d->space, G_SWEEPS, &zero, sizeof(zero), 0);
		if (ret) {
			demo_fail(d, "setting up %#x: %d", G_RACE, ret);
			break;
		}
		/* Each unmap: one read fault somewhere in the page, no area. */
		e.gpa = G_RACE;
		e.page = true;
		e.step = 0;
		e.count = RACE_ROUNDS;
		e.result = -ENOENT;
		e.remap = true;
		demo_expect(d, &e);
		d->kicks_mark = d->kicks;
		init_completion(&d->remapped);
		d->unmapper = demo_start_other(d, demo_unmapper, KBUILD_MODNAME "-unmap");
		break;
	}
	case 9:
		demo_dirty_begin(d);
		break;
	case 10:
		demo_snap_begin(d);
		break;
	}
}

/* Take rights away from [start, start + size) with the guest stopped. */
static void demo_take_rights(struct demo *d, u64 start, u64 size, u32 prot)
{
	u64 flushes = d->flushes;
	int ret = axas_protect(d->space, start, size, prot);

	if (ret)
		demo_fail(d, "axas_protect(%#llx) = %d", start, ret);
	demo_check_flushed(d, flushes, "axas_protect");
}

/* Make G_WP read-only from a thread on another CPU; the guest runs on. */
static bool demo_protect_async(struct demo *d)
{
	u64 zero = 0;
	int ret;

	ret = axas_write(d->space, G_FLAG, &zero, sizeof(zero), 0);
	if (ret) {
		demo_fail(d, "axas_write(flag) = %d", ret);
		return false;
	}
	d->flushes_mark = d->flushes;
	d->protector = demo_start_other(d, demo_protector, KBUILD_MODNAME "-wp");
	return d->protector;
}

/* A permission fault at @gpa must come; then @prot goes back on the range. */
static void demo_expect_denied(struct demo *d, struct npf_expect *e,
			       u64 gpa, u64 start, u64 size, u32 prot)
{
	e->gpa = gpa;
	e->fix_gpa = start;
	e->fix_size = size;
	e->fix_prot = prot;
	demo_expect(d, e);
}

static u64 demo_phase(struct demo *d, u64 n, u64 phase)
{
	struct npf_expect e = { .count = 1, .write = true, .result = -EACCES };
	u64 *buf, gpa, bad = 0;
	unsigned int i;
	long frames;
	int ret;

	if (n != d->cur || !phase) {
		demo_stop(d, "phase %llu of scenario %llu during %d", phase, n, d->cur);
		return 1;
	}
	demo_expect_done(d);
	switch (n * 10 + phase) {
	case 11:
		frames = demo_frames(d) - cur_sc(d)->frames_begin;
		if (frames != (G_LAZY4K_SIZE + G_LAZY2M_SIZE) / SZ_4K)
			demo_fail(d, "%ld frames installed, not %u", frames,
				  (G_LAZY4K_SIZE + G_LAZY2M_SIZE) / SZ_4K);
		break;
	case 21:
		buf = kmalloc(G_SHARED_SIZE, GFP_KERNEL);
		if (!buf) {
			demo_fail(d, "no memory");
			return 1;
		}
		ret = axas_read(d->space, G_SHARED, buf, G_SHARED_SIZE, 0);
		for (i = 0; !ret && !bad && i < G_SHARED_SIZE / 8; i++) {
			gpa = G_SHARED + i * 8;
			if (buf[i] != (gpa ^ SEED_GUEST))
				bad = gpa;
		}
		for (i = 0; i < G_SHARED_SIZE / 8; i++)
			buf[i] = (G_SHARED + i * 8) ^ SEED_VMM;
		if (ret || bad)
			demo_fail(d, "axas_read = %d; guest pattern wrong at %#llx",
				  ret, bad);
		else if (axas_write(d->space, G_SHARED, buf, G_SHARED_SIZE, 0))
			demo_fail(d, "axas_write failed");
		kfree(buf);
		return ret ? 1 : bad;
	case 51:
		/* Reads go on; the first write faults until write is back. */
		demo_take_rights(d, G_WP, G_WP_SIZE, AXAS_PROT_READ);
		demo_expect_denied(d, &e, G_WP, G_WP, G_WP_SIZE,
				   AXAS_PROT_READ | AXAS_PROT_WRITE);
		break;
	case 52:
		/* G_WP is made read-only from another CPU while the guest spins. */
		if (!demo_protect_async(d))
			return 1;
		e.join = true;
		demo_expect_denied(d, &e, G_WP_SPIN, G_WP, G_WP_SIZE,
				   AXAS_PROT_READ | AXAS_PROT_WRITE);
		break;
	case 53:
		/*
		 * The guest's first page directory maps its code and stack:
		 * the walk of the next instruction fetch reads (and may
		 * update) an entry there, which nested paging checks as a
		 * write to a page-table page.
		 */
		demo_take_rights(d, G_PD, PAGE_SIZE, AXAS_PROT_READ | AXAS_PROT_EXEC);
		e.page = true;
		e.walk = true;
		demo_expect_denied(d, &e, G_PD, G_PD, PAGE_SIZE, AXAS_PROT_RWX);
		break;
	case 54:
		/* The guest runs code it wrote to G_WP, which is RW only. */
		e.write = false;
		e.fetch = true;
		demo_expect_denied(d, &e, G_WP_CODE, G_WP_CODE, PAGE_SIZE,
				   AXAS_PROT_RWX);
		break;
	case 71:
		return demo_huge_check(d);
	case 91:
		demo_dirty_harvest(d, 0, DIRTY1_OFF, DIRTY1_STEP, DIRTY1_COUNT);
		demo_dirty_expect(d, DIRTY2_OFF, DIRTY2_STEP, DIRTY2_COUNT);
		break;
	case 92:
		demo_dirty_harvest(d, 1, DIRTY2_OFF, DIRTY2_STEP, DIRTY2_COUNT);
		break;
	case 101:
		return demo_snap_take(d);
	case 102:
		return demo_snap_restore(d);
	default:
		demo_stop(d, "no phase %llu in scenario %llu", phase, n);
		return 1;
	}
	return 0;
}

/* Scenario 8: the guest read @val at @gpa, neither of the VMM's patterns. */
static void demo_wrong(struct demo *d, u64 n, u64 gpa, u64 val)
{
	if (n != 8 || d->cur != 8) {
		demo_stop(d, "wrong value reported in scenario %llu during %d",
			  n, d->cur);
		return;
	}
	d->wrong++;
	demo_fail(d, "the guest read %#llx at %#llx after %u of %u remaps%s",
		  val, gpa, d->remaps, RACE_ROUNDS,
		  val ? "" : ": a freed frame (init_on_free zeroed it)");
}

/* Scenario 8: the other thread has stopped (or gave up: why first). */
static void demo_race_join(struct demo *d)
{
	if (d->unmapper)
		demo_stop_other(&d->unmapper);
	if (d->unmapper_why[0])
		demo_fail(d, "%s", d->unmapper_why);
}

static void demo_race_result(struct demo *d, struct scenario *sc)
{
	u64 kicks = d->kicks - d->kicks_mark;

	snprintf(sc->note, sizeof(sc->note),
		 "%u unmaps from CPU %d while the guest read, %llu found it in guest mode (kicked, waited for); %u wrong values",
		 d->unmaps, d->unmapper_cpu, kicks, d->wrong);
	/* The page is mapped at the end. */
	if (sc->frames_delta != 1)
		demo_fail(d, "frames changed by %ld, not 1", sc->frames_delta);
	/* Unmaps that all came while the vCPU was out of guest mode test nothing. */
	if (!kicks)
		demo_fail(d, "no unmap found the guest running");
}

static void demo_result(struct demo *d, u64 n, u64 bad)
{
	struct scenario *sc = cur_sc(d);
	u64 val = 0;

	if (n != d->cur || sc->reported) {
		demo_stop(d, "result of scenario %llu during %d", n, d->cur);
		return;
	}
	if (n == 8)
		demo_race_join(d);
	demo_expect_done(d);
	if (n == 9)
		demo_dirty_end(d);
	if (n == 10)
		demo_snap_end(d);
	sc->reported = true;
	sc->ns = ktime_to_ns(ktime_sub(ktime_get(), sc->start));
	sc->frames_delta = demo_frames(d) - sc->frames_begin;
	if (bad > 1 && bad < G_SPACE_SIZE) {
		if (axas_read(d->space, bad, &val, sizeof(val), 0))
			demo_fail(d, "the guest found a wrong word at %#llx", bad);
		else
			demo_fail(d, "the guest found %#llx at %#llx", val, bad);
	} else if (bad) {
		demo_fail(d, "the guest's check %llu failed", bad);
	}
	if (n == 4 && d->mmio_walked != 3)
		demo_fail(d, "%u device accesses decoded through the guest's tables, not 3",
			  d->mmio_walked);
	else if (n == 4)
		snprintf(sc->note, sizeof(sc->note),
			 "%u accesses walked: GVA %#llx -> GPA %#x (%llu KiB page), as EXITINFO2 said",
			 d->mmio_walked, d->mmio_gva, G_MMIO, d->mmio_pgsize / SZ_1K);
	if (n == 6 && sc->frames_delta)
		demo_fail(d, "frames changed by %ld", sc->frames_delta);
	if (n == 8)
		demo_race_result(d, sc);
	if (n == 9 && sc->frames_delta != G_DIRTY_SIZE / SZ_4K)
		demo_fail(d, "frames changed by %ld, not %d", sc->frames_delta,
			  G_DIRTY_SIZE / SZ_4K);
	/* The pages the guest filled and the fresh pages it read last. */
	if (n == 10 && sc->frames_delta != SNAP_BEFORE + SNAP_NEW)
		demo_fail(d, "frames changed by %ld, not %d", sc->frames_delta,
			  SNAP_BEFORE + SNAP_NEW);
}

/* The guest's hypercall: command in RAX, arguments in RBX, RCX, RDX. */
static void demo_hypercall(struct demo *d)
{
	u64 *gpr = d->vcpu.gpr;
	u64 cmd = gpr[0], arg1 = gpr[3], arg2 = gpr[1];
	u64 ret = 0;

	switch (cmd) {
	case HC_BEGIN:
		demo_begin(d, arg1);
		break;
	case HC_PHASE:
		ret = demo_phase(d, arg1, arg2);
		break;
	case HC_RESULT:
		demo_result(d, arg1, arg2);
		break;
	case HC_WRONG:
		demo_wrong(d, arg1, arg2, gpr[2]);
		break;
	default:
		demo_stop(d, "unknown hypercall %llu", cmd);
		return;
	}
	gpr[0] = ret;
	d->vcpu.rip += DEMO_HYPERCALL_LEN;
	/* Counted for the scenario it began, or the one it belongs to. */
	cur_sc(d)->hypercall++;
}

static void demo_exit(struct demo *d)
{
	const struct demo_exit *x = &d->exit;
	u64 rip = d->vcpu.rip;

	switch (x->kind) {
	case DEMO_EXIT_NONE:
		break;
	case DEMO_EXIT_FAULT:
		demo_npf(d, &x->fault);
		break;
	case DEMO_EXIT_HYPERCALL:
		demo_hypercall(d);
		break;
	case DEMO_EXIT_INTR:
		/* Taken by the host once interrupts are enabled again. */
		cur_sc(d)->intr++;
		break;
	case DEMO_EXIT_HALT:
		if (d->cur != NR_SCENARIOS || !cur_sc(d)->reported)
			demo_stop(d, "HLT at %#llx before the last scenario", rip);
		d->done = true;
		break;
	case DEMO_EXIT_IO:
		demo_stop(d, "the guest used port %#x at %#llx", x->io.port, rip);
		break;
	case DEMO_EXIT_FATAL:
		demo_stop(d, "%s", x->why);
		break;
	default:
		demo_stop(d, "unknown exit kind %d at %#llx", x->kind, rip);
		break;
	}
}

static void demo_run(struct demo *d)
{
	unsigned long deadline = jiffies + timeout_s * HZ;
	ktime_t start = ktime_get();
	int ret = 0;

	while (!d->done && !d->stopped) {
		if (time_after(jiffies, deadline)) {
			demo_stop(d, "the guest did not finish in %u s", timeout_s);
			break;
		}
		/*
		 * Interrupts stay disabled from the request check to the
		 * entry: a flush posted after the check saw in_guest set and
		 * sent an IPI, which stays pending until the entry and then
		 * causes an exit at once; its sender waits for that.
		 */
		local_irq_disable();
		WRITE_ONCE(d->in_guest, true);
		/* Pairs with demo_flush(): in_guest before the requests. */
		smp_mb();
		if (test_and_clear_bit(DEMO_REQ_FLUSH, &d->requests))
			ret = d->ops->flush(d->arch);
		if (!ret)
			d->ops->run(d->arch, &d->vcpu, &d->exit);
		WRITE_ONCE(d->in_guest, false);
		local_irq_enable();
		if (ret) {
			demo_stop(d, "could not flush before the entry: %d", ret);
			break;
		}
		demo_exit(d);
		cur_sc(d)->exits++;
		cond_resched();
	}
	d->ns = ktime_to_ns(ktime_sub(ktime_get(), start));
	if (d->protector)
		demo_protector_join(d);
	if (d->unmapper)
		demo_stop_other(&d->unmapper);
}

/* The vCPU's thread, bound to one CPU: virtualization is on only here. */
static int demo_thread(void *arg)
{
	struct demo *d = arg;
	char why[sizeof(d->sc[0].why)] = "";
	int ret;

	d->cpu = raw_smp_processor_id();
	d->vcpu.gpr[4] = demo_guest_entry.rsp;
	d->vcpu.rip = demo_guest_entry.rip;
	ret = d->ops->enable(d->arch, axas_space_root(d->space),
			     &demo_guest_entry, why, sizeof(why));
	if (ret)
		demo_fail(d, "cannot enter the guest: %s (%d)", why, ret);
	else
		demo_run(d);
	d->ops->disable(d->arch);
	complete(&d->finished);
	return 0;
}

/* The areas present from the start; scenarios 3, 6 and 7 add theirs. */
static int demo_map(struct demo *d)
{
	static const struct {
		u64 gpa, size;
		u32 flags;
		unsigned long pgsize;
	} areas[] = {
		{ G_IMAGE, G_IMAGE_SIZE, AXAS_PROT_RWX | AXAS_AREA_POPULATE, SZ_4K },
		{ G_SHARED, G_SHARED_SIZE,
		  AXAS_PROT_READ | AXAS_PROT_WRITE | AXAS_AREA_POPULATE, SZ_4K },
		{ G_WP, G_WP_SIZE,
		  AXAS_PROT_READ | AXAS_PROT_WRITE | AXAS_AREA_POPULATE, SZ_4K },
		{ G_LAZY4K, G_LAZY4K_SIZE, AXAS_PROT_READ | AXAS_PROT_WRITE, SZ_4K },
		{ G_LAZY2M, G_LAZY2M_SIZE, AXAS_PROT_READ | AXAS_PROT_WRITE, SZ_2M },
	};
	const u8 *guest = demo_guest_vmmcall;
	size_t len = demo_guest_vmmcall_end - demo_guest_vmmcall;
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(areas); i++) {
		ret = axas_map_alloc(d->space, areas[i].gpa, areas[i].size,
				     areas[i].flags, areas[i].pgsize);
		if (ret) {
			demo_fail(d, "axas_map_alloc(%#llx) = %d", areas[i].gpa, ret);
			return ret;
		}
	}
	if (d->info.hypercall == DEMO_VMCALL) {
		guest = demo_guest_vmcall;
		len = demo_guest_vmcall_end - demo_guest_vmcall;
	}
	if (len > G_CODE_MAX) {
		demo_fail(d, "the guest binary has %zu bytes, room for %u", len,
			  G_CODE_MAX);
		return -E2BIG;
	}
	ret = axas_write(d->space, G_IMAGE, guest, len, 0);
	if (ret)
		demo_fail(d, "axas_write(guest) = %d", ret);
	return ret;
}

static int demo_setup(struct demo *d)
{
	struct axas_space_cfg cfg = {
		.name = KBUILD_MODNAME,
		.base = 0,
		.size = G_SPACE_SIZE,
		.flush = demo_flush,
		.cookie = d,
	};
	char why[sizeof(d->sc[0].why)] = "";
	void *arch;

	arch = d->ops->setup(&d->info, why, sizeof(why));
	if (IS_ERR(arch)) {
		demo_fail(d, "%s", why);
		return PTR_ERR(arch);
	}
	d->arch = arch;
	cfg.pt = d->info.pt;
	d->space = axas_space_create(&cfg);
	if (IS_ERR(d->space)) {
		demo_fail(d, "axas_space_create = %ld", PTR_ERR(d->space));
		d->space = NULL;
		return -EINVAL;
	}
	/* A fresh context: its first entry flushes whatever the TLB holds. */
	set_bit(DEMO_REQ_FLUSH, &d->requests);
	return demo_map(d);
}

static void demo_teardown(struct demo *d)
{
	if (d->space) {
		axas_space_shutdown(d->space);
		axas_space_destroy(d->space);
	}
	if (d->arch)
		d->ops->teardown(d->arch);
}

static const char *demo_result_name(const struct npf_expect *e)
{
	switch (e->result) {
	case AXAS_FAULT_INSTALLED:
		return e->fill ? "installed, the VMM's words written" : "installed";
	case -ENOENT:
		return e->remap ? "-ENOENT, mapped again" : "-ENOENT, device emulated";
	case -EACCES:
		return "-EACCES, rights given back";
	default:
		return "?";
	}
}

/* One line per kind of nested page fault a scenario caused. */
static void demo_report_kinds(const struct scenario *sc)
{
	unsigned int i;

	for (i = 0; i < sc->nkinds; i++) {
		const struct npf_expect *e = &sc->kinds[i];
		bool one_place = e->count == 1 || !e->step;
		char step[32] = "";

		if (!one_place)
			snprintf(step, sizeof(step), ", one per %llu%s",
				 e->step >= SZ_1M ? e->step / SZ_1M : e->step / SZ_1K,
				 e->step >= SZ_1M ? "M" : "K");
		pr_info("    npf x%-3u %s %#llx%s: code %#llx (%s%s %s) as predicted; %s\n",
			e->seen, one_place ? "at" : "from", e->gpa, step, e->code, e->flags & AXAS_EXIT_PRESENT ? "present " : "",
			e->access & AXAS_ACCESS_WRITE ? "write" :
			e->access & AXAS_ACCESS_EXEC ? "fetch" : "read",
			e->flags & AXAS_EXIT_WALK ? "on the page walk" : "final",
			demo_result_name(e));
	}
}

static bool demo_report(struct demo *d)
{
	unsigned int n, passed = 0, exits = 0, npf = 0, hypercall = 0, intr = 0;
	struct axas_space_stats st;

	if (d->info.host[0])
		pr_info("%s\n", d->info.host);
	if (d->sc[0].failed)
		pr_info("[0] %s: FAIL: %s\n", scenario_name[0], d->sc[0].why);
	for (n = 0; n <= NR_SCENARIOS; n++) {
		struct scenario *sc = &d->sc[n];
		bool ok = sc->reported && !sc->failed;

		exits += sc->exits;
		npf += sc->npf;
		hypercall += sc->hypercall;
		intr += sc->intr;
		if (!n)
			continue;	/* set-up: reported above */
		if (!sc->failed && !sc->reported)
			snprintf(sc->why, sizeof(sc->why), "%s",
				 sc->begun ? "did not finish" : "did not run");
		passed += ok;
		pr_info("[%u] %-42s %s  exits %u (npf %u, hypercall %u, intr %u), frames %+ld, %lld us\n",
			n, demo_scenario_name(n), ok ? "PASS" : "FAIL", sc->exits,
			sc->npf, sc->hypercall, sc->intr, sc->frames_delta,
			sc->ns / NSEC_PER_USEC);
		if (!ok)
			pr_info("    %s\n", sc->why);
		else
			demo_report_kinds(sc);
		if (sc->note[0])
			pr_info("    %s\n", sc->note);
	}
	if (d->space) {
		axas_space_get_stats(d->space, &st);
		pr_info("total: %u exits (npf %u, hypercall %u, intr/nmi %u); faults installed %llu, refused %llu; %llu flushes, %llu kicks; %lu frames, %lu table pages at the end; %lld ms\n",
			exits, npf, hypercall, intr,
			st.faults_installed, st.faults_refused, d->flushes,
			d->kicks, st.frames, st.tables, d->ns / NSEC_PER_MSEC);
	}
	pr_info("RESULT %s (%u of %u scenarios passed)\n",
		passed == NR_SCENARIOS && !d->sc[0].failed ? "PASS" : "FAIL",
		passed, NR_SCENARIOS);
	return passed == NR_SCENARIOS && !d->sc[0].failed;
}

/**
 * demo_main() - run the sample's guest on @ops and print the report
 * @ops: the CPU plumbing
 *
 * Context: process context (module_init); sleeps until the guest is done.
 * Return: 0 when the guest ran (whatever the scenarios' results; the
 * report says), -ENODEV when the CPU cannot run it, -ENOMEM.
 */
int demo_main(const struct demo_arch *ops)
{
	struct task_struct *task;
	struct demo *d;
	int ret;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	d->ops = ops;
	init_completion(&d->finished);
	ret = demo_setup(d);
	if (!ret) {
		task = kthread_create(demo_thread, d, KBUILD_MODNAME);
		if (IS_ERR(task)) {
			ret = PTR_ERR(task);
			demo_fail(d, "kthread_create = %d", ret);
		} else {
			get_task_struct(task);
			kthread_bind(task, cpumask_last(cpu_online_mask));
			wake_up_process(task);
			wait_for_completion(&d->finished);
			kthread_stop(task);
			put_task_struct(task);
		}
	}
	demo_report(d);
	demo_teardown(d);
	kfree(d);
	return ret == -ENODEV ? ret : 0;
}
