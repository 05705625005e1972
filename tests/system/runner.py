"""How one system-test scenario is run and judged: the boot image
(tools/mkiso.sh, or media.py's USB and PXE media), the emulator command
(Bochs, QEMU with SeaBIOS or OVMF) under a hard timeout in its own process
group, the judge of the serial log, and the PASS/FAIL report. run.py (the
command line, the whole suite) and bench.py (make bench) call run_scenario()
and report(); neither imports the other.

Each run gets BUILD/system/NAME/: keel.iso (a lean BIOS image for Bochs and
QEMU/SeaBIOS, a full BIOS+EFI one for OVMF), the emulator's configuration,
serial.log (the judged output) and the emulator's own logs. BUILD is the
build directory (run.py's --build sets it before any run). Python standard
library only.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import scenarios as sc_table
from scenarios import Scenario
from bochs import ANSI, bochs_config as _bochsrc, read_log
from typist import Typist
import media  # (USB image and PXE runs)

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
MKISO = ROOT / "tools" / "mkiso.sh"

OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
MEGS = 256
LOG_TAIL = 30


# Emulators run in their own sessions (so a timeout can kill a whole group);
# remember them so that Ctrl-C or a runner crash kills them too.
_live: set[subprocess.Popen] = set()
_live_lock = threading.Lock()
_stopping = threading.Event()


def kill_all() -> None:
    _stopping.set()
    with _live_lock:
        for p in list(_live):
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


class RunError(Exception):
    """A run that could not even start (image build, missing file)."""


@dataclass
class Result:
    name: str
    ok: bool
    reason: str = ""
    seconds: float = 0.0
    details: list[str] = field(default_factory=list)
    log: str = ""
    marker_s: float | None = None   # wall time to the scenario's time_marker


def show(path: Path) -> str:
    """A path as printed: relative to the repository when inside it."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


# --- building the image and the emulator command --------------------------------
def keel_cmdline(s: Scenario) -> str:
    """Keel's command line: only what a scenario adds (keel.toml has the rest)."""
    return s.cmdline


def keel_config(s: Scenario) -> str:
    """keel.toml: shut the emulator down when all VMs have stopped, then the guests."""
    if s.config is not None:
        return s.config
    shutdown = "bochs" if s.emulator.startswith("bochs") else "qemu"
    host = f'[host]\nlog_level = "info"\nshutdown = "{shutdown}"\n'
    return "\n".join([host] + [g.toml() for g in s.guests])


def build_image(s: Scenario, d: Path, kernel: Path) -> Path:
    iso = d / "keel.iso"
    kind = "--full" if s.emulator == "qemu-uefi" else "--lean"
    config = d / "keel.toml"
    config.write_text(keel_config(s))
    # A module with a directory is a path in the build directory; a bare
    # name is a test guest in build/guests.
    mods = [m for g in s.guests for m in g.modules()] + s.modules
    guests = " ".join(dict.fromkeys(m if "/" not in m else str(BUILD / m) for m in mods))
    if media.handles(s.emulator):
        return media.build_image(s, d, kernel, config, guests, keel_cmdline(s), BUILD)
    argv = [str(MKISO), kind, "-o", str(iso), "--config", str(config), "--cmdline", keel_cmdline(s),
            "--guests", guests, "--kernel", str(kernel),
            "--guest-dir", str(BUILD / "guests")]
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if p.returncode != 0:
        raise RunError("image: " + (p.stderr.strip() or p.stdout.strip() or "mkiso.sh failed"))
    return iso


def bochs_config(iso: Path, serial: Path, d: Path, megs: int = MEGS, cpus: int = 1,
                 tty: str | None = None) -> str:
    return _bochsrc(iso, serial, d, megs, "Keel system test", cpus, tty)


def emulator_command(s: Scenario, d: Path, iso: Path, serial: Path, tty: str | None = None) -> list[str]:
    """With tty (a scenario that types), the serial port is that terminal."""
    if media.handles(s.emulator):
        return media.emulator_command(s, d, iso, serial, s.megs or MEGS, tty)
    if tty and s.emulator != "bochs":
        raise RunError(f"typing into the serial port needs Bochs, not {s.emulator}")
    if s.emulator == "bochs":
        (d / "bochsrc").write_text(bochs_config(iso, serial, d, s.megs or MEGS, s.cpus, tty))
        (d / "bochs.rc").write_text("c\n")      # leave the debugger: continue
        return ["bochs", "-q", "-f", str(d / "bochsrc"), "-rc", str(d / "bochs.rc")]
    argv = ["qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-m", str(s.megs or MEGS),
            "-display", "none", "-monitor", "none", "-serial", f"file:{serial}",
            "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
            "-cdrom", str(iso)]
    if s.emulator == "qemu-uefi":
        vars_copy = d / "ovmf_vars.fd"
        shutil.copyfile(OVMF_VARS, vars_copy)
        argv += ["-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
                 "-drive", f"if=pflash,format=raw,file={vars_copy}"]
    elif s.emulator != "qemu-bios":
        raise RunError(f"unknown emulator {s.emulator!r}")
    return argv


def run_emulator(argv: list[str], d: Path, timeout: float,
                 marker: tuple[Path, str] | None = None, marks: dict | None = None) -> tuple[bool, float]:
    """Run it in its own process group; kill the group at the timeout.
    Returns (timed_out, seconds). With marker = (serial log, regex), the serial
    log is polled while it runs and the wall time at which the regex first
    matched goes to marks["marker_s"]."""
    t0 = time.monotonic()
    with open(d / "emulator.out", "wb") as out:
        try:
            p = subprocess.Popen(argv, cwd=d, stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as e:
            raise RunError(f"cannot start {argv[0]}: {e}") from e
        with _live_lock:
            _live.add(p)
        try:
            while True:
                now = time.monotonic() - t0
                if marker and "marker_s" not in marks and re.search(marker[1], read_log(marker[0]), re.M):
                    marks["marker_s"] = now
                if now > timeout:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
                    return True, now
                try:
                    p.wait(timeout=0.2 if marker else timeout - now)
                    return False, time.monotonic() - t0
                except subprocess.TimeoutExpired:
                    pass
        finally:
            with _live_lock:
                _live.discard(p)


# --- judging ----------------------------------------------------------------------
def pretty(pattern: str) -> str:
    """A pattern as shown in reports: the optional log prefix of guest lines left out."""
    prefix = sc_table.GUEST_LINE.split("{name}")[0]
    return pattern.replace(prefix, "^").replace(r"\s*$", "$")


def unexpected_errors(s: Scenario, log: str) -> list[str]:
    """Keel's E-level lines whose message (after "] E ") no pattern of
    s.errors_allowed matches in full."""
    bad = []
    for line in log.splitlines():
        m = re.search(sc_table.ANY_ERROR, line)
        if m and not any(re.fullmatch(p, line[m.end():].rstrip()) for p in s.errors_allowed):
            bad.append(line)
    return bad


def judge(s: Scenario, log: str) -> tuple[list[str], list[str]]:
    """(missing must-match patterns, forbidden lines found with their pattern)."""
    must = list(s.must)
    if sc_table.SHUTDOWN not in must:
        must.append(sc_table.SHUTDOWN)
    must_not = list(s.must_not)
    if not s.guest_fail_ok:
        must_not.append(sc_table.ANY_GUEST_FAIL)
    missing = [p for p in must if not re.search(p, log, re.M)]
    found = [problem for check in s.checks for problem in check(log)]
    for p in must_not:
        m = re.search(p, log, re.M)
        if m:
            start = log.rfind("\n", 0, m.start()) + 1
            end = log.find("\n", m.end())
            found.append(f"`{pretty(p)}` in: {log[start:end if end >= 0 else None]}")
    bad = unexpected_errors(s, log)
    if bad:
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        found.append(f"an E line not in errors_allowed: {bad[0]}{more}")
    return missing, found


def emulator_notes(s: Scenario, d: Path) -> list[str]:
    """What the emulator itself said that helps: Bochs' errors and panics
    (failed VM entries are logged there), or its stdout when it died early."""
    notes = []
    blog = d / "bochs.log"
    if s.emulator.startswith("bochs") and blog.exists():
        lines = blog.read_text(errors="replace").splitlines()
        keep = [l for l in lines if (re.match(r"^\d+[ep]\[", l) or "VMENTER" in l or "VMFAIL" in l)
                and "shutdown requested" not in l]     # that one is the clean exit
        if keep:
            notes.append(f"bochs.log errors (last {min(len(keep), 15)}):")
            notes += ["  " + l for l in keep[-15:]]
    out = d / "emulator.out"
    if out.exists() and not read_log(d / "serial.log").strip():
        lines = ANSI.sub("", out.read_text(errors="replace")).splitlines()
        notes.append("emulator output (last 10 lines):")
        notes += ["  " + l for l in lines[-10:]]
    return notes


def run_scenario(s: Scenario, kernel: Path, scale: float) -> Result:
    try:
        return run_one(s, kernel, scale)
    except Exception as e:  # a runner bug must fail the scenario, not hang the pool
        return Result(s.name, False, f"runner error: {type(e).__name__}: {e}")


def run_one(s: Scenario, kernel: Path, scale: float) -> Result:
    if _stopping.is_set():
        return Result(s.name, False, "not run: interrupted")
    d = BUILD / "system" / s.name
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    serial = d / "serial.log"
    timeout = s.timeout * scale
    typist = None
    try:
        iso = build_image(s, d, kernel)
        marks: dict = {}
        watch = (serial, s.time_marker) if s.time_marker else None
        if s.typed:
            typist = Typist(s.typed, serial)
            typist.start()
        argv = emulator_command(s, d, iso, serial, typist.tty if typist else None)
        timed_out, secs = run_emulator(argv, d, timeout, watch, marks)
    except (RunError, media.MediaError) as e:
        return Result(s.name, False, str(e))
    finally:
        if typist:
            typist.stop()
    log = read_log(serial)
    missing, found = judge(s, log)

    problems = []
    if timed_out:
        problems.append(f"TIMEOUT after {timeout:.0f} s: the emulator was killed")
    if missing:
        problems.append("missing " + ", ".join(f"`{pretty(p)}`" for p in missing))
    problems += ["found " + f for f in found]
    if typist and typist.waiting_for():
        problems.append(f"typed {typist.step} of {len(s.typed)} steps; never saw `{typist.waiting_for()}`")

    if s.expect_fail:
        # The self-test proves something only if the run was complete and
        # genuine (all must-match lines there) and the judge then said FAIL.
        if timed_out or missing:
            ok, reason = False, "self-test run incomplete, so it proves nothing: " + "; ".join(problems)
        elif not found:
            ok, reason = False, "the runner judged a deliberately failing run PASS"
        else:
            ok, reason = True, "judged FAIL as it must: found " + "; ".join(found)
    else:
        ok, reason = not problems, "; ".join(problems)

    details = []
    if not ok:
        lines = log.splitlines()
        details.append(f"last {min(len(lines), LOG_TAIL)} lines of {show(serial)}:")
        details += ["  | " + l for l in lines[-LOG_TAIL:]] or ["  | (empty)"]
        details += emulator_notes(s, d)
        details.append(f"logs kept in {show(d)}/")
    return Result(s.name, ok, reason, secs, details, log, marks.get("marker_s"))


def report(r: Result, keep: bool) -> None:
    if r.ok:
        extra = f": {r.reason}" if r.reason else ""
        print(f"PASS {r.name} ({r.seconds:.1f} s){extra}", flush=True)
        if not keep:
            shutil.rmtree(BUILD / "system" / r.name, ignore_errors=True)
    else:
        print(f"FAIL {r.name}: {r.reason}", flush=True)
        for l in r.details:
            print("    " + l, flush=True)


# --- what the runs need ---------------------------------------------------------------
def preflight(chosen: list[Scenario], kernel: Path) -> list[str]:
    """What the chosen scenarios' runs need and do not have, one line each."""
    errors = []
    if not kernel.is_file():
        errors.append(f"{kernel} not found: build it first (make, or make system)")
    if not (BUILD / "guests").is_dir():
        errors.append(f"{BUILD / 'guests'} not found: make guests")
    emulators = {s.emulator for s in chosen}
    needs = {"bochs": ["bochs"], "qemu-bios": ["qemu-system-x86_64"],
             "qemu-uefi": ["qemu-system-x86_64"]}
    for e in sorted(emulators):
        for prog in needs.get(e, []):
            if not shutil.which(prog):
                errors.append(f"{prog} not found (make deps)")
    if "qemu-uefi" in emulators:
        for f in (OVMF_CODE, OVMF_VARS):
            if not f.exists():
                errors.append(f"{f} not found: install ovmf (make deps)")
    if not shutil.which("grub-mkrescue"):
        errors.append("grub-mkrescue not found (make deps)")
    errors += media.preflight(emulators, BUILD)
    return sorted(set(errors))
