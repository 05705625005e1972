#!/bin/sh
# make run: boot Keel with the example guests in the best emulator here, with
# Keel's serial console (its log, each guest's "NAME| ..." lines, and its
# shell: docs/shell.md) on this terminal.
#
#   QEMU/KVM with -cpu host,+vmx, when /dev/kvm can give a guest VT-x (usable
#     /dev/kvm, a vmx flag in /proc/cpuinfo, kvm_intel nested=Y/1): OVMF boots
#     the USB image (tools/mkusb.py) through Keel's native UEFI loader, as on
#     a real machine; SeaBIOS and GRUB when OVMF is not installed. COM1 is
#     this terminal (-serial stdio).
#   Bochs otherwise (emulated VMX + EPT + unrestricted guest), booting the
#     lean GRUB ISO, which Bochs starts fastest. When stdin is a terminal,
#     COM1 is that terminal (com1: mode=term), so what is typed reaches Keel;
#     otherwise COM1 goes to a file whose lines are streamed here.
# KEEL_EMULATOR=kvm|bochs forces one. One line says which was chosen and why.
# In both, Ctrl-C ends the run; so does Keel's shell command `shutdown`.
#
# The media hold Keel, tools/example.toml and the modules it names
# (tools/example.guests: test guests from build/guests, Debian's kernel and
# the test initramfs from build/linux), with shutdown= on Keel's command line
# naming the emulator's own exit (qemu or bochs), so the run ends when every
# VM has stopped. Logs and images stay in build/run/.
set -eu

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
RUN=$BUILD/run
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
BOCHS_SHARE=${BXSHARE:-/usr/share/bochs}

die() {
	echo "run: $*" >&2
	exit 1
}

[ -f "$BUILD/keel.elf" ] || die "$BUILD/keel.elf is missing: run 'make' first"
[ -f tools/example.toml ] || die "tools/example.toml is missing"
[ -f "$BUILD/linux/vmlinuz" ] || die "$BUILD/linux/vmlinuz is missing: run 'make linux' first"

# Why QEMU/KVM cannot run Keel here; empty when it can.
kvm_unusable() {
	if [ ! -c /dev/kvm ]; then
		echo "there is no /dev/kvm"
	elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		echo "/dev/kvm is not read-writable for $(id -un)"
	elif ! grep -qw vmx /proc/cpuinfo; then
		echo "the host CPU shows no vmx flag"
	elif [ ! -r /sys/module/kvm_intel/parameters/nested ]; then
		echo "kvm_intel is not loaded"
	else
		case "$(cat /sys/module/kvm_intel/parameters/nested)" in
		Y|y|1) ;;
		*) echo "kvm_intel has nested virtualization off (modprobe kvm_intel nested=1)" ;;
		esac
	fi
	command -v qemu-system-x86_64 >/dev/null 2>&1 || echo "qemu-system-x86_64 is not installed"
}

case "${KEEL_EMULATOR:-}" in
kvm) emu=kvm; why="KEEL_EMULATOR=kvm" ;;
bochs) emu=bochs; why="KEEL_EMULATOR=bochs" ;;
"")
	no_kvm=$(kvm_unusable)
	if [ -z "$no_kvm" ]; then
		emu=kvm
		why="/dev/kvm offers nested VT-x"
	else
		emu=bochs
		why="QEMU/KVM cannot: $(echo "$no_kvm" | head -n 1)"
	fi
	;;
*) die "KEEL_EMULATOR must be kvm or bochs, not '$KEEL_EMULATOR'" ;;
esac

# The example's command line with the emulator's shutdown method.
shutdown=qemu
[ "$emu" = bochs ] && shutdown=bochs
cmdline="shutdown=$shutdown"
guests=""
for g in $(cat tools/example.guests); do
	case "$g" in
	*/*) guests="$guests $BUILD/$g" ;;
	*) guests="$guests $g" ;;
	esac
done

mkdir -p "$RUN"
serial=$RUN/serial.log
: >"$serial"

if [ "$emu" = kvm ]; then
	tools/mkusb.py -o "$RUN/keel-usb.img" --config tools/example.toml --cmdline "$cmdline" \
		--guests "$guests" --kernel "$BUILD/keel.elf" --guest-dir "$BUILD/guests" \
		--efi "$BUILD/efi/BOOTX64.EFI"
	set -- -machine q35 -accel kvm -cpu host,+vmx -smp 2 -m 512 -display none -monitor none \
		-serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-drive "if=none,id=stick,format=raw,file=$RUN/keel-usb.img" \
		-device qemu-xhci,id=xhci -device usb-storage,bus=xhci.0,drive=stick,bootindex=0
	if [ -f "$OVMF_CODE" ] && [ -f "$OVMF_VARS" ]; then
		echo "run: QEMU/KVM, -cpu host,+vmx, OVMF and Keel's UEFI loader ($why); Ctrl-C ends it"
		cp "$OVMF_VARS" "$RUN/ovmf_vars.fd"
		set -- "$@" -drive "if=pflash,format=raw,readonly=on,file=$OVMF_CODE" \
			-drive "if=pflash,format=raw,file=$RUN/ovmf_vars.fd"
	else
		echo "run: QEMU/KVM, -cpu host,+vmx, SeaBIOS and GRUB: no OVMF ($OVMF_CODE) ($why); Ctrl-C ends it"
	fi
	# isa-debug-exit makes QEMU's status (code << 1) | 1: not an error here.
	qemu-system-x86_64 "$@" || true
	exit 0
fi

command -v bochs >/dev/null 2>&1 || die "bochs is not installed (make deps)"
tools/mkiso.sh --lean -o "$RUN/keel-bochs.iso" --config tools/example.toml --cmdline "$cmdline" --guests "$guests" \
	--kernel "$BUILD/keel.elf" --guest-dir "$BUILD/guests"
term=""
if [ -t 0 ] && [ -t 1 ]; then
	term=$(tty)
	com1="mode=term, dev=$term"
else
	com1="mode=file, dev=$serial"
fi
cat >"$RUN/bochsrc" <<EOF
megs: 384
cpu: model=corei7_haswell_4770, count=2, ips=100000000, reset_on_triple_fault=0
clock: sync=none, time0=946684800
romimage: file=$BOCHS_SHARE/BIOS-bochs-latest
vgaromimage: file=$BOCHS_SHARE/VGABIOS-lgpl-latest
ata0-master: type=cdrom, path=$RUN/keel-bochs.iso, status=inserted
boot: cdrom
com1: enabled=1, $com1
display_library: term
log: $RUN/bochs.log
error: action=report
sound: driver=dummy
speaker: enabled=0
EOF
echo c >"$RUN/bochs.rc"

# Bochs draws its (unused) screen on stdout: that goes to a file, its stdin
# is /dev/null. Bochs' exit status is 1 for every kind of exit: it says nothing.
bochs -q -f "$RUN/bochsrc" -rc "$RUN/bochs.rc" </dev/null >"$RUN/bochs.out" 2>&1 &
bochs_pid=$!
tail_pid=""
saved_tty=""
stop() {
	kill -KILL "$bochs_pid" 2>/dev/null || true
	[ -z "$tail_pid" ] || kill "$tail_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	[ -z "$saved_tty" ] || stty "$saved_tty" 2>/dev/null || true
}
trap 'stop; echo; echo "run: interrupted; logs in $RUN/"; exit 130' INT TERM

if [ -n "$term" ]; then
	# Bochs makes the terminal raw for COM1, Ctrl-C included. Once it has,
	# give Ctrl-C back its signal so that it still ends the run.
	saved_tty=$(stty -g)
	echo "run: Bochs, emulated VMX + EPT ($why); this terminal is COM1: type to Keel, Ctrl-C ends it"
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		[ "$(stty -g)" = "$saved_tty" ] || break
		sleep 0.25
	done
	stty isig intr '^C'
	wait "$bochs_pid" || true
else
	echo "run: Bochs, emulated VMX + EPT ($why); it ends when every VM has stopped, or Ctrl-C"
	tail -n +1 -s 0.2 -f --pid="$bochs_pid" "$serial" &
	tail_pid=$!
	wait "$tail_pid" || true
fi
trap - INT TERM
stop
echo "run: Bochs has exited; logs in $RUN/ (bochs.log, serial.log when not on the terminal)"
