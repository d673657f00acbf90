#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh - run the SVM sample (samples/svm) on axas: build axas.ko and
# axas_svm.ko against the cached x86_64 test kernel, then boot it in QEMU
# (TCG with SVM and nested paging emulated) twice: on a 4-level host and
# on a 5-level host (la57), where nested paging walks 5 levels too. The
# kernel reserves [1 GiB, 2 GiB) with memmap= for the linear scenarios
# and zeroes freed pages (init_on_free=1), so that a guest reading a frame
# axas freed too early sees it.
# Prints each run's report and ends with 'N passed, N failed, N skipped'
# over the scenarios of both runs; exits non-zero unless all passed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
. "$here/stage.sh"

start=$SECONDS
kdir=$("$here/kernel.sh" x86_64) || exit 1
work="$AXAS_CACHE/demo"
mkdir -p "$work"
if ! axas_build "$work/src" "$kdir" x86_64 AXAS_SAMPLES=m; then
	echo "demo: the build failed or warned"
	exit 1
fi
resv=0x40000000
"$here/initramfs.sh" "$work/initramfs.cpio" reboot "$work/src/axas.ko" \
	"$work/src/samples/svm/axas_svm.ko resv_base=$resv resv_size=$resv" || exit 1

fail=0 passed=0 failed=0
for levels in 4 5; do
	cpu=qemu64,+svm,+npt,+pdpe1gb
	[ $levels = 5 ] && cpu=$cpu,+la57
	log="$work/console-$levels.log"
	echo "demo: $levels-level host: QEMU -cpu $cpu, memmap=1G\$$resv init_on_free=1 (log: $log)"
	t=$SECONDS
	AXAS_QEMU_CPU=$cpu "$here/boot.sh" x86_64 "$kdir" "$work/initramfs.cpio" \
		"$log" "${AXAS_BOOT_TIMEOUT:-600}" 3G "memmap=1G\$$resv" init_on_free=1
	rc=$?
	[ $rc = 124 ] && echo "demo: $levels-level run timed out"
	out=$(python3 "$here/demo-check.py" --levels $levels \
		--label "demo $levels-level" "$log")
	[ $? = 0 ] || fail=1
	echo "$out"
	echo "demo: $levels-level run took $((SECONDS - t)) s (boot included)"
	line=$(echo "$out" | tail -1)
	read -r p _ f _ <<< "${line//,/}"
	passed=$((passed + p)) failed=$((failed + f))
done
echo "demo: finished in $((SECONDS - start)) s"
echo "$passed passed, $failed failed, 0 skipped"
exit $fail
