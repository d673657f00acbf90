// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/axas/<name>-<id>/: stats, areas and table of a space.
 */
#include <linux/debugfs.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <kunit/visibility.h>

#include "features.h"

static struct dentry *axas_debugfs_root;

VISIBLE_IF_KUNIT int axas_stats_show(struct seq_file *m, void *unused)
{
	struct axas_space *space = m->private;
	struct axas_space_stats st;

	axas_space_get_stats(space, &st);
	seq_printf(m, "areas %lu\nframes %lu\nleaves_4k %lu\nleaves_2m %lu\n"
		   "leaves_1g %lu\ntables %lu\nfaults_installed %llu\n"
		   "faults_spurious %llu\nfaults_refused %llu\n"
		   "fallbacks %llu\nflushes %llu\nfaults_dirty %llu\n"
		   "snapshot_frames %lu\npool_frames %lu\n",
		   st.areas, st.frames, st.leaves[0], st.leaves[1], st.leaves[2],
		   st.tables, st.faults_installed, st.faults_spurious,
		   st.faults_refused, st.fallbacks, st.flushes,
		   st.faults_dirty, st.snapshot_frames, st.pool_frames);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(axas_stats_show);
DEFINE_SHOW_ATTRIBUTE(axas_stats);

static const char *prot_str(u32 prot, char *buf)
{
	buf[0] = prot & AXAS_PROT_READ ? 'r' : '-';
	buf[1] = prot & AXAS_PROT_WRITE ? 'w' : '-';
	buf[2] = prot & AXAS_PROT_EXEC ? 'x' : '-';
	buf[3] = prot & AXAS_PROT_EXEC_USER ? 'u' : '-';
	buf[4] = 0;
	return buf;
}

static const char *const mt_names[AXAS_MT_NR] = {
	[AXAS_MT_WB] = "wb", [AXAS_MT_UC] = "uc", [AXAS_MT_WC] = "wc",
	[AXAS_MT_WT] = "wt", [AXAS_MT_WP] = "wp",
};

static int area_show(void *arg, const struct axas_area_info *a)
{
	struct seq_file *m = arg;
	char buf[5];

	seq_printf(m, "%016llx-%016llx %s %s %-6s pgsize %lx", a->gpa,
		   a->gpa + a->size, prot_str(a->flags, buf),
		   mt_names[(a->flags & AXAS_PROT_MT_MASK) >> 8], a->backend,
		   a->pgsize);
	if (!strcmp(a->backend, "linear"))
		seq_printf(m, " hpa %llx", (u64)a->hpa);
	if (!strcmp(a->backend, "file"))
		seq_printf(m, " offset %llx", a->offset);
	if (a->flags & AXAS_AREA_POPULATE)
		seq_puts(m, " populated");
	if (a->flags & AXAS_AREA_NO_FALLBACK)
		seq_puts(m, " no-fallback");
	seq_putc(m, '\n');
	return 0;
}

VISIBLE_IF_KUNIT int axas_areas_show(struct seq_file *m, void *unused)
{
	return axas_walk_areas(m->private, area_show, m);
}
EXPORT_SYMBOL_IF_KUNIT(axas_areas_show);
DEFINE_SHOW_ATTRIBUTE(axas_areas);

static void leaf_show(struct seq_file *m, const struct axas_pt_leaf *leaf)
{
	char buf[5];

	seq_printf(m, "%016llx %s -> %016llx %s %s%s%s pte %016llx\n", leaf->gpa,
		   leaf->size == SZ_1G ? "1G" : leaf->size == SZ_2M ? "2M" : "4K",
		   (u64)leaf->hpa, prot_str(leaf->prot, buf),
		   mt_names[(leaf->prot & AXAS_PROT_MT_MASK) >> 8],
		   leaf->accessed ? " A" : "", leaf->dirty ? " D" : "", leaf->pte);
}

/*
 * The table file streams: record 0 is the root descriptor, record k >= 1
 * the leaves (a batch of them) from GPA base + (k - 1) * 4 KiB on. A
 * record is found from its position alone, in one short RCU read-side
 * section, so a reader may stop anywhere and come back; the buffer holds
 * one batch, however large the table.
 */
static void *table_batch(struct axas_table_iter *it, loff_t pos)
{
	struct axas_space *space = it->space;
	u64 gpa = space->base + ((u64)(pos - 1) << PAGE_SHIFT);

	if (gpa < space->base || gpa >= space->end)
		return NULL;
	it->n = axas_pt_next_leaves(&space->pt, gpa, space->end, it->leaves,
				    AXAS_TABLE_BATCH);
	return it->n ? it : NULL;
}

static void *table_start(struct seq_file *m, loff_t *pos)
{
	return *pos ? table_batch(m->private, *pos) : SEQ_START_TOKEN;
}

static void *table_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct axas_table_iter *it = m->private;
	u64 next = it->space->base;

	if (v != SEQ_START_TOKEN)
		next = it->leaves[it->n - 1].gpa + it->leaves[it->n - 1].size;
	*pos = ((next - it->space->base) >> PAGE_SHIFT) + 1;
	return table_batch(it, *pos);
}

static void table_stop(struct seq_file *m, void *v)
{
}

static int table_show(struct seq_file *m, void *v)
{
	struct axas_table_iter *it = m->private;
	unsigned int i;

	if (v == SEQ_START_TOKEN) {
		seq_printf(m, "root %016llx\n", axas_space_root(it->space));
		return 0;
	}
	for (i = 0; i < it->n; i++)
		leaf_show(m, &it->leaves[i]);
	return 0;
}

VISIBLE_IF_KUNIT const struct seq_operations axas_table_seq_ops = {
	.start = table_start,
	.next = table_next,
	.stop = table_stop,
	.show = table_show,
};
EXPORT_SYMBOL_IF_KUNIT(axas_table_seq_ops);

static int axas_table_open(struct inode *inode, struct file *file)
{
	struct axas_table_iter *it;

	it = __seq_open_private(file, &axas_table_seq_ops, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->space = inode->i_private;
	return 0;
}

static const struct file_operations axas_table_fops = {
	.owner = THIS_MODULE,
	.open = axas_table_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = seq_release_private,
};

/* The core's @create hook: the space's directory. */
static void debugfs_space_create(struct axas_space *space)
{
	char name[48];

	snprintf(name, sizeof(name), "%s-%d", space->name, space->id);
	space->debugfs = debugfs_create_dir(name, axas_debugfs_root);
	debugfs_create_file("stats", 0444, space->debugfs, space, &axas_stats_fops);
	debugfs_create_file("areas", 0444, space->debugfs, space, &axas_areas_fops);
	debugfs_create_file("table", 0444, space->debugfs, space, &axas_table_fops);
}

/* The core's @destroy hook. */
static void debugfs_space_destroy(struct axas_space *space)
{
	debugfs_remove_recursive(space->debugfs);
}

struct axas_space_hooks axas_debugfs_hooks = {
	.create = debugfs_space_create,
	.destroy = debugfs_space_destroy,
};

/*
 * Exact: table pages freed before the read have left their grace period.
 * Without the barrier a reader right after a space's destruction (the
 * harness, after its modules ran) counts pages still waiting for it.
 */
static int axas_live_tables_get(void *data, u64 *val)
{
	rcu_barrier();
	*val = axas_pt_live_tables();
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(axas_live_tables_fops, axas_live_tables_get, NULL,
			 "%llu\n");

/* /sys/kernel/debug/axas/, and its live_tables file. */
void axas_debugfs_init(void)
{
	axas_debugfs_root = debugfs_create_dir("axas", NULL);
	debugfs_create_file_unsafe("live_tables", 0444, axas_debugfs_root,
				   NULL, &axas_live_tables_fops);
}

void axas_debugfs_exit(void)
{
	debugfs_remove_recursive(axas_debugfs_root);
}
