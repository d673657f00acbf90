// SPDX-License-Identifier: GPL-2.0
/*
 * The vCPUs: each a kthread bound to a CPU of its own that enters the
 * guest, handles each exit through a table of handlers indexed by its
 * kind, delivers its local APIC's interrupts, sleeps in the guest's HLT
 * until one comes, and honours requests (flush, pause, stop) before every
 * entry. vCPU 0 starts at the boot protocol's entry point; the others wait
 * for the INIT and start-up IPIs the guest sends through its local APIC
 * (lapic.c) and start in real mode at the page the SIPI names, as an
 * application processor does.
 *
 * Requests and kicks, as a multi-vCPU VMM does them (KVM's
 * kvm_make_request() and kvm_vcpu_kick()): a requester sets a bit, and if
 * the vCPU is in guest mode sends its CPU an IPI and waits for the
 * (empty) handler, which runs only once the vCPU is out of guest mode
 * with interrupts enabled. The vCPU marks itself in guest mode before it
 * reads the requests (a full barrier on each side) and keeps interrupts
 * disabled from there to the entry, so either it sees the request or the
 * requester sees it in guest mode, and an IPI sent after its check causes
 * an exit right after the entry. An interrupt for another vCPU is the
 * same without the wait (vmm_vcpu_kick()): the reschedule IPI takes it
 * out of guest mode, or it is woken from HLT.
 *
 * The flush callback (vmm_flush()) is such a request to every vCPU: axas
 * frees a range's frames and table pages as soon as it returns, so it
 * returns only once no vCPU can use a translation of the range cached
 * before. It waits for nothing else from a vCPU thread, which may be
 * blocked in axas_fault() on the space lock its caller holds. vmm_pause()
 * is one too: when it returns no vCPU is in guest mode, and none enters
 * until vmm_resume(); meanwhile vmm_vcpu_call() runs a function on a
 * paused vCPU's own thread (state.c saves and loads its state there).
 *
 * The run ends for all vCPUs at once: vmm_stop() records why and kicks
 * every vCPU; each thread turns virtualization off on its CPU, and the
 * last one to finish calls vm->finish().
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

#define vmm_for_each_vcpu(vm, v) \
	for ((v) = (vm)->vcpus; (v) < (vm)->vcpus + (vm)->nr_vcpus; (v)++)

bool vmm_running(struct vmm_vm *vm)
{
	return READ_ONCE(vm->end) == VMM_RUNNING;
}

/*
 * The run ends, for every vCPU: the first reason given is kept, and every
 * vCPU is kicked out of guest mode or woken, to see it. Any thread, any
 * time; interrupts enabled.
 */
void vmm_stop(struct vmm_vm *vm, enum vmm_end end, const char *fmt, ...)
{
	struct vmm_vcpu *v;
	va_list args;

	spin_lock(&vm->end_lock);
	if (vm->end != VMM_RUNNING) {
		spin_unlock(&vm->end_lock);
		return;
	}
	va_start(args, fmt);
	vsnprintf(vm->why, sizeof(vm->why), fmt, args);
	va_end(args);
	WRITE_ONCE(vm->end, end);
	spin_unlock(&vm->end_lock);
	vmm_for_each_vcpu(vm, v)
		vmm_vcpu_kick(v);
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
	vcpu->counts.exceptions++;
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

/**
 * vmm_vcpu_kick() - make a vCPU look at what was posted for it
 * @vcpu: the vCPU
 *
 * What was posted (an interrupt in its local APIC, the end of the run) is
 * written before the call. A vCPU in guest mode gets the reschedule IPI,
 * which causes an exit (the host takes it once the vCPU enables
 * interrupts); one asleep (HLT, a pause, waiting for a SIPI) is woken;
 * one about to enter reads what was posted after marking itself in guest
 * mode. The caller does not wait.
 *
 * Context: any thread, interrupts enabled or not.
 * Return: nothing.
 */
void vmm_vcpu_kick(struct vmm_vcpu *vcpu)
{
	/* Pairs with the vCPU's barrier between in_guest and its reads. */
	smp_mb();
	if (READ_ONCE(vcpu->in_guest))
		/*
		 * smp_send_reschedule() without the tracepoint its 6.12
		 * macro calls, which modules cannot: x86's own hook (the
		 * parentheses keep that macro out).
		 */
		(smp_ops.smp_send_reschedule)(vcpu->cpu);
	else if (vcpu->task)
		wake_up_process(vcpu->task);
}

/*
 * axas's flush callback: may run on any CPU, may sleep, runs with the
 * space lock held. Each vCPU gets a flush request, which its next entry
 * turns into the arch's flush (SVM: the VMCB's TLB control; VMX:
 * INVEPT); a vCPU in guest mode is kicked out, and the callback returns
 * only once it has left: from then on it cannot use a translation cached
 * before the call. The vCPU's thread may be blocked in axas_fault() on
 * the lock held here: the kick waits for its CPU only.
 *
 * plant=nokick makes it the bug the scheme prevents: requests only, so
 * that a vCPU in guest mode keeps what it cached until its next exit.
 */
void vmm_flush(void *cookie, u64 gpa, u64 size)
{
	struct vmm_vm *vm = cookie;
	struct vmm_vcpu *v;

	atomic64_inc(&vm->flushes);
	vmm_for_each_vcpu(vm, v) {
		if (vm->plant == VMM_PLANT_NOKICK) {
			set_bit(VMM_REQ_FLUSH, &v->requests);
			continue;
		}
		if (vmm_request(v, VMM_REQ_FLUSH, NULL))
			atomic64_inc(&vm->flush_kicks);
		else
			atomic64_inc(&vm->flush_posted);
	}
}

/*
 * Wake a vCPU's thread when it sleeps: in HLT, dead, or paused. A pause
 * takes it out of the first two (vmm_halt(), vmm_run()), so that it parks
 * where vmm_vcpu_call() reaches it.
 */
static void vmm_vcpu_wake(struct vmm_vcpu *vcpu)
{
	if (vcpu->task)
		wake_up_process(vcpu->task);
}

/**
 * vmm_pause() - take every vCPU out of guest mode and keep it out
 * @vm: the guest
 *
 * Posts a pause request to each vCPU and kicks the ones in guest mode,
 * waiting until they have left: on return no vCPU is in guest mode, and
 * none enters before vmm_resume(). The threads may still be handling
 * their last exits (none writes guest memory); the ones asleep (in HLT,
 * or halted for good) are woken. Each then parks, where vmm_vcpu_call()
 * reaches it; a vCPU paused in HLT is still in HLT once resumed.
 *
 * Context: process context, not a vCPU thread; sleeps.
 * Return: nothing.
 */
void vmm_pause(struct vmm_vm *vm)
{
	struct vmm_vcpu *v;

	vmm_for_each_vcpu(vm, v)
		if (vmm_request(v, VMM_REQ_PAUSE, NULL))
			atomic64_inc(&vm->pause_kicks);
		else
			vmm_vcpu_wake(v);
}

/**
 * vmm_vcpu_call() - run a function on a paused vCPU's own thread
 * @vcpu: the vCPU, paused by vmm_pause() and started (not waiting for its
 *	SIPI)
 * @fn: what to run; its thread is bound to the vCPU's CPU, out of guest
 *	mode, with interrupts enabled: where the arch's control block may be
 *	read and written (VMX: the VMCS is current there only)
 * @arg: for @fn; memory that lives as long as the VM (@fn may still run
 *	after a failed wait)
 *
 * The thread runs @fn once it has finished its last exit and parked, so
 * on return the vCPU's registers and devices are still; the next call may
 * follow at once.
 *
 * Context: process context, not a vCPU thread; sleeps.
 * Return: 0; -EBUSY when the vCPU is not paused or never started;
 * -ESHUTDOWN when the run ended before @fn ran.
 */
int vmm_vcpu_call(struct vmm_vcpu *vcpu, void (*fn)(struct vmm_vcpu *, void *),
		  void *arg)
{
	if (!test_bit(VMM_REQ_PAUSE, &vcpu->requests) ||
	    READ_ONCE(vcpu->mp_state) == VMM_MP_WAIT_SIPI)
		return -EBUSY;
	vcpu->call_fn = fn;
	vcpu->call_arg = arg;
	reinit_completion(&vcpu->called);
	/* @fn and @arg before the bit: the thread reads them after it. */
	smp_mb__before_atomic();
	set_bit(VMM_REQ_CALL, &vcpu->requests);
	vmm_vcpu_wake(vcpu);
	while (!wait_for_completion_timeout(&vcpu->called, HZ / 10))
		if (!vmm_running(vcpu->vm))
			return -ESHUTDOWN;
	return 0;
}

/**
 * vmm_vcpus_call() - vmm_vcpu_call() on every vCPU, one after the other
 * @vm: the guest, paused
 * @fn: what to run on each
 * @arg: for @fn
 *
 * Context: process context, not a vCPU thread; sleeps.
 * Return: 0, or the first vmm_vcpu_call() error (the vCPUs after it
 * did not run @fn).
 */
int vmm_vcpus_call(struct vmm_vm *vm, void (*fn)(struct vmm_vcpu *, void *),
		   void *arg)
{
	struct vmm_vcpu *v;
	int ret;

	vmm_for_each_vcpu(vm, v) {
		ret = vmm_vcpu_call(v, fn, arg);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * vmm_resume() - let the vCPUs that vmm_pause() stopped enter again
 * @vm: the guest
 *
 * Context: process context.
 * Return: nothing.
 */
void vmm_resume(struct vmm_vm *vm)
{
	struct vmm_vcpu *v;

	vmm_for_each_vcpu(vm, v) {
		clear_bit(VMM_REQ_PAUSE, &v->requests);
		vmm_vcpu_kick(v);
	}
}

typedef void (*vmm_exit_fn)(struct vmm_vcpu *vcpu);

static void vmm_exit_nothing(struct vmm_vcpu *vcpu)
{
}

/* The arch handled it: counted by what it was, for the report. */
static void vmm_exit_arch(struct vmm_vcpu *vcpu)
{
	struct vmm_counts *c = &vcpu->counts;
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
	case AXAS_FAULT_SPURIOUS:
		/* Installed meanwhile: another vCPU's fault won the race. */
		vcpu->counts.npf_lost++;
		fallthrough;
	case AXAS_FAULT_INSTALLED:
		vcpu->counts.npf_ram++;
		return;
	case -ENOENT:
		vcpu->counts.npf_mmio++;
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
 * when it idles; with them disabled it has stopped the CPU for good, as
 * Linux stops the other CPUs before it powers off (stop_this_cpu()) or
 * after a panic: the vCPU is dead and sleeps until the run ends, which it
 * does once every vCPU that ran is dead.
 */
static void vmm_exit_halt(struct vmm_vcpu *vcpu)
{
	struct vmm_vm *vm = vcpu->vm;

	vcpu->regs.rip = vcpu->exit.next_rip;
	if (vcpu->regs.rflags & X86_EFLAGS_IF) {
		vcpu->halted = true;
		return;
	}
	WRITE_ONCE(vcpu->mp_state, VMM_MP_DEAD);
	if (atomic_inc_return(&vm->dead) == atomic_read(&vm->started))
		vmm_stop(vm, VMM_FAILED,
			 "every vCPU halted with interrupts disabled (vCPU%u last, at %#llx)",
			 vcpu->index, vcpu->regs.rip - 1);
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
	/* The arch knows the length when it named the register. */
	if (!r->exception.pending)
		r->rip = x->next_rip ?: r->rip + len;
}

static const char *const vmm_exit_name[VMM_EXIT_KINDS] = {
	[VMM_EXIT_NONE] = "arch", [VMM_EXIT_FAULT] = "npf",
	[VMM_EXIT_HYPERCALL] = "hypercall", [VMM_EXIT_IO] = "io",
	[VMM_EXIT_HALT] = "hlt", [VMM_EXIT_INTR] = "intr",
	[VMM_EXIT_MSR] = "msr", [VMM_EXIT_CPUID] = "cpuid",
	[VMM_EXIT_IRQ_WINDOW] = "irq window", [VMM_EXIT_DR] = "dr",
	[VMM_EXIT_SHUTDOWN] = "shutdown", [VMM_EXIT_FATAL] = "fatal",
};

/* Keep the exit just taken among the vCPU's last VMM_TRAIL. */
static void vmm_trail(struct vmm_vcpu *vcpu)
{
	struct vmm_trail *t = &vcpu->trail[vcpu->trail_next++ % VMM_TRAIL];

	t->rip = vcpu->regs.rip;
	t->cr3 = vcpu->regs.cr3;
	t->kind = vcpu->exit.kind;
	t->irq = vcpu->regs.irq_injected ? vcpu->regs.irq : -1;
}

/*
 * A triple fault: the report says what the arch saw, the vCPU's last
 * exits, oldest first, with the interrupt each entry injected, and
 * whether the guest's page tables translate its RIP now (a CPU that
 * could not, with tables that can, saw them differently at the time).
 */
static void vmm_exit_shutdown(struct vmm_vcpu *vcpu)
{
	unsigned int i, n = min_t(unsigned int, vcpu->trail_next, VMM_TRAIL);
	const struct vmm_trail *t;
	u8 insn[8];
	int ret;

	if (vcpu->exit.why[0])
		pr_info("vCPU%u: the shutdown left %s\n", vcpu->index, vcpu->exit.why);
	for (i = vcpu->trail_next - n; i != vcpu->trail_next; i++) {
		t = &vcpu->trail[i % VMM_TRAIL];
		pr_info("vCPU%u: exit -%u: %s at %#llx (CR3 %#llx), after injecting %d\n",
			vcpu->index, vcpu->trail_next - 1 - i,
			vmm_exit_name[t->kind], t->rip, t->cr3, t->irq);
	}
	ret = vmm_mem_fetch(vcpu, insn, sizeof(insn));
	if (!ret)
		pr_info("vCPU%u: its page tables translate RIP %#llx now: %*ph\n",
			vcpu->index, vcpu->regs.rip, (int)sizeof(insn), insn);
	else
		pr_info("vCPU%u: its page tables do not translate RIP %#llx now: %d\n",
			vcpu->index, vcpu->regs.rip, ret);
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

/* A reason for a sleeping vCPU to look again: the run's end, a stop. */
static bool vmm_wake_any(struct vmm_vcpu *vcpu)
{
	return !vmm_running(vcpu->vm) || kthread_should_stop() ||
	       test_bit(VMM_REQ_STOP, &vcpu->requests);
}

/*
 * Sleep until @done(@vcpu) or vmm_wake_any(), or until the run's time is
 * up. Whoever makes @done true writes it before it wakes the thread
 * (vmm_vcpu_kick(), or the LAPIC timer's wake-up).
 */
static void vmm_sleep(struct vmm_vcpu *vcpu, bool (*done)(struct vmm_vcpu *))
{
	long left;

	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (vmm_wake_any(vcpu) || (done && done(vcpu)))
			break;
		left = (long)(vcpu->vm->deadline - jiffies);
		if (left <= 0)
			break;
		schedule_timeout(left);
	}
	__set_current_state(TASK_RUNNING);
}

/* Is there a reason to leave HLT: an interrupt? */
static bool vmm_halt_done(struct vmm_vcpu *vcpu)
{
	return vmm_lapic_woken(&vcpu->lapic);
}

static bool vmm_paused(struct vmm_vcpu *vcpu)
{
	return test_bit(VMM_REQ_PAUSE, &vcpu->requests);
}

/* Leave the HLT sleep for an interrupt, or to park for a pause. */
static bool vmm_halt_break(struct vmm_vcpu *vcpu)
{
	return vmm_halt_done(vcpu) || vmm_paused(vcpu);
}

/*
 * The guest ran HLT: first use the idle time to zero frames for its next
 * faults (axas_prefill(), a chunk at a time, while nothing wakes it),
 * then sleep until its local APIC has an interrupt (the timer's hrtimer
 * or another vCPU's IPI wakes this thread), the run ends or its time is
 * up.
 */
static void vmm_halt(struct vmm_vcpu *vcpu)
{
	struct vmm_vm *vm = vcpu->vm;
	ktime_t t0 = ktime_get();

	vcpu->counts.halts++;
	while (vm->prefill && !vmm_halt_break(vcpu) && !vmm_wake_any(vcpu) &&
	       vmm_mem_prefill(vcpu) > 0)
		cond_resched();
	vmm_sleep(vcpu, vmm_halt_break);
	/*
	 * Only an interrupt ends HLT: paused, the vCPU is still in HLT once
	 * resumed; a stop or the deadline ends the run at the loop's top.
	 */
	if (vmm_halt_done(vcpu))
		vcpu->halted = false;
	vcpu->counts.halt_ns += ktime_to_ns(ktime_sub(ktime_get(), t0));
}

/* Leave the pause: resumed, or a function to run (vmm_vcpu_call()). */
static bool vmm_unpaused(struct vmm_vcpu *vcpu)
{
	return !vmm_paused(vcpu) || test_bit(VMM_REQ_CALL, &vcpu->requests);
}

/*
 * Paused: the vCPU's last exit is handled, nothing runs on it but what
 * vmm_vcpu_call() asks for.
 */
static void vmm_parked(struct vmm_vcpu *vcpu)
{
	if (test_and_clear_bit(VMM_REQ_CALL, &vcpu->requests)) {
		vcpu->call_fn(vcpu, vcpu->call_arg);
		complete(&vcpu->called);
		return;
	}
	vmm_sleep(vcpu, vmm_unpaused);
}

static void vmm_run(struct vmm_vcpu *vcpu)
{
	struct vmm_vm *vm = vcpu->vm;
	struct vmm_regs *r = &vcpu->regs;
	bool stop = false, enter;
	int ret = 0;

	while (vmm_running(vm)) {
		if (time_after(jiffies, vm->deadline)) {
			vmm_stop(vm, VMM_TIMEOUT, "the guest did not finish in time");
			break;
		}
		/* Asleep below, a stop comes as kthread_stop()'s wake-up. */
		if (test_bit(VMM_REQ_STOP, &vcpu->requests)) {
			stop = true;
			break;
		}
		if (test_and_clear_bit(VMM_REQ_CTL, &vcpu->requests)) {
			vmm_ctl(vcpu);
			continue;
		}
		if (vmm_paused(vcpu)) {
			vmm_parked(vcpu);
			continue;
		}
		if (READ_ONCE(vcpu->mp_state) == VMM_MP_DEAD) {
			vmm_sleep(vcpu, vmm_paused);
			continue;
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
		/* Pairs with vmm_request() and vmm_vcpu_kick(). */
		smp_mb();
		stop = test_bit(VMM_REQ_STOP, &vcpu->requests);
		enter = !stop && vmm_running(vm) &&
			!test_bit(VMM_REQ_PAUSE, &vcpu->requests);
		if (enter && test_and_clear_bit(VMM_REQ_FLUSH, &vcpu->requests))
			ret = vm->ops->flush(vcpu->arch);
		if (enter && !ret) {
			r->irq = vmm_lapic_pending(&vcpu->lapic);
			vm->ops->run(vcpu->arch, r, &vcpu->exit);
		}
		WRITE_ONCE(vcpu->in_guest, false);
		local_irq_enable();
		if (stop)
			break;
		if (ret) {
			vmm_stop(vm, VMM_FAILED, "could not flush before the entry: %d", ret);
			break;
		}
		if (!enter)
			continue;
		if (r->irq_injected) {
			vmm_lapic_accept(&vcpu->lapic, r->irq);
			vcpu->counts.injected++;
		}
		vcpu->counts.irq_windows += r->irq_window;
		vcpu->counts.exits[vcpu->exit.kind]++;
		vmm_trail(vcpu);
		vmm_exit_handlers[vcpu->exit.kind](vcpu);
		cond_resched();
	}
	if (stop)
		vmm_stop(vm, VMM_STOPPED, "the module was unloaded; vCPU%u was %s",
			 vcpu->index, READ_ONCE(vcpu->stop_kicked) ?
			 "in guest mode, kicked out with an IPI" : "out of guest mode");
}

static bool vmm_sipi_came(struct vmm_vcpu *vcpu)
{
	return READ_ONCE(vcpu->mp_state) != VMM_MP_WAIT_SIPI;
}

/*
 * An application processor: nothing runs until the guest's start-up IPI
 * (lapic.c sets sipi_vector, then mp_state). Return: whether it came
 * before the run ended.
 */
static bool vmm_wait_sipi(struct vmm_vcpu *vcpu)
{
	struct vmm_vm *vm = vcpu->vm;

	vmm_sleep(vcpu, vmm_sipi_came);
	/* Pairs with the SIPI's cmpxchg, which published the vector. */
	if (smp_load_acquire(&vcpu->mp_state) == VMM_MP_WAIT_SIPI ||
	    !vmm_running(vm))
		return false;
	vmm_sipi_state(vcpu, READ_ONCE(vcpu->sipi_vector));
	vcpu->started_ns = ktime_to_ns(ktime_sub(ktime_get(), vm->start));
	atomic_inc(&vm->started);
	return true;
}

/*
 * A vCPU's thread, bound to its CPU: virtualization is on only here. When
 * the guest has stopped, the last thread to finish calls vm->finish(),
 * which reports and frees the guest; vmm_vcpu_stop() then only waits for
 * the threads.
 */
static int vmm_vcpu_thread(void *arg)
{
	struct vmm_vcpu *vcpu = arg;
	struct vmm_vm *vm = vcpu->vm;
	char why[sizeof(vm->why)] = "";
	int ret;

	vcpu->cpu = raw_smp_processor_id();
	vcpu->regs.tsc_offset = vm->tsc_offset;
	if (vcpu->index && !vmm_wait_sipi(vcpu))
		goto out;
	/* The pre-copy and the migration begin once every vCPU runs. */
	vmm_precopy_start(vm);
	vmm_migrate_start(vm);
	ret = vm->ops->enable(vcpu->arch, vmm_mem_root(vm), &vcpu->entry,
			      why, sizeof(why));
	if (ret)
		vmm_stop(vm, VMM_FAILED, "vCPU%u cannot enter the guest: %s (%d)",
			 vcpu->index, why, ret);
	else
		vmm_run(vcpu);
out:
	vm->ops->disable(vcpu->arch);
	vmm_lapic_exit(vcpu);
	if (atomic_dec_and_test(&vm->threads)) {
		vm->ns = ktime_to_ns(ktime_sub(ktime_get(), vm->start));
		vm->finish(vm->cookie);
	}
	return 0;
}

/**
 * vmm_vcpu_start() - start the vCPUs' threads
 * @vm: the guest, set up
 *
 * Each thread is bound to a CPU of its own, from the last online CPU
 * down: vCPU 0 runs the guest from &vmm_vcpu.entry and &vmm_vcpu.regs,
 * the others wait for their start-up IPI. The last thread to end calls
 * vm->finish().
 *
 * Context: process context; sleeps.
 * Return: 0; -ENODEV when there are fewer online CPUs than vCPUs; or the
 * errno of kthread_create() (no thread runs then).
 */
int vmm_vcpu_start(struct vmm_vm *vm)
{
	unsigned int online = num_online_cpus();
	struct task_struct *task;
	struct vmm_vcpu *v;

	if (online < vm->nr_vcpus) {
		vmm_stop(vm, VMM_FAILED, "%u vCPUs need as many online CPUs, %u are",
			 vm->nr_vcpus, num_online_cpus());
		return -ENODEV;
	}
	vmm_for_each_vcpu(vm, v) {
		task = kthread_create(vmm_vcpu_thread, v, "%s-vcpu%u",
				      KBUILD_MODNAME, v->index);
		if (IS_ERR(task)) {
			vmm_vcpu_stop(vm);
			return PTR_ERR(task);
		}
		get_task_struct(task);
		v->task = task;
		/* From the last online CPU down: the vCPUs never share one. */
		v->cpu = cpumask_nth(online - 1 - v->index, cpu_online_mask);
		kthread_bind(task, v->cpu);
	}
	/* A freshly reset machine's TSCs count from 0, in step. */
	vm->tsc_offset = -rdtsc();
	vm->start = ktime_get();
	atomic_set(&vm->threads, vm->nr_vcpus);
	atomic_set(&vm->started, 1);
	vmm_for_each_vcpu(vm, v)
		wake_up_process(v->task);
	return 0;
}

/**
 * vmm_vcpu_stop() - stop the guest if it runs, and wait for the threads
 * @vm: the guest
 *
 * Posts a stop request to every vCPU and kicks the ones in guest mode; a
 * thread that sees it ends the run (the report says it was stopped), and
 * the last one calls vm->finish(). Also ends threads that were created
 * but never woken (their function does not run).
 *
 * Context: process context; sleeps until the threads have ended.
 * Return: nothing.
 */
void vmm_vcpu_stop(struct vmm_vm *vm)
{
	struct vmm_vcpu *v;

	vmm_for_each_vcpu(vm, v)
		if (v->task)
			vmm_request(v, VMM_REQ_STOP, &v->stop_kicked);
	vmm_for_each_vcpu(vm, v) {
		if (!v->task)
			continue;
		kthread_stop(v->task);
		put_task_struct(v->task);
		v->task = NULL;
	}
}
