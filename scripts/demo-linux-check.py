#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge a console of the SVM sample VMM booting Linux (guest=linux): print
the report (the guest's console lines left out but the ones the report
names), then 'N passed, N failed, N skipped' for the one run. It passes
when the report closes with RESULT PASS, the guest printed the --expect
line and powered off, the guest's console has no kernel report, the
space's shutdown left no frame and only its root, and the host's console
has nothing ktap-check.py's console checks catch (a kernel report, table
pages or spaces left once the modules were unloaded, no end marker). With
--bochs, the host's console may have the boot-time warnings Bochs's CPU
models cause (see demo-vmx-check.py), and only those.

With --ramfile, the guest's RAM was a memory file: it passes only if, on
top, the host's axas-vmm-ram found the guest's marker in the RAM file and
checked the shared memory (AXAS-VMM-RAM PASS, AXAS-RUN-EXIT 0), the guest
read the host's answer in its buffer, the VMM checked the shared memory
both ways, and the report has the RAM file's line.

With --stopped, the run is the test of unloading the sample while its
guest boots: it passes when the guest's console had begun, the report
closes with RESULT STOPPED, the space held frames when the unload began
(AXAS-SPACE), its shutdown left no frame and only its root, and the host's
console checks pass.

With --smp (vcpus=2 and the pre-copy), it also wants: every vCPU but the
first started by INIT and SIPI, fixed IPIs between the vCPUs, the flush
callback to have found a vCPU in guest mode (kicked and waited for), one
frame per mapped page, and pre-copy rounds whose checks and final
comparison found no page differing from its copy.

With --results N, the guest must have printed the --expect line N times
(one per workload it ran at once) and no other result line.

With --migrate (migrate=1), the report must say that the guest runs on
the destination space, with the first pass, the rounds and the
stop-and-copy in it.

With --rewind N --expect-last LINE (rewind=), the guest must have printed
N + 1 result lines: the --expect line N times (the first run and each
restore but the last), then LINE, which must differ (the last run's
seed); each restore's line must say the pages restored equal the pages
written and no page differs from the oracle's copy.

With --plant (flush_plant=nokick, or migrate_plant=drop), the run must fail: the report must not
close with RESULT PASS, and the line that caught the bug is printed (the
pre-copy's check, a wrong result, a kernel report or a crash of the
guest). The host's console must still have no kernel report."""
import argparse
import importlib.util
import os
import re
import sys

GUEST = "linux: guest: "


def load(name, file):
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), file)
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def smp_problems(report):
    """What a two-vCPU run's report lacks (see --smp)."""
    problems = []
    text = "\n".join(report)
    started = re.findall(r"linux: vCPU(\d+) on CPU \d+: APIC ID \d+, started by "
                         r"INIT and SIPI vector", text)
    vcpus = re.search(r"linux: (\d+) vCPUs \(ACPI MADT", text)
    if not vcpus or len(started) != int(vcpus.group(1)) - 1:
        problems.append("not every vCPU was started by INIT and SIPI")
    ipis = re.search(r"IPIs between vCPUs: (\d+) fixed, (\d+) of them found", text)
    if not ipis or not int(ipis.group(1)):
        problems.append("no IPI between the vCPUs")
    kicks = re.search(r"flush callback: (\d+) calls .* found a vCPU in guest "
                      r"mode (\d+) times", text)
    if not kicks or not int(kicks.group(2)):
        problems.append("the flush callback never found a vCPU in guest mode")
    if not re.search(r"one frame per mapped page: yes", text):
        problems.append("not one frame per mapped page")
    rounds = re.search(r"linux: pre-copy: .*: (\d+) rounds", text)
    if not rounds or not int(rounds.group(1)):
        problems.append("no pre-copy round")
    if not re.search(r"pre-copy check: \d+ pages .*: 0 differed", text):
        problems.append("the pre-copy's checks found pages that differ")
    if not re.search(r"pre-copy at the end: \d+ pages of RAM compared with "
                     r"the copy: 0 differ", text):
        problems.append("RAM differs from the pre-copy at the end")
    return problems


def result_problems(guest, args):
    """What the guest's result lines lack (see --results, --rewind)."""
    problems = []
    results = [l for l in guest if l.startswith("AXAS-GUEST-RESULT")]
    if args.rewind is not None:
        want = [args.expect] * args.rewind + [args.expect_last]
        if args.expect_last == args.expect:
            problems.append("the last run's line is the others'")
    else:
        want = [args.expect] * args.results
    if results != want:
        problems.append("the guest's result lines are %s, not %s"
                        % (results, want))
    return problems


def moves_problems(report, args):
    """What a migration's or a rewind's report lacks."""
    problems = []
    text = "\n".join(report)
    if args.migrate:
        if not re.search(r"linux: migration: begun at \d+ ms.* first pass "
                         r"\d+ pages", text) or not re.search(
                             r"linux: migration: rounds 1-", text):
            problems.append("no migration's first pass in the report")
        if not re.search(r"the guest runs on the destination space: yes; "
                         r"error 0", text):
            problems.append("the guest does not run on the destination space")
    if args.rewind is not None and args.migrate and not re.search(
            r"linux: rewind: the mark came during the migration's pre-copy",
            text):
        problems.append("the mark did not come during the migration")
    if args.rewind is not None:
        restores = re.findall(r"linux: restore (\d+): (\d+) pages restored, "
                              r"(\d+) written .*\((\w+)\).* (\d+) pages "
                              r"differ from the mark", text)
        if len(restores) != args.rewind:
            problems.append("%d restores in the report, not %d"
                            % (len(restores), args.rewind))
        for n, restored, written, equal, differ in restores:
            if equal != "equal" or restored != written:
                problems.append("restore %s: %s pages restored, %s written"
                                % (n, restored, written))
            if differ != "0":
                problems.append("restore %s: %s pages differ from the oracle"
                                % (n, differ))
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", default="linux")
    ap.add_argument("--module", default="axas_svm")
    ap.add_argument("--expect", required=True)
    ap.add_argument("--stopped", action="store_true")
    ap.add_argument("--smp", action="store_true")
    ap.add_argument("--plant", action="store_true")
    ap.add_argument("--bochs", action="store_true",
                    help="accept the host's Bochs boot warnings "
                    "(demo-vmx-check.py)")
    ap.add_argument("--ramfile", action="store_true")
    ap.add_argument("--results", type=int, default=1)
    ap.add_argument("--migrate", action="store_true")
    ap.add_argument("--rewind", type=int)
    ap.add_argument("--expect-last")
    ap.add_argument("log")
    args = ap.parse_args()

    with open(args.log, errors="replace") as f:
        console = f.read()
    if args.bochs:
        console, dropped = load("demo_vmx_check",
                                "demo-vmx-check.py").drop_known_warnings(console)
        for w in dropped:
            print("  (accepted Bochs boot warning: %s)" % w)
    prefix = args.module + ": "
    # The guest's console goes through the host's: judged apart.
    host = "\n".join(l for l in console.splitlines()
                     if prefix + GUEST not in l)
    guest = [l.split(prefix + GUEST, 1)[1] for l in console.splitlines()
             if prefix + GUEST in l]
    ktap = load("ktap_check", "ktap-check.py")
    problems = ktap.console_problems(host)
    for pat in ktap.REPORTS:
        for line in guest:
            if re.search(pat, line):
                problems.append("guest console: " + line.strip())
                break

    report = [m.group(1) for m in
              re.finditer(re.escape(prefix) + r"(.*)", console)]
    for line in report:
        if not line.startswith(GUEST):
            print("  " + line)
    if args.stopped:
        if not any(l.startswith("RESULT STOPPED (the module was unloaded")
                   for l in report):
            problems.append("no RESULT STOPPED")
        if not guest:
            problems.append("the guest's console had not begun")
        space = re.search(r"AXAS-SPACE \S+: areas \d+ frames (\d+)", console)
        if not space or space.group(1) == "0":
            problems.append("no live space with frames before the unload")
    elif args.plant:
        caught = [l for l in report if l.startswith("RESULT FAIL")]
        # A planted drop must have happened, and the guest's result be wrong.
        if any(l.startswith("linux: migration: stop-and-copy") for l in report):
            if not any("the guest's buffer page left out" in l for l in report):
                problems.append("the planted drop did not happen")
            if args.expect in guest:
                problems.append("the guest printed the expected result")
        if caught:
            why = [l for l in report if re.search(
                r"ended: |pre-copy check: |pre-copy at the end: |kernel report"
                r"|guest result: |stop-and-copy ",
                l)]
            for l in why:
                print("%s: the planted bug was caught: %s" % (args.label, l))
        else:
            problems.append("the planted bug was not caught: no RESULT FAIL")
    else:
        if not any(l.startswith("RESULT PASS") for l in report):
            problems.append("no RESULT PASS")
        if args.expect not in guest:
            problems.append("the guest did not print '%s'" % args.expect)
        if not any(re.match(r"linux: guest Linux version: Linux version ",
                            l) for l in report):
            problems.append("no Linux version line from the guest")
        if not any(re.search(r"ended: powered off", l) for l in report):
            problems.append("the guest did not power off")
        problems += result_problems(guest, args)
        problems += moves_problems(report, args)
    if args.smp:
        problems += smp_problems(report)
    if args.ramfile:
        for line in console.splitlines():
            if line.startswith("AXAS-VMM-RAM") or line.startswith("AXAS-RUN-EXIT"):
                print("  " + line.strip())
        if "AXAS-VMM-RAM PASS" not in console:
            problems.append("axas-vmm-ram did not pass")
        if "AXAS-RUN-EXIT 0" not in console:
            problems.append("axas-vmm-ram did not exit 0")
        if "AXAS-GUEST-MARKER answered by the host" not in guest:
            problems.append("the guest did not read the host's answer")
        if not any(re.match(r"linux: shared memory: .* both ways", l)
                   for l in report):
            problems.append("no shared memory checked both ways")
        if not any(l.startswith("linux: RAM file: ") for l in report):
            problems.append("no RAM file line in the report")
    if not any(re.match(r"linux: after shutdown: 0 frames, 1 table pages", l)
               for l in report):
        problems.append("no 'after shutdown: 0 frames, 1 table pages' line")
    for p in problems:
        print("%s: FAIL: %s" % (args.label, p))
    print("%s: %s" % (args.label, "FAIL" if problems else "PASS"))
    print("%d passed, %d failed, 0 skipped"
          % (0 if problems else 1, 1 if problems else 0))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
