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
	check-build kunit-um kunit-x86_64 bench bench-linux demo demo-svm demo-vmx \
	demo-distro demo-linux demo-linux-vmx docs help \
	install template-check

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(PWD) $(if $(ARCH),ARCH=$(ARCH)) modules

modules_install:
	$(MAKE) -C $(KDIR) M=$(PWD) modules_install

# What a VMM module's build needs, next to axas.ko (the layout ZFS/SPL use
# for the same problem; see Documentation/building.rst):
#   $(DESTDIR)/lib/modules/<release>/$(INSTALL_MOD_DIR)/axas.ko
#   $(DESTDIR)/usr/src/axas-<version>/include/axas/*.h
#   $(DESTDIR)/usr/src/axas-<version>/<release>/Module.symvers
#   $(DESTDIR)/usr/src/axas-<version>/COPYING     (as in a dkms source tree)
# <version> is dkms.conf's PACKAGE_VERSION, <release> what `uname -r`
# prints on KDIR's kernel, read from its UTS_RELEASE: Debian's headers
# override KERNELRELEASE, and their include/config/kernel.release says
# 6.1.192 for 6.1.0-56-amd64.
AXAS_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' $(CURDIR)/dkms.conf)
KRELEASE = $(shell sed -n 's/.*UTS_RELEASE "\(.*\)".*/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null)
INSTALL_MOD_DIR ?= updates
AXAS_DEVDIR = $(DESTDIR)/usr/src/axas-$(AXAS_VERSION)

install: modules
	@test -n "$(KRELEASE)" || { echo "install: no UTS_RELEASE in $(KDIR)" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(PWD) $(if $(ARCH),ARCH=$(ARCH)) \
		INSTALL_MOD_PATH=$(DESTDIR) INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) \
		modules_install
	install -d $(AXAS_DEVDIR)/include/axas $(AXAS_DEVDIR)/$(KRELEASE)
	install -m 0644 include/axas/*.h $(AXAS_DEVDIR)/include/axas/
	install -m 0644 COPYING $(AXAS_DEVDIR)/
	install -m 0644 Module.symvers $(AXAS_DEVDIR)/$(KRELEASE)/

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
# UML and QEMU, the SVM sample in QEMU (test and Debian kernels), the VMX
# sample in Bochs, Debian's kernels booted by the SVM sample's VMM, the
# benchmark's short mode.
check:
	@bash scripts/check.sh

check-build:
	@bash scripts/gates.sh all

# Both sample VMMs: SVM under QEMU, VMX under Bochs.
demo: demo-svm demo-vmx

# The SVM sample VMM running its guest under QEMU, on 4- and 5-level hosts.
demo-svm:
	@bash scripts/demo.sh

# The VMX sample VMM running its guest on EPT under Bochs.
demo-vmx:
	@bash scripts/demo-vmx.sh

# The same on Debian's kernel (fetched, never installed), and one guest
# taking a 1 GiB frame from the page allocator.
demo-distro:
	@bash scripts/demo-distro.sh

# Debian's stock kernel and its cloud build booted by the SVM sample's VMM
# (guest=linux) under QEMU, on axas memory of 2 MiB and of 4 KiB frames;
# the VMM unloaded while one boots; and the stock kernel on two vCPUs.
demo-linux:
	@bash scripts/demo-linux.sh

# A small 6.12 kernel booted by the VMX sample's VMM under Bochs (EPT, A/D).
demo-linux-vmx:
	@bash scripts/demo-linux-vmx.sh

# The benchmark in non-debug UML and QEMU kernels, then the Linux guest's
# figures with and without frames zeroed ahead; results in build/.
bench:
	@bash scripts/bench.sh
	@bash scripts/bench-linux.sh

bench-linux:
	@bash scripts/bench-linux.sh

# Documentation/ rendered with Sphinx and kernel-doc into build/docs/html;
# warnings and undocumented API fail.
docs:
	@bash scripts/docs.sh

# samples/template built outside the tree against `make install` and a
# dkms install into a staging root, as a VMM author's module would be.
template-check:
	@bash scripts/template.sh

kunit-um:
	@bash scripts/kunit.sh um

kunit-x86_64:
	@bash scripts/kunit.sh x86_64

help:
	@echo "make [KDIR=...]     build axas.ko against KDIR (default: running kernel)"
	@echo "make demo           both samples: demo-svm, then demo-vmx"
	@echo "make demo-svm       the SVM sample runs a guest on axas NPT tables in QEMU"
	@echo "make demo-vmx       the VMX sample runs a guest on axas EPT tables in Bochs"
	@echo "make demo-distro    the SVM sample on Debian's own kernel (linux-headers-amd64's)"
	@echo "make demo-linux     the SVM sample's VMM boots Debian's kernels as its guest (one and two vCPUs)"
	@echo "make demo-linux-vmx the VMX sample's VMM boots a small 6.12 kernel under Bochs"
	@echo "make check          gates, docs, KUnit in UML and QEMU, the samples (the test command)"
	@echo "make style|sparse   checkpatch | sparse only"
	@echo "make docs           the documentation in build/docs/html (warnings fail)"
	@echo "make install [DESTDIR=...]   axas.ko, headers and Module.symvers for VMM builds"
	@echo "make template-check samples/template built against an installed axas"
	@echo "make kunit-um|kunit-x86_64   one KUnit run"
	@echo "make bench          the benchmark in UML and QEMU, then bench-linux (build/bench-*.jsonl)"
	@echo "make bench-linux    the Linux guest's time in axas, with and without prefill"
