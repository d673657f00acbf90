#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge a console of the VMX sample (samples/vmx) under Bochs: print its
report, then 'N passed, N failed, N skipped' over its scenarios. Fails on
a failed or missing scenario, no closing RESULT PASS, or anything
ktap-check.py's console checks catch, except the two boot-time warnings
Bochs 2.7's CPU models cause, accepted by their location only: CPUID
leaf 1 and leaf 4 disagree on the core count (topology_common.c,
parse_legacy) and, on skylake_x, the XSAVE sizes (xstate.c,
fpu__init_system_xstate). With --plant, the run must fail instead, with
the planted error named in the report."""
import argparse
import importlib.util
import os
import re
import sys

BOCHS_WARNINGS = [
    r"at arch/x86/kernel/cpu/topology_common\.c:\d+ parse_legacy\+",
    r"at arch/x86/kernel/fpu/xstate\.c:\d+ fpu__init_system_xstate\+",
]
PLANT_SIGNS = {
    "memtype7": r"EPT misconfiguration at .*reserved memory type",
    "wonly": r"EPT misconfiguration at .*write without read",
    "noinvept": r"a flush is owed at VM entry",
}


def here(*parts):
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), *parts)


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, here(path))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def drop_known_warnings(console):
    """The console without the accepted warnings' blocks (from 'cut here'
    to 'end trace'); returns it and the warnings dropped."""
    out, dropped, skip = [], [], False
    lines = console.splitlines()
    for i, line in enumerate(lines):
        if "------------[ cut here ]------------" in line:
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if any(re.search(p, nxt) for p in BOCHS_WARNINGS):
                skip = True
                dropped.append(nxt.strip())
                continue
        if skip:
            if re.search(r"---\[ end trace [0-9a-f]+ \]---", line):
                skip = False
            continue
        out.append(line)
    return "\n".join(out), dropped


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", default="demo-vmx")
    ap.add_argument("--plant", choices=sorted(PLANT_SIGNS))
    ap.add_argument("log")
    args = ap.parse_args()

    with open(args.log, errors="replace") as f:
        console = f.read()
    console, dropped = drop_known_warnings(console)
    problems = load("ktap_check", "ktap-check.py").console_problems(console)
    report = [m.group(1) for m in re.finditer(r"axas_vmx: (.*)", console)]
    for line in report:
        print("  " + line)
    for w in dropped:
        print("  (accepted Bochs boot warning: %s)" % w)
    judge = load("demo_check", "demo-check.py")
    passed, failed, skipped = judge.count_scenarios(report, problems)
    judge.check_shutdown(report, problems)
    if args.plant:
        sign = [l for l in report if re.search(PLANT_SIGNS[args.plant], l)]
        if sign:
            print("%s: the planted %s error was caught: %s" %
                  (args.label, args.plant, sign[0].strip()))
        else:
            problems.append("the planted %s error was not caught" % args.plant)
    return judge.conclude(args.label, problems, passed, failed, skipped)


if __name__ == "__main__":
    sys.exit(main())
