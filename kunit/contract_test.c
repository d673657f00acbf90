// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of the callback contract: which exported functions that take
 * a space (or a memory file that spaces map) may call the VMM's flush
 * callback and its pin callbacks.
 *
 * The table axc_contract[] below is the contract: one AXC() row per
 * exported function of include/axas/axas.h, include/axas/walk.h and
 * include/axas/memfile.h with
 * the callbacks it may make (CB_FLUSH, CB_PIN). Each row's case puts the
 * space where the function would make every callback it may (a write pin
 * on a written page, logging under write-protection, young pages...),
 * then counts the callbacks the one call makes: a callback the row lists
 * must come, one it does not list must not. scripts/docs-check.py holds
 * the Context: of each function's kernel-doc to the same table, so that
 * the code, this table and the documentation cannot drift apart.
 */
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/file.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>

#include <axas/axas.h>
#include <axas/compat.h>
#include <axas/memfile.h>
#include <axas/walk.h>

#include "../features/features.h"
#include "axas_test.h"

#define RW	(AXAS_PROT_READ | AXAS_PROT_WRITE)
#define BASE	((u64)SZ_1G)
#define SIZE	((u64)SZ_1G)

/* The callbacks a function may make. */
#define CB_FLUSH	BIT(0)
#define CB_PIN		BIT(1)

struct axc {
	struct kunit *test;
	struct axas_space *space;
	struct axas_space_cfg cfg;
	struct axas_pin pin;
	struct file *file;
	bool counting;
	unsigned int flushes;
	unsigned int pins;
	unsigned long bm[BITS_TO_LONGS(256)];
	u64 buf[8];
};

static void axc_flush(void *cookie, u64 gpa, u64 size)
{
	struct axc *t = cookie;

	if (t->counting)
		t->flushes++;
}

static void axc_pin_gone(void *cookie, struct axas_pin *pin)
{
	struct axc *t = cookie;

	if (t->counting)
		t->pins++;
}

/*
 * A space (EPT, 4 levels, with A/D flags or without) with a lazy area of
 * 1 MiB, its first page written by the VMM and under a valid write pin.
 */
static void axc_setup(struct kunit *test, struct axc *t, bool ad)
{
	struct axt_fmt f = { "ept4", AXAS_PT_EPT, 4 };

	t->cfg = (struct axas_space_cfg) {
		.name = "kunit-contract", .base = BASE, .size = SIZE,
		.flush = axc_flush, .cookie = t,
	};
	t->cfg.pt = axt_pt_cfg_all(&f);
	if (ad)
		t->cfg.pt.root_flags = AXAS_PT_ROOT_AD;
	t->space = axas_space_create(&t->cfg);
	KUNIT_ASSERT_FALSE(test, IS_ERR(t->space));
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_1M, RW, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_write(t->space, BASE, t->buf, 8, AXAS_COPY_FAULT), 0);
	axas_pin_init(&t->pin, t->space, axc_pin_gone, t);
	KUNIT_ASSERT_EQ(test, axas_pin_activate(&t->pin, BASE, 8, AXAS_ACCESS_READ |
						AXAS_ACCESS_WRITE, AXAS_PIN_FAULT), 0);
}

/* The pin after a call that invalidated it: valid again, for the next. */
static void axc_repin(struct kunit *test, struct axc *t)
{
	KUNIT_ASSERT_EQ(test, axas_pin_refresh(&t->pin, AXAS_PIN_FAULT), 0);
}

/* ---- one case per exported function -------------------------------------- */

static void axc_space_create(struct kunit *test, struct axc *t)
{
	struct axas_space_cfg cfg = t->cfg;
	struct axas_space *other;

	t->counting = true;
	other = axas_space_create(&cfg);
	t->counting = false;
	KUNIT_ASSERT_FALSE(test, IS_ERR(other));
	axas_space_destroy(other);
}

static void axc_space_shutdown(struct kunit *test, struct axc *t)
{
	t->counting = true;
	axas_space_shutdown(t->space);
}

static void axc_pins_left(struct axas_space *space, unsigned int n)
{
}

/* Destroy without shutdown first: the pin goes (unregistered quietly). */
static void axc_space_destroy(struct kunit *test, struct axc *t)
{
	kunit_activate_static_stub(test, axas_pins_leaked, axc_pins_left);
	t->counting = true;
	axas_space_destroy(t->space);
	t->counting = false;
	t->space = NULL;
}

static void axc_space_root(struct kunit *test, struct axc *t)
{
	t->counting = true;
	KUNIT_EXPECT_NE(test, axas_space_root(t->space), 0);
}

static void axc_map_linear(struct kunit *test, struct axc *t)
{
	struct page *page = alloc_page(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, page);
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_map_linear(t->space, BASE + SZ_2M, page_to_phys(page),
					      SZ_4K, RW | AXAS_AREA_HOST_RAM), 0);
	t->counting = false;
	KUNIT_EXPECT_EQ(test, axas_unmap(t->space, BASE + SZ_2M, SZ_4K), 0);
	__free_page(page);
}

static void axc_map_alloc(struct kunit *test, struct axc *t)
{
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_map_alloc(t->space, BASE + SZ_2M, SZ_64K,
					     RW | AXAS_AREA_POPULATE, SZ_4K), 0);
}

static void axc_unmap(struct kunit *test, struct axc *t)
{
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_unmap(t->space, BASE, SZ_4K), 0);
}

static void axc_protect(struct kunit *test, struct axc *t)
{
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_protect(t->space, BASE, SZ_4K, AXAS_PROT_READ), 0);
}

/* An install, a spurious one, and the write that write-protection let in. */
static void axc_fault(struct kunit *test, struct axc *t)
{
	KUNIT_ASSERT_EQ(test, axas_dirty_log_start(t->space, BASE, SZ_1M,
						   AXAS_DIRTY_WP), 0);
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE + SZ_4K, AXAS_ACCESS_READ),
			AXAS_FAULT_INSTALLED);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE + SZ_4K, AXAS_ACCESS_READ),
			AXAS_FAULT_SPURIOUS);
	KUNIT_EXPECT_EQ(test, axas_fault(t->space, BASE + SZ_4K, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
}

static void axc_populate(struct kunit *test, struct axc *t)
{
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_populate(t->space, BASE, SZ_1M), 0);
}

static void axc_translate(struct kunit *test, struct axc *t)
{
	struct axas_translation tr;

	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_translate(t->space, BASE, 1, &tr), 0);
	KUNIT_EXPECT_EQ(test, axas_translate(t->space, BASE + SZ_4K, 1, &tr), -ENODATA);
}

static void axc_translate_hpa(struct kunit *test, struct axc *t)
{
	phys_addr_t hpa;

	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_translate_hpa(t->space, BASE, &hpa), 0);
}

static void axc_read(struct kunit *test, struct axc *t)
{
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_read(t->space, BASE + SZ_8K, t->buf, 8,
					AXAS_COPY_FAULT), 0);
}

/* Under logging: the write is logged, no callback for it. */
static void axc_write(struct kunit *test, struct axc *t)
{
	KUNIT_ASSERT_EQ(test, axas_dirty_log_start(t->space, BASE, SZ_1M,
						   AXAS_DIRTY_WP), 0);
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_write(t->space, BASE + SZ_8K, t->buf, 8,
					 AXAS_COPY_FAULT), 0);
}

static void axc_read_present(struct kunit *test, struct axc *t)
{
	u8 *buf = kunit_kzalloc(test, SZ_16K, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_read_present(t->space, BASE, buf, SZ_16K, t->bm), 1);
}

static int axc_area(void *arg, const struct axas_area_info *area)
{
	return 0;
}

static void axc_walk_areas(struct kunit *test, struct axc *t)
{
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_walk_areas(t->space, axc_area, NULL), 0);
}

static void axc_space_get_stats(struct kunit *test, struct axc *t)
{
	struct axas_space_stats st;

	t->counting = true;
	axas_space_get_stats(t->space, &st);
}

static void axc_discard(struct kunit *test, struct axc *t)
{
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_discard(t->space, BASE, SZ_4K), 0);
}

/* Write-protection takes the written page's write right, and its pin. */
static void axc_dirty_log_start(struct kunit *test, struct axc *t)
{
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_dirty_log_start(t->space, BASE, SZ_1M,
						   AXAS_DIRTY_WP), 0);
}

/*
 * An eager 2 MiB area after the 1 MiB one: logging and the snapshot split
 * its leaf, their end puts it back (a flush before its table page goes).
 */
static void axc_huge(struct kunit *test, struct axc *t)
{
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE + SZ_2M, SZ_2M,
					     RW | AXAS_AREA_POPULATE, SZ_2M), 0);
}

static void axc_dirty_log_stop(struct kunit *test, struct axc *t)
{
	axc_huge(test, t);
	KUNIT_ASSERT_EQ(test, axas_dirty_log_start(t->space, BASE, SZ_4M,
						   AXAS_DIRTY_WP), 0);
	axc_repin(test, t);
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_dirty_log_stop(t->space), 0);
}

/* A write pin in a write-protected range: invalidated, then a flush. */
static void axc_dirty_log_get(struct kunit *test, struct axc *t)
{
	KUNIT_ASSERT_EQ(test, axas_dirty_log_start(t->space, BASE, SZ_1M,
						   AXAS_DIRTY_WP), 0);
	axc_repin(test, t);
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_dirty_log_get(t->space, BASE, SZ_1M, t->bm), 1);
}

static void axc_dirty_log_clear(struct kunit *test, struct axc *t)
{
	KUNIT_ASSERT_EQ(test, axas_dirty_log_start(t->space, BASE, SZ_1M,
						   AXAS_DIRTY_WP), 0);
	axc_repin(test, t);
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_dirty_log_clear(t->space, BASE, SZ_1M), 0);
}

/* A young page cleared: a flush; pins keep their rights. */
static void axc_age(struct kunit *test, struct axc *t)
{
	axas_pt_scan(&t->space->pt, BASE, SZ_4K, AXAS_SCAN_ACCESSED, AXAS_SCAN_SET,
		     NULL, 0, NULL);
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_age(t->space, BASE, SZ_1M, t->bm, AXAS_AGE_CLEAR), 1);
}

/* Without A/D flags the snapshot tracks by write-protection. */
static void axc_snapshot_take(struct kunit *test, struct axc *t)
{
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_snapshot_take(t->space), 0);
}

/* The pinned page written since: copied back, its pin invalidated. */
static void axc_snapshot_restore(struct kunit *test, struct axc *t)
{
	KUNIT_ASSERT_EQ(test, axas_snapshot_take(t->space), 0);
	axc_repin(test, t);
	KUNIT_ASSERT_EQ(test, axas_write(t->space, BASE, t->buf, 8, 0), 0);
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_snapshot_restore(t->space), 1);
}

static void axc_snapshot_drop(struct kunit *test, struct axc *t)
{
	axc_huge(test, t);
	KUNIT_ASSERT_EQ(test, axas_snapshot_take(t->space), 0);
	axc_repin(test, t);
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_snapshot_drop(t->space), 0);
}

/* A huge leaf split by a protect of half of it, then the protect undone. */
static void axc_collapse(struct kunit *test, struct axc *t)
{
	axc_huge(test, t);
	KUNIT_ASSERT_EQ(test, axas_protect(t->space, BASE + SZ_2M, SZ_1M,
					   AXAS_PROT_READ), 0);
	KUNIT_ASSERT_EQ(test, axas_protect(t->space, BASE + SZ_2M, SZ_2M, RW), 0);
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_collapse(t->space, BASE, SZ_4M), 1);
}

static void axc_pool_limit(struct kunit *test, struct axc *t)
{
	KUNIT_ASSERT_EQ(test, axas_pool_limit(t->space, 8, 1), 0);
	KUNIT_ASSERT_EQ(test, axas_prefill(t->space, 8), 8);
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_pool_limit(t->space, 0, 0), 0);
}

static void axc_prefill(struct kunit *test, struct axc *t)
{
	KUNIT_ASSERT_EQ(test, axas_pool_limit(t->space, 8, 1), 0);
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_prefill(t->space, 520), 520);
}

static void axc_pin_init(struct kunit *test, struct axc *t)
{
	struct axas_pin other;

	t->counting = true;
	axas_pin_init(&other, t->space, axc_pin_gone, t);
}

/* A write pin where write-protection took the right: the fault gives it. */
static void axc_pin_activate(struct kunit *test, struct axc *t)
{
	struct axas_pin other;

	KUNIT_ASSERT_EQ(test, axas_dirty_log_start(t->space, BASE + SZ_8K, SZ_4K,
						   AXAS_DIRTY_WP), 0);
	axas_pin_init(&other, t->space, axc_pin_gone, t);
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_pin_activate(&other, BASE + SZ_8K, 8,
						AXAS_ACCESS_WRITE, AXAS_PIN_FAULT), 0);
	t->counting = false;
	axas_pin_release(&other);
}

static void axc_pin_refresh(struct kunit *test, struct axc *t)
{
	KUNIT_ASSERT_EQ(test, axas_unmap(t->space, BASE, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_map_alloc(t->space, BASE, SZ_4K, RW, SZ_4K), 0);
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_pin_refresh(&t->pin, AXAS_PIN_FAULT), 0);
}

static void axc_pin_lock(struct kunit *test, struct axc *t)
{
	bool valid;

	t->counting = true;
	valid = axas_pin_lock(&t->pin);
	axas_pin_unlock(&t->pin);
	KUNIT_EXPECT_TRUE(test, valid);
}

static void axc_pin_hpa(struct kunit *test, struct axc *t)
{
	t->counting = true;
	KUNIT_EXPECT_NE(test, axas_pin_hpa(&t->pin), 0);
	KUNIT_EXPECT_NOT_NULL(test, axas_pin_kva(&t->pin));
}

static void axc_pin_release(struct kunit *test, struct axc *t)
{
	t->counting = true;
	axas_pin_release(&t->pin);
}

/*
 * A memory file of 1 MiB mapped at BASE + 8 MiB, its first page written
 * by the guest (its leaf has the write right).
 */
static void axc_file(struct kunit *test, struct axc *t)
{
	struct axas_memfile_cfg cfg = { .size = SZ_1M, .pgsize = SZ_4K };

	t->file = axas_memfile_create(&cfg);
	KUNIT_ASSERT_FALSE(test, IS_ERR(t->file));
	KUNIT_ASSERT_EQ(test, axas_map_file(t->space, BASE + SZ_8M, SZ_1M, t->file,
					    0, RW), 0);
	KUNIT_ASSERT_EQ(test, axas_fault(t->space, BASE + SZ_8M, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
}

static void axc_memfile_create(struct kunit *test, struct axc *t)
{
	struct axas_memfile_cfg cfg = { .size = SZ_1M, .pgsize = SZ_2M };
	struct file *file;

	t->counting = true;
	file = axas_memfile_create(&cfg);
	t->counting = false;
	KUNIT_ASSERT_FALSE(test, IS_ERR(file));
	__fput_sync(file);
}

static void axc_map_file(struct kunit *test, struct axc *t)
{
	struct axas_memfile_cfg cfg = { .size = SZ_1M, .pgsize = SZ_4K };

	t->file = axas_memfile_create(&cfg);
	KUNIT_ASSERT_FALSE(test, IS_ERR(t->file));
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_map_file(t->space, BASE + SZ_8M, SZ_1M, t->file,
					    0, RW), 0);
}

static void axc_memfile_get_stats(struct kunit *test, struct axc *t)
{
	struct axas_memfile_stats st;

	axc_file(test, t);
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_memfile_get_stats(t->file, &st), 0);
	KUNIT_EXPECT_EQ(test, st.frames, 1);
}

/* The guest's leaf loses its write right: a flush. */
static void axc_memfile_log_start(struct kunit *test, struct axc *t)
{
	axc_file(test, t);
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_memfile_log_start(t->file), 0);
}

static void axc_memfile_log_stop(struct kunit *test, struct axc *t)
{
	axc_file(test, t);
	KUNIT_ASSERT_EQ(test, axas_memfile_log_start(t->file), 0);
	KUNIT_ASSERT_EQ(test, axas_fault(t->space, BASE + SZ_8M, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_memfile_log_stop(t->file), 0);
}

/* A page the guest wrote since the start: reported, its right taken. */
static void axc_memfile_log_get(struct kunit *test, struct axc *t)
{
	axc_file(test, t);
	KUNIT_ASSERT_EQ(test, axas_memfile_log_start(t->file), 0);
	KUNIT_ASSERT_EQ(test, axas_fault(t->space, BASE + SZ_8M, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_memfile_log_get(t->file, 0, SZ_1M, t->bm), 1);
}

static void axc_memfile_log_clear(struct kunit *test, struct axc *t)
{
	axc_file(test, t);
	KUNIT_ASSERT_EQ(test, axas_memfile_log_start(t->file), 0);
	KUNIT_ASSERT_EQ(test, axas_fault(t->space, BASE + SZ_8M, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_memfile_log_clear(t->file, 0, SZ_1M), 0);
}

/* Paging off: the walker's answers without tables; the copies reach memory. */
static void axc_walk(struct kunit *test, struct axc *t)
{
	struct axas_walk_state st = { .maxphyaddr = 46 };
	struct axas_walk_result res;

	t->counting = true;
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &st, BASE, AXAS_WALK_WRITE |
					AXAS_WALK_SET_AD, &res), AXAS_WALK_OK);
	KUNIT_EXPECT_EQ(test, axas_gva_read(t->space, &st, BASE, t->buf, 8, 0, &res), 0);
	KUNIT_EXPECT_EQ(test, axas_gva_write(t->space, &st, BASE + SZ_4K, t->buf, 8,
					     AXAS_WALK_FAULT_IN, &res), 0);
}

/* ---- the contract ------------------------------------------------------- */

struct axc_contract {
	const char *fn;
	unsigned int cb;
	bool ad;	/* the space has A/D flags (else write-protection) */
	void (*run)(struct kunit *test, struct axc *t);
};

#define AXC(fn, cb, ad, run)	{ #fn, cb, ad, run }

static const struct axc_contract axc_contract[] = {
	AXC(axas_space_create, 0, true, axc_space_create),
	AXC(axas_space_shutdown, CB_FLUSH | CB_PIN, true, axc_space_shutdown),
	AXC(axas_space_destroy, CB_FLUSH | CB_PIN, true, axc_space_destroy),
	AXC(axas_space_root, 0, true, axc_space_root),
	AXC(axas_map_linear, 0, true, axc_map_linear),
	AXC(axas_map_alloc, 0, true, axc_map_alloc),
	AXC(axas_unmap, CB_FLUSH | CB_PIN, true, axc_unmap),
	AXC(axas_protect, CB_FLUSH | CB_PIN, true, axc_protect),
	AXC(axas_fault, 0, true, axc_fault),
	AXC(axas_populate, 0, true, axc_populate),
	AXC(axas_translate, 0, true, axc_translate),
	AXC(axas_translate_hpa, 0, true, axc_translate_hpa),
	AXC(axas_read, 0, true, axc_read),
	AXC(axas_write, 0, true, axc_write),
	AXC(axas_read_present, 0, true, axc_read_present),
	AXC(axas_walk_areas, 0, true, axc_walk_areas),
	AXC(axas_space_get_stats, 0, true, axc_space_get_stats),
	AXC(axas_discard, CB_FLUSH | CB_PIN, true, axc_discard),
	AXC(axas_dirty_log_start, CB_FLUSH | CB_PIN, true, axc_dirty_log_start),
	AXC(axas_dirty_log_stop, CB_FLUSH, true, axc_dirty_log_stop),
	AXC(axas_dirty_log_get, CB_FLUSH | CB_PIN, true, axc_dirty_log_get),
	AXC(axas_dirty_log_clear, CB_FLUSH | CB_PIN, true, axc_dirty_log_clear),
	AXC(axas_age, CB_FLUSH, true, axc_age),
	AXC(axas_snapshot_take, CB_FLUSH | CB_PIN, false, axc_snapshot_take),
	AXC(axas_snapshot_restore, CB_FLUSH | CB_PIN, true, axc_snapshot_restore),
	AXC(axas_snapshot_drop, CB_FLUSH, false, axc_snapshot_drop),
	AXC(axas_collapse, CB_FLUSH, true, axc_collapse),
	AXC(axas_pool_limit, 0, true, axc_pool_limit),
	AXC(axas_prefill, 0, true, axc_prefill),
	AXC(axas_pin_init, 0, true, axc_pin_init),
	AXC(axas_pin_activate, 0, true, axc_pin_activate),
	AXC(axas_pin_refresh, 0, true, axc_pin_refresh),
	AXC(axas_pin_lock, 0, true, axc_pin_lock),
	AXC(axas_pin_unlock, 0, true, axc_pin_lock),
	AXC(axas_pin_hpa, 0, true, axc_pin_hpa),
	AXC(axas_pin_kva, 0, true, axc_pin_hpa),
	AXC(axas_pin_release, 0, true, axc_pin_release),
	AXC(axas_memfile_create, 0, true, axc_memfile_create),
	AXC(axas_map_file, 0, true, axc_map_file),
	AXC(axas_memfile_get_stats, 0, true, axc_memfile_get_stats),
	AXC(axas_memfile_log_start, CB_FLUSH, true, axc_memfile_log_start),
	AXC(axas_memfile_log_stop, 0, true, axc_memfile_log_stop),
	AXC(axas_memfile_log_get, CB_FLUSH, true, axc_memfile_log_get),
	AXC(axas_memfile_log_clear, CB_FLUSH, true, axc_memfile_log_clear),
	AXC(axas_walk, 0, true, axc_walk),
	AXC(axas_gva_read, 0, true, axc_walk),
	AXC(axas_gva_write, 0, true, axc_walk),
};

static void axc_desc(const struct axc_contract *c, char *desc)
{
	strscpy(desc, c->fn, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(axc, axc_contract, axc_desc);

static const char *axc_name(unsigned int cb)
{
	return cb == CB_FLUSH ? "the flush callback" : "the pin callbacks";
}

/* The callbacks one call made, against what its row lists. */
static void axas_contract_callbacks(struct kunit *test)
{
	const struct axc_contract *c = test->param_value;
	struct axc *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	unsigned int i, cb;

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->test = test;
	axc_setup(test, t, c->ad);
	c->run(test, t);
	t->counting = false;
	for (i = 0; i < 2; i++) {
		unsigned int n = i ? t->pins : t->flushes;

		cb = i ? CB_PIN : CB_FLUSH;
		if (c->cb & cb)
			KUNIT_EXPECT_GT_MSG(test, n, 0,
					    "%s made no call of %s, which its contract lists (and its case should reach)",
					    c->fn, axc_name(cb));
		else
			KUNIT_EXPECT_EQ_MSG(test, n, 0,
					    "%s called %s (%u calls), which its contract does not list",
					    c->fn, axc_name(cb), n);
	}
	if (t->space) {
		axas_pin_release(&t->pin);
		axas_space_destroy(t->space);
	}
	if (t->file)
		__fput_sync(t->file);
}

static struct kunit_case axas_contract_cases[] = {
	KUNIT_CASE_PARAM(axas_contract_callbacks, axc_gen_params),
	{}
};

static struct kunit_suite axas_contract_suite = {
	.name = "axas_contract",
	.test_cases = axas_contract_cases,
};

kunit_test_suites(&axas_contract_suite);
