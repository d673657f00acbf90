# SPDX-License-Identifier: GPL-2.0
# Included by an arch's Kbuild (samples/svm): compiles the VMM that boots
# Linux (samples/vmm) into that arch's directory, for its module only
# (kbuild refuses an object linked into two modules). The arch includes
# this, then puts $(vmm-y) in its module's objects; its module_init calls
# vmm_linux_main() with its &struct vmm_arch.
vmm-y := mem.o vcpu.o cpuid.o msr.o io.o lapic.o mtrr.o uart.o pm.o \
	 rtc.o pit.o pci.o acpi.o loader.o linux.o insn.o mmio.o mce.o smbios.o \
	 precopy.o ramfile.o side.o state.o migrate.o rewind.o

ccflags-y += -I$(src)/../vmm

# A pattern rule, so that kbuild finds the module each object belongs to.
$(obj)/%.o: $(src)/../vmm/%.c FORCE
	$(call if_changed_rule,cc_o_c)
