#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge a test kernel's console: KUnit results through the kernel tree's
own tools/testing/kunit/kunit.py parse, plus the reports that fail a run
even when every test passed. Prints 'N passed, N failed, N skipped' last
and exits non-zero on any failure."""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

REPORTS = [
    r"BUG:", r"WARNING:", r"Oops", r"KASAN", r"Call Trace",
    r"possible circular locking", r"inconsistent lock state",
    r"suspicious RCU usage", r"possible recursive locking",
    r"general protection fault", r"Kernel panic", r"UBSAN",
    r"soft lockup", r"hard LOCKUP", r"detected stall", r"self-detected stall",
    r"blocked for more than",
    r"AXAS-INSMOD-FAILED", r"AXAS-RMMOD-FAILED", r"AXAS-WAIT-TIMEOUT",
]


def console_problems(console):
    """What fails a run whatever the tests say: kernel reports, no end
    marker, table pages or spaces left live once the modules that used
    axas were unloaded."""
    problems = []
    for pat in REPORTS:
        for line in console.splitlines():
            if re.search(pat, line):
                problems.append("console: " + line.strip())
                break
    if "AXAS-DONE" not in console:
        problems.append("the run did not reach its end (crash or timeout)")
    m = re.search(r"AXAS-LIVE-TABLES (\d+)", console)
    if not m:
        problems.append("no table-page count reported")
    elif m.group(1) != "0":
        problems.append("%s table pages live after the modules ran" % m.group(1))
    m = re.search(r"AXAS-LIVE-SPACES (\d+)", console)
    if m and m.group(1) != "0":
        problems.append("%s spaces live after the modules ran" % m.group(1))
    return problems


def count(group, totals, suites):
    for case in group.get("test_cases", []):
        status = case.get("status", "FAIL")
        key = {"PASS": "passed", "SKIP": "skipped"}.get(status, "failed")
        totals[key] += 1
    for sub in group.get("sub_groups", []):
        count(sub, totals, suites)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ksrc", required=True)
    ap.add_argument("--label", default="")
    ap.add_argument("--expect", help="file with one expected suite per line")
    ap.add_argument("log")
    args = ap.parse_args()

    with open(args.log, errors="replace") as f:
        console = f.read()
    problems = console_problems(console)

    # The kernel's built-in KUnit prints an empty plan at boot; the suites'
    # KTAP document starts once the initramfs runs.
    ktap = console.split("AXAS-BOOTED", 1)[-1]
    kunit = os.path.join(args.ksrc, "tools/testing/kunit/kunit.py")
    with tempfile.NamedTemporaryFile(suffix=".json") as js, \
            tempfile.NamedTemporaryFile("w", suffix=".log") as lg:
        lg.write(ktap)
        lg.flush()
        res = subprocess.run([sys.executable, kunit, "parse",
                              "--json=" + js.name, lg.name],
                             capture_output=True, text=True)
        sys.stdout.write(res.stdout)
        sys.stdout.write(res.stderr)
        try:
            with open(js.name) as f:
                data = json.load(f)
        except (OSError, ValueError):
            data = {}
    if res.returncode:
        problems.append("kunit.py parse reports failures")

    totals = {"passed": 0, "failed": 0, "skipped": 0}
    count(data, totals, None)
    suites = [g.get("name") for g in data.get("sub_groups", [])]
    if args.expect:
        with open(args.expect) as f:
            want = [l.strip() for l in f if l.strip() and not l.startswith("#")]
        for s in want:
            if s not in suites:
                problems.append("suite %s did not run" % s)
    if totals["passed"] + totals["failed"] == 0:
        problems.append("no test ran")

    label = args.label + ": " if args.label else ""
    for p in problems:
        print("%sFAIL: %s" % (label, p))
    if problems and not totals["failed"]:
        totals["failed"] = 1 if totals["passed"] == 0 else totals["failed"]
    line = "%d passed, %d failed, %d skipped" % (
        totals["passed"], totals["failed"], totals["skipped"])
    print(("%s " % args.label if args.label else "") + "suites: " +
          ", ".join(s for s in suites if s))
    print(line)
    return 1 if problems or totals["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
