// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's RAM for userspace (ramfile=1): a misc device, /dev/axas-vmm,
 * whose ioctls give a file descriptor of the RAM file (mem.c) and check
 * the shared memory, as a VMM gives its device models, a debugger or a
 * dump tool the guest's memory (KVM's VMMs mmap what they gave the VM).
 * The device lives while the guest's memory does; a file descriptor it
 * gave keeps the file, and its frames, after that.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/uaccess.h>
#include "vmm.h"
#include "vmm_dev.h"

/* The guest the device serves, or NULL: under vmm_ramdev_lock. */
static DEFINE_MUTEX(vmm_ramdev_lock);
static struct vmm_vm *vmm_ramdev_vm;

static long vmm_ramdev_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	struct vmm_vm *vm;
	long ret = -ENODEV;
	u64 token, size;
	int fd;

	mutex_lock(&vmm_ramdev_lock);
	vm = vmm_ramdev_vm;
	if (!vm || !vm->ramfile)
		goto out_unlock;
	switch (cmd) {
	case VMM_IOC_RAM_FD:
		fd = get_unused_fd_flags(O_CLOEXEC);
		ret = fd;
		if (fd >= 0)
			fd_install(fd, get_file(vm->ramfile));
		break;
	case VMM_IOC_SHM_CHECK:
		ret = -EFAULT;
		if (!get_user(token, (u64 __user *)arg))
			ret = vmm_mem_shm_check(vm, token);
		break;
	case VMM_IOC_RAM_SIZE:
		size = vm->ram_size - SZ_2M;
		ret = put_user(size, (u64 __user *)arg);
		break;
	default:
		ret = -ENOTTY;
	}
out_unlock:
	mutex_unlock(&vmm_ramdev_lock);
	return ret;
}

static const struct file_operations vmm_ramdev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = vmm_ramdev_ioctl,
};

static struct miscdevice vmm_ramdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "axas-vmm",
	.fops = &vmm_ramdev_fops,
	.mode = 0600,
};

int vmm_ramdev_publish(struct vmm_vm *vm)
{
	int ret;

	mutex_lock(&vmm_ramdev_lock);
	vmm_ramdev_vm = vm;
	mutex_unlock(&vmm_ramdev_lock);
	ret = misc_register(&vmm_ramdev);
	if (ret) {
		mutex_lock(&vmm_ramdev_lock);
		vmm_ramdev_vm = NULL;
		mutex_unlock(&vmm_ramdev_lock);
	}
	return ret;
}

/* Before the memory goes: no ioctl reaches it afterwards. */
void vmm_ramdev_unpublish(struct vmm_vm *vm)
{
	bool was;

	mutex_lock(&vmm_ramdev_lock);
	was = vmm_ramdev_vm == vm;
	if (was)
		vmm_ramdev_vm = NULL;
	mutex_unlock(&vmm_ramdev_lock);
	if (was)
		misc_deregister(&vmm_ramdev);
}
