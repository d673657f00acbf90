// SPDX-License-Identifier: GPL-2.0
/*
 * linux-churn - the workload of the Linux guest that is migrated and
 * rewound (scripts/demo-linux.sh migrate, rewind): a buffer rewritten in
 * passes, each pass from the last one's values, and a checksum over it at
 * the end. A page of it lost or stale at any point (a migration that
 * missed a dirty page, a restore that put back the wrong content) changes
 * every later value computed from it, so the checksum comes out wrong.
 * The same program on the host prints the checksum to expect.
 *
 *   linux-churn MIB HOT_KIB PASSES SEED      in the guest, the seed given
 *   linux-churn MIB HOT_KIB PASSES ctl       in the guest: mark the point
 *                                            to rewind to, then read the
 *                                            seed from the VMM's ctl port
 *   linux-churn MIB HOT_KIB PASSES ctl-late  the same after PASSES / 2
 *                                            passes of seed 0 (the mark
 *                                            comes while the guest writes)
 *   linux-churn --host MIB HOT_KIB PASSES SEED   on the host: the result
 *                                            line to expect
 *
 * Each pass rewrites the first HOT_KIB KiB and one sixteenth of the rest
 * (in turn). Before the passes the guest prints
 *
 *   AXAS-GUEST-BUF gpa=0x...        its buffer's first page (from
 *                                   /proc/self/pagemap), which every pass
 *                                   writes: migrate_plant=drop's target
 *   AXAS-GUEST-WRITING seed=S       the passes begin (migrate_after=)
 *
 * and after them the result line, the host's too:
 *
 *   AXAS-GUEST-RESULT churn mib=M hot_kib=H passes=P seed=S sum=...
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define CTL_PORT	0x610		/* samples/vmm/vmm.h: VMM_PORT_CTL */
#define CTL_MARK	1
#define CTL_DONE	2

typedef unsigned long long u64;

/* Where the first page of @p is in guest-physical memory, or 0. */
static u64 gpa_of(const void *p)
{
	u64 entry = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &entry, sizeof(entry),
		  (uintptr_t)p / 4096 * sizeof(entry)) != sizeof(entry))
		entry = 0;
	close(fd);
	/* Bit 63: present; bits 54-0: the frame number (root only). */
	if (!(entry >> 63) || !(entry & ((1ULL << 55) - 1)))
		return 0;
	return (entry & ((1ULL << 55) - 1)) << 12;
}

static void pass(u64 *buf, size_t hot, size_t words, unsigned int p, u64 seed)
{
	size_t cold = words - hot, slice = cold / 16, i, from;

	for (i = 0; i < hot; i++)
		buf[i] = buf[i] * 6364136223846793005ULL + (seed ^ ((u64)p << 32) ^ i);
	from = hot + (p % 16) * slice;
	for (i = from; i < from + slice; i++)
		buf[i] = buf[i] * 6364136223846793005ULL + (seed ^ ((u64)p << 32) ^ i);
}

static u64 checksum(const u64 *buf, size_t words)
{
	u64 h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < words; i++)
		h = (h ^ buf[i]) * 1099511628211ULL;
	return h;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	int host = argc > 1 && !strcmp(argv[1], "--host");
	unsigned int passes, p;
	size_t words, hot, i;
	int ctl;
	u64 seed, *buf;
	double t;

	argv += host;
	argc -= host;
	if (argc != 5) {
		fprintf(stderr, "usage: linux-churn [--host] MIB HOT_KIB PASSES SEED|ctl\n");
		return 2;
	}
	words = (size_t)atoi(argv[1]) << 20 >> 3;
	hot = (size_t)atoi(argv[2]) << 10 >> 3;
	passes = atoi(argv[3]);
	ctl = !strcmp(argv[4], "ctl") || !strcmp(argv[4], "ctl-late");
	if (!words || hot >= words || (ctl && host))
		return 2;
	buf = mmap(NULL, words * 8, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED)
		return 2;
	if (!host) {
		printf("AXAS-GUEST-BUF gpa=%#llx\n", gpa_of(buf));
		fflush(stdout);
	}
	if (ctl && !strcmp(argv[4], "ctl-late")) {
		printf("AXAS-GUEST-WARMING\n");
		fflush(stdout);
		for (p = 0; p < passes / 2; p++)
			pass(buf, hot, words, p, 0);
	}
	if (ctl) {
		/* Nothing of the lines above waits in the console's buffers. */
		tcdrain(STDOUT_FILENO);
		if (ioperm(CTL_PORT, 4, 1)) {
			perror("ioperm");
			return 2;
		}
		/* The point a restore comes back to: right after this OUT. */
		outl(CTL_MARK, CTL_PORT);
		seed = inl(CTL_PORT);
	} else {
		seed = strtoull(argv[4], NULL, 0);
	}
	/* Every page written from the seed: nothing before the mark counts. */
	for (i = 0; i < words; i++)
		buf[i] = seed * 0x9e3779b97f4a7c15ULL + i;
	if (!host) {
		printf("AXAS-GUEST-WRITING seed=%llu\n", seed);
		fflush(stdout);
	}
	t = now();
	for (p = 0; p < passes; p++)
		pass(buf, hot, words, p, seed);
	t = now() - t;
	printf("AXAS-GUEST-RESULT churn mib=%s hot_kib=%s passes=%u seed=%llu sum=%016llx\n",
	       argv[1], argv[2], passes, seed, checksum(buf, words));
	if (!host)
		printf("linux-churn: %u passes in %.2f s\n", passes, t);
	fflush(stdout);
	if (ctl) {
		/*
		 * The lines must have left the UART before the VMM rewinds
		 * memory, the console's buffers with it.
		 */
		tcdrain(STDOUT_FILENO);
		usleep(300000);
		outl(CTL_DONE, CTL_PORT);
	}
	return 0;
}
