// SPDX-License-Identifier: GPL-2.0
/*
 * axas_vmx - a minimal Intel VMX hypervisor on axas EPT tables.
 *
 * On load it starts a kthread bound to one CPU, which builds one guest:
 * an axas address space (EPT, the levels and flags that
 * IA32_VMX_EPT_VPID_CAP allows, decoded by axas), VMXON, a VMCS with EPT
 * (the EPTP from axas_space_root()) and a VPID, and the guest binary
 * (guest.S) and its page tables written into guest memory through
 * axas_write(). The guest is entered in 64-bit mode and announces each
 * scenario through VMCALL; for each one the VMM knows which exits must
 * come, and checks every EPT violation's exit qualification (bits 0-5, 7
 * and 8), guest-physical and guest-linear address against that prediction,
 * whose rights bits come from what axas's tables say. EPT violations go to
 * axas_fault(), whose answer decides what happens next. An EPT
 * misconfiguration fails the run, with the offending entries decoded.
 *
 * The flush callback invalidates with INVEPT (single-context, or
 * all-context when single is not supported); the VMM counts the flushes
 * owed and done, and a flush still owed at a VM entry fails the run: an
 * emulator that drops its TLB at every VM entry (Bochs) would not show a
 * missing INVEPT in the guest.
 *
 * Safe to copy, within what one vCPU needs: every port and MSR is
 * intercepted (all-ones bitmaps), VMX instructions exit unconditionally,
 * every exception exits, CR0 and CR4 are owned by the VMM; host state
 * that VMX does not switch (IA32_KERNEL_GS_BASE, the GDT and IDT limits,
 * DR7 and IA32_DEBUGCTL) is restored after each exit; IA32_FEATURE_CONTROL
 * is only read; CR4.VMXE already set (another hypervisor) is refused.
 *
 * Only axas's public API is used to manage guest memory; the planted
 * errors (plant=) write one EPT entry directly, as a buggy VMM would.
 * It is a sample: one vCPU, no speculation mitigations around the VM
 * entry, no FPU state switch (the guest uses none).
 */
#define pr_fmt(fmt) "axas-vmx: " fmt

#include <linux/bitfield.h>
#include <linux/completion.h>
#include <linux/io.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/segment.h>
#include <asm/tlbflush.h>
#include <asm/vmx.h>
#include <axas/axas.h>
#include <axas/compat.h>
#include <axas/vmm.h>
#include "guest.h"
#include "vmx.h"

static unsigned long resv_base;
module_param(resv_base, ulong, 0444);
MODULE_PARM_DESC(resv_base,
		 "host-physical base of memory reserved with memmap=, 1 GiB aligned");
static unsigned long resv_size;
module_param(resv_size, ulong, 0444);
MODULE_PARM_DESC(resv_size, "bytes reserved there (at least 1 GiB)");
static unsigned int timeout_s = 120;
module_param(timeout_s, uint, 0444);
MODULE_PARM_DESC(timeout_s, "stop the guest after this many seconds");
static char *plant = "";
module_param(plant, charp, 0444);
MODULE_PARM_DESC(plant,
		 "a planted error: memtype7 or wonly (one EPT leaf written directly), noinvept (one INVEPT skipped)");

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI };

/* EPT violation exit qualification bits the scenarios predict. */
#define QUAL_R		BIT_ULL(0)
#define QUAL_W		BIT_ULL(1)
#define QUAL_X		BIT_ULL(2)
#define QUAL_RIGHTS	GENMASK_ULL(5, 3)
#define QUAL_GLA	BIT_ULL(7)
#define QUAL_FINAL	BIT_ULL(8)
#define QUAL_CHECKED	(GENMASK_ULL(5, 0) | QUAL_GLA | QUAL_FINAL)

/* EPT entries, for the planted errors and the misconfiguration report. */
#define EPTE_R		BIT_ULL(0)
#define EPTE_W		BIT_ULL(1)
#define EPTE_X		BIT_ULL(2)
#define EPTE_MT		GENMASK_ULL(5, 3)
#define EPTE_PS		BIT_ULL(7)
#define EPTE_A		BIT_ULL(8)
#define EPTE_D		BIT_ULL(9)
#define EPTE_ADDR	GENMASK_ULL(51, 12)

/* IA32_VMX_EPT_VPID_CAP bits the VMM uses itself. */
#define CAP_INVEPT		BIT_ULL(20)
#define CAP_INVEPT_SINGLE	BIT_ULL(25)
#define CAP_INVEPT_ALL		BIT_ULL(26)
#define CAP_INVVPID		BIT_ULL(32)
#define CAP_INVVPID_SINGLE	BIT_ULL(41)
#define CAP_INVVPID_ALL		BIT_ULL(42)

#define VPID		1
#define DR7_RESET	0x400ULL	/* DR7 after reset: bit 10 reads as 1 */
#define GUEST_EFER	(EFER_LME | EFER_LMA)
#define SEG_CODE64	0xa09b	/* present, DPL 0, code, read, accessed, L, 4 KiB granular */
#define SEG_DATA	0xc093	/* present, DPL 0, data, write, accessed, 32-bit, 4 KiB */
#define SEG_TSS_BUSY	0x008b
#define SEG_UNUSABLE	0x10000
#define PTE_P_RW	0x3ULL
#define PDE_2M		0x83ULL

enum plant_kind { PLANT_NONE, PLANT_MEMTYPE7, PLANT_WONLY, PLANT_NOINVEPT };

/*
 * struct expect - one exit a scenario must cause, in order
 * @reason: the basic exit reason
 * @qual: the exit qualification (EPT violation: the QUAL_CHECKED bits;
 *	I/O: all of it)
 * @alt_qual: another qualification accepted, 0 for none (see walk_qual())
 * @gpa: EPT violation: the guest-physical address
 * @gla: EPT violation with QUAL_GLA: the guest-linear address
 * @result: EPT violation: what axas_fault() must answer
 * @action: what the VMM does then
 * @seen: the qualification that came, 0 while none
 */
struct expect {
	u32 reason;
	u64 qual;
	u64 alt_qual;
	u64 gpa;
	u64 gla;
	int result;
	int action;
	u64 seen;
};

enum { ACT_NONE, ACT_FILL_WALK_PD, ACT_FILL_WALK_PT, ACT_GIVE_RX,
	ACT_GIVE_RW, ACT_MMIO };

#define MAX_EXPECT	32
#define MAX_KINDS	8
#define KIND_LEN	160

struct scenario {
	bool begun;
	bool reported;
	bool failed;
	char why[200];
	char note[200];
	unsigned int exits;
	unsigned int eptv;
	unsigned int other;
	unsigned int intr;
	long frames_begin;
	long frames_delta;
	ktime_t start;
	s64 ns;
};

static const char *const scenario_name[NR_SCENARIOS + 1] = {
	"set-up",
	"lazy 4K and 2M areas, every page touched",
	"guest page walk through lazy tables",
	"execute-only page: fetch, then read",
	"rights taken away under the guest",
	"unmap, then a fresh zero page",
	"device register where no area is",
	"port I/O, MSR and VMX instruction exits",
	"1 GiB linear leaf",
	"EPT accessed/dirty flags read back",
};

struct vmx_demo {
	struct axas_space *space;
	struct axas_vmm_frame *vmxon_frame;
	struct axas_vmm_frame *vmcs_frame;
	struct axas_vmm_frame *io_bitmaps;
	struct axas_vmm_frame *msr_bitmap;
	struct axas_vmx_regs regs;
	u64 ept_cap;
	u64 eptp;
	u32 caps;
	unsigned int levels;
	bool ad;
	bool vmxon;
	bool vmcs_loaded;
	bool cr4_set;
	int cpu;
	enum plant_kind plant;
	bool planted;
	u64 plant_entry_pa;
	u64 plant_old;

	/* Flush accounting: a flush owed at VM entry fails the run. */
	u64 flushes;
	u64 flushes_owed;
	u64 flushes_done;
	u64 invepts;
	u64 owed_gpa, owed_size;

	/* Scenario 6: the device's scratch register. */
	u32 scratch;
	/* Scenario 7: the guest's RDX at the I/O exit. */
	unsigned int io_in_seen;

	int cur;
	struct scenario sc[NR_SCENARIOS + 1];
	struct expect exp[MAX_EXPECT];
	unsigned int nexp;
	unsigned int iexp;
	char kinds[NR_SCENARIOS + 1][MAX_KINDS][KIND_LEN];
	unsigned int nkinds[NR_SCENARIOS + 1];

	bool done;
	bool stopped;
	u64 exits;
	s64 ns;
	struct completion finished;
	struct task_struct *thread;
};

static struct vmx_demo *demo;

static struct scenario *cur_sc(struct vmx_demo *d)
{
	return &d->sc[d->cur];
}

static __printf(2, 3) void demo_fail(struct vmx_demo *d, const char *fmt, ...)
{
	struct scenario *sc = cur_sc(d);
	va_list args;

	if (sc->failed)
		return;
	sc->failed = true;
	va_start(args, fmt);
	vsnprintf(sc->why, sizeof(sc->why), fmt, args);
	va_end(args);
}

#define demo_stop(d, fmt, ...) do {			\
	demo_fail(d, fmt, ##__VA_ARGS__);		\
	(d)->stopped = true;				\
} while (0)

/* VMX instructions. */
static u64 vmcs_read(unsigned long field)
{
	u64 val;

	asm volatile("vmread %1, %0" : "=rm"(val) : "r"(field) : "cc");
	return val;
}

static bool vmcs_write(unsigned long field, u64 val)
{
	bool fail;

	asm volatile("vmwrite %1, %2" CC_SET(be)
		     : CC_OUT(be)(fail) : "rm"(val), "r"(field) : "cc");
	return !fail;
}

/* VMXON, VMCLEAR, VMPTRLD: the region's HPA as a memory operand. */
static bool do_vmxon(u64 pa)
{
	bool fail;

	asm volatile("vmxon %1" CC_SET(be) : CC_OUT(be)(fail) : "m"(pa) : "cc", "memory");
	return !fail;
}

static bool do_vmclear(u64 pa)
{
	bool fail;

	asm volatile("vmclear %1" CC_SET(be) : CC_OUT(be)(fail) : "m"(pa) : "cc", "memory");
	return !fail;
}

static bool do_vmptrld(u64 pa)
{
	bool fail;

	asm volatile("vmptrld %1" CC_SET(be) : CC_OUT(be)(fail) : "m"(pa) : "cc", "memory");
	return !fail;
}

static bool do_invept(unsigned long type, u64 eptp)
{
	struct { u64 eptp, rsvd; } desc = { eptp, 0 };
	bool fail;

	asm volatile("invept %1, %2" CC_SET(be) : CC_OUT(be)(fail)
		     : "m"(desc), "r"(type) : "cc", "memory");
	return !fail;
}

static bool do_invvpid(unsigned long type, u16 vpid)
{
	struct { u64 vpid, gla; } desc = { vpid, 0 };
	bool fail;

	asm volatile("invvpid %1, %2" CC_SET(be) : CC_OUT(be)(fail)
		     : "m"(desc), "r"(type) : "cc", "memory");
	return !fail;
}

static long demo_frames(struct vmx_demo *d)
{
	struct axas_space_stats st;

	axas_space_get_stats(d->space, &st);
	return st.frames;
}

/* INVEPT for the space's EPTP: single-context, or all-context. */
static bool demo_invept(struct vmx_demo *d)
{
	d->invepts++;
	if (d->ept_cap & CAP_INVEPT_SINGLE)
		return do_invept(VMX_EPT_EXTENT_CONTEXT, d->eptp);
	return do_invept(VMX_EPT_EXTENT_GLOBAL, 0);
}

/*
 * The flush callback. axas frees the range's frames and table pages as
 * soon as it returns: when it returns, no CPU may use a translation of
 * the range cached before the call. The vCPU is one kthread bound to
 * d->cpu, and every axas call of this sample is made from it while it is
 * out of guest mode: the callback then runs on that CPU, in VMX root
 * operation, and INVEPT there meets the contract. (A VMM that changes
 * the tables from other CPUs posts a request and kicks the vCPU out of
 * guest mode with an IPI, waiting for it, as the SVM sample does.)
 *
 * Every call owes one flush; the VMM counts them, and before each VM
 * entry checks that every flush owed was done. plant=noinvept skips the
 * first INVEPT, as a VMM with a forgotten path would: the check catches
 * it at the next entry.
 */
static void demo_flush(void *cookie, u64 gpa, u64 size)
{
	struct vmx_demo *d = cookie;
	int cpu = get_cpu();

	d->flushes++;
	d->flushes_owed++;
	d->owed_gpa = gpa;
	d->owed_size = size;
	if (cpu != d->cpu || !d->vmxon) {
		/* Not this sample's pattern; the entry check will say so. */
		put_cpu();
		return;
	}
	if (d->plant == PLANT_NOINVEPT && !d->planted) {
		d->planted = true;
		put_cpu();
		return;
	}
	if (demo_invept(d))
		d->flushes_done = d->flushes_owed;
	put_cpu();
}

/*
 * The rights bits (3-5) of an EPT violation's qualification, as axas's
 * tables say: the leaf's rights (table entries of axas have all three),
 * 0 where nothing is mapped.
 */
static u64 demo_rights(struct vmx_demo *d, u64 gpa)
{
	struct axas_translation tr;
	u64 q = 0;

	if (axas_translate(d->space, gpa, 1, &tr))
		return 0;
	if (tr.prot & AXAS_PROT_READ)
		q |= BIT_ULL(3);
	if (tr.prot & AXAS_PROT_WRITE)
		q |= BIT_ULL(4);
	if (tr.prot & AXAS_PROT_EXEC)
		q |= BIT_ULL(5);
	return q;
}

static void demo_expect(struct vmx_demo *d, const struct expect *e)
{
	if (d->nexp == MAX_EXPECT) {
		demo_fail(d, "more than %d exits predicted", MAX_EXPECT);
		return;
	}
	d->exp[d->nexp++] = *e;
}

/* An EPT violation of a final access (bits 7 and 8) at @gpa from @gla. */
static void expect_final(struct vmx_demo *d, u64 access, u64 gpa, u64 gla,
			 int result, int action)
{
	struct expect e = {
		.reason = EXIT_REASON_EPT_VIOLATION,
		.qual = access | demo_rights(d, gpa) | QUAL_GLA | QUAL_FINAL,
		.gpa = gpa, .gla = gla, .result = result, .action = action,
	};

	demo_expect(d, &e);
}

/*
 * An EPT violation of the guest's own page walk (bit 7 without bit 8) at
 * the paging-structure entry @gpa. Without EPT A/D the walk reads (bit 0).
 * With EPT A/D the CPU treats guest paging-structure accesses as writes
 * (it may set the guest's A/D flags): the SDM's table sets bits 0 and 1;
 * Bochs 2.7 sets bit 1 only. Both are accepted; the report names the one
 * that came.
 */
static void expect_walk(struct vmx_demo *d, u64 gpa, u64 gla, int action)
{
	u64 rest = demo_rights(d, gpa) | QUAL_GLA;
	struct expect e = {
		.reason = EXIT_REASON_EPT_VIOLATION,
		.qual = (d->ad ? QUAL_W : QUAL_R) | rest,
		.alt_qual = d->ad ? (QUAL_R | QUAL_W | rest) : 0,
		.gpa = gpa, .gla = gla, .result = AXAS_FAULT_INSTALLED,
		.action = action,
	};

	demo_expect(d, &e);
}

static void expect_exit(struct vmx_demo *d, u32 reason, u64 qual)
{
	struct expect e = { .reason = reason, .qual = qual };

	demo_expect(d, &e);
}

static const char *qual_str(u64 q, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s, rights %s%s%s, %s",
		 q & QUAL_R ? "R" : "", q & QUAL_W ? "W" : "",
		 q & QUAL_X ? "X" : "",
		 q & BIT_ULL(3) ? "r" : "-", q & BIT_ULL(4) ? "w" : "-",
		 q & BIT_ULL(5) ? "x" : "-",
		 !(q & QUAL_GLA) ? "no linear address" :
		 q & QUAL_FINAL ? "final access" : "guest page walk");
	return buf;
}

/*
 * Every exit the scenario predicted must have come. The report lists the
 * EPT violations, a run of equal qualifications at a constant step as one
 * line.
 */
static void demo_expect_done(struct vmx_demo *d)
{
	unsigned int i, j, n = d->cur;
	char b1[48], b2[32];

	for (i = d->iexp; i < d->nexp; i++)
		demo_fail(d, "predicted exit %u of %u (reason %u at %#llx) did not come",
			  i + 1, d->nexp, d->exp[i].reason, d->exp[i].gpa);
	for (i = 0; i < d->iexp && d->nkinds[n] < MAX_KINDS; i = j) {
		struct expect *e = &d->exp[i];
		u64 step = 0;

		for (j = i + 1; j < d->iexp; j++) {
			struct expect *f = &d->exp[j];
			u64 s = f->gpa - d->exp[j - 1].gpa;

			if (f->reason != e->reason || f->seen != e->seen ||
			    f->gla - f->gpa != e->gla - e->gpa || !s ||
			    (step && s != step))
				break;
			step = s;
		}
		if (e->reason != EXIT_REASON_EPT_VIOLATION)
			continue;
		b2[0] = 0;
		if (step)
			snprintf(b2, sizeof(b2), " step %#llx", step);
		scnprintf(d->kinds[n][d->nkinds[n]++], KIND_LEN,
			  "eptv x%-2u %#llx%s (gla %#llx): qual %#llx (%s) as predicted%s",
			  j - i, e->gpa, b2, e->gla, e->seen,
			  qual_str(e->seen, b1, sizeof(b1)),
			  e->seen == e->alt_qual ? " (the SDM's walk bits)" :
			  e->alt_qual ? " (Bochs: a walk sets bit 1 only)" : "");
	}
	d->nexp = 0;
	d->iexp = 0;
}

/* Guest memory words [gpa, gpa + size) get their address ^ @seed. */
static int demo_fill(struct vmx_demo *d, u64 gpa, u64 size, u64 seed)
{
	u64 *buf = kmalloc(size, GFP_KERNEL);
	unsigned int i;
	int ret;

	if (!buf)
		return -ENOMEM;
	for (i = 0; i < size / 8; i++)
		buf[i] = (gpa + i * 8) ^ seed;
	ret = axas_write(d->space, gpa, buf, size, 0);
	kfree(buf);
	return ret;
}

static int demo_write64(struct vmx_demo *d, u64 gpa, u64 val)
{
	return axas_write(d->space, gpa, &val, sizeof(val), 0);
}

static u64 demo_read64(struct vmx_demo *d, u64 gpa, int *ret)
{
	u64 val = 0;

	*ret = axas_read(d->space, gpa, &val, sizeof(val), 0);
	return val;
}

/* The reserved gigabyte, mapped for the VMM's own accesses. */
static int demo_resv_word(struct vmx_demo *d, u64 off, u64 *val, bool write)
{
	u64 *p;

	if (!resv_size || off + sizeof(*p) > resv_size)
		return -ERANGE;
	p = memremap(resv_base + off, sizeof(*p), MEMREMAP_WB);
	if (!p)
		return -ENOMEM;
	if (write)
		WRITE_ONCE(*p, *val);
	else
		*val = READ_ONCE(*p);
	memunmap(p);
	return 0;
}

static const u64 huge_offs[] = { 0, G_HUGE_SIZE / 2, G_HUGE_SIZE - 8 };

/* The EPT entry of @level (3 = PML4E) on @gpa's walk, or NULL. */
static u64 *ept_entry(struct vmx_demo *d, u64 gpa, int want, int *leaf)
{
	u64 *table = phys_to_virt(d->eptp & EPTE_ADDR);
	int level;

	for (level = d->levels - 1; level >= 0; level--) {
		u64 *e = &table[(gpa >> (12 + 9 * level)) & 511];

		if (level == want)
			return e;
		if (!(*e & (EPTE_R | EPTE_W | EPTE_X)) || (level && (*e & EPTE_PS))) {
			*leaf = level;
			return NULL;
		}
		table = phys_to_virt(*e & EPTE_ADDR);
	}
	return NULL;
}

/*
 * What is wrong with an EPT entry, by the SDM's rules for an EPT
 * misconfiguration (29.3.3.1) as Bochs checks them; "" when nothing.
 */
static const char *ept_entry_problem(struct vmx_demo *d, u64 e, int level,
				     bool leaf)
{
	u64 mt = FIELD_GET(EPTE_MT, e);

	if (!(e & (EPTE_R | EPTE_W | EPTE_X)))
		return "";
	if ((e & EPTE_W) && !(e & EPTE_R))
		return "write without read";
	if ((e & (EPTE_R | EPTE_W | EPTE_X)) == EPTE_X &&
	    !(d->caps & AXAS_CAP_EXEC_ONLY))
		return "execute-only without the capability";
	if (leaf && (mt == 2 || mt == 3 || mt == 7))
		return "reserved memory type";
	if (!leaf && (e & GENMASK_ULL(6, 3)))
		return "bits 3-6 set in a table entry";
	if (level == 3 && (e & EPTE_PS))
		return "page-size bit in a PML4E";
	if (e & GENMASK_ULL(51, boot_cpu_data.x86_phys_bits))
		return "reserved address bits";
	return "";
}

static const char *const ept_level_name[] = { "PTE", "PDE", "PDPTE", "PML4E", "PML5E" };

/* An EPT misconfiguration: fail with the walk of its GPA decoded. */
static void demo_misconfig(struct vmx_demo *d, u64 gpa)
{
	u64 *table = phys_to_virt(d->eptp & EPTE_ADDR);
	char buf[180];
	int level, n = 0;

	n = scnprintf(buf, sizeof(buf), "EPT misconfiguration at GPA %#llx:", gpa);
	for (level = d->levels - 1; level >= 0; level--) {
		unsigned int idx = (gpa >> (12 + 9 * level)) & 511;
		u64 e = table[idx];
		bool leaf = !level || (e & EPTE_PS);
		const char *why = ept_entry_problem(d, e, level, leaf);

		n += scnprintf(buf + n, sizeof(buf) - n, " %s[%u]=%#llx", ept_level_name[level],
			       idx, e);
		if (*why) {
			n += scnprintf(buf + n, sizeof(buf) - n, " (%s: R%u W%u X%u memtype %llu)",
				       why, !!(e & EPTE_R), !!(e & EPTE_W), !!(e & EPTE_X),
				       FIELD_GET(EPTE_MT, e));
			break;
		}
		if (leaf || !(e & (EPTE_R | EPTE_W | EPTE_X)))
			break;
		table = phys_to_virt(e & EPTE_ADDR);
	}
	demo_stop(d, "%s", buf);
}

/* plant=memtype7|wonly: corrupt G_RO's 4 KiB leaf, as a buggy VMM would. */
static void demo_plant_leaf(struct vmx_demo *d)
{
	int leaf = -1;
	u64 *e = ept_entry(d, G_RO, 0, &leaf);
	u64 v;

	if (!e) {
		demo_fail(d, "plant: no 4 KiB leaf for %#x (leaf at level %d)", G_RO, leaf);
		return;
	}
	v = READ_ONCE(*e);
	d->plant_entry_pa = virt_to_phys(e);
	d->plant_old = v;
	if (d->plant == PLANT_MEMTYPE7)
		v |= EPTE_MT;
	else
		v = (v & ~(EPTE_R | EPTE_X)) | EPTE_W;
	WRITE_ONCE(*e, v);
	d->planted = true;
	pr_info("plant: EPT PTE of %#x at HPA %#llx: %#llx -> %#llx\n", G_RO,
		d->plant_entry_pa, d->plant_old, v);
}

/* Put the planted leaf back, so that axas tears down the table it built. */
static void demo_unplant(struct vmx_demo *d)
{
	if (!d->plant_entry_pa)
		return;
	WRITE_ONCE(*(u64 *)phys_to_virt(d->plant_entry_pa), d->plant_old);
	d->plant_entry_pa = 0;
	demo_invept(d);
}

/* The guest's page tables: the low 4 GiB in 2 MiB pages, G_WALK_GVA. */
static int demo_guest_tables(struct vmx_demo *d)
{
	u64 *t = kzalloc(G_TABLES_SIZE, GFP_KERNEL);
	unsigned int i;
	int ret;

	if (!t)
		return -ENOMEM;
	t[0] = G_PDPT | PTE_P_RW;				/* PML4 */
	for (i = 0; i < 4; i++)					/* PDPT */
		t[512 + i] = (G_PD + i * 0x1000ULL) | PTE_P_RW;
	t[512 + ((G_WALK_GVA >> 30) & 511)] = G_WALK_PD | PTE_P_RW;
	for (i = 0; i < 2048; i++)				/* PDs */
		t[1024 + i] = (i * (u64)SZ_2M) | PDE_2M;
	ret = axas_write(d->space, G_TABLES, t, G_TABLES_SIZE, 0);
	kfree(t);
	return ret;
}

/* Scenario 2: the entry the walk needs in the page just installed. */
static int demo_fill_walk(struct vmx_demo *d, int action)
{
	if (action == ACT_FILL_WALK_PD)
		return demo_write64(d, G_WALK_PD + 8 * ((G_WALK_GVA >> 21) & 511),
				    G_WALK_PT | PTE_P_RW);
	return demo_write64(d, G_WALK_PT + 8 * ((G_WALK_GVA >> 12) & 511),
			    G_WALK_TARGET | PTE_P_RW);
}

/*
 * Scenario 6: the device at G_MMIO. The guest uses three fixed encodings
 * (mov (%rbx),%eax; mov %eax,4(%rbx); mov 4(%rbx),%eax), read at its RIP
 * (identity-mapped: GVA == GPA); the decoded address must be the one the
 * exit reported.
 */
static void demo_mmio(struct vmx_demo *d, u64 gpa, u64 gla)
{
	u64 rip = vmcs_read(GUEST_RIP);
	u8 insn[3] = { 0 };
	unsigned int len, disp = 0;
	int ret;

	ret = axas_read(d->space, rip, insn, sizeof(insn), 0);
	if (ret) {
		demo_stop(d, "reading the instruction at %#llx: %d", rip, ret);
		return;
	}
	if ((insn[0] != 0x8b && insn[0] != 0x89) ||
	    (insn[1] != 0x03 && insn[1] != 0x43)) {
		demo_stop(d, "cannot emulate %*ph at %#llx", 3, insn, rip);
		return;
	}
	len = insn[1] == 0x43 ? 3 : 2;
	if (len == 3)
		disp = insn[2];
	if (d->regs.gpr[RBX] + disp != gla || G_MMIO + disp != gpa) {
		demo_stop(d, "decoded %#llx, the exit said gla %#llx gpa %#llx",
			  d->regs.gpr[RBX] + disp, gla, gpa);
		return;
	}
	if (insn[0] == 0x89)
		d->scratch = (u32)d->regs.gpr[RAX];
	else
		d->regs.gpr[RAX] = disp ? ~d->scratch : DEV_ID;
	vmcs_write(GUEST_RIP, rip + len);
}

/* An EPT violation: check it against the next prediction, then act. */
static void demo_ept_violation(struct vmx_demo *d)
{
	u64 qual = vmcs_read(EXIT_QUALIFICATION);
	u64 gpa = vmcs_read(GUEST_PHYSICAL_ADDRESS);
	u64 gla = vmcs_read(GUEST_LINEAR_ADDRESS);
	struct axas_exit_fault f;
	struct expect *e;
	char b1[48], b2[48];
	int ret;

	cur_sc(d)->eptv++;
	if (axas_decode_ept_violation(qual, gpa, false, &f)) {
		demo_stop(d, "EPT violation with no access: qual %#llx", qual);
		return;
	}
	if (d->iexp == d->nexp) {
		demo_stop(d, "unpredicted EPT violation at %#llx (gla %#llx): qual %#llx (%s)",
			  gpa, gla, qual, qual_str(qual, b1, sizeof(b1)));
		return;
	}
	e = &d->exp[d->iexp];
	if (e->reason != EXIT_REASON_EPT_VIOLATION || e->gpa != gpa ||
	    ((qual & QUAL_CHECKED) != e->qual &&
	     (!e->alt_qual || (qual & QUAL_CHECKED) != e->alt_qual)) ||
	    ((qual & QUAL_GLA) && e->gla != gla)) {
		demo_stop(d, "EPT violation at %#llx (gla %#llx) qual %#llx (%s); predicted reason %u at %#llx (gla %#llx) qual %#llx (%s)",
			  gpa, gla, qual, qual_str(qual, b1, sizeof(b1)), e->reason,
			  e->gpa, e->gla, e->qual, qual_str(e->qual, b2, sizeof(b2)));
		return;
	}
	e->seen = qual & QUAL_CHECKED;
	d->iexp++;
	ret = axas_fault(d->space, f.gpa, f.access);
	if (ret != e->result) {
		demo_stop(d, "axas_fault(%#llx, access %#x) = %d, predicted %d", f.gpa,
			  f.access, ret, e->result);
		return;
	}
	switch (e->action) {
	case ACT_FILL_WALK_PD:
	case ACT_FILL_WALK_PT:
		ret = demo_fill_walk(d, e->action);
		break;
	case ACT_GIVE_RX:
		ret = axas_protect(d->space, gpa & PAGE_MASK, SZ_4K,
				   AXAS_PROT_READ | AXAS_PROT_EXEC);
		break;
	case ACT_GIVE_RW:
		ret = axas_protect(d->space, gpa & PAGE_MASK, SZ_4K,
				   AXAS_PROT_READ | AXAS_PROT_WRITE);
		break;
	case ACT_MMIO:
		demo_mmio(d, gpa, gla);
		ret = 0;
		break;
	default:
		ret = 0;
	}
	if (ret)
		demo_stop(d, "acting on the violation at %#llx: %d", gpa, ret);
}

/* Port I/O, MSR and VMX instruction exits (scenario 7). */
static void demo_other_exit(struct vmx_demo *d, u32 reason)
{
	u64 qual = vmcs_read(EXIT_QUALIFICATION);
	struct expect *e;

	cur_sc(d)->other++;
	if (reason == EXIT_REASON_MSR_READ || reason == EXIT_REASON_MSR_WRITE)
		qual = (u32)d->regs.gpr[RCX];
	if (d->iexp == d->nexp) {
		demo_stop(d, "unpredicted exit %u (qualification %#llx) at %#llx", reason,
			  qual, vmcs_read(GUEST_RIP));
		return;
	}
	e = &d->exp[d->iexp];
	if (e->reason != reason || e->qual != qual) {
		demo_stop(d, "exit %u qualification %#llx; predicted %u, %#llx",
			  reason, qual, e->reason, e->qual);
		return;
	}
	e->seen = qual;
	d->iexp++;
	/* IN gets IO_IN_VAL; RDMSR reads 0; OUT, WRMSR, VMXOFF do nothing. */
	if (reason == EXIT_REASON_IO_INSTRUCTION && (qual & BIT(3)))
		d->regs.gpr[RAX] = (d->regs.gpr[RAX] & ~0xffULL) | IO_IN_VAL;
	if (reason == EXIT_REASON_MSR_READ) {
		d->regs.gpr[RAX] = 0;
		d->regs.gpr[RDX] = 0;
	}
	vmcs_write(GUEST_RIP, vmcs_read(GUEST_RIP) + vmcs_read(VM_EXIT_INSTRUCTION_LEN));
}

/* I/O exit qualification: 1 byte, direction, immediate port. */
#define IO_QUAL(port, in)	(((u64)(port) << 16) | BIT(6) | ((in) ? BIT(3) : 0))

/* HC_BEGIN: set the scenario up and predict its exits. */
static void demo_begin(struct vmx_demo *d, unsigned int n)
{
	unsigned long bitmap[1] = { 0 };
	u64 val, i;
	int ret = 0;

	switch (n) {
	case 1:
		for (i = 0; i < LAZY_READS; i++)
			expect_final(d, QUAL_R, G_LAZY4K + i * SZ_4K, G_LAZY4K + i * SZ_4K,
				     AXAS_FAULT_INSTALLED, ACT_NONE);
		for (i = 0; i < LAZY_WRITES; i++) {
			val = G_LAZY4K + LAZY_WRITE_OFF + i * SZ_4K;
			expect_final(d, QUAL_W, val, val, AXAS_FAULT_INSTALLED, ACT_NONE);
		}
		expect_final(d, QUAL_W, G_LAZY2M, G_LAZY2M, AXAS_FAULT_INSTALLED, ACT_NONE);
		break;
	case 2:
		val = G_WALK_GVA + G_WALK_OFF;
		expect_walk(d, G_WALK_PD + 8 * ((G_WALK_GVA >> 21) & 511), val,
			    ACT_FILL_WALK_PD);
		expect_walk(d, G_WALK_PT + 8 * ((G_WALK_GVA >> 12) & 511), val,
			    ACT_FILL_WALK_PT);
		expect_final(d, QUAL_R, G_WALK_TARGET + G_WALK_OFF, val,
			     AXAS_FAULT_INSTALLED, ACT_NONE);
		break;
	case 3:
		if (!(d->caps & AXAS_CAP_EXEC_ONLY)) {
			demo_fail(d, "IA32_VMX_EPT_VPID_CAP has no execute-only");
			break;
		}
		ret = axas_protect(d->space, G_XONLY, SZ_4K, AXAS_PROT_EXEC);
		expect_final(d, QUAL_R, G_XONLY, G_XONLY, -EACCES, ACT_GIVE_RX);
		break;
	case 4:
		ret = axas_protect(d->space, G_RO, SZ_4K, AXAS_PROT_READ);
		expect_final(d, QUAL_W, G_RO + G_RO_OFF, G_RO + G_RO_OFF, -EACCES,
			     ACT_GIVE_RW);
		if (!ret && (d->plant == PLANT_MEMTYPE7 || d->plant == PLANT_WONLY))
			demo_plant_leaf(d);
		break;
	case 5:
		ret = demo_fill(d, G_FRESH, SZ_4K, SEED_FRESH);
		break;
	case 6:
		expect_final(d, QUAL_R, G_MMIO, G_MMIO, -ENOENT, ACT_MMIO);
		expect_final(d, QUAL_W, G_MMIO + 4, G_MMIO + 4, -ENOENT, ACT_MMIO);
		expect_final(d, QUAL_R, G_MMIO + 4, G_MMIO + 4, -ENOENT, ACT_MMIO);
		break;
	case 7:
		expect_exit(d, EXIT_REASON_IO_INSTRUCTION, IO_QUAL(IO_OUT_PORT, false));
		expect_exit(d, EXIT_REASON_IO_INSTRUCTION, IO_QUAL(IO_IN_PORT, true));
		expect_exit(d, EXIT_REASON_MSR_READ, MSR_TRIED);
		expect_exit(d, EXIT_REASON_MSR_WRITE, MSR_TRIED);
		expect_exit(d, EXIT_REASON_VMOFF, 0);
		break;
	case 8:
		if (!IS_ALIGNED(resv_base, SZ_1G) || resv_size < G_HUGE_SIZE) {
			demo_fail(d, "needs 1 GiB reserved at a 1 GiB boundary (memmap=1G$1G)");
			break;
		}
		if (!(d->caps & AXAS_CAP_1G)) {
			demo_fail(d, "IA32_VMX_EPT_VPID_CAP has no 1 GiB pages");
			break;
		}
		for (i = 0; i < ARRAY_SIZE(huge_offs); i++) {
			val = (G_HUGE + huge_offs[i]) ^ SEED_HUGE;
			ret = demo_resv_word(d, huge_offs[i], &val, true);
			if (ret)
				break;
		}
		if (!ret)
			ret = axas_map_linear(d->space, G_HUGE, resv_base, G_HUGE_SIZE,
					      AXAS_PROT_READ | AXAS_PROT_WRITE);
		break;
	case 9:
		if (!d->ad) {
			demo_fail(d, "IA32_VMX_EPT_VPID_CAP has no EPT accessed/dirty flags");
			break;
		}
		ret = axas_dirty_log_start(d->space, G_AD, G_AD_SIZE, 0);
		if (!ret && axas_age(d->space, G_AD, G_AD_SIZE, bitmap, AXAS_AGE_CLEAR) < 0)
			ret = -EIO;
		if (!ret && axas_dirty_log_clear(d->space, G_AD, G_AD_SIZE))
			ret = -EIO;
		if (!ret && (axas_age(d->space, G_AD, G_AD_SIZE, bitmap, 0) != 0 ||
			     axas_dirty_log_get(d->space, G_AD, G_AD_SIZE, bitmap) != 0))
			demo_fail(d, "A/D flags still set after clearing them");
		break;
	}
	if (ret)
		demo_stop(d, "setting scenario %u up: %d", n, ret);
}

/* HC_PHASE: scenario 5 unmaps its page and maps a lazy one there. */
static void demo_phase(struct vmx_demo *d, unsigned int n, u64 phase)
{
	u64 flushes = d->flushes;
	int ret;

	if (n != 5 || phase != 1) {
		demo_stop(d, "unknown phase %llu of scenario %u", phase, n);
		return;
	}
	ret = axas_unmap(d->space, G_FRESH, SZ_4K);
	if (!ret && d->flushes == flushes)
		demo_fail(d, "axas_unmap did not call the flush callback");
	if (!ret)
		ret = axas_map_alloc(d->space, G_FRESH, SZ_4K, AXAS_PROT_RWX, SZ_4K);
	if (ret) {
		demo_stop(d, "unmap and map %#x: %d", G_FRESH, ret);
		return;
	}
	expect_final(d, QUAL_R, G_FRESH, G_FRESH, AXAS_FAULT_INSTALLED, ACT_NONE);
}

/* HC_RESULT: the guest's verdict, then the VMM's own checks. */
static void demo_result(struct vmx_demo *d, unsigned int n)
{
	struct scenario *sc = cur_sc(d);
	u64 bad = d->regs.gpr[RCX], rdx = d->regs.gpr[RDX];
	u64 rsi = d->regs.gpr[RSI], val, i;
	unsigned long young[1] = { 0 }, dirty[1] = { 0 };
	struct axas_space_stats st;
	struct axas_translation tr;
	long ny, nd;
	int ret = 0;

	if (bad)
		demo_fail(d, "the guest found a wrong value at %#llx", bad);
	switch (n) {
	case 2:
		val = demo_read64(d, G_WALK_TARGET + G_WALK_OFF, &ret);
		if (ret || val != ((G_WALK_TARGET + G_WALK_OFF) ^ SEED_WALK))
			demo_fail(d, "the guest's write through G_WALK_GVA: %#llx (%d)", val, ret);
		break;
	case 3:
		if ((u32)rdx != XO_MAGIC)
			demo_fail(d, "the execute-only function returned %#llx", rdx);
		val = demo_read64(d, G_XONLY, &ret);
		if (ret || val != rsi)
			demo_fail(d, "the guest read %#llx from the code page, axas %#llx", rsi, val);
		break;
	case 4:
		val = demo_read64(d, G_RO + G_RO_OFF, &ret);
		if (ret || val != ((G_RO + G_RO_OFF) ^ SEED_RO))
			demo_fail(d, "the write after the rights came back: %#llx (%d)", val, ret);
		break;
	case 7:
		if (rdx != IO_IN_VAL)
			demo_fail(d, "IN returned %#llx to the guest", rdx);
		break;
	case 8:
		axas_space_get_stats(d->space, &st);
		ret = axas_translate(d->space, G_HUGE + 8, G_HUGE_SIZE, &tr);
		if (st.leaves[2] != 1 || ret || tr.hpa != resv_base + 8 ||
		    tr.len != G_HUGE_SIZE - 8)
			demo_fail(d, "no 1 GiB leaf: %lu leaves of 1 GiB, translate %d len %#llx",
				  st.leaves[2], ret, tr.len);
		for (i = 0; i < ARRAY_SIZE(huge_offs); i++) {
			ret = demo_resv_word(d, huge_offs[i], &val, false);
			if (ret || val != ((G_HUGE + huge_offs[i]) ^ SEED_MARK))
				demo_fail(d, "the guest's word at %#llx: %#llx (%d)",
					  G_HUGE + huge_offs[i], val, ret);
		}
		snprintf(sc->note, sizeof(sc->note),
			 "one 1 GiB leaf, HPA %#lx; the guest's words read back through the host",
			 resv_base);
		break;
	case 9:
		ny = axas_age(d->space, G_AD, G_AD_SIZE, young, 0);
		nd = axas_dirty_log_get(d->space, G_AD, G_AD_SIZE, dirty);
		if (ny != 2 || young[0] != 3 || nd != 1 || dirty[0] != 2)
			demo_fail(d, "accessed %ld (%#lx), dirty %ld (%#lx): want P and Q accessed, Q dirty",
				  ny, young[0], nd, dirty[0]);
		else
			snprintf(sc->note, sizeof(sc->note),
				 "axas_age: P and Q accessed; axas_dirty_log_get: Q dirty, P clean");
		ret = axas_dirty_log_stop(d->space);
		if (ret)
			demo_fail(d, "axas_dirty_log_stop = %d", ret);
		break;
	}
}

static void demo_vmcall(struct vmx_demo *d)
{
	u64 cmd = d->regs.gpr[RAX], n = d->regs.gpr[RBX];
	struct scenario *sc;

	vmcs_write(GUEST_RIP, vmcs_read(GUEST_RIP) + vmcs_read(VM_EXIT_INSTRUCTION_LEN));
	if (n < 1 || n > NR_SCENARIOS) {
		demo_stop(d, "hypercall %llu for scenario %llu", cmd, n);
		return;
	}
	if (cmd == HC_BEGIN) {
		if (n != d->cur + 1) {
			demo_stop(d, "scenario %llu begun after %d", n, d->cur);
			return;
		}
		d->cur = n;
		sc = cur_sc(d);
		sc->begun = true;
		sc->frames_begin = demo_frames(d);
		sc->start = ktime_get();
		demo_begin(d, n);
		return;
	}
	if (n != d->cur) {
		demo_stop(d, "hypercall %llu for scenario %llu during %d", cmd, n, d->cur);
		return;
	}
	sc = cur_sc(d);
	if (cmd == HC_PHASE) {
		demo_phase(d, n, d->regs.gpr[RCX]);
	} else if (cmd == HC_RESULT) {
		sc->ns = ktime_to_ns(ktime_sub(ktime_get(), sc->start));
		demo_result(d, n);
		demo_expect_done(d);
		sc->frames_delta = demo_frames(d) - sc->frames_begin;
		sc->reported = true;
	} else {
		demo_stop(d, "unknown hypercall %llu", cmd);
	}
}

/* One VM exit; false when the run is over. */
static bool demo_exit(struct vmx_demo *d)
{
	u32 reason = vmcs_read(VM_EXIT_REASON);
	struct scenario *sc = cur_sc(d);
	u32 info;

	d->exits++;
	sc->exits++;
	if (reason & VMX_EXIT_REASONS_FAILED_VMENTRY) {
		demo_stop(d, "VM entry failed: reason %#x, qualification %#llx",
			  reason, vmcs_read(EXIT_QUALIFICATION));
		return false;
	}
	switch ((u16)reason) {
	case EXIT_REASON_EXTERNAL_INTERRUPT:
		sc->intr++;
		break;
	case EXIT_REASON_EPT_VIOLATION:
		demo_ept_violation(d);
		break;
	case EXIT_REASON_EPT_MISCONFIG:
		demo_misconfig(d, vmcs_read(GUEST_PHYSICAL_ADDRESS));
		break;
	case EXIT_REASON_VMCALL:
		demo_vmcall(d);
		break;
	case EXIT_REASON_HLT:
		d->done = true;
		return false;
	case EXIT_REASON_IO_INSTRUCTION:
	case EXIT_REASON_MSR_READ:
	case EXIT_REASON_MSR_WRITE:
	case EXIT_REASON_VMOFF:
		demo_other_exit(d, (u16)reason);
		break;
	case EXIT_REASON_EXCEPTION_NMI:
		info = vmcs_read(VM_EXIT_INTR_INFO);
		demo_stop(d, "exception or NMI in the guest: info %#x, error code %#llx, qualification %#llx at RIP %#llx",
			  info, vmcs_read(VM_EXIT_INTR_ERROR_CODE), vmcs_read(EXIT_QUALIFICATION),
			  vmcs_read(GUEST_RIP));
		break;
	default:
		demo_stop(d, "unexpected exit %u, qualification %#llx at RIP %#llx",
			  reason, vmcs_read(EXIT_QUALIFICATION), vmcs_read(GUEST_RIP));
	}
	return !d->stopped;
}

/* Host state that VMX does not switch: saved before, restored after. */
struct host_extra {
	struct desc_ptr gdt, idt;
	u64 kernel_gs_base;
	u64 debugctl;
	unsigned long dr7;
	u16 ds, es;
};

static int demo_run(struct vmx_demo *d)
{
	ktime_t deadline = ktime_add_ms(ktime_get(), (u64)timeout_s * 1000);
	ktime_t start = ktime_get();
	struct host_extra h;
	bool launched = false;
	int failed;

	while (!d->stopped && !d->done) {
		if (kthread_should_stop()) {
			demo_stop(d, "stopped by module unload");
			break;
		}
		if (ktime_after(ktime_get(), deadline)) {
			demo_stop(d, "timeout after %u s", timeout_s);
			break;
		}
		cond_resched();
		local_irq_disable();
		/* The flush accounting: nothing may be owed at entry. */
		if (d->flushes_done != d->flushes_owed) {
			local_irq_enable();
			demo_stop(d, "a flush is owed at VM entry: %llu flushes asked for, %llu done (last [%#llx, +%#llx))",
				  d->flushes_owed, d->flushes_done, d->owed_gpa, d->owed_size);
			break;
		}
		vmcs_write(HOST_CR3, __read_cr3());
		vmcs_write(HOST_CR4, cr4_read_shadow());
		native_store_gdt(&h.gdt);
		store_idt(&h.idt);
		savesegment(ds, h.ds);
		savesegment(es, h.es);
		rdmsrl(MSR_KERNEL_GS_BASE, h.kernel_gs_base);
		rdmsrl(MSR_IA32_DEBUGCTLMSR, h.debugctl);
		get_debugreg(h.dr7, 7);
		wrmsrl(MSR_KERNEL_GS_BASE, 0);

		failed = axas_vmx_enter(&d->regs, launched);

		wrmsrl(MSR_KERNEL_GS_BASE, h.kernel_gs_base);
		if (h.debugctl)
			wrmsrl(MSR_IA32_DEBUGCTLMSR, h.debugctl);
		if (h.dr7 != DR7_RESET)
			set_debugreg(h.dr7, 7);
		native_load_gdt(&h.gdt);
		load_idt(&h.idt);
		if (h.ds)
			loadsegment(ds, h.ds);
		if (h.es)
			loadsegment(es, h.es);
		local_irq_enable();
		if (failed) {
			demo_stop(d, "VM%s failed: VM-instruction error %llu",
				  launched ? "RESUME" : "LAUNCH", vmcs_read(VM_INSTRUCTION_ERROR));
			break;
		}
		launched = true;
		if (!demo_exit(d))
			break;
	}
	d->ns = ktime_to_ns(ktime_sub(ktime_get(), start));
	return 0;
}

/* A control value the CPU allows: @want's bits, required ones added. */
static int adjust(u32 msr, u32 want, u32 *ctl, const char *what)
{
	u64 v;

	rdmsrl(msr, v);
	if (want & ~(u32)(v >> 32)) {
		pr_info("[0] set-up: FAIL: %s %#x not allowed (allowed %#x)\n", what,
			want, (u32)(v >> 32));
		return -EOPNOTSUPP;
	}
	*ctl = want | (u32)v;
	return 0;
}

static int demo_vmcs(struct vmx_demo *d)
{
	u32 pin, cpu, cpu2, exit, entry;
	bool true_ctls;
	struct desc_ptr dt;
	u64 basic, v, cr0, cr4, f0, f1;
	struct desc_struct *gdt;
	u16 tr;
	int ret;

	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	true_ctls = basic & VMX_BASIC_TRUE_CTLS;
	ret = adjust(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS,
		     PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING, &pin, "pin-based");
	ret = ret ?: adjust(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
			    MSR_IA32_VMX_PROCBASED_CTLS,
			    CPU_BASED_HLT_EXITING | CPU_BASED_INVLPG_EXITING |
			    CPU_BASED_MWAIT_EXITING | CPU_BASED_RDPMC_EXITING |
			    CPU_BASED_CR8_LOAD_EXITING | CPU_BASED_CR8_STORE_EXITING |
			    CPU_BASED_MOV_DR_EXITING | CPU_BASED_USE_IO_BITMAPS |
			    CPU_BASED_USE_MSR_BITMAPS | CPU_BASED_MONITOR_EXITING |
			    CPU_BASED_ACTIVATE_SECONDARY_CONTROLS, &cpu, "processor-based");
	ret = ret ?: adjust(MSR_IA32_VMX_PROCBASED_CTLS2,
			    SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_DESC |
			    SECONDARY_EXEC_ENABLE_VPID | SECONDARY_EXEC_WBINVD_EXITING,
			    &cpu2, "secondary");
	ret = ret ?: adjust(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS,
			    VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_LOAD_IA32_EFER,
			    &exit, "VM-exit");
	ret = ret ?: adjust(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS,
			    VM_ENTRY_IA32E_MODE | VM_ENTRY_LOAD_IA32_EFER, &entry, "VM-entry");
	if (ret)
		return ret;

	vmcs_write(PIN_BASED_VM_EXEC_CONTROL, pin);
	vmcs_write(CPU_BASED_VM_EXEC_CONTROL, cpu);
	vmcs_write(SECONDARY_VM_EXEC_CONTROL, cpu2);
	vmcs_write(VM_EXIT_CONTROLS, exit);
	vmcs_write(VM_ENTRY_CONTROLS, entry);
	vmcs_write(EXCEPTION_BITMAP, ~0U);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write(CR3_TARGET_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmcs_write(IO_BITMAP_A, d->io_bitmaps->hpa);
	vmcs_write(IO_BITMAP_B, d->io_bitmaps->hpa + SZ_4K);
	vmcs_write(MSR_BITMAP, d->msr_bitmap->hpa);
	vmcs_write(EPT_POINTER, d->eptp);
	vmcs_write(VIRTUAL_PROCESSOR_ID, VPID);
	vmcs_write(VMCS_LINK_POINTER, ~0ULL);

	/* The VMM owns every CR0 and CR4 bit: the guest's MOV to them exits. */
	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, f0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, f1);
	cr0 = ((X86_CR0_PG | X86_CR0_PE | X86_CR0_NE | X86_CR0_ET) | f0) & f1;
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, f0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, f1);
	cr4 = ((X86_CR4_PAE | X86_CR4_VMXE) | f0) & f1;
	vmcs_write(CR0_GUEST_HOST_MASK, ~0UL);
	vmcs_write(CR4_GUEST_HOST_MASK, ~0UL);
	vmcs_write(CR0_READ_SHADOW, cr0);
	vmcs_write(CR4_READ_SHADOW, cr4 & ~X86_CR4_VMXE);

	/* Guest: 64-bit mode at G_IMAGE on its page tables. */
	vmcs_write(GUEST_CR0, cr0);
	vmcs_write(GUEST_CR3, G_PML4);
	vmcs_write(GUEST_CR4, cr4);
	vmcs_write(GUEST_IA32_EFER, GUEST_EFER);
	vmcs_write(GUEST_DR7, DR7_RESET);
	vmcs_write(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write(GUEST_RIP, G_IMAGE);
	vmcs_write(GUEST_RSP, G_STACK_TOP);
	vmcs_write(GUEST_RFLAGS, X86_EFLAGS_FIXED);
	vmcs_write(GUEST_CS_SELECTOR, 0x8);
	vmcs_write(GUEST_CS_BASE, 0);
	vmcs_write(GUEST_CS_LIMIT, 0xffffffff);
	vmcs_write(GUEST_CS_AR_BYTES, SEG_CODE64);
#define DATA_SEG(s) do {					\
	vmcs_write(GUEST_##s##_SELECTOR, 0x10);			\
	vmcs_write(GUEST_##s##_BASE, 0);				\
	vmcs_write(GUEST_##s##_LIMIT, 0xffffffff);			\
	vmcs_write(GUEST_##s##_AR_BYTES, SEG_DATA);		\
} while (0)
	DATA_SEG(SS);
	DATA_SEG(DS);
	DATA_SEG(ES);
	DATA_SEG(FS);
	DATA_SEG(GS);
#undef DATA_SEG
	vmcs_write(GUEST_TR_SELECTOR, 0x18);
	vmcs_write(GUEST_TR_BASE, 0);
	vmcs_write(GUEST_TR_LIMIT, 0x67);
	vmcs_write(GUEST_TR_AR_BYTES, SEG_TSS_BUSY);
	vmcs_write(GUEST_LDTR_SELECTOR, 0);
	vmcs_write(GUEST_LDTR_AR_BYTES, SEG_UNUSABLE);
	vmcs_write(GUEST_GDTR_BASE, 0);
	vmcs_write(GUEST_GDTR_LIMIT, 0);
	vmcs_write(GUEST_IDTR_BASE, 0);
	vmcs_write(GUEST_IDTR_LIMIT, 0);
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write(GUEST_ACTIVITY_STATE, 0);
	vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write(GUEST_SYSENTER_CS, 0);
	vmcs_write(GUEST_SYSENTER_ESP, 0);
	vmcs_write(GUEST_SYSENTER_EIP, 0);

	/* Host: this kthread's state; CR3 and CR4 again before each entry. */
	vmcs_write(HOST_CR0, read_cr0());
	vmcs_write(HOST_CR3, __read_cr3());
	vmcs_write(HOST_CR4, cr4_read_shadow());
	vmcs_write(HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write(HOST_SS_SELECTOR, __KERNEL_DS);
	vmcs_write(HOST_DS_SELECTOR, 0);
	vmcs_write(HOST_ES_SELECTOR, 0);
	vmcs_write(HOST_FS_SELECTOR, 0);
	vmcs_write(HOST_GS_SELECTOR, 0);
	store_tr(tr);
	vmcs_write(HOST_TR_SELECTOR, tr);
	rdmsrl(MSR_FS_BASE, v);
	vmcs_write(HOST_FS_BASE, v);
	rdmsrl(MSR_GS_BASE, v);
	vmcs_write(HOST_GS_BASE, v);
	native_store_gdt(&dt);
	vmcs_write(HOST_GDTR_BASE, dt.address);
	gdt = (struct desc_struct *)dt.address;
	/* The TSS descriptor is 16 bytes: base 63:32 in the second half. */
	v = get_desc_base(&gdt[tr >> 3]) | ((u64)*(u32 *)&gdt[(tr >> 3) + 1] << 32);
	vmcs_write(HOST_TR_BASE, v);
	store_idt(&dt);
	vmcs_write(HOST_IDTR_BASE, dt.address);
	rdmsrl(MSR_IA32_SYSENTER_CS, v);
	vmcs_write(HOST_IA32_SYSENTER_CS, v);
	rdmsrl(MSR_IA32_SYSENTER_ESP, v);
	vmcs_write(HOST_IA32_SYSENTER_ESP, v);
	rdmsrl(MSR_IA32_SYSENTER_EIP, v);
	vmcs_write(HOST_IA32_SYSENTER_EIP, v);
	rdmsrl(MSR_EFER, v);
	vmcs_write(HOST_IA32_EFER, v);
	vmcs_write(HOST_RIP, (unsigned long)axas_vmx_exit);
	return 0;
}

/*
 * The guest's memory: its image and page tables (populated), the
 * scenarios' areas. The 1 GiB leaf comes in scenario 8.
 */
static int demo_space(struct vmx_demo *d)
{
	size_t len = axas_vmx_guest_end - axas_vmx_guest;
	static const u8 xo_code[] = { 0xb8, XO_MAGIC & 0xff, (XO_MAGIC >> 8) & 0xff,
				      (XO_MAGIC >> 16) & 0xff, XO_MAGIC >> 24, 0xc3 };
	static const struct { u64 gpa, size; u32 flags; unsigned long pgsize; } areas[] = {
		{ G_IMAGE, G_IMAGE_SIZE, AXAS_PROT_RWX | AXAS_AREA_POPULATE, SZ_4K },
		{ G_TABLES, G_TABLES_SIZE, AXAS_PROT_READ | AXAS_PROT_WRITE |
		  AXAS_AREA_POPULATE, SZ_4K },
		{ G_WALK, G_WALK_SIZE, AXAS_PROT_READ | AXAS_PROT_WRITE, SZ_4K },
		{ G_XONLY, SZ_4K, AXAS_PROT_RWX | AXAS_AREA_POPULATE, SZ_4K },
		{ G_RO, SZ_4K, AXAS_PROT_RWX | AXAS_AREA_POPULATE, SZ_4K },
		{ G_FRESH, SZ_4K, AXAS_PROT_RWX | AXAS_AREA_POPULATE, SZ_4K },
		{ G_AD, G_AD_SIZE, AXAS_PROT_RWX | AXAS_AREA_POPULATE, SZ_4K },
		{ G_LAZY4K, G_LAZY4K_SIZE, AXAS_PROT_RWX, SZ_4K },
		{ G_LAZY2M, G_LAZY2M_SIZE, AXAS_PROT_RWX, SZ_2M },
	};
	unsigned int i;
	int ret;

	if (len > G_CODE_MAX)
		return -E2BIG;
	for (i = 0; i < ARRAY_SIZE(areas); i++) {
		ret = axas_map_alloc(d->space, areas[i].gpa, areas[i].size,
				     areas[i].flags, areas[i].pgsize);
		if (ret) {
			pr_info("[0] set-up: FAIL: axas_map_alloc(%#llx) = %d\n", areas[i].gpa, ret);
			return ret;
		}
	}
	ret = axas_write(d->space, G_IMAGE, axas_vmx_guest, len, 0);
	ret = ret ?: axas_write(d->space, G_XONLY, xo_code, sizeof(xo_code), 0);
	ret = ret ?: demo_guest_tables(d);
	return ret;
}

static const char *const plant_name[] = { "", "memtype7", "wonly", "noinvept" };

static void demo_report(struct vmx_demo *d)
{
	unsigned int n, k, passed = 0;
	struct axas_space_stats st;

	for (n = 1; n <= NR_SCENARIOS; n++) {
		struct scenario *sc = &d->sc[n];

		if (!sc->begun)
			continue;
		if (!sc->reported && !sc->failed) {
			sc->failed = true;
			strscpy(sc->why, "the guest did not report it", sizeof(sc->why));
		}
		pr_info("[%u] %-42s %s  exits %u (eptv %u, other %u, intr %u), frames %+ld, %lld us\n",
			n, scenario_name[n], sc->failed ? "FAIL" : "PASS", sc->exits,
			sc->eptv, sc->other, sc->intr, sc->frames_delta, sc->ns / 1000);
		for (k = 0; k < d->nkinds[n]; k++)
			pr_info("    %s\n", d->kinds[n][k]);
		if (sc->failed)
			pr_info("    %s\n", sc->why);
		else
			passed++;
		if (sc->note[0])
			pr_info("    %s\n", sc->note);
	}
	for (n = 1; n <= NR_SCENARIOS; n++)
		if (!d->sc[n].begun)
			pr_info("[%u] %-42s FAIL  not run\n", n, scenario_name[n]);
	axas_space_get_stats(d->space, &st);
	pr_info("total: %llu exits; faults installed %llu, refused %llu; %llu flushes, %llu INVEPT; %lu frames, %lu table pages at the end; %lld ms\n",
		d->exits, st.faults_installed, st.faults_refused, d->flushes, d->invepts,
		st.frames, st.tables, d->ns / NSEC_PER_MSEC);
	pr_info("RESULT %s (%u of %u scenarios passed)\n",
		passed == NR_SCENARIOS && !d->sc[0].failed ? "PASS" : "FAIL", passed,
		NR_SCENARIOS);
}

/* VMXON on this CPU, as the SDM's 24.7 asks; -EBUSY if VMX is taken. */
static int demo_vmxon(struct vmx_demo *d)
{
	u64 basic, fc, f0, f1;

	if (!boot_cpu_has(X86_FEATURE_VMX)) {
		pr_info("[0] set-up: FAIL: no VMX (CPUID.1:ECX.VMX)\n");
		return -ENODEV;
	}
	if (cr4_read_shadow() & X86_CR4_VMXE) {
		pr_info("[0] set-up: FAIL: CR4.VMXE is set: another hypervisor holds VMX on CPU %d\n",
			d->cpu);
		return -EBUSY;
	}
	rdmsrl(MSR_IA32_FEAT_CTL, fc);
	if (!(fc & FEAT_CTL_LOCKED) || !(fc & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_info("[0] set-up: FAIL: IA32_FEATURE_CONTROL %#llx: VMX outside SMX not enabled and locked (left as it is)\n",
			fc);
		return -EOPNOTSUPP;
	}
	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, f0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, f1);
	if ((read_cr0() & f0) != f0 || (read_cr0() & ~f1)) {
		pr_info("[0] set-up: FAIL: CR0 %#lx outside the VMX fixed bits %#llx/%#llx\n",
			read_cr0(), f0, f1);
		return -EOPNOTSUPP;
	}
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, f0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, f1);
	if (((cr4_read_shadow() | X86_CR4_VMXE) & f0) != f0 ||
	    ((cr4_read_shadow() | X86_CR4_VMXE) & ~f1)) {
		pr_info("[0] set-up: FAIL: CR4 %#lx outside the VMX fixed bits %#llx/%#llx\n",
			cr4_read_shadow(), f0, f1);
		return -EOPNOTSUPP;
	}
	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	d->vmxon_frame = axas_vmx_region_alloc(basic & GENMASK_ULL(30, 0), NUMA_NO_NODE);
	d->vmcs_frame = axas_vmx_region_alloc(basic & GENMASK_ULL(30, 0), NUMA_NO_NODE);
	d->io_bitmaps = axas_vmm_bitmap_alloc(AXAS_VMX_IO_BITMAPS, true, NUMA_NO_NODE);
	d->msr_bitmap = axas_vmm_bitmap_alloc(AXAS_VMX_MSR_BITMAP, true, NUMA_NO_NODE);
	if (IS_ERR(d->vmxon_frame) || IS_ERR(d->vmcs_frame) || IS_ERR(d->io_bitmaps) ||
	    IS_ERR(d->msr_bitmap)) {
		pr_info("[0] set-up: FAIL: VMX frames: no memory\n");
		return -ENOMEM;
	}
	cr4_set_bits(X86_CR4_VMXE);
	d->cr4_set = true;
	if (!do_vmxon(d->vmxon_frame->hpa)) {
		pr_info("[0] set-up: FAIL: VMXON failed\n");
		return -EIO;
	}
	d->vmxon = true;
	if (!do_vmclear(d->vmcs_frame->hpa) ||
	    !do_vmptrld(d->vmcs_frame->hpa)) {
		pr_info("[0] set-up: FAIL: VMCLEAR/VMPTRLD failed\n");
		return -EIO;
	}
	d->vmcs_loaded = true;
	return 0;
}

static void demo_vmxoff(struct vmx_demo *d)
{
	if (d->vmcs_loaded)
		do_vmclear(d->vmcs_frame->hpa);
	d->vmcs_loaded = false;
	if (d->vmxon)
		asm volatile("vmxoff" ::: "cc", "memory");
	d->vmxon = false;
	if (d->cr4_set)
		cr4_clear_bits(X86_CR4_VMXE);
	d->cr4_set = false;
	axas_vmm_frame_free(d->msr_bitmap);
	axas_vmm_frame_free(d->io_bitmaps);
	axas_vmm_frame_free(d->vmcs_frame);
	axas_vmm_frame_free(d->vmxon_frame);
}

/*
 * The address space: EPT with the capabilities IA32_VMX_EPT_VPID_CAP
 * reports, decoded by axas: 4 levels (5 only if the CPU walks 5, which
 * axas must otherwise refuse), A/D flags when the CPU has them.
 */
static int demo_make_space(struct vmx_demo *d)
{
	struct axas_space_cfg cfg = {
		.name = "vmx-demo",
		.base = 0,
		.size = G_SPACE_SIZE + SZ_1G,
		.flush = demo_flush,
		.cookie = d,
	};
	struct axas_space *s5;
	char b[64];

	rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, d->ept_cap);
	cfg.pt.format = AXAS_PT_EPT;
	cfg.pt.caps = axas_pt_caps_from_ept(d->ept_cap, false, boot_cpu_data.x86_phys_bits);
	d->caps = cfg.pt.caps.flags;
	if (!(d->ept_cap & CAP_INVEPT) ||
	    !(d->ept_cap & (CAP_INVEPT_SINGLE | CAP_INVEPT_ALL))) {
		pr_info("[0] set-up: FAIL: no INVEPT in IA32_VMX_EPT_VPID_CAP %#llx\n",
			d->ept_cap);
		return -EOPNOTSUPP;
	}
	/* Without the 5-level capability axas must refuse 5 levels. */
	cfg.pt.levels = 5;
	s5 = axas_space_create(&cfg);
	if (!IS_ERR(s5)) {
		axas_space_destroy(s5);
		if (!(d->caps & AXAS_CAP_5LEVEL)) {
			pr_info("[0] set-up: FAIL: axas made a 5-level EPT table from caps %#llx\n",
				d->ept_cap);
			return -EINVAL;
		}
	}
	scnprintf(b, sizeof(b), "5 levels %s (%ld)",
		  IS_ERR(s5) ? "refused" : "allowed", IS_ERR(s5) ? PTR_ERR(s5) : 0L);
	d->levels = d->caps & AXAS_CAP_5LEVEL ? 5 : 4;
	cfg.pt.levels = d->levels;
	d->ad = d->caps & AXAS_CAP_AD;
	if (d->ad)
		cfg.pt.root_flags |= AXAS_PT_ROOT_AD;
	d->space = axas_space_create(&cfg);
	if (IS_ERR(d->space)) {
		pr_info("[0] set-up: FAIL: axas_space_create = %ld\n", PTR_ERR(d->space));
		return PTR_ERR(d->space);
	}
	d->eptp = axas_space_root(d->space);
	pr_info("host: EPT caps %#llx: %u-level walks, %s; EPTP %#llx (walk %llu, memtype %llu, A/D %s); VPID %d; INVEPT %s\n",
		d->ept_cap, d->levels, b, d->eptp, ((d->eptp >> 3) & 7) + 1, d->eptp & 7,
		d->eptp & BIT(6) ? "on" : "off", VPID,
		d->ept_cap & CAP_INVEPT_SINGLE ? "single-context" : "all-context");
	return 0;
}

static int demo_thread(void *arg)
{
	struct vmx_demo *d = arg;
	int ret;

	d->cpu = raw_smp_processor_id();
	ret = demo_make_space(d);
	if (!ret)
		ret = demo_space(d);
	if (!ret)
		ret = demo_vmxon(d);
	if (!ret)
		ret = demo_vmcs(d);
	if (!ret) {
		/* Nothing of a former user of this EPTP or VPID may be cached. */
		demo_invept(d);
		if (d->ept_cap & CAP_INVVPID_SINGLE)
			do_invvpid(VMX_VPID_EXTENT_SINGLE_CONTEXT, VPID);
		else if (d->ept_cap & CAP_INVVPID_ALL)
			do_invvpid(VMX_VPID_EXTENT_ALL_CONTEXT, VPID);
		if (d->plant != PLANT_NONE)
			pr_info("plant: %s\n", plant_name[d->plant]);
		demo_run(d);
		if (d->planted && d->plant != PLANT_NOINVEPT)
			demo_unplant(d);
		if (!d->done && !d->stopped)
			demo_stop(d, "the guest did not halt");
	} else {
		d->sc[0].failed = true;
	}
	if (!IS_ERR_OR_NULL(d->space)) {
		if (!d->sc[0].failed)
			demo_report(d);
		axas_space_shutdown(d->space);
	}
	demo_vmxoff(d);
	if (!IS_ERR_OR_NULL(d->space))
		axas_space_destroy(d->space);
	if (d->sc[0].failed)
		pr_info("RESULT FAIL (set-up: %d)\n", ret);
	complete(&d->finished);
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
	}
	return 0;
}

static int __init axas_vmx_init(void)
{
	struct vmx_demo *d = kzalloc(sizeof(*d), GFP_KERNEL);
	struct task_struct *t;
	unsigned int i;

	if (!d)
		return -ENOMEM;
	for (i = 1; i < ARRAY_SIZE(plant_name); i++)
		if (!strcmp(plant, plant_name[i]))
			d->plant = i;
	if (plant[0] && d->plant == PLANT_NONE) {
		kfree(d);
		return -EINVAL;
	}
	init_completion(&d->finished);
	t = kthread_create(demo_thread, d, "axas-vmx");
	if (IS_ERR(t)) {
		kfree(d);
		return PTR_ERR(t);
	}
	/* One CPU: VMXON, the VMCS and INVEPT are per CPU. */
	kthread_bind(t, cpumask_first(cpu_online_mask));
	get_task_struct(t);
	d->thread = t;
	demo = d;
	wake_up_process(t);
	/* The report comes before insmod returns; unload stops a run. */
	wait_for_completion_killable(&d->finished);
	return 0;
}

static void __exit axas_vmx_exit_module(void)
{
	struct vmx_demo *d = demo;

	kthread_stop(d->thread);
	put_task_struct(d->thread);
	kfree(d);
}

module_init(axas_vmx_init);
module_exit(axas_vmx_exit_module);
MODULE_DESCRIPTION("axas sample: a VMX hypervisor on axas EPT tables");
MODULE_LICENSE("GPL");
AXAS_IMPORT_NS();
