"""The oracle: vmdiff's prediction against real QEMU 7.2 and 10.0 loading the same stream.

For each case: build the destination's profile by capturing and dumping the destination
configuration, predict with check(), then really load the source stream into that destination.
The prediction must agree with reality: the outcome, and for failures the path vmdiff blames and
every line QEMU printed. Each test skips when its QEMU is not installed.
"""

from __future__ import annotations

import json
import lzma
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import decoded_sample, sample_path
from vmdiff.compat import CheckResult, DestinationProfile, Outcome, check
from vmdiff.compat.build import profile_from_dump, profile_from_stream
from vmdiff.compat.host_probe import host_profile
from vmdiff.compat.profile import Fact, merge_profiles
from vmdiff.decode import read_stream
from vmdiff.model import Stream
from vmdiff.qemu import QemuBinary, capture, dump_vmstate, find_qemu, kvm_available, load

PC72 = ("-M", "pc-i440fx-7.2", "-m", "64", "-accel", "tcg")
PC10 = ("-M", "pc-i440fx-10.0", "-m", "64", "-accel", "tcg")
Q35_72 = ("-M", "pc-q35-7.2", "-m", "64", "-accel", "tcg")
Q35_10 = ("-M", "pc-q35-10.0", "-m", "64", "-accel", "tcg")
E1000 = ("-device", "e1000,mac=52:54:00:12:34:56")
E1000_82545EM = ("-device", "e1000-82545em,mac=52:54:00:12:34:56")
SHARED = (
    "-object",
    "memory-backend-file,id=m,size=64M,mem-path=guest.ram,share=on",
    "-machine",
    "memory-backend=m",
    "-uuid",
    "12345678-1234-5678-1234-567812345678",
)


@dataclass(frozen=True)
class Dest:
    """A destination: QEMU version, command line and the migration capabilities it sets."""

    version: str
    args: tuple[str, ...]
    capabilities: tuple[str, ...] = ()

    @property
    def machine(self) -> str:
        return self.args[self.args.index("-M") + 1]


@dataclass(frozen=True)
class Edited:
    """A sample with one byte string replaced: states no QEMU configuration produces."""

    sample: str
    old: bytes
    new: bytes


@dataclass(frozen=True)
class Case:
    """A source stream (a sample, captured now, or edited) into a destination, and its fate."""

    id: str
    source: str | Dest | Edited
    dest: Dest
    outcome: Outcome
    failure_path: str | None = None
    needs_kvm: bool = False


RENAMED_SUBSECTION = Edited("pc-7.2", b"\x14cpu/poll_control_msr", b"\x14cpu/poll_control_xyz")
FW_CFG_V2 = b"\x06fw_cfg" + bytes(4) + (2).to_bytes(4, "big")
FW_CFG_V99 = Edited("pc-7.2", FW_CFG_V2, b"\x06fw_cfg" + bytes(4) + (99).to_bytes(4, "big"))
XHCI_8_PORTS = ("-device", "qemu-xhci,p2=4,p3=4")
XHCI_4_PORTS = ("-device", "qemu-xhci,p2=2,p3=2")
HPET_5 = ("-global", "hpet.timers=5")

CASES = [
    Case("7.2 same command line", "pc-7.2", Dest("7.2", PC72), Outcome.SUCCEED),
    Case("10.0 same command line", "pc-10.0", Dest("10.0", PC10), Outcome.SUCCEED),
    Case("7.2 into 10.0 on pc-i440fx-7.2", "pc-7.2", Dest("10.0", PC72), Outcome.SUCCEED),
    Case("10.0 into 7.2 on pc-i440fx-7.2", "pc-7.2-on-10.0", Dest("7.2", PC72), Outcome.SUCCEED),
    Case("q35 7.2 same command line", "q35-7.2", Dest("7.2", Q35_72), Outcome.SUCCEED),
    Case("q35 10.0 same command line", "q35-10.0", Dest("10.0", Q35_10), Outcome.SUCCEED),
    Case("q35 7.2 into 10.0 on pc-q35-7.2", "q35-7.2", Dest("10.0", Q35_72), Outcome.SUCCEED),
    Case(
        "q35 into i440fx",
        "q35-7.2",
        Dest("7.2", PC72),
        Outcome.FAIL,
        "configuration/machine_type",
    ),
    Case(
        "destination missing the USB controller (no ROM block)",
        "pc-7.2-usb",
        Dest("7.2", PC72),
        Outcome.FAIL,
        "0000:00:02.0/xhci[0]",
    ),
    Case(
        "10.0 default machine into 7.2",
        "pc-10.0",
        Dest("7.2", PC72),
        Outcome.FAIL,
        "configuration/machine_type",
    ),
    Case(
        "7.2 default machine into 10.0 default machine",
        "pc-7.2",
        Dest("10.0", PC10),
        Outcome.FAIL,
        "configuration/machine_type",
    ),
    Case(
        "destination missing the NIC fails on its ROM block",
        "pc-7.2-e1000",
        Dest("7.2", PC72),
        Outcome.FAIL,
        "ram/0000:00:02.0/e1000.rom",
    ),
    Case(
        "destination missing the NIC, on 10.0",
        "pc-7.2-e1000",
        Dest("10.0", PC72),
        Outcome.FAIL,
        "ram/0000:00:02.0/e1000.rom",
    ),
    Case("destination with an extra NIC", "pc-7.2", Dest("7.2", (*PC72, *E1000)), Outcome.SUCCEED),
    Case(
        "NIC model rtl8139 into e1000",
        "pc-7.2-rtl8139",
        Dest("7.2", (*PC72, *E1000)),
        Outcome.FAIL,
        "ram/0000:00:02.0/rtl8139.rom",
    ),
    Case(
        "e1000 into e1000-82545em: same section, other device ID",
        "pc-7.2-e1000",
        Dest("7.2", (*PC72, *E1000_82545EM)),
        Outcome.FAIL,
        "0000:00:02.0/e1000[0]/parent_obj/config[0]",
    ),
    Case(
        "e1000 into e1000-82545em on 10.0",
        "pc-7.2-e1000",
        Dest("10.0", (*PC72, *E1000_82545EM)),
        Outcome.FAIL,
        "0000:00:02.0/e1000[0]/parent_obj/config[0]",
    ),
    Case("-m 128 into -m 64", "pc-7.2-m128", Dest("7.2", PC72), Outcome.FAIL, "ram/pc.ram"),
    Case(
        "-m 64 into -m 128",
        "pc-7.2",
        Dest("7.2", ("-M", "pc-i440fx-7.2", "-m", "128", "-accel", "tcg")),
        Outcome.FAIL,
        "ram/pc.ram",
    ),
    Case("KVM source into TCG, 7.2", "pc-7.2-kvm", Dest("7.2", PC72), Outcome.FAIL, "kvmclock[0]"),
    Case(
        "KVM source into TCG, 10.0", "pc-10.0-kvm", Dest("10.0", PC10), Outcome.FAIL, "kvmclock[0]"
    ),
    Case(
        "KVM source into KVM, 7.2, host probed",
        Dest("7.2", ("-M", "pc-i440fx-7.2", "-m", "64", "-accel", "kvm")),
        Dest("7.2", ("-M", "pc-i440fx-7.2", "-m", "64", "-accel", "kvm")),
        Outcome.SUCCEED,
        needs_kvm=True,
    ),
    Case(
        "a subsection the destination does not know, 7.2",
        RENAMED_SUBSECTION,
        Dest("7.2", PC72),
        Outcome.FAIL,
        "cpu[0]/cpu/poll_control_xyz",
    ),
    Case(
        "a subsection the destination does not know, 10.0",
        RENAMED_SUBSECTION,
        Dest("10.0", PC72),
        Outcome.FAIL,
        "cpu[0]/cpu/poll_control_xyz",
    ),
    Case("a section version too new", FW_CFG_V99, Dest("7.2", PC72), Outcome.FAIL, "fw_cfg[0]"),
    Case(
        "xhci with 8 ports into xhci with 4: the port count is not in the stream",
        Dest("7.2", (*PC72, *XHCI_8_PORTS)),
        Dest("7.2", (*PC72, *XHCI_4_PORTS)),
        Outcome.FAIL,
        "0000:00:02.0/xhci[0]/xhci/ports",
    ),
    Case(
        "xhci with 4 ports into xhci with 8, 10.0",
        Dest("10.0", (*PC72, *XHCI_4_PORTS)),
        Dest("10.0", (*PC72, *XHCI_8_PORTS)),
        Outcome.FAIL,
        "0000:00:02.0/xhci[0]/xhci/ports",
    ),
    Case(
        "3 hpet timers into 5 on 7.2: the count travels",
        "pc-7.2",
        Dest("7.2", (*PC72, *HPET_5)),
        Outcome.SUCCEED,
    ),
    Case(
        "3 hpet timers into 5 on 10.0, which validates the count",
        "pc-7.2",
        Dest("10.0", (*PC72, *HPET_5)),
        Outcome.FAIL,
        "hpet[0]/num_timers",
    ),
    Case(
        "mapped-ram source, plain destination",
        "pc-10.0-mapped-ram",
        Dest("10.0", PC10),
        Outcome.FAIL,
        "configuration/capabilities",
    ),
    Case(
        "plain source, mapped-ram destination",
        "pc-10.0",
        Dest("10.0", PC10, ("mapped-ram",)),
        Outcome.FAIL,
        "configuration/capabilities",
    ),
    Case(
        "mapped-ram both sides",
        "pc-10.0-mapped-ram",
        Dest("10.0", PC10, ("mapped-ram",)),
        Outcome.SUCCEED,
    ),
    Case(
        "mapped-ram into 7.2, which lacks the capability",
        "pc-10.0-mapped-ram",
        Dest("7.2", PC72),
        Outcome.FAIL,
        "configuration/capabilities",
    ),
    Case(
        "x-ignore-shared source, plain destination",
        "pc-10.0-ignore-shared",
        Dest("10.0", PC10),
        Outcome.FAIL,
        "configuration/capabilities",
    ),
    Case(
        "plain source, x-ignore-shared destination",
        "pc-10.0",
        Dest("10.0", PC10, ("x-ignore-shared",)),
        Outcome.FAIL,
        "configuration/capabilities",
    ),
    Case(
        "x-ignore-shared both sides",
        "pc-10.0-ignore-shared",
        Dest("10.0", (*PC10, *SHARED), ("x-ignore-shared", "validate-uuid")),
        Outcome.SUCCEED,
    ),
]


def qemu(version: str) -> QemuBinary:
    found = find_qemu(version)
    if found is None:
        pytest.skip(f"QEMU {version} not installed: run tools/install-qemu.sh")
    return found


class Oracle:
    """Session-wide caches: destination profiles, on-the-fly sources, the raw mapped-ram file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.profiles: dict[Dest, DestinationProfile] = {}
        self.sources: dict[Dest, Path] = {}
        self.counter = 0

    def workdir(self) -> Path:
        self.counter += 1
        path = self.root / f"w{self.counter}"
        path.mkdir()
        return path

    def profile(self, dest: Dest) -> DestinationProfile:
        if dest not in self.profiles:
            binary = qemu(dest.version)
            work = self.workdir()
            out = work / "dest.bin"
            uri = f"file:{out}" if "mapped-ram" in dest.capabilities else None
            capture(
                binary, dest.args, out, capabilities=dest.capabilities or None, uri=uri, cwd=work
            )
            dump = dump_vmstate(binary, dest.machine, work / "dump.json")
            parts = [
                DestinationProfile(qemu_version=Fact(dest.version, "the oracle's QEMU")),
                profile_from_stream(read_stream(str(out))),
                profile_from_dump(json.loads(dump.read_text()), str(dump)),
            ]
            if "-accel" in dest.args and dest.args[dest.args.index("-accel") + 1] == "kvm":
                parts.append(host_profile())
            self.profiles[dest] = merge_profiles(parts)
        return self.profiles[dest]

    def source(self, source: str | Dest | Edited) -> tuple[Path, Stream]:
        if isinstance(source, Edited):
            path = self.root / f"edited-{abs(hash(source))}.bin"
            if not path.exists():
                data = sample_path(source.sample).read_bytes()
                assert data.count(source.old) == 1, source
                path.write_bytes(data.replace(source.old, source.new))
            return path, read_stream(str(path))
        if isinstance(source, Dest):
            if source not in self.sources:
                path = self.workdir() / "source.bin"
                capture(qemu(source.version), source.args, path, running=True)
                self.sources[source] = path
            return self.sources[source], read_stream(str(self.sources[source]))
        path = sample_path(source)
        if path.suffix == ".xz":
            raw = self.root / path.stem
            if not raw.exists():
                with lzma.open(path) as packed, raw.open("wb") as out:
                    shutil.copyfileobj(packed, out, 1 << 20)
            path = raw
        return path, decoded_sample(source)


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> Oracle:
    return Oracle(tmp_path_factory.mktemp("oracle"))


def _explain(case: Case, predicted: CheckResult, real_lines: tuple[str, ...]) -> str:
    return f"{case.id}: vmdiff says {predicted.headline!r}; QEMU printed {list(real_lines)}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_prediction_agrees_with_real_qemu(case: Case, oracle: Oracle) -> None:
    if case.needs_kvm and not kvm_available():
        pytest.skip("/dev/kvm is not usable here")
    profile = oracle.profile(case.dest)
    path, stream = oracle.source(case.source)
    predicted = check(stream, profile)
    mapped = "mapped-ram" in case.dest.capabilities
    real = load(
        qemu(case.dest.version),
        case.dest.args,
        path,
        capabilities=case.dest.capabilities or None,
        uri=f"file:{path}" if mapped else None,
        cwd=oracle.workdir(),
    )
    why = _explain(case, predicted, real.error_lines)
    assert real.succeeded == (case.outcome is not Outcome.FAIL), why
    assert predicted.outcome is case.outcome, why
    failure = predicted.first_failure
    if case.failure_path is None:
        assert failure is None, why
        return
    assert failure is not None, why
    assert failure.path == case.failure_path, why
    assert failure.qemu_messages == real.error_lines, why
