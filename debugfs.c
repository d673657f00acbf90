// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/axas/<name>-<id>/: stats, areas and table of a space.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <kunit/visibility.h>

#include "axas_internal.h"

VISIBLE_IF_KUNIT int axas_stats_show(struct seq_file *m, void *unused)
{
	struct axas_space *space = m->private;
	struct axas_space_stats st;

	axas_space_get_stats(space, &st);
	seq_printf(m, "areas %lu\nframes %lu\nleaves_4k %lu\nleaves_2m %lu\n"
		   "leaves_1g %lu\ntables %lu\nfaults_installed %llu\n"
		   "faults_spurious %llu\nfaults_refused %llu\nflushes %llu\n",
		   st.areas, st.frames, st.leaves[0], st.leaves[1], st.leaves[2],
		   st.tables, st.faults_installed, st.faults_spurious,
		   st.faults_refused, st.flushes);
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
	if (a->flags & AXAS_AREA_POPULATE)
		seq_puts(m, " populated");
	seq_putc(m, '\n');
	return 0;
}

VISIBLE_IF_KUNIT int axas_areas_show(struct seq_file *m, void *unused)
{
	return axas_walk_areas(m->private, area_show, m);
}
EXPORT_SYMBOL_IF_KUNIT(axas_areas_show);
DEFINE_SHOW_ATTRIBUTE(axas_areas);

static void leaf_show(void *arg, const struct axas_pt_leaf *leaf)
{
	struct seq_file *m = arg;
	char buf[5];

	seq_printf(m, "%016llx %s -> %016llx %s %s%s%s pte %016llx\n", leaf->gpa,
		   leaf->size == SZ_1G ? "1G" : leaf->size == SZ_2M ? "2M" : "4K",
		   (u64)leaf->hpa, prot_str(leaf->prot, buf),
		   mt_names[(leaf->prot & AXAS_PROT_MT_MASK) >> 8],
		   leaf->accessed ? " A" : "", leaf->dirty ? " D" : "", leaf->pte);
}

VISIBLE_IF_KUNIT int axas_table_show(struct seq_file *m, void *unused)
{
	struct axas_space *space = m->private;

	seq_printf(m, "root %016llx\n", axas_space_root(space));
	down_read(&space->lock);
	if (!space->dead)
		axas_pt_walk_leaves(&space->pt, space->base,
				      space->end - space->base, leaf_show, m);
	up_read(&space->lock);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(axas_table_show);
DEFINE_SHOW_ATTRIBUTE(axas_table);

void axas_space_debugfs_init(struct axas_space *space)
{
	char name[48];

	snprintf(name, sizeof(name), "%s-%d", space->name, space->id);
	space->debugfs = debugfs_create_dir(name, axas_debugfs_root);
	debugfs_create_file("stats", 0444, space->debugfs, space, &axas_stats_fops);
	debugfs_create_file("areas", 0444, space->debugfs, space, &axas_areas_fops);
	debugfs_create_file("table", 0444, space->debugfs, space, &axas_table_fops);
}
