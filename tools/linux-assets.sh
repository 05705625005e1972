#!/bin/sh
# Fetch Debian 12's stock kernel and build the Linux test guest's initramfs.
#
#   tools/linux-assets.sh [OUTDIR]          (default build/linux)
#
# Produces, in OUTDIR:
#   vmlinuz     /boot/vmlinuz-REL of the newest linux-image-6.1.0-N-amd64,
#               byte for byte (checked against the package's md5sums)
#   initrd.img  newc cpio: busybox-static, tests/guests/linux/init as /init,
#               /bin/tsc, and the kernel modules of the virtio tests with
#               their modules.dep (tools/mkinitramfs.py)
#   tsc         tests/guests/linux/tsc.c, static, no libc
#   disk.img    the 16 MiB ext4 disk of keel.test=blk (tools/mkdisk.sh)
#   VERSION     package=, version=, release= (kernel), busybox= lines
#
# Environment:
#   KEEL_LINUX_PKG    pin the kernel package: NAME or NAME=VERSION
#                     (default: the highest N that apt-cache has a candidate for)
#   KEEL_CACHE        where downloaded .deb files are kept (default ~/.cache/keel);
#                     a cached package is never downloaded again
#   KEEL_INITRD_GZIP  1: gzip the initramfs (default 0: in Bochs, inflating it
#                     costs more instructions than reading the bigger file)
#
# The package is unpacked with dpkg-deb: only its /boot and the modules named
# in MODULE_FILES (all of them take ~400 MB); the kernel and the modules are
# never modified, and are checked against the package's md5sums. An output
# file is rewritten only when its contents change, so make sees it as up to
# date. Needs apt's package lists (apt-get update), for the first download
# the network, and mke2fs (e2fsprogs) for the disk. Exits non-zero with a
# message on any failure.
set -eu

# The modules tests/guests/linux/init loads (modprobe; keel.test=blk, net-a,
# net-b): the virtio PCI transport, the disk and network drivers, ext4 and
# the crc32c its metadata checksums ask the crypto API for (a soft
# dependency, which modprobe would fetch through /sbin/modprobe; there is none).
INIT_MODULES="virtio_pci virtio_blk virtio_net crc32c_generic ext4"
# The files to extract for them: these and what they depend on. The package
# has no modules.dep (depmod writes it at install time); mkinitramfs.py
# reads each module's dependencies and names any missing from this list.
MODULE_FILES="$INIT_MODULES virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev
	net_failover failover jbd2 mbcache crc16"
DISK_SIZE=16M

ROOT=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-"$ROOT/build/linux"}
cache=${KEEL_CACHE:-"$HOME/.cache/keel"}
gzip_initrd=${KEEL_INITRD_GZIP:-0}
export LC_ALL=C   # apt-cache's "Candidate:" is parsed below

die() {
	echo "linux-assets: $*" >&2
	exit 1
}

[ $# -le 1 ] || die "usage: $0 [OUTDIR]"
case "$gzip_initrd" in 0|1) ;; *) die "KEEL_INITRD_GZIP must be 0 or 1, not '$gzip_initrd'" ;; esac
for prog in apt-cache apt-get dpkg-deb tar gcc python3 md5sum; do
	command -v "$prog" >/dev/null 2>&1 || die "$prog not found (this script needs Debian's apt, dpkg, tar, gcc and python3)"
done

stage=$(mktemp -d "${TMPDIR:-/tmp}/keel-linux.XXXXXX")
trap 'rm -rf "$stage"' EXIT
trap 'exit 130' INT TERM

# "NAME VERSION" for each named package that apt can install (its candidate
# version), in one apt-cache run: each run reads all package lists (~0.4 s).
candidates() {
	apt-cache policy "$@" 2>/dev/null | awk '
		/^[^ ].*:$/ { name = substr($0, 1, length($0) - 1) }
		/^  Candidate: / && $2 != "(none)" { print name, $2 }'
}

# The plain amd64 flavour of Debian 12's kernel, newest ABI number N first
# (not cloud-amd64, rt-amd64, -dbg or -unsigned).
kernel_names() {
	apt-cache pkgnames linux-image-6.1.0- |
		grep -E '^linux-image-6\.1\.0-[0-9]+-amd64$' |
		sort -t- -k4,4nr
}

# fetch NAME VERSION: print the path of NAME's .deb in the cache, downloading
# it once. apt-get download verifies it against the signed package lists.
fetch() {
	name=$1
	version=$2
	debs="$cache/debs"
	# apt-get download names files NAME_VERSION_ARCH.deb, with ':' as %3a.
	file_version=$(printf '%s' "$version" | sed 's/:/%3a/g')
	for f in "$debs/${name}_${file_version}"_*.deb; do
		if [ -f "$f" ]; then
			echo "$f"
			return
		fi
	done
	mkdir -p "$debs" || die "cannot create the cache $debs (set KEEL_CACHE)"
	dl="$stage/dl.$name"
	mkdir -p "$dl"
	# As root, apt would hand the download to its _apt user, who cannot
	# write our private temporary folder; stay root, as apt falls back to anyway.
	sandbox=""
	[ "$(id -u)" -ne 0 ] || sandbox="-o APT::Sandbox::User=root"
	echo "linux-assets: downloading $name $version" >&2
	# shellcheck disable=SC2086
	if ! (cd "$dl" && apt-get download -q $sandbox "$name=$version") >"$stage/apt.log" 2>&1; then
		cat "$stage/apt.log" >&2
		die "apt-get download $name=$version failed (above): no network to the Debian mirror, or stale package lists (apt-get update)?"
	fi
	set -- "$dl"/*.deb
	[ -f "$1" ] || die "apt-get download $name reported success but left no .deb"
	mv "$1" "$debs/" || die "cannot move the download into $debs"
	echo "$debs/$(basename "$1")"
}

# unpack DEB DIR PATTERN...: extract the named paths of a package once; a
# stamp file holding the patterns marks a complete extraction of those.
unpack() {
	deb=$1
	dir=$2
	shift 2
	[ -f "$dir/.unpacked" ] && [ "$(cat "$dir/.unpacked")" = "$*" ] && return
	rm -rf "$dir"
	mkdir -p "$dir/root"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir/root" --wildcards "$@" ||
		die "cannot unpack $* from $deb"
	dpkg-deb --ctrl-tarfile "$deb" | tar -x -O ./md5sums >"$dir/md5sums" ||
		die "cannot read the md5sums of $deb"
	echo "$*" >"$dir/.unpacked"
}

# check_md5 DIR FILE: FILE (a path under DIR/root) is as the package shipped it.
check_md5() {
	want=$(awk -v p="${2#"$1"/root/}" '$2 == p { print $1 }' "$1/md5sums")
	have=$(md5sum "$2" | cut -d' ' -f1)
	if [ -z "$want" ] || [ "$want" != "$have" ]; then
		die "$2 does not match the md5sums of its package (delete $1 and retry)"
	fi
}

# install_file SRC DEST: copy, but leave DEST (and its mtime) alone when equal.
install_file() {
	if ! cmp -s "$1" "$2"; then
		{ cp "$1" "$2.tmp" && mv "$2.tmp" "$2"; } || die "cannot write $2"
		echo "linux-assets: $2 updated" >&2
	fi
}

# --- the kernel ---------------------------------------------------------------
# Pinned by KEEL_LINUX_PKG, or the highest N with a candidate.
pin=${KEEL_LINUX_PKG:-}
kname=${pin%%=*}
case "$pin" in
"") names=$(kernel_names) ;;
linux-image-*) names=$kname ;;
*) die "KEEL_LINUX_PKG='$pin' is not a linux-image-* package (NAME or NAME=VERSION)" ;;
esac
[ -n "$names" ] || die "apt-cache knows no linux-image-6.1.0-N-amd64: is this Debian 12, and has 'apt-get update' been run?"
# shellcheck disable=SC2086
candidates $names busybox-static >"$stage/candidates"
bversion=$(awk '$1 == "busybox-static" { print $2 }' "$stage/candidates")
[ -n "$bversion" ] || die "apt-cache has no installable busybox-static (apt-get update?)"
case "$pin" in
*=*) kversion=${pin#*=} ;;
*)
	# The first of $names (newest first) that has a candidate.
	kversion=""
	for n in $names; do
		kversion=$(awk -v n="$n" '$1 == n { print $2 }' "$stage/candidates")
		kname=$n
		[ -z "$kversion" ] || break
	done
	[ -n "$kversion" ] || die "apt-cache has no installable version of ${pin:-any linux-image-6.1.0-N-amd64} (apt-get update?)"
	;;
esac
kdeb=$(fetch "$kname" "$kversion")
kdir="$cache/unpacked/$(basename "$kdeb" .deb)"
# One pass over the package (it is xz-compressed: each pass takes ~2 s).
set -- './boot/vmlinuz-*'
for m in $MODULE_FILES; do
	set -- "$@" "./lib/modules/*/kernel/*/$m.ko"
done
unpack "$kdeb" "$kdir" "$@"
set -- "$kdir"/root/boot/vmlinuz-*
if [ $# -ne 1 ] || [ ! -f "$1" ]; then
	die "$kdeb holds no single /boot/vmlinuz-*"
fi
vmlinuz=$1
release=${vmlinuz##*/vmlinuz-}
moddir="$kdir/root/lib/modules/$release"
[ -d "$moddir" ] || die "$kdeb holds no /lib/modules/$release"

# The proof that the kernel and its modules are the stock ones: the
# package's own checksums.
check_md5 "$kdir" "$vmlinuz"
find "$moddir" -name '*.ko' >"$stage/modules"
while read -r ko; do
	check_md5 "$kdir" "$ko"
done <"$stage/modules"

# --- busybox ------------------------------------------------------------------
bdeb=$(fetch busybox-static "$bversion")
bdir="$cache/unpacked/$(basename "$bdeb" .deb)"
unpack "$bdeb" "$bdir" './bin/busybox'
busybox="$bdir/root/bin/busybox"
[ -x "$busybox" ] || die "$bdeb holds no executable /bin/busybox"

# --- outputs ------------------------------------------------------------------
mkdir -p "$out" || die "cannot create $out"
install_file "$vmlinuz" "$out/vmlinuz"

gcc -static -nostdlib -fno-pie -no-pie -O2 -ffreestanding -fno-stack-protector -s \
	-Wall -Wextra -Werror -o "$stage/tsc" "$ROOT/tests/guests/linux/tsc.c" ||
	die "cannot build tests/guests/linux/tsc.c"
install_file "$stage/tsc" "$out/tsc"

set -- -o "$out/initrd.img" --init "$ROOT/tests/guests/linux/init" \
	--busybox "$busybox" --file "/bin/tsc=$out/tsc" --modules "$moddir"
for m in $INIT_MODULES; do
	set -- "$@" --module "$m"
done
[ "$gzip_initrd" = 0 ] || set -- "$@" --gzip
python3 "$ROOT/tools/mkinitramfs.py" "$@" >"$stage/mkinitramfs.log" 2>&1 || {
	cat "$stage/mkinitramfs.log" >&2
	die "tools/mkinitramfs.py failed (above)"
}
grep -q unchanged "$stage/mkinitramfs.log" || echo "linux-assets: $out/initrd.img updated" >&2

"$ROOT/tools/mkdisk.sh" "$stage/disk.img" "$DISK_SIZE" || die "tools/mkdisk.sh failed"
install_file "$stage/disk.img" "$out/disk.img"

{
	echo "package=$kname"
	echo "version=$kversion"
	echo "release=$release"
	echo "busybox=busybox-static $bversion"
} >"$stage/VERSION"
install_file "$stage/VERSION" "$out/VERSION"
echo "linux-assets: $out: $kname $kversion ($release), initrd $(wc -c <"$out/initrd.img") bytes" >&2
