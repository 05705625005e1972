#!/usr/bin/env python3
"""Write the Linux test guest's initramfs: a "newc" cpio archive, built
without root (device nodes are cpio entries, never mknod'ed files).

    tools/mkinitramfs.py -o build/linux/initrd.img --init tests/guests/linux/init \\
        --busybox PATH/bin/busybox [--file /bin/tsc=build/linux/tsc] [--gzip] \\
        [--modules PATH/lib/modules/REL --module virtio_blk --module ext4 ...]

The archive holds /init, /bin/busybox with a symlink per applet the init
script uses, each --file, the /dev/console, /dev/ttyS0 and /dev/null nodes,
and the /proc, /sys, /tmp and /mnt mount points. Format: the kernel's
Documentation/driver-api/early-userspace/buffer-format.rst (newc, magic
070701). The output is reproducible: every entry has owner 0:0 and the mtime
SOURCE_DATE_EPOCH (default 0), and gzip's header time is 0. The file is
rewritten only when its bytes change, so make sees an unchanged archive as
up to date. Python standard library only.

Kernel modules: --modules names a (possibly partial) copy of a kernel's
/lib/modules/REL; each --module NAME is added with the modules it depends on,
under the same path in the archive, byte for byte, and a modules.dep listing
them is written for busybox modprobe. The package does not ship modules.dep
(depmod writes it when the package is installed), so the dependencies are
read here from each module's own .modinfo section ("depends=a,b"), the
source depmod reads them from too. A dependency that is not in the folder
is an error that names it.
"""
from __future__ import annotations

import argparse
import gzip
import os
import stat
import struct
import sys
from pathlib import Path

# The busybox applets tests/guests/linux/init runs, linked in /bin. The kernel
# runs /init through its "#!/bin/sh" line, so sh must be among them. (test,
# [, kill and printf are built into busybox sh.)
APPLETS = ("sh", "mount", "cat", "echo", "grep", "cut", "uname", "sleep", "poweroff", "ls",
           # keel.test=blk, net-a, net-b
           "modprobe", "umount", "sync", "dd", "seq", "sha256sum", "wc", "ifconfig", "ping", "nc")

# Character devices the console needs before devtmpfs is mounted, as
# (path, major, minor, permissions): Documentation/admin-guide/devices.txt.
DEVICES = (
    ("/dev/console", 5, 1, 0o600),
    ("/dev/ttyS0", 4, 64, 0o660),
    ("/dev/null", 1, 3, 0o666),
)

DIRS = ("/bin", "/dev", "/proc", "/sys", "/tmp", "/mnt")

# ELF64 little-endian, the only kind of module an x86-64 kernel loads: the
# section header fields read here (System V gABI, "Sections").
ELF_IDENT = b"\x7fELF\x02\x01"   # magic, ELFCLASS64, ELFDATA2LSB
ELF_SHOFF = struct.Struct("<Q")          # e_shoff at 0x28
ELF_SHINFO = struct.Struct("<HHH")       # e_shentsize, e_shnum, e_shstrndx at 0x3a
ELF_SHDR = struct.Struct("<II8x8xQQ")    # sh_name, sh_type, (flags, addr), sh_offset, sh_size

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


def modinfo(ko: Path) -> dict[str, str]:
    """The key=value strings of a module's .modinfo section (the last value
    of a repeated key wins; only single-valued keys are read)."""
    data = ko.read_bytes()
    try:
        if not data.startswith(ELF_IDENT):
            raise ValueError("not an ELF64 little-endian file")
        (shoff,) = ELF_SHOFF.unpack_from(data, 0x28)
        shentsize, shnum, shstrndx = ELF_SHINFO.unpack_from(data, 0x3a)
        if shentsize < ELF_SHDR.size or shstrndx >= shnum:
            raise ValueError("bad section header table")
        sections = [ELF_SHDR.unpack_from(data, shoff + i * shentsize) for i in range(shnum)]
        _, _, names_off, _ = sections[shstrndx]
        for name_off, _, off, size in sections:
            end = data.index(b"\0", names_off + name_off)
            if data[names_off + name_off:end] == b".modinfo":
                strings = data[off:off + size].split(b"\0")
                return dict(s.decode(errors="replace").partition("=")[::2]
                            for s in strings if b"=" in s)
    except struct.error as e:
        raise ValueError(f"{ko}: unreadable ELF headers ({e})") from e
    except ValueError as e:
        raise ValueError(f"{ko}: {e}") from e
    raise ValueError(f"{ko}: no .modinfo section: not a kernel module")


def module_name(ko: Path) -> str:
    """A module's name as the kernel and modprobe spell it: the file name
    without .ko, dashes as underscores."""
    return ko.name.removesuffix(".ko").replace("-", "_")


def resolve_modules(moddir: Path, wanted: list[str]) -> list[tuple[str, list[str]]]:
    """The modules named in wanted and everything they depend on, each as
    (path relative to moddir, its dependencies' paths), dependencies first:
    the order insmod would need. modules.dep lists a module's dependencies
    the other way round (the last one is loaded first), as depmod does."""
    index: dict[str, Path] = {}
    for ko in sorted(moddir.rglob("*.ko")):
        name = module_name(ko)
        if name in index:
            raise ValueError(f"{moddir}: two modules named {name}: {index[name]} and {ko}")
        index[name] = ko
    order: list[str] = []           # names, dependencies before their users
    deps: dict[str, list[str]] = {}
    visiting: set[str] = set()

    def visit(name: str, user: str) -> None:
        if name in deps:
            return
        if name in visiting:
            raise ValueError(f"module {name}: circular dependency")
        if name not in index:
            raise ValueError(f"module {name} (needed by {user}) is not in {moddir}: "
                             "extract it from the kernel package too (tools/linux-assets.sh)")
        visiting.add(name)
        info = modinfo(index[name])
        direct = [d.replace("-", "_") for d in info.get("depends", "").split(",") if d]
        for d in direct:
            visit(d, name)
        visiting.discard(name)
        # This module's whole closure, in load order.
        closure: list[str] = []
        for d in direct:
            for n in deps[d] + [d]:
                if n not in closure:
                    closure.append(n)
        deps[name] = closure
        order.append(name)

    for name in wanted:
        visit(name.replace("-", "_"), "--module")
    rel = {name: index[name].relative_to(moddir).as_posix() for name in order}
    return [(rel[n], [rel[d] for d in deps[n]]) for n in order]


def add_modules(w: "CpioWriter", base: str, moddir: Path,
                resolved: list[tuple[str, list[str]]]) -> None:
    """The resolved modules under base (/lib/modules/REL) and their
    modules.dep, one "path: deps" line per module, sorted."""
    dep_lines = []
    for path, deps in resolved:
        data, _ = read_source(moddir / path)
        w.file(f"{base}/{path}", data, 0o644)
        dep_lines.append(f"{path}: {' '.join(reversed(deps))}".rstrip() + "\n")
    w.file(f"{base}/modules.dep", "".join(sorted(dep_lines)).encode(), 0o644)


def build(init: Path, busybox: Path, files: list[tuple[str, Path]], mtime: int,
          moddir: Path | None = None, modules: list[str] | None = None) -> bytes:
    w = CpioWriter(mtime)
    resolved = resolve_modules(moddir, modules) if modules else []
    modbase = f"/lib/modules/{moddir.name}" if modules else ""
    wanted_dirs = set(DIRS)
    inside = [dest for dest, _ in files] + [f"{modbase}/{path}" for path, _ in resolved]
    for dest in inside:
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
    if resolved:
        add_modules(w, modbase, moddir, resolved)
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
    ap.add_argument("--modules", type=Path, metavar="DIR",
                    help="a kernel's /lib/modules/REL folder (may hold only the modules needed)")
    ap.add_argument("--module", action="append", default=[], metavar="NAME",
                    help="add module NAME from --modules, and those it depends on (repeatable)")
    args = ap.parse_args()
    if bool(args.modules) != bool(args.module):
        ap.error("--modules and --module go together")
    if args.modules and not args.modules.is_dir():
        ap.error(f"--modules {args.modules}: not a folder")

    try:
        mtime = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
        if not 0 <= mtime < 1 << 32:
            raise ValueError("SOURCE_DATE_EPOCH: out of range for a cpio header")
        files = [parse_file_arg(a) for a in args.file]
        data = build(args.init, args.busybox, files, mtime, args.modules, args.module)
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
