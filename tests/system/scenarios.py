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
NO_VMX = r"keel: VMX unavailable: CPUID\.1:ECX\.VMX is clear"
ANY_VM_STARTED = r"vm \S+: started"

# Rejected in every scenario unless it opts out.
ANY_GUEST_FAIL = GUEST_LINE.format(name=r"\S+") + "FAIL"
ANY_ERROR = r"\] E "


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
    disks: list[str] = field(default_factory=list)   # disk image modules (virtio-blk)
    nics: list[str] = field(default_factory=list)    # virtual switch names (virtio-net)

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
    emulator: str = "bochs"     # bochs | qemu-bios | qemu-uefi
    cmdline: str = ""           # extra words for Keel's command line
    config: str | None = None   # keel.toml as is (else made from the guests)
    modules: list[str] = field(default_factory=list)  # extra module files (paths)
    megs: int | None = None     # emulator memory in MiB, when the default is too small
    # More judges: each takes the log and returns what is wrong (empty: fine).
    checks: list[Callable[[str], list[str]]] = field(default_factory=list)
    time_marker: str | None = None  # regex: the runner notes the wall time it first appears
    timeout: float = 60.0       # seconds of wall time, emulator start to exit
    expect_fail: bool = False   # runner self-test: the judge must say FAIL
    guest_fail_ok: bool = False  # opt out of rejecting "NAME| FAIL" lines
    errors_ok: bool = False     # opt out of rejecting E-level log lines
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

NOVMX_MUST = [BANNER, NO_VMX, SHUTDOWN]

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
             must_not=[r"survived"], errors_ok=True),
    Scenario("vmcall", "hypercall ABI: version, ENOSYS, EFAULT, console, exit code 7",
             [VMCALL], passes(VMCALL, 7) + [ALL_STOPPED]),
    Scenario("hlt", "HLT with interrupts disabled stops the VM",
             [HLT],
             [started("hlt"), says("hlt", "hlt: halting with interrupts off"),
              halted_cli("hlt"), ALL_STOPPED],
             must_not=[r"resumed after cli/hlt"], errors_ok=True),
    single("long64", "64-bit guest: EFER.LMA, R15, REP OUTSB with RSI", "long"),
    single("prot32", "32-bit protected-mode guest, paging off", "prot32"),
    single("msr", "RDMSR/WRMSR: EFER, #GP on a nonexistent MSR, KERNEL_GS_BASE", "long"),
    single("cr", "CR4.VMXE hidden and refused; XSETBV/XGETBV", "long"),
    single("irq", "interrupts: 8259+PIT, IO-APIC, LAPIC timer modes, TSC deadline, RTC, TPR/CR8",
           "long"),
    Scenario("triple-plus-hello", "a triple fault stops one VM, the other still passes",
             [TRIPLE, HELLO],
             [started("triple"), triple_fault("triple")] + passes(HELLO) + [ALL_STOPPED],
             must_not=[says("triple", "FAIL.*")], errors_ok=True),
    Scenario("many", "four guests, three modes, one boot",
             MANY, [p for g in MANY for p in passes(g)] + [ALL_STOPPED]),
    Scenario("selftest", "runner self-test: a guest's FAIL line must fail the run",
             [SELFTEST],
             [started("selftest"),
              says("selftest", "FAIL selftest: deliberate failure, the runner must report it"),
              ALL_STOPPED],
             expect_fail=True),
    Scenario("qemu-novmx", "QEMU TCG, BIOS: no VMX is reported, then shutdown",
             [HELLO], NOVMX_MUST, must_not=[ANY_VM_STARTED],
             emulator="qemu-bios", errors_ok=True, timeout=60),
    Scenario("qemu-uefi-novmx", "QEMU TCG, OVMF + GRUB EFI: no VMX is reported, then shutdown",
             [HELLO], NOVMX_MUST, must_not=[ANY_VM_STARTED],
             emulator="qemu-uefi", errors_ok=True, timeout=120),
    Scenario("linux", "Debian's stock kernel to userspace (platform devices, interrupts, clock, "
             "ACPI power-off) beside a test guest and one that triple-faults",
             [LINUX, TRIPLE, HELLO],
             LINUX_MUST + [started("triple"), triple_fault("triple")] + passes(HELLO),
             must_not=LINUX_MUST_NOT + [says("triple", "FAIL.*")],
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
    Scenario("linux-net", "two stock kernels on one virtual switch (one on MSI-X, one on "
             "INTx): ping, and a TCP transfer whose checksum matches on both sides",
             [NET_A, NET_B],
             [started("neta"), started("netb"), says("netb", "KEEL-NET-PING-OK"),
              says("neta", "KEEL-NET-RECV-OK"), says("netb", "KEEL-NET-SEND-OK"),
              says("neta", r"\s*\d+:\s+[1-9]\d*\s+PCI-MSI.*virtio0-input.*"),
              says("netb", r"\s*1[6-9]:\s+[1-9]\d*\s+IO-APIC\s+1[6-9]-fasteoi\s+virtio0"),
              r"vm neta: stopped: powered off \(ACPI S5\)", r"vm netb: stopped: powered off \(ACPI S5\)",
              ALL_STOPPED],
             must_not=[says(n, r".*(Kernel panic|BUG:|Oops|Call Trace).*") for n in ("neta", "netb")]
             + NO_TEST_FAIL,
             checks=[net_transfer], megs=512, timeout=900),
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
             [r'E keel\.toml:17: vm "web": memory: "12X" is not a size',
              r'E keel\.toml:20: vm "hello": name: "hello" is already used by the vm on line 7',
              r'E keel\.toml:27: vm "ghost": kernel: module "missing\.bin" was not loaded',
              r'E keel\.toml:33: vm "typo": unknown key "memroy"',
              r"E vm notlinux: not started: .*",
              exit_code("quiet", 0),
              ] + passes(HELLO) + [ALL_STOPPED],
             must_not=[started("web"), started("ghost"), started("typo"), started("notlinux"),
                       GUEST_LINE.format(name="quiet")],     # console = "none"
             config=(CONFIGS / "errors.toml").read_text(), modules=["long64.bin"], errors_ok=True),
    Scenario("bench", "exit-path cost in instructions (run.py --bench)",
             [BENCH],
             [started("bench")]
             + [says("bench", rf"BENCH {k} \d+ \d+") for k in BENCH_KINDS]
             + [says("bench", "PASS bench"), exit_code("bench", 0), ALL_STOPPED],
             timeout=120, bench=True),
]
