// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites of what happens at the boundary with the VMM and the host:
 * shutdown and the flush contract (what a vCPU on another CPU could still
 * reach), copies to reserved memory, memory encryption, the frame cap
 * under racing faults, mode-based execute, where 1 GiB frames come from,
 * frames beyond the physical-address width, memory cgroup charging, and
 * long loops over large spaces.
 */
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/kthread.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include <axas/axas.h>
#include <axas/compat.h>

#include "../features/features.h"
#include "../npt/fmt.h"
#include "axas_test.h"

ulong axt_resv_base;
module_param_named(resv_base, axt_resv_base, ulong, 0444);
MODULE_PARM_DESC(resv_base, "start of a memmap= reserved range that is not section aligned (0: none)");

ulong axt_resv_size;
module_param_named(resv_size, axt_resv_size, ulong, 0444);
MODULE_PARM_DESC(resv_size, "its size");

static bool memcg_limited;
module_param(memcg_limited, bool, 0444);
MODULE_PARM_DESC(memcg_limited, "insmod runs in a memory cgroup limited to memcg_limit_mb");

static uint memcg_limit_mb = 32;
module_param(memcg_limit_mb, uint, 0444);
MODULE_PARM_DESC(memcg_limit_mb, "memory.max of that cgroup, MiB");

static uint large_gb = 32;
module_param(large_gb, uint, 0444);
MODULE_PARM_DESC(large_gb, "GiB of 4 KiB leaves in axas_boundary_large");

KUNIT_ARRAY_PARAM(axb_fmt, axt_fmts, axt_fmt_desc);

#define RW	(AXAS_PROT_READ | AXAS_PROT_WRITE)
#define BASE	((u64)SZ_1G)
#define SIZE	(64ULL * SZ_1G)
#define DEVICE	(1ULL << 40)	/* physical addresses no RAM has here */
#define ROOT_ADDR(r, me)	((r) & GENMASK_ULL(51, 12) & ~(me))

struct axb {
	struct kunit *test;
	const struct axt_fmt *f;
	struct axas_space *space;
	struct axas_space_cfg cfg;
	long tables_base;
	/* What the flush callback found. */
	unsigned int flushes;
	bool check;		/* decode the table and frames on each flush */
	unsigned int leaves_in_range;	/* present leaves inside the range */
	u32 max_prot_in_range;	/* rights of the leaves inside it, OR-ed */
	struct page **watch;	/* frames that must live until the flush returns */
	u64 *watch_gpa;
	unsigned int nr_watch;
	unsigned int freed_early;
	/* The flush handed to a thread on another CPU. */
	struct task_struct *remote;
	struct completion req, ack;
	u64 req_gpa, req_size;
	int remote_cpu, flush_cpu;
	bool remote_stop;
	/* The frame allocator held back to force an interleaving. */
	atomic_t stub_calls;
	int stall_calls;
	struct completion stalled;
	unsigned int stall_timeouts;
};

/* What a vCPU could still reach in [gpa, gpa + size): decode the raw table. */
static void axb_inspect(struct axb *t, u64 gpa, u64 size)
{
	struct axt_dec *d = kzalloc(sizeof(*d), GFP_KERNEL);
	unsigned int i;
	size_t j;

	if (!d)
		return;
	d->format = t->f->format;
	d->levels = t->f->levels;
	d->caps = t->cfg.pt.caps.flags;
	d->phys_bits = 46;
	d->me_mask = t->cfg.pt.caps.me_mask;
	if (!axt_decode(d, axas_space_root(t->space))) {
		for (j = 0; j < d->out.n; j++) {
			const struct axt_leaf *l = &d->out.v[j];

			if (l->gpa >= gpa + size ||
			    l->gpa + (1ULL << (12 + 9 * l->level)) <= gpa)
				continue;
			t->leaves_in_range++;
			t->max_prot_in_range |= l->prot;
		}
	}
	axt_leaves_free(&d->out);
	kfree(d);
	for (i = 0; i < t->nr_watch; i++)
		if (t->watch[i] && t->watch_gpa[i] >= gpa &&
		    t->watch_gpa[i] < gpa + size && !page_ref_count(t->watch[i]))
			t->freed_early++;
}

/* Frames of [gpa, gpa + size) were unmapped and freed: stop watching them. */
static void axb_unwatch(struct axb *t, u64 gpa, u64 size)
{
	unsigned int i;

	for (i = 0; i < t->nr_watch; i++)
		if (t->watch_gpa[i] >= gpa && t->watch_gpa[i] < gpa + size)
			t->watch[i] = NULL;
}

static int axb_remote_thread(void *arg)
{
	struct axb *t = arg;

	for (;;) {
		wait_for_completion(&t->req);
		if (READ_ONCE(t->remote_stop))
			break;
		t->remote_cpu = raw_smp_processor_id();
		axb_inspect(t, t->req_gpa, t->req_size);
		complete(&t->ack);
	}
	return 0;
}

static void axb_flush(void *cookie, u64 gpa, u64 size)
{
	struct axb *t = cookie;

	t->flushes++;
	if (!t->check)
		return;
	if (!t->remote) {
		axb_inspect(t, gpa, size);
		return;
	}
	/* Like a VMM kicking a vCPU and waiting for it: this may sleep. */
	t->flush_cpu = raw_smp_processor_id();
	t->req_gpa = gpa;
	t->req_size = size;
	complete(&t->req);
	wait_for_completion(&t->ack);
}

static struct axas_space_cfg axb_cfg(struct axb *t)
{
	struct axas_space_cfg cfg = {
		.name = "kunit-boundary",
		.base = BASE,
		.size = SIZE,
		.flush = axb_flush,
		.cookie = t,
	};

	cfg.pt = axt_pt_cfg_all(t->f);
	return cfg;
}

static int axb_init(struct kunit *test)
{
	struct axb *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	if (!t)
		return -ENOMEM;
	t->test = test;
	t->f = test->param_value ?: &axt_fmts[0];
	init_completion(&t->req);
	init_completion(&t->ack);
	init_completion(&t->stalled);
	t->tables_base = axt_live_tables();
	t->cfg = axb_cfg(t);
	t->space = axas_space_create(&t->cfg);
	if (IS_ERR(t->space))
		return PTR_ERR(t->space);
	test->priv = t;
	return 0;
}

static void axb_exit(struct kunit *test)
{
	struct axb *t = test->priv;

	if (!t)
		return;
	if (t->remote) {
		WRITE_ONCE(t->remote_stop, true);
		complete(&t->req);
		kthread_stop(t->remote);
	}
	axt_space_destroy(test, t->space, t->tables_base);
}

/* Frames of [gpa, gpa + n pages) to watch on the next flushes. */
static void axb_watch(struct axb *t, u64 gpa, unsigned int n)
{
	struct kunit *test = t->test;
	struct axas_translation tr;
	unsigned int i;

	t->watch = kunit_kcalloc(test, n, sizeof(*t->watch), GFP_KERNEL);
	t->watch_gpa = kunit_kcalloc(test, n, sizeof(*t->watch_gpa), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->watch);
	KUNIT_ASSERT_NOT_NULL(test, t->watch_gpa);
	for (i = 0; i < n; i++) {
		KUNIT_ASSERT_EQ(test, axas_translate(t->space, gpa + i * SZ_4K, 1, &tr), 0);
		t->watch[i] = pfn_to_page(PHYS_PFN(tr.hpa));
		t->watch_gpa[i] = gpa + i * SZ_4K;
	}
	t->nr_watch = n;
}

/* Alloc (eager 4K and 2M, lazy) and linear memory to tear down. */
static void axb_populate(struct axb *t)
{
	struct kunit *test = t->test;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_64K,
					     RW | AXAS_AREA_POPULATE, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE + SZ_2M, SZ_4M,
					     RW | AXAS_AREA_POPULATE, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE + SZ_16M, SZ_1M, RW, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_fault(t->space, BASE + SZ_16M + SZ_8K,
					 AXAS_ACCESS_WRITE), AXAS_FAULT_INSTALLED);
	KUNIT_ASSERT_EQ(test, axas_map_linear(t->space, 2ULL * SZ_1G, DEVICE, SZ_2M,
					      RW | AXAS_PROT_MT(AXAS_MT_UC)), 0);
	axb_watch(t, BASE, 16);
}

/*
 * Shutdown unlinks every translation before it flushes, and frees only
 * after the flush; the root stays, empty, until destroy, so a vCPU that
 * enters again only faults.
 */
static void axas_boundary_shutdown_unlinks(struct kunit *test)
{
	struct axb *t = test->priv;
	u64 root = axas_space_root(t->space), me = t->cfg.pt.caps.me_mask;
	const void *table;

	axb_populate(t);
	t->check = true;
	axas_space_shutdown(t->space);
	KUNIT_EXPECT_EQ(test, t->flushes, 1);
	KUNIT_EXPECT_EQ_MSG(test, t->leaves_in_range, 0,
			    "leaves still present when the flush ran");
	KUNIT_EXPECT_EQ_MSG(test, t->freed_early, 0, "frames freed before the flush");
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE, AXAS_ACCESS_READ), -ESHUTDOWN);
	KUNIT_ASSERT_EQ_MSG(test, axas_space_root(t->space), root,
			    "the root descriptor changed at shutdown");
	table = phys_to_virt(ROOT_ADDR(root, me));
	KUNIT_EXPECT_NULL_MSG(test, memchr_inv(table, 0, PAGE_SIZE),
			      "the root table is not empty after shutdown");
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).tables, 1);
	KUNIT_EXPECT_EQ_MSG(test, axt_live_tables(), t->tables_base + 1,
			    "only the root table lives on until destroy");
	/* A second shutdown changes nothing and flushes nothing. */
	axas_space_shutdown(t->space);
	KUNIT_EXPECT_EQ(test, t->flushes, 1);
}

/*
 * The flush contract with a callback that hands the flush to another CPU
 * and returns only when that CPU acknowledged: meanwhile the range is
 * unlinked (or its rights reduced) and nothing is freed.
 */
static void axas_boundary_flush_remote(struct kunit *test)
{
	struct axb *t = test->priv;
	int cpu, self = raw_smp_processor_id(), other = -1;

	for_each_online_cpu(cpu)
		if (cpu != self)
			other = cpu;
	if (other < 0)
		kunit_skip(test, "needs a second CPU (%u online)", num_online_cpus());
	/* The callback runs here, its acknowledgement comes from there. */
	KUNIT_ASSERT_EQ(test, set_cpus_allowed_ptr(current, cpumask_of(self)), 0);
	axb_populate(t);
	t->remote = kthread_create(axb_remote_thread, t, "axas-kunit-remote");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t->remote));
	kthread_bind(t->remote, other);
	wake_up_process(t->remote);
	t->check = true;

	KUNIT_ASSERT_EQ(test, axas_unmap(t->space, BASE + SZ_16K, SZ_16K), 0);
	KUNIT_EXPECT_EQ(test, t->flushes, 1);
	KUNIT_EXPECT_NE(test, t->remote_cpu, t->flush_cpu);
	KUNIT_EXPECT_EQ_MSG(test, t->leaves_in_range, 0, "unmap: leaves present at flush");
	KUNIT_EXPECT_EQ(test, t->freed_early, 0);
	axb_unwatch(t, BASE + SZ_16K, SZ_16K);

	KUNIT_ASSERT_EQ(test, axas_protect(t->space, BASE + SZ_2M, SZ_4M,
					   AXAS_PROT_READ), 0);
	KUNIT_EXPECT_EQ(test, t->flushes, 2);
	KUNIT_EXPECT_EQ_MSG(test, t->max_prot_in_range & AXAS_PROT_WRITE, 0,
			    "protect: writable leaves at flush");

	t->leaves_in_range = 0;
	axas_space_shutdown(t->space);
	KUNIT_EXPECT_EQ(test, t->flushes, 3);
	KUNIT_EXPECT_EQ_MSG(test, t->leaves_in_range, 0, "shutdown: leaves present at flush");
	KUNIT_EXPECT_EQ(test, t->freed_early, 0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 0);
	set_cpus_allowed_ptr(current, cpu_possible_mask);
}

/*
 * Guest copies to memory the kernel does not map: a memmap= range inside
 * an early sparsemem section has struct pages (pfn_valid()) but no direct
 * mapping. Write-back and uncached areas over it.
 */
static void axas_boundary_copy_reserved(struct kunit *test)
{
	struct axb *t = test->priv;
	size_t len = 3 * SZ_4K, i;
	u8 *in, *out;
	u64 gpa;

	if (!axt_resv_size)
		kunit_skip(test, "no reserved range given (resv_base=, resv_size=)");
	KUNIT_ASSERT_TRUE_MSG(test, pfn_valid(PHYS_PFN(axt_resv_base)),
			      "reserved range %lx has no struct page: not the case to test",
			      axt_resv_base);
	KUNIT_ASSERT_TRUE(test, PageReserved(pfn_to_page(PHYS_PFN(axt_resv_base))));
	in = kunit_kmalloc(test, len, GFP_KERNEL);
	out = kunit_kzalloc(test, len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, in);
	KUNIT_ASSERT_NOT_NULL(test, out);
	KUNIT_ASSERT_EQ(test, axas_map_linear(t->space, BASE, axt_resv_base, SZ_16K, RW), 0);
	KUNIT_ASSERT_EQ(test, axas_map_linear(t->space, BASE + SZ_1M, axt_resv_base, SZ_16K,
					      RW | AXAS_PROT_MT(AXAS_MT_UC)), 0);
	for (gpa = BASE; gpa <= BASE + SZ_1M; gpa += SZ_1M) {
		for (i = 0; i < len; i++)
			in[i] = i * 13 + (gpa >> 20);
		KUNIT_ASSERT_EQ(test, axas_write(t->space, gpa + 100, in, len, 0), 0);
		KUNIT_ASSERT_EQ(test, axas_read(t->space, gpa + 100, out, len, 0), 0);
		KUNIT_EXPECT_TRUE_MSG(test, !memcmp(in, out, len), "gpa %llx", gpa);
	}
	/* Both areas are windows onto the same memory. */
	KUNIT_ASSERT_EQ(test, axas_read(t->space, BASE + 100, out, len, 0), 0);
	KUNIT_EXPECT_TRUE(test, !memcmp(in, out, len));
}

/*
 * Decode the raw table as the space's configuration says (its C-bit
 * included): no entry the hardware would refuse; the number of leaves.
 */
static size_t axb_decode_checked(struct axb *t, const char *when)
{
	struct kunit *test = t->test;
	struct axt_dec *d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);
	size_t n;

	KUNIT_ASSERT_NOT_NULL(test, d);
	d->format = t->f->format;
	d->levels = t->f->levels;
	d->caps = t->cfg.pt.caps.flags;
	d->phys_bits = 46;
	d->me_mask = t->cfg.pt.caps.me_mask;
	KUNIT_ASSERT_EQ(test, axt_decode(d, axas_space_root(t->space)), 0);
	KUNIT_EXPECT_EQ_MSG(test, d->errors, 0, "%s: %s", when, d->first_error);
	n = d->out.n;
	axt_leaves_free(&d->out);
	return n;
}

/* The host's C-bit, as an SME host would have it. */
static u64 axb_sme_host_mask(void)
{
	return BIT_ULL(47);
}

static void axb_pin_nop(void *cookie, struct axas_pin *pin)
{
}

/* Leaves of [gpa, gpa + size) that carry the C-bit, and those that do not. */
static void axb_count_encrypted(struct axb *t, u64 gpa, u64 size,
				unsigned long *enc, unsigned long *plain)
{
	struct axt_dec *d = kunit_kzalloc(t->test, sizeof(*d), GFP_KERNEL);
	size_t i;

	KUNIT_ASSERT_NOT_NULL(t->test, d);
	d->format = t->f->format;
	d->levels = t->f->levels;
	d->caps = t->cfg.pt.caps.flags;
	d->phys_bits = 46;
	d->me_mask = t->cfg.pt.caps.me_mask;
	KUNIT_ASSERT_EQ(t->test, axt_decode(d, axas_space_root(t->space)), 0);
	*enc = 0;
	*plain = 0;
	for (i = 0; i < d->out.n; i++) {
		if (d->out.v[i].gpa < gpa || d->out.v[i].gpa >= gpa + size)
			continue;
		if (d->out.v[i].encrypted)
			(*enc)++;
		else
			(*plain)++;
	}
	axt_leaves_free(&d->out);
}

/*
 * SME: the C-bit of the host on nCR3, every table entry and every leaf of
 * RAM (alloc frames, whatever their memory type), never on device
 * ranges; kept through splits and protect.
 */
static void axas_boundary_sme(struct kunit *test)
{
	struct axb *t = test->priv;
	struct axas_space_cfg cfg = t->cfg;
	struct axas_translation tr;
	unsigned long enc, plain;
	struct axas_space *space;
	u64 me = BIT_ULL(47);
	struct axas_pin pin;
	u8 byte = 0x5a;

	kunit_activate_static_stub(test, axas_pt_host_me_mask, axb_sme_host_mask);
	cfg.pt.caps.me_mask = me;
	if (t->f->format == AXAS_PT_EPT) {
		space = axas_space_create(&cfg);
		KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(space), -EOPNOTSUPP);
		if (!IS_ERR(space))
			axas_space_destroy(space);
		return;
	}
	/* The C-bit must lie above the address bits... */
	cfg.pt.caps.phys_bits = 48;
	space = axas_space_create(&cfg);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(space), -EINVAL);
	if (!IS_ERR(space))
		axas_space_destroy(space);
	/* ...and be the host's: none on an SME host is refused. */
	cfg.pt.caps.phys_bits = 46;
	cfg.pt.caps.me_mask = 0;
	space = axas_space_create(&cfg);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(space), -EINVAL);
	if (!IS_ERR(space))
		axas_space_destroy(space);
	/* The capabilities of the format come with it. */
	KUNIT_EXPECT_EQ(test, axas_pt_caps_from_npt(false, true, 46).me_mask, me);

	axas_space_destroy(t->space);
	t->cfg.pt.caps.me_mask = me;
	t->space = axas_space_create(&t->cfg);
	KUNIT_ASSERT_FALSE(test, IS_ERR(t->space));
	KUNIT_EXPECT_EQ(test, axas_space_root(t->space) & me, me);
	axb_populate(t);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE + SZ_32M, SZ_64K,
					     RW | AXAS_PROT_MT(AXAS_MT_WC) |
					     AXAS_AREA_POPULATE, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, axb_decode_checked(t, "mapped"), 16 + 2 + 1 + 1 + 16);
	axb_count_encrypted(t, BASE, SZ_1G, &enc, &plain);
	KUNIT_EXPECT_EQ_MSG(test, enc, 16 + 2 + 1 + 16, "RAM leaves with the C-bit");
	KUNIT_EXPECT_EQ(test, plain, 0);
	axb_count_encrypted(t, 2ULL * SZ_1G, SZ_1G, &enc, &plain);
	KUNIT_EXPECT_EQ_MSG(test, plain, 1, "device leaves without the C-bit");
	KUNIT_EXPECT_EQ(test, enc, 0);
	/* The C-bit is no address bit: translate and copies strip it. */
	KUNIT_ASSERT_EQ(test, axas_translate(t->space, BASE, 1, &tr), 0);
	KUNIT_EXPECT_EQ(test, tr.hpa & me, 0);
	KUNIT_EXPECT_EQ(test, tr.hpa, page_to_phys(t->watch[0]));
	KUNIT_ASSERT_EQ(test, axas_translate(t->space, 2ULL * SZ_1G, 1, &tr), 0);
	KUNIT_EXPECT_EQ(test, tr.hpa, DEVICE);
	/*
	 * A pin's HPA is what a VMCB field takes: with the C-bit where the
	 * page is encrypted (RAM), without it on a device page.
	 */
	axas_pin_init(&pin, t->space, axb_pin_nop, NULL);
	KUNIT_ASSERT_EQ(test, axas_pin_activate(&pin, BASE + 0x10, 8,
						AXAS_ACCESS_READ, 0), 0);
	KUNIT_EXPECT_EQ(test, axas_pin_hpa(&pin), (page_to_phys(t->watch[0]) + 0x10) | me);
	axas_pin_release(&pin);
	KUNIT_ASSERT_EQ(test, axas_pin_activate(&pin, 2ULL * SZ_1G, 8,
						AXAS_ACCESS_READ, 0), 0);
	KUNIT_EXPECT_EQ(test, axas_pin_hpa(&pin), DEVICE);
	axas_pin_release(&pin);
	KUNIT_EXPECT_EQ(test, axas_write(t->space, BASE + SZ_2M + 7, &byte, 1, 0), 0);
	/* Split a 2 MiB leaf, change the memory type of RAM: the C-bit stays. */
	KUNIT_ASSERT_EQ(test, axas_unmap(t->space, BASE + SZ_2M + SZ_4K, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_protect(t->space, BASE + SZ_2M, SZ_8K,
					   AXAS_PROT_READ | AXAS_PROT_MT(AXAS_MT_UC)), 0);
	KUNIT_EXPECT_GT(test, axb_decode_checked(t, "after split and protect"), 0);
	axb_count_encrypted(t, BASE + SZ_2M, SZ_2M, &enc, &plain);
	KUNIT_EXPECT_EQ(test, enc, 511);
	KUNIT_EXPECT_EQ(test, plain, 0);
	byte = 0;
	KUNIT_EXPECT_EQ(test, axas_read(t->space, BASE + SZ_2M + 7, &byte, 1, 0), 0);
	KUNIT_EXPECT_EQ(test, byte, 0x5a);
}

/* ---- the frame cap under racing faults ---------------------------------- */

/*
 * The frame allocator, held back in its first @stall_calls calls until a
 * fault waits for the space lock (or 2 s pass): so two faults hold their
 * charge while a third arrives.
 */
static unsigned long axb_stalling_frames_alloc(unsigned int order,
					       unsigned long nr,
					       struct page **pages, int node,
					       gfp_t node_gfp)
{
	struct axb *t = kunit_get_current_test()->priv;
	unsigned long i, deadline;

	if (atomic_inc_return(&t->stub_calls) <= t->stall_calls) {
		complete(&t->stalled);
		deadline = jiffies + 2 * HZ;
		while (!rwsem_is_contended(&t->space->lock) &&
		       time_before(jiffies, deadline))
			usleep_range(500, 1000);
		if (!rwsem_is_contended(&t->space->lock))
			t->stall_timeouts++;
	}
	for (i = 0; i < nr; i++) {
		pages[i] = alloc_pages(GFP_KERNEL_ACCOUNT | __GFP_ZERO, order);
		if (!pages[i])
			break;
		if (order)
			split_page(pages[i], order);
	}
	return i;
}

struct axb_faulter {
	struct kunit *test;
	struct axas_space *space;
	u64 gpa;
	int ret;
	struct completion done;
};

static int axb_fault_thread(void *arg)
{
	struct axb_faulter *f = arg;

	/* The static stub applies to this thread too. */
	current->kunit_test = f->test;
	f->ret = axas_fault(f->space, f->gpa, AXAS_ACCESS_WRITE);
	current->kunit_test = NULL;
	complete(&f->done);
	return 0;
}

static void axb_fault_start(struct axb *t, struct axb_faulter *f, u64 gpa)
{
	*f = (struct axb_faulter){ .test = t->test, .space = t->space, .gpa = gpa };
	init_completion(&f->done);
	KUNIT_ASSERT_FALSE(t->test, IS_ERR(kthread_run(axb_fault_thread, f,
						       "axas-kunit-fault")));
	/* It holds its charge, in the allocator. */
	wait_for_completion(&t->stalled);
}

/* The loser of a race at the cap finds the page present: spurious. */
static void axas_boundary_cap_race_loser(struct kunit *test)
{
	struct axb *t = test->priv;
	struct axb_faulter a, b;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_64K, RW, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_fault(t->space, BASE, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
	t->space->frames.max = 2;
	t->stall_calls = 1;
	kunit_activate_static_stub(test, axas_frames_alloc, axb_stalling_frames_alloc);
	axb_fault_start(t, &a, BASE + SZ_4K);
	/* At the cap now: b's charge fails while a holds one for the same page. */
	b = (struct axb_faulter){ .test = test, .space = t->space, .gpa = BASE + SZ_4K };
	init_completion(&b.done);
	KUNIT_ASSERT_FALSE(test, IS_ERR(kthread_run(axb_fault_thread, &b, "axas-kunit-fault")));
	wait_for_completion(&a.done);
	wait_for_completion(&b.done);
	kunit_deactivate_static_stub(test, axas_frames_alloc);
	KUNIT_EXPECT_EQ(test, a.ret, AXAS_FAULT_INSTALLED);
	KUNIT_EXPECT_EQ_MSG(test, b.ret, AXAS_FAULT_SPURIOUS,
			    "the loser at the cap must resume the guest");
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 2);
	KUNIT_EXPECT_EQ(test, t->stall_timeouts, 0);
}

/*
 * Two faults race for one page and both hold a charge; a fault on another
 * page meanwhile must not fail for the charge the loser gives back.
 */
static void axas_boundary_cap_overcharge(struct kunit *test)
{
	struct axb *t = test->priv;
	struct axb_faulter a, b;
	int c;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_64K, RW, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_fault(t->space, BASE, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
	t->space->frames.max = 3;
	t->stall_calls = 2;
	kunit_activate_static_stub(test, axas_frames_alloc, axb_stalling_frames_alloc);
	axb_fault_start(t, &a, BASE + SZ_4K);
	axb_fault_start(t, &b, BASE + SZ_4K);
	/* 1 frame + 2 charges: the cap is full until the loser gives one back. */
	c = axas_fault(t->space, BASE + SZ_8K, AXAS_ACCESS_WRITE);
	wait_for_completion(&a.done);
	wait_for_completion(&b.done);
	kunit_deactivate_static_stub(test, axas_frames_alloc);
	KUNIT_EXPECT_EQ_MSG(test, c, AXAS_FAULT_INSTALLED,
			    "an unrelated fault failed for a racer's charge");
	KUNIT_EXPECT_EQ(test, (a.ret == AXAS_FAULT_INSTALLED) + (b.ret == AXAS_FAULT_INSTALLED), 1);
	KUNIT_EXPECT_EQ(test, (a.ret == AXAS_FAULT_SPURIOUS) + (b.ret == AXAS_FAULT_SPURIOUS), 1);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).frames, 3);
	KUNIT_EXPECT_EQ(test, t->stall_timeouts, 0);
}

/*
 * Mode-based execute: a supervisor fetch needs bit 2, a user fetch bit
 * 10; a present leaf without the right one is not spurious (that answer
 * would make the vCPU fault forever).
 */
static void axas_boundary_mbec(struct kunit *test)
{
	struct axb *t = test->priv;
	u64 rwx = BASE, rxu = BASE + SZ_1M;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, rwx, SZ_64K, AXAS_PROT_RWX, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, rwx, AXAS_ACCESS_EXEC),
			AXAS_FAULT_INSTALLED);
	if (t->f->format == AXAS_PT_NPT) {
		/* No MBEC: any fetch needs (and is allowed by) NX clear. */
		KUNIT_EXPECT_EQ(test, axas_fault(t->space, rwx, AXAS_ACCESS_EXEC_USER),
				AXAS_FAULT_SPURIOUS);
		KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, rxu, SZ_64K, RW, SZ_4K), 0);
		KUNIT_EXPECT_EQ(test, axas_fault(t->space, rxu, AXAS_ACCESS_EXEC_USER),
				-EACCES);
		return;
	}
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, rwx, AXAS_ACCESS_EXEC_USER), -EACCES);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, rwx + SZ_4K, AXAS_ACCESS_EXEC_USER),
			-EACCES);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, rxu, SZ_64K,
					     AXAS_PROT_READ | AXAS_PROT_EXEC_USER |
					     AXAS_AREA_POPULATE, SZ_4K), 0);
	KUNIT_EXPECT_EQ_MSG(test, axas_fault(t->space, rxu, AXAS_ACCESS_EXEC), -EACCES,
			    "supervisor fetch from a user-execute-only page");
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, rxu, AXAS_ACCESS_EXEC_USER),
			AXAS_FAULT_SPURIOUS);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, rxu, AXAS_ACCESS_READ |
					 AXAS_ACCESS_EXEC_USER), AXAS_FAULT_SPURIOUS);
}

/*
 * 1 GiB frames come from zones a kernel allocation may use, not MOVABLE:
 * no naturally aligned gigabyte of ZONE_MOVABLE is a candidate (the x86_64
 * run boots with movablecore=2G, so there are some), and a frame faulted
 * in lies outside it.
 */
static void axas_boundary_1g_zone(struct kunit *test)
{
	struct axb *t = test->priv;
	unsigned long __maybe_unused nr = SZ_1G >> PAGE_SHIFT, pfn;
	unsigned long movable = 0;
	struct axas_translation tr;
	struct page *page;
	u64 gpa = 2ULL * SZ_1G;

	if (!IS_ENABLED(CONFIG_CONTIG_ALLOC))
		kunit_skip(test, "no 1 GiB frames without CONFIG_CONTIG_ALLOC");
#ifdef CONFIG_CONTIG_ALLOC
	for (pfn = 0; pfn < PHYS_PFN(64ULL * SZ_1G); pfn += nr) {
		page = pfn_to_online_page(pfn);
		if (!page || page_zonenum(page) != ZONE_MOVABLE)
			continue;
		movable++;
		KUNIT_EXPECT_FALSE_MSG(test, axas_frame_range_usable(pfn, nr),
				       "gigabyte at %llx of ZONE_MOVABLE is a candidate",
				       (u64)PFN_PHYS(pfn));
	}
#endif
	kunit_info(test, "%lu gigabytes of ZONE_MOVABLE checked\n", movable);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, gpa, SZ_1G, RW, SZ_1G), 0);
	KUNIT_ASSERT_EQ(test, axas_fault(t->space, gpa, AXAS_ACCESS_READ),
			AXAS_FAULT_INSTALLED);
	KUNIT_ASSERT_EQ(test, axas_translate(t->space, gpa, 1, &tr), 0);
	page = pfn_to_page(PHYS_PFN(tr.hpa));
	kunit_info(test, "1 GiB frame at %llx in zone %s\n", (u64)tr.hpa,
		   page_zone(page)->name);
	KUNIT_EXPECT_NE_MSG(test, page_zonenum(page), ZONE_MOVABLE,
			    "a 1 GiB frame pinned in ZONE_MOVABLE");
	KUNIT_EXPECT_NE(test, page_zonenum(nth_page(page, SZ_1G / SZ_4K - 1)), ZONE_MOVABLE);
}

/*
 * The first frame of each 2 MiB block below 4 GiB, the others above (where
 * RAM allows): what a plan that looks only at the start of each block
 * lets through.
 */
static unsigned long axb_split_frames_alloc(unsigned int order,
					    unsigned long nr,
					    struct page **pages, int node,
					    gfp_t node_gfp)
{
	unsigned long i;

	for (i = 0; i < nr; i++) {
		pages[i] = alloc_page((i % 512 ? GFP_KERNEL : GFP_DMA32) | __GFP_ZERO);
		if (!pages[i])
			break;
	}
	return i;
}

/*
 * A physical-address width below the top of RAM: every frame is checked
 * before anything is written, so the map fails whole - also when the
 * first frame of a 2 MiB block fits and a later one does not.
 */
static void axas_boundary_phys_bits(struct kunit *test)
{
	struct axb *t = test->priv;
	struct axas_space_cfg cfg = t->cfg;
	struct page *probe = alloc_page(GFP_KERNEL);
	bool high = probe && page_to_phys(probe) >= SZ_4G;
	struct axas_space_stats st;
	struct axas_space *space;
	long tables;
	int ret;

	if (probe)
		__free_page(probe);
	if (!high)
		kunit_skip(test, "the allocator gives no frame above 4 GiB here");
	kunit_activate_static_stub(test, axas_frames_alloc, axb_split_frames_alloc);
	cfg.pt.caps.phys_bits = 32;
	space = axas_space_create(&cfg);
	KUNIT_ASSERT_FALSE(test, IS_ERR(space));
	tables = axt_live_tables();
	ret = axas_map_alloc(space, BASE, SZ_4M, RW | AXAS_AREA_POPULATE, SZ_4K);
	kunit_deactivate_static_stub(test, axas_frames_alloc);
	KUNIT_EXPECT_EQ(test, ret, -ERANGE);
	axas_space_get_stats(space, &st);
	KUNIT_EXPECT_EQ(test, st.frames, 0);
	KUNIT_EXPECT_EQ(test, st.leaves[0], 0);
	KUNIT_EXPECT_EQ(test, st.areas, 0);
	KUNIT_EXPECT_EQ(test, axt_live_tables(), tables);
	axas_space_destroy(space);
}

static void axas_boundary_large(struct kunit *test)
{
	struct axb *t = test->priv;
	u64 size = (u64)large_gb * SZ_1G, leaves = size / SZ_4K, big = BASE + SZ_1G;
	s64 dump_ms, map_ms, unmap_ms, shutdown_ms;
	ktime_t t0;
	size_t most;
	long lines;

	/*
	 * 4 KiB off a 2 MiB boundary: only 4 KiB leaves fit. The debugfs
	 * table streams: one page of buffer for 128 Ki leaves.
	 */
	KUNIT_ASSERT_EQ(test, axas_map_linear(t->space, BASE, DEVICE + SZ_4K, SZ_512M, RW), 0);
	t0 = ktime_get();
	lines = axt_dump_table(t->space, NULL, 0, &most);
	dump_ms = ktime_ms_delta(ktime_get(), t0);
	KUNIT_EXPECT_EQ(test, lines, SZ_512M / SZ_4K + 1);
	KUNIT_EXPECT_LT(test, most, PAGE_SIZE);

	/* Device space, no RAM: the per-page RAM check is not needed. */
	t0 = ktime_get();
	KUNIT_ASSERT_EQ(test, axas_map_linear(t->space, big, DEVICE + SZ_1G + SZ_4K, size,
					      RW | AXAS_AREA_HOST_RAM), 0);
	map_ms = ktime_ms_delta(ktime_get(), t0);
	KUNIT_ASSERT_EQ(test, axt_stats(t->space).leaves[0], leaves + SZ_512M / SZ_4K);
	t0 = ktime_get();
	KUNIT_ASSERT_EQ(test, axas_unmap(t->space, big, size / 2), 0);
	unmap_ms = ktime_ms_delta(ktime_get(), t0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).leaves[0], leaves / 2 + SZ_512M / SZ_4K);
	t0 = ktime_get();
	axas_space_shutdown(t->space);
	shutdown_ms = ktime_ms_delta(ktime_get(), t0);
	KUNIT_EXPECT_EQ(test, axt_stats(t->space).leaves[0], 0);
	kunit_info(test, "debugfs dump of %lu leaves %lld ms (largest record %zu bytes); %llu leaves: map %lld ms, unmap half %lld ms, shutdown %lld ms\n",
		   (unsigned long)(SZ_512M / SZ_4K), dump_ms, most, leaves, map_ms,
		   unmap_ms, shutdown_ms);
}

static struct kunit_case axas_boundary_cases[] = {
	KUNIT_CASE_PARAM(axas_boundary_shutdown_unlinks, axb_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_boundary_flush_remote, axb_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_boundary_copy_reserved, axb_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_boundary_sme, axb_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_boundary_cap_race_loser, axb_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_boundary_cap_overcharge, axb_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_boundary_mbec, axb_fmt_gen_params),
	KUNIT_CASE(axas_boundary_1g_zone),
	KUNIT_CASE_PARAM(axas_boundary_phys_bits, axb_fmt_gen_params),
	KUNIT_CASE_ATTR(axas_boundary_large, { .speed = KUNIT_SPEED_SLOW }),
	{}
};

static struct kunit_suite axas_boundary_suite = {
	.name = "axas_boundary",
	.init = axb_init,
	.exit = axb_exit,
	.test_cases = axas_boundary_cases,
};

/* ---- memory cgroup --------------------------------------------------------- */

/*
 * The harness loads this module from a task in a memory cgroup limited to
 * memcg_limit_mb. The suite's init runs in that task (module load), so
 * the space records that cgroup; the case runs in a kthread (root cgroup)
 * and must still hit the limit.
 */
static struct axb axb_memcg;

static int axb_memcg_suite_init(struct kunit_suite *suite)
{
	if (!memcg_limited)
		return 0;
	axb_memcg.f = &axt_fmts[0];
	axb_memcg.cfg = axb_cfg(&axb_memcg);
	axb_memcg.space = axas_space_create(&axb_memcg.cfg);
	if (IS_ERR(axb_memcg.space)) {
		int ret = PTR_ERR(axb_memcg.space);

		axb_memcg.space = NULL;
		return ret;
	}
	return 0;
}

static void axb_memcg_suite_exit(struct kunit_suite *suite)
{
	axas_space_destroy(axb_memcg.space);
	axb_memcg.space = NULL;
}

static void axas_boundary_memcg_charged(struct kunit *test)
{
	struct axas_space *space = axb_memcg.space;
	unsigned long limit = (unsigned long)memcg_limit_mb << 20;
	unsigned long i, n = 2 * limit / SZ_4K;
	int ret = 0;

	if (!IS_ENABLED(CONFIG_MEMCG) || !memcg_limited)
		kunit_skip(test, "not loaded in a limited memory cgroup (memcg_limited=)");
	KUNIT_ASSERT_NOT_NULL(test, space);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(space, BASE, n * SZ_4K, RW, SZ_4K), 0);
	for (i = 0; i < n; i++) {
		ret = axas_fault(space, BASE + i * SZ_4K, AXAS_ACCESS_WRITE);
		if (ret < 0)
			break;
		if (!(i & 255))
			cond_resched();
	}
	kunit_info(test, "%lu faults before %d at a limit of %u MiB\n", i, ret,
		   memcg_limit_mb);
	KUNIT_EXPECT_EQ_MSG(test, ret, -ENOMEM,
			    "faults from a kthread were not charged to the space's cgroup");
	KUNIT_EXPECT_LE(test, i * SZ_4K, limit);
	/* Most of the limit was usable: the charge went where it should. */
	KUNIT_EXPECT_GE(test, i * SZ_4K, limit / 2);
	/* An unmap frees memory: it works at the limit, without the OOM killer. */
	KUNIT_EXPECT_EQ(test, axas_unmap(space, BASE + SZ_1M + SZ_8K, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, axas_unmap(space, BASE, n * SZ_4K), 0);
}

/*
 * The pool's frames are the space's memory too: a prefill from a kthread
 * (root cgroup) stops at the space's cgroup limit, without the OOM killer.
 */
static void axas_boundary_memcg_pool(struct kunit *test)
{
	struct axas_space *space = axb_memcg.space;
	unsigned long limit = (unsigned long)memcg_limit_mb << 20;
	unsigned long n = 2 * limit / SZ_4K;
	long got;

	if (!IS_ENABLED(CONFIG_MEMCG) || !memcg_limited)
		kunit_skip(test, "not loaded in a limited memory cgroup (memcg_limited=)");
	KUNIT_ASSERT_NOT_NULL(test, space);
	KUNIT_ASSERT_EQ(test, axas_pool_limit(space, n, 0), 0);
	got = axas_prefill(space, n);
	kunit_info(test, "prefill added %ld frames at a limit of %u MiB\n", got,
		   memcg_limit_mb);
	KUNIT_EXPECT_LE_MSG(test, got * SZ_4K, limit,
			    "a prefill from a kthread was not charged to the space's cgroup");
	KUNIT_EXPECT_GE(test, got * SZ_4K, limit / 2);
	KUNIT_EXPECT_EQ(test, axt_stats(space).pool_frames, got);
	/* Given back: faults can use the limit again. */
	KUNIT_EXPECT_EQ(test, axas_pool_limit(space, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, axt_stats(space).pool_frames, 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(space, BASE, SZ_4M, RW, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, axas_fault(space, BASE, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
	KUNIT_EXPECT_EQ(test, axas_unmap(space, BASE, SZ_4M), 0);
}

static struct kunit_case axas_boundary_memcg_cases[] = {
	KUNIT_CASE_ATTR(axas_boundary_memcg_charged, { .speed = KUNIT_SPEED_SLOW }),
	KUNIT_CASE_ATTR(axas_boundary_memcg_pool, { .speed = KUNIT_SPEED_SLOW }),
	{}
};

static struct kunit_suite axas_boundary_memcg_suite = {
	.name = "axas_boundary_memcg",
	.suite_init = axb_memcg_suite_init,
	.suite_exit = axb_memcg_suite_exit,
	.test_cases = axas_boundary_memcg_cases,
};

kunit_test_suites(&axas_boundary_suite, &axas_boundary_memcg_suite);
