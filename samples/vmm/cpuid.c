// SPDX-License-Identifier: GPL-2.0
/*
 * The CPU the guest sees: the host CPU's vendor, model and features, less
 * what this VMM does not virtualize, plus what its platform offers.
 *
 * Kept from the host: the instruction set a guest can run without the
 * VMM's help (SSE to SSE4.2, AES, PCLMULQDQ, POPCNT, MOVBE, CX16, RDRAND,
 * RDSEED, BMI, ADX, SHA, ERMS, SMEP, SMAP, UMIP, LAHF, LZCNT, SSE4A, NX,
 * SYSCALL, long mode), its caches and address widths; MCE and MCA, with
 * no bank to report an error (mce.c).
 *
 * Added: x2APIC and the TSC-deadline timer (lapic.c), ARAT (that timer
 * runs in every C-state), an invariant TSC, the hypervisor bit and a
 * hypervisor leaf whose signature no kernel knows (so none takes a
 * paravirtual path), and, on Intel, the TSC's frequency in leaves 0x15
 * and 0x16, which Linux reads on Intel only.
 *
 * Taken away, with why:
 * - XSAVE, OSXSAVE, AVX and what needs them (FMA, F16C, AVX2, AVX-512,
 *   XOP, FMA4): VMRUN does not switch XCR0, and the vCPU switches the
 *   x87/SSE state only (FXSAVE);
 * - VMX, SVM, SKINIT: no nested virtualization;
 * - MONITOR/MWAIT, MWAITX: their exits raise #UD; the guest idles in HLT;
 * - RDTSCP, RDPID: VMRUN does not switch TSC_AUX;
 * - performance counters, debug store, IBS, LWP: not virtualized;
 * - PCID, INVPCID, FSGSBASE, PKU, LA57, 1 GiB pages, TSC_ADJUST,
 *   speculation controls (IBRS, STIBP, SSBD, ARCH_CAPABILITIES, ...):
 *   left out to keep the emulated MSRs and the VMM's page walks few;
 * - HTT, topology leaves, more than one core per package: each vCPU is a
 *   package of its own (the MADT lists them), its initial APIC ID its
 *   number;
 * - OSVW and the thermal and power leaves: no such MSRs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <asm/processor.h>
#include "vmm.h"

/* Leaf 1 ECX, EDX: kept from the host. */
#define L1_ECX	(BIT(0) | BIT(1) | BIT(9) | BIT(13) | BIT(19) | BIT(20) | \
		 BIT(22) | BIT(23) | BIT(25) | BIT(30))
#define L1_EDX	(BIT(0) | BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(5) | \
		 BIT(6) | BIT(7) | BIT(8) | BIT(9) | BIT(11) | BIT(12) | \
		 BIT(13) | BIT(14) | BIT(15) | BIT(16) | BIT(17) | BIT(19) | \
		 BIT(23) | BIT(24) | BIT(25) | BIT(26))
/* Leaf 1 ECX: added. */
#define L1_ECX_X2APIC		BIT(21)
#define L1_ECX_TSC_DEADLINE	BIT(24)
#define L1_ECX_HYPERVISOR	BIT(31)
/* Leaf 6 EAX: the APIC timer always runs. */
#define L6_EAX_ARAT		BIT(2)
/* Leaf 7 EBX, ECX: kept. */
#define L7_EBX	(BIT(3) | BIT(7) | BIT(8) | BIT(9) | BIT(18) | BIT(19) | \
		 BIT(20) | BIT(23) | BIT(24) | BIT(29))
#define L7_ECX	BIT(2)
/* Leaf 0x80000001 ECX, EDX: kept. */
#define E1_ECX	(BIT(0) | BIT(5) | BIT(6) | BIT(7) | BIT(8))
#define E1_EDX	((L1_EDX & ~(BIT(19) | BIT(25) | BIT(26))) | \
		 BIT(11) | BIT(20) | BIT(22) | BIT(29))
/* Leaf 0x80000007 EDX: the TSC is invariant. */
#define E7_EDX_INVARIANT_TSC	BIT(8)

#define VMM_MAX_BASIC		0x7
#define VMM_MAX_BASIC_INTEL	0x16
#define VMM_MAX_EXT		0x80000008
#define VMM_HV_LEAF		0x40000000

/* "AxasSampleVM": no kernel knows it, so none takes a paravirtual path. */
static const u32 vmm_hv_signature[3] = { 0x73617841, 0x706d6153, 0x4d56656c };

static bool vmm_cpuid_intel(void)
{
	return boot_cpu_data.x86_vendor == X86_VENDOR_INTEL;
}

/**
 * vmm_cpuid() - what CPUID answers in the guest
 * @vcpu: the vCPU
 * @leaf: EAX
 * @subleaf: ECX
 * @out: EAX, EBX, ECX, EDX
 *
 * A leaf beyond the maximum of its range answers zeros, as AMD CPUs do.
 *
 * Context: any; the host's CPUID is executed.
 * Return: nothing.
 */
void vmm_cpuid(struct vmm_vcpu *vcpu, u32 leaf, u32 subleaf, u32 out[4])
{
	u32 max_basic = vmm_cpuid_intel() ? VMM_MAX_BASIC_INTEL : VMM_MAX_BASIC;
	u32 *a = &out[0], *b = &out[1], *c = &out[2], *d = &out[3];
	unsigned int khz = vcpu->vm->tsc_khz;

	cpuid_count(leaf, subleaf, a, b, c, d);
	switch (leaf) {
	case 0:
		*a = min(*a, max_basic);
		return;
	case 1:
		/* One logical processor per package; the vCPU's APIC ID. */
		*b = (*b & 0xffff) | BIT(16) | (vcpu->lapic.id << 24);
		*c = (*c & L1_ECX) | L1_ECX_X2APIC | L1_ECX_TSC_DEADLINE |
		     L1_ECX_HYPERVISOR;
		*d &= L1_EDX;
		return;
	case 6:
		*a = L6_EAX_ARAT;
		*b = *c = *d = 0;
		return;
	case 7:
		if (subleaf) {
			*a = *b = *c = *d = 0;
			return;
		}
		*a = 0;
		*b &= L7_EBX;
		*c &= L7_ECX;
		*d = 0;
		return;
	case 0x15:
		if (!vmm_cpuid_intel())
			break;
		/* The TSC counts at the "crystal" frequency, ratio 1/1. */
		*a = 1;
		*b = 1;
		*c = khz * 1000;
		*d = 0;
		return;
	case 0x16:
		if (!vmm_cpuid_intel())
			break;
		*a = khz / 1000;
		*b = khz / 1000;
		*c = 100;
		*d = 0;
		return;
	case VMM_HV_LEAF:
		*a = VMM_HV_LEAF;
		*b = vmm_hv_signature[0];
		*c = vmm_hv_signature[1];
		*d = vmm_hv_signature[2];
		return;
	case 0x80000000:
		*a = min(*a, (u32)VMM_MAX_EXT);
		return;
	case 0x80000001:
		*c &= E1_ECX;
		*d &= E1_EDX;
		return;
	case 0x80000002 ... 0x80000006:
		return;
	case 0x80000007:
		*a = *b = *c = 0;
		*d = E7_EDX_INVARIANT_TSC;
		return;
	case 0x80000008:
		/* 48-bit linear addresses; one core; no extended features. */
		*a = (*a & 0xff) | (48 << 8);
		*b = *c = *d = 0;
		return;
	}
	*a = *b = *c = *d = 0;
}

/* Whether the guest learns the TSC's frequency from CPUID (Intel only). */
bool vmm_cpuid_has_tsc_freq(void)
{
	return vmm_cpuid_intel();
}
