#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-linux.sh [RUNS] - what a real guest costs in axas, with frames
# zeroed ahead in its idle time and without: Debian's cloud kernel boots
# on the SVM sample's Linux VMM (scripts/demo-linux.sh with the non-debug
# benchmark kernel as the host, QEMU TCG), RUNS times (5 by default) on
# 4 KiB frames and RUNS times on 2 MiB frames with prefill=1 (the VMM
# calls axas_prefill() in the guest's HLT) and prefill=0, the two modes
# alternating and each going first in every other pair. The guest writes
# its 64 MiB in 8 bursts with idle time before each (AXAS_LINUX_BURSTS,
# see demo-linux.sh): a boot under TCG never idles before its workload,
# so a pool filled in HLT could serve no fault of a workload that runs
# right after it. Per boot: the
# nested faults, the time in axas calls against the run's host time, the
# boot time (to the guest's result line), the time in axas_fault(), and
# the frames zeroed ahead. Prints medians with their spread, writes one
# JSON object a boot to build/bench-linux.jsonl, and judges the goal: less
# time in faults with the pool than without (medians), per frame size.
# Exits non-zero when a boot failed; a missed goal is reported, not failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/common.sh"

runs=${1:-5}
export AXAS_LINUX_BURSTS=${AXAS_LINUX_BURSTS:-8}
out="$top/build/bench-linux.jsonl"
mkdir -p "$top/build"
: > "$out"
fail=0
start=$SECONDS
for frames in 4K 2M; do
	for r in $(seq "$runs"); do
		order="1 0"
		[ $((r % 2)) = 0 ] && order="0 1"
		for prefill in $order; do
			if ! AXAS_LINUX_HOST=bench AXAS_LINUX_VMM_ARGS="prefill=$prefill" \
				bash "$here/demo-linux.sh" cloud "$frames" \
				> "$AXAS_CACHE/bench-linux-run.out" 2>&1; then
				echo "bench-linux: cloud $frames prefill=$prefill run $r failed:"
				tail -20 "$AXAS_CACHE/bench-linux-run.out"
				fail=1
				continue
			fi
			python3 "$here/bench-linux-report.py" parse \
				"$AXAS_CACHE/demo-linux-bench/console-linux-cloud-$frames.log" \
				"$frames" "$prefill" "$r" >> "$out" || fail=1
		done
	done
done
echo "== the Linux guest on axas, with and without prefill ($((SECONDS - start)) s) =="
python3 "$here/bench-linux-report.py" summary "$out" || fail=1
echo "boots: $out"
exit $fail
