#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# boot.sh ARCH KDIR INITRAMFS LOG TIMEOUT MEM [CMDLINE...] - boot a test
# kernel with an initramfs and write its console to LOG: UML directly,
# x86_64 in QEMU (TCG, -cpu with svm and npt, two CPUs, exits through
# -no-reboot; KDIR is a build tree or a bzImage/vmlinuz file).
# Exits with the emulator's status (124 on timeout).
# AXAS_QEMU_CPU replaces the -cpu model (default qemu64,+svm,+npt).
# AXAS_QEMU_TCG adds TCG options: thread=single runs both CPUs on one host
# thread in turn, kicking each out of its code at every switch.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

arch=$1 kdir=$2 initramfs=$3 log=$4 timeout=$5 mem=$6
shift 6
case $arch in
um)
	timeout -k 10 "$timeout" "$kdir/linux" mem="$mem" initrd="$initramfs" \
		rdinit=/init con0=fd:0,fd:1 con=null panic=-1 "$@" \
		< /dev/null > "$log" 2>&1
	;;
x86_64)
	axas_need qemu-system-x86 || exit 1
	image=$kdir
	[ -f "$image" ] || image=$kdir/arch/x86/boot/bzImage
	# tsc=reliable: TCG's TSC looks unstable and jiffies are too coarse
	# for the benchmark's clock.
	timeout -k 10 "$timeout" qemu-system-x86_64 -machine pc -accel "tcg${AXAS_QEMU_TCG:+,$AXAS_QEMU_TCG}" \
		-cpu "${AXAS_QEMU_CPU:-qemu64,+svm,+npt}" -smp 2 -m "$mem" -nodefaults -no-reboot \
		-display none -monitor none -serial "file:$log" \
		-kernel "$image" -initrd "$initramfs" \
		-append "console=ttyS0 rdinit=/init panic=-1 oops=panic tsc=reliable $*" \
		< /dev/null > "$log.qemu" 2>&1
	;;
*)
	echo "boot.sh: unknown arch $arch" >&2
	exit 2
	;;
esac
