#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh - everything `make check` runs: the build gates, the
# documentation (make docs), KUnit in UML and in QEMU x86_64, the SVM
# sample's scenarios on the test kernel (make demo-svm) and on Debian's
# own kernel (make demo-distro), the VMX sample's under Bochs (make
# demo-vmx), Debian's kernels booted by the SVM sample's VMM (make
# demo-linux), and the benchmark in its short mode. Ends with one line
# 'N passed, N failed, N skipped' summing KUnit and the samples' runs;
# exits non-zero when anything failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
start=$SECONDS
fail=0
passed=0 failed=0 skipped=0

bash "$here/gates.sh" all || fail=1
# Like the gates, no count of its own: a failure fails the run.
bash "$here/docs.sh" || fail=1
# samples/template built against axas installed by make install and dkms.
bash "$here/template.sh" || fail=1

# KUnit in UML and QEMU, then the SVM sample's scenarios in QEMU on the
# test kernel and on Debian's, then the VMX sample's under Bochs, then
# Linux booted by the SVM sample's VMM (one test per boot).
for run in um x86_64 demo demo-distro demo-vmx demo-linux; do
	out="$AXAS_CACHE/check-$run.out"
	case $run in
	demo*) bash "$here/$run.sh" 2>&1 | tee "$out" ;;
	*) bash "$here/kunit.sh" "$run" 2>&1 | tee "$out" ;;
	esac
	[ "${PIPESTATUS[0]}" = 0 ] || fail=1
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$out" | tail -1)
	if [ -z "$line" ]; then
		echo "check: $run: no result line"
		fail=1
		failed=$((failed + 1))
		continue
	fi
	read -r p _ f _ s _ <<< "${line//,/}"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done

# The benchmark in its short mode: not judged on its figures, but it must
# keep building and running.
if ! AXAS_BENCH_SHORT=1 bash "$here/bench.sh"; then
	echo "check: the benchmark (short mode) failed"
	fail=1
fi

echo "check: finished in $((SECONDS - start)) s"
[ $fail = 0 ] || [ $failed != 0 ] || failed=1
echo "$passed passed, $failed failed, $skipped skipped"
exit $fail
