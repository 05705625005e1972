#!/usr/bin/env python3
"""Boot the Linux test guest BARE in Bochs (no hypervisor): Debian's stock
kernel and the initramfs of tools/linux-assets.sh, loaded by GRUB from a lean
BIOS-only ISO. This is the baseline that Keel's Linux runs are compared with.

    tests/system/linux_bare.py                  one boot, print the result
    tests/system/linux_bare.py --runs 3 --megs 256 --timeout 400

As a module:

    from linux_bare import boot_bare
    r = boot_bare("build/linux", "build/system/linux_bare", timeout=300)
    r["ok"], r["tsc"], r["wall_s"], r["log"]

The Bochs settings are those of the system tests (tests/system/bochs.py: CPU
model, ips, fixed clock, serial to a file, headless term display), with more
memory. The run is judged by the serial log alone (Bochs exits with status 1
whatever happened): it is ok when the guest printed KEEL-LINUX-USERSPACE-OK
and then KEEL-LINUX-POWEROFF. After that marker Bochs gets a few seconds to
exit by itself (powered_off: the guest's ACPI power-off worked), then it is killed;
at the timeout it is killed and the run fails loudly. wall_s is the wall
time from starting Bochs to the power-off marker.

tsc is the value /bin/tsc printed first thing in /init. In Bochs the TSC
counts ticks since power-on, one per retired instruction (clock: sync=none),
so it is the instruction count from power-on to userspace, the same in every
run. Wall time in Bochs is not a performance figure. Python standard
library only.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The same machine as Keel's system tests (tests/system/bochs.py).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bochs import bochs_config as _bochsrc, read_log  # noqa: E402

MEGS = 256          # measured: 128 also boots, 64 does not; 256 leaves room
TIMEOUT = 300.0     # seconds of wall time; a boot takes ~60 s on an idle machine
POLL_S = 0.1
POWEROFF_GRACE_S = 5.0

KERNEL_CMDLINE = "console=ttyS0,115200 quiet cryptomgr.notests"
GRUB_MODULES = "linux normal iso9660 biosdisk part_msdos configfile boot"

MARK_USERSPACE = "KEEL-LINUX-USERSPACE-OK"
MARK_POWEROFF = "KEEL-LINUX-POWEROFF"


class BootError(Exception):
    """The boot could not even start: missing assets or tools, image build."""


def grub_cfg(cmdline: str) -> str:
    if re.search(r"[$;'\"\\{}|&<>#\n]", cmdline):
        raise BootError(f"kernel command line has a character GRUB would interpret: {cmdline!r}")
    return f"""\
set timeout=0
set default=0
menuentry "Debian stock kernel, bare" {{
	linux /vmlinuz {cmdline}
	initrd /initrd.img
	boot
}}
"""


def build_iso(assets: Path, work: Path, cmdline: str) -> Path:
    """A lean BIOS-only GRUB image (the options of tools/mkiso.sh --lean)
    holding /vmlinuz and /initrd.img."""
    tree = work / "iso"
    shutil.rmtree(tree, ignore_errors=True)
    (tree / "boot" / "grub").mkdir(parents=True)
    for name in ("vmlinuz", "initrd.img"):
        src = assets / name
        if not src.is_file():
            raise BootError(f"{src} not found: run tools/linux-assets.sh {assets}")
        shutil.copyfile(src, tree / name)
    (tree / "boot" / "grub" / "grub.cfg").write_text(grub_cfg(cmdline))
    iso = work / "linux.iso"
    iso.unlink(missing_ok=True)
    argv = ["grub-mkrescue", "-d", "/usr/lib/grub/i386-pc",
            f"--install-modules={GRUB_MODULES}", "--locales=", "--fonts=", "--themes=",
            "-o", str(iso), str(tree)]
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    except OSError as e:
        raise BootError(f"cannot run grub-mkrescue ({e}): install grub-common, grub-pc-bin, xorriso") from e
    if p.returncode != 0 or not iso.is_file():
        raise BootError("grub-mkrescue failed: " + (p.stderr.strip() or p.stdout.strip()))
    shutil.rmtree(tree, ignore_errors=True)
    return iso


def bochs_config(iso: Path, serial: Path, work: Path, megs: int) -> str:
    return _bochsrc(iso, serial, work, megs, "Linux guest booted bare")


def has_line(log: str, marker: str) -> bool:
    return re.search(rf"^{re.escape(marker)}\s*$", log, re.M) is not None


def run_bochs(work: Path, serial: Path, timeout: float) -> dict:
    """Run Bochs in its own process group until the power-off marker, its
    own exit, or the timeout, and kill the group then. After the marker,
    Bochs gets POWEROFF_GRACE_S to exit by itself: the guest's ACPI S5
    power-off ends a bare run (and takes well under a second)."""
    argv = ["bochs", "-q", "-f", str(work / "bochsrc"), "-rc", str(work / "bochs.rc")]
    t0 = time.monotonic()
    userspace_s = marker_s = None
    exited = timed_out = False
    with open(work / "emulator.out", "wb") as out:
        try:
            p = subprocess.Popen(argv, cwd=work, stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as e:
            raise BootError(f"cannot start bochs ({e}): install bochs, bochs-term, bochsbios, vgabios") from e
        try:
            while True:
                exited = p.poll() is not None
                log = read_log(serial)
                now = time.monotonic() - t0
                if userspace_s is None and has_line(log, MARK_USERSPACE):
                    userspace_s = now
                if marker_s is None and has_line(log, MARK_POWEROFF):
                    marker_s = now
                if exited or (marker_s is not None and now > marker_s + POWEROFF_GRACE_S):
                    break
                if now > timeout:
                    timed_out = True
                    break
                time.sleep(POLL_S)
        finally:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    end_s = time.monotonic() - t0 if marker_s is None else marker_s
    return {"wall_s": round(end_s, 2), "userspace_s": userspace_s and round(userspace_s, 2),
            "timed_out": timed_out, "powered_off": exited and marker_s is not None}


def parse_log(log: str) -> dict:
    """What the guest's /init printed: tsc, kernel release, guest uptime."""
    def find(pattern: str):
        m = re.search(pattern, log, re.M)
        return m.group(1) if m else None

    tsc = find(r"^tsc=(\d+)(?: realtime=\S+)?\s*$")
    uptime = find(r"^uptime: ([0-9.]+)")
    return {"tsc": int(tsc) if tsc else None,
            "release": find(r"^uname: (\S+)"),
            "guest_uptime_s": float(uptime) if uptime else None}


def boot_bare(assets_dir, workdir, timeout: float = TIMEOUT, megs: int = MEGS,
              append: str = "") -> dict:
    """Boot the kernel and initramfs in assets_dir bare in Bochs, in workdir
    (recreated), with KERNEL_CMDLINE then append as the kernel command line.
    Returns dict(ok, log, wall_s, tsc, userspace_s, release, guest_uptime_s,
    powered_off, timed_out, reason); raises BootError when it cannot start."""
    assets, work = Path(assets_dir).resolve(), Path(workdir).resolve()
    if not shutil.which("bochs"):
        raise BootError("bochs not found: install bochs, bochs-term, bochsbios, vgabios")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    serial = work / "serial.log"
    iso = build_iso(assets, work, f"{KERNEL_CMDLINE} {append}".strip())
    (work / "bochsrc").write_text(bochs_config(iso, serial, work, megs))
    (work / "bochs.rc").write_text("c\n")      # leave the debugger: continue

    r = run_bochs(work, serial, timeout)
    log = read_log(serial)
    r.update(parse_log(log))
    r["log"] = log
    problems = []
    if r["timed_out"]:
        problems.append(f"TIMEOUT after {timeout:.0f} s: Bochs was killed")
    for marker in (MARK_USERSPACE, MARK_POWEROFF):
        if not has_line(log, marker):
            problems.append(f"no {marker} line")
    if r["tsc"] is None:
        problems.append("no tsc= line")
    r["ok"] = not problems
    r["reason"] = "; ".join(problems)
    return r


def report(r: dict, work: Path) -> None:
    if r["ok"]:
        print(f"linux_bare: PASS: {r['release']}, userspace after {r['userspace_s']} s wall, "
              f"tsc={r['tsc']} ({r['tsc'] / 1e9:.3f} G instructions), guest uptime "
              f"{r['guest_uptime_s']} s, power-off marker after {r['wall_s']} s wall, "
              f"{'ACPI power-off ended Bochs' if r['powered_off'] else 'Bochs killed (no ACPI power-off)'}",
              flush=True)
        return
    loud = "!" * 70
    print(loud, file=sys.stderr)
    print(f"linux_bare: FAIL: {r['reason']}", file=sys.stderr)
    print(loud, file=sys.stderr)
    lines = r["log"].splitlines()
    print(f"last {min(len(lines), 30)} lines of {work / 'serial.log'}:", file=sys.stderr)
    for line in lines[-30:] or ["(empty)"]:
        print("  | " + line, file=sys.stderr)
    print(f"logs kept in {work}/", file=sys.stderr, flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description="Boot Debian's stock kernel bare in Bochs (the baseline).")
    ap.add_argument("--assets", type=Path, default=ROOT / "build" / "linux",
                    help="vmlinuz and initrd.img from tools/linux-assets.sh (default build/linux)")
    ap.add_argument("--workdir", type=Path, default=ROOT / "build" / "system" / "linux_bare",
                    help="the run's folder, recreated (default build/system/linux_bare)")
    ap.add_argument("--timeout", type=float, default=TIMEOUT, help=f"seconds of wall time (default {TIMEOUT:.0f})")
    ap.add_argument("--megs", type=int, default=MEGS, help=f"guest memory in MiB (default {MEGS})")
    ap.add_argument("--append", default="", help=f"more kernel parameters after \"{KERNEL_CMDLINE}\"")
    ap.add_argument("--runs", type=int, default=1, help="boot this many times (timings vary, tsc must not)")
    args = ap.parse_args()

    failed = 0
    tscs = set()
    for i in range(args.runs):
        try:
            r = boot_bare(args.assets, args.workdir, args.timeout, args.megs, args.append)
        except BootError as e:
            print(f"linux_bare: {e}", file=sys.stderr)
            return 1
        report(r, args.workdir)
        failed += not r["ok"]
        if r["tsc"] is not None:
            tscs.add(r["tsc"])
    if len(tscs) > 1:
        print(f"linux_bare: note: tsc differed between runs: {sorted(tscs)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
