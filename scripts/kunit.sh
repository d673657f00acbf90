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
axas_stage "$work/src"
make -s -C "$kdir" ARCH="$arch" M="$work/src" W=1 AXAS_KUNIT=m modules \
	2> "$work/build.log" || { cat "$work/build.log"; exit 1; }
if grep -q "warning:" "$work/build.log"; then
	cat "$work/build.log"
	echo "kunit.sh: $arch build has warnings"
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
set +e
case $arch in
um)
	timeout -k 10 "$timeout" "$kdir/linux" mem=512M \
		initrd="$work/initramfs.cpio" rdinit=/init con0=fd:0,fd:1 \
		con=null panic=-1 < /dev/null > "$log" 2>&1
	;;
x86_64)
	# 1 GiB alloc frames come from alloc_contig_range(), which needs a
	# naturally aligned gigabyte of movable pages: ZONE_MOVABLE gives one
	# (the guest's RAM above 4 GiB is [4G, 6G)).
	movable="movablecore=2G"
	axas_need qemu-system-x86
	timeout -k 10 "$timeout" qemu-system-x86_64 -machine pc -accel tcg \
		-cpu qemu64,+svm,+npt -smp 2 -m 5G -nodefaults -no-reboot \
		-display none -monitor none -serial "file:$log" \
		-kernel "$kdir/arch/x86/boot/bzImage" \
		-initrd "$work/initramfs.cpio" \
		-append "console=ttyS0 rdinit=/init panic=-1 oops=panic $movable" \
		< /dev/null > "$work/qemu.log" 2>&1
	;;
esac
rc=$?
set -e
echo "kunit.sh: $arch ran for $((SECONDS - start)) s (exit $rc)"
[ $rc = 124 ] && echo "kunit.sh: $arch timed out after $timeout s"
python3 "$here/ktap-check.py" --ksrc "$src" --label "$arch" \
	--expect "$here/../kunit/suites.txt" "$log"
