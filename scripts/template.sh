#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# template.sh - samples/template, the axas part of a VMM module, built as
# its author builds it: copied out of this tree and built against an axas
# installed into a staging root, for the x86_64 test kernel and Debian's
# 6.1 headers (linux-headers-amd64). axas is installed twice:
#   make  `make install DESTDIR=<root>`: axas.ko through the kernel's
#         modules_install, include/axas/*.h, COPYING and Module.symvers
#   dkms  `dkms add` and `dkms install` with all three trees in another
#         root (--sourcetree, --dkmstree, --installtree, --no-depmod); the
#         hooks of dkms.conf put Module.symvers next to the headers (and
#         COPYING, which dkms keeps with the sources)
# Each template build must be W=1 clean, modpost included (an unresolved
# symbol or a namespace not imported fails), include axas's headers from
# the root and no KUnit header, record depends=axas and import_ns=AXAS,
# and `depmod -b <root>` must list axas.ko as what it needs. Two builds
# that must fail show modpost's checks bite: one without axas's
# Module.symvers, one without AXAS_IMPORT_NS(). Nothing is written outside
# $AXAS_CACHE/template (checked for /lib/modules, /usr/src, /var/lib/dkms).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/common.sh"
. "$here/stage.sh"
PATH=$PATH:/usr/sbin:/sbin

work="$AXAS_CACHE/template"
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
start=$SECONDS
fail=0

say() { echo "template: $*"; }
bad() { say "$*"; fail=1; }

# run LOG CMD... - run CMD with its output in LOG; show the log on failure.
run() {
	local log=$1
	shift
	if ! "$@" > "$log" 2>&1; then
		tail -n 40 "$log"
		return 1
	fi
}

# krel KDIR - the release `uname -r` prints on KDIR's kernel.
krel() {
	sed -n 's/.*UTS_RELEASE "\(.*\)".*/\1/p' "$1/include/generated/utsrelease.h"
}

# stage DEST - the sources as a user has them (dkms.conf, its hook,
# Makefile, the license).
stage() {
	axas_stage "$1"
	cp "$top/Makefile" "$top/dkms.conf" "$top/COPYING" "$1/"
	mkdir -p "$1/scripts"
	cp -p "$top/scripts/dkms-symvers.sh" "$1/scripts/"
}

# kernel_dir ROOT KREL - the modules directory of an installed kernel, with
# the lists depmod reads (empty: the kernel's own modules are not there).
kernel_dir() {
	mkdir -p "$1/lib/modules/$2"
	touch "$1/lib/modules/$2/"{modules.order,modules.builtin,modules.builtin.modinfo}
}

# copy_template DEST - samples/template's sources, as its user copies them.
copy_template() {
	rm -rf "$1"
	mkdir -p "$1"
	find "$top/samples/template" -maxdepth 1 -type f \( -name Makefile \
		-o -name Kbuild -o -name '*.[ch]' \) -exec cp {} "$1/" \;
}

# installed ROOT KREL MODDIR - what a VMM build and modprobe need is there.
installed() {
	local root=$1 krel=$2 moddir=$3 dev="$1/usr/src/axas-$ver" h
	[ -f "$root/lib/modules/$krel/$moddir/axas.ko" ] ||
		{ bad "$krel: no $moddir/axas.ko"; return 1; }
	for h in "$top"/include/axas/*.h; do
		cmp -s "$h" "$dev/include/axas/${h##*/}" ||
			{ bad "$krel: include/axas/${h##*/} not installed"; return 1; }
	done
	cmp -s "$top/COPYING" "$dev/COPYING" ||
		{ bad "$krel: COPYING not installed with the headers"; return 1; }
	awk -F'\t' '$2 == "axas_space_create" && $5 == "AXAS" { ok = 1 }
		END { exit !ok }' "$dev/$krel/Module.symvers" 2>/dev/null ||
		{ bad "$krel: no axas-$ver/$krel/Module.symvers with AXAS exports"; return 1; }
}

# template LABEL ROOT KDIR KREL - build samples/template out of the tree
# against ROOT only, install it there and ask depmod what it needs.
template() {
	local label=$1 root=$2 kdir=$3 krel=$4 vmm="$work/vmm-$1-$4" log info dep
	local dev="$2/usr/src/axas-$ver"
	log="$vmm.log"
	copy_template "$vmm"
	if ! run "$log" make -C "$vmm" KDIR="$kdir" AXAS_DIR="$dev" W=1 ||
		grep -qiE "warning|error" "$log"; then
		grep -iE "warning|error" "$log" || true
		bad "$label $krel: the template's build failed or warned (log: $log)"
		return
	fi
	info=$(objcopy -O binary -j .modinfo "$vmm/axas_template.ko" /dev/stdout | tr '\0' '\n')
	if ! grep -qx "depends=axas" <<< "$info" ||
		! grep -qx "import_ns=AXAS" <<< "$info"; then
		bad "$label $krel: no depends=axas and import_ns=AXAS in .modinfo"
		return
	fi
	grep -qF "$dev/include/axas/axas.h" "$vmm/.axas_template.o.cmd" ||
		{ bad "$label $krel: axas.h not taken from $dev"; return; }
	if grep -F -e /kunit/ -e "$top/" "$vmm/.axas_template.o.cmd"; then
		bad "$label $krel: a KUnit header or a file of the source tree included"
		return
	fi
	run "$vmm-install.log" make -C "$vmm" KDIR="$kdir" AXAS_DIR="$dev" \
		INSTALL_MOD_PATH="$root" modules_install ||
		{ bad "$label $krel: the template's modules_install failed"; return; }
	if ! command -v depmod > /dev/null; then
		say "$label $krel: W=1 clean, depends=axas import_ns=AXAS (no depmod: not asked)"
		return
	fi
	if ! depmod -b "$root" -e -E "$kdir/Module.symvers" "$krel" > "$vmm-depmod.log" 2>&1 ||
		[ -s "$vmm-depmod.log" ]; then
		cat "$vmm-depmod.log"
		bad "$label $krel: depmod -b failed or warned"
		return
	fi
	dep=$(grep "/axas_template.ko:" "$root/lib/modules/$krel/modules.dep")
	case $dep in
	*": updates/axas.ko" | *": updates/dkms/axas.ko") ;;
	*) bad "$label $krel: modules.dep says '$dep'"; return ;;
	esac
	say "$label $krel: W=1 clean, depends=axas import_ns=AXAS; modules.dep: $dep"
}

# must_fail KDIR symvers|import - a template build that must not pass:
# without axas's Module.symvers, or without AXAS_IMPORT_NS().
must_fail() {
	local kdir=$1 k vmm args=() what msg
	k=$(krel "$kdir")
	vmm="$work/vmm-no-$2-$k"
	copy_template "$vmm"
	case $2 in
	symvers) what="without axas's Module.symvers" msg="undefined!"
		args=(KBUILD_EXTRA_SYMBOLS=) ;;
	import) what="without AXAS_IMPORT_NS()" msg="does not import it"
		sed -i '/^AXAS_IMPORT_NS();$/d' "$vmm/axas_template.c" ;;
	esac
	if make -C "$vmm" KDIR="$kdir" AXAS_DIR="$work/make/usr/src/axas-$ver" \
		${args[@]+"${args[@]}"} > "$vmm.log" 2>&1 ||
		! grep -q "$msg" "$vmm.log"; then
		bad "$k: a build $what did not fail with '$msg' (log: $vmm.log)"
		return
	fi
	say "$k: a build $what fails: $(grep -m1 "$msg" "$vmm.log" | sed 's/ \[.*\]//')"
}

grep -qx "AXAS_DIR ?= /usr/src/axas-$ver" "$top/samples/template/Kbuild" ||
	bad "samples/template/Kbuild: AXAS_DIR does not default to /usr/src/axas-$ver"

kdirs=("$("$here/kernel.sh" x86_64)")
if axas_distro_headers; then
	kdirs+=("$distro_kdir")
else
	fail=1
fi

dkms=1
if [ "$(id -u)" != 0 ]; then
	say "dkms: skipped (dkms install needs root)"
	dkms=0
elif ! axas_need dkms; then
	fail=1
	dkms=0
fi

# What this must never create on the host.
guard=(/var/lib/dkms/axas "/usr/src/axas-$ver")
for kdir in "${kdirs[@]}"; do
	guard+=("/lib/modules/$(krel "$kdir")/updates")
done
before=$(ls -d "${guard[@]}" 2>/dev/null || true)

rm -rf "$work"
mkdir -p "$work"

# make install, one root for both kernels.
root="$work/make"
for kdir in "${kdirs[@]}"; do
	k=$(krel "$kdir")
	[ -n "$k" ] || { bad "no UTS_RELEASE in $kdir"; continue; }
	kernel_dir "$root" "$k"
	stage "$work/src-$k"
	if ! run "$work/install-$k.log" make -C "$work/src-$k" install KDIR="$kdir" \
		ARCH=x86_64 DESTDIR="$root"; then
		bad "$k: make install failed (log: $work/install-$k.log)"
		continue
	fi
	installed "$root" "$k" updates || continue
	say "make install $k: lib/modules/$k/updates/axas.ko," \
		"usr/src/axas-$ver/{include/axas/*.h,$k/Module.symvers}"
	template make "$root" "$kdir" "$k"
done

for kdir in "${kdirs[@]}"; do
	must_fail "$kdir" symvers
	must_fail "$kdir" import
done

# dkms, its trees in a root of their own: the sources as `dkms add` copies
# them, one build per kernel, then a removal that must take the
# Module.symvers away again. The signing variables keep dkms from making a
# key for itself in /var/lib/dkms.
if [ $dkms = 1 ]; then
	root="$work/dkms"
	opts=(--dkmstree "$root/var/lib/dkms" --sourcetree "$root/usr/src"
	      --installtree "$root/lib/modules")
	export sign_file=/nonexistent mok_signing_key="$root/mok.key" \
		mok_certificate="$root/mok.pub"
	mkdir -p "$root/var/lib/dkms" "$root/usr/src"
	stage "$work/src-dkms"
	if ! run "$work/dkms-add.log" dkms add "${opts[@]}" "$work/src-dkms"; then
		bad "dkms add failed"
	else
		for kdir in "${kdirs[@]}"; do
			k=$(krel "$kdir")
			kernel_dir "$root" "$k"
			if ! run "$work/dkms-install-$k.log" dkms install "${opts[@]}" \
				"axas/$ver" -k "$k" --kernelsourcedir "$kdir" --no-depmod; then
				bad "$k: dkms install failed (log: $work/dkms-install-$k.log)"
				continue
			fi
			installed "$root" "$k" updates/dkms || continue
			say "dkms install $k: lib/modules/$k/updates/dkms/axas.ko," \
				"usr/src/axas-$ver/{include/axas/*.h,$k/Module.symvers}"
			template dkms "$root" "$kdir" "$k"
		done
		if ! run "$work/dkms-remove.log" dkms remove "${opts[@]}" "axas/$ver" \
			--all --no-depmod; then
			bad "dkms remove failed"
		elif left=$(cd "$root" && ls -d usr/src/axas-"$ver"/*/Module.symvers \
			lib/modules/*/updates/dkms/axas.ko 2>/dev/null); then
			bad "dkms remove left $left"
		else
			say "dkms remove: axas.ko and every Module.symvers gone"
		fi
	fi
fi

after=$(ls -d "${guard[@]}" 2>/dev/null || true)
[ "$before" = "$after" ] || bad "the host changed: $after"

say "finished in $((SECONDS - start)) s"
[ $fail = 0 ] || { say "FAILED"; exit 1; }
