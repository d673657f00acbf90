# SPDX-License-Identifier: GPL-2.0
# Sourced by demo.sh and demo-distro.sh: one guest run of the SVM sample.
#
# The kernel reserves [1 GiB, 2 GiB) with memmap= for the linear scenarios
# and zeroes freed pages (init_on_free=1), so that a guest reading a frame
# axas freed too early sees it. demo_resv is that base, to give the sample.

demo_resv=0x40000000
demo_fail=0 demo_passed=0 demo_failed=0 demo_skipped=0

# demo_boot TAG LEVELS KERNEL INITRAMFS MEM [demo-check.py options...] -
# boot KERNEL (a build tree or an image) in QEMU with SVM and nested
# paging on a LEVELS-level host (4 or 5), MEM of memory, the console in
# $demo_work/console-TAG.log; print the sample's report as demo-check.py
# judges it (the plumbing must have handled the guest's EFER read and
# write: --arch-exits 2) and add its counts to demo_passed, demo_failed
# and demo_skipped (demo_fail is set to 1 unless all passed).
demo_boot() {
	local tag=$1 levels=$2 kernel=$3 initramfs=$4 mem=$5
	local cpu=qemu64,+svm,+npt,+pdpe1gb log out line p f rc t=$SECONDS
	shift 5
	[ "$levels" = 5 ] && cpu=$cpu,+la57
	log="$demo_work/console-$tag.log"
	echo "$tag: $levels-level host: QEMU -cpu $cpu -m $mem, memmap=1G\$$demo_resv init_on_free=1 (log: $log)"
	AXAS_QEMU_CPU=$cpu "$here/boot.sh" x86_64 "$kernel" "$initramfs" \
		"$log" "${AXAS_BOOT_TIMEOUT:-600}" "$mem" "memmap=1G\$$demo_resv" \
		init_on_free=1
	rc=$?
	[ $rc = 124 ] && echo "$tag: the run timed out"
	out=$(python3 "$here/demo-check.py" --levels "$levels" --label "$tag" \
		--arch-exits 2 "$@" "$log")
	[ $? = 0 ] || demo_fail=1
	echo "$out"
	echo "$tag: took $((SECONDS - t)) s (boot included)"
	line=$(echo "$out" | tail -1)
	read -r p _ f _ s _ <<< "${line//,/}"
	demo_passed=$((demo_passed + p)) demo_failed=$((demo_failed + f))
	demo_skipped=$((demo_skipped + s))
}

# demo_initramfs OUT DIR [--wait TEXT] [sample args...] - an initramfs
# loading axas.ko and the sample built in DIR, the sample with the reserved
# range and ARGS. The sample's init returns once its vCPU runs: the init
# script waits until the kernel log holds TEXT (by default the report's
# closing line), then unloads the sample and axas.
demo_initramfs() {
	local out=$1 dir=$2 wait="axas_svm: RESULT "
	shift 2
	if [ "${1:-}" = --wait ]; then
		wait=$2
		shift 2
	fi
	"$here/initramfs.sh" "$out" reboot "$dir/axas.ko" \
		"wait=$wait@$dir/samples/svm/axas_svm.ko resv_base=$demo_resv resv_size=$demo_resv $*"
}
