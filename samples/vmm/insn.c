// SPDX-License-Identifier: GPL-2.0
/*
 * The instructions a guest reaches MMIO with, decoded: a nested fault
 * says which GPA was touched and whether it was a write, not what the
 * instruction does with the value. The decoder reads the instruction at
 * RIP through the guest's page tables (vmm_mem_fetch(), axas_gva_read()
 * with AXAS_WALK_FETCH) and understands what compilers emit for a device
 * register in 64-bit mode:
 *
 *   88/89, 8a/8b   MOV r/m, r and MOV r, r/m (8, 16, 32, 64 bits)
 *   c6/c7 /0       MOV r/m, imm8/imm16/imm32 (sign-extended for 64 bits)
 *   86/87          XCHG r/m, r (Linux's xAPIC writes on CPUs with the
 *                  11AP erratum)
 *   0f b6, 0f b7   MOVZX r, r/m8 and r/m16
 *   a0-a3          MOV AL/AX/EAX/RAX to or from a 64-bit absolute address
 *
 * with the prefixes 66 (16-bit operand), REX, LOCK (for XCHG) and the
 * segment overrides that 64-bit mode ignores (CS, SS, DS, ES); every
 * ModRM addressing form (SIB, disp8, disp32, RIP-relative). The linear
 * address it computes is walked again by the VMM, whose GPA must be the
 * one the fault reported: a decoder mistake cannot reach another device's
 * register. Anything else (another opcode, FS/GS, REP, outside 64-bit
 * mode) is refused, and the VMM stops the guest saying which bytes.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/string.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include "vmm.h"

#define REX_W	8
#define REX_R	4
#define REX_X	2
#define REX_B	1

struct insn_buf {
	const u8 *p;
	unsigned int at, len;
	bool short_read;
};

static u8 insn_u8(struct insn_buf *b)
{
	if (b->at >= b->len) {
		b->short_read = true;
		return 0;
	}
	return b->p[b->at++];
}

static s64 insn_imm(struct insn_buf *b, unsigned int bytes)
{
	u64 v = 0;
	unsigned int i;

	for (i = 0; i < bytes; i++)
		v |= (u64)insn_u8(b) << (i * 8);
	switch (bytes) {
	case 1:
		return (s8)v;
	case 2:
		return (s16)v;
	case 4:
		return (s32)v;
	}
	return v;
}

/* The memory operand of a ModRM byte (and SIB, displacement). */
static void insn_modrm_mem(struct vmm_vcpu *vcpu, struct insn_buf *b, u8 rex,
			   u8 modrm, struct vmm_insn *in)
{
	const u64 *gpr = vcpu->regs.gpr;
	unsigned int mod = modrm >> 6, rm = modrm & 7;
	u64 ea = 0;

	if (rm == 4) {
		u8 sib = insn_u8(b);
		unsigned int base = sib & 7, index = ((sib >> 3) & 7) | (rex & REX_X ? 8 : 0);

		if (index != 4)
			ea += gpr[index] << (sib >> 6);
		if (base == 5 && mod == 0)
			ea += insn_imm(b, 4);
		else
			ea += gpr[base | (rex & REX_B ? 8 : 0)];
	} else if (rm == 5 && mod == 0) {
		in->rip_relative = true;
		ea = insn_imm(b, 4);
	} else {
		ea = gpr[rm | (rex & REX_B ? 8 : 0)];
	}
	if (mod == 1)
		ea += insn_imm(b, 1);
	else if (mod == 2)
		ea += insn_imm(b, 4);
	in->gva = ea;
}

/**
 * vmm_insn_decode() - decode the memory access of the instruction at RIP
 * @vcpu: the vCPU, its registers as the exit left them
 * @in: the decoded access
 *
 * Context: the vCPU's thread; sleeps (axas may fault pages in).
 * Return: 0; -EOPNOTSUPP for an instruction it does not decode (the
 * bytes are in @in); an errno of the fetch.
 */
int vmm_insn_decode(struct vmm_vcpu *vcpu, struct vmm_insn *in)
{
	struct insn_buf b = { .p = in->bytes, .len = sizeof(in->bytes) };
	unsigned int opsize = 4;
	u8 rex = 0, op, modrm;
	bool opsize16 = false;
	int ret;

	memset(in, 0, sizeof(*in));
	if (!(vcpu->regs.efer & EFER_LMA) || !(vcpu->regs.cr0 & X86_CR0_PE))
		return -EOPNOTSUPP;
	ret = vmm_mem_fetch(vcpu, in->bytes, sizeof(in->bytes));
	if (ret)
		return ret;
	/* Legacy prefixes, then REX right before the opcode. */
	for (;;) {
		op = insn_u8(&b);
		if (op == 0x66)
			opsize16 = true;
		else if (op == 0xf0 || op == 0x2e || op == 0x36 || op == 0x3e ||
			 op == 0x26)
			continue;
		else
			break;
	}
	if ((op & 0xf0) == 0x40) {
		rex = op;
		op = insn_u8(&b);
	}
	if (rex & REX_W)
		opsize = 8;
	else if (opsize16)
		opsize = 2;

	switch (op) {
	case 0x88: case 0x89: case 0x8a: case 0x8b:
	case 0x86: case 0x87: case 0xc6: case 0xc7:
		in->size = op & 1 ? opsize : 1;
		in->kind = op == 0x88 || op == 0x89 ? VMM_INSN_STORE :
			   op == 0x8a || op == 0x8b ? VMM_INSN_LOAD :
			   op == 0x86 || op == 0x87 ? VMM_INSN_XCHG :
			   VMM_INSN_STORE_IMM;
		break;
	case 0x0f:
		op = insn_u8(&b);
		if (op != 0xb6 && op != 0xb7)
			goto unsupported;
		in->size = op == 0xb6 ? 1 : 2;
		in->kind = VMM_INSN_LOAD;
		in->zero_extend = opsize;
		break;
	case 0xa0 ... 0xa3:
		/* moffs: a 64-bit absolute address, the register is RAX. */
		in->size = op & 1 ? opsize : 1;
		in->kind = op < 0xa2 ? VMM_INSN_LOAD : VMM_INSN_STORE;
		in->reg = VMM_RAX;
		in->gva = insn_imm(&b, 8);
		goto done;
	default:
		goto unsupported;
	}

	modrm = insn_u8(&b);
	if ((modrm >> 6) == 3)
		goto unsupported;	/* a register operand: no memory */
	if (in->kind == VMM_INSN_STORE_IMM && ((modrm >> 3) & 7))
		goto unsupported;
	in->reg = ((modrm >> 3) & 7) | (rex & REX_R ? 8 : 0);
	/* Without REX, byte registers 4-7 are AH, CH, DH, BH. */
	if (in->size == 1 && !rex && in->reg >= 4 && in->kind != VMM_INSN_STORE_IMM)
		in->high_byte = true;
	insn_modrm_mem(vcpu, &b, rex, modrm, in);
	if (in->kind == VMM_INSN_STORE_IMM)
		in->imm = insn_imm(&b, min(in->size, 4U));
done:
	if (b.short_read)
		goto unsupported;
	in->len = b.at;
	if (in->rip_relative)
		in->gva += vcpu->regs.rip + in->len;
	return 0;
unsupported:
	in->len = b.at;
	return -EOPNOTSUPP;
}
