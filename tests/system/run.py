#!/usr/bin/env python3
"""Keel's system tests: boot Keel with test guests in an emulator and judge
each run by its serial log alone (Bochs exits with status 1 whatever
happened, so exit statuses say nothing).

    tests/system/run.py                 every scenario, two at a time
    tests/system/run.py --only hello,ept
    tests/system/run.py --list
    tests/system/run.py --bench         make bench: the tables of bench.py (Bochs)
    tests/system/run.py --keep          keep build/system/NAME/ of passing runs too

This file is the command line: it picks the scenarios, runs them in a pool
and counts the results, or hands --bench to bench.py. How one scenario is
run and judged is runner.py; the scenarios and Keel's wording are
scenarios.py. A run passes when every must-match pattern is found and no
must-not pattern is; every run must reach "keel: shutdown", and by default a
guest's FAIL line fails it, as does an E-level log line that the scenario
does not list in errors_allowed. The suite first runs the judge's own tests
(test_judge.py). Each scenario gets build/system/NAME/ with its image,
serial.log and the emulator's logs. Python standard library only.
"""
from __future__ import annotations

import argparse
import io
import sys
import time
import unittest
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402
import runner  # noqa: E402
import scenarios as sc_table  # noqa: E402
import test_judge  # noqa: E402
from runner import Result, kill_all, preflight, report, run_scenario  # noqa: E402

JOBS = 2


def judge_selftest() -> Result:
    """The judge's own tests (test_judge.py, pure Python, no emulator)."""
    t0 = time.monotonic()
    out = io.StringIO()
    tests = unittest.defaultTestLoader.loadTestsFromModule(test_judge)
    r = unittest.TextTestRunner(stream=out, verbosity=0).run(tests)
    secs = time.monotonic() - t0
    if r.wasSuccessful():
        return Result("judge-selftest", True, f"{r.testsRun} tests of the judge on made-up logs", secs)
    return Result("judge-selftest", False, f"{len(r.failures) + len(r.errors)} of {r.testsRun} "
                  "tests of the judge failed (tests/system/test_judge.py)", secs,
                  out.getvalue().splitlines())


def main() -> int:
    ap = argparse.ArgumentParser(description="Keel system tests (Bochs, QEMU), judged by serial log.")
    ap.add_argument("--only", help="comma-separated scenario names")
    ap.add_argument("--list", action="store_true", help="list the scenarios and exit")
    ap.add_argument("--keep", action="store_true", help="keep build/system/NAME/ of passing runs")
    ap.add_argument("--bench", action="store_true", help="make bench: print the benchmark tables (bench.py)")
    ap.add_argument("--build", type=Path, default=runner.BUILD,
                    help="build directory: keel.elf, guests/, and system/ for the runs (default build)")
    ap.add_argument("--kernel", type=Path,
                    help="the multiboot2 kernel to boot (default BUILD/keel.elf)")
    ap.add_argument("--jobs", type=int, default=JOBS, help=f"runs at a time (default {JOBS})")
    ap.add_argument("--timeout-scale", type=float, default=1.0,
                    help="multiply every timeout (slow or loaded machines)")
    args = ap.parse_args()
    runner.BUILD = args.build.resolve()
    kernel = (args.kernel or runner.BUILD / "keel.elf").resolve()

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
        return bench.main(kernel, args.keep, args.timeout_scale)

    passed = failed = 0
    if not args.only:
        # A judge that passes everything would pass every scenario.
        r = judge_selftest()
        report(r, args.keep)
        passed, failed = int(r.ok), int(not r.ok)
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
