// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of pinned translations, for EPT and NPT at 4 and 5 levels:
 * a holder thread uses the pin (lock, check and write through the kernel
 * address, unlock) while the test unmaps, protects and shuts down; the
 * callback must run exactly once per invalidation, after the table changed
 * and before the flush and the free; refresh must find the new frame. Bad
 * input, release, memory the kernel does not map, and destroy with a pin
 * left registered.
 */
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/vmalloc.h>

#include <axas/axas.h>

#include "../features/features.h"
#include "axas_test.h"

KUNIT_ARRAY_PARAM(axp_fmt, axt_fmts, axt_fmt_desc);

#define RW	(AXAS_PROT_READ | AXAS_PROT_WRITE)
#define BASE	((u64)SZ_1G)
#define SIZE	(4ULL * SZ_1G)
#define DEVICE	(1ULL << 40)	/* physical addresses no RAM has here */
#define ACC_RW	(AXAS_ACCESS_READ | AXAS_ACCESS_WRITE)

#define AXP_PINS	8
#define AXP_HOLDERS	4
/* Upper bound of a holder's loop, should the test never stop it. */
#define AXP_HOLDER_LOOPS	(1UL << 24)
#define AXP_ROUNDS	24

struct axp;
struct axp_holder;

/* A pin and what its callback found. */
struct axp_pin {
	struct axas_pin pin;
	struct axp *t;
	struct axas_space *space;
	u64 gpa;
	atomic_t calls;
	/* frame that must still be allocated when the callback runs */
	struct page *frame;
	unsigned int freed_early;
	/* axas_pin_lock() said valid inside the callback */
	unsigned int valid_in_callback;
	/* axas_translate() of the pinned GPA inside the callback */
	int cb_ret;
	u32 cb_prot;
	/* flushes and the holder's valid sections when the callback ran */
	int flushes_at_cb;
	int holder_valid_at_cb;
	struct axp_holder *holder;
};

/* A thread that uses a pin the way a vCPU loop would. */
struct axp_holder {
	struct axp_pin *p;
	bool write;
	u64 expect;		/* the first u64 at the pinned GPA while valid */
	atomic_t valid, invalid;
	unsigned int bad;	/* sections that found the wrong content */
	bool stop;
	struct completion done;
	struct task_struct *task;
};

struct axp {
	struct kunit *test;
	const struct axt_fmt *f;
	struct axas_space *space;
	struct axas_space_cfg cfg;
	long tables_base;
	atomic_t flushes;
	u64 flush_gpa, flush_size;
	atomic_t pin_calls;
	int pin_calls_at_flush;
	struct axp_pin *pins[AXP_PINS];
	unsigned int nr_pins;
	struct axp_holder *holders[AXP_HOLDERS];
	unsigned int nr_holders;
	/* the stub of axas_pins_leaked() */
	unsigned int leaked_calls, leaked_n;
};

static void axp_flush(void *cookie, u64 gpa, u64 size)
{
	struct axp *t = cookie;

	t->flush_gpa = gpa;
	t->flush_size = size;
	t->pin_calls_at_flush = atomic_read(&t->pin_calls);
	atomic_inc(&t->flushes);
}

static void axp_invalidated(void *cookie, struct axas_pin *pin)
{
	struct axp_pin *p = cookie;
	struct axas_translation tr;

	atomic_inc(&p->calls);
	atomic_inc(&p->t->pin_calls);
	if (p->frame && !page_ref_count(p->frame))
		p->freed_early++;
	if (axas_pin_lock(pin))
		p->valid_in_callback++;
	axas_pin_unlock(pin);
	/* A peek for the test (lockless); a VMM's callback stays out of the space. */
	p->cb_ret = axas_translate(p->space, p->gpa, 1, &tr);
	p->cb_prot = p->cb_ret ? 0 : tr.prot;
	p->flushes_at_cb = atomic_read(&p->t->flushes);
	p->holder_valid_at_cb = p->holder ? atomic_read(&p->holder->valid) : 0;
}

static int axp_init(struct kunit *test)
{
	struct axp *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	if (!t)
		return -ENOMEM;
	t->test = test;
	t->f = test->param_value ?: &axt_fmts[0];
	t->tables_base = axt_live_tables();
	t->cfg = (struct axas_space_cfg){
		.name = "kunit-pin",
		.base = BASE,
		.size = SIZE,
		.flush = axp_flush,
		.cookie = t,
	};
	t->cfg.pt = axt_pt_cfg_all(t->f);
	t->space = axas_space_create(&t->cfg);
	if (IS_ERR(t->space))
		return PTR_ERR(t->space);
	test->priv = t;
	return 0;
}

static void axp_holder_stop(struct axp_holder *h)
{
	if (!h->task)
		return;
	WRITE_ONCE(h->stop, true);
	wait_for_completion(&h->done);
	h->task = NULL;
}

static void axp_exit(struct kunit *test)
{
	struct axp *t = test->priv;
	unsigned int i;

	if (!t)
		return;
	/* Also when an assertion ended the case early. */
	for (i = 0; i < t->nr_holders; i++)
		axp_holder_stop(t->holders[i]);
	for (i = 0; i < t->nr_pins; i++)
		axas_pin_release(&t->pins[i]->pin);
	axt_space_destroy(test, t->space, t->tables_base);
}

static struct axp_pin *axp_pin_new(struct axp *t)
{
	struct kunit *test = t->test;
	struct axp_pin *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_LT(test, t->nr_pins, AXP_PINS);
	p->t = t;
	p->space = t->space;
	axas_pin_init(&p->pin, t->space, axp_invalidated, p);
	t->pins[t->nr_pins++] = p;
	return p;
}

/* Activate @p at @gpa and remember its frame (if RAM) for the callback. */
static int axp_activate(struct axp_pin *p, u64 gpa, u32 len,
			unsigned int access, unsigned int flags)
{
	int ret = axas_pin_activate(&p->pin, gpa, len, access, flags);

	p->gpa = gpa;
	if (!ret)
		p->frame = pfn_to_online_page(PHYS_PFN(axas_pin_hpa(&p->pin)));
	return ret;
}

static int axp_refresh(struct axp_pin *p, unsigned int flags)
{
	int ret = axas_pin_refresh(&p->pin, flags);

	if (!ret)
		p->frame = pfn_to_online_page(PHYS_PFN(axas_pin_hpa(&p->pin)));
	return ret;
}

/* The pin is valid and says what axas_translate() says. */
static void axp_expect_resolved(struct axp_pin *p)
{
	struct kunit *test = p->t->test;
	struct axas_translation tr;
	struct page *page;
	bool valid;

	KUNIT_ASSERT_EQ(test, axas_translate(p->t->space, p->gpa, 1, &tr), 0);
	valid = axas_pin_lock(&p->pin);
	axas_pin_unlock(&p->pin);
	KUNIT_EXPECT_TRUE_MSG(test, valid, "pin of %llx", p->gpa);
	KUNIT_EXPECT_EQ(test, axas_pin_hpa(&p->pin), tr.hpa);
	page = pfn_to_online_page(PHYS_PFN(tr.hpa));
	if (page && !PageReserved(page))
		KUNIT_EXPECT_PTR_EQ(test, axas_pin_kva(&p->pin),
				    page_address(page) + offset_in_page(p->gpa));
}

static bool axp_valid(struct axp_pin *p)
{
	bool valid = axas_pin_lock(&p->pin);

	axas_pin_unlock(&p->pin);
	return valid;
}

static int axp_holder_fn(void *arg)
{
	struct axp_holder *h = arg;
	unsigned long i;

	for (i = 0; i < AXP_HOLDER_LOOPS && !READ_ONCE(h->stop); i++) {
		if (axas_pin_lock(&h->p->pin)) {
			u64 *va = axas_pin_kva(&h->p->pin);
			unsigned int k;

			if (!va || READ_ONCE(va[0]) != READ_ONCE(h->expect))
				h->bad++;
			/* Stay a little: invalidation has to wait for this. */
			for (k = 0; k < 16; k++)
				cpu_relax();
			if (va && READ_ONCE(va[0]) != READ_ONCE(h->expect))
				h->bad++;
			if (va && h->write)
				WRITE_ONCE(va[1], i);
			atomic_inc(&h->valid);
		} else {
			atomic_inc(&h->invalid);
		}
		axas_pin_unlock(&h->p->pin);
		cond_resched();
	}
	complete(&h->done);
	return 0;
}

/* Start a holder of @p, on another CPU when there is one. */
static struct axp_holder *axp_holder_start(struct axp *t, struct axp_pin *p,
					   bool write, u64 expect)
{
	struct kunit *test = t->test;
	struct axp_holder *h = kunit_kzalloc(test, sizeof(*h), GFP_KERNEL);
	int cpu, self = raw_smp_processor_id(), other = -1;

	KUNIT_ASSERT_NOT_NULL(test, h);
	KUNIT_ASSERT_LT(test, t->nr_holders, AXP_HOLDERS);
	h->p = p;
	h->write = write;
	h->expect = expect;
	p->holder = h;
	init_completion(&h->done);
	for_each_online_cpu(cpu)
		if (cpu != self)
			other = cpu;
	h->task = kthread_create(axp_holder_fn, h, "axas-kunit-pin");
	KUNIT_ASSERT_FALSE(test, IS_ERR(h->task));
	if (other >= 0)
		kthread_bind(h->task, other);
	t->holders[t->nr_holders++] = h;
	wake_up_process(h->task);
	return h;
}

/* Wait (up to 5 s) until @count reaches @target. */
static bool axp_wait(atomic_t *count, int target)
{
	unsigned long deadline = jiffies + 5 * HZ;

	while (atomic_read(count) < target) {
		if (time_after(jiffies, deadline))
			return false;
		usleep_range(50, 100);
	}
	return true;
}

/* Wait (up to 5 s) until *@flag is set. */
static bool axp_wait_flag(bool *flag)
{
	unsigned long deadline = jiffies + 5 * HZ;

	while (!READ_ONCE(*flag)) {
		if (time_after(jiffies, deadline))
			return false;
		usleep_range(50, 100);
	}
	return true;
}

/* The holder ran @n more sections of the kind @count counts. */
static void axp_wait_holder(struct axp *t, atomic_t *count, int n)
{
	KUNIT_ASSERT_TRUE_MSG(t->test, axp_wait(count, atomic_read(count) + n),
			      "the holder made no progress");
}

static void axp_put(struct axp *t, u64 gpa, u64 val)
{
	KUNIT_ASSERT_EQ(t->test, axas_write(t->space, gpa, &val, sizeof(val), 0), 0);
}

static u64 axp_get(struct axp *t, u64 gpa)
{
	u64 val = 0;

	KUNIT_EXPECT_EQ(t->test, axas_read(t->space, gpa, &val, sizeof(val), 0), 0);
	return val;
}

/*
 * After @p's invalidation: the callback ran once (@calls before), after the
 * table changed and before the flush, the frame alive and the pin already
 * invalid; the holder ran no valid section since, and goes on seeing it
 * invalid.
 */
static void axp_expect_invalidated(struct axp_pin *p, int calls, int flushes)
{
	struct axp *t = p->t;
	struct kunit *test = t->test;
	struct axp_holder *h = p->holder;

	KUNIT_EXPECT_EQ(test, atomic_read(&p->calls), calls + 1);
	KUNIT_EXPECT_EQ_MSG(test, p->flushes_at_cb, flushes,
			    "the flush ran before the pin's callback");
	KUNIT_EXPECT_EQ(test, atomic_read(&t->flushes), flushes + 1);
	KUNIT_EXPECT_EQ(test, t->pin_calls_at_flush, atomic_read(&t->pin_calls));
	KUNIT_EXPECT_EQ_MSG(test, p->freed_early, 0, "frame freed before the callback");
	KUNIT_EXPECT_EQ_MSG(test, p->valid_in_callback, 0,
			    "the pin was still valid in its callback");
	KUNIT_EXPECT_FALSE(test, axp_valid(p));
	KUNIT_EXPECT_TRUE(test, t->flush_gpa <= p->gpa &&
			  p->gpa < t->flush_gpa + t->flush_size);
	if (!h)
		return;
	axp_wait_holder(t, &h->invalid, 20);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&h->valid), p->holder_valid_at_cb,
			    "the holder found the pin valid after its callback");
}

/* ---- the cases ------------------------------------------------------------ */

/* Bad input is refused with its errno and changes nothing. */
static void axas_pin_bad_input(struct kunit *test)
{
	struct axp *t = test->priv;
	struct axp_pin *p = axp_pin_new(t), *q = axp_pin_new(t);
	u64 eager = BASE, lazy = BASE + SZ_1M, ro = BASE + SZ_2M;
	u64 ro_lazy = BASE + SZ_4M;
	unsigned long frames;
	struct axas_space_stats st;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, eager, SZ_64K,
					     RW | AXAS_AREA_POPULATE, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, lazy, SZ_64K, RW, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, ro, SZ_64K,
					     AXAS_PROT_READ | AXAS_AREA_POPULATE,
					     SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, ro_lazy, SZ_64K,
					     AXAS_PROT_READ, SZ_4K), 0);
	axas_space_get_stats(t->space, &st);
	frames = st.frames;

	axas_pin_init(&q->pin, t->space, NULL, q);
	KUNIT_EXPECT_EQ(test, axp_activate(q, eager, 8, ACC_RW, 0), -EINVAL);
	axas_pin_init(&q->pin, t->space, axp_invalidated, q);
	KUNIT_EXPECT_EQ(test, axp_activate(p, eager, 0, ACC_RW, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, axp_activate(p, eager + SZ_4K - 4, 8, ACC_RW, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, axp_activate(p, eager, SZ_4K + 1, ACC_RW, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, axp_activate(p, eager, 8, 0, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, axp_activate(p, eager, 8, AXAS_ACCESS_EXEC, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, axp_activate(p, eager, 8, BIT(7), 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, axp_activate(p, eager, 8, ACC_RW, BIT(3)), -EINVAL);
	KUNIT_EXPECT_EQ(test, axp_activate(p, BASE - SZ_4K, 8, ACC_RW, 0), -ERANGE);
	KUNIT_EXPECT_EQ(test, axp_activate(p, BASE + SIZE, 8, ACC_RW, 0), -ERANGE);
	/* No area: -ENOENT, with or without a fault. */
	KUNIT_EXPECT_EQ(test, axp_activate(p, BASE + SZ_16M, 8, ACC_RW, 0), -ENOENT);
	KUNIT_EXPECT_EQ(test, axp_activate(p, BASE + SZ_16M, 8, ACC_RW,
					   AXAS_PIN_FAULT), -ENOENT);
	/* A lazy page not faulted in: -ENODATA without the flag, nothing installed. */
	KUNIT_EXPECT_EQ(test, axp_activate(p, lazy + SZ_8K, 8, ACC_RW, 0), -ENODATA);
	/* Rights the mapping lacks, present or faulted. */
	KUNIT_EXPECT_EQ(test, axp_activate(p, ro, 8, ACC_RW, 0), -EACCES);
	KUNIT_EXPECT_EQ(test, axp_activate(p, ro, 8, AXAS_ACCESS_WRITE,
					   AXAS_PIN_FAULT), -EACCES);
	KUNIT_EXPECT_EQ(test, axp_activate(p, ro_lazy, 8, AXAS_ACCESS_WRITE,
					   AXAS_PIN_FAULT), -EACCES);
	/* Not active: refresh refuses, lock says invalid, release does nothing. */
	KUNIT_EXPECT_EQ(test, axas_pin_refresh(&p->pin, 0), -EINVAL);
	KUNIT_EXPECT_FALSE(test, axp_valid(p));
	axas_pin_release(&p->pin);
	axas_space_get_stats(t->space, &st);
	KUNIT_EXPECT_EQ(test, st.frames, frames);
	KUNIT_EXPECT_TRUE(test, hlist_bl_empty(&t->space->pins));
	/* Nothing was registered: an unmap of all of it calls nobody. */
	KUNIT_ASSERT_EQ(test, axas_unmap(t->space, ro, SZ_64K), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->calls), 0);

	/* The same pin then works; with the flag a lazy page is faulted in. */
	KUNIT_ASSERT_EQ(test, axp_activate(p, lazy + SZ_8K + 8, 16, ACC_RW,
					   AXAS_PIN_FAULT), 0);
	axp_expect_resolved(p);
	axas_space_get_stats(t->space, &st);
	KUNIT_EXPECT_EQ(test, st.frames, frames - 16 + 1);
	KUNIT_EXPECT_EQ(test, axp_activate(p, eager, 8, ACC_RW, 0), -EBUSY);
	KUNIT_EXPECT_EQ(test, axas_pin_hpa(&p->pin) & ~PAGE_MASK, 8);
	KUNIT_EXPECT_EQ(test, axas_pin_refresh(&p->pin, BIT(4)), -EINVAL);
	/* A read-only pin of a read-only page, at its last byte. */
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, ro, SZ_64K,
					     AXAS_PROT_READ | AXAS_AREA_POPULATE,
					     SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axp_activate(q, ro + SZ_8K - 1, 1, AXAS_ACCESS_READ, 0), 0);
	axp_expect_resolved(q);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->calls) + atomic_read(&q->calls), 0);
}

/*
 * Unmap while a holder reads and writes through the pin, round after
 * round: invalidated once each time, before the flush and the free; a
 * refresh after the re-map gives the new frame (eager rounds: a pattern
 * written before; lazy rounds: faulted in by the refresh, zeroed).
 */
static void axas_pin_unmap_race(struct kunit *test)
{
	struct axp *t = test->priv;
	struct axp_pin *p = axp_pin_new(t);
	u64 gpa = BASE + 5 * SZ_4K + 0x100;
	struct axp_holder *h = NULL;
	unsigned int round;

	for (round = 0; round < AXP_ROUNDS; round++) {
		bool lazy = round & 1;
		int calls = atomic_read(&p->calls), flushes;
		u64 val = lazy ? 0 : 0xa5a5000000000000ULL + round;
		u64 from = BASE + (round % 3) * SZ_4K;

		KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_64K,
						     RW | (lazy ? 0 : AXAS_AREA_POPULATE),
						     SZ_4K), 0);
		if (h)
			WRITE_ONCE(h->expect, val);
		if (lazy) {
			/* Not present: refresh fails and the pin stays invalid. */
			KUNIT_EXPECT_EQ(test, axp_refresh(p, 0), -ENODATA);
			KUNIT_EXPECT_FALSE(test, axp_valid(p));
			KUNIT_ASSERT_EQ(test, axp_refresh(p, AXAS_PIN_FAULT), 0);
		} else {
			axp_put(t, gpa, val);
			axp_put(t, gpa + 8, U64_MAX);
			KUNIT_ASSERT_EQ(test, round ? axp_refresh(p, 0) :
					axp_activate(p, gpa, 16, ACC_RW, 0), 0);
		}
		axp_expect_resolved(p);
		if (!h)
			h = axp_holder_start(t, p, true, val);
		axp_wait_holder(t, &h->valid, 50);
		/* The holder's writes reach the frame the space maps. */
		KUNIT_EXPECT_NE(test, axp_get(t, gpa + 8), U64_MAX);
		/* A page next to it: not the pin's business. */
		KUNIT_ASSERT_EQ(test, axas_unmap(t->space, gpa - SZ_4K - 0x100, SZ_4K), 0);
		KUNIT_EXPECT_EQ(test, atomic_read(&p->calls), calls);
		KUNIT_EXPECT_TRUE(test, axp_valid(p));

		flushes = atomic_read(&t->flushes);
		KUNIT_ASSERT_EQ(test, axas_unmap(t->space, from, SZ_64K - (from - BASE)), 0);
		axp_expect_invalidated(p, calls, flushes);
		/* The translation is gone; its area goes after the flush. */
		KUNIT_EXPECT_EQ(test, p->cb_ret, -ENODATA);
		/* Refresh with nothing mapped: fails, stays invalid, no callback. */
		KUNIT_EXPECT_EQ(test, axp_refresh(p, AXAS_PIN_FAULT), -ENOENT);
		KUNIT_EXPECT_EQ(test, atomic_read(&p->calls), calls + 1);
		KUNIT_ASSERT_EQ(test, axas_unmap(t->space, BASE, SZ_64K), 0);
		KUNIT_EXPECT_EQ(test, atomic_read(&p->calls), calls + 1);
	}
	axp_holder_stop(h);
	KUNIT_EXPECT_EQ(test, h->bad, 0);
	KUNIT_EXPECT_GT(test, atomic_read(&h->invalid), 0);
	kunit_info(test, "holder: %d valid, %d invalid sections\n",
		   atomic_read(&h->valid), atomic_read(&h->invalid));
}

/*
 * Protect while a read and a write holder use two pins of one page: a
 * write-protect invalidates the write pin only; adding rights invalidates
 * nothing; taking read away (EPT execute-only) invalidates both; a new
 * memory type leaves pins of the direct map alone.
 */
static void axas_pin_protect_race(struct kunit *test)
{
	struct axp *t = test->priv;
	struct axp_pin *pr = axp_pin_new(t), *pw = axp_pin_new(t);
	u64 page = BASE + 2 * SZ_4K;
	struct axp_holder *hr, *hw;
	bool ept = t->f->format == AXAS_PT_EPT;
	phys_addr_t hpa;
	unsigned int round;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_64K,
					     RW | AXAS_AREA_POPULATE, SZ_4K), 0);
	axp_put(t, page + 0x200, 0x1111);
	axp_put(t, page + 0x300, 0x2222);
	KUNIT_ASSERT_EQ(test, axp_activate(pr, page + 0x200, 8, AXAS_ACCESS_READ, 0), 0);
	KUNIT_ASSERT_EQ(test, axp_activate(pw, page + 0x300, 16, ACC_RW, 0), 0);
	hpa = axas_pin_hpa(&pw->pin);
	hr = axp_holder_start(t, pr, false, 0x1111);
	hw = axp_holder_start(t, pw, true, 0x2222);

	for (round = 0; round < AXP_ROUNDS; round++) {
		int cr = atomic_read(&pr->calls), cw = atomic_read(&pw->calls);
		int flushes;

		axp_wait_holder(t, &hw->valid, 20);
		flushes = atomic_read(&t->flushes);
		KUNIT_ASSERT_EQ(test, axas_protect(t->space, BASE, SZ_64K,
						   AXAS_PROT_READ), 0);
		axp_expect_invalidated(pw, cw, flushes);
		KUNIT_EXPECT_EQ(test, pw->cb_ret, 0);
		KUNIT_EXPECT_EQ_MSG(test, pw->cb_prot, AXAS_PROT_READ,
				    "the callback ran before the table changed");
		/* The read-only pin survives, and its holder goes on. */
		KUNIT_EXPECT_EQ(test, atomic_read(&pr->calls), cr);
		KUNIT_EXPECT_TRUE(test, axp_valid(pr));
		axp_wait_holder(t, &hr->valid, 20);
		/* Read-only mapping: a write pin cannot come back. */
		KUNIT_EXPECT_EQ(test, axp_refresh(pw, 0), -EACCES);
		KUNIT_EXPECT_FALSE(test, axp_valid(pw));
		/* Adding rights takes nothing away. */
		KUNIT_ASSERT_EQ(test, axas_protect(t->space, BASE, SZ_64K, RW), 0);
		KUNIT_EXPECT_EQ(test, atomic_read(&pr->calls) + atomic_read(&pw->calls),
				cr + cw + 1);
		KUNIT_ASSERT_EQ(test, axp_refresh(pw, 0), 0);
		KUNIT_EXPECT_EQ(test, axas_pin_hpa(&pw->pin), hpa);
		axp_expect_resolved(pw);

		/* A new memory type: the direct map does not care. */
		flushes = atomic_read(&t->flushes);
		KUNIT_ASSERT_EQ(test, axas_protect(t->space, page, SZ_4K,
						   RW | AXAS_PROT_MT(AXAS_MT_WC)), 0);
		KUNIT_EXPECT_EQ(test, atomic_read(&t->flushes), flushes + 1);
		KUNIT_EXPECT_EQ(test, atomic_read(&pr->calls) + atomic_read(&pw->calls),
				cr + cw + 1);

		if (!ept || round % 4 != 3)
			continue;
		/* No read right (EPT execute-only): both pins go. */
		flushes = atomic_read(&t->flushes);
		KUNIT_ASSERT_EQ(test, axas_protect(t->space, page, SZ_4K,
						   AXAS_PROT_EXEC), 0);
		axp_expect_invalidated(pr, cr, flushes);
		axp_expect_invalidated(pw, cw + 1, flushes);
		KUNIT_EXPECT_EQ(test, pr->cb_prot, AXAS_PROT_EXEC);
		KUNIT_EXPECT_EQ(test, axp_refresh(pr, 0), -EACCES);
		KUNIT_ASSERT_EQ(test, axas_protect(t->space, page, SZ_4K, RW), 0);
		KUNIT_ASSERT_EQ(test, axp_refresh(pr, 0), 0);
		KUNIT_ASSERT_EQ(test, axp_refresh(pw, 0), 0);
		axp_expect_resolved(pr);
	}
	if (!ept) {
		/* NPT cannot take read away from a present page. */
		KUNIT_EXPECT_EQ(test, axas_protect(t->space, page, SZ_4K,
						   AXAS_PROT_EXEC), -EOPNOTSUPP);
		KUNIT_EXPECT_TRUE(test, axp_valid(pr));
	}
	axp_holder_stop(hr);
	axp_holder_stop(hw);
	KUNIT_EXPECT_EQ(test, hr->bad, 0);
	KUNIT_EXPECT_EQ(test, hw->bad, 0);
	/* The write holder's last writes are in the frame. */
	KUNIT_EXPECT_NE(test, axp_get(t, page + 0x308), 0);
	/* Only taking read away stopped the read holder. */
	if (ept)
		KUNIT_EXPECT_GT(test, atomic_read(&hr->invalid), 0);
	else
		KUNIT_EXPECT_EQ(test, atomic_read(&hr->invalid), 0);
}

/*
 * Unmapping part of a 2 MiB leaf splits it: a pin elsewhere in the leaf
 * keeps its frame and stays valid; its own 4 KiB goes.
 */
static void axas_pin_split(struct kunit *test)
{
	struct axp *t = test->priv;
	struct axp_pin *p = axp_pin_new(t);
	u64 gpa = BASE + SZ_1M + 0x40;
	phys_addr_t hpa;
	int flushes;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_2M,
					     RW | AXAS_AREA_POPULATE, SZ_2M), 0);
	axp_put(t, gpa, 0x5a5a);
	KUNIT_ASSERT_EQ(test, axp_activate(p, gpa, 8, ACC_RW, 0), 0);
	hpa = axas_pin_hpa(&p->pin);
	KUNIT_ASSERT_EQ(test, axas_unmap(t->space, BASE + SZ_4K, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_unmap(t->space, gpa + SZ_4K - 0x40, SZ_64K), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->calls), 0);
	KUNIT_EXPECT_EQ(test, axas_pin_hpa(&p->pin), hpa);
	axp_expect_resolved(p);
	KUNIT_EXPECT_EQ(test, *(u64 *)axas_pin_kva(&p->pin), 0x5a5a);
	flushes = atomic_read(&t->flushes);
	KUNIT_ASSERT_EQ(test, axas_unmap(t->space, gpa - 0x40, SZ_4K), 0);
	axp_expect_invalidated(p, 0, flushes);
	KUNIT_EXPECT_EQ(test, t->flush_size, SZ_4K);
}

/*
 * Shutdown while holders use pins of an eager page, a lazy page and a
 * device page (no kernel address): each callback once, before the one
 * flush and the free; then lock says invalid and refresh -ESHUTDOWN. A
 * released pin is not called.
 */
static void axas_pin_shutdown_race(struct kunit *test)
{
	struct axp *t = test->priv;
	struct axp_pin *pe = axp_pin_new(t), *pl = axp_pin_new(t);
	struct axp_pin *pd = axp_pin_new(t), *gone = axp_pin_new(t);
	struct axp_pin *late = axp_pin_new(t);
	u64 dev = 2ULL * SZ_1G;
	struct axp_holder *he, *hl;
	int flushes;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_64K,
					     RW | AXAS_AREA_POPULATE, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE + SZ_1M, SZ_64K, RW, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_map_linear(t->space, dev, DEVICE, SZ_2M,
					      RW | AXAS_PROT_MT(AXAS_MT_UC)), 0);
	axp_put(t, BASE + SZ_8K, 0x77);
	KUNIT_ASSERT_EQ(test, axp_activate(pe, BASE + SZ_8K, 16, ACC_RW, 0), 0);
	KUNIT_ASSERT_EQ(test, axp_activate(pl, BASE + SZ_1M + SZ_4K, 8,
					   AXAS_ACCESS_READ, AXAS_PIN_FAULT), 0);
	KUNIT_ASSERT_EQ(test, axp_activate(pd, dev + SZ_4K + 0x10, 4, ACC_RW, 0), 0);
	KUNIT_EXPECT_EQ(test, axas_pin_hpa(&pd->pin), DEVICE + SZ_4K + 0x10);
	KUNIT_EXPECT_NULL(test, axas_pin_kva(&pd->pin));
	KUNIT_EXPECT_TRUE(test, axp_valid(pd));
	KUNIT_ASSERT_EQ(test, axp_activate(gone, BASE, 8, AXAS_ACCESS_READ, 0), 0);
	axas_pin_release(&gone->pin);
	KUNIT_EXPECT_FALSE(test, axp_valid(gone));
	he = axp_holder_start(t, pe, true, 0x77);
	hl = axp_holder_start(t, pl, false, 0);
	axp_wait_holder(t, &he->valid, 50);
	axp_wait_holder(t, &hl->valid, 50);

	flushes = atomic_read(&t->flushes);
	axas_space_shutdown(t->space);
	axp_expect_invalidated(pe, 0, flushes);
	axp_expect_invalidated(pl, 0, flushes);
	axp_expect_invalidated(pd, 0, flushes);
	KUNIT_EXPECT_EQ(test, pe->cb_ret, -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, atomic_read(&gone->calls), 0);
	KUNIT_EXPECT_EQ(test, axp_refresh(pe, 0), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axp_refresh(pd, AXAS_PIN_FAULT), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axp_activate(late, BASE, 8, AXAS_ACCESS_READ, 0), -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, axp_activate(gone, BASE, 8, AXAS_ACCESS_READ, 0), -ESHUTDOWN);
	/* A second shutdown calls nobody again. */
	axas_space_shutdown(t->space);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->pin_calls), 3);
	axp_holder_stop(he);
	axp_holder_stop(hl);
	KUNIT_EXPECT_EQ(test, he->bad, 0);
	KUNIT_EXPECT_EQ(test, hl->bad, 0);
	/* Release after shutdown, twice. */
	axas_pin_release(&pe->pin);
	axas_pin_release(&pe->pin);
	KUNIT_EXPECT_EQ(test, axas_pin_refresh(&pe->pin, 0), -EINVAL);
}

/* A section held open on another CPU while an unmap runs here. */
struct axp_blocker {
	struct axp_pin *p;
	u64 expect;
	bool valid, in_section, saw_unlinked, timed_out;
	int calls_in_section;	/* callbacks seen while the section was open */
	unsigned int freed_in_section, bad;
	struct completion done;
};

static int axp_blocker_fn(void *arg)
{
	struct axp_blocker *b = arg;
	struct axp_pin *p = b->p;
	/*
	 * ktime, not jiffies: the unmapping CPU waits for this section with
	 * interrupts off, and it may be the one that advances jiffies.
	 */
	ktime_t deadline = ktime_add_ms(ktime_get(), 500);
	u64 *va;

	b->valid = axas_pin_lock(&p->pin);
	va = axas_pin_kva(&p->pin);
	WRITE_ONCE(b->in_section, true);
	/* Until the unmap took the translation out of the table... */
	while (b->valid && !b->saw_unlinked && ktime_before(ktime_get(), deadline)) {
		struct axas_translation tr;

		int ret = axas_translate(p->space, p->gpa, 1, &tr);

		/* The area goes after the wait: not installed, for now. */
		b->saw_unlinked = ret == -ENODATA || ret == -ENOENT;
		cpu_relax();
	}
	/* ...and for 20 ms after: no callback, no free, the same content. */
	deadline = ktime_add_ms(ktime_get(), 20);
	while (b->saw_unlinked && ktime_before(ktime_get(), deadline)) {
		b->calls_in_section += atomic_read(&p->calls);
		if (!page_ref_count(p->frame))
			b->freed_in_section++;
		if (READ_ONCE(*va) != b->expect)
			b->bad++;
		cpu_relax();
	}
	b->timed_out = !b->saw_unlinked;
	axas_pin_unlock(&p->pin);
	complete(&b->done);
	return 0;
}

/*
 * Invalidation waits for a section in progress: with the section held
 * open on another CPU, an unmap changes the table and then waits; the
 * callback runs, and the frame is freed, only once the section ended.
 */
static void axas_pin_section_blocks(struct kunit *test)
{
	struct axp *t = test->priv;
	struct axp_pin *p = axp_pin_new(t);
	struct axp_blocker b = { .p = p, .expect = 0xb10c };
	int cpu, self = raw_smp_processor_id(), other = -1;
	struct task_struct *task;

	for_each_online_cpu(cpu)
		if (cpu != self)
			other = cpu;
	if (other < 0)
		kunit_skip(test, "needs a second CPU (%u online)", num_online_cpus());
	KUNIT_ASSERT_EQ(test, set_cpus_allowed_ptr(current, cpumask_of(self)), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_64K,
					     RW | AXAS_AREA_POPULATE, SZ_4K), 0);
	axp_put(t, BASE + SZ_4K, b.expect);
	KUNIT_ASSERT_EQ(test, axp_activate(p, BASE + SZ_4K, 8, ACC_RW, 0), 0);
	init_completion(&b.done);
	task = kthread_create(axp_blocker_fn, &b, "axas-kunit-pin-block");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	kthread_bind(task, other);
	wake_up_process(task);
	/* No assertion until it is done: it uses @b, on this stack. */
	if (axp_wait_flag(&b.in_section))
		KUNIT_EXPECT_EQ(test, axas_unmap(t->space, BASE, SZ_64K), 0);
	else
		KUNIT_FAIL(test, "the section never opened");
	wait_for_completion(&b.done);
	set_cpus_allowed_ptr(current, cpu_possible_mask);
	KUNIT_EXPECT_TRUE(test, b.valid);
	KUNIT_EXPECT_FALSE_MSG(test, b.timed_out, "the unmap never reached the table");
	KUNIT_EXPECT_EQ_MSG(test, b.calls_in_section, 0,
			    "the callback ran during a section");
	KUNIT_EXPECT_EQ_MSG(test, b.freed_in_section, 0,
			    "the frame was freed during a section");
	KUNIT_EXPECT_EQ(test, b.bad, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->calls), 1);
	KUNIT_EXPECT_FALSE(test, axp_valid(p));
}

/* A released pin is not called; it can be activated again, elsewhere. */
static void axas_pin_release_again(struct kunit *test)
{
	struct axp *t = test->priv;
	struct axp_pin *p = axp_pin_new(t);

	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_64K,
					     RW | AXAS_AREA_POPULATE, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axp_activate(p, BASE, 8, ACC_RW, 0), 0);
	axas_pin_release(&p->pin);
	axas_pin_release(&p->pin);
	KUNIT_EXPECT_FALSE(test, axp_valid(p));
	KUNIT_ASSERT_EQ(test, axas_unmap(t->space, BASE, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->calls), 0);
	KUNIT_ASSERT_EQ(test, axp_activate(p, BASE + SZ_8K, 8, AXAS_ACCESS_READ, 0), 0);
	axp_expect_resolved(p);
	KUNIT_ASSERT_EQ(test, axas_unmap(t->space, BASE, SZ_64K), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->calls), 1);
	/* Released while invalid. */
	axas_pin_release(&p->pin);
	KUNIT_EXPECT_TRUE(test, hlist_bl_empty(&t->space->pins));
}

static void axp_pins_leaked(struct axas_space *space, unsigned int n)
{
	struct axp *t = kunit_get_current_test()->priv;

	t->leaked_calls++;
	t->leaked_n = n;
}

/*
 * Destroy with a pin still registered: it is invalidated (by the shutdown)
 * and unregistered, the VMM is warned (here: the stub counts); the pin is
 * then inactive and releasing it touches nothing of the freed space.
 */
static void axas_pin_destroy_registered(struct kunit *test)
{
	struct axp *t = test->priv;
	struct axp_pin *p = axp_pin_new(t), *q = axp_pin_new(t);
	struct axas_space *space = t->space;

	kunit_activate_static_stub(test, axas_pins_leaked, axp_pins_leaked);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(space, BASE, SZ_64K,
					     RW | AXAS_AREA_POPULATE, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axp_activate(p, BASE + SZ_4K, 8, ACC_RW, 0), 0);
	KUNIT_ASSERT_EQ(test, axp_activate(q, BASE + SZ_8K, 8, ACC_RW, 0), 0);
	axas_pin_release(&q->pin);
	t->space = NULL;
	axas_space_destroy(space);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->calls), 1);
	KUNIT_EXPECT_EQ(test, p->freed_early, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&q->calls), 0);
	KUNIT_EXPECT_EQ(test, t->leaked_calls, 1);
	KUNIT_EXPECT_EQ(test, t->leaked_n, 1);
	KUNIT_EXPECT_FALSE(test, axp_valid(p));
	axas_pin_release(&p->pin);
	KUNIT_EXPECT_EQ(test, axas_pin_refresh(&p->pin, 0), -EINVAL);
}

/*
 * Memory the kernel does not map (a memmap= range): the pin maps it with
 * memremap() in the guest's memory type; a new memory type invalidates it,
 * and an uncached one leaves the HPA only.
 */
static void axas_pin_remapped(struct kunit *test)
{
	struct axp *t = test->priv;
	struct axp_pin *p = axp_pin_new(t);
	phys_addr_t resv = axt_resv_base + SZ_1M;
	u64 gpa = BASE + SZ_4K + 0x10, *va;
	int flushes;

	if (!axt_resv_size)
		kunit_skip(test, "no reserved range given (resv_base=, resv_size=)");
	KUNIT_ASSERT_GE(test, axt_resv_size, SZ_1M + SZ_16K);
	KUNIT_ASSERT_EQ(test, axas_map_linear(t->space, BASE, resv, SZ_16K, RW), 0);
	KUNIT_ASSERT_EQ(test, axp_activate(p, gpa, 16, ACC_RW, 0), 0);
	KUNIT_EXPECT_EQ(test, axas_pin_hpa(&p->pin), resv + SZ_4K + 0x10);
	KUNIT_ASSERT_TRUE(test, axp_valid(p));
	va = axas_pin_kva(&p->pin);
	KUNIT_ASSERT_NOT_NULL(test, va);
	KUNIT_EXPECT_TRUE_MSG(test, is_vmalloc_addr(va), "%p is not a remapping", va);
	WRITE_ONCE(*va, 0x1234abcd);
	KUNIT_EXPECT_EQ(test, axp_get(t, gpa), 0x1234abcd);

	/* Another memory type: the mapping is stale. */
	flushes = atomic_read(&t->flushes);
	KUNIT_ASSERT_EQ(test, axas_protect(t->space, BASE, SZ_16K,
					   RW | AXAS_PROT_MT(AXAS_MT_WC)), 0);
	axp_expect_invalidated(p, 0, flushes);
	KUNIT_ASSERT_EQ(test, axp_refresh(p, 0), 0);
	va = axas_pin_kva(&p->pin);
	KUNIT_ASSERT_NOT_NULL(test, va);
	KUNIT_EXPECT_EQ(test, READ_ONCE(*va), 0x1234abcd);
	/* The same type again changes nothing. */
	KUNIT_ASSERT_EQ(test, axas_protect(t->space, BASE, SZ_16K,
					   RW | AXAS_PROT_MT(AXAS_MT_WC)), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->calls), 1);
	/* Uncached: the HPA only. */
	flushes = atomic_read(&t->flushes);
	KUNIT_ASSERT_EQ(test, axas_protect(t->space, BASE, SZ_16K,
					   RW | AXAS_PROT_MT(AXAS_MT_UC)), 0);
	axp_expect_invalidated(p, 1, flushes);
	KUNIT_ASSERT_EQ(test, axp_refresh(p, 0), 0);
	KUNIT_EXPECT_NULL(test, axas_pin_kva(&p->pin));
	KUNIT_EXPECT_EQ(test, axas_pin_hpa(&p->pin), resv + SZ_4K + 0x10);
	KUNIT_EXPECT_TRUE(test, axp_valid(p));
	/* Write-protected under a write pin. */
	flushes = atomic_read(&t->flushes);
	KUNIT_ASSERT_EQ(test, axas_protect(t->space, BASE, SZ_16K, AXAS_PROT_READ |
					   AXAS_PROT_MT(AXAS_MT_UC)), 0);
	axp_expect_invalidated(p, 2, flushes);
}

static struct kunit_case axas_pin_cases[] = {
	KUNIT_CASE_PARAM(axas_pin_bad_input, axp_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_pin_unmap_race, axp_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_pin_protect_race, axp_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_pin_split, axp_fmt_gen_params),
	KUNIT_CASE_PARAM(axas_pin_shutdown_race, axp_fmt_gen_params),
	KUNIT_CASE(axas_pin_section_blocks),
	KUNIT_CASE(axas_pin_release_again),
	KUNIT_CASE(axas_pin_destroy_registered),
	KUNIT_CASE(axas_pin_remapped),
	{}
};

static struct kunit_suite axas_pin_suite = {
	.name = "axas_pin",
	.init = axp_init,
	.exit = axp_exit,
	.test_cases = axas_pin_cases,
};

kunit_test_suites(&axas_pin_suite);
