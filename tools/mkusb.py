#!/usr/bin/env python3
"""Build a disk image that boots Keel on BIOS and UEFI machines: write it to
a USB stick with dd (docs/boot-media.md).

    tools/mkusb.py -o OUT.img --config keel.toml --guests "hello.bin /path/to/vmlinuz ..."
                   [--cmdline "KEEL CMDLINE"] [--kernel build/keel.elf] [--guest-dir build/guests]
                   [--efi build/efi/BOOTX64.EFI] [--efi-default native|grub]

The image is a GPT disk (UEFI 2.10 section 5.3) with a protective MBR:
  partition 1, the EFI system partition (FAT32):
    /EFI/BOOT/BOOTX64.EFI   Keel's native UEFI loader (boot/efi/), what UEFI
                            firmware starts from removable media
    /EFI/keel/grubx64.efi   GRUB for UEFI, from the firmware's boot menu
                            (--efi-default grub swaps the two: the native
                            loader is then /EFI/keel/keelx64.efi)
    /boot/grub/grub.cfg     both GRUBs: multiboot2 /keel/keel.elf, a module2
                            line per module
    /keel/keel.elf, /keel/keel.toml, /keel/cmdline.txt (the native loader's
                            Keel command line), /keel/NAME for each guest
  partition 2, a BIOS boot partition holding GRUB's i386-pc core image,
    which GRUB's boot.img in the MBR loads on a BIOS.
Guests are named as in tools/mkiso.sh: a bare name is looked up in
--guest-dir, a path is used as is, its file name becoming the module's name.
No root, loop device or network: grub-mkimage, mkfs.fat and mcopy work on
plain files, and the partition tables and GRUB's embedding (the layout of
GRUB 2.06's boot.img and diskboot.img) are written here. Python standard
library only.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import uuid
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GRUB_LIB = Path("/usr/lib/grub")
SECTOR = 512
MiB = 1 << 20

# Layout, in 512-byte sectors: MBR, GPT header and 128 entries at the start,
# their backup at the end; GRUB's core image at 1 MiB, the ESP at 2 MiB.
GPT_ENTRIES, GPT_ENTRY_SIZE = 128, 128
GPT_TABLE_SECTORS = GPT_ENTRIES * GPT_ENTRY_SIZE // SECTOR     # 32
BIOS_BOOT_START, BIOS_BOOT_SECTORS = 2048, 2048
ESP_START = 4096
ESP_MIN = 36 * MiB          # FAT32 needs 65525 clusters: ~33 MiB at 512 bytes each
# Bochs sizes a flat disk in whole cylinders of 16 heads x 63 sectors.
CYLINDER = 16 * 63

ESP_TYPE = uuid.UUID("c12a7328-f81f-11d2-ba4b-00a0c93ec93b")
BIOS_BOOT_TYPE = uuid.UUID("21686148-6449-6e6f-744e-656564454649")

# GRUB 2.06 include/grub/i386/pc/boot.h: fields of boot.img (the MBR code).
BOOT_BPB = (0x03, 0x5a)          # a BIOS parameter block; a disk has none
BOOT_KERNEL_SECTOR = 0x5c        # u64: LBA of core.img's first sector
BOOT_DRIVE = 0x64                # 0xff: the drive the BIOS booted (DL)
BOOT_DRIVE_CHECK = 0x66          # a jmp; two NOPs on hard disks (BIOSes pass bad DL)
MBR_PART_TABLE = 0x1be
# diskboot.img (core.img's first sector) ends with blocklists, 12 bytes each
# (u64 start LBA, u16 sectors, u16 load segment), the first at the end.
BLOCKLIST_SIZE = 12
CORE_LOAD_SEGMENT = 0x820        # GRUB_BOOT_I386_PC_KERNEL_SEG + one sector
CORE_MAX_BYTES = 0x78000 - 0x9000  # what fits between its link address and the buffer

GRUB_MODULES = ["part_gpt", "fat", "normal", "multiboot2", "boot", "echo"]
NAME_OK = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$")
# GRUB would interpret these in grub.cfg; Keel's command line never needs them.
CMDLINE_BAD = re.compile(r"[$;'\"\\{}|&<>#\n]")


class MediaError(Exception):
    pass


# --- what goes on the medium ---------------------------------------------------
def guest_files(guests: str, guest_dir: Path) -> list[tuple[Path, str]]:
    """(source, module name) per guest, checked as tools/mkiso.sh does."""
    out = []
    for g in guests.split():
        src = Path(g) if "/" in g else guest_dir / g
        name = src.name
        if g.startswith("-"):
            raise MediaError(f"guest '{g}': not a file name")
        if name == "keel.toml":
            raise MediaError(f"guest '{src}': the name keel.toml is the config's")
        if not NAME_OK.match(name):
            raise MediaError(f"guest '{name}': use letters, digits, '.', '_' and '-' in module names")
        if not src.is_file():
            raise MediaError(f"guest {src} not found (make guests)")
        out.append((src, name))
    return list(dict.fromkeys(out))


def grub_cfg(cmdline: str, names: list[str]) -> str:
    """One entry, booted at once: Keel, keel.toml, then each module by name
    (paths on GRUB's root device: the ESP, or the TFTP server)."""
    lines = ["set timeout=0", "set default=0", 'menuentry "Keel" {',
             f"\tmultiboot2 /keel/keel.elf {cmdline}".rstrip(),
             "\tmodule2 /keel/keel.toml keel.toml"]
    lines += [f"\tmodule2 /keel/{n} {n}" for n in names]
    return "\n".join(lines + ["\tboot", "}"]) + "\n"


def stage_keel(tree: Path, kernel: Path, config: Path, guests: list[tuple[Path, str]],
               cmdline: str) -> None:
    """tree/keel/ (Keel, config, command line, guests) and tree/boot/grub/grub.cfg."""
    (tree / "keel").mkdir(parents=True, exist_ok=True)
    (tree / "boot" / "grub").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(kernel, tree / "keel" / "keel.elf")
    shutil.copyfile(config, tree / "keel" / "keel.toml")
    (tree / "keel" / "cmdline.txt").write_text(cmdline + "\n")
    for src, name in guests:
        shutil.copyfile(src, tree / "keel" / name)
    (tree / "boot" / "grub" / "grub.cfg").write_text(
        grub_cfg(cmdline, [n for _, n in guests]))


def check_inputs(a: argparse.Namespace) -> None:
    if CMDLINE_BAD.search(a.cmdline):
        raise MediaError(f"command line has a character GRUB would interpret: {a.cmdline}")
    if not a.config.is_file():
        raise MediaError(f"config {a.config} not found")
    if not a.kernel.is_file():
        raise MediaError(f"kernel {a.kernel} not found (make build/keel.elf first)")


def run(argv: list[str]) -> None:
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       env={**os.environ, "MTOOLS_SKIP_CHECK": "1"})
    if p.returncode != 0:
        raise MediaError(f"{argv[0]} failed: {(p.stderr or p.stdout).strip()}")


def which(prog: str) -> str | None:
    """A program's path; mkfs.fat lives in /usr/sbin, which a user's PATH may lack."""
    return shutil.which(prog) or shutil.which(prog, path="/usr/sbin:/sbin")


def need(*progs: tuple[str, str]) -> None:
    for prog, pkg in progs:
        if not which(prog):
            raise MediaError(f"{prog} not found: install {pkg} (make deps)")


# --- GRUB ------------------------------------------------------------------------
def grub_images(work: Path) -> tuple[Path, Path]:
    """GRUB for BIOS (core.img, modules built in, reading the ESP: the prefix
    names partition 1 of the disk the BIOS booted) and for UEFI (reading
    /boot/grub on the ESP it was started from)."""
    core, efi = work / "core.img", work / "grubx64.efi"
    run(["grub-mkimage", "-O", "i386-pc", "-d", str(GRUB_LIB / "i386-pc"), "-o", str(core),
         "-p", "(,gpt1)/boot/grub", "biosdisk"] + GRUB_MODULES)
    run(["grub-mkimage", "-O", "x86_64-efi", "-d", str(GRUB_LIB / "x86_64-efi"), "-o", str(efi),
         "-p", "/boot/grub"] + GRUB_MODULES)
    if core.stat().st_size > min(CORE_MAX_BYTES, BIOS_BOOT_SECTORS * SECTOR):
        raise MediaError(f"GRUB's core image is {core.stat().st_size} bytes: too big to embed")
    return core, efi


def embed_core(core: bytes, lba: int) -> bytes:
    """core.img with its first blocklist naming the rest of it at lba + 1
    (what grub-bios-setup writes when it embeds core.img)."""
    img = bytearray(core + bytes(-len(core) % SECTOR))
    first = SECTOR - BLOCKLIST_SIZE
    off = first
    while off > 0 and struct.unpack_from("<H", img, off + 8)[0]:
        img[off:off + BLOCKLIST_SIZE] = bytes(BLOCKLIST_SIZE)     # stale entries out
        off -= BLOCKLIST_SIZE
    struct.pack_into("<QHH", img, first, lba + 1, len(img) // SECTOR - 1, CORE_LOAD_SEGMENT)
    return bytes(img)


def boot_sector(core_lba: int, total: int) -> bytes:
    """The protective MBR (UEFI 2.10 5.2.3) with GRUB's boot.img as its code."""
    mbr = bytearray((GRUB_LIB / "i386-pc" / "boot.img").read_bytes())
    if len(mbr) != SECTOR:
        raise MediaError("boot.img is not one sector")
    mbr[BOOT_BPB[0]:BOOT_BPB[1]] = bytes(BOOT_BPB[1] - BOOT_BPB[0])
    struct.pack_into("<Q", mbr, BOOT_KERNEL_SECTOR, core_lba)
    mbr[BOOT_DRIVE] = 0xff
    mbr[BOOT_DRIVE_CHECK:BOOT_DRIVE_CHECK + 2] = b"\x90\x90"
    mbr[0x1b8:0x1fe] = bytes(0x1fe - 0x1b8)            # disk signature, table
    # One partition of type 0xEE from LBA 1 over the whole disk; CHS unused.
    struct.pack_into("<B3sB3sII", mbr, MBR_PART_TABLE, 0, b"\x00\x02\x00", 0xEE,
                     b"\xff\xff\xff", 1, min(total - 1, 0xFFFFFFFF))
    mbr[0x1fe:0x200] = b"\x55\xaa"
    return bytes(mbr)


# --- GPT (UEFI 2.10 section 5.3) --------------------------------------------------
def gpt_entry(type_guid: uuid.UUID, first: int, last: int, name: str) -> bytes:
    return struct.pack("<16s16sQQQ72s", type_guid.bytes_le, uuid.uuid4().bytes_le, first, last,
                       0, name.encode("utf-16-le"))


def gpt_header(disk: uuid.UUID, mine: int, other: int, table: int, last_usable: int,
               entries: bytes) -> bytes:
    def pack(crc: int) -> bytes:
        return struct.pack("<8sIIIIQQQQ16sQIII", b"EFI PART", 0x00010000, 92, crc, 0, mine, other,
                           2 + GPT_TABLE_SECTORS, last_usable, disk.bytes_le, table,
                           GPT_ENTRIES, GPT_ENTRY_SIZE, zlib.crc32(entries))
    hdr = pack(0)
    return pack(zlib.crc32(hdr)).ljust(SECTOR, b"\0")


def align_up(n: int, a: int = 4096) -> int:
    return -(-n // a) * a


def layout(esp_bytes: int) -> tuple[int, int]:
    """(total sectors, ESP sectors): whole Bochs cylinders, the ESP filling
    what the backup GPT leaves."""
    need = ESP_START + esp_bytes // SECTOR + 1 + GPT_TABLE_SECTORS
    total = align_up(need, CYLINDER)
    return total, total - 1 - GPT_TABLE_SECTORS - ESP_START


def make_esp(tree: Path, path: Path, sectors: int) -> None:
    with open(path, "wb") as f:
        f.truncate(sectors * SECTOR)
    run([which("mkfs.fat") or "mkfs.fat", "-F", "32", "-n", "KEEL", str(path)])
    run(["mcopy", "-s", "-Q", "-i", str(path)] + [str(p) for p in sorted(tree.iterdir())] + ["::/"])


def copy_sparse(dst, src: Path, offset: int) -> None:
    """src into dst at offset, leaving all-zero blocks as holes."""
    with open(src, "rb") as f:
        pos = offset
        while block := f.read(MiB):
            if block.count(0) != len(block):
                dst.seek(pos)
                dst.write(block)
            pos += len(block)


def write_image(out: Path, esp: Path, esp_sectors: int, total: int, core: bytes) -> None:
    disk = uuid.uuid4()
    last_usable = total - 2 - GPT_TABLE_SECTORS
    entries = (gpt_entry(ESP_TYPE, ESP_START, ESP_START + esp_sectors - 1, "EFI system partition")
               + gpt_entry(BIOS_BOOT_TYPE, BIOS_BOOT_START, BIOS_BOOT_START + BIOS_BOOT_SECTORS - 1,
                           "BIOS boot partition"))
    entries = entries.ljust(GPT_ENTRIES * GPT_ENTRY_SIZE, b"\0")
    backup_table = total - 1 - GPT_TABLE_SECTORS
    tmp = out.with_name(out.name + ".tmp")
    with open(tmp, "wb") as f:
        f.truncate(total * SECTOR)
        f.write(boot_sector(BIOS_BOOT_START, total))
        f.write(gpt_header(disk, 1, total - 1, 2, last_usable, entries))
        f.write(entries)
        f.seek(BIOS_BOOT_START * SECTOR)
        f.write(embed_core(core, BIOS_BOOT_START))
        copy_sparse(f, esp, ESP_START * SECTOR)
        f.seek(backup_table * SECTOR)
        f.write(entries)
        f.write(gpt_header(disk, total - 1, 1, backup_table, last_usable, entries))
    tmp.replace(out)


def build(a: argparse.Namespace) -> None:
    check_inputs(a)
    need(("grub-mkimage", "grub-common"), ("mkfs.fat", "dosfstools"), ("mcopy", "mtools"))
    for platform, pkg in (("i386-pc", "grub-pc-bin"), ("x86_64-efi", "grub-efi-amd64-bin")):
        if not (GRUB_LIB / platform).is_dir():
            raise MediaError(f"{GRUB_LIB / platform} missing: install {pkg} (make deps)")
    if not a.efi.is_file():
        raise MediaError(f"{a.efi} not found (make efi)")
    guests = guest_files(a.guests, a.guest_dir)
    with tempfile.TemporaryDirectory(prefix="keel-usb.") as tmp:
        work = Path(tmp)
        tree = work / "esp"
        stage_keel(tree, a.kernel, a.config, guests, a.cmdline)
        core, grub_efi = grub_images(work)
        native_at, grub_at = (("BOOT/BOOTX64.EFI", "keel/grubx64.efi") if a.efi_default == "native"
                              else ("keel/keelx64.efi", "BOOT/BOOTX64.EFI"))
        for src, dst in ((a.efi, native_at), (grub_efi, grub_at)):
            (tree / "EFI" / dst).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, tree / "EFI" / dst)
        content = sum(align_up(p.stat().st_size) for p in tree.rglob("*") if p.is_file())
        total, esp_sectors = layout(max(ESP_MIN, content + content // 16 + 4 * MiB))
        make_esp(tree, work / "esp.img", esp_sectors)
        a.out.parent.mkdir(parents=True, exist_ok=True)
        write_image(a.out, work / "esp.img", esp_sectors, total, core.read_bytes())


def media_args(description: str, out_help: str) -> argparse.ArgumentParser:
    """The options mkusb and mkpxe share: output, config, guests, command line, kernel."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("-o", dest="out", type=Path, required=True, help=out_help)
    ap.add_argument("--config", type=Path, required=True, help="keel.toml: the VMs Keel runs")
    ap.add_argument("--guests", default="", help='the modules, e.g. "hello.bin build/linux/vmlinuz"')
    ap.add_argument("--cmdline", default="", help="Keel's command line")
    ap.add_argument("--kernel", type=Path, default=ROOT / "build" / "keel.elf")
    ap.add_argument("--guest-dir", type=Path, default=ROOT / "build" / "guests")
    return ap


def media_main(name: str, ap: argparse.ArgumentParser, build_fn) -> int:
    """Parse, build, and turn a MediaError into one line and exit status 1."""
    try:
        build_fn(ap.parse_args())
    except MediaError as e:
        print(f"{name}: {e}", file=sys.stderr)
        return 1
    return 0


def main() -> int:
    ap = media_args("Build Keel's bootable USB disk image (GPT, BIOS and UEFI).", "the image to write")
    ap.add_argument("--efi", type=Path, default=ROOT / "build" / "efi" / "BOOTX64.EFI",
                    help="the native UEFI loader (make efi)")
    ap.add_argument("--efi-default", choices=("native", "grub"), default="native",
                    help="what /EFI/BOOT/BOOTX64.EFI is (default: the native loader)")
    return media_main("mkusb", ap, build)


if __name__ == "__main__":
    sys.exit(main())
