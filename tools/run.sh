#!/bin/sh
# make run: boot build/keel.iso with the example guests in the best emulator
# here. QEMU/KVM with nested VMX when /dev/kvm can give guests VT-x (an Intel
# host with kvm_intel nested=1), Bochs (which emulates VMX) otherwise. The
# serial console (Keel's log and every guest's "NAME| ..." lines) is shown
# on this terminal; Ctrl-C ends the run.
set -eu
ISO=build/keel.iso
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
[ -f "$ISO" ] || { echo "run: $ISO is missing; run 'make' first" >&2; exit 1; }

nested=$(cat /sys/module/kvm_intel/parameters/nested 2>/dev/null || echo N)
if [ -r /dev/kvm ] && [ -w /dev/kvm ] && grep -qw vmx /proc/cpuinfo && { [ "$nested" = Y ] || [ "$nested" = 1 ]; }; then
	echo "run: QEMU/KVM with nested VMX (/dev/kvm exposes VT-x), OVMF firmware"
	vars=$(mktemp /tmp/keel-vars.XXXXXX)
	cp "$OVMF_VARS" "$vars"
	trap 'rm -f "$vars"' EXIT
	qemu-system-x86_64 -M q35 -accel kvm -cpu host,+vmx -m 512 -display none -no-reboot \
		-drive if=pflash,format=raw,readonly=on,file="$OVMF_CODE" \
		-drive if=pflash,format=raw,file="$vars" \
		-cdrom "$ISO" -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 || true
	exit 0
fi

why="no /dev/kvm with nested VMX here"
echo "run: Bochs (emulated VMX + EPT; $why); the run ends when every VM has stopped"
dir=$(mktemp -d /tmp/keel-run.XXXXXX)
trap 'kill $bochs_pid 2>/dev/null || true; kill $tail_pid 2>/dev/null || true; rm -rf "$dir"' EXIT INT TERM
cat > "$dir/bochsrc" <<RC
megs: 256
cpu: model=corei7_haswell_4770, count=1, ips=100000000, reset_on_triple_fault=0
clock: sync=none, time0=946684800
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
ata0-master: type=cdrom, path=$PWD/$ISO, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$dir/serial.log
display_library: term
log: $dir/bochs.log
error: action=report
panic: action=fatal
sound: driver=dummy
speaker: enabled=0
RC
echo c > "$dir/rc"
: > "$dir/serial.log"
bochs -q -f "$dir/bochsrc" -rc "$dir/rc" </dev/null >"$dir/bochs.out" 2>&1 &
bochs_pid=$!
tail -f "$dir/serial.log" &
tail_pid=$!
wait $bochs_pid || true
sleep 0.2
