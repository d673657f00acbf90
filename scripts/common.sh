# SPDX-License-Identifier: GPL-2.0
# Shared by the harness scripts: cache location, kernel source, packages.

AXAS_CACHE=${AXAS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/axas}
mkdir -p "$AXAS_CACHE"

# axas_need PKG... - install missing Debian packages (as root), or say how.
axas_need() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} = 0 ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "axas: missing packages; run: sudo apt-get install ${missing[*]}" >&2
		return 1
	fi
	echo "axas: installing ${missing[*]}" >&2
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${missing[@]}" >&2; then
		apt-get update -q >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends "${missing[@]}" >&2
	fi
}

# axas_ksrc - print the kernel source tree to test against.
axas_ksrc() {
	if [ -n "${KSRC:-}" ]; then
		echo "$KSRC"
		return
	fi
	axas_need linux-source-6.12 xz-utils
	local tarball ver dir
	tarball=$(ls /usr/src/linux-source-6.12.tar.xz)
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
	dir="$AXAS_CACHE/src-$ver"
	if [ ! -e "$dir/.axas-unpacked" ]; then
		echo "axas: unpacking $tarball into $dir" >&2
		rm -rf "$dir"
		mkdir -p "$dir"
		tar -C "$dir" --strip-components=1 -xf "$tarball"
		touch "$dir/.axas-unpacked"
	fi
	axas_patch "$dir" || return 1
	echo "$dir"
}

# axas_patch DIR - apply scripts/patches/*.patch to the kernel source DIR,
# once each. They are named ARCH-*.patch after the kernel they change, and
# kernel.sh keys that kernel's cache on them.
axas_patch() {
	local dir=$1 p mark
	for p in "$(dirname "${BASH_SOURCE[0]}")"/patches/*.patch; do
		[ -e "$p" ] || continue
		mark="$dir/.axas-patched-$(sha256sum < "$p" | cut -c1-12)"
		[ -e "$mark" ] && continue
		axas_need patch || return 1
		echo "axas: applying $(basename "$p") to $dir" >&2
		patch -s -p1 -N -d "$dir" < "$p" >&2 || return 1
		touch "$mark"
	done
}
