#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo-vmx.sh [--plant memtype7|wonly|noinvept] - run the VMX sample
# (samples/core on samples/vmx) on axas EPT tables under Bochs: build
# axas.ko and axas_vmx.ko against the cached non-debug x86_64 kernel (Bochs
# runs at about 50 MIPS; a debug kernel is several times slower), an
# uncompressed initramfs (the kernel has no gzip initramfs support) and an
# isolinux ISO (Bochs has no direct kernel boot), and boot it headless
# with a CPU model that has VMX, EPT (A/D, execute-only, 1 GiB pages),
# VPID and unrestricted guest; two CPUs (scenario 8 unmaps from the
# other), 2 GiB of which memmap= reserves [1 GiB, 2 GiB) for the linear
# scenarios, init_on_free=1 (scenario 8). Prints the sample's report as
# demo-vmx-check.py judges it and ends with 'N passed, N failed, N
# skipped'; exits non-zero unless all passed.
#
# --plant runs the sample with a planted error (one EPT leaf with memory
# type 7 or write without read, or one INVEPT skipped): the run must fail
# and the report must name the error.
#
# AXAS_BOCHS_TIMEOUT (default 600 s) bounds the Bochs process, which is
# always ended.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
. "$here/stage.sh"
. "$here/bochs.sh"

plant=""
case ${1:-} in
--plant)
	plant=${2:-}
	case $plant in
	memtype7 | wonly | noinvept) ;;
	*) echo "usage: $0 [--plant memtype7|wonly|noinvept]" >&2; exit 2 ;;
	esac
	;;
"") ;;
*) echo "usage: $0 [--plant memtype7|wonly|noinvept]" >&2; exit 2 ;;
esac

axas_need bochs bochs-term bochsbios vgabios isolinux syslinux-common \
	xorriso || exit 1
start=$SECONDS
kdir=$("$here/kernel.sh" x86_64 bench) || exit 1
work="$AXAS_CACHE/demo-vmx"
tag=demo-vmx${plant:+-$plant}
run="$work/$tag"
mkdir -p "$run/iso/isolinux"
if ! axas_build "$work/src" "$kdir" x86_64 AXAS_SAMPLES=m; then
	echo "$tag: the build failed or warned"
	exit 1
fi

# The kernel has no gzip initramfs support: an uncompressed cpio.
resv=0x40000000
"$here/initramfs.sh" "$run/iso/initrd" reboot "$work/src/axas.ko" \
	"wait=axas_vmx: RESULT @$work/src/samples/vmx/axas_vmx.ko resv_base=$resv resv_size=$resv${plant:+ plant=$plant}" ||
	exit 1
cp "$kdir/arch/x86/boot/bzImage" "$run/iso/vmlinuz"
bochs_setup "$run" 2048 2 \
	"initrd=/initrd console=ttyS0 rdinit=/init panic=-1 oops=panic tsc=reliable init_on_free=1 memmap=1G\$$resv" ||
	exit 1

t=$SECONDS
echo "$tag: Bochs corei7_haswell_4770, 2 GiB, memmap=1G\$$resv (console: $run/serial.log)"
trap '[ -n "${bochs_pid:-}" ] && kill "$bochs_pid" 2>/dev/null' EXIT
bochs_run "$run" "${AXAS_BOCHS_TIMEOUT:-600}"
rc=$?
[ $rc = 124 ] && echo "$tag: Bochs timed out"
echo "$tag: Bochs ran $((SECONDS - t)) s"
out=$(python3 "$here/demo-vmx-check.py" --label "$tag" ${plant:+--plant "$plant"} \
	"$run/serial.log")
status=$?
echo "$out"
echo "$tag: finished in $((SECONDS - start)) s"
exit $status
