"""Real destination logs (samples/logs, by tools/make-log-samples.py) name the right culprit."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import SAMPLES, decoded_sample
from vmdiff.decode import decode_bytes
from vmdiff.triage.locate import locate
from vmdiff.triage.logparse import Family, enoent_subsection_failure, parse_log, root_cause

LOGS = SAMPLES / "logs"
CASES: list[dict[str, Any]] = json.loads((LOGS / "manifest.json").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_real_log_points_at_the_culprit(case: dict[str, Any]) -> None:
    events = parse_log((LOGS / case["log"]).read_text())
    assert events, "no line recognised"
    stream = decoded_sample(case["sample"])
    cause = root_cause(events)
    assert cause is not None
    ram_start = next(s for s in stream.iter_sections() if s.is_ram and s.kind == "start")
    body = (SAMPLES / f"{case['sample']}.bin").read_bytes()[
        ram_start.body.start : ram_start.body.end
    ]
    location = locate(cause, stream, body)
    culprit = case["culprit"]
    if cause.family is Family.DEVICE_LOAD:
        # 7.2 and 10.0 name only the device of an unknown subsection, then say ENOENT.
        assert enoent_subsection_failure(events) is cause
        assert location is not None and culprit.startswith(location.path + "/")
    else:
        assert location is not None and location.path == culprit


def test_ram_block_location_is_its_name_in_the_block_list() -> None:
    stream = decoded_sample("pc-7.2-e1000")
    events = parse_log((LOGS / "extra-rom-7.2.log").read_text())
    cause = root_cause(events)
    assert cause is not None and cause.family is Family.UNKNOWN_RAMBLOCK
    data = (SAMPLES / "pc-7.2-e1000.bin").read_bytes()
    ram_start = next(s for s in stream.iter_sections() if s.is_ram and s.kind == "start")
    location = locate(cause, stream, data[ram_start.body.start : ram_start.body.end])
    assert location is not None
    name = b"0000:00:02.0/e1000.rom"
    assert data[location.offset : location.offset + 1 + len(name)] == bytes([len(name)]) + name


# The 10.1+ error-propagation series rewords several messages (stream-format.md section 6); these
# lines are written from those templates, as no such QEMU is installed here.
NEWER_WORDING = [
    (
        "Unknown section or instance 'kvmclock' 0. Make sure that your current VM setup matches",
        Family.UNKNOWN_SECTION,
        {"idstr": "kvmclock", "instance": "0"},
    ),
    (
        "VM subsection 'cpu/msr_hwcr' in 'cpu' does not exist",
        Family.UNKNOWN_SUBSECTION,
        {"subsection": "cpu/msr_hwcr", "idstr": "cpu"},
    ),
    ("Section footer error, section_id: 18", Family.FOOTER_MISMATCH, {"section_id": "18"}),
    (
        "unsupported version 99 for 'fw_cfg' v2",
        Family.SECTION_VERSION,
        {"version": "99", "idstr": "fw_cfg", "local": "2"},
    ),
    ("Unknown section type 126", Family.UNKNOWN_SECTION_TYPE, {"type": "126"}),
]


@pytest.mark.parametrize(("line", "family", "details"), NEWER_WORDING)
def test_newer_qemu_wording_is_recognised(
    line: str, family: Family, details: dict[str, str]
) -> None:
    libvirt_style = f"2026-11-28T01:00:00.000000Z qemu-system-x86_64: {line}"
    (event,) = parse_log(libvirt_style)
    assert event.family is family
    assert event.details == details


def test_unrelated_lines_are_not_recognised() -> None:
    assert parse_log("warning: nic e1000.0 has no peer\nVNC server running on ::1:5900\n") == []


def test_a_log_alone_locates_nothing_without_a_capture() -> None:
    (event,) = parse_log("Unknown savevm section or instance 'nothere' 0")
    empty = decode_bytes(b"")
    assert locate(event, empty) is None
