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
cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 \
	"$run/iso/isolinux/"
cat > "$run/iso/isolinux/isolinux.cfg" <<CFG
default linux
prompt 0
timeout 0
label linux
  kernel /vmlinuz
  append initrd=/initrd console=ttyS0 rdinit=/init panic=-1 oops=panic tsc=reliable init_on_free=1 memmap=1G\$$resv
CFG
xorriso -as mkisofs -quiet -o "$run/boot.iso" -b isolinux/isolinux.bin \
	-c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table \
	"$run/iso" || exit 1

# corei7_haswell_4770: VMX with EPT, EPT A/D, execute-only and 1 GiB EPT
# pages, INVEPT single and all context, VPID, unrestricted guest, a
# 4-level EPT walk (tigerlake and icelake_u advertise MTF, which Bochs 2.7
# ignores; skylake_x warns once more at boot).
cat > "$run/bochsrc" <<RC
megs: 2048
cpu: model=corei7_haswell_4770, count=2, ips=50000000
clock: sync=none, time0=local
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
ata0-master: type=cdrom, path=boot.iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=serial.log
display_library: term
log: bochs.log
panic: action=fatal
speaker: enabled=0
sound: driver=dummy
RC
echo c > "$run/cmds"
rm -f "$run/serial.log"

# The built-in debugger stops at the first instruction without -rc and
# waits for input with stdin open. The guest's reboot -f ends Bochs (the
# debugger reads end-of-file); the end marker ends it too.
t=$SECONDS
echo "$tag: Bochs corei7_haswell_4770, 2 GiB, memmap=1G\$$resv (console: $run/serial.log)"
(cd "$run" && TERM=dumb exec timeout -k 10 "${AXAS_BOCHS_TIMEOUT:-600}" \
	bochs -q -f bochsrc -rc cmds < /dev/null > bochs.out 2>&1) &
pid=$!
trap 'kill "$pid" 2>/dev/null' EXIT
while kill -0 "$pid" 2>/dev/null; do
	if grep -q AXAS-DONE "$run/serial.log" 2>/dev/null; then
		sleep 5
		kill "$pid" 2>/dev/null
		break
	fi
	sleep 1
done
wait "$pid"
rc=$?
[ $rc = 124 ] && echo "$tag: Bochs timed out"
echo "$tag: Bochs ran $((SECONDS - t)) s"
out=$(python3 "$here/demo-vmx-check.py" --label "$tag" ${plant:+--plant "$plant"} \
	"$run/serial.log")
status=$?
echo "$out"
echo "$tag: finished in $((SECONDS - start)) s"
exit $status
