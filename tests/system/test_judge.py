#!/usr/bin/env python3
"""Tests of the system-test judge (runner.judge()) on made-up serial logs,
no emulator: Keel's E-level lines fail a run unless the scenario's
errors_allowed lists them. Real runs that print no unlisted error cannot
show that the judge would reject one; these feed it one. run.py runs them
before the suite; alone:

    python3 tests/system/test_judge.py
"""
from __future__ import annotations

import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import runner  # noqa: E402
import scenarios as sc_table  # noqa: E402
from scenarios import Scenario, error  # noqa: E402

BOOT = "[   382000000] I keel: Keel 0.1 (multiboot2 from GRUB 2.06, BIOS)"
END = "[   900000000] I keel: shutdown"
STOPPED = "vm a: stopped: triple fault at RIP 0x8000"
GHOST = 'keel.toml:27: vm "ghost": kernel: module "missing.bin" was not loaded'


def line(level: str, message: str) -> str:
    """A log line as Keel prints it."""
    return f"[   500000000] {level} {message}"


def found(allowed: list[str], *lines: str) -> list[str]:
    """What the judge found wrong in a log of these lines, in a scenario
    that must see nothing but its shutdown and allows these E messages."""
    s = Scenario("judge-test", "judge test", [], [], errors_allowed=allowed)
    missing, bad = runner.judge(s, "\n".join([BOOT, *lines, END]) + "\n")
    assert not missing, missing
    return bad


class ErrorsAllowed(unittest.TestCase):
    def test_no_error_passes(self):
        self.assertEqual(found([], line("I", STOPPED)), [])

    def test_warning_is_no_error(self):
        self.assertEqual(found([], line("W", STOPPED)), [])

    def test_any_error_fails_when_none_is_allowed(self):
        bad = found([], line("E", STOPPED))
        self.assertEqual(len(bad), 1)
        self.assertIn(STOPPED, bad[0])

    def test_allowed_error_passes(self):
        self.assertEqual(found([r"vm a: stopped: triple fault at RIP 0x[0-9a-f]+"],
                               line("E", STOPPED)), [])

    def test_other_error_fails_beside_an_allowed_one(self):
        bad = found([r"vm a: stopped: triple fault at RIP 0x[0-9a-f]+"],
                    line("E", STOPPED), line("E", GHOST))
        self.assertEqual(len(bad), 1)
        self.assertIn(GHOST, bad[0])
        self.assertNotIn(STOPPED, bad[0])

    def test_pattern_must_match_the_whole_message(self):
        self.assertNotEqual(found([r"vm a: stopped"], line("E", STOPPED)), [])
        self.assertNotEqual(found([r"stopped: triple fault at RIP 0x8000"], line("E", STOPPED)), [])

    def test_every_unlisted_line_is_counted(self):
        bad = found([], line("E", STOPPED), line("E", GHOST))
        self.assertEqual(len(bad), 1)
        self.assertIn("(and 1 more)", bad[0])


class ConfigErrorsScenario(unittest.TestCase):
    """The real config-errors scenario: the lines Keel prints for
    tests/system/configs/errors.toml pass, one more E line fails it."""
    PRINTED = [
        'keel.toml:17: vm "web": memory: "12X" is not a size (try 512M or 2G)',
        'keel.toml:20: vm "hello": name: "hello" is already used by the vm on line 7',
        GHOST,
        'keel.toml:33: vm "typo": unknown key "memroy"',
        'keel.toml:30: vm "typo": missing required key "memory"',
        "vm notlinux: not started: no boot flag 0xAA55 at 0x1fe: not a Linux kernel (error -22)",
    ]

    def judge(self, messages: list[str]) -> tuple[list[str], list[str]]:
        s = next(x for x in sc_table.SCENARIOS if x.name == "config-errors")
        log = "\n".join([BOOT] + [line("E", m) for m in messages] + [END]) + "\n"
        return runner.judge(s, log)

    def test_its_errors_pass_and_are_required(self):
        missing, bad = self.judge(self.PRINTED)
        self.assertEqual(bad, [])
        required = {error(m) for m in sc_table.CONFIG_ERRORS}
        self.assertEqual([p for p in missing if p in required], [])

    def test_one_more_error_fails(self):
        extra = 'keel.toml:40: vm "db": memory: "1Q" is not a size (try 512M or 2G)'
        _, bad = self.judge(self.PRINTED + [extra])
        self.assertEqual(len(bad), 1)
        self.assertIn(extra, bad[0])


if __name__ == "__main__":
    unittest.main()
