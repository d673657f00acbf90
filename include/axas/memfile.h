/* SPDX-License-Identifier: GPL-2.0 */
/*
 * axas memory files: guest memory as a file, shared by spaces and
 * userspace.
 */

/**
 * DOC: Memory files
 *
 * A *memory file* (axas_memfile_create()) is a file, with an inode of its
 * own, that owns guest memory: zeroed frames, allocated when a page is
 * first touched, 4 KiB each or, in a file of 2 MiB frames, a whole
 * naturally aligned 2 MiB block where the block is still empty and the
 * page allocator has one. No space owns them. Areas of spaces are *views*
 * of it: axas_map_file() maps a window of the file at a GPA, and any
 * number of areas, of one space or of several, may map the same pages.
 * Userspace reaches it through the file: a VMM may install it as a file
 * descriptor (fd_install()), and read(), write(), pread(), pwrite(),
 * mmap() with ``MAP_SHARED``, lseek() with ``SEEK_DATA`` and ``SEEK_HOLE``,
 * and fallocate() work on it. A guest fault in any space and a fault of a
 * user mapping resolve to the same frame.
 *
 * The size is fixed at creation: ftruncate() and other attribute changes
 * fail with ``-EPERM``, writes beyond the end with ``-EFBIG``, and a user
 * mapping beyond it gets ``SIGBUS``. fallocate() with
 * ``FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE`` discards; with mode 0
 * (or ``FALLOC_FL_KEEP_SIZE``) it allocates the frames of a range ahead of
 * the faults. ``MAP_PRIVATE`` is refused (``-EINVAL``): a private copy of
 * guest memory is no view of it.
 *
 * A punch takes pages from every view at once, in the order axas keeps for
 * every frame it frees: each space's table entries are removed, the pins
 * of those pages invalidated (their callbacks), the space's flush callback
 * called; then every user mapping of the pages is zapped; only then do
 * the frames go. Until its space's flush returns a vCPU may use a stale
 * translation; until the zap returns a user thread may use its PTE: both
 * write to a frame the file still holds. The content a punch leaves is
 * zeros, which the pages' next touch gets in a fresh frame.
 *
 * Each view keeps every promise of the address-space API: axas_unmap() and
 * axas_protect() of one view leave the other views and the file alone
 * (the frames are the file's: no unmap frees one); pins stay valid until
 * their own view loses the translation or the file loses the page;
 * axas_space_shutdown() and axas_space_destroy() drop the space's views;
 * the file frees its frames when its last reference goes (its file
 * descriptors, user mappings and views). axas_discard() refuses file
 * areas (``-EOPNOTSUPP``): their frames are freed by a punch of the file,
 * which every view sees.
 *
 * Dirty logging: a space's log (axas_dirty_log_start()) reports the writes
 * made through that space's table, and with %AXAS_DIRTY_FILE also the
 * writes userspace made through the file (a user mapping, write(), a
 * punch) to the pages its file areas map. A file's own log
 * (axas_memfile_log_start()) reports, by page of the file, every write
 * from every view: each space's table, copies through a space, valid
 * write pins, userspace. Userspace writes are recorded as the page cache
 * records dirty pages: a page's first write through a user mapping after a
 * harvest faults (the mapping is write-notified), which records it; a
 * harvest zaps the user mappings of the pages it reports, under the page
 * lock. Writes through a space's table are recorded by the fault that
 * gives a leaf the write right: while a file log runs, file pages are
 * installed 4 KiB at a time and without the write right until written
 * (axas_protect() and the end of a space's log give them none), and a
 * harvest takes the right away again in every view (keeping it, for a
 * space whose own log uses write-protection, as that log's record).
 *
 * Memory: a file's frames are charged to the memory cgroup recorded at
 * its creation (&axas_memfile_cfg.memcg, or the creator's) and counted
 * against the file's own cap (&axas_memfile_cfg.max_frames), never
 * against a space's: the frames outlive any space that maps them, and the
 * one that faults a page in first is no more its owner than the others.
 * The table pages a view's leaves need are its space's, as for any area.
 *
 * Content can be saved and loaded through the file: read() (with
 * ``SEEK_DATA``/``SEEK_HOLE`` to skip holes) and write() into a new file,
 * from userspace or with kernel_read() and kernel_write() in the kernel,
 * so guest memory can outlive the VMM that made it.
 */
#ifndef _AXAS_MEMFILE_H
#define _AXAS_MEMFILE_H

#include <axas/axas.h>

struct file;

/**
 * struct axas_memfile_cfg - what axas_memfile_create() makes
 * @name: name of its inode (``/proc/<pid>/fd`` shows it); NULL for
 *	"axas-memfile"
 * @size: bytes, a multiple of 4 KiB, not 0
 * @pgsize: the frames it allocates: SZ_4K, or SZ_2M (whole aligned blocks
 *	where the block is empty and one is free, else 4 KiB)
 * @max_frames: the most 4 KiB frames it may hold (a 2 MiB block counts
 *	512); 0 for no cap
 * @memcg: the memory cgroup its frames are charged to; NULL for the
 *	creator's (as for &axas_space_cfg.memcg). The file holds a
 *	reference until its frames are freed.
 * @flags: %AXAS_SPACE_NODE and %AXAS_SPACE_NODE_STRICT, as for a space
 * @node: with %AXAS_SPACE_NODE, the NUMA node its frames come from
 */
struct axas_memfile_cfg {
	const char *name;
	u64 size;
	unsigned long pgsize;
	unsigned long max_frames;
	struct mem_cgroup *memcg;
	u32 flags;
	int node;
};

/**
 * struct axas_memfile_stats - what a memory file holds
 * @size: bytes
 * @frames: 4 KiB frames it holds (a 2 MiB block counts 512)
 * @blocks: whole 2 MiB blocks among them
 * @views: areas' maps of it (axas_map_file() calls whose areas remain)
 * @fallbacks: pages that got a 4 KiB frame in a file of 2 MiB frames
 *	because no free block was had
 * @user_faults: faults of user mappings
 */
struct axas_memfile_stats {
	u64 size;
	unsigned long frames;
	unsigned long blocks;
	unsigned long views;
	unsigned long fallbacks;
	unsigned long user_faults;
};

/**
 * axas_memfile_create() - create a memory file
 * @cfg: size, frame size, cap, memory cgroup, node
 *
 * The file is open for reading and writing and holds no frame yet. The
 * caller owns the one reference returned: fput() it, or give it to
 * userspace with fd_install(). See "Memory files".
 *
 * Context: process context; may sleep; takes no lock; calls no callback.
 * Return: the file; ERR_PTR(-EINVAL) for a zero or unaligned size, a
 * @cfg->pgsize other than 4 KiB or 2 MiB, unknown @cfg->flags or a node
 * without memory; ERR_PTR(-ENOMEM).
 */
struct file *axas_memfile_create(const struct axas_memfile_cfg *cfg);

/**
 * axas_map_file() - map a window of a memory file
 * @space: the space
 * @gpa: first GPA, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 * @file: a memory file
 * @offset: the window's first byte in @file, 4 KiB aligned; the window
 *	must lie within the file
 * @flags: AXAS_PROT_* rights and memory type
 *
 * A lazy area whose faults install the file's frames (allocating the
 * file's where it has none), as views of the file: other areas and user
 * mappings of the same pages see the same memory. Leaves are 2 MiB where
 * the file has whole blocks and @gpa, @size and @offset are 2 MiB
 * aligned, else 4 KiB. The space holds a reference to the file's memory
 * until the last area of this map is gone.
 *
 * Context: process context; may sleep; takes the file's lock exclusively,
 * then the space lock exclusively; calls no callback.
 * Return: 0; -EINVAL for an unaligned or zero range or @offset, unknown
 * @flags or a @file that is no memory file; -ERANGE for a range outside
 * the space or a window beyond the file; -EOPNOTSUPP for rights the
 * format cannot express; -EEXIST when it overlaps an area; -ENOMEM;
 * -ESHUTDOWN after shutdown.
 */
int __must_check axas_map_file(struct axas_space *space, u64 gpa, u64 size,
			       struct file *file, u64 offset, u32 flags);

/**
 * axas_memfile_get_stats() - what a memory file holds
 * @file: the file
 * @stats: filled in
 *
 * Context: process context; may sleep; takes the file's lock shared;
 * calls no callback.
 * Return: 0; -EINVAL for a @file that is no memory file.
 */
int axas_memfile_get_stats(struct file *file, struct axas_memfile_stats *stats);

/**
 * axas_memfile_log_start() - start the file's own dirty log
 * @file: a memory file
 *
 * From now on every write to a page of the file is recorded, whoever
 * makes it: a guest through any view, a copy through a space
 * (axas_write()), a write pin, userspace (a user mapping, write(), a
 * punch). What was written before is forgotten: every view's leaves of
 * the file lose the write right (2 MiB leaves split) and are flushed,
 * every user mapping is zapped. One log per file.
 *
 * Context: process context; may sleep; takes the file's lock shared, then
 * each view's space lock exclusively in turn; calls the flush callback of
 * each view's space.
 * Return: 0; -EINVAL for a @file that is no memory file; -EBUSY when the
 * log runs already; -ENOMEM (nothing is recorded; leaves may stay split).
 */
int __must_check axas_memfile_log_start(struct file *file);

/**
 * axas_memfile_log_stop() - stop the file's dirty log
 * @file: a memory file
 *
 * What was written since the last harvest is forgotten. Leaves regain the
 * write right at their next write fault.
 *
 * Context: process context; may sleep; takes no lock of a space; calls no
 * callback.
 * Return: 0; -EINVAL for a @file that is no memory file; -ESRCH when the
 * log is not running.
 */
int axas_memfile_log_stop(struct file *file);

/**
 * axas_memfile_log_get() - report and clear the pages of a file written
 * @file: a memory file
 * @offset: first byte, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB, within the file
 * @bitmap: one bit per 4 KiB page (bit n: the page at @offset + n * 4 KiB),
 *	overwritten: set for the pages written since their last harvest, or
 *	under a valid write pin of a view
 *
 * Clears what it reports, then takes the write right from the views'
 * leaves of the range (flushing each space once) and zaps the user
 * mappings of the pages it reports: a page written after its bit was
 * taken shows in the next harvest. Runs while guests and userspace
 * write.
 *
 * Context: process context; may sleep; takes the file's lock shared, then
 * each view's space lock exclusively in turn; calls the flush callback of
 * each view's space.
 * Return: the number of pages reported; -EINVAL for an unaligned or zero
 * range or a @file that is no memory file; -ERANGE for a range beyond the
 * file; -ESRCH when the log is not running.
 */
long __must_check axas_memfile_log_get(struct file *file, u64 offset,
				       u64 size, unsigned long *bitmap);

/**
 * axas_memfile_log_clear() - forget the pages of a file written
 * @file: a memory file
 * @offset: first byte, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB, within the file
 *
 * As axas_memfile_log_get() without the report.
 *
 * Context: process context; may sleep; takes the file's lock shared, then
 * each view's space lock exclusively in turn; calls the flush callback of
 * each view's space.
 * Return: 0; the errors of axas_memfile_log_get().
 */
int __must_check axas_memfile_log_clear(struct file *file, u64 offset,
					u64 size);

#endif /* _AXAS_MEMFILE_H */
