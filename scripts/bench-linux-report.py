#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench-linux-report.py - the figures of scripts/bench-linux.sh.

  parse LOG FRAMES PREFILL RUN   one boot's report (the sample VMM's lines
                                 in the host's console) as a JSON line
  summary JSONL                  medians (min..max) per frame size and
                                 mode, and the goal: less time in faults
                                 with prefill=1 than with prefill=0
"""
import json
import re
import statistics
import sys

LINES = {
    "boot_ms": r"linux: boot to the result line: (\d+) ms; the run: (\d+) ms",
    "npf": r"linux: nested faults: (\d+) in RAM \(faults installed (\d+)",
    "axas": r"linux: axas calls on the vCPU's path: (\d+), (\d+) ms of the run's (\d+) ms",
    "fault": r"linux: nested faults in RAM took (\d+) ms in axas_fault\(\); "
             r"frames zeroed ahead while the guest halted: (\d+) in (\d+) ms",
    "result": r"axas_svm: RESULT (\w+)",
}


def parse(log, frames, prefill, run):
    text = open(log, errors="replace").read()
    m = {k: re.search(v, text) for k, v in LINES.items()}
    missing = [k for k, v in m.items() if not v]
    if missing or m["result"].group(1) != "PASS":
        print("bench-linux: %s: %s" % (log, "no line for " + ", ".join(missing)
                                       if missing else "RESULT " + m["result"].group(1)),
              file=sys.stderr)
        return 1
    print(json.dumps({
        "frames": frames, "prefill": int(prefill), "run": int(run),
        "boot_ms": int(m["boot_ms"].group(1)), "run_ms": int(m["boot_ms"].group(2)),
        "npf_ram": int(m["npf"].group(1)), "faults_installed": int(m["npf"].group(2)),
        "axas_calls": int(m["axas"].group(1)), "axas_ms": int(m["axas"].group(2)),
        "fault_ms": int(m["fault"].group(1)), "prefill_frames": int(m["fault"].group(2)),
        "prefill_ms": int(m["fault"].group(3)),
    }))
    return 0


def spread(v):
    return "%g (%g..%g)" % (statistics.median(v), min(v), max(v))


def summary(path):
    boots = [json.loads(l) for l in open(path) if l.strip()]
    ret = 0
    cols = ("boot_ms", "fault_ms", "axas_ms", "run_ms", "faults_installed",
            "prefill_frames", "prefill_ms")
    print("%-4s %-8s %5s  %s" % ("RAM", "prefill", "boots",
                                 "  ".join("%-22s" % c for c in cols)))
    for frames in ("4K", "2M"):
        med = {}
        for prefill in (1, 0):
            b = [x for x in boots if x["frames"] == frames and x["prefill"] == prefill]
            if not b:
                continue
            med[prefill] = statistics.median(x["fault_ms"] for x in b)
            print("%-4s %-8s %5d  %s" % (frames, prefill, len(b), "  ".join(
                "%-22s" % spread([x[c] for x in b]) for c in cols)))
        if len(med) < 2:
            print("bench-linux: %s: a mode has no boot" % frames)
            ret = 1
            continue
        met = med[1] < med[0]
        print("%s: time in faults with prefill %g ms, without %g ms: %.2fx, goal < 1: %s"
              % (frames, med[1], med[0], med[1] / med[0] if med[0] else 0,
                 "met" if met else "MISSED"))
    return ret


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "parse":
        return parse(*sys.argv[2:])
    if len(sys.argv) == 3 and sys.argv[1] == "summary":
        return summary(sys.argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
