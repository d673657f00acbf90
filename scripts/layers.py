#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""layers.py OBJDIR SRCDIR - the dependency graph of axas.ko's own sources.

Edges come from two places: a file that includes another's header depends
on that file (foo.h stands for foo.c), and an object that uses a symbol
another object defines (nm: U against T/D/B/R) depends on it. The graph
must have no cycle; each file belongs to a layer by its directory, and no
edge may go to a higher layer:

  npt/ (0) -> backend/ and vmm/ (1) -> core/ (2) -> features/ (3)
  -> axas_main.c (4)

The format dispatch inside npt/ is the one cycle allowed: pt.c names the
format descriptions of ept.c and npt.c, which use pt.c's helpers.
Above npt/, no source file may be longer than MAX_LINES.
Prints the graph, then what is wrong; exits 1 if anything is.
"""
import os
import re
import subprocess
import sys

MAX_LINES = 900
LAYERS = {"npt": 0, "backend": 1, "vmm": 1, "core": 2, "features": 3}
ALLOWED_CYCLE = {"npt/pt.c", "npt/ept.c", "npt/npt.c"}


def layer(path):
    top = path.split("/")[0]
    if top in LAYERS:
        return LAYERS[top]
    return 4 if path == "axas_main.c" else None


def kbuild_objects(src):
    text = open(os.path.join(src, "Kbuild")).read().replace("\\\n", " ")
    m = re.search(r"^axas-y\s*:=\s*(.*)$", text, re.M)
    return m.group(1).split()


def nm(path):
    out = subprocess.run(["nm", path], capture_output=True, text=True,
                         check=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TDBRW":
            defined.add(parts[2])
        elif len(parts) == 2 and parts[0] == "U":
            used.add(parts[1])
    return defined, used


def main():
    objdir, src = sys.argv[1], sys.argv[2]
    objs = kbuild_objects(src)
    files = [o[:-2] + ".c" for o in objs]
    defs, uses = {}, {}
    for o, f in zip(objs, files):
        defs[f], uses[f] = nm(os.path.join(objdir, o))
    owner = {}
    for f in files:
        for s in defs[f]:
            owner[s] = f
    edges = {f: set() for f in files}
    why = {}
    for f in files:
        for s in uses[f]:
            g = owner.get(s)
            if g and g != f:
                edges[f].add(g)
                why.setdefault((f, g), s)
    # #include "x.h" of another file's header: an edge to x.c.
    for f in files:
        for line in open(os.path.join(src, f)):
            m = re.match(r'\s*#\s*include\s+"([^"]+)\.h"', line)
            if not m:
                continue
            target = os.path.normpath(os.path.join(os.path.dirname(f),
                                                   m.group(1) + ".c"))
            if target in edges and target != f:
                edges[f].add(target)
                why.setdefault((f, target), "#include")
    bad = []
    for f in sorted(files):
        print("%-22s -> %s" % (f, " ".join(sorted(edges[f])) or "-"))
    # Layers.
    for f in files:
        if layer(f) is None:
            bad.append("%s: in no layer" % f)
            continue
        for g in edges[f]:
            if layer(g) is not None and layer(g) > layer(f):
                bad.append("%s -> %s (%s): calls a higher layer" %
                           (f, g, why[(f, g)]))
    # Cycles (Tarjan), the format dispatch inside npt/ excepted.
    index, low, stack, on, sccs = {}, {}, [], set(), []

    def strong(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on.discard(w)
                scc.append(w)
                if w == v:
                    break
            sccs.append(scc)

    sys.setrecursionlimit(10000)
    for f in files:
        if f not in index:
            strong(f)
    for scc in sccs:
        if len(scc) > 1 and not set(scc) <= ALLOWED_CYCLE:
            bad.append("cycle: " + " ".join(sorted(scc)))
    # Sizes.
    for f in files:
        if layer(f) in (None, 0):
            continue
        n = sum(1 for _ in open(os.path.join(src, f)))
        if n > MAX_LINES:
            bad.append("%s: %d lines (above %d)" % (f, n, MAX_LINES))
    for b in bad:
        print("layers: " + b)
    if bad:
        return 1
    print("layers: %d files, no cycle, every call downward" % len(files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
