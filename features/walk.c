// SPDX-License-Identifier: GPL-2.0
/*
 * The guest page walker: GVA -> GPA through the guest's own page tables,
 * as the guest's CPU translates (Intel SDM Vol. 3A, chapter 4 "Paging";
 * AMD APM Vol. 2, chapter 5 "Page Translation and Protection"). See
 * include/axas/walk.h.
 *
 * Levels are numbered as in the nested tables (include/axas/pt.h): 0 is
 * the table of 4 KiB pages (PTEs), 1 the page directory, 2 the PDPT (PAE:
 * the four PDPTEs), 3 the PML4, 4 the PML5.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <kunit/visibility.h>

#include <axas/axas.h>
#include <axas/walk.h>

#include "../compat_internal.h"

#include "features.h"

/* The register bits the walk depends on. */
#define GUEST_CR0_WP		BIT_ULL(16)
#define GUEST_CR0_PG		BIT_ULL(31)
#define GUEST_CR4_PSE		BIT_ULL(4)
#define GUEST_CR4_PAE		BIT_ULL(5)
#define GUEST_CR4_LA57	BIT_ULL(12)
#define GUEST_CR4_SMEP	BIT_ULL(20)
#define GUEST_CR4_SMAP	BIT_ULL(21)
#define GUEST_CR4_PKE		BIT_ULL(22)
#define GUEST_CR4_PKS		BIT_ULL(24)
#define GUEST_EFER_LMA	BIT_ULL(10)
#define GUEST_EFER_NXE	BIT_ULL(11)
#define GUEST_RFLAGS_AC	BIT_ULL(18)

/* Paging-structure entry bits (the same in every mode where they exist). */
#define GPTE_P		BIT_ULL(0)
#define GPTE_RW		BIT_ULL(1)
#define GPTE_US		BIT_ULL(2)
#define GPTE_A		BIT_ULL(5)
#define GPTE_D		BIT_ULL(6)
#define GPTE_PS		BIT_ULL(7)
#define GPTE_PKEY	GENMASK_ULL(62, 59)
#define GPTE_XD		BIT_ULL(63)
/* 32-bit paging: a 4 MiB page's address bits 31:22 and 39:32 (PSE-36). */
#define GPDE32_ADDR_LO	GENMASK_ULL(31, 22)
#define GPDE32_ADDR_HI	GENMASK_ULL(20, 13)
#define GPTE32_ADDR	GENMASK_ULL(31, 12)

#define WALK_FLAGS	(AXAS_WALK_WRITE | AXAS_WALK_FETCH | AXAS_WALK_IMPLICIT | \
			 AXAS_WALK_SET_AD | AXAS_WALK_FAULT_IN)
/* Restarts of a walk whose tables changed while it set A/D flags. */
#define WALK_MAX_RESTARTS	64

enum walk_mode { MODE_32, MODE_PAE, MODE_4LEVEL, MODE_5LEVEL };

struct walker {
	struct axas_space *space;
	const struct axas_walk_state *st;
	u64 gva;
	unsigned int flags;
	enum walk_mode mode;
	unsigned int levels;
	bool nxe;
	u64 addr_mask;		/* bits M-1:12 of an entry */
	/* The entries the walk read, from the top (PAE: not the PDPTE). */
	unsigned int n;
	u64 gpa[AXAS_PT_MAX_LEVELS];
	u64 val[AXAS_PT_MAX_LEVELS];
	/* The guest's rights on their pages, and whether those are RAM. */
	u32 prot[AXAS_PT_MAX_LEVELS];
	bool ram[AXAS_PT_MAX_LEVELS];
};

static bool walk_wide(const struct walker *w)
{
	return w->mode != MODE_32;
}

/* Bits of an entry at @level that must be 0 when it is present. */
static u64 walk_rsvd(const struct walker *w, unsigned int level, u64 e)
{
	unsigned int m = w->st->maxphyaddr;
	u64 rsvd = 0;

	switch (w->mode) {
	case MODE_32:
		/* Only a 4 MiB PDE has any: 21:(M-19), M at most 40. */
		if (level == 1 && (e & GPTE_PS) && (w->st->cr4 & GUEST_CR4_PSE))
			rsvd = GENMASK_ULL(21, min(m, 40U) - 19);
		return rsvd;
	case MODE_PAE:
		if (level == 2)		/* PDPTE: 2:1, 8:5, 63:M */
			return GENMASK_ULL(2, 1) | GENMASK_ULL(8, 5) |
			       GENMASK_ULL(63, m);
		rsvd = GENMASK_ULL(62, m);
		break;
	default:
		rsvd = m < 52 ? GENMASK_ULL(51, m) : 0;
		if (level >= 3)
			rsvd |= GPTE_PS;
		else if (level == 2 && (w->st->flags & AXAS_GUEST_NO_1G))
			rsvd |= GPTE_PS;
		break;
	}
	if (!w->nxe)
		rsvd |= GPTE_XD;
	if ((level == 1 || level == 2) && (e & GPTE_PS) && !(rsvd & GPTE_PS))
		rsvd |= GENMASK_ULL(12 + 9 * level - 1, 13);
	return rsvd;
}

static bool walk_leaf(const struct walker *w, unsigned int level, u64 e)
{
	if (!level)
		return true;
	if (!(e & GPTE_PS))
		return false;
	if (w->mode == MODE_32)
		return level == 1 && (w->st->cr4 & GUEST_CR4_PSE);
	return level <= 2;	/* level 2 PS was refused as reserved if not allowed */
}

static unsigned int walk_index(const struct walker *w, unsigned int level)
{
	if (w->mode == MODE_32)
		return (w->gva >> (12 + 10 * level)) & 1023;
	return (w->gva >> (12 + 9 * level)) & 511;
}

/*
 * Read the entry at @gpa (4 bytes in 32-bit paging, 8 otherwise) as entry
 * @w->n of the walk. A page the guest may not read: the CPU's walk would
 * exit there (an EPT violation: a read without the read right).
 */
static int walk_read(struct walker *w, u64 gpa, u64 *e,
		     struct axas_walk_result *res)
{
	struct axas_guest_map m;
	int ret;

	ret = axas_space_guest_map(w->space, gpa, w->flags & AXAS_WALK_FAULT_IN, &m);
	if (ret)
		return ret;
	if (!(m.prot & AXAS_PROT_READ)) {
		axas_space_guest_unmap(&m);
		res->nested_access = AXAS_ACCESS_READ;
		return AXAS_WALK_NESTED_FAULT;
	}
	if (walk_wide(w))
		*e = READ_ONCE(*(u64 *)m.va);
	else
		*e = READ_ONCE(*(u32 *)m.va);
	axas_space_guest_unmap(&m);
	w->prot[w->n] = m.prot;
	w->ram[w->n] = m.ram;
	return 0;
}

/*
 * Between the walk's read of the entry at @gpa and its compare-and-exchange
 * of A/D flags at @entry: the KUnit suite changes the entry here, exactly
 * where another vCPU may.
 */
VISIBLE_IF_KUNIT void axas_walk_before_ad(u64 gpa, void *entry)
{
	KUNIT_STATIC_STUB_REDIRECT(axas_walk_before_ad, gpa, entry);
}
EXPORT_SYMBOL_IF_KUNIT(axas_walk_before_ad);

/*
 * Set @bits in the entry at @gpa, which the walk read as @seen. Another
 * vCPU may set A/D flags meanwhile (try again on its value); any other
 * change means the walk is stale: -EAGAIN, walk again.
 */
static int walk_set_bits(struct walker *w, u64 gpa, u64 seen, u64 bits)
{
	struct axas_guest_map m;
	u64 old = seen, cur;
	int ret;

	if ((seen & bits) == bits)
		return 0;
	ret = axas_space_guest_map(w->space, gpa, false, &m);
	if (ret)
		return ret;
	axas_walk_before_ad(gpa, m.va);
	for (;;) {
		if (walk_wide(w))
			cur = cmpxchg((u64 *)m.va, old, old | bits);
		else
			cur = cmpxchg((u32 *)m.va, (u32)old, (u32)(old | bits));
		if (cur == old || (cur & bits) == bits ||
		    (cur & ~(GPTE_A | GPTE_D)) != (seen & ~(GPTE_A | GPTE_D)))
			break;
		old = cur;
	}
	axas_space_guest_unmap(&m);
	/* Written behind the nested table: a dirty log must hear of it. */
	if (cur == old)
		axas_space_written(w->space, gpa, walk_wide(w) ? 8 : 4);
	if ((cur & ~(GPTE_A | GPTE_D)) != (seen & ~(GPTE_A | GPTE_D)))
		return -EAGAIN;
	return 0;
}

/* The A and D flags entry @i of the walk needs, or 0 if it has them. */
static u64 walk_ad_bits(const struct walker *w, unsigned int i)
{
	u64 bits = GPTE_A;

	if (i == w->n - 1 && (w->flags & AXAS_WALK_WRITE))
		bits |= GPTE_D;
	return bits & ~w->val[i];
}

/*
 * Set the A/D flags of a walk that succeeded. First check that every
 * entry needing a flag lies where the guest may write, in RAM: else the
 * CPU's walk would exit at the first of them (an EPT violation or nested
 * page fault on a write), and nothing is set; device memory gets no
 * locked read-modify-write from here.
 */
static int walk_set_ad(struct walker *w, struct axas_walk_result *res)
{
	unsigned int i;
	int ret;

	for (i = 0; i < w->n; i++) {
		if (!walk_ad_bits(w, i))
			continue;
		res->table_gpa = w->gpa[i];
		if (!(w->prot[i] & AXAS_PROT_WRITE)) {
			res->nested_access = AXAS_ACCESS_WRITE;
			return AXAS_WALK_NESTED_FAULT;
		}
		if (!w->ram[i])
			return -EFAULT;
	}
	for (i = 0; i < w->n; i++) {
		u64 bits = walk_ad_bits(w, i);

		if (!bits)
			continue;
		ret = walk_set_bits(w, w->gpa[i], w->val[i], bits);
		if (ret) {
			res->table_gpa = w->gpa[i];
			return ret;
		}
	}
	res->table_gpa = 0;
	return AXAS_WALK_OK;
}

static int walk_fault(struct walker *w, u32 ec, struct axas_walk_result *res)
{
	const struct axas_walk_state *st = w->st;

	if (w->flags & AXAS_WALK_WRITE)
		ec |= AXAS_PF_W;
	if (st->cpl == 3 && !(w->flags & AXAS_WALK_IMPLICIT))
		ec |= AXAS_PF_U;
	/* I/D: a fetch, reported with SMEP, or with NXE in PAE tables. */
	if ((w->flags & AXAS_WALK_FETCH) &&
	    ((st->cr4 & GUEST_CR4_SMEP) || ((st->cr4 & GUEST_CR4_PAE) && w->nxe)))
		ec |= AXAS_PF_I;
	res->error_code = ec;
	res->fault_gva = w->gva;
	return AXAS_WALK_PAGE_FAULT;
}

/* The SDM's 4.6 on the combined rights of the walk; 0 or the PF bits. */
static u32 walk_check(struct walker *w, bool user_page, bool writable,
		      bool xd, u64 leaf)
{
	const struct axas_walk_state *st = w->st;
	bool user = st->cpl == 3 && !(w->flags & AXAS_WALK_IMPLICIT);
	bool write = w->flags & AXAS_WALK_WRITE;
	bool fetch = w->flags & AXAS_WALK_FETCH;
	bool wp = st->cr0 & GUEST_CR0_WP;
	bool fault = false;
	u32 ec = 0;

	if (user) {
		fault = !user_page || (write && !writable) || (fetch && xd);
	} else if (fetch) {
		fault = (user_page && (st->cr4 & GUEST_CR4_SMEP)) || xd;
	} else {
		if (user_page && (st->cr4 & GUEST_CR4_SMAP) &&
		    ((w->flags & AXAS_WALK_IMPLICIT) || !(st->rflags & GUEST_RFLAGS_AC)))
			fault = true;
		if (write && !writable && wp)
			fault = true;
	}
	/* Protection keys: data accesses in IA-32e paging only. */
	if (!fetch && (w->mode == MODE_4LEVEL || w->mode == MODE_5LEVEL)) {
		unsigned int key = FIELD_GET(GPTE_PKEY, leaf);
		u32 pk = 0;

		if (user_page && (st->cr4 & GUEST_CR4_PKE))
			pk = (st->pkru >> (2 * key)) & 3;
		else if (!user_page && (st->cr4 & GUEST_CR4_PKS))
			pk = (st->pkrs >> (2 * key)) & 3;
		if ((pk & 1) || ((pk & 2) && write && (user || wp))) {
			fault = true;
			ec |= AXAS_PF_PK;
		}
	}
	return fault ? ec | AXAS_PF_P : 0;
}

static int walk_once(struct walker *w, struct axas_walk_result *res)
{
	const struct axas_walk_state *st = w->st;
	bool user_page = true, writable = true, xd = false;
	u64 table, e = 0, size;
	int level, ret;
	u32 ec;

	w->n = 0;
	if (w->mode == MODE_32)
		table = st->cr3 & GPTE32_ADDR;
	else
		table = st->cr3 & w->addr_mask;
	for (level = w->levels - 1; level >= 0; level--) {
		res->level = level;
		if (w->mode == MODE_PAE && level == 2) {
			e = st->pdpte[(w->gva >> 30) & 3];
		} else {
			u64 gpa = table + walk_index(w, level) * (walk_wide(w) ? 8 : 4);

			ret = walk_read(w, gpa, &e, res);
			if (ret) {
				res->table_gpa = gpa;
				return ret;
			}
			w->gpa[w->n] = gpa;
			w->val[w->n++] = e;
		}
		if (!(e & GPTE_P))
			return walk_fault(w, 0, res);
		if (e & walk_rsvd(w, level, e))
			return walk_fault(w, AXAS_PF_P | AXAS_PF_RSVD, res);
		/* PAE PDPTEs carry no rights. */
		if (w->mode != MODE_PAE || level != 2) {
			user_page &= !!(e & GPTE_US);
			writable &= !!(e & GPTE_RW);
			if (w->nxe)
				xd |= !!(e & GPTE_XD);
		}
		if (walk_leaf(w, level, e))
			break;
		table = w->mode == MODE_32 ? e & GPTE32_ADDR : e & w->addr_mask;
	}

	ec = walk_check(w, user_page, writable, xd, e);
	if (ec)
		return walk_fault(w, ec, res);

	if (w->mode == MODE_32 && level == 1) {
		size = SZ_4M;
		res->gpa = (e & GPDE32_ADDR_LO) |
			   (FIELD_GET(GPDE32_ADDR_HI, e) << 32) |
			   (w->gva & (SZ_4M - 1));
	} else {
		size = 1ULL << (12 + 9 * level);
		res->gpa = (e & (w->mode == MODE_32 ? GPTE32_ADDR : w->addr_mask) &
			    ~(size - 1)) | (w->gva & (size - 1));
	}
	res->pgsize = size;

	if (w->flags & AXAS_WALK_SET_AD)
		return walk_set_ad(w, res);
	return AXAS_WALK_OK;
}

static int walk_setup(struct walker *w, struct axas_space *space,
		      const struct axas_walk_state *st, u64 gva,
		      unsigned int flags)
{
	unsigned int bits;

	/* A fetch is never an implicit supervisor access. */
	if ((flags & ~WALK_FLAGS) || (st->flags & ~AXAS_GUEST_NO_1G) ||
	    ((flags & AXAS_WALK_WRITE) && (flags & AXAS_WALK_FETCH)) ||
	    ((flags & AXAS_WALK_FETCH) && (flags & AXAS_WALK_IMPLICIT)) ||
	    st->cpl > 3 || st->maxphyaddr < 32 || st->maxphyaddr > 52)
		return -EINVAL;
	w->space = space;
	w->st = st;
	w->gva = gva;
	w->flags = flags;
	w->nxe = (st->efer & GUEST_EFER_NXE) && (st->cr4 & GUEST_CR4_PAE);
	w->addr_mask = GENMASK_ULL(st->maxphyaddr - 1, 12);
	if (!(st->cr4 & GUEST_CR4_PAE)) {
		w->mode = MODE_32;
		w->levels = 2;
	} else if (!(st->efer & GUEST_EFER_LMA)) {
		w->mode = MODE_PAE;
		w->levels = 3;
	} else if (st->cr4 & GUEST_CR4_LA57) {
		w->mode = MODE_5LEVEL;
		w->levels = 5;
	} else {
		w->mode = MODE_4LEVEL;
		w->levels = 4;
	}
	/* Linear addresses: 32 bits, or canonical in IA-32e paging. */
	if (w->mode == MODE_32 || w->mode == MODE_PAE)
		return gva >> 32 ? -EINVAL : 0;
	bits = w->mode == MODE_5LEVEL ? 57 : 48;
	if (sign_extend64(gva, bits - 1) != gva)
		return -EINVAL;
	return 0;
}

int axas_walk(struct axas_space *space, const struct axas_walk_state *st,
	      u64 gva, unsigned int flags, struct axas_walk_result *res)
{
	struct mem_cgroup *old;
	struct walker w;
	unsigned int restarts = 0;
	int ret;

	ret = walk_setup(&w, space, st, gva, flags);
	if (ret)
		return ret;
	memset(res, 0, sizeof(*res));
	if (!(st->cr0 & GUEST_CR0_PG)) {
		if (READ_ONCE(space->dead))
			return -ESHUTDOWN;
		res->gpa = gva;
		res->pgsize = SZ_4K;
		return AXAS_WALK_OK;
	}
	old = axas_space_guest_begin(space);
	for (;;) {
		ret = walk_once(&w, res);
		if (ret != -EAGAIN || ++restarts > WALK_MAX_RESTARTS)
			break;
		cond_resched();
	}
	axas_space_guest_end(space, old);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(axas_walk, AXAS_NS);

/* The pages a write translates ahead on the stack; more are allocated. */
#define GVA_PAGES_ON_STACK	4

/* The bytes of [@gva, @gva + @len) in its page @i (0: the first). */
static size_t gva_chunk(u64 gva, size_t len, size_t done)
{
	return min_t(size_t, len - done, PAGE_SIZE - offset_in_page(gva + done));
}

static int gva_read(struct axas_space *space, const struct axas_walk_state *st,
		    u64 gva, void *buf, size_t len, unsigned int flags,
		    struct axas_walk_result *res, unsigned int copy)
{
	size_t done, chunk;
	int ret;

	for (done = 0; done < len; done += chunk) {
		chunk = gva_chunk(gva, len, done);
		ret = axas_walk(space, st, gva + done, flags, res);
		if (!ret)
			ret = axas_read(space, res->gpa, buf + done, chunk, copy);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * A write translates every page first (without A/D flags) and keeps the
 * GPAs, checking that each data page is there (or faulting it in, with
 * AXAS_WALK_FAULT_IN: a read of one byte); with AXAS_WALK_SET_AD it walks
 * each again setting the flags and stops, writing nothing, if a page now
 * faults or maps elsewhere (another vCPU changed the tables). Only then
 * does it write, to the GPAs kept.
 */
static int gva_write(struct axas_space *space, const struct axas_walk_state *st,
		     u64 gva, void *buf, size_t len, unsigned int flags,
		     struct axas_walk_result *res, unsigned int copy)
{
	u64 on_stack[GVA_PAGES_ON_STACK], *gpa = on_stack;
	size_t n = DIV_ROUND_UP(offset_in_page(gva) + len, PAGE_SIZE), i;
	size_t done, chunk;
	int ret = 0;

	if (n > GVA_PAGES_ON_STACK) {
		gpa = kvmalloc_array(n, sizeof(*gpa), GFP_KERNEL);
		if (!gpa)
			return -ENOMEM;
	}
	for (i = 0, done = 0; done < len && !ret; i++, done += chunk) {
		u8 byte;

		chunk = gva_chunk(gva, len, done);
		ret = axas_walk(space, st, gva + done, flags & ~AXAS_WALK_SET_AD, res);
		if (!ret)
			ret = axas_read(space, res->gpa, &byte, 1, copy);
		gpa[i] = res->gpa;
	}
	for (i = 0, done = 0; (flags & AXAS_WALK_SET_AD) && done < len && !ret;
	     i++, done += chunk) {
		chunk = gva_chunk(gva, len, done);
		ret = axas_walk(space, st, gva + done, flags, res);
		if (!ret && res->gpa != gpa[i])
			ret = -EAGAIN;
	}
	for (i = 0, done = 0; done < len && !ret; i++, done += chunk) {
		chunk = gva_chunk(gva, len, done);
		ret = axas_write(space, gpa[i], buf + done, chunk, copy);
		res->gpa = gpa[i];
	}
	if (gpa != on_stack)
		kvfree(gpa);
	return ret;
}

static int gva_copy(struct axas_space *space, const struct axas_walk_state *st,
		    u64 gva, void *buf, size_t len, unsigned int flags,
		    struct axas_walk_result *res, bool write)
{
	unsigned int copy = flags & AXAS_WALK_FAULT_IN ? AXAS_COPY_FAULT : 0;
	unsigned int allowed = AXAS_WALK_IMPLICIT | AXAS_WALK_SET_AD |
			       AXAS_WALK_FAULT_IN;

	/* Instruction bytes are read, never written. */
	if (flags & ~(allowed | (write ? 0 : AXAS_WALK_FETCH)))
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	if (!write)
		return gva_read(space, st, gva, buf, len, flags, res, copy);
	return gva_write(space, st, gva, buf, len, flags | AXAS_WALK_WRITE, res,
			 copy);
}

int axas_gva_read(struct axas_space *space, const struct axas_walk_state *st,
		  u64 gva, void *buf, size_t len, unsigned int flags,
		  struct axas_walk_result *res)
{
	return gva_copy(space, st, gva, buf, len, flags, res, false);
}
EXPORT_SYMBOL_NS_GPL(axas_gva_read, AXAS_NS);

int axas_gva_write(struct axas_space *space, const struct axas_walk_state *st,
		   u64 gva, const void *buf, size_t len, unsigned int flags,
		   struct axas_walk_result *res)
{
	return gva_copy(space, st, gva, (void *)buf, len, flags, res, true);
}
EXPORT_SYMBOL_NS_GPL(axas_gva_write, AXAS_NS);
