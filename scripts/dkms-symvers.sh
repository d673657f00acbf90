#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# dkms.conf's hooks: while axas is installed for a kernel, its
# Module.symvers for that kernel sits next to the headers of dkms's source
# tree, where `make install` puts it too:
#   <source_tree>/axas-<version>/include/axas/*.h     (the sources)
#   <source_tree>/axas-<version>/<kernelver>/Module.symvers
#
#   save DIR           POST_BUILD, run in the build directory: keep the
#                      build's Module.symvers in DIR, dkms's directory of
#                      this build (removed with it)
#   publish DIR DEST   POST_INSTALL: copy it from DIR into DEST
#   unpublish DEST     POST_REMOVE (every uninstall): remove it from DEST
set -eu

case ${1:-} in
save)
	cp Module.symvers "$2/Module.symvers" ;;
publish)
	mkdir -p "$3"
	cp "$2/Module.symvers" "$3/Module.symvers" ;;
unpublish)
	rm -f "$2/Module.symvers"
	rmdir "$2" 2>/dev/null || true ;;
*)
	echo "usage: dkms-symvers.sh save DIR | publish DIR DEST | unpublish DEST" >&2
	exit 2 ;;
esac
