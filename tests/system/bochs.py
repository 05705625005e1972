"""The Bochs machine every system test and the bare-Linux baseline boot on,
and how its serial log is read. One definition, so Keel's runs and the
baseline always compare the same machine."""
from __future__ import annotations

import os
import re
from pathlib import Path

# skylake_x would make the Linux guest trust a 3.5 GHz TSC (time runs slow).
BOCHS_CPU = "corei7_haswell_4770"
BOCHS_IPS = 100_000_000
BOCHS_TIME0 = 946684800         # fixed clock + sync=none: a run is reproducible (2000-01-01)
BOCHS_SHARE = Path(os.environ.get("BXSHARE", "/usr/share/bochs"))

ANSI = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|[()][0-9A-Za-z]|[=>c78DEHM])")


def bochs_config(iso: Path, serial: Path, workdir: Path, megs: int, title: str,
                 cpus: int = 1, tty: str | None = None, disk: bool = False) -> str:
    """A bochsrc booting iso from CD, serial port to a file, headless; cpus
    processors (Bochs runs them in one thread, taking turns). With tty, the
    serial port is that terminal instead (read and written: typist.py).
    With disk, iso is a hard-disk image (a raw USB image) booted by the BIOS."""
    com1 = f"mode=term, dev={tty}" if tty else f"mode=file, dev={serial}"
    drive = (f"ata0-master: type=disk, path={iso}, mode=flat\nboot: disk" if disk else
             f"ata0-master: type=cdrom, path={iso}, status=inserted\nboot: cdrom")
    return f"""\
# {title}: headless, reproducible (fixed clock, TSC = instructions).
megs: {megs}
cpu: model={BOCHS_CPU}, count={cpus}, ips={BOCHS_IPS}, reset_on_triple_fault=0
clock: sync=none, time0={BOCHS_TIME0}
romimage: file={BOCHS_SHARE / "BIOS-bochs-latest"}
vgaromimage: file={BOCHS_SHARE / "VGABIOS-lgpl-latest"}
{drive}
com1: enabled=1, {com1}
display_library: term
log: {workdir / "bochs.log"}
error: action=report
sound: driver=dummy
speaker: enabled=0
"""


# Keel takes the shell's input line off the screen before other output:
# CR, then "erase in line" (ESC [ K). A terminal shows only what follows.
ERASED_LINE = re.compile(r"[^\n]*\r\x1b\[K")


def read_log(path: Path) -> str:
    """A serial log as text, as a terminal shows it: erased input lines
    gone, CRs and ANSI escapes removed; "" if absent."""
    if not path.exists():
        return ""
    text = path.read_bytes().decode("utf-8", errors="replace")
    return ANSI.sub("", ERASED_LINE.sub("", text).replace("\r", ""))
