// SPDX-License-Identifier: GPL-2.0
/*
 * An oracle for the engine: reads raw EPT and NPT tables the way the
 * manuals describe them, without any of the engine's helpers, and reports
 * every leaf plus every entry the hardware would reject or that the engine
 * must never write.
 *
 * EPT: Intel SDM Vol. 3C, "EPT Translation Mechanism" (entry formats of the
 * PML5E/PML4E/PDPTE/PDE/PTE tables) and "EPT Misconfigurations".
 * NPT: AMD APM Vol. 2, 5.3 "Long-Mode Page Translation" (entry formats) and
 * 15.25 "Nested Paging" (U/S at every level, host PAT).
 *
 * axas's own convention on top: every entry it writes has bit 11 set (the
 * CPU ignores it in both formats), and a leaf with no right at all is an
 * entry the CPU sees as not present with bit 11 set; it decodes as a leaf
 * with no right.
 */
#include <kunit/test.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "../features/features.h"
#include "axas_test.h"

#define ADDR_BITS	GENMASK_ULL(51, 12)
#define SW_PRESENT	BIT_ULL(11)

const struct axt_fmt axt_fmts[AXT_NR_FMTS] = {
	{ "ept4", AXAS_PT_EPT, 4 },
	{ "ept5", AXAS_PT_EPT, 5 },
	{ "npt4", AXAS_PT_NPT, 4 },
	{ "npt5", AXAS_PT_NPT, 5 },
};

void axt_fmt_desc(const struct axt_fmt *f, char *desc)
{
	strscpy(desc, f->name, KUNIT_PARAM_DESC_SIZE);
}

int axt_leaves_push(struct axt_leaves *l, const struct axt_leaf *leaf)
{
	if (l->n == l->cap) {
		size_t cap = max_t(size_t, 64, l->cap * 2);
		struct axt_leaf *v = kvrealloc(l->v, cap * sizeof(*v), GFP_KERNEL);

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *leaf;
	return 0;
}

void axt_leaves_free(struct axt_leaves *l)
{
	kvfree(l->v);
	l->v = NULL;
	l->n = 0;
	l->cap = 0;
}

static __printf(2, 3) void dec_error(struct axt_dec *d, const char *fmt, ...)
{
	va_list args;

	if (!d->errors++) {
		va_start(args, fmt);
		vsnprintf(d->first_error, sizeof(d->first_error), fmt, args);
		va_end(args);
	}
}

static unsigned int dec_shift(unsigned int level)
{
	return 12 + 9 * level;
}

/* EPT memory type field -> AXAS_MT_*; -1 for a misconfiguration. */
static int ept_mt(u64 type)
{
	switch (type) {
	case 6: return AXAS_MT_WB;
	case 0: return AXAS_MT_UC;
	case 1: return AXAS_MT_WC;
	case 4: return AXAS_MT_WT;
	case 5: return AXAS_MT_WP;
	}
	return -1;
}

/* Linux's host PAT: 0 WB, 1 WC, 3 UC, 5 WP, 7 WT (2 and 6 are UC-). */
static int npt_mt(unsigned int pat_index)
{
	switch (pat_index) {
	case 0: return AXAS_MT_WB;
	case 1: return AXAS_MT_WC;
	case 3: return AXAS_MT_UC;
	case 5: return AXAS_MT_WP;
	case 7: return AXAS_MT_WT;
	}
	return -1;
}

static int dec_table(struct axt_dec *d, u64 pa, unsigned int level, u64 base);

static int dec_ept(struct axt_dec *d, u64 e, unsigned int level, u64 gpa)
{
	bool mbec = d->caps & AXAS_CAP_MBEC;
	bool r = e & BIT_ULL(0), w = e & BIT_ULL(1), x = e & BIT_ULL(2);
	bool xu = mbec && (e & BIT_ULL(10));
	bool leaf = level == 0 || ((level == 1 || level == 2) && (e & BIT_ULL(7)));
	struct axt_leaf out = { .gpa = gpa, .level = level };
	u64 addr = e & ADDR_BITS;
	int mt;

	if (!r && !w && !x && !xu) {
		/* Not present to the CPU: empty, or axas's leaf with no right. */
		if (!e)
			return 0;
		if (!(e & SW_PRESENT) || !leaf ||
		    (e & (GENMASK_ULL(63, 52) | BIT_ULL(10) | GENMASK_ULL(9, 8)))) {
			dec_error(d, "ept L%u gpa %llx: non-present entry %llx", level, gpa, e);
			return 0;
		}
	} else if (!(e & SW_PRESENT)) {
		dec_error(d, "ept L%u gpa %llx: present without bit 11 %llx", level, gpa, e);
	}
	if (w && !r)
		dec_error(d, "ept L%u gpa %llx: write without read %llx", level, gpa, e);
	if (e & (GENMASK_ULL(63, 52) | (mbec ? 0 : BIT_ULL(10))))
		dec_error(d, "ept L%u gpa %llx: high/ignored bits set %llx", level, gpa, e);
	if (addr >> d->phys_bits)
		dec_error(d, "ept L%u gpa %llx: address beyond MAXPHYADDR %llx", level, gpa, e);
	if (level >= 3 && (e & BIT_ULL(7)))
		dec_error(d, "ept L%u gpa %llx: page size in PML4E/PML5E %llx", level, gpa, e);

	if (!leaf) {
		/* Reserved bits 7:3; the engine grants all rights above leaves. */
		if (e & GENMASK_ULL(7, 3))
			dec_error(d, "ept L%u gpa %llx: reserved table bits %llx", level, gpa, e);
		if (!r || !w || !x || (e & BIT_ULL(9)))
			dec_error(d, "ept L%u gpa %llx: table entry %llx", level, gpa, e);
		return dec_table(d, addr, level - 1, gpa);
	}

	if (level && (addr & GENMASK_ULL(dec_shift(level) - 1, 12)))
		dec_error(d, "ept L%u gpa %llx: reserved address bits %llx", level, gpa, e);
	addr &= ~((1ULL << dec_shift(level)) - 1);
	mt = ept_mt((e >> 3) & 7);
	if (mt < 0)
		dec_error(d, "ept L%u gpa %llx: bad memory type %llx", level, gpa, e);
	if (!r && (x || xu) && !(d->caps & AXAS_CAP_EXEC_ONLY))
		dec_error(d, "ept L%u gpa %llx: execute-only without the capability %llx",
			  level, gpa, e);
	out.hpa = addr;
	out.prot = (r ? AXAS_PROT_READ : 0) | (w ? AXAS_PROT_WRITE : 0) |
		   (x ? AXAS_PROT_EXEC : 0) | (xu ? AXAS_PROT_EXEC_USER : 0) |
		   ((e & BIT_ULL(6)) ? AXAS_PROT_IGNORE_PAT : 0) |
		   AXAS_PROT_MT(mt < 0 ? 0 : mt);
	out.accessed = e & BIT_ULL(8);
	out.dirty = e & BIT_ULL(9);
	return axt_leaves_push(&d->out, &out);
}

static int dec_npt(struct axt_dec *d, u64 e, unsigned int level, u64 gpa)
{
	bool leaf = level == 0 || ((level == 1 || level == 2) && (e & BIT_ULL(7)));
	struct axt_leaf out = { .gpa = gpa, .level = level };
	/* With memory encryption the C-bit is no address bit. */
	u64 addr = e & ADDR_BITS & ~d->me_mask;
	unsigned int pat;
	int mt;

	bool present = e & BIT_ULL(0);

	if (!present) {
		/* Not present to the CPU: empty, or axas's leaf with no right. */
		if (!e)
			return 0;
		if (!(e & SW_PRESENT) || !leaf ||
		    (e & (GENMASK_ULL(62, 52) | GENMASK_ULL(10, 8) | GENMASK_ULL(2, 1)))) {
			dec_error(d, "npt L%u gpa %llx: non-present entry %llx", level, gpa, e);
			return 0;
		}
	} else if (!(e & SW_PRESENT)) {
		dec_error(d, "npt L%u gpa %llx: present without bit 11 %llx", level, gpa, e);
	}
	/* Nested walks are user accesses: U/S at every level. */
	if (present && !(e & BIT_ULL(2)))
		dec_error(d, "npt L%u gpa %llx: U/S clear %llx", level, gpa, e);
	if (e & (GENMASK_ULL(62, 52) | GENMASK_ULL(10, 8)))
		dec_error(d, "npt L%u gpa %llx: reserved/ignored bits set %llx", level, gpa, e);
	if (addr >> d->phys_bits)
		dec_error(d, "npt L%u gpa %llx: address beyond MAXPHYADDR %llx", level, gpa, e);
	if (level >= 3 && (e & BIT_ULL(7)))
		dec_error(d, "npt L%u gpa %llx: PS in PML4E/PML5E %llx", level, gpa, e);

	if (!leaf) {
		if (!(e & BIT_ULL(1)) || (e & (BIT_ULL(63) | GENMASK_ULL(4, 3))))
			dec_error(d, "npt L%u gpa %llx: table entry %llx", level, gpa, e);
		/* Tables are RAM the host reads encrypted: C-bit set. */
		if ((e & d->me_mask) != d->me_mask)
			dec_error(d, "npt L%u gpa %llx: table entry without C-bit %llx",
				  level, gpa, e);
		return dec_table(d, addr, level - 1, gpa);
	}

	if (level) {
		/* Bit 12 is PAT; bits 20:13 (2M) or 29:13 (1G) are reserved. */
		if (addr & GENMASK_ULL(dec_shift(level) - 1, 13))
			dec_error(d, "npt L%u gpa %llx: reserved address bits %llx",
				  level, gpa, e);
		pat = ((e >> 12) & 1) << 2;
	} else {
		pat = ((e >> 7) & 1) << 2;
	}
	pat |= (e >> 3) & 3;
	mt = npt_mt(pat);
	if (mt < 0)
		dec_error(d, "npt L%u gpa %llx: PAT index %u not used %llx", level, gpa, pat, e);
	/* Whether a leaf needs the C-bit depends on what backs it: the caller's. */
	out.encrypted = d->me_mask && (e & d->me_mask);
	out.hpa = addr & ~((1ULL << dec_shift(level)) - 1);
	out.prot = AXAS_PROT_MT(mt < 0 ? 0 : mt);
	if (present)
		out.prot |= AXAS_PROT_READ | ((e & BIT_ULL(1)) ? AXAS_PROT_WRITE : 0) |
			    ((e & BIT_ULL(63)) ? 0 : AXAS_PROT_EXEC);
	out.accessed = e & BIT_ULL(5);
	out.dirty = e & BIT_ULL(6);
	return axt_leaves_push(&d->out, &out);
}

static int dec_table(struct axt_dec *d, u64 pa, unsigned int level, u64 base)
{
	const u64 *table = phys_to_virt(pa);
	unsigned int i;
	int ret;

	d->tables[level]++;
	for (i = 0; i < 512; i++) {
		u64 gpa = base + ((u64)i << dec_shift(level));
		u64 e = READ_ONCE(table[i]);

		if (d->format == AXAS_PT_EPT)
			ret = dec_ept(d, e, level, gpa);
		else
			ret = dec_npt(d, e, level, gpa);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Decode the table behind @root_desc (EPTP or nCR3) into d->out, counting
 * table pages per level and recording illegal entries in d->errors.
 */
int axt_decode(struct axt_dec *d, u64 root_desc)
{
	d->out.n = 0;
	d->errors = 0;
	d->first_error[0] = 0;
	memset(d->tables, 0, sizeof(d->tables));

	if (d->format == AXAS_PT_EPT) {
		u64 mt = root_desc & 7, walk = ((root_desc >> 3) & 7) + 1;

		if (mt != 0 && mt != 6)
			dec_error(d, "eptp %llx: memory type %llu", root_desc, mt);
		if (walk != d->levels)
			dec_error(d, "eptp %llx: walk length %llu", root_desc, walk);
		if (root_desc & (GENMASK_ULL(11, 7) | GENMASK_ULL(63, 52)))
			dec_error(d, "eptp %llx: reserved bits", root_desc);
	} else {
		if (root_desc & ~ADDR_BITS)
			dec_error(d, "ncr3 %llx: low or high bits set", root_desc);
		if ((root_desc & d->me_mask) != d->me_mask)
			dec_error(d, "ncr3 %llx: no C-bit", root_desc);
	}
	return dec_table(d, root_desc & ADDR_BITS & ~d->me_mask, d->levels - 1, 0);
}

/*
 * Read the debugfs table file through its seq_file operations, one record
 * per start/show/next/stop, as read() does with a page-sized buffer that
 * fills: every record is found again from its position alone. The text
 * goes to @out (up to @out_size, NUL-terminated; NULL: count only).
 * Returns the number of lines, -EOVERFLOW when a record does not fit a
 * page, or -ENOMEM; *@most gets the largest record.
 */
long axt_dump_table(struct axas_space *space, char *out, size_t out_size,
		    size_t *most)
{
	struct axas_table_iter *it = kzalloc(sizeof(*it), GFP_KERNEL);
	struct seq_file m = { .size = PAGE_SIZE, .private = it };
	size_t used = 0, i;
	long lines = 0;
	loff_t pos = 0;
	void *p;

	m.buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	*most = 0;
	if (!it || !m.buf) {
		lines = -ENOMEM;
		goto out;
	}
	it->space = space;
	if (out && out_size)
		out[0] = 0;
	while ((p = axas_table_seq_ops.start(&m, &pos))) {
		m.count = 0;
		axas_table_seq_ops.show(&m, p);
		if (seq_has_overflowed(&m)) {
			axas_table_seq_ops.stop(&m, p);
			lines = -EOVERFLOW;
			goto out;
		}
		*most = max(*most, m.count);
		for (i = 0; i < m.count; i++)
			lines += m.buf[i] == '\n';
		if (out && used + m.count < out_size) {
			memcpy(out + used, m.buf, m.count);
			used += m.count;
			out[used] = 0;
		}
		p = axas_table_seq_ops.next(&m, p, &pos);
		axas_table_seq_ops.stop(&m, p);
		cond_resched();
	}
	axas_table_seq_ops.stop(&m, NULL);
out:
	kfree(m.buf);
	kfree(it);
	return lines;
}

/*
 * The table configuration the space suites use: format @f with every
 * capability it has (4 and 5 levels, 2 MiB and 1 GiB leaves; EPT with
 * execute-only, MBEC and A/D), 46 physical-address bits.
 */
struct axas_pt_cfg axt_pt_cfg_all(const struct axt_fmt *f)
{
	struct axas_pt_cfg cfg = { .format = f->format, .levels = f->levels };

	if (f->format == AXAS_PT_EPT)
		cfg.caps = axas_pt_caps_from_ept(GENMASK_ULL(26, 0), true, 46);
	else
		cfg.caps = axas_pt_caps_from_npt(true, true, 46);
	cfg.caps.flags |= AXAS_CAP_4LEVEL | AXAS_CAP_5LEVEL;
	return cfg;
}

long axt_live_tables(void)
{
	rcu_barrier();
	return axas_pt_live_tables();
}

void axt_space_destroy(struct kunit *test, struct axas_space *space,
		       long tables_base)
{
	axas_space_destroy(space);
	KUNIT_EXPECT_EQ_MSG(test, axt_live_tables(), tables_base,
			    "table pages leaked");
}

struct axas_space_stats axt_stats(struct axas_space *space)
{
	struct axas_space_stats st;

	axas_space_get_stats(space, &st);
	return st;
}
