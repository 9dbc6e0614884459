#!/usr/bin/env python3
"""Make samples/logs/: what real destination QEMUs print when they refuse a stream.

Each case loads a sample (or a copy with one field changed, at an offset vmdiff decodes) into a
real QEMU 7.2 or 10.0 destination and keeps its stderr, with a manifest naming the culprit.
Run from the repository root: python3 tools/make-log-samples.py [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vmdiff.decode import read_stream  # noqa: E402
from vmdiff.model import Stream  # noqa: E402
from vmdiff.qemu import find_qemu, load  # noqa: E402

SAMPLES = ROOT / "samples"
LOGS = SAMPLES / "logs"
PC72 = ["-M", "pc-i440fx-7.2", "-m", "64", "-accel", "tcg"]
PC10 = ["-M", "pc-i440fx-10.0", "-m", "64", "-accel", "tcg"]

Mutation = Callable[[bytearray, Stream], str]


@dataclass
class Case:
    """One refused load: which stream, which destination, and what is to blame."""

    name: str
    sample: str
    qemu: str
    args: list[str]
    culprit: str
    cause: str
    mutate: Mutation | None = None
    capabilities: list[str] = field(default_factory=list)


def _section_version(path: str, version: int) -> Mutation:
    def mutate(data: bytearray, stream: Stream) -> str:
        section = next(s for s in stream.device_sections() if s.path == path)
        at = section.body.start - 4
        struct.pack_into(">I", data, at, version)
        return f"version_id of {path} at {at:#x} set to {version}"

    return mutate


def _rename_subsection(path: str, new_name: str) -> Mutation:
    def mutate(data: bytearray, stream: Stream) -> str:
        for section in stream.device_sections():
            for sub in section.subsections:
                if sub.path == path:
                    assert len(new_name) == len(sub.name)
                    at = sub.span.start + 2
                    data[at : at + len(new_name)] = new_name.encode()
                    return f"subsection {sub.name} at {sub.span.start:#x} renamed {new_name}"
        raise KeyError(path)

    return mutate


def _footer_id(path: str) -> Mutation:
    def mutate(data: bytearray, stream: Stream) -> str:
        section = next(s for s in stream.device_sections() if s.path == path)
        assert section.footer is not None
        at = section.footer.start + 1
        struct.pack_into(">I", data, at, section.section_id + 100)
        wrong = section.section_id + 100
        return f"footer of {path} at {section.footer.start:#x} names section {wrong}"

    return mutate


def _drop_subsection(path: str) -> Mutation:
    def mutate(data: bytearray, stream: Stream) -> str:
        for section in stream.device_sections():
            for sub in section.subsections:
                if sub.path == path:
                    del data[sub.span.start : sub.span.end]
                    data[sub.span.start : sub.span.start] = b"\x7e"  # keeps the length honest
                    return f"subsection {sub.name} at {sub.span.start:#x} cut short"
        raise KeyError(path)

    return mutate


CASES = [
    Case(
        "machine-type-7.2",
        "pc-10.0",
        "7.2",
        PC72,
        "configuration/machine_type",
        "the source ran pc-i440fx-10.0, which QEMU 7.2 does not have",
    ),
    Case(
        "machine-type-10.0",
        "pc-7.2",
        "10.0",
        PC10,
        "configuration/machine_type",
        "the destination runs a newer machine type than the source",
    ),
    Case(
        "missing-device-7.2",
        "pc-7.2-usb",
        "7.2",
        PC72,
        "0000:00:02.0/xhci[0]",
        "the destination has no qemu-xhci controller",
    ),
    Case(
        "missing-device-10.0",
        "pc-7.2-usb",
        "10.0",
        PC72,
        "0000:00:02.0/xhci[0]",
        "the destination has no qemu-xhci controller",
    ),
    Case(
        "extra-rom-7.2",
        "pc-7.2-e1000",
        "7.2",
        PC72,
        "ram/0000:00:02.0/e1000.rom",
        "the NIC's option ROM is a RAM block the destination lacks",
    ),
    Case(
        "extra-rom-10.0",
        "pc-7.2-e1000",
        "10.0",
        PC72,
        "ram/0000:00:02.0/e1000.rom",
        "the NIC's option ROM is a RAM block the destination lacks",
    ),
    Case(
        "ram-size-7.2",
        "pc-7.2-m128",
        "7.2",
        PC72,
        "ram/pc.ram",
        "the source has 128 MiB of RAM, the destination 64 MiB",
    ),
    Case(
        "kvm-into-tcg-7.2",
        "pc-7.2-kvm",
        "7.2",
        PC72,
        "kvmclock[0]",
        "the source ran under KVM; a TCG destination has no kvmclock",
    ),
    Case(
        "section-version-7.2",
        "pc-7.2",
        "7.2",
        PC72,
        "fw_cfg[0]",
        "the section's version is newer than the destination's",
        mutate=_section_version("fw_cfg[0]", 99),
    ),
    Case(
        "section-version-10.0",
        "pc-7.2",
        "10.0",
        PC72,
        "fw_cfg[0]",
        "the section's version is newer than the destination's",
        mutate=_section_version("fw_cfg[0]", 99),
    ),
    Case(
        "unknown-subsection-7.2",
        "pc-7.2",
        "7.2",
        PC72,
        "cpu[0]/cpu/poll_control_msr",
        "a subsection the destination does not know",
        mutate=_rename_subsection("cpu[0]/cpu/poll_control_msr", "cpu/poll_control_xyz"),
    ),
    Case(
        "unknown-subsection-10.0",
        "pc-7.2",
        "10.0",
        PC72,
        "cpu[0]/cpu/poll_control_msr",
        "a subsection the destination does not know",
        mutate=_rename_subsection("cpu[0]/cpu/poll_control_msr", "cpu/poll_control_xyz"),
    ),
    Case(
        "footer-mismatch-7.2",
        "pc-7.2",
        "7.2",
        PC72,
        "hpet[0]",
        "the section was read short or long, or the stream is damaged",
        mutate=_footer_id("hpet[0]"),
    ),
    Case(
        "capability-ignore-shared-10.0",
        "pc-10.0-ignore-shared",
        "10.0",
        [
            *PC10,
            "-object",
            "memory-backend-file,id=m,size=64M,mem-path=guest.ram,share=on",
            "-machine",
            "memory-backend=m",
            "-uuid",
            "12345678-1234-5678-1234-567812345678",
        ],
        "configuration/capabilities",
        "the source had x-ignore-shared on, the destination not",
        capabilities=["validate-uuid"],
    ),
]


def make(case: Case, tmp: Path) -> dict[str, object] | None:
    """Load the case's stream into its destination; return its manifest entry."""
    qemu = find_qemu(case.qemu)
    if qemu is None:
        print(f"skip {case.name}: QEMU {case.qemu} not installed")
        return None
    source = SAMPLES / f"{case.sample}.bin"
    stream_path = source
    change = None
    if case.mutate is not None:
        data = bytearray(source.read_bytes())
        change = case.mutate(data, read_stream(str(source)))
        stream_path = tmp / f"{case.name}.bin"
        stream_path.write_bytes(bytes(data))
    result = load(qemu, case.args, stream_path, capabilities=case.capabilities or None, cwd=tmp)
    if result.succeeded:
        print(f"!! {case.name}: the destination accepted the stream")
        return None
    (LOGS / f"{case.name}.log").write_text(result.stderr)
    print(f"{case.name}: {result.first_error}")
    return {
        "name": case.name,
        "log": f"{case.name}.log",
        "sample": case.sample,
        "change": change,
        "qemu_version": qemu.full_version,
        "args": case.args,
        "capabilities": case.capabilities,
        "culprit": case.culprit,
        "cause": case.cause,
    }


def main() -> int:
    """Make every case (or those named with --only) and rewrite the manifest."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", action="append", help="make only this case (repeatable)")
    args = parser.parse_args()
    LOGS.mkdir(exist_ok=True)
    manifest_path = LOGS / "manifest.json"
    entries = (
        {e["name"]: e for e in json.loads(manifest_path.read_text())}
        if (manifest_path.exists())
        else {}
    )
    with tempfile.TemporaryDirectory(prefix="vmdiff-logs-") as tmp:
        for case in CASES:
            if args.only and case.name not in args.only:
                continue
            entry = make(case, Path(tmp))
            if entry is not None:
                entries[case.name] = entry
    ordered = [entries[c.name] for c in CASES if c.name in entries]
    manifest_path.write_text(json.dumps(ordered, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
