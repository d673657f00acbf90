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

# The userspace half of the axas_memfile_user suite, which runs it as a
# user-mode helper from /bin of the initramfs: a static x86-64 program
# (the suite runs it in the x86_64 run only; see kunit/memfile_user_test.c).
axas_need gcc libc6-dev
user="$work/axas-memfile-user"
if ! gcc -static -O2 -Wall -Werror -o "$user" \
	"$here/../kunit/user/axas_memfile_user.c"; then
	echo "kunit.sh: $arch: the userspace test program did not build"
	exit 1
fi

# x86_64: memmap= keeps 4 MiB inside a 128 MiB sparsemem section from the
# kernel (struct pages, no direct mapping: axas_boundary_copy_reserved), and
# the KUnit module is loaded in a memory cgroup of 32 MiB
# (axas_boundary_memcg).
resv_base=0x13e00000 resv_size=0x400000
halt=poweroff kunit="$work/src/kunit/axas_kunit.ko ${AXAS_KUNIT_ARGS:-}"
if [ "$arch" = x86_64 ]; then
	halt=reboot
	kunit="memcg=32M:$kunit resv_base=$resv_base resv_size=$resv_size"
	kunit="$kunit memcg_limited=1 memcg_limit_mb=32"
fi
"$here/initramfs.sh" "$work/initramfs.cpio" "$halt" \
	"file=$user:/bin/axas-memfile-user" "$work/src/axas.ko" "$kunit"

log="$work/console.log"
timeout=${AXAS_BOOT_TIMEOUT:-1500}
start=$SECONDS
echo "kunit.sh: booting $arch (log: $log)"
# 1 GiB alloc frames come from alloc_contig_range() over a naturally aligned
# gigabyte of ZONE_NORMAL; the guest's RAM above 4 GiB is [4G, 10G), of
# which movablecore= gives the top 4 GiB to ZONE_MOVABLE (two gigabytes of
# it free of boot-time reservations), where axas must not take them from. UML has no CONTIG_ALLOC. Soft lockups after 2 s and RCU stalls
# after 3 s fail the run (a loop without a reschedule point).
set +e
case $arch in
um) "$here/boot.sh" um "$kdir" "$work/initramfs.cpio" "$log" "$timeout" 512M ;;
x86_64) "$here/boot.sh" x86_64 "$kdir" "$work/initramfs.cpio" "$log" \
	"$timeout" 9G movablecore=4G "memmap=$resv_size\$$resv_base" \
	watchdog_thresh=1 rcupdate.rcu_cpu_stall_timeout=3 ;;
esac
rc=$?
set -e
echo "kunit.sh: $arch ran for $((SECONDS - start)) s (exit $rc)"
[ $rc = 124 ] && echo "kunit.sh: $arch timed out after $timeout s"
python3 "$here/ktap-check.py" --ksrc "$src" --label "$arch" \
	--expect "$here/../kunit/suites.txt" "$log"
