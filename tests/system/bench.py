"""make bench (run.py --bench): what Keel costs, measured in Bochs, whose
TSC counts retired instructions. It prints, in this order, from scenarios
of scenarios.py run by runner.py:

  bench()         the exit-path cost: hypervisor instructions per VM exit
                  round trip, by exit kind (tests/guests/bench.asm)
  bench_linux()   Debian's stock kernel to userspace in Keel and bare in
                  Bochs (linux_bare.py), side by side: wall time,
                  instructions and their ratio; then Keel's exits by reason
  bench_virtio()  virtio-blk read and virtio-net send in the stock kernel:
                  exits and instructions per MiB
  bench_sched()   the CPU shares of weighted and capped spin guests, on one
                  CPU and on two

The project compares these tables across runs: keep their headers and row
names as they are. Python standard library only.
"""
from __future__ import annotations

import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import linux_bare
import runner  # runner.BUILD is read at call time: run.py's --build sets it
import scenarios as sc_table
from bochs import BOCHS_CPU
from runner import Result, report, run_scenario, show
from scenarios import Scenario

MiB_BYTES = 1 << 20


def scenario(name: str) -> Scenario:
    return next(x for x in sc_table.SCENARIOS if x.name == name)


def main(kernel: Path, keep: bool, scale: float) -> int:
    """Every table in turn, a blank line between them; stop at the first
    failure. The bench guest's table needs only Keel; the others need the
    stock kernel (make linux)."""
    rc = bench(scenario("bench"), kernel, keep, scale)
    if rc == 0 and (runner.BUILD / "linux" / "vmlinuz").exists():
        print()
        rc = bench_linux(kernel, keep, scale)
        if rc == 0:
            print()
            rc = bench_virtio(kernel, keep, scale)
        if rc == 0:
            print()
            rc = bench_sched(kernel, keep, scale)
    elif rc == 0:
        print(f"bench: FAILED: {show(runner.BUILD / 'linux')} has no kernel: make linux")
        rc = 1
    return rc


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
        print(f"logs kept in {show(runner.BUILD / 'system' / s.name)}/")
    else:
        shutil.rmtree(runner.BUILD / "system" / s.name, ignore_errors=True)
    return 0


def bench_linux(kernel: Path, keep: bool, scale: float) -> int:
    """Debian's stock kernel booted to userspace in Keel and bare in Bochs,
    the two runs side by side (same kernel, initramfs, command line and
    emulated memory): wall time to the /init marker, and the instructions
    retired from power-on to /init, which /init's tsc= line shows (the Bochs
    TSC counts retired instructions; Keel passes the TSC through). Keel's
    side includes loading Keel and its modules, bare Bochs' loading the
    kernel; both include the BIOS and GRUB. Then the exits of Keel's boot."""
    s = scenario("linux-bench")
    if linux_bare.KERNEL_CMDLINE != sc_table.LINUX_CMDLINE:
        print("bench: FAILED: the bare and Keel runs would boot different command lines")
        return 1
    with ThreadPoolExecutor(2) as ex:
        fk = ex.submit(run_scenario, s, kernel, scale)
        fb = ex.submit(linux_bare.boot_bare, runner.BUILD / "linux",
                       runner.BUILD / "system" / "linux_bare", s.timeout * scale, s.megs)
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
        for d in (s.name, "linux_bare"):
            shutil.rmtree(runner.BUILD / "system" / d, ignore_errors=True)
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
    # measure=exits: Keel times each exit's handling (off in production).
    def measured(name: str) -> Scenario:
        s = scenario(name)
        return replace(s, cmdline=(s.cmdline + " measure=exits").strip())

    with ThreadPoolExecutor(2) as ex:
        rb, rn = ex.map(lambda n: run_scenario(measured(n), kernel, scale), ["linux-blk", "linux-net"])
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
            shutil.rmtree(runner.BUILD / "system" / d, ignore_errors=True)
    return 0


def bench_sched(kernel: Path, keep: bool, scale: float) -> int:
    """CPU shares of the spin guests: sched-shares on one CPU, sched-smp-weights on two."""
    def passing(name: str) -> Result | None:
        r = run_scenario(scenario(name), kernel, scale)
        if not r.ok:
            report(r, keep)
            print(f"bench: FAILED: {name} did not pass")
            return None
        if not keep:
            shutil.rmtree(runner.BUILD / "system" / name, ignore_errors=True)
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
