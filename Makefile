# SPDX-License-Identifier: GPL-2.0
#
# axas out-of-tree build. The kernel build system does the work (Kbuild);
# this file adds the targets around it.

KDIR ?= /lib/modules/$(shell uname -r)/build
KSRC ?=
ARCH ?=
PWD := $(CURDIR)
CHECKPATCH ?= $(KDIR)/scripts/checkpatch.pl
SOURCES := $(shell find . -path ./build -prune -o \( -name '*.[ch]' \) -print | sort)

export KSRC

.PHONY: all modules clean modules_install dkms-install style sparse check \
	check-build kunit-um kunit-x86_64 bench demo demo-distro docs help

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(PWD) $(if $(ARCH),ARCH=$(ARCH)) modules

modules_install:
	$(MAKE) -C $(KDIR) M=$(PWD) modules_install

dkms-install:
	dkms add $(PWD)
	dkms install axas/$(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)

clean:
	$(MAKE) -C $(KDIR) M=$(PWD) clean 2>/dev/null || true
	find . \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name modules.order -o -name Module.symvers \) \
		-not -path './.git/*' -delete

# checkpatch of the kernel tree, on every source file.
style:
	@bash scripts/gates.sh style

# sparse (C=2) against the x86_64 test kernel.
sparse:
	@bash scripts/gates.sh sparse

# W=1, sparse, checkpatch, Debian 6.1 headers, the documentation, KUnit in
# UML and QEMU, both demos, the benchmark's short mode.
check:
	@bash scripts/check.sh

check-build:
	@bash scripts/gates.sh all

# The SVM sample VMM running its guest under QEMU, on 4- and 5-level hosts.
demo:
	@bash scripts/demo.sh

# The same on Debian's kernel (fetched, never installed), and one guest
# taking a 1 GiB frame from the page allocator.
demo-distro:
	@bash scripts/demo-distro.sh

# The benchmark in non-debug UML and QEMU kernels; results in build/.
bench:
	@bash scripts/bench.sh

# Documentation/ rendered with Sphinx and kernel-doc into build/docs/html;
# warnings and undocumented API fail.
docs:
	@bash scripts/docs.sh

kunit-um:
	@bash scripts/kunit.sh um

kunit-x86_64:
	@bash scripts/kunit.sh x86_64

help:
	@echo "make [KDIR=...]     build axas.ko against KDIR (default: running kernel)"
	@echo "make demo           the SVM sample runs a guest on axas tables in QEMU"
	@echo "make demo-distro    the same on Debian's own kernel (linux-headers-amd64's)"
	@echo "make check          gates, docs, KUnit in UML and QEMU, both demos (the test command)"
	@echo "make style|sparse   checkpatch | sparse only"
	@echo "make docs           the documentation in build/docs/html (warnings fail)"
	@echo "make kunit-um|kunit-x86_64   one KUnit run"
	@echo "make bench          the benchmark in UML and QEMU (build/bench-*.jsonl)"
