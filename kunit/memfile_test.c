// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of memory files, driven through a struct file directly
 * (kernel_read(), kernel_write(), vfs_llseek(), vfs_fallocate()) and
 * through spaces that map it: bad input, holes, views of one file in two
 * spaces, the order of a punch across views (table, pins, flush, then
 * the frame), unmap and protect of one view, 2 MiB blocks and their
 * fallback, the file's cap, memory that outlives the file, the file's own
 * log and a space's log of userspace writes, content saved and loaded
 * through a second file, and a random stress of faults, writes, punches,
 * unmaps and harvests from several threads.
 */
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/anon_inodes.h>
#include <linux/delay.h>
#include <linux/types.h>
#include <linux/falloc.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include <axas/axas.h>
#include <axas/memfile.h>

#include "../features/features.h"
#include "axas_test.h"

#define RW	(AXAS_PROT_READ | AXAS_PROT_WRITE)
#define BASE_A	((u64)SZ_1G)
#define BASE_B	(2ULL * SZ_1G)
#define SIZE	((u64)SZ_1G)
#define PUNCH	(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)

static unsigned int axm_seed;
module_param(axm_seed, uint, 0444);
MODULE_PARM_DESC(axm_seed, "seed of axas_memfile_stress (0: random)");

struct axm;

/* One space of the test, and what its callbacks saw. */
struct axm_space {
	struct axm *t;
	char name;		/* 'A' or 'B' in the event string */
	struct axas_space *space;
	atomic_t flushes;
};

struct axm {
	struct kunit *test;
	struct file *file;
	struct axas_memfile *mf;
	struct axm_space s[2];
	long tables_base;
	/* flush (upper case) and pin (lower case) callbacks, in order */
	spinlock_t lock;
	char events[64];
	unsigned int nev;
	/* a frame each flush must find still in the file, at @watch_index */
	struct page *watch_page;
	pgoff_t watch_index;
	unsigned int freed_early;
};

static void axm_event(struct axm *t, char c)
{
	spin_lock(&t->lock);
	if (t->nev < sizeof(t->events) - 1)
		t->events[t->nev++] = c;
	spin_unlock(&t->lock);
}

static void axm_flush(void *cookie, u64 gpa, u64 size)
{
	struct axm_space *s = cookie;
	struct axm *t = s->t;

	atomic_inc(&s->flushes);
	axm_event(t, s->name);
	if (t->watch_page && axas_memfile_lookup(t->mf, t->watch_index) !=
	    t->watch_page)
		t->freed_early++;
}

static struct file *axm_file(struct kunit *test, u64 size, unsigned long pgsize,
			     unsigned long max_frames)
{
	struct axas_memfile_cfg cfg = {
		.name = "kunit-memfile", .size = size, .pgsize = pgsize,
		.max_frames = max_frames,
	};
	struct file *file = axas_memfile_create(&cfg);

	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(file), "axas_memfile_create() = %ld",
			       PTR_ERR(file));
	return file;
}

/* Two NPT spaces (4 levels) and a file of @size with @pgsize frames. */
static struct axm *axm_setup(struct kunit *test, u64 size, unsigned long pgsize)
{
	struct axt_fmt f = { "npt4", AXAS_PT_NPT, 4 };
	struct axm *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->test = test;
	spin_lock_init(&t->lock);
	t->tables_base = axt_live_tables();
	for (i = 0; i < 2; i++) {
		struct axas_space_cfg cfg = {
			.name = i ? "kunit-mf-b" : "kunit-mf-a",
			.base = i ? BASE_B : BASE_A, .size = SIZE,
			.flush = axm_flush, .cookie = &t->s[i],
		};

		cfg.pt = axt_pt_cfg_all(&f);
		t->s[i].t = t;
		t->s[i].name = 'A' + i;
		t->s[i].space = axas_space_create(&cfg);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t->s[i].space));
	}
	t->file = axm_file(test, size, pgsize, 0);
	t->mf = axas_memfile_of(t->file);
	return t;
}

/* Everything goes: the spaces (their views), then the file. */
static void axm_teardown(struct axm *t)
{
	unsigned int i;

	for (i = 0; i < 2; i++)
		if (t->s[i].space)
			axas_space_destroy(t->s[i].space);
	if (t->file)
		__fput_sync(t->file);
	KUNIT_EXPECT_EQ_MSG(t->test, axt_live_tables(), t->tables_base,
			    "table pages leaked");
}

static struct axas_memfile_stats axm_stats(struct file *file)
{
	struct axas_memfile_stats st = {};

	WARN_ON(axas_memfile_get_stats(file, &st));
	return st;
}

static ssize_t axm_write(struct file *file, u64 off, const void *buf, size_t len)
{
	loff_t pos = off;

	return kernel_write(file, buf, len, &pos);
}

static ssize_t axm_read(struct file *file, u64 off, void *buf, size_t len)
{
	loff_t pos = off;

	return kernel_read(file, buf, len, &pos);
}

static u64 axm_hpa(struct kunit *test, struct axas_space *space, u64 gpa)
{
	phys_addr_t hpa = 0;

	KUNIT_EXPECT_EQ(test, axas_translate_hpa(space, gpa, &hpa), 0);
	return hpa;
}

static const struct file_operations axm_other_fops = {
	.owner = THIS_MODULE,
};

/* Each bad argument has its errno, and nothing changes. */
static void axas_memfile_bad_input(struct kunit *test)
{
	struct axas_memfile_cfg cfg = { .size = SZ_1M, .pgsize = SZ_4K };
	struct axm *t = axm_setup(test, SZ_1M, SZ_4K);
	struct axas_space *a = t->s[0].space;
	unsigned long bm[BITS_TO_LONGS(256)];
	struct file *other;
	char c = 1;

	cfg.size = 0;
	KUNIT_EXPECT_EQ(test, PTR_ERR(axas_memfile_create(&cfg)), -EINVAL);
	cfg.size = SZ_1M + 100;
	KUNIT_EXPECT_EQ(test, PTR_ERR(axas_memfile_create(&cfg)), -EINVAL);
	cfg.size = SZ_1M;
	cfg.pgsize = SZ_1G;
	KUNIT_EXPECT_EQ(test, PTR_ERR(axas_memfile_create(&cfg)), -EINVAL);
	cfg.pgsize = SZ_4K;
	cfg.flags = BIT(7);
	KUNIT_EXPECT_EQ(test, PTR_ERR(axas_memfile_create(&cfg)), -EINVAL);
	cfg.flags = AXAS_SPACE_NODE_STRICT;
	KUNIT_EXPECT_EQ(test, PTR_ERR(axas_memfile_create(&cfg)), -EINVAL);

	KUNIT_EXPECT_EQ(test, axas_map_file(a, BASE_A, SZ_64K, t->file, 100, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_map_file(a, BASE_A, SZ_64K, t->file, SZ_1M, RW), -ERANGE);
	KUNIT_EXPECT_EQ(test, axas_map_file(a, BASE_A, SZ_1M, t->file, SZ_512K, RW), -ERANGE);
	KUNIT_EXPECT_EQ(test, axas_map_file(a, BASE_A + 1, SZ_64K, t->file, 0, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_map_file(a, BASE_A, SZ_64K, t->file, 0,
					    RW | AXAS_AREA_POPULATE), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_map_file(a, SZ_4K, SZ_64K, t->file, 0, RW), -ERANGE);
	other = anon_inode_getfile("kunit-other", &axm_other_fops, NULL, O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(other));
	KUNIT_EXPECT_EQ(test, axas_map_file(a, BASE_A, SZ_64K, other, 0, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_memfile_log_start(other), -EINVAL);
	__fput_sync(other);
	KUNIT_EXPECT_EQ(test, axm_stats(t->file).views, 0);
	KUNIT_EXPECT_EQ(test, axt_stats(a).areas, 0);

	KUNIT_ASSERT_EQ(test, axas_map_file(a, BASE_A, SZ_1M, t->file, 0, RW), 0);
	KUNIT_EXPECT_EQ(test, axas_map_file(a, BASE_A, SZ_64K, t->file, 0, RW), -EEXIST);
	KUNIT_EXPECT_EQ(test, axm_stats(t->file).views, 1);
	KUNIT_EXPECT_EQ(test, axas_populate(a, BASE_A, SZ_64K), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, axas_discard(a, BASE_A, SZ_64K), -EOPNOTSUPP);

	KUNIT_EXPECT_EQ(test, vfs_fallocate(t->file, PUNCH, 100, SZ_4K), -EINVAL);
	KUNIT_EXPECT_EQ(test, vfs_fallocate(t->file, FALLOC_FL_COLLAPSE_RANGE, 0,
					    SZ_4K), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, vfs_fallocate(t->file, 0, SZ_512K, SZ_1M), -EINVAL);
	KUNIT_EXPECT_EQ(test, axm_write(t->file, SZ_1M, &c, 1), -EFBIG);
	KUNIT_EXPECT_EQ(test, axm_read(t->file, SZ_1M, &c, 1), 0);

	KUNIT_EXPECT_EQ(test, axas_memfile_log_get(t->file, 0, SZ_1M, bm), -ESRCH);
	KUNIT_EXPECT_EQ(test, axas_memfile_log_stop(t->file), -ESRCH);
	KUNIT_ASSERT_EQ(test, axas_memfile_log_start(t->file), 0);
	KUNIT_EXPECT_EQ(test, axas_memfile_log_start(t->file), -EBUSY);
	KUNIT_EXPECT_EQ(test, axas_memfile_log_get(t->file, 100, SZ_4K, bm), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_memfile_log_get(t->file, 0, SZ_4K, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_memfile_log_get(t->file, SZ_512K, SZ_1M, bm), -ERANGE);
	KUNIT_EXPECT_EQ(test, axas_memfile_log_stop(t->file), 0);
	KUNIT_EXPECT_EQ(test, axm_stats(t->file).frames, 0);
	axm_teardown(t);
}

/* Holes read zeros and stay holes; writes across pages; seek; punch. */
static void axas_memfile_read_write(struct kunit *test)
{
	struct axm *t = axm_setup(test, SZ_1M, SZ_4K);
	u8 *buf = kunit_kzalloc(test, 3 * SZ_4K, GFP_KERNEL);
	u8 *back = kunit_kzalloc(test, 3 * SZ_4K, GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, back);
	memset(back, 0xff, SZ_4K);
	KUNIT_EXPECT_EQ(test, axm_read(t->file, SZ_8K, back, SZ_4K), SZ_4K);
	KUNIT_EXPECT_NULL(test, memchr_inv(back, 0, SZ_4K));
	KUNIT_EXPECT_EQ(test, axm_stats(t->file).frames, 0);

	for (i = 0; i < 5000; i++)
		buf[i] = i * 7 + 1;
	KUNIT_EXPECT_EQ(test, axm_write(t->file, SZ_8K + 100, buf, 5000), 5000);
	KUNIT_EXPECT_EQ(test, axm_stats(t->file).frames, 2);
	KUNIT_EXPECT_EQ(test, axm_read(t->file, SZ_8K + 100, back, 5000), 5000);
	KUNIT_EXPECT_EQ(test, memcmp(back, buf, 5000), 0);

	KUNIT_EXPECT_EQ(test, vfs_llseek(t->file, 0, SEEK_DATA), SZ_8K);
	KUNIT_EXPECT_EQ(test, vfs_llseek(t->file, SZ_8K + 5, SEEK_DATA), SZ_8K + 5);
	KUNIT_EXPECT_EQ(test, vfs_llseek(t->file, SZ_8K, SEEK_HOLE), SZ_16K);
	KUNIT_EXPECT_EQ(test, vfs_llseek(t->file, SZ_16K, SEEK_DATA), -ENXIO);
	KUNIT_EXPECT_EQ(test, vfs_llseek(t->file, SZ_1M, SEEK_HOLE), -ENXIO);

	KUNIT_EXPECT_EQ(test, vfs_fallocate(t->file, PUNCH, SZ_8K, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, axm_stats(t->file).frames, 1);
	KUNIT_EXPECT_EQ(test, axm_read(t->file, SZ_8K, back, SZ_8K), SZ_8K);
	KUNIT_EXPECT_NULL(test, memchr_inv(back, 0, SZ_4K));
	KUNIT_EXPECT_EQ(test, memcmp(back + SZ_4K, buf + SZ_4K - 100, 5000 + 100 - SZ_4K), 0);
	/* A punch beyond the end, and over holes, changes nothing. */
	KUNIT_EXPECT_EQ(test, vfs_fallocate(t->file, PUNCH, SZ_1M, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, vfs_fallocate(t->file, PUNCH, SZ_64K, SZ_64K), 0);
	KUNIT_EXPECT_EQ(test, axm_stats(t->file).frames, 1);

	KUNIT_EXPECT_EQ(test, vfs_fallocate(t->file, 0, 0, SZ_64K), 0);
	KUNIT_EXPECT_EQ(test, axm_stats(t->file).frames, 16);
	KUNIT_EXPECT_EQ(test, vfs_llseek(t->file, 0, SEEK_HOLE), SZ_64K);
	axm_teardown(t);
}

static int axm_area(void *arg, const struct axas_area_info *a)
{
	*(struct axas_area_info *)arg = *a;
	return 0;
}

/* Two spaces and the file itself reach the same frames. */
static void axas_memfile_views_share(struct kunit *test)
{
	struct axm *t = axm_setup(test, SZ_1M, SZ_4K);
	struct axas_space *a = t->s[0].space, *b = t->s[1].space;
	struct axas_area_info info = {};
	char buf[8] = {};

	KUNIT_ASSERT_EQ(test, axas_map_file(a, BASE_A, SZ_1M, t->file, 0, RW), 0);
	KUNIT_ASSERT_EQ(test, axas_map_file(b, BASE_B + SZ_2M, SZ_256K, t->file,
					    SZ_256K, RW), 0);
	KUNIT_EXPECT_EQ(test, axas_walk_areas(b, axm_area, &info), 0);
	KUNIT_EXPECT_STREQ(test, info.backend, "file");
	KUNIT_EXPECT_EQ(test, info.offset, SZ_256K);
	KUNIT_EXPECT_EQ(test, axas_write(a, BASE_A + SZ_256K + 8, "hello", 6,
					 AXAS_COPY_FAULT), 0);
	KUNIT_EXPECT_EQ(test, axas_read(b, BASE_B + SZ_2M + 8, buf, 6, AXAS_COPY_FAULT), 0);
	KUNIT_EXPECT_STREQ(test, buf, "hello");
	KUNIT_EXPECT_EQ(test, axm_hpa(test, a, BASE_A + SZ_256K),
			axm_hpa(test, b, BASE_B + SZ_2M));
	KUNIT_EXPECT_EQ(test, axm_read(t->file, SZ_256K + 8, buf, 6), 6);
	KUNIT_EXPECT_STREQ(test, buf, "hello");
	KUNIT_EXPECT_EQ(test, axm_write(t->file, SZ_256K + 16, "world", 6), 6);
	KUNIT_EXPECT_EQ(test, axas_read(a, BASE_A + SZ_256K + 16, buf, 6, 0), 0);
	KUNIT_EXPECT_STREQ(test, buf, "world");
	/* A guest fault in either view finds the frame the other faulted in. */
	KUNIT_EXPECT_EQ(test, axas_fault(b, BASE_B + SZ_2M + SZ_4K, AXAS_ACCESS_READ),
			AXAS_FAULT_INSTALLED);
	KUNIT_EXPECT_EQ(test, axas_fault(a, BASE_A + SZ_256K + SZ_4K, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
	KUNIT_EXPECT_EQ(test, axm_hpa(test, a, BASE_A + SZ_256K + SZ_4K),
			axm_hpa(test, b, BASE_B + SZ_2M + SZ_4K));
	/* The frames are the file's, not the spaces'. */
	KUNIT_EXPECT_EQ(test, axm_stats(t->file).frames, 2);
	KUNIT_EXPECT_EQ(test, axt_stats(a).frames, 0);
	KUNIT_EXPECT_EQ(test, axt_stats(b).frames, 0);
	KUNIT_EXPECT_EQ(test, axm_stats(t->file).views, 2);
	/* Outside B's window B has no area. */
	KUNIT_EXPECT_EQ(test, axas_fault(b, BASE_B + SZ_2M + SZ_256K, AXAS_ACCESS_READ),
			-ENOENT);
	axm_teardown(t);
}

static void axm_pin_gone(void *cookie, struct axas_pin *pin)
{
	struct axm_space *s = cookie;

	axm_event(s->t, s->name - 'A' + 'a');
}

/*
 * A punch, in each view in turn: the table entry, the pins (callback),
 * the flush, and only after every view the frame leaves the file. A
 * space's dirty log reports the page: its content changed to zeros.
 */
static void axas_memfile_punch_order(struct kunit *test)
{
	struct axm *t = axm_setup(test, SZ_1M, SZ_4K);
	struct axas_space *a = t->s[0].space, *b = t->s[1].space;
	unsigned long bm[BITS_TO_LONGS(256)] = {};
	struct axas_pin pa, pb;
	u64 x = 0x1234, v = 0;
	phys_addr_t hpa;

	KUNIT_ASSERT_EQ(test, axas_map_file(a, BASE_A, SZ_1M, t->file, 0, RW), 0);
	KUNIT_ASSERT_EQ(test, axas_map_file(b, BASE_B, SZ_1M, t->file, 0, RW), 0);
	KUNIT_ASSERT_EQ(test, axas_write(a, BASE_A + SZ_64K, &x, 8, AXAS_COPY_FAULT), 0);
	KUNIT_ASSERT_EQ(test, axas_write(a, BASE_A + SZ_64K + SZ_4K, &x, 8,
					 AXAS_COPY_FAULT), 0);
	axas_pin_init(&pa, a, axm_pin_gone, &t->s[0]);
	axas_pin_init(&pb, b, axm_pin_gone, &t->s[1]);
	KUNIT_ASSERT_EQ(test, axas_pin_activate(&pa, BASE_A + SZ_64K, 8,
						AXAS_ACCESS_READ, AXAS_PIN_FAULT), 0);
	KUNIT_ASSERT_EQ(test, axas_pin_activate(&pb, BASE_B + SZ_64K, 8,
						AXAS_ACCESS_READ, AXAS_PIN_FAULT), 0);
	KUNIT_EXPECT_EQ(test, axas_pin_hpa(&pa), axas_pin_hpa(&pb));
	KUNIT_ASSERT_EQ(test, axas_fault(b, BASE_B + SZ_64K + SZ_4K,
					 AXAS_ACCESS_READ), AXAS_FAULT_INSTALLED);
	KUNIT_ASSERT_EQ(test, axas_dirty_log_start(a, BASE_A, SZ_1M, 0), 0);
	KUNIT_ASSERT_EQ(test, axas_dirty_log_clear(a, BASE_A, SZ_1M), 0);

	t->watch_index = SZ_64K >> PAGE_SHIFT;
	t->watch_page = axas_memfile_lookup(t->mf, t->watch_index);
	KUNIT_ASSERT_NOT_NULL(test, t->watch_page);
	t->nev = 0;
	KUNIT_EXPECT_EQ(test, vfs_fallocate(t->file, PUNCH, SZ_64K, SZ_4K), 0);
	t->watch_page = NULL;
	t->events[t->nev] = 0;
	KUNIT_EXPECT_STREQ(test, t->events, "aAbB");
	KUNIT_EXPECT_EQ_MSG(test, t->freed_early, 0,
			    "a flush ran after the frame left the file");
	KUNIT_EXPECT_FALSE(test, axas_pin_lock(&pa));
	axas_pin_unlock(&pa);
	KUNIT_EXPECT_EQ(test, axas_translate_hpa(a, BASE_A + SZ_64K, &hpa), -ENODATA);
	KUNIT_EXPECT_EQ(test, axas_translate_hpa(b, BASE_B + SZ_64K, &hpa), -ENODATA);
	/* The neighbour stays, in both views. */
	KUNIT_EXPECT_EQ(test, axas_translate_hpa(a, BASE_A + SZ_64K + SZ_4K, &hpa), 0);
	KUNIT_EXPECT_EQ(test, axas_translate_hpa(b, BASE_B + SZ_64K + SZ_4K, &hpa), 0);
	KUNIT_EXPECT_EQ(test, axm_stats(t->file).frames, 1);
	KUNIT_EXPECT_EQ(test, axas_read(b, BASE_B + SZ_64K, &v, 8, AXAS_COPY_FAULT), 0);
	KUNIT_EXPECT_EQ(test, v, 0);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_get(a, BASE_A, SZ_1M, bm), 1);
	KUNIT_EXPECT_TRUE(test, test_bit(SZ_64K >> PAGE_SHIFT, bm));
	axas_pin_release(&pa);
	axas_pin_release(&pb);
	axm_teardown(t);
}

/* Unmap and protect of one view leave the other and the file alone. */
static void axas_memfile_one_view(struct kunit *test)
{
	struct axm *t = axm_setup(test, SZ_1M, SZ_4K);
	struct axas_space *a = t->s[0].space, *b = t->s[1].space;
	u64 x = 77, v = 0;

	KUNIT_ASSERT_EQ(test, axas_map_file(a, BASE_A, SZ_1M, t->file, 0, RW), 0);
	KUNIT_ASSERT_EQ(test, axas_map_file(b, BASE_B, SZ_1M, t->file, 0, RW), 0);
	KUNIT_ASSERT_EQ(test, axas_write(a, BASE_A, &x, 8, AXAS_COPY_FAULT), 0);
	KUNIT_ASSERT_EQ(test, axas_fault(b, BASE_B, AXAS_ACCESS_READ), AXAS_FAULT_INSTALLED);
	KUNIT_EXPECT_EQ(test, axas_unmap(a, BASE_A, SZ_64K), 0);
	KUNIT_EXPECT_EQ(test, axas_fault(a, BASE_A, AXAS_ACCESS_READ), -ENOENT);
	KUNIT_EXPECT_EQ(test, axas_read(b, BASE_B, &v, 8, 0), 0);
	KUNIT_EXPECT_EQ(test, v, 77);
	KUNIT_EXPECT_EQ(test, axm_stats(t->file).frames, 1);
	/* The rest of A's view is still a view: one map, cut. */
	KUNIT_EXPECT_EQ(test, axm_stats(t->file).views, 2);
	KUNIT_EXPECT_EQ(test, axas_protect(b, BASE_B, SZ_4K, AXAS_PROT_READ), 0);
	KUNIT_EXPECT_EQ(test, axas_fault(b, BASE_B, AXAS_ACCESS_WRITE), -EACCES);
	KUNIT_EXPECT_EQ(test, axas_fault(a, BASE_A + SZ_64K, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
	/* A map of the window again sees the file's content. */
	KUNIT_ASSERT_EQ(test, axas_map_file(a, BASE_A, SZ_64K, t->file, 0, RW), 0);
	KUNIT_EXPECT_EQ(test, axas_read(a, BASE_A, &v, 8, AXAS_COPY_FAULT), 0);
	KUNIT_EXPECT_EQ(test, v, 77);
	KUNIT_EXPECT_EQ(test, axm_stats(t->file).views, 3);
	/* The last area of a map goes: its view leaves the file. */
	KUNIT_EXPECT_EQ(test, axas_unmap(b, BASE_B, SZ_1M), 0);
	KUNIT_EXPECT_EQ(test, axm_stats(t->file).views, 2);
	KUNIT_EXPECT_EQ(test, axm_stats(t->file).frames, 2);
	axm_teardown(t);
}

/* 2 MiB frames: one leaf over a whole block, split by a punch inside it. */
static void axas_memfile_huge(struct kunit *test)
{
	struct axm *t = axm_setup(test, SZ_4M, SZ_2M);
	struct axas_space *a = t->s[0].space, *b = t->s[1].space;
	struct axas_memfile_stats st;
	phys_addr_t h0, h1;
	u64 x = 5;

	KUNIT_ASSERT_EQ(test, axas_map_file(a, BASE_A, SZ_4M, t->file, 0, RW), 0);
	/* Not 2 MiB aligned against the file: 4 KiB leaves. */
	KUNIT_ASSERT_EQ(test, axas_map_file(b, BASE_B + SZ_4K, SZ_1M, t->file, 0, RW), 0);
	KUNIT_ASSERT_EQ(test, axas_fault(a, BASE_A + SZ_8K, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
	st = axm_stats(t->file);
	if (st.fallbacks)
		kunit_skip(test, "no free 2 MiB block");
	KUNIT_EXPECT_EQ(test, st.frames, 512);
	KUNIT_EXPECT_EQ(test, st.blocks, 1);
	KUNIT_EXPECT_EQ(test, axt_stats(a).leaves[1], 1);
	KUNIT_EXPECT_EQ(test, axas_fault(b, BASE_B + SZ_4K + SZ_8K, AXAS_ACCESS_READ),
			AXAS_FAULT_INSTALLED);
	KUNIT_EXPECT_EQ(test, axt_stats(b).leaves[0], 1);
	KUNIT_EXPECT_EQ(test, axm_hpa(test, a, BASE_A + SZ_8K),
			axm_hpa(test, b, BASE_B + SZ_4K + SZ_8K));
	KUNIT_ASSERT_EQ(test, axas_write(b, BASE_B + SZ_4K + SZ_64K, &x, 8,
					 AXAS_COPY_FAULT), 0);
	h1 = axm_hpa(test, a, BASE_A + SZ_64K + SZ_4K);

	KUNIT_EXPECT_EQ(test, vfs_fallocate(t->file, PUNCH, SZ_64K, SZ_4K), 0);
	st = axm_stats(t->file);
	KUNIT_EXPECT_EQ(test, st.frames, 511);
	KUNIT_EXPECT_EQ(test, st.blocks, 0);
	KUNIT_EXPECT_EQ(test, axas_translate_hpa(a, BASE_A + SZ_64K, &h0), -ENODATA);
	/* The rest of the leaf stays mapped, split, at the same frames. */
	KUNIT_EXPECT_EQ(test, axm_hpa(test, a, BASE_A + SZ_64K + SZ_4K), h1);
	KUNIT_EXPECT_EQ(test, axt_stats(a).leaves[1], 0);
	KUNIT_EXPECT_EQ(test, axt_stats(a).leaves[0], 511);
	/* The punched page faults in again, a 4 KiB frame. */
	KUNIT_EXPECT_EQ(test, axas_fault(a, BASE_A + SZ_64K, AXAS_ACCESS_READ),
			AXAS_FAULT_INSTALLED);
	KUNIT_EXPECT_EQ(test, axm_stats(t->file).frames, 512);
	axm_teardown(t);
}

/* Stand-in for axas_frames_alloc(): no block larger than 4 KiB is free. */
static unsigned long axm_no_blocks(unsigned int order, unsigned long nr,
				   struct page **pages, int node, gfp_t node_gfp)
{
	unsigned long i;

	if (order)
		return 0;
	for (i = 0; i < nr; i++) {
		pages[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!pages[i])
			break;
	}
	return i;
}

static void axas_memfile_fallback(struct kunit *test)
{
	struct axm *t = axm_setup(test, SZ_4M, SZ_2M);
	struct axas_memfile_stats st;
	u64 x = 9;

	kunit_activate_static_stub(test, axas_frames_alloc, axm_no_blocks);
	KUNIT_EXPECT_EQ(test, axm_write(t->file, SZ_2M, &x, 8), 8);
	kunit_deactivate_static_stub(test, axas_frames_alloc);
	st = axm_stats(t->file);
	KUNIT_EXPECT_EQ(test, st.frames, 1);
	KUNIT_EXPECT_EQ(test, st.blocks, 0);
	KUNIT_EXPECT_EQ(test, st.fallbacks, 1);
	axm_teardown(t);
}

/* The file's own cap, whoever faults. */
static void axas_memfile_cap(struct kunit *test)
{
	struct axm *t = axm_setup(test, SZ_1M, SZ_4K);
	struct axas_space *a = t->s[0].space;
	struct file *small = axm_file(test, SZ_1M, SZ_4K, 2);
	u64 x = 3;

	KUNIT_ASSERT_EQ(test, axas_map_file(a, BASE_A, SZ_1M, small, 0, RW), 0);
	KUNIT_EXPECT_EQ(test, axm_write(small, 0, &x, 8), 8);
	KUNIT_EXPECT_EQ(test, axas_fault(a, BASE_A + SZ_4K, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
	KUNIT_EXPECT_EQ(test, axm_write(small, SZ_8K, &x, 8), -ENOMEM);
	KUNIT_EXPECT_EQ(test, axas_fault(a, BASE_A + SZ_8K, AXAS_ACCESS_READ), -ENOMEM);
	KUNIT_EXPECT_EQ(test, axm_stats(small).frames, 2);
	/* A punch makes room. */
	KUNIT_EXPECT_EQ(test, vfs_fallocate(small, PUNCH, 0, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, axas_fault(a, BASE_A + SZ_8K, AXAS_ACCESS_READ),
			AXAS_FAULT_INSTALLED);
	axas_space_shutdown(a);
	__fput_sync(small);
	axm_teardown(t);
}

/*
 * The memory outlives the file while a view maps it, and goes with the
 * last view.
 */
static void axas_memfile_outlives(struct kunit *test)
{
	struct axm *t = axm_setup(test, SZ_1M, SZ_4K);
	struct axas_space *a = t->s[0].space;
	struct page *frame;
	u64 x = 42, v = 0;

	KUNIT_ASSERT_EQ(test, axas_map_file(a, BASE_A, SZ_1M, t->file, 0, RW), 0);
	KUNIT_ASSERT_EQ(test, axm_write(t->file, SZ_4K, &x, 8), 8);
	frame = axas_memfile_lookup(t->mf, 1);
	KUNIT_ASSERT_NOT_NULL(test, frame);
	get_page(frame);
	__fput_sync(t->file);
	t->file = NULL;
	KUNIT_EXPECT_EQ(test, axas_read(a, BASE_A + SZ_4K, &v, 8, AXAS_COPY_FAULT), 0);
	KUNIT_EXPECT_EQ(test, v, 42);
	KUNIT_EXPECT_EQ(test, page_count(frame), 2);
	axas_space_destroy(a);
	t->s[0].space = NULL;
	KUNIT_EXPECT_EQ_MSG(test, page_count(frame), 1,
			    "the frame was not freed with the last view");
	put_page(frame);
	axm_teardown(t);
}

/*
 * The file's log: a write through either view's table, a copy through a
 * space, userspace's write() and a punch; a valid write pin every time;
 * a read fault nothing. Harvests clear.
 */
static void axas_memfile_file_log(struct kunit *test)
{
	struct axm *t = axm_setup(test, SZ_1M, SZ_4K);
	struct axas_space *a = t->s[0].space, *b = t->s[1].space;
	unsigned long bm[BITS_TO_LONGS(256)];
	struct axas_translation tr;
	struct axas_pin pin;
	u64 x = 1;

	KUNIT_ASSERT_EQ(test, axas_map_file(a, BASE_A, SZ_1M, t->file, 0, RW), 0);
	KUNIT_ASSERT_EQ(test, axas_map_file(b, BASE_B, SZ_1M, t->file, 0, RW), 0);
	KUNIT_ASSERT_EQ(test, axas_fault(a, BASE_A, AXAS_ACCESS_WRITE), AXAS_FAULT_INSTALLED);
	KUNIT_ASSERT_EQ(test, axm_write(t->file, SZ_4K, &x, 8), 8);
	atomic_set(&t->s[0].flushes, 0);
	KUNIT_ASSERT_EQ(test, axas_memfile_log_start(t->file), 0);
	/* Written before: forgotten, and the write right went (a flush). */
	KUNIT_EXPECT_EQ(test, axas_memfile_log_get(t->file, 0, SZ_1M, bm), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&t->s[0].flushes), 0);
	KUNIT_ASSERT_EQ(test, axas_translate(a, BASE_A, 1, &tr), 0);
	KUNIT_EXPECT_FALSE(test, tr.prot & AXAS_PROT_WRITE);

	KUNIT_EXPECT_EQ(test, axas_fault(a, BASE_A, AXAS_ACCESS_WRITE), AXAS_FAULT_INSTALLED);
	KUNIT_EXPECT_EQ(test, axas_fault(b, BASE_B + 2 * SZ_4K, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
	KUNIT_EXPECT_EQ(test, axas_fault(b, BASE_B + 3 * SZ_4K, AXAS_ACCESS_READ),
			AXAS_FAULT_INSTALLED);
	KUNIT_EXPECT_EQ(test, axas_write(b, BASE_B + 4 * SZ_4K, &x, 8, AXAS_COPY_FAULT), 0);
	KUNIT_EXPECT_EQ(test, axm_write(t->file, 5 * SZ_4K, &x, 8), 8);
	KUNIT_EXPECT_EQ(test, vfs_fallocate(t->file, PUNCH, SZ_4K, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, axas_memfile_log_get(t->file, 0, SZ_1M, bm), 5);
	KUNIT_EXPECT_EQ(test, bm[0], 0x37UL);
	/* The read fault left its leaf without the write right. */
	KUNIT_ASSERT_EQ(test, axas_translate(b, BASE_B + 3 * SZ_4K, 1, &tr), 0);
	KUNIT_EXPECT_FALSE(test, tr.prot & AXAS_PROT_WRITE);
	KUNIT_EXPECT_EQ(test, axas_memfile_log_get(t->file, 0, SZ_1M, bm), 0);

	/* A write pin: reported by each harvest while it is valid. */
	axas_pin_init(&pin, a, axm_pin_gone, &t->s[0]);
	KUNIT_ASSERT_EQ(test, axas_pin_activate(&pin, BASE_A + 6 * SZ_4K, 8,
						AXAS_ACCESS_WRITE, AXAS_PIN_FAULT), 0);
	KUNIT_EXPECT_EQ(test, axas_memfile_log_get(t->file, 0, SZ_1M, bm), 1);
	KUNIT_EXPECT_EQ(test, axas_memfile_log_get(t->file, 0, SZ_1M, bm), 1);
	KUNIT_EXPECT_TRUE(test, test_bit(6, bm));
	axas_pin_release(&pin);
	/* Released: its writes reported once more, then no more. */
	KUNIT_EXPECT_EQ(test, axas_memfile_log_get(t->file, 0, SZ_1M, bm), 1);
	KUNIT_EXPECT_EQ(test, axas_memfile_log_clear(t->file, 0, SZ_1M), 0);
	KUNIT_EXPECT_EQ(test, axas_memfile_log_get(t->file, 0, SZ_1M, bm), 0);
	/* A protect gives no file page the write right; a write fault does. */
	KUNIT_ASSERT_EQ(test, axas_fault(a, BASE_A + 7 * SZ_4K, AXAS_ACCESS_READ),
			AXAS_FAULT_INSTALLED);
	KUNIT_EXPECT_EQ(test, axas_protect(a, BASE_A + 7 * SZ_4K, SZ_4K,
					   AXAS_PROT_READ), 0);
	KUNIT_EXPECT_EQ(test, axas_protect(a, BASE_A + 7 * SZ_4K, SZ_4K, RW), 0);
	KUNIT_ASSERT_EQ(test, axas_translate(a, BASE_A + 7 * SZ_4K, 1, &tr), 0);
	KUNIT_EXPECT_FALSE(test, tr.prot & AXAS_PROT_WRITE);
	KUNIT_EXPECT_EQ(test, axas_memfile_log_get(t->file, 0, SZ_1M, bm), 0);
	KUNIT_EXPECT_EQ(test, axas_fault(a, BASE_A + 7 * SZ_4K, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
	KUNIT_EXPECT_EQ(test, axas_memfile_log_get(t->file, 0, SZ_1M, bm), 1);
	KUNIT_EXPECT_TRUE(test, test_bit(7, bm));
	KUNIT_EXPECT_EQ(test, axas_memfile_log_stop(t->file), 0);
	/* The next write fault gives the right back, and 4 KiB leaves no more. */
	KUNIT_EXPECT_EQ(test, axas_fault(b, BASE_B + 3 * SZ_4K, AXAS_ACCESS_WRITE),
			AXAS_FAULT_INSTALLED);
	axm_teardown(t);
}

/* A space's log reports userspace's writes to its file pages when asked. */
static void axas_memfile_space_log(struct kunit *test)
{
	struct axm *t = axm_setup(test, SZ_1M, SZ_4K);
	struct axas_space *a = t->s[0].space, *b = t->s[1].space;
	unsigned long bm[BITS_TO_LONGS(256)];
	u64 x = 1;

	KUNIT_ASSERT_EQ(test, axas_map_file(a, BASE_A + SZ_64K, SZ_512K, t->file,
					    SZ_4K, RW), 0);
	KUNIT_ASSERT_EQ(test, axas_map_file(b, BASE_B, SZ_1M, t->file, 0, RW), 0);
	KUNIT_ASSERT_EQ(test, axas_dirty_log_start(a, BASE_A, SZ_1M,
						   AXAS_DIRTY_FILE), 0);
	KUNIT_ASSERT_EQ(test, axas_dirty_log_start(b, BASE_B, SZ_1M, 0), 0);
	/* File page 3 is A's GPA BASE_A + 64 KiB + 8 KiB (page 18). */
	KUNIT_EXPECT_EQ(test, axm_write(t->file, 3 * SZ_4K, &x, 8), 8);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_get(a, BASE_A, SZ_1M, bm), 1);
	KUNIT_EXPECT_TRUE(test, test_bit(18, bm));
	KUNIT_EXPECT_EQ(test, axas_dirty_log_get(a, BASE_A, SZ_1M, bm), 0);
	/* B did not ask: userspace's write is not B's. */
	KUNIT_EXPECT_EQ(test, axas_dirty_log_get(b, BASE_B, SZ_1M, bm), 0);
	/* A write through B is not userspace's: not in A's log. */
	KUNIT_EXPECT_EQ(test, axas_write(b, BASE_B + 3 * SZ_4K, &x, 8,
					 AXAS_COPY_FAULT), 0);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_get(a, BASE_A, SZ_1M, bm), 0);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_get(b, BASE_B, SZ_1M, bm), 1);
	/* A new view of A records from its start; a page outside: nothing. */
	KUNIT_ASSERT_EQ(test, axas_map_file(a, BASE_A + SZ_1M - SZ_64K, SZ_64K,
					    t->file, SZ_1M - SZ_64K, RW), 0);
	KUNIT_EXPECT_EQ(test, axm_write(t->file, SZ_1M - SZ_4K, &x, 8), 8);
	KUNIT_EXPECT_EQ(test, axm_write(t->file, SZ_1M - SZ_64K - SZ_4K, &x, 8), 8);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_get(a, BASE_A, SZ_1M, bm), 1);
	KUNIT_EXPECT_TRUE(test, test_bit(255, bm));
	KUNIT_EXPECT_EQ(test, axas_dirty_log_stop(a), 0);
	KUNIT_EXPECT_EQ(test, axas_dirty_log_stop(b), 0);
	axm_teardown(t);
}

/* Content saved through one file (data only) and loaded into another. */
static void axas_memfile_save_load(struct kunit *test)
{
	struct axm *t = axm_setup(test, SZ_4M, SZ_4K);
	struct file *copy = axm_file(test, SZ_4M, SZ_4K, 0);
	u8 *buf = vmalloc(SZ_4M), *back = vmalloc(SZ_4M);
	loff_t data, hole = 0;
	unsigned int i;
	u64 x;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, back);
	for (i = 0; i < 37; i++) {
		x = 0xa5a5000000000000ULL | i;
		KUNIT_ASSERT_EQ(test, axm_write(t->file, (u64)(i * 27 % 1024) * SZ_4K + i,
						&x, 8), 8);
	}
	/* Save: the data segments only, as cp --sparse would. */
	for (;;) {
		data = vfs_llseek(t->file, hole, SEEK_DATA);
		if (data < 0)
			break;
		hole = vfs_llseek(t->file, data, SEEK_HOLE);
		KUNIT_ASSERT_GT(test, hole, data);
		KUNIT_ASSERT_EQ(test, axm_read(t->file, data, buf, hole - data),
				hole - data);
		KUNIT_ASSERT_EQ(test, axm_write(copy, data, buf, hole - data), hole - data);
	}
	KUNIT_EXPECT_EQ(test, data, -ENXIO);
	KUNIT_EXPECT_EQ(test, axm_stats(copy).frames, axm_stats(t->file).frames);
	KUNIT_EXPECT_EQ(test, axm_read(t->file, 0, buf, SZ_4M), SZ_4M);
	KUNIT_EXPECT_EQ(test, axm_read(copy, 0, back, SZ_4M), SZ_4M);
	KUNIT_EXPECT_EQ(test, memcmp(buf, back, SZ_4M), 0);
	vfree(buf);
	vfree(back);
	__fput_sync(copy);
	axm_teardown(t);
}

/*
 * A snapshot of A saves the file pages A maps; a restore puts them back
 * into the file, which B then reads, B's pin on a page that changed
 * invalidated first. A page absent at the take reads zeros again.
 */
static void axas_memfile_snapshot(struct kunit *test)
{
	struct axm *t = axm_setup(test, SZ_1M, SZ_4K);
	struct axas_space *a = t->s[0].space, *b = t->s[1].space;
	struct axas_pin pin, still;
	u64 x = 11, y = 22, v = 0;

	KUNIT_ASSERT_EQ(test, axas_map_alloc(a, BASE_A, SZ_64K, RW, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_map_file(a, BASE_A + SZ_1M, SZ_1M, t->file, 0, RW), 0);
	KUNIT_ASSERT_EQ(test, axas_map_file(b, BASE_B, SZ_1M, t->file, 0, RW), 0);
	KUNIT_ASSERT_EQ(test, axas_write(a, BASE_A + SZ_1M, &x, 8, AXAS_COPY_FAULT), 0);
	KUNIT_ASSERT_EQ(test, axm_write(t->file, SZ_4K, &x, 8), 8);
	KUNIT_ASSERT_EQ(test, axm_write(t->file, 5 * SZ_4K, &x, 8), 8);
	KUNIT_ASSERT_EQ(test, axas_snapshot_take(a), 0);
	KUNIT_EXPECT_EQ(test, axt_stats(a).snapshot_frames, 3);

	KUNIT_ASSERT_EQ(test, axas_write(b, BASE_B, &y, 8, AXAS_COPY_FAULT), 0);
	KUNIT_ASSERT_EQ(test, axm_write(t->file, SZ_4K, &y, 8), 8);
	KUNIT_ASSERT_EQ(test, axm_write(t->file, 2 * SZ_4K, &y, 8), 8);
	axas_pin_init(&pin, b, axm_pin_gone, &t->s[1]);
	axas_pin_init(&still, b, axm_pin_gone, &t->s[1]);
	KUNIT_ASSERT_EQ(test, axas_pin_activate(&pin, BASE_B, 8, AXAS_ACCESS_READ,
						AXAS_PIN_FAULT), 0);
	KUNIT_ASSERT_EQ(test, axas_pin_activate(&still, BASE_B + 5 * SZ_4K, 8,
						AXAS_ACCESS_READ, AXAS_PIN_FAULT), 0);
	t->nev = 0;
	KUNIT_EXPECT_EQ(test, axas_snapshot_restore(a), 3);
	t->events[t->nev] = 0;
	/* B's pin of a page that changed, then B's flush; A had no pin. */
	KUNIT_EXPECT_STREQ(test, t->events, "bB");
	KUNIT_EXPECT_FALSE(test, axas_pin_lock(&pin));
	axas_pin_unlock(&pin);
	KUNIT_EXPECT_TRUE(test, axas_pin_lock(&still));
	axas_pin_unlock(&still);
	KUNIT_EXPECT_EQ(test, axas_read(b, BASE_B, &v, 8, 0), 0);
	KUNIT_EXPECT_EQ(test, v, x);
	KUNIT_EXPECT_EQ(test, axm_read(t->file, SZ_4K, &v, 8), 8);
	KUNIT_EXPECT_EQ(test, v, x);
	KUNIT_EXPECT_EQ(test, axm_read(t->file, 2 * SZ_4K, &v, 8), 8);
	KUNIT_EXPECT_EQ(test, v, 0);
	/* Nothing changed since: nothing to restore. */
	KUNIT_EXPECT_EQ(test, axas_snapshot_restore(a), 0);
	axas_pin_release(&pin);
	axas_pin_release(&still);
	KUNIT_EXPECT_EQ(test, axas_snapshot_drop(a), 0);
	KUNIT_EXPECT_EQ(test, axt_stats(a).snapshot_frames, 0);
	axm_teardown(t);
}

/* ---- stress ---------------------------------------------------------- */

#define AXM_PAGES	256
#define AXM_ROUNDS	400

/*
 * Every word of page @i is 0 or (@i << 32 | a generation): a reader that
 * finds another page's value or anything else reads a frame the page no
 * longer has (freed before every view let go of it).
 */
static bool axm_word_ok(u64 w, unsigned int i)
{
	return !w || (w >> 32) == i;
}

struct axm_stress {
	struct axm *t;
	u32 seed;
	atomic_t bad;
	atomic_t ops;
	char first[96];
	bool stop;
};

static void axm_bad(struct axm_stress *st, const char *what, u64 gpa, u64 w)
{
	if (atomic_inc_return(&st->bad) == 1)
		snprintf(st->first, sizeof(st->first), "%s at %#llx: %#llx", what,
			 gpa, w);
}

/* Write a page's value through space A or the file, then read through B. */
static int axm_writer(void *arg)
{
	struct axm_stress *st = arg;
	struct axm *t = st->t;
	u32 r = st->seed ^ 0x5bd1e995;
	u64 *page = kmalloc(PAGE_SIZE, GFP_KERNEL);
	unsigned int i, k, gen = 1;
	int ret;

	while (page && !READ_ONCE(st->stop)) {
		r = r * 1103515245 + 12345;
		i = (r >> 8) % AXM_PAGES;
		for (k = 0; k < PAGE_SIZE / 8; k++)
			page[k] = (u64)i << 32 | gen;
		gen++;
		if (r & 1)
			ret = axas_write(t->s[0].space, BASE_A + (u64)i * PAGE_SIZE,
					 page, PAGE_SIZE, AXAS_COPY_FAULT);
		else
			ret = axm_write(t->file, (u64)i * PAGE_SIZE, page,
					PAGE_SIZE) == PAGE_SIZE ? 0 : -EIO;
		if (ret && ret != -ENOENT)
			axm_bad(st, "write failed", i, ret);
		ret = axas_read(t->s[1].space, BASE_B + (u64)i * PAGE_SIZE, page,
				PAGE_SIZE, AXAS_COPY_FAULT);
		for (k = 0; !ret && k < PAGE_SIZE / 8; k++)
			if (!axm_word_ok(page[k], i)) {
				axm_bad(st, "B read", BASE_B + (u64)i * PAGE_SIZE, page[k]);
				break;
			}
		atomic_inc(&st->ops);
		cond_resched();
	}
	kfree(page);
	while (!kthread_should_stop())
		usleep_range(1000, 2000);
	return 0;
}

/*
 * Faults in both spaces, and the page's content under the space's lock
 * (a frame freed before every view let go of it is a use after free that
 * KASAN reports, or a value of another page).
 */
static int axm_faulter(void *arg)
{
	struct axm_stress *st = arg;
	struct axm *t = st->t;
	u32 r = st->seed ^ 0x1b873593;
	unsigned int i, s;
	u64 gpa, w;
	int ret;

	while (!READ_ONCE(st->stop)) {
		r = r * 1103515245 + 12345;
		i = (r >> 8) % AXM_PAGES;
		s = r & 1;
		gpa = (s ? BASE_B : BASE_A) + (u64)i * PAGE_SIZE;
		ret = axas_fault(t->s[s].space, gpa, r & 2 ? AXAS_ACCESS_WRITE :
				 AXAS_ACCESS_READ);
		if (ret < 0 && ret != -ENOENT)
			axm_bad(st, "fault", gpa, ret);
		ret = axas_read(t->s[s].space, gpa + (r >> 20) % 512 * 8, &w, 8, 0);
		if (!ret && !axm_word_ok(w, i))
			axm_bad(st, "read", gpa, w);
		atomic_inc(&st->ops);
		cond_resched();
	}
	while (!kthread_should_stop())
		usleep_range(1000, 2000);
	return 0;
}

/*
 * The test's own thread: punches, unmaps and maps of A's view again,
 * and harvests of the file's log, while the others write and fault.
 */
static void axas_memfile_stress(struct kunit *test)
{
	struct axm *t = axm_setup(test, AXM_PAGES * PAGE_SIZE, SZ_4K);
	struct axas_space *a = t->s[0].space, *b = t->s[1].space;
	unsigned long bm[BITS_TO_LONGS(AXM_PAGES)];
	struct axm_stress *st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);
	struct task_struct *tasks[3];
	unsigned int n, i, k;
	bool warned;
	u32 r;

	KUNIT_ASSERT_NOT_NULL(test, st);
	st->t = t;
	st->seed = axm_seed ?: get_random_u32();
	kunit_info(test, "seed %u (axm_seed= to replay)\n", st->seed);
	r = st->seed;
	KUNIT_ASSERT_EQ(test, axas_map_file(a, BASE_A, AXM_PAGES * PAGE_SIZE,
					    t->file, 0, RW), 0);
	KUNIT_ASSERT_EQ(test, axas_map_file(b, BASE_B, AXM_PAGES * PAGE_SIZE,
					    t->file, 0, RW), 0);
	KUNIT_ASSERT_EQ(test, axas_memfile_log_start(t->file), 0);
	/* A kernel warning (a frame freed while mapped, say) fails the case. */
	warned = test_taint(TAINT_WARN);
	tasks[0] = kthread_run(axm_writer, st, "axm-writer");
	tasks[1] = kthread_run(axm_faulter, st, "axm-fault0");
	tasks[2] = kthread_run(axm_faulter, st, "axm-fault1");
	for (n = 0; n < AXM_ROUNDS; n++) {
		r = r * 1103515245 + 12345;
		i = (r >> 8) % AXM_PAGES;
		k = 1 + (r >> 20) % 8;
		k = min(k, AXM_PAGES - i);
		switch (r & 3) {
		case 0:
			KUNIT_EXPECT_EQ(test, vfs_fallocate(t->file, PUNCH,
							    (u64)i * PAGE_SIZE,
							    (u64)k * PAGE_SIZE), 0);
			break;
		case 1:
			KUNIT_EXPECT_EQ(test, axas_unmap(a, BASE_A + (u64)i * PAGE_SIZE,
							 (u64)k * PAGE_SIZE), 0);
			KUNIT_EXPECT_EQ(test, axas_map_file(a, BASE_A + (u64)i * PAGE_SIZE,
							    (u64)k * PAGE_SIZE, t->file,
							    (u64)i * PAGE_SIZE, RW), 0);
			break;
		default:
			KUNIT_EXPECT_GE(test, axas_memfile_log_get(t->file, 0,
								   AXM_PAGES * PAGE_SIZE,
								   bm), 0);
			break;
		}
		cond_resched();
	}
	WRITE_ONCE(st->stop, true);
	for (n = 0; n < ARRAY_SIZE(tasks); n++)
		if (!IS_ERR(tasks[n]))
			kthread_stop(tasks[n]);
	kunit_info(test, "%d operations beside %u rounds\n", atomic_read(&st->ops),
		   AXM_ROUNDS);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&st->bad), 0, "first: %s", st->first);
	KUNIT_EXPECT_FALSE_MSG(test, !warned && test_taint(TAINT_WARN),
			       "the kernel warned during the run (see its console)");
	KUNIT_EXPECT_EQ(test, axas_memfile_log_stop(t->file), 0);
	axm_teardown(t);
}

static struct kunit_case axas_memfile_cases[] = {
	KUNIT_CASE(axas_memfile_bad_input),
	KUNIT_CASE(axas_memfile_read_write),
	KUNIT_CASE(axas_memfile_views_share),
	KUNIT_CASE(axas_memfile_punch_order),
	KUNIT_CASE(axas_memfile_one_view),
	KUNIT_CASE(axas_memfile_huge),
	KUNIT_CASE(axas_memfile_fallback),
	KUNIT_CASE(axas_memfile_cap),
	KUNIT_CASE(axas_memfile_outlives),
	KUNIT_CASE(axas_memfile_file_log),
	KUNIT_CASE(axas_memfile_space_log),
	KUNIT_CASE(axas_memfile_save_load),
	KUNIT_CASE(axas_memfile_snapshot),
	KUNIT_CASE_SLOW(axas_memfile_stress),
	{}
};

static struct kunit_suite axas_memfile_suite = {
	.name = "axas_memfile",
	.test_cases = axas_memfile_cases,
};

kunit_test_suites(&axas_memfile_suite);
