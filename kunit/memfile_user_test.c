// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of a memory file used from userspace while the kernel uses
 * it: the case starts kernel threads that fault, write, unmap, punch and
 * harvest, and runs a static userspace program (kunit/user/, put into the
 * test's initramfs at /bin/axas-memfile-user by scripts/kunit.sh) as a
 * user-mode helper, with the memory file and a control file installed in
 * its file table. The program maps the file, writes, reads and punches
 * its half of the pages and checks every page's content, what the kernel
 * reads through a space, and what the file's log and a space's log
 * (AXAS_DIRTY_FILE) report, against its model; it checks the kernel's
 * half for values of other pages. Its verdict comes back through the
 * control file; lockdep and KASAN watch the whole run.
 */
#include <kunit/test.h>
#include <linux/anon_inodes.h>
#include <linux/delay.h>
#include <linux/types.h>
#include <linux/falloc.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/umh.h>

#include <axas/axas.h>
#include <axas/memfile.h>

#include "axas_test.h"
#include "memfile_user.h"

#define RW		(AXAS_PROT_READ | AXAS_PROT_WRITE)
#define BASE_A		((u64)SZ_1G)
#define BASE_B		(2ULL * SZ_1G)
#define FILE_SIZE	((u64)AXMU_PAGES * PAGE_SIZE)
#define PUNCH		(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)
#define PROGRAM		"/bin/axas-memfile-user"

struct axmu {
	struct kunit *test;
	struct file *file;
	struct file *ctl;
	struct axas_space *a, *b;
	long tables_base;
	u32 seed;
	/* the program's file descriptors and seed, as its arguments */
	char argv_fd[2][12];
	char argv_seed[12];
	/* what the program said */
	unsigned int fails;
	char first_fail[160];
	bool done;
	struct axmu_done summary;
	/* the kernel threads */
	bool stop;
	atomic_t bad;
	atomic_t ops;
	char bad_first[96];
};

static void axmu_flush(void *cookie, u64 gpa, u64 size)
{
}

static long axmu_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct axmu *t = file->private_data;
	void __user *uarg = (void __user *)arg;
	unsigned long *bits;
	struct axmu_harvest h;
	struct axmu_read r;
	struct axmu_msg m;
	void *buf;

	switch (cmd) {
	case AXMU_IOC_LOG:
	case AXMU_IOC_FAIL:
		if (copy_from_user(&m, uarg, sizeof(m)))
			return -EFAULT;
		m.text[sizeof(m.text) - 1] = 0;
		if (cmd == AXMU_IOC_FAIL && !t->fails++)
			strscpy(t->first_fail, m.text, sizeof(t->first_fail));
		kunit_info(t->test, "program: %s%s\n",
			   cmd == AXMU_IOC_FAIL ? "FAIL: " : "", m.text);
		return 0;
	case AXMU_IOC_DONE:
		if (copy_from_user(&t->summary, uarg, sizeof(t->summary)))
			return -EFAULT;
		t->done = true;
		return 0;
	case AXMU_IOC_FILE_LOG:
	case AXMU_IOC_SPACE_LOG:
		if (copy_from_user(&h, uarg, sizeof(h)))
			return -EFAULT;
		if (h.size > FILE_SIZE)
			return -EINVAL;
		bits = kcalloc(BITS_TO_LONGS(AXMU_PAGES), sizeof(long), GFP_KERNEL);
		if (!bits)
			return -ENOMEM;
		if (cmd == AXMU_IOC_FILE_LOG)
			h.ret = axas_memfile_log_get(t->file, h.where, h.size, bits);
		else
			h.ret = axas_dirty_log_get(t->a, BASE_A + h.where, h.size, bits);
		if (h.ret >= 0 &&
		    copy_to_user(u64_to_user_ptr(h.bitmap), bits,
				 BITS_TO_LONGS(h.size >> PAGE_SHIFT) * sizeof(long)))
			h.ret = -EFAULT;
		kfree(bits);
		return copy_to_user(uarg, &h, sizeof(h)) ? -EFAULT : 0;
	case AXMU_IOC_READ:
		if (copy_from_user(&r, uarg, sizeof(r)))
			return -EFAULT;
		if (r.len > PAGE_SIZE || r.off >= FILE_SIZE)
			return -EINVAL;
		buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
		r.ret = axas_read(t->b, BASE_B + r.off, buf, r.len, AXAS_COPY_FAULT);
		if (!r.ret && copy_to_user(u64_to_user_ptr(r.buf), buf, r.len))
			r.ret = -EFAULT;
		kfree(buf);
		return copy_to_user(uarg, &r, sizeof(r)) ? -EFAULT : 0;
	}
	return -ENOTTY;
}

static const struct file_operations axmu_ctl_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = axmu_ioctl,
};

/* ---- the kernel's side: threads on its half of the pages ---------------- */

static void axmu_bad(struct axmu *t, const char *what, u64 where, s64 v)
{
	if (atomic_inc_return(&t->bad) == 1)
		snprintf(t->bad_first, sizeof(t->bad_first), "%s at %#llx: %#llx",
			 what, where, v);
}

static unsigned int axmu_kpage(u32 *r)
{
	*r = *r * 1103515245 + 12345;
	return AXMU_USER_PAGES + (*r >> 8) % (AXMU_PAGES - AXMU_USER_PAGES);
}

/*
 * A guest: writes the kernel's pages through space A (page i holds
 * i << 32 | generation in every word), faults them for writing through
 * B, and faults every page of the file for reading through B.
 */
static int axmu_guest(void *arg)
{
	struct axmu *t = arg;
	u64 *page = kmalloc(PAGE_SIZE, GFP_KERNEL);
	u32 r = t->seed ^ 0x9e3779b9, gen = 1;
	unsigned int i, k;
	int ret;

	while (page && !READ_ONCE(t->stop)) {
		i = axmu_kpage(&r);
		for (k = 0; k < PAGE_SIZE / 8; k++)
			page[k] = (u64)i << 32 | gen;
		gen++;
		ret = axas_write(t->a, BASE_A + (u64)i * PAGE_SIZE, page, PAGE_SIZE,
				 AXAS_COPY_FAULT);
		if (ret && ret != -ENOENT)
			axmu_bad(t, "guest write", i, ret);
		ret = axas_fault(t->b, BASE_B + (u64)axmu_kpage(&r) * PAGE_SIZE,
				 AXAS_ACCESS_WRITE);
		if (ret < 0)
			axmu_bad(t, "guest write fault", 0, ret);
		ret = axas_fault(t->b, BASE_B + (u64)((r >> 4) % AXMU_PAGES) * PAGE_SIZE,
				 AXAS_ACCESS_READ);
		if (ret < 0)
			axmu_bad(t, "guest read fault", 0, ret);
		atomic_inc(&t->ops);
		usleep_range(50, 100);
	}
	kfree(page);
	while (!kthread_should_stop())
		usleep_range(1000, 2000);
	return 0;
}

/* Punches of the kernel's pages; unmaps and maps of them in A again. */
static int axmu_puncher(void *arg)
{
	struct axmu *t = arg;
	u32 r = t->seed ^ 0x85ebca6b;
	unsigned int i;
	u64 off;
	int ret;

	while (!READ_ONCE(t->stop)) {
		i = axmu_kpage(&r);
		off = (u64)i * PAGE_SIZE;
		if (r & 1) {
			ret = vfs_fallocate(t->file, PUNCH, off, PAGE_SIZE);
			if (ret)
				axmu_bad(t, "punch", off, ret);
		} else {
			ret = axas_unmap(t->a, BASE_A + off, PAGE_SIZE);
			if (!ret)
				ret = axas_map_file(t->a, BASE_A + off, PAGE_SIZE,
						    t->file, off, RW);
			if (ret)
				axmu_bad(t, "remap", off, ret);
		}
		atomic_inc(&t->ops);
		usleep_range(200, 400);
	}
	while (!kthread_should_stop())
		usleep_range(1000, 2000);
	return 0;
}

/* Harvests of the kernel's half: of the file's log and of A's. */
static int axmu_harvester(void *arg)
{
	struct axmu *t = arg;
	u64 half = (u64)AXMU_USER_PAGES * PAGE_SIZE;
	unsigned long *bits = kcalloc(BITS_TO_LONGS(AXMU_PAGES), sizeof(long),
				      GFP_KERNEL);
	long ret;

	while (bits && !READ_ONCE(t->stop)) {
		ret = axas_memfile_log_get(t->file, half, FILE_SIZE - half, bits);
		if (ret < 0)
			axmu_bad(t, "file log", 0, ret);
		ret = axas_dirty_log_get(t->a, BASE_A + half, FILE_SIZE - half, bits);
		if (ret < 0)
			axmu_bad(t, "space log", 0, ret);
		atomic_inc(&t->ops);
		usleep_range(500, 1000);
	}
	kfree(bits);
	while (!kthread_should_stop())
		usleep_range(1000, 2000);
	return 0;
}

/* ---- the program -------------------------------------------------------- */

/*
 * In the helper's new process, before it executes the program: the
 * memory file and the control file go into its file table, and their
 * numbers into its arguments.
 */
static int axmu_umh_init(struct subprocess_info *info, struct cred *new)
{
	struct axmu *t = info->data;
	struct file *files[2] = { t->file, t->ctl };
	unsigned int i;
	int fd;

	for (i = 0; i < 2; i++) {
		fd = get_unused_fd_flags(0);
		if (fd < 0)
			return fd;
		fd_install(fd, get_file(files[i]));
		snprintf(t->argv_fd[i], sizeof(t->argv_fd[i]), "%d", fd);
	}
	return 0;
}

static void axas_memfile_user_program(struct kunit *test)
{
	struct axas_memfile_cfg mcfg = {
		.name = "kunit-memfile-user", .size = FILE_SIZE, .pgsize = SZ_4K,
	};
	struct axt_fmt f = { "npt4", AXAS_PT_NPT, 4 };
	struct axas_space_cfg cfg = {
		.size = SZ_1G, .flush = axmu_flush,
	};
	char *argv[5] = {}, *envp[2] = {};
	struct task_struct *tasks[3];
	struct subprocess_info *info;
	bool warned;
	struct axmu *t;
	unsigned int i;
	int ret;

	/*
	 * UML's flush_tlb_mm() walks the VMAs of the mm without its lock, which
	 * a zap of a file's mappings from another task does not hold: lockdep
	 * reports it (a kernel's report, not axas's). The x86_64 run has it.
	 */
	if (IS_ENABLED(CONFIG_UML))
		kunit_skip(test, "UML's TLB flush of another mm is not lockdep clean");
	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	t->test = test;
	t->seed = get_random_u32();
	t->tables_base = axt_live_tables();
	snprintf(t->argv_seed, sizeof(t->argv_seed), "%u", t->seed);
	kunit_info(test, "seed %u\n", t->seed);
	cfg.pt = axt_pt_cfg_all(&f);
	cfg.base = BASE_A;
	cfg.name = "kunit-mfu-a";
	t->a = axas_space_create(&cfg);
	KUNIT_ASSERT_FALSE(test, IS_ERR(t->a));
	cfg.base = BASE_B;
	cfg.name = "kunit-mfu-b";
	t->b = axas_space_create(&cfg);
	KUNIT_ASSERT_FALSE(test, IS_ERR(t->b));
	t->file = axas_memfile_create(&mcfg);
	KUNIT_ASSERT_FALSE(test, IS_ERR(t->file));
	t->ctl = anon_inode_getfile("axas-memfile-user", &axmu_ctl_fops, t, O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(t->ctl));
	KUNIT_ASSERT_EQ(test, axas_map_file(t->a, BASE_A, FILE_SIZE, t->file, 0, RW), 0);
	KUNIT_ASSERT_EQ(test, axas_map_file(t->b, BASE_B, FILE_SIZE, t->file, 0, RW), 0);
	KUNIT_ASSERT_EQ(test, axas_memfile_log_start(t->file), 0);
	KUNIT_ASSERT_EQ(test, axas_dirty_log_start(t->a, BASE_A, FILE_SIZE,
						   AXAS_DIRTY_FILE), 0);

	/* A kernel warning (a frame freed while mapped, say) fails the case. */
	warned = test_taint(TAINT_WARN);
	tasks[0] = kthread_run(axmu_guest, t, "axmu-guest");
	tasks[1] = kthread_run(axmu_puncher, t, "axmu-punch");
	tasks[2] = kthread_run(axmu_harvester, t, "axmu-harvest");
	argv[0] = PROGRAM;
	argv[1] = t->argv_fd[0];
	argv[2] = t->argv_fd[1];
	argv[3] = t->argv_seed;
	envp[0] = "PATH=/bin";
	info = call_usermodehelper_setup(PROGRAM, argv, envp, GFP_KERNEL,
					 axmu_umh_init, NULL, t);
	ret = info ? call_usermodehelper_exec(info, UMH_WAIT_PROC) : -ENOMEM;
	WRITE_ONCE(t->stop, true);
	for (i = 0; i < ARRAY_SIZE(tasks); i++)
		if (!IS_ERR(tasks[i]))
			kthread_stop(tasks[i]);

	kunit_info(test, "kernel threads: %d operations\n", atomic_read(&t->ops));
	KUNIT_EXPECT_EQ_MSG(test, ret, 0, "%s: exit status %#x (-ENOENT: not in the initramfs)",
			    PROGRAM, ret);
	KUNIT_EXPECT_TRUE_MSG(test, t->done, "the program did not finish");
	KUNIT_EXPECT_EQ(test, t->summary.rounds, AXMU_ROUNDS);
	KUNIT_EXPECT_GT(test, t->summary.checks, 0);
	KUNIT_EXPECT_EQ_MSG(test, t->fails, 0, "first: %s", t->first_fail);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&t->bad), 0, "kernel side: %s",
			    t->bad_first);
	KUNIT_EXPECT_GT(test, atomic_read(&t->ops), 0);
	KUNIT_EXPECT_FALSE_MSG(test, !warned && test_taint(TAINT_WARN),
			       "the kernel warned during the run (see its console)");

	KUNIT_EXPECT_EQ(test, axas_dirty_log_stop(t->a), 0);
	KUNIT_EXPECT_EQ(test, axas_memfile_log_stop(t->file), 0);
	axas_space_destroy(t->a);
	axas_space_destroy(t->b);
	__fput_sync(t->ctl);
	__fput_sync(t->file);
	KUNIT_EXPECT_EQ_MSG(test, axt_live_tables(), t->tables_base,
			    "table pages leaked");
}

static struct kunit_case axas_memfile_user_cases[] = {
	KUNIT_CASE_SLOW(axas_memfile_user_program),
	{}
};

static struct kunit_suite axas_memfile_user_suite = {
	.name = "axas_memfile_user",
	.test_cases = axas_memfile_user_cases,
};

kunit_test_suites(&axas_memfile_user_suite);
