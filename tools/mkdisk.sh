#!/bin/sh
# Build the ext4 disk image of the Linux guest's virtio-blk test, without root.
#
#   tools/mkdisk.sh OUT.img SIZE        (SIZE as mke2fs takes it: 16M, 65536K)
#
# The file system holds:
#   hello.txt      a known line of text
#   hello.sha256   its checksum as sha256sum prints it ("HASH  hello.txt"):
#                  the guest (tests/guests/linux/init, keel.test=blk) compares
#                  the file it reads with this
# mke2fs -d copies a staging folder into the new file system, so no mount
# (and no root) is needed; e2fsprogs 1.43 or newer (mke2fs, debugfs). The
# image is reproducible: fixed UUID, directory hash seed and time stamps (the
# time is SOURCE_DATE_EPOCH when set, else 2000-01-01, the Bochs clock of
# the tests).
# OUT is replaced atomically, and only when its bytes change.
set -eu

die() {
	echo "mkdisk: $*" >&2
	exit 1
}

[ $# -eq 2 ] || die "usage: $0 OUT.img SIZE (e.g. build/linux/disk.img 16M)"
out=$1
size=$2

# mke2fs and debugfs live in /sbin, which is not in a user's PATH on Debian.
mke2fs=$(PATH="$PATH:/usr/sbin:/sbin" command -v mke2fs) ||
	die "mke2fs not found: install e2fsprogs"

stage=$(mktemp -d "${TMPDIR:-/tmp}/keel-disk.XXXXXX")
trap 'rm -rf "$stage"' EXIT
trap 'exit 130' INT TERM

when=${SOURCE_DATE_EPOCH:-946684800}
# mke2fs treats a fake time of 0 as none.
[ "$when" != 0 ] || when=1

mkdir "$stage/root"
echo "Hello from the Keel virtio-blk test disk." >"$stage/root/hello.txt"
(cd "$stage/root" && sha256sum hello.txt >hello.sha256) || die "sha256sum failed"
touch -d "@$when" "$stage/root/hello.txt" "$stage/root/hello.sha256" "$stage/root"

# The UUID and hash seed spell "KEEL" in their first bytes.
if ! E2FSPROGS_FAKE_TIME=$when "$mke2fs" -q -F -t ext4 -d "$stage/root" \
	-U 4b45454c-0000-4000-8000-000000000001 \
	-E hash_seed=4b45454c-0000-4000-8000-000000000002,root_owner=0:0 \
	-L keel-test "$stage/disk.img" "$size" >"$stage/mke2fs.log" 2>&1; then
	cat "$stage/mke2fs.log" >&2
	die "mke2fs failed (above)"
fi

# mke2fs copies each file's ctime, which touch cannot set: set it here.
debugfs=$(PATH="$PATH:/usr/sbin:/sbin" command -v debugfs) ||
	die "debugfs not found: install e2fsprogs"
for f in hello.txt hello.sha256; do
	echo "set_inode_field /$f ctime @$when"
done >"$stage/debugfs.cmd"
if ! E2FSPROGS_FAKE_TIME=$when "$debugfs" -w -f "$stage/debugfs.cmd" "$stage/disk.img" \
	>"$stage/debugfs.log" 2>&1 || grep -qi -e error -e invalid -e "not found" "$stage/debugfs.log"; then
	cat "$stage/debugfs.log" >&2
	die "debugfs failed (above)"
fi

if ! cmp -s "$stage/disk.img" "$out"; then
	{ cp "$stage/disk.img" "$out.tmp" && mv "$out.tmp" "$out"; } || die "cannot write $out"
fi
