// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites of the guest page walker, the exit decoding helpers and the
 * frames for VMM structures.
 *
 * The guest's page tables are built inside a space by this file's own
 * builder, and every expected answer comes from the rules below, written
 * from the manuals (Intel SDM Vol. 3A, 4.6 "Access Rights" and 4.7
 * "Page-Fault Exceptions"; AMD APM Vol. 2, 5.6 and 8.4.2), one small
 * function per rule, not from the walker's code.
 */
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/io.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/numa.h>
#include <linux/slab.h>

#include <axas/axas.h>
#include <axas/compat.h>
#include <axas/vmm.h>
#include <axas/walk.h>

#include "../features/features.h"
#include "../npt/fmt.h"
#include "axas_test.h"

/* Guest-physical layout of the test space. */
#define W_SIZE		((u64)SZ_1G)
#define W_TABLES	0x00100000ULL	/* populated: the guest's tables */
#define W_TABLES_SIZE	0x00200000ULL
#define W_DATA		0x00400000ULL	/* populated: the pages they map */
#define W_DATA_SIZE	0x00400000ULL
#define W_LAZY		0x01000000ULL	/* lazy, 4 KiB frames */
#define W_LAZY_SIZE	0x00200000ULL
#define W_HOLE		0x02000000ULL	/* no area */
#define W_MAXPHY	46

/* Register bits, as the manuals number them. */
#define GUEST_CR0_PE		BIT_ULL(0)
#define GUEST_CR0_WP		BIT_ULL(16)
#define GUEST_CR0_PG		BIT_ULL(31)
#define GUEST_CR4_PSE		BIT_ULL(4)
#define GUEST_CR4_PAE		BIT_ULL(5)
#define GUEST_CR4_LA57	BIT_ULL(12)
#define GUEST_CR4_SMEP	BIT_ULL(20)
#define GUEST_CR4_SMAP	BIT_ULL(21)
#define GUEST_CR4_PKE		BIT_ULL(22)
#define GUEST_CR4_PKS		BIT_ULL(24)
#define GUEST_EFER_LME	BIT_ULL(8)
#define GUEST_EFER_LMA	BIT_ULL(10)
#define GUEST_EFER_NXE	BIT_ULL(11)
#define GUEST_RFLAGS_AC	BIT_ULL(18)

#define E_P		BIT_ULL(0)
#define E_RW		BIT_ULL(1)
#define E_US		BIT_ULL(2)
#define E_A		BIT_ULL(5)
#define E_D		BIT_ULL(6)
#define E_PS		BIT_ULL(7)
#define E_XD		BIT_ULL(63)
#define E_ALL		(E_P | E_RW | E_US)

enum axw_mode { W32, WPAE, W4, W5, W_NR_MODES };

static const char *const axw_mode_name[W_NR_MODES] = {
	"32-bit", "PAE", "4-level", "5-level",
};

static const enum axw_mode axw_modes[W_NR_MODES] = { W32, WPAE, W4, W5 };

static void axw_mode_desc(const enum axw_mode *m, char *desc)
{
	strscpy(desc, axw_mode_name[*m], KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(axw_mode, axw_modes, axw_mode_desc);

struct axw {
	/* The A/D stub: what it does to the entry, and how often it ran. */
	u64 stub_gpa;
	u64 stub_xor;
	u64 stub_or;
	unsigned int stub_times;
	unsigned int stub_calls;
	/* ...or the entry it clears instead (another vCPU's change). */
	u64 *stub_other;
	struct axas_space *space;
	enum axw_mode mode;
	u64 next_table;
	u64 root;
	struct axas_walk_state st;
};

static void axw_flush(void *cookie, u64 gpa, u64 size)
{
}

static unsigned int axw_levels(enum axw_mode m)
{
	return m == W32 ? 2 : m == WPAE ? 3 : m == W4 ? 4 : 5;
}

static unsigned int axw_esize(enum axw_mode m)
{
	return m == W32 ? 4 : 8;
}

static unsigned int axw_index(enum axw_mode m, u64 gva, unsigned int level)
{
	if (m == W32)
		return (gva >> (12 + 10 * level)) & 0x3ff;
	return (gva >> (12 + 9 * level)) & 0x1ff;
}

static u64 axw_get(struct kunit *test, struct axw *t, u64 gpa)
{
	u64 v = 0;

	KUNIT_ASSERT_EQ(test, axas_read(t->space, gpa, &v, axw_esize(t->mode), 0), 0);
	return v;
}

static void axw_put(struct kunit *test, struct axw *t, u64 gpa, u64 v)
{
	KUNIT_ASSERT_EQ(test, axas_write(t->space, gpa, &v, axw_esize(t->mode), 0), 0);
}

static u64 axw_table(struct kunit *test, struct axw *t)
{
	u64 gpa = t->next_table;

	KUNIT_ASSERT_LT(test, gpa, W_TABLES + W_TABLES_SIZE);
	t->next_table += PAGE_SIZE;
	return gpa;
}

/* The paging state of a mode: supervisor, no SMEP/SMAP, WP clear. */
static void axw_set_mode(struct kunit *test, struct axw *t, enum axw_mode m)
{
	static const u8 zero[PAGE_SIZE];

	/* Fresh tables: clear the pages a previous mode used. */
	for (; t->next_table > W_TABLES; t->next_table -= PAGE_SIZE)
		KUNIT_ASSERT_EQ(test, axas_write(t->space, t->next_table - PAGE_SIZE,
						 zero, PAGE_SIZE, 0), 0);
	t->mode = m;
	memset(&t->st, 0, sizeof(t->st));
	t->st.cr0 = GUEST_CR0_PE | GUEST_CR0_PG;
	t->st.maxphyaddr = W_MAXPHY;
	switch (m) {
	case W32:
		t->st.cr4 = GUEST_CR4_PSE;
		break;
	case WPAE:
		t->st.cr4 = GUEST_CR4_PAE;
		break;
	case W4:
		t->st.cr4 = GUEST_CR4_PAE;
		t->st.efer = GUEST_EFER_LME | GUEST_EFER_LMA;
		break;
	case W5:
		t->st.cr4 = GUEST_CR4_PAE | GUEST_CR4_LA57;
		t->st.efer = GUEST_EFER_LME | GUEST_EFER_LMA;
		break;
	default:
		break;
	}
	if (m != WPAE) {
		t->root = axw_table(test, t);
		t->st.cr3 = t->root;
	}
}

/*
 * The GPA of the entry at @level for @gva, creating the tables above it
 * (entries P|RW|US, or @parent for the entry right above @level).
 */
static u64 axw_entry(struct kunit *test, struct axw *t, u64 gva,
		     unsigned int level, u64 parent)
{
	u64 table = t->root, e, gpa;
	int l;

	for (l = axw_levels(t->mode) - 1; l > (int)level; l--) {
		u64 bits = l == level + 1 ? parent : E_ALL;

		if (t->mode == WPAE && l == 2) {
			u64 *pdpte = &t->st.pdpte[(gva >> 30) & 3];

			if (!(*pdpte & E_P))
				*pdpte = axw_table(test, t) | E_P;
			table = *pdpte & GENMASK_ULL(51, 12);
			continue;
		}
		gpa = table + axw_index(t->mode, gva, l) * axw_esize(t->mode);
		e = axw_get(test, t, gpa);
		if (!(e & E_P)) {
			e = axw_table(test, t);
			axw_put(test, t, gpa, e | bits);
		} else if (l == level + 1) {
			axw_put(test, t, gpa, (e & ~(E_ALL | E_XD)) | bits);
		}
		table = e & (t->mode == W32 ? GENMASK_ULL(31, 12) : GENMASK_ULL(51, 12));
	}
	if (t->mode == WPAE && level == 2)
		return 0;	/* the PDPTE is in the state */
	return table + axw_index(t->mode, gva, level) * axw_esize(t->mode);
}

/* Map @gva to @gpa with a leaf at @level (bits @leaf), @parent above it. */
static u64 axw_map(struct kunit *test, struct axw *t, u64 gva, u64 gpa,
		   unsigned int level, u64 leaf, u64 parent)
{
	u64 egpa = axw_entry(test, t, gva, level, parent);

	axw_put(test, t, egpa, gpa | leaf | (level ? E_PS : 0));
	return egpa;
}

static int axw_init(struct kunit *test)
{
	struct axas_space_cfg cfg = {
		.name = "kunit-walk", .base = 0, .size = W_SIZE,
		.flush = axw_flush,
	};
	struct axw *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	int ret;

	if (!t)
		return -ENOMEM;
	t->next_table = W_TABLES;
	cfg.pt = axt_pt_cfg_all(&axt_fmts[0]);
	t->space = axas_space_create(&cfg);
	if (IS_ERR(t->space))
		return PTR_ERR(t->space);
	ret = axas_map_alloc(t->space, W_TABLES, W_TABLES_SIZE,
			     AXAS_PROT_RWX | AXAS_AREA_POPULATE, SZ_4K);
	if (!ret)
		ret = axas_map_alloc(t->space, W_DATA, W_DATA_SIZE,
				     AXAS_PROT_RWX | AXAS_AREA_POPULATE, SZ_4K);
	if (!ret)
		ret = axas_map_alloc(t->space, W_LAZY, W_LAZY_SIZE,
				     AXAS_PROT_READ | AXAS_PROT_WRITE, SZ_4K);
	if (ret) {
		axas_space_destroy(t->space);
		return ret;
	}
	test->priv = t;
	return 0;
}

static void axw_exit(struct kunit *test)
{
	struct axw *t = test->priv;

	if (t)
		axas_space_destroy(t->space);
}

/* ---- the manuals' rules, one per function ------------------------------- */

/* SDM 4.6: CPL 3 accesses are user-mode, except implicit supervisor ones. */
static bool rule_user_mode(u8 cpl, bool implicit)
{
	if (implicit)
		return false;
	return cpl == 3;
}

/* SDM 4.6: a user-mode access needs U/S = 1 in every entry. */
static bool rule_us_allows(bool user_mode, bool us)
{
	return !user_mode || us;
}

/* SDM 4.6: writes need R/W = 1 for user mode, and for supervisor with WP. */
static bool rule_rw_allows(bool user_mode, bool write, bool rw, bool wp)
{
	if (!write || rw)
		return true;
	return !user_mode && !wp;
}

/* SDM 4.6: with NXE, no fetch from a page whose walk has XD = 1. */
static bool rule_xd_allows(bool fetch, bool xd, bool nxe)
{
	return !(fetch && xd && nxe);
}

/* SDM 4.6: SMEP, no supervisor fetch from a user page. */
static bool rule_smep_allows(bool user_mode, bool fetch, bool us, bool smep)
{
	return user_mode || !fetch || !us || !smep;
}

/* SDM 4.6: SMAP, supervisor data accesses to user pages need AC and explicit. */
static bool rule_smap_allows(bool user_mode, bool fetch, bool us, bool smap,
			     bool ac, bool implicit)
{
	if (user_mode || fetch || !us || !smap)
		return true;
	return ac && !implicit;
}

/* SDM 4.1.4/4.5: XD is a reserved bit unless NXE (and PAE tables). */
static bool rule_xd_reserved(enum axw_mode m, bool xd, bool nxe)
{
	return m != W32 && xd && !nxe;
}

/* SDM 4.7: W, U and I/D describe the access, whatever faulted. */
static u32 rule_access_bits(enum axw_mode m, bool write, bool user_mode,
			    bool fetch, bool smep, bool nxe)
{
	u32 ec = 0;

	if (write)
		ec |= AXAS_PF_W;
	if (user_mode)
		ec |= AXAS_PF_U;
	if (fetch && (smep || (m != W32 && nxe)))
		ec |= AXAS_PF_I;
	return ec;
}

/* SDM 4.6.2: protection keys (IA-32e paging), data accesses only. */
static bool rule_pk_denies(bool fetch, bool write, bool user_mode, bool wp,
			   unsigned int rights)
{
	bool ad = rights & 1, wd = rights & 2;

	if (fetch)
		return false;
	return ad || (wd && write && (user_mode || wp));
}

/* ---- permissions, for every combination ------------------------------- */

struct axw_case {
	bool us, rw, xd, at_parent;
	bool wp, smep, smap, ac, nxe;
	u8 cpl;
	unsigned int access;	/* 0 read, 1 write, 2 fetch */
	bool implicit;
};

static int axw_expect(enum axw_mode m, const struct axw_case *c, u32 *ec)
{
	bool write = c->access == 1, fetch = c->access == 2;
	bool user_mode = rule_user_mode(c->cpl, c->implicit);
	u32 bits = rule_access_bits(m, write, user_mode, fetch, c->smep, c->nxe);

	if (rule_xd_reserved(m, c->xd, c->nxe)) {
		*ec = AXAS_PF_P | AXAS_PF_RSVD | bits;
		return AXAS_WALK_PAGE_FAULT;
	}
	if (rule_us_allows(user_mode, c->us) &&
	    rule_rw_allows(user_mode, write, c->rw, c->wp) &&
	    rule_xd_allows(fetch, c->xd, c->nxe) &&
	    rule_smep_allows(user_mode, fetch, c->us, c->smep) &&
	    rule_smap_allows(user_mode, fetch, c->us, c->smap, c->ac, c->implicit))
		return AXAS_WALK_OK;
	*ec = AXAS_PF_P | bits;
	return AXAS_WALK_PAGE_FAULT;
}

static void axw_case_desc(char *buf, size_t n, const struct axw_case *c)
{
	snprintf(buf, n,
		 "%s U/S=%d R/W=%d XD=%d | WP=%d SMEP=%d SMAP=%d AC=%d NXE=%d CPL=%u %s%s",
		 c->at_parent ? "PDE" : "PTE", c->us, c->rw, c->xd, c->wp,
		 c->smep, c->smap, c->ac, c->nxe, c->cpl,
		 c->access == 0 ? "read" : c->access == 1 ? "write" : "fetch",
		 c->implicit ? " implicit" : "");
}

static void axw_permissions(struct kunit *test)
{
	const enum axw_mode *m = test->param_value;
	struct axw *t = test->priv;
	unsigned int slot, combo, walks = 0, wrong = 0;
	struct axas_walk_result res;
	char why[160];

	axw_set_mode(test, t, *m);
	/* Slot s: GVA s * 4 MiB, rights (U/S, R/W, XD) in the PTE or the PDE. */
	for (slot = 0; slot < 16; slot++) {
		bool us = slot & 1, rw = slot & 2, xd = slot & 4;
		u64 bits = E_P | (us ? E_US : 0) | (rw ? E_RW : 0) |
			   (xd && *m != W32 ? E_XD : 0);
		u64 gva = (u64)slot * SZ_4M;

		if (slot & 8)
			axw_map(test, t, gva, W_DATA + slot * PAGE_SIZE, 0, E_ALL, bits);
		else
			axw_map(test, t, gva, W_DATA + slot * PAGE_SIZE, 0, bits, E_ALL);
	}
	for (slot = 0; slot < 16; slot++) {
		if (*m == W32 && (slot & 4))
			continue;	/* no XD in 32-bit entries */
		for (combo = 0; combo < 2 * 2 * 2 * 2 * 2 * 2 * 3 * 2; combo++) {
			struct axw_case c = {
				.us = slot & 1, .rw = slot & 2, .xd = slot & 4,
				.at_parent = slot & 8,
				.wp = combo & 1, .smep = combo & 2,
				.smap = combo & 4, .ac = combo & 8,
				.nxe = combo & 16, .cpl = combo & 32 ? 3 : 0,
				.access = (combo >> 6) % 3,
				.implicit = (combo >> 6) / 3,
			};
			unsigned int flags = c.access == 1 ? AXAS_WALK_WRITE :
					     c.access == 2 ? AXAS_WALK_FETCH : 0;
			u64 gva = (u64)slot * SZ_4M + 0x123;
			u32 ec = 0;
			int want, got;

			if (*m == W32 && c.nxe)
				continue;	/* EFER.NXE needs PAE tables */
			t->st.cr0 = GUEST_CR0_PE | GUEST_CR0_PG | (c.wp ? GUEST_CR0_WP : 0);
			t->st.cr4 = (t->st.cr4 & ~(GUEST_CR4_SMEP | GUEST_CR4_SMAP)) |
				    (c.smep ? GUEST_CR4_SMEP : 0) | (c.smap ? GUEST_CR4_SMAP : 0);
			t->st.efer = (t->st.efer & ~GUEST_EFER_NXE) | (c.nxe ? GUEST_EFER_NXE : 0);
			t->st.rflags = c.ac ? GUEST_RFLAGS_AC : 0;
			t->st.cpl = c.cpl;
			if (c.implicit)
				flags |= AXAS_WALK_IMPLICIT;
			want = axw_expect(*m, &c, &ec);
			/* A fetch is never an implicit access: refused. */
			if (c.implicit && c.access == 2)
				want = -EINVAL;
			got = axas_walk(t->space, &t->st, gva, flags, &res);
			walks++;
			if (got == want &&
			    (want < 0 || (want == AXAS_WALK_OK ?
					  res.gpa == W_DATA + slot * PAGE_SIZE + 0x123 &&
					  res.pgsize == SZ_4K :
					  res.error_code == ec && res.fault_gva == gva)))
				continue;
			if (wrong++ < 8) {
				axw_case_desc(why, sizeof(why), &c);
				KUNIT_FAIL(test, "%s: walk %d (gpa %#llx ec %#x), want %d (ec %#x)",
					   why, got, res.gpa, res.error_code, want, ec);
			}
		}
	}
	KUNIT_EXPECT_EQ_MSG(test, wrong, 0, "%u of %u walks wrong", wrong, walks);
	kunit_info(test, "%s: %u walks", axw_mode_name[*m], walks);
}

/* ---- protection keys ---------------------------------------------------- */

static void axw_pkeys(struct kunit *test)
{
	struct axw *t = test->priv;
	unsigned int combo, wrong = 0;
	struct axas_walk_result res;
	const unsigned int key = 5;
	u64 pk = (u64)key << 59;

	axw_set_mode(test, t, W4);
	axw_map(test, t, 0, W_DATA, 0, E_ALL | pk, E_ALL);		/* user page */
	axw_map(test, t, SZ_4M, W_DATA, 0, E_P | E_RW | pk, E_ALL);	/* supervisor */
	for (combo = 0; combo < 2 * 4 * 2 * 2 * 2 * 3 * 2; combo++) {
		bool user_page = combo & 1;
		unsigned int rights = (combo >> 1) & 3;
		bool wp = combo & 8, pke = combo & 16, pks = combo & 32;
		unsigned int access = (combo >> 6) % 3;
		u8 cpl = (combo >> 6) / 3 ? 3 : 0;
		bool write = access == 1, fetch = access == 2;
		bool user_mode = rule_user_mode(cpl, false);
		u32 ec = rule_access_bits(W4, write, user_mode, fetch, false, false);
		bool denied = false, pkd = false;
		int want, got;

		/* The page's own rule first, then the key's. */
		if (!rule_us_allows(user_mode, user_page) ||
		    !rule_rw_allows(user_mode, write, true, wp))
			denied = true;
		if (((user_page && pke) || (!user_page && pks)) &&
		    rule_pk_denies(fetch, write, user_mode, wp, rights))
			pkd = true;
		want = denied || pkd ? AXAS_WALK_PAGE_FAULT : AXAS_WALK_OK;
		if (want)
			ec |= AXAS_PF_P | (pkd ? AXAS_PF_PK : 0);

		t->st.cr0 = GUEST_CR0_PE | GUEST_CR0_PG | (wp ? GUEST_CR0_WP : 0);
		t->st.cr4 = GUEST_CR4_PAE | (pke ? GUEST_CR4_PKE : 0) | (pks ? GUEST_CR4_PKS : 0);
		t->st.cpl = cpl;
		/* The key's rights; every other key denies everything. */
		t->st.pkru = ~(3U << (2 * key)) | (rights << (2 * key));
		t->st.pkrs = t->st.pkru;
		got = axas_walk(t->space, &t->st, user_page ? 0 : SZ_4M,
				write ? AXAS_WALK_WRITE : fetch ? AXAS_WALK_FETCH : 0,
				&res);
		if (got == want && (!want || res.error_code == ec))
			continue;
		if (wrong++ < 8)
			KUNIT_FAIL(test, "%s page, AD/WD %u, WP %d PKE %d PKS %d CPL %u %s: walk %d ec %#x, want %d ec %#x",
				   user_page ? "user" : "supervisor", rights, wp,
				   pke, pks, cpl,
				   write ? "write" : fetch ? "fetch" : "read",
				   got, res.error_code, want, ec);
	}
	KUNIT_EXPECT_EQ(test, wrong, 0);

	/* Keys are ignored outside IA-32e paging: PAE, PKE on, key bits set. */
	axw_set_mode(test, t, WPAE);
	t->st.cr4 |= GUEST_CR4_PKE;
	t->st.pkru = ~0U;
	axw_map(test, t, 0, W_DATA, 0, E_ALL, E_ALL);
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, 0, 0, &res), AXAS_WALK_OK);
}

/* ---- reserved bits, per level and mode ----------------------------------- */

struct axw_rsvd {
	enum axw_mode mode;
	unsigned int level;	/* the leaf's level is @leaf */
	unsigned int leaf;
	unsigned int bit;
	bool nxe;
	bool no_1g;
	bool reserved;		/* false: the bit is ignored or legal */
	const char *what;
};

static const struct axw_rsvd axw_rsvd_cases[] = {
	{ W32, 1, 1, 21, false, false, true, "4M PDE bit 21" },
	/* 32-bit cases run with MAXPHYADDR 36: PDE bit 17 is physical bit 36. */
	{ W32, 1, 1, 17, false, false, true, "4M PDE PSE-36 bit at MAXPHYADDR" },
	{ W32, 1, 1, 16, false, false, false, "4M PDE PSE-36 bit below MAXPHYADDR" },
	{ W32, 0, 0, 7, false, false, false, "PTE PAT bit" },
	{ WPAE, 2, 0, 1, false, false, true, "PDPTE bit 1" },
	{ WPAE, 2, 0, 5, false, false, true, "PDPTE bit 5" },
	{ WPAE, 2, 0, 8, false, false, true, "PDPTE bit 8" },
	{ WPAE, 2, 0, W_MAXPHY, false, false, true, "PDPTE bit MAXPHYADDR" },
	{ WPAE, 2, 0, 63, true, false, true, "PDPTE bit 63 with NXE" },
	{ WPAE, 1, 0, 63, false, false, true, "PDE XD without NXE" },
	{ WPAE, 1, 0, 63, true, false, false, "PDE XD with NXE" },
	{ WPAE, 1, 0, 62, true, false, true, "PDE bit 62" },
	{ WPAE, 1, 1, 13, false, false, true, "2M PDE bit 13" },
	{ WPAE, 1, 1, 20, false, false, true, "2M PDE bit 20" },
	{ WPAE, 0, 0, W_MAXPHY, false, false, true, "PTE bit MAXPHYADDR" },
	{ W4, 3, 0, 7, false, false, true, "PML4E PS" },
	{ W4, 3, 0, W_MAXPHY, false, false, true, "PML4E bit MAXPHYADDR" },
	{ W4, 3, 0, 52, false, false, false, "PML4E bit 52 (ignored)" },
	{ W4, 2, 0, 51, false, false, true, "PDPTE bit 51" },
	{ W4, 2, 2, 13, false, false, true, "1G PDPTE bit 13" },
	{ W4, 2, 2, 29, false, false, true, "1G PDPTE bit 29" },
	{ W4, 2, 2, 30, false, false, false, "1G PDPTE bit 30 (address)" },
	{ W4, 2, 2, 7, false, true, true, "1G PDPTE without 1 GiB pages" },
	{ W4, 1, 1, 20, false, false, true, "2M PDE bit 20" },
	{ W4, 1, 1, 12, false, false, false, "2M PDE PAT bit" },
	{ W4, 0, 0, W_MAXPHY, false, false, true, "PTE bit MAXPHYADDR" },
	{ W4, 0, 0, 63, false, false, true, "PTE XD without NXE" },
	{ W4, 0, 0, 60, false, false, false, "PTE key bit without PKE" },
	{ W5, 4, 0, 7, false, false, true, "PML5E PS" },
	{ W5, 4, 0, 50, false, false, true, "PML5E bit 50" },
	{ W5, 3, 0, 7, false, false, true, "PML4E PS" },
	{ W5, 1, 0, 63, false, false, true, "PDE XD without NXE" },
	{ W5, 0, 0, W_MAXPHY + 1, false, false, true, "PTE above MAXPHYADDR" },
};

static void axw_reserved(struct kunit *test)
{
	struct axw *t = test->priv;
	struct axas_walk_result res;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(axw_rsvd_cases); i++) {
		const struct axw_rsvd *c = &axw_rsvd_cases[i];
		u64 gva = 3ULL << 30, egpa, size;
		int ret;

		axw_set_mode(test, t, c->mode);
		if (c->mode == W32) {
			gva = 3ULL * SZ_4M;
			t->st.maxphyaddr = 36;
		}
		if (c->nxe)
			t->st.efer |= GUEST_EFER_NXE;
		if (c->no_1g)
			t->st.flags |= AXAS_GUEST_NO_1G;
		size = c->leaf == 0 ? SZ_4K : c->mode == W32 ? SZ_4M :
		       c->leaf == 1 ? SZ_2M : SZ_1G;
		axw_map(test, t, gva, c->leaf ? 0 : W_DATA, c->leaf, E_ALL, E_ALL);
		if (c->mode == WPAE && c->level == 2) {
			t->st.pdpte[3] |= BIT_ULL(c->bit);
		} else {
			egpa = axw_entry(test, t, gva, c->level, E_ALL);
			axw_put(test, t, egpa, axw_get(test, t, egpa) | BIT_ULL(c->bit));
		}
		ret = axas_walk(t->space, &t->st, gva + 0x10, AXAS_WALK_WRITE, &res);
		if (c->reserved) {
			KUNIT_EXPECT_EQ_MSG(test, ret, AXAS_WALK_PAGE_FAULT, "%s", c->what);
			KUNIT_EXPECT_EQ_MSG(test, res.error_code,
					    AXAS_PF_P | AXAS_PF_RSVD | AXAS_PF_W,
					    "%s", c->what);
			KUNIT_EXPECT_EQ_MSG(test, res.fault_gva, gva + 0x10, "%s", c->what);
		} else {
			KUNIT_EXPECT_EQ_MSG(test, ret, AXAS_WALK_OK, "%s", c->what);
			KUNIT_EXPECT_EQ_MSG(test, res.pgsize, size, "%s", c->what);
		}
	}
}

/* A 4 MiB page with PSE-36 address bits, and large pages per mode. */
static void axw_large_pages(struct kunit *test)
{
	struct axw *t = test->priv;
	struct axas_walk_result res;
	u64 gva = 3ULL * SZ_4M + 0x12345;

	axw_set_mode(test, t, W32);
	t->st.maxphyaddr = 40;
	/* PDE bits 20:13 = 0xa5: physical bits 39:32. */
	axw_map(test, t, gva, 0x00c00000ULL | (0xa5ULL << 13), 1, E_ALL, E_ALL);
	KUNIT_ASSERT_EQ(test, axas_walk(t->space, &t->st, gva, 0, &res), AXAS_WALK_OK);
	KUNIT_EXPECT_EQ(test, res.gpa, 0xa5ULL << 32 | 0x00c12345);
	KUNIT_EXPECT_EQ(test, res.pgsize, (u64)SZ_4M);
	KUNIT_EXPECT_EQ(test, res.level, 1U);
	/* MAXPHYADDR 36: bits 21:17 of the PDE are reserved. */
	t->st.maxphyaddr = 36;
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, gva, 0, &res),
			AXAS_WALK_PAGE_FAULT);
	KUNIT_EXPECT_EQ(test, res.error_code, AXAS_PF_P | AXAS_PF_RSVD);
	/* CR4.PSE clear: the PS bit is ignored, the PDE points to a table. */
	t->st.maxphyaddr = 40;
	t->st.cr4 &= ~GUEST_CR4_PSE;
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, gva, 0, &res), -ENOENT);

	axw_set_mode(test, t, W4);
	gva = 5ULL << 30 | 0x123456;
	axw_map(test, t, gva, 7ULL << 30, 2, E_ALL, E_ALL);
	KUNIT_ASSERT_EQ(test, axas_walk(t->space, &t->st, gva, 0, &res), AXAS_WALK_OK);
	KUNIT_EXPECT_EQ(test, res.gpa, 7ULL << 30 | 0x123456);
	KUNIT_EXPECT_EQ(test, res.pgsize, (u64)SZ_1G);
	gva = 6ULL << 30 | SZ_2M | 0x1234;
	axw_map(test, t, gva, 9ULL << 21, 1, E_ALL, E_ALL);
	KUNIT_ASSERT_EQ(test, axas_walk(t->space, &t->st, gva, 0, &res), AXAS_WALK_OK);
	KUNIT_EXPECT_EQ(test, res.gpa, 9ULL << 21 | 0x1234);
	KUNIT_EXPECT_EQ(test, res.pgsize, (u64)SZ_2M);
}

/* ---- ranges, tables outside memory, A/D ----------------------------------- */

static void axw_range(struct kunit *test)
{
	const enum axw_mode *m = test->param_value;
	struct axw *t = test->priv;
	struct axas_walk_result res;
	u8 buf[64], back[64];
	unsigned int i;
	/* The last page under one page table and the first under the next. */
	u64 span = *m == W32 ? SZ_4M : SZ_2M;
	u64 gva = 4 * span - PAGE_SIZE;

	axw_set_mode(test, t, *m);
	axw_map(test, t, gva, W_DATA + 5 * PAGE_SIZE, 0, E_ALL, E_ALL);
	axw_map(test, t, gva + PAGE_SIZE, W_DATA + 2 * PAGE_SIZE, 0, E_ALL, E_ALL);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = i + 1;
	KUNIT_ASSERT_EQ(test, axas_gva_write(t->space, &t->st, gva + PAGE_SIZE - 32,
					     buf, sizeof(buf), 0, &res), 0);
	KUNIT_ASSERT_EQ(test, axas_read(t->space, W_DATA + 6 * PAGE_SIZE - 32, back, 32, 0), 0);
	KUNIT_ASSERT_EQ(test, axas_read(t->space, W_DATA + 2 * PAGE_SIZE, back + 32, 32, 0), 0);
	KUNIT_EXPECT_MEMEQ(test, back, buf, sizeof(buf));
	memset(back, 0, sizeof(back));
	KUNIT_ASSERT_EQ(test, axas_gva_read(t->space, &t->st, gva + PAGE_SIZE - 32,
					    back, sizeof(back), 0, &res), 0);
	KUNIT_EXPECT_MEMEQ(test, back, buf, sizeof(buf));

	/* The second page not present: a read stops there, a write writes nothing. */
	axw_put(test, t, axw_entry(test, t, gva + PAGE_SIZE, 0, E_ALL), 0);
	memset(back, 0, sizeof(back));
	KUNIT_EXPECT_EQ(test, axas_gva_read(t->space, &t->st, gva + PAGE_SIZE - 32,
					    back, sizeof(back), 0, &res),
			AXAS_WALK_PAGE_FAULT);
	KUNIT_EXPECT_EQ(test, res.fault_gva, gva + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, res.error_code, 0U);
	KUNIT_EXPECT_MEMEQ(test, back, buf, 32);
	memset(buf, 0xee, sizeof(buf));
	t->st.cpl = 3;
	KUNIT_EXPECT_EQ(test, axas_gva_write(t->space, &t->st, gva + PAGE_SIZE - 32,
					     buf, sizeof(buf), 0, &res),
			AXAS_WALK_PAGE_FAULT);
	KUNIT_EXPECT_EQ(test, res.fault_gva, gva + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, res.error_code, AXAS_PF_W | AXAS_PF_U);
	KUNIT_ASSERT_EQ(test, axas_read(t->space, W_DATA + 6 * PAGE_SIZE - 32, back, 32, 0), 0);
	for (i = 0; i < 32; i++)
		KUNIT_EXPECT_EQ(test, back[i], (u8)(i + 1));
	KUNIT_EXPECT_EQ(test, axas_gva_read(t->space, &t->st, gva, back, 1,
					    AXAS_WALK_WRITE, &res), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_gva_write(t->space, &t->st, gva, back, 1,
					     AXAS_WALK_FETCH, &res), -EINVAL);
}

/*
 * Instruction bytes across a page boundary with one call, as the CPU
 * fetches them: the second page executable, then not (XD, with NXE): a
 * #PF with I and the first byte of that page, the bytes before it read.
 */
static void axw_fetch_range(struct kunit *test)
{
	struct axw *t = test->priv;
	struct axas_walk_result res;
	u64 gva = 4 * SZ_2M - 8, pte2;
	u8 code[16], back[16];
	unsigned int i;

	axw_set_mode(test, t, W4);
	t->st.efer |= GUEST_EFER_NXE;
	axw_map(test, t, gva, W_DATA + 5 * PAGE_SIZE, 0, E_ALL, E_ALL);
	axw_map(test, t, gva + 8, W_DATA + 2 * PAGE_SIZE, 0, E_ALL, E_ALL);
	pte2 = axw_entry(test, t, gva + 8, 0, E_ALL);
	for (i = 0; i < sizeof(code); i++)
		code[i] = 0x90 + i;
	KUNIT_ASSERT_EQ(test, axas_write(t->space, W_DATA + 6 * PAGE_SIZE - 8, code, 8, 0), 0);
	KUNIT_ASSERT_EQ(test, axas_write(t->space, W_DATA + 2 * PAGE_SIZE, code + 8, 8, 0), 0);
	KUNIT_EXPECT_EQ(test, axas_gva_read(t->space, &t->st, gva, back, sizeof(back),
					    AXAS_WALK_FETCH, &res), 0);
	KUNIT_EXPECT_MEMEQ(test, back, code, sizeof(code));
	axw_put(test, t, pte2, axw_get(test, t, pte2) | E_XD);
	memset(back, 0, sizeof(back));
	KUNIT_EXPECT_EQ(test, axas_gva_read(t->space, &t->st, gva, back, sizeof(back),
					    AXAS_WALK_FETCH, &res), AXAS_WALK_PAGE_FAULT);
	KUNIT_EXPECT_EQ(test, res.fault_gva, gva + 8);
	KUNIT_EXPECT_EQ(test, res.error_code, AXAS_PF_P | AXAS_PF_I);
	KUNIT_EXPECT_MEMEQ(test, back, code, 8);
	/* A data read of the same bytes is allowed: XD is about fetches. */
	KUNIT_EXPECT_EQ(test, axas_gva_read(t->space, &t->st, gva, back, sizeof(back),
					    0, &res), 0);
}

static void axw_table_outside(struct kunit *test)
{
	const enum axw_mode *m = test->param_value;
	struct axw *t = test->priv;
	struct axas_walk_result res;
	struct axas_translation tr;
	u64 gva = 2 * SZ_4M, pde;

	axw_set_mode(test, t, *m);
	axw_map(test, t, gva, W_DATA, 0, E_ALL, E_ALL);
	pde = axw_entry(test, t, gva, 1, E_ALL);
	/* The page table at a GPA where no area is. */
	axw_put(test, t, pde, W_HOLE | E_ALL);
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, gva, 0, &res), -ENOENT);
	KUNIT_EXPECT_EQ(test, res.table_gpa,
			W_HOLE + axw_index(*m, gva, 0) * axw_esize(*m));
	/* Beyond the space. */
	axw_put(test, t, pde, (W_SIZE + SZ_2M) | E_ALL);
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, gva, 0, &res), -ENOENT);
	/* In a lazy area: reported, or faulted in (a zero page: not present). */
	axw_put(test, t, pde, W_LAZY | E_ALL);
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, gva, 0, &res), -ENODATA);
	KUNIT_EXPECT_EQ(test, res.table_gpa,
			W_LAZY + axw_index(*m, gva, 0) * axw_esize(*m));
	KUNIT_EXPECT_EQ(test, axas_translate(t->space, W_LAZY, 1, &tr), -ENODATA);
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, gva, AXAS_WALK_FAULT_IN, &res),
			AXAS_WALK_PAGE_FAULT);
	KUNIT_EXPECT_EQ(test, res.error_code, 0U);
	KUNIT_EXPECT_EQ(test, axas_translate(t->space, W_LAZY, 1, &tr), 0);
	/* Paging off: the GVA is the GPA, whatever the tables. */
	t->st.cr0 &= ~GUEST_CR0_PG;
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, gva + 5, 0, &res), AXAS_WALK_OK);
	KUNIT_EXPECT_EQ(test, res.gpa, gva + 5);
}

static void axw_bad_input(struct kunit *test)
{
	struct axw *t = test->priv;
	struct axas_walk_result res;
	struct axas_walk_state st;

	axw_set_mode(test, t, W4);
	axw_map(test, t, 0, W_DATA, 0, E_ALL, E_ALL);
	st = t->st;
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &st, 0, BIT(10), &res), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &st, 0,
					AXAS_WALK_WRITE | AXAS_WALK_FETCH, &res), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &st, 0,
					AXAS_WALK_FETCH | AXAS_WALK_IMPLICIT, &res), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &st, BIT_ULL(47), 0, &res), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &st, ~0ULL << 47, 0, &res),
			AXAS_WALK_PAGE_FAULT);
	st.cpl = 4;
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &st, 0, 0, &res), -EINVAL);
	st = t->st;
	st.maxphyaddr = 53;
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &st, 0, 0, &res), -EINVAL);
	st = t->st;
	st.flags = BIT(5);
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &st, 0, 0, &res), -EINVAL);
	axw_set_mode(test, t, WPAE);
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, BIT_ULL(32), 0, &res), -EINVAL);
	/* A PDPTE that is not present faults like any entry. */
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, 0, AXAS_WALK_WRITE, &res),
			AXAS_WALK_PAGE_FAULT);
	KUNIT_EXPECT_EQ(test, res.error_code, AXAS_PF_W);
}

/* The A/D flags a walk sets: A on every entry, D on the leaf of a write. */
static void axw_accessed_dirty(struct kunit *test)
{
	const enum axw_mode *m = test->param_value;
	struct axw *t = test->priv;
	struct axas_walk_result res;
	u64 gva = 5 * SZ_4M + 0x40;
	unsigned int l, levels = axw_levels(*m);

	axw_set_mode(test, t, *m);
	axw_map(test, t, gva, W_DATA, 0, E_ALL, E_ALL);
	KUNIT_ASSERT_EQ(test, axas_walk(t->space, &t->st, gva, 0, &res), AXAS_WALK_OK);
	for (l = 0; l < levels; l++) {
		if (*m == WPAE && l == 2)
			continue;
		KUNIT_EXPECT_EQ(test, axw_get(test, t, axw_entry(test, t, gva, l, E_ALL)) &
				(E_A | E_D), 0ULL);
	}
	KUNIT_ASSERT_EQ(test, axas_walk(t->space, &t->st, gva, AXAS_WALK_SET_AD, &res),
			AXAS_WALK_OK);
	for (l = 0; l < levels; l++) {
		if (*m == WPAE && l == 2)
			continue;
		KUNIT_EXPECT_EQ_MSG(test, axw_get(test, t, axw_entry(test, t, gva, l, E_ALL)) &
				    (E_A | E_D), E_A, "level %u after a read", l);
	}
	/* A user write to a supervisor page faults and sets nothing. */
	t->st.cpl = 3;
	axw_put(test, t, axw_entry(test, t, gva, 0, E_ALL), W_DATA | E_P | E_RW | E_A);
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, gva,
					AXAS_WALK_SET_AD | AXAS_WALK_WRITE, &res),
			AXAS_WALK_PAGE_FAULT);
	KUNIT_EXPECT_EQ(test, axw_get(test, t, axw_entry(test, t, gva, 0, E_ALL)) & E_D, 0ULL);
	t->st.cpl = 0;
	KUNIT_ASSERT_EQ(test, axas_walk(t->space, &t->st, gva,
					AXAS_WALK_SET_AD | AXAS_WALK_WRITE, &res),
			AXAS_WALK_OK);
	KUNIT_EXPECT_EQ(test, axw_get(test, t, axw_entry(test, t, gva, 0, E_ALL)),
			W_DATA | E_P | E_RW | E_A | E_D);
	KUNIT_EXPECT_EQ(test, axw_get(test, t, axw_entry(test, t, gva, 1, E_ALL)) & E_D, 0ULL);
}

/*
 * Two threads walk the same tables for writes with A/D setting while the
 * test, as the guest's kernel would, clears A/D flags and flips a software
 * bit (9) in the same entries. No update may be lost: at the end bit 9 has
 * the parity of the flips, and every walk succeeded.
 */
struct axw_ad_race {
	struct axw *t;
	struct axas_walk_state st;
	u64 gva[2];
	unsigned int rounds;
	unsigned int bad;
	int last;
	struct completion done;
};

#define AXW_AD_PAGES	8
#define AXW_AD_ROUNDS	3000

static int axw_ad_walker(void *arg)
{
	struct axw_ad_race *r = arg;
	struct axas_walk_result res;
	unsigned int i;

	for (i = 0; i < r->rounds; i++) {
		int ret = axas_walk(r->t->space, &r->st,
				    r->gva[0] + (i % AXW_AD_PAGES) * PAGE_SIZE,
				    AXAS_WALK_WRITE | AXAS_WALK_SET_AD, &res);

		if (ret != AXAS_WALK_OK && ret != -EAGAIN) {
			r->bad++;
			r->last = ret;
		}
		if (!(i % 64))
			cond_resched();
	}
	complete(&r->done);
	return 0;
}

static void axw_ad_race(struct kunit *test)
{
	const enum axw_mode *m = test->param_value;
	struct axw *t = test->priv;
	struct axw_ad_race r[2] = {};
	u64 *entries[AXW_AD_PAGES + 1];
	unsigned int i, flips[AXW_AD_PAGES + 1] = {}, n = 0;
	struct axas_translation tr;
	u64 gva = 6 * SZ_4M, pde;
	bool done = false;

	if (*m == W32)
		kunit_skip(test, "64-bit entries only (the test flips them with 64-bit atomics)");
	axw_set_mode(test, t, *m);
	for (i = 0; i < AXW_AD_PAGES; i++)
		axw_map(test, t, gva + i * PAGE_SIZE, W_DATA + i * PAGE_SIZE, 0,
			E_ALL, E_ALL);
	pde = axw_entry(test, t, gva, 1, E_ALL);
	/* The test's own view of the entries: the leaves and their PDE. */
	for (i = 0; i <= AXW_AD_PAGES; i++) {
		u64 gpa = i < AXW_AD_PAGES ? axw_entry(test, t, gva + i * PAGE_SIZE, 0, E_ALL) : pde;
		struct page *page;

		KUNIT_ASSERT_EQ(test, axas_translate(t->space, gpa, 8, &tr), 0);
		page = pfn_to_page(PHYS_PFN(tr.hpa));
		entries[i] = (u64 *)(page_address(page) + offset_in_page(tr.hpa));
	}
	for (i = 0; i < 2; i++) {
		struct task_struct *task;

		r[i].t = t;
		r[i].st = t->st;
		r[i].gva[0] = gva;
		r[i].rounds = AXW_AD_ROUNDS;
		init_completion(&r[i].done);
		task = kthread_run(axw_ad_walker, &r[i], "axw-ad-%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	}
	while (!done) {
		i = n++ % (AXW_AD_PAGES + 1);
		/* The guest: age the entry and flip a software bit, atomically. */
		atomic64_andnot(E_A | E_D, (atomic64_t *)entries[i]);
		atomic64_xor(BIT_ULL(9), (atomic64_t *)entries[i]);
		flips[i]++;
		if (!(n % 32))
			cond_resched();
		done = completion_done(&r[0].done) && completion_done(&r[1].done);
	}
	wait_for_completion(&r[0].done);
	wait_for_completion(&r[1].done);
	for (i = 0; i < 2; i++)
		KUNIT_EXPECT_EQ_MSG(test, r[i].bad, 0U, "walker %u: last answer %d",
				    i, r[i].last);
	for (i = 0; i <= AXW_AD_PAGES; i++)
		KUNIT_EXPECT_EQ_MSG(test, !!(READ_ONCE(*entries[i]) & BIT_ULL(9)),
				    flips[i] & 1, "entry %u lost a flip of %u", i, flips[i]);
	kunit_info(test, "%u flips against %u walks", n, 2 * AXW_AD_ROUNDS);
}

/* Another vCPU's update, right between the walk's read and its A/D update. */
static void axw_before_ad(u64 gpa, void *entry)
{
	struct axw *t = kunit_get_current_test()->priv;

	if (gpa != t->stub_gpa || t->stub_calls++ >= t->stub_times)
		return;
	if (t->stub_other) {
		WRITE_ONCE(*t->stub_other, 0);
		return;
	}
	if (t->mode == W32)
		WRITE_ONCE(*(u32 *)entry, (READ_ONCE(*(u32 *)entry) ^ t->stub_xor) | t->stub_or);
	else
		WRITE_ONCE(*(u64 *)entry, (READ_ONCE(*(u64 *)entry) ^ t->stub_xor) | t->stub_or);
}

static void axw_ad_interleave(struct kunit *test)
{
	const enum axw_mode *m = test->param_value;
	struct axw *t = test->priv;
	struct axas_walk_result res;
	u64 gva = 7 * SZ_4M + 0x80, pte;

	axw_set_mode(test, t, *m);
	axw_map(test, t, gva, W_DATA, 0, E_ALL, E_ALL);
	pte = axw_entry(test, t, gva, 0, E_ALL);
	t->stub_gpa = pte;
	kunit_activate_static_stub(test, axas_walk_before_ad, axw_before_ad);

	/* A software bit flipped once: the walk starts over and keeps it. */
	t->stub_xor = BIT_ULL(9);
	t->stub_times = 1;
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, gva,
					AXAS_WALK_WRITE | AXAS_WALK_SET_AD, &res),
			AXAS_WALK_OK);
	KUNIT_EXPECT_EQ(test, t->stub_calls, 2U);
	KUNIT_EXPECT_EQ(test, axw_get(test, t, pte) & (BIT_ULL(9) | E_A | E_D),
			BIT_ULL(9) | E_A | E_D);

	/* Another vCPU sets A first: no restart needed, both flags end up set. */
	axw_put(test, t, pte, W_DATA | E_ALL);
	t->stub_xor = 0;
	t->stub_or = E_A;
	t->stub_times = 1;
	t->stub_calls = 0;
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, gva,
					AXAS_WALK_WRITE | AXAS_WALK_SET_AD, &res),
			AXAS_WALK_OK);
	KUNIT_EXPECT_EQ(test, axw_get(test, t, pte), W_DATA | E_ALL | E_A | E_D);

	/* The guest takes the write right away meanwhile: the write faults. */
	axw_put(test, t, pte, W_DATA | E_ALL);
	t->stub_xor = E_RW;
	t->stub_or = 0;
	t->stub_times = UINT_MAX;
	t->stub_calls = 0;
	t->st.cr0 |= GUEST_CR0_WP;
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, gva,
					AXAS_WALK_WRITE | AXAS_WALK_SET_AD, &res),
			AXAS_WALK_PAGE_FAULT);
	KUNIT_EXPECT_EQ(test, res.error_code, AXAS_PF_P | AXAS_PF_W);
	KUNIT_EXPECT_EQ_MSG(test, axw_get(test, t, pte) & (E_D | E_RW), 0ULL,
			    "D set by a write the entry no longer allows");

	/* Changed on every try: -EAGAIN in the end, every change kept. */
	axw_put(test, t, pte, W_DATA | E_ALL);
	t->stub_xor = BIT_ULL(10);
	t->stub_calls = 0;
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, gva,
					AXAS_WALK_WRITE | AXAS_WALK_SET_AD, &res),
			-EAGAIN);
	KUNIT_EXPECT_EQ(test, !!(axw_get(test, t, pte) & BIT_ULL(10)),
			!!(t->stub_calls & 1));
	kunit_deactivate_static_stub(test, axas_walk_before_ad);
}

/*
 * Edges the table-driven cases do not reach: a high-half address (PML4
 * index 256) and a 5-level one (PML5 index 0x1f7) with the bit-56
 * canonical check; a protection key on a 2 MiB leaf; the I/D bit in PAE
 * with NXE, and in 32-bit paging without NXE but with SMEP; a 4 MiB page
 * whose bits 21:13 are reserved at MAXPHYADDR 32; A and D on a 4 MiB
 * write.
 */
static void axw_edges(struct kunit *test)
{
	struct axw *t = test->priv;
	struct axas_walk_result res;
	u64 gva;

	axw_set_mode(test, t, W4);
	gva = 0xffff800012345000ULL;
	axw_map(test, t, gva, W_DATA + 0x3000, 0, E_ALL, E_ALL);
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, gva + 0x10, 0, &res),
			AXAS_WALK_OK);
	KUNIT_EXPECT_EQ(test, res.gpa, W_DATA + 0x3010);
	gva = 2ULL * SZ_1G + SZ_2M;
	axw_map(test, t, gva, 0x400000, 1, E_ALL | (3ULL << 59), E_ALL);
	t->st.cr4 |= GUEST_CR4_PKE;
	t->st.pkru = 1U << 6;	/* key 3: access disabled */
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, gva, 0, &res),
			AXAS_WALK_PAGE_FAULT);
	KUNIT_EXPECT_EQ(test, res.error_code, AXAS_PF_P | AXAS_PF_PK);
	t->st.pkru = 0;
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, gva, 0, &res), AXAS_WALK_OK);

	axw_set_mode(test, t, W5);
	gva = 0xff7f800012345000ULL;
	axw_map(test, t, gva, W_DATA + 0x5000, 0, E_ALL, E_ALL);
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, gva + 0x10, 0, &res),
			AXAS_WALK_OK);
	KUNIT_EXPECT_EQ(test, res.gpa, W_DATA + 0x5010);
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, 1ULL << 56, 0, &res), -EINVAL);
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, 1ULL << 55, 0, &res),
			AXAS_WALK_PAGE_FAULT);

	axw_set_mode(test, t, WPAE);
	t->st.efer |= GUEST_EFER_NXE;
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, 0xc0000000, AXAS_WALK_FETCH, &res),
			AXAS_WALK_PAGE_FAULT);
	KUNIT_EXPECT_EQ(test, res.error_code, AXAS_PF_I);
	axw_set_mode(test, t, W32);
	t->st.efer |= GUEST_EFER_NXE;
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, 0xc0000000, AXAS_WALK_FETCH, &res),
			AXAS_WALK_PAGE_FAULT);
	KUNIT_EXPECT_EQ(test, res.error_code, 0U);
	t->st.cr4 |= GUEST_CR4_SMEP;
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, 0xc0000000, AXAS_WALK_FETCH, &res),
			AXAS_WALK_PAGE_FAULT);
	KUNIT_EXPECT_EQ(test, res.error_code, AXAS_PF_I);
	t->st.maxphyaddr = 32;
	axw_map(test, t, 0x800000, 0xc00000 | (1ULL << 13), 1, E_ALL, E_ALL);
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, 0x800000, 0, &res),
			AXAS_WALK_PAGE_FAULT);
	KUNIT_EXPECT_EQ(test, res.error_code, AXAS_PF_P | AXAS_PF_RSVD);
	axw_map(test, t, 0x1000000, 0xc00000, 1, E_ALL, E_ALL);
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, 0x1000000,
					AXAS_WALK_WRITE | AXAS_WALK_SET_AD, &res), AXAS_WALK_OK);
	KUNIT_EXPECT_EQ(test, axw_get(test, t, axw_entry(test, t, 0x1000000, 1, E_ALL)) &
			(E_A | E_D), E_A | E_D);
}

/*
 * A/D flags the walker sets are written behind the nested table: a dirty
 * log over the guest's tables reports the pages whose entries changed,
 * with the mechanism the space picks and with write-protection forced.
 */
static void axw_ad_dirty_log(struct kunit *test)
{
	unsigned long *bits = kunit_kcalloc(test, BITS_TO_LONGS(W_TABLES_SIZE / SZ_4K),
					    sizeof(long), GFP_KERNEL);
	struct axw *t = test->priv;
	struct axas_walk_result res;
	unsigned int flags;
	u64 gva = 0x40000000ULL + 0x5000, pte;

	KUNIT_ASSERT_NOT_NULL(test, bits);
	axw_set_mode(test, t, W4);
	axw_map(test, t, gva, W_DATA + 0x7000, 0, E_ALL, E_ALL);
	pte = axw_entry(test, t, gva, 0, E_ALL);
	for (flags = 0; flags <= AXAS_DIRTY_WP; flags += AXAS_DIRTY_WP) {
		axw_put(test, t, pte, axw_get(test, t, pte) & ~(E_A | E_D));
		KUNIT_ASSERT_EQ(test, axas_dirty_log_start(t->space, W_TABLES,
							   W_TABLES_SIZE, flags), 0);
		KUNIT_ASSERT_GE(test, axas_dirty_log_get(t->space, W_TABLES,
							 W_TABLES_SIZE, bits), 0);
		KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, gva,
						AXAS_WALK_WRITE | AXAS_WALK_SET_AD, &res),
				AXAS_WALK_OK);
		KUNIT_EXPECT_EQ(test, axw_get(test, t, pte) & (E_A | E_D), E_A | E_D);
		KUNIT_EXPECT_GE(test, axas_dirty_log_get(t->space, W_TABLES,
							 W_TABLES_SIZE, bits), 1);
		KUNIT_EXPECT_TRUE_MSG(test, test_bit((pte - W_TABLES) >> PAGE_SHIFT, bits),
				      "flags %u: the PTE's page is not in the log", flags);
		KUNIT_EXPECT_EQ(test, axas_dirty_log_stop(t->space), 0);
	}
}

/*
 * The CPU's walk reads and sets A/D flags through the nested table: an
 * A/D flag to set in a page the guest may not write, or an entry in a page
 * it may not read (execute-only), is an EPT violation at that entry, with
 * nothing set. Write-protection dirty logging is no such right (see
 * axw_ad_dirty_log).
 */
static void axw_nested_rights(struct kunit *test)
{
	const enum axw_mode *m = test->param_value;
	struct axw *t = test->priv;
	struct axas_walk_result res;
	u64 gva = 3 * SZ_4M + 0x80, pte, top;
	unsigned int l, levels = axw_levels(*m);

	axw_set_mode(test, t, *m);
	axw_map(test, t, gva, W_DATA, 0, E_ALL, E_ALL);
	pte = axw_entry(test, t, gva, 0, E_ALL);
	top = axw_entry(test, t, gva, *m == WPAE ? 1 : levels - 1, E_ALL);
	KUNIT_ASSERT_EQ(test, axas_protect(t->space, W_TABLES, W_TABLES_SIZE,
					   AXAS_PROT_READ | AXAS_PROT_EXEC), 0);
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, gva, 0, &res), AXAS_WALK_OK);
	KUNIT_EXPECT_EQ(test, res.gpa, W_DATA + 0x80);
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, gva,
					AXAS_WALK_SET_AD | AXAS_WALK_WRITE, &res),
			AXAS_WALK_NESTED_FAULT);
	KUNIT_EXPECT_EQ(test, res.table_gpa, top);
	KUNIT_EXPECT_EQ(test, res.nested_access, AXAS_ACCESS_WRITE);
	for (l = 0; l < levels; l++) {
		if (*m == WPAE && l == 2)
			continue;
		KUNIT_EXPECT_EQ_MSG(test, axw_get(test, t, axw_entry(test, t, gva, l, E_ALL)) &
				    (E_A | E_D), 0ULL, "level %u", l);
	}
	/* The flags set already need no write: the walk goes through. */
	for (l = 0; l < levels; l++) {
		u64 e;

		if (*m == WPAE && l == 2)
			continue;
		e = axw_entry(test, t, gva, l, E_ALL);
		axw_put(test, t, e, axw_get(test, t, e) | E_A | (l ? 0 : E_D));
	}
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, gva,
					AXAS_WALK_SET_AD | AXAS_WALK_WRITE, &res),
			AXAS_WALK_OK);
	/* Execute-only table pages: the first read exits. */
	KUNIT_ASSERT_EQ(test, axas_protect(t->space, W_TABLES, W_TABLES_SIZE,
					   AXAS_PROT_EXEC), 0);
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, gva, 0, &res),
			AXAS_WALK_NESTED_FAULT);
	KUNIT_EXPECT_EQ(test, res.table_gpa, top);
	KUNIT_EXPECT_EQ(test, res.nested_access, AXAS_ACCESS_READ);
	KUNIT_ASSERT_EQ(test, axas_protect(t->space, W_TABLES, W_TABLES_SIZE,
					   AXAS_PROT_RWX), 0);
	axw_put(test, t, pte, axw_get(test, t, pte) & ~(E_A | E_D));
	KUNIT_EXPECT_EQ(test, axas_walk(t->space, &t->st, gva,
					AXAS_WALK_SET_AD | AXAS_WALK_WRITE, &res),
			AXAS_WALK_OK);
	KUNIT_EXPECT_EQ(test, axw_get(test, t, pte) & (E_A | E_D), E_A | E_D);
}

/*
 * A write across two pages whose second PTE another vCPU clears while the
 * copy sets the first page's A/D flags: the copy answers the second
 * page's fault and writes nothing, not even the first page.
 */
static void axw_range_tables_change(struct kunit *test)
{
	struct axw *t = test->priv;
	struct axas_walk_result res;
	struct axas_translation tr;
	u64 gva = 4 * SZ_2M - PAGE_SIZE, pte1, pte2;
	u8 buf[64], back[32];

	axw_set_mode(test, t, W4);
	axw_map(test, t, gva, W_DATA + 5 * PAGE_SIZE, 0, E_ALL, E_ALL);
	axw_map(test, t, gva + PAGE_SIZE, W_DATA + 2 * PAGE_SIZE, 0, E_ALL, E_ALL);
	pte1 = axw_entry(test, t, gva, 0, E_ALL);
	pte2 = axw_entry(test, t, gva + PAGE_SIZE, 0, E_ALL);
	KUNIT_ASSERT_EQ(test, axas_translate(t->space, pte2, 8, &tr), 0);
	t->stub_other = phys_to_virt(tr.hpa);
	t->stub_gpa = pte1;
	t->stub_times = 1;
	memset(buf, 0x77, sizeof(buf));
	kunit_activate_static_stub(test, axas_walk_before_ad, axw_before_ad);
	KUNIT_EXPECT_EQ(test, axas_gva_write(t->space, &t->st, gva + PAGE_SIZE - 32,
					     buf, sizeof(buf), AXAS_WALK_SET_AD, &res),
			AXAS_WALK_PAGE_FAULT);
	kunit_deactivate_static_stub(test, axas_walk_before_ad);
	KUNIT_EXPECT_EQ(test, t->stub_calls, 1);
	KUNIT_EXPECT_EQ(test, res.fault_gva, gva + PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, axas_read(t->space, W_DATA + 6 * PAGE_SIZE - 32, back,
					sizeof(back), 0), 0);
	KUNIT_EXPECT_NULL_MSG(test, memchr_inv(back, 0, sizeof(back)),
			      "the first page was written");
}

static struct kunit_case axas_walk_cases[] = {
	KUNIT_CASE(axw_edges),
	KUNIT_CASE(axw_ad_dirty_log),
	KUNIT_CASE_PARAM(axw_permissions, axw_mode_gen_params),
	KUNIT_CASE(axw_pkeys),
	KUNIT_CASE(axw_reserved),
	KUNIT_CASE(axw_large_pages),
	KUNIT_CASE_PARAM(axw_range, axw_mode_gen_params),
	KUNIT_CASE(axw_range_tables_change),
	KUNIT_CASE(axw_fetch_range),
	KUNIT_CASE_PARAM(axw_table_outside, axw_mode_gen_params),
	KUNIT_CASE(axw_bad_input),
	KUNIT_CASE_PARAM(axw_accessed_dirty, axw_mode_gen_params),
	KUNIT_CASE_PARAM(axw_nested_rights, axw_mode_gen_params),
	KUNIT_CASE_PARAM(axw_ad_race, axw_mode_gen_params),
	KUNIT_CASE_PARAM(axw_ad_interleave, axw_mode_gen_params),
	{}
};

static struct kunit_suite axas_walk_suite = {
	.name = "axas_walk",
	.init = axw_init,
	.exit = axw_exit,
	.test_cases = axas_walk_cases,
};

/* ---- exit decoding -------------------------------------------------------- */

/* The EPT violation's exit qualification bits (SDM Vol. 3C, Table 29-7). */
#define Q_R		BIT_ULL(0)
#define Q_W		BIT_ULL(1)
#define Q_X		BIT_ULL(2)
#define Q_READABLE	BIT_ULL(3)
#define Q_WRITABLE	BIT_ULL(4)
#define Q_EXECUTABLE	BIT_ULL(5)
#define Q_UEXEC		BIT_ULL(6)
#define Q_GLA		BIT_ULL(7)
#define Q_XLAT		BIT_ULL(8)
#define Q_USER		BIT_ULL(9)
#define Q_NMI		BIT_ULL(12)

struct axw_ept_case {
	u64 qual;
	bool mbec;
	int ret;
	unsigned int access;
	unsigned int flags;
};

static const struct axw_ept_case axw_ept_cases[] = {
	{ Q_R, false, 0, AXAS_ACCESS_READ, 0 },
	{ Q_W | Q_READABLE | Q_GLA | Q_XLAT, false, 0, AXAS_ACCESS_WRITE,
	  AXAS_EXIT_PRESENT | AXAS_EXIT_FINAL },
	{ Q_R | Q_W | Q_GLA, false, 0, AXAS_ACCESS_READ | AXAS_ACCESS_WRITE,
	  AXAS_EXIT_WALK },
	{ Q_X | Q_GLA | Q_XLAT | Q_USER, false, 0, AXAS_ACCESS_EXEC,
	  AXAS_EXIT_FINAL | AXAS_EXIT_USER },
	{ Q_X | Q_GLA | Q_XLAT | Q_USER, true, 0, AXAS_ACCESS_EXEC_USER,
	  AXAS_EXIT_FINAL | AXAS_EXIT_USER },
	{ Q_X | Q_GLA | Q_XLAT, true, 0, AXAS_ACCESS_EXEC, AXAS_EXIT_FINAL },
	{ Q_X | Q_UEXEC, true, 0, AXAS_ACCESS_EXEC, AXAS_EXIT_PRESENT },
	/* Without bit 9, the rights refused tell a user-mode fetch. */
	{ Q_X | Q_READABLE | Q_EXECUTABLE, true, 0, AXAS_ACCESS_EXEC_USER,
	  AXAS_EXIT_PRESENT },
	{ Q_X | Q_READABLE | Q_EXECUTABLE | Q_GLA | Q_XLAT, true, 0,
	  AXAS_ACCESS_EXEC_USER, AXAS_EXIT_PRESENT | AXAS_EXIT_FINAL },
	{ Q_X | Q_READABLE | Q_EXECUTABLE, false, 0, AXAS_ACCESS_EXEC,
	  AXAS_EXIT_PRESENT },
	{ Q_X | Q_UEXEC, false, 0, AXAS_ACCESS_EXEC, 0 },
	{ Q_R | Q_EXECUTABLE | Q_NMI, false, 0, AXAS_ACCESS_READ,
	  AXAS_EXIT_PRESENT | AXAS_EXIT_NMI_UNBLOCKED },
	{ Q_USER | Q_GLA, false, -EINVAL, 0, 0 },
	{ 0, false, -EINVAL, 0, 0 },
};

/* EXITINFO1 of a nested page fault (APM Vol. 2, 15.25.6). */
#define N_P		BIT_ULL(0)
#define N_RW		BIT_ULL(1)
#define N_US		BIT_ULL(2)
#define N_RSV		BIT_ULL(3)
#define N_ID		BIT_ULL(4)
#define N_FINAL		BIT_ULL(32)
#define N_WALK		BIT_ULL(33)

struct axw_npf_case {
	u64 info1;
	unsigned int access;
	unsigned int flags;
};

static const struct axw_npf_case axw_npf_cases[] = {
	{ N_US | N_FINAL, AXAS_ACCESS_READ, AXAS_EXIT_FINAL },
	{ N_US | N_RW | N_FINAL, AXAS_ACCESS_WRITE, AXAS_EXIT_FINAL },
	{ N_P | N_US | N_RW | N_FINAL, AXAS_ACCESS_WRITE,
	  AXAS_EXIT_FINAL | AXAS_EXIT_PRESENT },
	{ N_US | N_ID | N_FINAL, AXAS_ACCESS_EXEC, AXAS_EXIT_FINAL },
	{ N_US | N_RW | N_WALK, AXAS_ACCESS_WRITE, AXAS_EXIT_WALK },
	{ N_US | N_WALK, AXAS_ACCESS_READ, AXAS_EXIT_WALK },
	/* On the walk, ID says what the walk was for: a read or a write. */
	{ N_US | N_ID | N_WALK, AXAS_ACCESS_READ, AXAS_EXIT_WALK },
	{ N_US | N_RW | N_ID | N_WALK, AXAS_ACCESS_WRITE, AXAS_EXIT_WALK },
	/* Both on the final access, which no CPU reports: both rights. */
	{ N_US | N_RW | N_ID | N_FINAL, AXAS_ACCESS_WRITE | AXAS_ACCESS_EXEC,
	  AXAS_EXIT_FINAL },
	{ N_P | N_US | N_RSV | N_FINAL, AXAS_ACCESS_READ,
	  AXAS_EXIT_FINAL | AXAS_EXIT_PRESENT | AXAS_EXIT_RSVD },
};

static void axw_decode_ept(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(axw_ept_cases); i++) {
		const struct axw_ept_case *c = &axw_ept_cases[i];
		struct axas_exit_fault f = { .gpa = 1, .access = 99, .flags = 99 };
		u64 gpa = 0xfee00000ULL + i;

		KUNIT_EXPECT_EQ_MSG(test, axas_decode_ept_violation(c->qual, gpa, c->mbec, &f),
				    c->ret, "qual %#llx", c->qual);
		if (c->ret) {
			KUNIT_EXPECT_EQ(test, f.access, 99U);
			continue;
		}
		KUNIT_EXPECT_EQ_MSG(test, f.gpa, gpa, "qual %#llx", c->qual);
		KUNIT_EXPECT_EQ_MSG(test, f.access, c->access, "qual %#llx", c->qual);
		KUNIT_EXPECT_EQ_MSG(test, f.flags, c->flags, "qual %#llx", c->qual);
	}
}

/*
 * A user-mode fetch from a present page executable for supervisor-mode
 * addresses only, without advanced information: decoded as a user-mode
 * fetch, axas_fault() refuses it (the guest would loop on "spurious").
 */
static void axw_decode_mbec_fault(struct kunit *test)
{
	struct axas_space_cfg cfg = {
		.name = "kunit-mbec", .base = 0, .size = SZ_1G, .flush = axw_flush,
	};
	struct axas_exit_fault f;
	struct axas_space *space;

	cfg.pt = axt_pt_cfg_all(&axt_fmts[0]);
	KUNIT_ASSERT_TRUE(test, cfg.pt.caps.flags & AXAS_CAP_MBEC);
	space = axas_space_create(&cfg);
	KUNIT_ASSERT_FALSE(test, IS_ERR(space));
	KUNIT_ASSERT_EQ(test, axas_map_alloc(space, 0, SZ_2M,
					     AXAS_PROT_READ | AXAS_PROT_EXEC, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, axas_fault(space, 0x1000, AXAS_ACCESS_EXEC),
			AXAS_FAULT_INSTALLED);
	KUNIT_ASSERT_EQ(test, axas_decode_ept_violation(Q_X | Q_READABLE | Q_EXECUTABLE,
							0x1000, true, &f), 0);
	KUNIT_EXPECT_EQ(test, axas_fault(space, f.gpa, f.access), -EACCES);
	axas_space_destroy(space);
}

static void axw_decode_npf(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(axw_npf_cases); i++) {
		const struct axw_npf_case *c = &axw_npf_cases[i];
		struct axas_exit_fault f;
		u64 gpa = 0xd0000000ULL + 4 * i;

		KUNIT_EXPECT_EQ(test, axas_decode_npf(c->info1, gpa, &f), 0);
		KUNIT_EXPECT_EQ_MSG(test, f.gpa, gpa, "info1 %#llx", c->info1);
		KUNIT_EXPECT_EQ_MSG(test, f.access, c->access, "info1 %#llx", c->info1);
		KUNIT_EXPECT_EQ_MSG(test, f.flags, c->flags, "info1 %#llx", c->info1);
	}
}

/* ---- frames for VMM structures ------------------------------------------- */

static bool axw_all(const u8 *p, size_t n, u8 v)
{
	while (n--)
		if (*p++ != v)
			return false;
	return true;
}

static u64 axw_sme_host_mask(void)
{
	return BIT_ULL(47);
}

static void axw_frames(struct kunit *test)
{
	static const unsigned int sizes[] = { SZ_8K, SZ_4K, SZ_8K + SZ_4K, SZ_8K };
	struct axas_vmm_frame *f;
	unsigned int order, k;

	for (order = 0; order <= 3; order++) {
		f = axas_vmm_frame_alloc(order, NUMA_NO_NODE);
		KUNIT_ASSERT_FALSE(test, IS_ERR(f));
		KUNIT_EXPECT_EQ(test, f->order, order);
		KUNIT_EXPECT_EQ(test, f->hpa, page_to_phys(f->page));
		KUNIT_EXPECT_PTR_EQ(test, f->kva, page_address(f->page));
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED(f->hpa, PAGE_SIZE << order));
		KUNIT_EXPECT_TRUE(test, axw_all(f->kva, PAGE_SIZE << order, 0));
		axas_vmm_frame_free(f);
	}
	KUNIT_EXPECT_EQ(test, PTR_ERR(axas_vmm_frame_alloc(AXAS_VMM_FRAME_MAX_ORDER + 1,
							   NUMA_NO_NODE)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(axas_vmm_frame_alloc(0, MAX_NUMNODES)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(axas_vmm_frame_alloc(0, -5)), -EINVAL);
	axas_vmm_frame_free(NULL);
	axas_vmm_frame_free(ERR_PTR(-ENOMEM));

	f = axas_vmm_frame_alloc(0, first_online_node);
	KUNIT_ASSERT_FALSE(test, IS_ERR(f));
	KUNIT_EXPECT_EQ(test, page_to_nid(f->page), first_online_node);
	axas_vmm_frame_free(f);

	f = axas_vmx_region_alloc(0x12345 | AXAS_VMX_SHADOW_VMCS, NUMA_NO_NODE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(f));
	KUNIT_EXPECT_EQ(test, *(u32 *)f->kva, 0x80012345U);
	KUNIT_EXPECT_TRUE(test, axw_all(f->kva + 4, PAGE_SIZE - 4, 0));
	axas_vmm_frame_free(f);

	for (k = 0; k < ARRAY_SIZE(sizes); k++) {
		f = axas_vmm_bitmap_alloc(k, true, NUMA_NO_NODE);
		KUNIT_ASSERT_FALSE(test, IS_ERR(f));
		KUNIT_EXPECT_GE(test, PAGE_SIZE << f->order, (unsigned long)sizes[k]);
		KUNIT_EXPECT_TRUE_MSG(test, axw_all(f->kva, sizes[k], 0xff), "bitmap %u", k);
		KUNIT_EXPECT_TRUE(test, axw_all(f->kva + sizes[k],
						(PAGE_SIZE << f->order) - sizes[k], 0));
		axas_vmm_frame_free(f);
		f = axas_vmm_bitmap_alloc(k, false, NUMA_NO_NODE);
		KUNIT_ASSERT_FALSE(test, IS_ERR(f));
		KUNIT_EXPECT_TRUE(test, axw_all(f->kva, PAGE_SIZE << f->order, 0));
		axas_vmm_frame_free(f);
	}
	KUNIT_EXPECT_EQ(test, PTR_ERR(axas_vmm_bitmap_alloc(AXAS_VMM_NR_BITMAPS, true,
							    NUMA_NO_NODE)), -EINVAL);

	/*
	 * On an SME host the CPU reads what the kernel wrote through its
	 * encrypted mapping only at an address with the C-bit: the VMCB, the
	 * IOPM and the MSRPM carry it, as KVM's __sme_set() gives them.
	 */
	kunit_activate_static_stub(test, axas_pt_host_me_mask, axw_sme_host_mask);
	f = axas_vmm_bitmap_alloc(AXAS_SVM_IOPM, true, NUMA_NO_NODE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(f));
	KUNIT_EXPECT_EQ(test, f->hpa, page_to_phys(f->page) | BIT_ULL(47));
	axas_vmm_frame_free(f);
	kunit_deactivate_static_stub(test, axas_pt_host_me_mask);
}

/* __free(axas_vmm_frame): freed at the end of the scope, unless handed on. */
static struct axas_vmm_frame *axw_scoped(bool keep)
{
	struct axas_vmm_frame *f __free(axas_vmm_frame) =
		axas_vmm_frame_alloc(1, NUMA_NO_NODE);

	if (IS_ERR(f) || !keep)
		return NULL;
	return no_free_ptr(f);
}

static void axw_frames_scoped(struct kunit *test)
{
	struct axas_vmm_frame *f;
	unsigned int i;

	/* Leaks would show as kmemleak reports or a shrinking free count. */
	for (i = 0; i < 64; i++)
		KUNIT_EXPECT_NULL(test, axw_scoped(false));
	f = axw_scoped(true);
	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_EXPECT_EQ(test, f->order, 1U);
	axas_vmm_frame_free(f);
}

static struct kunit_case axas_vmm_cases[] = {
	KUNIT_CASE(axw_decode_ept),
	KUNIT_CASE(axw_decode_npf),
	KUNIT_CASE(axw_decode_mbec_fault),
	KUNIT_CASE(axw_frames),
	KUNIT_CASE(axw_frames_scoped),
	{}
};

static struct kunit_suite axas_vmm_suite = {
	.name = "axas_vmm",
	.test_cases = axas_vmm_cases,
};

kunit_test_suites(&axas_walk_suite, &axas_vmm_suite);
