# SPDX-License-Identifier: GPL-2.0
# Sourced: axas_stage DEST - copy the module's sources (not its build
# products) to DEST, so several kernels can build them side by side.
axas_stage() {
	local top dest=$1
	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	rm -rf "$dest"
	mkdir -p "$dest"
	(cd "$top" && find . -path ./.git -prune -o -path ./scripts -prune -o \
		\( -name '*.[chS]' -o -name Kbuild -o -name '*.lds' -o -name '*.mk' \) -print |
		cpio -pdm --quiet "$dest")
}

# axas_build DEST KDIR ARCH [make args...] - stage the sources into DEST and
# build their modules with W=1 against KDIR; the log goes to DEST.log.
# Fails, showing the log, when the build fails or prints a warning or an
# error (sparse reports through the same words).
axas_build() {
	local dest=$1 kdir=$2 arch=$3 log="$1.log"
	shift 3
	axas_stage "$dest"
	if ! make -s -C "$kdir" ARCH="$arch" M="$dest" W=1 "$@" modules \
		> "$log" 2>&1 || grep -qE "warning:|error:" "$log"; then
		cat "$log"
		return 1
	fi
}

# churn_build BIN ARGS SEED - build linux-churn (scripts/linux-churn.c)
# static into BIN, for a guest's initramfs, and set churn_expect and
# churn_last to the result lines it must print with ARGS and SEED, and
# with SEED + 1, as BIN --host computes them here.
churn_build() {
	local bin=$1 args=$2 seed=$3
	gcc -static -O2 -Wall -Werror -o "$bin" \
		"$(dirname "${BASH_SOURCE[0]}")/linux-churn.c" || return 1
	# shellcheck disable=SC2086
	churn_expect=$("$bin" --host $args "$seed") &&
		churn_last=$("$bin" --host $args $((seed + 1)))
}
