#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kunit.sh um|x86_64 - build axas and its KUnit suites against the cached
# test kernel, boot it (UML directly, x86_64 in QEMU/TCG with SVM+NPT and
# two CPUs), load the modules and judge the console with ktap-check.py.
# Extra insmod arguments for axas_kunit come from $AXAS_KUNIT_ARGS.
set -euo pipefail
arch=${1:?usage: kunit.sh um|x86_64}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
. "$here/stage.sh"

kdir=$("$here/kernel.sh" "$arch")
src=$(axas_ksrc)
work="$AXAS_CACHE/run-$arch"
mkdir -p "$work"
if ! axas_build "$work/src" "$kdir" "$arch" AXAS_KUNIT=m; then
	echo "kunit.sh: $arch: build failed or warned"
	exit 1
fi

halt=poweroff
[ "$arch" = x86_64 ] && halt=reboot
"$here/initramfs.sh" "$work/initramfs.cpio" "$halt" "$work/src/axas.ko" \
	"$work/src/kunit/axas_kunit.ko ${AXAS_KUNIT_ARGS:-}"

log="$work/console.log"
timeout=${AXAS_BOOT_TIMEOUT:-1500}
start=$SECONDS
echo "kunit.sh: booting $arch (log: $log)"
# 1 GiB alloc frames come from alloc_contig_range(), which needs a naturally
# aligned gigabyte of movable pages: on x86_64, ZONE_MOVABLE gives one (the
# guest's RAM above 4 GiB is [4G, 6G)). UML has no CONTIG_ALLOC.
set +e
case $arch in
um) "$here/boot.sh" um "$kdir" "$work/initramfs.cpio" "$log" "$timeout" 512M ;;
x86_64) "$here/boot.sh" x86_64 "$kdir" "$work/initramfs.cpio" "$log" \
	"$timeout" 5G movablecore=2G ;;
esac
rc=$?
set -e
echo "kunit.sh: $arch ran for $((SECONDS - start)) s (exit $rc)"
[ $rc = 124 ] && echo "kunit.sh: $arch timed out after $timeout s"
python3 "$here/ktap-check.py" --ksrc "$src" --label "$arch" \
	--expect "$here/../kunit/suites.txt" "$log"
