// SPDX-License-Identifier: GPL-2.0
/*
 * The module's side of the VMM that boots Linux: it reads the kernel and
 * the initramfs from files (kernel=, initrd=), builds the guest (the
 * arch's set-up with a CPU of the VMM's own, the memory, the platform's
 * devices, the ACPI tables, the boot protocol's state), starts the vCPU
 * and returns; the vCPU's thread prints the guest's console as it comes
 * and, when the guest has stopped, the report, then frees the guest.
 *
 * The report, each line after KBUILD_MODNAME ": ":
 *
 *   host: ...                        the arch's line
 *   linux: kernel ..., initrd ...    what was loaded where
 *   linux: guest: <line>             each line of the guest's console
 *   linux: guest Linux version: ...  the guest's own banner line
 *   linux: guest result: ...         the line it printed with the
 *                                    workload's result, and whether it is
 *                                    the one expected (expect=)
 *   linux: boot to the result line: N ms; the run: N ms; ended: <why>
 *   linux: exits N: npf, io, msr, cpuid, hlt, intr, irq window, dr, arch
 *   linux: nested faults: ... installed, ... refused; where no area is
 *   linux: port exits / msr exits by device, and the ones no device had
 *   linux: interrupts, HLT sleeps, the time in axas calls
 *   linux: the time in faults, the frames zeroed ahead in HLT (prefill=)
 *   linux: space at the end: frames, table pages, leaves
 *   linux: RAM file: frames, blocks, user faults, views (ramfile=1)
 *   linux: after shutdown: 0 frames, 1 table pages (the root), ...
 *   RESULT PASS|FAIL|STOPPED (...)
 *
 * PASS: the guest printed the expected result line, powered off (ACPI
 * S5), its console shows no kernel report, and the space's shutdown left
 * no frame.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel_read_file.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <asm/tsc.h>
#include <axas/memfile.h>
#include "vmm.h"

static char *kernel = "";
module_param(kernel, charp, 0444);
MODULE_PARM_DESC(kernel, "guest=linux: the bzImage to boot (a path)");
static char *initrd = "";
module_param(initrd, charp, 0444);
MODULE_PARM_DESC(initrd, "guest=linux: its initramfs (a path), or none");
static char *cmdline = "";
module_param(cmdline, charp, 0444);
MODULE_PARM_DESC(cmdline, "guest=linux: appended to the command line the VMM gives (console=ttyS0, and on AMD tsc_early_khz=)");
static unsigned int mem_mb = 256;
module_param(mem_mb, uint, 0444);
MODULE_PARM_DESC(mem_mb, "guest=linux: MiB of RAM, 64 to 3072");
static char *frames = "2M";
module_param(frames, charp, 0444);
MODULE_PARM_DESC(frames, "guest=linux: frames of the RAM above 2 MiB: 2M (falling back to 4K) or 4K");
static char *expect = "";
module_param(expect, charp, 0444);
MODULE_PARM_DESC(expect, "guest=linux: the result line the guest must print");
static char *result = "AXAS-GUEST-RESULT";
module_param(result, charp, 0444);
MODULE_PARM_DESC(result, "guest=linux: what the guest's result line starts with");
static bool tsc_hint = true;
module_param(tsc_hint, bool, 0444);
MODULE_PARM_DESC(tsc_hint, "guest=linux: on AMD, tell the kernel the TSC's frequency (tsc_early_khz=); 0: let it calibrate");
static bool prefill = true;
module_param(prefill, bool, 0444);
MODULE_PARM_DESC(prefill, "guest=linux: zero frames for the guest's faults while it halts (axas_prefill())");
static unsigned int boot_timeout_s = 600;
module_param(boot_timeout_s, uint, 0444);
MODULE_PARM_DESC(boot_timeout_s, "guest=linux: stop the guest after this many seconds");
static bool ramfile;
module_param(ramfile, bool, 0444);
MODULE_PARM_DESC(ramfile, "guest=linux: the RAM above 2 MiB is a memory file, given to userspace through /dev/axas-vmm, with 2 MiB of shared memory a second space maps (mem.c, ramfile.c)");

/* What in the guest's console is a kernel report: the run fails on one. */
static const char *const linux_reports[] = {
	"BUG:", "WARNING:", "Oops", "Call Trace", "Kernel panic",
	"general protection fault", "unchecked MSR access", "UBSAN",
	"soft lockup", "hard LOCKUP", "detected stall", "Hardware Error",
};

/**
 * struct vmm_linux - the guest and what its console said
 * @vm: the guest
 * @line: the command line given
 * @loaded: what the loader put where
 * @version: the guest's "Linux version" line
 * @result: its result line
 * @result_ns: when it came, from the first entry
 * @problem: the first line of a kernel report in its console
 * @problems: how many
 * @lines: console lines
 * @started: the vCPU's thread runs (or ran)
 */
struct vmm_linux {
	struct vmm_vm vm;
	char line[512];
	char loaded[200];
	char version[200];
	char result[200];
	s64 result_ns;
	char problem[200];
	unsigned int problems;
	unsigned int lines;
	bool started;
};

static struct vmm_linux *vmm_linux_guest;

static void linux_console_line(void *cookie, const char *s)
{
	struct vmm_linux *l = cookie;
	unsigned int i;

	l->lines++;
	pr_info("linux: guest: %s\n", s);
	if (!l->version[0] && strstr(s, "Linux version"))
		strscpy(l->version, strstr(s, "Linux version"), sizeof(l->version));
	if (!l->result[0] && !strncmp(s, result, strlen(result))) {
		strscpy(l->result, s, sizeof(l->result));
		l->result_ns = ktime_to_ns(ktime_sub(ktime_get(), l->vm.start));
	}
	for (i = 0; i < ARRAY_SIZE(linux_reports); i++) {
		if (!strstr(s, linux_reports[i]))
			continue;
		if (!l->problems++)
			strscpy(l->problem, s, sizeof(l->problem));
		break;
	}
}

static const char *const linux_end_names[] = {
	[VMM_RUNNING] = "running",
	[VMM_POWER_OFF] = "powered off",
	[VMM_RESET] = "reset",
	[VMM_FAILED] = "stopped by the VMM",
	[VMM_STOPPED] = "stopped",
	[VMM_TIMEOUT] = "timed out",
};

static void linux_report_exits(struct vmm_vm *vm)
{
	const u64 *e = vm->counts.exits;
	u64 total = 0;
	unsigned int i;

	for (i = 0; i < VMM_EXIT_KINDS; i++)
		total += e[i];
	pr_info("linux: exits %llu: npf %llu, io %llu, msr %llu, cpuid %llu, hlt %llu, intr %llu, irq window %llu, dr %llu, arch %llu, other %llu\n",
		total, e[VMM_EXIT_FAULT], e[VMM_EXIT_IO], e[VMM_EXIT_MSR],
		e[VMM_EXIT_CPUID], e[VMM_EXIT_HALT], e[VMM_EXIT_INTR],
		e[VMM_EXIT_IRQ_WINDOW], e[VMM_EXIT_DR], e[VMM_EXIT_NONE],
		e[VMM_EXIT_HYPERCALL] + e[VMM_EXIT_SHUTDOWN] + e[VMM_EXIT_FATAL]);
}

/* "name N, name N, ..." of a device count table. */
static void linux_list(char *buf, size_t len, const char *const *names,
		       unsigned int n, const u64 *counts)
{
	size_t at = 0;
	unsigned int i;

	buf[0] = 0;
	for (i = 0; i < n; i++)
		at += scnprintf(buf + at, len - at, "%s%s %llu", i ? ", " : "",
				names[i], counts[i]);
}

static void linux_report_devices(struct vmm_vm *vm)
{
	const struct vmm_counts *c = &vm->counts;
	char buf[256], other[256];
	size_t at = 0;
	unsigned int i;
	u64 total = 0;

	for (i = 0; i < VMM_TOP_ARCH && c->arch_count[i]; i++)
		at += scnprintf(other + at, sizeof(other) - at, "%s%s %llu",
				i ? ", " : "", c->arch[i], c->arch_count[i]);
	pr_info("linux: exits the arch handled %llu: %s\n",
		c->exits[VMM_EXIT_NONE], at ? other : "none");
	pr_info("linux: MMIO exits %llu: lapic %llu\n", c->mmio[0], c->mmio[0]);

	for (i = 0; i < 7; i++)
		total += c->port[i];
	linux_list(buf, sizeof(buf), vmm_io_devices, 7, c->port);
	at = 0;
	for (i = 0; i < VMM_TOP_PORTS && c->other_port_count[i]; i++)
		at += scnprintf(other + at, sizeof(other) - at, "%s%#x x%llu",
				i ? ", " : "", c->other_port[i], c->other_port_count[i]);
	pr_info("linux: port exits %llu: %s%s%s%s\n", total, buf,
		at ? " (no device: " : "", at ? other : "", at ? ")" : "");

	total = 0;
	for (i = 0; i < 6; i++)
		total += c->msr[i];
	linux_list(buf, sizeof(buf), vmm_msr_devices, 6, c->msr);
	at = 0;
	for (i = 0; i < VMM_TOP_MSRS && c->gp_msr_count[i]; i++)
		at += scnprintf(other + at, sizeof(other) - at, "%s%#x x%llu",
				i ? ", " : "", c->gp_msr[i], c->gp_msr_count[i]);
	pr_info("linux: MSR exits to the VMM %llu: %s%s%s%s\n", total, buf,
		at ? " (refused with #GP: " : "", at ? other : "", at ? ")" : "");
}

static void linux_report(struct vmm_linux *l, const struct axas_space_stats *st)
{
	struct axas_memfile_stats mst;
	struct vmm_vm *vm = &l->vm;
	const struct vmm_counts *c = &vm->counts;
	bool match = l->result[0] && (!expect[0] || !strcmp(l->result, expect));

	pr_info("linux: guest Linux version: %s\n",
		l->version[0] ? l->version : "(none seen)");
	pr_info("linux: guest result: %s (%s)\n",
		l->result[0] ? l->result : "(none seen)",
		!l->result[0] ? "no result line" : !expect[0] ? "nothing expected" :
		match ? "as expected" : "NOT the expected one");
	if (l->result[0])
		pr_info("linux: boot to the result line: %lld ms; the run: %lld ms; ended: %s: %s\n",
			l->result_ns / NSEC_PER_MSEC, vm->ns / NSEC_PER_MSEC,
			linux_end_names[vm->end], vm->why);
	else
		pr_info("linux: the run: %lld ms; ended: %s: %s\n",
			vm->ns / NSEC_PER_MSEC, linux_end_names[vm->end], vm->why);
	linux_report_exits(vm);
	pr_info("linux: nested faults: %llu in RAM (faults installed %llu, refused %llu, spurious %llu; %llu 2 MiB slots fell back to 4 KiB), %llu where no area is (MMIO)\n",
		c->npf_ram, st->faults_installed, st->faults_refused,
		st->faults_spurious, st->fallbacks, c->npf_mmio);
	linux_report_devices(vm);
	pr_info("linux: interrupts injected %llu (%llu entries waited for an interrupt window); exceptions raised by the VMM %llu; HLT: %llu sleeps, %lld ms asleep\n",
		c->injected, c->irq_windows, c->exceptions, c->halts,
		c->halt_ns / NSEC_PER_MSEC);
	pr_info("linux: axas calls on the vCPU's path: %llu, %lld ms of the run's %lld ms (%lld.%lld%%)\n",
		c->axas_calls, c->axas_ns / NSEC_PER_MSEC, vm->ns / NSEC_PER_MSEC,
		vm->ns ? c->axas_ns * 100 / vm->ns : 0,
		vm->ns ? c->axas_ns * 1000 / vm->ns % 10 : 0);
	pr_info("linux: nested faults in RAM took %lld ms in axas_fault(); frames zeroed ahead while the guest halted: %llu in %lld ms (prefill=%d), %lu left in the pool\n",
		c->fault_ns / NSEC_PER_MSEC, c->prefill_frames,
		c->prefill_ns / NSEC_PER_MSEC, vm->prefill, st->pool_frames);
	pr_info("linux: space at the end: %lu frames (%lu MiB), %lu table pages; leaves 4K %lu, 2M %lu, 1G %lu; console %u lines\n",
		st->frames, st->frames >> (20 - PAGE_SHIFT), st->tables,
		st->leaves[0], st->leaves[1], st->leaves[2], l->lines);
	if (vm->ramfile && !vmm_mem_ramfile_stats(vm, &mst))
		pr_info("linux: RAM file: %lu frames (%lu MiB), %lu whole 2 MiB blocks, %lu fell back to 4 KiB; %lu faults of user mappings; %lu views\n",
			mst.frames, mst.frames >> (20 - PAGE_SHIFT), mst.blocks,
			mst.fallbacks, mst.user_faults, mst.views);
	if (l->problems)
		pr_info("linux: the guest's console has %u kernel report lines, the first: %s\n",
			l->problems, l->problem);
}

/* On the vCPU's thread, virtualization off: report, then free the guest. */
static void linux_finish(void *cookie)
{
	struct vmm_linux *l = cookie;
	struct vmm_vm *vm = &l->vm;
	struct axas_space_stats st = {}, after;
	bool match = l->result[0] && (!expect[0] || !strcmp(l->result, expect));
	bool pass;

	vmm_uart_flush(vm);
	if (vm->space)
		vmm_mem_stats(vm, &st);
	linux_report(l, &st);
	vmm_mem_destroy(vm, &after);
	pr_info("linux: after shutdown: %lu frames, %lu table pages (the root), %lu areas; then the space is destroyed\n",
		after.frames, after.tables, after.areas);
	if (vm->arch)
		vm->ops->teardown(vm->arch);
	vm->arch = NULL;
	pass = vm->end == VMM_POWER_OFF && match && !l->problems && !after.frames;
	if (vm->end == VMM_STOPPED)
		pr_info("RESULT STOPPED (%s)\n", vm->why);
	else
		pr_info("RESULT %s (Linux guest: %s%s%s)\n", pass ? "PASS" : "FAIL",
			linux_end_names[vm->end],
			match ? ", result as expected" : ", no expected result",
			l->problems ? ", kernel reports in its console" : "");
}

static void *linux_read(const char *path, size_t max, size_t *size, char *why,
			size_t len)
{
	void *buf = NULL;
	ssize_t ret;

	ret = kernel_read_file_from_path(path, 0, &buf, max, size,
					 READING_KEXEC_IMAGE);
	if (ret < 0) {
		snprintf(why, len, "cannot read %s: %zd", path, ret);
		return ERR_PTR(ret);
	}
	return buf;
}

/* The guest's x87/SSE state after reset (FNINIT, MXCSR's default). */
static void linux_fpu_init(struct vmm_fpu *fpu)
{
	memset(fpu, 0, sizeof(*fpu));
	*(u16 *)&fpu->fxsave[0] = 0x37f;		/* FCW */
	*(u32 *)&fpu->fxsave[24] = 0x1f80;		/* MXCSR */
}

/* Everything but the vCPU's thread; on error, why is in vm->why. */
static int linux_setup(struct vmm_linux *l)
{
	struct vmm_vm *vm = &l->vm;
	size_t kernel_size = 0, initrd_size = 0;
	void *kbuf = NULL, *ibuf = NULL;
	char why[sizeof(vm->why)] = "";
	void *arch;
	int ret;

	if (!kernel[0] || mem_mb < VMM_RAM_MIN >> 20 || mem_mb > VMM_RAM_MAX >> 20 ||
	    (strcmp(frames, "2M") && strcmp(frames, "4K"))) {
		vmm_stop(vm, VMM_FAILED, "needs kernel=, mem_mb= from 64 to 3072, frames=2M or 4K");
		return -EINVAL;
	}
	vm->ram_size = (u64)mem_mb << 20;
	vm->pgsize = strcmp(frames, "2M") ? SZ_4K : SZ_2M;
	vm->shared_ram = ramfile;
	vm->prefill = prefill;
	vm->tsc_khz = tsc_khz;
	if (!vm->tsc_khz) {
		vmm_stop(vm, VMM_FAILED, "the host does not know its TSC's frequency");
		return -ENODEV;
	}

	vm->info.own_cpu = true;
	arch = vm->ops->setup(&vm->info, why, sizeof(why));
	if (IS_ERR(arch)) {
		vmm_stop(vm, VMM_FAILED, "%s", why);
		return PTR_ERR(arch);
	}
	vm->arch = arch;
	pr_info("%s\n", vm->info.host);

	vm->vcpu.vm = vm;
	vm->vcpu.regs.irq = -1;
	vm->vcpu.regs.fpu = &vm->vcpu.fpu;
	linux_fpu_init(&vm->vcpu.fpu);
	vm->vcpu.dr[6] = 0xffff0ff0;
	vm->vcpu.dr[7] = 0x400;
	vmm_lapic_init(&vm->vcpu);
	vmm_rtc_init(&vm->rtc);
	vmm_mtrr_init(&vm->mtrr);
	ret = vmm_mem_create(vm);
	if (!ret && vm->ramfile) {
		ret = vmm_ramdev_publish(vm);
		if (ret)
			vmm_stop(vm, VMM_FAILED, "misc_register() = %d", ret);
	}
	if (ret)
		return ret;

	kbuf = linux_read(kernel, SZ_64M, &kernel_size, why, sizeof(why));
	if (!IS_ERR(kbuf) && initrd[0])
		ibuf = linux_read(initrd, SZ_512M, &initrd_size, why, sizeof(why));
	if (IS_ERR(kbuf) || IS_ERR(ibuf)) {
		ret = IS_ERR(kbuf) ? PTR_ERR(kbuf) : PTR_ERR(ibuf);
		vmm_stop(vm, VMM_FAILED, "%s", why);
		goto out_free;
	}
	/* What the platform tells the kernel, then what the user adds. */
	if (vmm_cpuid_has_tsc_freq() || !tsc_hint)
		snprintf(l->line, sizeof(l->line), "console=ttyS0 %s", cmdline);
	else
		snprintf(l->line, sizeof(l->line), "console=ttyS0 tsc_early_khz=%u %s",
			 vm->tsc_khz, cmdline);
	ret = vmm_load_linux(vm, kbuf, kernel_size, ibuf, initrd_size, l->line,
			     &vm->vcpu.entry, why, sizeof(why));
	if (ret) {
		vmm_stop(vm, VMM_FAILED, "%s", why);
		goto out_free;
	}
	pr_info("linux: kernel %s (%zu bytes), initrd %s (%zu bytes), %u MiB of RAM on lazy %s of %s frames: %s\n",
		kernel, kernel_size, initrd[0] ? initrd : "none", initrd_size,
		mem_mb, vm->ramfile ? "areas and a memory file (/dev/axas-vmm)" : "areas",
		vm->pgsize == SZ_2M ? "2 MiB (falling back to 4 KiB)" : "4 KiB",
		why);
	pr_info("linux: command line: %s\n", l->line);
out_free:
	vfree(ibuf && !IS_ERR(ibuf) ? ibuf : NULL);
	vfree(IS_ERR(kbuf) ? NULL : kbuf);
	return ret;
}

/**
 * vmm_linux_main() - boot the Linux kernel named by kernel= on @ops
 * @ops: the CPU plumbing
 *
 * Builds the guest and starts its vCPU's thread, which runs it, prints
 * the report and frees it; returns without waiting. When the set-up
 * fails, the report (saying why) is printed before it returns. The
 * arch's module_exit must call vmm_linux_end().
 *
 * Context: process context (module_init); sleeps.
 * Return: 0 when the vCPU was started, or when the set-up failed with
 * anything but -ENODEV or -EINVAL (the report says why); -ENODEV when the
 * CPU cannot run the guest; -EINVAL for bad parameters; -ENOMEM.
 */
int vmm_linux_main(const struct vmm_arch *ops)
{
	struct vmm_linux *l;
	int ret;

	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	l->vm.ops = ops;
	l->vm.cookie = l;
	l->vm.console_line = linux_console_line;
	l->vm.finish = linux_finish;
	ret = linux_setup(l);
	if (!ret) {
		l->vm.deadline = jiffies + boot_timeout_s * HZ;
		ret = vmm_vcpu_start(&l->vm);
		if (ret)
			vmm_stop(&l->vm, VMM_FAILED, "kthread_create() = %d", ret);
	}
	if (ret) {
		linux_finish(l);
		kfree(l);
		return ret == -ENODEV || ret == -EINVAL ? ret : 0;
	}
	l->started = true;
	vmm_linux_guest = l;
	return 0;
}

/**
 * vmm_linux_end() - stop the guest if it runs, and free it
 *
 * Context: process context (module_exit); sleeps until the vCPU's thread
 * has ended.
 * Return: nothing.
 */
void vmm_linux_end(void)
{
	struct vmm_linux *l = vmm_linux_guest;

	if (!l)
		return;
	vmm_vcpu_stop(&l->vm);
	vmm_linux_guest = NULL;
	kfree(l);
}
