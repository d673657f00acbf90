#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh [um] [x86_64] - run the benchmark module in the non-debug UML
# kernel (kernel code at native speed) and in QEMU x86_64 (TCG, two CPUs),
# print its table and write its figures, one JSON object a line, to
# build/bench-<arch>.jsonl. AXAS_BENCH_SHORT=1 runs small sizes and
# judges no figure against its goal (judge=0): what `make check` does to
# keep every figure building and running, at sizes where one run's ratio
# says little; it fails when a figure could not be measured.
# AXAS_BENCH_ARGS adds module parameters (size_mb=, runs=, ...). Guests
# get 6 GiB (QEMU 8: its PCI hole and firmware take some): the scaling
# figures populate 4 GiB, and the full mode touches all of it once before
# measuring (the short mode does not: the host backs only what it uses).
# Exits non-zero when the benchmark did not run to its end or the console
# shows a kernel report; figures that miss their goal are reported, not
# failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/common.sh"
. "$here/stage.sh"

archs=("$@")
[ ${#archs[@]} -gt 0 ] || archs=(um x86_64)
args=""
short=${AXAS_BENCH_SHORT:-0}
# Two runs: each side of a figure goes first once.
[ "$short" = 1 ] &&
	args="size_mb=16 runs=2 faults=4096 lookups=20000 scale_max_mb=64 prefault=0 judge=0"
args="$args ${AXAS_BENCH_ARGS:-}"
args=${args# }
mkdir -p "$top/build"
fail=0

for arch in "${archs[@]}"; do
	kdir=$("$here/kernel.sh" "$arch" bench)
	work="$AXAS_CACHE/bench-$arch"
	mkdir -p "$work"
	if ! axas_build "$work/src" "$kdir" "$arch" AXAS_BENCH=m; then
		echo "bench.sh: $arch: build failed or warned"
		fail=1
		continue
	fi
	halt=poweroff
	[ "$arch" = x86_64 ] && halt=reboot
	"$here/initramfs.sh" "$work/initramfs.cpio" "$halt" "$work/src/axas.ko" \
		"$work/src/bench/axas_bench.ko $args"
	log="$work/console.log"
	start=$SECONDS
	set +e
	if [ "$arch" = um ]; then
		# UML backs every page of a vmalloc area with one host mapping:
		# the vzalloc and vmalloc_to_page anchors of 1 GiB need more
		# than the default 65530. Raised for the run, then restored.
		maps=$(cat /proc/sys/vm/max_map_count)
		[ "$(id -u)" = 0 ] && [ "$maps" -lt 1048576 ] &&
			echo 1048576 > /proc/sys/vm/max_map_count
		"$here/boot.sh" um "$kdir" "$work/initramfs.cpio" "$log" 1800 6G
		[ "$(id -u)" = 0 ] && echo "$maps" > /proc/sys/vm/max_map_count
	else
		"$here/boot.sh" x86_64 "$kdir" "$work/initramfs.cpio" "$log" 2400 8G
	fi
	set -e
	out="$top/build/bench-$arch.jsonl"
	grep -o 'AXAS-BENCH {.*}' "$log" | sed 's/^AXAS-BENCH //' > "$out" || true
	echo "== axas_bench on $arch ($((SECONDS - start)) s, ${args:-full size}) =="
	sed -n '/axas_bench: size /,/AXAS-BENCH-DONE/p' "$log" |
		grep -v 'AXAS-BENCH' | sed 's/^.*axas_bench: //'
	echo "figures: $out"
	if ! grep -q AXAS-BENCH-DONE "$log"; then
		echo "bench.sh: $arch: the benchmark did not finish"
		fail=1
	elif [ "$short" = 1 ] &&
		! grep -qE 'axas_bench: figures: [0-9]+ reported, 0 failed' "$log"; then
		echo "bench.sh: $arch: a figure failed"
		fail=1
	fi
	if grep -nE "BUG:|WARNING:|Oops|Call Trace|Kernel panic|AXAS-INSMOD-FAILED|ran out of memory" "$log"; then
		echo "bench.sh: $arch: kernel reports on the console"
		fail=1
	fi
done
exit $fail
