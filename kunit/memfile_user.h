/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The protocol between the axas_memfile_user KUnit suite and its
 * userspace program (kunit/user/axas_memfile_user.c): ioctls on a control
 * file that the suite installs into the program's file table, next to the
 * memory file under test. Included by the kernel module and the program.
 */
#ifndef _AXAS_KUNIT_MEMFILE_USER_H
#define _AXAS_KUNIT_MEMFILE_USER_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* The file: pages [0, USER_PAGES) are the program's, the rest the kernel's. */
#define AXMU_PAGES		1024
#define AXMU_USER_PAGES		512
#define AXMU_ROUNDS		64

/* A line for the test's log, or the first line of a failure. */
struct axmu_msg {
	char text[160];
};

/* A harvest: of the file's log (@where a file offset) or of space A's. */
struct axmu_harvest {
	__u64 where;
	__u64 size;
	__u64 bitmap;		/* user pointer, one bit per page */
	__s64 ret;
};

/* Read through space B (it maps the whole file) at file offset @off. */
struct axmu_read {
	__u64 off;
	__u64 buf;		/* user pointer */
	__u64 len;
	__s64 ret;
};

/* What the program did, at its end. */
struct axmu_done {
	__u32 rounds;
	__u32 checks;
	__u32 failures;
};

#define AXMU_IOC_LOG		_IOW('x', 1, struct axmu_msg)
#define AXMU_IOC_FAIL		_IOW('x', 2, struct axmu_msg)
#define AXMU_IOC_FILE_LOG	_IOWR('x', 3, struct axmu_harvest)
#define AXMU_IOC_SPACE_LOG	_IOWR('x', 4, struct axmu_harvest)
#define AXMU_IOC_READ		_IOWR('x', 5, struct axmu_read)
#define AXMU_IOC_DONE		_IOW('x', 6, struct axmu_done)

#endif /* _AXAS_KUNIT_MEMFILE_USER_H */
