// SPDX-License-Identifier: GPL-2.0
/*
 * axas-vmm-ram MARKER - what a device model or a debugger does with the
 * Linux VMM's RAM file (ramfile=1): run by make demo-linux in the host
 * while the guest runs, it takes a file descriptor of the guest's RAM
 * from /dev/axas-vmm, maps the file's data (lseek SEEK_DATA/SEEK_HOLE:
 * holes stay holes), finds MARKER in the guest's workload buffer (a page
 * that holds the workload's lines too), checks the shared memory both
 * ways through its own mapping, and then answers the guest by writing
 * over the marker in guest memory, every copy of it (the guest waits for
 * that, and ends).
 *
 * Its lines start with AXAS-VMM-RAM; the last one says PASS or FAIL, and
 * so does its exit status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <linux/types.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../vmm_dev.h"

#define PAGE		4096L
#define WORKLOAD	"axas-linux-guest"
#define ANSWER		"AXAS-HOST-SAW-IT!"

static int fail(const char *what)
{
	printf("AXAS-VMM-RAM FAIL: %s: %s\n", what, strerror(errno));
	return 1;
}

/*
 * Find @marker in the data of [@start, @end), in a page that holds the
 * workload's lines before it: the offset of the first, or -1. The buffer's
 * page is one; the guest's polling tail(1) leaves copies of its last bytes
 * in others.
 */
static off_t find_marker(int fd, char *map, off_t start, off_t end,
			 const char *marker)
{
	size_t len = strlen(marker);
	off_t data = start, hole;
	char *hit, *page;

	for (;;) {
		data = lseek(fd, data, SEEK_DATA);
		if (data < 0 || data >= end)
			return -1;
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole > end)
			hole = end;
		for (hit = memmem(map + data, hole - data, marker, len); hit;
		     hit = memmem(hit + 1, map + hole - hit - 1, marker, len)) {
			page = map + ((hit - map) & ~(PAGE - 1));
			if (memmem(page, hit - page, WORKLOAD, strlen(WORKLOAD)))
				return hit - map;
		}
		data = hole;
	}
}

int main(int argc, char **argv)
{
	__u64 ram = 0, token, *shm;
	char back[64];
	struct stat st;
	int dev, fd;
	off_t at, first;
	int n;
	char *map;

	if (argc != 2 || strlen(argv[1]) < strlen(ANSWER)) {
		printf("AXAS-VMM-RAM FAIL: usage: axas-vmm-ram MARKER\n");
		return 2;
	}
	dev = open("/dev/axas-vmm", O_RDWR);
	if (dev < 0)
		return fail("/dev/axas-vmm");
	fd = ioctl(dev, VMM_IOC_RAM_FD);
	if (fd < 0)
		return fail("VMM_IOC_RAM_FD");
	if (fstat(fd, &st) || ioctl(dev, VMM_IOC_RAM_SIZE, &ram))
		return fail("fstat, VMM_IOC_RAM_SIZE");
	map = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return fail("mmap");
	printf("AXAS-VMM-RAM the RAM file: %lld bytes (%llu of RAM from GPA 0x200000, then the shared memory), mapped at %p\n",
	       (long long)st.st_size, (unsigned long long)ram, map);

	at = find_marker(fd, map, 0, ram, argv[1]);
	first = at;
	if (at < 0) {
		printf("AXAS-VMM-RAM FAIL: the guest's marker '%s' is in no page of its workload buffer\n",
		       argv[1]);
		return 1;
	}
	if (pread(fd, back, strlen(argv[1]), at) != (ssize_t)strlen(argv[1]) ||
	    memcmp(back, argv[1], strlen(argv[1])))
		return fail("pread of the marker");
	/* Before the answer: once answered, the guest ends and the device goes. */
	token = (__u64)time(NULL) << 20 ^ getpid();
	if (ioctl(dev, VMM_IOC_SHM_CHECK, &token))
		return fail("VMM_IOC_SHM_CHECK");
	shm = (__u64 *)(map + ram);
	if (shm[0] != token || shm[1] != ~token) {
		printf("AXAS-VMM-RAM FAIL: the shared memory holds %#llx %#llx, expected %#llx %#llx\n",
		       (unsigned long long)shm[0], (unsigned long long)shm[1],
		       (unsigned long long)token, (unsigned long long)~token);
		return 1;
	}
	printf("AXAS-VMM-RAM the shared memory: %#llx from space linux-shm and %#llx from the guest's space, both seen here\n",
	       (unsigned long long)token, (unsigned long long)~token);
	/* The guest polls its buffer for this: over every copy, the buffer's too. */
	for (n = 0; at >= 0; n++) {
		memcpy(map + at, ANSWER, strlen(ANSWER));
		at = find_marker(fd, map, at + strlen(argv[1]), ram, argv[1]);
	}
	printf("AXAS-VMM-RAM found the guest's marker '%s' at file offset %#llx (GPA %#llx), in its workload buffer, pread() reading the same; %d copies with workload lines in all, each answered\n",
	       argv[1], (long long)first, (long long)first + 0x200000, n);

	printf("AXAS-VMM-RAM PASS\n");
	return 0;
}
