#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge a console of the sample VMM (samples/core on samples/svm, or on
another arch with --module): print its report, then
'N passed, N failed, N skipped' over its scenarios (skipped: a scenario
the CPU's table format cannot show, with its reason). Fails on a failed or
missing scenario, no closing RESULT PASS, a host paging depth other than
--levels, or anything ktap-check.py's console checks catch. With
--gig-frames, scenario 7 must have run on a lazy area of 1 GiB frames
(the sample's gig_frames=1) and taken one frame of 262144 pages."""
import argparse
import importlib.util
import os
import re
import sys


def nr_scenarios():
    """NR_SCENARIOS from the sample's guest.h, which the VMM reports."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "..", "samples", "core", "guest.h")
    with open(path) as f:
        return int(re.search(r"#define NR_SCENARIOS\s+(\d+)",
                             f.read()).group(1))


def load_ktap_check():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "ktap-check.py")
    spec = importlib.util.spec_from_file_location("ktap_check", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def count_scenarios(report, problems):
    """(passed, failed, skipped) over the scenario lines of @report; a
    scenario not reported, or no closing RESULT PASS, is added to
    @problems (a missing scenario counts as failed)."""
    passed = failed = skipped = 0
    seen = set()
    for line in report:
        m = re.match(r"\[(\d+)\] .* (PASS|FAIL|SKIP)  exits", line)
        if m and m.group(1) != "0":
            seen.add(int(m.group(1)))
            if m.group(2) == "PASS":
                passed += 1
            elif m.group(2) == "SKIP":
                skipped += 1
            else:
                failed += 1
    for n in range(1, nr_scenarios() + 1):
        if n not in seen:
            problems.append("scenario %d not reported" % n)
            failed += 1
    if not any(l.startswith("RESULT PASS") for l in report):
        problems.append("no RESULT PASS")
    return passed, failed, skipped


def conclude(label, problems, passed, failed, skipped):
    """Print @problems and the counts (a problem fails the run even when
    no scenario failed); the exit status."""
    for p in problems:
        print("%s: FAIL: %s" % (label, p))
    if problems and not failed:
        failed = 1
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if problems or failed else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--levels", type=int, required=True)
    ap.add_argument("--label", default="demo")
    ap.add_argument("--gig-frames", action="store_true")
    ap.add_argument("--module", default="axas_svm",
                    help="the sample module whose report lines to read")
    ap.add_argument("log")
    args = ap.parse_args()

    with open(args.log, errors="replace") as f:
        console = f.read()
    problems = load_ktap_check().console_problems(console)
    report = [m.group(1) for m in
              re.finditer(re.escape(args.module) + r": (.*)", console)]
    for line in report:
        print("  " + line)

    passed, failed, skipped = count_scenarios(report, problems)
    host = [l for l in report if l.startswith("host: ")]
    want = "host: %d-level paging" % args.levels
    if not host or not host[0].startswith(want):
        problems.append("expected a %d-level host" % args.levels)
    if args.gig_frames:
        gig = [l for l in report
               if re.match(r"\[7\] lazy area of 1 GiB frames +PASS", l)]
        frame = [l for l in report
                 if l.strip().startswith("one frame of 262144 pages")]
        if not gig or not frame:
            problems.append("scenario 7 did not take a 1 GiB frame")
    return conclude(args.label, problems, passed, failed, skipped)


if __name__ == "__main__":
    sys.exit(main())
