// SPDX-License-Identifier: GPL-2.0
/*
 * linux-worker - the workload of the Linux guest with several vCPUs
 * (scripts/demo-linux.sh smp): processes at once, each pinned to a CPU of
 * its own, each writing and checking a buffer of its own. Built static on
 * the host; it runs as the guest's init's child.
 *
 *   linux-worker WORKERS MIB HOT_KIB SECONDS MARKER
 *
 * Each worker fills its buffer of MIB MiB (pages new to the guest: its
 * faults, and the VMM's nested faults, on several CPUs at once) and checks
 * it. Once every worker has, the parent prints MARKER on a line of its own
 * and lets them go: each rewrites the first HOT_KIB KiB of its buffer, a
 * new value in every word each pass, and checks it after every pass, for
 * SECONDS seconds; then it checks the whole buffer once more. The parent
 * prints one line,
 *
 *   AXAS-GUEST-RESULT cpus=N workers=W: every check passed, on CPUs 0 1 ...
 *
 * or, when a check failed or a worker could not run, the same line with
 * "FAILED" and what failed. Each worker's passes go on a line of their own
 * before it.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS	8

typedef unsigned long long u64;

/* What a worker tells the parent, in memory they share. */
struct result {
	int cpu;
	int failed;
	unsigned long passes;
	char what[160];
};

/* The value of word @i in pass @pass of worker @w: new in every pass. */
static u64 word(unsigned int w, unsigned long pass, size_t i)
{
	return ((u64)w << 56) ^ ((u64)pass << 28) ^
	       (i * 0x9e3779b97f4a7c15ULL);
}

static void fill(u64 *buf, size_t words, unsigned int w,
		 unsigned long pass)
{
	size_t i;

	for (i = 0; i < words; i++)
		buf[i] = word(w, pass, i);
}

/* Return: 0, or -1 with what differs in @r. */
static int check(const u64 *buf, size_t first, size_t words,
		 unsigned int w, unsigned long pass, struct result *r)
{
	size_t i;

	for (i = first; i < words; i++) {
		if (buf[i] == word(w, pass, i))
			continue;
		snprintf(r->what, sizeof(r->what),
			 "worker %u: word %zu of pass %lu is %#llx, not %#llx",
			 w, i, pass, buf[i], word(w, pass, i));
		return -1;
	}
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int run_worker(unsigned int w, size_t words, size_t hot, double seconds,
		  int ready, int go, struct result *r)
{
	unsigned long pass;
	u64 *buf;
	cpu_set_t set;
	double end;
	char c = 0;

	CPU_ZERO(&set);
	CPU_SET(w, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		snprintf(r->what, sizeof(r->what), "worker %u: cannot run on CPU %u", w, w);
		return 1;
	}
	buf = malloc(words * sizeof(*buf));
	if (!buf) {
		snprintf(r->what, sizeof(r->what), "worker %u: no memory", w);
		return 1;
	}
	fill(buf, words, w, 0);
	if (check(buf, 0, words, w, 0, r))
		return 1;
	if (write(ready, &c, 1) != 1 || read(go, &c, 1) != 1) {
		snprintf(r->what, sizeof(r->what), "worker %u: lost its parent", w);
		return 1;
	}
	end = now() + seconds;
	for (pass = 1; now() < end; pass++) {
		fill(buf, hot, w, pass);
		if (check(buf, 0, hot, w, pass, r))
			return 1;
	}
	r->passes = pass - 1;
	/* The hot part has the last pass, the rest the first. */
	if (check(buf, 0, hot, w, pass - 1, r) || check(buf, hot, words, w, 0, r))
		return 1;
	r->cpu = sched_getcpu();
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int workers, w, failed = 0;
	int ready[2], go[2], status;
	size_t words, hot, at = 0;
	struct result *res;
	char line[512], c;
	double seconds;

	workers = argc == 6 ? atoi(argv[1]) : 0;
	if (workers < 1 || workers > MAX_WORKERS) {
		fprintf(stderr, "usage: %s WORKERS MIB HOT_KIB SECONDS MARKER\n", argv[0]);
		return 2;
	}
	words = (size_t)atoi(argv[2]) << 20 >> 3;
	hot = (size_t)atoi(argv[3]) << 10 >> 3;
	seconds = atof(argv[4]);
	if (!hot || hot > words)
		return 2;
	res = mmap(NULL, workers * sizeof(*res), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED || pipe(ready) || pipe(go))
		return 2;
	memset(res, 0, workers * sizeof(*res));
	for (w = 0; w < workers; w++) {
		pid_t pid = fork();

		if (pid < 0)
			return 2;
		if (!pid) {
			res[w].cpu = -1;
			res[w].failed = run_worker(w, words, hot, seconds, ready[1],
					       go[0], &res[w]);
			_exit(res[w].failed);
		}
	}
	for (w = 0; w < workers; w++)
		if (read(ready[0], &c, 1) != 1)
			break;
	printf("%s workers=%u\n", argv[5], w);
	fflush(stdout);
	for (w = 0; w < workers; w++)
		if (write(go[1], &c, 1) != 1)
			break;
	close(go[1]);
	for (w = 0; w < workers; w++)
		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	for (w = 0; w < workers; w++)
		printf("worker %u: %lu passes over its hot part, on CPU %d%s%s\n",
		       w, res[w].passes, res[w].cpu, res[w].what[0] ? ": " : "",
		       res[w].what);
	at = snprintf(line, sizeof(line), "AXAS-GUEST-RESULT cpus=%ld workers=%u: ",
		      sysconf(_SC_NPROCESSORS_ONLN), workers);
	if (failed) {
		snprintf(line + at, sizeof(line) - at, "FAILED: %s",
			 res[0].what[0] ? res[0].what : res[workers - 1].what);
	} else {
		at += snprintf(line + at, sizeof(line) - at, "every check passed, on CPUs");
		for (w = 0; w < workers && at < sizeof(line); w++)
			at += snprintf(line + at, sizeof(line) - at, " %d", res[w].cpu);
	}
	printf("%s\n", line);
	fflush(stdout);
	return failed ? 1 : 0;
}
