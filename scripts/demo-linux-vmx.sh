#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo-linux-vmx.sh [md5|migrate|migrate-wp|rewind ...] - boot Linux as
# the guest of the VMX sample's VMM (samples/vmx with samples/vmm,
# guest=linux) on axas EPT tables (A/D on) under Bochs, which emulates VMX
# with EPT: the platform and the loader of make demo-linux, on the other
# vendor's plumbing, one vCPU. Each run named is one boot (default: md5).
#
# The host is the non-debug benchmark kernel (Bochs runs at about 50 MIPS;
# a debug kernel is several times slower). The guest is an unmodified
# kernel built from Debian's linux-source-6.12 with a small configuration
# (scripts/configs/guest.config; kernel.sh x86_64 guest): a stock Debian
# kernel took over 12 minutes booted directly under Bochs without reaching
# init, and as a nested guest every exit costs more. Its initramfs
# (busybox) writes a file of a known content into tmpfs, reads it back
# through md5sum, prints one result line and powers off, as make
# demo-linux's ("md5"). "migrate" and "migrate-wp" run linux-churn
# (scripts/linux-churn.c, smaller than make demo-linux's) while the VMM
# migrates the guest into a second space, its dirty log by the EPT's dirty
# flags or, with migrate_wp=1, by write-protection (AXAS_DIRTY_WP);
# "rewind" snapshots it at linux-churn's mark and restores it six times
# (see make demo-linux's runs of the same names and
# Documentation/linux-guest.rst). The host boots from an isolinux ISO (Bochs has no direct
# kernel boot) with an uncompressed initramfs that holds the modules, the
# guest's kernel and its initramfs; CPU model corei7_haswell_4770 (VMX,
# EPT with A/D, VPID, unrestricted guest), one CPU, 1 GiB.
#
# demo-linux-check.py judges each console as make demo-linux's, accepting
# the two boot-time warnings Bochs's CPU models cause in the host
# (demo-vmx-check.py says which). Ends with 'N passed, N failed, N
# skipped'; exits non-zero unless every run passed.
#
# AXAS_BOCHS_TIMEOUT (default 900 s) bounds the Bochs process, which is
# always ended; AXAS_LINUX_CMDLINE adds to the guest's command line.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
. "$here/stage.sh"
. "$here/bochs.sh"

runs=${*:-md5}
mem_mb=128
bytes=$((8 << 20))
pattern=axas-linux-guest
timeout_s=${AXAS_BOCHS_TIMEOUT:-900}
guest_cmdline="quiet loglevel=6 panic=-1 ${AXAS_LINUX_CMDLINE:-}"

axas_need bochs bochs-term bochsbios vgabios isolinux syslinux-common \
	xorriso busybox-static cpio gcc libc6-dev || exit 1
start=$SECONDS
kdir=$("$here/kernel.sh" x86_64 bench) || exit 1
gdir=$("$here/kernel.sh" x86_64 guest) || exit 1
work="$AXAS_CACHE/demo-linux-vmx"
run="$work/run"
mkdir -p "$run/iso/isolinux"
if ! axas_build "$work/src" "$kdir" x86_64 AXAS_SAMPLES=m; then
	echo "demo-linux-vmx: the build failed or warned"
	exit 1
fi

# The guest's initramfs, as make demo-linux's (smaller: Bochs is slow).
md5=$(yes "$pattern" | head -c "$bytes" | md5sum | cut -d' ' -f1)
expect="AXAS-GUEST-RESULT bytes=$bytes md5=$md5"
groot=$(mktemp -d)
trap 'rm -rf "$groot"; [ -n "${bochs_pid:-}" ] && kill "$bochs_pid" 2>/dev/null' EXIT
mkdir -p "$groot"/{bin,dev,proc,sys,tmp}
cp /bin/busybox "$groot/bin/busybox"
# linux-churn for the runs that move the guest: 8 MiB, 256 KiB and a
# sixteenth of the rest rewritten per pass (Bochs is slow).
churn_args="8 256 ${AXAS_CHURN_PASSES:-300}"
churn_seed=11
if ! churn_build "$groot/bin/linux-churn" "$churn_args" $churn_seed; then
	echo "demo-linux-vmx: linux-churn did not build"
	exit 1
fi
cat > "$groot/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
if grep -q axas_rewind /proc/cmdline; then
	/bin/linux-churn $churn_args ctl
elif grep -q axas_churn /proc/cmdline; then
	/bin/linux-churn $churn_args $churn_seed
else
	yes $pattern | head -c $bytes > /tmp/buf
	sum=\$(md5sum /tmp/buf)
	echo "AXAS-GUEST-RESULT bytes=\$(wc -c < /tmp/buf) md5=\${sum%% *}"
fi
sleep 1
poweroff -f
INIT
chmod +x "$groot/init"
(cd "$groot" && find . | cpio -o -H newc --quiet) > "$work/guest-initrd.cpio"

cp "$kdir/arch/x86/boot/bzImage" "$run/iso/vmlinuz"
bochs_setup "$run" 1024 1 \
	"initrd=/initrd console=ttyS0 rdinit=/init panic=-1 oops=panic tsc=reliable" ||
	exit 1

# vmx_boot TAG VMM_ARGS GUEST_CMDLINE EXPECT [demo-linux-check.py options...]
# - one boot: the host's init loads the sample with VMM_ARGS, the guest's
# command line has GUEST_CMDLINE, the console is judged against EXPECT.
fail=0 passed=0 failed=0
vmx_boot() {
	local tag=$1 args=$2 gcmd="$guest_cmdline $3" want=$4 t=$SECONDS out
	shift 4
	# The host's initramfs (uncompressed: the kernel has no gzip support).
	"$here/initramfs.sh" "$run/iso/initrd" reboot \
		"file=$gdir/arch/x86/boot/bzImage:/guest/vmlinuz" \
		"file=$work/guest-initrd.cpio:/guest/initrd.cpio" \
		"$work/src/axas.ko" \
		"wait=axas_vmx: RESULT @$work/src/samples/vmx/axas_vmx.ko guest=linux kernel=/guest/vmlinuz initrd=/guest/initrd.cpio mem_mb=$mem_mb frames=2M boot_timeout_s=$((timeout_s - 200)) $args 'expect=\"$want\"' 'cmdline=\"$gcmd\"'" ||
		exit 1
	echo "$tag: Bochs corei7_haswell_4770, 1 CPU, 1 GiB; guest $(basename "$gdir") on $mem_mb MiB of 2 MiB frames${args:+, $args} (console: $work/console-$tag.log)"
	bochs_run "$run" "$timeout_s"
	[ $? = 124 ] && echo "$tag: Bochs timed out"
	cp "$run/serial.log" "$work/console-$tag.log"
	echo "$tag: Bochs ran $((SECONDS - t)) s"
	out=$(python3 "$here/demo-linux-check.py" --label "$tag" --module axas_vmx \
		--bochs --expect "$want" "$@" "$work/console-$tag.log")
	[ $? = 0 ] || fail=1
	echo "$out"
	line=$(echo "$out" | tail -1)
	read -r p _ f _ <<< "${line//,/}"
	passed=$((passed + p)) failed=$((failed + f))
}

migrate_args="migrate=1 migrate_after=AXAS-GUEST-WRITING migrate_rounds=10"
for r in $runs; do
	case $r in
	md5) vmx_boot linux-vmx "" "" "$expect" ;;
	migrate) vmx_boot linux-vmx-migrate "$migrate_args" axas_churn \
		"$churn_expect" --migrate ;;
	migrate-wp) vmx_boot linux-vmx-migrate-wp "$migrate_args migrate_wp=1" \
		axas_churn "$churn_expect" --migrate ;;
	rewind) vmx_boot linux-vmx-rewind "rewind=6 rewind_seed=$churn_seed" \
		axas_rewind "$churn_expect" --rewind 6 --expect-last "$churn_last" ;;
	*) echo "demo-linux-vmx: no run $r"; exit 2 ;;
	esac
done
echo "demo-linux-vmx: finished in $((SECONDS - start)) s"
echo "$passed passed, $failed failed, 0 skipped"
exit $fail
