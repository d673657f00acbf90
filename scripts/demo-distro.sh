#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo-distro.sh - the SVM sample on Debian's own kernel, the one the
# installed linux-headers-amd64 belongs to (no KASAN, no lockdep,
# modversions, KASLR): its image is fetched with apt-get download and
# unpacked into the cache (never installed); axas.ko and axas_svm.ko are
# built against its headers. Three guest runs in QEMU: the demo's on a
# 4-level and on a 5-level host, then one on a 4-level host with 8 GiB of
# memory where scenario 7 takes a 1 GiB frame from the page allocator
# (gig_frames=1: alloc_contig_range() of a free gigabyte above 4 GiB).
# Taints are expected (an unsigned out-of-tree module); any kernel report
# fails a run, as in the demo.
# Ends with 'N passed, N failed, N skipped' over the scenarios of the runs.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
. "$here/stage.sh"
. "$here/demo-run.sh"

start=$SECONDS
image=$(axas_distro_image) || exit 1
axas_distro_headers || exit 1
demo_work="$AXAS_CACHE/demo-distro"
mkdir -p "$demo_work"
echo "demo-distro: Debian's kernel $distro_abi ($distro_ver): $image"
if ! axas_build "$demo_work/src" "$distro_kdir" x86_64 AXAS_SAMPLES=m; then
	echo "demo-distro: the build against $distro_kdir failed or warned"
	exit 1
fi
demo_initramfs "$demo_work/initramfs.cpio" "$demo_work/src" || exit 1
demo_initramfs "$demo_work/initramfs-gig.cpio" "$demo_work/src" gig_frames=1 ||
	exit 1
for levels in 4 5; do
	demo_boot "demo-distro-$levels" $levels "$image" \
		"$demo_work/initramfs.cpio" 3G
done
# ZONE_NORMAL is [4 GiB, 9 GiB): early allocations fill its first and last
# gigabytes, and KASLR may load the kernel across any two of the others.
demo_boot demo-distro-gig 4 "$image" "$demo_work/initramfs-gig.cpio" 8G \
	--gig-frames
echo "demo-distro: finished in $((SECONDS - start)) s"
echo "$demo_passed passed, $demo_failed failed, $demo_skipped skipped"
exit $demo_fail
