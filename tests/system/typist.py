"""Typing into Keel's serial console during a system test.

Bochs' com1 in term mode reads and writes a tty. The Typist opens a pty,
gives Bochs its slave side (`com1: enabled=1, mode=term, dev=SLAVE`), copies
everything Keel writes from the master side into serial.log, so judging
reads the same log as in file mode, and types a scenario's steps: each
(regex, text) pair waits until the regex matches the output that came
after the previous step began typing (serial.log text, CRs and ANSI
escapes removed, re.MULTILINE), then types the text a byte at a time.

Why a byte at a time, TYPE_GAP_S apart: Bochs moves bytes from the tty into
the emulated 16550's 16-byte receive FIFO as fast as the line's baud rate
allows, while Keel reads its UART only between vCPU time slices (a few ms of
emulated time); a whole line at once could overrun the FIFO.
"""
from __future__ import annotations

import os
import re
import select
import threading
import time
import tty
from pathlib import Path

from bochs import ANSI

TYPE_GAP_S = 0.02


def _clean(raw: bytes) -> str:
    return ANSI.sub("", raw.decode("utf-8", errors="replace").replace("\r", ""))


class Typist(threading.Thread):
    def __init__(self, steps: list[tuple[str, str]], serial: Path):
        super().__init__(daemon=True)
        self.steps = steps
        self.serial = serial
        self.master, self.slave = os.openpty()
        # Raw on both sides: no echo, no CR/LF translation, Ctrl-] and
        # Ctrl-C are plain bytes.
        tty.setraw(self.master)
        tty.setraw(self.slave)
        self.tty = os.ttyname(self.slave)
        self.done = threading.Event()
        self.step = 0           # steps typed so far
        self.raw = b""

    def _read(self, log, timeout: float) -> bool:
        """Copy what Keel wrote (waiting up to timeout); False if nothing came."""
        r, _, _ = select.select([self.master], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:         # EIO: nothing holds the slave side open
            data = b""
        if not data:
            time.sleep(timeout)
            return False
        log.write(data)
        log.flush()
        self.raw += data
        return True

    def _type(self, log, text: str) -> None:
        for b in text.encode():
            os.write(self.master, bytes([b]))
            self._read(log, TYPE_GAP_S)

    def run(self) -> None:
        since = 0
        with open(self.serial, "wb") as log:
            while not self.done.is_set():
                self._read(log, 0.05)
                if self.step < len(self.steps):
                    regex, text = self.steps[self.step]
                    if re.search(regex, _clean(self.raw[since:]), re.M):
                        since = len(self.raw)
                        self._type(log, text)
                        self.step += 1
            while self._read(log, 0):   # what is left after the emulator ended
                pass

    def waiting_for(self) -> str | None:
        """The regex of the first step not typed, or None when all were."""
        return self.steps[self.step][0] if self.step < len(self.steps) else None

    def stop(self) -> None:
        self.done.set()
        if self.is_alive():
            self.join(timeout=5)
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass
