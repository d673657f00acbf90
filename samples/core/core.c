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
 * axas_walk(), whose GPA must be the one the hardware reported. What the
 * VMM does within each scenario (protect, unmap, a 1 GiB leaf, dirty
 * logging, a snapshot, ...) is in scenarios.c. When the guest has
 * finished, the vCPU's thread prints a report and frees the guest; the
 * report closes with a "RESULT PASS", "RESULT FAIL" or, when the module
 * was unloaded while the guest ran, "RESULT STOPPED" line.
 *
 * Only axas's public API is used. It is a sample: one vCPU, no
 * speculation mitigations around the entry, no FPU state switch (the
 * guest uses none).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
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
#include "core.h"

static unsigned int timeout_s = 120;
module_param(timeout_s, uint, 0444);
MODULE_PARM_DESC(timeout_s, "stop the guest after this many seconds");

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
const struct vmm_entry_state demo_guest_entry = {
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

void demo_fail(struct demo *d, const char *fmt, ...)
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

long demo_frames(struct demo *d)
{
	struct axas_space_stats st;

	axas_space_get_stats(d->space, &st);
	return st.frames;
}

/* The module's guest, from demo_main() to demo_end(). */
static struct demo *demo_vm;

/* Requests to the vCPU, honoured before its next entry. */
#define DEMO_REQ_FLUSH	0
#define DEMO_REQ_STOP	1

/* Runs on the vCPU's CPU once it is out of guest mode: the acknowledgment. */
static void demo_kick_fn(void *info)
{
}

/*
 * Post request @req and, if the vCPU is in guest mode, kick it out with
 * an IPI and wait until it has left (see demo_flush() for why that
 * suffices). Return: whether it was kicked; *@kicked is set first.
 */
static bool demo_request(struct demo *d, unsigned int req, bool *kicked)
{
	set_bit(req, &d->requests);
	/* Pairs with the barrier before the vCPU reads the requests. */
	smp_mb__after_atomic();
	if (!READ_ONCE(d->in_guest))
		return false;
	if (kicked)
		WRITE_ONCE(*kicked, true);
	smp_call_function_single(d->cpu, demo_kick_fn, NULL, 1);
	return true;
}

/*
 * The flush callback. axas frees the range's frames and table pages as
 * soon as it returns, so it is synchronous: when it returns, no CPU may
 * use a translation of the range cached before the call. It may run on
 * any CPU (scenarios 5 and 8 change the tables from another thread) and
 * may sleep; it runs with the space lock held for writing.
 *
 * It posts a request that the vCPU honours before its next entry (the
 * arch's flush: SVM's TLB control, VMX's INVEPT). If the vCPU is in guest
 * mode, it also sends it an IPI, which causes an exit (SVM: INTR; VMX:
 * external interrupt), and waits until the (empty) handler has run: the
 * handler runs only once the vCPU is out of guest mode with interrupts
 * enabled, so it cannot go back without the flush. Returning right after
 * sending the IPI would let axas free a frame that the guest still
 * reaches through its TLB until the exit.
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
 * its ASID or EPTP. A VMM whose vCPUs move must also flush them (or take
 * a fresh ASID) when a vCPU enters on a CPU that may still hold entries
 * from before a flush.
 *
 * flushes and kicks are counted under the space lock.
 */
static void demo_flush(void *cookie, u64 gpa, u64 size)
{
	struct demo *d = cookie;

	if (demo_request(d, DEMO_REQ_FLUSH, NULL))
		d->kicks++;
	d->flushes++;
}

/*
 * Rights taken away must be flushed. QEMU keeps no guest translation
 * across a VMRUN whatever the TLB control says, and Bochs flushes at
 * every entry, so the guest would not notice a missing flush there; check
 * that axas asked for one.
 */
void demo_check_flushed(struct demo *d, u64 before, const char *op)
{
	if (d->flushes == before)
		demo_fail(d, "%s did not call the flush callback", op);
}

void demo_expect(struct demo *d, const struct npf_expect *e)
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

/* The guest's paging state, as the exit left it, for axas_walk(). */
static void demo_walk_state(struct demo *d, struct axas_walk_state *st)
{
	const struct vmm_regs *v = &d->vcpu;

	memset(st, 0, sizeof(*st));
	st->cr0 = v->cr0;
	st->cr3 = v->cr3;
	st->cr4 = v->cr4;
	st->efer = v->efer;
	st->rflags = v->rflags;
	st->cpl = v->cpl;
	st->maxphyaddr = d->info.maxphyaddr;
	if (!d->info.gbpages)
		st->flags |= AXAS_GUEST_NO_1G;
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
	/* As the CPU fetches it: with the fetch's rights, across pages. */
	ret = axas_gva_read(d->space, &st, rip, insn, sizeof(insn),
			    AXAS_WALK_FETCH, &res);
	if (ret) {
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
		demo_stop(d, "the fault's access disagrees with the instruction at %#llx",
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
 * a write (the CPU may set A/D flags there); with %VMM_CAP_WALK_RW a read
 * may come with it.
 */
static bool demo_access_ok(struct demo *d, const struct npf_expect *e,
			   unsigned int access)
{
	unsigned int want = e->write ? AXAS_ACCESS_WRITE :
			    e->fetch ? AXAS_ACCESS_EXEC : AXAS_ACCESS_READ;

	if (access == want)
		return true;
	return e->walk && (d->info.caps & VMM_CAP_WALK_RW) &&
	       access == (AXAS_ACCESS_READ | AXAS_ACCESS_WRITE);
}

/*
 * Check a nested fault against what the scenario and axas predict: @tr is
 * what the table held for its GPA before axas_fault(), if @mapped.
 */
static struct npf_expect *demo_check_npf(struct demo *d,
					 const struct vmm_fault *f, bool mapped,
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
	else if ((d->info.caps & VMM_CAP_FAULT_USER) && !f->user)
		demo_fail(d, "code %#llx at %#llx: not a user access", f->raw, f->gpa);
	else if ((d->info.caps & VMM_CAP_FAULT_RIGHTS) && f->rights != rights)
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

static bool demo_npf(struct demo *d, const struct vmm_fault *f)
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

/* The guest began scenario @n. */
static void demo_hc_begin(struct demo *d, u64 n)
{
	struct scenario *sc;

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
	demo_begin(d, n);
}

/* The guest asks for step @phase of scenario @n. */
static u64 demo_hc_phase(struct demo *d, u64 n, u64 phase)
{
	if (n != d->cur || !phase) {
		demo_stop(d, "phase %llu of scenario %llu during %d", phase, n, d->cur);
		return 1;
	}
	demo_expect_done(d);
	return demo_phase(d, n, phase);
}

/* The guest reported scenario @n: @bad is 0, or what its check found. */
static void demo_result(struct demo *d, u64 n, u64 bad)
{
	struct scenario *sc = cur_sc(d);
	u64 val = 0;

	if (n != d->cur || sc->reported) {
		demo_stop(d, "result of scenario %llu during %d", n, d->cur);
		return;
	}
	demo_expect_done(d);
	demo_finish(d, n);
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
	demo_check_result(d, n);
}

/* The guest's hypercall: command in RAX, arguments in RBX, RCX, RDX. */
static void demo_hypercall(struct demo *d)
{
	u64 *gpr = d->vcpu.gpr;
	u64 cmd = gpr[0], arg1 = gpr[3], arg2 = gpr[1];
	u64 ret = 0;

	switch (cmd) {
	case HC_BEGIN:
		demo_hc_begin(d, arg1);
		break;
	case HC_PHASE:
		ret = demo_hc_phase(d, arg1, arg2);
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
	d->vcpu.rip += VMM_HYPERCALL_LEN;
	/* Counted for the scenario it began, or the one it belongs to. */
	cur_sc(d)->hypercall++;
}

static void demo_exit(struct demo *d)
{
	const struct vmm_exit *x = &d->exit;
	u64 rip = d->vcpu.rip;

	switch (x->kind) {
	case VMM_EXIT_NONE:
		d->arch_exits++;
		break;
	case VMM_EXIT_FAULT:
		demo_npf(d, &x->fault);
		break;
	case VMM_EXIT_HYPERCALL:
		demo_hypercall(d);
		break;
	case VMM_EXIT_INTR:
		/* Taken by the host once interrupts are enabled again. */
		cur_sc(d)->intr++;
		break;
	case VMM_EXIT_HALT:
		if (d->cur != NR_SCENARIOS || !cur_sc(d)->reported)
			demo_stop(d, "HLT at %#llx before the last scenario", rip);
		d->done = true;
		break;
	case VMM_EXIT_IO:
		demo_stop(d, "the guest used port %#x at %#llx", x->io.port, rip);
		break;
	case VMM_EXIT_FATAL:
		demo_stop(d, "%s", x->why);
		break;
	case VMM_EXIT_SHUTDOWN:
		demo_stop(d, "the guest shut down (triple fault) at %#llx", rip);
		break;
	default:
		demo_stop(d, "unknown exit kind %d at %#llx", x->kind, rip);
		break;
	}
}

/* demo_end() asked the vCPU to stop: the report says so. */
static void demo_unloaded(struct demo *d)
{
	unsigned int n, exits = 0;

	for (n = 0; n <= d->cur; n++)
		exits += d->sc[n].exits;
	d->unloaded = true;
	demo_stop(d, "stopped: the module was unloaded after %u exits; the vCPU was %s",
		  exits, READ_ONCE(d->stop_kicked) ?
		  "in guest mode, kicked out with an IPI" : "out of guest mode");
}

static void demo_run(struct demo *d)
{
	unsigned long deadline = jiffies + timeout_s * HZ;
	ktime_t start = ktime_get();
	bool stop = false;
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
		 * causes an exit at once; its sender waits for that. A stop
		 * request is checked the same way.
		 */
		local_irq_disable();
		WRITE_ONCE(d->in_guest, true);
		/* Pairs with demo_request(): in_guest before the requests. */
		smp_mb();
		stop = test_bit(DEMO_REQ_STOP, &d->requests);
		if (!stop && test_and_clear_bit(DEMO_REQ_FLUSH, &d->requests))
			ret = d->ops->flush(d->arch);
		if (!stop && !ret)
			d->ops->run(d->arch, &d->vcpu, &d->exit);
		WRITE_ONCE(d->in_guest, false);
		local_irq_enable();
		if (stop) {
			demo_unloaded(d);
			break;
		}
		if (ret) {
			demo_stop(d, "could not flush before the entry: %d", ret);
			break;
		}
		demo_exit(d);
		cur_sc(d)->exits++;
		cond_resched();
	}
	d->ns = ktime_to_ns(ktime_sub(ktime_get(), start));
	demo_stop_scenarios(d);
}

static void demo_close(struct demo *d);

/*
 * The vCPU's thread, bound to one CPU: virtualization is on only here.
 * When the guest has finished (or was stopped), it prints the report and
 * frees the guest; demo_end() then only waits for it and frees @d.
 */
static int demo_thread(void *arg)
{
	struct demo *d = arg;
	char why[sizeof(d->sc[0].why)] = "";
	int ret;

	d->cpu = raw_smp_processor_id();
	d->vcpu.gpr[VMM_RSP] = demo_guest_entry.rsp;
	d->vcpu.rip = demo_guest_entry.rip;
	d->vcpu.irq = -1;
	ret = d->ops->enable(d->arch, axas_space_root(d->space),
			     &demo_guest_entry, why, sizeof(why));
	if (ret)
		demo_fail(d, "cannot enter the guest: %s (%d)", why, ret);
	else
		demo_run(d);
	d->ops->disable(d->arch);
	demo_close(d);
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
	if (d->info.hypercall == VMM_VMCALL) {
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

/*
 * Free the guest: the space's frames and table pages (the report says
 * what shutdown left: no frame, the root table only, which goes with the
 * space), then the arch's structures.
 */
static void demo_teardown(struct demo *d)
{
	struct axas_space_stats st;

	if (d->space) {
		axas_space_shutdown(d->space);
		axas_space_get_stats(d->space, &st);
		pr_info("after shutdown: %lu frames, %lu table pages (the root), %lu areas; then the space is destroyed\n",
			st.frames, st.tables, st.areas);
		axas_space_destroy(d->space);
		d->space = NULL;
	}
	if (d->arch)
		d->ops->teardown(d->arch);
	d->arch = NULL;
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

static unsigned int demo_report(struct demo *d, unsigned int *skippedp)
{
	unsigned int n, passed = 0, skipped = 0, exits = 0, npf = 0, hypercall = 0, intr = 0;
	struct axas_space_stats st;

	if (d->info.host[0])
		pr_info("%s\n", d->info.host);
	if (d->sc[0].failed)
		pr_info("[0] %s: FAIL: %s\n", demo_scenario_name(0), d->sc[0].why);
	for (n = 0; n <= NR_SCENARIOS; n++) {
		struct scenario *sc = &d->sc[n];
		bool ok = sc->reported && !sc->failed;
		bool skip = ok && sc->skipped;

		exits += sc->exits;
		npf += sc->npf;
		hypercall += sc->hypercall;
		intr += sc->intr;
		if (!n)
			continue;	/* set-up: reported above */
		if (!sc->failed && !sc->reported)
			snprintf(sc->why, sizeof(sc->why), "%s",
				 sc->begun ? "did not finish" : "did not run");
		passed += ok && !skip;
		skipped += skip;
		pr_info("[%u] %-42s %s  exits %u (npf %u, hypercall %u, intr %u), frames %+ld, %lld us\n",
			n, demo_scenario_name(n), skip ? "SKIP" : ok ? "PASS" : "FAIL", sc->exits,
			sc->npf, sc->hypercall, sc->intr, sc->frames_delta,
			sc->ns / NSEC_PER_USEC);
		if (!ok || skip)
			pr_info("    %s\n", sc->why);
		else
			demo_report_kinds(sc);
		if (sc->note[0])
			pr_info("    %s\n", sc->note);
		if (sc->arch_note[0])
			pr_info("    %s\n", sc->arch_note);
	}
	if (d->space) {
		axas_space_get_stats(d->space, &st);
		pr_info("total: %u exits (npf %u, hypercall %u, intr/nmi %u, arch %u); faults installed %llu, refused %llu; %llu flushes, %llu kicks; %lu frames, %lu table pages at the end; %lld ms\n",
			exits, npf, hypercall, intr, d->arch_exits,
			st.faults_installed, st.faults_refused, d->flushes,
			d->kicks, st.frames, st.tables, d->ns / NSEC_PER_MSEC);
	}
	*skippedp = skipped;
	return passed;
}

/* The report, the guest freed, and the report's closing line. */
static void demo_close(struct demo *d)
{
	unsigned int skipped, passed = demo_report(d, &skipped);

	demo_teardown(d);
	if (d->unloaded)
		pr_info("RESULT STOPPED (unloaded during scenario %d; %u of %u scenarios passed, %u skipped)\n",
			d->cur, passed, NR_SCENARIOS, skipped);
	else
		pr_info("RESULT %s (%u of %u scenarios passed, %u skipped)\n",
			passed + skipped == NR_SCENARIOS && !d->sc[0].failed ? "PASS" : "FAIL",
			passed, NR_SCENARIOS, skipped);
	d->finished = true;
}

/**
 * demo_main() - set the sample's guest up on @ops and start its vCPU
 * @ops: the CPU plumbing
 *
 * Creates the space and the guest and starts the vCPU's thread, which
 * runs the guest, prints the report and frees the guest; returns without
 * waiting for it. When the set-up fails, the report (saying why) is
 * printed before it returns. The arch's module_exit must call
 * demo_end().
 *
 * Context: process context (module_init); sleeps.
 * Return: 0 when the vCPU was started, or when the set-up failed with
 * anything but -ENODEV (the report says why); -ENODEV when the CPU cannot
 * run the guest; -ENOMEM.
 */
int demo_main(const struct vmm_arch *ops)
{
	struct task_struct *task;
	struct demo *d;
	int ret;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	d->ops = ops;
	ret = demo_setup(d);
	if (!ret) {
		task = kthread_create(demo_thread, d, KBUILD_MODNAME);
		if (!IS_ERR(task)) {
			get_task_struct(task);
			d->task = task;
			d->cpu = cpumask_last(cpu_online_mask);
			kthread_bind(task, d->cpu);
			demo_vm = d;
			wake_up_process(task);
			return 0;
		}
		ret = PTR_ERR(task);
		demo_fail(d, "kthread_create = %d", ret);
	}
	demo_close(d);
	kfree(d);
	return ret == -ENODEV ? ret : 0;
}

/**
 * demo_end() - stop the sample's guest if it runs, and free it
 *
 * Asks the vCPU to stop before its next entry and, if it is in guest
 * mode, kicks it out with the IPI the flush callback uses; then waits
 * for its thread, which leaves virtualization on its CPU, prints the
 * report ("RESULT STOPPED") and frees the guest. Safe whether the guest
 * finished (nothing to stop), runs, or never started (nothing to do; or
 * the thread never ran: the report and the freeing happen here).
 *
 * Context: process context (module_exit); sleeps until the vCPU's thread
 * has ended.
 * Return: nothing.
 */
void demo_end(void)
{
	struct demo *d = demo_vm;

	if (!d)
		return;
	demo_request(d, DEMO_REQ_STOP, &d->stop_kicked);
	kthread_stop(d->task);
	put_task_struct(d->task);
	/* Stopped before it ran: nothing was entered or turned on. */
	if (!d->finished) {
		d->unloaded = true;
		demo_fail(d, "stopped: the module was unloaded before the vCPU ran");
		demo_close(d);
	}
	demo_vm = NULL;
	kfree(d);
}
