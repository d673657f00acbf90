#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge a console of the SVM sample VMM booting Linux (guest=linux): print
the report (the guest's console lines left out but the ones the report
names), then 'N passed, N failed, N skipped' for the one run. It passes
when the report closes with RESULT PASS, the guest printed the --expect
line and powered off, the guest's console has no kernel report, the
space's shutdown left no frame and only its root, and the host's console
has nothing ktap-check.py's console checks catch (a kernel report, table
pages or spaces left once the modules were unloaded, no end marker).

With --ramfile, the guest's RAM was a memory file: it passes only if, on
top, the host's axas-vmm-ram found the guest's marker in the RAM file and
checked the shared memory (AXAS-VMM-RAM PASS, AXAS-RUN-EXIT 0), the guest
read the host's answer in its buffer, the VMM checked the shared memory
both ways, and the report has the RAM file's line.

With --stopped, the run is the test of unloading the sample while its
guest boots: it passes when the guest's console had begun, the report
closes with RESULT STOPPED, the space held frames when the unload began
(AXAS-SPACE), its shutdown left no frame and only its root, and the host's
console checks pass."""
import argparse
import importlib.util
import os
import re
import sys

GUEST = "linux: guest: "


def load_ktap_check():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "ktap-check.py")
    spec = importlib.util.spec_from_file_location("ktap_check", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", default="linux")
    ap.add_argument("--module", default="axas_svm")
    ap.add_argument("--expect", required=True)
    ap.add_argument("--stopped", action="store_true")
    ap.add_argument("--ramfile", action="store_true")
    ap.add_argument("log")
    args = ap.parse_args()

    with open(args.log, errors="replace") as f:
        console = f.read()
    prefix = args.module + ": "
    # The guest's console goes through the host's: judged apart.
    host = "\n".join(l for l in console.splitlines()
                     if prefix + GUEST not in l)
    guest = [l.split(prefix + GUEST, 1)[1] for l in console.splitlines()
             if prefix + GUEST in l]
    ktap = load_ktap_check()
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
