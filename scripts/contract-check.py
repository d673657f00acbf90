#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""contract-check.py TOP - the callback contract, stated once, checked twice.

Every function exported by axas.ko and declared in include/axas/axas.h,
include/axas/walk.h or include/axas/memfile.h states in the Context: of its kernel-doc (in the header)
the lock it takes ("takes the space lock exclusively", "... shared", "takes
no lock", or the pin's lock) and the callbacks it may call ("calls the pin
callbacks", "... the flush callback", or "calls no callback"). The KUnit
suite axas_contract measures the callbacks each makes (kunit/contract_test.c,
one AXC() row each). This fails when a function has no row or no statement,
or when a row and its statement disagree on the flush or the pin callbacks,
and when the lists of callers in the docs of axas_flush_fn and axas_pin_fn
are not the functions the rows say call them.
"""
import glob
import os
import re
import sys

LOCKS = ("takes the space lock exclusively", "takes the space lock shared",
         "takes no lock", "takes the pin's lock", "releases the pin's lock",
         "takes the file's lock", "takes no lock of a space")


def main():
    top = sys.argv[1]
    exported = set()
    for f in glob.glob(os.path.join(top, "*", "*.c")):
        if "/kunit/" in f or "/samples/" in f or "/bench/" in f:
            continue
        exported |= set(re.findall(r"EXPORT_SYMBOL_NS_GPL\((\w+), AXAS_NS\)",
                                   open(f).read()))
    ctx = {}
    for h in ("include/axas/axas.h", "include/axas/walk.h",
              "include/axas/memfile.h"):
        text = open(os.path.join(top, h)).read()
        for m in re.finditer(r"/\*\*\n \* (\w+)\(\) - (.*?)\*/", text, re.S):
            c = re.search(r" \* Context:(.*?)(?= \* Return:|\Z)", m.group(2), re.S)
            body = " ".join(c.group(1).replace(" *", "").split()) if c else None
            ctx[m.group(1)] = body
    rows = {}
    src = open(os.path.join(top, "kunit/contract_test.c")).read()
    for m in re.finditer(r"^\s*AXC\((\w+),\s*([^,]+),", src, re.M):
        rows[m.group(1)] = m.group(2)
    bad = []
    names = sorted(n for n in ctx if n in exported)
    for n in names:
        c = ctx[n]
        if c is None:
            bad.append("%s: no Context: in its kernel-doc" % n)
            continue
        if not any(lock in c for lock in LOCKS):
            bad.append("%s: its Context: names no lock (%s)" % (n, c))
        said_flush = "flush callback" in c and "calls no callback" not in c
        said_pin = "pin callback" in c and "calls no callback" not in c
        if not (said_flush or said_pin or "calls no callback" in c):
            bad.append("%s: its Context: says no callbacks, not even 'calls no callback'" % n)
        if n not in rows:
            bad.append("%s: no row in kunit/contract_test.c" % n)
            continue
        row = rows[n]
        if ("CB_FLUSH" in row) != said_flush:
            bad.append("%s: the KUnit contract %s the flush callback, the docs %s" %
                       (n, "lists" if "CB_FLUSH" in row else "does not list",
                        "do" if said_flush else "do not"))
        if ("CB_PIN" in row) != said_pin:
            bad.append("%s: the KUnit contract %s the pin callbacks, the docs %s" %
                       (n, "lists" if "CB_PIN" in row else "does not list",
                        "do" if said_pin else "do not"))
    # The callbacks' own docs list their callers once more, for the VMM
    # author who reads the typedef first: the same sets.
    text = open(os.path.join(top, "include/axas/axas.h")).read()
    for cb, typedef, what in (("CB_FLUSH", "axas_flush_fn", "flush callback"),
                              ("CB_PIN", "axas_pin_fn", "pin callbacks")):
        # From "The functions that may call it" to "It runs in process
        # context", in the comment right above the typedef.
        m = re.search(r" \* The functions that may call it say so"
                      r"((?:(?!\*/).)*?)It runs in process context"
                      r"(?:(?!\*/).)*\*/\ntypedef [^;]*\(\*" + typedef + r"\)",
                      text, re.S)
        if not m:
            bad.append("%s: its doc lists no callers" % typedef)
            continue
        listed = set(re.findall(r"(\w+)\(\)", m.group(1))) & set(names)
        measured = set(n for n in names if n in rows and cb in rows[n])
        for n in sorted(measured - listed):
            bad.append("%s: calls the %s (KUnit), but %s's list of callers "
                       "leaves it out" % (n, what, typedef))
        for n in sorted(listed - measured):
            bad.append("%s: in %s's list of callers, but the KUnit contract "
                       "says it calls no %s" % (n, typedef, what))
    for n in sorted(set(rows) - set(names)):
        bad.append("%s: a row in kunit/contract_test.c, but no such exported function" % n)
    for b in bad:
        print("contract: " + b)
    if bad:
        return 1
    print("contract: %d functions: lock and callbacks stated, as the KUnit "
          "contract measures them" % len(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
