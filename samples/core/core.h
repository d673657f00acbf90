/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the sample's core: what core.c (the guest's set-up, the run
 * loop, the fault checks, the report) and scenarios.c (what the VMM does
 * in each scenario) share. The arches see demo.h only.
 */
#ifndef _AXAS_SAMPLE_CORE_H
#define _AXAS_SAMPLE_CORE_H

#include <linux/completion.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/types.h>
#include <axas/axas.h>
#include "demo.h"
#include "guest.h"

/*
 * struct npf_expect - nested page faults a scenario must cause, in order
 * @gpa: faulting GPA of the first
 * @step: the next one's GPA is this far on
 * @page: compare the page of the GPA only (page walks: the entry's address)
 * @count: how many
 * @seen: how many came
 * @write: the access writes (page walks do: the CPU may set A/D bits)
 * @fetch: the access is an instruction fetch
 * @walk: the access is a guest page-table access, not the final one
 * @result: what axas_fault() must answer
 * @fix_gpa: after -EACCES, give @fix_prot back to this range and resume
 * @fix_size: bytes (0: stop instead)
 * @fix_prot: the rights to restore
 * @join: then wait for the protecting thread and raise G_FLAG
 * @remap: after -ENOENT, map the page again for the guest (scenario 8)
 * @fill: after the frame is installed, write the guest's data into it
 * @code: the hardware's word of the first that came (EXITINFO1, or the
 *	exit qualification), for the report
 * @access: the decoded access of the first, for the report
 * @flags: its decoded AXAS_EXIT_* flags, for the report
 */
struct npf_expect {
	u64 gpa;
	u64 step;
	bool page;
	unsigned int count;
	unsigned int seen;
	bool write;
	bool fetch;
	bool walk;
	int result;
	u64 fix_gpa;
	u64 fix_size;
	u32 fix_prot;
	bool join;
	bool remap;
	bool fill;
	u64 code;
	unsigned int access;
	unsigned int flags;
};

#define MAX_KINDS	6

struct scenario {
	bool begun;
	bool reported;
	bool failed;
	bool skipped;	/* ran, but cannot show what it is for here (why says) */
	char why[160];
	char note[160];
	char arch_note[256];	/* ops->check()'s line */
	unsigned int exits;
	unsigned int npf;
	unsigned int hypercall;
	unsigned int intr;
	struct npf_expect kinds[MAX_KINDS];
	unsigned int nkinds;
	long frames_begin;
	long frames_delta;
	ktime_t start;
	s64 ns;
};

struct demo {
	const struct vmm_arch *ops;
	void *arch;
	struct vmm_arch_info info;
	struct vmm_regs vcpu;
	struct vmm_exit exit;
	struct axas_space *space;
	/* Device accesses decoded through the guest's tables (scenario 4). */
	unsigned int mmio_walked;
	u64 mmio_gva;
	u64 mmio_pgsize;
	int cpu;

	/* Flush requests and kicks, as a multi-vCPU VMM would do them. */
	unsigned long requests;
	bool in_guest;
	u64 kicks;
	/* Scenario 5: write protection from another CPU. */
	struct task_struct *protector;
	int protector_ret;
	u64 flushes_mark;
	/* Scenario 8: unmaps from another CPU while the guest reads. */
	struct task_struct *unmapper;
	struct completion remapped;
	unsigned int unmaps;
	unsigned int remaps;
	unsigned int wrong;
	int unmapper_cpu;
	u64 kicks_mark;
	char unmapper_why[96];
	/* Scenario 9: dirty logging by write-protection; what each harvest found. */
	bool log_wp;
	unsigned int harvest_found[3];
	unsigned int harvest_extra[3];
	/* Scenario 10: pages restored. */
	long restored;

	int cur;
	struct scenario sc[NR_SCENARIOS + 1];
	struct npf_expect exp[4];
	unsigned int nexp;
	unsigned int iexp;
	u32 scratch;

	bool done;
	bool stopped;
	u64 flushes;
	s64 ns;
	/* Exits the arch handled itself (VMM_EXIT_NONE: EFER). */
	unsigned int arch_exits;

	/* The vCPU's thread; demo_end() asked it to stop, and kicked it. */
	struct task_struct *task;
	bool stop_kicked;
	bool unloaded;
	/* The report is printed and the guest freed. */
	bool finished;
};

static inline struct scenario *cur_sc(struct demo *d)
{
	return &d->sc[d->cur];
}

__printf(2, 3) void demo_fail(struct demo *d, const char *fmt, ...);

#define demo_stop(d, fmt, ...) do {			\
	demo_fail(d, fmt, ##__VA_ARGS__);		\
	(d)->stopped = true;				\
} while (0)

long demo_frames(struct demo *d);
void demo_expect(struct demo *d, const struct npf_expect *e);
void demo_check_flushed(struct demo *d, u64 before, const char *op);

/* scenarios.c: the VMM's part of each scenario. */
const char *demo_scenario_name(unsigned int n);
void demo_begin(struct demo *d, u64 n);
u64 demo_phase(struct demo *d, u64 n, u64 phase);
void demo_wrong(struct demo *d, u64 n, u64 gpa, u64 val);
void demo_finish(struct demo *d, unsigned int n);
void demo_check_result(struct demo *d, unsigned int n);
void demo_stop_scenarios(struct demo *d);
bool demo_huge_fill(struct demo *d);
bool demo_race_remap(struct demo *d);
int demo_protector_join(struct demo *d);

#endif /* _AXAS_SAMPLE_CORE_H */
