// SPDX-License-Identifier: GPL-2.0
/*
 * The MMIO bus: a nested fault where no area is (axas_fault() answers
 * -ENOENT) is a device's register if a device sits at that GPA. The
 * instruction is decoded (insn.c), its memory operand translated again
 * through the guest's page tables (it must reach the GPA the fault
 * reported), the device does the access, and the VMM completes the
 * instruction: the register loaded (as the CPU extends it), RIP moved on.
 * The one device is the local APIC's xAPIC page.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "vmm.h"

typedef int (*vmm_mmio_fn)(struct vmm_vcpu *vcpu, u64 offset,
			   unsigned int size, bool write, u64 *val);

const char *const vmm_mmio_devices[] = { "lapic" };

static const struct vmm_mmio_range {
	u64 first, last;
	u8 dev;
	vmm_mmio_fn fn;
} vmm_mmio_table[] = {
	{ VMM_LAPIC_BASE, VMM_LAPIC_BASE + 0xfff, 0, vmm_lapic_mmio },
};

static u64 *vmm_reg(struct vmm_vcpu *vcpu, const struct vmm_insn *in,
		    unsigned int *shift)
{
	*shift = in->high_byte ? 8 : 0;
	return &vcpu->regs.gpr[in->high_byte ? in->reg - 4 : in->reg];
}

static u64 vmm_mask(unsigned int size)
{
	return size == 8 ? ~0ULL : BIT_ULL(size * 8) - 1;
}

/* A load's value into its register, as the CPU writes one of that size. */
static void vmm_load_reg(struct vmm_vcpu *vcpu, const struct vmm_insn *in,
			 u64 val)
{
	unsigned int size = in->zero_extend ?: in->size, shift;
	u64 *reg = vmm_reg(vcpu, in, &shift);

	val &= vmm_mask(in->size);
	/* 32- and 64-bit results fill the register; 8 and 16 merge. */
	if (size >= 4)
		*reg = val;
	else
		*reg = (*reg & ~(vmm_mask(size) << shift)) | (val << shift);
}

static void vmm_mmio_stop(struct vmm_vcpu *vcpu, const struct vmm_fault *f,
			  const struct vmm_insn *in, const char *what, int ret)
{
	vmm_stop(vcpu->vm, VMM_FAILED,
		 "MMIO at %#llx from RIP %#llx: %s (%d); bytes %*ph",
		 f->gpa, vcpu->regs.rip, what, ret, (int)sizeof(in->bytes), in->bytes);
}

/**
 * vmm_mmio() - emulate the access to a device that a nested fault reported
 * @vcpu: the vCPU, its registers as the exit left them
 * @f: the fault, where axas has no area
 *
 * Context: the vCPU's thread.
 * Return: 0 when a device answered (the instruction is complete, or the
 * guest stopped with the reason); -ENODEV when no device is at the GPA.
 */
int vmm_mmio(struct vmm_vcpu *vcpu, const struct vmm_fault *f)
{
	bool write = f->access & AXAS_ACCESS_WRITE;
	const struct vmm_mmio_range *r;
	struct vmm_insn in;
	unsigned int shift;
	u64 gpa, val = 0, old;
	int ret;

	for (r = vmm_mmio_table; r < vmm_mmio_table + ARRAY_SIZE(vmm_mmio_table); r++)
		if (f->gpa >= r->first && f->gpa <= r->last)
			break;
	if (r == vmm_mmio_table + ARRAY_SIZE(vmm_mmio_table))
		return -ENODEV;
	vcpu->counts.mmio[r->dev]++;

	ret = vmm_insn_decode(vcpu, &in);
	if (ret) {
		vmm_mmio_stop(vcpu, f, &in, "cannot decode the instruction", ret);
		return 0;
	}
	ret = vmm_mem_translate(vcpu, in.gva, write, &gpa);
	if (ret || gpa != f->gpa ||
	    (write != (in.kind != VMM_INSN_LOAD) && in.kind != VMM_INSN_XCHG)) {
		vmm_mmio_stop(vcpu, f, &in, "the instruction's operand is elsewhere", ret);
		return 0;
	}
	switch (in.kind) {
	case VMM_INSN_LOAD:
		ret = r->fn(vcpu, gpa - r->first, in.size, false, &val);
		vmm_load_reg(vcpu, &in, val);
		break;
	case VMM_INSN_STORE:
		val = (*vmm_reg(vcpu, &in, &shift) >> shift) & vmm_mask(in.size);
		ret = r->fn(vcpu, gpa - r->first, in.size, true, &val);
		break;
	case VMM_INSN_STORE_IMM:
		val = in.imm & vmm_mask(in.size);
		ret = r->fn(vcpu, gpa - r->first, in.size, true, &val);
		break;
	case VMM_INSN_XCHG:
		ret = r->fn(vcpu, gpa - r->first, in.size, false, &old);
		val = (*vmm_reg(vcpu, &in, &shift) >> shift) & vmm_mask(in.size);
		if (!ret)
			ret = r->fn(vcpu, gpa - r->first, in.size, true, &val);
		vmm_load_reg(vcpu, &in, old);
		break;
	}
	if (ret) {
		vmm_mmio_stop(vcpu, f, &in, "the device refused the access", ret);
		return 0;
	}
	vcpu->regs.rip += in.len;
	return 0;
}
