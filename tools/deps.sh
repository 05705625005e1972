#!/bin/sh
# Install the Debian 12 packages Keel needs to build and test.
#   tools/deps.sh          install them (as root), or print the apt-get line and stop
#   tools/deps.sh --check  exit non-zero with the same line if any is missing
set -eu

PKGS="build-essential nasm python3 bochs bochs-term bochsbios vgabios qemu-system-x86 ovmf
grub-pc-bin grub-efi-amd64-bin grub-common xorriso mtools libcmocka-dev clang libclang-rt-14-dev
e2fsprogs gnu-efi dosfstools ipxe-qemu"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done

# tools/linux-assets.sh fetches Debian's kernel with apt-get download: the
# package lists must know it.
lists_ok() {
	apt-cache policy busybox-static 2>/dev/null | grep -q 'Candidate: [0-9]'
}

if [ -z "$missing" ]; then
	if ! lists_ok && [ "${1:-}" != "--check" ] && [ "$(id -u)" -eq 0 ]; then
		apt-get update -q
	fi
	exit 0
fi

line="apt-get install -y$missing"
if [ "${1:-}" = "--check" ]; then
	echo "keel: missing packages; run 'make deps' as root, or: $line" >&2
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "keel: run as root, or install by hand: $line" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends $missing
