"""The system-test scenarios: which guests Keel boots, in which emulator, and
what its serial log must and must not say. tests/system/run.py runs them.

Keel's wording lives in the patterns below (Python regexes, matched with
re.MULTILINE against the serial log with CR and ANSI escapes removed); when
Keel's messages change, change them here, once.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from bochs import BOCHS_TIME0

# --- Keel's serial log --------------------------------------------------------
# A log line:     [     1234567] I keel: vm hello: started   (TSC, level E/W/I/D)
# A guest's line: hello| PASS hello
LOG_LINE = r"^\[\s*\d+\] [EWID] "
# A guest console line. Keel prints it bare ("NAME| text"); a log prefix in
# front is accepted too, so the checks survive either layout.
GUEST_LINE = r"^(?:\[\s*\d+\] [EWID] (?:keel: )?)?{name}\| "

BANNER = LOG_LINE + r".*\bKeel\b"
SHUTDOWN = r"keel: shutdown"
ALL_STOPPED = r"keel: all VMs stopped"
ANY_VM_STARTED = r"vm \S+: started"

# Rejected in every scenario unless it opts out (guest_fail_ok) or, for an
# E line, lists its message in errors_allowed.
ANY_GUEST_FAIL = GUEST_LINE.format(name=r"\S+") + "FAIL"
ANY_ERROR = r"\] E "

# Messages of Keel's E lines that scenarios expect (for errors_allowed, and
# error() makes them must-match patterns).
NO_VMX = r"keel: VMX unavailable: CPUID\.1:ECX\.VMX is clear \(this CPU or emulator has no VT-x\)"
NO_CONFIG = r"keel: no keel\.toml module: the boot loader must load it \(module2 \.\.\. keel\.toml\)"
HELLO_NOT_LOADED = r'keel\.toml:\d+: vm "hello": kernel: module "hello\.bin" was not loaded'
# tests/system/configs/errors.toml: each bad VM by file:line and key, and
# the kernel that is no bzImage.
CONFIG_ERRORS = [
    r'keel\.toml:17: vm "web": memory: "12X" is not a size \(try 512M or 2G\)',
    r'keel\.toml:20: vm "hello": name: "hello" is already used by the vm on line 7',
    r'keel\.toml:27: vm "ghost": kernel: module "missing\.bin" was not loaded',
    r'keel\.toml:33: vm "typo": unknown key "memroy"',
    r'keel\.toml:30: vm "typo": missing required key "memory"',
    r"vm notlinux: not started: no boot flag 0xAA55 at 0x1fe: not a Linux kernel \(error -22\)",
]


def error(message: str) -> str:
    """Keel's E-level log line with this message (a regex), in full."""
    return LOG_LINE.replace("[EWID]", "E") + message + r"\s*$"


def says(vm: str, text: str) -> str:
    """The guest's console line, exactly (text is a regex)."""
    return GUEST_LINE.format(name=vm) + text + r"\s*$"


def started(vm: str) -> str:
    return rf"vm {vm}: started"


def exit_code(vm: str, code: int) -> str:
    return rf"vm {vm}: stopped: exit code {code}\b"


def triple_fault(vm: str) -> str:
    return rf"vm {vm}: stopped: triple fault at RIP 0x[0-9a-fA-F]+"


def ept_violation(vm: str, gpa: int) -> str:
    return rf"vm {vm}: stopped: EPT violation at GPA {gpa:#x}\b"


def halted_cli(vm: str) -> str:
    return rf"vm {vm}: stopped: halted with interrupts disabled"


# --- scenario description -----------------------------------------------------
FLAT_BOOT = {"real": "flat16", "prot32": "flat32", "long": "flat64"}


@dataclass
class Guest:
    module: str                 # file in build/guests (e.g. "hello.bin"), or a path
    mode: str = "real"          # real | prot32 | long | linux
    mem: str | None = None      # e.g. "2M"; 2M for test guests when None
    name: str | None = None     # the module's file name less ".bin" when None
    initrd: str | None = None   # linux: a path
    cmdline: str = ""           # linux: the kernel command line
    weight: int | None = None   # scheduler weight; Keel's default when None
    cap: int | None = None      # CPU cap in percent of one CPU
    vcpus: int | None = None    # vCPUs; Keel's default (1) when None
    disks: list[str] = field(default_factory=list)   # disk image modules (virtio-blk)
    nics: list[str] = field(default_factory=list)    # virtual switch names (virtio-net)
    affinity: list[int] | None = None   # host CPUs it may run on; any when None

    @property
    def vm(self) -> str:
        if self.name:
            return self.name
        base = self.module.rsplit("/", 1)[-1]
        return base[:-4] if base.endswith(".bin") else base

    def modules(self) -> list[str]:
        return [self.module] + ([self.initrd] if self.initrd else []) + self.disks

    def toml(self) -> str:
        """The guest's [[vm]] table in keel.toml."""
        base = lambda p: p.rsplit("/", 1)[-1]
        boot = "linux" if self.mode == "linux" else FLAT_BOOT[self.mode]
        lines = ["[[vm]]", f'name = "{self.vm}"', f'kernel = "{base(self.module)}"',
                 f'boot = "{boot}"', f'memory = "{self.mem or "2M"}"']
        if self.initrd:
            lines.append(f'initrd = "{base(self.initrd)}"')
        if self.cmdline:
            lines.append(f'cmdline = "{self.cmdline}"')
        if self.weight is not None:
            lines.append(f"weight = {self.weight}")
        if self.cap is not None:
            lines.append(f"cap = {self.cap}")
        if self.vcpus is not None:
            lines.append(f"vcpus = {self.vcpus}")
        if self.affinity is not None:
            lines.append(f"affinity = {self.affinity}")
        if self.disks:
            lines.append("disks = [" + ", ".join(f'{{ image = "{base(d)}" }}' for d in self.disks) + "]")
        if self.nics:
            lines.append("nics = [" + ", ".join(f'{{ switch = "{n}" }}' for n in self.nics) + "]")
        return "\n".join(lines) + "\n"


@dataclass
class Scenario:
    name: str
    about: str
    guests: list[Guest]
    must: list[str]
    must_not: list[str] = field(default_factory=list)
    emulator: str = "bochs"     # bochs | qemu-bios | qemu-uefi | a boot-media kind (media.py)
    cmdline: str = ""           # extra words for Keel's command line
    config: str | None = None   # keel.toml as is (else made from the guests)
    modules: list[str] = field(default_factory=list)  # extra module files (paths)
    omit: list[str] = field(default_factory=list)     # deleted from a USB image's /keel/ (media.py)
    megs: int | None = None     # emulator memory in MiB, when the default is too small
    cpus: int = 1               # host CPUs (Bochs cpu count)
    # More judges: each takes the log and returns what is wrong (empty: fine).
    checks: list[Callable[[str], list[str]]] = field(default_factory=list)
    time_marker: str | None = None  # regex: the runner notes the wall time it first appears
    # Typing into Keel's serial port (Bochs only; tests/system/typist.py): each
    # (regex, text) waits for the regex in the output since the previous step
    # began, then types the text ("\r" is Enter, "\x1d" Ctrl-]).
    typed: list[tuple[str, str]] = field(default_factory=list)
    timeout: float = 60.0       # seconds of wall time, emulator start to exit
    expect_fail: bool = False   # runner self-test: the judge must say FAIL
    guest_fail_ok: bool = False  # opt out of rejecting "NAME| FAIL" lines
    # Keel's E-level log lines (ANY_ERROR) that this run may print, as
    # regexes of the message, the text after "] E ", each matched against the
    # whole message (re.fullmatch): an E line that none matches fails the run.
    # Empty: no E line is allowed. Name the VM and the reason, and put the
    # lines that must appear in must as well (error()).
    errors_allowed: list[str] = field(default_factory=list)
    bench: bool = False         # run only by --bench (or --only)


def passes(g: Guest, code: int = 0) -> list[str]:
    """A guest that starts, prints PASS <vm> and exits with the code."""
    return [started(g.vm), says(g.vm, f"PASS {g.vm}"), exit_code(g.vm, code)]


def single(name: str, about: str, mode: str, **kw) -> Scenario:
    """One guest that must PASS and exit 0."""
    g = Guest(f"{name}.bin", mode)
    return Scenario(name, about, [g], passes(g) + [ALL_STOPPED], **kw)


HELLO = Guest("hello.bin", "real")
TRIPLE = Guest("triple.bin", "prot32")
EPT = Guest("ept.bin", "prot32")
VMCALL = Guest("vmcall.bin", "real")
HLT = Guest("hlt.bin", "real")
SELFTEST = Guest("selftest.bin", "real")
MANY = [Guest("hello.bin", "real"), Guest("long64.bin", "long"),
        Guest("prot32.bin", "prot32"), Guest("cpuid.bin", "prot32")]
BENCH = Guest("bench.bin", "long")
VHOSTILE = Guest("vhostile.bin", "long", disks=["blank.img"])
BENCH_KINDS = ("baseline", "cpuid", "pio", "vmcall", "mmio")

NOVMX_MUST = [BANNER, error(NO_VMX), SHUTDOWN]
# Keel's native UEFI loader (boot/efi/) complaining about the medium.
LOADER_COMPLAINT = r"keel-efi: .*(not found|not loaded|cannot)"


def booted_by(loader: str, firmware: str) -> str:
    """Keel's banner naming its loader (a regex) and the firmware (BIOS or UEFI)."""
    return rf"keel: Keel \S+ \(multiboot2 from {loader}, {firmware}\)"

# Debian's stock kernel and the test initramfs (tools/linux-assets.sh puts
# them in build/linux; paths are relative to the build directory).
LINUX_CMDLINE = "console=ttyS0,115200 quiet cryptomgr.notests"
LINUX = Guest("linux/vmlinuz", "linux", mem="160M", name="linux",
              initrd="linux/initrd.img", cmdline=LINUX_CMDLINE)
CONFIGS = Path(__file__).resolve().parent / "configs"
LINUX_BLK = Guest("linux/vmlinuz", "linux", mem="160M", name="linux",
                  initrd="linux/initrd.img", cmdline=LINUX_CMDLINE + " keel.test=blk",
                  disks=["linux/disk.img"])
NET_A = Guest("linux/vmlinuz", "linux", mem="128M", name="neta", initrd="linux/initrd.img",
              cmdline=LINUX_CMDLINE + " keel.test=net-a", nics=["lan0"])
# netb drives its NIC through INTx (pci=nomsi: the DSDT's _PRT routes it to
# an IO-APIC input), neta through MSI-X: one run covers both.
NET_B = Guest("linux/vmlinuz", "linux", mem="128M", name="netb", initrd="linux/initrd.img",
              cmdline=LINUX_CMDLINE + " keel.test=net-b pci=nomsi", nics=["lan0"])
NO_TEST_FAIL = [GUEST_LINE.format(name=r"\S+") + "KEEL-TEST-FAIL.*"]


LINUX_MUST = [
    started("linux"),
    says("linux", "KEEL-LINUX-USERSPACE-OK"),
    says("linux", r"uname: 6\.1\.\S+-amd64"),
    says("linux", r"processor\s*: 0"),
    says("linux", r"cpus with the hypervisor flag: 1"),
    says("linux", r"pci: 0000:00:00\.0"),      # the host bridge, through the DSDT's PCI0
    # the PIT through IO-APIC pin 2, the local APIC timer, the UART's IRQ 4
    says("linux", r"\s*0:\s+[1-9]\d*\s+IO-APIC\s+2-edge\s+timer"),
    says("linux", r"\s*LOC:\s+[1-9]\d*\s+Local timer interrupts"),
    says("linux", r"\s*4:\s+[1-9]\d*\s+IO-APIC\s+4-edge\s+ttyS0"),
    says("linux", "KEEL-LINUX-POWEROFF"),
    r"vm linux: stopped: powered off \(ACPI S5\)", ALL_STOPPED,
]
LINUX_MUST_NOT = [says("linux", r".*(Kernel panic|BUG:|Oops|Call Trace).*")]
# The stock kernel with two vCPUs: it starts the second by INIT-SIPI-SIPI,
# both take their local timer's interrupts, /proc/cpuinfo lists both.
LINUX_SMP = Guest("linux/vmlinuz", "linux", mem="160M", name="linux",
                  initrd="linux/initrd.img", cmdline=LINUX_CMDLINE, vcpus=2)
LINUX_SMP_MUST = [
    started("linux"),
    says("linux", "KEEL-LINUX-USERSPACE-OK"),
    says("linux", r"processor\s*: 0"),
    says("linux", r"processor\s*: 1"),
    says("linux", r"KEEL-CPUS 2 online=0-1"),
    says("linux", r"cpus with the hypervisor flag: 2"),
    says("linux", r"\s*LOC:\s+[1-9]\d*\s+[1-9]\d*\s+Local timer interrupts"),
    says("linux", "KEEL-LINUX-POWEROFF"),
    r"vm linux: stopped: powered off \(ACPI S5\)", ALL_STOPPED,
]
SMP = Guest("smp.bin", "long", vcpus=4)


SPIN_WEIGHTS = {"w1": 100, "w2": 200, "w4": 400}
SPIN_CAPPED, SPIN_CAP = "capped", 20
SPIN_INSNS = 3.008          # instructions per count of tests/guests/spin.asm
SPIN = [Guest("spin.bin", "long", name=n, weight=w) for n, w in SPIN_WEIGHTS.items()] + [
    Guest("spin.bin", "long", name=SPIN_CAPPED, weight=10000, cap=SPIN_CAP)]


def spin_counts(log: str) -> dict[str, tuple[int, int]]:
    """Each spin guest's (count, ticks)."""
    out = {}
    for g in SPIN:
        m = re.search(GUEST_LINE.format(name=g.vm) + r"spin: (\d+) in (\d+)", log, re.M)
        if m:
            out[g.vm] = (int(m.group(1)), int(m.group(2)))
    return out


def spin_shares(log: str) -> list[tuple[str, float, float]]:
    """(vm, measured share, expected share) of the weighted VMs among themselves."""
    c = spin_counts(log)
    if not all(n in c for n in SPIN_WEIGHTS):
        return []
    total, wsum = sum(c[n][0] for n in SPIN_WEIGHTS), sum(SPIN_WEIGHTS.values())
    return [(n, c[n][0] / total, w / wsum) for n, w in SPIN_WEIGHTS.items()]


def scheduler_shares(log: str) -> list[str]:
    """Weights 1:2:4 give CPU in that ratio within 2%; the capped VM, whose
    weight alone would take most of the CPU, stays at or under its cap (its
    counts times SPIN_INSNS are its instructions, the ticks all of them)."""
    shares, c = spin_shares(log), spin_counts(log)
    if not shares or SPIN_CAPPED not in c:
        return ["missing spin: lines"]
    problems = [f"{n}: {got:.4f} of the weighted VMs' CPU, want {want:.4f} (+-2%)"
                for n, got, want in shares if abs(got / want - 1) > 0.02]
    count, ticks = c[SPIN_CAPPED]
    used = count * SPIN_INSNS / ticks
    if used > SPIN_CAP / 100 * 1.02:
        problems.append(f"{SPIN_CAPPED}: used {used:.1%} of the CPU, cap {SPIN_CAP}%")
    return problems


# Two host CPUs. Placement alternates CPUs by count, so with three short
# guests (hello) between them all four spinners are homed on CPU 0 (spin0
# is pinned there); when the hellos finish, the balancer must move two of
# them to CPU 1 (any that ran there was moved).
SMP_SPIN = ["spin0", "spin1", "spin2", "spin3"]
SMP_SCHED = [Guest("spin.bin", "long", name="spin0", affinity=[0]),
             Guest("hello.bin", "real", name="h1"),
             Guest("spin.bin", "long", name="spin1"), Guest("hello.bin", "real", name="h2"),
             Guest("spin.bin", "long", name="spin2"), Guest("hello.bin", "real", name="h3"),
             Guest("spin.bin", "long", name="spin3")]


def smp_balance(log: str) -> list[str]:
    """Both CPUs busy, every spinner about half a CPU, spin0 only on CPU 0,
    two of the others moved."""
    problems, used = [], {}
    for n in SMP_SPIN:
        m = re.search(GUEST_LINE.format(name=n) + r"spin: (\d+) in (\d+)", log, re.M)
        if not m:
            return [f"{n}: no spin: line"]
        used[n] = int(m.group(1)) * SPIN_INSNS / int(m.group(2))
    where = dict(re.findall(r"vm (spin\d): \d+ exits:.* on CPU ([\d,]+)$", log, re.M))
    if where.get("spin0") != "0":
        problems.append(f"spin0 is pinned to CPU 0 but ran on CPU {where.get('spin0')}")
    moved = [n for n in SMP_SPIN[1:] if "1" in where.get(n, "").split(",")]
    if len(moved) < 2:
        problems.append(f"only {moved or 'none'} moved to CPU 1 (where: {where})")
    if sum(used.values()) < 1.8:
        problems.append(f"the spinners used {sum(used.values()):.2f} CPUs of 2")
    problems += [f"{n}: used {u:.1%} of a CPU, want about 50%" for n, u in used.items()
                 if not 0.35 <= u <= 0.65]
    return problems


# Weights 1:2:4 on two host CPUs: one vCPU can use at most one CPU, so the
# proportional split is w4 alone (1 CPU) and w1:w2 sharing the other
# (1/3 and 2/3); the balancer must get there from placement by count.
SMP_WEIGHTS = {"v1": (100, 1 / 3), "v2": (200, 2 / 3), "v4": (400, 1.0)}
SMP_WEIGHTED = [Guest("spin.bin", "long", name=n, weight=w) for n, (w, _) in SMP_WEIGHTS.items()]


def smp_weight_used(log: str) -> dict[str, float]:
    """CPUs each weighted VM used (its counts times SPIN_INSNS over its ticks)."""
    used = {}
    for n in SMP_WEIGHTS:
        m = re.search(GUEST_LINE.format(name=n) + r"spin: (\d+) in (\d+)", log, re.M)
        if m:
            used[n] = int(m.group(1)) * SPIN_INSNS / int(m.group(2))
    return used


def smp_weight_shares(log: str) -> list[str]:
    """Each VM's CPU within 5% of its proportional share on two CPUs."""
    used = smp_weight_used(log)
    if len(used) != len(SMP_WEIGHTS):
        return ["missing spin: lines"]
    return [f"{n}: used {used[n]:.3f} of a CPU, want {want:.3f} (+-5%)"
            for n, (_, want) in SMP_WEIGHTS.items() if abs(used[n] / want - 1) > 0.05]


def runaway_last(log: str) -> list[str]:
    """hello finished while runaway was still spinning with interrupts off."""
    hello = re.search(r"vm hello: stopped: exit code 0", log)
    done = re.search(GUEST_LINE.format(name="runaway") + "runaway: done", log, re.M)
    if not hello or not done:
        return ["missing hello's stop or runaway's done line"]
    return [] if hello.start() < done.start() else ["hello finished only after runaway let go"]


def net_transfer(log: str) -> list[str]:
    """What netb sent is what neta received: same SHA-256, same length."""
    sent = re.search(GUEST_LINE.format(name="netb") + r"net: sent sha256 (\w+) bytes (\d+)", log, re.M)
    recv = re.search(GUEST_LINE.format(name="neta") + r"net: recv sha256 (\w+) bytes (\d+)", log, re.M)
    if not sent or not recv:
        return ["no sent/recv checksum lines"]
    if sent.groups() != recv.groups():
        return [f"sent {sent.group(1)} ({sent.group(2)} bytes) but received {recv.group(1)} ({recv.group(2)} bytes)"]
    return []


def linux_clock(log: str) -> list[str]:
    """The guest's wall clock against the host's (the TSC, which Keel
    passes through, at the rate Keel measured): around a 2 s sleep the guest
    must see the same elapsed time within 1%, and its date must be the
    emulator's (its RTC read by Keel at boot) within 2 s."""
    mhz = re.search(r"tsc: (\d+\.\d+) MHz", log)
    clk = {k: re.search(GUEST_LINE.format(name="linux") + k + r": tsc=(\d+) realtime=(\d+\.\d+)", log, re.M)
           for k in ("clock0", "clock1")}
    if not mhz or not all(clk.values()):
        return ["no Keel TSC rate or no guest clock0/clock1 lines"]
    hz = float(mhz.group(1)) * 1e6
    (t0, r0), (t1, r1) = [(int(m.group(1)), float(m.group(2))) for m in clk.values()]
    host, guest = (t1 - t0) / hz, r1 - r0
    problems = []
    if host <= 0 or abs(guest / host - 1) > 0.01:
        problems.append(f"guest clock ran {guest:.4f} s while the host's ran {host:.4f} s (> 1% apart)")
    if abs(r0 - (BOCHS_TIME0 + t0 / hz)) > 2:
        problems.append(f"guest date {r0:.0f} is not the host's {BOCHS_TIME0 + t0 / hz:.0f}")
    return problems

# The management shell (docs/shell.md), typed at: a and c print "tick N"
# every 100 ms of the TSC (tests/guests/ticker.asm), b echoes the lines it
# reads (tests/guests/echo.asm). Guest lines may land after a prompt or
# half-typed command, so the tick patterns are not anchored.
SHELL_GUESTS = [Guest("ticker.bin", "long", name="a"), Guest("echo.bin", "long", name="b"),
                Guest("ticker.bin", "long", name="c")]
PROMPT = r"[\s\S]*keel> "
SHELL_TYPED = [
    (r"keel: console is the shell[\s\S]*c\| tick 3\b", "list\r"),
    (r"cpu ms" + PROMPT, "pause a\r"),
    (r"keel: vm a paused" + PROMPT, "list\r"),
    (r"(?:c\| tick \d+[\s\S]*?){5}", "resume a\r"),        # half a second paused
    (r"keel: vm a resumed[\s\S]*a\| tick \d+", "stats a\r"),
    (r"interrupts injected" + PROMPT, "console b\r"),
    (r"keel: console is vm b", "hello there\r"),
    (r"b\| got: hello there", "\x1d"),
    (r"keel: console is the shell" + PROMPT, "console b\r"),
    (r"keel: console is vm b", "again\r"),                   # no Ctrl-] in front of it
    (r"b\| got: again", "\x1d"),
    (r"keel: console is the shell" + PROMPT, "destroy b\r"),
    (r"vm b: stopped: destroyed from the shell[\s\S]*?(?:a\| tick[\s\S]*?){3}", "shutdown\r"),
]
SHELL_MUST = [
    r"^a\s+running\s+1\s+2\s+256\s+-\s+\d+\s*$", r"^b\s+running\s+1\s+2\s+256\s",
    r"^c\s+running\s+1\s+2\s", r"^a\s+paused\s+1\s+2\s",
    r"^vm a: running, 1 vCPU, 2 MiB RAM \(\d+ 2M pages\), weight 256, no cap$",
    r"^  cpu: [1-9]\d* ms, \d+\.\d% of the [1-9]\d* ms since it started$",
    r"^  exits: [1-9]\d*( \w+=[1-9]\d*)+$", r"^  interrupts injected: \d+$",
    r"keel: console is vm b \(Ctrl-\] returns to the shell\)",
    says("b", "echo: ready"), says("b", "got: hello there"), says("b", "got: again"),
    r"keel: vm b destroyed", r"vm b: stopped: destroyed from the shell",
    r"vm a: stopped: host shutdown from the shell", r"vm c: stopped: host shutdown from the shell",
    ALL_STOPPED,
]


def shell_pause(log: str) -> list[str]:
    """No tick from a while it was paused, though c ticked on; a ticks
    again after the resume."""
    paused, resumed = log.find("keel: vm a paused"), log.find("keel: vm a resumed")
    if paused < 0 or resumed < paused:
        return ["no pause of a followed by its resume"]
    gap = log[paused:resumed]
    problems = []
    if re.search(r"a\| tick", gap):
        problems.append("a printed a tick while paused")
    if len(re.findall(r"c\| tick", gap)) < 3:
        problems.append("c did not tick on while a was paused")
    if not re.search(r"a\| tick", log[resumed:]):
        problems.append("a never ticked after its resume")
    return problems


def shell_destroy(log: str) -> list[str]:
    """After b was destroyed, a and c ticked on."""
    at = log.find("vm b: stopped: destroyed from the shell")
    after = log[at:] if at >= 0 else ""
    return [f"{vm} did not tick after b was destroyed" for vm in "ac"
            if not re.search(vm + r"\| tick", after)]


SCENARIOS: list[Scenario] = [
    single("hello", "real-mode guest prints through the virtual UART", "real"),
    Scenario("cpuid", "CPUID: hypervisor bit, no VMX, Keel signature, ABI and statistics leaves "
             "(exit timing on with measure=exits)",
             [Guest("cpuid.bin", "prot32")],
             passes(Guest("cpuid.bin", "prot32")) + [says("cpuid", "cpuid: exit timing on"), ALL_STOPPED],
             cmdline="measure=exits"),
    single("ioport", "unclaimed ports read all ones; REP INSB/OUTSB", "real"),
    Scenario("ept", "test-device MMIO through EPT violations; unmapped GPA stops the VM",
             [EPT],
             [started("ept"), says("ept", "PASS ept-mmio"),
              ept_violation("ept", 0x40000000), ALL_STOPPED],
             must_not=[r"survived"]),
    Scenario("vmcall", "hypercall ABI: version, ENOSYS, EFAULT, console, exit code 7",
             [VMCALL], passes(VMCALL, 7) + [ALL_STOPPED]),
    Scenario("hlt", "HLT with interrupts disabled stops the VM",
             [HLT],
             [started("hlt"), says("hlt", "hlt: halting with interrupts off"),
              halted_cli("hlt"), ALL_STOPPED],
             must_not=[r"resumed after cli/hlt"]),
    single("long64", "64-bit guest: EFER.LMA, R15, REP OUTSB with RSI", "long"),
    single("prot32", "32-bit protected-mode guest, paging off", "prot32"),
    single("msr", "RDMSR/WRMSR: EFER, #GP on a nonexistent MSR, KERNEL_GS_BASE", "long"),
    single("cr", "CR4.VMXE hidden and refused; XSETBV/XGETBV", "long"),
    single("irq", "interrupts: 8259+PIT, IO-APIC, LAPIC timer modes, TSC deadline, RTC, TPR/CR8",
           "long"),
    Scenario("smp", "four vCPUs on two host CPUs: the BSP starts three APs by INIT-SIPI-SIPI "
             "through a real-mode trampoline; each reaches 64-bit mode and reports; Fixed IPIs "
             "both ways, an NMI",
             [SMP],
             passes(SMP) + [says("smp", rf"smp: cpu {n} up \(apic id {n}\)") for n in (1, 2, 3)]
             + [says("smp", r"smp: 3 APs up, 6 IPIs answered, 1 NMI"), ALL_STOPPED],
             cpus=2, timeout=120),
    Scenario("triple-plus-hello", "a triple fault stops one VM, the other still passes",
             [TRIPLE, HELLO],
             [started("triple"), triple_fault("triple")] + passes(HELLO) + [ALL_STOPPED],
             must_not=[says("triple", "FAIL.*")]),
    Scenario("many", "four guests, three modes, one boot",
             MANY, [p for g in MANY for p in passes(g)] + [ALL_STOPPED]),
    Scenario("many-smp", "four guests on two host CPUs: both CPUs start, every guest passes",
             MANY, [r"smp: 2 CPUs online"] + [p for g in MANY for p in passes(g)] + [ALL_STOPPED],
             cpus=2),
    Scenario("selftest", "runner self-test: a guest's FAIL line must fail the run",
             [SELFTEST],
             [started("selftest"),
              says("selftest", "FAIL selftest: deliberate failure, the runner must report it"),
              ALL_STOPPED],
             expect_fail=True),
    Scenario("qemu-novmx", "QEMU TCG, BIOS: no VMX is reported, then shutdown",
             [HELLO], NOVMX_MUST, must_not=[ANY_VM_STARTED],
             emulator="qemu-bios", errors_allowed=[NO_VMX], timeout=60),
    Scenario("qemu-uefi-novmx", "QEMU TCG, OVMF + GRUB EFI: no VMX is reported, then shutdown",
             [HELLO], NOVMX_MUST, must_not=[ANY_VM_STARTED],
             emulator="qemu-uefi", errors_allowed=[NO_VMX], timeout=120),
] + [
    # Boot media (tests/system/media.py, docs/boot-media.md): the USB image
    # and the PXE tree, each booted as users boot them.
    Scenario(f"{kind.removeprefix('qemu-')}-novmx", f"QEMU TCG, {about}: no VMX is reported, then shutdown",
             [HELLO], NOVMX_MUST + [booted_by(loader, firmware)] + extra,
             must_not=[ANY_VM_STARTED, LOADER_COMPLAINT], emulator=kind, errors_allowed=[NO_VMX],
             timeout=120 if firmware == "UEFI" else 60)
    for kind, about, loader, firmware, extra in [
        ("qemu-usb-uefi", "USB image, OVMF, Keel's native UEFI loader", "Keel UEFI loader", "UEFI",
         [r"keel-efi: starting Keel with 2 modules"]),
        ("qemu-usb-grub-efi", "USB image, OVMF, GRUB EFI", r"GRUB \S+", "UEFI", []),
        ("qemu-usb-bios", "USB image, SeaBIOS, GRUB i386-pc", r"GRUB \S+", "BIOS", []),
        ("qemu-pxe-bios", "PXE, SeaBIOS + iPXE, GRUB netboot over TFTP", r"GRUB \S+", "BIOS", []),
        ("qemu-pxe-uefi", "PXE, OVMF + iPXE, GRUB EFI netboot over TFTP", r"GRUB \S+", "UEFI", []),
    ]
] + [
    Scenario("usb-uefi-no-config", "USB image without keel.toml: the native loader names the "
             "missing file in one line and still starts Keel, which reports it and offers "
             "its shell (typed at: shutdown)",
             [HELLO], [r"keel-efi: \\keel\\keel\.toml: not found; Keel starts without it",
                       booted_by("Keel UEFI loader", "UEFI"), error(NO_CONFIG),
                       r"keel: console is the shell"],
             emulator="qemu-usb-uefi", omit=["keel.toml"], cmdline="shutdown=qemu",
             typed=[(r"keel: console is the shell", "shutdown\r")], errors_allowed=[NO_CONFIG],
             timeout=120),
    Scenario("usb-uefi-no-image", "USB image without a guest keel.toml names: the native loader "
             "names it and starts Keel, which reports the VM's kernel missing",
             [HELLO], [r"keel-efi: \\keel\\hello\.bin \(named in keel\.toml\): not found; not loaded",
                       r"keel-efi: starting Keel with 1 module\b",
                       error(HELLO_NOT_LOADED), error(NO_VMX)],
             must_not=[ANY_VM_STARTED], emulator="qemu-usb-uefi", omit=["hello.bin"],
             errors_allowed=[HELLO_NOT_LOADED, NO_VMX], timeout=120),
    Scenario("usb-bochs", "USB image in Bochs as a hard disk: BIOS, GRUB i386-pc from the BIOS "
             "boot partition, a guest runs",
             [HELLO], passes(HELLO) + [booted_by(r"GRUB \S+", "BIOS"), ALL_STOPPED],
             emulator="bochs-usb"),
    Scenario("linux", "Debian's stock kernel to userspace (platform devices, interrupts, clock, "
             "ACPI power-off) beside a test guest and one that triple-faults",
             [LINUX, TRIPLE, HELLO],
             LINUX_MUST + [started("triple"), triple_fault("triple")] + passes(HELLO),
             must_not=LINUX_MUST_NOT + [says("triple", "FAIL.*")],
             checks=[linux_clock], megs=384, timeout=600),
    Scenario("linux-smp", "Debian's stock kernel with two vCPUs: both processors up, "
             "both taking timer interrupts, then ACPI power-off",
             [LINUX_SMP], LINUX_SMP_MUST, must_not=LINUX_MUST_NOT,
             checks=[linux_clock], megs=384, timeout=600),
    Scenario("linux-bench", "the stock kernel alone, for make bench (run.py --bench)",
             [LINUX], LINUX_MUST, must_not=LINUX_MUST_NOT,
             checks=[linux_clock], megs=384, timeout=600, bench=True,
             time_marker=says("linux", "KEEL-LINUX-USERSPACE-OK")),
    Scenario("linux-blk", "the stock kernel mounts ext4 from virtio-blk, checks a file, writes "
             "one that survives umount and a cache drop, reads the disk",
             [LINUX_BLK],
             [started("linux"), says("linux", "KEEL-BLK-READ-OK"), says("linux", "KEEL-BLK-WRITE-OK"),
              says("linux", r"blk: read 16 MiB tsc0=\d+ tsc1=\d+"),
              says("linux", r"pci: 0000:00:01\.0 1af4:1042"),
              r"linux vd0: \d+ requests, [1-9]\d* sectors read, [1-9]\d* written, \d+ flushes, 0 errors",
              r"vm linux: stopped: powered off \(ACPI S5\)", ALL_STOPPED],
             must_not=LINUX_MUST_NOT + NO_TEST_FAIL, megs=384, timeout=600),
    Scenario("linux-net", "two stock kernels on one virtual switch, on two host CPUs (one "
             "on MSI-X, one on INTx): ping, and a TCP transfer whose checksum matches on both sides",
             [NET_A, NET_B],
             [started("neta"), started("netb"), says("netb", "KEEL-NET-PING-OK"),
              says("neta", "KEEL-NET-RECV-OK"), says("netb", "KEEL-NET-SEND-OK"),
              says("neta", r"\s*\d+:\s+[1-9]\d*\s+PCI-MSI.*virtio0-input.*"),
              says("netb", r"\s*1[6-9]:\s+[1-9]\d*\s+IO-APIC\s+1[6-9]-fasteoi\s+virtio0"),
              r"vm neta: stopped: powered off \(ACPI S5\)", r"vm netb: stopped: powered off \(ACPI S5\)",
              ALL_STOPPED],
             must_not=[says(n, r".*(Kernel panic|BUG:|Oops|Call Trace).*") for n in ("neta", "netb")]
             + NO_TEST_FAIL,
             checks=[net_transfer], megs=512, cpus=2, timeout=900),
    Scenario("vhostile", "a guest attacks virtio-blk (descriptor loop, buffer outside RAM, huge "
             "and wrapping lengths, bad ring indices): each time the device needs a reset, "
             "nothing else is touched, the device recovers; another guest runs on",
             [VHOSTILE, HELLO],
             [started("vhostile"), says("vhostile", "PASS vhostile"), exit_code("vhostile", 0)]
             + [r"W vhostile vd0: device needs reset: "] + passes(HELLO) + [ALL_STOPPED],
             modules=["blank.img"]),
    Scenario("sched-shares", "four CPU-bound VMs on one CPU: weights 1:2:4 share it in that "
             "ratio (within 2%) and a heavy VM capped at 20% stays under its cap",
             SPIN, [says(g.vm, r"spin: \d+ in \d+") for g in SPIN] + [ALL_STOPPED],
             checks=[scheduler_shares], timeout=120),
    Scenario("sched-smp", "two host CPUs: placement, affinity (one VM pinned) and "
             "balancing (four spinners left on one CPU are spread over both)",
             SMP_SCHED, [says(n, r"spin: \d+ in \d+") for n in SMP_SPIN]
             + [says(h, "PASS hello") for h in ("h1", "h2", "h3")] + [ALL_STOPPED],
             checks=[smp_balance], cpus=2, timeout=180),
    Scenario("sched-smp-weights", "two host CPUs, weights 1:2:4: the heaviest VM gets a CPU "
             "of its own, the others share the second 1:2 (within 5%)",
             SMP_WEIGHTED, [says(n, r"spin: \d+ in \d+") for n in SMP_WEIGHTS] + [ALL_STOPPED],
             checks=[smp_weight_shares], cpus=2, timeout=120),
    Scenario("runaway", "a guest spinning with interrupts off and no exits does not starve "
             "the VM beside it",
             [Guest("runaway.bin", "long"), HELLO],
             [says("runaway", "runaway: done spinning with interrupts off"), exit_code("runaway", 0)]
             + passes(HELLO) + [ALL_STOPPED],
             checks=[runaway_last], timeout=120),
    Scenario("config-errors", "bad VMs in keel.toml are reported by file:line and key and "
             "left out; a kernel that is no bzImage is refused; the good VMs run, one "
             "with console = \"none\"",
             [HELLO],
             [error(m) for m in CONFIG_ERRORS] + [exit_code("quiet", 0)] + passes(HELLO) + [ALL_STOPPED],
             must_not=[started("web"), started("ghost"), started("typo"), started("notlinux"),
                       GUEST_LINE.format(name="quiet")],     # console = "none"
             config=(CONFIGS / "errors.toml").read_text(), modules=["long64.bin"],
             errors_allowed=CONFIG_ERRORS),
    Scenario("shell", "the management shell, typed at over the serial port: list, pause and "
             "resume (the paused guest's ticks stop), stats, a guest's console and Ctrl-], "
             "destroy (the others run on), shutdown",
             SHELL_GUESTS, SHELL_MUST,
             must_not=[r"keel: unknown command", r"keel: no VM named", r"line too long"],
             checks=[shell_pause, shell_destroy], typed=SHELL_TYPED, timeout=90),
    Scenario("bench", "exit-path cost in instructions (run.py --bench)",
             [BENCH],
             [started("bench")]
             + [says("bench", rf"BENCH {k} \d+ \d+") for k in BENCH_KINDS]
             + [says("bench", "PASS bench"), exit_code("bench", 0), ALL_STOPPED],
             timeout=120, bench=True),
]
