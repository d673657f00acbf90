// SPDX-License-Identifier: GPL-2.0
/*
 * Memory files, the file: an inode of its own on a pseudo filesystem of
 * axas's, whose frames are a &struct axas_memfile (backend/memfile.c) and
 * whose views are areas of spaces (core/view.c). Here: creation, the
 * file operations userspace uses (read, write, mmap, lseek, fallocate),
 * user mappings and their faults, and the punch. See "Memory files" in
 * include/axas/memfile.h.
 *
 * Lock order, from the outside in: the file's log lock; the file's
 * invalidate lock (shared to add frames, exclusive to take them away or
 * change the views); a space's scan lock; a space's lock; a page's lock;
 * the mapping's i_mmap lock (unmap_mapping_range()). A user fault holds
 * the mm's mmap lock and takes the invalidate lock shared, then the page
 * lock, one after the other; a guest fault holds its space's lock and
 * never waits for the invalidate lock with it held (backend/memfile.c).
 * Copies to and from userspace (read(), write()) hold a reference to the
 * page only, no lock: the copy may fault on a mapping of this file.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/types.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/pseudo_fs.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <kunit/visibility.h>

#include <axas/memfile.h>

#include "../compat_internal.h"

#include "features.h"

#define AXAS_MEMFILE_MAGIC	0x61786d66	/* "axmf" */

static struct vfsmount *memfile_mnt;
static const struct file_operations memfile_fops;

struct axas_memfile *axas_memfile_of(struct file *file)
{
	return file && file->f_op == &memfile_fops ? file->private_data : NULL;
}
EXPORT_SYMBOL_IF_KUNIT(axas_memfile_of);

static loff_t memfile_size(const struct axas_memfile *mf)
{
	return (loff_t)mf->nr_pages << PAGE_SHIFT;
}

/* ---- punch ------------------------------------------------------------- */

/*
 * The file lets go of a frame: after every view lost it and every user
 * mapping was zapped, the file's reference goes (a copy in flight may
 * hold another, until it is done). The page cache makes the same check
 * when a page leaves it ("Bad page cache"): a frame still mapped here
 * means a user mapping outlived its zap.
 */
static void memfile_frame_drop(struct page *page)
{
	WARN_ONCE(page_mapped(page),
		  "memory file frame %#lx freed while userspace maps it\n",
		  page_to_pfn(page));
	put_page(page);
}

/*
 * Take the frames of [@start, @end) out of the file, every view having
 * lost them. Per page, under its lock: out of the file (a user fault that
 * found it before waits for the lock, then finds it gone), its user
 * mappings zapped (a fault that installed its PTE after the punch's first
 * zap held the lock until then), and only then the frame goes.
 */
static void memfile_free_range(struct axas_memfile *mf, pgoff_t start,
			       pgoff_t end)
{
	struct address_space *mapping = mf->inode->i_mapping;
	unsigned long index, n = 0;
	struct page *page;

	xa_for_each_range(&mf->pages, index, page, start, end - 1) {
		lock_page(page);
		axas_memfile_erase(mf, index);
		if (page_mapped(page))
			unmap_mapping_range(mapping, (loff_t)index << PAGE_SHIFT,
					    PAGE_SIZE, 0);
		unlock_page(page);
		memfile_frame_drop(page);
		/* Zeros now: every record of writes hears of it. */
		axas_memfile_mark(mf, index, 1, AXAS_MF_WRITE_USER |
				  AXAS_MF_WRITE_VIEW);
		if (!(++n & 255))
			cond_resched();
	}
}

/*
 * Discard [@start, @end): every view loses the pages (table, pins, flush),
 * then every user mapping, then the file its frames. All or nothing for
 * the content: a view whose table could not be split (-ENOMEM) stops the
 * punch before any frame goes; what the views lost faults in again.
 */
static int memfile_punch(struct axas_memfile *mf, pgoff_t start, pgoff_t end)
{
	struct axas_memfile_view *view;
	int ret = 0;

	axas_memfile_inval_begin(mf);
	list_for_each_entry(view, &mf->views, file_node) {
		ret = axas_space_memfile_unmap(view, start, end);
		if (ret)
			goto out;
	}
	/* Most user mappings at once; memfile_free_range() checks each page. */
	unmap_mapping_range(mf->inode->i_mapping, (loff_t)start << PAGE_SHIFT,
			    (loff_t)(end - start) << PAGE_SHIFT, 0);
	memfile_free_range(mf, start, end);
out:
	axas_memfile_inval_end(mf);
	return ret;
}

/* fallocate() without a punch: the frames of the range now. */
static int memfile_allocate(struct axas_memfile *mf, pgoff_t start,
			    pgoff_t end)
{
	pgoff_t index;
	int ret;

	for (index = start; index < end; index++) {
		if (fatal_signal_pending(current))
			return -EINTR;
		ret = axas_memfile_fill(mf, index);
		if (ret)
			return ret;
		cond_resched();
	}
	return 0;
}

static long memfile_fallocate(struct file *file, int mode, loff_t offset,
			      loff_t len)
{
	struct axas_memfile *mf = file->private_data;
	loff_t size = memfile_size(mf);

	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE))
		return -EOPNOTSUPP;
	if (!PAGE_ALIGNED(offset) || !PAGE_ALIGNED(len))
		return -EINVAL;
	if (mode & FALLOC_FL_PUNCH_HOLE) {
		/* Beyond the end there is nothing to punch. */
		if (offset >= size)
			return 0;
		return memfile_punch(mf, offset >> PAGE_SHIFT,
				     min(offset + len, size) >> PAGE_SHIFT);
	}
	if (offset + len > size)
		return -EINVAL;
	return memfile_allocate(mf, offset >> PAGE_SHIFT,
				(offset + len) >> PAGE_SHIFT);
}

/* ---- read, write, seek ------------------------------------------------- */

static ssize_t memfile_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct axas_memfile *mf = iocb->ki_filp->private_data;
	loff_t pos = iocb->ki_pos, size = memfile_size(mf);
	ssize_t done = 0;
	int err;

	while (iov_iter_count(to) && pos < size) {
		size_t off = offset_in_page(pos), got;
		size_t n = min3(PAGE_SIZE - off, iov_iter_count(to),
				(size_t)(size - pos));
		struct page *page;

		page = axas_memfile_get_page(mf, pos >> PAGE_SHIFT, false, &err);
		if (page) {
			got = copy_page_to_iter(page, off, n, to);
			put_page(page);
		} else {
			/* A hole reads zeros, and stays a hole. */
			got = iov_iter_zero(n, to);
		}
		done += got;
		pos += got;
		if (got < n) {
			if (!done)
				done = -EFAULT;
			break;
		}
		if (fatal_signal_pending(current))
			break;
		cond_resched();
	}
	iocb->ki_pos = pos;
	return done;
}

static ssize_t memfile_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct axas_memfile *mf = iocb->ki_filp->private_data;
	loff_t pos = iocb->ki_pos, size = memfile_size(mf);
	ssize_t done = 0;
	int err = 0;

	if (iov_iter_count(from) && pos >= size)
		return -EFBIG;
	while (iov_iter_count(from) && pos < size) {
		size_t off = offset_in_page(pos), got;
		size_t n = min3(PAGE_SIZE - off, iov_iter_count(from),
				(size_t)(size - pos));
		pgoff_t index = pos >> PAGE_SHIFT;
		struct page *page;

		page = axas_memfile_get_page(mf, index, true, &err);
		if (!page)
			break;
		got = copy_page_from_iter(page, off, n, from);
		put_page(page);
		if (got)
			axas_memfile_mark(mf, index, 1, AXAS_MF_WRITE_USER);
		done += got;
		pos += got;
		if (got < n) {
			err = -EFAULT;
			break;
		}
		if (fatal_signal_pending(current))
			break;
		cond_resched();
	}
	iocb->ki_pos = pos;
	return done ? done : err;
}

/* SEEK_DATA and SEEK_HOLE by frame; the rest as any file of fixed size. */
static loff_t memfile_llseek(struct file *file, loff_t offset, int whence)
{
	struct axas_memfile *mf = file->private_data;
	loff_t size = memfile_size(mf);
	unsigned long index;

	if (whence != SEEK_DATA && whence != SEEK_HOLE)
		return generic_file_llseek_size(file, offset, whence,
						MAX_LFS_FILESIZE, size);
	if (offset < 0 || offset >= size)
		return -ENXIO;
	index = offset >> PAGE_SHIFT;
	down_read(&mf->invalidate);
	if (whence == SEEK_DATA) {
		if (!xa_find(&mf->pages, &index, mf->nr_pages - 1, XA_PRESENT))
			index = mf->nr_pages;
	} else {
		while (index < mf->nr_pages && xa_load(&mf->pages, index)) {
			index++;
			if (!(index & 1023))
				cond_resched();
		}
	}
	up_read(&mf->invalidate);
	if (index >= mf->nr_pages)
		return whence == SEEK_DATA ? -ENXIO : vfs_setpos(file, size, size);
	return vfs_setpos(file, max_t(loff_t, offset, (loff_t)index << PAGE_SHIFT),
			  size);
}

/* ---- user mappings ------------------------------------------------------ */

/*
 * A fault of a user mapping: the file's frame (allocated if it has none),
 * locked, so that a punch that takes it meanwhile zaps the PTE this fault
 * installs (it takes the page lock after the PTE is in).
 */
static vm_fault_t memfile_fault(struct vm_fault *vmf)
{
	struct axas_memfile *mf = vmf->vma->vm_file->private_data;
	struct page *page;
	int err;

	if (vmf->pgoff >= mf->nr_pages)
		return VM_FAULT_SIGBUS;
	page = axas_memfile_get_page(mf, vmf->pgoff, true, &err);
	if (!page)
		return VM_FAULT_SIGBUS;
	lock_page(page);
	if (axas_memfile_lookup(mf, vmf->pgoff) != page) {
		/* Punched meanwhile: let the access fault again. */
		unlock_page(page);
		put_page(page);
		return VM_FAULT_NOPAGE;
	}
	atomic_long_inc(&mf->user_faults);
	vmf->page = page;
	return VM_FAULT_LOCKED;
}

/*
 * The first write through a user mapping since the page was mapped or
 * its last harvest (the mapping is write-notified): recorded, under the
 * page lock that a harvest takes to zap, until the PTE is writable.
 */
static vm_fault_t memfile_page_mkwrite(struct vm_fault *vmf)
{
	struct axas_memfile *mf = vmf->vma->vm_file->private_data;
	struct page *page = vmf->page;

	lock_page(page);
	if (axas_memfile_lookup(mf, vmf->pgoff) != page) {
		unlock_page(page);
		return VM_FAULT_NOPAGE;
	}
	axas_memfile_mark(mf, vmf->pgoff, 1, AXAS_MF_WRITE_USER);
	return VM_FAULT_LOCKED;
}

static const struct vm_operations_struct memfile_vm_ops = {
	.fault = memfile_fault,
	.page_mkwrite = memfile_page_mkwrite,
};

static int memfile_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	file_accessed(file);
	vma->vm_ops = &memfile_vm_ops;
	return 0;
}

/* The file goes; its memory stays while views hold it. */
static int memfile_release(struct inode *inode, struct file *file)
{
	struct axas_memfile *mf = file->private_data;

	axas_memfile_log_end(mf);
	axas_memfile_put(mf);
	return 0;
}

static const struct file_operations memfile_fops = {
	.owner = THIS_MODULE,
	.llseek = memfile_llseek,
	.read_iter = memfile_read_iter,
	.write_iter = memfile_write_iter,
	.mmap = memfile_mmap,
	.fallocate = memfile_fallocate,
	.release = memfile_release,
};

/* The size is fixed, the rest is of no use: no attribute changes. */
static int memfile_setattr(AXAS_SETATTR_ARGS)
{
	return -EPERM;
}

static const struct inode_operations memfile_iops = {
	.setattr = memfile_setattr,
};

/* ---- creation and the filesystem ---------------------------------------- */

struct file *axas_memfile_create(const struct axas_memfile_cfg *cfg)
{
	u32 node_flags = AXAS_SPACE_NODE | AXAS_SPACE_NODE_STRICT;
	struct mem_cgroup *memcg = NULL;
	struct axas_memfile *mf;
	struct inode *inode;
	struct file *file;

	if (!cfg->size || !PAGE_ALIGNED(cfg->size) ||
	    (cfg->pgsize != SZ_4K && cfg->pgsize != SZ_2M) ||
	    (cfg->flags & ~node_flags) ||
	    (cfg->flags & node_flags) == AXAS_SPACE_NODE_STRICT)
		return ERR_PTR(-EINVAL);
	if ((cfg->flags & AXAS_SPACE_NODE) &&
	    (cfg->node < 0 || cfg->node >= MAX_NUMNODES ||
	     !node_state(cfg->node, N_MEMORY)))
		return ERR_PTR(-EINVAL);
	if (!memfile_mnt)
		return ERR_PTR(-ENODEV);
#ifdef CONFIG_MEMCG
	if (cfg->memcg) {
		css_get(&cfg->memcg->css);
		memcg = cfg->memcg;
	} else {
		memcg = get_mem_cgroup_from_mm(current->mm);
	}
#endif
	mf = axas_memfile_new(cfg->size >> PAGE_SHIFT, cfg->pgsize,
			      cfg->max_frames,
			      cfg->flags & AXAS_SPACE_NODE ? cfg->node : NUMA_NO_NODE,
			      cfg->flags & AXAS_SPACE_NODE_STRICT ? __GFP_THISNODE : 0,
			      memcg);
	if (!mf) {
		mem_cgroup_put(memcg);
		return ERR_PTR(-ENOMEM);
	}
	inode = alloc_anon_inode(memfile_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		axas_memfile_put(mf);
		return ERR_CAST(inode);
	}
	inode->i_mode = S_IFREG | 0600;
	inode->i_op = &memfile_iops;
	inode->i_private = mf;
	i_size_write(inode, cfg->size);
	/* The memory's reference: user mappings are zapped through it. */
	ihold(inode);
	mf->inode = inode;
	/* The file's reference to its operations' module, put at its release. */
	__module_get(THIS_MODULE);
	file = alloc_file_pseudo(inode, memfile_mnt, cfg->name ?: "axas-memfile",
				 O_RDWR, &memfile_fops);
	if (IS_ERR(file)) {
		module_put(THIS_MODULE);
		iput(inode);
		axas_memfile_put(mf);
		return file;
	}
	file->f_flags |= O_LARGEFILE;
	/* A pseudo file has none of them unless told: pread() and pwrite(). */
	file->f_mode |= FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
	file->private_data = mf;
	return file;
}
EXPORT_SYMBOL_NS_GPL(axas_memfile_create, AXAS_NS);

int axas_map_file(struct axas_space *space, u64 gpa, u64 size,
		  struct file *file, u64 offset, u32 flags)
{
	struct axas_memfile *mf = axas_memfile_of(file);

	if (!mf || !PAGE_ALIGNED(offset))
		return -EINVAL;
	if (offset >= memfile_size(mf))
		return -ERANGE;
	return axas_space_map_memfile(space, gpa, size, mf, offset >> PAGE_SHIFT,
				      flags);
}
EXPORT_SYMBOL_NS_GPL(axas_map_file, AXAS_NS);

int axas_memfile_get_stats(struct file *file, struct axas_memfile_stats *stats)
{
	struct axas_memfile *mf = axas_memfile_of(file);
	struct axas_memfile_view *view;
	unsigned long index;
	struct page *page;

	if (!mf)
		return -EINVAL;
	memset(stats, 0, sizeof(*stats));
	stats->size = memfile_size(mf);
	stats->frames = atomic_long_read(&mf->frames.held);
	stats->fallbacks = atomic_long_read(&mf->fallbacks);
	stats->user_faults = atomic_long_read(&mf->user_faults);
	down_read(&mf->invalidate);
	xa_for_each_marked(&mf->pages, index, page, AXAS_MF_BLOCK)
		stats->blocks++;
	list_for_each_entry(view, &mf->views, file_node)
		stats->views++;
	up_read(&mf->invalidate);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(axas_memfile_get_stats, AXAS_NS);

int axas_memfile_log_start(struct file *file)
{
	struct axas_memfile *mf = axas_memfile_of(file);

	return mf ? axas_memfile_log_begin(mf) : -EINVAL;
}
EXPORT_SYMBOL_NS_GPL(axas_memfile_log_start, AXAS_NS);

int axas_memfile_log_stop(struct file *file)
{
	struct axas_memfile *mf = axas_memfile_of(file);

	return mf ? axas_memfile_log_halt(mf) : -EINVAL;
}
EXPORT_SYMBOL_NS_GPL(axas_memfile_log_stop, AXAS_NS);

/* The range of a harvest, in pages of @mf: 0 or -errno. */
static int memfile_log_range(struct axas_memfile *mf, u64 offset, u64 size,
			     pgoff_t *start, pgoff_t *end)
{
	if (!mf || !size || !PAGE_ALIGNED(offset) || !PAGE_ALIGNED(size))
		return -EINVAL;
	if (offset >= memfile_size(mf) || size > memfile_size(mf) - offset)
		return -ERANGE;
	*start = offset >> PAGE_SHIFT;
	*end = (offset + size) >> PAGE_SHIFT;
	return 0;
}

long axas_memfile_log_get(struct file *file, u64 offset, u64 size,
			  unsigned long *bitmap)
{
	struct axas_memfile *mf = axas_memfile_of(file);
	pgoff_t start, end;
	int ret = memfile_log_range(mf, offset, size, &start, &end);

	if (!ret && !bitmap)
		ret = -EINVAL;
	return ret ? ret : axas_memfile_log_harvest(mf, start, end, bitmap);
}
EXPORT_SYMBOL_NS_GPL(axas_memfile_log_get, AXAS_NS);

int axas_memfile_log_clear(struct file *file, u64 offset, u64 size)
{
	struct axas_memfile *mf = axas_memfile_of(file);
	pgoff_t start, end;
	int ret = memfile_log_range(mf, offset, size, &start, &end);

	return ret ? ret : axas_memfile_log_harvest(mf, start, end, NULL);
}
EXPORT_SYMBOL_NS_GPL(axas_memfile_log_clear, AXAS_NS);

static int memfile_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, AXAS_MEMFILE_MAGIC) ? 0 : -ENOMEM;
}

/*
 * No owner: the mount lives as long as the module, and a file holds the
 * module through its operations.
 */
static struct file_system_type memfile_fs = {
	.name = "axas_memfile",
	.init_fs_context = memfile_init_fs_context,
	.kill_sb = kill_anon_super,
};

int axas_memfile_init(void)
{
	struct vfsmount *mnt = kern_mount(&memfile_fs);

	if (IS_ERR(mnt))
		return PTR_ERR(mnt);
	memfile_mnt = mnt;
	return 0;
}

void axas_memfile_exit(void)
{
	kern_unmount(memfile_mnt);
	memfile_mnt = NULL;
}
