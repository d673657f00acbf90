/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /dev/axas-vmm, the Linux VMM's device for userspace (ramfile=1): the
 * ioctls of samples/vmm/ramfile.c, used by samples/vmm/user/axas-vmm-ram.c.
 */
#ifndef _AXAS_SAMPLE_VMM_DEV_H
#define _AXAS_SAMPLE_VMM_DEV_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* A new file descriptor (close-on-exec) of the guest's RAM file. */
#define VMM_IOC_RAM_FD		_IO('v', 1)
/*
 * The shared memory both ways (mem.c, vmm_mem_shm_check()): the token
 * (a __u64) at the shared memory's offset 0, written through the second
 * space, and its complement at offset 8, through the guest's.
 */
#define VMM_IOC_SHM_CHECK	_IOW('v', 2, __u64)
/* Bytes of RAM the file holds before the shared memory (a __u64). */
#define VMM_IOC_RAM_SIZE	_IOR('v', 3, __u64)

#endif /* _AXAS_SAMPLE_VMM_DEV_H */
