// SPDX-License-Identifier: GPL-2.0
/*
 * A guest's state beside its memory: what a migration moves with the
 * pages (migrate.c) and a snapshot keeps with them (rewind.c). Each
 * vCPU's registers, x87/SSE state, local APIC, MTRRs and debug registers,
 * with what the arch's control block holds (ops->save(), ops->load()),
 * and the platform's devices.
 *
 * A vCPU's part is saved and loaded on its own thread, paused
 * (vmm_vcpu_call()): the control block is reachable there (VMX: the
 * VMCS is current on its CPU only), and the registers and devices are
 * still. The platform's part is saved and loaded with every vCPU parked.
 *
 * Time: the guest's clocks are its TSC (the PIT's counts and the APIC
 * timer's deadline are in TSC ticks), the TSC offset of each vCPU moves
 * it, and a load may shift it (a restore: the guest's TSC goes on from
 * its value at the mark); the APIC timer is armed again for its deadline
 * in the TSC loaded.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <asm/msr.h>
#include "vmm.h"

/**
 * vmm_state_alloc() - room for a guest's state
 * @vm: the guest
 *
 * Context: process context; sleeps.
 * Return: the state, or NULL (no memory).
 */
struct vmm_state *vmm_state_alloc(struct vmm_vm *vm)
{
	struct vmm_state *st = kzalloc(sizeof(*st), GFP_KERNEL);
	unsigned int i;

	if (!st)
		return NULL;
	for (i = 0; i < vm->nr_vcpus; i++) {
		st->vcpu[i].arch = kzalloc(vm->ops->state_size, GFP_KERNEL);
		if (!st->vcpu[i].arch) {
			vmm_state_free(st);
			return NULL;
		}
	}
	return st;
}

void vmm_state_free(struct vmm_state *st)
{
	unsigned int i;

	if (!st)
		return;
	for (i = 0; i < VMM_MAX_VCPUS; i++)
		kfree(st->vcpu[i].arch);
	kfree(st);
}

/**
 * vmm_state_save() - save a vCPU's state
 * @vcpu: the vCPU, paused
 * @arg: the &struct vmm_state
 *
 * Context: the vCPU's thread (vmm_vcpu_call()).
 * Return: nothing.
 */
void vmm_state_save(struct vmm_vcpu *vcpu, void *arg)
{
	struct vmm_vcpu_state *s = &((struct vmm_state *)arg)->vcpu[vcpu->index];
	void *arch = s->arch;

	s->regs = vcpu->regs;
	s->regs.fpu = NULL;
	s->fpu = vcpu->fpu;
	/* The registers, up to the timer (the hrtimer is this vCPU's). */
	memcpy(&s->lapic, &vcpu->lapic, offsetof(struct vmm_lapic, timer));
	s->timer_fired = atomic_read(&vcpu->lapic.timer_fired);
	s->mtrr = vcpu->mtrr;
	s->mcg_status = vcpu->mcg_status;
	memcpy(s->dr, vcpu->dr, sizeof(s->dr));
	s->halted = vcpu->halted;
	s->mp_state = vcpu->mp_state;
	vcpu->vm->ops->save(vcpu->arch, arch);
}

/**
 * vmm_state_load() - load a vCPU's state
 * @vcpu: the vCPU, paused
 * @st: what vmm_state_save() saved
 * @root: the nested root from now on
 * @tsc_shift: added to the vCPU's TSC offset as saved (a restore: the
 *	guest's TSC goes on from its value at the save)
 *
 * The next entry flushes the guest's nested translations.
 *
 * Context: the vCPU's thread, paused; sleeps (the APIC timer's cancel).
 * Return: 0, or the arch's errno.
 */
int vmm_state_load(struct vmm_vcpu *vcpu, const struct vmm_state *st, u64 root,
		   s64 tsc_shift)
{
	const struct vmm_vcpu_state *s = &st->vcpu[vcpu->index];
	int ret;

	ret = vcpu->vm->ops->load(vcpu->arch, s->arch, root);
	if (ret)
		return ret;
	set_bit(VMM_REQ_FLUSH, &vcpu->requests);
	vcpu->regs = s->regs;
	vcpu->regs.fpu = &vcpu->fpu;
	vcpu->regs.tsc_offset += tsc_shift;
	vcpu->fpu = s->fpu;
	vcpu->mtrr = s->mtrr;
	vcpu->mcg_status = s->mcg_status;
	memcpy(vcpu->dr, s->dr, sizeof(vcpu->dr));
	vcpu->halted = s->halted;
	WRITE_ONCE(vcpu->mp_state, s->mp_state);
	vmm_lapic_load(vcpu, &s->lapic, s->timer_fired);
	return 0;
}

/**
 * vmm_state_save_platform() - save the platform's devices
 * @vm: the guest, every vCPU parked
 * @st: where to
 *
 * Context: process context.
 * Return: nothing.
 */
void vmm_state_save_platform(struct vmm_vm *vm, struct vmm_state *st)
{
	mutex_lock(&vm->io_lock);
	st->uart = vm->uart;
	st->pm = vm->pm;
	st->rtc = vm->rtc;
	st->pit = vm->pit;
	st->pci = vm->pci;
	mutex_unlock(&vm->io_lock);
	st->host_tsc = rdtsc();
}

/**
 * vmm_state_load_platform() - load the platform's devices
 * @vm: the guest, every vCPU parked
 * @st: what vmm_state_save_platform() saved
 *
 * Context: process context.
 * Return: nothing.
 */
void vmm_state_load_platform(struct vmm_vm *vm, const struct vmm_state *st)
{
	mutex_lock(&vm->io_lock);
	vm->uart = st->uart;
	vm->pm = st->pm;
	vm->rtc = st->rtc;
	vm->pit = st->pit;
	vm->pci = st->pci;
	mutex_unlock(&vm->io_lock);
}
