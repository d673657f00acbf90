#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# docs.sh - `make docs`: render Documentation/ to build/docs/html with Sphinx
# and the kernel-doc extension of the 6.12 source tree (axas_ksrc), and fail
# on any of:
#   - a Sphinx warning (sphinx-build -W), a kernel-doc warning in a rendered
#     file (KDOC_WERROR), or one of `kernel-doc -Wall` in any file with a
#     kernel-doc comment (missing Return:, short description, ...);
#   - a function, struct, enum or typedef of the public headers without an
#     entry, or a macro or enumerator that the pages do not name;
#   - an exported function without an entry (.. kernel-doc:: FILE :export:);
#   - a table row with an empty cell, or kernel-doc markup (&struct foo)
#     left as text in a .rst page (scripts/docs-check.py does these three);
#   - an exported function of axas.h, walk.h or memfile.h whose Context: names no lock
#     or states other callbacks (flush, pin) than the axas_contract KUnit
#     suite measures (scripts/contract-check.py).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/common.sh"

src=$(axas_ksrc)
axas_need python3-sphinx
# Debian's Sphinx, for Debian's python3 (not another python3 on PATH).
sphinx=${SPHINXBUILD:-/usr/bin/sphinx-build}
out="$top/build/docs"
fail=0

cd "$top"
# Every file with a kernel-doc comment, rendered or not.
kdoc_files=$(grep -rl --include='*.[ch]' --exclude-dir=.git --exclude-dir=build \
	'^/\*\*$' . | sed 's|^\./||' | sort)
if [ -n "$kdoc_files" ] &&
	! perl "$src/scripts/kernel-doc" -none -Wall -Werror $kdoc_files; then
	echo "docs: kernel-doc -Wall: not clean"
	fail=1
fi

rm -rf "$out"
mkdir -p "$out"
# A fresh build (-E): Sphinx repeats no warning of a page it does not read
# again. kernel-doc exits non-zero on a warning (KDOC_WERROR), which the
# extension turns into a Sphinx warning; its stderr is checked as well.
if ! AXAS_KSRC="$src" KDOC_WERROR=1 "$sphinx" -E -W --keep-going -q -b html \
	-d "$out/doctrees" Documentation "$out/html" 2> "$out/sphinx.log"; then
	fail=1
fi
if [ -s "$out/sphinx.log" ]; then
	cat "$out/sphinx.log"
	fail=1
fi

args=()
for f in include/axas/*.h; do
	args+=(--header "$f")
done
for f in $(grep -rlE --include='*.c' --exclude-dir=.git --exclude-dir=build \
	'^EXPORT_SYMBOL(_NS)?(_GPL)?\(' . | sed 's|^\./||' | sort); do
	args+=(--source "$f")
done
python3 "$here/docs-check.py" --html "$out/html" "${args[@]}" || fail=1
# The callback contract: the docs against the KUnit suite that measures it.
python3 "$here/contract-check.py" "$top" || fail=1

if [ $fail != 0 ]; then
	echo "docs: not clean"
	exit 1
fi
echo "docs: clean ($out/html/index.html)"
