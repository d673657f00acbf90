/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the axas KUnit suites: an independent decoder of raw EPT/NPT
 * tables and a shadow model of the leaves a table should hold.
 */
#ifndef _AXAS_KUNIT_TEST_H
#define _AXAS_KUNIT_TEST_H

#include <axas/pt.h>

/* The formats every case runs for (KUNIT_ARRAY_PARAM over axt_fmts). */
struct axt_fmt {
	const char *name;
	enum axas_pt_format format;
	unsigned int levels;
};

#define AXT_NR_FMTS	4
extern const struct axt_fmt axt_fmts[AXT_NR_FMTS];
void axt_fmt_desc(const struct axt_fmt *f, char *desc);

/* One translation, as the decoder reads it and the model expects it. */
struct axt_leaf {
	u64 gpa;
	u64 hpa;
	u8 level;
	bool accessed;
	bool dirty;
	bool encrypted;		/* NPT: the C-bit (axt_dec.me_mask) is set */
	u32 prot;
};

/* A sorted array of leaves. */
struct axt_leaves {
	struct axt_leaf *v;
	size_t n;
	size_t cap;
};

/* What the decoder needs to know, and what it found. */
struct axt_dec {
	enum axas_pt_format format;
	unsigned int levels;
	u32 caps;
	u8 phys_bits;
	u64 me_mask;		/* NPT: the SME C-bit expected, or 0 */
	struct axt_leaves out;
	unsigned long tables[AXAS_PT_MAX_LEVELS];
	unsigned int errors;
	char first_error[160];
};

int axt_decode(struct axt_dec *dec, u64 root_desc);
void axt_leaves_free(struct axt_leaves *l);
int axt_leaves_push(struct axt_leaves *l, const struct axt_leaf *leaf);

/* The shadow model. */
struct axt_model {
	struct axt_leaves l;
	unsigned int levels;
	unsigned long pgsizes;
};

int axt_model_map(struct axt_model *m, u64 gpa, u64 size, u64 hpa, u32 prot,
		  unsigned long pgsizes);
int axt_model_unmap(struct axt_model *m, u64 gpa, u64 size);
int axt_model_protect(struct axt_model *m, u64 gpa, u64 size, u32 prot);
void axt_model_tables(const struct axt_model *m,
		      unsigned long tables[AXAS_PT_MAX_LEVELS]);
const struct axt_leaf *axt_model_find(const struct axt_model *m, u64 gpa);

struct axas_pt_cfg axt_pt_cfg_all(const struct axt_fmt *f);

/* What every space suite checks around a case. */
struct kunit;
struct axas_space;
struct axas_space_stats;
/* Table pages alive once pending RCU frees have run. */
long axt_live_tables(void);
/* Destroy @space: every table page it held must be freed. */
void axt_space_destroy(struct kunit *test, struct axas_space *space,
		       long tables_base);
/* The statistics of @space, as a value. */
struct axas_space_stats axt_stats(struct axas_space *space);

/* A memmap= range the harness keeps from the kernel (0, 0: none). */
extern ulong axt_resv_base, axt_resv_size;

struct axas_space;
long axt_dump_table(struct axas_space *space, char *out, size_t out_size,
		    size_t *most);

#endif /* _AXAS_KUNIT_TEST_H */
