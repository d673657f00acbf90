# SPDX-License-Identifier: GPL-2.0
# Sourced: axas_stage DEST - copy the module's sources (not its build
# products) to DEST, so several kernels can build them side by side.
axas_stage() {
	local top dest=$1
	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	rm -rf "$dest"
	mkdir -p "$dest"
	(cd "$top" && find . -path ./.git -prune -o -path ./scripts -prune -o \
		\( -name '*.[chS]' -o -name Kbuild -o -name '*.lds' \) -print |
		cpio -pdm --quiet "$dest")
}
