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

# axas_distro_headers - the Debian kernel that the installed
# linux-headers-amd64 points to: sets distro_abi (6.1.0-56-amd64, say),
# distro_ver (its package version) and distro_kdir (its headers).
axas_distro_headers() {
	local dep
	axas_need linux-headers-amd64 || return 1
	# "linux-headers-6.1.0-56-amd64 (= 6.1.192-2)"
	dep=$(dpkg-query -W -f='${Depends}' linux-headers-amd64)
	distro_abi=$(echo "$dep" | sed -n 's/^linux-headers-\([^ ,]*\) (= .*/\1/p')
	distro_ver=$(echo "$dep" | sed -n 's/^linux-headers-[^ ,]* (= \([^)]*\)).*/\1/p')
	distro_kdir=/usr/src/linux-headers-$distro_abi
	if [ -z "$distro_abi" ] || [ -z "$distro_ver" ] || [ ! -d "$distro_kdir" ]; then
		echo "axas: cannot tell the kernel of linux-headers-amd64 (depends: $dep)" >&2
		return 1
	fi
}

# axas_distro_image [cloud] - print the bootable image of that kernel: its
# linux-image-ABI-unsigned package (with cloud: the same version's
# linux-image-*-cloud-amd64-unsigned, a kernel configured for cloud
# guests), fetched with apt-get download into $AXAS_CACHE and unpacked
# there with dpkg-deb (never installed).
axas_distro_image() {
	local flavour=${1:-} abi pkg dir deb
	axas_distro_headers || return 1
	abi=$distro_abi
	[ "$flavour" = cloud ] && abi=${distro_abi%-amd64}-cloud-amd64
	pkg=linux-image-$abi-unsigned
	dir="$AXAS_CACHE/distro-$abi-$distro_ver"
	if [ ! -e "$dir/.axas-unpacked" ]; then
		echo "axas: fetching $pkg $distro_ver into $dir" >&2
		rm -rf "$dir"
		mkdir -p "$dir"
		if ! (cd "$dir" && apt-get download -q "$pkg=$distro_ver") >&2; then
			apt-get update -q >&2
			(cd "$dir" && apt-get download -q "$pkg=$distro_ver") >&2 ||
				return 1
		fi
		deb=$(ls "$dir"/*.deb) || return 1
		dpkg-deb -x "$deb" "$dir" || return 1
		rm -f "$deb"
		touch "$dir/.axas-unpacked"
	fi
	echo "$dir/boot/vmlinuz-$abi"
}
