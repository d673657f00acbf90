#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge a console of the sample VMM (samples/core on samples/svm, or on
another arch with --module): print its report, then
'N passed, N failed, N skipped' over its scenarios (skipped: a scenario
the CPU's table format cannot show, with its reason). Fails on a failed or
missing scenario, no closing RESULT PASS, a host paging depth other than
--levels, a space that kept frames after its shutdown, or anything
ktap-check.py's console checks catch (among them table pages or spaces
left once the sample was unloaded). With --gig-frames, scenario 7 must
have run on a lazy area of 1 GiB frames (the sample's gig_frames=1) and
taken one frame of 262144 pages. With --arch-exits N, the plumbing must
have handled N exits itself (the guest's EFER read and write).

With --stopped N, the run is the test of unloading the sample while its
guest runs (race_rounds=0 keeps scenario N going until then): it counts
as one test, which passes when the scenarios before N passed, scenario N
reports that the module's unload stopped it, none after it ran, the report
closes with RESULT STOPPED, the space held frames while the guest ran
(AXAS-SPACE before the unload) and none after its shutdown, and the
console checks pass."""
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


def count_scenarios(report, problems, status=None, result="RESULT PASS"):
    """(passed, failed, skipped) over the scenario lines of @report; a
    scenario not reported, or no closing line starting with @result (when
    given), is added to @problems (a missing scenario counts as failed).
    @status, when given, gets each scenario's (PASS|FAIL|SKIP, the line
    after its own)."""
    passed = failed = skipped = 0
    seen = set()
    for i, line in enumerate(report):
        m = re.match(r"\[(\d+)\] .* (PASS|FAIL|SKIP)  exits", line)
        if m and m.group(1) != "0":
            seen.add(int(m.group(1)))
            if status is not None:
                why = report[i + 1].strip() if i + 1 < len(report) else ""
                status[int(m.group(1))] = (m.group(2), why)
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
    if result and not any(l.startswith(result) for l in report):
        problems.append("no " + result)
    return passed, failed, skipped


def check_shutdown(report, problems):
    """The space must have given back every frame at its shutdown."""
    if not any(re.match(r"after shutdown: 0 frames, 1 table pages", l)
               for l in report):
        problems.append("no 'after shutdown: 0 frames, 1 table pages' line")


def conclude(label, problems, passed, failed, skipped):
    """Print @problems and the counts (a problem fails the run even when
    no scenario failed); the exit status."""
    for p in problems:
        print("%s: FAIL: %s" % (label, p))
    if problems and not failed:
        failed = 1
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if problems or failed else 0


def judge_stopped(args, console, report, status, problems):
    """The unload test: one test, passed or failed."""
    n = args.stopped
    for k in range(1, nr_scenarios() + 1):
        st, why = status.get(k, ("", ""))
        if k < n and st != "PASS":
            problems.append("scenario %d did not pass before the stop" % k)
        if k == n and not (st == "FAIL" and
                           why.startswith("stopped: the module was unloaded")):
            problems.append("scenario %d does not say the unload stopped it"
                            % k)
        if k > n and why != "did not run":
            problems.append("scenario %d ran after the stop" % k)
    if not any(l.startswith("RESULT STOPPED (unloaded during scenario %d;"
                            % n) for l in report):
        problems.append("no RESULT STOPPED during scenario %d" % n)
    # The space was live, with frames, when the unload began.
    space = re.search(r"AXAS-SPACE \S+: areas \d+ frames (\d+)", console)
    if not space or space.group(1) == "0":
        problems.append("no live space with frames before the unload")
    for p in problems:
        print("%s: FAIL: %s" % (args.label, p))
    print("%s: the unload stopped the guest in scenario %d: %s"
          % (args.label, n, "PASS" if not problems else "FAIL"))
    print("%d passed, %d failed, 0 skipped"
          % (0 if problems else 1, 1 if problems else 0))
    return 1 if problems else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--levels", type=int, required=True)
    ap.add_argument("--label", default="demo")
    ap.add_argument("--gig-frames", action="store_true")
    ap.add_argument("--module", default="axas_svm",
                    help="the sample module whose report lines to read")
    ap.add_argument("--arch-exits", type=int)
    ap.add_argument("--stopped", type=int, metavar="N")
    ap.add_argument("log")
    args = ap.parse_args()

    with open(args.log, errors="replace") as f:
        console = f.read()
    problems = load_ktap_check().console_problems(console)
    report = [m.group(1) for m in
              re.finditer(re.escape(args.module) + r": (.*)", console)]
    for line in report:
        print("  " + line)

    status = {}
    passed, failed, skipped = count_scenarios(
        report, problems, status, None if args.stopped else "RESULT PASS")
    check_shutdown(report, problems)
    if args.arch_exits is not None:
        m = [re.search(r", arch (\d+)\)", l) for l in report
             if l.startswith("total: ")]
        if not m or not m[0] or int(m[0].group(1)) != args.arch_exits:
            problems.append("expected %d exits handled by the plumbing"
                            % args.arch_exits)
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
    if args.stopped:
        return judge_stopped(args, console, report, status, problems)
    return conclude(args.label, problems, passed, failed, skipped)


if __name__ == "__main__":
    sys.exit(main())
