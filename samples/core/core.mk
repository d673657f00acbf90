# SPDX-License-Identifier: GPL-2.0
# Included by an arch's Kbuild (samples/svm, samples/vmx): compiles the
# sample's core and its guest into that arch's directory, for its module
# only (kbuild refuses an object linked into two modules). The arch
# includes this first, then puts $(demo-core-y) in its module's objects.
demo-core-y := core.o scenarios.o guest_blob.o

ccflags-y += -I$(src)/../../include -I$(src)/../core

# Pattern rules, so that kbuild finds the module each object belongs to.
$(obj)/%.o: $(src)/../core/%.c FORCE
	$(call if_changed_rule,cc_o_c)

$(obj)/%.o: $(src)/../core/%.S FORCE
	$(call if_changed_rule,as_o_S)

# The guest, once per hypercall instruction (see demo.h): assembled and
# linked at its load address by the compiler driver (no kernel flags: it is
# not kernel code), then cut to a flat binary that guest_blob.S includes.
quiet_cmd_guest = GUEST   $@
      cmd_guest = $(CC) -m64 -nostdlib -ffreestanding -fno-pic -no-pie \
		-Wl,-T,$(src)/../core/guest.lds -Wl,--build-id=none \
		-Wl,-z,noexecstack -I$(src)/../core $(guest-flags) \
		-o $(@:.bin=.elf) $< && \
		$(OBJCOPY) -O binary $(@:.bin=.elf) $@

demo-guest-deps := $(src)/../core/guest.S $(src)/../core/guest.h \
		   $(src)/../core/guest.lds

$(obj)/guest-vmmcall.bin: guest-flags := -DGUEST_VMMCALL
$(obj)/guest-vmmcall.bin: $(demo-guest-deps) FORCE
	$(call if_changed,guest)

$(obj)/guest-vmcall.bin: guest-flags := -DGUEST_VMCALL
$(obj)/guest-vmcall.bin: $(demo-guest-deps) FORCE
	$(call if_changed,guest)

targets += guest-vmmcall.bin guest-vmcall.bin

$(obj)/guest_blob.o: $(obj)/guest-vmmcall.bin $(obj)/guest-vmcall.bin

AFLAGS_guest_blob.o := -DGUEST_VMMCALL_BIN='"$(obj)/guest-vmmcall.bin"' \
		       -DGUEST_VMCALL_BIN='"$(obj)/guest-vmcall.bin"'
