// SPDX-License-Identifier: GPL-2.0
/*
 * axas-memfile-user FILE_FD CONTROL_FD SEED - the userspace half of the
 * axas_memfile_user KUnit suite (kunit/memfile_user_test.c), built static
 * by scripts/kunit.sh and run by the suite as a user-mode helper while
 * kernel threads fault, write, unmap, punch and harvest.
 *
 * Pages [0, AXMU_USER_PAGES) of the memory file are this program's: it
 * writes them (through its mapping or pwrite()), punches them, and keeps
 * a model of their content (page p holds p << 32 | generation in every
 * word, or zeros) and of the pages written or punched since each log's
 * last harvest. It checks, each round: every one of its pages through
 * its mapping, some of them through space B (a kernel read), and at
 * intervals what the file's log and space A's log (AXAS_DIRTY_FILE)
 * report: every page written since, nothing but pages written or punched
 * since. The kernel's pages it only reads: every word 0 or a value of
 * that page. Then what userspace may not do: ftruncate(), MAP_PRIVATE, a
 * touch beyond the end (SIGBUS).
 *
 * It reports through the control file (its stdout is nothing): each
 * failure, a few lines of progress, and a summary at the end; its exit
 * status is the number of failures (at most 255).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../memfile_user.h"

#define PAGE		4096UL
#define WORDS		(PAGE / 8)
#define BITS_PER_LONG	(8 * sizeof(unsigned long))
#define BM_LONGS	(AXMU_PAGES / BITS_PER_LONG)

static int mf, ctl;
/* What a touch that must not return read. */
static __u64 sink;
static unsigned int failures, checks;
static __u32 rnd;

static __u32 next_rand(void)
{
	rnd = rnd * 1103515245 + 12345;
	return rnd >> 8;
}

static void say(unsigned long cmd, const char *fmt, ...)
{
	struct axmu_msg m = {};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m.text, sizeof(m.text), fmt, ap);
	va_end(ap);
	ioctl(ctl, cmd, &m);
}

#define fail(fmt, ...) do {						\
	failures++;							\
	if (failures <= 8)						\
		say(AXMU_IOC_FAIL, fmt, ##__VA_ARGS__);			\
} while (0)

static int test_bit(const unsigned long *bm, unsigned int n)
{
	return (bm[n / BITS_PER_LONG] >> (n % BITS_PER_LONG)) & 1;
}

/* Page @p's model: its generation (0: zeros). */
static __u32 gen[AXMU_USER_PAGES];
/* Written (or punched: p_) since the last harvest of the file's log / A's. */
static unsigned char w_file[AXMU_USER_PAGES], p_file[AXMU_USER_PAGES];
static unsigned char w_space[AXMU_USER_PAGES], p_space[AXMU_USER_PAGES];

static __u64 value(unsigned int p)
{
	return gen[p] ? (__u64)p << 32 | gen[p] : 0;
}

static void check_page(const __u64 *words, unsigned int p, const char *how)
{
	unsigned int k;

	checks++;
	for (k = 0; k < WORDS; k++)
		if (words[k] != value(p)) {
			fail("page %u through %s: word %u is %#llx, expected %#llx",
			     p, how, k, (unsigned long long)words[k],
			     (unsigned long long)value(p));
			return;
		}
}

/* The kernel's pages: every word 0 or a value of that page. */
static void check_kernel_page(const __u64 *words, unsigned int p)
{
	unsigned int k;

	checks++;
	for (k = 0; k < WORDS; k++)
		if (words[k] && words[k] >> 32 != p) {
			fail("kernel page %u: word %u is %#llx, another page's",
			     p, k, (unsigned long long)words[k]);
			return;
		}
}

static void write_page(__u64 *map, unsigned int p, __u32 g)
{
	static __u64 buf[WORDS];
	unsigned int k;

	gen[p] = g;
	w_file[p] = 1;
	w_space[p] = 1;
	if (g & 1) {
		for (k = 0; k < WORDS; k++)
			map[p * WORDS + k] = value(p);
		return;
	}
	for (k = 0; k < WORDS; k++)
		buf[k] = value(p);
	if (pwrite(mf, buf, PAGE, p * PAGE) != (ssize_t)PAGE)
		fail("pwrite of page %u: %s", p, strerror(errno));
}

static void punch_page(__u64 *map, unsigned int p)
{
	if (fallocate(mf, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, p * PAGE,
		      PAGE)) {
		fail("punch of page %u: %s", p, strerror(errno));
		return;
	}
	gen[p] = 0;
	p_file[p] = 1;
	p_space[p] = 1;
	/* The mapping lost the page: zeros at once. */
	check_page(map + p * WORDS, p, "the mapping after its punch");
}

/*
 * A harvest of the program's pages: every page written since must be
 * reported, and nothing but pages written or punched since (a punch of a
 * page that was a hole changes nothing and may not be reported).
 */
static void check_harvest(unsigned long cmd, const char *name,
			  unsigned char *w, unsigned char *punched)
{
	unsigned long bm[BM_LONGS] = {};
	struct axmu_harvest h = {
		.where = 0, .size = AXMU_USER_PAGES * PAGE,
		.bitmap = (uintptr_t)bm,
	};
	unsigned int p;

	checks++;
	if (ioctl(ctl, cmd, &h) || h.ret < 0) {
		fail("%s harvest: %s, %lld", name, strerror(errno), (long long)h.ret);
		return;
	}
	for (p = 0; p < AXMU_USER_PAGES; p++) {
		if (w[p] && !test_bit(bm, p))
			fail("%s harvest: page %u written, not reported", name, p);
		else if (test_bit(bm, p) && !w[p] && !punched[p])
			fail("%s harvest: page %u reported, neither written nor punched",
			     name, p);
	}
	memset(w, 0, AXMU_USER_PAGES);
	memset(punched, 0, AXMU_USER_PAGES);
}

/* The kernel reads page @p through space B. */
static void check_kernel_read(unsigned int p)
{
	static __u64 buf[WORDS];
	struct axmu_read r = {
		.off = p * PAGE, .buf = (uintptr_t)buf, .len = PAGE,
	};

	if (ioctl(ctl, AXMU_IOC_READ, &r) || r.ret) {
		fail("read of page %u through space B: %s, %lld", p,
		     strerror(errno), (long long)r.ret);
		return;
	}
	check_page(buf, p, "space B");
}

static sigjmp_buf bus_jmp;

static void on_bus(int sig)
{
	siglongjmp(bus_jmp, 1);
}

/* What userspace may not do. */
static void check_refusals(void)
{
	struct sigaction sa = { .sa_handler = on_bus };
	__u64 *beyond;
	void *m;

	checks++;
	if (ftruncate(mf, PAGE) != -1 || errno != EPERM)
		fail("ftruncate: %s, expected EPERM", strerror(errno));
	m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, mf, 0);
	if (m != MAP_FAILED || errno != EINVAL)
		fail("mmap(MAP_PRIVATE): %s, expected EINVAL",
		     m == MAP_FAILED ? strerror(errno) : "mapped");
	/* A mapping beyond the end maps, and a touch there gets SIGBUS. */
	m = mmap(NULL, (AXMU_PAGES + 1) * PAGE, PROT_READ, MAP_SHARED, mf, 0);
	if (m == MAP_FAILED) {
		fail("mmap beyond the end: %s", strerror(errno));
		return;
	}
	beyond = (__u64 *)((char *)m + AXMU_PAGES * PAGE);
	sigaction(SIGBUS, &sa, NULL);
	if (!sigsetjmp(bus_jmp, 1)) {
		sink = __atomic_load_n(beyond, __ATOMIC_RELAXED);
		fail("a read beyond the end: no SIGBUS");
	}
	signal(SIGBUS, SIG_DFL);
	munmap(m, (AXMU_PAGES + 1) * PAGE);
}

int main(int argc, char **argv)
{
	struct axmu_done done = {};
	__u32 next_gen = 1;
	unsigned int round, i, p;
	__u64 *map;

	if (argc != 4)
		return 255;
	mf = atoi(argv[1]);
	ctl = atoi(argv[2]);
	rnd = strtoul(argv[3], NULL, 0);
	map = mmap(NULL, AXMU_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   mf, 0);
	if (map == MAP_FAILED) {
		fail("mmap: %s", strerror(errno));
		goto out;
	}
	say(AXMU_IOC_LOG, "mapped %u pages at %p; %u rounds", AXMU_PAGES, map,
	    AXMU_ROUNDS);
	for (round = 0; round < AXMU_ROUNDS; round++) {
		for (i = 0; i < 24; i++)
			write_page(map, next_rand() % AXMU_USER_PAGES, next_gen++);
		for (i = 0; i < 3; i++)
			punch_page(map, next_rand() % AXMU_USER_PAGES);
		for (p = 0; p < AXMU_USER_PAGES; p++)
			check_page(map + p * WORDS, p, "the mapping");
		for (i = 0; i < 8; i++)
			check_kernel_read(next_rand() % AXMU_USER_PAGES);
		for (p = AXMU_USER_PAGES; p < AXMU_PAGES; p++)
			check_kernel_page(map + p * WORDS, p);
		if (round % 4 == 1)
			check_harvest(AXMU_IOC_FILE_LOG, "file log", w_file, p_file);
		if (round % 4 == 3)
			check_harvest(AXMU_IOC_SPACE_LOG, "space A's log", w_space,
				      p_space);
		if (round % 16 == 15)
			say(AXMU_IOC_LOG, "round %u: %u checks, %u failures",
			    round + 1, checks, failures);
	}
	check_refusals();
	munmap(map, AXMU_PAGES * PAGE);
	done.rounds = round;
out:
	done.checks = checks;
	done.failures = failures;
	ioctl(ctl, AXMU_IOC_DONE, &done);
	return failures > 255 ? 255 : failures;
}
