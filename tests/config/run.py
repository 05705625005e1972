#!/usr/bin/env python3
"""Run keel-check over the config test corpus and compare with the goldens.

good/NAME.toml  must pass: exit 0, nothing on stderr, stdout equal to
                good/NAME.out; and `keel-check --json` must give the same
                data (types, values and key order) as Python's tomllib.
bad/NAME.toml   must fail with exactly one line on stderr, naming
                NAME.toml:LINE, equal to bad/NAME.err. tomllib must reject
                bad/syntax_*.toml too (real TOML errors) and accept every
                other bad file (unsupported_* are valid TOML that Keel's
                subset refuses; the rest are schema errors).

A first line "# keel-check: ARGS" in a .toml file adds ARGS to the command.
--update rewrites the goldens from the current output: review the diff.
Prints "config: N passed, M failed" last; exits 1 if anything failed.
"""
import argparse
import difflib
import json
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def extra_args(path):
    with open(path, "rb") as f:
        first = f.readline().decode("utf-8", "replace")
    m = re.match(r"# keel-check: (.*)", first)
    return shlex.split(m.group(1)) if m else []


def run(keel_check, args):
    p = subprocess.run([str(keel_check)] + args, capture_output=True, timeout=30)
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))


def tagged(x):
    """x with every scalar tagged by type and every table as an ordered list:
    in Python True == 1 and dict equality ignores key order."""
    if isinstance(x, dict):
        return ("table", [(k, tagged(v)) for k, v in x.items()])
    if isinstance(x, list):
        return ("array", [tagged(v) for v in x])
    return (type(x).__name__, x)


def tomllib_result(path):
    """The parsed document, or None when tomllib rejects the file."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None


def compare_golden(golden, text, update, problems):
    if update:
        golden.write_text(text, encoding="utf-8")
        return
    want = golden.read_text(encoding="utf-8") if golden.exists() else None
    if want is None:
        problems.append(f"no golden {golden.name} (run with --update)")
    elif want != text:
        diff = difflib.unified_diff(want.splitlines(), text.splitlines(),
                                    golden.name, "output", lineterm="")
        problems.append("differs from golden:\n    " + "\n    ".join(diff))


def check_good(keel_check, path, update):
    problems = []
    rc, out, err = run(keel_check, extra_args(path) + [str(path)])
    if rc != 0 or err:
        problems.append(f"exit {rc}, stderr: {err.strip()!r}")
    compare_golden(path.with_suffix(".out"), out, update, problems)

    rc, out, err = run(keel_check, ["--json", str(path)])
    expect = tomllib_result(path)
    if rc != 0:
        problems.append(f"--json: exit {rc}, stderr: {err.strip()!r}")
    elif expect is None:
        problems.append("tomllib rejects this good file")
    else:
        try:
            got = json.loads(out)
        except json.JSONDecodeError as e:
            problems.append(f"--json printed bad JSON: {e}")
        else:
            if tagged(got) != tagged(expect):
                problems.append(f"--json differs from tomllib:\n    ours:    {got!r}\n"
                                f"    tomllib: {expect!r}")
    return problems


def check_bad(keel_check, path, update):
    problems = []
    rc, out, err = run(keel_check, extra_args(path) + [str(path)])
    lines = err.splitlines()
    if rc != 1:
        problems.append(f"exit {rc}, expected 1")
    if out:
        problems.append(f"printed on stdout: {out.strip()!r}")
    if len(lines) != 1:
        problems.append(f"{len(lines)} lines on stderr, expected 1: {lines!r}")
    elif not re.match(re.escape(path.name) + r":[1-9][0-9]*: \S", lines[0]):
        problems.append(f"message does not start with {path.name}:LINE: {lines[0]!r}")
    compare_golden(path.with_suffix(".err"), err, update, problems)

    toml_ok = tomllib_result(path) is not None
    if path.stem.startswith("syntax_") and toml_ok:
        problems.append("tomllib accepts this file: not a TOML syntax error")
    if not path.stem.startswith("syntax_") and not toml_ok:
        problems.append("tomllib rejects this file: name it syntax_*")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keel-check", default=ROOT / "build" / "keel-check", type=Path)
    ap.add_argument("--update", action="store_true", help="rewrite the goldens")
    ap.add_argument("names", nargs="*", help="only these tests (file stems)")
    args = ap.parse_args()

    cases = [(p, check_good) for p in sorted((HERE / "good").glob("*.toml"))]
    cases += [(p, check_bad) for p in sorted((HERE / "bad").glob("*.toml"))]
    passed = failed = 0
    for path, check in cases:
        if args.names and path.stem not in args.names:
            continue
        problems = check(args.keel_check, path, args.update)
        if problems:
            failed += 1
            print(f"config: FAIL {path.relative_to(HERE)}")
            for p in problems:
                print(f"    {p}")
        else:
            passed += 1
    print(f"config: {passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
