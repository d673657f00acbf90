// SPDX-License-Identifier: GPL-2.0
/*
 * The shadow model: the leaves a table should hold after a sequence of
 * map/unmap/protect, computed by the plainest rules that describe the
 * engine's contract:
 * - map picks, for each position, the largest allowed leaf that GPA, HPA
 *   and the rest of the range are aligned to and fit;
 * - unmap and protect split a leaf they cover in part into the 512 leaves
 *   of the next level (same translation, rights, A/D) and recurse.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "axas_test.h"

static u64 leaf_size(unsigned int level)
{
	return 1ULL << (12 + 9 * level);
}

/* First leaf that ends after @addr. */
static size_t model_lower(const struct axt_leaves *l, u64 addr)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->v[mid].gpa + leaf_size(l->v[mid].level) <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct axt_leaf *axt_model_find(const struct axt_model *m, u64 gpa)
{
	size_t i = model_lower(&m->l, gpa);

	if (i < m->l.n && m->l.v[i].gpa <= gpa)
		return &m->l.v[i];
	return NULL;
}

/* Replace leaves [i, j) of @l by @with. */
static int model_splice(struct axt_leaves *l, size_t i, size_t j,
			const struct axt_leaves *with)
{
	size_t n = l->n - (j - i) + with->n;

	if (n > l->cap) {
		struct axt_leaf *v = kvrealloc(l->v, n * sizeof(*v), GFP_KERNEL);

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = n;
	}
	memmove(&l->v[i + with->n], &l->v[j], (l->n - j) * sizeof(*l->v));
	if (with->n)
		memcpy(&l->v[i], with->v, with->n * sizeof(*l->v));
	l->n = n;
	return 0;
}

int axt_model_map(struct axt_model *m, u64 gpa, u64 size, u64 hpa, u32 prot,
		  unsigned long pgsizes)
{
	struct axt_leaves add = {};
	u64 end = gpa + size, pos = gpa;
	size_t i = model_lower(&m->l, gpa);
	int ret = 0;

	if (i < m->l.n && m->l.v[i].gpa < end)
		return -EEXIST;
	while (pos < end) {
		u64 pa = hpa + (pos - gpa);
		struct axt_leaf leaf = { .gpa = pos, .hpa = pa, .prot = prot };
		int level;

		for (level = 2; level >= 0; level--) {
			u64 sz = leaf_size(level);

			if ((pgsizes & sz) && IS_ALIGNED(pos | pa, sz) &&
			    end - pos >= sz)
				break;
		}
		if (level < 0) {
			ret = -EINVAL;
			goto out;
		}
		leaf.level = level;
		ret = axt_leaves_push(&add, &leaf);
		if (ret)
			goto out;
		pos += leaf_size(level);
	}
	ret = model_splice(&m->l, i, i, &add);
out:
	axt_leaves_free(&add);
	return ret;
}

static int model_edit_leaf(struct axt_leaves *out, const struct axt_leaf *lf,
			   u64 s, u64 e, bool unmap, u32 prot)
{
	u64 size = leaf_size(lf->level), csize, end = lf->gpa + size;
	unsigned int i;
	int ret;

	if (end <= s || lf->gpa >= e)
		return axt_leaves_push(out, lf);
	if (lf->gpa >= s && end <= e) {
		struct axt_leaf c = *lf;

		if (unmap)
			return 0;
		c.prot = prot;
		return axt_leaves_push(out, &c);
	}
	csize = leaf_size(lf->level - 1);
	for (i = 0; i < 512; i++) {
		struct axt_leaf c = *lf;

		c.level--;
		c.gpa += i * csize;
		c.hpa += i * csize;
		ret = model_edit_leaf(out, &c, s, e, unmap, prot);
		if (ret)
			return ret;
	}
	return 0;
}

static int model_edit(struct axt_model *m, u64 gpa, u64 size, bool unmap,
		      u32 prot)
{
	struct axt_leaves out = {};
	size_t i = model_lower(&m->l, gpa), j;
	int ret = 0;

	for (j = i; j < m->l.n && m->l.v[j].gpa < gpa + size; j++) {
		ret = model_edit_leaf(&out, &m->l.v[j], gpa, gpa + size, unmap,
				      prot);
		if (ret)
			goto out;
	}
	ret = model_splice(&m->l, i, j, &out);
out:
	axt_leaves_free(&out);
	return ret;
}

int axt_model_unmap(struct axt_model *m, u64 gpa, u64 size)
{
	return model_edit(m, gpa, size, true, 0);
}

int axt_model_protect(struct axt_model *m, u64 gpa, u64 size, u32 prot)
{
	return model_edit(m, gpa, size, false, prot);
}

/*
 * The table pages a table holding exactly these leaves needs (empty tables
 * reclaimed): a table at level t for every distinct span of level t + 1
 * that contains a leaf at level <= t, and the root.
 */
void axt_model_tables(const struct axt_model *m,
		      unsigned long tables[AXAS_PT_MAX_LEVELS])
{
	unsigned int top = m->levels - 1, t;
	size_t i;

	memset(tables, 0, sizeof(unsigned long) * AXAS_PT_MAX_LEVELS);
	tables[top] = 1;
	for (t = 0; t < top; t++) {
		u64 last = U64_MAX;
		unsigned int shift = 12 + 9 * (t + 1);

		for (i = 0; i < m->l.n; i++) {
			const struct axt_leaf *lf = &m->l.v[i];

			if (lf->level > t || (lf->gpa >> shift) == last)
				continue;
			last = lf->gpa >> shift;
			tables[t]++;
		}
	}
}
