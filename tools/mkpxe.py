#!/usr/bin/env python3
"""Build a TFTP tree that boots Keel over the network with GRUB's netboot
images, for BIOS (PXE) and UEFI machines (docs/boot-media.md).

    tools/mkpxe.py -o DIR --config keel.toml --guests "hello.bin /path/to/vmlinuz ..."
                   [--cmdline "KEEL CMDLINE"] [--kernel build/keel.elf] [--guest-dir build/guests]

DIR becomes the TFTP server's root:
    boot/grub/i386-pc/core.0      the DHCP boot file for BIOS clients
    boot/grub/x86_64-efi/core.efi the DHCP boot file for UEFI clients
    boot/grub/grub.cfg            multiboot2 /keel/keel.elf, a module2 line per module
    keel/keel.elf, keel/keel.toml, keel/NAME per guest
(grub-mknetdir writes the GRUB parts; its images read the rest over TFTP
from the server that gave them.) Options and guest names as tools/mkusb.py.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mkusb import (GRUB_LIB, MediaError, check_inputs, guest_files, media_args,  # noqa: E402
                   media_main, need, run, stage_keel)

PLATFORMS = (("i386-pc", "grub-pc-bin"), ("x86_64-efi", "grub-efi-amd64-bin"))


def build(a: argparse.Namespace) -> None:
    check_inputs(a)
    need(("grub-mknetdir", "grub-common"))
    for platform, pkg in PLATFORMS:
        if not (GRUB_LIB / platform).is_dir():
            raise MediaError(f"{GRUB_LIB / platform} missing: install {pkg} (make deps)")
    guests = guest_files(a.guests, a.guest_dir)
    # Rebuilt from scratch, but never over a directory that is not ours.
    if a.out.exists() and any(a.out.iterdir()) and not (a.out / "keel" / "keel.elf").exists():
        raise MediaError(f"{a.out} exists and is not a Keel TFTP tree: remove it or pick another -o")
    shutil.rmtree(a.out, ignore_errors=True)
    a.out.mkdir(parents=True)
    for platform, _ in PLATFORMS:
        run(["grub-mknetdir", f"--net-directory={a.out}", "--subdir=boot/grub",
             "-d", str(GRUB_LIB / platform), "--locales=", "--fonts=", "--themes="])
    stage_keel(a.out, a.kernel, a.config, guests, a.cmdline)


def main() -> int:
    ap = media_args("Build Keel's PXE/TFTP tree (GRUB netboot, BIOS and UEFI).",
                    "the TFTP root to (re)create")
    return media_main("mkpxe", ap, build)


if __name__ == "__main__":
    sys.exit(main())
