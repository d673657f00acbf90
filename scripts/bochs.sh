# SPDX-License-Identifier: GPL-2.0
# Sourced: a headless Bochs host for the VMX runs (demo-vmx.sh,
# demo-linux-vmx.sh), booted from an isolinux ISO since Bochs has no
# direct kernel boot.

# bochs_setup RUN MEGS CPUS APPEND - in RUN: the ISO's isolinux (its
# kernel RUN/iso/vmlinuz, its initrd RUN/iso/initrd, the command line
# APPEND), and a bochsrc for a corei7_haswell_4770 (VMX with EPT, EPT
# A/D, execute-only and 1 GiB EPT pages, INVEPT single and all context,
# VPID, unrestricted guest, a 4-level EPT walk; tigerlake and icelake_u
# advertise MTF, which Bochs 2.7 ignores; skylake_x warns once more at
# boot) with MEGS of memory and CPUS CPUs at 50 MIPS, its clock counted
# in instructions, its serial port to RUN/serial.log.
bochs_setup() {
	local run=$1 megs=$2 cpus=$3 append=$4
	mkdir -p "$run/iso/isolinux"
	cp /usr/lib/ISOLINUX/isolinux.bin \
		/usr/lib/syslinux/modules/bios/ldlinux.c32 "$run/iso/isolinux/" ||
		return 1
	cat > "$run/iso/isolinux/isolinux.cfg" <<CFG
default linux
prompt 0
timeout 0
label linux
  kernel /vmlinuz
  append $append
CFG
	cat > "$run/bochsrc" <<RC
megs: $megs
cpu: model=corei7_haswell_4770, count=$cpus, ips=50000000
clock: sync=none, time0=local
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
ata0-master: type=cdrom, path=boot.iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=serial.log
display_library: term
log: bochs.log
panic: action=fatal
speaker: enabled=0
sound: driver=dummy
RC
	echo c > "$run/cmds"
}

# bochs_run RUN TIMEOUT - build RUN/boot.iso from RUN/iso and boot it,
# until the console says AXAS-DONE (then 5 s more for its last lines) or
# Bochs ends or TIMEOUT seconds pass. Returns Bochs's status: 124 when
# it timed out. bochs_pid is the Bochs process meanwhile, for a caller's
# EXIT trap. The built-in debugger stops at the first instruction
# without -rc and waits for input with stdin open: the guest's reboot -f
# ends Bochs (the debugger reads end-of-file), or the kill does.
bochs_run() {
	local run=$1 timeout=$2 rc
	xorriso -as mkisofs -quiet -o "$run/boot.iso" -b isolinux/isolinux.bin \
		-c isolinux/boot.cat -no-emul-boot -boot-load-size 4 \
		-boot-info-table "$run/iso" || return 1
	rm -f "$run/serial.log"
	(cd "$run" && TERM=dumb exec timeout -k 10 "$timeout" \
		bochs -q -f bochsrc -rc cmds < /dev/null > bochs.out 2>&1) &
	bochs_pid=$!
	while kill -0 "$bochs_pid" 2>/dev/null; do
		if grep -q AXAS-DONE "$run/serial.log" 2>/dev/null; then
			sleep 5
			kill "$bochs_pid" 2>/dev/null
			break
		fi
		sleep 1
	done
	wait "$bochs_pid"
	rc=$?
	bochs_pid=
	return $rc
}
