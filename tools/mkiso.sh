#!/bin/sh
# Build a bootable GRUB ISO holding Keel and its guest modules.
#
#   tools/mkiso.sh --lean|--full -o OUT.iso --config keel.toml \
#                  --guests "hello.bin /path/to/vmlinuz ..." \
#                  [--cmdline "KEEL CMDLINE"] [--kernel build/keel.elf] [--guest-dir build/guests]
#
# --lean: BIOS (i386-pc) GRUB with only the modules a multiboot2 boot from
#         CD needs: the fastest image to boot in Bochs and QEMU/SeaBIOS.
# --full: every platform grub-mkrescue has here (BIOS and x86_64-efi), for
#         OVMF and real machines.
# The image holds /boot/keel.elf, /guests/NAME for each guest module (a
# bare name is looked up in --guest-dir; a path is used as is, its file name
# becoming the module's name) and the config, and a grub.cfg with one entry,
# booted at once:
#     multiboot2 /boot/keel.elf CMDLINE
#     module2 /guests/keel.toml keel.toml
#     module2 /guests/NAME NAME        (one per guest; the string is the name)
# No network is used. Exits non-zero with a message on any failure.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
kind=""
out=""
cmdline=""
config=""
guests=""
kernel="$ROOT/build/keel.elf"
guest_dir="$ROOT/build/guests"

die() {
	echo "mkiso: $*" >&2
	exit 1
}

usage() {
	die "usage: $0 --lean|--full -o OUT.iso --config keel.toml --guests \"a.bin path/b\" [--cmdline \"...\"] [--kernel ELF] [--guest-dir DIR]"
}

while [ $# -gt 0 ]; do
	case "$1" in
	--lean|--full) kind=${1#--} ;;
	-o) [ $# -ge 2 ] || usage; out=$2; shift ;;
	--cmdline) [ $# -ge 2 ] || usage; cmdline=$2; shift ;;
	--guests) [ $# -ge 2 ] || usage; guests=$2; shift ;;
	--config) [ $# -ge 2 ] || usage; config=$2; shift ;;
	--kernel) [ $# -ge 2 ] || usage; kernel=$2; shift ;;
	--guest-dir) [ $# -ge 2 ] || usage; guest_dir=$2; shift ;;
	-h|--help) usage ;;
	*) die "unknown argument '$1' (try --help)" ;;
	esac
	shift
done
[ -n "$kind" ] || die "say --lean (BIOS only) or --full (BIOS and UEFI)"
[ -n "$out" ] || die "no output file: -o OUT.iso"
[ -n "$config" ] || die "no config: --config keel.toml (Keel runs the VMs it lists)"
[ -f "$config" ] || die "config $config not found"

# GRUB would interpret these in grub.cfg; Keel's command line never needs them.
case "$cmdline" in
*[\$\;\'\"\\\{\}\|\&\<\>\#]*) die "command line has a character GRUB would interpret: $cmdline" ;;
esac
case "$cmdline" in
*"
"*) die "command line has a newline" ;;
esac

command -v grub-mkrescue >/dev/null 2>&1 ||
	die "grub-mkrescue not found: install grub-common and grub-pc-bin (make deps)"
command -v xorriso >/dev/null 2>&1 ||
	die "xorriso not found (grub-mkrescue needs it): install xorriso (make deps)"
[ -d /usr/lib/grub/i386-pc ] ||
	die "/usr/lib/grub/i386-pc missing: install grub-pc-bin (make deps)"
if [ "$kind" = full ]; then
	[ -d /usr/lib/grub/x86_64-efi ] ||
		die "/usr/lib/grub/x86_64-efi missing: install grub-efi-amd64-bin (make deps)"
	command -v mformat >/dev/null 2>&1 ||
		die "mformat not found (the EFI boot image needs it): install mtools (make deps)"
fi
[ -f "$kernel" ] || die "kernel $kernel not found (make build/keel.elf first)"

stage=$(mktemp -d "${TMPDIR:-/tmp}/keel-iso.XXXXXX")
trap 'rm -rf "$stage"' EXIT
trap 'exit 130' INT TERM
tree="$stage/iso"     # the image's contents; the log stays outside it
mkdir -p "$tree/boot/grub" "$tree/guests"
cp "$kernel" "$tree/boot/keel.elf"

cfg="$tree/boot/grub/grub.cfg"
{
	echo "set timeout=0"
	echo "set default=0"
	echo "menuentry \"Keel\" {"
	echo "	multiboot2 /boot/keel.elf $cmdline"
} >"$cfg"
cp "$config" "$tree/guests/keel.toml"
echo "	module2 /guests/keel.toml keel.toml" >>"$cfg"
for g in $guests; do
	case "$g" in
	-*) die "guest '$g': not a file name" ;;
	*/*) src=$g; g=$(basename "$g") ;;
	*) src=$guest_dir/$g ;;
	esac
	case "$g" in
	keel.toml) die "guest '$src': the name keel.toml is the config's" ;;
	*[!A-Za-z0-9._-]*) die "guest '$g': use letters, digits, '.', '_' and '-' in module names" ;;
	esac
	[ -f "$src" ] || die "guest $src not found (make guests)"
	cp "$src" "$tree/guests/$g"
	echo "	module2 /guests/$g $g" >>"$cfg"
done
{
	echo "	boot"
	echo "}"
} >>"$cfg"

if [ "$kind" = lean ]; then
	set -- -d /usr/lib/grub/i386-pc \
		--install-modules="multiboot2 normal iso9660 biosdisk part_msdos configfile echo boot" \
		--locales= --fonts= --themes=
else
	set -- --locales= --fonts= --themes=
fi

mkdir -p "$(dirname "$out")"
rm -f "$out"
log="$stage/grub-mkrescue.log"
if ! grub-mkrescue "$@" -o "$out" "$tree" >"$log" 2>&1; then
	cat "$log" >&2
	die "grub-mkrescue failed (its output is above)"
fi
if [ ! -s "$out" ]; then
	cat "$log" >&2
	die "grub-mkrescue reported success but $out was not produced"
fi
