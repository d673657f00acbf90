#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo-linux.sh [generic|cloud|stop|smp|ramfile|migrate|rewind [2M|4K]]
# demo-linux.sh smp-plant|migrate-plant [N] - boot Debian's
# stock kernel as the guest of the SVM sample VMM (samples/svm with
# samples/vmm, guest=linux) on axas memory, under QEMU (TCG with SVM and
# nested paging emulated), the debug x86_64 test kernel as the host so that
# KASAN and lockdep watch axas.
#
# The guests: linux-image-<abi>-amd64-unsigned, the kernel of the
# installed linux-headers-amd64, and the same version's
# linux-image-<abi>-cloud-amd64-unsigned (another configuration: no MP
# table parsing, for one), as their packages ship them (apt-get download,
# dpkg-deb -x; never installed). Each boots twice: on lazy RAM of 2 MiB
# frames (falling back to 4 KiB) and of 4 KiB frames, 256 MiB.
#
# The guest's initramfs (built here, busybox) writes a 64 MiB file of a
# known content into its tmpfs, reads it back through md5sum, prints one
# result line, and powers off; the expected line is computed here with
# the same tools. Each run's report is judged by demo-linux-check.py: the
# guest printed the expected line and powered off, neither console has a
# kernel report, the space's shutdown left no frame, and nothing was left
# once the modules were unloaded.
#
# A fifth run unloads the sample while its guest boots (the cloud kernel
# on 4 KiB frames, once its console has begun): the vCPU must be stopped,
# kicked out of guest mode if it is there, the report must close with
# RESULT STOPPED and everything must be freed (demo-linux-check.py
# --stopped).
#
# A sixth, "smp", boots the generic kernel with two vCPUs (vcpus=2) on 2
# MiB frames: the guest's init runs linux-worker (scripts/linux-worker.c,
# built static here), two processes at once, one pinned to each CPU, each
# writing and checking a buffer of its own; meanwhile the VMM keeps a
# pre-copy of the guest's RAM from axas's dirty log (precopy_ms=), checked
# with the vCPUs paused in every round and against all of RAM at the end
# (demo-linux-check.py --smp also wants the second vCPU started by
# INIT/SIPI, IPIs between the vCPUs, and flushes that kicked a vCPU out of
# guest mode). The two-vCPU boots (this one and linux-migrate-smp-2M) run
# on one QEMU thread for both CPUs (AXAS_SMP_TCG, default thread=single;
# empty for a host thread per CPU): see "Two vCPUs" in
# Documentation/linux-guest.rst for why.
#
# "smp-plant [N]" (not run by default) is the "smp" run N times (1 unless
# given) with a planted bug, flush_plant=nokick: the flush callback
# neither kicks a vCPU in guest mode nor waits for it. Each run must fail
# (demo-linux-check.py --plant); it ends with the count of runs that did.
#
#
# A seventh, "ramfile", boots the cloud kernel with its RAM above 2 MiB a memory file
# (ramfile=1, 2 MiB frames): after its result line the guest appends a
# marker of its own to its buffer and waits; the host runs axas-vmm-ram
# (samples/vmm/user/, built static here), which takes the guest's RAM
# from /dev/axas-vmm while the guest runs, finds the marker in the
# buffer, answers by writing over it in guest memory (the guest reads
# that and goes on), and checks the shared memory a second space maps
# both ways (demo-linux-check.py --ramfile).
#
#
# "migrate" moves the running guest (the generic kernel) from its space
# into a second one (migrate=1; samples/vmm/migrate.c) while the guest's
# init runs linux-churn (scripts/linux-churn.c, built static here), which
# rewrites a buffer in passes, each from the last one's values, and
# prints a checksum the host computes too: on 4 KiB and on 2 MiB frames
# with one vCPU, and on 2 MiB frames with two vCPUs and two linux-churns
# at once. The migration begins once linux-churn writes, and the report
# must show the guest on the second space (demo-linux-check.py --migrate).
# "migrate-plant [N]" (not run by default): the 4 KiB run N times with
# migrate_plant=drop, the stop-and-copy leaving out the page of the
# buffer the guest names: each run must fail (--plant).
#
# "rewind" snapshots the running guest where linux-churn marks it (the
# ctl port) and restores it after each run of the workload, six times
# (rewind=6; samples/vmm/rewind.c): seven runs, the last with another
# seed, must print the checksums the host computed, and each restore must
# leave every page of RAM equal to the sample's own copy taken at the
# mark, having restored exactly the pages the guest wrote (--rewind).
#
# With arguments, only those runs ("stop": the fifth, "smp": the sixth,
# "ramfile": the seventh, "migrate", "rewind"). Ends with 'N
# passed, N failed, N skipped' over the runs; exits non-zero unless all
# passed.
# AXAS_LINUX_CMDLINE adds to the guests' command line (e.g. loglevel=7).
# AXAS_LINUX_VMM_ARGS adds to the sample's module parameters (prefill=0).
# AXAS_LINUX_HOST=bench boots the non-debug benchmark kernel as the host
# (scripts/bench-linux.sh measures there); logs then go to demo-linux-bench/.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
. "$here/stage.sh"

flavours=${1:-"generic cloud stop smp ramfile migrate rewind"}
sizes=${2:-"2M 4K"}
[ "$flavours" = smp-plant ] && { plant_runs=${2:-1}; sizes=2M; }
[ "$flavours" = migrate-plant ] && plant_runs=${2:-1}
mem_mb=256
bytes=$((64 << 20))
pattern=axas-linux-guest
# What the guest's kernel is told beyond what the VMM says (console=ttyS0,
# and on AMD the TSC's frequency): a quiet console (notices, among them
# the "Linux version" banner, warnings and worse; loglevel 7 would add
# every info line), reboot at once on a panic (the VMM then ends the
# run), and whatever the caller adds.
guest_cmdline="quiet loglevel=6 panic=-1 ${AXAS_LINUX_CMDLINE:-}"

start=$SECONDS
axas_need busybox-static cpio gcc libc6-dev || exit 1
host=${AXAS_LINUX_HOST:-test}
kdir=$("$here/kernel.sh" x86_64 "$host") || exit 1
work="$AXAS_CACHE/demo-linux"
[ "$host" = test ] || work="$work-$host"
mkdir -p "$work"
if ! axas_build "$work/src" "$kdir" x86_64 AXAS_SAMPLES=m; then
	echo "demo-linux: the build failed or warned"
	exit 1
fi

# The guest's initramfs: busybox and the workload.
# AXAS_LINUX_BURSTS=N: the guest writes the buffer in N bursts with a
# quarter of a second of idle time before each (a guest that idles between
# bursts of memory use, as a service does; the default, 1, writes it at
# once, right after a boot that never idles under TCG).
bursts=${AXAS_LINUX_BURSTS:-1}
chunk=$((bytes / bursts))
md5=$(for _ in $(seq "$bursts"); do yes "$pattern" | head -c "$chunk"; done |
	md5sum | cut -d' ' -f1)
expect="AXAS-GUEST-RESULT bytes=$bytes md5=$md5"
groot=$(mktemp -d)
trap 'rm -rf "$groot"' EXIT
mkdir -p "$groot"/{bin,dev,proc,sys,tmp}
cp /bin/busybox "$groot/bin/busybox"
cat > "$groot/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
# Write the buffer, then read it back: every page of it is new guest RAM.
: > /tmp/buf
i=0
while [ \$i -lt $bursts ]; do
	[ $bursts = 1 ] || sleep 0.25
	yes $pattern | head -c $chunk >> /tmp/buf
	i=\$((i + 1))
done
sum=\$(md5sum /tmp/buf)
echo "AXAS-GUEST-RESULT bytes=\$(wc -c < /tmp/buf) md5=\${sum%% *}"
# ramfile=1's run: a marker of its own in the buffer, for the host to find
# in the RAM file while this runs; it answers by writing over it.
if grep -q axas_marker /proc/cmdline; then
	m="AXAS-GUEST-MARKER \$(cat /proc/sys/kernel/random/uuid)"
	echo "$pattern \$m" >> /tmp/buf
	echo "\$m written"
	i=0
	until tail -c 100 /tmp/buf | grep -q AXAS-HOST-SAW-IT; do
		i=\$((i + 1))
		[ \$i -gt 600 ] && break
		sleep 0.5
	done
	if tail -c 100 /tmp/buf | grep -q AXAS-HOST-SAW-IT; then
		echo "AXAS-GUEST-MARKER answered by the host"
	else
		echo "AXAS-GUEST-MARKER not answered"
	fi
fi
# The console is polled: let it send the line before the power goes.
sleep 1
poweroff -f
INIT
chmod +x "$groot/init"
(cd "$groot" && find . | cpio -o -H newc --quiet) > "$work/guest-initrd.cpio"
echo "demo-linux: guest initramfs: busybox, $((bytes >> 20)) MiB of '$pattern' lines; expected: $expect"

# QEMU's TCG options for the two-vCPU boots (Documentation/linux-guest.rst,
# "Two vCPUs"): one host thread runs both CPUs unless AXAS_SMP_TCG says
# otherwise (AXAS_SMP_TCG= for multi-threaded TCG).
smp_tcg=${AXAS_SMP_TCG-thread=single}

# The two-vCPU guest's initramfs: busybox and linux-worker, two workers
# of 16 MiB buffers rewriting 256 KiB of them for 12 s; the pre-copy
# begins at the worker's marker line.
smp_vcpus=2
smp_marker=AXAS-GUEST-HOT
smp_expect="AXAS-GUEST-RESULT cpus=$smp_vcpus workers=$smp_vcpus: every check passed, on CPUs 0 1"
smp_args="vcpus=$smp_vcpus precopy_ms=20 precopy_after=$smp_marker"
rm -f "$groot/init"
if ! gcc -static -O2 -Wall -Werror -o "$groot/bin/linux-worker" \
	"$here/linux-worker.c"; then
	echo "demo-linux: linux-worker did not build"
	exit 1
fi
cat > "$groot/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
/bin/linux-worker $smp_vcpus 16 256 12 $smp_marker
sleep 1
poweroff -f
INIT
chmod +x "$groot/init"
(cd "$groot" && find . | cpio -o -H newc --quiet) > "$work/guest-smp-initrd.cpio"

# The migrated and the rewound guest's initramfs: busybox and linux-churn,
# 16 MiB rewritten in passes (1 MiB and a sixteenth of the rest each). The
# guest's command line says how: axas_churn=2, two at once; axas_rewind,
# the seed from the VMM after the mark. The host computes the results.
churn_args="16 1024 ${AXAS_CHURN_PASSES:-6000}"
churn_seed=11
if ! churn_build "$groot/bin/linux-churn" "$churn_args" $churn_seed; then
	echo "demo-linux: linux-churn did not build"
	exit 1
fi
cat > "$groot/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
if grep -q axas_rewind=late /proc/cmdline; then
	/bin/linux-churn $churn_args ctl-late
elif grep -q axas_rewind /proc/cmdline; then
	/bin/linux-churn $churn_args ctl
else
	/bin/linux-churn $churn_args $churn_seed &
	grep -q axas_churn=2 /proc/cmdline && /bin/linux-churn $churn_args $churn_seed &
	wait
fi
sleep 1
poweroff -f
INIT
chmod +x "$groot/init"
(cd "$groot" && find . | cpio -o -H newc --quiet) > "$work/guest-churn-initrd.cpio"
migrate_args="migrate=1 migrate_after=AXAS-GUEST-WRITING"

# The host's side of the ramfile run: the marker from the guest's
# console, to axas-vmm-ram.
if ! gcc -static -O2 -Wall -Werror -o "$work/axas-vmm-ram" \
	"$here/../samples/vmm/user/axas_vmm_ram.c"; then
	echo "demo-linux: axas-vmm-ram did not build"
	exit 1
fi
cat > "$work/run-ramfile" <<'RUN'
#!/bin/busybox sh
m=$(dmesg | sed -n 's/.*linux: guest: \(AXAS-GUEST-MARKER [0-9a-f-]*\) written.*/\1/p' | head -n 1)
/bin/axas-vmm-ram "$m"
RUN
chmod +x "$work/run-ramfile"

# linux_boot TAG IMAGE FRAMES WAIT INITRD EXPECT VMM_ARGS [demo-linux-check.py
# options...] - one boot: the host's init loads the sample with IMAGE and
# INITRD on FRAMES (and VMM_ARGS), waits until the kernel log holds WAIT,
# unloads it; the console is judged against EXPECT. With --ramfile, the
# RAM is a memory file and the host runs axas-vmm-ram once the guest's
# marker is written.
fail=0 passed=0 failed=0
linux_boot() {
	local tag=$1 image=$2 frames=$3 wait=$4 initrd=$5 want=$6 args=$7
	local log out line p f t=$SECONDS cmdline="$guest_cmdline ${run_cmdline:-}" run=()
	shift 7
	if [ "${1:-}" = --ramfile ]; then
		args="$args ramfile=1" cmdline="$cmdline axas_marker=1"
		run=("file=$work/axas-vmm-ram:/bin/axas-vmm-ram"
		     "file=$work/run-ramfile:/bin/run-ramfile"
		     "run=linux: guest: AXAS-GUEST-MARKER@/bin/run-ramfile"
		     "until=$wait")
		wait=""
	fi
	log="$work/console-$tag.log"
	AXAS_WAIT_S=780 "$here/initramfs.sh" "$work/initramfs-$tag.cpio" reboot \
		"file=$image:/guest/vmlinuz" \
		"file=$initrd:/guest/initrd.cpio" \
		"$work/src/axas.ko" \
		"${wait:+wait=$wait@}$work/src/samples/svm/axas_svm.ko guest=linux kernel=/guest/vmlinuz initrd=/guest/initrd.cpio mem_mb=$mem_mb frames=$frames boot_timeout_s=720 $args ${AXAS_LINUX_VMM_ARGS:-} 'expect=\"$want\"' 'cmdline=\"$cmdline\"'" \
		${run[@]+"${run[@]}"} ||
		exit 1
	echo "$tag: $(basename "$image"), $mem_mb MiB on $frames frames${args:+, $args}; host: QEMU${AXAS_QEMU_TCG:+ -accel tcg,$AXAS_QEMU_TCG} -cpu qemu64,+svm,+npt -smp 2 -m 2G (log: $log)"
	"$here/boot.sh" x86_64 "$kdir" "$work/initramfs-$tag.cpio" "$log" \
		"${AXAS_BOOT_TIMEOUT:-900}" 2G
	[ $? = 124 ] && echo "$tag: the run timed out"
	out=$(python3 "$here/demo-linux-check.py" --label "$tag" \
		--expect "$want" "$@" "$log")
	[ $? = 0 ] || fail=1
	echo "$out"
	echo "$tag: took $((SECONDS - t)) s (host boot included)"
	line=$(echo "$out" | tail -1)
	read -r p _ f _ <<< "${line//,/}"
	passed=$((passed + p)) failed=$((failed + f))
}

for flavour in $flavours; do
	case $flavour in
	stop)
		linux_boot linux-stop "$(axas_distro_image cloud)" 4K \
			"axas_svm: linux: guest: [" "$work/guest-initrd.cpio" \
			"$expect" "" --stopped
		continue ;;
	smp)
		AXAS_QEMU_TCG=$smp_tcg linux_boot linux-smp-2M "$(axas_distro_image)" \
			2M "axas_svm: RESULT " "$work/guest-smp-initrd.cpio" \
			"$smp_expect" "$smp_args" --smp
		continue ;;
	smp-plant)
		for i in $(seq "$plant_runs"); do
			linux_boot "linux-smp-plant-$i" "$(axas_distro_image)" 2M \
				"axas_svm: RESULT " "$work/guest-smp-initrd.cpio" \
				"$smp_expect" "$smp_args flush_plant=nokick" --plant
		done
		echo "demo-linux: the planted bug (flush_plant=nokick) failed $passed of $plant_runs runs"
		continue ;;
	ramfile)
		linux_boot linux-ramfile "$(axas_distro_image cloud)" 2M \
			"axas_svm: RESULT " "$work/guest-initrd.cpio" "$expect" "" \
			--ramfile
		continue ;;
	migrate)
		for frames in 4K 2M; do
			linux_boot "linux-migrate-$frames" "$(axas_distro_image)" \
				"$frames" "axas_svm: RESULT " "$work/guest-churn-initrd.cpio" \
				"$churn_expect" "$migrate_args" --migrate
		done
		run_cmdline=axas_churn=2
		AXAS_QEMU_TCG=$smp_tcg \
			linux_boot linux-migrate-smp-2M "$(axas_distro_image)" 2M \
			"axas_svm: RESULT " "$work/guest-churn-initrd.cpio" \
			"$churn_expect" "vcpus=2 $migrate_args" --migrate --results 2
		run_cmdline=
		continue ;;
	migrate-plant)
		for i in $(seq "$plant_runs"); do
			linux_boot "linux-migrate-plant-$i" "$(axas_distro_image)" 4K \
				"axas_svm: RESULT " "$work/guest-churn-initrd.cpio" \
				"$churn_expect" "$migrate_args migrate_plant=drop" --plant
		done
		echo "demo-linux: the planted drop (migrate_plant=drop) failed $passed of $plant_runs runs"
		continue ;;
	rewind)
		run_cmdline=axas_rewind
		linux_boot linux-rewind-2M "$(axas_distro_image)" 2M \
			"axas_svm: RESULT " "$work/guest-churn-initrd.cpio" \
			"$churn_expect" "rewind=6 rewind_seed=$churn_seed" \
			--rewind 6 --expect-last "$churn_last"
		# The mark while the guest migrates: both on one space.
		run_cmdline=axas_rewind=late
		linux_boot linux-rewind-migrate-4K "$(axas_distro_image)" 4K \
			"axas_svm: RESULT " "$work/guest-churn-initrd.cpio" \
			"$churn_expect" \
			"rewind=6 rewind_seed=$churn_seed migrate=1 migrate_after=AXAS-GUEST-WARMING" \
			--rewind 6 --expect-last "$churn_last" --migrate
		run_cmdline=
		continue ;;
	esac
	image=$(axas_distro_image "${flavour#generic}") || exit 1
	for frames in $sizes; do
		linux_boot "linux-$flavour-$frames" "$image" "$frames" \
			"axas_svm: RESULT " "$work/guest-initrd.cpio" "$expect" ""
	done
done
echo "demo-linux: finished in $((SECONDS - start)) s"
echo "$passed passed, $failed failed, 0 skipped"
exit $fail
