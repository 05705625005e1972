#!/usr/bin/env python3
"""Write the Linux test guest's initramfs: a "newc" cpio archive, built
without root (device nodes are cpio entries, never mknod'ed files).

    tools/mkinitramfs.py -o build/linux/initrd.img --init tests/guests/linux/init \\
        --busybox PATH/bin/busybox [--file /bin/tsc=build/linux/tsc] [--gzip]

The archive holds /init, /bin/busybox with a symlink per applet the init
script uses, each --file, the /dev/console, /dev/ttyS0 and /dev/null nodes,
and the /proc, /sys and /tmp mount points. Format: the kernel's
Documentation/driver-api/early-userspace/buffer-format.rst (newc, magic
070701). The output is reproducible: every entry has owner 0:0 and the mtime
SOURCE_DATE_EPOCH (default 0), and gzip's header time is 0. The file is
rewritten only when its bytes change, so make sees an unchanged archive as
up to date. Python standard library only.
"""
from __future__ import annotations

import argparse
import gzip
import os
import stat
import sys
from pathlib import Path

# The busybox applets tests/guests/linux/init runs, linked in /bin. The kernel
# runs /init through its "#!/bin/sh" line, so sh must be among them.
APPLETS = ("sh", "mount", "cat", "echo", "grep", "cut", "uname", "sleep", "poweroff", "ls")

# Character devices the console needs before devtmpfs is mounted, as
# (path, major, minor, permissions): Documentation/admin-guide/devices.txt.
DEVICES = (
    ("/dev/console", 5, 1, 0o600),
    ("/dev/ttyS0", 4, 64, 0o660),
    ("/dev/null", 1, 3, 0o666),
)

DIRS = ("/bin", "/dev", "/proc", "/sys", "/tmp")

NEWC_MAGIC = b"070701"
TRAILER = "TRAILER!!!"


class CpioWriter:
    """Accumulates newc entries; inode numbers are assigned in order."""

    def __init__(self, mtime: int):
        self.mtime = mtime
        self.ino = 0
        self.parts: list[bytes] = []
        self.names: set[str] = set()

    def _entry(self, name: str, mode: int, data: bytes = b"",
               rdev: tuple[int, int] = (0, 0), nlink: int = 1) -> None:
        """One header, its NUL-terminated name and its data, each padded to
        4 bytes. Names go in without the leading '/', as cpio(1) writes them."""
        if name in self.names and name != TRAILER:
            raise ValueError(f"{name}: two entries with this name")
        self.names.add(name)
        self.ino += 1
        raw_name = name.lstrip("/").encode() + b"\0"
        fields = (self.ino, mode, 0, 0, nlink, self.mtime, len(data),
                  0, 0, rdev[0], rdev[1], len(raw_name), 0)
        header = NEWC_MAGIC + b"".join(b"%08x" % f for f in fields)
        self.parts.append(pad4(header + raw_name))
        self.parts.append(pad4(data))

    def directory(self, name: str) -> None:
        self._entry(name, stat.S_IFDIR | 0o755, nlink=2)

    def file(self, name: str, data: bytes, perm: int) -> None:
        self._entry(name, stat.S_IFREG | perm, data)

    def symlink(self, name: str, target: str) -> None:
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, name: str, major: int, minor: int, perm: int) -> None:
        self._entry(name, stat.S_IFCHR | perm, rdev=(major, minor))

    def finish(self) -> bytes:
        self._entry(TRAILER, 0)
        return b"".join(self.parts)


def pad4(b: bytes) -> bytes:
    return b + b"\0" * (-len(b) % 4)


def archive_path(dest: str) -> str:
    """An absolute, normalised path inside the archive, or ValueError."""
    if not dest.startswith("/") or dest == "/":
        raise ValueError(f"{dest!r}: give an absolute path inside the archive, like /bin/tsc")
    parts = dest.strip("/").split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"{dest!r}: empty, '.' or '..' component")
    return "/" + "/".join(parts)


def parse_file_arg(arg: str) -> tuple[str, Path]:
    dest, sep, src = arg.partition("=")
    if not sep or not src:
        raise ValueError(f"--file {arg!r}: expected DEST=SRC, like /bin/tsc=build/linux/tsc")
    return archive_path(dest), Path(src)


def read_source(src: Path) -> tuple[bytes, int]:
    """A source file's bytes and the permissions it gets: 0755 when it is
    executable here, 0644 otherwise."""
    if not src.is_file():
        raise ValueError(f"{src}: not found or not a regular file")
    perm = 0o755 if os.access(src, os.X_OK) else 0o644
    return src.read_bytes(), perm


def build(init: Path, busybox: Path, files: list[tuple[str, Path]], mtime: int) -> bytes:
    w = CpioWriter(mtime)
    wanted_dirs = set(DIRS)
    for dest, _ in files:
        parent = dest.rsplit("/", 1)[0]
        while parent:
            wanted_dirs.add(parent)
            parent = parent.rsplit("/", 1)[0]
    for d in sorted(wanted_dirs):       # parents sort before their children
        w.directory(d)

    data, _ = read_source(init)
    if not data.startswith(b"#!"):
        raise ValueError(f"{init}: /init must start with a #! line (the kernel executes it)")
    w.file("/init", data, 0o755)
    data, _ = read_source(busybox)
    w.file("/bin/busybox", data, 0o755)
    for applet in APPLETS:
        w.symlink(f"/bin/{applet}", "busybox")
    for name, major, minor, perm in DEVICES:
        w.chardev(name, major, minor, perm)
    for dest, src in files:
        data, perm = read_source(src)
        w.file(dest, data, perm)
    return w.finish()


def write_if_changed(out: Path, data: bytes) -> bool:
    """Replace out atomically, and only when its contents differ."""
    if out.is_file() and out.read_bytes() == data:
        return False
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, out)
    return True


def main() -> int:
    ap = argparse.ArgumentParser(description="Write the Linux test guest's initramfs (newc cpio), no root needed.")
    ap.add_argument("-o", "--output", type=Path, required=True, help="the archive to write")
    ap.add_argument("--init", type=Path, required=True, help="the script to install as /init")
    ap.add_argument("--busybox", type=Path, required=True, help="a static busybox binary")
    ap.add_argument("--file", action="append", default=[], metavar="DEST=SRC",
                    help="also add SRC as DEST (repeatable), e.g. /bin/tsc=build/linux/tsc")
    ap.add_argument("--gzip", action="store_true", help="gzip the archive (smaller, but the kernel must inflate it)")
    args = ap.parse_args()

    try:
        mtime = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
        if not 0 <= mtime < 1 << 32:
            raise ValueError("SOURCE_DATE_EPOCH: out of range for a cpio header")
        files = [parse_file_arg(a) for a in args.file]
        data = build(args.init, args.busybox, files, mtime)
    except ValueError as e:
        print(f"mkinitramfs: {e}", file=sys.stderr)
        return 1
    if args.gzip:
        data = gzip.compress(data, compresslevel=9, mtime=0)
    try:
        changed = write_if_changed(args.output, data)
    except OSError as e:
        print(f"mkinitramfs: {args.output}: {e.strerror}", file=sys.stderr)
        return 1
    state = "written" if changed else "unchanged"
    print(f"mkinitramfs: {args.output}: {len(data)} bytes, {state}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
