"""Boot-media system tests: the USB image (tools/mkusb.py) and the PXE tree
(tools/mkpxe.py) booted the ways users boot them. tests/system/runner.py
calls handles(), build_image(), emulator_command() and preflight() for these
emulator kinds:

  qemu-usb-uefi      OVMF starts the stick's /EFI/BOOT/BOOTX64.EFI: Keel's native loader
  qemu-usb-grub-efi  OVMF starts GRUB EFI (an image built with --efi-default grub)
  qemu-usb-bios      SeaBIOS runs the stick's MBR: GRUB i386-pc from the BIOS boot partition
  qemu-pxe-bios      SeaBIOS and iPXE (the NIC's option ROM) fetch GRUB's core.0 over TFTP
  qemu-pxe-uefi      OVMF and iPXE fetch GRUB's core.efi over TFTP
  bochs-usb          Bochs boots the image as an ATA hard disk (BIOS, GRUB i386-pc)

In QEMU the stick is a USB mass-storage device on an xHCI controller, as a
real stick is; the network is QEMU's user-mode stack, whose DHCP server
names the boot file and whose TFTP server serves the tree. QEMU TCG has no
VMX, so those runs end at Keel's clean no-VMX message; Bochs runs guests.
A scenario's omit lists files deleted from the image's /keel/ after it is
built: a damaged stick. A scenario that types (typist.py) gets the serial
port on a terminal in QEMU as in Bochs.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from bochs import bochs_config

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools"
sys.path.insert(0, str(TOOLS))
import mkusb  # noqa: E402  (the image layout: where the ESP starts)

OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
IPXE_ROM = Path("/usr/lib/ipxe/qemu/efi-virtio.rom")    # virtio-net-pci's default ROM
PXE_BOOTFILE = {"qemu-pxe-bios": "boot/grub/i386-pc/core.0",
                "qemu-pxe-uefi": "boot/grub/x86_64-efi/core.efi"}
UEFI = {"qemu-usb-uefi", "qemu-usb-grub-efi", "qemu-pxe-uefi"}
USB = {"qemu-usb-uefi", "qemu-usb-grub-efi", "qemu-usb-bios", "bochs-usb"}
KINDS = USB | set(PXE_BOOTFILE)


class MediaError(Exception):
    """The medium could not be built."""


def handles(emulator: str) -> bool:
    return emulator in KINDS


def _run(argv: list[str]) -> None:
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       env={**os.environ, "MTOOLS_SKIP_CHECK": "1"})
    if p.returncode != 0:
        raise MediaError(f"{Path(argv[0]).name}: " + (p.stderr.strip() or p.stdout.strip() or "failed"))


def build_image(s, d: Path, kernel: Path, config: Path, guests: str, cmdline: str,
                build: Path) -> Path:
    """The scenario's stick image, or its TFTP tree (a directory)."""
    common = ["--config", str(config), "--guests", guests, "--cmdline", cmdline,
              "--kernel", str(kernel), "--guest-dir", str(build / "guests")]
    if s.emulator in PXE_BOOTFILE:
        tree = d / "tftp"
        _run([str(TOOLS / "mkpxe.py"), "-o", str(tree)] + common)
        return tree
    img = d / "keel-usb.img"
    default = "grub" if s.emulator == "qemu-usb-grub-efi" else "native"
    _run([str(TOOLS / "mkusb.py"), "-o", str(img), "--efi", str(build / "efi" / "BOOTX64.EFI"),
          "--efi-default", default] + common)
    esp = f"{img}@@{mkusb.ESP_START * mkusb.SECTOR}"
    for name in s.omit:
        _run(["mdel", "-i", esp, f"::/keel/{name}"])
    return img


def _qemu(s, d: Path, serial: Path, megs: int, tty: str | None) -> list[str]:
    """QEMU's serial port is the log file, or the typist's terminal (a host
    tty device: QEMU's "tty" character device), which copies it to the log."""
    argv = ["qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-m", str(megs),
            "-display", "none", "-monitor", "none", "-serial", tty or f"file:{serial}",
            "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=4"]
    if s.emulator in UEFI:
        vars_copy = d / "ovmf_vars.fd"
        shutil.copyfile(OVMF_VARS, vars_copy)
        argv += ["-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
                 "-drive", f"if=pflash,format=raw,file={vars_copy}"]
    return argv


def emulator_command(s, d: Path, image: Path, serial: Path, megs: int,
                     tty: str | None = None) -> list[str]:
    """Boot the medium; bootindex puts it first in SeaBIOS's and OVMF's order."""
    if s.emulator == "bochs-usb":
        (d / "bochsrc").write_text(bochs_config(image, serial, d, megs, "Keel boot-media test",
                                                s.cpus, tty, disk=True))
        (d / "bochs.rc").write_text("c\n")      # leave the debugger: continue
        return ["bochs", "-q", "-f", str(d / "bochsrc"), "-rc", str(d / "bochs.rc")]
    argv = _qemu(s, d, serial, megs, tty)
    if s.emulator in PXE_BOOTFILE:
        return argv + ["-netdev", f"user,id=n0,tftp={image},bootfile={PXE_BOOTFILE[s.emulator]}",
                       "-device", "virtio-net-pci,netdev=n0,bootindex=0"]
    return argv + ["-drive", f"if=none,id=stick,format=raw,file={image}",
                   "-device", "qemu-xhci,id=xhci",
                   "-device", "usb-storage,bus=xhci.0,drive=stick,bootindex=0"]


def preflight(emulators: set[str], build: Path) -> list[str]:
    """What the chosen media runs need and do not have."""
    mine = emulators & KINDS
    if not mine:
        return []
    errors = []
    progs = {"grub-mkimage": "grub-common", "mkfs.fat": "dosfstools", "mcopy": "mtools"}
    if mine & set(PXE_BOOTFILE):
        progs["grub-mknetdir"] = "grub-common"
    if mine - {"bochs-usb"}:
        progs["qemu-system-x86_64"] = "qemu-system-x86"
    if "bochs-usb" in mine:
        progs["bochs"] = "bochs"
    errors += [f"{p} not found: install {pkg} (make deps)" for p, pkg in progs.items()
               if not mkusb.which(p)]
    if mine & USB and not (build / "efi" / "BOOTX64.EFI").is_file():
        errors.append(f"{build / 'efi' / 'BOOTX64.EFI'} not found: make efi")
    if mine & UEFI:
        errors += [f"{f} not found: install ovmf (make deps)" for f in (OVMF_CODE, OVMF_VARS)
                   if not f.exists()]
    if mine & set(PXE_BOOTFILE) and not IPXE_ROM.exists():
        errors.append(f"{IPXE_ROM} not found: install ipxe-qemu (make deps)")
    return errors
