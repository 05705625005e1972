#!/usr/bin/env python3
"""Keel's system tests: boot Keel with test guests in an emulator and judge
each run by its serial log alone (Bochs exits with status 1 whatever
happened, so exit statuses say nothing).

    tests/system/run.py                 every scenario, two at a time
    tests/system/run.py --only hello,ept
    tests/system/run.py --list
    tests/system/run.py --bench         exit-path cost table (Bochs)
    tests/system/run.py --keep          keep build/system/NAME/ of passing runs too

Each scenario gets build/system/NAME/: keel.iso (a lean BIOS image for Bochs
and QEMU/SeaBIOS, a full BIOS+EFI one for OVMF), the emulator's
configuration, serial.log (the judged output) and the emulator's own logs.
A run passes when every must-match pattern is found and no must-not pattern
is; every run must reach "keel: shutdown", and by default a guest's FAIL
line or an E-level log line fails it. The scenarios and Keel's wording are
in tests/system/scenarios.py. Python standard library only.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scenarios as sc_table  # noqa: E402
from scenarios import Scenario  # noqa: E402
from bochs import ANSI, BOCHS_CPU, bochs_config as _bochsrc, read_log  # noqa: E402
from typist import Typist  # noqa: E402
import media  # noqa: E402  (USB image and PXE runs)

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
MKISO = ROOT / "tools" / "mkiso.sh"

OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
MEGS = 256
LOG_TAIL = 30
JOBS = 2


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


def judge(s: Scenario, log: str) -> tuple[list[str], list[str]]:
    """(missing must-match patterns, forbidden lines found with their pattern)."""
    must = list(s.must)
    if sc_table.SHUTDOWN not in must:
        must.append(sc_table.SHUTDOWN)
    must_not = list(s.must_not)
    if not s.guest_fail_ok:
        must_not.append(sc_table.ANY_GUEST_FAIL)
    if not s.errors_ok:
        must_not.append(sc_table.ANY_ERROR)
    missing = [p for p in must if not re.search(p, log, re.M)]
    found = [problem for check in s.checks for problem in check(log)]
    for p in must_not:
        m = re.search(p, log, re.M)
        if m:
            start = log.rfind("\n", 0, m.start()) + 1
            end = log.find("\n", m.end())
            found.append(f"`{pretty(p)}` in: {log[start:end if end >= 0 else None]}")
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


# --- preflight, bench, main ----------------------------------------------------------
def preflight(chosen: list[Scenario], kernel: Path) -> list[str]:
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


def bench(s: Scenario, kernel: Path, keep: bool, scale: float) -> int:
    """Run the bench guest and print the exit-cost table.

    Why the last column counts the hypervisor's instructions: Bochs' TSC
    advances by one per retired instruction (clock: sync=none), and the VM
    exit and VM entry transitions retire nothing. Each timed loop in
    tests/guests/bench.asm is `xor eax,eax; X; dec ebp; jnz` with X the
    exiting instruction; the baseline loop has X = NOP. So the difference of
    two deltas over N is what one exit adds: every instruction Keel runs from
    the exit to its VMRESUME, to within one (whether Bochs counts the exiting
    instruction itself, the same for every kind). The guest's own setup and
    the RDTSC pair are the same in every loop and cancel.
    """
    r = run_scenario(s, kernel, scale)
    if not r.ok:
        report(r, keep)
        print("bench: FAILED: the bench guest did not PASS; no numbers to report")
        return 1
    rows = {}
    raw = []
    for m in re.finditer(sc_table.GUEST_LINE.format(name="bench") +
                         r"(BENCH (\S+) (\d+) (\d+))\s*$", r.log, re.M):
        raw.append(m.group(1))
        rows[m.group(2)] = (int(m.group(3)), int(m.group(4)))
    missing = [k for k in sc_table.BENCH_KINDS if k not in rows]
    if missing:
        print(f"bench: FAILED: no BENCH line for {', '.join(missing)}")
        return 1
    base_n, base = rows["baseline"]
    print(f"bench: Bochs {BOCHS_CPU}, TSC = retired instructions ({r.seconds:.1f} s wall)")
    head = ("exit kind", "iterations", "guest TSC delta", "hypervisor instructions per round trip")
    print(f"{head[0]:<10} | {head[1]:>10} | {head[2]:>15} | {head[3]}")
    print(f"{'-' * 10}-+-{'-' * 10}-+-{'-' * 15}-+-{'-' * len(head[3])}")
    for k in sc_table.BENCH_KINDS:
        n, delta = rows[k]
        if k == "baseline":
            per = "(reference: no exits)"
        elif n != base_n:
            per = f"(iterations differ from baseline's {base_n})"
        else:
            per = f"{(delta - base) / n:.1f}"
        print(f"{k:<10} | {n:>10} | {delta:>15} | {per}")
    print("raw:")
    for line in raw:
        print("  " + line)
    if keep:
        print(f"logs kept in {show(BUILD / 'system' / s.name)}/")
    else:
        shutil.rmtree(BUILD / "system" / s.name, ignore_errors=True)
    return 0


def bench_linux(kernel: Path, keep: bool, scale: float) -> int:
    """Debian's stock kernel booted to userspace in Keel and bare in Bochs,
    the two runs side by side (same kernel, initramfs, command line and
    emulated memory): wall time to the /init marker, and the instructions
    retired from power-on to /init, which /init's tsc= line shows (the Bochs
    TSC counts retired instructions; Keel passes the TSC through). Keel's
    side includes loading Keel and its modules, bare Bochs' loading the
    kernel; both include the BIOS and GRUB. Then the exits of Keel's boot."""
    import linux_bare
    from concurrent.futures import ThreadPoolExecutor

    s = next(x for x in sc_table.SCENARIOS if x.name == "linux-bench")
    if linux_bare.KERNEL_CMDLINE != sc_table.LINUX_CMDLINE:
        print("bench: FAILED: the bare and Keel runs would boot different command lines")
        return 1
    with ThreadPoolExecutor(2) as ex:
        fk = ex.submit(run_scenario, s, kernel, scale)
        fb = ex.submit(linux_bare.boot_bare, BUILD / "linux", BUILD / "system" / "linux_bare",
                       s.timeout * scale, s.megs)
        rk, rb = fk.result(), fb.result()
    if not rk.ok or not rb["ok"]:
        report(rk, keep)
        print(f"bench: FAILED: linux in Keel ok={rk.ok}, bare ok={rb['ok']} {rb['reason']}")
        return 1
    tsc_k = int(re.search(sc_table.GUEST_LINE.format(name="linux") + r"tsc=(\d+)", rk.log, re.M).group(1))
    exits = re.search(r"vm linux: (\d+) exits: (.*); (\d+) interrupts injected", rk.log)
    rows = [("wall s, power-on to /init", rk.marker_s, rb["userspace_s"], "{:.1f}"),
            ("G instructions, power-on to /init", tsc_k / 1e9, rb["tsc"] / 1e9, "{:.3f}")]
    print(f"bench: linux {rb['release']} to userspace, in Keel vs bare Bochs (run side by side, "
          f"{s.megs}M, \"{sc_table.LINUX_CMDLINE}\")")
    print(f"{'':<34} | {'in Keel':>9} | {'bare':>9} | ratio (target <= 1.30)")
    print(f"{'-' * 34}-+-{'-' * 9}-+-{'-' * 9}-+-{'-' * 22}")
    for name, k, b, fmt in rows:
        ratio = f"{k / b:.3f}" if k and b else "n/a"
        print(f"{name:<34} | {fmt.format(k) if k else 'n/a':>9} | {fmt.format(b) if b else 'n/a':>9} | {ratio}")
    if exits:
        print(f"exits during Keel's run: {exits.group(1)} in all, "
              f"{exits.group(3)} interrupts injected")
        for item in exits.group(2).split():
            reason, n = item.split("=")
            print(f"  {reason:<24} {int(n):>9}")
    if not keep:
        for d in ("linux", "linux_bare"):
            shutil.rmtree(BUILD / "system" / d, ignore_errors=True)
    return 0


def _stats(log: str, vm: str, what: str) -> tuple[int, int, int] | None:
    """(tsc, exits, hypervisor ticks) of a guest's '<what> tsc=... exits=E hv=H' line."""
    m = re.search(sc_table.GUEST_LINE.format(name=vm) + re.escape(what)
                  + r" tsc=(\d+) realtime=\S+ exits=(\d+) hv=(\d+)", log, re.M)
    return tuple(int(x) for x in m.groups()) if m else None


def bench_virtio(kernel: Path, keep: bool, scale: float) -> int:
    """virtio-blk sequential read (dd of the whole disk) and a virtio-net TCP
    send (busybox nc), both in the stock kernel: exits and instructions per
    MiB, from the guest's own /bin/tsc lines around each, which under Keel
    carry the vCPU's exit count and Keel's handling time (CPUID leaf
    0x40000002; in Bochs TSC ticks are retired instructions). The net
    figures are the sender's vCPU only."""
    from concurrent.futures import ThreadPoolExecutor

    from dataclasses import replace

    # measure=exits: Keel times each exit's handling (off in production).
    by_name = {x.name: replace(x, cmdline=(x.cmdline + " measure=exits").strip())
               for x in sc_table.SCENARIOS}
    with ThreadPoolExecutor(2) as ex:
        rb, rn = ex.map(lambda n: run_scenario(by_name[n], kernel, scale), ["linux-blk", "linux-net"])
    rows = []
    for r, vm, key, size_re in ((rb, "linux", "blk:", r"blk: read (\d+) MiB"),
                                (rn, "netb", "net:", r"net: send (\d+) bytes")):
        if not r.ok:
            report(r, keep)
            print(f"bench: FAILED: {r.name} did not pass")
            return 1
        a, b = _stats(r.log, vm, key + " stats0"), _stats(r.log, vm, key + " stats1")
        size = re.search(sc_table.GUEST_LINE.format(name=vm) + size_re, r.log, re.M)
        if not a or not b or not size:
            print(f"bench: FAILED: {r.name}: no stats lines")
            return 1
        mib = int(size.group(1)) if key == "blk:" else int(size.group(1)) / MiB_BYTES
        tsc, exits, hv = (y - x for x, y in zip(a, b))
        rows.append((r.name, mib, exits, hv, tsc))
    print("bench: virtio in the stock kernel (per MiB moved; Keel's instructions are its exit handling)")
    head = ("workload", "MiB", "exits", "exits/MiB", "Keel instr/MiB", "all instr/MiB")
    print(f"{head[0]:<22} | {head[1]:>6} | {head[2]:>7} | {head[3]:>9} | {head[4]:>14} | {head[5]:>13}")
    print(f"{'-' * 22}-+-{'-' * 6}-+-{'-' * 7}-+-{'-' * 9}-+-{'-' * 14}-+-{'-' * 13}")
    names = {"linux-blk": "blk read (dd 1M)", "linux-net": "net send (nc, TCP)"}
    for name, mib, exits, hv, tsc in rows:
        print(f"{names[name]:<22} | {mib:>6.2f} | {exits:>7} | {exits / mib:>9.0f} | "
              f"{hv / mib:>14.0f} | {tsc / mib:>13.0f}")
    if not keep:
        for d in ("linux-blk", "linux-net"):
            shutil.rmtree(BUILD / "system" / d, ignore_errors=True)
    return 0


MiB_BYTES = 1 << 20


def bench_sched(kernel: Path, keep: bool, scale: float) -> int:
    """CPU shares of the spin guests: sched-shares on one CPU, sched-smp-weights on two."""
    def passing(name: str) -> Result | None:
        s = next(x for x in sc_table.SCENARIOS if x.name == name)
        r = run_scenario(s, kernel, scale)
        if not r.ok:
            report(r, keep)
            print(f"bench: FAILED: {name} did not pass")
            return None
        if not keep:
            shutil.rmtree(BUILD / "system" / name, ignore_errors=True)
        return r

    def table(title: str, what: str, rows: list[tuple[str, int, float, float]]) -> None:
        print(title)
        print(f"{'vm':<8} | {'weight':>6} | {what:>7} | {'ideal':>7} | error")
        print(f"{'-' * 8}-+-{'-' * 6}-+-{'-' * 7}-+-{'-' * 7}-+-{'-' * 7}")
        for n, w, got, want in rows:
            print(f"{n:<8} | {w:>6} | {got:>7.4f} | {want:>7.4f} | {got / want - 1:+.2%}")

    r = passing("sched-shares")
    if not r:
        return 1
    table("bench: proportional share on one CPU (EEVDF; counts of tests/guests/spin.asm over 3 s)",
          "share", [(n, sc_table.SPIN_WEIGHTS[n], got, want) for n, got, want in sc_table.spin_shares(r.log)])
    count, ticks = sc_table.spin_counts(r.log)[sc_table.SPIN_CAPPED]
    print(f"{sc_table.SPIN_CAPPED}: weight 10000, cap {sc_table.SPIN_CAP}%: used "
          f"{count * sc_table.SPIN_INSNS / ticks:.2%} of the CPU")
    r = passing("sched-smp-weights")
    if not r:
        return 1
    used = sc_table.smp_weight_used(r.log)
    print()
    table("bench: proportional share on two CPUs (one vCPU takes at most one CPU: w4 gets its own)",
          "CPUs", [(n, w, used[n], want) for n, (w, want) in sc_table.SMP_WEIGHTS.items()])
    return 0


def main() -> int:
    global BUILD
    ap = argparse.ArgumentParser(description="Keel system tests (Bochs, QEMU), judged by serial log.")
    ap.add_argument("--only", help="comma-separated scenario names")
    ap.add_argument("--list", action="store_true", help="list the scenarios and exit")
    ap.add_argument("--keep", action="store_true", help="keep build/system/NAME/ of passing runs")
    ap.add_argument("--bench", action="store_true", help="run the bench guest, print the exit-cost table")
    ap.add_argument("--build", type=Path, default=BUILD,
                    help="build directory: keel.elf, guests/, and system/ for the runs (default build)")
    ap.add_argument("--kernel", type=Path,
                    help="the multiboot2 kernel to boot (default BUILD/keel.elf)")
    ap.add_argument("--jobs", type=int, default=JOBS, help=f"runs at a time (default {JOBS})")
    ap.add_argument("--timeout-scale", type=float, default=1.0,
                    help="multiply every timeout (slow or loaded machines)")
    args = ap.parse_args()
    BUILD = args.build.resolve()
    kernel = (args.kernel or BUILD / "keel.elf").resolve()

    if args.list:
        for s in sc_table.SCENARIOS:
            tag = " [bench]" if s.bench else " [self-test]" if s.expect_fail else ""
            print(f"{s.name:<20} {s.emulator:<10} {s.about}{tag}")
        return 0

    by_name = {s.name: s for s in sc_table.SCENARIOS}
    if args.bench:
        chosen = [by_name["bench"]]
    elif args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in by_name]
        if unknown:
            print(f"system: unknown scenario(s): {', '.join(unknown)} (try --list)", file=sys.stderr)
            return 2
        chosen = [by_name[n] for n in names]
    else:
        chosen = [s for s in sc_table.SCENARIOS if not s.bench]

    errors = preflight(chosen, kernel)
    if errors:
        for e in errors:
            print(f"system: {e}", file=sys.stderr)
        print(f"system: 0 passed, {len(chosen)} failed")
        return 1

    if args.bench:
        rc = bench(chosen[0], kernel, args.keep, args.timeout_scale)
        if rc == 0 and (BUILD / "linux" / "vmlinuz").exists():
            print()
            rc = bench_linux(kernel, args.keep, args.timeout_scale)
            if rc == 0:
                print()
                rc = bench_virtio(kernel, args.keep, args.timeout_scale)
            if rc == 0:
                print()
                rc = bench_sched(kernel, args.keep, args.timeout_scale)
        elif rc == 0:
            print(f"bench: FAILED: {show(BUILD / 'linux')} has no kernel: make linux")
            rc = 1
        return rc

    passed = failed = 0
    pool = ThreadPoolExecutor(max_workers=max(1, args.jobs))
    try:
        futures = [pool.submit(run_scenario, s, kernel, args.timeout_scale) for s in chosen]
        for f in as_completed(futures):
            r = f.result()
            report(r, args.keep)
            passed += r.ok
            failed += not r.ok
    except KeyboardInterrupt:
        kill_all()
        pool.shutdown(wait=True, cancel_futures=True)
        print(f"system: interrupted; {passed} passed, {failed} failed before that")
        return 130
    pool.shutdown()
    print(f"system: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        kill_all()
