#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh - run the SVM sample (samples/svm) on axas: build axas.ko and
# axas_svm.ko against the cached x86_64 test kernel, then boot it in QEMU
# (TCG with SVM and nested paging emulated) twice: on a 4-level host and
# on a 5-level host (la57), where nested paging walks 5 levels too (see
# demo-run.sh for the command line). A third, shorter boot unloads the
# sample while its guest runs: race_rounds=0 keeps scenario 8 going (the
# guest reading, another CPU unmapping under it) until the init script
# sees it begin and runs rmmod, which must stop the guest and free it
# (demo-check.py --stopped).
# Prints each run's report and ends with 'N passed, N failed, N skipped'
# over the scenarios of both runs and the unload test; exits non-zero
# unless all passed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
. "$here/stage.sh"
. "$here/demo-run.sh"

start=$SECONDS
kdir=$("$here/kernel.sh" x86_64) || exit 1
demo_work="$AXAS_CACHE/demo"
mkdir -p "$demo_work"
if ! axas_build "$demo_work/src" "$kdir" x86_64 AXAS_SAMPLES=m; then
	echo "demo: the build failed or warned"
	exit 1
fi
demo_initramfs "$demo_work/initramfs.cpio" "$demo_work/src" || exit 1
demo_initramfs "$demo_work/initramfs-stop.cpio" "$demo_work/src" \
	--wait "scenario 8 runs until the module is unloaded" race_rounds=0 ||
	exit 1
for levels in 4 5; do
	demo_boot "demo-$levels" $levels "$kdir" "$demo_work/initramfs.cpio" 3G
done
demo_boot demo-stop 4 "$kdir" "$demo_work/initramfs-stop.cpio" 3G --stopped 8
echo "demo: finished in $((SECONDS - start)) s"
echo "$demo_passed passed, $demo_failed failed, $demo_skipped skipped"
exit $demo_fail
