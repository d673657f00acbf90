#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or reuse) a test kernel and print its build directory.
#
#   scripts/kernel.sh um|x86_64 [test|bench|guest]
#
# "test" (the default) is the debug kernel of the KUnit runs (configs/
# common.config, plus configs/<arch>-test.config where it exists), "bench"
# the non-debug kernel of the benchmark (configs/bench.config), "guest"
# the small kernel the VMX sample's VMM boots under Bochs (configs/
# guest.config; x86_64 only); all add configs/<arch>.config.
# The kernel source is $KSRC when set, otherwise Debian's linux-source-6.12,
# unpacked once into the cache.  Builds live in the cache too, keyed by
# source version, architecture, config fragments and compiler, so a second
# run reuses them and any config change gives a new build.  Progress goes to
# stderr; stdout carries only the build directory.
set -euo pipefail

arch=${1:?usage: kernel.sh um|x86_64 [test|bench|guest]}
variant=${2:-test}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/common.sh
. "$here/common.sh"

src=$(axas_ksrc)
case $variant in
test) frags=("$here/configs/common.config" "$here/configs/$arch.config")
	# What only the debug kernel of one architecture needs.
	[ -e "$here/configs/$arch-test.config" ] &&
		frags+=("$here/configs/$arch-test.config") ;;
bench) frags=("$here/configs/bench.config" "$here/configs/$arch.config") ;;
guest) frags=("$here/configs/guest.config" "$here/configs/$arch.config") ;;
*) echo "kernel.sh: unknown variant $variant" >&2; exit 2 ;;
esac
ver=$(make -s -C "$src" kernelversion)
# The patches of scripts/patches/ that change this architecture's kernel.
patches=()
for p in "$here/patches/$arch"-*.patch; do
	[ -e "$p" ] && patches+=("$p")
done
key=$( (echo "$ver"; echo "$arch"; cat "${frags[@]}" ${patches[@]+"${patches[@]}"}
	gcc --version | head -1) | sha256sum | cut -c1-12)
out="$AXAS_CACHE/build-$arch-$variant-$ver-$key"
case $arch in
um) image=$out/linux ;;
x86_64) image=$out/arch/x86/boot/bzImage ;;
*) echo "kernel.sh: unknown arch $arch" >&2; exit 2 ;;
esac

if [ -e "$out/.axas-built" ] && [ -e "$image" ]; then
	echo "$out"
	exit 0
fi

axas_need gcc libc6-dev python3 flex bison bc cpio xz-utils libelf-dev libssl-dev
mkdir -p "$out"
lock="$out/.lock"
exec 9>"$lock"
flock 9
if [ ! -e "$out/.axas-built" ]; then
	echo "kernel.sh: building $arch kernel $ver in $out (cached afterwards)" >&2
	cat "${frags[@]}" > "$out/axas.config"
	start=$SECONDS
	make -s -C "$src" O="$out" ARCH="$arch" \
		KCONFIG_ALLCONFIG="$out/axas.config" allnoconfig >&2
	# Every option of the fragments must have survived: a silently
	# dropped one (a missing dependency) would weaken the checks.
	missing=0
	while IFS= read -r line; do
		case $line in
		CONFIG_*=n) opt=${line%%=*}
			if grep -q "^$opt=" "$out/.config"; then
				echo "kernel.sh: $opt is set but asked off" >&2; missing=1
			fi ;;
		CONFIG_*=*)
			if ! grep -qxF "$line" "$out/.config"; then
				echo "kernel.sh: $line did not stick" >&2; missing=1
			fi ;;
		esac
	done < "$out/axas.config"
	[ $missing = 0 ] || exit 1
	make -s -C "$src" O="$out" ARCH="$arch" -j"$(nproc)" >&2
	touch "$out/.axas-built"
	echo "kernel.sh: $arch kernel built in $((SECONDS - start)) s" >&2
fi
echo "$out"
