#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# initramfs.sh OUT.cpio HALT MODULE... - a busybox initramfs that loads the
# given modules in order, lists the axas spaces still live (AXAS-SPACE),
# unloads the modules in reverse, reports the table pages and spaces left
# before the first module (axas) goes (AXAS-LIVE-TABLES, AXAS-LIVE-SPACES)
# and stops the machine with HALT (poweroff for UML, reboot for QEMU
# started with -no-reboot). Module arguments: MODULE may be "path.ko args".
# "memcg=LIMIT:path.ko args" loads it from a task in a cgroup v2 memory
# cgroup whose memory.max is LIMIT (the kernel needs CONFIG_MEMCG).
# "wait=TEXT@path.ko args" waits after loading it until the kernel log
# holds TEXT (no '@' in it), at most AXAS_WAIT_S seconds (300 unless set;
# else AXAS-WAIT-TIMEOUT): a module whose work goes on after its init
# returns. "file=SRC:DEST" is no module: it copies SRC to DEST in the
# initramfs (a file a module reads, say). "run=TEXT@PROGRAM" is none
# either: in its turn it waits until the kernel log holds TEXT (as wait=),
# then runs PROGRAM (copied in with file=; no arguments) and prints
# AXAS-RUN-EXIT and its status. "until=TEXT" only waits so.
# /dev is devtmpfs (a program may open a device).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
axas_need busybox-static cpio

out=$1 halt=$2
shift 2
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib/modules}
cp /bin/busybox "$root/bin/busybox"
names=()
for spec in "$@"; do
	case $spec in
	file=*:*)
		src=${spec#file=} src=${src%%:*} dest=${spec#*:}
		mkdir -p "$root/$(dirname "$dest")"
		cp "$src" "$root/$dest"
		;;
	esac
done
{
	echo '#!/bin/busybox sh'
	echo '/bin/busybox --install -s /bin'
	echo 'mount -t proc proc /proc; mount -t sysfs sys /sys'
	echo 'mount -t debugfs debugfs /sys/kernel/debug'
	echo 'mount -t devtmpfs devtmpfs /dev'
	echo 'echo AXAS-BOOTED'
	for spec in "$@"; do
		case $spec in
		file=*) continue ;;
		run=*@* | until=*)
			wait=${spec#*=} prog=""
			case $spec in
			run=*) wait=${wait%%@*} prog=${spec#*@} ;;
			esac
			echo "t=0; until dmesg | grep -qF '$wait'; do"
			echo "	t=\$((t + 1)); [ \$t -gt ${AXAS_WAIT_S:-300} ] && { echo AXAS-WAIT-TIMEOUT $wait; break; }; sleep 1"
			echo 'done'
			[ -z "$prog" ] || echo "$prog; echo AXAS-RUN-EXIT \$?"
			continue
			;;
		esac
		limit="" wait=""
		case $spec in
		wait=*@*) wait=${spec%%@*} wait=${wait#wait=} spec=${spec#*@} ;;
		esac
		case $spec in
		memcg=*:*) limit=${spec%%:*} limit=${limit#memcg=} spec=${spec#*:} ;;
		esac
		ko=${spec%% *}
		args=""
		[ "$ko" = "$spec" ] || args=${spec#* }
		name=$(basename "$ko" .ko)
		cp "$ko" "$root/lib/modules/"
		if [ -n "$limit" ]; then
			cg=/sys/fs/cgroup/axas-$name
			echo 'mkdir -p /sys/fs/cgroup; mount -t cgroup2 none /sys/fs/cgroup'
			echo 'echo +memory > /sys/fs/cgroup/cgroup.subtree_control'
			echo "mkdir $cg && echo $limit > $cg/memory.max"
			echo "sh -c 'echo \$\$ > $cg/cgroup.procs && exec insmod /lib/modules/$name.ko $args' || echo AXAS-INSMOD-FAILED $name"
		else
			echo "insmod /lib/modules/$name.ko $args || echo AXAS-INSMOD-FAILED $name"
		fi
		if [ -n "$wait" ]; then
			echo "t=0; until dmesg | grep -qF '$wait'; do"
			echo "	t=\$((t + 1)); [ \$t -gt ${AXAS_WAIT_S:-300} ] && { echo AXAS-WAIT-TIMEOUT $name; break; }; sleep 1"
			echo 'done'
		fi
		names=("$name" "${names[@]}")
	done
	echo 'for f in /sys/kernel/debug/axas/*/stats; do'
	echo '	[ -f "$f" ] && echo "AXAS-SPACE ${f%/stats}:" $(cat "$f")'
	echo 'done'
	for i in "${!names[@]}"; do
		if [ "$i" = $((${#names[@]} - 1)) ]; then
			echo 'echo "AXAS-LIVE-TABLES $(cat /sys/kernel/debug/axas/live_tables)"'
			echo 'echo "AXAS-LIVE-SPACES $(ls -d /sys/kernel/debug/axas/*/ 2>/dev/null | wc -l)"'
		fi
		echo "rmmod ${names[$i]} || echo AXAS-RMMOD-FAILED ${names[$i]}"
	done
	echo 'echo AXAS-DONE'
	echo "$halt -f"
} > "$root/init"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) > "$out"
