#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# initramfs.sh OUT.cpio HALT MODULE... - a busybox initramfs that loads the
# given modules in order, reports what axas holds, unloads them in reverse
# and stops the machine with HALT (poweroff for UML, reboot for QEMU
# started with -no-reboot). Module arguments: MODULE may be "path.ko args".
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
{
	echo '#!/bin/busybox sh'
	echo '/bin/busybox --install -s /bin'
	echo 'mount -t proc proc /proc; mount -t sysfs sys /sys'
	echo 'mount -t debugfs debugfs /sys/kernel/debug'
	echo 'echo AXAS-BOOTED'
	for spec in "$@"; do
		ko=${spec%% *}
		args=""
		[ "$ko" = "$spec" ] || args=${spec#* }
		name=$(basename "$ko" .ko)
		cp "$ko" "$root/lib/modules/"
		echo "insmod /lib/modules/$name.ko $args || echo AXAS-INSMOD-FAILED $name"
		names=("$name" "${names[@]}")
	done
	echo 'echo "AXAS-LIVE-TABLES $(cat /sys/kernel/debug/axas/live_tables)"'
	for name in "${names[@]}"; do
		echo "rmmod $name || echo AXAS-RMMOD-FAILED $name"
	done
	echo 'echo AXAS-DONE'
	echo "$halt -f"
} > "$root/init"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) > "$out"
