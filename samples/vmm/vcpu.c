// SPDX-License-Identifier: GPL-2.0
/*
 * The vCPU: a kthread bound to one CPU that enters the guest, handles each
 * exit through a table of handlers indexed by its kind, delivers the
 * local APIC's interrupts, sleeps in the guest's HLT until one comes, and
 * honours requests (flush, stop) before every entry.
 *
 * Requests and kicks, as a multi-vCPU VMM does them (KVM's
 * kvm_make_request() and kvm_vcpu_kick()): a requester sets a bit, and if
 * the vCPU is in guest mode sends its CPU an IPI and waits for the
 * (empty) handler, which runs only once the vCPU is out of guest mode
 * with interrupts enabled. The vCPU marks itself in guest mode before it
 * reads the requests (a full barrier on each side) and keeps interrupts
 * disabled from there to the entry, so either it sees the request or the
 * requester sees it in guest mode, and an IPI sent after its check causes
 * an exit right after the entry.
 *
 * The flush callback (vmm_flush()) is such a request: axas frees a range's
 * frames and table pages as soon as it returns, so it returns only once
 * no CPU can use a translation of the range cached before. It waits for
 * nothing else from the vCPU thread, which may be blocked in axas_fault()
 * on the space lock its caller holds.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/sched/task.h>
#include <linux/smp.h>
#include <asm/msr.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>
#include "vmm.h"

void vmm_stop(struct vmm_vm *vm, enum vmm_end end, const char *fmt, ...)
{
	va_list args;

	if (vm->end != VMM_RUNNING)
		return;
	vm->end = end;
	va_start(args, fmt);
	vsnprintf(vm->why, sizeof(vm->why), fmt, args);
	va_end(args);
}

u64 vmm_guest_tsc(struct vmm_vcpu *vcpu)
{
	return rdtsc() + vcpu->regs.tsc_offset;
}

/* Ticks of a @hz clock in the guest's TSC time since guest TSC @since. */
u64 vmm_ticks_since(struct vmm_vcpu *vcpu, u64 since, u32 hz)
{
	return mul_u64_u64_div_u64(vmm_guest_tsc(vcpu) - since, hz,
				   (u64)vcpu->vm->tsc_khz * 1000);
}

void vmm_inject_exception(struct vmm_vcpu *vcpu, u8 vector, bool has_error,
			  u32 error)
{
	struct vmm_event *e = &vcpu->regs.exception;

	e->pending = true;
	e->vector = vector;
	e->has_error = has_error;
	e->error = error;
	vcpu->vm->counts.exceptions++;
}

/* Runs on the vCPU's CPU once it is out of guest mode: the acknowledgment. */
static void vmm_kick_fn(void *info)
{
}

/*
 * Post request @req and, if the vCPU is in guest mode, kick it out with
 * an IPI and wait until it has left. Return: whether it was kicked;
 * *@kicked, when given, is set first.
 */
static bool vmm_request(struct vmm_vcpu *vcpu, unsigned int req, bool *kicked)
{
	set_bit(req, &vcpu->requests);
	/* Pairs with the barrier before the vCPU reads the requests. */
	smp_mb__after_atomic();
	if (!READ_ONCE(vcpu->in_guest))
		return false;
	if (kicked)
		WRITE_ONCE(*kicked, true);
	smp_call_function_single(vcpu->cpu, vmm_kick_fn, NULL, 1);
	return true;
}

/*
 * axas's flush callback: may run on any CPU, may sleep, runs with the
 * space lock held for writing. The arch's flush (SVM: the VMCB's TLB
 * control; VMX: INVEPT) runs before the next entry.
 */
void vmm_flush(void *cookie, u64 gpa, u64 size)
{
	struct vmm_vm *vm = cookie;

	vmm_request(&vm->vcpu, VMM_REQ_FLUSH, NULL);
}

typedef void (*vmm_exit_fn)(struct vmm_vcpu *vcpu);

static void vmm_exit_nothing(struct vmm_vcpu *vcpu)
{
}

/* The arch handled it: counted by what it was, for the report. */
static void vmm_exit_arch(struct vmm_vcpu *vcpu)
{
	struct vmm_counts *c = &vcpu->vm->counts;
	const char *what = vcpu->exit.what ?: "?";
	unsigned int i;

	for (i = 0; i < VMM_TOP_ARCH; i++) {
		if (c->arch_count[i] && c->arch[i] != what)
			continue;
		c->arch[i] = what;
		c->arch_count[i]++;
		return;
	}
}

/*
 * A nested fault in RAM is axas's to fill. Where no area is, a device's
 * register may be (mmio.c); where none is either, the guest is stopped
 * with the address.
 */
static void vmm_exit_fault(struct vmm_vcpu *vcpu)
{
	const struct vmm_fault *f = &vcpu->exit.fault;
	struct vmm_vm *vm = vcpu->vm;
	int ret = vmm_mem_fault(vcpu, f);

	switch (ret) {
	case AXAS_FAULT_INSTALLED:
	case AXAS_FAULT_SPURIOUS:
		vm->counts.npf_ram++;
		return;
	case -ENOENT:
		vm->counts.npf_mmio++;
		if (!vmm_mmio(vcpu, f))
			return;
		vmm_stop(vm, VMM_FAILED,
			 "the guest reached %#llx (%s) at RIP %#llx: no memory and no device there",
			 f->gpa, f->access & AXAS_ACCESS_WRITE ? "write" :
			 f->access & AXAS_ACCESS_EXEC ? "fetch" : "read",
			 vcpu->regs.rip);
		return;
	default:
		vmm_stop(vm, VMM_FAILED,
			 "axas_fault(%#llx, access %#x) = %d at RIP %#llx (code %#llx)",
			 f->gpa, f->access, ret, vcpu->regs.rip, f->raw);
		return;
	}
}

/* IN or OUT: the port bus (io.c) answers; string I/O is not emulated. */
static void vmm_exit_io(struct vmm_vcpu *vcpu)
{
	const struct vmm_exit *x = &vcpu->exit;
	u64 *rax = &vcpu->regs.gpr[VMM_RAX];
	u32 mask = x->io.size == 4 ? ~0U : BIT(x->io.size * 8) - 1;
	u32 val = x->io.in ? 0 : *rax & mask;

	if (x->io.string || !x->io.size || x->io.size == 3 || x->io.size > 4) {
		vmm_stop(vcpu->vm, VMM_FAILED, "%s%s of %u bytes at port %#x, RIP %#llx: not emulated",
			 x->io.rep ? "REP " : "", x->io.in ? "INS" : "OUTS",
			 x->io.size, x->io.port, vcpu->regs.rip);
		return;
	}
	vmm_io(vcpu, x->io.port, x->io.size, x->io.in, &val);
	/* IN EAX zero-extends into RAX; IN AL and IN AX merge. */
	if (x->io.in)
		*rax = x->io.size == 4 ? val : (*rax & ~(u64)mask) | (val & mask);
	vcpu->regs.rip = x->next_rip;
}

/* RDMSR or WRMSR of an MSR the arch does not hold: the MSR bus (msr.c). */
static void vmm_exit_msr(struct vmm_vcpu *vcpu)
{
	const struct vmm_exit *x = &vcpu->exit;
	u64 *gpr = vcpu->regs.gpr;
	u64 val = (gpr[VMM_RDX] << 32) | (u32)gpr[VMM_RAX];

	if (vmm_msr(vcpu, x->msr.index, x->msr.write, &val)) {
		vmm_inject_exception(vcpu, X86_TRAP_GP, true, 0);
		return;
	}
	if (!x->msr.write) {
		gpr[VMM_RAX] = (u32)val;
		gpr[VMM_RDX] = val >> 32;
	}
	vcpu->regs.rip = x->next_rip;
}

static void vmm_exit_cpuid(struct vmm_vcpu *vcpu)
{
	u64 *gpr = vcpu->regs.gpr;
	u32 out[4];

	vmm_cpuid(vcpu, gpr[VMM_RAX], gpr[VMM_RCX], out);
	gpr[VMM_RAX] = out[0];
	gpr[VMM_RBX] = out[1];
	gpr[VMM_RCX] = out[2];
	gpr[VMM_RDX] = out[3];
	vcpu->regs.rip = vcpu->exit.next_rip;
}

/*
 * HLT: the vCPU sleeps until an interrupt it can deliver is pending (the
 * top of the loop, vmm_halt()). The guest halts with interrupts enabled
 * when it idles; with them disabled it has stopped for good (after a
 * panic, say), which ends the run.
 */
static void vmm_exit_halt(struct vmm_vcpu *vcpu)
{
	vcpu->regs.rip = vcpu->exit.next_rip;
	if (!(vcpu->regs.rflags & X86_EFLAGS_IF)) {
		vmm_stop(vcpu->vm, VMM_FAILED,
			 "the guest halted with interrupts disabled at %#llx",
			 vcpu->regs.rip - 1);
		return;
	}
	vcpu->halted = true;
}

/*
 * MOV to or from DR0-DR7. The guest's values are kept here and none
 * reaches the hardware (DR0-DR3 are the host's, and the VMCB's DR7 keeps
 * every breakpoint off), so a guest's breakpoint never fires. Without the
 * register from the hardware (SVM without decode assists), the MOV is
 * decoded: an optional REX prefix, 0f 21 (from DRn) or 0f 23 (to DRn),
 * and a ModRM byte whose reg field is n and rm field the GPR.
 */
static void vmm_exit_dr(struct vmm_vcpu *vcpu)
{
	const struct vmm_exit *x = &vcpu->exit;
	struct vmm_regs *r = &vcpu->regs;
	unsigned int len = 3, n = x->dr.n;
	int gpr = x->dr.gpr;
	u8 insn[4], rex = 0;
	int ret;

	if (gpr < 0) {
		ret = vmm_mem_fetch(vcpu, insn, sizeof(insn));
		if (ret) {
			vmm_stop(vcpu->vm, VMM_FAILED,
				 "cannot fetch the MOV DR at %#llx: %d", r->rip, ret);
			return;
		}
		if ((insn[0] & 0xf0) == 0x40) {
			rex = insn[0];
			memmove(insn, insn + 1, 3);
			len = 4;
		}
		if (insn[0] != 0x0f || insn[1] != (x->dr.write ? 0x23 : 0x21) ||
		    ((insn[2] >> 3) & 7) != n || (rex & 4)) {
			vmm_stop(vcpu->vm, VMM_FAILED,
				 "the instruction at %#llx is no MOV %s DR%u",
				 r->rip, x->dr.write ? "to" : "from", n);
			return;
		}
		gpr = (insn[2] & 7) | (rex & 1 ? 8 : 0);
	}
	/* CPL > 0, or DR4/DR5 with CR4.DE: as the CPU would. */
	if (r->cpl) {
		vmm_inject_exception(vcpu, X86_TRAP_GP, true, 0);
		return;
	}
	if ((n == 4 || n == 5) && (r->cr4 & X86_CR4_DE)) {
		vmm_inject_exception(vcpu, X86_TRAP_UD, false, 0);
		return;
	}
	if (n == 4 || n == 5)
		n += 2;
	if (!x->dr.write)
		r->gpr[gpr] = vcpu->dr[n];
	else if (n >= 6 && (r->gpr[gpr] >> 32))
		vmm_inject_exception(vcpu, X86_TRAP_GP, true, 0);
	else if (n == 6)
		vcpu->dr[6] = r->gpr[gpr] | 0xffff0ff0;
	else if (n == 7)
		vcpu->dr[7] = (r->gpr[gpr] & ~(BIT(12) | BIT(14) | BIT(15))) | BIT(10);
	else
		vcpu->dr[n] = r->gpr[gpr];
	if (!r->exception.pending)
		r->rip += len;
}

static void vmm_exit_shutdown(struct vmm_vcpu *vcpu)
{
	vmm_stop(vcpu->vm, VMM_RESET,
		 "the guest shut down (triple fault) at %#llx", vcpu->regs.rip);
}

static void vmm_exit_fatal(struct vmm_vcpu *vcpu)
{
	vmm_stop(vcpu->vm, VMM_FAILED, "%s", vcpu->exit.why);
}

static void vmm_exit_hypercall(struct vmm_vcpu *vcpu)
{
	vmm_stop(vcpu->vm, VMM_FAILED, "hypercall at %#llx: none is offered",
		 vcpu->regs.rip);
}

/* What each kind of exit is for this VMM. */
static const vmm_exit_fn vmm_exit_handlers[VMM_EXIT_KINDS] = {
	[VMM_EXIT_NONE] = vmm_exit_arch,
	[VMM_EXIT_FAULT] = vmm_exit_fault,
	[VMM_EXIT_HYPERCALL] = vmm_exit_hypercall,
	[VMM_EXIT_IO] = vmm_exit_io,
	[VMM_EXIT_HALT] = vmm_exit_halt,
	[VMM_EXIT_INTR] = vmm_exit_nothing,	/* the host took it */
	[VMM_EXIT_MSR] = vmm_exit_msr,
	[VMM_EXIT_CPUID] = vmm_exit_cpuid,
	[VMM_EXIT_IRQ_WINDOW] = vmm_exit_nothing, /* the next entry delivers */
	[VMM_EXIT_DR] = vmm_exit_dr,
	[VMM_EXIT_SHUTDOWN] = vmm_exit_shutdown,
	[VMM_EXIT_FATAL] = vmm_exit_fatal,
};

/* Is there a reason to leave HLT: an interrupt, the unload, a stop? */
static bool vmm_halt_done(struct vmm_vcpu *vcpu)
{
	return vmm_lapic_woken(&vcpu->lapic) || kthread_should_stop() ||
	       test_bit(VMM_REQ_STOP, &vcpu->requests);
}

/*
 * The guest ran HLT: first use the idle time to zero frames for its next
 * faults (axas_prefill(), a chunk at a time, while nothing wakes it),
 * then sleep until its local APIC has an interrupt (the timer's hrtimer
 * wakes this thread), the module is unloaded or the run's time is up.
 */
static void vmm_halt(struct vmm_vcpu *vcpu)
{
	struct vmm_vm *vm = vcpu->vm;
	ktime_t t0 = ktime_get();
	long left;

	vm->counts.halts++;
	while (vm->prefill && !vmm_halt_done(vcpu) && vmm_mem_prefill(vm) > 0)
		cond_resched();
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (vmm_halt_done(vcpu))
			break;
		left = (long)(vm->deadline - jiffies);
		if (left <= 0)
			break;
		schedule_timeout(left);
	}
	__set_current_state(TASK_RUNNING);
	vcpu->halted = false;
	vm->counts.halt_ns += ktime_to_ns(ktime_sub(ktime_get(), t0));
}

static void vmm_run(struct vmm_vcpu *vcpu)
{
	struct vmm_vm *vm = vcpu->vm;
	struct vmm_regs *r = &vcpu->regs;
	bool stop = false;
	int ret = 0;

	vm->start = ktime_get();
	while (vm->end == VMM_RUNNING) {
		if (time_after(jiffies, vm->deadline)) {
			vmm_stop(vm, VMM_TIMEOUT, "the guest did not finish in time");
			break;
		}
		if (vcpu->halted) {
			vmm_halt(vcpu);
			continue;
		}
		/*
		 * Interrupts stay disabled from the request check to the
		 * entry (see the top of this file). The local APIC's
		 * pending interrupt is read here too: a timer that fires
		 * after this point is an interrupt that stays pending until
		 * the entry and then causes an exit at once.
		 */
		local_irq_disable();
		WRITE_ONCE(vcpu->in_guest, true);
		/* Pairs with vmm_request(): in_guest before the requests. */
		smp_mb();
		stop = test_bit(VMM_REQ_STOP, &vcpu->requests);
		if (!stop && test_and_clear_bit(VMM_REQ_FLUSH, &vcpu->requests))
			ret = vm->ops->flush(vm->arch);
		if (!stop && !ret) {
			r->irq = vmm_lapic_pending(&vcpu->lapic);
			vm->ops->run(vm->arch, r, &vcpu->exit);
		}
		WRITE_ONCE(vcpu->in_guest, false);
		local_irq_enable();
		if (stop) {
			vmm_stop(vm, VMM_STOPPED,
				 "the module was unloaded; the vCPU was %s",
				 READ_ONCE(vcpu->stop_kicked) ?
				 "in guest mode, kicked out with an IPI" :
				 "out of guest mode");
			break;
		}
		if (ret) {
			vmm_stop(vm, VMM_FAILED, "could not flush before the entry: %d", ret);
			break;
		}
		if (r->irq_injected) {
			vmm_lapic_accept(&vcpu->lapic, r->irq);
			vm->counts.injected++;
		}
		vm->counts.irq_windows += r->irq_window;
		vm->counts.exits[vcpu->exit.kind]++;
		vmm_exit_handlers[vcpu->exit.kind](vcpu);
		cond_resched();
	}
	vm->ns = ktime_to_ns(ktime_sub(ktime_get(), vm->start));
}

/*
 * The vCPU's thread, bound to one CPU: virtualization is on only here.
 * When the guest has stopped, vm->finish() reports and frees the guest;
 * vmm_vcpu_stop() then only waits for this thread.
 */
static int vmm_vcpu_thread(void *arg)
{
	struct vmm_vm *vm = arg;
	struct vmm_vcpu *vcpu = &vm->vcpu;
	char why[sizeof(vm->why)] = "";
	int ret;

	vcpu->cpu = raw_smp_processor_id();
	/* A freshly reset CPU's TSC counts from 0. */
	vcpu->regs.tsc_offset = -rdtsc();
	ret = vm->ops->enable(vm->arch, vmm_mem_root(vm), &vcpu->entry,
			      why, sizeof(why));
	if (ret)
		vmm_stop(vm, VMM_FAILED, "cannot enter the guest: %s (%d)", why, ret);
	else
		vmm_run(vcpu);
	vm->ops->disable(vm->arch);
	vmm_lapic_exit(vcpu);
	vm->finish(vm->cookie);
	return 0;
}

/**
 * vmm_vcpu_start() - start the vCPU's thread
 * @vm: the guest, set up
 *
 * The thread runs the guest from &vmm_vcpu.entry and &vmm_vcpu.regs on the
 * last online CPU, then calls vm->finish().
 *
 * Context: process context; sleeps.
 * Return: 0, or the errno of kthread_create().
 */
int vmm_vcpu_start(struct vmm_vm *vm)
{
	struct vmm_vcpu *vcpu = &vm->vcpu;
	struct task_struct *task;

	task = kthread_create(vmm_vcpu_thread, vm, "%s-vcpu0", KBUILD_MODNAME);
	if (IS_ERR(task))
		return PTR_ERR(task);
	get_task_struct(task);
	vcpu->task = task;
	vcpu->cpu = cpumask_last(cpu_online_mask);
	kthread_bind(task, vcpu->cpu);
	wake_up_process(task);
	return 0;
}

/**
 * vmm_vcpu_stop() - stop the guest if it runs, and wait for its thread
 * @vm: the guest
 *
 * Posts a stop request and kicks the vCPU out of guest mode if it is
 * there; the thread ends the run (the report says it was stopped), calls
 * vm->finish() and exits.
 *
 * Context: process context; sleeps until the thread has ended.
 * Return: nothing.
 */
void vmm_vcpu_stop(struct vmm_vm *vm)
{
	struct vmm_vcpu *vcpu = &vm->vcpu;

	if (!vcpu->task)
		return;
	vmm_request(vcpu, VMM_REQ_STOP, &vcpu->stop_kicked);
	kthread_stop(vcpu->task);
	put_task_struct(vcpu->task);
	vcpu->task = NULL;
}
